//! The control interface: a running phone is driven from scripts and other programs over a Unix
//! socket. One request per line (`status`, `dial 2002`, `answer`, `hangup 3`, `hold`, `resume`,
//! `dtmf 123#`, `transfer 2003`, `mute`, `unmute`, `conference 1 2`, `tone dial`, `ring bell`,
//! `path speaker`, `volume handset 7`), one JSON line back (`{"ok":true,...}` or
//! `{"ok":false,"error":"..."}`). `hardphone ctl COMMAND...` is the client; the same requests
//! are the API the device UI uses.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use media::tones::{Ringtone, Tone};
use phone::device::{AudioPath, VolumeOf};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
use tokio::net::UnixListener;
use tokio::sync::{mpsc, oneshot};
use tracing::{info, warn};

pub mod exec;

/// Longest request line accepted, in bytes.
pub const MAX_LINE: usize = 1024;

/// How long the client waits for the phone's answer.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(10);

/// The socket path when none is given: `ctl.sock` in the phone's state directory.
pub fn default_socket(state_dir: &Path) -> PathBuf {
    state_dir.join("ctl.sock")
}

/// One request to the phone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// Accounts with their registration state, calls with their state, peer, codec, quality.
    Status,
    /// Call `uri` (a number, `user@host` or a SIP URI) from `account` (default: the first).
    Dial {
        /// What to call.
        uri: String,
        /// The account index (`Config::accounts`).
        account: Option<usize>,
    },
    /// Answer `call` (default: the newest ringing one).
    Answer(Option<u64>),
    /// Hang up `call` (default: the newest live one).
    Hangup(Option<u64>),
    /// Put `call` on hold (default: the active one); a VICIdial agent session is muted instead
    /// (RTP keeps flowing).
    Hold(Option<u64>),
    /// Take `call` off hold (default: a muted agent session, else the held one).
    Resume(Option<u64>),
    /// Send DTMF digits on `call` (default: the active one).
    Dtmf {
        /// `0-9 * # A-D`.
        digits: String,
        /// The call.
        call: Option<u64>,
    },
    /// Blind-transfer `call` (default: the active one) to `uri` (RFC 3515 REFER); with
    /// `call-N` as the target, an attended transfer of `call` (default: the held one) to the
    /// far end of call N, which it replaces (RFC 3891).
    Transfer {
        /// Where to.
        uri: String,
        /// The call.
        call: Option<u64>,
    },
    /// Mute the microphone: every call is sent silence, its RTP flowing as before.
    Mute,
    /// Unmute the microphone.
    Unmute,
    /// Mix these calls in a local conference, taking held ones off hold (`conference 1 2`);
    /// none (`conference` or `conference off`) ends it.
    Conference(Vec<u64>),
    /// Play a call-progress tone on the audio path (`tone dial`, `tone call-waiting`, ...), or
    /// stop it (`tone stop`).
    Tone(Option<Tone>),
    /// Ring with a ringtone (`ring warble|bell|melody`), or stop (`ring stop`).
    Ring(Option<Ringtone>),
    /// Route the call audio and tones (`path handset|speaker|headset|off`).
    Path(AudioPath),
    /// Set a volume, `0..=10` (`volume ringer|handset|speaker|headset LEVEL`).
    Volume {
        /// Which one.
        of: VolumeOf,
        /// The level.
        level: u8,
    },
}

impl Request {
    /// Reads one request line: the command word, then its arguments.
    pub fn parse(line: &str) -> Result<Request, String> {
        let words: Vec<&str> = line.split_whitespace().collect();
        let call = |i: usize| -> Result<Option<u64>, String> {
            words
                .get(i)
                .map(|w| w.trim_start_matches("call-").parse().map_err(|_| format!("not a call: {w}")))
                .transpose()
        };
        let Some(command) = words.first() else { return Err("empty request".into()) };
        let request = match *command {
            "status" => Request::Status,
            "dial" => {
                let uri = words.get(1).ok_or("dial needs a number or URI")?.to_string();
                let account =
                    words.get(2).map(|a| a.parse().map_err(|_| format!("not an account: {a}"))).transpose()?;
                Request::Dial { uri, account }
            }
            "answer" => Request::Answer(call(1)?),
            "hangup" => Request::Hangup(call(1)?),
            "hold" => Request::Hold(call(1)?),
            "resume" => Request::Resume(call(1)?),
            "dtmf" => Request::Dtmf { digits: words.get(1).ok_or("dtmf needs digits")?.to_string(), call: call(2)? },
            "transfer" => {
                Request::Transfer { uri: words.get(1).ok_or("transfer needs a target")?.to_string(), call: call(2)? }
            }
            other => return parse_audio(other, &words[1..]),
        };
        Ok(request)
    }
}

/// The audio requests: mute, unmute, conference, tone, ring, path, volume.
fn parse_audio(command: &str, args: &[&str]) -> Result<Request, String> {
    let word = |what: &str| args.first().copied().ok_or(format!("{command} needs {what}"));
    let request = match command {
        "mute" => Request::Mute,
        "unmute" => Request::Unmute,
        "conference" if args.first() == Some(&"off") => Request::Conference(Vec::new()),
        "conference" => Request::Conference(
            args.iter()
                .map(|w| w.trim_start_matches("call-").parse().map_err(|_| format!("not a call: {w}")))
                .collect::<Result<_, _>>()?,
        ),
        "tone" => Request::Tone(match word("a tone or stop")? {
            "stop" => None,
            name => Some(tone_named(name).ok_or(format!("unknown tone: {name}"))?),
        }),
        "ring" => Request::Ring(match word("a ringtone or stop")? {
            "stop" => None,
            "warble" => Some(Ringtone::Warble),
            "bell" => Some(Ringtone::Bell),
            "melody" => Some(Ringtone::Melody),
            name => return Err(format!("unknown ringtone: {name}")),
        }),
        "path" => Request::Path(match word("handset, speaker, headset or off")? {
            "handset" => AudioPath::Handset,
            "speaker" => AudioPath::Speaker,
            "headset" => AudioPath::Headset,
            "off" => AudioPath::Off,
            name => return Err(format!("unknown audio path: {name}")),
        }),
        "volume" => {
            let of = match word("ringer, handset, speaker or headset")? {
                "ringer" => VolumeOf::Ringer,
                "handset" => VolumeOf::Handset,
                "speaker" => VolumeOf::Speaker,
                "headset" => VolumeOf::Headset,
                name => return Err(format!("unknown volume: {name}")),
            };
            let level = args.get(1).ok_or("volume needs a level, 0 to 10")?;
            let level = level.parse().ok().filter(|l| *l <= 10).ok_or(format!("not a level 0 to 10: {level}"))?;
            Request::Volume { of, level }
        }
        other => return Err(format!("unknown command: {other}")),
    };
    Ok(request)
}

/// A call-progress tone by its name in `hardphone ctl tone NAME`.
fn tone_named(name: &str) -> Option<Tone> {
    Some(match name {
        "dial" => Tone::Dial,
        "ringback" => Tone::Ringback,
        "busy" => Tone::Busy,
        "congestion" => Tone::Congestion,
        "call-waiting" => Tone::CallWaiting,
        "confirmation" => Tone::Confirmation,
        "stutter-dial" => Tone::StutterDial,
        _ => return None,
    })
}

/// A request from a client with where its answer goes.
#[derive(Debug)]
pub struct CtlCall {
    /// The request.
    pub request: Request,
    /// The answer, one JSON value.
    pub reply: oneshot::Sender<Value>,
}

/// An error answer.
pub fn error(message: impl std::fmt::Display) -> Value {
    json!({ "ok": false, "error": message.to_string() })
}

/// Listens on `path` (replacing a stale socket file) and hands every request to the returned
/// channel; each connection may send several lines.
pub fn serve(path: &Path) -> std::io::Result<mpsc::Receiver<CtlCall>> {
    if path.exists() {
        std::fs::remove_file(path)?;
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let listener = UnixListener::bind(path)?;
    info!(socket = %path.display(), "control interface listening");
    let (tx, rx) = mpsc::channel(16);
    tokio::spawn(async move {
        loop {
            match listener.accept().await {
                Ok((stream, _)) => {
                    tokio::spawn(connection(stream, tx.clone()));
                }
                Err(error) => {
                    warn!(%error, "control interface accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    });
    Ok(rx)
}

/// Serves one client connection: a line in, a JSON line out, until it closes.
async fn connection(stream: tokio::net::UnixStream, tx: mpsc::Sender<CtlCall>) {
    let (read, mut write) = stream.into_split();
    let mut lines = tokio::io::BufReader::new(read.take(64 * MAX_LINE as u64)).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        let answer = if line.len() > MAX_LINE {
            error("request too long")
        } else {
            match Request::parse(&line) {
                Ok(request) => {
                    let (reply, answer) = oneshot::channel();
                    if tx.send(CtlCall { request, reply }).await.is_err() {
                        return;
                    }
                    answer.await.unwrap_or_else(|_| error("the phone is stopping"))
                }
                Err(message) => error(message),
            }
        };
        let mut text = answer.to_string();
        text.push('\n');
        if write.write_all(text.as_bytes()).await.is_err() {
            return;
        }
    }
}

/// `hardphone ctl WORDS...`: sends one request to the phone at `socket`, prints its JSON
/// answer; exit 0 when `ok`, 1 when the phone refused, 2 when it cannot be reached.
pub fn client(socket: &Path, words: &[String]) -> ExitCode {
    let line = words.join(" ");
    if let Err(message) = Request::parse(&line) {
        eprintln!("{message}");
        return ExitCode::from(2);
    }
    let answer = (|| -> std::io::Result<String> {
        let mut stream = UnixStream::connect(socket)?;
        stream.set_read_timeout(Some(CLIENT_TIMEOUT))?;
        stream.write_all(format!("{line}\n").as_bytes())?;
        let mut answer = String::new();
        BufReader::new(stream).read_line(&mut answer)?;
        Ok(answer)
    })();
    match answer {
        Ok(answer) => {
            print!("{answer}");
            let ok = serde_json::from_str::<Value>(&answer).ok().and_then(|v| v["ok"].as_bool()).unwrap_or(false);
            if ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(error) => {
            eprintln!("cannot reach the phone at {}: {error}", socket.display());
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_parse_with_their_arguments() {
        assert_eq!(Request::parse("status"), Ok(Request::Status));
        assert_eq!(Request::parse("dial 2002"), Ok(Request::Dial { uri: "2002".into(), account: None }));
        assert_eq!(Request::parse(" dial sip:a@b 1 "), Ok(Request::Dial { uri: "sip:a@b".into(), account: Some(1) }));
        assert_eq!(Request::parse("answer"), Ok(Request::Answer(None)));
        assert_eq!(Request::parse("hangup call-3"), Ok(Request::Hangup(Some(3))));
        assert_eq!(Request::parse("dtmf 12#"), Ok(Request::Dtmf { digits: "12#".into(), call: None }));
        assert!(Request::parse("").is_err());
        assert!(Request::parse("dial").is_err());
        assert!(Request::parse("hangup x").is_err());
        assert!(Request::parse("reboot").unwrap_err().contains("unknown command"));
    }

    #[test]
    fn audio_requests_parse_with_their_arguments() {
        assert_eq!(Request::parse("mute"), Ok(Request::Mute));
        assert_eq!(Request::parse("unmute"), Ok(Request::Unmute));
        assert_eq!(Request::parse("conference call-1 2"), Ok(Request::Conference(vec![1, 2])));
        assert_eq!(Request::parse("conference"), Ok(Request::Conference(Vec::new())));
        assert_eq!(Request::parse("conference off"), Ok(Request::Conference(Vec::new())));
        assert!(Request::parse("conference x").is_err());
        assert_eq!(Request::parse("tone dial"), Ok(Request::Tone(Some(Tone::Dial))));
        assert_eq!(Request::parse("tone call-waiting"), Ok(Request::Tone(Some(Tone::CallWaiting))));
        assert_eq!(Request::parse("tone stop"), Ok(Request::Tone(None)));
        assert!(Request::parse("tone").is_err());
        assert!(Request::parse("tone siren").unwrap_err().contains("unknown tone"));
        assert_eq!(Request::parse("ring bell"), Ok(Request::Ring(Some(Ringtone::Bell))));
        assert_eq!(Request::parse("ring stop"), Ok(Request::Ring(None)));
        assert_eq!(Request::parse("path speaker"), Ok(Request::Path(AudioPath::Speaker)));
        assert!(Request::parse("path car").is_err());
        assert_eq!(Request::parse("volume handset 7"), Ok(Request::Volume { of: VolumeOf::Handset, level: 7 }));
        assert!(Request::parse("volume handset 11").is_err());
        assert!(Request::parse("volume handset").is_err());
        assert!(Request::parse("volume car 3").is_err());
    }
}
