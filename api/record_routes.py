"""REST routes of the conversation record: a room's transcript (JSON, JSON Lines, Markdown and WebVTT
downloads) and the session report for the professor."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Header, Response

from api.deps import RepositoryDep
from api.material_schemas import GivenPassageOut
from api.ownership import owned_room, owned_session
from api.principals import Principal, PrincipalDep
from api.schemas import (
    AvatarStartPassagesOut,
    DownloadsOut,
    ErrorOut,
    IncidentOut,
    ReportTotalsOut,
    RoomReportOut,
    SessionReportOut,
    TalkOut,
    TranscriptEntryOut,
    TranscriptOut,
)
from api.transcript_exports import TranscriptHeader, filename, to_markdown, to_webvtt
from state import reports
from state.models import SessionStatus, TranscriptLine
from state.repository import Repository

router = APIRouter(prefix="/api/sessions", tags=["sessions"])

ERRORS: dict[int | str, dict[str, object]] = {
    401: {"model": ErrorOut, "description": "Missing or wrong API token."},
    404: {"model": ErrorOut, "description": "No such session or room."},
}
NDJSON = "application/x-ndjson"


async def _transcript(
    repository: Repository, principal: Principal, session_id: str, room_id: str
) -> tuple[TranscriptHeader, list[TranscriptLine]]:
    session, room = await owned_room(repository, principal, session_id, room_id)
    header = TranscriptHeader(
        course=session.course.name, professor=session.professor.name, room=room.name, session_id=session.id
    )
    return header, await repository.transcript_log.room(room.id)


def _download(body: str, media_type: str, name: str) -> Response:
    return Response(
        body,
        media_type=media_type,
        headers={
            "Content-Disposition": f"attachment; filename=\"{name}\"; filename*=UTF-8''{quote(name)}",
            "Cache-Control": "no-store",
        },
    )


def _path(session_id: str, room_id: str) -> str:
    return f"/api/sessions/{quote(session_id)}/rooms/{quote(room_id)}/transcript"


@router.get(
    "/{session_id}/rooms/{room_id}/transcript",
    response_model=TranscriptOut,
    responses={200: {"content": {NDJSON: {}}}, **ERRORS},
    summary="The room's whole transcript, in the order it was said (JSON, or JSON Lines with Accept: "
    "application/x-ndjson)",
)
async def transcript(
    session_id: str,
    room_id: str,
    repository: RepositoryDep,
    principal: PrincipalDep,
    accept: Annotated[str | None, Header()] = None,
) -> Response | TranscriptOut:
    header, lines = await _transcript(repository, principal, session_id, room_id)
    entries = [TranscriptEntryOut.of(line) for line in lines]
    if accept and NDJSON in accept:
        body = "".join(entry.model_dump_json() + "\n" for entry in entries)
        return Response(body, media_type=NDJSON, headers={"Cache-Control": "no-store"})
    return TranscriptOut(session_id=header.session_id, room_id=room_id, room=header.room, lines=entries)


@router.get(
    "/{session_id}/rooms/{room_id}/transcript.md",
    response_class=Response,
    responses={200: {"content": {"text/markdown": {}}, "description": "A Markdown file."}, **ERRORS},
    summary="Download the room's transcript as Markdown",
)
async def transcript_markdown(
    session_id: str, room_id: str, repository: RepositoryDep, principal: PrincipalDep
) -> Response:
    header, lines = await _transcript(repository, principal, session_id, room_id)
    return _download(to_markdown(header, lines), "text/markdown; charset=utf-8", filename(header, "md"))


@router.get(
    "/{session_id}/rooms/{room_id}/transcript.vtt",
    response_class=Response,
    responses={200: {"content": {"text/vtt": {}}, "description": "A WebVTT file."}, **ERRORS},
    summary="Download the room's transcript as WebVTT (speakers as voices)",
)
async def transcript_webvtt(
    session_id: str, room_id: str, repository: RepositoryDep, principal: PrincipalDep
) -> Response:
    header, lines = await _transcript(repository, principal, session_id, room_id)
    return _download(to_webvtt(header, lines), "text/vtt; charset=utf-8", filename(header, "vtt"))


def _time(value: float | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, tz=UTC)


def _room_out(session_id: str, room: reports.RoomReport) -> RoomReportOut:
    path = _path(session_id, room.room_id)
    return RoomReportOut(
        room_id=room.room_id,
        name=room.name,
        status=room.status,
        students=list(room.students),
        duration_seconds=round(room.live_seconds, 1),
        first_live_at=_time(room.first_live_at),
        ended_at=_time(room.ended_at),
        student_talk=TalkOut(seconds=round(room.student_talk.seconds, 1), measured=room.student_talk.measured),
        avatar_talk=TalkOut(seconds=round(room.avatar_talk.seconds, 1), measured=room.avatar_talk.measured),
        student_questions=room.student_questions,
        student_lines=room.student_lines,
        avatar_lines=room.avatar_lines,
        minutes=round(room.minutes, 3),
        credits=round(room.credits, 3),
        restarts=room.restarts,
        failures=room.failures,
        incidents=[
            IncidentOut(time=datetime.fromtimestamp(i.time, tz=UTC), kind=i.kind, words=i.words) for i in room.incidents
        ],
        downloads=DownloadsOut(transcript=path, markdown=f"{path}.md", webvtt=f"{path}.vtt"),
        context_passages=[
            AvatarStartPassagesOut(
                avatar_session_id=start.avatar_session_id,
                requested_at=datetime.fromtimestamp(start.requested_at, tz=UTC),
                passages=[GivenPassageOut.of(g) for g in start.passages],
            )
            for start in room.avatar_starts
        ],
    )


def report_out(report: reports.SessionReport) -> SessionReportOut:
    session = report.session
    return SessionReportOut(
        session_id=session.id,
        course=session.course.name,
        professor=session.professor.name,
        status=session.status,
        final=session.status is SessionStatus.ended,
        created_at=datetime.fromtimestamp(session.created_at, tz=UTC),
        ended_at=_time(session.ended_at),
        generated_at=datetime.fromtimestamp(report.generated_at, tz=UTC),
        rooms=[_room_out(session.id, room) for room in report.rooms],
        totals=ReportTotalsOut(
            rooms=len(report.rooms),
            duration_seconds=round(report.live_seconds, 1),
            student_talk_seconds=round(report.student_talk_seconds, 1),
            avatar_talk_seconds=round(report.avatar_talk_seconds, 1),
            student_questions=report.student_questions,
            minutes=round(report.minutes, 3),
            credits=round(report.credits, 3),
            restarts=report.restarts,
            failures=report.failures,
        ),
    )


async def load_report(repository: Repository, principal: Principal, session_id: str) -> reports.SessionReport:
    session = await owned_session(repository, principal, session_id)
    return await repository.reports.session(session)


@router.get(
    "/{session_id}/report",
    response_model=SessionReportOut,
    responses=ERRORS,
    summary="The session report: per room its duration, talk time, student questions, credits and incidents; "
    "and the totals",
)
async def session_report(session_id: str, repository: RepositoryDep, principal: PrincipalDep) -> SessionReportOut:
    return report_out(await load_report(repository, principal, session_id))
