"""Applying a scenario to a pathway and tariff: a new, re-validated pathway and tariff.

Each scenario is applied to the *baseline* on its own (scenarios stack only through
``base``). Applying one builds a mutable draft of the parts of the pathway that change,
re-validated at the end through the same models as a loaded pathway, and a new
:class:`~careprofiles.tariffs.tables.Tariff` whose changed rows record the change in
their ``adjustments``. An address that names nothing, or a result that breaks the
format (a share above 1, both cohort forms), is a :class:`ScenarioError` naming the
scenario ``file:line`` of the change. Addresses, their field names and their numbered
ids are those of ``careprofiles.profiles.parameters`` (:func:`addresses` lists them).

Imports: errors, resources, profiles, tariffs, costing.scenarios; nothing above costing.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pydantic

from careprofiles.costing.scenarios import (
    AppliedScenario,
    Change,
    Scenario,
    ScenarioSet,
    load_scenarios,
)
from careprofiles.errors import Problem, ScenarioError
from careprofiles.profiles.distributions import Distribution
from careprofiles.profiles.models import (
    Cohort,
    Contacts,
    Item,
    Pathway,
    Service,
    StaffLine,
    Stage,
)
from careprofiles.profiles.numbers import scale_uncertain
from careprofiles.profiles.parameters import (
    ADDRESS_FORMS,
    COHORT_FIELDS,
    CONTACT_FIELDS,
    FREQUENCIES,
    ITEM_FIELDS,
    SERVICE_FIELDS,
    STAFF_FIELDS,
    STAGE_FIELDS,
    numbered,
    parameters,
)
from careprofiles.profiles.sources import SourcedModel
from careprofiles.profiles.validation import problems_from, sort_problems
from careprofiles.resources import source_name
from careprofiles.tariffs.tables import Tariff, TariffRow

__all__ = ["TARIFF_UNCERTAINTY_HINT", "addresses", "apply_scenario"]

TARIFF_UNCERTAINTY_HINT = "tariff_uncertainty=load_tariff_uncertainty(FILE)"
"""Where a tariff cost's distribution goes, in Python (the command line names its own
option instead)."""

_THREE = COHORT_FIELDS[1:]
"""The cohort's three-number form."""

class _Node:
    """A model being changed: its field values, and the change line of each edit."""

    def __init__(self, model: SourcedModel, address: str) -> None:
        self.original = model
        self.cls: type[SourcedModel] = type(model)
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
    """The entries' ids as addresses name them (``role#2``: see ``profiles.parameters``)."""
    return numbered([_ident(e, key) for e in entries])


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
    def fail(
        self, message: str, where: str | None = None, line: int | None = None, code: str = ""
    ) -> None:
        self.problems.append(
            Problem(
                self.file or None,
                self.line if line is None else line,
                f"scenario {self.scenario.id}" + (f": {where}" if where else ""),
                message,
                code,
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
            if self._field(parts[1], COHORT_FIELDS, "the cohort"):
                self.edit(self.cohort(), parts[1], change, COHORT_FIELDS)
            return
        node: _Node | None
        group: tuple[str, ...]
        if len(parts) == 2:
            if not self._field(parts[1], STAGE_FIELDS, "a stage"):
                return
            node, field, group = self.stage(head), parts[1], ()
        elif len(parts) == 3:
            if not self._field(parts[2], SERVICE_FIELDS, "a service"):
                return
            node, field, group = self.service(head, parts[1]), parts[2], ()
        elif len(parts) == 4 and parts[2] == "contacts":
            if not self._field(parts[3], CONTACT_FIELDS, "contacts"):
                return
            field = parts[3]
            group = FREQUENCIES if field in FREQUENCIES else ()
            node = self.contacts(head, parts[1])
        elif len(parts) == 5 and parts[2] in ("staff", "items"):
            kind = parts[2]
            allowed = STAFF_FIELDS if kind == "staff" else ITEM_FIELDS
            if not self._field(parts[4], allowed, "a staff line" if kind == "staff" else "an item"):
                return
            field = parts[4]
            group = ITEM_FIELDS if kind == "items" else ()
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
            self.fail(f"no tariff row {code!r}{hint}", change.target, code="no-tariff-row")
            return
        # adjustments go into documents: the scenario file by its name (issue 15)
        origin = f"scenario {self.scenario.id} ({source_name(self.file)}:{self.line})"
        if change.verb == "set":
            if isinstance(change.to, Distribution):
                self.fail(
                    "a tariff cost is a number; give its uncertainty in a tariff-uncertainty "
                    f"file ({TARIFF_UNCERTAINTY_HINT}) instead",
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


def _kind(cls: type[SourcedModel]) -> str:
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
    baseline. The new pathway names the scenario and its changes
    (:func:`~careprofiles.costing.scenarios.scenario_of`, ``CostResult.scenario``), so
    every output of it says which scenario it is. Raises :class:`ScenarioError` listing
    every change that names nothing or whose result breaks the format, each with the
    scenario ``file:line``.
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
    if new_pathway is pathway:  # only the tariff changed: never mark the baseline itself
        new_pathway = pathway.model_copy()
    new_pathway._scenario = AppliedScenario.of(scenarios, scenario_id)
    return new_pathway, new_tariff


def addresses(pathway: Pathway, tariff: Tariff | None = None) -> list[str]:
    """Every address ``set`` can take for this pathway (and tariff), in pathway order:
    those of ``profiles.parameters``, then ``tariff/CODE`` for each code the pathway uses
    that the tariff prices."""
    out = [address for address, _, _ in parameters(pathway)]
    if tariff is not None:
        used = dict.fromkeys([*pathway.roles(), *pathway.item_codes()])
        out.extend(f"tariff/{c}" for c in used if c in tariff)
    return out
