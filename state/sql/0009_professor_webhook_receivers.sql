-- avatarfarm schema v9 (issue 23): each professor registers their own webhook receivers, which get only their
-- sessions' messages (the administrator's get everyone's, like the server-wide AVATARFARM_WEBHOOK_URLS).
-- A receiver's signing secret is stored encrypted (a `fernet:` value, state/secret_box.py).

CREATE TABLE webhook_receivers (
    id                  TEXT PRIMARY KEY,
    professor_id        TEXT NOT NULL REFERENCES professors (id),
    url                 TEXT NOT NULL CHECK (length(url) > 0),
    secret              TEXT NOT NULL,
    created_at          REAL NOT NULL,
    UNIQUE (professor_id, url)
);

-- Whose message this is: the owner of the event's session (NULL: no session, only receivers of everything).
ALTER TABLE webhook_messages ADD COLUMN owner_id TEXT;
UPDATE webhook_messages SET owner_id = (
    SELECT s.owner_id FROM events e JOIN sessions s ON s.id = e.session_id WHERE e.id = webhook_messages.event_id
);
CREATE INDEX webhook_messages_by_owner ON webhook_messages (owner_id, id);
-- A cursor's `url` column is the receiver's key (its URL for a server-wide receiver, 'receiver:<id>' for a
-- professor's); `owner_id` is whose messages it follows (NULL: everyone's).
ALTER TABLE webhook_cursors ADD COLUMN owner_id TEXT;
