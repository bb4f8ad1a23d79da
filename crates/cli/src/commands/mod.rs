//! One module per subcommand.

pub mod edit;
pub mod export;
pub mod export_site;
pub mod fleet;
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

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use hfr_import::{Document, Format, SCREEN_BYTES};
use sha2::{Digest, Sha256};

/// A file read from disk: what the importer made of it, and the SHA-256 of
/// the original bytes (kept with the revisions as provenance).
pub struct Input {
    pub document: Document,
    pub sha256: String,
}

/// The default of `--max-size`. Microsoft's largest monthly document is
/// under 3 MB and a HotFix page tens of kilobytes; a limit well above both
/// still keeps a stray disk image from being read into memory.
pub const DEFAULT_MAX_SIZE: &str = "64M";

/// `--format`: the formats `hfr import` and `hfr parse` read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FormatArg {
    /// A HotFix Alert page (text: UTF-8, UTF-16, Shift_JIS or EUC-JP).
    Hotfix,
    /// An alert in hfr's JSON, as `hfr show --json` prints it.
    Json,
    /// Microsoft's monthly document, CVRF 1.1 XML.
    Cvrf,
    /// The same document as the JSON of Microsoft's CVRF API.
    MsrcJson,
    /// A CSAF 2.0 advisory from any provider.
    Csaf,
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Format {
        match f {
            FormatArg::Hotfix => Format::HotFix,
            FormatArg::Json => Format::Json,
            FormatArg::Cvrf => Format::Cvrf,
            FormatArg::MsrcJson => Format::MsrcJson,
            FormatArg::Csaf => Format::Csaf,
        }
    }
}

/// How input files are read, shared by `import` and `parse`.
#[derive(Debug, Clone, clap::Args)]
pub struct InputArgs {
    /// Read every file in this format instead of telling it from the content.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<FormatArg>,

    /// Refuse files larger than this, before reading them: bytes, or with
    /// a K, M or G suffix (binary units).
    #[arg(long, value_name = "SIZE", default_value = DEFAULT_MAX_SIZE, value_parser = parse_size)]
    pub max_size: u64,

    /// Do not print parser warnings.
    #[arg(short, long)]
    pub quiet: bool,
}

/// A size as `--max-size` takes it: `1048576`, `512K`, `64M`, `1G`
/// (also `64MiB`, `64MB`: all binary units).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (number, unit) = t.split_at(digits);
    let n: u64 = number
        .parse()
        .map_err(|_| format!("{s:?} is not a size (e.g. 64M, 512K, 1G)"))?;
    let factor: u64 = match unit.trim().to_ascii_uppercase().as_str() {
        "" | "B" => 1,
        "K" | "KB" | "KIB" => 1 << 10,
        "M" | "MB" | "MIB" => 1 << 20,
        "G" | "GB" | "GIB" => 1 << 30,
        other => return Err(format!("{other:?} is not a size unit (K, M or G)")),
    };
    n.checked_mul(factor)
        .ok_or_else(|| format!("{s:?} is too large"))
}

/// Reads and parses one file, printing its warnings to stderr unless
/// `quiet`.
///
/// Memory stays bounded whatever the file: one larger than the limit is
/// refused from its size before a byte is read, one that grows or has no
/// size (a pipe) is read through a window of the limit plus one byte, and
/// the first [`SCREEN_BYTES`] are checked before the rest is read, so an
/// archive or a disk image is refused after a few kilobytes.
pub fn read_input(path: &Path, args: &InputArgs) -> anyhow::Result<Input> {
    let name = crate::display_path(path);
    let limit = args.max_size;
    let file = std::fs::File::open(path).with_context(|| format!("{name}: cannot read"))?;
    let meta = file
        .metadata()
        .with_context(|| format!("{name}: cannot read"))?;
    if meta.is_dir() {
        bail!("{name}: is a directory, not a document");
    }
    if meta.len() > limit {
        bail!(
            "{name}: {} bytes is larger than the limit of {limit} bytes (--max-size); nothing of it was read",
            meta.len()
        );
    }
    let too_large = || {
        anyhow::anyhow!(
            "{name}: larger than the limit of {limit} bytes (--max-size); it was not read further"
        )
    };
    // Memory for the whole file only once its start has passed the screen.
    let expected = usize::try_from(meta.len().min(limit)).unwrap_or(0);
    let mut bytes = Vec::with_capacity(expected.min(SCREEN_BYTES));
    let mut reader = file.take(limit.saturating_add(1));
    (&mut reader)
        .take(SCREEN_BYTES as u64)
        .read_to_end(&mut bytes)
        .with_context(|| format!("{name}: cannot read"))?;
    hfr_import::screen(&bytes, &name)?;
    bytes.reserve(expected.saturating_sub(bytes.len()).saturating_add(1));
    reader
        .read_to_end(&mut bytes)
        .with_context(|| format!("{name}: cannot read"))?;
    if bytes.len() as u64 > limit {
        return Err(too_large());
    }
    let document = hfr_import::read_any(&bytes, &name, args.format.map(Format::from))?;
    if !args.quiet {
        print_warnings(&name, &document);
    }
    let sha256 = Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok(Input { document, sha256 })
}

fn print_warnings(name: &str, document: &Document) {
    for w in document.warnings() {
        eprintln!("warning: {name}: {w}");
    }
}

/// [`read_input`] of every path, on every core (a month of Microsoft's
/// data takes tens of milliseconds to read, and an import is often a year
/// of them). The answers, and the warnings on stderr, come in the order of
/// `paths`.
pub fn read_inputs(paths: &[PathBuf], args: &InputArgs) -> Vec<anyhow::Result<Input>> {
    let mut all = Vec::with_capacity(paths.len());
    read_inputs_each(paths, args, |_, input| all.push(input));
    all
}

/// [`read_inputs`], handing each answer to `each` (with its index) on the
/// calling thread as soon as it and all before it are read, so that the
/// caller can store one file while the next are being read.
pub fn read_inputs_each(
    paths: &[PathBuf],
    args: &InputArgs,
    mut each: impl FnMut(usize, anyhow::Result<Input>),
) {
    use std::collections::BTreeMap;
    use std::sync::{Condvar, Mutex};
    /// Finished answers not yet handed on, and the number of readers still
    /// running (so that a reader that panicked cannot leave us waiting).
    type Done = Mutex<(BTreeMap<usize, anyhow::Result<Input>>, usize)>;
    /// Counts a reader out however it ends.
    struct Leaving<'a>(&'a Done, &'a Condvar);
    impl Drop for Leaving<'_> {
        fn drop(&mut self) {
            if let Ok(mut d) = self.0.lock() {
                d.1 -= 1;
            }
            self.1.notify_all();
        }
    }
    let quiet = InputArgs {
        quiet: true,
        ..args.clone()
    };
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(paths.len())
        .max(1);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let done: Done = Mutex::new((BTreeMap::new(), workers));
    let ready = Condvar::new();
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                let _leaving = Leaving(&done, &ready);
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(path) = paths.get(i) else { break };
                    let input = read_input(path, &quiet);
                    if let Ok(mut d) = done.lock() {
                        d.0.insert(i, input);
                    }
                    ready.notify_all();
                }
            });
        }
        for (i, path) in paths.iter().enumerate() {
            let input = {
                let Ok(mut d) = done.lock() else { break };
                loop {
                    if let Some(input) = d.0.remove(&i) {
                        break input;
                    }
                    if d.1 == 0 {
                        let name = crate::display_path(path);
                        break Err(anyhow::anyhow!("{name}: the reader stopped unexpectedly"));
                    }
                    d = match ready.wait(d) {
                        Ok(d) => d,
                        Err(_) => return,
                    };
                }
            };
            if let (Ok(input), false) = (&input, args.quiet) {
                print_warnings(&crate::display_path(path), &input.document);
            }
            each(i, input);
        }
    });
}

/// What the store is given for one document read by [`read_input`] (or by
/// `hfr sync` from the network): `name` and `sha256` identify the source,
/// whose text is kept once for every alert it makes.
pub fn import_entry(
    document: hfr_import::Document,
    name: String,
    sha256: String,
    force: bool,
) -> hfr_store::ImportEntry {
    use hfr_store::{ImportEntry, ImportItem, ReleaseImport, Source, SourceKind};
    let source = |format: &str, text: String| Source {
        kind: SourceKind::Import,
        name,
        format: format.to_string(),
        sha256: Some(sha256),
        text: Some(text),
    };
    match document {
        hfr_import::Document::Alert(p) => ImportEntry::Alert(ImportItem {
            source: source(p.format, p.text),
            alert: p.alert,
            force,
        }),
        hfr_import::Document::Release(r) => ImportEntry::Release(ReleaseImport {
            source: source(r.format, r.text),
            release: r.release,
            alerts: r.alerts,
            force,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_take_binary_units() {
        assert_eq!(parse_size("1024"), Ok(1024));
        assert_eq!(parse_size(DEFAULT_MAX_SIZE), Ok(64 << 20));
        assert_eq!(parse_size("512k"), Ok(512 << 10));
        assert_eq!(parse_size("2GiB"), Ok(2 << 30));
        assert!(parse_size("lots").is_err());
        assert!(parse_size("5T").is_err());
        assert!(parse_size("99999999999999999999G").is_err());
    }
}
