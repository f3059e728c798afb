// Reading the session token (a JWT) the way the real SDK does: start_session_data gives the mode and agent type.

import { AgentType, SessionMode } from "./enums.js";

export function decodeSessionTokenPayload(token) {
  try {
    const parts = String(token).split(".");
    if (parts.length < 2) return null;
    return JSON.parse(atob(parts[1].replace(/-/g, "+").replace(/_/g, "/")));
  } catch (error) {
    console.warn("[decodeSessionTokenPayload] could not decode the session token payload", error);
    return null;
  }
}

export function parseSessionModeFromToken(token) {
  const mode = decodeSessionTokenPayload(token)?.start_session_data?.mode;
  return mode === SessionMode.LITE ? SessionMode.LITE : SessionMode.FULL;
}

export function parseAgentTypeFromToken(token) {
  const decoded = decodeSessionTokenPayload(token);
  const data = decoded?.start_session_data;
  if (!decoded || !data) return AgentType.UNKNOWN;
  if (typeof data.agent_type === "string") {
    const explicit = data.agent_type.toUpperCase();
    if (explicit in AgentType) return explicit;
  }
  if (data.elevenlabs_agent_config) return AgentType.ELEVENLABS_AGENT;
  if (data.openai_realtime_config) return AgentType.OPENAI_REALTIME;
  if (data.gemini_realtime_config) return AgentType.GEMINI_REALTIME;
  return AgentType.FULL;
}
