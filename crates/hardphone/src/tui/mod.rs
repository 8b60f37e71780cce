//! The terminal deskphone (ratatui + crossterm): the phone's screen, soft keys, line keys with
//! their lamps, feature lamps, a keypad and the keyboard map, drawn in the terminal, driven by
//! the keyboard ([`keys::HELP`]).
//!
//! It runs on its own thread, which owns the terminal: it sends the phone loop the keys typed
//! ([`FrontInput`]) and draws every [`FrontView`] the loop sends back, blinking lamps included.
//! It ends when the loop drops its end of the views channel (the phone stopped), restoring the
//! terminal; a panic anywhere restores it too (ratatui's panic hook). While it runs, nothing
//! else may write to the terminal: the log goes to a file (`main.rs`).

use std::sync::mpsc::{Receiver, TryRecvError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use ratatui::crossterm::event::{self, Event};
use ratatui::DefaultTerminal;
use tokio::sync::mpsc::UnboundedSender;

use crate::device_edge::{FrontInput, FrontLink, FrontView};

pub mod draw;
pub mod keys;

/// How often the terminal is drawn at least (blinking lamps, a resized window).
const FRAME: Duration = Duration::from_millis(100);
/// A fast-blinking lamp's half period (a ringing line).
const FAST_BLINK: Duration = Duration::from_millis(250);
/// A slow-blinking lamp's half period (a held line).
const SLOW_BLINK: Duration = Duration::from_millis(500);

/// The running terminal deskphone.
#[derive(Debug)]
pub struct Tui {
    thread: JoinHandle<()>,
}

impl Tui {
    /// Waits for the terminal thread to end (after the phone loop ended) and the terminal to
    /// be restored.
    pub fn join(self) {
        if self.thread.join().is_err() {
            ratatui::restore();
        }
    }
}

/// Takes over the terminal (raw mode, alternate screen) and starts the deskphone's thread; the
/// phone loop gets the returned link. `log_file` is shown on the screen.
pub fn start(log_file: &str) -> std::io::Result<(FrontLink, Tui)> {
    let terminal = ratatui::try_init()?;
    let (inputs_tx, inputs) = tokio::sync::mpsc::unbounded_channel();
    let (views, views_rx) = std::sync::mpsc::channel();
    let log_file = log_file.to_owned();
    let thread = std::thread::Builder::new().name("terminal".into()).spawn(move || {
        let result = run(terminal, &inputs_tx, &views_rx, &log_file);
        ratatui::restore();
        if let Err(error) = result {
            eprintln!("terminal deskphone: {error}");
            let _ = inputs_tx.send(FrontInput::Quit);
        }
    });
    match thread {
        Ok(thread) => Ok((FrontLink { inputs, views }, Tui { thread })),
        Err(error) => {
            ratatui::restore();
            Err(error)
        }
    }
}

/// Draws and reads keys until the loop hangs up its views channel.
fn run(
    mut terminal: DefaultTerminal,
    inputs: &UnboundedSender<FrontInput>,
    views: &Receiver<FrontView>,
    log_file: &str,
) -> std::io::Result<()> {
    let start = Instant::now();
    let mut view: Option<FrontView> = None;
    loop {
        loop {
            match views.try_recv() {
                Ok(new) => view = Some(new),
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => return Ok(()),
            }
        }
        let elapsed = start.elapsed().as_millis();
        let blink = draw::Blink {
            fast: (elapsed / FAST_BLINK.as_millis()).is_multiple_of(2),
            slow: (elapsed / SLOW_BLINK.as_millis()).is_multiple_of(2),
        };
        terminal.draw(|frame| draw::draw(frame, view.as_ref(), blink, log_file))?;
        if event::poll(FRAME)? {
            if let Event::Key(key) = event::read()? {
                let text_entry = view.as_ref().is_some_and(|v| v.screen.text_entry);
                if let Some(input) = keys::map_key(key, text_entry) {
                    // The loop is gone when this fails: the next try_recv says so.
                    let _ = inputs.send(input);
                }
            }
        }
    }
}
