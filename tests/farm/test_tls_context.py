"""Every HTTP client the farm builds (Zoom, LiveAvatar, its avatar catalogue, webhooks, node probes, the doctor,
the demo) verifies HTTPS with the process's one TLS context (farm/tls_context.py). httpx otherwise loads the whole
CA bundle again for each client it makes: in a profile of the test suite, an eighth of its workers' samples went
to building contexts, most of them for clients that only spoke plain HTTP to loopback."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from farm.tls_context import shared_tls_context
from tests.farm.harness import running_farm


@pytest.fixture
def contexts_made(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The CA bundles loaded into a new TLS context from now on, one entry per context."""
    made: list[str] = []
    real = ssl.create_default_context

    def counting(*args: Any, **kwargs: Any) -> ssl.SSLContext:
        made.append(str(kwargs.get("cafile") or kwargs.get("capath") or "system"))
        return real(*args, **kwargs)

    monkeypatch.setattr(ssl, "create_default_context", counting)
    shared_tls_context.cache_clear()
    yield made
    shared_tls_context.cache_clear()


async def test_the_farm_and_its_vendor_clients_share_one_tls_context(tmp_path: Path, contexts_made: list[str]) -> None:
    async with running_farm(tmp_path, webhook_urls="http://127.0.0.1:9/hooks") as stack:
        assert (await stack.client.get("/api/sessions")).status_code == 200
        assert (await stack.client.get("/api/liveavatar/avatars")).status_code == 200
    # The Zoom client (API and OAuth), the LiveAvatar client, the avatar catalogue's, the webhook sender's and the
    # test's own clients: one context among them all.
    assert len(contexts_made) == 1, contexts_made
    assert shared_tls_context().verify_mode is ssl.CERT_REQUIRED and shared_tls_context().check_hostname
