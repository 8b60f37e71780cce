"""What a run needs before it measures: the Debian packages, the release build of Hardphone and
its stripped copy; and what it records about itself: machine, versions, command."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

from .errors import BenchError

REPO = Path(__file__).resolve().parents[2]

# Debian packages by the file that shows each is installed.
PACKAGES = {
    "/usr/bin/baresip": "baresip",
    "/usr/sbin/kamailio": "kamailio",
    "/usr/bin/strip": "binutils",
    "/usr/bin/espeak-ng": "espeak-ng",  # the speech of the call figures
}


def ensure_packages(needed: list[str]) -> None:
    """`apt-get install -y` the packages of `needed` (paths of PACKAGES) that are missing."""
    missing = sorted({PACKAGES[path] for path in needed if not Path(path).exists()})
    if not missing:
        return
    if os.geteuid() != 0:
        raise BenchError(f"missing {' '.join(missing)}: run `sudo apt-get install -y {' '.join(missing)}`")
    print(f"bench: installing {' '.join(missing)} (apt-get)", flush=True)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    if subprocess.run(["apt-get", "install", "-y", *missing], env=env).returncode != 0:
        subprocess.run(["apt-get", "update"], env=env, check=False)
        if subprocess.run(["apt-get", "install", "-y", *missing], env=env).returncode != 0:
            raise BenchError(f"apt-get install -y {' '.join(missing)} failed")


def build_hardphone(skip: bool) -> Path:
    """`cargo build --release -p hardphone` in the workspace; the binary's path."""
    binary = REPO / "target" / "release" / "hardphone"
    if not skip:
        print("bench: cargo build --release -p hardphone", flush=True)
        if subprocess.run(["cargo", "build", "--release", "-p", "hardphone"], cwd=REPO).returncode != 0:
            raise BenchError("cargo build --release -p hardphone failed")
    if not binary.exists():
        raise BenchError(f"{binary} does not exist (drop --no-build)")
    return binary


def strip_copy(binary: Path, dir: Path) -> Path:
    """A stripped copy of `binary` in `dir` (`strip -o`); the original is untouched."""
    stripped = dir / (binary.name + ".stripped")
    if subprocess.run(["strip", "-o", str(stripped), str(binary)]).returncode != 0:
        raise BenchError(f"strip {binary} failed")
    return stripped


def _run(argv: list[str], cwd: Path | None = None) -> str:
    try:
        result = subprocess.run(argv, capture_output=True, text=True, cwd=cwd, stdin=subprocess.DEVNULL)
    except OSError:
        return ""
    return result.stdout.strip() if result.returncode == 0 else ""


def machine() -> dict[str, object]:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_gib = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_gib = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    kinds = [_run(["systemd-detect-virt", "--vm"]), _run(["systemd-detect-virt", "--container"])]
    virt = ", ".join(k for k in kinds if k and k != "none") or None
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": memory_gib,
        "kernel": platform.release(),
        "virtualization": virt,
        "os": _os_release(),
    }


def _os_release() -> str:
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    return "?"


def dpkg_version(package: str) -> str:
    return _run(["dpkg-query", "-W", "-f=${Version}", package]) or "?"


def git_describe() -> dict[str, str]:
    return {
        "describe": _run(["git", "describe", "--always", "--dirty", "--tags"], cwd=REPO) or "?",
        "commit": _run(["git", "rev-parse", "HEAD"], cwd=REPO) or "?",
    }


def rustc_version() -> str:
    return _run(["rustc", "--version"]) or "?"


def command_line() -> str:
    """The command as typed, relative to the repository root."""
    script = Path(sys.argv[0]).resolve()
    try:
        script_text = str(script.relative_to(REPO))
    except ValueError:
        script_text = str(script)
    return " ".join(["python3", script_text, *sys.argv[1:]])


def which(program: str) -> str | None:
    return shutil.which(program)
