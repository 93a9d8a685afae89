"""``careprofiles verify FILE``: check an output against the manifest that came with it.

It reads the manifest (inside FILE, or ``FILE.manifest.json`` beside it), hashes every
input again and names those that changed or are missing, then runs the recorded command
again, writing to a temporary folder, and says whether the figures are the same (the
content without the manifest; the run again is given the recorded time as
``SOURCE_DATE_EPOCH``, so that a document's date is the same). Exit status 0 when every input is
unchanged and the figures are identical; 1 otherwise.
"""

from __future__ import annotations

import argparse
import contextlib
import contextvars
import datetime as dt
import io
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from careprofiles.cli._common import Subparsers
from careprofiles.errors import CareProfilesError, display_path

_OUTPUT_OPTIONS = {"-o": "output", "--output": "output", "--plot": "plot"}


def register(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "verify",
        parents=[common],
        help="check an output file: have its inputs changed, does a fresh run give the same?",
        description=(
            "Check an output file against its reproducibility manifest (inside the file, "
            "or FILE.manifest.json beside it): hash every input again and name those that "
            "changed, then run the recorded command again and say whether the figures are "
            "identical. Run it in the folder the command was run in. Exit status 0 when "
            "nothing changed and the figures are identical, 1 otherwise."
        ),
    )
    p.add_argument("file", metavar="FILE", help="an output file careprofiles wrote")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from careprofiles.outputs.manifest_formats import read_manifest

    file = Path(args.file)
    name = display_path(file)
    if not file.is_file():
        raise CareProfilesError(f"{name}: no such file; give an output file careprofiles wrote")
    manifest = read_manifest(file)
    if manifest is None or not isinstance(manifest.get("command"), list):
        raise CareProfilesError(
            f"{name}: the file has no manifest (inside it, or {file.name}.manifest.json "
            "beside it); give a file written by careprofiles cost, compare, simulate, "
            "sensitivity, spec, standards, audit or benchmark"
        )
    command = [str(a) for a in manifest["command"]]
    print(f"{name}: made by {' '.join(command)} (careprofiles {manifest.get('careprofiles')})")
    ok = _check_inputs(name, manifest.get("inputs") or [])
    return 0 if _check_figures(name, file, manifest, command[1:]) and ok else 1


def _check_inputs(name: str, inputs: list[dict[str, Any]]) -> bool:
    """Hash every input again; say which changed or are missing."""
    from careprofiles.outputs.manifest import file_sha256, resolve_input

    ok = True
    for entry in inputs:
        path = resolve_input(str(entry.get("path", "")))
        what = f"{entry.get('role', 'input')} {entry.get('name', path.name)}"
        if not path.is_file():
            print(f"{name}: input missing: {what} ({entry.get('path')})")
            ok = False
        elif file_sha256(path) != entry.get("sha256"):
            print(
                f"{name}: input changed: {what} ({entry.get('path')}): SHA-256 was "
                f"{str(entry.get('sha256'))[:12]}..., now {file_sha256(path)[:12]}..."
            )
            ok = False
    if ok:
        print(f"{name}: {len(inputs)} inputs unchanged")
    return ok


def _redirected(argv: list[str], folder: Path) -> tuple[list[str], dict[str, Path]]:
    """``argv`` writing its files in ``folder`` (one folder an output option)."""
    out: list[str] = []
    written: dict[str, Path] = {}

    def target(kind: str, value: str) -> str:
        place = folder / kind
        place.mkdir(exist_ok=True)
        written[kind] = place / Path(value).name
        return str(written[kind])

    items = iter(argv)
    for arg in items:
        option, sep, value = arg.partition("=")
        if option in _OUTPUT_OPTIONS and option.startswith("--") and sep:
            out.append(f"{option}={target(_OUTPUT_OPTIONS[option], value)}")
        elif arg in _OUTPUT_OPTIONS:
            out.append(arg)
            value = next(items, "")
            out.append(target(_OUTPUT_OPTIONS[arg], value))
        elif arg.startswith("-o") and len(arg) > 2 and not arg.startswith("--"):
            out.append("-o" + target("output", arg[2:]))
        else:
            out.append(arg)
    return out, written


@contextlib.contextmanager
def _recorded_time(recorded: object) -> Iterator[None]:
    """``SOURCE_DATE_EPOCH`` set to the manifest's time while inside."""
    try:
        when = dt.datetime.strptime(str(recorded), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
    except ValueError:
        yield
        return
    before = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(int(when.timestamp()))
    try:
        yield
    finally:
        if before is None:
            del os.environ["SOURCE_DATE_EPOCH"]
        else:
            os.environ["SOURCE_DATE_EPOCH"] = before


def _refuse_unsafe(name: str, argv: list[str], folder: Path) -> None:
    """Refuse to run a recorded command that is not one of those with a manifest, or
    that would write anywhere but ``folder`` (a manifest is a file anyone may edit)."""
    from careprofiles.cli import build_parser
    from careprofiles.cli._manifest import MANIFEST_COMMANDS

    try:
        with contextlib.redirect_stderr(io.StringIO()):
            parsed = build_parser(argv).parse_args(argv)
    except SystemExit:
        parsed = None
    inside = parsed is not None and all(
        Path(value).resolve().is_relative_to(folder.resolve())
        for value in (getattr(parsed, "output", None), getattr(parsed, "plot", None))
        if value
    )
    if parsed is None or parsed.command not in MANIFEST_COMMANDS or not inside:
        raise CareProfilesError(
            f"{name}: the manifest's command is not one careprofiles verify runs again "
            "(cost, compare, simulate, sensitivity, spec, standards, audit or benchmark, "
            "writing only with -o and --plot); give a file careprofiles wrote"
        )


def _check_figures(name: str, file: Path, manifest: dict[str, Any], argv: list[str]) -> bool:
    """Run the command again in a temporary folder; compare its file with ``file``."""
    from careprofiles.cli import main
    from careprofiles.outputs.manifest_formats import figures

    with tempfile.TemporaryDirectory(prefix="careprofiles-verify-") as tmp:
        rerun, written = _redirected(argv, Path(tmp))
        _refuse_unsafe(name, rerun, Path(tmp))
        errors = io.StringIO()
        with (
            _recorded_time(manifest.get("time")),  # a document's date is the one recorded
            contextlib.redirect_stderr(errors),
            contextlib.redirect_stdout(io.StringIO()),
        ):
            # a fresh context: the run's files are its own, put in place when it ends
            status = contextvars.Context().run(main, rerun)
        if status != 0:
            lines = [line for line in errors.getvalue().splitlines() if line.strip()]
            print(f"{name}: the recorded command failed when run again:", *lines[:10], sep="\n  ")
            return False
        wanted = str(manifest.get("output") or file.name)
        fresh = next(
            (p for p in (f.parent / wanted for f in written.values()) if p.is_file()),
            written.get("output"),
        )
        if fresh is None or not fresh.is_file():
            print(f"{name}: a fresh run wrote no {wanted}; cannot compare the figures")
            return False
        if figures(fresh) == figures(file):
            print(f"{name}: figures identical to a fresh run")
            return True
        print(f"{name}: figures differ from a fresh run")
        return False
