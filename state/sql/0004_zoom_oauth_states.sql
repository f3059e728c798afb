-- avatarfarm schema v4: Zoom OAuth hardening. Authorizations in progress (single-use state, the dashboard
-- session that asked, the PKCE code_verifier, encrypted) and grants parked until the professor confirms that a
-- different Zoom account replaces the connected one. Token columns hold `fernet:` values (state/secret_box.py);
-- plaintext tokens of older versions are encrypted by the start-up pass.
CREATE TABLE zoom_oauth_states (
    state_hash          TEXT PRIMARY KEY,
    session_nonce       TEXT NOT NULL,
    browser_hash        TEXT NOT NULL,
    code_verifier       TEXT NOT NULL,
    expires_at          REAL NOT NULL,
    created_at          REAL NOT NULL
);

CREATE TABLE zoom_pending_grants (
    id                  TEXT PRIMARY KEY,
    session_nonce       TEXT NOT NULL,
    user_id             TEXT NOT NULL,
    email               TEXT,
    refresh_token       TEXT NOT NULL,
    access_token        TEXT,
    access_expires_at   REAL,
    expires_at          REAL NOT NULL,
    created_at          REAL NOT NULL
);
