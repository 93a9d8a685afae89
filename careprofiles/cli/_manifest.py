"""The command line's side of the reproducibility manifest: which files a command read
(from its options), the manifest of the run, put inside ``-o FILE`` where the format has
a place for it (:func:`with_run_manifest`), and beside every other file the command
writes (:func:`add_sidecars`, called when the command has done its work, before its files
are put in place: a file and its manifest appear together, or neither does).

Imports: errors, resources, outputs.files; inside its functions (so that a command
that writes no file imports nothing heavy): profiles (the pathway file's stage list),
outputs.manifest, outputs.manifest_formats, specification, standards.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from careprofiles.outputs.files import Content, OutputBatch
from careprofiles.resources import BUNDLED, bundled_index, bundled_tariff

__all__ = ["MANIFEST_COMMANDS", "add_sidecars", "input_files", "run_manifest", "with_run_manifest"]

MANIFEST_COMMANDS = frozenset(
    {"cost", "compare", "simulate", "sensitivity", "spec", "standards", "audit", "benchmark"}
)
"""The commands whose output files carry a manifest."""

_CACHE = "_careprofiles_manifest"


def _bundled_or(value: str, bundled: Path) -> Path:
    return bundled if value == BUNDLED and not os.path.lexists(value) else Path(value)


def _files_in(path: Path) -> Iterator[Path]:
    """``path``, or every file under it (a folder: a Parquet dataset), in name order."""
    if path.is_dir():
        yield from sorted(p for p in path.rglob("*") if p.is_file())
    elif path.is_file():
        yield path


def _pathway_files(given: str | None) -> Iterator[tuple[str, Path]]:
    from careprofiles.profiles.load import pathway_file

    file = pathway_file(given)
    if not file.is_file():
        return
    yield "pathway", file
    for stage in _stage_names(file):
        stage_file = file.parent / stage
        if stage_file.is_file():
            yield "stage", stage_file


def _stage_names(file: Path) -> list[str]:
    from careprofiles.errors import CareProfilesError
    from careprofiles.profiles.reader import read_yaml

    try:
        raw, _ = read_yaml(file, what="pathway file")
    except CareProfilesError:  # pragma: no cover - the command has read it already
        return []
    stages = raw.get("stages") if isinstance(raw, dict) else None
    return [s for s in stages if isinstance(s, str)] if isinstance(stages, list) else []


def _price_year(args: argparse.Namespace) -> str | None:
    if getattr(args, "command", None) == "standards":
        return None
    from careprofiles.errors import CareProfilesError
    from careprofiles.profiles.load import pathway_file
    from careprofiles.profiles.reader import read_yaml

    try:
        raw, _ = read_yaml(pathway_file(getattr(args, "pathway", None)), what="pathway file")
    except CareProfilesError:  # pragma: no cover - the command has read it already
        return None
    year = raw.get("price_year") if isinstance(raw, dict) else None
    return str(year) if year is not None else None


def input_files(args: argparse.Namespace) -> list[tuple[str, Path]]:
    """Every file the command's options name, as (role, path), in the order the command
    reads them: pathway and stage files, tariffs in layer order, index, scenarios,
    tariff uncertainty, template and header, framework, assessments and programme,
    activity, outcomes, populations."""
    files: list[tuple[str, Path]] = []
    command = getattr(args, "command", None)
    if command != "standards":
        files += _pathway_files(getattr(args, "pathway", None))
    if hasattr(args, "tariff") and (command != "standards" or args.programme):
        for tariff in args.tariff or [BUNDLED]:
            files.append(("tariff", _bundled_or(tariff, bundled_tariff())))
        if args.index:
            files.append(("index", _bundled_or(args.index, bundled_index())))
    for option, role in (("scenarios", "scenarios"), ("uncertainty", "uncertainty")):
        if value := getattr(args, option, None):
            files.append((role, Path(value)))
    if command == "spec":
        from careprofiles.specification.render import TEMPLATE_DIR, find_template

        template = find_template(args.template).path
        files.append(("template", template))
        # what it may include or extend: the templates beside it (and the shipped ones)
        for folder in dict.fromkeys([template.parent, TEMPLATE_DIR]):
            files += [("template", f) for f in sorted(folder.glob("*.j2")) if f != template]
        if args.header:
            files.append(("header", Path(args.header)))
    if command == "standards":
        from careprofiles.standards.framework import bundled_framework

        files.append(("framework", Path(args.framework) if args.framework else bundled_framework()))
        for given in args.assessments:
            path = Path(given)
            if path.is_dir():  # the files load_assessments reads in a folder
                kinds = (".yaml", ".yml", ".csv")
                files += [
                    ("assessment", f) for f in sorted(path.iterdir()) if f.suffix.lower() in kinds
                ]
            else:
                files.append(("assessment", path))
        if getattr(args, "programme", None):
            files.append(("programme", Path(args.programme)))
        if getattr(args, "pathway", None):  # the pathway --outcomes are checked against
            files += _pathway_files(args.pathway)
    for option in ("activity", "outcomes", "populations"):
        if value := getattr(args, option, None):
            files += [(option, f) for f in _files_in(Path(value))]
    return [(role, path) for role, path in files if path.is_file()]


def run_manifest(args: argparse.Namespace) -> dict[str, Any]:
    """The manifest of this run (built once, when the first output is written)."""
    cached: dict[str, Any] | None = getattr(args, _CACHE, None)
    if cached is None:
        from careprofiles.outputs.manifest import build_manifest

        cached = build_manifest(
            input_files(args),
            getattr(args, "argv", None) or [],
            seed=getattr(args, "seed", None),
            draws=getattr(args, "draws", None),
            price_year=_price_year(args),
        )
        setattr(args, _CACHE, cached)
    return cached


def _wants_manifest(args: argparse.Namespace) -> bool:
    return getattr(args, "command", None) in MANIFEST_COMMANDS and hasattr(args, "argv")


def with_run_manifest(args: argparse.Namespace, fmt: str, content: Content) -> Content:
    """``content`` for ``-o FILE``, with the run's manifest inside where ``fmt`` has a
    place for it (and unchanged otherwise: :func:`add_sidecars` writes it beside)."""
    if not _wants_manifest(args):
        return content
    from careprofiles.outputs.manifest_formats import EMBEDDED, with_manifest

    if fmt not in EMBEDDED:
        return content
    args.embedded_output = args.output
    return with_manifest(content, fmt, run_manifest(args))


def add_sidecars(args: argparse.Namespace, batch: OutputBatch) -> None:
    """A ``FILE.manifest.json`` beside each file of the run that does not carry its
    manifest inside, written into the same batch (after the file)."""
    if not _wants_manifest(args):
        return
    from careprofiles.outputs.manifest import manifest_json, sidecar_path

    embedded = getattr(args, "embedded_output", None)
    for target in batch.targets():
        if embedded is not None and os.path.abspath(target) == os.path.abspath(embedded):
            continue
        manifest = {"output": target.name, **run_manifest(args)}
        sidecar = sidecar_path(target)
        batch.add(sidecar, manifest_json(manifest), force=True)  # it belongs to its file
