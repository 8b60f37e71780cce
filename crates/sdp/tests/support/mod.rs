//! Shared helpers for the integration tests: where the third-party test data lives.

use std::collections::HashMap;
use std::path::PathBuf;

/// `$HARDPHONE_TESTDATA`, else `shared/testdata` next to the workspace.
pub fn testdata_dir() -> PathBuf {
    match std::env::var("HARDPHONE_TESTDATA") {
        Ok(dir) => PathBuf::from(dir),
        Err(_) => PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/testdata")),
    }
}

/// The rows of a TSV file with a header line, as column name → cell.
pub fn read_tsv(relative: &str) -> Vec<HashMap<String, String>> {
    let path = testdata_dir().join(relative);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header line").split('\t').collect();
    lines
        .filter(|line| !line.is_empty())
        .map(|line| header.iter().map(|h| h.to_string()).zip(line.split('\t').map(str::to_owned)).collect())
        .collect()
}
