"""Figure 3, quality under network impairment: what each phone plays to its speaker when the
speech it receives crosses a lossy, jittery network, scored with PESQ (ITU-T P.862 narrowband).

Method (bench/README.md has the details): the harness calls each phone directly (sipua, an SDP
offer of PCMU only), the phone auto-answers, and the harness streams the reference speech
(speech.py: four sentences by espeak-ng, 9.7 s, 8 kHz) as 20 ms PCMU packets on a real-time
schedule through a seeded impairment schedule (rtpstream.PROFILES): 1 s of silence, the speech,
0.5 s of silence. CALLS calls per profile and phone, each with its own impairment draw and its
own phase (where the packets fall in the phone's 20 ms period, measured on the phone's own RTP
clock), both seeded and the same for both phones. Each phone records what it plays:
  - Hardphone: its speaker is `file:REC.wav` (8 kHz), a real-time WAV whose timeline starts
    with its first period, in the same turn of its media loop as its first RTP packet;
  - baresip: its aubridge loopback sends back what it plays; the harness rebuilds the
    recording from that RTP (by timestamp).
Both timelines are anchored in the harness's clock by the phone's own RTP
(rtpstream.timeline_origin_ns). The speech is located in the recording by cross-correlation;
PESQ NB scores the aligned stretch against the reference; the receive-path delay is the time
from a packet's nominal send time to the moment the phone plays it (network jitter included);
"speech missing" is the fraction of the reference's speech frames (20 ms) that are more than
40 dB quieter in the recording. Each row is the mean of the calls. One more clean call per
phone, with the packets 0.2 ms after the phone's tick, is a diagnostic (the worst phase for a
phone that timestamps packets when its media loop wakes, not when they arrive).

The run is invalid (BenchError) unless: clean scores above 4.0 for both phones; every lossy
profile scores lower than clean for both; the jitter-only profile scores lower than clean or
is played later than clean (a jitter buffer may absorb 40 ms of jitter entirely, and then its
delay shows the impairment); the harness sent its packets on time (p99 lateness < 5 ms); and
Hardphone's recording ends when its call did (a check of its timeline's anchor).
"""

from __future__ import annotations

import random
import time

from .. import calls, g711, phones, rig, rtpstream, sipua
from ..context import Context
from ..errors import BenchError
from ..proc import Processes
from ..result import Result, Row

ID = "quality"
TITLE = "3. Quality under network impairment (PESQ)"

CALLS = 3  # calls per profile and phone, each carrying the speech once; scores are their mean
LEAD_S = 1.0
TAIL_S = 0.5
SEED = 7  # seeds the impairment schedules and the phases (the same for both phones)
WORST_PHASE_MS = 0.2  # the diagnostic clean call: packets 0.2 ms after the phone's tick
CLEAN_MIN = 4.0
MAX_P99_LATENESS_MS = 5.0
SEARCH_BEFORE_S = 0.02  # alignment search: from 20 ms before zero delay ...
SEARCH_AFTER_S = 0.8  # ... to 800 ms after


def phase_ms(profile: str, call: int) -> float:
    """Where the harness's packets fall in the phone's 20 ms period, per call: drawn uniformly
    from a seeded generator (a real network's phase is arbitrary; this one is reproducible)."""
    return random.Random(f"phase/{profile}/{call}/{SEED}").uniform(0.0, 20.0)


def run(ctx: Context) -> Result:
    import numpy as np

    from .. import score, speech

    dir = ctx.dir("quality")
    paths = speech.make(dir / "speech")
    reference, _ = speech.read_wav(paths[8000])
    speech_frames = g711.frames(speech.to_pcm16(reference).tolist())
    silence = g711.silence_frame()
    lead, tail = int(LEAD_S / 0.02), int(TAIL_S / 0.02)
    payloads = [silence] * lead + speech_frames + [silence] * tail
    mic = dir / "silence-8000.wav"
    speech.write_wav(mic, np.zeros(8000), 8000)  # Hardphone's microphone: this figure is about receiving
    audio = phones.CallAudio(mic, dir / "hardphone-speaker.wav", 8000)

    conditions = [(profile, i, phase_ms(profile.id, i)) for profile in rtpstream.PROFILES for i in range(CALLS)]
    conditions.append((rtpstream.CLEAN, CALLS, WORST_PHASE_MS))  # the diagnostic call
    calls_by: dict[str, dict[str, list[dict]]] = {}  # condition id -> phone -> per-call figures
    with Processes() as processes:
        bench = rig.start(ctx, processes, dir, call_audio=audio)
        time.sleep(ctx.settle)
        with sipua.UserAgent(seed=SEED) as ua:
            for n, (profile, i, phase) in enumerate(conditions):
                condition = profile.id if i < CALLS else WORST
                schedule = profile.schedule(len(payloads), SEED * 100 + i)
                order = bench.phones() if n % 2 == 0 else bench.phones()[::-1]
                for phone in order:
                    record = calls.place(
                        ua,
                        bench,
                        phone,
                        sipua.PCMU,
                        payloads,
                        160,
                        schedule,
                        tail_s=0.3,
                        phase_ms=phase,
                        keep_recording=dir / f"hardphone-{condition}-{i}.wav" if phone.name == "hardphone" else None,
                    )
                    recording, origin = _recording(record, dir, f"{condition}-{i}")
                    figures = _score(record, recording, origin, reference, lead, score)
                    figures["phase_ms"] = phase
                    figures["schedule"] = _schedule_stats(schedule)
                    calls_by.setdefault(condition, {}).setdefault(phone.name, []).append(figures)
                    ctx.log(
                        f"quality: {condition} #{i} (phase {phase:.1f} ms): {phone.name}: PESQ {_fmt(figures['pesq'])}, "
                        f"delay {figures['delay_ms']:.0f} ms, missing {100 * figures['missing']:.1f}%"
                    )
                    calls.pause(0.5, bench)
        bench.check_registered("at the end of the calls")

    measured = {
        condition: {phone: _mean(per_call) for phone, per_call in by_phone.items()}
        for condition, by_phone in calls_by.items()
    }
    _check(measured, calls_by)
    rows = []
    for condition, title in [(p.id, p.title) for p in rtpstream.PROFILES] + [(WORST, WORST_TITLE)]:
        hp, bs = measured[condition]["hardphone"], measured[condition]["baresip"]
        rows.append(Row(f"quality.{condition}.pesq", f"PESQ NB, {title}", "MOS", hp["pesq"], bs["pesq"], compare="difference"))
        rows.append(Row(f"quality.{condition}.delay", f"Receive delay, {title}", "ms", hp["delay_ms"], bs["delay_ms"]))
        rows.append(Row(f"quality.{condition}.missing", f"Speech missing, {title}", "%", 100 * hp["missing"], 100 * bs["missing"]))
    return Result(
        ID,
        TITLE,
        "ok",
        rows=rows,
        details={
            "reference": {
                "seconds": len(reference) / 8000,
                "sentences": [{"voice": v, "text": t} for v, t in speech.SENTENCES],
                "level_dbov": speech.LEVEL_DBOV,
                "pesq_of_pcmu_coding_alone": _pcmu_ceiling(reference, score),
            },
            "stream": {"lead_s": LEAD_S, "tail_s": TAIL_S, "calls_per_profile": CALLS, "seed": SEED},
            "profiles": {p.id: {"title": p.title, "loss": p.loss, "burst": p.burst, "jitter_ms": p.jitter_ms} for p in rtpstream.PROFILES},
            "measured": measured,
            "calls": calls_by,
        },
    )


WORST = "clean_worst_phase"
WORST_TITLE = f"clean, packets {WORST_PHASE_MS:g} ms after the phone's tick"


def _mean(per_call: list[dict]) -> dict:
    return {key: sum(c[key] for c in per_call) / len(per_call) for key in ("pesq", "delay_ms", "missing")}


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _recording(record: calls.CallRecord, dir, profile: str):
    """What the phone played (float samples at 8 kHz) and when its timeline starts (ns)."""
    import numpy as np

    from .. import speech

    origin = rtpstream.timeline_origin_ns(record.stream.received, 8000)
    if origin is None:
        raise BenchError(f"{record.phone} sent no RTP during the {profile} call")
    if record.phone == "hardphone":
        if record.recording is None:
            raise BenchError("Hardphone's speaker file is missing")
        samples, rate = speech.read_wav(record.recording)
        if rate != 8000:
            raise BenchError(f"Hardphone's speaker file is at {rate} Hz, not 8000")
        return samples, origin
    # baresip: its loopback stream, each payload at its RTP timestamp.
    packets = [p for p in record.stream.received if p.pt == 0 and p.ssrc == record.stream.received[0].ssrc]
    first = packets[0].ts
    length = max((p.ts - first) & 0xFFFFFFFF for p in packets) + 160
    samples = np.zeros(length)
    for packet in packets:
        offset = (packet.ts - first) & 0xFFFFFFFF
        samples[offset : offset + len(packet.payload)] = np.array(g711.decode(packet.payload)) / 32768.0
    speech.write_wav(dir / f"baresip-{profile}.wav", samples, 8000)
    return samples, origin


def _score(record, recording, origin: int, reference, start: int, score) -> dict:
    reps = []
    for start in [start]:
        sent_ns = record.stream.start_ns + start * rtpstream.PTIME_NS
        at_zero_delay = int(round((sent_ns - origin) * 8000 / 1e9))
        lo = at_zero_delay - int(SEARCH_BEFORE_S * 8000)
        hi = at_zero_delay + int(SEARCH_AFTER_S * 8000)
        result = score.score(reference, recording, lo, hi)
        delay_ms = (origin + result.offset_samples * 1e9 / 8000 - sent_ns) / 1e6
        reps.append(
            {
                "pesq": result.pesq,
                "delay_ms": delay_ms,
                "missing": result.missing,
                "correlation": result.correlation,
                "offset_samples": result.offset_samples,
                "error": result.error,
            }
        )
    if any(r["pesq"] is None for r in reps):
        raise BenchError(f"PESQ failed on {record.phone}'s recording: {[r['error'] for r in reps]}")
    figures = {
        **reps[0],
        "call": record.summary(),
        "recording_seconds": len(recording) / 8000,
    }
    if record.phone == "hardphone":
        # The speaker file is closed when the call ends: its last sample plays at about the BYE.
        figures["speaker_end_minus_bye_ms"] = (origin + len(recording) * 1e9 / 8000 - record.bye_sent_ns) / 1e6
    return figures


def _schedule_stats(schedule: list[float | None]) -> dict:
    sent = [(i * 0.02 + d, i) for i, d in enumerate(schedule) if d is not None]
    order = [i for _, i in sorted(sent)]
    reordered = sum(1 for a, b in zip(order, order[1:]) if b < a)
    return {
        "packets": len(schedule),
        "lost": sum(1 for d in schedule if d is None),
        "loss_rate": sum(1 for d in schedule if d is None) / len(schedule),
        "reordered": reordered,
        "max_extra_delay_ms": 1000 * max((d for d in schedule if d is not None), default=0.0),
    }


def _pcmu_ceiling(reference, score) -> float:
    import numpy as np

    from .. import speech

    coded = np.array(g711.decode(g711.encode(speech.to_pcm16(reference).tolist()))) / 32768.0
    return score.pesq_nb(reference, coded)


def _check(measured: dict[str, dict[str, dict]], calls_by: dict) -> None:
    """The harness's sanity checks (see the module docstring)."""
    problems = []
    for phone in ("hardphone", "baresip"):
        clean = measured["clean"][phone]
        if not clean["pesq"] > CLEAN_MIN:
            problems.append(f"clean PCMU scored {clean['pesq']:.2f} on {phone} (must be above {CLEAN_MIN})")
        for profile in rtpstream.PROFILES[1:]:
            figures = measured[profile.id][phone]
            lower = figures["pesq"] < clean["pesq"] - 0.005
            if profile.loss > 0 and not lower:
                problems.append(f"{profile.id} scored {figures['pesq']:.2f} on {phone}, not below clean's {clean['pesq']:.2f}")
            if profile.loss == 0 and not (lower or figures["delay_ms"] > clean["delay_ms"] + 5):
                problems.append(f"{profile.id} on {phone}: neither a lower score nor a longer delay than clean")
    for condition, by_phone in calls_by.items():
        for phone, per_call in by_phone.items():
            for i, figures in enumerate(per_call):
                late = figures["call"]["harness_send_lateness"].get("p99_ms", 0.0)
                if late > MAX_P99_LATENESS_MS:
                    problems.append(f"the harness sent late during {condition} #{i} to {phone} (p99 {late:.1f} ms)")
                end = figures.get("speaker_end_minus_bye_ms")
                if end is not None and not -25 <= end <= 250:
                    problems.append(f"Hardphone's speaker file of {condition} #{i} ends {end:.0f} ms from the BYE")
    if problems:
        raise BenchError("run invalid: quality checks failed: " + "; ".join(problems))
