//! What the last sync saw of each document, so the next one asks only about
//! what may have changed.
//!
//! The state is a plain JSON map (document URL → validators) that the caller
//! loads before and saves after a sync. It belongs with the archive it
//! describes: an entry is recorded only after the caller has stored the
//! document, so a crash or a failed import leaves the document to be fetched
//! again rather than skipped forever.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::client::Validators;
use crate::SyncError;

/// The format version written into the file; a file from a newer hfr is
/// refused rather than misread.
const VERSION: u32 = 1;

/// What was recorded for one document URL.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateEntry {
    /// The server's `ETag`, sent back as `If-None-Match`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// The server's `Last-Modified`, sent back as `If-Modified-Since`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
    /// The date the listing gave for the document when it was fetched:
    /// MSRC's `CurrentReleaseDate`, a ROLIE entry's `updated`, the date in
    /// `changes.csv`. The same date next time means no request at all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_release_date: Option<String>,
    /// SHA-256 of the bytes stored: a server without validators that sends
    /// the same bytes again is recognised as unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// The media type asked for (MSRC serves XML and JSON at one URL): a
    /// copy fetched in the other format does not count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
}

impl StateEntry {
    pub fn validators(&self) -> Validators {
        Validators {
            etag: self.etag.clone(),
            last_modified: self.last_modified.clone(),
        }
    }
}

/// The sync state: document URL → [`StateEntry`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncState {
    version: u32,
    /// Sorted, so the file diffs well and saves deterministically.
    documents: BTreeMap<String, StateEntry>,
}

impl Default for SyncState {
    fn default() -> Self {
        SyncState::new()
    }
}

impl SyncState {
    pub fn new() -> Self {
        SyncState {
            version: VERSION,
            documents: BTreeMap::new(),
        }
    }

    pub fn get(&self, url: &str) -> Option<&StateEntry> {
        self.documents.get(url)
    }

    /// Records what was stored for `url`; call it only once the document
    /// is safely in the archive (or was found unchanged).
    pub fn record(&mut self, url: &str, entry: StateEntry) {
        self.documents.insert(url.to_string(), entry);
    }

    pub fn len(&self) -> usize {
        self.documents.len()
    }

    pub fn is_empty(&self) -> bool {
        self.documents.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &StateEntry)> {
        self.documents.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Reads a state from JSON. `name` names the input in errors.
    pub fn from_json(bytes: &[u8], name: &str) -> Result<Self, SyncError> {
        let state: SyncState = serde_json::from_slice(bytes).map_err(|e| SyncError::State {
            path: name.to_string(),
            reason: format!("not an hfr sync state: {e}"),
        })?;
        if state.version != VERSION {
            return Err(SyncError::State {
                path: name.to_string(),
                reason: format!(
                    "sync state version {} (this hfr reads version {VERSION})",
                    state.version
                ),
            });
        }
        Ok(state)
    }

    pub fn to_json(&self) -> String {
        // A map of strings and options always serialises.
        serde_json::to_string_pretty(self).unwrap_or_else(|_| String::from("{}"))
    }

    /// Loads the state file; a missing file is an empty state (the first
    /// sync). The file is small (a few hundred bytes per document) but is
    /// still refused past 256 MiB rather than read whole.
    pub fn load(path: &Path) -> Result<Self, SyncError> {
        let name = path.display().to_string();
        let io = |e: std::io::Error| SyncError::State {
            path: name.clone(),
            reason: format!("cannot read: {e}"),
        };
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(SyncState::new()),
            Err(e) => return Err(io(e)),
        };
        const MAX: u64 = 256 * 1024 * 1024;
        if meta.len() > MAX {
            return Err(SyncError::State {
                path: name,
                reason: format!("{} bytes is too large for a sync state", meta.len()),
            });
        }
        let bytes = std::fs::read(path).map_err(io)?;
        SyncState::from_json(&bytes, &name)
    }

    /// Saves the state: written to a temporary file beside it, flushed,
    /// then renamed over the old one, so a crash leaves the old state or
    /// the new one, never half of either.
    pub fn save(&self, path: &Path) -> Result<(), SyncError> {
        let name = path.display().to_string();
        let err = |what: &str, e: std::io::Error| SyncError::State {
            path: name.clone(),
            reason: format!("cannot {what}: {e}"),
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| err("create its folder", e))?;
        }
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(".tmp");
        let tmp = std::path::PathBuf::from(tmp);
        let write = || -> std::io::Result<()> {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(self.to_json().as_bytes())?;
            f.write_all(b"\n")?;
            f.sync_all()
        };
        write().map_err(|e| err("write", e))?;
        std::fs::rename(&tmp, path).map_err(|e| err("replace", e))
    }
}
