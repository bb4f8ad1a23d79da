//! The Atom 1.0 feed (RFC 4287): the most recently recorded alerts and
//! revisions, one entry per alert revision.

use std::fmt::Write;

use chrono::{DateTime, Utc};
use hfr_model::diff::changed_sections;
use hfr_store::{AlertFilter, AlertSummary};

use crate::error::AppError;
use crate::fmt;
use crate::http::{Doc, Kind};
use crate::state::{seg, AppState, Inner};

/// Escapes text for XML content and attribute values.
pub(crate) fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 does not allow.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            '\u{FFFE}' | '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

fn time(t: &DateTime<Utc>) -> String {
    fmt::rfc3339(t)
}

/// `tag:AUTHORITY,2004:hfr/…` (RFC 4151); the date is when HotFix Alerts began.
fn tag(st: &Inner, specific: &str) -> String {
    format!("tag:{},2004:hfr/{specific}", st.config.tag_authority)
}

/// What the entry says about the alert, in one line.
fn summary_text(s: &AlertSummary, sections: Option<&[String]>) -> String {
    let mut parts = vec![
        format!(
            "深刻度: {}",
            s.severity.map(|v| v.label_ja()).unwrap_or("-")
        ),
        format!(
            "攻撃コード: {}",
            fmt::yes_no(&s.exploit_code, "あり", "なし")
        ),
        format!("対策: {}", s.action.map(|v| v.label_ja()).unwrap_or("-")),
        format!("版: {}", fmt::date(&s.edition)),
    ];
    if let Some(sections) = sections {
        let labels: Vec<&str> = sections
            .iter()
            .map(|x| hfr_model::diff::section_label(x))
            .collect();
        parts.push(format!(
            "改訂 {} で変更された項目: {}",
            s.revision,
            if labels.is_empty() {
                "-".to_string()
            } else {
                labels.join("、")
            }
        ));
    }
    parts.join(" / ")
}

/// The feed: the alerts whose current revision was recorded most recently.
pub(crate) async fn feed(st: &AppState) -> Result<Doc, AppError> {
    let mut all = st.store.list(&AlertFilter::default()).await?;
    // Stable: alerts recorded together keep the archive's newest-first order.
    all.sort_by_key(|s| std::cmp::Reverse(s.recorded_at));
    all.truncate(st.config.feed_entries);
    let mut sections = Vec::with_capacity(all.len());
    for s in &all {
        if s.revision > 1 {
            let history = st.store.history(&s.id).await?;
            sections.push(
                history
                    .iter()
                    .find(|h| h.revision == s.revision)
                    .map(|h| changed_sections(&h.changes)),
            );
        } else {
            sections.push(None);
        }
    }
    Ok(feed_doc(st, &all, &sections))
}

fn feed_doc(st: &Inner, entries: &[AlertSummary], sections: &[Option<Vec<String>>]) -> Doc {
    let updated = entries.iter().map(|s| s.recorded_at).max();
    let mut x = String::with_capacity(1024 + entries.len() * 1024);
    x.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    x.push_str("<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"ja\">\n");
    let _ = writeln!(x, "<id>{}</id>", xml(&tag(st, "feed")));
    x.push_str("<title>HotFix Report 新着・更新アラート</title>\n");
    x.push_str("<subtitle>Windows のセキュリティ修正プログラムの新着アラートと改訂</subtitle>\n");
    let _ = writeln!(
        x,
        "<updated>{}</updated>",
        time(&updated.unwrap_or(DateTime::<Utc>::UNIX_EPOCH))
    );
    let _ = writeln!(
        x,
        "<link rel=\"self\" type=\"application/atom+xml\" href=\"{}\"/>",
        xml(&format!("{}/feed.atom", st.base))
    );
    let _ = writeln!(
        x,
        "<link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>",
        xml(&format!("{}/", st.base))
    );
    x.push_str("<author><name>HotFix Report</name></author>\n");
    x.push_str("<generator>hfr</generator>\n");
    for (i, s) in entries.iter().enumerate() {
        let secs = sections.get(i).and_then(|v| v.as_deref());
        let href = format!("{}/alerts/{}/", st.base, seg(&s.id));
        let rev_href = format!(
            "{}/alerts/{}/revisions/{}/",
            st.base,
            seg(&s.id),
            s.revision
        );
        let title = if s.revision > 1 {
            format!("[{}] {} {} (改訂 {})", sev(s), s.id, s.title, s.revision)
        } else {
            format!("[{}] {} {}", sev(s), s.id, s.title)
        };
        x.push_str("<entry>\n");
        let _ = writeln!(
            x,
            "<id>{}</id>",
            xml(&tag(
                st,
                &format!("alert/{}/revision/{}", seg(&s.id), s.revision)
            ))
        );
        let _ = writeln!(x, "<title>{}</title>", xml(&title));
        let _ = writeln!(x, "<updated>{}</updated>", time(&s.recorded_at));
        let _ = writeln!(
            x,
            "<link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>",
            xml(&href)
        );
        let _ = writeln!(
            x,
            "<link rel=\"related\" type=\"text/html\" href=\"{}\"/>",
            xml(&rev_href)
        );
        x.push_str("<author><name>HotFix Report</name></author>\n");
        if let Some(v) = s.severity {
            let _ = writeln!(
                x,
                "<category term=\"severity-{}\" label=\"{}\"/>",
                v.number(),
                v.label_ja()
            );
        }
        if let Some(a) = s.action {
            let _ = writeln!(
                x,
                "<category term=\"{}\" label=\"{}\"/>",
                a.key(),
                a.label_ja()
            );
        }
        let _ = writeln!(
            x,
            "<summary type=\"text\">{}</summary>",
            xml(&summary_text(s, secs))
        );
        x.push_str("</entry>\n");
    }
    x.push_str("</feed>\n");
    Doc::new(x, Kind::Atom, updated)
}

fn sev(s: &AlertSummary) -> &'static str {
    s.severity.map(|v| v.label_ja()).unwrap_or("深刻度不明")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_drops_forbidden_characters() {
        assert_eq!(xml("a<b>&\"'\u{1}"), "a&lt;b&gt;&amp;&quot;&apos;");
    }
}
