//! Worked examples of RFC 2617 §3.5, RFC 7616 §3.9 and RFC 8760, plus client-state and
//! robustness tests.

use std::borrow::Cow;

use md5::Md5;
use proptest::prelude::*;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha8Rng;
use sha2::{Digest, Sha256, Sha512, Sha512_256};

use super::compute::to_hex;
use super::*;

/// Independent `H(a ":" b ":" ...)` for the tests, spelled out with the hash crates.
fn h<D: Digest>(parts: &[&str]) -> String {
    to_hex(&D::digest(parts.join(":").as_bytes()))
}

fn inputs<'a>(algorithm: Algorithm, qop: Option<Qop>, cnonce: &'a str) -> ResponseInputs<'a> {
    ResponseInputs {
        algorithm,
        username: "Mufasa",
        realm: "http-auth@example.org",
        password: "Circle of Life",
        nonce: "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
        cnonce,
        nc: 1,
        qop,
        method: "GET",
        uri: "/dir/index.html",
        body: b"",
    }
}

/// Parses a challenge built on the fly and detaches it from the temporary text.
fn owned_challenge(value: &str) -> Challenge<'static> {
    Challenge::parse(value).unwrap().into_owned()
}

/// Parses credentials built on the fly and detaches them from the temporary text.
fn owned_authorization(value: &str) -> Result<Authorization<'static>, DigestError> {
    Authorization::parse(value).map(Authorization::into_owned)
}

const CNONCE_7616: &str = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";

// ---- RFC 2617 §3.5 ----

const CHALLENGE_2617: &str = "Digest\r\n        realm=\"testrealm@host.com\",\r\n        qop=\"auth,auth-int\",\r\n        nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\",\r\n        opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"";

const AUTHORIZATION_2617: &str = "Digest username=\"Mufasa\",\r\n        realm=\"testrealm@host.com\",\r\n        nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\",\r\n        uri=\"/dir/index.html\",\r\n        qop=auth,\r\n        nc=00000001,\r\n        cnonce=\"0a4f113b\",\r\n        response=\"6629fae49393a05397450978507c4ef1\",\r\n        opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"";

#[test]
fn rfc2617_worked_example_response() {
    let response = compute_response(&ResponseInputs {
        algorithm: Algorithm::Md5,
        username: "Mufasa",
        realm: "testrealm@host.com",
        password: "Circle Of Life",
        nonce: "dcd98b7102dd2f0e8b11d0f600bfb0c093",
        cnonce: "0a4f113b",
        nc: 1,
        qop: Some(Qop::Auth),
        method: "GET",
        uri: "/dir/index.html",
        body: b"",
    });
    assert_eq!(response, "6629fae49393a05397450978507c4ef1");
}

#[test]
fn rfc2617_worked_example_headers_parse_and_verify() {
    let c = Challenge::parse(CHALLENGE_2617).unwrap();
    assert_eq!(c.realm, "testrealm@host.com");
    assert_eq!(c.nonce, "dcd98b7102dd2f0e8b11d0f600bfb0c093");
    assert_eq!(c.opaque.as_deref(), Some("5ccc069c403ebaf9f0171e9517f40e41"));
    assert_eq!(c.algorithm, Algorithm::Md5);
    assert_eq!(c.qop, Some(QopOptions::default().with(Qop::Auth).with(Qop::AuthInt)));
    assert!(!c.stale && !c.userhash);

    let a = Authorization::parse(AUTHORIZATION_2617).unwrap();
    assert_eq!((a.username.as_ref(), a.uri.as_ref()), ("Mufasa", "/dir/index.html"));
    assert_eq!((a.qop, a.nc, a.cnonce.as_deref()), (Some(Qop::Auth), Some(1), Some("0a4f113b")));
    assert_eq!(a.algorithm, None);
    assert!(verify(&a, "Circle Of Life", "GET", b""));
    assert!(!verify(&a, "Circle of Life", "GET", b""));
    assert!(!verify(&a, "Circle Of Life", "POST", b""));
    assert!(verify_with_username(&a, "Mufasa", "Circle Of Life", "GET", b""));
    assert!(!verify_with_username(&a, "Simba", "Circle Of Life", "GET", b""));
}

// ---- RFC 7616 §3.9.1 ----

#[test]
fn rfc7616_md5_and_sha256_examples() {
    let md5 = compute_response(&inputs(Algorithm::Md5, Some(Qop::Auth), CNONCE_7616));
    assert_eq!(md5, "8ca523f5e9506fed4657c9700eebdbec");
    let sha = compute_response(&inputs(Algorithm::Sha256, Some(Qop::Auth), CNONCE_7616));
    assert_eq!(sha, "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");
}

#[test]
fn rfc7616_example_challenges_parse() {
    for (alg_text, alg) in [("SHA-256", Algorithm::Sha256), ("MD5", Algorithm::Md5)] {
        let value = format!(
            "Digest\r\n    realm=\"http-auth@example.org\",\r\n    qop=\"auth, auth-int\",\r\n    algorithm={alg_text},\r\n    nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\",\r\n    opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\""
        );
        let c = Challenge::parse(&value).unwrap();
        assert_eq!(c.algorithm, alg);
        assert_eq!(c.realm, "http-auth@example.org");
        assert_eq!(c.nonce, "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v");
        assert_eq!(c.opaque.as_deref(), Some("FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"));
        let offered: Vec<Qop> = c.qop.unwrap().iter().collect();
        assert_eq!(offered, [Qop::Auth, Qop::AuthInt]);
    }
}

#[test]
fn rfc7616_example_authorization_verifies() {
    let value = "Digest username=\"Mufasa\",\r\n    realm=\"http-auth@example.org\",\r\n    uri=\"/dir/index.html\",\r\n    algorithm=SHA-256,\r\n    nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\",\r\n    nc=00000001,\r\n    cnonce=\"f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ\",\r\n    qop=auth,\r\n    response=\"753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1\",\r\n    opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"";
    let a = Authorization::parse(value).unwrap();
    assert_eq!(a.algorithm, Some(Algorithm::Sha256));
    assert!(verify(&a, "Circle of Life", "GET", b""));
    // Written back in the canonical order, it parses to the same credentials.
    let written = a.to_string();
    assert_eq!(Authorization::parse(&written).unwrap(), a);
}

// ---- RFC 7616 §3.9.2 (SHA-512-256, charset, userhash) ----

const CHALLENGE_7616_SHA512: &str = "Digest\r\n    realm=\"api@example.org\",\r\n    qop=\"auth\",\r\n    algorithm=SHA-512-256,\r\n    nonce=\"5TsQWLVdgBdmrQ0XsxbDODV+57QdFR34I9HAbC/RVvkK\",\r\n    opaque=\"HRPCssKJSGjCrkzDg8OhwpzCiGPChXYjwrI2QmXDnsOS\",\r\n    charset=UTF-8,\r\n    userhash=true";

#[test]
fn rfc7616_sha512_256_userhash_challenge_parses() {
    let c = Challenge::parse(CHALLENGE_7616_SHA512).unwrap();
    assert_eq!(c.algorithm, Algorithm::Sha512_256);
    assert_eq!(c.charset.as_deref(), Some("UTF-8"));
    assert!(c.userhash);
    assert_eq!(c.qop.unwrap().iter().collect::<Vec<_>>(), [Qop::Auth]);
}

/// The numbers printed in RFC 7616 §3.9.2 were computed with SHA-512 truncated to 256 bits,
/// not with SHA-512/256 (which has its own initial values, FIPS 180-4 §5.3.6). We implement the
/// real SHA-512/256; this test pins both facts so nobody "fixes" the code to match the RFC.
#[test]
fn rfc7616_sha512_256_example_is_truncated_sha512() {
    let (user, realm, pass) = ("J\u{e4}s\u{f8}n Doe", "api@example.org", "Secret, or not?");
    let (nonce, cnonce) =
        ("5TsQWLVdgBdmrQ0XsxbDODV+57QdFR34I9HAbC/RVvkK", "NTg6RKcb9boFIAS3KrFK9BGeh+iDa/sm6jUMp2wds69v");
    let trunc = |parts: &[&str]| h::<Sha512>(parts)[..64].to_owned();
    let rfc_userhash = "488869477bf257147b804c45308cd62ac4e25eb717b12b298c79e62dcea254ec";
    let rfc_response = "ae66e67d6b427bd3f120414a82e4acff38e8ecd9101d6c861229025f607a79dd";
    assert_eq!(trunc(&[user, realm]), rfc_userhash);
    let (ha1, ha2) = (trunc(&[user, realm, pass]), trunc(&["GET", "/doe.json"]));
    assert_eq!(trunc(&[&ha1, nonce, "00000001", cnonce, "auth", &ha2]), rfc_response);

    let mut client = ClientAuth::new(user, pass, &Challenge::parse(CHALLENGE_7616_SHA512).unwrap()).unwrap();
    let ours = compute_response(&ResponseInputs {
        algorithm: Algorithm::Sha512_256,
        username: user,
        realm,
        password: pass,
        nonce,
        cnonce,
        nc: 1,
        qop: Some(Qop::Auth),
        method: "GET",
        uri: "/doe.json",
        body: b"",
    });
    let (ha1, ha2) = (h::<Sha512_256>(&[user, realm, pass]), h::<Sha512_256>(&["GET", "/doe.json"]));
    assert_eq!(ours, h::<Sha512_256>(&[&ha1, nonce, "00000001", cnonce, "auth", &ha2]));
    assert_ne!(ours, rfc_response);

    let auth = client.authorize(&DigestRequest::new("GET", "/doe.json", b""), &mut ChaCha8Rng::seed_from_u64(9));
    assert_eq!(auth.username, h::<Sha512_256>(&[user, realm]));
    assert!(auth.userhash && auth.to_string().ends_with(", userhash=true"));
    assert!(!verify(&auth, pass, "GET", b""), "a hashed username cannot be verified blind");
    assert!(verify_with_username(&auth, user, pass, "GET", b""));
    assert!(!verify_with_username(&auth, "Jason Doe", pass, "GET", b""));
}

#[test]
fn rfc7616_username_star_is_decoded() {
    let value = "Digest username*=UTF-8''J%C3%A4s%C3%B8n%20Doe, realm=\"api@example.org\", uri=\"/doe.json\", algorithm=SHA-512-256, nonce=\"n\", nc=00000001, cnonce=\"c\", qop=auth, response=\"r\", userhash=false";
    let a = Authorization::parse(value).unwrap();
    assert_eq!(a.username, "J\u{e4}s\u{f8}n Doe");
    assert!(!a.userhash);
    let both = value.replace("userhash=false", "username=\"x\"");
    assert_eq!(Authorization::parse(&both), Err(DigestError::BothUsernameForms));
    let bad = value.replace("UTF-8''", "KOI8-R''");
    assert_eq!(Authorization::parse(&bad), Err(DigestError::InvalidValue(Param::UsernameStar)));
}

// ---- RFC 8760 ----

#[test]
fn rfc8760_sip_algorithm_names_parse_case_insensitively() {
    for alg in Algorithm::ALL {
        assert_eq!(Algorithm::parse(alg.as_str()), Ok(alg));
        assert_eq!(Algorithm::parse(&alg.as_str().to_ascii_lowercase()), Ok(alg));
        let value = format!("Digest realm=\"atlanta.com\", nonce=\"n\", qop=\"auth\", algorithm={alg}");
        assert_eq!(Challenge::parse(&value).unwrap().algorithm, alg);
    }
    assert_eq!(Algorithm::parse("SHA-512"), Err(DigestError::UnsupportedAlgorithm));
    let unknown = "Digest realm=\"a\", nonce=\"n\", algorithm=AKAv1-MD5";
    assert_eq!(Challenge::parse(unknown), Err(DigestError::UnsupportedAlgorithm));
}

#[test]
fn rfc8760_sha256_and_sha512_256_register_round_trip() {
    for alg in [Algorithm::Sha256, Algorithm::Sha512_256, Algorithm::Sha256Sess, Algorithm::Sha512_256Sess] {
        let value = format!(
            "Digest realm=\"atlanta.com\", nonce=\"84a4cc6f3082121f32b42a2187831a9e\", qop=\"auth\", algorithm={alg}"
        );
        let mut client = ClientAuth::new("alice", "secret", &Challenge::parse(&value).unwrap()).unwrap();
        let req = DigestRequest::new("REGISTER", "sip:atlanta.com", b"");
        let header = client.authorize(&req, &mut ChaCha8Rng::seed_from_u64(1)).to_string();
        let a = Authorization::parse(&header).unwrap();
        // RFC 8760 §2.2: SHA-256 and SHA-512/256 digests are 64 lower-case hex characters.
        assert_eq!(a.response.len(), 64);
        assert!(a.response.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
        // RFC 8760 §2.6 item 8: the UAC sends qop when the challenge has it; item 2: uri quoted.
        assert!(header.contains("qop=auth, nc=00000001") && header.contains("uri=\"sip:atlanta.com\""));
        assert!(header.contains(&format!("algorithm={alg},")));
        assert!(verify(&a, "secret", "REGISTER", b""));
    }
}

#[test]
fn rfc8760_auth_int_with_empty_body_hashes_the_empty_string() {
    let empty = h::<Sha256>(&[""]);
    assert_eq!(empty, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assert_eq!(h::<Md5>(&[""]), "d41d8cd98f00b204e9800998ecf8427e"); // RFC 3261 §22.4 item 7
    let got = compute_response(&inputs(Algorithm::Sha256, Some(Qop::AuthInt), "c"));
    let ha1 = h::<Sha256>(&["Mufasa", "http-auth@example.org", "Circle of Life"]);
    let ha2 = h::<Sha256>(&["GET", "/dir/index.html", &empty]);
    let nonce = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
    assert_eq!(got, h::<Sha256>(&[&ha1, nonce, "00000001", "c", "auth-int", &ha2]));
}

// ---- independently computed -sess, auth-int and RFC 2069 values ----

#[test]
fn md5_sess_matches_spelled_out_chain() {
    let nonce = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
    let got = compute_response(&inputs(Algorithm::Md5Sess, Some(Qop::Auth), "0a4f113b"));
    let secret = h::<Md5>(&["Mufasa", "http-auth@example.org", "Circle of Life"]);
    let ha1 = h::<Md5>(&[&secret, nonce, "0a4f113b"]);
    let ha2 = h::<Md5>(&["GET", "/dir/index.html"]);
    assert_eq!(got, h::<Md5>(&[&ha1, nonce, "00000001", "0a4f113b", "auth", &ha2]));
}

#[test]
fn sha256_sess_matches_spelled_out_chain() {
    let nonce = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
    let got = compute_response(&inputs(Algorithm::Sha256Sess, Some(Qop::Auth), CNONCE_7616));
    let secret = h::<Sha256>(&["Mufasa", "http-auth@example.org", "Circle of Life"]);
    let ha1 = h::<Sha256>(&[&secret, nonce, CNONCE_7616]);
    let ha2 = h::<Sha256>(&["GET", "/dir/index.html"]);
    assert_eq!(got, h::<Sha256>(&[&ha1, nonce, "00000001", CNONCE_7616, "auth", &ha2]));
}

#[test]
fn md5_auth_int_matches_spelled_out_chain() {
    let body = "v=0\r\no=alice 1 1 IN IP4 192.0.2.1\r\n";
    let mut i = inputs(Algorithm::Md5, Some(Qop::AuthInt), "abc");
    i.body = body.as_bytes();
    i.nc = 0x2a;
    let ha1 = h::<Md5>(&["Mufasa", "http-auth@example.org", "Circle of Life"]);
    let ha2 = h::<Md5>(&["GET", "/dir/index.html", &h::<Md5>(&[body])]);
    let want = h::<Md5>(&[&ha1, i.nonce, "0000002a", "abc", "auth-int", &ha2]);
    assert_eq!(compute_response(&i), want);
}

#[test]
fn no_qop_uses_rfc2069_form() {
    let got = compute_response(&inputs(Algorithm::Md5, None, "ignored"));
    let ha1 = h::<Md5>(&["Mufasa", "http-auth@example.org", "Circle of Life"]);
    let ha2 = h::<Md5>(&["GET", "/dir/index.html"]);
    assert_eq!(got, h::<Md5>(&[&ha1, "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", &ha2]));

    // RFC 3261 style challenge without qop: no cnonce, no nc, no qop in the credentials.
    let c = Challenge::parse("Digest realm=\"atlanta.com\", nonce=\"abc\"").unwrap();
    let mut client = ClientAuth::new("bob", "zanzibar", &c).unwrap();
    assert_eq!(client.qop(), None);
    let a =
        client.authorize(&DigestRequest::new("INVITE", "sip:bob@biloxi.com", b""), &mut ChaCha8Rng::seed_from_u64(3));
    assert_eq!((a.qop, a.nc, a.cnonce.as_ref()), (None, None, None));
    assert!(!a.to_string().contains("cnonce") && verify(&a, "zanzibar", "INVITE", b""));
}

// ---- client state ----

fn challenge_2617(nonce: &str, stale: bool) -> String {
    format!("Digest realm=\"testrealm@host.com\", qop=\"auth,auth-int\", nonce=\"{nonce}\", opaque=\"5ccc069c403ebaf9f0171e9517f40e41\", stale={stale}")
}

#[test]
fn nonce_count_increments_and_resets_on_new_nonce() {
    let first = challenge_2617("dcd98b7102dd2f0e8b11d0f600bfb0c093", false);
    let mut client = ClientAuth::new("Mufasa", "Circle Of Life", &Challenge::parse(&first).unwrap()).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let req = DigestRequest::new("REGISTER", "sip:host.com", b"");
    for expected in 1..=3 {
        let a = client.authorize(&req, &mut rng);
        assert_eq!(a.nc, Some(expected));
        assert!(a.to_string().contains(&format!("nc={expected:08x}")));
        assert!(verify(&a, "Circle Of Life", "REGISTER", b""));
    }
    // The same nonce again (e.g. a repeated challenge) keeps counting.
    client.update(&Challenge::parse(&first).unwrap()).unwrap();
    assert_eq!(client.authorize(&req, &mut rng).nc, Some(4));

    let stale = challenge_2617("fresh-nonce", true);
    let stale = Challenge::parse(&stale).unwrap();
    assert!(stale.stale);
    client.update(&stale).unwrap();
    assert_eq!(client.nonce_count(), 0);
    let a = client.authorize(&req, &mut rng);
    assert_eq!((a.nc, a.nonce.as_ref()), (Some(1), "fresh-nonce"));
    assert_eq!(client.authorize(&req, &mut rng).nc, Some(2));
}

#[test]
fn update_refuses_another_realm_and_unknown_qop() {
    let c = owned_challenge(&challenge_2617("n1", false));
    let mut client = ClientAuth::new("Mufasa", "pw", &c).unwrap();
    let other = Challenge::parse("Digest realm=\"elsewhere\", nonce=\"n2\"").unwrap();
    assert_eq!(client.update(&other), Err(DigestError::RealmMismatch));
    assert_eq!(client.nonce(), "n1");
    let odd = Challenge::parse("Digest realm=\"r\", nonce=\"n\", qop=\"auth-conf\"").unwrap();
    assert_eq!(ClientAuth::new("u", "p", &odd).unwrap_err(), DigestError::UnsupportedQop);
    assert_eq!(ClientAuth::new("u\r\nX: y", "p", &c).unwrap_err(), DigestError::InvalidValue(Param::Username));
}

#[test]
fn cnonce_comes_from_the_rng() {
    let c = owned_challenge(&challenge_2617("n", false));
    let req = DigestRequest::new("REGISTER", "sip:host.com", b"");
    let cnonce = |seed: u64| {
        let mut client = ClientAuth::new("Mufasa", "pw", &c).unwrap();
        let a = client.authorize(&req, &mut ChaCha8Rng::seed_from_u64(seed));
        a.cnonce.unwrap().into_owned()
    };
    assert_eq!(cnonce(42), cnonce(42));
    assert_ne!(cnonce(42), cnonce(43));
    let mut rng = ChaCha8Rng::seed_from_u64(42);
    let mut bytes = [0u8; 16];
    rand_chacha::rand_core::RngCore::fill_bytes(&mut rng, &mut bytes);
    assert_eq!(cnonce(42), to_hex(&bytes));

    // Successive requests draw fresh cnonces.
    let mut client = ClientAuth::new("Mufasa", "pw", &c).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    assert_ne!(client.authorize(&req, &mut rng).cnonce, client.authorize(&req, &mut rng).cnonce);
}

#[test]
fn sess_keeps_cnonce_prime_per_nonce_and_defaults_to_auth() {
    let c = Challenge::parse("Digest realm=\"r\", nonce=\"n\", algorithm=MD5-sess").unwrap();
    let mut client = ClientAuth::new("u", "p", &c).unwrap();
    assert_eq!(client.qop(), Some(Qop::Auth)); // RFC 3261 §22.4 item 8, RFC 8760 §2.6 item 8
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let req = DigestRequest::new("MESSAGE", "sip:r", b"hi");
    let (a1, a2) = (client.authorize(&req, &mut rng), client.authorize(&req, &mut rng));
    assert_eq!(a1.cnonce, a2.cnonce);
    assert_eq!((a1.nc, a2.nc), (Some(1), Some(2)));
    assert!(verify(&a1, "p", "MESSAGE", b"hi") && verify(&a2, "p", "MESSAGE", b"hi"));
    client.update(&Challenge::parse("Digest realm=\"r\", nonce=\"m\", algorithm=MD5-sess").unwrap()).unwrap();
    assert_ne!(client.authorize(&req, &mut rng).cnonce, a1.cnonce);
}

#[test]
fn qop_choice_prefers_auth_unless_integrity_requested() {
    let c = owned_challenge(&challenge_2617("n", false));
    let mut client = ClientAuth::new("Mufasa", "pw", &c).unwrap();
    assert_eq!(client.qop(), Some(Qop::Auth));
    client.set_prefer_integrity(true);
    assert_eq!(client.qop(), Some(Qop::AuthInt));
    let body = b"v=0\r\n";
    let a =
        client.authorize(&DigestRequest::new("INVITE", "sip:bob@biloxi.com", body), &mut ChaCha8Rng::seed_from_u64(0));
    assert!(a.to_string().contains("qop=auth-int"));
    assert!(verify(&a, "pw", "INVITE", body));
    assert!(!verify(&a, "pw", "INVITE", b"v=1\r\n"), "auth-int covers the body");
    let only_int = Challenge::parse("Digest realm=\"testrealm@host.com\", nonce=\"n\", qop=\"auth-int\"").unwrap();
    client.set_prefer_integrity(false);
    client.update(&only_int).unwrap();
    assert_eq!(client.qop(), Some(Qop::AuthInt));
}

#[test]
fn debug_never_shows_the_password() {
    let c = owned_challenge(&challenge_2617("n", false));
    let client = ClientAuth::new("Mufasa", "Circle Of Life", &c).unwrap();
    let shown = format!("{client:?} {client:#?}");
    assert!(!shown.contains("Circle Of Life") && shown.contains("Mufasa"));
    let i = inputs(Algorithm::Md5, None, "c");
    assert!(!format!("{i:?}").contains("Circle of Life"));
}

#[test]
fn authorization_serializes_in_documented_order() {
    let c = Challenge::parse(CHALLENGE_2617).unwrap();
    let mut client = ClientAuth::new("Mufasa", "Circle Of Life", &c).unwrap();
    let a = client.authorize(&DigestRequest::new("GET", "/dir/index.html", b""), &mut ChaCha8Rng::seed_from_u64(0));
    let cnonce = a.cnonce.clone().unwrap();
    let want = format!(
        "Digest username=\"Mufasa\", realm=\"testrealm@host.com\", nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", uri=\"/dir/index.html\", response=\"{}\", algorithm=MD5, cnonce=\"{cnonce}\", opaque=\"5ccc069c403ebaf9f0171e9517f40e41\", qop=auth, nc=00000001",
        a.response
    );
    assert_eq!(a.to_string(), want);
}

// ---- parsing edge cases ----

#[test]
fn challenge_errors_are_precise() {
    let p = Challenge::parse;
    assert_eq!(p("Digest nonce=\"n\""), Err(DigestError::MissingRealm));
    assert_eq!(p("Digest realm=\"r\""), Err(DigestError::MissingNonce));
    assert_eq!(p("Basic realm=\"r\""), Err(DigestError::UnsupportedScheme));
    assert_eq!(p("Digest realm=\"r\", nonce=\"n\", Realm=\"x\""), Err(DigestError::DuplicateParam(Param::Realm)));
    let ok =
        p("DIGEST REALM=r, Nonce=n, stale=TRUE, foo=\"bar\", foo=baz, userhash=True, domain=\"sip:a sip:b\"").unwrap();
    assert!(ok.stale && ok.userhash);
    assert_eq!(ok.domain_uris().collect::<Vec<_>>(), ["sip:a", "sip:b"]);
    assert!(!p("Digest realm=r, nonce=n, stale=no").unwrap().stale);
    assert_eq!(p("Digest realm=r, nonce=n, qop=\"auth-conf\"").unwrap().qop, Some(QopOptions::default()));
}

#[test]
fn challenge_display_round_trips() {
    let mut c = Challenge::new("atlanta.com", Cow::Borrowed("a\"b"));
    c.qop = Some(QopOptions::default().with(Qop::AuthInt).with(Qop::Auth));
    c.algorithm = Algorithm::Sha256;
    c.stale = true;
    c.opaque = Some("o".into());
    let text = c.to_string();
    assert_eq!(text, "Digest realm=\"atlanta.com\", nonce=\"a\\\"b\", opaque=\"o\", stale=true, algorithm=SHA-256, qop=\"auth,auth-int\"");
    assert_eq!(Challenge::parse(&text).unwrap(), c);
    let owned = Challenge::parse(&text).unwrap().into_owned();
    assert_eq!(owned, c);
}

#[test]
fn authorization_errors_are_precise() {
    let p = owned_authorization;
    // RFC 4475 §3.1.2.1 (regaut01): an unknown scheme is refused, not a panic.
    assert_eq!(p("NoOneKnowsThisScheme opaque-data=here"), Err(DigestError::UnsupportedScheme));
    let base = "Digest username=\"u\", realm=\"r\", nonce=\"n\", uri=\"sip:a\", response=\"00\"";
    assert!(p(base).is_ok());
    assert_eq!(p(&base.replace("username=\"u\", ", "")), Err(DigestError::MissingUsername));
    assert_eq!(p(&base.replace("uri=\"sip:a\", ", "")), Err(DigestError::MissingUri));
    assert_eq!(p(&base.replace(", response=\"00\"", "")), Err(DigestError::MissingResponse));
    assert_eq!(p(&base.replace("realm=\"r\", ", "")), Err(DigestError::MissingRealm));
    assert_eq!(p(&base.replace("nonce=\"n\", ", "")), Err(DigestError::MissingNonce));
    assert_eq!(p(&format!("{base}, qop=auth, nc=00000001")), Err(DigestError::MissingCnonce));
    assert_eq!(p(&format!("{base}, qop=auth, cnonce=\"c\"")), Err(DigestError::MissingNonceCount));
    assert_eq!(p(&format!("{base}, qop=auth-conf")), Err(DigestError::UnsupportedQop));
    assert_eq!(p(&format!("{base}, nc=1")), Err(DigestError::InvalidValue(Param::Nc)));
    assert_eq!(p(&format!("{base}, nc=+0000001")), Err(DigestError::InvalidValue(Param::Nc)));
    assert_eq!(p(&format!("{base}, algorithm=\"MD6\"")), Err(DigestError::UnsupportedAlgorithm));
    assert_eq!(p(&format!("{base}, URI=\"x\"")), Err(DigestError::DuplicateParam(Param::Uri)));
    let quoted = p(&format!("{base}, qop=\"auth\", nc=0000000A, cnonce=c, algorithm=\"md5\"")).unwrap();
    assert_eq!((quoted.qop, quoted.nc, quoted.algorithm), (Some(Qop::Auth), Some(10), Some(Algorithm::Md5)));
}

/// The RFC 4475 torture messages, from `HARDPHONE_TESTDATA` or `../shared/testdata` beside the
/// checkout (the layout `scripts/test` sets up).
fn rfc4475_message(name: &str) -> Vec<u8> {
    let dir = std::env::var_os("HARDPHONE_TESTDATA")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata"));
    let path = dir.join("rfc4475").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("RFC 4475 test data {}: {e}", path.display()))
}

#[test]
fn rfc4475_regaut01_unknown_scheme_is_refused() {
    let message = String::from_utf8(rfc4475_message("regaut01.dat")).unwrap();
    let value = message
        .split("\r\n")
        .find_map(|line| line.strip_prefix("Authorization:"))
        .expect("regaut01 has an Authorization header field");
    assert_eq!(value.trim(), "NoOneKnowsThisScheme opaque-data=here");
    assert_eq!(Authorization::parse(value), Err(DigestError::UnsupportedScheme));
    assert_eq!(Challenge::parse(value), Err(DigestError::UnsupportedScheme));
}

#[test]
fn hostile_inputs_do_not_panic() {
    for value in [
        "",
        " ",
        "Digest",
        "Digest ",
        "Digest ,",
        "Digest a=\"\\",
        "Digest a=\"\u{e9}\\\u{e9}\"",
        "Digest \u{e9}=1",
        "Digest a=\u{e9}",
        "\"Digest\"",
    ] {
        let _ = Challenge::parse(value);
        let _ = Authorization::parse(value);
    }
}

proptest! {
    #[test]
    fn challenge_parse_never_panics(s in any::<String>()) {
        let _ = Challenge::parse(&s);
    }

    #[test]
    fn authorization_parse_never_panics(s in any::<String>()) {
        let _ = Authorization::parse(&s);
    }

    #[test]
    fn digestish_inputs_never_panic(s in "(Digest|digest|Basic)?[ \t\r\n]{0,2}([a-z*]{1,9}[ ]?=[ ]?(\"[ -~\\\\é\r\n]{0,12}\"?|[a-zA-Z0-9+/=-]{0,9})[ ]?,?[ ]?){0,8}") {
        let _ = Challenge::parse(&s);
        let _ = Authorization::parse(&s);
    }
}
