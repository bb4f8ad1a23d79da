//! The structure of a CSAF 2.0 document as its JSON schema
//! (`csaf_json_schema.json`, draft 2020-12) defines it: required properties,
//! types, enums, `minItems`/`uniqueItems`, `minProperties`, the string
//! patterns and the `date-time`/`uri` formats.
//!
//! Why a hand-written copy instead of a schema engine: the importer reads
//! these fields and must get a pointer, not a panic, when one is missing or
//! of the wrong type; a table of the schema in Rust does that with no
//! dependency and in one pass. What is not here: the CVSS objects' inner
//! structure (FIRST's schemas; test 6.1.8 checks those) and the exact
//! `additionalProperties: false` of the *strict* schema variant (unknown
//! properties are allowed, as in the non-strict schema).

use serde_json::Value;

use super::{bcp47, datetime, version::Version, Finding};

/// What a value must look like.
enum Node {
    Object(&'static Obj),
    Array(&'static Arr),
    Str(Str),
}

struct Obj {
    required: &'static [&'static str],
    props: &'static [(&'static str, Node)],
    min_props: usize,
    max_props: usize,
}

struct Arr {
    min: usize,
    unique: bool,
    item: Node,
}

/// String rules; every one of them also demands at least one character.
enum Str {
    NonEmpty,
    Enum(&'static [&'static str]),
    DateTime,
    Uri,
    Version,
    Lang,
    /// A pattern, written as a function, and how to say it in a message.
    Pattern(fn(&str) -> bool, &'static str),
}

const fn obj(required: &'static [&'static str], props: &'static [(&'static str, Node)]) -> Obj {
    Obj {
        required,
        props,
        min_props: 0,
        max_props: usize::MAX,
    }
}

const fn arr(min: usize, unique: bool, item: Node) -> Arr {
    Arr { min, unique, item }
}

const NE: Node = Node::Str(Str::NonEmpty);
const DT: Node = Node::Str(Str::DateTime);
const URI: Node = Node::Str(Str::Uri);

static ROOT: Obj = obj(
    &["document"],
    &[
        ("document", Node::Object(&DOCUMENT)),
        ("product_tree", Node::Object(&PRODUCT_TREE)),
        ("vulnerabilities", Node::Array(&VULNERABILITIES)),
    ],
);

static DOCUMENT: Obj = obj(
    &["category", "csaf_version", "publisher", "title", "tracking"],
    &[
        ("acknowledgments", Node::Array(&ACKNOWLEDGMENTS)),
        (
            "aggregate_severity",
            Node::Object(&obj(&["text"], &[("namespace", URI), ("text", NE)])),
        ),
        (
            "category",
            Node::Str(Str::Pattern(
                category_pattern,
                "must not start or end with white space, '-', '_' or '.'",
            )),
        ),
        ("csaf_version", Node::Str(Str::Enum(&["2.0"]))),
        ("distribution", Node::Object(&DISTRIBUTION)),
        ("lang", Node::Str(Str::Lang)),
        ("notes", Node::Array(&NOTES)),
        ("publisher", Node::Object(&PUBLISHER)),
        ("references", Node::Array(&REFERENCES)),
        ("source_lang", Node::Str(Str::Lang)),
        ("title", NE),
        ("tracking", Node::Object(&TRACKING)),
    ],
);

static DISTRIBUTION: Obj = Obj {
    min_props: 1,
    ..obj(
        &[],
        &[
            ("text", NE),
            (
                "tlp",
                Node::Object(&obj(
                    &["label"],
                    &[
                        (
                            "label",
                            Node::Str(Str::Enum(&["AMBER", "GREEN", "RED", "WHITE"])),
                        ),
                        ("url", URI),
                    ],
                )),
            ),
        ],
    )
};

static PUBLISHER: Obj = obj(
    &["category", "name", "namespace"],
    &[
        (
            "category",
            Node::Str(Str::Enum(&[
                "coordinator",
                "discoverer",
                "other",
                "translator",
                "user",
                "vendor",
            ])),
        ),
        ("contact_details", NE),
        ("issuing_authority", NE),
        ("name", NE),
        ("namespace", URI),
    ],
);

static TRACKING: Obj = obj(
    &[
        "current_release_date",
        "id",
        "initial_release_date",
        "revision_history",
        "status",
        "version",
    ],
    &[
        ("aliases", Node::Array(&arr(1, true, NE))),
        ("current_release_date", DT),
        (
            "generator",
            Node::Object(&obj(
                &["engine"],
                &[
                    ("date", DT),
                    (
                        "engine",
                        Node::Object(&obj(&["name"], &[("name", NE), ("version", NE)])),
                    ),
                ],
            )),
        ),
        (
            "id",
            Node::Str(Str::Pattern(
                no_outer_space,
                "must not start or end with white space nor span lines",
            )),
        ),
        ("initial_release_date", DT),
        (
            "revision_history",
            Node::Array(&arr(
                1,
                false,
                Node::Object(&obj(
                    &["date", "number", "summary"],
                    &[
                        ("date", DT),
                        ("legacy_version", NE),
                        ("number", Node::Str(Str::Version)),
                        ("summary", NE),
                    ],
                )),
            )),
        ),
        (
            "status",
            Node::Str(Str::Enum(&["draft", "final", "interim"])),
        ),
        ("version", Node::Str(Str::Version)),
    ],
);

static ACKNOWLEDGMENTS: Arr = arr(
    1,
    false,
    Node::Object(&Obj {
        min_props: 1,
        ..obj(
            &[],
            &[
                ("names", Node::Array(&arr(1, false, NE))),
                ("organization", NE),
                ("summary", NE),
                ("urls", Node::Array(&arr(1, false, URI))),
            ],
        )
    }),
);

static NOTES: Arr = arr(
    1,
    false,
    Node::Object(&obj(
        &["category", "text"],
        &[
            ("audience", NE),
            (
                "category",
                Node::Str(Str::Enum(&[
                    "description",
                    "details",
                    "faq",
                    "general",
                    "legal_disclaimer",
                    "other",
                    "summary",
                ])),
            ),
            ("text", NE),
            ("title", NE),
        ],
    )),
);

static REFERENCES: Arr = arr(
    1,
    false,
    Node::Object(&obj(
        &["summary", "url"],
        &[
            ("category", Node::Str(Str::Enum(&["external", "self"]))),
            ("summary", NE),
            ("url", URI),
        ],
    )),
);

/// `products_t` and `product_groups_t`: non-empty lists of distinct ids.
static IDS: Arr = arr(1, true, NE);

static PRODUCT_TREE: Obj = Obj {
    min_props: 1,
    ..obj(
        &[],
        &[
            ("branches", Node::Array(&BRANCHES)),
            (
                "full_product_names",
                Node::Array(&arr(1, false, Node::Object(&FULL_PRODUCT_NAME))),
            ),
            (
                "product_groups",
                Node::Array(&arr(
                    1,
                    false,
                    Node::Object(&obj(
                        &["group_id", "product_ids"],
                        &[
                            ("group_id", NE),
                            ("product_ids", Node::Array(&arr(2, true, NE))),
                            ("summary", NE),
                        ],
                    )),
                )),
            ),
            (
                "relationships",
                Node::Array(&arr(
                    1,
                    false,
                    Node::Object(&obj(
                        &[
                            "category",
                            "full_product_name",
                            "product_reference",
                            "relates_to_product_reference",
                        ],
                        &[
                            (
                                "category",
                                Node::Str(Str::Enum(&[
                                    "default_component_of",
                                    "external_component_of",
                                    "installed_on",
                                    "installed_with",
                                    "optional_component_of",
                                ])),
                            ),
                            ("full_product_name", Node::Object(&FULL_PRODUCT_NAME)),
                            ("product_reference", NE),
                            ("relates_to_product_reference", NE),
                        ],
                    )),
                )),
            ),
        ],
    )
};

static BRANCHES: Arr = arr(1, false, Node::Object(&BRANCH));

/// A branch has a category, a name and exactly one of `branches` or
/// `product` (min and max three properties).
static BRANCH: Obj = Obj {
    min_props: 3,
    max_props: 3,
    ..obj(
        &["category", "name"],
        &[
            ("branches", Node::Array(&BRANCHES)),
            (
                "category",
                Node::Str(Str::Enum(&[
                    "architecture",
                    "host_name",
                    "language",
                    "legacy",
                    "patch_level",
                    "product_family",
                    "product_name",
                    "product_version",
                    "product_version_range",
                    "service_pack",
                    "specification",
                    "vendor",
                ])),
            ),
            ("name", NE),
            ("product", Node::Object(&FULL_PRODUCT_NAME)),
        ],
    )
};

static FULL_PRODUCT_NAME: Obj = obj(
    &["name", "product_id"],
    &[
        ("name", NE),
        ("product_id", NE),
        ("product_identification_helper", Node::Object(&HELPER)),
    ],
);

static HELPER: Obj = Obj {
    min_props: 1,
    ..obj(
        &[],
        &[
            (
                "cpe",
                Node::Str(Str::Pattern(cpe_pattern, "must be a CPE 2.2 or 2.3 name")),
            ),
            (
                "hashes",
                Node::Array(&arr(
                    1,
                    false,
                    Node::Object(&obj(
                        &["file_hashes", "filename"],
                        &[
                            (
                                "file_hashes",
                                Node::Array(&arr(
                                    1,
                                    false,
                                    Node::Object(&obj(
                                        &["algorithm", "value"],
                                        &[
                                            ("algorithm", NE),
                                            (
                                                "value",
                                                Node::Str(Str::Pattern(
                                                    hash_pattern,
                                                    "must be at least 32 hexadecimal digits",
                                                )),
                                            ),
                                        ],
                                    )),
                                )),
                            ),
                            ("filename", NE),
                        ],
                    )),
                )),
            ),
            ("model_numbers", Node::Array(&arr(1, true, NE))),
            (
                "purl",
                Node::Str(Str::Pattern(
                    purl_pattern,
                    "must be a package URL (pkg:type/name)",
                )),
            ),
            ("sbom_urls", Node::Array(&arr(1, false, URI))),
            ("serial_numbers", Node::Array(&arr(1, true, NE))),
            ("skus", Node::Array(&arr(1, false, NE))),
            (
                "x_generic_uris",
                Node::Array(&arr(
                    1,
                    false,
                    Node::Object(&obj(
                        &["namespace", "uri"],
                        &[("namespace", URI), ("uri", URI)],
                    )),
                )),
            ),
        ],
    )
};

static VULNERABILITIES: Arr = arr(1, false, Node::Object(&VULNERABILITY));

static VULNERABILITY: Obj = Obj {
    min_props: 1,
    ..obj(
        &[],
        &[
            ("acknowledgments", Node::Array(&ACKNOWLEDGMENTS)),
            (
                "cve",
                Node::Str(Str::Pattern(cve_pattern, "must look like CVE-2021-44228")),
            ),
            (
                "cwe",
                Node::Object(&obj(
                    &["id", "name"],
                    &[
                        (
                            "id",
                            Node::Str(Str::Pattern(cwe_pattern, "must look like CWE-79")),
                        ),
                        ("name", NE),
                    ],
                )),
            ),
            ("discovery_date", DT),
            (
                "flags",
                Node::Array(&arr(
                    1,
                    true,
                    Node::Object(&obj(
                        &["label"],
                        &[
                            ("date", DT),
                            ("group_ids", Node::Array(&IDS)),
                            (
                                "label",
                                Node::Str(Str::Enum(&[
                                    "component_not_present",
                                    "inline_mitigations_already_exist",
                                    "vulnerable_code_cannot_be_controlled_by_adversary",
                                    "vulnerable_code_not_in_execute_path",
                                    "vulnerable_code_not_present",
                                ])),
                            ),
                            ("product_ids", Node::Array(&IDS)),
                        ],
                    )),
                )),
            ),
            (
                "ids",
                Node::Array(&arr(
                    1,
                    true,
                    Node::Object(&obj(
                        &["system_name", "text"],
                        &[("system_name", NE), ("text", NE)],
                    )),
                )),
            ),
            (
                "involvements",
                Node::Array(&arr(
                    1,
                    true,
                    Node::Object(&obj(
                        &["party", "status"],
                        &[
                            ("date", DT),
                            (
                                "party",
                                Node::Str(Str::Enum(&[
                                    "coordinator",
                                    "discoverer",
                                    "other",
                                    "user",
                                    "vendor",
                                ])),
                            ),
                            (
                                "status",
                                Node::Str(Str::Enum(&[
                                    "completed",
                                    "contact_attempted",
                                    "disputed",
                                    "in_progress",
                                    "not_contacted",
                                    "open",
                                ])),
                            ),
                            ("summary", NE),
                        ],
                    )),
                )),
            ),
            ("notes", Node::Array(&NOTES)),
            ("product_status", Node::Object(&PRODUCT_STATUS)),
            ("references", Node::Array(&REFERENCES)),
            ("release_date", DT),
            (
                "remediations",
                Node::Array(&arr(
                    1,
                    false,
                    Node::Object(&obj(
                        &["category", "details"],
                        &[
                            (
                                "category",
                                Node::Str(Str::Enum(&[
                                    "mitigation",
                                    "no_fix_planned",
                                    "none_available",
                                    "vendor_fix",
                                    "workaround",
                                ])),
                            ),
                            ("date", DT),
                            ("details", NE),
                            ("entitlements", Node::Array(&arr(1, false, NE))),
                            ("group_ids", Node::Array(&IDS)),
                            ("product_ids", Node::Array(&IDS)),
                            (
                                "restart_required",
                                Node::Object(&obj(
                                    &["category"],
                                    &[
                                        (
                                            "category",
                                            Node::Str(Str::Enum(&[
                                                "connected",
                                                "dependencies",
                                                "machine",
                                                "none",
                                                "parent",
                                                "service",
                                                "system",
                                                "vulnerable_component",
                                                "zone",
                                            ])),
                                        ),
                                        ("details", NE),
                                    ],
                                )),
                            ),
                            ("url", URI),
                        ],
                    )),
                )),
            ),
            (
                "scores",
                Node::Array(&arr(
                    1,
                    false,
                    // The CVSS objects' content is 6.1.8's business.
                    Node::Object(&Obj {
                        min_props: 2,
                        ..obj(
                            &["products"],
                            &[
                                ("cvss_v2", Node::Object(&ANY_OBJECT)),
                                ("cvss_v3", Node::Object(&ANY_OBJECT)),
                                ("products", Node::Array(&IDS)),
                            ],
                        )
                    }),
                )),
            ),
            (
                "threats",
                Node::Array(&arr(
                    1,
                    false,
                    Node::Object(&obj(
                        &["category", "details"],
                        &[
                            (
                                "category",
                                Node::Str(Str::Enum(&["exploit_status", "impact", "target_set"])),
                            ),
                            ("date", DT),
                            ("details", NE),
                            ("group_ids", Node::Array(&IDS)),
                            ("product_ids", Node::Array(&IDS)),
                        ],
                    )),
                )),
            ),
            ("title", NE),
        ],
    )
};

static PRODUCT_STATUS: Obj = Obj {
    min_props: 1,
    ..obj(
        &[],
        &[
            ("first_affected", Node::Array(&IDS)),
            ("first_fixed", Node::Array(&IDS)),
            ("fixed", Node::Array(&IDS)),
            ("known_affected", Node::Array(&IDS)),
            ("known_not_affected", Node::Array(&IDS)),
            ("last_affected", Node::Array(&IDS)),
            ("recommended", Node::Array(&IDS)),
            ("under_investigation", Node::Array(&IDS)),
        ],
    )
};

static ANY_OBJECT: Obj = obj(&[], &[]);

/// Checks `doc` against the schema table; findings carry the test id
/// `"schema"`.
pub(super) fn check(doc: &Value, out: &mut Vec<Finding>) {
    let mut at = String::new();
    check_node(&Node::Object(&ROOT), doc, &mut at, out);
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn push(out: &mut Vec<Finding>, at: &str, message: String) {
    out.push(Finding::new("schema", at, message));
}

fn check_node(node: &Node, v: &Value, at: &mut String, out: &mut Vec<Finding>) {
    match node {
        Node::Object(o) => {
            let Some(map) = v.as_object() else {
                push(out, at, format!("must be an object, not {}", type_name(v)));
                return;
            };
            for r in o.required {
                if !map.contains_key(*r) {
                    push(out, &format!("{at}/{r}"), "is required but missing".into());
                }
            }
            if map.len() < o.min_props {
                push(
                    out,
                    at,
                    format!(
                        "needs at least {} properties, has {}",
                        o.min_props,
                        map.len()
                    ),
                );
            } else if map.len() > o.max_props {
                push(
                    out,
                    at,
                    format!(
                        "may have at most {} properties, has {}",
                        o.max_props,
                        map.len()
                    ),
                );
            }
            for (name, child) in o.props {
                if let Some(cv) = map.get(*name) {
                    let len = at.len();
                    at.push('/');
                    at.push_str(name);
                    check_node(child, cv, at, out);
                    at.truncate(len);
                }
            }
        }
        Node::Array(a) => {
            let Some(list) = v.as_array() else {
                push(out, at, format!("must be an array, not {}", type_name(v)));
                return;
            };
            if list.len() < a.min {
                push(
                    out,
                    at,
                    format!(
                        "needs at least {} item{}",
                        a.min,
                        if a.min == 1 { "" } else { "s" }
                    ),
                );
            }
            if a.unique {
                for (i, j) in duplicates(list) {
                    push(
                        out,
                        &format!("{at}/{j}"),
                        format!("repeats item {i}; items must be unique"),
                    );
                }
            }
            for (i, item) in list.iter().enumerate() {
                let len = at.len();
                at.push('/');
                at.push_str(&i.to_string());
                check_node(&a.item, item, at, out);
                at.truncate(len);
            }
        }
        Node::Str(rule) => {
            let Some(s) = v.as_str() else {
                push(out, at, format!("must be a string, not {}", type_name(v)));
                return;
            };
            if s.is_empty() {
                push(out, at, "must not be empty".into());
                return;
            }
            let problem = match rule {
                Str::NonEmpty => None,
                Str::Enum(values) => (!values.contains(&s))
                    .then(|| format!("is \"{s}\", must be one of {}", values.join(", "))),
                Str::DateTime => datetime::parse(s)
                    .is_none()
                    .then(|| format!("\"{s}\" is not an RFC 3339 date-time")),
                Str::Uri => (!is_uri(s)).then(|| format!("\"{s}\" is not a URI")),
                Str::Version => Version::parse(s).is_none().then(|| {
                    format!("\"{s}\" is neither an integer version nor a semantic version")
                }),
                Str::Lang => bcp47::well_formed(s)
                    .err()
                    .map(|e| format!("\"{s}\" is not a language tag: {e}")),
                Str::Pattern(f, what) => (!f(s)).then(|| format!("\"{s}\" {what}")),
            };
            if let Some(p) = problem {
                push(out, at, p);
            }
        }
    }
}

/// Pairs (first index, later index) of equal items (JSON equality: object
/// key order does not matter). Each item is hashed by a canonical text, so a
/// long list costs linear time.
fn duplicates(list: &[Value]) -> Vec<(usize, usize)> {
    use std::collections::HashMap;
    let mut out = Vec::new();
    // Strings (the long lists: product ids) are hashed as they are.
    let mut strings: HashMap<&str, usize> = HashMap::new();
    let mut others: HashMap<String, usize> = HashMap::new();
    for (j, v) in list.iter().enumerate() {
        let first = match v {
            Value::String(s) => *strings.entry(s.as_str()).or_insert(j),
            other => {
                let mut text = String::new();
                canonical(other, &mut text);
                *others.entry(text).or_insert(j)
            }
        };
        if first != j {
            out.push((first, j));
        }
    }
    out
}

/// JSON text with object keys sorted, so equal values give equal text.
fn canonical(v: &Value, out: &mut String) {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for k in keys {
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                if let Some(x) = map.get(k) {
                    canonical(x, out);
                }
                out.push(',');
            }
            out.push('}');
        }
        Value::Array(list) => {
            out.push('[');
            for x in list {
                canonical(x, out);
                out.push(',');
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// `^[^\s\-_\.](.*[^\s\-_\.])?$` of `/document/category`.
fn category_pattern(s: &str) -> bool {
    let edge = |c: char| !(c.is_whitespace() || matches!(c, '-' | '_' | '.'));
    no_line_break(s) && s.chars().next().is_some_and(edge) && s.chars().last().is_some_and(edge)
}

/// `^[\S](.*[\S])?$` of `/document/tracking/id`.
fn no_outer_space(s: &str) -> bool {
    no_line_break(s)
        && s.chars().next().is_some_and(|c| !c.is_whitespace())
        && s.chars().last().is_some_and(|c| !c.is_whitespace())
}

/// JavaScript's `.` does not match line terminators.
fn no_line_break(s: &str) -> bool {
    !s.chars()
        .any(|c| matches!(c, '\n' | '\r' | '\u{2028}' | '\u{2029}'))
}

/// `^CVE-[0-9]{4}-[0-9]{4,}$`.
fn cve_pattern(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("CVE-") else {
        return false;
    };
    let Some((year, num)) = rest.split_once('-') else {
        return false;
    };
    year.len() == 4
        && year.bytes().all(|b| b.is_ascii_digit())
        && num.len() >= 4
        && num.bytes().all(|b| b.is_ascii_digit())
}

/// `^CWE-[1-9]\d{0,5}$`.
fn cwe_pattern(s: &str) -> bool {
    s.strip_prefix("CWE-").is_some_and(|n| {
        (1..=6).contains(&n.len()) && n.bytes().all(|b| b.is_ascii_digit()) && !n.starts_with('0')
    })
}

/// `^[0-9a-fA-F]{32,}$` of a file hash value.
fn hash_pattern(s: &str) -> bool {
    s.len() >= 32 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// `^pkg:[A-Za-z\.\-\+][A-Za-z0-9\.\-\+]*/.+` plus the `uri` format; the
/// purl's own syntax is test 6.1.13.
fn purl_pattern(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("pkg:") else {
        return false;
    };
    let Some((ty, name)) = rest.split_once('/') else {
        return false;
    };
    let ty_ok = ty
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || matches!(b, b'.' | b'-' | b'+'))
        && ty
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'+'));
    ty_ok && !name.is_empty() && no_line_break(name) && is_uri(s)
}

/// A CPE name: the 2.3 formatted string binding (`cpe:2.3:part:vendor:...`,
/// 13 components) or the 2.2 URI binding (`cpe:/a:vendor:product`), as the
/// schema's pattern describes them.
fn cpe_pattern(s: &str) -> bool {
    if let Some(rest) = s.strip_prefix("cpe:2.3:") {
        // Split on ':' not preceded by a quoting backslash.
        let mut comps: Vec<String> = vec![String::new()];
        let mut chars = rest.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some(q) => {
                        if let Some(last) = comps.last_mut() {
                            last.push('\\');
                            last.push(q);
                        }
                    }
                    None => return false,
                },
                ':' => comps.push(String::new()),
                c => {
                    if let Some(last) = comps.last_mut() {
                        last.push(c);
                    }
                }
            }
        }
        if comps.len() != 11 || !matches!(comps[0].as_str(), "a" | "h" | "o" | "*" | "-") {
            return false;
        }
        return comps[1..].iter().enumerate().all(|(i, c)| {
            if i == 5 {
                cpe_language(c)
            } else {
                cpe_component(c)
            }
        });
    }
    let b = s.as_bytes();
    if b.len() < 5
        || b[0] != b'c'
        || !matches!(b[1], b'p' | b'P')
        || !matches!(b[2], b'e' | b'E')
        || &b[3..5] != b":/"
    {
        return false;
    }
    let rest = &s[5..];
    let (part, comps) = match rest.find(':') {
        Some(k) => (&rest[..k], Some(&rest[k..])),
        None => (rest, None),
    };
    if !(part.is_empty() || matches!(part, "a" | "h" | "o" | "A" | "H" | "O")) {
        return false;
    }
    match comps {
        None => true,
        Some(c) => {
            let parts: Vec<&str> = c[1..].split(':').collect();
            parts.len() <= 6
                && parts.iter().all(|p| {
                    p.bytes().all(|b| {
                        b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'~' | b'%')
                    })
                })
        }
    }
}

/// One CPE 2.3 component: `*`, `-`, or value characters (with `\`-quoted
/// punctuation) optionally wrapped in `?`/`*` wildcards at either end.
fn cpe_component(c: &str) -> bool {
    if c == "*" || c == "-" {
        return true;
    }
    let mut s = c;
    if let Some(r) = s.strip_prefix('*') {
        s = r;
    } else {
        s = s.trim_start_matches('?');
    }
    if let Some(r) = s.strip_suffix('*') {
        if !r.ends_with('\\') {
            s = r;
        }
    } else {
        while s.ends_with('?') && !s.ends_with("\\?") {
            s = &s[..s.len() - 1];
        }
    }
    if s.is_empty() {
        return false;
    }
    let mut chars = s.chars();
    while let Some(ch) = chars.next() {
        let ok = if ch == '\\' {
            chars
                .next()
                .is_some_and(|q| "\\*?!\"#$%&'()+,/:;<=>@[]^`{|}~".contains(q))
        } else {
            ch.is_ascii_alphanumeric() || matches!(ch, '-' | '.' | '_')
        };
        if !ok {
            return false;
        }
    }
    true
}

/// The CPE 2.3 language component: `*`, `-` or a tag like `en` or `en-us`.
fn cpe_language(c: &str) -> bool {
    if c == "*" || c == "-" {
        return true;
    }
    let (lang, region) = match c.split_once('-') {
        Some((l, r)) => (l, Some(r)),
        None => (c, None),
    };
    (2..=3).contains(&lang.len())
        && lang.bytes().all(|b| b.is_ascii_alphabetic())
        && region.is_none_or(|r| {
            (r.len() == 2 && r.bytes().all(|b| b.is_ascii_alphabetic()))
                || (r.len() == 3 && r.bytes().all(|b| b.is_ascii_digit()))
        })
}

/// The `uri` format (RFC 3986 section 3): a scheme, `:`, then only
/// characters a URI may contain, percent-escapes well formed, at most one
/// `#`.
pub(super) fn is_uri(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once(':') else {
        return false;
    };
    let scheme_ok = scheme
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic())
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
    if !scheme_ok || rest.matches('#').count() > 1 {
        return false;
    }
    let b = rest.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'%' {
            if !(b.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
            {
                return false;
            }
            i += 3;
            continue;
        }
        let ok = c.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/?#[]".contains(&c);
        if !ok {
            return false;
        }
        i += 1;
    }
    true
}
