"""How the memory soak's readings become figures: the slope over the soak and its second half, and where the
memory plateaus (or that it does not)."""

from __future__ import annotations

import pytest

from tests.bench.soak import plateau, slope_mib_per_min, summarize


def _readings(values: list[float], every_s: float = 30.0) -> list[dict[str, float]]:
    return [{"t_s": i * every_s, "pss_mib_per_bot": v} for i, v in enumerate(values)]


def test_a_steady_rise_is_its_slope_and_no_plateau() -> None:
    rising = [200 + 1.0 * i for i in range(25)]  # 1 MiB every 30 s: 2 MiB per minute
    result = summarize(_readings(rising))
    assert result["slope_mib_per_min"] == pytest.approx(2.0)
    assert result["slope_mib_per_min_second_half"] == pytest.approx(2.0)
    assert result["plateau"] is None


def test_a_ramp_then_swings_around_a_level_is_a_plateau_from_the_end_of_the_ramp() -> None:
    ramp = [150, 180, 200]
    swings = [210, 190, 225, 205, 195, 215, 200, 220, 190, 210, 205, 200]
    found = plateau([(i * 30.0, v) for i, v in enumerate(ramp + swings)])
    assert found is not None
    assert found["from_s"] <= 90.0
    assert 195 <= found["pss_mib"] <= 210 and found["high"] == 225


def test_too_few_readings_have_no_slope_and_no_plateau() -> None:
    assert slope_mib_per_min([(0.0, 200.0)]) is None
    assert plateau([(0.0, 200.0), (30.0, 200.0)]) is None
