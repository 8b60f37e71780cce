//! The authentication headers (RFC 3261 §20.27, §20.28, §20.7, §20.44, §22) as typed views over
//! the digest types of [`crate::digest`].
//!
//! They are not comma lists: their commas separate parameters. Several challenges come as
//! several lines (a server offering SHA-256 and MD5, RFC 8760 §2.4); `Headers::typed_all` gives
//! one per line.

use std::fmt;

use crate::digest;
use crate::error::HeaderFault;
use crate::header::TypedHeader;
use crate::name::HeaderName;

macro_rules! auth_header {
    ($(#[$doc:meta])* $ty:ident, $name:ident, $inner:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $ty<'a>(pub digest::$inner<'a>);

        impl<'a> TypedHeader<'a> for $ty<'a> {
            const NAME: HeaderName = HeaderName::$name;
            const LIST: bool = false;

            fn parse(value: &'a str) -> Result<Self, HeaderFault> {
                digest::$inner::parse(value).map($ty).map_err(HeaderFault::BadDigest)
            }
        }

        impl<'a> std::ops::Deref for $ty<'a> {
            type Target = digest::$inner<'a>;
            fn deref(&self) -> &digest::$inner<'a> {
                &self.0
            }
        }

        impl fmt::Display for $ty<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

auth_header!(
    /// WWW-Authenticate (RFC 3261 §20.44): a registrar's or UAS's digest challenge.
    WwwAuthenticate, WwwAuthenticate, Challenge
);
auth_header!(
    /// Proxy-Authenticate (RFC 3261 §20.27): a proxy's digest challenge.
    ProxyAuthenticate, ProxyAuthenticate, Challenge
);
auth_header!(
    /// Authorization (RFC 3261 §20.7): our digest credentials for a UAS or registrar.
    Authorization, Authorization, Authorization
);
auth_header!(
    /// Proxy-Authorization (RFC 3261 §20.28): our digest credentials for a proxy.
    ProxyAuthorization, ProxyAuthorization, Authorization
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digest::Algorithm;
    use crate::Message;

    #[test]
    fn two_challenges_on_two_lines_are_two_values() {
        let text = "SIP/2.0 401 Unauthorized\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n\
            WWW-Authenticate: Digest realm=\"pbx\", nonce=\"n1\", algorithm=SHA-256, qop=\"auth\"\r\n\
            WWW-Authenticate: Digest realm=\"pbx\", nonce=\"n1\", algorithm=MD5, qop=\"auth\"\r\n\
            Content-Length: 0\r\n\r\n";
        let message = Message::parse(text.as_bytes().to_vec()).unwrap();
        let challenges = message.headers().typed_vec::<WwwAuthenticate>().unwrap();
        let algorithms: Vec<_> = challenges.iter().map(|c| c.algorithm).collect();
        assert_eq!(algorithms, [Algorithm::Sha256, Algorithm::Md5]);
        assert!(message.headers().typed::<WwwAuthenticate>().is_err(), "two lines are not one value");
    }

    #[test]
    fn unknown_scheme_is_a_precise_fault() {
        let fault = Authorization::parse("NoOneKnowsThisScheme opaque-data=here").unwrap_err();
        assert_eq!(fault, HeaderFault::BadDigest(digest::DigestError::UnsupportedScheme));
        let creds = ProxyAuthorization::parse(
            "Digest username=\"1001\", realm=\"pbx\", nonce=\"n\", uri=\"sip:pbx\", response=\"0123456789abcdef0123456789abcdef\"",
        )
        .unwrap();
        assert_eq!(creds.username, "1001");
    }
}
