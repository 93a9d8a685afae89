"""Costing activity records: the vectorised hot path, one row per patient and stage.

Holds :func:`cost_activity` and the grouping it is made of: codes are mapped to tariff
indices once per distinct value (categorical codes or one factorize pass, see
:mod:`careprofiles.activity.encoding`), unit costs gathered by index, costs computed with
numpy in place, and (patient, stage) totals made with one ``bincount`` pass
(:func:`group_codes`, also used by the summaries). A Dask DataFrame is costed partition
by partition (``map_partitions``), its totals added into dense (patient, stage)
accumulators (:mod:`careprofiles.activity.dense`), or shuffled by patient and summed
again when there are too many patients for that, so memory stays bounded.

Imports: activity.records, activity.encoding, activity.findings, activity.checks,
activity.dense, tariffs, profiles.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from careprofiles.activity.checks import activity_checks, check_rows
from careprofiles.activity.dense import PARTIAL_META, Keys, dense_plan, dense_totals
from careprofiles.activity.encoding import Prices, Rows, decode, in_slices, row_slices, small_int
from careprofiles.activity.findings import FINDINGS_META, raise_findings
from careprofiles.activity.records import (
    FloatArray,
    Frame,
    Int64Array,
    IntArray,
    Source,
    activity_frame,
    check_dask_columns,
    is_dask,
    source_of,
)
from careprofiles.profiles.models import Pathway
from careprofiles.tariffs.tables import Tariff

__all__ = ["Groups", "Totals", "compact", "cost_activity", "group_codes", "total_figures"]


@dataclass(frozen=True)
class Groups:
    """Rows grouped by several coded keys."""

    inverse: NDArray[np.intp]
    """Each row's group (an index into the group space)."""
    size: int
    """Size of the group space (bincount ``minlength``)."""
    keep: Int64Array | None
    """The groups that occur, when the space has empty slots (else all do)."""
    decoded: list[Int64Array]
    """Each kept group's code of every key (-1: missing)."""

    def sums(self, weights: FloatArray | None) -> NDArray[Any]:
        """The sum of ``weights`` (None: a count of rows) in each kept group."""
        total = np.bincount(self.inverse, weights=weights, minlength=self.size)
        return total if self.keep is None else total[self.keep]


def _space(keys: Sequence[tuple[IntArray, int]]) -> tuple[int, int]:
    """The size of the combined code space of ``keys``, and the constant of its codes."""
    space, offset = 1, 0
    for i, (_codes, size) in enumerate(keys):
        if i:
            offset *= size + 1
        offset += 1
        space *= size + 1
    return space, offset


def _combine(keys: Sequence[tuple[IntArray, int]], at: slice, offset: int) -> NDArray[np.intp]:
    """The combined code of each row ``at``: the one row-sized integer array made."""
    combined = np.empty(len(keys[0][0][at]), dtype=np.intp)
    # sum((code_k + 1) * stride_k) is sum(code_k * stride_k) + sum(stride_k): the constant is
    # added once at the end (one pass over the rows a key, not two)
    for i, (codes, size) in enumerate(keys):
        if i == 0:
            np.copyto(combined, codes[at], casting="safe")
        else:
            combined *= size + 1
            np.add(combined, codes[at], out=combined, casting="safe")
    combined += offset
    return combined


def _decode_keys(keys: Sequence[tuple[IntArray, int]], group_key: Int64Array) -> list[Int64Array]:
    decoded: list[Int64Array] = []
    rest = group_key.copy()
    for _codes, size in reversed(keys):
        decoded.append(rest % (size + 1) - 1)
        rest //= size + 1
    decoded.reverse()
    return decoded


def _compact_space(space: int, n: int) -> bool:
    """Whether a code space is small enough to count in directly (``bincount``)."""
    return space <= max(4 * n, 1 << 16)


def group_codes(keys: Sequence[tuple[IntArray, int]], n: int) -> Groups:
    """Group rows by several coded keys in one pass over the rows.

    ``keys`` are ``(codes, size)`` with codes in ``-1..size-1`` (-1: missing). When the
    combined code space is compact it is used directly (one ``bincount`` per figure);
    otherwise it is factorized (once) and the groups sorted by key.
    """
    space, offset = _space(keys)
    combined = _combine(keys, slice(None), offset)
    if _compact_space(space, n):
        keep = np.flatnonzero(np.bincount(combined, minlength=space)).astype(np.int64)
        inverse, group_key, size_, kept = combined, keep, space, keep
    else:
        raw, uniq = pd.factorize(combined)
        uniq_arr = np.asarray(uniq, dtype=np.int64)
        order = np.argsort(uniq_arr, kind="stable")
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))
        inverse = rank[np.asarray(raw, dtype=np.int64)]
        group_key, size_, kept = uniq_arr[order], len(uniq_arr), None
    return Groups(inverse, size_, kept, _decode_keys(keys, group_key))


@dataclass(frozen=True)
class Totals:
    """Cost and hours summed by several coded keys: one entry a group that occurs."""

    decoded: list[Int64Array]
    """Each group's code of every key (-1: missing)."""
    cost: FloatArray
    hours: FloatArray


def total_figures(rows: Rows, keys: Sequence[tuple[IntArray, int]]) -> Totals:
    """The cost and hours of ``rows`` summed by ``keys`` (as :func:`group_codes`).

    A long frame whose code space is at most a quarter of its rows (or small) is done
    slice by slice in threads (:func:`~careprofiles.activity.encoding.in_slices`): each
    slice's codes, figures and three ``bincount``s, the slices' totals added in slice
    order, so no row-sized temporary but the figures of one slice is made. Otherwise in
    one pass, as :func:`group_codes`. The totals are the same to rounding either way: a
    slice's sums are added to the sums before it.
    """
    n = rows.n
    space, offset = _space(keys)
    # slices' totals are as long as the code space: slice only when that is short
    if len(row_slices(n, space)) == 1 or space > max(n // 4, 1 << 16):
        groups = group_codes(keys, n)
        cost, hours = rows.figures()
        cost_sum = groups.sums(cost)
        del cost
        return Totals(groups.decoded, cost_sum, groups.sums(hours))

    def each(at: slice) -> tuple[NDArray[Any], NDArray[Any], NDArray[Any]]:
        combined = _combine(keys, at, offset)
        cost, hours = rows.figures(at)
        return (
            np.bincount(combined, minlength=space),
            np.bincount(combined, weights=cost, minlength=space),
            np.bincount(combined, weights=hours, minlength=space),
        )

    # a slice's three totals are as long as the code space: slices at least that long
    # keep adding them up a small part of the work
    parts = in_slices(each, n, space)
    count, cost_sum, hours_sum = next(parts)
    for more_count, more_cost, more_hours in parts:
        count += more_count
        cost_sum += more_cost
        hours_sum += more_hours
    keep = np.flatnonzero(count).astype(np.int64)
    return Totals(_decode_keys(keys, keep), cost_sum[keep], hours_sum[keep])


def compact(codes: IntArray, uniques: pd.Index, n: int) -> tuple[IntArray, pd.Index]:
    """Drop unused categories when there are many more of them than rows."""
    if len(uniques) <= 2 * n + 16:
        return codes, uniques
    raw, used = pd.factorize(codes)
    used_arr = np.asarray(used, dtype=np.int64)
    mapping = np.append(np.arange(len(used_arr)), -1).astype(np.int64)
    mapping[:-1][used_arr < 0] = -1
    return mapping[np.asarray(raw, dtype=np.int64)], uniques[np.maximum(used_arr, 0)]


def _pathway_order(
    stage: IntArray, uniques: pd.Index, pathway: Pathway | None
) -> tuple[IntArray, pd.Index]:
    """Renumber stage codes so that they follow the pathway's order."""
    if pathway is None or not len(uniques):
        return stage, uniques
    ids = [s.id for s in pathway.stages]
    pos = pd.Index(ids, dtype=object).get_indexer(uniques.astype(str))
    order = np.argsort(np.where(pos >= 0, pos, len(ids) + np.arange(len(uniques))), kind="stable")
    rank = np.empty(len(order) + 1, dtype=small_int(len(order)))
    rank[order] = np.arange(len(order))
    rank[-1] = -1
    return rank[stage], uniques[order]


def _patient_stage_totals(
    rows: Rows, pathway: Pathway | None
) -> tuple[pd.Index, pd.Index, Totals]:
    """The distinct patients and stages (in pathway order given ``pathway``) and the
    cost and hours of each (patient, stage) that occurs (codes into those two)."""
    pid, pid_uniques = compact(*rows.factor("patient_id"), rows.n)
    stage, stage_uniques = _pathway_order(*rows.factor("stage"), pathway)
    keys = [(pid, len(pid_uniques)), (stage, len(stage_uniques))]
    return pid_uniques, stage_uniques, total_figures(rows, keys)


def _cost_frame(
    rows: Rows, pathway: Pathway | None, check: bool, index: pd.Index | None = None
) -> pd.DataFrame:
    """One row per (patient, stage): hours and cost. The hot path."""
    if check:
        found = check_rows(rows, pathway, False)
        raise_findings(
            found,
            source_of(rows.frame),
            activity_checks(pathway, rows.prices),
            "activity records",
            index,
        )
    pid_uniques, stage_uniques, totals = _patient_stage_totals(rows, pathway)
    g_pid, g_stage = totals.decoded
    return pd.DataFrame(
        {
            "patient_id": decode(pid_uniques, g_pid),
            "stage": decode(stage_uniques, g_stage),
            "hours": totals.hours,
            "cost": totals.cost,
        }
    )


# --------------------------------------------------------------------------- Dask


def _id_dtype(activity: Frame) -> Any:
    """The dtype of patient ids in a Dask result: int64 for integer ids, else text."""
    dtype = activity["patient_id"].dtype
    if isinstance(dtype, pd.CategoricalDtype):
        dtype = dtype.categories.dtype
    return np.int64 if pd.api.types.is_integer_dtype(dtype) else "str"


def _cost_meta(id_dtype: Any) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "patient_id": pd.Series([], dtype=id_dtype),
            "stage": pd.Series([], dtype="str"),
            "hours": pd.Series([], dtype=np.float64),
            "cost": pd.Series([], dtype=np.float64),
        }
    )


def _partial_cost(
    part: pd.DataFrame, prices: Prices, source: Source, id_dtype: Any
) -> pd.DataFrame:
    out = _cost_frame(Rows.partition(part, prices, source), None, False)
    out["patient_id"] = out["patient_id"].astype(id_dtype)
    out["stage"] = out["stage"].astype("str")
    return out


def _sum_by_patient_stage(part: pd.DataFrame) -> pd.DataFrame:
    return part.groupby(["patient_id", "stage"], sort=False).sum().reset_index()


# --------------------------------------------------------------------------- costing


def cost_activity(
    activity: Frame | str | Path,
    tariff: Tariff,
    *,
    pathway: Pathway | None = None,
    check: bool = True,
    compute: bool = True,
) -> pd.DataFrame:
    """The actual cost of activity records: one row per patient and stage.

    Columns ``patient_id``, ``stage``, ``hours`` and ``cost`` (pounds, unrounded), grouped
    by patient (in order of first appearance, or category order for a categorical
    column), then by stage (in pathway order given ``pathway``). Cost of a row:
    ``minutes / 60 * cost`` for a code priced per hour, else ``quantity * cost`` (quantity
    default 1); hours: ``minutes / 60`` for staff rows, 0 for items.

    ``activity`` is a path (CSV or Parquet), a pandas DataFrame (string or categorical
    columns) or a Dask DataFrame (costed per partition, totalled without a shuffle,
    rows in no set order; ``compute=False`` returns the lazy Dask frame, once the checks
    and the distinct patients and stages are computed). With
    ``pathway``, stages and services are checked against it and its per-contact items
    count no hours. Tariff costs are used as they are (:func:`careprofiles.activity.audit.audit`
    deals with price years). Raises :class:`ActivityError` listing the bad rows unless
    ``check`` is false.
    """
    prices = Prices.of(tariff, pathway)
    if is_dask(activity):
        result: pd.DataFrame = _cost_dask(activity, prices, pathway, check, compute)
        return result
    frame = activity_frame(activity)
    return _cost_frame(Rows(frame, prices), pathway, check, frame.index)


def _cost_dask(
    activity: Frame, prices: Prices, pathway: Pathway | None, check: bool, compute: bool
) -> Any:
    check_dask_columns(activity)
    id_dtype = _id_dtype(activity)
    source = source_of(activity)

    def each(part: pd.DataFrame, number: int) -> pd.DataFrame:
        return check_rows(Rows.partition(part, prices, source), pathway, False, number)

    # one pass: the checks, and the distinct patients and stages; then the totals
    plan, found = dense_plan(activity, id_dtype != np.int64, each if check else None)
    if check:
        raise_findings(
            pd.concat(found, ignore_index=True) if found else FINDINGS_META,
            source,
            activity_checks(pathway, prices),
            "activity records",
        )
    if plan is None:
        summed = _shuffled_totals(activity, prices, id_dtype)
    else:
        partials = activity.map_partitions(
            _dense_partial, prices, source, plan.keys, meta=PARTIAL_META
        )
        meta = _cost_meta(id_dtype)
        summed = dense_totals(partials, plan, meta, id_dtype, activity.npartitions)
    return summed.compute().reset_index(drop=True) if compute else summed


def _dense_partial(
    part: pd.DataFrame, prices: Prices, source: Source, keys: Keys
) -> pd.DataFrame:
    """A partition's (patient, stage) totals, by the cell of :mod:`~careprofiles.activity.dense`."""
    pid_uniques, stage_uniques, totals = _patient_stage_totals(
        Rows.partition(part, prices, source), None
    )
    g_pid, g_stage = totals.decoded
    used = np.flatnonzero(np.bincount(g_pid[g_pid >= 0], minlength=len(pid_uniques)))
    cell = keys.patient_index(pid_uniques, used)[g_pid] * keys.slots
    cell += keys.stage_index(stage_uniques)[g_stage]
    return pd.DataFrame({"cell": cell, "hours": totals.hours, "cost": totals.cost})


def _shuffled_totals(activity: Frame, prices: Prices, id_dtype: Any) -> Any:
    """(patient, stage) totals: each partition's, shuffled by patient and summed again
    (for more patients than the workers can hold dense totals of,
    :func:`~careprofiles.activity.dense.dense_totals`)."""
    partial = activity.map_partitions(
        _partial_cost, prices, source_of(activity), id_dtype, meta=_cost_meta(id_dtype)
    )
    # every row of a patient then lands in one partition. The result stays in as many
    # partitions as the input, so no task holds all of it (compute=False, then e.g.
    # .to_parquet(), stays bounded)
    return partial.shuffle(on="patient_id").map_partitions(
        _sum_by_patient_stage, meta=_cost_meta(id_dtype)
    )
