//! The tokens in subscribers' links: confirm a subscription, unsubscribe in
//! one click, change preferences.
//!
//! A token is `{purpose}.{subscriber id}.{expiry}.{mac}`, the MAC an
//! HMAC-SHA-256 over the first three parts and the subscriber's nonce, keyed
//! with the server's secret (kept in the store's settings). Nothing per token
//! is stored, so a mail to 100,000 subscribers writes no token rows, yet:
//! - a token cannot be guessed or forged without the secret (128-bit MAC);
//! - it names one purpose, so an unsubscribe link cannot confirm;
//! - a confirmation expires (a week by default), while unsubscribe links in
//!   old mails keep working, as RFC 8058 readers expect;
//! - rotating the subscriber's nonce revokes every link sent before.

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// How many bytes of the MAC a token carries: 128 bits.
const MAC_BYTES: usize = 16;

/// What a token lets its holder do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Confirm,
    Unsubscribe,
    Preferences,
}

impl Purpose {
    fn code(self) -> &'static str {
        match self {
            Purpose::Confirm => "c",
            Purpose::Unsubscribe => "u",
            Purpose::Preferences => "p",
        }
    }

    fn from_code(s: &str) -> Option<Self> {
        match s {
            "c" => Some(Purpose::Confirm),
            "u" => Some(Purpose::Unsubscribe),
            "p" => Some(Purpose::Preferences),
            _ => None,
        }
    }
}

/// Why a token was refused. The web pages say only "invalid or expired";
/// the detail is for logs and tests.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the token is malformed")]
    Malformed,
    #[error("the token is for another purpose")]
    WrongPurpose,
    #[error("the token expired")]
    Expired,
    #[error("the token does not verify (forged, or revoked by a new nonce)")]
    BadMac,
    #[error("the secret must be 32 or more bytes written as hex")]
    BadSecret,
    #[error("the system's random source failed: {0}")]
    Random(String),
}

/// The server's key for tokens.
#[derive(Clone)]
pub struct Secret(Vec<u8>);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

impl Secret {
    /// 32 fresh random bytes.
    pub fn generate() -> Result<Secret, TokenError> {
        Ok(Secret(random_bytes(32)?))
    }

    /// The secret as stored (hex).
    pub fn to_hex(&self) -> String {
        hex(&self.0)
    }

    /// A stored secret.
    pub fn from_hex(s: &str) -> Result<Secret, TokenError> {
        let bytes = unhex(s.trim()).ok_or(TokenError::BadSecret)?;
        if bytes.len() < 32 {
            return Err(TokenError::BadSecret);
        }
        Ok(Secret(bytes))
    }

    fn mac(&self, body: &str, nonce: &str) -> Result<HmacSha256, TokenError> {
        let mut mac = HmacSha256::new_from_slice(&self.0).map_err(|_| TokenError::BadSecret)?;
        mac.update(body.as_bytes());
        mac.update(b"\n");
        mac.update(nonce.as_bytes());
        Ok(mac)
    }

    /// A token for `purpose` on subscriber `id`, bound to their current
    /// `nonce`, valid until `expires` (None: no expiry).
    pub fn issue(
        &self,
        purpose: Purpose,
        id: i64,
        nonce: &str,
        expires: Option<DateTime<Utc>>,
    ) -> Result<String, TokenError> {
        let body = format!(
            "{}.{id}.{}",
            purpose.code(),
            expires.map_or(0, |t| t.timestamp())
        );
        let tag = self.mac(&body, nonce)?.finalize().into_bytes();
        Ok(format!("{body}.{}", hex(&tag[..MAC_BYTES])))
    }

    /// Checks a token read with [`Token::parse`] against the subscriber's
    /// nonce, for `purpose`, at `now`.
    pub fn verify(
        &self,
        token: &Token,
        purpose: Purpose,
        nonce: &str,
        now: DateTime<Utc>,
    ) -> Result<(), TokenError> {
        if token.purpose != purpose {
            return Err(TokenError::WrongPurpose);
        }
        let body = format!("{}.{}.{}", token.purpose.code(), token.id, token.expires);
        self.mac(&body, nonce)?
            .verify_truncated_left(&token.mac)
            .map_err(|_| TokenError::BadMac)?;
        if token.expires != 0 && now.timestamp() > token.expires {
            return Err(TokenError::Expired);
        }
        Ok(())
    }
}

/// A token taken apart, before it is verified: the id says whose nonce to
/// look up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub purpose: Purpose,
    pub id: i64,
    expires: i64,
    mac: Vec<u8>,
}

impl Token {
    /// Reads `{purpose}.{id}.{expiry}.{mac}`; anything else is malformed.
    pub fn parse(s: &str) -> Result<Token, TokenError> {
        if s.len() > 128 {
            return Err(TokenError::Malformed);
        }
        let mut parts = s.split('.');
        let (Some(p), Some(id), Some(exp), Some(mac), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(TokenError::Malformed);
        };
        let purpose = Purpose::from_code(p).ok_or(TokenError::Malformed)?;
        let id: i64 = id.parse().map_err(|_| TokenError::Malformed)?;
        let expires: i64 = exp.parse().map_err(|_| TokenError::Malformed)?;
        let mac = unhex(mac).ok_or(TokenError::Malformed)?;
        if id < 1 || expires < 0 || mac.len() != MAC_BYTES {
            return Err(TokenError::Malformed);
        }
        Ok(Token {
            purpose,
            id,
            expires,
            mac,
        })
    }
}

/// A fresh random nonce for a subscriber (hex, 128 bits).
pub fn new_nonce() -> Result<String, TokenError> {
    Ok(hex(&random_bytes(16)?))
}

fn random_bytes(n: usize) -> Result<Vec<u8>, TokenError> {
    let mut buf = vec![0u8; n];
    getrandom::getrandom(&mut buf).map_err(|e| TokenError::Random(e.to_string()))?;
    Ok(buf)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn secret() -> Secret {
        Secret::generate().expect("random")
    }

    #[test]
    fn an_issued_token_verifies_for_its_purpose_only() {
        let s = secret();
        let now = Utc::now();
        let t = s.issue(Purpose::Unsubscribe, 42, "n1", None).unwrap();
        let parsed = Token::parse(&t).unwrap();
        assert_eq!(parsed.id, 42);
        assert_eq!(s.verify(&parsed, Purpose::Unsubscribe, "n1", now), Ok(()));
        assert_eq!(
            s.verify(&parsed, Purpose::Confirm, "n1", now),
            Err(TokenError::WrongPurpose)
        );
        // Years later an unsubscribe link still works.
        assert_eq!(
            s.verify(
                &parsed,
                Purpose::Unsubscribe,
                "n1",
                now + Duration::days(3650)
            ),
            Ok(())
        );
    }

    #[test]
    fn confirmations_expire() {
        let s = secret();
        let now = Utc::now();
        let t = s
            .issue(Purpose::Confirm, 7, "n", Some(now + Duration::days(7)))
            .unwrap();
        let p = Token::parse(&t).unwrap();
        assert_eq!(s.verify(&p, Purpose::Confirm, "n", now), Ok(()));
        assert_eq!(
            s.verify(&p, Purpose::Confirm, "n", now + Duration::days(8)),
            Err(TokenError::Expired)
        );
    }

    #[test]
    fn forged_replayed_elsewhere_or_revoked_tokens_fail() {
        let s = secret();
        let now = Utc::now();
        let t = s.issue(Purpose::Preferences, 5, "n", None).unwrap();
        // Another subscriber's id with this MAC.
        let other = t.replacen("p.5.", "p.6.", 1);
        let p = Token::parse(&other).unwrap();
        assert_eq!(
            s.verify(&p, Purpose::Preferences, "n", now),
            Err(TokenError::BadMac)
        );
        // Another server's secret.
        let p = Token::parse(&t).unwrap();
        assert_eq!(
            secret().verify(&p, Purpose::Preferences, "n", now),
            Err(TokenError::BadMac)
        );
        // A new nonce revokes it.
        assert_eq!(
            s.verify(&p, Purpose::Preferences, "m", now),
            Err(TokenError::BadMac)
        );
        // An expiry moved by hand.
        let c = s
            .issue(Purpose::Confirm, 5, "n", Some(now - Duration::days(1)))
            .unwrap();
        let moved = {
            let parts: Vec<&str> = c.split('.').collect();
            format!("{}.{}.0.{}", parts[0], parts[1], parts[3])
        };
        let p = Token::parse(&moved).unwrap();
        assert_eq!(
            s.verify(&p, Purpose::Confirm, "n", now),
            Err(TokenError::BadMac)
        );
    }

    #[test]
    fn malformed_tokens_are_refused_before_any_lookup() {
        for bad in [
            "",
            "x.1.0.00112233445566778899aabbccddeeff",
            "u.0.0.00112233445566778899aabbccddeeff",
            "u.-3.0.00112233445566778899aabbccddeeff",
            "u.1.0.0011",
            "u.1.0.zz112233445566778899aabbccddeeff",
            "u.1.0.00112233445566778899aabbccddeeff.extra",
            "u.1\r\nBcc: x.0.00112233445566778899aabbccddeeff",
        ] {
            assert_eq!(Token::parse(bad), Err(TokenError::Malformed), "{bad:?}");
        }
        assert!(Token::parse(&"u.1.0.".repeat(40)).is_err());
    }

    #[test]
    fn secrets_round_trip_through_hex() {
        let s = secret();
        let back = Secret::from_hex(&s.to_hex()).unwrap();
        let t = s.issue(Purpose::Unsubscribe, 1, "n", None).unwrap();
        let p = Token::parse(&t).unwrap();
        assert_eq!(
            back.verify(&p, Purpose::Unsubscribe, "n", Utc::now()),
            Ok(())
        );
        assert_eq!(Secret::from_hex("abcd").err(), Some(TokenError::BadSecret));
        assert_eq!(Secret::from_hex("zz").err(), Some(TokenError::BadSecret));
        assert_ne!(new_nonce().unwrap(), new_nonce().unwrap());
    }
}
