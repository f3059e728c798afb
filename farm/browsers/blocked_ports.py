"""The ports browsers refuse to load a page from: the Fetch standard's "bad ports" (fetch.spec.whatwg.org,
port blocking), which Chromium enforces as ERR_UNSAFE_PORT. A farm whose bot pages are served on one of them
starts no bot at all, so the settings refuse such a port with words (farm/settings.py), and the tests never pick
one. tests/farm/test_blocked_ports.py checks this list against the Chromium the bots run.

The standard added 4190 and 6679 in 2024, which Firefox refuses and Chromium (156 here, from Debian) does not
yet. They are refused here all the same: a farm on one of them would stop starting bots when its browsers do."""

from __future__ import annotations

BLOCKED_PORTS = frozenset(
    {
        1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95, 101, 102, 103, 104,
        109, 110, 111, 113, 115, 117, 119, 123, 135, 137, 139, 143, 161, 179, 389, 427, 465, 512, 513, 514, 515,
        526, 530, 531, 532, 540, 548, 554, 556, 563, 587, 601, 636, 989, 990, 993, 995, 1719, 1720, 1723, 2049,
        3659, 4045, 4190, 5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668, 6669, 6679, 6697, 10080,
    }
)  # fmt: skip
ADDED_IN_2024 = frozenset({4190, 6679})


def refused_port_words(port: int) -> str | None:
    """Why browsers will not load a page from `port`, or None when they will."""
    if port not in BLOCKED_PORTS:
        return None
    return (
        f"browsers refuse to load pages from port {port} (one of the ports the web's Fetch standard blocks,"
        " like 6000 and 10080), so no bot could open its page; choose another port"
    )
