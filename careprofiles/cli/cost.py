"""``careprofiles cost``: cost a pathway with tariffs, as a table, CSV, JSON or workbook."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from careprofiles.cli._analysis import (
    add_output_and_plot,
    analysis_command,
    check_plot,
    write_plot,
)
from careprofiles.cli._common import Subparsers, emit, inputs_from_args, output_format
from careprofiles.costing.result import CostResult, cost
from careprofiles.errors import CareProfilesError
from careprofiles.outputs.display import budget_table, cost_summary, estimates_table
from careprofiles.outputs.names import names_for

if TYPE_CHECKING:
    from careprofiles.costing.budget import ContractBudget

FORMATS = ("table", "csv", "json", "xlsx")


def register(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    p = analysis_command(
        sub,
        common,
        "cost",
        help="cost a pathway: per patient, per stage, population, workforce",
        description=(
            "Cost a pathway with tariffs. With no arguments: the bundled adult end-of-life "
            "pathway with the bundled 2024/25 tariff."
        ),
    )
    add_output_and_plot(p, FORMATS, "cost by stage and by role")
    p.add_argument(
        "--explain",
        action="store_true",
        help="also list how many numbers and tariff rows carry each evidence grade, and the "
        "lines resting on estimates, most costly first (table: after the costs; json: "
        "'evidence' and 'estimates')",
    )
    p.add_argument(
        "--period",
        metavar="TEXT",
        help="also give a budget for each financial year of a contract period, the price "
        "index applied (e.g. '1 April 2025 to 31 March 2028' or '2025/26 to 2027/28'; "
        "years past the index are projected at its last annual change)",
    )
    p.set_defaults(run=run)


def cost_workbook(
    result: CostResult, budget: ContractBudget | None = None
) -> Callable[[Path], None]:
    """The ``-o FILE.xlsx`` workbook's writer (:func:`careprofiles.outputs.tables.cost_workbook`),
    imported when asked for: it imports pandas, which the printed table does without."""
    from careprofiles.outputs.tables import cost_workbook as workbook

    return workbook(result, budget)


def cost_from_args(args: argparse.Namespace) -> CostResult:
    """Load the pathway and tariffs the options name (with any --scenario) and cost them."""
    pathway, tariff, index = inputs_from_args(args)
    return cost(pathway, tariff, index=index)


def run(args: argparse.Namespace) -> int:
    fmt = output_format(args)
    if args.plot:
        check_plot(args)  # before any work: a .png name, writable, matplotlib installed
    if args.period:  # before any work: a period that names its years
        from careprofiles.costing.budget import contract_budget, contract_years

        if fmt == "csv":
            raise CareProfilesError(
                "--period: the budget is in the table, json and xlsx formats, not in csv "
                "(the cost lines); use --format json, or -o FILE.xlsx"
            )

        try:
            years = contract_years(args.period)
        except ValueError as exc:
            raise CareProfilesError(f"--period {args.period}: {exc}") from None
        if not years:
            raise CareProfilesError(
                f"--period {args.period}: names no year; give it as "
                "'1 April 2025 to 31 March 2028' or '2025/26 to 2027/28'"
            )
    result = cost_from_args(args)
    budget = None
    if args.period:  # the --index given (the bundled index without one)
        from careprofiles.tariffs.tables import load_price_index

        index = load_price_index(args.index) if args.index else load_price_index()
        budget = contract_budget(result, args.period, index)
    explain = getattr(args, "explain", False)
    if explain:  # the evidence and estimates are DataFrames: pandas only when asked for
        from careprofiles.costing.evidence import estimate_lines, grade_counts
    if fmt == "json":
        from careprofiles.outputs.tables import cost_json, to_json
    if fmt == "table":  # the default: printed from plain rows, without pandas (issue 17)
        text = cost_summary(result)
        if explain:
            text += "\n" + estimates_table(
                estimate_lines(result),
                grade_counts(result.pathway, result.tariff),
                names=names_for(result.pathway, result.tariff),
            )
        if budget is not None:
            text += "\n" + budget_table(budget)
        emit(args, text)
    elif fmt == "json" and (explain or budget is not None):
        data = result.to_dict()
        if explain:
            data["evidence"] = grade_counts(result.pathway, result.tariff).to_dict(orient="records")
            data["estimates"] = estimate_lines(result).to_dict(orient="records")
        if budget is not None:
            data["budget"] = budget.to_dict()
        emit(args, to_json(data))
    elif fmt == "json":
        emit(args, cost_json(result))
    elif fmt == "csv":
        from careprofiles.outputs.sheets import csv_text

        emit(args, csv_text(result.lines))
    else:
        emit(args, cost_workbook(result) if budget is None else cost_workbook(result, budget))
    if args.plot:
        from careprofiles.outputs.charts import cost_plot

        write_plot(args, cost_plot(result))
    return 0
