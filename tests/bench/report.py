"""README's benchmark table, the per-bot figures in its prose and the comment above the browser nodes' resource
requests in deploy/kubernetes/browser-nodes.yaml: all generated from tests/bench/results.json, here and only here.

`python -m tests.bench.report` rewrites them from results.json (`make bench` does it after measuring);
`python -m tests.bench.report --check` exits 1 when README or the manifest says something else
(tests/bench/test_report.py runs the check in `make test`).

In README the table sits between `<!-- bench:start -->` and `<!-- bench:end -->`, and each generated phrase of
the prose between `<!-- bench:NAME -->` and `<!-- /bench:NAME -->`; in the manifest the comment sits between
`# bench:start` and `# bench:end`.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from tests.bench import results_file
from tests.bench.soak import PLATEAU_SLOPE
from tests.bench.spread import shown

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "tests" / "bench" / "results.json"
README = ROOT / "README.md"
MANIFEST = ROOT / "deploy" / "kubernetes" / "browser-nodes.yaml"
START, END = "<!-- bench:start -->", "<!-- bench:end -->"
YAML_START, YAML_END = "# bench:start", "# bench:end"
NODE_BOTS = 4  # bots per browser-node pod in the manifest
NODE_OVERHEAD_MIB = 250  # the node process and Playwright's driver, beside its bots

# What others report per bot (../shared/reference/meeting-bot-landscape.md), and this project's goal. Measured
# figures and reservations are told apart.
GOAL_CORES, GOAL_PSS_MIB = 0.15, 200  # per bot at the defaults with a student receiving (near the physical floor)
ANCHORS_CPU = (
    f"goal ≤ {GOAL_CORES:g}; Vexa measured p95 0.78 (real Zoom); Attendee reserves 4 (a request, not a measure)"
)
ANCHORS_PSS = f"goal ≤ {GOAL_PSS_MIB} MiB; Vexa measured p95 977 MiB (real Zoom); Attendee reserves 4 GiB (a request)"

Row = tuple[str, str, str]


def _rooms(count: str) -> str:
    return f"{count} room{'s' if count != '1' else ''}"


def _per_bot(result: dict[str, Any]) -> list[Row]:
    rows = []
    for count, variants in result["rooms"].items():
        ours, naive = variants.get("avatarfarm", {}), variants.get("naive", {})
        if not ours or ours["cores_per_bot"]["median"] is None:
            continue
        fps = ours.get("student_fps", {}).get("median")
        receive = f" ({fps:.0f} fps)" if fps is not None else ""
        where = f"{_rooms(count)}, a student receiving in each{receive}"
        for field, what, unit, anchors, fmt in (
            ("cores_per_bot", "CPU", "cores", ANCHORS_CPU, "{:.2f}"),
            ("pss_mib_per_bot", "Memory (PSS)", "MiB", ANCHORS_PSS, "{:.0f}"),
        ):
            against = "no baseline"
            base = (naive.get(field) or {}).get("median")
            if base:
                against = f"naive baseline {fmt.format(base)} {unit} (×{ours[field]['median'] / base:.2f})"
            rows.append((f"{what} per bot, {where}", shown(ours[field], fmt, unit), f"{against}; {anchors}"))
        shared = variants.get("shared browser", {})
        if shared and shared["cores_per_bot"]["median"] is not None:
            rows.append(
                (
                    f"One Chromium, a BrowserContext per room ({where})",
                    f"{shown(shared['cores_per_bot'], '{:.2f}', 'cores')}; "
                    f"{shown(shared['pss_mib_per_bot'], '{:.0f}', 'MiB')} per bot",
                    "measured only: a browser crash would cost every room, so one Chromium per room stays",
                )
            )
    return rows


def _waiting_bot(result: dict[str, Any]) -> list[Row]:
    rows = []
    for count, variants in result["rooms"].items():
        ours, base = variants["avatarfarm"], variants[result["baseline"]]
        fps = ours["lecturer_fps"]["median"]
        where = f"{_rooms(count)}, waiting in the main session, a lecturer receiving the card ({fps or 0:.0f} fps)"
        against = "no baseline"
        if base["cores_per_bot"]["median"] and ours.get("ratio_to_baseline") is not None:
            against = (
                f"the card at the camera's {result['camera_fps']} fps: "
                f"{shown(base['cores_per_bot'], '{:.2f}', 'cores')} (×{ours['ratio_to_baseline']:.2f})"
            )
        rows.append((f"CPU per bot, {where}", shown(ours["cores_per_bot"], "{:.2f}", "cores"), against))
    return rows


def _time_to_live(rooms: str) -> Callable[[dict[str, Any]], list[Row]]:
    def rows(result: dict[str, Any]) -> list[Row]:
        if result["ready_status"] == "live":
            return [(f"POST /api/sessions → {_rooms(rooms)} live", shown(result["ready_s"], unit="s"), "")]
        what = f"POST /api/sessions → {_rooms(rooms)} with the bot in its room"
        return [(what, shown(result["ready_s"], unit="s"), "waiting for a student; no avatar billed yet")]

    return rows


def _media(result: dict[str, Any]) -> list[Row]:
    return [
        (
            "Frames per second at a participant",
            shown(result["fps"], "{:.0f}", "fps"),
            f"the avatar sends {result['avatar_fps']:g} fps",
        ),
        ("Say-to-hear latency at a participant", shown(result["say_to_hear_s"], "{:.2f}", "s"), "REST say → audible"),
    ]


def _arrival(result: dict[str, Any]) -> list[Row]:
    rows = [("Student arrives → room live (avatar ready)", shown(result["live_s"], unit="s"), "the page's report")]
    if "seen_s" in result:
        rows.append(
            ("Student arrives → avatar seen", shown(result["seen_s"], unit="s"), "its first frame at the student")
        )
    rows.append(("Student arrives → avatar heard (greeting)", shown(result["heard_s"], unit="s"), "at the student"))
    for step, fig in (result.get("steps_s") or {}).items():
        rows.append((f"… of which {step}", shown(fig, "{:.2f}", "s"), "from the page's and farm's own timestamps"))
    return rows


def _soak(result: dict[str, Any]) -> list[Row]:
    plateau = result.get("plateau")
    where = (
        f"plateau {plateau['pss_mib']:.0f} MiB ({plateau['low']:.0f}–{plateau['high']:.0f}) "
        f"from {plateau['from_s'] / 60:.1f} min"
        if plateau
        else "no plateau within the soak"
    )
    slope, late = result.get("slope_mib_per_min"), result.get("slope_mib_per_min_second_half")
    slopes = f"slope {slope:+.1f} MiB/min over the soak, {late:+.1f} over its second half" if slope is not None else ""
    return [
        (f"Memory (PSS) of one bot over {result['minutes']:g} min, read every {result['every_s']:g} s", where, slopes)
    ]


def _materials(hits: dict[str, Any]) -> list[Row]:
    rows = [
        (
            "Course passage a question needs, in the avatar's context",
            f"{hits['hit_rate']:.2f} hit rate (first characters of the course text: {hits['baseline_hit_rate']:.2f})",
            f"{hits['questions']} questions on a generated 40-page PDF and 12-slide deck, "
            f"{hits['budget_chars']:,} characters",
        )
    ]
    if "large_course_passages" in hits:
        rows.append(
            (
                "Passage selection at an avatar start",
                f"{hits['selection_ms_per_question']:.1f} ms; {hits['large_course_selection_ms_per_question']:.1f} "
                "ms on a course ten times larger",
                f"FTS5 bm25, 3 queries fused; the larger course ({hits['large_course_passages']} passages) "
                f"hit rate {hits['large_course_hit_rate']:.2f}",
            )
        )
    return rows


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f} ms"


def _department(result: dict[str, Any]) -> list[Row]:
    """One row per step: the manager's CPU and memory and the report → dashboard latency; the notes hold the
    rest (SQLite's growth, rooms live, what bounds it against the goal of one core and p99 under 250 ms)."""
    rows = []
    for classes, step in sorted(result["steps"].items(), key=lambda item: int(item[0])):
        manager, latency, grown = step["manager"], step["latency"], step["database"]["bytes_per_room_hour"]
        what = (
            f"Control plane, {_plural(int(classes), 'class', 'classes')} of {result['rooms_per_class']} rooms "
            f"({step['rooms']} simulated bots, a dashboard per class, webhooks on)"
        )
        value = (
            f"{manager['cores']:.2f} cores, PSS {manager['pss_mib']:.0f} MiB; report → dashboard p50 "
            f"{_ms(latency['p50_ms'])}, p99 {_ms(latency['p99_ms'])}"
        )
        growth = "—" if grown is None else f"{grown / 1024:.0f} KiB"
        verdict = "; ".join(step["bounded_by"]) if step["bounded_by"] else "within the goal (1 core, p99 < 250 ms)"
        notes = (
            f"RSS {manager['rss_mib']:.0f} MiB; SQLite +{growth} per room-hour; {step['live_rooms']}/{step['rooms']} "
            f"rooms live after {step['live_s']:.0f} s; {step['reports_per_s']:.0f} reports/s, "
            f"{step['webhooks_per_s']:.0f} webhooks/s over {step['window_s']:.0f} s; {verdict}"
        )
        rows.append((what, value, notes))
    return rows


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


ROWS: dict[str, Callable[[dict[str, Any]], list[Row]]] = {
    "time_to_live_1": _time_to_live("1"),
    "time_to_live_3": _time_to_live("3"),
    "per_bot": _per_bot,
    "waiting_bot": _waiting_bot,
    "memory_soak": _soak,
    "glass_to_glass_s": lambda r: [
        (
            "Glass-to-glass video latency at a student",
            shown({k: (v * 1000 if isinstance(v, float) else v) for k, v in r["latency_s"].items()}, "{:.0f}", "ms"),
            "the avatar's frame stamped at capture → read back in the student's page",
        )
    ],
    "rooms_at_20_fps": lambda r: [
        ("Rooms whose students all receive ≥ 20 fps", shown(r["largest"], "{:.0f}"), "students on the same cores")
    ],
    "media": _media,
    "recovery_s": lambda r: [
        ("Recovery after kill -9 of a bot's browser", shown(r["recovery_s"], unit="s"), "a student in the room"),
        *[
            (f"… of which {step}", shown(fig, "{:.2f}", "s"), "from the room's status events")
            for step, fig in (r.get("steps_s") or {}).items()
        ],
    ],
    "student_arrival": _arrival,
    "shutdown_s": lambda r: [
        (
            "SIGTERM → manager exited, every bot out of its meeting",
            shown(r["exit_s"], unit="s"),
            f"{r['rooms']} rooms live",
        )
    ],
    "demo_stop_s": lambda r: [
        (
            "Ctrl-C → `avatarfarm demo` exited, its bots, avatars and fakes stopped",
            shown(r["exit_s"], unit="s"),
            f"{r['rooms']} rooms ready; parts cut short: {r['cut_short']}",
        )
    ],
    "nodes": lambda r: [
        ("POST /api/sessions → 6 bots in their rooms, 1 node", shown(r["one_node_s"], unit="s"), "node processes here"),
        ("POST /api/sessions → 6 bots in their rooms, 2 nodes", shown(r["two_nodes_s"], unit="s"), "same cores"),
        ("Recovery after SIGKILL of a browser node", shown(r["node_recovery_s"], unit="s"), "on the other node"),
    ],
    "materials": _materials,
    "department": _department,
}


def _ordered(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Entries at the defaults first (in ROWS' order), then the extra rows, each group in ROWS' order."""
    order = {name: i for i, name in enumerate(ROWS)}
    entries = list(results["measures"].values())
    return sorted(entries, key=lambda e: (bool(e["label"]), e["label"], order.get(e["measure"], len(order))))


def _where(prov: dict[str, Any]) -> str:
    commit = prov["commit"][:10] if prov.get("commit") else "not recorded"
    if prov.get("uncommitted_changes"):
        commit += " + uncommitted changes"
    parts = [
        f"{prov.get('date') or 'undated'}",
        f"commit {commit}",
        f"{prov.get('chromium') or 'Chromium version not recorded'}",
        f"Playwright {prov.get('playwright') or 'not recorded'}",
        f"{prov.get('cpu_model') or 'CPU model not recorded'}, {prov.get('cores') or '?'} cores",
        f"bots as {prov.get('user')}",
    ]
    if prov.get("load_average"):
        before, after = prov["load_average"]
        parts.append(f"load average {before:.1f} → {after:.1f} on {prov.get('cores') or '?'} cores")
    if prov.get("note"):
        parts.append(prov["note"])
    return "; ".join(parts)


def table(results: dict[str, Any]) -> str:
    sources: list[str] = []
    lines = ["| measure | settings | median (lowest–highest, runs) | notes | measured |", "|---|---|---|---|---|"]
    for e in _ordered(results):
        rows = ROWS.get(e["measure"])
        if rows is None:
            continue
        where = _where(e["provenance"])
        if where not in sources:
            sources.append(where)
        ref = f"[{sources.index(where) + 1}]"
        for what, value, notes in rows(e["result"]):
            lines.append(f"| {what} | {e['label'] or 'defaults'} | {value} | {notes} | {ref} |")
    notes = "\n".join(f"{i + 1}. {where}" for i, where in enumerate(sources))
    head = (
        "Generated from `tests/bench/results.json` by `python -m tests.bench.report`. *defaults*: the product's "
        "defaults (quality `medium`, `AVATAR_START=on_human`, bot browsers as an unprivileged user with "
        "Chromium's sandbox); other settings are extra rows.\n\n"
    )
    return head + "\n".join(lines) + "\n\nMeasured:\n\n" + notes + "\n"


# ---- the per-bot figures in prose and in the manifest -------------------------------------------------------


def per_bot_source(results: dict[str, Any]) -> dict[str, Any] | None:
    """The per_bot entry the docs quote: the one at the defaults, else the newest extra row."""
    entries = [e for e in results["measures"].values() if e["measure"] == "per_bot"]
    if not entries:
        return None
    return sorted(entries, key=lambda e: (e["label"] == "", e["provenance"].get("date") or ""))[-1]


def _medians(entry: dict[str, Any], field: str) -> dict[str, float]:
    return {
        count: variants["avatarfarm"][field]["median"]
        for count, variants in entry["result"]["rooms"].items()
        if variants.get("avatarfarm", {}).get(field, {}).get("median") is not None
    }


def _span(values: list[float], fmt: str) -> str:
    low, high = fmt.format(min(values)), fmt.format(max(values))
    return low if low == high else f"{low}–{high}"


def _conditions(entry: dict[str, Any]) -> str:
    prov = entry["provenance"]
    if not entry["label"]:
        return f"at the product's defaults, `make bench` {prov.get('date')}"
    return f"as last measured with {entry['label']} ({prov.get('date')}); not yet measured at the product's defaults"


def soak_words(results: dict[str, Any]) -> str:
    soaks = [e for e in results["measures"].values() if e["measure"] == "memory_soak"]
    if not soaks:
        return "not measured yet (`python -m tests.bench --only memory_soak`)"
    entry = sorted(soaks, key=lambda e: (e["label"] == "", e["provenance"].get("date") or ""))[-1]
    r = entry["result"]
    found = r.get("plateau")
    level = (
        f"it plateaus from {found['from_s'] / 60:.1f} min at {found['pss_mib']:.0f} MiB (readings "
        f"{found['low']:.0f}–{found['high']:.0f} MiB, slope {found['slope_mib_per_min']:+.1f} MiB/min)"
        if found
        else "it does not plateau"
    )
    late = r.get("slope_mib_per_min_second_half")
    doubt = ""
    if found and late is not None and abs(late) > PLATEAU_SLOPE:
        doubt = f", but its second half moves by {late:+.1f} MiB/min: this soak does not rule out slow growth"
    return (
        f"over {r['minutes']:g} minutes with a student receiving and asking (PSS every {r['every_s']:g} s), "
        f"{level}; its slope over the whole soak is {r['slope_mib_per_min']:+.1f} MiB/min{doubt} "
        f"({_conditions(entry)}; load average {_load(entry)})"
    )


def _load(entry: dict[str, Any]) -> str:
    load = entry["provenance"].get("load_average")
    return f"{load[0]:.1f} → {load[1]:.1f}" if load else "not recorded"


def fragments(results: dict[str, Any]) -> dict[str, str]:
    source = per_bot_source(results)
    if source is None:
        missing = "not measured yet (`make bench`)"
        return {"per-bot": missing, "six-rooms": missing, "soak": soak_words(results)}
    cores, pss = _medians(source, "cores_per_bot"), _medians(source, "pss_mib_per_bot")
    counts = ", ".join(sorted(cores, key=int))
    per_bot = (
        f"{_span(list(cores.values()), '{:.2f}')} core and {_span(list(pss.values()), '{:.0f}')} MiB (PSS), "
        f"medians with {counts} rooms {_conditions(source)}"
    )
    if not source["label"] and cores and pss:
        over_cpu, over_pss = max(cores.values()) / GOAL_CORES, max(pss.values()) / GOAL_PSS_MIB
        per_bot += (
            f"; against the goal of {GOAL_CORES:g} core and {GOAL_PSS_MIB} MiB, up to ×{over_cpu:.1f} the CPU and "
            f"×{over_pss:.2f} the memory"
        )
    six = source["result"]["rooms"].get("6", {}).get("avatarfarm", {})
    fps = (six.get("student_fps") or {}).get("median")
    six_rooms = (
        f"the students receive {fps:.0f} fps of the avatar's 25 ({_conditions(source)})"
        if fps is not None
        else "not measured at 6 rooms"
    )
    return {"per-bot": per_bot, "six-rooms": six_rooms, "soak": soak_words(results)}


def node_comment(results: dict[str, Any]) -> list[str]:
    source = per_bot_source(results)
    if source is None:
        return ["# Requests: no per-bot figure in tests/bench/results.json yet (`make bench`)."]
    cores = max(_medians(source, "cores_per_bot").values())
    pss = max(_medians(source, "pss_mib_per_bot").values())
    text = (
        f"Requests come from tests/bench/results.json (generated by `python -m tests.bench.report`): a bot in a "
        f"room with a student takes up to {cores:.2f} core and {pss:.0f} MiB (PSS), {_conditions(source)}. "
        f"{NODE_BOTS} bots: {NODE_BOTS * cores:.2f} cores and {NODE_BOTS * pss:.0f} MiB, plus about "
        f"{NODE_OVERHEAD_MIB} MiB for the node process and Playwright's driver. Limits leave headroom for the "
        "spikes of a room being joined."
    )
    lines, line = [], "#"
    for word in text.split():
        if len(line) + 1 + len(word) > 116:
            lines.append(line)
            line = "#"
        line += " " + word
    return [*lines, line]


def needed_requests(results: dict[str, Any]) -> tuple[float, float] | None:
    """(cores, MiB) a node of NODE_BOTS bots needs by the quoted figures, or None without figures."""
    source = per_bot_source(results)
    if source is None:
        return None
    cores = max(_medians(source, "cores_per_bot").values())
    pss = max(_medians(source, "pss_mib_per_bot").values())
    return NODE_BOTS * cores, NODE_BOTS * pss + NODE_OVERHEAD_MIB


# ---- writing and checking -------------------------------------------------------------------------------------


def _between_marks(words: str, marks: re.Match[str]) -> str:
    return f"{marks.group(1)}{words}{marks.group(2)}"


def readme_text(results: dict[str, Any], readme: str) -> str:
    head, rest = readme.split(START, 1)
    _, tail = rest.split(END, 1)
    text = f"{head}{START}\n{table(results)}{END}{tail}"
    for name, words in fragments(results).items():
        pattern = re.compile(rf"(<!-- bench:{name} -->).*?(<!-- /bench:{name} -->)", re.DOTALL)
        if not pattern.search(text):
            raise ValueError(f"README has no <!-- bench:{name} --> … <!-- /bench:{name} --> phrase")
        text = pattern.sub(partial(_between_marks, words), text)
    return text


def manifest_text(results: dict[str, Any], manifest: str) -> str:
    head, rest = manifest.split(YAML_START + "\n", 1)
    _, tail = rest.split(YAML_END + "\n", 1)
    return head + YAML_START + "\n" + "\n".join(node_comment(results)) + "\n" + YAML_END + "\n" + tail


def write(results: dict[str, Any]) -> None:
    README.write_text(readme_text(results, README.read_text(encoding="utf-8")), encoding="utf-8")
    MANIFEST.write_text(manifest_text(results, MANIFEST.read_text(encoding="utf-8")), encoding="utf-8")


def disagreements(results: dict[str, Any]) -> list[str]:
    """Which of README and the manifest differ from what results.json says (empty: they agree)."""
    wrong = []
    readme = README.read_text(encoding="utf-8")
    if readme_text(results, readme) != readme:
        wrong.append(str(README.relative_to(ROOT)))
    manifest = MANIFEST.read_text(encoding="utf-8")
    if manifest_text(results, manifest) != manifest:
        wrong.append(str(MANIFEST.relative_to(ROOT)))
    return wrong


def cli() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.report", description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when README or the manifest disagree")
    args = parser.parse_args()
    results = results_file.load(RESULTS)
    if args.check:
        wrong = disagreements(results)
        if wrong:
            print(f"not what tests/bench/results.json says: {', '.join(wrong)} (python -m tests.bench.report)")
            sys.exit(1)
        return
    write(results)


if __name__ == "__main__":
    cli()
