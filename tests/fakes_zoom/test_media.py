"""Real audio and video between participant pages (the browser's fake camera and microphone), asserted from
what each client reports receiving: frames that change and are not black, and audio levels. Media follows
the breakout room each participant is in."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest
from playwright.async_api import Browser, Page

from tests.fakes_zoom.harness import FakeZoom

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

SPEECH_LEVEL = 0.005  # mean RMS of a second of espeak speech is well above this; silence is ~0
SILENCE_LEVEL = 0.001


def sees(entry: dict[str, Any] | None) -> bool:
    """Live video: frames arrive, the picture changes between samples and is not black."""
    return bool(
        entry
        and entry["videoFps"] >= 3
        and entry["width"] > 0
        and entry["videoChanging"] is True
        and entry["videoBlack"] is False
    )


def hears(entry: dict[str, Any] | None) -> bool:
    return bool(entry and entry["audioLevel"] >= SPEECH_LEVEL)


def no_video(entry: dict[str, Any] | None) -> bool:
    return bool(entry and entry["videoFps"] == 0 and entry["videoChanging"] is False)


def silent(entry: dict[str, Any] | None) -> bool:
    return bool(entry and entry["audioLevel"] < SILENCE_LEVEL)


class Media:
    """What each participant receives from each other participant, by name, from the roster."""

    def __init__(self, roster: dict[str, Any]) -> None:
        self.people = {p["name"]: p for p in roster["participants"]}

    def received(self, receiver: str, sender: str) -> dict[str, Any] | None:
        person = self.people.get(receiver)
        if person is None or person["media"]["age_s"] is None or person["media"]["age_s"] > 5:
            return None
        return next((e for e in person["media"]["receiving"] if e["name"] == sender), None)

    def senders(self, receiver: str) -> set[str]:
        person = self.people.get(receiver)
        return {e["name"] for e in person["media"]["receiving"]} if person else set()

    def room(self, name: str) -> str | None:
        person = self.people.get(name)
        return person["room"]["name"] if person and person["room"] else None


async def until(
    zoom: FakeZoom, number: str, condition: Callable[[Media], bool], what: str, within: float = 60
) -> Media:
    """Poll the roster until the condition holds (generous: the machine is shared and slow)."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        media = Media(await zoom.roster(number))
        if condition(media):
            return media
        if asyncio.get_running_loop().time() > deadline:
            summary = {
                name: [
                    {k: e.get(k) for k in ("name", "audioLevel", "videoFps", "width", "videoChanging", "videoBlack")}
                    for e in p["media"]["receiving"]
                ]
                for name, p in media.people.items()
            }
            raise AssertionError(f"not within {within}s: {what}; receiving: {summary}")
        await asyncio.sleep(0.5)


async def open_participant(browser: Browser, zoom: FakeZoom, number: str, query: str) -> Page:
    context = await browser.new_context()
    page = await context.new_page()
    await page.goto(f"{zoom.base_url}/join/{number}?{query}")
    return page


async def test_three_participants_and_media_following_breakout_rooms(
    chromium: Browser, module_zoom: FakeZoom, meeting_number: str
) -> None:
    zoom, number = module_zoom, meeting_number
    await zoom.create_meeting(
        number=number,
        breakout_rooms=["Room 1"],
        breakout_options={"isRoomSelectionEnabled": True},
        audio_playback="split",
    )
    await zoom.add_virtual(number, name="Professor", host=True)
    room = quote("Room 1")
    pages = [
        await open_participant(chromium, zoom, number, f"name=Alice&room={room}"),
        await open_participant(chromium, zoom, number, f"name=Bob&room={room}&video=0"),
        await open_participant(chromium, zoom, number, "name=Carol&audio=0"),
    ]
    try:
        # Main session, three browsers: Alice sends audio+video, Bob audio only, Carol video only.
        def main_session(media: Media) -> bool:
            return (
                sees(media.received("Bob", "Alice"))
                and hears(media.received("Bob", "Alice"))
                and sees(media.received("Carol", "Alice"))
                and hears(media.received("Carol", "Alice"))
                and hears(media.received("Alice", "Bob"))
                and hears(media.received("Carol", "Bob"))
                and sees(media.received("Alice", "Carol"))
                and sees(media.received("Bob", "Carol"))
            )

        media = await until(zoom, number, main_session, "everyone receives everyone in the main session")
        assert no_video(media.received("Alice", "Bob")) and no_video(media.received("Carol", "Bob"))
        assert silent(media.received("Alice", "Carol")) and silent(media.received("Bob", "Carol"))
        assert media.senders("Alice") == {"Bob", "Carol"}  # the virtual professor has no media
        # Remote audio is played through both paths across the meeting ("split").
        paths = {e["audioPath"] for p in media.people.values() for e in p["media"]["receiving"]}
        assert paths == {"webaudio", "element"}

        # Breakout rooms open: Alice and Bob choose Room 1 (self-select), Carol stays in the main session.
        await zoom.post(f"/fake/meetings/{number}/breakout/open")
        await until(
            zoom,
            number,
            lambda m: m.room("Alice") == "Room 1" and m.room("Bob") == "Room 1" and m.room("Carol") is None,
            "Alice and Bob in Room 1",
        )
        # Bob starts his camera with the toolbar in the room: now two participants with audio and video.
        await pages[1].get_by_role("button", name="Start Video").click()

        def in_room(media: Media) -> bool:
            return (
                media.senders("Alice") == {"Bob"}
                and media.senders("Bob") == {"Alice"}
                and media.senders("Carol") == set()
                and sees(media.received("Alice", "Bob"))
                and hears(media.received("Alice", "Bob"))
                and sees(media.received("Bob", "Alice"))
                and hears(media.received("Bob", "Alice"))
            )

        await until(zoom, number, in_room, "Alice and Bob see and hear only each other; Carol no one")

        # Closing the rooms brings everyone back, and with them the media of the main session.
        await zoom.post(f"/fake/meetings/{number}/breakout/close", wait_seconds=0)

        def back(media: Media) -> bool:
            return (
                media.room("Alice") is None
                and media.senders("Carol") == {"Alice", "Bob"}
                and sees(media.received("Carol", "Bob"))
                and hears(media.received("Carol", "Bob"))
                and sees(media.received("Alice", "Carol"))
            )

        await until(zoom, number, back, "everyone together again after the rooms closed")
        # The page shows remote video in zoomAppRoot.
        tiles = await pages[2].locator(".fz-tile video").count()
        assert tiles == 2
    finally:
        for page in pages:
            await page.context.close()


async def test_mute_silences_and_leaving_stops_media(
    chromium: Browser, module_zoom: FakeZoom, meeting_number: str
) -> None:
    zoom, number = module_zoom, meeting_number
    await zoom.create_meeting(number=number, audio_playback="webaudio")
    speaker = await open_participant(chromium, zoom, number, "name=Dana&video=0")
    listener = await open_participant(chromium, zoom, number, "name=Eve&video=0")
    try:
        media = await until(zoom, number, lambda m: hears(m.received("Eve", "Dana")), "Eve hears Dana")
        dana = media.people["Dana"]["user_id"]
        speakers = await listener.wait_for_function(
            """(id) => window.fakeZoomParticipant.events.find(
                 (e) => e.name === 'active-speaker' && e.payload[0].userId === id)""",
            arg=dana,
            timeout=30_000,
        )
        assert (await speakers.json_value())["payload"] == [{"userId": dana, "displayName": "Dana"}]
        await speaker.get_by_role("button", name="Mute", exact=True).click()
        media = await until(
            zoom,
            number,
            lambda m: silent(m.received("Eve", "Dana")) and m.people["Dana"]["muted"],
            "Dana muted",
        )
        assert media.received("Eve", "Dana")["audioPath"] == "webaudio"  # type: ignore[index]
        await speaker.get_by_role("button", name="Unmute", exact=True).click()
        await until(zoom, number, lambda m: hears(m.received("Eve", "Dana")), "Eve hears Dana again")
        await speaker.get_by_role("button", name="Leave").click()
        await until(zoom, number, lambda m: set(m.people) == {"Eve"} and m.senders("Eve") == set(), "Dana gone")
        assert await speaker.evaluate("document.body.dataset.state") == "closed"
    finally:
        await speaker.context.close()
        await listener.context.close()
