"""HTTP-level answers the OpenAPI description promises: a 405 names every method its path takes, and a body
that is not even text is a 422 validation error like any other (not an undocumented 400)."""

from __future__ import annotations

from tests.api.conftest import Api


async def test_a_405_names_every_method_of_the_path(api: Api) -> None:
    created = await api.create_session(rooms=1)
    response = await api.client.put(f"/api/sessions/{created['id']}")
    assert response.status_code == 405
    assert response.headers["allow"] == "DELETE, GET"
    assert response.json()["error"] == "method_not_allowed"
    assert "PUT is not allowed here" in response.json()["message"]
    listing = await api.client.patch("/api/sessions")
    assert listing.headers["allow"] == "GET, POST"


async def test_a_body_that_is_not_utf8_is_a_422(api: Api) -> None:
    before = await api.row_counts()
    response = await api.client.post(
        "/api/sessions", content=b"\xff\xfe{", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == "invalid_request"
    assert body["detail"] == [{"field": None, "message": "The request body is not valid JSON (it is not UTF-8 text)."}]
    assert await api.row_counts() == before
