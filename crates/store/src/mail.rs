//! Subscribers and the mail outbox: the values the [`Store`](crate::Store)
//! takes and returns for mail.
//!
//! The store keeps mail *durable*, it does not send it. Publishing an alert
//! writes one outbox row per recipient in the same transaction that records
//! the publication, so a crash either queued everything or nothing, and a
//! second publication of the same revision queues nothing. Senders then
//! *claim* rows with a lease: a worker that dies mid-send loses its claim
//! when the lease runs out, and another worker takes the row over. Because
//! the lease can run out under a slow (not dead) worker, a mail may be sent
//! twice in that rare case, never lost; its fixed Message-ID lets mail
//! clients fold the duplicate.

use chrono::{DateTime, Utc};
use hfr_model::subscription::Preferences;
use serde::{Deserialize, Serialize};

/// The longest address the store accepts, in bytes: SMTP's limit on a path
/// (RFC 5321 §4.5.3.1.3, 256 octets with the angle brackets).
pub const MAX_ADDRESS_LEN: usize = 254;

/// Where a subscriber is in the double opt-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubscriberState {
    /// Asked for mail; the confirmation link was not followed yet. Gets only
    /// the confirmation mail.
    Pending,
    /// Followed the confirmation link: gets what their preferences ask for.
    Confirmed,
    /// Asked to stop. Gets nothing until they subscribe (and confirm) again.
    Unsubscribed,
}

impl SubscriberState {
    /// The value stored in `subscribers.state`.
    pub fn as_str(self) -> &'static str {
        match self {
            SubscriberState::Pending => "pending",
            SubscriberState::Confirmed => "confirmed",
            SubscriberState::Unsubscribed => "unsubscribed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(SubscriberState::Pending),
            "confirmed" => Some(SubscriberState::Confirmed),
            "unsubscribed" => Some(SubscriberState::Unsubscribed),
            _ => None,
        }
    }
}

/// A subscriber as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Subscriber {
    pub id: i64,
    /// The address as last given (lookups ignore case).
    pub address: String,
    pub preferences: Preferences,
    pub state: SubscriberState,
    /// Random per subscriber; the tokens in mailed links are made from the
    /// server secret, the id and this nonce, so rotating it
    /// ([`Store::rotate_token_nonce`](crate::Store::rotate_token_nonce))
    /// revokes every link mailed before.
    pub token_nonce: String,
    pub created_at: DateTime<Utc>,
    /// When the subscription was confirmed; None unless confirmed.
    pub confirmed_at: Option<DateTime<Utc>>,
    /// When the subscriber left; None unless unsubscribed.
    pub unsubscribed_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

/// A mail to queue: one recipient of one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMessage {
    /// What the mail is, the same for every recipient of it: e.g.
    /// `alert/MS04-035/1`, `weekly/2004-10-11`, `confirm/<subscriber id>/<n>`.
    /// A message is queued at most once per (key, recipient).
    pub message_key: String,
    /// The subscriber it goes to, when it goes to one.
    pub subscriber_id: Option<i64>,
    /// The address to send to.
    pub recipient: String,
    /// The Message-ID header, without angle brackets or with them: the
    /// sender decides; it is stored as given and the same on every attempt.
    pub message_id: String,
    /// Not sent before this.
    pub not_before: DateTime<Utc>,
}

/// Where an outbox row is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutboxState {
    /// Waiting to be sent (first time, or again after a temporary failure).
    Queued,
    /// Claimed by a worker, until its lease runs out.
    Sending,
    /// Accepted by the SMTP server.
    Sent,
    /// Given up on (a permanent SMTP error, or too many attempts).
    Failed,
}

impl OutboxState {
    /// The value stored in `outbox.state`.
    pub fn as_str(self) -> &'static str {
        match self {
            OutboxState::Queued => "queued",
            OutboxState::Sending => "sending",
            OutboxState::Sent => "sent",
            OutboxState::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "queued" => Some(OutboxState::Queued),
            "sending" => Some(OutboxState::Sending),
            "sent" => Some(OutboxState::Sent),
            "failed" => Some(OutboxState::Failed),
            _ => None,
        }
    }
}

/// An outbox row a worker claimed and is to send now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutboxMessage {
    pub id: i64,
    pub message_key: String,
    pub subscriber_id: Option<i64>,
    pub recipient: String,
    pub message_id: String,
    /// How many times the row has been claimed, this claim included (1 on
    /// the first attempt).
    pub attempts: u32,
}

/// How many outbox rows of one message are in one state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutboxCount {
    pub message_key: String,
    pub state: OutboxState,
    /// Queued again after a failed attempt (queued with attempts > 0).
    pub retrying: bool,
    pub count: u64,
}

/// What a sender records about a claimed row. Recorded in batches
/// ([`Store::record_outbox`](crate::Store::record_outbox)), each only while
/// the row is still `sending` and claimed by the recording worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutboxMark {
    /// The message is being handed to the relay: everything but the line
    /// that ends its DATA was written, and that line is written right after
    /// this is recorded. Should the sender stop before it records the
    /// relay's reply, the row counts as sent (see the `handed_at` column).
    Handed { id: i64, at: DateTime<Utc> },
    /// The relay accepted the message.
    Sent { id: i64, at: DateTime<Utc> },
    /// A temporary failure: queued again, not claimed before `next_attempt_at`.
    Retry {
        id: i64,
        next_attempt_at: DateTime<Utc>,
        error: String,
    },
    /// A permanent failure: never claimed again.
    Failed {
        id: i64,
        error: String,
        at: DateTime<Utc>,
    },
}

impl OutboxMark {
    /// The outbox row it is about.
    pub fn id(&self) -> i64 {
        match self {
            OutboxMark::Handed { id, .. }
            | OutboxMark::Sent { id, .. }
            | OutboxMark::Retry { id, .. }
            | OutboxMark::Failed { id, .. } => *id,
        }
    }
}

/// What [`Store::release_claims`](crate::Store::release_claims) did with
/// the rows of a sender that stopped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Released {
    /// Rows it had handed to the relay: counted as sent.
    pub sent: u64,
    /// Rows it had claimed but not handed over: queued again, due at once.
    pub requeued: u64,
}

/// What [`Store::begin_publication`](crate::Store::begin_publication) found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PublicationStart {
    /// Not published before: now recorded, unfinished. Queue its mail, then
    /// finish it.
    New,
    /// Begun before and cut short (a crash while queueing): queue its mail
    /// again (rows already queued are skipped), then finish it.
    Unfinished,
    /// Published before: queue nothing.
    Finished,
}

/// One publication of an alert revision, for the weekly digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublicationRecord {
    pub alert_id: String,
    pub revision: i64,
    pub published_at: DateTime<Utc>,
    /// The alert's first publication (its HotFix Alert mail); later ones
    /// are updates.
    pub first: bool,
}
