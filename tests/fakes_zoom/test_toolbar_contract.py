"""Contract with the Component View toolbar of the @zoom/meetingsdk bundle the farm serves: its compiled en-US
dictionary and the title expressions of its audio and video items, resolved state by state by the bundle's own
code (tests/fakes_zoom/component_view_bundle.py). The fake must draw exactly that, and the adapter
(bot_page/js/meeting/zoom.js) must press exactly that; an SDK upgrade that changes a title fails here."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.async_api import Browser

from tests.fakes_zoom.app_page import AppPage
from tests.fakes_zoom.component_view_bundle import (
    BundleChanged,
    ToolbarState,
    bundle_text,
    en_us,
    read_toolbar,
    resolve,
)
from tests.fakes_zoom.harness import FakeZoom
from tests.support.servers import RunningServer

ROOT = Path(__file__).resolve().parents[2]
CORE_JS = ROOT / "fakes/zoom/static/sdk/core.js"
ADAPTER_JS = ROOT / "bot_page/js/meeting/zoom.js"

NOT_JOINED = ToolbarState()
UNMUTED = ToolbarState(isStartedAudio=True)
MUTED = ToolbarState(isStartedAudio=True, isMuted=True)
MUTED_VIDEO_ON = ToolbarState(isStartedAudio=True, isMuted=True, isStartedVideo=True)
ATTENDEE = ToolbarState(isWebinar=True, isAttendee=True, isAllowToTalk=False)
ATTENDEE_LISTENING = ToolbarState(isWebinar=True, isAttendee=True, isAllowToTalk=False, isStartedAudio=True)

DRAWN = """() => [...document.querySelectorAll('#zoom-root button[data-fz-item]')]
  .filter((b) => b.offsetParent !== null)
  .map((b) => ({ item: b.dataset.fzItem, title: b.title, text: b.textContent }))"""


def adapter_titles() -> dict[str, str]:
    source = ADAPTER_JS.read_text(encoding="utf-8")
    block = re.search(r"export const TOOLBAR_TITLES = Object\.freeze\(\{(.*?)\}\);", source, flags=re.S)
    assert block is not None, "bot_page/js/meeting/zoom.js no longer has its TOOLBAR_TITLES table"
    return dict(re.findall(r"(\w+): \"([^\"]+)\"", block.group(1)))


def test_in_a_meeting_the_audio_button_reads_audio_until_joined_and_join_audio_is_a_webinar_attendees() -> None:
    """The facts the issue was found with, read from the served bundle itself."""
    assert resolve(NOT_JOINED).items[:2] == ("Audio", "Video")
    assert resolve(NOT_JOINED).titles["Audio"] == "Audio"
    assert resolve(UNMUTED).titles["Audio"] == "Mute"
    assert resolve(MUTED).titles["Audio"] == "Unmute"
    for state in (NOT_JOINED, UNMUTED, MUTED, MUTED_VIDEO_ON):
        assert "JoinAudio" not in resolve(state).items
    assert "JoinAudio" in resolve(ATTENDEE).items and "Audio" not in resolve(ATTENDEE).items
    assert resolve(ATTENDEE).titles["JoinAudio"] == "Join Audio"
    assert "JoinAudio" not in resolve(ATTENDEE_LISTENING).items


def test_the_adapter_presses_the_titles_the_bundle_draws() -> None:
    titles = adapter_titles()
    assert titles == {
        "audioNotJoined": resolve(NOT_JOINED).titles["Audio"],
        "webinarJoinAudio": resolve(ATTENDEE).titles["JoinAudio"],
        "muted": resolve(MUTED).titles["Audio"],
        "unmuted": resolve(UNMUTED).titles["Audio"],
        "videoOff": resolve(NOT_JOINED).titles["Video"],
        "videoOn": resolve(MUTED_VIDEO_ON).titles["Video"],
    }


def test_every_string_the_fake_draws_is_the_served_bundles() -> None:
    core = CORE_JS.read_text(encoding="utf-8")
    block = core[core.index("const STRINGS = {") : core.index("};", core.index("const STRINGS = {"))]
    strings = re.findall(r"^\s*'?([\w.]+)'?: '([^']*)',$", block, flags=re.M)
    assert len(strings) >= 20
    dictionary = en_us()
    for key, text in strings:
        assert dictionary.get(key) == text, key
    # The fake's title expressions name the keys the bundle's expressions resolve to.
    for state in (NOT_JOINED, UNMUTED, MUTED, MUTED_VIDEO_ON):
        drawn = resolve(state)
        assert f"'{drawn.title_keys['Audio']}'" in core[core.index("function audioTitleKey") :]
        assert f"'{drawn.title_keys['Video']}'" in core[core.index("function videoTitleKey") :]


def test_audio_and_video_never_sit_inside_more() -> None:
    """In 6.2.0 "More" holds panels (participants, chat, settings, report), never the audio or video item."""
    text = bundle_text()
    more = text.index('iconType:"icon-more",disabled:')
    menu = text[text.rfind("useMemo)(function(){return[{items:[", 0, more) : more]
    assert '"wc_qa.setting_btn_name"' in menu and '"security.report"' in menu
    for key in ("wc_audio", "toolbar_join_audio", "toolbar_mute", "wc_video.start_video"):
        assert f'"{key}"' not in menu, key


@pytest.mark.parametrize(
    ("changed", "message"),
    [
        ('x?T?"toolbar_unmute":"toolbar_mute":"wc_audio"', None),
        ('e[e.Audio=0]="Audio"', "toolbar-item enum"),
        ("isStartedAudio", "isStartedAudio"),
    ],
)
def test_an_sdk_upgrade_that_changes_the_toolbar_fails_loudly(changed: str, message: str | None) -> None:
    text = bundle_text()
    assert changed in text
    if message is None:
        # Zoom draws "Join Audio" in meetings again: the resolved title changes, and the adapter check would fail.
        upgraded = text.replace(changed, 'x?T?"toolbar_unmute":"toolbar_mute":"toolbar_join_audio"', 1)
        assert resolve(NOT_JOINED, read_toolbar(upgraded)).titles["Audio"] == "Join Audio"
        assert adapter_titles()["audioNotJoined"] != "Join Audio"
        return
    with pytest.raises(BundleChanged, match=message):
        read_toolbar(text.replace(changed, "renamedByAnUpgrade"))


async def _drawn(app: AppPage) -> list[dict[str, str]]:
    drawn: list[dict[str, str]] = await app.page.evaluate(DRAWN)
    return drawn


async def _expect(app: AppPage, state: ToolbarState) -> None:
    want = resolve(state)

    async def matches() -> bool:
        drawn = await _drawn(app)
        return [d["item"] for d in drawn] == list(want.items) and all(
            d["title"] == want.titles[d["item"]] and not d["text"] for d in drawn if d["item"] in want.titles
        )

    try:
        await app.wait_for(matches, within=10)
    except AssertionError:
        raise AssertionError(f"the fake draws {await _drawn(app)}; the bundle draws {want}") from None


@pytest.mark.browser
@pytest.mark.asyncio(loop_scope="session")
async def test_the_fake_draws_the_meeting_toolbar_state_by_state(
    chromium: Browser, app_origin: RunningServer, module_zoom: FakeZoom, meeting_number: str
) -> None:
    await module_zoom.create_meeting(number=meeting_number)
    app = await AppPage.open(chromium, app_origin, module_zoom)
    try:
        assert (await app.join(meeting_number, "Avatar"))["ok"] is True
        await _expect(app, NOT_JOINED)
        await app.page.get_by_role("button", name="Audio", exact=True).click()
        await _expect(app, UNMUTED)
        await app.page.get_by_role("button", name="Mute", exact=True).click()
        await _expect(app, MUTED)
        await app.page.get_by_role("button", name="Start Video", exact=True).click()
        await _expect(app, MUTED_VIDEO_ON)
        # "More" holds Chat, Settings and Report; Settings opens tabs, one of them also reading "Audio".
        await app.page.get_by_role("button", name="More", exact=True).click()
        entries = await app.page.get_by_role("menuitem").all_inner_texts()
        assert entries == ["Chat", "Settings", "Report"]
        await app.page.get_by_role("menuitem", name="Settings").click()
        assert await app.page.get_by_role("tab", name="Audio", exact=True).is_visible()
        await _expect(app, MUTED_VIDEO_ON)
    finally:
        await app.close()


@pytest.mark.browser
@pytest.mark.asyncio(loop_scope="session")
async def test_the_fake_draws_a_webinar_attendees_toolbar(
    chromium: Browser, app_origin: RunningServer, module_zoom: FakeZoom, meeting_number: str
) -> None:
    await module_zoom.create_meeting(number=meeting_number, webinar=True)
    await module_zoom.add_virtual(meeting_number, name="Professor", host=True)
    app = await AppPage.open(chromium, app_origin, module_zoom)
    try:
        assert (await app.join(meeting_number, "Listener"))["ok"] is True
        await _expect(app, ATTENDEE)
        await app.page.get_by_role("button", name="Join Audio", exact=True).click()
        await _expect(app, ATTENDEE_LISTENING)

        # The toolbar redraws at once; the user's audio in getCurrentUser comes back with the meeting's roster.
        async def joined_audio() -> dict[str, object] | None:
            me: dict[str, object] = await app.value("getCurrentUser")
            return me if me["audio"] == "computer" else None

        me = await app.wait_for(joined_audio, within=10)
        assert me["muted"] is True
    finally:
        await app.close()


def _consent_component() -> str:
    text = bundle_text()
    title = text.index('"wc_record_reminder_webinar_title":"wc_record_reminder_title"')
    return text[title - 6000 : title + 4000]


def test_the_recording_consent_dialog_is_the_bundles() -> None:
    component = _consent_component()
    assert '"aria-label":"Recording Consent"' in component
    for key in ("wc_record_reminder_desc", "wc_join_media_preview_info_confirm", "dialog.btn_leaveconf_meeting"):
        assert f'"{key}"' in component, key
    strings = en_us()
    source = ADAPTER_JS.read_text(encoding="utf-8")
    block = re.search(r"export const RECORDING_CONSENT = Object\.freeze\(\{(.*?)\}\);", source, flags=re.S)
    assert block is not None
    assert dict(re.findall(r"(\w+): \"([^\"]+)\"", block.group(1))) == {
        "title": strings["wc_record_reminder_title"],
        "consent": strings["wc_join_media_preview_info_confirm"],
    }


CONSENT = """() => {
  const dialog = [...document.querySelectorAll('[role=dialog]')].find((d) => d.querySelector('h1'));
  return dialog ? { title: dialog.querySelector('h1').textContent,
                    buttons: [...dialog.querySelectorAll('button')].map((b) => b.textContent) } : null;
}"""


@pytest.mark.browser
@pytest.mark.asyncio(loop_scope="session")
async def test_recording_asks_for_consent_and_holds_media_until_got_it(
    chromium: Browser, app_origin: RunningServer, module_zoom: FakeZoom, meeting_number: str
) -> None:
    await module_zoom.create_meeting(number=meeting_number)
    first = await AppPage.open(chromium, app_origin, module_zoom)
    late = await AppPage.open(chromium, app_origin, module_zoom)
    try:
        assert (await first.join(meeting_number, "Early"))["ok"] is True
        await first.page.get_by_role("button", name="Audio", exact=True).click()
        await first.page.get_by_role("button", name="Mute", exact=True).wait_for()
        assert await first.page.evaluate(CONSENT) is None
        await module_zoom.post(f"/fake/meetings/{meeting_number}/recording", status="Recording")
        await first.wait_for(lambda: first.events("recording-change"))
        assert await first.events("recording-change") == ["Recording"]
        dialog = await first.wait_for(lambda: first.page.evaluate(CONSENT))
        assert dialog == {"title": "This meeting is being recorded", "buttons": ["Got it", "Leave Meeting"]}
        # Muted with video off until consent: unmuting and starting video do nothing.
        await first.wait_for(lambda: _me(first, muted=True))
        await first.call("mute", False)
        await first.page.get_by_role("button", name="Start Video", exact=True).click()
        me = await first.value("getCurrentUser")
        assert me["muted"] is True and me["video"] is False

        # A late joiner gets the dialog as it arrives.
        assert (await late.join(meeting_number, "Late"))["ok"] is True
        assert await late.wait_for(lambda: late.page.evaluate(CONSENT))

        await first.page.get_by_role("button", name="Got it", exact=True).click()
        await first.wait_for(lambda: _gone(first))
        await first.call("mute", False)
        await first.wait_for(lambda: _me(first, muted=False))
        person = await module_zoom.person(meeting_number, "Early")
        assert person["recording_consent"] is True
        assert (await module_zoom.person(meeting_number, "Late"))["recording_consent"] is False
    finally:
        await first.close()
        await late.close()


async def _me(app: AppPage, *, muted: bool) -> bool:
    me = await app.value("getCurrentUser")
    return bool(me) and me["muted"] is muted


async def _gone(app: AppPage) -> bool:
    return await app.page.evaluate(CONSENT) is None
