"""``careprofiles cost``: cost a pathway with tariffs, as a table, CSV, JSON or workbook."""

from __future__ import annotations

import argparse

from careprofiles.cli._analysis import add_plot, add_scenario, check_plot
from careprofiles.cli._common import (
    Subparsers,
    add_output,
    add_pathway,
    add_tariff,
    emit,
    output_format,
)
from careprofiles.costing import CostResult, cost
from careprofiles.load import load_pathway
from careprofiles.report import cost_json, cost_table, cost_workbook
from careprofiles.tariff import load_price_index, load_tariff

FORMATS = ("table", "csv", "json", "xlsx")


def register(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "cost",
        parents=[common],
        help="cost a pathway: per patient, per stage, population, workforce",
        description=(
            "Cost a pathway with tariffs. With no arguments: the bundled adult end-of-life "
            "pathway with the bundled 2024/25 tariff."
        ),
    )
    add_pathway(p)
    add_tariff(p)
    add_scenario(p)
    add_output(p, FORMATS)
    add_plot(p, "cost by stage and by role")
    p.set_defaults(run=run)


def cost_from_args(args: argparse.Namespace) -> CostResult:
    """Load the pathway and tariffs the options name and cost them."""
    pathway = load_pathway(args.pathway)
    tariff = load_tariff(*(args.tariff or []))
    if args.market_forces is not None:
        tariff = tariff.with_market_forces(args.market_forces)
    index = load_price_index(args.index) if args.index else None
    if args.scenarios or args.scenario:
        from careprofiles.scenarios import apply_scenario_args

        pathway, tariff = apply_scenario_args(pathway, tariff, args)
    return cost(pathway, tariff, index=index)


def run(args: argparse.Namespace) -> int:
    fmt = output_format(args)
    if args.plot:
        check_plot(args)  # before any work: a .png name, writable, matplotlib installed
    result = cost_from_args(args)
    if fmt == "table":
        emit(args, cost_table(result))
    elif fmt == "json":
        emit(args, cost_json(result))
    elif fmt == "csv":
        emit(args, result.lines.to_csv(index=False))
    else:
        emit(args, cost_workbook(result))
    if args.plot:
        from careprofiles.cli._analysis import write_plot
        from careprofiles.plots import cost_plot

        write_plot(args, cost_plot(result))
    return 0
