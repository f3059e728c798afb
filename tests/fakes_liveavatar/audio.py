"""Speech files for Chromium's fake microphone: espeak-ng speech with silence around it, because the fake
capture device loops its file and a voice detector needs pauses to find where an utterance ends."""

from __future__ import annotations

import wave
from pathlib import Path

from tests.support.media import speech_wav


def padded_speech_wav(
    text: str, path: Path, *, voice: str = "en-us+klatt", lead_s: float = 1.0, tail_s: float = 2.5
) -> Path:
    raw = speech_wav(text, path.with_suffix(".raw.wav"), voice=voice)
    with wave.open(str(raw), "rb") as source:
        params = source.getparams()
        frames = source.readframes(source.getnframes())
    silence = b"\x00" * params.sampwidth * params.nchannels
    with wave.open(str(path), "wb") as out:
        out.setparams(params)
        out.writeframes(silence * int(params.framerate * lead_s) + frames + silence * int(params.framerate * tail_s))
    return path


def speech_pcm_16k(text: str, directory: Path, *, voice: str = "en-us+klatt") -> bytes:
    """`text` spoken by espeak-ng as 16 kHz mono int16 PCM: one utterance for a microphone track or the recogniser."""
    import numpy as np

    wav = speech_wav(text, directory / "utterance.wav", voice=voice)
    with wave.open(str(wav), "rb") as source:
        rate = source.getframerate()
        samples = np.frombuffer(source.readframes(source.getnframes()), dtype=np.int16).astype(np.float64)
    count = round(len(samples) * 16_000 / rate)
    spectrum = np.fft.rfft(samples)[: count // 2 + 1]
    resampled = np.fft.irfft(spectrum, count) * (count / len(samples))
    return bytes(np.clip(resampled, -32768, 32767).astype(np.int16).tobytes())
