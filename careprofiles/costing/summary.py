"""A cost result's tables by stage, role, setting and funder as plain rows, without pandas:
what ``careprofiles cost`` prints (``CostResult.summary()``), so that the command
imports no pandas (issue 17: start-up).

Each function gives the rows of one of :class:`~careprofiles.costing.result.CostResult`'s
DataFrames (:meth:`~careprofiles.costing.result.CostResult.by_stage`, ``by_role``,
``by_setting``, ``by_funder``), one dict a row with the same columns, in the same order,
with the same figures to the last bit: each group's sum is added as pandas' ``groupby``
adds it (:func:`_sums`), a total as numpy adds it, and a table is sorted as
``sort_values(kind="stable")`` sorts it. ``tests/costing/test_summary.py`` checks every
figure against the DataFrames' (a pandas that adds groups otherwise, as before 3.1, could
make a sum differ in its last bit: never a printed figure).

Imports: profiles, costing.result (for types); numpy.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Sequence
from importlib import metadata
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from careprofiles.profiles.distributions import base_value
from careprofiles.profiles.evidence import funder_name

if TYPE_CHECKING:
    from careprofiles.costing.result import CostResult

__all__ = ["funder_rows", "role_rows", "setting_rows", "stage_rows", "sums_as_pandas"]

FloatArray = NDArray[np.float64]
Row = dict[str, Any]


@functools.cache
def sums_as_pandas() -> bool:
    """Whether the installed pandas adds a group's figures as :func:`_sums` does (3.1 and
    later). With an older one the rows are read from the DataFrames instead (pandas is
    imported then), so that the printed figures are always the DataFrames' to the bit."""
    found = re.match(r"(\d+)\.(\d+)", metadata.version("pandas"))
    return found is not None and (int(found[1]), int(found[2])) >= (3, 1)


def _frame_rows(frame: Any) -> list[Row]:
    rows: list[Row] = frame.to_dict(orient="records")
    return rows


def stage_rows(result: CostResult) -> list[Row]:
    """The rows of :meth:`CostResult.by_stage`."""
    if not sums_as_pandas():
        return _frame_rows(result.by_stage())
    stages = result.pathway.stages
    ids = [s.id for s in stages]
    keys, codes = _groups(result.model.columns["stage"].tolist())
    n = len(keys)
    figures = result.figures
    reached = dict(zip(keys, _sums(codes, n, figures["cost_per_patient_reached"]), strict=True))
    hours = dict(zip(keys, _sums(codes, n, figures["hours_population"]), strict=True))
    per_patient = np.asarray(result._stage_per_patient()[:, 0], dtype=np.float64)
    cohort = result.cohort
    with np.errstate(all="ignore"):
        reach = np.array([base_value(s.reach) for s in stages], dtype=np.float64)
        patients = reach * cohort
        total = per_patient * cohort
        share = _share(per_patient)
    return [
        {
            "stage": stage_id,
            "name": stage.label,
            "duration_weeks": base_value(stage.duration_weeks),
            "reach": float(reach[i]),
            "patients": float(patients[i]),
            "per_patient_reached": _zero_if_nan(reached.get(stage_id, 0.0)),
            "per_patient": float(per_patient[i]),
            "total": float(total[i]),
            "hours": _zero_if_nan(hours.get(stage_id, 0.0)),
            "share_of_total": float(share[i]),
        }
        for i, (stage_id, stage) in enumerate(zip(ids, stages, strict=True))
    ]


def role_rows(result: CostResult) -> list[Row]:
    """The rows of :meth:`CostResult.by_role`: staff lines by role, in order of first use."""
    if not sums_as_pandas():
        return _frame_rows(result.by_role())
    columns = result.model.columns
    staff = np.flatnonzero(columns["kind"] == "staff")
    keys, codes = _groups(columns["code"][staff].tolist())
    n = len(keys)
    description = _firsts(codes, n, columns["description"][staff].tolist())
    unit = _firsts(codes, n, columns["unit"][staff].tolist())
    per_wte = np.array(_firsts(codes, n, columns["hours_per_wte"][staff].tolist()), np.float64)
    hours = np.array(_sums(codes, n, result.figures["hours_population"][staff]), np.float64)
    cost = _sums(codes, n, result.figures["cost_population"][staff])
    per_patient = _sums(codes, n, result.figures["cost_per_patient"][staff])
    with np.errstate(all="ignore"):
        wte = hours / per_wte
    return [
        {
            "role": keys[i],
            "description": description[i],
            "unit": unit[i],
            "hours": float(hours[i]),
            "hours_per_wte": float(per_wte[i]),
            "wte": float(wte[i]),
            "cost": cost[i],
            "per_patient": per_patient[i],
        }
        for i in range(n)
    ]


def setting_rows(result: CostResult) -> list[Row]:
    """The rows of :meth:`CostResult.by_setting`, most costly first."""
    if not sums_as_pandas():
        return _frame_rows(result.by_setting())
    return _shares(result, "setting")


def funder_rows(result: CostResult) -> list[Row]:
    """The rows of :meth:`CostResult.by_funder`, most costly first."""
    if not sums_as_pandas():
        return _frame_rows(result.by_funder())
    return _shares(result, "funder")


def _shares(result: CostResult, key: str) -> list[Row]:
    """Per value of the lines' ``key`` column: cost per cohort patient, total, hours and
    share of the total, sorted by cost per patient, highest first (ties in order of
    first appearance, a figure that is not a number last)."""
    keys, codes = _groups(result.model.columns[key].tolist())
    n = len(keys)
    figures = result.figures
    per_patient = np.array(_sums(codes, n, figures["cost_per_patient"]), dtype=np.float64)
    total = _sums(codes, n, figures["cost_population"])
    hours = _sums(codes, n, figures["hours_population"])
    share = _share(per_patient)
    rows: list[Row] = []
    for i in _descending(per_patient.tolist()):
        row: Row = {key: keys[i]}
        if key == "funder":
            row["name"] = funder_name(keys[i])
        row.update(
            per_patient=float(per_patient[i]),
            total=total[i],
            hours=hours[i],
            share_of_total=float(share[i]),
        )
        rows.append(row)
    return rows


def _groups(keys: Sequence[Any]) -> tuple[list[Any], list[int]]:
    """The distinct ``keys`` in order of first appearance, and each key's group number
    (-1 for a missing key, which pandas' ``groupby`` leaves out)."""
    number: dict[Any, int] = {}
    codes = [-1 if _missing(k) else number.setdefault(k, len(number)) for k in keys]
    return list(number), codes


def _sums(codes: list[int], groups: int, values: FloatArray) -> list[float]:
    """Each group's sum of ``values``, as pandas' ``groupby(...).sum()`` adds it.

    pandas (3.1) has two ways. When the group numbers never decrease (each group's lines
    together, as a stage's are) and no value is NaN, ``np.add.reduceat`` over each run
    of lines. Otherwise its Cython kernel: in line order, with Kahan's compensation, a
    value that is not a number skipped, and a compensation that is not a number (after
    an infinite value) reset to 0.
    """
    start = 0
    while start < len(codes) and codes[start] < 0:  # missing keys: left out, first
        start += 1
    ids = np.asarray(codes, dtype=np.intp)
    if start < len(codes) and not (np.diff(ids) < 0).any() and not np.isnan(values).any():
        ids = ids[start:]
        starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
        out = np.zeros(groups, dtype=np.float64)
        out[ids[starts]] = np.add.reduceat(values[start:], starts)
        return [float(v) for v in out.tolist()]
    sums = [0.0] * groups
    compensation = [0.0] * groups
    for g, v in zip(codes, values.tolist(), strict=True):
        if g < 0 or v != v:
            continue
        y = v - compensation[g]
        s = sums[g]
        t = s + y
        c = t - s - y
        compensation[g] = 0.0 if c != c else c
        sums[g] = t
    return sums


def _descending(values: list[float]) -> list[int]:
    """The positions of ``values``, highest first, as ``sort_values(ascending=False,
    kind="stable")`` orders them: ties in their order, values that are not numbers last."""
    return sorted(
        range(len(values)),
        key=lambda i: (True, 0.0) if math.isnan(values[i]) else (False, -values[i]),
    )


def _firsts(codes: list[int], groups: int, values: list[Any]) -> list[Any]:
    """Each group's first value that is not missing (``groupby(...).first()``); NaN for a
    group with none."""
    firsts: list[Any] = [None] * groups
    found = [False] * groups
    for g, v in zip(codes, values, strict=True):
        if g >= 0 and not found[g] and not _missing(v):
            firsts[g], found[g] = v, True
    return [v if ok else math.nan for v, ok in zip(firsts, found, strict=True)]


def _share(values: FloatArray) -> FloatArray:
    """Each value's share of their sum (as ``CostResult``'s tables: 0 when it is 0)."""
    total = float(np.nansum(values))
    with np.errstate(all="ignore"):
        shares: FloatArray = values / total if total else values * 0.0
    return shares


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _zero_if_nan(value: float) -> float:
    """A stage's sum as ``by_stage`` gives it: a stage with no lines, or whose sum is not
    a number, shows 0."""
    return 0.0 if math.isnan(value) else value
