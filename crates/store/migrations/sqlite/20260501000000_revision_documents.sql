-- The current revision's JSON is kept once (SQLite). Keep in step with
-- ../postgres.
--
-- `alerts.document` holds the JSON of every alert's current revision, and
-- `alert_revisions.document` held it a second time: for an archive of
-- Microsoft's monthly data, whose alerts are rarely revised, that was a
-- third of the file and of what an import writes. Now a revision row holds
-- its JSON only once it is no longer the current one: the row of the
-- current revision has NULL, and the statement that records the next
-- revision first copies `alerts.document` into it. Reading a revision is
-- `COALESCE(r.document, a.document)`.
--
-- SQLite cannot drop a NOT NULL constraint, so the table is made again.

CREATE TABLE alert_revisions_new (
    alert_id      TEXT    NOT NULL REFERENCES alerts (id) ON UPDATE CASCADE ON DELETE CASCADE,
    revision      INTEGER NOT NULL CHECK (revision >= 1),
    recorded_at   TEXT    NOT NULL,
    updated       TEXT,
    source_kind   TEXT    NOT NULL,
    source_name   TEXT    NOT NULL,
    source_format TEXT    NOT NULL,
    source_sha256 TEXT,
    -- JSON array of changes from the previous revision
    changes       TEXT    NOT NULL,
    -- the canonical JSON of this revision; NULL while it is the current
    -- one (then it is `alerts.document`)
    document      TEXT,
    source_id     INTEGER REFERENCES sources (id),
    PRIMARY KEY (alert_id, revision)
);

INSERT INTO alert_revisions_new
    (alert_id, revision, recorded_at, updated, source_kind, source_name, source_format,
     source_sha256, changes, document, source_id)
SELECT r.alert_id, r.revision, r.recorded_at, r.updated, r.source_kind, r.source_name,
       r.source_format, r.source_sha256, r.changes,
       CASE WHEN r.revision = a.revision THEN NULL ELSE r.document END,
       r.source_id
FROM alert_revisions r JOIN alerts a ON a.id = r.alert_id;

DROP TABLE alert_revisions;

ALTER TABLE alert_revisions_new RENAME TO alert_revisions;

CREATE INDEX alert_revisions_source ON alert_revisions (source_id);
