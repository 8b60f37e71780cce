//! The fuzz corpus (`fuzz/corpus/<target>/*`) as a regression suite on stable Rust: every file
//! goes through the same oracle as its cargo-fuzz target (`sip::oracle`). A crash found by
//! fuzzing is minimized and added to the corpus as `crash-<description>`, so that this test pins
//! its fix.

use std::path::{Path, PathBuf};

/// `fuzz/corpus` at the workspace root.
fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus")
}

/// Runs `check` on every file of `fuzz/corpus/<target>`, reporting which file failed; returns how
/// many files ran.
fn run_corpus(target: &str, check: fn(&[u8])) -> usize {
    let dir = corpus().join(target);
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()));
    let mut paths: Vec<PathBuf> = entries.map(|e| e.expect("directory entry").path()).filter(|p| p.is_file()).collect();
    paths.sort();
    let mut failed = Vec::new();
    let mut ran = 0;
    for path in &paths {
        let data = match std::fs::read(path) {
            Ok(data) => data,
            // A running fuzzer replaces its own (hash-named) entries as it reduces them.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => panic!("cannot read {}: {e}", path.display()),
        };
        ran += 1;
        if std::panic::catch_unwind(|| check(&data)).is_err() {
            failed.push(path.display().to_string());
        }
    }
    assert!(failed.is_empty(), "{target}: {} corpus file(s) fail:\n{}", failed.len(), failed.join("\n"));
    println!("{target}: {ran} corpus files");
    ran
}

#[test]
fn parse_datagram_corpus() {
    let ran = run_corpus("parse_datagram", sip::oracle::datagram);
    assert!(ran >= 61, "only {ran} files in fuzz/corpus/parse_datagram: run fuzz/seed-corpus.sh");
}

#[test]
fn stream_framer_corpus() {
    let ran = run_corpus("stream_framer", sip::oracle::stream);
    assert!(ran >= 61, "only {ran} files in fuzz/corpus/stream_framer: run fuzz/seed-corpus.sh");
}

#[test]
fn header_values_corpus() {
    let ran = run_corpus("header_values", sip::oracle::header_values);
    assert!(ran > 0, "no files in fuzz/corpus/header_values: run fuzz/seed-corpus.sh");
}
