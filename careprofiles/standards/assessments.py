"""Loading practices' assessments: :func:`load_assessments`, from YAML and CSV files.

A YAML file holds one practice (an :class:`~.models.AssessmentFile`, read here); a CSV
file holds many (read in :mod:`.assessment_csv`); a folder stands for the YAML and CSV
files in it. Each file is checked against the framework (unknown criteria, a framework
id that is not its id), and for dates that repeat or go backwards, unknown keys or
statuses; across files, for a practice assessed in two of them. Every problem in every
file is raised at once, each at its ``file:line``. The result is
:class:`~.models.PracticeAssessments`, each claim remembering where it was read from.

Imports: errors, profiles (the YAML reader, validation), standards.models,
standards.framework, standards.assessment_csv.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from careprofiles.errors import Problem, StandardsError, display_path
from careprofiles.profiles.reader import LineDict, LineList, line_of
from careprofiles.profiles.sources import set_source
from careprofiles.profiles.validation import sort_problems, validate_model
from careprofiles.standards.assessment_csv import read_csv_practices
from careprofiles.standards.framework import load_framework, read_standards_yaml
from careprofiles.standards.models import (
    Assessment,
    AssessmentFile,
    ClaimEntry,
    CriterionAssessment,
    Framework,
    PracticeAssessments,
    suggest,
)

__all__ = ["load_assessments"]

_KINDS = (".yaml", ".yml", ".csv")


def _assessment_files(paths: Sequence[str | Path], problems: list[Problem]) -> list[Path]:
    """The files named: YAML and CSV files, and the YAML and CSV files in folders."""
    out: list[Path] = []
    for given in paths:
        p = Path(given)
        if p.is_dir():
            # anything else named .yaml or .csv (a FIFO, a link to nothing) is refused
            # by the reader, not skipped in silence
            found = sorted(f for f in p.iterdir() if f.suffix.lower() in _KINDS and not f.is_dir())
            if not found:
                problems.append(
                    Problem(
                        display_path(p),
                        None,
                        "",
                        "the folder holds no .yaml or .csv assessment files; give the files",
                    )
                )
            out.extend(found)
        elif p.suffix.lower() in _KINDS:
            out.append(p)
        else:
            problems.append(
                Problem(
                    display_path(p),
                    None,
                    "",
                    f"cannot tell the kind of file from {p.suffix or 'no extension'!r}; "
                    "give assessments as .yaml (one practice) or .csv (many practices)",
                )
            )
    return out


def load_assessments(
    *paths: str | Path, framework: Framework | None = None
) -> tuple[PracticeAssessments, ...]:
    """Load practices' assessments from YAML and CSV files (or folders of them).

    Each is checked against ``framework`` (``None``: the bundled one): unknown
    criteria, bad or repeated dates, a practice in two files, unknown keys or columns,
    unknown statuses. Raises one :class:`StandardsError` listing every problem in every
    file. Criteria claimed met without evidence are not errors: see
    :attr:`StandardsResult.warnings`.
    """
    if not paths:
        raise StandardsError("no assessment files given; give one or more .yaml or .csv files")
    fw = load_framework() if framework is None else framework
    problems: list[Problem] = []
    files = _assessment_files(paths, problems)
    practices: list[PracticeAssessments] = []
    seen: dict[str, str] = {}
    seen_files: set[Path] = set()
    for file in files:
        try:
            resolved = file.resolve()
        except (RuntimeError, OSError, ValueError):  # a link loop, a NUL byte: refused below
            resolved = file.absolute()
        if resolved in seen_files:
            problems.append(
                Problem(
                    display_path(file), None, "", "the file is given twice; give each file once"
                )
            )
            continue
        seen_files.add(resolved)
        if file.suffix.lower() == ".csv":
            found = read_csv_practices(file, fw, problems)
        else:
            found = _read_yaml_practice(file, fw, problems)
        for practice, where_line in found:
            name = display_path(file)
            here = f"{name}:{where_line}" if where_line else name
            if practice.practice in seen:
                problems.append(
                    Problem(
                        name,
                        where_line,
                        "practice",
                        f"practice {practice.practice!r} is assessed in "
                        f"{seen[practice.practice]} already; keep each practice's "
                        "assessments in one file",
                        code="duplicate-id",
                    )
                )
                continue
            seen[practice.practice] = here
            practices.append(practice)
    if problems:
        raise StandardsError(sort_problems(problems))
    return tuple(practices)


def _read_yaml_practice(
    path: Path, fw: Framework, problems: list[Problem]
) -> list[tuple[PracticeAssessments, int | None]]:
    name = display_path(path)
    try:
        raw, found = read_standards_yaml(path, "practice assessment file")
    except StandardsError as exc:
        problems.extend(exc.problems)
        return []
    if "programme" in raw and "practice" not in raw:
        problems.append(
            Problem(
                name,
                None,
                "",
                "this is a facilitation programme, not a practice's assessments; "
                "give it with --programme",
            )
        )
        return []
    if "standards" in raw and "practice" not in raw:
        problems.append(
            Problem(
                name,
                None,
                "",
                "this is a standards framework, not a practice's assessments; "
                "give it with --framework (or framework= in Python)",
            )
        )
        return []
    mine: list[Problem] = list(found)
    parsed = validate_model(AssessmentFile, raw, name, mine)
    mine = [_claim_key_hint(p) for p in mine]
    mine.extend(_check_yaml_against(raw, name, fw))
    if parsed is not None:
        mine.extend(_check_dates(parsed, raw, name))
    if mine or parsed is None:
        problems.extend(sort_problems(mine))
        return []
    entries = raw["assessments"]
    assessments = []
    for i, entry in enumerate(parsed.assessments):
        raw_criteria = entries[i].get("criteria")
        claims = []
        for cid, claim in entry.criteria.items():
            ca = CriterionAssessment(
                criterion=cid, status=claim.status, evidence=claim.evidence, note=claim.note
            )
            key_line = (
                raw_criteria.key_lines.get(cid) if isinstance(raw_criteria, LineDict) else None
            )
            set_source(ca, name, key_line)
            claims.append(ca)
        a = Assessment(
            date=entry.date, assessor=entry.assessor, notes=entry.notes, criteria=tuple(claims)
        )
        set_source(a, name, line_of(raw, ("assessments", i)))
        assessments.append(a)
    practice = PracticeAssessments(
        practice=parsed.practice,
        name=parsed.name,
        group=parsed.group,
        framework=parsed.framework or fw.id,
        assessments=tuple(assessments),
    )
    line = line_of(raw, ("practice",))
    set_source(practice, name, line)
    return [(practice, line)]


def _claim_key_hint(problem: Problem) -> Problem:
    """Add the allowed keys to an unknown key inside a criterion's entry."""
    m = re.fullmatch(r"assessments\[\d+\]\.criteria\.[^.]+\.([^.]+)", problem.where)
    if m is None or problem.message != f"unknown key {m.group(1)!r}":
        return problem
    allowed = sorted(ClaimEntry.model_fields)
    hint = suggest(m.group(1), allowed) or f"; allowed keys are {', '.join(allowed)}"
    return Problem(problem.file, problem.line, problem.where, problem.message + hint)


def _check_yaml_against(raw: LineDict, name: str, fw: Framework) -> list[Problem]:
    """Criteria the framework lacks, and a framework id that is not this framework's."""
    out: list[Problem] = []
    named = raw.get("framework")
    if isinstance(named, str) and named != fw.id:
        out.append(
            Problem(
                name,
                line_of(raw, ("framework",)),
                "framework",
                f"the file is for framework {named!r} but the framework given is {fw.id!r}; "
                "give the matching framework with --framework, or correct the id",
            )
        )
    entries = raw.get("assessments")
    if not isinstance(entries, LineList):
        return out
    known = fw.criterion_ids()
    known_set = set(known)
    for i, entry in enumerate(entries):
        criteria = entry.get("criteria") if isinstance(entry, LineDict) else None
        if not isinstance(criteria, LineDict):
            continue
        for cid in criteria:
            if cid not in known_set:
                out.append(
                    Problem(
                        name,
                        criteria.key_lines.get(cid),
                        f"assessments[{i}].criteria.{cid}",
                        f"unknown criterion {cid!r}{suggest(cid, known)}; "
                        f"use a criterion id from the framework {fw.id!r}",
                    )
                )
    return out


def _check_dates(parsed: AssessmentFile, raw: LineDict, name: str) -> list[Problem]:
    """Assessment dates that repeat or go backwards, at the line of the later one."""
    out: list[Problem] = []
    dates = [a.date for a in parsed.assessments]
    for i in range(1, len(dates)):
        where = f"assessments[{i}].date"
        line = line_of(raw, ("assessments", i, "date"))
        if dates[i] == dates[i - 1]:
            out.append(
                Problem(
                    name,
                    line,
                    where,
                    f"{dates[i]} is the date of the assessment before too; "
                    "merge the two, or correct the date",
                )
            )
        elif dates[i] < dates[i - 1]:
            out.append(
                Problem(
                    name,
                    line,
                    where,
                    f"{dates[i]} is before the assessment above it ({dates[i - 1]}); "
                    "list assessments earliest first (the first is the baseline)",
                )
            )
    return out
