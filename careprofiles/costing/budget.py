"""A budget over a contract period: the cost a year in each financial year, price index applied.

:func:`contract_years` reads a period as people write it (``1 April 2025 to 31 March
2028``, ``2025-04-01 to 2028-03-31``, ``2025/26 to 2027/28``, ``2025-2028``) as the
financial years it covers (April to March: ``2025/26``, ``2026/27``, ``2027/28``); a
bare year that ends the period is the March it ends in (``2025-2028`` is three years).
:func:`contract_budget` takes a cost result (a year's cost at the pathway's price year)
to each of those years with a price index. A year past the index's last is projected at
the index's last annual change, and the budget says so in its ``basis`` column: a
projection is never passed off as an index figure. The cohort and the care are the
result's in every year (the budget changes prices, not activity).

Imports: errors; tariffs and costing.result for types; nothing above costing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from careprofiles.errors import CareProfilesError

if TYPE_CHECKING:
    from careprofiles.costing.result import CostResult
    from careprofiles.tariffs.tables import PriceIndex

__all__ = ["ContractBudget", "contract_budget", "contract_years"]

_MONTHS = {
    m: i
    for i, m in enumerate(
        (
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ),
        start=1,
    )
}
_FINANCIAL_YEAR = re.compile(r"\b((?:19|20)\d\d)\s*/\s*(\d\d)\b")
_ISO_DATE = re.compile(r"\b((?:19|20)\d\d)-(\d\d)-(\d\d)\b")
_WORD_DATE = re.compile(
    r"\b(?:\d{1,2}(?:st|nd|rd|th)?\s+)?(" + "|".join(_MONTHS) + r")\s+((?:19|20)\d\d)\b",
    re.IGNORECASE,
)
_YEAR = re.compile(r"\b((?:19|20)\d\d)\b")
MOST_YEARS = 25
"""The longest period read (a contract of more years is surely a mistyped year)."""


def _label(start: int) -> str:
    """The financial year beginning in April ``start``: ``2025/26``."""
    return f"{start}/{(start + 1) % 100:02d}"


def _year_of(year: int, month: int) -> int:
    """The first calendar year of the financial year that month ``month`` of ``year`` is in."""
    return year if month >= 4 else year - 1


def contract_years(period: str) -> tuple[str, ...]:
    """The financial years ``period`` covers, first to last; ``()`` when it names no
    year (``To be agreed``). Raises ``ValueError`` saying how to write it when it ends
    before it begins, names one year only, or runs over :data:`MOST_YEARS` years."""
    text = period.strip()
    starts: list[int]
    if found := _FINANCIAL_YEAR.findall(text):
        starts = [int(y) for y, _ in found]
        for y, short in found:
            if (int(y) + 1) % 100 != int(short):
                raise ValueError(f"{y}/{short} is not a financial year; write {_label(int(y))}")
    elif found := _ISO_DATE.findall(text):
        starts = [_year_of(int(y), int(m)) for y, m, _ in found]
    elif found := _WORD_DATE.findall(text):
        starts = [_year_of(int(y), _MONTHS[m.lower()]) for m, y in found]
    elif found := _YEAR.findall(text):
        years = [int(y) for y in found]
        # 2025-2028: from April 2025 to March 2028
        starts = [years[0], years[-1] - 1] if len(years) > 1 else years
    else:
        return ()
    first, last = starts[0], starts[-1]
    if len(starts) == 1:
        raise ValueError(
            "gives one date; give the start and the end, e.g. "
            f"1 April {first} to 31 March {first + 3} (or {_label(first)} to {_label(first + 2)})"
        )
    if last < first:
        raise ValueError("ends before it begins; give the start first")
    if last - first + 1 > MOST_YEARS:
        raise ValueError(
            f"runs {last - first + 1} years; give a period of at most {MOST_YEARS} years"
        )
    return tuple(_label(y) for y in range(first, last + 1))


@dataclass(frozen=True)
class ContractBudget:
    """The cost a year in each year of a contract period, at that year's prices."""

    period: str
    """The period as given."""
    price_year: str
    """The price year of the costing the budget starts from."""
    rows: pd.DataFrame = field(repr=False)
    """``year``, ``factor`` (from the price year's prices to the year's), ``basis``
    (``price index`` or how the year was projected), ``cohort``, ``per_patient``,
    ``total``."""

    @property
    def total(self) -> float:
        """The cost over the whole period."""
        return float(self.rows["total"].sum())

    @property
    def projected(self) -> tuple[str, ...]:
        """The years past the index's last, projected."""
        return tuple(
            str(y)
            for y, b in zip(self.rows["year"], self.rows["basis"], strict=True)
            if b != "price index"
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain values for JSON."""
        return {
            "period": self.period,
            "price_year": self.price_year,
            "years": self.rows.to_dict(orient="records"),
            "total": self.total,
        }


def contract_budget(result: CostResult, period: str, index: PriceIndex) -> ContractBudget:
    """``result``'s cost a year in each financial year of ``period`` (see
    :func:`contract_years`), taken from its price year with ``index``. Raises
    :class:`~careprofiles.errors.CareProfilesError` when the period names no years or
    the index has not the price year."""
    try:
        years = contract_years(period)
    except ValueError as exc:
        raise CareProfilesError(f"contract period {period!r}: {exc}") from None
    if not years:
        raise CareProfilesError(
            f"contract period {period!r}: names no year; give it as "
            "1 April 2025 to 31 March 2028, or 2025/26 to 2027/28"
        )
    values = dict(index.values)
    base = result.price_year
    if base not in values:
        raise CareProfilesError(
            f"the price index has no {base} (the costing's price year); add a {base} row"
        )
    known = sorted(values)
    last = known[-1]
    growth = values[last] / values[known[-2]] if len(known) > 1 else 1.0
    rows = []
    for year in years:
        if year in values:
            factor, basis = values[year] / values[base], "price index"
        else:
            ahead = int(year[:4]) - int(last[:4])
            if ahead < 0:
                raise CareProfilesError(
                    f"the price index has no {year}, within the contract period; add a row"
                )
            factor = values[last] * growth**ahead / values[base]
            basis = (
                f"projected: {last} x {growth:.4g} a year (the index's last change, "
                f"{known[-2]} to {last})"
            )
        rows.append(
            {
                "year": year,
                "factor": factor,
                "basis": basis,
                "cohort": result.cohort,
                "per_patient": result.per_patient * factor,
                "total": result.total * factor,
            }
        )
    return ContractBudget(period, base, pd.DataFrame(rows))
