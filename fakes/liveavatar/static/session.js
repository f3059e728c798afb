// LiveAvatarSession: the real SDK's class and behaviour (LiveAvatarSession.js of 0.0.18), with the LiveKit room
// replaced by fakes/liveavatar's media channel and an avatar rendered in the page.

import { AvatarRenderer } from "./avatar-renderer.js";
import { SessionAPIClient } from "./api-client.js";
import { EventEmitter } from "./emitter.js";
import {
  AgentEventsEnum,
  CommandEventsEnum,
  ConnectionQuality,
  SessionDisconnectReason,
  SessionEvent,
  SessionMode,
  SessionState,
} from "./enums.js";
import { MediaChannel } from "./media-channel.js";
import { parseAgentTypeFromToken, parseSessionModeFromToken } from "./token.js";
import { VoiceChat } from "./voice-chat.js";

const AGENT_EVENTS = new Set(Object.values(AgentEventsEnum));

// getAgentEventEmitArgs of the real SDK: the payload fields each agent event carries.
function agentEventPayload(event) {
  const payload = {
    event_id: event.event_id,
    event_type: event.event_type,
    source_event_id: event.source_event_id,
    session_id: event.session_id,
  };
  switch (event.event_type) {
    case AgentEventsEnum.USER_TRANSCRIPTION:
    case AgentEventsEnum.USER_TRANSCRIPTION_CHUNK:
    case AgentEventsEnum.AVATAR_TRANSCRIPTION:
    case AgentEventsEnum.AVATAR_TRANSCRIPTION_CHUNK:
      return { ...payload, text: event.text };
    case AgentEventsEnum.ELEVENLABS_AGENT_EVENT:
      return { ...payload, elevenlabs_event_type: event.elevenlabs_event_type, data: event.data };
    case AgentEventsEnum.SESSION_STOPPED:
      return { ...payload, stop_reason: event.stop_reason };
    default:
      return payload;
  }
}

// livekit-client's attachToElement: one MediaStream holding the video and the audio track on the element.
function attachToElement(track, element) {
  const stream = element.srcObject instanceof MediaStream ? element.srcObject : new MediaStream();
  const existing = track.kind === "audio" ? stream.getAudioTracks() : stream.getVideoTracks();
  if (!existing.includes(track)) {
    existing.forEach((old) => stream.removeTrack(old));
    stream.addTrack(track);
  }
  element.autoplay = true;
  element.muted = stream.getAudioTracks().length === 0;
  if (typeof HTMLVideoElement !== "undefined" && element instanceof HTMLVideoElement) element.playsInline = true;
  if (element.srcObject !== stream) element.srcObject = stream;
}

export class LiveAvatarSession extends EventEmitter {
  constructor(sessionAccessToken, config) {
    super();
    this._sessionInfo = null;
    this._sessionEventSocket = null;
    this._state = SessionState.INACTIVE;
    this._remoteAudioTrack = null;
    this._remoteVideoTrack = null;
    this._mode = parseSessionModeFromToken(sessionAccessToken);
    this._agentType = parseAgentTypeFromToken(sessionAccessToken);
    this._connectionQuality = ConnectionQuality.UNKNOWN;
    this._channel = null;
    this._renderer = null;
    this._internal = new EventEmitter();
    this.config = config ?? {};
    this.sessionClient = new SessionAPIClient(sessionAccessToken, this.config.apiUrl);
    this._voiceChat = new VoiceChat({
      isConnected: () => this._channel !== null && this._channel.open,
      sendJson: (message) => this._channel?.sendJson(message),
      sendBinary: (data) => this._channel?.sendBinary(data),
      events: this._internal,
    });
    if (this.config.voiceChat && typeof this.config.voiceChat === "object" && this.config.voiceChat.mode) {
      this._voiceChat.setMode(this.config.voiceChat.mode);
    }
  }

  get state() {
    return this._state;
  }

  set state(state) {
    if (this._state === state) return;
    this._state = state;
    this.emit(SessionEvent.SESSION_STATE_CHANGED, state);
  }

  get mode() {
    return this._mode;
  }

  get agentType() {
    return this._agentType;
  }

  get sessionId() {
    return this._sessionInfo?.session_id ?? null;
  }

  get connectionQuality() {
    return this._connectionQuality;
  }

  get voiceChat() {
    return this._voiceChat;
  }

  get maxSessionDuration() {
    return this._sessionInfo?.max_session_duration ?? null;
  }

  async start() {
    if (this.state !== SessionState.INACTIVE) {
      console.warn("Session is already started");
      return;
    }
    try {
      this.state = SessionState.CONNECTING;
      this._sessionInfo = await this.sessionClient.startSession();
      const mediaUrl = this._sessionInfo.media_url;
      if (!mediaUrl) {
        throw new Error("The start response has no media_url: is apiUrl pointing at fakes/liveavatar?");
      }
      await this.connectMedia(mediaUrl);
      if (this._sessionInfo.ws_url) {
        await this.connectWebSocket(this._sessionInfo.ws_url);
        this.setupWebSocketManagement();
      }
      await this.configureSession();
      this.state = SessionState.CONNECTED;
      this.setConnectionQuality(ConnectionQuality.GOOD);
      // In the real SDK this fires when the avatar participant's video and audio tracks are subscribed.
      setTimeout(() => {
        if (this.state === SessionState.CONNECTED) this.emit(SessionEvent.SESSION_STREAM_READY);
      }, 0);
    } catch (error) {
      console.error("Session start failed:", error);
      this.cleanup();
      this.postStop(SessionDisconnectReason.SESSION_START_FAILED);
      throw error;
    }
  }

  async stop() {
    if (!this.assertConnected()) return;
    this.state = SessionState.DISCONNECTING;
    this.cleanup();
    this.postStop(SessionDisconnectReason.CLIENT_INITIATED);
  }

  async keepAlive() {
    if (!this.assertConnected()) return;
    this.sessionClient.keepAlive().catch((error) => console.error("Session keep alive error on server:", error));
  }

  attach(element) {
    if (!this._remoteVideoTrack || !this._remoteAudioTrack) {
      console.warn("Stream is not yet ready");
      return;
    }
    attachToElement(this._remoteVideoTrack, element);
    attachToElement(this._remoteAudioTrack, element);
  }

  message(message) {
    return this.command(CommandEventsEnum.AVATAR_SPEAK_RESPONSE, { text: message });
  }

  repeat(message) {
    return this.command(CommandEventsEnum.AVATAR_SPEAK_TEXT, { text: message });
  }

  repeatAudio(audio) {
    if (!this.assertConnected()) throw new Error("Session needs to be connected to send command event");
    if (!this._sessionEventSocket) {
      console.warn("Cannot repeat audio. Please check you're using a supported mode.");
      throw new Error("Session needs to be connected to send command event");
    }
    return this.command(CommandEventsEnum.AVATAR_SPEAK_AUDIO, { audio });
  }

  startListening() {
    return this.command(CommandEventsEnum.AVATAR_START_LISTENING, {});
  }

  stopListening() {
    return this.command(CommandEventsEnum.AVATAR_STOP_LISTENING, {});
  }

  interrupt() {
    if (!this.assertConnected()) throw new Error("Session needs to be connected to send command event");
    this.sendCommandEvent({ event_type: CommandEventsEnum.AVATAR_INTERRUPT });
  }

  command(eventType, fields) {
    if (!this.assertConnected()) throw new Error("Session needs to be connected to send command event");
    const eventId = this.generateEventId();
    this.sendCommandEvent({ event_id: eventId, event_type: eventType, ...fields });
    return eventId;
  }

  // -- connection ----------------------------------------------------------------------------------------

  async connectMedia(url) {
    const channel = new MediaChannel(url);
    this._channel = channel;
    channel.onJson = (message) => this.handleMediaMessage(message);
    channel.onBinary = (data) => this._renderer?.pushPcm(data);
    channel.onClose = () => this.handleRoomDisconnect();
    const info = await channel.connect();
    const renderer = new AvatarRenderer({ width: info.width, height: info.height, fps: info.fps, avatar: info.avatar });
    renderer.start();
    this._renderer = renderer;
    this._remoteVideoTrack = renderer.videoTrack;
    this._remoteAudioTrack = renderer.audioTrack;
  }

  handleMediaMessage(message) {
    switch (message.type) {
      case "agent-response": {
        const event = message.data;
        this._internal.emit("raw-event", event);
        if (event && AGENT_EVENTS.has(event.event_type)) {
          this.emit(event.event_type, agentEventPayload(event));
          if (event.event_type === AgentEventsEnum.SESSION_STOPPED) this.handleServerStop(event);
        }
        break;
      }
      case "audio.begin":
        this._renderer?.beginUtterance(message.sample_rate, message.text);
        break;
      case "audio.stop":
        this._renderer?.stopAudio();
        break;
      case "avatar.state":
        if (this._renderer) this._renderer.state = message.state;
        break;
      default:
        break;
    }
  }

  handleServerStop(event) {
    console.warn("[SDK:SESSION_STOPPED] Server stopped session, reason:", event.stop_reason);
    if (this.state === SessionState.DISCONNECTING || this.state === SessionState.DISCONNECTED) return;
    this.cleanup();
    this.postStop(SessionDisconnectReason.SERVER_INITIATED);
  }

  handleRoomDisconnect() {
    if (this.state === SessionState.DISCONNECTING || this.state === SessionState.DISCONNECTED) return;
    this.cleanup();
    this.postStop(SessionDisconnectReason.UNKNOWN_REASON);
  }

  // LITE mode: the service's ws_url socket, as the real SDK uses it.
  connectWebSocket(websocketUrl) {
    return new Promise((resolve) => {
      this._sessionEventSocket = new WebSocket(websocketUrl);
      this._sessionEventSocket.onopen = () => resolve();
    });
  }

  setupWebSocketManagement() {
    const socket = this._sessionEventSocket;
    if (!socket) return;
    socket.onmessage = (event) => this.handleWebSocketMessage(event);
    socket.onerror = (error) => console.error("WebSocket error:", error);
    socket.onclose = () => this.handleWebSocketDisconnect();
  }

  handleWebSocketMessage(event) {
    let data = null;
    try {
      data = JSON.parse(event.data);
    } catch (error) {
      console.error("Failed to parse WebSocket message:", error);
      return;
    }
    if (!data) return;
    if (data.type === "agent.speak_started") {
      this.emit(AgentEventsEnum.AVATAR_SPEAK_STARTED, {
        event_type: AgentEventsEnum.AVATAR_SPEAK_STARTED,
        event_id: data.event_id,
      });
    } else if (data.type === "agent.speak_ended") {
      this.emit(AgentEventsEnum.AVATAR_SPEAK_ENDED, {
        event_type: AgentEventsEnum.AVATAR_SPEAK_ENDED,
        event_id: data.event_id,
      });
    }
  }

  handleWebSocketDisconnect() {
    if (this.state === SessionState.DISCONNECTING || this.state === SessionState.DISCONNECTED) return;
    this._sessionEventSocket = null;
    this.cleanup();
    this.postStop(SessionDisconnectReason.UNKNOWN_REASON);
  }

  async configureSession() {
    if (!this.config.voiceChat) return;
    try {
      await this.voiceChat.start(typeof this.config.voiceChat === "boolean" ? {} : this.config.voiceChat);
    } catch (error) {
      console.warn("Failed to start voice chat (microphone may be unavailable):", error);
    }
  }

  setConnectionQuality(quality) {
    if (this._connectionQuality !== quality) {
      this._connectionQuality = quality;
      this.emit(SessionEvent.SESSION_CONNECTION_QUALITY_CHANGED, quality);
    }
  }

  cleanup() {
    this.voiceChat.stop();
    this._renderer?.stop();
    this._renderer = null;
    this._remoteAudioTrack = null;
    this._remoteVideoTrack = null;
    this._connectionQuality = ConnectionQuality.UNKNOWN;
    const socket = this._sessionEventSocket;
    if (socket) {
      socket.onopen = socket.onmessage = socket.onerror = socket.onclose = null;
      if (socket.readyState <= WebSocket.OPEN) socket.close();
      this._sessionEventSocket = null;
    }
    this._channel?.close();
    this._channel = null;
    // The real SDK does not await this either; its failure (e.g. the service already ended the session) is logged.
    return this.sessionClient.stopSession().catch((error) => console.warn("liveavatar stand-in: stop call failed", error));
  }

  postStop(reason) {
    this.state = SessionState.DISCONNECTED;
    this.emit(SessionEvent.SESSION_DISCONNECTED, reason);
  }

  sendCommandEvent(commandEvent) {
    const socket = this._sessionEventSocket;
    if (socket && socket.readyState === WebSocket.OPEN) {
      this.sendCommandEventToWebSocket(commandEvent);
    } else if (this._channel && this._channel.open) {
      this.publishAgentControl(commandEvent);
    } else {
      console.warn("No active connection to send command event");
    }
  }

  publishAgentControl(payload) {
    if (!this._channel || !this._channel.open) {
      throw new Error("LiveKit room not connected — cannot publish agent-control payload");
    }
    this._channel.sendJson({ type: "agent-control", data: payload });
  }

  sendCommandEventToWebSocket(commandEvent) {
    const socket = this._sessionEventSocket;
    const eventId = this.generateEventId();
    switch (commandEvent.event_type) {
      case CommandEventsEnum.AVATAR_SPEAK_AUDIO:
        for (const chunk of splitPcm24kStringToChunks(commandEvent.audio)) {
          socket.send(JSON.stringify({ type: "agent.speak", event_id: eventId, audio: chunk }));
        }
        socket.send(JSON.stringify({ type: "agent.speak_end", event_id: eventId }));
        return;
      case CommandEventsEnum.AVATAR_SPEAK_TEXT:
      case CommandEventsEnum.AVATAR_SPEAK_RESPONSE:
        throw new Error("Not permitted in LITE mode");
      case CommandEventsEnum.AVATAR_INTERRUPT:
        socket.send(JSON.stringify({ type: "agent.interrupt", event_id: eventId }));
        return;
      case CommandEventsEnum.AVATAR_START_LISTENING:
        socket.send(JSON.stringify({ type: "agent.start_listening", event_id: eventId }));
        return;
      case CommandEventsEnum.AVATAR_STOP_LISTENING:
        socket.send(JSON.stringify({ type: "agent.stop_listening", event_id: eventId }));
        return;
      default:
        console.warn("Unsupported command event type:", commandEvent.event_type);
    }
  }

  generateEventId() {
    return crypto.randomUUID();
  }

  assertConnected() {
    if (this.state !== SessionState.CONNECTED) {
      console.warn("Session is not connected");
      return false;
    }
    return true;
  }
}

// The real SDK's split of base64 PCM (24 kHz) into a 400 ms chunk, then 1 s chunks (it slices the string).
function splitPcm24kStringToChunks(pcmString) {
  const first = 24000 * 0.4 * 2;
  const rest = 24000 * 1.0 * 2;
  const chunks = [];
  if (!pcmString) return chunks;
  chunks.push(pcmString.slice(0, first));
  for (let i = first; i < pcmString.length; i += rest) chunks.push(pcmString.slice(i, i + rest));
  return chunks;
}

export class ElevenLabsAgentSessionError extends Error {
  constructor(message) {
    super(message);
    this.name = "ElevenLabsAgentSessionError";
  }
}

// Present for import compatibility; fakes/liveavatar simulates no ElevenLabs agent.
export class ElevenLabsAgentSession extends LiveAvatarSession {
  sendElevenLabsAgentCommand(payload, options) {
    throw new ElevenLabsAgentSessionError("fakes/liveavatar does not simulate ElevenLabs agents");
  }

  sendUserMessage(text) {
    return this.sendElevenLabsAgentCommand({ elevenlabs_event_type: "user_message", data: { text } });
  }

  sendContextualUpdate(text) {
    return this.sendElevenLabsAgentCommand({ elevenlabs_event_type: "contextual_update", data: { text } });
  }

  sendUserActivity() {
    return this.sendElevenLabsAgentCommand({ elevenlabs_event_type: "user_activity" });
  }

  sendClientToolResult(args) {
    return this.sendElevenLabsAgentCommand({ elevenlabs_event_type: "client_tool_result", data: args });
  }

  message(_message) {
    throw new ElevenLabsAgentSessionError("message() is not supported on ElevenLabsAgentSession");
  }

  repeat(_message) {
    throw new ElevenLabsAgentSessionError("repeat() is not supported on ElevenLabsAgentSession");
  }

  repeatAudio(_audio) {
    throw new ElevenLabsAgentSessionError("repeatAudio() is not supported on ElevenLabsAgentSession");
  }
}
