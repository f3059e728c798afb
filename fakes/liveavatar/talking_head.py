"""The avatar's picture, drawn on the server: I420 frames of a talking head, cheap enough for many sessions.

Everything that can be is drawn once per (avatar, resolution) and cached: a few base frames (head bobbing a few
pixels, eyes open, mouth closed) and small patches (mouth at five openings, closed eyes). A frame is then one
copy of a base frame plus one or two patches pasted in, straight in the encoder's own pixel format (I420), so
the WebRTC side does no colour conversion. The mouth follows the loudness of the speech being played; the eyes
blink every few seconds; the head bobs slowly, so the picture moves even while the avatar is silent.
Given a capture time, a frame also carries it in a band at the bottom (frame_stamp.py), for latency benchmarks.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from fakes.liveavatar import frame_stamp

Planes = tuple[NDArray[np.uint8], NDArray[np.uint8], NDArray[np.uint8]]
MOUTH_LEVELS = 5
BOB_STEPS = 6
BOB_PERIOD_S = 2.4
BLINK_EVERY_S = 3.7
BLINK_LENGTH_S = 0.15
BACKGROUND = "#1d2733"
HAIR = "#3b2a20"
EYE = "#222222"
MOUTH = "#7a2e2e"


def _yuv(hex_colour: str) -> tuple[int, int, int]:
    value = hex_colour.lstrip("#")
    if len(value) == 3:
        value = "".join(2 * c for c in value)
    r, g, b = (int(value[i : i + 2], 16) for i in (0, 2, 4))
    y = 16 + 0.257 * r + 0.504 * g + 0.098 * b
    u = 128 - 0.148 * r - 0.291 * g + 0.439 * b
    v = 128 + 0.439 * r - 0.368 * g - 0.071 * b
    return round(y), round(u), round(v)


def _blank(width: int, height: int, colour: str) -> Planes:
    y, u, v = _yuv(colour)
    return (
        np.full((height, width), y, np.uint8),
        np.full((height // 2, width // 2), u, np.uint8),
        np.full((height // 2, width // 2), v, np.uint8),
    )


def _ellipse(planes: Planes, cx: float, cy: float, rx: float, ry: float, colour: str) -> None:
    """Fill an ellipse given in luma pixel coordinates (chroma planes are sampled at their pixel centres)."""
    values = _yuv(colour)
    for index, plane in enumerate(planes):
        scale = 1.0 if index == 0 else 2.0
        rows, cols = plane.shape
        yy, xx = np.ogrid[:rows, :cols]
        py = (yy + 0.5) * scale
        px = (xx + 0.5) * scale
        mask = ((px - cx) / max(rx, 0.5)) ** 2 + ((py - cy) / max(ry, 0.5)) ** 2 <= 1.0
        plane[mask] = values[index]


@dataclass(frozen=True)
class _Patch:
    x: int  # even, luma pixels
    y: int
    planes: Planes


@dataclass(frozen=True)
class _Layout:
    width: int
    height: int
    unit: float  # everything is sized in fractions of the frame height

    @property
    def cx(self) -> float:
        return self.width / 2

    def head_y(self, bob: int) -> float:
        return 0.46 * self.height + bob

    def bob_pixels(self, step: int) -> int:
        return 2 * round(step * max(1.0, self.height / 180) / 2)


def _even(value: float) -> int:
    return int(value) // 2 * 2


class TalkingHead:
    """Frames of one avatar at one resolution. `frame(t, loudness)`: bytes of an I420 frame."""

    def __init__(self, width: int, height: int, skin: str, shirt: str) -> None:
        self.width = width
        self.height = height
        layout = _Layout(width, height, height)
        self._bases = [self._base(layout, layout.bob_pixels(step), skin, shirt) for step in range(BOB_STEPS)]
        self._bob = [layout.bob_pixels(step) for step in range(BOB_STEPS)]
        self._mouths = [self._mouth(layout, level / (MOUTH_LEVELS - 1), skin) for level in range(MOUTH_LEVELS)]
        self._blink = self._closed_eyes(layout, skin)
        self._work = np.empty(width * height * 3 // 2, np.uint8)

    @staticmethod
    def _base(layout: _Layout, bob: int, skin: str, shirt: str) -> Planes:
        h = layout.height
        planes = _blank(layout.width, h, BACKGROUND)
        head_y = layout.head_y(bob)
        _ellipse(planes, layout.cx, 1.08 * h + bob, 0.40 * h, 0.34 * h, shirt)
        _ellipse(planes, layout.cx, head_y + 0.22 * h, 0.07 * h, 0.08 * h, skin)  # neck
        _ellipse(planes, layout.cx, head_y - 0.05 * h, 0.205 * h, 0.24 * h, HAIR)
        _ellipse(planes, layout.cx, head_y, 0.19 * h, 0.25 * h, skin)
        for side in (-1, 1):
            _ellipse(planes, layout.cx + side * 0.075 * h, head_y - 0.04 * h, 0.022 * h, 0.018 * h, EYE)
        _ellipse(planes, layout.cx, head_y + 0.12 * h, 0.06 * h, 0.008 * h, MOUTH)
        return planes

    @staticmethod
    def _patch(layout: _Layout, x0: float, y0: float, w: float, h: float, skin: str) -> tuple[Planes, int, int]:
        x, y = _even(x0), _even(y0)
        pw, ph = max(2, _even(w + 2)), max(2, _even(h + 2))
        return _blank(pw, ph, skin), x, y

    def _mouth(self, layout: _Layout, opening: float, skin: str) -> _Patch:
        h = layout.height
        rx, ry_max = 0.06 * h, 0.05 * h
        planes, x, y = self._patch(
            layout, layout.cx - rx - 2, layout.head_y(0) + 0.12 * h - ry_max - 2, 2 * rx + 4, 2 * ry_max + 4, skin
        )
        ry = 0.008 * h + opening * (ry_max - 0.008 * h)
        _ellipse(planes, layout.cx - x, layout.head_y(0) + 0.12 * h - y, rx * (1 - 0.25 * opening), ry, MOUTH)
        return _Patch(x, y, planes)

    def _closed_eyes(self, layout: _Layout, skin: str) -> _Patch:
        h = layout.height
        top = layout.head_y(0) - 0.04 * h - 0.025 * h
        left = layout.cx - 0.075 * h - 0.03 * h
        planes, x, y = self._patch(layout, left, top, 0.21 * h, 0.05 * h, skin)
        for side in (-1, 1):
            _ellipse(
                planes, layout.cx + side * 0.075 * h - x, layout.head_y(0) - 0.04 * h - y, 0.022 * h, 0.003 * h + 1, EYE
            )
        return _Patch(x, y, planes)

    def frame(self, t: float, loudness: float, stamp_ms: int | None = None) -> bytes:
        """The picture at time `t` (seconds) with the mouth open by `loudness` (0..1), stamped with `stamp_ms`
        (wall-clock milliseconds, frame_stamp.py) when given."""
        phase = (t % BOB_PERIOD_S) / BOB_PERIOD_S
        step = round((0.5 - 0.5 * math.cos(2 * math.pi * phase)) * (BOB_STEPS - 1))
        bob = self._bob[step]
        w, h = self.width, self.height
        y_size, c_size = w * h, (w // 2) * (h // 2)
        work = self._work
        y_plane = work[:y_size].reshape(h, w)
        u_plane = work[y_size : y_size + c_size].reshape(h // 2, w // 2)
        v_plane = work[y_size + c_size :].reshape(h // 2, w // 2)
        base = self._bases[step]
        np.copyto(y_plane, base[0])
        np.copyto(u_plane, base[1])
        np.copyto(v_plane, base[2])
        level = min(MOUTH_LEVELS - 1, max(0, round(loudness * (MOUTH_LEVELS - 1))))
        patches = [self._mouths[level]]
        if t % BLINK_EVERY_S < BLINK_LENGTH_S:
            patches.append(self._blink)
        for patch in patches:
            self._paste((y_plane, u_plane, v_plane), patch, bob)
        if stamp_ms is not None:
            frame_stamp.draw(y_plane, u_plane, v_plane, stamp_ms)
        return work.tobytes()

    @staticmethod
    def _paste(target: Planes, patch: _Patch, bob: int) -> None:
        for index, plane in enumerate(target):
            scale = 1 if index == 0 else 2
            source = patch.planes[index]
            y0, x0 = (patch.y + bob) // scale, patch.x // scale
            rows = max(0, min(source.shape[0], plane.shape[0] - y0))
            cols = max(0, min(source.shape[1], plane.shape[1] - x0))
            if y0 >= 0 and x0 >= 0 and rows and cols:
                plane[y0 : y0 + rows, x0 : x0 + cols] = source[:rows, :cols]


@functools.lru_cache(maxsize=8)
def talking_head(width: int, height: int, skin: str, shirt: str) -> TalkingHead:
    """Shared per (resolution, colours): drawing the cached parts costs more than a session's frames."""
    return TalkingHead(width, height, skin, shirt)
