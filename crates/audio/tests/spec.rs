//! `DeviceSpec`: the device strings of the `[audio]` configuration table.

use std::path::PathBuf;

use audio::{AudioError, DeviceSpec};

fn parse(s: &str) -> DeviceSpec {
    s.parse().unwrap_or_else(|e| panic!("{s:?} should parse: {e}"))
}

fn reason(s: &str) -> &'static str {
    match s.parse::<DeviceSpec>() {
        Err(AudioError::InvalidSpec { spec, reason }) => {
            assert_eq!(spec, s, "the error names the string as given");
            reason
        }
        other => panic!("{s:?} should be an invalid spec, got {other:?}"),
    }
}

#[test]
fn null_file_and_alsa_names() {
    assert_eq!(parse("null"), DeviceSpec::Null);
    assert_eq!(parse("file:/tmp/mic.wav"), DeviceSpec::File(PathBuf::from("/tmp/mic.wav")));
    assert_eq!(parse("file:relative/x.wav"), DeviceSpec::File(PathBuf::from("relative/x.wav")));
    assert_eq!(parse("file:with space.wav"), DeviceSpec::File(PathBuf::from("with space.wav")));
    assert_eq!(parse("default"), DeviceSpec::Alsa("default".into()));
    assert_eq!(parse("hw:1,0"), DeviceSpec::Alsa("hw:1,0".into()));
    assert_eq!(parse("plughw:CARD=Headset"), DeviceSpec::Alsa("plughw:CARD=Headset".into()));
    assert_eq!(parse("plughw:CARD=Headset,DEV=0"), DeviceSpec::Alsa("plughw:CARD=Headset,DEV=0".into()));
    assert_eq!(DeviceSpec::default(), DeviceSpec::Alsa("default".into()));
    assert_eq!(DeviceSpec::default_alsa(), DeviceSpec::Alsa("default".into()));
}

#[test]
fn alsa_prefix_reaches_names_that_would_mean_something_else() {
    assert_eq!(parse("alsa:null"), DeviceSpec::Alsa("null".into()));
    assert_eq!(parse("alsa:file:x"), DeviceSpec::Alsa("file:x".into()));
    assert_eq!(parse("alsa:hw:0"), DeviceSpec::Alsa("hw:0".into()));
    // Other spellings of null are ALSA names: the keyword is exact.
    assert_eq!(parse("NULL"), DeviceSpec::Alsa("NULL".into()));
}

#[test]
fn precise_errors() {
    assert_eq!(reason("file:"), "`file:` needs a path, e.g. file:/tmp/mic.wav");
    assert!(reason("").starts_with("empty device name"));
    assert!(reason("   ").starts_with("empty device name"));
    assert!(reason("alsa:").starts_with("empty device name"));
    assert_eq!(reason(" default"), "leading or trailing whitespace in the device name");
    assert_eq!(reason("hw:0\0"), "contains a NUL byte");
    let message = "file:".parse::<DeviceSpec>().unwrap_err().to_string();
    assert!(message.contains("\"file:\"") && message.contains("needs a path"), "{message}");
}

#[test]
fn display_round_trips() {
    for s in ["null", "file:/tmp/a b.wav", "default", "hw:1,0", "plughw:CARD=Headset", "alsa:null", "alsa:file:x"] {
        let spec = parse(s);
        assert_eq!(spec.to_string(), s);
        assert_eq!(parse(&spec.to_string()), spec);
    }
    // A redundant prefix is dropped when written back.
    assert_eq!(parse("alsa:hw:0").to_string(), "hw:0");
}
