"""README's benchmark table and per-bot prose and the browser nodes' manifest say what results.json says; a
partial rerun replaces only what it measured; figures at the defaults are told from extra rows."""

from __future__ import annotations

import copy
import re
from typing import Any

import yaml

from tests.bench import report, results_file
from tests.bench.spread import figure


def _per_bot(cores: float, pss: float, fps: float = 25.0) -> dict[str, Any]:
    ours = {"cores_per_bot": figure([cores]), "pss_mib_per_bot": figure([pss]), "student_fps": figure([fps])}
    return {"avatar_fps": 25, "rooms": {"1": {"avatarfarm": ours}}}


def _prov(date: str, user: str = "nobody (uid 65534), Chromium sandbox on") -> dict[str, Any]:
    return {"commit": "abc1234567890", "chromium": "Chromium 1", "playwright": "1.0", "date": date, "user": user}


def test_readme_and_manifest_say_what_results_json_says() -> None:
    assert report.disagreements(results_file.load(report.RESULTS)) == []


def test_a_changed_figure_makes_the_check_fail() -> None:
    results = results_file.load(report.RESULTS)
    changed = copy.deepcopy(results)
    entry = report.per_bot_source(changed)
    assert entry is not None
    for variants in entry["result"]["rooms"].values():
        variants["avatarfarm"]["pss_mib_per_bot"]["median"] += 7
    readme = report.README.read_text(encoding="utf-8")
    assert report.readme_text(changed, readme) != readme
    manifest = report.MANIFEST.read_text(encoding="utf-8")
    assert report.manifest_text(changed, manifest) != manifest


def _node_requests() -> dict[str, str]:
    docs = list(yaml.safe_load_all(report.MANIFEST.read_text(encoding="utf-8")))
    deployment = next(d for d in docs if d and d["kind"] == "Deployment")
    requests: dict[str, str] = deployment["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]
    return requests


def test_the_manifests_requests_cover_the_quoted_figures() -> None:
    needed = report.needed_requests(results_file.load(report.RESULTS))
    assert needed is not None
    cores, mib = needed
    requests = _node_requests()
    assert int(requests["cpu"].removesuffix("m")) / 1000 >= cores
    assert int(requests["memory"].removesuffix("Mi")) >= mib


def test_readme_quotes_the_manifests_requests() -> None:
    quoted = re.search(r"requests (\d+)m CPU and (\d+) MiB for 4 bots", report.README.read_text(encoding="utf-8"))
    assert quoted, "README's Kubernetes paragraph no longer quotes the browser nodes' requests"
    requests = _node_requests()
    assert (f"{quoted.group(1)}m", f"{quoted.group(2)}Mi") == (requests["cpu"], requests["memory"])


def test_a_partial_rerun_replaces_only_what_it_measured() -> None:
    previous = results_file.merge(
        {},
        {
            "per_bot": results_file.entry("per_bot", "", _prov("2026-12-01 10:00 UTC"), _per_bot(0.2, 250)),
            "recovery_s": results_file.entry(
                "recovery_s", "", _prov("2026-12-01 11:00 UTC"), {"recovery_s": figure([3.0])}
            ),
        },
    )
    again = results_file.entry("per_bot", "", _prov("2026-12-05 09:00 UTC"), _per_bot(0.18, 240))
    merged = results_file.merge(previous, {"per_bot": again})
    assert merged["measures"]["recovery_s"] == previous["measures"]["recovery_s"]
    assert merged["measures"]["per_bot"]["provenance"]["date"] == "2026-12-05 09:00 UTC"


def test_defaults_come_first_and_extra_rows_are_labelled() -> None:
    results = results_file.merge(
        {},
        {
            "per_bot [avatar_quality=low]": results_file.entry(
                "per_bot", "avatar_quality=low", _prov("2026-12-01 10:00 UTC"), _per_bot(0.15, 200)
            ),
            "per_bot": results_file.entry("per_bot", "", _prov("2026-12-02 10:00 UTC"), _per_bot(0.21, 260)),
        },
    )
    rows = [line for line in report.table(results).splitlines() if line.startswith("| CPU per bot")]
    assert [row.split(" | ")[1] for row in rows] == ["defaults", "avatar_quality=low"]
    assert "0.21 cores (1 run)" in rows[0]
    # The prose quotes the figures at the defaults when there are some …
    assert report.fragments(results)["per-bot"].startswith("0.21 core and 260 MiB")
    # … and says so when there are only extra rows.
    del results["measures"]["per_bot"]
    words = report.fragments(results)["per-bot"]
    assert words.startswith("0.15 core and 200 MiB") and "not yet measured at the product's defaults" in words


def test_every_figure_shows_its_spread_and_its_provenance() -> None:
    results = results_file.merge(
        {},
        {
            "recovery_s": results_file.entry(
                "recovery_s", "", _prov("2026-12-01 11:00 UTC"), {"recovery_s": figure([3.0, 2.0, 5.0])}
            )
        },
    )
    text = report.table(results)
    assert "| 3.0 s (2.0–5.0, 3 runs) |" in text
    assert re.search(r"1\. 2026-12-01 11:00 UTC; commit abc1234567; Chromium 1; Playwright 1.0; .*nobody", text)


def test_the_first_format_is_read_as_what_it_measured() -> None:
    old = {
        "date": "2026-11-30",
        "machine": "2 cores, x86_64, CPython 3.11.7",
        "runs": 3,
        "metrics": {"recovery_s": [3.0, 1.8, 4.2], "student_arrival": {"live_s": [0.6], "heard_s": [0.7]}},
    }
    converted = results_file.from_first_format(old)["measures"]
    recovery = converted["recovery_s [avatar_quality=low, avatar_start=on_join, root]"]
    assert recovery["result"]["recovery_s"]["median"] == 3.0
    assert recovery["provenance"]["user"] == results_file.ROOT_USER and recovery["provenance"]["commit"] is None
    assert converted["student_arrival [avatar_quality=low, root]"]["provenance"]["settings"]["avatar_start"] == (
        "on_human"
    )
