//! The `hardphone-provision` command line: `--check` and `hash`.

mod support;

use std::process::Command;

use support::Scratch;

fn provision() -> Command {
    Command::new(env!("CARGO_BIN_EXE_hardphone-provision"))
}

#[test]
fn check_reports_good_files_and_names_bad_lines() {
    let dir = Scratch::new("cli-check");
    let config = dir.write(
        "server.toml",
        "[server]\nhttp = [\"127.0.0.1:0\"]\nallow_http = true\n[inventory]\npath = \"phones.csv\"\n",
    );
    dir.write("phones.csv", "mac,extension,server,password\n001122334455,1001,pbx.example.com,sip-secret\n");
    let output = provision().arg("--config").arg(&config).arg("--check").output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(String::from_utf8_lossy(&output.stdout).ends_with("server.toml: good\n"));

    dir.write(
        "phones.csv",
        "mac,extension,server,password\n001122334455,1001,pbx.example.com,sip-secret\nxx,1002,pbx,p\n",
    );
    let output = provision().arg("--config").arg(&config).arg("--check").output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("phones.csv: line 3: mac: not a MAC address"), "{stderr}");
    assert!(!stderr.contains("sip-secret"));

    let missing = provision().arg("--config").arg(dir.path().join("nope.toml")).arg("--check").output().unwrap();
    assert_eq!(missing.status.code(), Some(2));
}

#[test]
fn hash_of_layer_files() {
    let dir = Scratch::new("cli-hash");
    let common = dir.write("common.toml", "[sip]\nkeepalive_secs = 30\n");
    let mac = dir.write(
        "mac.toml",
        "[[accounts]]\nlabel = \"1001\"\nserver = \"pbx.example.com\"\nuser = \"1001\"\npassword = \"secret\"\n",
    );
    let output = provision().arg("hash").arg("--common").arg(&common).arg("--mac").arg(&mac).output().unwrap();
    assert!(output.status.success());
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "d0f94e27d8c769e4f1ed67b34eb6811b38b73d3093fa327ae43cffedb1a5961d\n"
    );
    let empty = provision().arg("hash").output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&empty.stdout),
        "9d908ecfb6b256def8b49a7c504e6c889c4b0e41fe6ce3e01863dd7b61a20aa0\n"
    );
}
