"""Options shared by ``careprofiles audit`` and ``careprofiles benchmark``."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from careprofiles.cli._common import Subparsers, add_output, add_tariff, pathway_command
from careprofiles.errors import CareProfilesError, MissingDependencyError

__all__ = ["activity_command", "add_activity", "dask_client"]

DEFAULT_WORKERS = 2


def activity_command(
    sub: Subparsers,
    common: argparse.ArgumentParser,
    name: str,
    *,
    help: str,
    description: str,
    formats: tuple[str, ...],
    populations: bool = False,
) -> argparse.ArgumentParser:
    """A command reading activity records: PATHWAY, :func:`add_activity`'s options, the
    tariff options and the output options (``formats``)."""
    p = pathway_command(sub, common, name, help=help, description=description)
    add_activity(p, populations=populations)
    add_tariff(p)
    add_output(p, formats)
    return p


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
    p.add_argument(
        "--worker-memory",
        metavar="SIZE",
        help="with --engine dask and no --scheduler: each local worker's memory limit, e.g. "
        "1.5GiB (default: its share of the machine's memory)",
    )


@contextmanager
def dask_client(args: argparse.Namespace) -> Iterator[Any]:
    """A Dask client for ``--engine dask`` (None for pandas), closed afterwards."""
    if args.engine != "dask":
        if args.scheduler or args.workers:
            raise CareProfilesError("--scheduler and --workers need --engine dask")
        if args.worker_memory:
            raise CareProfilesError("--worker-memory needs --engine dask")
        yield None
        return
    try:
        from distributed import Client, LocalCluster
    except ImportError:  # pragma: no cover - depends on the environment
        raise MissingDependencyError("distributed", "dask", "--engine dask") from None
    # distributed logs a warning for every shuffle it starts and stops: not news here
    logging.getLogger("distributed.shuffle").setLevel(logging.ERROR)
    if args.scheduler:
        if args.workers or args.worker_memory:
            raise CareProfilesError(
                "give --scheduler, or --workers and --worker-memory for a local cluster, "
                "not both (a scheduler's workers have their own limits)"
            )
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
    memory = _worker_memory(args.worker_memory)
    # worker processes, each with its share of the machine's memory as its limit (Dask
    # spills to disk beyond it); threads would all measure the one process's memory.
    # No pausing: a worker paused on memory it cannot spill (Arrow's buffers) while it
    # holds a task waits for ever; unpaused it finishes the task and frees the memory,
    # or is stopped at the limit and the run fails with a message (below)
    # (and Arrow on the system allocator, so that freed buffers go back: dense.WORKER_ENVIRON)
    import dask

    from careprofiles.activity.dense import local_cluster_config

    with dask.config.set(local_cluster_config()):
        cluster = LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            memory_limit=memory,
            dashboard_address=":0",
            silence_logs=logging.ERROR,
        )
    with cluster, Client(cluster) as client, _killed_worker_is_an_error():  # type: ignore[no-untyped-call]
        yield client


def _worker_memory(size: str | None) -> int | str:
    """``--worker-memory`` in bytes ("auto": Dask's share of the machine, when not given)."""
    if size is None:
        return "auto"
    from dask.utils import parse_bytes

    try:
        limit = int(parse_bytes(size))
    except (ValueError, TypeError):
        limit = 0
    if limit < 2**27:
        raise CareProfilesError(
            f"--worker-memory {size}: not a memory size of 128 MiB or more; give one such as "
            "1.5GiB, 2GB or 800MiB"
        )
    return limit


@contextmanager
def _killed_worker_is_an_error() -> Iterator[None]:
    """A task whose workers Dask stopped for memory, again and again, is an error that
    says what to do, not a traceback."""
    from distributed import KilledWorker

    try:
        yield
    except KilledWorker as exc:
        raise CareProfilesError(
            f"the Dask workers ran out of memory ({exc.args[0] if exc.args else 'a task'} "
            "was stopped each time it ran); give each worker more memory (fewer --workers, "
            "or a --scheduler whose workers have more), or split the activity into smaller "
            "Parquet files or row groups"
        ) from None
