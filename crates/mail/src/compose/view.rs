//! What an alert mail shows, worked out once for both alternatives: the
//! text/plain body (`text.rs`) and the text/html body (`templates/`) print
//! the same facts, sections and links from one [`AlertView`], so the two
//! cannot drift apart.

use hfr_model::diff::{changed_sections, Change};
use hfr_model::{Alert, Package, PackageFile, Severity};

use super::format::{self, Cell, Table};

/// How many changes an update mail lists before pointing to the web page.
const MAX_CHANGES: usize = 15;
/// How many characters of a changed value an update mail shows.
const MAX_VALUE: usize = 80;

/// The personal and public links a mail carries.
#[derive(Debug, Clone)]
pub(crate) struct Links {
    /// The site root, for the footer.
    pub site: String,
    /// Change the delivery conditions (`/subscribe/{preferences_token}`).
    pub preferences: String,
    /// Stop the mail (`/unsubscribe/{unsubscribe_token}`).
    pub unsubscribe: String,
}

/// One header fact: a label and one or more value lines.
#[derive(Debug, Clone)]
pub(crate) struct Fact {
    pub label: &'static str,
    pub lines: Vec<String>,
}

/// What changed in an update mail.
#[derive(Debug, Clone)]
pub(crate) struct RevisionView {
    pub number: i64,
    /// Section names in Japanese, each once, in page order.
    pub sections: Vec<String>,
    pub changes: Vec<ChangeView>,
    /// Changes left out of `changes`.
    pub more: usize,
}

/// One change, shortened to a line.
#[derive(Debug, Clone)]
pub(crate) struct ChangeView {
    pub label: String,
    pub path: String,
    pub before: String,
    pub after: String,
}

/// One update package and the files it installs.
#[derive(Debug, Clone)]
pub(crate) struct PackageView {
    pub heading: String,
    pub file: String,
    pub date: String,
    pub version: String,
    pub size: String,
    pub files: Option<Table>,
    pub reference: Vec<FileListView>,
}

/// A further titled file list printed with a package.
#[derive(Debug, Clone)]
pub(crate) struct FileListView {
    pub title: String,
    pub table: Table,
}

/// One 確認方法 entry.
#[derive(Debug, Clone)]
pub(crate) struct VerifyView {
    pub platforms: String,
    pub key: String,
    pub check: String,
}

/// One 参考情報 entry.
#[derive(Debug, Clone)]
pub(crate) struct WorkaroundView {
    pub title: Option<String>,
    pub paragraphs: Vec<Vec<String>>,
}

/// Everything an alert or update mail shows.
#[derive(Debug, Clone)]
pub(crate) struct AlertView {
    pub subject: String,
    pub id: String,
    pub title: String,
    pub vendor_title: Option<String>,
    pub severity: Option<Severity>,
    pub facts: Vec<Fact>,
    pub revision: Option<RevisionView>,
    pub page_url: String,
    pub summary: Vec<Vec<String>>,
    pub affected: Option<Table>,
    pub packages: Vec<PackageView>,
    /// Some package was re-released in 追加情報 and is shown in its latest form.
    pub rereleased: bool,
    pub verification: Vec<VerifyView>,
    pub workarounds: Vec<WorkaroundView>,
    pub rollout: Option<Table>,
    pub rollout_basis: Vec<Vec<String>>,
    pub links: Links,
}

impl AlertView {
    pub fn new(
        alert: &Alert,
        subject: String,
        revision: Option<(i64, &[Change])>,
        page_url: String,
        links: Links,
    ) -> Self {
        let a = alert;
        let ids = {
            let mut s = a.id.clone();
            if !a.kbs.is_empty() {
                let kbs: Vec<String> = a.kbs.iter().map(|k| format!("KB{k}")).collect();
                s.push_str(&format!(" ({})", kbs.join(", ")));
            }
            s
        };
        let edition = format!(
            "{} (登録日 {}、更新日 {})",
            format::edition(a.edition),
            format::date(a.registered),
            format::date(a.updated)
        );
        let facts = vec![
            Fact {
                label: "深刻度",
                lines: vec![format::severity(a.severity)],
            },
            Fact {
                label: "攻撃コードの有無",
                lines: vec![hfr_model::present::yes_no(a.exploit_code, "あり", "なし").to_string()],
            },
            Fact {
                label: "対策",
                lines: vec![format::action(a.action)],
            },
            Fact {
                label: "再起動の必要性",
                lines: format::reboot(&a.reboot),
            },
            Fact {
                label: "アンインストール",
                lines: vec![hfr_model::present::yes_no(a.uninstall, "可", "不可").to_string()],
            },
            Fact {
                label: "対象環境",
                lines: vec![format::target(a.target)],
            },
            Fact {
                label: "脆弱性識別番号",
                lines: vec![ids],
            },
            Fact {
                label: "版",
                lines: vec![edition],
            },
        ];

        let affected = (!a.affected.is_empty()).then(|| Table {
            header: vec![
                Cell::left("影響を受けるソフトウェア"),
                Cell::left("対象プラットフォーム"),
            ],
            rows: a
                .affected
                .iter()
                .map(|x| vec![Cell::left(&x.software), Cell::left(&x.platforms)])
                .collect(),
        });

        let effective = a.effective_packages();
        let rereleased = a.additions.iter().any(|ad| !ad.packages.is_empty());
        let packages = effective.iter().map(package).collect();

        let verification = a
            .verification
            .iter()
            .map(|v| VerifyView {
                platforms: v.platforms.clone(),
                key: v.registry_key.clone(),
                check: format::check(&v.check),
            })
            .collect();

        let workarounds = a
            .workarounds
            .iter()
            .map(|w| WorkaroundView {
                title: w.title.as_deref().map(format::one_line),
                paragraphs: format::paragraphs(&w.text),
            })
            .collect();

        let rollout = (!a.rollout.is_empty()).then(|| {
            let counts = hfr_model::present::rollout_columns(&a.rollout);
            let mut header = vec![Cell::left("修正プログラム名")];
            header.extend(counts.iter().map(|c| Cell::right(format!("{c}台"))));
            let rows = a
                .rollout
                .iter()
                .map(|r| {
                    let name = match &r.platform {
                        Some(p) => format!("{} ({p})", r.package),
                        None => r.package.clone(),
                    };
                    let mut row = vec![Cell::left(name)];
                    row.extend(counts.iter().map(|c| {
                        Cell::right(
                            r.minutes
                                .get(c)
                                .map(|m| format::minutes(*m))
                                .unwrap_or_else(|| "-".into()),
                        )
                    }));
                    row
                })
                .collect();
            Table { header, rows }
        });

        AlertView {
            subject,
            id: format::one_line(&a.id),
            title: format::one_line(&a.title),
            vendor_title: a.vendor_title.as_deref().map(format::one_line),
            severity: a.severity,
            facts,
            revision: revision.map(|(number, changes)| revision_view(number, changes)),
            page_url,
            summary: a
                .summary
                .as_deref()
                .map(format::paragraphs)
                .unwrap_or_default(),
            affected,
            packages,
            rereleased,
            verification,
            workarounds,
            rollout,
            rollout_basis: a
                .rollout_basis
                .as_deref()
                .map(format::paragraphs)
                .unwrap_or_default(),
            links,
        }
    }

    /// The severity word for the badge, `-` when unknown.
    pub fn severity_label(&self) -> &'static str {
        self.severity.map(|s| s.label_ja()).unwrap_or("-")
    }

    /// Inline colours of the severity badge in the HTML part.
    pub fn severity_style(&self) -> &'static str {
        severity_style(self.severity)
    }
}

/// Background and text colour of a severity badge: red for 緊急 down to green
/// for 注意, grey when unknown. Text colours keep a contrast of at least 4.5:1.
pub(crate) fn severity_style(s: Option<Severity>) -> &'static str {
    match s {
        Some(Severity::Critical) => "background-color:#b00020;color:#ffffff;",
        Some(Severity::Important) => "background-color:#b34700;color:#ffffff;",
        Some(Severity::Moderate) => "background-color:#f2c200;color:#222222;",
        Some(Severity::Low) => "background-color:#2e7d32;color:#ffffff;",
        None => "background-color:#dddddd;color:#222222;",
    }
}

fn revision_view(number: i64, changes: &[Change]) -> RevisionView {
    let sections = changed_sections(changes)
        .iter()
        .map(|s| hfr_model::diff::section_label(s).to_string())
        .collect();
    let shown = changes
        .iter()
        .take(MAX_CHANGES)
        .map(|c| ChangeView {
            label: hfr_model::diff::section_label(c.section()).to_string(),
            path: format::one_line(&c.path),
            before: format::preview(&c.before, MAX_VALUE),
            after: format::preview(&c.after, MAX_VALUE),
        })
        .collect();
    RevisionView {
        number,
        sections,
        changes: shown,
        more: changes.len().saturating_sub(MAX_CHANGES),
    }
}

fn package(p: &Package) -> PackageView {
    PackageView {
        heading: p
            .platform
            .clone()
            .unwrap_or_else(|| "(プラットフォームの記載なし)".into()),
        file: p.file.clone(),
        date: format::date(p.date),
        version: p.version.clone().unwrap_or_else(|| "-".into()),
        size: format::size(p.size),
        files: (!p.files.is_empty()).then(|| files_table(&p.files)),
        reference: p
            .reference_files
            .iter()
            .filter(|l| !l.files.is_empty())
            .map(|l| FileListView {
                title: l.title.clone(),
                table: files_table(&l.files),
            })
            .collect(),
    }
}

/// The files a package installs: name, version, size and date first (what a
/// fleet check compares), then where they go. The branch and 機能 columns
/// appear only when some file has one.
fn files_table(files: &[PackageFile]) -> Table {
    let branch = files.iter().any(|f| f.branch.is_some());
    let description = files.iter().any(|f| f.description.is_some());
    let mut header = Vec::new();
    if branch {
        header.push(Cell::left("ブランチ"));
    }
    header.extend([
        Cell::left("ファイル名"),
        Cell::left("バージョン"),
        Cell::right("サイズ"),
        Cell::left("日付"),
        Cell::left("展開フォルダ"),
    ]);
    if description {
        header.push(Cell::left("機能"));
    }
    let rows = files
        .iter()
        .map(|f| {
            let mut row = Vec::new();
            if branch {
                row.push(Cell::left(f.branch.clone().unwrap_or_default()));
            }
            row.extend([
                Cell::left(&f.name),
                Cell::left(f.version.clone().unwrap_or_else(|| "-".into())),
                Cell::right(format::size(f.size)),
                Cell::left(format::date(f.date)),
                Cell::left(&f.path),
            ]);
            if description {
                row.push(Cell::left(f.description.clone().unwrap_or_default()));
            }
            row
        })
        .collect();
    Table { header, rows }
}
