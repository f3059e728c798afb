"""Jinja rendering of the dashboard's pages (autoescaped) with their security headers, and the static files.

Pages allow scripts, styles and connections from this server only (no inline script, nothing from a CDN),
cannot be framed, and are never cached.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader

from api.static_headers import WithHeaders

HERE = Path(__file__).resolve().parent
TEMPLATES_DIR = HERE / "templates"
STATIC_DIR = HERE / "static"
STATIC_PATH = "/dashboard/static"

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Cache-Control": "no-store",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}
STATIC_HEADERS = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}
PAGES = (
    "sign_in.html",
    "sessions.html",
    "new_session.html",
    "session.html",
    "not_found.html",
    "report.html",
    "zoom.html",
    "account.html",
)


@cache
def templates() -> Environment:
    return Environment(loader=FileSystemLoader(TEMPLATES_DIR), autoescape=True, auto_reload=False)


def render(name: str, context: dict[str, Any], *, status_code: int = 200) -> HTMLResponse:
    html = templates().get_template(name).render(static=STATIC_PATH, **context)
    return HTMLResponse(html, status_code=status_code, headers=PAGE_HEADERS)


def mount_static(app: FastAPI) -> None:
    """Mount the scripts and styles, and compile every template now (no disk reads on the event loop later)."""
    for name in PAGES:
        templates().get_template(name)
    app.mount(STATIC_PATH, WithHeaders(StaticFiles(directory=STATIC_DIR), STATIC_HEADERS), name="dashboard-static")
