"""The ``careprofiles`` command line: a thin layer over the public Python API.

Each sub-command lives in its own module here with a ``register(subparsers, common)``
function; errors on bad input, and any operating-system error, print as ``path:line: ...``
lines on standard error with exit status 1 and no traceback (``--debug``, before or after
the command, shows one). A command's output files appear all together when it succeeds,
or none of them does (:func:`~careprofiles.outputs.files.all_or_none`); SIGTERM stops a
command as Ctrl-C does, removing its temporary files (exit status 143). careprofiles' own
warnings (:class:`~careprofiles.tariffs.layers.LayeringWarning`) print as ``warning: ...``
lines on standard error, with a command-line hint, and the command goes on.

Imports: everything (the command modules are imported as they are registered).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import signal
import sys
import threading
import warnings
from collections.abc import Iterator, Sequence
from types import FrameType
from typing import TextIO

from careprofiles import __version__
from careprofiles.cli._gc import paused_gc
from careprofiles.errors import CareProfilesError, OutputExistsError, display_path
from careprofiles.outputs.files import all_or_none
from careprofiles.tariffs.layers import LayeringWarning

__all__ = ["COMMANDS", "main"]

COMMANDS = (
    "init",
    "validate",
    "cost",
    "compare",
    "simulate",
    "sensitivity",
    "spec",
    "standards",
    "audit",
    "benchmark",
    "verify",
    "schema",
)
"""Sub-commands, in the order ``--help`` lists them."""

_OUT_OF_MEMORY = (
    "out of memory: the run needed more memory than there is; ask for less (fewer "
    "--draws, smaller files) or free some memory, and run again"
)
_EXISTS = "the file exists already; use --force to overwrite it"
"""What the command line says of an existing output file (Python says force=True)."""


COMMAND_HELP = {
    "init": "start a local pathway: stage files, a local tariff, sample scenarios, a README",
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
    "verify": "check an output file: have its inputs changed, does a fresh run give the same?",
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


class _Terminated(BaseException):
    """SIGTERM arrived: raised where the program is, so that every ``finally`` (the one
    removing a temporary output file among them) runs, as for Ctrl-C. A BaseException,
    so that no ``except Exception`` stops it."""


class _Sigterm:
    """Whether SIGTERM has come, while :func:`_sigterm_as_interrupt` is in force."""

    received = False

    def check(self) -> None:
        """Raise :class:`_Terminated` if SIGTERM came and its exception was swallowed on
        the way (raised inside a ``__del__`` or a callback, which Python ignores)."""
        if self.received:
            raise _Terminated

    def handle(self, signum: int, frame: FrameType | None) -> None:
        if self.received:  # a second SIGTERM ends the program at once
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTERM)
            return
        self.received = True
        raise _Terminated


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[_Sigterm]:
    """SIGTERM, while inside, raises :class:`_Terminated` (only the main thread can
    handle signals; elsewhere nothing changes)."""
    state = _Sigterm()
    if threading.current_thread() is not threading.main_thread():
        yield state
        return
    previous = signal.signal(signal.SIGTERM, state.handle)
    try:
        yield state
    finally:
        signal.signal(signal.SIGTERM, previous)


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
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    args.argv = list(argv)  # what the manifest of an output records
    try:
        # the collector's passes over the objects a load builds, none of them garbage:
        # 5,000-service pathway 0.90-1.07 s CPU unpaused, 0.63-0.75 s paused (performance.md)
        with paused_gc(), _sigterm_as_interrupt() as sigterm, all_or_none() as outputs:
            status = _run(args)
            if outputs.targets():
                from careprofiles.cli._manifest import add_sidecars

                add_sidecars(args, outputs)  # each written after its file, put in place with it
            sigterm.check()  # before the files are put in place
        for path in outputs.written:
            print(f"wrote {display_path(path)}", file=sys.stderr)
    except _Terminated:
        print("terminated", file=sys.stderr)
        return 128 + signal.SIGTERM
    except CareProfilesError as exc:
        if args.debug:
            raise
        from careprofiles.cli._common import command_line_text

        if isinstance(exc, OutputExistsError):  # the library's words are for Python
            print(f"{exc.path}: {_EXISTS}", file=sys.stderr)
        else:
            print(command_line_text(exc), file=sys.stderr)
        return 1
    except MemoryError:  # what no estimate foresaw: say so, never a traceback
        if args.debug:
            raise
        print(_OUT_OF_MEMORY, file=sys.stderr)
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
