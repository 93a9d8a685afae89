"""Benchmark ``careprofiles.cost_activity``: speed and peak memory.

Runnable by anyone from the repository root::

    python benchmarks/bench_activity.py       # 10 million rows, int then text ids; Dask 100 million
    python benchmarks/bench_activity.py --rows 1000000 --dask-rows 5000000   # quicker
    python benchmarks/bench_activity.py --no-dask

In one process, on one synthetic frame (columns as ``read_activity`` gives them:
categorical ids, float64 minutes and quantity), it times, interleaved round by round
so that a busy machine slows them alike (the best of ``--repeat`` rounds is kept),

* ``cost_activity`` (checks included: every row is validated);
* a hand-written numpy limit: category codes, a gather of unit costs, ``bincount``
  on (patient, stage) codes, with no checks (the floor for this design);
* DuckDB SQL on the same frame (a join to the tariff and a GROUP BY), all threads.

Peak memory is measured apart: each method runs once in a fresh subprocess that builds
the frame, resets the peak resident memory (``/proc/self/clear_refs``; Linux) and
reports the peak *above* the memory held before the call, with the frame's own size
for scale. Targets (issue 7): within 1.5x of the numpy limit, at least 2x faster than
DuckDB, peak memory under 2x the input frame.

The Dask run writes a Parquet dataset in chunks to a temporary folder (never holding
it all in memory), then costs it with ``read_activity(folder, engine="dask")`` on a local cluster (2
workers, threads), reporting the time and the process's peak memory.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from careprofiles.activity.costing import cost_activity  # noqa: E402
from careprofiles.activity.dense import local_cluster_config  # noqa: E402
from careprofiles.activity.records import read_activity  # noqa: E402
from careprofiles.tariffs.tables import Tariff, TariffRow  # noqa: E402

STAGES = ["advancing-disease", "increasing-decline", "last-days", "after-death"]
CODES = {  # code: (unit, cost)
    "gp": ("hour", 268.0),
    "district-nurse": ("hour", 58.0),
    "healthcare-assistant": ("hour", 34.0),
    "palliative-cns": ("hour", 69.0),
    "homecare-worker": ("hour", 28.53),
    "hospice-at-home-night-visit": ("contact", 251.53),
    "anticipatory-medicines": ("item", 45.0),
    "hospice-bed-day": ("day", 500.0),
}
SERVICES = ["district-nursing", "gp-home-visit", "home-care", "night-sitting"]


def tariff() -> Tariff:
    """The benchmark's tariff."""
    return Tariff({c: TariffRow(c, u, cost, "2024/25") for c, (u, cost) in CODES.items()})


def make_frame(
    rows: int, seed: int = 7, patients: int | None = None, ids: str = "category"
) -> pd.DataFrame:
    """A synthetic activity frame: about 25 rows per patient."""
    rng = np.random.default_rng(seed)
    n_patients = patients or max(rows // 25, 1)
    codes = list(CODES)
    code = rng.integers(0, len(codes), rows).astype(np.int8)
    units = np.array([CODES[c][0] for c in codes])
    staff = np.isin(units[code], ("hour", "contact"))
    minutes = np.where(staff, rng.integers(5, 120, rows), np.nan)
    quantity = np.where(~staff & (rng.random(rows) < 0.5), rng.integers(1, 4, rows), np.nan)
    pid = rng.integers(0, n_patients, rows)
    used = np.unique(pid)  # a file's dictionary holds the ids it uses, as a writer's would
    labels = pd.Index([f"P{i:08d}" for i in used])
    frame = pd.DataFrame(
        {
            "patient_id": pd.Categorical.from_codes(
                np.searchsorted(used, pid).astype(np.int32), categories=labels
            ),
            "stage": pd.Categorical.from_codes(
                rng.integers(0, len(STAGES), rows).astype(np.int8), categories=pd.Index(STAGES)
            ),
            "service": pd.Categorical.from_codes(
                rng.integers(-1, len(SERVICES), rows).astype(np.int8), categories=pd.Index(SERVICES)
            ),
            "code": pd.Categorical.from_codes(code, categories=pd.Index(codes)),
            "minutes": minutes.astype(np.float64),
            "quantity": quantity.astype(np.float64),
        }
    )
    if ids == "text":
        frame["patient_id"] = frame["patient_id"].astype("str")
    elif ids == "int":  # int64 ids, spread out as real identifiers are (every 7th number)
        frame["patient_id"] = used[frame["patient_id"].cat.codes.to_numpy()] * 7 + 100_000
    return frame


# ----------------------------------------------------------------- the methods


def run_careprofiles(frame: pd.DataFrame) -> float:
    result = cost_activity(frame, tariff())
    return float(result["cost"].sum())


def run_numpy_limit(frame: pd.DataFrame) -> float:
    """The floor: codes, a gather and bincount; no checks, no output frame columns.

    Text ids are factorized with ``pd.factorize`` in one thread (``cost_activity`` hashes
    a long text column in slices, one thread per CPU, so it may beat this "floor").
    """
    codes = list(CODES)
    cats = frame["code"].cat.categories
    lookup = pd.Index(codes).get_indexer(cats)
    code = lookup[frame["code"].cat.codes.to_numpy()]
    unit_cost = np.array([CODES[c][1] for c in codes])[code]
    per_hour = np.array([CODES[c][0] == "hour" for c in codes])[code]
    minutes = frame["minutes"].to_numpy()
    quantity = frame["quantity"].to_numpy()
    cost = np.where(per_hour, minutes / 60.0, np.where(np.isnan(quantity), 1.0, quantity))
    cost *= unit_cost
    hours = np.where(np.isnan(minutes), 0.0, minutes / 60.0)
    if isinstance(frame["patient_id"].dtype, pd.CategoricalDtype):
        pid = frame["patient_id"].cat.codes.to_numpy().astype(np.int64)
        n_pid = len(frame["patient_id"].cat.categories)
    elif frame["patient_id"].dtype.kind == "i":  # integer ids as their offsets: no hashing
        ids = frame["patient_id"].to_numpy()
        low = int(ids.min())
        pid = ids - low
        n_pid = int(ids.max()) - low + 1
    else:
        pid, uniques = pd.factorize(frame["patient_id"])
        n_pid = len(uniques)
    stage = frame["stage"].cat.codes.to_numpy()
    n_stage = len(frame["stage"].cat.categories)
    key = pid * n_stage + stage
    count = np.bincount(key, minlength=n_pid * n_stage)
    sums = np.bincount(key, weights=cost, minlength=n_pid * n_stage)
    hour_sums = np.bincount(key, weights=hours, minlength=n_pid * n_stage)
    present = count > 0
    return float(sums[present].sum() + 0 * hour_sums[present].sum())


def run_duckdb(frame: pd.DataFrame) -> float:
    import duckdb

    prices = pd.DataFrame(
        {
            "code": list(CODES),
            "unit": [u for u, _ in CODES.values()],
            "cost": [c for _, c in CODES.values()],
        }
    )
    con = duckdb.connect()
    con.register("activity", frame)
    con.register("prices", prices)
    result = con.execute(
        """
        SELECT a.patient_id, a.stage,
               SUM(CASE WHEN p.unit IN ('hour', 'contact') THEN COALESCE(a.minutes, 0) / 60
                        ELSE 0 END) AS hours,
               SUM(CASE WHEN p.unit = 'hour' THEN a.minutes / 60 * p.cost
                        ELSE COALESCE(a.quantity, 1) * p.cost END) AS cost
        FROM activity a JOIN prices p ON CAST(a.code AS VARCHAR) = p.code
        GROUP BY a.patient_id, a.stage
        """
    ).df()
    con.close()
    return float(result["cost"].sum())


_POLARS: dict[int, Any] = {}


def run_polars(frame: pd.DataFrame) -> float:
    """polars on its own copy of the frame (made once, outside the timing): a join to
    the tariff and a group-by, on all threads."""
    import polars as pl

    data = _POLARS.get(id(frame))
    if data is None:
        data = pl.from_pandas(frame).with_columns(pl.col("code").cast(pl.String))
        _POLARS.clear()
        _POLARS[id(frame)] = data
    prices = pl.DataFrame(
        {
            "code": list(CODES),
            "unit": [u for u, _ in CODES.values()],
            "price": [c for _, c in CODES.values()],
        }
    )
    per_hour = pl.col("unit") == "hour"
    staff = pl.col("unit").is_in(["hour", "contact"])
    result = (
        data.join(prices, on="code")
        .with_columns(
            pl.when(per_hour)
            .then(pl.col("minutes") / 60 * pl.col("price"))
            .otherwise(pl.col("quantity").fill_null(1.0).fill_nan(1.0) * pl.col("price"))
            .alias("cost"),
            pl.when(staff).then(pl.col("minutes").fill_nan(0.0) / 60).otherwise(0.0).alias("hours"),
        )
        .group_by("patient_id", "stage")
        .agg(pl.col("hours").sum(), pl.col("cost").sum())
    )
    return float(result["cost"].sum())


METHODS: dict[str, Callable[[pd.DataFrame], float]] = {
    "careprofiles": run_careprofiles,
    "numpy-limit": run_numpy_limit,
    "duckdb": run_duckdb,
}
if importlib.util.find_spec("polars") is not None:  # optional: pip install polars
    METHODS["polars"] = run_polars


# ----------------------------------------------------------------- measuring


def _status(field: str) -> int:
    """A VmXXX line of /proc/self/status, in bytes (0 where there is none)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    except OSError:  # pragma: no cover - not Linux
        pass
    return 0


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:  # pragma: no cover - not Linux, or not allowed
        return False


def time_methods(rows: int, repeat: int, ids: str) -> dict[str, dict[str, Any]]:
    """Time every method on one frame, round by round; keep each one's best time."""
    import gc

    frame = make_frame(rows, ids=ids)
    frame_bytes = int(frame.memory_usage(deep=True).sum())
    times: dict[str, list[float]] = {m: [] for m in METHODS}
    totals: dict[str, float] = {}
    for method in METHODS:
        METHODS[method](frame.head(1000))  # warm up imports and caches
    for _ in range(repeat):
        for method, run in METHODS.items():
            gc.collect()
            start = time.perf_counter()
            totals[method] = run(frame)
            times[method].append(time.perf_counter() - start)
    return {
        m: {
            "method": m,
            "rows": rows,
            "seconds": min(times[m]),
            "all_seconds": times[m],
            "total_cost": totals[m],
            "frame_bytes": frame_bytes,
        }
        for m in METHODS
    }


def child(method: str, rows: int, ids: str) -> dict[str, Any]:
    """Build the frame, then run ``method`` once and measure its peak memory."""
    import gc

    frame = make_frame(rows, ids=ids)
    METHODS[method](frame.head(1000))  # warm up imports and caches
    gc.collect()
    before = _status("VmRSS")
    exact = _reset_peak()
    METHODS[method](frame)
    peak = _status("VmHWM") - before if exact else 0
    return {"method": method, "peak_bytes": peak}


def run_child(method: str, rows: int, ids: str) -> dict[str, Any]:
    out = subprocess.run(
        [
            sys.executable,
            __file__,
            "--child",
            method,
            "--rows",
            str(rows),
            "--ids",
            ids,
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def write_parquet_dataset(folder: Path, rows: int, chunk: int) -> int:
    """Write ``rows`` rows in files of ``chunk`` rows; returns the bytes written."""
    written, part = 0, 0
    while written < rows:
        n = min(chunk, rows - written)
        frame = make_frame(n, seed=100 + part, patients=max(rows // 25, 1))
        frame.to_parquet(folder / f"part-{part:04d}.parquet", index=False)
        written += n
        part += 1
    return sum(p.stat().st_size for p in folder.glob("*.parquet"))


def dask_child(
    rows: int, chunk: int, memory: str, workers: int = 2, dataset: str | None = None
) -> dict[str, Any]:
    """Write the Parquet dataset, then cost it on Dask and write the result to Parquet."""
    import logging

    import dask
    import dask.dataframe as dd
    from distributed import Client, LocalCluster

    with tempfile.TemporaryDirectory(prefix="careprofiles-bench-") as tmp:
        folder = Path(dataset) if dataset else Path(tmp) / "activity"
        start = time.perf_counter()
        if dataset:  # written before by write_parquet_dataset (--keep-dataset)
            size = sum(p.stat().st_size for p in folder.glob("*.parquet"))
        else:
            folder.mkdir()
            size = write_parquet_dataset(folder, rows, chunk)
        write_seconds = time.perf_counter() - start
        writer_peak = _status("VmHWM")
        # from here this process is the client and (LocalCluster) the scheduler: its peak
        # is measured afresh, apart from writing the data
        reset = _reset_peak()
        costed = Path(tmp) / "costed"
        with (
            dask.config.set(local_cluster_config()),  # as the CLI does
            LocalCluster(  # type: ignore[no-untyped-call]
                n_workers=workers,
                threads_per_worker=1,
                processes=True,  # as the command line: each worker limited to its share
                memory_limit=memory,
                dashboard_address=":0",
                silence_logs=logging.ERROR,
            ) as cluster,
            Client(cluster) as client,  # type: ignore[no-untyped-call]
        ):
            # as `careprofiles audit --engine dask` reads it: partitions sized to the workers
            lazy = read_activity(folder, engine="dask")
            limit = sum(w.memory_manager.memory_limit or 0 for w in cluster.workers.values())
            started = set(client.run(os.getpid).values())
            start = time.perf_counter()
            # the national workflow: cost lazily, write the patient-stage table to Parquet
            # (cost_activity(lazy, tariff) would gather it into one pandas frame instead)
            cost_activity(lazy, tariff(), compute=False).to_parquet(str(costed))
            seconds = time.perf_counter() - start
            peaks = client.run(_peak_rss)
            restarted = len(started - set(client.run(os.getpid).values()))
            result = dd.read_parquet(str(costed))
            result_rows = int(result.shape[0].compute())
            total = float(result["cost"].sum().compute())
        return {
            "method": "dask",
            "rows": rows,
            "seconds": seconds,
            "parquet_bytes": size,
            "partitions": lazy.npartitions,
            "write_seconds": write_seconds,
            "result_rows": result_rows,
            "total_cost": total,
            "worker_peak_bytes": sorted(peaks.values()),
            "worker_restarts": restarted,
            "worker_limit_bytes": limit,
            "workers": workers,
            "writer_peak_bytes": writer_peak,
            "parent_peak_bytes": _status("VmHWM") if reset else 0,
        }


def _peak_rss() -> int:
    return _status("VmHWM")


def machine() -> dict[str, str]:
    """What the figures were measured on."""
    from importlib import metadata

    import duckdb
    import pyarrow

    lscpu = ""
    with contextlib.suppress(OSError):
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in lscpu.splitlines()
            if line.startswith("Model name")
        ),
        platform.processor(),
    )
    return {
        "cpus": str(os.cpu_count()),
        "model": model,
        "memory": f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB"
        if hasattr(os, "sysconf")
        else "?",
        "python": platform.python_version(),
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "pyarrow": pyarrow.__version__,
        "duckdb": duckdb.__version__,
        "dask": metadata.version("dask"),
        "os": platform.platform(),
    }


def in_memory(rows: int, repeat: int, ids: str) -> tuple[dict[str, Any], dict[str, bool]]:
    """Time and measure every method on one frame with ``ids`` patient ids; print a table."""
    results = time_methods(rows, repeat, ids)
    for method in METHODS:
        results[method].update(run_child(method, rows, ids))
    ours, limit, duck = (results[m] for m in ("careprofiles", "numpy-limit", "duckdb"))
    for r in results.values():
        if not np.isclose(r["total_cost"], ours["total_cost"], rtol=1e-9):
            raise SystemExit(f"{r['method']} disagrees: {r['total_cost']} vs {ours['total_cost']}")
    frame_mb = ours["frame_bytes"] / 2**20
    kind = {"category": "categorical", "text": "text", "int": "int64"}[ids]
    print(f"\ncost_activity on {rows:,} rows ({kind} patient ids); input frame {frame_mb:,.0f} MiB")
    print(f"{'method':<14}{'seconds':>9}{'rows/s':>14}{'peak MiB':>10}{'x frame':>9}")
    for r in results.values():
        print(
            f"{r['method']:<14}{r['seconds']:>9.3f}{rows / r['seconds']:>14,.0f}"
            f"{r['peak_bytes'] / 2**20:>10,.0f}{r['peak_bytes'] / ours['frame_bytes']:>9.2f}"
        )
    checks = {
        "within 1.5x of the numpy limit": ours["seconds"] <= 1.5 * limit["seconds"],
        "at least 2x faster than DuckDB": duck["seconds"] >= 2 * ours["seconds"],
        "no slower than DuckDB": duck["seconds"] >= ours["seconds"],
        "peak memory under 2x the frame": ours["peak_bytes"] < 2 * ours["frame_bytes"],
    }
    print(
        f"\nx numpy limit: {ours['seconds'] / limit['seconds']:.2f}; "
        f"DuckDB / careprofiles: {duck['seconds'] / ours['seconds']:.2f}"
    )
    for what, ok in checks.items():
        print(f"  {'met' if ok else 'NOT met'}: {what}")
    return results, checks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000_000, help="rows for the in-memory runs")
    parser.add_argument(
        "--dask-rows", type=int, default=100_000_000, help="rows for the Dask run from Parquet"
    )
    parser.add_argument("--chunk", type=int, default=5_000_000, help="rows per Parquet file")
    parser.add_argument("--repeat", type=int, default=5, help="rounds of timing (best is kept)")
    parser.add_argument("--no-dask", action="store_true", help="skip the Dask run")
    parser.add_argument("--no-memory", action="store_true", help="skip the in-memory runs")
    parser.add_argument(
        "--worker-memory",
        default="auto",
        help="memory limit of each Dask worker, e.g. 1.5GiB (default: its share of the machine)",
    )
    parser.add_argument(
        "--workers", type=int, default=2, help="Dask worker processes (one thread each)"
    )
    parser.add_argument(
        "--dataset",
        help="a Parquet dataset folder written by an earlier run of write_parquet_dataset "
        "with the same --dask-rows and --chunk (not written again, not deleted)",
    )
    parser.add_argument(
        "--ids",
        nargs="+",
        choices=["category", "text", "int"],
        default=["int", "text"],
        help="patient_id as int64, as text (pandas str) or as read_activity gives it "
        "(category); several run one after the other (default: int text)",
    )
    parser.add_argument(
        "--text-ids",
        action="store_const",
        const=["text"],
        dest="ids",
        help="the same as --ids text",
    )
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--dask-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.rows, args.ids[0])))
        return 0
    if args.dask_child:
        d = dask_child(args.dask_rows, args.chunk, args.worker_memory, args.workers, args.dataset)
        print(json.dumps(d))
        return 0

    info = machine()
    print("machine: " + ", ".join(f"{k} {v}" for k, v in info.items()))
    out: dict[str, Any] = {"machine": info}
    if not args.no_memory:
        out["in_memory"], out["targets"] = {}, {}
        for ids in args.ids:
            results, checks = in_memory(args.rows, args.repeat, ids)
            out["in_memory"][ids], out["targets"][ids] = results, checks
    if not args.no_dask:
        done = subprocess.run(
            [
                sys.executable,
                __file__,
                "--dask-child",
                "--dask-rows",
                str(args.dask_rows),
                "--chunk",
                str(args.chunk),
                "--worker-memory",
                args.worker_memory,
                "--workers",
                str(args.workers),
                *(["--dataset", args.dataset] if args.dataset else []),
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        d = json.loads(done.stdout.strip().splitlines()[-1])
        out["dask"] = d
        peaks = ", ".join(f"{b / 2**20:,.0f}" for b in d["worker_peak_bytes"])
        whole = sum(d["worker_peak_bytes"]) + d["parent_peak_bytes"]
        print(
            f"\nDask: {d['rows']:,} rows from Parquet ({d['parquet_bytes'] / 2**20:,.0f} MiB "
            f"on disk, {d['partitions']} partitions), {d['workers']} worker processes: "
            f"{d['seconds']:.1f} s ({d['rows'] / d['seconds']:,.0f} rows/s), "
            f"{d['result_rows']:,} patient-stage rows written to Parquet; workers restarted: "
            f"{d['worker_restarts']}; peak memory of each worker {peaks} MiB (limit "
            f"{d['worker_limit_bytes'] / 2**20:,.0f} MiB in all); the client and scheduler "
            f"(this process, measured after writing the data) "
            f"{d['parent_peak_bytes'] / 2**20:,.0f} MiB; all processes at their peaks "
            f"{whole / 2**30:.2f} GiB ({whole / 1e9:.2f} GB); writing the data "
            f"({args.chunk:,} rows at a time) peaked at {d['writer_peak_bytes'] / 2**20:,.0f} MiB"
        )
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
