"""What a command costs to start: CPU seconds of `watcher --help`, `--version`, `parse`,
`compare` and `list` (a 10-trial SQLite database), beside a bare `python -c pass`.

    python bench/bench_startup.py [--runs 20] [--tree PATH]

Each figure is the median of ``--runs`` runs of the console script, measured with wait4 (the
child's own user + system CPU). ``--tree`` runs another checkout of watcher (an older commit,
say) with the same interpreter, for a before/after table.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STUDY = ROOT / "tests" / "data" / "ctgov" / "ctgov_v2_study_NCT04267848_full_raw.json"
TRIALS = [f"NCT{90000000 + i:08d}" for i in range(10)]


def cpu_of(argv: Sequence[str], env: dict[str, str]) -> float:
    """The child's own CPU seconds, to its end. It runs in a folder of its own: `python -c`
    puts the working folder first on sys.path, before PYTHONPATH (``--tree``)."""
    proc = subprocess.Popen(
        argv,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
        cwd=env["BENCH_CWD"],
    )
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(argv)} failed")
    return usage.ru_utime + usage.ru_stime


def median_cpu(argv: Sequence[str], env: dict[str, str], runs: int) -> float:
    cpu_of(argv, env)  # warm the file cache and the .pyc files
    return statistics.median(cpu_of(argv, env) for _ in range(runs))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--tree", type=Path, help="another checkout of watcher to measure")
    args = parser.parse_args(argv)
    env = dict(os.environ)
    if args.tree:
        env["PYTHONPATH"] = str(args.tree.resolve())
    py = sys.executable
    # The console script pip writes runs `from watcher.cli import main; main()`.
    watcher = [py, "-c", "import sys; from watcher.cli import main; sys.exit(main())"]
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "w.db"
        env["WATCHER_DATABASE_URL"] = f"sqlite:///{db}"
        env["WATCHER_CONFIG"] = ""
        env["BENCH_CWD"] = tmp
        subprocess.run(
            [*watcher, "add", *TRIALS, "--no-fetch"], env=env, check=True, stdout=subprocess.DEVNULL
        )
        bare = median_cpu([py, "-c", "pass"], env, args.runs)
        rows = [("python -c pass", bare)]
        for label, extra in (
            ("watcher --help", ["--help"]),
            ("watcher --version", ["--version"]),
            ("watcher parse (CT.gov study)", ["parse", str(STUDY), "--source", "ctgov"]),
            ("watcher compare (CT.gov)", ["compare", str(STUDY), str(STUDY), "--source", "ctgov"]),
            ("watcher list (10 trials, SQLite)", ["list"]),
        ):
            rows.append((label, median_cpu([*watcher, *extra], env, args.runs)))
    print(f"| command | CPU (median of {args.runs}) | × python -c pass |")
    print("|---|---|---|")
    for label, cpu in rows:
        print(f"| {label} | {cpu * 1000:.0f} ms | {cpu / bare:.1f} |")


if __name__ == "__main__":
    main()
