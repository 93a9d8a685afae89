"""What assessing practices gives: :func:`assess_standards` and :class:`StandardsResult`.

:func:`assess_standards` checks practices built in memory against the framework, then
applies the rules of :mod:`.status` in turn and keeps the columns a reader needs;
:class:`StandardsResult` holds the tables, for a notebook, and :meth:`~StandardsResult.to_dict`
the JSON-ready summary that every report (``careprofiles.outputs.standards``) shows.

Imports: errors, profiles (sources), standards.models, standards.framework, standards.status,
standards.renewal.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd

from careprofiles.errors import Problem, StandardsError
from careprofiles.profiles.sources import source_of
from careprofiles.standards.framework import load_framework
from careprofiles.standards.models import (
    STANDARD_STATUSES,
    Framework,
    PracticeAssessments,
    suggest,
)
from careprofiles.standards.renewal import accreditation_status, group_summary, today
from careprofiles.standards.status import (
    add_criterion_status,
    claims_grid,
    latest_gaps,
    practice_progression,
    practice_summary,
    standard_status,
    unevidenced_warnings,
)

__all__ = ["StandardsResult", "assess_standards"]

_VISIT = ["practice", "name", "assessment", "date"]
"""The columns that say which practice and which of its assessments a row is."""


@dataclass(frozen=True)
class StandardsResult:
    """Status of every practice against a framework, as DataFrames for a notebook.

    ``criteria``
        one row a practice x assessment x criterion: ``claimed`` (``met``,
        ``partly-met``, ``not-met`` or ``not-assessed``), ``evidence``,
        ``evidence_count``, ``status`` (what it counts as), ``met`` (counts as met),
        ``unevidenced`` (claimed met without evidence), ``required``, ``location``.
    ``standards``
        one row a practice x assessment x standard: ``met``, ``partly_met``, ``of``,
        ``required_met``, ``required_of``, ``status`` (``not started``, ``partly met``,
        ``met``), ``latest`` (the practice's latest assessment).
    ``progression``
        one row a practice x assessment: ``assessment`` (1 is the baseline), ``met``,
        ``of``, ``required_met``, ``required_of``, ``standards_met``, ``standards_of``,
        ``accredited`` (at that assessment), ``gained`` (criteria met since baseline).
    ``practices``
        one row a practice: ``group`` ("" for none), baseline and latest dates and counts,
        ``gained``, ``accredited`` (at the latest assessment), ``gaps``, ``unevidenced``;
        and at the assessment date ``as_at``: ``accredited_until`` and ``lapsed_on``
        (when the framework says how long accreditation lasts), ``lapsed``,
        ``currently_accredited`` and ``status`` (``accredited``, ``accreditation lapsed``,
        ``not accredited``).
    ``gaps``
        criteria not counting as met at each practice's latest assessment, with
        ``reason`` and the ``evidence_needed``.
    ``warnings``
        a :class:`Problem` (``file:line``) for each criterion claimed met without evidence.
    """

    framework: Framework
    practice_assessments: tuple[PracticeAssessments, ...]
    criteria: pd.DataFrame = field(repr=False)
    standards: pd.DataFrame = field(repr=False)
    progression: pd.DataFrame = field(repr=False)
    practices: pd.DataFrame = field(repr=False)
    gaps: pd.DataFrame = field(repr=False)
    warnings: tuple[Problem, ...] = ()
    as_at: date | None = None
    """The assessment date: accreditation older than the framework allows has lapsed by it."""

    @property
    def grouped(self) -> bool:
        """Whether any practice names a group."""
        return bool((self.practices["group"] != "").any())

    @property
    def renewal(self) -> bool:
        """Whether the framework says how long accreditation lasts."""
        return self.framework.accreditation_valid_months is not None

    def groups(self) -> pd.DataFrame:
        """One row a group, then the whole area: practices by status at :attr:`as_at`."""
        return group_summary(self.practices)

    def __repr__(self) -> str:
        from careprofiles.outputs.display import reprs

        return reprs.standards_repr(self)

    def _repr_html_(self) -> str:
        from careprofiles.outputs.display import reprs

        return reprs.standards_html(self)

    @property
    def accredited(self) -> list[str]:
        """Codes of the practices accredited at their latest assessment."""
        return [str(p) for p in self.practices.loc[self.practices["accredited"], "practice"]]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary: ``framework``, ``summary`` and ``practices``."""
        fw = self.framework
        table = fw.criteria_table()
        framework = {
            "id": fw.id,
            "name": fw.name,
            "version": fw.version,
            "source": fw.source,
            "standards": [
                {
                    "id": s.id,
                    "name": s.name,
                    "criteria": len(s.criteria),
                    "required": sum(c.required for c in s.criteria),
                }
                for s in fw.standards
            ],
            "criteria": len(table),
            "required": int(table["required"].sum()),
        }
        by_practice = {
            "progression": _records_by_practice(self.progression),
            "standards": _records_by_practice(self.standards[self.standards["latest"]]),
            "gaps": _records_by_practice(self.gaps),
        }
        practices = []
        for row in self.practices.to_dict("records"):
            code = row["practice"]
            prog = by_practice["progression"].get(code, [])
            latest_std = by_practice["standards"].get(code, [])
            gaps = by_practice["gaps"].get(code, [])
            practices.append(
                {
                    "practice": code,
                    "name": row["name"],
                    "accredited": bool(row["accredited"]),
                    "assessments": int(row["assessments"]),
                    "baseline_date": _iso(row["baseline_date"]),
                    "latest_date": _iso(row["latest_date"]),
                    "baseline": {
                        "date": _iso(row["baseline_date"]),
                        "met": int(row["baseline_met"]),
                        "of": int(row["of"]),
                        "required_met": int(row["baseline_required_met"]),
                        "required_of": int(row["required_of"]),
                        "standards_met": int(row["baseline_standards_met"]),
                    },
                    "latest": {
                        "date": _iso(row["latest_date"]),
                        "met": int(row["latest_met"]),
                        "of": int(row["of"]),
                        "required_met": int(row["latest_required_met"]),
                        "required_of": int(row["required_of"]),
                        "standards_met": int(row["latest_standards_met"]),
                    },
                    "gained": int(row["gained"]),
                    "progression": [
                        {
                            "assessment": int(p["assessment"]),
                            "date": _iso(p["date"]),
                            "met": int(p["met"]),
                            "of": int(p["of"]),
                            "required_met": int(p["required_met"]),
                            "required_of": int(p["required_of"]),
                            "standards_met": int(p["standards_met"]),
                            "accredited": bool(p["accredited"]),
                        }
                        for p in prog
                    ],
                    "standards": [
                        {
                            "id": s["standard"],
                            "name": s["standard_name"],
                            "status": s["status"],
                            "met": int(s["met"]),
                            "partly_met": int(s["partly_met"]),
                            "of": int(s["of"]),
                        }
                        for s in latest_std
                    ],
                    **self._programme_keys(row),
                    "gaps": [
                        {
                            "standard": g["standard"],
                            "criterion": g["criterion"],
                            "text": g["text"],
                            "required": bool(g["required"]),
                            "claimed": g["claimed"],
                            "status": g["status"],
                            "reason": g["reason"],
                            "evidence_needed": g["evidence_needed"],
                            "location": g["location"],
                        }
                        for g in gaps
                    ],
                }
            )
        summary = {
            "practices": len(practices),
            "accredited": sum(p["accredited"] for p in practices),
            "assessments": int(self.practices["assessments"].sum()),
            "unevidenced_claims": len(self.warnings),
            "standards": self.standards_across_practices().to_dict("records"),
        }
        if self.renewal:
            framework["accreditation_valid_months"] = fw.accreditation_valid_months
            summary["as_at"] = None if self.as_at is None else self.as_at.isoformat()
            summary["currently_accredited"] = int(self.practices["currently_accredited"].sum())
            summary["lapsed"] = int(self.practices["lapsed"].sum())
        if self.grouped or self.renewal:
            summary["groups"] = self.groups_records()
        return {"framework": framework, "summary": summary, "practices": practices}

    def groups_records(self) -> list[dict[str, Any]]:
        """:meth:`groups` as JSON-ready records."""
        return [
            {
                "group": str(g["group"]),
                "practices": int(g["practices"]),
                "accredited": int(g["accredited"]),
                "lapsed": int(g["lapsed"]),
                "not_accredited": int(g["not_accredited"]),
                "share_accredited": float(g["share_accredited"]),
            }
            for g in self.groups().to_dict("records")
        ]

    def _programme_keys(self, row: Mapping[Any, Any]) -> dict[str, Any]:
        """A practice's group and accreditation at :attr:`as_at`, when they are in use."""
        out: dict[str, Any] = {}
        if self.grouped:
            out["group"] = row["group"] or None
        if self.renewal:
            out["status"] = row["status"]
            out["accredited_until"] = _iso_or_none(row["accredited_until"])
            out["lapsed_on"] = _iso_or_none(row["lapsed_on"])
        return out

    def standards_across_practices(self) -> pd.DataFrame:
        """One row a standard: how many practices have it met, partly met, not started.

        Counted at each practice's latest assessment.
        """
        latest = self.standards[self.standards["latest"]]
        counts = pd.crosstab(latest["standard"], latest["status"])
        counts = counts.reindex(
            index=[s.id for s in self.framework.standards],
            columns=list(STANDARD_STATUSES),
            fill_value=0,
        ).astype(int)
        return pd.DataFrame(
            {
                "id": counts.index,
                "name": [s.name for s in self.framework.standards],
                "met": counts["met"].to_numpy(),
                "partly_met": counts["partly met"].to_numpy(),
                "not_started": counts["not started"].to_numpy(),
            }
        )


def _records_by_practice(frame: pd.DataFrame) -> dict[str, list[dict[str, Any]]]:
    """The rows of ``frame`` as records, in order, bucketed by practice (one pass)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for record in frame.to_dict("records"):
        out.setdefault(str(record["practice"]), []).append({str(k): v for k, v in record.items()})
    return out


def _iso(value: Any) -> str:
    return pd.Timestamp(value).date().isoformat()


def _iso_or_none(value: Any) -> str | None:
    return None if pd.isna(value) else _iso(value)


def _check_as_at(fw: Framework, practices: Sequence[PracticeAssessments], as_at: date) -> None:
    """Refuse an assessment date before a practice's latest assessment (when it matters)."""
    if fw.accreditation_valid_months is None:
        return
    problems = [
        Problem(
            *source_of(pa.latest),
            "date",
            f"practice {pa.practice!r} was assessed on {pa.latest.date}, after the "
            f"assessment date {as_at}; give a later assessment date (--as-at), or correct "
            "the date",
        )
        for pa in practices
        if pa.latest.date > as_at
    ]
    if problems:
        raise StandardsError(problems)


def _check_practices(fw: Framework, practices: Sequence[PracticeAssessments]) -> None:
    """Refuse practices built in memory that name unknown criteria or repeat a practice."""
    problems: list[Problem] = []
    known = fw.criterion_ids()
    known_set = set(known)
    seen: set[str] = set()
    for pa in practices:
        if pa.practice in seen:
            problems.append(
                Problem(
                    *source_of(pa),
                    "practice",
                    f"practice {pa.practice!r} is given twice; give each practice once",
                    code="duplicate-id",
                )
            )
        seen.add(pa.practice)
        if pa.framework is not None and pa.framework != fw.id:
            problems.append(
                Problem(
                    *source_of(pa),
                    "framework",
                    f"practice {pa.practice!r} was assessed against {pa.framework!r}, "
                    f"not {fw.id!r}; use the matching framework",
                )
            )
        for a in pa.assessments:
            for c in a.criteria:
                if c.criterion not in known_set:
                    problems.append(
                        Problem(
                            *source_of(c),
                            "criterion",
                            f"unknown criterion {c.criterion!r}{suggest(c.criterion, known)} "
                            f"(practice {pa.practice!r}, {a.date}); use a criterion id from "
                            f"the framework {fw.id!r}",
                        )
                    )
    if problems:
        raise StandardsError(problems)


def assess_standards(
    practices: Sequence[PracticeAssessments],
    framework: Framework | None = None,
    *,
    as_at: date | None = None,
) -> StandardsResult:
    """The status of each practice at each assessment, its progression and its gaps.

    ``framework`` defaults to the bundled one. ``as_at`` is the assessment date (default:
    today): when the framework says how long accreditation lasts
    (``accreditation_valid_months``), a practice accredited longer ago has lapsed by it.
    The rules (see :mod:`.status` and ``docs/standards.md``) are applied to one long
    table (practice x assessment x criterion) with column operations and group-bys,
    never a loop per row.
    """
    fw = load_framework() if framework is None else framework
    practices = tuple(practices)
    if not practices:
        raise StandardsError("no practices to assess; give at least one assessment file")
    _check_practices(fw, practices)
    when = today() if as_at is None else as_at
    _check_as_at(fw, practices, when)

    grid = claims_grid(fw, practices)
    add_criterion_status(grid)
    standards = standard_status(grid)
    progression = practice_progression(grid, standards)
    summary = practice_summary(progression)
    summary.insert(2, "group", [pa.group or "" for pa in practices])
    summary = accreditation_status(summary, fw.accreditation_valid_months, when)
    gap_rows = latest_gaps(grid)
    warnings = unevidenced_warnings(grid)
    return StandardsResult(
        framework=fw,
        practice_assessments=practices,
        criteria=grid[
            [
                *_VISIT,
                "standard",
                "criterion",
                "required",
                "claimed",
                "evidence",
                "evidence_count",
                "note",
                "status",
                "met",
                "unevidenced",
                "latest",
                "location",
            ]
        ],
        standards=standards[
            [
                *_VISIT,
                "standard",
                "standard_name",
                "met",
                "partly_met",
                "of",
                "required_met",
                "required_of",
                "status",
                "latest",
            ]
        ],
        progression=progression[
            [
                *_VISIT,
                "baseline",
                "latest",
                "met",
                "partly_met",
                "of",
                "required_met",
                "required_of",
                "standards_met",
                "standards_of",
                "unevidenced",
                "gained",
                "accredited",
            ]
        ],
        practices=summary,
        gaps=gap_rows[
            [
                "practice",
                "name",
                "date",
                "standard",
                "standard_name",
                "criterion",
                "required",
                "text",
                "claimed",
                "status",
                "reason",
                "evidence_needed",
                "location",
            ]
        ],
        warnings=warnings,
        as_at=when,
    )
