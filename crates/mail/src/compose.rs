//! Composing the messages subscribers receive: a HotFix Alert when an alert
//! is published, an update mail when it is revised, the weekly digest
//! HotFix Weekly, and the confirmation of a new subscription.
//!
//! Every message is `multipart/alternative` with a Japanese text/plain part
//! and an equivalent text/html part, both UTF-8. Composing is pure: it takes
//! the alert, the sender's settings and the recipient's personal links and
//! returns a [`lettre::Message`]; choosing recipients, making tokens, queueing
//! and sending belong to the caller. Message-IDs are derived from what the
//! message is ([`message_id`]), so a delivery retried after a crash carries
//! the same Message-ID and duplicates can be recognised.
//!
//! Data from an alert never reaches a header unchecked: subjects and display
//! names are cut to one line (control characters and line separators become
//! spaces) before lettre encodes them, and tokens and ids in URLs are
//! percent-encoded, so a title such as `"x\r\nBcc: …"` cannot add a header.

mod confirm;
mod format;
pub(crate) mod html;
mod text;
mod view;
mod weekly;

pub use weekly::{Week, WeeklyEntry};

/// The subscriber's conditions in words, as the confirmation mail prints
/// them; [`crate::subscribe::conditions`] hands them to the web pages so the
/// site and the mail word them alike.
pub(crate) use confirm::describe;

use std::time::SystemTime;

use askama::Template;
use chrono::{DateTime, Utc};
use hfr_model::diff::Change;
use hfr_model::subscription::Preferences;
use hfr_model::Alert;
use lettre::message::header::ContentTransferEncoding;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Body, Mailbox, MessageBuilder, MultiPart, SinglePart};
use lettre::Message;
use sha2::{Digest, Sha256};

use view::{AlertView, Links};

/// Longest token accepted in a URL: keeps `List-Unsubscribe` well under the
/// 998-octet line limit (a URL cannot be folded).
const MAX_TOKEN: usize = 256;
/// Longest site root accepted, for the same reason.
const MAX_BASE_URL: usize = 512;
/// Longest alert title put into a subject; the web page has the rest.
const MAX_SUBJECT_TITLE: usize = 200;

/// Why a message could not be composed. `Invalid` names the field at fault
/// (`sender.base_url`, `recipient.unsubscribe_token`, `alert.id`, …) so that
/// a bad setting or a bad row can be found without reading the code.
#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    /// An input is unusable: empty, malformed, or it would make an unsafe
    /// header or URL.
    #[error("{field}: {reason}")]
    Invalid {
        /// The field at fault, e.g. `sender.from`.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// A body template failed to render.
    #[error("rendering the {part} part: {source}")]
    Render {
        /// Which part, e.g. `alert text/html`.
        part: &'static str,
        #[source]
        source: askama::Error,
    },
    /// lettre refused the message (e.g. a missing From or To).
    #[error("building the message: {0}")]
    Build(#[from] lettre::error::Error),
}

fn invalid(field: &'static str, reason: impl Into<String>) -> ComposeError {
    ComposeError::Invalid {
        field,
        reason: reason.into(),
    }
}

/// The sender's settings as written in a configuration file or on the
/// command line; [`Sender::new`] checks them once so that composing a
/// thousand messages cannot fail a thousand times on the same setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SenderConfig {
    /// From, e.g. `HotFix Report <alerts@hfr.example.org>`.
    pub from: String,
    /// Reply-To, when replies should go elsewhere than From.
    pub reply_to: Option<String>,
    /// The domain the list ids are made from: `hfr.example.org` gives
    /// `List-Id: <alerts.hfr.example.org>` and `<weekly.hfr.example.org>`.
    pub list_domain: String,
    /// The site root the links point into, e.g. `https://hfr.example.org`.
    pub base_url: String,
    /// The right-hand side of Message-IDs; the domain of `from` when `None`.
    pub message_id_domain: Option<String>,
}

/// Who sends, and how links are made: a checked [`SenderConfig`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sender {
    from: Mailbox,
    reply_to: Option<Mailbox>,
    list_domain: String,
    base_url: String,
    message_id_domain: String,
}

impl Sender {
    /// Checks the settings: addresses parse and carry no line breaks,
    /// domains are host names, `base_url` is an absolute http(s) URL (a
    /// trailing `/` is dropped).
    pub fn new(config: &SenderConfig) -> Result<Self, ComposeError> {
        let from = parse_mailbox("sender.from", &config.from)?;
        let reply_to = config
            .reply_to
            .as_deref()
            .map(|s| parse_mailbox("sender.reply_to", s))
            .transpose()?;
        let list_domain = check_domain("sender.list_domain", &config.list_domain)?;
        let base_url = check_base_url(&config.base_url)?;
        let message_id_domain = match &config.message_id_domain {
            Some(d) => check_domain("sender.message_id_domain", d)?,
            None => check_domain("sender.from", from.email.domain())?,
        };
        Ok(Sender {
            from,
            reply_to,
            list_domain,
            base_url,
            message_id_domain,
        })
    }

    /// The From mailbox.
    pub fn from(&self) -> &Mailbox {
        &self.from
    }

    /// The Reply-To mailbox, if any.
    pub fn reply_to(&self) -> Option<&Mailbox> {
        self.reply_to.as_ref()
    }

    /// The site root, without a trailing `/`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The domain Message-IDs end in.
    pub fn message_id_domain(&self) -> &str {
        &self.message_id_domain
    }

    /// The web page of an alert, `{base_url}/alerts/{id}/`, as the mails
    /// link it.
    pub fn alert_url(&self, id: &str) -> String {
        format!(
            "{}/alerts/{}/",
            self.base_url,
            hfr_model::present::path_segment(id)
        )
    }

    fn link(&self, prefix: &str, field: &'static str, token: &str) -> Result<String, ComposeError> {
        if token.is_empty() {
            return Err(invalid(field, "is empty"));
        }
        if token.len() > MAX_TOKEN {
            return Err(invalid(field, format!("is longer than {MAX_TOKEN} bytes")));
        }
        if token == "." || token == ".." {
            return Err(invalid(field, "is a relative path segment"));
        }
        Ok(format!(
            "{}/{prefix}/{}",
            self.base_url,
            hfr_model::present::path_segment(token)
        ))
    }

    fn links(&self, to: &Recipient) -> Result<Links, ComposeError> {
        Ok(Links {
            site: format!("{}/", self.base_url),
            preferences: self.link(
                "subscribe",
                "recipient.preferences_token",
                &to.preferences_token,
            )?,
            unsubscribe: self.link(
                "unsubscribe",
                "recipient.unsubscribe_token",
                &to.unsubscribe_token,
            )?,
        })
    }
}

/// One recipient and their personal links. The tokens are made and checked
/// by the caller (the store); here they are opaque and only percent-encoded
/// into `{base_url}/unsubscribe/{unsubscribe_token}` and
/// `{base_url}/subscribe/{preferences_token}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    /// To.
    pub address: Mailbox,
    /// Makes the one-click unsubscribe link (RFC 8058).
    pub unsubscribe_token: String,
    /// Makes the link to change the delivery conditions.
    pub preferences_token: String,
}

/// Which alert mail: the first one, or an update with what changed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind<'a> {
    /// The alert is published: HotFix Alert.
    NewAlert,
    /// The alert was revised: the update mail, listing `changes` (from
    /// [`hfr_model::diff::diff`]) before the facts.
    Revision {
        /// The archive's revision number now current.
        revision: i64,
        /// What changed since the previous revision.
        changes: &'a [Change],
    },
}

impl Kind<'_> {
    /// The kind key for [`message_id`]: `alert.MS04-035` for the first mail,
    /// `alert.MS04-035.r2` for the update to revision 2. One message per key
    /// and recipient, ever.
    pub fn key(&self, alert_id: &str) -> String {
        match self {
            Kind::NewAlert => format!("alert.{alert_id}"),
            Kind::Revision { revision, .. } => format!("alert.{alert_id}.r{revision}"),
        }
    }
}

/// The kind key for [`message_id`] of a confirmation mail: the token's hash,
/// so that the secret token itself is not copied into a header that servers
/// log, and a new token (a new request) makes a new message.
pub fn confirmation_key(confirm_token: &str) -> String {
    format!("confirm.{}", hex_prefix(confirm_token.as_bytes()))
}

/// A Message-ID made from what the message is, e.g.
/// `<alert.MS04-035.r2.5f1c…@hfr.example.org>`: the kind key (see
/// [`Kind::key`], [`Week::key`], [`confirmation_key`]) and a hash of the
/// recipient address (case-insensitive). A delivery retried after a crash
/// gets the same Message-ID, receivers drop the duplicate, and a test can
/// count them. The address is hashed, not written out, so that a forwarded
/// message does not show whom it was first sent to.
pub fn message_id(sender: &Sender, kind_key: &str, recipient: &str) -> String {
    let mut input = Vec::new();
    input.extend_from_slice(sender.message_id_domain.as_bytes());
    input.push(0);
    input.extend_from_slice(recipient.trim().to_lowercase().as_bytes());
    format!(
        "<{}.{}@{}>",
        id_left(kind_key),
        hex_prefix(&input),
        sender.message_id_domain
    )
}

/// The HotFix Alert or update mail of `alert` for one recipient.
///
/// Subject `[HotFix Alert][緊急] MS04-035: <title>` (updates:
/// `[HotFix Alert 更新 r2][緊急] …`); body: what changed (updates), the header
/// facts, the web page, then 概要, 対象プラットフォーム, 適用されるファイル情報,
/// 確認方法, 参考情報, 予想適用時間 and the personal links. An update also
/// refers to the first mail's Message-ID so that mail clients thread them.
pub fn alert_message(
    sender: &Sender,
    alert: &Alert,
    kind: Kind<'_>,
    to: &Recipient,
    message_id: &str,
    date: DateTime<Utc>,
) -> Result<Message, ComposeError> {
    if format::one_line(&alert.id).is_empty() {
        return Err(invalid("alert.id", "is empty"));
    }
    if format::has_controls(&alert.id) {
        return Err(invalid("alert.id", "contains control characters"));
    }
    let links = sender.links(to)?;
    let subject = alert_subject(alert, &kind);
    let revision = match kind {
        Kind::NewAlert => None,
        Kind::Revision { revision, changes } => Some((revision, changes)),
    };
    let view = AlertView::new(
        alert,
        subject.clone(),
        revision,
        sender.alert_url(&alert.id),
        links.clone(),
    );
    let plain = text::alert(&view);
    let html = html::AlertHtml { v: &view }
        .render()
        .map_err(|source| ComposeError::Render {
            part: "alert text/html",
            source,
        })?;

    let mut b = base(sender, &to.address, &subject, message_id, date)?;
    if let Kind::Revision { .. } = kind {
        let first = self::message_id(
            sender,
            &Kind::NewAlert.key(&alert.id),
            to.address.email.as_ref(),
        );
        b = b.references(first);
    }
    let b = list(b, sender, "alerts", "HotFix Alert 配信", &links);
    Ok(b.multipart(alternative(plain, html))?)
}

/// The confirmation of a new subscription (double opt-in): the link
/// `{base_url}/subscribe/confirm/{token}` that makes it take effect, and the
/// conditions chosen, in words. Not a list message: no List-* headers (there
/// is nothing to unsubscribe from yet, and a one-click unsubscribe would be
/// meaningless) and no `Precedence: bulk` (it answers one person's request).
pub fn confirmation_message(
    sender: &Sender,
    to: &Mailbox,
    confirm_token: &str,
    preferences: &Preferences,
    message_id: &str,
    date: DateTime<Utc>,
) -> Result<Message, ComposeError> {
    let confirm_url = sender.link("subscribe/confirm", "confirm_token", confirm_token)?;
    let subject = "[HotFix Alert] 配信のお申し込みの確認".to_string();
    let view = confirm::ConfirmView {
        subject: subject.clone(),
        confirm_url,
        conditions: confirm::describe(preferences),
        site: format!("{}/", sender.base_url),
    };
    let plain = text::confirmation(&view);
    let html = html::ConfirmHtml { v: &view }
        .render()
        .map_err(|source| ComposeError::Render {
            part: "confirmation text/html",
            source,
        })?;
    let b = base(sender, to, &subject, message_id, date)?;
    Ok(b.multipart(alternative(plain, html))?)
}

/// HotFix Weekly for one recipient: subject
/// `[HotFix Weekly] 2004/10/11〜10/17 新規3件・更新1件`, the new alerts then
/// the updated ones (most severe first), each with its facts and web page.
pub fn weekly_message(
    sender: &Sender,
    week: &Week,
    to: &Recipient,
    message_id: &str,
    date: DateTime<Utc>,
) -> Result<Message, ComposeError> {
    let links = sender.links(to)?;
    let (subject, view) = weekly_view(sender, week, links.clone())?;
    let plain = text::weekly(&view);
    let html = html::WeeklyHtml { v: &view }
        .render()
        .map_err(|source| ComposeError::Render {
            part: "weekly text/html",
            source,
        })?;
    let b = base(sender, &to.address, &subject, message_id, date)?;
    let b = list(b, sender, "weekly", "HotFix Weekly", &links);
    Ok(b.multipart(alternative(plain, html))?)
}

/// HotFix Weekly's subject and text part as a subscriber reads them, with
/// `TOKEN` in place of the personal links: what `hfr weekly --dry-run`
/// shows.
pub fn weekly_text(sender: &Sender, week: &Week) -> Result<String, ComposeError> {
    let to = Recipient {
        address: parse_mailbox("to", "subscriber@example.invalid")?,
        unsubscribe_token: "TOKEN".into(),
        preferences_token: "TOKEN".into(),
    };
    let (subject, view) = weekly_view(sender, week, sender.links(&to)?)?;
    Ok(format!("Subject: {subject}\n\n{}", text::weekly(&view)))
}

fn weekly_view(
    sender: &Sender,
    week: &Week,
    links: Links,
) -> Result<(String, weekly::WeeklyView), ComposeError> {
    if week.start > week.end {
        return Err(invalid("week", "starts after it ends"));
    }
    if let Some(e) = week
        .entries
        .iter()
        .find(|e| format::one_line(&e.id).is_empty() || format::has_controls(&e.id))
    {
        return Err(invalid(
            "week.entries.id",
            format!("{:?} is not an alert id", e.id),
        ));
    }
    let new = week.entries.iter().filter(|e| !e.is_revision).count();
    let updated = week.entries.len() - new;
    let subject = format!(
        "[HotFix Weekly] {} 新規{new}件・更新{updated}件",
        weekly::short_period(week.start, week.end)
    );
    let view = weekly::WeeklyView::new(week, subject.clone(), |id| sender.alert_url(id), links);
    Ok((subject, view))
}

/// The text and HTML alternatives, as 8-bit UTF-8 when every line is within
/// SMTP's 998 octets (else quoted-printable). Japanese text in
/// quoted-printable triples in size, and encoding it was most of the cost
/// of a mail to 100,000 subscribers; relays have taken 8BITMIME for decades
/// (the sender checks that the relay offers it). lettre's own choice keeps
/// to RFC 5322's advisory 78 characters, which nearly every Japanese line
/// exceeds, so the body is given to it already encoded.
fn alternative(plain: String, html: String) -> MultiPart {
    let body = |s: String| {
        let crlf = s.replace("\r\n", "\n").replace('\n', "\r\n");
        if crlf
            .split("\r\n")
            .all(|l| l.len() <= 998 && !l.contains('\r'))
        {
            Body::dangerous_pre_encoded(crlf.into_bytes(), ContentTransferEncoding::EightBit)
        } else {
            Body::new(s)
        }
    };
    MultiPart::alternative()
        .singlepart(SinglePart::plain(body(plain)))
        .singlepart(SinglePart::html(body(html)))
}

/// `[HotFix Alert][緊急] MS04-035: <title>`, one line, the title cut to
/// [`MAX_SUBJECT_TITLE`] characters.
fn alert_subject(alert: &Alert, kind: &Kind<'_>) -> String {
    let mut s = match kind {
        Kind::NewAlert => "[HotFix Alert]".to_string(),
        Kind::Revision { revision, .. } => format!("[HotFix Alert 更新 r{revision}]"),
    };
    if let Some(sev) = alert.severity {
        s.push_str(&format!("[{}]", sev.label_ja()));
    }
    s.push(' ');
    s.push_str(&format::one_line(&alert.id));
    let title = format::truncate(&format::one_line(&alert.title), MAX_SUBJECT_TITLE);
    if !title.is_empty() {
        s.push_str(": ");
        s.push_str(&title);
    }
    format::one_line(&s)
}

/// The headers every message has.
///
/// `Auto-Submitted: auto-generated` (RFC 3834) on all of them: they are
/// made by a program, and conforming responders must not answer them
/// (no vacation replies to the list, no mail loops).
fn base(
    sender: &Sender,
    to: &Mailbox,
    subject: &str,
    message_id: &str,
    date: DateTime<Utc>,
) -> Result<MessageBuilder, ComposeError> {
    check_message_id(message_id)?;
    let to = Mailbox::new(
        to.name
            .as_deref()
            .map(format::one_line)
            .filter(|n| !n.is_empty()),
        to.email.clone(),
    );
    let mut b = Message::builder()
        .from(sender.from.clone())
        .to(to)
        .subject(format::one_line(subject))
        .date(SystemTime::from(date))
        .message_id(Some(message_id.to_string()))
        .raw_header(header("Auto-Submitted", "auto-generated".into()));
    if let Some(r) = &sender.reply_to {
        b = b.reply_to(r.clone());
    }
    Ok(b)
}

/// The list headers of the alert, update and weekly mails.
///
/// - `List-Id` (RFC 2919) with a Japanese display name: lets readers filter,
///   one id for alerts and updates and another for the weekly digest.
/// - `List-Unsubscribe` (RFC 2369) with the personal https link only: no
///   `mailto:`, because nothing reads mail sent to the list.
/// - `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058): mail
///   providers may POST to that link from their own unsubscribe button.
/// - `Precedence: bulk`: not a standard, but what older auto-responders
///   (and Exchange) look at before answering; harmless elsewhere.
fn list(
    b: MessageBuilder,
    sender: &Sender,
    prefix: &str,
    name: &str,
    links: &Links,
) -> MessageBuilder {
    b.raw_header(header(
        "List-Id",
        format!("{name} <{prefix}.{}>", sender.list_domain),
    ))
    .raw_header(header(
        "List-Unsubscribe",
        format!("<{}>", links.unsubscribe),
    ))
    .raw_header(header(
        "List-Unsubscribe-Post",
        "List-Unsubscribe=One-Click".into(),
    ))
    .raw_header(header("Precedence", "bulk".into()))
}

/// A header lettre encodes (RFC 2047 for non-ASCII words, folded).
fn header(name: &'static str, value: String) -> HeaderValue {
    HeaderValue::new(HeaderName::new_from_ascii_str(name), value)
}

fn parse_mailbox(field: &'static str, s: &str) -> Result<Mailbox, ComposeError> {
    if format::has_controls(s) {
        return Err(invalid(field, "contains a line break or control character"));
    }
    let m: Mailbox = s
        .trim()
        .parse()
        .map_err(|e| invalid(field, format!("{s:?} is not a mailbox: {e}")))?;
    Ok(m)
}

/// A host name: dot-separated labels of letters, digits and `-`.
fn check_domain(field: &'static str, d: &str) -> Result<String, ComposeError> {
    let d = d.trim().trim_end_matches('.');
    let ok_label = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    if d.is_empty() || d.len() > 253 || !d.split('.').all(ok_label) {
        return Err(invalid(field, format!("{d:?} is not a domain name")));
    }
    Ok(d.to_ascii_lowercase())
}

/// An absolute http(s) URL without query or fragment, returned without its
/// trailing `/`.
fn check_base_url(u: &str) -> Result<String, ComposeError> {
    const FIELD: &str = "sender.base_url";
    let u = u.trim();
    let rest = u
        .strip_prefix("https://")
        .or_else(|| u.strip_prefix("http://"))
        .ok_or_else(|| invalid(FIELD, format!("{u:?} is not an http(s) URL")))?;
    let host = rest.split('/').next().unwrap_or("");
    if host.is_empty() {
        return Err(invalid(FIELD, format!("{u:?} has no host")));
    }
    if u.len() > MAX_BASE_URL {
        return Err(invalid(
            FIELD,
            format!("is longer than {MAX_BASE_URL} bytes"),
        ));
    }
    if let Some(c) = u
        .chars()
        .find(|c| !c.is_ascii_graphic() || "<>\"\\`{}|^?#".contains(*c))
    {
        return Err(invalid(
            FIELD,
            format!("{u:?} contains {c:?} (percent-encode it; no query or fragment)"),
        ));
    }
    Ok(u.trim_end_matches('/').to_string())
}

/// `<left@right>`, printable ASCII, no spaces: what lettre writes as is.
fn check_message_id(id: &str) -> Result<(), ComposeError> {
    let inner = id
        .strip_prefix('<')
        .and_then(|s| s.strip_suffix('>'))
        .ok_or_else(|| invalid("message_id", format!("{id:?} is not <left@right>")))?;
    let ok = inner.len() <= 250
        && inner
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b'<' && b != b'>')
        && matches!(inner.split_once('@'), Some((l, r)) if !l.is_empty() && !r.is_empty() && !r.contains('@'));
    if ok {
        Ok(())
    } else {
        Err(invalid("message_id", format!("{id:?} is not <left@right>")))
    }
}

/// The left part of a Message-ID from a kind key: letters, digits and
/// `-_+=` kept, anything else `_`, dots single and inside (dot-atom).
fn id_left(key: &str) -> String {
    let mapped: String = key
        .chars()
        .take(100)
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_+=.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let parts: Vec<&str> = mapped.split('.').filter(|p| !p.is_empty()).collect();
    if parts.is_empty() {
        "msg".into()
    } else {
        parts.join(".")
    }
}

/// The first 16 hex digits (64 bits) of SHA-256: short, and enough that two
/// recipients of one message never share a Message-ID in practice.
fn hex_prefix(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The sender the crate's unit tests use.
#[cfg(test)]
pub(crate) fn test_sender() -> Sender {
    Sender::new(&SenderConfig {
        from: "HotFix Report <alerts@hfr.example.org>".into(),
        reply_to: None,
        list_domain: "hfr.example.org".into(),
        base_url: "https://hfr.example.org/".into(),
        message_id_domain: None,
    })
    .expect("valid settings")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sender() -> Sender {
        test_sender()
    }

    #[test]
    fn settings_are_checked_once() {
        let s = sender();
        assert_eq!(s.base_url(), "https://hfr.example.org");
        assert_eq!(s.message_id_domain(), "hfr.example.org");
        let bad = |f: fn(&mut SenderConfig)| {
            let mut c = SenderConfig {
                from: "a@hfr.example.org".into(),
                reply_to: None,
                list_domain: "hfr.example.org".into(),
                base_url: "https://hfr.example.org".into(),
                message_id_domain: None,
            };
            f(&mut c);
            match Sender::new(&c) {
                Err(ComposeError::Invalid { field, .. }) => field,
                other => panic!("expected an error, got {other:?}"),
            }
        };
        assert_eq!(bad(|c| c.from = "not an address".into()), "sender.from");
        assert_eq!(
            bad(|c| c.from = "X\r\nBcc: e@example.com <a@b.example>".into()),
            "sender.from"
        );
        assert_eq!(bad(|c| c.reply_to = Some("@@".into())), "sender.reply_to");
        assert_eq!(bad(|c| c.base_url = "ftp://x".into()), "sender.base_url");
        assert_eq!(bad(|c| c.base_url = "https://".into()), "sender.base_url");
        assert_eq!(
            bad(|c| c.base_url = "https://x.example/?a=b".into()),
            "sender.base_url"
        );
        assert_eq!(bad(|c| c.list_domain = "a b".into()), "sender.list_domain");
        assert_eq!(
            bad(|c| c.message_id_domain = Some("x..y".into())),
            "sender.message_id_domain"
        );
    }

    #[test]
    fn message_ids_are_deterministic_and_per_recipient() {
        let s = sender();
        let a = message_id(&s, &Kind::NewAlert.key("MS04-035"), "x@example.com");
        assert_eq!(a, message_id(&s, "alert.MS04-035", " X@Example.com "));
        assert!(a.starts_with("<alert.MS04-035."), "{a}");
        assert!(a.ends_with("@hfr.example.org>"), "{a}");
        assert_ne!(a, message_id(&s, "alert.MS04-035", "y@example.com"));
        let r = Kind::Revision {
            revision: 2,
            changes: &[],
        };
        assert_eq!(r.key("MS04-035"), "alert.MS04-035.r2");
        assert!(check_message_id(&a).is_ok());
        // Whatever the key, the result is a valid Message-ID.
        let odd = message_id(&s, "..a b<c>@..", "x@example.com");
        assert!(odd.starts_with("<a_b_c__."), "{odd}");
        assert!(check_message_id(&odd).is_ok(), "{odd}");
        assert!(check_message_id(&message_id(&s, "", "x")).is_ok());
        assert!(!confirmation_key("secret-token").contains("secret"));
    }

    #[test]
    fn message_ids_given_are_checked() {
        assert!(check_message_id("<a@b>").is_ok());
        for bad in [
            "a@b",
            "<a b@c>",
            "<ab>",
            "<a@b>\r\nBcc: x@y",
            "<@b>",
            "<a@>",
        ] {
            assert!(check_message_id(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn subjects_are_one_line() {
        let a = Alert {
            id: "MS04-035".into(),
            title: "t\r\nBcc: evil@example.com".into(),
            severity: Some(hfr_model::Severity::Critical),
            ..Alert::default()
        };
        assert_eq!(
            alert_subject(&a, &Kind::NewAlert),
            "[HotFix Alert][緊急] MS04-035: t Bcc: evil@example.com"
        );
        let r = Kind::Revision {
            revision: 2,
            changes: &[],
        };
        assert!(alert_subject(&a, &r).starts_with("[HotFix Alert 更新 r2][緊急] MS04-035: "));
    }
}
