"""The fake's LiveKit data messages against the installed @heygen/liveavatar-web-sdk's lib/index.esm.js: the
topics and participant identities, the commands the SDK sends (the fake acts on each), and for every event the
fake sends, exactly the fields the SDK copies out of it (getAgentEventEmitArgs). Read from the shipped
JavaScript, not the .d.ts files, because that is what runs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from fakes.liveavatar import agent_protocol
from fakes.liveavatar.avatar_room import CLIENT_IDENTITY

ROOT = Path(__file__).resolve().parents[2]
LIB = ROOT / "bot_page" / "node_modules" / "@heygen" / "liveavatar-web-sdk" / "lib" / "index.esm.js"

pytestmark = pytest.mark.skipif(not LIB.is_file(), reason="bot_page/node_modules not installed (make node-deps)")

# Events the SDK reads that the fake does not simulate (streamed chunks, ElevenLabs agents, session updates).
NOT_SIMULATED = {
    "user.transcription.chunk",
    "avatar.transcription.chunk",
    "elevenlabs_agent_event",
    "session.updated",
    "session.state_updated",
}


def source() -> str:
    return LIB.read_text(encoding="utf-8")


def enum(name: str) -> dict[str, str]:
    return dict(re.findall(rf'{name}\["(\w+)"\] = "([^"]+)";', source()))


def constant(name: str) -> str:
    match = re.search(rf'const {name} = "([^"]*)";', source())
    assert match, f"{name} not found in {LIB}"
    return match.group(1)


def fields_read_per_event() -> dict[str, set[str]]:
    """getAgentEventEmitArgs: for each `case AgentEventsEnum.X`, the payload fields it copies from the event."""
    agent_events = enum("AgentEventsEnum")
    body = source().split("const getAgentEventEmitArgs", 1)[1].split("\n};", 1)[0]
    read: dict[str, set[str]] = {}
    for member, block in re.findall(r"case AgentEventsEnum\.(\w+): \{(.*?)return \[", body, re.S):
        read[agent_events[member]] = set(re.findall(r"(\w+): event\.\w+", block))
    return read


def session_method(name: str) -> str:
    body = source().split("class LiveAvatarSession extends EventEmitter", 1)[1]
    match = re.search(rf"\n    {name}\([^)]*\) \{{(.*?)\n    \}}\n", body, re.S)
    assert match, f"LiveAvatarSession.{name} not found"
    return match.group(1)


def test_topics_and_identities_are_the_sdks() -> None:
    assert constant("LIVEKIT_COMMAND_CHANNEL_TOPIC") == agent_protocol.COMMAND_TOPIC
    assert constant("LIVEKIT_SERVER_RESPONSE_CHANNEL_TOPIC") == agent_protocol.EVENT_TOPIC
    assert constant("HEYGEN_PARTICIPANT_ID") == agent_protocol.AVATAR_IDENTITY
    assert constant("LIVEAVATAR_AGENT_PARTICIPANT_ID_PREFIX") == agent_protocol.AGENT_IDENTITY_PREFIX
    # The SDK watches only `heygen`'s tracks and waits for the two: the client must be someone else.
    assert CLIENT_IDENTITY not in (agent_protocol.AVATAR_IDENTITY,) and not CLIENT_IDENTITY.startswith(
        agent_protocol.AGENT_IDENTITY_PREFIX
    )


def test_every_event_the_fake_sends_has_exactly_the_fields_the_sdk_reads() -> None:
    read = fields_read_per_event()
    push_to_talk = set(enum("PushToTalkServerEvent").values())
    assert read, "getAgentEventEmitArgs not understood"
    for event_type, extra in agent_protocol.EVENT_FIELDS.items():
        sent = {*agent_protocol.COMMON_EVENT_FIELDS, *extra}
        if event_type in push_to_talk:
            # VoiceChat's initEventPromise matches these by event_type alone.
            assert "event_type" in sent
            continue
        assert event_type in read, f"the SDK does not read {event_type}"
        assert sent == read[event_type], (event_type, sent, read[event_type])
    # And nothing the SDK reads is left out, except what is listed as not simulated.
    assert set(read) - set(agent_protocol.EVENT_FIELDS) == NOT_SIMULATED & set(read)
    assert push_to_talk <= set(agent_protocol.EVENT_FIELDS)


def test_the_fake_acts_on_every_command_the_sdk_sends_over_livekit() -> None:
    commands = enum("CommandEventsEnum")
    push_to_talk = set(enum("PushToTalkCommandEvent").values())
    sent_by_methods = {}
    for method in ("message", "repeat", "startListening", "stopListening", "interrupt"):
        (member,) = re.findall(r"event_type: CommandEventsEnum\.(\w+)", session_method(method))
        sent_by_methods[method] = commands[member]
    sent = set(sent_by_methods.values()) | push_to_talk
    assert sent <= agent_protocol.COMMANDS, sent - agent_protocol.COMMANDS
    # Everything the fake accepts is a command the SDK knows (session.stop is in its enum, sent by no method).
    assert agent_protocol.COMMANDS <= set(commands.values()) | push_to_talk
    # message() and repeat() carry the text where the fake reads it; interrupt() carries no event_id.
    for method in ("message", "repeat"):
        assert re.search(r"\btext: message\b", session_method(method)), method
        assert "event_id: event_id" in session_method(method)
    assert "event_id" not in session_method("interrupt")
    assert sent_by_methods["message"] == "avatar.speak_response" and sent_by_methods["repeat"] == "avatar.speak_text"
