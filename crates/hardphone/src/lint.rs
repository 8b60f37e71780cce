//! `hardphone lint FILE...`: one JSON line per file with what the phone does with the message.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use serde::Serialize;
use sip::{inspect_datagram, Kind, Limits, UasPolicy};

/// One output line.
#[derive(Debug, Serialize)]
struct LintLine<'a> {
    file: &'a str,
    verdict: &'static str,
    status: Option<u16>,
    reason: String,
    kind: Option<&'static str>,
    method: Option<String>,
}

/// Lints every file; exits 0 when every file could be read, 1 otherwise (after reporting the
/// others). A file that cannot be read gets a line with verdict `error`.
pub fn run(files: &[PathBuf], out: &mut impl Write) -> ExitCode {
    let policy = UasPolicy::phone();
    let limits = Limits::default();
    let mut all_read = true;
    for path in files {
        let name = path.display().to_string();
        let line = match std::fs::read(path) {
            Ok(bytes) => {
                let inspection = inspect_datagram(bytes, &policy, &limits);
                LintLine {
                    file: &name,
                    verdict: inspection.verdict.as_str(),
                    status: inspection.status,
                    reason: inspection.reason,
                    kind: inspection.kind.map(|k| match k {
                        Kind::Request => "request",
                        Kind::Response => "response",
                    }),
                    method: inspection.method,
                }
            }
            Err(error) => {
                all_read = false;
                LintLine {
                    file: &name,
                    verdict: "error",
                    status: None,
                    reason: error.to_string(),
                    kind: None,
                    method: None,
                }
            }
        };
        let json = serde_json::to_string(&line).unwrap_or_else(|_| String::from("{}"));
        if writeln!(out, "{json}").is_err() {
            return ExitCode::FAILURE;
        }
    }
    if all_read {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
