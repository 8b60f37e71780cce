"""A minimal SIP user agent over UDP on 127.0.0.1 (RFC 3261), the caller of figures 2-4: it sends
an INVITE with an SDP offer straight to a phone (no proxy), follows 100/180/183 to the 200 OK,
ACKs it, and ends the call with BYE. Each request has its own Via branch (z9hG4bK…), the dialog
its From tag, Call-ID and CSeq; the ACK and BYE go to the phone's Contact with its To tag. INVITE
and BYE are retransmitted on Timer A/E (T1 = 500 ms) until answered. A receiver thread timestamps
every datagram (time.monotonic_ns, right after recvfrom) and answers what the phone sends in the
dialog (BYE, OPTIONS, re-INVITE: 200 OK; a retransmitted 200 OK to the INVITE: ACK again).

It can also take one INVITE from a phone (`expect_invite`): the harness answers 603 Decline and
keeps the phone's SDP offer (which codecs the phone offers). To that end it also plays a
registrar that accepts every REGISTER (200 OK, the Contact echoed with expires=300)."""

from __future__ import annotations

import queue
import random
import re
import socket
import threading
import time
from dataclasses import dataclass, field

from .errors import BenchError

T1 = 0.5  # RFC 3261 Timer T1, seconds
COMPACT = {"v": "via", "f": "from", "t": "to", "m": "contact", "i": "call-id", "l": "content-length", "c": "content-type"}


@dataclass
class Message:
    first_line: str
    headers: list[tuple[str, str]]  # (lower-case name, value), in order
    body: bytes
    source: tuple[str, int]
    received_ns: int

    @property
    def is_request(self) -> bool:
        return not self.first_line.startswith("SIP/2.0 ")

    @property
    def status(self) -> int:
        return int(self.first_line.split()[1]) if not self.is_request else 0

    @property
    def method(self) -> str:
        if self.is_request:
            return self.first_line.split()[0]
        return self.header("cseq").split()[-1] if self.header("cseq") else ""

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key == name:
                return value
        return None

    def all(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key == name]


def parse(data: bytes, source: tuple[str, int], received_ns: int) -> Message | None:
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        return None
    lines = head.decode("utf-8", "replace").split("\r\n")
    headers: list[tuple[str, str]] = []
    for line in lines[1:]:
        if line[:1] in (" ", "\t") and headers:  # folded line
            headers[-1] = (headers[-1][0], headers[-1][1] + " " + line.strip())
            continue
        name, _, value = line.partition(":")
        name = name.strip().lower()
        headers.append((COMPACT.get(name, name), value.strip()))
    message = Message(lines[0], headers, body, source, received_ns)
    length = message.header("content-length")
    if length is not None and length.isdigit():
        message.body = body[: int(length)]
    return message


def tag_of(value: str | None) -> str | None:
    match = re.search(r";\s*tag=([^;>\s]+)", value or "")
    return match.group(1) if match else None


def uri_of(value: str) -> str:
    """The URI of a name-addr (`"x" <sip:a@b>;p`) or addr-spec header value."""
    match = re.search(r"<([^>]+)>", value)
    return match.group(1) if match else value.split(";")[0].strip()


def host_port(uri: str) -> tuple[str, int]:
    """The host and port a SIP URI names (a literal IPv4 address; default port 5060)."""
    match = re.match(r"sips?:(?:[^@]*@)?([^;:>?]+)(?::(\d+))?", uri)
    if not match:
        raise BenchError(f"cannot read host and port of {uri!r}")
    return match.group(1), int(match.group(2) or 5060)


def token(rng: random.Random, n: int = 10) -> str:
    return "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(n))


@dataclass
class Dialog:
    call_id: str
    local_tag: str
    remote_tag: str
    local_uri: str
    remote_uri: str  # the To URI of the INVITE
    remote_target: str  # the phone's Contact
    cseq: int
    invite_sent_ns: int
    answered_ns: int  # the 200 OK's arrival
    provisional: list[tuple[int, int]] = field(default_factory=list)  # (status, ns)
    answer_sdp: str = ""
    ended_by_peer: bool = False


class UserAgent:
    """One UDP socket on 127.0.0.1, a receiver thread; calls one at a time."""

    def __init__(self, name: str = "bench", seed: int | None = None):
        self.name = name
        self.rng = random.Random(seed)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.contact = f"<sip:{name}@127.0.0.1:{self.port}>"
        self.responses: "queue.Queue[Message]" = queue.Queue()
        self.invites: "queue.Queue[Message]" = queue.Queue()
        self.dialogs: dict[str, Dialog] = {}
        self.acks: dict[str, bytes] = {}  # call-id -> the ACK of its 200 OK, sent again on retransmissions
        self.log: list[str] = []
        self._stop = False
        self._thread = threading.Thread(target=self._receive, name="sip-ua", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop = True
        try:
            self.sock.sendto(b"\r\n\r\n", ("127.0.0.1", self.port))  # wake the receiver
        except OSError:
            pass
        self._thread.join(2)
        self.sock.close()

    def __enter__(self) -> "UserAgent":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- the wire --------------------------------------------------------------------------

    def _send(self, data: bytes, to: tuple[str, int]) -> int:
        now = time.monotonic_ns()
        self.sock.sendto(data, to)
        return now

    def _receive(self) -> None:
        while not self._stop:
            try:
                data, source = self.sock.recvfrom(65535)
            except OSError:
                return
            received = time.monotonic_ns()
            if self._stop:
                return
            message = parse(data, source, received)
            if message is None:
                continue  # keep-alive or garbage
            try:
                self._dispatch(message)
            except Exception as error:  # never let the receiver die
                self.log.append(f"dispatch error: {error!r}")

    def _dispatch(self, message: Message) -> None:
        if not message.is_request:
            call_id = message.header("call-id") or ""
            if message.method == "INVITE" and 200 <= message.status < 300 and call_id in self.acks:
                self.sock.sendto(self.acks[call_id], message.source)  # a retransmitted 200 OK
                return
            self.responses.put(message)
            return
        method = message.method
        call_id = message.header("call-id") or ""
        if method == "ACK":
            return
        if method == "INVITE" and call_id not in self.dialogs:
            self.invites.put(message)
            self._reply(message, 603, "Decline", to_tag=token(self.rng))
            return
        if method == "BYE" and call_id in self.dialogs:
            self.dialogs[call_id].ended_by_peer = True
        if method == "REGISTER":  # the offer probe's phone registers here: accept, as a registrar would
            contact = message.header("contact") or ""
            self._reply(message, 200, "OK", to_tag=token(self.rng), contact=f"{contact};expires=300" if contact else None)
            return
        if method in ("BYE", "OPTIONS", "INVITE", "UPDATE", "NOTIFY", "INFO"):
            self._reply(message, 200, "OK")
        else:
            self._reply(message, 405, "Method Not Allowed")

    def _reply(
        self, request: Message, status: int, reason: str, to_tag: str | None = None, body: str = "", contact: str | None = None
    ) -> None:
        lines = [f"SIP/2.0 {status} {reason}"]
        for via in request.all("via"):
            lines.append(f"Via: {via}")
        to = request.header("to") or ""
        if to_tag and not tag_of(to):
            to += f";tag={to_tag}"
        lines += [
            f"From: {request.header('from')}",
            f"To: {to}",
            f"Call-ID: {request.header('call-id')}",
            f"CSeq: {request.header('cseq')}",
            f"Contact: {contact or self.contact}",
            f"Content-Length: {len(body.encode())}",
            "",
            body,
        ]
        self.sock.sendto("\r\n".join(lines).encode(), request.source)

    def _request(
        self,
        method: str,
        request_uri: str,
        call_id: str,
        from_tag: str,
        to: str,
        cseq: int,
        branch: str,
        body: str = "",
        content_type: str | None = None,
        cseq_method: str | None = None,
    ) -> bytes:
        lines = [
            f"{method} {request_uri} SIP/2.0",
            f"Via: SIP/2.0/UDP 127.0.0.1:{self.port};branch={branch};rport",
            "Max-Forwards: 70",
            f"From: <sip:{self.name}@127.0.0.1:{self.port}>;tag={from_tag}",
            f"To: {to}",
            f"Call-ID: {call_id}",
            f"CSeq: {cseq} {cseq_method or method}",
        ]
        if method in ("INVITE",):
            lines += [f"Contact: {self.contact}", "Allow: INVITE, ACK, BYE, CANCEL, OPTIONS", "User-Agent: hpbench"]
        if content_type:
            lines.append(f"Content-Type: {content_type}")
        lines += [f"Content-Length: {len(body.encode())}", "", body]
        return "\r\n".join(lines).encode()

    def _branch(self) -> str:
        return "z9hG4bK" + token(self.rng, 16)

    def _await(self, call_id: str, cseq_method: str, deadline: float, retransmit=None) -> Message:
        """The next response of the transaction (call_id, method); retransmits on Timer A/E
        until a response arrives (RFC 3261 17.1.1.2, 17.1.2.2)."""
        interval = T1
        next_retransmit = time.monotonic() + interval
        got_response = False
        while True:
            now = time.monotonic()
            if now > deadline:
                raise BenchError(f"no final response to {cseq_method} (Call-ID {call_id}) in time")
            wait = min(deadline, next_retransmit if retransmit and not got_response else deadline) - now
            try:
                message = self.responses.get(timeout=max(0.001, wait))
            except queue.Empty:
                if retransmit and not got_response and time.monotonic() >= next_retransmit:
                    retransmit()
                    interval = min(interval * 2, 4.0)
                    next_retransmit = time.monotonic() + interval
                continue
            if message.header("call-id") != call_id or message.method != cseq_method:
                continue  # a stray response (an earlier transaction's retransmission)
            got_response = True
            return message

    # --- calls -----------------------------------------------------------------------------

    def invite(self, target: str, sdp: str, timeout: float = 10.0) -> Dialog:
        """INVITE `target` (`sip:user@127.0.0.1:port`) with `sdp`; returns the dialog once the 200 OK
        is ACKed. BenchError on a final error response or no answer within `timeout`."""
        call_id = token(self.rng, 20) + "@127.0.0.1"
        from_tag = token(self.rng)
        branch = self._branch()
        to = f"<{target}>"
        request = self._request("INVITE", target, call_id, from_tag, to, 1, branch, sdp, "application/sdp")
        destination = host_port(target)
        sent_ns = self._send(request, destination)
        deadline = time.monotonic() + timeout
        provisional: list[tuple[int, int]] = []
        while True:
            response = self._await(call_id, "INVITE", deadline, lambda: self.sock.sendto(request, destination))
            if response.status < 200:
                provisional.append((response.status, response.received_ns))
                continue
            to_header = response.header("to") or ""
            if response.status >= 300:
                # ACK for a non-2xx final response: same branch, to the Request-URI (17.1.1.3).
                ack = self._request("ACK", target, call_id, from_tag, to_header, 1, branch)
                self.sock.sendto(ack, destination)
                raise BenchError(f"INVITE {target} answered {response.first_line}")
            remote_target = uri_of(response.header("contact") or target)
            dialog = Dialog(
                call_id=call_id,
                local_tag=from_tag,
                remote_tag=tag_of(to_header) or "",
                local_uri=f"sip:{self.name}@127.0.0.1:{self.port}",
                remote_uri=target,
                remote_target=remote_target,
                cseq=1,
                invite_sent_ns=sent_ns,
                answered_ns=response.received_ns,
                provisional=provisional,
                answer_sdp=response.body.decode("utf-8", "replace"),
            )
            # ACK of a 2xx: a new transaction (new branch), to the remote target (13.2.2.4).
            ack = self._request("ACK", remote_target, call_id, from_tag, to_header, 1, self._branch())
            self.acks[call_id] = ack
            self.dialogs[call_id] = dialog
            self.sock.sendto(ack, host_port(remote_target))
            return dialog

    def bye(self, dialog: Dialog, timeout: float = 10.0) -> Message | None:
        """Ends the call (unless the phone did); returns the response to the BYE."""
        if dialog.ended_by_peer:
            return None
        dialog.cseq += 1
        to = f"<{dialog.remote_uri}>;tag={dialog.remote_tag}"
        request = self._request(
            "BYE", dialog.remote_target, dialog.call_id, dialog.local_tag, to, dialog.cseq, self._branch()
        )
        destination = host_port(dialog.remote_target)
        self.sock.sendto(request, destination)
        response = self._await(
            dialog.call_id, "BYE", time.monotonic() + timeout, lambda: self.sock.sendto(request, destination)
        )
        while response.status < 200:
            response = self._await(dialog.call_id, "BYE", time.monotonic() + timeout)
        self.acks.pop(dialog.call_id, None)
        return response

    def expect_invite(self, timeout: float) -> Message:
        """The next INVITE a phone sends us (answered 603 Decline by the receiver)."""
        try:
            return self.invites.get(timeout=timeout)
        except queue.Empty:
            raise BenchError(f"no INVITE reached the harness within {timeout:.0f} s") from None


# --- SDP -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Codec:
    name: str  # as in rtpmap: "PCMU", "opus"
    clock_rate: int
    channels: int
    payload_type: int
    fmtp: str = ""


PCMU = Codec("PCMU", 8000, 1, 0)
OPUS = Codec("opus", 48000, 2, 111, "minptime=10;useinbandfec=1")


def offer(rtp_port: int, codec: Codec, session_id: int) -> str:
    """An SDP offer of one audio stream with one codec, 20 ms packets, RTCP on the next port."""
    lines = [
        "v=0",
        f"o=hpbench {session_id} {session_id} IN IP4 127.0.0.1",
        "s=hpbench",
        "c=IN IP4 127.0.0.1",
        "t=0 0",
        f"m=audio {rtp_port} RTP/AVP {codec.payload_type}",
        f"a=rtpmap:{codec.payload_type} {codec.name}/{codec.clock_rate}"
        + (f"/{codec.channels}" if codec.channels > 1 else ""),
    ]
    if codec.fmtp:
        lines.append(f"a=fmtp:{codec.payload_type} {codec.fmtp}")
    lines += ["a=ptime:20", "a=sendrecv", ""]
    return "\r\n".join(lines)


@dataclass
class Answer:
    host: str
    port: int
    codecs: list[tuple[int, str]]  # (payload type, "name/rate[/channels]")
    direction: str


def parse_sdp(text: str) -> Answer:
    """The audio stream of an SDP body: address, port, codecs, direction."""
    host = None
    media_host = None
    port = 0
    payloads: list[int] = []
    rtpmap: dict[int, str] = {}
    direction = "sendrecv"
    in_audio = False
    for line in text.replace("\r\n", "\n").split("\n"):
        if line.startswith("c=") and not in_audio and host is None:
            host = line.split()[-1]
        elif line.startswith("m="):
            in_audio = line.startswith("m=audio") and port == 0
            if in_audio:
                parts = line[2:].split()
                port = int(parts[1])
                payloads = [int(p) for p in parts[3:] if p.isdigit()]
        elif in_audio and line.startswith("c="):
            media_host = line.split()[-1]
        elif in_audio and line.startswith("a=rtpmap:"):
            pt, _, name = line[len("a=rtpmap:") :].partition(" ")
            rtpmap[int(pt)] = name.strip()
        elif in_audio and line.strip() in ("a=sendrecv", "a=sendonly", "a=recvonly", "a=inactive"):
            direction = line.strip()[2:]
    address = media_host or host
    if not address or not port:
        raise BenchError(f"no audio stream in the SDP:\n{text}")
    static = {0: "PCMU/8000", 8: "PCMA/8000", 9: "G722/8000"}
    codecs = [(pt, rtpmap.get(pt, static.get(pt, "?"))) for pt in payloads]
    return Answer(address, port, codecs, direction)
