"""The compiled cost model: a pathway and tariff as columns, evaluated for any number of
parameter sets at once, and the one way every figure adds lines up.

A :class:`CostModel` (made by :func:`~careprofiles.costing.compiler.compile_model`) holds
every number the figures depend on (:attr:`CostModel.parameters`) and, for every staff
line and item, the index of each parameter it multiplies. :meth:`CostModel.evaluate`
computes every figure of every line for parameter sets of shape ``(sets, parameters)``,
as numpy arrays of shape ``(sets, lines)``; it is the reference arithmetic (deterministic
costing uses it; Monte Carlo and sensitivity use a faster plan of the same operations,
``costing/_plan.py``, tested to give the same figures to the last bit).
:meth:`CostModel.stage_sums` and :meth:`CostModel.pathway_sums` add lines up, each stage's
lines in order and then the stages in order, for every figure of every analysis.

For stage *s* (duration D weeks, reach R), service *v* (uptake U):

* contacts N = per_stage, or per_week × D, or per_day × 7 × D;
* staff line (count c, share h): hours H = N × (minutes + travel) / 60 × c × h;
  cost = H × rate (per-hour role) or N × c × h × rate (per-contact role);
* item: units Q = quantity, or per_week × D; cost = Q × unit cost;
* cost per patient reaching the stage = Σ U × cost per patient receiving;
* cost per cohort patient = R × that; population cost = × cohort size;
* staff hours a year = H × U × R × cohort; WTE = hours / hours_per_wte.

Imports: profiles, tariffs, costing._parameters; nothing above costing; pandas only
when :attr:`CostModel.lines` is first asked for.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from careprofiles.costing._parameters import Parameter, Parameters
from careprofiles.profiles.models import Pathway
from careprofiles.tariffs.tables import Tariff

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["CostModel"]

FloatArray = NDArray[np.float64]
IndexArray = NDArray[np.intp]


@dataclass(frozen=True)
class _Evaluation:
    """Every line's figures for one or more parameter sets; arrays are ``(sets, lines)``."""

    contacts: FloatArray
    """Contacts (staff lines) or units (items) per patient receiving the service."""
    hours: FloatArray
    """Staff hours per patient receiving the service (0 for items)."""
    quantity: FloatArray
    """Priced units per patient receiving: hours, contacts × count × share, or items."""
    unit_cost: FloatArray
    uptake: FloatArray
    reach: FloatArray
    cost_per_patient_receiving: FloatArray
    cost_per_patient_reached: FloatArray
    cost_per_patient: FloatArray
    """Per cohort patient."""
    cohort: FloatArray
    """Cohort size, shape ``(sets,)``."""


@dataclass(frozen=True)
class CostModel:
    """A pathway and tariff compiled for vectorised evaluation (see the module docs)."""

    pathway: Pathway
    tariff: Tariff
    parameters: Sequence[Parameter]
    """Every number the figures depend on, in order: the constants 1 and 0, then the
    pathway's numbers in the order of ``profiles.parameters``, each tariff cost
    (``tariff/CODE``) just before the first line it prices."""
    columns: Mapping[str, NDArray[Any]]
    """What each staff line or item is and where it came from, one numpy array a column
    (text as objects, ``hours_per_wte`` as floats): :attr:`lines` without pandas."""
    freq: IndexArray
    dur: IndexArray
    mult: FloatArray
    minutes: IndexArray
    travel: IndexArray
    count: IndexArray
    share: IndexArray
    uptake: IndexArray
    reach: IndexArray
    unit_cost: IndexArray
    per_hour: NDArray[np.bool_]
    cohort_params: tuple[int, ...]
    """``(patients,)`` or ``(population, deaths_per_1000, eligible_share)``."""

    @cached_property
    def lines(self) -> pd.DataFrame:
        """One row per staff line or item: what it is and where it came from
        (:attr:`columns` as a DataFrame, built when first asked for)."""
        import pandas as pd

        return pd.DataFrame(
            {
                name: pd.Series(
                    values, dtype=np.float64 if values.dtype.kind == "f" else "str", copy=True
                )
                for name, values in self.columns.items()
            }
        )

    @property
    def n_lines(self) -> int:
        """How many staff lines and items the model has."""
        return len(self.columns["stage"])

    def base_values(self) -> FloatArray:
        """The base value of every parameter, shape ``(parameters,)`` (a new array)."""
        cached: FloatArray | None = self.__dict__.get("_base")
        if cached is None:
            cached = np.array([p.base for p in self.parameters], dtype=np.float64)
            self.__dict__["_base"] = cached
        return cached.copy()

    def addresses(self) -> list[str]:
        """Every parameter's address."""
        if isinstance(self.parameters, Parameters):
            return list(self.parameters.addresses)
        return [p.address for p in self.parameters]

    def evaluate(self, values: FloatArray) -> _Evaluation:
        """Figures for parameter sets ``values`` of shape ``(sets, parameters)``."""
        v = np.atleast_2d(np.asarray(values, dtype=np.float64))
        # a figure too large to compute is refused by its caller (costing.overflow), not
        # warned about by numpy
        with np.errstate(over="ignore", invalid="ignore"):
            contacts = v[:, self.freq] * v[:, self.dur] * self.mult
            staff = v[:, self.count] * v[:, self.share]
            hours = contacts * (v[:, self.minutes] + v[:, self.travel]) / 60.0 * staff
            quantity = np.where(self.per_hour, hours, contacts * staff)
            unit_cost = v[:, self.unit_cost]
            receiving = quantity * unit_cost
            uptake = v[:, self.uptake]
            reach = v[:, self.reach]
            reached = receiving * uptake
            per_patient = reached * reach
            if len(self.cohort_params) == 1:
                cohort = v[:, self.cohort_params[0]].copy()
            else:
                pop, deaths, share = self.cohort_params
                cohort = v[:, pop] * v[:, deaths] / 1000.0 * v[:, share]
        return _Evaluation(
            contacts=contacts,
            hours=hours,
            quantity=quantity,
            unit_cost=unit_cost,
            uptake=uptake,
            reach=reach,
            cost_per_patient_receiving=receiving,
            cost_per_patient_reached=reached,
            cost_per_patient=per_patient,
            cohort=cohort,
        )

    def stage_bounds(self) -> IndexArray:
        """Where each stage's lines start and end: shape ``(stages + 1,)``.

        Lines are compiled stage by stage, so each stage's lines are contiguous (a
        stage whose lines all failed to compile has none: its bounds are equal).
        """
        cached: IndexArray | None = self.__dict__.get("_bounds")
        if cached is None:
            ids = [s.id for s in self.pathway.stages]
            stages = self.columns["stage"]
            position = {s: i for i, s in enumerate(ids)}
            codes = np.fromiter((position[s] for s in stages), dtype=np.intp, count=len(stages))
            if (np.diff(codes) < 0).any():
                raise ValueError("the lines of a cost model must be in the pathway's stage order")
            cached = np.searchsorted(codes, np.arange(len(ids) + 1), side="left").astype(np.intp)
            self.__dict__["_bounds"] = cached
        return cached

    def stage_sums(self, line_costs: FloatArray) -> FloatArray:
        """Each stage's sum of lines, shape ``(stages, sets)``, from ``(lines, sets)``.

        Every figure that adds lines up (:class:`~careprofiles.costing.result.CostResult`,
        :func:`~careprofiles.costing.simulate.simulate`,
        :func:`~careprofiles.costing.sensitivity.sensitivity`) uses this one function, so
        that a pathway with nothing uncertain simulates to exactly the deterministic
        figures. Each set's lines are added one after another, in line order,
        independently of the other sets (so the result does not depend on how many sets
        are summed at once); a stage with no lines sums to 0.
        """
        return _sequential_sums(line_costs, self.stage_bounds())

    @staticmethod
    def pathway_sums(stage_sums: FloatArray) -> FloatArray:
        """The pathway's sum of its stages, shape ``(sets,)``, from ``(stages, sets)``.

        Stages are added one after another, in pathway order (see :meth:`stage_sums`).
        """
        bounds = np.array([0, stage_sums.shape[0]], dtype=np.intp)
        sums: FloatArray = _sequential_sums(stage_sums, bounds)[0]
        return sums


def _sequential_sums(rows: FloatArray, bounds: IndexArray) -> FloatArray:
    """Sums of ``rows[bounds[i]:bounds[i + 1]]`` along axis 0, one row after another.

    numpy reduces a C-contiguous ``(rows, sets)`` array along axis 0 by adding whole
    rows in order (its inner loop runs along the sets), so each set's sum is the plain
    sequential sum of its column, independently of the other columns. A single column
    would be summed pairwise instead (numpy coalesces it to one dimension), so it is
    summed as two identical columns. ``tests/costing/test_model.py`` checks both facts.
    """
    matrix = np.asarray(rows, dtype=np.float64)
    sets = matrix.shape[1]
    matrix = np.repeat(matrix, 2, axis=1) if sets == 1 else np.ascontiguousarray(matrix)
    out = np.zeros((len(bounds) - 1, matrix.shape[1]), dtype=np.float64)
    for i, (start, end) in enumerate(itertools.pairwise(bounds.tolist())):
        if end > start:
            np.add.reduce(matrix[start:end], axis=0, out=out[i])
    return out[:, :1] if sets == 1 else out
