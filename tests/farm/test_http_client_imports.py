"""The farm's HTTP calls (webhooks, LiveAvatar, Zoom) go through httpx, whose httpcore asks `import sniffio` on
every request to learn which async library runs it. Without sniffio installed, each of those imports fails only
after searching the whole import path: about 0.5 ms of CPU per request, a twelfth of the manager's CPU at 400
bots (README, "The control plane at department scale"). sniffio is a dependency so that the question is answered
from sys.modules."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from importlib.abc import MetaPathFinder
from importlib.machinery import ModuleSpec
from types import ModuleType

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.support.http_clients import CLIENT_TIMEOUT
from tests.support.servers import serve_app


class _Searches(MetaPathFinder):
    """Counts the modules the import system goes looking for (a module already imported is never looked for)."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        self.names.append(fullname)
        return None


async def _taken(request: Request) -> Response:
    await request.body()
    return Response(status_code=204)


async def test_an_http_request_searches_the_import_path_for_nothing() -> None:
    app = Starlette(routes=[Route("/hooks", _taken, methods=["POST"])])
    async with serve_app(app) as server, httpx.AsyncClient(timeout=CLIENT_TIMEOUT) as client:
        await client.post(f"{server.base_url}/hooks", content=b"{}")  # whatever a first request loads, loaded
        searches = _Searches()
        sys.meta_path.insert(0, searches)
        try:
            for _ in range(3):
                response = await client.post(f"{server.base_url}/hooks", content=b"{}")
                assert response.status_code == 204
        finally:
            sys.meta_path.remove(searches)
    assert searches.names == []
