//! Microsoft's CVRF documents in `shared/data/msrc-cvrf`, for the MSRC
//! tests: each file once, read and parsed.
#![allow(dead_code)]

use std::path::PathBuf;

use hfr_import::cvrf::{self, CvrfDocument};

#[path = "../common/mod.rs"]
mod common;

/// One data file: its name (e.g. `2017/cvrfDocument-2017-Mar.xml`), bytes
/// and parsed document.
pub struct Month {
    pub name: String,
    pub bytes: Vec<u8>,
    pub doc: CvrfDocument,
}

/// The document files, sorted by path; `None` (with a notice) when the data
/// set is absent outside CI.
pub fn files() -> Option<Vec<PathBuf>> {
    let dir = common::data_dir("msrc-cvrf")?;
    let mut files = Vec::new();
    for year in ["2016", "2017"] {
        for e in std::fs::read_dir(dir.join(year)).expect("read the data set") {
            let p = e.expect("entry").path();
            if p.extension().is_some_and(|x| x == "xml") {
                files.push(p);
            }
        }
    }
    files.sort();
    Some(files)
}

/// Every month, parsed.
pub fn months() -> Option<Vec<Month>> {
    let files = files()?;
    Some(
        files
            .iter()
            .map(|p| {
                let bytes = std::fs::read(p).expect("read");
                let name = p
                    .components()
                    .rev()
                    .take(2)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/");
                let doc = cvrf::parse(&bytes, &name).unwrap_or_else(|e| panic!("{e}"));
                Month { name, bytes, doc }
            })
            .collect(),
    )
}

/// The month whose file name ends with `suffix`, e.g. `2017-Mar.xml`.
pub fn month(suffix: &str) -> Option<Month> {
    let files = files()?;
    let path = files
        .iter()
        .find(|p| p.to_string_lossy().ends_with(suffix))
        .unwrap_or_else(|| panic!("no {suffix} in the data set"));
    let bytes = std::fs::read(path).expect("read");
    let name = path.display().to_string();
    let doc = cvrf::parse(&bytes, &name).unwrap_or_else(|e| panic!("{e}"));
    Some(Month { name, bytes, doc })
}
