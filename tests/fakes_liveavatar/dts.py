"""A small reader for the TypeScript declaration files of @heygen/liveavatar-web-sdk: enough to list the runtime
exports, enum members, and the public (and protected) methods and accessors of its classes."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

_EXPORT_LIST = re.compile(r"export\s+(type\s+)?\{([^}]*)\}\s+from\s+\"([^\"]+)\"", re.S)
_DECLARATION = re.compile(r"^export declare (class|enum|function|const|abstract class) (\w+)", re.M)
_TYPE_DECLARATION = re.compile(r"^(?:export )?(?:declare )?(?:type|interface) (\w+)", re.M)
_ENUM = re.compile(r"export declare enum (\w+) \{(.*?)\n\}", re.S)
_ENUM_MEMBER = re.compile(r"(\w+) = \"([^\"]*)\"")
_CLASS = re.compile(r"export declare class (\w+)(?: extends ([\w.]+))?[^{]*\{(.*?)\n\}", re.S)
_MEMBER = re.compile(r"^    (private |protected |public )?(static )?(readonly )?(get |set )?(\w+)(\??)(\(|:|<)(.*)$")
_INTERFACE_METHOD = re.compile(r"^\s+(\w+)\s*(?:<[^>]*>)?\s*\(", re.M)


@dataclass
class Member:
    name: str
    kind: str  # method | getter | setter | property | constructor
    visibility: str  # public | protected | private
    required_params: int = 0
    params: int = 0


@dataclass
class ClassDecl:
    name: str
    extends: str | None
    members: dict[str, Member] = field(default_factory=dict)

    def api(self) -> dict[str, Member]:
        """Members a caller or subclass can use: public and protected methods and accessors."""
        return {
            name: member
            for name, member in self.members.items()
            if member.visibility != "private" and member.kind in ("method", "getter", "setter")
        }


@dataclass
class Declarations:
    kinds: dict[str, str] = field(default_factory=dict)  # name -> class | enum | function | const | type
    enums: dict[str, dict[str, str]] = field(default_factory=dict)
    classes: dict[str, ClassDecl] = field(default_factory=dict)
    index_values: list[str] = field(default_factory=list)
    index_types: list[str] = field(default_factory=list)

    def runtime_exports(self) -> set[str]:
        return {name for name in self.index_values if self.kinds.get(name, "type") != "type"}


def _count_params(signature: str) -> tuple[int, int]:
    inside = signature.split(")")[0]
    depth, parts, current = 0, [], ""
    for char in inside:
        if char in "<({[":
            depth += 1
        elif char in ">)}]":
            depth -= 1
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    if current.strip():
        parts.append(current)
    names = [part.strip().split(":")[0] for part in parts if part.strip()]
    required = [name for name in names if not name.endswith("?") and not name.startswith("...")]
    return len(required), len(names)


def _class_members(body: str) -> dict[str, Member]:
    members: dict[str, Member] = {}
    for line in body.splitlines():
        match = _MEMBER.match(line)
        if not match:
            continue
        visibility = (match.group(1) or "public ").strip()
        accessor, name, opener, rest = match.group(4), match.group(5), match.group(7), match.group(8)
        if name == "constructor":
            kind = "constructor"
        elif accessor:
            kind = "getter" if accessor.strip() == "get" else "setter"
        elif opener in ("(", "<"):
            kind = "method"
        else:
            kind = "property"
        required, total = (
            _count_params(rest if opener == "(" else rest.split("(", 1)[-1]) if kind != "property" else (0, 0)
        )
        if name in members and kind == "setter":
            continue  # keep the getter of a get/set pair
        members[name] = Member(name, kind, visibility, required, total)
    return members


def read_package(lib: Path) -> Declarations:
    declarations = Declarations()
    for path in sorted(lib.rglob("*.d.ts")):
        if path.name.endswith(".test.d.ts"):
            continue
        text = path.read_text(encoding="utf-8")
        for kind, name in _DECLARATION.findall(text):
            declarations.kinds[name] = "class" if "class" in kind else kind
        for name in _TYPE_DECLARATION.findall(text):
            declarations.kinds.setdefault(name, "type")
        for name, body in _ENUM.findall(text):
            declarations.enums[name] = dict(_ENUM_MEMBER.findall(body))
        for name, extends, body in _CLASS.findall(text):
            declarations.classes[name] = ClassDecl(name, extends or None, _class_members(body))
    index = (lib / "index.d.ts").read_text(encoding="utf-8")
    for is_type, names, _source in _EXPORT_LIST.findall(index):
        listed = [name.strip() for name in names.split(",") if name.strip()]
        (declarations.index_types if is_type else declarations.index_values).extend(listed)
    return declarations


def interface_methods(path: Path, interface: str) -> set[str]:
    text = path.read_text(encoding="utf-8")
    body = text.split(f"interface {interface}", 1)[1].split("\n}", 1)[0]
    return set(_INTERFACE_METHOD.findall(body))
