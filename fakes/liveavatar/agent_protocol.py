"""The data messages between the web SDK and LiveAvatar's agent, as @heygen/liveavatar-web-sdk 0.0.18 reads and
sends them (lib/index.esm.js; tests/fakes_liveavatar/test_agent_protocol_contract.py holds the fake to it).

Commands come from the page on topic `agent-control`: JSON with `event_type` (message/repeat/listening also carry
`event_id`, message/repeat `text`). Events go to the page on topic `agent-response`: JSON with the four common
fields plus the ones listed per type. The room's other members are `heygen` (the avatar's tracks) and
`liveavatar-agent-<session_id>` (these messages); the SDK waits for both after joining.
"""

from __future__ import annotations

COMMAND_TOPIC = "agent-control"
EVENT_TOPIC = "agent-response"
AVATAR_IDENTITY = "heygen"
AGENT_IDENTITY_PREFIX = "liveavatar-agent-"

COMMON_EVENT_FIELDS = ("event_id", "event_type", "session_id", "source_event_id")
# Event type -> the fields it carries besides the common ones (what the SDK's getAgentEventEmitArgs copies).
EVENT_FIELDS: dict[str, tuple[str, ...]] = {
    "user.speak_started": (),
    "user.speak_ended": (),
    "user.transcription": ("text",),
    "avatar.speak_started": (),
    "avatar.speak_ended": (),
    "avatar.transcription": ("text",),
    "session.stopped": ("stop_reason",),
    # Push-to-talk acknowledgements: the SDK's VoiceChat waits for them by event_type alone.
    "user.push_to_talk_started": (),
    "user.push_to_talk_start_failed": (),
    "user.push_to_talk_stopped": (),
    "user.push_to_talk_stop_failed": (),
}

# Commands the agent acts on (CommandEventsEnum and PushToTalkCommandEvent values the SDK sends over LiveKit).
COMMANDS = frozenset(
    {
        "avatar.speak_text",
        "avatar.speak_response",
        "avatar.interrupt",
        "avatar.start_listening",
        "avatar.stop_listening",
        "user.start_push_to_talk",
        "user.stop_push_to_talk",
        "session.stop",
    }
)


def check_event(event_type: str, fields: dict[str, object]) -> None:
    """Refuse to send an event the SDK does not read in this shape (a bug in the fake, not in its caller)."""
    expected = EVENT_FIELDS.get(event_type)
    if expected is None:
        raise ValueError(f"not an agent-response event of the SDK: {event_type!r}")
    if set(fields) != set(expected):
        raise ValueError(f"{event_type} carries {sorted(expected)}, not {sorted(fields)}")
