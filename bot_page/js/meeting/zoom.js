// Zoom adapter: drives the Meeting SDK's Component View (window.ZoomMtgEmbedded), the real one from our own
// copy of @zoom/meetingsdk or the fake Zoom's stand-in, through the same public surface.
//
// It joins, waits out the waiting room, joins computer audio and starts video by pressing the SDK's own toolbar
// buttons, found by the titles the served bundle draws in each state (TOOLBAR_TITLES), from the SDK's own state
// (getCurrentUser: audio, muted, video), at most once per 5 s per action. It verifies that Zoom reports computer
// audio within `audio_join_ms` (15 s) and otherwise fails with `audio_not_joined`, in words (the farm rejoins
// once). It gets the bot into its breakout room: by accepting the host's assignment (getUserStatus() ===
// "invited" -> joinBreakoutRoom) or, when the host lets participants choose, by asking for the room with the
// bot's room name. Its microphone stays muted unless the bot wants it open (its avatar is live), and once the
// host mutes it, it stays muted until the bot leaves that room. It reports phases, the humans in its current
// room, who Zoom says is speaking, broadcasts, recording (it consents with "Got it", never "Leave Meeting"),
// chat messages written to its room or to it, its own Zoom identity, and failures; it never retries a refusal.
//
// Bots are known by Zoom's identity, never by name (a student may call themselves "… (AI)"): itself by
// getCurrentUser().userId, Zoom-attributed bots by Participant.isBotUser, and the farm's other bots by the user
// ids and participant UUIDs the farm sends (setKnownBots), learned from each bot page's own report.

import { closedReason, EventKind, failReason } from "../states.js";

export const Phase = Object.freeze({
  joining: "joining",
  waiting_room: "waiting_room",
  main: "in_main_session",
  joining_breakout: "joining_breakout",
  breakout: "breakout",
});

// Component View's toolbar titles, from the en-US dictionary compiled into the served @zoom/meetingsdk bundle
// (keys in comments). tests/fakes_zoom/test_toolbar_contract.py resolves each from that bundle's own title
// expressions, state by state, and fails when an SDK upgrade changes one. Buttons are found by title only: the
// audio and video items are icons without text, and the Settings panel has a tab whose text is also "Audio".
export const TOOLBAR_TITLES = Object.freeze({
  audioNotJoined: "Audio", // wc_audio: a meeting participant before computer audio is joined
  webinarJoinAudio: "Join Audio", // toolbar_join_audio: drawn only for a webinar attendee
  muted: "Unmute", // toolbar_unmute: computer audio joined, muted
  unmuted: "Mute", // toolbar_mute: computer audio joined, unmuted
  videoOff: "Start Video", // wc_video.start_video
  videoOn: "Stop Video", // wc_video.stop_video
});
// Component View's recording consent dialog (a role="dialog" popper, portalled to <body>): its heading
// (wc_record_reminder_title) and the button that consents (wc_join_media_preview_info_confirm). The bot consents,
// never "Leave Meeting" (dialog.btn_leaveconf_meeting); until then Zoom keeps it muted with video off.
export const RECORDING_CONSENT = Object.freeze({
  title: "This meeting is being recorded", // wc_record_reminder_title
  consent: "Got it", // wc_join_media_preview_info_confirm
});
const AUDIO_JOIN_MS = 15_000;
// In the main session this long while rooms are open, the bot tells the professor what the host must do.
const UNASSIGNED_NOTICE_MS = 20_000;
const ACTION_EVERY_MS = 5000;
const SELF_SELECT_RETRY_MS = 5000;
const OWN_MUTE_MS = 5000; // a mute seen this soon after we asked for one is ours, not the host's
const ROOM_IN_PROGRESS = 2;
const ROOM_CLOSING = 3;
// getUserStatus() values that mean "in the main session" (undefined means "moving": keep the phase).
const MAIN_STATUSES = new Set(["initial", "main session", "not joined", "leaving", "time up"]);
// The chat receiver id of a message to everyone (the bundle's `All`; tests/fakes_zoom/test_chat_contract.py).
const CHAT_EVERYONE = 0;
const CHAT_MAX_CHARS = 1000;

function sameName(a, b) {
  return String(a ?? "").trim().toLowerCase() === String(b ?? "").trim().toLowerCase();
}

export class ZoomMeeting {
  /**
   * @param {object} options
   * @param {typeof import("@zoom/meetingsdk/embedded").default} options.sdk  window.ZoomMtgEmbedded (real or stand-in)
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
    /** @type {typeof import("@zoom/meetingsdk/embedded").EmbeddedClient | null} */
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
    this.humanSpokeAt = 0; // when Zoom last named a person (not a bot) as the active speaker
    this.audioMissingSince = null; // since when Zoom has shown the bot without computer audio
    this.audioButtonSeen = false;
    this.unassignedSince = null; // since when the bot has waited in the main session while rooms are open
    this.unassignedNoticed = false;
    this.identityKey = null; // the identity last reported
    /** @type {{userIds: Set<number>, uuids: Set<string>}} the farm's bots in this meeting */
    this.knownBots = { userIds: new Set(), uuids: new Set() };
  }

  setPhase(phase, detail = {}) {
    if (this.phase === phase && !detail.force) return;
    const previous = this.phase;
    this.phase = phase;
    if (phase === Phase.main && previous === Phase.breakout) this.hostMuted = false; // a new room, a new chance
    if (phase === Phase.breakout) {
      // In its room at last (asking for a room and being refused does not end the wait).
      this.unassignedSince = null;
      this.unassignedNoticed = false;
    }
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
    client.on("user-added", (payload) => this.onUsers("user-added", payload));
    client.on("user-updated", (payload) => this.onUsers("user-updated", payload));
    client.on("user-removed", (payload) => this.onUsers("user-removed", payload));
    client.on("room-state-change", (payload) => {
      this.breakoutStatus = payload?.status ?? null;
      this.onEvent(EventKind.meeting_breakout_state, { status: this.breakoutStatus });
      this.poll();
      this.onChange();
    });
    client.on("recording-change", (payload) => {
      const status = String(payload); // 'Recording' | 'Paused' | 'Stopped' (RecordingStatus in the typings)
      this.onEvent(EventKind.meeting_recording, { status });
      this.poll();
    });
    client.on("broadcast-message", (payload) => {
      const message = payload?.message ?? "";
      if (String(message).trim()) this.onEvent(EventKind.meeting_broadcast, { message: String(message).trim() });
    });
    client.on("active-speaker", (payload) => {
      const speaker = Array.isArray(payload) ? payload[0] : payload;
      if (speaker?.userId == null) return;
      const name = String(speaker.displayName ?? "");
      // The bot's own voice (its avatar answering) and other bots are never a student's speaker.
      if (this.isBot(this.participant(speaker.userId) ?? { userId: speaker.userId })) return;
      this.activeSpeaker = { userId: speaker.userId, name: name || null };
      this.humanSpokeAt = Date.now();
    });
    client.on("chat-on-message", (payload) => this.onChat(payload));
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
      this.audioMissingSince = null; // moving or failing over: the audio check starts again afterwards
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

  /** Everyone in the bot's current room or session: the SDK lists only that room's participants. */
  attendees() {
    try {
      return this.client?.getAttendeeslist?.() ?? [];
    } catch {
      return [...this.participants.values()];
    }
  }

  participant(userId) {
    return this.attendees().find((p) => p?.userId === userId) ?? this.participants.get(userId) ?? null;
  }

  /** Whether Zoom's identity makes this participant a bot: this one, one Zoom attributes as a bot, or one of
   *  the farm's bots in this meeting. Never the name. */
  isBot(p) {
    if (p?.userId == null) return false;
    if (p.userId === this.currentUser()?.userId || p.isBotUser) return true;
    return this.knownBots.userIds.has(p.userId) || (Boolean(p.participantUUID) && this.knownBots.uuids.has(p.participantUUID));
  }

  /** The farm's bots in this meeting (every bot page's own report of its identity). */
  setKnownBots({ user_ids: userIds = [], participant_uuids: uuids = [] } = {}) {
    this.knownBots = { userIds: new Set(userIds.map(Number)), uuids: new Set(uuids.map(String)) };
    if (this.activeSpeaker && this.isBot(this.participant(this.activeSpeaker.userId) ?? this.activeSpeaker)) {
      this.activeSpeaker = null;
    }
    this.onChange();
  }

  /** The people in the bot's current room or session. */
  humans() {
    return this.attendees()
      .filter((p) => p && !p.isHold && !this.isBot(p))
      .map((p) => String(p.userName ?? p.displayName ?? "").trim())
      .filter(Boolean);
  }

  /** Reports the bot's own Zoom identity once it has one, and again whenever Zoom changes it. */
  reportIdentity(me) {
    if (me?.userId == null) return;
    const identity = { user_id: me.userId, participant_uuid: me.participantUUID || null, is_bot_user: Boolean(me.isBotUser) };
    const key = JSON.stringify(identity);
    if (key === this.identityKey) return;
    this.identityKey = key;
    this.onEvent(EventKind.meeting_identity, identity);
  }

  /** A chat message: one written in the bot's breakout room by a person there, to everyone or to the bot, goes
   *  to the farm (which decides whether it asks the tutor to stop). */
  onChat(payload) {
    const parts = Array.isArray(payload?.message) ? payload.message : [payload?.message ?? ""];
    const text = parts.map(String).join(" ").trim();
    const sender = payload?.sender;
    const me = this.currentUser();
    if (!text || sender?.userId == null || !me || this.phase !== Phase.breakout) return;
    if (this.isBot(this.participant(sender.userId) ?? { userId: sender.userId })) return;
    const to = payload?.receiver?.userId;
    if (to !== CHAT_EVERYONE && to !== me.userId) return;
    this.onEvent(EventKind.meeting_chat, {
      message: text.slice(0, CHAT_MAX_CHARS),
      sender: String(sender.name ?? "").slice(0, 200),
      sender_id: sender.userId,
      to_bot: to === me.userId,
      room: this.room,
    });
  }

  /** Writes in the meeting's chat (to one participant, or everyone in the bot's room); false when Zoom refused. */
  async sendChat(text, userId = undefined) {
    try {
      await this.client?.sendChat(String(text), userId);
      return true;
    } catch (error) {
      this.onEvent(EventKind.page_error, { message: `sendChat: ${error?.reason ?? error?.message ?? error}` });
      return false;
    }
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

  /** A visible, enabled toolbar button with exactly this title (its aria-label, where it has one, is the same). */
  findButton(title) {
    for (const element of this.root.querySelectorAll("button")) {
      if (element.title !== title || element.disabled) continue;
      if (element.offsetParent !== null || element.getClientRects().length) return element;
    }
    return null;
  }

  pressButton(title) {
    const button = this.findButton(title);
    if (!button) return false;
    button.click();
    this.onEvent(EventKind.meeting_button, { label: title });
    return true;
  }

  /** Presses whichever button joins computer audio in this state; false when the toolbar shows none. */
  pressJoinAudio() {
    const pressed = this.pressButton(TOOLBAR_TITLES.audioNotJoined) || this.pressButton(TOOLBAR_TITLES.webinarJoinAudio);
    this.audioButtonSeen ||= pressed;
    return pressed;
  }

  /** Zoom must show computer audio within audio_join_ms of the bot being without it; else fail in words. */
  checkAudio(me) {
    const now = Date.now();
    if (me.audio) {
      if (this.audioMissingSince !== null) this.onEvent(EventKind.meeting_audio_joined, { audio: me.audio });
      this.audioMissingSince = null;
      return;
    }
    this.audioMissingSince ??= now;
    const limit = this.config.audio_join_ms ?? AUDIO_JOIN_MS;
    if (now - this.audioMissingSince < limit) return;
    const seconds = Math.round(limit / 1000);
    const words = this.audioButtonSeen
      ? `Zoom did not connect computer audio within ${seconds} s of pressing "${TOOLBAR_TITLES.audioNotJoined}"`
      : `Zoom's toolbar showed no "${TOOLBAR_TITLES.audioNotJoined}" button to join computer audio within ${seconds} s`;
    this.fail("audio_not_joined", words, { button_seen: this.audioButtonSeen });
  }

  /** Whether the avatar's voice can leave through Zoom: computer audio joined and unmuted, or muted by the host
   *  (which the bot respects), or not wanted. */
  voiceCanLeave() {
    const me = this.currentUser();
    if (!me || !this.micWanted || this.hostMuted) return true;
    return Boolean(me.audio) && !me.muted;
  }

  /** Leaves computer audio and joins it again (a repair when audio looks joined but does not flow). */
  async rejoinAudio() {
    try {
      await this.client.stopAudio();
    } catch (error) {
      this.onEvent(EventKind.page_error, { message: `stopAudio: ${error?.reason ?? error?.message ?? error}` });
    }
    this.actedAt.delete("join_audio");
    this.ensureMedia();
  }

  /** The "Got it" button of Zoom's recording consent dialog, when it shows. */
  consentButton() {
    for (const dialog of document.querySelectorAll("[role='dialog']")) {
      if (!dialog.textContent.includes(RECORDING_CONSENT.title)) continue;
      const button = [...dialog.querySelectorAll("button")].find(
        (b) => b.textContent.trim() === RECORDING_CONSENT.consent && !b.disabled,
      );
      if (button) return button;
    }
    return null;
  }

  consentToRecording() {
    const button = this.consentButton();
    if (!button) return;
    this.act("recording_consent", () => {
      button.click();
      this.onEvent(EventKind.meeting_button, { label: RECORDING_CONSENT.consent });
      this.onEvent(EventKind.meeting_recording, { status: "Recording", consented: true });
      return true;
    });
  }

  ensureMedia() {
    const me = this.currentUser();
    if (!me || me.isHold || this.closed) {
      this.audioMissingSince = null;
      return;
    }
    if (!me.audio) this.act("join_audio", () => this.pressJoinAudio());
    if (!me.video) this.act("start_video", () => this.pressButton(TOOLBAR_TITLES.videoOff));
    this.checkAudio(me);
    if (!me.audio || this.closed) return;
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
        return this.pressButton(TOOLBAR_TITLES.muted) || this.setMute(false);
      });
    } else if (!this.micWanted && !muted) {
      this.act("mute", () => {
        this.ownMuteAt = Date.now();
        return this.pressButton(TOOLBAR_TITLES.unmuted) || this.setMute(true);
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
    this.reportIdentity(me);
    if (me?.isHold) {
      this.setPhase(Phase.waiting_room);
      return;
    }
    this.consentToRecording();
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
      this.noticeUnassigned();
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

  /** Rooms open, the bot still in the main session: once per wait, say in words what the host must do. Zoom
   *  never applies pre-assigned rooms to SDK participants, and a relaunched bot comes back unassigned. */
  noticeUnassigned() {
    if (this.breakoutRoomStatus() !== ROOM_IN_PROGRESS) {
      this.unassignedSince = null;
      return;
    }
    const now = Date.now();
    this.unassignedSince ??= now;
    const after = this.config.unassigned_notice_ms ?? UNASSIGNED_NOTICE_MS;
    if (this.unassignedNoticed || now - this.unassignedSince < after) return;
    this.unassignedNoticed = true;
    const room = this.config.breakout_room;
    const bot = this.config.user_name;
    const selfSelect = Boolean(this.safe(() => this.client.getBreakoutRoomOptions())?.isRoomSelectionEnabled);
    const rooms = this.safe(() => this.client.getBreakoutRoomList()) ?? [];
    const listed = rooms.some((r) => sameName(r.name ?? r.roomName, room));
    let words;
    if (!listed) {
      words = `The breakout rooms are open, but none is called "${room}". In Zoom, the host must add a room named "${room}" and assign "${bot}" to it.`;
    } else if (selfSelect) {
      words = `The breakout rooms are open and participants may choose, but Zoom has not let "${bot}" into "${room}" (a host must be in the meeting). In Zoom, the host can assign it to "${room}" (Breakout Rooms, Assign).`;
    } else {
      words = `The breakout rooms are open, but "${bot}" waits in the main session: Zoom never applies pre-assigned rooms to a bot, and a bot that rejoined comes back unassigned. In Zoom, the host must assign it to "${room}" (Breakout Rooms, Assign), or let participants choose their room (Breakout Rooms, Options, "Allow participants to choose room").`;
    }
    this.onEvent(EventKind.meeting_unassigned, { room, words, self_select: selfSelect, room_listed: listed });
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
