-- Vendor documents (SQLite): each source document kept once, and the
-- vendor releases (Microsoft's monthly documents). Keep in step with
-- ../postgres.

-- Every source document the archive keeps, once. A month of Microsoft's
-- is one document of a few megabytes that becomes a hundred alerts; kept
-- with each alert revision it would be stored a hundred times.
CREATE TABLE sources (
    id     INTEGER PRIMARY KEY,
    -- SHA-256 of `text` as UTF-8, hex: how a document already kept is
    -- found again. SQLite has no SHA-256 function, so the texts this
    -- migration moves here get theirs when hfr next opens the archive
    -- (right after migrating); until then they are NULL.
    sha256 TEXT UNIQUE,
    -- length of `text` in bytes
    bytes  INTEGER NOT NULL CHECK (bytes >= 0),
    -- the document as decoded text
    text   TEXT NOT NULL
);

INSERT INTO sources (bytes, text)
    SELECT length(CAST(source_text AS BLOB)), source_text
    FROM alert_revisions
    WHERE source_text IS NOT NULL
    GROUP BY source_text;

ALTER TABLE alert_revisions ADD COLUMN source_id INTEGER REFERENCES sources (id);

UPDATE alert_revisions
    SET source_id = (SELECT s.id FROM sources s WHERE s.text = alert_revisions.source_text)
    WHERE source_text IS NOT NULL;

ALTER TABLE alert_revisions DROP COLUMN source_text;

CREATE INDEX alert_revisions_source ON alert_revisions (source_id);

-- Vendor releases: one row per document id, its current version.
CREATE TABLE releases (
    id              TEXT    NOT NULL PRIMARY KEY,
    -- upper-cased id, for case-insensitive lookup
    id_key          TEXT    NOT NULL UNIQUE,
    -- 1 when first stored, one more for every changed version stored
    revision        INTEGER NOT NULL CHECK (revision >= 1),
    title           TEXT    NOT NULL,
    -- the vendor's dates, timestamps as elsewhere
    initial_release TEXT,
    current_release TEXT,
    -- the vendor's revision number of the document, as written
    vendor_revision TEXT,
    -- initial_release, else current_release: the listing order
    sort_date       TEXT,
    -- how many alerts the release lists
    alerts          INTEGER NOT NULL CHECK (alerts >= 0),
    created_at      TEXT    NOT NULL,
    recorded_at     TEXT    NOT NULL,
    source_id       INTEGER REFERENCES sources (id),
    -- hfr_model::Release as JSON
    document        TEXT    NOT NULL
);

CREATE INDEX releases_newest_first ON releases (sort_date DESC, id);
