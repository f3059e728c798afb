"""How the per-bot benchmark turns samples into figures: medians per room count and variant, ratios to the naive
baseline, and the browser trees each variant must show (the shared browser's one tree for all its bots)."""

from __future__ import annotations

import json
import os

import pytest

from farm.browsers.browser_node import BOT_ARGS, LocalBrowserNode
from tests.bench.per_bot import Sample, expected_trees, node_for, summarize
from tests.bench.shared_browser import SharedBrowserNode
from tests.bench.unprivileged import UnprivilegedNode, UnprivilegedSharedNode


def _sample(variant: str, rooms: int, run: int, cores: float, pss: float, fps: list[float]) -> Sample:
    trees = expected_trees(variant, rooms)
    return Sample(variant, rooms, run, rooms, trees, 9 * trees, cores, pss, pss, fps, {"renderer": {"processes": 2}})


def test_medians_over_runs_and_ratios_to_the_naive_baseline() -> None:
    samples = [
        _sample("naive", 3, 0, 0.40, 700.0, [25, 24, 25]),
        _sample("naive", 3, 1, 0.90, 790.0, [25, 25, 25]),
        _sample("naive", 3, 2, 0.50, 720.0, [23, 25, 25]),
        _sample("avatarfarm", 3, 0, 0.20, 300.0, [25, 25, 25]),
        _sample("avatarfarm", 3, 1, 0.30, 400.0, [25, 25, 25]),
        _sample("avatarfarm", 3, 2, 0.25, 360.0, [25, 25, 24]),
        _sample("shared browser", 3, 0, 0.10, 180.0, [5, 4, 6]),
    ]
    figures = summarize(samples, [3], ["avatarfarm", "naive", "shared browser"])["3"]

    assert figures["naive"]["cores_per_bot"]["median"] == pytest.approx(0.50)
    assert figures["naive"]["pss_mib_per_bot"]["median"] == pytest.approx(720.0)
    assert figures["avatarfarm"]["cores_per_bot"]["median"] == pytest.approx(0.25)
    # Every figure keeps its spread over the runs.
    assert (figures["naive"]["cores_per_bot"]["min"], figures["naive"]["cores_per_bot"]["max"]) == (0.40, 0.90)
    assert figures["avatarfarm"]["pss_mib_per_bot"]["n"] == 3
    assert figures["avatarfarm"]["ratio_to_naive"] == {
        "cores_per_bot": pytest.approx(0.5),
        "pss_mib_per_bot": pytest.approx(0.5),
    }
    assert figures["naive"]["ratio_to_naive"]["cores_per_bot"] == pytest.approx(1.0)
    # Cheap but broken shows: the students' frame rate travels with the cost.
    assert figures["shared browser"]["student_fps"]["median"] == 5
    assert figures["avatarfarm"]["student_fps"]["median"] == 25
    assert len(figures["avatarfarm"]["samples"]) == 3
    assert figures["shared browser"]["samples"][0]["browser_trees"] == 1
    json.dumps(figures)  # plain data, for results.json


def test_a_room_count_without_a_baseline_sample_has_no_ratio() -> None:
    figures = summarize([_sample("avatarfarm", 1, 0, 0.3, 480.0, [25])], [1, 6], ["avatarfarm", "naive"])
    assert figures["1"]["avatarfarm"]["ratio_to_naive"] == {"cores_per_bot": None, "pss_mib_per_bot": None}
    assert figures["6"]["avatarfarm"]["cores_per_bot"]["median"] is None


def test_the_variants_nodes() -> None:
    ours, naive, shared = node_for("avatarfarm"), node_for("naive"), node_for("shared browser")
    assert isinstance(ours, LocalBrowserNode) and ours.bot_args == BOT_ARGS
    # As root, the bots' browsers drop to an unprivileged user and keep their sandbox (tests/bench/unprivileged.py).
    if os.geteuid() == 0:
        assert all(isinstance(n, (UnprivilegedNode, UnprivilegedSharedNode)) for n in (ours, naive, shared))
        options = ours.launch_options()
        assert options["chromium_sandbox"] is True and "--no-sandbox" not in options["args"]
        assert isinstance(node_for("avatarfarm", as_root=True), LocalBrowserNode)
        assert not isinstance(node_for("avatarfarm", as_root=True), UnprivilegedNode)
    assert isinstance(naive, LocalBrowserNode) and naive.bot_args == ()
    assert not set(BOT_ARGS) & set(naive.launch_options()["args"])
    assert isinstance(shared, SharedBrowserNode) and shared.bot_args == BOT_ARGS
    assert expected_trees("shared browser", 6) == 1 and expected_trees("naive", 6) == 6
    with pytest.raises(ValueError):
        node_for("headful")
