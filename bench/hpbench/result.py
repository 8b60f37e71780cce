"""One figure's result: rows of (Hardphone, baresip, ratio) from the same run, each compared with
its goal (goals.py), plus the details that explain it (JSON only)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from . import goals


@dataclass
class Row:
    key: str  # stable id, e.g. "idle.vmhwm"; goals are keyed by it
    label: str
    unit: str  # "KiB", "s", "ms", "B", "MOS" (a PESQ score), "%"
    hardphone: float | None
    baresip: float | None
    ratio: float | None = None  # hardphone / baresip
    goal: str | None = None
    met: bool | None = None
    note: str = ""  # JSON only; shown in the table instead of the values when both are None
    compare: str = "ratio"  # "ratio" (hardphone / baresip) or "difference" (hardphone − baresip)
    difference: float | None = None

    def __post_init__(self):
        if self.compare == "difference":
            if self.hardphone is not None and self.baresip is not None:
                self.difference = self.hardphone - self.baresip
        elif self.ratio is None and self.hardphone is not None and self.baresip:
            self.ratio = self.hardphone / self.baresip
        goal = goals.GOALS.get(self.key)
        if goal is not None:
            self.goal = goal.text
            if goal.max_ratio is not None and self.ratio is not None:
                self.met = self.ratio <= goal.max_ratio
            if goal.min_difference is not None and self.difference is not None:
                # PESQ scores are printed to two decimals: compare what is printed.
                self.met = round(self.difference, 2) >= goal.min_difference


@dataclass
class Result:
    id: str
    title: str
    status: str  # "ok", "not yet", "error"
    message: str = ""
    rows: list[Row] = field(default_factory=list)
    details: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        return asdict(self)
