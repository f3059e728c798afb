"""Speech to text with pocketsphinx (its en-us model ships in the PyPI wheel), off the event loop.

Each distinct vocabulary (a session's context text) gets its own decoder over a boosted language model
(language_model.py); without a context the stock open-vocabulary model is used. Decoding runs in a small thread
pool; one decoder is never used by two threads at once.
"""

from __future__ import annotations

import asyncio
import hashlib
import shutil
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from pocketsphinx import Decoder, get_model_path

from fakes.liveavatar import language_model

SAMPLE_RATE = 16_000
_TARGET_PEAK = 0.9 * 32767


def normalize(pcm: bytes) -> bytes:
    """Scale int16 audio so its peak is 90 % of full scale (recognition is level-sensitive)."""
    samples = np.frombuffer(pcm[: len(pcm) // 2 * 2], dtype=np.int16).astype(np.float32)
    peak = float(np.abs(samples).max()) if samples.size else 0.0
    if peak < 1.0:
        return samples.astype(np.int16).tobytes()
    return np.clip(samples * (_TARGET_PEAK / peak), -32768, 32767).astype(np.int16).tobytes()


class _Recognizer:
    def __init__(self, files: language_model.LanguageModelFiles | None, language_weight: float) -> None:
        hmm = str(Path(get_model_path()) / "en-us" / "en-us")
        if files is None:
            self._decoder = Decoder(hmm=hmm, loglevel="FATAL")
        else:
            self._decoder = Decoder(
                hmm=hmm, lm=str(files.arpa), dict=str(files.dictionary), lw=language_weight, loglevel="FATAL"
            )
        self._lock = threading.Lock()

    def transcribe(self, pcm: bytes) -> str:
        with self._lock:
            self._decoder.start_utt()
            self._decoder.process_raw(pcm, full_utt=True)
            self._decoder.end_utt()
            hypothesis = self._decoder.hyp()
        return hypothesis.hypstr.strip() if hypothesis is not None else ""


class SpeechRecognizer:
    """Async front: `await transcribe(pcm16k, vocabulary_text)`."""

    def __init__(self, *, language_weight: float = 12.0, workers: int = 2) -> None:
        self._language_weight = language_weight
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fake-liveavatar-stt")
        self._recognizers: dict[str, _Recognizer] = {}
        self._building = threading.Lock()
        self._workdir = Path(tempfile.mkdtemp(prefix="fake-liveavatar-lm-"))

    def _recognizer(self, vocabulary_text: str) -> _Recognizer:
        key = hashlib.sha256(vocabulary_text.encode("utf-8")).hexdigest()[:16] if vocabulary_text.strip() else ""
        with self._building:
            recognizer = self._recognizers.get(key)
            if recognizer is None:
                files = language_model.build(vocabulary_text, self._workdir / key) if key else None
                recognizer = _Recognizer(files, self._language_weight)
                self._recognizers[key] = recognizer
            return recognizer

    def _transcribe_blocking(self, pcm: bytes, vocabulary_text: str) -> str:
        return self._recognizer(vocabulary_text).transcribe(normalize(pcm))

    async def prepare(self, vocabulary_text: str) -> None:
        """Build the session's model ahead of its first utterance."""
        await asyncio.get_running_loop().run_in_executor(self._pool, self._recognizer, vocabulary_text)

    async def transcribe(self, pcm: bytes, vocabulary_text: str = "") -> str:
        """Text heard in 16 kHz mono int16 `pcm`, biased towards `vocabulary_text`."""
        if len(pcm) < SAMPLE_RATE // 10:  # under 50 ms: nothing to hear
            return ""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, self._transcribe_blocking, pcm, vocabulary_text)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        shutil.rmtree(self._workdir, ignore_errors=True)
