"""The ``careprofiles`` command line: a thin layer over the public Python API.

Each sub-command lives in its own module here with a ``register(subparsers, common)``
function; errors on bad input, and any operating-system error, print as ``path:line: ...``
lines on standard error with exit status 1 and no traceback (``--debug``, before or after
the command, shows one).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from careprofiles import __version__
from careprofiles.cli._gc import paused_gc
from careprofiles.errors import CareProfilesError, OutputExistsError, display_path

__all__ = ["COMMANDS", "main"]

COMMANDS = (
    "validate",
    "cost",
    "compare",
    "simulate",
    "sensitivity",
    "spec",
    "standards",
    "audit",
    "benchmark",
    "schema",
)
"""Sub-commands, in the order ``--help`` lists them."""

_EXISTS = "the file exists already; use --force to overwrite it"
"""What the command line says of an existing output file (Python says force=True)."""


COMMAND_HELP = {
    "validate": "check a pathway's files and summarise it",
    "cost": "cost a pathway: per patient, per stage, population, workforce",
    "compare": "compare scenarios (service models, condition variants) with the baseline",
    "simulate": "Monte Carlo: how sure is the cost? (draws of every uncertain number)",
    "sensitivity": "one-way sensitivity: which uncertain numbers move the cost most (tornado)",
    "spec": "write the commissioning service specification (Markdown, HTML or Word)",
    "standards": "practices' status against the palliative care standards, and progression",
    "audit": "audit delivered activity and outcomes against the care profiles",
    "benchmark": (
        "compare areas: cost per patient and per 1,000 population, outcomes, funnel plot"
    ),
    "schema": "print the JSON Schema of the file formats (for editors)",
}
"""Each sub-command's one-line help, as its module registers it (a test keeps them equal)."""


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The argument parser. Only the sub-command named in ``argv`` (all of them when
    ``argv`` is None) is imported and registered in full; the others are registered by
    name and help alone, which is all ``--help``, ``--version`` and a usage error need, so
    the command line starts without importing what other commands use."""
    parser = argparse.ArgumentParser(
        prog="careprofiles",
        description="Specify and cost end-of-life care from YAML care profiles and tariffs.",
        parents=[_common_options(default=False)],
    )
    parser.add_argument("--version", action="version", version=f"careprofiles {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    # the sub-commands' --debug sets nothing unless given: a sub-command's default would
    # overwrite the top level's value (careprofiles --debug COMMAND)
    common = _common_options(default=argparse.SUPPRESS)
    wanted = set(COMMANDS) if argv is None else {_command_in(argv)}
    for name in COMMANDS:
        if name in wanted:
            importlib.import_module(f"careprofiles.cli.{name}").register(sub, common)
        else:
            sub.add_parser(name, help=COMMAND_HELP[name])
    return parser


def _command_in(argv: Sequence[str]) -> str | None:
    """The sub-command ``argv`` names (its first argument that is not an option)."""
    for arg in argv:
        if arg == "--debug":
            continue
        return arg if arg in COMMANDS else None
    return None


def _common_options(default: object) -> argparse.ArgumentParser:
    """The options every sub-command takes, and the top level too."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--debug",
        action="store_true",
        default=default,
        help="show a traceback on errors (for bug reports)",
    )
    return common


def _os_error_text(exc: OSError) -> str:
    """An operating-system error no check caught, as ``path: what is wrong; how to fix``
    (the last resort: an error writing output is an OutputError, with its own words)."""
    what = exc.strerror or str(exc) or type(exc).__name__
    head = f"{display_path(os.fsdecode(exc.filename))}: " if exc.filename else ""
    return f"{head}{what}; check the file and try again (--debug shows where it happened)"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    try:
        # the collector's passes over the objects a load builds, none of them garbage:
        # 5,000-service pathway 0.90-1.07 s CPU unpaused, 0.63-0.75 s paused (performance.md)
        with paused_gc():
            status: int | None = args.run(args)
    except CareProfilesError as exc:
        if args.debug:
            raise
        from careprofiles.cli._common import command_line_text

        if isinstance(exc, OutputExistsError):  # the library's words are for Python
            print(f"{exc.path}: {_EXISTS}", file=sys.stderr)
        else:
            print(command_line_text(exc), file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # pragma: no cover - interactive
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # pragma: no cover - e.g. piped into head
        return 0
    except OSError as exc:
        if args.debug:
            raise
        print(_os_error_text(exc), file=sys.stderr)
        return 1
    return status or 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
