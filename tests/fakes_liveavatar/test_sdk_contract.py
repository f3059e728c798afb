"""The stand-in SDK against the installed @heygen/liveavatar-web-sdk's declarations: the same runtime exports,
the same enum values (event names included), and every public or protected member of its classes.

The .d.ts files are read in Python (dts.py); the stand-in is imported by Node and described as JSON."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.fakes_liveavatar.dts import Declarations, interface_methods, read_package

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "bot_page" / "node_modules" / "@heygen" / "liveavatar-web-sdk"
TYPED_EMITTER = ROOT / "bot_page" / "node_modules" / "typed-emitter" / "index.d.ts"
STAND_IN = ROOT / "fakes" / "liveavatar" / "static" / "liveavatar-web-sdk.js"

pytestmark = pytest.mark.skipif(not PACKAGE.is_dir(), reason="bot_page/node_modules not installed (make node-deps)")

DESCRIBE = """
const sdk = await import(process.argv[1]);
function members(prototype) {
  const found = {};
  for (let p = prototype; p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    for (const name of Object.getOwnPropertyNames(p)) {
      if (name in found) continue;
      const d = Object.getOwnPropertyDescriptor(p, name);
      if (d.get) found[name] = { kind: "getter" };
      else if (typeof d.value === "function") found[name] = { kind: "method", length: d.value.length };
      else found[name] = { kind: "value" };
    }
  }
  return found;
}
const exports = {};
const enums = {};
for (const [name, value] of Object.entries(sdk)) {
  exports[name] = typeof value;
  if (value && typeof value === "object") enums[name] = { ...value };
}
const token = "x." + Buffer.from(JSON.stringify({ start_session_data: { mode: "FULL" } })).toString("base64url") + ".y";
const session = new sdk.LiveAvatarSession(token, { apiUrl: "http://127.0.0.1:1" });
console.log(JSON.stringify({
  exports,
  enums,
  constructorLength: sdk.LiveAvatarSession.length,
  classes: {
    LiveAvatarSession: members(sdk.LiveAvatarSession.prototype),
    ElevenLabsAgentSession: members(sdk.ElevenLabsAgentSession.prototype),
    VoiceChat: members(Object.getPrototypeOf(session.voiceChat)),
  },
  agentType: sdk.parseAgentTypeFromToken(token),
  mode: session.mode,
}));
"""


@pytest.fixture(scope="module")
def declared() -> Declarations:
    declarations = read_package(PACKAGE / "lib")
    # Guard against a parser that silently finds nothing: these counts come from 0.0.18.
    assert len(declarations.runtime_exports()) >= 15
    assert len(declarations.enums) >= 12
    assert len(declarations.enums["AgentEventsEnum"]) >= 12 and len(declarations.enums["Language"]) >= 100
    assert len(declarations.classes["LiveAvatarSession"].api()) >= 18
    assert len(declarations.classes["VoiceChat"].api()) >= 9
    return declarations


@pytest.fixture(scope="module")
def stand_in() -> dict[str, Any]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    result = subprocess.run(
        [node, "--input-type=module", "-e", DESCRIBE, str(STAND_IN)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    described: dict[str, Any] = json.loads(result.stdout)
    return described


def test_same_runtime_exports(declared: Declarations, stand_in: dict[str, Any]) -> None:
    assert set(stand_in["exports"]) == declared.runtime_exports()
    for name in declared.runtime_exports():
        expected = "object" if declared.kinds[name] == "enum" else "function"
        assert stand_in["exports"][name] == expected, name


def test_same_enums_and_event_names(declared: Declarations, stand_in: dict[str, Any]) -> None:
    exported_enums = {name for name in declared.runtime_exports() if declared.kinds[name] == "enum"}
    assert len(exported_enums) >= 12
    for name in exported_enums:
        assert stand_in["enums"][name] == declared.enums[name], name
    event_names = set(declared.enums["SessionEvent"].values()) | set(declared.enums["AgentEventsEnum"].values())
    for required in ("session.state_changed", "session.stream_ready", "session.disconnected", "session.stopped",
                     "avatar.speak_started", "avatar.speak_ended", "avatar.transcription", "user.speak_started",
                     "user.speak_ended", "user.transcription"):  # fmt: skip
        assert required in event_names


@pytest.mark.parametrize("class_name", ["LiveAvatarSession", "ElevenLabsAgentSession", "VoiceChat"])
def test_class_members(declared: Declarations, stand_in: dict[str, Any], class_name: str) -> None:
    actual = stand_in["classes"][class_name]
    for name, member in declared.classes[class_name].api().items():
        assert name in actual, f"{class_name}.{name} is missing"
        if member.kind == "getter":
            assert actual[name]["kind"] == "getter", f"{class_name}.{name} should be a getter"
        elif member.kind == "method":
            assert actual[name]["kind"] == "method", f"{class_name}.{name} should be a method"
            assert member.required_params <= actual[name]["length"] <= member.params, (class_name, name, actual[name])


def test_event_emitter_surface(stand_in: dict[str, Any]) -> None:
    methods = interface_methods(TYPED_EMITTER, "TypedEventEmitter")
    assert {"on", "off", "once", "emit", "removeAllListeners"} <= methods
    for class_name in ("LiveAvatarSession", "VoiceChat"):
        missing = methods - set(stand_in["classes"][class_name])
        assert not missing, f"{class_name} lacks {missing}"


def test_token_decoding_matches(stand_in: dict[str, Any]) -> None:
    assert stand_in["mode"] == "FULL" and stand_in["agentType"] == "FULL"
    assert stand_in["constructorLength"] == 2
