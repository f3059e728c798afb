"""Placement over nodes without browsers: the most free slots wins, down nodes get nothing, a lost node's
bots hear so, the farm's slots follow the nodes, DNS names become one node per address."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest

from farm.browsers.browser_node import NodeLost, _Dispatch
from farm.browsers.capacity import Capacity
from farm.browsers.node_pool import NodePool, NodeStatus
from farm.browsers.remote_node import Probe, RemoteBrowserNode
from farm.room.recovery_policy import Action, decide, spends_budget

TOKEN = "placement-token-0123456789"


def _node(host: str, capacity: int, *, up: bool = True) -> RemoteBrowserNode:
    node = RemoteBrowserNode(f"ws://{host}:3000/", TOKEN, default_capacity=capacity)
    node.apply(Probe(up, problem=None if up else "unreachable"))
    return node


def test_a_new_bot_goes_to_the_up_node_with_the_most_free_slots() -> None:
    a, b, c = _node("10.0.0.1", 2), _node("10.0.0.2", 3), _node("10.0.0.3", 9, up=False)
    pool = NodePool([a, b, c])
    assert pool.capacity == 5  # the down node's slots do not count
    assert [pool.place(f"room-{i}") for i in range(5)] == [b.name, a.name, b.name, a.name, b.name]
    pool.release("room-1")
    assert pool.place("room-9") == a.name
    assert {s.name: s.bots for s in pool.status()} == {a.name: 2, b.name: 3, c.name: 0}
    a.healthy = b.healthy = False
    with pytest.raises(NodeLost):
        pool.place("room-10")


def test_placing_a_room_again_gives_back_its_old_slot() -> None:
    a, b = _node("10.0.0.1", 1), _node("10.0.0.2", 1)
    pool = NodePool([a, b])
    first = pool.place("room")
    assert pool.place("room") == first  # its own slot was given back first
    assert sum(s.bots for s in pool.status()) == 1


async def test_a_lost_node_tells_its_bots_and_the_farm() -> None:
    a = _node("10.0.0.1", 2)
    pool = NodePool([a])
    changes: list[NodeStatus] = []

    async def changed(status: NodeStatus) -> None:
        changes.append(status)

    pool.on_change = changed
    heard: list[tuple[str, dict[str, Any]]] = []
    dispatch = _Dispatch()
    dispatch.on_notice = lambda kind, detail: heard.append((kind, detail))
    a._open[id(dispatch)] = dispatch  # a bot running there
    a.mark_lost("unreachable (ConnectError)")
    await asyncio.sleep(0)
    assert heard == [("node.lost", {"node": a.name, "problem": "unreachable (ConnectError)"})]
    assert [(c.name, c.up, c.problem) for c in changes] == [(a.name, False, "unreachable (ConnectError)")]
    assert pool.capacity == 0 and a.bots == 0


async def test_the_farm_slots_follow_the_nodes() -> None:
    capacity = Capacity(2)
    waiting = asyncio.Event()

    async def on_wait(ahead: int) -> None:
        waiting.set()

    first_ends, second_ends = asyncio.Event(), asyncio.Event()
    first = asyncio.create_task(_hold(capacity, "r1", on_wait, first_ends))
    second = asyncio.create_task(_hold(capacity, "r2", on_wait, second_ends))
    await asyncio.sleep(0.01)
    capacity.resize(1)  # a node lost while both run: nobody is evicted, but nobody new gets in
    third = asyncio.create_task(_hold(capacity, "r3", on_wait, asyncio.Event()))
    await waiting.wait()
    first_ends.set()
    await first
    await asyncio.sleep(0.01)
    assert capacity.queued == ["r3"]  # one slot for the one still running
    second_ends.set()
    await second
    await asyncio.sleep(0.01)
    assert capacity.queued == [] and capacity.running == 1
    capacity.resize(0)  # every node down: r3 keeps running, nobody else gets in
    assert capacity.size == 0
    third.cancel()


async def _hold(capacity: Capacity, room: str, on_wait: Any, until: asyncio.Event) -> None:
    async with capacity.slot(room, on_wait=on_wait):
        await until.wait()


def test_a_lost_node_does_not_spend_the_retry_budget() -> None:
    assert not spends_budget("node_lost") and spends_budget("crashed")
    decision = decide("node_lost", page_words=None, failures=5, budget=0, obf_tried=False, can_get_obf=False)
    assert decision.action is Action.relaunch and decision.reason == "node_lost"


async def test_dns_names_become_one_node_per_address(monkeypatch: pytest.MonkeyPatch) -> None:
    records = ["10.1.0.1", "10.1.0.2"]

    async def resolve(host: str, port: int, **_: Any) -> list[Any]:
        assert (host, port) == ("browser-nodes", 3000)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port)) for ip in records]

    async def probe(self: RemoteBrowserNode) -> Probe:
        return Probe(True, max_bots=4)

    monkeypatch.setattr(asyncio.get_running_loop(), "getaddrinfo", resolve)
    monkeypatch.setattr(RemoteBrowserNode, "probe", probe)
    pool = NodePool([], discovered=["dns+ws://browser-nodes:3000/"], token=TOKEN, node_capacity=2)
    await pool._resolve()
    assert [(s.name, s.up, s.capacity) for s in pool.status()] == [
        ("10.1.0.1:3000", True, 4),
        ("10.1.0.2:3000", True, 4),
    ]
    records[:] = ["10.1.0.2", "10.1.0.3"]  # a pod replaced
    await pool._resolve()
    assert [s.name for s in pool.status()] == ["10.1.0.2:3000", "10.1.0.3:3000"]
    assert pool.capacity == 8


async def test_a_node_slow_to_answer_once_is_not_called_down(monkeypatch: pytest.MonkeyPatch) -> None:
    answers = [Probe(False, problem="did not answer (ReadTimeout)", certain=False)] * 2

    async def probe(self: RemoteBrowserNode) -> Probe:
        return answers.pop(0)

    node = _node("10.0.0.1", 2)
    pool = NodePool([node])
    monkeypatch.setattr(RemoteBrowserNode, "probe", probe)
    await pool._check_all()
    assert node.healthy  # one timeout: a busy node, maybe
    await pool._check_all()
    assert not node.healthy and node.problem == "did not answer (ReadTimeout)"


async def test_a_refused_connection_is_down_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    async def probe(self: RemoteBrowserNode) -> Probe:
        return Probe(False, problem="unreachable (ConnectError)")

    node = _node("10.0.0.1", 2)
    pool = NodePool([node])
    monkeypatch.setattr(RemoteBrowserNode, "probe", probe)
    await pool._check_all()
    assert not node.healthy
