-- avatarfarm schema v7 (issue 23): professors as users, their API tokens and monthly credit allowances, and who
-- owns what.
-- The admin is the professor row 'admin' (its credential is the bootstrap token, AVATARFARM_API_TOKEN or
-- DATA_DIR/api_token, kept outside the database). Every session and course material belongs to one professor;
-- what existed before this migration is the admin's.
-- avatarfarm: rebuilds tables (foreign keys off)

CREATE TABLE professors (
    id                  TEXT PRIMARY KEY,
    name                TEXT NOT NULL CHECK (length(name) > 0),
    email               TEXT,
    role                TEXT NOT NULL CHECK (role IN ('admin', 'professor')),
    disabled_at         REAL,
    created_at          REAL NOT NULL,
    -- LiveAvatar credits a professor's avatars may use per calendar month (UTC); NULL: no allowance set.
    monthly_credit_allowance REAL CHECK (monthly_credit_allowance IS NULL OR monthly_credit_allowance > 0),
    -- The professor's own clone: LiveAvatar avatar and voice, and teaching style, for their sessions.
    avatar_id           TEXT,
    voice_id            TEXT,
    teaching_style      TEXT,
    CHECK (role = 'admin' OR email IS NOT NULL)
);
CREATE UNIQUE INDEX professors_by_email ON professors (email COLLATE NOCASE);
INSERT INTO professors (id, name, email, role, created_at)
VALUES ('admin', 'Administrator', NULL, 'admin', CAST(strftime('%s', 'now') AS REAL));

-- A token is never stored: only its keyed SHA-256 digest (api/professor_tokens.py says why not argon2).
CREATE TABLE api_tokens (
    id                  TEXT PRIMARY KEY,
    professor_id        TEXT NOT NULL REFERENCES professors (id),
    name                TEXT NOT NULL CHECK (length(name) > 0),
    scope               TEXT NOT NULL CHECK (scope IN ('read', 'write')),
    digest              TEXT NOT NULL UNIQUE CHECK (length(digest) = 64),
    created_at          REAL NOT NULL,
    last_used_at        REAL,
    revoked_at          REAL
);
CREATE INDEX api_tokens_by_professor ON api_tokens (professor_id, created_at);

-- SQLite cannot add a column with a REFERENCES clause and a non-NULL default: a trigger holds the reference.
ALTER TABLE sessions ADD COLUMN owner_id TEXT NOT NULL DEFAULT 'admin';
CREATE INDEX sessions_by_owner ON sessions (owner_id, created_at DESC);
CREATE TRIGGER sessions_owner_exists BEFORE INSERT ON sessions
WHEN NOT EXISTS (SELECT 1 FROM professors WHERE id = NEW.owner_id)
BEGIN
    SELECT RAISE(ABORT, 'a session belongs to a professor');
END;
-- Idempotency keys are per professor: the stored key is '<owner id>:<key>' (one professor's key can neither
-- find nor block another's session).
UPDATE sessions SET idempotency_key = 'admin:' || idempotency_key WHERE idempotency_key IS NOT NULL;

-- Materials: the same file for a course of the same name may belong to two professors, so the unique key
-- becomes (owner, course, file). Changing a table constraint means rebuilding the table (foreign keys off, so
-- the passages that reference it stay; checked before commit).
CREATE TABLE materials_owned (
    id                  TEXT PRIMARY KEY,
    owner_id            TEXT NOT NULL REFERENCES professors (id),
    course              TEXT NOT NULL,
    filename            TEXT NOT NULL,
    kind                TEXT NOT NULL CHECK (kind IN ('pdf', 'pptx', 'docx', 'markdown', 'text')),
    sha256              TEXT NOT NULL CHECK (length(sha256) = 64),
    size                INTEGER NOT NULL CHECK (size > 0),
    units               INTEGER NOT NULL CHECK (units >= 0),
    created_at          REAL NOT NULL,
    UNIQUE (owner_id, course COLLATE NOCASE, sha256)
);
INSERT INTO materials_owned (id, owner_id, course, filename, kind, sha256, size, units, created_at)
SELECT id, 'admin', course, filename, kind, sha256, size, units, created_at FROM materials;
DROP TABLE materials;
ALTER TABLE materials_owned RENAME TO materials;
CREATE INDEX materials_by_course ON materials (owner_id, course COLLATE NOCASE, created_at);
CREATE INDEX materials_by_hash ON materials (sha256);
