"""No product code swallows every error in silence: `contextlib.suppress(Exception)` (or BaseException) hides a
failure on whatever path it wraps, money included, and ruff's BLE rule, which catches a blind `except`, does not
see it. A suppress names the errors it expects; anything wider is an `except` that logs (BLE checks those)."""

from __future__ import annotations

import ast

from tests.support.source_files import PRODUCT, ROOT, calls, python_files

BLANKET = frozenset({"Exception", "BaseException"})


def blanket_suppressions(source: str) -> list[int]:
    """Lines of `suppress(...)` calls (however imported) that name Exception or BaseException."""
    found = []
    for call in calls(source):
        called = call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", None)
        named = {arg.id if isinstance(arg, ast.Name) else getattr(arg, "attr", None) for arg in call.args}
        if called == "suppress" and named & BLANKET:
            found.append(call.lineno)
    return found


def test_no_product_code_suppresses_every_exception() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in python_files(*PRODUCT)
        for line in blanket_suppressions(path.read_text(encoding="utf-8"))
    ]
    assert found == []


def test_the_check_sees_a_blanket_suppress() -> None:
    assert blanket_suppressions("import contextlib\nwith contextlib.suppress(Exception):\n    pass\n") == [2]
    assert blanket_suppressions(
        "from contextlib import suppress\nwith suppress(OSError, builtins.BaseException): pass"
    ) == [2]
    assert blanket_suppressions("with contextlib.suppress(OSError, TimeoutError):\n    pass\n") == []
