"""The one source of avatarfarm's words: room states, failure and end reasons, the kinds of event a bot page
reports, and the kinds of event the event log stores. Python imports these; the bot page and the dashboard import
the same lists as a generated ES module (`/bot-assets/js/vocabulary.js`, see `as_javascript`), so the three can
never disagree.
"""

from __future__ import annotations

import json
from enum import StrEnum


class RoomStatus(StrEnum):
    """A room's status is its bot's state machine, plus `queued` (no bot yet) and `recovering` (between bots).

    queued → starting → joining → waiting_room → in_main_session → joining_breakout → in_room (no human yet)
    → avatar_connecting → live ⇄ idle (avatar paused) → … → back to in_main_session when the host closes the
    rooms → leaving → ended, or failed with a reason.
    """

    queued = "queued"
    starting = "starting"
    joining = "joining"
    waiting_room = "waiting_room"
    in_main_session = "in_main_session"
    joining_breakout = "joining_breakout"
    in_room = "in_room"
    avatar_connecting = "avatar_connecting"
    live = "live"
    idle = "idle"
    recovering = "recovering"
    leaving = "leaving"
    ended = "ended"
    failed = "failed"

    @property
    def terminal(self) -> bool:
        return self in (RoomStatus.ended, RoomStatus.failed)


# What a professor reads for each status.
STATUS_WORDS: dict[RoomStatus, str] = {
    RoomStatus.queued: "Queued",
    RoomStatus.starting: "Starting the bot",
    RoomStatus.joining: "Joining the meeting",
    RoomStatus.waiting_room: "In the waiting room",
    RoomStatus.in_main_session: "Waiting in the main session",
    RoomStatus.joining_breakout: "Joining the breakout room",
    RoomStatus.in_room: "In the room, waiting for a student",
    RoomStatus.avatar_connecting: "Connecting the avatar",
    RoomStatus.live: "Live",
    RoomStatus.idle: "Avatar paused",
    RoomStatus.recovering: "Recovering",
    RoomStatus.leaving: "Leaving",
    RoomStatus.ended: "Ended",
    RoomStatus.failed: "Failed",
}

# The states a bot page itself reports (the farm adds queued and recovering).
BOT_STATES: tuple[RoomStatus, ...] = tuple(s for s in RoomStatus if s not in (RoomStatus.queued, RoomStatus.recovering))


class EventKind(StrEnum):
    """What a bot page reports besides its state and heartbeat (`{type: "event", kind, detail}`)."""

    transcript = "transcript"
    student_speaking = "student.speaking"
    avatar_wanted = "avatar.wanted"
    avatar_released = "avatar.released"
    avatar_state = "avatar.state"
    avatar_ready = "avatar.ready"
    avatar_start_failed = "avatar.start_failed"
    avatar_stalled = "avatar.stalled"
    avatar_deaf = "avatar.deaf"
    avatar_talking = "avatar.talking"
    avatar_dropped = "avatar.dropped"
    avatar_stopped = "avatar.stopped"
    avatar_restarting = "avatar.restarting"
    avatar_stop_failed = "avatar.stop_failed"
    avatar_keep_alive_failed = "avatar.keep_alive_failed"
    meeting_connection = "meeting.connection"
    meeting_breakout_state = "meeting.breakout_state"
    meeting_breakout_joined = "meeting.breakout_joined"
    meeting_breakout_refused = "meeting.breakout_refused"
    meeting_reconnecting = "meeting.reconnecting"
    meeting_button = "meeting.button"
    meeting_muted_by_host = "meeting.muted_by_host"
    meeting_audio_joined = "meeting.audio_joined"
    meeting_audio_silent = "meeting.audio_silent"
    meeting_recording = "meeting.recording"
    meeting_unassigned = "meeting.unassigned"
    meeting_broadcast = "meeting.broadcast"
    meeting_leave_failed = "meeting.leave_failed"
    # A person in the bot's room wrote in the Zoom chat, to everyone there or to the bot (farm/room/student_choice.py).
    meeting_chat = "meeting.chat"
    # The bot's own Zoom identity (userId, participantUUID), on joining and whenever Zoom changes it: the farm
    # tells every page of the meeting which participants are its bots (farm/room/meeting_bots.py).
    meeting_identity = "meeting.identity"
    page_error = "page.error"
    # People arrived in the room while its avatar was live: the farm has the avatar tell them it is an AI.
    students_arrived = "room.students_arrived"


# Why a page asks for an avatar, and why it lets one go.
class AvatarWant(StrEnum):
    human_arrived = "human_arrived"
    speech = "speech"
    joined_room = "joined_room"
    # Not asked by the page: its live avatar dropped, and the room waits for the farm's new session (or its no).
    dropped = "dropped"


class AvatarRelease(StrEnum):
    idle = "idle"
    room_empty = "room_empty"
    rooms_closing = "rooms_closing"
    left_room = "left_room"


# Reasons: why a room failed or ended, why an avatar stopped. Page reasons (Zoom refusals mapped in
# bot_page/js/states.js) and farm causes share this table.
REASON_WORDS: dict[str, str] = {
    # Zoom join refusals and closings (reported by the page)
    "bad_signature": "Zoom refused the meeting signature (check the SDK key and secret).",
    "bad_passcode": "The meeting passcode is wrong.",
    "meeting_not_found": "There is no Zoom meeting with this number.",
    "meeting_not_started": "The meeting has not started yet.",
    "cross_account_not_allowed": "The meeting belongs to another Zoom account; the app must be published for that.",
    "anonymous_join_refused": "Zoom does not allow anonymous joins for this app.",
    "obf_required": (
        "The meeting belongs to another Zoom account: the session's professor must connect their own Zoom on the "
        "dashboard's Zoom page, so that the bot can join on their behalf."
    ),
    "obf_invalid": "Zoom rejected the on-behalf-of (OBF) token.",
    "obf_wrong_meeting": "The on-behalf-of (OBF) token was issued for another meeting.",
    "authorizer_absent": "The professor who authorized the bot is not in the meeting yet.",
    "authorizer_left": "The professor who authorized the bot left the meeting, so Zoom removed the bot.",
    "waiting_for_professor": (
        "Waiting for the professor to be in the Zoom meeting: the bot joins on their behalf, which Zoom allows "
        "only while they are there (and each refused try e-mails the meeting's host), so it joins once they are "
        "in. Restart the room to try at once."
    ),
    "credentials_conflict": "Zoom reported a conflict with the login credentials.",
    "blocked_as_bot": "Zoom refused the join: the meeting does not allow automated participants.",
    "duplicated_session": "Another session with the same identity joined the meeting.",
    "kicked": "The host removed the bot from the meeting.",
    "meeting_ended": "The host ended the meeting.",
    "archive_failed": "Zoom closed the meeting (archiving failed).",
    "meeting_closed": "Zoom closed the connection.",
    "meeting_error": "Zoom refused the join.",
    "zak_invalid": "Zoom rejected the ZAK token.",
    "meeting_full": "The meeting is full.",
    "meeting_locked": "The meeting is locked.",
    "zoom_unreachable": "Could not reach Zoom's servers.",
    "sdk_outdated": (
        "Zoom no longer accepts this version of its Meeting SDK, so no bot can join: upgrade @zoom/meetingsdk "
        "(bot_page/package.json, see the README), then run the Zoom contract tests."
    ),
    "zoom_recaptcha": (
        "Zoom asked for a reCAPTCHA check, its wall against automated joins; the bot stops and does not retry, "
        "so the block is not made worse. Try again later, or ask the meeting's host."
    ),
    "sign_in_required": (
        "The meeting admits only signed-in Zoom users: the professor must authorize avatarfarm (connect Zoom) "
        "so the bot joins on their behalf, or the host must let guests in."
    ),
    "removed": "The host removed the bot from this meeting earlier, and Zoom does not let it join again.",
    "app_blocked": (
        "Zoom refused avatarfarm's app: an admin of the Zoom account blocked or deactivated it. Ask the "
        "account admin to allow the app."
    ),
    "information_barrier": (
        "Zoom's information barriers (a policy set by the Zoom account admin) keep the bot out of this meeting."
    ),
    "waiting_for_assignment": (
        "The breakout rooms are open but the bot waits in the main session: in Zoom, the host must assign it to "
        "its room, or let participants choose their room (Zoom never applies pre-assigned rooms to bots)."
    ),
    "participant_exists": (
        "Zoom says this participant is already in the meeting (an earlier bot of this room is still "
        "connected); the bot joins again shortly."
    ),
    "platform_unsupported": "This browser lacks what the Zoom SDK needs.",
    "page_error": "The bot page failed.",
    "audio_not_joined": (
        "The bot could not join the meeting's audio, so students would not hear the avatar; it rejoins the "
        "meeting once."
    ),
    "meeting_audio_silent": (
        "The room looked live but its audio did not flow (the avatar could not hear the students, or they could "
        "not hear it), and rejoining the audio did not help; the bot rejoins the meeting once."
    ),
    # Avatar
    "avatar_unavailable": "The avatar service could not start a session.",
    "avatar_refused": "LiveAvatar refused to start the avatar.",
    "avatar_lost": "The avatar kept dropping out.",
    "muted_by_host": "The host muted the bot, so the avatar stays silent in the meeting until the next room.",
    "avatar_deaf": "The avatar could not hear the room (its voice chat did not start), so it was restarted.",
    "avatar_stalled": "The avatar's picture froze, so it was restarted.",
    "avatar_dropped": "The avatar's connection dropped, so it was restarted.",
    "avatar_no_credits": "LiveAvatar stopped the avatar: the account has no credits left.",
    "avatar_max_duration": "LiveAvatar stopped the avatar: the session reached its maximum duration.",
    "avatar_deleted": "LiveAvatar stopped the avatar: the avatar was deleted from the account.",
    # Farm causes and normal ends
    "crashed": "The bot's browser crashed.",
    "hung": "The bot stopped answering (no heartbeat for 10 seconds, and no answer when asked).",
    "launch_failed": "The bot's browser could not be started.",
    "left": "The bot left the meeting as asked.",
    "max_duration": "The room reached its maximum duration, so the bot left.",
    "budget_reached": "The session's credit budget is spent, so the avatars were stopped.",
    "session_ended": "The session ended.",
    "restart_requested": "Restarted on request.",
    "node_lost": "The machine running this room's browser was lost; the room moves to another browser node.",
    "server_restart": "The server restarted; the room is being relaunched.",
    "waiting_for_capacity": "All bot slots are busy; the room waits in the queue.",
    "meeting_not_created": "The Zoom meeting could not be created.",
    "farm_error": "The farm failed.",
    # Why an avatar was let go while the bot stays in its room
    "idle": "Nobody spoke for a while, so the avatar was paused (no credits are used while paused).",
    "room_empty": "The last student left the room, so the avatar was paused.",
    "rooms_closing": "The host closed the breakout rooms; the avatar said goodbye and stopped.",
    "left_room": "The bot left its breakout room, so the avatar stopped.",
    "student_declined": (
        "A student asked not to talk with the AI tutor, so its avatar stopped in this room. Restart the room to "
        "bring it back."
    ),
    "allowance_reached": (
        "The professor's monthly credit allowance is spent, so the avatar was stopped; it starts again next month "
        "or when the administrator raises the allowance."
    ),
}


# ==== Stored event kinds (issue 22) =========================================================================
# Every kind the event log records (GET /api/events, the live stream, webhooks), each with its words for a
# professor. The product writes only these: tests/unit/test_event_kinds.py scans it for event writes. The
# dashboard listens to and words them from the generated module (STORED_EVENT_KINDS, STORED_EVENT_WORDS).


class StoredEventKind(StrEnum):
    session_created = "session.created"
    session_queued = "session.queued"
    session_start_failed = "session.start_failed"
    session_meeting_created = "session.meeting_created"
    session_budget_reached = "session.budget_reached"
    session_ending = "session.ending"
    session_ended = "session.ended"
    room_status = "room.status"
    room_command = "room.command"
    room_context_updated = "room.context_updated"
    room_restart_skipped = "room.restart_skipped"
    room_passage_pinned = "room.passage_pinned"
    room_passage_unpinned = "room.passage_unpinned"
    room_student_declined = "room.student_declined"
    bot_started = "bot.started"
    bot_ended = "bot.ended"
    bot_bad_report = "bot.bad_report"
    bot_heartbeats_late = "bot.heartbeats_late"
    bot_avatar_stopped = "bot.avatar.stopped"
    bot_meeting_breakout_joined = "bot.meeting.breakout_joined"
    bot_meeting_breakout_refused = "bot.meeting.breakout_refused"
    bot_meeting_reconnecting = "bot.meeting.reconnecting"
    bot_meeting_broadcast = "bot.meeting.broadcast"
    bot_meeting_muted_by_host = "bot.meeting.muted_by_host"
    bot_meeting_unassigned = "bot.meeting.unassigned"
    bot_meeting_recording = "bot.meeting.recording"
    bot_meeting_audio_silent = "bot.meeting.audio_silent"
    bot_page_error = "bot.page.error"
    bot_page_console = "bot.page.console"
    bot_page_report_ignored = "bot.page.report_ignored"
    avatar_requested = "avatar.requested"
    avatar_declined = "avatar.declined"
    avatar_cut_off = "avatar.cut_off"
    avatar_start_failed = "avatar.start_failed"
    avatar_started = "avatar.started"
    avatar_released = "avatar.released"
    avatar_dropped = "avatar.dropped"
    avatar_restarted = "avatar.restarted"
    avatar_refreshed = "avatar.refreshed"
    avatar_deaf = "avatar.deaf"
    avatar_stalled = "avatar.stalled"
    avatar_keep_alive_failed = "avatar.keep_alive_failed"
    avatar_stopped = "avatar.stopped"
    avatar_disclosed = "avatar.disclosed"
    transcript = "transcript"
    transcript_reconciled = "transcript.reconciled"
    material_added = "material.added"
    material_deleted = "material.deleted"
    farm_node_up = "farm.node_up"
    farm_node_down = "farm.node_down"
    farm_orphans_killed = "farm.orphans_killed"
    farm_reaped = "farm.reaped"
    farm_foreign_avatar_sessions = "farm.foreign_avatar_sessions"
    webhook_given_up = "webhook.given_up"
    webhook_receiver_added = "webhook.receiver_added"
    webhook_receiver_removed = "webhook.receiver_removed"
    zoom_authorized = "zoom.authorized"
    zoom_forgotten = "zoom.forgotten"
    professor_added = "professor.added"
    professor_disabled = "professor.disabled"
    professor_enabled = "professor.enabled"
    professor_allowance_set = "professor.allowance_set"
    allowance_warning = "allowance.warning"
    allowance_reached = "allowance.reached"


# What a professor reads for each kind when the dashboard has nothing more particular to say.
STORED_EVENT_WORDS: dict[StoredEventKind, str] = {
    StoredEventKind.session_created: "Session started",
    StoredEventKind.session_queued: "Session queued (no browser farm is running on this server)",
    StoredEventKind.session_start_failed: "The session could not start",
    StoredEventKind.session_meeting_created: "Zoom meeting created",
    StoredEventKind.session_budget_reached: "The session's credit budget is spent",
    StoredEventKind.session_ending: "Session ending",
    StoredEventKind.session_ended: "Session ended",
    StoredEventKind.room_status: "Room status changed",
    StoredEventKind.room_command: "Command sent to the room",
    StoredEventKind.room_context_updated: "Room instructions updated",
    StoredEventKind.room_restart_skipped: "Restart skipped",
    StoredEventKind.room_passage_pinned: "Course passage pinned to the room",
    StoredEventKind.room_passage_unpinned: "Course passage unpinned from the room",
    StoredEventKind.room_student_declined: "A student asked not to talk with the AI tutor",
    StoredEventKind.bot_started: "Bot started",
    StoredEventKind.bot_ended: "Bot ended",
    StoredEventKind.bot_bad_report: "The bot page sent a report the farm could not read",
    StoredEventKind.bot_heartbeats_late: (
        "The bot's heartbeats reached the farm late (a farm or browser node short of CPU); asked, the bot "
        "answered and was kept"
    ),
    StoredEventKind.bot_avatar_stopped: "LiveAvatar said why it stopped the avatar",
    StoredEventKind.bot_meeting_breakout_joined: "Joined the breakout room",
    StoredEventKind.bot_meeting_breakout_refused: "Could not join the breakout room",
    StoredEventKind.bot_meeting_reconnecting: "Meeting reconnecting",
    StoredEventKind.bot_meeting_broadcast: "Broadcast from the professor",
    StoredEventKind.bot_meeting_muted_by_host: "The host muted the bot",
    StoredEventKind.bot_meeting_unassigned: "The bot waits in the main session for the host to assign its room",
    StoredEventKind.bot_meeting_recording: "The meeting's recording changed",
    StoredEventKind.bot_meeting_audio_silent: "No audio flowed between the room and the avatar; the bot rejoined audio",
    StoredEventKind.bot_page_error: "Bot page error",
    StoredEventKind.bot_page_console: "Bot page console line",
    StoredEventKind.bot_page_report_ignored: "A report not from the bot page itself was ignored",
    StoredEventKind.avatar_requested: "Avatar requested",
    StoredEventKind.avatar_declined: "No avatar started",
    StoredEventKind.avatar_cut_off: "The monthly credit allowance ran out: the avatar was stopped",
    StoredEventKind.avatar_start_failed: "Avatar did not start",
    StoredEventKind.avatar_started: "Avatar started",
    StoredEventKind.avatar_released: "Avatar paused",
    StoredEventKind.avatar_dropped: "Avatar dropped",
    StoredEventKind.avatar_restarted: "Avatar restarted",
    StoredEventKind.avatar_refreshed: "Avatar refreshed with the new instructions",
    StoredEventKind.avatar_deaf: "The avatar could not hear the room",
    StoredEventKind.avatar_stalled: "The avatar's picture froze (or came back)",
    StoredEventKind.avatar_keep_alive_failed: "LiveAvatar did not take the avatar's keep-alive",
    StoredEventKind.avatar_stopped: "Avatar stopped",
    StoredEventKind.avatar_disclosed: "The avatar told new students it is an AI tutor",
    StoredEventKind.transcript: "Transcript line",
    StoredEventKind.transcript_reconciled: "Transcript checked against LiveAvatar's",
    StoredEventKind.material_added: "Course material added",
    StoredEventKind.material_deleted: "Course material deleted",
    StoredEventKind.farm_node_up: "Browser node up",
    StoredEventKind.farm_node_down: "Browser node down",
    StoredEventKind.farm_orphans_killed: "Browsers left by a stopped server were killed",
    StoredEventKind.farm_reaped: "Avatar sessions nobody used were stopped",
    StoredEventKind.farm_foreign_avatar_sessions: "LiveAvatar sessions not started by this farm were left alone",
    StoredEventKind.webhook_given_up: "A webhook was given up",
    StoredEventKind.webhook_receiver_added: "A professor registered a webhook receiver",
    StoredEventKind.webhook_receiver_removed: "A professor removed a webhook receiver",
    StoredEventKind.zoom_authorized: "Zoom connected",
    StoredEventKind.zoom_forgotten: "Zoom disconnected",
    StoredEventKind.professor_added: "Professor added",
    StoredEventKind.professor_disabled: "Professor disabled",
    StoredEventKind.professor_enabled: "Professor enabled again",
    StoredEventKind.professor_allowance_set: "Monthly credit allowance set",
    StoredEventKind.allowance_warning: "80 % of the monthly credit allowance is used",
    StoredEventKind.allowance_reached: "The monthly credit allowance is spent",
}

# Recorded, but not pushed to an open dashboard as they happen: many, and they change nothing on screen.
UNSTREAMED_EVENT_KINDS = frozenset({StoredEventKind.bot_page_console})
STREAMED_EVENT_KINDS: tuple[StoredEventKind, ...] = tuple(k for k in StoredEventKind if k not in UNSTREAMED_EVENT_KINDS)
# ==== end of stored event kinds =============================================================================


def reason_words(reason: str) -> str:
    return REASON_WORDS.get(reason, f"The bot stopped ({reason.replace('_', ' ')}).")


def as_dict() -> dict[str, object]:
    return {
        "states": [s.value for s in RoomStatus],
        "botStates": [s.value for s in BOT_STATES],
        "statusWords": {s.value: words for s, words in STATUS_WORDS.items()},
        "eventKinds": {k.name: k.value for k in EventKind},
        "avatarWant": [w.value for w in AvatarWant],
        "avatarRelease": [r.value for r in AvatarRelease],
        "reasonWords": REASON_WORDS,
        "storedEventKinds": [k.value for k in StoredEventKind],
        "streamedEventKinds": [k.value for k in STREAMED_EVENT_KINDS],
        "storedEventWords": {k.value: words for k, words in STORED_EVENT_WORDS.items()},
    }


def as_javascript() -> str:
    """The vocabulary as an ES module, for the bot page and the dashboard."""
    data = as_dict()
    lines = ["// Generated by state/vocabulary.py (the one source of these words); served, never edited."]
    names = {
        "states": "STATES",
        "botStates": "BOT_STATES",
        "statusWords": "STATUS_WORDS",
        "eventKinds": "EVENT_KINDS",
        "avatarWant": "AVATAR_WANT",
        "avatarRelease": "AVATAR_RELEASE",
        "reasonWords": "REASON_WORDS",
        "storedEventKinds": "STORED_EVENT_KINDS",
        "streamedEventKinds": "STREAMED_EVENT_KINDS",
        "storedEventWords": "STORED_EVENT_WORDS",
    }
    for key, name in names.items():
        lines.append(f"export const {name} = Object.freeze({json.dumps(data[key], ensure_ascii=False)});")
    return "\n".join(lines) + "\n"
