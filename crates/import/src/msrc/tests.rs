//! The mapping on small hand-written documents; the tests over Microsoft's
//! real documents are in `tests/msrc_import.rs`.

use super::*;

fn doc(vulns: &str) -> CvrfDocument {
    let xml = format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<cvrf:cvrfdoc xmlns:cvrf="http://www.icasi.org/CVRF/schema/cvrf/1.1"
  xmlns:prod="http://www.icasi.org/CVRF/schema/prod/1.1"
  xmlns:vuln="http://www.icasi.org/CVRF/schema/vuln/1.1">
  <cvrf:DocumentTitle>January 2099 Security Updates</cvrf:DocumentTitle>
  <cvrf:DocumentTracking>
    <cvrf:Identification><cvrf:ID>2099-Jan</cvrf:ID></cvrf:Identification>
    <cvrf:RevisionHistory><cvrf:Revision><cvrf:Number>2</cvrf:Number><cvrf:Date>2099-01-20T08:00:00Z</cvrf:Date><cvrf:Description>January 2099 Security Updates</cvrf:Description></cvrf:Revision></cvrf:RevisionHistory>
    <cvrf:InitialReleaseDate>2099-01-12T08:00:00Z</cvrf:InitialReleaseDate>
    <cvrf:CurrentReleaseDate>2099-01-20T08:00:00Z</cvrf:CurrentReleaseDate>
  </cvrf:DocumentTracking>
  <cvrf:DocumentNotes><cvrf:Note Title="Release Notes" Type="Details">&lt;p&gt;Two fixes.&lt;/p&gt;</cvrf:Note></cvrf:DocumentNotes>
  <prod:ProductTree>
    <prod:Branch Type="Vendor" Name="Example">
      <prod:Branch Type="Product Family" Name="Servers">
        <prod:FullProductName ProductID="11">Example Server 1.0</prod:FullProductName>
        <prod:FullProductName ProductID="12">Example Server 2.0</prod:FullProductName>
      </prod:Branch>
    </prod:Branch>
    <prod:FullProductName ProductID="11">Example Server 1.0</prod:FullProductName>
    <prod:FullProductName ProductID="12">Example Server 2.0</prod:FullProductName>
  </prod:ProductTree>
  {vulns}
</cvrf:cvrfdoc>"#
    );
    cvrf::parse(xml.as_bytes(), "t.xml").unwrap_or_else(|e| panic!("{e}"))
}

fn threat(kind: &str, text: &str, pid: &str) -> String {
    format!(
        r#"<vuln:Threat Type="{kind}"><vuln:Description>{text}</vuln:Description><vuln:ProductID>{pid}</vuln:ProductID></vuln:Threat>"#
    )
}

fn vuln(id: &str, severities: [&str; 2], exploit: &str, extra: &str) -> String {
    format!(
        r#"<vuln:Vulnerability Ordinal="1">
    <vuln:Title>Example Flaw</vuln:Title>
    <vuln:Notes>
      <vuln:Note Title="Description" Type="Description" Ordinal="0">&lt;p&gt;A flaw.&lt;/p&gt;&lt;p&gt;See &lt;a href="https://example.invalid/a"&gt;this&lt;/a&gt;.&lt;/p&gt;</vuln:Note>
      <vuln:Note Title="Example Server" Type="Tag" Ordinal="20">Example Server</vuln:Note>
      <vuln:Note Title="FAQ" Type="FAQ" Ordinal="10">&lt;p&gt;&lt;strong&gt;Q?&lt;/strong&gt;&lt;/p&gt;&lt;p&gt;A.&lt;/p&gt;</vuln:Note>
    </vuln:Notes>
    <vuln:CVE>{id}</vuln:CVE>
    <vuln:ProductStatuses><vuln:Status Type="Known Affected"><vuln:ProductID>11</vuln:ProductID><vuln:ProductID>12</vuln:ProductID></vuln:Status></vuln:ProductStatuses>
    <vuln:Threats>
      {}{}{}{}
      <vuln:Threat Type="Exploit Status"><vuln:Description>{exploit}</vuln:Description></vuln:Threat>
    </vuln:Threats>
    <vuln:CVSSScoreSets><vuln:ScoreSet><vuln:BaseScore>8.1</vuln:BaseScore><vuln:TemporalScore>7.3</vuln:TemporalScore><vuln:Vector>CVSS:3.0/AV:N</vuln:Vector><vuln:ProductID>11</vuln:ProductID></vuln:ScoreSet></vuln:CVSSScoreSets>
    <vuln:Remediations>
      <vuln:Remediation Type="Vendor Fix"><vuln:Description>9900001</vuln:Description><vuln:URL>https://catalog.example.invalid/?q=KB9900001</vuln:URL><vuln:Supercedence>MS98-001, 9800001; 9800002</vuln:Supercedence><vuln:ProductID>11</vuln:ProductID><vuln:RestartRequired>Yes</vuln:RestartRequired><vuln:SubType>Security Update</vuln:SubType></vuln:Remediation>
      <vuln:Remediation Type="Vendor Fix"><vuln:Description>9900002</vuln:Description><vuln:ProductID>12</vuln:ProductID><vuln:RestartRequired>Maybe</vuln:RestartRequired><vuln:FixedBuild>2.0.1</vuln:FixedBuild></vuln:Remediation>
      <vuln:Remediation Type="Workaround"><vuln:Description>&lt;p&gt;Turn it off.&lt;/p&gt;</vuln:Description></vuln:Remediation>
      {extra}
    </vuln:Remediations>
    <vuln:Acknowledgments><vuln:Acknowledgment><vuln:Name>A. Finder&lt;br&gt;Example Lab</vuln:Name></vuln:Acknowledgment><vuln:Acknowledgment><vuln:Name /><vuln:URL /></vuln:Acknowledgment></vuln:Acknowledgments>
    <vuln:RevisionHistory>
      <vuln:Revision><cvrf:Number>1.0</cvrf:Number><cvrf:Date>2099-01-12T08:00:00Z</cvrf:Date><cvrf:Description>&lt;p&gt;Information published.&lt;/p&gt;</cvrf:Description></vuln:Revision>
      <vuln:Revision><cvrf:Number>1.1</cvrf:Number><cvrf:Date>2099-01-20T08:00:00Z</cvrf:Date><cvrf:Description>Fixed a typo.</cvrf:Description></vuln:Revision>
    </vuln:RevisionHistory>
  </vuln:Vulnerability>"#,
        threat("Severity", severities[0], "11"),
        threat("Severity", severities[1], "12"),
        threat("Impact", "Remote Code Execution", "11"),
        threat("Impact", "Security Feature Bypass", "12"),
    )
}

const QUIET: &str = "Publicly Disclosed:No;Exploited:No;Latest Software Release:Exploitation Less Likely;Older Software Release:Exploitation Less Likely";

#[test]
fn one_vulnerability_becomes_one_alert_with_every_fact() {
    let d = doc(&vuln("CVE-2099-0001", ["Important", "Critical"], QUIET, ""));
    let m = from_cvrf(&d);
    assert!(m.warnings.is_empty(), "{:?}", m.warnings);
    let [a] = m.alerts.as_slice() else {
        panic!("{:?}", m.alerts)
    };
    assert_eq!(a.id, "CVE-2099-0001");
    assert_eq!(a.release.as_deref(), Some("2099-Jan"));
    assert_eq!(a.title, "Example Flaw");
    assert_eq!(a.severity, Some(Severity::Critical));
    assert_eq!(a.impacts, Some(vec![Impact::CodeExecution]));
    assert_eq!(a.kbs, ["9900001", "9900002"]);
    assert_eq!(
        a.supersedes
            .iter()
            .map(|s| s.id.as_str())
            .collect::<Vec<_>>(),
        ["MS98-001"]
    );
    assert_eq!(
        a.products[0].remediations[0].supersedes,
        ["MS98-001", "KB9800001", "KB9800002"]
    );
    assert_eq!(a.references.len(), 1);
    assert_eq!(a.references[0].label, "KB9900001");
    assert_eq!(
        a.summary.as_deref(),
        Some("A flaw.\n\nSee this (https://example.invalid/a).")
    );
    assert_eq!(a.tags, ["Example Server"]);
    assert_eq!(
        a.notes,
        [Note {
            title: "FAQ".into(),
            text: "Q?\n\nA.".into()
        }]
    );
    assert_eq!(
        a.workarounds,
        [Workaround {
            title: Some("Workaround".into()),
            text: "Turn it off.".into()
        }]
    );
    assert_eq!(a.acknowledgments.len(), 1);
    assert_eq!(a.acknowledgments[0].names, ["A. Finder\nExample Lab"]);
    assert_eq!(a.vendor_revisions.len(), 2);
    assert_eq!(a.vendor_revisions[0].description, "Information published.");
    assert_eq!(
        a.registered.map(|d| d.to_string()).as_deref(),
        Some("2099-01-12")
    );
    assert_eq!(
        a.updated.map(|d| d.to_string()).as_deref(),
        Some("2099-01-20")
    );
    assert_eq!(a.exploit_code, Some(false));
    assert_eq!(a.action, Some(hfr_model::Action::ApplySoon));
    assert_eq!(a.action_rule, Some(ActionRule::CriticalOrImportant));
    assert_eq!(a.vulnerabilities[0].cve.as_deref(), Some("CVE-2099-0001"));

    let [p11, p12] = a.products.as_slice() else {
        panic!("{:?}", a.products)
    };
    assert_eq!(
        (p11.id.as_str(), p11.name.as_str()),
        ("11", "Example Server 1.0")
    );
    assert_eq!(p11.family.as_deref(), Some("Servers"));
    assert_eq!(p11.severity, Some(Severity::Important));
    assert_eq!(p11.vendor_impact.as_deref(), Some("Remote Code Execution"));
    assert_eq!(p12.impact, None);
    assert_eq!(
        p12.vendor_impact.as_deref(),
        Some("Security Feature Bypass")
    );
    let cvss = p11.cvss.as_ref().expect("cvss");
    assert_eq!((cvss.base, cvss.temporal), (Some(8.1), Some(7.3)));
    assert_eq!(p12.cvss, None);
    let r = &p11.remediations[0];
    assert_eq!(r.kind, RemediationKind::VendorFix);
    assert_eq!(r.kb.as_deref(), Some("9900001"));
    assert_eq!(r.description, None);
    assert_eq!(
        r.supersedence.as_deref(),
        Some("MS98-001, 9800001; 9800002")
    );
    assert_eq!(r.restart_required, Some(RestartRequired::Yes));
    assert_eq!(r.sub_type.as_deref(), Some("Security Update"));
    assert_eq!(p12.remediations[0].fixed_build.as_deref(), Some("2.0.1"));
    // Updates disagree on restart: one row per product.
    let rows: Vec<_> = a
        .reboot
        .iter()
        .map(|r| (r.product.as_deref(), r.required, r.note.as_deref()))
        .collect();
    assert_eq!(
        rows,
        [
            (
                Some("Example Server 1.0"),
                hfr_model::RebootRequired::Yes,
                None
            ),
            (
                Some("Example Server 2.0"),
                hfr_model::RebootRequired::Conditional,
                Some("Maybe")
            ),
        ]
    );

    let r = &m.release;
    assert_eq!(
        (r.id.as_str(), r.revision.as_deref()),
        ("2099-Jan", Some("2"))
    );
    assert_eq!(
        r.notes,
        [Note {
            title: "Release Notes".into(),
            text: "Two fixes.".into()
        }]
    );
    assert_eq!(r.alerts.len(), 1);
    assert_eq!(r.alerts[0].severity, Some(Severity::Critical));
    assert_eq!(r.alerts[0].tags, ["Example Server"]);
}

#[test]
fn the_action_rule_reads_the_exploit_statement() {
    let cases = [
        (["Important", "Low"], "Publicly Disclosed:No;Exploited:Yes;Latest Software Release:Exploitation Detected", ActionRule::Exploited, Some(true)),
        (["Critical", "Low"], "Publicly Disclosed:No;Exploited:No;Latest Software Release:N/A;Older Software Release:Exploitation Detected", ActionRule::Exploited, Some(true)),
        (["Critical", "Low"], "Publicly Disclosed:No;Exploited:No;Latest Software Release:Exploitation More Likely", ActionRule::CriticalExploitLikely, Some(false)),
        (["Critical", "Low"], "Publicly Disclosed:Yes;Exploited:No", ActionRule::CriticalExploitLikely, None),
        (["Moderate", "Low"], "Publicly Disclosed:Yes;Exploited:No", ActionRule::PubliclyDisclosed, None),
        (["Important", "Low"], "Publicly Disclosed:No;Exploited:No;Latest Software Release:Exploitation More Likely", ActionRule::CriticalOrImportant, Some(false)),
        (["Moderate", "Low"], QUIET, ActionRule::ModerateOrLow, Some(false)),
        (["None", ""], QUIET, ActionRule::NoSeverity, Some(false)),
    ];
    for (sev, exploit, rule, code) in cases {
        let m = from_cvrf(&doc(&vuln("CVE-2099-0002", sev, exploit, "")));
        let a = &m.alerts[0];
        assert_eq!(a.action_rule, Some(rule), "{sev:?} {exploit}");
        assert_eq!(a.action, rule.action(), "{sev:?} {exploit}");
        assert_eq!(a.exploit_code, code, "{sev:?} {exploit}");
        assert_eq!(
            a.exploit_status.as_ref().map(|e| e.text.as_str()),
            Some(exploit)
        );
    }
    let none = from_cvrf(&doc(&vuln("ADV990001", ["None", ""], QUIET, "")));
    let a = &none.alerts[0];
    assert_eq!((a.severity, a.action), (None, None));
    assert_eq!(a.products[0].vendor_severity.as_deref(), Some("None"));
    assert_eq!(a.products[1].vendor_severity, None);
    assert_eq!(a.vulnerabilities[0].cve, None);
    assert!(none.warnings.is_empty(), "{:?}", none.warnings);
}

#[test]
fn oddities_are_warnings_not_losses() {
    let extra = r#"<vuln:Remediation Type="Vendor Fix"><vuln:Description>9900003</vuln:Description><vuln:ProductID>13</vuln:ProductID><vuln:RestartRequired>Sometimes</vuln:RestartRequired></vuln:Remediation>
      <vuln:Remediation Type="Known Issue"><vuln:Description>9900004</vuln:Description></vuln:Remediation>"#;
    let v = vuln(
        "CVE-2099-0003",
        ["Severe", "Critical"],
        "Publicly Disclosed:No;Exploited:No;Weather:Fine",
        extra,
    );
    let twice = format!("{v}{}", v.replace("Example Flaw", "Other"));
    let m = from_cvrf(&doc(&twice));
    let messages: Vec<String> = m.warnings.iter().map(ToString::to_string).collect();
    let has = |s: &str| messages.iter().any(|m| m.contains(s));
    assert!(
        has("CVE-2099-0003: product 13 is not in the document's product tree"),
        "{messages:#?}"
    );
    assert!(has("restart value \"Sometimes\""), "{messages:#?}");
    assert!(has("severity \"Severe\" for product 11"), "{messages:#?}");
    assert!(has("exploit status part \"Weather:Fine\""), "{messages:#?}");
    assert!(has("lists this vulnerability twice"), "{messages:#?}");
    assert_eq!(m.alerts.len(), 1);
    let a = &m.alerts[0];
    assert_eq!(a.title, "Example Flaw");
    // The unrated product still keeps the vendor's word.
    assert_eq!(a.products[0].vendor_severity.as_deref(), Some("Severe"));
    // A known issue that names no product applies to every product.
    for p in &a.products {
        assert!(
            p.remediations.iter().any(
                |r| r.kind == RemediationKind::KnownIssue && r.kb.as_deref() == Some("9900004")
            ),
            "{}",
            p.id
        );
    }
    assert_eq!(a.products[2].id, "13");
    assert_eq!(a.products[2].name, "");
    assert!(a
        .exploit_status
        .as_ref()
        .is_some_and(|e| e.text.ends_with("Weather:Fine")));
}

#[test]
fn supersedence_lists_read_in_every_spelling() {
    assert_eq!(supersedes("3177186"), ["KB3177186"]);
    assert_eq!(supersedes("MS16-110, 3187754"), ["MS16-110", "KB3187754"]);
    assert_eq!(
        supersedes("MS16-016, 3124280; MS16-097, 3178034"),
        ["MS16-016", "KB3124280", "MS16-097", "KB3178034"]
    );
    assert_eq!(
        supersedes("4019114, 4035038; 4019114"),
        ["KB4019114", "KB4035038"]
    );
    assert!(supersedes("None").is_empty());
    assert!(supersedes("").is_empty());
    assert_eq!(kb_number("KB4012598").as_deref(), Some("4012598"));
    assert_eq!(kb_number("Click to Run"), None);
    assert!(is_bulletin_id("ms17-010"));
    assert!(!is_bulletin_id("MS17-01"));
}

#[test]
fn the_same_document_gives_the_same_alerts() {
    let d = doc(&vuln("CVE-2099-0004", ["Important", "Critical"], QUIET, ""));
    assert_eq!(from_cvrf(&d), from_cvrf(&d.clone()));
}
