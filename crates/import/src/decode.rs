//! Turning bytes into text: UTF-8, or the Japanese legacy encodings.
//! (stub: to be written)

use crate::ImportError;

pub struct Decoded {
    pub text: String,
    pub encoding: &'static str,
}

pub fn decode(bytes: &[u8], file: &str) -> Result<Decoded, ImportError> {
    if bytes.is_empty() {
        return Err(ImportError::Empty { file: file.into() });
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok(Decoded { text: s.to_string(), encoding: "UTF-8" }),
        Err(e) => Err(ImportError::Encoding { file: file.into(), line: 1, offset: e.valid_up_to() }),
    }
}
