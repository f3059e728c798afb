"""The dashboard's course-materials page: pick a course, drop files on it (or choose them), see each file's
pages or slides and passages, and delete one. Uploads and deletions go through the REST API
(static/materials.js, with the sign-in cookie and the page's CSRF token); the page itself carries no data."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from api import auth
from api.dashboard import rendering
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
    found = await auth.signed_in(request)
    if found is None:
        return RedirectResponse(f"/dashboard/sign-in?next={PAGE}", status_code=303)
    session, principal = found
    sessions = await repository.sessions.all(limit=100, owner_id=principal.only_owner)
    materials = await repository.materials.all(owner_id=principal.only_owner)
    courses = sorted({s.course.name for s in sessions} | {m.course for m in materials}, key=str.casefold)
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
