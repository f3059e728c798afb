-- avatarfarm schema v5: avatar sessions found by room without a table scan; events of an ended session may be
-- deleted (`avatarfarm db prune`), those of any other session stay append-only.

CREATE INDEX IF NOT EXISTS avatar_sessions_by_room ON avatar_sessions (room_id);

DROP TRIGGER IF EXISTS events_append_only_delete;
CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events
WHEN OLD.session_id IS NULL
  OR NOT EXISTS (SELECT 1 FROM sessions WHERE id = OLD.session_id AND status = 'ended')
BEGIN
    SELECT RAISE(ABORT, 'events are append-only until their session has ended');
END;
CREATE INDEX IF NOT EXISTS sessions_by_ended ON sessions (ended_at) WHERE status = 'ended';
