"""Errors raised by careprofiles.

Every error the library raises on bad input is a :class:`CareProfilesError`, and
also the builtin exception that matches it, so callers may catch either::

    CareProfilesError (Exception)
    ├── ValidationError (+ ValueError)       a file, or a value, breaks the format
    │   ├── ProfileError                     a pathway or care-profile YAML file
    │   ├── TariffError                      a tariff, price-index or uncertainty CSV
    │   ├── ScenarioError                    a scenario file, or applying it
    │   ├── StandardsError                   a standards framework or assessment file
    │   ├── ActivityError                    activity or outcome records
    │   └── TemplateError                    a specification template
    │       └── MissingCodeError (+ LookupError)  a profile names a code no tariff has
    ├── OutputError (+ OSError)              an output file cannot be written
    │   └── OutputExistsError (+ FileExistsError)  it exists already and force is not given
    └── MissingDependencyError (+ ImportError) an optional extra is not installed

Validation errors carry every :class:`Problem` found, each with the file and line
it concerns, and print as one line per problem (the first :data:`MAX_LISTED` of them, then
a line counting the rest)::

    profiles/eol/last-days.yaml:14: services[0].uptake: 1.5 is above 1; a share is between 0 and 1
"""

from __future__ import annotations

import errno as _errno
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "CODES",
    "MAX_LISTED",
    "ActivityError",
    "CareProfilesError",
    "MissingCodeError",
    "MissingDependencyError",
    "OutputError",
    "OutputExistsError",
    "Problem",
    "ProfileError",
    "ScenarioError",
    "StandardsError",
    "TariffError",
    "TemplateError",
    "ValidationError",
    "more_problems",
]


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an input: where it is, and what to do about it."""

    file: str | None
    """The file, as given (``None`` for an in-memory value)."""
    line: int | None
    """1-based line number, or ``None`` when the problem concerns the whole file."""
    where: str
    """The key path (``services[0].uptake``), column or row it concerns; may be empty."""
    message: str
    """What is wrong; how to fix it."""
    code: str = field(default="", compare=False)
    """What kind of problem it is, for programs (``"missing-column"``, ``"duplicate-id"``,
    ...; ``""`` when no code applies): logic tests the code, never the wording of the
    message. The codes that careprofiles itself acts on are listed in :data:`CODES`.
    Two problems are equal when they say the same thing at the same place."""

    def __str__(self) -> str:
        head = ""
        if self.file is not None:
            head = self.file if self.line is None else f"{self.file}:{self.line}"
        parts = [p for p in (head, self.where) if p]
        parts.append(self.message)
        return ": ".join(parts)


CODES: dict[str, str] = {
    "duplicate-key": "a mapping repeats a key (YAML)",
    "duplicate-id": "an id, code or name is given twice where each must be unique",
    "missing-column": "a CSV file lacks a column its format requires",
    "no-tariff-row": "a code is used that no tariff row prices",
    "no-rows": "a table (a tariff, a price index) has a header and no rows",
    "overflow": "a figure is too large to compute (past about 1.8e308, so not a finite "
    "number), or an activity record implausibly large: a number of a profile, tariff or "
    "record is implausibly large",
    "not-a-file": "an input is not a regular file: a folder, FIFO, device, socket, symbolic "
    "link loop or link to nothing, or its name holds a NUL byte",
    "too-large": "an input file is larger than its kind of file may be",
}
"""The problem codes that careprofiles acts on (``Problem.code``), with what each means."""


MAX_LISTED = 50
"""The most problems an error's text lists; the rest are counted (all are in
:attr:`ValidationError.problems`). Activity checks list as many, and count the rest, as
they find them."""


def more_problems(count: int, what: str = "") -> str:
    """The line that counts the ``count`` problems not listed (after :data:`MAX_LISTED`);
    ``what`` names where they are ("activity records")."""
    where = f" in the {what}" if what else ""
    return (
        f"and {count:,} more problems{where}, not listed; fix those above (the same fix "
        "often clears the rest) and run again"
    )


def display_path(path: str | Path) -> str:
    """A path as users should read it: relative to the working folder when inside it.

    A symbolic link is named as given, not by the file it leads to."""
    p = Path(path)
    try:
        full = p.parent.resolve() / p.name if p.name not in ("", "..") else p.resolve()
        return str(full.relative_to(Path.cwd().resolve()))
    except (ValueError, OSError, RuntimeError):  # RuntimeError: a symbolic link loop
        return str(p)


class CareProfilesError(Exception):
    """Base class of every error careprofiles raises on bad input."""


class ValidationError(CareProfilesError, ValueError):
    """Input that breaks the format; :attr:`problems` lists every problem found."""

    def __init__(self, problems: Iterable[Problem] | str) -> None:
        if isinstance(problems, str):
            problems = [Problem(None, None, "", problems)]
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__(self._text())

    def _text(self) -> str:
        if len(self.problems) == 1:
            return str(self.problems[0])
        lines = [f"{len(self.problems):,} problems:"]
        shown = self.problems
        if len(shown) > MAX_LISTED + 1:  # one more fits in the line that would count it
            shown = shown[:MAX_LISTED]
        lines.extend(f"  {p}" for p in shown)
        if len(shown) < len(self.problems):
            lines.append(f"  {more_problems(len(self.problems) - len(shown))}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self._text()

    @classmethod
    def one(
        cls,
        file: str | Path | None,
        line: int | None,
        where: str,
        message: str,
        code: str = "",
    ) -> ValidationError:
        """An error holding one problem."""
        name = None if file is None else display_path(file)
        return cls([Problem(name, line, where, message, code)])


class ProfileError(ValidationError):
    """A pathway or care-profile YAML file breaks the format."""


class TariffError(ValidationError):
    """A tariff, price-index or tariff-uncertainty file is not valid, or cannot price a line."""


class ScenarioError(ValidationError):
    """A scenario file is not valid, or a change cannot be applied."""


class StandardsError(ValidationError):
    """A standards framework or practice assessment file is not valid."""


class ActivityError(ValidationError):
    """Activity or outcome records are not valid for the pathway and tariff."""


class TemplateError(ValidationError):
    """A specification template has a syntax error, an undefined name, or is unsafe."""


class MissingCodeError(TariffError, LookupError):
    """A profile (or activity record) names a tariff code that no tariff file defines."""


class OutputError(CareProfilesError, OSError):
    """An output file cannot be written: its folder is missing or is a file, permission is
    denied, the disk is full, ... :attr:`errno` is the operating system's code, if any."""

    def __init__(self, path: str | Path, message: str, errno: int | None = None) -> None:
        self.path = display_path(path)
        """The output file, as users should read it."""
        super().__init__(f"{self.path}: {message}")
        self.errno = errno


class OutputExistsError(OutputError, FileExistsError):
    """An output file exists already and ``force`` was not given."""

    def __init__(self, path: str | Path) -> None:
        super().__init__(
            path, "the file exists already; pass force=True to overwrite it", _errno.EEXIST
        )


class MissingDependencyError(CareProfilesError, ImportError):
    """An optional dependency (an extra) is needed but not installed."""

    def __init__(self, package: str, extra: str, purpose: str) -> None:
        super().__init__(
            f"{purpose} needs the optional package {package!r}; "
            f"install it with: pip install 'careprofiles[{extra}]'"
        )
