"""Scenarios and condition variants: named sets of changes to a pathway and its tariff.

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

Each scenario is applied to the *baseline* on its own (scenarios stack only through
``base``). Applying one builds a new pathway, re-validated through the same models as
a loaded one, and a new :class:`~careprofiles.tariffs.tables.Tariff` whose changed rows record
the change in their ``adjustments``. An address that names nothing, or a result that
breaks the format (a share above 1, both cohort forms), is a :class:`ScenarioError`
naming the scenario ``file:line`` of the change. The rules are in ``docs/scenarios.md``.
"""

from __future__ import annotations

import argparse
import difflib
import math
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated, Any, Literal

import pandas as pd
import pydantic
from pydantic import Field, PlainValidator, WithJsonSchema, model_validator

from careprofiles.costing.engine import CostResult, cost
from careprofiles.errors import (
    CareProfilesError,
    Problem,
    ScenarioError,
    ValidationError,
    display_path,
)
from careprofiles.profiles.distributions import Distribution, Uncertain
from careprofiles.profiles.models import (
    Cohort,
    Contacts,
    Format,
    Id,
    Item,
    Pathway,
    Service,
    StaffLine,
    Stage,
)
from careprofiles.profiles.numbers import as_number as _number, parse_uncertain, scale_uncertain
from careprofiles.profiles.reader import LineList, line_of, read_yaml
from careprofiles.profiles.sources import SourcedModel as _Model
from careprofiles.profiles.validation import problems_from, sort_problems, validate_model
from careprofiles.tariffs.tables import PriceIndex, Tariff, TariffRow

__all__ = [
    "ADDRESS_FORMS",
    "Change",
    "Comparison",
    "Scenario",
    "ScenarioFile",
    "ScenarioSet",
    "addresses",
    "apply_scenario",
    "apply_scenario_args",
    "compare",
    "load_scenarios",
]

ADDRESS_FORMS = (
    "STAGE/FIELD (duration_weeks, reach)",
    "STAGE/SERVICE/uptake",
    "STAGE/SERVICE/contacts/FIELD (per_week, per_day, per_stage, minutes, travel_minutes)",
    "STAGE/SERVICE/staff/ROLE/FIELD (count, share)",
    "STAGE/SERVICE/items/CODE/FIELD (quantity, per_week)",
    "cohort/FIELD (patients, population, deaths_per_1000, eligible_share)",
    "tariff/CODE (its cost)",
)
"""The addresses ``set`` and ``scale`` take."""

_STAGE_FIELDS = ("duration_weeks", "reach")
_SERVICE_FIELDS = ("uptake",)
_CONTACT_FIELDS = ("per_week", "per_day", "per_stage", "minutes", "travel_minutes")
_STAFF_FIELDS = ("count", "share")
_ITEM_FIELDS = ("quantity", "per_week")
_COHORT_FIELDS = ("patients", "population", "deaths_per_1000", "eligible_share")
_THREE = ("population", "deaths_per_1000", "eligible_share")

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
    x = _number(raw)
    if x < 0:
        raise ValueError(f"{x:g} is negative; scale by a number of 0 or more (1.1 adds 10%)")
    return x


Factor = Annotated[
    float, PlainValidator(_by_value), WithJsonSchema({"type": "number", "minimum": 0})
]

_VERBS = ("set", "scale", "add", "remove")


class Change(_Model):
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


class Scenario(_Model):
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


class ScenarioFile(_Model):
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


# --------------------------------------------------------------------------------------
# Applying a scenario: a mutable draft of the parts that change, re-validated at the end.


class _Node:
    """A model being changed: its field values, and the change line of each edit."""

    def __init__(self, model: _Model, address: str) -> None:
        self.original = model
        self.cls: type[_Model] = type(model)
        self.address = address
        self.data: dict[str, Any] = dict(model)
        self.field_lines: dict[str, int] = {}
        self.struct_line: int | None = None

    def children(self, key: str) -> list[Any]:
        value = self.data[key]
        if not isinstance(value, list):
            value = list(value)
            self.data[key] = value
        return value


def _ident(entry: Any, key: str) -> str:
    model = entry.original if isinstance(entry, _Node) else entry
    value = getattr(model, key)
    assert isinstance(value, str)
    return value


def _idents(entries: list[Any], key: str) -> list[str]:
    """Ids as addresses name them: the second line with the same role is ``role#2``."""
    seen: dict[str, int] = {}
    out = []
    for e in entries:
        ident = _ident(e, key)
        seen[ident] = seen.get(ident, 0) + 1
        out.append(ident if seen[ident] == 1 else f"{ident}#{seen[ident]}")
    return out


class _Applier:
    def __init__(self, pathway: Pathway, tariff: Tariff, scenario: Scenario, file: str) -> None:
        self.pathway = pathway
        self.tariff = tariff
        self.scenario = scenario
        self.file = file
        self.root = _Node(pathway, "")
        self.rows: dict[str, TariffRow] = {}
        self.problems: list[Problem] = []
        self.line = 0
        self.touched = False

    # ---- reporting -------------------------------------------------------------------
    def fail(self, message: str, where: str | None = None, line: int | None = None) -> None:
        self.problems.append(
            Problem(
                self.file or None,
                self.line if line is None else line,
                f"scenario {self.scenario.id}" + (f": {where}" if where else ""),
                message,
            )
        )

    # ---- finding things --------------------------------------------------------------
    def _pick(
        self, parent: _Node, key: str, id_key: str, ident: str, what: str, inside: str
    ) -> tuple[list[Any], int] | None:
        entries = parent.children(key)
        names = _idents(entries, id_key)
        if ident in names:
            return entries, names.index(ident)
        close = difflib.get_close_matches(ident, names, n=1)
        hint = (
            f"did you mean {close[0]!r}?"
            if close
            else (f"{what}s are {', '.join(names)}" if names else f"it has no {what}s")
        )
        self.fail(f"{inside} has no {what} {ident!r}; {hint}", self.change.target)
        return None

    def _open(self, entries: list[Any], i: int, address: str) -> _Node:
        node = entries[i]
        if not isinstance(node, _Node):
            node = _Node(node, address)
            entries[i] = node
        return node

    def stage(self, stage_id: str) -> _Node | None:
        inside = f"pathway {self.pathway.id!r}"
        found = self._pick(self.root, "stages", "id", stage_id, "stage", inside)
        return None if found is None else self._open(*found, stage_id)

    def service(self, stage_id: str, service_id: str) -> _Node | None:
        stage = self.stage(stage_id)
        if stage is None:
            return None
        found = self._pick(stage, "services", "id", service_id, "service", f"stage {stage_id!r}")
        return None if found is None else self._open(*found, f"{stage_id}/{service_id}")

    def contacts(self, stage_id: str, service_id: str) -> _Node | None:
        service = self.service(stage_id, service_id)
        if service is None:
            return None
        current = service.data.get("contacts")
        if current is None:
            self.fail(
                f"service {stage_id}/{service_id} has no contacts (it has items only); "
                "set its items' numbers, or add a service with contacts",
                self.change.target,
            )
            return None
        if not isinstance(current, _Node):
            current = _Node(current, f"{stage_id}/{service_id}/contacts")
            service.data["contacts"] = current
        return current

    def line_entry(self, stage_id: str, service_id: str, kind: str, ident: str) -> _Node | None:
        service = self.service(stage_id, service_id)
        if service is None:
            return None
        id_key = "role" if kind == "staff" else "code"
        what = "staff role" if kind == "staff" else "item"
        found = self._pick(service, kind, id_key, ident, what, f"service {stage_id}/{service_id}")
        if found is None:
            return None
        return self._open(*found, f"{stage_id}/{service_id}/{kind}/{ident}")

    def cohort(self) -> _Node:
        current = self.root.data["cohort"]
        if not isinstance(current, _Node):
            current = _Node(current, "cohort")
            self.root.data["cohort"] = current
        return current

    # ---- changes ---------------------------------------------------------------------
    def apply(self, change: Change) -> None:
        self.change = change
        self.line = change._line or 0
        if change.verb in ("set", "scale"):
            self.set_or_scale(change)
        elif change.verb == "add":
            self.add(change)
        else:
            self.remove(change)

    def _bad_address(self, why: str) -> None:
        self.fail(f"{why}; addresses are " + "; ".join(ADDRESS_FORMS), self.change.target)

    def _field(self, field: str, allowed: Sequence[str], what: str) -> bool:
        if field in allowed:
            return True
        close = difflib.get_close_matches(field, list(allowed), n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"{what} fields are {', '.join(allowed)}"
        self.fail(
            f"{field!r} is not a number of {what} a scenario can change; {hint}", self.change.target
        )
        return False

    def set_or_scale(self, change: Change) -> None:
        parts = change.target.split("/")
        head = parts[0]
        if head == "tariff":
            if len(parts) != 2:
                self._bad_address("a tariff cost is addressed as tariff/CODE")
                return
            self.tariff_change(parts[1], change)
            return
        if head == "cohort":
            if len(parts) != 2:
                self._bad_address("a cohort number is addressed as cohort/FIELD")
                return
            if self._field(parts[1], _COHORT_FIELDS, "the cohort"):
                self.edit(self.cohort(), parts[1], change, _COHORT_FIELDS)
            return
        node: _Node | None
        group: tuple[str, ...]
        if len(parts) == 2:
            if not self._field(parts[1], _STAGE_FIELDS, "a stage"):
                return
            node, field, group = self.stage(head), parts[1], ()
        elif len(parts) == 3:
            if not self._field(parts[2], _SERVICE_FIELDS, "a service"):
                return
            node, field, group = self.service(head, parts[1]), parts[2], ()
        elif len(parts) == 4 and parts[2] == "contacts":
            if not self._field(parts[3], _CONTACT_FIELDS, "contacts"):
                return
            field = parts[3]
            group = ("per_week", "per_day", "per_stage") if field.startswith("per_") else ()
            node = self.contacts(head, parts[1])
        elif len(parts) == 5 and parts[2] in ("staff", "items"):
            kind = parts[2]
            allowed = _STAFF_FIELDS if kind == "staff" else _ITEM_FIELDS
            if not self._field(parts[4], allowed, "a staff line" if kind == "staff" else "an item"):
                return
            field = parts[4]
            group = ("quantity", "per_week") if kind == "items" else ()
            node = self.line_entry(head, parts[1], kind, parts[3])
        else:
            self._bad_address(f"{change.target!r} does not name a number")
            return
        if node is not None:
            self.edit(node, field, change, group)

    def edit(self, node: _Node, field: str, change: Change, group: Sequence[str]) -> None:
        where = f"{node.address}/{field}" if node.address else field
        if change.verb == "set":
            assert change.to is not None
            if node.cls is Cohort:  # patients replaces the three-number form, and back
                clear: Sequence[str] = _THREE if field == "patients" else ("patients",)
            else:
                clear = [g for g in group if g != field]
            for other in clear:
                node.data[other] = None
            node.data[field] = change.to
        else:
            current = node.data.get(field)
            if current is None:
                given = [g for g in group if node.data.get(g) is not None]
                also = f" (it gives {', '.join(given)})" if given else ""
                self.fail(
                    f"there is no {field} to scale{also}; scale "
                    f"{'that' if given else 'a number that is given'}, or 'set' {field}",
                    where,
                )
                return
            assert change.by is not None
            try:
                node.data[field] = scale_uncertain(current, change.by)
            except ValueError as exc:
                self.fail(f"scaling gives an invalid distribution: {exc}", where)
                return
        node.field_lines[field] = self.line
        self.touched = True

    def tariff_change(self, code: str, change: Change) -> None:
        row = self.rows.get(code) or self.tariff.get(code)
        if row is None:
            hint = self.tariff.suggest(code) or "; check the code, or layer a tariff that has it"
            self.fail(f"no tariff row {code!r}{hint}", change.target)
            return
        origin = f"scenario {self.scenario.id} ({self.file}:{self.line})"
        if change.verb == "set":
            if isinstance(change.to, Distribution):
                self.fail(
                    "a tariff cost is a number; give its uncertainty in a tariff-uncertainty "
                    "file (--uncertainty FILE) instead",
                    change.target,
                )
                return
            assert change.to is not None
            new = float(change.to)
            if new < 0:
                self.fail(f"{new:g} is negative; a cost is 0 or more", change.target)
                return
            self.rows[code] = replace(
                row, cost=new, adjustments=(*row.adjustments, f"set to {new:g} by {origin}")
            )
        else:
            assert change.by is not None
            self.rows[code] = row.adjusted(change.by, f"x{change.by:g} by {origin}")

    def add(self, change: Change) -> None:
        parts = change.target.split("/")
        if change.service is not None:
            stage = self.stage(parts[0])
            if stage is None:
                return
            services = stage.children("services")
            names = _idents(services, "id")
            if change.service.id in names:
                self.fail(
                    f"stage {parts[0]!r} already has a service {change.service.id!r}; give the "
                    "new service another id, or remove the old one first",
                    change.target,
                )
                return
            services.append(change.service)
            stage.struct_line = self.line
        else:
            service = self.service(parts[0], parts[1])
            if service is None:
                return
            if change.staff is not None:
                service.children("staff").append(change.staff)
            else:
                assert change.item is not None
                service.children("items").append(change.item)
            service.struct_line = self.line
        self.touched = True

    def remove(self, change: Change) -> None:
        parts = change.target.split("/")
        if len(parts) == 2:
            stage = self.stage(parts[0])
            if stage is None:
                return
            found = self._pick(stage, "services", "id", parts[1], "service", f"stage {parts[0]!r}")
            if found is None:
                return
            entries, i = found
            del entries[i]
            stage.struct_line = self.line
        elif len(parts) == 4 and parts[2] in ("staff", "items"):
            service = self.service(parts[0], parts[1])
            if service is None:
                return
            kind = parts[2]
            found = self._pick(
                service,
                kind,
                "role" if kind == "staff" else "code",
                parts[3],
                "staff role" if kind == "staff" else "item",
                f"service {parts[0]}/{parts[1]}",
            )
            if found is None:
                return
            entries, i = found
            del entries[i]
            service.struct_line = self.line
        else:
            self.fail(
                "remove takes STAGE/SERVICE, STAGE/SERVICE/staff/ROLE or STAGE/SERVICE/items/CODE",
                change.target,
            )
            return
        self.touched = True

    # ---- building the new pathway ----------------------------------------------------
    def build(self, node: Any) -> Any:
        if not isinstance(node, _Node):
            return node
        data: dict[str, Any] = {}
        broken = False
        for key, value in node.data.items():
            if isinstance(value, list):
                built = [self.build(v) for v in value]
                broken = broken or any(b is None for b in built)
                data[key] = tuple(built)
            elif isinstance(value, _Node):
                built_one = self.build(value)
                broken = broken or built_one is None
                data[key] = built_one
            else:
                data[key] = value
        if broken:
            return None
        try:
            new = node.cls.model_validate(data)
        except pydantic.ValidationError as exc:
            for p in problems_from(exc, None, self.file, node.cls):
                field = p.where.split(".")[0].split("[")[0] if p.where else ""
                line = node.field_lines.get(field) or node.struct_line
                if line is None and node.field_lines:
                    line = max(node.field_lines.values())
                where = node.address or "pathway"
                if field and field in node.field_lines:
                    where = f"{where}/{field}" if node.address else field
                message = p.message
                if node.cls is Cohort and not p.where:
                    message = (
                        f"{message} (setting cohort/patients replaces the three-number form; "
                        "setting one of those three replaces patients, so set all three)"
                    )
                elif p.where and p.where.split(".")[0] not in node.field_lines:
                    message = f"{p.where}: {message}"
                what = _kind(node.cls)
                self.fail(f"the changed {what} breaks the format: {message}", where, line)
            return None
        if node.field_lines:
            new._file, new._line = self.file or None, max(node.field_lines.values())
        else:
            new._file, new._line = node.original._file, node.original._line
        return new

    def result(self) -> tuple[Pathway, Tariff]:
        tariff = self.tariff.replace_rows(self.rows) if self.rows else self.tariff
        if not self.touched:
            return self.pathway, tariff
        built = self.build(self.root)
        if built is None:
            return self.pathway, tariff
        assert isinstance(built, Pathway)
        built._folder = self.pathway._folder
        return built, tariff


def _kind(cls: type[_Model]) -> str:
    return {
        Pathway: "pathway",
        Stage: "stage",
        Service: "service",
        Contacts: "contacts",
        StaffLine: "staff line",
        Item: "item",
        Cohort: "cohort",
    }.get(cls, cls.__name__.lower())


def apply_scenario(
    pathway: Pathway,
    tariff: Tariff,
    scenarios: ScenarioSet | str | Path,
    scenario_id: str,
) -> tuple[Pathway, Tariff]:
    """The pathway and tariff of one scenario: a new, re-validated pathway and tariff.

    ``scenarios`` is a loaded :class:`ScenarioSet` or the path of a scenario file. The
    scenario's ``base`` chain is applied first, then its own changes, in order, to the
    baseline. Raises :class:`ScenarioError` listing every change that names nothing or
    whose result breaks the format, each with the scenario ``file:line``.
    """
    if not isinstance(scenarios, ScenarioSet):
        scenarios = load_scenarios(scenarios)
    scenario = scenarios.get(scenario_id)
    applier = _Applier(pathway, tariff, scenario, scenarios.file)
    for step in scenarios.chain(scenario_id):
        for change in step.changes:
            applier.apply(change)
    new_pathway, new_tariff = applier.result()
    if applier.problems:
        raise ScenarioError(sort_problems(applier.problems))
    return new_pathway, new_tariff


def addresses(pathway: Pathway, tariff: Tariff | None = None) -> list[str]:
    """Every address ``set`` can take for this pathway (and tariff), in pathway order."""
    out = [f"cohort/{f}" for f in _COHORT_FIELDS]
    for stage in pathway.stages:
        out.extend(f"{stage.id}/{f}" for f in _STAGE_FIELDS)
        for service in stage.services:
            s = f"{stage.id}/{service.id}"
            out.append(f"{s}/uptake")
            if service.contacts is not None:
                out.extend(f"{s}/contacts/{f}" for f in _CONTACT_FIELDS)
            for role in _idents(list(service.staff), "role"):
                out.extend(f"{s}/staff/{role}/{f}" for f in _STAFF_FIELDS)
            for code in _idents(list(service.items), "code"):
                out.extend(f"{s}/items/{code}/{f}" for f in _ITEM_FIELDS)
    if tariff is not None:
        used = dict.fromkeys([*pathway.roles(), *pathway.item_codes()])
        out.extend(f"tariff/{c}" for c in used if c in tariff)
    return out


# --------------------------------------------------------------------------------------
# Comparing scenarios with the baseline.


@dataclass(frozen=True)
class Comparison:
    """The baseline and each scenario costed, with the differences."""

    baseline: CostResult
    scenarios: tuple[tuple[Scenario, CostResult], ...]
    file: str = ""
    """The scenario file."""

    def table(self) -> pd.DataFrame:
        """One row for the baseline and one per scenario: costs and changes."""
        b = self.baseline
        rows: list[dict[str, Any]] = [
            {
                "id": "baseline",
                "name": "Baseline",
                "cohort": b.cohort,
                "per_patient": b.per_patient,
                "total": b.total,
            }
        ]
        for s, r in self.scenarios:
            rows.append(
                {
                    "id": s.id,
                    "name": s.name,
                    "cohort": r.cohort,
                    "per_patient": r.per_patient,
                    "total": r.total,
                }
            )
        out = pd.DataFrame(rows, columns=["id", "name", "cohort", "per_patient", "total"])
        out["delta_per_patient"] = out["per_patient"] - b.per_patient
        out["delta_total"] = out["total"] - b.total
        out["change"] = out["delta_per_patient"] / b.per_patient if b.per_patient else math.nan
        return out

    def _results(self) -> list[tuple[str, CostResult]]:
        return [("baseline", self.baseline), *((s.id, r) for s, r in self.scenarios)]

    def by_stage(self) -> pd.DataFrame:
        """Long table: scenario, stage, cost per cohort patient and a year, and the changes."""
        base = self.baseline.by_stage().set_index("stage")
        frames = []
        for sid, r in self._results():
            st = r.by_stage()[["stage", "name", "patients", "per_patient", "total"]].copy()
            st.insert(0, "scenario", sid)
            st["delta_per_patient"] = st["per_patient"] - st["stage"].map(base["per_patient"])
            st["delta_total"] = st["total"] - st["stage"].map(base["total"])
            frames.append(st)
        return pd.concat(frames, ignore_index=True)

    def by_role(self) -> pd.DataFrame:
        """Long table: scenario, role, hours and WTE a year, cost a year, and the change in cost."""
        base = self.baseline.by_role().set_index("role")
        frames = []
        for sid, r in self._results():
            ro = r.by_role()[["role", "hours", "wte", "cost"]].copy()
            ro.insert(0, "scenario", sid)
            ro["delta_cost"] = ro["cost"] - ro["role"].map(base["cost"]).fillna(0.0)
            ro["delta_wte"] = ro["wte"] - ro["role"].map(base["wte"]).fillna(0.0)
            frames.append(ro)
        return pd.concat(frames, ignore_index=True)

    def to_dict(self) -> dict[str, Any]:
        """Every figure as plain values (unrounded), for JSON."""
        b = self.baseline
        stages = self.by_stage()
        roles = self.by_role()

        def part(sid: str, frame: pd.DataFrame, cols: list[str]) -> list[dict[str, Any]]:
            sub = frame[frame["scenario"] == sid][cols]
            return [
                {str(k): (v.item() if hasattr(v, "item") else v) for k, v in row.items()}
                for row in sub.to_dict(orient="records")
            ]

        stage_cols = ["stage", "per_patient", "total", "delta_per_patient", "delta_total"]
        role_cols = ["role", "hours", "wte", "cost", "delta_cost", "delta_wte"]
        return {
            "pathway": b.pathway.id,
            "price_year": b.price_year,
            "scenario_file": self.file,
            "baseline": {
                "per_patient": b.per_patient,
                "total": b.total,
                "cohort": b.cohort,
                "stages": part("baseline", stages, stage_cols[:3]),
                "roles": part("baseline", roles, role_cols[:4]),
            },
            "scenarios": [
                {
                    "id": s.id,
                    "name": s.name,
                    "description": s.description,
                    "base": s.base,
                    "changes": [c.describe() for c in s.changes],
                    "per_patient": r.per_patient,
                    "total": r.total,
                    "cohort": r.cohort,
                    "delta_per_patient": r.per_patient - b.per_patient,
                    "delta_total": r.total - b.total,
                    "stages": part(s.id, stages, stage_cols),
                    "roles": part(s.id, roles, role_cols),
                }
                for s, r in self.scenarios
            ],
        }


def compare(
    pathway: Pathway,
    tariff: Tariff,
    scenarios: ScenarioSet | str | Path,
    *,
    index: PriceIndex | None = None,
    ids: Iterable[str] | None = None,
) -> Comparison:
    """Cost the baseline and each scenario (``ids``: some of them, in that order).

    Every scenario's problems (addresses naming nothing, results that break the format,
    codes no tariff prices) are collected and raised once: as a :class:`ScenarioError`,
    or as the one kind of error they all are (:class:`MissingCodeError` for a code no
    tariff prices).
    """
    if not isinstance(scenarios, ScenarioSet):
        scenarios = load_scenarios(scenarios)
    baseline = cost(pathway, tariff, index=index)
    chosen = [scenarios.get(i) for i in ids] if ids is not None else list(scenarios)
    problems: list[Problem] = []
    kinds: set[type[ValidationError]] = set()
    results: list[tuple[Scenario, CostResult]] = []
    for s in chosen:
        try:
            p, t = apply_scenario(pathway, tariff, scenarios, s.id)
            results.append((s, cost(p, t, index=index)))
        except ValidationError as exc:
            kinds.add(type(exc))
            problems.extend(q for q in exc.problems if q not in problems)
    if problems:
        # one kind of error (e.g. MissingCodeError for an added service): keep its type
        kind = kinds.pop() if len(kinds) == 1 else ScenarioError
        raise kind(sort_problems(problems))
    return Comparison(baseline, tuple(results), scenarios.file)


def apply_scenario_args(
    pathway: Pathway, tariff: Tariff, args: argparse.Namespace
) -> tuple[Pathway, Tariff]:
    """``--scenarios FILE --scenario ID`` on the command line: the scenario's pathway and tariff."""
    file = getattr(args, "scenarios", None)
    scenario_id = getattr(args, "scenario", None)
    if scenario_id and not file:
        raise CareProfilesError("--scenario needs --scenarios FILE naming the scenario file")
    if not file:
        return pathway, tariff
    scenarios = load_scenarios(file)
    if not scenario_id:
        raise CareProfilesError(
            f"{scenarios.file}: give --scenario ID to cost one scenario "
            f"(the file has {', '.join(scenarios.ids())}); 'careprofiles compare' costs them all"
        )
    return apply_scenario(pathway, tariff, scenarios, scenario_id)
