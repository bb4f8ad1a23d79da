//! No text of a page is lost: every line is page furniture on an explicit
//! list, a label or option the model holds as structure, or its words are in
//! the alert's JSON.

mod common;

use hfr_import::read_hotfix_page;

const FIXTURES: &[(&str, &str)] = &[
    (
        "ms05-999_plain.txt",
        include_str!("fixtures/ms05-999_plain.txt"),
    ),
    (
        "ms05-998_table.txt",
        include_str!("fixtures/ms05-998_table.txt"),
    ),
];

#[test]
fn nothing_dropped_from_the_seed_pages() {
    for prefix in ["000", "001", "002", "003", "004"] {
        let Some((bytes, name)) = common::seed_bytes(prefix) else {
            return;
        };
        let parsed = read_hotfix_page(&bytes, &name).unwrap();
        let missing = common::dropped(&parsed.text, &parsed.alert);
        assert!(
            missing.is_empty(),
            "{name}: dropped text:\n{}",
            missing.join("\n")
        );
    }
}

#[test]
fn nothing_dropped_from_the_fixture_pages() {
    for (name, text) in FIXTURES {
        let parsed = read_hotfix_page(text.as_bytes(), name).unwrap();
        let missing = common::dropped(&parsed.text, &parsed.alert);
        assert!(
            missing.is_empty(),
            "{name}: dropped text:\n{}",
            missing.join("\n")
        );
    }
}

/// The check above must be able to fail: drop fields from a parsed alert and
/// it has to name the lost words.
#[test]
fn the_check_notices_a_dropped_field() {
    let (name, text) = FIXTURES[0];
    let parsed = read_hotfix_page(text.as_bytes(), name).unwrap();
    assert!(common::dropped(text, &parsed.alert).is_empty());

    let mut a = parsed.alert.clone();
    a.packages[0].files[2].description = None;
    let missing = common::dropped(text, &a);
    assert!(
        missing.iter().any(|m| m.contains("\"Helper\"")),
        "{missing:?}"
    );

    let mut a = parsed.alert.clone();
    a.rollout_basis = None;
    let missing = common::dropped(text, &a);
    assert!(
        missing
            .iter()
            .any(|m| m.contains("架空の測定条件による目安。")),
        "{missing:?}"
    );

    let mut a = parsed.alert.clone();
    a.notes.clear();
    let missing = common::dropped(text, &a);
    assert!(
        missing
            .iter()
            .any(|m| m.contains("架空の参考ページを挙げる。")),
        "{missing:?}"
    );

    let mut a = parsed.alert.clone();
    a.packages[1].size = None;
    let missing = common::dropped(text, &a);
    assert!(missing.iter().any(|m| m.contains("98,765")), "{missing:?}");
}
