"""Fake capture media for test participants: speech WAVs from espeak-ng and moving Y4M videos."""

from __future__ import annotations

import shutil
import subprocess
import wave
from pathlib import Path

import numpy as np


def speech_wav(
    text: str,
    path: Path,
    *,
    voice: str = "en-us",
    words_per_minute: int = 150,
    silence_after: float = 0.0,
) -> Path:
    """Write `text` spoken by espeak-ng as a 16-bit mono WAV (what Chromium's fake audio capture needs).

    `silence_after` seconds of silence are appended: Chromium loops the file, so this separates utterances.
    """
    espeak = shutil.which("espeak-ng")
    if espeak is None:
        raise RuntimeError("espeak-ng is not installed (make setup installs it)")
    subprocess.run(
        [espeak, "-v", voice, "-s", str(words_per_minute), "-w", str(path), text],
        check=True,
        capture_output=True,
    )
    if silence_after > 0:
        with wave.open(str(path), "rb") as source:
            params = source.getparams()
            frames = source.readframes(source.getnframes())
        padding = b"\x00" * (int(params.framerate * silence_after) * params.sampwidth * params.nchannels)
        with wave.open(str(path), "wb") as target:
            target.setparams(params)
            target.writeframes(frames + padding)
    return path


def moving_y4m(path: Path, *, width: int = 320, height: int = 240, fps: int = 15, seconds: float = 4.0) -> Path:
    """Write a Y4M video (header C420, which Chromium accepts; C420mpeg2 crashes it) of a moving bright bar.

    Each frame differs from the previous one, so a receiver can tell live video from a frozen or black one.
    """
    frames = max(1, int(fps * seconds))
    y_plane = np.zeros((height, width), dtype=np.uint8)
    chroma = np.full((height // 2, width // 2), 128, dtype=np.uint8)
    bar = max(8, width // 10)
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 C420\n".encode())
        for index in range(frames):
            y_plane[:] = 40
            x = (index * 7) % (width - bar)
            y_plane[:, x : x + bar] = 235
            out.write(b"FRAME\n")
            out.write(y_plane.tobytes())
            out.write(chroma.tobytes())
            out.write(chroma.tobytes())
    return path
