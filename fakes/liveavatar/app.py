"""The ASGI app: REST, admin, media socket, LiveKit stub and the stand-in SDK's static files, with the headers a
cross-origin-isolated page needs (CORS with credentials, Cross-Origin-Resource-Policy: cross-origin)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.middleware import Middleware
from fastapi.responses import JSONResponse
from starlette.middleware.cors import CORSMiddleware
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fakes.liveavatar import admin_api, lite_socket, livekit_stub, media_socket, rest_api
from fakes.liveavatar.config import FakeLiveAvatarConfig
from fakes.liveavatar.envelope import BusinessError, error_response
from fakes.liveavatar.faults import FaultMiddleware
from fakes.liveavatar.service import LiveAvatarService

STATIC_DIR = Path(__file__).parent / "static"


class CrossOriginResourcePolicy:
    """Every response may be embedded by pages of other origins, including COEP: require-corp ones."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_corp(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (k, v) for k, v in message.get("headers", []) if k.lower() != b"cross-origin-resource-policy"
                ]
                headers.append((b"cross-origin-resource-policy", b"cross-origin"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_corp)


async def _supervise(service: LiveAvatarService) -> None:
    """Let time pass for the sessions: limits and billing (SessionRegistry.tick)."""
    registry = service.registry
    while True:
        registry.tick(registry.now())
        await asyncio.sleep(service.config.tick_interval_s)


def create_app(config: FakeLiveAvatarConfig | None = None) -> FastAPI:
    service = LiveAvatarService.build(config or FakeLiveAvatarConfig())

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        supervisor = asyncio.create_task(_supervise(service))
        try:
            yield
        finally:
            supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await supervisor
            await service.agents.shutdown()
            service.recognizer.close()

    app = FastAPI(
        title="fakes/liveavatar",
        description="A local LiveAvatar: REST, stand-in web SDK, talking avatar, limits and faults.",
        lifespan=lifespan,
        middleware=[
            Middleware(
                CORSMiddleware,
                allow_origin_regex=".*",
                allow_credentials=True,
                allow_methods=["*"],
                allow_headers=["*"],
                max_age=600,
            ),
            Middleware(CrossOriginResourcePolicy),
            Middleware(FaultMiddleware, injector=service.faults, clock=service.config.wall_clock),
        ],
    )
    app.state.service = service

    @app.exception_handler(BusinessError)
    async def business_error(request: Request, exc: BusinessError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.message)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    app.include_router(rest_api.router)
    app.include_router(admin_api.router)
    app.include_router(media_socket.router)
    app.include_router(lite_socket.router)
    app.include_router(livekit_stub.router)
    app.mount("/sdk", StaticFiles(directory=STATIC_DIR), name="sdk")
    return app
