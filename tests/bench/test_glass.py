"""The glass-to-glass reader (tests/bench/glass.py): its JavaScript decoder reads what the fake's stamp writes, as
the Python reference does; a run where most frames cannot be read raises; and a student really reads stamps
through the whole chain."""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

from fakes.liveavatar import frame_stamp
from fakes.liveavatar.talking_head import TalkingHead
from tests.bench.glass import STAMP_DECODER_JS, glass_run, glass_runs

WIDTH, HEIGHT = 640, 360
STAMP = 1_764_504_000_123

needs_node = pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js to run the page's decoder")


def _rgba_band(luma: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """The bottom band as a canvas shows it: limited-range luma to full-range grey RGBA."""
    height = luma.shape[0]
    band = luma[height - frame_stamp.band_rows(height) :].astype(np.float64)
    grey = np.clip(np.round((band - 16) * 255 / 219), 0, 255).astype(np.uint8)
    return np.dstack([grey, grey, grey, np.full_like(grey, 255)])


def _run_js(calls: list[dict[str, Any]]) -> list[Any]:
    script = (
        STAMP_DECODER_JS
        + """
const calls = JSON.parse(require('fs').readFileSync(0, 'utf8'));
console.log(JSON.stringify(calls.map((c) => c.band
  ? decodeStampBand(Uint8ClampedArray.from(c.band), c.width, c.rows)
  : stampAgeMs(c.stamp, c.now))));
"""
    )
    done = subprocess.run(
        ["node", "-e", script], input=json.dumps(calls), capture_output=True, text=True, check=True, timeout=60
    )
    answer: list[Any] = json.loads(done.stdout)
    return answer


def _band_call(luma: NDArray[np.uint8]) -> dict[str, Any]:
    band = _rgba_band(luma)
    return {"band": band.ravel().tolist(), "width": band.shape[1], "rows": band.shape[0]}


@needs_node
def test_the_page_decoder_reads_what_the_python_reader_reads() -> None:
    head = TalkingHead(WIDTH, HEIGHT, "#e0b89a", "#35507a")
    rng = np.random.default_rng(7)
    stamps = [0, 2**32 - 1, 0xA5A5A5A5, STAMP % 2**32, STAMP % 2**32 + 40]
    lumas = []
    for index, stamp in enumerate(stamps):
        luma = np.frombuffer(head.frame(index / 25, 0.5, stamp), np.uint8)[: WIDTH * HEIGHT].reshape(HEIGHT, WIDTH)
        noisy = np.clip(luma.astype(np.float64) * 0.9 + 10 + rng.normal(0, 12, luma.shape), 0, 255)
        lumas.append(np.round(noisy).astype(np.uint8))
    half = lumas[-1][::2, ::2]  # the encoder's adaptation halves the resolution
    plain = np.frombuffer(head.frame(0.0, 0.0), np.uint8)[: WIDTH * HEIGHT].reshape(HEIGHT, WIDTH)
    frames = [*lumas, half, plain]
    expected = [frame_stamp.decode(luma) for luma in frames]
    assert expected == [*stamps, stamps[-1], None]
    assert _run_js([_band_call(luma) for luma in frames]) == expected


@needs_node
def test_the_page_reads_ages_across_the_32_bit_wrap() -> None:
    calls = [
        {"stamp": 2**32 - 10, "now": 2**32 + 30},
        {"stamp": STAMP % 2**32, "now": STAMP + 85},
        {"stamp": STAMP % 2**32, "now": STAMP - 5},
    ]
    assert _run_js(calls) == [frame_stamp.age_ms(c["stamp"], c["now"]) for c in calls] == [40, 85, -5]


def test_a_run_gives_the_median_age_and_what_was_decoded() -> None:
    run = glass_run({"seen": 5, "ages": [80, 120, 90, 100], "sizes": ["640x360"], "timedOut": False})
    assert run.median_s == pytest.approx(0.095)
    assert (run.frames_seen, run.frames_decoded, run.decoded_fraction) == (5, 4, 0.8)


def test_a_run_that_decodes_under_half_its_frames_raises() -> None:
    with pytest.raises(RuntimeError, match="2 of 5"):
        glass_run({"seen": 5, "ages": [80, 90], "sizes": ["640x360"], "timedOut": False})
    with pytest.raises(RuntimeError, match="0 of 0"):
        glass_run({"seen": 0, "ages": [], "sizes": [], "timedOut": True})
    with pytest.raises(RuntimeError, match="no video"):
        glass_run(None)


@pytest.mark.browser
async def test_a_student_reads_the_stamps_of_the_bots_video_end_to_end() -> None:
    lines: list[str] = []
    [run] = await glass_runs(1, lines.append, frames=25)
    assert run.frames_decoded >= run.frames_seen / 2 and run.frames_seen == 25
    # Ages from one clock: never negative, and a stamp read back wrongly would be days off, not seconds.
    assert 0 < run.median_s < 5
    assert f"{run.frames_decoded}/25 frames decoded" in lines[0]
