"""Evidence as data: how many numbers and tariff rows carry each grade, and which cost
lines rest on estimates (``cost --explain``, the workbook's ``estimates`` sheet).

A line rests on an estimate when any number it multiplies (frequency, duration,
minutes, travel, count, share, uptake, reach, or its tariff row) is graded
``estimate``; the lines are ranked by their cost, so the estimates that carry most of
the budget come first.

Imports: profiles, tariffs, costing.result; nothing above costing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from careprofiles.costing.grades import grade_tally
from careprofiles.costing.result import CostResult
from careprofiles.profiles.distributions import grade_of
from careprofiles.profiles.models import Pathway
from careprofiles.tariffs.tables import Tariff

__all__ = ["ESTIMATE", "estimate_lines", "grade_counts"]

ESTIMATE = "estimate"

_COLUMNS = ("freq", "dur", "minutes", "travel", "count", "share", "uptake", "reach", "unit_cost")


def grade_counts(pathway: Pathway, tariff: Tariff | None = None) -> pd.DataFrame:
    """How many of the pathway's numbers (and the tariff's rows) carry each grade, and
    how many carry none: columns ``grade``, ``numbers``, ``tariff_rows``."""
    return pd.DataFrame(grade_tally(pathway, tariff), columns=["grade", "numbers", "tariff_rows"])


def estimate_lines(result: CostResult, top: int | None = None) -> pd.DataFrame:
    """The cost lines whose inputs include an estimate, most costly first: where they
    are, their cost per cohort patient and a year, their share of the total, and the
    estimated inputs (addresses, ``tariff/CODE`` for a tariff row graded estimate)."""
    model = result.model
    params = model.parameters
    grades = np.asarray([grade_of(p.value) for p in params], dtype=object)
    addresses = np.asarray([p.address for p in params], dtype=object)
    for i, p in enumerate(params):
        if p.address.startswith("tariff/"):
            row = result.tariff.get(p.address.removeprefix("tariff/"))
            grades[i] = row.grade if row is not None else ""
    lines = result.lines
    estimated = pd.Series("", index=lines.index, dtype=object)
    any_estimate = np.zeros(len(lines), dtype=bool)
    seen = np.zeros(len(lines), dtype=object)
    seen[:] = ""
    for column in _COLUMNS:
        index = getattr(model, column)
        hit = grades[index] == ESTIMATE
        any_estimate |= hit
        text = np.where(hit, addresses[index], "")
        # a parameter shared by two columns of a line (rare) is listed once
        fresh = hit & (np.char.find(seen.astype(str), text.astype(str)) < 0)
        joiner = np.where((seen != "") & fresh, "; ", "")
        seen = seen + np.where(fresh, joiner + text, "")
    estimated[:] = seen
    total = float(lines["cost_per_patient"].sum())
    out = lines.loc[
        any_estimate,
        [
            "stage",
            "service",
            "setting",
            "funder",
            "kind",
            "code",
            "source",
            "cost_per_patient",
            "cost_population",
        ],
    ].assign(estimated_inputs=estimated[any_estimate])
    out = out.rename(columns={"cost_per_patient": "per_patient", "cost_population": "total"})
    out["share_of_total"] = out["per_patient"] / total if total else 0.0
    out = out.sort_values("per_patient", ascending=False, kind="stable").reset_index(drop=True)
    return out.head(top) if top is not None else out
