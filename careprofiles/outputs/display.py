"""How result objects show themselves: ``summary()`` text, short reprs and notebook HTML.

:class:`~careprofiles.costing.result.CostResult`,
:class:`~careprofiles.activity.audit.AuditResult`,
:class:`~careprofiles.activity.audit.BenchmarkResult` and the other objects an analyst
meets (comparisons, Monte Carlo and sensitivity results, standards results, pathways and
tariffs) delegate their ``summary()``, ``__repr__`` and ``_repr_html_()`` methods here, by
an import inside the method (the one sanctioned call from a lower layer up to outputs),
so that all formatting stays in outputs. The reprs and HTML of all but the cost result
are in :mod:`careprofiles.outputs.reprs`, reached through this module
(``from careprofiles.outputs.display import reprs``), the one a lower layer may import.

Imports: outputs.text, outputs.names, outputs.audit (inside the audit and benchmark
summaries: it imports pandas), outputs.reprs, profiles.distributions,
costing.summary (the cost summary's rows) and, for types only, costing and activity.
"""

from __future__ import annotations

import html
import textwrap
from typing import TYPE_CHECKING

from careprofiles.costing.summary import funder_rows, role_rows, setting_rows, stage_rows
from careprofiles.outputs import reprs
from careprofiles.outputs.names import SEPARATOR, Names, names_for
from careprofiles.outputs.text import TABLE_WIDTH, format_money, text_table
from careprofiles.profiles.distributions import base_value

if TYPE_CHECKING:
    import pandas as pd

    from careprofiles.activity.audit import AuditResult
    from careprofiles.activity.benchmark import BenchmarkResult
    from careprofiles.costing.budget import ContractBudget
    from careprofiles.costing.result import CostResult
    from careprofiles.costing.scenarios import AppliedScenario

__all__ = [
    "audit_summary",
    "benchmark_summary",
    "budget_table",
    "cost_html",
    "cost_summary",
    "estimates_table",
    "reprs",
    "scenario_lines",
    "scenario_title",
]


def scenario_title(scenario: AppliedScenario | None) -> str:
    """``scenario quarterly-mdt (MDT review every three months ...)``, or ``""`` for a
    baseline: how a title names the scenario its figures are of."""
    return "" if scenario is None else f"scenario {scenario.id} ({scenario.name})"


def scenario_lines(
    scenario: AppliedScenario | None, width: int = TABLE_WIDTH, names: Names | None = None
) -> list[str]:
    """The lines that name a scenario and what it changed, under a report's title (none
    for a baseline): its id and name, file, bases, description and every change (its
    address named by ``names``, when given)."""
    if scenario is None:
        return []
    on = f"; applied after {', '.join(scenario.bases)}" if scenario.bases else ""
    wrap = textwrap.TextWrapper(width=width, subsequent_indent="    ", break_on_hyphens=False)
    lines = wrap.wrap(f"Scenario {scenario.id}: {scenario.name} (from {scenario.file}{on})")
    if scenario.description:
        lines.extend(
            textwrap.wrap(
                scenario.description,
                width,
                initial_indent="  ",
                subsequent_indent="  ",
                break_on_hyphens=False,
            )
        )
    lines.append(
        "Changes from the baseline, in order:"
        if scenario.changes
        else "Changes from the baseline: none (the baseline itself)"
    )
    item = textwrap.TextWrapper(
        width=width,
        initial_indent="  - ",
        subsequent_indent="    ",
        break_on_hyphens=False,
        break_long_words=False,
    )
    for change in scenario.changes:
        lines.extend(item.wrap(names.change(change) if names is not None else change))
    return lines


def cost_summary(result: CostResult) -> str:
    """The readable summary ``careprofiles cost`` prints (``CostResult.summary()``), from
    the rows of :mod:`careprofiles.costing.summary` (no pandas)."""
    p = result.pathway
    names = names_for(p, result.tariff)
    lines = [
        f"{p.name} ({p.id}), {result.price_year} prices",
        *scenario_lines(result.scenario, names=names),
        f"Cohort: {result.cohort:,.0f} patients a year"
        + (f" ({_cohort_text(result)})" if p.cohort.patients is None else ""),
        f"Tariffs: {', '.join(result.tariff.names)}",
        "",
        "Stages",
        text_table(
            [
                [
                    names.stage(str(r["stage"])),
                    f"{r['duration_weeks']:g}",
                    f"{r['reach']:.0%}",
                    f"{r['patients']:,.0f}",
                    format_money(r["per_patient_reached"]),
                    format_money(r["per_patient"]),
                    format_money(r["total"]),
                ]
                for r in stage_rows(result)
            ]
            + [
                [
                    "Total",
                    "",
                    "",
                    "",
                    "",
                    format_money(result.per_patient),
                    format_money(result.total),
                ]
            ],
            [
                "stage",
                "weeks",
                "reach",
                "patients",
                "per patient reached",
                "per cohort patient",
                "a year",
            ],
            width=TABLE_WIDTH,
            wrap=(0,),
        ),
        "",
        "Staff (hours a year and whole-time equivalents)",
        text_table(
            [
                [
                    names.role(str(r["role"])),
                    r["unit"],
                    f"{r['hours']:,.0f}",
                    f"{r['wte']:,.1f}",
                    format_money(r["cost"]),
                ]
                for r in role_rows(result)
            ],
            ["role", "priced per", "hours", "WTE", "cost a year"],
            width=TABLE_WIDTH,
            wrap=(0,),
        ),
        "",
        "Settings",
        text_table(
            [
                [
                    names.setting(str(r["setting"])),
                    format_money(r["per_patient"]),
                    format_money(r["total"]),
                    f"{r['share_of_total']:.1%}",
                ]
                for r in setting_rows(result)
            ],
            ["setting", "per cohort patient", "a year", "share"],
        ),
        "",
        "Who pays",
        text_table(
            [
                [
                    r["name"],
                    format_money(r["per_patient"]),
                    format_money(r["total"]),
                    f"{r['share_of_total']:.1%}",
                ]
                for r in funder_rows(result)
            ],
            ["funder", "per cohort patient", "a year", "share"],
        ),
        "",
        f"Cost per patient{_of(result)}: {format_money(result.per_patient, pence=True)}",
        f"Population cost a year{_of(result)}: {format_money(result.total, pence=True)}",
    ]
    return "\n".join(lines) + "\n"


def budget_table(budget: ContractBudget) -> str:
    """``cost --period``: the cost a year in each financial year of the contract period,
    at that year's prices, and the period's total."""
    body = [
        [
            str(r.year),
            f"{r.factor:.4f}",
            format_money(r.per_patient, pence=True),
            format_money(r.total),
            "index" if r.basis == "price index" else "projected",
        ]
        for r in budget.rows.itertuples()
    ]
    body.append(["Total", "", "", format_money(budget.total), ""])
    lines = [
        f"Budget over the contract period ({budget.period}), from {budget.price_year} prices",
        text_table(
            body,
            ["year", "price factor", "per patient", "a year", "prices"],
            align="lrrrl",
            width=TABLE_WIDTH,
        ),
    ]
    projected = [str(b) for b in budget.rows["basis"] if b != "price index"]
    if projected:
        lines += textwrap.wrap(
            f"{', '.join(budget.projected)}: past the price index, {projected[0]}. The same "
            "cohort and care every year.",
            TABLE_WIDTH,
        )
    else:
        lines.append("The same cohort and care every year; prices from the price index.")
    return "\n".join(lines) + "\n"


def _of(result: CostResult) -> str:
    """`` (scenario ID)`` after a headline figure of a scenario."""
    return "" if result.scenario is None else f" (scenario {result.scenario.id})"


def estimates_table(
    frame: pd.DataFrame, counts: pd.DataFrame, top: int = 20, names: Names | None = None
) -> str:
    """``cost --explain``: how many numbers and tariff rows carry each grade, then the
    cost lines resting on estimates, most costly first (``frame`` from
    :func:`careprofiles.costing.evidence.estimate_lines`), by name when ``names`` are
    given (the codes are in the workbook's estimates sheet)."""
    names = names or Names()
    lines = [
        "Evidence (numbers in the profiles and tariff rows, by grade)",
        text_table(
            [[r.grade, f"{r.numbers:,}", f"{r.tariff_rows:,}"] for r in counts.itertuples()],
            ["grade", "numbers", "tariff rows"],
        ),
        "",
        f"The estimates that carry most of the budget (the {min(top, len(frame))} most "
        "costly lines with an input graded estimate)",
        text_table(
            [
                [
                    SEPARATOR.join(
                        [
                            names.stage(str(r.stage)),
                            names.service(str(r.stage), str(r.service)),
                            names.code(str(r.code)),
                        ]
                    ),
                    format_money(r.per_patient),
                    f"{r.share_of_total:.1%}",
                    r.source,
                    "; ".join(
                        names.address(a, within=(str(r.stage), str(r.service), str(r.code)))
                        for a in str(r.estimated_inputs).split("; ")
                    ),
                ]
                for r in frame.head(top).itertuples()
            ],
            ["line", "per cohort patient", "share", "YAML", "estimated inputs"],
            width=TABLE_WIDTH,
            wrap=range(5),
        ),
        "",
        f"{len(frame):,} lines rest on estimates: "
        f"{format_money(float(frame['per_patient'].sum()))} a patient "
        f"({float(frame['share_of_total'].sum()):.1%} of the cost).",
        "Every line resting on an estimate: -o FILE.xlsx (the estimates sheet).",
    ]
    return "\n".join(lines) + "\n"


def _cohort_text(result: CostResult) -> str:
    c = result.pathway.cohort
    assert c.population is not None
    assert c.deaths_per_1000 is not None
    assert c.eligible_share is not None
    return (
        f"population {base_value(c.population):,.0f} x {base_value(c.deaths_per_1000):g} deaths "
        f"per 1,000 x {base_value(c.eligible_share):.0%} eligible"
    )


def _pounds(x: float) -> str:
    return format_money(x, pence=True)


def cost_html(result: CostResult) -> str:
    """The cost result as HTML for a notebook (``CostResult._repr_html_()``): the totals,
    then tables by stage, role and setting."""
    stages = result.by_stage()[["stage", "name", "patients", "per_patient", "total"]]
    roles = result.by_role()[["role", "hours", "wte", "cost"]]
    settings = result.by_setting()[["setting", "per_patient", "total", "share_of_total"]]
    named = scenario_title(result.scenario)
    changes = "".join(
        f"<li>{html.escape(c)}</li>" for c in (result.scenario.changes if result.scenario else ())
    )
    funders = result.by_funder()[["name", "per_patient", "total", "share_of_total"]]
    head = (
        f"<h4>{html.escape(result.pathway.name)}"
        + (f", {html.escape(named)}" if named else "")
        + f" ({html.escape(result.price_year)} prices)</h4>"
        + (f"<p>Changes from the baseline:</p><ul>{changes}</ul>" if changes else "")
        + f"<p>Cohort {result.cohort:,.0f} patients a year; "
        f"<b>{_pounds(result.per_patient)}</b> per patient; "
        f"<b>{_pounds(result.total)}</b> a year.</p>"
    )
    fmt = {
        "per_patient": _pounds,
        "total": _pounds,
        "cost": _pounds,
        "patients": "{:,.0f}".format,
        "hours": "{:,.0f}".format,
        "wte": "{:,.1f}".format,
        "share_of_total": "{:.1%}".format,
    }
    parts = [head]
    for title, frame in (
        ("By stage", stages),
        ("By role", roles),
        ("By setting", settings),
        ("By funder", funders),
    ):
        parts.append(f"<h5>{title}</h5>")
        parts.append(frame.to_html(index=False, formatters=fmt, escape=True))  # type: ignore[arg-type,unused-ignore]
    return "\n".join(parts)


def audit_summary(result: AuditResult) -> str:
    """The readable audit report ``careprofiles audit`` prints (``AuditResult.summary()``)."""
    from careprofiles.outputs.audit import audit_table  # pandas: not for the cost summary

    return audit_table(result)


def benchmark_summary(result: BenchmarkResult) -> str:
    """The readable benchmark ``careprofiles benchmark`` prints (``BenchmarkResult.summary()``)."""
    from careprofiles.outputs.audit import benchmark_table

    return benchmark_table(result)
