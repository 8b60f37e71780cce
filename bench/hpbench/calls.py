"""One call from the harness to a phone (figures 2-4): the harness's user agent (sipua) INVITEs
the phone directly at its 127.0.0.1:port (no proxy: what is timed is the phone), the phone
auto-answers, the harness streams RTP on a real-time schedule (rtpstream) while recording what
the phone sends back, then sends BYE. The phones stay registered to the rig's Kamailio meanwhile,
as a desk phone in service would."""

from __future__ import annotations

import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import procfs, rtpstream, sipua
from .errors import BenchError
from .phones import Phone
from .rig import Rig

QUALITY_LINE = re.compile(r"quality: sent (\d+) recv (\d+) lost ([\d.]+)% jitter ([\d.]+) ms rtt (\S+) ms conceal (\d+) ms MOS ([\d.]+)")


@dataclass
class CpuWindow:
    start: procfs.CpuSample
    end: procfs.CpuSample
    threads_start: dict
    threads_end: dict
    seconds: float  # wall-clock length of the window

    @property
    def cpu_s(self) -> float:
        return self.end.seconds - self.start.seconds

    @property
    def sched_s(self) -> float | None:
        if self.start.sched_ns is None or self.end.sched_ns is None:
            return None
        return (self.end.sched_ns - self.start.sched_ns) / 1e9

    @property
    def runs(self) -> int | None:
        if self.start.sched_runs is None or self.end.sched_runs is None:
            return None
        return self.end.sched_runs - self.start.sched_runs

    def to_json(self) -> dict:
        return {
            "window_s": self.seconds,
            "cpu_s": self.cpu_s,
            "sched_s": self.sched_s,
            "runs": self.runs,
            "threads": procfs.thread_deltas(self.threads_start, self.threads_end),
        }


@dataclass
class CallRecord:
    phone: str
    dialog: sipua.Dialog
    answer: sipua.Answer
    stream: rtpstream.StreamResult
    bye_sent_ns: int
    bye_status: str
    cpu: CpuWindow | None = None
    quality_line: str | None = None  # Hardphone's end-of-call line
    recording: Path | None = None  # Hardphone's speaker file for this call
    notes: list[str] = field(default_factory=list)

    @property
    def setup_ms(self) -> float:
        return (self.dialog.answered_ns - self.dialog.invite_sent_ns) / 1e6

    def summary(self) -> dict:
        return {
            "setup_ms": self.setup_ms,
            "provisional": [
                {"status": s, "after_invite_ms": (ns - self.dialog.invite_sent_ns) / 1e6} for s, ns in self.dialog.provisional
            ],
            "answer": {"address": f"{self.answer.host}:{self.answer.port}", "codecs": self.answer.codecs},
            "sent": self.stream.sent,
            "lost_by_schedule": self.stream.lost_by_schedule,
            "received_from_phone": len(self.stream.received),
            "phone_payload_kbps": _payload_kbps(self.stream.received),
            "rtcp_from_phone": self.stream.rtcp_received,
            "harness_send_lateness": rtpstream.lateness_summary(self.stream),
            "bye": self.bye_status,
            "phone_quality_line": self.quality_line,
        }


def _payload_kbps(packets: list[rtpstream.Packet]) -> float | None:
    """The phone's RTP payload bit rate (kb/s) over the packets received."""
    if len(packets) < 2:
        return None
    seconds = (packets[-1].arrival_ns - packets[0].arrival_ns) / 1e9
    return sum(p.size for p in packets[1:]) * 8 / 1000 / seconds if seconds > 0 else None


def target(phone: Phone) -> str:
    return f"sip:{phone.account.user}@127.0.0.1:{phone.sip_port}"


def quality_lines(phone: Phone) -> list[str]:
    return [m.group(0) for m in QUALITY_LINE.finditer(phone.process.log_text())]


def place(
    ua: sipua.UserAgent,
    rig: Rig,
    phone: Phone,
    codec: sipua.Codec,
    payloads: list[bytes],
    ts_step: int,
    schedule: list[float | None] | None = None,
    tail_s: float = 0.3,
    measure_cpu: bool = False,
    keep_recording: Path | None = None,
    keep_payloads: bool = True,
    phase_ms: float | None = None,
) -> CallRecord:
    """One call to `phone`: INVITE (offering only `codec`), then `payloads` sent from right after
    the ACK, one every 20 ms (through `schedule`), receiving until `tail_s` after the last one,
    then BYE. With `phase_ms`, the stream starts instead once the phone has sent PHASE_PACKETS
    packets, `phase_ms` after a tick of the phone's own 20 ms send clock (so that where packets
    fall in the phone's period is the same for both phones and every run). With `measure_cpu`,
    the phone's CPU from the first packet to the BYE. For Hardphone, waits for its end-of-call
    quality line (its speaker file is then closed) and moves the speaker file to
    `keep_recording`."""
    endpoint = rtpstream.Endpoint()
    lines_before = len(quality_lines(phone)) if phone.name == "hardphone" else 0
    try:
        dialog = ua.invite(target(phone), sipua.offer(endpoint.port, codec, int(time.time())))
        answer = sipua.parse_sdp(dialog.answer_sdp)
        chosen = answer.codecs[0][1].lower() if answer.codecs else ""
        if not chosen.startswith(codec.name.lower() + "/"):
            ua.bye(dialog)
            raise BenchError(f"{phone.name} answered {answer.codecs} to an offer of {codec.name} only")
        early: list[rtpstream.Packet] = []
        start_ns = time.monotonic_ns() + 5_000_000
        if phase_ms is not None:
            with rtpstream.realtime():
                early = _first_packets(endpoint, PHASE_PACKETS, phone.name)
            origin = rtpstream.timeline_origin_ns(early, _clock_rate(codec))
            assert origin is not None
            ticks = -(-(time.monotonic_ns() + 5_000_000 - origin) // rtpstream.PTIME_NS)
            start_ns = origin + ticks * rtpstream.PTIME_NS + int(phase_ms * 1e6)
        until_ns = start_ns + len(payloads) * rtpstream.PTIME_NS + int(tail_s * 1e9)
        cpu_start = threads_start = None
        if measure_cpu:
            cpu_start, threads_start = phone.cpu(), procfs.thread_samples(phone.pid)
        stream = rtpstream.run(
            endpoint,
            (answer.host, answer.port),
            payloads,
            codec.payload_type,
            ts_step,
            schedule,
            start_ns,
            until_ns,
            ssrc=0x4250_0000 + (start_ns // 1000) % 65536,
            keep_payloads=keep_payloads,
            tick=rig.check_running,
        )
        stream.received[:0] = early
        cpu = None
        if measure_cpu and cpu_start is not None:
            cpu = CpuWindow(
                cpu_start,
                phone.cpu(),
                threads_start or {},
                procfs.thread_samples(phone.pid),
                (time.monotonic_ns() - start_ns) / 1e9,
            )
        bye_ns = time.monotonic_ns()
        response = ua.bye(dialog)
        bye_status = response.first_line if response is not None else "ended by the phone"
        time.sleep(0.1)  # the phone's last RTP still finds the port open (no ICMP back to it)
    finally:
        endpoint.close()
    record = CallRecord(phone.name, dialog, answer, stream, bye_ns, bye_status, cpu)
    if dialog.ended_by_peer:
        raise BenchError(f"{phone.name} hung up the call during the stream")
    if phone.name == "hardphone":
        deadline = time.monotonic() + 10
        while len(lines := quality_lines(phone)) <= lines_before:
            rig.check_running()
            if time.monotonic() > deadline:
                raise BenchError("Hardphone logged no quality line within 10 s of the BYE")
            time.sleep(0.05)
        record.quality_line = lines[-1]
        audio = getattr(phone, "audio", None)
        if keep_recording is not None and audio is not None:
            shutil.move(str(audio.output_wav), keep_recording)
            record.recording = keep_recording
    return record


PHASE_PACKETS = 10  # the phone's packets read before a phase-aligned stream starts (200 ms)


def _clock_rate(codec: sipua.Codec) -> int:
    return codec.clock_rate


def _first_packets(endpoint: rtpstream.Endpoint, count: int, name: str) -> list[rtpstream.Packet]:
    """The phone's first `count` RTP packets, timestamped on arrival (the socket is read as soon as
    each arrives: select with the time left)."""
    import select

    packets: list[rtpstream.Packet] = []
    deadline = time.monotonic() + 5.0
    while len(packets) < count:
        left = deadline - time.monotonic()
        if left <= 0:
            raise BenchError(f"{name} sent {len(packets)} RTP packets in 5 s after answering")
        readable, _, _ = select.select([endpoint.rtp], [], [], left)
        if not readable:
            continue
        arrival = time.monotonic_ns()
        while True:
            try:
                data = endpoint.rtp.recv(4096)
            except (BlockingIOError, InterruptedError):
                break
            except OSError:
                break
            packet = rtpstream.parse_rtp(data, arrival)
            if packet is not None:
                packets.append(packet)
    return packets


def pause(seconds: float, rig: Rig) -> None:
    """Waits between calls, checking that both phones still run."""
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        rig.check_running()
        time.sleep(min(left, 0.2))
