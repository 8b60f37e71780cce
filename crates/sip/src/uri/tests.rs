use super::*;
use proptest::prelude::*;
use std::net::{Ipv4Addr, Ipv6Addr};

fn sip(text: &str) -> SipUri<'_> {
    match SipUri::parse(text) {
        Ok(uri) => uri,
        Err(e) => panic!("{text:?} should parse: {e}"),
    }
}

fn err(text: &str) -> UriError {
    match Uri::parse(text) {
        Ok(uri) => panic!("{text:?} should fail, got {uri:?}"),
        Err(e) => e,
    }
}

/// Parses, then checks that the Display output parses to the same value.
fn round_trip(text: &str) -> Uri<'_> {
    let uri = Uri::parse(text).unwrap_or_else(|e| panic!("{text:?} should parse: {e}"));
    let written = uri.to_string();
    assert_eq!(Uri::parse(&written), Ok(uri), "{text:?} written as {written:?}");
    uri
}

fn v6(text: &str) -> Host<'static> {
    Host::V6(text.parse().unwrap())
}

#[test]
fn repeated_parameter_compares_by_its_first_value() {
    // Found by proptest: `sip:a;!;!=[` was not equivalent to itself.
    let uri = SipUri::parse("sip:a;!;!=[").unwrap();
    assert!(uri.equivalent(&uri));
    let first_flag = SipUri::parse("sip:a;p;p=1").unwrap();
    assert!(first_flag.equivalent(&SipUri::parse("sip:a;p").unwrap()));
    assert!(!first_flag.equivalent(&SipUri::parse("sip:a;p=1").unwrap()));
}

#[test]
fn scheme_is_case_insensitive() {
    assert!(!sip("SIP:alice@atlanta.com").secure);
    assert!(sip("Sips:alice@atlanta.com").secure);
    assert_eq!(Uri::parse("sIpS:a@b.c").unwrap().scheme(), "sips");
    assert_eq!(Uri::parse("TEL:+1234").unwrap().scheme(), "tel");
    assert_eq!(round_trip("SIP:alice@atlanta.com").to_string(), "sip:alice@atlanta.com");
    assert_eq!(SipUri::parse("tel:+1234"), Err(UriError::NotSipScheme));
}

#[test]
fn user_part_may_hold_semicolons_and_escapes() {
    // RFC 4475 §3.1.1.9 (semiuri.dat)
    let uri = sip("sip:user;par=u%40example.net@example.com");
    assert_eq!(uri.user, Some("user;par=u%40example.net"));
    assert_eq!(uri.user_decoded().as_deref(), Some(&b"user;par=u@example.net"[..]));
    assert_eq!(uri.host, Host::Domain("example.com"));
    assert!(uri.params.is_empty());
}

#[test]
fn rfc4475_intmeth_unusual_user_and_password() {
    let text =
        "sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com";
    let uri = sip(text);
    assert_eq!(uri.user, Some("1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*"));
    assert_eq!(uri.password, Some("&it+has=1,weird!*pas$wo~d_too.(doesn't-it)"));
    assert_eq!(uri.host, Host::Domain("example.com"));
    assert!(uri.params.is_empty() && uri.headers.is_empty() && uri.port.is_none());
    assert_eq!(round_trip(text).to_string(), text);
    let to = sip("sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*@example.com");
    assert_eq!(to.user, uri.user);
    assert_eq!(to.password, None);
}

#[test]
fn escapes_are_kept_raw_and_decoded_once() {
    // RFC 4475 §3.1.1.3 (esc01.dat)
    let ruri = sip("sip:sips%3Auser%40example.com@example.net");
    assert_eq!(ruri.user_decoded().as_deref(), Some(&b"sips:user@example.com"[..]));
    assert_eq!(ruri.host, Host::Domain("example.net"));
    let to = sip("sip:%75se%72@example.com");
    assert!(to.equivalent(&sip("sip:user@example.com")));
    let contact = sip("sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31");
    assert!(contact.lr());
    assert_eq!(contact.param("name"), Some(Some("v%61lue%25%34%31")));
    assert_eq!(&*percent_decode(contact.param("NAME").flatten().unwrap()), b"value%41");
    assert_eq!(contact.params.iter().next(), Some(("%6C%72", None)));
    assert_eq!(sip("sip:I%20have%20spaces@example.net").user_decoded().as_deref(), Some(&b"I have spaces"[..]));
}

#[test]
fn escaped_nulls_are_legal_and_distinct() {
    // RFC 4475 §3.1.1.4 (escnull.dat)
    let null = sip("sip:null-%00-null@example.com");
    assert_eq!(null.user_decoded().as_deref(), Some(&b"null-\0-null"[..]));
    let one = sip("sip:%00@host5.example.com");
    let two = sip("sip:%00%00@host5.example.com");
    assert!(!one.equivalent(&two));
    assert!(!null.equivalent(&sip("sip:null-%2500-null@example.com")));
    assert_eq!(sip("sip:null-%2500-null@example.com").user_decoded().as_deref(), Some(&b"null-%00-null"[..]));
}

#[test]
fn bad_escapes_are_rejected_everywhere() {
    for text in [
        "sip:us%4@host",
        "sip:us%@host",
        "sip:u:p%zz@host",
        "sip:host;a=%zz",
        "sip:host;%4=1",
        "sip:host?h=%",
        "sip:host?h%g1=v",
        "tel:+1;x=%2",
    ] {
        assert_eq!(err(text), UriError::BadEscape, "{text}");
    }
}

#[test]
fn userinfo_errors() {
    assert_eq!(err("sip:@example.com"), UriError::EmptyUser);
    assert_eq!(err("sip::pw@example.com"), UriError::EmptyUser);
    assert_eq!(err("sip:a\"b@example.com"), UriError::BadUserinfo);
    assert_eq!(err("sip:a:b:c@example.com"), UriError::BadUserinfo);
    assert_eq!(err("sip:a:p;w@example.com"), UriError::BadUserinfo);
    assert_eq!(err("sip:\u{e9}@example.com"), UriError::BadUserinfo);
    assert_eq!(sip("sip:a:@example.com").password, Some(""));
    assert_eq!(round_trip("sip:a:@example.com").to_string(), "sip:a:@example.com");
    assert_eq!(sip("sip:*69#@example.com").user, Some("*69#"));
    // The first '@' ends the userinfo: no '@' may appear unescaped after it.
    assert_eq!(err("sip:a@b@example.com"), UriError::BadHost);
}

#[test]
fn rfc5118_ipv6_references() {
    let good = sip("sip:[2001:db8::10]");
    assert_eq!((good.host, good.port, good.user), (v6("2001:db8::10"), None, None));
    let with_port = sip("sip:[2001:db8::10]:5070");
    assert_eq!((with_port.host, with_port.port), (v6("2001:db8::10"), Some(5070)));
    let ambiguous = sip("sip:[2001:db8::10:5070]");
    assert_eq!((ambiguous.host, ambiguous.port), (v6("2001:db8::10:5070"), None));
    assert_eq!(err("sip:2001:db8::10"), UriError::Ipv6NotBracketed);
    assert_eq!(err("sip:user@2001:db8::10:5070;lr"), UriError::Ipv6NotBracketed);
    assert_eq!(err("sip:::1"), UriError::Ipv6NotBracketed);
    let three = sip("sip:user@[2001:db8:::192.0.2.1]");
    assert_eq!(three.host, v6("2001:db8::192.0.2.1"));
    assert_eq!(three.host, sip("sip:user@[2001:db8::192.0.2.1]").host);
    let mapped = sip("sip:ted@[::ffff:192.0.2.2]");
    assert_eq!(mapped.host, Host::V6(Ipv4Addr::new(192, 0, 2, 2).to_ipv6_mapped()));
    assert_eq!(sip("sip:caller@[2001:db8::20]").host.to_string(), "[2001:db8::20]");
    for text in ["sip:[2001:db8::10", "sip:[]", "sip:[192.0.2.1]", "sip:[2001:db8::g]", "sip:[::1%25eth0]"] {
        assert_eq!(err(text), UriError::BadIpv6, "{text}");
    }
    assert_eq!(err("sip:[::1]x"), UriError::BadHost);
    assert_eq!(err("sip:[::1]:"), UriError::BadPort);
    round_trip("sip:user@[2001:db8:::192.0.2.1]:5060;maddr=[2001:db8::1]");
}

#[test]
fn hosts() {
    assert_eq!(sip("sip:192.0.2.4").host, Host::V4(Ipv4Addr::new(192, 0, 2, 4)));
    assert_eq!(sip("sip:010.0.0.1").host, Host::V4(Ipv4Addr::new(10, 0, 0, 1)));
    assert_eq!(sip("sip:_sip._udp.Example.COM.").host, Host::Domain("_sip._udp.Example.COM."));
    assert_eq!(sip("sip:a-b.c-d").host, Host::Domain("a-b.c-d"));
    assert_eq!(sip("sip:123.example.com").host, Host::Domain("123.example.com"));
    for text in [
        "sip:256.0.0.1",
        "sip:1.2.3",
        "sip:1.2.3.4.5",
        "sip:a..b",
        "sip:-a.com",
        "sip:a-.com",
        "sip:.",
        "sip:a.1",
        "sip:ex%61mple.com",
        "sip:a<b",
        "sip:a>b",
        "sip:1234",
    ] {
        assert_eq!(err(text), UriError::BadHost, "{text}");
    }
    for text in ["sip:", "sip:user@", "sip:user@:5060", "sip:;lr", "sip:?a=b"] {
        assert_eq!(err(text), UriError::EmptyHost, "{text}");
    }
    assert_eq!(Host::parse("2001:db8::1"), Err(UriError::Ipv6NotBracketed));
    assert_eq!(Host::parse_with_port("[::1]:5060"), Ok((v6("::1"), Some(5060))));
    assert_eq!(Host::parse_with_port("host.example.com"), Ok((Host::Domain("host.example.com"), None)));
    assert!(Host::V4(Ipv4Addr::LOCALHOST).is_ip() && !Host::Domain("a").is_ip());
    assert_eq!(Host::V6(Ipv6Addr::LOCALHOST).to_string(), "[::1]");
}

#[test]
fn ports() {
    assert_eq!(sip("sip:host:0").port, Some(0));
    assert_eq!(sip("sip:host:65535").port, Some(65535));
    assert_eq!(sip("sip:host:05060;lr").port, Some(5060));
    for text in [
        "sip:host:",
        "sip:host:65536",
        "sip:host:99999999999999999999",
        "sip:host:5a",
        "sip:host:-1",
        "sip:host:+5",
        "sip:host:1:2",
        "sip:host::",
    ] {
        assert_eq!(err(text), UriError::BadPort, "{text}");
    }
}

#[test]
fn params() {
    // RFC 4475 §3.1.1.1 (wsinv.dat) Route
    let route = sip("sip:services.example.com;lr;unknownwith=value;unknown-no-value");
    assert!(route.lr());
    let all: Vec<_> = route.params.iter().collect();
    assert_eq!(all, [("lr", None), ("unknownwith", Some("value")), ("unknown-no-value", None)]);
    assert_eq!(route.params.as_str(), "lr;unknownwith=value;unknown-no-value");
    assert_eq!(route.param("UnknownWith"), Some(Some("value")));
    assert_eq!(route.param("absent"), None);
    let uri = sip("sip:alice@atlanta.com;Transport=TCP;maddr=239.255.255.1;user=phone;method=INVITE");
    assert_eq!((uri.transport(), uri.maddr(), uri.user_param()), (Some("TCP"), Some("239.255.255.1"), Some("phone")));
    assert_eq!((uri.method_param(), uri.lr()), (Some("INVITE"), false));
    for text in ["sip:host;", "sip:host;;", "sip:host;;lr", "sip:host;lr;", "sip:host;a;;b", "sip:host;?h=v"] {
        assert_eq!(err(text), UriError::EmptyParam, "{text}");
    }
    for text in ["sip:host;a=", "sip:host;=b", "sip:host;a=b=c", "sip:host;a=<b>", "sip:host;a\"", "sip:host;a=b,c"] {
        assert_eq!(err(text), UriError::BadParam, "{text}");
    }
    // RFC 4475 §3.1.2.8 (lwsruri.dat)
    assert_eq!(err("sip:user@example.com; lr"), UriError::Whitespace);
    assert_eq!(err("sip:user@example.com;lr "), UriError::Whitespace);
    assert_eq!(err("sip:user@exa\tmple.com"), UriError::Whitespace);
    assert_eq!(UriParams::new("lr;a=b").map(|p| p.get("A")), Ok(Some(Some("b"))));
    assert_eq!(UriParams::new("").map(|p| p.is_empty()), Ok(true));
}

#[test]
fn headers() {
    // RFC 4475 §3.1.2.11 (escruri.dat) and §3.3.14 (regescrt.dat)
    let uri = sip("sip:user@example.com?Route=%3Csip:example.com%3E");
    assert_eq!((uri.user, uri.host), (Some("user"), Host::Domain("example.com")));
    assert_eq!(uri.headers.get("route"), Some("%3Csip:example.com%3E"));
    let contact = sip("sip:user@example.com?Route=%3Csip:sip.example.com%3E");
    assert_eq!(&*percent_decode(contact.headers.get("Route").unwrap()), b"<sip:sip.example.com>");
    let multi = sip("sip:alice@atlanta.com;lr?subject=project%20x&priority=urgent&empty=");
    let all: Vec<_> = multi.headers.iter().collect();
    assert_eq!(all, [("subject", "project%20x"), ("priority", "urgent"), ("empty", "")]);
    assert_eq!(multi.headers.as_str(), "subject=project%20x&priority=urgent&empty=");
    assert!(multi.lr());
    for text in
        ["sip:host?", "sip:host?a", "sip:host?a=b&", "sip:host?&a=b", "sip:host?=b", "sip:host?a=b;c", "sip:host?a=<b>"]
    {
        assert_eq!(err(text), UriError::BadHeaders, "{text}");
    }
}

#[test]
fn tel_uris() {
    let tel = Uri::parse("tel:+1-201-555-0123;phone-context=+1;ext=22").unwrap();
    let tel = tel.as_tel().unwrap();
    assert_eq!((tel.number, tel.is_global()), ("+1-201-555-0123", true));
    assert_eq!(tel.params.get("ext"), Some(Some("22")));
    let local = TelUri::parse("tel:7042;phone-context=example.com").unwrap();
    assert_eq!((local.number, local.phone_context()), ("7042", Some("example.com")));
    assert_eq!(TelUri::parse("tel:*69#;phone-context=+1").map(|t| t.number), Ok("*69#"));
    assert_eq!(err("tel:7042"), UriError::MissingPhoneContext);
    for text in ["tel:", "tel:+", "tel:+-()", "tel:+1x", "tel:-.", "tel:+1@2"] {
        assert_eq!(err(text), UriError::BadTelNumber, "{text}");
    }
    assert_eq!(err("tel:+1 201"), UriError::Whitespace);
    assert_eq!(err("tel:+1201;"), UriError::EmptyParam);
    assert_eq!(err("tel:+1201;;a"), UriError::EmptyParam);
    assert_eq!(err("tel:+1201;a_b=1"), UriError::BadParam);
    assert_eq!(TelUri::parse("sip:a@b"), Err(UriError::BadScheme));
    round_trip("tel:+1-201-555-0123;phone-context=+1;ext=22");
}

#[test]
fn other_schemes_are_opaque() {
    // RFC 4475 §3.3.2, §3.3.3, §3.3.4
    for text in [
        "isbn:2983792873",
        "http://www.example.com",
        "name:John_Smith",
        "soap.beep://192.0.2.103:3002",
        "nobodyKnowsThisScheme:totallyopaquecontent",
        "mailto:a@b.c?subject=x%20y",
    ] {
        let uri = round_trip(text);
        assert_eq!(uri.to_string(), text);
        assert!(uri.as_sip().is_none());
    }
    assert_eq!(Uri::parse("soap.beep://x").unwrap().scheme(), "soap.beep");
    assert_eq!(err("foo:"), UriError::EmptyOpaque);
    for text in ["foo:a<b", "foo:a>b", "foo:a\"b", "foo:a\u{7f}b", "foo:a\0", "foo:\u{e9}"] {
        assert_eq!(err(text), UriError::BadChar, "{text:?}");
    }
    for text in ["1foo:x", "f_o:x", "<sip:a@b>", "user@host:5060"] {
        assert_eq!(err(text), UriError::BadScheme, "{text}");
    }
    for text in ["", "example.com", ":x"] {
        assert_eq!(err(text), UriError::MissingScheme, "{text}");
    }
}

#[test]
fn length_limit() {
    let host = "a".repeat(MAX_URI_LEN - 4);
    let fits = format!("sip:{host}");
    assert_eq!(fits.len(), MAX_URI_LEN);
    assert!(Uri::parse(&fits).is_ok());
    let long = format!("sip:{host}a");
    assert_eq!(Uri::parse(&long), Err(UriError::TooLong));
    assert_eq!(SipUri::parse(&long), Err(UriError::TooLong));
    assert_eq!(TelUri::parse(&format!("tel:+{}", "1".repeat(MAX_URI_LEN))), Err(UriError::TooLong));
}

#[test]
fn errors_name_the_fault() {
    assert_eq!(UriError::Ipv6NotBracketed.to_string(), "IPv6 address not enclosed in '[' ']'");
    assert_eq!(UriError::TooLong.to_string(), "URI longer than 2048 bytes");
}

fn equivalent(a: &str, b: &str) -> bool {
    let (a, b) = (sip(a), sip(b));
    assert_eq!(a.equivalent(&b), b.equivalent(&a), "comparison must be symmetric");
    a.equivalent(&b)
}

#[test]
fn rfc3261_19_1_4_equivalent_sets() {
    let sets: &[&[&str]] = &[
        &["sip:%61lice@atlanta.com;transport=TCP", "sip:alice@AtLanTa.CoM;Transport=tcp"],
        &["sip:carol@chicago.com", "sip:carol@chicago.com;newparam=5", "sip:carol@chicago.com;security=on"],
        &[
            "sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com",
            "sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com",
        ],
        &[
            "sip:alice@atlanta.com?subject=project%20x&priority=urgent",
            "sip:alice@atlanta.com?priority=urgent&subject=project%20x",
        ],
    ];
    for set in sets {
        for a in *set {
            for b in *set {
                assert!(equivalent(a, b), "{a} ~ {b}");
            }
        }
    }
}

#[test]
fn rfc3261_19_1_4_non_equivalent_pairs() {
    let pairs = [
        ("SIP:ALICE@AtLanTa.CoM;Transport=udp", "sip:alice@AtLanTa.CoM;Transport=UDP"),
        ("sip:bob@biloxi.com", "sip:bob@biloxi.com:5060"),
        ("sip:bob@biloxi.com", "sip:bob@biloxi.com;transport=udp"),
        ("sip:bob@biloxi.com", "sip:bob@biloxi.com:6000;transport=tcp"),
        ("sip:carol@chicago.com", "sip:carol@chicago.com?Subject=next%20meeting"),
        ("sip:bob@phone21.boxesbybob.com", "sip:bob@192.0.2.4"),
    ];
    for (a, b) in pairs {
        assert!(!equivalent(a, b), "{a} !~ {b}");
    }
}

#[test]
fn rfc3261_19_1_4_equality_is_not_transitive() {
    assert!(equivalent("sip:carol@chicago.com", "sip:carol@chicago.com;security=on"));
    assert!(equivalent("sip:carol@chicago.com", "sip:carol@chicago.com;security=off"));
    assert!(!equivalent("sip:carol@chicago.com;security=on", "sip:carol@chicago.com;security=off"));
}

#[test]
fn more_comparison_rules() {
    assert!(!equivalent("sip:alice@atlanta.com", "sips:alice@atlanta.com"));
    assert!(!equivalent("sip:alice@atlanta.com", "sip:atlanta.com"));
    assert!(!equivalent("sip:alice:pw@atlanta.com", "sip:alice@atlanta.com"));
    assert!(!equivalent("sip:alice:pw@atlanta.com", "sip:alice:PW@atlanta.com"));
    for sticky in ["user=phone", "ttl=1", "method=INVITE", "maddr=192.0.2.1", "transport=udp"] {
        assert!(!equivalent("sip:a@b.com", &format!("sip:a@b.com;{sticky}")), "{sticky}");
    }
    assert!(equivalent("sip:a@b.com;%6C%72", "sip:a@b.com;LR"));
    assert!(!equivalent("sip:a@b.com;lr", "sip:a@b.com;lr=on"));
    // An escaped reserved character is not the character itself.
    assert!(!equivalent("sip:a%3Bb@host", "sip:a;b@host"));
    assert!(equivalent("sip:a%3bb@host", "sip:a%3Bb@host"));
    assert!(equivalent("sip:a@[2001:db8::1]", "sip:a@[2001:DB8:0::1]"));
    assert!(!equivalent("sip:carol@chicago.com?a=1&a=1", "sip:carol@chicago.com?a=1"));
    assert!(equivalent("sip:c@chicago.com?Subject=x", "sip:c@chicago.com?subject=x"));
    assert!(!equivalent("sip:c@chicago.com?subject=x", "sip:c@chicago.com?subject=X"));
}

#[test]
fn display_round_trips() {
    for text in [
        "sip:alice@atlanta.com",
        "sips:alice:secret@atlanta.com:5061;transport=tcp;lr?subject=project%20x&priority=urgent",
        "sip:user;par=u%40example.net@example.com",
        "sip:[2001:db8::10]:5070",
        "sip:192.0.2.4:5060;maddr=192.0.2.1",
        "sip:user@example.com?Route=%3Csip:sip.example.com%3E",
    ] {
        assert_eq!(round_trip(text).to_string(), text);
    }
}

fn uri_alphabet() -> impl Strategy<Value = String> {
    proptest::string::string_regex("(sips?:|SIP:|tel:|x:)?[a-zA-Z0-9@:;?&=%\\[\\]._+<>\" \\-#*!~$,/()']{0,40}").unwrap()
}

proptest! {
    #[test]
    fn parse_never_panics(text in any::<String>()) {
        let _ = Uri::parse(&text);
        let _ = SipUri::parse(&text);
        let _ = TelUri::parse(&text);
        let _ = Host::parse_with_port(&text);
    }

    #[test]
    fn uri_ish_text_never_panics_and_round_trips(text in uri_alphabet()) {
        if let Ok(uri) = Uri::parse(&text) {
            let written = uri.to_string();
            prop_assert_eq!(Uri::parse(&written), Ok(uri));
            if let Uri::Sip(sip) = uri {
                prop_assert!(sip.equivalent(&sip));
                let _ = (sip.user_decoded(), sip.lr(), sip.params.iter().count(), sip.headers.iter().count());
            }
        }
    }

    #[test]
    fn generated_sip_uris_round_trip(
        secure in any::<bool>(),
        user in proptest::option::of("([a-zA-Z0-9\\-_.!~*'()&=+$,;?/#]|%[0-9a-fA-F]{2}){1,12}"),
        password in proptest::option::of("([a-zA-Z0-9&=+$,]|%[0-9a-fA-F]{2}){0,8}"),
        host in prop_oneof![
            "([a-z0-9_]([a-z0-9_\\-]{0,6}[a-z0-9_])?\\.){0,3}[a-zA-Z][a-z0-9]{0,5}\\.?",
            any::<[u8; 4]>().prop_map(|o| Ipv4Addr::from(o).to_string()),
            any::<u128>().prop_map(|a| format!("[{}]", Ipv6Addr::from(a))),
        ],
        port in proptest::option::of(any::<u16>()),
        params in proptest::collection::vec("([a-zA-Z0-9\\-_.!~*'()\\[\\]/:&+$]|%[0-9A-F]{2}){1,8}(=([a-z0-9\\[\\]/:&+$]|%[0-9a-f]{2}){1,8})?", 0..4),
        headers in proptest::collection::vec("[a-zA-Z0-9?/:+$]{1,6}=([a-z0-9\\[\\]/?:+$]|%[0-9a-f]{2}){0,6}", 0..3),
    ) {
        let mut text = String::from(if secure { "sips:" } else { "sip:" });
        if let Some(user) = &user {
            text.push_str(user);
            if let Some(password) = &password {
                text.push(':');
                text.push_str(password);
            }
            text.push('@');
        }
        text.push_str(&host);
        if let Some(port) = port {
            text.push_str(&format!(":{port}"));
        }
        for param in &params {
            text.push(';');
            text.push_str(param);
        }
        if !headers.is_empty() {
            text.push('?');
            text.push_str(&headers.join("&"));
        }
        let uri = SipUri::parse(&text).map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
        prop_assert_eq!(uri.secure, secure);
        prop_assert_eq!(uri.user, user.as_deref());
        prop_assert_eq!(uri.password, user.as_ref().and(password.as_deref()));
        prop_assert_eq!(uri.port, port);
        prop_assert_eq!(uri.params.iter().count(), params.len());
        prop_assert_eq!(uri.headers.iter().count(), headers.len());
        prop_assert_eq!(uri.to_string(), text.clone());
        let written = uri.to_string();
        prop_assert_eq!(Uri::parse(&written), Ok(Uri::Sip(uri)));
        prop_assert!(uri.equivalent(&uri));
    }
}
