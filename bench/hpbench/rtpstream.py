"""The harness's RTP endpoint (figures 2 and 3): it sends a stream of 20 ms packets to a phone on
a real-time schedule (monotonic clock, select() with the time to the next packet as timeout),
through an impairment schedule, and timestamps every packet the phone sends back. Standard
library only.

Impairments are drawn in advance from a seeded generator, one draw per packet, so that both
phones get the very same schedule:
  - random loss: each packet lost with probability p (Bernoulli);
  - bursty loss: a two-state Gilbert model (every packet lost in the bad state), given its mean
    loss rate and mean burst length;
  - jitter: each packet delayed by a uniform draw in [0, J] ms after its nominal send time, so
    packets overtake each other (reordering) whenever two draws differ by more than 20 ms.
"""

from __future__ import annotations

import os
import random
import select
import socket
import struct
import time
from dataclasses import dataclass, field

PTIME_NS = 20_000_000


@dataclass(frozen=True)
class Impairment:
    id: str
    title: str
    loss: float = 0.0  # mean loss rate
    burst: float = 1.0  # mean burst length in packets (Gilbert model when > 1)
    jitter_ms: float = 0.0  # per-packet delay drawn uniformly in [0, jitter_ms]

    def schedule(self, count: int, seed: int) -> list[float | None]:
        """Per packet: the extra delay in seconds, or None when the packet is lost. Random loss
        loses exactly round(loss × count) packets, chosen at random; bursty loss draws Gilbert
        chains from successive seeds until one is within 1 point of the mean loss rate (so that
        the profile's name holds for every draw); both are deterministic for a given seed."""
        rng = random.Random(f"{self.id}/{seed}")
        delays = [rng.uniform(0.0, self.jitter_ms / 1000.0) if self.jitter_ms else 0.0 for _ in range(count)]
        if self.loss <= 0:
            lost = set()
        elif self.burst <= 1:
            lost = set(rng.sample(range(count), round(self.loss * count)))
        else:
            lost = self._gilbert(count, seed)
        return [None if i in lost else delays[i] for i in range(count)]

    def _gilbert(self, count: int, seed: int) -> set[int]:
        # P(good -> bad) = p, P(bad -> good) = r; stationary loss p / (p + r), bursts 1 / r.
        r = 1.0 / self.burst
        p = self.loss * r / (1.0 - self.loss)
        for attempt in range(1000):
            rng = random.Random(f"{self.id}/{seed}/gilbert/{attempt}")
            bad = False
            lost = set()
            for i in range(count):
                bad = (rng.random() >= r) if bad else (rng.random() < p)
                if bad:
                    lost.add(i)
            if abs(len(lost) / count - self.loss) <= 0.01:
                return lost
        return lost


# Figure 3's conditions, in the issue's order.
PROFILES = [
    Impairment("clean", "clean"),
    Impairment("loss3", "3% random loss", loss=0.03),
    Impairment("bursty8", "bursty loss ~8% (Gilbert, mean burst 3 packets)", loss=0.08, burst=3.0),
    Impairment("jitter40", "0–40 ms jitter, reordering", jitter_ms=40.0),
    Impairment("jitter80loss5", "0–80 ms jitter and 5% random loss", loss=0.05, jitter_ms=80.0),
]
CLEAN = PROFILES[0]


@dataclass
class Packet:
    arrival_ns: int
    seq: int
    ts: int
    pt: int
    marker: bool
    ssrc: int
    payload: bytes
    size: int = 0  # payload bytes (kept when the payload itself is not)


def parse_rtp(data: bytes, arrival_ns: int) -> Packet | None:
    if len(data) < 12 or data[0] >> 6 != 2:
        return None
    first, second, seq, ts, ssrc = struct.unpack("!BBHII", data[:12])
    offset = 12 + 4 * (first & 0x0F)
    if first & 0x10:  # header extension
        if len(data) < offset + 4:
            return None
        offset += 4 + 4 * struct.unpack("!H", data[offset + 2 : offset + 4])[0]
    end = len(data)
    if first & 0x20 and end > offset:  # padding
        end -= data[-1]
    return Packet(arrival_ns, seq, ts, second & 0x7F, bool(second & 0x80), ssrc, data[offset:end], end - offset)


class Endpoint:
    """An RTP socket on an even port of 127.0.0.1 and the RTCP socket on the next one (so that
    the phone's RTCP lands somewhere)."""

    def __init__(self):
        for _ in range(100):
            rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            rtp.bind(("127.0.0.1", 0))
            port = rtp.getsockname()[1]
            if port % 2:
                rtp.close()
                continue
            rtcp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                rtcp.bind(("127.0.0.1", port + 1))
            except OSError:
                rtp.close()
                rtcp.close()
                continue
            self.rtp, self.rtcp, self.port = rtp, rtcp, port
            for s in (rtp, rtcp):
                s.setblocking(False)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
            return
        raise RuntimeError("no free even/odd port pair on 127.0.0.1")

    def close(self) -> None:
        self.rtp.close()
        self.rtcp.close()


@dataclass
class StreamResult:
    start_ns: int  # nominal send time of packet 0
    sent: int
    lost_by_schedule: int
    lateness_ns: list[int]  # actual send time minus scheduled send time, per packet sent
    received: list[Packet] = field(default_factory=list)
    rtcp_received: int = 0
    end_ns: int = 0


def run(
    endpoint: Endpoint,
    remote: tuple[str, int],
    payloads: "list[bytes]",
    payload_type: int,
    ts_step: int,
    schedule: list[float | None] | None,
    start_ns: int,
    until_ns: int,
    ssrc: int,
    keep_payloads: bool = True,
    tick=None,
) -> StreamResult:
    """Sends payloads[i] at start + i·20 ms (+ its scheduled delay; not at all when lost) from
    `endpoint` to `remote`, and receives until `until_ns` (monotonic). `tick()`, if given, is
    called about once a second (liveness checks). The calling thread runs SCHED_FIFO meanwhile
    when it may (root): the harness is the network, its timing must not depend on the load of
    the machine (the phones keep their normal priority)."""
    with realtime():
        return _run(endpoint, remote, payloads, payload_type, ts_step, schedule, start_ns, until_ns, ssrc, keep_payloads, tick)


class realtime:
    """SCHED_FIFO (priority 10) for the calling thread inside the `with` block, when permitted."""

    def __enter__(self):
        self.previous = None
        try:
            self.previous = (os.sched_getscheduler(0), os.sched_getparam(0))
            os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(10))
            self.applied = True
        except (OSError, AttributeError):
            self.applied = False
        return self

    def __exit__(self, *exc):
        if self.applied and self.previous is not None:
            try:
                os.sched_setscheduler(0, self.previous[0], self.previous[1])
            except OSError:
                pass


def _run(
    endpoint: Endpoint,
    remote: tuple[str, int],
    payloads: "list[bytes]",
    payload_type: int,
    ts_step: int,
    schedule: list[float | None] | None,
    start_ns: int,
    until_ns: int,
    ssrc: int,
    keep_payloads: bool,
    tick,
) -> StreamResult:
    events: list[tuple[int, int]] = []  # (send time, index)
    lost = 0
    for i in range(len(payloads)):
        extra = schedule[i] if schedule is not None else 0.0
        if extra is None:
            lost += 1
            continue
        events.append((start_ns + i * PTIME_NS + int(extra * 1e9), i))
    events.sort()
    seq0 = 1000
    ts0 = 160_000
    result = StreamResult(start_ns, 0, lost, [])
    sockets = [endpoint.rtp, endpoint.rtcp]
    header = struct.Struct("!BBHII")
    next_event = 0
    next_tick = time.monotonic_ns() + 1_000_000_000
    while True:
        now = time.monotonic_ns()
        while next_event < len(events) and events[next_event][0] <= now:
            due, i = events[next_event]
            marker = 0x80 if i == 0 else 0
            packet = header.pack(0x80, marker | payload_type, (seq0 + i) & 0xFFFF, (ts0 + i * ts_step) & 0xFFFFFFFF, ssrc)
            try:
                endpoint.rtp.sendto(packet + payloads[i], remote)
            except OSError:
                pass  # ICMP unreachable from an earlier packet: the phone is not there (yet)
            result.sent += 1
            result.lateness_ns.append(time.monotonic_ns() - due)
            next_event += 1
        if now >= next_tick:
            if tick is not None:
                tick()
            next_tick = now + 1_000_000_000
        if next_event >= len(events) and now >= until_ns:
            break
        wake = events[next_event][0] if next_event < len(events) else until_ns
        timeout = max(0.0, min(wake, next_tick) - time.monotonic_ns()) / 1e9
        readable, _, _ = select.select(sockets, [], [], timeout)
        if readable:
            arrival = time.monotonic_ns()
            for sock in readable:
                while True:
                    try:
                        data = sock.recv(4096)
                    except (BlockingIOError, InterruptedError):
                        break
                    except OSError:
                        break  # ICMP errors surface here on Linux
                    if sock is endpoint.rtcp:
                        result.rtcp_received += 1
                        continue
                    packet = parse_rtp(data, arrival)
                    if packet is None:
                        continue
                    if not keep_payloads:
                        packet.payload = b""
                    result.received.append(packet)
    result.end_ns = time.monotonic_ns()
    return result


def timeline_origin_ns(packets: list[Packet], clock_rate: int) -> int | None:
    """When the phone's sending clock started: the earliest of (arrival − RTP time since the first
    packet). On loopback a packet arrives within microseconds of being sent, so this is the send
    time of the first packet, cleared of the phone's scheduling delays."""
    if not packets:
        return None
    first = packets[0]
    ssrc = first.ssrc
    best = None
    for packet in packets:
        if packet.ssrc != ssrc:
            continue
        elapsed = (packet.ts - first.ts) & 0xFFFFFFFF
        candidate = packet.arrival_ns - elapsed * 1_000_000_000 // clock_rate
        if best is None or candidate < best:
            best = candidate
    return best


def lateness_summary(result: StreamResult) -> dict[str, float]:
    """The harness's own send timing (ms): how late packets left against their schedule."""
    late = sorted(result.lateness_ns)
    if not late:
        return {}
    pick = lambda q: late[min(len(late) - 1, int(q * len(late)))] / 1e6  # noqa: E731
    return {"median_ms": pick(0.5), "p99_ms": pick(0.99), "max_ms": late[-1] / 1e6}
