// Zoom adapter: drives the Meeting SDK's Component View (window.ZoomMtgEmbedded), the real one from our own
// copy of @zoom/meetingsdk or the fake Zoom's stand-in, through the same public surface.
//
// It joins, waits out the waiting room, presses the SDK's own "Join Audio" / "Start Video" buttons (the
// Component View has no API for media), and gets the bot into its breakout room: by accepting the host's
// assignment (getUserStatus() === "invited" -> joinBreakoutRoom) or, when the host lets participants choose,
// by asking for the room with the bot's room name. It reports phases and failures; it never retries a refusal.

import { closedReason, failReason } from "../states.js";

export const Phase = Object.freeze({
  joining: "joining",
  waiting_room: "waiting_room",
  main: "in_main_session",
  joining_breakout: "joining_breakout",
  breakout: "breakout",
});

const BUTTON_LABELS = { audio: "Join Audio", video: "Start Video" };
const SELF_SELECT_RETRY_MS = 5000;
const ROOM_IN_PROGRESS = 2;

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
   */
  constructor({ sdk, root, config, onPhase, onFailure, onEvent }) {
    this.sdk = sdk;
    this.root = root;
    this.config = config;
    this.onPhase = onPhase;
    this.onFailure = onFailure;
    this.onEvent = onEvent;
    this.client = null;
    this.phase = null;
    this.room = null;
    this.connected = false;
    this.closed = false;
    this.pollTimer = null;
    this.selfSelectAt = 0;
    this.joiningRoom = false;
    this.participants = new Map();
  }

  setPhase(phase, detail = {}) {
    if (this.phase === phase && !detail.force) return;
    this.phase = phase;
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
      this.onEvent("meeting.breakout_state", { status: payload?.status ?? null });
      this.poll();
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
    this.onEvent("meeting.connection", { state, reason: reason ?? null, errorCode: errorCode ?? null });
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
      } else {
        this.onEvent("meeting.reconnecting", { reason: reason ?? null });
      }
    }
  }

  onUsers(name, payload) {
    const users = Array.isArray(payload) ? payload : payload ? [payload] : [];
    for (const user of users) {
      if (user == null || user.userId == null) continue;
      if (name === "user-removed") this.participants.delete(user.userId);
      else this.participants.set(user.userId, { ...(this.participants.get(user.userId) ?? {}), ...user });
    }
  }

  /** People in the bot's room other than itself (the SDK lists the current room's participants). */
  humans() {
    const me = this.currentUser();
    let list = [];
    try {
      list = this.client?.getAttendeeslist?.() ?? [];
    } catch {
      list = [...this.participants.values()];
    }
    return list.filter((p) => p && p.userId !== me?.userId && !p.isBotUser && !p.isHold).length;
  }

  currentUser() {
    try {
      return this.client?.getCurrentUser?.() ?? null;
    } catch {
      return null;
    }
  }

  startPolling() {
    this.stopPolling();
    this.pollTimer = setInterval(() => this.poll(), this.config.poll_ms ?? 1000);
  }

  stopPolling() {
    if (this.pollTimer !== null) clearInterval(this.pollTimer);
    this.pollTimer = null;
  }

  pressButton(label) {
    const wanted = label.toLowerCase();
    const candidates = this.root.querySelectorAll("button, [role='button']");
    for (const element of candidates) {
      const names = [element.getAttribute("aria-label"), element.getAttribute("title"), element.textContent];
      if (names.some((n) => n && n.trim().toLowerCase() === wanted) && !element.disabled) {
        element.click();
        this.onEvent("meeting.button", { label });
        return true;
      }
    }
    return false;
  }

  ensureMedia() {
    this.pressButton(BUTTON_LABELS.audio);
    this.pressButton(BUTTON_LABELS.video);
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
      const current = this.safe(() => this.client.getCurrentBreakoutRoom()) ?? {};
      const name = current.name ?? current.roomName ?? null;
      if (this.phase !== Phase.breakout || this.room !== name) {
        this.room = name;
        this.setPhase(Phase.breakout, { force: true });
      }
    } else if (status === "invited") {
      this.joinAssigned();
    } else if (status === "joining") {
      this.setPhase(Phase.joining_breakout);
    } else {
      this.room = null;
      this.setPhase(Phase.main);
      this.trySelfSelect();
    }
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
      this.onEvent("meeting.breakout_joined", { how, room_id: roomId });
    } catch (error) {
      const words = error?.reason ?? error?.message ?? String(error);
      this.onEvent("meeting.breakout_refused", { how, reason: words });
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
      this.onEvent("meeting.leave_failed", { reason: error?.reason ?? String(error) });
    }
  }
}
