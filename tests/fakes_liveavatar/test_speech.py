"""The avatar's voice (espeak-ng), its ears (pocketsphinx with context keyword boosting) and its tutor."""

from __future__ import annotations

import asyncio
import resource
import time
from pathlib import Path

import pytest

from fakes.liveavatar import language_model
from fakes.liveavatar.contexts import ResolvedContext
from fakes.liveavatar.replies import SocraticTutor
from fakes.liveavatar.stt import SpeechRecognizer, normalize
from fakes.liveavatar.tts import SpeechSynthesisError, Synthesizer, wav_to_pcm
from tests.fakes_liveavatar.audio import speech_pcm_16k
from tests.support.process_tree import cpu_seconds

CALCULUS = (
    "Calculus study group. You are Professor Ada, a Socratic tutor. We study derivatives, the power rule, "
    "the derivative of x squared, the slope of the tangent line, and limits. Never give the answer."
)


async def test_synthesis_gives_pcm_of_plausible_length_and_is_cached() -> None:
    synthesizer = Synthesizer()
    short = await synthesizer.synthesize("Hello.", voice="en-us+m3")
    long = await synthesizer.synthesize("Hello class, today we will talk about the slope of a tangent line.")
    assert short.sample_rate == 22_050 and 0.2 < short.duration_s < 2.0
    assert long.duration_s > 2.5 * short.duration_s
    assert any(short.pcm)
    again = await synthesizer.synthesize("Hello.", voice="en-us+m3")
    assert again is short
    faster = await synthesizer.synthesize(
        "Hello class, today we will talk about the slope of a tangent line.", speed=1.5
    )
    assert faster.duration_s < long.duration_s


async def test_text_that_looks_like_options_is_spoken_not_parsed() -> None:
    speech = await Synthesizer().synthesize("-v --stdout -w /tmp/x")
    assert speech.duration_s > 0.3


def _pool_pids(recognizer: SpeechRecognizer) -> list[int]:
    """The recognizer's worker processes (alive until it closes)."""
    pool = recognizer._pool
    return list(pool._processes) if pool is not None else []


async def test_synthesis_and_recognition_do_not_block_the_loop(tmp_path: Path) -> None:
    """The work runs in other processes: the loop's own thread spends almost no CPU while it is done (counted in
    CPU time, not wall time, so a starved machine does not change the answer)."""
    synthesizer, recognizer = Synthesizer(), SpeechRecognizer()
    pcm = speech_pcm_16k("How do I use the power rule?", tmp_path)
    await recognizer.prepare("")  # the worker process's start is not the work
    ticks = 0

    async def ticker() -> None:  # the loop keeps serving others throughout
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.005)

    task = asyncio.create_task(ticker())
    loop_cpu, children = time.thread_time(), resource.getrusage(resource.RUSAGE_CHILDREN)
    pool_before = {pid: cpu_seconds([pid]) for pid in _pool_pids(recognizer)}
    try:
        await asyncio.gather(
            *(synthesizer.synthesize(f"Sentence number {n} for the whole class to hear.") for n in range(4)),
            recognizer.transcribe(pcm, CALCULUS + " one"),
            recognizer.transcribe(pcm, ""),
        )
        loop_cpu = time.thread_time() - loop_cpu
        after = resource.getrusage(resource.RUSAGE_CHILDREN)  # espeak-ng's processes, each waited for
        work_cpu = after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime
        work_cpu += sum(cpu_seconds([pid]) - pool_before.get(pid, 0.0) for pid in _pool_pids(recognizer))
    finally:
        task.cancel()
        recognizer.close()
    assert ticks > 10 and loop_cpu < 0.25 * work_cpu, (loop_cpu, work_cpu, ticks)


def test_wav_parsing_rejects_garbage() -> None:
    with pytest.raises(SpeechSynthesisError):
        wav_to_pcm(b"not a wav at all")


async def test_context_hints_let_the_recognizer_hear_the_key_words(tmp_path: Path) -> None:
    recognizer = SpeechRecognizer()
    try:
        for sentence, key_words in (
            ("What is the derivative of x squared?", ("derivative", "squared")),
            ("Why is the slope of the tangent line important?", ("slope", "tangent")),
            ("How do I use the power rule?", ("power", "rule")),
        ):
            pcm = speech_pcm_16k(sentence, tmp_path)
            heard = await recognizer.transcribe(pcm, CALCULUS)
            assert all(word in heard.split() for word in key_words), (sentence, heard)
        assert await recognizer.transcribe(b"\x00\x00" * 100, CALCULUS) == ""
    finally:
        recognizer.close()


def test_language_model_favours_the_context(tmp_path: Path) -> None:
    files = language_model.build(CALCULUS + " Eigenvalue!", tmp_path)
    assert {"derivative", "tangent", "squared", "eigenvalue"} <= files.vocabulary
    assert "what" in files.vocabulary  # the everyday corpus is there too
    arpa = files.arpa.read_text()
    assert arpa.startswith("\\data\\") and "\\2-grams:" in arpa and arpa.rstrip().endswith("\\end\\")
    assert language_model.tokenize("x^2 is 2x-ish") == ["x", "two", "is", "two", "x", "ish"]


def test_normalize_scales_to_a_fixed_peak() -> None:
    import numpy as np

    quiet = (np.sin(np.linspace(0, 100, 16000)) * 300).astype(np.int16).tobytes()
    loud = np.frombuffer(normalize(quiet), dtype=np.int16)
    assert 29000 < int(np.abs(loud).max()) <= 32767
    assert normalize(b"\x00\x00" * 10) == b"\x00\x00" * 10


def tutor(with_context: bool = True) -> SocraticTutor:
    context = (
        ResolvedContext("c", "Calculus", CALCULUS + " The derivative of x squared is 2x.", "", ())
        if with_context
        else None
    )
    return SocraticTutor("Ada", context)


def test_tutor_answers_with_questions_and_hints_never_the_answer() -> None:
    socratic = tutor()
    for turn, said in enumerate(
        ("what is the derivative of x squared", "I think it is two x", "just tell me the answer", "hello", "why")
    ):
        reply = socratic.reply(said, turn)
        assert reply is not None and reply.endswith("?"), reply
        assert "2x" not in reply and "two x" not in reply.lower()
    assert "derivative" in (socratic.reply("what is the derivative of x squared") or "")
    assert "hint" in (socratic.reply("just tell me the answer") or "")
    assert socratic.reply("what is it", 0) != socratic.reply("what is it", 1)


def test_without_a_context_the_tutor_is_silent() -> None:
    assert tutor(with_context=False).reply("what is the derivative of x squared") is None
