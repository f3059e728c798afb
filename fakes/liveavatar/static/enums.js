// The SDK's enums, with the same names and string values as @heygen/liveavatar-web-sdk 0.0.18 (lib/index.d.ts).

export const SessionEvent = Object.freeze({
  SESSION_STATE_CHANGED: "session.state_changed",
  SESSION_STREAM_READY: "session.stream_ready",
  SESSION_CONNECTION_QUALITY_CHANGED: "session.connection_quality_changed",
  SESSION_DISCONNECTED: "session.disconnected",
});

export const AgentEventsEnum = Object.freeze({
  SESSION_UPDATED: "session.updated",
  SESSION_STATE_UPDATED: "session.state_updated",
  USER_SPEAK_STARTED: "user.speak_started",
  USER_SPEAK_ENDED: "user.speak_ended",
  USER_TRANSCRIPTION: "user.transcription",
  USER_TRANSCRIPTION_CHUNK: "user.transcription.chunk",
  AVATAR_TRANSCRIPTION: "avatar.transcription",
  AVATAR_TRANSCRIPTION_CHUNK: "avatar.transcription.chunk",
  AVATAR_SPEAK_STARTED: "avatar.speak_started",
  AVATAR_SPEAK_ENDED: "avatar.speak_ended",
  ELEVENLABS_AGENT_EVENT: "elevenlabs_agent_event",
  SESSION_STOPPED: "session.stopped",
});

export const CommandEventsEnum = Object.freeze({
  SESSION_UPDATE: "session.update",
  SESSION_STOP: "session.stop",
  AVATAR_INTERRUPT: "avatar.interrupt",
  AVATAR_SPEAK_TEXT: "avatar.speak_text",
  AVATAR_SPEAK_RESPONSE: "avatar.speak_response",
  AVATAR_SPEAK_AUDIO: "avatar.speak_audio",
  AVATAR_START_LISTENING: "avatar.start_listening",
  AVATAR_STOP_LISTENING: "avatar.stop_listening",
  ELEVENLABS_AGENT_COMMAND: "elevenlabs_agent_command",
});

export const ElevenLabsAgentCommandType = Object.freeze({
  USER_MESSAGE: "user_message",
  CONTEXTUAL_UPDATE: "contextual_update",
  USER_ACTIVITY: "user_activity",
  CLIENT_TOOL_RESULT: "client_tool_result",
});

export const SessionMode = Object.freeze({ FULL: "FULL", LITE: "LITE" });

export const AgentType = Object.freeze({
  FULL: "FULL",
  OPENAI_REALTIME: "OPENAI_REALTIME",
  ELEVENLABS_AGENT: "ELEVENLABS_AGENT",
  GEMINI_REALTIME: "GEMINI_REALTIME",
  UNKNOWN: "UNKNOWN",
});

export const SessionState = Object.freeze({
  INACTIVE: "INACTIVE",
  CONNECTING: "CONNECTING",
  CONNECTED: "CONNECTED",
  DISCONNECTING: "DISCONNECTING",
  DISCONNECTED: "DISCONNECTED",
});

export const SessionDisconnectReason = Object.freeze({
  UNKNOWN_REASON: "UNKNOWN_REASON",
  CLIENT_INITIATED: "CLIENT_INITIATED",
  SESSION_START_FAILED: "SESSION_START_FAILED",
  SERVER_INITIATED: "SERVER_INITIATED",
});

export const ConnectionQuality = Object.freeze({ UNKNOWN: "UNKNOWN", GOOD: "GOOD", BAD: "BAD" });

export const VoiceChatState = Object.freeze({ INACTIVE: "INACTIVE", STARTING: "STARTING", ACTIVE: "ACTIVE" });

export const VoiceChatEvent = Object.freeze({ MUTED: "MUTED", UNMUTED: "UNMUTED", STATE_CHANGED: "STATE_CHANGED" });

export const SessionInteractivityMode = Object.freeze({
  CONVERSATIONAL: "CONVERSATIONAL",
  PUSH_TO_TALK: "PUSH_TO_TALK",
});

export const PushToTalkCommandEvent = Object.freeze({
  START: "user.start_push_to_talk",
  STOP: "user.stop_push_to_talk",
});

export const PushToTalkServerEvent = Object.freeze({
  START_SUCCESS: "user.push_to_talk_started",
  START_FAILED: "user.push_to_talk_start_failed",
  STOP_SUCCESS: "user.push_to_talk_stopped",
  STOP_FAILED: "user.push_to_talk_stop_failed",
});

const LANGUAGE_CODES = (
  "af sq am ar hy as ast az ba eu be bn bs br bg my ca ceb zh hr cs da nl en et fo fi fr fy ff gd gl lg ka de el " +
  "gu ht ha haw he hi hu is ig ilo id ga it ja jv kn kk km ko lo la lv lb ln lt mk mg ms ml mt mi mr mo mn ne no " +
  "nn oc or pa ps fa pl pt ro ru sa sr sn sd si sk sl so es su sw ss sv tl tg ta tt te th bo tn tr tk uk ur uz vi " +
  "cy wo xh yi yo zu"
).split(" ");

export const Language = Object.freeze(Object.fromEntries(LANGUAGE_CODES.map((code) => [code, code])));
