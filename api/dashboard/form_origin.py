"""Whether a dashboard form was posted by a page of this server: the browser's Origin (when it names one) is this
server's, and the form carries the signed-in session's CSRF token. Every dashboard form that changes something
checks it before acting."""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import Request

from api.dashboard import session_cookie
from api.dashboard.session_cookie import DashboardSession


def posted_from_this_dashboard(request: Request, session: DashboardSession, csrf_token: str) -> bool:
    origin = request.headers.get("origin")
    base = urlsplit(request.app.state.settings.base_url)
    allowed = {f"{request.url.scheme}://{request.url.netloc}", f"{base.scheme}://{base.netloc}"}
    return (origin is None or origin in allowed) and session_cookie.csrf_matches(session, csrf_token)
