//! The messages the parsing benchmark and the profiling example use.

/// A ~900-byte INVITE with SDP, as a PBX sends to a phone.
pub const INVITE: &str = "INVITE sip:1001@192.168.1.50:5060;transport=udp SIP/2.0\r\n\
Via: SIP/2.0/UDP 192.168.1.10:5060;rport;branch=z9hG4bKPj3f1c0a8e-5d2b-4b7e-9c61-2f8d0e4a7b13\r\n\
Max-Forwards: 70\r\n\
From: \"Reception\" <sip:2000@pbx.example.com>;tag=8a4d1e2f-6b3c-47d8-a9e0-1c2b3d4e5f60\r\n\
To: <sip:1001@pbx.example.com>\r\n\
Contact: <sip:2000@192.168.1.10:5060;transport=udp>\r\n\
Call-ID: 5e7f1a9c-3b2d-4e8f-a1c6-9d0b2e4f6a81\r\n\
CSeq: 17402 INVITE\r\n\
Allow: OPTIONS, REGISTER, SUBSCRIBE, NOTIFY, PUBLISH, INVITE, ACK, BYE, CANCEL, UPDATE, PRACK, MESSAGE, REFER\r\n\
Supported: 100rel, timer, replaces, norefersub\r\n\
Session-Expires: 1800\r\n\
User-Agent: Asterisk PBX 20.5.0\r\n\
Content-Type: application/sdp\r\n\
Content-Length: 283\r\n\
\r\n\
v=0\r\n\
o=- 1937592271 1937592271 IN IP4 192.168.1.10\r\n\
s=Asterisk\r\n\
c=IN IP4 192.168.1.10\r\n\
t=0 0\r\n\
m=audio 14562 RTP/AVP 9 0 8 101\r\n\
a=rtpmap:9 G722/8000\r\n\
a=rtpmap:0 PCMU/8000\r\n\
a=rtpmap:8 PCMA/8000\r\n\
a=rtpmap:101 telephone-event/8000\r\n\
a=fmtp:101 0-16\r\n\
a=ptime:20\r\n\
a=sendrecv\r\n\
a=mid:audio0\r\n";

/// The registrar's 200 OK to a phone's REGISTER.
pub const REGISTER_OK: &str = "SIP/2.0 200 OK\r\n\
Via: SIP/2.0/UDP 192.168.1.50:5060;rport=5060;received=192.168.1.50;branch=z9hG4bK-524287-1---0f3a9e1b77c2d4e5\r\n\
From: <sip:1001@pbx.example.com>;tag=2b6d9f1a\r\n\
To: <sip:1001@pbx.example.com>;tag=as3f7c2d1e\r\n\
Call-ID: Yjc4ZTFhMmQ5ZmI0NGE3YTk3NGYxYjYwZTQ4OWM3ODE.\r\n\
CSeq: 2 REGISTER\r\n\
Contact: <sip:1001@192.168.1.50:5060;transport=udp>;expires=300;+sip.instance=\"<urn:uuid:00000000-0000-1000-8000-00155d4f2a31>\";reg-id=1\r\n\
Date: Thu, 26 Nov 2026 08:15:22 GMT\r\n\
Server: Asterisk PBX 20.5.0\r\n\
Allow: OPTIONS, REGISTER, SUBSCRIBE, NOTIFY, PUBLISH, INVITE, ACK, BYE, CANCEL, UPDATE, PRACK, MESSAGE, REFER\r\n\
Supported: 100rel, timer, replaces, norefersub, path\r\n\
Expires: 300\r\n\
Content-Length: 0\r\n\
\r\n";
