//! `hardphone check-config FILE`: a bad configuration is reported with the file, the key and
//! what is wrong, and a non-zero exit.

use std::process::Command;

fn check(text: &str) -> (Option<i32>, String, String) {
    let dir = std::env::temp_dir().join(format!("hardphone-check-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join(format!("phone-{}.toml", text.len()));
    std::fs::write(&file, text).expect("write config");
    let output = Command::new(env!("CARGO_BIN_EXE_hardphone")).arg("check-config").arg(&file).output().expect("runs");
    std::fs::remove_file(&file).expect("remove config");
    let text = |b: Vec<u8>| String::from_utf8(b).expect("UTF-8");
    (output.status.code(), text(output.stdout), text(output.stderr))
}

#[test]
fn a_good_file_exits_zero() {
    let (code, out, _) = check("[[accounts]]\nlabel = \"a\"\nserver = \"pbx\"\nuser = \"1001\"\n");
    assert_eq!(code, Some(0));
    assert!(out.contains("ok, 1 account(s)"), "{out}");
}

#[test]
fn a_bad_value_names_file_key_and_fault() {
    let (code, _, err) = check("[[accounts]]\nlabel = \"a\"\nserver = \"pbx\"\nuser = \"1001\"\nexpires = 5\n");
    assert_eq!(code, Some(2));
    assert!(err.contains(".toml: accounts[0].expires: must be from 60 to 86400"), "{err}");
}

#[test]
fn a_typo_names_file_line_and_key() {
    let (code, _, err) = check("[[accounts]]\nlabel = \"a\"\nserver = \"pbx\"\nuser = \"1001\"\npasword = \"x\"\n");
    assert_eq!(code, Some(2));
    assert!(err.contains(".toml: ") && err.contains("line 5") && err.contains("pasword"), "{err}");
}
