"""avatarfarm behind a TLS-terminating reverse proxy, as `avatarfarm serve` runs in production: the dashboard's
sign-in works through the proxy and its cookie is Secure; forwarded headers from anyone but a configured proxy
change nothing (a client cannot pose as another address to dodge the sign-in throttle)."""

from __future__ import annotations

import re
import ssl
from pathlib import Path

import httpx

from api.auth_throttle import ALLOWED
from tests.support.ports import free_port
from tests.support.servers import run_cli_server
from tests.support.tls_proxy import tls_proxy

TOKEN = "tls-proxy-test-token-6b1e0f9c2d4a8e7f3b5c"


def _form_token(page: str) -> str:
    found = re.search(r'name="form_token" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


async def test_sign_in_through_a_tls_terminating_proxy_sets_a_secure_cookie(tmp_path: Path) -> None:
    port = free_port()
    env = {
        "AVATARFARM_API_TOKEN": TOKEN,
        "AVATARFARM_TRUSTED_PROXIES": "127.0.0.1",
        # Bots load their pages from the server's own address; professors reach it through the proxy.
        "AVATARFARM_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
    }
    with run_cli_server(["serve", "--data-dir", str(tmp_path / "var")], port=port, env=env):
        async with (
            tls_proxy(port, tmp_path) as proxy,
            httpx.AsyncClient(
                base_url=proxy.url, verify=ssl.create_default_context(cafile=proxy.certificate), timeout=20
            ) as browser,
        ):
            form = await browser.get("/dashboard/sign-in")
            assert form.status_code == 200
            assert "secure" in form.headers["set-cookie"].lower().split("; ")  # the form's own cookie
            signed_in = await browser.post(
                "/dashboard/sign-in",
                data={"token": TOKEN, "form_token": _form_token(form.text), "next": "/dashboard"},
                headers={"Origin": proxy.url},
            )
            assert signed_in.status_code == 303, signed_in.text
            assert signed_in.headers["location"] == "/dashboard"
            [cookie] = [c for c in signed_in.headers.get_list("set-cookie") if c.startswith("avatarfarm_session=")]
            assert "secure" in [flag.strip().lower() for flag in cookie.split(";")]
            sessions = await browser.get("/dashboard")
            assert sessions.status_code == 200 and "Sign in" not in sessions.text


async def test_forwarded_headers_from_anyone_but_a_proxy_change_nothing(tmp_path: Path) -> None:
    port = free_port()
    env = {"AVATARFARM_API_TOKEN": TOKEN}  # no trusted proxies
    with run_cli_server(["serve", "--data-dir", str(tmp_path / "var")], port=port, env=env) as server:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=20) as client:
            form = await client.get("/dashboard/sign-in", headers={"X-Forwarded-Proto": "https"})
            assert "secure" not in form.headers["set-cookie"].lower().split("; ")
            for attempt in range(ALLOWED):
                wrong = await client.get(
                    "/api/sessions",
                    headers={"Authorization": "Bearer wrong", "X-Forwarded-For": f"198.51.100.{attempt}"},
                )
                assert wrong.status_code == 401
            # Each guess claimed another address; they all came from 127.0.0.1, which is now throttled.
            throttled = await client.get(
                "/api/sessions", headers={"Authorization": "Bearer wrong", "X-Forwarded-For": "198.51.100.99"}
            )
            assert throttled.status_code == 429
