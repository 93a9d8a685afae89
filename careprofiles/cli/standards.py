"""``careprofiles standards``: practices' status against the standards, and their progression.

With ``--as-at``, accreditation older than the framework allows has lapsed; with
``--programme``, the facilitation programme is costed (``--tariff``, ``--index``,
``--market-forces`` as for ``cost``); with ``--outcomes``, practices' accreditation is
joined to their patients' audited outcomes (checked against ``--pathway``).
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from datetime import date
from pathlib import Path
from typing import cast

from careprofiles.cli._common import Subparsers, add_output, add_tariff, emit, output_format
from careprofiles.errors import CareProfilesError, MissingDependencyError, StandardsError
from careprofiles.outputs.files import check_writable
from careprofiles.outputs.standards import (
    STANDARDS_FORMATS,
    TextFormat,
    render_standards,
    standards_docx_writer,
    write_groups_chart,
    write_progression_chart,
)
from careprofiles.standards.assessments import load_assessments
from careprofiles.standards.framework import load_framework
from careprofiles.standards.result import assess_standards

_PLOT_FORMATS = (".png", ".svg", ".pdf")


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date; write it as YYYY-MM-DD, e.g. 2025-03-31"
        ) from None


def register(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "standards",
        parents=[common],
        help="practices' status against the palliative care standards, and progression",
        description=(
            "Assess practices against a standards framework (default: the bundled "
            "supportive and palliative care standards): each standard's status, "
            "accreditation at the latest assessment, progression since the baseline, and "
            "the gaps left. Assessments are YAML files (one practice each) or CSV files "
            "(practice,date,criterion,status,evidence; many practices), or folders of them."
        ),
    )
    p.add_argument(
        "assessments",
        nargs="+",
        metavar="ASSESSMENT",
        help="an assessment .yaml or .csv file, or a folder of them",
    )
    p.add_argument(
        "--framework",
        metavar="FILE",
        help="a standards framework YAML file (default: the bundled framework)",
    )
    add_output(p, STANDARDS_FORMATS, default="table")
    p.add_argument(
        "--plot",
        metavar="FILE.png",
        help="also write the progression chart to this .png (or .svg, .pdf) file",
    )
    p.add_argument(
        "--groups-plot",
        metavar="FILE.png",
        help="also write the chart of practices by group and accreditation (.png, .svg, .pdf)",
    )
    p.add_argument(
        "--strict",
        action="store_true",
        help="treat criteria claimed met without evidence as errors (exit status 1)",
    )
    p.add_argument(
        "--as-at",
        type=_iso_date,
        metavar="DATE",
        help="the assessment date, YYYY-MM-DD: accreditation older than the framework's "
        "accreditation_valid_months has lapsed by it (default: today)",
    )
    p.add_argument(
        "--programme",
        metavar="FILE",
        help="a facilitation programme YAML file: its workshops and practice sessions are "
        "costed with the tariff (see --tariff)",
    )
    add_tariff(p)
    p.add_argument(
        "--outcomes",
        metavar="RECORDS",
        help="outcome records (CSV or Parquet: patient_id,outcome,value,practice) to compare "
        "the patients of accredited and not-accredited practices",
    )
    p.add_argument(
        "--pathway",
        metavar="PATHWAY",
        help="the pathway the outcome records are checked against (default: the bundled one)",
    )
    p.set_defaults(run=run)


def _chart_path(
    given: str | None, flag: str, args: argparse.Namespace, purpose: str
) -> Path | None:
    if not given:
        return None
    plot = Path(given)
    if plot.suffix.lower() not in _PLOT_FORMATS:
        raise CareProfilesError(
            f"{given}: {flag} writes a .png, .svg or .pdf file; change the extension"
        )
    if args.output and plot.resolve() == Path(args.output).resolve():
        raise CareProfilesError(f"{given}: {flag} and -o name the same file; give two")
    check_writable(plot, args.force)
    _needs("matplotlib", "matplotlib", "plot", purpose)
    return plot


def run(args: argparse.Namespace) -> int:
    fmt = output_format(args)
    plot = _chart_path(args.plot, "--plot", args, "A progression chart")
    groups_plot = _chart_path(args.groups_plot, "--groups-plot", args, "A chart by group")
    if plot is not None and groups_plot is not None and plot.resolve() == groups_plot.resolve():
        raise CareProfilesError(f"{args.groups_plot}: --plot and --groups-plot name one file")
    if fmt == "docx":
        _needs("docx", "python-docx", "docx", "Word output")
    if args.pathway and not args.outcomes:
        raise CareProfilesError("--pathway checks outcome records: give them with --outcomes")
    if (args.tariff or args.index or args.market_forces is not None) and not args.programme:
        raise CareProfilesError(
            "--tariff, --index and --market-forces price a facilitation programme: "
            "give it with --programme"
        )
    framework = load_framework(args.framework)
    practices = load_assessments(*args.assessments, framework=framework)
    result = assess_standards(practices, framework, as_at=args.as_at)
    if args.strict and result.warnings:
        raise StandardsError(result.warnings)
    programme = outcomes = None
    if args.programme:
        from careprofiles.cli._common import bundled_or
        from careprofiles.resources import bundled_index, bundled_tariff
        from careprofiles.standards.programme import cost_programme, load_programme
        from careprofiles.tariffs.tables import load_price_index, load_tariff

        plan = load_programme(args.programme)
        tariff = load_tariff(*(bundled_or(t, bundled_tariff) for t in args.tariff or []))
        if args.market_forces is not None:
            tariff = tariff.with_market_forces(args.market_forces)
        index = load_price_index(bundled_or(args.index, bundled_index)) if args.index else None
        programme = cost_programme(plan, result, tariff, index=index)
    if args.outcomes:
        from careprofiles.outputs.standards_outcomes import standards_outcomes
        from careprofiles.profiles.load import load_pathway

        outcomes = standards_outcomes(result, args.outcomes, load_pathway(args.pathway))
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if fmt == "docx":
        emit(args, standards_docx_writer(result, programme=programme, outcomes=outcomes))
    else:
        text = render_standards(
            result, cast(TextFormat, fmt), programme=programme, outcomes=outcomes
        )
        emit(args, text)
    if plot is not None:
        write_progression_chart(result, plot, force=args.force)
    if groups_plot is not None:
        write_groups_chart(result, groups_plot, force=args.force)
    return 0


def _needs(module: str, package: str, extra: str, purpose: str) -> None:
    """Refuse early, before any work, when an optional dependency is missing."""
    if importlib.util.find_spec(module) is None:
        raise MissingDependencyError(package, extra, purpose)
