// Zoom adapter: drives the Meeting SDK's Component View (window.ZoomMtgEmbedded), the real one from our own
// copy of @zoom/meetingsdk or the fake Zoom's stand-in, through the same public surface.
//
// It joins, waits out the waiting room, presses the SDK's own "Join Audio" / "Start Video" / "Mute" /
// "Unmute" buttons from the SDK's own state (getCurrentUser: audio, muted, video), at most once per 5 s per
// action and inside the "More" menu when a button lives there, and gets the bot into its breakout room: by
// accepting the host's assignment (getUserStatus() === "invited" -> joinBreakoutRoom) or, when the host lets
// participants choose, by asking for the room with the bot's room name. Its microphone stays muted unless the
// bot wants it open (its avatar is live), and once the host mutes it, it stays muted until the bot leaves
// that room. It reports phases, the humans in its current room, broadcasts and failures; it never retries a
// refusal.

import { closedReason, EventKind, failReason } from "../states.js";

export const Phase = Object.freeze({
  joining: "joining",
  waiting_room: "waiting_room",
  main: "in_main_session",
  joining_breakout: "joining_breakout",
  breakout: "breakout",
});

const LABELS = { joinAudio: "Join Audio", startVideo: "Start Video", mute: "Mute", unmute: "Unmute", more: "More" };
const ACTION_EVERY_MS = 5000;
const SELF_SELECT_RETRY_MS = 5000;
const OWN_MUTE_MS = 5000; // a mute seen this soon after we asked for one is ours, not the host's
const ROOM_IN_PROGRESS = 2;
const ROOM_CLOSING = 3;
// getUserStatus() values that mean "in the main session" (undefined means "moving": keep the phase).
const MAIN_STATUSES = new Set(["initial", "main session", "not joined", "leaving", "time up"]);
// Our own bots (and other AI tutors) never count as people in the room.
const BOT_NAME = /\(AI\)(\s|$)/;

function sameName(a, b) {
  return String(a ?? "").trim().toLowerCase() === String(b ?? "").trim().toLowerCase();
}

export class ZoomMeeting {
  /**
   * @param {object} options
   * @param {object} options.sdk           window.ZoomMtgEmbedded (real or stand-in)
   * @param {HTMLElement} options.root     the zoomAppRoot element
   * @param {object} options.config        page config "zoom" section
   * @param {(phase: string, detail: object) => void} options.onPhase
   * @param {(reason: string, words: string, detail: object) => void} options.onFailure
   * @param {(kind: string, detail: object) => void} options.onEvent
   * @param {() => void} [options.onChange]   the room's people or the breakout status changed
   */
  constructor({ sdk, root, config, onPhase, onFailure, onEvent, onChange = () => {} }) {
    this.sdk = sdk;
    this.root = root;
    this.config = config;
    this.onPhase = onPhase;
    this.onFailure = onFailure;
    this.onEvent = onEvent;
    this.onChange = onChange;
    this.client = null;
    this.phase = null;
    this.room = null;
    this.connected = false;
    this.closed = false;
    this.pollTimer = null;
    this.selfSelectAt = 0;
    this.joiningRoom = false;
    this.participants = new Map();
    this.actedAt = new Map();
    this.micWanted = false;
    this.ownMuteAt = 0;
    this.unmuteAskedAt = 0;
    this.lastMuted = null;
    this.hostMuted = false;
    this.breakoutStatus = null;
    this.activeSpeaker = null;
  }

  setPhase(phase, detail = {}) {
    if (this.phase === phase && !detail.force) return;
    const previous = this.phase;
    this.phase = phase;
    if (phase === Phase.main && previous === Phase.breakout) this.hostMuted = false; // a new room, a new chance
    this.onPhase(phase, { room: this.room, ...detail });
  }

  fail(reason, words, detail = {}) {
    if (this.closed) return;
    this.closed = true;
    this.stopPolling();
    this.onFailure(reason, words, detail);
  }

  async join() {
    const client = this.sdk.createClient();
    this.client = client;
    const cfg = this.config;
    try {
      await client.init({
        zoomAppRoot: this.root,
        assetPath: cfg.asset_path || undefined,
        language: cfg.language || "en-US",
        patchJsMedia: false,
        leaveOnPageUnload: true,
        customize: { video: { isResizable: false } },
      });
    } catch (error) {
      this.fail(error?.type === "INVALID_OPERATION" ? "platform_unsupported" : "meeting_error", error?.reason ?? String(error));
      return false;
    }
    // The real SDK accepts listeners only after init().
    client.on("connection-change", (payload) => this.onConnectionChange(payload ?? {}));
    for (const name of ["user-added", "user-updated", "user-removed"]) {
      client.on(name, (payload) => this.onUsers(name, payload));
    }
    client.on("room-state-change", (payload) => {
      this.breakoutStatus = payload?.status ?? null;
      this.onEvent(EventKind.meeting_breakout_state, { status: this.breakoutStatus });
      this.poll();
      this.onChange();
    });
    client.on("broadcast-message", (payload) => {
      const message = typeof payload === "string" ? payload : (payload?.message ?? payload?.content ?? "");
      if (String(message).trim()) this.onEvent(EventKind.meeting_broadcast, { message: String(message).trim() });
    });
    client.on("active-speaker", (payload) => {
      const speaker = Array.isArray(payload) ? payload[0] : payload;
      if (speaker?.userId == null) return;
      const name = String(speaker.displayName ?? speaker.userName ?? "");
      // The bot's own voice (its avatar answering) and other AI tutors are never a student's speaker.
      if (speaker.userId === this.currentUser()?.userId || BOT_NAME.test(name)) return;
      this.activeSpeaker = { userId: speaker.userId, name: name || null };
    });
    this.setPhase(Phase.joining);
    const options = {
      signature: cfg.signature,
      meetingNumber: cfg.meeting_number,
      userName: cfg.user_name,
      password: cfg.password ?? "",
    };
    if (cfg.user_email) options.userEmail = cfg.user_email;
    if (cfg.obf_token) options.obfToken = cfg.obf_token;
    else if (cfg.zak) options.zak = cfg.zak;
    try {
      await client.join(options);
    } catch (error) {
      // connection-change "Fail" usually arrives too; whichever comes first decides the reason.
      const words = error?.reason ?? error?.message ?? String(error);
      this.fail(failReason({ errorCode: error?.errorCode, reason: words }), words, { type: error?.type ?? null });
      return false;
    }
    this.connected = true;
    this.startPolling();
    this.poll();
    return true;
  }

  onConnectionChange(payload) {
    const { state, reason, errorCode } = payload;
    this.onEvent(EventKind.meeting_connection, { state, reason: reason ?? null, errorCode: errorCode ?? null });
    if (state === "Connected") {
      this.connected = true;
      this.poll();
    } else if (state === "Fail") {
      this.fail(failReason({ errorCode, reason }), reason ?? "", { errorCode: errorCode ?? null });
    } else if (state === "Closed") {
      this.fail(closedReason(reason), reason ?? "", { closed: true });
    } else if (state === "Reconnecting") {
      if (reason === "on hold") {
        this.setPhase(Phase.waiting_room);
      } else if (reason === "failover") {
        this.onEvent(EventKind.meeting_reconnecting, { reason });
      }
      // Moves between rooms ("join breakout room", "back to main session", …) are followed by polling.
    }
  }

  onUsers(name, payload) {
    const users = Array.isArray(payload) ? payload : payload ? [payload] : [];
    for (const user of users) {
      if (user == null || user.userId == null) continue;
      if (name === "user-removed") this.participants.delete(user.userId);
      else this.participants.set(user.userId, { ...(this.participants.get(user.userId) ?? {}), ...user });
    }
    this.onChange();
  }

  /** The people in the bot's current room or session: the SDK lists only that room's participants. */
  humans() {
    const me = this.currentUser();
    let list;
    try {
      list = this.client?.getAttendeeslist?.() ?? [];
    } catch {
      list = [...this.participants.values()];
    }
    return list
      .filter((p) => p && p.userId !== me?.userId && !p.isBotUser && !p.isHold)
      .filter((p) => !BOT_NAME.test(String(p.userName ?? p.displayName ?? "")))
      .map((p) => String(p.userName ?? p.displayName ?? "").trim())
      .filter(Boolean);
  }

  /** The meeting name of the student who spoke (for transcripts): the only person in the room, else the last
   *  person the SDK named as the active speaker. */
  speakerName() {
    const humans = this.phase === Phase.breakout ? this.humans() : [];
    if (humans.length === 1) return humans[0];
    return this.activeSpeaker?.name ?? null;
  }

  currentUser() {
    try {
      return this.client?.getCurrentUser?.() ?? null;
    } catch {
      return null;
    }
  }

  /** Seconds the host gave the rooms to close (the SDK's own countdown), when known. */
  closingSeconds() {
    const options = this.safe(() => this.client.getBreakoutRoomOptions()) ?? {};
    const wait = Number(options.waitSeconds);
    return Number.isFinite(wait) && wait >= 0 ? wait : 60;
  }

  breakoutRoomStatus() {
    return this.breakoutStatus ?? this.safe(() => this.client.getBreakoutRoomStatus());
  }

  roomsClosing() {
    return this.breakoutRoomStatus() === ROOM_CLOSING;
  }

  /** Rooms open and not closing: the only time an avatar may be asked for. */
  roomsOpen() {
    return this.breakoutRoomStatus() === ROOM_IN_PROGRESS;
  }

  /** Whether the bot's microphone should be open in the meeting (only while its avatar is live). */
  setMicWanted(open) {
    this.micWanted = Boolean(open);
    this.unmuteAskedAt = 0;
    this.ensureMedia();
  }

  startPolling() {
    this.stopPolling();
    this.pollTimer = setInterval(() => this.poll(), this.config.poll_ms ?? 1000);
  }

  stopPolling() {
    if (this.pollTimer !== null) clearInterval(this.pollTimer);
    this.pollTimer = null;
  }

  /** Runs `fn` for `action` at most once every ACTION_EVERY_MS; true when it ran and did something. */
  act(action, fn) {
    const now = Date.now();
    if (now - (this.actedAt.get(action) ?? -Infinity) < ACTION_EVERY_MS) return false;
    this.actedAt.set(action, now);
    return fn();
  }

  findButton(label) {
    const wanted = label.toLowerCase();
    const candidates = this.root.querySelectorAll("button, [role='button'], [role='menuitem']");
    for (const element of /** @type {NodeListOf<HTMLButtonElement>} */ (candidates)) {
      const names = [element.getAttribute("aria-label"), element.getAttribute("title"), element.textContent];
      if (names.some((n) => n && n.trim().toLowerCase() === wanted) && !element.disabled) {
        if (element.offsetParent !== null || element.getClientRects().length) return element;
      }
    }
    return null;
  }

  pressButton(label) {
    let button = this.findButton(label);
    if (!button) {
      // Narrow layouts keep some buttons inside "More": open it and look again.
      const more = this.findButton(LABELS.more);
      if (!more) return false;
      if (more.getAttribute("aria-expanded") !== "true") more.click();
      button = this.findButton(label);
      if (!button) return false;
    }
    button.click();
    this.onEvent(EventKind.meeting_button, { label });
    return true;
  }

  ensureMedia() {
    const me = this.currentUser();
    if (!me || me.isHold || this.closed) return;
    if (!me.audio) this.act("join_audio", () => this.pressButton(LABELS.joinAudio));
    if (!me.video) this.act("start_video", () => this.pressButton(LABELS.startVideo));
    if (!me.audio) return;
    const muted = Boolean(me.muted);
    if (this.lastMuted === false && muted && !this.hostMuted && Date.now() - this.ownMuteAt > OWN_MUTE_MS) {
      // Unmuted a moment ago, muted now, and not by us: the host did it. Never fight it.
      this.hostMuted = true;
      this.onEvent(EventKind.meeting_muted_by_host, { room: this.room });
    }
    this.lastMuted = muted;
    if (!muted) this.unmuteAskedAt = 0;
    if (this.micWanted && muted && !this.hostMuted && this.unmuteAskedAt && Date.now() - this.unmuteAskedAt > ACTION_EVERY_MS) {
      // We asked to unmute and are still (or again) muted: the host muted us, or does not let us unmute.
      this.hostMuted = true;
      this.onEvent(EventKind.meeting_muted_by_host, { room: this.room });
    }
    if (this.micWanted && muted && !this.hostMuted) {
      this.act("unmute", () => {
        this.unmuteAskedAt ||= Date.now();
        return this.pressButton(LABELS.unmute) || this.setMute(false);
      });
    } else if (!this.micWanted && !muted) {
      this.act("mute", () => {
        this.ownMuteAt = Date.now();
        return this.pressButton(LABELS.mute) || this.setMute(true);
      });
    }
  }

  setMute(mute) {
    try {
      Promise.resolve(this.client.mute(mute)).catch(() => {});
      return true;
    } catch {
      return false;
    }
  }

  poll() {
    if (this.closed || !this.connected || !this.client) return;
    const me = this.currentUser();
    if (me?.isHold) {
      this.setPhase(Phase.waiting_room);
      return;
    }
    this.ensureMedia();
    let status;
    try {
      status = this.client.getUserStatus();
    } catch {
      return;
    }
    if (status === "in room") {
      const current = this.safe(() => this.client.getCurrentBreakoutRoom());
      if (current == null) return; // moving between rooms: keep the phase
      const name = current.name ?? current.roomName ?? null;
      if (this.phase !== Phase.breakout || this.room !== name) {
        this.room = name;
        this.setPhase(Phase.breakout, { force: true });
      }
    } else if (status === "invited") {
      this.joinAssigned();
    } else if (status === "joining") {
      this.setPhase(Phase.joining_breakout);
    } else if (MAIN_STATUSES.has(status)) {
      this.room = null;
      this.setPhase(Phase.main);
      this.trySelfSelect();
    }
    // Anything else (undefined while moving, an unknown word): keep the phase until the SDK knows.
  }

  safe(fn) {
    try {
      return fn();
    } catch {
      return null;
    }
  }

  async joinRoom(roomId, how) {
    if (this.joiningRoom) return;
    this.joiningRoom = true;
    this.setPhase(Phase.joining_breakout, { how });
    try {
      await this.client.joinBreakoutRoom(roomId);
      this.onEvent(EventKind.meeting_breakout_joined, { how, room_id: roomId });
    } catch (error) {
      const words = error?.reason ?? error?.message ?? String(error);
      this.onEvent(EventKind.meeting_breakout_refused, { how, reason: words });
      this.setPhase(Phase.main);
    } finally {
      this.joiningRoom = false;
      this.poll();
    }
  }

  joinAssigned() {
    const assigned = this.safe(() => this.client.getCurrentBreakoutRoom());
    if (assigned?.roomId) this.joinRoom(assigned.roomId, "assigned");
  }

  trySelfSelect() {
    const now = Date.now();
    if (this.joiningRoom || now - this.selfSelectAt < SELF_SELECT_RETRY_MS) return;
    if (this.safe(() => this.client.getBreakoutRoomStatus()) !== ROOM_IN_PROGRESS) return;
    const rooms = this.safe(() => this.client.getBreakoutRoomList()) ?? [];
    const mine = rooms.find((room) => sameName(room.name ?? room.roomName, this.config.breakout_room));
    if (!mine) return;
    this.selfSelectAt = now;
    this.joinRoom(mine.roomId, "self-select");
  }

  async leave() {
    this.stopPolling();
    if (!this.client || this.closed) return;
    this.closed = true;
    try {
      await this.client.leaveMeeting();
    } catch (error) {
      this.onEvent(EventKind.meeting_leave_failed, { reason: error?.reason ?? String(error) });
    }
  }
}
