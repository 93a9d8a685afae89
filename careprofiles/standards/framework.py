"""Practice standards for supportive and palliative care: the framework, assessments, status.

The second method behind the library (after care profiles): GP practices are assessed
against a framework of standards, start from a *baseline* assessment, show progression
with supporting evidence, and reach *accredited* status (South of Tyne and Wear, Watson &
Richardson 2012). Commissioners track many practices at once.

* A **framework** (``format: careprofiles-standards/1``) lists standards; each standard
  lists criteria; each criterion says what evidence demonstrates it and whether it is
  required for accreditation, and may name the care-profile outcomes it relates to.
* **Assessments** are dated snapshots of one practice: the status claimed for each
  criterion (``met``, ``partly-met`` or ``not-met``) with evidence references. A YAML file
  holds one practice; a CSV file holds many (one row a criterion a date). The first
  assessment is the baseline.
* **Status** (:func:`assess_standards`, vectorised over one long table):

  - a criterion *counts as met* when it is claimed ``met`` **and** has evidence; ``met``
    without evidence counts as partly met and is reported (a warning with ``file:line``,
    and a gap); a criterion left out of an assessment counts as not met;
  - a standard is ``met`` when every one of its criteria counts as met, ``not started``
    when none is met or partly met, ``partly met`` otherwise;
  - a practice is **accredited** when every *required* criterion counts as met at its
    latest assessment;
  - progression is counted from the baseline; the gaps are the criteria not counting as
    met at the latest assessment.

Every loader collects every problem in every file and raises one :class:`StandardsError`
whose lines read ``path:line: key.path: what is wrong; how to fix``.
"""

from __future__ import annotations

import difflib
import itertools
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    WithJsonSchema,
    model_validator,
)

from careprofiles import resources
from careprofiles.errors import Problem, StandardsError, display_path
from careprofiles.profiles.csvfiles import CsvDialect, read_csv
from careprofiles.profiles.models import Id
from careprofiles.profiles.reader import LineDict, LineList, line_of, read_yaml
from careprofiles.profiles.sources import SourcedModel as _Model
from careprofiles.profiles.sources import source_of
from careprofiles.profiles.validation import sort_problems, validate_model

__all__ = [
    "CRITERION_STATUSES",
    "CSV_COLUMNS",
    "CSV_OPTIONAL_COLUMNS",
    "STANDARDS_FORMAT",
    "STANDARD_STATUSES",
    "Assessment",
    "AssessmentFile",
    "Criterion",
    "CriterionAssessment",
    "Framework",
    "PracticeAssessments",
    "Standard",
    "StandardsResult",
    "assess_standards",
    "bundled_framework",
    "load_assessments",
    "load_framework",
]

STANDARDS_FORMAT = "careprofiles-standards/1"
"""The format string every version-1 framework and assessment YAML file carries."""

CRITERION_STATUSES = ("met", "partly-met", "not-met")
"""The status an assessment may give a criterion (case and spaces are forgiven)."""

STANDARD_STATUSES = ("not started", "partly met", "met")
"""A standard's status, from worst to best."""

CSV_COLUMNS = ("practice", "date", "criterion", "status", "evidence")
"""The columns an assessment CSV must have (in any order)."""

CSV_OPTIONAL_COLUMNS = ("name", "note")
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

_KINDS = (".yaml", ".yml", ".csv")
_PRACTICE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,62}[A-Za-z0-9])?$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_YAML_DATE = re.compile(r"(?<![\w.-])(\d{4})-(\d{1,2})-(\d{1,2})(?![\w.:-])")


# --------------------------------------------------------------------------- types


def _check_format(value: Any) -> str:
    if value != STANDARDS_FORMAT:
        raise ValueError(
            f"format {value!r} is not {STANDARDS_FORMAT!r}; this version of careprofiles "
            f"reads 'format: {STANDARDS_FORMAT}' files"
        )
    return STANDARDS_FORMAT


def _check_practice(value: str) -> str:
    if not _PRACTICE.match(value):
        raise ValueError(
            f"{value!r} is not a practice code; use letters, digits, '.', '_' and '-' "
            "(up to 64, starting and ending with a letter or digit), e.g. an ODS code "
            "such as 'A81001' or a short name such as 'riverside-surgery'"
        )
    return value


def _check_date(value: Any) -> date:
    if isinstance(value, datetime):
        raise ValueError(f"{value} has a time of day; give the date alone, as YYYY-MM-DD")
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _ISO_DATE.match(value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(
                f"{value!r} is not a real date; write it as YYYY-MM-DD, e.g. 2024-03-31"
            ) from None
    raise ValueError(f"{value!r} is not a date; write it as YYYY-MM-DD, e.g. 2024-03-31")


def _normal_status(value: Any) -> Any:
    if isinstance(value, str):
        return re.sub(r"[\s_]+", "-", value.strip().lower())
    return value


def _evidence_list(value: Any) -> Any:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list | tuple):
        raise ValueError(
            f"{value!r} is not an evidence reference; write text (in quotes if it looks "
            "like a number or a date), or a list of them"
        )
    return value


def _strip_evidence(value: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(v.strip() for v in value if v.strip())


StandardsFormat = Annotated[
    str,
    PlainValidator(_check_format),
    WithJsonSchema({"const": STANDARDS_FORMAT, "type": "string"}),
]
"""Exactly ``careprofiles-standards/1``."""

PracticeCode = Annotated[
    str,
    AfterValidator(_check_practice),
    WithJsonSchema({"type": "string", "pattern": _PRACTICE.pattern}),
]
"""A practice's code: an ODS code such as ``A81001`` or a short id."""

AssessmentDate = Annotated[
    date,
    PlainValidator(_check_date),
    WithJsonSchema({"type": "string", "format": "date", "examples": ["2024-03-31"]}),
]
"""A date written as ``YYYY-MM-DD``."""

Status = Annotated[Literal["met", "partly-met", "not-met"], BeforeValidator(_normal_status)]
"""A criterion's claimed status: ``met``, ``partly-met`` or ``not-met``."""

Evidence = Annotated[
    tuple[str, ...], BeforeValidator(_evidence_list), AfterValidator(_strip_evidence)
]
"""One evidence reference, or a list of them."""


def _check_text(value: str) -> str:
    if not value.strip():
        raise ValueError("is empty; write the text, or leave the key out if it is optional")
    return value.strip()


Text = Annotated[str, AfterValidator(_check_text)]
"""Text that is not empty (surrounding spaces and newlines are dropped)."""


class _Entry(_Model):
    """The base of the models here: free text is stripped of surrounding spaces."""

    model_config = ConfigDict(str_strip_whitespace=True)


def _duplicates(ids: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for i in ids:
        if i in seen and i not in out:
            out.append(i)
        seen.add(i)
    return out


def _no_duplicates(ids: Iterable[str], what: str) -> None:
    dups = _duplicates(ids)
    if dups:
        raise ValueError(
            f"duplicate {what} {', '.join(repr(d) for d in dups)}; each {what} must be unique"
        )


def _suggest(value: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(value, list(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


# --------------------------------------------------------------------------- framework


class Criterion(_Entry):
    """One thing a practice does, with what demonstrates it."""

    id: Id
    """Unique within the framework (assessments name criteria by this id)."""
    text: Text
    """What the practice does, as a statement."""
    evidence: Text
    """What demonstrates it: the documents, searches or audits an assessor looks for."""
    required: bool
    """Whether it must be met (with evidence) for the practice to be accredited."""
    outcomes: tuple[Id, ...] = ()
    """Ids of care-profile outcomes it relates to (e.g. ``on-palliative-care-register``)."""


class Standard(_Entry):
    """A standard of supportive and palliative care, judged by its criteria."""

    id: Id
    """Unique within the framework."""
    name: Text
    """A readable name."""
    description: str | None = None
    """What the standard is for; carried into reports."""
    basis: str | None = None
    """Where the standard comes from (published source, or what it is derived from)."""
    criteria: tuple[Criterion, ...] = Field(min_length=1)
    """Its criteria (at least one)."""

    @model_validator(mode="after")
    def _unique_criteria(self) -> Standard:
        _no_duplicates((c.id for c in self.criteria), "criterion id")
        return self


class Framework(_Entry):
    """A standards framework: standards, their criteria and the evidence for each."""

    format: StandardsFormat
    """Exactly ``careprofiles-standards/1``."""
    id: Id
    """The framework's id (an assessment file may name it in ``framework:``)."""
    name: Text
    """A readable name."""
    version: str | None = None
    """The framework's own version, e.g. ``"2025.1"``."""
    description: str | None = None
    """Free text, carried into reports."""
    source: str | None = None
    """Where the framework comes from, and which parts are derived rather than published."""
    standards: tuple[Standard, ...] = Field(min_length=1)
    """The standards, in the order reports list them (at least one)."""

    @model_validator(mode="after")
    def _checks(self) -> Framework:
        _no_duplicates((s.id for s in self.standards), "standard id")
        _no_duplicates((c.id for _, c in self.criteria()), "criterion id")
        if not any(c.required for _, c in self.criteria()):
            raise ValueError(
                "no criterion is required, so any practice would be accredited; "
                "mark at least one criterion 'required: true'"
            )
        return self

    def criteria(self) -> Iterator[tuple[Standard, Criterion]]:
        """Every (standard, criterion) pair, in framework order."""
        for standard in self.standards:
            for criterion in standard.criteria:
                yield standard, criterion

    def criterion_ids(self) -> list[str]:
        """Every criterion id, in framework order."""
        return [c.id for _, c in self.criteria()]

    def criterion(self, criterion_id: str) -> Criterion:
        """The criterion with this id (``KeyError`` if there is none)."""
        for _, c in self.criteria():
            if c.id == criterion_id:
                return c
        raise KeyError(criterion_id)

    def standard(self, standard_id: str) -> Standard:
        """The standard with this id (``KeyError`` if there is none)."""
        for s in self.standards:
            if s.id == standard_id:
                return s
        raise KeyError(standard_id)

    def outcomes(self) -> list[str]:
        """Every care-profile outcome id the criteria reference, in first-use order."""
        return list(dict.fromkeys(o for _, c in self.criteria() for o in c.outcomes))

    def criteria_for(self, outcome_id: str) -> list[Criterion]:
        """The criteria that reference a care-profile outcome (for a specification)."""
        return [c for _, c in self.criteria() if outcome_id in c.outcomes]

    def criteria_table(self) -> pd.DataFrame:
        """One row a criterion: standard, criterion, required, text, evidence, outcomes."""
        rows = [
            {
                "standard_order": i,
                "standard": s.id,
                "standard_name": s.name,
                "criterion_order": j,
                "criterion": c.id,
                "required": c.required,
                "text": c.text,
                "evidence_needed": c.evidence,
                "outcomes": ", ".join(c.outcomes),
            }
            for i, s in enumerate(self.standards)
            for j, c in enumerate(s.criteria)
        ]
        frame = pd.DataFrame(rows)
        frame["criterion_order"] = np.arange(len(frame))
        return frame


# --------------------------------------------------------------------------- assessments


class CriterionAssessment(_Entry):
    """The status an assessment gives one criterion, with its evidence."""

    criterion: Id
    """The criterion's id in the framework."""
    status: Status
    """``met``, ``partly-met`` or ``not-met``."""
    evidence: Evidence = ()
    """References to what demonstrates it (documents, searches, minutes, audits)."""
    note: str | None = None
    """The assessor's note."""

    @property
    def counts_as_met(self) -> bool:
        """Claimed ``met`` and backed by at least one evidence reference."""
        return self.status == "met" and bool(self.evidence)


class Assessment(_Entry):
    """One dated assessment of a practice against the framework."""

    date: AssessmentDate
    """When the practice was assessed (``YYYY-MM-DD``)."""
    assessor: str | None = None
    """Who assessed it."""
    notes: str | None = None
    """Free text about the assessment."""
    criteria: tuple[CriterionAssessment, ...] = ()
    """The criteria assessed; a criterion left out counts as not met."""

    @model_validator(mode="after")
    def _unique(self) -> Assessment:
        _no_duplicates((c.criterion for c in self.criteria), "criterion")
        return self

    def claim(self, criterion_id: str) -> CriterionAssessment | None:
        """What this assessment says about a criterion (``None`` if it is left out)."""
        for c in self.criteria:
            if c.criterion == criterion_id:
                return c
        return None


class PracticeAssessments(_Entry):
    """A practice's assessments in date order; the first is the baseline."""

    practice: PracticeCode
    """The practice's code (an ODS code such as ``A81001``, or a short id)."""
    name: str | None = None
    """The practice's name."""
    framework: Id | None = None
    """The id of the framework it was assessed against (checked when given)."""
    assessments: tuple[Assessment, ...] = Field(min_length=1)
    """Dated assessments, earliest first, no two on the same date."""

    @model_validator(mode="after")
    def _in_order(self) -> PracticeAssessments:
        dates = [a.date for a in self.assessments]
        for earlier, later in itertools.pairwise(dates):
            if later <= earlier:
                raise ValueError(
                    f"assessment dates must increase ({later} follows {earlier}); "
                    "list assessments earliest first, one per date"
                )
        return self

    @property
    def label(self) -> str:
        """The name, or the practice code when there is no name."""
        return self.name or self.practice

    @property
    def baseline(self) -> Assessment:
        """The first assessment."""
        return self.assessments[0]

    @property
    def latest(self) -> Assessment:
        """The last assessment."""
        return self.assessments[-1]


class _ClaimEntry(_Entry):
    """A criterion's entry in an assessment file: a status, or a mapping."""

    status: Status
    """``met``, ``partly-met`` or ``not-met``."""
    evidence: Evidence = ()
    """An evidence reference, or a list of them."""
    note: str | None = None
    """The assessor's note."""

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        if isinstance(data, str):
            return {"status": data}
        if data is None:
            raise ValueError(
                "no status given; write met, partly-met or not-met (with evidence for met)"
            )
        return data


class _AssessmentEntry(_Entry):
    """One assessment in an assessment file."""

    date: AssessmentDate
    """When the practice was assessed (``YYYY-MM-DD``)."""
    assessor: str | None = None
    """Who assessed it."""
    notes: str | None = None
    """Free text about the assessment."""
    criteria: dict[str, _ClaimEntry] = Field(default_factory=dict)
    """Criterion id → a status (``not-met``) or ``{status, evidence, note}``."""


class AssessmentFile(_Entry):
    """An assessment YAML file: one practice and its dated assessments."""

    format: StandardsFormat
    """Exactly ``careprofiles-standards/1``."""
    practice: PracticeCode
    """The practice's code (an ODS code such as ``A81001``, or a short id)."""
    name: str | None = None
    """The practice's name."""
    framework: Id | None = None
    """The framework's id; when given it must match the framework used."""
    assessments: tuple[_AssessmentEntry, ...] = Field(min_length=1)
    """Dated assessments, earliest first (the first is the baseline)."""


# --------------------------------------------------------------------------- loading


def bundled_framework() -> Path:
    """The bundled framework file, ``profiles/standards/framework.yaml``."""
    return resources.bundled_profiles() / "standards" / "framework.yaml"


def _read(path: Path, what: str) -> tuple[LineDict, list[Problem]]:
    """``read_yaml``, turning PyYAML's bare ValueError on impossible dates into a problem."""
    try:
        return read_yaml(path, error=StandardsError, what=what)
    except StandardsError:
        raise
    except (ValueError, TypeError, OverflowError) as exc:
        # PyYAML reads 2023-13-01 as a date and fails building it, without a line.
        raise StandardsError(
            [
                Problem(
                    display_path(path),
                    _impossible_date_line(path),
                    "",
                    f"a date is not a real date ({exc}); write dates as YYYY-MM-DD",
                )
            ]
        ) from None


def _impossible_date_line(path: Path) -> int | None:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):  # pragma: no cover - read_yaml checked these
        return None
    for number, line in enumerate(text.splitlines(), start=1):
        for m in _YAML_DATE.finditer(line.split("#", 1)[0]):
            try:
                date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError:
                return number
    return None


def load_framework(path: str | Path | None = None) -> Framework:
    """Load and validate a standards framework (``None``: the bundled framework).

    Raises :class:`StandardsError` listing every problem in the file.
    """
    file = bundled_framework() if path is None else Path(path)
    name = display_path(file)
    raw, problems = _read(file, "standards framework")
    if "practice" in raw and "standards" not in raw:
        raise StandardsError(
            [
                Problem(
                    name,
                    None,
                    "",
                    "this is a practice's assessments, not a standards framework; "
                    "give it as an ASSESSMENT, and the framework with --framework",
                )
            ]
        )
    duplicates = _duplicate_framework_ids(raw, name)
    mine: list[Problem] = []
    framework = validate_model(Framework, raw, name, mine)
    if duplicates:
        mine = [p for p in mine if not p.message.startswith("duplicate ")]
    problems = sort_problems(problems + duplicates + mine)
    if problems or framework is None:
        raise StandardsError(problems)
    return framework


def _duplicate_framework_ids(raw: LineDict, name: str) -> list[Problem]:
    """Repeated standard or criterion ids, each at the line of its second use."""
    out: list[Problem] = []
    standards = raw.get("standards")
    if not isinstance(standards, LineList):
        return out
    first_standard: dict[str, str] = {}
    first_criterion: dict[str, str] = {}
    for i, standard in enumerate(standards):
        if not isinstance(standard, LineDict):
            continue
        ident = standard.get("id")
        if isinstance(ident, str):
            where = f"standards[{i}]"
            if ident in first_standard:
                out.append(
                    Problem(
                        name,
                        line_of(standards, (i, "id")),
                        f"{where}.id",
                        f"duplicate standard id {ident!r} (also {first_standard[ident]}); "
                        "give each standard an id of its own",
                    )
                )
            else:
                first_standard[ident] = where
        criteria = standard.get("criteria")
        if not isinstance(criteria, LineList):
            continue
        for j, criterion in enumerate(criteria):
            cid = criterion.get("id") if isinstance(criterion, LineDict) else None
            if not isinstance(cid, str):
                continue
            where = f"standards[{i}].criteria[{j}]"
            if cid in first_criterion:
                out.append(
                    Problem(
                        name,
                        line_of(criteria, (j, "id")),
                        f"{where}.id",
                        f"duplicate criterion id {cid!r} (also {first_criterion[cid]}); "
                        "criterion ids must be unique across the whole framework",
                    )
                )
            else:
                first_criterion[cid] = where
    return out


def _assessment_files(paths: Sequence[str | Path], problems: list[Problem]) -> list[Path]:
    """The files named: YAML and CSV files, and the YAML and CSV files in folders."""
    out: list[Path] = []
    for given in paths:
        p = Path(given)
        if p.is_dir():
            found = sorted(f for f in p.iterdir() if f.is_file() and f.suffix.lower() in _KINDS)
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
        resolved = file.resolve()
        if resolved in seen_files:
            problems.append(
                Problem(
                    display_path(file), None, "", "the file is given twice; give each file once"
                )
            )
            continue
        seen_files.add(resolved)
        if file.suffix.lower() == ".csv":
            found = _read_csv(file, fw, problems)
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
        raw, found = _read(path, "practice assessment file")
    except StandardsError as exc:
        problems.extend(exc.problems)
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
            ca._file = name
            if isinstance(raw_criteria, LineDict):
                ca._line = raw_criteria.key_lines.get(cid)
            claims.append(ca)
        a = Assessment(
            date=entry.date, assessor=entry.assessor, notes=entry.notes, criteria=tuple(claims)
        )
        a._file, a._line = name, line_of(raw, ("assessments", i))
        assessments.append(a)
    practice = PracticeAssessments(
        practice=parsed.practice,
        name=parsed.name,
        framework=parsed.framework or fw.id,
        assessments=tuple(assessments),
    )
    line = line_of(raw, ("practice",))
    practice._file, practice._line = name, line
    return [(practice, line)]


def _claim_key_hint(problem: Problem) -> Problem:
    """Add the allowed keys to an unknown key inside a criterion's entry."""
    m = re.fullmatch(r"assessments\[\d+\]\.criteria\.[^.]+\.([^.]+)", problem.where)
    if m is None or problem.message != f"unknown key {m.group(1)!r}":
        return problem
    allowed = sorted(_ClaimEntry.model_fields)
    hint = _suggest(m.group(1), allowed) or f"; allowed keys are {', '.join(allowed)}"
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
                        f"unknown criterion {cid!r}{_suggest(cid, known)}; "
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


def _read_csv(
    path: Path, fw: Framework, problems: list[Problem]
) -> list[tuple[PracticeAssessments, int | None]]:
    """Many practices' assessments from one CSV: one row a criterion an assessment."""
    name = display_path(path)
    table = read_csv(
        path,
        required=CSV_COLUMNS,
        optional=CSV_OPTIONAL_COLUMNS,
        what="assessment CSV",
        dialect=_CSV_DIALECT,
    )
    problems.extend(table.header_problems or table.row_problems)
    if not table.readable or table.header_problems:
        return []
    header, rows, lines = list(table.header), table.rows, table.lines
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

    def flag(mask: pd.Series[bool], column: str, message: Any) -> None:
        for idx in df.index[mask]:
            row = df.loc[idx]
            text = message(row) if callable(message) else message
            found.append(Problem(name, int(row["line"]), column, text))

    empty = {c: df[c] == "" for c in ("practice", "date", "criterion", "status")}
    for column, mask in empty.items():
        flag(mask, column, f"the {column} is empty; fill it in")

    bad_practice = ~empty["practice"] & ~df["practice"].str.fullmatch(_PRACTICE.pattern[1:-1])
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
            f"unknown criterion {r['criterion']!r}{_suggest(r['criterion'], known)}; "
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

    if found:
        problems.extend(sort_problems(found))
        return []

    df["status"] = status
    df["date"] = parsed.dt.date
    df["evidence"] = df["evidence"].str.split(EVIDENCE_SEPARATOR)
    out: list[tuple[PracticeAssessments, int | None]] = []
    for practice, rows_of in df.groupby("practice", sort=False):
        practice_name = rows_of["name"][rows_of["name"] != ""]
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
                ca._file, ca._line = name, int(rec["line"])
                claims.append(ca)
            a = Assessment(date=when, criteria=tuple(claims))
            a._file, a._line = name, int(block["line"].min())
            assessments.append(a)
        first = int(rows_of["line"].min())
        pa = PracticeAssessments(
            practice=str(practice),
            name=str(practice_name.iloc[0]) if len(practice_name) else None,
            framework=fw.id,
            assessments=tuple(assessments),
        )
        pa._file, pa._line = name, first
        out.append((pa, first))
    return out


# --------------------------------------------------------------------------- status


_STATUS_RANK = {"not-met": 0, "partly-met": 1, "met": 2}


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
        one row a practice: baseline and latest dates and counts, ``gained``,
        ``accredited`` (at the latest assessment), ``gaps``, ``unevidenced``.
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
        return {"framework": framework, "summary": summary, "practices": practices}

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
                    pa._file,
                    pa._line,
                    "practice",
                    f"practice {pa.practice!r} is given twice; give each practice once",
                )
            )
        seen.add(pa.practice)
        if pa.framework is not None and pa.framework != fw.id:
            problems.append(
                Problem(
                    pa._file,
                    pa._line,
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
                            c._file,
                            c._line,
                            "criterion",
                            f"unknown criterion {c.criterion!r}{_suggest(c.criterion, known)} "
                            f"(practice {pa.practice!r}, {a.date}); use a criterion id from "
                            f"the framework {fw.id!r}",
                        )
                    )
    if problems:
        raise StandardsError(problems)


def _source(model: _Model) -> tuple[str | None, int | None]:
    """Where a model was read from (its private ``_file`` and ``_line``), quickly."""
    return source_of(model)


def _grid(fw: Framework, practices: tuple[PracticeAssessments, ...]) -> pd.DataFrame:
    """One row a practice x assessment x criterion, in that order, with what was claimed.

    Flattening the models is the only Python loop (one step a claim); every rule after
    it is applied to whole columns.
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
                *_source(c),
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


def assess_standards(
    practices: Sequence[PracticeAssessments], framework: Framework | None = None
) -> StandardsResult:
    """The status of each practice at each assessment, its progression and its gaps.

    ``framework`` defaults to the bundled one. The rules (see the module docstring and
    ``docs/standards.md``) are applied to one long table (practice x assessment x
    criterion) with column operations and group-bys, never a loop per row.
    """
    fw = load_framework() if framework is None else framework
    practices = tuple(practices)
    if not practices:
        raise StandardsError("no practices to assess; give at least one assessment file")
    _check_practices(fw, practices)

    grid = _grid(fw, practices)
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
    grid["location"] = np.where(
        grid["line"] > 0, grid["file"] + ":" + grid["line"].astype(str), grid["file"]
    )

    counted = ["met", "partly_met", "required_met", "required", "unevidenced"]
    visit_columns = ["practice", "name", "assessment", "date", "assessments"]

    # Per standard at each assessment: sums over the standard's criteria.
    standards = grid.groupby(["visit", "standard_order"], sort=True)[counted].sum()
    standards["of"] = grid.groupby(["visit", "standard_order"], sort=True).size()
    standards = standards.reset_index().rename(columns={"required": "required_of"})
    # The grid runs in criterion order, so a standard's criteria are contiguous and the
    # first row of each (visit, standard) carries its labels in group-by order.
    labels = grid.drop_duplicates(["visit", "standard_order"])[
        ["visit", "standard_order", *visit_columns, "standard", "standard_name"]
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

    # Per practice at each assessment.
    progression = grid.groupby("visit", sort=True)[counted].sum()
    progression["of"] = grid.groupby("visit", sort=True).size()
    progression["standards_met"] = (
        (standards["status"] == "met").groupby(standards["visit"], sort=True).sum()
    )
    progression["standards_of"] = standards.groupby("visit", sort=True).size()
    progression = progression.rename(columns={"required": "required_of"})
    first_of_visit = grid.drop_duplicates("visit").set_index("visit")
    progression = pd.concat(
        [first_of_visit[["practice_order", *visit_columns]], progression], axis=1
    ).reset_index()
    progression["accredited"] = progression["required_met"] == progression["required_of"]
    progression["gained"] = progression["met"] - progression.groupby("practice_order", sort=False)[
        "met"
    ].transform("first")
    progression["baseline"] = progression["assessment"] == 1
    progression["latest"] = progression["assessment"] == progression["assessments"]

    first = progression[progression["baseline"]].set_index("practice_order")
    last = progression[progression["latest"]].set_index("practice_order")
    summary = pd.DataFrame(
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

    unevidenced = grid[grid["unevidenced"]]
    warnings = tuple(
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
    return StandardsResult(
        framework=fw,
        practice_assessments=practices,
        criteria=grid[
            [
                *visit_columns[:4],
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
                *visit_columns[:4],
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
                *visit_columns[:4],
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
    )
