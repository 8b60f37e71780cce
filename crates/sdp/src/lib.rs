//! Sans-IO SDP for Hardphone: session descriptions (RFC 8866) and the offer/answer model
//! (RFC 3264) for audio calls.
//!
//! Nothing in this crate does I/O, reads a clock or draws randomness: session ids, versions,
//! addresses and ports come in from the caller. Hostile input gets a precise [`Error`] (with the
//! SDP line number for syntax faults), never a panic, and every allocation a peer can cause is
//! bounded by [`Limits`].
//!
//! - [`SessionDescription::parse`] reads SDP (CRLF or bare LF, RFC 8866 §5) into the model of
//!   [`model`]; [`SessionDescription::encode`] / `Display` write it back with CRLF in RFC order.
//! - [`negotiate`] builds offers ([`make_offer`]), answers them ([`answer_offer`]), checks answers
//!   to our offers ([`accept_answer`]) and follows re-offers ([`next_version`],
//!   [`classify_remote_sdp`], [`NegotiatedAudio::changes_since`]) per RFC 3264.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod attribute;
pub mod error;
mod grammar;
pub mod model;
pub mod negotiate;
pub mod parse;
pub mod payload;
mod serialize;

pub use attribute::{Attribute, Direction, Fmtp, Rtcp, RtpMap};
pub use error::{Error, Field, LimitError, NegotiationError, ParseError, ParseFault, UsageError};
pub use model::{
    Bandwidth, Connection, ExtraLine, MediaDescription, MediaType, Origin, RtpFormat, SessionDescription, Timing,
};
pub use negotiate::{
    accept_answer, answer_offer, classify_remote_sdp, make_offer, make_reoffer, next_version, Capabilities, Codec,
    Endpoint, Host, LocalMedia, MediaChanges, NegotiatedAudio, NegotiatedCodec, RemoteSdpChange, TelephoneEventCap,
};
pub use parse::Limits;
