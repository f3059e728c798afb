"""Zoom OAuth stand-in: /oauth/authorize (consent page, or auto-approval) and /oauth/token (code and refresh grants).

PKCE (RFC 7636) as Zoom does it: optional for this confidential client, but once an authorize request carries a
code_challenge (method S256, or plain), the code is only exchanged with the matching code_verifier. Refusals
have Zoom's token-endpoint shape, {"reason": ..., "error": ...}.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import html
import re
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Header, Query
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from fakes.zoom.credentials import Kind
from fakes.zoom.service import FakeZoomService, get_service

REFRESH_TOKEN_TTL_S = 90 * 24 * 3600
SCOPES = "meeting:read:meeting meeting:write:meeting user:read:user user:read:token user:read:zak"
PKCE_METHODS = ("S256", "plain")
# RFC 7636 section 4.1: 43 to 128 characters of [A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~".
VERIFIER = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")

router = APIRouter()
Service = Annotated[FakeZoomService, Depends(get_service)]


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title></head>"
        f"<body style='font-family:sans-serif;max-width:40em;margin:3em auto'><h1>{html.escape(title)}</h1>"
        f"{body}</body></html>",
        status_code=status,
    )


def _redirect(redirect_uri: str, params: dict[str, str]) -> RedirectResponse:
    separator = "&" if "?" in redirect_uri else "?"
    return RedirectResponse(redirect_uri + separator + urlencode(params), status_code=302)


@router.get("/oauth/authorize", response_model=None)
async def authorize(
    service: Service,
    client_id: str = "",
    redirect_uri: str = "",
    response_type: str = "code",
    state: str = "",
    code_challenge: str = "",
    code_challenge_method: str = "",
    user: Annotated[str | None, Query(description="fake only: approve at once for this user (id or email)")] = None,
) -> Response:
    if client_id != service.config.oauth_client_id:
        return _page("Invalid client_id", "<p>This app is not known to Zoom.</p>", 400)
    if response_type != "code" or not redirect_uri.startswith(("http://", "https://")):
        return _page("Invalid request", "<p>response_type=code and an http(s) redirect_uri are required.</p>", 400)
    pkce = Pkce(code_challenge, code_challenge_method or ("plain" if code_challenge else ""))
    if code_challenge and pkce.method not in PKCE_METHODS:
        return _page("Invalid request", "<p>code_challenge_method must be S256 or plain.</p>", 400)
    chosen = user or service.config.oauth_auto_approve_user
    if chosen:
        found = service.users.find(chosen)
        if found is None:
            return _page("Unknown user", f"<p>No user {html.escape(chosen)}.</p>", 400)
        return _approve(service, found.user_id, client_id, redirect_uri, state, pkce)
    fields = (
        ("client_id", client_id),
        ("redirect_uri", redirect_uri),
        ("state", state),
        ("code_challenge", pkce.challenge),
        ("code_challenge_method", pkce.method),
    )
    hidden = "".join(
        f"<input type='hidden' name='{name}' value='{html.escape(value, quote=True)}'>" for name, value in fields
    )
    choices = "".join(
        f"<p><button name='user_id' value='{html.escape(u.user_id, quote=True)}'>"
        f"Allow as {html.escape(u.display_name)} ({html.escape(u.email)})</button></p>"
        for u in service.users.all()
    )
    body = (
        "<p>The app <b>avatarfarm</b> wants to create meetings and join them on your behalf.</p>"
        f"<form method='post' action='/oauth/authorize'>{hidden}{choices}"
        "<p><button name='decision' value='deny'>Decline</button></p></form>"
    )
    return _page("Authorize avatarfarm (simulated Zoom)", body)


@router.post("/oauth/authorize", response_model=None)
async def decide(
    service: Service,
    client_id: Annotated[str, Form()],
    redirect_uri: Annotated[str, Form()],
    state: Annotated[str, Form()] = "",
    user_id: Annotated[str, Form()] = "",
    decision: Annotated[str, Form()] = "approve",
    code_challenge: Annotated[str, Form()] = "",
    code_challenge_method: Annotated[str, Form()] = "",
) -> Response:
    if client_id != service.config.oauth_client_id or not redirect_uri.startswith(("http://", "https://")):
        return _page("Invalid request", "<p>Unknown client or redirect URI.</p>", 400)
    if decision == "deny" or not user_id:
        return _redirect(redirect_uri, {"error": "access_denied", "state": state})
    if service.users.find(user_id) is None:
        return _page("Unknown user", "<p>No such user.</p>", 400)
    pkce = Pkce(code_challenge, code_challenge_method or ("plain" if code_challenge else ""))
    if code_challenge and pkce.method not in PKCE_METHODS:
        return _page("Invalid request", "<p>code_challenge_method must be S256 or plain.</p>", 400)
    return _approve(service, user_id, client_id, redirect_uri, state, pkce)


@dataclass(frozen=True)
class Pkce:
    challenge: str
    method: str

    def accepts(self, verifier: str) -> bool:
        if self.method == "S256":
            digest = hashlib.sha256(verifier.encode("ascii")).digest()
            computed = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        else:
            computed = verifier
        return hmac.compare_digest(computed, self.challenge)


def _approve(
    service: FakeZoomService, user_id: str, client_id: str, redirect_uri: str, state: str, pkce: Pkce
) -> Response:
    code = service.credentials.issue(
        Kind.AUTH_CODE,
        user_id,
        service.config.authorization_code_ttl_s,
        client_id=client_id,
        redirect_uri=redirect_uri,
        code_challenge=pkce.challenge,
        code_challenge_method=pkce.method,
    )
    params = {"code": code.value}
    if state:
        params["state"] = state
    return _redirect(redirect_uri, params)


def _error(status: int, error: str, reason: str) -> JSONResponse:
    return JSONResponse({"reason": reason, "error": error}, status_code=status)


def _client_from_basic(service: FakeZoomService, authorization: str | None) -> bool:
    scheme, _, encoded = (authorization or "").partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        client_id, _, secret = base64.b64decode(encoded).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    return hmac.compare_digest(client_id, service.config.oauth_client_id) and hmac.compare_digest(
        secret, service.config.oauth_client_secret
    )


@router.post("/oauth/token", response_model=None)
async def token(
    service: Service,
    grant_type: Annotated[str, Form()] = "",
    code: Annotated[str, Form()] = "",
    redirect_uri: Annotated[str, Form()] = "",
    refresh_token: Annotated[str, Form()] = "",
    code_verifier: Annotated[str, Form()] = "",
    authorization: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    if not _client_from_basic(service, authorization):
        return _error(401, "invalid_client", "Invalid client_id or client_secret")
    store = service.credentials
    client_id = service.config.oauth_client_id
    if grant_type == "authorization_code":
        grant = store.valid(Kind.AUTH_CODE, code)
        if grant is None or grant.client_id != client_id:
            return _error(400, "invalid_grant", f"Invalid authorization code {code}")
        if redirect_uri != grant.redirect_uri:
            return _error(400, "invalid_grant", "Redirect URI mismatch.")
        if grant.code_challenge:
            if not code_verifier:
                return _error(400, "invalid_request", "Invalid request : Missing code_verifier.")
            pkce = Pkce(grant.code_challenge, grant.code_challenge_method)
            if not VERIFIER.match(code_verifier) or not pkce.accepts(code_verifier):
                return _error(400, "invalid_grant", "Invalid code_verifier.")
        store.revoke(grant.value)
        return JSONResponse(_tokens(service, grant.user_id))
    if grant_type == "refresh_token":
        grant = store.valid(Kind.REFRESH, refresh_token)
        if grant is None or grant.client_id != client_id:
            return _error(400, "invalid_grant", "Invalid Token!")
        # Zoom rotates refresh tokens: the old one stops working once used.
        store.revoke(grant.value)
        return JSONResponse(_tokens(service, grant.user_id))
    return _error(400, "unsupported_grant_type", "Unsupported grant type")


def _tokens(service: FakeZoomService, user_id: str) -> dict[str, Any]:
    config = service.config
    access = service.credentials.issue(
        Kind.ACCESS, user_id, config.access_token_ttl_s, client_id=config.oauth_client_id
    )
    refresh = service.credentials.issue(Kind.REFRESH, user_id, REFRESH_TOKEN_TTL_S, client_id=config.oauth_client_id)
    return {
        "access_token": access.value,
        "token_type": "bearer",
        "refresh_token": refresh.value,
        "expires_in": config.access_token_ttl_s,
        "scope": SCOPES,
    }
