//! `hfr fleet`: the archive against an inventory of machines.
//!
//! `template` writes an example inventory, `check` says per machine and
//! alert whether the fix is needed and there, `worklist` orders what is
//! missing, `plan` splits the rollout into waves. The work is in
//! `hfr-fleet`; this is reading files, loading the archive and printing.

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use hfr_fleet::rollout::format_minutes;
use hfr_fleet::{Checker, Format, Options, ParsedInventory, Report, Status, Worklist};
use hfr_model::{Alert, RebootRequired};
use hfr_store::AlertFilter;

use crate::output::{pad, print_json, table, width};
use crate::render;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Write an example inventory (JSON, or CSV with --csv) to stdout.
    Template {
        /// CSV with the simple columns instead of JSON.
        #[arg(long)]
        csv: bool,
    },

    /// Print the JSON Schema of the inventory file.
    Schema,

    /// Every machine against every alert: 対象外 / 適用済み / 未適用 / レジストリのみ(ファイルが古い) / 修正なし(要アップグレード) / 不明, with the reasons.
    Check {
        #[command(flatten)]
        input: Input,

        /// Only this alert (repeatable).
        #[arg(long = "alert", value_name = "ID")]
        alerts: Vec<String>,

        /// Leave out the alerts that do not concern a machine.
        #[arg(long)]
        skip_na: bool,

        /// JSON output.
        #[arg(long, conflicts_with = "csv")]
        json: bool,

        /// CSV output: machine, os, alert, status, label, reasons.
        #[arg(long)]
        csv: bool,
    },

    /// The missing fixes in the order to deploy them: severity, exploit code,
    /// action, number of machines; per alert the machines, the package per
    /// platform, reboot and the rollout time.
    Worklist {
        #[command(flatten)]
        input: Input,

        /// JSON output.
        #[arg(long)]
        json: bool,
    },

    /// The rollout-time model: per measured package of the archive the line
    /// fitted to its 50/100/250/500-machine times, the residuals on the
    /// measured points, and the estimate for any number of machines.
    Rollout {
        /// Estimate for this many machines (repeatable).
        #[arg(long = "machines", value_name = "N", default_values_t = [10usize, 1000, 5000])]
        machines: Vec<usize>,

        /// JSON output.
        #[arg(long)]
        json: bool,
    },

    /// Split the rollout of the worklist into waves, a pilot group first,
    /// with the time of each wave.
    Plan {
        #[command(flatten)]
        input: Input,

        /// Machines in the pilot group.
        #[arg(long, default_value_t = 5)]
        pilot: usize,

        /// Waves after the pilot group.
        #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u16).range(1..))]
        waves: u16,

        /// JSON output.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, clap::Args)]
struct Input {
    /// The inventory: a JSON or CSV file (told by its extension, else by its
    /// content), or - for stdin.
    inventory: PathBuf,

    /// Read the inventory as this format regardless of its name.
    #[arg(long, value_enum)]
    format: Option<InputFormat>,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum InputFormat {
    Json,
    Csv,
}

pub async fn run(args: Args, db: Option<&str>) -> anyhow::Result<ExitCode> {
    match args.command {
        Command::Template { csv } => {
            let inv = hfr_fleet::template();
            if csv {
                print!("{}", hfr_fleet::inventory::to_csv(&inv.machines));
            } else {
                print_json(&inv)?;
            }
        }
        Command::Schema => print_json(&hfr_fleet::inventory_json_schema())?,
        Command::Check {
            input,
            alerts,
            skip_na,
            json,
            csv,
        } => {
            let inv = read_inventory(&input)?;
            let checker = Checker::new(&load_alerts(db).await?);
            let mut only = Vec::new();
            for id in &alerts {
                match checker.alert_index(id) {
                    Some(i) => only.push(i),
                    None => {
                        bail!("{id}: no such alert in the archive (hfr list shows what is there)")
                    }
                }
            }
            let opts = Options {
                include_not_applicable: !skip_na,
                only: (!only.is_empty()).then_some(only),
                threads: 0,
            };
            let report = hfr_fleet::check_inventory(&checker, inv, &opts);
            if json {
                let mut out = crate::output::stdout();
                report.write_json(&mut out)?;
                out.flush()?;
            } else if csv {
                print_csv(&report)?;
            } else {
                print_check(&report)?;
            }
        }
        Command::Worklist { input, json } => {
            let report = check_all(&input, db).await?;
            let wl = Worklist::new(&report);
            if json {
                print_json(&wl)?;
            } else {
                print_worklist(&report, &wl)?;
            }
        }
        Command::Rollout { machines, json } => {
            let checker = Checker::new(&load_alerts(db).await?);
            print_rollout(&checker, &machines, json)?;
        }
        Command::Plan {
            input,
            pilot,
            waves,
            json,
        } => {
            let report = check_all(&input, db).await?;
            let wl = Worklist::new(&report);
            let plan = hfr_fleet::plan(&report, &wl, pilot, waves as usize);
            if json {
                print_json(&plan)?;
            } else {
                print_plan(&plan)?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Every alert of the archive, in full: the list gives the ids, and the
/// alerts are read a few hundred at a time (one query per alert would
/// cost more than the check itself on a large archive).
async fn load_alerts(db: Option<&str>) -> anyhow::Result<Vec<Alert>> {
    let store = crate::open_store(db).await?;
    let ids: Vec<String> = store
        .list(&AlertFilter::default())
        .await?
        .into_iter()
        .map(|r| r.id)
        .collect();
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        out.extend(store.get_many(chunk).await?.into_iter().map(|s| s.alert));
    }
    if out.is_empty() {
        eprintln!("warning: the archive has no alerts (hfr import adds them)");
    }
    Ok(out)
}

async fn check_all(input: &Input, db: Option<&str>) -> anyhow::Result<Report> {
    let inv = read_inventory(input)?;
    let checker = Checker::new(&load_alerts(db).await?);
    Ok(hfr_fleet::check_inventory(
        &checker,
        inv,
        &Options::default(),
    ))
}

/// Reads and parses the inventory; rejected records and warnings go to
/// stderr (and stay in the report).
fn read_inventory(input: &Input) -> anyhow::Result<ParsedInventory> {
    let path = &input.inventory;
    let name = crate::display_path(path);
    let limit = hfr_fleet::MAX_INVENTORY_BYTES;
    let bytes = if path == Path::new("-") {
        let stdin = std::io::stdin();
        hfr_fleet::read_capped(stdin.lock(), limit).with_context(|| format!("{name}: stdin"))?
    } else {
        let meta = std::fs::metadata(path).with_context(|| format!("{name}: cannot read"))?;
        if meta.is_dir() {
            bail!("{name}: is a directory, not an inventory");
        }
        if meta.len() > limit {
            bail!(
                "{name}: {} bytes is larger than an inventory may be ({limit} bytes)",
                meta.len()
            );
        }
        let file = std::fs::File::open(path).with_context(|| format!("{name}: cannot read"))?;
        hfr_fleet::read_capped(file.take(limit + 1), limit).with_context(|| name.clone())?
    };
    let format = match input.format {
        Some(InputFormat::Json) => Format::Json,
        Some(InputFormat::Csv) => Format::Csv,
        None => Format::detect(path.to_str(), &bytes),
    };
    let parsed = hfr_fleet::parse(&bytes, format).with_context(|| name.clone())?;
    for r in &parsed.rejects {
        eprintln!("warning: {name}: rejected {r}");
    }
    for w in &parsed.warnings {
        eprintln!("warning: {name}: {w}");
    }
    if parsed.machines.is_empty() && !parsed.rejects.is_empty() {
        bail!(
            "{name}: no machine could be read ({} rejected)",
            parsed.rejects.len()
        );
    }
    Ok(parsed)
}

/// The report as an aligned table, written as the findings are read (a
/// large fleet has millions, too many to hold as rows of text first). The
/// last column, the reasons, is not padded, so one pass over the short
/// columns finds the widths.
fn print_check(report: &Report) -> anyhow::Result<()> {
    let header = ["マシン", "OS", "アラート", "状態", "理由"];
    let alert_id = |i: u32| {
        report
            .alerts()
            .get(i as usize)
            .map_or("", |a| a.id.as_str())
    };
    let mut widths = [0; 4];
    for (w, h) in widths.iter_mut().zip(header) {
        *w = width(h);
    }
    for m in &report.machines {
        let mut any = false;
        for f in m.findings() {
            any = true;
            widths[2] = widths[2].max(width(alert_id(f.alert)));
            widths[3] = widths[3].max(width(f.status.label_ja()));
        }
        if any {
            widths[0] = widths[0].max(width(&m.name));
            widths[1] = widths[1].max(width(&m.os));
        }
    }
    let mut out = crate::output::stdout();
    let cell = |c: &str, w: usize| pad(c, w) + "  ";
    let head: String = header[..4]
        .iter()
        .zip(widths)
        .map(|(h, w)| cell(h, w))
        .collect();
    writeln!(out, "{}", (head + header[4]).trim_end())?;
    // Padded once: each alert's id, each status's label, each machine's
    // name and OS.
    let alerts: Vec<String> = (0..report.alerts().len())
        .map(|i| cell(alert_id(i as u32), widths[2]))
        .collect();
    let mut labels = vec![String::new(); Status::ALL.len()];
    for st in Status::ALL {
        labels[st as usize] = cell(st.label_ja(), widths[3]);
    }
    let mut words = report.words();
    let mut reasons = String::new();
    let mut text = String::new();
    for m in &report.machines {
        let who = cell(&m.name, widths[0]) + &cell(&m.os, widths[1]);
        for f in m.findings() {
            words.join(m, f.reasons, &mut reasons);
            text.clear();
            text.push_str(&who);
            text.push_str(alerts.get(f.alert as usize).map_or("", |a| a.as_str()));
            text.push_str(&labels[f.status as usize]);
            text.push_str(&reasons);
            writeln!(out, "{}", text.trim_end())?;
        }
    }
    let s = report.summary();
    let counts: Vec<String> = Status::ALL
        .iter()
        .filter_map(|st| {
            let n = s.pairs.get(st.key()).copied().unwrap_or(0);
            (n > 0).then(|| format!("{} {n}", st.label_ja()))
        })
        .collect();
    writeln!(
        out,
        "\n{}台 × {}件: {}",
        s.machines,
        s.alerts,
        if counts.is_empty() {
            "-".to_string()
        } else {
            counts.join(", ")
        }
    )?;
    if !report.rejects.is_empty() {
        writeln!(
            out,
            "読めなかったレコード: {}件 (stderrを参照)",
            report.rejects.len()
        )?;
    }
    out.flush()?;
    Ok(())
}

/// One line per finding, written as the findings are read (a large fleet
/// has millions), each distinct reason put into words once.
fn print_csv(report: &Report) -> anyhow::Result<()> {
    let out = crate::output::stdout();
    let mut w = csv::Writer::from_writer(out);
    w.write_record(["machine", "os", "alert", "status", "label", "reasons"])?;
    let mut words = report.words();
    let mut reasons = String::new();
    for m in &report.machines {
        for f in m.findings() {
            words.join(m, f.reasons, &mut reasons);
            let alert = report.alerts().get(f.alert as usize).map_or("", |a| &a.id);
            w.write_record([
                m.name.as_str(),
                &m.os,
                alert,
                f.status.key(),
                f.status.label_ja(),
                reasons.as_str(),
            ])?;
        }
    }
    w.flush()?;
    Ok(())
}

/// Up to ten names, then how many more.
fn names<'a>(all: impl Iterator<Item = &'a str>, n: usize) -> String {
    let shown: Vec<&str> = all.take(10).collect();
    let mut s = shown.join(", ");
    if n > shown.len() {
        s.push_str(&format!(" …他{}台", n - shown.len()));
    }
    s
}

fn reboot(r: Option<RebootRequired>) -> &'static str {
    r.map_or("-", |r| r.label_ja())
}

fn minutes(m: Option<f64>) -> String {
    m.map_or_else(|| "-".to_string(), format_minutes)
}

fn print_worklist(report: &Report, wl: &Worklist) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    if wl.items.is_empty() {
        writeln!(
            out,
            "未適用の修正プログラムはない ({}台を確認)",
            report.machines.len()
        )?;
    }
    let rows: Vec<Vec<String>> = wl
        .items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            vec![
                (i + 1).to_string(),
                item.alert.clone(),
                render::severity(item.severity.and_then(hfr_model::Severity::from_number)),
                render::yes_no(item.exploit_code, "あり", "なし"),
                render::action(item.action),
                format!("{}台", item.machines.len()),
                minutes(item.minutes),
                item.title.clone(),
            ]
        })
        .collect();
    if !rows.is_empty() {
        write!(
            out,
            "{}",
            table(
                &[
                    "順位",
                    "ID",
                    "深刻度",
                    "攻撃コード",
                    "対策",
                    "台数",
                    "予想時間",
                    "タイトル"
                ],
                &rows
            )
        )?;
    }
    for (i, item) in wl.items.iter().enumerate() {
        writeln!(out, "\n{}. {} {}", i + 1, item.alert, item.title)?;
        for p in &item.packages {
            writeln!(
                out,
                "  {} ({}): {}台, 再起動 {}, 予想 {}",
                p.package,
                p.platform,
                p.machines.len(),
                reboot(p.reboot),
                minutes(p.minutes)
            )?;
            writeln!(out, "    {}", names(p.machines.names(), p.machines.len()))?;
        }
        if !item.reapply.is_empty() {
            writeln!(
                out,
                "  再適用 (レジストリは適用済みだがファイルが古い): {}",
                names(item.reapply.names(), item.reapply.len())
            )?;
        }
    }
    if !wl.upgrades.is_empty() {
        writeln!(out, "\n修正プログラムがない (SPの適用かOSの移行が必要):")?;
        for u in &wl.upgrades {
            writeln!(
                out,
                "  {} {}: {}",
                u.alert,
                u.title,
                names(u.machines.names(), u.machines.len())
            )?;
        }
    }
    writeln!(
        out,
        "\n合計: {}件, 予想時間 {} (1コンソールで順に適用した場合)",
        wl.items.len(),
        minutes(wl.total_minutes)
    )?;
    Ok(())
}

/// One fitted line, for `hfr fleet rollout`.
#[derive(serde::Serialize)]
struct FitView {
    alert: Option<String>,
    package: Option<String>,
    /// Minutes of fixed cost (a) and per machine (b): t(n) = a + b·n.
    intercept: f64,
    slope: f64,
    /// (machines, measured minutes, fitted minutes, measured − fitted).
    points: Vec<(u32, u32, f64, f64)>,
    max_abs_residual: f64,
    /// (machines, estimated minutes).
    estimates: Vec<(usize, f64)>,
}

fn fit_view(
    alert: Option<&str>,
    package: Option<&str>,
    m: &hfr_fleet::RolloutModel,
    machines: &[usize],
) -> FitView {
    FitView {
        alert: alert.map(str::to_string),
        package: package.map(str::to_string),
        intercept: m.intercept,
        slope: m.slope,
        points: m
            .residuals()
            .into_iter()
            .zip(&m.points)
            .map(|((n, r), &(_, t))| (n, t, t as f64 - r, r))
            .collect(),
        max_abs_residual: m.max_abs_residual(),
        estimates: machines.iter().map(|&n| (n, m.estimate(n))).collect(),
    }
}

fn print_rollout(checker: &Checker, machines: &[usize], json: bool) -> anyhow::Result<()> {
    let c = checker.compiled();
    let mut fits = Vec::new();
    for a in &c.alerts {
        for p in &a.packages {
            if let Some(m) = &p.rollout {
                fits.push(fit_view(Some(&a.id), Some(&p.file), m, machines));
            }
        }
    }
    let pooled = c
        .pooled_rollout
        .as_ref()
        .map(|m| fit_view(None, None, m, machines));
    if json {
        print_json(&serde_json::json!({ "packages": fits, "pooled": pooled }))?;
        return Ok(());
    }
    let mut out = std::io::stdout().lock();
    if fits.is_empty() {
        writeln!(out, "アーカイブに適用時間の実測値がない")?;
        return Ok(());
    }
    let mut rows = Vec::new();
    for f in fits.iter().chain(&pooled) {
        let mut row = vec![
            f.alert.clone().unwrap_or_else(|| "(全体)".into()),
            f.package.clone().unwrap_or_else(|| "全実測点".into()),
            format!("{:.2} + {:.4}·n", f.intercept, f.slope),
            if f.alert.is_some() {
                f.points
                    .iter()
                    .map(|(n, _, _, r)| format!("{n}台 {r:+.2}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            } else {
                // Dozens of points: their count and root mean square.
                let rms = (f.points.iter().map(|p| p.3 * p.3).sum::<f64>()
                    / f.points.len().max(1) as f64)
                    .sqrt();
                format!("{}点, RMS {rms:.2}", f.points.len())
            },
            format!("{:.2}", f.max_abs_residual),
        ];
        row.extend(f.estimates.iter().map(|(_, t)| minutes(Some(*t))));
        rows.push(row);
    }
    let mut head: Vec<String> = [
        "アラート",
        "パッケージ",
        "t(n) 分",
        "残差 (実測−当てはめ, 分)",
        "最大|残差|",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    head.extend(machines.iter().map(|n| format!("{n}台")));
    let head: Vec<&str> = head.iter().map(String::as_str).collect();
    write!(out, "{}", table(&head, &rows))?;
    Ok(())
}

fn print_plan(plan: &hfr_fleet::RolloutPlan) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    if plan.waves.is_empty() {
        writeln!(out, "展開の必要な修正プログラムはない")?;
        return Ok(());
    }
    for w in &plan.waves {
        writeln!(
            out,
            "{}: {}台, 予想 {}",
            w.name,
            w.machines.len(),
            minutes(w.minutes)
        )?;
        writeln!(
            out,
            "  {}",
            names(w.machines.iter().map(String::as_str), w.machines.len())
        )?;
        let rows: Vec<Vec<String>> = w
            .packages
            .iter()
            .map(|p| {
                vec![
                    p.alert.clone(),
                    p.package.clone(),
                    format!("{}台", p.machines),
                    minutes(p.minutes),
                ]
            })
            .collect();
        for line in table(&["アラート", "パッケージ", "台数", "予想時間"], &rows).lines()
        {
            writeln!(out, "  {line}")?;
        }
        writeln!(out)?;
    }
    writeln!(out, "合計: 予想 {}", minutes(plan.total_minutes))?;
    if std::io::stdout().is_terminal() {
        writeln!(
            out,
            "(予想時間は各アラートの実測値(50/100/250/500台)に当てはめた直線から。パッケージごとの固定時間は波ごとにかかる)"
        )?;
    }
    Ok(())
}
