"""Which node_modules files the bot page may load: its entry points and what they import by relative path."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from api.vendor_files import npm_files


def _write(root: Path, path: str, text: str = "") -> None:
    (root / path).parent.mkdir(parents=True, exist_ok=True)
    (root / path).write_text(text)


def test_entry_points_and_their_relative_imports_only(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    _write(
        tmp_path,
        "sdk/dist/index.js",
        'import { EventEmitter } from "events";\nimport a from "./a.js";\nexport * from "../lib/b.mjs";\n'
        "import './side-effect.js';\nconst lazy = () => import(\"./lazy.js\");\nimport z from 'zlib-lite';\n",
    )
    _write(tmp_path, "sdk/dist/a.js", 'export {x} from "./nested/c.js"')
    _write(tmp_path, "sdk/dist/nested/c.js", "export const x = 1;")
    _write(tmp_path, "sdk/lib/b.mjs", "export const b = 2;")
    _write(tmp_path, "sdk/dist/side-effect.js")
    _write(tmp_path, "sdk/dist/lazy.js")
    _write(tmp_path, "sdk/dist/index.js.map", "{}")
    _write(tmp_path, "sdk/package.json", "{}")
    _write(tmp_path, "events/events.js")
    with caplog.at_level(logging.WARNING, logger="avatarfarm.api"):
        found = npm_files(tmp_path, ["sdk/dist/index.js", "sdk/dist/missing.js"], ["events"])
    assert found == {
        "sdk/dist/index.js",
        "sdk/dist/a.js",
        "sdk/dist/nested/c.js",
        "sdk/lib/b.mjs",
        "sdk/dist/side-effect.js",
        "sdk/dist/lazy.js",
    }
    [warning] = [r.getMessage() for r in caplog.records]
    assert "'zlib-lite'" in warning


def test_an_import_cannot_climb_out_of_node_modules(tmp_path: Path) -> None:
    modules = tmp_path / "node_modules"
    _write(modules, "sdk/index.js", 'import "../../secret.js";')
    _write(tmp_path, "secret.js")
    assert npm_files(modules, ["sdk/index.js"], []) == {"sdk/index.js"}


def test_the_answer_is_kept_until_an_entry_point_changes(tmp_path: Path) -> None:
    _write(tmp_path, "sdk/index.js", 'import "./a.js";')
    _write(tmp_path, "sdk/a.js")
    _write(tmp_path, "sdk/b.js")
    assert npm_files(tmp_path, ["sdk/index.js"], []) == {"sdk/index.js", "sdk/a.js"}
    (tmp_path / "sdk" / "a.js").unlink()  # not read again: the sources are the same as far as the stamp says
    assert npm_files(tmp_path, ["sdk/index.js"], []) == {"sdk/index.js", "sdk/a.js"}
    _write(tmp_path, "sdk/index.js", 'import "./b.js"; // a new release')
    assert npm_files(tmp_path, ["sdk/index.js"], []) == {"sdk/index.js", "sdk/b.js"}
