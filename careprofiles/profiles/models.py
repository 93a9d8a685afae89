"""Frozen, typed models of a pathway and its care profiles (format ``careprofiles/1``).

The attribute docstrings below become the field descriptions of the JSON Schema
(``careprofiles schema``) and of ``docs/format.md``, so the reference cannot drift from
the code. Models are immutable: a scenario builds a new, re-validated pathway. Where each
was read from is kept by :mod:`careprofiles.profiles.sources`.

Imports: profiles.csvfiles (the id and financial-year rules), distributions, numbers
(the uncertain field types), sources (the base model); pydantic.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    Field,
    PlainValidator,
    PrivateAttr,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import PydanticCustomError

from careprofiles.profiles.csvfiles import ID_PATTERN, PRICE_YEAR_PATTERN, is_id, is_price_year
from careprofiles.profiles.distributions import Uncertain, base_value
from careprofiles.profiles.numbers import NonNegative, Positive, Share, as_number
from careprofiles.profiles.sources import SourcedModel

__all__ = [
    "FORMAT",
    "SETTINGS",
    "Cohort",
    "Contacts",
    "Item",
    "Outcome",
    "Pathway",
    "PathwayFile",
    "Service",
    "StaffLine",
    "Stage",
]

FORMAT = "careprofiles/1"
"""The format string every version-1 file carries."""

SETTINGS = ("home", "care-home", "hospice", "hospital", "clinic", "telephone", "video", "other")
"""Where a service is delivered."""


def _check_id(value: str) -> str:
    if not is_id(value):
        fixed = re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-") or "an-id"
        raise ValueError(
            f"{value!r} is not a valid id; use lower-case letters, digits and '-', e.g. {fixed!r}"
        )
    return value


def _check_price_year(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f'{value!r} is not a financial year; write it in quotes as "2024/25"')
    if not is_price_year(value):
        raise ValueError(f'{value!r} is not a financial year; write it as "2024/25"')
    return value


def _check_format(value: Any) -> str:
    if value != FORMAT:
        raise ValueError(
            f"format {value!r} is not {FORMAT!r}; this version of careprofiles reads "
            f"'format: {FORMAT}' files"
        )
    return FORMAT


Id = Annotated[
    str,
    AfterValidator(_check_id),
    WithJsonSchema({"type": "string", "pattern": ID_PATTERN, "examples": ["last-days"]}),
]
"""An identifier: lower-case letters, digits and '-'."""
Code = Annotated[
    str,
    AfterValidator(_check_id),
    WithJsonSchema({"type": "string", "pattern": ID_PATTERN, "examples": ["district-nurse"]}),
]
"""A tariff code: lower-case letters, digits and '-'."""
PriceYear = Annotated[
    str,
    PlainValidator(_check_price_year),
    WithJsonSchema({"type": "string", "pattern": PRICE_YEAR_PATTERN, "examples": ["2024/25"]}),
]
"""A financial year such as ``2024/25``."""
Format = Annotated[
    str, PlainValidator(_check_format), WithJsonSchema({"const": FORMAT, "type": "string"})
]
Number = Annotated[float, PlainValidator(as_number), WithJsonSchema({"type": "number"})]
Setting = Literal[
    "home", "care-home", "hospice", "hospital", "clinic", "telephone", "video", "other"
]


class Contacts(SourcedModel):
    """How often staff see a patient receiving the service, and for how long."""

    per_week: NonNegative | None = None
    """Contacts per week in the stage (give exactly one of per_week, per_day, per_stage)."""
    per_day: NonNegative | None = None
    """Contacts per day in the stage: contacts = per_day × 7 × duration_weeks."""
    per_stage: NonNegative | None = None
    """Contacts over the whole stage, whatever its duration."""
    minutes: NonNegative
    """Minutes with the patient per contact."""
    travel_minutes: NonNegative = 0.0
    """Staff travel minutes per contact (counted in hours, and in cost for per-hour roles)."""

    @model_validator(mode="after")
    def _one_frequency(self) -> Contacts:
        given = [k for k in ("per_week", "per_day", "per_stage") if getattr(self, k) is not None]
        if len(given) != 1:
            said = "none" if not given else " and ".join(given)
            raise ValueError(f"give exactly one of per_week, per_day or per_stage (found {said})")
        return self

    @property
    def frequency(self) -> tuple[Literal["per_week", "per_day", "per_stage"], Uncertain]:
        """Which frequency key is given, and its value."""
        if self.per_week is not None:
            return "per_week", self.per_week
        if self.per_day is not None:
            return "per_day", self.per_day
        assert self.per_stage is not None
        return "per_stage", self.per_stage


class StaffLine(SourcedModel):
    """One role in a service's skill mix."""

    role: Code
    """The role's tariff code (priced per hour or per contact)."""
    count: NonNegative = 1.0
    """Staff of this role at each contact they attend."""
    share: Share = 1.0
    """Share of contacts this role attends (0..1)."""


class Item(SourcedModel):
    """A non-staff resource for each patient receiving the service."""

    code: Code
    """The item's tariff code (priced per item, day, week or contact; never per hour)."""
    quantity: NonNegative | None = None
    """Units per patient receiving the service over the stage (or give per_week)."""
    per_week: NonNegative | None = None
    """Units per week in the stage: units = per_week × duration_weeks."""

    @model_validator(mode="after")
    def _one_quantity(self) -> Item:
        if (self.quantity is None) == (self.per_week is None):
            said = "both" if self.quantity is not None else "neither"
            raise ValueError(f"give exactly one of quantity or per_week (found {said})")
        return self


class Service(SourcedModel):
    """A service delivered in a stage: its setting, uptake, contacts, skill mix and items."""

    id: Id
    """Unique within the stage."""
    name: str | None = None
    """A readable name (the id is shown when it is missing)."""
    description: str | None = None
    """Free text, carried into specifications."""
    setting: Setting
    """Where it is delivered."""
    uptake: Share = 1.0
    """Share of patients in the stage who receive it (0..1)."""
    contacts: Contacts | None = None
    """Contacts with staff (needs staff)."""
    staff: tuple[StaffLine, ...] = ()
    """The skill mix: who is present at each contact (needs contacts)."""
    items: tuple[Item, ...] = ()
    """Non-staff resources per patient receiving the service."""
    funder: Id | None = None
    """Who pays for this service, when not the funder its tariff rows name (a funder id:
    nhs-icb, nhs-chc, local-authority, hospice-charity, self-funded, or one the analyst
    defines)."""

    @model_validator(mode="after")
    def _has_resources(self) -> Service:
        if self.contacts is not None and not self.staff:
            raise ValueError("contacts need staff: add a staff list with at least one role")
        if self.staff and self.contacts is None:
            raise ValueError(
                "staff need contacts: add contacts with per_week/per_day/per_stage and minutes"
            )
        if self.contacts is None and not self.items:
            raise ValueError("a service needs contacts (with staff) or items or both")
        return self

    @property
    def label(self) -> str:
        """The name, or the id when there is no name."""
        return self.name or self.id


class Outcome(SourcedModel):
    """Something recorded to judge the stage by."""

    id: Id
    """Unique within the pathway."""
    name: str | None = None
    """A readable name."""
    measure: str | None = None
    """How it is measured (numerator / denominator)."""
    target: Number | None = None
    """The level to reach."""
    direction: Literal["higher", "lower"] | None = None
    """Which way is better."""
    source: str | None = None
    """Where it is recorded."""
    recorded_at: str | None = None
    """When it is recorded."""

    @property
    def label(self) -> str:
        """The name, or the id when there is no name."""
        return self.name or self.id


class Stage(SourcedModel):
    """The care profile of one stage of the pathway."""

    format: Format | None = None
    """``careprofiles/1`` (optional in a stage file)."""
    id: Id
    """Unique within the pathway."""
    name: str | None = None
    """A readable name."""
    summary: str | None = None
    """Free text, carried into specifications."""
    aims: tuple[str, ...] = ()
    """Aims of care in the stage."""
    entry_criteria: tuple[str, ...] = ()
    """Who enters the stage."""
    exit_criteria: tuple[str, ...] = ()
    """When a patient leaves the stage."""
    standards: tuple[str, ...] = ()
    """Standards the stage is held to (NICE quality statements, local standards)."""
    duration_weeks: Positive
    """How long a patient spends in the stage, in weeks (> 0)."""
    reach: Share = 1.0
    """Share of the cohort who reach the stage (0..1)."""
    services: tuple[Service, ...] = Field(min_length=1)
    """The services delivered (at least one)."""
    outcomes: tuple[Outcome, ...] = ()
    """What is recorded to judge the stage."""

    @model_validator(mode="after")
    def _unique_services(self) -> Stage:
        _no_duplicates([s.id for s in self.services], "service id")
        _no_duplicates([o.id for o in self.outcomes], "outcome id")
        return self

    @property
    def label(self) -> str:
        """The name, or the id when there is no name."""
        return self.name or self.id

    def service(self, service_id: str) -> Service:
        """The service with this id (``KeyError`` if there is none)."""
        for s in self.services:
            if s.id == service_id:
                return s
        raise KeyError(service_id)


def _no_duplicates(ids: list[str], what: str) -> None:
    seen: set[str] = set()
    dups = [i for i in ids if i in seen or seen.add(i)]  # type: ignore[func-returns-value]
    if dups:
        message = (
            f"duplicate {what} {', '.join(repr(d) for d in dict.fromkeys(dups))}; "
            f"each {what} must be unique"
        )
        # an error whose type is a problem code gives its problem that code
        raise PydanticCustomError("duplicate-id", "{message}", {"message": message})


class Cohort(SourcedModel):
    """Who enters the pathway in one year: ``patients``, or all three of the other keys."""

    patients: NonNegative | None = None
    """Patients entering the pathway a year (or give the three keys below)."""
    population: NonNegative | None = None
    """Resident population served."""
    deaths_per_1000: NonNegative | None = None
    """Crude death rate per 1,000 a year."""
    eligible_share: Share | None = None
    """Share of deaths that would benefit from palliative care (0..1)."""

    @model_validator(mode="after")
    def _one_form(self) -> Cohort:
        three = ("population", "deaths_per_1000", "eligible_share")
        given = [k for k in three if getattr(self, k) is not None]
        if self.patients is not None and given:
            raise ValueError(
                f"give either patients or population, deaths_per_1000 and eligible_share, "
                f"not both (found patients and {', '.join(given)})"
            )
        if self.patients is None and len(given) != 3:
            missing = [k for k in three if k not in given]
            raise ValueError(
                "give patients, or all three of population, deaths_per_1000 and "
                f"eligible_share (missing: {', '.join(missing)})"
            )
        return self

    @property
    def size(self) -> float:
        """Cohort size from base values: patients, or population × deaths/1000 × share."""
        if self.patients is not None:
            return base_value(self.patients)
        assert self.population is not None
        assert self.deaths_per_1000 is not None
        assert self.eligible_share is not None
        return (
            base_value(self.population)
            * base_value(self.deaths_per_1000)
            / 1000
            * base_value(self.eligible_share)
        )


class PathwayFile(SourcedModel):
    """``pathway.yaml``: the pathway's stages in order, its cohort and its price year."""

    format: Format
    """Exactly ``careprofiles/1``."""
    id: Id
    """The pathway's id."""
    name: str
    """A readable name."""
    description: str | None = None
    """Free text, carried into specifications."""
    price_year: PriceYear
    """The financial year costs are expressed in, e.g. ``"2024/25"``."""
    cohort: Cohort
    """Who enters the pathway in one year."""
    stages: tuple[str, ...] = Field(min_length=1)
    """Stage files, relative to pathway.yaml, in pathway order."""


class Pathway(SourcedModel):
    """A loaded pathway: the contents of pathway.yaml with its stages' care profiles."""

    format: Format = FORMAT
    """Exactly ``careprofiles/1``."""
    id: Id
    """The pathway's id."""
    name: str
    """A readable name."""
    description: str | None = None
    """Free text."""
    price_year: PriceYear
    """The financial year costs are expressed in."""
    cohort: Cohort
    """Who enters the pathway in one year."""
    stages: tuple[Stage, ...] = Field(min_length=1)
    """The stages' care profiles, in pathway order."""

    _folder: Path | None = PrivateAttr(default=None)
    _scenario: object = PrivateAttr(default=None)
    """The scenario that made this pathway from a baseline, set by
    ``costing.scenario_apply`` (an ``AppliedScenario``: costing owns the type; read it
    with ``careprofiles.costing.scenarios.scenario_of``); None for a loaded pathway."""

    def model_post_init(self, context: Any, /) -> None:
        # the loader gives the folder in the validation context: set at construction
        if isinstance(context, dict):
            self._folder = context.get("folder")

    @model_validator(mode="after")
    def _unique_ids(self) -> Pathway:
        _no_duplicates([s.id for s in self.stages], "stage id")
        _no_duplicates([o.id for s in self.stages for o in s.outcomes], "outcome id")
        return self

    @property
    def folder(self) -> Path | None:
        """The folder the pathway was loaded from, if any."""
        return self._folder

    def __repr__(self) -> str:
        # the whole model is tens of thousands of characters: name it and its stages (the
        # first six of a long pathway)
        stages = ", ".join(s.id for s in self.stages[:6])
        if len(self.stages) > 6:
            stages += f", ... ({len(self.stages):,} stages)"
        name = self.name if len(self.name) <= 80 else self.name[:77] + "..."
        return f"<Pathway {self.id!r} {name!r} ({self.price_year} prices): {stages}>"

    def _repr_html_(self) -> str:
        from careprofiles.outputs.display import reprs

        return reprs.pathway_html(self)

    def stage(self, stage_id: str) -> Stage:
        """The stage with this id (``KeyError`` if there is none)."""
        for s in self.stages:
            if s.id == stage_id:
                return s
        raise KeyError(stage_id)

    def services(self) -> Iterator[tuple[Stage, Service]]:
        """Every (stage, service) pair, in order."""
        for stage in self.stages:
            for service in stage.services:
                yield stage, service

    def roles(self) -> list[str]:
        """Every staff role code used, in first-use order."""
        return list(
            dict.fromkeys(line.role for _, service in self.services() for line in service.staff)
        )

    def item_codes(self) -> list[str]:
        """Every item code used, in first-use order."""
        return list(
            dict.fromkeys(item.code for _, service in self.services() for item in service.items)
        )
