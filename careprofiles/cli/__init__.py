"""The ``careprofiles`` command line: a thin layer over the public Python API.

Each sub-command lives in its own module here with a ``register(subparsers, common)``
function; errors on bad input print as ``path:line: ...`` lines on standard error with
exit status 1 and no traceback (``--debug`` shows one).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from careprofiles import __version__
from careprofiles.errors import CareProfilesError

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


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every sub-command registered."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--debug", action="store_true", help="show a traceback on errors (for bug reports)"
    )
    parser = argparse.ArgumentParser(
        prog="careprofiles",
        description="Specify and cost end-of-life care from YAML care profiles and tariffs.",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"careprofiles {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        importlib.import_module(f"careprofiles.cli.{name}").register(sub, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        status: int | None = args.run(args)
    except CareProfilesError as exc:
        if args.debug:
            raise
        print(str(exc), file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # pragma: no cover - interactive
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # pragma: no cover - e.g. piped into head
        return 0
    return status or 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
