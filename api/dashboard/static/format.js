// How the dashboard puts things into words and colours: room states, durations, numbers, timeline events.
// Status, reason and event words come from state/vocabulary.py (served as vocabulary.js), shared with the bot page.

import { REASON_WORDS, STATUS_WORDS, STORED_EVENT_WORDS } from "/bot-assets/js/vocabulary.js";

export function statusWords(status) {
  return STATUS_WORDS[status] ?? String(status);
}

/** Whether the room's avatar is in the meeting: an active avatar session whose picture the bot reports ready. */
export function avatarPresent(room) {
  return Boolean(room.avatar_live) && (!room.media || Boolean(room.media.avatar_ready));
}

// Healthy waiting: the bot is where it should be and nothing is billed (no student, or a quiet room).
const WAITING = new Set(["in_main_session", "in_room", "idle"]);

/**
 * green: live with avatar; blue: waiting as it should (main session, empty room, avatar paused);
 * yellow: getting there (joining, connecting, recovering) or live without a picture; red: failed; grey: ended.
 */
export function colourOf(room) {
  if (room.status === "ended") return "grey";
  if (room.status === "failed") return "red";
  if (room.status === "live" && avatarPresent(room)) return "green";
  if (WAITING.has(room.status)) return "blue";
  return "yellow";
}

export function stateLine(room) {
  if (room.status === "live") return avatarPresent(room) ? "Live with avatar" : "Live, no avatar";
  return statusWords(room.status);
}

/** Avatar minutes against minutes in the meeting, and the credits that starting avatars only for students saved. */
export function moneyLine(usage) {
  if (!usage) return "";
  return `${number(usage.minutes)} avatar min of ${number(usage.meeting_minutes)} in the meeting · ${number(usage.credits)} credits (${number(usage.credits_saved)} saved)`;
}

export function reasonWords(room) {
  return room.reason_text || REASON_WORDS[room.reason] || (room.reason ? String(room.reason).replaceAll("_", " ") : "");
}

export function duration(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${rest}` : `${m}:${rest}`;
}

export function timeInRoom(room, now = Date.now()) {
  if (room.status !== "live" || !room.live_since) return "–";
  return duration((now - Date.parse(room.live_since)) / 1000);
}

export function number(value, digits = 1) {
  return Number(value ?? 0).toLocaleString("en", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function clock(iso) {
  const date = new Date(iso);
  return date.toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

export function level(value) {
  return `${Math.round(Math.min(1, Math.max(0, Number(value) || 0)) * 100)} %`;
}

/** Events a professor does not need in the room's timeline (the bot page's console lines). */
export function inTimeline(event) {
  return event.kind !== "bot.page.console";
}

/** One event of the room's timeline in words. */
export function eventWords(event) {
  const d = event.detail ?? {};
  switch (event.kind) {
    case "room.status": {
      const words = `${statusWords(d.status)}${d.previous ? ` (was ${statusWords(d.previous).toLowerCase()})` : ""}`;
      const why = d.reason_text || d.reason;
      return why ? `${words}: ${why}` : words;
    }
    case "room.command":
      return d.command === "say" ? `Command: say “${d.text ?? ""}”` : `Command: ${d.command}`;
    case "room.context_updated":
      return `Instructions updated (${d.characters ?? 0} characters)`;
    case "bot.started":
      return `Bot started (attempt ${d.attempt ?? "?"})`;
    case "bot.ended":
      return `Bot ended${d.reason ? `: ${d.reason}` : ""}`;
    case "avatar.requested":
      return `Avatar requested${d.why === "speech" ? " (someone spoke)" : d.humans?.length ? ` for ${d.humans.join(", ")}` : ""}`;
    case "avatar.released":
      return `Avatar paused: ${d.words ?? d.why ?? ""}`;
    case "avatar.declined":
      return `No avatar started: ${d.words ?? ""}`;
    case "avatar.start_failed":
      return `Avatar did not start: ${d.words ?? ""}`;
    case "bot.meeting.broadcast":
      return `Broadcast from the professor: “${d.message ?? ""}”`;
    case "bot.meeting.muted_by_host":
      return "The host muted the bot";
    case "avatar.started":
      return "Avatar started";
    case "avatar.stopped":
      return `Avatar stopped${d.reason ? `: ${d.reason}` : ""}`;
    case "avatar.dropped":
      return `Avatar dropped${d.reason ? `: ${d.reason}` : ""}; restarting it`;
    case "avatar.restarted":
      return "Avatar restarted";
    case "avatar.refreshed":
      return "Avatar refreshed with the new instructions";
    case "bot.meeting.breakout_joined":
      return `Joined the breakout room${d.room ? ` ${d.room}` : ""}`;
    case "bot.meeting.breakout_refused":
      return `Could not join the breakout room${d.reason ? `: ${d.reason}` : ""}`;
    case "bot.meeting.reconnecting":
      return `Meeting reconnecting${d.reason ? ` (${d.reason})` : ""}`;
    case "bot.page.error":
      return `Bot page error: ${d.message ?? ""}`;
    case "bot.page.console":
      return `Bot console (${d.level ?? "log"}): ${d.text ?? ""}`;
    case "room.restart_skipped":
      return `Restart skipped${d.reason ? `: ${d.reason}` : ""}`;
    case "transcript":
      return `${d.speaker ?? d.role ?? "Someone"}: ${d.text ?? ""}`;
    case "transcript.reconciled":
      return d.added
        ? `Transcript checked against LiveAvatar's: ${d.added} missing line(s) filled in`
        : "Transcript checked against LiveAvatar's: nothing missing";
    case "webhook.given_up":
      return `A ${d.type ?? ""} webhook to ${d.url ?? "a receiver"} was given up after ${d.attempts ?? "?"} attempts: ${d.error ?? ""}`;
    default: {
      const what = STORED_EVENT_WORDS[event.kind] ?? event.kind;
      const why = d.reason_text || d.reason || d.words || d.message;
      return why ? `${what}: ${why}` : what;
    }
  }
}
