"""The dashboard's account page: everyone's own clone (avatar, voice and teaching style, which their sessions use
unless a session names others), their own API tokens (made with a name and a scope, shown once, listed
with their last use, revoked with a button) and avatar credits used per month against their allowance; and for
the administrator, the professors (created with a first token shown once, disabled and enabled, their monthly
credit allowance set, this month's use shown). Forms carry the session's CSRF token; a read-only sign-in changes
nothing."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from api import auth
from api.dashboard import rendering
from api.dashboard.form_origin import posted_from_this_dashboard
from api.dashboard.session_cookie import DashboardSession
from api.deps import RepositoryDep
from api.errors import ApiError
from api.principals import Principal
from api.professor_schemas import EMAIL_PATTERN, ProfileIn
from api.professor_tokens import add_professor, add_token
from api.sessions_routes import check_avatar
from api.webhook_receivers_routes import checked_receiver_url
from farm.webhooks.secret import new_secret
from state.allowances import month_of
from state.professors_repository import EmailTaken, ProfessorAccount
from state.repository import NotFound, Repository
from state.webhook_receivers_repository import MAX_RECEIVERS_PER_PROFESSOR, ReceiverExists, TooManyReceivers

router = APIRouter(include_in_schema=False)

PAGE = "/dashboard/account"
NOTICES = {
    "revoked": "The token is revoked: it no longer works.",
    "disabled": "The professor is disabled: their tokens and sign-ins no longer work.",
    "enabled": "The professor is enabled again.",
    "allowance": "The allowance is set; it is checked at every avatar start.",
    "receiver_removed": "The webhook receiver is removed: nothing more is sent to it.",
    "profile": "Your clone is kept: your sessions use this avatar, voice and teaching style unless they name others.",
}


async def _use(repository: Repository, professor: ProfessorAccount, month: str) -> dict[str, object]:
    used = (await repository.professors.usage_in(professor.id, month)).credits
    allowance = professor.monthly_credit_allowance
    return {
        "credits": f"{used:.1f}",
        "allowance": None if allowance is None else f"{allowance:g}",
        "percent": None if allowance is None else f"{100 * used / allowance:.0f}",
    }


def _when(timestamp: float | None) -> str:
    return "never" if timestamp is None else datetime.fromtimestamp(timestamp, tz=UTC).strftime("%Y-%m-%d %H:%M UTC")


async def _page(
    repository: Repository,
    session: DashboardSession,
    principal: Principal,
    *,
    notice: str | None = None,
    error: str | None = None,
    shown_token: dict[str, str] | None = None,
    shown_secret: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    tokens = [
        {
            "id": t.id,
            "name": t.name,
            "scope": t.scope,
            "created": _when(t.created_at),
            "last_used": _when(t.last_used_at),
            "revoked": t.revoked_at is not None,
        }
        for t in await repository.professors.tokens_of(principal.professor_id)
    ]
    month = month_of(time.time())
    everyone = await repository.professors.all()
    me = next(p for p in everyone if p.id == principal.professor_id)
    professors = (
        [
            {"id": p.id, "name": p.name, "email": p.email, "enabled": p.enabled, **await _use(repository, p, month)}
            for p in everyone
            if not p.is_admin
        ]
        if principal.is_admin
        else None
    )
    months = [
        {"month": m.month, "credits": f"{m.credits:.1f}", "minutes": f"{m.minutes:.0f}"}
        for m in await repository.professors.usage_by_month(principal.professor_id)
    ]
    return rendering.render(
        "account.html",
        {
            "signed_in": True,
            "csrf_token": session.csrf_token,
            "can_write": principal.can_write,
            "is_admin": principal.is_admin,
            "tokens": tokens,
            "professors": professors,
            "notice": notice,
            "error": error,
            "shown_token": shown_token,
            "shown_secret": shown_secret,
            "receivers": [
                {"id": r.id, "url": r.url, "created": _when(r.created_at)}
                for r in await repository.webhook_receivers.of(principal.professor_id)
            ],
            "email_pattern": EMAIL_PATTERN,
            "month": month,
            "mine": await _use(repository, me, month),
            "months": months,
            "profile": {
                "avatar_id": me.avatar_id or "",
                "voice_id": me.voice_id or "",
                "teaching_style": me.teaching_style or "",
            },
        },
        status_code=status_code,
    )


def _sign_in() -> RedirectResponse:
    return RedirectResponse(f"/dashboard/sign-in?next={PAGE}", status_code=303)


def _refused(session: DashboardSession, words: str) -> Response:
    return rendering.render(
        "not_found.html",
        {"signed_in": True, "csrf_token": session.csrf_token, "title": "Refused", "message": words},
        status_code=403,
    )


async def _form_of(request: Request, csrf_token: str) -> tuple[DashboardSession, Principal] | Response:
    found = await auth.signed_in(request)
    if found is None:
        return _sign_in()
    session, principal = found
    if not posted_from_this_dashboard(request, session, csrf_token):
        return _refused(session, "This form did not come from a dashboard page of this server; reload the page.")
    if not principal.can_write:
        return _refused(session, "You signed in with a read-only token: sign in with a token that may write.")
    return found


@router.get(PAGE)
async def account_page(request: Request, repository: RepositoryDep, notice: str | None = None) -> Response:
    found = await auth.signed_in(request)
    if found is None:
        return _sign_in()
    return await _page(repository, *found, notice=NOTICES.get(notice or ""))


@router.post(PAGE + "/profile")
async def keep_profile(
    request: Request,
    repository: RepositoryDep,
    csrf_token: Annotated[str, Form()] = "",
    avatar_id: Annotated[str, Form()] = "",
    voice_id: Annotated[str, Form()] = "",
    teaching_style: Annotated[str, Form()] = "",
) -> Response:
    checked = await _form_of(request, csrf_token)
    if isinstance(checked, Response):
        return checked
    session, principal = checked
    try:
        profile = ProfileIn(
            avatar_id=avatar_id.strip(),
            voice_id=voice_id.strip() or None,
            teaching_style=teaching_style.strip() or None,
        )
        await check_avatar(
            request.app.state.liveavatar_catalog,
            profile.avatar_id,
            profile.voice_id,
            prefix="",
            doing="keeping a profile",
        )
    except ValidationError as exc:
        words = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        return await _page(repository, session, principal, error=f"Your clone was not kept ({words}).", status_code=422)
    except ApiError as exc:
        error = f"Your clone was not kept: {exc.message}"
        return await _page(repository, session, principal, error=error, status_code=exc.status)
    await repository.professors.set_profile(
        principal.professor_id,
        avatar_id=profile.avatar_id,
        voice_id=profile.voice_id,
        teaching_style=profile.teaching_style,
    )
    return RedirectResponse(f"{PAGE}?notice=profile", status_code=303)


@router.post(PAGE + "/tokens")
async def make_token(
    request: Request,
    repository: RepositoryDep,
    csrf_token: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    scope: Annotated[str, Form()] = "write",
) -> Response:
    checked = await _form_of(request, csrf_token)
    if isinstance(checked, Response):
        return checked
    session, principal = checked
    name = " ".join(name.split())
    if not name or len(name) > 100 or scope not in ("read", "write"):
        error = "Name the token (up to 100 characters) and choose whether it may only read or also write."
        return await _page(repository, session, principal, error=error, status_code=422)
    record, token = await add_token(
        repository.professors, request.app.state.token_key, principal.professor_id, name=name, scope=scope
    )
    return await _page(repository, session, principal, shown_token={"name": record.name, "token": token})


@router.post(PAGE + "/tokens/{token_id}/revoke")
async def revoke_token(
    token_id: str, request: Request, repository: RepositoryDep, csrf_token: Annotated[str, Form()] = ""
) -> Response:
    checked = await _form_of(request, csrf_token)
    if isinstance(checked, Response):
        return checked
    session, principal = checked
    try:
        await repository.professors.revoke_token(principal.professor_id, token_id)
    except NotFound:
        return await _page(repository, session, principal, error="You have no such token.", status_code=404)
    return RedirectResponse(f"{PAGE}?notice=revoked", status_code=303)


@router.post(PAGE + "/webhooks")
async def add_receiver(
    request: Request,
    repository: RepositoryDep,
    csrf_token: Annotated[str, Form()] = "",
    url: Annotated[str, Form()] = "",
) -> Response:
    checked = await _form_of(request, csrf_token)
    if isinstance(checked, Response):
        return checked
    session, principal = checked
    secret = new_secret()
    try:
        checked_url = await checked_receiver_url(url, request.app.state.settings, principal)
        receiver = await repository.webhook_receivers.add(principal.professor_id, url=checked_url, secret=secret)
    except ApiError as exc:
        return await _page(repository, session, principal, error=exc.message.removeprefix("url: "), status_code=422)
    except ReceiverExists:
        error = "You have a webhook receiver with this address already."
        return await _page(repository, session, principal, error=error, status_code=409)
    except TooManyReceivers:
        error = f"You have {MAX_RECEIVERS_PER_PROFESSOR} webhook receivers already; remove one first."
        return await _page(repository, session, principal, error=error, status_code=409)
    return await _page(repository, session, principal, shown_secret={"url": receiver.url, "secret": secret})


@router.post(PAGE + "/webhooks/{receiver_id}/remove")
async def remove_receiver(
    receiver_id: str, request: Request, repository: RepositoryDep, csrf_token: Annotated[str, Form()] = ""
) -> Response:
    checked = await _form_of(request, csrf_token)
    if isinstance(checked, Response):
        return checked
    session, principal = checked
    try:
        await repository.webhook_receivers.remove(principal.professor_id, receiver_id)
    except NotFound:
        return await _page(repository, session, principal, error="You have no such webhook receiver.", status_code=404)
    return RedirectResponse(f"{PAGE}?notice=receiver_removed", status_code=303)


@router.post(PAGE + "/professors")
async def create_professor(
    request: Request,
    repository: RepositoryDep,
    csrf_token: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    email: Annotated[str, Form()] = "",
) -> Response:
    checked = await _form_of(request, csrf_token)
    if isinstance(checked, Response):
        return checked
    session, principal = checked
    if not principal.is_admin:
        return _refused(session, "Only the administrator creates professors.")
    name, email = " ".join(name.split()), email.strip()
    if not name or len(name) > 200 or len(email) > 254 or not re.match(EMAIL_PATTERN, email):
        error = "Give the professor's name (up to 200 characters) and email address."
        return await _page(repository, session, principal, error=error, status_code=422)
    try:
        professor, _, token = await add_professor(
            repository.professors, request.app.state.token_key, name=name, email=email
        )
    except EmailTaken:
        error = f"A professor with the email {email} exists already."
        return await _page(repository, session, principal, error=error, status_code=409)
    shown = {"name": f"{professor.name}'s first token", "token": token}
    return await _page(repository, session, principal, shown_token=shown)


@router.post(PAGE + "/professors/{professor_id}/allowance")
async def set_allowance(
    professor_id: str,
    request: Request,
    repository: RepositoryDep,
    csrf_token: Annotated[str, Form()] = "",
    monthly_credits: Annotated[str, Form()] = "",
) -> Response:
    checked = await _form_of(request, csrf_token)
    if isinstance(checked, Response):
        return checked
    session, principal = checked
    if not principal.is_admin:
        return _refused(session, "Only the administrator sets allowances.")
    text = monthly_credits.strip()
    try:
        value = None if text == "" else float(text)
    except ValueError:
        value = -1.0
    if value is not None and not 0 < value <= 1_000_000:
        error = "An allowance is a number of credits above 0 (leave it empty for none)."
        return await _page(repository, session, principal, error=error, status_code=422)
    try:
        await repository.professors.set_allowance(professor_id, value)
    except NotFound:
        return await _page(repository, session, principal, error="There is no such professor.", status_code=404)
    return RedirectResponse(f"{PAGE}?notice=allowance", status_code=303)


@router.post(PAGE + "/professors/{professor_id}/{action}")
async def set_professor(
    professor_id: str,
    action: str,
    request: Request,
    repository: RepositoryDep,
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    checked = await _form_of(request, csrf_token)
    if isinstance(checked, Response):
        return checked
    session, principal = checked
    if not principal.is_admin or action not in ("disable", "enable"):
        return _refused(session, "Only the administrator disables and enables professors.")
    try:
        await repository.professors.set_disabled(professor_id, action == "disable")
    except NotFound:
        return await _page(repository, session, principal, error="There is no such professor.", status_code=404)
    return RedirectResponse(f"{PAGE}?notice={action}d", status_code=303)
