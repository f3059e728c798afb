"""What uvloop would buy the fake LiveAvatar: its CPU with N avatar sessions streaming to subscribers, on asyncio's
own loop and on uvloop (fakes/serving.py runs the fakes on asyncio's: uvloop's spawn froze them).

    .venv/bin/python -m tests.bench.fake_event_loop [--sessions 3] [--seconds 20] [--runs 2]

Each run starts the fake as a process on the given loop, starts the sessions over its REST API, joins each room
with a LiveKit client subscribed to the avatar's video and audio, lets it settle, then reads the fake's CPU time
(/proc) over the measuring window. Nothing is spoken (no espeak-ng child, so uvloop's spawn cannot freeze it here).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys

import httpx
from livekit import rtc

from tests.support.ports import free_port
from tests.support.process_tree import cpu_seconds

WAYNE = "dd73ea75-1218-4ef3-92ce-606d5f7fbc0a"
API_KEY = "bench-key"
SERVE = """
import sys, uvicorn
from fakes.liveavatar.app import create_app
from fakes.liveavatar.config import FakeLiveAvatarConfig
uvicorn.run(create_app(FakeLiveAvatarConfig(api_key=sys.argv[2])), port=int(sys.argv[3]), loop=sys.argv[1],
            log_level="warning", lifespan="on")
"""


async def _one_run(loop: str, sessions: int, seconds: float) -> float:
    port = free_port()
    process = await asyncio.create_subprocess_exec(sys.executable, "-c", SERVE, loop, API_KEY, str(port))
    rooms: list[rtc.Room] = []
    try:
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}", headers={"X-API-KEY": API_KEY}, timeout=20
        ) as http:
            for _ in range(300):
                try:
                    if (await http.get("/healthz")).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.1)
            for _ in range(sessions):
                body = {"avatar_id": WAYNE, "avatar_persona": {}, "video_settings": {"quality": "low"}}
                token = (await http.post("/v1/sessions/token", json=body)).json()["data"]["session_token"]
                started = await http.post("/v1/sessions/start", headers={"Authorization": f"Bearer {token}"})
                data = started.json()["data"]
                room = rtc.Room()
                options = rtc.RoomOptions(auto_subscribe=True)
                await room.connect(data["livekit_url"], data["livekit_client_token"], options)
                rooms.append(room)
            await asyncio.sleep(5)  # settle: every subscription made, frames flowing
            before = cpu_seconds([process.pid])
            await asyncio.sleep(seconds)
            return (cpu_seconds([process.pid]) - before) / seconds
    finally:
        for room in rooms:
            await room.disconnect()
        process.terminate()
        await process.wait()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    results: dict[str, list[float]] = {"asyncio": [], "uvloop": []}
    for _ in range(args.runs):
        for loop in results:
            results[loop].append(await _one_run(loop, args.sessions, args.seconds))
            print(f"{loop:8} {results[loop][-1]:.3f} cores", flush=True)
    for loop, samples in results.items():
        print(f"{loop:8} median {statistics.median(samples):.3f} cores of the fake, {args.sessions} sessions streaming")


if __name__ == "__main__":
    asyncio.run(main())
