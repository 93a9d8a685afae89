"""Tariffs (unit costs) from CSV files, layered national → local, and price indices.

A tariff file has the columns ``code, unit, cost, price_year`` and optionally
``description, source, hours_per_wte, market_forces``. Several files may be layered:
a later file's row replaces an earlier file's row with the same code. Every row keeps
the ``file:line`` it came from, and every adjustment made to its cost (a price-index
uplift, a market forces factor, a scenario) is recorded in its ``adjustments``.
"""

from __future__ import annotations

import csv
import difflib
import io
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from careprofiles.errors import Problem, TariffError, display_path
from careprofiles.resources import bundled_index, bundled_tariff

__all__ = [
    "DEFAULT_HOURS_PER_WTE",
    "STAFF_UNITS",
    "UNITS",
    "PriceIndex",
    "Tariff",
    "TariffRow",
    "load_price_index",
    "load_tariff",
    "read_csv_rows",
]

UNITS = ("hour", "contact", "day", "week", "item")
"""Units a tariff row may be priced in."""
STAFF_UNITS = ("hour", "contact")
"""Units that can price staff time."""
DEFAULT_HOURS_PER_WTE = 1650.0
"""Productive patient-related hours a year of one whole-time member of staff, by default."""

_REQUIRED = ("code", "unit", "cost", "price_year")
_OPTIONAL = ("description", "source", "hours_per_wte", "market_forces")
_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_PRICE_YEAR = re.compile(r"^(\d{4})/(\d{2})$")
MAX_CSV_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class TariffRow:
    """One unit cost, with where it came from and what was done to it."""

    code: str
    """The code profiles use (a staff role or an item)."""
    unit: str
    """hour, contact, day, week or item."""
    cost: float
    """Pounds per unit, after every adjustment."""
    price_year: str
    """The financial year ``cost`` is in (after any uplift)."""
    description: str = ""
    """What the row prices."""
    source: str = ""
    """Where the figure comes from (a citation, or 'Estimate: ...')."""
    hours_per_wte: float = DEFAULT_HOURS_PER_WTE
    """Productive hours a year of one whole-time member of staff (for staff roles)."""
    location: str = ""
    """``file:line`` of the CSV row."""
    original_cost: float = math.nan
    """The cost as written in the file."""
    original_price_year: str = ""
    """The price year as written in the file."""
    adjustments: tuple[str, ...] = ()
    """Every adjustment applied to the written cost, in order."""

    def adjusted(self, factor: float, why: str, **changes: str) -> TariffRow:
        """A copy with ``cost`` multiplied by ``factor`` and the reason recorded."""
        from dataclasses import replace

        return replace(
            self,
            cost=self.cost * factor,
            adjustments=(*self.adjustments, why),
            **changes,  # type: ignore[arg-type]
        )


@dataclass(frozen=True)
class Tariff(Mapping[str, TariffRow]):
    """Unit costs by code: a read-only mapping of code → :class:`TariffRow`."""

    rows: Mapping[str, TariffRow]
    files: tuple[str, ...] = ()
    """The files layered, first to last."""

    def __getitem__(self, code: str) -> TariffRow:
        return self.rows[code]

    def __iter__(self) -> Iterator[str]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def suggest(self, code: str) -> str:
        """'; did you mean X?' for a near-miss code, else ''."""
        close = difflib.get_close_matches(code, list(self.rows), n=1)
        return f"; did you mean {close[0]!r}?" if close else ""

    def to_frame(self) -> pd.DataFrame:
        """The rows as a DataFrame indexed by code."""
        records = [
            {
                "code": r.code,
                "description": r.description,
                "unit": r.unit,
                "cost": r.cost,
                "price_year": r.price_year,
                "original_cost": r.original_cost,
                "original_price_year": r.original_price_year,
                "hours_per_wte": r.hours_per_wte,
                "source": r.source,
                "location": r.location,
                "adjustments": "; ".join(r.adjustments),
            }
            for r in self.rows.values()
        ]
        return pd.DataFrame.from_records(records, index="code") if records else pd.DataFrame()

    def replace_rows(self, rows: Mapping[str, TariffRow]) -> Tariff:
        """A new tariff with some rows replaced."""
        return Tariff({**self.rows, **rows}, self.files)

    def with_market_forces(self, factor: float) -> Tariff:
        """Every cost multiplied by a market forces factor for an area."""
        if not math.isfinite(factor) or factor <= 0:
            raise TariffError(
                f"market forces factor {factor:g} must be a number above 0, e.g. 1.05"
            )
        return Tariff(
            {c: r.adjusted(factor, f"market forces x{factor:g}") for c, r in self.rows.items()},
            self.files,
        )

    def in_price_year(
        self, price_year: str, index: PriceIndex | None = None, codes: list[str] | None = None
    ) -> Tariff:
        """Costs expressed in ``price_year``, uplifted with ``index`` where needed.

        Only ``codes`` (default: all) are checked. A row in another year with no
        index, or a year the index lacks, is an error naming the row.
        """
        problems: list[Problem] = []
        rows = dict(self.rows)
        for code in codes if codes is not None else list(rows):
            row = rows.get(code)
            if row is None or row.price_year == price_year:
                continue
            file, line = _split_location(row.location)
            if index is None:
                problems.append(
                    Problem(
                        file,
                        line,
                        code,
                        f"price year {row.price_year} differs from the pathway's {price_year}; "
                        "restate the cost in that year, or give a price index (--index FILE)",
                    )
                )
                continue
            missing = [y for y in (row.price_year, price_year) if y not in index.values]
            if missing:
                problems.append(
                    Problem(
                        file,
                        line,
                        code,
                        f"the price index {index.location} has no year {', '.join(missing)}; "
                        "add it to the index",
                    )
                )
                continue
            factor = index.values[price_year] / index.values[row.price_year]
            rows[code] = row.adjusted(
                factor,
                f"uplifted {row.price_year} to {price_year} x{factor:.6g} ({index.location})",
                price_year=price_year,
            )
        if problems:
            raise TariffError(problems)
        return Tariff(rows, self.files)


@dataclass(frozen=True)
class PriceIndex:
    """A price index by financial year (only ratios matter)."""

    values: Mapping[str, float]
    location: str = ""
    sources: Mapping[str, str] = field(default_factory=dict)

    def factor(self, from_year: str, to_year: str) -> float:
        """The multiplier taking a cost from ``from_year`` prices to ``to_year`` prices."""
        return self.values[to_year] / self.values[from_year]


def _split_location(location: str) -> tuple[str | None, int | None]:
    if not location:
        return None, None
    file, _, line = location.rpartition(":")
    return (file, int(line)) if line.isdigit() else (location, None)


def read_csv_rows(
    path: str | Path,
    *,
    required: tuple[str, ...],
    optional: tuple[str, ...],
    error: type[TariffError] | type[Exception] = TariffError,
    what: str = "CSV file",
) -> tuple[str, list[tuple[int, dict[str, str]]], list[Problem]]:
    """Read a small CSV with exact line numbers.

    Returns the display name, ``(line, row)`` pairs and the header problems (missing
    required columns, unknown or repeated columns). Raises ``error`` if the file cannot
    be read at all.
    """
    p = Path(path)
    name = display_path(p)

    def fail(line: int | None, message: str) -> Exception:
        return error([Problem(name, line, "", message)])

    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise fail(None, f"no such file; check the path of this {what}") from None
    except IsADirectoryError:
        raise fail(None, f"is a folder; give the path of a {what}") from None
    except OSError as exc:
        raise fail(None, f"cannot read the file ({exc.strerror})") from None
    if len(raw) > MAX_CSV_BYTES:
        raise fail(None, f"the file is {len(raw):,} bytes; more than {MAX_CSV_BYTES:,} allowed")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise fail(
            line, "the file is not UTF-8 text; save it as UTF-8 (in Excel: 'CSV UTF-8')"
        ) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise fail(None, f"the file is empty; a {what} starts with a header line") from None
    except csv.Error as exc:
        raise fail(1, f"cannot read the header ({exc})") from None
    header = [h.strip() for h in header]
    problems: list[Problem] = []
    allowed = (*required, *optional)
    missing = [c for c in required if c not in header]
    if missing:
        problems.append(
            Problem(
                name,
                1,
                "header",
                f"missing column {', '.join(missing)}; the header needs {', '.join(required)}",
                "missing-column",
            )
        )
    seen: set[str] = set()
    for col in header:
        if col in seen:
            problems.append(Problem(name, 1, "header", f"column {col!r} appears twice; keep one"))
        seen.add(col)
        if col not in allowed:
            close = difflib.get_close_matches(col, list(allowed), n=1)
            hint = (
                f"; did you mean {close[0]!r}?" if close else f"; columns are {', '.join(allowed)}"
            )
            problems.append(Problem(name, 1, "header", f"unknown column {col!r}{hint}"))
    rows: list[tuple[int, dict[str, str]]] = []
    end = reader.line_num
    try:
        for values in reader:
            # a quoted value may span lines: a row starts on the line after the last one
            line, end = end + 1, reader.line_num
            if not any(v.strip() for v in values):
                continue
            if len(values) != len(header):
                problems.append(
                    Problem(
                        name,
                        line,
                        "",
                        f"{len(values)} fields, but the header has {len(header)}; "
                        "quote any value that holds a comma",
                    )
                )
                continue
            rows.append((line, {h: v.strip() for h, v in zip(header, values, strict=True)}))
    except csv.Error as exc:
        problems.append(Problem(name, reader.line_num, "", f"cannot read the line ({exc})"))
    return name, rows, problems


def _parse_number(text: str) -> float | str:
    """A finite number, or the reason it is not one."""
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


def _check_price_year(text: str) -> str | None:
    m = _PRICE_YEAR.match(text)
    if not m or (int(m.group(1)) + 1) % 100 != int(m.group(2)):
        return f"{text!r} is not a financial year; write it as 2024/25"
    return None


def _read_tariff_file(path: str | Path) -> tuple[dict[str, TariffRow], list[Problem]]:
    name, rows, problems = read_csv_rows(
        path, required=_REQUIRED, optional=_OPTIONAL, what="tariff file"
    )
    out: dict[str, TariffRow] = {}
    first_line: dict[str, int] = {}
    if any(p.where == "header" and "missing column" in p.message for p in problems):
        return out, problems
    for line, row in rows:
        def bad(col: str, message: str, line: int = line) -> None:
            problems.append(Problem(name, line, col, message))

        code = row["code"]
        ok = True
        if not _ID.match(code):
            bad("code", f"{code!r} is not a valid code; use lower-case letters, digits and '-'")
            ok = False
        elif code in first_line:
            bad(
                "code",
                f"{code!r} is also on line {first_line[code]}; codes are unique within a file",
            )
            ok = False
        else:
            first_line[code] = line
        unit = row["unit"]
        if unit not in UNITS:
            close = difflib.get_close_matches(unit.lower(), UNITS, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            bad("unit", f"{unit!r} is not a unit; use one of {', '.join(UNITS)}{hint}")
            ok = False
        cost = _parse_number(row["cost"])
        if isinstance(cost, str):
            bad("cost", cost)
            ok = False
        elif cost < 0:
            bad("cost", f"{row['cost']} is negative; a cost is 0 or more")
            ok = False
        year_problem = _check_price_year(row["price_year"])
        if year_problem:
            bad("price_year", year_problem)
            ok = False
        hours: float | str = DEFAULT_HOURS_PER_WTE
        if row.get("hours_per_wte", ""):
            hours = _parse_number(row["hours_per_wte"])
            if isinstance(hours, str):
                bad("hours_per_wte", hours)
                ok = False
            elif hours <= 0:
                bad("hours_per_wte", f"{row['hours_per_wte']} must be above 0 (hours a year)")
                ok = False
        mff: float | str = 1.0
        if row.get("market_forces", ""):
            mff = _parse_number(row["market_forces"])
            if isinstance(mff, str):
                bad("market_forces", mff)
                ok = False
            elif mff <= 0:
                bad("market_forces", f"{row['market_forces']} must be above 0, e.g. 1.05")
                ok = False
        if not ok:
            continue
        assert isinstance(cost, float)
        assert isinstance(hours, float)
        assert isinstance(mff, float)
        entry = TariffRow(
            code=code,
            unit=unit,
            cost=cost,
            price_year=row["price_year"],
            description=row.get("description", ""),
            source=row.get("source", ""),
            hours_per_wte=hours,
            location=f"{name}:{line}",
            original_cost=cost,
            original_price_year=row["price_year"],
        )
        if mff != 1.0:
            entry = entry.adjusted(mff, f"market forces x{mff:g} ({name}:{line})")
        out[code] = entry
    return out, problems


def load_tariff(*paths: str | Path) -> Tariff:
    """Load and layer tariff CSV files (later files win); none: the bundled tariff.

    Raises :class:`TariffError` listing every problem in every file.
    """
    files = list(paths) or [bundled_tariff()]
    rows: dict[str, TariffRow] = {}
    problems: list[Problem] = []
    for path in files:
        file_rows, file_problems = _read_tariff_file(path)
        problems.extend(file_problems)
        rows.update(file_rows)
    if problems:
        raise TariffError(problems)
    return Tariff(rows, tuple(display_path(p) for p in files))


def load_price_index(path: str | Path | None = None) -> PriceIndex:
    """Load a price index CSV (``price_year,index[,source]``); None: the bundled index."""
    p = bundled_index() if path is None else Path(path)
    name, rows, problems = read_csv_rows(
        p, required=("price_year", "index"), optional=("source",), what="price index file"
    )
    values: dict[str, float] = {}
    sources: dict[str, str] = {}
    if any(p.where == "header" and "missing column" in p.message for p in problems):
        rows = []  # the rows cannot be read without their columns
    for line, row in rows:
        year = row["price_year"]
        reason = _check_price_year(year)
        if reason:
            problems.append(Problem(name, line, "price_year", reason))
            continue
        if year in values:
            problems.append(
                Problem(name, line, "price_year", f"{year} appears twice; keep one row a year")
            )
            continue
        value = _parse_number(row["index"])
        if isinstance(value, str):
            problems.append(Problem(name, line, "index", value))
            continue
        if value <= 0:
            problems.append(Problem(name, line, "index", f"{row['index']} must be above 0"))
            continue
        values[year] = value
        sources[year] = row.get("source", "")
    if not values and not problems:
        problems.append(Problem(name, None, "", "the index has no rows; add price_year,index rows"))
    if problems:
        raise TariffError(problems)
    return PriceIndex(values, name, sources)
