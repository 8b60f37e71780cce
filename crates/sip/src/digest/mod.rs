//! Digest access authentication for SIP, sans-IO: RFC 3261 §22.4 as updated by RFC 8760, with
//! the computation rules of RFC 7616 (and RFC 2617 / RFC 2069 for backward compatibility).
//!
//! * [`Challenge`] is the typed view of a `WWW-Authenticate` / `Proxy-Authenticate` value
//!   (RFC 7616 §3.3, RFC 3261 §25.1 `challenge`).
//! * [`Authorization`] is the typed view of an `Authorization` / `Proxy-Authorization` value
//!   (RFC 7616 §3.4, RFC 3261 §25.1 `credentials`); its `Display` writes the header value.
//! * [`ClientAuth`] holds the client state for one realm (nonce, nonce count, session key) and
//!   answers challenges; randomness comes from the caller's RNG, never from the OS.
//! * [`compute_response`], [`verify`] and [`verify_with_username`] are the pure computations of
//!   RFC 7616 §3.4.1–§3.4.4, shared by the client and by servers.
//!
//! ```
//! use rand_chacha::{rand_core::SeedableRng, ChaCha8Rng};
//! use sip::digest::{verify, Authorization, Challenge, ClientAuth, DigestRequest};
//!
//! let header = r#"Digest realm="atlanta.com", nonce="84a4cc6f", qop="auth", algorithm=SHA-256"#;
//! let challenge = Challenge::parse(header)?;
//! let mut client = ClientAuth::new("alice", "secret", &challenge)?;
//! let mut rng = ChaCha8Rng::seed_from_u64(1); // the core's seeded RNG
//! let credentials = client.authorize(&DigestRequest::new("REGISTER", "sip:atlanta.com", b""), &mut rng);
//! let value = credentials.to_string(); // the Authorization header field value
//! assert!(value.starts_with(r#"Digest username="alice", realm="atlanta.com""#));
//! assert!(verify(&Authorization::parse(&value)?, "secret", "REGISTER", b""));
//! # Ok::<(), sip::digest::DigestError>(())
//! ```

mod authorization;
mod challenge;
mod client;
mod compute;
mod params;

#[cfg(test)]
mod tests;

pub use authorization::Authorization;
pub use challenge::{Challenge, QopOptions};
pub use client::{ClientAuth, DigestRequest};
pub use compute::{compute_response, verify, verify_with_username, ResponseInputs};

use std::fmt;

/// Why a digest header value was refused or cannot be answered (RFC 7616 §3.3–§3.4,
/// RFC 3261 §22.4, RFC 8760 §2).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DigestError {
    /// The value does not follow `auth-scheme LWS auth-param *(COMMA auth-param)`
    /// (RFC 3261 §25.1); `at` is the byte offset where `expected` was not found.
    #[error("malformed digest header value at byte {at}: expected {expected}")]
    Malformed {
        /// Byte offset into the header value.
        at: usize,
        /// What the parser expected there.
        expected: Expected,
    },
    /// The scheme is not `Digest` (RFC 3261 §22.4: SIP uses Digest only, never Basic).
    #[error("authentication scheme is not Digest")]
    UnsupportedScheme,
    /// A known parameter appears twice (RFC 7235 §2.1: each parameter name only once).
    #[error("digest parameter {0} appears more than once")]
    DuplicateParam(Param),
    /// Both `username` and `username*` were sent (RFC 7616 §3.4: MUST be treated as an error).
    #[error("both username and username* are present")]
    BothUsernameForms,
    /// No `realm` parameter (RFC 7616 §3.3, §3.4).
    #[error("digest realm is missing")]
    MissingRealm,
    /// No `nonce` parameter (RFC 7616 §3.3, §3.4).
    #[error("digest nonce is missing")]
    MissingNonce,
    /// No `username` nor `username*` in credentials (RFC 7616 §3.4).
    #[error("digest username is missing")]
    MissingUsername,
    /// No `uri` in credentials (RFC 7616 §3.4, RFC 3261 §22.4 item 2).
    #[error("digest uri is missing")]
    MissingUri,
    /// No `response` in credentials (RFC 7616 §3.4).
    #[error("digest response is missing")]
    MissingResponse,
    /// `qop` sent without `cnonce` (RFC 2617 §3.2.2: cnonce MUST be sent with qop).
    #[error("digest cnonce is missing although qop is present")]
    MissingCnonce,
    /// `qop` sent without `nc` (RFC 2617 §3.2.2: nc MUST be sent with qop).
    #[error("digest nonce count is missing although qop is present")]
    MissingNonceCount,
    /// The `algorithm` is not one of the RFC 7616 §3.3 / RFC 8760 §2.7 names.
    #[error("digest algorithm is not supported")]
    UnsupportedAlgorithm,
    /// No usable quality of protection: the challenge offers only unknown `qop` values, or the
    /// credentials carry an unknown one (RFC 7616 §3.3, §3.4).
    #[error("digest qop is not supported")]
    UnsupportedQop,
    /// A parameter value breaks its own syntax (for example `nc` not `8LHEX`, or a bad
    /// `username*` ext-value).
    #[error("digest parameter {0} has an invalid value")]
    InvalidValue(Param),
    /// A new challenge names another realm than the one this client state was built for
    /// (RFC 7616 §3.3: credentials belong to one protection space).
    #[error("challenge realm differs from the realm of these credentials")]
    RealmMismatch,
}

/// What the digest parser expected at the offset given in [`DigestError::Malformed`].
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expected {
    /// The `auth-scheme` token (RFC 3261 §25.1).
    Scheme,
    /// White space between the scheme and the first parameter.
    SpaceAfterScheme,
    /// An `auth-param-name` token.
    ParamName,
    /// The `EQUAL` separator after a parameter name.
    Equals,
    /// A token or a well-formed quoted-string (RFC 3261 §25.1 `qdtext` / `quoted-pair`).
    ParamValue,
    /// A `COMMA` between parameters, or the end of the value.
    Comma,
}

impl fmt::Display for Expected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Expected::Scheme => "an authentication scheme",
            Expected::SpaceAfterScheme => "white space after the scheme",
            Expected::ParamName => "a parameter name",
            Expected::Equals => "'='",
            Expected::ParamValue => "a token or quoted-string",
            Expected::Comma => "',' or end of value",
        })
    }
}

/// The digest parameters this module knows (RFC 7616 §3.3, §3.4; RFC 3261 §25.1).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Param {
    /// `realm`
    Realm,
    /// `nonce`
    Nonce,
    /// `opaque`
    Opaque,
    /// `stale`
    Stale,
    /// `algorithm`
    Algorithm,
    /// `qop`
    Qop,
    /// `domain`
    Domain,
    /// `userhash` (RFC 7616 §3.3)
    Userhash,
    /// `charset` (RFC 7616 §3.3)
    Charset,
    /// `username`
    Username,
    /// `username*` (RFC 7616 §3.4, RFC 5987 encoding)
    UsernameStar,
    /// `uri`
    Uri,
    /// `response`
    Response,
    /// `cnonce`
    Cnonce,
    /// `nc`
    Nc,
}

impl Param {
    /// The parameter name as written on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Param::Realm => "realm",
            Param::Nonce => "nonce",
            Param::Opaque => "opaque",
            Param::Stale => "stale",
            Param::Algorithm => "algorithm",
            Param::Qop => "qop",
            Param::Domain => "domain",
            Param::Userhash => "userhash",
            Param::Charset => "charset",
            Param::Username => "username",
            Param::UsernameStar => "username*",
            Param::Uri => "uri",
            Param::Response => "response",
            Param::Cnonce => "cnonce",
            Param::Nc => "nc",
        }
    }
}

impl fmt::Display for Param {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The digest `algorithm` values of the IANA "Hash Algorithms for HTTP Digest Authentication"
/// registry (RFC 7616 §3.3, §6.1), all usable in SIP (RFC 8760 §2.1, §2.7).
///
/// When a challenge carries no `algorithm`, it is MD5 (RFC 7616 §3.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Algorithm {
    /// `MD5` (RFC 1321); NOT RECOMMENDED, kept for backward compatibility (RFC 8760 §3).
    #[default]
    Md5,
    /// `MD5-sess`: A1 is a session key bound to the nonce and cnonce (RFC 7616 §3.4.2).
    Md5Sess,
    /// `SHA-256` (FIPS 180-4).
    Sha256,
    /// `SHA-256-sess`.
    Sha256Sess,
    /// `SHA-512-256`: SHA-512/256 of FIPS 180-4.
    Sha512_256,
    /// `SHA-512-256-sess`.
    Sha512_256Sess,
}

impl Algorithm {
    /// All algorithms, strongest session-less ones first.
    pub const ALL: [Algorithm; 6] = [
        Algorithm::Sha512_256,
        Algorithm::Sha256,
        Algorithm::Md5,
        Algorithm::Sha512_256Sess,
        Algorithm::Sha256Sess,
        Algorithm::Md5Sess,
    ];

    /// Parses an `algorithm` value, ignoring ASCII case (RFC 7616 §3.3; RFC 8760 §2.7).
    pub fn parse(name: &str) -> Result<Algorithm, DigestError> {
        Algorithm::ALL
            .into_iter()
            .find(|a| a.as_str().eq_ignore_ascii_case(name))
            .ok_or(DigestError::UnsupportedAlgorithm)
    }

    /// The registered name, as sent unquoted (RFC 7616 §3.3, §3.4).
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Md5 => "MD5",
            Algorithm::Md5Sess => "MD5-sess",
            Algorithm::Sha256 => "SHA-256",
            Algorithm::Sha256Sess => "SHA-256-sess",
            Algorithm::Sha512_256 => "SHA-512-256",
            Algorithm::Sha512_256Sess => "SHA-512-256-sess",
        }
    }

    /// True for the `<algorithm>-sess` variants, whose A1 includes nonce and cnonce
    /// (RFC 7616 §3.4.2).
    pub fn is_session(self) -> bool {
        matches!(self, Algorithm::Md5Sess | Algorithm::Sha256Sess | Algorithm::Sha512_256Sess)
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Algorithm {
    type Err = DigestError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Algorithm::parse(s)
    }
}

/// A quality of protection (RFC 7616 §3.3 `qop`, RFC 2617 §3.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Qop {
    /// `auth`: authentication only; A2 = Method ":" uri (RFC 7616 §3.4.3).
    Auth,
    /// `auth-int`: authentication with integrity; A2 = Method ":" uri ":" H(body)
    /// (RFC 7616 §3.4.3, RFC 8760 §2.6 item 7).
    AuthInt,
}

impl Qop {
    /// Parses one `qop-value`, ignoring ASCII case; unknown values give `None`.
    pub fn parse(value: &str) -> Option<Qop> {
        if value.eq_ignore_ascii_case("auth") {
            Some(Qop::Auth)
        } else if value.eq_ignore_ascii_case("auth-int") {
            Some(Qop::AuthInt)
        } else {
            None
        }
    }

    /// The `qop-value` as sent (unquoted in credentials, RFC 7616 §3.4).
    pub fn as_str(self) -> &'static str {
        match self {
            Qop::Auth => "auth",
            Qop::AuthInt => "auth-int",
        }
    }
}

impl fmt::Display for Qop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
