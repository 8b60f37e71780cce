"""Figure 4, call setup: INVITE -> 200 OK time to an auto-answering phone, median of 20.

Method: the rig with both phones auto-answering; the harness's user agent (sipua) sends each
INVITE straight to the phone's 127.0.0.1:port (no proxy in the path: the time is the phone's),
with an SDP offer of PCMU, and times it with time.monotonic_ns from just before sendto() of the
INVITE to the receiver thread's return from recvfrom() with the 200 OK. Each call is then
ACKed, carries 200 ms of RTP (so that its media starts, as in a real call) and is ended with BYE;
one second later the next call starts. CALLS calls per phone, alternating phones; the row is the
median, the JSON has every time, the provisional responses (both phones send 180 Ringing first)
and the 90th percentile.
"""

from __future__ import annotations

import statistics
import time

from .. import calls, g711, phones, rig, sipua
from ..context import Context
from ..proc import Processes
from ..result import Result, Row

ID = "call_setup"
TITLE = "4. Call setup: INVITE to 200 OK, median of 20"
CALLS = 20


def run(ctx: Context) -> Result:
    dir = ctx.dir("call_setup")
    mic = dir / "silence-8000.wav"
    _silent_wav(mic, 8000)
    audio = phones.CallAudio(mic, dir / "hardphone-speaker.wav", 8000)
    payloads = [g711.silence_frame()] * 10
    times: dict[str, list[float]] = {"hardphone": [], "baresip": []}
    provisional: dict[str, list[list[dict]]] = {"hardphone": [], "baresip": []}
    with Processes() as processes:
        bench = rig.start(ctx, processes, dir, call_audio=audio)
        time.sleep(ctx.settle)
        with sipua.UserAgent(seed=4) as ua:
            for i in range(CALLS):
                order = bench.phones() if i % 2 == 0 else bench.phones()[::-1]
                for phone in order:
                    record = calls.place(ua, bench, phone, sipua.PCMU, payloads, 160, tail_s=0.0, keep_payloads=False)
                    times[phone.name].append(record.setup_ms)
                    provisional[phone.name].append(record.summary()["provisional"])
                    calls.pause(1.0, bench)
        bench.check_registered("at the end of the calls")
    for name, values in times.items():
        ctx.log(f"call_setup: {name}: median {statistics.median(values):.2f} ms, min {min(values):.2f}, max {max(values):.2f}")
    rows = [
        Row(
            "call_setup.median",
            f"Call setup: INVITE → 200 OK, median of {CALLS}",
            "ms",
            statistics.median(times["hardphone"]),
            statistics.median(times["baresip"]),
        )
    ]
    return Result(
        ID,
        TITLE,
        "ok",
        rows=rows,
        details={
            "calls_per_phone": CALLS,
            "setup_ms": times,
            "summary_ms": {name: _summary(values) for name, values in times.items()},
            "provisional_responses": provisional,
            "first_provisional_median_ms": {
                name: statistics.median(c[0]["after_invite_ms"] for c in per_call if c) if any(per_call) else None
                for name, per_call in provisional.items()
            },
        },
    )


def _summary(values: list[float]) -> dict:
    ordered = sorted(values)
    return {
        "min": ordered[0],
        "median": statistics.median(ordered),
        "p90": ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))],
        "max": ordered[-1],
        "mean": statistics.fmean(ordered),
    }


def _silent_wav(path, rate: int) -> None:
    import wave

    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"\0\0" * rate)
