"""The costing engine: a pathway and a tariff → resource lines → every figure.

Costing follows ``docs/costing.md`` (the rules of ``careprofiles/1``). The pathway is
first *compiled* into a :class:`CostModel`: a table of parameters (every number that
can change: durations, reaches, uptakes, frequencies, minutes, counts, shares,
quantities, unit costs, the cohort) and, for every staff line and item, the indices of
the parameters it multiplies. :meth:`CostModel.evaluate` then computes every figure of
every line for any number of parameter sets at once, as numpy arrays of shape
``(sets, lines)``. Deterministic costing evaluates one set (the base values); Monte
Carlo evaluates the draws; one-way sensitivity evaluates the low and high end of each
parameter. All three take each line's cost per cohort patient from one piece of
arithmetic, :class:`LinePlan` (the same operations as ``evaluate``, in the same order,
done only for what varies between sets), and add lines up with one function,
:meth:`CostModel.stage_sums` (each stage's lines in order, then the stages in order),
so they cannot disagree: a pathway with nothing uncertain simulates to exactly the
deterministic figures.

For stage *s* (duration D weeks, reach R), service *v* (uptake U):

* contacts N = per_stage, or per_week × D, or per_day × 7 × D;
* staff line (count c, share h): hours H = N × (minutes + travel) / 60 × c × h;
  cost = H × rate (per-hour role) or N × c × h × rate (per-contact role);
* item: units Q = quantity, or per_week × D; cost = Q × unit cost;
* cost per patient reaching the stage = Σ U × cost per patient receiving;
* cost per cohort patient = R × that; population cost = × cohort size;
* staff hours a year = H × U × R × cohort; WTE = hours / hours_per_wte.
"""

from __future__ import annotations

import collections
import html
import itertools
import math
import operator
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, overload

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from careprofiles._gc import paused_gc
from careprofiles.errors import MissingCodeError, Problem, TariffError
from careprofiles.profiles.distributions import Distribution, Uncertain, base_value
from careprofiles.profiles.models import Pathway
from careprofiles.profiles.sources import SourcedModel as _Model
from careprofiles.tariffs.tables import STAFF_UNITS, PriceIndex, Tariff, TariffRow

__all__ = [
    "CostModel",
    "CostResult",
    "Evaluation",
    "LinePlan",
    "Parameter",
    "Parameters",
    "compile_model",
    "cost",
]

FloatArray = NDArray[np.float64]
IndexArray = NDArray[np.intp]

_ONE, _ZERO = 0, 1


@dataclass(frozen=True)
class Parameter:
    """A number the figures depend on, addressed as scenarios address it."""

    address: str
    """e.g. ``last-days/district-nursing/contacts/per_day`` or ``tariff/district-nurse``."""
    value: Uncertain
    """The number or distribution, as written."""
    location: str = ""
    """``file:line`` where it was written."""
    factor: float = 1.0
    """A multiplier applied to every value (price-index uplift and market forces)."""

    @property
    def base(self) -> float:
        """The value deterministic costing uses."""
        return base_value(self.value) * self.factor

    @property
    def uncertain(self) -> bool:
        """True for a distribution that is not a single point."""
        return isinstance(self.value, Distribution) and not self.value.is_degenerate


@dataclass(frozen=True)
class Evaluation:
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
    """Every number the figures depend on, in order (see :class:`Parameters`)."""
    lines: pd.DataFrame
    """One row per staff line or item: what it is and where it came from."""
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

    def evaluate(self, values: FloatArray) -> Evaluation:
        """Figures for parameter sets ``values`` of shape ``(sets, parameters)``."""
        v = np.atleast_2d(np.asarray(values, dtype=np.float64))
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
        return Evaluation(
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

    def plan(self, varying: Sequence[int] = ()) -> LinePlan:
        """A :class:`LinePlan` for parameter sets in which only ``varying`` differ."""
        key = tuple(int(i) for i in varying)
        plans: dict[tuple[int, ...], LinePlan] = self.__dict__.setdefault("_plans", {})
        found = plans.get(key)
        if found is None:
            if len(plans) >= 8:  # a few plans are reused (cost, simulate, sensitivity)
                plans.clear()
            found = plans[key] = LinePlan(self, key)
        return found

    def line_costs(self, values: FloatArray) -> FloatArray:
        """Cost per cohort patient of every line, shape ``(lines, sets)``.

        ``values`` are parameter sets of shape ``(sets, parameters)``, as for
        :meth:`evaluate`; the result is ``evaluate(values).cost_per_patient`` transposed,
        to the last bit, computed with only the columns of ``values`` that differ
        between sets gathered per set (see :class:`LinePlan`).
        """
        v = np.atleast_2d(np.asarray(values, dtype=np.float64))
        varying = np.flatnonzero((v != v[0]).any(axis=0)) if v.shape[0] > 1 else ()
        plan = self.plan(tuple(int(i) for i in varying))
        drawn = np.ascontiguousarray(v[:, plan.varying].T)
        costs = plan.line_costs(drawn, v[0])
        return np.ascontiguousarray(np.broadcast_to(costs, (costs.shape[0], v.shape[0])))

    def stage_bounds(self) -> IndexArray:
        """Where each stage's lines start and end: shape ``(stages + 1,)``.

        Lines are compiled stage by stage, so each stage's lines are contiguous (a
        stage whose lines all failed to compile has none: its bounds are equal).
        """
        cached: IndexArray | None = self.__dict__.get("_bounds")
        if cached is None:
            ids = [s.id for s in self.pathway.stages]
            stages = self.lines["stage"].to_numpy(dtype=object)
            position = {s: i for i, s in enumerate(ids)}
            codes = np.fromiter((position[s] for s in stages), dtype=np.intp, count=len(stages))
            if (np.diff(codes) < 0).any():
                raise ValueError("the lines of a cost model must be in the pathway's stage order")
            cached = np.searchsorted(codes, np.arange(len(ids) + 1), side="left").astype(np.intp)
            self.__dict__["_bounds"] = cached
        return cached

    def stage_sums(self, line_costs: FloatArray) -> FloatArray:
        """Each stage's sum of lines, shape ``(stages, sets)``, from ``(lines, sets)``.

        Every figure that adds lines up (:class:`CostResult`, :func:`simulate
        <careprofiles.costing.uncertainty.simulate>`, :func:`sensitivity
        <careprofiles.costing.uncertainty.sensitivity>`) uses this one function, so that a
        pathway with nothing uncertain simulates to exactly the deterministic figures.
        Each set's lines are added one after another, in line order, independently of
        the other sets (so the result does not depend on how many sets are summed at
        once); a stage with no lines sums to 0.
        """
        bounds = self.stage_bounds()
        return _sequential_sums(line_costs, bounds)

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
    summed as two identical columns. ``tests/test_costing.py`` checks both facts.
    """
    matrix = np.asarray(rows, dtype=np.float64)
    sets = matrix.shape[1]
    matrix = np.repeat(matrix, 2, axis=1) if sets == 1 else np.ascontiguousarray(matrix)
    out = np.zeros((len(bounds) - 1, matrix.shape[1]), dtype=np.float64)
    for i, (start, end) in enumerate(itertools.pairwise(bounds.tolist())):
        if end > start:
            np.add.reduce(matrix[start:end], axis=0, out=out[i])
    return out[:, :1] if sets == 1 else out


@dataclass(frozen=True)
class _Take:
    """The values of one parameter a row: a column when none of them varies between
    sets, else gathered (one row copied a row) from the plan's parameter rows."""

    index: IndexArray
    """Parameter indices, one a row."""
    rows: IndexArray | None
    """Each one's row in the parameter rows; None when none of them varies."""

    def values(self, rows: FloatArray, fixed: FloatArray, out: FloatArray) -> FloatArray:
        """``(rows, 1)`` (new), or ``(rows, sets)`` gathered into ``out``."""
        if self.rows is None:
            return fixed[self.index][:, np.newaxis]
        return np.take(rows, self.rows, axis=0, out=out[: len(self.rows)], mode="clip")


@dataclass(frozen=True)
class _LineFactor:
    """One factor of every line's product: the product of its terms, in order (the
    skill mix is count x share; unit cost, uptake and reach have one term each).

    How it is applied depends on which lines vary (chosen once, by :class:`LinePlan`):

    * ``fixed``: no term varies on any line: one ``(lines, 1)`` column;
    * ``runs``: one term, whose lines come in long runs of one parameter (a stage's
      reach): each run is multiplied by its row, with no gather;
    * ``some``: few lines vary: a column that is 1.0 on the varying lines, then those
      lines alone (x * 1.0 == x exactly, so each line is multiplied once by its value);
    * ``all``: the terms are gathered for every line and multiplied.
    """

    terms: tuple[IndexArray, ...]
    mode: str
    takes: tuple[_Take, ...] = ()
    """``all``: each term for every line; ``some``: each term on :attr:`lines`;
    ``runs``: the term once a run."""
    lines: IndexArray = field(default_factory=lambda: np.empty(0, dtype=np.intp))
    """``some``: the lines where a term varies; ``runs``: where each run starts, and
    the number of lines."""

    def column(self, fixed: FloatArray) -> FloatArray:
        """The product of the terms' fixed values, ``(lines, 1)``."""
        out = fixed[self.terms[0]]
        for term in self.terms[1:]:
            out = out * fixed[term]
        if self.mode == "some":
            out[self.lines] = 1.0
        return out[:, np.newaxis]

    def scale(
        self, product: FloatArray, rows: FloatArray, fixed: FloatArray, work: _Workspace
    ) -> FloatArray:
        """``product`` times this factor, line by line (in place where it can be)."""
        if self.mode == "fixed":
            return _times(product, self.column(fixed), work.product)
        if self.mode == "runs":
            if product.shape[1] < work.sets:
                product = np.multiply(product, 1.0, out=work.product)
            (take,) = self.takes
            values = take.values(rows, fixed, work.line_work[0])
            for r, (start, end) in enumerate(itertools.pairwise(self.lines.tolist())):
                product[start:end] *= values[r]
            return product
        if self.mode == "some":
            product = _times(product, self.column(fixed), work.product)
            if product.shape[1] < work.sets:
                product = np.multiply(product, 1.0, out=work.product)
            product[self.lines] *= self._product(rows, fixed, work)
            return product
        return _times(product, self._product(rows, fixed, work), work.product)

    def _product(self, rows: FloatArray, fixed: FloatArray, work: _Workspace) -> FloatArray:
        first, *others = self.takes
        out = first.values(rows, fixed, work.line_work[0])
        for take in others:
            values = take.values(rows, fixed, work.line_work[1])
            if out.shape[1] < values.shape[1]:
                out = np.multiply(out, values, out=work.line_work[1][: len(out)])
            else:
                out = np.multiply(out, values, out=out)
        return out


class _Workspace:
    """Buffers for :meth:`LinePlan.costs` with ``sets`` columns, reused call after call
    (fresh large arrays cost a page fault every 4 KiB, every time)."""

    def __init__(self, plan: LinePlan, sets: int) -> None:
        self.sets = sets
        groups = plan.n_groups if plan.groups_vary else 0
        self.source = np.empty((groups + plan.hours_end - plan.hours_start, sets))
        self.group_work = np.empty((groups, sets))
        self.product = np.empty((plan.lines, sets))
        self.line_work = (np.empty((plan.lines, sets)), np.empty((plan.lines, sets)))


def _times(product: FloatArray, factor: FloatArray, wide: FloatArray) -> FloatArray:
    """``product * factor`` (broadcast): in place, or into ``wide`` when ``product`` is
    a ``(rows, 1)`` column and ``factor`` is not."""
    if product.shape[1] >= factor.shape[1]:
        return np.multiply(product, factor, out=product)
    return np.multiply(product, factor, out=wide)


_FEW = 0.25
"""Below this share of varying lines, a factor is applied to those lines alone."""
_LONG_RUN = 64
"""Lines a run needs on average for a factor to be applied run by run."""


class LinePlan:
    """Every line's cost per cohort patient, for sets in which only some parameters vary.

    Computes what :meth:`CostModel.evaluate` computes for ``cost_per_patient``, with the
    same operations on the same numbers in the same order, so the same figures to the
    last bit (``tests/test_costing.py`` checks it), but only that figure, and faster:

    * a factor whose parameters do not vary is a ``(lines, 1)`` column broadcast over
      the sets, not a ``(lines, sets)`` gather; one that varies on a few lines only is
      applied to those lines only;
    * contacts (frequency x duration x 7 for per-day contacts) and hours before the
      skill mix ((contacts x (minutes + travel)) / 60) are computed once for each
      distinct combination of their parameters (once a service, not once a line),
      then gathered to the lines; multiplications by the constant 1 (the duration of
      per-stage contacts and items, the x 1 of per-week ones) are skipped, which
      changes no figure;
    * the products are done in place, in buffers reused from call to call.

    The layout is lines by sets (each set a column), so that gathers copy whole rows
    and the sums over lines (:meth:`CostModel.stage_sums`) add whole rows.

    The parameter rows (:meth:`parameter_rows`) hold the varying parameters' values,
    one row each in the order of :attr:`varying`, then the fixed values of the
    parameters that a gather needs beside them (:attr:`extra`).
    """

    def __init__(self, model: CostModel, varying: tuple[int, ...]) -> None:
        n_params = len(model.parameters)
        if len(set(varying)) != len(varying) or any(not 0 <= i < n_params for i in varying):
            raise ValueError("varying must list distinct parameter indices")
        if _ONE in varying or _ZERO in varying:
            raise ValueError("parameters 0 and 1 are the constants 1 and 0: they cannot vary")
        self.varying = np.asarray(varying, dtype=np.intp)
        self.lines = len(model.per_hour)
        is_varying = np.zeros(n_params, dtype=np.bool_)
        is_varying[self.varying] = True
        self._is_varying = is_varying
        self._extra: list[IndexArray] = []

        # distinct (frequency, duration, x7, minutes, travel): one a service's contacts,
        # one an item's
        keys = np.column_stack(
            [model.freq, model.dur, model.mult.view(np.int64), model.minutes, model.travel]
        ).astype(np.int64)
        if len(keys):
            _, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
        else:
            first = inverse = np.empty(0, dtype=np.intp)
        first = np.asarray(first, dtype=np.intp)
        line_group = np.asarray(inverse, dtype=np.intp).reshape(-1)
        hour = np.zeros(len(first), dtype=np.bool_)
        hour[line_group[model.per_hour]] = True
        mult = model.mult[first]
        x7 = mult != 1.0
        timed = (model.dur[first] != _ONE) | x7
        # order the groups so that those multiplied by a duration, those multiplied by
        # 7 and those with hours are each contiguous:
        # [untimed][untimed, hours][timed, hours][x7, hours][x7][timed]
        rank = np.select(
            [~timed & ~hour, ~timed, ~x7 & hour, x7 & hour, x7],
            [0, 1, 2, 3, 4],
            default=5,
        )
        order = np.argsort(rank, kind="stable")
        rank, first, mult = rank[order], first[order], mult[order]
        new_position = np.empty(len(order), dtype=np.intp)
        new_position[order] = np.arange(len(order), dtype=np.intp)
        line_group = new_position[line_group]
        self.timed_start = int(np.searchsorted(rank, 2))
        self.x7 = (int(np.searchsorted(rank, 3)), int(np.searchsorted(rank, 5)))
        self.x7_mult = mult[self.x7[0] : self.x7[1]][:, np.newaxis]
        self.hours_start = int(np.searchsorted(rank, 1))
        self.hours_end = int(np.searchsorted(rank, 4))
        n_groups = self.n_groups = len(first)
        self.line_source = np.where(
            model.per_hour, n_groups + line_group - self.hours_start, line_group
        ).astype(np.intp)
        hours = slice(self.hours_start, self.hours_end)
        self.freq = self._take(model.freq[first])
        self.dur = self._take(model.dur[first][self.timed_start :])
        self.minutes = self._take(model.minutes[first][hours])
        self.travel = self._take(model.travel[first][hours])
        self.groups_vary = any(
            t.rows is not None for t in (self.freq, self.dur, self.minutes, self.travel)
        )
        self.factors: tuple[_LineFactor, ...] = (
            self._factor((model.count, model.share)),
            self._factor((model.unit_cost,)),
            self._factor((model.uptake,)),
            self._factor((model.reach,)),
        )
        self.cohort_takes = tuple(self._take(np.array([i])) for i in model.cohort_params)
        self.extra = np.unique(np.concatenate([np.empty(0, dtype=np.intp), *self._extra]))
        row_of = np.full(n_params, -1, dtype=np.intp)
        row_of[self.varying] = np.arange(len(varying), dtype=np.intp)
        row_of[self.extra] = len(varying) + np.arange(len(self.extra), dtype=np.intp)
        self._row_of = row_of
        # now that every row is placed, point each gather at its rows
        self.freq, self.dur, self.minutes, self.travel = (
            self._placed(t) for t in (self.freq, self.dur, self.minutes, self.travel)
        )
        self.factors = tuple(
            replace(f, takes=tuple(self._placed(t) for t in f.takes)) for f in self.factors
        )
        self.cohort_takes = tuple(self._placed(t) for t in self.cohort_takes)

    def _take(self, index: IndexArray) -> _Take:
        index = np.asarray(index, dtype=np.intp)
        varies = self._is_varying[index]
        if not varies.any():
            return _Take(index, None)
        self._extra.append(index[~varies])
        return _Take(index, index)  # parameter indices for now; rows once placed

    def _placed(self, take: _Take) -> _Take:
        return take if take.rows is None else _Take(take.index, self._row_of[take.rows])

    def _factor(self, terms: tuple[IndexArray, ...]) -> _LineFactor:
        terms = tuple(np.asarray(t, dtype=np.intp) for t in terms)
        varies = np.zeros(self.lines, dtype=np.bool_)
        for term in terms:
            varies |= self._is_varying[term]
        if not varies.any():
            return _LineFactor(terms, "fixed")
        if len(terms) == 1:
            (term,) = terms
            starts = np.flatnonzero(np.r_[True, term[1:] != term[:-1]])
            if len(starts) * _LONG_RUN <= self.lines:
                bounds = np.r_[starts, self.lines].astype(np.intp)
                return _LineFactor(terms, "runs", (self._take(term[starts]),), bounds)
        if varies.mean() <= _FEW:
            lines = np.flatnonzero(varies).astype(np.intp)
            return _LineFactor(terms, "some", tuple(self._take(t[lines]) for t in terms), lines)
        return _LineFactor(terms, "all", tuple(self._take(t) for t in terms))

    def parameter_rows(self, fixed: FloatArray, sets: int, blocks: int = 1) -> FloatArray:
        """A new ``(blocks, varying + extra, sets)`` array of parameter rows: each block
        a separate call's. The extra rows hold their ``fixed`` values; the varying rows,
        ``[:, :len(varying)]``, are left for the caller to fill (they are not set)."""
        out = np.empty((blocks, len(self.varying) + len(self.extra), sets), dtype=np.float64)
        out[:, len(self.varying) :] = fixed[self.extra][:, np.newaxis]
        return out

    def workspace(self, sets: int) -> _Workspace:
        """Buffers for :meth:`costs` calls with ``sets`` columns."""
        return _Workspace(self, sets)

    def line_costs(self, drawn: FloatArray, fixed: FloatArray) -> FloatArray:
        """Cost per cohort patient of every line, ``(lines, sets)`` or ``(lines, 1)``.

        ``drawn`` holds the varying parameters' values, one row each in the order of
        :attr:`varying`, one column a set (shape ``(varying, sets)``); ``fixed`` holds
        every parameter's value (those of the varying ones are not read). The result
        has one column when nothing varies.
        """
        sets = drawn.shape[1]
        rows = self.parameter_rows(fixed, sets)[0]
        rows[: len(self.varying)] = drawn
        return self.costs(rows, fixed, self.workspace(sets)).copy()

    def costs(self, rows: FloatArray, fixed: FloatArray, work: _Workspace) -> FloatArray:
        """:meth:`line_costs` from parameter rows (a block of :meth:`parameter_rows`),
        into ``work``'s buffers: valid until its next use."""
        if fixed[_ONE] != 1.0 or fixed[_ZERO] != 0.0:
            raise ValueError("parameters 0 and 1 must be the constants 1 and 0")
        n_groups = self.n_groups
        if self.groups_vary:
            source = work.source
        else:
            source = np.empty((n_groups + self.hours_end - self.hours_start, 1))
        contacts = source[:n_groups]
        if self.freq.rows is None:
            contacts[...] = self.freq.values(rows, fixed, contacts)
        else:
            self.freq.values(rows, fixed, contacts)
        timed = contacts[self.timed_start :]
        timed *= self.dur.values(rows, fixed, work.group_work)
        contacts[self.x7[0] : self.x7[1]] *= self.x7_mult
        minutes = self.minutes.values(rows, fixed, work.group_work)
        travel = self.travel.values(rows, fixed, work.line_work[0])
        if minutes.shape[1] < travel.shape[1]:
            minutes = np.add(minutes, travel, out=travel)
        else:
            minutes = np.add(minutes, travel, out=minutes)
        hours = source[n_groups:]
        np.multiply(contacts[self.hours_start : self.hours_end], minutes, out=hours)
        hours /= 60.0
        if self.groups_vary:
            product = np.take(source, self.line_source, axis=0, out=work.product, mode="clip")
        else:
            product = source[self.line_source]
        for factor in self.factors:
            product = factor.scale(product, rows, fixed, work)
        return product

    def cohort(self, rows: FloatArray, fixed: FloatArray) -> FloatArray:
        """Cohort size from parameter rows, shape ``(sets,)`` or ``(1,)`` (as
        :meth:`CostModel.evaluate` computes it)."""
        parts = [t.values(rows, fixed, np.empty((1, rows.shape[1])))[0] for t in self.cohort_takes]
        if len(parts) == 1:
            return np.array(parts[0], dtype=np.float64)
        pop, deaths, share = parts
        cohort: FloatArray = pop * deaths / 1000.0 * share
        return cohort


class Parameters(Sequence[Parameter]):
    """A cost model's parameters, in order: a read-only sequence of :class:`Parameter`.

    A large pathway has tens of thousands of parameters and costing reads only their
    base values, so they are kept as columns and each :class:`Parameter` is built when
    it is asked for. Indexing, slicing, iteration and ``len`` behave as for a tuple.
    """

    __slots__ = ("_addresses", "_factors", "_locations", "_values")

    def __init__(
        self,
        addresses: Sequence[str],
        values: Sequence[Uncertain],
        locations: Sequence[str | tuple[_Model, str]],
        factors: Sequence[float],
    ) -> None:
        """``locations`` are ``file:line`` texts, or ``(model, field)`` pairs whose
        ``model.location_of(field)`` is looked up when the parameter is built."""
        if not len(addresses) == len(values) == len(locations) == len(factors):
            raise ValueError("addresses, values, locations and factors differ in length")
        self._addresses = tuple(addresses)
        self._values = tuple(values)
        self._locations = tuple(locations)
        self._factors = tuple(factors)

    def __len__(self) -> int:
        return len(self._addresses)

    @overload
    def __getitem__(self, index: int) -> Parameter: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[Parameter, ...]: ...

    def __getitem__(self, index: int | slice) -> Parameter | tuple[Parameter, ...]:
        if isinstance(index, slice):
            return tuple(
                map(
                    Parameter,
                    self._addresses[index],
                    self._values[index],
                    map(_where, self._locations[index]),
                    self._factors[index],
                )
            )
        return Parameter(
            self._addresses[index],
            self._values[index],
            _where(self._locations[index]),
            self._factors[index],
        )

    def __iter__(self) -> Iterator[Parameter]:
        return map(
            Parameter, self._addresses, self._values, map(_where, self._locations), self._factors
        )

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence):
            return tuple(self) == tuple(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<Parameters: {len(self)}>"

    @property
    def addresses(self) -> tuple[str, ...]:
        """Every parameter's address, in order."""
        return self._addresses


def _where(location: str | tuple[_Model, str]) -> str:
    """``file:line`` from a text, or from a ``(model, field)`` pair."""
    if isinstance(location, str):
        return location
    model, name = location
    return model.location_of(name)


class _Builder:
    """Collects the parameters of a cost model as columns.

    :attr:`add` is a closure over the columns' ``append`` methods (tens of thousands of
    parameters are added, and a method looking up five attributes a call was a third of
    the compile time); factors other than 1 (tariff uplifts) are kept aside by index.
    """

    def __init__(self) -> None:
        self.addresses: list[str] = ["1", "0"]
        self.values: list[Uncertain] = [1.0, 0.0]
        self.locations: list[str | tuple[_Model, str]] = ["", ""]
        self.factors: dict[int, float] = {}
        addresses, values, locations = self.addresses, self.values, self.locations
        add_address, add_value, add_location = addresses.append, values.append, locations.append
        factors = self.factors

        def add(
            address: str, value: Uncertain, location: str | tuple[_Model, str], factor: float = 1.0
        ) -> int:
            """Add a parameter (the compiler gives each address once); its index."""
            add_address(address)
            add_value(value)
            add_location(location)
            index = len(addresses) - 1
            if factor != 1.0:
                factors[index] = factor
            return index

        self.add = add

    def bases(self) -> FloatArray:
        """Every parameter's base value (times its factor)."""
        out = np.fromiter(
            (v if type(v) is float else base_value(v) for v in self.values),
            dtype=np.float64,
            count=len(self.values),
        )
        for index, factor in self.factors.items():
            out[index] *= factor
        return out

    def parameters(self) -> Parameters:
        if len(set(self.addresses)) != len(self.addresses):  # a bug, not a user's error
            raise AssertionError("a parameter address was compiled twice")
        factors = [1.0] * len(self.addresses)
        for index, factor in self.factors.items():
            factors[index] = factor
        return Parameters(self.addresses, self.values, self.locations, factors)


def compile_model(
    pathway: Pathway, tariff: Tariff, *, index: PriceIndex | None = None
) -> CostModel:
    """Compile ``pathway`` and ``tariff`` into a :class:`CostModel`.

    Raises :class:`MissingCodeError` for a code no tariff row has, and
    :class:`TariffError` for a role not priced per hour or contact, an item priced per
    hour, or a row in another price year with no ``index`` to uplift it; every problem
    names the YAML ``file:line`` (or tariff row) and the code.
    """
    problems: list[Problem] = []
    missing = False
    try:
        # every row, used or not: a tariff in mixed price years is an error (the spec)
        tariff = tariff.in_price_year(pathway.price_year, index)
    except TariffError as exc:
        problems.extend(exc.problems)

    b = _Builder()
    add_param = b.add
    cohort = pathway.cohort
    if cohort.patients is not None:
        cohort_params: tuple[int, ...] = (
            add_param("cohort/patients", cohort.patients, (cohort, "patients")),
        )
    else:
        assert cohort.population is not None
        assert cohort.deaths_per_1000 is not None
        assert cohort.eligible_share is not None
        cohort_params = (
            add_param("cohort/population", cohort.population, (cohort, "population")),
            add_param(
                "cohort/deaths_per_1000", cohort.deaths_per_1000, (cohort, "deaths_per_1000")
            ),
            add_param("cohort/eligible_share", cohort.eligible_share, (cohort, "eligible_share")),
        )

    # each code is priced once: its parameter and row, or None when it cannot be used
    priced: dict[tuple[str, bool], tuple[int, int] | None] = {}
    distinct_rows: list[TariffRow] = []

    def price(code: str, staff: bool, location: str, where: str) -> tuple[int, int] | None:
        """Price a line's code the first time it is used, or report again why it cannot."""
        if not _usable(code, staff, location, where):
            priced[code, staff] = None
            return None
        row = tariff[code]
        value: Uncertain = row.cost
        factor = 1.0
        if (
            math.isfinite(row.original_cost)
            and row.original_cost != 0
            and row.cost != row.original_cost
        ):
            # keep the written cost as the parameter so that an uncertainty
            # distribution (stated in the written price year) is adjusted alike
            value, factor = row.original_cost, row.cost / row.original_cost
        found = priced[code, staff] = (
            add_param(f"tariff/{code}", value, row.location, factor),
            len(distinct_rows),
        )
        distinct_rows.append(row)
        return found

    def _usable(code: str, staff: bool, location: str, where: str) -> bool:
        """True if ``code`` can price the line; else report why not and give False."""
        nonlocal missing
        row = tariff.get(code)
        if row is None:
            missing = True
            message = (
                f"no tariff row for {code!r}{tariff.suggest(code)}; add a row with code "
                f"{code!r} to a tariff file, or correct the code"
            )
        elif staff and row.unit not in STAFF_UNITS:
            message = (
                f"role {code!r} is priced per {row.unit} ({row.location}); a staff role "
                "must be priced per hour or per contact: fix the tariff row, or list "
                "the code under items"
            )
        elif not staff and row.unit == "hour":
            message = (
                f"item {code!r} is priced per hour ({row.location}); an item is priced "
                "per item, day, week or contact: fix the tariff row, or list the code "
                "under staff with contacts"
            )
        else:
            return True
        file, _, line = location.rpartition(":")
        problems.append(
            Problem(file or None, int(line) if line.isdigit() else None, where, message)
        )
        return False

    # the lines, one list a column (faster than a record a line)
    freq: list[int] = []
    dur: list[int] = []
    mult: list[float] = []
    minutes: list[int] = []
    travel: list[int] = []
    count: list[int] = []
    share: list[int] = []
    uptake: list[int] = []
    reach: list[int] = []
    unit_cost: list[int] = []
    row_of_line: list[int] = []
    kinds: list[str] = []
    codes: list[str] = []
    frequencies: list[str] = []
    addresses: list[str] = []
    sources: list[str] = []
    service_columns: dict[str, list[Any]] = {name: [] for name in _SERVICE_COLUMNS}
    for stage in pathway.stages:
        s_addr = stage.id
        stage_label = stage.label
        stage_dur = add_param(
            f"{s_addr}/duration_weeks", stage.duration_weeks, (stage, "duration_weeks")
        )
        stage_reach = add_param(f"{s_addr}/reach", stage.reach, (stage, "reach"))
        for vi, service in enumerate(stage.services):
            v_addr = f"{s_addr}/{service.id}"
            service_loc = service.location
            service_uptake = add_param(f"{v_addr}/uptake", service.uptake, (service, "uptake"))
            lines_before = len(row_of_line)
            if service.contacts is not None:
                c = service.contacts
                kind, fvalue = c.frequency
                c_freq = add_param(f"{v_addr}/contacts/{kind}", fvalue, (c, kind))
                c_minutes = add_param(f"{v_addr}/contacts/minutes", c.minutes, (c, "minutes"))
                c_travel = add_param(
                    f"{v_addr}/contacts/travel_minutes", c.travel_minutes, (c, "travel_minutes")
                )
                line_dur = _ONE if kind == "per_stage" else stage_dur
                line_mult = 7.0 if kind == "per_day" else 1.0
                seen: dict[str, int] = {}
                for li, line in enumerate(service.staff):
                    role = line.role
                    line_loc = line.location
                    found = priced.get((role, True))
                    if found is None:  # not priced yet, or reported already: report again
                        where = f"{stage.id}: services[{vi}].staff[{li}].role"
                        found = price(role, True, line_loc or service_loc, where)
                    if found is None:
                        continue
                    n = seen[role] = seen.get(role, 0) + 1
                    l_addr = f"{v_addr}/staff/{role}" if n == 1 else f"{v_addr}/staff/{role}#{n}"
                    freq.append(c_freq)
                    dur.append(line_dur)
                    mult.append(line_mult)
                    minutes.append(c_minutes)
                    travel.append(c_travel)
                    count.append(add_param(f"{l_addr}/count", line.count, (line, "count")))
                    share.append(add_param(f"{l_addr}/share", line.share, (line, "share")))
                    unit_cost.append(found[0])
                    row_of_line.append(found[1])
                    kinds.append("staff")
                    codes.append(role)
                    frequencies.append(kind)
                    addresses.append(l_addr)
                    sources.append(line_loc)
            seen_items: dict[str, int] = {}
            for ii, item in enumerate(service.items):
                code = item.code
                item_loc = item.location
                found = priced.get((code, False))
                if found is None:
                    where = f"{stage.id}: services[{vi}].items[{ii}].code"
                    found = price(code, False, item_loc or service_loc, where)
                if found is None:
                    continue
                n = seen_items[code] = seen_items.get(code, 0) + 1
                i_addr = f"{v_addr}/items/{code}" if n == 1 else f"{v_addr}/items/{code}#{n}"
                if item.quantity is not None:
                    freq.append(add_param(f"{i_addr}/quantity", item.quantity, (item, "quantity")))
                    dur.append(_ONE)
                    frequencies.append("quantity")
                else:
                    assert item.per_week is not None
                    freq.append(add_param(f"{i_addr}/per_week", item.per_week, (item, "per_week")))
                    dur.append(stage_dur)
                    frequencies.append("per_week")
                mult.append(1.0)
                minutes.append(_ZERO)
                travel.append(_ZERO)
                count.append(_ONE)
                share.append(_ONE)
                unit_cost.append(found[0])
                row_of_line.append(found[1])
                kinds.append("item")
                codes.append(code)
                addresses.append(i_addr)
                sources.append(item_loc)
            added = len(row_of_line) - lines_before
            if added:
                uptake.extend([service_uptake] * added)
                reach.extend([stage_reach] * added)
                described = (stage.id, stage_label, service.id, service.label, service.setting)
                for name, value in zip(_SERVICE_COLUMNS, described, strict=True):
                    service_columns[name].extend([value] * added)
    if problems:
        if missing:
            problems = _with_layering_hint(problems, tariff)
        raise (MissingCodeError if missing else TariffError)(problems)

    def idx(column: list[int]) -> IndexArray:
        return np.asarray(column, dtype=np.intp)

    take = idx(row_of_line)  # each line's tariff row, in distinct_rows

    model = CostModel(
        pathway=pathway,
        tariff=tariff,
        parameters=b.parameters(),
        lines=_describe(
            service_columns, kinds, codes, frequencies, addresses, sources, distinct_rows, take
        ),
        freq=idx(freq),
        dur=idx(dur),
        mult=np.asarray(mult, dtype=np.float64),
        minutes=idx(minutes),
        travel=idx(travel),
        count=idx(count),
        share=idx(share),
        uptake=idx(uptake),
        reach=idx(reach),
        unit_cost=idx(unit_cost),
        per_hour=np.asarray([r.unit == "hour" for r in distinct_rows], dtype=np.bool_)[take],
        cohort_params=cohort_params,
    )
    model.__dict__["_base"] = b.bases()
    return model


def _with_layering_hint(problems: list[Problem], tariff: Tariff) -> list[Problem]:
    """``problems`` with a hint on the first missing code when the tariff does not
    include the bundled one: a local tariff given alone replaces it."""
    from careprofiles.errors import display_path
    from careprofiles.resources import bundled_tariff

    if display_path(bundled_tariff()) in tariff.files or not tariff.files:
        return problems
    for i, problem in enumerate(problems):
        if problem.message.startswith("no tariff row for "):
            hint = (
                f" (the tariff is {', '.join(tariff.files)} alone: to add rows to the bundled "
                "tariff, give it first: --tariff bundled --tariff FILE, or in Python "
                "load_tariff(careprofiles.resources.bundled_tariff(), FILE))"
            )
            first = replace(problem, message=problem.message + hint)
            return [*problems[:i], first, *problems[i + 1 :]]
    return problems


_SERVICE_COLUMNS = ("stage", "stage_name", "service", "service_name", "setting")


def _describe(
    service_columns: dict[str, list[Any]],
    kinds: list[str],
    codes: list[str],
    frequencies: list[str],
    addresses: list[str],
    sources: list[str],
    rows: list[TariffRow],
    take: IndexArray,
) -> pd.DataFrame:
    """The lines' descriptive columns (:data:`_DESCRIPTIVE`): the services', the lines'
    own, and those of their tariff rows (``rows[take[i]]`` is line i's)."""

    def tariff_column(values: list[Any], dtype: Any = object) -> Any:
        return np.asarray(values, dtype=dtype).reshape(-1)[take]

    is_staff = np.asarray(kinds, dtype=object) == "staff"
    hours_per_wte = tariff_column([r.hours_per_wte for r in rows], np.float64)
    columns: dict[str, Any] = {
        **service_columns,
        "kind": kinds,
        "code": codes,
        "description": tariff_column([r.description for r in rows]),
        "unit": tariff_column([r.unit for r in rows]),
        "frequency": frequencies,
        "address": addresses,
        "source": sources,
        "tariff_source": tariff_column([r.location for r in rows]),
        "tariff_reference": tariff_column([r.source for r in rows]),
        "price_year": tariff_column([r.price_year for r in rows]),
        "adjustments": tariff_column(["; ".join(r.adjustments) for r in rows]),
        "hours_per_wte": np.where(is_staff, hours_per_wte, math.nan),
    }
    return pd.DataFrame(
        {
            name: pd.Series(columns[name], dtype=np.float64 if name == "hours_per_wte" else "str")
            for name in _DESCRIPTIVE
        }
    )


_DESCRIPTIVE = [
    "stage",
    "stage_name",
    "service",
    "service_name",
    "setting",
    "kind",
    "code",
    "description",
    "unit",
    "frequency",
    "address",
    "source",
    "tariff_source",
    "tariff_reference",
    "price_year",
    "adjustments",
    "hours_per_wte",
]


def cost(
    pathway: Pathway | str | os.PathLike[str],
    tariff: Tariff | str | os.PathLike[str],
    *,
    index: PriceIndex | None = None,
) -> CostResult:
    """Cost ``pathway`` with ``tariff``: per patient, per stage, per population, workforce.

    ``pathway`` is a loaded :class:`~careprofiles.profiles.models.Pathway` or the path of a
    pathway folder (or its ``pathway.yaml``); ``tariff`` a loaded
    :class:`~careprofiles.tariffs.tables.Tariff` or the path of one tariff CSV (to layer several,
    load them with :func:`~careprofiles.tariffs.tables.load_tariff`). Rows of ``tariff`` in
    another price year than the pathway's are uplifted with ``index``; without one they
    are an error.
    """
    if isinstance(pathway, str | os.PathLike):
        from careprofiles.profiles.load import load_pathway

        pathway = load_pathway(os.fspath(pathway))
    elif not isinstance(pathway, Pathway):
        raise TypeError(
            f"pathway must be a Pathway or the path of a pathway folder, not "
            f"{type(pathway).__name__}; load one with careprofiles.load_pathway(...)"
        )
    if isinstance(tariff, str | os.PathLike):
        from careprofiles.tariffs.tables import load_tariff

        tariff = load_tariff(os.fspath(tariff))
    elif not isinstance(tariff, Tariff):
        raise TypeError(
            f"tariff must be a Tariff or the path of a tariff CSV, not "
            f"{type(tariff).__name__}; load one with careprofiles.load_tariff(...)"
        )
    with paused_gc():
        model = compile_model(pathway, tariff, index=index)
        return CostResult.from_model(model)


@dataclass(frozen=True, repr=False)
class CostResult:
    """The costed pathway. Every figure is a sum over :attr:`lines`."""

    pathway: Pathway
    tariff: Tariff
    model: CostModel = field(repr=False)
    lines: pd.DataFrame = field(repr=False)
    """One row per staff line or item, with every figure and its provenance."""
    cohort: float
    """Patients entering the pathway a year."""

    @classmethod
    def from_model(cls, model: CostModel) -> CostResult:
        """Evaluate ``model`` at its base values."""
        base = model.base_values()
        ev = model.evaluate(base[np.newaxis, :])
        cohort = float(ev.cohort[0])
        # the figure every sum adds up, from the arithmetic simulate uses (the same
        # figures as ev.cost_per_patient, to the last bit)
        per_line = model.plan().line_costs(np.empty((0, 1)), base)
        lines = model.lines.copy()
        figures = {
            "duration_weeks": model.base_values()[model.dur],
            "contacts": ev.contacts[0],
            "minutes": model.base_values()[model.minutes],
            "travel_minutes": model.base_values()[model.travel],
            "count": model.base_values()[model.count],
            "share": model.base_values()[model.share],
            "hours": ev.hours[0],
            "quantity": ev.quantity[0],
            "unit_cost": ev.unit_cost[0],
            "uptake": ev.uptake[0],
            "reach": ev.reach[0],
            "cost_per_patient_receiving": ev.cost_per_patient_receiving[0],
            "cost_per_patient_reached": ev.cost_per_patient_reached[0],
            "cost_per_patient": per_line[:, 0],
        }
        for name, values in figures.items():
            lines[name] = values
        items = (lines["kind"] == "item").to_numpy()
        for name in ("minutes", "travel_minutes", "count", "share"):
            lines.loc[items, name] = math.nan
        # every line shows its stage's duration, also per_stage contacts and items (whose
        # figures do not use it)
        lines["duration_weeks"] = (
            lines["stage"]
            .map({s.id: base_value(s.duration_weeks) for s in model.pathway.stages})
            .to_numpy(dtype=np.float64)
        )
        lines["patients"] = cohort * lines["reach"] * lines["uptake"]
        lines["hours_population"] = lines["hours"] * lines["patients"]
        lines["cost_population"] = lines["cost_per_patient"] * cohort
        lines["wte"] = lines["hours_population"] / lines["hours_per_wte"]
        return cls(model.pathway, model.tariff, model, lines, cohort)

    def _stage_per_patient(self) -> FloatArray:
        """Each stage's cost per cohort patient, summed by :meth:`CostModel.stage_sums`."""
        cached: FloatArray | None = self.__dict__.get("_stage_sums")
        if cached is None:
            per_line = self.lines["cost_per_patient"].to_numpy(dtype=np.float64)
            cached = self.model.stage_sums(per_line[:, np.newaxis])
            self.__dict__["_stage_sums"] = cached
        return cached

    @property
    def per_patient(self) -> float:
        """Pathway cost per cohort patient, in pounds: the sum of the stages'."""
        return float(self.model.pathway_sums(self._stage_per_patient())[0])

    @property
    def total(self) -> float:
        """Population cost a year: per patient × cohort size."""
        return self.per_patient * self.cohort

    @property
    def price_year(self) -> str:
        """The financial year of every figure."""
        return self.pathway.price_year

    def by_stage(self) -> pd.DataFrame:
        """Per stage: patients, cost per patient reaching it, per cohort patient, total."""
        g = self.lines.groupby("stage", sort=False)
        sums = g[["cost_per_patient_reached", "hours_population"]].sum()
        out = pd.DataFrame(
            {
                "stage": [s.id for s in self.pathway.stages],
                "name": [s.label for s in self.pathway.stages],
                "duration_weeks": [base_value(s.duration_weeks) for s in self.pathway.stages],
                "reach": [base_value(s.reach) for s in self.pathway.stages],
            }
        )
        out["patients"] = out["reach"] * self.cohort
        out = out.join(sums, on="stage").fillna(
            {"cost_per_patient_reached": 0.0, "hours_population": 0.0}
        )
        out = out.rename(
            columns={"cost_per_patient_reached": "per_patient_reached", "hours_population": "hours"}
        )
        # the same sums simulate makes (CostModel.stage_sums); a stage's total is its
        # cost per patient x cohort, as the pathway's is
        out["per_patient"] = self._stage_per_patient()[:, 0]
        out["total"] = out["per_patient"] * self.cohort
        out["share_of_total"] = _share(out["per_patient"])
        return out[
            [
                "stage",
                "name",
                "duration_weeks",
                "reach",
                "patients",
                "per_patient_reached",
                "per_patient",
                "total",
                "hours",
                "share_of_total",
            ]
        ]

    def by_service(self) -> pd.DataFrame:
        """Per service: uptake, patients receiving it, costs per patient and in total."""
        keys = ["stage", "service"]
        g = self.lines.groupby(keys, sort=False)
        first = g[["service_name", "setting", "uptake", "reach", "patients"]].first()
        sums = g[
            [
                "cost_per_patient_receiving",
                "cost_per_patient_reached",
                "cost_per_patient",
                "cost_population",
                "hours",
                "hours_population",
            ]
        ].sum()
        out = (
            first.join(sums)
            .reset_index()
            .rename(
                columns={
                    "service_name": "name",
                    "cost_per_patient": "per_patient",
                    "cost_population": "total",
                    "hours": "hours_per_patient_receiving",
                }
            )
        )
        out["share_of_total"] = _share(out["per_patient"])
        return out

    def by_role(self) -> pd.DataFrame:
        """Per staff role: hours a year, whole-time equivalents and cost a year."""
        staff = self.lines[self.lines["kind"] == "staff"]
        out = _first_and_sums(
            staff,
            "code",
            first=["description", "unit", "hours_per_wte"],
            sums={
                "hours_population": "hours",
                "cost_population": "cost",
                "cost_per_patient": "per_patient",
            },
        ).rename(columns={"code": "role"})
        out["wte"] = out["hours"] / out["hours_per_wte"]
        return out[
            ["role", "description", "unit", "hours", "hours_per_wte", "wte", "cost", "per_patient"]
        ]

    def by_item(self) -> pd.DataFrame:
        """Per item code: units a year and cost a year."""
        items = self.lines[self.lines["kind"] == "item"].assign(
            units=lambda d: d["quantity"] * d["patients"]
        )
        return _first_and_sums(
            items,
            "code",
            first=["description", "unit"],
            sums={"units": "units", "cost_population": "cost", "cost_per_patient": "per_patient"},
        )

    def by_setting(self) -> pd.DataFrame:
        """Per setting: cost per cohort patient, total and share of the total."""
        out = _first_and_sums(
            self.lines,
            "setting",
            first=[],
            sums={
                "cost_per_patient": "per_patient",
                "cost_population": "total",
                "hours_population": "hours",
            },
        )
        out["share_of_total"] = _share(out["per_patient"])
        return out.sort_values("per_patient", ascending=False, kind="stable").reset_index(drop=True)

    def to_dict(self) -> dict[str, Any]:
        """Every figure as plain Python values (numbers unrounded), for JSON."""
        with paused_gc():  # tens of thousands of new objects, none of them garbage
            return self._to_dict()

    def _to_dict(self) -> dict[str, Any]:
        return {
            "pathway": self.pathway.id,
            "name": self.pathway.name,
            "price_year": self.price_year,
            "cohort": self.cohort,
            "per_patient": self.per_patient,
            "total": self.total,
            "tariffs": list(self.tariff.files),
            "stages": [
                {
                    "id": r["stage"],
                    "name": r["name"],
                    "duration_weeks": r["duration_weeks"],
                    "reach": r["reach"],
                    "patients": r["patients"],
                    "per_patient": r["per_patient"],
                    "per_patient_reached": r["per_patient_reached"],
                    "total": r["total"],
                    "hours": r["hours"],
                }
                for r in _records(self.by_stage())
            ],
            "services": _records(self.by_service()),
            "roles": _records(self.by_role()),
            "items": _records(self.by_item()),
            "settings": _records(self.by_setting()),
            "lines": _records(self.lines),
        }

    def __repr__(self) -> str:
        return (
            f"<CostResult {self.pathway.id!r} ({self.price_year} prices): "
            f"{len(self.pathway.stages)} stages, {len(self.lines):,} lines; cohort "
            f"{self.cohort:,.2f}; {self.per_patient:,.2f} a patient; {self.total:,.2f} a year>"
        )

    def summary(self) -> str:
        """A plain-text summary: stages, roles with WTE, settings, totals."""
        from careprofiles.outputs.display import cost_summary

        return cost_summary(self)

    def _repr_html_(self) -> str:
        stages = self.by_stage()[["stage", "name", "patients", "per_patient", "total"]]
        roles = self.by_role()[["role", "hours", "wte", "cost"]]
        settings = self.by_setting()[["setting", "per_patient", "total", "share_of_total"]]
        money = "£{:,.2f}".format
        head = (
            f"<h4>{html.escape(self.pathway.name)} ({html.escape(self.price_year)} prices)</h4>"
            f"<p>Cohort {self.cohort:,.0f} patients a year; "
            f"<b>{money(self.per_patient)}</b> per patient; <b>{money(self.total)}</b> a year.</p>"
        )
        fmt = {
            "per_patient": money,
            "total": money,
            "cost": money,
            "patients": "{:,.0f}".format,
            "hours": "{:,.0f}".format,
            "wte": "{:,.1f}".format,
            "share_of_total": "{:.1%}".format,
        }
        parts = [head]
        for title, frame in (("By stage", stages), ("By role", roles), ("By setting", settings)):
            parts.append(f"<h5>{title}</h5>")
            parts.append(frame.to_html(index=False, formatters=fmt, escape=True))  # type: ignore[arg-type,unused-ignore]
        return "\n".join(parts)


def _first_and_sums(
    frame: pd.DataFrame, key: str, *, first: list[str], sums: dict[str, str]
) -> pd.DataFrame:
    """Per value of ``key`` (in order of first appearance): the ``first`` columns' first
    values and the sums of the ``sums`` columns (renamed as the mapping says). The same
    figures as a named ``agg``, through pandas' faster ``first()`` and ``sum()``."""
    g = frame.groupby(key, sort=False)
    parts = [g[first].first()] if first else []
    parts.append(g[list(sums)].sum().rename(columns=sums))
    return pd.concat(parts, axis=1).reset_index()


def _share(values: pd.Series) -> pd.Series:
    total = float(values.sum())
    return values / total if total else values * 0.0


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts of plain Python values (NaN becomes None), built column by column."""
    names = [str(c) for c in frame.columns]
    columns: list[list[Any]] = []
    for name in frame.columns:
        series = frame[name]
        kind = series.dtype.kind if isinstance(series.dtype, np.dtype) else "O"
        if kind == "f":
            array = series.to_numpy(dtype=np.float64)
            missing = np.isnan(array)
            if missing.any():
                boxed = array.astype(object)
                boxed[missing] = None
                values: list[Any] = boxed.tolist()
            else:
                values = array.tolist()
        elif kind in "iub":
            values = series.to_numpy().tolist()
        elif not series.hasnans and pd.api.types.is_string_dtype(series.dtype):
            values = series.tolist()
        else:
            values = [
                None
                if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v))
                else (v.item() if isinstance(v, np.generic) else v)
                for v in series.to_numpy(dtype=object).tolist()
            ]
        columns.append(values)
    # each record starts as a copy of one with every key (so it is never resized), then
    # each column's values are set in it, in C (map), not a Python loop a record
    rows = len(frame)
    records = list(map(dict.copy, itertools.repeat(dict.fromkeys(names), rows)))
    for name, values in zip(names, columns, strict=True):
        collections.deque(
            map(operator.setitem, records, itertools.repeat(name, rows), values), maxlen=0
        )
    return records
