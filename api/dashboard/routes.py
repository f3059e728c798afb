"""The dashboard's pages: sign-in and sign-out, the list of sessions, the start-session form and the live
monitor of one session. Pages carry no secret: data comes from the REST API and the event stream, which
accept the sign-in cookie (see session_cookie)."""

from __future__ import annotations

import hmac
import logging
import secrets
from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api import auth
from api.dashboard import (
    account_page,
    materials_page,
    oidc_sign_in,
    rendering,
    report_page,
    session_cookie,
    zoom_page,
)
from api.dashboard.session_cookie import DashboardSession
from api.deps import RepositoryDep
from farm.settings import Settings
from state.models import RoomStatus, Session

log = logging.getLogger("avatarfarm.api")

router = APIRouter(include_in_schema=False)

HOME = "/dashboard"
SIGN_IN = "/dashboard/sign-in"
SIGN_IN_COOKIE = "avatarfarm_signin"
SIGN_IN_FORM_SECONDS = 3600
SIGNED_OUT_FILE = "signed_out"


def install(app: FastAPI) -> None:
    """Serve the dashboard from `app`: its pages, its static files and the sign-out memory."""
    settings: Settings = app.state.settings
    app.state.dashboard_revocations = session_cookie.Revocations(settings.data_dir / SIGNED_OUT_FILE)
    app.include_router(router)
    app.include_router(report_page.router)
    app.include_router(zoom_page.router)
    app.include_router(materials_page.router)
    app.include_router(account_page.router)
    app.include_router(oidc_sign_in.router)
    rendering.mount_static(app)


def _safe_next(target: str | None) -> str:
    """Only a dashboard path of this server (no scheme, no host) may follow sign-in."""
    if not target or not target.startswith(HOME) or target.startswith("//") or "\\" in target:
        return HOME
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return HOME
    return target


def _sign_in_redirect(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"{SIGN_IN}?next={quote(target, safe='/')}", status_code=303)


def _same_origin(request: Request) -> bool:
    """A browser's form post names its page's origin; it must be this server (as reached, or as configured)."""
    origin = request.headers.get("origin")
    if origin is None:
        return True
    settings: Settings = request.app.state.settings
    allowed = {f"{request.url.scheme}://{request.url.netloc}", _origin_of(settings.base_url)}
    return origin in allowed


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _page(name: str, signed_in: DashboardSession, **context: object) -> HTMLResponse:
    return rendering.render(name, {"csrf_token": signed_in.csrf_token, "signed_in": True, **context})


# ---- sign-in and sign-out ----------------------------------------------------------------------------------


def _sign_in_form(
    request: Request, *, next_path: str, error: str | None = None, notice: str | None = None, status_code: int = 200
) -> HTMLResponse:
    form_token = secrets.token_urlsafe(24)
    settings: Settings = request.app.state.settings
    response = rendering.render(
        "sign_in.html",
        {
            "form_token": form_token,
            "next": next_path,
            "error": error,
            "notice": notice,
            "signed_in": False,
            "oidc": settings.oidc_provider_name if oidc_sign_in.configured(settings) else None,
        },
        status_code=status_code,
    )
    response.set_cookie(
        SIGN_IN_COOKIE,
        form_token,
        max_age=SIGN_IN_FORM_SECONDS,
        path=SIGN_IN,
        httponly=True,
        samesite="strict",
        secure=session_cookie.secure_cookies(request),
    )
    return response


@router.get("/")
async def root() -> RedirectResponse:
    return RedirectResponse(HOME, status_code=307)


@router.get(SIGN_IN)
async def sign_in_page(request: Request, next: str | None = None, signed_out: str | None = None) -> Response:
    target = _safe_next(next)
    if session_cookie.current_session(request) is not None:
        return RedirectResponse(target, status_code=303)
    return _sign_in_form(request, next_path=target, notice="You are signed out." if signed_out else None)


@router.post(SIGN_IN)
async def sign_in(
    request: Request,
    token: Annotated[str, Form()] = "",
    form_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = HOME,
) -> Response:
    target = _safe_next(next)
    expected_form = request.cookies.get(SIGN_IN_COOKIE, "")
    if (
        not _same_origin(request)
        or not expected_form
        or not hmac.compare_digest(form_token.encode(), expected_form.encode())
    ):
        return _sign_in_form(
            request,
            next_path=target,
            error="This sign-in form has expired or did not come from this server. Please try again.",
            status_code=403,
        )
    api_token: str = request.app.state.api_token
    presented = token.strip()
    if not presented:
        return _sign_in_form(request, next_path=target, error="Enter the API token.", status_code=422)
    principal = await auth.principal_for_token(request, presented)
    if principal is None:
        address = request.client.host if request.client else "unknown"
        request.app.state.auth_throttle.failed(address)
        log.warning("refused a wrong token on the dashboard's sign-in form from %s", address)
        return _sign_in_form(
            request,
            next_path=target,
            error="That is not an API token of this server. A professor's comes from the administrator; the "
            "administrator's is kept in DATA_DIR/api_token (and was printed when the server first started in a "
            "terminal).",
            status_code=401,
        )
    value, _ = session_cookie.issue(
        api_token, professor_id=principal.professor_id, token_id=principal.token_id or session_cookie.BOOTSTRAP
    )
    response = RedirectResponse(target, status_code=303)
    session_cookie.set_session_cookie(request, response, value)
    response.delete_cookie(SIGN_IN_COOKIE, path=SIGN_IN)
    return response


@router.post("/dashboard/sign-out")
async def sign_out(request: Request, csrf_token: Annotated[str, Form()] = "") -> Response:
    session = session_cookie.current_session(request)
    if session is not None:
        if not _same_origin(request) or not session_cookie.csrf_matches(session, csrf_token):
            return rendering.render(
                "not_found.html",
                {
                    "signed_in": True,
                    "csrf_token": session.csrf_token,
                    "title": "Sign-out refused",
                    "message": "This sign-out did not come from a dashboard page of this server.",
                },
                status_code=403,
            )
        session_cookie.revoke(request, session)
    response = RedirectResponse(f"{SIGN_IN}?signed_out=1", status_code=303)
    session_cookie.clear_session_cookie(request, response)
    return response


# ---- pages -------------------------------------------------------------------------------------------------


def _when(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, tz=UTC).strftime("%Y-%m-%d %H:%M UTC")


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, tz=UTC).isoformat()


def _row(session: Session) -> dict[str, object]:
    return {
        "id": session.id,
        "course": session.course.name,
        "professor": session.professor.name,
        "meeting": session.meeting.number or session.meeting.topic or "to be created",
        "rooms_total": len(session.rooms),
        "rooms_live": sum(room.status is RoomStatus.live for room in session.rooms),
        "status": session.status.value,
        "created": _when(session.created_at),
        "created_iso": _iso(session.created_at),
    }


@router.get(HOME)
async def sessions_page(request: Request, repository: RepositoryDep) -> Response:
    found = await auth.signed_in(request)
    if found is None:
        return _sign_in_redirect(request)
    session, principal = found
    sessions = await repository.sessions.all(limit=100, owner_id=principal.only_owner)
    return _page("sessions.html", session, sessions=[_row(s) for s in sessions])


@router.get("/dashboard/sessions/new")
async def new_session_page(request: Request, repository: RepositoryDep) -> Response:
    found = await auth.signed_in(request)
    if found is None:
        return _sign_in_redirect(request)
    session, principal = found
    account = await repository.professors.get(principal.professor_id)
    # The form starts from the professor's own clone (their profile); the administrator's starts empty.
    mine = {"name": "", "avatar_id": "", "voice_id": "", "teaching_style": ""}
    if account is not None and not account.is_admin:
        mine = {
            "name": account.name,
            "avatar_id": account.avatar_id or "",
            "voice_id": account.voice_id or "",
            "teaching_style": account.teaching_style or "",
        }
    return _page("new_session.html", session, idempotency_key=secrets.token_hex(16), mine=mine)


@router.get("/dashboard/sessions/{session_id}")
async def session_page(session_id: str, request: Request, repository: RepositoryDep) -> Response:
    signed_in = await auth.signed_in(request)
    if signed_in is None:
        return _sign_in_redirect(request)
    session, principal = signed_in
    found = await repository.sessions.get(session_id)
    if found is None or not principal.owns(found.owner_id):
        return rendering.render(
            "not_found.html",
            {
                "signed_in": True,
                "csrf_token": session.csrf_token,
                "title": "No such session",
                "message": f"There is no session with id {session_id}.",
            },
            status_code=404,
        )
    return _page("session.html", session, session=_row(found))
