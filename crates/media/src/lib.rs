//! Sans-IO media for Hardphone: codecs, the jitter buffer with loss concealment, RFC 4733 DTMF,
//! call-progress tones and the mixer of calls, tones and a local conference.
//!
//! Nothing here does I/O, reads a clock or draws global randomness: audio frames and packets go
//! in with `now`, frames and packets come out. The edge runs it on its own thread.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod codec;
pub mod dtmf;
pub mod jitter;
pub mod mix;
pub mod quality;
pub mod rtcp;
pub mod rtp;
pub mod session;
pub mod tones;
