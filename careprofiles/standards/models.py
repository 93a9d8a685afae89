"""The models of practice standards: a framework, and practices' dated assessments.

Holds the constants and value types of the ``careprofiles-standards/1`` format, the
frozen models of a framework (:class:`Framework`, :class:`Standard`, :class:`Criterion`),
of assessments (:class:`PracticeAssessments`, :class:`Assessment`,
:class:`CriterionAssessment`) and of an assessment YAML file as written
(:class:`AssessmentFile`, :class:`AssessmentEntry`, :class:`ClaimEntry`), and the small
helper the loaders share (:func:`suggest`).

The models refuse what they can see alone (bad ids, dates out of order, repeated ids);
the loaders (:mod:`.framework`, :mod:`.assessments`) add the lines and the checks
against a framework.

Imports: profiles (ids, the sourced base model); nothing else of careprofiles.
"""

from __future__ import annotations

import difflib
import itertools
import re
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    ValidationInfo,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import PydanticCustomError

from careprofiles.profiles.models import Id
from careprofiles.profiles.sources import SourcedModel

__all__ = [
    "CRITERION_STATUSES",
    "IDS_REPORTED",
    "PRACTICE_CODE",
    "STANDARDS_FORMAT",
    "STANDARD_STATUSES",
    "Assessment",
    "AssessmentEntry",
    "AssessmentFile",
    "ClaimEntry",
    "Criterion",
    "CriterionAssessment",
    "Framework",
    "PracticeAssessments",
    "Standard",
    "suggest",
]

STANDARDS_FORMAT = "careprofiles-standards/1"
"""The format string every version-1 framework and assessment YAML file carries."""

CRITERION_STATUSES = ("met", "partly-met", "not-met")
"""The status an assessment may give a criterion (case and spaces are forgiven)."""

STANDARD_STATUSES = ("not started", "partly met", "met")
"""A standard's status, from worst to best."""

PRACTICE_CODE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,62}[A-Za-z0-9])?$")
"""What a practice code looks like: an ODS code such as ``A81001``, or a short id."""

IDS_REPORTED = "ids_reported"
"""The validation context key a loader sets when it has reported repeated standard and
criterion ids itself, each at its line: the models then leave those checks to it."""

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


# --------------------------------------------------------------------------- types


def _check_format(value: Any) -> str:
    if value != STANDARDS_FORMAT:
        raise ValueError(
            f"format {value!r} is not {STANDARDS_FORMAT!r}; this version of careprofiles "
            f"reads 'format: {STANDARDS_FORMAT}' files"
        )
    return STANDARDS_FORMAT


def _check_practice(value: str) -> str:
    if not PRACTICE_CODE.match(value):
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
    WithJsonSchema({"type": "string", "pattern": PRACTICE_CODE.pattern}),
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


def _check_group(value: str) -> str:
    value = _check_text(value)
    if len(value) > 100 or "\n" in value:
        raise ValueError(
            f"{value[:40]!r}... is not a group name; give a name of one line, at most 100 "
            "characters, e.g. 'North PCN'"
        )
    return value


GroupName = Annotated[str, AfterValidator(_check_group)]
"""A practice group's name: a primary care network, locality or commissioning group."""


class _Entry(SourcedModel):
    """The base of the models here: free text is stripped of surrounding spaces."""

    model_config = ConfigDict(str_strip_whitespace=True)


def _duplicates(ids: Iterable[str]) -> list[str]:
    """The values given more than once, each once, in the order they repeat."""
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
        message = f"duplicate {what} {', '.join(repr(d) for d in dups)}; each {what} must be unique"
        # an error whose type is a problem code (errors.CODES), for programs
        raise PydanticCustomError("duplicate-id", "{message}", {"message": message})


def _ids_reported(info: ValidationInfo) -> bool:
    """Whether the loader has reported repeated ids itself (see :data:`IDS_REPORTED`)."""
    return bool(info.context and info.context.get(IDS_REPORTED))


def suggest(value: str, choices: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` for the closest of ``choices``, or ``""``."""
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
    def _unique_criteria(self, info: ValidationInfo) -> Standard:
        if not _ids_reported(info):
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
    accreditation_valid_months: int | None = Field(default=None, ge=1, le=240, strict=True)
    """Months accreditation lasts from the assessment that granted it (none: it never lapses)."""

    @model_validator(mode="after")
    def _checks(self, info: ValidationInfo) -> Framework:
        if not _ids_reported(info):
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
    group: GroupName | None = None
    """The group it belongs to (a primary care network, a locality), if any."""
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


class ClaimEntry(_Entry):
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


class AssessmentEntry(_Entry):
    """One assessment in an assessment file."""

    date: AssessmentDate
    """When the practice was assessed (``YYYY-MM-DD``)."""
    assessor: str | None = None
    """Who assessed it."""
    notes: str | None = None
    """Free text about the assessment."""
    criteria: dict[str, ClaimEntry] = Field(default_factory=dict)
    """Criterion id → a status (``not-met``) or ``{status, evidence, note}``."""


class AssessmentFile(_Entry):
    """An assessment YAML file: one practice and its dated assessments."""

    format: StandardsFormat
    """Exactly ``careprofiles-standards/1``."""
    practice: PracticeCode
    """The practice's code (an ODS code such as ``A81001``, or a short id)."""
    name: str | None = None
    """The practice's name."""
    group: GroupName | None = None
    """The group it belongs to: a primary care network, locality or commissioning group."""
    framework: Id | None = None
    """The framework's id; when given it must match the framework used."""
    assessments: tuple[AssessmentEntry, ...] = Field(min_length=1)
    """Dated assessments, earliest first (the first is the baseline)."""
