"""The process's one TLS context for outgoing HTTPS, which every httpx client of the product is built with.

httpx builds a fresh context for each client it makes, loading the whole CA bundle (tens of milliseconds of CPU
on a busy machine), even for a client that only ever speaks plain HTTP to loopback. One context, made once and
shared, verifies exactly as httpx's default does (certifi's bundle, or SSL_CERT_FILE / SSL_CERT_DIR)."""

from __future__ import annotations

import functools
import ssl

import httpx


@functools.cache
def shared_tls_context() -> ssl.SSLContext:
    """httpx's default verifying context, made on first use; an SSLContext may serve many clients and threads."""
    return httpx.create_ssl_context()
