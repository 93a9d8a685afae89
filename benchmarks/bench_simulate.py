"""Benchmark: ``careprofiles simulate`` against a plain hand-written numpy Monte Carlo.

A synthetic pathway of 10 stages x 30 services (300 services, 660 cost lines, about
1,040 uncertain numbers) is written to a temporary folder. Then, for the same seed:

* **careprofiles (API)**: ``load_pathway`` + ``load_tariff`` + ``simulate`` + ``to_dict``;
* **careprofiles (CLI)**: ``python -m careprofiles simulate ... --format json -o FILE``
  (a fresh interpreter: imports and start-up included);
* **hand-written numpy**: read the same YAML and CSV with PyYAML and csv, draw the same
  numbers (the same per-number random streams, ``default_rng(seed).spawn(k)``), cost
  every line with plain vectorised numpy, and summarise; no careprofiles code at all.

It checks that both give the same draws (per patient, to 1e-9 relative), then reports the
best of ``--repeat`` wall-clock times, their ratio (target: careprofiles within 1.25x),
and the peak memory of the API run (tracemalloc).

    python benchmarks/bench_simulate.py            # 100,000 draws (a minute or two)
    python benchmarks/bench_simulate.py --quick    # 5,000 draws, a few seconds
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

STAGES = 10
SERVICES = 30
ROLES = ("nurse", "hca", "doctor", "therapist", "social-worker", "carer", "cns", "matron")
ITEMS = ("pack", "pump-week", "bed-day")
SEED = 20240601


# --------------------------------------------------------------------------------------
# The synthetic pathway.


def _tri(rng: np.random.Generator, mode: float, spread: float) -> dict[str, Any]:
    low = round(mode * (1 - spread * rng.uniform(0.2, 1)), 4)
    high = round(mode * (1 + spread * rng.uniform(0.2, 1)), 4)
    return {"dist": "triangular", "low": low, "mode": round(mode, 4), "high": high}


def _share(rng: np.random.Generator) -> dict[str, Any]:
    mode = round(rng.uniform(0.2, 0.8), 3)
    return {
        "dist": "pert",
        "low": round(mode - 0.15, 3),
        "mode": mode,
        "high": round(mode + 0.15, 3),
    }


def write_pathway(folder: Path) -> tuple[Path, Path]:
    """Write the synthetic pathway and its tariff; return (pathway folder, tariff CSV)."""
    rng = np.random.default_rng(7)
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for s in range(STAGES):
        services = []
        for v in range(SERVICES):
            kind = ("per_week", "per_day", "per_stage")[v % 3]
            base = {"per_week": 2.0, "per_day": 0.5, "per_stage": 4.0}[kind]
            service: dict[str, Any] = {
                "id": f"service-{v + 1}",
                "setting": "home",
                "uptake": _share(rng),
                "contacts": {
                    kind: _tri(rng, base * rng.uniform(0.5, 1.5), 0.5),
                    "minutes": _tri(rng, float(rng.integers(15, 90)), 0.4),
                    "travel_minutes": float(rng.integers(0, 30)),
                },
                "staff": [
                    {"role": ROLES[(s + v) % len(ROLES)]},
                    {
                        "role": ROLES[(s + v + 3) % len(ROLES)],
                        "share": _share(rng) if (s * SERVICES + v) < 60 else 0.5,
                    },
                ],
            }
            if (s * SERVICES + v) % 5 == 0:
                service["items"] = [
                    {
                        "code": ITEMS[v % len(ITEMS)],
                        "quantity": _tri(rng, float(rng.integers(1, 8)), 0.5),
                    }
                ]
            services.append(service)
        stage = {
            "format": "careprofiles/1",
            "id": f"stage-{s + 1}",
            "duration_weeks": _tri(rng, float(rng.integers(1, 30)), 0.5),
            "reach": _share(rng),
            "services": services,
        }
        name = f"stage-{s + 1}.yaml"
        (folder / name).write_text(yaml.safe_dump(stage, sort_keys=False), encoding="utf-8")
        names.append(name)
    header = {
        "format": "careprofiles/1",
        "id": "synthetic",
        "name": "Synthetic benchmark pathway",
        "price_year": "2024/25",
        "cohort": {"patients": 2000},
        "stages": names,
    }
    (folder / "pathway.yaml").write_text(yaml.safe_dump(header, sort_keys=False), encoding="utf-8")
    tariff = folder.parent / "tariff.csv"
    rows = [f"{r},hour,{40 + 10 * i},2024/25" for i, r in enumerate(ROLES)]
    rows += [f"{c},item,{25 + 30 * i},2024/25" for i, c in enumerate(ITEMS)]
    tariff.write_text("code,unit,cost,price_year\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return folder, tariff


# --------------------------------------------------------------------------------------
# The plain hand-written numpy Monte Carlo (no careprofiles code).


def _draw(spec: Any, rng: np.random.Generator, n: int) -> np.ndarray:
    if spec["dist"] == "triangular":
        return np.asarray(rng.triangular(spec["low"], spec["mode"], spec["high"], n))
    width = spec["high"] - spec["low"]  # pert, lambda 4
    a = 1 + 4 * (spec["mode"] - spec["low"]) / width
    b = 1 + 4 * (spec["high"] - spec["mode"]) / width
    return np.asarray(spec["low"] + width * rng.beta(a, b, n))


def hand_written(folder: Path, tariff_csv: Path, draws: int, seed: int) -> dict[str, Any]:
    """Read the files, draw, cost every line, summarise: plain numpy."""
    header = yaml.safe_load((folder / "pathway.yaml").read_text(encoding="utf-8"))
    stages = [yaml.safe_load((folder / n).read_text(encoding="utf-8")) for n in header["stages"]]
    with tariff_csv.open(encoding="utf-8") as fh:
        rate = {r["code"]: float(r["cost"]) for r in csv.DictReader(fh)}
    # every uncertain number in pathway order gets its own random stream (as careprofiles)
    order: list[tuple[int, ...]] = []
    for s, stage in enumerate(stages):
        order += [(s, -1, 0), (s, -1, 1)]  # duration, reach
        for v, service in enumerate(stage["services"]):
            order += [(s, v, 0)]  # uptake
            order += [(s, v, 1), (s, v, 2)]  # frequency, minutes
            for li, line in enumerate(service["staff"]):
                if isinstance(line.get("share"), dict):
                    order += [(s, v, 10 + li)]
            for ii, _item in enumerate(service.get("items", [])):
                order += [(s, v, 20 + ii)]
    streams = dict(zip(order, np.random.default_rng(seed).spawn(len(order)), strict=True))

    def value(key: tuple[int, ...], spec: Any) -> Any:
        return _draw(spec, streams[key], draws) if isinstance(spec, dict) else float(spec)

    cohort = float(header["cohort"]["patients"])
    stage_pp = np.zeros((len(stages), draws))
    for s, stage in enumerate(stages):
        duration = value((s, -1, 0), stage["duration_weeks"])
        reach = value((s, -1, 1), stage["reach"])
        acc = np.zeros(draws)
        for v, service in enumerate(stage["services"]):
            uptake = value((s, v, 0), service["uptake"])
            contacts = service["contacts"]
            kind = next(k for k in ("per_week", "per_day", "per_stage") if k in contacts)
            freq = value((s, v, 1), contacts[kind])
            n = (
                freq * duration * 7
                if kind == "per_day"
                else freq * duration
                if kind == "per_week"
                else freq
            )
            hours = n * (value((s, v, 2), contacts["minutes"]) + contacts["travel_minutes"]) / 60
            receiving = np.zeros(draws)
            for li, line in enumerate(service["staff"]):
                share = value((s, v, 10 + li), line.get("share", 1.0))
                receiving += hours * line.get("count", 1.0) * share * rate[line["role"]]
            for ii, item in enumerate(service.get("items", [])):
                receiving += value((s, v, 20 + ii), item["quantity"]) * rate[item["code"]]
            acc += uptake * receiving
        stage_pp[s] = reach * acc
    per_patient = stage_pp.sum(axis=0)

    def summary(x: np.ndarray) -> dict[str, float]:
        q = np.quantile(x, [0.025, 0.5, 0.975])
        return {
            "mean": float(x.mean()),
            "sd": float(x.std(ddof=1)),
            "p2.5": q[0],
            "p50": q[1],
            "p97.5": q[2],
        }

    return {
        "per_patient": summary(per_patient),
        "total": summary(per_patient * cohort),
        "stages": [{"per_patient": summary(x), "total": summary(x * cohort)} for x in stage_pp],
        "_per_patient": per_patient,
    }


# --------------------------------------------------------------------------------------
# careprofiles.


def careprofiles_api(folder: Path, tariff_csv: Path, draws: int, seed: int) -> dict[str, Any]:
    from careprofiles.costing.simulate import simulate
    from careprofiles.profiles.load import load_pathway
    from careprofiles.tariffs.tables import load_tariff

    result = simulate(load_pathway(folder), load_tariff(tariff_csv), draws, seed, progress=False)
    data = result.to_dict()
    data["_per_patient"] = result.draws["per_patient"].to_numpy()
    data["_uncertain"] = len(result.uncertain)
    return data


def careprofiles_cli(folder: Path, tariff_csv: Path, draws: int, seed: int, out: Path) -> None:
    out.unlink(missing_ok=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "careprofiles",
            "simulate",
            str(folder),
            "--tariff",
            str(tariff_csv),
            "--draws",
            str(draws),
            "--seed",
            str(seed),
            "--format",
            "json",
            "-o",
            str(out),
            "--no-progress",
        ],
        check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stderr=subprocess.DEVNULL,
    )


def best_of(repeat: int, run: Callable[[], Any]) -> tuple[float, float, Any]:
    """Best wall-clock and best CPU seconds of ``repeat`` runs (this process and its
    children), and the last result."""
    walls, cpus, result = [], [], None
    for _ in range(repeat):
        start, cpu = time.perf_counter(), _cpu()
        result = run()
        walls.append(time.perf_counter() - start)
        cpus.append(_cpu() - cpu)
    return min(walls), min(cpus), result


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def machine() -> str:
    lines = [f"python {platform.python_version()}, numpy {np.__version__}, {platform.platform()}"]
    lines.append(f"nproc: {os.cpu_count()}")
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        lines += [ln.strip() for ln in lscpu.splitlines()[:10]]
    except (OSError, subprocess.CalledProcessError):
        pass
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--draws", type=int, default=100_000)
    parser.add_argument("--quick", action="store_true", help="5,000 draws, one repeat")
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs (default 3)")
    parser.add_argument("--no-cli", action="store_true", help="skip the command-line timing")
    args = parser.parse_args()
    draws = 5_000 if args.quick else args.draws
    repeat = 1 if args.quick else args.repeat
    with tempfile.TemporaryDirectory() as tmp:
        folder, tariff_csv = write_pathway(Path(tmp) / "synthetic")
        hand_wall, hand_cpu, hand = best_of(
            repeat, lambda: hand_written(folder, tariff_csv, draws, SEED)
        )
        api_wall, api_cpu, api = best_of(
            repeat, lambda: careprofiles_api(folder, tariff_csv, draws, SEED)
        )
        same = np.allclose(api["_per_patient"], hand["_per_patient"], rtol=1e-9, atol=0)
        tracemalloc.start()
        careprofiles_api(folder, tariff_csv, draws, SEED)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        cli: tuple[float, float] | None = None
        if not args.no_cli:
            out = Path(tmp) / "out.json"
            cli_wall, cli_cpu, _ = best_of(
                repeat, lambda: careprofiles_cli(folder, tariff_csv, draws, SEED, out)
            )
            cli = (cli_wall, cli_cpu)
            result = json.loads(out.read_text(encoding="utf-8"))
            same = same and result["per_patient"]["mean"] == api["per_patient"]["mean"]
            # the largest resident set of any child so far: the CLI runs (lscpu is tiny)
            rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(machine())
    print()
    print(
        f"synthetic pathway: {STAGES} stages x {SERVICES} services, "
        f"{api['_uncertain']:,} uncertain numbers"
    )
    print(f"draws: {draws:,}, seed {SEED}, best of {repeat}")
    print(f"same draws as the hand-written version: {'yes' if same else 'NO'}")
    print("                          wall        CPU    ratio (wall, CPU)")
    print(f"  hand-written numpy  {hand_wall:8.2f} s {hand_cpu:8.2f} s")
    print(
        f"  careprofiles (API)  {api_wall:8.2f} s {api_cpu:8.2f} s   "
        f"{api_wall / hand_wall:.2f}x, {api_cpu / hand_cpu:.2f}x"
    )
    if cli is not None:
        print(
            f"  careprofiles (CLI)  {cli[0]:8.2f} s {cli[1]:8.2f} s   "
            f"{cli[0] / hand_wall:.2f}x, {cli[1] / hand_cpu:.2f}x  (fresh interpreter)"
        )
    print(f"peak memory of the API run (tracemalloc): {peak / 2**20:,.0f} MiB")
    if cli is not None:
        print(f"peak resident memory of the CLI run (getrusage): {rss:,.0f} MiB")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
