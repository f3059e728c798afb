-- avatarfarm schema v2: the professor's Zoom OAuth grant (for OBF tokens and meeting creation), and the
-- LiveAvatar context made for each room.

CREATE TABLE zoom_grants (
    user_id             TEXT PRIMARY KEY,
    email               TEXT,
    refresh_token       TEXT NOT NULL,
    access_token        TEXT,
    access_expires_at   REAL,
    created_at          REAL NOT NULL,
    updated_at          REAL NOT NULL
);

ALTER TABLE rooms ADD COLUMN avatar_context_id TEXT;
