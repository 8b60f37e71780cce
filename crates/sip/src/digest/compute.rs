//! The digest computations of RFC 7616 §3.4.1–§3.4.4 (RFC 2617 §3.2.2.1–§3.2.2.3, including
//! the RFC 2069 form without `qop`).

use std::fmt;

use md5::Md5;
use sha2::{Digest, Sha256, Sha512_256};

use super::{Algorithm, Authorization, Qop};

/// Everything the `response` value depends on (RFC 7616 §3.4.1–§3.4.3).
///
/// Values are the *unquoted* parameter values (RFC 7616 §3.4.5). `Debug` never shows the
/// password.
#[derive(Clone, Copy)]
pub struct ResponseInputs<'a> {
    /// The digest algorithm (RFC 7616 §3.3).
    pub algorithm: Algorithm,
    /// The user name in clear, as used in A1 (also when `userhash` is in force, RFC 7616 §3.4.4).
    pub username: &'a str,
    /// The realm of the challenge.
    pub realm: &'a str,
    /// The user's password.
    pub password: &'a str,
    /// The server nonce.
    pub nonce: &'a str,
    /// The client nonce; used when `qop` is set and by the `-sess` algorithms (RFC 7616 §3.4.2).
    pub cnonce: &'a str,
    /// The nonce count, sent and hashed as 8 lower-case hex digits (RFC 7616 §3.4).
    pub nc: u32,
    /// The chosen quality of protection; `None` is the RFC 2069 form
    /// `response = KD(H(A1), nonce ":" H(A2))` (RFC 2617 §3.2.2.1).
    pub qop: Option<Qop>,
    /// The request method (RFC 7616 §3.4.6; RFC 3261 §22.4).
    pub method: &'a str,
    /// The `uri` parameter: the Request-URI as sent (RFC 3261 §22.4 item 3).
    pub uri: &'a str,
    /// The message body, hashed for `auth-int`; empty hashes as H("") (RFC 8760 §2.6 item 7).
    pub body: &'a [u8],
}

impl fmt::Debug for ResponseInputs<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseInputs")
            .field("algorithm", &self.algorithm)
            .field("username", &self.username)
            .field("realm", &self.realm)
            .field("password", &"<redacted>")
            .field("nonce", &self.nonce)
            .field("cnonce", &self.cnonce)
            .field("nc", &format_args!("{:08x}", self.nc))
            .field("qop", &self.qop)
            .field("method", &self.method)
            .field("uri", &self.uri)
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// Computes the `response` value, lower-case hex (RFC 7616 §3.4.1, RFC 8760 §2.2):
///
/// * `qop` set: `KD(H(A1), nonce ":" nc ":" cnonce ":" qop ":" H(A2))`;
/// * no `qop`: `KD(H(A1), nonce ":" H(A2))` (RFC 2069 compatibility, RFC 2617 §3.2.2.1).
///
/// with A1 and A2 as in RFC 7616 §3.4.2 and §3.4.3.
pub fn compute_response(inputs: &ResponseInputs<'_>) -> String {
    let alg = inputs.algorithm;
    let ha1 = ha1(inputs);
    let ha2 = ha2(inputs);
    match inputs.qop {
        Some(qop) => {
            let nc = format!("{:08x}", inputs.nc);
            let parts: [&[u8]; 6] = [
                ha1.as_bytes(),
                inputs.nonce.as_bytes(),
                nc.as_bytes(),
                inputs.cnonce.as_bytes(),
                qop.as_str().as_bytes(),
                ha2.as_bytes(),
            ];
            hash_hex(alg, &parts)
        }
        None => hash_hex(alg, &[ha1.as_bytes(), inputs.nonce.as_bytes(), ha2.as_bytes()]),
    }
}

/// H(A1) (RFC 7616 §3.4.2): `H(user ":" realm ":" pass)`, and for the `-sess` algorithms
/// `H(H(user ":" realm ":" pass) ":" nonce ":" cnonce)`.
fn ha1(i: &ResponseInputs<'_>) -> String {
    let secret = hash_hex(i.algorithm, &[i.username.as_bytes(), i.realm.as_bytes(), i.password.as_bytes()]);
    if i.algorithm.is_session() {
        hash_hex(i.algorithm, &[secret.as_bytes(), i.nonce.as_bytes(), i.cnonce.as_bytes()])
    } else {
        secret
    }
}

/// H(A2) (RFC 7616 §3.4.3): `H(method ":" uri)`, or `H(method ":" uri ":" H(body))` for
/// `auth-int`.
fn ha2(i: &ResponseInputs<'_>) -> String {
    if i.qop == Some(Qop::AuthInt) {
        let body = hash_hex(i.algorithm, &[i.body]);
        hash_hex(i.algorithm, &[i.method.as_bytes(), i.uri.as_bytes(), body.as_bytes()])
    } else {
        hash_hex(i.algorithm, &[i.method.as_bytes(), i.uri.as_bytes()])
    }
}

/// The hashed user name `H(user ":" realm)` sent when `userhash=true` (RFC 7616 §3.4.4).
pub(super) fn hashed_username(algorithm: Algorithm, username: &str, realm: &str) -> String {
    hash_hex(algorithm, &[username.as_bytes(), realm.as_bytes()])
}

/// `H(parts joined by ":")` in lower-case hex (RFC 7616 §3.3 `H`, §3.2 representation).
pub(super) fn hash_hex(algorithm: Algorithm, parts: &[&[u8]]) -> String {
    match algorithm {
        Algorithm::Md5 | Algorithm::Md5Sess => digest_hex::<Md5>(parts),
        Algorithm::Sha256 | Algorithm::Sha256Sess => digest_hex::<Sha256>(parts),
        Algorithm::Sha512_256 | Algorithm::Sha512_256Sess => digest_hex::<Sha512_256>(parts),
    }
}

fn digest_hex<D: Digest>(parts: &[&[u8]]) -> String {
    let mut hasher = D::new();
    for (n, part) in parts.iter().enumerate() {
        if n > 0 {
            hasher.update(b":");
        }
        hasher.update(part);
    }
    to_hex(&hasher.finalize())
}

/// Lower-case hex, most significant nibble first (RFC 7616 §3.2, RFC 8760 §2.2).
pub(super) fn to_hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(HEX[usize::from(b >> 4)] as char);
        out.push(HEX[usize::from(b & 0x0f)] as char);
    }
    out
}

/// Server side: recomputes the `response` of `auth` from the stored `password` and the
/// request's `method` and `body`, and compares (RFC 7616 §3.4.1; RFC 3261 §22.4).
///
/// The user name is taken from `auth`, so credentials with `userhash=true` (whose `username` is
/// a hash, RFC 7616 §3.4.4) never verify here: use [`verify_with_username`] for them. The
/// `uri` of `auth` is used as is; checking it against the Request-URI is the caller's policy
/// (RFC 8760 §2.6 item 6).
pub fn verify(auth: &Authorization<'_>, password: &str, method: &str, body: &[u8]) -> bool {
    !auth.userhash && check(auth, &auth.username, password, method, body)
}

/// Like [`verify`] for a known clear-text `username`: the `username` of `auth` must be that
/// name, or its hash `H(username ":" realm)` when `userhash=true` (RFC 7616 §3.4.4).
pub fn verify_with_username(
    auth: &Authorization<'_>,
    username: &str,
    password: &str,
    method: &str,
    body: &[u8],
) -> bool {
    let algorithm = auth.algorithm.unwrap_or_default();
    let name_ok = if auth.userhash {
        eq_hex(&auth.username, &hashed_username(algorithm, username, &auth.realm))
    } else {
        *auth.username == *username
    };
    name_ok && check(auth, username, password, method, body)
}

fn check(auth: &Authorization<'_>, username: &str, password: &str, method: &str, body: &[u8]) -> bool {
    let algorithm = auth.algorithm.unwrap_or_default();
    let needs_cnonce = auth.qop.is_some() || algorithm.is_session();
    if (needs_cnonce && auth.cnonce.is_none()) || (auth.qop.is_some() && auth.nc.is_none()) {
        return false;
    }
    let expected = compute_response(&ResponseInputs {
        algorithm,
        username,
        realm: &auth.realm,
        password,
        nonce: &auth.nonce,
        cnonce: auth.cnonce.as_deref().unwrap_or(""),
        nc: auth.nc.unwrap_or(0),
        qop: auth.qop,
        method,
        uri: &auth.uri,
        body,
    });
    eq_hex(&auth.response, &expected)
}

/// Compares hex strings ignoring ASCII case, without an early exit on the first difference.
fn eq_hex(got: &str, expected: &str) -> bool {
    got.len() == expected.len()
        && got.bytes().zip(expected.bytes()).fold(0u8, |acc, (a, b)| acc | (a.to_ascii_lowercase() ^ b)) == 0
}
