"""The dashboard's Zoom page: whether the signed-in professor's own Zoom is connected and as whom, the Connect
button (static/zoom.js asks POST /api/zoom/authorize and opens Zoom), and the question a parked grant raises:
"Your Zoom is connected as X. Replace it with Y?", answered with Replace or Keep (forms with the session's CSRF
token). Nothing changes until the professor who connected the other account confirms."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from api.dashboard import rendering, session_cookie
from api.dashboard.form_origin import posted_from_this_dashboard
from api.dashboard.session_cookie import DashboardSession
from api.deps import RepositoryDep
from state.zoom_grants_repository import ZoomAccountTaken

router = APIRouter(include_in_schema=False)

PAGE = "/dashboard/zoom"
NOTICES = {
    "replaced": "Zoom is now connected with the new account.",
    "kept": "The Zoom connection was kept as it was.",
    "gone": "That question had expired or was already answered; connect again if needed.",
    "taken": "That Zoom account is connected to another professor of this avatarfarm; nothing was changed.",
}


def _signed_in(request: Request) -> DashboardSession | None:
    return session_cookie.current_session(request)


def _sign_in() -> RedirectResponse:
    return RedirectResponse(f"/dashboard/sign-in?next={PAGE}", status_code=303)


def _refused(session: DashboardSession) -> Response:
    return rendering.render(
        "not_found.html",
        {
            "signed_in": True,
            "csrf_token": session.csrf_token,
            "title": "Refused",
            "message": "This answer did not come from a dashboard page of this server; reload the Zoom page.",
        },
        status_code=403,
    )


@router.get(PAGE)
async def zoom_page(request: Request, repository: RepositoryDep, notice: str | None = None) -> Response:
    session = _signed_in(request)
    if session is None:
        return _sign_in()
    current = await repository.zoom_grants.get(session.professor_id)
    pending = await repository.zoom_grants.pending(session.nonce)
    return rendering.render(
        "zoom.html",
        {
            "signed_in": True,
            "csrf_token": session.csrf_token,
            "connected": None if current is None else (current.email or current.user_id),
            "pending": None if pending is None else {"id": pending.id, "who": pending.email or pending.user_id},
            "notice": NOTICES.get(notice or ""),
        },
    )


@router.post(PAGE + "/pending/{pending_id}/replace")
async def replace(
    pending_id: str, request: Request, repository: RepositoryDep, csrf_token: Annotated[str, Form()] = ""
) -> Response:
    session = _signed_in(request)
    if session is None:
        return _sign_in()
    if not posted_from_this_dashboard(request, session, csrf_token):
        return _refused(session)
    try:
        confirmed = await repository.zoom_grants.confirm_pending(pending_id, session.nonce)
    except ZoomAccountTaken:
        return RedirectResponse(f"{PAGE}?notice=taken", status_code=303)
    return RedirectResponse(f"{PAGE}?notice={'replaced' if confirmed else 'gone'}", status_code=303)


@router.post(PAGE + "/pending/{pending_id}/keep")
async def keep(
    pending_id: str, request: Request, repository: RepositoryDep, csrf_token: Annotated[str, Form()] = ""
) -> Response:
    session = _signed_in(request)
    if session is None:
        return _sign_in()
    if not posted_from_this_dashboard(request, session, csrf_token):
        return _refused(session)
    dropped = await repository.zoom_grants.drop_pending(pending_id, session.nonce)
    return RedirectResponse(f"{PAGE}?notice={'kept' if dropped else 'gone'}", status_code=303)
