"""Benchmark the command line's start-up: whole processes, as a user runs them.

Runnable by anyone from the repository root::

    python benchmarks/bench_startup.py              # best of 9 runs of each command
    python benchmarks/bench_startup.py --repeat 21

Each command runs as its own process (``python -m careprofiles ...`` with this
interpreter) on the bundled pathway and tariff, output thrown away; the runs of the
commands are interleaved round by round, so a busy machine slows them alike, and the
best and the median of each are reported. Targets (issue 17): ``--version`` and
``--help`` under 0.1 s, ``validate`` and ``cost`` under 0.4 s.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

COMMANDS: dict[str, tuple[list[str], float]] = {
    "--version": (["--version"], 0.1),
    "--help": (["--help"], 0.1),
    "validate": (["validate"], 0.4),
    "cost": (["cost"], 0.4),
    "spec": (["spec", "-o", str(Path(tempfile.gettempdir()) / "bench-spec.md"), "--force"], 0.0),
    "sensitivity": (["sensitivity"], 0.0),
}
"""Each command's arguments and its target in seconds (0: no target, for scale)."""


def run_once(args: list[str]) -> float:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "careprofiles", *args],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
        cwd=ROOT,
    )
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=9, help="runs of each command")
    args = parser.parse_args(argv)
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for cmd, _ in COMMANDS.values():  # warm the file cache and .pyc files
        run_once(cmd)
    for _ in range(args.repeat):
        for name, (cmd, _) in COMMANDS.items():
            times[name].append(run_once(cmd))
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    print(
        f"python {platform.python_version()}, {os.cpu_count()} CPUs, load average "
        f"{load[0]:.2f}; best and median of {args.repeat} runs, whole processes"
    )
    print(f"{'command':<14}{'best':>8}{'median':>9}  target")
    for name, (_, target) in COMMANDS.items():
        best, median = min(times[name]), statistics.median(times[name])
        verdict = "" if not target else ("met" if best < target else "NOT met")
        shown = f"< {target:g} s {verdict}" if target else ""
        print(f"{name:<14}{best:>7.3f}s{median:>8.3f}s  {shown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
