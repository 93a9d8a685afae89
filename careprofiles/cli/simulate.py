"""``careprofiles simulate``: Monte Carlo draws of a pathway's costs."""

from __future__ import annotations

import argparse
import textwrap
from typing import Any

from careprofiles.cli._analysis import (
    add_output_and_plot,
    analysis_command,
    check_plot,
    uncertainty_from_args,
    whole_number,
    write_plot,
)
from careprofiles.cli._common import Subparsers, emit, inputs_from_args, output_format
from careprofiles.costing.scenarios import scenario_of
from careprofiles.costing.simulate import TOO_MANY_DRAWS, SimulationResult, simulate
from careprofiles.errors import CareProfilesError, ValidationError
from careprofiles.outputs.display import scenario_lines
from careprofiles.outputs.names import names_for
from careprofiles.outputs.sheets import csv_text, csv_writer
from careprofiles.outputs.tables import to_json
from careprofiles.outputs.text import TABLE_WIDTH, format_money, text_table

FORMATS = ("table", "json", "csv", "docx")


def register(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    p = analysis_command(
        sub,
        common,
        "simulate",
        help="Monte Carlo: how sure is the cost? (draws of every uncertain number)",
        description=(
            "Draw every uncertain number of the pathway (and, with --uncertainty, of the "
            "tariff) --draws times and summarise the cost per patient, the population "
            "cost and each stage: mean, sd, median and 95% interval. The same --seed "
            "gives the same figures to the last digit. --format csv writes the draws."
        ),
        uncertainty=True,
    )
    p.add_argument(
        "--draws",
        type=whole_number(1, "--draws"),
        required=True,
        metavar="N",
        help="number of draws",
    )
    p.add_argument(
        "--seed",
        type=whole_number(0, "--seed"),
        required=True,
        metavar="S",
        help="random seed (a whole number); the same seed gives the same draws",
    )
    p.add_argument(
        "--chunk-size",
        type=whole_number(1, "--chunk-size"),
        metavar="N",
        help="draws made at once (default: up to 4,096, fewer if over about 256 MB)",
    )
    p.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show a progress bar (default: for long runs on a terminal; needs tqdm)",
    )
    add_output_and_plot(p, FORMATS, "the distribution of the cost per patient")
    p.set_defaults(run=run)


def simulation_table(result: SimulationResult, tariffs: str = "") -> str:
    """The readable summary ``simulate`` prints."""
    p = result.pathway
    records: list[dict[str, Any]] = result.summary().to_dict(orient="records")  # type: ignore[assignment]
    summary = {r["measure"]: r for r in records}

    def row(label: str, measure: str, money: bool = True) -> list[str]:
        r = summary[measure]

        def fmt(x: float) -> str:
            return format_money(x) if money else f"{x:,.0f}"

        return [
            label,
            fmt(float(r["deterministic"])),
            fmt(float(r["mean"])),
            fmt(float(r["sd"])),
            fmt(float(r["p2.5"])),
            fmt(float(r["p50"])),
            fmt(float(r["p97.5"])),
        ]

    rows = [
        row("Cost per patient", "per_patient"),
        row("Population cost a year", "total"),
        row("Cohort (patients a year)", "cohort", money=False),
    ]
    names = names_for(p)
    rows.extend(
        row(f"{names.stage(s)}, per cohort patient", f"{s}/per_patient") for s in result.stages
    )
    rows.extend(row(f"{names.stage(s)}, a year", f"{s}/total") for s in result.stages)
    seed = "a generator" if result.seed is None else f"seed {result.seed}"
    lines = [
        f"Monte Carlo: {p.name} ({p.id}), {p.price_year} prices",
        *scenario_lines(scenario_of(p), names=names),
        *textwrap.wrap(
            f"{result.n:,} draws, {seed}; {len(result.uncertain)} of {result.parameters} "
            "numbers uncertain" + (f"; tariffs: {tariffs}" if tariffs else ""),
            TABLE_WIDTH,
            break_on_hyphens=False,
        ),
        "",
        text_table(
            rows,
            ["measure", "base values", "mean", "sd", "2.5%", "median", "97.5%"],
            align="lrrrrrr",
            width=TABLE_WIDTH,
            wrap=(0,),
        ),
        "",
        *textwrap.wrap(
            "Base values: the deterministic figures ('careprofiles cost'). The 95% interval "
            "runs from the 2.5% to the 97.5% column. Every draw: --format csv; the summary "
            "unrounded: --format json.",
            TABLE_WIDTH,
        ),
    ]
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace) -> int:
    fmt = output_format(args)
    check_plot(args)
    pathway, tariff, index = inputs_from_args(args)
    uncertainty = uncertainty_from_args(args)
    try:
        result = simulate(
            pathway,
            tariff,
            args.draws,
            args.seed,
            index=index,
            tariff_uncertainty=uncertainty,
            chunk_size=args.chunk_size,
            progress=args.progress,
        )
    except ValidationError as exc:  # the memory would not hold the draws: say it of --draws
        (problem, *_) = exc.problems
        if problem.code != TOO_MANY_DRAWS:
            raise
        raise CareProfilesError(f"--draws {args.draws:,}: {problem.message}") from None
    if fmt == "json":
        emit(args, to_json(result.to_dict()))
    elif fmt == "csv" and args.output:  # the draws can be large: straight to the file
        emit(args, csv_writer(result.draws))
    elif fmt == "csv":
        emit(args, csv_text(result.draws))
    elif fmt == "docx":
        from careprofiles.costing.result import cost
        from careprofiles.outputs.appraisal import simulation_docx_writer

        at_base = cost(pathway, tariff, index=index)
        emit(args, simulation_docx_writer(result, at_base=at_base, tariffs=", ".join(tariff.names)))
    else:
        emit(args, simulation_table(result, ", ".join(tariff.names)))
    if args.plot:
        from careprofiles.outputs.charts import distribution_plot

        write_plot(args, distribution_plot(result))
    return 0
