"""Activity totalled by (patient, stage, service, area), checked, and reduced.

Holds :func:`reduce_activity`, the basis of the audit and of area benchmarking: the
records are checked and totalled by (patient, stage, service, area) in one pass over
the data (one frame, or every Dask partition), then reduced by the caller's function
on tables that hold every row of their patients (with Dask: shuffled by patient, so no
task holds more than its share). :class:`Reduced` carries the result and names the
rows it mentions (``file:line``).

Imports: activity.records, activity.encoding, activity.findings, activity.checks,
activity.costing, tariffs, profiles.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

import numpy as np
import pandas as pd

from careprofiles.activity.checks import activity_checks, check_partitions, check_rows
from careprofiles.activity.costing import compact, group_codes
from careprofiles.activity.encoding import Prices, Rows, decode, map_rows
from careprofiles.activity.findings import (
    PART_SHIFT,
    global_rows,
    partition_offsets,
    places,
    raise_findings,
)
from careprofiles.activity.records import (
    Frame,
    IntArray,
    Source,
    activity_frame,
    check_dask_columns,
    compute_together,
    is_dask,
    source_of,
)
from careprofiles.profiles.models import Pathway
from careprofiles.tariffs.tables import Tariff

__all__ = ["SUMMARY_KEYS", "Reduced", "reduce_activity"]

SUMMARY_KEYS = ("patient_id", "stage", "service", "area")
"""The keys of a summary table, in order."""
_SUMS = ("hours", "cost", "contacts", "no_minutes")
_SUMMARY_META = pd.DataFrame(
    {
        **{k: pd.Series([], dtype=object) for k in SUMMARY_KEYS},
        **{k: pd.Series([], dtype=np.float64) for k in _SUMS},
        "rows": pd.Series([], dtype=np.int64),
        "first_row": pd.Series([], dtype=np.int64),
    }
)


def _summarise_part(rows: Rows, number: int = 0) -> pd.DataFrame:
    """Totals of one frame or partition by (patient, stage, service, area).

    A missing service or area is ``""``; ``first_row`` is the encoded position
    (``partition << 40 | position``) of the group's first row.
    """
    n = rows.n
    keys: list[tuple[IntArray, int]] = []
    uniques: list[pd.Index] = []
    for column in SUMMARY_KEYS:
        if column in rows.frame.columns:
            codes, values = rows.factor(column)
            if column == "patient_id":
                codes, values = compact(codes, values, n)
        else:
            codes, values = np.full(n, -1, dtype=np.int8), pd.Index([], dtype=object)
        keys.append((codes, len(values)))
        uniques.append(values)
    groups = group_codes(keys, n)
    cost, hours = rows.figures()
    contacts, no_minutes = rows.contacts()
    # each group's first row: the least position in it (no hashing of the group codes)
    first_pos = np.full(groups.size, n, dtype=np.int64)
    np.minimum.at(first_pos, groups.inverse, np.arange(n, dtype=np.int64))
    if groups.keep is not None:
        first_pos = first_pos[groups.keep]
    first_row = rows.original(first_pos)
    table = {
        column: decode(values, codes, "" if column in ("service", "area") else None)
        .astype(object)
        .to_numpy()
        for column, values, codes in zip(SUMMARY_KEYS, uniques, groups.decoded, strict=True)
    }
    return pd.DataFrame(
        {
            **table,
            "hours": groups.sums(hours),
            "cost": groups.sums(cost),
            "contacts": groups.sums(contacts),
            "no_minutes": groups.sums(no_minutes),
            "rows": groups.sums(None).astype(np.int64),
            "first_row": first_row + (number << PART_SHIFT),
        }
    )


def _merge_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Totals of a summary table whose keys may repeat (from several partitions)."""
    if not len(table):
        return table
    merged = table.groupby(list(SUMMARY_KEYS), sort=False, dropna=False).agg(
        {**dict.fromkeys(_SUMS, "sum"), "rows": "sum", "first_row": "min"}
    )
    return merged.reset_index()


_T = TypeVar("_T")


@dataclass(frozen=True)
class Reduced(Generic[_T]):
    """The result of :func:`reduce_activity`, and how to name the rows it mentions."""

    value: _T
    source: Source
    offsets: pd.Series
    """The first row of each partition, by partition number."""
    index: pd.Index | None = None

    def row(self, encoded: int) -> int:
        """The 0-based row of an encoded ``first_row`` (``partition << 40 | position``)."""
        return int(global_rows(np.array([encoded], dtype=np.int64), self.offsets)[0])

    def place(self, encoded: int) -> tuple[str | None, int | None, str]:
        """``(file, line, where-prefix)`` of an encoded ``first_row``."""
        return places(self.source, np.array([self.row(encoded)], dtype=np.int64), self.index)[0]


def reduce_activity(
    activity: Frame | str | Path,
    tariff: Tariff,
    pathway: Pathway | None,
    reduce: Callable[[pd.DataFrame], _T],
    combine: Callable[[list[_T]], _T],
    *,
    need_area: bool = False,
    price_year: str | None = None,
) -> Reduced[_T]:
    """Check activity records, total them by (patient, stage, service, area), and reduce.

    ``reduce`` receives a summary table: one row per (patient_id, stage, service, area),
    service and area ``""`` if none, with hours, cost, contacts (staff), no_minutes (staff
    rows without minutes), rows and first_row (the group's first row, encoded as
    ``partition << 40 | position``). It holds *every* row of the patients it holds, so
    it may count distinct patients; ``combine`` adds up the reductions. pandas: one
    table, all patients. Dask: the partitions' totals are shuffled by patient and each
    shuffled partition reduced on its own, so no task holds more than its share of
    patients (memory stays bounded); the checks and the totals are computed in one pass
    over the data.
    """
    prices = Prices.of(tariff, pathway, price_year)
    checks = activity_checks(pathway, prices)
    if not is_dask(activity):
        frame = activity_frame(activity)
        encoded = Rows(frame, prices)
        found = check_rows(encoded, pathway, need_area)
        source = source_of(frame)
        raise_findings(found, source, checks, "activity records", frame.index)
        value = combine([reduce(_summarise_part(encoded))])
        return Reduced(value, source, partition_offsets(found), frame.index)
    check_dask_columns(activity)
    source = source_of(activity)

    def reduce_part(part: pd.DataFrame) -> pd.DataFrame:
        # one row holding the reduction (an object), so that it stays a Dask DataFrame
        # and is computed in the same graph (and the same pass over the data) as the checks
        return pd.DataFrame({"value": pd.Series([reduce(_merge_summary(part))], dtype=object)})

    partial = map_rows(activity, prices, _summarise_part, _SUMMARY_META)
    shuffled = partial.shuffle(on="patient_id")
    reduced = shuffled.map_partitions(reduce_part, meta=_REDUCED_META)
    findings = check_partitions(activity, prices, pathway, need_area)
    found, values = compute_together(findings, reduced)
    raise_findings(found, source, checks, "activity records")
    value = combine(list(values["value"]))
    return Reduced(value, source, partition_offsets(found))


_REDUCED_META = pd.DataFrame({"value": pd.Series([], dtype=object)})
