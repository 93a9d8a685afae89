"""``careprofiles spec``: the commissioning specification, as Markdown, HTML or Word."""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

from careprofiles.cli._analysis import add_scenario, whole_number
from careprofiles.cli._common import (
    Subparsers,
    add_output,
    add_pathway,
    add_tariff,
    emit,
    inputs_from_args,
    output_format,
)
from careprofiles.cli.cost import cost_from_args
from careprofiles.errors import CareProfilesError, MissingDependencyError, Problem, ValidationError
from careprofiles.profiles.validation import validate_model
from careprofiles.specification.header import HEADER_KEYS, SpecHeader, load_header
from careprofiles.specification.render import (
    DEFAULT_TEMPLATE,
    FORMATS,
    list_templates,
    render_spec,
)

_HELP = {
    "number": "the service specification number",
    "service": "the service's name (default: the pathway's name)",
    "commissioner": "the commissioning organisation",
    "commissioner_lead": "the commissioner's lead",
    "provider": "the providing organisation",
    "provider_lead": "the provider's lead",
    "period": "the period covered, e.g. '1 April 2025 to 31 March 2028'",
    "review_date": "when the specification is reviewed",
    "premises": "the provider's premises (section 6)",
}


def register(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "spec",
        parents=[common],
        help="write the commissioning service specification (Markdown, HTML or Word)",
        description=(
            "Write the service specification for a costed pathway (NHS Standard Contract, "
            "Schedule 2 Part A), with its costing annex. The format follows the -o file's "
            "extension (.md, .html, .docx) or --format; with no -o it goes to the screen, "
            "as Markdown (as HTML for an HTML template). With no PATHWAY: the bundled adult "
            "end-of-life pathway."
        ),
    )
    add_pathway(p)
    add_tariff(p)
    add_scenario(p)
    p.add_argument(
        "--template",
        metavar="NAME|PATH",
        help=(
            f"a shipped template's name (default {DEFAULT_TEMPLATE!r}) or a template file: "
            ".md.j2 gives md, html and docx; .html.j2 gives html"
        ),
    )
    p.add_argument(
        "--list-templates", action="store_true", help="list the shipped templates and stop"
    )
    p.add_argument(
        "--check",
        action="store_true",
        help=(
            "render the specification (in the --format or -o file's format, writing nothing) "
            "and list every field still [to be agreed: ...] with its template file:line; "
            "exit 1 while any remain, 0 when none do"
        ),
    )
    p.add_argument(
        "--draws",
        type=whole_number(1, "--draws"),
        metavar="N",
        help="add the budget's Monte Carlo mean and 95%% interval from N draws",
    )
    p.add_argument(
        "--seed",
        type=whole_number(0, "--seed"),
        default=1,
        metavar="S",
        help="random seed for --draws (default 1); the same seed gives the same figures",
    )
    baseline = p.add_argument_group(
        "KPI baseline", "an audit of delivered care gives each KPI its baseline (both needed)"
    )
    baseline.add_argument(
        "--activity", metavar="FILE", help="activity records (CSV or Parquet), as for audit"
    )
    baseline.add_argument(
        "--outcomes", metavar="FILE", help="outcome records (CSV or Parquet), as for audit"
    )
    header = p.add_argument_group(
        "header", "the specification's header block; options override --header FILE"
    )
    header.add_argument(
        "--header",
        metavar="FILE",
        help=f"a YAML file with any of the keys {', '.join(HEADER_KEYS)}",
    )
    for key in HEADER_KEYS:
        header.add_argument(
            f"--{key.replace('_', '-')}", dest=f"header_{key}", metavar="TEXT", help=_HELP[key]
        )
    add_output(p, FORMATS, default="md")
    p.set_defaults(run=run)


def header_from_args(args: argparse.Namespace) -> SpecHeader:
    """The header: ``--header FILE``, with any header options on top."""
    base = load_header(args.header) if args.header else SpecHeader()
    changes = {
        key: value for key in HEADER_KEYS if (value := getattr(args, f"header_{key}")) is not None
    }
    if not changes:
        return base
    problems: list[Problem] = []
    merged = validate_model(
        SpecHeader, {**base.model_dump(exclude_unset=True), **changes}, "header options", problems
    )
    if problems or merged is None:
        raise ValidationError(problems)
    return merged


def run(args: argparse.Namespace) -> int:
    if args.list_templates:
        sys.stdout.write("".join(f"{name}\n" for name in list_templates()))
        return 0
    if args.template and not args.format and not args.output and _html_template(args.template):
        args.default_format = "html"  # on the screen, an HTML template's own format
    if bool(args.activity) != bool(args.outcomes):
        given, missing = (
            ("--activity", "--outcomes") if args.activity else ("--outcomes", "--activity")
        )
        raise CareProfilesError(
            f"{given} needs {missing} FILE too: the KPI baseline is the audit of the outcome "
            "records against the patients in the activity records; give both, or neither"
        )
    # --check writes nothing; otherwise refuse to overwrite before any work is done
    fmt = _check_format(args) if args.check else output_format(args)
    if fmt == "docx" and importlib.util.find_spec("docx") is None:
        raise MissingDependencyError("python-docx", "docx", "Word (.docx) output")
    header = header_from_args(args)
    result = cost_from_args(args)
    simulation = audited = None
    if args.draws is not None or args.activity:
        pathway, tariff, index = inputs_from_args(args)
        if args.draws is not None:
            from careprofiles.costing.simulate import simulate

            simulation = simulate(pathway, tariff, args.draws, args.seed, index=index)
        if args.activity:
            from careprofiles.activity.audit import audit

            audited = audit(pathway, tariff, args.activity, args.outcomes, index=index)
    if args.check:
        from careprofiles.specification.check import check_spec, markers_report

        markers = check_spec(
            result.pathway,
            result,
            args.template,
            fmt,
            header,
            simulation=simulation,
            audit=audited,
        )
        sys.stdout.write(markers_report(markers))
        return 1 if markers else 0
    content = render_spec(
        result.pathway, result, args.template, fmt, header, simulation=simulation, audit=audited
    )
    emit(args, content)
    return 0


def _check_format(args: argparse.Namespace) -> str:
    """The format ``--check`` renders: --format, else the -o file's extension, else md."""
    if args.format:
        return str(args.format)
    if args.output:
        ext = Path(args.output).suffix.lower().lstrip(".")
        ext = {"htm": "html", "markdown": "md"}.get(ext, ext)
        if ext not in FORMATS:
            raise CareProfilesError(
                f"{args.output}: cannot tell the format from the extension {ext!r}; "
                f"use --format with one of {', '.join(FORMATS)}"
            )
        return ext
    return str(args.default_format)


def _html_template(template: str) -> bool:
    """Whether ``--template`` names an HTML template (``.html.j2``), which gives HTML only."""
    from careprofiles.specification.render import find_template  # the lookup render_spec makes

    return find_template(template).html
