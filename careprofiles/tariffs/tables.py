"""Tariffs (unit costs) from CSV files, layered national → local, and price indices.

A tariff file has the columns ``code, unit, cost, price_year`` and optionally
``description, source, hours_per_wte, market_forces, funder, basis, qualifications,
grade`` (who pays, what a staff rate is per, and the grade of its evidence:
:mod:`careprofiles.profiles.evidence`), and at least one row. Several files may be
layered: a later file's row replaces an earlier file's row with the same code (the tariff
records its layers and every row replaced, :mod:`.layers`, and warns with a
:class:`~careprofiles.tariffs.layers.LayeringWarning` when the bundled national tariff
replaces a row of an earlier file). ``"bundled"`` names the bundled tariff and index.
Every row keeps the ``file:line`` it came from, and every adjustment made to its cost (a
price-index uplift, a market forces factor, a scenario) is recorded in its
``adjustments``. The files are read by the format's one CSV reader
(:mod:`careprofiles.profiles.csvfiles`); the units are the format's
(:mod:`careprofiles.profiles.units`).

Imports: careprofiles.profiles (csvfiles, units), errors, resources, tariffs.layers;
nothing above tariffs.
"""

from __future__ import annotations

import difflib
import math
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from careprofiles.errors import Problem, TariffError, display_path
from careprofiles.profiles.csvfiles import (
    is_id,
    parse_number,
    price_year_problem,
    read_csv_rows,
)
from careprofiles.profiles.evidence import BASES, FUNDERS, GRADES, QUALIFICATIONS
from careprofiles.profiles.units import DEFAULT_HOURS_PER_WTE, STAFF_UNITS, UNITS
from careprofiles.resources import (
    bundled_index,
    bundled_tariff,
    document_name,
    or_bundled,
    source_locations,
    source_name,
)
from careprofiles.tariffs.layers import (
    LayeringWarning,
    TariffLayer,
    TariffOverride,
    layering_message,
    new_layer,
)

if TYPE_CHECKING:  # pandas is imported by to_frame only: validate imports none
    import pandas as pd

__all__ = [
    "STAFF_UNITS",
    "PriceIndex",
    "Tariff",
    "TariffLayer",
    "TariffOverride",
    "TariffRow",
    "basis_problems",
    "load_price_index",
    "load_tariff",
]

_REQUIRED = ("code", "unit", "cost", "price_year")
_OPTIONAL = (
    "description",
    "source",
    "hours_per_wte",
    "market_forces",
    "funder",
    "basis",
    "qualifications",
    "grade",
)


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
    funder: str = ""
    """Who pays for it by default (a funder id; '' when the row names none)."""
    basis: str = ""
    """What a staff rate is per (working-hour, contact-hour, price; '' unstated)."""
    qualifications: str = ""
    """Whether a staff rate includes qualifications (excluded, included; '' unstated)."""
    grade: str = ""
    """The grade of the figure's evidence ('' when the row gives none)."""
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
    """The files layered, first to last, as messages name them (relative to the working
    folder when inside it)."""
    layers: tuple[TariffLayer, ...] = ()
    """The files layered, first to last: each one's names and the codes it prices."""
    overrides: tuple[TariffOverride, ...] = ()
    """Every row a later layer replaced, in the order the layers were read."""

    def __getitem__(self, code: str) -> TariffRow:
        return self.rows[code]

    def __iter__(self) -> Iterator[str]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def __repr__(self) -> str:
        from careprofiles.outputs.display import reprs

        return reprs.tariff_repr(self)

    def _repr_html_(self) -> str:
        from careprofiles.outputs.display import reprs

        return reprs.tariff_html(self)

    @property
    def names(self) -> tuple[str, ...]:
        """The files layered, first to last, as documents name them: by file name, the
        bundled one as ``bundled national tariff 2024/25``; never a machine path."""
        if self.layers:
            return tuple(layer.name for layer in self.layers)
        return tuple(document_name(f) for f in self.files)

    @property
    def national_overrides(self) -> tuple[TariffOverride, ...]:
        """The rows of a tariff of the user's own that a later bundled national tariff
        replaced (what the :class:`~careprofiles.tariffs.layers.LayeringWarning` names)."""
        return tuple(o for o in self.overrides if o.national)

    def suggest(self, code: str) -> str:
        """'; did you mean X?' for a near-miss code, else ''."""
        close = difflib.get_close_matches(code, list(self.rows), n=1)
        return f"; did you mean {close[0]!r}?" if close else ""

    def to_frame(self) -> pd.DataFrame:
        """The rows as a DataFrame indexed by code; ``location`` is each row's ``file:line``
        with the file by its name (``national-2024-25.csv:3``), never a machine path."""
        import pandas as pd

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
                "funder": r.funder,
                "basis": r.basis,
                "qualifications": r.qualifications,
                "grade": r.grade,
                "location": location,
                "adjustments": "; ".join(r.adjustments),
            }
            for r, location in zip(
                self.rows.values(),
                source_locations([r.location for r in self.rows.values()]),
                strict=True,
            )
        ]
        return pd.DataFrame.from_records(records, index="code") if records else pd.DataFrame()

    def replace_rows(self, rows: Mapping[str, TariffRow]) -> Tariff:
        """A new tariff with some rows replaced."""
        return replace(self, rows={**self.rows, **rows})

    def with_market_forces(self, factor: float) -> Tariff:
        """Every cost multiplied by a market forces factor for an area."""
        if not math.isfinite(factor) or factor <= 0:
            raise TariffError(
                f"market forces factor {factor:g} must be a number above 0, e.g. 1.05"
            )
        return replace(
            self,
            rows={
                c: r.adjusted(factor, f"market forces x{factor:g}") for c, r in self.rows.items()
            },
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
                f"uplifted {row.price_year} to {price_year} x{factor:.6g} "
                f"({source_name(index.location)})",
                price_year=price_year,
            )
        if problems:
            raise TariffError(problems)
        return replace(self, rows=rows)


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


def _read_tariff_file(path: str | Path) -> tuple[dict[str, TariffRow], list[Problem]]:
    name, rows, problems = read_csv_rows(
        path, required=_REQUIRED, optional=_OPTIONAL, what="tariff file"
    )
    out: dict[str, TariffRow] = {}
    first_line: dict[str, int] = {}
    if not rows and not problems:  # a header and no rows: it would price nothing
        problems.append(
            Problem(
                name,
                None,
                "",
                "the tariff has a header and no rows; add a row for each code it prices "
                f"({','.join(_REQUIRED)}), or leave the file out",
                code="no-rows",
            )
        )
    for line, row in rows:  # none when a column is missing

        def bad(col: str, message: str, line: int = line, code: str = "") -> None:
            problems.append(Problem(name, line, col, message, code))

        code = row["code"]
        ok = True
        if not is_id(code):
            bad("code", f"{code!r} is not a valid code; use lower-case letters, digits and '-'")
            ok = False
        elif code in first_line:
            bad(
                "code",
                f"{code!r} is also on line {first_line[code]}; codes are unique within a file",
                code="duplicate-id",
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
        cost = parse_number(row["cost"])
        if isinstance(cost, str):
            bad("cost", cost)
            ok = False
        elif cost < 0:
            bad("cost", f"{row['cost']} is negative; a cost is 0 or more")
            ok = False
        year_problem = price_year_problem(row["price_year"])
        if year_problem:
            bad("price_year", year_problem)
            ok = False
        hours: float | str = DEFAULT_HOURS_PER_WTE
        if row.get("hours_per_wte", ""):
            hours = parse_number(row["hours_per_wte"])
            if isinstance(hours, str):
                bad("hours_per_wte", hours)
                ok = False
            elif hours <= 0:
                bad("hours_per_wte", f"{row['hours_per_wte']} must be above 0 (hours a year)")
                ok = False
        mff: float | str = 1.0
        if row.get("market_forces", ""):
            mff = parse_number(row["market_forces"])
            if isinstance(mff, str):
                bad("market_forces", mff)
                ok = False
            elif mff <= 0:
                bad("market_forces", f"{row['market_forces']} must be above 0, e.g. 1.05")
                ok = False
        for col, allowed in (
            ("basis", BASES),
            ("qualifications", QUALIFICATIONS),
            ("grade", GRADES),
        ):
            value = row.get(col, "")
            if value and value not in allowed:
                close = difflib.get_close_matches(value.lower(), allowed, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                bad(col, f"{value!r} is not a {col}; use one of {', '.join(allowed)}{hint}")
                ok = False
        funder = row.get("funder", "")
        if funder and not is_id(funder):
            bad(
                "funder",
                f"{funder!r} is not a funder id; use lower-case letters, digits and '-', "
                f"e.g. one of {', '.join(FUNDERS)}",
            )
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
            funder=funder,
            basis=row.get("basis", ""),
            qualifications=row.get("qualifications", ""),
            grade=row.get("grade", ""),
            location=f"{name}:{line}",
            original_cost=cost,
            original_price_year=row["price_year"],
        )
        if mff != 1.0:
            entry = entry.adjusted(mff, f"market forces x{mff:g} ({source_name(name)}:{line})")
        out[code] = entry
    return out, problems


def load_tariff(*paths: str | Path) -> Tariff:
    """Load and layer tariff CSV files (later files win); none: the bundled tariff.

    ``"bundled"`` names the bundled tariff (unless a file of that name is in the working
    folder), so ``load_tariff("bundled", "local.csv")`` puts local rows over it. The
    tariff records its :attr:`~Tariff.layers` and every row a later layer replaced
    (:attr:`~Tariff.overrides`); when the bundled national tariff replaces rows of an
    earlier file (``load_tariff("local.csv", "bundled")``, almost always a mistake for
    the other order) a :class:`~careprofiles.tariffs.layers.LayeringWarning` names the layers and
    the codes. Raises :class:`TariffError` listing every problem in every file.
    """
    files = [or_bundled(p, bundled_tariff()) for p in paths] or [bundled_tariff()]
    rows: dict[str, TariffRow] = {}
    owner: dict[str, int] = {}
    layers: list[TariffLayer] = []
    overrides: list[TariffOverride] = []
    problems: list[Problem] = []
    for path in files:
        file_rows, file_problems = _read_tariff_file(path)
        problems.extend(file_problems)
        problems.extend(basis_problems(rows, file_rows))
        layer = new_layer(path, display_path(path), tuple(file_rows))
        here = len(layers)
        for code, row in file_rows.items():
            if code in rows:
                earlier = rows[code]
                overrides.append(
                    TariffOverride(
                        code,
                        here,
                        owner[code],
                        row.location,
                        earlier.location,
                        row.original_cost,
                        earlier.original_cost,
                        layer.bundled and not layers[owner[code]].bundled,
                    )
                )
            owner[code] = here
        layers.append(layer)
        rows.update(file_rows)
    if problems:
        raise TariffError(problems)
    tariff = Tariff(rows, tuple(layer.file for layer in layers), tuple(layers), tuple(overrides))
    message = layering_message(tariff.layers, tariff.overrides)
    if message:
        warnings.warn(LayeringWarning(message), stacklevel=2)
    return tariff


def _staff_basis(row: TariffRow) -> tuple[str, str] | None:
    """A staff row's stated basis and qualifications; None when it states no basis or
    is a purchased service's price (which no staff basis governs)."""
    if row.unit not in STAFF_UNITS or not row.basis or row.basis == "price":
        return None
    return row.basis, row.qualifications


def basis_problems(below: Mapping[str, TariffRow], layer: Mapping[str, TariffRow]) -> list[Problem]:
    """The rows of ``layer`` whose staff basis differs from the one of the layers
    ``below`` it (the basis the lower layers' staff rows state, if they state one).

    Staff rates on different bases cannot be added up in one budget (a rate per hour of
    patient contact is about 1.66 times the rate per working hour, PSSRU 2024), so a
    local tariff must state its staff rates on the national one's basis.
    """
    stated = {b for r in below.values() if (b := _staff_basis(r)) is not None}
    if len(stated) != 1:
        return []  # no basis below (or already mixed): nothing to hold a layer to
    ((basis, quals),) = stated
    problems: list[Problem] = []
    for row in layer.values():
        found = _staff_basis(row)
        if found is None or found == (basis, quals) or (found[0] == basis and not found[1]):
            continue
        file, line = _split_location(row.location)
        what = f"{found[0]}" + (f", qualifications {found[1]}" if found[1] else "")
        want = f"{basis}" + (f", qualifications {quals}" if quals else "")
        problems.append(
            Problem(
                file,
                line,
                "basis",
                f"{row.code!r} is priced per {what}, but the tariff below it prices staff "
                f"per {want}; restate the rate on that basis (docs/costing.md: 'One "
                "unit-cost basis') and set its basis column to match",
                "basis-mismatch",
            )
        )
    return problems


def load_price_index(path: str | Path | None = None) -> PriceIndex:
    """Load a price index CSV (``price_year,index[,source]``); None or ``"bundled"``
    (unless a file of that name is in the working folder): the bundled index."""
    p = bundled_index() if path is None else Path(or_bundled(path, bundled_index()))
    name, rows, problems = read_csv_rows(
        p, required=("price_year", "index"), optional=("source",), what="price index file"
    )
    values: dict[str, float] = {}
    sources: dict[str, str] = {}
    for line, row in rows:  # none when a column is missing
        year = row["price_year"]
        reason = price_year_problem(year)
        if reason:
            problems.append(Problem(name, line, "price_year", reason))
            continue
        if year in values:
            problems.append(
                Problem(
                    name,
                    line,
                    "price_year",
                    f"{year} appears twice; keep one row a year",
                    code="duplicate-id",
                )
            )
            continue
        value = parse_number(row["index"])
        if isinstance(value, str):
            problems.append(Problem(name, line, "index", value))
            continue
        if value <= 0:
            problems.append(Problem(name, line, "index", f"{row['index']} must be above 0"))
            continue
        values[year] = value
        sources[year] = row.get("source", "")
    if not values and not problems:
        problems.append(
            Problem(
                name, None, "", "the index has no rows; add price_year,index rows", code="no-rows"
            )
        )
    if problems:
        raise TariffError(problems)
    return PriceIndex(values, name, sources)
