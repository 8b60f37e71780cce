"""The goals of issue 7, as the largest ratio Hardphone / baresip that meets each (lower is
better for every figure so far). A row without an entry here has no goal yet: the table shows
"—". Add the goals of the call figures (2-4) when they are measured."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Goal:
    max_ratio: float
    text: str


GOALS: dict[str, Goal] = {
    # "Goals: idle memory <= 0.5x baresip" (issue 7): the peak resident set of the idle phone.
    "idle.vmhwm": Goal(0.5, "≤ 0.5×"),
}
