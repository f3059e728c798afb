"""A bot browser that dies while the farm waits for LiveAvatar's answer to POST /v1/sessions/token: the vendor
has created the session, the farm has a row for it; the row must name that session and the session must be
stopped, else the farm has lost track of something it created at the vendor (found by the failure campaign:
the avatar start was cancelled mid-call, its row closed with no vendor session id)."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fakes.liveavatar import FakeLiveAvatarConfig
from fakes.liveavatar import create_app as create_liveavatar
from farm.browsers.orphans import Owner
from tests.chaos.manager_process import bot_browsers
from tests.fakes_zoom.harness import running_fake_zoom
from tests.farm.harness import LA_ADMIN, LA_API_KEY, serve_farm_api, session_request
from tests.support.http_clients import CLIENT_TIMEOUT
from tests.support.polling import until
from tests.support.servers import serve_app

pytestmark = [pytest.mark.browser, pytest.mark.chaos]

TOKEN_ANSWER_DELAY = 4.0


def late_token_answers(app: ASGIApp) -> ASGIApp:
    """The fake LiveAvatar, answering POST /v1/sessions/token only TOKEN_ANSWER_DELAY s after it has created the
    session (a slow network or a loaded vendor)."""

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != "/v1/sessions/token":
            await app(scope, receive, send)
            return

        async def late(message: Message) -> None:
            if message["type"] == "http.response.start":
                await asyncio.sleep(TOKEN_ANSWER_DELAY)
            await send(message)

        await app(scope, receive, late)

    return wrapped


async def _vendor_sessions(admin: httpx.AsyncClient) -> list[dict[str, Any]]:
    response = await admin.get("/admin/sessions")
    assert response.status_code == 200, response.text
    sessions: list[dict[str, Any]] = response.json()["data"]
    return sessions


async def test_a_browser_killed_while_its_avatar_token_is_minted_leaves_nothing_unrecorded(tmp_path: Path) -> None:
    liveavatar = create_liveavatar(FakeLiveAvatarConfig(api_key=LA_API_KEY, admin_token=LA_ADMIN))
    async with running_fake_zoom() as zoom, serve_app(late_token_answers(liveavatar)) as la_server:
        async with (
            httpx.AsyncClient(
                timeout=CLIENT_TIMEOUT, base_url=la_server.base_url, headers={"Authorization": f"Bearer {LA_ADMIN}"}
            ) as admin,
            serve_farm_api(tmp_path, zoom.base_url, la_server.base_url) as (_api, client, _settings),
        ):
            created = await zoom.create_meeting(
                passcode="pw123", breakout_rooms=["Room 1"], breakout_options={"isRoomSelectionEnabled": True}
            )
            number = str(created["number"])
            await zoom.add_virtual(number, name="Host", host=True)
            await zoom.post(f"/fake/meetings/{number}/breakout/open")
            response = await client.post("/api/sessions", json=session_request(number, ["Room 1"]))
            assert response.status_code == 202, response.text
            session_id, room_id = response.json()["id"], response.json()["rooms"][0]["id"]

            async def minted_at_vendor() -> bool:
                return bool(await _vendor_sessions(admin))

            await until(minted_at_vendor, 90, "a session created at the vendor", every=0.05)
            [first] = await _vendor_sessions(admin)
            [pid] = bot_browsers(Owner.me())
            os.kill(pid, signal.SIGKILL)  # while the token's answer is on its way

            async def answered_and_handled() -> bool:
                detail = (await client.get(f"/api/sessions/{session_id}/rooms/{room_id}")).json()
                return bool(detail["bots"]) and detail["bots"][0]["ended_at"] is not None

            await until(answered_and_handled, 30, "the killed attempt closed")
            await asyncio.sleep(TOKEN_ANSWER_DELAY + 1)
            detail = (await client.get(f"/api/sessions/{session_id}/rooms/{room_id}")).json()
            recorded = {row["vendor_session_id"] for row in detail["avatar_sessions"]}
            status = {s["id"]: s["status"] for s in await _vendor_sessions(admin)}
            await client.delete(f"/api/sessions/{session_id}")
            assert first["id"] in recorded, "the vendor session created for the killed attempt has no row"
            assert status[first["id"]] == "ENDED", "the vendor session created for the killed attempt was not stopped"
