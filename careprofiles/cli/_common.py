"""Options and output handling shared by the sub-commands."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from careprofiles.errors import CareProfilesError
from careprofiles.outputs.files import check_writable, write_atomic
from careprofiles.resources import bundled_index, bundled_tariff

if TYPE_CHECKING:  # imported where used, so that a command imports only what it needs
    from careprofiles.profiles.models import Pathway
    from careprofiles.tariffs.tables import PriceIndex, Tariff

__all__ = [
    "BUNDLED",
    "add_output",
    "add_pathway",
    "add_tariff",
    "apply_scenario_args",
    "bundled_or",
    "command_line_text",
    "emit",
    "inputs_from_args",
    "output_format",
    "pathway_command",
]

Subparsers = Any  # argparse._SubParsersAction is private


def pathway_command(
    sub: Subparsers, common: argparse.ArgumentParser, name: str, *, help: str, description: str
) -> argparse.ArgumentParser:
    """The parser of sub-command ``name`` (with the ``common`` options), taking PATHWAY."""
    p: argparse.ArgumentParser = sub.add_parser(
        name, parents=[common], help=help, description=description
    )
    add_pathway(p)
    return p


def add_pathway(p: argparse.ArgumentParser) -> None:
    """The optional PATHWAY argument (default: the bundled pathway)."""
    p.add_argument(
        "pathway",
        nargs="?",
        metavar="PATHWAY",
        help="a pathway folder or its pathway.yaml (default: the bundled adult EoL pathway)",
    )


def add_tariff(p: argparse.ArgumentParser) -> None:
    """--tariff (repeatable, later files win), --index and --market-forces; ``bundled``
    names the bundled tariff or index (see :func:`bundled_or`)."""
    p.add_argument(
        "--tariff",
        action="append",
        metavar="FILE",
        help="a tariff CSV; repeat to layer files, later ones win; 'bundled' is the bundled "
        "tariff, e.g. --tariff bundled --tariff local.csv (default: the bundled tariff)",
    )
    p.add_argument(
        "--index",
        metavar="FILE",
        help="a price index CSV (price_year,index) to uplift rows from other price years; "
        "'bundled' is the bundled index",
    )
    p.add_argument(
        "--market-forces",
        type=float,
        metavar="FACTOR",
        help="multiply every tariff cost by this market forces factor (e.g. 1.05)",
    )


def add_output(
    p: argparse.ArgumentParser, formats: tuple[str, ...], default: str = "table"
) -> None:
    """--format, -o/--output and --force."""
    p.add_argument(
        "--format",
        choices=formats,
        help=f"output format (default: from the -o file's extension, else {default})",
    )
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of the screen")
    p.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    p.set_defaults(default_format=default, formats=formats)


BUNDLED = "bundled"
"""``--tariff bundled`` and ``--index bundled`` name the bundled files (unless a file of
that name is in the working folder: a file given always wins)."""


def bundled_or(path: str, bundled: Callable[[], Path]) -> str | Path:
    """``path``, or the bundled file when it is ``bundled`` and no such file exists."""
    if path == BUNDLED and not Path(path).exists():
        return bundled()
    return path


def inputs_from_args(args: argparse.Namespace) -> tuple[Pathway, Tariff, PriceIndex | None]:
    """The pathway, tariff and price index the options name, with any --scenario applied."""
    from careprofiles.profiles.load import load_pathway
    from careprofiles.tariffs.tables import load_price_index, load_tariff

    pathway = load_pathway(args.pathway)
    tariff = load_tariff(*(bundled_or(t, bundled_tariff) for t in args.tariff or []))
    if args.market_forces is not None:
        tariff = tariff.with_market_forces(args.market_forces)
    index = load_price_index(bundled_or(args.index, bundled_index)) if args.index else None
    if getattr(args, "scenarios", None) or getattr(args, "scenario", None):
        pathway, tariff = apply_scenario_args(pathway, tariff, args)
    return pathway, tariff, index


def apply_scenario_args(
    pathway: Pathway, tariff: Tariff, args: argparse.Namespace
) -> tuple[Pathway, Tariff]:
    """``--scenarios FILE --scenario ID``: the scenario's pathway and tariff."""
    from careprofiles.costing.scenario_apply import apply_scenario
    from careprofiles.costing.scenarios import load_scenarios

    file = getattr(args, "scenarios", None)
    scenario_id = getattr(args, "scenario", None)
    if scenario_id and not file:
        raise CareProfilesError("--scenario needs --scenarios FILE naming the scenario file")
    if not file:
        return pathway, tariff
    scenarios = load_scenarios(file)
    if not scenario_id:
        raise CareProfilesError(
            f"{scenarios.file}: give --scenario ID to cost one scenario "
            f"(the file has {', '.join(scenarios.ids())}); 'careprofiles compare' costs them all"
        )
    return apply_scenario(pathway, tariff, scenarios, scenario_id)


def _hints() -> tuple[tuple[str, str], ...]:
    """What the library's messages say in Python, and what the command line says instead."""
    from careprofiles.costing.compiler import LAYERING_HINT
    from careprofiles.costing.scenario_apply import TARIFF_UNCERTAINTY_HINT
    from careprofiles.outputs.starter import FORCE_HINT

    return (
        (FORCE_HINT, "use --force to write the starter files into it"),
        (
            f"give it first: {LAYERING_HINT}",
            f"give it first: --tariff bundled --tariff FILE, or in Python {LAYERING_HINT}",
        ),
        (f"({TARIFF_UNCERTAINTY_HINT})", "(--uncertainty FILE)"),
    )


def command_line_text(exc: CareProfilesError) -> str:
    """The error as the command line prints it: where the library's message says how to
    do something in Python, the command line's option that does it is named too (the
    library names no options)."""
    text = str(exc)
    for python, command_line in _hints():
        text = text.replace(python, command_line)
    return text


BINARY = frozenset({"xlsx", "docx", "png"})


def output_format(args: argparse.Namespace) -> str:
    """The format asked for: --format, else the -o extension (``.txt`` is ``table``),
    else the default."""
    formats: tuple[str, ...] = args.formats
    if args.format:
        fmt: str = args.format
    elif args.output:
        ext = Path(args.output).suffix.lower().lstrip(".")
        ext = {"htm": "html", "markdown": "md", "yml": "yaml"}.get(ext, ext)
        if ext == "txt" and "table" in formats:  # the table is plain text
            ext = "table"
        if ext not in formats:
            raise CareProfilesError(
                f"{args.output}: cannot tell the format from the extension {ext!r}; "
                f"use --format with one of {', '.join(formats)}"
            )
        fmt = ext
    else:
        fmt = args.default_format
    if fmt in BINARY and not args.output:
        raise CareProfilesError(f"--format {fmt} writes a binary file; give one with -o FILE")
    if args.output:
        check_writable(args.output, args.force)
    args.output_fmt = fmt
    return fmt


def emit(args: argparse.Namespace, content: str | bytes | Callable[[Path], None]) -> None:
    """Write ``content`` to -o FILE atomically (with the run's manifest inside, where
    the format has a place for it), or print text to standard output."""
    if args.output:
        from careprofiles.cli._manifest import with_run_manifest

        content = with_run_manifest(args, getattr(args, "output_fmt", ""), content)
        write_atomic(args.output, content, force=args.force)
    elif isinstance(content, str):
        sys.stdout.write(content if content.endswith("\n") else content + "\n")
    else:  # pragma: no cover - output_format() prevents this
        raise CareProfilesError("binary output needs -o FILE")
