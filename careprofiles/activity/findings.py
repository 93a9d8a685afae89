"""Failed checks, and how they become problems that name their rows.

A check (:class:`Check`) fails on some rows of a frame or Dask partition; a
:class:`Collector` keeps the first :data:`MAX_LISTED` failing rows (the one cap on listed
problems, :data:`careprofiles.errors.MAX_LISTED`) of each check and a
count of the rest, as a small frame (``check, pos, value, context, count``, one more row
carrying the partition's length) that Dask partitions return and concatenate cheaply.
:func:`raise_findings` turns those frames into one :class:`~careprofiles.errors.ActivityError`
(an :class:`ActivityCodeError` when a code is not in the tariff): the first bad rows in
row order, each ``file:line: column: what is wrong; how to fix`` (:func:`places`), and
the rest counted. Rows of a Dask partition are encoded as ``partition << 40 | position``
(:data:`PART_SHIFT`) and numbered across the dataset by :func:`global_rows`.

Imports: activity.records, activity.encoding, careprofiles.errors.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from careprofiles.activity.encoding import Rows
from careprofiles.activity.records import BoolArray, Int64Array, Source
from careprofiles.errors import (
    MAX_LISTED,
    ActivityError,
    MissingCodeError,
    Problem,
    more_problems,
)

__all__ = [
    "FINDINGS_META",
    "MAX_LISTED",
    "PART_SHIFT",
    "ActivityCodeError",
    "Check",
    "Collector",
    "global_rows",
    "partition_offsets",
    "places",
    "raise_findings",
    "text_at",
]

PART_SHIFT = 40
"""Dask: a row's encoded position is ``partition << 40 | position in the partition``."""


class ActivityCodeError(ActivityError, MissingCodeError):
    """Activity records name a tariff code that no tariff file defines.

    Both an :class:`~careprofiles.errors.ActivityError` and a
    :class:`~careprofiles.errors.MissingCodeError` (so a ``LookupError`` too).
    """


@dataclass(frozen=True)
class Check:
    """One check on records: the column it concerns and how its problem is worded."""

    column: str
    message: Callable[[str, str], str]
    """(value, context) → what is wrong; how to fix. For a :attr:`header` check: (the
    number of rows it concerns, the first such row's context)."""
    missing_code: bool = False
    header: bool = False
    """A problem of the file, not of its rows (a column it lacks that some rows need):
    reported once, at the header (line 1 of a CSV file), with the number of rows."""
    code: str = ""
    """The problem's code (``Problem.code``), if it has one."""


def text_at(column: pd.Series, positions: Int64Array) -> list[str]:
    """The values at ``positions`` as text (``""`` for a missing one)."""
    values = column.iloc[positions].to_numpy(dtype=object)
    return ["" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v) for v in values]


class Collector:
    """Failed checks of one frame: the first bad rows of each check, and a count."""

    def __init__(self, part: int = 0, rows: Rows | None = None) -> None:
        self.base = part << PART_SHIFT
        self.part = part
        self.rows = rows
        self.out: dict[str, list[Any]] = {
            "check": [],
            "pos": [],
            "value": [],
            "context": [],
            "count": [],
        }

    def report(
        self,
        check: str,
        mask: BoolArray,
        value: pd.Series | None = None,
        context: Callable[[Int64Array], list[str]] | None = None,
    ) -> None:
        """Record ``check`` failing on the rows of ``mask``: the first :data:`MAX_LISTED`,
        with their ``value`` and ``context`` as text, and the count."""
        total = int(np.count_nonzero(mask))
        if not total:
            return
        positions = np.flatnonzero(mask)[:MAX_LISTED].astype(np.int64)
        values = text_at(value, positions) if value is not None else [""] * len(positions)
        contexts = context(positions) if context is not None else [""] * len(positions)
        k = len(positions)
        read = self.rows.original(positions) if self.rows is not None else positions
        self.out["check"].extend([check] * (k + 1))
        self.out["pos"].extend([*(read + self.base).tolist(), -1])
        self.out["value"].extend([*values, ""])
        self.out["context"].extend([*contexts, ""])
        self.out["count"].extend([0] * k + [total])

    def frame(self, n: int) -> pd.DataFrame:
        """The failed checks as a findings frame, closed by the ``__len__`` row (``n`` rows)."""
        out = self.out
        return pd.DataFrame(
            {
                "check": pd.Series([*out["check"], "__len__"], dtype=object),
                "pos": pd.Series([*out["pos"], self.part], dtype=np.int64),
                "value": pd.Series([*out["value"], ""], dtype=object),
                "context": pd.Series([*out["context"], ""], dtype=object),
                "count": pd.Series([*out["count"], n], dtype=np.int64),
            }
        )


FINDINGS_META = pd.DataFrame(
    {
        "check": pd.Series([], dtype=object),
        "pos": pd.Series([], dtype=np.int64),
        "value": pd.Series([], dtype=object),
        "context": pd.Series([], dtype=object),
        "count": pd.Series([], dtype=np.int64),
    }
)


def partition_offsets(found: pd.DataFrame) -> pd.Series:
    """The first row of each partition, indexed by partition number."""
    lengths = found[found["check"] == "__len__"].sort_values("pos")
    starts = np.concatenate([[0], np.cumsum(lengths["count"].to_numpy())[:-1]])
    return pd.Series(starts.astype(np.int64), index=lengths["pos"].to_numpy())


def global_rows(encoded: NDArray[np.int64], offsets: pd.Series) -> Int64Array:
    """0-based rows in dataset order, for encoded positions (see :data:`PART_SHIFT`)."""
    parts = encoded >> PART_SHIFT
    local = encoded & ((1 << PART_SHIFT) - 1)
    starts = offsets.reindex(parts).fillna(0).to_numpy(dtype=np.int64)
    result: Int64Array = starts + local
    return result


def places(
    source: Source, rows: Int64Array, index: pd.Index | None
) -> list[tuple[str | None, int | None, str]]:
    """``(file, line, where-prefix)`` of 0-based rows; an in-memory frame's rows are named
    by its ``index``."""
    if source.kind == "frame" and index is not None:
        return [(None, None, f"index {index[int(r)]}") for r in rows]
    return source.locate(rows)


def _header_problems(
    body: pd.DataFrame,
    found: pd.DataFrame,
    source: Source,
    checks: dict[str, Check],
    names: list[str],
) -> list[Problem]:
    """One problem for each :attr:`Check.header` check in ``names``, at the file's header:
    its count of rows over every partition, the context of its first row."""
    line = 1 if source.kind == "csv" else None
    offsets = partition_offsets(found)
    out: list[Problem] = []
    for name in names:
        rows = body[body["check"] == name]
        count = int(rows.loc[rows["pos"] < 0, "count"].sum())
        listed = rows[rows["pos"] >= 0]
        first = global_rows(listed["pos"].to_numpy(dtype=np.int64), offsets).argmin()
        context = str(listed["context"].iloc[int(first)])
        spec = checks[name]
        out.append(
            Problem(
                source.file,
                line,
                "header",
                spec.message(f"{count:,}", context),
                code="missing-column",
            )
        )
    return out


def raise_findings(
    found: pd.DataFrame,
    source: Source,
    checks: dict[str, Check],
    what: str,
    index: pd.Index | None = None,
) -> None:
    """Raise one error listing the first bad rows (in row order) and counting the rest."""
    body = found[found["check"] != "__len__"]
    if body.empty:
        return
    problems: list[Problem] = []
    headers = [c for c in body["check"].unique() if checks[c].header]
    if headers:
        problems.extend(_header_problems(body, found, source, checks, headers))
        body = body[~body["check"].isin(headers)]
    total = int(body.loc[body["pos"] < 0, "count"].sum()) + len(problems)
    listed = body[body["pos"] >= 0].copy()
    listed["row"] = global_rows(listed["pos"].to_numpy(dtype=np.int64), partition_offsets(found))
    listed["order"] = listed["check"].map({c: i for i, c in enumerate(checks)})
    listed = listed.sort_values(["row", "order"], kind="stable").head(MAX_LISTED)
    located = places(source, listed["row"].to_numpy(dtype=np.int64), index)
    missing_code = False
    for (file, line, prefix), check, value, context in zip(
        located, listed["check"], listed["value"], listed["context"], strict=True
    ):  # at most MAX_LISTED problems, to word their messages
        spec = checks[check]
        missing_code |= spec.missing_code
        where = f"{prefix}, {spec.column}" if prefix else spec.column
        problems.append(Problem(file, line, where, spec.message(value, context), spec.code))
    if total > len(problems):
        problems.append(
            Problem(
                source.file,
                None,
                "",
                more_problems(total - len(problems), what),
            )
        )
    raise (ActivityCodeError if missing_code else ActivityError)(problems)
