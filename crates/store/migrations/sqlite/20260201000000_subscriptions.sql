-- Subscribers, the server's settings, and the mail outbox (SQLite).
-- Timestamps are RFC 3339 UTC text of one fixed width, as in the initial
-- migration, so they compare and sort correctly as text.
-- Keep in step with ../postgres.

-- Everyone who asked for mail. A row is never deleted: an unsubscribed
-- subscriber keeps their row (and id), so a re-subscription finds it.
CREATE TABLE subscribers (
    -- AUTOINCREMENT: an id is never handed out twice, so a link made for
    -- one subscriber can never name another
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    -- the address as the subscriber gave it
    address         TEXT    NOT NULL,
    -- lower-cased address: one subscriber per mailbox, whatever the case
    address_key     TEXT    NOT NULL UNIQUE,
    -- hfr_model::subscription::Preferences as JSON
    preferences     TEXT    NOT NULL,
    state           TEXT    NOT NULL CHECK (state IN ('pending', 'confirmed', 'unsubscribed')),
    -- random per subscriber; the tokens in mailed links are HMACs of the
    -- server secret, the id and this nonce, so a new nonce revokes old links
    token_nonce     TEXT    NOT NULL,
    created_at      TEXT    NOT NULL,
    -- when the current state was entered (NULL when not in it)
    confirmed_at    TEXT,
    unsubscribed_at TEXT,
    updated_at      TEXT    NOT NULL
);

-- The mail fan-out pages through confirmed subscribers by id.
CREATE INDEX subscribers_state_id ON subscribers (state, id);

-- Server-wide values made once, e.g. the secret the link tokens are made with.
CREATE TABLE settings (
    key   TEXT NOT NULL PRIMARY KEY,
    value TEXT NOT NULL
);

-- Each alert revision whose mail was queued: publishing it again queues nothing.
CREATE TABLE publications (
    -- upper-cased alert id (as alerts.id_key), so a re-spelt id is the same alert
    alert_key    TEXT    NOT NULL,
    revision     INTEGER NOT NULL CHECK (revision >= 1),
    -- the id as the publisher gave it
    alert_id     TEXT    NOT NULL,
    published_at TEXT    NOT NULL,
    PRIMARY KEY (alert_key, revision)
);

-- Every mail to send, one row per recipient, kept after it was sent.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    -- what the mail is, e.g. alert/MS04-035/1, weekly/2004-10-11, confirm/7/1
    message_key     TEXT    NOT NULL,
    subscriber_id   INTEGER REFERENCES subscribers (id) ON DELETE SET NULL,
    recipient       TEXT    NOT NULL,
    -- the Message-ID header, the same on every attempt
    message_id      TEXT    NOT NULL,
    state           TEXT    NOT NULL DEFAULT 'queued'
                    CHECK (state IN ('queued', 'sending', 'sent', 'failed')),
    -- how many times the row was claimed for sending
    attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    -- a queued row is not sent before this
    next_attempt_at TEXT    NOT NULL,
    -- the worker sending it, and until when its claim (lease) holds
    claimed_by      TEXT,
    claimed_until   TEXT,
    -- the last SMTP reply or error
    last_error      TEXT,
    sent_at         TEXT,
    failed_at       TEXT,
    created_at      TEXT    NOT NULL,
    -- a mail is queued at most once per recipient
    UNIQUE (message_key, recipient)
);

-- Claiming takes due rows in (next_attempt_at, id) order and expired leases in
-- (claimed_until, id) order: read in index order, a claim stops after the rows
-- it takes, and partial indexes stay small however many sent rows the table
-- keeps.
CREATE INDEX outbox_due ON outbox (next_attempt_at, id) WHERE state = 'queued';
CREATE INDEX outbox_leases ON outbox (claimed_until, id) WHERE state = 'sending';
