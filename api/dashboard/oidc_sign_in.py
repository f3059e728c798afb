"""Single sign-on to the dashboard with OpenID Connect (authorization code, PKCE S256, state and nonce), with
authlib's OAuth 2.0 and OpenID Connect pieces: the authorize URL and PKCE from authlib, the ID token's signature
checked against the provider's JWKS (joserfc, authlib's JOSE library) and its claims with authlib's CodeIDToken
(issuer, audience, expiry, nonce, at_hash).

The state, nonce and PKCE verifier of a sign-in in progress travel in a cookie of this browser only, encrypted
with the server's secret key and good for 10 minutes: the callback is accepted only in the browser that started
it, with the state it was sent, once. A verified email of a professor signs them in (a disabled one is refused);
an unknown email is refused in words unless its domain is listed in OIDC_SIGNUP_DOMAINS, which makes the
professor at their first sign-in. The administrator keeps signing in with the bootstrap token.

A sign-in is bound to a write token of the professor named "single sign-on" (made at the first sign-on, its
value never shown): revoking it on the account page ends every single sign-on of theirs."""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import secrets
import time
from dataclasses import dataclass
from typing import Annotated, Any

import httpx
from authlib.common.security import generate_token
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from authlib.oidc.core import CodeIDToken
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from api.dashboard import rendering, session_cookie
from api.deps import RepositoryDep
from api.professor_tokens import digest, new_token
from farm.settings import Settings
from farm.tls_context import shared_tls_context
from state.professors_repository import WRITE, EmailTaken, ProfessorAccount
from state.repository import Repository
from state.secret_box import SecretKeyError, is_encrypted

log = logging.getLogger("avatarfarm.dashboard")

router = APIRouter(include_in_schema=False)

START = "/dashboard/sign-in/oidc"
CALLBACK = START + "/callback"
FLOW_COOKIE = "avatarfarm_oidc"
FLOW_SECONDS = 600
SSO_TOKEN_NAME = "single sign-on"
METADATA_SECONDS = 600.0
LEEWAY_SECONDS = 60
NOT_VERIFIED = "The sign-in answer could not be verified (it was not made for this sign-in); start again."


class SignOnRefused(Exception):
    """Why a single sign-on did not sign anyone in, in words for the person at the browser."""

    def __init__(self, words: str, status: int = 403) -> None:
        super().__init__(words)
        self.words = words
        self.status = status


@dataclass
class _Provider:
    """The provider's discovery document and keys, kept a while (keys fetched again for an unknown key id)."""

    metadata: dict[str, Any]
    fetched_at: float
    keys: KeySet | None = None


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def configured(settings: Settings) -> bool:
    return bool(settings.oidc_issuer and settings.oidc_client_id and settings.oidc_client_secret)


async def _provider(request: Request, http: httpx.AsyncClient) -> _Provider:
    settings = _settings(request)
    cached: _Provider | None = getattr(request.app.state, "oidc_provider", None)
    if cached is not None and time.monotonic() - cached.fetched_at < METADATA_SECONDS:
        return cached
    try:
        response = await http.get(f"{settings.oidc_issuer}/.well-known/openid-configuration")
        response.raise_for_status()
        metadata = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        log.warning("the OpenID provider's discovery document could not be read: %s", exc)
        raise SignOnRefused("The university sign-in service does not answer; try again in a minute.", 502) from None
    if metadata.get("issuer") != settings.oidc_issuer:
        log.warning("the OpenID provider names itself %r, not %r", metadata.get("issuer"), settings.oidc_issuer)
        raise SignOnRefused("The university sign-in service is misconfigured; tell the administrator.", 502)
    provider = _Provider(metadata, time.monotonic())
    request.app.state.oidc_provider = provider
    return provider


async def _keys(provider: _Provider, http: httpx.AsyncClient, kid: str | None) -> KeySet:
    if provider.keys is not None and (kid is None or any(k.kid == kid for k in provider.keys.keys)):
        return provider.keys
    response = await http.get(str(provider.metadata["jwks_uri"]))
    response.raise_for_status()
    provider.keys = KeySet.import_key_set(response.json())
    return provider.keys


def _redirect_uri(settings: Settings) -> str:
    return f"{settings.base_url}{CALLBACK}"


def _refused(request: Request, words: str, status: int) -> Response:
    response = rendering.render(
        "sign_in.html",
        {
            "form_token": "",
            "next": "/dashboard/sessions",
            "error": None,
            "sso_error": words,
            "notice": None,
            "signed_in": False,
            "oidc": _settings(request).oidc_provider_name if configured(_settings(request)) else None,
        },
        status_code=status,
    )
    response.delete_cookie(FLOW_COOKIE, path=START)
    return response


@router.get(START)
async def start(request: Request, next: Annotated[str, Query()] = "/dashboard/sessions") -> Response:
    settings = _settings(request)
    if not configured(settings):
        return HTMLResponse("Single sign-on is not set up on this server.", status_code=404)
    from api.dashboard.routes import _safe_next  # the one rule for where a sign-in may lead

    async with httpx.AsyncClient(verify=shared_tls_context(), timeout=10) as http:
        try:
            provider = await _provider(request, http)
        except SignOnRefused as exc:
            return _refused(request, exc.words, exc.status)
    state, nonce, verifier = generate_token(32), generate_token(32), generate_token(64)
    url = prepare_grant_uri(
        str(provider.metadata["authorization_endpoint"]),
        client_id=settings.oidc_client_id,
        response_type="code",
        redirect_uri=_redirect_uri(settings),
        scope="openid email profile",
        state=state,
        nonce=nonce,
        code_challenge=create_s256_code_challenge(verifier),
        code_challenge_method="S256",
    )
    box = request.app.state.repository.secret_box
    flow = {"state": state, "nonce": nonce, "verifier": verifier, "next": _safe_next(next), "at": time.time()}
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(
        FLOW_COOKIE,
        box.encrypt(json.dumps(flow)),
        max_age=FLOW_SECONDS,
        path=START,
        httponly=True,
        samesite="lax",  # the provider sends the browser back with a cross-site top-level GET
        secure=session_cookie.secure_cookies(request),
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _flow(request: Request, state: str | None) -> dict[str, Any]:
    sealed = request.cookies.get(FLOW_COOKIE) or ""
    flow: dict[str, Any] = {}
    if is_encrypted(sealed):  # (the box passes unencrypted values through: those are refused here)
        with contextlib.suppress(SecretKeyError, ValueError):
            flow = json.loads(request.app.state.repository.secret_box.decrypt(sealed))
    if not flow or time.time() - float(flow.get("at", 0)) > FLOW_SECONDS:
        raise SignOnRefused(
            "This sign-in has expired or was started in another browser. Start again from the sign-in page."
        )
    if not state or not secrets.compare_digest(str(flow["state"]), state):
        raise SignOnRefused("This sign-in answer does not belong to the sign-in you started. Start again.")
    return flow


async def _id_token_claims(request: Request, code: str, flow: dict[str, Any]) -> dict[str, Any]:
    settings = _settings(request)
    assert settings.oidc_client_id is not None and settings.oidc_client_secret is not None
    async with httpx.AsyncClient(verify=shared_tls_context(), timeout=10) as http:
        provider = await _provider(request, http)
        try:
            response = await http.post(
                str(provider.metadata["token_endpoint"]),
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": _redirect_uri(settings),
                    "code_verifier": flow["verifier"],
                },
                auth=(settings.oidc_client_id, settings.oidc_client_secret.get_secret_value()),
            )
            tokens = response.json() if response.status_code == 200 else None
        except (httpx.HTTPError, ValueError) as exc:
            log.warning("the OpenID provider's token endpoint failed: %s", exc)
            raise SignOnRefused("The university sign-in service did not answer; start again.", 502) from None
        if response.status_code == 400:  # invalid_grant: a code used twice, expired, or not this sign-in's (PKCE)
            raise SignOnRefused(NOT_VERIFIED)
        if not isinstance(tokens, dict) or not tokens.get("id_token"):
            raise SignOnRefused("The university sign-in service did not confirm this sign-in; start again.", 502)
        try:
            header = json.loads(_b64(str(tokens["id_token"]).split(".")[0]))
            keys = await _keys(provider, http, header.get("kid"))
            token = jwt.decode(str(tokens["id_token"]), keys, algorithms=["RS256", "ES256"])
            claims = CodeIDToken(
                token.claims,
                token.header,
                options={
                    "iss": {"essential": True, "value": settings.oidc_issuer},
                    "aud": {"essential": True, "value": settings.oidc_client_id},
                },
                params={
                    "nonce": flow["nonce"],
                    "client_id": settings.oidc_client_id,
                    "access_token": tokens.get("access_token"),
                },
            )
            claims.validate(leeway=LEEWAY_SECONDS)
        except (JoseError, ValueError, KeyError, httpx.HTTPError) as exc:
            log.warning("refused an ID token: %s", exc)
            raise SignOnRefused(NOT_VERIFIED) from None
    return dict(claims)


def _b64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


async def _sso_token_id(repository: Repository, key: bytes, professor_id: str) -> str:
    for token in await repository.professors.tokens_of(professor_id):
        if token.name == SSO_TOKEN_NAME and token.revoked_at is None:
            return token.id
    record = await repository.professors.add_token(
        professor_id, name=SSO_TOKEN_NAME, scope=WRITE, digest=digest(key, new_token())
    )
    return record.id


async def _professor(request: Request, repository: Repository, claims: dict[str, Any]) -> tuple[ProfessorAccount, str]:
    email = str(claims.get("email") or "").strip()
    if not email or claims.get("email_verified") is False:
        raise SignOnRefused(
            "Your university account has no verified email address, so avatarfarm cannot tell who you are. "
            "Ask the administrator for an API token instead."
        )
    key: bytes = request.app.state.token_key
    professor = await repository.professors.by_email(email)
    if professor is None:
        domain = email.rsplit("@", 1)[-1].lower()
        if domain not in _settings(request).oidc_signup_domain_set:
            raise SignOnRefused(
                f"No avatarfarm account uses {email}. Ask the administrator to add you as a professor with this "
                "email address; then sign in again."
            )
        name = str(claims.get("name") or email.split("@")[0])[:200]
        try:
            professor, record = await repository.professors.add(
                name=name, email=email, token_name=SSO_TOKEN_NAME, token_digest=digest(key, new_token())
            )
        except EmailTaken:  # made by a sign-in in another tab a moment ago
            professor = await repository.professors.by_email(email)
            assert professor is not None
        else:
            log.info("single sign-on made professor %s (%s)", professor.id, email)
            return professor, record.id
    if not professor.enabled:
        raise SignOnRefused("Your avatarfarm account is disabled; ask the administrator.")
    return professor, await _sso_token_id(repository, key, professor.id)


@router.get(CALLBACK)
async def callback(
    request: Request,
    repository: RepositoryDep,
    code: Annotated[str | None, Query()] = None,
    state: Annotated[str | None, Query()] = None,
    error: Annotated[str | None, Query()] = None,
) -> Response:
    if not configured(_settings(request)):
        return HTMLResponse("Single sign-on is not set up on this server.", status_code=404)
    try:
        flow = _flow(request, state)
        if error:
            raise SignOnRefused("The university sign-in service did not sign you in (you may have cancelled).")
        if not code:
            raise SignOnRefused("This sign-in answer is incomplete; start again.", 400)
        claims = await _id_token_claims(request, code, flow)
        professor, token_id = await _professor(request, repository, claims)
    except SignOnRefused as exc:
        return _refused(request, exc.words, exc.status)
    value, _ = session_cookie.issue(request.app.state.api_token, professor_id=professor.id, token_id=token_id)
    response = RedirectResponse(str(flow["next"]), status_code=303)
    session_cookie.set_session_cookie(request, response, value)
    response.delete_cookie(FLOW_COOKIE, path=START)
    return response
