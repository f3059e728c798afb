"""What the service serves to browsers: the SDK stand-in scripts and the participant page /join/{meeting}."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from fakes.zoom.sdk_bundle import SdkBundle
from fakes.zoom.service import FakeZoomService, get_service
from fakes.zoom.signature import mint_signature

STATIC_DIR = Path(__file__).parent / "static"
JS_TYPE = "text/javascript; charset=utf-8"

Service = Annotated[FakeZoomService, Depends(get_service)]


class PageAssets:
    """The files read once when the app is created (no disk reads on the event loop afterwards)."""

    def __init__(self, bundle: SdkBundle) -> None:
        self.bundle = bundle
        self.participant_html = (STATIC_DIR / "participant.html").read_text(encoding="utf-8")
        self.participant_js = (STATIC_DIR / "participant.js").read_text(encoding="utf-8")


def build_router(assets: PageAssets) -> APIRouter:
    router = APIRouter()

    @router.get("/sdk/zoomus-websdk-embedded.js")
    async def sdk_classic() -> Response:
        return Response(assets.bundle.classic, media_type=JS_TYPE, headers={"Cache-Control": "no-cache"})

    @router.get("/sdk/embedded.mjs")
    async def sdk_module() -> Response:
        return Response(assets.bundle.module, media_type=JS_TYPE, headers={"Cache-Control": "no-cache"})

    @router.get("/static/participant.js")
    async def participant_script() -> Response:
        return Response(assets.participant_js, media_type=JS_TYPE, headers={"Cache-Control": "no-cache"})

    @router.get("/join/{number}", response_class=HTMLResponse)
    async def participant_page(
        number: str,
        request: Request,
        service: Service,
        name: str = "Student",
        room: str = "",
        email: str = "",
        pwd: str | None = None,
        audio: bool = True,
        video: bool = True,
    ) -> HTMLResponse:
        """A student's page: ?name=, ?room= (breakout room to go to), ?email=, ?pwd= (else the meeting's
        passcode), ?audio=0 / ?video=0 for audio-only or video-only participants."""
        number = number.replace(" ", "")
        if not number.isdigit():
            raise HTTPException(404, "meeting numbers are digits")
        meeting = service.meetings.get(number)
        password = pwd if pwd is not None else (meeting.settings.passcode if meeting is not None else "")
        config = {
            # The page gets a short-lived signature minted here; the SDK secret never leaves the service.
            "signature": mint_signature(
                sdk_key=service.config.sdk_key,
                sdk_secret=service.config.sdk_secret,
                meeting_number=number,
                zoom_client=True,
            ),
            "meetingNumber": number,
            "userName": name,
            "userEmail": email,
            "password": password,
            "room": room,
            "audio": audio,
            "video": video,
        }
        base = service.base_url(request)
        page = (
            assets.participant_html.replace("{{number}}", html.escape(number))
            .replace("{{config}}", json.dumps(config).replace("</", "<\\/"))
            .replace("{{sdk_url}}", html.escape(base + "/sdk/zoomus-websdk-embedded.js", quote=True))
            .replace("{{page_script_url}}", html.escape(base + "/static/participant.js", quote=True))
        )
        return HTMLResponse(page, headers={"Cache-Control": "no-store"})

    return router
