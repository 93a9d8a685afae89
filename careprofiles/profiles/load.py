"""Read a pathway folder (``pathway.yaml`` and its stage files) into a :class:`Pathway`.

Every problem in every file is collected and raised once, as a :class:`ProfileError`
whose lines read ``path:line: key.path: what is wrong; how to fix``.

Imports: careprofiles.errors, resources; profiles.inputs, models, reader, validation.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from careprofiles.errors import Problem, ProfileError, display_path
from careprofiles.profiles.inputs import LINK_LOOP, NOT_A_FILE, refusal
from careprofiles.profiles.models import Pathway, PathwayFile, Stage
from careprofiles.profiles.reader import LineDict, LineList, line_of, read_yaml
from careprofiles.profiles.validation import duplicate_ids, sort_problems, validate_model
from careprofiles.resources import bundled_pathway

__all__ = ["load_pathway", "load_stage", "pathway_file"]

PATHWAY_FILE = "pathway.yaml"
_GIVE_PATHWAY = "give a pathway folder (holding pathway.yaml) or its pathway.yaml"


def pathway_file(path: str | Path | None = None) -> Path:
    """The ``pathway.yaml`` for ``path``: a pathway folder or the file itself (None: bundled)."""
    p = bundled_pathway() if path is None else Path(path)
    return p / PATHWAY_FILE if p.is_dir() else p


def load_stage(path: str | Path) -> Stage:
    """Load one stage's care profile from a YAML file."""
    problems: list[Problem] = []
    stage, raw = _read_stage(Path(path), problems)
    if problems or stage is None:
        if raw is not None and (key := _only_key(raw, ("stages", "cohort"), "services")):
            raise ProfileError.one(
                path,
                raw.key_lines.get(key, raw.line),
                "",
                f"this looks like a pathway file (it has '{key}:' and no 'services:'), not a "
                "stage's care profile; load it with load_pathway, or give one of the stage "
                "files it lists",
            )
        raise ProfileError(problems)
    return stage


def _only_key(raw: LineDict, keys: tuple[str, ...], absent: str) -> str | None:
    """The first of ``keys`` that ``raw`` has, if it has no ``absent`` key (else None).

    A file with one of ``keys`` and without ``absent`` is the other kind of file: a stage's
    care profile given as a pathway, or a pathway file given as a stage.
    """
    if absent in raw:
        return None
    return next((key for key in keys if key in raw), None)


def _read_stage(path: Path, problems: list[Problem]) -> tuple[Stage | None, LineDict | None]:
    """The stage in ``path`` (None if it has problems, which are appended) and its raw data."""
    try:
        raw, found = read_yaml(path, error=ProfileError, what="care profile")
    except ProfileError as exc:
        problems.extend(exc.problems)
        return None, None
    name = display_path(path)
    duplicates = _duplicate_ids(raw, name)
    mine: list[Problem] = []
    stage = validate_model(Stage, raw, name, mine)
    if duplicates:
        mine = [p for p in mine if p.code != "duplicate-id"]  # said better, at their lines
    problems.extend(sort_problems(found + duplicates + mine))
    return (stage if not (found or duplicates or mine) else None), raw


def _duplicates_across_stages(read: list[tuple[str, LineDict]]) -> list[Problem]:
    """Stage ids, and outcome ids, used in more than one stage file.

    Each repeat is reported at the line of its ``id:`` in the later file, naming the
    ``file:line`` of the first use (repeats within one file are found by the stage's own
    validation).
    """
    out: list[Problem] = []
    stage_ids: dict[str, str] = {}
    outcome_ids: dict[str, str] = {}
    for name, raw in read:
        ident = raw.get("id")
        if isinstance(ident, str):
            here = f"{name}:{line_of(raw, ('id',))}"
            if ident in stage_ids:
                out.append(
                    Problem(
                        name,
                        line_of(raw, ("id",)),
                        "id",
                        f"stage id {ident!r} is also the id of the stage in {stage_ids[ident]}; "
                        "give each stage an id of its own",
                        code="duplicate-id",
                    )
                )
            else:
                stage_ids[ident] = here
        outcomes = raw.get("outcomes")
        if not isinstance(outcomes, LineList):
            continue
        mine: set[str] = set()
        for i, entry in enumerate(outcomes):
            oid = entry.get("id") if isinstance(entry, dict) else None
            if not isinstance(oid, str) or oid in mine:
                continue
            mine.add(oid)
            line = line_of(outcomes, (i, "id"))
            if oid in outcome_ids:
                out.append(
                    Problem(
                        name,
                        line,
                        f"outcomes[{i}].id",
                        f"outcome id {oid!r} is also used in {outcome_ids[oid]}; outcome ids "
                        "are unique within the pathway: rename one of them",
                        code="duplicate-id",
                    )
                )
            else:
                outcome_ids[oid] = f"{name}:{line}"
    return out


def _duplicate_ids(raw: LineDict, name: str) -> list[Problem]:
    """Repeated service or outcome ids, each at the line of its second use."""
    return [p for key in ("services", "outcomes") for p in duplicate_ids(raw.get(key), key, name)]


def load_pathway(path: str | Path | None = None) -> Pathway:
    """Load and validate a pathway.

    ``path`` is a pathway folder holding ``pathway.yaml``, or that file; ``None`` loads
    the bundled default adult end-of-life pathway. Raises :class:`ProfileError` listing
    every problem in every file.
    """
    file = pathway_file(path)
    name = display_path(file)
    if path is not None and "\0" not in str(file) and not os.path.lexists(file):
        given = Path(path)
        if not given.exists():
            raise ProfileError.one(given, None, "", f"no such file or folder; {_GIVE_PATHWAY}")
        raise ProfileError.one(file, None, "", f"no such file; {_GIVE_PATHWAY}")
    raw, problems = read_yaml(file, error=ProfileError, what="pathway file")
    key = _only_key(raw, ("services", "duration_weeks"), "stages")
    if key is not None:
        beside = file.parent / PATHWAY_FILE
        give = (
            f"give the pathway folder or its pathway.yaml (next to this file: "
            f"{display_path(beside)})"
            if beside.is_file() and not beside.samefile(file)
            else _GIVE_PATHWAY
        )
        raise ProfileError.one(
            file,
            raw.key_lines.get(key, raw.line),
            "",
            f"this looks like a stage's care profile (it has '{key}:' and no 'stages:'), "
            f"not a pathway file; {give}",
        )
    header = validate_model(PathwayFile, raw, name, problems)
    folder = file.parent.resolve()
    stage_names = raw.get("stages")
    stages: list[Stage] = []
    read: list[tuple[str, LineDict]] = []
    if isinstance(stage_names, list):
        seen: dict[Path, int] = {}
        for i, entry in enumerate(stage_names):
            line = stage_names.item_lines[i]  # type: ignore[attr-defined]
            stage_path = _stage_path(entry, folder, name, line, i, problems)
            if stage_path is None:
                continue
            if stage_path in seen:
                problems.append(
                    Problem(
                        name,
                        line,
                        f"stages[{i}]",
                        f"{entry!r} is listed twice (also stages[{seen[stage_path]}]); "
                        "list each stage file once",
                        code="duplicate-id",
                    )
                )
                continue
            seen[stage_path] = i
            stage, stage_raw = _read_stage(stage_path, problems)
            if stage is not None:
                stages.append(stage)
            if stage_raw is not None:
                read.append((display_path(stage_path), stage_raw))
    problems.extend(_duplicates_across_stages(read))
    if problems or header is None:
        raise ProfileError(sort_problems(problems))
    data: dict[str, Any] = dict(header)
    data["stages"] = stages
    pathway_raw = LineDict(raw.line)
    pathway_raw.update(data)
    pathway_raw.key_lines.update(raw.key_lines)
    pathway = validate_model(Pathway, pathway_raw, name, problems, folder=folder)
    if problems or pathway is None:
        raise ProfileError(problems)
    return pathway


def _stage_path(
    entry: Any, folder: Path, name: str, line: int, i: int, problems: list[Problem]
) -> Path | None:
    where = f"stages[{i}]"
    if not isinstance(entry, str):
        return None  # reported by the validation of pathway.yaml
    if not entry.strip():
        problems.append(
            Problem(
                name,
                line,
                where,
                f"{entry!r} is not a file name; give a stage file such as last-days.yaml",
            )
        )
        return None
    if "\0" in entry:
        problems.append(
            Problem(
                name,
                line,
                where,
                f"stage file name {entry!r} holds a NUL byte, which no file name can; "
                "check the name",
                code=NOT_A_FILE,
            )
        )
        return None
    try:
        target = (folder / entry).resolve()
    except (RuntimeError, OSError):  # RuntimeError: a symbolic link loop (Python < 3.13)
        problems.append(
            Problem(
                name,
                line,
                where,
                f"stage file {entry!r} {LINK_LOOP.text}; give the stage's YAML file",
                code=NOT_A_FILE,
            )
        )
        return None
    if Path(entry).is_absolute() or not target.is_relative_to(folder):
        problems.append(
            Problem(
                name,
                line,
                where,
                f"{entry!r} is outside the pathway folder; keep stage files in the folder "
                "of pathway.yaml (or a sub-folder) and give their relative path",
            )
        )
        return None
    found = refusal(folder / entry)  # not resolved: a link to nothing is said to be one
    if found is not None:
        if found.kind == "missing":
            message = f"stage file {entry!r} does not exist; check the name"
        elif found.kind == "unreadable":
            message = f"stage file {entry!r}: {found.text}"
        else:
            message = f"stage file {entry!r} {found.text}; give the stage's YAML file"
        problems.append(Problem(name, line, where, message, code=found.code))
        return None
    return target
