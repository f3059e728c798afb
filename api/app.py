"""The FastAPI application factory: REST API, SSE, probes and metrics over one state store and one farm."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse

from api import (
    bot_page_routes,
    events_routes,
    health_routes,
    liveavatar_routes,
    materials_routes,
    professors_routes,
    record_routes,
    sessions_routes,
    webhook_receivers_routes,
    zoom_routes,
)
from api.auth import ensure_api_token, require_token
from api.auth_throttle import AuthThrottle
from api.dashboard import routes as dashboard_routes
from api.errors import install_error_handlers
from api.farm_port import FarmManager
from api.forwarded_headers import ForwardedHeaders
from api.liveavatar_catalog import LiveAvatarCatalog
from api.metrics import Metrics, MetricsMiddleware
from api.professor_tokens import ensure_token_key
from api.request_guard import RequestGuard
from api.secrets_at_rest import open_repository, open_secret_box
from farm.factory import browser_farm
from farm.room.bot_tickets import BotTickets
from farm.settings import Settings
from farm.startup_log import startup_step
from farm.vendors.zoom_client import ZoomClient
from state.repository import Repository

log = logging.getLogger("avatarfarm.api")

# What builds the app's farm from the state store, the settings, the bot tickets and the server's one Zoom client
# (None without Zoom OAuth credentials). The default is the browser farm `avatarfarm serve` runs; tests give
# their own doubles.
FarmFactory = Callable[[Repository, Settings, BotTickets, ZoomClient | None], FarmManager]

DESCRIPTION = """\
avatarfarm puts an AI clone of a professor into every Zoom breakout room: one supervised headless
Chromium per room, with a LiveAvatar talking head as its camera and microphone.

Every endpoint except `/healthz` and `/readyz` needs `Authorization: Bearer <API token>`, checked before a
request body is read; bodies are capped (413), and wrong tokens are throttled per address (429, Retry-After).
The administrator's token is the server's bootstrap token; professors get theirs from the administrator
(`POST /api/professors`) and make more (`POST /api/tokens`). A professor sees only their own sessions, rooms,
transcripts, reports, events and materials: another professor's are answered 404, as if they did not exist.
A token with the scope `read` may only read (403 otherwise).
Errors always have the shape `{"error": code, "message": words, "detail": [{"field", "message"}]}`.
"""


def described(app: FastAPI) -> dict[str, Any]:
    """FastAPI's OpenAPI description, with the validation error answer every route really gives (ErrorOut, see
    api/errors.py) in place of FastAPI's default HTTPValidationError."""
    if app.openapi_schema is None:
        spec = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
            tags=app.openapi_tags,
        )
        app.openapi_schema = json.loads(
            json.dumps(spec).replace('"#/components/schemas/HTTPValidationError"', '"#/components/schemas/ErrorOut"')
        )
        # ErrorOut is always there: the session routes name it for their errors.
        schemas = app.openapi_schema.get("components", {}).get("schemas", {})
        for unused in ("HTTPValidationError", "ValidationError"):
            schemas.pop(unused, None)
        settings: Settings = app.state.settings
        rooms = schemas.get("SessionCreate", {}).get("properties", {}).get("rooms", {})
        if rooms and not settings.browser_node_urls:  # this farm's own limit (AVATARFARM_MAX_BOTS)
            rooms["maxItems"] = min(int(rooms.get("maxItems", settings.max_bots)), settings.max_bots)
    return app.openapi_schema


def create_app(settings: Settings, *, farm_factory: FarmFactory | None = None) -> FastAPI:
    metrics = Metrics()
    make_farm = farm_factory or browser_farm
    tickets = BotTickets()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        token = ensure_api_token(settings)
        app.state.token_key = ensure_token_key(settings)
        if token.generated:
            log.info("generated an API token, kept in %s", token.source)
        with startup_step("database"):
            repository = await open_repository(settings, open_secret_box(settings))
        zoom = ZoomClient.for_settings(repository.zoom_grants, settings)
        farm = make_farm(repository, settings, tickets, zoom)
        api_key = settings.liveavatar_api_key.get_secret_value() if settings.liveavatar_api_key else ""
        catalog = LiveAvatarCatalog.for_settings(settings.liveavatar_api_base or "", api_key)
        app.state.api_token = token.value
        app.state.repository = repository
        app.state.farm = farm
        app.state.zoom = zoom
        app.state.liveavatar_catalog = catalog
        retention = asyncio.create_task(repository.keep_retention(settings.retention_days), name="retention")
        try:
            with startup_step("farm"):
                await farm.start()
            yield
        finally:
            retention.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await retention
            try:
                await farm.stop()
            finally:
                await catalog.aclose()
                if zoom is not None:
                    await zoom.aclose()
                await repository.close()

    app = FastAPI(
        # The API description is served to token holders only; there is no Swagger UI (it would load from a CDN).
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        title="avatarfarm",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        openapi_tags=[
            {"name": "sessions", "description": "Sessions of a class and their breakout rooms."},
            {"name": "events", "description": "Live state changes."},
            {"name": "zoom", "description": "Connecting the professor's Zoom account (OBF, meeting creation)."},
            {"name": "materials", "description": "Course materials the avatars draw on, and passages pinned to rooms."},
            {"name": "professors", "description": "The administrator's professors, and everyone's own API tokens."},
            {"name": "liveavatar", "description": "The LiveAvatar account's avatars and voices, to pick from."},
            {"name": "health", "description": "Probes and metrics."},
        ],
    )
    app.state.settings = settings
    app.state.metrics = metrics
    app.state.bot_tickets = tickets
    install_error_handlers(app)
    app.include_router(health_routes.router)
    app.include_router(bot_page_routes.router)
    bot_page_routes.mount_static(app)
    app.include_router(sessions_routes.router, dependencies=[Depends(require_token)])
    app.include_router(record_routes.router, dependencies=[Depends(require_token)])
    app.include_router(events_routes.router, dependencies=[Depends(require_token)])
    app.include_router(liveavatar_routes.router, dependencies=[Depends(require_token)])
    app.include_router(materials_routes.router, dependencies=[Depends(require_token)])
    app.include_router(professors_routes.router, dependencies=[Depends(require_token)])
    app.include_router(webhook_receivers_routes.router, dependencies=[Depends(require_token)])
    app.include_router(zoom_routes.router)
    dashboard_routes.install(app)
    app.state.auth_throttle = throttle = AuthThrottle()
    app.add_middleware(RequestGuard, settings=settings, throttle=throttle)
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    if settings.trusted_proxies:  # outermost: every layer sees the client, scheme and host the proxy was given
        app.add_middleware(ForwardedHeaders, proxies=settings.trusted_proxy_networks)

    app.openapi = lambda: described(app)  # type: ignore[method-assign]

    @app.get("/openapi.json", include_in_schema=False, dependencies=[Depends(require_token)])
    async def openapi() -> JSONResponse:
        return JSONResponse(app.openapi())

    return app
