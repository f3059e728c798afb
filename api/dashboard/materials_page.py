"""The dashboard's course-materials page: pick a course, drop files on it (or choose them), see each file's
pages or slides and passages, and delete one. Uploads and deletions go through the REST API
(static/materials.js, with the sign-in cookie and the page's CSRF token); the page itself carries no data."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from api.dashboard import rendering, session_cookie
from api.deps import RepositoryDep, SettingsDep
from api.material_schemas import MAX_COURSE_NAME

router = APIRouter(include_in_schema=False)

PAGE = "/dashboard/materials"


@router.get(PAGE)
async def materials_page(
    request: Request,
    repository: RepositoryDep,
    settings: SettingsDep,
    course: Annotated[str, Query(max_length=MAX_COURSE_NAME)] = "",
) -> Response:
    session = session_cookie.current_session(request)
    if session is None:
        return RedirectResponse(f"/dashboard/sign-in?next={PAGE}", status_code=303)
    sessions = await repository.list_sessions(limit=100)
    courses = sorted(
        {s.course.name for s in sessions} | {m.course for m in await repository.materials()}, key=str.casefold
    )
    return rendering.render(
        "materials.html",
        {
            "signed_in": True,
            "csrf_token": session.csrf_token,
            "course": " ".join(course.split()),
            "courses": courses,
            "max_upload_mb": f"{settings.max_upload_mb:g}",
        },
    )
