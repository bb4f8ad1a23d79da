//! The model's own JSON: an alert as `hfr show --json` prints it, as the API
//! serves it and as `schema/alert.schema.json` describes it.
//!
//! This is how alerts written by hand (the demo data, an analyst's draft) or
//! taken from another hfr archive come in. Unlike a HotFix page there is
//! nothing to guess, so there are no warnings: the document either is an
//! alert or it is refused with the line and column of the first problem.

use hfr_model::Alert;

use crate::{decode, ImportError, Parsed};

/// The format name recorded with revisions read from model JSON.
pub const FORMAT: &str = "hfr-json";

/// True when the text looks like a JSON document (its first non-blank
/// character opens an object), so callers can route a file without trusting
/// its name.
pub fn looks_like_json(text: &str) -> bool {
    text.trim_start_matches('\u{feff}')
        .trim_start()
        .starts_with('{')
}

/// Reads one alert in the model's JSON from raw bytes (UTF-8, with or without
/// a byte order mark).
pub fn read_alert_json(bytes: &[u8], file: &str) -> Result<Parsed, ImportError> {
    let decoded = decode::decode(bytes, file)?;
    if decoded.cut_at.is_some() {
        return Err(ImportError::NotAlertJson {
            file: file.into(),
            line: decoded.text.lines().count().max(1),
            column: 1,
            reason: "the file ends inside a character: it was cut short".into(),
        });
    }
    let text = decoded.text.trim_start_matches('\u{feff}');
    let alert: Alert = serde_json::from_str(text).map_err(|e| ImportError::NotAlertJson {
        file: file.into(),
        line: e.line(),
        column: e.column(),
        reason: e.to_string(),
    })?;
    if alert.id.trim().is_empty() {
        return Err(ImportError::NotAlertJson {
            file: file.into(),
            line: 1,
            column: 1,
            reason: "the document has no \"id\"; every alert needs its bulletin id".into(),
        });
    }
    // The model fills in absent fields with defaults, so a misspelt key would
    // vanish without a word; refuse any key the model does not know instead.
    let given: serde_json::Value =
        serde_json::from_str(text).map_err(|e| ImportError::NotAlertJson {
            file: file.into(),
            line: e.line(),
            column: e.column(),
            reason: e.to_string(),
        })?;
    let kept = serde_json::to_value(&alert).map_err(|e| ImportError::NotAlertJson {
        file: file.into(),
        line: 1,
        column: 1,
        reason: e.to_string(),
    })?;
    if let Some(path) = unknown_key(&given, &kept, String::new()) {
        return Err(ImportError::NotAlertJson {
            file: file.into(),
            line: line_of_key(text, &path),
            column: 1,
            reason: format!("`{path}` is not a field of the alert model (see schema/alert.schema.json); nothing of it would be kept"),
        });
    }
    Ok(Parsed {
        alert,
        warnings: Vec::new(),
        format: FORMAT,
        encoding: decoded.encoding,
        text: text.to_string(),
    })
}

/// The path of the first key in `given` that the model did not keep.
fn unknown_key(given: &serde_json::Value, kept: &serde_json::Value, at: String) -> Option<String> {
    use serde_json::Value;
    match (given, kept) {
        (Value::Object(g), Value::Object(k)) => g.iter().find_map(|(key, v)| {
            let path = if at.is_empty() {
                key.clone()
            } else {
                format!("{at}.{key}")
            };
            match k.get(key) {
                None => Some(path),
                Some(kv) => unknown_key(v, kv, path),
            }
        }),
        (Value::Array(g), Value::Array(k)) => g
            .iter()
            .zip(k)
            .enumerate()
            .find_map(|(i, (gv, kv))| unknown_key(gv, kv, format!("{at}[{i}]"))),
        _ => None,
    }
}

/// The first line that holds the last key of `path`, quoted (1 when none
/// does), to point an editor at the problem.
fn line_of_key(text: &str, path: &str) -> usize {
    let last = path.rsplit('.').next().unwrap_or(path);
    let last = last.split('[').next().unwrap_or(last);
    let needle = format!("\"{last}\"");
    text.lines()
        .position(|l| l.contains(&needle))
        .map_or(1, |i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn minimal() -> String {
        let alert = Alert {
            id: "MS05-999".into(),
            ..Alert::default()
        };
        serde_json::to_string_pretty(&alert).unwrap_or_default()
    }

    #[test]
    fn an_alert_round_trips() {
        let text = minimal();
        let parsed = read_alert_json(text.as_bytes(), "a.json").unwrap();
        assert_eq!(parsed.alert.id, "MS05-999");
        assert_eq!(parsed.format, FORMAT);
        assert!(parsed.warnings.is_empty());
        assert_eq!(parsed.text, text);
    }

    #[test]
    fn a_bom_is_accepted() {
        let text = format!("\u{feff}{}", minimal());
        let parsed = read_alert_json(text.as_bytes(), "a.json").unwrap();
        assert_eq!(parsed.alert.id, "MS05-999");
        assert!(looks_like_json(&text));
    }

    #[test]
    fn errors_name_file_line_and_column() {
        let text = minimal().replace("\"severity\": null", "\"severity\": 9");
        assert_ne!(text, minimal(), "the fixture must contain a severity");
        let err = read_alert_json(text.as_bytes(), "bad.json").unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("bad.json: line "), "{msg}");
        assert!(msg.contains("column"), "{msg}");

        let err = read_alert_json(b"{\"id\": \"MS05-001\",", "cut.json").unwrap_err();
        assert!(err.to_string().starts_with("cut.json: line 1"), "{err}");

        let err = read_alert_json(b"{\"title\": \"x\"}", "noid.json").unwrap_err();
        assert!(err.to_string().contains("\"id\""), "{err}");
    }

    #[test]
    fn a_misspelt_key_is_refused_with_its_path() {
        let text = minimal().replace("\"severity\"", "\"severty\"");
        let err = read_alert_json(text.as_bytes(), "typo.json").unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("`severty`"), "{msg}");
        let line = text
            .lines()
            .position(|l| l.contains("severty"))
            .unwrap_or(0)
            + 1;
        assert!(msg.starts_with(&format!("typo.json: line {line}")), "{msg}");

        let mut alert: serde_json::Value = serde_json::from_str(&minimal()).unwrap();
        alert["target"] = serde_json::json!({"server": true, "client": false, "serverz": true});
        let err = read_alert_json(alert.to_string().as_bytes(), "t.json").unwrap_err();
        assert!(err.to_string().contains("`target.serverz`"), "{err}");
    }

    #[test]
    fn only_objects_look_like_json() {
        assert!(looks_like_json("  \n{\"id\":1}"));
        assert!(!looks_like_json("[1]"));
        assert!(!looks_like_json("HotFix Alert"));
    }
}
