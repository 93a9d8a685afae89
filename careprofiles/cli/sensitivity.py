"""``careprofiles sensitivity``: one-way sensitivity of the cost per patient (tornado)."""

from __future__ import annotations

import argparse
import textwrap
from typing import Any

from careprofiles.cli._analysis import (
    add_output_and_plot,
    analysis_command,
    check_plot,
    uncertainty_from_args,
    write_plot,
)
from careprofiles.cli._common import Subparsers, emit, inputs_from_args, output_format
from careprofiles.costing.scenarios import scenario_of
from careprofiles.costing.sensitivity import SensitivityResult, sensitivity
from careprofiles.outputs.display import scenario_lines
from careprofiles.outputs.names import names_for
from careprofiles.outputs.sheets import csv_text
from careprofiles.outputs.tables import to_json
from careprofiles.outputs.text import TABLE_WIDTH, format_money, text_table

FORMATS = ("table", "json", "csv")


def _top(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"--top must be 1 or more (got {value})")
    return value


def register(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    p = analysis_command(
        sub,
        common,
        "sensitivity",
        help="one-way sensitivity: which uncertain numbers move the cost most (tornado)",
        description=(
            "Move each uncertain number alone to its 2.5th and then its 97.5th percentile, "
            "everything else at base values, and report the cost per patient at each end, "
            "largest swing first."
        ),
        uncertainty=True,
    )
    p.add_argument(
        "--top",
        type=_top,
        metavar="N",
        help="only the N largest swings (default: all; the chart shows 15 unless given)",
    )
    add_output_and_plot(p, FORMATS, "a tornado chart")
    p.set_defaults(run=run)


def sensitivity_table(result: SensitivityResult, top: int | None = None) -> str:
    """The readable table ``sensitivity`` prints."""
    p = result.pathway
    rows = result.rows if top is None else result.rows.head(top)
    records: list[dict[str, Any]] = rows.to_dict(orient="records")  # type: ignore[assignment]
    names = names_for(p, result.tariff)
    lo = f"{result.low_quantile * 100:g}th"
    hi = f"{result.high_quantile * 100:g}th"
    body = text_table(
        [
            [
                names.address(str(r["parameter"])),
                r["distribution"],
                f"{r['low_value']:,.4g}",
                f"{r['high_value']:,.4g}",
                format_money(r["low"]),
                format_money(r["high"]),
                format_money(r["swing"]),
            ]
            for r in records
        ],
        ["parameter", "distribution", "low value", "high value", "low", "high", "swing"],
        align="llrrrrr",
        width=TABLE_WIDTH,
        wrap=(0, 1),
    )
    shown = (
        f"the {len(rows)} largest of {len(result.rows)}"
        if len(rows) < len(result.rows)
        else (f"all {len(rows)}")
    )
    lines = [
        f"One-way sensitivity: {p.name} ({p.id}), {p.price_year} prices",
        *scenario_lines(scenario_of(p), names=names),
        *textwrap.wrap(
            f"Each uncertain number alone at its {lo} (low) and {hi} (high) percentile, the "
            "rest at base values; cost per patient at each end.",
            TABLE_WIDTH,
        ),
        *textwrap.wrap(
            f"Cost per patient at base values: {format_money(result.base, pence=True)} "
            f"({format_money(result.base_total)} a year); {shown} uncertain numbers, largest "
            "swing first.",
            TABLE_WIDTH,
        ),
        "",
        body if len(rows) else "(nothing is uncertain: every number is a plain value)",
    ]
    if len(rows):
        lines += ["", "Every column, with each number's source: --format csv or --format json."]
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace) -> int:
    fmt = output_format(args)
    check_plot(args)
    pathway, tariff, index = inputs_from_args(args)
    result = sensitivity(
        pathway, tariff, index=index, tariff_uncertainty=uncertainty_from_args(args)
    )
    if fmt == "json":
        data = result.to_dict()
        if args.top is not None:
            data["rows"] = data["rows"][: args.top]
        emit(args, to_json(data))
    elif fmt == "csv":
        rows = result.rows if args.top is None else result.rows.head(args.top)
        emit(args, csv_text(rows))
    else:
        emit(args, sensitivity_table(result, args.top))
    if args.plot:
        from careprofiles.outputs.charts import tornado_plot

        write_plot(args, tornado_plot(result, top=args.top or 15))
    return 0
