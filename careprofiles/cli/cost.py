"""``careprofiles cost``: cost a pathway with tariffs, as a table, CSV, JSON or workbook."""

from __future__ import annotations

import argparse
import importlib.util

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
    if importlib.util.find_spec("careprofiles.scenarios") is not None:
        p.add_argument("--scenarios", metavar="FILE", help="a scenario file")
        p.add_argument("--scenario", metavar="ID", help="cost this scenario of --scenarios")
    add_output(p, FORMATS)
    p.add_argument(
        "--plot",
        metavar="FILE.png",
        help="also draw cost by stage and by role as a PNG chart (needs the 'plot' extra)",
    )
    p.set_defaults(run=run)


def cost_from_args(args: argparse.Namespace) -> CostResult:
    """Load the pathway and tariffs the options name and cost them."""
    pathway = load_pathway(args.pathway)
    tariff = load_tariff(*(args.tariff or []))
    if args.market_forces is not None:
        tariff = tariff.with_market_forces(args.market_forces)
    index = load_price_index(args.index) if args.index else None
    if getattr(args, "scenarios", None) or getattr(args, "scenario", None):
        from careprofiles.scenarios import apply_scenario_args  # type: ignore[import-not-found,unused-ignore]

        pathway, tariff = apply_scenario_args(pathway, tariff, args)
    return cost(pathway, tariff, index=index)


def run(args: argparse.Namespace) -> int:
    fmt = output_format(args)
    if args.plot:
        from careprofiles.cli._analysis import check_plot

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
