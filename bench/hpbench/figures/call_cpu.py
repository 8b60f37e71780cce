"""Figure 2, call CPU: CPU seconds of each phone during a 60 s PCMU call and a 60 s Opus call.

Method: the rig of figure 1 with both phones auto-answering (rig.start with call_audio). The
harness calls each phone in turn directly (sipua; an SDP offer of the one codec) and streams
speech to it for the window (`--seconds`, 60): the reference sentences (speech.py), looped, as
20 ms packets on a real-time schedule, no impairment. Both phones send speech back: Hardphone
its microphone file (the same sentences, looped), baresip what it plays (its aubridge loopback,
phones.py). Both run their devices at the codec's rate (no resampling in either).

CPU = utime + stime of all threads (/proc/PID/stat, 10 ms ticks) from the first packet sent to
the BYE, and the threads' schedstat run time and run count (about the wake-ups) over the same
window; the JSON has them per thread. Opus: the call is offered opus/48000/2 at baresip's
`opus_bitrate` (28 kb/s; the harness encodes with libopus) when Hardphone's own SDP offer has
Opus (the harness makes it dial the harness and reads its INVITE); until then the Opus row says
so and no Opus call is made.
"""

from __future__ import annotations

import time
from pathlib import Path

from .. import calls, g711, phones, rig, sipua
from ..context import Context
from ..errors import BenchError
from ..proc import Processes, wait_for
from ..result import Result, Row

ID = "call_cpu"
TITLE = "2. Call CPU: a 60 s PCMU call and a 60 s Opus call"
OPUS_BITRATE = 28000  # baresip's opus_bitrate in phones.baresip_config
NO_OPUS = "not yet: Hardphone has no Opus"


def run(ctx: Context) -> Result:
    from .. import opus, speech

    dir = ctx.dir("call_cpu")
    paths = speech.make(dir / "speech")
    packets = int(round(ctx.seconds / 0.02))

    # PCMU at 8 kHz.
    reference, _ = speech.read_wav(paths[8000])
    frames = g711.frames(speech.to_pcm16(reference).tolist())
    payloads = [frames[i % len(frames)] for i in range(packets)]
    audio = phones.CallAudio(paths[8000], dir / "hardphone-speaker.wav", 8000)
    pcmu, probe = _calls(ctx, dir / "pcmu", audio, sipua.PCMU, payloads, 160, probe_offer=True)

    details: dict = {"pcmu": {name: record.cpu.to_json() | record.summary() for name, record in pcmu.items()}}
    details["hardphone_offer"] = probe
    rows = _rows("pcmu", "PCMU", pcmu)

    if any("opus/48000" in codec.lower() for codec in probe.get("codecs", [])):
        reference48, _ = speech.read_wav(paths[48000])
        opus_frames = opus.encode_frames(speech.to_pcm16(reference48).tolist(), OPUS_BITRATE)
        payloads48 = [opus_frames[i % len(opus_frames)] for i in range(packets)]
        audio48 = phones.CallAudio(paths[48000], dir / "hardphone-speaker-48k.wav", 48000)
        opus_calls, _ = _calls(ctx, dir / "opus", audio48, sipua.OPUS, payloads48, 960, probe_offer=False)
        details["opus"] = {name: record.cpu.to_json() | record.summary() for name, record in opus_calls.items()}
        rows += _rows("opus", "Opus", opus_calls)
    else:
        ctx.log(f"call_cpu: {NO_OPUS} (its SDP offer: {probe.get('codecs')})")
        rows.append(Row("call_cpu.opus", f"Call CPU, {ctx.seconds:g} s Opus call (utime+stime)", "s", None, None, note=NO_OPUS))
    return Result(ID, TITLE, "ok", rows=rows, details=details)


def _calls(ctx: Context, dir, audio, codec, payloads, ts_step, probe_offer: bool):
    """A rig, one call to each phone (Hardphone first), and optionally the probe of Hardphone's
    SDP offer; returns ({phone: CallRecord}, probe)."""
    dir.mkdir(parents=True, exist_ok=True)
    records: dict[str, calls.CallRecord] = {}
    probe: dict = {}
    with Processes() as processes:
        bench = rig.start(ctx, processes, dir, call_audio=audio)
        time.sleep(ctx.settle)
        with sipua.UserAgent(seed=2) as ua:
            for phone in bench.phones():
                ctx.log(f"call_cpu: {codec.name} call to {phone.name}, {len(payloads) * 0.02:g} s")
                records[phone.name] = calls.place(
                    ua, bench, phone, codec, payloads, ts_step, measure_cpu=True, keep_payloads=False, tail_s=0.0
                )
                cpu = records[phone.name].cpu
                ctx.log(f"call_cpu: {phone.name}: {cpu.cpu_s:.2f} s CPU (schedstat {cpu.sched_s:.3f} s, {cpu.runs} runs)")
                calls.pause(2.0, bench)
            if probe_offer:
                probe = _probe_offer(ua, dir / "offer-probe", bench.hardphone.process.argv[0])
        bench.check_registered("at the end of the calls")
    return records, probe


def _probe_offer(ua: sipua.UserAgent, dir, binary: str) -> dict:
    """Which codecs Hardphone offers: a second Hardphone, whose account's server is the harness
    (the measured one would send the call to its registrar, Kamailio, which routes no calls),
    dials the harness (`hardphone ctl dial`); the harness declines the INVITE (603) and reads its
    SDP offer."""
    with Processes() as processes:
        phone = phones.start_hardphone_for_offer(processes, Path(binary), dir, ua.port)
        socket = phone.control_socket  # type: ignore[attr-defined]
        wait_for("the offer probe's control socket", 10, lambda: socket.exists(), phone.process.log_text)
        answer = phones.hardphone_ctl(binary, socket, "dial", f"sip:probe@127.0.0.1:{ua.port}")
        if not answer.get("ok", False):
            raise BenchError(f"hardphone ctl dial failed: {answer}\n{phone.process.log_text()}")
        invite = ua.expect_invite(10)
        offer = sipua.parse_sdp(invite.body.decode("utf-8", "replace"))
        wait_for(
            "the declined probe call to end",
            10,
            lambda: all(
                str(c.get("state", "")).startswith("ended")
                for c in phones.hardphone_ctl(binary, socket, "status").get("calls", [{}])
            ),
            phone.process.log_text,
        )
    return {"codecs": [name for _, name in offer.codecs], "ctl_dial": answer}


def _rows(key: str, name: str, records: dict[str, calls.CallRecord]) -> list[Row]:
    hp, bs = records["hardphone"].cpu, records["baresip"].cpu
    seconds = f"{round(hp.seconds):g} s"
    return [
        Row(f"call_cpu.{key}", f"Call CPU, {seconds} {name} call (utime+stime)", "s", hp.cpu_s, bs.cpu_s),
        Row(f"call_cpu.{key}_sched", f"Call CPU, {seconds} {name} call (schedstat run time)", "s", hp.sched_s, bs.sched_s),
        Row(f"call_cpu.{key}_wakeups", f"Call wake-ups, {seconds} {name} call (times put on a CPU)", "", hp.runs, bs.runs),
    ]
