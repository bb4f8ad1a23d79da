-- Source documents kept deflated (SQLite). Keep in step with ../postgres.
--
-- A row whose `deflated` is not NULL holds its text there, zlib-deflated,
-- and an empty `text`; `bytes` is still the length of the text and
-- `sha256` its hash. Rows written before keep their text as it was. Why:
-- see crates/store/src/kept.rs.
ALTER TABLE sources ADD COLUMN deflated BLOB;
