"""Word options appraisals: ``compare -o FILE.docx`` and ``simulate -o FILE.docx``.

A board paper's appendix, in the specification's page and styles
(:func:`~careprofiles.outputs.documents.setup_document`: A4, 20 mm margins, Arial) with
its tables (:func:`~careprofiles.outputs.word_tables.add_word_table`: a caption, a
shaded header row repeated on each page, no header word broken):

- :func:`comparison_docx_writer`: the options side by side (a row each, the baseline
  first): what each changes, the cost per patient and a year and the change from the
  baseline, by funder and by stage, each option's 95% interval when Monte Carlo results
  are given, and the comparison chart when matplotlib is installed. When the options
  cost other cohorts, the change a year is like for like (the change per patient times
  the option's patients) and the document says so.
- :func:`simulation_docx_writer`: one option's cost with its uncertainty interval (the
  Monte Carlo's 2.5th to 97.5th percentile), by stage, the split by funder at base values,
  and the distribution chart.

Figures are formatted by :mod:`careprofiles.outputs.text`; names, not codes, by
:mod:`careprofiles.outputs.names`.

Imports: errors, resources, outputs.text, outputs.names, outputs.documents, outputs.word_tables,
outputs.charts (inside, when a chart is drawn), costing for types; python-docx (the
``docx`` extra) inside the writers.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from careprofiles.errors import MissingDependencyError
from careprofiles.outputs.documents import setup_document
from careprofiles.outputs.names import Names, names_for
from careprofiles.outputs.text import format_money, format_percent
from careprofiles.outputs.word_tables import add_word_table
from careprofiles.resources import document_name

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from careprofiles.costing.compare import Comparison
    from careprofiles.costing.result import CostResult
    from careprofiles.costing.simulate import SimulationResult

__all__ = ["comparison_docx_writer", "simulation_docx_writer"]

NO_CHART = "The chart needs matplotlib: pip install 'careprofiles[plot]'."
"""What a document says in place of a chart when matplotlib is not installed."""


def _docx() -> Any:
    try:
        import docx
    except ImportError:
        raise MissingDependencyError("python-docx", "docx", "Word (.docx) output") from None
    return docx


def _signed(x: float, pence: bool = False) -> str:
    return format_money(x, pence=pence, plus=True)


def _new_document(title: str) -> Any:
    doc = _docx().Document()
    setup_document(doc)
    doc.core_properties.title = title
    doc.core_properties.author = "careprofiles"
    doc.add_heading(title, level=0)
    return doc


def _table(doc: Any, caption: str, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    add_word_table(doc, caption, headers, rows)
    doc.add_paragraph()  # space after the table, as in the specification


def _chart(doc: Any, draw: Callable[[], Figure], caption: str) -> bool:
    """Add the figure ``draw`` makes, with ``caption`` under it; a note instead when
    matplotlib is missing. Whether the chart was added."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm

    try:
        figure = draw()
    except MissingDependencyError:
        doc.add_paragraph(NO_CHART)
        return False
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=150)
    import matplotlib.pyplot as plt

    plt.close(figure)
    doc.add_picture(io.BytesIO(buffer.getvalue()), width=Mm(170))
    doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
    doc.add_paragraph(caption, style="Caption")
    return True


# ---------------------------------------------------------------- compare


def _options(comparison: Comparison) -> list[tuple[str, str, CostResult]]:
    """(id, name, result) of the baseline and each scenario, in order."""
    return [
        ("baseline", "Baseline", comparison.baseline),
        *((s.id, s.name, r) for s, r in comparison.scenarios),
    ]


def _side_by_side(
    comparison: Comparison, frame: Any, key: str, label: Callable[[str], str], value: str
) -> tuple[list[str], list[list[str]]]:
    """Options as rows and ``key``'s values as columns: each cell ``value`` (per_patient or
    total) with the change from the baseline in brackets."""
    keys = list(dict.fromkeys(str(k) for k in frame[key]))
    delta = f"delta_{value}"
    cells = {(str(r["scenario"]), str(r[key])): r for r in frame.to_dict(orient="records")}
    pence = False
    rows = []
    for sid, name, _r in _options(comparison):
        row = [name]
        for k in keys:
            r = cells.get((sid, k))
            if r is None:
                row.append("-")
                continue
            text = format_money(float(r[value]), pence=pence)
            if sid != "baseline":
                text += f" ({_signed(float(r[delta]))})"
            row.append(text)
        rows.append(row)
    return ["Option", *(label(k) for k in keys)], rows


def comparison_docx_writer(
    comparison: Comparison,
    *,
    intervals: Mapping[str, SimulationResult] | None = None,
    chart: bool = True,
) -> Callable[[Path], None]:
    """A function writing the options appraisal of ``comparison`` as Word to the path it
    is given (python-docx is checked now). ``intervals``, a Monte Carlo result for each
    option (``baseline`` and the scenario ids), adds each option's 95% interval; ``chart``
    adds the comparison chart when matplotlib is installed."""
    _docx()

    def write(path: Path) -> None:
        _comparison_document(comparison, chart, intervals or {}).save(str(path))

    return write


def _interval_rows(
    comparison: Comparison, intervals: Mapping[str, SimulationResult], measure: str
) -> list[list[str]]:
    rows = []
    for sid, name, _r in _options(comparison):
        result = intervals.get(sid)
        if result is None:
            rows.append([name, "-", "-", "-", "-"])
            continue
        r = next(x for x in result.summary().to_dict(orient="records") if x["measure"] == measure)
        rows.append(
            [name, *(format_money(float(r[k])) for k in ("deterministic", "mean", "p2.5", "p97.5"))]
        )
    return rows


def _comparison_document(
    comparison: Comparison, chart: bool, intervals: Mapping[str, SimulationResult]
) -> Any:
    b = comparison.baseline
    names = names_for(b.pathway, b.tariff)
    doc = _new_document(f"Options appraisal: {b.pathway.name}")
    differ = comparison.cohorts_differ
    doc.add_paragraph(
        f"{len(comparison.scenarios)} options against the baseline, at {b.price_year} prices. "
        f"Scenario file: {comparison.file_name}; tariffs: {', '.join(b.tariff.names)}. "
        "Each option is the baseline with its changes applied; the figures are at base "
        "values (each uncertain number at its most likely value)."
    )

    doc.add_heading("The options", level=1)
    rows = [["Baseline", "the pathway as it is", ""]]
    for s, _r in comparison.scenarios:
        changes = "; ".join(names.change(c.describe()) for c in s.changes) or "none of its own"
        rows.append([s.name, changes, s.base or ""])
    _table(doc, "The options and what each changes", ["Option", "Changes", "Applied after"], rows)

    doc.add_heading("Cost per patient and a year", level=1)
    table = comparison.table()
    yearly = "delta_total_same_cohort" if differ else "delta_total"
    rows = []
    for r in table.to_dict(orient="records"):
        base = r["id"] == "baseline"
        rows.append(
            [
                str(r["name"]),
                f"{float(r['cohort']):,.0f}",
                format_money(float(r["per_patient"]), pence=True),
                "" if base else _signed(float(r["delta_per_patient"]), pence=True),
                "" if base else f"{float(r['change']):+.1%}",
                format_money(float(r["total"])),
                "" if base else _signed(float(r[yearly])),
            ]
        )
    _table(
        doc,
        "Cost per patient and a year, each option against the baseline",
        [
            "Option",
            "Patients a year",
            "Per patient",
            "Change per patient",
            "Change",
            "A year",
            "Change a year",
        ],
        rows,
    )
    if differ:
        doc.add_paragraph(
            "The options cost other cohorts than the baseline's, so compare the cost per "
            "patient. 'Change a year' is the change per patient times the option's own "
            "patients (the same patients with the baseline's care), not the difference of "
            "two totals at different cohorts, which is not a saving."
        )

    doc.add_heading("Who pays", level=1)
    funders = comparison.by_funder()
    headers, rows = _side_by_side(comparison, funders, "funder", Names.funder, "per_patient")
    _table(doc, "Cost per cohort patient by funder (change from the baseline)", headers, rows)
    if not differ:
        headers, rows = _side_by_side(comparison, funders, "funder", Names.funder, "total")
        _table(doc, "Cost a year by funder (change from the baseline)", headers, rows)

    doc.add_heading("By stage", level=1)
    headers, rows = _side_by_side(
        comparison, comparison.by_stage(), "stage", names.stage, "per_patient"
    )
    _table(doc, "Cost per cohort patient by stage (change from the baseline)", headers, rows)

    doc.add_heading("Uncertainty", level=1)
    if intervals:
        first = next(iter(intervals.values()))
        seed = "a generator" if first.seed is None else f"seed {first.seed}"
        doc.add_paragraph(
            f"Each option's uncertain numbers drawn {first.n:,} times ({seed}, the same for "
            "every option): the 95% interval is the range within which its cost falls in 95 "
            "of 100 draws (the 2.5th to the 97.5th percentile)."
        )
        headers = ["Option", "Base values", "Mean", "2.5%", "97.5%"]
        _table(
            doc,
            "Cost per patient with its 95% interval",
            headers,
            _interval_rows(comparison, intervals, "per_patient"),
        )
        _table(
            doc,
            "Cost a year with its 95% interval",
            headers,
            _interval_rows(comparison, intervals, "total"),
        )
    else:
        doc.add_paragraph(
            "These are base-value figures. Each option's uncertainty interval (the range "
            "within which its cost falls in 95 of 100 draws of the uncertain numbers): "
            "careprofiles compare ... --draws N --seed S -o FILE.docx."
        )
    if chart:
        from careprofiles.outputs.charts import compare_plot

        _chart(
            doc,
            lambda: compare_plot(comparison),
            "Cost per patient by stage and staff cost by role, the baseline and each option.",
        )
    return doc


# ---------------------------------------------------------------- simulate


def simulation_docx_writer(
    result: SimulationResult,
    *,
    at_base: CostResult | None = None,
    tariffs: str = "",
    chart: bool = True,
) -> Callable[[Path], None]:
    """A function writing the Monte Carlo appraisal of ``result`` as Word to the path it
    is given (python-docx is checked now): the cost per patient and a year with their
    uncertainty intervals, by stage; the split by funder of ``at_base`` (the cost at base
    values) when given; the distribution chart when ``chart`` and matplotlib allow."""
    _docx()

    def write(path: Path) -> None:
        _simulation_document(result, at_base, tariffs, chart).save(str(path))

    return write


def _simulation_document(
    result: SimulationResult, at_base: CostResult | None, tariffs: str, chart: bool
) -> Any:
    from careprofiles.costing.scenarios import scenario_of

    p = result.pathway
    names = names_for(p, at_base.tariff if at_base is not None else None)
    scenario = scenario_of(p)
    title = f"Cost and its uncertainty: {p.name}"
    if scenario is not None:
        title += f", {scenario.name}"
    doc = _new_document(title)
    summary = {str(r["measure"]): r for r in result.summary().to_dict(orient="records")}
    seed = "a generator" if result.seed is None else f"seed {result.seed}"
    intro = (
        f"{p.price_year} prices. {result.n:,} draws ({seed}) of the "
        f"{len(result.uncertain)} uncertain numbers of {result.parameters}"
        + (f"; tariffs: {tariffs}." if tariffs else ".")
    )
    if scenario is not None:
        changes = "; ".join(names.change(c) for c in scenario.changes) or "none"
        intro += f" Scenario {scenario.name} ({document_name(scenario.file)}): {changes}."
    doc.add_paragraph(intro)
    per = summary["per_patient"]
    total = summary["total"]
    doc.add_paragraph(
        f"Cost per patient {format_money(float(per['deterministic']), pence=True)} at base "
        f"values; 95% interval {format_money(float(per['p2.5']))} to "
        f"{format_money(float(per['p97.5']))} (mean {format_money(float(per['mean']))}). "
        f"A year: {format_money(float(total['deterministic']))}; 95% interval "
        f"{format_money(float(total['p2.5']))} to {format_money(float(total['p97.5']))}."
    )

    def row(label: str, measure: str, money: bool = True) -> list[str]:
        r = summary[measure]

        def fmt(x: Any) -> str:
            return format_money(float(x)) if money else f"{float(x):,.0f}"

        return [
            label,
            fmt(r["deterministic"]),
            fmt(r["mean"]),
            fmt(r["p2.5"]),
            fmt(r["p50"]),
            fmt(r["p97.5"]),
        ]

    headers = ["Measure", "Base values", "Mean", "2.5%", "Median", "97.5%"]
    doc.add_heading("The cost and its uncertainty interval", level=1)
    _table(
        doc,
        "Cost with its 95% interval (2.5th to 97.5th percentile of the draws)",
        headers,
        [
            row("Cost per patient", "per_patient"),
            row("Cost a year", "total"),
            row("Patients a year", "cohort", money=False),
        ],
    )
    doc.add_heading("By stage", level=1)
    _table(
        doc,
        "Cost per cohort patient by stage, with its 95% interval",
        headers,
        [row(names.stage(s), f"{s}/per_patient") for s in result.stages],
    )
    _table(
        doc,
        "Cost a year by stage, with its 95% interval",
        headers,
        [row(names.stage(s), f"{s}/total") for s in result.stages],
    )
    if at_base is not None:
        doc.add_heading("Who pays", level=1)
        _table(
            doc,
            "Cost by funder at base values",
            ["Funder", "Per cohort patient", "A year", "Share"],
            [
                [
                    str(r["name"]),
                    format_money(float(r["per_patient"]), pence=True),
                    format_money(float(r["total"])),
                    format_percent(float(r["share_of_total"]), 1),
                ]
                for r in at_base.by_funder().to_dict(orient="records")
            ],
        )
    if chart:
        from careprofiles.outputs.charts import distribution_plot

        _chart(
            doc,
            lambda: distribution_plot(result),
            "The cost per patient over the draws: its mean, 95% interval and base value.",
        )
    return doc
