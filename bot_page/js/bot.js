// The bot: reads the page configuration, connects the avatar, joins the meeting, gets into the breakout room,
// and reports every step to the farm. It also answers the farm's commands on window.avatarfarm:
//
//   await avatarfarm.say(text)             the avatar says `text` verbatim
//   await avatarfarm.respond(text)         the avatar answers `text` as a student's message would be answered
//   await avatarfarm.interrupt()           the avatar stops talking
//   await avatarfarm.restartAvatar(token)  a new avatar session; the meeting connection and tracks stay
//   await avatarfarm.leave()               leave the meeting, stop the avatar, end
//   avatarfarm.status()                    {state, reason, room, avatar: {ready, talking, session_id}}

import { LiveAvatar } from "./avatar/liveavatar.js";
import { Phase, ZoomMeeting } from "./meeting/zoom.js";
import { Reporter } from "./reporter.js";
import { reasonText, State, TERMINAL } from "./states.js";

const config = JSON.parse(document.getElementById("avatarfarm-config").textContent);
const bridge = window.__avatarfarmBridge;
const reporter = new Reporter(bridge, { heartbeatMs: config.heartbeat_ms, thumbnailMs: config.thumbnail_ms });

let state = null;
let failure = null;
let meeting = null;
let avatar = null;

function setState(next, { reason = null, words = null, detail = {} } = {}) {
  if (TERMINAL.has(state)) return;
  if (state === next && !reason) return;
  state = next;
  if (next === State.failed) failure = { reason, reason_text: reasonText(reason, words) };
  bridge.setStatus(statusWords(next));
  reporter.state(next, {
    reason,
    reasonText: reason ? reasonText(reason, words) : null,
    detail: { room: meeting?.room ?? null, ...detail },
  });
  if (TERMINAL.has(next)) {
    meeting?.stopPolling();
    reporter.heartbeat().finally(() => reporter.stop());
  }
}

function statusWords(current) {
  return (
    {
      [State.starting]: "starting…",
      [State.avatar_connecting]: "connecting the avatar…",
      [State.joining]: "joining the meeting…",
      [State.waiting_room]: "waiting to be admitted…",
      [State.in_main_session]: "waiting for the breakout room…",
      [State.joining_breakout]: "joining the breakout room…",
      [State.live]: avatar?.ready ? "live" : "avatar reconnecting…",
      [State.leaving]: "leaving…",
      [State.ended]: "left the meeting",
      [State.failed]: "stopped",
    }[current] ?? "connecting…"
  );
}

function fail(reason, words = null, detail = {}) {
  setState(State.failed, { reason, words, detail });
  avatar?.stop();
}

function onMeetingPhase(phase, detail) {
  const mapping = {
    [Phase.joining]: State.joining,
    [Phase.waiting_room]: State.waiting_room,
    [Phase.main]: State.in_main_session,
    [Phase.joining_breakout]: State.joining_breakout,
    [Phase.breakout]: State.live,
  };
  const next = mapping[phase];
  if (next) setState(next, { detail });
  if (phase === Phase.breakout) reporter.event("breakout.joined", { room: detail.room ?? null });
}

async function loadLiveAvatarSdk() {
  return import(config.liveavatar.sdk_url);
}

function heartbeatExtras() {
  return {
    state,
    room: meeting?.room ?? null,
    humans_in_room: meeting?.connected ? meeting.humans() : 0,
    avatar_ready: Boolean(avatar?.ready),
    avatar_talking: Boolean(avatar?.talking),
    avatar_session_id: avatar?.sessionId ?? null,
  };
}

async function main() {
  bridge.configure({
    width: config.compositor.width,
    height: config.compositor.height,
    fps: config.compositor.fps,
    professorName: config.professor_name,
    roomName: config.room_name,
    excludeAudioFrom: config.liveavatar.exclude_audio_from ?? [],
  });
  bridge.ensureStarted();
  reporter.start(heartbeatExtras);
  setState(State.starting);
  window.addEventListener("error", (event) => reporter.event("page.error", { message: String(event.message) }));
  window.addEventListener("unhandledrejection", (event) =>
    reporter.event("page.error", { message: String(event.reason?.message ?? event.reason) }),
  );

  setState(State.avatar_connecting);
  let sdk;
  try {
    sdk = await loadLiveAvatarSdk();
  } catch (error) {
    fail("avatar_unavailable", `could not load the avatar SDK: ${error?.message ?? error}`);
    return;
  }
  avatar = new LiveAvatar({
    sdk,
    config: config.liveavatar,
    bridge,
    video: document.getElementById("avatar-video"),
    onEvent: (kind, detail) => reporter.event(kind, detail),
    onDropped: (reason) => {
      bridge.setStatus("avatar reconnecting…");
      reporter.event("avatar.dropped", { reason });
    },
  });
  try {
    await avatar.start(config.liveavatar.session_token);
  } catch (error) {
    fail("avatar_unavailable", error?.message ?? String(error));
    return;
  }

  setState(State.joining);
  // The CDN-style build and the fake's stand-in define ZoomMtgEmbedded; the UMD bundle names it ReactWidgets.
  const zoomSdk = window.ZoomMtgEmbedded ?? window.ReactWidgets;
  if (!zoomSdk) {
    fail("meeting_error", "the Zoom Meeting SDK did not load");
    return;
  }
  meeting = new ZoomMeeting({
    sdk: zoomSdk,
    root: document.getElementById("zoom-root"),
    config: config.zoom,
    onPhase: onMeetingPhase,
    onFailure: (reason, words, detail) => fail(reason, words, detail),
    onEvent: (kind, detail) => reporter.event(kind, detail),
  });
  await meeting.join();
}

async function leave() {
  if (TERMINAL.has(state)) return status();
  setState(State.leaving);
  await Promise.allSettled([meeting?.leave(), avatar?.stop()]);
  setState(State.ended, { reason: "left" });
  return status();
}

function status() {
  return {
    state,
    reason: failure?.reason ?? null,
    reason_text: failure?.reason_text ?? null,
    room: meeting?.room ?? null,
    avatar: { ready: Boolean(avatar?.ready), talking: Boolean(avatar?.talking), session_id: avatar?.sessionId ?? null },
  };
}

async function restartAvatar(sessionToken) {
  if (!avatar) throw new Error("the avatar was never started");
  await avatar.stop();
  bridge.setStatus("avatar reconnecting…");
  reporter.event("avatar.restarting", {});
  await avatar.start(sessionToken);
  bridge.setStatus(statusWords(state));
  return status();
}

window.avatarfarm = Object.freeze({
  say: async (text) => avatar.say(String(text)),
  respond: async (text) => avatar.respond(String(text)),
  interrupt: async () => avatar.interrupt(),
  restartAvatar,
  leave,
  status,
});

main().catch((error) => fail("page_error", error?.message ?? String(error)));
