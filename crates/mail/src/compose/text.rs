//! The text/plain alternatives.
//!
//! Written in Rust rather than a template: plain text is all about where
//! line breaks and padding go, which template whitespace rules make hard to
//! see. Lines are not hard-wrapped: Japanese has no spaces to break at, URLs
//! and file paths must stay whole to be copied, and today's readers wrap for
//! their own screen. Lines longer than SMTP allows are safe because the body
//! goes out base64 or quoted-printable encoded (lettre picks the shorter).

use std::fmt::Write;

use super::confirm::ConfirmView;
use super::format::{pad, width, Table};
use super::view::{AlertView, Fact, Links};
use super::weekly::{EntryView, WeeklyView};

/// A text body being written.
struct Out(String);

impl Out {
    fn line(&mut self, s: &str) {
        self.0.push_str(s);
        self.0.push('\n');
    }

    fn blank(&mut self) {
        self.0.push('\n');
    }

    fn heading(&mut self, title: &str) {
        self.blank();
        let _ = writeln!(self.0, "■ {title}");
    }

    fn paragraphs(&mut self, paragraphs: &[Vec<String>]) {
        for (i, p) in paragraphs.iter().enumerate() {
            if i > 0 {
                self.blank();
            }
            for l in p {
                self.line(l);
            }
        }
    }

    fn table(&mut self, t: &Table) {
        for l in t.text_lines() {
            self.line(&l);
        }
    }

    /// Label/value lines with the values aligned; continuation lines of a
    /// value start under its first line.
    fn facts(&mut self, facts: &[Fact]) {
        let w = facts.iter().map(|f| width(f.label)).max().unwrap_or(0) + 2;
        for f in facts {
            for (i, l) in f.lines.iter().enumerate() {
                let label = if i == 0 { f.label } else { "" };
                let _ = writeln!(self.0, "{}{l}", pad(label, w));
            }
        }
    }

    /// The signature block (`-- ` starts it, so mail clients can set it
    /// apart and leave it out of replies) with the personal links.
    fn footer(&mut self, why: &str, links: &Links) {
        self.blank();
        self.line("-- ");
        let _ = writeln!(self.0, "HotFix Report  {}", links.site);
        self.line(why);
        let _ = writeln!(self.0, "配信条件の変更: {}", links.preferences);
        let _ = writeln!(self.0, "配信の停止:     {}", links.unsubscribe);
    }
}

pub(crate) fn alert(v: &AlertView) -> String {
    let mut o = Out(String::new());
    if let Some(r) = &v.revision {
        let _ = writeln!(
            o.0,
            "{} の HotFix Alert が更新されました (改訂 {})。",
            v.id, r.number
        );
        o.heading("更新内容");
        if r.sections.is_empty() {
            o.line("変更された項目: (記録なし)");
        } else {
            let _ = writeln!(o.0, "変更された項目: {}", r.sections.join("、"));
        }
        for c in &r.changes {
            let _ = writeln!(o.0, "・{} ({})", c.label, c.path);
            let _ = writeln!(o.0, "    {} → {}", c.before, c.after);
        }
        if r.more > 0 {
            let _ = writeln!(
                o.0,
                "ほか {} 件の変更は、Web ページの改訂履歴でご確認ください。",
                r.more
            );
        }
        o.blank();
    }
    let _ = writeln!(o.0, "[{}] {}  {}", v.severity_label(), v.id, v.title);
    if let Some(t) = &v.vendor_title {
        let _ = writeln!(o.0, "({t})");
    }
    o.blank();
    o.facts(&v.facts);
    o.blank();
    let _ = writeln!(o.0, "Web ページ: {}", v.page_url);

    if !v.summary.is_empty() {
        o.heading("概要");
        o.paragraphs(&v.summary);
    }
    if let Some(t) = &v.affected {
        o.heading("対象プラットフォーム");
        o.table(t);
    }
    if !v.packages.is_empty() {
        o.heading("適用されるファイル情報");
        if v.rereleased {
            o.line("追加情報で再リリースされた修正プログラムは、最新の内容で示しています。");
        }
        for p in &v.packages {
            o.blank();
            let _ = writeln!(o.0, "[{}]", p.heading);
            let _ = writeln!(o.0, "{}", p.file);
            let _ = writeln!(
                o.0,
                "  日付 {}  バージョン {}  サイズ {} バイト",
                p.date, p.version, p.size
            );
            if let Some(t) = &p.files {
                o.blank();
                o.table(t);
            }
            for l in &p.reference {
                o.blank();
                let _ = writeln!(o.0, "{}:", l.title);
                o.table(&l.table);
            }
        }
    }
    if !v.verification.is_empty() {
        o.heading("確認方法");
        for (i, x) in v.verification.iter().enumerate() {
            if i > 0 {
                o.blank();
            }
            let _ = writeln!(o.0, "[{}]", x.platforms);
            o.line(&x.key);
            let _ = writeln!(o.0, "→ {}", x.check);
        }
    }
    if !v.workarounds.is_empty() {
        o.heading("参考情報 (回避策)");
        for (i, w) in v.workarounds.iter().enumerate() {
            if i > 0 {
                o.blank();
            }
            if let Some(t) = &w.title {
                let _ = writeln!(o.0, "・{t}");
            }
            o.paragraphs(&w.paragraphs);
        }
    }
    if let Some(t) = &v.rollout {
        o.heading("予想適用時間");
        o.table(t);
        if !v.rollout_basis.is_empty() {
            o.blank();
            o.paragraphs(&v.rollout_basis);
        }
    }
    o.blank();
    let _ = writeln!(
        o.0,
        "ほかの項目 (危険性、詳細情報、適用テストの結果など) は Web ページをご覧ください:"
    );
    o.line(&v.page_url);
    o.footer(
        "このメールは、登録された配信条件に合うアラートを自動でお送りしています。",
        &v.links,
    );
    o.0
}

fn entry(o: &mut Out, e: &EntryView, updated: bool) {
    o.blank();
    if updated {
        let _ = writeln!(
            o.0,
            "[{}] {}  改訂 {}  {}",
            e.severity_label(),
            e.id,
            e.revision,
            e.edition
        );
    } else {
        let _ = writeln!(o.0, "[{}] {}  {}", e.severity_label(), e.id, e.edition);
    }
    o.line(&e.title);
    let _ = writeln!(o.0, "攻撃コード {}  対策 {}", e.exploit, e.action);
    if updated && !e.sections.is_empty() {
        let _ = writeln!(o.0, "変更された項目: {}", e.sections);
    }
    o.line(&e.url);
}

pub(crate) fn weekly(v: &WeeklyView) -> String {
    let mut o = Out(String::new());
    let _ = writeln!(o.0, "HotFix Weekly  {}", v.period);
    o.blank();
    if v.new.is_empty() && v.updated.is_empty() {
        o.line("この週に公開・更新された HotFix Alert はありません。");
    } else {
        let _ = writeln!(
            o.0,
            "この週に公開・更新された HotFix Alert: 新規 {} 件、更新 {} 件",
            v.new.len(),
            v.updated.len()
        );
    }
    if !v.new.is_empty() {
        o.heading(&format!("新しいアラート ({}件)", v.new.len()));
        for e in &v.new {
            entry(&mut o, e, false);
        }
    }
    if !v.updated.is_empty() {
        o.heading(&format!("更新されたアラート ({}件)", v.updated.len()));
        for e in &v.updated {
            entry(&mut o, e, true);
        }
    }
    o.footer(
        "このメールは、HotFix Weekly の配信を申し込まれた方に自動でお送りしています。",
        &v.links,
    );
    o.0
}

pub(crate) fn confirmation(v: &ConfirmView) -> String {
    let mut o = Out(String::new());
    o.line("HotFix Alert の配信のお申し込みを受け付けました。");
    o.line("次の URL を開いて、お申し込みを確定してください。");
    o.blank();
    o.line(&v.confirm_url);
    o.blank();
    o.line("お申し込みの配信条件:");
    o.facts(&v.conditions);
    o.blank();
    o.line("確定するまで、アラートのメールはお送りしません。");
    o.line("お申し込みに心当たりがない場合は、このメールを破棄してください。URL を開かなければ登録されません。");
    o.blank();
    o.line("-- ");
    let _ = writeln!(o.0, "HotFix Report  {}", v.site);
    o.0
}
