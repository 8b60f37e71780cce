"""The figures of issue 7, in the issue's order. Each module has `ID`, `TITLE` and
`run(ctx) -> Result`; a figure that cannot be measured yet raises `NotYet`. To add one: write the
module, list it here; `run.py --only ID` selects it."""

from __future__ import annotations

from . import call_cpu, call_setup, idle, quality, size

FIGURES = [idle, call_cpu, quality, call_setup, size]
BY_ID = {figure.ID: figure for figure in FIGURES}
