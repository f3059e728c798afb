"""Page objects for the dashboard, for Playwright's async API: sign-in, the session list, the start-session
form, the live monitor with its summary bar and room cards. Waiting methods (`expect_*`) retry until the page
shows what is asked or `within_ms` (default `TIMEOUT_MS`) passes, so tests never sleep; against the real farm
give rooms longer to go live, e.g. `await room.expect_colour("green", within_ms=90_000)`.

    dashboard = Dashboard(page, server.base_url)
    await dashboard.sign_in(token)
    monitor = await dashboard.open_session(session_id)
    room = monitor.room("Room 1")
    await room.expect_colour("green")
    await room.expand()
    await room.say("Let us look at your base case.")
"""

from __future__ import annotations

import re
from pathlib import Path

from playwright.async_api import Locator, Page, expect

TIMEOUT_MS = 20_000
COLOURS = ("green", "blue", "yellow", "red", "grey")


class Dashboard:
    """The whole dashboard in one browser page."""

    def __init__(self, page: Page, base_url: str) -> None:
        self.page = page
        self.base_url = base_url.rstrip("/")

    def url(self, path: str) -> str:
        return self.base_url + path

    async def sign_in(self, token: str, *, next_path: str | None = None) -> None:
        """Sign in through the form; waits until the page after sign-in has loaded."""
        target = "/dashboard/sign-in" + (f"?next={next_path}" if next_path else "")
        await self.page.goto(self.url(target))
        await self.fill_sign_in(token)
        await expect(self.page).not_to_have_url(re.compile(r"/dashboard/sign-in"), timeout=TIMEOUT_MS)

    async def fill_sign_in(self, token: str) -> None:
        await self.page.get_by_label("API token").fill(token)
        await self.page.get_by_role("button", name="Sign in").click()

    async def sign_out(self) -> None:
        await self.page.get_by_role("button", name="Sign out").click()
        await expect(self.page).to_have_url(re.compile(r"/dashboard/sign-in"), timeout=TIMEOUT_MS)

    def sign_in_error(self) -> Locator:
        return self.page.locator("#token-error")

    async def open_sessions(self) -> SessionList:
        await self.page.goto(self.url("/dashboard"))
        await expect(self.page.get_by_role("heading", name="Sessions", exact=True)).to_be_visible()
        return SessionList(self.page)

    async def open_new_session(self) -> StartForm:
        await self.page.goto(self.url("/dashboard/sessions/new"))
        form = StartForm(self.page)
        await expect(form.rows).to_have_count(1, timeout=TIMEOUT_MS)
        return form

    async def open_session(self, session_id: str) -> SessionMonitor:
        await self.page.goto(self.url(f"/dashboard/sessions/{session_id}"))
        monitor = SessionMonitor(self.page)
        await monitor.wait_loaded()
        return monitor


class SessionList:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.rows = page.locator("#session-list tbody tr")

    def row(self, session_id: str) -> Locator:
        return self.page.locator(f'#session-list tr[data-session-id="{session_id}"]')

    async def open(self, session_id: str) -> SessionMonitor:
        await self.row(session_id).get_by_role("link").click()
        monitor = SessionMonitor(self.page)
        await monitor.wait_loaded()
        return monitor


class StartForm:
    """The start-session form. Field names are the API's (`meeting.number`, `rooms[1].student.name`)."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.form = page.locator("#start-session")
        self.rows = page.locator("#room-rows > li")
        self.problems = page.locator("#form-problems")

    async def existing_meeting(self, number: str, passcode: str = "") -> None:
        await self.page.get_by_label("An existing Zoom meeting").check()
        await self.page.get_by_label("Meeting number").fill(number)
        await self.page.get_by_label("Passcode").fill(passcode)

    async def create_meeting(self, topic: str) -> None:
        await self.page.get_by_label("Create a new meeting").check()
        await self.page.get_by_label("Topic").fill(topic)

    async def professor(self, name: str, avatar_id: str, *, voice_id: str = "", teaching_style: str = "") -> None:
        await self.page.get_by_label("Name", exact=True).fill(name)
        await self.page.get_by_label("Avatar id").fill(avatar_id)
        await self.page.get_by_label("Voice id").fill(voice_id)
        await self.page.get_by_label("Teaching style").fill(teaching_style)

    async def course(self, name: str, material: str = "") -> None:
        await self.page.get_by_label("Course name").fill(name)
        await self.page.get_by_label("Course material").fill(material)

    async def add_room(self) -> None:
        count = await self.rows.count()
        await self.page.get_by_role("button", name="Add a room").click()
        await expect(self.rows).to_have_count(count + 1)

    async def remove_room(self, index: int) -> None:
        count = await self.rows.count()
        await self.page.get_by_role("button", name=f"Remove room {index + 1}").click()
        await expect(self.rows).to_have_count(count - 1)

    async def room(self, index: int, name: str, student: str, background: str = "") -> None:
        """Fill room row `index` (0-based), adding rows as needed."""
        while await self.rows.count() <= index:
            await self.add_room()
        row = self.rows.nth(index)
        await row.get_by_label("Room name").fill(name)
        await row.get_by_label("Student", exact=True).fill(student)
        await row.get_by_label("About the student").fill(background)

    async def rooms(self, rooms: list[tuple[str, str]]) -> None:
        for index, (name, student) in enumerate(rooms):
            await self.room(index, name, student)
        while await self.rows.count() > len(rooms):
            await self.remove_room(await self.rows.count() - 1)

    async def submit(self) -> None:
        await self.page.get_by_role("button", name="Start the session").click()

    async def submit_and_open(self) -> SessionMonitor:
        await self.submit()
        await expect(self.page).to_have_url(re.compile(r"/dashboard/sessions/ses_"), timeout=TIMEOUT_MS)
        monitor = SessionMonitor(self.page)
        await monitor.wait_loaded()
        return monitor

    def error_for(self, field: str) -> Locator:
        """The message shown beside a field (or beside its fieldset or room row, for `meeting`, `rooms[1]`)."""
        holder = self.form.locator(f'[data-field="{field}"]').first
        return holder.locator(":scope > .field-error, :scope > fieldset > .row-error, :scope > .row-error").first

    def input_for(self, field: str) -> Locator:
        return self.form.locator(f'[data-field="{field}"] input, [data-field="{field}"] textarea').first

    async def expect_error(self, field: str, text: str | re.Pattern[str]) -> None:
        await expect(self.error_for(field)).to_be_visible(timeout=TIMEOUT_MS)
        await expect(self.error_for(field)).to_contain_text(text)


class SessionMonitor:
    """The live monitor of one session."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.root = page.locator("#monitor")
        self.cards = page.locator("#room-grid > li.room-card")
        self.connection = page.locator("#connection")
        self.problem = page.locator("#page-problem")

    @property
    def session_id(self) -> str:
        match = re.search(r"/dashboard/sessions/([^/?#]+)", self.page.url)
        assert match, self.page.url
        return match.group(1)

    async def wait_loaded(self, *, within_ms: float = TIMEOUT_MS) -> None:
        await expect(self.root).to_have_attribute("data-loaded", "true", timeout=within_ms)

    async def expect_live_updates(self, *, within_ms: float = TIMEOUT_MS) -> None:
        await expect(self.connection).to_have_attribute("data-state", "live", timeout=within_ms)

    def room(self, name: str) -> RoomCard:
        card = self.cards.filter(has=self.page.locator("h3.room-name", has_text=re.compile(f"^{re.escape(name)}$")))
        return RoomCard(self.page, card)

    def room_by_id(self, room_id: str) -> RoomCard:
        return RoomCard(self.page, self.page.locator(f'#room-grid > li[data-room-id="{room_id}"]'))

    def summary(self, key: str) -> Locator:
        """rooms ("2 / 6"), avatars, minutes, credits, budget."""
        return self.page.locator(f'#summary [data-summary="{key}"]')

    async def expect_summary(self, key: str, text: str | re.Pattern[str], *, within_ms: float = TIMEOUT_MS) -> None:
        await expect(self.summary(key)).to_have_text(text, timeout=within_ms)

    async def expect_session_status(self, status: str, *, within_ms: float = TIMEOUT_MS) -> None:
        await expect(self.root).to_have_attribute("data-status", status, timeout=within_ms)

    async def end_session(self, *, confirm: bool = True) -> None:
        """Press End session, then confirm (or keep it running) in the dialog."""
        await self.page.get_by_role("button", name="End session").first.click()
        dialog = self.page.get_by_role("dialog", name="End this session?")
        await expect(dialog).to_be_visible()
        if confirm:
            await dialog.get_by_role("button", name="End session").click()
        else:
            await dialog.get_by_role("button", name="Keep it running").click()
        await expect(dialog).to_be_hidden()

    async def screenshot(self, path: Path, *, full_page: bool = True) -> bytes:
        path.parent.mkdir(parents=True, exist_ok=True)
        return await self.page.screenshot(path=str(path), full_page=full_page)


class RoomCard:
    """One room of the grid."""

    def __init__(self, page: Page, locator: Locator) -> None:
        self.page = page
        self.locator = locator
        self.name = locator.locator("h3.room-name")
        self.student = locator.locator(".student-name")
        self.student_label = locator.locator(".student-label")
        self.state = locator.locator(".state-text")
        self.reason = locator.locator(".reason")
        self.avatar = locator.locator(".indicator.avatar")
        self.talking = locator.locator(".indicator.talking")
        self.thumbnail = locator.locator("img.thumb-img")
        self.no_picture = locator.locator(".thumb-empty")
        self.time_in_room = locator.locator(".time-in-room")
        self.credits = locator.locator(".credits")
        self.expand_button = locator.get_by_role("button", name="Details and controls")
        self.details = locator.locator(".room-details")
        self.control_status = locator.locator(".control-status")
        self.transcript = locator.locator("ol.transcript > li")
        self.timeline = locator.locator("ol.timeline > li")

    def stat(self, key: str) -> Locator:
        """Media stat: video, level-out, level-in, people, avatar, updated."""
        return self.locator.locator(f".stat-{key}")

    async def room_id(self) -> str:
        value = await self.locator.get_attribute("data-room-id")
        assert value is not None
        return value

    async def colour(self) -> str | None:
        return await self.locator.get_attribute("data-colour")

    async def expect_colour(self, colour: str, *, within_ms: float = TIMEOUT_MS) -> None:
        assert colour in COLOURS, colour
        await expect(self.locator).to_have_attribute("data-colour", colour, timeout=within_ms)

    async def expect_status(self, status: str, *, within_ms: float = TIMEOUT_MS) -> None:
        await expect(self.locator).to_have_attribute("data-status", status, timeout=within_ms)

    async def expect_state(
        self, status: str, colour: str, words: str | re.Pattern[str] | None = None, *, within_ms: float = TIMEOUT_MS
    ) -> None:
        """The room's status (`live`, `failed`, …), its colour and, if given, its state in words."""
        await self.expect_status(status, within_ms=within_ms)
        await self.expect_colour(colour, within_ms=within_ms)
        if words is not None:
            await expect(self.state).to_have_text(words, timeout=within_ms)

    async def expect_avatar(self, present: bool, *, within_ms: float = TIMEOUT_MS) -> None:
        await expect(self.avatar).to_have_attribute("data-on", str(present).lower(), timeout=within_ms)

    async def expect_talking(self, talking: bool, *, within_ms: float = TIMEOUT_MS) -> None:
        await expect(self.talking).to_have_attribute("data-on", str(talking).lower(), timeout=within_ms)

    async def thumbnail_src(self) -> str | None:
        return await self.thumbnail.get_attribute("src")

    async def expect_thumbnail_loaded(self, *, within_ms: float = TIMEOUT_MS) -> str:
        """Waits for a visible, decoded thumbnail; returns its URL."""
        await expect(self.thumbnail).to_be_visible(timeout=within_ms)
        image = await self.thumbnail.element_handle()
        await self.page.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=image, timeout=within_ms)
        src = await self.thumbnail_src()
        assert src is not None
        return src

    async def expand(self) -> None:
        if await self.expand_button.get_attribute("aria-expanded") != "true":
            await self.expand_button.click()
        await expect(self.details).to_be_visible(timeout=TIMEOUT_MS)

    async def collapse(self) -> None:
        if await self.expand_button.get_attribute("aria-expanded") == "true":
            await self.expand_button.click()
        await expect(self.details).to_be_hidden(timeout=TIMEOUT_MS)

    async def _sent(self, what: str) -> None:
        await expect(self.control_status).to_have_text(f"{what} sent.", timeout=TIMEOUT_MS)

    async def say(self, text: str, *, expect_sent: bool = True) -> None:
        await self.expand()
        await self.locator.get_by_label("Say (the avatar speaks it word for word)").fill(text)
        await self.locator.get_by_role("button", name="Say", exact=True).click()
        if expect_sent:
            await self._sent("Say")

    async def interrupt(self, *, expect_sent: bool = True) -> None:
        await self.expand()
        await self.locator.get_by_role("button", name="Interrupt").click()
        if expect_sent:
            await self._sent("Interrupt")

    async def restart(self, *, expect_sent: bool = True) -> None:
        await self.expand()
        await self.locator.get_by_role("button", name="Restart the bot").click()
        if expect_sent:
            await self._sent("Restart")

    async def leave(self, *, expect_sent: bool = True) -> None:
        await self.expand()
        await self.locator.get_by_role("button", name="Leave the room").click()
        if expect_sent:
            await self._sent("Leave")

    async def update_instructions(self, text: str, *, expect_sent: bool = True) -> None:
        await self.expand()
        await self.locator.get_by_label("Instructions for this room's avatar").fill(text)
        await self.locator.get_by_role("button", name="Update instructions").click()
        if expect_sent:
            await self._sent("Instructions")

    async def expect_transcript_line(self, text: str | re.Pattern[str], *, within_ms: float = TIMEOUT_MS) -> None:
        """A line of the live transcript (the room must be expanded)."""
        await expect(self.transcript.filter(has_text=text).first).to_be_visible(timeout=within_ms)

    async def expect_timeline_entry(self, text: str | re.Pattern[str], *, within_ms: float = TIMEOUT_MS) -> None:
        """An event of the room's timeline, in words (the room must be expanded)."""
        await expect(self.timeline.filter(has_text=text).first).to_be_visible(timeout=within_ms)
