"""Reads what Component View draws out of the @zoom/meetingsdk bundle the farm serves (the last of
farm.room.bot_page_config.ZOOM_VENDOR_SCRIPTS): its compiled en-US dictionary, and its toolbar: which items it draws
and the title expression of each, resolved for a given state by running that very code in node.

Everything here is located by what the code does (the toolbar-item enum, the `title:` of an item's case, the
names the hook destructures from its contexts), never by the minifier's names, so that an SDK upgrade which
keeps the behaviour keeps passing and one that changes it fails with a message saying what moved.
"""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from farm.room.bot_page_config import ZOOM_VENDOR_SCRIPTS

PACKAGE_DIR = Path(__file__).resolve().parents[2] / "bot_page/node_modules/@zoom/meetingsdk"
SERVED_BUNDLE = PACKAGE_DIR / "dist" / ZOOM_VENDOR_SCRIPTS[-1]
DICTIONARY_START = '{"en-US":{translation:{'
# What the toolbar hook reads from its contexts, by the names the bundle gives them.
STATE_NAMES = (
    "isStartedAudio",
    "isMuted",
    "isStartedVideo",
    "isShowAudioWarning",
    "isShowVideoWarning",
    "isAllowToTalk",
    "isWebinar",
    "isAttendee",
)


class BundleChanged(AssertionError):
    """The served bundle no longer has what the fake and the adapter were derived from."""


@cache
def bundle_text(path: Path = SERVED_BUNDLE) -> str:
    return path.read_text(encoding="utf-8")


# ---- the compiled en-US dictionary ---------------------------------------------------------------------------

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}


def _read_string(text: str, i: int) -> tuple[str, int]:
    quote = text[i]
    out: list[str] = []
    i += 1
    while text[i] != quote:
        ch = text[i]
        if ch == "\\":
            nxt = text[i + 1]
            if nxt == "u":
                out.append(chr(int(text[i + 2 : i + 6], 16)))
                i += 6
            elif nxt == "x":
                out.append(chr(int(text[i + 2 : i + 4], 16)))
                i += 4
            else:
                out.append(_ESCAPES.get(nxt, nxt))
                i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out), i + 1


def _read_object(text: str, i: int) -> tuple[dict[str, Any], int]:
    """A JS object literal of string (or object) values with bare or quoted keys, starting at text[i] == '{'."""
    assert text[i] == "{"
    i += 1
    result: dict[str, Any] = {}
    while text[i] != "}":
        if text[i] in "\"'":
            key, i = _read_string(text, i)
        else:
            match = re.compile(r"[A-Za-z_$][\w$]*").match(text, i)
            if match is None:
                raise BundleChanged(f"unexpected dictionary key at {text[i : i + 40]!r}")
            key, i = match.group(0), match.end()
        if text[i] != ":":
            raise BundleChanged(f"unexpected dictionary text at {text[i : i + 40]!r}")
        i += 1
        if text[i] == "{":
            value, i = _read_object(text, i)
            result[key] = value
        elif text[i] in "\"'":
            result[key], i = _read_string(text, i)
        else:
            raise BundleChanged(f"unexpected dictionary value for {key!r}: {text[i : i + 40]!r}")
        if text[i] == ",":
            i += 1
    return result, i + 1


@cache
def en_us() -> dict[str, str]:
    """The en-US strings Component View translates its UI with (flat keys such as "wc_video.start_video")."""
    text = bundle_text()
    start = text.find(DICTIONARY_START)
    if start < 0 or text.count(DICTIONARY_START) != 1:
        raise BundleChanged(f"the served bundle has no single compiled en-US dictionary ({DICTIONARY_START!r})")
    dictionary, _ = _read_object(text, start + len(DICTIONARY_START) - 1)
    return {key: value for key, value in dictionary.items() if isinstance(value, str)}


@cache
def join_error_words() -> dict[str, str]:
    """The en-US words the bundle gives its web-API join errors (its `apac.errorcodes_*` table)."""
    text = bundle_text()
    anchor = '={default:{"apac.errorcodes_success":'
    if text.count(anchor) != 1:
        raise BundleChanged("the served bundle has no single table of join-error words")
    table, _ = _read_object(text, text.index(anchor) + 1)
    words: dict[str, str] = table["default"]
    return words


# ---- the toolbar ---------------------------------------------------------------------------------------------


def _matching(text: str, open_index: int) -> int:
    """Index of the bracket closing text[open_index], skipping strings."""
    pairs = {"(": ")", "[": "]", "{": "}"}
    stack = [pairs[text[open_index]]]
    i = open_index + 1
    while stack:
        ch = text[i]
        if ch in "\"'":
            _, i = _read_string(text, i)
            continue
        if ch in pairs:
            stack.append(pairs[ch])
        elif ch == stack[-1]:
            stack.pop()
        i += 1
    return i - 1


@dataclass(frozen=True)
class Toolbar:
    enum_name: str
    enum_source: str  # the IIFE that builds the toolbar-item enum
    items_effect: str  # the hook's effect body that picks the items for the current view
    set_items: str  # the setter the effect calls with the list
    build_item: str  # the callback that builds one item
    bindings: dict[str, str]  # minified name -> state name (STATE_NAMES)
    titles: dict[str, str]  # item name -> its title expression (the argument of the translate call)
    translate: str


@cache
def toolbar() -> Toolbar:
    return read_toolbar(bundle_text())


def read_toolbar(text: str) -> Toolbar:
    enum = re.search(r'([\w$]+)=function\(e\)\{return e\[e\.Audio=0\]="Audio"', text)
    if enum is None:
        raise BundleChanged("the toolbar-item enum (Audio=0, Video=1, …) is gone from the served bundle")
    name = enum.group(1)
    enum_open = text.index("{", enum.start())
    enum_source = "function(e)" + text[enum_open : _matching(text, enum_open) + 1]
    audio_case = text.find(f"case {name}.Audio:return")
    if audio_case < 0:
        raise BundleChanged(f"no toolbar case draws {name}.Audio")
    # The toolbar hook follows the enum; what it reads from its contexts precedes its first case.
    enum_end = _matching(text, enum_open)
    if not 0 < audio_case - enum_end < 20_000:
        raise BundleChanged("the toolbar hook no longer follows its item enum")
    hook = text[enum_end:audio_case]
    bindings: dict[str, str] = {}
    for state in STATE_NAMES:
        # The hook's own `var` statement comes first; helpers inside it may read the same state again.
        found = re.search(r"[,{]([\w$]+)=[\w$]+\." + state + r"\b", hook)
        if found is None:
            raise BundleChanged(f"the toolbar no longer reads {state} from its context")
        bindings[found.group(1)] = state
    builder = re.search(r"([\w$]+)=\(0,[\w$]+\.useCallback\)\(function\(e\)\{switch\(e\)\{case " + name, text)
    if builder is None:
        raise BundleChanged("the toolbar's item builder (useCallback switch over the item enum) is gone")
    build_item = builder.group(1)
    effect = re.search(
        r"useEffect\)\(function\(\)\{(?=[\w$]+&&[\w$]+\?([\w$]+)\(\[[^\]]*"
        + re.escape(f"{build_item}({name}.Audio)")
        + ")",
        text[audio_case:],
    )
    if effect is None:
        raise BundleChanged("the effect that chooses the toolbar's items is gone")
    body_start = audio_case + effect.end()
    body_end = text.index("},[", body_start)
    titles: dict[str, str] = {}
    translate = ""
    for item in ("Audio", "Video", "JoinAudio"):
        case = text.find(f"case {name}.{item}:return", audio_case - 10)
        if case < 0:
            raise BundleChanged(f"no toolbar case draws {name}.{item}")
        title = re.compile(r"title:([\w$]+)\(").search(text, case)
        if title is None:
            raise BundleChanged(f"the {item} item has no title")
        translate = title.group(1)
        open_paren = title.end() - 1
        titles[item] = text[open_paren + 1 : _matching(text, open_paren)]
    return Toolbar(
        enum_name=name,
        enum_source=enum_source,
        items_effect=text[body_start:body_end],
        set_items=effect.group(1),
        build_item=build_item,
        bindings=bindings,
        titles=titles,
        translate=translate,
    )


@dataclass(frozen=True)
class ToolbarState:
    """What the toolbar depends on for its audio and video items (the bundle's own names)."""

    isWebinar: bool = False  # the bundle's own names
    isAttendee: bool = False
    isAllowToTalk: bool = True
    isStartedAudio: bool = False
    isMuted: bool = False
    isStartedVideo: bool = False
    isShowAudioWarning: bool = False
    isShowVideoWarning: bool = False


# Runs the bundle's own code for one state: unknown names are `false` (a feature that is off), the item
# builder answers the item's name, the translate call answers its key.
_NODE_PROGRAM = r"""
const input = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const items = (0, eval)('(' + input.enumSource + ')')({});
const env = { Boolean, undefined, [input.enumName]: items, [input.translate]: (key) => key };
for (const [name, state] of Object.entries(input.bindings)) env[name] = input.state[state];
let drawn = null;
env[input.buildItem] = (item) => items[item];
env[input.setItems] = (list) => { drawn = list; };
const scope = new Proxy(env, {
  has: () => true,
  get: (target, key) => (key === Symbol.unscopables ? undefined : key in target ? target[key] : false),
});
const run = (code) => new Function('scope', 'with (scope) { return (' + code + '); }')(scope);
run(input.effect);
const titles = {};
for (const [item, expression] of Object.entries(input.titles)) titles[item] = run(expression);
process.stdout.write(JSON.stringify({ drawn, titles }));
"""


@dataclass(frozen=True)
class DrawnToolbar:
    items: tuple[str, ...]  # the toolbar's items in order (enum names)
    title_keys: dict[str, str]  # item -> dictionary key of its title
    titles: dict[str, str]  # item -> the en-US title a user (and a bot) sees


def resolve(state: ToolbarState, bar: Toolbar | None = None) -> DrawnToolbar:
    """The toolbar Component View draws in `state`, computed by the bundle's own expressions."""
    bar = bar or toolbar()
    payload = {
        "enumSource": bar.enum_source,
        "enumName": bar.enum_name,
        "translate": bar.translate,
        "bindings": bar.bindings,
        "state": state.__dict__,
        "buildItem": bar.build_item,
        "setItems": bar.set_items,
        "effect": bar.items_effect,
        "titles": bar.titles,
    }
    done = subprocess.run(
        ["node", "-e", _NODE_PROGRAM], input=json.dumps(payload), capture_output=True, text=True, timeout=60
    )
    if done.returncode != 0:
        raise BundleChanged(f"the toolbar's code no longer runs as read: {done.stderr.strip()[:500]}")
    result = json.loads(done.stdout)
    if result["drawn"] is None:
        raise BundleChanged("the toolbar effect drew no items")
    strings = en_us()
    keys: dict[str, str] = result["titles"]
    missing = sorted(key for key in keys.values() if key not in strings)
    if missing:
        raise BundleChanged(f"title keys missing from the en-US dictionary: {missing}")
    return DrawnToolbar(
        items=tuple(result["drawn"]),
        title_keys=keys,
        titles={item: strings[key] for item, key in keys.items()},
    )


# ---- chat ----------------------------------------------------------------------------------------------------


def _literal_shape(text: str, i: int) -> tuple[dict[str, Any], int]:
    """The keys of the object literal at text[i] == '{' (values that are literals themselves, as nested shapes;
    any other value as None)."""
    assert text[i] == "{"
    shape: dict[str, Any] = {}
    i += 1
    while text[i] != "}":
        key = re.match(r"\s*([A-Za-z_$][\w$]*)\s*:", text[i:])
        if key is None:
            raise BundleChanged(f"an unexpected object literal member: {text[i : i + 60]!r}")
        i += key.end()
        if text[i] == "{":
            shape[key.group(1)], i = _literal_shape(text, i)
        else:
            shape[key.group(1)] = None
            depth = 0
            while depth or text[i] not in ",}":
                depth += text[i] in "([{"
                depth -= text[i] in ")]}"
                i += 1
        if text[i] == ",":
            i += 1
    return shape, i + 1


def chat_event_shape(text: str | None = None) -> dict[str, Any]:
    """The payload the bundle's public `on('chat-on-message')` hands a listener: the object literal its
    EVENT_CHAT_ON_MESSAGE case builds from the internal record."""
    text = text or bundle_text()
    case = re.search(r"case \w+\.EVENT_CHAT_ON_MESSAGE:.{0,300}?(\{)id:", text)
    if case is None:
        raise BundleChanged("the public chat-on-message handler (case EVENT_CHAT_ON_MESSAGE) was not found")
    shape, _ = _literal_shape(text, case.start(1))
    return shape


@dataclass(frozen=True)
class ChatRules:
    everyone_id: int  # the receiver id of a message to everyone (the bundle's `All`)
    everyone_name: str  # its receiver name outside webinars
    refusals: tuple[str, ...]  # sendChat's plain Error words
    default_receiver: int  # whom sendChat(message) without a userId sends to


def chat_rules(text: str | None = None) -> ChatRules:
    text = text or bundle_text()
    # The receivers enum: All, Panelist, IndividualCcPanelist, Individual, SilentModeUsers.
    enum = re.search(r'\w+\[\w+\.All=(\d+)\]="All",\w+\[\w+\.Panelist=\d+\]="Panelist"', text)
    everyone = re.search(r'\w+===\w+\.All\)\w+=\w+\?"All panelists and attendees":"([^"]+)"', text)
    send = re.search(r"this\.sendChat=(?:function)?\(\w+,\w+\)(?:=>)?\{(.{0,900}?)\},this\.isCoHost", text)
    if enum is None or everyone is None or send is None:
        raise BundleChanged("the chat receivers or sendChat were not found where the fake was derived from")
    default = re.search(r"\.send\(\w+,(?:\w+\?\?|null!==\w+&&void 0!==\w+\?\w+:)(\d+)\)", send.group(1))
    if default is None:
        raise BundleChanged("sendChat no longer sends to a default receiver")
    return ChatRules(
        everyone_id=int(enum.group(1)),
        everyone_name=everyone.group(1),
        refusals=tuple(re.findall(r'new Error\("([^"]+)"\)', send.group(1))),
        default_receiver=int(default.group(1)),
    )
