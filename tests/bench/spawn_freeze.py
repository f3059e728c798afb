"""Reproduces the fake LiveAvatar's freeze (issue 19) outside the demo, and shows asyncio's loop does not freeze.

    .venv/bin/python -m tests.bench.spawn_freeze --loop uvloop    # froze in 4 runs of 4 (3 timed: <200 spawns, 8 s)
    .venv/bin/python -m tests.bench.spawn_freeze --loop asyncio   # 3,900 spawns in 90 s, 1,750 in 60 s: no freeze

A worker process does what the fake does when an avatar speaks while rooms come and go: LiveKit rooms join,
publish and leave (the SDK's native threads call into Python all the while), and espeak-ng is spawned for each new
sentence (fakes/liveavatar/tts.py). It prints a line every 50 spawns; this script watches those lines from outside
(a frozen worker holds its GIL, so it cannot report on itself) and, when none comes for 10 s, shows where the
worker and its stuck child wait (/proc wchan; `gdb -p PID -batch -ex bt` on the child shows
PyOS_AfterFork_Child -> _PyThreadState_DeleteExcept waiting for the runtime's thread-state lock), then kills both.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import time
from pathlib import Path

from tests.support import process_tree

WORKER = """
import asyncio, sys
from livekit import api, rtc
from fakes.liveavatar.livekit_server import LiveKitServer
from fakes.liveavatar.tts import Synthesizer

def token(endpoint, identity, room):
    grants = api.VideoGrants(room_join=True, room=room)
    return api.AccessToken(endpoint.api_key, endpoint.api_secret).with_identity(identity).with_grants(grants).to_jwt()

async def rooms_come_and_go(endpoint, n):
    for i in range(10**9):
        room = rtc.Room()
        await room.connect(endpoint.url, token(endpoint, f"p{n}-{i}", f"r{n}"), rtc.RoomOptions(auto_subscribe=True))
        source = rtc.AudioSource(48000, 1)
        track = rtc.LocalAudioTrack.create_audio_track("a", source)
        options = rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_MICROPHONE)
        await room.local_participant.publish_track(track, options)
        for _ in range(50):
            await source.capture_frame(rtc.AudioFrame.create(48000, 1, 480))
        await room.disconnect()

async def speak(synthesizer):
    for i in range(1, 10**9):
        await synthesizer.synthesize(f"Sentence number {i} of the spawn test.")
        if i % 50 == 0:
            print(i, flush=True)

async def main():
    server = LiveKitServer()
    endpoint = await server.ensure_started()
    tasks = [asyncio.create_task(rooms_come_and_go(endpoint, n)) for n in range(3)]
    tasks.append(asyncio.create_task(speak(Synthesizer())))
    await asyncio.gather(*tasks)

if sys.argv[1] == "uvloop":
    import uvloop
    uvloop.run(main())
else:
    asyncio.run(main())
"""

SILENCE_S = 10.0


def _wchan(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/wchan").read_text() or "running"
    except OSError:
        return "gone"


async def run(loop: str, seconds: float) -> str:
    worker = await asyncio.create_subprocess_exec(
        sys.executable, "-c", WORKER, loop, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL
    )
    assert worker.stdout is not None
    started = time.monotonic()
    spawns = 0
    try:
        while time.monotonic() - started < seconds:
            try:
                line = await asyncio.wait_for(worker.stdout.readline(), SILENCE_S)
            except TimeoutError:
                stuck = [pid for pid in process_tree.tree(worker.pid) if pid != worker.pid]
                where = ", ".join(f"{pid} ({process_tree.argv(pid)[-1:]}): {_wchan(pid)}" for pid in stuck)
                frozen_at = time.monotonic() - started - SILENCE_S
                return (
                    f"{loop}: FROZE after {spawns}-{spawns + 49} spawns, {frozen_at:.0f} s in; "
                    f"worker {worker.pid} waits in {_wchan(worker.pid)}; its children: {where}"
                )
            if not line:
                return f"{loop}: the worker exited ({worker.returncode})"
            spawns = int(line)
        return f"{loop}: {spawns} spawns in {seconds:g} s, no freeze"
    finally:
        for pid in reversed(process_tree.tree(worker.pid)):
            if pid != worker.pid:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        if worker.returncode is None:
            worker.kill()
        await worker.wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--loop", choices=["uvloop", "asyncio"], default="uvloop")
    parser.add_argument("--seconds", type=float, default=90.0)
    args = parser.parse_args()
    print(asyncio.run(run(args.loop, args.seconds)))


if __name__ == "__main__":
    main()
