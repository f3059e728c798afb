"""Serving the real @heygen/liveavatar-web-sdk to a browser page, the way a bot page can load it.

The package's `dist/index.esm.js` bundles livekit-client and webrtc-issue-detector; its only import left is the
bare specifier "events" (Node's EventEmitter, published as CommonJS). So a page needs:
  * dist/index.esm.js served as a JavaScript module, and
  * an import map {"events": "<url of an ES-module wrapper of events/events.js>"}.
The wrapper is the product's own (api.bot_page_routes.events_shim_source): the CommonJS source inside a function
given `module` and `exports`, re-exported as `default` and `EventEmitter`. (lib/index.esm.js would instead need
livekit-client's ESM build and a CommonJS wrapper for webrtc-issue-detector too.)
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from api.bot_page_routes import events_shim_source

NODE_MODULES = Path(__file__).resolve().parents[2] / "bot_page" / "node_modules"
SDK_BUNDLE = NODE_MODULES / "@heygen" / "liveavatar-web-sdk" / "dist" / "index.esm.js"
IMPORT_MAP = {"events": "/vendor/events.mjs"}
SDK_PATH = "/vendor/liveavatar-web-sdk.mjs"
_JS = "text/javascript; charset=utf-8"


def vendor_routes() -> list[Route]:
    async def sdk(request: Request) -> Response:
        return Response(SDK_BUNDLE.read_bytes(), media_type=_JS)

    async def events(request: Request) -> Response:
        return Response(events_shim_source(), media_type=_JS)

    return [Route(SDK_PATH, sdk), Route("/vendor/events.mjs", events)]
