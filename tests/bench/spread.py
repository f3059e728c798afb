"""A benchmark figure: the median of independent runs with its spread (lowest, highest, how many runs)."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from typing import Any


def figure(samples: Sequence[float | None]) -> dict[str, Any]:
    """{"median", "min", "max", "n", "samples"} of the runs that gave a value (median None when none did)."""
    values = [float(v) for v in samples if v is not None]
    return {
        "median": statistics.median(values) if values else None,
        "min": min(values) if values else None,
        "max": max(values) if values else None,
        "n": len(values),
        "samples": values,
    }


def shown(fig: dict[str, Any] | None, fmt: str = "{:.1f}", unit: str = "") -> str:
    """'1.5 s (1.4–1.6, 3 runs)' for the README; '—' when there is no value."""
    if not fig or fig.get("median") is None:
        return "—"
    suffix = f" {unit}" if unit else ""
    median = fmt.format(fig["median"]) + suffix
    if fig["n"] < 2:
        return f"{median} (1 run)"
    return f"{median} ({fmt.format(fig['min'])}–{fmt.format(fig['max'])}, {fig['n']} runs)"
