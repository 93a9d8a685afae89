"""Short reprs and notebook HTML of the objects an analyst meets: a line or two naming
what the object is and its headline figure (``__repr__``), and the headline table
(``_repr_html_``), never a dump of every row.

The objects' methods call these through :mod:`careprofiles.outputs.display` (the one
module a lower layer may import, inside the method), so all formatting stays in outputs.

Imports: outputs.text, profiles.distributions, pandas (inside the two functions that
build a DataFrame, so that ``careprofiles cost`` imports none) and, for types only,
profiles, tariffs, costing, standards and activity.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from careprofiles.outputs.text import format_money
from careprofiles.profiles.distributions import base_value

if TYPE_CHECKING:
    import pandas as pd

    from careprofiles.activity.audit import AuditResult
    from careprofiles.activity.benchmark import BenchmarkResult
    from careprofiles.costing.compare import Comparison
    from careprofiles.costing.sensitivity import SensitivityResult
    from careprofiles.costing.simulate import SimulationResult
    from careprofiles.profiles.models import Pathway
    from careprofiles.standards.result import StandardsResult
    from careprofiles.tariffs.tables import Tariff

__all__ = [
    "HTML_ROWS",
    "audit_html",
    "audit_repr",
    "benchmark_html",
    "benchmark_repr",
    "comparison_html",
    "comparison_repr",
    "pathway_html",
    "sensitivity_html",
    "sensitivity_repr",
    "simulation_html",
    "simulation_repr",
    "standards_html",
    "standards_repr",
    "tariff_html",
    "tariff_repr",
]

HTML_ROWS = 12
"""Rows a long table shows in a notebook (the rest are counted under it)."""

Formatter = Callable[[Any], str]


def _pounds(x: Any) -> str:
    return "" if _missing(x) else format_money(float(x))


def _signed(x: Any) -> str:
    if _missing(x):
        return ""
    return ("+" if float(x) > 0 else "") + format_money(float(x))


def _share(x: Any) -> str:
    return "" if _missing(x) else f"{float(x):.1%}"


def _count(x: Any) -> str:
    return "" if _missing(x) else f"{float(x):,.0f}"


def _number(x: Any) -> str:
    return "" if _missing(x) else f"{float(x):,.3g}"


def _plural(n: int, what: str) -> str:
    return f"{n:,} {what}" + ("" if n == 1 else "s")


def _missing(x: Any) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def _table(
    frame: pd.DataFrame,
    columns: Mapping[str, str],
    formats: Mapping[str, Formatter] | None = None,
    rows: int = HTML_ROWS,
) -> str:
    """``frame``'s ``columns`` (name → heading) as an HTML table of at most ``rows``
    rows, every cell formatted and escaped, and a line saying how many rows are left."""
    formats = formats or {}
    shown = frame.head(rows)
    head = "".join(f"<th>{html.escape(h)}</th>" for h in columns.values())
    body = []
    for record in shown[list(columns)].itertuples(index=False):
        cells = []
        for name, value in zip(columns, record, strict=True):
            text = formats[name](value) if name in formats else ("" if _missing(value) else value)
            cells.append(f"<td>{html.escape(str(text))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    more = len(frame) - len(shown)
    tail = f"<p>... and {more:,} more rows.</p>" if more > 0 else ""
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{tail}"


def _title(text: str, line: str = "") -> str:
    return f"<h4>{html.escape(text)}</h4>" + (f"<p>{html.escape(line)}</p>" if line else "")


# ---------------------------------------------------------------- the format and tariffs


def pathway_html(pathway: Pathway) -> str:
    """A pathway: its cohort and price year, then one row a stage."""
    import pandas as pd

    frame = pd.DataFrame(
        [
            {
                "id": s.id,
                "name": s.name,
                "weeks": base_value(s.duration_weeks),
                "reach": base_value(s.reach),
                "services": len(s.services),
                "outcomes": len(s.outcomes),
            }
            for s in pathway.stages
        ]
    )
    return _title(
        f"{pathway.name} ({pathway.id})",
        f"{pathway.price_year} prices; cohort {pathway.cohort.size:,.0f} patients a year; "
        f"{len(pathway.stages)} stages",
    ) + _table(
        frame,
        {
            "id": "stage",
            "name": "name",
            "weeks": "weeks",
            "reach": "reach",
            "services": "services",
            "outcomes": "outcomes",
        },
        {"weeks": _number, "reach": lambda x: f"{float(x):.0%}"},
    )


def _years(tariff: Tariff) -> str:
    return ", ".join(sorted({r.price_year for r in tariff.values()}))


def tariff_repr(tariff: Tariff) -> str:
    """``<Tariff 26 rows (2024/25 prices) from national-2024-25.csv>``."""
    names = ", ".join(tariff.names) or "memory"
    return f"<Tariff {len(tariff):,} rows ({_years(tariff)} prices) from {names}>"


def tariff_html(tariff: Tariff) -> str:
    """A tariff: its files, then one row a code (the first :data:`HTML_ROWS`)."""
    import pandas as pd

    frame = pd.DataFrame(
        [
            {
                "code": r.code,
                "unit": r.unit,
                "cost": r.cost,
                "price_year": r.price_year,
                "grade": r.grade,
                "description": r.description,
            }
            for r in tariff.values()
        ],
        columns=["code", "unit", "cost", "price_year", "grade", "description"],
    )
    return _title(
        f"Tariff: {len(tariff):,} rows ({_years(tariff)} prices)",
        f"Layers: {', '.join(tariff.names) or 'none (built in memory)'}",
    ) + _table(
        frame,
        {
            "code": "code",
            "unit": "per",
            "cost": "cost",
            "price_year": "price year",
            "grade": "grade",
            "description": "description",
        },
        {"cost": lambda x: format_money(float(x), pence=True)},
    )


# ---------------------------------------------------------------- costing


def comparison_repr(c: Comparison) -> str:
    """The baseline's cost a patient and the range of the scenarios' changes."""
    b = c.baseline
    head = (
        f"<Comparison {b.pathway.id!r} ({b.price_year} prices): baseline "
        f"{format_money(b.per_patient)} a patient; {len(c.scenarios)} scenarios"
    )
    if not c.scenarios:
        return head + ">"
    deltas = [r.per_patient - b.per_patient for _, r in c.scenarios]
    return f"{head}, change {_signed(min(deltas))} to {_signed(max(deltas))} a patient>"


def comparison_html(c: Comparison) -> str:
    """One row for the baseline and one a scenario: cost a patient and a year, changes."""
    b = c.baseline
    notes = [f"Scenario file: {c.file_name}"] if c.file_name else []
    if c.cohorts_differ:
        notes.append("the scenarios cost other cohorts than the baseline's: compare per patient")
    line = "; ".join(notes)
    return _title(
        f"Scenarios compared with the baseline: {b.pathway.name} ({b.price_year} prices)", line
    ) + _table(
        c.table(),
        {
            "id": "scenario",
            "name": "name",
            "cohort": "cohort",
            "per_patient": "per patient",
            "delta_per_patient": "change",
            "change": "%",
            "total": "a year",
            "delta_total": "change a year",
        },
        {
            "cohort": _count,
            "per_patient": _pounds,
            "delta_per_patient": _signed,
            "change": _share,
            "total": _pounds,
            "delta_total": _signed,
        },
    )


def _interval(summary: pd.DataFrame, measure: str) -> tuple[float, float, float]:
    row = summary.loc[summary["measure"] == measure].iloc[0]
    return float(row["deterministic"]), float(row["p2.5"]), float(row["p97.5"])


def simulation_repr(s: SimulationResult) -> str:
    """Draws, seed and the 95% interval of the cost a patient."""
    base, low, high = _interval(s.summary(), "per_patient")
    return (
        f"<SimulationResult {s.pathway.id!r} ({s.pathway.price_year} prices): {s.n:,} draws, "
        f"seed {s.seed}, {len(s.uncertain):,} uncertain numbers; {format_money(base)} a "
        f"patient at base values, 95% of draws {format_money(low)} to {format_money(high)}>"
    )


def simulation_html(s: SimulationResult) -> str:
    """The summary of the pathway's measures: base value, mean and percentiles."""
    summary = s.summary()
    money = {c: _pounds for c in ("deterministic", "mean", "sd", "p2.5", "p50", "p97.5")}
    cohort = summary["measure"] == "cohort"
    rows = summary[~cohort]
    seed = "a Generator" if s.seed is None else f"seed {s.seed}"
    return _title(
        f"Monte Carlo: {s.pathway.name} ({s.pathway.price_year} prices)",
        f"{s.n:,} draws ({seed}) of {len(s.uncertain):,} uncertain numbers; cohort "
        f"{_count(summary.loc[cohort, 'mean'].iloc[0])} patients a year on average",
    ) + _table(
        rows,
        {
            "measure": "measure",
            "deterministic": "base",
            "mean": "mean",
            "sd": "sd",
            "p2.5": "2.5%",
            "p50": "median",
            "p97.5": "97.5%",
        },
        money,
        rows=len(rows),
    )


def _nth(q: float) -> str:
    """A quantile as a percentile: 0.025 is ``2.5th``, 0.5 ``50th``."""
    return f"{q * 100:g}th"


def sensitivity_repr(s: SensitivityResult) -> str:
    """How many numbers were moved, the base and the largest swing."""
    head = (
        f"<SensitivityResult {s.pathway.id!r} ({s.pathway.price_year} prices): "
        f"{len(s.rows):,} numbers moved to their {_nth(s.low_quantile)} and "
        f"{_nth(s.high_quantile)} percentiles; base {format_money(s.base)} a patient"
    )
    if s.rows.empty:
        return head + ">"
    top = s.rows.iloc[0]
    return f"{head}; largest swing {format_money(float(top['swing']))} ({top['parameter']})>"


def sensitivity_html(s: SensitivityResult) -> str:
    """The numbers that move the cost most (a tornado's rows), largest swing first."""
    return _title(
        f"One-way sensitivity: {s.pathway.name} ({s.pathway.price_year} prices)",
        f"Each uncertain number alone at its {_nth(s.low_quantile)} and "
        f"{_nth(s.high_quantile)} percentiles; base {format_money(s.base, pence=True)} a patient",
    ) + _table(
        s.rows,
        {
            "parameter": "number",
            "low_value": "low value",
            "high_value": "high value",
            "low": "cost a patient, low",
            "high": "high",
            "swing": "swing",
        },
        {
            "low_value": _number,
            "high_value": _number,
            "low": _pounds,
            "high": _pounds,
            "swing": _pounds,
        },
    )


# ---------------------------------------------------------------- standards, activity


def standards_repr(r: StandardsResult) -> str:
    """Practices, how many accredited, gaps and warnings."""
    return (
        f"<StandardsResult {r.framework.id!r}: {len(r.practices):,} practices, "
        f"{len(r.accredited):,} accredited; {len(r.gaps):,} gaps at the latest "
        f"assessments; {_plural(len(r.warnings), 'warning')}>"
    )


def standards_html(r: StandardsResult) -> str:
    """One row a practice: criteria met at baseline and latest, gained, gaps, accredited."""
    frame = r.practices.copy()
    frame["accredited"] = frame["accredited"].map({True: "yes", False: "no"})
    return _title(
        f"{r.framework.name}",
        f"{len(r.practices):,} practices; {len(r.accredited):,} accredited at their latest "
        "assessment",
    ) + _table(
        frame,
        {
            "practice": "practice",
            "name": "name",
            "assessments": "assessments",
            "baseline_met": "met at baseline",
            "latest_met": "met at latest",
            "of": "of",
            "gained": "gained",
            "gaps": "gaps",
            "accredited": "accredited",
        },
    )


def audit_repr(a: AuditResult) -> str:
    """Records read, patients, and the stages' expected against actual cost."""
    return (
        f"<AuditResult {a.pathway.id!r} ({a.price_year} prices): {a.rows:,} activity rows, "
        f"{a.patients:,} patients, {len(a.stages):,} stages, {len(a.services):,} services, "
        f"{len(a.outcomes):,} outcomes>"
    )


def audit_html(a: AuditResult) -> str:
    """By stage, expected against actual cost a patient; then the services departing most."""
    money = {
        "expected_cost_per_patient": _pounds,
        "actual_cost_per_patient": _pounds,
        "cost_difference_per_patient": _signed,
        "expected_uptake": _share,
        "actual_uptake": _share,
        "patients": _count,
    }
    source = f" from {a.activity}" if a.activity else ""
    return (
        _title(
            f"Audit: {a.pathway.name} ({a.price_year} prices)",
            f"{a.rows:,} activity rows{source}; {a.patients:,} patients",
        )
        + _table(
            a.stages,
            {
                "id": "stage",
                "patients": "patients",
                "expected_cost_per_patient": "expected a patient",
                "actual_cost_per_patient": "actual a patient",
                "cost_difference_per_patient": "difference",
            },
            money,
        )
        + "<h5>The services departing most from the profiles</h5>"
        + _table(
            a.departures(5),
            {
                "stage": "stage",
                "service": "service",
                "expected_uptake": "expected uptake",
                "actual_uptake": "actual uptake",
                "expected_cost_per_patient": "expected a patient",
                "actual_cost_per_patient": "actual a patient",
                "cost_difference_per_patient": "difference",
            },
            money,
        )
    )


def benchmark_repr(b: BenchmarkResult) -> str:
    """Areas, the cost a patient of all of them, and how many lie outside the limits."""
    outside = int(b.areas["cost_outside_95"].eq(True).sum())  # None: no limits (no patients)
    per_patient = b.overall.get("cost_per_patient", math.nan)
    return (
        f"<BenchmarkResult {b.pathway.id!r} ({b.price_year} prices): {len(b.areas):,} areas, "
        f"{_pounds(per_patient) or 'no cost'} a patient overall; {outside:,} areas outside "
        "the 95% limits on cost a patient>"
    )


def benchmark_html(b: BenchmarkResult) -> str:
    """One row an area: patients, cost a patient and per 1,000, and the funnel limits."""
    frame = b.areas.copy()
    for col in ("cost_outside_95", "cost_outside_998"):
        frame[col] = frame[col].map({True: "yes", False: "no"})
    overall = b.overall.get("cost_per_patient", math.nan)
    return _title(
        f"Benchmark: {b.pathway.name} ({b.price_year} prices)",
        f"{len(b.areas):,} areas; {_pounds(overall) or 'no cost'} a patient overall",
    ) + _table(
        frame,
        {
            "area": "area",
            "patients": "patients",
            "population": "population",
            "cost_per_patient": "cost a patient",
            "cost_per_1000": "per 1,000 population",
            "cost_lower_95": "95% limits, low",
            "cost_upper_95": "high",
            "cost_outside_95": "outside 95%",
            "cost_outside_998": "outside 99.8%",
        },
        {
            "patients": _count,
            "population": _count,
            "cost_per_patient": _pounds,
            "cost_per_1000": _pounds,
            "cost_lower_95": _pounds,
            "cost_upper_95": _pounds,
        },
    )
