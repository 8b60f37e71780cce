//! `file:PATH` as a microphone: real-time pacing on a manual clock, looping, WAV encodings
//! and precise errors.

mod common;

use std::time::Duration;

use audio::{AudioError, AudioFormat, Capture, CaptureStatus, Clock, FileCapture, CAPTURE_BUFFER_PERIODS};
use common::{manual_clock, write_wav_i16};

/// 8 kHz, 10 ms periods of 80 frames.
const FORMAT: AudioFormat = AudioFormat::mono(8000, 80);
const PERIOD: Duration = Duration::from_millis(10);

/// A ramp 0, 1, 2, … of `len` samples: every sample says where in the file it came from.
fn ramp(len: usize) -> Vec<i16> {
    (0..len).map(|i| i as i16).collect()
}

/// The period a looping reader of `file` gets starting at frame `from`.
fn expected(file: &[i16], from: usize) -> Vec<i16> {
    (0..FORMAT.period_frames).map(|i| file[(from + i) % file.len()]).collect()
}

#[test]
fn delivers_period_n_exactly_at_start_plus_n_periods_and_loops() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mic.wav");
    // 200 frames: two and a half periods, so periods straddle the loop point.
    let file = ramp(200);
    write_wav_i16(&path, 8000, 1, &file);
    let (clock, dyn_clock) = manual_clock();
    let start = clock.now();
    let mut mic = FileCapture::open(&path, FORMAT, dyn_clock).unwrap();
    assert_eq!(mic.loop_frames(), 200);
    assert_eq!(mic.format(), FORMAT);

    let mut buf = vec![0i16; 80];
    for n in 1..=12u32 {
        assert_eq!(mic.read_period(&mut buf).unwrap(), CaptureStatus::Ok);
        // Period n is recorded during [start + (n-1)·P, start + n·P): returned at the end.
        assert_eq!(clock.now(), start + PERIOD * n, "period {n}");
        assert_eq!(clock.take_sleeps(), vec![start + PERIOD * n], "period {n} waited exactly until due");
        assert_eq!(buf, expected(&file, (n as usize - 1) * 80), "period {n} content");
    }
    assert_eq!(mic.overrun_count(), 0);
}

#[test]
fn a_late_reader_catches_up_without_losing_audio() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mic.wav");
    let file = ramp(1000);
    write_wav_i16(&path, 8000, 1, &file);
    let (clock, dyn_clock) = manual_clock();
    let start = clock.now();
    let mut mic = FileCapture::open(&path, FORMAT, dyn_clock).unwrap();
    let mut buf = vec![0i16; 80];
    mic.read_period(&mut buf).unwrap();
    clock.take_sleeps();

    // Busy for 2.5 periods: periods 2 and 3 are already recorded and come at once.
    clock.advance(PERIOD * 5 / 2);
    let late = clock.now();
    for n in 2..=3 {
        assert_eq!(mic.read_period(&mut buf).unwrap(), CaptureStatus::Ok);
        assert_eq!(clock.now(), late, "period {n} was due already");
        assert_eq!(buf, expected(&file, (n - 1) * 80));
    }
    assert!(clock.take_sleeps().is_empty());
    // Period 4 is not recorded yet: wait for it.
    mic.read_period(&mut buf).unwrap();
    assert_eq!(clock.now(), start + PERIOD * 4);
    assert_eq!(buf, expected(&file, 3 * 80));
    assert_eq!(mic.overrun_count(), 0);
}

#[test]
fn a_reader_later_than_the_buffer_loses_the_oldest_periods() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mic.wav");
    let file = ramp(8000);
    write_wav_i16(&path, 8000, 1, &file);
    let (clock, dyn_clock) = manual_clock();
    let start = clock.now();
    let mut mic = FileCapture::open(&path, FORMAT, dyn_clock).unwrap();
    let mut buf = vec![0i16; 80];
    mic.read_period(&mut buf).unwrap();

    // Ten periods recorded while nobody read: the buffer keeps the newest four.
    clock.advance(PERIOD * 10);
    assert_eq!(clock.now(), start + PERIOD * 11);
    let lost = 10 - CAPTURE_BUFFER_PERIODS as usize;
    assert_eq!(mic.read_period(&mut buf).unwrap(), CaptureStatus::Overrun);
    assert_eq!(mic.overrun_count(), 1);
    // The microphone's world went on: we hear period 2 + lost, as a real one would.
    assert_eq!(buf, expected(&file, (1 + lost) * 80));
    // The rest of the buffer comes at once, in order, then real time resumes.
    for k in 1..CAPTURE_BUFFER_PERIODS as usize {
        assert_eq!(mic.read_period(&mut buf).unwrap(), CaptureStatus::Ok);
        assert_eq!(buf, expected(&file, (1 + lost + k) * 80));
    }
    assert_eq!(clock.now(), start + PERIOD * 11);
    assert!(clock.take_sleeps().iter().all(|&t| t <= start + PERIOD * 1));
    mic.read_period(&mut buf).unwrap();
    assert_eq!(clock.now(), start + PERIOD * 12);
    assert_eq!(buf, expected(&file, 11 * 80), "timeline equals wall-clock time again");
    assert_eq!(mic.overrun_count(), 1);
}

#[test]
fn stereo_and_other_encodings_become_mono_16_bit() {
    let dir = tempfile::tempdir().unwrap();
    let mut buf = vec![0i16; 80];

    // Stereo 16-bit: the channels are averaged.
    let stereo = dir.path().join("stereo.wav");
    let frames: Vec<i16> = (0..80).flat_map(|i| [i * 100, i * 100 + 50]).collect();
    write_wav_i16(&stereo, 8000, 2, &frames);
    let mut mic = FileCapture::open(&stereo, FORMAT, manual_clock().1).unwrap();
    mic.read_period(&mut buf).unwrap();
    assert_eq!(buf, (0..80).map(|i| i * 100 + 25).collect::<Vec<i16>>());

    // 32-bit float: full scale is ±32767.
    let float = dir.path().join("float.wav");
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 8000,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut w = hound::WavWriter::create(&float, spec).unwrap();
    for s in [0.0f32, 0.5, -0.5, 1.0, -1.0, 1.5] {
        w.write_sample(s).unwrap();
    }
    w.finalize().unwrap();
    let mut mic = FileCapture::open(&float, FORMAT, manual_clock().1).unwrap();
    mic.read_period(&mut buf).unwrap();
    assert_eq!(buf[..6], [0, 16384, -16384, 32767, -32767, 32767]);
    assert_eq!(buf[6..12], [0, 16384, -16384, 32767, -32767, 32767], "looped");

    // 8-bit and 24-bit integers scale to 16 bits.
    for (bits, raw, scaled) in [
        (8u16, vec![-128i32, 0, 127], [i16::MIN, 0, 127 << 8]),
        (24, vec![-0x80_0000, 0x100, 0x7f_ffff], [i16::MIN, 1, i16::MAX]),
    ] {
        let path = dir.path().join(format!("int{bits}.wav"));
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: 8000,
            bits_per_sample: bits,
            sample_format: hound::SampleFormat::Int,
        };
        let mut w = hound::WavWriter::create(&path, spec).unwrap();
        for &s in &raw {
            w.write_sample(s).unwrap();
        }
        w.finalize().unwrap();
        let mut mic = FileCapture::open(&path, FORMAT, manual_clock().1).unwrap();
        mic.read_period(&mut buf).unwrap();
        assert_eq!(buf[..3], scaled, "{bits}-bit");
    }
}

#[test]
fn a_stereo_request_gets_the_mono_signal_on_both_channels() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mono.wav");
    write_wav_i16(&path, 8000, 1, &ramp(100));
    let format = AudioFormat { sample_rate: 8000, channels: 2, period_frames: 80 };
    let mut mic = FileCapture::open(&path, format, manual_clock().1).unwrap();
    let mut buf = vec![0i16; 160];
    mic.read_period(&mut buf).unwrap();
    assert_eq!(buf[..6], [0, 0, 1, 1, 2, 2]);
}

#[test]
fn a_sample_rate_mismatch_names_both_rates() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cd.wav");
    write_wav_i16(&path, 44100, 1, &ramp(441));
    let wanted = AudioFormat::mono_ms(16000, 20);
    match FileCapture::open(&path, wanted, manual_clock().1) {
        Err(AudioError::FormatUnsupported { device, requested, detail, native_rate }) => {
            assert_eq!(device, format!("file:{}", path.display()));
            assert_eq!(requested, wanted);
            assert_eq!(native_rate, Some(44100));
            assert!(detail.contains("44100 Hz") && detail.contains("16000 Hz"), "{detail}");
        }
        other => panic!("expected FormatUnsupported, got {other:?}"),
    }
    // Opened at the file's own rate it works (the media crate resamples).
    assert!(FileCapture::open(&path, AudioFormat::mono_ms(44100, 20), manual_clock().1).is_ok());
}

#[test]
fn missing_empty_and_malformed_files_give_precise_errors() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.wav");
    match FileCapture::open(&missing, FORMAT, manual_clock().1) {
        Err(AudioError::Io { path, source }) => {
            assert_eq!(path, missing);
            assert_eq!(source.kind(), std::io::ErrorKind::NotFound);
        }
        other => panic!("expected Io, got {other:?}"),
    }

    let empty = dir.path().join("empty.wav");
    write_wav_i16(&empty, 8000, 1, &[]);
    assert!(
        matches!(FileCapture::open(&empty, FORMAT, manual_clock().1), Err(AudioError::EmptyWav { path }) if path == empty)
    );

    let text = dir.path().join("text.wav");
    std::fs::write(&text, b"this is not a RIFF file at all, just some text").unwrap();
    assert!(
        matches!(FileCapture::open(&text, FORMAT, manual_clock().1), Err(AudioError::Wav { path, .. }) if path == text)
    );

    let bad = AudioFormat::mono(8000, 0);
    assert!(matches!(FileCapture::open(&text, bad, manual_clock().1), Err(AudioError::InvalidFormat { .. })));
}

#[test]
fn a_buffer_that_is_not_one_period_is_refused_without_consuming_time() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mic.wav");
    write_wav_i16(&path, 8000, 1, &ramp(100));
    let (clock, dyn_clock) = manual_clock();
    let start = clock.now();
    let mut mic = FileCapture::open(&path, FORMAT, dyn_clock).unwrap();
    let mut short = vec![0i16; 79];
    assert!(matches!(mic.read_period(&mut short), Err(AudioError::PeriodSize { expected: 80, got: 79 })));
    assert_eq!(clock.now(), start);
    let mut buf = vec![0i16; 80];
    mic.read_period(&mut buf).unwrap();
    assert_eq!(buf[0], 0, "still at the start of the file");
}
