"""The facilitation programme, costed: workshops and one-to-one practice sessions.

A programme file (``format: careprofiles-standards/1`` with ``programme:``) lists the
activities that support practices towards accreditation: each has a number of sessions
``per`` unit (the whole ``area``, each ``group``, each ``practice``, or each practice
``not-accredited`` at the assessment date), the ``hours`` a session lasts and the
``staff`` at each session (a tariff code and how many). :func:`load_programme` reads and
checks it (every problem at its ``file:line``); :func:`cost_programme` counts the sessions
from a :class:`~.result.StandardsResult` and prices the staff time with the costing
engine (:func:`careprofiles.costing.result.cost`): the plan becomes a one-stage pathway
whose cohort is one programme, each activity a service whose contacts are its sessions,
so tariff units, price years (uplifted with the price index) and market forces are
applied exactly as they are to care profiles.

Imports: errors, profiles (models, sources, validation), tariffs, costing.result,
standards.models, standards.framework, standards.renewal, standards.result.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import ConfigDict, Field

from careprofiles.costing.result import cost
from careprofiles.errors import Problem, StandardsError, ValidationError, display_path
from careprofiles.profiles.models import (
    Code,
    Cohort,
    Contacts,
    Id,
    Pathway,
    PriceYear,
    Service,
    StaffLine,
    Stage,
)
from careprofiles.profiles.sources import SourcedModel, set_source, source_of
from careprofiles.profiles.validation import duplicate_ids, sort_problems, validate_model
from careprofiles.standards.framework import read_standards_yaml
from careprofiles.standards.models import StandardsFormat, Text
from careprofiles.standards.renewal import ACCREDITATION_STATUSES, NO_GROUP
from careprofiles.standards.result import StandardsResult
from careprofiles.tariffs.tables import PriceIndex, Tariff

__all__ = [
    "PER",
    "Programme",
    "ProgrammeActivity",
    "ProgrammeCost",
    "ProgrammeStaff",
    "cost_programme",
    "load_programme",
]

PER = ("area", "group", "practice", "not-accredited")
"""What an activity's sessions are counted per: the whole area, each group, each
practice, or each practice not accredited at the assessment date (lapsed ones included)."""


_SERVICE = re.compile(r"^facilitation: services\[(\d+)\]")
"""How the costing engine names an activity of the plan (as a service of its one stage)."""


class _Entry(SourcedModel):
    """The base of the models here: free text is stripped of surrounding spaces."""

    model_config = ConfigDict(str_strip_whitespace=True)


class ProgrammeStaff(_Entry):
    """Staff at each session of an activity."""

    role: Code
    """The role's tariff code (priced per hour or per contact), e.g. ``palliative-cns``."""
    count: float = Field(default=1.0, gt=0)
    """How many of this role attend each session."""


class ProgrammeActivity(_Entry):
    """One activity of the programme: a workshop, or one-to-one practice sessions."""

    id: Id
    """Unique within the programme."""
    name: Text
    """A readable name."""
    kind: Literal["workshop", "practice-session", "other"] = "other"
    """``workshop`` (many practices at once), ``practice-session`` (one practice), ``other``."""
    per: Literal["area", "group", "practice", "not-accredited"]
    """What ``sessions`` are counted per: ``area``, ``group``, ``practice``, ``not-accredited``."""
    sessions: float = Field(gt=0)
    """Sessions per unit of ``per`` (e.g. 2 workshops per group)."""
    hours: float = Field(gt=0)
    """Hours each session lasts (preparation included, if it is to be costed)."""
    staff: tuple[ProgrammeStaff, ...] = Field(min_length=1)
    """The staff at each session."""


class Programme(_Entry):
    """A facilitation programme: its activities, priced in ``price_year``."""

    format: StandardsFormat
    """Exactly ``careprofiles-standards/1``."""
    programme: Id
    """The programme's id."""
    name: Text
    """A readable name."""
    description: str | None = None
    """Free text, carried into reports."""
    price_year: PriceYear
    """The financial year costs are given in, e.g. ``"2024/25"``."""
    activities: tuple[ProgrammeActivity, ...] = Field(min_length=1)
    """The activities (at least one), in the order reports list them."""


def load_programme(path: str | Path) -> Programme:
    """Load and check a programme file; raises :class:`StandardsError` listing every problem."""
    file = Path(path)
    name = display_path(file)
    raw, problems = read_standards_yaml(file, "facilitation programme")
    if "programme" not in raw and ("standards" in raw or "practice" in raw):
        kind = "a standards framework" if "standards" in raw else "a practice's assessments"
        raise StandardsError(
            [
                Problem(
                    name,
                    None,
                    "",
                    f"this is {kind}, not a facilitation programme; a programme file has "
                    "'programme:', 'price_year:' and 'activities:'",
                )
            ]
        )
    mine: list[Problem] = []
    programme = validate_model(Programme, raw, name, mine)
    mine += duplicate_ids(raw.get("activities"), "activities", name, "activity")
    problems = sort_problems(problems + mine)
    if problems or programme is None:
        raise StandardsError(problems)
    return programme


@dataclass(frozen=True)
class ProgrammeCost:
    """The programme costed: one row of :attr:`lines` an activity x staff role."""

    programme: Programme
    lines: pd.DataFrame = field(repr=False)
    """activity, name, kind, per, units (groups, practices ... counted), sessions_each,
    sessions, hours (a session), role, count, staff_hours, unit, unit_cost, cost,
    tariff (the row's ``file:line``)."""
    units: dict[str, int]
    """How many of each ``per`` there are: area 1, groups, practices, not accredited."""

    @property
    def total(self) -> float:
        """The programme's cost, in pounds of its price year."""
        return float(self.lines["cost"].sum())

    @property
    def staff_hours(self) -> float:
        """Staff hours, every role together."""
        return float(self.lines["staff_hours"].sum())

    def activities(self) -> pd.DataFrame:
        """One row an activity: sessions, staff hours and cost."""
        g = self.lines.groupby("activity", sort=False)
        return g.agg(
            name=("name", "first"),
            kind=("kind", "first"),
            per=("per", "first"),
            units=("units", "first"),
            sessions_each=("sessions_each", "first"),
            sessions=("sessions", "first"),
            hours=("hours", "first"),
            staff_hours=("staff_hours", "sum"),
            cost=("cost", "sum"),
        ).reset_index()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the programme, its activities with their staff lines, the totals."""
        p = self.programme
        by_activity = {a: rows for a, rows in self.lines.groupby("activity", sort=False)}
        return {
            "id": p.programme,
            "name": p.name,
            "price_year": p.price_year,
            "units": dict(self.units),
            "activities": [
                {
                    "id": a["activity"],
                    "name": a["name"],
                    "kind": a["kind"],
                    "per": a["per"],
                    "units": int(a["units"]),
                    "sessions_each": float(a["sessions_each"]),
                    "sessions": float(a["sessions"]),
                    "hours": float(a["hours"]),
                    "staff_hours": float(a["staff_hours"]),
                    "cost": float(a["cost"]),
                    "staff": [
                        {
                            "role": s["role"],
                            "count": float(s["count"]),
                            "staff_hours": float(s["staff_hours"]),
                            "unit": s["unit"],
                            "unit_cost": float(s["unit_cost"]),
                            "cost": float(s["cost"]),
                            "tariff": s["tariff"],
                        }
                        for s in by_activity[a["activity"]].to_dict("records")
                    ],
                }
                for a in self.activities().to_dict("records")
            ],
            "staff_hours": self.staff_hours,
            "total": self.total,
        }


def programme_units(result: StandardsResult) -> dict[str, int]:
    """How many of each ``per`` the assessed practices give."""
    practices = result.practices
    groups = practices["group"].where(practices["group"] != "", NO_GROUP)
    return {
        "area": 1,
        "group": int(groups.nunique()),
        "practice": len(practices),
        "not-accredited": int((practices["status"] != ACCREDITATION_STATUSES[0]).sum()),
    }


def _as_pathway(programme: Programme, units: dict[str, int]) -> Pathway:
    """The plan as a pathway the costing engine prices: one programme, one stage, an
    activity a service, a session a contact, sourced at the programme file's lines."""

    def sourced(model: Any, like: Any) -> Any:
        set_source(model, *source_of(like))
        return model

    services = []
    for a in programme.activities:
        contacts = sourced(Contacts(per_stage=a.sessions * units[a.per], minutes=a.hours * 60), a)
        staff = tuple(sourced(StaffLine(role=s.role, count=s.count), s) for s in a.staff)
        services.append(
            sourced(
                Service(id=a.id, name=a.name, setting="other", contacts=contacts, staff=staff),
                a,
            )
        )
    stage = sourced(
        Stage(id="facilitation", name=programme.name, duration_weeks=52, services=services),
        programme,
    )
    pathway: Pathway = sourced(
        Pathway(
            id=programme.programme,
            name=programme.name,
            price_year=programme.price_year,
            cohort=Cohort(patients=1),
            stages=(stage,),
        ),
        programme,
    )
    return pathway


def cost_programme(
    programme: Programme,
    result: StandardsResult,
    tariff: Tariff,
    *,
    index: PriceIndex | None = None,
) -> ProgrammeCost:
    """Price ``programme`` for the practices of ``result`` with ``tariff`` (see the module).

    Unknown tariff codes, or items given as staff, are refused by the costing engine at
    the programme file's ``file:line``.
    """
    units = programme_units(result)
    try:
        costed = cost(_as_pathway(programme, units), tariff, index=index)
    except ValidationError as exc:
        # the engine names the plan as a pathway; name it as the programme file does
        raise type(exc)(
            replace(p, where=_SERVICE.sub(r"activities[\1]", p.where)) for p in exc.problems
        ) from None
    lines = costed.lines
    activity = {a.id: a for a in programme.activities}
    acts = [activity[s] for s in lines["service"]]
    sessions = lines["contacts"].to_numpy(dtype=np.float64)
    frame = pd.DataFrame(
        {
            "activity": lines["service"].to_numpy(dtype=object),
            "name": [a.name for a in acts],
            "kind": [a.kind for a in acts],
            "per": [a.per for a in acts],
            "units": [units[a.per] for a in acts],
            "sessions_each": [a.sessions for a in acts],
            "sessions": sessions,
            "hours": [a.hours for a in acts],
            "role": lines["code"].to_numpy(dtype=object),
            "count": lines["count"].to_numpy(dtype=np.float64),
            "staff_hours": lines["hours_population"].to_numpy(dtype=np.float64),
            "unit": lines["unit"].to_numpy(dtype=object),
            "unit_cost": lines["unit_cost"].to_numpy(dtype=np.float64),
            "cost": lines["cost_population"].to_numpy(dtype=np.float64),
            "tariff": lines["tariff_source"].to_numpy(dtype=object),
        }
    )
    return ProgrammeCost(programme, frame, units)
