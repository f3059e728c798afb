"""Accessibility basics on every page: each form control has a label, each button and image a name, text
contrast at least 4.5:1 (3:1 for large text), one h1, a language; and the monitor works from the keyboard."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import Page, expect

from tests.dashboard.conftest import DashboardServer
from tests.dashboard.pages import Dashboard

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

AUDIT = """() => {
  const problems = [];
  const describe = (el) => el.outerHTML.slice(0, 120);
  const visible = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== "hidden";
  if (!document.documentElement.lang) problems.push("no lang on <html>");
  if (document.querySelectorAll("h1").length !== 1) problems.push("not exactly one h1");
  for (const el of document.querySelectorAll("input:not([type=hidden]), textarea, select")) {
    const labelled = el.labels?.length || el.getAttribute("aria-label") || el.getAttribute("aria-labelledby");
    if (!labelled) problems.push("unlabelled control: " + describe(el));
    for (const label of el.labels ?? []) if (!label.textContent.trim()) problems.push("empty label: " + describe(el));
  }
  for (const el of document.querySelectorAll("button, a[href]")) {
    if (!(el.textContent.trim() || el.getAttribute("aria-label"))) problems.push("nameless: " + describe(el));
  }
  for (const el of document.querySelectorAll("img")) {
    if (visible(el) && !el.getAttribute("alt")) problems.push("image without alt: " + describe(el));
  }
  const ids = [...document.querySelectorAll("[id]")].map((el) => el.id);
  const duplicates = ids.filter((id, i) => ids.indexOf(id) !== i);
  if (duplicates.length) problems.push("duplicate ids: " + duplicates.join(", "));
  for (const el of document.querySelectorAll("[aria-describedby], [aria-controls], [aria-labelledby]")) {
    for (const name of ["aria-describedby", "aria-controls", "aria-labelledby"]) {
      for (const id of (el.getAttribute(name) || "").split(/\\s+/).filter(Boolean)) {
        if (!document.getElementById(id)) problems.push(`${name} names missing #${id}`);
      }
    }
  }
  // Contrast of every visible text.
  const rgba = (value) => {
    const m = value.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return [0, 0, 0, 0];
    const parts = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
    return [parts[0], parts[1], parts[2], parts.length > 3 ? parts[3] : 1];
  };
  const luminance = ([r, g, b]) => {
    const channel = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
  };
  const background = (el) => {
    for (let node = el; node; node = node.parentElement) {
      const colour = rgba(getComputedStyle(node).backgroundColor);
      if (colour[3] > 0.5) return colour;
    }
    return [255, 255, 255, 1];
  };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const checked = new Set();
  while (walker.nextNode()) {
    const el = walker.currentNode.parentElement;
    if (!walker.currentNode.textContent.trim() || checked.has(el) || !visible(el)) continue;
    if (el.closest("[disabled], .visually-hidden, .skip-link, dialog:not([open])")) continue;
    checked.add(el);
    const style = getComputedStyle(el);
    const fg = rgba(style.color);
    const bg = background(el);
    const [hi, lo] = [luminance(fg), luminance(bg)].sort((a, b) => b - a);
    const ratio = (hi + 0.05) / (lo + 0.05);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
    const text = el.textContent.trim().slice(0, 40);
    if (ratio < (large ? 3 : 4.5)) problems.push(`contrast ${ratio.toFixed(2)} for "${text}"`);
  }
  return problems;
}"""


async def audit(page: Page) -> list[Any]:
    problems: list[Any] = await page.evaluate(AUDIT)
    return problems


async def test_every_page_passes_the_basic_audit(signed_in: Dashboard, server: DashboardServer, page: Page) -> None:
    session = await server.create_session([("Room 1", "Grace"), ("Room 2", "Alan"), ("Room 3", "Katherine")])
    ids = await server.room_ids(session)
    await server.farm.join(ids["Room 1"])
    await server.farm.crash(ids["Room 2"])
    server.farm.heartbeat(ids["Room 1"], talking=True)

    await page.goto(signed_in.url("/dashboard/sessions/new"))
    await page.get_by_role("button", name="Start the session").click()
    await expect(page.locator("#form-problems")).to_be_visible()
    assert await audit(page) == [], "start form"

    await signed_in.open_sessions()
    assert await audit(page) == [], "sessions"

    monitor = await signed_in.open_session(session["id"])
    await monitor.room("Room 1").expect_colour("green")
    await monitor.room("Room 2").expect_colour("red")
    await monitor.room("Room 1").expand()
    assert await audit(page) == [], "monitor"

    await signed_in.sign_out()
    assert await audit(page) == [], "sign-in"


async def test_the_monitor_works_from_the_keyboard(signed_in: Dashboard, server: DashboardServer, page: Page) -> None:
    session = await server.create_session([("Room 1", "Grace")])
    room_id = session["rooms"][0]["id"]
    await server.farm.join(room_id)
    monitor = await signed_in.open_session(session["id"])
    room = monitor.room("Room 1")
    await room.expect_colour("green")

    async def tab_to(locator_name: str, predicate: str) -> None:
        for _ in range(40):
            await page.keyboard.press("Tab")
            if await page.evaluate(predicate):
                outline = await page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
                assert outline != "none", f"no focus outline on {locator_name}"
                return
        raise AssertionError(f"Tab never reached {locator_name}")

    await tab_to("End session", "document.activeElement.id === 'end-session'")
    await tab_to("Details and controls", "document.activeElement.classList.contains('expand')")
    await page.keyboard.press("Enter")
    await expect(room.details).to_be_visible()
    await expect(room.expand_button).to_have_attribute("aria-expanded", "true")
    await tab_to("Say", "document.activeElement.id.endsWith('-say')")
    await page.keyboard.type("Typed from the keyboard.")
    await page.keyboard.press("Enter")
    await expect(room.control_status).to_have_text("Say sent.")
    assert server.farm.calls_named("say") == [(room_id, "Typed from the keyboard.")]
    await tab_to("Interrupt", "document.activeElement.textContent === 'Interrupt'")
    await page.keyboard.press("Space")
    await expect(room.control_status).to_have_text("Interrupt sent.")
    assert server.farm.calls_named("interrupt") == [(room_id,)]

    # The end-session dialog from the keyboard: focus starts on the safe choice.
    await page.locator("#end-session").focus()
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("button", name="Keep it running")).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("dialog")).to_be_hidden()
    assert "end_session" not in server.farm.names()
