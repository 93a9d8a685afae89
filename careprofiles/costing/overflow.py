"""Figures too large to compute: every figure careprofiles gives is a finite number.

Each number of a profile or tariff may pass its own checks and still, multiplied by the
others of its line (``per_stage: 1.0e+308`` contacts of 60 minutes), or added to other
lines, pass the largest number a float holds (about 1.8e308): numpy would make the figure
infinite, or not a number. Such a figure is never an output. The arithmetic runs with
numpy's overflow warnings off (:data:`QUIET`), and then :func:`check_cost_lines`
(deterministic costing) or :func:`check_sets` (Monte Carlo, sensitivity) refuses any
figure that is not finite, before anything is written: a :class:`ProfileError` (a
:class:`TariffError` when the number is a tariff's) naming the number that made it so at
its ``file:line``, with the line it is in, that line's tariff row, and how large the
thing it counts plausibly is (:data:`PLAUSIBLE`).

Imports: errors, costing._parameters, costing.model; numpy.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from careprofiles.costing._parameters import ONE, ZERO, file_and_line, raise_value_problems
from careprofiles.costing.model import CostModel
from careprofiles.errors import Problem

__all__ = ["OVERFLOW", "PLAUSIBLE", "QUIET", "check_cost_lines", "check_sets", "overflow_problem"]

OVERFLOW = "overflow"
"""The problem code of a figure too large to compute (``errors.CODES``)."""

FloatArray = NDArray[np.float64]

QUIET: dict[str, Any] = {"over": "ignore", "invalid": "ignore", "divide": "ignore"}
"""``np.errstate(**QUIET)``: no RuntimeWarning reaches a user; the figures are checked."""

PLAUSIBLE: dict[str, tuple[float, str]] = {
    "per_week": (168.0, "contacts a week (a contact every hour, day and night, is 168)"),
    "per_day": (24.0, "contacts a day (one every hour is 24)"),
    "per_stage": (1_000.0, "contacts in a stage (a few hundred at most)"),
    "minutes": (1_440.0, "minutes a contact (a whole day is 1,440)"),
    "travel_minutes": (1_440.0, "travel minutes a contact (a whole day is 1,440)"),
    "count": (10.0, "staff at a contact (rarely more than 2 or 3)"),
    "share": (1.0, "a share (between 0 and 1)"),
    "quantity": (1_000.0, "units a patient (a few hundred at most)"),
    "duration_weeks": (520.0, "weeks in a stage (ten years is 520)"),
    "uptake": (1.0, "a share (between 0 and 1)"),
    "reach": (1.0, "a share (between 0 and 1)"),
    "eligible_share": (1.0, "a share (between 0 and 1)"),
    "patients": (
        1_000_000.0,
        "patients a year (about 580,000 people died in England and Wales in 2023, ONS)",
    ),
    "population": (100_000_000.0, "people in an area (the UK has about 68 million, ONS)"),
    "deaths_per_1000": (1_000.0, "deaths a year per 1,000 people (about 9-10 in England)"),
    "tariff": (
        1_000_000.0,
        "pounds a unit (a hospital episode is a few thousand, an hour of staff time "
        "tens to a couple of hundred)",
    ),
}
"""For the last part of a number's address (``tariff`` for a unit cost): a size far
above any plausible value, and what the number counts, with a plausible size. The
message names the line's number that is largest against its size here."""

_FIGURES = (
    "contacts",
    "hours",
    "quantity",
    "unit_cost",
    "cost_per_patient_receiving",
    "cost_per_patient_reached",
    "cost_per_patient",
    "patients",
    "hours_population",
    "cost_population",
)
"""The figures of a line that every output adds up or shows."""


def _plausible(address: str) -> tuple[float, str]:
    key = "tariff" if address.startswith("tariff/") else address.rpartition("/")[2]
    return PLAUSIBLE.get(key, (1_000.0, "what it counts"))


def _line_parameters(model: CostModel, line: int) -> list[int]:
    """The parameters ``line``'s figures multiply, and the cohort's."""
    found = [
        int(index[line])
        for index in (
            model.freq,
            model.dur,
            model.minutes,
            model.travel,
            model.count,
            model.share,
            model.unit_cost,
            model.uptake,
            model.reach,
        )
    ]
    found.extend(model.cohort_params)
    return [i for i in dict.fromkeys(found) if i not in (ONE, ZERO)]


def overflow_problem(model: CostModel, values: FloatArray) -> Problem:
    """The problem to report for the parameter set ``values`` (shape ``(parameters,)``),
    whose figures are not all finite: the number of the first line whose own figures are
    not finite (or, when only a sum is, of the line adding the most) that is largest
    against its plausible size."""
    with np.errstate(**QUIET):
        ev = model.evaluate(values[np.newaxis, :])
        cohort = ev.cohort[0]
        patients = cohort * ev.reach[0] * ev.uptake[0]
        figures = np.vstack(
            [
                ev.contacts[0],
                ev.hours[0],
                ev.quantity[0],
                ev.unit_cost[0],
                ev.cost_per_patient_receiving[0],
                ev.cost_per_patient_reached[0],
                ev.cost_per_patient[0],
                patients,
                ev.hours[0] * patients,
                ev.cost_per_patient[0] * cohort,
            ]
        )
    bad = ~np.isfinite(figures).all(axis=0)
    # each line finite but a sum not: the line that adds the most
    line = np.argmax(bad) if bad.any() else np.argmax(np.nan_to_num(figures[-1], nan=0.0))
    return _problem(model, values, int(line))


def _problem(model: CostModel, values: FloatArray, line: int) -> Problem:
    candidates = _line_parameters(model, line)
    if not candidates:  # pragma: no cover - a line always has its cohort
        return Problem(None, None, "", "a figure is too large to compute; check the numbers")

    addresses = model.addresses()

    def against_size(i: int) -> float:
        value = abs(float(values[i]))
        return math.inf if not math.isfinite(value) else value / _plausible(addresses[i])[0]

    worst = max(candidates, key=against_size)
    parameter = model.parameters[worst]
    file, number = file_and_line(parameter.location)
    row = {name: values[line] for name, values in model.columns.items()}
    what = _plausible(parameter.address)[1]
    priced = f", priced by {row['tariff_source']}" if row.get("tariff_source") else ""
    value = float(values[worst])
    shown = f"{value:.4g}" if math.isfinite(value) else "a number that is not finite"
    return Problem(
        file,
        number,
        parameter.address,
        f"{shown} is far larger than {what}: with the other numbers of {row['address']} "
        f"({row['source']}{priced}) it makes a figure too large to compute (past about "
        "1.8e308); check the number",
        OVERFLOW,
    )


def check_cost_lines(
    model: CostModel, values: FloatArray, figures: Mapping[str, FloatArray], cohort: float
) -> None:
    """Refuse a costed pathway (its lines' ``figures``, one array a column, and
    ``cohort``, from the parameter set ``values``) any of whose figures, or their sums, is
    not finite. Every table of a :class:`~careprofiles.costing.result.CostResult` adds up
    some of these lines, so when the sums of all of them are finite, so is every figure
    it gives."""
    with np.errstate(**QUIET):
        each = np.column_stack([figures[name] for name in _FIGURES])
        per_patient = np.abs(figures["cost_per_patient"]).sum()
        sums = np.array(
            [
                np.abs(figures["cost_population"]).sum(),
                np.abs(figures["hours_population"]).sum(),
                per_patient * cohort,
                cohort,
            ]
        )
    if np.isfinite(each).all() and np.isfinite(sums).all():
        _check_wte(model, figures["wte"])
        return
    raise_value_problems([overflow_problem(model, values)])


def _check_wte(model: CostModel, wte: FloatArray) -> None:
    """Whole-time equivalents: hours a year over a tariff row's ``hours_per_wte``."""
    staff = model.columns["kind"] == "staff"
    bad = staff & ~np.isfinite(wte)
    if not bad.any():
        return
    line = int(np.argmax(bad))
    row = {name: values[line] for name, values in model.columns.items()}
    file, number = file_and_line(str(row["tariff_source"]))
    raise_value_problems(
        [
            Problem(
                file,
                number,
                "hours_per_wte",
                f"{float(row['hours_per_wte']):.4g} working hours a year for one whole-time "
                f"post makes {row['code']}'s whole-time equivalents too large to compute; "
                "a whole-time post works about 1,500 to 2,100 hours a year",
                OVERFLOW,
            )
        ]
    )


def check_sets(
    model: CostModel, figures: FloatArray, values_of: Callable[[int], FloatArray]
) -> None:
    """Refuse the figures of many parameter sets (``figures``: one row a set) if any is
    not finite; ``values_of(k)`` gives the parameter set of row ``k``, to name the
    number that made it so."""
    finite = np.isfinite(figures).all(axis=1)
    if finite.all():
        return
    raise_value_problems([overflow_problem(model, values_of(int(np.argmin(finite))))])
