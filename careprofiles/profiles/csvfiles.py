"""The one reader of the format's CSV files, and the rules every such file shares.

Tariffs, price indices, tariff uncertainty, populations and practice assessments are all
read by :func:`read_csv`: the file's text (size-limited, UTF-8, a regular file:
:mod:`~careprofiles.profiles.inputs`), each row with the line it
starts on, and its header checked against the columns its kind requires and allows (a
missing one is a problem with code ``"missing-column"``). The rules shared with the YAML
files are defined here once: the id pattern (:data:`ID_PATTERN`), financial years
(:func:`is_price_year`) and numbers in text (:func:`parse_number`).

Each kind of file words the problems of its layout as it always has (a
:class:`CsvDialect`); most use :data:`TABLE`.

Imports: careprofiles.errors, profiles.inputs (the bounded file reader).
"""

from __future__ import annotations

import csv
import difflib
import io
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from careprofiles.errors import Problem, TariffError, ValidationError
from careprofiles.profiles.inputs import a_what as article, input_name, read_input_bytes

__all__ = [
    "ID_PATTERN",
    "MAX_CSV_BYTES",
    "PRICE_YEAR_PATTERN",
    "TABLE",
    "CsvDialect",
    "CsvTable",
    "is_id",
    "is_price_year",
    "parse_number",
    "price_year_problem",
    "read_csv",
    "read_csv_rows",
]

ID_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
"""Ids and codes: lower-case letters and digits, in words joined by single '-'."""
PRICE_YEAR_PATTERN = r"^(\d{4})/(\d{2})$"
"""A financial year as written: ``2024/25`` (the second year must follow the first)."""
MAX_CSV_BYTES = 50 * 1024 * 1024
"""The largest CSV file read, in bytes."""

_ID = re.compile(ID_PATTERN)
_PRICE_YEAR = re.compile(PRICE_YEAR_PATTERN)


def is_id(text: str) -> bool:
    """Whether ``text`` is a valid id or code (:data:`ID_PATTERN`)."""
    return _ID.match(text) is not None


def is_price_year(text: str) -> bool:
    """Whether ``text`` is a financial year such as ``2024/25`` (one year, then the next)."""
    m = _PRICE_YEAR.match(text)
    return m is not None and (int(m.group(1)) + 1) % 100 == int(m.group(2))


def price_year_problem(text: str) -> str | None:
    """Why the cell ``text`` is not a financial year, or ``None`` if it is one."""
    if is_price_year(text):
        return None
    return f"{text!r} is not a financial year; write it as 2024/25"


def parse_number(text: str) -> float | str:
    """The finite number in the cell ``text``, or the reason it is not one."""
    if text == "":
        return "is empty; give a number"
    try:
        x = float(text)
    except ValueError:
        hint = "write digits only, e.g. 1234.50"
        if any(ch in text for ch in "£$,"):
            hint = "write it without '£' or thousands separators, e.g. 1234.50"
        return f"{text!r} is not a number; {hint}"
    if not math.isfinite(x):
        return f"{text!r} is not a finite number"
    return x


@dataclass(frozen=True, slots=True)
class CsvDialect:
    """How a kind of CSV file is read, and how it words the problems of its layout.

    The defaults are :data:`TABLE`'s. Templates are filled with ``str.format``: ``{what}``
    and ``{a_what}`` (the kind of file, with its article), ``{size}`` and ``{limit}``
    (bytes), ``{error}`` (the csv module's), ``{fields}`` and ``{columns}`` (counts),
    ``{missing}`` (the missing columns), ``{s}`` (``"s"`` when more than one),
    ``{needs}`` (the required columns, ", "-separated) and ``{header}`` (","-separated).
    """

    too_large: str = "the file is {size:,} bytes; more than {limit:,} allowed"
    empty: str = "the file is empty; {a_what} starts with a header line"
    unreadable_header: str | None = "cannot read the header ({error})"
    """``None``: a header the csv module cannot read is reported as any such line."""
    unreadable_line: str = "cannot read the line ({error})"
    ragged: str = (
        "{fields} fields, but the header has {columns}; quote any value that holds a comma"
    )
    header_where: str = "header"
    """The ``where`` of the header's problems."""
    missing: str = "missing column {missing}; the header needs {needs}"
    columns_are: str = "; columns are {allowed}"
    """The hint after an unknown column when no known column is close to it."""
    lower_header: bool = False
    """Read column names in lower case."""
    blank_lines_before_header: bool = False
    """Skip blank lines before the header (otherwise the first line is the header)."""
    strict_quotes: bool = False
    """Refuse a quote inside an unquoted cell, or text after a closing quote."""
    stop_at_bad_line: bool = False
    """A line the csv module cannot read makes the file unreadable (otherwise the rows
    above it are kept, and it is reported with the other problems)."""
    grouped: bool = False
    """Report each repeated column once, then the unknown columns, then the missing ones
    (otherwise: the missing columns, then each column's problems in header order)."""


TABLE = CsvDialect()
"""Tariffs, price indices, tariff uncertainty and populations: small tables."""


@dataclass(frozen=True, slots=True)
class CsvTable:
    """A CSV file as read: its header, its rows with their lines, and its problems."""

    name: str
    """The file as users should read it."""
    readable: bool
    """False when the file could not be read as CSV at all (``problems`` says why)."""
    header: tuple[str, ...] = ()
    """The column names, stripped (and in lower case if the dialect says so)."""
    header_line: int | None = None
    header_problems: list[Problem] = field(default_factory=list)
    """Missing (code ``"missing-column"``), unknown and repeated columns."""
    rows: list[list[str]] = field(default_factory=list)
    """The non-blank rows with as many cells as the header, as written."""
    lines: list[int] = field(default_factory=list)
    """The line each of ``rows`` starts on."""
    row_problems: list[Problem] = field(default_factory=list)
    """Rows with too few or too many cells; a line that cannot be read; or why the file
    cannot be read at all."""

    @property
    def problems(self) -> list[Problem]:
        """Every problem: the header's, then the rows'."""
        return [*self.header_problems, *self.row_problems]

    @property
    def has_columns(self) -> bool:
        """True when no required column is missing (the rows can be read by name)."""
        return self.readable and not any(p.code == "missing-column" for p in self.header_problems)

    def records(self) -> list[tuple[int, dict[str, str]]]:
        """``(line, {column: stripped cell})`` for each row."""
        header = self.header
        return [
            (line, {h: v.strip() for h, v in zip(header, values, strict=True)})
            for line, values in zip(self.lines, self.rows, strict=True)
        ]


def read_csv(
    path: str | Path,
    *,
    required: tuple[str, ...],
    optional: tuple[str, ...] = (),
    what: str = "CSV file",
    dialect: CsvDialect = TABLE,
) -> CsvTable:
    """Read a CSV file with the line of each row; never raises for a bad file.

    ``what`` names the kind of file in messages ("tariff file"). A file that cannot be
    read (missing, a folder, too large, not UTF-8, empty, or not CSV) gives a table that
    is not :attr:`~CsvTable.readable`, with one problem saying why.
    """
    p = Path(path)
    name = input_name(p)
    a_what = article(what)

    def unreadable(line: int | None, message: str) -> CsvTable:
        return CsvTable(name, False, row_problems=[Problem(name, line, "", message)])

    try:
        raw = read_input_bytes(p, what, MAX_CSV_BYTES, too_large=dialect.too_large)
    except ValidationError as exc:
        return CsvTable(name, False, row_problems=list(exc.problems))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return unreadable(
            line, "the file is not UTF-8 text; save it as UTF-8 (in Excel: 'CSV UTF-8')"
        )
    reader = csv.reader(io.StringIO(text, newline=""), strict=dialect.strict_quotes)
    cells = _rows(reader)
    empty = dialect.empty.format(a_what=a_what, header=",".join(required))
    try:
        found = next(cells, None)
        while dialect.blank_lines_before_header and found is not None and _blank(found[1]):
            found = next(cells, None)
    except csv.Error as exc:
        if dialect.unreadable_header is None:
            return unreadable(reader.line_num, dialect.unreadable_line.format(error=exc))
        return unreadable(1, dialect.unreadable_header.format(error=exc))
    if found is None:
        return unreadable(None, empty)
    header_line, header_cells = found
    header = tuple(h.strip().lower() if dialect.lower_header else h.strip() for h in header_cells)
    rows: list[list[str]] = []
    lines: list[int] = []
    row_problems: list[Problem] = []
    try:
        for line, values in cells:
            if _blank(values):
                continue
            if len(values) != len(header):
                message = dialect.ragged.format(fields=len(values), columns=len(header))
                row_problems.append(Problem(name, line, "", message))
                continue
            rows.append(values)
            lines.append(line)
    except csv.Error as exc:
        problem = Problem(name, reader.line_num, "", dialect.unreadable_line.format(error=exc))
        if dialect.stop_at_bad_line:
            return CsvTable(name, False, row_problems=[problem])
        row_problems.append(problem)
    header_problems = _check_header(name, header, header_line, required, optional, dialect)
    return CsvTable(name, True, header, header_line, header_problems, rows, lines, row_problems)


def _rows(reader: Iterator[list[str]]) -> Iterator[tuple[int, list[str]]]:
    """Each row with the line it starts on (a quoted cell may span lines)."""
    end = 0
    for values in reader:
        yield end + 1, values
        end = reader.line_num  # type: ignore[attr-defined]


def _blank(values: list[str]) -> bool:
    return not any(v.strip() for v in values)


def _check_header(
    name: str,
    header: tuple[str, ...],
    line: int,
    required: tuple[str, ...],
    optional: tuple[str, ...],
    dialect: CsvDialect,
) -> list[Problem]:
    """Missing, unknown and repeated columns."""
    allowed = (*required, *optional)
    where = dialect.header_where
    out: list[Problem] = []
    missing_columns = [c for c in required if c not in header]
    missing = []
    if missing_columns:
        message = dialect.missing.format(
            missing=", ".join(missing_columns),
            s="s" if len(missing_columns) > 1 else "",
            needs=", ".join(required),
            header=",".join(required),
        )
        missing.append(Problem(name, line, where, message, code="missing-column"))

    def repeated(column: str) -> Problem:
        message = f"column {column!r} appears twice; keep one"
        return Problem(name, line, where, message, code="duplicate-id")

    def unknown(column: str) -> Problem:
        close = difflib.get_close_matches(column, list(allowed), n=1)
        hint = (
            f"; did you mean {close[0]!r}?"
            if close
            else dialect.columns_are.format(allowed=", ".join(allowed))
        )
        return Problem(name, line, where, f"unknown column {column!r}{hint}")

    if dialect.grouped:
        seen: set[str] = set()
        twice: list[str] = []  # in the order of their second use
        for column in header:
            if column in seen and column not in twice:
                twice.append(column)
            seen.add(column)
        out.extend(repeated(c) for c in twice)
        out.extend(unknown(c) for c in header if c not in allowed)
        return out + missing
    seen = set()
    for column in header:
        if column in seen:
            out.append(repeated(column))
        seen.add(column)
        if column not in allowed:
            out.append(unknown(column))
    return missing + out


def read_csv_rows(
    path: str | Path,
    *,
    required: tuple[str, ...],
    optional: tuple[str, ...],
    error: type[Exception] = TariffError,
    what: str = "CSV file",
) -> tuple[str, list[tuple[int, dict[str, str]]], list[Problem]]:
    """Read a small table (:data:`TABLE`) with exact line numbers.

    Returns the file's display name, its rows as ``(line, {column: stripped cell})`` and
    the problems of its header and rows (a new list, to add to). When a required column
    is missing (a problem with code ``"missing-column"``) no rows are given: they cannot
    be read by name. Raises ``error`` (a
    :class:`~careprofiles.errors.ValidationError`) if the file cannot be read at all.
    """
    table = read_csv(path, required=required, optional=optional, what=what)
    if not table.readable:
        raise error(table.problems)
    return table.name, table.records() if table.has_columns else [], table.problems
