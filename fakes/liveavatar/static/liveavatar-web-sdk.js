// fakes/liveavatar's stand-in for @heygen/liveavatar-web-sdk 0.0.18: the same named exports, the same class and
// event surface, with media from fakes/liveavatar instead of a LiveKit room. Load it as an ES module:
//   import { LiveAvatarSession, SessionEvent, AgentEventsEnum } from "http://<fake>/sdk/liveavatar-web-sdk.js";
// and pass { apiUrl: "http://<fake>" } to the LiveAvatarSession constructor.

export { LiveAvatarSession, ElevenLabsAgentSession, ElevenLabsAgentSessionError } from "./session.js";
export { parseAgentTypeFromToken } from "./token.js";
export {
  AgentEventsEnum,
  AgentType,
  CommandEventsEnum,
  ConnectionQuality,
  ElevenLabsAgentCommandType,
  Language,
  SessionDisconnectReason,
  SessionEvent,
  SessionInteractivityMode,
  SessionMode,
  SessionState,
  VoiceChatEvent,
  VoiceChatState,
} from "./enums.js";
