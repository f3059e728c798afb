"""REST routes for a professor's own webhook receivers: register a URL (the answer holds its signing secret,
shown this once), list them, remove one. A receiver gets only its professor's messages (the administrator's get
everyone's, like the server-wide AVATARFARM_WEBHOOK_URLS); another professor's receiver is a 404 like one that
does not exist."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

from fastapi import APIRouter, Request, status
from pydantic import BaseModel, Field

from api.deps import RepositoryDep
from api.errors import ApiError, invalid, not_found
from api.principals import Principal, PrincipalDep
from api.schemas import ErrorOut, Strict, strict_config
from farm.settings import ENV_PREFIX, Settings, is_loopback_host
from farm.webhooks.receiver_address import registration_refusal
from farm.webhooks.secret import new_secret
from state.repository import NotFound
from state.webhook_receivers_repository import (
    MAX_RECEIVERS_PER_PROFESSOR,
    ReceiverExists,
    TooManyReceivers,
    WebhookReceiver,
)

router = APIRouter(prefix="/api/webhooks", tags=["webhooks"])

ERRORS: dict[int | str, dict[str, object]] = {
    401: {"model": ErrorOut, "description": "Missing or wrong API token."},
    404: {"model": ErrorOut, "description": "No such webhook receiver of yours."},
    422: {"model": ErrorOut, "description": "The request is invalid; `detail` names each field."},
}


class ReceiverCreate(Strict):
    model_config = strict_config({"examples": [{"url": "https://hooks.example.edu/avatarfarm"}]})

    url: str = Field(
        min_length=8,
        max_length=2000,
        description="Where your sessions' events are POSTed: https:// (http:// only on loopback, or where the "
        "administrator allows it).",
    )


class ReceiverOut(BaseModel):
    id: str
    url: str
    created_at: datetime

    @classmethod
    def of(cls, r: WebhookReceiver) -> ReceiverOut:
        return cls(id=r.id, url=r.url, created_at=datetime.fromtimestamp(r.created_at, tz=UTC))


class ReceiverCreated(ReceiverOut):
    secret: str = Field(
        description="Verify each delivery's webhook-signature with it (Standard Webhooks): shown this once."
    )


class ReceiverList(BaseModel):
    receivers: list[ReceiverOut]


async def checked_receiver_url(url: str, settings: Settings, principal: Principal) -> str:
    """The receiver's URL, or a 422 in words: a full http(s) address, https:// unless on loopback or allowed, and
    for a professor (not the administrator) a public address unless the deployment allows private ones."""
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise invalid("url", "Give the receiver's full address, starting with https://.")
    if parts.scheme == "http" and not is_loopback_host(parts.hostname) and not settings.webhook_allow_http:
        raise invalid(
            "url",
            f"{parts.hostname} would get students' names and words in the clear over http://; use https:// "
            f"(or the administrator sets {ENV_PREFIX}WEBHOOK_ALLOW_HTTP=true if that network is theirs).",
        )
    if not (principal.is_admin or settings.webhook_allow_private):
        refused = await registration_refusal(url)
        if refused is not None:
            raise invalid("url", refused[0].upper() + refused[1:] + ".")
    return url


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ReceiverCreated,
    responses={**ERRORS, 409: {"model": ErrorOut, "description": "You have this URL, or the most, already."}},
    summary="Register a webhook receiver of yours; the answer holds its signing secret, shown this once",
)
async def add_receiver(
    body: ReceiverCreate, request: Request, repository: RepositoryDep, principal: PrincipalDep
) -> ReceiverCreated:
    url = await checked_receiver_url(body.url, request.app.state.settings, principal)
    secret = new_secret()
    try:
        receiver = await repository.webhook_receivers.add(principal.professor_id, url=url, secret=secret)
    except ReceiverExists:
        raise ApiError(
            409, "receiver_exists", "You have a webhook receiver with this URL already.", field="url"
        ) from None
    except TooManyReceivers:
        raise ApiError(
            409,
            "too_many_receivers",
            f"You have {MAX_RECEIVERS_PER_PROFESSOR} webhook receivers already; remove one first.",
        ) from None
    return ReceiverCreated(**ReceiverOut.of(receiver).model_dump(), secret=secret)


@router.get("", response_model=ReceiverList, responses=ERRORS, summary="Your webhook receivers")
async def list_receivers(repository: RepositoryDep, principal: PrincipalDep) -> ReceiverList:
    return ReceiverList(
        receivers=[ReceiverOut.of(r) for r in await repository.webhook_receivers.of(principal.professor_id)]
    )


@router.delete(
    "/{receiver_id}",
    response_model=ReceiverOut,
    responses=ERRORS,
    summary="Remove a webhook receiver of yours: nothing more is sent to it",
)
async def remove_receiver(receiver_id: str, repository: RepositoryDep, principal: PrincipalDep) -> ReceiverOut:
    try:
        return ReceiverOut.of(await repository.webhook_receivers.remove(principal.professor_id, receiver_id))
    except NotFound:
        raise not_found(f"webhook receiver with id {receiver_id}") from None
