"""A bot page (or whatever took it over) reporting to the farm as an attacker would: a flood of error reports
carrying tokens and the bot's ticket, an oversized report, reports from a popup it opened and from a page its
window was navigated to. Real Chromium on loopback pages through the farm's own browser node."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from farm.browsers.browser_node import LocalBrowserNode
from farm.browsers.console_lines import BURST, without_secrets
from farm.room.page_messages import EventReport, StateReport, parse_report
from tests.support.servers import serve_app

pytestmark = pytest.mark.browser

TICKET = "Zx9_aB3kLmNoPqRsTuVwXyZ0123456789abcdEFGH"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJib3QifQ.c2lnbmF0dXJl"
API_KEY = "la_" + "k3y" * 16

BOT_PAGE = f"""<!doctype html><title>bot</title>
<script>
const report = (message) => window.avatarfarmReport(message);
report({{type: "heartbeat", state: "from-bot"}});
for (let i = 0; i < 300; i++) {{
  report({{type: "event", kind: "page.error", detail: {{message:
    `fetch wss://lk.test/rtc?access_token={JWT} from ${{location.href}} with Bearer {API_KEY} failed (${{i}})`}}}});
}}
report({{type: "heartbeat", state: "oversized", stats: {{padding: "x".repeat(200000)}}}});
const popup = window.open("/popup");
window.addEventListener("message", () => {{ location.href = "/elsewhere"; }});
</script>"""
POPUP = """<!doctype html><title>popup</title>
<script>
window.avatarfarmReport({type: "heartbeat", state: "from-popup"});
window.opener.postMessage("done", "*");
</script>"""
ELSEWHERE = """<!doctype html><title>elsewhere</title>
<script>window.avatarfarmReport({type: "heartbeat", state: "from-elsewhere"});</script>"""


def _html(text: str) -> Any:
    async def page(_: Request) -> HTMLResponse:
        return HTMLResponse(text)

    return page


async def _no_icon(_: Request) -> Response:
    return Response(status_code=204)


class Heard:
    def __init__(self) -> None:
        self.reports: list[dict[str, Any]] = []
        self.notices: list[tuple[str, dict[str, Any]]] = []
        self.changed = asyncio.Event()

    def report(self, message: dict[str, Any]) -> None:
        self.reports.append(message)
        self.changed.set()

    def notice(self, kind: str, detail: dict[str, Any]) -> None:
        self.notices.append((kind, detail))
        self.changed.set()

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [detail for k, detail in self.notices if k == kind]

    async def until(self, condition: Any, seconds: float = 20.0) -> None:
        async with asyncio.timeout(seconds):
            while not condition():
                self.changed.clear()
                await self.changed.wait()


async def test_page_reports_are_scrubbed_budgeted_capped_and_only_from_the_bot_page() -> None:
    node = LocalBrowserNode(capacity=1)
    await node.start()
    heard = Heard()
    try:
        async with serve_app(
            Starlette(
                routes=[
                    Route("/bot/{ticket}", _html(BOT_PAGE)),
                    Route("/popup", _html(POPUP)),
                    Route("/elsewhere", _html(ELSEWHERE)),
                    Route("/favicon.ico", _no_icon),
                ]
            )
        ) as pages:
            bot = await node.open_bot(
                "attacked", f"{pages.base_url}/bot/{TICKET}", on_report=heard.report, on_notice=heard.notice
            )
            try:
                # The last thing the page does is navigate away and report from there: wait for its refusal.
                await heard.until(lambda: len(heard.of("page.report_ignored")) >= 3)
                await bot.page.evaluate("1")  # every binding call made before this one has been answered
            finally:
                await bot.close()
    finally:
        await node.stop()

    assert [r.get("state") for r in heard.reports] == ["from-bot"]
    refused = {notice["why"] for notice in heard.of("page.report_ignored")}
    assert refused == {
        f"longer than {64 * 1024} characters",
        "from another window than the bot page (a popup)",
        "from a page the bot's window was navigated to",
    }
    errors = [notice["message"] for notice in heard.of("page.error")]
    assert 0 < len(errors) <= BURST + 2  # the burst (and the odd refill while the flood lasts)
    for text in errors:
        assert JWT not in text and "access_token" not in text
        assert TICKET not in text and API_KEY not in text
        assert text.startswith("fetch wss://lk.test/rtc?… from http://127.0.0.1:")
        assert "/bot/…" in text and "Bearer …" in text


def test_a_failed_pages_words_and_the_details_of_its_events_are_scrubbed() -> None:
    failed = parse_report(
        {
            "type": "state",
            "state": "failed",
            "reason": "page_error",
            "reason_text": f"could not load https://zoom.test/wc/join?signature={JWT} (ticket /bot/{TICKET})",
            "detail": {"room": "Room 1"},
        }
    )
    assert isinstance(failed, StateReport)
    assert failed.reason_text == "could not load https://zoom.test/wc/join?… (ticket /bot/…)"
    joined = parse_report(
        {"type": "event", "kind": "meeting.breakout_joined", "detail": {"room": "R", "via": {"token": JWT}}}
    )
    assert isinstance(joined, EventReport)
    assert joined.detail == {"room": "R", "via": {"token": "…"}}
    said = parse_report(
        {"type": "event", "kind": "transcript", "detail": {"role": "student", "text": f"my key is {API_KEY}"}}
    )
    assert isinstance(said, EventReport)
    assert said.detail["text"] == f"my key is {API_KEY}"  # what a person said is kept as said


@pytest.mark.parametrize(
    ("line", "stored"),
    [
        ("sent Authorization: Bearer abc.DEF-123 to LiveAvatar", "sent Authorization: Bearer … to LiveAvatar"),
        (f"session token {JWT} expired", "session token … expired"),
        ("signing with whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "signing with …"),
        (f"x-api-key {API_KEY}", "x-api-key …"),
        (
            "avatar dd73ea75-1218-4ef3-92ce-606d5f7fbc0a not ready",
            "avatar dd73ea75-1218-4ef3-92ce-606d5f7fbc0a not ready",
        ),
    ],
)
def test_bearer_like_strings_are_removed_and_ids_kept(line: str, stored: str) -> None:
    assert without_secrets(line) == stored
