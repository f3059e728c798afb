"""How long the tests' own HTTP clients wait for an answer: as long as the farm's clients wait for a vendor.

httpx waits 5 s by default. On CI's 2 cores, every worker runs bot browsers, and a server sharing its
test's event loop can be starved for longer than that; a test then failed on its own client's timer rather than
on what it tests (run 103: a POST to /api/zoom/authorize). Tests that check a timeout set their own."""

from __future__ import annotations

import httpx

CLIENT_TIMEOUT = httpx.Timeout(30.0)
