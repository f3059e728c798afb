"""Looking up a professor's things: a session, room or material of another professor is answered with the
same 404, in the same words, as one that does not exist (the admin sees everything)."""

from __future__ import annotations

from api.errors import not_found
from api.principals import Principal
from state.models import Material, Room, Session
from state.repository import Repository


async def owned_session(repository: Repository, principal: Principal, session_id: str) -> Session:
    session = await repository.sessions.get(session_id)
    if session is None or not principal.owns(session.owner_id):
        raise not_found(f"session with id {session_id}")
    return session


async def owned_room(
    repository: Repository, principal: Principal, session_id: str, room_id: str
) -> tuple[Session, Room]:
    session = await owned_session(repository, principal, session_id)
    room = next((r for r in session.rooms if r.id == room_id), None)
    if room is None:
        raise not_found(f"room with id {room_id} in session {session_id}")
    return session, room


async def owned_material(repository: Repository, principal: Principal, material_id: str) -> Material:
    material = await repository.materials.get(material_id)
    if material is None or not principal.owns(material.owner_id):
        raise not_found(f"material with id {material_id}")
    return material
