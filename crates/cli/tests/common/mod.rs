//! What the `hfr` binary's tests share: a fresh archive in a temporary
//! folder, the binary run against it as a user runs it (real processes, a
//! real SQLite file, none of the mail or archive settings of the caller's
//! environment), and the paths of fixtures and of the shared data sets.
//!
//! Each test file uses part of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// This crate's folder as cargo reports it when running the test. The
/// compile-time `env!` value is only the fallback: a test binary can outlive
/// the checkout it was built in when checkouts share a target directory.
pub fn manifest_dir() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
}

/// A file of `crates/cli/tests/fixtures`.
pub fn fixture(name: &str) -> PathBuf {
    manifest_dir().join("tests/fixtures").join(name)
}

/// A path in the repository (`demo/alerts`, `schema/…`).
pub fn repo(p: &str) -> PathBuf {
    manifest_dir().join("../..").join(p)
}

/// `shared/data/{sub}` beside the workspace, or None (with a notice) when
/// it is missing outside CI; under CI (`CI=true`) a missing data set fails
/// the test.
pub fn data(sub: &str) -> Option<PathBuf> {
    let p = manifest_dir().join("../../../shared/data").join(sub);
    if p.exists() {
        return Some(p);
    }
    let msg = format!("the data set is missing: expected {}", p.display());
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{msg}");
    }
    eprintln!("notice: {msg}; skipping this test");
    None
}

pub fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// An archive of its own: `archive.sqlite` in a temporary folder that goes
/// with it.
pub struct Archive {
    pub dir: tempfile::TempDir,
}

impl Archive {
    pub fn new() -> Self {
        Archive {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    pub fn db(&self) -> PathBuf {
        self.dir.path().join("archive.sqlite")
    }

    /// `hfr --db <this archive> ARGS`, with no HFR_* settings inherited.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_hfr"));
        cmd.arg("--db").arg(self.db()).args(args);
        for var in ["HFR_DB", "HFR_MAIL_FROM", "HFR_BASE_URL", "HFR_SMTP"] {
            cmd.env_remove(var);
        }
        cmd
    }

    pub fn hfr(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run hfr")
    }

    /// Runs hfr, expecting success; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.hfr(args);
        assert!(
            out.status.success(),
            "hfr {args:?} failed: {}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8 stdout")
    }

    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        serde_json::from_str(&self.ok(args)).expect("JSON output")
    }

    /// Runs hfr, expecting it to fail with exit code 1; returns stderr.
    pub fn fails(&self, args: &[&str]) -> String {
        let out = self.hfr(args);
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(1), "hfr {args:?}: {err}");
        err
    }

    /// Writes a file into the archive's folder.
    pub fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, bytes).expect("write");
        p
    }

    /// How many alerts the archive holds.
    pub fn alerts(&self) -> usize {
        self.json(&["list", "--json"])
            .as_array()
            .map_or(0, Vec::len)
    }

    /// The archive's files on disk (the database and its WAL).
    pub fn size(&self) -> u64 {
        std::fs::read_dir(self.dir.path())
            .expect("dir")
            .filter_map(Result::ok)
            .filter(|e| {
                e.file_name()
                    .to_string_lossy()
                    .starts_with("archive.sqlite")
            })
            .map(|e| e.metadata().map_or(0, |m| m.len()))
            .sum()
    }
}
