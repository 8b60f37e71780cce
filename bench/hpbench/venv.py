"""The Python packages of the call figures (numpy; pesq for figure 3), in a virtual environment
under bench/.venv (ignored by git), made on first use: `python3 -m venv bench/.venv`, then
`bench/.venv/bin/pip install -r bench/requirements.txt` (pesq is built from source: it needs a C
compiler). run.py then runs itself again with that environment's Python."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from .errors import BenchError

BENCH = Path(__file__).resolve().parents[1]
VENV = BENCH / ".venv"
REQUIREMENTS = BENCH / "requirements.txt"
MARK = "HPBENCH_IN_VENV"


def available() -> bool:
    try:
        import numpy  # noqa: F401
        import pesq  # noqa: F401
    except ImportError:
        return False
    return True


def ensure(argv: list[str], install: bool) -> None:
    """Returns when numpy and pesq import; otherwise makes bench/.venv (unless `install` is
    false) and re-executes run.py with its Python (never returns then)."""
    if available():
        return
    python = VENV / "bin" / "python"
    if os.environ.get(MARK):
        raise BenchError(f"numpy or pesq missing even in {VENV}: rm -rf {VENV} and run again")
    if not python.exists() or not _has_packages(python):
        if not install:
            raise BenchError(
                f"the call figures need numpy and pesq: python3 -m venv {VENV} && "
                f"{VENV}/bin/pip install -r {REQUIREMENTS} (or drop --no-install)"
            )
        print(f"bench: installing numpy and pesq into {VENV} (pip)", flush=True)
        if not python.exists() and subprocess.run([sys.executable, "-m", "venv", str(VENV)]).returncode != 0:
            raise BenchError(f"python3 -m venv {VENV} failed (Debian: apt-get install -y python3-venv)")
        pip = [str(python), "-m", "pip", "install", "--quiet", "-r", str(REQUIREMENTS)]
        if subprocess.run(pip).returncode != 0:
            raise BenchError(f"pip install -r {REQUIREMENTS} failed (pesq needs a C compiler: apt-get install -y build-essential)")
    os.environ[MARK] = "1"
    sys.stdout.flush()
    os.execv(str(python), [str(python), str(BENCH / "run.py"), *argv])


def _has_packages(python: Path) -> bool:
    return subprocess.run([str(python), "-c", "import numpy, pesq"], capture_output=True).returncode == 0
