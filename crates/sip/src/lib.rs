//! Sans-IO SIP for Hardphone: messages, URIs, typed headers, request validation and digest
//! authentication.
//!
//! Nothing in this crate does I/O, reads a clock or draws global randomness. Bytes go in, typed
//! views and bytes come out. Hostile input gets a precise error, never a panic.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod dialog;
pub mod digest;
pub mod error;
pub mod framer;
pub mod grammar;
pub mod header;
pub mod headers;
pub mod inspect;
pub mod keepalive;
pub mod limits;
pub mod locate;
pub mod message;
pub mod multipart;
pub mod name;
#[cfg(feature = "oracle")]
pub mod oracle;
pub mod parse;
pub mod registration;
pub mod reply;
pub mod session;
pub mod transaction;
pub mod transport;
pub mod uri;
pub mod validate;

pub use error::{BuildError, Error, HeaderError, HeaderFault, LimitError, ParseError};
pub use framer::{Frame, StreamFramer};
pub use header::{Params, TypedHeader};
pub use headers::Headers;
pub use inspect::{inspect_datagram, Inspection, Kind, Verdict};
pub use limits::Limits;
pub use message::{Message, Method, Request, Response, Version};
pub use name::HeaderName;
pub use parse::{parse_datagram, parse_datagram_with};
pub use reply::{reason_phrase, reply};
pub use transport::Transport;
pub use validate::{validate_request, validate_response, Rejection, ResponseFault, UasPolicy};
