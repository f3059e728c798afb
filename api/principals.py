"""Who is asking: the admin (the bootstrap token, or a token of the admin's) or a professor (one of their
tokens, or a dashboard sign-in made with one), and whether they may change things or only read.

Every owned thing (session, room, transcript, report, event, thumbnail, course material) is looked up through
`owns`: another professor's is answered exactly as one that does not exist."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from api.errors import ApiError
from state.professors_repository import ADMIN_ID


@dataclass(frozen=True)
class Principal:
    professor_id: str
    is_admin: bool
    can_write: bool
    token_id: str | None  # None: the bootstrap token

    def owns(self, owner_id: str) -> bool:
        """Whether this principal may see a thing of professor `owner_id` (the admin sees everything)."""
        return self.is_admin or owner_id == self.professor_id

    @property
    def only_owner(self) -> str | None:
        """The owner to filter lists by: None for the admin (everything), else the professor's own id."""
        return None if self.is_admin else self.professor_id


BOOTSTRAP_ADMIN = Principal(ADMIN_ID, is_admin=True, can_write=True, token_id=None)


def principal_of(request: Request) -> Principal:
    """The principal the request guard authenticated (api/request_guard.py runs before every API route)."""
    principal = getattr(request.state, "principal", None)
    if not isinstance(principal, Principal):
        raise ApiError(401, "unauthorized", "This endpoint needs an API token.")
    return principal


def require_admin(request: Request) -> Principal:
    principal = principal_of(request)
    if not principal.is_admin:
        raise ApiError(403, "admin_only", "Only the administrator of this avatarfarm may do this.")
    return principal


PrincipalDep = Annotated[Principal, Depends(principal_of)]
AdminDep = Annotated[Principal, Depends(require_admin)]

# Marks an operation only the admin may call (in /openapi.json: tests/api/test_isolation.py reads it). Until
# each professor connects their own Zoom (issue 23, item 3), the one Zoom connection is the department's.
ADMIN_ONLY: dict[str, object] = {"x-admin-only": True}
