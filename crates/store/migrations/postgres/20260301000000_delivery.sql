-- Delivery that survives a crash without losing or repeating mail (PostgreSQL).
-- Keep in step with ../sqlite.

-- When the sender handed the message over: the relay had the whole message
-- but for its last line when this was written, and that line follows within
-- microseconds. A row still 'sending' with this set, whose sender stopped
-- (its lease ran out, or it was found dead), was delivered: it is counted as
-- sent, not sent again. NULL for a row not (yet) handed over in this attempt.
ALTER TABLE outbox ADD COLUMN handed_at TEXT COLLATE "C";

-- Publishing queues its mail page by page, so memory does not grow with the
-- number of subscribers; a publication is complete when its last page is
-- queued. One that was cut short (a crash) is resumed by publishing again:
-- rows already queued are skipped.
ALTER TABLE publications ADD COLUMN completed_at TEXT COLLATE "C";
UPDATE publications SET completed_at = published_at;

-- The weekly digest reads the publications of a week.
CREATE INDEX publications_published_at ON publications (published_at);
