//! `file:PATH` as a speaker: one period per period of real time on a manual clock, silence for
//! late writers, and a WAV file that is valid after close, drop and a kill.

mod common;

use std::sync::Arc;
use std::time::Duration;

use audio::{AudioError, AudioFormat, Clock, FileSpeaker, ManualClock, Playback, PlaybackStatus};
use common::{manual_clock, read_wav_i16};

/// 8 kHz, 10 ms periods of 80 frames.
const FORMAT: AudioFormat = AudioFormat::mono(8000, 80);
const PERIOD: Duration = Duration::from_millis(10);

/// A period whose every sample is `value`.
fn period(value: i16) -> Vec<i16> {
    vec![value; 80]
}

/// The file's samples, one value per period (asserting each period is uniform).
fn periods_of(samples: &[i16]) -> Vec<i16> {
    assert_eq!(samples.len() % 80, 0, "whole periods only");
    samples
        .chunks(80)
        .map(|p| {
            assert!(p.iter().all(|&s| s == p[0]), "period not uniform: {p:?}");
            p[0]
        })
        .collect()
}

fn speaker(dir: &tempfile::TempDir) -> (Arc<ManualClock>, FileSpeaker, std::path::PathBuf) {
    let (clock, dyn_clock) = manual_clock();
    let path = dir.path().join("speaker.wav");
    let speaker = FileSpeaker::create(&path, FORMAT, dyn_clock).unwrap();
    (clock, speaker, path)
}

#[test]
fn an_on_time_writer_never_blocks_or_underruns() {
    let dir = tempfile::tempdir().unwrap();
    let (clock, mut speaker, path) = speaker(&dir);
    for k in 1..=5 {
        assert_eq!(speaker.write_period(&period(k)).unwrap(), PlaybackStatus::Ok);
        assert!(clock.take_sleeps().is_empty(), "write {k} returned at once");
        clock.advance(PERIOD);
    }
    speaker.close().unwrap();
    let (spec, samples) = read_wav_i16(&path);
    assert_eq!((spec.channels, spec.sample_rate, spec.bits_per_sample), (1, 8000, 16));
    assert_eq!(periods_of(&samples), [1, 2, 3, 4, 5]);
    assert_eq!(speaker.underrun_count(), 0);
    assert_eq!(speaker.silent_periods(), 0);
}

#[test]
fn periods_a_late_writer_missed_are_written_as_silence() {
    let dir = tempfile::tempdir().unwrap();
    let (clock, mut speaker, path) = speaker(&dir);
    let start = clock.now();
    speaker.write_period(&period(1)).unwrap();
    clock.advance(PERIOD);
    speaker.write_period(&period(2)).unwrap();
    // The writer is busy for four periods: periods 2, 3 and 4 play with nothing written.
    clock.advance(PERIOD * 4);
    assert_eq!(speaker.write_period(&period(3)).unwrap(), PlaybackStatus::Underrun);
    assert_eq!(speaker.underrun_count(), 1);
    assert_eq!(speaker.silent_periods(), 3);
    clock.advance(PERIOD);
    assert_eq!(speaker.write_period(&period(4)).unwrap(), PlaybackStatus::Ok);
    // The writer stops; 2.5 periods later the phone closes the device.
    clock.advance(PERIOD * 5 / 2);
    speaker.close().unwrap();

    let elapsed = clock.now() - start;
    let elapsed_periods = (elapsed.as_nanos() / PERIOD.as_nanos()) as usize;
    assert_eq!(elapsed_periods, 8);
    let (_, samples) = read_wav_i16(&path);
    assert_eq!(samples.len(), elapsed_periods * FORMAT.period_frames, "the file's timeline is wall-clock time");
    assert_eq!(periods_of(&samples), [1, 2, 0, 0, 0, 3, 4, 0]);
    assert_eq!(speaker.periods_written(), 8);
    assert_eq!(speaker.underrun_count(), 1, "trailing silence at close is not an underrun");
    assert_eq!(speaker.silent_periods(), 4);
}

#[test]
fn a_writer_that_stops_for_a_long_time_gets_every_period_of_silence() {
    let dir = tempfile::tempdir().unwrap();
    let (clock, mut speaker, path) = speaker(&dir);
    speaker.write_period(&period(7)).unwrap();
    clock.advance(Duration::from_secs(3));
    assert_eq!(speaker.write_period(&period(8)).unwrap(), PlaybackStatus::Underrun);
    clock.advance(PERIOD);
    speaker.close().unwrap();
    let (_, samples) = read_wav_i16(&path);
    let values = periods_of(&samples);
    assert_eq!(values.len(), 301, "3 s of 10 ms periods, plus the last one");
    assert_eq!(values[0], 7);
    assert!(values[1..300].iter().all(|&v| v == 0));
    assert_eq!(values[300], 8);
}

#[test]
fn a_writer_running_ahead_blocks_one_period_ahead_of_real_time() {
    let dir = tempfile::tempdir().unwrap();
    let (clock, mut speaker, path) = speaker(&dir);
    let start = clock.now();
    for k in 1..=5u32 {
        assert_eq!(speaker.write_period(&period(k as i16)).unwrap(), PlaybackStatus::Ok);
        // Two periods fit: the one playing and one queued. Write k returns when period k-2
        // has finished, i.e. at start + (k-1)·P.
        assert_eq!(clock.now(), start + PERIOD * (k - 1), "write {k}");
    }
    assert_eq!(clock.take_sleeps(), (1..=4).map(|k| start + PERIOD * k).collect::<Vec<_>>());
    speaker.close().unwrap();
    let (_, samples) = read_wav_i16(&path);
    assert_eq!(periods_of(&samples), [1, 2, 3, 4, 5], "the queued period is played out at close");
    assert_eq!(speaker.underrun_count(), 0);
}

#[test]
fn dropping_without_close_finalizes_the_file_up_to_now() {
    let dir = tempfile::tempdir().unwrap();
    let (clock, mut speaker, path) = speaker(&dir);
    speaker.write_period(&period(9)).unwrap();
    clock.advance(PERIOD * 3);
    drop(speaker);
    let (spec, samples) = read_wav_i16(&path);
    assert_eq!(spec.sample_rate, 8000);
    assert_eq!(periods_of(&samples), [9, 0, 0]);
}

#[test]
fn a_killed_phone_leaves_a_file_readable_up_to_the_last_header_update() {
    let dir = tempfile::tempdir().unwrap();
    let (clock, mut speaker, path) = speaker(&dir);
    // The header is rewritten every second of audio: 100 periods of 10 ms.
    assert_eq!(speaker.header_interval_periods(), 100);
    for k in 0..250 {
        speaker.write_period(&period(k as i16 + 1)).unwrap();
        clock.advance(PERIOD);
    }
    // Simulate a kill: no close, no drop, no final header.
    std::mem::forget(speaker);
    let (spec, samples) = read_wav_i16(&path);
    assert_eq!((spec.channels, spec.sample_rate, spec.bits_per_sample), (1, 8000, 16));
    assert_eq!(periods_of(&samples), (1..=200).collect::<Vec<i16>>(), "two whole header intervals");
}

#[test]
fn the_header_interval_is_one_second_at_phone_rates() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wideband.wav");
    let speaker = FileSpeaker::create(&path, AudioFormat::mono_ms(16000, 20), manual_clock().1).unwrap();
    assert_eq!(speaker.header_interval_periods(), 50);
    assert_eq!(speaker.path(), path);
}

#[test]
fn a_closed_speaker_refuses_writes_and_bad_periods_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (clock, mut speaker, path) = speaker(&dir);
    assert!(matches!(speaker.write_period(&[0; 81]), Err(AudioError::PeriodSize { expected: 80, got: 81 })));
    let start = clock.now();
    speaker.write_period(&period(1)).unwrap();
    speaker.close().unwrap();
    speaker.close().unwrap();
    match speaker.write_period(&period(2)) {
        Err(AudioError::Closed { device }) => assert_eq!(device, format!("file:{}", path.display())),
        other => panic!("expected Closed, got {other:?}"),
    }
    assert_eq!(clock.now(), start);
    let (_, samples) = read_wav_i16(&path);
    assert_eq!(periods_of(&samples), [1]);
}

#[test]
fn a_file_in_a_missing_directory_is_an_io_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("no/such/dir/speaker.wav");
    match FileSpeaker::create(&path, FORMAT, manual_clock().1) {
        Err(AudioError::Io { path: p, .. }) => assert_eq!(p, path),
        other => panic!("expected Io, got {other:?}"),
    }
}
