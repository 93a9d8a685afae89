"""Scenario files: named sets of changes to a pathway and its tariff, loaded and checked.

A scenario file (``format: careprofiles/1``) holds scenarios, each a list of changes::

    scenarios:
      - id: more-night-care
        name: Night sitting for half of patients
        base: another-scenario-id          # optional: apply that scenario's changes first
        changes:
          - set: last-days/night-sitting/uptake
            to: 0.5
          - scale: tariff/homecare-worker
            by: 1.1
          - add: last-days
            service: {id: hospice-at-home, ...}
          - remove: advancing-disease/day-hospice

This module holds the format (:class:`Change`, :class:`Scenario`, :class:`ScenarioSet`)
and :func:`load_scenarios`, which checks each change's shape, the ids and the ``base``
chains; what an address names is checked when the scenario is applied to a pathway
(:func:`~careprofiles.costing.scenario_apply.apply_scenario`), and scenarios are costed
against the baseline by :func:`~careprofiles.costing.compare.compare`. The rules are in
``docs/scenarios.md``.

Imports: errors, profiles; nothing above costing.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, PlainValidator, WithJsonSchema, model_validator

from careprofiles.errors import Problem, ScenarioError, display_path
from careprofiles.profiles.distributions import Distribution, Uncertain
from careprofiles.profiles.models import Format, Id, Item, Pathway, Service, StaffLine
from careprofiles.profiles.numbers import as_number, parse_uncertain
from careprofiles.profiles.reader import LineList, line_of, read_yaml
from careprofiles.profiles.sources import SourcedModel
from careprofiles.profiles.validation import sort_problems, validate_model

__all__ = [
    "AppliedScenario",
    "Change",
    "Scenario",
    "ScenarioFile",
    "ScenarioSet",
    "load_scenarios",
    "scenario_of",
]

_ADDRESS = re.compile(r"^[a-z0-9#_-]+(?:/[a-z0-9#_-]+)*$")


def _check_address(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(
            f"{value!r} is not an address; write ids joined by '/', "
            "e.g. last-days/night-sitting/uptake"
        )
    if not _ADDRESS.match(value):
        raise ValueError(
            f"{value!r} is not an address; write ids and field names joined by '/' "
            "(lower-case letters, digits, '-' and '_'), e.g. last-days/night-sitting/uptake"
        )
    return value


Address = Annotated[str, PlainValidator(_check_address), WithJsonSchema({"type": "string"})]
"""Ids and a field name joined by '/', e.g. ``last-days/night-sitting/uptake``."""


def _to_value(raw: Any) -> Uncertain:
    return parse_uncertain(raw)


NewValue = Annotated[
    Uncertain,
    PlainValidator(_to_value),
    WithJsonSchema({"anyOf": [{"type": "number"}, {"type": "object"}]}),
]
"""A number or a distribution mapping."""


def _by_value(raw: Any) -> float:
    x = as_number(raw)
    if x < 0:
        raise ValueError(f"{x:g} is negative; scale by a number of 0 or more (1.1 adds 10%)")
    return x


Factor = Annotated[
    float, PlainValidator(_by_value), WithJsonSchema({"type": "number", "minimum": 0})
]

_VERBS = ("set", "scale", "add", "remove")


class Change(SourcedModel):
    """One change to a pathway or tariff: set, scale, add or remove."""

    set: Address | None = None
    """Replace the number (or distribution) at this address with ``to``."""
    scale: Address | None = None
    """Multiply the number, or every number of the distribution, at this address by ``by``."""
    add: Address | None = None
    """Add ``service`` to this stage, or ``staff``/``item`` to this STAGE/SERVICE."""
    remove: Address | None = None
    """Remove this STAGE/SERVICE, STAGE/SERVICE/staff/ROLE or STAGE/SERVICE/items/CODE."""
    to: NewValue | None = None
    """The new number or distribution (with ``set``)."""
    by: Factor | None = None
    """The multiplier, 0 or more (with ``scale``)."""
    service: Service | None = None
    """A whole new service, in the stage format (with ``add: STAGE``)."""
    staff: StaffLine | None = None
    """A new staff line (with ``add: STAGE/SERVICE``)."""
    item: Item | None = None
    """A new item (with ``add: STAGE/SERVICE``)."""

    @model_validator(mode="after")
    def _one_verb(self) -> Change:
        verbs = [v for v in _VERBS if getattr(self, v) is not None]
        if not verbs:
            raise ValueError(
                "a change needs one of set, scale, add or remove, e.g. "
                "'set: last-days/night-sitting/uptake' with 'to: 0.5'"
            )
        if len(verbs) > 1:
            raise ValueError(
                f"give one of set, scale, add or remove per change (found {' and '.join(verbs)}); "
                "split it into separate changes"
            )
        verb = verbs[0]
        companions = {"to": "set", "by": "scale", "service": "add", "staff": "add", "item": "add"}
        stray = [k for k, v in companions.items() if getattr(self, k) is not None and v != verb]
        if stray:
            raise ValueError(
                f"{', '.join(stray)} do{'es' if len(stray) == 1 else ''} not go with {verb!r}; "
                + "; ".join(f"{k!r} goes with {companions[k]!r}" for k in stray)
            )
        if verb == "set" and self.to is None:
            raise ValueError("'set' needs 'to:' with the new number or distribution")
        if verb == "scale" and self.by is None:
            raise ValueError("'scale' needs 'by:' with the multiplier, e.g. 'by: 1.5'")
        if verb == "add":
            given = [k for k in ("service", "staff", "item") if getattr(self, k) is not None]
            depth = len(self.target.split("/"))
            if len(given) != 1:
                raise ValueError(
                    "'add' needs one of 'service:' (with add: STAGE), or 'staff:' or 'item:' "
                    f"(with add: STAGE/SERVICE); found {' and '.join(given) or 'none'}"
                )
            if given == ["service"] and depth != 1:
                raise ValueError(
                    f"add a service to a stage: 'add: {self.target.split('/')[0]}' "
                    f"(not {self.target!r})"
                )
            if given != ["service"] and depth != 2:
                raise ValueError(
                    f"add a {given[0]} line to a service: 'add: STAGE/SERVICE' "
                    f"(not {self.target!r})"
                )
        return self

    @property
    def verb(self) -> Literal["set", "scale", "add", "remove"]:
        """Which of set, scale, add and remove this change is."""
        for v in _VERBS:
            if getattr(self, v) is not None:
                return v  # type: ignore[return-value]
        raise AssertionError("validated change without a verb")  # pragma: no cover

    @property
    def target(self) -> str:
        """The address the change names."""
        value = getattr(self, self.verb)
        assert isinstance(value, str)
        return value

    def describe(self) -> str:
        """The change in words, e.g. ``set last-days/x/uptake to 0.5``."""
        if self.verb == "set":
            assert self.to is not None
            return f"set {self.target} to {_show(self.to)}"
        if self.verb == "scale":
            return f"scale {self.target} by {self.by:g}"
        if self.verb == "add":
            if self.service is not None:
                return f"add service {self.service.id} to {self.target}"
            if self.staff is not None:
                return f"add staff {self.staff.role} to {self.target}"
            assert self.item is not None
            return f"add item {self.item.code} to {self.target}"
        return f"remove {self.target}"


def _show(x: Uncertain) -> str:
    return x.describe() if isinstance(x, Distribution) else f"{x:g}"


class Scenario(SourcedModel):
    """A named set of changes to the baseline pathway and tariff."""

    id: Id
    """Unique within the file."""
    name: str
    """A readable name, shown in comparisons."""
    description: str | None = None
    """Free text."""
    base: Id | None = None
    """Another scenario whose changes are applied first."""
    changes: tuple[Change, ...]
    """The changes, applied in order (may be empty: the baseline itself)."""

    @property
    def label(self) -> str:
        """The name."""
        return self.name


class ScenarioFile(SourcedModel):
    """A scenario file: ``format: careprofiles/1`` and its scenarios."""

    format: Format
    """Exactly ``careprofiles/1``."""
    scenarios: tuple[Scenario, ...] = Field(min_length=1)
    """The scenarios (at least one)."""


@dataclass(frozen=True)
class ScenarioSet:
    """The scenarios of one file, by id."""

    scenarios: tuple[Scenario, ...]
    file: str = ""
    """The file, as shown in messages."""

    def __iter__(self) -> Iterator[Scenario]:
        return iter(self.scenarios)

    def __len__(self) -> int:
        return len(self.scenarios)

    def ids(self) -> list[str]:
        """Every scenario id, in file order."""
        return [s.id for s in self.scenarios]

    def get(self, scenario_id: str) -> Scenario:
        """The scenario with this id; :class:`ScenarioError` (did you mean...) if none."""
        for s in self.scenarios:
            if s.id == scenario_id:
                return s
        close = difflib.get_close_matches(scenario_id, self.ids(), n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"the file has {', '.join(self.ids())}"
        raise ScenarioError(
            [Problem(self.file or None, None, "", f"no scenario {scenario_id!r}; {hint}")]
        )

    def chain(self, scenario_id: str) -> list[Scenario]:
        """The scenario and its bases, the first to apply first."""
        out: list[Scenario] = []
        current: str | None = scenario_id
        while current is not None:
            s = self.get(current)
            if s in out:  # pragma: no cover - load_scenarios refuses cycles
                raise ScenarioError(f"scenario {scenario_id!r}: its base chain is a cycle")
            out.append(s)
            current = s.base
        return out[::-1]


@dataclass(frozen=True)
class AppliedScenario:
    """What a scenario (or condition variant) changed: carried by the pathway it makes
    (:func:`scenario_of`), so that every output of it names it and its changes."""

    id: str
    """The scenario's id, e.g. ``quarterly-mdt``."""
    name: str
    """Its readable name."""
    description: str | None
    """Its free text, if any."""
    file: str
    """The scenario file, as shown in messages."""
    bases: tuple[str, ...]
    """The scenarios applied first (``base:``), the first applied first."""
    changes: tuple[str, ...]
    """Every change applied, in order (its bases' first), in words: ``set X to Y``,
    ``scale X by Z``, ``add service S to T``, ``remove X``."""

    @classmethod
    def of(cls, scenarios: ScenarioSet, scenario_id: str) -> AppliedScenario:
        """The scenario ``scenario_id`` of ``scenarios``, with its base chain."""
        chain = scenarios.chain(scenario_id)
        s = chain[-1]
        return cls(
            id=s.id,
            name=s.name,
            description=" ".join(s.description.split()) if s.description else None,
            file=scenarios.file,
            bases=tuple(b.id for b in chain[:-1]),
            changes=tuple(c.describe() for step in chain for c in step.changes),
        )

    def to_dict(self) -> dict[str, Any]:
        """As plain values, for JSON."""
        return {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "file": self.file,
            "bases": list(self.bases),
            "changes": list(self.changes),
        }


def scenario_of(pathway: Pathway) -> AppliedScenario | None:
    """The scenario that made ``pathway`` from a baseline
    (:func:`~careprofiles.costing.scenario_apply.apply_scenario`); None for a loaded one."""
    found = pathway._scenario
    return found if isinstance(found, AppliedScenario) else None


def load_scenarios(path: str | Path) -> ScenarioSet:
    """Load a scenario file; :class:`ScenarioError` lists every problem with ``file:line``.

    Checks the format, every change's shape (numbers and distributions, added services
    in the stage format), unique ids, and that every ``base`` names a scenario of the
    file without a cycle. Addresses are checked when a scenario is applied to a pathway.
    """
    name = display_path(path)
    raw, problems = read_yaml(path, error=ScenarioError, what="scenario file")
    model = validate_model(ScenarioFile, raw, name, problems)
    entries = raw.get("scenarios")
    if isinstance(entries, LineList):
        problems.extend(_check_ids_and_bases(entries, name))
    if problems or model is None:
        raise ScenarioError(sort_problems(problems))
    return ScenarioSet(model.scenarios, name)


def _check_ids_and_bases(entries: LineList, name: str) -> list[Problem]:
    """Duplicate ids, unknown bases and base cycles, from the raw entries (so they are
    reported together with any other problem of the file)."""
    problems: list[Problem] = []
    first: dict[str, int] = {}
    bases: dict[str, tuple[str, int]] = {}
    for i, entry in enumerate(entries):
        ident = entry.get("id") if isinstance(entry, dict) else None
        if not isinstance(ident, str):
            continue
        if ident in first:
            problems.append(
                Problem(
                    name,
                    line_of(entries, (i, "id")),
                    f"scenarios[{i}].id",
                    f"duplicate scenario id {ident!r} (also scenarios[{first[ident]}]); "
                    "give each scenario an id of its own",
                    "duplicate-id",
                )
            )
            continue
        first[ident] = i
        base = entry.get("base")
        if isinstance(base, str):
            bases[ident] = (base, i)
    ids = list(first)
    for ident, (base, i) in bases.items():
        line = line_of(entries, (i, "base"))
        if base not in first:
            close = difflib.get_close_matches(base, ids, n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"scenarios are {', '.join(ids)}"
            problems.append(
                Problem(
                    name,
                    line,
                    f"scenarios[{i}].base",
                    f"no scenario {base!r} in this file; {hint}",
                )
            )
            continue
        seen = [ident]
        current: str | None = base
        while current is not None and current in first and current not in seen:
            seen.append(current)
            current = bases[current][0] if current in bases else None
        if current is not None and current == ident:
            problems.append(
                Problem(
                    name,
                    line,
                    f"scenarios[{i}].base",
                    f"the base chain {' -> '.join([*seen, ident])} is a cycle; "
                    "a scenario cannot build on itself: remove one of the bases",
                )
            )
    return problems
