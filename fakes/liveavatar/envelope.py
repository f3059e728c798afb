"""LiveAvatar's response envelope {code, data, message}: 1000 on success, other codes for business errors.

The web SDK throws unless `code === 1000` (SessionApiClient.js, SUCCESS_CODE). On a non-2xx answer it reads
`message` and `code` from the JSON body, so every error here is JSON with the same envelope. Validation errors
stay FastAPI's 422 {detail: [...]}.

The business codes below are the fake's own (LiveAvatar does not publish its list); they are stable so tests and
the farm can rely on them.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any

from fastapi.responses import JSONResponse

SUCCESS_CODE = 1000


class ErrorCode(IntEnum):
    UNAUTHORIZED = 401
    FORBIDDEN = 403
    NOT_FOUND = 404
    TOO_MANY_REQUESTS = 429
    INTERNAL = 500
    GATEWAY_TIMEOUT = 504
    INVALID_REQUEST = 4000
    SESSION_NOT_FOUND = 4004
    SESSION_ALREADY_STARTED = 4009
    SESSION_ENDED = 4010
    CONCURRENCY_LIMIT = 4029
    INSUFFICIENT_CREDITS = 4020
    AVATAR_NOT_FOUND = 4041
    AVATAR_NOT_READY = 4042
    AVATAR_NOT_ALLOWED_IN_SANDBOX = 4043
    VOICE_NOT_FOUND = 4044
    CONTEXT_NOT_FOUND = 4045
    MISSING_DYNAMIC_VARIABLES = 4046
    VOICE_AGENT_NOT_FOUND = 4047
    TOKEN_EXPIRED = 4011


class BusinessError(Exception):
    """Raised by handlers; rendered as the envelope with a non-1000 code and the given HTTP status."""

    def __init__(self, status: int, code: ErrorCode, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers


def ok(data: Any = None, message: str = "success", status: int = 200) -> JSONResponse:
    return JSONResponse({"code": SUCCESS_CODE, "data": data, "message": message}, status_code=status)


def error_body(code: int, message: str) -> dict[str, Any]:
    return {"code": int(code), "data": None, "message": message}


def error_response(status: int, code: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error_body(code, message), status_code=status, headers=headers)
