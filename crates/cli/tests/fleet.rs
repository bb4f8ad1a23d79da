//! `hfr fleet` as a user runs it: the demo archive in a real SQLite file,
//! the demo inventory, and broken inventories.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn manifest_dir() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
}

fn repo(p: &str) -> PathBuf {
    manifest_dir().join("../..").join(p)
}

struct Archive {
    dir: tempfile::TempDir,
}

impl Archive {
    /// A fresh archive with the five seed pages imported as they are (the
    /// HotFix Alert text, both renderings), or `None` when shared/seeds is
    /// not beside the workspace (a failure under CI).
    fn seeds() -> Option<Self> {
        let dir = manifest_dir().join("../../../shared/seeds");
        if !dir.is_dir() {
            assert!(
                std::env::var("CI").map_or(true, |v| v != "true"),
                "the seed pages are missing: expected them in {}",
                dir.display()
            );
            eprintln!("notice: no seed pages in {}; skipping", dir.display());
            return None;
        }
        let a = Archive {
            dir: tempfile::tempdir().expect("tempdir"),
        };
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .expect("seeds")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "txt"))
            .collect();
        files.sort();
        assert_eq!(files.len(), 5, "{files:?}");
        let mut args = vec!["import".to_string()];
        args.extend(files.iter().map(|p| s(p).to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        a.ok(&args);
        Some(a)
    }

    /// A fresh archive with the five demo alerts.
    fn demo() -> Self {
        let a = Archive {
            dir: tempfile::tempdir().expect("tempdir"),
        };
        let mut files: Vec<PathBuf> = std::fs::read_dir(repo("demo/alerts"))
            .expect("demo/alerts")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.extension().is_some_and(|x| x == "json")
                    && !p.to_string_lossy().ends_with(".schema.json")
            })
            .collect();
        files.sort();
        let mut args = vec!["import".to_string()];
        args.extend(files.iter().map(|p| s(p).to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        a.ok(&args);
        a
    }

    fn hfr(&self, args: &[&str]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_hfr"));
        cmd.arg("--db")
            .arg(self.dir.path().join("archive.sqlite"))
            .args(args);
        cmd.env_remove("HFR_DB");
        cmd.output().expect("run hfr")
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.hfr(args);
        assert!(
            out.status.success(),
            "hfr {args:?} failed: {}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8 stdout")
    }

    fn json(&self, args: &[&str]) -> serde_json::Value {
        serde_json::from_str(&self.ok(args)).expect("JSON output")
    }

    fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, bytes).expect("write");
        p
    }
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// The finding of a machine for an alert in `check --json` output.
fn finding<'a>(
    v: &'a serde_json::Value,
    machine: &str,
    alert: &str,
) -> Option<&'a serde_json::Value> {
    v["machines"]
        .as_array()
        .expect("machines")
        .iter()
        .find(|m| m["name"] == machine)
        .and_then(|m| {
            m["findings"]
                .as_array()?
                .iter()
                .find(|f| f["alert"] == alert)
        })
}

/// The status of a machine for an alert in `check --json` output.
fn status<'a>(v: &'a serde_json::Value, machine: &str, alert: &str) -> &'a str {
    finding(v, machine, alert)
        .and_then(|f| f["status"].as_str())
        .unwrap_or("(none)")
}

#[test]
fn template_is_the_demo_inventory_and_reads_back() {
    let a = Archive::demo();
    let json = a.ok(&["fleet", "template"]);
    let on_disk = std::fs::read_to_string(repo("demo/inventory.json")).expect("demo inventory");
    assert_eq!(json, on_disk);
    let csv = a.ok(&["fleet", "template", "--csv"]);
    assert!(csv.starts_with("name,os,service_pack,"), "{csv}");
    let schema = a.json(&["fleet", "schema"]);
    assert_eq!(schema["title"], "hfr fleet inventory");
}

#[test]
fn check_the_demo_inventory() {
    let a = Archive::demo();
    let inv = repo("demo/inventory.json");
    let v = a.json(&["fleet", "check", s(&inv), "--json"]);
    assert_eq!(status(&v, "SV-WINS01", "MS04-045"), "installed");
    assert_eq!(
        status(&v, "SV-WINS02", "MS04-045"),
        "registry_only_files_older"
    );
    assert_eq!(status(&v, "SV-MAIL01", "MS04-035"), "missing");
    assert_eq!(status(&v, "PC-SALES01", "MS05-017"), "not_applicable");
    assert_eq!(status(&v, "PC-LEGACY01", "MS05-017"), "no_fix_upgrade");
    assert_eq!(v["summary"]["machines"], 7);
    assert_eq!(v["summary"]["alerts"], 5);
    // Every pair, each with a reason.
    for m in v["machines"].as_array().expect("machines") {
        let f = m["findings"].as_array().expect("findings");
        assert_eq!(f.len(), 5, "{}", m["name"]);
        assert!(f
            .iter()
            .all(|x| !x["reasons"].as_array().expect("reasons").is_empty()));
    }
    let r = v["machines"][1]["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["alert"] == "MS04-045")
        .expect("MS04-045");
    assert_eq!(r["reasons"][0]["file"], "wins.exe");
    assert_eq!(r["reasons"][0]["found"], "5.0.2195.6870");
    assert_eq!(r["reasons"][0]["required"], "5.0.2195.7005");

    // The table speaks Japanese, product names stay English.
    let t = a.ok(&["fleet", "check", s(&inv)]);
    for want in [
        "マシン",
        "状態",
        "理由",
        "レジストリのみ(ファイルが古い)",
        "修正なし(要アップグレード)",
        "wins.exe 5.0.2195.6870 < 5.0.2195.7005",
        "Windows Server 2003, Enterprise Edition for 32-bit Systems RTM",
        "7台 × 5件",
    ] {
        assert!(t.contains(want), "table lacks {want:?}:\n{t}");
    }
    // The columns line up: every finding's alert starts at the header's
    // アラート, by display width (Japanese characters take two columns).
    let col = |line: &str, at: &str| {
        line.find(at)
            .map(|i| unicode_width::UnicodeWidthStr::width(&line[..i]))
    };
    let lines: Vec<&str> = t.lines().take_while(|l| !l.is_empty()).collect();
    let alert_col = col(lines[0], "アラート").expect("header");
    assert_eq!(lines.len(), 36, "{t}");
    for l in &lines[1..] {
        assert_eq!(col(l, " MS0").map(|c| c + 1), Some(alert_col), "{l}");
    }
    // --skip-na and --alert narrow it down.
    let t = a.ok(&[
        "fleet",
        "check",
        s(&inv),
        "--skip-na",
        "--alert",
        "ms04-045",
    ]);
    assert!(!t.contains("対象外") && !t.contains("MS06-035"), "{t}");
    assert_eq!(t.matches("MS04-045").count(), 2, "{t}");
    let out = a.hfr(&["fleet", "check", s(&inv), "--alert", "MS99-999"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("MS99-999: no such alert"));

    // CSV: a header and one line per pair.
    let csv = a.ok(&["fleet", "check", s(&inv), "--csv"]);
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("machine,os,alert,status,label,reasons"));
    assert_eq!(lines.count(), 35);
    assert!(csv.contains("SV-WINS02,Windows 2000 Advanced Server for 32-bit Systems Service Pack 4,MS04-045,registry_only_files_older,"), "{csv}");
    // Every finding's reasons in words, as the JSON has them, in order.
    let mut rows = csv::Reader::from_reader(csv.as_bytes());
    let mut read = 0;
    for row in rows.records() {
        let row = row.expect("CSV row");
        let finding = finding(&v, &row[0], &row[2]).expect("finding in the JSON");
        assert_eq!(finding["status"], row[3]);
        let words: Vec<&str> = finding["reasons"]
            .as_array()
            .expect("reasons")
            .iter()
            .map(|r| r["text"].as_str().expect("text"))
            .collect();
        assert_eq!(words.join(" / "), row[5]);
        read += 1;
    }
    assert_eq!(read, 35);

    // The CSV inventory says the same.
    let from_csv = a.json(&["fleet", "check", s(&repo("demo/inventory.csv")), "--json"]);
    assert_eq!(
        status(&from_csv, "SV-WINS02", "MS04-045"),
        "registry_only_files_older"
    );
}

#[test]
fn worklist_and_plan() {
    let a = Archive::demo();
    let inv = repo("demo/inventory.json");
    let wl = a.json(&["fleet", "worklist", s(&inv), "--json"]);
    let ids: Vec<&str> = wl["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["alert"].as_str())
        .collect();
    assert_eq!(ids, ["MS06-035", "MS04-035", "MS04-045"]);
    assert_eq!(wl["items"][2]["reapply"], serde_json::json!(["SV-WINS02"]));
    assert_eq!(
        wl["upgrades"][0]["machines"],
        serde_json::json!(["PC-LEGACY01"])
    );
    assert!(wl["total_minutes"].as_f64().is_some_and(|m| m > 0.0));
    let t = a.ok(&["fleet", "worklist", s(&inv)]);
    for want in [
        "順位",
        "深刻度",
        "再起動",
        "Windows2000-KB870763-x86-JPN.EXE",
        "合計",
        "PC-LEGACY01",
    ] {
        assert!(t.contains(want), "worklist lacks {want:?}:\n{t}");
    }

    let plan = a.json(&[
        "fleet",
        "plan",
        s(&inv),
        "--pilot",
        "1",
        "--waves",
        "2",
        "--json",
    ]);
    let waves = plan["waves"].as_array().expect("waves");
    assert_eq!(waves[0]["name"], "パイロット");
    assert_eq!(waves[0]["machines"].as_array().map(Vec::len), Some(1));
    assert_eq!(waves.len(), 3);
    // The rollout model: a line per measured package, close to every point.
    let m = a.json(&["fleet", "rollout", "--machines", "1000", "--json"]);
    let fits = m["packages"].as_array().expect("packages");
    assert_eq!(fits.len(), 10, "{m}");
    for f in fits {
        assert_eq!(f["points"].as_array().map(Vec::len), Some(4), "{f}");
        assert!(
            f["max_abs_residual"].as_f64().is_some_and(|r| r < 0.5),
            "{f}"
        );
    }
    let w2k = fits
        .iter()
        .find(|f| f["package"] == "Windows2000-KB870763-x86-JPN.EXE")
        .expect("the WINS package");
    // 24/33/58/100 minutes measured: 15.87 + 0.1684·n, 184.3 at 1000.
    assert!(
        (w2k["intercept"].as_f64().unwrap_or(0.0) - 15.87).abs() < 0.01,
        "{w2k}"
    );
    assert!(
        (w2k["estimates"][0][1].as_f64().unwrap_or(0.0) - 184.3).abs() < 0.1,
        "{w2k}"
    );
    assert_eq!(m["pooled"]["points"].as_array().map(Vec::len), Some(40));
    let t = a.ok(&["fleet", "rollout"]);
    assert!(t.contains("最大|残差|") && t.contains("全実測点"), "{t}");

    let t = a.ok(&["fleet", "plan", s(&inv)]);
    assert!(t.contains("パイロット") && t.contains("合計"), "{t}");
    assert_eq!(
        a.hfr(&["fleet", "plan", s(&inv), "--waves", "0"])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn bad_inventories_are_named_record_by_record() {
    let a = Archive::demo();
    let partial = a.write(
        "partial.json",
        br#"{"machines": [
            {"name": "ok", "os": "Windows XP Professional", "service_pack": "SP2", "updates": []},
            {"name": "typo", "os": "Windows XP Profesional"},
            {"name": "OK", "os": "Windows XP Professional"},
            {"name": "bad", "os": "Windows XP Professional", "files": [{"name": "srv.sys", "version": true}]}
        ]}"#,
    );
    let out = a.hfr(&["fleet", "check", s(&partial), "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    for want in [
        "rejected machines[1] (typo): os: \"Windows XP Profesional\" is not an operating system",
        "rejected machines[2] (OK): name: \"OK\" is already used by machines[0]",
        "rejected machines[3] (bad): files[0].version: invalid type: boolean `true`",
    ] {
        assert!(err.contains(want), "stderr lacks {want:?}:\n{err}");
    }
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["summary"]["machines"], 1);
    assert_eq!(v["rejects"].as_array().map(Vec::len), Some(3));
    assert_eq!(v["rejects"][0]["field"], "os");
    assert_eq!(status(&v, "ok", "MS06-035"), "missing");

    // Nothing usable, not JSON, too large: errors.
    let none = a.write("none.json", br#"{"machines": [{"name": 1, "os": "x"}]}"#);
    let out = a.hfr(&["fleet", "check", s(&none)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no machine could be read"));
    let garbage = a.write("garbage.json", b"{not json");
    let out = a.hfr(&["fleet", "check", s(&garbage)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("JSON error at line 1"));
    // A 2 GB file (sparse: nothing is written or read).
    let big = a.dir.path().join("big.json");
    std::fs::File::create(&big)
        .and_then(|f| f.set_len(2 * 1024 * 1024 * 1024))
        .expect("sparse file");
    let out = a.hfr(&["fleet", "check", s(&big)]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("2147483648 bytes is larger than an inventory may be"),
        "{err}"
    );
    // A CSV row that cannot be read is rejected alone.
    let csv = a.write(
        "fleet.csv",
        "name,os,service_pack,components,files\nsv1,Windows 2000 Server,SP4,wins,wins.exe=5.0.2195.6870\nsv2,Windows 2000 Server,SP4,wins,wins.exe\n".as_bytes(),
    );
    let out = a.hfr(&["fleet", "check", s(&csv), "--json", "--alert", "MS04-045"]);
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("rejected line 3 (sv2): files[0]"), "{err}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(status(&v, "sv1", "MS04-045"), "missing");
}

/// The cases of the issue, on machines built from the seed pages' facts,
/// against an archive made by importing the seed pages themselves.
#[test]
fn seed_pages_imported_then_checked() {
    let Some(a) = Archive::seeds() else { return };
    let wins_key =
        "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Updates\\Windows 2000\\SP5\\KB870763\\Filelist";
    let inv = serde_json::json!({"machines": [
        {"name": "w2k-wins-ok", "os": "Windows 2000 Server", "service_pack": "SP4", "role": "server",
         "components": ["WINS"], "updates": [], "registry_keys": [],
         "files": [{"name": "wins.exe", "version": "5.0.2195.7005"}]},
        {"name": "w2k-wins-undone", "os": "Windows 2000 Server", "service_pack": "SP4", "role": "server",
         "components": ["WINS"], "updates": [], "registry_keys": [wins_key],
         "files": [{"name": "wins.exe", "version": "5.0.2195.6870"}]},
        {"name": "xp-sp2", "os": "Windows XP Professional", "service_pack": "SP2", "role": "client",
         "components": ["MSMQ"], "updates": []},
        {"name": "ex-sp1", "os": "Windows Server 2003, Enterprise Edition", "service_pack": "SP未適用",
         "role": "server", "products": ["Exchange Server 2003 SP1"], "components": ["SMTP"],
         "updates": [], "files": [{"name": "smtpsvc.dll", "version": "6.0.3790.0"}]},
        {"name": "nt4-msmq", "os": "Windows NT Workstation 4.0", "service_pack": "SP6a",
         "role": "client", "components": ["MSMQ"]}
    ]});
    let path = a.write("seeds.json", inv.to_string().as_bytes());
    let v = a.json(&["fleet", "check", s(&path), "--json"]);
    assert_eq!(status(&v, "w2k-wins-ok", "MS04-045"), "installed");
    assert_eq!(
        status(&v, "w2k-wins-undone", "MS04-045"),
        "registry_only_files_older"
    );
    assert_eq!(status(&v, "xp-sp2", "MS05-017"), "not_applicable");
    assert_eq!(status(&v, "nt4-msmq", "MS05-017"), "no_fix_upgrade");
    assert_eq!(status(&v, "ex-sp1", "MS04-035"), "missing");
    // ... but only for the Windows package: the Exchange one is not needed.
    let wl = a.json(&["fleet", "worklist", s(&path), "--json"]);
    let item = wl["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["alert"] == "MS04-035")
        .expect("MS04-035");
    let packages: Vec<&str> = item["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .filter_map(|p| p["package"].as_str())
        .collect();
    assert_eq!(packages, ["WindowsServer2003-KB885881-x86-jpn.EXE"]);
    // The re-apply list names the machine whose WINS files went back.
    let wins = wl["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["alert"] == "MS04-045")
        .expect("MS04-045");
    assert_eq!(wins["reapply"], serde_json::json!(["w2k-wins-undone"]));
    assert_eq!(wins["machines"], serde_json::json!(["w2k-wins-undone"]));
}

/// An endless inventory on stdin is refused once it passes the limit,
/// without the binary reading (or holding) the rest.
#[test]
fn stdin_stops_at_the_limit() {
    use std::io::Write;
    let a = Archive::demo();
    let mut child = Command::new(env!("CARGO_BIN_EXE_hfr"))
        .arg("--db")
        .arg(a.dir.path().join("archive.sqlite"))
        .args(["fleet", "check", "-", "--format", "json"])
        .env_remove("HFR_DB")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn hfr");
    let mut stdin = child.stdin.take().expect("stdin");
    // 2 GiB offered, 1 MiB at a time; the writer stops at the first
    // refused write (the reader gave up and closed the pipe).
    let writer = std::thread::spawn(move || {
        let chunk = vec![b' '; 1 << 20];
        let mut sent: u64 = 0;
        while sent < 2 << 30 {
            if stdin.write_all(&chunk).is_err() {
                break;
            }
            sent += chunk.len() as u64;
        }
        sent
    });
    let out = child.wait_with_output().expect("hfr ends");
    let sent = writer.join().expect("writer");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("larger than the limit of 536870912 bytes"),
        "{err}"
    );
    // It stopped near the limit, not at the end of the stream.
    assert!(
        sent < 1 << 30,
        "{sent} bytes were written before hfr stopped"
    );
}

/// Alerts imported from Microsoft's monthly data (the CVRF API's JSON) are
/// checked on today's machines: the OS build against each product's fixed
/// build, installed KBs through the supersedence chain of a later month.
#[test]
fn vendor_data_builds_and_kb_chains() {
    let a = Archive {
        dir: tempfile::tempdir().expect("tempdir"),
    };
    let jan_path = manifest_dir().join("tests/fixtures/msrc-2099-jan.json");
    let jan: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&jan_path).expect("fixture")).expect("json");
    // February: a new CVE whose cumulative update KB4100001 contains
    // January's KB4099001 (which contains December's KB4098001).
    let mut feb = jan.clone();
    feb["DocumentTracking"]["Identification"]["ID"]["Value"] = "2099-Feb".into();
    feb["DocumentTracking"]["Identification"]["Alias"][0]["Value"] = "2099-Feb".into();
    feb["DocumentTracking"]["InitialReleaseDate"] = "2099-02-10T08:00:00".into();
    feb["DocumentTracking"]["CurrentReleaseDate"] = "2099-02-10T08:00:00".into();
    feb["DocumentTitle"]["Value"] = "February 2099 Security Updates".into();
    let mut v = jan["Vulnerability"][0].clone();
    v["CVE"] = "CVE-2099-0101".into();
    v["Remediations"][0]["Description"]["Value"] = "4100001".into();
    v["Remediations"][0]["Supercedence"] = "4099001".into();
    v["Remediations"][0]["FixedBuild"] = "10.0.14393.10100".into();
    feb["Vulnerability"] = serde_json::json!([v]);
    let feb_path = a.write("msrc-2099-feb.json", feb.to_string().as_bytes());
    a.ok(&["import", s(&jan_path), s(&feb_path)]);

    let inv = a.write(
        "today.json",
        br#"{"machines": [
            {"name": "w10-new", "os": "Windows 10 Enterprise Version 1607", "arch": "x64", "os_build": "10.0.14393.10100", "updates": []},
            {"name": "w10-old", "os": "Windows 10 Enterprise Version 1607", "arch": "x64", "os_build": "10.0.14393.2000", "updates": []},
            {"name": "w10-kb-old", "os": "Windows 10 Version 1607", "arch": "x64", "os_build": "10.0.14393.2000", "updates": ["KB4099001"]},
            {"name": "w10-1703", "os": "Windows 10 Enterprise Version 1703", "arch": "x64", "os_build": "10.0.15063.2000", "updates": []},
            {"name": "srv-feb", "os": "Windows Server 2016", "updates": ["KB4100001"]},
            {"name": "srv-none", "os": "Windows Server 2016", "updates": []}
        ]}"#,
    );
    let v = a.json(&["fleet", "check", s(&inv), "--json"]);
    assert_eq!(status(&v, "w10-new", "CVE-2099-0001"), "installed");
    assert_eq!(status(&v, "w10-new", "CVE-2099-0101"), "installed");
    assert_eq!(status(&v, "w10-old", "CVE-2099-0001"), "missing");
    // The KB is listed but the build is older: the update did not finish.
    assert_eq!(
        status(&v, "w10-kb-old", "CVE-2099-0001"),
        "registry_only_files_older"
    );
    assert_eq!(status(&v, "w10-1703", "CVE-2099-0001"), "not_applicable");
    // February's update contains January's, so January's CVE is fixed too.
    assert_eq!(status(&v, "srv-feb", "CVE-2099-0101"), "installed");
    assert_eq!(status(&v, "srv-feb", "CVE-2099-0001"), "installed");
    let reasons = v["machines"]
        .as_array()
        .expect("machines")
        .iter()
        .find(|m| m["name"] == "srv-feb")
        .and_then(|m| {
            m["findings"]
                .as_array()?
                .iter()
                .find(|f| f["alert"] == "CVE-2099-0001")
        })
        .map(|f| f["reasons"].to_string())
        .unwrap_or_default();
    assert!(reasons.contains("KB4100001"), "{reasons}");
    assert_eq!(status(&v, "srv-none", "CVE-2099-0001"), "missing");
}
