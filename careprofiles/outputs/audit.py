"""Audit and benchmark results as text tables, Markdown, HTML, CSV, JSON and workbooks.

:func:`render_audit` and :func:`render_benchmark` give the reports ``careprofiles audit``
and ``careprofiles benchmark`` write; :func:`audit_table` and :func:`benchmark_table` are
the plain-text ones the results' ``summary()`` shows (through
:mod:`careprofiles.outputs.display`).

Imports: outputs.text, outputs.names, outputs.tables, outputs.sheets, outputs.workbook_layout,
outputs.documents (for HTML, when used), and activity for types only.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from careprofiles.outputs.names import names_for
from careprofiles.outputs.sheets import csv_text
from careprofiles.outputs.tables import to_json, write_xlsx
from careprofiles.outputs.text import (
    MISSING,
    TABLE_WIDTH,
    format_money,
    format_number,
    format_percent,
    is_missing,
    markdown_escape,
    markdown_table,
    text_table,
)
from careprofiles.outputs.workbook_layout import SheetLayout

if TYPE_CHECKING:  # pragma: no cover
    from careprofiles.activity.audit import AuditResult
    from careprofiles.activity.benchmark import BenchmarkResult

__all__ = [
    "AUDIT_FORMATS",
    "BENCHMARK_FORMATS",
    "audit_markdown",
    "audit_table",
    "audit_workbook",
    "benchmark_csv",
    "benchmark_markdown",
    "benchmark_table",
    "benchmark_workbook",
    "render_audit",
    "render_benchmark",
]

AUDIT_FORMATS = ("table", "json", "csv", "xlsx", "md", "html")
BENCHMARK_FORMATS = ("table", "json", "csv", "xlsx", "md", "html")


def _signed(x: Any) -> str:
    """A difference in pounds and pence: ``+£12.50``, ``-£3.00``."""
    return format_money(x, pence=True, plus=True)


def _value(x: Any, binary: Any = True) -> str:
    """An outcome level: a percentage for a yes/no outcome, else a number."""
    if is_missing(x):
        return MISSING
    x = float(x)
    return format_percent(x, 1) if binary is True else f"{x:,.4g}"


def _flag(x: Any, yes: str = "yes", no: str = "no") -> str:
    if is_missing(x):
        return MISSING
    return yes if bool(x) else no


# --------------------------------------------------------------------------- audit


def _audit_rows(result: AuditResult) -> dict[str, tuple[list[str], list[list[Any]]]]:
    names = names_for(result.pathway)
    stages = (
        [
            "stage",
            "patients",
            "expected per patient",
            "actual per patient",
            "difference",
            "not tied to a service",
            "hours expected",
            "hours actual",
        ],
        [
            [
                names.stage(str(r.id)),
                f"{r.patients:,}",
                format_money(r.expected_cost_per_patient, pence=True),
                format_money(r.actual_cost_per_patient, pence=True),
                _signed(r.cost_difference_per_patient),
                format_money(r.unassigned_cost_per_patient, pence=True),
                format_number(r.expected_hours_per_patient, 1),
                format_number(r.actual_hours_per_patient, 1),
            ]
            for r in result.stages.itertuples()
        ],
    )
    services = (
        [
            "stage",
            "service",
            "uptake expected",
            "uptake actual",
            "contacts expected",
            "contacts actual",
            "hours expected",
            "hours actual",
            "cost expected",
            "cost actual",
            "difference",
        ],
        [
            [
                names.stage(str(r.stage)),
                names.service(str(r.stage), str(r.service)),
                format_percent(r.expected_uptake),
                format_percent(r.actual_uptake),
                format_number(r.expected_contacts_per_patient, 2),
                format_number(r.actual_contacts_per_patient, 2),
                format_number(r.expected_hours_per_patient, 2),
                format_number(r.actual_hours_per_patient, 2),
                format_money(r.expected_cost_per_patient, pence=True),
                format_money(r.actual_cost_per_patient, pence=True),
                _signed(r.cost_difference_per_patient),
            ]
            for r in result.services.itertuples()
        ],
    )
    outcomes = (
        ["outcome", "stage", "target", "achievement", "records", "completeness", "meets target"],
        [
            [
                names.outcome(str(r.id)),
                names.stage(str(r.stage)),
                _value(r.target),
                _value(r.achievement),
                f"{r.records:,}",
                format_percent(r.completeness),
                _flag(r.meets_target),
            ]
            for r in result.outcomes.itertuples()
        ],
    )
    return {"stages": stages, "services": services, "outcomes": outcomes}


def _audit_heading(result: AuditResult) -> list[str]:
    p = result.pathway
    lines = [
        f"Audit of {p.name} ({p.id}), {result.price_year} prices",
        f"Activity: {result.activity or 'in-memory records'} ({result.rows:,} rows, "
        f"{result.patients:,} patients)",
    ]
    if result.outcome_records:
        lines.append(f"Outcomes: {result.outcome_records}")
    return lines


_AUDIT_NOTES = (
    "Per patient means per patient in the stage (a patient is in a stage when any activity "
    "row names it). Expected figures are the profile's: uptake x contacts, hours and cost "
    "per patient reaching the stage. Services are listed by how far their actual cost per "
    "patient departs from the profile, largest first."
)


def audit_table(result: AuditResult) -> str:
    """The readable report ``careprofiles audit`` prints."""
    rows = _audit_rows(result)
    out = [*_audit_heading(result), ""]
    titles = {
        "stages": "Stages (cost and hours per patient in the stage)",
        "services": "Services, where delivery departs most from the profile first",
        "outcomes": "Outcomes",
    }
    for key, title in titles.items():
        headers, body = rows[key]
        if not body:
            continue
        if key == "services":  # the key columns on screen; contacts and hours in csv, xlsx
            headers, body = _columns(headers, body, drop=_SCREEN_DROPS)
        out += [title, _screen_table(headers, body), ""]
    out += [*textwrap.wrap(_AUDIT_NOTES, TABLE_WIDTH), *_full_tables("audit", AUDIT_FORMATS)]
    return "\n".join(out) + "\n"


_SCREEN_DROPS = ("contacts expected", "contacts actual", "hours expected", "hours actual")
"""The services' columns the terminal leaves out (to fit 100 columns)."""


def _columns(
    headers: Sequence[str], body: Sequence[Sequence[Any]], drop: Sequence[str]
) -> tuple[list[str], list[list[Any]]]:
    """The table without the ``drop`` columns."""
    keep = [i for i, h in enumerate(headers) if h not in drop]
    return [headers[i] for i in keep], [[r[i] for i in keep] for r in body]


def _screen_table(headers: Sequence[str], body: Sequence[Sequence[Any]]) -> str:
    """A terminal table at most :data:`TABLE_WIDTH` wide: long headers and names wrap."""
    return text_table(body, headers, width=TABLE_WIDTH, wrap=range(len(headers)))


def _full_tables(command: str, formats: Sequence[str]) -> list[str]:
    """The line under a terminal report saying where every column is."""
    book = ", or -o FILE.xlsx" if "xlsx" in formats else " or --format json"
    return ["", f"Every column of every table: careprofiles {command} ... --format csv{book}."]


def _md_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], right_from: int) -> str:
    """A Markdown table whose columns from ``right_from`` on (the figures) align right."""
    return markdown_table(rows, headers, "l" * right_from + "r" * (len(headers) - right_from))


def audit_markdown(result: AuditResult) -> str:
    """The report as Markdown (tables with captions)."""
    p = result.pathway
    rows = _audit_rows(result)
    head = _audit_heading(result)
    out = [f"# Audit: {markdown_escape(p.name)}", ""]
    out += [markdown_escape(line) + "  " for line in head[1:]]
    out += ["", f"Costs at {markdown_escape(result.price_year)} prices.", ""]
    for key, title, right in (
        ("stages", "Stages: cost and hours per patient in the stage", 1),
        ("services", "Services, where delivery departs most from the profile first", 2),
        ("outcomes", "Outcomes", 2),
    ):
        headers, body = rows[key]
        if not body:
            continue
        out += [f"## {title}", "", f"Table: {title}", ""]
        out.append(_md_table(headers, body, right))
        out.append("")
    out += [markdown_escape(_AUDIT_NOTES), ""]
    return "\n".join(out)


def _html(markdown: str, title: str) -> str:
    from careprofiles.outputs.documents import markdown_to_html

    return markdown_to_html(markdown, title=title)


def audit_workbook(result: AuditResult) -> Callable[[Path], None]:
    """The ``--format xlsx`` workbook: stages, services, outcomes."""
    return write_xlsx(
        {"stages": result.stages, "services": result.services, "outcomes": result.outcomes},
        title=f"{result.pathway.name}: audit of activity, {result.price_year} prices",
    )


def render_audit(result: AuditResult, fmt: str) -> str | Callable[[Path], None]:
    """The audit in ``fmt``: table, json, csv (the services), xlsx (a writer), md or html."""
    if fmt == "table":
        return audit_table(result)
    if fmt == "json":
        return to_json(result.to_dict())
    if fmt == "csv":
        return csv_text(result.services)
    if fmt == "xlsx":
        return audit_workbook(result)
    if fmt == "md":
        return audit_markdown(result)
    if fmt == "html":
        return _html(audit_markdown(result), f"Audit: {result.pathway.name}")
    raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(AUDIT_FORMATS)}")


# --------------------------------------------------------------------------- benchmark


def _benchmark_rows(result: BenchmarkResult) -> dict[str, tuple[list[str], list[list[Any]]]]:
    areas = (
        [
            "area",
            "population",
            "patients",
            "cost",
            "cost per patient",
            "per 1,000 population",
            "outside 95%",
            "outside 99.8%",
        ],
        [
            [
                str(r.area),
                f"{r.population:,.0f}",
                f"{r.patients:,}",
                format_money(r.cost),
                format_money(r.cost_per_patient, pence=True),
                format_money(r.cost_per_1000),
                _flag(r.cost_outside_95),
                _flag(r.cost_outside_998),
            ]
            for r in result.areas.itertuples()
        ],
    )
    names = names_for(result.pathway)
    outcomes = (
        [
            "outcome",
            "area",
            "records",
            "achievement",
            "all areas",
            "95% limits",
            "99.8% limits",
            "position",
        ],
        [
            [
                names.outcome(str(r.outcome)),
                str(r.area),
                f"{r.records:,}",
                _value(r.achievement),
                _value(r.rate),
                f"{_value(r.lower_95)} to {_value(r.upper_95)}",
                f"{_value(r.lower_998)} to {_value(r.upper_998)}",
                "-"
                if is_missing(r.position)
                else (f"{r.position} (99.8%)" if r.outside_998 else str(r.position)),
            ]
            for r in result.outcomes.itertuples()
        ],
    )
    return {"areas": areas, "outcomes": outcomes}


def _benchmark_heading(result: BenchmarkResult) -> list[str]:
    o = result.overall
    lines = [
        f"Benchmark of areas, {result.pathway.name} ({result.pathway.id}), "
        f"{result.price_year} prices",
        f"Activity: {result.activity or 'in-memory records'}; populations: "
        f"{result.populations or 'given'}",
        f"All areas: {o['patients']:,.0f} patients, {format_money(o['cost'])}, "
        f"{format_money(o['cost_per_patient'], pence=True)} per patient, "
        f"{format_money(o['cost_per_1000'])} per 1,000 population",
    ]
    if result.outcome_records:
        lines.append(f"Outcomes: {result.outcome_records}")
    return lines


_BENCHMARK_NOTES = (
    "Funnel-plot limits: 95% (z 1.96) and 99.8% (z 3.09) around the all-area figure; for "
    "yes/no outcomes p +/- z sqrt(p(1-p)/n) clipped to 0..1, for other numbers (and cost "
    "per patient) mean +/- z sd/sqrt(n). An area outside the 99.8% limits differs by more "
    "than chance would explain."
)


def benchmark_table(result: BenchmarkResult) -> str:
    """The readable report ``careprofiles benchmark`` prints."""
    rows = _benchmark_rows(result)
    out = [*_benchmark_heading(result), ""]
    for key, title in (
        ("areas", "Areas (cost per patient against funnel limits)"),
        ("outcomes", "Outcomes by area"),
    ):
        headers, body = rows[key]
        if body:
            out += [title, _screen_table(headers, body), ""]
    out += [
        *textwrap.wrap(_BENCHMARK_NOTES, TABLE_WIDTH),
        *_full_tables("benchmark", BENCHMARK_FORMATS),
    ]
    return "\n".join(out) + "\n"


def benchmark_markdown(result: BenchmarkResult) -> str:
    """The benchmark as Markdown."""
    rows = _benchmark_rows(result)
    head = _benchmark_heading(result)
    out = [f"# Benchmark of areas: {markdown_escape(result.pathway.name)}", ""]
    out += [markdown_escape(line) + "  " for line in head[1:]]
    out.append("")
    for key, title, right in (("areas", "Areas", 1), ("outcomes", "Outcomes by area", 2)):
        headers, body = rows[key]
        if body:
            out += [f"## {title}", "", f"Table: {title}", ""]
            out.append(_md_table(headers, body, right))
            out.append("")
    out += [markdown_escape(_BENCHMARK_NOTES), ""]
    return "\n".join(out)


def benchmark_csv(result: BenchmarkResult) -> str:
    """The areas as CSV, each outcome's achievement and limits as more columns."""
    frame: pd.DataFrame = result.areas.copy()
    for outcome_id, part in result.outcomes.groupby("outcome", sort=False):
        cols = part.set_index("area")[
            [
                "records",
                "achievement",
                "lower_95",
                "upper_95",
                "lower_998",
                "upper_998",
                "outside_95",
                "outside_998",
            ]
        ]
        cols = cols.add_prefix(f"{outcome_id}:")
        frame = frame.join(cols, on="area")
    return csv_text(frame)


_BENCHMARK_MEASURES = {
    "patients": "patients",
    "population": "population",
    "cost": "cost a year",
    "cost_per_patient": "cost per patient",
    "cost_per_1000": "cost per 1,000 population",
    "cost_sd_per_patient": "standard deviation of the cost per patient",
}


def benchmark_workbook(result: BenchmarkResult) -> Callable[[Path], None]:
    """The ``--format xlsx`` workbook: summary (the all-area figures and the inputs),
    areas, outcomes."""
    rows: list[tuple[str, Any]] = [
        ("pathway", result.pathway.name),
        ("price year", result.price_year),
        ("activity", result.activity or ""),
        ("populations", result.populations or ""),
        ("outcomes", result.outcome_records or ""),
    ]
    rows += [
        (_BENCHMARK_MEASURES.get(k, k.replace("_", " ")), v) for k, v in result.overall.items()
    ]
    limits = frozenset(
        f"cost_{side}_{level}" for side in ("lower", "upper") for level in ("95", "998")
    )
    return write_xlsx(
        {
            "summary": pd.DataFrame(rows, columns=["measure", "value"]),
            "areas": result.areas,
            "outcomes": result.outcomes,
        },
        title=f"{result.pathway.name}: benchmark of areas, {result.price_year} prices",
        layouts={"areas": SheetLayout(pence=limits)},
    )


def render_benchmark(result: BenchmarkResult, fmt: str) -> str | Callable[[Path], None]:
    """The benchmark in ``fmt``: table, json, csv, xlsx (a writer), md or html."""
    if fmt == "table":
        return benchmark_table(result)
    if fmt == "json":
        return to_json(result.to_dict())
    if fmt == "csv":
        return benchmark_csv(result)
    if fmt == "xlsx":
        return benchmark_workbook(result)
    if fmt == "md":
        return benchmark_markdown(result)
    if fmt == "html":
        return _html(benchmark_markdown(result), f"Benchmark: {result.pathway.name}")
    raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(BENCHMARK_FORMATS)}")
