-- avatarfarm schema v6: course materials. Uploaded files (kept under DATA_DIR by their SHA-256), their passages
-- with file and page or slide, a full-text index of the passages (FTS5, ranked with bm25), passages a professor
-- pinned to a room, and which passages each avatar session was given.

CREATE TABLE materials (
    id                  TEXT PRIMARY KEY,
    course              TEXT NOT NULL,
    filename            TEXT NOT NULL,
    kind                TEXT NOT NULL CHECK (kind IN ('pdf', 'pptx', 'docx', 'markdown', 'text')),
    sha256              TEXT NOT NULL CHECK (length(sha256) = 64),
    size                INTEGER NOT NULL CHECK (size > 0),
    units               INTEGER NOT NULL CHECK (units >= 0),  -- pages, slides or sections
    created_at          REAL NOT NULL,
    UNIQUE (course COLLATE NOCASE, sha256)
);
CREATE INDEX materials_by_course ON materials (course COLLATE NOCASE, created_at);
CREATE INDEX materials_by_hash ON materials (sha256);

CREATE TABLE passages (
    id                  INTEGER PRIMARY KEY,
    material_id         TEXT NOT NULL REFERENCES materials (id) ON DELETE CASCADE,
    ordinal             INTEGER NOT NULL CHECK (ordinal >= 0),
    location            TEXT,  -- "p. 28", "slide 3"; NULL where the file has no pages
    text                TEXT NOT NULL CHECK (length(text) > 0),
    UNIQUE (material_id, ordinal)
);

-- An external-content index over passages.text, kept in step by the triggers below.
CREATE VIRTUAL TABLE passages_fts USING fts5(
    text,
    content = 'passages',
    content_rowid = 'id',
    tokenize = 'porter unicode61 remove_diacritics 2'
);
CREATE TRIGGER passages_fts_insert AFTER INSERT ON passages BEGIN
    INSERT INTO passages_fts (rowid, text) VALUES (NEW.id, NEW.text);
END;
CREATE TRIGGER passages_fts_delete AFTER DELETE ON passages BEGIN
    INSERT INTO passages_fts (passages_fts, rowid, text) VALUES ('delete', OLD.id, OLD.text);
END;
CREATE TRIGGER passages_no_update BEFORE UPDATE OF text ON passages BEGIN
    SELECT RAISE(ABORT, 'passages are replaced, never edited');
END;

CREATE TABLE room_pins (
    room_id             TEXT NOT NULL REFERENCES rooms (id),
    passage_id          INTEGER NOT NULL REFERENCES passages (id) ON DELETE CASCADE,
    pinned_at           REAL NOT NULL,
    PRIMARY KEY (room_id, passage_id)
);

-- What each avatar session's context held. The source and an excerpt are copied: the record stays true after
-- its material is deleted.
CREATE TABLE avatar_session_passages (
    avatar_session_id   TEXT NOT NULL REFERENCES avatar_sessions (id),
    position            INTEGER NOT NULL CHECK (position >= 0),
    passage_id          INTEGER,
    source              TEXT NOT NULL,
    excerpt             TEXT NOT NULL,
    pinned              INTEGER NOT NULL DEFAULT 0 CHECK (pinned IN (0, 1)),
    PRIMARY KEY (avatar_session_id, position)
);
