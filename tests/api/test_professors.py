"""Professors as users: the admin (the bootstrap token) creates them, each gets a first token shown once; tokens
are named, scoped, revocable, stored as digests only, with their last use; a disabled professor is locked out."""

from __future__ import annotations

from typing import Any

import httpx

from api.cli import main
from api.dashboard import session_cookie
from state import inspection
from tests.api.conftest import TOKEN, Api, session_body


def _as(api: Api, token: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=api.client._transport, base_url="http://testserver", headers={"Authorization": f"Bearer {token}"}
    )


async def _add(api: Api, name: str = "Prof. Grace Hopper", email: str = "hopper@cs.example.edu") -> dict[str, Any]:
    response = await api.client.post("/api/professors", json={"name": name, "email": email})
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def test_the_admin_creates_a_professor_whose_first_token_is_shown_once(api: Api) -> None:
    created = await _add(api)
    token = created["token"]["token"]
    assert created["professor"]["role"] == "professor" and created["token"]["scope"] == "write"
    listed = await api.client.get("/api/professors")
    assert [p["email"] for p in listed.json()["professors"]] == [None, "hopper@cs.example.edu"]
    assert token not in listed.text
    async with _as(api, token) as grace:
        me = (await grace.get("/api/me")).json()
        assert me["professor"]["id"] == created["professor"]["id"] and me["bootstrap"] is False
        tokens = await grace.get("/api/tokens")
        assert [t["name"] for t in tokens.json()["tokens"]] == ["first token"] and token not in tokens.text
        assert tokens.json()["tokens"][0]["last_used_at"] is not None
        # A professor cannot manage professors.
        refused = await grace.post("/api/professors", json={"name": "X", "email": "x@example.edu"})
        assert refused.status_code == 403 and "administrator" in refused.json()["message"]
    # Only a digest is stored: the token is nowhere in the database.
    rows = await inspection.rows(api.repository, "SELECT * FROM api_tokens")
    assert rows and all(token not in str(tuple(row)) for row in rows)
    assert token.encode() not in api.settings.database_path.read_bytes()


async def test_bad_professor_input_gets_words_and_stores_nothing(api: Api) -> None:
    await _add(api)
    again = await api.client.post("/api/professors", json={"name": "Other", "email": "HOPPER@cs.example.edu"})
    assert again.status_code == 409 and "exists already" in again.json()["message"]
    bad = await api.client.post("/api/professors", json={"name": "", "email": "not an address"})
    assert bad.status_code == 422 and {d["field"] for d in bad.json()["detail"]} >= {"name", "email"}
    assert len((await api.client.get("/api/professors")).json()["professors"]) == 2


async def test_tokens_are_scoped_and_revocable(api: Api) -> None:
    first = (await _add(api))["token"]["token"]
    async with _as(api, first) as grace:
        made = await grace.post("/api/tokens", json={"name": "grading script", "scope": "read"})
        assert made.status_code == 201 and made.json()["scope"] == "read"
        read_only = made.json()["token"]
        async with _as(api, read_only) as script:
            assert (await script.get("/api/sessions")).status_code == 200
            refused = await script.post("/api/sessions", json=session_body())
            assert refused.status_code == 403 and "may only read" in refused.json()["message"]
            assert (await api.row_counts())["sessions"] == 0
            revoked = await grace.delete(f"/api/tokens/{made.json()['id']}")
            assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
            assert (await script.get("/api/sessions")).status_code == 401
        assert (await grace.get("/api/sessions")).status_code == 200


async def test_a_disabled_professor_is_locked_out_api_and_dashboard(api: Api) -> None:
    created = await _add(api)
    professor_id, token = created["professor"]["id"], created["token"]["token"]
    cookie, _ = session_cookie.issue(TOKEN, professor_id=professor_id, token_id=created["token"]["id"])
    async with (
        _as(api, token) as grace,
        httpx.AsyncClient(transport=api.client._transport, base_url="http://testserver") as browser,
    ):
        browser.cookies.set(session_cookie.SESSION_COOKIE, cookie)
        assert (await grace.post("/api/sessions", json=session_body())).status_code == 202
        assert len((await browser.get("/api/sessions")).json()["sessions"]) == 1
        assert (await api.client.post(f"/api/professors/{professor_id}/disable")).json()["disabled"] is True
        assert (await grace.get("/api/sessions")).status_code == 401
        assert (await browser.get("/api/sessions")).status_code == 401
        assert (await browser.get("/dashboard")).status_code == 303  # back to sign-in
        assert (await api.client.post(f"/api/professors/{professor_id}/enable")).json()["disabled"] is False
        assert (await grace.get("/api/sessions")).status_code == 200
    # The admin cannot be disabled.
    assert (await api.client.post("/api/professors/admin/disable")).status_code == 404


def test_the_shell_adds_lists_and_disables_professors(tmp_path: Any, capsys: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("AVATARFARM_DATA_DIR", str(tmp_path / "var"))
    assert main(["professors", "add", "--name", "Prof. Ada", "--email", "ada@example.edu", "--show-token"]) == 0
    out = capsys.readouterr().out
    assert "first API token (shown once): afp_" in out
    assert main(["professors", "add", "--name", "Again", "--email", "ADA@example.edu"]) == 2
    assert "exists already" in capsys.readouterr().err
    assert main(["professors", "list"]) == 0
    listed = capsys.readouterr().out
    assert "admin" in listed and "ada@example.edu" in listed and "enabled" in listed
    assert main(["professors", "disable", "ada@example.edu"]) == 0
    assert "disabled Prof. Ada" in capsys.readouterr().out
    assert main(["professors", "disable", "nobody@example.edu"]) == 2
    capsys.readouterr()


def test_the_shell_keeps_a_professors_own_clone(tmp_path: Any, capsys: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("AVATARFARM_DATA_DIR", str(tmp_path / "var"))
    assert main(["professors", "add", "--name", "Prof. Ada", "--email", "ada@example.edu"]) == 0
    capsys.readouterr()
    profile = ["professors", "profile", "ADA@example.edu", "--avatar-id", "ada-clone", "--teaching-style", "Patient."]
    assert main(profile) == 0
    assert "Prof. Ada <ada@example.edu>: avatar ada-clone" in capsys.readouterr().out
    assert main(["professors", "profile", "ada@example.edu", "--avatar-id", "not an id!"]) == 2
    assert "--avatar-id: Use only letters, digits" in capsys.readouterr().err
    assert main(["professors", "profile", "nobody@example.edu", "--avatar-id", "x"]) == 2


def _browser(api: Api, professor_id: str = "admin", token_id: str = "-") -> tuple[httpx.AsyncClient, str]:
    cookie, signed_in = session_cookie.issue(TOKEN, professor_id=professor_id, token_id=token_id)
    browser = httpx.AsyncClient(transport=api.client._transport, base_url="http://testserver")
    browser.cookies.set(session_cookie.SESSION_COOKIE, cookie)
    return browser, signed_in.csrf_token


async def test_the_dashboard_account_page_adds_professors_and_their_tokens(api: Api) -> None:
    admin, admin_csrf = _browser(api)
    async with admin:
        added = await admin.post(
            "/dashboard/account/professors", data={"csrf_token": admin_csrf, "name": "Prof. Ada", "email": "a@x.edu"}
        )
        assert added.status_code == 200 and "Prof. Ada&#39;s first token" in added.text and "afp_" in added.text
        forged = await admin.post("/dashboard/account/professors", data={"name": "Eve", "email": "e@x.edu"})
        assert forged.status_code == 403
    [professor] = [p for p in (await api.client.get("/api/professors")).json()["professors"] if p["role"] != "admin"]
    async with _as(api, added.text.split('id="new-token-value">')[1].split("<")[0]) as ada:
        first = (await ada.get("/api/tokens")).json()["tokens"][0]
    browser, csrf = _browser(api, professor["id"], first["id"])
    async with browser:
        page = await browser.get("/dashboard/account")
        assert page.status_code == 200 and "first token" in page.text and "Professors" not in page.text
        made = await browser.post(
            "/dashboard/account/tokens", data={"csrf_token": csrf, "name": "notes", "scope": "read"}
        )
        assert made.status_code == 200 and "afp_" in made.text
        refused = await browser.post(
            "/dashboard/account/professors", data={"csrf_token": csrf, "name": "Eve", "email": "e@x.edu"}
        )
        assert refused.status_code == 403
        notes = next(t for t in (await api.repository.professors.tokens_of(professor["id"])) if t.name == "notes")
        revoked = await browser.post(f"/dashboard/account/tokens/{notes.id}/revoke", data={"csrf_token": csrf})
        assert revoked.status_code == 303
        assert (await api.repository.professors.tokens_of(professor["id"]))[-1].revoked_at is not None


async def test_the_dashboard_shows_a_professor_only_their_sessions(api: Api) -> None:
    created = await _add(api)
    admins = await api.create_session()
    async with _as(api, created["token"]["token"]) as grace:
        own = (await grace.post("/api/sessions", json=session_body())).json()
    browser, _ = _browser(api, created["professor"]["id"], created["token"]["id"])
    async with browser:
        listing = await browser.get("/dashboard")
        assert own["id"] in listing.text and admins["id"] not in listing.text
        for page in (f"/dashboard/sessions/{admins['id']}", f"/dashboard/sessions/{admins['id']}/report"):
            hidden, missing = await browser.get(page), await browser.get(page.replace(admins["id"], "ses_none"))
            assert hidden.status_code == missing.status_code == 404
            assert hidden.text.replace(admins["id"], "ses_none") == missing.text
        assert (await browser.get(f"/dashboard/sessions/{own['id']}")).status_code == 200


async def test_the_admin_gives_a_professor_who_lost_their_token_a_new_one(api: Api) -> None:
    created = await _add(api)
    professor_id = created["professor"]["id"]
    given = await api.client.post(f"/api/professors/{professor_id}/tokens", json={"name": "replacement"})
    assert given.status_code == 201 and given.json()["scope"] == "write"
    async with _as(api, given.json()["token"]) as grace:
        assert (await grace.get("/api/me")).json()["professor"]["id"] == professor_id
        lost = created["token"]["id"]
        assert (await grace.delete(f"/api/tokens/{lost}")).json()["revoked_at"] is not None
    async with _as(api, created["token"]["token"]) as thief:
        assert (await thief.get("/api/sessions")).status_code == 401
    missing = await api.client.post("/api/professors/prof_nobody/tokens", json={"name": "x"})
    assert missing.status_code == 404


async def test_a_professors_own_avatar_voice_and_style_are_their_sessions_defaults(api: Api) -> None:
    created = await _add(api)
    profile = {"avatar_id": "grace-clone", "voice_id": "grace-voice", "teaching_style": "Asks for a guess first."}
    async with _as(api, created["token"]["token"]) as grace:
        assert (await grace.get("/api/me")).json()["profile"] is None
        set_ = await grace.put("/api/me/profile", json=profile)
        assert set_.status_code == 200 and set_.json()["profile"] == profile
        bad = await grace.put("/api/me/profile", json={"avatar_id": ""})
        assert bad.status_code == 422 and (await grace.get("/api/me")).json()["profile"] == profile
        own = session_body(rooms=1)
        own["professor"] = {"name": "Grace", "avatar_id": "grace-clone"}
        stored = (await grace.post("/api/sessions", json=own)).json()
        session = await api.repository.sessions.get(stored["id"])
        assert session is not None
        assert (session.professor.voice_id, session.professor.teaching_style) == (
            "grace-voice",
            profile["teaching_style"],
        )
        # Told otherwise: another avatar keeps its own voice; a style given wins.
        other = session_body(rooms=1)
        other["professor"] = {"name": "Grace", "avatar_id": "guest-clone", "teaching_style": "Direct."}
        stored = (await grace.post("/api/sessions", json=other)).json()
        session = await api.repository.sessions.get(stored["id"])
        assert session is not None
        assert (session.professor.voice_id, session.professor.teaching_style) == (None, "Direct.")
    browser, _ = _browser(api, created["professor"]["id"], created["token"]["id"])
    async with browser:
        form = await browser.get("/dashboard/sessions/new")
        assert 'value="grace-clone"' in form.text and "Asks for a guess first.</textarea>" in form.text


async def test_a_session_that_names_no_avatar_uses_the_professors_own_and_says_so_without_one(api: Api) -> None:
    created = await _add(api)
    without_avatar = session_body(rooms=1)
    without_avatar["professor"] = {"name": "Grace"}
    async with _as(api, created["token"]["token"]) as grace:
        refused = await grace.post("/api/sessions", json=without_avatar)
        assert refused.status_code == 409 and refused.json()["error"] == "no_avatar", refused.text
        assert refused.json()["detail"][0]["field"] == "professor.avatar_id"
        assert "keep your own avatar in your profile" in refused.json()["message"]
        assert (await grace.get("/api/sessions")).json()["sessions"] == []
        browser, csrf = _browser(api, created["professor"]["id"], created["token"]["id"])
        async with browser:
            bad = await browser.post("/dashboard/account/profile", data={"csrf_token": csrf, "avatar_id": "not an id!"})
            assert bad.status_code == 422 and "Your clone was not kept" in bad.text
            assert (await grace.get("/api/me")).json()["profile"] is None
            forged = await browser.post("/dashboard/account/profile", data={"avatar_id": "grace-clone"})
            assert forged.status_code == 403
            kept = await browser.post(
                "/dashboard/account/profile",
                data={"csrf_token": csrf, "avatar_id": "grace-clone", "voice_id": "", "teaching_style": "Patient."},
                follow_redirects=True,
            )
            assert kept.status_code == 200 and "Your clone is kept" in kept.text
            assert 'id="profile-avatar" name="avatar_id" required maxlength="100" value="grace-clone"' in kept.text
        assert (await grace.get("/api/me")).json()["profile"] == {
            "avatar_id": "grace-clone",
            "voice_id": None,
            "teaching_style": "Patient.",
        }
        started = await grace.post("/api/sessions", json=without_avatar)
        assert started.status_code == 202, started.text
        session = await api.repository.sessions.get(started.json()["id"])
        assert session is not None
        assert (session.professor.avatar_id, session.professor.teaching_style) == ("grace-clone", "Patient.")


async def test_a_professor_registers_lists_and_removes_their_own_webhook_receivers(api: Api) -> None:
    created = await _add(api)
    async with _as(api, created["token"]["token"]) as grace:
        for url, words in (
            ("ftp://hooks.example.edu/x", "starting with https://"),
            ("http://hooks.example.edu/x", "in the clear over http://"),
        ):
            refused = await grace.post("/api/webhooks", json={"url": url})
            assert refused.status_code == 422 and words in refused.json()["message"], refused.text
        made = await grace.post("/api/webhooks", json={"url": "https://hooks.example.edu/grace"})
        assert made.status_code == 201, made.text
        receiver = made.json()
        assert receiver["secret"].startswith("whsec_")
        again = await grace.post("/api/webhooks", json={"url": "https://hooks.example.edu/grace"})
        assert again.status_code == 409 and again.json()["error"] == "receiver_exists"
        listed = (await grace.get("/api/webhooks")).json()["receivers"]
        assert [r["id"] for r in listed] == [receiver["id"]] and "secret" not in listed[0]
        assert receiver["secret"] not in (await grace.get("/api/webhooks")).text  # shown once only
        stored = await inspection.scalar(api.repository, "SELECT secret FROM webhook_receivers")
        assert receiver["secret"] not in str(stored)  # encrypted at rest
        assert (await api.client.get("/api/webhooks")).json()["receivers"] == []  # the admin's own: none
        assert (await api.client.delete(f"/api/webhooks/{receiver['id']}")).status_code == 404  # not theirs
        removed = await grace.delete(f"/api/webhooks/{receiver['id']}")
        assert removed.status_code == 200 and (await grace.get("/api/webhooks")).json()["receivers"] == []


async def test_a_professors_receiver_must_be_at_a_public_address_unless_the_deployment_allows_private_ones(
    api: Api,
) -> None:
    """A professor is not the administrator: a receiver of theirs on loopback or a private network would have the
    server POST to its neighbours on their behalf (a cloud's metadata service, an internal admin port)."""
    created = await _add(api)
    private = (
        "https://127.0.0.1:8443/x",
        "http://localhost:9000/x",
        "https://[::1]/x",
        "https://10.0.0.5/x",
        "https://169.254.169.254/latest/meta-data",
        "https://[::ffff:192.168.1.1]/x",
    )
    async with _as(api, created["token"]["token"]) as grace:
        for url in private:
            refused = await grace.post("/api/webhooks", json={"url": url})
            assert refused.status_code == 422, refused.text
            assert "is not a public address" in refused.json()["message"], refused.text
            assert "WEBHOOK_ALLOW_PRIVATE" in refused.json()["message"]
        assert (await grace.get("/api/webhooks")).json()["receivers"] == []  # nothing stored
        # A name that cannot be looked up now is taken: every delivery looks it up again.
        assert (await grace.post("/api/webhooks", json={"url": "https://hooks.example.edu/g"})).status_code == 201
    assert (await api.client.post("/api/webhooks", json={"url": "https://10.0.0.5/x"})).status_code == 201  # admin
    api.app.state.settings = api.settings.model_copy(update={"webhook_allow_private": True})
    async with _as(api, created["token"]["token"]) as grace:
        assert (await grace.post("/api/webhooks", json={"url": "https://10.0.0.5/x"})).status_code == 201


async def test_the_account_page_adds_and_removes_a_professors_webhook_receivers(api: Api) -> None:
    created = await _add(api)
    browser, csrf = _browser(api, created["professor"]["id"], created["token"]["id"])
    async with browser:
        refused = await browser.post(
            "/dashboard/account/webhooks", data={"csrf_token": csrf, "url": "http://hooks.example.edu/x"}
        )
        assert refused.status_code == 422 and "in the clear over http://" in refused.text
        forged = await browser.post("/dashboard/account/webhooks", data={"url": "https://hooks.example.edu/x"})
        assert forged.status_code == 403
        added = await browser.post(
            "/dashboard/account/webhooks", data={"csrf_token": csrf, "url": "https://hooks.example.edu/grace"}
        )
        assert added.status_code == 200 and 'id="new-receiver-secret">whsec_' in added.text
        [receiver] = await api.repository.webhook_receivers.of(created["professor"]["id"])
        page = await browser.get("/dashboard/account")
        assert "https://hooks.example.edu/grace" in page.text and "whsec_" not in page.text  # shown once
        removed = await browser.post(
            f"/dashboard/account/webhooks/{receiver.id}/remove", data={"csrf_token": csrf}, follow_redirects=True
        )
        assert removed.status_code == 200 and "The webhook receiver is removed" in removed.text
    assert await api.repository.webhook_receivers.of(created["professor"]["id"]) == []
