"""Figure 1, idle: resident memory and CPU seconds of a phone registered to a local registrar,
over a window (default 60 s), both phones side by side in the same run.

Method: Kamailio on 127.0.0.1; both phones started at once, each with one UDP account, expiry
300 s; once Kamailio's location table holds both bindings and `settle` seconds have passed, the
window starts. CPU = utime + stime (/proc/PID/stat, all threads, 1/CLK_TCK resolution) at the end
of the window minus at its start; also the threads' run time from schedstat (ns resolution, live
threads only) as a finer cross-check. Memory at the end: VmHWM (peak resident set since start,
the goal's figure) and VmRSS, RssAnon, RssFile (/proc/PID/status), Pss and private memory
(/proc/PID/smaps_rollup). Both bindings must still be there at the end, else the run is invalid.
"""

from __future__ import annotations

import time

from .. import procfs, rig
from ..context import Context
from ..proc import Processes
from ..result import Result, Row

ID = "idle"
TITLE = "1. Idle: memory and CPU of a registered phone"

MEMORY_ROWS = [
    ("VmHWM", "idle.vmhwm", "Idle memory: peak resident set (VmHWM)"),
    ("VmRSS", "idle.vmrss", "Idle memory: resident set at the end (VmRSS)"),
    ("RssAnon", "idle.rssanon", "Idle memory: anonymous part: heap, stacks (RssAnon)"),
    ("RssFile", "idle.rssfile", "Idle memory: file-backed part: code, libraries (RssFile)"),
    ("Pss", "idle.pss", "Idle memory: proportional set (Pss)"),
    ("Private", "idle.private", "Idle memory: private to the process (Private_*)"),
]


def run(ctx: Context) -> Result:
    dir = ctx.dir("idle")
    with Processes() as processes:
        bench = rig.start(ctx, processes, dir)
        time.sleep(ctx.settle)
        bench.check_running()

        start = {p.name: p.cpu() for p in bench.phones()}
        t0 = time.monotonic()
        ctx.log(f"idle window: {ctx.seconds:g} s")
        while (left := ctx.seconds - (time.monotonic() - t0)) > 0:
            time.sleep(min(1.0, left))
            bench.check_running()
        end = {p.name: p.cpu() for p in bench.phones()}
        elapsed = time.monotonic() - t0
        memory = {p.name: p.memory() for p in bench.phones()}
        threads = {p.name: procfs.thread_count(p.pid) for p in bench.phones()}
        mapped = {p.name: procfs.mapped_files(p.pid) for p in bench.phones()}
        by_mapping = {p.name: procfs.rss_by_mapping_kib(p.pid) for p in bench.phones()}

        bindings = bench.check_registered("at the end of the window")
        exits = rig.stop_phones(bench)
        # SIGTERM unregisters both (not part of the figure; recorded as a check).
        unregistered = {
            p.name: bench.kamailio.registered(p.account.user, p.sip_port) is None for p in bench.phones()
        }

    cpu = {name: end[name].seconds - start[name].seconds for name in end}
    sched = {
        name: (end[name].sched_ns - start[name].sched_ns) / 1e9
        if end[name].sched_ns is not None and start[name].sched_ns is not None
        else None
        for name in end
    }
    rows = [
        Row(key, label, "KiB", memory["hardphone"].get(field), memory["baresip"].get(field))
        for field, key, label in MEMORY_ROWS
    ]
    rows.append(
        Row(
            "idle.cpu",
            f"Idle CPU over {elapsed:.0f} s (utime+stime)",
            "s",
            cpu["hardphone"],
            cpu["baresip"],
            note=f"/proc/PID/stat, resolution {1 / procfs.CLK_TCK:.2f} s",
        )
    )
    if sched["hardphone"] is not None and sched["baresip"] is not None:
        rows.append(
            Row(
                "idle.cpu_sched",
                f"Idle CPU over {elapsed:.0f} s (schedstat run time)",
                "s",
                sched["hardphone"],
                sched["baresip"],
                note="sum of live threads' /proc/PID/task/*/schedstat",
            )
        )
    runs = {
        name: end[name].sched_runs - start[name].sched_runs
        if end[name].sched_runs is not None and start[name].sched_runs is not None
        else None
        for name in end
    }
    if runs["hardphone"] is not None and runs["baresip"] is not None:
        rows.append(
            Row(
                "idle.wakeups",
                f"Idle wake-ups over {elapsed:.0f} s (times put on a CPU)",
                "",
                runs["hardphone"],
                runs["baresip"],
                note="schedstat run count, all live threads",
            )
        )
    return Result(
        ID,
        TITLE,
        "ok",
        rows=rows,
        details={
            "window_seconds": elapsed,
            "settle_seconds": ctx.settle,
            "expires": rig.EXPIRES,
            "hardphone_keepalive_secs": rig.HARDPHONE_KEEPALIVE_SECS,
            "threads": threads,
            "memory_kib": memory,
            "cpu_schedstat_ns": {n: {"start": start[n].sched_ns, "end": end[n].sched_ns} for n in end},
            "cpu_ticks": {
                n: {"start": [start[n].utime_ticks, start[n].stime_ticks], "end": [end[n].utime_ticks, end[n].stime_ticks]}
                for n in end
            },
            "clk_tck": procfs.CLK_TCK,
            "bindings": bindings,
            "rss_by_mapping_kib": by_mapping,
            "mapped_files": mapped,
            "exit_status": exits,
            "unregistered_on_sigterm": unregistered,
        },
    )
