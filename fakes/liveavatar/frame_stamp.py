"""A wall-clock time drawn into a video frame, readable after lossy coding, scaling and a browser canvas.

Used to measure glass-to-glass latency: the fake avatar stamps each frame with the time it was made, and whoever
receives the picture at the end of the chain reads it back and subtracts it from its own clock (same machine).

The stamp is a band across the bottom `BAND_FRACTION` of the frame (24 rows at 640×360), split into `CELLS`
equal columns (16 pixels wide at 640), each black (luma 16) or white (luma 235), with neutral chroma so that an
RGB canvas shows the same greys. Cells, left to right:

    1 0 | 32 bits: milliseconds since the epoch mod 2**32, most significant first | 4-bit checksum | 0 1

The checksum is the sum of the eight data nibbles mod 16. Cell bounds are fractions of the frame's size, so a
frame scaled as a whole (another resolution, the encoder's adaptation) reads the same; the reader samples only
the middle half of each cell, so blur, ringing at block edges and noise do not reach it, and it sets its
threshold between the guards' own black and white, so contrast and brightness changes do not either.
`decode` is the reference reader; tests/bench/glass.py carries the same algorithm in JavaScript.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

CELLS = 40
BAND_FRACTION = 1 / 15
STAMP_BITS = 32
STAMP_MODULUS = 2**STAMP_BITS
CHECK_BITS = 4
HEAD = (1, 0)
TAIL = (0, 1)
WHITE = 235
BLACK = 16
NEUTRAL_CHROMA = 128
MIN_CONTRAST = 48  # guard white minus guard black, in luma levels; below it the band is not there


def band_rows(height: int) -> int:
    """Rows of the band in a frame `height` rows tall (the same rounding as the JavaScript reader)."""
    return max(2, int(height * BAND_FRACTION + 0.5))


def checksum(stamp: int) -> int:
    return sum((stamp >> shift) & 0xF for shift in range(0, STAMP_BITS, 4)) % 16


def cells(stamp_ms: int) -> list[int]:
    """The band's cells (1 white, 0 black) for `stamp_ms` (taken mod 2**32)."""
    stamp = stamp_ms % STAMP_MODULUS
    data = [(stamp >> (STAMP_BITS - 1 - i)) & 1 for i in range(STAMP_BITS)]
    check = checksum(stamp)
    parity = [(check >> (CHECK_BITS - 1 - i)) & 1 for i in range(CHECK_BITS)]
    return [*HEAD, *data, *parity, *TAIL]


def _edges(width: int) -> list[int]:
    return [int(i * width / CELLS + 0.5) for i in range(CELLS + 1)]


def draw(y: NDArray[np.uint8], u: NDArray[np.uint8], v: NDArray[np.uint8], stamp_ms: int) -> None:
    """Stamp an I420 frame (its three planes, written in place) with `stamp_ms`."""
    height, width = y.shape
    top = height - band_rows(height)
    row = np.empty(width, np.uint8)
    edges = _edges(width)
    for index, bit in enumerate(cells(stamp_ms)):
        row[edges[index] : edges[index + 1]] = WHITE if bit else BLACK
    y[top:] = row
    u[top // 2 :] = NEUTRAL_CHROMA
    v[top // 2 :] = NEUTRAL_CHROMA


def cell_levels(band: NDArray[np.generic]) -> list[float]:
    """Mean luma of the middle half (both ways) of each cell of `band` (the bottom rows, as `band_rows` says)."""
    rows, width = band.shape
    middle = band[rows // 4 : max(rows // 4 + 1, rows - rows // 4)].astype(np.float64)
    levels = []
    for i in range(CELLS):
        left, right = (i + 0.25) * width / CELLS, (i + 0.75) * width / CELLS
        lo, hi = int(left + 0.5), max(int(left + 0.5) + 1, int(right + 0.5))
        levels.append(float(middle[:, lo:hi].mean()))
    return levels


def decode_band(band: NDArray[np.generic]) -> int | None:
    """The stamp in `band`, or None when there is none (no guards, too little contrast, a bad checksum)."""
    levels = cell_levels(band)
    white = (levels[0] + levels[-1]) / 2
    black = (levels[1] + levels[-2]) / 2
    if white - black < MIN_CONTRAST:
        return None
    threshold = (white + black) / 2
    bits = [1 if level > threshold else 0 for level in levels]
    if tuple(bits[:2]) != HEAD or tuple(bits[-2:]) != TAIL:
        return None
    stamp = 0
    for bit in bits[2 : 2 + STAMP_BITS]:
        stamp = (stamp << 1) | bit
    check = 0
    for bit in bits[2 + STAMP_BITS : 2 + STAMP_BITS + CHECK_BITS]:
        check = (check << 1) | bit
    return stamp if check == checksum(stamp) else None


def decode(luma: NDArray[np.generic]) -> int | None:
    """The stamp of a whole frame's luma plane (any size), or None."""
    height = luma.shape[0]
    return decode_band(luma[height - band_rows(height) :])


def age_ms(stamp: int, now_ms: float) -> int:
    """How long ago (ms) `stamp` was drawn, read at wall-clock `now_ms`; unambiguous for ages under ~24 days."""
    age = (int(now_ms) - stamp) % STAMP_MODULUS
    return age - STAMP_MODULUS if age >= STAMP_MODULUS // 2 else age
