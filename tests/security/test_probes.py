"""What an anonymous prober learns from /readyz: ready or not, nothing about the deployment's services."""

from __future__ import annotations

from tests.api.conftest import Api


async def test_readyz_without_the_token_says_only_ready_or_not(api: Api) -> None:
    api.farm.ready = False
    anonymous = await api.anonymous.get("/readyz")
    assert anonymous.status_code == 503
    assert anonymous.json() == {"status": "not ready"}
    wrong = await api.anonymous.get("/readyz", headers={"Authorization": "Bearer guess"})
    assert wrong.json() == {"status": "not ready"}
    holder = await api.client.get("/readyz")
    assert holder.json()["problems"] == ["farm not ready"]
