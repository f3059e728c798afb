"""The frame stamp (fakes/liveavatar/frame_stamp.py) survives what the chain does to a frame, and is off by default.

The chain (LiveKit, the bot's canvas and encoder, the student's decoder) blurs, adds coding noise, shifts levels
and may scale the whole frame; these are imitated here in numpy. The real chain is exercised by
tests/bench/test_glass.py.
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray

from fakes.liveavatar import frame_stamp
from fakes.liveavatar.talking_head import TalkingHead

WIDTH, HEIGHT = 640, 360
STAMP = 1_764_504_000_123  # ms since the epoch (2025-11-30), wider than 32 bits


def _luma(head: TalkingHead, frame: bytes) -> NDArray[np.uint8]:
    return np.frombuffer(frame, np.uint8)[: head.width * head.height].reshape(head.height, head.width)


def _resize(plane: NDArray[np.uint8], factor: float) -> NDArray[np.uint8]:
    """Bilinear resize of the whole plane by `factor` (pixel centres mapped as a browser's scaler does)."""
    height, width = plane.shape
    new_h, new_w = round(height * factor), round(width * factor)
    ys = np.clip((np.arange(new_h) + 0.5) / factor - 0.5, 0, height - 1)
    xs = np.clip((np.arange(new_w) + 0.5) / factor - 0.5, 0, width - 1)
    y0, x0 = np.floor(ys).astype(int), np.floor(xs).astype(int)
    y1, x1 = np.minimum(y0 + 1, height - 1), np.minimum(x0 + 1, width - 1)
    fy, fx = (ys - y0)[:, None], (xs - x0)[None, :]
    p = plane.astype(np.float64)
    top = p[y0][:, x0] * (1 - fx) + p[y0][:, x1] * fx
    bottom = p[y1][:, x0] * (1 - fx) + p[y1][:, x1] * fx
    return np.clip(np.round(top * (1 - fy) + bottom * fy), 0, 255).astype(np.uint8)


def _blur(plane: NDArray[np.uint8], radius: int) -> NDArray[np.uint8]:
    """Box blur of (2 * radius + 1) pixels, both ways, edges repeated."""
    p = np.pad(plane.astype(np.float64), radius, mode="edge")
    size = 2 * radius + 1
    kernel = np.ones(size) / size
    p = np.apply_along_axis(lambda row: np.convolve(row, kernel, mode="valid"), 1, p)
    p = np.apply_along_axis(lambda col: np.convolve(col, kernel, mode="valid"), 0, p)
    return np.clip(np.round(p), 0, 255).astype(np.uint8)


def _damaged(plane: NDArray[np.uint8], seed: int) -> NDArray[np.uint8]:
    """Blur, coding noise and a level shift (limited → full range and back, a darker encode)."""
    rng = np.random.default_rng(seed)
    blurred = _blur(plane, 2).astype(np.float64)
    noisy = blurred * 0.85 + 12 + rng.normal(0, 14, blurred.shape)
    return np.clip(np.round(noisy), 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def head() -> TalkingHead:
    return TalkingHead(WIDTH, HEIGHT, "#e0b89a", "#35507a")


def test_a_stamped_frame_reads_back_its_time_mod_2_to_the_32(head: TalkingHead) -> None:
    luma = _luma(head, head.frame(1.3, 0.5, STAMP))
    assert frame_stamp.decode(luma) == STAMP % 2**32


def test_every_bit_of_the_stamp_is_read(head: TalkingHead) -> None:
    for stamp in (0, 1, 2**31, 2**32 - 1, 0xA5A5A5A5, 0x5A5A5A5A, 123_456_789):
        assert frame_stamp.decode(_luma(head, head.frame(0.0, 0.0, stamp))) == stamp


@pytest.mark.parametrize("factor", [0.9, 0.95, 1.0, 1.05, 1.1, 0.75, 0.5])
def test_the_stamp_survives_blur_noise_and_rescaling(head: TalkingHead, factor: float) -> None:
    for offset in range(5):
        stamp = STAMP + offset * 40
        luma = _luma(head, head.frame(offset / 25, 0.3, stamp))
        damaged = _damaged(_resize(luma, factor), seed=offset)
        assert frame_stamp.decode(damaged) == stamp % 2**32


def test_a_misread_cell_is_caught_by_the_checksum(head: TalkingHead) -> None:
    luma = _luma(head, head.frame(0.0, 0.0, STAMP)).copy()
    band_top = HEIGHT - frame_stamp.band_rows(HEIGHT)
    cell = WIDTH // frame_stamp.CELLS
    column = 10 * cell  # a data cell
    luma[band_top:, column : column + cell] = 255 - luma[band_top:, column : column + cell]
    assert frame_stamp.decode(luma) is None


def test_a_frame_without_a_stamp_reads_as_none(head: TalkingHead) -> None:
    assert frame_stamp.decode(_luma(head, head.frame(0.0, 0.0))) is None
    assert frame_stamp.decode(np.full((HEIGHT, WIDTH), 128, np.uint8)) is None


def test_frames_are_unchanged_when_stamping_is_off(head: TalkingHead) -> None:
    fresh = TalkingHead(WIDTH, HEIGHT, "#e0b89a", "#35507a")
    for t in (0.0, 0.7, 3.71):
        plain = head.frame(t, 0.4)
        assert head.frame(t, 0.4, None) == plain
        assert fresh.frame(t, 0.4) == plain


def test_only_the_band_changes_when_stamping_is_on(head: TalkingHead) -> None:
    plain = np.frombuffer(head.frame(2.0, 0.6), np.uint8)
    stamped = np.frombuffer(head.frame(2.0, 0.6, STAMP), np.uint8)
    changed = np.flatnonzero(plain != stamped)
    band_top = HEIGHT - frame_stamp.band_rows(HEIGHT)
    y_size = WIDTH * HEIGHT
    luma_changed = changed[changed < y_size]
    assert luma_changed.size and luma_changed.min() >= band_top * WIDTH
    chroma_changed = changed[changed >= y_size] - y_size
    chroma_row = (chroma_changed % (y_size // 4)) // (WIDTH // 2)
    assert chroma_row.min() >= band_top // 2


def test_age_is_read_across_the_32_bit_wrap() -> None:
    assert frame_stamp.age_ms(2**32 - 10, 2**32 + 30) == 40
    assert frame_stamp.age_ms(STAMP % 2**32, STAMP + 85) == 85
    assert frame_stamp.age_ms(STAMP % 2**32, STAMP - 5) == -5
