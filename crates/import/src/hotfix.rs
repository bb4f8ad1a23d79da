//! The HotFix Alert page parser. (stub: to be written)

use hfr_model::Alert;

use crate::{ImportError, Warning};

/// The format name recorded with each revision.
pub const FORMAT: &str = "hotfix-text";

/// Parses the decoded text of one page.
pub fn parse(text: &str, file: &str) -> Result<(Alert, Vec<Warning>), ImportError> {
    let _ = (text, file);
    Ok((Alert::default(), Vec::new()))
}
