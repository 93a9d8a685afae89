"""Loading a standards framework: :func:`load_framework` and the checks it makes.

A framework file (``format: careprofiles-standards/1``) is read with its lines, checked
for repeated standard and criterion ids (each reported at the line of its second use,
code ``duplicate-id``) and validated as a :class:`~.models.Framework`; every problem is
raised at once in one :class:`StandardsError`. :func:`read_standards_yaml` is the YAML
reading both kinds of standards file share (assessment files too, in :mod:`.assessments`).

Imports: resources, errors, profiles (the bounded input reader, the YAML reader, validation),
standards.models.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from careprofiles import resources
from careprofiles.errors import Problem, StandardsError, ValidationError, display_path
from careprofiles.profiles.inputs import read_input_bytes
from careprofiles.profiles.reader import MAX_BYTES, LineDict, LineList, read_yaml
from careprofiles.profiles.validation import duplicate_ids, sort_problems, validate_model
from careprofiles.standards.models import IDS_REPORTED, Framework

__all__ = ["bundled_framework", "load_framework", "read_standards_yaml"]

_YAML_DATE = re.compile(r"(?<![\w.-])(\d{4})-(\d{1,2})-(\d{1,2})(?![\w.:-])")


def bundled_framework() -> Path:
    """The bundled framework file, ``profiles/standards/framework.yaml``."""
    return resources.bundled_profiles() / "standards" / "framework.yaml"


def read_standards_yaml(path: Path, what: str) -> tuple[LineDict, list[Problem]]:
    """``read_yaml``, turning PyYAML's bare ValueError on impossible dates into a problem."""
    try:
        return read_yaml(path, error=StandardsError, what=what)
    except StandardsError:
        raise
    except (ValueError, TypeError, OverflowError) as exc:
        # PyYAML reads 2023-13-01 as a date and fails building it, without a line.
        raise StandardsError(
            [
                Problem(
                    display_path(path),
                    _impossible_date_line(path),
                    "",
                    f"a date is not a real date ({exc}); write dates as YYYY-MM-DD",
                )
            ]
        ) from None


def _impossible_date_line(path: Path) -> int | None:
    try:
        text = read_input_bytes(path, "standards file", MAX_BYTES).decode("utf-8-sig")
    except (StandardsError, ValidationError, UnicodeDecodeError):  # pragma: no cover
        return None  # read_yaml checked these
    for number, line in enumerate(text.splitlines(), start=1):
        for m in _YAML_DATE.finditer(line.split("#", 1)[0]):
            try:
                date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError:
                return number
    return None


def load_framework(path: str | Path | None = None) -> Framework:
    """Load and validate a standards framework (``None``: the bundled framework).

    Raises :class:`StandardsError` listing every problem in the file.
    """
    file = bundled_framework() if path is None else Path(path)
    name = display_path(file)
    raw, problems = read_standards_yaml(file, "standards framework")
    if "programme" in raw and "standards" not in raw:
        raise StandardsError(
            [
                Problem(
                    name,
                    None,
                    "",
                    "this is a facilitation programme, not a standards framework; "
                    "give it with --programme, and the framework with --framework",
                )
            ]
        )
    if "practice" in raw and "standards" not in raw:
        raise StandardsError(
            [
                Problem(
                    name,
                    None,
                    "",
                    "this is a practice's assessments, not a standards framework; "
                    "give it as an ASSESSMENT, and the framework with --framework",
                )
            ]
        )
    duplicates = _duplicate_framework_ids(raw, name)
    mine: list[Problem] = []
    # The models refuse repeated ids too (frameworks built in memory), but without the
    # line of each use: when the file's check has reported some, the models skip theirs.
    context = {IDS_REPORTED: bool(duplicates)}
    framework = validate_model(Framework, raw, name, mine, **context)
    problems = sort_problems(problems + duplicates + mine)
    if problems or framework is None:
        raise StandardsError(problems)
    return framework


def _duplicate_framework_ids(raw: LineDict, name: str) -> list[Problem]:
    """Repeated standard ids, and criterion ids repeated anywhere in the framework, each
    at the line of its second use, standard by standard."""
    standards = raw.get("standards")
    if not isinstance(standards, LineList):
        return []
    repeated = {p.where: p for p in duplicate_ids(standards, "standards", name, "standard")}
    out: list[Problem] = []
    criteria: dict[str, str] = {}  # one for all the standards: criterion ids are unique across them
    for i, standard in enumerate(standards):
        if not isinstance(standard, LineDict):
            continue
        if (problem := repeated.get(f"standards[{i}].id")) is not None:
            out.append(problem)
        out += duplicate_ids(
            standard.get("criteria"),
            f"standards[{i}].criteria",
            name,
            "criterion",
            seen=criteria,
            fix="criterion ids must be unique across the whole framework",
        )
    return out
