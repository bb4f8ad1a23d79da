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

use chrono::{DateTime, TimeZone, Utc};

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
}
