//! Product names: one catalogue for every part of hfr.
//!
//! The legacy HotFix pages, MSRC's CVRF documents and the fleet check all
//! name products, each in its own way: "Windows Server 2003 SP未適用/SP1",
//! "Windows Server 2008 for x64-based Systems Service Pack 2 (Server Core
//! installation)", an inventory's edition and service pack. This module
//! turns all of them into one structured key, [`Product`], so that a name
//! means the same thing wherever it came from:
//!
//! - [`parse`] reads one name, [`expand`] a legacy list of them;
//! - [`Product::id`] is a stable string for database keys and CSAF product
//!   ids, read back by [`Product::from_id`];
//! - [`Product::display_name`] is the canonical English name (the vendor's
//!   own wording stays in [`ParsedProduct::display`]);
//! - [`Product::covers`] answers the fleet check's question, "does this
//!   machine's product fall under this alert's product?".
//!
//! What the parser knows is data: [`BASES`] has one row per base product
//! with its family, spellings and editions. The module does no I/O, like
//! the rest of the model.
//!
//! Decisions worth knowing:
//!
//! - Versions in a product's marketing name belong to the base product
//!   ("Word 2016", "Internet Explorer 11", "Exchange Server 2013"); a
//!   release is a version *within* one base product (Windows 10 1607,
//!   .NET Framework 4.6.2, Excel Viewer 2007).
//! - Editions hang off their base product, so "Windows 2000" covers
//!   "Windows 2000 Server", and editions nest only where the table says
//!   (Advanced Server within Server; NT 4.0 Terminal Server Edition, with
//!   its own service packs, not within Server).
//! - Names are read literally. MSRC's "Windows 10 for x64-based Systems"
//!   meant the first release (1507) once later ones had their own names,
//!   and "Windows Vista Service Pack 2" meant the 32-bit build; the key
//!   does not guess that, so such a key covers the later releases or the
//!   x64 build too. An importer that knows a source's habits can fill the
//!   fields in.
//! - A name with a word the catalogue does not know is unknown as a whole
//!   (with a warning) rather than read as the broader product it starts
//!   with: an unknown key covers only itself, so the fleet check reports it
//!   instead of matching too much or too little.

mod parse;
mod product;
mod table;

pub use parse::{expand, expand_parsed, parse, ParsedProduct, Warning};
pub use product::{Arch, Channel, IdError, Install, Product, ServicePack, UpdateLevel};
pub use table::{lookup, lookup_slug, BaseProduct, Edition, Family, Kind, ReleaseStyle, BASES};

/// Splits a known product name off the start of `text`: the longest
/// catalogue spelling that `text` starts with (ignoring ASCII case),
/// followed by the end or a space, and the rest after the spaces.
///
/// The plain rendering of the legacy pages prints the "software" and
/// "platform" columns of a row with only a space between them ("Proxy
/// Server 2.0 Windows NT Server 4.0 SP3以降"); knowing the names is the only
/// way to tell where the first column ends. Spellings too vague for that
/// ("Windows") are left out ([`BaseProduct::bare`]).
pub fn split_product_prefix(text: &str) -> Option<(&str, &str)> {
    let idx = table::index();
    idx.all
        .iter()
        .filter(|(_, hit)| !BASES[hit.row].bare)
        .map(|(s, _)| s.as_str())
        .filter(|s| {
            text.get(..s.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(s))
                && text[s.len()..]
                    .chars()
                    .next()
                    .is_none_or(|c| c == ' ' || c == '\u{3000}')
        })
        .max_by_key(|s| s.len())
        .map(|s| {
            (
                &text[..s.len()],
                text[s.len()..].trim_start_matches([' ', '\u{3000}']),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longest_name_wins() {
        let (p, rest) =
            split_product_prefix("Windows NT Server 4.0 Terminal Server Edition Windows NT")
                .unwrap();
        assert_eq!(p, "Windows NT Server 4.0 Terminal Server Edition");
        assert_eq!(rest, "Windows NT");
        let (p, rest) =
            split_product_prefix("Proxy Server 2.0 Windows NT Server 4.0 SP3以降").unwrap();
        assert_eq!(p, "Proxy Server 2.0");
        assert_eq!(rest, "Windows NT Server 4.0 SP3以降");
    }

    #[test]
    fn a_prefix_must_end_at_a_word() {
        assert!(split_product_prefix("Windows 2000x").is_none());
        assert!(split_product_prefix("Linux").is_none());
        // Too vague to split on.
        assert!(split_product_prefix("Windows Update Services").is_none());
        assert!(split_product_prefix("Windows Server Update Services 3.0").is_none());
    }

    #[test]
    fn edition_slugs_are_not_qualifier_tokens() {
        for row in BASES {
            for e in row.editions {
                assert!(
                    !product::is_reserved_token(e.slug),
                    "{}: edition slug {} reads as a qualifier",
                    row.name,
                    e.slug
                );
            }
        }
    }

    #[test]
    fn every_spelling_parses_to_its_row() {
        for (s, hit) in &table::index().all {
            let p = parse(s);
            assert!(p.warnings.is_empty(), "{s}: {:?}", p.warnings);
            let row = &BASES[hit.row];
            assert_eq!(p.product.name, row.name, "{s}");
            assert_eq!(
                p.product.edition.as_deref(),
                hit.edition.map(|e| row.editions[e].name),
                "{s}"
            );
        }
    }
}
