"""The ASGI app: REST, admin and the LITE socket, with the headers a cross-origin-isolated page using the vendor's
web SDK needs (CORS with credentials, Cross-Origin-Resource-Policy: cross-origin). The LiveKit server is a child
process started on first use and stopped with the app (rooms.py, livekit_server.py)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI, Request
from fastapi.middleware import Middleware
from fastapi.responses import JSONResponse
from starlette.middleware.cors import CORSMiddleware

from fakes.cross_origin import CrossOriginResourcePolicy
from fakes.liveavatar import admin_api, lite_socket, rest_api
from fakes.liveavatar.config import FakeLiveAvatarConfig
from fakes.liveavatar.envelope import BusinessError, error_response
from fakes.liveavatar.faults import FaultMiddleware
from fakes.liveavatar.rate_limits import RateLimitHeaders
from fakes.liveavatar.service import LiveAvatarService


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
        description="A local LiveAvatar: REST, a LiveKit room with the avatar and its agent, LITE, limits, faults.",
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
            Middleware(RateLimitHeaders),
        ],
    )
    app.state.service = service

    @app.exception_handler(BusinessError)
    async def business_error(request: Request, exc: BusinessError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.message, exc.headers)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    app.include_router(rest_api.router)
    app.include_router(admin_api.router)
    app.include_router(lite_socket.router)
    return app
