"""The two phones under test, each started headless with a configuration written by the harness,
listening on a free UDP+TCP port of 127.0.0.1 and registering one account (UDP) to the bench's
Kamailio. The call figures (2-4) will extend these classes (dial, auto-answer, media files); the
configuration of each phone is built in one place so that every figure measures the same phone.
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


def hardphone_toml(sip_port: int, account: Account, keepalive_secs: int) -> str:
    """docs/CONFIG.md: one UDP account; keep-alives at the default interval, written out."""
    return (
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


def start_hardphone(
    processes: Processes, binary: Path, dir: Path, account: Account, keepalive_secs: int = 25
) -> Phone:
    """`hardphone --config FILE --headless --state-dir DIR`, logging at its default level (info)."""
    dir.mkdir(parents=True, exist_ok=True)
    port = net.free_port()
    config = dir / "hardphone.toml"
    config.write_text(hardphone_toml(port, account, keepalive_secs))
    env = {k: v for k, v in os.environ.items() if k != "RUST_LOG"}
    process = processes.start(
        "hardphone",
        [str(binary), "--config", str(config), "--headless", "--state-dir", str(dir / "state")],
        dir / "hardphone.log",
        cwd=dir,
        env=env,
    )
    return Phone("hardphone", process, port, account, [config])


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


def baresip_modules(control: bool = False) -> dict[str, list[str]]:
    """The modules of the measured configuration by kind: `module`, `module_tmp`, `module_app`."""
    return {
        "module": BARESIP_CODECS + BARESIP_AUDIO,
        "module_tmp": BARESIP_TMP,
        "module_app": BARESIP_APPS + (BARESIP_CONTROL if control else []),
    }


def baresip_config(sip_port: int, control_port: int | None = None, audio_source: str | None = None) -> str:
    modules = baresip_modules(control=control_port is not None)
    source = audio_source or "/usr/share/baresip/sound1.wav"
    lines = [
        "# written by bench/ (Hardphone's benchmark harness)",
        "poll_method\t\tepoll",
        f"sip_listen\t\t127.0.0.1:{sip_port}",
        "call_local_timeout\t120",
        "call_max_calls\t\t4",
        f"audio_source\t\taufile,{source}",
        "audio_buffer\t\t20-160",
        "rtp_tos\t\t\t184",
        "rtcp_mux\t\tno",
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


def start_baresip(processes: Processes, dir: Path, account: Account, control: bool = False) -> Phone:
    """`baresip -4 -f DIR`, stdin from /dev/null (no UI module reads it), not daemonised so that
    the PID measured is baresip's."""
    dir.mkdir(parents=True, exist_ok=True)
    port = net.free_port()
    control_port = net.free_port() if control else None
    (dir / "config").write_text(baresip_config(port, control_port))
    (dir / "accounts").write_text(baresip_accounts(account))
    (dir / "contacts").write_text("")  # else baresip writes a template
    process = processes.start("baresip", [BARESIP, "-4", "-f", str(dir)], dir / "baresip.log", cwd=dir)
    phone = Phone("baresip", process, port, account, [dir / "config", dir / "accounts"])
    phone.control_port = control_port  # type: ignore[attr-defined]
    return phone


def baresip_version() -> str:
    out = subprocess.run([BARESIP, "-h"], capture_output=True, text=True, stdin=subprocess.DEVNULL)
    match = re.search(r"baresip v(\S+)", out.stdout + out.stderr)
    return match.group(1) if match else "?"
