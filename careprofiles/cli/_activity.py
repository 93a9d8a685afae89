"""Options shared by ``careprofiles audit`` and ``careprofiles benchmark``."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from careprofiles.errors import CareProfilesError, MissingDependencyError
from careprofiles.load import load_pathway
from careprofiles.models import Pathway
from careprofiles.tariff import PriceIndex, Tariff, load_price_index, load_tariff

__all__ = ["add_activity", "dask_client", "load_inputs"]

DEFAULT_WORKERS = 2


def add_activity(p: argparse.ArgumentParser, *, populations: bool = False) -> None:
    """--activity, --outcomes, --engine, --scheduler, --workers (and --populations)."""
    p.add_argument(
        "--activity",
        required=True,
        metavar="FILE",
        help="activity records: a CSV file, or a Parquet file or dataset folder",
    )
    if populations:
        p.add_argument(
            "--populations",
            required=True,
            metavar="FILE",
            help="a CSV of area,population (every area in the activity must be in it)",
        )
    p.add_argument("--outcomes", metavar="FILE", help="outcome records (CSV or Parquet)")
    p.add_argument(
        "--engine",
        choices=("pandas", "dask"),
        default="pandas",
        help="pandas (in memory, the default) or dask (partition by partition, for data "
        "larger than memory)",
    )
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="with --engine dask: a Dask scheduler to use, e.g. tcp://10.0.0.5:8786 "
        f"(default: a local cluster of {DEFAULT_WORKERS} workers)",
    )
    p.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help=f"with --engine dask and no --scheduler: local worker processes (default "
        f"{DEFAULT_WORKERS})",
    )


def load_inputs(args: argparse.Namespace) -> tuple[Pathway, Tariff, PriceIndex | None]:
    """The pathway, the tariff (with any market forces factor) and the price index."""
    pathway = load_pathway(args.pathway)
    tariff = load_tariff(*(args.tariff or []))
    if args.market_forces is not None:
        tariff = tariff.with_market_forces(args.market_forces)
    index = load_price_index(args.index) if args.index else None
    return pathway, tariff, index


@contextmanager
def dask_client(args: argparse.Namespace) -> Iterator[Any]:
    """A Dask client for ``--engine dask`` (None for pandas), closed afterwards."""
    if args.engine != "dask":
        if args.scheduler or args.workers:
            raise CareProfilesError("--scheduler and --workers need --engine dask")
        yield None
        return
    try:
        from distributed import Client, LocalCluster
    except ImportError:  # pragma: no cover - depends on the environment
        raise MissingDependencyError("distributed", "dask", "--engine dask") from None
    # distributed logs a warning for every shuffle it starts and stops: not news here
    logging.getLogger("distributed.shuffle").setLevel(logging.ERROR)
    if args.scheduler:
        if args.workers:
            raise CareProfilesError("give --scheduler or --workers, not both")
        try:
            client = Client(args.scheduler, timeout="10s")  # type: ignore[no-untyped-call]
        except (OSError, TimeoutError, ValueError) as exc:
            raise CareProfilesError(
                f"--scheduler {args.scheduler}: cannot reach the Dask scheduler ({exc}); "
                "check the address (tcp://HOST:8786) and that `dask scheduler` is running"
            ) from None
        with client:
            yield client
        return
    workers = args.workers or DEFAULT_WORKERS
    if workers < 1:
        raise CareProfilesError("--workers must be 1 or more")
    # worker processes, each with its share of the machine's memory as its limit (Dask
    # spills to disk beyond it); threads would all measure the one process's memory
    cluster = LocalCluster(  # type: ignore[no-untyped-call]
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",
        silence_logs=logging.ERROR,
    )
    with cluster, Client(cluster) as client:  # type: ignore[no-untyped-call]
        yield client
