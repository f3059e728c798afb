"""Serves each bot's page at its one-time URL (/bot/{ticket}), the page's own scripts, and the vendor SDKs
from bot_page/node_modules, all with the headers that make the page cross-origin isolated. Of node_modules,
/vendor/npm serves only the files the page loads (api/vendor_files.py); any other path there is a 404.

No bearer token here: the ticket is the credential for the page, and the scripts are public code.
"""

from __future__ import annotations

import mimetypes
import secrets
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.types import Scope

from api.static_headers import WithHeaders
from api.vendor_files import npm_files
from farm.room.bot_page_config import EVENTS_SHIM_PATH, NPM_PATH, ZOOM_DIST_PATH, sdk_sources
from farm.room.bot_tickets import BotTickets
from farm.settings import Settings
from state.vocabulary import as_javascript

BOT_PAGE_DIR = Path(__file__).resolve().parents[1] / "bot_page"
NODE_MODULES = BOT_PAGE_DIR / "node_modules"
ASSETS_PATH = "/bot-assets"

mimetypes.add_type("application/wasm", ".wasm")
mimetypes.add_type("text/javascript", ".mjs")

router = APIRouter(include_in_schema=False)

PAGE_HEADERS = {
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Embedder-Policy": "require-corp",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}
ASSET_HEADERS = {
    "Cross-Origin-Embedder-Policy": "require-corp",
    "Cross-Origin-Resource-Policy": "cross-origin",
    "X-Content-Type-Options": "nosniff",
}
EXPIRED = """<!doctype html><meta charset="utf-8"><title>avatarfarm</title>
<p>This bot link has expired or was already used. Bot links work once, within a minute.</p>"""


@cache
def _templates() -> Environment:
    return Environment(
        loader=FileSystemLoader(BOT_PAGE_DIR / "templates"),
        autoescape=select_autoescape(["html"]),
        auto_reload=False,
    )


@router.get("/bot/{ticket}", response_class=HTMLResponse)
async def bot_page(ticket: str, request: Request) -> HTMLResponse:
    tickets: BotTickets = request.app.state.bot_tickets
    config = tickets.redeem(ticket)
    if config is None:
        return HTMLResponse(EXPIRED, status_code=404, headers=PAGE_HEADERS)
    nonce = secrets.token_urlsafe(18)
    html = (
        _templates()
        .get_template("bot.html")
        .render(
            config=config,
            assets_url=ASSETS_PATH,
            zoom_scripts=config["zoom"]["scripts"],
            import_map=config["liveavatar"].get("import_map"),
            nonce=nonce,
        )
    )
    policy = content_security_policy(request, config["zoom"]["scripts"], nonce)
    return HTMLResponse(html, headers={**PAGE_HEADERS, "Content-Security-Policy": policy})


def content_security_policy(request: Request, zoom_scripts: list[str], nonce: str) -> str:
    """The bot page runs only scripts of this server, of the SDK script origins its config names and its own
    import map (by nonce); no plugins, no <base>, no forms, and no page may frame it. Zoom's shipped media
    libraries compile code at run time (`new Function`, WebAssembly), hence 'unsafe-eval' and 'wasm-unsafe-eval'
    (tests/bot_page/test_serving.py reads the bundle for them). Media, styles and connections stay open: the
    vendors' hosts (Zoom's data centres, LiveKit's) are chosen at run time."""
    origins = sorted({_origin(url) for url in zoom_scripts} | {_origin(str(request.base_url))})
    scripts = " ".join(["'self'", *origins, f"'nonce-{nonce}'", "'unsafe-eval'", "'wasm-unsafe-eval'"])
    return "; ".join(
        [
            f"script-src {scripts}",
            f"worker-src 'self' blob: {' '.join(origins)}",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        ]
    )


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@router.get(f"{ASSETS_PATH}/js/vocabulary.js")
async def vocabulary_module() -> Response:
    """States, reasons and event kinds from state/vocabulary.py, for the bot page and the dashboard."""
    return Response(as_javascript(), media_type="text/javascript", headers=ASSET_HEADERS)


@cache
def events_shim_source() -> str:
    """Node's `events` package (CommonJS) as an ES module, the one bare import of LiveAvatar's ESM bundle."""
    source = (NODE_MODULES / "events" / "events.js").read_text(encoding="utf-8")
    return (
        "const module = { exports: {} };\n"
        f"(function (module, exports) {{\n{source}\n}})(module, module.exports);\n"
        "export default module.exports;\n"
        "export const EventEmitter = module.exports.EventEmitter;\n"
        "export const once = module.exports.once;\n"
    )


@router.get(EVENTS_SHIM_PATH)
async def events_shim() -> Response:
    return Response(events_shim_source(), media_type="text/javascript", headers=ASSET_HEADERS)


class AllowListedFiles(StaticFiles):
    """StaticFiles that serves only the listed paths (relative, '/'-separated)."""

    def __init__(self, *, directory: Path, allowed: frozenset[str]) -> None:
        super().__init__(directory=directory)
        self.allowed = allowed

    async def get_response(self, path: str, scope: Scope) -> Response:
        if Path(path).as_posix() not in self.allowed:
            raise HTTPException(status_code=404)
        return await super().get_response(path, scope)


def page_npm_files(settings: Settings) -> frozenset[str]:
    """What the bot page loads from /vendor/npm: its SDK entry points and their imports (not the import map's)."""
    sources = sdk_sources(settings)
    prefix = f"{settings.base_url}{NPM_PATH}/"
    entries = [url.removeprefix(prefix) for url in (sources.liveavatar_module,) if url.startswith(prefix)]
    return npm_files(NODE_MODULES, entries, sources.import_map.get("imports", {}))


def mount_static(app: object) -> None:
    """Mount the page's scripts and the vendor SDKs (only what exists: node_modules may not be installed).

    Also reads the template and the events shim now, so requests never touch the disk on the event loop.
    """
    _templates().get_template("bot.html")
    if (NODE_MODULES / "events" / "events.js").is_file():
        events_shim_source()
    mounts = [
        (f"{ASSETS_PATH}/js", BOT_PAGE_DIR / "js", "bot-js"),
        (f"{ASSETS_PATH}/static", BOT_PAGE_DIR / "static", "bot-static"),
    ]
    if (NODE_MODULES / "@zoom" / "meetingsdk" / "dist").is_dir():
        mounts.append((ZOOM_DIST_PATH, NODE_MODULES / "@zoom" / "meetingsdk" / "dist", "vendor-zoom"))
    for path, directory, name in mounts:
        app.mount(path, WithHeaders(StaticFiles(directory=directory), ASSET_HEADERS), name=name)  # type: ignore[attr-defined]
    if NODE_MODULES.is_dir():
        allowed = page_npm_files(app.state.settings)  # type: ignore[attr-defined]
        npm = AllowListedFiles(directory=NODE_MODULES, allowed=allowed)
        app.mount(NPM_PATH, WithHeaders(npm, ASSET_HEADERS), name="vendor-npm")  # type: ignore[attr-defined]
