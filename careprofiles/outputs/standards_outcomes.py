"""Standards meet outcomes: practices' accreditation joined to their patients' audited outcomes.

Standards (:mod:`careprofiles.standards`) and activity (:mod:`careprofiles.activity`) are
sibling steps that do not import each other, so the join is here, above both.
:func:`standards_outcomes` reads outcome records as the audit does
(:func:`~careprofiles.activity.checks.check_outcomes`: ``patient_id, outcome, value``,
checked against the pathway's outcomes), with the optional ``practice`` column naming
each patient's practice, and for every outcome the framework's criteria link to
(``outcomes:``) compares the patients of practices **accredited** at the assessment date
with those of practices **not accredited** (lapsed accreditation included), each
practice and each side held against funnel limits (95% and 99.8%) around the rate of all
the practices' patients, the audit's own limits
(:func:`~careprofiles.activity.benchmark.funnel_limits`).

Refused, each at its ``file:line``: outcome records without a ``practice`` column, a row
without a practice, a practice that is not assessed, a patient in two practices (and all
of the audit's checks of outcome records).

Imports: errors, resources, profiles (models), activity (records, checks, benchmark),
standards (models, renewal, result).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from careprofiles.activity.benchmark import Z95, Z998, funnel_limits
from careprofiles.activity.checks import check_outcomes
from careprofiles.activity.records import outcome_frame, source_of
from careprofiles.errors import MAX_LISTED, ActivityError, Problem, StandardsError, more_problems
from careprofiles.profiles.models import Pathway
from careprofiles.resources import document_name
from careprofiles.standards.models import suggest
from careprofiles.standards.renewal import ACCREDITATION_STATUSES
from careprofiles.standards.result import StandardsResult

__all__ = ["SIDES", "StandardsOutcomes", "standards_outcomes"]

SIDES = ("accredited", "not accredited")
"""The two sides compared: practices accredited at the assessment date, and the rest."""


@dataclass(frozen=True)
class StandardsOutcomes:
    """Outcomes of the patients of accredited and not-accredited practices, compared."""

    comparison: pd.DataFrame = field(repr=False)
    """One row a linked outcome x side (accredited, not accredited): ``practices``,
    ``records``, ``achievement``, the all-practice ``rate``, ``lower_95``/``upper_95``,
    ``lower_998``/``upper_998`` and ``position`` (above, below, within; None without
    records); ``criteria``: the criteria linked to the outcome."""
    practices: pd.DataFrame = field(repr=False)
    """One row a linked outcome x practice: ``status``, ``side``, ``records``,
    ``achievement``, limits and ``position`` as above."""
    unlinked: pd.DataFrame = field(repr=False)
    """Outcomes with records that no criterion links to (not compared): ``outcome``, ``records``."""
    records: str | None = None
    """The outcome file by its name (None when given in memory)."""

    def differences(self) -> dict[str, float | None]:
        """Each linked outcome's accredited achievement minus the not-accredited one."""
        out: dict[str, float | None] = {}
        for outcome, rows in self.comparison.groupby("outcome", sort=False):
            a = rows.set_index("side")["achievement"]
            diff = float(a[SIDES[0]] - a[SIDES[1]])
            out[str(outcome)] = None if math.isnan(diff) else diff
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: each linked outcome with both sides and its practices."""
        diffs = self.differences()
        by_practice = {o: rows for o, rows in self.practices.groupby("outcome", sort=False)}
        outcomes = []
        for outcome, rows in self.comparison.groupby("outcome", sort=False):
            first = rows.iloc[0]
            outcomes.append(
                {
                    "outcome": str(outcome),
                    "name": first["name"],
                    "criteria": first["criteria"].split(", ") if first["criteria"] else [],
                    "binary": bool(first["binary"]),
                    "rate": _num(first["rate"]),
                    "difference": diffs[str(outcome)],
                    "sides": [_limits_record(r, "side") for r in rows.to_dict("records")],
                    "practices": [
                        {**_limits_record(r, "practice"), "status": r["status"]}
                        for r in by_practice[outcome].to_dict("records")
                    ],
                }
            )
        return {
            "records": self.records,
            "outcomes": outcomes,
            "unlinked": [
                {"outcome": str(r["outcome"]), "records": int(r["records"])}
                for r in self.unlinked.to_dict("records")
            ],
        }


def _num(value: Any) -> float | None:
    number = float(value)
    return None if math.isnan(number) else number


def _limits_record(row: Mapping[Any, Any], key: str) -> dict[str, Any]:
    out: dict[str, Any] = {key: row[key]}
    if key == "side":
        out["practices"] = int(row["practices"])
    out["records"] = int(row["records"])
    for name in ("achievement", "lower_95", "upper_95", "lower_998", "upper_998"):
        out[name] = _num(row[name])
    out["position"] = row["position"] if isinstance(row["position"], str) else None
    return out


def _practice_problems(
    frame: pd.DataFrame, rows: np.ndarray[Any, Any], result: StandardsResult, place: Any
) -> tuple[list[Problem], np.ndarray[Any, Any]]:
    """Each row's practice, checked: present, assessed, one practice a patient."""
    assessed = [str(p) for p in result.practices["practice"]]
    known = set(assessed)
    practice = frame["practice"].astype(object).to_numpy()[rows]
    practice = np.array(["" if pd.isna(p) else str(p).strip() for p in practice], dtype=object)
    patients = frame["patient_id"].astype(str).to_numpy(dtype=object)[rows]
    found: list[tuple[int, str, str]] = []
    first_of: dict[str, tuple[str, int]] = {}
    for i, (pid, code) in enumerate(zip(patients, practice, strict=True)):  # a loop a record
        if not code:
            found.append((i, "practice", "is empty; give the patient's practice code"))
            continue
        if code not in known:
            found.append(
                (
                    i,
                    "practice",
                    f"practice {code!r} is not assessed{suggest(code, assessed)}; give a "
                    "practice code from the assessments, or assess the practice",
                )
            )
            continue
        seen = first_of.setdefault(pid, (code, i))
        if seen[0] != code:
            _, line, _ = place(int(rows[seen[1]]))
            also = f" on line {line}" if line else ""
            found.append(
                (
                    i,
                    "practice",
                    f"patient {pid!r} is in practice {seen[0]!r}{also} and {code!r} here; "
                    "give each patient one practice",
                )
            )
    problems = []
    for i, where, message in found[:MAX_LISTED]:
        file, line, prefix = place(int(rows[i]))
        problems.append(Problem(file, line, f"{prefix} {where}".strip(), message))
    if len(found) > MAX_LISTED:
        file = place(int(rows[0]))[0]
        problems.append(
            Problem(file, None, "", more_problems(len(found) - MAX_LISTED, "outcome records"))
        )
    return problems, practice


def _position(achievement: np.ndarray[Any, Any], lo: np.ndarray[Any, Any], hi: Any) -> list[Any]:
    return [
        None
        if math.isnan(a) or math.isnan(low)
        else "above"
        if a > up
        else "below"
        if a < low
        else "within"
        for a, low, up in zip(achievement, lo, hi, strict=True)
    ]


def _with_limits(frame: pd.DataFrame, rate: float, binary: bool, sd: float) -> pd.DataFrame:
    n = frame["records"].to_numpy(dtype=np.float64)
    achievement = frame["achievement"].to_numpy(dtype=np.float64)
    for z, tag in ((Z95, "95"), (Z998, "998")):
        lo, hi = funnel_limits(rate, n, z, binary, sd)
        frame[f"lower_{tag}"], frame[f"upper_{tag}"] = lo, hi
    frame["position"] = _position(
        achievement, frame["lower_95"].to_numpy(), frame["upper_95"].to_numpy()
    )
    return frame


def standards_outcomes(
    result: StandardsResult, outcomes: pd.DataFrame | str | Path, pathway: Pathway
) -> StandardsOutcomes:
    """Join ``result``'s practices to outcome records (see the module); raises
    :class:`ActivityError` naming every bad record (``file:line``)."""
    fw = result.framework
    linked = fw.outcomes()
    if not linked:
        raise StandardsError(
            f"no criterion of the framework {fw.id!r} links to an outcome, so there is "
            "nothing to compare; give criteria 'outcomes:' (outcome ids of the profiles)"
        )
    frame = outcome_frame(outcomes)
    source = source_of(frame)
    if "practice" not in frame.columns:
        raise ActivityError(
            [
                Problem(
                    source.file,
                    1 if source.kind == "csv" else None,
                    "header",
                    "no practice column; outcome records joined to the standards need the "
                    "patient's practice on every row: add a 'practice' column with the "
                    "practice codes of the assessments",
                    code="missing-column",
                )
            ]
        )
    checked = check_outcomes(frame, pathway)
    table = checked.table
    rows = table["row"].to_numpy(dtype=np.int64)
    problems, practice = _practice_problems(frame, rows, result, checked.place)
    if problems:
        raise ActivityError(problems)
    status = result.practices.set_index("practice")["status"]
    records = table.assign(practice=practice)
    records["status"] = records["practice"].map(status)
    records["side"] = np.where(records["status"] == ACCREDITATION_STATUSES[0], SIDES[0], SIDES[1])
    names = {o.id: o.label for s in pathway.stages for o in s.outcomes}
    comparison, per_practice = [], []
    practices = result.practices[["practice", "status"]].copy()
    practices["side"] = np.where(practices["status"] == ACCREDITATION_STATUSES[0], *SIDES)
    for outcome in linked:  # a loop over outcomes, not records
        values = records[records["outcome"] == outcome]
        rate = float(values["value"].mean()) if len(values) else math.nan
        binary = bool(values["value"].isin([0.0, 1.0]).all())
        sd = float(values["value"].std(ddof=1)) if len(values) > 1 else math.nan
        criteria = ", ".join(c.id for c in fw.criteria_for(outcome))
        stats = values.groupby("side")["value"].agg(["count", "mean"]).reindex(list(SIDES))
        sides = pd.DataFrame(
            {
                "outcome": outcome,
                "name": names.get(outcome, outcome),
                "criteria": criteria,
                "binary": binary,
                "side": list(SIDES),
                "practices": [int((practices["side"] == s).sum()) for s in SIDES],
                "records": stats["count"].fillna(0).to_numpy(dtype=np.int64),
                "achievement": stats["mean"].to_numpy(dtype=np.float64),
                "rate": rate,
            }
        )
        comparison.append(_with_limits(sides, rate, binary, sd))
        by = values.groupby("practice")["value"].agg(["count", "mean"])
        by = by.reindex(practices["practice"].to_numpy())
        each = practices.assign(
            outcome=outcome,
            records=by["count"].fillna(0).to_numpy(dtype=np.int64),
            achievement=by["mean"].to_numpy(dtype=np.float64),
            rate=rate,
        )
        per_practice.append(_with_limits(each, rate, binary, sd))
    others = records[~records["outcome"].isin(linked)]
    unlinked = others.groupby("outcome", sort=False).size().rename("records").reset_index()
    return StandardsOutcomes(
        comparison=pd.concat(comparison, ignore_index=True),
        practices=pd.concat(per_practice, ignore_index=True),
        unlinked=unlinked,
        records=None if source.path is None else document_name(source.path),
    )
