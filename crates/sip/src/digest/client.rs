//! Client state for answering Digest challenges (RFC 3261 §22.2, §22.3; RFC 7616 §3.4;
//! RFC 8760 §2.4).

use std::borrow::Cow;
use std::fmt;

use rand_core::RngCore;

use super::compute::{hashed_username, to_hex};
use super::{
    compute_response, Algorithm, Authorization, Challenge, DigestError, Param, Qop, QopOptions, ResponseInputs,
};

/// The parts of a request that digest credentials cover (RFC 7616 §3.4.3; RFC 3261 §22.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DigestRequest<'a> {
    /// The request method, e.g. `REGISTER` (A2, RFC 7616 §3.4.3).
    pub method: &'a str,
    /// The `digest-uri`: the Request-URI exactly as sent (RFC 3261 §22.4 item 3). It is written
    /// into a quoted string, so it must be a valid Request-URI (no `"`, CR or LF).
    pub uri: &'a str,
    /// The message body, hashed when `qop=auth-int` (RFC 8760 §2.6 item 7).
    pub body: &'a [u8],
}

impl<'a> DigestRequest<'a> {
    /// A request with the given method, Request-URI and body.
    pub fn new(method: &'a str, uri: &'a str, body: &'a [u8]) -> Self {
        DigestRequest { method, uri, body }
    }
}

/// Number of random bytes in a client nonce (hex-encoded to twice as many characters).
const CNONCE_BYTES: usize = 16;

/// Digest client state for one realm: the credentials, the latest challenge's values and the
/// nonce count (RFC 7616 §3.4, RFC 2617 §3.2.2).
///
/// Feed it the challenge of a 401/407 response ([`ClientAuth::new`], then
/// [`ClientAuth::update`] for later challenges such as `stale=true`), and call
/// [`ClientAuth::authorize`] for every request sent with these credentials. `Debug` never shows
/// the password.
#[derive(Clone)]
pub struct ClientAuth {
    username: String,
    password: String,
    realm: String,
    nonce: String,
    opaque: Option<String>,
    algorithm: Algorithm,
    offered: Option<QopOptions>,
    userhash: bool,
    prefer_integrity: bool,
    /// Requests sent so far with `nonce` (RFC 7616 §3.4 `nc`).
    nc: u32,
    /// The cnonce of the first request with `nonce`, kept for the `-sess` session key
    /// ("cnonce-prime", RFC 7616 §3.4.2).
    session_cnonce: Option<String>,
}

impl fmt::Debug for ClientAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientAuth")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("realm", &self.realm)
            .field("nonce", &self.nonce)
            .field("opaque", &self.opaque)
            .field("algorithm", &self.algorithm)
            .field("qop", &self.qop())
            .field("userhash", &self.userhash)
            .field("nc", &self.nc)
            .finish_non_exhaustive()
    }
}

impl ClientAuth {
    /// Client state answering `challenge` with `username` and `password` (RFC 3261 §22.2).
    ///
    /// Fails with [`DigestError::UnsupportedQop`] when the challenge offers `qop` values but none
    /// this module knows (RFC 7616 §3.3), and with [`DigestError::InvalidValue`] when the
    /// username holds control characters (it is sent in a quoted string).
    pub fn new(
        username: impl Into<String>,
        password: impl Into<String>,
        challenge: &Challenge<'_>,
    ) -> Result<ClientAuth, DigestError> {
        let username = username.into();
        if username.chars().any(char::is_control) {
            return Err(DigestError::InvalidValue(Param::Username));
        }
        let mut auth = ClientAuth {
            username,
            password: password.into(),
            realm: challenge.realm.to_string(),
            nonce: String::new(),
            opaque: None,
            algorithm: challenge.algorithm,
            offered: None,
            userhash: false,
            prefer_integrity: false,
            nc: 0,
            session_cnonce: None,
        };
        auth.update(challenge)?;
        Ok(auth)
    }

    /// Takes the values of a new challenge for the same realm, e.g. a `stale=true` one
    /// (RFC 7616 §3.3). A new nonce resets the nonce count to zero, so the next request sends
    /// `nc=00000001` (RFC 7616 §3.4); the same nonce keeps counting.
    ///
    /// A challenge for another realm is [`DigestError::RealmMismatch`]; on any error the state
    /// is unchanged. Whether to retry is the caller's policy: a new challenge without
    /// `stale=true` after authorized requests means the credentials were refused (RFC 7616 §3.3).
    pub fn update(&mut self, challenge: &Challenge<'_>) -> Result<(), DigestError> {
        if *challenge.realm != *self.realm {
            return Err(DigestError::RealmMismatch);
        }
        if challenge.qop.is_some_and(QopOptions::is_empty) {
            return Err(DigestError::UnsupportedQop);
        }
        if *challenge.nonce != *self.nonce || challenge.algorithm != self.algorithm {
            self.nonce = challenge.nonce.to_string();
            self.nc = 0;
            self.session_cnonce = None;
        }
        self.opaque = challenge.opaque.as_deref().map(str::to_owned);
        self.algorithm = challenge.algorithm;
        self.offered = challenge.qop;
        self.userhash = challenge.userhash;
        Ok(())
    }

    /// Asks for `auth-int` (body integrity) whenever the server offers it; by default `auth`
    /// is preferred when both are offered (RFC 7616 §3.3).
    pub fn set_prefer_integrity(&mut self, prefer: bool) {
        self.prefer_integrity = prefer;
    }

    /// The quality of protection the next request will use.
    ///
    /// Without `qop` in the challenge this is `None`, the RFC 2069 form (RFC 2617 §3.2.2.1,
    /// RFC 3261 §22.4 item 8), except for the `-sess` algorithms, which need a cnonce and thus
    /// a `qop`: they use `auth`, the default of RFC 8760 §2.6 item 8.
    pub fn qop(&self) -> Option<Qop> {
        match self.offered {
            None if self.algorithm.is_session() => Some(Qop::Auth),
            None => None,
            Some(offer) if self.prefer_integrity && offer.contains(Qop::AuthInt) => Some(Qop::AuthInt),
            Some(offer) if offer.contains(Qop::Auth) => Some(Qop::Auth),
            Some(offer) => offer.iter().next(),
        }
    }

    /// The user name in clear.
    pub fn username(&self) -> &str {
        &self.username
    }

    /// The realm these credentials answer.
    pub fn realm(&self) -> &str {
        &self.realm
    }

    /// The current server nonce.
    pub fn nonce(&self) -> &str {
        &self.nonce
    }

    /// The algorithm of the current challenge.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// How many requests were authorized with the current nonce (the last `nc` sent).
    pub fn nonce_count(&self) -> u32 {
        self.nc
    }

    /// Credentials for `req`: increments the nonce count, draws a fresh cnonce from `rng` (the
    /// caller's seeded RNG; for `-sess` the first cnonce of the nonce is reused as the session
    /// key's cnonce-prime, RFC 7616 §3.4.2) and computes the response (RFC 7616 §3.4.1).
    ///
    /// Write the result with `to_string()` into `Authorization` (401) or `Proxy-Authorization`
    /// (407) (RFC 3261 §22.2, §22.3).
    pub fn authorize<R: RngCore + ?Sized>(&mut self, req: &DigestRequest<'_>, rng: &mut R) -> Authorization<'static> {
        self.nc = self.nc.saturating_add(1);
        let qop = self.qop();
        let cnonce = if self.algorithm.is_session() {
            self.session_cnonce.get_or_insert_with(|| new_cnonce(rng)).clone()
        } else if qop.is_some() {
            new_cnonce(rng)
        } else {
            String::new()
        };
        let response = compute_response(&ResponseInputs {
            algorithm: self.algorithm,
            username: &self.username,
            realm: &self.realm,
            password: &self.password,
            nonce: &self.nonce,
            cnonce: &cnonce,
            nc: self.nc,
            qop,
            method: req.method,
            uri: req.uri,
            body: req.body,
        });
        let username = if self.userhash {
            hashed_username(self.algorithm, &self.username, &self.realm)
        } else {
            self.username.clone()
        };
        Authorization {
            username: Cow::Owned(username),
            realm: Cow::Owned(self.realm.clone()),
            nonce: Cow::Owned(self.nonce.clone()),
            uri: Cow::Owned(req.uri.to_owned()),
            response: Cow::Owned(response),
            algorithm: Some(self.algorithm),
            cnonce: qop.map(|_| Cow::Owned(cnonce)),
            opaque: self.opaque.clone().map(Cow::Owned),
            qop,
            nc: qop.map(|_| self.nc),
            userhash: self.userhash,
        }
    }
}

/// A client nonce of [`CNONCE_BYTES`] random bytes in lower-case hex (RFC 7616 §3.4 `cnonce`).
fn new_cnonce<R: RngCore + ?Sized>(rng: &mut R) -> String {
    let mut bytes = [0u8; CNONCE_BYTES];
    rng.fill_bytes(&mut bytes);
    to_hex(&bytes)
}
