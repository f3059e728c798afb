"""tests/bench/results.json: one entry per measure and settings, each with its own provenance.

{"format": 2, "measures": {KEY: {"measure", "label", "provenance", "result"}}}, where KEY is the measure's name,
followed by " [label]" for an extra row (settings other than the product's defaults, or browsers as root). A
rerun replaces the entries it measured and leaves every other entry, its date included, as it was.

Files of the first format (one date and machine for everything, no settings) are read as what they were:
measured with quality `low`, AVATAR_START=on_join (student_arrival: on_human) and the browsers as root without
their sandbox, with the commit, browser versions and CPU model not recorded.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.bench.spread import figure

FORMAT = 2
ROOT_USER = "root (uid 0), Chromium sandbox off (--no-sandbox)"


def key(measure: str, label: str = "") -> str:
    return f"{measure} [{label}]" if label else measure


def entry(measure: str, label: str, provenance: dict[str, Any], result: Any) -> dict[str, Any]:
    return {"measure": measure, "label": label, "provenance": provenance, "result": result}


def merge(previous: dict[str, Any], measured: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """`previous` with the entries of `measured` replaced or added; nothing else changes."""
    return {"format": FORMAT, "measures": {**previous.get("measures", {}), **measured}}


def load(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {"format": FORMAT, "measures": {}}
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    if data.get("format") == FORMAT:
        return data
    return from_first_format(data)


def save(path: Path, results: dict[str, Any]) -> None:
    path.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


def _old_provenance(data: dict[str, Any], settings: dict[str, Any]) -> dict[str, Any]:
    return {
        "commit": None,
        "uncommitted_changes": None,
        "chromium": None,
        "playwright": None,
        "cpu_model": None,
        "cores": int(str(data.get("machine", "0")).split()[0] or 0) or None,
        "python": None,
        "user": ROOT_USER,
        "settings": settings,
        "runs": data.get("runs"),
        "date": data.get("date"),
        "note": "first results format: commit, browser versions and CPU model were not recorded; several figures "
        "are repeats inside one farm rather than independent runs",
    }


def _old_result(name: str, metric: Any) -> Any:
    """The first format's figures in this format's shape (medians with their spread)."""
    if name.startswith("time_to_live_"):
        return {"ready_status": "live", "ready_s": figure(metric["samples_s"])}
    if name == "per_bot":
        rooms = {}
        for count, variants in metric["rooms"].items():
            rooms[count] = {
                variant: {
                    "cores_per_bot": figure([s["cores_per_bot"] for s in figures.get("samples", [])]),
                    "pss_mib_per_bot": figure([s["pss_mib_per_bot"] for s in figures.get("samples", [])]),
                    "student_fps": figure([f for s in figures.get("samples", []) for f in s["student_fps"]]),
                }
                for variant, figures in variants.items()
            }
        return {**{k: v for k, v in metric.items() if k != "rooms"}, "rooms": rooms}
    if name == "glass_to_glass_s":
        return {"latency_s": figure(metric)}
    if name == "media":
        fps = {"fps": figure(metric["fps"]), "say_to_hear_s": figure(metric["say_to_hear_s"])}
        return {**fps, "avatar_fps": 15}  # the fake's own rate: that measure did not set one
    if name == "recovery_s":
        return {"recovery_s": figure(metric)}
    if name == "student_arrival":
        return {"live_s": figure(metric["live_s"]), "heard_s": figure(metric["heard_s"])}
    if name == "nodes":
        return {k: figure(v) for k, v in metric.items()}
    if name == "rooms_at_20_fps":
        return {**metric, "largest": figure([metric["largest_rooms_at_20_fps"]])}
    return metric


def from_first_format(data: dict[str, Any]) -> dict[str, Any]:
    measured = {}
    for name, metric in data.get("metrics", {}).items():
        if name == "materials":  # no browser, no farm: settings and user do not apply
            settings: dict[str, Any] = {}
            label = ""
            prov = {**_old_provenance(data, settings), "user": "(no browser)"}
        else:
            start = "on_human" if name == "student_arrival" else "on_join"
            settings = {"avatar_quality": "low", "avatar_start": start}
            label = f"avatar_quality=low{', avatar_start=on_join' if start == 'on_join' else ''}, root"
            prov = _old_provenance(data, settings)
        measured[key(name, label)] = entry(name, label, prov, _old_result(name, metric))
    return merge({}, measured)
