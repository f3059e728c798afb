"""Speech to text with pocketsphinx (its en-us model ships in the PyPI wheel), off the event loop.

Each distinct vocabulary (a session's context text) gets its own decoder over a boosted language model
(language_model.py); without a context the stock open-vocabulary model is used.

pocketsphinx keeps the GIL while it decodes (a 3 s utterance blocks other Python threads for about a second on
this class of machine), so decoding runs in a separate worker process, started on first use, which caches its
decoders by vocabulary.
"""

from __future__ import annotations

import asyncio
import hashlib
import multiprocessing
import os
import shutil
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

SAMPLE_RATE = 16_000
_TARGET_PEAK = 0.9 * 32767


def normalize(pcm: bytes) -> bytes:
    """Scale int16 audio so its peak is 90 % of full scale (recognition is level-sensitive)."""
    samples = np.frombuffer(pcm[: len(pcm) // 2 * 2], dtype=np.int16).astype(np.float32)
    peak = float(np.abs(samples).max()) if samples.size else 0.0
    if peak < 1.0:
        return samples.astype(np.int16).tobytes()
    return np.clip(samples * (_TARGET_PEAK / peak), -32768, 32767).astype(np.int16).tobytes()


# -- in the worker process -------------------------------------------------------------------------------------

_decoders: dict[str, Any] = {}


def _decoder(vocabulary_text: str, language_weight: float, workdir: str) -> Any:
    from pocketsphinx import Decoder, get_model_path

    from fakes.liveavatar import language_model

    key = hashlib.sha256(vocabulary_text.encode("utf-8")).hexdigest()[:16] if vocabulary_text.strip() else ""
    decoder = _decoders.get(key)
    if decoder is None:
        hmm = str(Path(get_model_path()) / "en-us" / "en-us")
        if key:
            files = language_model.build(vocabulary_text, Path(workdir) / f"{os.getpid()}-{key}")
            decoder = Decoder(
                hmm=hmm, lm=str(files.arpa), dict=str(files.dictionary), lw=language_weight, loglevel="FATAL"
            )
        else:
            decoder = Decoder(hmm=hmm, loglevel="FATAL")
        _decoders[key] = decoder
    return decoder


def _transcribe_in_worker(pcm: bytes, vocabulary_text: str, language_weight: float, workdir: str) -> str:
    decoder = _decoder(vocabulary_text, language_weight, workdir)
    if not pcm:
        return ""
    decoder.start_utt()
    decoder.process_raw(normalize(pcm), full_utt=True)
    decoder.end_utt()
    hypothesis = decoder.hyp()
    return str(hypothesis.hypstr).strip() if hypothesis is not None else ""


# -- in the service ----------------------------------------------------------------------------------------------


class SpeechRecognizer:
    """Async front: `await transcribe(pcm16k, vocabulary_text)`."""

    def __init__(self, *, language_weight: float = 12.0, workers: int = 1) -> None:
        self._language_weight = language_weight
        self._workers = workers
        self._pool: ProcessPoolExecutor | None = None
        self._workdir = tempfile.mkdtemp(prefix="fake-liveavatar-lm-")

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # spawn: never fork a process that runs an event loop and threads.
            context = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(max_workers=self._workers, mp_context=context)
        return self._pool

    async def _run(self, pcm: bytes, vocabulary_text: str) -> str:
        loop = asyncio.get_running_loop()
        args = (pcm, vocabulary_text, self._language_weight, self._workdir)
        return await loop.run_in_executor(self._executor(), _transcribe_in_worker, *args)

    async def prepare(self, vocabulary_text: str) -> None:
        """Start the worker and build the session's model ahead of its first utterance."""
        await self._run(b"", vocabulary_text)

    async def transcribe(self, pcm: bytes, vocabulary_text: str = "") -> str:
        """Text heard in 16 kHz mono int16 `pcm`, biased towards `vocabulary_text`."""
        if len(pcm) < SAMPLE_RATE // 10:  # under 50 ms: nothing to hear
            return ""
        return await self._run(pcm, vocabulary_text)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
        shutil.rmtree(self._workdir, ignore_errors=True)
