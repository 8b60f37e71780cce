"""The goals of issue 7. Most are the largest ratio Hardphone / baresip that meets them (lower is
better: memory, CPU, delay, setup time); the quality goals are differences of PESQ scores
(Hardphone − baresip, higher is better). A row without an entry here has no goal: the table
shows "—"."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Goal:
    text: str
    max_ratio: float | None = None  # met when hardphone / baresip <= max_ratio
    min_difference: float | None = None  # met when hardphone - baresip >= min_difference


GOALS: dict[str, Goal] = {
    # "Goals: idle memory <= 0.5x baresip" (issue 7): the peak resident set of the idle phone.
    "idle.vmhwm": Goal("≤ 0.5×", max_ratio=0.5),
    # "CPU per PCMU call <= 0.5x".
    "call_cpu.pcmu": Goal("≤ 0.5×", max_ratio=0.5),
    # "PESQ at least equal on clean, and >= +0.3 on the bursty-loss and jitter-with-loss
    # profiles, at a receive delay no higher than baresip's".
    "quality.clean.pesq": Goal("≥ +0.00", min_difference=0.0),
    "quality.bursty8.pesq": Goal("≥ +0.30", min_difference=0.3),
    "quality.jitter80loss5.pesq": Goal("≥ +0.30", min_difference=0.3),
    "quality.clean.delay": Goal("≤ 1×", max_ratio=1.0),
    "quality.bursty8.delay": Goal("≤ 1×", max_ratio=1.0),
    "quality.jitter80loss5.delay": Goal("≤ 1×", max_ratio=1.0),
    # "call setup <= baresip's".
    "call_setup.median": Goal("≤ 1×", max_ratio=1.0),
}
