"""The ``careprofiles`` command line: a thin layer over the public Python API.

Each sub-command lives in its own module here with a ``register(subparsers, common)``
function; errors on bad input, and any operating-system error, print as ``path:line: ...``
lines on standard error with exit status 1 and no traceback (``--debug``, before or after
the command, shows one). careprofiles' own warnings (:class:`~careprofiles.errors.LayeringWarning`)
print as ``warning: ...`` lines on standard error, with a command-line hint, and the command
goes on.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import warnings
from collections.abc import Sequence
from typing import TextIO

from careprofiles import __version__
from careprofiles.errors import (
    CareProfilesError,
    LayeringWarning,
    OutputExistsError,
    display_path,
)

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


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every sub-command registered."""
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
    for name in COMMANDS:
        importlib.import_module(f"careprofiles.cli.{name}").register(sub, common)
    return parser


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


def _layering_hint(args: argparse.Namespace) -> str:
    """The --tariff options in the order that keeps the user's own prices."""
    from careprofiles.resources import BUNDLED, bundled_name

    own = [t for t in getattr(args, "tariff", None) or [] if t != BUNDLED and not bundled_name(t)]
    return " ".join(["--tariff bundled", *(f"--tariff {t}" for t in own)])


def _run(args: argparse.Namespace) -> int | None:
    """``args.run(args)``, printing careprofiles' own warnings as ``warning: ...`` lines
    (every time, whatever the warning filters say) and any other warning as Python does."""
    shown = warnings.showwarning

    def show(
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: TextIO | None = None,
        line: str | None = None,
    ) -> None:
        if issubclass(category, LayeringWarning):
            hint = f" (on the command line: {_layering_hint(args)})"
            print(f"warning: {message}{hint}", file=sys.stderr)
        else:  # pragma: no cover - no other warning is expected
            shown(message, category, filename, lineno, file, line)

    with warnings.catch_warnings():
        warnings.simplefilter("always", LayeringWarning)
        warnings.showwarning = show
        status: int | None = args.run(args)
    return status


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        status = _run(args)
    except CareProfilesError as exc:
        if args.debug:
            raise
        if isinstance(exc, OutputExistsError):  # the library's words are for Python
            print(f"{exc.path}: {_EXISTS}", file=sys.stderr)
        else:
            print(str(exc), file=sys.stderr)
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
