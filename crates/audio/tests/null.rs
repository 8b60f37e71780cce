//! The `null` devices keep real time like a sound card, and a file microphone looped through a
//! file speaker records exactly what it played.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use audio::{
    open_capture, open_playback, AudioFormat, Capture, CaptureStatus, Clock, DeviceSpec, NullCapture, NullPlayback,
    Playback, PlaybackStatus, SystemClock,
};
use common::{manual_clock, read_wav_i16, write_wav_i16};

/// 16 kHz, 20 ms periods of 320 frames: what the phone asks for.
const FORMAT: AudioFormat = AudioFormat::mono_ms(16000, 20);
const PERIOD: Duration = Duration::from_millis(20);

#[test]
fn null_capture_delivers_silence_one_period_per_period() {
    let (clock, dyn_clock) = manual_clock();
    let start = clock.now();
    let mut mic = NullCapture::new(FORMAT, dyn_clock);
    let mut buf = vec![1i16; 320];
    for n in 1..=50u32 {
        assert_eq!(mic.read_period(&mut buf).unwrap(), CaptureStatus::Ok);
        assert_eq!(clock.now(), start + PERIOD * n);
        assert!(buf.iter().all(|&s| s == 0));
    }
    // One second of audio took one second.
    assert_eq!(clock.now() - start, Duration::from_secs(1));
    // A reader far behind overruns like a sound card.
    clock.advance(PERIOD * 10);
    assert_eq!(mic.read_period(&mut buf).unwrap(), CaptureStatus::Overrun);
    assert_eq!(mic.overrun_count(), 1);
    assert_eq!(mic.format(), FORMAT);
}

#[test]
fn null_playback_consumes_one_period_per_period() {
    let (clock, dyn_clock) = manual_clock();
    let start = clock.now();
    let mut speaker = NullPlayback::new(FORMAT, dyn_clock);
    // A writer with nothing else to do is held to real time (one period ahead).
    for _ in 0..51 {
        assert_eq!(speaker.write_period(&[5; 320]).unwrap(), PlaybackStatus::Ok);
    }
    assert_eq!(clock.now() - start, Duration::from_secs(1));
    // A late writer underruns; the missed periods still pass.
    clock.advance(PERIOD * 4);
    assert_eq!(speaker.write_period(&[5; 320]).unwrap(), PlaybackStatus::Underrun);
    assert_eq!(speaker.underrun_count(), 1);
    assert_eq!(speaker.periods_played(), 55);
    speaker.close().unwrap();
    assert!(matches!(speaker.write_period(&[0; 320]), Err(audio::AudioError::Closed { .. })));
}

#[test]
fn on_the_system_clock_null_capture_never_runs_fast() {
    // Only a lower bound: a sleep never ends early, however loaded the machine.
    let format = AudioFormat::mono_ms(8000, 10);
    let mut mic = NullCapture::new(format, Arc::new(SystemClock));
    let mut buf = vec![0i16; 80];
    let start = Instant::now();
    for _ in 0..5 {
        mic.read_period(&mut buf).unwrap();
    }
    assert!(start.elapsed() >= Duration::from_millis(50), "{:?}", start.elapsed());
}

#[test]
fn a_file_mic_looped_through_a_file_speaker_records_exactly_what_it_played() {
    let dir = tempfile::tempdir().unwrap();
    let mic_path = dir.path().join("prompt.wav");
    let out_path = dir.path().join("recording.wav");
    // 0.7 s of a signal that is different everywhere.
    let prompt: Vec<i16> = (0..11200).map(|i| ((i * 37) % 20000 - 10000) as i16).collect();
    write_wav_i16(&mic_path, 16000, 1, &prompt);

    let (clock, dyn_clock) = manual_clock();
    let mic_spec: DeviceSpec = format!("file:{}", mic_path.display()).parse().unwrap();
    let out_spec: DeviceSpec = format!("file:{}", out_path.display()).parse().unwrap();
    let mut mic = open_capture(&mic_spec, FORMAT, dyn_clock.clone()).unwrap();
    let mut speaker = open_playback(&out_spec, FORMAT, dyn_clock).unwrap();
    let start = clock.now();
    let mut buf = vec![0i16; 320];
    // Two seconds of the audio thread: read a period, play it.
    for _ in 0..100 {
        assert_eq!(mic.read_period(&mut buf).unwrap(), CaptureStatus::Ok);
        assert_eq!(speaker.write_period(&buf).unwrap(), PlaybackStatus::Ok);
    }
    assert_eq!(clock.now() - start, Duration::from_secs(2));
    speaker.close().unwrap();
    assert_eq!(speaker.underrun_count(), 0);
    assert_eq!(mic.overrun_count(), 0);

    let (_, recorded) = read_wav_i16(&out_path);
    assert_eq!(recorded.len(), 32000);
    let looped: Vec<i16> = prompt.iter().copied().cycle().take(32000).collect();
    assert_eq!(recorded, looped);
}

#[test]
fn dyn_clock_is_usable_behind_an_arc() {
    // `Arc<ManualClock>` is itself a `Clock`, for code generic over clocks.
    fn now_of(clock: &impl Clock) -> std::time::Instant {
        clock.now()
    }
    let (clock, _) = manual_clock();
    assert_eq!(now_of(&clock), clock.now());
}
