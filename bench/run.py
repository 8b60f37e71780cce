#!/usr/bin/env python3
"""Hardphone against baresip, side by side on loopback (issue 7). See bench/README.md.

    python3 bench/run.py                       # every figure
    python3 bench/run.py --only idle,size      # some figures
    python3 bench/run.py --seconds 10          # a shorter window (a quick check, not a result)
    python3 bench/run.py --write-md            # also update BENCHMARKS.md

Installs what is missing (apt-get install -y baresip kamailio espeak-ng; numpy and pesq into
bench/.venv for the call figures, then runs itself again with that Python), builds the phone
(cargo build --release -p hardphone), measures, prints a table, writes bench/results/latest.json.
Exit status: 0 when every figure run was measured or is not measurable yet, 1 when the run is
invalid (a phone did not register, exited, ...), 2 for bad options.
"""

from __future__ import annotations

import argparse
import datetime
import shutil
import sys
import tempfile
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hpbench import phones, proc, report, setup, venv  # noqa: E402
from hpbench.context import Context  # noqa: E402
from hpbench.errors import BenchError, NotYet  # noqa: E402
from hpbench.figures import BY_ID, FIGURES  # noqa: E402
from hpbench.result import Result  # noqa: E402

BENCH = Path(__file__).resolve().parent
DEFAULT_JSON = BENCH / "results" / "latest.json"
BENCHMARKS_MD = setup.REPO / "BENCHMARKS.md"


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="bench/run.py", description="Hardphone against baresip on loopback (issue 7); see bench/README.md."
    )
    parser.add_argument(
        "--only",
        default=",".join(f.ID for f in FIGURES),
        help=f"comma-separated figures to run, of: {', '.join(f.ID for f in FIGURES)} (default: all)",
    )
    parser.add_argument("--seconds", type=float, default=60.0, help="measurement window of timed figures (default 60)")
    parser.add_argument(
        "--settle", type=float, default=2.0, help="seconds from 'both registered' to the window's start (default 2)"
    )
    parser.add_argument("--write-md", action="store_true", help="update the generated section of BENCHMARKS.md")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help=f"results file (default {DEFAULT_JSON})")
    parser.add_argument("--no-build", action="store_true", help="use target/release/hardphone as it is")
    parser.add_argument("--no-install", action="store_true", help="do not apt-get install missing packages")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (configs, logs)")
    args = parser.parse_args(argv)
    args.figures = [part.strip() for part in args.only.split(",") if part.strip()]
    unknown = [f for f in args.figures if f not in BY_ID]
    if unknown or not args.figures:
        parser.error(f"--only: unknown figure {', '.join(unknown) or '(none)'}; known: {', '.join(BY_ID)}")
    if args.seconds <= 0 or args.settle < 0:
        parser.error("--seconds must be > 0 and --settle >= 0")
    return args


def notes(figures: list[str], results: list[Result]) -> list[str]:
    """What a reader of the table must know, for the figures that ran."""
    out = []
    measured = {r.id for r in results if r.status == "ok"}
    if "idle" in measured:
        modules = phones.baresip_modules()
        out.append(
            "Idle: both phones register one UDP account (expiry 300 s) to the same Kamailio, which "
            "does not offer outbound (RFC 5626). Hardphone keeps its default keep-alive (a CRLF CRLF "
            "datagram every 20–25 s); baresip 1.0.0 sends keep-alives only when the registrar "
            "requires outbound, so it sends none: the CPU comparison is, if anything, against "
            "Hardphone. baresip runs with modules "
            + ", ".join(m.removesuffix(".so") for kind in modules.values() for m in kind)
            + " (no sound card, UI, video or NAT modules). VmHWM is the peak resident set since "
            "start; RSS counts the shared libraries' resident pages (baresip's libssl, libcrypto, "
            "libopus), Pss divides them among their users. CPU: utime+stime from /proc/PID/stat "
            "(10 ms ticks), and the threads' schedstat run time (ns)."
        )
    if "size" in measured:
        out.append(
            "Size: file sizes in bytes. Hardphone's is its stripped release executable (statically "
            "linked Rust; only libc, libm, libgcc_s and the loader are shared). baresip's executable "
            "is stripped by Debian; the second row adds the modules of the measured configuration "
            "(the temporary uuid and account modules included) and libre + librem; the third counts "
            "every shared object mapped once started (libssl, libcrypto, libz, libopus, ...) but the C "
            "runtime. `bench/results/latest.json` lists each file and the dynamic libraries each "
            "phone depends on."
        )
    if "call_cpu" in measured:
        out.append(
            "Call CPU: the harness calls each phone directly (an SDP offer of the one codec) and "
            "streams speech to it for the window; both phones auto-answer and send speech back "
            "(Hardphone its microphone, a WAV file of the same sentences; baresip, through its "
            "aubridge loopback, what it plays). Devices run at the codec's rate in both (8 kHz; "
            "48 kHz for Opus, where baresip decodes and plays two channels, Hardphone one). Opus "
            "is offered as opus/48000/2, the harness sending 28 kb/s (baresip's opus_bitrate). CPU "
            "is utime+stime of all threads (10 ms ticks) from the first packet to the BYE, with the "
            "threads' schedstat run time and run count; baresip 1.0.0 has no file player, and its "
            "aubridge device thread polls every 4 ms (about 240 wake-ups a second): the JSON "
            "splits each phone's CPU by thread."
        )
    if "quality" in measured:
        out.append(
            "Quality: four Harvard sentences spoken by espeak-ng (a male and a female voice, 9.7 s, "
            "-26 dBov, 8 kHz; PCMU coding alone scores 4.43), sent as PCMU from the harness "
            "straight to each auto-answering phone through a seeded impairment schedule: three "
            "calls per profile and phone, each with its own draw of the impairment and its own "
            "phase (where the packets fall in the phone's 20 ms period), the same for both phones; "
            "each row is the mean of the three. Each phone records what it plays (Hardphone: its "
            "speaker WAV file; baresip 1.0.0, which has no file player: its aubridge loopback, "
            "which sends back exactly what it plays). PESQ is P.862 narrowband (the `pesq` "
            "package, MOS-LQO); Δ is Hardphone − baresip. Receive delay: from a packet's nominal "
            "send time to its playout (the network's jitter delay included), both phones' playout "
            "clocks anchored on their own RTP. Speech missing: reference speech frames (20 ms) more "
            "than 40 dB quieter in the recording. The last three quality rows are a diagnostic "
            "without goal: one clean call with the packets arriving 0.2 ms after the phone's tick."
        )
    if "call_setup" in measured:
        out.append(
            "Call setup: INVITE sent by the harness straight to the phone (no proxy), timed to "
            "the 200 OK with a monotonic clock, 20 calls per phone alternating, each carrying "
            "200 ms of RTP and ended with BYE. Both phones answer 180 Ringing first."
        )
    pending = [r.title for r in results if r.status == "not yet"]
    if pending:
        out.append("Not yet measured: " + "; ".join(pending) + ".")
    return out


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    selected = [BY_ID[f.ID] for f in FIGURES if f.ID in args.figures]
    needs_python_packages = any(f.ID in ("call_cpu", "quality") for f in selected)
    if needs_python_packages:
        try:
            if not args.no_install:
                setup.ensure_packages(["/usr/bin/espeak-ng"])
            venv.ensure(argv, install=not args.no_install)  # may re-execute this script in bench/.venv
        except BenchError as error:
            print(f"bench: RUN INVALID: {error}", file=sys.stderr)
            return 1

    work = Path(tempfile.mkdtemp(prefix="hardphone-bench-"))
    results: list[Result] = []
    invalid: list[str] = []
    version_info: dict | None = None
    try:
        # Every figure runs the phones.
        if not args.no_install:
            setup.ensure_packages(["/usr/bin/baresip", "/usr/sbin/kamailio", "/usr/bin/strip"])
        binary = setup.build_hardphone(skip=args.no_build)
        stripped = setup.strip_copy(binary, work)
        version_info = versions(stripped)
        ctx = Context(work, stripped, binary, args.seconds, args.settle)

        for figure in selected:
            print(f"bench: {figure.TITLE} ...", flush=True)
            try:
                result = figure.run(ctx)
            except NotYet as why:
                print(f"bench: {figure.ID}: {why}", flush=True)
                result = Result(figure.ID, figure.TITLE, "not yet", str(why))
            except BenchError as error:
                print(f"bench: {figure.ID}: RUN INVALID: {error}", file=sys.stderr, flush=True)
                invalid.append(f"{figure.ID}: {str(error).splitlines()[0]}")
                result = Result(figure.ID, figure.TITLE, "error", str(error).splitlines()[0])
            results.append(result)
    except BenchError as error:
        print(f"bench: RUN INVALID: {error}", file=sys.stderr)
        invalid.append(str(error).splitlines()[0])
    except KeyboardInterrupt:
        print("bench: interrupted", file=sys.stderr)
        invalid.append("interrupted")
    finally:
        left = proc.leftovers()
        if left:
            invalid.append("processes left running: " + ", ".join(left))
            print(f"bench: PROCESSES LEFT RUNNING: {', '.join(left)}", file=sys.stderr)
        else:
            print(f"bench: cleanup: all {len(proc.EVER_STARTED)} processes started were stopped", flush=True)
        if args.keep:
            print(f"bench: kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)

    document = {
        "valid": not invalid,
        "invalid_because": invalid,
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "command": setup.command_line(),
        "seconds": args.seconds,
        "machine": setup.machine(),
        "versions": version_info or versions(None),
        "figures": [r.to_json() for r in results],
    }
    document["notes"] = notes(args.figures, results)
    report.print_table(results)
    report.write_json(args.json, document)
    print(f"bench: results in {args.json}")
    if invalid:
        print("bench: RUN INVALID (" + "; ".join(invalid) + "): BENCHMARKS.md not updated", file=sys.stderr)
        return 1
    if args.write_md:
        report.update_markdown(BENCHMARKS_MD, report.markdown_block(document, results))
        print(f"bench: updated {BENCHMARKS_MD}")
    return 0


def versions(hardphone: Path | None) -> dict:
    return {
        "hardphone": phones.hardphone_version(hardphone) if hardphone and hardphone.exists() else "?",
        "git": setup.git_describe(),
        "rustc": setup.rustc_version(),
        "baresip": phones.baresip_version() if Path(phones.BARESIP).exists() else "?",
        "baresip_deb": setup.dpkg_version("baresip-core"),
        "libre_deb": setup.dpkg_version("libre0"),
        "librem_deb": setup.dpkg_version("librem0"),
        "kamailio": _kamailio_version(),
    }


def _kamailio_version() -> str:
    import subprocess

    try:
        out = subprocess.run(["/usr/sbin/kamailio", "-v"], capture_output=True, text=True).stdout
    except OSError:
        return "?"
    first = out.splitlines()[0] if out else "?"
    return first.removeprefix("version:").strip()


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except Exception:
        traceback.print_exc()
        sys.exit(1)
