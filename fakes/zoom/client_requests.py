"""What a client may ask of the service (`request` frames): leave, end, mute, waiting room and breakout
operations, chat, each with the SDK's permission rules and ExecutedFailure rejections."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fakes.zoom import errors
from fakes.zoom.chat import send_chat
from fakes.zoom.meetings import Meeting
from fakes.zoom.participants import Participant

# A handler checks and performs a request; it may return a callable to run after the response is sent
# (for actions that close the requester's own session), or a value the request's promise resolves to.
Handler = Callable[[Meeting, Participant, dict[str, Any]], Callable[[], None] | dict[str, Any] | None]


def _require_host(p: Participant) -> None:
    if not p.is_host:
        raise errors.HOST_ONLY


def _require_manager(p: Participant) -> None:
    if not p.is_manager:
        raise errors.HOST_OR_COHOST_ONLY


def _target(meeting: Meeting, params: dict[str, Any]) -> Participant:
    target = meeting.find(_int(params.get("userId")))
    if target is None:
        raise errors.USER_NOT_FOUND
    return target


def _leave(meeting: Meeting, p: Participant, params: dict[str, Any]) -> Callable[[], None]:
    new_host = _target(meeting, params) if p.is_host and params.get("userId") is not None else None

    def leave() -> None:
        if new_host is not None:
            meeting.set_host(new_host)
        meeting.remove(p, errors.CLOSED_USER_REQUEST)

    return leave


def _end(meeting: Meeting, p: Participant, params: dict[str, Any]) -> Callable[[], None]:
    _require_host(p)
    return meeting.end


def _mute(meeting: Meeting, p: Participant, params: dict[str, Any]) -> None:
    mute = bool(params.get("mute"))
    if params.get("userId") in (None, p.user_id):
        meeting.update_media_state(p, audio=p.audio, muted=mute, video=p.video)
        return
    _require_manager(p)
    target = _target(meeting, params)
    target.send({"op": "remote-mute", "mute": mute})


def _mute_all(meeting: Meeting, p: Participant, params: dict[str, Any]) -> None:
    _require_manager(p)
    for target in meeting.participants.values():
        if target is not p:
            target.send({"op": "remote-mute", "mute": bool(params.get("muteAll"))})


def _admit(meeting: Meeting, p: Participant, params: dict[str, Any]) -> None:
    _require_manager(p)
    meeting.admit(_target(meeting, params))


def _admit_all(meeting: Meeting, p: Participant, params: dict[str, Any]) -> None:
    _require_manager(p)
    for target in [q for q in meeting.participants.values() if q.on_hold]:
        meeting.admit(target)


def _put_on_hold(meeting: Meeting, p: Participant, params: dict[str, Any]) -> None:
    _require_manager(p)
    target = _target(meeting, params)
    if params.get("hold", True):
        meeting.put_on_hold(target)
    else:
        meeting.admit(target)


def _expel(meeting: Meeting, p: Participant, params: dict[str, Any]) -> None:
    _require_manager(p)
    target = _target(meeting, params)
    meeting.remove(target, errors.CLOSED_KICKED)


def _make_host(meeting: Meeting, p: Participant, params: dict[str, Any]) -> None:
    _require_host(p)
    meeting.set_host(_target(meeting, params))


def _set_cohost(value: bool) -> Handler:
    def handler(meeting: Meeting, p: Participant, params: dict[str, Any]) -> None:
        _require_host(p)
        _target(meeting, params).is_cohost = value
        meeting.publish()

    return handler


def _rename(meeting: Meeting, p: Participant, params: dict[str, Any]) -> None:
    target = _target(meeting, params) if params.get("userId") not in (None, p.user_id) else p
    if target is not p:
        _require_manager(p)
    name = _str(params.get("newName")).strip()
    if not name:
        raise errors.OperationFailure("INVALID_PARAMETERS", "parameter cannot be empty", 4003)
    target.name = name
    meeting.publish()


def _join_room(meeting: Meeting, p: Participant, params: dict[str, Any]) -> None:
    meeting.join_room(p, _str(params.get("roomId")))


def _leave_room(meeting: Meeting, p: Participant, params: dict[str, Any]) -> None:
    meeting.leave_room(p)


def _broadcast(meeting: Meeting, p: Participant, params: dict[str, Any]) -> None:
    _require_manager(p)
    meeting.broadcast(_str(params.get("content")))


def _open_rooms(meeting: Meeting, p: Participant, params: dict[str, Any]) -> None:
    _require_manager(p)
    rooms = params.get("rooms") or []
    for room in rooms if isinstance(rooms, list) else []:
        name = _str(room.get("name") or room.get("roomName")) if isinstance(room, dict) else ""
        room_id = _str(room.get("roomId")) if isinstance(room, dict) else ""
        if name and meeting.breakout.find(room_id or name) is None:
            meeting.breakout.add_room(name)
    options = params.get("options")
    meeting.open_breakout(options if isinstance(options, dict) else None)


def _close_rooms(meeting: Meeting, p: Participant, params: dict[str, Any]) -> None:
    _require_manager(p)
    meeting.close_breakout()


def _assign(meeting: Meeting, p: Participant, params: dict[str, Any]) -> None:
    _require_manager(p)
    room = meeting.breakout.by_id(_str(params.get("targetRoomId")))
    if room is None:
        raise errors.BO_ROOM_ID_WRONG
    meeting.assign(_target(meeting, params), room)


def _move(meeting: Meeting, p: Participant, params: dict[str, Any]) -> None:
    _require_manager(p)
    room = meeting.breakout.by_id(_str(params.get("targetRoomId")))
    if room is None:
        raise errors.BO_ROOM_ID_WRONG
    meeting.move(_target(meeting, params), room)


def _send_chat(meeting: Meeting, p: Participant, params: dict[str, Any]) -> dict[str, Any]:
    return send_chat(meeting, p, _str(params.get("message")), _int(params.get("userId") or 0))


HANDLERS: dict[str, Handler] = {
    "leaveMeeting": _leave,
    "endMeeting": _end,
    "mute": _mute,
    "muteAll": _mute_all,
    "admit": _admit,
    "admitAll": _admit_all,
    "putOnHold": _put_on_hold,
    "expel": _expel,
    "makeHost": _make_host,
    "makeCoHost": _set_cohost(True),
    "revokeCoHost": _set_cohost(False),
    "rename": _rename,
    "joinBreakoutRoom": _join_room,
    "leaveBreakoutRoom": _leave_room,
    "openBreakoutRooms": _open_rooms,
    "broadcast": _broadcast,
    "closeAllBreakoutRooms": _close_rooms,
    "assignUserToRoom": _assign,
    "moveUserToBreakoutRoom": _move,
    "sendChat": _send_chat,
}


def _str(value: object) -> str:
    return "" if value is None else str(value)


def _int(value: object) -> int:
    try:
        return int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return -1
