"""The farm with its browsers on three browser nodes (separate processes, each on its own loopback address):
rooms spread over the nodes, a node killed and its rooms moved without spending their retry budget or leaking
an avatar session, a node down at start, capacity exhausted across nodes, a node back in use, a wrong token."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from tests.farm.harness import FarmStack, running_farm
from tests.nodes.harness import browser_nodes, farm_node_settings
from tests.support.polling import until

pytestmark = pytest.mark.browser

ROOMS = [f"Room {i}" for i in range(1, 5)]
# A bot in its breakout room: with nobody there its avatar pauses after a grace, so `live` does not last.
IN_ROOM = frozenset({"in_room", "avatar_connecting", "live", "idle"})
# These tests are about where bots run, not what they show: avatars at 5 frames a second (15 by default) cost every
# bot a third of the decoding and re-encoding, on a machine that runs four or five of them and three nodes.
AVATAR_VIDEO = {"avatar_fps": 5}


async def _wait_in_rooms(stack: FarmStack, session_id: str, on: set[str], within: float = 120) -> dict[str, Any]:
    return await stack.wait_rooms(
        session_id,
        lambda rooms: all(r["status"] in IN_ROOM and r["node"] in on for r in rooms),
        within,
        f"every bot in its room, on {sorted(on)}",
    )


async def _no_avatar_left_behind(stack: FarmStack, session: dict[str, Any], lost_node: str) -> None:
    """Every avatar session of a bot on the lost node is closed; LiveAvatar bills only those of running bots."""
    repo = stack.repository
    for _ in range(50):  # avatars of the running bots may start or pause meanwhile: compare a settled picture
        billed: set[str] = set()
        for room in session["rooms"]:
            bots = {bot.id: bot for bot in await repo.bots.in_room(room["id"])}
            for row in await repo.avatars.in_room(room["id"]):
                bot = bots[row.bot_id] if row.bot_id else None
                if bot is not None and bot.node == lost_node:
                    assert row.status.value in ("stopped", "failed"), row
                elif row.status.value in ("requested", "active") and row.vendor_session_id:
                    assert bot is not None and bot.node != lost_node, row
                    billed.add(row.vendor_session_id)
        active = set(await stack.vendor_active())
        if active == billed:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"LiveAvatar bills {sorted(active)}, the farm's running bots own {sorted(billed)}")


async def _room_nodes(stack: FarmStack, session: dict[str, Any]) -> dict[str, str]:
    """Room name -> node of its current bot, as the API shows it."""
    return {room["name"]: room["node"] for room in session["rooms"]}


async def _events(stack: FarmStack, kind: str) -> list[dict[str, Any]]:
    return [e.detail for e in await stack.repository.events.all(limit=1000) if e.kind == kind]


async def _story(stack: FarmStack, room_ids: list[str]) -> list[tuple[float, str, dict[str, Any]]]:
    """What happened to these rooms, in order: enough to tell why a room left its breakout room."""
    events = await stack.repository.events.all(limit=5000)
    return [(e.time, e.kind, e.detail) for e in events if e.room_id in room_ids]


async def _wait_event(stack: FarmStack, kind: str, node: str, count: int = 1, within: float = 30) -> None:
    async def seen() -> bool:
        return sum(e["node"] == node for e in await _events(stack, kind)) >= count

    await until(seen, within, f"{count} {kind} event(s) for {node}", every=0.1)


async def test_rooms_spread_over_nodes_and_move_when_a_node_dies(tmp_path: Path) -> None:
    # Four rooms on three nodes of two bots each: spread 2, 1, 1; the node with two dies, and its two rooms fill
    # the others' last slots. (Six rooms on nodes of three took this test past pytest's 180 s beside a busy core.)
    with browser_nodes(3, max_bots=2) as nodes:
        async with running_farm(tmp_path, liveavatar_config=AVATAR_VIDEO, **farm_node_settings(nodes)) as stack:
            number = await stack.meeting(ROOMS)
            created = await stack.start(number, ROOMS)
            session = await _wait_in_rooms(stack, created["id"], {node.name for node in nodes})
            placed = list((await _room_nodes(stack, session)).values())
            rooms_on = [placed.count(node.name) for node in nodes]
            assert sorted(rooms_on) == [1, 1, 2]  # spread, not filled in turn
            b = nodes[rooms_on.index(2)]
            a, c = (node for node in nodes if node is not b)
            # And their browsers really run there (polled: on a loaded machine a closing browser lingers a moment).
            for _ in range(200):
                if [len(node.browsers()) for node in nodes] == rooms_on:
                    break
                await asyncio.sleep(0.1)
            assert [len(node.browsers()) for node in nodes] == rooms_on
            room_on_b = next(r for r in session["rooms"] if r["node"] == b.name)
            detail = (await stack.client.get(f"/api/sessions/{created['id']}/rooms/{room_on_b['id']}")).json()
            assert [bot["node"] for bot in detail["bots"]] == [b.name]

            assert [e["node"] for e in await _events(stack, "farm.node_down")] == []
            await asyncio.to_thread(b.kill)
            await _wait_event(stack, "farm.node_down", b.name)
            session = await _wait_in_rooms(stack, created["id"], {a.name, c.name})
            assert sorted((await _room_nodes(stack, session)).values()) == sorted([a.name, c.name] * 2)
            # retry_budget is 0: had the node's loss counted against the rooms, they would have failed.
            lost_bots = 0
            for room in session["rooms"]:
                detail = (await stack.client.get(f"/api/sessions/{created['id']}/rooms/{room['id']}")).json()
                lost = [bot for bot in detail["bots"] if bot["node"] == b.name]
                assert all(bot["end_reason"] == "node_lost" for bot in lost)
                lost_bots += len(lost)
            assert lost_bots == 2
            await _no_avatar_left_behind(stack, session, b.name)
            for _ in range(100):  # the meeting notices the lost bots' connections drop
                if len(await stack.bots_in_meeting(number)) == len(ROOMS):
                    break
                await asyncio.sleep(0.1)
            assert len(await stack.bots_in_meeting(number)) == len(ROOMS)

            ready = (await stack.client.get("/readyz")).json()
            assert ready["status"] == "ready", ready  # with its problems, in words
            assert {n["name"]: n["up"] for n in ready["nodes"]} == {a.name: True, b.name: False, c.name: True}
            metrics = (await stack.client.get("/metrics")).text
            assert f'avatarfarm_browser_node_up{{node="{b.name}"}} 0.0' in metrics
            assert f'avatarfarm_browser_node_bots{{node="{a.name}"}} 2.0' in metrics

            # The node comes back on its address. Its start (a new process, seconds on a loaded machine) runs off
            # the farm's loop: run on it, it stalled the farm for about the heartbeat timeout, and bots were called
            # hung, their rooms failed (no retry budget here), freed slots on a and c, and the next room was
            # placed there (ties go by name) in about one run in four.
            await asyncio.to_thread(b.start)
            await _wait_event(stack, "farm.node_up", b.name, count=2)  # once at start, once back
            more = await stack.start(await stack.meeting(["Room 5"]), ["Room 5"])
            await _wait_in_rooms(stack, more["id"], {b.name}, within=90)  # a and c have no free slot: it lands on b
            session = await stack.session(created["id"])
            left = [(r["name"], r["status"], r["reason"]) for r in session["rooms"] if r["status"] not in IN_ROOM]
            assert left == [], await _story(stack, [r["id"] for r in session["rooms"] if r["status"] not in IN_ROOM])


async def test_a_node_down_at_start_queues_rooms_until_it_comes_up_and_a_wrong_token_is_refused(
    tmp_path: Path,
) -> None:
    with browser_nodes(3, max_bots=1, start=False) as nodes:
        a, late, stranger = nodes
        stranger.token = "a-token-this-farm-does-not-have"
        a.start()
        stranger.start()
        async with running_farm(tmp_path, liveavatar_config=AVATAR_VIDEO, **farm_node_settings(nodes)) as stack:
            ready = (await stack.client.get("/readyz")).json()
            state = {n["name"]: (n["up"], n.get("problem")) for n in ready["nodes"]}
            assert state[a.name] == (True, None)
            assert state[late.name][0] is False and "unreachable" in state[late.name][1]
            assert state[stranger.name] == (False, "refused the node token")

            number = await stack.meeting(["Room 1", "Room 2"])
            created = await stack.start(number, ["Room 1", "Room 2"])
            session = await stack.wait_rooms(
                created["id"],
                lambda rooms: (
                    sorted(r["status"] in IN_ROOM for r in rooms) == [False, True]
                    and any(r["status"] == "queued" for r in rooms)
                ),
                90,
                "one room's bot in its room on the only node up, the other queued",
            )
            queued, live = sorted(session["rooms"], key=lambda r: r["status"] in IN_ROOM)
            assert live["node"] == a.name
            assert queued["reason"] == "waiting_for_capacity" and queued["node"] is None
            assert stranger.browsers() == []  # the node with another token never launched anything

            await asyncio.to_thread(late.start)
            session = await _wait_in_rooms(stack, created["id"], {a.name, late.name}, within=90)
            assert {r["name"]: r["node"] for r in session["rooms"]} == {live["name"]: a.name, queued["name"]: late.name}
            await _wait_event(stack, "farm.node_up", late.name)
