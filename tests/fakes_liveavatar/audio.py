"""Speech files for Chromium's fake microphone: espeak-ng speech with silence around it, because the fake
capture device loops its file and a voice detector needs pauses to find where an utterance ends."""

from __future__ import annotations

import wave
from pathlib import Path

from tests.support.media import speech_wav


def padded_speech_wav(text: str, path: Path, *, lead_s: float = 1.0, tail_s: float = 2.5) -> Path:
    raw = speech_wav(text, path.with_suffix(".raw.wav"))
    with wave.open(str(raw), "rb") as source:
        params = source.getparams()
        frames = source.readframes(source.getnframes())
    silence = b"\x00" * params.sampwidth * params.nchannels
    with wave.open(str(path), "wb") as out:
        out.setparams(params)
        out.writeframes(silence * int(params.framerate * lead_s) + frames + silence * int(params.framerate * tail_s))
    return path
