-- avatarfarm schema v8 (issue 23): each professor connects their own Zoom. A grant belongs to one professor (at
-- most one each), and a Zoom account to at most one professor: Zoom rotates refresh tokens, so two rows holding
-- the same account's tokens would each invalidate the other's at their next refresh.
-- The single grant of an older database (the most recently updated, as that version used) becomes the admin's;
-- authorizations in progress and parked grants, which name no professor, are the admin's too.

CREATE TABLE zoom_grants_owned (
    professor_id        TEXT PRIMARY KEY REFERENCES professors (id),
    user_id             TEXT NOT NULL UNIQUE,
    email               TEXT,
    refresh_token       TEXT NOT NULL,
    access_token        TEXT,
    access_expires_at   REAL,
    created_at          REAL NOT NULL,
    updated_at          REAL NOT NULL
);
INSERT INTO zoom_grants_owned (professor_id, user_id, email, refresh_token, access_token, access_expires_at,
                               created_at, updated_at)
SELECT 'admin', user_id, email, refresh_token, access_token, access_expires_at, created_at, updated_at
FROM zoom_grants ORDER BY updated_at DESC LIMIT 1;
DROP TABLE zoom_grants;
ALTER TABLE zoom_grants_owned RENAME TO zoom_grants;

ALTER TABLE zoom_oauth_states ADD COLUMN professor_id TEXT NOT NULL DEFAULT 'admin';
ALTER TABLE zoom_pending_grants ADD COLUMN professor_id TEXT NOT NULL DEFAULT 'admin';
