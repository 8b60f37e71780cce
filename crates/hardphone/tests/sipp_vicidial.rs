//! VICIdial agent mode against sipp playing Asterisk (issue 5, points 5 and 6).
//!
//! * `vicidial_login.xml`: the phone (`auto_answer = "vicidial"`) registered to a sipp registrar
//!   on 127.0.0.1 gets VICIdial's agent login INVITE from 127.0.0.1 (the registrar's address),
//!   with caller-ID name `S2611260815228600051` and no auto-answer header; sipp requires the
//!   200 within 1 s, sends a session-refresh re-INVITE 6 s later and hangs up 4 s after that.
//!   The SDP names this test's own UDP socket as Asterisk's media: the test counts the phone's
//!   RTP before, while muted (`hardphone ctl hold` mutes an agent session instead of holding
//!   it), after the re-INVITE and after unmuting. RTP never stops (Asterisk hangs up a session
//!   whose RTP stops for 60 s), no re-INVITE comes from the phone, and the session's end by
//!   Asterisk is reported as an ended call.
//! * `vicidial_untrusted.xml`: the same INVITE from 127.0.0.2, not the registrar: the phone
//!   answers nothing at all (not even 100 Trying) and no call appears.
//!
//! sipp is the Debian package `sip-tester`; processes are stopped by PID; every wait is bounded.

mod support;

use std::net::UdpSocket;
use std::time::{Duration, Instant};

use support::sipp::{start_sipp, Sipp, SippRun};
use support::{start_phone_toml, wait_until, Phone, PhoneSetup, TempDir, USER};

const WAIT: Duration = Duration::from_secs(15);

/// The phone in agent mode, registered to a sipp registrar on 127.0.0.1.
fn agent_phone(dir: &TempDir) -> (Sipp, Phone, u16) {
    let registrar = start_sipp(
        &dir.path,
        &SippRun {
            name: "registrar",
            scenario: "registrar.xml",
            ip: "127.0.0.1",
            calls: 1,
            keys: Vec::new(),
            remote: None,
            service: USER,
        },
    );
    let mut setup = PhoneSetup::new(format!("127.0.0.1:{}", registrar.port), "udp");
    setup.auto_answer = Some("vicidial");
    // No CRLF keep-alive datagrams to sipp: they are no SIP messages.
    setup.keepalive_secs = Some(3600);
    let port = support::free_port();
    let phone = start_phone_toml(&dir.path, "phone", &setup.toml(port));
    wait_until(
        "the phone's registration",
        WAIT,
        || (phone.times_registered() > 0).then_some(()),
        || format!("{}\n{}", phone.log(), registrar.diagnostics()),
    );
    (registrar, phone, port)
}

/// The "Asterisk" VICIdial sipp calling the phone at `port` from `ip`, its SDP naming
/// `rtp_port` on 127.0.0.1.
fn pbx_call(dir: &TempDir, name: &str, scenario: &str, ip: &str, port: u16, rtp_port: u16) -> Sipp {
    start_sipp(
        &dir.path,
        &SippRun {
            name,
            scenario,
            ip,
            calls: 1,
            keys: vec![("rtp_port", rtp_port.to_string())],
            remote: Some(format!("127.0.0.1:{port}")),
            service: USER,
        },
    )
}

/// Counts the datagrams `socket` receives from the phone during `span`.
fn count_rtp(socket: &UdpSocket, span: Duration) -> usize {
    let end = Instant::now() + span;
    let mut buffer = [0u8; 2048];
    let mut count = 0;
    while Instant::now() < end {
        if let Ok((len, _)) = socket.recv_from(&mut buffer) {
            // RTP version 2, not RTCP (payload types 200-204 after the marker bit).
            if len >= 12 && buffer[0] >> 6 == 2 && !(200..=204).contains(&buffer[1]) {
                count += 1;
            }
        }
    }
    count
}

/// The phone's newest call in `ctl status`.
fn newest_call(phone: &Phone) -> Option<serde_json::Value> {
    phone.ctl("status")["calls"].as_array().and_then(|calls| calls.last().cloned())
}

#[test]
fn the_agent_login_call_is_answered_at_once_and_rtp_flows_through_mute_and_refresh() {
    let dir = TempDir::new("vicidial-login");
    let (mut registrar, mut phone, port) = agent_phone(&dir);
    let media = UdpSocket::bind("127.0.0.1:0").expect("bind the media socket");
    media.set_read_timeout(Some(Duration::from_millis(20))).unwrap();
    let rtp_port = media.local_addr().unwrap().port();
    let mut pbx = pbx_call(&dir, "vicidial", "vicidial_login.xml", "127.0.0.1", port, rtp_port);
    let diagnostics = |phone: &Phone, pbx: &Sipp| format!("== phone\n{}\n{}", phone.log(), pbx.diagnostics());

    let call = wait_until(
        "the agent session",
        WAIT,
        || newest_call(&phone).filter(|c| c["state"] == "active"),
        || diagnostics(&phone, &pbx),
    );
    assert_eq!(call["agent_session"], true, "{call}\n{}", diagnostics(&phone, &pbx));
    let before = count_rtp(&media, Duration::from_millis(1000));
    assert!(before >= 20, "RTP before muting: {before} packets in 1 s\n{}", diagnostics(&phone, &pbx));

    // Hold on an agent session mutes: no re-INVITE, RTP keeps flowing.
    let held = phone.ctl("hold");
    assert_eq!((held["ok"].as_bool(), held["muted"].as_bool()), (Some(true), Some(true)), "{held}");
    let status = newest_call(&phone).unwrap();
    assert_eq!((status["state"].as_str(), status["muted"].as_bool()), (Some("active"), Some(true)), "{status}");
    let sent_before = status["quality"]["packets_sent"].as_u64();
    let muted = count_rtp(&media, Duration::from_millis(1500));
    assert!(muted >= 30, "RTP while muted: {muted} packets in 1.5 s\n{}", diagnostics(&phone, &pbx));

    // sipp's session refresh comes 6 s after its ACK: wait until it is answered.
    wait_until(
        "the session-refresh re-INVITE answered",
        WAIT,
        // sipp acknowledges the phone's 200 to its re-INVITE.
        || pbx.trace().contains("CSeq: 2 ACK").then_some(()),
        || diagnostics(&phone, &pbx),
    );
    let after_refresh = count_rtp(&media, Duration::from_millis(1000));
    assert!(after_refresh >= 20, "RTP after the re-INVITE: {after_refresh}\n{}", diagnostics(&phone, &pbx));
    let status = newest_call(&phone).unwrap();
    assert_eq!((status["state"].as_str(), status["muted"].as_bool()), (Some("active"), Some(true)), "{status}");
    let sent_after = status["quality"]["packets_sent"].as_u64();
    assert!(sent_after > sent_before, "packets_sent rises: {sent_before:?} → {sent_after:?}");

    let resumed = phone.ctl("resume");
    assert_eq!((resumed["ok"].as_bool(), resumed["muted"].as_bool()), (Some(true), Some(false)), "{resumed}");
    let unmuted = count_rtp(&media, Duration::from_millis(1000));
    assert!(unmuted >= 20, "RTP after unmuting: {unmuted}\n{}", diagnostics(&phone, &pbx));

    // Asterisk hangs up: the session ends (the device would sound the alarm).
    let status = pbx.wait_exit(WAIT);
    assert_eq!(status.code(), Some(0), "sipp's login scenario passed\n{}", diagnostics(&phone, &pbx));
    let ended = wait_until(
        "the session's end",
        WAIT,
        || newest_call(&phone).filter(|c| c["state"].as_str().is_some_and(|s| s.starts_with("ended"))),
        || diagnostics(&phone, &pbx),
    );
    assert!(ended["state"].as_str().unwrap().contains("RemoteHangup"), "{ended}");

    // The 200 came within 1 s of the INVITE, and the phone itself never sent a re-INVITE.
    let messages = pbx.messages();
    let invite_at = messages.iter().find(|(_, sent, text)| *sent && text.starts_with("INVITE ")).unwrap().0;
    let ok_at = messages.iter().find(|(_, sent, text)| !*sent && text.starts_with("SIP/2.0 200")).unwrap().0;
    assert!(ok_at - invite_at < 1.0, "answered after {:.3} s\n{}", ok_at - invite_at, diagnostics(&phone, &pbx));
    assert!(
        !messages.iter().any(|(_, sent, text)| !*sent && text.starts_with("INVITE ")),
        "no re-INVITE from the phone"
    );
    assert!(phone.log().contains("auto-answered"), "{}", phone.log());

    let exit = phone.terminate();
    assert!(exit.success(), "{exit}\n{}", phone.log());
    assert_eq!(registrar.wait_exit(WAIT).code(), Some(0), "{}", registrar.diagnostics());
}

#[test]
fn the_same_invite_from_another_address_is_not_answered() {
    let dir = TempDir::new("vicidial-stranger");
    let (_registrar, phone, port) = agent_phone(&dir);
    let media = UdpSocket::bind("127.0.0.2:0").expect("bind 127.0.0.2");
    let rtp_port = media.local_addr().unwrap().port();
    let mut stranger = pbx_call(&dir, "stranger", "vicidial_untrusted.xml", "127.0.0.2", port, rtp_port);
    let status = stranger.wait_exit(WAIT);
    let trace = stranger.trace();
    assert_eq!(status.code(), Some(0), "no answer at all\n== phone\n{}\n{}", phone.log(), stranger.diagnostics());
    assert!(trace.matches("INVITE sip:").count() >= 3, "sipp retransmitted its INVITE\n{trace}");
    assert!(!trace.contains("SIP/2.0 "), "no response at all\n{trace}");
    let calls = phone.ctl("status")["calls"].as_array().cloned().unwrap_or_default();
    assert!(calls.is_empty(), "no call: {calls:?}");
    assert!(!phone.log().contains("call="), "no call was ever reported\n{}", phone.log());
}
