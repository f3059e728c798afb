// LiveAvatar adapter: drives LiveAvatarSession (the real @heygen/liveavatar-web-sdk, in sim and live mode alike:
// only its API base differs) in FULL mode, with voice chat on the bridge's "Meeting Audio" device, so the
// avatar hears the breakout room. Its stream goes to a muted <video> that the compositor draws and whose
// audio the bridge sends out as the bot's microphone. It attaches again on every stream_ready (LiveKit brings
// new tracks after a re-subscription or a reconnect), reports a picture that stops for 3 s (avatar.stalled)
// and a voice chat that never becomes ACTIVE (avatar.deaf). Keep-alive and the final stop are the farm's,
// with the API key: the SDK's keepAlive never reports a failure, and its stop does nothing while connecting.

import { EventKind } from "../states.js";

// The SDK's own budget: 15 s for the socket, 15 s for the peer connection, 30 s for the participants.
const STREAM_READY_TIMEOUT_MS = 75_000;
const VOICE_CHAT_WAIT_MS = 8_000;
const STALL_MS = 3_000;

export class LiveAvatar {
  /**
   * @param {object} options
   * @param {typeof import("@heygen/liveavatar-web-sdk")} options.sdk   the SDK module (its typings are checked by make lint)
   * @param {{api_url: string}} options.config   page config "liveavatar" section
   * @param {AvatarfarmBridge} options.bridge    window.__avatarfarmBridge
   * @param {HTMLVideoElement} options.video
   * @param {(kind: string, detail: object) => void} options.onEvent
   * @param {(reason: string, sessionId: string|null) => void} options.onDropped   it ended without being asked to
   */
  constructor({ sdk, config, bridge, video, onEvent, onDropped }) {
    this.sdk = sdk;
    this.config = config;
    this.bridge = bridge;
    this.video = video;
    this.onEvent = onEvent;
    this.onDropped = onDropped;
    /** @type {import("@heygen/liveavatar-web-sdk").LiveAvatarSession | null} */
    this.session = null;
    this.talking = false;
    this.ready = false;
    this.stallTimer = null;
    this.stalledSince = 0;
    this.stopping = false;
    this.talkingChangedAt = 0;
  }

  get sessionId() {
    return this.session?.sessionId ?? null;
  }

  /** Start a session with `sessionToken`; resolves once its stream plays, rejects with a reason otherwise. */
  async start(sessionToken) {
    const { LiveAvatarSession, SessionEvent, AgentEventsEnum, SessionInteractivityMode } = this.sdk;
    this.stopping = false;
    this.ready = false;
    const session = new LiveAvatarSession(sessionToken, {
      apiUrl: this.config.api_url,
      voiceChat: {
        deviceId: this.bridge.devices.meeting.deviceId,
        mode: SessionInteractivityMode.CONVERSATIONAL,
        defaultMuted: false,
      },
    });
    this.session = session;
    const streamReady = new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("the avatar's stream did not start in time")), STREAM_READY_TIMEOUT_MS);
      session.on(SessionEvent.SESSION_STREAM_READY, () => {
        clearTimeout(timer);
        if (this.ready && session === this.session) this.attach(session); // new tracks: attach them again
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
    this.attach(session);
    this.ready = true;
    this.watchFrames(session);
    this.onEvent(EventKind.avatar_ready, { session_id: session.sessionId });
    this.checkVoiceChat(session);
  }

  attach(session) {
    session.attach(this.video);
    this.video.muted = true;
    this.bridge.setAvatarVideo(null);
    this.bridge.setAvatarVideo(this.video);
    this.video.play().catch(() => {});
    this.bridge.wireAvatarMedia();
  }

  /** A picture that stops for STALL_MS while the avatar is ready is reported (the farm may restart it). */
  watchFrames(session) {
    let lastFrameAt = performance.now();
    const onFrame = () => {
      if (session !== this.session) return;
      lastFrameAt = performance.now();
      if (this.stalledSince) {
        this.stalledSince = 0;
        this.onEvent(EventKind.avatar_stalled, { stalled: false });
      }
      this.video.requestVideoFrameCallback?.(onFrame);
    };
    this.video.requestVideoFrameCallback?.(onFrame);
    this.clearStallWatch();
    this.stallTimer = setInterval(() => {
      if (!this.ready || session !== this.session || this.stalledSince) return;
      if (performance.now() - lastFrameAt > STALL_MS) {
        this.stalledSince = Date.now();
        this.onEvent(EventKind.avatar_stalled, { stalled: true });
      }
    }, 1000);
  }

  /** The avatar hears the room only once its voice chat is ACTIVE; say so when it never gets there. */
  async checkVoiceChat(session) {
    const voiceChat = session.voiceChat;
    if (!voiceChat || voiceChat.state === undefined) return; // an SDK without the state: nothing to check
    const deadline = Date.now() + VOICE_CHAT_WAIT_MS;
    while (Date.now() < deadline && voiceChat.state !== "ACTIVE" && session === this.session) {
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    if (session === this.session && this.ready && voiceChat.state !== "ACTIVE") {
      this.onEvent(EventKind.avatar_deaf, { voice_chat: String(voiceChat.state) });
    }
  }

  clearStallWatch() {
    if (this.stallTimer !== null) clearInterval(this.stallTimer);
    this.stallTimer = null;
    this.stalledSince = 0;
  }

  setTalking(talking) {
    this.talking = talking;
    this.talkingChangedAt = Date.now();
    this.onEvent(EventKind.avatar_talking, { talking });
  }

  disconnected(session, reason) {
    if (session !== this.session) return;
    this.clearStallWatch();
    this.detachMedia();
    const wasReady = this.ready;
    this.ready = false;
    this.talking = false;
    if (!this.stopping && wasReady) this.onDropped(String(reason), session.sessionId ?? null);
  }

  /** The compositor goes back to its placeholder; the outbound tracks themselves never change. */
  detachMedia() {
    this.bridge.setAvatarVideo(null);
    const stream = this.video.srcObject;
    this.video.srcObject = null;
    if (stream instanceof MediaStream) for (const track of stream.getTracks()) track.stop();
    this.bridge.wireAvatarMedia();
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
    this.clearStallWatch();
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
