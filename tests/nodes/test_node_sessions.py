"""With browser nodes, a session may have more rooms than the control plane's own MAX_BOTS: the nodes'
slots decide, and rooms beyond them queue."""

from __future__ import annotations

from pathlib import Path

import httpx

from api.app import create_app
from tests.api.conftest import TOKEN, RecordingFarm, make_settings, session_body
from tests.nodes.harness import NODE_TOKEN


async def test_a_session_on_browser_nodes_is_not_capped_by_the_local_max_bots(tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path, max_bots=2, browser_nodes="ws://127.0.0.2:3000/,ws://127.0.0.3:3000/", browser_node_token=NODE_TOKEN
    )
    app = create_app(settings, farm_factory=lambda repository, *_: RecordingFarm(repository))
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://testserver",
            headers={"Authorization": f"Bearer {TOKEN}"},
        ) as client:
            response = await client.post("/api/sessions", json=session_body(rooms=5))
            assert response.status_code == 202, response.text
            assert len(response.json()["rooms"]) == 5
