"""``careprofiles cost``: cost a pathway with tariffs, as a table, CSV, JSON or workbook."""

from __future__ import annotations

import argparse

from careprofiles.cli._analysis import (
    add_output_and_plot,
    analysis_command,
    check_plot,
    write_plot,
)
from careprofiles.cli._common import Subparsers, emit, inputs_from_args, output_format
from careprofiles.costing.evidence import estimate_lines, grade_counts
from careprofiles.costing.result import CostResult, cost
from careprofiles.outputs.display import cost_summary, estimates_table
from careprofiles.outputs.names import names_for
from careprofiles.outputs.sheets import csv_text
from careprofiles.outputs.tables import cost_json, cost_workbook, to_json

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
    p.set_defaults(run=run)


def cost_from_args(args: argparse.Namespace) -> CostResult:
    """Load the pathway and tariffs the options name (with any --scenario) and cost them."""
    pathway, tariff, index = inputs_from_args(args)
    return cost(pathway, tariff, index=index)


def run(args: argparse.Namespace) -> int:
    fmt = output_format(args)
    if args.plot:
        check_plot(args)  # before any work: a .png name, writable, matplotlib installed
    result = cost_from_args(args)
    explain = getattr(args, "explain", False)
    if fmt == "table":
        text = cost_summary(result)
        if explain:
            text += "\n" + estimates_table(
                estimate_lines(result),
                grade_counts(result.pathway, result.tariff),
                names=names_for(result.pathway, result.tariff),
            )
        emit(args, text)
    elif fmt == "json" and explain:
        data = result.to_dict()
        data["evidence"] = grade_counts(result.pathway, result.tariff).to_dict(orient="records")
        data["estimates"] = estimate_lines(result).to_dict(orient="records")
        emit(args, to_json(data))
    elif fmt == "json":
        emit(args, cost_json(result))
    elif fmt == "csv":
        emit(args, csv_text(result.lines))
    else:
        emit(args, cost_workbook(result))
    if args.plot:
        from careprofiles.outputs.charts import cost_plot

        write_plot(args, cost_plot(result))
    return 0
