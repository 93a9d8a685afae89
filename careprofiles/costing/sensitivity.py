"""One-way sensitivity: :func:`sensitivity` moves each uncertain number alone to its low
and high percentile, and the :class:`SensitivityResult` ranks them by the swing in cost.

All 2k + 1 parameter sets (the base, then each end of each of the k uncertain numbers)
are costed like Monte Carlo draws, in blocks, with the arithmetic and the sums of
``cost()`` (``costing/_plan.py``), so the base row is exactly ``cost()``.

Imports: errors, resources, profiles, tariffs, costing._parameters, costing._plan,
costing.compiler, costing.overflow, costing.scenarios, costing.simulate (its quantiles),
costing.tariff_uncertainty; nothing above costing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from careprofiles.costing._parameters import Parameter, file_and_line, raise_value_problems
from careprofiles.costing._plan import BLOCK, BlockCosts
from careprofiles.costing.compiler import compile_model
from careprofiles.costing.overflow import check_sets
from careprofiles.costing.scenarios import scenario_of
from careprofiles.costing.simulate import QUANTILES
from careprofiles.costing.tariff_uncertainty import TariffUncertainty, apply_tariff_uncertainty
from careprofiles.errors import Problem
from careprofiles.profiles.distributions import Distribution, grade_of
from careprofiles.profiles.models import Pathway
from careprofiles.resources import source_locations
from careprofiles.tariffs.tables import PriceIndex, Tariff

__all__ = ["SensitivityResult", "sensitivity"]


@dataclass(frozen=True)
class SensitivityResult:
    """Each uncertain number alone at its low and high percentile; largest swing first."""

    pathway: Pathway
    base: float
    """Pathway cost per patient at base values (what ``cost()`` gives)."""
    base_total: float
    """Population cost a year at base values."""
    rows: pd.DataFrame
    """``parameter`` (address), ``location``, ``distribution``, ``base_value``,
    ``low_value``, ``high_value``, ``low``, ``high`` (cost per patient at each end),
    ``swing`` (high - low, absolute), ``low_total``, ``high_total`` (a year), ``grade``
    (the number's evidence grade, ``""`` when it has none)."""
    low_quantile: float = QUANTILES[0]
    high_quantile: float = QUANTILES[-1]
    tariff: Tariff | None = field(default=None, repr=False, compare=False)
    """The tariff costed with (its descriptions name the roles and items)."""

    def __repr__(self) -> str:
        from careprofiles.outputs.display import reprs

        return reprs.sensitivity_repr(self)

    def _repr_html_(self) -> str:
        from careprofiles.outputs.display import reprs

        return reprs.sensitivity_html(self)

    def to_dict(self) -> dict[str, Any]:
        """Plain values for JSON."""
        records = []
        for row in self.rows.to_dict(orient="records"):
            records.append(
                {str(k): (v.item() if hasattr(v, "item") else v) for k, v in row.items()}
            )
        return {
            "pathway": self.pathway.id,
            "name": self.pathway.name,
            "price_year": self.pathway.price_year,
            "scenario": None if (sc := scenario_of(self.pathway)) is None else sc.to_dict(),
            "low_percentile": self.low_quantile * 100,
            "high_percentile": self.high_quantile * 100,
            "base": self.base,
            "base_total": self.base_total,
            "rows": records,
        }


def sensitivity(
    pathway: Pathway,
    tariff: Tariff,
    *,
    index: PriceIndex | None = None,
    tariff_uncertainty: TariffUncertainty | None = None,
    low: float = QUANTILES[0],
    high: float = QUANTILES[-1],
) -> SensitivityResult:
    """One-way sensitivity: each uncertain number alone at its ``low`` and ``high`` quantile.

    Everything else stays at its base value. All 2k + 1 parameter sets (the base, then
    the low and high end of each of the k uncertain numbers) are evaluated in one call.
    Raises :class:`ProfileError` (or :class:`TariffError`) when an end is negative (a
    normal distribution with a large sd).
    """
    if not 0 < low < high < 1:
        raise ValueError(f"need 0 < low < high < 1 (got low {low}, high {high})")
    model = apply_tariff_uncertainty(
        compile_model(pathway, tariff, index=index), tariff_uncertainty
    )
    base = model.base_values()
    uncertain = [i for i, p in enumerate(model.parameters) if p.uncertain]
    k = len(uncertain)
    values = np.tile(base, (2 * k + 1, 1))
    ends = np.empty((k, 2), dtype=np.float64)
    problems: list[Problem] = []
    for j, i in enumerate(uncertain):
        p = model.parameters[i]
        assert isinstance(p.value, Distribution)
        ends[j] = p.value.ppf(np.array([low, high])) * p.factor
        values[2 * j + 1, i] = ends[j, 0]
        values[2 * j + 2, i] = ends[j, 1]
        if ends[j, 0] < 0:
            file, line = file_and_line(p.location)
            problems.append(
                Problem(
                    file,
                    line,
                    p.address,
                    f"the {low:.1%} point of {p.value.describe()} is {ends[j, 0]:.4g}, below "
                    "0; this number cannot be negative: use a gamma or lognormal with this "
                    "mean and sd, or a triangular or pert range with low >= 0",
                )
            )
    raise_value_problems(problems)
    # costed like Monte Carlo draws: in blocks, with the sums cost() uses
    aggregate = BlockCosts(model, uncertain, base)
    sets = values.shape[0]
    width = min(sets, BLOCK)
    parameter_rows = aggregate.rows(sets, width)
    ends_by_set = values[:, uncertain].T
    full, rest = divmod(sets, width)
    parameter_rows[:full, :k, :] = (
        ends_by_set[:, : full * width].reshape(k, full, width).transpose(1, 0, 2)
    )
    if rest:
        parameter_rows[full, :k, :rest] = ends_by_set[:, full * width :]
    figures = np.empty((sets, len(aggregate.columns())), dtype=np.float64)
    aggregate(parameter_rows, sets, figures)
    check_sets(model, figures, lambda k: values[k])
    per_patient, totals = figures[:, 0], figures[:, 1]
    rows = pd.DataFrame(
        {
            "parameter": [model.parameters[i].address for i in uncertain],
            "location": source_locations(
                [model.parameters[i].location for i in uncertain], pathway.folder
            ),
            "distribution": [_describe(model.parameters[i]) for i in uncertain],
            "base_value": base[uncertain] if k else np.empty(0),
            "low_value": ends[:, 0],
            "high_value": ends[:, 1],
            "low": per_patient[1::2],
            "high": per_patient[2::2],
            "low_total": totals[1::2],
            "high_total": totals[2::2],
            # the evidence behind the number (its `grade`), so the estimates rank too
            "grade": [grade_of(model.parameters[i].value) or "" for i in uncertain],
        }
    )
    rows.insert(8, "swing", (rows["high"] - rows["low"]).abs())
    rows = rows.sort_values("swing", ascending=False, kind="stable").reset_index(drop=True)
    return SensitivityResult(
        pathway, float(per_patient[0]), float(totals[0]), rows, low, high, tariff=tariff
    )


def _describe(p: Parameter) -> str:
    assert isinstance(p.value, Distribution)
    text = p.value.describe()
    return text if p.factor == 1.0 else f"{text} x{p.factor:.6g}"
