"""The fake OpenID Connect provider: discovery, authorize (authorization code, PKCE S256, nonce), token (client
secret, basic or in the form), JWKS, and ID tokens signed RS256 with a key generated at start.

Like a real provider it knows only its own users, redirects only to the redirect_uri it was asked with, gives
each code once and for a minute, and puts the request's nonce in the ID token. Fake only: `login_hint=<email>` on
/authorize approves at once as that user (tests and scripted demos); without it a page lists the users."""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import secrets
import time
from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import FastAPI, Form, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from joserfc import jwt
from joserfc.jwk import RSAKey

CODE_SECONDS = 60.0


@dataclass(frozen=True)
class OidcUser:
    email: str
    name: str
    email_verified: bool = True

    @property
    def sub(self) -> str:
        return "user-" + hashlib.sha256(self.email.lower().encode()).hexdigest()[:16]


DEFAULT_USERS = (
    OidcUser("ada@uni.test", "Ada Lovelace"),
    OidcUser("grace@uni.test", "Grace Hopper"),
    OidcUser("alan@uni.test", "Alan Turing"),
    OidcUser("eve@elsewhere.test", "Eve Elsewhere"),
    OidcUser("unverified@uni.test", "Una Verified", email_verified=False),
)
DEFAULT_CLIENT_ID = "avatarfarm-sim-oidc-client"
DEFAULT_CLIENT_SECRET = "avatarfarm-sim-oidc-secret"


@dataclass
class FakeOidcConfig:
    issuer: str
    client_id: str = DEFAULT_CLIENT_ID
    client_secret: str = DEFAULT_CLIENT_SECRET
    users: tuple[OidcUser, ...] = DEFAULT_USERS
    id_token_seconds: int = 300


@dataclass
class _Code:
    user: OidcUser
    redirect_uri: str
    nonce: str | None
    code_challenge: str | None
    expires_at: float


@dataclass
class _Provider:
    config: FakeOidcConfig
    key: RSAKey
    codes: dict[str, _Code] = field(default_factory=dict)

    def user(self, email: str) -> OidcUser | None:
        return next((u for u in self.config.users if u.email.lower() == email.strip().lower()), None)


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        f'<!doctype html><meta charset="utf-8"><title>{html.escape(title)}</title><h1>{html.escape(title)}</h1>{body}',
        status_code=status,
    )


def _s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=").decode()


def _left_half_hash(access_token: str) -> str:
    """OpenID Connect's at_hash for RS256: the left half of the token's SHA-256, base64url without padding."""
    half = hashlib.sha256(access_token.encode("ascii")).digest()[:16]
    return base64.urlsafe_b64encode(half).rstrip(b"=").decode()


def create_app(config: FakeOidcConfig) -> FastAPI:
    key = RSAKey.generate_key(
        2048, parameters={"kid": secrets.token_urlsafe(8), "use": "sig", "alg": "RS256"}, private=True
    )
    provider = _Provider(config, key)
    issuer = config.issuer.rstrip("/")
    app = FastAPI(title="fake OpenID Connect provider")

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/.well-known/openid-configuration")
    async def discovery() -> dict[str, Any]:
        return {
            "issuer": issuer,
            "authorization_endpoint": f"{issuer}/authorize",
            "token_endpoint": f"{issuer}/token",
            "jwks_uri": f"{issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "profile"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "code_challenge_methods_supported": ["S256"],
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nonce", "email", "email_verified", "name"],
        }

    @app.get("/jwks")
    async def jwks() -> dict[str, Any]:
        return {"keys": [provider.key.as_dict(private=False)]}

    def _approve(
        user: OidcUser, redirect_uri: str, state: str | None, nonce: str | None, challenge: str | None
    ) -> Response:
        code = secrets.token_urlsafe(24)
        provider.codes[code] = _Code(user, redirect_uri, nonce, challenge, time.time() + CODE_SECONDS)
        query = {"code": code, **({"state": state} if state is not None else {})}
        return RedirectResponse(f"{redirect_uri}?{urlencode(query)}", status_code=302)

    @app.get("/authorize")
    async def authorize(
        client_id: Annotated[str, Query()] = "",
        redirect_uri: Annotated[str, Query()] = "",
        response_type: Annotated[str, Query()] = "",
        scope: Annotated[str, Query()] = "",
        state: Annotated[str | None, Query()] = None,
        nonce: Annotated[str | None, Query()] = None,
        code_challenge: Annotated[str | None, Query()] = None,
        code_challenge_method: Annotated[str | None, Query()] = None,
        login_hint: Annotated[str | None, Query()] = None,
    ) -> Response:
        if client_id != config.client_id or not redirect_uri.startswith(("http://", "https://")):
            return _page("Unknown application", "<p>This application or its redirect address is not known.</p>", 400)
        if response_type != "code" or "openid" not in scope.split():
            query = {"error": "unsupported_response_type", **({"state": state} if state else {})}
            return RedirectResponse(f"{redirect_uri}?{urlencode(query)}", status_code=302)
        if code_challenge is not None and code_challenge_method != "S256":
            query = {"error": "invalid_request", **({"state": state} if state else {})}
            return RedirectResponse(f"{redirect_uri}?{urlencode(query)}", status_code=302)
        if login_hint:
            user = provider.user(login_hint)
            if user is not None:
                return _approve(user, redirect_uri, state, nonce, code_challenge)
        hidden = {
            "redirect_uri": redirect_uri,
            "state": state or "",
            "nonce": nonce or "",
            "code_challenge": code_challenge or "",
        }
        fields = "".join(
            f'<input type="hidden" name="{k}" value="{html.escape(v, quote=True)}">' for k, v in hidden.items()
        )
        buttons = "".join(
            f'<button name="email" value="{html.escape(u.email, quote=True)}">{html.escape(u.name)} '
            f"({html.escape(u.email)})</button>"
            for u in config.users
        )
        return _page("Sign in", f'<form method="post" action="/authorize">{fields}{buttons}</form>')

    @app.post("/authorize")
    async def approve(
        email: Annotated[str, Form()],
        redirect_uri: Annotated[str, Form()],
        state: Annotated[str, Form()] = "",
        nonce: Annotated[str, Form()] = "",
        code_challenge: Annotated[str, Form()] = "",
    ) -> Response:
        user = provider.user(email)
        if user is None:
            return _page("Unknown user", "<p>No such user.</p>", 400)
        return _approve(user, redirect_uri, state or None, nonce or None, code_challenge or None)

    @app.post("/token")
    async def token(request: Request) -> Response:
        form = await request.form()
        client_id, client_secret = str(form.get("client_id", "")), str(form.get("client_secret", ""))
        authorization = request.headers.get("authorization", "")
        if authorization.lower().startswith("basic "):
            decoded = base64.b64decode(authorization[6:]).decode()
            client_id, _, client_secret = decoded.partition(":")
        if client_id != config.client_id or not hmac.compare_digest(client_secret, config.client_secret):
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        if form.get("grant_type") != "authorization_code":
            return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
        found = provider.codes.pop(str(form.get("code", "")), None)  # a code works once
        if found is None or found.expires_at < time.time() or found.redirect_uri != form.get("redirect_uri"):
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        verifier = str(form.get("code_verifier", ""))
        if found.code_challenge is not None and not hmac.compare_digest(_s256(verifier), found.code_challenge):
            return JSONResponse({"error": "invalid_grant", "error_description": "PKCE verification failed"}, 400)
        now = int(time.time())
        access = secrets.token_urlsafe(32)
        claims: dict[str, Any] = {
            "iss": issuer,
            "sub": found.user.sub,
            "aud": config.client_id,
            "iat": now,
            "exp": now + config.id_token_seconds,
            "email": found.user.email,
            "email_verified": found.user.email_verified,
            "name": found.user.name,
            "at_hash": _left_half_hash(access),
        }
        if found.nonce is not None:
            claims["nonce"] = found.nonce
        id_token = jwt.encode({"alg": "RS256", "kid": provider.key.kid}, claims, provider.key)
        return JSONResponse(
            {"access_token": access, "token_type": "Bearer", "expires_in": 3600, "id_token": id_token},
            headers={"Cache-Control": "no-store"},
        )

    return app
