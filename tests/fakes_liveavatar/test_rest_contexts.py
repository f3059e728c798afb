"""Contexts CRUD (name, prompt, opening_text, links), size limits, dynamic variables."""

from __future__ import annotations

import uuid
from typing import Any

from tests.fakes_liveavatar.client import Fake


async def test_create_read_update_delete(fake: Fake) -> None:
    body: dict[str, Any] = {
        "name": "Room 3 - Calculus",
        "prompt": "You are Professor Ada. Ask guiding questions about ${topic}.",
        "opening_text": "Hello room 3, today we look at ${topic}.",
        "links": [{"url": "https://example.edu/derivatives", "faq": "What is a derivative? The slope of a curve."}],
    }
    created = await fake.api("POST", "/v1/contexts", json=body)
    assert created.status_code == 200 and created.json()["code"] == 1000
    context = created.json()["data"]
    assert uuid.UUID(context["id"])
    assert {key: context[key] for key in ("name", "prompt", "opening_text")} == {
        key: body[key] for key in ("name", "prompt", "opening_text")
    }
    assert context["required_dynamic_variables"] == ["topic"]
    assert context["links"][0]["url"] == body["links"][0]["url"] and uuid.UUID(context["links"][0]["id"])
    assert context["created_at"].endswith("Z")

    fetched = (await fake.api("GET", f"/v1/contexts/{context['id']}")).json()["data"]
    assert fetched == context

    patched = await fake.api("PATCH", f"/v1/contexts/{context['id']}", json={"opening_text": "Hi there."})
    assert patched.json()["data"]["opening_text"] == "Hi there."
    assert patched.json()["data"]["prompt"] == body["prompt"]
    replaced = await fake.api("PUT", f"/v1/contexts/{context['id']}", json={"name": "R3", "prompt": "Be brief."})
    assert replaced.json()["data"]["name"] == "R3" and replaced.json()["data"]["opening_text"] == ""

    listing = (await fake.api("GET", "/v1/contexts")).json()["data"]
    assert listing["count"] == 1 and set(listing["results"][0]) == {"id", "name", "created_at", "updated_at"}

    assert (await fake.api("DELETE", f"/v1/contexts/{context['id']}")).json()["code"] == 1000
    missing = await fake.api("GET", f"/v1/contexts/{context['id']}")
    assert missing.status_code == 404 and missing.json()["code"] == 4045
    assert (await fake.api("DELETE", f"/v1/contexts/{context['id']}")).status_code == 404
    assert (await fake.api("PATCH", f"/v1/contexts/{uuid.uuid4()}", json={"name": "x"})).status_code == 404


async def test_contexts_are_paginated(fake: Fake) -> None:
    for index in range(5):
        await fake.create_context(name=f"Room {index}")
    page = (await fake.api("GET", "/v1/contexts", params={"page": 2, "page_size": 2})).json()["data"]
    assert page["count"] == 5 and len(page["results"]) == 2 and page["next"] and page["previous"]


async def test_context_bodies_are_validated(fake: Fake) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"prompt": "p"}, "name"),
        ({"name": "n"}, "prompt"),
        ({"name": "", "prompt": "p"}, "name"),
        ({"name": "n", "prompt": "p", "links": [{"faq": "no url"}]}, "url"),
    ]
    for body, field in cases:
        response = await fake.api("POST", "/v1/contexts", json=body)
        assert response.status_code == 422, body
        assert any(field in item["loc"] for item in response.json()["detail"]), response.json()


async def test_context_size_limits_are_enforced(make_fake: Any) -> None:
    fake = await make_fake(max_context_prompt_chars=100, max_context_opening_text_chars=20)
    ok = await fake.api("POST", "/v1/contexts", json={"name": "n", "prompt": "p" * 100, "opening_text": "o" * 20})
    assert ok.status_code == 200
    for field, value in (("prompt", "p" * 101), ("opening_text", "o" * 21), ("name", "n" * 256)):
        body = {"name": "n", "prompt": "p", field: value}
        response = await fake.api("POST", "/v1/contexts", json=body)
        assert response.status_code == 422
        error = response.json()["detail"][0]
        assert error["loc"] == ["body", field] and error["type"] == "string_too_long"
    context_id = ok.json()["data"]["id"]
    too_long = await fake.api("PATCH", f"/v1/contexts/{context_id}", json={"prompt": "p" * 101})
    assert too_long.status_code == 422


async def test_default_context_limits(fake: Fake) -> None:
    assert (await fake.api("POST", "/v1/contexts", json={"name": "n", "prompt": "p" * 10_000})).status_code == 200
    assert (await fake.api("POST", "/v1/contexts", json={"name": "n", "prompt": "p" * 10_001})).status_code == 422


async def test_contexts_need_the_api_key(fake: Fake) -> None:
    response = await fake.http.post("/v1/contexts", json={"name": "n", "prompt": "p"})
    assert response.status_code == 401 and response.json()["code"] == 401
