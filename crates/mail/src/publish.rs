//! Publishing: turning "this alert revision is out" into one queued mail per
//! subscriber who asked for it.
//!
//! The first publication of an alert queues its HotFix Alert mail for every
//! confirmed subscriber whose preferences it matches; a later revision queues
//! the update mail for those who also asked for revisions. The publication is
//! recorded first, then its rows are queued a page of subscribers at a time
//! (memory does not grow with the list), then it is marked finished. A
//! finished publication queues nothing again; one cut short by a crash is
//! resumed by publishing again, and since the outbox holds one row per
//! message and recipient, two publishers at once never queue a mail twice.
//! Composing happens later, at delivery, from what the outbox row names.

use chrono::{DateTime, Utc};
use hfr_store::{NewMessage, PublicationStart, Store, StoreError, Subscriber};

use crate::compose::{message_id, Kind, Sender};

/// Subscribers are read this many at a time, so publishing to a large list
/// never holds every subscriber row at once.
const PAGE: u32 = 1000;

/// Why an alert could not be published.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("{0}: no such alert in the archive")]
    NoSuchAlert(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Which mail a publication queues.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailKind {
    /// The HotFix Alert mail: the alert's first publication.
    Alert,
    /// The update mail for a revision of an alert published before.
    Update,
}

/// What [`publish`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Published {
    /// Queued for `recipients` subscribers under `message_key`.
    Queued {
        id: String,
        revision: i64,
        kind: MailKind,
        message_key: String,
        recipients: u64,
    },
    /// This revision was published before; nothing was queued.
    Already { id: String, revision: i64 },
}

/// The outbox key of an alert mail: the same words as the Message-ID's.
pub fn message_key(id: &str, revision: i64, kind: MailKind) -> String {
    match kind {
        MailKind::Alert => Kind::NewAlert.key(id),
        MailKind::Update => Kind::Revision {
            revision,
            changes: &[],
        }
        .key(id),
    }
}

/// Publishes the current revision of alert `id`.
pub async fn publish(
    store: &dyn Store,
    sender: &Sender,
    id: &str,
    now: DateTime<Utc>,
) -> Result<Published, PublishError> {
    let current = store
        .get(id)
        .await?
        .ok_or_else(|| PublishError::NoSuchAlert(id.to_string()))?;
    let id = current.alert.id.clone();
    let revision = current.revision;
    let before: Vec<i64> = store
        .published_revisions(&id)
        .await?
        .into_iter()
        .filter(|&r| r != revision)
        .collect();
    let kind = if before.is_empty() {
        MailKind::Alert
    } else {
        MailKind::Update
    };
    if store.begin_publication(&id, revision, now).await? == PublicationStart::Finished {
        return Ok(Published::Already { id, revision });
    }
    let key = message_key(&id, revision, kind);
    // Should this stop half way, publishing again resumes (the pages
    // queued are skipped).
    let recipients = queue_for_subscribers(store, sender, &key, now, |s| match kind {
        MailKind::Alert => s.preferences.matches(&current.alert),
        MailKind::Update => s.preferences.wants_revision(&current.alert),
    })
    .await?;
    store.finish_publication(&id, revision, now).await?;
    Ok(Published::Queued {
        id,
        revision,
        kind,
        message_key: key,
        recipients,
    })
}

/// Queues message `key` for every confirmed subscriber `wanted` picks, page
/// by page: one page of subscribers and of outbox rows in memory at a time,
/// each page queued in its own transaction (rows already queued for the key
/// and recipient are skipped). Returns how many rows were queued now.
pub(crate) async fn queue_for_subscribers(
    store: &dyn Store,
    sender: &Sender,
    key: &str,
    now: DateTime<Utc>,
    wanted: impl Fn(&Subscriber) -> bool,
) -> Result<u64, StoreError> {
    let mut queued = 0;
    let mut after = 0;
    loop {
        let page = store.confirmed_subscribers(after, PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        let rows: Vec<NewMessage> = page
            .iter()
            .filter(|s| wanted(s))
            .map(|s| NewMessage {
                message_key: key.to_string(),
                subscriber_id: Some(s.id),
                recipient: s.address.clone(),
                message_id: message_id(sender, key, &s.address),
                not_before: now,
            })
            .collect();
        queued += store.enqueue(rows).await?;
        if page.len() < PAGE as usize {
            break;
        }
    }
    Ok(queued)
}
