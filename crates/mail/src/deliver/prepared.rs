//! A mail composed once per message, made personal by substitution.
//!
//! Every recipient of one alert mail gets the same bytes but for five
//! values: the To address, the Message-ID, the References of an update, and
//! the two tokens in the links. Rendering the templates and building the MIME
//! message anew for each of 100,000 recipients was most of a sender's CPU;
//! instead the mail is composed once with placeholders in those places and
//! split there, and each recipient's copy is the pieces joined with their
//! values. A template whose placeholders do not come out as written (lettre
//! had to encode one, say) is refused, and the caller composes each mail in
//! full instead; a test checks that a filled copy equals a mail composed for
//! that recipient byte for byte.

use crate::compose::{message_id, Kind, Recipient, Sender};

/// Placeholders: plain ASCII that survives every encoding unchanged and
/// that no alert text contains.
const TO: &str = "hfr-to-9c4e71@placeholder.invalid";
const MESSAGE_ID: &str = "<hfr-mid-9c4e71@placeholder.invalid>";
const UNSUBSCRIBE: &str = "hfru9c4e71placeholder";
const PREFERENCES: &str = "hfrp9c4e71placeholder";

/// What changes from one recipient to the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    To,
    MessageId,
    References,
    Unsubscribe,
    Preferences,
}

#[derive(Debug)]
enum Piece {
    Bytes(Vec<u8>),
    Slot(Slot),
}

/// One recipient's values.
pub(super) struct Personal<'a> {
    pub to: &'a str,
    pub message_id: &'a str,
    /// The first mail's Message-ID, for an update's References.
    pub references: Option<&'a str>,
    pub unsubscribe: &'a str,
    pub preferences: &'a str,
}

/// A mail split at its personal values.
#[derive(Debug)]
pub(super) struct Prepared {
    pieces: Vec<Piece>,
}

impl Prepared {
    /// The recipient to compose the template for.
    pub(super) fn template_recipient() -> Option<Recipient> {
        Some(Recipient {
            address: TO.parse().ok()?,
            unsubscribe_token: UNSUBSCRIBE.into(),
            preferences_token: PREFERENCES.into(),
        })
    }

    /// The Message-ID to compose the template with.
    pub(super) fn template_message_id() -> &'static str {
        MESSAGE_ID
    }

    /// Splits `template` (composed for [`Prepared::template_recipient`]) at
    /// its placeholders. For an update, `kind` says so, and the References
    /// the template got (made from the placeholder address) is a slot too.
    /// None unless every placeholder is found where it should be.
    pub(super) fn new(
        sender: &Sender,
        alert_id: Option<&str>,
        kind: Option<Kind<'_>>,
        template: &[u8],
    ) -> Option<Prepared> {
        let references = match (kind, alert_id) {
            (Some(Kind::Revision { .. }), Some(id)) => {
                Some(message_id(sender, &Kind::NewAlert.key(id), TO))
            }
            _ => None,
        };
        let mut marks: Vec<(&[u8], Slot)> = vec![
            (TO.as_bytes(), Slot::To),
            (MESSAGE_ID.as_bytes(), Slot::MessageId),
            (UNSUBSCRIBE.as_bytes(), Slot::Unsubscribe),
            (PREFERENCES.as_bytes(), Slot::Preferences),
        ];
        if let Some(r) = &references {
            marks.push((r.as_bytes(), Slot::References));
        }
        let mut pieces = Vec::new();
        let mut seen = [0usize; 5];
        let (mut i, mut start) = (0, 0);
        while i < template.len() {
            let hit = marks
                .iter()
                .find(|(m, _)| template[i..].starts_with(m))
                .map(|(m, s)| (m.len(), *s));
            match hit {
                Some((len, slot)) => {
                    if start < i {
                        pieces.push(Piece::Bytes(template[start..i].to_vec()));
                    }
                    pieces.push(Piece::Slot(slot));
                    seen[slot as usize] += 1;
                    i += len;
                    start = i;
                }
                None => i += 1,
            }
        }
        if start < template.len() {
            pieces.push(Piece::Bytes(template[start..].to_vec()));
        }
        // To and Message-ID once each in the header, the links at least in
        // the List-Unsubscribe header and the text; References only in an
        // update, once.
        let ok = seen[Slot::To as usize] == 1
            && seen[Slot::MessageId as usize] == 1
            && seen[Slot::Unsubscribe as usize] >= 2
            && seen[Slot::Preferences as usize] >= 1
            && seen[Slot::References as usize] == usize::from(references.is_some());
        ok.then_some(Prepared { pieces })
    }

    /// The mail for one recipient. The values are checked single-line ASCII
    /// tokens or addresses (the caller's), so no header can be broken.
    pub(super) fn fill(&self, p: &Personal<'_>) -> Option<Vec<u8>> {
        let values = [p.to, p.message_id, p.unsubscribe, p.preferences]
            .into_iter()
            .chain(p.references);
        if values
            .into_iter()
            .any(|v| v.is_empty() || v.bytes().any(|b| b.is_ascii_control() || b == b' '))
        {
            return None;
        }
        let mut out = Vec::with_capacity(self.len_hint());
        for piece in &self.pieces {
            match piece {
                Piece::Bytes(b) => out.extend_from_slice(b),
                Piece::Slot(Slot::To) => out.extend_from_slice(p.to.as_bytes()),
                Piece::Slot(Slot::MessageId) => out.extend_from_slice(p.message_id.as_bytes()),
                Piece::Slot(Slot::References) => out.extend_from_slice(p.references?.as_bytes()),
                Piece::Slot(Slot::Unsubscribe) => out.extend_from_slice(p.unsubscribe.as_bytes()),
                Piece::Slot(Slot::Preferences) => out.extend_from_slice(p.preferences.as_bytes()),
            }
        }
        Some(out)
    }

    fn len_hint(&self) -> usize {
        self.pieces
            .iter()
            .map(|p| match p {
                Piece::Bytes(b) => b.len(),
                Piece::Slot(_) => 64,
            })
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compose::{alert_message, weekly_message, Week, WeeklyEntry};
    use chrono::{TimeZone, Utc};
    use hfr_model::diff::Change;
    use hfr_model::{Action, Alert, Severity};

    fn sender() -> Sender {
        crate::compose::test_sender()
    }

    fn alert() -> Alert {
        Alert {
            id: "MS04-035".into(),
            title: "SMTPの処理に欠陥、遠隔から任意のコードを実行されるおそれ".into(),
            severity: Some(Severity::Critical),
            exploit_code: Some(false),
            action: Some(Action::ApplyNow),
            summary: Some("長い説明文。".repeat(40)),
            ..Alert::default()
        }
    }

    fn someone(i: u32) -> Recipient {
        Recipient {
            address: format!("admin{i}@corp.example.jp")
                .parse()
                .expect("address"),
            unsubscribe_token: format!("u.{i}.0.00112233445566778899aabbccddeeff"),
            preferences_token: format!("p.{i}.0.ffeeddccbbaa99887766554433221100"),
        }
    }

    /// Fills the template for `to` and checks it equals the mail composed
    /// for `to` in full.
    fn same_as_composed(
        make: &dyn Fn(&Recipient, &str) -> Vec<u8>,
        alert_id: Option<&str>,
        kind: Option<Kind<'_>>,
    ) {
        let s = sender();
        let template = make(
            &Prepared::template_recipient().expect("placeholder"),
            Prepared::template_message_id(),
        );
        let prepared = Prepared::new(&s, alert_id, kind, &template).expect("splits");
        for i in [1, 22, 333] {
            let to = someone(i);
            let mid = message_id(&s, "alert.MS04-035", to.address.email.as_ref());
            let references = alert_id
                .filter(|_| matches!(kind, Some(Kind::Revision { .. })))
                .map(|id| message_id(&s, &Kind::NewAlert.key(id), to.address.email.as_ref()));
            let filled = prepared
                .fill(&Personal {
                    to: to.address.email.as_ref(),
                    message_id: &mid,
                    references: references.as_deref(),
                    unsubscribe: &to.unsubscribe_token,
                    preferences: &to.preferences_token,
                })
                .expect("fills");
            let composed = make(&to, &mid);
            // The same but for the MIME boundary, which lettre draws at
            // random for every message it builds.
            assert_eq!(without_boundary(&filled), without_boundary(&composed));
            assert_ne!(filled, template);
        }
    }

    fn without_boundary(mail: &[u8]) -> String {
        let text = String::from_utf8_lossy(mail).into_owned();
        let Some(at) = text.find("boundary=\"") else {
            return text;
        };
        let start = at + "boundary=\"".len();
        let end = text[start..].find('"').map_or(start, |e| start + e);
        let boundary = text[start..end].to_string();
        assert!(!boundary.is_empty());
        text.replace(&boundary, "BOUNDARY")
    }

    #[test]
    fn a_filled_mail_is_the_mail_composed_for_that_recipient() {
        let s = sender();
        let a = alert();
        let date = Utc.with_ymd_and_hms(2004, 10, 16, 0, 0, 0).unwrap();
        let new = |to: &Recipient, mid: &str| {
            alert_message(&s, &a, Kind::NewAlert, to, mid, date)
                .expect("composes")
                .formatted()
        };
        same_as_composed(&new, Some("MS04-035"), Some(Kind::NewAlert));

        let changes = vec![Change {
            path: "severity".into(),
            before: serde_json::json!(2),
            after: serde_json::json!(1),
        }];
        let kind = Kind::Revision {
            revision: 2,
            changes: &changes,
        };
        let update = |to: &Recipient, mid: &str| {
            alert_message(&s, &a, kind, to, mid, date)
                .expect("composes")
                .formatted()
        };
        same_as_composed(&update, Some("MS04-035"), Some(kind));

        let week = Week {
            start: chrono::NaiveDate::from_ymd_opt(2004, 10, 11).expect("date"),
            end: chrono::NaiveDate::from_ymd_opt(2004, 10, 17).expect("date"),
            entries: vec![WeeklyEntry::from_alert(&a, 1, false)],
        };
        let weekly = |to: &Recipient, mid: &str| {
            weekly_message(&s, &week, to, mid, date)
                .expect("composes")
                .formatted()
        };
        same_as_composed(&weekly, None, None);
    }

    #[test]
    fn values_that_could_break_a_header_are_refused() {
        let s = sender();
        let a = alert();
        let date = Utc.with_ymd_and_hms(2004, 10, 16, 0, 0, 0).unwrap();
        let to = Prepared::template_recipient().expect("placeholder");
        let template = alert_message(&s, &a, Kind::NewAlert, &to, MESSAGE_ID, date)
            .expect("composes")
            .formatted();
        let prepared =
            Prepared::new(&s, Some("MS04-035"), Some(Kind::NewAlert), &template).expect("splits");
        let ok = Personal {
            to: "a@example.jp",
            message_id: "<x@hfr.example.org>",
            references: None,
            unsubscribe: "u.1.0.00",
            preferences: "p.1.0.00",
        };
        assert!(prepared.fill(&ok).is_some());
        for bad in ["a@example.jp\r\nBcc: all@example.jp", "", "a b@example.jp"] {
            assert!(
                prepared.fill(&Personal { to: bad, ..ok }).is_none(),
                "{bad:?}"
            );
        }
        // A template without its placeholders is refused.
        assert!(Prepared::new(&s, None, None, b"Subject: nothing\r\n\r\nbody").is_none());
    }
}
