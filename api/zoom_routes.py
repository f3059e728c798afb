"""Connecting Zoom: the professor authorizes avatarfarm once (OAuth authorization code), so that bots can join
meetings of other accounts on the professor's behalf (OBF tokens) and sessions can create meetings.

The callback is reached by the professor's browser, without the API token: a signed, expiring `state`
parameter ties it to an authorization this server started.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import secrets
import time
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from api.auth import require_token
from api.deps import RepositoryDep, SettingsDep
from api.errors import ApiError, not_found
from api.schemas import ErrorOut
from farm.settings import Settings
from farm.vendor_http import VendorError
from farm.zoom_client import ZoomClient
from state.repository import Repository

router = APIRouter(prefix="/api/zoom", tags=["zoom"])
STATE_TTL_SECONDS = 15 * 60


class AuthorizeOut(BaseModel):
    authorize_url: str = Field(description="Open this in the professor's browser and sign in to Zoom.")
    expires_in: int


class GrantOut(BaseModel):
    connected: bool
    email: str | None = None
    user_id: str | None = None


def _client(repository: Repository, settings: Settings) -> ZoomClient:
    if not settings.zoom_oauth_client_id or settings.zoom_oauth_client_secret is None:
        raise ApiError(
            409,
            "zoom_oauth_not_configured",
            "Set AVATARFARM_ZOOM_OAUTH_CLIENT_ID and AVATARFARM_ZOOM_OAUTH_CLIENT_SECRET to connect Zoom.",
        )
    return ZoomClient(
        repository,
        api_base=settings.zoom_api_base or "",
        oauth_base=settings.zoom_oauth_base or settings.zoom_api_base or "",
        client_id=settings.zoom_oauth_client_id,
        client_secret=settings.zoom_oauth_client_secret.get_secret_value(),
        redirect_uri=f"{settings.base_url}/api/zoom/callback",
    )


def _sign(key: str, payload: str) -> str:
    return hmac.new(key.encode(), payload.encode(), hashlib.sha256).hexdigest()[:32]


def _state(key: str) -> str:
    payload = f"{int(time.time()) + STATE_TTL_SECONDS}.{secrets.token_hex(8)}"
    return f"{payload}.{_sign(key, payload)}"


def _state_is_valid(key: str, state: str) -> bool:
    expires, _, rest = state.partition(".")
    nonce, _, signature = rest.partition(".")
    if not (expires.isdigit() and nonce and signature):
        return False
    payload = f"{expires}.{nonce}"
    return hmac.compare_digest(_sign(key, payload), signature) and int(expires) >= time.time()


@router.post(
    "/authorize",
    response_model=AuthorizeOut,
    dependencies=[Depends(require_token)],
    summary="Start connecting Zoom: a URL for the professor to open and approve",
)
async def authorize(request: Request, repository: RepositoryDep, settings: SettingsDep) -> AuthorizeOut:
    client = _client(repository, settings)
    try:
        url = client.authorize_url(_state(request.app.state.api_token))
    finally:
        await client.aclose()
    return AuthorizeOut(authorize_url=url, expires_in=STATE_TTL_SECONDS)


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        f'<!doctype html><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<h1>{html.escape(title)}</h1><p>{html.escape(body)}</p>",
        status_code=status,
        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
    )


@router.get("/callback", response_class=HTMLResponse, include_in_schema=False)
async def callback(
    request: Request,
    repository: RepositoryDep,
    settings: SettingsDep,
    code: Annotated[str | None, Query()] = None,
    state: Annotated[str | None, Query()] = None,
    error: Annotated[str | None, Query()] = None,
) -> HTMLResponse:
    if error:
        return _page("Zoom was not connected", f"Zoom answered: {error}.", 400)
    if not code or not state or not _state_is_valid(request.app.state.api_token, state):
        return _page("Zoom was not connected", "This link is invalid or expired; start again from avatarfarm.", 400)
    client = _client(repository, settings)
    try:
        who = await client.complete_authorization(code)
    except VendorError as exc:
        return _page("Zoom was not connected", f"Zoom refused: {exc.message}", 502)
    finally:
        await client.aclose()
    return _page("Zoom is connected", f"avatarfarm may now join meetings on behalf of {who}. You can close this tab.")


@router.get("/grant", response_model=GrantOut, dependencies=[Depends(require_token)], summary="Is Zoom connected?")
async def grant(repository: RepositoryDep) -> GrantOut:
    current = await repository.zoom_grant()
    if current is None:
        return GrantOut(connected=False)
    return GrantOut(connected=True, email=current.email, user_id=current.user_id)


@router.delete(
    "/grant",
    response_model=GrantOut,
    dependencies=[Depends(require_token)],
    summary="Disconnect Zoom",
    responses={404: {"model": ErrorOut, "description": "Zoom is not connected."}},
)
async def forget(repository: RepositoryDep) -> GrantOut:
    current = await repository.zoom_grant()
    if current is None or not await repository.forget_zoom_grant(current.user_id):
        raise not_found("Zoom connection")
    return GrantOut(connected=False)
