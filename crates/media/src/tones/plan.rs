//! What each tone sounds like: the regional call-progress tone plans (sources in the parent
//! module's docs), the ringtones and the DTMF key tones, as scores of notes that
//! [`super::ToneGenerator`] renders.

use super::Region;
use crate::dtmf::Event;

/// A call-progress tone a deskphone plays locally (ITU-T E.180).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Tone {
    /// Dial tone: the phone is ready for a number.
    Dial,
    /// Ringback (ringing tone, audible ringing): the called party is being alerted.
    Ringback,
    /// Busy (engaged) tone: the called party is busy.
    Busy,
    /// Congestion (reorder, path engaged) tone: the network cannot complete the call.
    Congestion,
    /// Call-waiting tone: another call arrives during this one.
    CallWaiting,
    /// Confirmation tone: a feature request was accepted.
    Confirmation,
    /// Stutter (special, interrupted) dial tone: dial tone that signals waiting messages.
    StutterDial,
}

impl Tone {
    /// Every call-progress tone.
    pub const ALL: [Tone; 7] = [
        Tone::Dial,
        Tone::Ringback,
        Tone::Busy,
        Tone::Congestion,
        Tone::CallWaiting,
        Tone::Confirmation,
        Tone::StutterDial,
    ];

    /// The tone's frequencies and cadence in `region`.
    pub fn spec(self, region: Region) -> &'static ToneSpec {
        match region {
            Region::Us => us(self),
            Region::Uk => uk(self),
            Region::Eu => eu(self),
        }
    }
}

/// What follows the cadence of a [`ToneSpec`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ending {
    /// The cadence repeats for ever.
    Repeat,
    /// After this many cycles the tone stays on (stutter dial tone).
    SteadyAfter(u16),
    /// After this many cycles the tone stops (confirmation tone).
    SilentAfter(u16),
}

impl Ending {
    /// How many times the cadence plays before what follows: 1 for [`Ending::Repeat`], whose
    /// cycle then starts again.
    pub fn cycles(self) -> u16 {
        match self {
            Ending::Repeat => 1,
            Ending::SteadyAfter(n) | Ending::SilentAfter(n) => n,
        }
    }
}

/// One regional tone: its frequencies, added together, and its cadence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ToneSpec {
    /// The frequencies played together, in Hz.
    pub frequencies: &'static [u16],
    /// Alternating on and off times in milliseconds, starting with on; empty for a continuous
    /// tone.
    pub cadence_ms: &'static [u32],
    /// What follows the cadence.
    pub ending: Ending,
    /// Where the values come from.
    pub source: &'static str,
}

const US_PLAN: &str = "ANSI T1.401 / Telcordia GR-506 precise tone plan (ITU-T E.180 Suppl. 2, USA)";
const UK_PLAN: &str = "BT SIN 350 (ITU-T E.180 Suppl. 2, United Kingdom)";
const EU_PLAN: &str = "CEPT T/CS 20-15, ETSI TR 101 041-1 / ES 201 970 (ITU-T E.180 §2: 425 Hz)";

/// A continuous tone of `frequencies`.
const fn steady(frequencies: &'static [u16], source: &'static str) -> ToneSpec {
    ToneSpec { frequencies, cadence_ms: &[], ending: Ending::Repeat, source }
}

/// A tone of `frequencies` repeating `cadence_ms` for ever.
const fn cadenced(frequencies: &'static [u16], cadence_ms: &'static [u32], source: &'static str) -> ToneSpec {
    ToneSpec { frequencies, cadence_ms, ending: Ending::Repeat, source }
}

/// The North American tones.
fn us(tone: Tone) -> &'static ToneSpec {
    const DIAL: ToneSpec = steady(&[350, 440], US_PLAN);
    const RINGBACK: ToneSpec = cadenced(&[440, 480], &[2000, 4000], US_PLAN);
    const BUSY: ToneSpec = cadenced(&[480, 620], &[500, 500], US_PLAN);
    const REORDER: ToneSpec = cadenced(&[480, 620], &[250, 250], US_PLAN);
    // One 300 ms burst, repeated every 10 s while the call waits.
    const CALL_WAITING: ToneSpec = cadenced(&[440], &[300, 9700], US_PLAN);
    const CONFIRMATION: ToneSpec = ToneSpec {
        frequencies: &[350, 440],
        cadence_ms: &[100, 100, 100, 100, 100],
        ending: Ending::SilentAfter(1),
        source: US_PLAN,
    };
    // Ten 100 ms interruptions, then steady dial tone.
    const STUTTER: ToneSpec = ToneSpec {
        frequencies: &[350, 440],
        cadence_ms: &[100, 100],
        ending: Ending::SteadyAfter(10),
        source: US_PLAN,
    };
    match tone {
        Tone::Dial => &DIAL,
        Tone::Ringback => &RINGBACK,
        Tone::Busy => &BUSY,
        Tone::Congestion => &REORDER,
        Tone::CallWaiting => &CALL_WAITING,
        Tone::Confirmation => &CONFIRMATION,
        Tone::StutterDial => &STUTTER,
    }
}

/// The British tones.
fn uk(tone: Tone) -> &'static ToneSpec {
    const DIAL: ToneSpec = steady(&[350, 450], UK_PLAN);
    const RINGBACK: ToneSpec = cadenced(&[400, 450], &[400, 200, 400, 2000], UK_PLAN);
    const BUSY: ToneSpec = cadenced(&[400], &[375, 375], UK_PLAN);
    const CONGESTION: ToneSpec = cadenced(&[400], &[400, 350, 225, 525], UK_PLAN);
    const CALL_WAITING: ToneSpec = cadenced(&[400], &[100, 2000], UK_PLAN);
    // BT has no confirmation tone of its own: three short bursts of dial tone.
    const CONFIRMATION: ToneSpec = ToneSpec {
        frequencies: &[350, 450],
        cadence_ms: &[100, 100, 100, 100, 100],
        ending: Ending::SilentAfter(1),
        source: "three 100 ms bursts of BT SIN 350 dial tone (no BT confirmation tone)",
    };
    // Special (interrupted) dial tone.
    const STUTTER: ToneSpec = cadenced(&[350, 450], &[750, 750], UK_PLAN);
    match tone {
        Tone::Dial => &DIAL,
        Tone::Ringback => &RINGBACK,
        Tone::Busy => &BUSY,
        Tone::Congestion => &CONGESTION,
        Tone::CallWaiting => &CALL_WAITING,
        Tone::Confirmation => &CONFIRMATION,
        Tone::StutterDial => &STUTTER,
    }
}

/// The European harmonised tones.
fn eu(tone: Tone) -> &'static ToneSpec {
    const DIAL: ToneSpec = steady(&[425], EU_PLAN);
    const RINGBACK: ToneSpec = cadenced(&[425], &[1000, 4000], EU_PLAN);
    const BUSY: ToneSpec = cadenced(&[425], &[500, 500], EU_PLAN);
    const CONGESTION: ToneSpec = cadenced(&[425], &[250, 250], EU_PLAN);
    // Two 200 ms bursts every 5 s; national off times vary (Germany: 5.0 s).
    const CALL_WAITING: ToneSpec = cadenced(&[425], &[200, 200, 200, 4400], EU_PLAN);
    const CONFIRMATION: ToneSpec = ToneSpec {
        frequencies: &[425],
        cadence_ms: &[100, 100, 100, 100, 100],
        ending: Ending::SilentAfter(1),
        source: "three 100 ms bursts of 425 Hz (no harmonised ETSI confirmation tone)",
    };
    // Special dial tone.
    const STUTTER: ToneSpec = cadenced(&[425], &[400, 40], EU_PLAN);
    match tone {
        Tone::Dial => &DIAL,
        Tone::Ringback => &RINGBACK,
        Tone::Busy => &BUSY,
        Tone::Congestion => &CONGESTION,
        Tone::CallWaiting => &CALL_WAITING,
        Tone::Confirmation => &CONFIRMATION,
        Tone::StutterDial => &STUTTER,
    }
}

/// A synthesized ring for incoming calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Ringtone {
    /// An electronic trill: 1000 and 1250 Hz alternating every 25 ms, in a double ring
    /// (0.4 s on, 0.2 s off, 0.4 s on, 2 s off).
    Warble,
    /// A bell: a clapper striking 20 times a second for 2 s (4 s off), each strike a decaying
    /// chord of inharmonic partials (900, 1800 and 2484 Hz).
    Bell,
    /// A short melody: the rising arpeggio C5 E5 G5 C6 twice, then 2 s of silence.
    Melody,
}

impl Ringtone {
    /// Every ringtone.
    pub const ALL: [Ringtone; 3] = [Ringtone::Warble, Ringtone::Bell, Ringtone::Melody];
}

/// One frequency of a note: `hz` at `gain` times the generator's level.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Partial {
    pub hz: f64,
    pub gain: f64,
}

/// A stretch of sound or silence.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Note {
    /// Silence when empty.
    pub partials: Vec<Partial>,
    pub ms: u32,
    /// The time constant of an exponential decay, in ms; none for a flat note.
    pub decay_ms: Option<f64>,
}

/// What follows the last note of a [`Score`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ScoreEnd {
    /// Start again from the first note.
    Loop,
    /// The last note goes on for ever (its `ms` is ignored).
    Hold,
    /// Silence for ever.
    Stop,
}

/// A sequence of notes.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Score {
    pub notes: Vec<Note>,
    pub end: ScoreEnd,
}

fn flat(partials: &[f64], ms: u32) -> Note {
    Note { partials: partials.iter().map(|&hz| Partial { hz, gain: 1.0 }).collect(), ms, decay_ms: None }
}

fn rest(ms: u32) -> Note {
    Note { partials: Vec::new(), ms, decay_ms: None }
}

/// The score of a regional tone.
pub(crate) fn tone_score(spec: &ToneSpec) -> Score {
    let hz: Vec<f64> = spec.frequencies.iter().map(|&f| f64::from(f)).collect();
    if spec.cadence_ms.is_empty() {
        return Score { notes: vec![flat(&hz, 0)], end: ScoreEnd::Hold };
    }
    let cycles = usize::from(spec.ending.cycles());
    let mut notes = Vec::with_capacity(cycles * spec.cadence_ms.len() + 1);
    for _ in 0..cycles {
        for (i, &ms) in spec.cadence_ms.iter().enumerate() {
            notes.push(if i % 2 == 0 { flat(&hz, ms) } else { rest(ms) });
        }
    }
    let end = match spec.ending {
        Ending::Repeat => ScoreEnd::Loop,
        Ending::SteadyAfter(_) => {
            notes.push(flat(&hz, 0));
            ScoreEnd::Hold
        }
        Ending::SilentAfter(_) => ScoreEnd::Stop,
    };
    Score { notes, end }
}

/// The score of a DTMF key held down: its ITU-T Q.23 pair, continuous.
pub(crate) fn dtmf_score(event: Event) -> Score {
    let (low, high) = event.frequencies();
    Score { notes: vec![flat(&[f64::from(low), f64::from(high)], 0)], end: ScoreEnd::Hold }
}

/// The score of a ringtone.
pub(crate) fn ringtone_score(ringtone: Ringtone) -> Score {
    let notes = match ringtone {
        Ringtone::Warble => {
            let burst = || (0..16).map(|i| flat(&[if i % 2 == 0 { 1000.0 } else { 1250.0 }], 25));
            let mut notes: Vec<Note> = burst().collect();
            notes.push(rest(200));
            notes.extend(burst());
            notes.push(rest(2000));
            notes
        }
        Ringtone::Bell => {
            let strike = Note {
                partials: vec![
                    Partial { hz: 900.0, gain: 1.0 },
                    Partial { hz: 1800.0, gain: 0.5 },
                    Partial { hz: 2484.0, gain: 0.3 },
                ],
                ms: 50,
                decay_ms: Some(40.0),
            };
            let mut notes = vec![strike; 40];
            notes.push(rest(4000));
            notes
        }
        Ringtone::Melody => {
            let arpeggio = [523.25, 659.26, 783.99, 1046.5];
            let mut notes = Vec::new();
            for _ in 0..2 {
                for hz in arpeggio {
                    notes.push(Note { partials: vec![Partial { hz, gain: 1.0 }], ms: 150, decay_ms: Some(250.0) });
                    notes.push(rest(50));
                }
            }
            notes.push(rest(2000));
            notes
        }
    };
    Score { notes, end: ScoreEnd::Loop }
}
