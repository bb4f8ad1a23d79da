//! How the archive keeps a source document: its text deflated (zlib), and
//! found again by the SHA-256 of the text.
//!
//! Why deflated: a month of Microsoft's data is a few megabytes of XML that
//! deflate's fastest level makes ten times smaller (23 MB of CVRF become
//! 2.2 MB). Kept as text it was more than half of an archive of vendor
//! data and of everything an import writes, and writing is the one part of
//! an import that cannot run on every core. Both the hash and the deflate
//! are done before the import transaction needs them, on a blocking thread
//! (see `import_entry_stream`), so the writer only copies the small result.
//!
//! Rows written before this (and the texts the migrations moved) keep their
//! text in `sources.text`; a row whose `deflated` is not NULL has `text`
//! empty and its text in `deflated`.

use std::io::{Read, Write};

use sha2::{Digest, Sha256};

/// A text ready for the `sources` table.
#[derive(Debug, Clone)]
pub(crate) struct KeptText {
    /// SHA-256 of the text as UTF-8, hex.
    pub sha256: String,
    /// Length of the text in bytes.
    pub bytes: i64,
    /// The text, zlib at the fastest level; None in the case that cannot
    /// happen (deflating into memory failed), and then the row keeps the
    /// text as it is.
    pub deflated: Option<Vec<u8>>,
}

impl KeptText {
    pub fn of(text: &str) -> KeptText {
        let mut z = flate2::write::ZlibEncoder::new(
            Vec::with_capacity(text.len() / 8 + 64),
            flate2::Compression::fast(),
        );
        let deflated = z.write_all(text.as_bytes()).and_then(|()| z.finish()).ok();
        KeptText {
            sha256: sha256_hex(text),
            bytes: i64::try_from(text.len()).unwrap_or(i64::MAX),
            deflated,
        }
    }
}

/// SHA-256 of a text, hex: the key a source document is kept under.
pub(crate) fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The text of a row's `deflated` column, which must inflate to exactly
/// `bytes` bytes of UTF-8; the error says what is wrong. Reads no more than
/// `bytes` + 1 bytes, so a damaged row cannot make it inflate without end.
pub(crate) fn inflate(deflated: &[u8], bytes: i64) -> Result<String, String> {
    let want =
        u64::try_from(bytes).map_err(|_| format!("the stored length {bytes} is negative"))?;
    let mut out = Vec::with_capacity(usize::try_from(want).unwrap_or(0).min(1 << 30));
    flate2::read::ZlibDecoder::new(deflated)
        .take(want.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|e| format!("the kept document does not inflate: {e}"))?;
    if out.len() as u64 != want {
        return Err(format!(
            "the kept document inflates to {} bytes, not the {want} recorded",
            out.len()
        ));
    }
    String::from_utf8(out).map_err(|e| format!("the kept document is not UTF-8: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_comes_back_whole() {
        let text = "HotFix Alert ✓ ".repeat(1000);
        let kept = KeptText::of(&text);
        let deflated = kept.deflated.expect("deflated");
        assert!(deflated.len() < text.len() / 10);
        assert_eq!(kept.bytes, text.len() as i64);
        assert_eq!(kept.sha256, sha256_hex(&text));
        assert_eq!(inflate(&deflated, kept.bytes).as_deref(), Ok(text.as_str()));
        let empty = KeptText::of("").deflated.expect("deflated");
        assert_eq!(inflate(&empty, 0).as_deref(), Ok(""));
    }

    #[test]
    fn damage_is_named() {
        let deflated = KeptText::of("some text").deflated.expect("deflated");
        let short = inflate(&deflated, 4).unwrap_err();
        assert!(short.contains("not the 4 recorded"), "{short}");
        let long = inflate(&deflated, 100).unwrap_err();
        assert!(long.contains("9 bytes"), "{long}");
        let broken = inflate(&deflated[..4], 9).unwrap_err();
        assert!(broken.contains("does not inflate"), "{broken}");
        assert!(inflate(b"not zlib", 9).is_err());
        assert!(inflate(&deflated, -1).unwrap_err().contains("negative"));
    }
}
