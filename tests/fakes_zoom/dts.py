"""Reads the Component View API out of @zoom/meetingsdk's embedded.d.ts: function names and parameter lists."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

EMBEDDED_DTS = Path(__file__).resolve().parents[2] / "bot_page/node_modules/@zoom/meetingsdk/embedded.d.ts"


@dataclass(frozen=True)
class Param:
    name: str
    optional: bool


@dataclass(frozen=True)
class Signature:
    name: str
    params: tuple[Param, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.params)

    @property
    def required(self) -> int:
        return sum(1 for p in self.params if not p.optional)


def _strip_comments(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def _namespace_body(text: str, name: str) -> str:
    match = re.search(r"export\s+declare\s+namespace\s+" + re.escape(name) + r"\s*\{", text)
    if match is None:
        raise ValueError(f"namespace {name} not found")
    return text[match.end() : _matching(text, match.end() - 1)]


def _matching(text: str, open_index: int) -> int:
    pairs = {"(": ")", "{": "}", "[": "]", "<": ">"}
    stack = [pairs[text[open_index]]]
    i = open_index + 1
    while stack:
        ch = text[i]
        if ch in "'\"`":
            i = text.index(ch, i + 1)
        elif ch in pairs and not (ch == "<" and text[i + 1] in "= "):
            stack.append(pairs[ch])
        elif ch == stack[-1]:
            stack.pop()
        elif ch == ">" and text[i - 1] == "=":
            pass
        i += 1
    return i - 1


def _split_params(text: str) -> list[str]:
    parts, depth, start = [], 0, 0
    i = 0
    while i < len(text):
        ch = text[i]
        if ch in "'\"`":
            i = text.index(ch, i + 1)
        elif ch in "({[<":
            depth += 1
        elif ch in ")}]" or (ch == ">" and text[i - 1] != "="):
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
        i += 1
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


def parse_namespace(name: str, path: Path = EMBEDDED_DTS) -> dict[str, list[Signature]]:
    """Every `function name(params)` declared in that namespace, overloads kept (e.g. `on`)."""
    body = _namespace_body(_strip_comments(path.read_text(encoding="utf-8")), name)
    functions: dict[str, list[Signature]] = {}
    for match in re.finditer(r"\bfunction\s+([A-Za-z_$][\w$]*)\s*\(", body):
        close = _matching(body, match.end() - 1)
        params = []
        for raw in _split_params(body[match.end() : close]):
            param = re.match(r"([A-Za-z_$][\w$]*)\s*(\?)?", raw)
            if param is None:
                raise ValueError(f"cannot read parameter {raw!r} of {match.group(1)}")
            params.append(Param(param.group(1), bool(param.group(2)) or "=" in raw.split(":")[0]))
        functions.setdefault(match.group(1), []).append(Signature(match.group(1), tuple(params)))
    return functions


def declared_constants(name: str, path: Path = EMBEDDED_DTS) -> list[str]:
    body = _namespace_body(_strip_comments(path.read_text(encoding="utf-8")), name)
    return re.findall(r"\bconst\s+([A-Za-z_$][\w$]*)\s*:", body)


@dataclass(frozen=True)
class Member:
    """A member of a declared interface: whether it is optional, and its own members when its type is an
    object literal (`sender: { name: string; userId: number }`)."""

    optional: bool
    members: dict[str, Member] | None = None


def _split_members(text: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch in "({[<":
            depth += 1
        elif ch in ")}]" or (ch == ">" and text[i - 1] != "="):
            depth -= 1
        elif ch in ";\n" and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


def _members(body: str) -> dict[str, Member]:
    members: dict[str, Member] = {}
    for raw in _split_members(body):
        match = re.match(r"([A-Za-z_$][\w$]*)\s*(\?)?\s*:\s*(.*)$", raw, flags=re.S)
        if match is None:
            raise ValueError(f"cannot read interface member {raw!r}")
        kind = match.group(3).strip()
        nested = _members(kind[1 : _matching(kind, 0)]) if kind.startswith("{") else None
        members[match.group(1)] = Member(bool(match.group(2)), nested)
    return members


def interface_members(name: str, path: Path = EMBEDDED_DTS) -> dict[str, Member]:
    """The members of `export interface <name> { … }`, nested object literals included."""
    text = _strip_comments(path.read_text(encoding="utf-8"))
    match = re.search(r"export\s+interface\s+" + re.escape(name) + r"\s*\{", text)
    if match is None:
        raise ValueError(f"interface {name} not found")
    return _members(text[match.end() : _matching(text, match.end() - 1)])


def event_payload_types(event: str, path: Path = EMBEDDED_DTS) -> list[str]:
    """The payload types of `on('<event>', callback)`, through the `typeof event_…` declaration it names."""
    text = _strip_comments(path.read_text(encoding="utf-8"))
    match = re.search(r"function on\(\s*event: '" + re.escape(event) + r"',\s*\w+: typeof (\w+)\)", text)
    if match is None:
        raise ValueError(f"no typed on('{event}', …) overload")
    declared = re.search(r"declare function " + match.group(1) + r"\(\s*payload: ([^)]*)\)", text)
    if declared is None:
        raise ValueError(f"{match.group(1)} is not declared")
    return [part.strip() for part in declared.group(1).split("|")]
