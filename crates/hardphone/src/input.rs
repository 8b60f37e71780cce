//! Linux input devices at the edge: one thread per configured device reads its `input_event`
//! records (`/dev/input/eventN`, 24 bytes each) and sends what they mean
//! ([`phone::keymap::KeyMap`]) to the phone loop.
//!
//! A device that is absent or unplugged (the read fails or ends) is opened again every
//! [`REOPEN_INTERVAL`], so a USB handset can be plugged in after the phone started, or
//! unplugged and plugged back. The threads end when the loop drops its receiver (at the next
//! event) or with the process. Reading needs no ioctl: the device is not grabbed, so give the
//! phone's user read access to it (the `input` group, or a udev rule, docs/CONFIG.md).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use phone::keymap::{parse_event, InputAction, KeyMap, EVENT_SIZE};
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};
use tracing::{debug, info, warn};

/// How long to wait before opening a missing or unplugged device again.
pub const REOPEN_INTERVAL: Duration = Duration::from_secs(2);

/// Starts reading `devices`; the actions arrive on the returned receiver, with the device they
/// came from.
pub fn spawn(devices: &[PathBuf], map: KeyMap) -> UnboundedReceiver<(PathBuf, InputAction)> {
    let (sender, receiver) = unbounded_channel();
    for path in devices {
        let (path, map, sender) = (path.clone(), map.clone(), sender.clone());
        let name = format!("input {}", path.display());
        let started = std::thread::Builder::new().name(name).spawn(move || read_forever(&path, &map, &sender));
        if let Err(error) = started {
            warn!(%error, "cannot start an input device thread");
        }
    }
    receiver
}

/// Opens `path` and reads it, again and again, until the receiver is gone.
fn read_forever(path: &Path, map: &KeyMap, sender: &UnboundedSender<(PathBuf, InputAction)>) {
    let mut logged_missing = false;
    while !sender.is_closed() {
        match std::fs::File::open(path) {
            Ok(file) => {
                info!(device = %path.display(), "input device opened");
                logged_missing = false;
                if read_events(file, path, map, sender).is_err() {
                    return;
                }
                info!(device = %path.display(), "input device closed; waiting for it to return");
            }
            Err(error) if !logged_missing => {
                warn!(device = %path.display(), %error, "cannot open the input device; trying again every 2 s");
                logged_missing = true;
            }
            Err(_) => {}
        }
        std::thread::sleep(REOPEN_INTERVAL);
    }
}

/// Reads records until the device ends or fails (`Ok`), or the receiver is gone (`Err`).
fn read_events(
    mut file: std::fs::File,
    path: &Path,
    map: &KeyMap,
    sender: &UnboundedSender<(PathBuf, InputAction)>,
) -> Result<(), ()> {
    let mut record = [0u8; EVENT_SIZE];
    loop {
        if let Err(error) = file.read_exact(&mut record) {
            debug!(device = %path.display(), %error, "input device read ended");
            return Ok(());
        }
        let Some(action) = parse_event(&record).and_then(|event| map.map(event)) else { continue };
        debug!(device = %path.display(), ?action, "input");
        sender.send((path.to_owned(), action)).map_err(drop)?;
    }
}
