-- The alert archive (SQLite). Dates are ISO `YYYY-MM-DD` text, timestamps
-- RFC 3339 UTC text with a fixed format, so both sort correctly as text.
-- Booleans are INTEGER 0/1. Keep in step with ../postgres.

-- The current revision of every alert.
CREATE TABLE alerts (
    id            TEXT    NOT NULL PRIMARY KEY,
    -- upper-cased id, for case-insensitive lookup
    id_key        TEXT    NOT NULL UNIQUE,
    revision      INTEGER NOT NULL CHECK (revision >= 1),
    severity      INTEGER CHECK (severity BETWEEN 1 AND 4),
    exploit_code  INTEGER CHECK (exploit_code IN (0, 1)),
    action        TEXT,
    edition       TEXT,
    registered    TEXT,
    updated       TEXT,
    -- edition, else registered, else updated: the listing order
    sort_date     TEXT,
    title         TEXT    NOT NULL,
    target_server INTEGER CHECK (target_server IN (0, 1)),
    target_client INTEGER CHECK (target_client IN (0, 1)),
    -- when revision 1 was recorded
    created_at    TEXT    NOT NULL,
    -- when the current revision was recorded
    recorded_at   TEXT    NOT NULL,
    -- the canonical JSON of the current revision
    document      TEXT    NOT NULL
);

CREATE INDEX alerts_newest_first ON alerts (sort_date DESC, id);
CREATE INDEX alerts_severity ON alerts (severity);
CREATE INDEX alerts_action ON alerts (action);
CREATE INDEX alerts_exploit_code ON alerts (exploit_code);
CREATE INDEX alerts_target_server ON alerts (target_server);
CREATE INDEX alerts_target_client ON alerts (target_client);

-- Every revision ever recorded, with where it came from.
CREATE TABLE alert_revisions (
    alert_id      TEXT    NOT NULL REFERENCES alerts (id) ON UPDATE CASCADE ON DELETE CASCADE,
    revision      INTEGER NOT NULL CHECK (revision >= 1),
    recorded_at   TEXT    NOT NULL,
    updated       TEXT,
    source_kind   TEXT    NOT NULL,
    source_name   TEXT    NOT NULL,
    source_format TEXT    NOT NULL,
    source_sha256 TEXT,
    -- the original document as decoded text, when kept
    source_text   TEXT,
    -- JSON array of changes from the previous revision
    changes       TEXT    NOT NULL,
    document      TEXT    NOT NULL,
    PRIMARY KEY (alert_id, revision)
);

-- The products of each alert's current revision, for the product filter.
CREATE TABLE alert_products (
    alert_id    TEXT NOT NULL REFERENCES alerts (id) ON UPDATE CASCADE ON DELETE CASCADE,
    product     TEXT NOT NULL,
    -- lower-cased product, for case-insensitive matching
    product_key TEXT NOT NULL,
    PRIMARY KEY (alert_id, product)
);

CREATE INDEX alert_products_key ON alert_products (product_key);
