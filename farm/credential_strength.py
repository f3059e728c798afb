"""Whether a credential we are given (the API token, the browser nodes' token, the webhook secret) is strong
enough: at least 128 bits, and not a placeholder copied from an example.

A value's strength is estimated from its length and the alphabet it draws from: 16 symbols when it is all hex
digits, else the size of each class it uses (26 lower-case, 26 upper-case, 10 digits) plus each distinct other
symbol. A value built from few distinct characters ("aaaa…", "abab…") is refused whatever its length. The
estimate passes a random value of 128 bits or more (32 hex digits; the 43 characters of
`secrets.token_urlsafe(32)`) and refuses short values and few-letter patterns: make one with `openssl rand -hex 32` or
`python -c "import secrets; print(secrets.token_urlsafe(32))"`.
"""

from __future__ import annotations

import math
import string

MIN_BITS = 128
# Fewer distinct characters than this is a pattern, not a random value.
MIN_DISTINCT = 8
PLACEHOLDERS = ("replace-with", "replace_with", "replace-me", "changeme", "change-me", "placeholder", "your-")
HOW_TO_MAKE = "make one with: openssl rand -hex 32"

_HEX = frozenset(string.hexdigits)


def estimated_bits(value: str) -> float:
    if not value:
        return 0.0
    if set(value) <= _HEX and (value == value.lower() or value == value.upper()):
        return len(value) * 4.0
    alphabet = 0
    for klass in (string.ascii_lowercase, string.ascii_uppercase, string.digits):
        if any(c in klass for c in value):
            alphabet += len(klass)
    alphabet += len({c for c in value if not (c.isascii() and c.isalnum())})
    return len(value) * math.log2(alphabet)


def weakness(value: str) -> str | None:
    """Why `value` will not do as a credential, in words; None when it will."""
    lowered = value.lower()
    if any(word in lowered for word in PLACEHOLDERS):
        return f"is a placeholder, not a secret; {HOW_TO_MAKE}"
    if len(set(value)) < MIN_DISTINCT or estimated_bits(value) < MIN_BITS:
        return f"is too weak (at least {MIN_BITS} random bits, e.g. 32 hex digits, are needed); {HOW_TO_MAKE}"
    return None
