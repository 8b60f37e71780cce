//! RFC 4475 (SIP torture messages) and RFC 5118 (IPv6 torture messages): every vector in
//! `../shared/testdata` is a case here, asserting what its MANIFEST.tsv says a user agent does.
//! Where the RFC allows two behaviours, the row says which we chose and why.

mod common;

use common::{inspect, manifest_files, Role};
use sip::Verdict;

/// What the receiving user agent does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Ok,
    Reject(u16),
    Drop,
}
use Expect::{Drop, Ok, Reject};
use Role::{Phone, Registrar};

/// RFC 4475: (file, role, expected, why we chose it where the RFC leaves a choice).
const RFC4475: &[(&str, Role, Expect, &str)] = &[
    ("wsinv.dat", Phone, Ok, ""),
    ("intmeth.dat", Phone, Reject(501), ""),
    ("esc01.dat", Phone, Ok, ""),
    ("escnull.dat", Registrar, Ok, "REGISTER: the RFC's expectation is a registrar's"),
    ("esc02.dat", Phone, Reject(501), ""),
    ("lwsdisp.dat", Phone, Ok, ""),
    ("longreq.dat", Phone, Ok, ""),
    ("dblreq.dat", Registrar, Ok, "REGISTER; the trailing octets are ignored"),
    ("semiuri.dat", Phone, Ok, ""),
    ("transports.dat", Phone, Ok, ""),
    ("mpart01.dat", Phone, Ok, "multipart/mixed is read because its text/plain part is"),
    ("unreason.dat", Phone, Ok, ""),
    ("noreason.dat", Phone, Ok, ""),
    ("badinv01.dat", Phone, Reject(400), ""),
    ("clerr.dat", Phone, Reject(400), "UDP: Content-Length beyond the datagram (RFC 3261 §18.3)"),
    ("ncl.dat", Phone, Reject(400), ""),
    ("scalar02.dat", Registrar, Reject(400), ""),
    ("scalarlg.dat", Phone, Drop, ""),
    ("quotbal.dat", Phone, Reject(400), "we do not guess the missing quote: a guess can pick the wrong URI"),
    ("ltgtruri.dat", Phone, Reject(400), "we do not strip the <>: RFC 3261 §25.1 forbids them there"),
    ("lwsruri.dat", Phone, Reject(400), "the space makes the Request-URI ambiguous"),
    ("lwsstart.dat", Phone, Ok, "extra SP between request-line elements is unambiguous: tolerated"),
    ("trws.dat", Phone, Ok, "trailing SP after SIP/2.0 is unambiguous: tolerated"),
    (
        "escruri.dat",
        Phone,
        Reject(400),
        "headers in a Request-URI are refused, not ignored: obeying an injected Route would be worse",
    ),
    ("baddate.dat", Phone, Ok, "Date does not matter to a phone, so its bad zone is ignored"),
    ("regbadct.dat", Registrar, Reject(400), "we do not infer the <>: the ?Route would be bound into the contact"),
    ("badaspec.dat", Phone, Reject(400), "we do not strip spaces inside <>"),
    ("baddn.dat", Phone, Reject(400), "we do not infer quotes around a display name with a comma"),
    ("badvers.dat", Phone, Reject(505), ""),
    ("mismatch01.dat", Phone, Reject(400), ""),
    ("mismatch02.dat", Phone, Reject(501), "501 (unknown method) is checked before the CSeq mismatch"),
    ("bigcode.dat", Phone, Drop, ""),
    (
        "badbranch.dat",
        Phone,
        Reject(400),
        "a bare magic cookie claims RFC 3261 and breaks it: 400, not RFC 2543 matching",
    ),
    ("insuf.dat", Phone, Reject(400), ""),
    ("unkscm.dat", Phone, Reject(416), ""),
    ("novelsc.dat", Phone, Reject(416), "a phone never serves soap.beep:, so 416 rather than 404"),
    (
        "unksm2.dat",
        Phone,
        Reject(405),
        "parses; a phone is not a registrar, so REGISTER gets 405 (a registrar would say 400)",
    ),
    ("bext01.dat", Phone, Reject(420), ""),
    ("invut.dat", Phone, Reject(415), ""),
    ("regaut01.dat", Phone, Reject(405), "a phone is not a registrar"),
    ("multi01.dat", Phone, Reject(400), ""),
    ("mcl01.dat", Phone, Reject(400), ""),
    ("bcast.dat", Phone, Drop, "a response with two Vias is not for us (RFC 3261 §8.1.3.3)"),
    ("zeromf.dat", Phone, Ok, "Max-Forwards 0 matters only to proxies"),
    ("cparam01.dat", Registrar, Ok, ""),
    ("cparam02.dat", Registrar, Ok, ""),
    ("regescrt.dat", Registrar, Ok, ""),
    (
        "sdp01.dat",
        Phone,
        Reject(406),
        "406 rather than 400: the request is well formed, only our answer would not be accepted",
    ),
    ("inv2543.dat", Phone, Ok, ""),
];

/// RFC 5118.
const RFC5118: &[(&str, Role, Expect, &str)] = &[
    ("ipv6-good.dat", Registrar, Ok, ""),
    ("ipv6-bad.dat", Registrar, Reject(400), ""),
    ("port-ambiguous.dat", Registrar, Ok, ""),
    ("port-unambiguous.dat", Registrar, Ok, ""),
    ("via-received-param-with-delim.dat", Phone, Ok, ""),
    ("via-received-param-no-delim.dat", Phone, Ok, ""),
    (
        "ipv6-in-sdp.dat",
        Phone,
        Reject(400),
        "the RFC's own bytes declare Content-Length 268 over a 251-octet body; over UDP that is \
         a 400 (RFC 3261 §18.3, as for clerr.dat). A known defect of the vector, see \
         rfc5118/README.md; the same message with its length corrected is accepted \
         (ipv6_in_sdp_with_corrected_length_is_accepted)",
    ),
    ("mult-ip-in-header.dat", Phone, Ok, ""),
    ("mult-ip-in-sdp.dat", Phone, Ok, "Content-Length shorter than the datagram: the rest is discarded"),
    ("ipv4-mapped-ipv6.dat", Phone, Ok, "Content-Length shorter than the datagram: the rest is discarded"),
    ("ipv6-bug-abnf-3-colons.dat", Phone, Ok, "tolerated: ':::' is read as '::' (RFC 5118 §4.10)"),
    ("ipv6-correct-abnf-2-colons.dat", Phone, Ok, ""),
];

fn check_table(dir: &str, table: &[(&str, Role, Expect, &str)], expected_count: usize) {
    let manifest = manifest_files(dir);
    assert_eq!(manifest.len(), expected_count, "{dir}/MANIFEST.tsv rows");
    let mut listed: Vec<_> = table.iter().map(|row| row.0.to_owned()).collect();
    let mut in_manifest = manifest.clone();
    listed.sort();
    in_manifest.sort();
    assert_eq!(listed, in_manifest, "every manifest file has exactly one row here");
    let mut failures = Vec::new();
    for &(file, role, expect, why) in table {
        let inspection = inspect(common::load(dir, file), role);
        let got = match inspection.verdict {
            Verdict::Ok => Ok,
            Verdict::Reject => Reject(inspection.status.unwrap_or(0)),
            Verdict::Drop => Drop,
        };
        if got != expect {
            failures.push(format!("{file}: expected {expect:?} ({why}), got {got:?}: {}", inspection.reason));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn rfc4475_every_vector_gets_the_manifest_behaviour() {
    check_table("rfc4475", RFC4475, 49);
}

#[test]
fn rfc5118_every_vector_gets_the_manifest_behaviour() {
    check_table("rfc5118", RFC5118, 12);
}

#[test]
fn every_rfc5118_archive_form_with_bare_lf_parses_too() {
    for (file, ..) in RFC5118 {
        let archive = file.trim_end_matches(".dat");
        let bytes = common::load("rfc5118", &format!("rfc-archive/{archive}"));
        let message = sip::Message::parse(bytes).unwrap_or_else(|e| panic!("{archive}: {e}"));
        assert!(message.headers().len() >= 6, "{archive}");
    }
}
