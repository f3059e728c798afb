"""Connecting Zoom: the professor authorizes avatarfarm once (OAuth authorization code with PKCE), so that bots
can join meetings of other accounts on the professor's behalf (OBF tokens) and sessions can create meetings.

An authorization starts from a signed-in dashboard session (POST /api/zoom/authorize with the sign-in cookie).
The server keeps, for a random single-use `state`: the dashboard session that asked, a hash of a random value
given to that browser in a cookie, and the PKCE code_verifier (encrypted). The callback consumes the state
(a replayed one is refused in words), accepts it only in the browser that started it while that sign-in is
still valid, and sends the verifier with the code.

The browser cookie is SameSite=Lax on purpose: Zoom sends the browser back with a cross-site top-level GET,
where the Strict sign-in cookie is not sent.

Each professor connects their own Zoom (one grant each; the state remembers whose sign-in asked): the same
account reconnecting just refreshes it; another account's grant is parked and the dashboard asks that professor
whether it replaces their connected one (api/dashboard/zoom_page.py). A Zoom account connected to one professor
is refused to another, in words.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import logging
import secrets
import time
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from api.auth import require_token
from api.dashboard import session_cookie
from api.deps import RepositoryDep, SettingsDep
from api.errors import ApiError, not_found
from api.principals import PrincipalDep
from api.schemas import ErrorOut
from farm.vendors.vendor_http import VendorError
from farm.vendors.zoom_client import CALLBACK_PATH, Pkce, ZoomClient
from state.zoom_grants_repository import ZoomAccountTaken

log = logging.getLogger("avatarfarm.zoom")

router = APIRouter(prefix="/api/zoom", tags=["zoom"])
STATE_TTL_SECONDS = 15 * 60
BROWSER_COOKIE = "avatarfarm_zoom_oauth"
ZOOM_PAGE = "/dashboard/zoom"


class AuthorizeOut(BaseModel):
    authorize_url: str = Field(description="Open this in the same browser and sign in to Zoom.")
    expires_in: int


class GrantOut(BaseModel):
    connected: bool
    email: str | None = None
    user_id: str | None = None


def zoom_client(request: Request) -> ZoomClient:
    """The server's one Zoom client (built with the app: farm/vendors/zoom_client.py)."""
    client: ZoomClient | None = getattr(request.app.state, "zoom", None)
    if client is None:
        raise ApiError(
            409,
            "zoom_oauth_not_configured",
            "Set AVATARFARM_ZOOM_OAUTH_CLIENT_ID and AVATARFARM_ZOOM_OAUTH_CLIENT_SECRET to connect Zoom.",
        )
    return client


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


@router.post(
    "/authorize",
    response_model=AuthorizeOut,
    dependencies=[Depends(require_token)],
    summary="Start connecting your Zoom from the dashboard: a URL to open in the same browser",
    responses={409: {"description": "Not signed in to the dashboard, or Zoom OAuth is not configured."}},
)
async def authorize(
    request: Request, response: Response, repository: RepositoryDep, settings: SettingsDep
) -> AuthorizeOut:
    signed_in = session_cookie.current_session(request)
    if signed_in is None:
        raise ApiError(
            409,
            "dashboard_sign_in_required",
            f"Connect Zoom from the dashboard ({ZOOM_PAGE}), signed in, in the browser where the professor signs "
            "in to Zoom: the approval must come back to the session that asked for it.",
        )
    client = zoom_client(request)
    state, browser, pkce = secrets.token_urlsafe(32), secrets.token_urlsafe(32), Pkce.new()
    url = client.authorize_url(state, pkce.challenge)
    await repository.zoom_grants.save_oauth_state(
        state=state,
        professor_id=signed_in.professor_id,
        session_nonce=signed_in.nonce,
        browser_hash=_hash(browser),
        code_verifier=pkce.verifier,
        expires_at=time.time() + STATE_TTL_SECONDS,
    )
    response.set_cookie(
        BROWSER_COOKIE,
        browser,
        max_age=STATE_TTL_SECONDS,
        path=CALLBACK_PATH,
        httponly=True,
        samesite="lax",
        secure=session_cookie.secure_cookies(request),
    )
    response.headers["Cache-Control"] = "no-store"
    return AuthorizeOut(authorize_url=url, expires_in=STATE_TTL_SECONDS)


def _page(title: str, body: str, status: int = 200, *, link: tuple[str, str] | None = None) -> HTMLResponse:
    more = f'<p><a href="{html.escape(link[0])}">{html.escape(link[1])}</a></p>' if link else ""
    response = HTMLResponse(
        f'<!doctype html><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<h1>{html.escape(title)}</h1><p>{html.escape(body)}</p>{more}",
        status_code=status,
        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
    )
    response.delete_cookie(BROWSER_COOKIE, path=CALLBACK_PATH)
    return response


def _not_connected(body: str, status: int = 400) -> HTMLResponse:
    return _page("Zoom was not connected", body, status, link=(ZOOM_PAGE, "Back to the dashboard's Zoom page"))


@router.get("/callback", response_class=HTMLResponse, include_in_schema=False)
async def callback(
    request: Request,
    repository: RepositoryDep,
    settings: SettingsDep,
    code: Annotated[str | None, Query()] = None,
    state: Annotated[str | None, Query()] = None,
    error: Annotated[str | None, Query()] = None,
) -> HTMLResponse:
    started = await repository.zoom_grants.take_oauth_state(state) if state else None
    if error:
        reason = "you declined" if error == "access_denied" else "Zoom did not approve it"
        return _not_connected(f"The connection was not approved ({reason}). You can start again from the dashboard.")
    if not code or not state:
        return _not_connected("This link is incomplete; start again from the dashboard.")
    if started is None:
        return _not_connected(
            "This Zoom approval link was already used or is unknown to this server; each link works once. "
            "Start again from the dashboard."
        )
    if started.expires_at < time.time():
        return _not_connected("This Zoom approval link has expired; start again from the dashboard.")
    presented = request.cookies.get(BROWSER_COOKIE, "")
    if not presented or not hmac.compare_digest(_hash(presented), started.browser_hash):
        return _not_connected(
            "This approval came back to a different browser than the one that started it. Start again from the "
            "dashboard, in the browser where you sign in to Zoom.",
            403,
        )
    revocations = getattr(request.app.state, "dashboard_revocations", None)
    if revocations is not None and revocations.is_revoked(started.session_nonce):
        return _not_connected("You signed out of the dashboard since starting; sign in and start again.", 403)
    client = zoom_client(request)
    try:
        authorization = await client.exchange_code(code, started.code_verifier)
    except VendorError as exc:
        log.warning("Zoom refused the authorization code: %s", exc.message)
        return _not_connected("Zoom did not accept this approval (it may have expired); start again.", 502)
    if await repository.zoom_grants.account_taken(authorization.user_id, started.professor_id):
        return _not_connected(_taken_words(authorization.who), 409)
    current = await repository.zoom_grants.get(started.professor_id)
    if current is not None and current.user_id != authorization.user_id:
        await repository.zoom_grants.park(
            professor_id=started.professor_id,
            session_nonce=started.session_nonce,
            user_id=authorization.user_id,
            email=authorization.email,
            refresh_token=authorization.refresh_token,
            access_token=authorization.access_token,
            access_expires_at=authorization.access_expires_at,
        )
        return _page(
            "Replace the Zoom connection?",
            f"Your Zoom is connected as {current.email or current.user_id}. Replace it with {authorization.who}? "
            "Nothing changes until you confirm on the dashboard's Zoom page.",
            link=(ZOOM_PAGE, "Answer on the dashboard's Zoom page"),
        )
    try:
        await repository.zoom_grants.save(
            professor_id=started.professor_id,
            user_id=authorization.user_id,
            email=authorization.email,
            refresh_token=authorization.refresh_token,
            access_token=authorization.access_token,
            access_expires_at=authorization.access_expires_at,
        )
    except ZoomAccountTaken:
        return _not_connected(_taken_words(authorization.who), 409)
    refreshed = " (connection refreshed)" if current is not None else ""
    return _page(
        "Zoom is connected",
        f"avatarfarm may now join meetings on behalf of {authorization.who}{refreshed}. You can close this tab.",
        link=(ZOOM_PAGE, "Back to the dashboard"),
    )


def _taken_words(who: str) -> str:
    return (
        f"The Zoom account {who} is connected to another professor of this avatarfarm; each Zoom account serves "
        "one professor. Sign in to Zoom with your own account and connect again."
    )


@router.get("/grant", response_model=GrantOut, dependencies=[Depends(require_token)], summary="Is your Zoom connected?")
async def grant(repository: RepositoryDep, principal: PrincipalDep) -> GrantOut:
    current = await repository.zoom_grants.get(principal.professor_id)
    if current is None:
        return GrantOut(connected=False)
    return GrantOut(connected=True, email=current.email, user_id=current.user_id)


@router.delete(
    "/grant",
    response_model=GrantOut,
    dependencies=[Depends(require_token)],
    summary="Disconnect your Zoom",
    responses={404: {"model": ErrorOut, "description": "Your Zoom is not connected."}},
)
async def forget(repository: RepositoryDep, principal: PrincipalDep) -> GrantOut:
    if not await repository.zoom_grants.forget(principal.professor_id):
        raise not_found("Zoom connection of yours")
    return GrantOut(connected=False)
