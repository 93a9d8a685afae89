"""Tariff-cost uncertainty: distributions of unit costs, from a file of their own.

Tariff costs are numbers in the tariff CSV; their uncertainty comes from a separate
file (:func:`load_tariff_uncertainty`, format in ``docs/uncertainty.md``)::

    code,dist,low,mode,high,mean,sd,value,price_year,source
    gp,triangular,196,268,290,,,,2024/25,PSSRU 2024 ...
    hospice-bed-day,pert,450,500,550,,,,2024/25,Estimate ...

:func:`apply_tariff_uncertainty` puts the distributions into a compiled model, in place
of the ``tariff/CODE`` parameters' written costs, for Monte Carlo and sensitivity.

Imports: errors, profiles, tariffs, costing._parameters, costing.model; nothing above
costing.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from careprofiles.costing._parameters import Parameter
from careprofiles.costing.model import CostModel
from careprofiles.errors import Problem, TariffError
from careprofiles.profiles.csvfiles import is_id, parse_number, price_year_problem, read_csv_rows
from careprofiles.profiles.distributions import DISTRIBUTIONS, Distribution, base_value
from careprofiles.profiles.numbers import check_range, parse_uncertain

__all__ = ["TariffUncertainty", "apply_tariff_uncertainty", "load_tariff_uncertainty"]

_UNC_REQUIRED = ("code", "dist")
_UNC_PARAMS = ("low", "mode", "high", "mean", "sd", "value")
_UNC_OPTIONAL = (*_UNC_PARAMS, "price_year", "source")


@dataclass(frozen=True)
class TariffUncertainty(Mapping[str, Distribution]):
    """Distributions of tariff costs by code, each in its tariff row's written price year."""

    distributions: Mapping[str, Distribution]
    locations: Mapping[str, str]
    """``file:line`` of each code's row."""
    price_years: Mapping[str, str]
    """The price year each row states (empty when the column is absent or blank)."""
    sources: Mapping[str, str]
    """Where each range comes from."""
    file: str = ""

    def __getitem__(self, code: str) -> Distribution:
        return self.distributions[code]

    def __iter__(self) -> Iterator[str]:
        return iter(self.distributions)

    def __len__(self) -> int:
        return len(self.distributions)


def load_tariff_uncertainty(path: str | Path) -> TariffUncertainty:
    """Load a tariff-uncertainty CSV: one distribution of a unit cost per code.

    Columns: ``code``, ``dist`` (one of the distributions of the format), the
    distribution's numbers in ``low``, ``mode``, ``high``, ``mean``, ``sd`` and
    optionally ``value`` (the base value, when it is not the natural one), and
    optionally ``price_year`` (checked against the tariff row) and ``source``. A column
    the distribution does not take must be empty. Raises :class:`TariffError` listing
    every problem with ``file:line``.
    """
    name, rows, problems = read_csv_rows(
        path,
        required=_UNC_REQUIRED,
        optional=_UNC_OPTIONAL,
        what="tariff-uncertainty file",
    )
    dists: dict[str, Distribution] = {}
    locations: dict[str, str] = {}
    years: dict[str, str] = {}
    sources: dict[str, str] = {}
    first_line: dict[str, int] = {}
    if any(p.code == "missing-column" for p in problems):
        raise TariffError(problems)
    for line, row in rows:

        def bad(col: str, message: str, line: int = line, code: str = "") -> None:
            problems.append(Problem(name, line, col, message, code))

        code = row["code"]
        if not is_id(code):
            bad("code", f"{code!r} is not a valid code; use lower-case letters, digits and '-'")
            continue
        if code in first_line:
            bad(
                "code",
                f"{code!r} is also on line {first_line[code]}; give one distribution per code",
                code="duplicate-id",
            )
            continue
        first_line[code] = line
        kind = row["dist"]
        cls = DISTRIBUTIONS.get(kind)
        if cls is None:
            close = difflib.get_close_matches(kind, list(DISTRIBUTIONS), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            bad(
                "dist",
                f"{kind!r} is not a distribution; use one of {', '.join(DISTRIBUTIONS)}{hint}",
            )
            continue
        takes = (*cls.params, "value")
        data: dict[str, Any] = {"dist": kind}
        ok = True
        for col in _UNC_PARAMS:
            text = row.get(col, "")
            if not text:
                continue
            if col not in takes:
                bad(
                    col,
                    f"a {kind} distribution does not take {col}; it takes "
                    f"{', '.join(cls.params)} (and optionally value): leave {col} empty",
                )
                ok = False
                continue
            number = parse_number(text)
            if isinstance(number, str):
                bad(col, number)
                ok = False
            else:
                data[col] = number
        missing = [p for p in cls.params if p not in data]
        if ok and missing:
            bad(
                "dist",
                f"a {kind} distribution needs {', '.join(cls.params)}; "
                f"fill in {', '.join(missing)}",
            )
            ok = False
        year = row.get("price_year", "")
        if year and (reason := price_year_problem(year)):
            bad("price_year", reason)
            ok = False
        if not ok:
            continue
        try:
            value = check_range(parse_uncertain(data), "nonnegative")
        except ValueError as exc:
            bad("dist", f"{exc}")
            continue
        assert isinstance(value, Distribution)
        dists[code] = value
        locations[code] = f"{name}:{line}"
        years[code] = year
        sources[code] = row.get("source", "")
    if not dists and not problems:
        problems.append(Problem(name, None, "", "the file has no rows; add code,dist,... rows"))
    if problems:
        raise TariffError(problems)
    return TariffUncertainty(dists, locations, years, sources, name)


def apply_tariff_uncertainty(model: CostModel, uncertainty: TariffUncertainty | None) -> CostModel:
    """The model with each ``tariff/CODE`` parameter drawn from its distribution.

    The distribution is stated in the tariff row's written price year; the row's
    adjustment factor (price-index uplift, market forces, a scenario's scaling) is
    applied to every draw, as to the written cost. Raises :class:`TariffError` for a
    code no tariff has, a price year that differs from the row's, or a distribution
    whose base value is not the row's written cost (the deterministic figure would
    then not be the centre of the simulation: make the mode or mean the cost, or give
    ``value``).
    """
    if uncertainty is None or not uncertainty:
        return model
    problems: list[Problem] = []
    tariff = model.tariff
    for code, location in uncertainty.locations.items():
        if code not in tariff:
            row_file, _, row_line = location.rpartition(":")
            problems.append(
                Problem(
                    row_file,
                    int(row_line),
                    "code",
                    f"no tariff row {code!r}{tariff.suggest(code)}; remove the row "
                    "or correct the code",
                    "no-tariff-row",
                )
            )
    params = list(model.parameters)
    for i, p in enumerate(params):
        if not p.address.startswith("tariff/"):
            continue
        code = p.address.split("/", 1)[1]
        dist = uncertainty.distributions.get(code)
        if dist is None:
            continue
        file, _, line_text = uncertainty.locations[code].rpartition(":")
        line = int(line_text)
        row = tariff[code]
        year = uncertainty.price_years.get(code, "")
        written_year = row.original_price_year or row.price_year
        if year and year != written_year:
            problems.append(
                Problem(
                    file,
                    line,
                    "price_year",
                    f"{year} differs from the tariff row's written price year "
                    f"{written_year} ({row.location}); state the distribution in "
                    f"{written_year} prices",
                )
            )
            continue
        written = base_value(p.value)
        if not math.isclose(dist.base, written, rel_tol=1e-9, abs_tol=1e-9):
            problems.append(
                Problem(
                    file,
                    line,
                    "dist",
                    f"the base value {dist.base:g} of {dist.describe()} is not the tariff "
                    f"cost {written:g} ({row.location}); make the mode (or mean) equal "
                    f"the cost, or add value {written:g}",
                )
            )
            continue
        params[i] = Parameter(p.address, dist, uncertainty.locations[code], p.factor)
    if problems:
        raise TariffError(problems)
    return replace(model, parameters=tuple(params))
