-- The current revision's JSON is kept once (PostgreSQL). Keep in step
-- with ../sqlite, which says why.

ALTER TABLE alert_revisions ALTER COLUMN document DROP NOT NULL;

UPDATE alert_revisions r
    SET document = NULL
    FROM alerts a
    WHERE a.id = r.alert_id AND a.revision = r.revision;
