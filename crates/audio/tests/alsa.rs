//! ALSA devices: a missing device is an error (never a panic), `DeviceOpener` falls back to a
//! null device with one warning, and, where alsa-lib's `null` PCM exists (it needs no sound
//! card or kernel module), a smoke test moves a few periods through a real ALSA stream.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use audio::{
    list_alsa_devices, open_capture, open_playback, AlsaCapture, AlsaPlayback, AudioError, AudioFormat, Capture,
    CaptureStatus, Clock, DeviceOpener, DeviceSpec, Playback, PlaybackStatus,
};
use common::manual_clock;

const FORMAT: AudioFormat = AudioFormat::mono_ms(16000, 20);
/// A PCM name no ALSA configuration defines.
const MISSING: &str = "hardphone_test_no_such_pcm";

#[test]
fn a_missing_device_is_an_error_not_a_panic() {
    match AlsaCapture::open(MISSING, FORMAT) {
        Err(AudioError::DeviceNotFound { device, .. }) => assert_eq!(device, MISSING),
        other => panic!("expected DeviceNotFound, got {other:?}"),
    }
    match AlsaPlayback::open(MISSING, FORMAT) {
        Err(AudioError::DeviceNotFound { device, .. }) => assert_eq!(device, MISSING),
        other => panic!("expected DeviceNotFound, got {other:?}"),
    }
    // A card that does not exist, by name.
    let err = AlsaPlayback::open("plughw:CARD=HardphoneNoSuchCard", FORMAT).unwrap_err();
    assert!(matches!(err, AudioError::DeviceNotFound { .. } | AudioError::Alsa { .. }), "{err:?}");
    // Through a spec, as the configuration gives it.
    let spec: DeviceSpec = MISSING.parse().unwrap();
    assert!(open_capture(&spec, FORMAT, manual_clock().1).is_err());
    assert!(open_playback(&spec, FORMAT, manual_clock().1).is_err());
    // A name alsa-lib could not even be handed.
    assert!(matches!(AlsaCapture::open("hw:0\0", FORMAT), Err(AudioError::InvalidSpec { .. })));
    assert!(matches!(AlsaCapture::open("null", AudioFormat::mono(0, 320)), Err(AudioError::InvalidFormat { .. })));
}

/// A `tracing` writer that keeps everything in memory.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<u8>>>);

impl Write for Log {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Log {
    fn lines(&self, level: &str, containing: &str) -> Vec<String> {
        let text = String::from_utf8(self.0.lock().unwrap().clone()).unwrap();
        text.lines().filter(|l| l.contains(level) && l.contains(containing)).map(str::to_owned).collect()
    }
}

#[test]
fn open_or_null_falls_back_to_silence_and_warns_once_per_device() {
    let log = Log::default();
    let writer = log.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_max_level(tracing::Level::DEBUG)
        .without_time()
        .finish();
    let (clock, dyn_clock) = manual_clock();
    let opener = DeviceOpener::new(dyn_clock);
    let spec: DeviceSpec = MISSING.parse().unwrap();

    let (mut mic, mut speaker) = tracing::subscriber::with_default(subscriber, || {
        let mic = opener.open_capture_or_null(&spec, FORMAT);
        let speaker = opener.open_playback_or_null(&spec, FORMAT);
        // The phone reopens devices at every call: still one warning.
        for _ in 0..3 {
            drop(opener.open_capture_or_null(&spec, FORMAT));
            drop(opener.open_playback_or_null(&spec, FORMAT));
        }
        (mic, speaker)
    });

    let warnings = log.lines("WARN", "running silent");
    assert_eq!(warnings.len(), 1, "{warnings:#?}");
    assert!(warnings[0].contains(&format!("no sound device {MISSING}: ")), "{}", warnings[0]);
    assert_eq!(opener.silent_devices(), vec![spec]);
    // alsa-lib's own complaints went to the debug log, not to stderr.
    assert!(!log.lines("DEBUG", "alsa-lib").is_empty());

    // The stand-ins are null devices keeping real time on the opener's clock.
    let start = clock.now();
    let mut buf = vec![7i16; 320];
    assert_eq!(mic.read_period(&mut buf).unwrap(), CaptureStatus::Ok);
    assert!(buf.iter().all(|&s| s == 0));
    assert_eq!(clock.now() - start, FORMAT.period_duration());
    assert_eq!(speaker.write_period(&buf).unwrap(), PlaybackStatus::Ok);
    assert_eq!(mic.format(), FORMAT);
    assert_eq!(speaker.format(), FORMAT);
}

#[test]
fn open_or_null_opens_devices_that_exist() {
    let (_, dyn_clock) = manual_clock();
    let opener = DeviceOpener::new(dyn_clock);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.wav");
    let spec: DeviceSpec = format!("file:{}", path.display()).parse().unwrap();
    let mut speaker = opener.open_playback_or_null(&spec, FORMAT);
    speaker.write_period(&[1; 320]).unwrap();
    speaker.close().unwrap();
    assert_eq!(hound::WavReader::open(&path).unwrap().len(), 320);
    assert!(opener.silent_devices().is_empty());
}

/// Opens alsa-lib's `null` PCM, or says why the smoke test is skipped.
fn alsa_null<T>(open: impl FnOnce() -> Result<T, AudioError>) -> Option<T> {
    match open() {
        Ok(device) => Some(device),
        Err(error) => {
            eprintln!("skipping: alsa-lib's `null` PCM is not available here ({error})");
            None
        }
    }
}

#[test]
fn smoke_test_on_the_alsa_null_pcm() {
    let Some(mut speaker) = alsa_null(|| AlsaPlayback::open("null", FORMAT)) else {
        return;
    };
    assert_eq!(speaker.name(), "null");
    let (period, buffer) = speaker.hw_sizes();
    assert!(period > 0 && buffer >= period, "granted period {period}, buffer {buffer}");
    let tone: Vec<i16> = (0..320).map(|i| (i * 50) as i16).collect();
    for _ in 0..5 {
        speaker.write_period(&tone).unwrap();
    }
    assert!(matches!(speaker.write_period(&tone[..100]), Err(AudioError::PeriodSize { expected: 320, got: 100 })));
    speaker.close().unwrap();
    assert!(matches!(speaker.write_period(&tone), Err(AudioError::Closed { .. })));
    assert_eq!(speaker.underrun_count(), 0);

    let Some(mut mic) = alsa_null(|| AlsaCapture::open("null", FORMAT)) else {
        return;
    };
    let mut buf = vec![0i16; 320];
    for _ in 0..5 {
        mic.read_period(&mut buf).unwrap();
    }
    assert_eq!(mic.format(), FORMAT);

    // The same device through a spec: `alsa:null`, since plain `null` is our null device.
    let spec: DeviceSpec = "alsa:null".parse().unwrap();
    let mut speaker = open_playback(&spec, FORMAT, manual_clock().1).unwrap();
    speaker.write_period(&tone).unwrap();
    speaker.close().unwrap();
}

#[test]
fn listing_devices_works_without_a_sound_card() {
    let devices = list_alsa_devices().unwrap();
    for device in &devices {
        eprintln!("{} {:?} capture={} playback={}", device.name, device.description, device.capture, device.playback);
        assert!(!device.name.is_empty());
    }
    if let Some(null) = devices.iter().find(|d| d.name == "null") {
        assert!(null.capture && null.playback);
    }
}
