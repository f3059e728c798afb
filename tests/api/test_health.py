"""Probes, metrics, the OpenAPI description, and what an unexpected error looks like."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest
from prometheus_client.parser import text_string_to_metric_families

from farm import loop_clock
from tests.api.conftest import Api


async def test_healthz_and_readyz(api: Api) -> None:
    assert (await api.anonymous.get("/healthz")).json() == {"status": "ok"}
    assert (await api.anonymous.get("/readyz")).json() == {"status": "ready"}
    api.farm.ready = False
    response = await api.client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "not ready", "problems": ["farm not ready"]}
    anonymous = await api.anonymous.get("/readyz")  # without the token: ready or not, nothing more
    assert anonymous.status_code == 503 and anonymous.json() == {"status": "not ready"}


async def test_metrics_count_requests_by_route_and_state_by_status(api: Api) -> None:
    session = await api.create_session(rooms=3)
    await api.make_live(session["rooms"][0]["id"])
    await api.client.get("/api/sessions/ses_missing")
    response = await api.client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }
    assert samples[("avatarfarm_rooms", (("status", "queued"),))] == 2
    assert samples[("avatarfarm_rooms", (("status", "live"),))] == 1
    assert samples[("avatarfarm_sessions", (("status", "active"),))] == 1
    created = ("method", "POST"), ("route", "/api/sessions"), ("status", "202")
    assert samples[("avatarfarm_http_requests_total", created)] == 1
    missing = ("method", "GET"), ("route", "/api/sessions/{session_id}"), ("status", "404")
    assert samples[("avatarfarm_http_requests_total", missing)] == 1
    assert not any("ses_missing" in str(labels) for _, labels in samples)


async def test_metrics_say_how_long_the_farms_loop_was_stalled(api: Api) -> None:
    def stalled(text: str) -> float:
        [family] = [
            f for f in text_string_to_metric_families(text) if f.name == "avatarfarm_event_loop_stalled_seconds"
        ]
        return float(family.samples[0].value)

    before = stalled((await api.client.get("/metrics")).text)
    time.sleep(1.0)  # noqa: ASYNC251 - the farm's loop blocked, as by a machine short of CPU
    await asyncio.sleep(loop_clock.TICK_SECONDS * 2)
    # The clock sees a stall from the tick it delays: up to one tick of it goes unseen.
    assert stalled((await api.client.get("/metrics")).text) - before >= 1.0 - loop_clock.TICK_SECONDS - 0.15


async def test_openapi_has_an_example_for_every_request_body(api: Api) -> None:
    spec = (await api.client.get("/openapi.json")).json()
    schemas = spec["components"]["schemas"]
    bodies = 0
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            body = operation.get("requestBody")
            if body is None:
                continue
            bodies += 1
            content = body["content"]
            media = content["application/json"] if "application/json" in content else content["multipart/form-data"]
            ref = media["schema"].get("$ref", "")
            schema = schemas.get(ref.rsplit("/", 1)[-1], {})
            assert media.get("examples") or media.get("example") or schema.get("examples"), (method, path)
    assert bodies == 10  # session, say, context, course file, professor, token, a token for one, allowance, profile,
    # webhook receiver


async def test_an_unexpected_error_is_a_plain_500_without_a_stack_trace(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    session = await api.create_session(rooms=1)
    await api.make_live(session["rooms"][0]["id"])
    api.farm.fail_with = ZeroDivisionError("division by zero in the farm")
    with caplog.at_level(logging.ERROR, logger="avatarfarm.api"):
        response = await api.client.post(
            f"/api/sessions/{session['id']}/rooms/{session['rooms'][0]['id']}/say", json={"text": "hi"}
        )
    assert response.status_code == 500
    assert response.json()["error"] == "internal_error"
    assert "Traceback" not in response.text and "ZeroDivisionError" not in response.text
    assert "division by zero" not in response.text
    assert any("ZeroDivisionError" in (r.exc_text or "") for r in caplog.records)


async def test_unknown_paths_are_json_404(api: Api) -> None:
    response = await api.client.get("/api/nothing-here")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
