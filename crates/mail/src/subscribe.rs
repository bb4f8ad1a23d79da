//! Subscribing, confirming, changing preferences and leaving: what the web
//! forms and the links in mails do, as functions on the store, so the web
//! crate only parses requests and renders pages.
//!
//! The confirmation mail is queued in the outbox like any other mail and
//! composed at delivery from its key, `confirm.{subscriber id}.{expiry}`
//! ([`confirmation_row_key`]): the token in it is made again from the server
//! secret, the id, the subscriber's nonce and that expiry, so no token is
//! stored. The expiry is rounded up to the hour, so asking again within the
//! hour queues no second confirmation mail (the outbox holds one row per key
//! and recipient): the form cannot be used to flood someone's mailbox.
//!
//! The rules, and why:
//!
//! - **The form never tells whether an address is subscribed.** [`request`]
//!   answers every valid request alike as far as the reader of the page can
//!   see; what it did is in [`Requested`], for logs and tests only.
//! - **A confirmed subscriber is not changed by the public form.** Anyone can
//!   type anyone's address into the form; if that changed a confirmed
//!   subscriber's conditions, a stranger could quietly narrow someone's
//!   alerts to nothing. Their conditions change only through the personal
//!   preferences link in their mails ([`save_preferences`]); the form queues
//!   nothing for them (the delivery worker mails confirmations to pending
//!   subscribers only).
//! - **A pending or unsubscribed address is (re)asked to confirm**, with the
//!   conditions of the latest request: until the owner of the mailbox
//!   confirms, nothing but the confirmation mail is sent.
//! - **Leaving revokes every link.** [`unsubscribe`] gives the subscriber a
//!   new nonce, so links in older mails (and an older confirmation link)
//!   stop working; subscribing again later needs a new confirmation mail.
//! - **One refusal for every bad link.** A malformed, forged, expired,
//!   revoked or wrongly-purposed token, or one naming an unknown subscriber,
//!   is [`SubscribeError::Link`]: the page says only [`LINK_REFUSED`], the
//!   reason goes to the log (without the token).

use std::collections::HashMap;

use chrono::{DateTime, TimeZone, Utc};
use hfr_model::subscription::Preferences;
use hfr_store::{NewMessage, Store, StoreError, Subscriber, SubscriberState, MAX_ADDRESS_LEN};

use crate::compose::{message_id, Sender};
use crate::token::{new_nonce, Purpose, Secret, Token, TokenError};

/// How long a confirmation link stays valid.
pub const CONFIRMATION_VALID_FOR: chrono::Duration = chrono::Duration::days(7);

/// The expiry of a confirmation link asked for at `now`: a week on, rounded
/// up to the next full hour.
pub fn confirmation_expiry(now: DateTime<Utc>) -> DateTime<Utc> {
    let t = (now + CONFIRMATION_VALID_FOR).timestamp();
    let hour = 3600;
    let rounded = t + (hour - t.rem_euclid(hour)) % hour;
    Utc.timestamp_opt(rounded, 0)
        .single()
        .unwrap_or(now + CONFIRMATION_VALID_FOR)
}

/// The outbox key of a confirmation mail to subscriber `id` whose link
/// expires at `expires`.
pub fn confirmation_row_key(id: i64, expires: DateTime<Utc>) -> String {
    format!("confirm.{id}.{}", expires.timestamp())
}

/// Reads a key made by [`confirmation_row_key`].
pub fn parse_confirmation_row_key(key: &str) -> Option<(i64, DateTime<Utc>)> {
    let rest = key.strip_prefix("confirm.")?;
    let (id, expires) = rest.split_once('.')?;
    let id: i64 = id.parse().ok().filter(|&id| id > 0)?;
    let expires = Utc.timestamp_opt(expires.parse().ok()?, 0).single()?;
    Some((id, expires))
}

/// What the reader of a refused link is told, whatever the reason: a finer
/// answer would tell a forger which part to fix.
pub const LINK_REFUSED: &str = "リンクが無効か、期限が切れています。";

/// The most products one subscriber may name. The archive names a few
/// hundred at most; a list longer than this is a script, not a reader.
pub const MAX_PRODUCTS: usize = 200;

/// Why a subscription request or a link was refused, or could not be served.
#[derive(Debug, thiserror::Error)]
pub enum SubscribeError {
    /// The reader's input is unusable. `field` is the form field at fault
    /// (`address`, `products`); `message` is Japanese, for the page.
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    /// A link's token was refused (see [`LinkRefusal`]); the page says only
    /// [`LINK_REFUSED`].
    #[error("the link is refused: {0}")]
    Link(LinkRefusal),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A nonce or token could not be made (the system's random source
    /// failed): the server's fault, not the reader's.
    #[error("cannot make link tokens: {0}")]
    Tokens(TokenError),
}

/// Why a link was refused: for logs and tests, never for the page.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkRefusal {
    /// The token is malformed, for another purpose, expired, or does not
    /// verify (forged, or revoked by a new nonce).
    #[error(transparent)]
    Token(#[from] TokenError),
    /// The token names no subscriber the store knows.
    #[error("no subscriber {0}")]
    UnknownSubscriber(i64),
    /// The token verifies, but the subscriber has left: nothing may be done
    /// with it (unsubscribing rotates the nonce, so this is a safety net).
    #[error("subscriber {0} has unsubscribed")]
    Unsubscribed(i64),
}

impl SubscribeError {
    fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        SubscribeError::Invalid {
            field,
            message: message.into(),
        }
    }
}

/// What [`request`] did. The web page is the same for all three.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requested {
    /// The subscriber is pending and a confirmation mail was queued.
    ConfirmationQueued { id: i64 },
    /// The subscriber is pending; a confirmation mail for this hour was
    /// queued already, so none was added (the conditions were updated).
    AlreadyQueued { id: i64 },
    /// The address is a confirmed subscriber: nothing changed, nothing
    /// queued.
    AlreadyConfirmed { id: i64 },
}

/// What [`confirm`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum Confirmed {
    /// The subscription took effect now.
    Now(Subscriber),
    /// It had already (the button pressed twice, or two confirmation mails).
    Already(Subscriber),
}

impl Confirmed {
    pub fn subscriber(&self) -> &Subscriber {
        match self {
            Confirmed::Now(s) | Confirmed::Already(s) => s,
        }
    }
}

/// A subscriber reached through their preferences link, and the token of
/// their unsubscribe link, for the page's 配信停止 button (the preferences
/// token itself cannot unsubscribe: every token has one purpose).
#[derive(Debug, Clone, PartialEq)]
pub struct Managed {
    pub subscriber: Subscriber,
    pub unsubscribe_token: String,
}

/// One of a subscriber's conditions in words (label, and one value a line),
/// worded as the confirmation mail words them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    pub label: &'static str,
    pub values: Vec<String>,
}

/// The conditions of `preferences`, in words.
pub fn conditions(preferences: &Preferences) -> Vec<Condition> {
    crate::compose::describe(preferences)
        .into_iter()
        .map(|f| Condition {
            label: f.label,
            values: f.lines,
        })
        .collect()
}

/// A form's address, checked: no line break or other control character
/// anywhere (it would end up in a header), surrounding spaces (ASCII or the
/// ideographic space a Japanese input method types) dropped, none inside,
/// at most [`MAX_ADDRESS_LEN`] bytes, an address lettre accepts, at a
/// domain name (not an IP address: mail to a bare host is not a reader's).
/// Returns the address as it will be stored.
pub fn check_address(input: &str) -> Result<String, SubscribeError> {
    const FIELD: &str = "address";
    if input.chars().any(char::is_control) {
        return Err(SubscribeError::invalid(
            FIELD,
            "メールアドレスに改行や制御文字は使えません。",
        ));
    }
    let address = input.trim_matches(char::is_whitespace);
    if address.is_empty() {
        return Err(SubscribeError::invalid(
            FIELD,
            "メールアドレスを入力してください。",
        ));
    }
    if address.chars().any(char::is_whitespace) {
        return Err(SubscribeError::invalid(
            FIELD,
            "メールアドレスに空白は使えません。",
        ));
    }
    if address.len() > MAX_ADDRESS_LEN {
        return Err(SubscribeError::invalid(
            FIELD,
            format!("メールアドレスが長すぎます({MAX_ADDRESS_LEN} バイトまで)。"),
        ));
    }
    let parsed: lettre::Address = address
        .parse()
        .map_err(|_| SubscribeError::invalid(FIELD, "メールアドレスの形式が正しくありません。"))?;
    let domain = parsed.domain();
    let ip = domain.trim_start_matches('[').trim_end_matches(']');
    if domain.starts_with('[') || ip.parse::<std::net::IpAddr>().is_ok() || !domain.contains('.') {
        return Err(SubscribeError::invalid(
            FIELD,
            "メールアドレスのドメイン名が正しくありません。",
        ));
    }
    Ok(address.to_string())
}

/// The preferences as they will be stored: every product named as the
/// archive spells it (matched without regard to case or surrounding
/// spaces), each once, at most [`MAX_PRODUCTS`]. A product the archive does
/// not know is refused rather than dropped: a filter on a misspelt name
/// would silently send nothing.
pub async fn check_preferences(
    store: &dyn Store,
    preferences: &Preferences,
) -> Result<Preferences, SubscribeError> {
    const FIELD: &str = "products";
    let mut checked = preferences.clone();
    if preferences.products.is_empty() {
        return Ok(checked);
    }
    if preferences.products.len() > MAX_PRODUCTS {
        return Err(SubscribeError::invalid(
            FIELD,
            format!("製品は {MAX_PRODUCTS} 件まで選べます。"),
        ));
    }
    if preferences
        .products
        .iter()
        .any(|p| p.chars().any(char::is_control))
    {
        return Err(SubscribeError::invalid(
            FIELD,
            "製品名に改行や制御文字は使えません。",
        ));
    }
    let known: HashMap<String, String> = store
        .products()
        .await?
        .into_iter()
        .map(|(name, _)| (name.trim().to_lowercase(), name))
        .collect();
    checked.products = Vec::with_capacity(preferences.products.len());
    for p in &preferences.products {
        let Some(name) = known.get(&p.trim().to_lowercase()) else {
            return Err(SubscribeError::invalid(
                FIELD,
                "アーカイブにない製品が指定されています。一覧から選んでください。",
            ));
        };
        if !checked.products.contains(name) {
            checked.products.push(name.clone());
        }
    }
    Ok(checked)
}

/// A subscription request from the public form (double opt-in).
///
/// The address and preferences are checked first (nothing is stored when
/// either is refused). Then, by the address's state:
/// - unknown: a new pending subscriber, and a confirmation mail queued;
/// - pending: the new conditions, and a confirmation mail queued unless one
///   was queued within the hour (see [`confirmation_expiry`]);
/// - unsubscribed: back to pending with the new conditions and a fresh
///   nonce, and a confirmation mail queued;
/// - confirmed: nothing at all (see the module notes: the public form must
///   not change a confirmed subscription).
///
/// A subscriber confirming in the instant between this function's lookup
/// and its write would get the request's conditions: the store's upsert
/// keeps a confirmed subscriber confirmed, so nothing worse can happen.
pub async fn request(
    store: &dyn Store,
    sender: &Sender,
    address: &str,
    preferences: &Preferences,
    now: DateTime<Utc>,
) -> Result<Requested, SubscribeError> {
    let address = check_address(address)?;
    let preferences = check_preferences(store, preferences).await?;
    let before = store.subscriber_by_address(&address).await?;
    if let Some(s) = &before {
        if s.state == SubscriberState::Confirmed {
            tracing::info!(
                subscriber = s.id,
                "subscription asked again for a confirmed subscriber; nothing changed"
            );
            return Ok(Requested::AlreadyConfirmed { id: s.id });
        }
    }
    let nonce = new_nonce().map_err(SubscribeError::Tokens)?;
    let s = store
        .upsert_subscriber(&address, &preferences, &nonce, now)
        .await?;
    if s.state != SubscriberState::Pending {
        return Ok(Requested::AlreadyConfirmed { id: s.id });
    }
    if before.is_some_and(|b| b.state == SubscriberState::Unsubscribed) {
        // Unsubscribing rotated the nonce already; a second rotation makes
        // sure no link from before (a confirmation link above all) can
        // act on the new subscription, even had that rotation failed.
        let fresh = new_nonce().map_err(SubscribeError::Tokens)?;
        store.rotate_token_nonce(s.id, &fresh).await?;
    }
    // The outbox holds one row per key and recipient, and compares
    // recipients as written: the address goes in lower-cased, or asking
    // with `A@x`, `a@X`, … would queue one mail per spelling. The worker
    // sends to the subscriber's address as stored, not to this.
    let key = confirmation_row_key(s.id, confirmation_expiry(now));
    let recipient = s.address.to_lowercase();
    let queued = store
        .enqueue(vec![NewMessage {
            message_id: message_id(sender, &key, &recipient),
            message_key: key,
            subscriber_id: Some(s.id),
            recipient,
            not_before: now,
        }])
        .await?;
    if queued > 0 {
        tracing::info!(subscriber = s.id, "confirmation mail queued");
        Ok(Requested::ConfirmationQueued { id: s.id })
    } else {
        tracing::info!(
            subscriber = s.id,
            "confirmation mail for this hour already queued"
        );
        Ok(Requested::AlreadyQueued { id: s.id })
    }
}

/// The subscriber a token of `purpose` stands for, after checking it
/// against their current nonce at `now`; an unsubscribed subscriber's link
/// is refused too. Changes nothing: what a page shows before its button is
/// pressed (link scanners in mail systems open links; only a POST acts).
pub async fn check_link(
    store: &dyn Store,
    secret: &Secret,
    token: &str,
    purpose: Purpose,
    now: DateTime<Utc>,
) -> Result<Subscriber, SubscribeError> {
    let s = verified(store, secret, token, purpose, now).await?;
    if s.state == SubscriberState::Unsubscribed {
        return Err(refused(purpose, LinkRefusal::Unsubscribed(s.id)));
    }
    Ok(s)
}

/// Confirms a subscription from the link of its confirmation mail. A
/// confirmed subscriber's valid link confirms nothing more and says so.
pub async fn confirm(
    store: &dyn Store,
    secret: &Secret,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Confirmed, SubscribeError> {
    let s = check_link(store, secret, token, Purpose::Confirm, now).await?;
    if s.state == SubscriberState::Confirmed {
        return Ok(Confirmed::Already(s));
    }
    let changed = store.confirm_subscriber(s.id, now).await?;
    let after = reread(store, Purpose::Confirm, s.id).await?;
    match after.state {
        SubscriberState::Confirmed if changed => {
            tracing::info!(subscriber = s.id, "subscription confirmed");
            Ok(Confirmed::Now(after))
        }
        SubscriberState::Confirmed => Ok(Confirmed::Already(after)),
        // Unsubscribed in the meantime (from another link): not confirmed.
        _ => Err(refused(Purpose::Confirm, LinkRefusal::Unsubscribed(s.id))),
    }
}

/// The subscriber behind a preferences link, for the pre-filled form.
pub async fn load_preferences(
    store: &dyn Store,
    secret: &Secret,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Managed, SubscribeError> {
    let s = check_link(store, secret, token, Purpose::Preferences, now).await?;
    managed(secret, s)
}

/// Replaces the conditions of the subscriber behind a preferences link,
/// checked as [`check_preferences`] does. Their state does not change.
pub async fn save_preferences(
    store: &dyn Store,
    secret: &Secret,
    token: &str,
    preferences: &Preferences,
    now: DateTime<Utc>,
) -> Result<Managed, SubscribeError> {
    let s = check_link(store, secret, token, Purpose::Preferences, now).await?;
    let preferences = check_preferences(store, preferences).await?;
    if !store.set_preferences(s.id, &preferences, now).await? {
        return Err(refused(
            Purpose::Preferences,
            LinkRefusal::UnknownSubscriber(s.id),
        ));
    }
    tracing::info!(subscriber = s.id, "preferences saved");
    let after = reread(store, Purpose::Preferences, s.id).await?;
    managed(secret, after)
}

/// Unsubscribes the subscriber behind an unsubscribe link (the page's
/// button, or a mail provider's RFC 8058 one-click POST), then rotates
/// their nonce so that every link mailed to them stops working. Returns the
/// subscriber as they now are.
///
/// The link works once: pressed again it is refused like any revoked link.
/// Should the rotation fail after the state changed, the link still
/// verifies, and following it again unsubscribes nothing but rotates.
pub async fn unsubscribe(
    store: &dyn Store,
    secret: &Secret,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Subscriber, SubscribeError> {
    let s = verified(store, secret, token, Purpose::Unsubscribe, now).await?;
    if s.state != SubscriberState::Unsubscribed {
        store.unsubscribe(s.id, now).await?;
    }
    let nonce = new_nonce().map_err(SubscribeError::Tokens)?;
    store.rotate_token_nonce(s.id, &nonce).await?;
    tracing::info!(
        subscriber = s.id,
        "unsubscribed; every earlier link revoked"
    );
    reread(store, Purpose::Unsubscribe, s.id).await
}

fn managed(secret: &Secret, subscriber: Subscriber) -> Result<Managed, SubscribeError> {
    let unsubscribe_token = secret
        .issue(
            Purpose::Unsubscribe,
            subscriber.id,
            &subscriber.token_nonce,
            None,
        )
        .map_err(SubscribeError::Tokens)?;
    Ok(Managed {
        subscriber,
        unsubscribe_token,
    })
}

/// The subscriber as stored after a change made through a `purpose` link;
/// gone (deleted under us) refuses the link.
async fn reread(
    store: &dyn Store,
    purpose: Purpose,
    id: i64,
) -> Result<Subscriber, SubscribeError> {
    store
        .subscriber(id)
        .await?
        .ok_or_else(|| refused(purpose, LinkRefusal::UnknownSubscriber(id)))
}

/// Reads and verifies a token; the subscriber it names, as stored.
async fn verified(
    store: &dyn Store,
    secret: &Secret,
    token: &str,
    purpose: Purpose,
    now: DateTime<Utc>,
) -> Result<Subscriber, SubscribeError> {
    let parsed = Token::parse(token).map_err(|e| refused(purpose, e.into()))?;
    if parsed.purpose != purpose {
        // Refused before the store is asked.
        return Err(refused(purpose, TokenError::WrongPurpose.into()));
    }
    let Some(s) = store.subscriber(parsed.id).await? else {
        return Err(refused(purpose, LinkRefusal::UnknownSubscriber(parsed.id)));
    };
    secret
        .verify(&parsed, purpose, &s.token_nonce, now)
        .map_err(|e| refused(purpose, e.into()))?;
    Ok(s)
}

/// A refused link, logged with its reason (never the token: it may still
/// be valid for someone).
fn refused(purpose: Purpose, reason: LinkRefusal) -> SubscribeError {
    tracing::info!(?purpose, %reason, "link refused");
    SubscribeError::Link(reason)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confirmation_keys_round_trip_and_expire_on_the_hour() {
        let now = Utc.with_ymd_and_hms(2004, 10, 13, 9, 15, 42).unwrap();
        let exp = confirmation_expiry(now);
        assert_eq!(exp, Utc.with_ymd_and_hms(2004, 10, 20, 10, 0, 0).unwrap());
        assert_eq!(
            confirmation_expiry(now + chrono::Duration::minutes(30)),
            exp,
            "asking again within the hour names the same mail"
        );
        let key = confirmation_row_key(7, exp);
        assert_eq!(parse_confirmation_row_key(&key), Some((7, exp)));
        assert_eq!(parse_confirmation_row_key("confirm.x.1"), None);
        assert_eq!(parse_confirmation_row_key("confirm.0.1"), None);
        assert_eq!(parse_confirmation_row_key("alert.MS04-035"), None);
    }

    #[test]
    fn addresses_are_checked_before_anything_is_stored() {
        assert_eq!(check_address("a@example.org").unwrap(), "a@example.org");
        // Spaces around, as typed (the ideographic space too), are dropped.
        assert_eq!(
            check_address(" \u{3000}Taro.Y@Example.JP ").unwrap(),
            "Taro.Y@Example.JP"
        );
        let field = |s: &str| match check_address(s) {
            Err(SubscribeError::Invalid { field, .. }) => field,
            other => panic!("{s:?} should be refused, got {other:?}"),
        };
        for bad in [
            "",
            "   ",
            "a@example.org\r\nBcc: x@example.org",
            "a@example.org\n",
            "a\t@example.org",
            "a b@example.org",
            "a@exa\u{3000}mple.org",
            "not an address",
            "a@",
            "@example.org",
            "a@localhost",
            "a@[127.0.0.1]",
            "a@127.0.0.1",
            "a@example.org\0",
        ] {
            assert_eq!(field(bad), "address");
        }
        let long = format!("{}@example.org", "a".repeat(250));
        assert_eq!(field(&long), "address");
    }
}
