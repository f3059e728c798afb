"""Builds the fake Zoom ASGI app: REST, OAuth, host controls, signalling socket, SDK stand-in and pages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse

from fakes.cross_origin import CrossOriginResourcePolicy
from fakes.zoom import host_api, oauth, rest_api, signalling
from fakes.zoom.config import FakeZoomConfig
from fakes.zoom.pages import PageAssets, build_router
from fakes.zoom.rest_api import ZoomApiError
from fakes.zoom.sdk_bundle import build_bundle
from fakes.zoom.service import FakeZoomService


def create_app(config: FakeZoomConfig | None = None) -> FastAPI:
    service = FakeZoomService(config or FakeZoomConfig())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        # Let every client socket close so that the server can stop promptly.
        for meeting in service.meetings.all():
            for participant in meeting.participants.values():
                if participant.outbox is not None:
                    participant.outbox.close()

    app = FastAPI(title="avatarfarm fake Zoom", lifespan=lifespan, docs_url="/fake/docs", redoc_url=None)
    app.state.fake_zoom = service
    # Pages of other origins (the bot page) load our scripts and call us with credentials.
    app.add_middleware(
        CORSMiddleware, allow_origin_regex=".*", allow_credentials=True, allow_methods=["*"], allow_headers=["*"]
    )
    app.add_middleware(CrossOriginResourcePolicy)

    @app.exception_handler(ZoomApiError)
    async def zoom_api_error(request: Request, exc: ZoomApiError) -> JSONResponse:
        return exc.response()

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    app.include_router(build_router(PageAssets(build_bundle())))
    app.include_router(signalling.router)
    app.include_router(host_api.router)
    app.include_router(oauth.router)
    app.include_router(rest_api.router)
    return app
