"""The dashboard's session report page: the rooms side by side with their talk-time bars, student questions,
credits and incidents, the totals, and the transcript downloads. Rendered on the server from the same report
as GET /api/sessions/{id}/report; the bars are SVG drawn to one scale, and every number is also in words."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from api import auth
from api.dashboard import rendering
from api.deps import RepositoryDep
from api.record_routes import report_out
from api.schemas import RoomReportOut, SessionReportOut

router = APIRouter(include_in_schema=False)

BAR_WIDTH = 300
INCIDENT_WORDS = {
    "restart": "Restart",
    "failure": "Failure",
    "avatar_dropped": "Avatar dropped",
    "avatar_failed": "Avatar failed",
}


def clock_duration(seconds: float) -> str:
    """1:05:09, 5:09 or 0:09."""
    total = max(0, round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@dataclass(frozen=True)
class RoomView:
    room: RoomReportOut
    student_bar: int
    avatar_bar: int
    student_words: str
    avatar_words: str
    duration: str

    @property
    def incidents(self) -> list[tuple[str, str, str]]:
        return [
            (i.time.isoformat(), f"{i.time:%H:%M:%S} UTC", f"{INCIDENT_WORDS.get(i.kind, i.kind)}: {i.words}")
            for i in self.room.incidents
        ]

    @property
    def passage_starts(self) -> list[tuple[str, str, list[str]]]:
        """Per avatar start that held course passages: when (ISO, words) and the passages' sources."""
        return [
            (
                start.requested_at.isoformat(),
                f"{start.requested_at:%H:%M:%S} UTC",
                [f"{p.source} (pinned)" if p.pinned else p.source for p in start.passages],
            )
            for start in self.room.context_passages
        ]


def _talk_words(who: str, seconds: float, measured: bool) -> str:
    return f"{who} {clock_duration(seconds)}" + ("" if measured else " (estimated from the words said)")


def views(report: SessionReportOut) -> list[RoomView]:
    longest = max([max(r.student_talk.seconds, r.avatar_talk.seconds) for r in report.rooms] + [1.0])
    return [
        RoomView(
            room=r,
            student_bar=round(BAR_WIDTH * r.student_talk.seconds / longest),
            avatar_bar=round(BAR_WIDTH * r.avatar_talk.seconds / longest),
            student_words=_talk_words("Students", r.student_talk.seconds, r.student_talk.measured),
            avatar_words=_talk_words("Avatar", r.avatar_talk.seconds, r.avatar_talk.measured),
            duration=clock_duration(r.duration_seconds),
        )
        for r in report.rooms
    ]


@router.get("/dashboard/sessions/{session_id}/report")
async def report_page(session_id: str, request: Request, repository: RepositoryDep) -> Response:
    found = await auth.signed_in(request)
    if found is None:
        return session_cookie_redirect(request)
    signed_in, principal = found
    session = await repository.sessions.get(session_id)
    context: dict[str, object] = {"csrf_token": signed_in.csrf_token, "signed_in": True}
    if session is None or not principal.owns(session.owner_id):
        return rendering.render(
            "not_found.html",
            {**context, "title": "No such session", "message": f"There is no session with id {session_id}."},
            status_code=404,
        )
    report = report_out(await repository.reports.session(session))
    totals = report.totals
    return rendering.render(
        "report.html",
        {
            **context,
            "report": report,
            "rooms": views(report),
            "bar_width": BAR_WIDTH,
            "totals": {
                "duration": clock_duration(totals.duration_seconds),
                "student_talk": clock_duration(totals.student_talk_seconds),
                "avatar_talk": clock_duration(totals.avatar_talk_seconds),
            },
        },
    )


def session_cookie_redirect(request: Request) -> Response:
    return RedirectResponse(f"/dashboard/sign-in?next={quote(request.url.path, safe='/')}", status_code=303)
