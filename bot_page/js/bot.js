// The bot: reads the page configuration, joins the meeting with no avatar, gets into its breakout room, asks
// the farm for an avatar when a student is there (or at once, with avatar.start "on_join"), pauses the avatar
// when the room goes quiet or empty, says goodbye when the host closes the rooms, and reports every step.
// The avatar exists only in the bot's own breakout room: in the main session the bot is muted, shows its
// placeholder card, and nothing it hears goes anywhere.
//
// Commands from the farm, on window.avatarfarm (typed on the farm's side in farm/room/page_messages.py):
//
//   await avatarfarm.startAvatar({session_token})   start (or replace) the avatar; answers at once, and the
//                                                   page reports avatar.ready or avatar.start_failed
//   await avatarfarm.declineAvatar({words, retry_after_ms})   not now: the page waits, then asks again
//   await avatarfarm.stopAvatar({reason})           stop the avatar; the bot stays where it is
//   await avatarfarm.say(text)                      the avatar says `text` verbatim
//   await avatarfarm.respond(text)                  the avatar answers `text` as it would a student
//   await avatarfarm.interrupt()                    the avatar stops talking
//   await avatarfarm.knowBots({user_ids, participant_uuids})   the Zoom identities of the farm's bots in this
//                                                   meeting (never counted as people in the room)
//   await avatarfarm.sendChat({text, to_user_id})   write in the Zoom chat, to one participant (or everyone
//                                                   in the bot's room when to_user_id is null)
//   await avatarfarm.leave()                        leave the meeting, stop the avatar, end
//   avatarfarm.status()                             {state, reason, room, humans, avatar: {...}}
//   avatarfarm.pulse()                              {now, last_heartbeat_at}: the farm asks this when a
//                                                   heartbeat is late, to tell a slow path from a stuck page

import { LiveAvatar } from "./avatar/liveavatar.js";
import { Phase, ZoomMeeting } from "./meeting/zoom.js";
import { Reporter } from "./reporter.js";
import { SilenceWatch } from "./silence-watch.js";
import { AvatarRelease, AvatarWant, EventKind, reasonText, State, TERMINAL } from "./states.js";

/** The page configuration farm/room/bot_page_config.py renders into the page. */
const config = JSON.parse(document.getElementById("avatarfarm-config").textContent);
const bridge = window.__avatarfarmBridge;
const reporter = new Reporter(bridge, { heartbeatMs: config.heartbeat_ms, thumbnailMs: config.thumbnail_ms });
const policy = config.avatar; // {start, idle_ms, empty_grace_ms, ask_again_ms, vad_level, goodbye_text}

const VAD_EVERY_MS = 100;
const VAD_FRAMES = 3; // 300 ms above the level is speech, not a click
const GOODBYE_MAX_MS = 15_000;
const START_RETRY_MS = 10_000; // after a failed start, the page waits this long before asking again

let state = null;
let failure = null;
/** @type {ZoomMeeting | null} */
let meeting = null;
/** @type {LiveAvatar | null} */
let avatar = null;
/** @type {typeof import("@heygen/liveavatar-web-sdk") | null} */
let sdk = null;
let sdkLoading = null;
const silence = new SilenceWatch();

// The avatar in the bot's room: at most one request or session at a time.
const slot = {
  asking: false, // a request is with the farm
  askedAt: 0,
  declinedUntil: 0,
  releasing: false,
  roomHumans: [], // names of the people in the bot's room
  lastSpeechAt: 0, // voice activity on the meeting audio, in the room
  loudFrames: 0,
  wasLiveHere: false, // the avatar was live during this room visit (so a pause is "idle", not "in_room")
  emptySince: null,
  goodbyeFor: null, // the room whose closing we already said goodbye to
  liveSince: 0,
  pausedAt: 0,
  startAttempt: 0,
  humanSeen: false, // a person was in the room since the bot entered it (an avatar is asked for because of one)
  silenceRepaired: false, // this room visit already rejoined the audio once for a silent room
};

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
  const tutor = `AI tutor for ${config.room_name}`;
  return (
    {
      [State.starting]: `${tutor} — starting…`,
      [State.joining]: `${tutor} — joining the meeting…`,
      [State.waiting_room]: `${tutor} — waiting to be admitted…`,
      [State.in_main_session]: `${tutor} — waiting for the breakout rooms`,
      [State.joining_breakout]: `${tutor} — joining the breakout room…`,
      [State.in_room]: `${tutor} — say hello to start`,
      [State.avatar_connecting]: slot.wasLiveHere ? `${tutor} — avatar reconnecting…` : `${tutor} — connecting the avatar…`,
      [State.live]: avatar?.ready ? "live" : `${tutor} — avatar reconnecting…`,
      [State.idle]: `${tutor} — paused: speak to continue`,
      [State.leaving]: `${tutor} — leaving…`,
      [State.ended]: `${tutor} — left the meeting`,
      [State.failed]: `${tutor} — stopped`,
    }[current] ?? `${tutor} — connecting…`
  );
}

function fail(reason, words = null, detail = {}) {
  setState(State.failed, { reason, words, detail });
  meeting?.setMicWanted(false);
  bridge.setMicOpen(false);
  avatar?.stop();
}

const inRoom = () => meeting?.phase === Phase.breakout;
const avatarUp = () => Boolean(avatar?.ready) || state === State.avatar_connecting;

function onMeetingPhase(phase, detail) {
  if (phase === Phase.breakout) {
    enterRoom(detail);
    return;
  }
  if (avatarUp() || slot.asking) release(AvatarRelease.left_room);
  slot.wasLiveHere = false;
  const mapping = {
    [Phase.joining]: State.joining,
    [Phase.waiting_room]: State.waiting_room,
    [Phase.main]: State.in_main_session,
    [Phase.joining_breakout]: State.joining_breakout,
  };
  const next = mapping[phase];
  if (next) setState(next, { detail });
}

function enterRoom(detail) {
  slot.wasLiveHere = false;
  slot.emptySince = null;
  slot.humanSeen = false;
  slot.lastSpeechAt = 0;
  slot.goodbyeFor = null;
  slot.silenceRepaired = false;
  slot.roomHumans = meeting.humans();
  setState(State.in_room, { detail });
  // Off a student's wait: the avatar SDK is loaded now, before anyone is here (loading it starts nothing).
  loadLiveAvatarSdk().catch(() => {});
  consider();
}

/** Decide, from the room's people and voices, whether to ask for an avatar or let it go. Runs every poll. */
function consider() {
  if (TERMINAL.has(state) || !meeting || !inRoom() || slot.releasing) return;
  const now = Date.now();
  const humans = meeting.humans();
  const arrived = humans.filter((name) => !slot.roomHumans.includes(name));
  slot.roomHumans = humans;
  slot.emptySince = humans.length ? null : (slot.emptySince ?? now);
  if (humans.length) slot.humanSeen = true;

  if (!meeting.roomsOpen()) {
    // Closing (or closed, the move back still under way): say goodbye, never ask for an avatar.
    if (meeting.roomsClosing() && avatar?.ready && slot.goodbyeFor !== meeting.room) sayGoodbye();
    return;
  }
  if (avatar?.ready) {
    // Whoever arrives while the avatar talks hears first that it is an AI (the farm has it say so).
    if (arrived.length) reporter.event(EventKind.students_arrived, { humans: arrived });
    const lastActivity = Math.max(slot.lastSpeechAt, avatar.talking ? now : avatar.talkingChangedAt, slot.liveSince);
    // "Empty" means the last person left, even one who left while the avatar connected; an eager avatar
    // (on_join) in a room nobody came to only idles out.
    const emptied = slot.humanSeen && slot.emptySince !== null && now - slot.emptySince >= policy.empty_grace_ms;
    if (emptied) release(AvatarRelease.room_empty);
    else if (!avatar.talking && now - lastActivity >= policy.idle_ms) release(AvatarRelease.idle);
    return;
  }
  if (state === State.avatar_connecting || slot.asking || now < slot.declinedUntil) return;
  if (state === State.in_room) {
    if (policy.start === "on_join") ask(AvatarWant.joined_room, humans);
    else if (humans.length) ask(AvatarWant.human_arrived, humans);
  } else if (state === State.idle) {
    if (arrived.length) ask(AvatarWant.human_arrived, humans);
    else if (humans.length && slot.lastSpeechAt > slot.pausedAt) ask(AvatarWant.speech, humans);
  }
}

function ask(why, humans) {
  setState(State.avatar_connecting, { detail: { why } });
  reporter.event(EventKind.avatar_wanted, { why, humans, room: meeting.room });
  awaitAnswer();
}

/** The farm answers with an avatar, a decline or a stop; one that never answers must not leave the page waiting. */
function awaitAnswer() {
  slot.asking = true;
  slot.askedAt = Date.now();
  setTimeout(() => {
    if (slot.asking && Date.now() - slot.askedAt >= policy.ask_again_ms) {
      slot.asking = false;
      if (state === State.avatar_connecting) setState(slot.wasLiveHere ? State.idle : State.in_room);
    }
  }, policy.ask_again_ms);
}

async function sayGoodbye() {
  slot.goodbyeFor = meeting.room;
  const budgetMs = Math.min(GOODBYE_MAX_MS, Math.max(0, meeting.closingSeconds() * 1000 - 2000));
  try {
    if (budgetMs > 0 && policy.goodbye_text) {
      await avatar.say(policy.goodbye_text);
      // Within the host's countdown: wait for the goodbye to be spoken (start, then end).
      const started = Date.now();
      let heard = false;
      while (Date.now() - started < budgetMs && avatar?.ready) {
        if (avatar.talking) heard = true;
        else if (heard || Date.now() - started > 4000) break;
        await sleep(200);
      }
    }
  } catch (error) {
    reporter.event(EventKind.page_error, { message: `goodbye: ${error?.message ?? error}` });
  }
  if (inRoom() && avatarUp()) await release(AvatarRelease.rooms_closing);
}

/** Stop the avatar (billing stops when the farm closes its vendor session); the bot stays where it is. */
async function release(why) {
  if (slot.releasing) return;
  slot.releasing = true;
  slot.asking = false;
  try {
    meeting?.setMicWanted(false);
    bridge.setMicOpen(false);
    await avatar?.stop();
    reporter.event(EventKind.avatar_released, { why, room: meeting?.room ?? null });
    slot.pausedAt = Date.now();
    if (inRoom()) setState(slot.wasLiveHere ? State.idle : State.in_room, { detail: { why } });
  } finally {
    slot.releasing = false;
  }
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Voice activity on the meeting audio: only the room's people (the avatar's own voice is never tapped). */
function listen() {
  const level = bridge.meetingLevel();
  if (level >= policy.vad_level) slot.loudFrames += 1;
  else slot.loudFrames = 0;
  if (slot.loudFrames >= VAD_FRAMES && inRoom()) {
    slot.lastSpeechAt = Date.now();
    if (state === State.idle) consider();
  }
  watchSilence(level >= policy.vad_level);
}

function speakerPresent() {
  const name = meeting?.activeSpeaker?.name?.trim();
  return Boolean(name) && meeting.humans().includes(name);
}

/** A live room whose audio does not flow: say so, rejoin the meeting's audio once, then give up in words. */
function watchSilence(heard) {
  const live = inRoom() && state === State.live && Boolean(avatar?.ready);
  const verdict = silence.observe({
    now: Date.now(),
    live,
    heard,
    // Only a speaker still in the room is evidence: the last one Zoom named may have just left, and their
    // silence is no fault of the audio.
    humanSpokeAt: speakerPresent() ? meeting.humanSpokeAt : 0,
    talking: Boolean(avatar?.talking),
    voiceOut: meeting?.voiceCanLeave() ?? true,
  });
  if (!verdict) return;
  const seconds = Math.round(silence.silentMs / 1000);
  const words =
    verdict === "in"
      ? `Zoom showed ${meeting.activeSpeaker?.name ?? "someone"} speaking, but no meeting audio reached the avatar for ${seconds} s`
      : `the avatar talked for ${seconds} s while Zoom showed the bot ${meeting.currentUser()?.audio ? "muted" : "without computer audio"}`;
  if (slot.silenceRepaired) {
    fail("meeting_audio_silent", words, { direction: verdict });
    return;
  }
  slot.silenceRepaired = true;
  silence.reset(Date.now());
  reporter.event(EventKind.meeting_audio_silent, { direction: verdict, words, repair: "rejoin_audio", room: meeting.room });
  meeting.rejoinAudio();
}

async function loadLiveAvatarSdk() {
  sdkLoading ??= import(config.liveavatar.sdk_url).catch((error) => {
    sdkLoading = null; // the next start tries again, and reports what failed
    throw error;
  });
  sdk = await sdkLoading;
  return sdk;
}

function heartbeatExtras() {
  return {
    state,
    room: meeting?.room ?? null,
    humans_in_room: inRoom() ? slot.roomHumans.length : 0,
    avatar_ready: Boolean(avatar?.ready),
    avatar_talking: Boolean(avatar?.talking),
    avatar_session_id: avatar?.sessionId ?? null,
    muted_by_host: Boolean(meeting?.hostMuted),
    speech_age_s: slot.lastSpeechAt ? Math.round((Date.now() - slot.lastSpeechAt) / 1000) : null,
  };
}

async function main() {
  bridge.configure({
    width: config.compositor.width,
    height: config.compositor.height,
    fps: config.compositor.fps,
    placeholderFps: config.compositor.placeholder_fps,
    professorName: config.professor_name,
    roomName: config.room_name,
    excludeAudioFrom: config.liveavatar.exclude_audio_from ?? [],
  });
  bridge.setMicOpen(false);
  bridge.ensureStarted();
  reporter.start(heartbeatExtras);
  setState(State.starting);
  window.addEventListener("error", (event) => reporter.event(EventKind.page_error, { message: String(event.message) }));
  window.addEventListener("unhandledrejection", (event) =>
    reporter.event(EventKind.page_error, { message: String(event.reason?.message ?? event.reason) }),
  );

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
    onEvent: onMeetingEvent,
    onChange: () => consider(),
  });
  setInterval(listen, VAD_EVERY_MS);
  setInterval(consider, config.zoom.poll_ms ?? 1000);
  await meeting.join();
}

function onMeetingEvent(kind, detail) {
  if (kind === EventKind.meeting_broadcast) {
    reporter.event(kind, detail);
    if (avatar?.ready) Promise.resolve().then(() => avatar.say(`Your professor says: ${detail.message}`)).catch(() => {});
    return;
  }
  if (kind === EventKind.meeting_muted_by_host) bridge.setMicOpen(false);
  reporter.event(kind, detail);
}

function newAvatar() {
  return new LiveAvatar({
    sdk,
    config: config.liveavatar,
    bridge,
    video: /** @type {HTMLVideoElement} */ (document.getElementById("avatar-video")),
    onEvent: (kind, detail) => {
      if (kind === EventKind.transcript && detail.role === "student") {
        detail = { ...detail, speaker: meeting?.speakerName() ?? null };
      }
      reporter.event(kind, detail);
    },
    onDropped: (reason, sessionId) => {
      meeting?.setMicWanted(false);
      bridge.setMicOpen(false);
      // A room without its avatar is not live: it says so (before the drop is reported, so the farm never sees
      // a live room without one) until the farm's new session, its decline or its stop arrives.
      if (inRoom() && state === State.live) {
        setState(State.avatar_connecting, { detail: { why: AvatarWant.dropped } });
        awaitAnswer();
      }
      reporter.event(EventKind.avatar_dropped, { reason, session_id: sessionId });
    },
  });
}

async function goLive(sessionToken) {
  await loadLiveAvatarSdk();
  avatar ??= newAvatar();
  await avatar.start(sessionToken);
  slot.wasLiveHere = true;
  slot.liveSince = Date.now();
  silence.reset(slot.liveSince);
  const hostMuted = Boolean(meeting?.hostMuted);
  bridge.setMicOpen(!hostMuted);
  meeting?.setMicWanted(true);
  setState(State.live, { detail: { muted_by_host: hostMuted } });
}

/**
 * The farm's answer to avatar.wanted: start the avatar (replacing the current one, for new instructions or
 * after a drop). Returns at once; the outcome arrives as avatar.ready or avatar.start_failed.
 */
async function startAvatar({ session_token: sessionToken }) {
  slot.asking = false;
  if (!inRoom() || TERMINAL.has(state) || state === State.leaving) {
    throw new Error("the bot is no longer in its breakout room");
  }
  // A replacement stops the current avatar first: until the new one plays, the room is not live.
  setState(State.avatar_connecting);
  const attempt = ++slot.startAttempt;
  (async () => {
    try {
      if (avatar?.session) await avatar.stop();
      await goLive(sessionToken);
    } catch (error) {
      if (attempt !== slot.startAttempt) return; // replaced meanwhile
      await avatar?.stop();
      reporter.event(EventKind.avatar_start_failed, { message: String(error?.message ?? error).slice(0, 300) });
      slot.declinedUntil = Date.now() + START_RETRY_MS;
      if (inRoom()) setState(slot.wasLiveHere ? State.idle : State.in_room);
      return;
    }
    // Left the room (or the rooms closed) while it connected: let it go at once.
    if (!inRoom()) await release(AvatarRelease.left_room);
  })();
  return { accepted: true };
}

async function declineAvatar({ words = null, retry_after_ms: retryAfterMs = policy.ask_again_ms } = {}) {
  slot.asking = false;
  slot.declinedUntil = Date.now() + retryAfterMs;
  if (state === State.avatar_connecting) setState(slot.wasLiveHere ? State.idle : State.in_room, { detail: { words } });
  return status();
}

async function stopAvatar({ reason = "stopped" } = {}) {
  slot.asking = false;
  slot.startAttempt += 1;
  meeting?.setMicWanted(false);
  bridge.setMicOpen(false);
  await avatar?.stop();
  slot.pausedAt = Date.now();
  if (inRoom() && (state === State.live || state === State.avatar_connecting)) {
    setState(slot.wasLiveHere ? State.idle : State.in_room, { detail: { why: reason } });
  }
  return status();
}

async function knowBots(command = {}) {
  meeting?.setKnownBots(command);
  return status();
}

async function sendChat({ text, to_user_id: toUserId = null }) {
  if (!meeting) throw new Error("the bot is not in the meeting");
  return { sent: await meeting.sendChat(String(text), toUserId ?? undefined) };
}

async function leave() {
  if (TERMINAL.has(state)) return status();
  setState(State.leaving);
  meeting?.setMicWanted(false);
  bridge.setMicOpen(false);
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
    humans: inRoom() ? [...slot.roomHumans] : [],
    known_bots: meeting ? [...meeting.knownBots.userIds] : [],
    releasing: slot.releasing,
    muted_by_host: Boolean(meeting?.hostMuted),
    avatar: { ready: Boolean(avatar?.ready), talking: Boolean(avatar?.talking), session_id: avatar?.sessionId ?? null },
  };
}

function requireAvatar() {
  if (!avatar?.ready) throw new Error("the avatar is not live (it starts when a student is in the room)");
  return avatar;
}

window.avatarfarm = Object.freeze({
  startAvatar,
  declineAvatar,
  stopAvatar,
  say: async (text) => requireAvatar().say(String(text)),
  respond: async (text) => requireAvatar().respond(String(text)),
  interrupt: async () => requireAvatar().interrupt(),
  knowBots,
  sendChat,
  leave,
  status,
  pulse: () => ({ now: Date.now(), last_heartbeat_at: reporter.lastHeartbeatAt }),
});

main().catch((error) => fail("page_error", error?.message ?? String(error)));
