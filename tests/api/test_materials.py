"""POST/GET/DELETE /api/materials and room pins: files stored once by hash, passages with their sources, refusals
in words that leave nothing stored, the upload cap enforced while the body streams in."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from state import inspection
from state.models import GivenPassage
from tests.api.conftest import Api, FarmChoice, _api, make_settings
from tests.support.material_files import blank_pdf, locked_pdf, text_pdf

NOTES = text_pdf(["Recursion needs a base case and a recursive step.", "Merge sort splits, sorts and merges."])


async def _upload(api: Api, name: str, content: bytes, course: str = "CS 101") -> httpx.Response:
    return await api.client.post("/api/materials", data={"course": course}, files={"file": (name, content)})


def _stored(api: Api) -> list[str]:
    root = api.settings.data_dir / "materials"
    return sorted(p.name for p in root.rglob("*") if p.is_file()) if root.exists() else []


async def _nothing_stored(api: Api) -> None:
    assert _stored(api) == []
    assert await inspection.row_counts(api.repository, ("materials", "passages")) == {"materials": 0, "passages": 0}


async def test_an_upload_is_indexed_with_its_pages_and_stored_once(api: Api) -> None:
    response = await _upload(api, "C:\\Users\\ada\\algorithms-notes.pdf", NOTES)
    assert response.status_code == 201, response.text
    material = response.json()
    assert material["filename"] == "algorithms-notes.pdf"
    assert (material["kind"], material["units"], material["course"]) == ("pdf", 2, "CS 101")
    assert _stored(api) == [material["sha256"]]

    again = await _upload(api, "renamed.pdf", NOTES, course="cs 101")  # same course (any case), same content
    assert again.status_code == 200 and again.json()["id"] == material["id"]
    listed = (await api.client.get("/api/materials", params={"course": "Cs 101"})).json()["materials"]
    assert [m["id"] for m in listed] == [material["id"]]

    detail = (await api.client.get(f"/api/materials/{material['id']}")).json()
    assert [p["source"] for p in detail["passage_list"]] == ["algorithms-notes.pdf, p. 1", "algorithms-notes.pdf, p. 2"]
    assert "Merge sort" in detail["passage_list"][1]["text"]


async def test_a_file_shared_by_two_courses_is_kept_until_both_delete_it(api: Api) -> None:
    first = (await _upload(api, "notes.pdf", NOTES)).json()
    second = (await _upload(api, "notes.pdf", NOTES, course="CS 102")).json()
    assert first["id"] != second["id"] and _stored(api) == [first["sha256"]]
    assert (await api.client.delete(f"/api/materials/{first['id']}")).status_code == 204
    assert _stored(api) == [first["sha256"]]
    assert (await api.client.get(f"/api/materials/{first['id']}")).status_code == 404
    assert (await api.client.delete(f"/api/materials/{second['id']}")).status_code == 204
    await _nothing_stored(api)
    gone = await api.client.delete(f"/api/materials/{second['id']}")
    assert gone.status_code == 404 and "There is no material" in gone.json()["message"]


@pytest.mark.parametrize(
    ("name", "content", "status", "words"),
    [
        ("grades.xlsx", b"PK\x03\x04", 415, "cannot read '.xlsx' files"),
        ("scan.pdf", blank_pdf(), 422, "looks like a scan"),
        ("exam.pdf", locked_pdf(), 422, "password-protected"),
        ("slides.pptx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(2000), 422, "password-protected"),
        ("notes.txt", b"", 422, "is empty"),
    ],
)
async def test_a_refused_file_says_why_and_leaves_nothing_stored(
    api: Api, name: str, content: bytes, status: int, words: str
) -> None:
    response = await _upload(api, name, content)
    assert response.status_code == status, response.text
    assert words in response.json()["message"]
    await _nothing_stored(api)


async def test_missing_fields_and_a_body_that_is_no_form_are_named(api: Api) -> None:
    no_course = await api.client.post("/api/materials", files={"file": ("notes.pdf", NOTES)})
    assert no_course.status_code == 422 and no_course.json()["detail"][0]["field"] == "course"
    no_file = await api.client.post("/api/materials", data={"course": "CS 101"}, files={"other": ("x", b"x")})
    assert no_file.status_code == 422 and no_file.json()["detail"][0]["field"] == "file"
    json_body = await api.client.post("/api/materials", json={"course": "CS 101"})
    assert json_body.status_code == 415 and "multipart" in json_body.json()["message"]
    await _nothing_stored(api)


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (
            b'--b\r\nContent-Disposition: form-data; name="course"\r\n\r\nCS 101\r\n--b\r\nContent-Disp',
            "stopped before",
        ),
        (b'--b\r\nContent-Disposition: form-data; name="file"; filename="n.md"\r\n\r\nhalf a file', "stopped"),
        (b"not a form at all, no boundary anywhere", "not a well-formed multipart form"),
    ],
)
async def test_a_cut_or_malformed_form_is_refused_and_nothing_is_kept(api: Api, body: bytes, words: str) -> None:
    response = await api.client.post(
        "/api/materials", content=body, headers={"Content-Type": "multipart/form-data; boundary=b"}
    )
    assert response.status_code == 422, response.text
    assert words in response.json()["message"]
    await _nothing_stored(api)


async def test_form_fields_beside_the_file_are_bounded(api: Api) -> None:
    long_course = await _upload(api, "notes.pdf", NOTES, course="x" * 5000)
    assert long_course.status_code == 422 and long_course.json()["detail"][0]["field"] == "course"
    many = {f"field{i}": "y" * 4000 for i in range(20)}  # 80 KB of small fields, none of them the file
    flood = await api.client.post("/api/materials", data={"course": "CS 101", **many}, files={"file": ("n.pdf", NOTES)})
    assert flood.status_code == 422
    await _nothing_stored(api)


async def test_one_file_per_upload_and_an_empty_file_field_is_no_file(api: Api) -> None:
    two = await api.client.post(
        "/api/materials",
        data={"course": "CS 101"},
        files=[("file", ("a.md", b"# A\nText.")), ("file", ("b.md", b"# B\nText."))],
    )
    assert two.status_code == 422 and two.json()["message"] == "file: Upload one file at a time."
    none_chosen = await api.client.post("/api/materials", data={"course": "CS 101"}, files={"file": ("", b"")})
    assert none_chosen.status_code == 422 and none_chosen.json()["detail"][0]["field"] == "file"
    await _nothing_stored(api)


async def test_uploads_need_the_api_token(api: Api) -> None:
    response = await api.anonymous.post("/api/materials", data={"course": "CS 101"}, files={"file": ("n.pdf", NOTES)})
    assert response.status_code == 401
    assert (await api.anonymous.get("/api/materials")).status_code == 401
    await _nothing_stored(api)


@pytest.fixture
async def small_cap(tmp_path: Path, farm_choice: FarmChoice) -> AsyncIterator[Api]:
    async with _api(tmp_path, farm_choice, make_settings(tmp_path, max_upload_mb=0.05)) as api:  # 52 KB
        yield api


async def test_an_oversized_file_is_refused_by_its_declared_length(small_cap: Api) -> None:
    response = await _upload(small_cap, "big.txt", b"word " * 40_000)
    assert response.status_code == 413
    assert "0.05 MB" in response.json()["message"] and "AVATARFARM_MAX_UPLOAD_MB" in response.json()["message"]
    await _nothing_stored(small_cap)


async def test_an_oversized_file_is_refused_while_it_streams_without_a_length(small_cap: Api) -> None:
    boundary = "avatarfarm-test-boundary"
    sent: list[int] = []

    async def body() -> AsyncIterator[bytes]:
        yield (
            f'--{boundary}\r\nContent-Disposition: form-data; name="course"\r\n\r\nCS 101\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.txt"\r\n'
            "Content-Type: text/plain\r\n\r\n"
        ).encode()
        for _ in range(400):  # 400 × 16 KiB = 6.4 MiB, far past the cap: the server stops reading early
            sent.append(1)
            yield b"word " * 3277
        yield f"\r\n--{boundary}--\r\n".encode()

    response = await small_cap.client.post(
        "/api/materials", content=body(), headers={"Content-Type": f"multipart/form-data; boundary={boundary}"}
    )
    assert response.status_code == 413
    assert len(sent) < 10  # refused within a few chunks past the cap, not after reading it all
    await _nothing_stored(small_cap)


async def _session_room(api: Api) -> tuple[str, str]:
    created: dict[str, Any] = await api.create_session(rooms=1)
    return created["id"], created["rooms"][0]["id"]


async def test_a_professor_pins_a_passage_of_the_course_to_a_room(api: Api) -> None:
    session_id, room_id = await _session_room(api)
    material = (await _upload(api, "notes.pdf", NOTES, course="cs 101")).json()
    passages = (await api.client.get(f"/api/materials/{material['id']}")).json()["passage_list"]
    pins = f"/api/sessions/{session_id}/rooms/{room_id}/pins"
    assert (await api.client.put(f"{pins}/{passages[1]['id']}")).status_code == 204
    listed = (await api.client.get(pins)).json()["passages"]
    assert [p["source"] for p in listed] == ["notes.pdf, p. 2"]
    assert (await api.client.delete(f"{pins}/{passages[1]['id']}")).status_code == 204
    assert (await api.client.delete(f"{pins}/{passages[1]['id']}")).status_code == 404
    assert (await api.client.put(f"{pins}/999999")).status_code == 404


async def test_a_passage_of_another_course_cannot_be_pinned(api: Api) -> None:
    session_id, room_id = await _session_room(api)
    other = (await _upload(api, "notes.pdf", NOTES, course="Philosophy 1")).json()
    passage = (await api.client.get(f"/api/materials/{other['id']}")).json()["passage_list"][0]
    response = await api.client.put(f"/api/sessions/{session_id}/rooms/{room_id}/pins/{passage['id']}")
    assert response.status_code == 422
    assert "course 'Philosophy 1'" in response.json()["message"] and "'CS 101'" in response.json()["message"]
    assert (await api.client.get(f"/api/sessions/{session_id}/rooms/{room_id}/pins")).json()["passages"] == []


async def test_a_rooms_detail_and_the_report_show_the_passages_each_avatar_start_received(api: Api) -> None:
    session_id, room_id = await _session_room(api)
    material = (await _upload(api, "notes.pdf", NOTES)).json()
    passages = (await api.client.get(f"/api/materials/{material['id']}")).json()["passage_list"]
    row = await api.repository.avatars.open(room_id, bot_id=None)
    given = [GivenPassage(passages[1]["id"], passages[1]["source"], passages[1]["text"], pinned=True)]
    await api.repository.materials.record_given_passages(row.id, given)
    assert (await api.client.delete(f"/api/materials/{material['id']}")).status_code == 204  # the record stays

    room = (await api.client.get(f"/api/sessions/{session_id}/rooms/{room_id}")).json()
    [avatar] = room["avatar_sessions"]
    assert avatar["passages"] == [
        {"passage_id": passages[1]["id"], "source": "notes.pdf, p. 2", "excerpt": passages[1]["text"], "pinned": True}
    ]
    report = (await api.client.get(f"/api/sessions/{session_id}/report")).json()
    [start] = report["rooms"][0]["context_passages"]
    assert start["avatar_session_id"] == row.id
    assert [p["source"] for p in start["passages"]] == ["notes.pdf, p. 2"]


async def test_a_rooms_course_passages_are_found_by_their_words(api: Api) -> None:
    session_id, room_id = await _session_room(api)
    await _upload(api, "notes.pdf", NOTES)
    await _upload(api, "other.pdf", NOTES, course="Other course")
    found = await api.client.get(f"/api/sessions/{session_id}/rooms/{room_id}/passages", params={"q": "merging"})
    assert [p["source"] for p in found.json()["passages"]] == ["notes.pdf, p. 2"]
    stop_words = await api.client.get(f"/api/sessions/{session_id}/rooms/{room_id}/passages", params={"q": "how the"})
    assert stop_words.status_code == 200 and stop_words.json()["passages"] == []
