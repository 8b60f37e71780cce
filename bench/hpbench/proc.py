"""Processes the harness starts: each with its log file, stopped by its PID (SIGTERM, then SIGKILL
after a grace period), and every one of them stopped when the run ends, even on an error or
Ctrl-C. Processes the harness did not start are never touched."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from . import procfs


class Process:
    """A started process, its stdout and stderr in `log`."""

    def __init__(self, name: str, argv: list[str], log: Path, cwd: Path | None = None, env: dict | None = None):
        self.name = name
        self.argv = argv
        self.log = log
        with open(log, "ab") as out:
            self.popen = subprocess.Popen(
                argv,
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self.pid = self.popen.pid
        # Its children seen while it ran (Kamailio forks workers), stopped with it: PID -> start
        # time (proc(5) field 22), so that a PID reused by another program is never touched.
        self.seen_children: dict[int, int] = {}

    def running(self) -> bool:
        return self.popen.poll() is None

    def log_text(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except OSError:
            return ""

    def note_children(self) -> None:
        if self.running():
            for child in procfs.children(self.pid):
                started = procfs.start_time(child)
                if started is not None:
                    self.seen_children.setdefault(child, started)

    def live_children(self) -> list[int]:
        """The children seen that still run (same PID and same start time)."""
        return [
            pid
            for pid, started in sorted(self.seen_children.items())
            if procfs.alive(pid) and procfs.start_time(pid) == started
        ]

    def stop(self, grace: float = 20.0) -> int | None:
        """SIGTERM, wait up to `grace` seconds, then SIGKILL; then the same for any child it left.
        Returns the exit status (negative: killed by that signal)."""
        self.note_children()
        if self.running():
            try:
                os.kill(self.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.popen.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
                self.popen.wait()
        deadline = time.monotonic() + grace
        while self.live_children() and time.monotonic() < deadline:
            time.sleep(0.1)  # Kamailio's main process stops its workers as it exits
        for child in self.live_children():
            try:
                os.kill(child, signal.SIGKILL)
            except ProcessLookupError:
                pass
        return self.popen.returncode


# Every process started in this run, for the final check that none is left behind.
EVER_STARTED: list[Process] = []


def leftovers() -> list[str]:
    """The processes this run started (and the children seen) that are still alive."""
    alive = []
    for process in EVER_STARTED:
        if process.running():
            alive.append(f"{process.name} (pid {process.pid})")
        for child in process.live_children():
            alive.append(f"{process.name} child (pid {child})")
    return alive


class Processes:
    """Every process of a run, stopped in reverse order of start when the `with` block ends."""

    def __init__(self):
        self.started: list[Process] = []

    def start(self, name: str, argv: list[str], log: Path, **kwargs) -> Process:
        process = Process(name, argv, log, **kwargs)
        self.started.append(process)
        EVER_STARTED.append(process)
        return process

    def stop_all(self) -> None:
        while self.started:
            process = self.started.pop()
            try:
                process.stop()
            except Exception as error:  # keep stopping the others
                print(f"bench: could not stop {process.name} (pid {process.pid}): {error}")

    def __enter__(self) -> "Processes":
        return self

    def __exit__(self, *exc) -> None:
        self.stop_all()


def wait_for(what: str, limit: float, check, diagnostics=lambda: "") -> object:
    """Polls `check()` every 100 ms until it returns something true, for at most `limit` seconds;
    raises BenchError naming `what` with the diagnostics otherwise."""
    from .errors import BenchError

    deadline = time.monotonic() + limit
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise BenchError(f"{what} did not happen within {limit:.0f} s\n{diagnostics()}")
        time.sleep(0.1)
