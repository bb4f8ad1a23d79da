-- Source documents kept deflated (PostgreSQL). Keep in step with
-- ../sqlite, which says how.
ALTER TABLE sources ADD COLUMN deflated BYTEA;
