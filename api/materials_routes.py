"""REST routes for course materials: upload (multipart, streamed to disk under a size cap), list, read and
delete per course; and the passages a professor pins to a room. Materials are the uploading professor's: their
courses, their sessions' avatars and their searches draw only on them.

An upload is parsed as it arrives (python-multipart's streaming parser): the file part goes to disk chunk by
chunk, hashed and counted, and the request is refused with 413 as soon as it passes AVATARFARM_MAX_UPLOAD_MB —
never read whole into memory. A refused file leaves nothing stored.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response, status
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from api.body_limits import UPLOAD_FORM_OVERHEAD, upload_too_large_words
from api.deps import RepositoryDep, SettingsDep
from api.errors import ApiError, invalid, not_found
from api.material_schemas import (
    MAX_COURSE_NAME,
    MaterialDetail,
    MaterialList,
    MaterialOut,
    PassageList,
    PassageOut,
    PinList,
)
from api.ownership import owned_material, owned_room
from api.principals import PrincipalDep
from api.schemas import ErrorOut
from farm.materials.extraction import SUPPORTED, MaterialRefused, kind_of
from farm.materials.files import IncomingFile, MaterialFiles, UploadTooLarge
from farm.materials.intake import clean_filename, remove, take_in
from farm.materials.passage_selection import terms_of
from farm.settings import Settings
from state.repository import NotFound

router = APIRouter(tags=["materials"])

# Room for the multipart framing and the course field beside the file itself.
MAX_FIELD_BYTES = 4 * 1024
MAX_SEARCH = 500

ERRORS: dict[int | str, dict[str, object]] = {
    401: {"model": ErrorOut, "description": "Missing or wrong API token."},
    404: {"model": ErrorOut, "description": "No such material, session, room or passage."},
    422: {"model": ErrorOut, "description": "The request is invalid; the message says why in words."},
}
UPLOAD_ERRORS: dict[int | str, dict[str, object]] = {
    200: {"model": MaterialOut, "description": "This course already has this file (same content): nothing new."},
    413: {"model": ErrorOut, "description": "The file is larger than AVATARFARM_MAX_UPLOAD_MB."},
    415: {"model": ErrorOut, "description": "Not a multipart form, or a file type avatarfarm does not read."},
    422: {
        "model": ErrorOut,
        "description": "A field is missing, or the file gives no text (a scan, password-protected, damaged).",
    },
}
UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["course", "file"],
                    "properties": {
                        "course": {"type": "string", "maxLength": MAX_COURSE_NAME, "description": "The course name."},
                        "file": {"type": "string", "format": "binary", "description": SUPPORTED},
                    },
                },
                "example": {"course": "CS 101", "file": "(the bytes of algorithms-notes.pdf)"},
            }
        },
    }
}


def _files(settings: Settings) -> MaterialFiles:
    return MaterialFiles(settings.data_dir)


def _too_large(settings: Settings) -> ApiError:
    return ApiError(413, "body_too_large", upload_too_large_words(settings))


class _Form:
    """The fields of one multipart upload, the file streamed into an IncomingFile as its bytes arrive."""

    def __init__(self, files: MaterialFiles, max_bytes: int) -> None:
        self._files = files
        self._max_bytes = max_bytes
        self.fields: dict[str, str] = {}
        self.filename: str | None = None
        self.incoming: IncomingFile | None = None
        self.error: Exception | None = None
        self._header_field = b""
        self._header_value = b""
        self._headers: dict[bytes, bytes] = {}
        self._name = ""
        self._value = bytearray()
        self._is_file = False
        self.complete = False  # the closing boundary arrived
        self._field_bytes = 0  # of every part but the file: bounded, whatever the number of parts

    def parser(self, boundary: bytes) -> MultipartParser:
        return MultipartParser(
            boundary,
            {
                "on_part_begin": self._part_begin,
                "on_header_field": lambda data, start, end: self._grow("_header_field", data[start:end]),
                "on_header_value": lambda data, start, end: self._grow("_header_value", data[start:end]),
                "on_header_end": self._header_end,
                "on_headers_finished": self._headers_finished,
                "on_part_data": self._part_data,
                "on_part_end": self._part_end,
                "on_end": self._end,
            },
        )

    def _grow(self, name: str, data: bytes) -> None:
        setattr(self, name, getattr(self, name) + data)

    def _part_begin(self) -> None:
        self._headers = {}
        self._value = bytearray()
        self._is_file = False

    def _header_end(self) -> None:
        self._headers[self._header_field.lower()] = self._header_value
        self._header_field = self._header_value = b""

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        self._name = options.get(b"name", b"").decode("utf-8", "replace")
        if self._name == "file" and options.get(b"filename"):
            if self.incoming is not None:
                raise invalid("file", "Upload one file at a time.")
            self.filename = clean_filename(options[b"filename"].decode("utf-8", "replace"))
            kind_of(self.filename)  # an unsupported type is refused before a byte of it is kept
            self.incoming = self._files.receive(self._max_bytes)
            self._is_file = True

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._is_file and self.incoming is not None:
            self.incoming.write(data[start:end])
        else:
            self._field_bytes += end - start
            if len(self._value) + end - start > MAX_FIELD_BYTES or self._field_bytes > UPLOAD_FORM_OVERHEAD:
                raise invalid(self._name or "form", "This field is too long (a course name is at most 200 characters).")
            self._value += data[start:end]

    def _part_end(self) -> None:
        if not self._is_file and self._name:
            self.fields.setdefault(self._name, self._value.decode("utf-8", "replace"))

    def _end(self) -> None:
        self.complete = True


async def _receive(request: Request, settings: Settings, files: MaterialFiles) -> tuple[str, str, IncomingFile]:
    content_type, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        raise ApiError(
            415,
            "unsupported_media_type",
            "Send the upload as a multipart form (multipart/form-data) with the fields 'course' and 'file'.",
        )
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > settings.max_upload_bytes + UPLOAD_FORM_OVERHEAD:
        raise _too_large(settings)
    form = _Form(files, settings.max_upload_bytes)
    parser = form.parser(boundary)
    try:
        async for chunk in request.stream():
            parser.write(chunk)
        parser.finalize()
    except UploadTooLarge:
        raise _too_large(settings) from None
    except MaterialRefused as exc:
        raise ApiError(415, "unsupported_type", exc.words) from None
    except MultipartParseError:
        if form.incoming is not None:
            form.incoming.discard()
        raise ApiError(422, "invalid_request", "The upload is not a well-formed multipart form.") from None
    except BaseException:
        if form.incoming is not None:
            form.incoming.discard()
        raise
    if not form.complete:
        if form.incoming is not None:
            form.incoming.discard()
        raise ApiError(
            422, "invalid_request", "The upload stopped before its end (the connection may have dropped): try again."
        )
    course = " ".join(form.fields.get("course", "").split())
    problems = []
    if not course:
        problems.append(("course", "Name the course these materials are for (the course name your sessions use)."))
    elif len(course) > MAX_COURSE_NAME:
        problems.append(("course", f"Must be at most {MAX_COURSE_NAME} characters."))
    if form.incoming is None or not form.filename:
        problems.append(("file", f"Attach the file to upload ({SUPPORTED})."))
    if problems:
        if form.incoming is not None:
            form.incoming.discard()
        field, message = problems[0]
        raise (
            invalid(field, message)
            if len(problems) == 1
            else ApiError(422, "invalid_request", f"{field}: {message}", detail=problems)
        )
    assert form.incoming is not None and form.filename is not None
    return course, form.filename, form.incoming


@router.post(
    "/api/materials",
    status_code=status.HTTP_201_CREATED,
    response_model=MaterialOut,
    responses={**ERRORS, **UPLOAD_ERRORS},
    summary="Upload a course file (PDF, PPTX, DOCX, Markdown, text) for the avatars of that course",
    openapi_extra=UPLOAD_BODY,
)
async def upload_material(
    request: Request, response: Response, repository: RepositoryDep, settings: SettingsDep, principal: PrincipalDep
) -> MaterialOut:
    files = _files(settings)
    course, filename, incoming = await _receive(request, settings, files)
    try:
        material, created = await take_in(
            repository.materials,
            files,
            owner_id=principal.professor_id,
            course=course,
            filename=filename,
            incoming=incoming,
        )
    except MaterialRefused as exc:
        raise ApiError(422, "material_refused", exc.words, field="file") from None
    if not created:
        response.status_code = status.HTTP_200_OK
    return MaterialOut.of(material)


@router.get(
    "/api/materials", response_model=MaterialList, responses=ERRORS, summary="The materials of a course, or of all"
)
async def list_materials(
    repository: RepositoryDep,
    principal: PrincipalDep,
    course: Annotated[str | None, Query(max_length=MAX_COURSE_NAME, description="A course name.")] = None,
) -> MaterialList:
    name = " ".join(course.split()) if course is not None else None
    return MaterialList(
        materials=[MaterialOut.of(m) for m in await repository.materials.all(name, owner_id=principal.only_owner)]
    )


@router.get(
    "/api/materials/{material_id}",
    response_model=MaterialDetail,
    responses=ERRORS,
    summary="A material with its passages (each with its source)",
)
async def get_material(material_id: str, repository: RepositoryDep, principal: PrincipalDep) -> MaterialDetail:
    material = await owned_material(repository, principal, material_id)
    passages = await repository.materials.passages(material_id)
    return MaterialDetail(**MaterialOut.of(material).model_dump(), passage_list=[PassageOut.of(p) for p in passages])


@router.delete(
    "/api/materials/{material_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=ERRORS,
    summary="Delete a material: its passages leave the index (avatars already started keep what they were given)",
)
async def delete_material(
    material_id: str, repository: RepositoryDep, settings: SettingsDep, principal: PrincipalDep
) -> Response:
    await owned_material(repository, principal, material_id)
    try:
        await remove(repository.materials, _files(settings), material_id)
    except NotFound:
        raise not_found(f"material with id {material_id}") from None
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# ---- pins -------------------------------------------------------------------------------------------------

PINS = "/api/sessions/{session_id}/rooms/{room_id}/pins"
PassageId = Annotated[int, Path(ge=1, le=2**63 - 1, description="A passage id (GET /api/materials/{id} lists them).")]


@router.get(PINS, response_model=PinList, responses=ERRORS, summary="The passages pinned to a room")
async def list_pins(session_id: str, room_id: str, repository: RepositoryDep, principal: PrincipalDep) -> PinList:
    await owned_room(repository, principal, session_id, room_id)
    return PinList(passages=[PassageOut.of(p) for p in await repository.materials.pinned_passages(room_id)])


@router.get(
    "/api/sessions/{session_id}/rooms/{room_id}/passages",
    response_model=PassageList,
    responses=ERRORS,
    summary="Find passages of the room's course to pin: the best matches of the words asked, best first",
)
async def find_passages(
    session_id: str,
    room_id: str,
    repository: RepositoryDep,
    principal: PrincipalDep,
    q: Annotated[str, Query(min_length=1, max_length=MAX_SEARCH, description="Words to look for.")],
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> PassageList:
    session, _ = await owned_room(repository, principal, session_id, room_id)
    terms = terms_of(q)  # common words ("the", "how") are not searched: a query of only those finds nothing
    found = await repository.materials.search_passages(
        " ".join(session.course.name.split()), terms, owner_id=session.owner_id, limit=limit
    )
    return PassageList(passages=[PassageOut.of(s.passage) for s in found])


@router.put(
    PINS + "/{passage_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=ERRORS,
    summary="Pin a passage to a room: every avatar start there gets it first (from the next start on)",
)
async def pin_passage(
    session_id: str, room_id: str, passage_id: PassageId, repository: RepositoryDep, principal: PrincipalDep
) -> Response:
    session, room = await owned_room(repository, principal, session_id, room_id)
    found = await repository.materials.get_passage(passage_id)
    # A passage of another professor's material is one this room's professor cannot pin: as if there were none.
    if found is None or found[2] != session.owner_id:
        raise not_found(f"passage with id {passage_id}")
    passage, course, _ = found
    if course.casefold() != " ".join(session.course.name.split()).casefold():
        raise invalid(
            "passage_id",
            f"Passage {passage_id} ({passage.source}) is material of the course '{course}'; "
            f"room '{room.name}' is in a session of '{session.course.name}'.",
        )
    await repository.materials.pin_passage(room_id, passage_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete(
    PINS + "/{passage_id}", status_code=status.HTTP_204_NO_CONTENT, responses=ERRORS, summary="Unpin a passage"
)
async def unpin_passage(
    session_id: str, room_id: str, passage_id: PassageId, repository: RepositoryDep, principal: PrincipalDep
) -> Response:
    await owned_room(repository, principal, session_id, room_id)
    if not await repository.materials.unpin_passage(room_id, passage_id):
        raise not_found(f"pinned passage {passage_id} in this room")
    return Response(status_code=status.HTTP_204_NO_CONTENT)
