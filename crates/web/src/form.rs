//! Reading `application/x-www-form-urlencoded` request bodies, strictly.
//!
//! The query-string parser the archive pages use is lenient on purpose (a
//! bad `%` becomes U+FFFD and the filter simply matches nothing). A form
//! that writes to the store must not guess: a body that is not UTF-8 after
//! decoding, a stray `%`, or an absurd number of fields is refused whole,
//! and nothing is stored.

/// More fields than any of the site's forms can send (the product list is
/// capped well below this): beyond it the body is a script's, not a form's.
pub(crate) const MAX_FIELDS: usize = 1000;

/// Why a body could not be read as a form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum FormError {
    #[error("a field is not valid percent-encoded UTF-8")]
    Encoding,
    #[error("more than {MAX_FIELDS} fields")]
    TooManyFields,
}

/// Is the Content-Type that of an HTML form's default encoding? Parameters
/// (`; charset=UTF-8`) are allowed; the body is read as UTF-8 regardless,
/// as the pages declare.
pub(crate) fn is_urlencoded(content_type: Option<&str>) -> bool {
    content_type
        .and_then(|c| c.split(';').next())
        .is_some_and(|m| {
            m.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

/// The fields of a body, in order, names and values decoded (`+` is a
/// space). Empty pieces (`a=1&&b=2`) are skipped, as browsers never send
/// them; a piece without `=` is a field with an empty value.
pub(crate) fn parse(body: &[u8]) -> Result<Vec<(String, String)>, FormError> {
    let mut fields = Vec::new();
    for piece in body.split(|&b| b == b'&').filter(|p| !p.is_empty()) {
        if fields.len() == MAX_FIELDS {
            return Err(FormError::TooManyFields);
        }
        let (name, value) = match piece.iter().position(|&b| b == b'=') {
            Some(i) => (&piece[..i], &piece[i + 1..]),
            None => (piece, &[][..]),
        };
        fields.push((decode(name)?, decode(value)?));
    }
    Ok(fields)
}

fn decode(raw: &[u8]) -> Result<String, FormError> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = raw.get(i + 1..i + 3).ok_or(FormError::Encoding)?;
                let hex = std::str::from_utf8(hex).map_err(|_| FormError::Encoding)?;
                let byte = u8::from_str_radix(hex, 16).map_err(|_| FormError::Encoding)?;
                out.push(byte);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| FormError::Encoding)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_decode_strictly() {
        let f = parse(b"address=a%40example.org&product=Windows+XP&&weekly=1&x").unwrap();
        assert_eq!(
            f,
            vec![
                ("address".into(), "a@example.org".into()),
                ("product".into(), "Windows XP".into()),
                ("weekly".into(), "1".into()),
                ("x".into(), String::new()),
            ]
        );
        assert_eq!(parse(b"a=%E7%B7%8A%E6%80%A5").unwrap()[0].1, "緊急");
        assert_eq!(parse(b"a=b%0D%0Ac").unwrap()[0].1, "b\r\nc");
        for bad in [
            &b"a=%"[..],
            b"a=%4",
            b"a=%zz",
            b"a=%FF",
            b"%C3=1",
            b"a=\xff",
        ] {
            assert_eq!(parse(bad), Err(FormError::Encoding), "{bad:?}");
        }
        let many = "a=1&".repeat(MAX_FIELDS + 1);
        assert_eq!(parse(many.as_bytes()), Err(FormError::TooManyFields));
        assert!(parse(b"").unwrap().is_empty());
    }

    #[test]
    fn only_the_urlencoded_type_is_a_form() {
        assert!(is_urlencoded(Some("application/x-www-form-urlencoded")));
        assert!(is_urlencoded(Some(
            "Application/X-WWW-Form-Urlencoded; charset=UTF-8"
        )));
        assert!(!is_urlencoded(Some("multipart/form-data; boundary=x")));
        assert!(!is_urlencoded(Some("text/plain")));
        assert!(!is_urlencoded(None));
    }
}
