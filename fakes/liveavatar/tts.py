"""The avatar's voice: espeak-ng run as an asyncio subprocess, giving 16-bit mono PCM at 22 050 Hz.

Text goes in on stdin (never as an argument, so no text is ever read as an option). Results are cached, since a
class repeats its greetings; at most two synthesiser processes run at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import struct
from collections import OrderedDict
from dataclasses import dataclass

SAMPLE_RATE = 22_050


class SpeechSynthesisError(RuntimeError):
    pass


@dataclass(frozen=True)
class Speech:
    pcm: bytes  # int16 little-endian mono
    sample_rate: int

    @property
    def duration_s(self) -> float:
        return len(self.pcm) / 2 / self.sample_rate


def wav_to_pcm(wav: bytes) -> tuple[bytes, int]:
    """The samples and rate of a PCM16 mono WAV; tolerates espeak's streaming header (sizes 0 or 0xFFFFFFFF)."""
    if wav[:4] != b"RIFF" or wav[8:12] != b"WAVE":
        raise SpeechSynthesisError("espeak-ng did not produce a WAV")
    pos, rate = 12, SAMPLE_RATE
    while pos + 8 <= len(wav):
        chunk_id, size = wav[pos : pos + 4], struct.unpack("<I", wav[pos + 4 : pos + 8])[0]
        body = pos + 8
        if chunk_id == b"fmt ":
            rate = struct.unpack("<I", wav[body + 4 : body + 8])[0]
        elif chunk_id == b"data":
            end = len(wav) if size in (0, 0xFFFFFFFF) or body + size > len(wav) else body + size
            data = wav[body:end]
            return data[: len(data) // 2 * 2], rate
        pos = body + size + (size & 1)
    raise SpeechSynthesisError("WAV without a data chunk")


class Synthesizer:
    def __init__(self, *, words_per_minute: int = 165, cache_size: int = 64, parallel: int = 2) -> None:
        self._wpm = words_per_minute
        self._cache: OrderedDict[tuple[str, int, str], Speech] = OrderedDict()
        self._cache_size = cache_size
        self._slots = asyncio.Semaphore(parallel)
        self._binary = shutil.which("espeak-ng")

    @property
    def available(self) -> bool:
        return self._binary is not None

    async def synthesize(self, text: str, *, voice: str = "en-us", speed: float = 1.0) -> Speech:
        wpm = max(80, min(450, round(self._wpm * speed)))
        key = (voice, wpm, text)
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            return cached
        if self._binary is None:
            raise SpeechSynthesisError("espeak-ng is not installed")
        async with self._slots:
            process = await asyncio.create_subprocess_exec(
                self._binary,
                "--stdout",
                "-v",
                voice,
                "-s",
                str(wpm),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            try:
                out, err = await process.communicate(text.encode("utf-8"))
            except asyncio.CancelledError:  # interrupted or ended mid-synthesis: leave no espeak-ng behind
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                # Drain its pipes too: wait() alone never returns while a full, paused stdout keeps its pipe open.
                await asyncio.shield(process.communicate())
                raise
        if process.returncode != 0:
            raise SpeechSynthesisError(f"espeak-ng failed ({process.returncode}): {err.decode(errors='replace')}")
        pcm, rate = wav_to_pcm(out)
        speech = Speech(pcm, rate)
        self._cache[key] = speech
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return speech
