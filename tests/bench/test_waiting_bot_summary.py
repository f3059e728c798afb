"""How the waiting-bot benchmark turns samples into figures and README rows: medians per room count and variant,
the ratio to the card at the camera's rate, and the baseline's card rate put back after its farm."""

from __future__ import annotations

import pytest

from farm.room import bot_page_config
from tests.bench.report import ROWS
from tests.bench.waiting_bot import BASELINE, Sample, _card_rate, summarize


def _sample(variant: str, run: int, cores: float, fps: float) -> Sample:
    return Sample(variant, 1, run, cores, [fps], {"renderer chromium": cores / 2})


def test_medians_over_runs_and_the_ratio_to_the_card_at_the_cameras_rate() -> None:
    samples = [
        _sample("avatarfarm", 0, 0.20, 5.0),
        _sample("avatarfarm", 1, 0.22, 5.0),
        _sample("avatarfarm", 2, 0.19, 4.9),
        _sample(BASELINE, 0, 0.30, 25.0),
        _sample(BASELINE, 1, 0.34, 24.8),
        _sample(BASELINE, 2, 0.31, 25.0),
    ]
    figures = summarize(samples, [1])["1"]

    assert figures["avatarfarm"]["cores_per_bot"]["median"] == pytest.approx(0.20)
    assert figures[BASELINE]["cores_per_bot"]["median"] == pytest.approx(0.31)
    assert (figures[BASELINE]["cores_per_bot"]["min"], figures[BASELINE]["cores_per_bot"]["max"]) == (0.30, 0.34)
    assert figures["avatarfarm"]["ratio_to_baseline"] == pytest.approx(0.20 / 0.31)
    assert figures["avatarfarm"]["lecturer_fps"]["median"] == pytest.approx(5.0)

    result = {"camera_fps": 25, "baseline": BASELINE, "rooms": {"1": figures}}
    [(what, value, notes)] = ROWS["waiting_bot"](result)
    assert what.startswith("CPU per bot, 1 room, waiting in the main session") and "(5 fps)" in what
    assert value == "0.20 cores (0.19–0.22, 3 runs)"
    assert notes == "the card at the camera's 25 fps: 0.31 cores (0.30–0.34, 3 runs) (×0.65)"


def test_the_baselines_card_rate_is_the_cameras_and_only_for_its_own_farm() -> None:
    before = dict(bot_page_config.DEFAULT_COMPOSITOR)
    with _card_rate("avatarfarm"):
        assert bot_page_config.DEFAULT_COMPOSITOR == before
    with pytest.raises(RuntimeError), _card_rate(BASELINE):
        assert bot_page_config.DEFAULT_COMPOSITOR["placeholder_fps"] == before["fps"]
        raise RuntimeError("the farm failed")
    assert bot_page_config.DEFAULT_COMPOSITOR == before
