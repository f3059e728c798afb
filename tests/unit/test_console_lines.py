"""Console lines as the farm stores them: no query strings or bot tickets, and a per-bot budget."""

from __future__ import annotations

import pytest

from farm.browsers.console_lines import ConsoleBudget, without_secrets


@pytest.mark.parametrize(
    ("line", "stored"),
    [
        (
            "WebSocket wss://lk.test:7880/rtc?access_token=eyJ.secret.sig&protocol=15 failed",
            "WebSocket wss://lk.test:7880/rtc?… failed",
        ),
        ("GET https://zoom.test/wc/join?signature=abc#frag 403", "GET https://zoom.test/wc/join?… 403"),
        ("blob:http://127.0.0.1:8800/x#t=1", "blob:http://127.0.0.1:8800/x?…"),
        ("fetch('/v1/sessions/start?token=s3cret') failed", "fetch('/v1/sessions/start?…') failed"),
        ("at http://127.0.0.1:8800/bot/Zx9_aB3kLmNoPqRsTuVwXyZ012345678:12:5", "at http://127.0.0.1:8800/bot/…:12:5"),
        ("plain words? yes, no URL here", "plain words? yes, no URL here"),
    ],
)
def test_query_strings_fragments_and_tickets_are_removed(line: str, stored: str) -> None:
    assert without_secrets(line) == stored


def test_a_stored_line_is_at_most_500_characters() -> None:
    assert len(without_secrets("x" * 2000)) == 500


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_then_a_few_per_interval_and_the_drops_are_counted() -> None:
    clock = Clock()
    budget = ConsoleBudget(burst=3, per_interval=2, interval=10.0, clock=clock)
    assert [budget.admit() for _ in range(5)] == [True, True, True, False, False]
    assert budget.take_dropped() == 2 and budget.take_dropped() == 0
    clock.now += 5.0  # one line's worth refilled
    assert [budget.admit() for _ in range(3)] == [True, False, False]
    clock.now += 1000.0  # never more than the burst
    assert sum(budget.admit() for _ in range(10)) == 3
    assert budget.take_dropped() == 9
    assert budget.dropped_words(9) == "9 console lines dropped (more than 3 at once or 2 per 10 s)"
