"""What every figure gets: the options, a private temporary directory, the binaries."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Context:
    work: Path  # this run's temporary directory (removed at the end unless --keep)
    hardphone: Path  # the stripped copy of the release build: the phone measured
    hardphone_unstripped: Path  # target/release/hardphone
    seconds: float  # measurement window of the timed figures
    settle: float  # seconds between "both registered" and the start of a window
    verbose: bool = False

    def dir(self, name: str) -> Path:
        path = self.work / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    def log(self, message: str) -> None:
        print(f"bench: {message}", file=sys.stderr, flush=True)
