-- mod_mauth store, schema version 1, SQLite.
--
-- Booleans are INTEGER 0/1 and times are unix seconds, so that one query
-- text (apr_dbd %s placeholders) reads the same on SQLite and PostgreSQL.
-- Every statement is idempotent: `mauth-admin init` may run twice.
-- Statements are split on ';' at the end of a line; keep ';' out of
-- comments and literals.  AUTOINCREMENT: ids are never reused, so a cached
-- id can never name a newer row.

CREATE TABLE IF NOT EXISTS mauth_schema_version (
    version INTEGER NOT NULL PRIMARY KEY,
    applied INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS mauth_org (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    -- the switch Support turns on for the organisation
    mutual_auth_enabled INTEGER NOT NULL DEFAULT 0
        CHECK (mutual_auth_enabled IN (0, 1))
);

CREATE TABLE IF NOT EXISTS mauth_profile (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id INTEGER NOT NULL REFERENCES mauth_org (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    enforce_mutual_auth INTEGER NOT NULL DEFAULT 0
        CHECK (enforce_mutual_auth IN (0, 1)),
    UNIQUE (org_id, name)
);

CREATE TABLE IF NOT EXISTS mauth_user (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id INTEGER NOT NULL REFERENCES mauth_org (id) ON DELETE CASCADE,
    username TEXT NOT NULL UNIQUE,
    enforce_mutual_auth INTEGER NOT NULL DEFAULT 0
        CHECK (enforce_mutual_auth IN (0, 1))
);
CREATE INDEX IF NOT EXISTS mauth_user_org ON mauth_user (org_id);

CREATE TABLE IF NOT EXISTS mauth_user_profile (
    user_id INTEGER NOT NULL REFERENCES mauth_user (id) ON DELETE CASCADE,
    profile_id INTEGER NOT NULL REFERENCES mauth_profile (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, profile_id)
);
CREATE INDEX IF NOT EXISTS mauth_user_profile_profile ON mauth_user_profile (profile_id);

CREATE TABLE IF NOT EXISTS mauth_certificate (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id INTEGER NOT NULL REFERENCES mauth_org (id) ON DELETE CASCADE,
    -- NULL: uploaded for the whole organisation
    user_id INTEGER REFERENCES mauth_user (id) ON DELETE CASCADE,
    sha256 TEXT NOT NULL,            -- lowercase hex of the DER
    subject TEXT NOT NULL,
    issuer TEXT NOT NULL,
    serial TEXT NOT NULL,
    not_before INTEGER NOT NULL,
    not_after INTEGER NOT NULL,
    pem TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created INTEGER NOT NULL
);
-- One upload of a fingerprint per owner.  NULL user ids are distinct in a
-- plain UNIQUE constraint, hence the expression (ids start at 1).
CREATE UNIQUE INDEX IF NOT EXISTS mauth_certificate_owner_sha256
    ON mauth_certificate (org_id, COALESCE(user_id, 0), sha256);
-- The request-time lookup goes by fingerprint.
CREATE INDEX IF NOT EXISTS mauth_certificate_sha256 ON mauth_certificate (sha256);
CREATE INDEX IF NOT EXISTS mauth_certificate_user ON mauth_certificate (user_id);

CREATE TABLE IF NOT EXISTS mauth_session (
    token TEXT NOT NULL PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES mauth_user (id) ON DELETE CASCADE,
    expires INTEGER NOT NULL,
    created INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS mauth_session_user ON mauth_session (user_id);
CREATE INDEX IF NOT EXISTS mauth_session_expires ON mauth_session (expires);

INSERT INTO mauth_schema_version (version, applied)
    SELECT 1, CAST(strftime('%s', 'now') AS INTEGER)
    WHERE NOT EXISTS (SELECT 1 FROM mauth_schema_version WHERE version = 1);
