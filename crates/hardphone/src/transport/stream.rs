//! The task that reads one TCP/TLS connection, cuts it into [`sip::Frame`]s and hands them to
//! [`super::Transports::next_event`].

use std::io;

use sip::{Limits, StreamFramer};
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;

use super::{CloseReason, FlowId};

/// Bytes asked of the socket per read. The framer holds at most this much beyond
/// `Limits::max_message_size`.
const READ_CHUNK: usize = 16 * 1024;

/// The read side of a flow.
pub(super) type Reader = Box<dyn AsyncRead + Send + Unpin>;

/// What the listener and the reader tasks tell the [`super::Transports`] that owns them.
#[derive(Debug)]
pub(super) enum Internal {
    /// The listener accepted a connection; `next_event` makes it a flow.
    Accepted { stream: TcpStream, from: std::net::SocketAddr },
    /// A flow delivered a frame.
    Frame { flow: FlowId, frame: sip::Frame },
    /// A flow's reader ended.
    Closed { flow: FlowId, reason: CloseReason },
}

/// Reads `reader` until it ends, then reports why. Waits when the event queue is full, so a fast
/// peer is slowed down to the pace of the core rather than buffered.
pub(super) async fn read_loop(flow: FlowId, mut reader: Reader, events: mpsc::Sender<Internal>) {
    if let Some(reason) = pump(flow, &mut reader, &events).await {
        tracing::debug!(%flow, %reason, "flow ended");
        let _ = events.send(Internal::Closed { flow, reason }).await;
    }
}

/// `None` when nobody listens any more (the `Transports` is gone).
async fn pump(flow: FlowId, reader: &mut Reader, events: &mpsc::Sender<Internal>) -> Option<CloseReason> {
    let mut framer = StreamFramer::new(Limits::default());
    let mut chunk = vec![0u8; READ_CHUNK];
    loop {
        let n = match reader.read(&mut chunk).await {
            Ok(0) => return Some(CloseReason::PeerClosed),
            Ok(n) => n,
            Err(error) => return Some(read_error(error)),
        };
        framer.push(&chunk[..n]);
        loop {
            match framer.next_frame() {
                Ok(Some(frame)) => events.send(Internal::Frame { flow, frame }).await.ok()?,
                Ok(None) => break,
                Err(error) => return Some(CloseReason::Framing(error)),
            }
        }
    }
}

/// Sorts a read error: TLS faults come out of tokio-rustls as `io::Error`s wrapping a
/// `rustls::Error`; a TLS peer that closes without `close_notify` gives `UnexpectedEof`.
fn read_error(error: io::Error) -> CloseReason {
    if let Some(tls) = tls_error(&error) {
        return CloseReason::Tls(tls);
    }
    match error.kind() {
        io::ErrorKind::UnexpectedEof => CloseReason::PeerClosed,
        _ => CloseReason::Io(error),
    }
}

/// The rustls error inside an I/O error from tokio-rustls, if there is one.
pub(super) fn tls_error(error: &io::Error) -> Option<rustls::Error> {
    error.get_ref().and_then(|inner| inner.downcast_ref::<rustls::Error>()).cloned()
}
