//! Turning bytes into text: UTF-8, or the Japanese legacy encodings.
//!
//! The back numbers were saved by many hands over the years: most copies are
//! UTF-8, but pages saved from a 2004 browser on Windows are Shift_JIS and
//! pages mirrored on Unix hosts are often EUC-JP. Neither legacy encoding
//! announces itself, so the bytes are tried in order of how strict each
//! decoder is: UTF-8 first (a Japanese page in another encoding is almost never
//! valid UTF-8), then Shift_JIS and EUC-JP, keeping the one that decodes without
//! a single error *and* contains the headings of a HotFix page. Both checks are
//! needed because EUC-JP bytes often decode as Shift_JIS without error (as
//! half-width katakana soup); only the headings tell the right reading apart.

use encoding_rs::{Encoding, EUC_JP, SHIFT_JIS, UTF_16BE, UTF_16LE};

use crate::{hotfix, ImportError};

/// Text decoded from a file, with the name of the encoding it was in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    pub text: String,
    /// `UTF-8`, `Shift_JIS`, `EUC-JP`, `UTF-16LE` or `UTF-16BE`.
    pub encoding: &'static str,
    /// Set when the file ended inside a character (a page cut short mid-byte
    /// sequence): the bytes from this offset on were an incomplete character
    /// and were left out.
    pub cut_at: Option<usize>,
}

/// Decodes `bytes`; `file` names the input in errors.
///
/// Errors: [`ImportError::Empty`] for no bytes or only whitespace,
/// [`ImportError::Binary`] for NUL bytes (outside UTF-16 with a BOM), and
/// [`ImportError::Encoding`] when no candidate encoding reads the bytes
/// without error; the reported offset is where the candidate that got
/// furthest stopped, which is where a human should look.
pub fn decode(bytes: &[u8], file: &str) -> Result<Decoded, ImportError> {
    if bytes.is_empty() {
        return Err(ImportError::Empty { file: file.into() });
    }
    // A UTF-16 file is full of NUL bytes, so its BOM must be looked at before
    // the NUL check would call it binary.
    for (bom, enc, name) in [
        (&[0xFF, 0xFE][..], UTF_16LE, "UTF-16LE"),
        (&[0xFE, 0xFF][..], UTF_16BE, "UTF-16BE"),
    ] {
        if let Some(rest) = bytes.strip_prefix(bom) {
            return match strict(enc, rest) {
                Ok(text) => finish(text, name, file),
                Err(at) => Err(encoding_error(bytes, at + bom.len(), file)),
            };
        }
    }
    if let Some(offset) = bytes.iter().position(|&b| b == 0) {
        return Err(ImportError::Binary {
            file: file.into(),
            line: line_at(bytes, offset),
            offset,
        });
    }
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let utf8_err = match std::str::from_utf8(body) {
        Ok(s) => return finish(s.to_string(), "UTF-8", file),
        // The file ends inside a character: a page cut short. Keep the rest.
        Err(e) if e.error_len().is_none() => {
            let valid = &body[..e.valid_up_to()];
            let mut d = finish(String::from_utf8_lossy(valid).into_owned(), "UTF-8", file)?;
            d.cut_at = Some(e.valid_up_to() + (bytes.len() - body.len()));
            return Ok(d);
        }
        Err(e) => e.valid_up_to() + (bytes.len() - body.len()),
    };

    let mut candidates: Vec<(String, &'static str, Option<usize>)> = Vec::new();
    let mut furthest = utf8_err;
    for (enc, name) in [(SHIFT_JIS, "Shift_JIS"), (EUC_JP, "EUC-JP")] {
        match strict(enc, bytes) {
            Ok(text) => candidates.push((text, name, None)),
            // A lead byte without its trail byte at the very end: cut short.
            Err(at) if at > 0 && is_cut_lead(name, &bytes[at..]) => match strict(enc, &bytes[..at])
            {
                Ok(text) => candidates.push((text, name, Some(at))),
                Err(at) => furthest = furthest.max(at),
            },
            Err(at) => furthest = furthest.max(at),
        }
    }
    // Prefer the reading in which the page's own headings appear; if none has
    // them the parser will explain what the text looked like, so any clean
    // reading will do (Shift_JIS first: the service's own pages used it).
    let pick = candidates
        .iter()
        .position(|(t, _, _)| hotfix::has_markers(t))
        .or(if candidates.is_empty() { None } else { Some(0) });
    match pick {
        Some(i) => {
            let (text, name, cut_at) = candidates.swap_remove(i);
            let mut d = finish(text, name, file)?;
            d.cut_at = cut_at;
            Ok(d)
        }
        None => Err(encoding_error(bytes, furthest, file)),
    }
}

/// True when `tail` (the bytes after the last whole character) is the start
/// of a character in this encoding whose remaining bytes are missing: the
/// signature of a file cut short, as opposed to bytes that are simply wrong.
fn is_cut_lead(encoding: &str, tail: &[u8]) -> bool {
    match (encoding, tail) {
        ("Shift_JIS", [b]) => matches!(b, 0x81..=0x9F | 0xE0..=0xFC),
        ("EUC-JP", [b]) => matches!(b, 0x8E | 0x8F | 0xA1..=0xFE),
        ("EUC-JP", [0x8F, b]) => matches!(b, 0xA1..=0xFE),
        _ => false,
    }
}

fn finish(text: String, encoding: &'static str, file: &str) -> Result<Decoded, ImportError> {
    if text.chars().all(|c| c.is_whitespace() || c == '\u{feff}') {
        return Err(ImportError::Empty { file: file.into() });
    }
    Ok(Decoded {
        text,
        encoding,
        cut_at: None,
    })
}

/// Decodes without replacement characters; on failure returns the byte offset
/// at which the first malformed sequence starts.
fn strict(enc: &'static Encoding, bytes: &[u8]) -> Result<String, usize> {
    let mut decoder = enc.new_decoder_without_bom_handling();
    let cap = decoder
        .max_utf8_buffer_length_without_replacement(bytes.len())
        .unwrap_or(bytes.len() * 3 + 16);
    let mut out = String::with_capacity(cap);
    let (result, read) = decoder.decode_to_string_without_replacement(bytes, &mut out, true);
    match result {
        encoding_rs::DecoderResult::InputEmpty => Ok(out),
        encoding_rs::DecoderResult::Malformed(bad, after) => {
            Err(read.saturating_sub(after as usize + bad as usize))
        }
        // The buffer is sized for the worst case, so this cannot happen; treat
        // it as a failure at the point reached rather than panic.
        encoding_rs::DecoderResult::OutputFull => Err(read),
    }
}

fn encoding_error(bytes: &[u8], offset: usize, file: &str) -> ImportError {
    ImportError::Encoding {
        file: file.into(),
        line: line_at(bytes, offset),
        offset,
    }
}

/// 1-based line number of the byte at `offset`.
fn line_at(bytes: &[u8], offset: usize) -> usize {
    bytes[..offset.min(bytes.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = "深刻度\n1(緊急)\n脆弱性識別番号\nMS05-999/999999\n架空の脆弱性\n";

    #[test]
    fn utf8_with_and_without_bom() {
        let d = decode(PAGE.as_bytes(), "a.txt").unwrap();
        assert_eq!((d.text.as_str(), d.encoding), (PAGE, "UTF-8"));
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice(PAGE.as_bytes());
        let d = decode(&bom, "a.txt").unwrap();
        assert_eq!(d.text, PAGE);
    }

    #[test]
    fn shift_jis_and_euc_jp_are_told_apart() {
        for enc in [SHIFT_JIS, EUC_JP] {
            let (bytes, _, unmappable) = enc.encode(PAGE);
            assert!(!unmappable);
            assert!(std::str::from_utf8(&bytes).is_err());
            let d = decode(&bytes, "legacy.txt").unwrap();
            assert_eq!(d.text, PAGE, "{}", enc.name());
            assert_eq!(d.encoding, enc.name());
        }
    }

    #[test]
    fn a_file_cut_inside_a_character_keeps_what_came_before() {
        // "脆弱性" ends the text; cut its last character in half.
        let text = "深刻度\n1(緊急)\n脆弱性識別番号\nMS05-999/999999\n脆弱性";
        for enc in [encoding_rs::UTF_8, SHIFT_JIS, EUC_JP] {
            let (bytes, _, _) = enc.encode(text);
            let cut = &bytes[..bytes.len() - 1];
            let d = decode(cut, "cut.txt").unwrap_or_else(|e| panic!("{}: {e}", enc.name()));
            assert_eq!(d.encoding, enc.name());
            assert_eq!(d.text, text.strip_suffix('性').unwrap(), "{}", enc.name());
            assert_eq!(d.cut_at, Some(bytes.len() - enc.encode("性").0.len()));
        }
        // A bad byte in the middle is still an error, not a cut.
        let mut bytes = "深刻度\n".as_bytes().to_vec();
        bytes.push(0xFF);
        bytes.extend_from_slice("脆弱性識別番号\n".as_bytes());
        assert!(matches!(
            decode(&bytes, "bad.txt"),
            Err(ImportError::Encoding { line: 2, .. })
        ));
    }

    #[test]
    fn utf16_with_bom() {
        let mut bytes = vec![0xFF, 0xFE];
        for u in PAGE.encode_utf16() {
            bytes.extend_from_slice(&u.to_le_bytes());
        }
        let d = decode(&bytes, "w.txt").unwrap();
        assert_eq!((d.text.as_str(), d.encoding), (PAGE, "UTF-16LE"));
    }

    #[test]
    fn nul_bytes_are_binary_with_their_line() {
        let err = decode(b"abc\ndef\n\x00\x01\x02", "x.bin").unwrap_err();
        assert_eq!(
            err,
            ImportError::Binary {
                file: "x.bin".into(),
                line: 3,
                offset: 8
            }
        );
        assert!(err.to_string().contains("x.bin: line 3"));
    }

    #[test]
    fn empty_and_blank_files() {
        assert_eq!(
            decode(b"", "e.txt").unwrap_err(),
            ImportError::Empty {
                file: "e.txt".into()
            }
        );
        assert_eq!(
            decode(" \n\t\r\n\u{3000}\n".as_bytes(), "e.txt").unwrap_err(),
            ImportError::Empty {
                file: "e.txt".into()
            }
        );
    }

    #[test]
    fn undecodable_bytes_name_the_line() {
        // 0xFF starts no character in any of the three encodings.
        let err = decode(b"ok\nok\n\xFF\xFF", "bad.txt").unwrap_err();
        match err {
            ImportError::Encoding { line, offset, .. } => {
                assert_eq!(line, 3);
                assert_eq!(offset, 6);
            }
            e => panic!("unexpected {e:?}"),
        }
    }
}
