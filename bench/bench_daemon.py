"""The daemon's memory over many cycles: `watcher run` on N CT.gov trials, its resident
memory sampled from /proc while it checks every trial 20 times, with 1% of them changing
before each pass.

Run:  .venv/bin/python bench/bench_daemon.py --trials 10000 --cycles 20 [--full] [--postgres]

A pass is the register having served every trial once more (the register counts the studies it
sends). The check interval is short (``--interval``), so that the daemon checks every trial once
per interval, spread over its ticks, as it would over a day. Memory must stay flat: the peak of
the last passes no higher than that of the first ones.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_cycle import database
from bench.harness import control, daemons, machine, register, watcher, write_config
from bench.register import ctgov_ids


def memory_mb(pid: int) -> tuple[float, float]:
    """Resident memory now and its peak so far (VmRSS, VmHWM)."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) / 1024
    return fields["VmRSS"], fields["VmHWM"]


def cpu_seconds(pid: int) -> float:
    stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--trials", type=int, default=10000)
    parser.add_argument("--cycles", type=int, default=20)
    parser.add_argument("--interval", default="60s", help="schedule.check_interval")
    parser.add_argument("--tick", default="5s", help="schedule.tick")
    parser.add_argument("--full", action="store_true", help="the full 1,148-site record")
    parser.add_argument("--postgres", action="store_true", help="a throwaway PostgreSQL")
    args = parser.parse_args()
    print(machine())
    extra = ["--full"] if args.full else []
    n = args.trials
    with (
        tempfile.TemporaryDirectory() as tmp,
        register("--ctgov", str(n), *extra) as url,
        database(args.postgres, Path(tmp)) as db,
    ):
        config = write_config(
            Path(tmp) / "watcher.toml", url, db, check_interval=args.interval, tick=args.tick
        )
        ids = Path(tmp) / "ids.txt"
        ids.write_text("\n".join(ctgov_ids(n)) + "\n")
        assert watcher(["import", str(ids), "--no-fetch"], config).returncode == 0
        control(url, "/_bench/reset", "POST")
        started = time.perf_counter()
        print(
            f"N = {n} ({'full' if args.full else 'typical'} records, "
            f"{'PostgreSQL' if args.postgres else 'SQLite'}), check_interval {args.interval}"
        )
        peaks: list[float] = []
        with daemons(config, [Path(tmp) / "daemon.log"]) as (daemon,):
            passes, peak_in_pass = 0, 0.0
            while passes < args.cycles:
                if daemon.poll() is not None:
                    raise SystemExit(f"watcher run exited with {daemon.returncode}")
                rss, _ = memory_mb(daemon.pid)
                peak_in_pass = max(peak_in_pass, rss)
                served = control(url, "/_bench/stats")["studies"]
                if served >= (passes + 1) * n:
                    passes += 1
                    peaks.append(peak_in_pass)
                    print(
                        f"  pass {passes:>2}: {time.perf_counter() - started:7.1f} s, "
                        f"peak RSS in the pass {peak_in_pass:6.1f} MB, now {rss:6.1f} MB, "
                        f"CPU so far {cpu_seconds(daemon.pid):7.1f} s",
                        flush=True,
                    )
                    peak_in_pass = rss
                    control(url, f"/_bench/change?fraction=0.01&seed={passes}", "POST")
                time.sleep(0.2)
            _, hwm = memory_mb(daemon.pid)
    first, last = max(peaks[:3]), max(peaks[-3:])
    # The kernel updates VmHWM lazily: a sample can be above it.
    print(
        f"peak RSS: {max(hwm, *peaks):.1f} MB over {args.cycles} passes; first three passes "
        f"{first:.1f} MB, last three {last:.1f} MB ({last - first:+.1f} MB)"
    )


if __name__ == "__main__":
    main()
