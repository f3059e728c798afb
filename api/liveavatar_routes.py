"""The LiveAvatar account's avatars and voices for the professor (the start form's pickers), and the avatars'
preview images served from this server. Lists come from api/liveavatar_catalog.py (cached for minutes); the
API key and the vendor's image URLs never reach the page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response

from api.errors import ApiError, not_found
from api.liveavatar_catalog import CatalogRefused, CatalogUnavailable, LiveAvatarCatalog
from api.schemas import AvatarChoiceOut, AvatarList, ErrorOut, VoiceChoiceOut, VoiceList, VoiceRefOut

router = APIRouter(prefix="/api/liveavatar", tags=["liveavatar"])

ERRORS: dict[int | str, dict[str, object]] = {
    401: {"model": ErrorOut, "description": "Missing or wrong API token."},
    503: {"model": ErrorOut, "description": "LiveAvatar cannot be reached now, or refuses avatarfarm's API key."},
}
AVATAR_ID = Path(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$")
# A proxied picture (an SVG, maybe) opened on its own must not run anything in this origin.
PREVIEW_HEADERS = {
    "Cache-Control": "private, max-age=300",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox",
    "X-Content-Type-Options": "nosniff",
}


def _catalog(request: Request) -> LiveAvatarCatalog:
    catalog: LiveAvatarCatalog = request.app.state.liveavatar_catalog
    return catalog


CatalogDep = Annotated[LiveAvatarCatalog, Depends(_catalog)]


def unreachable() -> ApiError:
    return ApiError(
        503,
        "liveavatar_unavailable",
        "LiveAvatar cannot be reached right now, so its avatars and voices cannot be listed; "
        "type the avatar id instead, or try again in a minute.",
    )


def key_refused(exc: CatalogRefused) -> ApiError:
    return ApiError(503, "liveavatar_refused", exc.words)


def preview_path(avatar_id: str) -> str:
    return f"/api/liveavatar/avatars/{avatar_id}/preview"


@router.get("/avatars", response_model=AvatarList, responses=ERRORS, summary="The account's avatars, to pick from")
async def list_avatars(catalog: CatalogDep) -> AvatarList:
    try:
        avatars = await catalog.avatars()
    except CatalogUnavailable:
        raise unreachable() from None
    except CatalogRefused as exc:
        raise key_refused(exc) from None
    return AvatarList(
        avatars=[
            AvatarChoiceOut(
                id=a.id,
                name=a.name,
                status=a.status,
                ready=a.status == "ACTIVE",
                preview_url=preview_path(a.id) if a.preview_url else None,
                default_voice=VoiceRefOut(id=a.default_voice_id, name=a.default_voice_name or a.default_voice_id)
                if a.default_voice_id
                else None,
                public=a.public,
            )
            for a in avatars
        ]
    )


@router.get("/voices", response_model=VoiceList, responses=ERRORS, summary="The account's voices, to pick from")
async def list_voices(catalog: CatalogDep) -> VoiceList:
    try:
        voices = await catalog.voices()
    except CatalogUnavailable:
        raise unreachable() from None
    except CatalogRefused as exc:
        raise key_refused(exc) from None
    return VoiceList(
        voices=[VoiceChoiceOut(id=v.id, name=v.name, language=v.language, gender=v.gender) for v in voices]
    )


@router.get(
    "/avatars/{avatar_id}/preview",
    response_class=Response,
    responses={
        200: {"content": {"image/*": {}}, "description": "The avatar's preview image."},
        404: {"model": ErrorOut, "description": "No such avatar, or it has no preview image."},
        **ERRORS,
    },
    summary="An avatar's preview image",
)
async def avatar_preview(avatar_id: Annotated[str, AVATAR_ID], catalog: CatalogDep) -> Response:
    try:
        preview = await catalog.preview(avatar_id)
    except CatalogUnavailable:
        raise unreachable() from None
    except CatalogRefused as exc:
        raise key_refused(exc) from None
    if preview is None:
        raise not_found(f"preview image for the avatar {avatar_id}")
    return Response(preview.content, media_type=preview.media_type, headers=PREVIEW_HEADERS)
