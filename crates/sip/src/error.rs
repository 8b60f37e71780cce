//! The crate's one error type, built from domain sub-enums.
//!
//! Peer faults (what came off the wire: [`ParseError`], [`LimitError`], [`HeaderError`], URI and
//! digest faults) are kept apart from API misuse by our own code ([`BuildError`]).

use crate::digest::DigestError;
use crate::uri::UriError;

/// Every error this crate returns.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The bytes are not a SIP message (peer fault).
    #[error(transparent)]
    Parse(#[from] ParseError),
    /// The message exceeds a configured limit (peer fault).
    #[error(transparent)]
    Limit(#[from] LimitError),
    /// A header value does not follow its grammar (peer fault).
    #[error(transparent)]
    Header(#[from] HeaderError),
    /// A URI does not follow RFC 3261 §19.1 (peer fault).
    #[error(transparent)]
    Uri(#[from] UriError),
    /// A digest challenge or credential is unusable (peer fault).
    #[error(transparent)]
    Digest(#[from] DigestError),
    /// A transaction could not do what was asked (RFC 3261 §17).
    #[error(transparent)]
    Transaction(#[from] crate::transaction::TransactionError),
    /// A SIP server could not be located (RFC 3263).
    #[error(transparent)]
    Locate(#[from] crate::locate::LocateError),
    /// A registration was misconfigured or fed an input that is not its own (RFC 3261 §10).
    #[error(transparent)]
    Registration(#[from] crate::registration::RegistrationError),
    /// Our own code asked for something invalid (API misuse).
    #[error(transparent)]
    Build(#[from] BuildError),
}

/// Framing and start-line faults (RFC 3261 §7).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// Nothing but white space.
    #[error("empty message")]
    Empty,
    /// The request line is not `Method SP Request-URI SP SIP-Version`.
    #[error("malformed request line")]
    BadRequestLine,
    /// The method is not a `token`.
    #[error("method is not a token")]
    BadMethod,
    /// The status line is not `SIP-Version SP Status-Code SP Reason-Phrase`.
    #[error("malformed status line")]
    BadStatusLine,
    /// The status code is not three digits from 100 to 699.
    #[error("status code is not three digits from 100 to 699")]
    BadStatusCode,
    /// The version is not `SIP/digits.digits`.
    #[error("malformed SIP version")]
    BadVersion,
    /// A header line has no colon, or its name is not a token.
    #[error("malformed header line {line}")]
    BadHeaderLine {
        /// 1-based line number in the message.
        line: usize,
    },
    /// The first header line starts with white space (a fold with nothing to continue).
    #[error("continuation line with no header before it")]
    FoldWithoutHeader,
    /// A stream frame's header section is not complete yet and the peer sent more than a message
    /// may hold.
    #[error("no empty line ends the header section")]
    UnterminatedHeaders,
    /// Content-Length is not a non-negative decimal number.
    #[error("malformed Content-Length")]
    BadContentLength,
    /// Several Content-Length values that disagree.
    #[error("conflicting Content-Length values")]
    ConflictingContentLength,
}

/// A configured hard limit was exceeded; see [`crate::Limits`].
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LimitError {
    /// The message is larger than `Limits::max_message_size`.
    #[error("message larger than {limit} octets")]
    MessageTooLarge {
        /// The limit in force.
        limit: usize,
    },
    /// More header lines than `Limits::max_headers`.
    #[error("more than {limit} header fields")]
    TooManyHeaders {
        /// The limit in force.
        limit: usize,
    },
    /// A header field (with its folds) longer than `Limits::max_header_len`.
    #[error("header field longer than {limit} octets")]
    HeaderTooLong {
        /// The limit in force.
        limit: usize,
    },
    /// More Via values than `Limits::max_vias`.
    #[error("more than {limit} Via values")]
    TooManyVias {
        /// The limit in force.
        limit: usize,
    },
    /// A Request-URI longer than `Limits::max_uri_len`.
    #[error("Request-URI longer than {limit} octets")]
    UriTooLong {
        /// The limit in force.
        limit: usize,
    },
}

/// A header value that breaks its grammar: which header, and what is wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("malformed {header} header: {fault}")]
pub struct HeaderError {
    /// The header's canonical name.
    pub header: &'static str,
    /// What is wrong with it.
    pub fault: HeaderFault,
}

impl HeaderError {
    /// A fault in `header`.
    pub fn new(header: &'static str, fault: HeaderFault) -> Self {
        HeaderError { header, fault }
    }
}

/// What is wrong with a header value.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HeaderFault {
    /// The value is empty where the grammar needs one.
    #[error("empty value")]
    Empty,
    /// A list has an empty element (`a,,b`).
    #[error("empty list element")]
    EmptyElement,
    /// The header appears more than once where only one is allowed (RFC 3261 §7.3.1).
    #[error("more than one value")]
    Repeated,
    /// A required header is absent.
    #[error("missing")]
    Missing,
    /// A number has non-digits, or no digits.
    #[error("not a number")]
    BadNumber,
    /// A number is outside the range its grammar allows.
    #[error("number out of range")]
    OutOfRange,
    /// A `token` was expected.
    #[error("token expected")]
    BadToken,
    /// A quoted string has no closing quote.
    #[error("unterminated quoted string")]
    UnterminatedQuote,
    /// A display name is neither a quoted string nor a sequence of tokens.
    #[error("display name must be tokens or a quoted string")]
    BadDisplayName,
    /// A `<` has no matching `>`.
    #[error("unclosed <")]
    UnclosedAngle,
    /// A URI with parameters or headers is not enclosed in `<>` (RFC 3261 §20).
    #[error("URI with ; or ? must be enclosed in <>")]
    AddrSpecNeedsAngles,
    /// The URI inside the header is malformed.
    #[error("bad URI: {0}")]
    BadUri(crate::uri::UriError),
    /// A `;name=value` parameter is malformed.
    #[error("malformed parameter")]
    BadParam,
    /// A parameter appears twice.
    #[error("parameter repeated")]
    DuplicateParam,
    /// The sent-protocol of a Via is not `SIP/2.0/transport`.
    #[error("malformed sent-protocol")]
    BadProtocol,
    /// The host or port is malformed.
    #[error("malformed host or port")]
    BadHostPort,
    /// Text follows where the value should end.
    #[error("unexpected text after value")]
    TrailingText,
    /// A media type is not `type/subtype`.
    #[error("malformed media type")]
    BadMediaType,
    /// A digest challenge or credential is malformed or unusable.
    #[error("{0}")]
    BadDigest(crate::digest::DigestError),
    /// A date is not RFC 1123 in GMT.
    #[error("malformed date")]
    BadDate,
}

/// Our own code asked for something invalid (API misuse, never a peer fault).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    /// A header name that is not a token.
    #[error("header name is not a token")]
    BadHeaderName,
    /// A header value with CR, LF or NUL.
    #[error("header value contains CR, LF or NUL")]
    BadHeaderValue,
    /// A method that is not a token.
    #[error("method is not a token")]
    BadMethod,
    /// A status code outside 100..=699.
    #[error("status code outside 100..=699")]
    BadStatusCode,
    /// A reason phrase with CR or LF.
    #[error("reason phrase contains CR or LF")]
    BadReason,
    /// More than 4 GiB of header values built into one message.
    #[error("header values exceed 4 GiB")]
    HeadersTooLarge,
    /// A Request-URI with white space or control characters.
    #[error("Request-URI contains white space or control characters")]
    BadRequestUri,
}
