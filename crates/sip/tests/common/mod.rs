//! Shared helpers for the integration tests: where the third-party vectors are, and inspection.
#![allow(dead_code)]

use std::path::PathBuf;

use sip::{inspect_datagram, Inspection, Limits, Message, Method, UasPolicy};

/// `../shared/testdata` beside the checkout, or `$HARDPHONE_TESTDATA`.
pub fn testdata() -> PathBuf {
    if let Some(dir) = std::env::var_os("HARDPHONE_TESTDATA") {
        return PathBuf::from(dir);
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata")
}

/// The bytes of `testdata/<dir>/<file>`.
pub fn load(dir: &str, file: &str) -> Vec<u8> {
    let path = testdata().join(dir).join(file);
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// The `file` column of a MANIFEST.tsv.
pub fn manifest_files(dir: &str) -> Vec<String> {
    let text = String::from_utf8(load(dir, "MANIFEST.tsv")).expect("manifest is UTF-8");
    text.lines().skip(1).filter(|l| !l.is_empty()).map(|l| l.split('\t').next().unwrap_or("").to_owned()).collect()
}

/// The methods of a registrar, for the REGISTER vectors whose RFC expectation is a registrar's.
pub const REGISTRAR_METHODS: &[Method] = &[Method::Register, Method::Options, Method::Ack, Method::Cancel];

/// Which user agent receives the vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A Hardphone: `UasPolicy::phone()`.
    Phone,
    /// A registrar: what RFC 4475/5118 state for REGISTER vectors.
    Registrar,
}

/// Inspects `bytes` as `role` would.
pub fn inspect(bytes: Vec<u8>, role: Role) -> Inspection {
    let policy = match role {
        Role::Phone => UasPolicy::phone(),
        Role::Registrar => UasPolicy { allow: REGISTRAR_METHODS, ..UasPolicy::phone() },
    };
    inspect_datagram(bytes, &policy, &Limits::default())
}

/// Parses a vector that must parse.
pub fn parse(dir: &str, file: &str) -> Message {
    Message::parse(load(dir, file)).unwrap_or_else(|e| panic!("{file} must parse: {e}"))
}
