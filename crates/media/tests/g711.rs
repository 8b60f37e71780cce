//! G.711 bit-exactness against the generated reference tables in `testdata/g711/` (see its
//! README.md for the conventions): every decode-table row, every encode range, and all 65536
//! inputs of the s16 encoder dumps, for both laws; plus the RTP codec wrappers.

use std::path::PathBuf;

use media::codec::g711::{
    alaw_decode, alaw_encode, ulaw_decode, ulaw_encode, PcmaDecoder, PcmaEncoder, PcmuDecoder, PcmuEncoder,
};
use media::codec::{Decoder, Encoder};

fn testdata_dir() -> PathBuf {
    match std::env::var("HARDPHONE_TESTDATA") {
        Ok(dir) => PathBuf::from(dir),
        Err(_) => PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/testdata")),
    }
}

fn read_g711(name: &str) -> Vec<u8> {
    let path = testdata_dir().join("g711").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// The data rows of a TSV file, split into fields, after checking the header names `columns`.
fn tsv_rows(name: &str, columns: &[&str]) -> Vec<Vec<String>> {
    let text = String::from_utf8(read_g711(name)).expect("TSV is UTF-8");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("TSV has a header").split('\t').collect();
    for column in columns {
        assert!(header.contains(column), "{name}: missing column {column} in {header:?}");
    }
    let index: Vec<usize> = columns.iter().map(|c| header.iter().position(|h| h == c).unwrap()).collect();
    lines
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            index.iter().map(|&i| fields[i].to_string()).collect()
        })
        .collect()
}

fn check_decode_table(name: &str, decode: fn(u8) -> i16) {
    let rows = tsv_rows(name, &["code", "value_s16"]);
    assert_eq!(rows.len(), 256, "{name}: one row per code");
    let mut seen = [false; 256];
    for row in rows {
        let code: u8 = row[0].parse().unwrap();
        let expected: i16 = row[1].parse().unwrap();
        assert_eq!(decode(code), expected, "{name}: code {code:#04x}");
        seen[usize::from(code)] = true;
    }
    assert!(seen.iter().all(|&s| s), "{name}: every code appears");
}

fn check_encode_ranges(name: &str, encode: fn(i16) -> u8) {
    let rows = tsv_rows(name, &["code", "s16_lo", "s16_hi"]);
    assert_eq!(rows.len(), 256, "{name}: one row per code");
    let mut covered = 0usize;
    for row in rows {
        let code: u8 = row[0].parse().unwrap();
        let lo: i16 = row[1].parse().unwrap();
        let hi: i16 = row[2].parse().unwrap();
        for x in lo..=hi {
            assert_eq!(encode(x), code, "{name}: input {x} (range {lo}..={hi})");
        }
        covered += (i32::from(hi) - i32::from(lo) + 1) as usize;
    }
    assert_eq!(covered, 65536, "{name}: the ranges cover every input once");
}

fn check_encode_dump(name: &str, encode: fn(i16) -> u8) {
    let dump = read_g711(name);
    assert_eq!(dump.len(), 65536, "{name}: one byte per s16 input");
    for (offset, &expected) in dump.iter().enumerate() {
        let x = (offset as i32 - 32768) as i16;
        assert_eq!(encode(x), expected, "{name}: input {x}");
    }
}

#[test]
fn ulaw_decode_matches_every_table_row() {
    check_decode_table("ulaw_decode.tsv", ulaw_decode);
}

#[test]
fn alaw_decode_matches_every_table_row() {
    check_decode_table("alaw_decode.tsv", alaw_decode);
}

#[test]
fn ulaw_encode_matches_every_range() {
    check_encode_ranges("ulaw_encode_ranges.tsv", ulaw_encode);
}

#[test]
fn alaw_encode_matches_every_range() {
    check_encode_ranges("alaw_encode_ranges.tsv", alaw_encode);
}

#[test]
fn ulaw_encode_matches_all_65536_inputs() {
    check_encode_dump("ulaw_encode_s16.bin", ulaw_encode);
}

#[test]
fn alaw_encode_matches_all_65536_inputs() {
    check_encode_dump("alaw_encode_s16.bin", alaw_encode);
}

#[test]
fn anchor_values_from_the_readme() {
    assert_eq!(ulaw_decode(0xFF), 0);
    assert_eq!(ulaw_decode(0x7F), 0);
    assert_eq!(ulaw_decode(0x80), 32124);
    assert_eq!(ulaw_decode(0x00), -32124);
    assert_eq!(alaw_decode(0xD5), 8);
    assert_eq!(alaw_decode(0x55), -8);
    assert_eq!(alaw_decode(0xAA), 32256);
    assert_eq!(alaw_decode(0x2A), -32256);
    assert_eq!(ulaw_encode(0), 0xFF);
    assert_eq!(alaw_encode(0), 0xD5);
}

#[test]
fn nonzero_codes_round_trip() {
    for code in 0..=255u8 {
        // µ-law 0x7F is negative zero, which re-encodes as positive zero 0xFF.
        if code != 0x7F {
            assert_eq!(ulaw_encode(ulaw_decode(code)), code, "µ-law {code:#04x}");
        }
        assert_eq!(alaw_encode(alaw_decode(code)), code, "A-law {code:#04x}");
    }
}

#[test]
fn rtp_wrappers_use_8000_hz_and_one_octet_per_sample() {
    let pcm: Vec<i16> = (0..161).map(|i| ((i * 409) % 65536 - 32768) as i16).collect();
    let mut pcmu = Vec::new();
    let mut pcma = Vec::new();
    let mut encoder_u = PcmuEncoder::new();
    let mut encoder_a = PcmaEncoder::new();
    assert_eq!((encoder_u.sample_rate(), encoder_u.rtp_clock_rate()), (8000, 8000));
    assert_eq!((encoder_a.sample_rate(), encoder_a.rtp_clock_rate()), (8000, 8000));
    encoder_u.encode(&pcm, &mut pcmu);
    encoder_a.encode(&pcm, &mut pcma);
    assert_eq!(pcmu, pcm.iter().map(|&x| ulaw_encode(x)).collect::<Vec<_>>());
    assert_eq!(pcma, pcm.iter().map(|&x| alaw_encode(x)).collect::<Vec<_>>());

    let mut decoder_u = PcmuDecoder::new();
    let mut decoder_a = PcmaDecoder::new();
    assert_eq!((decoder_u.sample_rate(), decoder_a.sample_rate()), (8000, 8000));
    let mut out_u = vec![7i16];
    let mut out_a = Vec::new();
    decoder_u.decode(&pcmu, &mut out_u).unwrap();
    decoder_a.decode(&pcma, &mut out_a).unwrap();
    assert_eq!(out_u[0], 7, "decode appends");
    assert_eq!(&out_u[1..], pcmu.iter().map(|&c| ulaw_decode(c)).collect::<Vec<_>>().as_slice());
    assert_eq!(out_a, pcma.iter().map(|&c| alaw_decode(c)).collect::<Vec<_>>());

    let mut empty = Vec::new();
    decoder_u.decode(&[], &mut empty).unwrap();
    decoder_a.decode(&[], &mut empty).unwrap();
    assert!(empty.is_empty());
    assert!(!decoder_u.conceal(160, &mut empty), "G.711 has no own concealment");
    assert!(empty.is_empty());
}
