//! Sans-IO SDP for Hardphone: session descriptions (RFC 8866) and the offer/answer model
//! (RFC 3264) for audio calls.
#![forbid(unsafe_code)]
#![warn(missing_docs)]
