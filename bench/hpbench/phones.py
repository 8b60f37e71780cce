"""The two phones under test, each started headless with a configuration written by the harness,
listening on a free UDP+TCP port of 127.0.0.1 and registering one account (UDP) to the bench's
Kamailio. The configuration of each phone is built in one place so that every figure measures
the same phone; the call figures (2-4) add auto-answer and sound devices that are files
(`CallAudio`):

- Hardphone: `auto_answer = "always"`, `[audio] input = "file:SPEECH.wav"` (its microphone, looped
  in real time), `output = "file:REC.wav"` (its speaker, written in real time), `sample_rate` the
  codec's rate (8000 for PCMU), so that neither phone resamples.
- baresip 1.0.0: `answermode=auto` on the account; its `aufile` module is only a source in 1.0.0
  (no player), so the call figures load `aubridge` and use it as player *and* source:
  `audio_player aubridge,loop` / `audio_source aubridge,loop`. aubridge's thread is the sound
  card: every 20 ms (it polls a 4 ms sleep) it takes one frame from the player (what baresip
  plays, after its jitter buffer and audio buffer) and hands it to the source, which baresip
  encodes and sends at once. baresip thus sends back exactly what it plays (G.711 decodes and
  re-encodes losslessly), in real time, and the harness records it from the RTP it receives.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from . import net, procfs
from .proc import Process, Processes

BARESIP = "/usr/bin/baresip"
BARESIP_MODULES = "/usr/lib/baresip/modules"


@dataclass
class Account:
    """One SIP account on the bench's registrar."""

    user: str
    password: str
    registrar_port: int
    expires: int = 300


@dataclass
class Phone:
    """A running phone."""

    name: str
    process: Process
    sip_port: int
    account: Account
    config_files: list[Path] = field(default_factory=list)

    @property
    def pid(self) -> int:
        return self.process.pid

    def memory(self) -> dict[str, int]:
        """VmHWM, VmRSS, RssAnon, RssFile (status) and Pss, Private (smaps_rollup), KiB."""
        status = procfs.status_kib(self.pid)
        rollup = procfs.smaps_rollup_kib(self.pid)
        memory = {k: status[k] for k in ("VmHWM", "VmRSS", "RssAnon", "RssFile") if k in status}
        if rollup:
            memory["Pss"] = rollup.get("Pss", 0)
            memory["Private"] = rollup.get("Private_Clean", 0) + rollup.get("Private_Dirty", 0)
        return memory

    def cpu(self) -> procfs.CpuSample:
        return procfs.cpu_sample(self.pid)


# --- Hardphone ------------------------------------------------------------------------------


@dataclass
class CallAudio:
    """The sound devices of a phone that takes calls (figures 2-4)."""

    input_wav: Path  # Hardphone's microphone: a WAV file at `rate`, looped
    output_wav: Path  # Hardphone's speaker: the WAV file it writes
    rate: int  # Hardphone's device rate (the codec's: no resampling in either phone)


def hardphone_toml(sip_port: int, account: Account, keepalive_secs: int, audio: CallAudio | None = None) -> str:
    """docs/CONFIG.md: one UDP account; keep-alives at the default interval, written out; with
    `audio`, auto-answer and file devices."""
    text = (
        "[sip]\n"
        f'listen = "127.0.0.1:{sip_port}"\n'
        f"keepalive_secs = {keepalive_secs}\n"
        "\n[[accounts]]\n"
        f'label = "Bench {account.user}"\n'
        f'server = "127.0.0.1:{account.registrar_port}"\n'
        'transport = "udp"\n'
        f'user = "{account.user}"\n'
        f'password = "{account.password}"\n'
        f"expires = {account.expires}\n"
    )
    if audio is not None:
        text += (
            'auto_answer = "always"\n'
            "\n[audio]\n"
            f'input = "file:{audio.input_wav}"\n'
            f'output = "file:{audio.output_wav}"\n'
            f"sample_rate = {audio.rate}\n"
        )
    return text


def start_hardphone(
    processes: Processes,
    binary: Path,
    dir: Path,
    account: Account,
    keepalive_secs: int = 25,
    audio: CallAudio | None = None,
) -> Phone:
    """`hardphone --config FILE --headless --state-dir DIR`, logging at its default level (info);
    with `audio` (the call figures) also `--socket DIR/ctl.sock` for `hardphone ctl`."""
    dir.mkdir(parents=True, exist_ok=True)
    port = net.free_port()
    config = dir / "hardphone.toml"
    config.write_text(hardphone_toml(port, account, keepalive_secs, audio))
    env = {k: v for k, v in os.environ.items() if k != "RUST_LOG"}
    argv = [str(binary), "--config", str(config), "--headless", "--state-dir", str(dir / "state")]
    if audio is not None:
        argv += ["--socket", str(dir / "ctl.sock")]
    process = processes.start("hardphone", argv, dir / "hardphone.log", cwd=dir, env=env)
    phone = Phone("hardphone", process, port, account, [config])
    phone.audio = audio  # type: ignore[attr-defined]
    phone.control_socket = dir / "ctl.sock" if audio is not None else None  # type: ignore[attr-defined]
    return phone


def start_hardphone_for_offer(processes: Processes, binary: Path, dir: Path, server_port: int) -> Phone:
    """A Hardphone whose one account's server is the harness at 127.0.0.1:`server_port` (a phone
    dials through its account's server; it needs one to dial), with null sound devices and
    `--socket DIR/ctl.sock`: what the harness makes dial it to read the phone's SDP offer."""
    dir.mkdir(parents=True, exist_ok=True)
    port = net.free_port()
    config = dir / "hardphone.toml"
    config.write_text(
        f'[sip]\nlisten = "127.0.0.1:{port}"\n\n[[accounts]]\nlabel = "Offer probe"\n'
        f'server = "127.0.0.1:{server_port}"\ntransport = "udp"\nuser = "probe"\n'
        '\n[audio]\ninput = "null"\noutput = "null"\n'
    )
    env = {k: v for k, v in os.environ.items() if k != "RUST_LOG"}
    argv = [str(binary), "--config", str(config), "--headless", "--state-dir", str(dir / "state")]
    argv += ["--socket", str(dir / "ctl.sock")]
    process = processes.start("hardphone (offer probe)", argv, dir / "hardphone.log", cwd=dir, env=env)
    phone = Phone("hardphone", process, port, Account("", "", 0), [config])
    phone.control_socket = dir / "ctl.sock"  # type: ignore[attr-defined]
    return phone


def hardphone_ctl(binary: Path, socket: Path, *command: str) -> dict:
    """`hardphone ctl --socket SOCKET COMMAND...`: its one JSON line, parsed."""
    import json

    out = subprocess.run(
        [str(binary), "ctl", "--socket", str(socket), *command], capture_output=True, text=True, timeout=10
    )
    try:
        return json.loads(out.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {"ok": False, "error": (out.stdout + out.stderr).strip()}


def hardphone_version(binary: Path) -> str:
    out = subprocess.run([str(binary), "--version"], capture_output=True, text=True).stdout.strip()
    return out or "?"


# --- baresip --------------------------------------------------------------------------------

# The modules of the measured baresip: what a headless desk phone with Hardphone's codecs needs,
# and nothing else. No UI module reads stdin (stdio, cons), no sound card (alsa, pulse), no video,
# no NAT traversal (stun, turn, ice: Hardphone has none), none of the default demo apps (auloop,
# vidloop, contact, debug_cmd). `menu` is kept: in baresip 1.0.0 it is what answers calls
# (answermode=auto), which figure 4 needs, and a phone needs.
BARESIP_CODECS = ["g711.so", "opus.so"]  # PCMU/PCMA and Opus: the codecs of figures 2-4
BARESIP_AUDIO = ["aufile.so"]  # audio source from a WAV file (no sound card)
BARESIP_TMP = ["uuid.so", "account.so"]  # loaded at start, then unloaded (instance id, accounts)
BARESIP_APPS = ["menu.so"]  # call handling, auto-answer
# ctrl_tcp (netstring commands on a TCP port) lets the call figures dial and hang up; the idle
# figure leaves it out so that the idle baresip is the smallest working phone.
BARESIP_CONTROL = ["ctrl_tcp.so"]
# The call figures' sound card: aubridge as player and source (see the module docstring).
BARESIP_LOOPBACK = ["aubridge.so"]
LOOPBACK_DEVICE = "loop"


def baresip_modules(control: bool = False, loopback: bool = False) -> dict[str, list[str]]:
    """The modules of the measured configuration by kind: `module`, `module_tmp`, `module_app`."""
    return {
        "module": BARESIP_CODECS + BARESIP_AUDIO + (BARESIP_LOOPBACK if loopback else []),
        "module_tmp": BARESIP_TMP,
        "module_app": BARESIP_APPS + (BARESIP_CONTROL if control else []),
    }


def baresip_config(
    sip_port: int, control_port: int | None = None, audio_source: str | None = None, loopback: bool = False
) -> str:
    modules = baresip_modules(control=control_port is not None, loopback=loopback)
    source = audio_source or "/usr/share/baresip/sound1.wav"
    lines = [
        "# written by bench/ (Hardphone's benchmark harness)",
        "poll_method\t\tepoll",
        f"sip_listen\t\t127.0.0.1:{sip_port}",
        "call_local_timeout\t120",
        "call_max_calls\t\t4",
    ]
    if loopback:
        lines += [
            f"audio_player\t\taubridge,{LOOPBACK_DEVICE}",
            f"audio_source\t\taubridge,{LOOPBACK_DEVICE}",
            "audio_alert\t\taubridge,alert",
        ]
    else:
        lines.append(f"audio_source\t\taufile,{source}")
    lines += [
        "audio_buffer\t\t20-160",
        "rtp_tos\t\t\t184",
        "rtcp_mux\t\tno",
        "statmode_default\toff",  # menu: no call status line printed every 100 ms during calls
        "jitter_buffer_delay\t5-10",
        "rtp_stats\t\tno",
        f"module_path\t\t{BARESIP_MODULES}",
    ]
    for kind in ("module", "module_tmp", "module_app"):
        lines += [f"{kind}\t\t{m}" for m in modules[kind]]
    if control_port is not None:
        lines.append(f"ctrl_tcp_listen\t\t127.0.0.1:{control_port}")
    lines.append("opus_bitrate\t\t28000")
    return "\n".join(lines) + "\n"


def baresip_accounts(account: Account, answer: bool = False) -> str:
    """One account; `regint` is the registration expiry baresip asks for (same as Hardphone's
    `expires`). No `sipnat=outbound`: neither phone gets outbound from this registrar."""
    params = f";auth_pass={account.password};regint={account.expires}"
    if answer:
        params += ";answermode=auto"
    return f"<sip:{account.user}@127.0.0.1:{account.registrar_port};transport=udp>{params}\n"


def start_baresip(
    processes: Processes, dir: Path, account: Account, control: bool = False, calls: bool = False
) -> Phone:
    """`baresip -4 -f DIR`, stdin from /dev/null (no UI module reads it), not daemonised so that
    the PID measured is baresip's. With `calls`: auto-answer and the aubridge loopback."""
    dir.mkdir(parents=True, exist_ok=True)
    port = net.free_port(also_next_tcp=True)  # baresip also listens on TLS at port + 1
    control_port = net.free_port() if control else None
    (dir / "config").write_text(baresip_config(port, control_port, loopback=calls))
    (dir / "accounts").write_text(baresip_accounts(account, answer=calls))
    (dir / "contacts").write_text("")  # else baresip writes a template
    process = processes.start("baresip", [BARESIP, "-4", "-f", str(dir)], dir / "baresip.log", cwd=dir)
    phone = Phone("baresip", process, port, account, [dir / "config", dir / "accounts"])
    phone.control_port = control_port  # type: ignore[attr-defined]
    return phone


def baresip_version() -> str:
    out = subprocess.run([BARESIP, "-h"], capture_output=True, text=True, stdin=subprocess.DEVNULL)
    match = re.search(r"baresip v(\S+)", out.stdout + out.stderr)
    return match.group(1) if match else "?"
