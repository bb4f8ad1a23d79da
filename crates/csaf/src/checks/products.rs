//! Tests on the product tree and on the references to it (CSAF 2.0
//! sections 6.1.1–6.1.6, 6.1.13, 6.1.25, 6.1.29, 6.1.31–6.1.33).
//!
//! Why they matter to an importer: product ids are how a vulnerability says
//! which products it concerns; an id that is undefined, defined twice or
//! defined through a cycle leaves that mapping ambiguous.

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use super::{items, purl, text, Finding};

/// The product status lists of a vulnerability (section 3.2.3.9).
pub(super) const STATUS_LISTS: &[&str] = &[
    "first_affected",
    "first_fixed",
    "fixed",
    "known_affected",
    "known_not_affected",
    "last_affected",
    "recommended",
    "under_investigation",
];

/// Every `full_product_name_t` of the product tree with its pointer: the
/// `full_product_names`, each relationship's `full_product_name`, and each
/// branch's `product` at any depth (walked with a stack, not recursion).
pub(super) fn product_names(doc: &Value) -> Vec<(String, &Value)> {
    let mut out = Vec::new();
    let Some(tree) = doc.get("product_tree") else {
        return out;
    };
    for (i, p) in items(tree, "full_product_names") {
        out.push((format!("/product_tree/full_product_names/{i}"), p));
    }
    for (i, r) in items(tree, "relationships") {
        if let Some(p) = r.get("full_product_name") {
            out.push((
                format!("/product_tree/relationships/{i}/full_product_name"),
                p,
            ));
        }
    }
    for (at, b) in branches(tree) {
        if let Some(p) = b.get("product") {
            out.push((format!("{at}/product"), p));
        }
    }
    out
}

/// Every branch below `tree` at any depth, with its pointer, in document
/// order (pre-order, walked with a stack rather than recursion).
pub(super) fn branches(tree: &Value) -> Vec<(String, &Value)> {
    fn push_children<'a>(stack: &mut Vec<(String, &'a Value)>, at: &str, node: &'a Value) {
        let children: Vec<(usize, &Value)> = items(node, "branches").collect();
        for (i, b) in children.into_iter().rev() {
            stack.push((format!("{at}/branches/{i}"), b));
        }
    }
    let mut out = Vec::new();
    let mut stack: Vec<(String, &Value)> = Vec::new();
    push_children(&mut stack, "/product_tree", tree);
    while let Some((at, b)) = stack.pop() {
        push_children(&mut stack, &at, b);
        out.push((at, b));
    }
    out
}

/// Product id definitions: (id, pointer of its `product_id`).
fn definitions(doc: &Value) -> Vec<(&str, String)> {
    product_names(doc)
        .into_iter()
        .filter_map(|(at, p)| text(p, "product_id").map(|id| (id, format!("{at}/product_id"))))
        .collect()
}

/// The product groups: group id → its product ids.
pub(super) fn groups(doc: &Value) -> HashMap<&str, Vec<&str>> {
    let mut map: HashMap<&str, Vec<&str>> = HashMap::new();
    if let Some(tree) = doc.get("product_tree") {
        for (_, g) in items(tree, "product_groups") {
            if let Some(id) = text(g, "group_id") {
                map.entry(id)
                    .or_default()
                    .extend(items(g, "product_ids").filter_map(|(_, p)| p.as_str()));
            }
        }
    }
    map
}

/// The string items of `v[key]` with their pointers below `at`.
fn id_list<'a>(v: &'a Value, key: &str, at: &str) -> Vec<(&'a str, String)> {
    items(v, key)
        .filter_map(|(i, x)| x.as_str().map(|s| (s, format!("{at}/{key}/{i}"))))
        .collect()
}

/// 6.1.1 Missing Definition of Product ID: every product id used in a
/// product group, a relationship, a product status, a remediation, a score,
/// a threat or a flag is defined in the product tree.
pub(super) fn t_6_1_1(doc: &Value, out: &mut Vec<Finding>) {
    let defined: HashSet<&str> = definitions(doc).into_iter().map(|(id, _)| id).collect();
    // Pointers are only built for the ids that are missing: a large
    // document references hundreds of thousands.
    fn check(
        defined: &HashSet<&str>,
        out: &mut Vec<Finding>,
        v: &Value,
        key: &str,
        at: &dyn Fn() -> String,
    ) {
        for (i, x) in items(v, key) {
            if let Some(id) = x.as_str() {
                if !defined.contains(id) {
                    out.push(Finding::new(
                        "6.1.1",
                        format!("{}/{key}/{i}", at()),
                        format!("product id {id} is not defined in the product tree"),
                    ));
                }
            }
        }
    }
    if let Some(tree) = doc.get("product_tree") {
        for (i, g) in items(tree, "product_groups") {
            check(&defined, out, g, "product_ids", &|| {
                format!("/product_tree/product_groups/{i}")
            });
        }
        for (i, r) in items(tree, "relationships") {
            for key in ["product_reference", "relates_to_product_reference"] {
                if let Some(id) = text(r, key) {
                    if !defined.contains(id) {
                        out.push(Finding::new(
                            "6.1.1",
                            format!("/product_tree/relationships/{i}/{key}"),
                            format!("product id {id} is not defined in the product tree"),
                        ));
                    }
                }
            }
        }
    }
    for (vi, v) in items(doc, "vulnerabilities") {
        if let Some(ps) = v.get("product_status") {
            for list in STATUS_LISTS {
                check(&defined, out, ps, list, &|| {
                    format!("/vulnerabilities/{vi}/product_status")
                });
            }
        }
        for (key, list) in [
            ("remediations", "product_ids"),
            ("scores", "products"),
            ("threats", "product_ids"),
            ("flags", "product_ids"),
        ] {
            for (i, x) in items(v, key) {
                check(&defined, out, x, list, &|| {
                    format!("/vulnerabilities/{vi}/{key}/{i}")
                });
            }
        }
    }
}

/// 6.1.2 Multiple Definition of Product ID: a product id is defined once
/// (in full_product_names, a relationship or a branch), so that it names
/// one product.
pub(super) fn t_6_1_2(doc: &Value, out: &mut Vec<Finding>) {
    let mut first: HashMap<&str, String> = HashMap::new();
    for (id, at) in definitions(doc) {
        match first.get(id) {
            Some(prev) => out.push(Finding::new(
                "6.1.2",
                at,
                format!("product id {id} is already defined at {prev}"),
            )),
            None => {
                first.insert(id, at);
            }
        }
    }
}

/// 6.1.3 Circular Definition of Product ID: a product defined by a
/// relationship must not depend, through the relationships'
/// `product_reference`/`relates_to_product_reference`, on itself. Found with
/// Tarjan's strongly connected components, linear in the relationships.
pub(super) fn t_6_1_3(doc: &Value, out: &mut Vec<Finding>) {
    let Some(tree) = doc.get("product_tree") else {
        return;
    };
    let rels: Vec<&Value> = items(tree, "relationships").map(|(_, r)| r).collect();
    if rels.is_empty() {
        return;
    }
    // The relationship that defines a product id (the first, if several).
    let mut defined_by: HashMap<&str, usize> = HashMap::new();
    for (i, r) in rels.iter().enumerate() {
        if let Some(id) = r
            .get("full_product_name")
            .and_then(|p| text(p, "product_id"))
        {
            defined_by.entry(id).or_insert(i);
        }
    }
    const KEYS: [&str; 2] = ["product_reference", "relates_to_product_reference"];
    let edges: Vec<Vec<(usize, &str)>> = rels
        .iter()
        .map(|r| {
            KEYS.iter()
                .filter_map(|k| {
                    text(r, k)
                        .and_then(|id| defined_by.get(id))
                        .map(|&j| (j, *k))
                })
                .collect()
        })
        .collect();
    let component = strongly_connected(&edges);
    for (i, es) in edges.iter().enumerate() {
        for &(j, key) in es {
            // An edge inside a component is on a cycle (a self-edge too).
            if component[i] == component[j] {
                let id = text(rels[i], key).unwrap_or_default();
                out.push(Finding::new(
                    "6.1.3",
                    format!("/product_tree/relationships/{i}/{key}"),
                    format!("{id} is defined by a relationship that depends on this one (circular definition)"),
                ));
            }
        }
    }
}

/// Tarjan's algorithm, iterative: the component number of each node.
fn strongly_connected(edges: &[Vec<(usize, &str)>]) -> Vec<usize> {
    let n = edges.len();
    let mut index = vec![usize::MAX; n];
    let mut low = vec![0; n];
    let mut on_stack = vec![false; n];
    let mut comp = vec![usize::MAX; n];
    let mut stack = Vec::new();
    let (mut next_index, mut next_comp) = (0, 0);
    for root in 0..n {
        if index[root] != usize::MAX {
            continue;
        }
        // (node, position in its edge list)
        let mut call: Vec<(usize, usize)> = vec![(root, 0)];
        index[root] = next_index;
        low[root] = next_index;
        next_index += 1;
        stack.push(root);
        on_stack[root] = true;
        while let Some(&mut (v, ref mut pos)) = call.last_mut() {
            if let Some(&(w, _)) = edges[v].get(*pos) {
                *pos += 1;
                if index[w] == usize::MAX {
                    index[w] = next_index;
                    low[w] = next_index;
                    next_index += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    call.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
            } else {
                call.pop();
                if let Some(&(parent, _)) = call.last() {
                    low[parent] = low[parent].min(low[v]);
                }
                if low[v] == index[v] {
                    while let Some(w) = stack.pop() {
                        on_stack[w] = false;
                        comp[w] = next_comp;
                        if w == v {
                            break;
                        }
                    }
                    next_comp += 1;
                }
            }
        }
    }
    comp
}

/// 6.1.4 Missing Definition of Product Group ID: every group id used by a
/// remediation, threat or flag is defined in `product_tree/product_groups`.
pub(super) fn t_6_1_4(doc: &Value, out: &mut Vec<Finding>) {
    let groups = groups(doc);
    for (vi, v) in items(doc, "vulnerabilities") {
        for key in ["remediations", "threats", "flags"] {
            for (i, x) in items(v, key) {
                for (id, at) in id_list(x, "group_ids", &format!("/vulnerabilities/{vi}/{key}/{i}"))
                {
                    if !groups.contains_key(id) {
                        out.push(Finding::new(
                            "6.1.4",
                            at,
                            format!("product group id {id} is not defined in the product tree"),
                        ));
                    }
                }
            }
        }
    }
}

/// 6.1.5 Multiple Definition of Product Group ID: a group id is defined once.
pub(super) fn t_6_1_5(doc: &Value, out: &mut Vec<Finding>) {
    let Some(tree) = doc.get("product_tree") else {
        return;
    };
    let mut first: HashMap<&str, usize> = HashMap::new();
    for (i, g) in items(tree, "product_groups") {
        let Some(id) = text(g, "group_id") else {
            continue;
        };
        match first.get(id) {
            Some(prev) => out.push(Finding::new(
                "6.1.5",
                format!("/product_tree/product_groups/{i}/group_id"),
                format!("product group id {id} is already defined at /product_tree/product_groups/{prev}"),
            )),
            None => {
                first.insert(id, i);
            }
        }
    }
}

/// 6.1.6 Contradicting Product Status: within one vulnerability a product is
/// in at most one of the groups "affected" (first_affected, known_affected,
/// last_affected), "not affected" (known_not_affected), "fixed"
/// (first_fixed, fixed) and "under investigation". `recommended` is no
/// status of its own. A contradiction is reported where the product appears
/// in the later group, naming the earlier one.
pub(super) fn t_6_1_6(doc: &Value, out: &mut Vec<Finding>) {
    const GROUPS: &[(&str, &[&str])] = &[
        (
            "affected",
            &["first_affected", "known_affected", "last_affected"],
        ),
        ("not affected", &["known_not_affected"]),
        ("fixed", &["first_fixed", "fixed"]),
        ("under investigation", &["under_investigation"]),
    ];
    for (vi, v) in items(doc, "vulnerabilities") {
        let Some(ps) = v.get("product_status") else {
            continue;
        };
        let mut status_of: HashMap<&str, (&str, &str)> = HashMap::new();
        for (group, lists) in GROUPS {
            for list in *lists {
                for (i, p) in items(ps, list) {
                    let Some(id) = p.as_str() else { continue };
                    if let Some((other, other_list)) = status_of.get(id) {
                        if other != group {
                            out.push(Finding::new(
                                "6.1.6",
                                format!("/vulnerabilities/{vi}/product_status/{list}/{i}"),
                                format!(
                                    "product {id} is both {group} ({list}) and {other} ({other_list})"
                                ),
                            ));
                        }
                    }
                    status_of.entry(id).or_insert((group, list));
                }
            }
        }
    }
}

/// 6.1.13 PURL: every `product_identification_helper/purl` is a valid
/// package URL (see [`purl::parse`]).
pub(super) fn t_6_1_13(doc: &Value, out: &mut Vec<Finding>) {
    for (at, p) in product_names(doc) {
        let Some(s) = p
            .get("product_identification_helper")
            .and_then(|h| text(h, "purl"))
        else {
            continue;
        };
        if let Err(e) = purl::parse(s) {
            out.push(Finding::new(
                "6.1.13",
                format!("{at}/product_identification_helper/purl"),
                format!("invalid package URL: {e}"),
            ));
        }
    }
}

/// 6.1.25 Multiple Use of Same Hash Algorithm: within one `hashes` entry
/// (one file), each algorithm gives one value; two sha256 values for the same
/// file would contradict each other.
pub(super) fn t_6_1_25(doc: &Value, out: &mut Vec<Finding>) {
    for (at, p) in product_names(doc) {
        let Some(h) = p.get("product_identification_helper") else {
            continue;
        };
        for (hi, hash) in items(h, "hashes") {
            let mut seen: HashSet<&str> = HashSet::new();
            for (fi, fh) in items(hash, "file_hashes") {
                let Some(alg) = text(fh, "algorithm") else {
                    continue;
                };
                if !seen.insert(alg) {
                    out.push(Finding::new(
                        "6.1.25",
                        format!("{at}/product_identification_helper/hashes/{hi}/file_hashes/{fi}"),
                        format!("the file already has a {alg} hash"),
                    ));
                }
            }
        }
    }
}

/// 6.1.29 Remediation without Product Reference: a remediation names the
/// products it applies to (`product_ids` or `group_ids`); otherwise nobody
/// can tell which products it fixes.
pub(super) fn t_6_1_29(doc: &Value, out: &mut Vec<Finding>) {
    without_reference(doc, "remediations", "6.1.29", "remediation", out);
}

/// 6.1.32 Flag without Product Reference: likewise for flags.
pub(super) fn t_6_1_32(doc: &Value, out: &mut Vec<Finding>) {
    without_reference(doc, "flags", "6.1.32", "flag", out);
}

fn without_reference(
    doc: &Value,
    key: &str,
    test: &'static str,
    what: &str,
    out: &mut Vec<Finding>,
) {
    for (vi, v) in items(doc, "vulnerabilities") {
        for (i, x) in items(v, key) {
            if x.is_object() && x.get("product_ids").is_none() && x.get("group_ids").is_none() {
                out.push(Finding::new(
                    test,
                    format!("/vulnerabilities/{vi}/{key}/{i}"),
                    format!("the {what} names no product_ids or group_ids"),
                ));
            }
        }
    }
}

/// 6.1.31 Version Range in Product Version: a branch of category
/// `product_version` names one version; ranges belong in
/// `product_version_range`. Detected as the standard suggests: `<`, `<=`,
/// `>`, `>=` anywhere, or one of the words after, all, before, earlier,
/// later, prior, versions (case-insensitive, whole words).
pub(super) fn t_6_1_31(doc: &Value, out: &mut Vec<Finding>) {
    const WORDS: &[&str] = &[
        "after", "all", "before", "earlier", "later", "prior", "versions",
    ];
    let Some(tree) = doc.get("product_tree") else {
        return;
    };
    for (here, b) in branches(tree) {
        if text(b, "category") != Some("product_version") {
            continue;
        }
        let Some(name) = text(b, "name") else {
            continue;
        };
        let lower = name.to_lowercase();
        let hit = if lower.contains('<') || lower.contains('>') {
            Some("a comparison operator".to_owned())
        } else {
            lower
                .split_whitespace()
                .find(|w| WORDS.contains(w))
                .map(|w| format!("the word \"{w}\""))
        };
        if let Some(hit) = hit {
            out.push(Finding::new(
                "6.1.31",
                format!("{here}/name"),
                format!(
                    "\"{name}\" contains {hit}: a version range belongs in a product_version_range branch"
                ),
            ));
        }
    }
}

/// 6.1.33 Multiple Flags with VEX Justification Codes per Product: within a
/// vulnerability a product (directly or through a group) carries at most one
/// flag, since each flag is a justification why it is not affected. A
/// product that one flag names twice (directly and through a group) is not
/// a second flag.
pub(super) fn t_6_1_33(doc: &Value, out: &mut Vec<Finding>) {
    let groups = groups(doc);
    for (vi, v) in items(doc, "vulnerabilities") {
        let mut flagged: HashMap<&str, usize> = HashMap::new();
        for (fi, f) in items(v, "flags") {
            let mut products: Vec<&str> = items(f, "product_ids")
                .filter_map(|(_, p)| p.as_str())
                .collect();
            for (_, g) in items(f, "group_ids") {
                if let Some(members) = g.as_str().and_then(|g| groups.get(g)) {
                    products.extend(members.iter().copied());
                }
            }
            let mut clash: Option<(&str, usize)> = None;
            for p in products {
                match flagged.get(p) {
                    Some(&other) if other != fi => {
                        clash.get_or_insert((p, other));
                    }
                    Some(_) => {}
                    None => {
                        flagged.insert(p, fi);
                    }
                }
            }
            if let Some((p, other)) = clash {
                out.push(Finding::new(
                    "6.1.33",
                    format!("/vulnerabilities/{vi}/flags/{fi}"),
                    format!(
                        "product {p} already has a flag at /vulnerabilities/{vi}/flags/{other}"
                    ),
                ));
            }
        }
    }
}
