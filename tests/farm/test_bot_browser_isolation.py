"""What a bot's Chromium is given and what it may tell the farm, with real Chromium on loopback pages: no secret
in any of its processes' environments, reports only from the bot page's main frame, console lines without
query strings and within a budget, and a page that does not load takes its one-time ticket with it (a ticket
whose clock starts once the browser is ready)."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import shutil
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Playwright
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from farm.browsers.browser_node import (
    BOT_ARGS,
    BOT_DISABLED_FEATURES,
    BOT_ENABLED_FEATURES,
    ON_DEVICE_MODEL_CLASS_ARG,
    BotBrowser,
    LocalBrowserNode,
)
from farm.browsers.chromium import chromium_executable, feature_args
from farm.browsers.console_lines import ConsoleBudget
from farm.browsers.orphans import Owner, browsers_of
from farm.room.bot_launch import LaunchRefused, launch_bot
from farm.room.bot_page_config import PRODUCT_TIMINGS, PageTimings
from farm.room.bot_tickets import BotTickets
from farm.settings import Settings, load_settings
from farm.vendors.zoom_client import ZoomClient
from state.models import Course, Meeting, Professor, Room, Session, SessionStatus, Student
from state.vocabulary import RoomStatus
from tests.support.polling import until
from tests.support.ports import free_port
from tests.support.process_tree import argv, environment, process_kind, seccomp_mode, tree, user_namespace
from tests.support.servers import RunningServer, serve_app

pytestmark = pytest.mark.browser

SECRETS = {
    "AVATARFARM_LIVEAVATAR_API_KEY": "la-key-must-not-leak-5d1c",
    "AVATARFARM_ZOOM_SDK_SECRET": "zoom-secret-must-not-leak-77ab",
    "AVATARFARM_API_TOKEN": "api-token-must-not-leak-90fe",
    "AVATARFARM_BROWSER_NODE_TOKEN": "node-token-must-not-leak-3c2e",
}
LIVEKIT_TOKEN = "eyJhbGciOiJIUzI1NiJ9.livekit-token-must-not-leak"

MAIN_PAGE = """<!doctype html><title>bot</title>
<iframe src="/frame"></iframe>
<script>window.avatarfarmReport({type: "heartbeat", state: "from-main"});</script>"""
FRAME_PAGE = """<!doctype html><title>sdk frame</title>
<script>
window.avatarfarmReport({type: "heartbeat", state: "from-iframe-1"});
window.avatarfarmReport({type: "heartbeat", state: "from-iframe-2"});
</script>"""
NOISY_PAGE = f"""<!doctype html><title>noisy</title>
<script>
console.error("could not reach wss://lk.example/rtc?access_token={LIVEKIT_TOKEN}&auto_subscribe=1");
console.warn("retrying /rtc/validate?access_token={LIVEKIT_TOKEN}");
for (let i = 0; i < 100; i++) console.error("noise " + i);
</script>"""


async def _main(_: Request) -> HTMLResponse:
    return HTMLResponse(MAIN_PAGE)


async def _frame(_: Request) -> HTMLResponse:
    return HTMLResponse(FRAME_PAGE)


async def _noisy(_: Request) -> HTMLResponse:
    return HTMLResponse(NOISY_PAGE)


async def _no_icon(_: Request) -> Response:
    return Response(status_code=204)


async def _broken_bot_page(_: Request) -> PlainTextResponse:
    return PlainTextResponse("template error", status_code=500)


@pytest.fixture
async def pages() -> AsyncIterator[RunningServer]:
    app = Starlette(
        routes=[
            Route("/main", _main),
            Route("/frame", _frame),
            Route("/noisy", _noisy),
            Route("/bot/{ticket}", _broken_bot_page),
            Route("/favicon.ico", _no_icon),  # no 404 console line of its own
        ]
    )
    async with serve_app(app) as server:
        yield server


@pytest.fixture
async def node() -> AsyncIterator[LocalBrowserNode]:
    node = LocalBrowserNode(capacity=4)
    await node.start()
    try:
        yield node
    finally:
        await node.stop()


class Heard:
    def __init__(self) -> None:
        self.reports: list[dict[str, Any]] = []
        self.notices: list[tuple[str, dict[str, Any]]] = []

    def report(self, message: dict[str, Any]) -> None:
        self.reports.append(message)

    def notice(self, kind: str, detail: dict[str, Any]) -> None:
        self.notices.append((kind, detail))

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [detail for k, detail in self.notices if k == kind]


async def test_no_process_of_a_bot_chromium_carries_the_farms_secrets(
    monkeypatch: pytest.MonkeyPatch, node: LocalBrowserNode, pages: RunningServer
) -> None:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AVATARFARM_DATA_DIR", "/srv/avatarfarm")
    # The driver is started here, after the secrets are set, as a farm manager's would be.
    await node.stop()
    await node.start()
    heard = Heard()
    bot = await node.open_bot("env", f"{pages.base_url}/main", on_report=heard.report, on_notice=heard.notice)
    try:
        await until(lambda: heard.reports, 10, "a report from the page", every=0.05)
        [browser] = browsers_of(Owner.me())
        processes = {pid: environment(pid) for pid in tree(browser)}
        environments = {pid: env for pid, env in processes.items() if env is not None}
        kinds = {process_kind(pid) for pid in environments}
        assert {"browser", "zygote", "renderer"} <= kinds, kinds  # the whole tree, renderers included
        for pid, env in environments.items():
            assert not [name for name in env if name.startswith("AVATARFARM_")], (pid, process_kind(pid))
            text = "\n".join(f"{k}={v}" for k, v in env.items())
            for secret in SECRETS.values():
                assert secret not in text, (pid, process_kind(pid))
        # What Chromium needs is still there.
        main_env = environments[browser]
        assert main_env.get("PATH") == os.environ["PATH"]
        assert main_env.get("HOME") == os.environ["HOME"]
    finally:
        await bot.close()


async def test_reports_are_taken_from_the_main_frame_only_and_an_iframes_are_noted_once(
    node: LocalBrowserNode, pages: RunningServer
) -> None:
    heard = Heard()
    bot = await node.open_bot("frames", f"{pages.base_url}/main", on_report=heard.report, on_notice=heard.notice)
    try:
        await until(
            lambda: heard.reports and heard.of("page.report_ignored"), 10, "the ignored report noted", every=0.05
        )
        await asyncio.sleep(0.3)  # the iframe's second report has had time to arrive too
        assert [r["state"] for r in heard.reports] == ["from-main"]
        [ignored] = heard.of("page.report_ignored")
        assert ignored["frame_url"] == f"{pages.base_url}/frame"
    finally:
        await bot.close()


async def test_console_lines_lose_their_query_strings_and_a_flood_is_cut_to_a_budget(
    node: LocalBrowserNode, pages: RunningServer
) -> None:
    node.console_budget = lambda: ConsoleBudget(burst=5, per_interval=1, interval=1.0)
    heard = Heard()

    def accounted() -> int:
        lines = heard.of("page.console")
        return sum(line.get("dropped", 1) for line in lines)

    bot = await node.open_bot("noisy", f"{pages.base_url}/noisy", on_report=heard.report, on_notice=heard.notice)
    try:
        # Every one of the page's 102 lines is either stored or counted in a "dropped" line (the last count is
        # told by a timer when no line follows).
        await until(lambda: accounted() >= 102, 20, "every console line accounted for", every=0.05)
        assert accounted() == 102
        lines = heard.of("page.console")
        texts = [line["text"] for line in lines]
        assert texts[0] == "could not reach wss://lk.example/rtc?…"
        assert texts[1] == "retrying /rtc/validate?…"
        assert all(LIVEKIT_TOKEN not in text and "access_token" not in text for text in texts)
        stored = [line for line in lines if "dropped" not in line]
        told = [line for line in lines if "dropped" in line]
        # The burst, then about one line a second while the flood lasts (this machine may be slow).
        assert 5 <= len(stored) <= 15, texts
        assert told and told[0]["text"].endswith("dropped (more than 5 at once or 1 per 1 s)")
        assert texts.index(told[0]["text"]) == 5
    finally:
        await bot.close()


AS_NOBODY = """#!/bin/sh
# Chromium as uid/gid 65534, given the profile directory Playwright made for it (as root).
for arg in "$@"; do
  case "$arg" in --user-data-dir=*) chown -R 65534:65534 "${arg#--user-data-dir=}" ;; esac
done
exec setpriv --reuid=65534 --regid=65534 --clear-groups "%s" "$@"
"""


async def test_an_unprivileged_users_bot_chromium_keeps_its_renderer_sandbox(
    monkeypatch: pytest.MonkeyPatch, pages: RunningServer, tmp_path: Path
) -> None:
    real_euid = os.geteuid()
    if real_euid == 0:
        # Run as root here: the farm is told it is uid 65534, and Chromium really runs as 65534.
        chromium = chromium_executable()
        assert chromium and shutil.which("setpriv"), "needs Chromium and setpriv (util-linux)"
        wrapper = tmp_path / "chromium-as-nobody"
        wrapper.write_text(AS_NOBODY % chromium)
        wrapper.chmod(0o755)
        monkeypatch.setenv("AVATARFARM_CHROMIUM", str(wrapper))
        monkeypatch.setattr(os, "geteuid", lambda: 65534)
    node = LocalBrowserNode(capacity=1)
    assert "--no-sandbox" not in node.launch_options()["args"]
    await node.start()
    try:
        heard = Heard()
        bot = await node.open_bot("sandbox", f"{pages.base_url}/main", on_report=heard.report, on_notice=heard.notice)
        monkeypatch.undo()
        try:
            await until(lambda: heard.reports, 10, "a report from the page", every=0.05)
            [browser] = browsers_of(Owner.me())
            renderers = [pid for pid in tree(browser) if process_kind(pid) == "renderer"]
            assert renderers
            for pid in renderers:
                assert seccomp_mode(pid) == 2, "a renderer without its seccomp-bpf sandbox"
                assert user_namespace(pid) != user_namespace("self")
        finally:
            await bot.close()
    finally:
        await node.stop()


@dataclass
class _LaunchOnly:
    """The part of FarmServices a launch reads (farm.room.bot_launch.LaunchServices)."""

    settings: Settings
    tickets: BotTickets
    node: LocalBrowserNode
    launching: asyncio.Semaphore
    zoom: ZoomClient | None = None
    page_timings: PageTimings = PRODUCT_TIMINGS


def _services(base_url: str, node: LocalBrowserNode, tmp_path: Path) -> _LaunchOnly:
    settings = load_settings(public_base_url=base_url, data_dir=tmp_path)
    return _LaunchOnly(settings=settings, tickets=BotTickets(), node=node, launching=asyncio.Semaphore(1))


async def _launch(services: _LaunchOnly) -> BotBrowser | LaunchRefused:
    now = time.time()
    student = Student(name="Grace")
    room = Room(
        id="room_1",
        session_id="ses_1",
        position=0,
        name="Room 1",
        student=student,
        status=RoomStatus.starting,
        reason=None,
        reason_text=None,
        context_text=None,
        created_at=now,
        updated_at=now,
        live_since=None,
        ended_at=None,
    )
    session = Session(
        id="ses_1",
        status=SessionStatus.active,
        meeting=Meeting(number="85012345678", passcode="x"),
        professor=Professor(name="Ada", avatar_id="avatar_ada"),
        course=Course(name="CS 101"),
        end_reason=None,
        created_at=now,
        updated_at=now,
        ended_at=None,
        rooms=(room,),
    )
    return await launch_bot(
        services,
        session=session,
        room=room,
        bot_id="bot_1",
        with_obf=False,
        on_report=lambda _: None,
        on_notice=lambda *_: None,
    )


async def test_a_bot_page_answering_an_error_revokes_its_ticket(
    node: LocalBrowserNode, pages: RunningServer, tmp_path: Path
) -> None:
    services = _services(pages.base_url, node, tmp_path)
    launched = await _launch(services)
    assert isinstance(launched, LaunchRefused), launched
    assert (launched.reason, launched.words) == ("launch_failed", "The bot's page did not load (HTTP 500).")
    assert len(services.tickets) == 0
    assert browsers_of(Owner.me()) == []


async def test_a_bot_page_that_cannot_be_reached_revokes_its_ticket(node: LocalBrowserNode, tmp_path: Path) -> None:
    services = _services(f"http://127.0.0.1:{free_port()}", node, tmp_path)
    launched = await _launch(services)
    assert isinstance(launched, LaunchRefused), launched
    assert launched.reason == "launch_failed"
    assert len(services.tickets) == 0


class _SlowToStart(LocalBrowserNode):
    """A node whose browsers take `delay` seconds to start, as on a loaded machine."""

    def __init__(self, delay: float) -> None:
        super().__init__(capacity=1)
        self.delay = delay
        self.launched: list[Browser] = []

    async def _new_browser(self, playwright: Playwright) -> Browser:
        await asyncio.sleep(self.delay)
        browser = await super()._new_browser(playwright)
        self.launched.append(browser)
        return browser


async def test_a_browser_slower_to_start_than_a_ticket_lives_still_loads_its_page(tmp_path: Path) -> None:
    # The ticket lives 1 s and the browser takes 1.5 s to start: issued before the launch, it expired before the
    # page asked for it (a CI run's bot page answered 404 after a slow launch).
    tickets = BotTickets(ttl_seconds=1.0)

    async def bot_page(request: Request) -> PlainTextResponse:
        found = tickets.redeem(request.path_params["ticket"])
        return PlainTextResponse("bot page" if found else "no such ticket", status_code=200 if found else 404)

    node = _SlowToStart(delay=1.5)
    async with serve_app(Starlette(routes=[Route("/bot/{ticket}", bot_page)])) as site:
        services = _services(site.base_url, node, tmp_path)
        services.tickets = tickets
        try:
            launched = await _launch(services)
            assert not isinstance(launched, LaunchRefused), launched
            assert await launched.page.text_content("body") == "bot page"
            await launched.close()
        finally:
            await node.stop()
    assert len(tickets) == 0


async def test_a_browser_that_does_not_start_in_time_is_given_up_and_closed_once_it_starts(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # The room gives up after 1 s (a launch that hangs would hold its room at "starting" for ever); the browser
    # that still starts at 2.5 s belongs to nobody and is closed, not left running.
    node = _SlowToStart(delay=2.5)
    await node.start()
    async with serve_app(Starlette(routes=[Route("/main", _main)])) as site:
        services = _services(site.base_url, node, tmp_path)
        services.settings = services.settings.model_copy(update={"launch_timeout_seconds": 1.0})
        try:
            with caplog.at_level(logging.INFO, logger="avatarfarm.farm"):
                launched = await _launch(services)
            assert launched == LaunchRefused("launch_failed", "The bot's browser did not start within 1 s.")
            said = [r.getMessage() for r in caplog.records]
            assert "the start of bot ses_1/Room 1 on node local stopped while launching Chromium" in " ".join(said)
            assert len(services.tickets) == 0
            await until(lambda: node.launched, 30, "the late browser launched")
            await until(lambda: not node.launched[0].is_connected(), 30, "the late browser closed")
            await until(lambda: browsers_of(Owner.me()) == [], 30, "no browser process left")
        finally:
            await node.stop()


def _utility_services(browser: int) -> list[str]:
    """The services `browser` runs in utility processes of their own (network.mojom.NetworkService, ...)."""
    return [kind.removeprefix("utility:") for kind in map(process_kind, tree(browser)) if kind.startswith("utility:")]


def _switch_values(pid: int, switch: str) -> list[list[str]]:
    return [value.split(",") for value in re.findall(rf"{switch}=(\S+)", " ".join(argv(pid)))]


async def test_a_bots_chromium_runs_one_renderer_and_keeps_playwrights_features_switched(
    node: LocalBrowserNode, pages: RunningServer
) -> None:
    heard = Heard()
    bot = await node.open_bot("lean", f"{pages.base_url}/main", on_report=heard.report, on_notice=heard.notice)
    try:
        await until(lambda: heard.reports, 10, "a report from the page", every=0.05)
        await asyncio.sleep(1.0)  # what Chromium starts after the first paint (a spare renderer, browser UI pages)
        [browser] = browsers_of(Owner.me())
        # Chromium obeys the last of each switch: it must hold every feature of the earlier ones (Playwright's).
        for switch in ("--disable-features", "--enable-features"):
            *earlier, last = _switch_values(browser, switch)
            assert earlier, f"Playwright passed no {switch} of its own"
            assert {name for names in earlier for name in names} <= set(last), switch
        kinds = [process_kind(pid) for pid in tree(browser)]
        assert kinds.count("renderer") == 1, kinds  # no spare renderer, no omnibox popup pages
        services = _utility_services(browser)
        assert not [s for s in services if "NetworkService" in s or "AudioService" in s], services
        cdp = await bot.browser.new_browser_cdp_session()
        targets = (await cdp.send("Target.getTargets"))["targetInfos"]
        assert [t["type"] for t in targets] == ["page"], targets
    finally:
        await bot.close()


# Chromium's own parameter for when it rates the machine (three minutes by default), shortened for this test.
RATE_THE_MACHINE_SOON = "LogOnDeviceMetricsOnStartup:on_device_startup_metric_delay/2s"


def _on_device_model_services(browser: int) -> list[str]:
    return [service for service in _utility_services(browser) if "OnDeviceModel" in service]


async def test_a_bots_chromium_never_starts_the_on_device_model_service(pages: RunningServer) -> None:
    """Chromium rates the machine for its built-in AI models in a service process of its own, three minutes after
    it starts (the memory soak found it). Both browsers here rate it after 2 s instead: one with the bot's flags but
    not the machine's class starts the service; the bot's Chromium, started first, never does."""
    quick = [a for a in BOT_ARGS if not a.startswith(("--disable-features=", "--enable-features="))]
    quick += feature_args(BOT_DISABLED_FEATURES, (*BOT_ENABLED_FEATURES, RATE_THE_MACHINE_SOON))
    without_class = tuple(a for a in quick if a != ON_DEVICE_MODEL_CLASS_ARG)
    assert len(without_class) == len(quick) - 1, "the bot's flags lost the machine's class"
    bot_node, other_node = LocalBrowserNode(bot_args=tuple(quick)), LocalBrowserNode(bot_args=without_class)
    await bot_node.start()
    await other_node.start()
    heard = Heard()
    try:
        bot = await bot_node.open_bot("rated", f"{pages.base_url}/main", on_report=heard.report, on_notice=heard.notice)
        [bot_browser] = browsers_of(Owner.me())
        other = await other_node.open_bot(
            "unrated", f"{pages.base_url}/main", on_report=heard.report, on_notice=heard.notice
        )
        [other_browser] = set(browsers_of(Owner.me())) - {bot_browser}
        await until(
            lambda: _on_device_model_services(other_browser),
            30,
            "the on-device model service in a Chromium not given the machine's class (if it never comes, this "
            "Chromium rates the machine another way: check that ON_DEVICE_MODEL_CLASS_ARG still matters)",
        )
        await asyncio.sleep(1.0)  # the bot's own 2 s ran out first (it started first): give its launch a moment
        assert _on_device_model_services(bot_browser) == []
        await bot.close()
        await other.close()
    finally:
        await bot_node.stop()
        await other_node.stop()
