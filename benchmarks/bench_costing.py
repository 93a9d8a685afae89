"""Benchmark: load and cost the bundled pathway, and a generated pathway of 5,000 services.

Run from the repository root::

    PYTHONPATH=. python benchmarks/bench_costing.py            # both, best of 5 runs
    PYTHONPATH=. python benchmarks/bench_costing.py --services 20000 --repeat 3

Each run is timed end to end: read and validate the YAML (``load_pathway``), read the
tariff (``load_tariff``), cost (``cost``) and turn every figure into plain Python values
(``CostResult.to_dict``), as ``careprofiles cost --format json`` does. Imports are not
timed (they are paid once a process). The generated pathway is written to a temporary
folder: four stages, services spread evenly over them, each with contacts, two or three
staff lines and, for every third service, an item; a third of the numbers are
distributions. The target is under one second for 5,000 services on a 2-core machine.
"""

from __future__ import annotations

import argparse
import gc
import math
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from careprofiles.costing.result import cost
from careprofiles.profiles.load import load_pathway
from careprofiles.resources import bundled_tariff
from careprofiles.tariffs.tables import load_tariff

ROLES = ("district-nurse", "healthcare-assistant", "gp", "palliative-cns", "staff-nurse")
ITEMS = ("anticipatory-medicines", "syringe-pump-week", "hospice-bed-day")
SETTINGS = ("home", "care-home", "hospice", "clinic", "telephone", "video")


def write_generated(folder: Path, services: int, stages: int = 4) -> Path:
    """Write a pathway of ``services`` services over ``stages`` stages; return its folder."""
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    per_stage = -(-services // stages)
    n = 0
    for s in range(stages):
        out = [
            "format: careprofiles/1",
            f"id: stage-{s}",
            f"name: Generated stage {s}",
            f"duration_weeks: {{dist: triangular, low: {s + 1}, mode: {s + 2}, high: {s + 4}}}",
            f"reach: {0.9 - 0.1 * s:.2f}",
            "services:",
        ]
        for _ in range(min(per_stage, services - n)):
            kind = ("per_week", "per_day", "per_stage")[n % 3]
            uptake = (
                "{dist: beta, mean: 0.6, sd: 0.1}" if n % 3 == 0 else f"{0.2 + (n % 7) / 10:.1f}"
            )
            minutes = (
                "{dist: pert, low: 20, mode: 30, high: 60}" if n % 3 == 1 else str(15 + n % 45)
            )
            out += [
                f"  - id: service-{n}",
                f"    name: Generated service {n}",
                f"    setting: {SETTINGS[n % len(SETTINGS)]}",
                f"    uptake: {uptake}",
                "    contacts:",
                f"      {kind}: {1 + n % 4}",
                f"      minutes: {minutes}",
                f"      travel_minutes: {n % 20}",
                "    staff:",
                f"      - role: {ROLES[n % len(ROLES)]}",
                f"      - role: {ROLES[(n + 1) % len(ROLES)]}",
                "        share: 0.5",
            ]
            if n % 2:
                out += [f"      - role: {ROLES[(n + 2) % len(ROLES)]}", "        count: 2"]
            if n % 3 == 0:
                out += [
                    "    items:",
                    f"      - code: {ITEMS[n % len(ITEMS)]}",
                    "        quantity: 1",
                ]
            n += 1
        name = f"stage-{s}.yaml"
        (folder / name).write_text("\n".join(out) + "\n", encoding="utf-8")
        names.append(name)
    (folder / "pathway.yaml").write_text(
        "format: careprofiles/1\nid: generated\nname: Generated pathway\n"
        'price_year: "2024/25"\ncohort:\n  population: 1000000\n'
        "  deaths_per_1000: {dist: triangular, low: 9, mode: 9.5, high: 10}\n"
        "  eligible_share: 0.75\nstages:\n" + "".join(f"  - {n}\n" for n in names),
        encoding="utf-8",
    )
    return folder


def end_to_end(folder: Path | None) -> dict[str, float]:
    """Load, cost and ``to_dict`` once; the seconds each step took."""
    c0 = time.process_time()
    t0 = time.perf_counter()
    pathway = load_pathway(folder)
    t1 = time.perf_counter()
    tariff = load_tariff(bundled_tariff())
    t2 = time.perf_counter()
    result = cost(pathway, tariff)
    t3 = time.perf_counter()
    result.to_dict()
    t4 = time.perf_counter()
    c4 = time.process_time()
    return {
        "load": t1 - t0,
        "tariff": t2 - t1,
        "cost": t3 - t2,
        "to_dict": t4 - t3,
        "total": t4 - t0,
        "cpu": c4 - c0,
    }


def best_of(run: Callable[[], dict[str, float]], repeat: int) -> dict[str, float]:
    """The fastest of ``repeat`` runs (and the median total), after one warm-up run."""
    run()
    times = []
    for _ in range(repeat):
        gc.collect()
        times.append(run())
    best = min(times, key=lambda t: t["total"])
    return {**best, "median_total": statistics.median(t["total"] for t in times)}


def calibration() -> float:
    """Seconds this machine takes for a fixed pure-Python loop (best of 5): a yardstick
    for comparing the figures with another machine's (about 0.05 s on a recent laptop)."""
    best = math.inf
    for _ in range(5):
        start = time.perf_counter()
        sum(i * i for i in range(1_000_000))
        best = min(best, time.perf_counter() - start)
    return best


def machine() -> str:
    """Python, numpy and pandas versions and the processor."""
    import os

    return (
        f"Python {platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}, "
        f"{os.cpu_count()} CPUs, {platform.machine()} {platform.processor() or ''}".strip()
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--services", type=int, default=5000, help="services to generate")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs (best is shown)")
    args = parser.parse_args(argv)
    print(machine())
    print(f"pure-Python yardstick: {calibration():.3f} s (sum of 1e6 squares)")
    rows = []
    default = best_of(lambda: end_to_end(None), args.repeat)
    rows.append(("bundled pathway", default))
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_generated(Path(tmp) / "generated", args.services)
        size = sum(f.stat().st_size for f in folder.iterdir())
        generated = best_of(lambda: end_to_end(folder), args.repeat)
        lines = len(cost(load_pathway(folder), load_tariff()).lines)
    rows.append(
        (f"{args.services:,} services ({lines:,} lines, {size / 1e6:.1f} MB YAML)", generated)
    )
    print(
        f"{'':44} {'load':>7} {'tariff':>7} {'cost':>7} {'to_dict':>7} {'total':>7} {'median':>7}"
    )
    for label, t in rows:
        print(
            f"{label:44} {t['load']:7.3f} {t['tariff']:7.3f} {t['cost']:7.3f} "
            f"{t['to_dict']:7.3f} {t['total']:7.3f} {t['median_total']:7.3f} {t['cpu']:7.3f}"
        )
    print(
        f"seconds of wall-clock time (best of {args.repeat} runs after a warm-up, and the "
        "median); cpu: the process's CPU seconds in the best run"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
