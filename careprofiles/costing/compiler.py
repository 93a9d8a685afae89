"""Compiling a pathway and a tariff into a :class:`~careprofiles.costing.model.CostModel`.

:func:`compile_model` walks the pathway's numbers once, in the order of
``careprofiles.profiles.parameters`` (the addresses scenarios use), prices every staff
line and item with its tariff row, and collects the model's parameters and, for every
line, the index of each parameter it multiplies, one list a column. Codes no tariff row
has, roles not priced per hour or contact and items priced per hour are all reported
together, each at the YAML ``file:line`` that uses the code.

Imports: errors, resources, profiles, tariffs, costing._parameters, costing.model;
nothing above costing.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from careprofiles.costing._parameters import ONE, ZERO, ParameterBuilder
from careprofiles.costing.model import CostModel
from careprofiles.errors import MissingCodeError, Problem, TariffError
from careprofiles.profiles.distributions import Uncertain
from careprofiles.profiles.evidence import UNASSIGNED
from careprofiles.profiles.models import (
    Cohort,
    Contacts,
    Item,
    Pathway,
    Service,
    StaffLine,
    Stage,
)
from careprofiles.profiles.parameters import walk
from careprofiles.profiles.sources import SourcedModel, source_of
from careprofiles.resources import source_locations, source_name
from careprofiles.tariffs.tables import STAFF_UNITS, PriceIndex, Tariff, TariffRow

__all__ = ["LAYERING_HINT", "compile_model"]

IndexArray = NDArray[np.intp]

LAYERING_HINT = 'load_tariff("bundled", FILE)'
"""How to layer a local tariff over the bundled one, in Python: the end of the hint a
missing code gets when the tariff is a local one alone (the command line adds its own
way before it)."""


def compile_model(
    pathway: Pathway, tariff: Tariff, *, index: PriceIndex | None = None
) -> CostModel:
    """Compile ``pathway`` and ``tariff`` into a :class:`~careprofiles.costing.model.CostModel`.

    Raises :class:`MissingCodeError` for a code no tariff row has, and
    :class:`TariffError` for a role not priced per hour or contact, an item priced per
    hour, or a row in another price year with no ``index`` to uplift it; every problem
    names the YAML ``file:line`` (or tariff row) and the code.
    """
    problems: list[Problem] = []
    missing = False
    try:
        # every row, used or not: a tariff in mixed price years is an error (the spec)
        tariff = tariff.in_price_year(pathway.price_year, index)
    except TariffError as exc:
        problems.extend(exc.problems)

    b = ParameterBuilder()
    add_param = b.add
    # each code is priced once: its parameter and row, or None when it cannot be used
    priced: dict[tuple[str, bool], tuple[int, int] | None] = {}
    distinct_rows: list[TariffRow] = []

    def price(code: str, staff: bool, location: str, where: str) -> tuple[int, int] | None:
        """Price a line's code the first time it is used, or report again why it cannot."""
        if not _usable(code, staff, location, where):
            priced[code, staff] = None
            return None
        row = tariff[code]
        value: Uncertain = row.cost
        factor = 1.0
        if (
            math.isfinite(row.original_cost)
            and row.original_cost != 0
            and row.cost != row.original_cost
        ):
            # keep the written cost as the parameter so that an uncertainty
            # distribution (stated in the written price year) is adjusted alike
            value, factor = row.original_cost, row.cost / row.original_cost
        found = priced[code, staff] = (
            add_param(f"tariff/{code}", value, None, row.location, factor),
            len(distinct_rows),
        )
        distinct_rows.append(row)
        return found

    def _usable(code: str, staff: bool, location: str, where: str) -> bool:
        """True if ``code`` can price the line; else report why not and give False."""
        nonlocal missing
        row = tariff.get(code)
        kind = ""
        if row is None:
            missing = True
            kind = "no-tariff-row"
            message = (
                f"no tariff row for {code!r}{tariff.suggest(code)}; add a row with code "
                f"{code!r} to a tariff file, or correct the code"
            )
        elif staff and row.unit not in STAFF_UNITS:
            message = (
                f"role {code!r} is priced per {row.unit} ({row.location}); a staff role "
                "must be priced per hour or per contact: fix the tariff row, or list "
                "the code under items"
            )
        elif not staff and row.unit == "hour":
            message = (
                f"item {code!r} is priced per hour ({row.location}); an item is priced "
                "per item, day, week or contact: fix the tariff row, or list the code "
                "under staff with contacts"
            )
        else:
            return True
        file, _, line = location.rpartition(":")
        problems.append(
            Problem(file or None, int(line) if line.isdigit() else None, where, message, kind)
        )
        return False

    # the lines, one list a column (faster than a record a line)
    freq: list[int] = []
    dur: list[int] = []
    mult: list[float] = []
    minutes: list[int] = []
    travel: list[int] = []
    count: list[int] = []
    share: list[int] = []
    unit_cost: list[int] = []
    row_of_line: list[int] = []
    kinds: list[str] = []
    codes: list[str] = []
    frequencies: list[str] = []
    addresses: list[str] = []
    sources: list[str] = []
    named: dict[str, str] = {}  # each YAML file as the lines name it (source_name)
    folder = pathway.folder

    def source(model: SourcedModel) -> str:
        """``file:line`` of ``model`` as outputs give it: relative to the pathway folder."""
        file, line = source_of(model)
        if file is None:
            return ""
        name = named.get(file)
        if name is None:
            name = named[file] = source_name(file, folder)
        return name if line is None else f"{name}:{line}"

    cohort_params: list[int] = []
    # each service: its first line, its stage, itself, and its uptake and reach parameters
    services: list[tuple[int, Stage, Service, int, int]] = []

    def numbers(address: str, model: SourcedModel, fields: tuple[str, ...]) -> list[int]:
        """Add the numbers ``model`` gives of ``fields``, in order; their indices."""
        given = model.__dict__
        return [
            add_param(f"{address}/{name}", given[name], model, name)
            for name in fields
            if given[name] is not None
        ]

    # the walk gives each stage, then each of its services, the service's contacts, its
    # staff lines and its items: a line's numbers are all known when the line is reached
    stage: Stage | None = None  # the stage and service being read
    service: Service | None = None
    stage_dur = stage_reach = ONE
    c_freq = c_minutes = c_travel = line_dur = ONE
    line_mult, kind = 1.0, ""
    for address, model, fields in walk(pathway):
        if isinstance(model, StaffLine):
            role = model.role
            found = priced.get((role, True))
            if found is None:  # not priced yet, or reported already: report again
                assert stage is not None
                assert service is not None
                where = f"{_where(stage, service, model, 'staff')}.role"
                found = price(role, True, model.location or service.location, where)
            if found is None:
                continue
            line_count, line_share = numbers(address, model, fields)
            freq.append(c_freq)
            dur.append(line_dur)
            mult.append(line_mult)
            minutes.append(c_minutes)
            travel.append(c_travel)
            count.append(line_count)
            share.append(line_share)
            unit_cost.append(found[0])
            row_of_line.append(found[1])
            kinds.append("staff")
            codes.append(role)
            frequencies.append(kind)
            addresses.append(address)
            sources.append(source(model))
        elif isinstance(model, Contacts):
            c_freq, c_minutes, c_travel = numbers(address, model, fields)
            kind = model.frequency[0]
            line_dur = ONE if kind == "per_stage" else stage_dur
            line_mult = 7.0 if kind == "per_day" else 1.0
        elif isinstance(model, Item):
            code = model.code
            found = priced.get((code, False))
            if found is None:
                assert stage is not None
                assert service is not None
                where = f"{_where(stage, service, model, 'items')}.code"
                found = price(code, False, model.location or service.location, where)
            if found is None:
                continue
            (units,) = numbers(address, model, fields)
            freq.append(units)
            if model.quantity is not None:
                dur.append(ONE)
                frequencies.append("quantity")
            else:
                dur.append(stage_dur)
                frequencies.append("per_week")
            mult.append(1.0)
            minutes.append(ZERO)
            travel.append(ZERO)
            count.append(ONE)
            share.append(ONE)
            unit_cost.append(found[0])
            row_of_line.append(found[1])
            kinds.append("item")
            codes.append(code)
            addresses.append(address)
            sources.append(source(model))
        elif isinstance(model, Service):
            assert stage is not None
            service = model
            (service_uptake,) = numbers(address, model, fields)
            services.append((len(row_of_line), stage, model, service_uptake, stage_reach))
        elif isinstance(model, Stage):
            stage = model
            stage_dur, stage_reach = numbers(address, model, fields)
        else:
            assert isinstance(model, Cohort)
            cohort_params = numbers(address, model, fields)
    if problems:
        if missing:
            problems = _with_layering_hint(problems, tariff)
        raise (MissingCodeError if missing else TariffError)(problems)

    def idx(column: list[int]) -> IndexArray:
        return np.asarray(column, dtype=np.intp)

    take = idx(row_of_line)  # each line's tariff row, in distinct_rows
    uptake: list[int] = []
    reach: list[int] = []
    service_columns: dict[str, list[Any]] = {name: [] for name in _SERVICE_COLUMNS}
    ends = [first for first, *_ in services[1:]] + [len(row_of_line)]
    for (first, of_stage, of_service, uptake_param, reach_param), end in zip(
        services, ends, strict=True
    ):
        if end > first:  # the service's lines: each has its uptake, reach and names
            n = end - first
            uptake.extend([uptake_param] * n)
            reach.extend([reach_param] * n)
            described = (
                of_stage.id,
                of_stage.label,
                of_service.id,
                of_service.label,
                of_service.setting,
                of_service.funder or "",
            )
            for name, value in zip(_SERVICE_COLUMNS, described, strict=True):
                service_columns[name].extend([value] * n)
    compiled = CostModel(
        pathway=pathway,
        tariff=tariff,
        parameters=b.parameters(),
        columns=_describe(
            service_columns,
            kinds,
            codes,
            frequencies,
            addresses,
            sources,
            distinct_rows,
            take,
            source_locations([r.location for r in distinct_rows]),
        ),
        freq=idx(freq),
        dur=idx(dur),
        mult=np.asarray(mult, dtype=np.float64),
        minutes=idx(minutes),
        travel=idx(travel),
        count=idx(count),
        share=idx(share),
        uptake=idx(uptake),
        reach=idx(reach),
        unit_cost=idx(unit_cost),
        per_hour=np.asarray([r.unit == "hour" for r in distinct_rows], dtype=np.bool_)[take],
        cohort_params=tuple(cohort_params),
    )
    compiled.__dict__["_base"] = b.bases()
    return compiled


def _where(stage: Stage, service: Service, line: SourcedModel, kind: str) -> str:
    """Where a staff line or item is, as validation messages say it:
    ``STAGE: services[i].staff[j]`` (or ``.items[j]``)."""
    vi = next(i for i, s in enumerate(stage.services) if s is service)
    entries = service.staff if kind == "staff" else service.items
    li = next(i for i, x in enumerate(entries) if x is line)
    return f"{stage.id}: services[{vi}].{kind}[{li}]"


def _with_layering_hint(problems: list[Problem], tariff: Tariff) -> list[Problem]:
    """``problems`` with a hint on the first missing code when the tariff does not
    include the bundled one: a local tariff given alone replaces it."""
    from careprofiles.errors import display_path
    from careprofiles.resources import bundled_tariff

    if tariff.layers:
        bundled = any(layer.bundled for layer in tariff.layers)
    else:  # a tariff built in memory
        bundled = display_path(bundled_tariff()) in tariff.files
    if bundled or not tariff.files:
        return problems
    for i, problem in enumerate(problems):
        if problem.code == "no-tariff-row":
            hint = (
                f" (the tariff is {', '.join(tariff.files)} alone: to add rows to the bundled "
                f"tariff, give it first: {LAYERING_HINT})"
            )
            first = replace(problem, message=problem.message + hint)
            return [*problems[:i], first, *problems[i + 1 :]]
    return problems


_SERVICE_COLUMNS = ("stage", "stage_name", "service", "service_name", "setting", "funder")


def _describe(
    service_columns: dict[str, Any],
    kinds: list[str],
    codes: list[str],
    frequencies: list[str],
    addresses: list[str],
    sources: list[str],
    rows: list[TariffRow],
    take: IndexArray,
    row_sources: list[str],
) -> dict[str, NDArray[Any]]:
    """The lines' descriptive columns (:data:`_DESCRIPTIVE`), one numpy array each: the
    services', the lines' own, and those of their tariff rows (``rows[take[i]]`` is line
    i's). ``sources`` and ``row_sources`` (each tariff row's) are ``file:line`` as outputs
    give them (:func:`~careprofiles.resources.source_name`: a YAML file relative to the
    pathway folder, a tariff by its file name; never a machine path)."""

    def tariff_column(values: list[Any], dtype: Any = object) -> Any:
        return np.asarray(values, dtype=dtype).reshape(-1)[take]

    is_staff = np.asarray(kinds, dtype=object) == "staff"
    # a line's funder: its service's, else its tariff row's, else unassigned
    override = np.asarray(service_columns["funder"], dtype=object).reshape(-1)
    row_funder = tariff_column([r.funder or UNASSIGNED for r in rows])
    funder = np.where(override != "", override, row_funder) if len(override) else override
    hours_per_wte = tariff_column([r.hours_per_wte for r in rows], np.float64)
    columns: dict[str, Any] = {
        **service_columns,
        "funder": funder,
        "kind": kinds,
        "code": codes,
        "description": tariff_column([r.description for r in rows]),
        "unit": tariff_column([r.unit for r in rows]),
        "frequency": frequencies,
        "address": addresses,
        "source": sources,
        "tariff_source": tariff_column(row_sources),
        "tariff_reference": tariff_column([r.source for r in rows]),
        "price_year": tariff_column([r.price_year for r in rows]),
        "adjustments": tariff_column(["; ".join(r.adjustments) for r in rows]),
        "hours_per_wte": np.where(is_staff, hours_per_wte, math.nan),
    }
    described: dict[str, NDArray[Any]] = {}
    for name in _DESCRIPTIVE:
        values = np.asarray(columns[name], dtype=np.float64 if name == "hours_per_wte" else object)
        values = values.reshape(-1)
        values.flags.writeable = False  # a frozen model's columns
        described[name] = values
    return described


_DESCRIPTIVE = [
    "stage",
    "stage_name",
    "service",
    "service_name",
    "setting",
    "funder",
    "kind",
    "code",
    "description",
    "unit",
    "frequency",
    "address",
    "source",
    "tariff_source",
    "tariff_reference",
    "price_year",
    "adjustments",
    "hours_per_wte",
]
