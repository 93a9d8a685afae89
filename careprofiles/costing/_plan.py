"""The fast arithmetic of Monte Carlo and sensitivity: every line's cost per cohort
patient for many parameter sets in which only some parameters vary.

:class:`LinePlan` computes what :meth:`CostModel.evaluate
<careprofiles.costing.model.CostModel.evaluate>` computes for ``cost_per_patient``, with
the same operations on the same numbers in the same order (so the same figures to the
last bit: ``tests/costing/test_plan.py``), but gathering per set only what varies, in
buffers reused from call to call (:class:`_Workspace`). :class:`BlockCosts` costs blocks of
parameter sets with a plan and adds them up with the model's sums, for
:func:`~careprofiles.costing.simulate.simulate` and
:func:`~careprofiles.costing.sensitivity.sensitivity`. Deterministic costing does not
need it: one set is :meth:`~careprofiles.costing.model.CostModel.evaluate` itself.

Kept because ``benchmarks/bench_simulate.py`` needs it: 100,000 draws of its synthetic
pathway took 3.5 s of CPU with it and 5.8 s with ``CostModel.evaluate`` on each block
of draws (20,000 draws: 0.81-0.88 s against 0.95-1.04 s), and half again the memory.

Private to costing. Imports: costing._parameters, costing.model; nothing above costing.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from numpy.typing import NDArray

from careprofiles.costing._parameters import ONE, ZERO
from careprofiles.costing.model import CostModel

__all__ = ["BLOCK", "BlockCosts", "LinePlan", "line_costs", "plan_for"]

FloatArray = NDArray[np.float64]
IndexArray = NDArray[np.intp]

BLOCK = 256
"""Parameter sets costed at a time: few enough for the lines-by-sets arrays to stay in
the processor's cache."""


def plan_for(model: CostModel, varying: Sequence[int] = ()) -> LinePlan:
    """The :class:`LinePlan` of ``model`` for parameter sets in which only ``varying``
    differ (a few are kept on the model, for reuse)."""
    key = tuple(int(i) for i in varying)
    plans: dict[tuple[int, ...], LinePlan] = model.__dict__.setdefault("_plans", {})
    found = plans.get(key)
    if found is None:
        if len(plans) >= 8:  # a few plans are reused (simulate, sensitivity)
            plans.clear()
        with np.errstate(over="ignore", invalid="ignore"):  # checked: costing.overflow
            found = plans[key] = LinePlan(model, key)
    return found


def line_costs(model: CostModel, values: FloatArray) -> FloatArray:
    """Cost per cohort patient of every line, shape ``(lines, sets)``.

    ``values`` are parameter sets of shape ``(sets, parameters)``, as for
    :meth:`CostModel.evaluate`; the result is ``evaluate(values).cost_per_patient``
    transposed, to the last bit, computed with only the columns of ``values`` that differ
    between sets gathered per set.
    """
    v = np.atleast_2d(np.asarray(values, dtype=np.float64))
    varying = np.flatnonzero((v != v[0]).any(axis=0)) if v.shape[0] > 1 else ()
    found = plan_for(model, tuple(int(i) for i in varying))
    drawn = np.ascontiguousarray(v[:, found.varying].T)
    costs = found.line_costs(drawn, v[0])
    return np.ascontiguousarray(np.broadcast_to(costs, (costs.shape[0], v.shape[0])))


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
    last bit (``tests/costing/test_plan.py`` checks it), but only that figure, and faster:

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
    and the sums over lines (:meth:`CostModel.stage_sums
    <careprofiles.costing.model.CostModel.stage_sums>`) add whole rows.

    The parameter rows (:meth:`parameter_rows`) hold the varying parameters' values,
    one row each in the order of :attr:`varying`, then the fixed values of the
    parameters that a gather needs beside them (:attr:`extra`).
    """

    def __init__(self, model: CostModel, varying: tuple[int, ...]) -> None:
        n_params = len(model.parameters)
        if len(set(varying)) != len(varying) or any(not 0 <= i < n_params for i in varying):
            raise ValueError("varying must list distinct parameter indices")
        if ONE in varying or ZERO in varying:
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
        timed = (model.dur[first] != ONE) | x7
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
        if fixed[ONE] != 1.0 or fixed[ZERO] != 0.0:
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


class BlockCosts:
    """Each set's figures, summed as ``CostResult`` sums them (so bit-identical), for
    parameter sets in which only ``varying`` differ from ``fixed``.

    Sets are costed in blocks (of :data:`BLOCK`), so that the working arrays
    (lines by sets) stay in the processor's cache; the caller writes each set's varying
    values straight into its block's parameter rows (:meth:`rows`, from
    :meth:`LinePlan.parameter_rows`).
    """

    def __init__(self, model: CostModel, varying: list[int], fixed: FloatArray) -> None:
        self.model = model
        self.plan = plan_for(model, varying)
        self.fixed = fixed
        self.ids = tuple(s.id for s in model.pathway.stages)
        self._work: dict[int, _Workspace] = {}
        self._rows: FloatArray | None = None

    def rows(self, n: int, width: int) -> FloatArray:
        """Parameter rows for ``n`` draws in blocks of ``width``: the first blocks of one
        buffer, made for the first (largest) chunk and reused."""
        blocks = -(-n // width)
        found = self._rows
        if found is None or found.shape[0] < blocks or found.shape[2] != width:
            found = self._rows = self.plan.parameter_rows(self.fixed, width, blocks)
        return found[:blocks]

    def __call__(self, rows: FloatArray, n: int, out: FloatArray) -> None:
        """Fill ``out`` (``n`` draws by :meth:`columns`) from parameter rows in blocks.

        Columns: per_patient, total, cohort, then per stage per_patient and total. A
        figure too large to compute is left infinite (or not a number), without numpy's
        warning, for the caller to refuse (``costing.overflow.check_sets``).
        """
        with np.errstate(over="ignore", invalid="ignore"):
            self._fill(rows, n, out)

    def _fill(self, rows: FloatArray, n: int, out: FloatArray) -> None:
        model, plan, fixed = self.model, self.plan, self.fixed
        width = rows.shape[2]
        work = self._work.get(width)
        if work is None:
            work = self._work[width] = plan.workspace(width)
        varying = len(plan.varying)
        for block in range(rows.shape[0]):
            start = block * width
            stop = min(n, start + width)
            rows_block = rows[block]
            if stop - start < width:  # a short last block: finite numbers after the draws
                rows_block[:varying, stop - start :] = fixed[plan.varying][:, np.newaxis]
            stage_pp = model.stage_sums(plan.costs(rows_block, fixed, work))
            per_patient = model.pathway_sums(stage_pp)
            cohort = plan.cohort(rows_block, fixed)
            used = stop - start
            if stage_pp.shape[1] > used:
                stage_pp, per_patient = stage_pp[:, :used], per_patient[:used]
            if len(cohort) > used:
                cohort = cohort[:used]
            into = out[start:stop]
            into[:, 0] = per_patient
            into[:, 1] = per_patient * cohort
            into[:, 2] = cohort
            into[:, 3::2] = stage_pp.T
            into[:, 4::2] = (stage_pp * cohort).T

    def columns(self) -> list[str]:
        """The names of the figures of each set, in the order :meth:`__call__` fills them."""
        cols = ["per_patient", "total", "cohort"]
        for s in self.ids:
            cols.extend([f"{s}/per_patient", f"{s}/total"])
        return cols

