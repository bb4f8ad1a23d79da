//! One module per subcommand.

pub mod edit;
pub mod export;
pub mod export_site;
pub mod history;
pub mod import;
pub mod list;
pub mod mail;
pub mod parse;
pub mod publish;
pub mod serve;
pub mod show;
pub mod sync;
pub mod weekly;

use std::path::Path;

use anyhow::{bail, Context};
use hfr_import::Parsed;
use sha2::{Digest, Sha256};

/// A page read from disk: what the importer made of it, and the SHA-256 of
/// the original bytes (kept with the revision as provenance).
pub struct Page {
    pub parsed: Parsed,
    pub sha256: String,
}

/// HotFix pages are tens of kilobytes; anything this large is not one, and
/// reading it whole would only waste memory.
const MAX_PAGE_BYTES: u64 = 16 * 1024 * 1024;

/// Reads and parses one page file, printing its warnings to stderr.
pub fn read_page(path: &Path, quiet: bool) -> anyhow::Result<Page> {
    let name = crate::display_path(path);
    let meta = std::fs::metadata(path).with_context(|| format!("{name}: cannot read"))?;
    if meta.is_dir() {
        bail!("{name}: is a directory, not a page");
    }
    if meta.len() > MAX_PAGE_BYTES {
        bail!(
            "{name}: {} bytes is too large for a HotFix page (limit {} bytes)",
            meta.len(),
            MAX_PAGE_BYTES
        );
    }
    let bytes = std::fs::read(path).with_context(|| format!("{name}: cannot read"))?;
    let parsed = match read_csaf(&bytes, &name)? {
        Some(parsed) => parsed,
        None => hfr_import::read_document(&bytes, &name)?,
    };
    if !quiet {
        for w in &parsed.warnings {
            eprintln!("warning: {name}: {w}");
        }
    }
    let sha256 = Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok(Page { parsed, sha256 })
}

/// The format name recorded with revisions read from CSAF documents.
pub const CSAF_FORMAT: &str = "csaf";

/// Reads a CSAF 2.0 advisory (any provider's, or one `hfr export csaf`
/// wrote), told by its content: JSON with a top-level `document`, or a
/// provider's metadata or ROLIE feed, which are refused with a message
/// saying what they are. Anything else is None, for the other readers.
fn read_csaf(bytes: &[u8], name: &str) -> anyhow::Result<Option<Parsed>> {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]);
    if !hfr_import::json::looks_like_json(&head) {
        return Ok(None);
    }
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Ok(None);
    };
    let text = text.trim_start_matches('\u{feff}');
    let Ok(value) = serde_json::from_str::<serde_json::Value>(text) else {
        return Ok(None);
    };
    if !hfr_csaf::looks_like_csaf(&value) {
        return Ok(None);
    }
    let (alert, warnings) =
        hfr_csaf::from_csaf(&value).map_err(|e| anyhow::anyhow!("{name}: CSAF {e}"))?;
    Ok(Some(Parsed {
        alert,
        warnings: warnings
            .into_iter()
            .map(|w| hfr_import::Warning {
                line: None,
                section: format!("CSAF {}", w.pointer),
                message: w.message,
            })
            .collect(),
        format: CSAF_FORMAT,
        encoding: "UTF-8",
        text: text.to_string(),
    }))
}
