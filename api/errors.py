"""Every error the API returns has the same shape ({error, message, detail}) and words a professor can act on.

Validation errors name the field (`rooms[1].student.name`); unexpected errors never expose a stack trace.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

log = logging.getLogger("avatarfarm.api")


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        error: str,
        message: str,
        *,
        field: str | None = None,
        headers: dict[str, str] | None = None,
        detail: Sequence[tuple[str, str]] = (),
    ) -> None:
        super().__init__(message)
        self.status = status
        self.error = error
        self.message = message
        self.field = field
        self.headers = headers
        # (field, message) pairs when more than one field is wrong; else `field` with `message`.
        self.detail = list(detail)


def not_found(what: str) -> ApiError:
    return ApiError(404, "not_found", f"There is no {what}.")


def conflict(message: str) -> ApiError:
    return ApiError(409, "conflict", message)


def invalid(field: str, message: str) -> ApiError:
    return ApiError(422, "invalid_request", f"{field}: {message}", field=field)


def invalid_fields(problems: Sequence[tuple[str, str]]) -> ApiError:
    """422 naming every (field, message) pair, summed up like a validation error."""
    field, message = problems[0]
    summary = f"{field}: {message}"
    if len(problems) > 1:
        summary += f" (and {_plural(len(problems) - 1, 'more problem')})"
    return ApiError(422, "invalid_request", summary, field=field, detail=problems)


def field_path(loc: Sequence[Any]) -> str:
    """('body', 'rooms', 1, 'student', 'name') -> 'rooms[1].student.name'."""
    path = ""
    for part in loc:
        if part in ("body", "query", "header", "path") and not path:
            continue
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def friendly_message(error: dict[str, Any]) -> str:
    """Turn one pydantic error into a sentence."""
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    loc = error.get("loc") or ()
    given = error.get("input")
    last = str(loc[-1]) if loc else ""
    if kind == "missing":
        if tuple(loc) == ("body",):
            return "The request needs a JSON body."
        return "This field is required."
    if kind == "extra_forbidden":
        return f"Unknown field '{last}'. Remove it or check its spelling."
    if kind == "string_too_short":
        minimum = int(ctx.get("min_length", 1))
        return "Must not be empty." if minimum <= 1 else f"Must be at least {_plural(minimum, 'character')}."
    if kind == "string_too_long":
        maximum = int(ctx.get("max_length", 0))
        length = f" (this one has {len(given)})" if isinstance(given, str) else ""
        return f"Must be at most {_plural(maximum, 'character')}{length}."
    if kind == "too_short":
        minimum = int(ctx.get("min_length", 1))
        if last == "rooms":
            return f"Add at least {_plural(minimum, 'room')}."
        return f"Needs at least {_plural(minimum, 'item')}."
    if kind == "too_long":
        maximum = int(ctx.get("max_length", 0))
        return f"At most {_plural(maximum, 'item')} allowed."
    if kind == "string_pattern_mismatch":
        return "Use only letters, digits and - _ . : (starting with a letter or digit)."
    if kind in ("string_type", "str_type"):
        return "Must be text."
    if kind in ("bool_type", "bool_parsing"):
        return "Must be true or false."
    if kind in ("int_type", "int_parsing"):
        return "Must be a whole number."
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return "Must be an object (a JSON {...})."
    if kind == "list_type":
        return "Must be a list (a JSON [...])."
    if kind == "json_invalid":
        return f"The request body is not valid JSON ({ctx.get('error', 'syntax error')})."
    if kind == "value_error":
        return str(error.get("msg", "Invalid value.")).removeprefix("Value error, ")
    return str(error.get("msg", "Invalid value."))


def validation_body(errors: Sequence[dict[str, Any]]) -> dict[str, Any]:
    detail: list[dict[str, str | None]] = [
        {"field": field_path(tuple(error.get("loc") or ())) or None, "message": friendly_message(error)}
        for error in errors
    ]
    first = detail[0] if detail else {"field": None, "message": "Invalid request."}
    summary = f"{first['field']}: {first['message']}" if first["field"] else str(first["message"])
    if len(detail) > 1:
        summary += f" (and {_plural(len(detail) - 1, 'more problem')})"
    return {"error": "invalid_request", "message": summary, "detail": detail}


UNPARSABLE_BODY = "There was an error parsing the body"
NOT_JSON: dict[str, Any] = {
    "type": "json_invalid",
    "loc": ("body",),
    "ctx": {"error": "it is not UTF-8 text"},
    "msg": "The request body is not valid JSON.",
}


HTTP_METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")


def allowed_methods(request: Request) -> list[str]:
    """Every method some route takes at this path (a 405's Allow header): Starlette names only the first
    route that matched the path, while GET and DELETE of one path are two routes."""
    routes = request.app.router.routes
    return [
        method
        for method in HTTP_METHODS
        if any(route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes)
    ]


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        detail = [{"field": f, "message": m} for f, m in exc.detail] or (
            [{"field": exc.field, "message": exc.message}] if exc.field else []
        )
        return JSONResponse(
            {"error": exc.error, "message": exc.message, "detail": detail}, status_code=exc.status, headers=exc.headers
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(validation_body(list(exc.errors())), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400 and exc.detail == UNPARSABLE_BODY:
            # FastAPI's answer to a body that is not even text (bad UTF-8): a validation error like any other.
            return JSONResponse(validation_body([NOT_JSON]), status_code=422)
        codes = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized"}
        message = exc.detail if isinstance(exc.detail, str) else "Request failed."
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 404 and message == "Not Found":
            message = f"There is no {request.url.path} on this server."
        if exc.status_code == 405:
            allowed = allowed_methods(request)
            headers["Allow"] = ", ".join(allowed)
            message = f"{request.method} is not allowed here; this path takes {', '.join(allowed)}."
        return JSONResponse(
            {"error": codes.get(exc.status_code, "error"), "message": message, "detail": []},
            status_code=exc.status_code,
            headers=headers or None,
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return JSONResponse(
            {
                "error": "internal_error",
                "message": "Something went wrong on the server. The server log has the details.",
                "detail": [],
            },
            status_code=500,
        )
