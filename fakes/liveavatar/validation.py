"""Request bodies read by hand (the SDK posts an empty body with Content-Type: application/json) but reported
like FastAPI: 422 {detail: [{type, loc: ["body", ...], msg, input}]}."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import TypeAdapter, ValidationError

T = TypeVar("T")


async def json_body(request: Request, *, empty: Any = None) -> Any:
    raw = await request.body()
    if not raw.strip():
        return empty
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise RequestValidationError(
            [{"type": "json_invalid", "loc": ["body", 0], "msg": f"JSON decode error: {exc}", "input": {}}]
        ) from None


def validate(adapter: TypeAdapter[T], data: Any) -> T:
    try:
        return adapter.validate_python(data)
    except ValidationError as exc:
        errors: list[dict[str, Any]] = []
        for details in exc.errors(include_url=False):
            error: dict[str, Any] = dict(details)
            error["loc"] = ["body", *details.get("loc", ())]
            if details["type"] == "union_tag_invalid":  # point at the tag field, e.g. "mode"
                error["loc"].append(str(details.get("ctx", {}).get("discriminator", "")).strip("'"))
            if "ctx" in error:
                error["ctx"] = {key: str(value) for key, value in error["ctx"].items()}
            errors.append(error)
        raise RequestValidationError(errors) from None


def field_error(field: str, kind: str, message: str, value: Any, **ctx: Any) -> RequestValidationError:
    error: dict[str, Any] = {"type": kind, "loc": ["body", field], "msg": message, "input": value}
    if ctx:
        error["ctx"] = ctx
    return RequestValidationError([error])


def check_length(field: str, value: str | None, limit: int) -> None:
    if value is not None and len(value) > limit:
        raise field_error(
            field, "string_too_long", f"String should have at most {limit} characters", value[:80], max_length=limit
        )
