//! `hardphone lint`: the JSON lines engineers and tests read.

use std::path::PathBuf;
use std::process::Command;

fn testdata() -> PathBuf {
    std::env::var_os("HARDPHONE_TESTDATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata"))
}

fn lint(files: &[PathBuf]) -> (Vec<serde_json::Value>, Option<i32>) {
    let output = Command::new(env!("CARGO_BIN_EXE_hardphone")).arg("lint").args(files).output().expect("runs");
    let stdout = String::from_utf8(output.stdout).expect("UTF-8");
    let lines = stdout.lines().map(|l| serde_json::from_str(l).expect("each line is JSON")).collect();
    (lines, output.status.code())
}

#[test]
fn one_json_line_per_file_with_verdict_status_reason_kind_method() {
    let dir = testdata().join("rfc4475");
    let files: Vec<PathBuf> =
        ["wsinv.dat", "badvers.dat", "bigcode.dat", "noreason.dat"].iter().map(|f| dir.join(f)).collect();
    let (lines, code) = lint(&files);
    assert_eq!(code, Some(0));
    assert_eq!(lines.len(), 4);
    let keys = |v: &serde_json::Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&lines[0]), ["file", "kind", "method", "reason", "status", "verdict"]);
    assert_eq!(lines[0]["file"], files[0].display().to_string());
    assert_eq!((lines[0]["verdict"].as_str(), lines[0]["status"].as_u64()), (Some("ok"), None));
    assert_eq!((lines[0]["kind"].as_str(), lines[0]["method"].as_str()), (Some("request"), Some("INVITE")));
    assert_eq!((lines[1]["verdict"].as_str(), lines[1]["status"].as_u64()), (Some("reject"), Some(505)));
    assert_eq!(lines[1]["reason"], "Version Not Supported");
    assert_eq!((lines[2]["verdict"].as_str(), lines[2]["kind"].as_str()), (Some("drop"), None));
    assert_eq!((lines[3]["kind"].as_str(), lines[3]["method"].as_str()), (Some("response"), Some("INVITE")));
}

#[test]
fn every_torture_file_is_linted_and_exits_zero() {
    let mut files = Vec::new();
    for dir in ["rfc4475", "rfc5118"] {
        for entry in std::fs::read_dir(testdata().join(dir)).expect("testdata") {
            let path = entry.expect("entry").path();
            if path.extension().is_some_and(|e| e == "dat") {
                files.push(path);
            }
        }
    }
    assert_eq!(files.len(), 61);
    let (lines, code) = lint(&files);
    assert_eq!((lines.len(), code), (61, Some(0)));
}

#[test]
fn unreadable_file_gets_a_line_and_a_nonzero_exit() {
    let good = testdata().join("rfc4475/wsinv.dat");
    let (lines, code) = lint(&[PathBuf::from("/nonexistent/file.dat"), good]);
    assert_eq!(code, Some(1));
    assert_eq!(lines.len(), 2, "the readable file is still reported");
    assert_eq!(lines[0]["verdict"], "error");
    assert_eq!(lines[1]["verdict"], "ok");
}
