"""Dense (patient, stage) totals of a Dask frame: no shuffle, memory bounded by the keys.

A shuffle of per-partition totals moves about as many rows as were read when patients
are spread over the files, and its buffers grew with that volume (docs/performance.md).
Here the distinct patients and stages are found first, in the pass that runs the checks
(a tree of unions: :func:`dense_plan`); every (patient, stage) pair is then a cell of a
dense array. The patients are split into one range a chain of tasks (one chain a worker);
each chain adds every partition's totals for its range into its accumulator, and its
accumulator is cut into blocks of patients, the result's partitions. No task holds more
than a partition and the accumulators of the chains it runs, whatever the volume, and
nothing is added across workers. Used when the cells fit a third of a worker's memory
(:data:`DENSE_SHARE_OF_WORKER_MEMORY`); else the caller shuffles.

Also holds the settings of a local cluster of worker processes (the command line's, the
benchmark's): :func:`local_cluster_config`.

Imports: activity.records, activity.encoding.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from careprofiles.activity.encoding import decode, factor
from careprofiles.activity.records import (
    BoolArray,
    FloatArray,
    Frame,
    Int64Array,
    dask_workers,
    worker_memory_limit,
)

__all__ = [
    "CELL_BYTES",
    "DENSE_SHARE_OF_WORKER_MEMORY",
    "DENSE_WITHOUT_LIMIT",
    "PARTIAL_META",
    "WORKER_ENVIRON",
    "Check",
    "Keys",
    "Plan",
    "dense_plan",
    "dense_totals",
    "local_cluster_config",
]

CELL_BYTES = 17
"""Bytes of an accumulator a (patient, stage) cell: hours and cost (float64), seen (bool)."""
DENSE_SHARE_OF_WORKER_MEMORY = 3
"""Dense totals are used when the cells take at most 1/3 of a worker's memory limit (a
worker holds at most all of them, in the accumulators of the chains it runs, and a
partition)."""
DENSE_WITHOUT_LIMIT = 1 << 30
"""Bytes an accumulator may take when the workers have no memory limit."""
_UNION_EVERY = 8
"""Partitions' distinct patients united per task of the tree."""

PARTIAL_META = pd.DataFrame(
    {
        "cell": pd.Series([], dtype=np.int64),
        "hours": pd.Series([], dtype=np.float64),
        "cost": pd.Series([], dtype=np.float64),
    }
)
"""A partition's totals: one row a cell it touches (cells unique in a partition)."""

WORKER_ENVIRON = {"ARROW_DEFAULT_MEMORY_POOL": "system"}
"""Set in each local Dask worker process before it starts (besides Dask's own,
``MALLOC_TRIM_THRESHOLD_``): Arrow's own allocator kept up to 0.5 GiB a worker after
reading a partition of 1 million rows (its 2.9 million-entry dictionary of ids); with
the system allocator the memory goes back when the frame is freed (docs/performance.md)."""


def local_cluster_config() -> dict[str, Any]:
    """Dask settings for a local cluster of worker processes (the command line's, the
    benchmark's): no pausing (a worker paused on memory it cannot spill waits for ever),
    and :data:`WORKER_ENVIRON` in the workers' environment."""
    import dask

    environ = dict(dask.config.get("distributed.nanny.pre-spawn-environ", default={}) or {})
    return {
        "distributed.worker.memory.pause": False,
        "distributed.nanny.pre-spawn-environ": {**environ, **WORKER_ENVIRON},
    }


_Acc = tuple[FloatArray, FloatArray, BoolArray]


@dataclass(frozen=True)
class Keys:
    """The distinct patients and stages of a frame: cell ``patient * slots + stage``.

    The last patient and the last stage slot are for a missing value."""

    ids: Any
    """Text ids (a pyarrow ``large_string`` array) or integer ids (sorted int64)."""
    text: bool
    stages: pd.Index
    fixed: Any = None
    """Text ids as sorted fixed-width bytes (numpy ``S``; ``ids`` in the same order), so
    that a partition's ids are found by binary search; None: by a hash set (long ids)."""

    @property
    def slots(self) -> int:
        """Stage slots a patient (the stages and one for a missing stage)."""
        return len(self.stages) + 1

    @property
    def patients(self) -> int:
        """Patient slots (the patients and one for a missing patient)."""
        return len(self.ids) + 1

    def patient_index(self, uniques: pd.Index, used: Int64Array) -> Int64Array:
        """Slots of ``uniques`` (only those ``used`` are looked up), and -1's slot last."""
        out = np.full(len(uniques) + 1, len(self.ids), dtype=np.int64)
        if not len(used):
            return out
        values = uniques[used]
        if self.text:
            import pyarrow as pa
            import pyarrow.compute as pc

            text = pa.array(values.astype(str), type=pa.large_string())
            if self.fixed is not None:
                wanted = _fixed_width(text, self.fixed.dtype.itemsize)
                order = np.argsort(wanted)  # sorted needles: a search walks the ids in order
                where = np.empty(len(order), dtype=np.int64)
                found_at = np.searchsorted(self.fixed, wanted[order])
                where[order] = np.minimum(found_at, len(self.ids) - 1)
                missing = bool((self.fixed[where] != wanted).any())
            else:
                found = pc.index_in(text, self.ids)
                where = found.to_numpy(zero_copy_only=False)
                missing = found.null_count > 0
        else:
            ints = np.asarray(values, dtype=np.int64)
            where = np.minimum(np.searchsorted(self.ids, ints), len(self.ids) - 1)
            missing = bool((self.ids[where] != ints).any())
        if missing:  # pragma: no cover - every id was collected by dense_plan
            raise RuntimeError("a patient id was not found among the dataset's ids")
        out[used] = where
        return out

    def stage_index(self, uniques: pd.Index) -> Int64Array:
        """Slots of stage values, and -1's slot last."""
        where: Any = self.stages.get_indexer(uniques.astype(str)) if len(uniques) else []
        out = np.append(np.asarray(where, dtype=np.int64), -1)
        out[out < 0] = len(self.stages)
        return out

    def frame(self, first: int, acc: _Acc, id_dtype: Any) -> pd.DataFrame:
        """The cells seen of a block of accumulators that starts at patient ``first``."""
        hours, cost, seen = acc
        cells = np.flatnonzero(seen)
        patient = first + cells // self.slots
        stage = cells % self.slots
        stage[stage == len(self.stages)] = -1
        missing = patient == len(self.ids)
        if self.text:
            import pyarrow as pa

            taken = self.ids.take(pa.array(patient, mask=missing)).to_numpy(zero_copy_only=False)
            ids = pd.Series(taken, dtype=object)
        elif not len(self.ids):  # no patient id at all (unchecked records)
            ids = pd.Series([None] * len(patient), dtype=object)
        else:
            ids = pd.Series(self.ids[np.minimum(patient, len(self.ids) - 1)])
            if missing.any():
                ids = ids.astype(object).where(~missing, None)
        return pd.DataFrame(
            {
                "patient_id": ids.astype(id_dtype),
                "stage": decode(self.stages, stage).astype("str"),
                "hours": hours[cells],
                "cost": cost[cells],
            }
        )


_Piece = tuple[Any, set[str], list[pd.DataFrame]]
"""Distinct patient ids, stages, and what the partition's checks found (in order)."""
Check = Callable[[pd.DataFrame, int], pd.DataFrame]
"""The checks of a partition (and its number), run in the same pass as the keys."""


def _partition_keys(part: pd.DataFrame, number: int, text: bool, check: Check | None) -> _Piece:
    """A partition's distinct patient ids (text or int64) and stages (missing left out)."""
    found = [check(part, number)] if check is not None else []
    codes, uniques = factor(part["patient_id"])
    used = np.flatnonzero(np.bincount(codes[codes >= 0], minlength=len(uniques)))
    values = uniques[used]
    s_codes, s_uniques = factor(part["stage"])
    s_used = np.flatnonzero(np.bincount(s_codes[s_codes >= 0], minlength=len(s_uniques)))
    stages = set(s_uniques[s_used].astype(str))
    if text:
        import pyarrow as pa

        return pa.array(values.astype(str), type=pa.large_string()), stages, found
    return np.asarray(values, dtype=np.int64), stages, found


def _union(text: bool, *pieces: _Piece) -> _Piece:
    stages = set().union(*(p[1] for p in pieces))
    found = [f for p in pieces for f in p[2]]
    if text:
        import pyarrow as pa
        import pyarrow.compute as pc

        ids = pc.unique(pa.chunked_array([p[0] for p in pieces], type=pa.large_string()))
        return ids, stages, found
    return np.unique(np.concatenate([p[0] for p in pieces])), stages, found


_FIXED_BYTES = 1 << 28
"""Most bytes of fixed-width text ids (:attr:`Keys.fixed`); longer ids use a hash set."""


def _fixed_width(text: Any, width: int) -> NDArray[np.bytes_]:
    """UTF-8 text (a pyarrow ``large_string`` array) as numpy fixed-width bytes."""
    import pyarrow as pa

    data = text.cast(pa.large_binary())
    buffers = data.buffers()
    offsets = np.frombuffer(buffers[1], dtype=np.int64)[data.offset : data.offset + len(data) + 1]
    raw = np.append(np.frombuffer(buffers[2] or b"", dtype=np.uint8), np.uint8(0))
    starts, lengths, pad = offsets[:-1], np.diff(offsets), len(raw) - 1
    out = np.empty((len(data), width), dtype=np.uint8)
    for j in range(width):  # one byte of every id a pass; past an id's end, the NUL pad
        out[:, j] = raw[np.where(j < lengths, starts + j, pad)]
    return out.view(f"S{width}").ravel()


def _keys(text: bool, united: _Piece) -> Keys:
    ids, stages = united[0], pd.Index(sorted(united[1]), dtype=object)
    if not text:  # sorted, for a binary search (one partition's were not united)
        return Keys(np.unique(ids), text, stages)
    if not len(ids):
        return Keys(ids, text, stages)
    import pyarrow as pa
    import pyarrow.compute as pc

    width = max(int(pc.max(pc.binary_length(ids)).as_py()), 1)
    # numpy's fixed-width bytes drop trailing NULs: ids holding one use the hash set
    if width * len(ids) > _FIXED_BYTES or pc.any(pc.match_substring(ids, "\x00")).as_py():
        return Keys(ids, text, stages)
    fixed = _fixed_width(ids, width)
    order = np.argsort(fixed, kind="stable")
    return Keys(ids.take(pa.array(order)), text, stages, fixed[order])


def _sizes(keys: Keys) -> tuple[int, int]:
    return keys.patients, keys.slots


def _found(united: _Piece) -> list[pd.DataFrame]:
    return united[2]


@dataclass(frozen=True)
class Plan:
    """The keys of a frame, held by the workers (a persisted Dask object), and their sizes."""

    keys: Any
    patients: int
    slots: int
    chains: int

    @property
    def cells(self) -> int:
        """Cells of an accumulator."""
        return self.patients * self.slots


def dense_plan(
    activity: Frame, text: bool, check: Check | None = None
) -> tuple[Plan | None, list[pd.DataFrame]]:
    """Find the distinct patients and stages, and run ``check`` on each partition, in one
    pass over the data: the plan (None when an accumulator of the cells would not fit the
    workers' memory) and what the checks found, partition by partition."""
    from dask.base import compute, persist
    from dask.delayed import delayed

    workers = dask_workers()
    limit = worker_memory_limit()
    budget = limit // DENSE_SHARE_OF_WORKER_MEMORY if limit else DENSE_WITHOUT_LIMIT
    parts = (activity if check is not None else activity[["patient_id", "stage"]]).to_delayed()
    level = [delayed(_partition_keys)(part, i, text, check) for i, part in enumerate(parts)]
    while len(level) > 1:
        level = [
            delayed(_union)(text, *level[i : i + _UNION_EVERY])
            for i in range(0, len(level), _UNION_EVERY)
        ]
    if not level:
        return None, []
    # the keys stay on the workers (persisted); their sizes and the findings come here
    keys, found_at = persist(  # type: ignore[no-untyped-call]
        delayed(_keys)(text, level[0]), delayed(_found)(level[0])
    )
    (patients, slots), found = compute(delayed(_sizes)(keys), found_at)  # type: ignore[no-untyped-call]
    if patients * slots * CELL_BYTES > budget:
        return None, found
    chains = max(1, min(len(parts), len(workers) if workers else 2))
    return Plan(keys, patients, slots, chains), found


def _fold(acc: _Acc | None, partial: pd.DataFrame, cells: int) -> _Acc:
    """Add a partition's totals into an accumulator: in place (the chain's previous task
    made it, and nothing else reads it; a retried chain starts again from its first task)."""
    if acc is None:
        acc = (np.zeros(cells), np.zeros(cells), np.zeros(cells, dtype=bool))
    hours, cost, seen = acc
    at = partial["cell"].to_numpy()
    np.add.at(hours, at, partial["hours"].to_numpy())
    np.add.at(cost, at, partial["cost"].to_numpy())
    seen[at] = True
    return acc


def _piece(partial: pd.DataFrame, lo: int, hi: int) -> pd.DataFrame:
    """A partition's totals in cells ``lo:hi`` (numbered from ``lo``): one chain's share."""
    cell = partial["cell"].to_numpy()
    mine = (cell >= lo) & (cell < hi)
    return pd.DataFrame(
        {
            "cell": cell[mine] - lo,
            "hours": partial["hours"].to_numpy()[mine],
            "cost": partial["cost"].to_numpy()[mine],
        }
    )


def _block_frame(
    keys: Keys, acc: _Acc, first: int, lo: int, hi: int, id_dtype: Any
) -> pd.DataFrame:
    """Cells ``lo:hi`` of a chain's accumulator, whose first patient is ``first``."""
    block = (acc[0][lo:hi], acc[1][lo:hi], acc[2][lo:hi])
    return keys.frame(first + lo // keys.slots, block, id_dtype)


def dense_totals(
    partials: Frame,
    plan: Plan,
    meta: pd.DataFrame,
    id_dtype: Any,
    blocks: int,
) -> Frame:
    """(patient, stage) totals from ``partials`` (:data:`PARTIAL_META` a partition), as a
    lazy Dask frame of about ``blocks`` partitions (blocks of patients).

    The patients are split into one range a chain; a chain adds every partition's totals
    for its range into its accumulator, so a worker holds 1/chains of the cells (all of
    them if every chain ran there), and the accumulators are never added together."""
    import dask.dataframe as dd
    from dask.delayed import delayed

    parts: Sequence[Any] = partials.to_delayed()
    n, slots = len(parts), plan.slots
    ranges = np.unique(np.linspace(0, plan.patients, plan.chains + 1).astype(np.int64))
    per_chain = max(1, -(-blocks // max(len(ranges) - 1, 1)))
    frames = []
    for w, (first, last) in enumerate(zip(ranges[:-1].tolist(), ranges[1:].tolist(), strict=True)):
        cells = (last - first) * slots
        acc: Any = None
        # each chain starts at another partition, so that the chains start on other workers
        for i in np.roll(np.arange(n), -(w * n // plan.chains)).tolist():
            piece = (
                parts[i]
                if plan.chains == 1
                else delayed(_piece)(parts[i], first * slots, last * slots)
            )
            acc = delayed(_fold)(acc, piece, cells)
        if acc is None:
            continue
        edges = np.unique(np.linspace(0, last - first, per_chain + 1).astype(np.int64)) * slots
        for lo, hi in zip(edges[:-1].tolist(), edges[1:].tolist(), strict=True):
            frames.append(delayed(_block_frame)(plan.keys, acc, first, lo, hi, id_dtype))
    return dd.from_delayed(frames, meta=meta, verify_meta=False)
