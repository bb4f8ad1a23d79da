//! Every MSRC CVRF 1.1 document in `shared/data/msrc-cvrf` reads whole:
//! as many vulnerabilities as the file has elements, every product a
//! vulnerability names is in the tree, and one CVE's facts as published.

mod msrc_data;

use std::path::PathBuf;

use hfr_import::cvrf::{parse, sniff};

fn documents() -> Option<Vec<PathBuf>> {
    msrc_data::files()
}

fn count(haystack: &[u8], needle: &str) -> usize {
    haystack
        .windows(needle.len())
        .filter(|w| *w == needle.as_bytes())
        .count()
}

#[test]
fn every_document_reads_whole() {
    let Some(files) = documents() else { return };
    assert!(files.len() >= 20, "{} files", files.len());
    let (mut vulns, mut remediations) = (0, 0);
    for f in &files {
        let bytes = std::fs::read(f).expect("read");
        let name = f.display().to_string();
        assert!(sniff(&bytes), "{name}: not recognised as CVRF");
        let doc = parse(&bytes, &name).unwrap_or_else(|e| panic!("{e}"));
        assert!(!doc.id.is_empty() && !doc.title.is_empty(), "{name}");
        assert_eq!(
            doc.vulnerabilities.len(),
            count(&bytes, "<vuln:Vulnerability "),
            "{name}: vulnerabilities"
        );
        assert_eq!(
            doc.products.len(),
            count(&bytes, "<prod:FullProductName "),
            "{name}: products"
        );
        let rems: usize = doc
            .vulnerabilities
            .iter()
            .map(|v| v.remediations.len())
            .sum();
        assert_eq!(
            rems,
            count(&bytes, "<vuln:Remediation "),
            "{name}: remediations"
        );
        for v in &doc.vulnerabilities {
            for id in v.statuses.iter().flat_map(|s| s.product_ids.iter()) {
                assert!(
                    doc.product(id).is_some(),
                    "{name}: {:?} names product {id}",
                    v.cve
                );
            }
        }
        vulns += doc.vulnerabilities.len();
        remediations += rems;
    }
    assert!(
        vulns > 500 && remediations > 5000,
        "{vulns} CVEs, {remediations} remediations"
    );
}

#[test]
fn one_cve_as_microsoft_published_it() {
    let Some(files) = documents() else { return };
    let Some(apr) = files
        .iter()
        .find(|f| f.ends_with("2017/cvrfDocument-2017-Apr.xml"))
    else {
        panic!("cvrfDocument-2017-Apr.xml is missing from the data set");
    };
    let doc = parse(&std::fs::read(apr).expect("read"), "2017-Apr").expect("parses");
    assert_eq!(doc.id, "2017-Apr");
    assert_eq!(doc.title, "April 2017 Security Updates");
    let v = doc
        .vulnerabilities
        .iter()
        .find(|v| v.cve.as_deref() == Some("CVE-2017-0158"))
        .expect("CVE-2017-0158");
    assert_eq!(
        v.title.as_deref(),
        Some("Scripting Engine Memory Corruption Vulnerability")
    );
    let severity = v
        .threats
        .iter()
        .find(|t| t.kind == "Severity" && t.product_ids == ["10729"])
        .expect("a severity for 10729");
    assert_eq!(severity.description, "Critical");
    let exploit = v
        .threats
        .iter()
        .find(|t| t.kind == "Exploit Status")
        .expect("an exploit status");
    assert!(exploit
        .description
        .starts_with("Publicly Disclosed:No;Exploited:No;"));
    let score = v
        .scores
        .iter()
        .find(|s| s.product_ids == ["10729"])
        .expect("CVSS");
    assert_eq!((score.base, score.temporal), (Some(7.5), Some(6.7)));
    assert!(score
        .vector
        .as_deref()
        .is_some_and(|s| s.starts_with("CVSS:3.0/")));
    let fix = v
        .remediations
        .iter()
        .find(|r| r.product_ids == ["10729"] && r.kind == "Vendor Fix")
        .expect("a fix for 10729");
    assert_eq!(fix.description, "4015221");
    assert_eq!(fix.supercedence.as_deref(), Some("4012606"));
    assert_eq!(fix.restart_required.as_deref(), Some("Yes"));
    assert_eq!(fix.sub_type.as_deref(), Some("Security Update"));
    assert_eq!(
        doc.product("10729").map(|p| p.name.as_str()),
        Some("Windows 10 for 32-bit Systems")
    );
    assert_eq!(v.revisions.len(), 2);
    assert_eq!(v.revisions[1].number, "2.0");
}

/// Broken copies of a real document are refused with the place named: a
/// download cut short, the right element in the wrong namespace, another
/// kind of XML, and text that is no XML at all.
#[test]
fn broken_copies_are_refused_at_their_place() {
    let Some(files) = documents() else { return };
    let Some(jan) = files
        .iter()
        .find(|f| f.ends_with("2017/cvrfDocument-2017-Jan.xml"))
    else {
        panic!("cvrfDocument-2017-Jan.xml is missing from the data set");
    };
    let bytes = std::fs::read(jan).expect("read");
    let text = String::from_utf8_lossy(&bytes).into_owned();

    // Cut inside a remediation, as a download that stopped would be.
    let in_remediation = text
        .match_indices("<vuln:Remediation ")
        .nth(3)
        .map(|(i, _)| i + 120)
        .expect("remediations");
    let cut = &bytes[..in_remediation];
    let err = parse(cut, "jan.xml").expect_err("cut").to_string();
    let lines = String::from_utf8_lossy(cut).lines().count();
    assert!(
        err.starts_with(&format!("jan.xml: line {lines} column ")),
        "{err}"
    );
    assert!(err.contains("ends inside <vuln:"), "{err}");
    assert!(err.contains("cut short"), "{err}");
    assert!(
        hfr_import::cvrf::detect(cut).is_some(),
        "still sniffs as CVRF"
    );

    // Another namespace for the root is refused at the root; for the
    // vulnerabilities alone (which would otherwise be silently missing),
    // at the first one.
    let other = text.replace(
        "http://www.icasi.org/CVRF/schema/cvrf/1.1",
        "http://docs.oasis-open.org/csaf/ns/csaf-cvrf/v1.2/cvrf",
    );
    let err = parse(other.as_bytes(), "ns.xml")
        .expect_err("namespace")
        .to_string();
    assert!(err.starts_with("ns.xml: line 2 column 1: the root element is {http://docs.oasis-open.org/csaf/ns/csaf-cvrf/v1.2/cvrf}cvrfdoc"), "{err}");
    assert!(
        err.contains("http://www.icasi.org/CVRF/schema/cvrf/1.1"),
        "{err}"
    );
    assert!(
        !sniff(other.as_bytes()),
        "another namespace is not CVRF 1.1"
    );

    let vuln_ns = text.replace(
        "http://www.icasi.org/CVRF/schema/vuln/1.1",
        "http://www.icasi.org/CVRF/schema/vuln/1.2",
    );
    let err = parse(vuln_ns.as_bytes(), "vuln.xml")
        .expect_err("vuln namespace")
        .to_string();
    let first = text
        .find("<vuln:Vulnerability ")
        .map(|i| text[..i].matches('\n').count() + 1)
        .expect("a vulnerability");
    assert_eq!(
        err,
        format!("vuln.xml: line {first}: Vulnerability: in namespace http://www.icasi.org/CVRF/schema/vuln/1.2, which is not one of CVRF 1.1's")
    );

    let rss = "<?xml version=\"1.0\"?>\n<rss version=\"2.0\"><channel/></rss>";
    let err = parse(rss.as_bytes(), "feed.xml")
        .expect_err("rss")
        .to_string();
    assert!(
        err.starts_with("feed.xml: line 2 column 1: the root element is rss,"),
        "{err}"
    );
    let err = hfr_import::cvrf::read(b"MS17-010 HotFix Alert", "page.txt")
        .expect_err("text")
        .to_string();
    assert!(
        err.starts_with("page.txt: neither CVRF XML nor CVRF JSON"),
        "{err}"
    );
}
