"""The status rules, applied to one long table (practice x assessment x criterion).

* a criterion *counts as met* when it is claimed ``met`` **and** has evidence; ``met``
  without evidence counts as partly met and is reported (a warning with ``file:line``,
  and a gap); a criterion left out of an assessment counts as not met;
* a standard is ``met`` when every one of its criteria counts as met, ``not started``
  when none is met or partly met, ``partly met`` otherwise;
* a practice is **accredited** when every *required* criterion counts as met at an
  assessment (its status is that at its latest assessment);
* progression is counted from the baseline (the first assessment); the gaps are the
  criteria not counting as met at the latest assessment.

:func:`claims_grid` flattens the practices' assessments into the table; each function
after it applies one rule with column operations and group-bys, never a loop per row.
:func:`~.result.assess_standards` calls them in turn.

Imports: errors, resources, profiles (sources), standards.models.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from careprofiles.errors import Problem
from careprofiles.profiles.sources import source_of
from careprofiles.resources import source_name
from careprofiles.standards.models import Framework, PracticeAssessments

__all__ = [
    "add_criterion_status",
    "claims_grid",
    "latest_gaps",
    "practice_progression",
    "practice_summary",
    "standard_status",
    "unevidenced_warnings",
]

_COUNTED = ["met", "partly_met", "required_met", "required", "unevidenced"]
"""The true/false columns summed over a standard's, or an assessment's, criteria."""

_VISIT_COLUMNS = ["practice", "name", "assessment", "date", "assessments"]
"""The columns that say which practice and which of its assessments a row is."""


def claims_grid(fw: Framework, practices: tuple[PracticeAssessments, ...]) -> pd.DataFrame:
    """One row a practice x assessment x criterion, in that order, with what was claimed.

    ``visit`` numbers the (practice, assessment) pairs; a criterion left out of an
    assessment is ``not-assessed``. Flattening the models is the only Python loop (one
    step a claim); every rule after it is applied to whole columns.
    """
    crit = fw.criteria_table()
    visits = pd.DataFrame.from_records(
        [
            (i, pa.practice, pa.label, k, a.date, len(pa.assessments))
            for i, pa in enumerate(practices)
            for k, a in enumerate(pa.assessments, start=1)
        ],
        columns=["practice_order", "practice", "name", "assessment", "date", "assessments"],
    )
    visits["date"] = pd.to_datetime(visits["date"])
    order = {cid: j for j, cid in enumerate(crit["criterion"])}
    claims = pd.DataFrame.from_records(
        [
            (
                visit,
                order[c.criterion],
                c.status,
                "; ".join(c.evidence),
                len(c.evidence),
                c.note or "",
                *source_of(c),
            )
            for visit, a in enumerate(a for pa in practices for a in pa.assessments)
            for c in a.criteria
        ],
        columns=[
            "visit",
            "criterion_order",
            "claimed",
            "evidence",
            "evidence_count",
            "note",
            "file",
            "line",
        ],
    )
    n_visits, n_criteria = len(visits), len(crit)
    visit = np.repeat(np.arange(n_visits), n_criteria)
    criterion = np.tile(np.arange(n_criteria), n_visits)
    grid = pd.concat(
        [
            visits.iloc[visit].reset_index(drop=True),
            crit.iloc[criterion].reset_index(drop=True),
        ],
        axis=1,
    )
    grid.insert(0, "visit", visit)
    # Scatter each claim into its row; rows with no claim keep the defaults.
    at = (claims["visit"] * n_criteria + claims["criterion_order"]).to_numpy(dtype="int64")
    for column, default in (
        ("claimed", "not-assessed"),
        ("evidence", ""),
        ("note", ""),
        ("file", ""),
    ):
        values = np.full(len(grid), default, dtype=object)
        values[at] = claims[column].fillna(default).to_numpy(dtype=object)
        grid[column] = pd.Series(values, dtype=str)
    counts = np.zeros(len(grid), dtype="int64")
    counts[at] = claims["evidence_count"].to_numpy(dtype="int64")
    grid["evidence_count"] = counts
    lines = np.zeros(len(grid), dtype="int64")
    lines[at] = claims["line"].fillna(0).to_numpy(dtype="int64")
    grid["line"] = lines
    return grid


def add_criterion_status(grid: pd.DataFrame) -> None:
    """Add what each claim counts as to :func:`claims_grid`'s table, in place.

    ``met`` (claimed met, with evidence), ``unevidenced`` (claimed met without),
    ``partly_met``, ``status`` (``met``, ``partly-met`` or ``not-met``), ``latest`` (the
    practice's latest assessment), ``required_met`` and ``location`` (``file:line``, the
    file by its name as outputs give it: never a machine path; ``file`` keeps the path as
    messages name it).
    """
    claimed_met = grid["claimed"] == "met"
    has_evidence = grid["evidence_count"] > 0
    grid["met"] = claimed_met & has_evidence
    grid["unevidenced"] = claimed_met & ~has_evidence
    grid["partly_met"] = grid["unevidenced"] | (grid["claimed"] == "partly-met")
    grid["status"] = np.select(
        [grid["met"], grid["partly_met"]], ["met", "partly-met"], default="not-met"
    )
    grid["latest"] = grid["assessment"] == grid["assessments"]
    grid["required_met"] = grid["met"] & grid["required"]
    files = grid["file"].astype(str)
    names = files.map({f: source_name(f) for f in files.unique()})  # each file once
    grid["location"] = np.where(grid["line"] > 0, names + ":" + grid["line"].astype(str), names)


def standard_status(grid: pd.DataFrame) -> pd.DataFrame:
    """One row a practice x assessment x standard: its criteria counted, and ``status``."""
    standards = grid.groupby(["visit", "standard_order"], sort=True)[_COUNTED].sum()
    standards["of"] = grid.groupby(["visit", "standard_order"], sort=True).size()
    standards = standards.reset_index().rename(columns={"required": "required_of"})
    # The grid runs in criterion order, so a standard's criteria are contiguous and the
    # first row of each (visit, standard) carries its labels in group-by order.
    labels = grid.drop_duplicates(["visit", "standard_order"])[
        ["visit", "standard_order", *_VISIT_COLUMNS, "standard", "standard_name"]
    ].reset_index(drop=True)
    assert labels["visit"].equals(standards["visit"])
    assert labels["standard_order"].equals(standards["standard_order"])
    labels = labels.drop(columns=["visit", "standard_order"])
    standards = pd.concat([labels, standards], axis=1)
    standards["status"] = np.select(
        [standards["met"] == standards["of"], (standards["met"] + standards["partly_met"]) > 0],
        ["met", "partly met"],
        default="not started",
    )
    standards["latest"] = standards["assessment"] == standards["assessments"]
    return standards


def practice_progression(grid: pd.DataFrame, standards: pd.DataFrame) -> pd.DataFrame:
    """One row a practice x assessment: criteria and standards met, ``accredited`` at
    that assessment, and criteria ``gained`` since the baseline."""
    progression = grid.groupby("visit", sort=True)[_COUNTED].sum()
    progression["of"] = grid.groupby("visit", sort=True).size()
    progression["standards_met"] = (
        (standards["status"] == "met").groupby(standards["visit"], sort=True).sum()
    )
    progression["standards_of"] = standards.groupby("visit", sort=True).size()
    progression = progression.rename(columns={"required": "required_of"})
    first_of_visit = grid.drop_duplicates("visit").set_index("visit")
    progression = pd.concat(
        [first_of_visit[["practice_order", *_VISIT_COLUMNS]], progression], axis=1
    ).reset_index()
    progression["accredited"] = progression["required_met"] == progression["required_of"]
    progression["gained"] = progression["met"] - progression.groupby("practice_order", sort=False)[
        "met"
    ].transform("first")
    progression["baseline"] = progression["assessment"] == 1
    progression["latest"] = progression["assessment"] == progression["assessments"]
    return progression


def practice_summary(progression: pd.DataFrame) -> pd.DataFrame:
    """One row a practice: its baseline and its latest assessment side by side."""
    first = progression[progression["baseline"]].set_index("practice_order")
    last = progression[progression["latest"]].set_index("practice_order")
    return pd.DataFrame(
        {
            "practice": last["practice"],
            "name": last["name"],
            "assessments": last["assessments"],
            "baseline_date": first["date"],
            "baseline_met": first["met"],
            "baseline_required_met": first["required_met"],
            "baseline_standards_met": first["standards_met"],
            "latest_date": last["date"],
            "latest_met": last["met"],
            "latest_required_met": last["required_met"],
            "latest_standards_met": last["standards_met"],
            "of": last["of"],
            "required_of": last["required_of"],
            "standards_of": last["standards_of"],
            "gained": last["gained"],
            "accredited": last["accredited"],
            "gaps": last["of"] - last["met"],
            "required_gaps": last["required_of"] - last["required_met"],
            "unevidenced": last["unevidenced"],
        }
    ).reset_index(drop=True)


def latest_gaps(grid: pd.DataFrame) -> pd.DataFrame:
    """The criteria not counting as met at each practice's latest assessment, required
    first, each with the ``reason``."""
    gap_rows = grid[grid["latest"] & ~grid["met"]].sort_values(
        ["practice_order", "required", "criterion_order"],
        ascending=[True, False, True],
        ignore_index=True,
    )
    gap_rows["reason"] = np.select(
        [
            gap_rows["unevidenced"],
            gap_rows["claimed"] == "partly-met",
            gap_rows["claimed"] == "not-met",
        ],
        ["met without evidence", "partly met", "not met"],
        default="not assessed",
    )
    return gap_rows


def unevidenced_warnings(grid: pd.DataFrame) -> tuple[Problem, ...]:
    """A problem at its ``file:line`` for each criterion claimed met without evidence."""
    unevidenced = grid[grid["unevidenced"]]
    return tuple(
        Problem(
            file or None,
            line or None,
            f"{practice} {when} {criterion}",
            "marked met without evidence, so it counts as partly met; give the evidence "
            f"({needed.rstrip('.')})",
        )
        for practice, when, criterion, file, line, needed in zip(
            unevidenced["practice"],
            unevidenced["date"].dt.strftime("%Y-%m-%d"),
            unevidenced["criterion"],
            unevidenced["file"],
            unevidenced["line"].astype(int),
            unevidenced["evidence_needed"],
            strict=True,
        )
    )
