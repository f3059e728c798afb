-- avatarfarm schema v1: sessions, rooms, browser attempts, avatar sessions, the event log and transcripts.
-- Times are UNIX seconds (REAL). JSON columns hold small documents written by state/repository.py only.

CREATE TABLE sessions (
    id                  TEXT PRIMARY KEY,
    status              TEXT NOT NULL CHECK (status IN ('active', 'ending', 'ended')),
    meeting_number      TEXT,
    meeting_passcode    TEXT,
    meeting_topic       TEXT,
    create_meeting      INTEGER NOT NULL DEFAULT 0 CHECK (create_meeting IN (0, 1)),
    professor           TEXT NOT NULL CHECK (json_valid(professor)),
    course              TEXT NOT NULL CHECK (json_valid(course)),
    idempotency_key     TEXT UNIQUE,
    request_hash        TEXT,
    end_reason          TEXT,
    created_at          REAL NOT NULL,
    updated_at          REAL NOT NULL,
    ended_at            REAL,
    CHECK (meeting_number IS NOT NULL OR create_meeting = 1)
);
CREATE INDEX sessions_by_created ON sessions (created_at DESC);

CREATE TABLE rooms (
    id                  TEXT PRIMARY KEY,
    session_id          TEXT NOT NULL REFERENCES sessions (id),
    position            INTEGER NOT NULL,
    name                TEXT NOT NULL,
    student             TEXT NOT NULL CHECK (json_valid(student)),
    status              TEXT NOT NULL,
    reason              TEXT,
    reason_text         TEXT,
    context_text        TEXT,
    created_at          REAL NOT NULL,
    updated_at          REAL NOT NULL,
    live_since          REAL,
    ended_at            REAL,
    UNIQUE (session_id, name COLLATE NOCASE),
    UNIQUE (session_id, position)
);
CREATE INDEX rooms_by_status ON rooms (status);

-- One row per browser attempt for a room.
CREATE TABLE bots (
    id                  TEXT PRIMARY KEY,
    room_id             TEXT NOT NULL REFERENCES rooms (id),
    attempt             INTEGER NOT NULL CHECK (attempt >= 1),
    status              TEXT NOT NULL,
    node                TEXT NOT NULL,
    end_reason          TEXT,
    started_at          REAL NOT NULL,
    ended_at            REAL,
    UNIQUE (room_id, attempt)
);

-- Written before the vendor is called, closed on every exit path: nothing billed goes unaccounted.
CREATE TABLE avatar_sessions (
    id                  TEXT PRIMARY KEY,
    room_id             TEXT NOT NULL REFERENCES rooms (id),
    bot_id              TEXT REFERENCES bots (id),
    vendor_session_id   TEXT UNIQUE,
    status              TEXT NOT NULL CHECK (status IN ('requested', 'active', 'stopped', 'failed')),
    created_at          REAL NOT NULL,
    started_at          REAL,
    stopped_at          REAL,
    minutes             REAL NOT NULL DEFAULT 0 CHECK (minutes >= 0),
    credits             REAL NOT NULL DEFAULT 0 CHECK (credits >= 0),
    end_reason          TEXT
);
CREATE INDEX avatar_sessions_open ON avatar_sessions (status) WHERE status IN ('requested', 'active');

-- Append-only: every state change writes one row in the same transaction.
CREATE TABLE events (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    time                REAL NOT NULL,
    session_id          TEXT REFERENCES sessions (id),
    room_id             TEXT REFERENCES rooms (id),
    kind                TEXT NOT NULL,
    detail              TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(detail))
);
CREATE INDEX events_by_session ON events (session_id, id);
CREATE INDEX events_by_room ON events (room_id, id);
CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only');
END;
CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only');
END;

CREATE TABLE transcripts (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    room_id             TEXT NOT NULL REFERENCES rooms (id),
    speaker             TEXT NOT NULL,
    role                TEXT NOT NULL CHECK (role IN ('student', 'avatar', 'professor', 'system')),
    text                TEXT NOT NULL,
    time                REAL NOT NULL
);
CREATE INDEX transcripts_by_room ON transcripts (room_id, id);
