"""Assessment CSV files: many practices' assessments, one row a criterion an assessment.

The columns are :data:`CSV_COLUMNS` (in any order), and optionally
:data:`CSV_OPTIONAL_COLUMNS`; several evidence references in one cell are separated by
:data:`EVIDENCE_SEPARATOR`. :func:`read_csv_practices` checks every value, all rows at
once (column operations, not a loop per row), and builds the practices' assessments.

Reading the file itself (its size, its UTF-8 text, the header, the rows and the line
each starts on) is the shared CSV reader's (:func:`careprofiles.profiles.csvfiles.read_csv`),
called in one function, ``_read_assessment_csv``.

Imports: errors, profiles (the CSV reader, sources, validation), standards.models.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from careprofiles.errors import Problem, display_path
from careprofiles.profiles.csvfiles import CsvDialect, read_csv
from careprofiles.profiles.sources import set_source
from careprofiles.profiles.validation import sort_problems
from careprofiles.standards.models import (
    CRITERION_STATUSES,
    PRACTICE_CODE,
    Assessment,
    CriterionAssessment,
    Framework,
    PracticeAssessments,
    suggest,
)

__all__ = [
    "CSV_COLUMNS",
    "CSV_OPTIONAL_COLUMNS",
    "EVIDENCE_SEPARATOR",
    "read_csv_practices",
]

CSV_COLUMNS = ("practice", "date", "criterion", "status", "evidence")
"""The columns an assessment CSV must have (in any order)."""

CSV_OPTIONAL_COLUMNS = ("name", "note", "group")
"""Columns an assessment CSV may also have."""

_CSV_DIALECT = CsvDialect(
    too_large=(
        "the file is {size:,} bytes, more than the {limit:,} allowed; split it into several files"
    ),
    empty="the file is empty; {a_what} starts with the header {header}",
    unreadable_header=None,
    unreadable_line="not valid CSV ({error}); check the quotes on this line",
    ragged=(
        "the row has {fields} cells but the header has {columns}; "
        "check for a missing or extra comma (quote cells that hold commas)"
    ),
    header_where="",
    missing="missing column{s} {missing}; the header needs {header}",
    columns_are="; the columns are {allowed}",
    lower_header=True,
    blank_lines_before_header=True,
    strict_quotes=True,
    stop_at_bad_line=True,
    grouped=True,
)
"""How an assessment CSV is read (at most csvfiles.MAX_CSV_BYTES), and its layout worded."""

EVIDENCE_SEPARATOR = ";"
"""Separates several evidence references in one CSV cell."""


def read_csv_practices(
    path: Path, fw: Framework, problems: list[Problem]
) -> list[tuple[PracticeAssessments, int | None]]:
    """Many practices' assessments from one CSV: one row a criterion an assessment."""
    name = display_path(path)
    read = _read_assessment_csv(path, problems)
    if read is None:
        return []
    header, rows, lines = read
    if not rows:
        problems.append(
            Problem(name, None, "", "the file has a header but no rows; add one row a criterion")
        )
        return []
    df = pd.DataFrame(rows, columns=header, dtype=object)
    for column in CSV_OPTIONAL_COLUMNS:
        if column not in df:
            df[column] = ""
    df = df.apply(lambda s: s.str.strip())
    df["line"] = lines
    found: list[Problem] = []

    def flag(mask: pd.Series[bool], column: str, message: Any, code: str = "") -> None:
        for idx in df.index[mask]:
            row = df.loc[idx]
            text = message(row) if callable(message) else message
            found.append(Problem(name, int(row["line"]), column, text, code))

    empty = {c: df[c] == "" for c in ("practice", "date", "criterion", "status")}
    for column, mask in empty.items():
        flag(mask, column, f"the {column} is empty; fill it in")

    bad_practice = ~empty["practice"] & ~df["practice"].str.fullmatch(PRACTICE_CODE.pattern[1:-1])
    flag(
        bad_practice,
        "practice",
        lambda r: (
            f"{r['practice']!r} is not a practice code; use letters, digits, '.', '_' "
            "and '-', e.g. an ODS code such as 'A81001'"
        ),
    )

    parsed = pd.to_datetime(df["date"], format="%Y-%m-%d", errors="coerce")
    iso = df["date"].str.fullmatch(r"\d{4}-\d{2}-\d{2}")
    bad_date = ~empty["date"] & (parsed.isna() | ~iso)
    flag(
        bad_date,
        "date",
        lambda r: f"{r['date']!r} is not a date; write it as YYYY-MM-DD, e.g. 2024-03-31",
    )

    status = df["status"].str.lower().str.replace(r"[\s_]+", "-", regex=True)
    bad_status = ~empty["status"] & ~status.isin(CRITERION_STATUSES)
    flag(
        bad_status,
        "status",
        lambda r: f"{r['status']!r} is not a status; use one of {', '.join(CRITERION_STATUSES)}",
    )

    known = fw.criterion_ids()
    bad_criterion = ~empty["criterion"] & ~df["criterion"].isin(known)
    flag(
        bad_criterion,
        "criterion",
        lambda r: (
            f"unknown criterion {r['criterion']!r}{suggest(r['criterion'], known)}; "
            f"use a criterion id from the framework {fw.id!r}"
        ),
    )

    key = ["practice", "date", "criterion"]
    first_line = df.groupby(key, sort=False)["line"].transform("first")
    repeated = df.duplicated(key, keep="first") & ~empty["criterion"]
    flag(
        repeated,
        "criterion",
        lambda r: (
            f"criterion {r['criterion']!r} is given twice for practice "
            f"{r['practice']!r} on {r['date']} (also line {first_line[r.name]}); keep one row"
        ),
        "duplicate-id",
    )

    named = df["name"] != ""
    first_name = df["name"].where(named).groupby(df["practice"], sort=False).transform("first")
    other_name = named & (df["name"] != first_name)
    flag(
        other_name,
        "name",
        lambda r: (
            f"practice {r['practice']!r} is called {first_name[r.name]!r} on an "
            f"earlier row; give one name per practice"
        ),
    )

    grouped = df["group"] != ""
    first_group = df["group"].where(grouped).groupby(df["practice"], sort=False).transform("first")
    flag(
        grouped & (df["group"] != first_group),
        "group",
        lambda r: (
            f"practice {r['practice']!r} is in group {first_group[r.name]!r} on an earlier "
            "row; give one group per practice (or leave the cell empty)"
        ),
    )
    too_long = df["group"].str.len() > 100
    flag(too_long, "group", "the group name is over 100 characters; shorten it")

    if found:
        problems.extend(sort_problems(found))
        return []

    df["status"] = status
    df["date"] = parsed.dt.date
    df["evidence"] = df["evidence"].str.split(EVIDENCE_SEPARATOR)
    out: list[tuple[PracticeAssessments, int | None]] = []
    for practice, rows_of in df.groupby("practice", sort=False):
        practice_name = rows_of["name"][rows_of["name"] != ""]
        practice_group = rows_of["group"][rows_of["group"] != ""]
        assessments = []
        for when, block in rows_of.sort_values(["date", "line"]).groupby("date", sort=True):
            claims = []
            for rec in block.to_dict("records"):
                ca = CriterionAssessment(
                    criterion=rec["criterion"],
                    status=rec["status"],
                    evidence=tuple(rec["evidence"]),
                    note=rec["note"] or None,
                )
                set_source(ca, name, int(rec["line"]))
                claims.append(ca)
            a = Assessment(date=when, criteria=tuple(claims))
            set_source(a, name, int(block["line"].min()))
            assessments.append(a)
        first = int(rows_of["line"].min())
        pa = PracticeAssessments(
            practice=str(practice),
            name=str(practice_name.iloc[0]) if len(practice_name) else None,
            group=str(practice_group.iloc[0]) if len(practice_group) else None,
            framework=fw.id,
            assessments=tuple(assessments),
        )
        set_source(pa, name, first)
        out.append((pa, first))
    return out


def _read_assessment_csv(
    path: Path, problems: list[Problem]
) -> tuple[list[str], list[list[str]], list[int]] | None:
    """The header, the rows and each row's line; ``None`` (with problems) if unreadable."""
    table = read_csv(
        path,
        required=CSV_COLUMNS,
        optional=CSV_OPTIONAL_COLUMNS,
        what="assessment CSV",
        dialect=_CSV_DIALECT,
    )
    problems.extend(table.header_problems or table.row_problems)
    if not table.readable or table.header_problems:
        return None
    return list(table.header), table.rows, table.lines
