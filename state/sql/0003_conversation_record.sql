-- avatarfarm schema v5: the conversation record. Webhook outbox (one message per reported change, written in
-- the change's transaction) with a delivery cursor per receiver URL; talk spans (when the avatar and the
-- students spoke); where each transcript line came from; which avatar sessions were reconciled with the vendor.

CREATE TABLE webhook_messages (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    webhook_id          TEXT NOT NULL UNIQUE,
    event_id            INTEGER NOT NULL REFERENCES events (id),
    type                TEXT NOT NULL,
    payload             TEXT NOT NULL CHECK (json_valid(payload)),
    created_at          REAL NOT NULL
);

-- Per receiver: everything up to `delivered_through` is done (delivered or given up); the next message is
-- retried at `next_attempt_at` with `attempts` so far.
CREATE TABLE webhook_cursors (
    url                 TEXT PRIMARY KEY,
    delivered_through   INTEGER NOT NULL DEFAULT 0,
    attempts            INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at     REAL NOT NULL DEFAULT 0,
    last_error          TEXT,
    updated_at          REAL NOT NULL
);

CREATE TABLE talk_spans (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    room_id             TEXT NOT NULL REFERENCES rooms (id),
    role                TEXT NOT NULL CHECK (role IN ('student', 'avatar')),
    started_at          REAL NOT NULL,
    ended_at            REAL,
    CHECK (ended_at IS NULL OR ended_at >= started_at)
);
CREATE INDEX talk_spans_by_room ON talk_spans (room_id, role, id);

ALTER TABLE transcripts ADD COLUMN source TEXT NOT NULL DEFAULT 'live' CHECK (source IN ('live', 'vendor'));
ALTER TABLE avatar_sessions ADD COLUMN transcript_reconciled_at REAL;
ALTER TABLE avatar_sessions ADD COLUMN transcript_reconcile_note TEXT;
CREATE INDEX transcripts_by_room_time ON transcripts (room_id, time, id);
