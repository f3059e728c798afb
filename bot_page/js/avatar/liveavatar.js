// LiveAvatar adapter: drives LiveAvatarSession (the real @heygen/liveavatar-web-sdk or the fake's stand-in,
// through the same surface) in FULL mode, with voice chat on the bridge's "Meeting Audio" device, so the
// avatar hears the breakout room. Its stream goes to a muted <video> that the compositor draws and whose
// audio the bridge sends out as the bot's microphone.

import { EventKind } from "../states.js";

const STREAM_READY_TIMEOUT_MS = 45_000;
const KEEP_ALIVE_MS = 60_000;

export class LiveAvatar {
  /**
   * @param {object} options
   * @param {object} options.sdk           the SDK module namespace (LiveAvatarSession, SessionEvent, AgentEventsEnum, …)
   * @param {object} options.config        page config "liveavatar" section
   * @param {object} options.bridge        window.__avatarfarmBridge
   * @param {HTMLVideoElement} options.video
   * @param {(kind: string, detail: object) => void} options.onEvent
   * @param {(reason: string) => void} options.onDropped   the session ended without being asked to
   */
  constructor({ sdk, config, bridge, video, onEvent, onDropped }) {
    this.sdk = sdk;
    this.config = config;
    this.bridge = bridge;
    this.video = video;
    this.onEvent = onEvent;
    this.onDropped = onDropped;
    this.session = null;
    this.talking = false;
    this.ready = false;
    this.keepAliveTimer = null;
    this.stopping = false;
    this.talkingChangedAt = 0;
  }

  get sessionId() {
    return this.session?.sessionId ?? null;
  }

  /** Start a session with `sessionToken`; resolves once its stream plays, rejects with a reason otherwise. */
  async start(sessionToken) {
    const { LiveAvatarSession, SessionEvent, AgentEventsEnum } = this.sdk;
    this.stopping = false;
    this.ready = false;
    const session = new LiveAvatarSession(sessionToken, {
      apiUrl: this.config.api_url,
      voiceChat: { deviceId: this.bridge.devices.meeting.deviceId, mode: "CONVERSATIONAL", defaultMuted: false },
    });
    this.session = session;
    const streamReady = new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("the avatar's stream did not start in time")), STREAM_READY_TIMEOUT_MS);
      session.on(SessionEvent.SESSION_STREAM_READY, () => {
        clearTimeout(timer);
        resolve();
      });
      session.on(SessionEvent.SESSION_DISCONNECTED, (reason) => {
        clearTimeout(timer);
        reject(new Error(`the avatar session disconnected (${reason})`));
      });
    });
    session.on(SessionEvent.SESSION_STATE_CHANGED, (state) => this.onEvent(EventKind.avatar_state, { state }));
    session.on(SessionEvent.SESSION_DISCONNECTED, (reason) => this.disconnected(session, reason));
    session.on(AgentEventsEnum.AVATAR_SPEAK_STARTED, () => this.setTalking(true));
    session.on(AgentEventsEnum.AVATAR_SPEAK_ENDED, () => this.setTalking(false));
    session.on(AgentEventsEnum.USER_SPEAK_STARTED, () => this.onEvent(EventKind.student_speaking, { speaking: true }));
    session.on(AgentEventsEnum.USER_SPEAK_ENDED, () => this.onEvent(EventKind.student_speaking, { speaking: false }));
    session.on(AgentEventsEnum.USER_TRANSCRIPTION, (event) =>
      this.onEvent(EventKind.transcript, { role: "student", text: event?.text ?? "" }),
    );
    session.on(AgentEventsEnum.AVATAR_TRANSCRIPTION, (event) =>
      this.onEvent(EventKind.transcript, { role: "avatar", text: event?.text ?? "" }),
    );
    session.on(AgentEventsEnum.SESSION_STOPPED, (event) =>
      this.onEvent(EventKind.avatar_stopped, { stop_reason: event?.stop_reason ?? null }),
    );
    await session.start();
    await streamReady;
    session.attach(this.video);
    this.video.muted = true;
    this.bridge.setAvatarVideo(this.video);
    await this.video.play().catch(() => {});
    this.bridge.wireAvatarAudio();
    this.ready = true;
    this.keepAliveTimer = setInterval(() => {
      session.keepAlive().catch((error) => this.onEvent(EventKind.avatar_keep_alive_failed, { reason: String(error) }));
    }, this.config.keep_alive_ms ?? KEEP_ALIVE_MS);
    this.onEvent(EventKind.avatar_ready, { session_id: session.sessionId });
  }

  setTalking(talking) {
    this.talking = talking;
    this.talkingChangedAt = Date.now();
    this.onEvent(EventKind.avatar_talking, { talking });
  }

  disconnected(session, reason) {
    if (session !== this.session) return;
    this.clearKeepAlive();
    this.detachMedia();
    const wasReady = this.ready;
    this.ready = false;
    this.talking = false;
    if (!this.stopping && wasReady) this.onDropped(String(reason));
  }

  /** The compositor goes back to its placeholder; the outbound tracks themselves never change. */
  detachMedia() {
    this.bridge.setAvatarVideo(null);
    const stream = this.video.srcObject;
    this.video.srcObject = null;
    if (stream instanceof MediaStream) for (const track of stream.getTracks()) track.stop();
    this.bridge.wireAvatarAudio();
  }

  clearKeepAlive() {
    if (this.keepAliveTimer !== null) clearInterval(this.keepAliveTimer);
    this.keepAliveTimer = null;
  }

  say(text) {
    this.assertReady();
    return this.session.repeat(text);
  }

  respond(text) {
    this.assertReady();
    return this.session.message(text);
  }

  interrupt() {
    this.assertReady();
    this.session.interrupt();
  }

  assertReady() {
    if (!this.ready || !this.session) throw new Error("the avatar is not connected");
  }

  async stop() {
    this.stopping = true;
    this.clearKeepAlive();
    const session = this.session;
    this.ready = false;
    this.detachMedia();
    if (!session) return;
    try {
      await session.stop();
    } catch (error) {
      this.onEvent(EventKind.avatar_stop_failed, { reason: String(error) });
    }
  }
}
