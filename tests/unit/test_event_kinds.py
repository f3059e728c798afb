"""Every kind of event the product stores is declared in state/vocabulary.py (StoredEventKind, each with its
words): the product's event writes are found by reading its code. The dashboard listens to and words only
declared kinds, from the generated module rather than a list of its own."""

from __future__ import annotations

import ast
import re

from farm.room.bot_supervision import NOTICE_OUTCOMES, TIMELINE_EVENTS
from state.vocabulary import STORED_EVENT_WORDS, STREAMED_EVENT_KINDS, UNSTREAMED_EVENT_KINDS, StoredEventKind
from tests.support.source_files import PRODUCT, ROOT, python_files

PRODUCT_FILES = python_files(*PRODUCT)
DECLARED = {kind.value for kind in StoredEventKind}
# Writes whose kind is computed, each with where its kinds come from (checked below).
COMPUTED = {
    ("state/events_repository.py", "kind"),  # the events area's own append, passing its caller's kind on
    ("farm/room/bot_supervision.py", "f'bot.{kind}'"),  # a browser notice that is not an outcome
    ("farm/room/bot_supervision.py", "f'bot.{kind.value}'"),  # a page event kept in the timeline (TIMELINE_EVENTS)
}


def _constants(tree: ast.Module) -> dict[str, str]:
    """The module's top-level string constants (NAME = "…")."""
    found = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    found[target.id] = node.value.value
    return found


def _kinds(node: ast.expr, constants: dict[str, str]) -> set[str] | None:
    """The kinds an expression can be, or None when it cannot be read from the code."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.Name) and node.id in constants:
        return {constants[node.id]}
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "StoredEventKind":
        return {StoredEventKind[node.attr].value}
    if isinstance(node, ast.IfExp):
        body, orelse = _kinds(node.body, constants), _kinds(node.orelse, constants)
        return None if body is None or orelse is None else body | orelse
    return None


def _is_events_append(func: ast.Attribute) -> bool:
    """`<repository>.events.append(kind, ...)`: the events area's write (state/events_repository.py)."""
    receiver = func.value
    return (
        func.attr == "append"
        and isinstance(receiver, ast.Attribute)
        and receiver.attr == "events"
        and not (isinstance(receiver.value, ast.Name) and receiver.value.id in {"self", "tx"})
    )


def _event_writes() -> list[tuple[str, ast.expr, set[str] | None]]:
    writes = []
    for path in PRODUCT_FILES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        constants = _constants(tree)
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and (node.func.attr == "append_event" or _is_events_append(node.func))
                and node.args
            ):
                where = str(path.relative_to(ROOT))
                writes.append((where, node.args[0], _kinds(node.args[0], constants)))
    return writes


def test_every_kind_the_product_writes_is_declared() -> None:
    writes = _event_writes()
    assert len(writes) >= 40, "the scan no longer finds the product's event writes"
    undeclared, unread = [], []
    for where, expression, kinds in writes:
        if kinds is None:
            if (where, ast.unparse(expression)) not in COMPUTED:
                unread.append(f"{where}: {ast.unparse(expression)}")
            continue
        undeclared += [f"{where}: {kind}" for kind in sorted(kinds - DECLARED)]
    assert undeclared == [], f"event kinds not declared in state/vocabulary.py (StoredEventKind): {undeclared}"
    assert unread == [], f"event kinds the scan cannot read (write a StoredEventKind member): {unread}"


def test_every_kind_a_bot_notice_or_page_event_is_stored_as_is_declared() -> None:
    farm = "\n".join(path.read_text(encoding="utf-8") for path in (ROOT / "farm").rglob("*.py"))
    notices = set(re.findall(r"\.(?:notice|page_text)\(\s*\"([\w.]+)\"", farm))
    assert {"page.console", "page.error", "node.lost"} <= notices, "the scan no longer finds the notices"
    stored = {f"bot.{kind}" for kind in notices - set(NOTICE_OUTCOMES)}
    stored |= {f"bot.{kind.value}" for kind in TIMELINE_EVENTS}
    assert sorted(stored - DECLARED) == []


def test_every_declared_kind_has_words() -> None:
    assert set(STORED_EVENT_WORDS) == set(StoredEventKind)
    assert all(words.strip() for words in STORED_EVENT_WORDS.values())
    assert set(STREAMED_EVENT_KINDS) | UNSTREAMED_EVENT_KINDS == set(StoredEventKind)


def test_the_dashboard_words_declared_kinds_and_streams_them_from_the_vocabulary() -> None:
    static = ROOT / "api" / "dashboard" / "static"
    format_js = (static / "format.js").read_text(encoding="utf-8")
    worded = set(re.findall(r"case \"([\w.]+)\":", format_js))
    assert "room.status" in worded
    assert sorted(worded - DECLARED) == [], "format.js words kinds the product never stores"
    assert "STORED_EVENT_WORDS" in format_js  # the kinds it has no particular sentence for
    stream_js = (static / "stream.js").read_text(encoding="utf-8")
    assert "STREAMED_EVENT_KINDS" in stream_js
    hand_listed = set(re.findall(r"\"([a-z_]+\.[\w.]+)\"", stream_js))
    assert hand_listed == set(), f"stream.js lists kinds by hand: {sorted(hand_listed)}"
    # What the dashboard words, it hears live (bot page console lines are fetched with the timeline only).
    assert sorted(worded - {k.value for k in STREAMED_EVENT_KINDS} - {k.value for k in UNSTREAMED_EVENT_KINDS}) == []
