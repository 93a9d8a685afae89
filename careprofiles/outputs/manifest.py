"""The reproducibility manifest: the record of what made an output file.

:func:`build_manifest` gathers careprofiles' version, the command line, every input
file with its SHA-256 (in the order the run read them: pathway, stage files, tariffs in
layer order, index, scenarios, templates, activity ...), the price year, the seed and
draws where random, the Python, numpy and pandas versions, and the time. The time is
``SOURCE_DATE_EPOCH`` (seconds since 1970, UTC) when that is set, so that two runs of the
same work give the same bytes; otherwise now.

Inputs are named by file name (or by what a bundled file is) and hash; the manifest also
holds each file's path relative to the working folder (``bundled:`` and the path inside
the bundled profiles for a bundled file), never an absolute path.

How each format carries the manifest is in :mod:`careprofiles.outputs.manifest_formats`.

Imports: errors, resources, outputs.text, outputs.tables; numpy and pandas (versions).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import platform
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from careprofiles.errors import CareProfilesError
from careprofiles.outputs.tables import to_json
from careprofiles.outputs.text import markdown_escape, markdown_table
from careprofiles.resources import bundled_profiles, document_name

__all__ = [
    "MANIFEST_SUFFIX",
    "build_manifest",
    "file_sha256",
    "input_path",
    "manifest_json",
    "manifest_markdown",
    "manifest_time",
    "sidecar_path",
]

MANIFEST_SUFFIX = ".manifest.json"
"""The manifest beside an output that has no place for it: ``FILE.manifest.json``."""

BUNDLED_PREFIX = "bundled:"
"""How a manifest's ``path`` names a file among the bundled profiles."""
PACKAGE_PREFIX = "careprofiles:"
"""How a manifest's ``path`` names a file shipped in the package (a shipped template)."""
_PACKAGE = Path(__file__).resolve().parent.parent

_CHUNK = 1 << 20


def sidecar_path(output: str | Path) -> Path:
    """The manifest file beside ``output``."""
    p = Path(output)
    return p.with_name(p.name + MANIFEST_SUFFIX)


def file_sha256(path: str | Path) -> str:
    """The SHA-256 of the file at ``path``, in hexadecimal."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(_CHUNK):
            digest.update(block)
    return digest.hexdigest()


def manifest_time() -> dt.datetime:
    """The time a manifest records: ``SOURCE_DATE_EPOCH`` when set (UTC), else now.

    Raises :class:`CareProfilesError` when ``SOURCE_DATE_EPOCH`` is not a whole number."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch is None or not epoch.strip():
        return dt.datetime.now(dt.UTC).replace(microsecond=0)
    try:
        seconds = int(epoch.strip())
        return dt.datetime.fromtimestamp(seconds, dt.UTC)
    except (ValueError, OverflowError, OSError):
        raise CareProfilesError(
            f"SOURCE_DATE_EPOCH: {epoch!r} is not a time in seconds since 1970; set it to a "
            "whole number (e.g. $(git log -1 --format=%ct)) or unset it"
        ) from None


def input_path(path: str | Path) -> str:
    """How a manifest names where an input is: relative to the working folder (with
    ``..`` when outside it), or ``bundled:`` and its path among the bundled profiles."""
    full = Path(os.path.abspath(path))
    for prefix, root in ((BUNDLED_PREFIX, bundled_profiles()), (PACKAGE_PREFIX, _PACKAGE)):
        try:
            return prefix + full.resolve().relative_to(root.resolve()).as_posix()
        except (ValueError, OSError):
            continue
    try:
        return Path(os.path.relpath(full, Path.cwd())).as_posix()
    except ValueError:  # another drive (Windows): the file name is all there is
        return full.name


def resolve_input(recorded: str) -> Path:
    """The file a manifest's ``path`` names (see :func:`input_path`)."""
    if recorded.startswith(BUNDLED_PREFIX):
        return bundled_profiles() / recorded[len(BUNDLED_PREFIX) :]
    if recorded.startswith(PACKAGE_PREFIX):
        return _PACKAGE / recorded[len(PACKAGE_PREFIX) :]
    return Path(recorded)


def _versions() -> dict[str, str]:
    import numpy
    import pandas

    from careprofiles import __version__

    return {
        "careprofiles": __version__,
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "pandas": pandas.__version__,
    }


def build_manifest(
    inputs: Iterable[tuple[str, str | Path]],
    argv: Sequence[str],
    *,
    seed: int | None = None,
    draws: int | None = None,
    price_year: str | None = None,
    when: dt.datetime | None = None,
) -> dict[str, Any]:
    """The manifest of a run: ``inputs`` as (role, path) in the order they were read
    (each file once: its first role), ``argv`` the command line after ``careprofiles``.

    Arguments that are absolute paths are recorded relative to the working folder."""
    versions = _versions()
    files: list[dict[str, str]] = []
    seen: set[str] = set()
    for role, path in inputs:
        key = os.path.realpath(path)
        if key in seen:
            continue
        seen.add(key)
        files.append(
            {
                "role": role,
                "name": document_name(path),
                "path": input_path(path),
                "sha256": file_sha256(path),
            }
        )
    moment = when or manifest_time()
    return {
        "careprofiles": versions["careprofiles"],
        "command": ["careprofiles", *(_relative_argument(a) for a in argv)],
        "inputs": files,
        "price_year": price_year,
        "seed": seed,
        "draws": draws,
        "python": versions["python"],
        "numpy": versions["numpy"],
        "pandas": versions["pandas"],
        "time": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def _relative_argument(arg: str) -> str:
    """A command-line argument, with an absolute path made relative (``--x=/a/b`` too)."""
    option, sep, value = arg.partition("=") if arg.startswith("--") else ("", "", arg)
    if os.path.isabs(value):
        value = input_path(value)
    return f"{option}{sep}{value}"


def manifest_json(manifest: dict[str, Any]) -> str:
    """The manifest as the text of a ``FILE.manifest.json``."""
    return to_json(manifest)


def document_command(command: Sequence[str]) -> str:
    """The command line as documents show it: every path by its file name (``-o
    ../reports/c.docx`` as ``-o c.docx``), so that no machine path is printed; the
    manifest itself keeps the paths, for ``careprofiles verify``."""

    def shown(arg: str) -> str:
        option, equals, value = arg.partition("=")
        if equals and option.startswith("--"):
            return f"{option}={shown(value)}"
        if "/" in arg or os.sep in arg:
            return Path(arg).name or arg
        return arg

    return " ".join(shown(a) for a in command)


def manifest_lines(manifest: dict[str, Any]) -> list[tuple[str, str]]:
    """The manifest's facts other than its inputs, as (what, value) for documents."""
    rows = [
        ("careprofiles", str(manifest["careprofiles"])),
        ("command", document_command(manifest["command"])),
    ]
    for key in ("price_year", "seed", "draws"):
        if manifest.get(key) is not None:
            rows.append((key.replace("_", " "), str(manifest[key])))
    versions = ", ".join(f"{k} {manifest[k]}" for k in ("python", "numpy", "pandas"))
    rows += [("versions", versions), ("time", str(manifest["time"]))]
    return rows


ABOUT_HEADING = "About this document"


def manifest_markdown(manifest: dict[str, Any], level: int = 2) -> str:
    """The closing "About this document" section, in Markdown: what made the document,
    every input by name and SHA-256, and ``careprofiles verify`` to check it."""
    facts = "\n".join(
        f"- **{what}**: `{value}`"
        if "`" not in value
        else f"- **{what}**: {markdown_escape(value)}"
        for what, value in manifest_lines(manifest)
    )
    table = markdown_table(
        [[f["role"], f["name"], f["sha256"]] for f in manifest["inputs"]],
        ["input", "file", "SHA-256"],
        align="lll",
    )
    return (
        f"{'#' * level} {ABOUT_HEADING}\n\n"
        "This document was made by careprofiles from the inputs below. To check that none "
        "of them has changed and that a fresh run gives the same figures, run "
        "`careprofiles verify` on this file in the folder the command was run in.\n\n"
        f"{facts}\n\n{table}\n"
    )
