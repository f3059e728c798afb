"""REST routes for users: the admin creates, lists, disables and enables professors and sets their monthly credit
allowance; everyone reads who they are, their usage per month, and makes, lists and revokes their own API tokens
(a token is shown once, when it is made)."""

from __future__ import annotations

import time

from fastapi import APIRouter, Request, status

from api.deps import RepositoryDep
from api.errors import ApiError, not_found
from api.principals import ADMIN_ONLY, AdminDep, Principal, PrincipalDep
from api.professor_schemas import (
    AllowanceSet,
    Me,
    MonthUsageOut,
    ProfessorCreate,
    ProfessorCreated,
    ProfessorList,
    ProfessorOut,
    ProfessorUsageOut,
    ProfileIn,
    ProfileOut,
    TokenCreate,
    TokenCreated,
    TokenList,
    TokenOut,
    UsageList,
)
from api.professor_tokens import add_professor, add_token
from api.schemas import ErrorOut
from api.sessions_routes import check_avatar
from state.allowances import MonthUsage, month_of
from state.professors_repository import EmailTaken, ProfessorAccount
from state.repository import NotFound

router = APIRouter(tags=["professors"])

ERRORS: dict[int | str, dict[str, object]] = {
    401: {"model": ErrorOut, "description": "Missing or wrong API token."},
    404: {"model": ErrorOut, "description": "No such professor or token."},
    422: {"model": ErrorOut, "description": "The request is invalid; `detail` names each field."},
}
ADMIN_ERRORS: dict[int | str, dict[str, object]] = {
    **ERRORS,
    403: {"model": ErrorOut, "description": "Only the administrator may do this."},
}


def _key(request: Request) -> bytes:
    key: bytes = request.app.state.token_key
    return key


@router.post(
    "/api/professors",
    status_code=status.HTTP_201_CREATED,
    response_model=ProfessorCreated,
    responses={**ADMIN_ERRORS, 409: {"model": ErrorOut, "description": "A professor has this email already."}},
    openapi_extra=ADMIN_ONLY,
    summary="Create a professor; the answer holds their first API token, shown this once",
)
async def create_professor(
    body: ProfessorCreate, request: Request, repository: RepositoryDep, _: AdminDep
) -> ProfessorCreated:
    try:
        professor, record, token = await add_professor(
            repository.professors, _key(request), name=body.name, email=body.email
        )
    except EmailTaken:
        raise ApiError(
            409, "email_taken", f"A professor with the email {body.email} exists already.", field="email"
        ) from None
    return ProfessorCreated(
        professor=ProfessorOut.of(professor), token=TokenCreated(**TokenOut.of(record).model_dump(), token=token)
    )


@router.get(
    "/api/professors",
    response_model=ProfessorList,
    responses=ADMIN_ERRORS,
    openapi_extra=ADMIN_ONLY,
    summary="Every professor, the administrator first",
)
async def list_professors(repository: RepositoryDep, _: AdminDep) -> ProfessorList:
    return ProfessorList(professors=[ProfessorOut.of(p) for p in await repository.professors.all()])


async def _set_disabled(repository: RepositoryDep, professor_id: str, disabled: bool) -> ProfessorOut:
    try:
        return ProfessorOut.of(await repository.professors.set_disabled(professor_id, disabled))
    except NotFound:
        raise not_found(f"professor with id {professor_id} (the administrator cannot be disabled)") from None


@router.post(
    "/api/professors/{professor_id}/disable",
    response_model=ProfessorOut,
    responses=ADMIN_ERRORS,
    openapi_extra=ADMIN_ONLY,
    summary="Disable a professor: their tokens and dashboard sign-ins stop working at once (their records stay)",
)
async def disable_professor(professor_id: str, repository: RepositoryDep, _: AdminDep) -> ProfessorOut:
    return await _set_disabled(repository, professor_id, True)


@router.post(
    "/api/professors/{professor_id}/enable",
    response_model=ProfessorOut,
    responses=ADMIN_ERRORS,
    openapi_extra=ADMIN_ONLY,
    summary="Enable a disabled professor again",
)
async def enable_professor(professor_id: str, repository: RepositoryDep, _: AdminDep) -> ProfessorOut:
    return await _set_disabled(repository, professor_id, False)


@router.post(
    "/api/professors/{professor_id}/tokens",
    status_code=status.HTTP_201_CREATED,
    response_model=TokenCreated,
    responses=ADMIN_ERRORS,
    openapi_extra=ADMIN_ONLY,
    summary="Give a professor a new token (one who lost theirs); the answer holds it, shown this once",
)
async def give_token(
    professor_id: str, body: TokenCreate, request: Request, repository: RepositoryDep, _: AdminDep
) -> TokenCreated:
    professor = await repository.professors.get(professor_id)
    if professor is None:
        raise not_found(f"professor with id {professor_id}")
    record, token = await add_token(
        repository.professors, _key(request), professor.id, name=body.name, scope=body.scope
    )
    return TokenCreated(**TokenOut.of(record).model_dump(), token=token)


@router.put(
    "/api/professors/{professor_id}/allowance",
    response_model=ProfessorOut,
    responses=ADMIN_ERRORS,
    openapi_extra=ADMIN_ONLY,
    summary="Set a professor's monthly credit allowance (checked at every avatar start; a webhook at 80 %)",
)
async def set_allowance(professor_id: str, body: AllowanceSet, repository: RepositoryDep, _: AdminDep) -> ProfessorOut:
    try:
        return ProfessorOut.of(await repository.professors.set_allowance(professor_id, body.monthly_credits))
    except NotFound:
        raise not_found(f"professor with id {professor_id}") from None


def _month(usage: MonthUsage) -> MonthUsageOut:
    return MonthUsageOut(month=usage.month, credits=round(usage.credits, 3), minutes=round(usage.minutes, 3))


async def _usage(repository: RepositoryDep, professor: ProfessorAccount, month: str) -> ProfessorUsageOut:
    this_month = await repository.professors.usage_in(professor.id, month)
    allowance = professor.monthly_credit_allowance
    return ProfessorUsageOut(
        professor_id=professor.id,
        name=professor.name,
        monthly_credit_allowance=allowance,
        this_month=_month(this_month),
        used_percent=None if allowance is None else round(100 * this_month.credits / allowance, 1),
        months=[_month(m) for m in await repository.professors.usage_by_month(professor.id)],
    )


@router.get(
    "/api/usage",
    response_model=UsageList,
    responses=ERRORS,
    summary="Avatar credits and minutes per month, against the monthly allowance (yours; the admin: everyone's)",
)
async def usage(repository: RepositoryDep, principal: PrincipalDep) -> UsageList:
    month = month_of(time.time())
    everyone = await repository.professors.all()
    shown = [p for p in everyone if principal.owns(p.id)]
    return UsageList(professors=[await _usage(repository, p, month) for p in shown])


def _me(professor: ProfessorAccount, principal: Principal) -> Me:
    profile = None
    if professor.avatar_id is not None:
        profile = ProfileOut(
            avatar_id=professor.avatar_id, voice_id=professor.voice_id, teaching_style=professor.teaching_style
        )
    return Me(
        professor=ProfessorOut.of(professor),
        profile=profile,
        scope="write" if principal.can_write else "read",
        bootstrap=principal.token_id is None,
    )


@router.get("/api/me", response_model=Me, responses=ERRORS, summary="Who this request's credential belongs to")
async def me(repository: RepositoryDep, principal: PrincipalDep) -> Me:
    professor = await repository.professors.get(principal.professor_id)
    if professor is None:  # a token's professor row cannot go away (foreign key): only a broken database
        raise not_found(f"professor with id {principal.professor_id}")
    return _me(professor, principal)


@router.put(
    "/api/me/profile",
    response_model=Me,
    responses={**ERRORS, 503: {"model": ErrorOut, "description": "LiveAvatar refuses avatarfarm's API key."}},
    summary="Set your own avatar, voice and teaching style: your sessions use them unless they name others",
)
async def set_profile(body: ProfileIn, request: Request, repository: RepositoryDep, principal: PrincipalDep) -> Me:
    await check_avatar(
        request.app.state.liveavatar_catalog, body.avatar_id, body.voice_id, prefix="", doing="keeping a profile"
    )
    try:
        professor = await repository.professors.set_profile(
            principal.professor_id,
            avatar_id=body.avatar_id,
            voice_id=body.voice_id,
            teaching_style=body.teaching_style or None,
        )
    except NotFound:
        raise not_found(f"professor with id {principal.professor_id}") from None
    return _me(professor, principal)


@router.get("/api/tokens", response_model=TokenList, responses=ERRORS, summary="Your API tokens, with last use")
async def list_tokens(repository: RepositoryDep, principal: PrincipalDep) -> TokenList:
    return TokenList(tokens=[TokenOut.of(t) for t in await repository.professors.tokens_of(principal.professor_id)])


@router.post(
    "/api/tokens",
    status_code=status.HTTP_201_CREATED,
    response_model=TokenCreated,
    responses=ERRORS,
    summary="Make an API token (named, read or write); the answer holds it, shown this once",
)
async def create_token(
    body: TokenCreate, request: Request, repository: RepositoryDep, principal: PrincipalDep
) -> TokenCreated:
    record, token = await add_token(
        repository.professors, _key(request), principal.professor_id, name=body.name, scope=body.scope
    )
    return TokenCreated(**TokenOut.of(record).model_dump(), token=token)


@router.delete(
    "/api/tokens/{token_id}",
    response_model=TokenOut,
    responses=ERRORS,
    summary="Revoke one of your API tokens: it stops working at once",
)
async def revoke_token(token_id: str, repository: RepositoryDep, principal: PrincipalDep) -> TokenOut:
    try:
        return TokenOut.of(await repository.professors.revoke_token(principal.professor_id, token_id))
    except NotFound:
        raise not_found(f"token with id {token_id}") from None
