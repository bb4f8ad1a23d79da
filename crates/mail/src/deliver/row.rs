//! Composing the mail an outbox row names.
//!
//! A row stores only what the mail is (its key), whom it goes to and its
//! Message-ID; the mail is made at delivery, from the archive and the
//! subscriber as they are then. So a subscriber who left since is not
//! mailed, and no mail body is stored 100,000 times. The alert a key names
//! is read once per round, not once per recipient.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use hfr_model::diff::Change;
use hfr_model::Alert;
use hfr_store::{OutboxMessage, Store, StoreError, Subscriber, SubscriberState};
use tokio::sync::Mutex;

use lettre::address::Envelope;

use super::prepared::{Personal, Prepared};
use crate::compose::{
    alert_message, confirmation_message, message_id, weekly_message, ComposeError, Kind, Recipient,
    Sender, Week,
};
use crate::subscribe::parse_confirmation_row_key;
use crate::token::{Purpose, Secret, TokenError};

/// Why a row's mail could not be made.
#[derive(Debug, thiserror::Error)]
pub(super) enum ComposeFailure {
    #[error("nothing to send for {0}")]
    Unknown(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Token(#[from] TokenError),
    #[error(transparent)]
    Compose(#[from] ComposeError),
}

/// The alert a message key names, as one round's rows share it.
struct AlertMail {
    alert: Alert,
    /// The revision and its changes, for an update mail.
    revision: Option<(i64, Vec<Change>)>,
}

/// What this round's rows share, read once: alerts by message key, digests
/// by week.
#[derive(Default)]
pub(super) struct AlertCache {
    alerts: Mutex<HashMap<String, Arc<AlertMail>>>,
    weeks: Mutex<HashMap<NaiveDate, Arc<Week>>>,
    /// Mails composed once per message key (None: compose each in full).
    prepared: Mutex<HashMap<String, Option<Arc<Prepared>>>>,
    /// The round's recipients, read in one query when the round starts.
    subscribers: HashMap<i64, Subscriber>,
}

/// A mail ready to go: to whom, and its bytes.
pub(super) struct Ready {
    pub envelope: Envelope,
    pub body: Vec<u8>,
}

impl Ready {
    fn of(message: lettre::Message) -> Ready {
        Ready {
            envelope: message.envelope().clone(),
            body: message.formatted(),
        }
    }
}

impl AlertCache {
    /// The cache of a round whose rows are `rows`: their subscribers are
    /// read now, together.
    pub(super) async fn for_rows(
        store: &dyn Store,
        rows: &[OutboxMessage],
    ) -> Result<AlertCache, StoreError> {
        let mut ids: Vec<i64> = rows.iter().filter_map(|r| r.subscriber_id).collect();
        ids.sort_unstable();
        ids.dedup();
        let subscribers = store
            .subscribers(&ids)
            .await?
            .into_iter()
            .map(|s| (s.id, s))
            .collect();
        Ok(AlertCache {
            subscribers,
            ..AlertCache::default()
        })
    }

    async fn week(
        &self,
        store: &dyn Store,
        monday: NaiveDate,
    ) -> Result<Arc<Week>, ComposeFailure> {
        let mut map = self.weeks.lock().await;
        if let Some(found) = map.get(&monday) {
            return Ok(found.clone());
        }
        let week = Arc::new(
            crate::weekly::week(store, monday)
                .await
                .map_err(|e| match e {
                    crate::weekly::WeeklyError::Store(e) => ComposeFailure::Store(e),
                    other => ComposeFailure::Unknown(other.to_string()),
                })?,
        );
        map.insert(monday, week.clone());
        Ok(week)
    }

    async fn get(&self, store: &dyn Store, key: &str) -> Result<Arc<AlertMail>, ComposeFailure> {
        let mut map = self.alerts.lock().await;
        if let Some(found) = map.get(key) {
            return Ok(found.clone());
        }
        let unknown = || ComposeFailure::Unknown(key.to_string());
        let (id, revision) = parse_alert_key(key).ok_or_else(unknown)?;
        let mail = match revision {
            None => AlertMail {
                alert: store.get(id).await?.ok_or_else(unknown)?.alert,
                revision: None,
            },
            Some(n) => {
                let stored = store.get_revision(id, n).await?.ok_or_else(unknown)?;
                let changes = store
                    .history(id)
                    .await?
                    .into_iter()
                    .find(|r| r.revision == n)
                    .map(|r| r.changes)
                    .unwrap_or_default();
                AlertMail {
                    alert: stored.alert,
                    revision: Some((n, changes)),
                }
            }
        };
        let mail = Arc::new(mail);
        map.insert(key.to_string(), mail.clone());
        Ok(mail)
    }
}

/// The mail `row` names, or None when it is not to be sent any more: its
/// subscriber left (nobody gets mail they no longer want), or a confirmation
/// whose subscriber is no longer waiting for one.
pub(super) async fn compose(
    store: &dyn Store,
    sender: &Sender,
    secret: &Secret,
    alerts: &AlertCache,
    row: &OutboxMessage,
    now: DateTime<Utc>,
) -> Result<Option<Ready>, ComposeFailure> {
    let Some(subscriber_id) = row.subscriber_id else {
        return Err(ComposeFailure::Unknown(row.message_key.clone()));
    };
    let fetched;
    let s = match alerts.subscribers.get(&subscriber_id) {
        Some(s) => s,
        None => match store.subscriber(subscriber_id).await? {
            Some(s) => {
                fetched = s;
                &fetched
            }
            None => return Ok(None),
        },
    };
    let address = || {
        s.address
            .parse()
            .map_err(|_| ComposeFailure::Unknown(format!("address {:?}", s.address)))
    };
    if let Some((id, expires)) = parse_confirmation_row_key(&row.message_key) {
        // A confirmation goes only to the pending subscriber it was asked for.
        if id != s.id || s.state != SubscriberState::Pending {
            return Ok(None);
        }
        let token = secret.issue(Purpose::Confirm, s.id, &s.token_nonce, Some(expires))?;
        return Ok(Some(Ready::of(confirmation_message(
            sender,
            &address()?,
            &token,
            &s.preferences,
            &row.message_id,
            now,
        )?)));
    }
    if s.state != SubscriberState::Confirmed {
        return Ok(None);
    }
    let recipient = Recipient {
        address: address()?,
        unsubscribe_token: secret.issue(Purpose::Unsubscribe, s.id, &s.token_nonce, None)?,
        preferences_token: secret.issue(Purpose::Preferences, s.id, &s.token_nonce, None)?,
    };
    let weekly = crate::weekly::parse_key(&row.message_key);
    if weekly.is_some() && !s.preferences.weekly {
        return Ok(None);
    }
    // Composed once per message and round, then filled in per recipient.
    let prepared = alerts
        .prepared(store, sender, &row.message_key, now)
        .await?;
    if let Some(prepared) = prepared {
        let references = match parse_alert_key(&row.message_key) {
            Some((id, Some(_))) => Some(message_id(
                sender,
                &Kind::NewAlert.key(id),
                recipient.address.email.as_ref(),
            )),
            _ => None,
        };
        let personal = Personal {
            to: recipient.address.email.as_ref(),
            message_id: &row.message_id,
            references: references.as_deref(),
            unsubscribe: &recipient.unsubscribe_token,
            preferences: &recipient.preferences_token,
        };
        if let Some(body) = prepared.fill(&personal) {
            let envelope = Envelope::new(
                Some(sender.from().email.clone()),
                vec![recipient.address.email.clone()],
            )
            .map_err(|e| ComposeFailure::Unknown(format!("envelope: {e}")))?;
            return Ok(Some(Ready { envelope, body }));
        }
    }
    Ok(Some(Ready::of(
        alerts
            .compose_in_full(
                store,
                sender,
                &row.message_key,
                &recipient,
                &row.message_id,
                now,
            )
            .await?,
    )))
}

impl AlertCache {
    /// The message `key` composed once for the placeholder recipient; None
    /// when it cannot be (it is then composed in full for each recipient).
    async fn prepared(
        &self,
        store: &dyn Store,
        sender: &Sender,
        key: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Arc<Prepared>>, ComposeFailure> {
        if let Some(found) = self.prepared.lock().await.get(key) {
            return Ok(found.clone());
        }
        let made = match Prepared::template_recipient() {
            Some(to) => {
                let template = self
                    .compose_in_full(
                        store,
                        sender,
                        key,
                        &to,
                        Prepared::template_message_id(),
                        now,
                    )
                    .await?
                    .formatted();
                let alert_id = parse_alert_key(key).map(|(id, _)| id);
                let kind = match parse_alert_key(key) {
                    Some((_, Some(revision))) => Some(Kind::Revision {
                        revision,
                        changes: &[],
                    }),
                    _ => None,
                };
                Prepared::new(sender, alert_id, kind, &template).map(Arc::new)
            }
            None => None,
        };
        if made.is_none() {
            tracing::warn!(key, "this mail is composed in full for each recipient");
        }
        self.prepared
            .lock()
            .await
            .insert(key.to_string(), made.clone());
        Ok(made)
    }

    /// The message `key` composed for one recipient.
    async fn compose_in_full(
        &self,
        store: &dyn Store,
        sender: &Sender,
        key: &str,
        to: &Recipient,
        message_id: &str,
        now: DateTime<Utc>,
    ) -> Result<lettre::Message, ComposeFailure> {
        if let Some(monday) = crate::weekly::parse_key(key) {
            let week = self.week(store, monday).await?;
            if week.entries.is_empty() {
                return Err(ComposeFailure::Unknown(key.to_string()));
            }
            return Ok(weekly_message(sender, &week, to, message_id, now)?);
        }
        let mail = self.get(store, key).await?;
        let kind = match &mail.revision {
            None => Kind::NewAlert,
            Some((revision, changes)) => Kind::Revision {
                revision: *revision,
                changes,
            },
        };
        Ok(alert_message(
            sender,
            &mail.alert,
            kind,
            to,
            message_id,
            now,
        )?)
    }
}

/// `alert.{ID}` (the alert mail) or `alert.{ID}.r{N}` (the update mail).
pub(super) fn parse_alert_key(key: &str) -> Option<(&str, Option<i64>)> {
    let rest = key.strip_prefix("alert.")?;
    if let Some((id, n)) = rest.rsplit_once(".r") {
        if let Ok(n) = n.parse::<i64>() {
            return Some((id, Some(n)));
        }
    }
    Some((rest, None))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alert_keys_name_the_alert_and_revision() {
        assert_eq!(parse_alert_key("alert.MS04-035"), Some(("MS04-035", None)));
        assert_eq!(
            parse_alert_key("alert.MS04-035.r2"),
            Some(("MS04-035", Some(2)))
        );
        assert_eq!(parse_alert_key("weekly.2004-10-11"), None);
        let key = crate::publish::message_key("MS04-039", 3, crate::publish::MailKind::Update);
        assert_eq!(parse_alert_key(&key), Some(("MS04-039", Some(3))));
    }
}
