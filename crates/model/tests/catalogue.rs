//! The product catalogue against real names: the examples the design was
//! written for, every platform string of the demo alerts (legacy HotFix
//! wording), and every FullProductName in MSRC's CVRF documents.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use hfr_model::catalogue::{
    expand, expand_parsed, parse, Arch, Channel, Family, Install, ParsedProduct, Product,
    ServicePack, UpdateLevel, Warning,
};

/// This crate's folder as cargo reports it when running the test (a test
/// binary can outlive the checkout it was built in).
fn manifest_dir() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
}

fn clean(name: &str) -> Product {
    let p = parse(name);
    assert!(p.warnings.is_empty(), "{name}: {:?}", p.warnings);
    p.product
}

fn id(name: &str) -> String {
    clean(name).id()
}

/// What every parsed product must satisfy: its id reads back to it, its
/// display name parses back to it, and it survives JSON.
fn assert_round_trips(p: &Product, source: &str) {
    let id = p.id();
    assert_eq!(
        Product::from_id(&id).as_ref(),
        Ok(p),
        "{source}: id {id} does not read back"
    );
    let shown = p.display_name();
    let again = parse(&shown);
    assert_eq!(
        &again.product, p,
        "{source}: display {shown:?} parses differently"
    );
    let json = serde_json::to_string(p).expect("serialize");
    let back: Product = serde_json::from_str(&json).expect("deserialize");
    assert_eq!(&back, p, "{source}: JSON {json}");
}

// ── The examples of the design ──────────────────────────────────────────

#[test]
fn structured_fields() {
    let p = clean("Windows 10 Version 1607 for x64-based Systems");
    assert_eq!(p.family, Some(Family::Windows));
    assert_eq!(p.name, "Windows 10");
    assert_eq!(p.release.as_deref(), Some("1607"));
    assert_eq!(p.arch, Some(Arch::X64));
    assert_eq!(p.id(), "windows-10/v1607/x64");

    let p = clean("Windows Server 2003, Enterprise Edition x64 SP1");
    assert_eq!(p.name, "Windows Server 2003");
    assert_eq!(p.edition.as_deref(), Some("Enterprise Edition"));
    assert_eq!(
        (p.arch, p.service_pack),
        (Some(Arch::X64), Some(ServicePack::sp(1)))
    );
    assert_eq!(p.id(), "windows-server-2003/enterprise/x64/sp1");
    assert_eq!(
        id("Windows Server 2003 x64 Edition SP1"),
        "windows-server-2003/x64/sp1"
    );
    assert_eq!(
        id("Windows Server 2003, Enterprise x64 Edition"),
        "windows-server-2003/enterprise/x64"
    );

    let ie = clean("Internet Explorer 11 on Windows 7 for x64-based Systems Service Pack 1");
    assert_eq!(ie.name, "Internet Explorer 11");
    assert_eq!((ie.arch, ie.service_pack), (None, None));
    let on = ie.platform.as_deref().expect("a platform");
    assert_eq!(on.name, "Windows 7");
    assert_eq!(
        (on.arch, on.service_pack),
        (Some(Arch::X64), Some(ServicePack::sp(1)))
    );
    assert_eq!(ie.id(), "ie-11@windows-7/x64/sp1");

    let sql = clean("Microsoft SQL Server 2014 Service Pack 2 for x64-based Systems (GDR)");
    assert_eq!(sql.family, Some(Family::SqlServer));
    assert_eq!(sql.name, "SQL Server 2014");
    assert_eq!(sql.update_level, Some(UpdateLevel::Gdr));
    assert_eq!(sql.id(), "sql-server-2014/x64/sp2/gdr");

    let core = clean("Windows Server 2012 R2 (Server Core installation)");
    assert_eq!(core.name, "Windows Server 2012 R2");
    assert_eq!(core.install, Some(Install::ServerCore));
    assert_eq!(core.id(), "windows-server-2012-r2/core");

    let was = clean("Microsoft SharePoint Server 2010 Service Pack 2 on Word Automation Services");
    assert_eq!(
        was.name, "Word Automation Services",
        "the inverted 'on' is put right"
    );
    assert_eq!(
        was.id(),
        "word-automation-services@sharepoint-server-2010/sp2"
    );
    assert_eq!(
        was,
        clean("Word Automation Services on Microsoft SharePoint Server 2010 Service Pack 2")
    );

    let net =
        clean("Microsoft .NET Framework 4.6.2 on Windows 10 Version 1607 for x64-based Systems");
    assert_eq!(
        (net.name.as_str(), net.release.as_deref()),
        (".NET Framework", Some("4.6.2"))
    );
    assert_eq!(net.id(), "dotnet-framework/v4.6.2@windows-10/v1607/x64");

    let ex = clean("Microsoft Exchange Server 2013 Cumulative Update 11");
    assert_eq!(ex.update_level, Some(UpdateLevel::CumulativeUpdate(11)));
    assert_eq!(ex.id(), "exchange-2013/cu11");

    let c2r = clean("Microsoft Office 2016 Click-to-Run (C2R) for 64-bit editions");
    assert_eq!(
        (c2r.channel, c2r.arch),
        (Some(Channel::ClickToRun), Some(Arch::X64))
    );
    let mac = clean("Microsoft Word for Mac 2011");
    assert_eq!(
        (mac.name.as_str(), mac.channel),
        ("Word 2011", Some(Channel::Mac))
    );
    assert_eq!(
        clean("Microsoft Office 2016 for Mac").id(),
        "office-2016/mac"
    );

    // "64-Bit Edition" is Itanium for Windows XP, x64 for Office.
    assert_eq!(clean("Windows XP 64-Bit Edition").arch, Some(Arch::Ia64));
    assert_eq!(
        clean("PowerPoint Viewer 2010 64-bit edition").arch,
        Some(Arch::X64)
    );
}

#[test]
fn legacy_service_packs() {
    assert_eq!(id("Exchange Server 2003 SP未適用"), "exchange-2003/rtm");
    assert_eq!(id("Windows XP SP1a"), "windows-xp/sp1a");
    assert_eq!(
        id("Windows NT Server 4.0 SP3以降"),
        "windows-nt-4.0/server/sp3+"
    );
    assert_eq!(
        id("Windows NT Server 4.0 Terminal Server Edition, SP6"),
        "windows-nt-4.0/terminal-server/sp6"
    );
    assert_eq!(id("Windows XP Service Pack 2"), "windows-xp/sp2");
    assert_eq!(id("Exchange Server 2003 SP1"), "exchange-2003/sp1");
    // Full-width forms from Japanese pages.
    assert_eq!(id("Windows　XP　ＳＰ２"), "windows-xp/sp2");
}

#[test]
fn drift_is_normalised() {
    for (a, b) in [
        (
            "Windows 8.1 for 32-bit systems",
            "Windows 8.1 for 32-bit Systems",
        ),
        (
            "Windows Server 2016  (Server Core installation)",
            "Windows Server 2016 (Server Core Installation)",
        ),
        (
            "Microsoft SQL Server 2012 for 32-bit Systems Service Pack 3  (GDR)",
            "Microsoft SQL Server 2012 for 32-bit Systems Service Pack 3 (GDR)",
        ),
        (
            "Excel Services on Microsoft Sharepoint Server 2010 Service Pack 2",
            "Excel Services on Microsoft SharePoint Server 2010 Service Pack 2",
        ),
        (
            "Micorosft Word 2016 (32-bit edition)",
            "Microsoft Word 2016 (32-bit edition)",
        ),
        (
            "Word 2016 (32-bit edition)",
            "Microsoft Word 2016 (32-bit edition)",
        ),
    ] {
        assert_eq!(clean(a), clean(b), "{a} / {b}");
    }
    let p = parse("Windows Server 2016  (Server Core installation)");
    assert_eq!(p.display, "Windows Server 2016 (Server Core installation)");

    let bad = parse("Excel Services on Microsoft Sharepoint Server 2010 Service Pack 2 Bad");
    assert_eq!(bad.warnings, [Warning::Junk("Bad".into())]);
    assert_eq!(
        bad.product,
        clean("Excel Services on Microsoft SharePoint Server 2010 Service Pack 2")
    );
}

#[test]
fn unknown_names_are_kept_verbatim() {
    for name in [
        "Contoso Widget 2.0",
        "Windows 7 Embedded Standard",
        "Internet Explorer 11 on Windows 95",
        "",
        "   ",
        "(((",
        "on on on",
        "+",
        "Service Pack 2",
        "SP1/SP2",
        "Windows XP SP1 SP2",
        "Word 2016 for Mac for Mac",
        "C++ Runtime",
        "\u{0}\u{FEFF}日本語",
    ] {
        let p = parse(name);
        assert!(!p.product.is_known(), "{name:?} read as {:?}", p.product);
        assert_eq!(p.product.name, p.display, "{name:?}");
        assert!(
            matches!(p.warnings.last(), Some(Warning::Unknown(_))),
            "{name:?}: {:?}",
            p.warnings
        );
        assert_round_trips(&p.product, name);
    }
    let list = parse("Windows XP SP1/SP1a/SP2");
    assert_eq!(list.warnings, [Warning::List(3)]);
    assert_eq!(list.product.name, "Windows XP SP1/SP1a/SP2");
}

#[test]
fn expanding_legacy_lists() {
    let ids = |t: &str| expand(t).iter().map(Product::id).collect::<Vec<_>>();
    assert_eq!(
        ids("Windows XP SP1/SP1a/SP2"),
        ["windows-xp/sp1", "windows-xp/sp1a", "windows-xp/sp2"]
    );
    assert_eq!(
        ids("Windows Server 2003 SP未適用/SP1"),
        ["windows-server-2003/rtm", "windows-server-2003/sp1"]
    );
    assert_eq!(
        ids("Windows 2000 SP3/SP4"),
        ["windows-2000/sp3", "windows-2000/sp4"]
    );
    assert_eq!(
        ids("Windows NT Server 4.0 SP6a/Terminal Server Edition SP6"),
        [
            "windows-nt-4.0/server/sp6a",
            "windows-nt-4.0/terminal-server/sp6"
        ]
    );
    assert_eq!(
        ids("Windows NT 4.0 SP6a/2000 SP2/XP SP未適用"),
        ["windows-nt-4.0/sp6a", "windows-2000/sp2", "windows-xp/rtm"]
    );
    assert_eq!(
        ids("Windows 2000 Server SP4/Windows Server 2003+ISA Server 2000 SP1/SP2"),
        [
            "isa-2000/sp1@windows-2000/server/sp4",
            "isa-2000/sp1@windows-server-2003",
            "isa-2000/sp2@windows-2000/server/sp4",
            "isa-2000/sp2@windows-server-2003",
        ]
    );
    assert_eq!(
        ids("Microsoft .NET Framework 4.6/4.6.1 on Windows RT 8.1"),
        [
            "dotnet-framework/v4.6@windows-8.1/rt",
            "dotnet-framework/v4.6.1@windows-8.1/rt"
        ]
    );
    // A single name is a list of one.
    assert_eq!(ids("Windows Server 2003"), ["windows-server-2003"]);

    let items = expand_parsed(
        "Small Business Server 2000/2003 Premium Edition(SBS 2000はWindows 2000 SP4の導入が前提)",
    );
    let got: Vec<_> = items.iter().map(|i| i.product.id()).collect();
    assert_eq!(got, ["sbs-2000", "sbs-2003/premium"]);
    assert_eq!(items[0].notes, ["SBS 2000はWindows 2000 SP4の導入が前提"]);
    assert!(items.iter().all(|i| i.warnings.is_empty()));

    // An unknown part stays, verbatim, beside the known ones.
    let items = expand_parsed("Windows XP SP2/Contoso OS 1.0");
    assert_eq!(items.len(), 2);
    assert_eq!(items[1].product.name, "Contoso OS 1.0");
    assert!(matches!(items[1].warnings[..], [Warning::Unknown(_)]));
}

#[test]
fn coarser_keys_cover_finer_ones() {
    let covers = |a: &str, b: &str| clean(a).covers(&clean(b));
    assert!(covers(
        "Windows Server 2003",
        "Windows Server 2003, Enterprise Edition x64 SP1"
    ));
    assert!(covers(
        "Windows 10",
        "Windows 10 Version 1607 for x64-based Systems"
    ));
    assert!(covers(
        "Windows 10 for x64-based Systems",
        "Windows 10 Version 1607 for x64-based Systems"
    ));
    assert!(!covers(
        "Windows 10 for x64-based Systems",
        "Windows 10 Version 1607 for 32-bit Systems"
    ));
    // Edition-less covers every edition; editions nest where the table says.
    assert!(covers("Windows 2000", "Windows 2000 Server"));
    assert!(covers(
        "Windows 2000 Server SP4",
        "Windows 2000 Advanced Server SP4"
    ));
    assert!(!covers("Windows 2000 Server", "Windows 2000 Professional"));
    assert!(!covers(
        "Windows 2000 Advanced Server",
        "Windows 2000 Server"
    ));
    assert!(covers(
        "Windows NT Server 4.0 SP6a",
        "Windows NT Server 4.0, Enterprise Edition SP6a"
    ));
    assert!(!covers(
        "Windows NT Server 4.0",
        "Windows NT Server 4.0 Terminal Server Edition"
    ));
    assert!(covers(
        "Lync 2010 Attendee",
        "Lync 2010 Attendee (user level install)"
    ));
    // R2 takes Windows Server 2003's updates.
    assert!(covers(
        "Windows Server 2003 SP1",
        "Windows Server 2003 R2, Enterprise Edition SP1"
    ));
    assert!(!covers("Windows Server 2003 R2", "Windows Server 2003"));
    // Service packs are exact when both sides state them; "以降" is a minimum.
    assert!(!covers("Windows XP SP1", "Windows XP SP1a"));
    assert!(!covers("Windows XP SP1", "Windows XP"));
    assert!(covers(
        "Windows NT Server 4.0 SP3以降",
        "Windows NT Server 4.0 SP6a"
    ));
    assert!(!covers(
        "Windows NT Server 4.0 SP3以降",
        "Windows NT Server 4.0 SP2"
    ));
    assert!(covers(
        "Windows Server 2003 SP未適用",
        "Windows Server 2003 RTM"
    ));
    assert!(!covers(
        "Windows Server 2003 SP未適用",
        "Windows Server 2003 SP1"
    ));
    // Install option and channel.
    assert!(covers(
        "Windows Server 2012 R2",
        "Windows Server 2012 R2 (Server Core installation)"
    ));
    assert!(!covers(
        "Windows Server 2012 R2 (Server Core installation)",
        "Windows Server 2012 R2"
    ));
    assert!(covers(
        "Microsoft Office 2016 (64-bit edition)",
        "Microsoft Office 2016 Click-to-Run (C2R) for 64-bit editions"
    ));
    // Components: the platform is compared like any other key.
    assert!(covers(
        "Internet Explorer 11",
        "Internet Explorer 11 on Windows 7 for x64-based Systems Service Pack 1"
    ));
    assert!(covers(
        "Internet Explorer 11 on Windows 7",
        "Internet Explorer 11 on Windows 7 for x64-based Systems Service Pack 1"
    ));
    assert!(!covers(
        "Windows 7",
        "Internet Explorer 11 on Windows 7 for x64-based Systems Service Pack 1"
    ));
    assert!(!covers(
        "Internet Explorer 11 on Windows 7",
        "Internet Explorer 11"
    ));
    // Listed releases cover each of them.
    assert!(covers(
        "Microsoft .NET Framework 4.6/4.6.1/4.6.2/4.7 on Windows 8.1 for x64-based systems",
        "Microsoft .NET Framework 4.6.1 on Windows 8.1 for x64-based systems"
    ));
    assert!(!covers(
        "Microsoft .NET Framework 4.6/4.6.1 on Windows 8.1 for x64-based systems",
        "Microsoft .NET Framework 4.6.2 on Windows 8.1 for x64-based systems"
    ));
    // The generic "Windows" of Silverlight's names covers every Windows.
    assert!(covers(
        "Microsoft Silverlight 5 when installed on Microsoft Windows (x64-based)",
        "Silverlight 5 on Windows 7 for x64-based Systems Service Pack 1"
    ));
    // Unknown names cover only themselves.
    let unknown = |s: &str| parse(s).product;
    assert!(unknown("Contoso Widget").covers(&unknown("Contoso Widget")));
    assert!(!unknown("Contoso Widget").covers(&unknown("Contoso Widget Pro")));
    assert!(!unknown("Windows 7 Embedded").covers(&clean("Windows 7")));
    assert!(!clean("Windows 7").covers(&unknown("Windows 7 Embedded")));
}

#[test]
fn overlaps_allows_what_the_inventory_does_not_say() {
    let over = |a: &str, b: &str| clean(a).overlaps(&clean(b));
    // A machine whose service pack was not collected might be affected.
    assert!(over("Windows XP SP2", "Windows XP Professional"));
    assert!(!clean("Windows XP SP2").covers(&clean("Windows XP Professional")));
    assert!(!over("Windows XP SP2", "Windows XP Professional SP1"));
    assert!(over("Windows NT Server 4.0 SP3以降", "Windows NT 4.0 SP6a"));
    assert!(!over(
        "Windows 10 for 32-bit Systems",
        "Windows 10 Version 1607 for x64-based Systems"
    ));
    assert!(over(
        "Windows Server 2003 R2",
        "Windows Server 2003 Enterprise Edition"
    ));
    assert!(!over("Windows 2000 Server", "Windows 2000 Professional"));
}

#[test]
fn ids_are_read_strictly() {
    for bad in [
        "",
        "windows-2001",
        "windows-xp/sp1/sp2",
        "windows-xp/x64/x86",
        "windows-xp/bogus",
        "windows-xp/SP1",
        "~%zz",
        "ie-11@",
        "windows-xp//sp1",
    ] {
        assert!(Product::from_id(bad).is_err(), "{bad:?} was accepted");
    }
    // Qualifiers in another order still read; the id puts them back in order.
    let p = Product::from_id("windows-server-2003/sp1/x64/enterprise").expect("reads");
    assert_eq!(p.id(), "windows-server-2003/enterprise/x64/sp1");
    // A hand-made key with free text still round-trips.
    let mut odd = Product::named("Contoso/Widget @2 ~ 100%");
    odd.edition = Some("Gold_Edition".into());
    odd.release = Some("v2+".into());
    odd.platform = Some(Box::new(clean("Windows 7")));
    assert_eq!(Product::from_id(&odd.id()), Ok(odd.clone()));
    let json = serde_json::to_value(&odd).expect("json");
    assert_eq!(json["platform"]["name"], "Windows 7");
}

#[test]
fn json_shape() {
    let p = clean("Internet Explorer 11 on Windows 7 for x64-based Systems Service Pack 1");
    let v = serde_json::to_value(&p).expect("json");
    assert_eq!(v["family"], "browser");
    assert_eq!(v["platform"]["arch"], "x64");
    assert_eq!(v["platform"]["service_pack"], "sp1");
    assert_eq!(v["platform"]["install"], serde_json::Value::Null);
    let core = serde_json::to_value(clean("Windows Server 2016 (Server Core installation)"))
        .expect("json");
    assert_eq!(core["install"], "server_core");
    let schema = serde_json::to_value(schemars::schema_for!(Product)).expect("schema");
    assert!(schema.to_string().contains("ServicePack"));
}

// ── The demo alerts: legacy HotFix wording ──────────────────────────────

/// Every product or platform string of the demo alerts, with where it was.
fn demo_names() -> Vec<(String, String)> {
    let dir = manifest_dir().join("../../demo/alerts");
    let mut out = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no demo alerts in {}", dir.display());
    for f in files {
        let text = std::fs::read_to_string(&f).expect("read");
        let a: hfr_model::Alert = serde_json::from_str(&text).expect("an alert");
        let mut add = |field: &str, s: Option<&str>| {
            if let Some(s) = s {
                out.push((format!("{} {field}", a.id), s.to_string()));
            }
        };
        for x in &a.affected {
            add("affected.software", Some(&x.software));
            add("affected.platforms", Some(&x.platforms));
        }
        for x in &a.reboot {
            add("reboot.product", x.product.as_deref());
        }
        for x in &a.downloads {
            add("downloads.platform", Some(&x.platform));
        }
        for x in &a.packages {
            add("packages.platform", x.platform.as_deref());
        }
        for x in &a.lab_tests {
            add("lab_tests.platform", Some(&x.platform));
        }
        for x in &a.verification {
            add("verification.platforms", Some(&x.platforms));
        }
        for x in &a.rollout {
            add("rollout.platform", x.platform.as_deref());
        }
        for x in &a.tool_display {
            add("tool_display.platform", x.platform.as_deref());
        }
    }
    out
}

#[test]
fn every_demo_alert_name_expands() {
    let names = demo_names();
    assert!(names.len() > 50, "{} names", names.len());
    for (at, name) in &names {
        let items = expand_parsed(name);
        assert!(!items.is_empty(), "{at}: {name}");
        for ParsedProduct {
            product, warnings, ..
        } in &items
        {
            assert!(warnings.is_empty(), "{at}: {name}: {warnings:?}");
            assert!(product.is_known(), "{at}: {name}");
            assert_round_trips(product, name);
        }
    }
    let one = |t: &str| {
        let v = expand(t);
        assert_eq!(v.len(), 1, "{t}: {v:?}");
        v[0].id()
    };
    assert_eq!(
        one("Windows 2000 Advanced Server SP4+ISA Server 2000 Standard SP1"),
        "isa-2000/standard/sp1@windows-2000/advanced-server/sp4"
    );
    assert_eq!(
        one("Windows Server 2003+IIS 6.0"),
        "iis-6.0@windows-server-2003"
    );
    assert_eq!(
        one("Windows Server 2003, Enterprise Edition SP未適用"),
        "windows-server-2003/enterprise/rtm"
    );
    assert_eq!(
        one("Windows Server 2003 R2, Enterprise Edition"),
        "windows-server-2003-r2/enterprise"
    );
    assert_eq!(
        one("Windows NT Server 4.0, Enterprise Edition SP6a"),
        "windows-nt-4.0/server-enterprise/sp6a"
    );
    let proxy: Vec<String> = expand(
        "Windows NT Server 4.0 SP3以降/Windows 2000 Server(要Proxy Server 2.0 Install Wizard for Windows 2000)+Proxy Server 2.0 SP1",
    )
    .iter()
    .map(Product::id)
    .collect();
    assert_eq!(
        proxy,
        [
            "proxy-server-2.0/sp1@windows-nt-4.0/server/sp3+",
            "proxy-server-2.0/sp1@windows-2000/server",
        ]
    );

    // The lab tested what the alert names: each lab platform falls under
    // one of the alert's platforms (the fleet check's question).
    let alert_platforms = expand("Windows Server 2003 SP未適用/SP1");
    for lab in [
        "Windows Server 2003, Enterprise Edition SP1",
        "Windows Server 2003, Standard Edition SP未適用",
    ] {
        let machine = clean(lab);
        assert!(alert_platforms.iter().any(|a| a.covers(&machine)), "{lab}");
    }
    assert!(!alert_platforms
        .iter()
        .any(|a| a.covers(&clean("Windows Server 2003 SP2"))));
}

// ── MSRC CVRF: every FullProductName ────────────────────────────────────

/// `shared/data/msrc-cvrf` beside the workspace; absent: a failure under CI,
/// a notice elsewhere.
fn cvrf_dir() -> Option<PathBuf> {
    let dir = manifest_dir().join("../../../shared/data/msrc-cvrf");
    if dir.is_dir() {
        return Some(dir);
    }
    let msg = format!(
        "the MSRC CVRF data set is missing: expected it in {}",
        dir.display()
    );
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{msg}");
    }
    eprintln!("notice: {msg}; skipping this test");
    None
}

fn xml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("read the data set")
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            xml_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "xml") {
            out.push(p);
        }
    }
}

/// Distinct FullProductName texts of all documents.
fn cvrf_names(dir: &Path) -> BTreeSet<String> {
    let mut files = Vec::new();
    xml_files(dir, &mut files);
    assert!(files.len() >= 20, "{} files", files.len());
    let mut names = BTreeSet::new();
    for f in files {
        let text = std::fs::read_to_string(&f).expect("read");
        let text = text.trim_start_matches('\u{FEFF}');
        let doc =
            roxmltree::Document::parse(text).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        for n in doc
            .descendants()
            .filter(|n| n.tag_name().name() == "FullProductName")
        {
            names.insert(n.text().unwrap_or_default().to_string());
        }
    }
    names
}

/// The base names of a product and of its platforms.
fn bases(p: &Product, out: &mut BTreeSet<String>) {
    out.insert(p.name.clone());
    if let Some(q) = &p.platform {
        bases(q, out);
    }
}

#[test]
fn every_msrc_product_name_parses() {
    let Some(dir) = cvrf_dir() else { return };
    let names = cvrf_names(&dir);
    assert_eq!(names.len(), 451, "distinct FullProductName values");

    let mut base_names = BTreeSet::new();
    let mut top_bases = BTreeSet::new();
    let mut with_warnings = Vec::new();
    let mut ids: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for name in &names {
        let p = parse(name);
        assert!(p.product.is_known(), "{name}");
        if !p.warnings.is_empty() {
            // The only warnings are MSRC's own junk markers.
            assert_eq!(p.warnings, [Warning::Junk("Bad".into())], "{name}");
            with_warnings.push(name.as_str());
        }
        assert_round_trips(&p.product, name);
        bases(&p.product, &mut base_names);
        top_bases.insert(p.product.name.clone());
        ids.entry(p.product.id()).or_default().push(name);
        // Listing a name's releases gives products it covers.
        for item in expand(name) {
            assert!(p.product.covers(&item), "{name}: {item:?}");
        }
    }
    assert_eq!(
        with_warnings,
        [
            "Excel Services on Microsoft SharePoint Server 2007 Service Pack 3 (64-bit edition) Bad",
            "Excel Services on Microsoft Sharepoint Server 2010 Service Pack 2 Bad",
        ]
    );
    // Drift collapses: the junk names and the inverted "on" names land on
    // the same key as their clean twins.
    let merged: Vec<_> = ids.values().filter(|v| v.len() > 1).collect();
    assert_eq!(merged.len(), 4, "{merged:#?}");
    assert!(merged.iter().all(|v| v.len() == 2), "{merged:#?}");
    assert_eq!(ids.len(), 447);
    assert_eq!(
        top_bases.len(),
        106,
        "base products named first: {top_bases:#?}"
    );
    assert_eq!(
        base_names.len(),
        108,
        "base products incl. platforms: {base_names:#?}"
    );

    // Spot checks.
    let spot = |name: &str, want: &str| {
        assert!(names.contains(name), "not in the data: {name}");
        assert_eq!(clean(name).id(), want, "{name}");
    };
    spot(
        "Windows 10 Version 1607 for x64-based Systems",
        "windows-10/v1607/x64",
    );
    spot(
        "Internet Explorer 11 on Windows 7 for x64-based Systems Service Pack 1",
        "ie-11@windows-7/x64/sp1",
    );
    spot(
        "Microsoft SQL Server 2014 Service Pack 2 for x64-based Systems (GDR)",
        "sql-server-2014/x64/sp2/gdr",
    );
    spot(
        "Microsoft SQL Server 2012 for 32-bit Systems Service Pack 3  (GDR)",
        "sql-server-2012/x86/sp3/gdr",
    );
    spot(
        "Windows Server 2012 R2 (Server Core installation)",
        "windows-server-2012-r2/core",
    );
    spot(
        "Microsoft SharePoint Server 2010 Service Pack 2 on Word Automation Services",
        "word-automation-services@sharepoint-server-2010/sp2",
    );
    spot(
        "Windows Defender on Windows Server, version 1709  (Server Core Installation)",
        "windows-defender@windows-server/v1709/core",
    );
    spot(
        "Windows Vista x64 Edition Service Pack 2",
        "windows-vista/x64/sp2",
    );
    spot(
        "Windows Server 2008 for Itanium-Based Systems Service Pack 2",
        "windows-server-2008/ia64/sp2",
    );
    spot(
        "Microsoft .NET Framework 4.6/4.6.1/4.6.2/4.7 on Windows RT 8.1",
        "dotnet-framework/v4.6+4.6.1+4.6.2+4.7@windows-8.1/rt",
    );
    spot(
        "Microsoft Silverlight 5 Developer Runtime when installed on Apple Mac OS (Intel-based)",
        "silverlight-5/developer-runtime@mac-os/intel",
    );
    spot(
        "Microsoft Excel  2016 Click-to-Run (C2R) for 32-bit editions",
        "excel-2016/x86/c2r",
    );
    spot(
        "Microsoft Lync Basic 2013 Service Pack 1 (64-bit)",
        "lync-2013/basic/x64/sp1",
    );
    spot(
        "Microsoft Lync 2010 Attendee (admin level install)",
        "lync-2010/attendee-admin",
    );
    spot("Mono Framework Version 4.8.1.0", "mono/v4.8.1.0");
    spot(
        "Microsoft Excel Viewer 2007 Service Pack 3",
        "excel-viewer/v2007/sp3",
    );
    spot(
        "Microsoft Exchange Server 2016 Cumulative Update 7",
        "exchange-2016/cu7",
    );
    spot("Microsoft Outlook for Mac 2011", "outlook-2011/mac");
    spot(
        "Microsoft SharePoint Enterprise Server 2013 Service Pack 1",
        "sharepoint-server-2013/enterprise/sp1",
    );
    spot("Microsoft Surface Pro 4", "surface-pro-4");
    spot(
        "Adobe Flash Player on Windows 8.1 for 32-bit systems",
        "adobe-flash-player@windows-8.1/x86",
    );
}
