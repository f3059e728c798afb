"""Secrets on disk and signed-out cookies: the webhook secret is never written through a planted link nor read
from a file others can read, a generated one is never printed where it would be kept (a log file), and a
cookie signed out stays dead after the server restarts."""

from __future__ import annotations

import os
import re
from pathlib import Path

import httpx
import pytest

from api.app import create_app
from farm.settings import load_settings
from farm.webhooks.secret import announce_secret, ensure_webhook_secret
from state.private_files import PrivateFileError
from tests.api.conftest import TOKEN, RecordingFarm, make_settings


def test_a_planted_link_is_never_written_through(tmp_path: Path) -> None:
    data = tmp_path / "var"
    data.mkdir(mode=0o700)
    target = tmp_path / "attacker-reads-this"
    os.symlink(target, data / "webhook_secret")
    with pytest.raises(PrivateFileError, match="symbolic link"):
        ensure_webhook_secret(load_settings(data_dir=data))
    assert not target.exists()


def test_a_secret_file_others_can_read_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "var"
    data.mkdir(mode=0o700)
    kept = data / "webhook_secret"
    kept.write_text("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n")
    kept.chmod(0o644)
    with pytest.raises(PrivateFileError, match="chmod 600"):
        ensure_webhook_secret(load_settings(data_dir=data))


def test_a_generated_secret_is_shown_on_a_terminal_only(tmp_path: Path) -> None:
    secret = ensure_webhook_secret(load_settings(data_dir=tmp_path / "var"))
    assert secret.generated
    assert (tmp_path / "var" / "webhook_secret").stat().st_mode & 0o777 == 0o600
    to_file = announce_secret(secret, to_terminal=False)
    assert to_file is not None and secret.value not in to_file and str(tmp_path / "var") in to_file
    to_terminal = announce_secret(secret, to_terminal=True)
    assert to_terminal is not None and secret.value in to_terminal


async def _signed_in_cookie(client: httpx.AsyncClient) -> tuple[str, str]:
    page = (await client.get("/dashboard/sign-in")).text
    form_token = re.search(r'name="form_token" value="([^"]+)"', page)
    assert form_token is not None
    signed_in = await client.post(
        "/dashboard/sign-in", data={"token": TOKEN, "form_token": form_token.group(1), "next": "/dashboard"}
    )
    assert signed_in.status_code == 303
    home = await client.get("/dashboard")
    csrf = re.search(r'name="avatarfarm-csrf" content="([^"]+)"', home.text)
    assert csrf is not None
    return client.cookies["avatarfarm_session"], csrf.group(1)


async def test_a_signed_out_cookie_stays_dead_after_a_restart(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    first = create_app(settings, farm_factory=lambda repo, *_: RecordingFarm(repo))
    async with first.router.lifespan_context(first):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=first), base_url="http://t") as browser:
            cookie, csrf = await _signed_in_cookie(browser)
            signed_out = await browser.post("/dashboard/sign-out", data={"csrf_token": csrf})
            assert signed_out.status_code == 303
    assert (settings.data_dir / "signed_out").stat().st_mode & 0o777 == 0o600
    second = create_app(settings, farm_factory=lambda repo, *_: RecordingFarm(repo))
    async with second.router.lifespan_context(second):
        transport = httpx.ASGITransport(app=second)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://t", cookies={"avatarfarm_session": cookie}
        ) as replayed:
            assert (await replayed.get("/api/sessions")).status_code == 401
            assert (await replayed.get("/dashboard")).status_code == 303
