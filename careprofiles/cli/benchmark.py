"""``careprofiles benchmark``: compare areas' activity, cost and outcomes (funnel plots)."""

from __future__ import annotations

import argparse
from pathlib import Path

from careprofiles.activity.benchmark import benchmark_areas
from careprofiles.activity.records import read_activity
from careprofiles.cli._activity import activity_command, dask_client
from careprofiles.cli._common import Subparsers, emit, inputs_from_args, output_format
from careprofiles.errors import CareProfilesError
from careprofiles.outputs.audit import BENCHMARK_FORMATS, render_benchmark
from careprofiles.outputs.files import check_writable


def register(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    p = activity_command(
        sub,
        common,
        "benchmark",
        help="compare areas: cost per patient and per 1,000 population, outcomes, funnel plot",
        description=(
            "Compare the areas in activity records (the area column): patients, cost, cost "
            "per patient and per 1,000 population, and each outcome's achievement by area "
            "with 95% and 99.8% funnel-plot limits around the all-area rate."
        ),
        formats=BENCHMARK_FORMATS,
        populations=True,
    )
    p.add_argument(
        "--plot",
        metavar="FILE.png",
        help="also draw the funnel plots, six panels a page: FILE.png, FILE-2.png ...",
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    fmt = output_format(args)
    if args.plot:
        if Path(args.plot).suffix.lower() != ".png":
            raise CareProfilesError(f"--plot {args.plot}: the plot is a PNG; name it FILE.png")
        if args.output and Path(args.plot).resolve() == Path(args.output).resolve():
            raise CareProfilesError("--plot and -o name the same file; give two names")
        check_writable(args.plot, args.force)
        from careprofiles.outputs.audit_charts import FUNNEL_PLOT
        from careprofiles.outputs.charts import require_matplotlib

        require_matplotlib(FUNNEL_PLOT)  # fail now, before the work, if matplotlib is missing
    pathway, tariff, index = inputs_from_args(args)
    with dask_client(args):
        activity = read_activity(args.activity, engine=args.engine)
        result = benchmark_areas(
            pathway, tariff, activity, args.populations, args.outcomes, index=index
        )
    emit(args, render_benchmark(result, fmt))
    if args.plot:
        from careprofiles.outputs.audit_charts import write_funnel_plot

        write_funnel_plot(result, args.plot, force=args.force)
    return 0
