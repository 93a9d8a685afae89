"""``careprofiles spec``: the commissioning specification, as Markdown, HTML or Word."""

from __future__ import annotations

import argparse
import importlib.util
import sys

from careprofiles.cli._analysis import add_scenario
from careprofiles.cli._common import (
    Subparsers,
    add_output,
    add_pathway,
    add_tariff,
    emit,
    output_format,
)
from careprofiles.cli.cost import cost_from_args
from careprofiles.errors import MissingDependencyError, Problem, ValidationError
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
    fmt = output_format(args)  # refuses to overwrite before any work is done
    if fmt == "docx" and importlib.util.find_spec("docx") is None:
        raise MissingDependencyError("python-docx", "docx", "Word (.docx) output")
    header = header_from_args(args)
    result = cost_from_args(args)
    content = render_spec(result.pathway, result, args.template, fmt, header)
    emit(args, content)
    return 0


def _html_template(template: str) -> bool:
    """Whether ``--template`` names an HTML template (``.html.j2``), which gives HTML only."""
    from careprofiles.specification.render import find_template  # the lookup render_spec makes

    return find_template(template).html
