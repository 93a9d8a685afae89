"""``careprofiles standards``: practices' status against the standards, and their progression."""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path
from typing import cast

from careprofiles.cli._common import Subparsers, add_output, emit, output_format
from careprofiles.errors import CareProfilesError, MissingDependencyError, StandardsError
from careprofiles.outputs.files import check_writable
from careprofiles.outputs.standards import (
    STANDARDS_FORMATS,
    TextFormat,
    render_standards,
    standards_docx_writer,
    write_progression_chart,
)
from careprofiles.standards.assessments import load_assessments
from careprofiles.standards.framework import load_framework
from careprofiles.standards.result import assess_standards

_PLOT_FORMATS = (".png", ".svg", ".pdf")


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
        "--strict",
        action="store_true",
        help="treat criteria claimed met without evidence as errors (exit status 1)",
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    fmt = output_format(args)
    plot: Path | None = None
    if args.plot:
        plot = Path(args.plot)
        if plot.suffix.lower() not in _PLOT_FORMATS:
            raise CareProfilesError(
                f"{args.plot}: --plot writes a .png, .svg or .pdf file; change the extension"
            )
        if args.output and plot.resolve() == Path(args.output).resolve():
            raise CareProfilesError(f"{args.plot}: --plot and -o name the same file; give two")
        check_writable(plot, args.force)
        _needs("matplotlib", "matplotlib", "plot", "A progression chart")
    if fmt == "docx":
        _needs("docx", "python-docx", "docx", "Word output")
    framework = load_framework(args.framework)
    practices = load_assessments(*args.assessments, framework=framework)
    result = assess_standards(practices, framework)
    if args.strict and result.warnings:
        raise StandardsError(result.warnings)
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if fmt == "docx":
        emit(args, standards_docx_writer(result))
    else:
        emit(args, render_standards(result, cast(TextFormat, fmt)))
    if plot is not None:
        write_progression_chart(result, plot, force=args.force)
    return 0


def _needs(module: str, package: str, extra: str, purpose: str) -> None:
    """Refuse early, before any work, when an optional dependency is missing."""
    if importlib.util.find_spec(module) is None:
        raise MissingDependencyError(package, extra, purpose)
