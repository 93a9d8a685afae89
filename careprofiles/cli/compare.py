"""``careprofiles compare``: cost each scenario of a file against the baseline."""

from __future__ import annotations

import argparse
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from careprofiles.cli._analysis import (
    add_output_and_plot,
    analysis_command,
    check_plot,
    whole_number,
    write_plot,
)
from careprofiles.cli._common import Subparsers, emit, inputs_from_args, output_format
from careprofiles.costing.compare import Comparison, compare
from careprofiles.costing.scenarios import load_scenarios
from careprofiles.errors import CareProfilesError
from careprofiles.outputs.names import names_for
from careprofiles.outputs.sheets import csv_text
from careprofiles.outputs.tables import to_json, write_xlsx
from careprofiles.outputs.text import TABLE_WIDTH, format_money, paged_table, text_table

FORMATS = ("table", "csv", "json", "xlsx", "docx")


def register(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    p = analysis_command(
        sub,
        common,
        "compare",
        help="compare scenarios (service models, condition variants) with the baseline",
        description=(
            "Apply each scenario of --scenarios to the baseline pathway and tariff on its "
            "own (scenarios stack only through 'base:') and compare the costs."
        ),
        scenario=False,  # its own --scenarios (required) and --scenario (repeatable)
    )
    p.add_argument("--scenarios", metavar="FILE", required=True, help="a scenario file")
    p.add_argument(
        "--scenario",
        action="append",
        metavar="ID",
        help="compare only this scenario; repeat for several (default: all, in file order)",
    )
    p.add_argument(
        "--draws",
        type=whole_number(1, "--draws"),
        metavar="N",
        help="with -o FILE.docx: also draw each option's uncertain numbers N times for its "
        "95%% interval (with --seed)",
    )
    p.add_argument(
        "--seed",
        type=whole_number(0, "--seed"),
        metavar="S",
        help="with --draws: the random seed, the same for every option",
    )
    add_output_and_plot(p, FORMATS, "cost by stage and by role for each scenario")
    p.set_defaults(run=run)


def _signed(x: float, pence: bool = False) -> str:
    text = format_money(x, pence=pence)
    return text if x < 0 or text in ("£0", "£0.00") else f"+{text}"


def comparison_table(comparison: Comparison) -> str:
    """The readable comparison ``compare`` prints, at most 100 columns wide.

    The headline change is per patient. When the scenarios cost other cohorts than the
    baseline's (condition variants), the cohorts stand side by side, the change a year is
    the change per patient for the scenario's own patients (``delta_total_same_cohort``),
    and a note under the table says so; every column is in ``--format csv``."""
    b = comparison.baseline
    table = comparison.table()
    differ = comparison.cohorts_differ
    records: list[dict[str, Any]] = table.to_dict(orient="records")  # type: ignore[assignment]
    yearly = "delta_total_same_cohort" if differ else "delta_total"
    headers = ["scenario", "name", "cohort", "per patient", "change", "%", "a year", "change"]
    rows = []
    for r in records:
        base = r["id"] == "baseline"
        rows.append(
            [
                r["id"],
                r["name"],
                f"{r['cohort']:,.0f}",
                format_money(r["per_patient"]),
                "" if base else _signed(r["delta_per_patient"]),
                "" if base else f"{r['change']:+.1%}",
                format_money(r["total"]),
                "" if base else _signed(r[yearly]),
            ]
        )
    summary = text_table(
        rows,
        headers,
        align="ll" + "r" * (len(headers) - 2),
        width=TABLE_WIDTH,
        wrap=(0, 1),
    )
    stages = comparison.by_stage()
    names = names_for(b.pathway, b.tariff)
    ids = list(table["id"])
    wide = stages.pivot(index="stage", columns="scenario", values="per_patient")
    order = [s.id for s in b.pathway.stages]
    wide = wide.reindex(index=order, columns=ids)
    by_stage = text_table(
        [
            [names.stage(stage), *(format_money(float(v)) for v in wide.loc[stage].to_numpy())]
            for stage in order
        ],
        ["stage (per cohort patient)", *ids],
        align="l" + "r" * len(ids),
        width=TABLE_WIDTH,
        wrap=range(len(ids) + 1),
    )
    by_funder = _wide(comparison.by_funder(), "name", ids, "funder (per cohort patient)")
    by_setting = _wide(
        comparison.by_setting(), "setting", ids, "setting (per cohort patient)", names.setting
    )
    wrap = textwrap.TextWrapper(TABLE_WIDTH, break_on_hyphens=False)
    lines = [
        *wrap.wrap(
            f"Scenarios compared with the baseline: {b.pathway.name} ({b.pathway.id}), "
            f"{b.price_year} prices"
        ),
        *wrap.wrap(f"Scenario file: {comparison.file_name}; tariffs: {', '.join(b.tariff.names)}"),
        "",
        summary,
        *wrap.wrap(_cohort_note(comparison) if differ else ""),
        "",
        by_stage,
        "",
        by_funder,
        "",
        by_setting,
        "",
        "Changes (each scenario is applied to the baseline on its own; 'base' comes first)",
    ]
    item = textwrap.TextWrapper(
        TABLE_WIDTH, initial_indent="    - ", subsequent_indent="      ", break_on_hyphens=False
    )
    for s, _r in comparison.scenarios:
        head = f"  {s.id}" + (f" (on {s.base})" if s.base else "")
        lines.append(head + ":")
        for c in s.changes:
            lines.extend(item.wrap(names.change(c.describe())))
        if not s.changes:
            lines.append("    (no changes of its own)")
    lines += ["", "The full tables, every column: --format csv, or -o FILE.xlsx."]
    return "\n".join(lines) + "\n"


def _cohort_note(comparison: Comparison) -> str:
    """The line under the summary when the scenarios cost other cohorts."""
    b = comparison.baseline
    others = [f"{s.id} {r.cohort:,.0f}" for s, r in comparison.scenarios if r.cohort != b.cohort]
    return (
        f"Cohorts differ: {', '.join(others)} patients a year against the baseline's "
        f"{b.cohort:,.0f}, so compare the cost per patient. 'a year' is each at its own "
        "cohort; its 'change' is the change per patient times the scenario's cohort (the "
        "same patients with the baseline's care). The difference of the totals at two "
        "cohorts (delta_total) is not a saving; it is in --format csv and json."
    )


def _wide(
    frame: pd.DataFrame,
    key: str,
    ids: list[str],
    title: str,
    label: Callable[[str], str] = str,
) -> str:
    """Cost per cohort patient by ``key`` (rows, each named by ``label``) and scenario
    (columns), with each scenario's change from the baseline in brackets."""
    per = frame.pivot(index=key, columns="scenario", values="per_patient")
    delta = frame.pivot(index=key, columns="scenario", values="delta_per_patient")
    order = list(dict.fromkeys(frame[key]))
    per_values = per.reindex(index=order, columns=ids).to_numpy(dtype=float)
    delta_values = delta.reindex(index=order, columns=ids).to_numpy(dtype=float)
    rows = []
    for k, p_row, d_row in zip(order, per_values, delta_values, strict=True):
        cells = [format_money(float(p_row[0]))]
        cells.extend(
            f"{format_money(float(p))} ({_signed(float(d))})"
            for p, d in zip(p_row[1:], d_row[1:], strict=True)
        )
        rows.append([label(str(k)), *cells])
    return paged_table(rows, [title, *ids], align="l" + "r" * len(ids), width=TABLE_WIDTH)


def comparison_workbook(comparison: Comparison) -> Callable[[Path], None]:
    """The ``compare --format xlsx`` workbook: summary, stages, roles, funders,
    settings, changes."""
    changes = pd.DataFrame(
        [
            {
                "scenario": s.id,
                "base": s.base or "",
                "change": c.describe(),
                "source": (
                    f"{comparison.file_name}:{c._line}" if c._line else comparison.file_name
                ),
            }
            for s, _r in comparison.scenarios
            for c in s.changes
        ],
        columns=["scenario", "base", "change", "source"],
    )
    return write_xlsx(
        {
            "summary": comparison.table(),
            "stages": comparison.by_stage(),
            "roles": comparison.by_role(),
            "funders": comparison.by_funder(),
            "settings": comparison.by_setting(),
            "changes": changes,
        },
        title=(
            f"{comparison.baseline.pathway.name}: scenarios compared, "
            f"{comparison.baseline.price_year} prices"
        ),
    )


def run(args: argparse.Namespace) -> int:
    fmt = output_format(args)
    check_plot(args)
    draws, seed = getattr(args, "draws", None), getattr(args, "seed", None)
    if (draws is None) != (seed is None):
        raise CareProfilesError("--draws and --seed go together; give both, or neither")
    if draws is not None and fmt != "docx":
        raise CareProfilesError(
            f"--draws adds the options' intervals to -o FILE.docx, not to --format {fmt}; "
            "for draws as data: careprofiles simulate --scenarios FILE --scenario ID"
        )
    scenarios = load_scenarios(args.scenarios)
    pathway, tariff, index = inputs_from_args(
        argparse.Namespace(**{**vars(args), "scenarios": None, "scenario": None})
    )
    comparison = compare(pathway, tariff, scenarios, index=index, ids=args.scenario)
    if fmt == "json":
        emit(args, to_json(comparison.to_dict()))
    elif fmt == "csv":
        emit(args, csv_text(comparison.table()))
    elif fmt == "xlsx":
        emit(args, comparison_workbook(comparison))
    elif fmt == "docx":
        from careprofiles.outputs.appraisal import comparison_docx_writer

        intervals = {}
        if draws is not None and seed is not None:
            from careprofiles.costing.simulate import simulate

            intervals["baseline"] = simulate(pathway, tariff, draws, seed, index=index)
            for s, r in comparison.scenarios:
                intervals[s.id] = simulate(r.pathway, r.tariff, draws, seed, index=index)
        emit(args, comparison_docx_writer(comparison, intervals=intervals))
    else:
        emit(args, comparison_table(comparison))
    if args.plot:
        from careprofiles.outputs.charts import compare_plot

        write_plot(args, compare_plot(comparison))
    return 0
