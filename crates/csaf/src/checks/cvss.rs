//! CVSS v2.0, v3.0 and v3.1: vector parsing, score computation, and the
//! mandatory tests on `/vulnerabilities[]/scores[]` (CSAF 2.0 sections
//! 6.1.7 to 6.1.10).
//!
//! Why a calculator of our own: 6.1.9 asks that the scores and severities in
//! a document are the ones its vector gives, which needs the formulas of the
//! FIRST specifications. The arithmetic follows FIRST's reference
//! calculators step for step (`cvsscalc30.js`, `cvsscalc31.js`, and for v2
//! the formulas of the v2 guide section 3.2 as implemented by the validator
//! the test data was written against), so the last digit comes out the same.

use serde_json::Value;

use super::{items, Finding};

/// Scores computed from a vector. Temporal and environmental metrics that
/// the vector leaves out count as "not defined", so those scores always
/// exist (and equal the base score when nothing is defined).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scores {
    pub base: f64,
    pub temporal: f64,
    pub environmental: f64,
}

/// One metric of a vector: its abbreviation, the property of the FIRST JSON
/// schema that repeats it, and each value's code and schema name.
struct Metric {
    key: &'static str,
    prop: &'static str,
    values: &'static [(&'static str, &'static str)],
    /// Base metrics must appear in every vector.
    base: bool,
}

const fn m(
    key: &'static str,
    prop: &'static str,
    values: &'static [(&'static str, &'static str)],
    base: bool,
) -> Metric {
    Metric {
        key,
        prop,
        values,
        base,
    }
}

const V3_AV: &[(&str, &str)] = &[
    ("N", "NETWORK"),
    ("A", "ADJACENT_NETWORK"),
    ("L", "LOCAL"),
    ("P", "PHYSICAL"),
];
const V3_MAV: &[(&str, &str)] = &[
    ("N", "NETWORK"),
    ("A", "ADJACENT_NETWORK"),
    ("L", "LOCAL"),
    ("P", "PHYSICAL"),
    ("X", "NOT_DEFINED"),
];
const V3_AC: &[(&str, &str)] = &[("L", "LOW"), ("H", "HIGH")];
const V3_MAC: &[(&str, &str)] = &[("L", "LOW"), ("H", "HIGH"), ("X", "NOT_DEFINED")];
const V3_NLH: &[(&str, &str)] = &[("N", "NONE"), ("L", "LOW"), ("H", "HIGH")];
const V3_MNLH: &[(&str, &str)] = &[
    ("N", "NONE"),
    ("L", "LOW"),
    ("H", "HIGH"),
    ("X", "NOT_DEFINED"),
];
const V3_UI: &[(&str, &str)] = &[("N", "NONE"), ("R", "REQUIRED")];
const V3_MUI: &[(&str, &str)] = &[("N", "NONE"), ("R", "REQUIRED"), ("X", "NOT_DEFINED")];
const V3_S: &[(&str, &str)] = &[("U", "UNCHANGED"), ("C", "CHANGED")];
const V3_MS: &[(&str, &str)] = &[("U", "UNCHANGED"), ("C", "CHANGED"), ("X", "NOT_DEFINED")];
const V3_E: &[(&str, &str)] = &[
    ("X", "NOT_DEFINED"),
    ("U", "UNPROVEN"),
    ("P", "PROOF_OF_CONCEPT"),
    ("F", "FUNCTIONAL"),
    ("H", "HIGH"),
];
const V3_RL: &[(&str, &str)] = &[
    ("X", "NOT_DEFINED"),
    ("O", "OFFICIAL_FIX"),
    ("T", "TEMPORARY_FIX"),
    ("W", "WORKAROUND"),
    ("U", "UNAVAILABLE"),
];
const V3_RC: &[(&str, &str)] = &[
    ("X", "NOT_DEFINED"),
    ("U", "UNKNOWN"),
    ("R", "REASONABLE"),
    ("C", "CONFIRMED"),
];
const V3_REQ: &[(&str, &str)] = &[
    ("X", "NOT_DEFINED"),
    ("L", "LOW"),
    ("M", "MEDIUM"),
    ("H", "HIGH"),
];

/// The metrics of CVSS v3.0 and v3.1 (the same set in both).
const V3: &[Metric] = &[
    m("AV", "attackVector", V3_AV, true),
    m("AC", "attackComplexity", V3_AC, true),
    m("PR", "privilegesRequired", V3_NLH, true),
    m("UI", "userInteraction", V3_UI, true),
    m("S", "scope", V3_S, true),
    m("C", "confidentialityImpact", V3_NLH, true),
    m("I", "integrityImpact", V3_NLH, true),
    m("A", "availabilityImpact", V3_NLH, true),
    m("E", "exploitCodeMaturity", V3_E, false),
    m("RL", "remediationLevel", V3_RL, false),
    m("RC", "reportConfidence", V3_RC, false),
    m("CR", "confidentialityRequirement", V3_REQ, false),
    m("IR", "integrityRequirement", V3_REQ, false),
    m("AR", "availabilityRequirement", V3_REQ, false),
    m("MAV", "modifiedAttackVector", V3_MAV, false),
    m("MAC", "modifiedAttackComplexity", V3_MAC, false),
    m("MPR", "modifiedPrivilegesRequired", V3_MNLH, false),
    m("MUI", "modifiedUserInteraction", V3_MUI, false),
    m("MS", "modifiedScope", V3_MS, false),
    m("MC", "modifiedConfidentialityImpact", V3_MNLH, false),
    m("MI", "modifiedIntegrityImpact", V3_MNLH, false),
    m("MA", "modifiedAvailabilityImpact", V3_MNLH, false),
];

const V2_CIA: &[(&str, &str)] = &[("N", "NONE"), ("P", "PARTIAL"), ("C", "COMPLETE")];
const V2_REQ: &[(&str, &str)] = &[
    ("L", "LOW"),
    ("M", "MEDIUM"),
    ("H", "HIGH"),
    ("ND", "NOT_DEFINED"),
];

/// The metrics of CVSS v2.0.
const V2: &[Metric] = &[
    m(
        "AV",
        "accessVector",
        &[("L", "LOCAL"), ("A", "ADJACENT_NETWORK"), ("N", "NETWORK")],
        true,
    ),
    m(
        "AC",
        "accessComplexity",
        &[("H", "HIGH"), ("M", "MEDIUM"), ("L", "LOW")],
        true,
    ),
    m(
        "Au",
        "authentication",
        &[("M", "MULTIPLE"), ("S", "SINGLE"), ("N", "NONE")],
        true,
    ),
    m("C", "confidentialityImpact", V2_CIA, true),
    m("I", "integrityImpact", V2_CIA, true),
    m("A", "availabilityImpact", V2_CIA, true),
    m(
        "E",
        "exploitability",
        &[
            ("U", "UNPROVEN"),
            ("POC", "PROOF_OF_CONCEPT"),
            ("F", "FUNCTIONAL"),
            ("H", "HIGH"),
            ("ND", "NOT_DEFINED"),
        ],
        false,
    ),
    m(
        "RL",
        "remediationLevel",
        &[
            ("OF", "OFFICIAL_FIX"),
            ("TF", "TEMPORARY_FIX"),
            ("W", "WORKAROUND"),
            ("U", "UNAVAILABLE"),
            ("ND", "NOT_DEFINED"),
        ],
        false,
    ),
    m(
        "RC",
        "reportConfidence",
        &[
            ("UC", "UNCONFIRMED"),
            ("UR", "UNCORROBORATED"),
            ("C", "CONFIRMED"),
            ("ND", "NOT_DEFINED"),
        ],
        false,
    ),
    m(
        "CDP",
        "collateralDamagePotential",
        &[
            ("N", "NONE"),
            ("L", "LOW"),
            ("LM", "LOW_MEDIUM"),
            ("MH", "MEDIUM_HIGH"),
            ("H", "HIGH"),
            ("ND", "NOT_DEFINED"),
        ],
        false,
    ),
    m(
        "TD",
        "targetDistribution",
        &[
            ("N", "NONE"),
            ("L", "LOW"),
            ("M", "MEDIUM"),
            ("H", "HIGH"),
            ("ND", "NOT_DEFINED"),
        ],
        false,
    ),
    m("CR", "confidentialityRequirement", V2_REQ, false),
    m("IR", "integrityRequirement", V2_REQ, false),
    m("AR", "availabilityRequirement", V2_REQ, false),
];

/// Severity names of the FIRST v3 schemas, used for the enum check.
const SEVERITIES: &[&str] = &["NONE", "LOW", "MEDIUM", "HIGH", "CRITICAL"];

/// A metric token `KEY:VALUE` checked against a metric table: the metric's
/// index and the value's index, or `None` when either is unknown.
fn lookup(table: &[Metric], token: &str) -> Option<(usize, usize)> {
    let (key, value) = token.split_once(':')?;
    let mi = table.iter().position(|m| m.key == key)?;
    let vi = table[mi].values.iter().position(|(c, _)| *c == value)?;
    Some((mi, vi))
}

/// A vector checked completely: every token known, no metric twice, every
/// base metric present. Holds the value code per metric (None = absent).
fn parse_tokens<'a>(
    table: &[Metric],
    tokens: impl Iterator<Item = &'a str>,
) -> Result<Vec<Option<&'static str>>, String> {
    let mut values: Vec<Option<&'static str>> = vec![None; table.len()];
    let mut any = false;
    for token in tokens {
        any = true;
        let (mi, vi) = lookup(table, token)
            .ok_or_else(|| format!("`{token}` is not a metric of this CVSS version"))?;
        if values[mi].is_some() {
            return Err(format!("the metric {} is given twice", table[mi].key));
        }
        values[mi] = Some(table[mi].values[vi].0);
    }
    if !any {
        return Err("the vector has no metrics".into());
    }
    if let Some(missing) = table
        .iter()
        .zip(&values)
        .find(|(m, v)| m.base && v.is_none())
    {
        return Err(format!("the base metric {} is missing", missing.0.key));
    }
    Ok(values)
}

/// A CVSS v3.0 or v3.1 vector such as `CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cvss3 {
    /// `"3.0"` or `"3.1"`, from the vector's prefix.
    pub version: &'static str,
    values: Vec<Option<&'static str>>,
}

impl Cvss3 {
    /// Parses a v3 vector; the error says what is wrong (unknown prefix or
    /// metric, a metric twice, a base metric missing).
    pub fn parse(vector: &str) -> Result<Cvss3, String> {
        let (version, rest) = if let Some(rest) = vector.strip_prefix("CVSS:3.0/") {
            ("3.0", rest)
        } else if let Some(rest) = vector.strip_prefix("CVSS:3.1/") {
            ("3.1", rest)
        } else {
            return Err("the vector does not start with `CVSS:3.0/` or `CVSS:3.1/`".into());
        };
        let values = parse_tokens(V3, rest.split('/'))?;
        Ok(Cvss3 { version, values })
    }

    fn get(&self, key: &str) -> &'static str {
        V3.iter()
            .position(|m| m.key == key)
            .and_then(|i| self.values[i])
            .unwrap_or("X")
    }

    /// Base, temporal and environmental scores as the FIRST calculator of
    /// the vector's version computes them.
    pub fn scores(&self) -> Scores {
        let v31 = self.version == "3.1";
        let roundup = if v31 { roundup_31 } else { roundup_30 };
        let g = |k: &str| self.get(k);
        let (av, ac, pr, ui, s) = (g("AV"), g("AC"), g("PR"), g("UI"), g("S"));
        let (c, i, a) = (w_cia(g("C")), w_cia(g("I")), w_cia(g("A")));
        let e = match g("E") {
            "U" => 0.91,
            "P" => 0.94,
            "F" => 0.97,
            _ => 1.0,
        };
        let rl = match g("RL") {
            "O" => 0.95,
            "T" => 0.96,
            "W" => 0.97,
            _ => 1.0,
        };
        let rc = match g("RC") {
            "U" => 0.92,
            "R" => 0.96,
            _ => 1.0,
        };
        let changed = s == "C";

        let exploitability = 8.22 * w_av(av) * w_ac(ac) * w_pr(pr, changed) * w_ui(ui);
        let iss = 1.0 - ((1.0 - c) * (1.0 - i) * (1.0 - a));
        let impact = if changed {
            7.52 * (iss - 0.029) - 3.25 * (iss - 0.02).powf(15.0)
        } else {
            6.42 * iss
        };
        let base = if impact <= 0.0 {
            0.0
        } else if changed {
            roundup((1.08 * (exploitability + impact)).min(10.0))
        } else {
            roundup((exploitability + impact).min(10.0))
        };
        let temporal = roundup(base * e * rl * rc);

        let pick = |mk: &str, k: &str| {
            let v = g(mk);
            if v == "X" {
                g(k)
            } else {
                v
            }
        };
        let ms_changed = pick("MS", "S") == "C";
        let req = |k: &str| match g(k) {
            "L" => 0.5,
            "H" => 1.5,
            _ => 1.0,
        };
        let m_expl = 8.22
            * w_av(pick("MAV", "AV"))
            * w_ac(pick("MAC", "AC"))
            * w_pr(pick("MPR", "PR"), ms_changed)
            * w_ui(pick("MUI", "UI"));
        let miss = (1.0
            - ((1.0 - w_cia(pick("MC", "C")) * req("CR"))
                * (1.0 - w_cia(pick("MI", "I")) * req("IR"))
                * (1.0 - w_cia(pick("MA", "A")) * req("AR"))))
        .min(0.915);
        let m_impact = if !ms_changed {
            6.42 * miss
        } else if v31 {
            7.52 * (miss - 0.029) - 3.25 * (miss * 0.9731 - 0.02).powf(13.0)
        } else {
            7.52 * (miss - 0.029) - 3.25 * (miss - 0.02).powf(15.0)
        };
        let environmental = if m_impact <= 0.0 {
            0.0
        } else if ms_changed {
            roundup(roundup((1.08 * (m_impact + m_expl)).min(10.0)) * e * rl * rc)
        } else {
            roundup(roundup((m_impact + m_expl).min(10.0)) * e * rl * rc)
        };
        Scores {
            base,
            temporal,
            environmental,
        }
    }
}

fn w_av(v: &str) -> f64 {
    match v {
        "N" => 0.85,
        "A" => 0.62,
        "L" => 0.55,
        _ => 0.2,
    }
}

fn w_ac(v: &str) -> f64 {
    if v == "L" {
        0.77
    } else {
        0.44
    }
}

fn w_pr(v: &str, changed: bool) -> f64 {
    match (v, changed) {
        ("N", _) => 0.85,
        ("L", false) => 0.62,
        ("L", true) => 0.68,
        (_, false) => 0.27,
        (_, true) => 0.5,
    }
}

fn w_ui(v: &str) -> f64 {
    if v == "N" {
        0.85
    } else {
        0.62
    }
}

fn w_cia(v: &str) -> f64 {
    match v {
        "H" => 0.56,
        "L" => 0.22,
        _ => 0.0,
    }
}

/// CVSS v3.0 Roundup: the smallest one-decimal number not below `x`.
fn roundup_30(x: f64) -> f64 {
    (x * 10.0).ceil() / 10.0
}

/// CVSS v3.1 Roundup (specification appendix A): the same in integer
/// arithmetic, so that `0.42000000000000004` does not become 0.5.
fn roundup_31(x: f64) -> f64 {
    let int_input = (x * 100_000.0).round() as i64;
    if int_input % 10_000 == 0 {
        int_input as f64 / 100_000.0
    } else {
        ((int_input / 10_000) + 1) as f64 / 10.0
    }
}

/// The qualitative severity of a v3 score (CVSS v3.x specification
/// section 5): NONE, LOW, MEDIUM, HIGH or CRITICAL.
pub fn severity(score: f64) -> &'static str {
    if score <= 0.0 {
        "NONE"
    } else if score < 4.0 {
        "LOW"
    } else if score < 7.0 {
        "MEDIUM"
    } else if score < 9.0 {
        "HIGH"
    } else {
        "CRITICAL"
    }
}

/// A CVSS v2.0 vector such as `AV:N/AC:L/Au:N/C:C/I:C/A:C` (no prefix; a
/// leading `(` and trailing `)` as NVD writes them are not accepted, the
/// FIRST schema does not allow them either).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cvss2 {
    values: Vec<Option<&'static str>>,
}

impl Cvss2 {
    pub fn parse(vector: &str) -> Result<Cvss2, String> {
        Ok(Cvss2 {
            values: parse_tokens(V2, vector.split('/'))?,
        })
    }

    fn get(&self, key: &str) -> Option<&'static str> {
        V2.iter()
            .position(|m| m.key == key)
            .and_then(|i| self.values[i])
    }

    fn w(&self, key: &str) -> f64 {
        let v = self.get(key).unwrap_or("ND");
        match (key, v) {
            ("AV", "L") => 0.395,
            ("AV", "A") => 0.646,
            ("AV", _) => 1.0,
            ("AC", "H") => 0.35,
            ("AC", "M") => 0.61,
            ("AC", _) => 0.71,
            ("Au", "M") => 0.45,
            ("Au", "S") => 0.56,
            ("Au", _) => 0.704,
            ("C" | "I" | "A", "P") => 0.275,
            ("C" | "I" | "A", "C") => 0.660,
            ("C" | "I" | "A", _) => 0.0,
            ("E", "U") => 0.85,
            ("E", "POC") => 0.9,
            ("E", "F") => 0.95,
            ("RL", "OF") => 0.87,
            ("RL", "TF") => 0.90,
            ("RL", "W") => 0.95,
            ("RC", "UC") => 0.90,
            ("RC", "UR") => 0.95,
            ("CDP", "L") => 0.1,
            ("CDP", "LM") => 0.3,
            ("CDP", "MH") => 0.4,
            ("CDP", "H") => 0.5,
            ("CDP", _) => 0.0,
            ("TD", "N") => 0.0,
            ("TD", "L") => 0.25,
            ("TD", "M") => 0.75,
            ("CR" | "IR" | "AR", "L") => 0.5,
            ("CR" | "IR" | "AR", "H") => 1.51,
            _ => 1.0,
        }
    }

    /// Base, temporal and environmental scores per the CVSS v2 guide,
    /// section 3.2 (equations 3.2.1 to 3.2.3). With no environmental metric
    /// in the vector the environmental score equals the temporal score.
    pub fn scores(&self) -> Scores {
        let w = |k: &str| self.w(k);
        let exploitability = 20.0 * w("AV") * w("AC") * w("Au");
        let base_of = |impact: f64| {
            let f = if impact == 0.0 { 0.0 } else { 1.176 };
            round1(((0.6 * impact) + (0.4 * exploitability) - 1.5) * f)
        };
        let temporal_of = |base: f64| round1(base * w("E") * w("RL") * w("RC"));
        let impact = 10.41 * (1.0 - (1.0 - w("C")) * (1.0 - w("I")) * (1.0 - w("A")));
        let base = base_of(impact);
        let temporal = temporal_of(base);
        let adjusted_impact = (10.41
            * (1.0
                - (1.0 - w("C") * w("CR")) * (1.0 - w("I") * w("IR")) * (1.0 - w("A") * w("AR"))))
        .min(10.0);
        let adjusted_temporal = temporal_of(base_of(adjusted_impact));
        let environmental =
            round1((adjusted_temporal + (10.0 - adjusted_temporal) * w("CDP")) * w("TD"));
        Scores {
            base,
            temporal,
            environmental,
        }
    }

    /// The environmental score as csaf-validator-lib computes it: in
    /// fixed-point steps (thousandths), and without environmental metrics
    /// its own rounding of the base score. It differs from [`Cvss2::scores`]
    /// by 0.1 for some vectors; 6.1.9 accepts either value, so documents
    /// made with either tool pass.
    pub fn environmental_fixed_point(&self) -> f64 {
        let w = |k: &str| self.w(k);
        let mkint = |x: f64| (x * 1000.0).round();
        let mkflt = |x: f64| x / 1000.0;
        let one = mkint(1.0);
        let impact = 10.41
            * mkflt(
                one - mkint(
                    mkflt(one - mkint(w("C")))
                        * mkflt(one - mkint(w("I")))
                        * mkflt(one - mkint(w("A"))),
                ),
            );
        let exploitability = 20.0 * w("AC") * w("Au") * w("AV");
        let f = if impact > 0.0 { 1.176 } else { 0.0 };
        let base =
            round1(mkflt(mkint(0.6 * impact) + mkint(0.4 * exploitability) - mkint(1.5)) * f);
        let has_env = ["CDP", "TD", "CR", "IR", "AR"]
            .iter()
            .any(|k| self.get(k).is_some());
        if !has_env {
            return base;
        }
        let adj = |k: &str, r: &str| mkflt(one - mkint(w(k) * w(r)));
        let adjusted_impact = (10.41
            * mkflt(one - mkint(adj("C", "CR") * (adj("I", "IR") * adj("A", "AR")))))
        .min(10.0);
        let adjusted_base = round1(
            mkflt(mkint(0.6 * adjusted_impact) + mkint(0.4 * exploitability) - mkint(1.5)) * f,
        );
        let adjusted_temporal = round1(adjusted_base * w("E") * w("RL") * w("RC"));
        round1(
            mkflt(
                mkint(adjusted_temporal)
                    + mkint(mkflt(mkint(10.0) - mkint(adjusted_temporal)) * w("CDP")),
            ) * w("TD"),
        )
    }
}

/// Rounding to one decimal, half up (JavaScript's `Math.round(x * 10) / 10`).
fn round1(x: f64) -> f64 {
    (x * 10.0 + 0.5).floor() / 10.0
}

/// The CVSS objects of a score entry: (key, object) for `cvss_v2` and `cvss_v3`.
fn cvss_objects(score: &Value) -> impl Iterator<Item = (&'static str, &Value)> {
    ["cvss_v2", "cvss_v3"]
        .into_iter()
        .filter_map(move |k| score.get(k).map(|v| (k, v)))
}

/// Every score entry: (pointer of the entry, entry).
fn score_entries(doc: &Value) -> impl Iterator<Item = (String, &Value)> {
    items(doc, "vulnerabilities").flat_map(|(vi, v)| {
        items(v, "scores").map(move |(si, s)| (format!("/vulnerabilities/{vi}/scores/{si}"), s))
    })
}

/// The CVSS version an object claims: its `version`, or else what its
/// vector's prefix says (`2.0` for a v2 object).
fn claimed_version<'a>(key: &str, obj: &'a Value) -> Option<&'a str> {
    if let Some(v) = obj.get("version").and_then(Value::as_str) {
        return Some(v);
    }
    if key == "cvss_v2" {
        return Some("2.0");
    }
    let vector = obj.get("vectorString").and_then(Value::as_str)?;
    if vector.starts_with("CVSS:3.0/") {
        Some("3.0")
    } else if vector.starts_with("CVSS:3.1/") {
        Some("3.1")
    } else {
        None
    }
}

/// 6.1.7 Multiple Scores with same Version per Product: within one
/// vulnerability, a product has at most one score per CVSS version, because
/// a consumer could not tell which of two v3.1 scores applies.
pub(super) fn t_6_1_7(doc: &Value, out: &mut Vec<Finding>) {
    for (vi, v) in items(doc, "vulnerabilities") {
        let mut seen: std::collections::HashMap<&str, Vec<(&str, usize)>> =
            std::collections::HashMap::new();
        for (si, s) in items(v, "scores") {
            let versions: Vec<&str> = cvss_objects(s)
                .filter_map(|(k, o)| claimed_version(k, o))
                .collect();
            for (pi, p) in items(s, "products") {
                let Some(p) = p.as_str() else { continue };
                let entry = seen.entry(p).or_default();
                for ver in &versions {
                    if let Some((_, first)) = entry.iter().find(|(x, _)| x == ver) {
                        out.push(Finding::new(
                            "6.1.7",
                            format!("/vulnerabilities/{vi}/scores/{si}/products/{pi}"),
                            format!(
                                "product {p} already has a CVSS {ver} score in /vulnerabilities/{vi}/scores/{first}"
                            ),
                        ));
                    }
                }
                for ver in &versions {
                    if !entry.iter().any(|(x, _)| x == ver) {
                        entry.push((ver, si));
                    }
                }
            }
        }
    }
}

/// 6.1.8 Invalid CVSS: each `cvss_v2` object is valid against FIRST's
/// CVSS v2.0 JSON schema, each `cvss_v3` object against the v3.0 or v3.1
/// schema (the one its `version` names). The schemas are written out here:
/// required properties, enums, score range 0–10, the vector pattern.
pub(super) fn t_6_1_8(doc: &Value, out: &mut Vec<Finding>) {
    for (ptr, s) in score_entries(doc) {
        for (key, obj) in cvss_objects(s) {
            let at = format!("{ptr}/{key}");
            let Some(map) = obj.as_object() else {
                out.push(Finding::new("6.1.8", at, "must be a JSON object"));
                continue;
            };
            let (table, versions, required): (&[Metric], &[&str], &[&str]) = if key == "cvss_v2" {
                (V2, &["2.0"], &["version", "vectorString", "baseScore"])
            } else {
                (
                    V3,
                    &["3.0", "3.1"],
                    &["version", "vectorString", "baseScore", "baseSeverity"],
                )
            };
            for r in required {
                if !map.contains_key(*r) {
                    out.push(Finding::new(
                        "6.1.8",
                        format!("{at}/{r}"),
                        format!("the required property {r} is missing"),
                    ));
                }
            }
            let version = map.get("version");
            match version.and_then(Value::as_str) {
                Some(v) if versions.contains(&v) => {}
                None if version.is_none() => {}
                _ => out.push(Finding::new(
                    "6.1.8",
                    format!("{at}/version"),
                    format!("must be {}", versions.join(" or ")),
                )),
            }
            if let Some(vector) = map.get("vectorString") {
                match vector.as_str() {
                    None => out.push(Finding::new(
                        "6.1.8",
                        format!("{at}/vectorString"),
                        "must be a string",
                    )),
                    Some(vs) => {
                        let want = claimed_version(key, obj).unwrap_or("");
                        if let Err(e) = vector_matches_schema(table, key, want, vs) {
                            out.push(Finding::new("6.1.8", format!("{at}/vectorString"), e));
                        }
                    }
                }
            }
            for score in ["baseScore", "temporalScore", "environmentalScore"] {
                if let Some(v) = map.get(score) {
                    if !v.as_f64().is_some_and(|x| (0.0..=10.0).contains(&x)) {
                        out.push(Finding::new(
                            "6.1.8",
                            format!("{at}/{score}"),
                            "must be a number from 0 to 10",
                        ));
                    }
                }
            }
            if key == "cvss_v3" {
                for sev in ["baseSeverity", "temporalSeverity", "environmentalSeverity"] {
                    if let Some(v) = map.get(sev) {
                        if !v.as_str().is_some_and(|s| SEVERITIES.contains(&s)) {
                            out.push(Finding::new(
                                "6.1.8",
                                format!("{at}/{sev}"),
                                format!("must be one of {}", SEVERITIES.join(", ")),
                            ));
                        }
                    }
                }
            }
            for metric in table {
                let Some(v) = map.get(metric.prop) else {
                    continue;
                };
                // The schemas allow NOT_DEFINED for every non-base metric
                // (in v3 the base metrics' enum has no such value).
                if !v
                    .as_str()
                    .is_some_and(|s| metric.values.iter().any(|(_, name)| *name == s))
                {
                    let names: Vec<&str> = metric.values.iter().map(|(_, n)| *n).collect();
                    out.push(Finding::new(
                        "6.1.8",
                        format!("{at}/{}", metric.prop),
                        format!("must be one of {}", names.join(", ")),
                    ));
                }
            }
        }
    }
}

/// The `vectorString` pattern of the FIRST schemas: for v3 the prefix of
/// the claimed version, then `/`-separated known `METRIC:VALUE` tokens.
/// (The pattern does not forbid repeated or missing metrics; 6.1.9 reports
/// those because no score can be computed then.)
fn vector_matches_schema(
    table: &[Metric],
    key: &str,
    version: &str,
    vs: &str,
) -> Result<(), String> {
    let body = if key == "cvss_v3" {
        let prefix = format!("CVSS:{version}/");
        match vs.strip_prefix(prefix.as_str()) {
            Some(b) if version == "3.0" || version == "3.1" => b,
            _ => {
                return Err(format!(
                    "must start with `CVSS:{}/`",
                    if version.is_empty() { "3.x" } else { version }
                ))
            }
        }
    } else {
        vs
    };
    for token in body.split('/') {
        if lookup(table, token).is_none() {
            return Err(format!(
                "`{token}` is not a CVSS {} metric",
                if key == "cvss_v2" { "v2" } else { "v3" }
            ));
        }
    }
    Ok(())
}

/// 6.1.9 Invalid CVSS computation: the scores (and, for v3, severities)
/// given are the ones the vector yields. The vector is authoritative, so a
/// vector no score can be computed from is reported too.
pub(super) fn t_6_1_9(doc: &Value, out: &mut Vec<Finding>) {
    for (ptr, s) in score_entries(doc) {
        for (key, obj) in cvss_objects(s) {
            let Some(vs) = obj.get("vectorString").and_then(Value::as_str) else {
                continue;
            };
            let at = format!("{ptr}/{key}");
            // For v2 the environmental score has a second accepted value.
            let computed = if key == "cvss_v2" {
                Cvss2::parse(vs).map(|c| (c.scores(), Some(c.environmental_fixed_point())))
            } else {
                Cvss3::parse(vs).map(|c| (c.scores(), None))
            };
            let (scores, alternative) = match computed {
                Ok(s) => s,
                Err(e) => {
                    // A vector off the schema's pattern is 6.1.8's finding;
                    // here only those the pattern lets through (a metric
                    // twice, a base metric missing).
                    let table = if key == "cvss_v2" { V2 } else { V3 };
                    let version = claimed_version(key, obj).unwrap_or("");
                    if vector_matches_schema(table, key, version, vs).is_err() {
                        continue;
                    }
                    out.push(Finding::new(
                        "6.1.9",
                        format!("{at}/vectorString"),
                        format!("no score can be computed from this vector: {e}"),
                    ));
                    continue;
                }
            };
            for (prop, want) in [
                ("baseScore", scores.base),
                ("temporalScore", scores.temporal),
                ("environmentalScore", scores.environmental),
            ] {
                if let Some(got) = obj.get(prop).and_then(Value::as_f64) {
                    let same = |x: f64| (got - x).abs() < 1e-6;
                    let accepted = same(want)
                        || (prop == "environmentalScore" && alternative.is_some_and(same));
                    if !accepted {
                        out.push(Finding::new(
                            "6.1.9",
                            format!("{at}/{prop}"),
                            format!("is {got}, but the vector gives {want:.1}"),
                        ));
                    }
                }
            }
            if key == "cvss_v3" {
                for (prop, want) in [
                    ("baseSeverity", severity(scores.base)),
                    ("temporalSeverity", severity(scores.temporal)),
                    ("environmentalSeverity", severity(scores.environmental)),
                ] {
                    if let Some(got) = obj.get(prop).and_then(Value::as_str) {
                        if got != want {
                            out.push(Finding::new(
                                "6.1.9",
                                format!("{at}/{prop}"),
                                format!("is {got}, but the vector gives {want}"),
                            ));
                        }
                    }
                }
            }
        }
    }
}

/// 6.1.10 Inconsistent CVSS: the properties that repeat a metric
/// (`attackVector`, `scope`, ...) agree with the vector, which is the
/// authoritative value. Metrics the vector leaves out are not compared.
pub(super) fn t_6_1_10(doc: &Value, out: &mut Vec<Finding>) {
    for (ptr, s) in score_entries(doc) {
        for (key, obj) in cvss_objects(s) {
            let Some(vs) = obj.get("vectorString").and_then(Value::as_str) else {
                continue;
            };
            let (table, body) = if key == "cvss_v2" {
                (V2, vs)
            } else {
                match vs.split_once('/') {
                    Some((_, b)) => (V3, b),
                    None => continue,
                }
            };
            for token in body.split('/') {
                let Some((mi, vi)) = lookup(table, token) else {
                    continue;
                };
                let metric = &table[mi];
                let (code, want) = metric.values[vi];
                if let Some(got) = obj.get(metric.prop).and_then(Value::as_str) {
                    if got != want {
                        out.push(Finding::new(
                            "6.1.10",
                            format!("{ptr}/{key}/{}", metric.prop),
                            format!(
                                "is {got}, but the vector says {}:{code} ({want})",
                                metric.key
                            ),
                        ));
                    }
                }
            }
        }
    }
}
