"""The specification's contract-period budget: the header's ``period`` as financial years,
the cost a year in each at that year's prices (``budget`` in the template context).

:func:`budget_context` gives the template its figures, formatted: the period, each year's
price factor, cost per patient and cost a year, whether the year is projected past the
price index, and the period's total (:func:`careprofiles.costing.budget.contract_budget`
does the arithmetic, with the bundled price index). A period with no start and end (``To be
agreed``, ``three years``) gives no years and a ``missing`` sentence saying what the
header needs; the specification is written all the same.

Imports: costing.budget, tariffs (the bundled price index), outputs.text, errors.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from careprofiles.costing.budget import contract_budget, contract_years
from careprofiles.errors import CareProfilesError
from careprofiles.outputs.text import format_money

if TYPE_CHECKING:
    from careprofiles.costing.result import CostResult

__all__ = ["budget_context"]

NEEDS_PERIOD = (
    "A budget for each year of the contract needs the contract period's start and end in "
    "the header (period: 1 April 2025 to 31 March 2028)."
)


def budget_context(result: CostResult, period: str, text: Callable[[str], str]) -> dict[str, Any]:
    """The ``budget`` of the template context for a header ``period``: ``period``,
    ``years`` (each ``year``, ``factor``, ``per_patient``, ``total``, ``projected``),
    ``total``, ``projection`` (how projected years were priced, or ``""``) and
    ``missing`` (why there are no years, or ``""``)."""
    empty = {"period": text(period), "years": [], "total": "", "projection": ""}
    try:
        years = contract_years(period)
    except ValueError as exc:
        return {**empty, "missing": text(f"The contract period {exc}. {NEEDS_PERIOD}")}
    if not years:
        return {**empty, "missing": text(NEEDS_PERIOD)}
    from careprofiles.tariffs.tables import load_price_index

    try:
        budget = contract_budget(result, period, load_price_index())
    except CareProfilesError as exc:
        return {**empty, "missing": text(str(exc))}
    projected = [str(b) for b in budget.rows["basis"] if b != "price index"]
    return {
        "period": text(period),
        "years": [
            {
                "year": str(r["year"]),
                "factor": f"{float(r['factor']):.4f}",
                "per_patient": format_money(float(r["per_patient"])),
                "total": format_money(float(r["total"])),
                "projected": r["basis"] != "price index",
            }
            for r in budget.rows.to_dict(orient="records")
        ],
        "total": format_money(budget.total),
        "projection": text(
            f"{', '.join(budget.projected)} {'is' if len(projected) == 1 else 'are'} past "
            f"the price index, {projected[0]}."
        )
        if projected
        else "",
        "missing": "",
    }
