"""What /proc says about a process: memory (status, smaps_rollup), CPU time (stat, schedstat),
the files it has mapped (maps), its children. Linux only; every figure is read, never estimated."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

CLK_TCK = os.sysconf("SC_CLK_TCK")


def status_kib(pid: int) -> dict[str, int]:
    """The `kB` fields of /proc/PID/status (VmHWM, VmRSS, RssAnon, RssFile, ...), in KiB."""
    fields: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        parts = value.split()
        if len(parts) == 2 and parts[1] == "kB":
            fields[key] = int(parts[0])
    return fields


def smaps_rollup_kib(pid: int) -> dict[str, int]:
    """/proc/PID/smaps_rollup (Pss, Private_Dirty, ...), in KiB; empty when the kernel lacks it."""
    fields: dict[str, int] = {}
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return fields
    for line in text.splitlines()[1:]:
        key, _, value = line.partition(":")
        parts = value.split()
        if len(parts) == 2 and parts[1] == "kB":
            fields[key] = int(parts[0])
    return fields


@dataclass(frozen=True)
class CpuSample:
    """CPU time a process has used so far, all its threads together."""

    utime_ticks: int
    stime_ticks: int
    # Sum over the live threads of /proc/PID/task/*/schedstat: run time in ns and the number of
    # times a thread was put on a CPU (about its wake-ups); None when unavailable.
    sched_ns: int | None
    sched_runs: int | None

    @property
    def seconds(self) -> float:
        """utime + stime, in seconds (resolution 1/CLK_TCK)."""
        return (self.utime_ticks + self.stime_ticks) / CLK_TCK


def stat_fields(pid: int) -> list[str]:
    """/proc/PID/stat split after the command name (which may hold spaces and parentheses):
    element 0 is field 3 (state), so field N of proc(5) is element N - 3."""
    text = Path(f"/proc/{pid}/stat").read_text()
    return text[text.rindex(")") + 2 :].split()


def cpu_sample(pid: int) -> CpuSample:
    fields = stat_fields(pid)
    utime, stime = int(fields[14 - 3]), int(fields[15 - 3])
    sched_ns: int | None = 0
    sched_runs: int | None = 0
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            run_ns, _wait_ns, runs = Path(f"/proc/{pid}/task/{task}/schedstat").read_text().split()[:3]
            sched_ns += int(run_ns)  # type: ignore[operator]
            sched_runs += int(runs)  # type: ignore[operator]
    except (OSError, ValueError):
        sched_ns = sched_runs = None
    return CpuSample(utime, stime, sched_ns, sched_runs)


def start_time(pid: int) -> int | None:
    """When the process started, in clock ticks after boot (field 22); None if it is gone."""
    try:
        return int(stat_fields(pid)[22 - 3])
    except (OSError, IndexError, ValueError):
        return None


def thread_count(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/task"))


def mapped_files(pid: int) -> list[str]:
    """The files a process has mapped (its executable, shared libraries, dlopen()ed modules),
    sorted, each once."""
    files = set()
    for line in Path(f"/proc/{pid}/maps").read_text().splitlines():
        parts = line.split(None, 5)
        if len(parts) == 6 and parts[5].startswith("/"):
            files.add(parts[5].removesuffix(" (deleted)"))
    return sorted(files)


def rss_by_mapping_kib(pid: int) -> dict[str, int]:
    """Resident KiB by what is mapped (/proc/PID/smaps): "file (perms)" for a file's mappings,
    "[heap]", "[stack]", "[anon]" for the rest; largest first."""
    totals: dict[str, int] = {}
    name = "[anon]"
    for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
        first = line.split(None, 5)
        if first and "-" in first[0] and len(first) >= 5 and ":" not in first[0]:
            path = first[5].strip() if len(first) == 6 else ""
            name = f"{path} ({first[1]})" if path.startswith("/") else (path or "[anon]")
        elif line.startswith("Rss:"):
            totals[name] = totals.get(name, 0) + int(line.split()[1])
    return dict(sorted(((k, v) for k, v in totals.items() if v), key=lambda kv: -kv[1]))


def children(pid: int) -> list[int]:
    """The PIDs whose parent is `pid` (one level)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if int(stat_fields(int(entry))[4 - 3]) == pid:
                found.append(int(entry))
        except (OSError, ValueError, IndexError):
            continue
    return found


def alive(pid: int) -> bool:
    """Whether `pid` exists and is not a zombie."""
    try:
        return stat_fields(pid)[0] != "Z"
    except OSError:
        return False


def thread_samples(pid: int) -> dict[int, dict]:
    """Per live thread: its name (comm), utime + stime ticks, schedstat run time (ns) and run
    count; threads that vanish while being read are skipped."""
    threads: dict[int, dict] = {}
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return threads
    for task in tasks:
        base = f"/proc/{pid}/task/{task}"
        try:
            comm = Path(f"{base}/comm").read_text().strip()
            text = Path(f"{base}/stat").read_text()
            fields = text[text.rindex(")") + 2 :].split()
            run_ns, _wait, runs = Path(f"{base}/schedstat").read_text().split()[:3]
        except (OSError, ValueError):
            continue
        threads[int(task)] = {
            "comm": comm,
            "ticks": int(fields[14 - 3]) + int(fields[15 - 3]),
            "run_ns": int(run_ns),
            "runs": int(runs),
        }
    return threads


def thread_deltas(start: dict[int, dict], end: dict[int, dict]) -> list[dict]:
    """What each thread alive at `end` used since `start` (a thread born in between counts from
    zero), largest run time first."""
    out = []
    for tid, now in end.items():
        before = start.get(tid, {"ticks": 0, "run_ns": 0, "runs": 0})
        out.append(
            {
                "tid": tid,
                "comm": now["comm"],
                "cpu_s": (now["ticks"] - before["ticks"]) / CLK_TCK,
                "run_ms": (now["run_ns"] - before["run_ns"]) / 1e6,
                "runs": now["runs"] - before["runs"],
            }
        )
    return sorted(out, key=lambda t: -t["run_ms"])
