"""watcher beside urlwatch, its closest general-purpose peer, on the same trials, same register,
same run: one full check cycle (baseline, no change, 1% changed) and the storage each keeps.

Run:  python -m venv /tmp/uw && /tmp/uw/bin/pip install urlwatch==2.29
      .venv/bin/python bench/bench_urlwatch.py --trials 1000 --urlwatch /tmp/uw/bin/urlwatch

urlwatch watches one URL per trial (the study's API URL, the same JSON watcher batches) with
its defaults; watcher checks the same trials with its defaults. Both run as child processes,
measured with wait4; the register runs in a third.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import Run, control, db_size_mb, machine, register, watcher, write_config
from bench.register import ctgov_ids


def urlwatch(binary: str, directory: Path) -> Run:
    started = time.perf_counter()
    with open(os.devnull, "wb") as null:
        proc = subprocess.Popen(
            [
                binary,
                "--urls",
                str(directory / "urls.yaml"),
                "--config",
                str(directory / "urlwatch.yaml"),
                "--cache",
                str(directory / "cache.db"),
                "--hooks",
                str(directory / "hooks.py"),
            ],
            stdout=null,
            stderr=null,
            env={**os.environ, "HOME": str(directory)},
        )
        _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, code, "", "")


def row(tool: str, label: str, run: Run, requests: int, size: float) -> str:
    return (
        f"| {tool} | {label} | {run.wall:.2f} s | {run.cpu:.2f} s | {run.max_rss_mb:.0f} MB "
        f"| {requests} | {size:.1f} MB |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--trials", type=int, default=1000)
    parser.add_argument("--urlwatch", default="urlwatch", help="the urlwatch command")
    parser.add_argument(
        "--full-sweep-each-cycle",
        action="store_true",
        help="fetch every study each cycle (no list of CT.gov's updates in between)",
    )
    args = parser.parse_args()
    print(machine())
    print("| tool | cycle | wall | CPU | peak RSS | requests | storage after |")
    print("|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp, register("--ctgov", str(args.trials)) as url:
        here = Path(tmp)
        db = f"sqlite:///{here / 'watcher.db'}"
        sweep = 'full_sweep = ""' if args.full_sweep_each_cycle else ""
        config = write_config(here / "watcher.toml", url, db, ctgov=sweep)
        ids = ctgov_ids(args.trials)
        (here / "ids.txt").write_text("\n".join(ids) + "\n")
        assert watcher(["import", str(here / "ids.txt"), "--no-fetch"], config).returncode == 0
        jobs = [f"name: {t}\nurl: {url}/api/v2/studies/{t}\n" for t in ids]
        (here / "urls.yaml").write_text("---\n".join(jobs))
        (here / "hooks.py").write_text("")
        (here / "urlwatch.yaml").write_text(
            "display: {new: true, error: true, unchanged: false}\n"
            "report: {stdout: {enabled: true, color: false}}\n"
        )
        ratios: dict[str, tuple[float, float, float]] = {}
        for label, change in (("baseline", None), ("no change", None), ("1% changed", 0.01)):
            if change:
                control(url, f"/_bench/change?fraction={change}&seed=1", "POST")
            control(url, "/_bench/reset", "POST")
            ours = watcher(["check", "--json"], config)
            ours_requests = sum(control(url, "/_bench/stats")["requests"].values())
            control(url, "/_bench/reset", "POST")
            theirs = urlwatch(args.urlwatch, here)
            theirs_requests = sum(control(url, "/_bench/stats")["requests"].values())
            theirs_size = (here / "cache.db").stat().st_size / 2**20
            ours_size = db_size_mb(db)
            print(row("watcher", label, ours, ours_requests, ours_size))
            print(row("urlwatch", label, theirs, theirs_requests, theirs_size), flush=True)
            ratios[label] = (
                ours.wall / theirs.wall,
                ours.cpu / theirs.cpu,
                ours_size / theirs_size,
            )
        print()
        for label, (wall, cpu, size) in ratios.items():
            print(
                f"{label}: watcher / urlwatch = wall {wall:.2f}, CPU {cpu:.2f}, storage {size:.2f}"
            )


if __name__ == "__main__":
    main()
