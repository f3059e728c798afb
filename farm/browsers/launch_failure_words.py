"""What a failed bot launch means, in words the professor reads on the room: read from Playwright's own error
(the server log keeps that error itself, with the browser's last words: console_lines.launch_failure). Never
Playwright's text: it names internals and, for a node, its address."""

from __future__ import annotations

import re

from farm.browsers.browser_node import died_starting

_TIMEOUT = re.compile(r"\bTimeout (\d+)ms exceeded")
_NODE_FULL = re.compile(r"\b503 Service Unavailable\b")


def launch_failure_words(exc: BaseException) -> str:
    """Why the bot's browser could not be started (no final full stop), from the error its launch raised."""
    first = (str(exc).splitlines() or [""])[0]
    if died_starting(exc):
        return "Chromium ended while starting, twice in a row"
    if timeout := _TIMEOUT.search(first):
        seconds = int(timeout.group(1)) // 1000
        if first.startswith("Page.goto"):
            return f"its page did not load within {seconds} s (its machine may be overloaded)"
        return f"it did not start within {seconds} s (its machine may be overloaded)"
    if _NODE_FULL.search(first):
        return "the browser node said it was full"
    return "the server log has the details"
