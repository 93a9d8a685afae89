"""Monte Carlo simulation: :func:`simulate` draws every uncertain number of a pathway (and
of its tariff) many times, and the :class:`SimulationResult` summarises the costs.

The pathway is compiled once (:func:`~careprofiles.costing.compiler.compile_model`) and
each draw is costed with the arithmetic and the sums deterministic costing agrees with
to the last bit (``costing/_plan.py``, :meth:`CostModel.stage_sums
<careprofiles.costing.model.CostModel.stage_sums>`), gathering per draw only the numbers
that are uncertain. So a pathway with nothing uncertain simulates to exactly the
deterministic figures.

Every uncertain number is drawn independently. The generator made from ``seed`` is
split (``Generator.spawn``) into one stream per uncertain number, in the pathway's
order, so the draws do not depend on the chunk size and the same seed gives the same
figures to the last bit. Draws are made a chunk at a time (at most 4,096 draws and about
256 MB) and costed in blocks of 256 draws, so memory stays bounded whatever the number
of draws and the working arrays stay in the processor's cache.

Imports: errors, profiles, tariffs, costing._memory, costing._parameters, costing._plan,
costing.compiler, costing.model, costing.overflow, costing.scenarios,
costing.tariff_uncertainty; nothing above costing.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from careprofiles.costing._memory import TOO_MANY_DRAWS, check_draws_fit
from careprofiles.costing._parameters import file_and_line, raise_value_problems
from careprofiles.costing._plan import BLOCK, BlockCosts
from careprofiles.costing.compiler import compile_model
from careprofiles.costing.model import CostModel
from careprofiles.costing.overflow import check_sets
from careprofiles.costing.scenarios import scenario_of
from careprofiles.costing.tariff_uncertainty import TariffUncertainty, apply_tariff_uncertainty
from careprofiles.errors import MissingDependencyError, Problem
from careprofiles.profiles.distributions import Distribution, Normal
from careprofiles.profiles.models import Pathway
from careprofiles.tariffs.tables import PriceIndex, Tariff

__all__ = ["QUANTILES", "TOO_MANY_DRAWS", "SimulationResult", "sample_parameters", "simulate"]

FloatArray = NDArray[np.float64]

QUANTILES = (0.025, 0.5, 0.975)
"""The quantiles every summary reports: a 95% interval and the median."""
_STAT_KEYS = ("mean", "sd", "p2.5", "p50", "p97.5")

_MEMORY_BUDGET = 256 * 1024 * 1024
"""Bytes of working arrays a chunk of draws may use (the chunk size follows from it)."""
_MAX_CHUNK = 4096
"""Draws made at a time at most (more gains nothing: each stream's call is long enough)."""
_PROGRESS_WORK = 50_000_000
"""Draws x lines above which a progress bar is shown on a terminal."""


def _generator(seed: int | np.random.Generator) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed {seed!r} must be a whole number of 0 or more, e.g. 1")
    return np.random.default_rng(int(seed))


class _Sampler:
    """Draws parameter sets in chunks: one random stream per uncertain parameter."""

    def __init__(self, model: CostModel, seed: int | np.random.Generator) -> None:
        self.model = model
        self.base = model.base_values()
        self.uncertain = [i for i, p in enumerate(model.parameters) if p.uncertain]
        self.streams = _generator(seed).spawn(len(self.uncertain))
        self.negatives: dict[int, tuple[int, float]] = {}
        self.drawn = 0
        self._buffer: FloatArray | None = None

    def rows(self, n: int, out: FloatArray | None = None) -> FloatArray:
        """The next ``n`` draws of the uncertain parameters, one row each.

        Without ``out``: a new array of shape ``(uncertain, n)``. With ``out`` of shape
        ``(blocks, uncertain, width)``, the draws are spread over its blocks (draw ``d``
        of parameter ``k`` goes to ``out[d // width, k, d % width]``) and ``out`` is
        returned; columns past the ``n``-th are left as they were.
        """
        target = np.empty((1, len(self.uncertain), n), dtype=np.float64) if out is None else out
        width = target.shape[2]
        full, rest = divmod(n, width)
        if full + (rest > 0) > target.shape[0]:
            raise ValueError(f"{n} draws do not fit in {target.shape[0]} blocks of {width}")
        parameters = self.model.parameters
        for k, (i, stream) in enumerate(zip(self.uncertain, self.streams, strict=True)):
            p = parameters[i]
            dist = p.value
            assert isinstance(dist, Distribution)
            column = dist.sample(stream, n)
            if p.factor != 1.0:
                column = column * p.factor
            target[:full, k, :] = column[: full * width].reshape(full, width)
            if rest:
                target[full, k, :rest] = column[full * width :]
            if isinstance(dist, Normal):
                below = column < 0
                if below.any():
                    count, low = self.negatives.get(i, (0, math.inf))
                    self.negatives[i] = (count + int(below.sum()), min(low, float(column.min())))
        self.drawn += n
        return target[0] if out is None else target

    def next(self, n: int) -> FloatArray:
        """The next ``n`` parameter sets, shape ``(n, parameters)`` (column-major)."""
        values = np.empty((n, len(self.base)), dtype=np.float64, order="F")
        values[:] = self.base
        values[:, self.uncertain] = self.rows(n).T
        return values

    def problems(self) -> list[Problem]:
        out = []
        for i, (count, low) in sorted(self.negatives.items()):
            p = self.model.parameters[i]
            assert isinstance(p.value, Distribution)
            file, line = file_and_line(p.location)
            out.append(
                Problem(
                    file,
                    line,
                    p.address,
                    f"{p.value.describe()} drew values below 0 in {count:,} of "
                    f"{self.drawn:,} draws (lowest {low:.4g}); this number cannot be "
                    "negative: use a gamma or lognormal with this mean and sd, or a "
                    "triangular or pert range with low >= 0",
                )
            )
        return out


def _draw_values(
    rows: FloatArray, fixed: FloatArray, sampler: _Sampler
) -> Callable[[int], FloatArray]:
    """The parameter set of the ``k``-th draw of a chunk, from its parameter rows."""

    def values(k: int) -> FloatArray:
        block, column = divmod(k, rows.shape[2])
        out = fixed.copy()
        out[sampler.uncertain] = rows[block, : len(sampler.uncertain), column]
        return out

    return values


def sample_parameters(model: CostModel, draws: int, seed: int | np.random.Generator) -> FloatArray:
    """``draws`` parameter sets for ``model``, shape ``(draws, parameters)``.

    The same draws :func:`simulate` makes with this seed (whatever its chunk size).
    Raises :class:`ProfileError` (or :class:`TariffError`) when a normal distribution
    draws below 0.
    """
    sampler = _Sampler(model, seed)
    check_draws_fit(draws, len(model.parameters), 0)
    values = sampler.next(draws)
    raise_value_problems(sampler.problems())
    return values


@dataclass(frozen=True)
class SimulationResult:
    """Monte Carlo draws of a pathway's costs, and their summary."""

    pathway: Pathway
    draws: pd.DataFrame
    """One row a draw: ``draw``, ``per_patient``, ``total``, ``cohort``, and for each
    stage ``STAGE/per_patient`` (per cohort patient) and ``STAGE/total`` (a year)."""
    seed: int | None
    """The seed (``None`` when a Generator was given)."""
    stages: tuple[str, ...]
    """Stage ids, in pathway order."""
    uncertain: tuple[str, ...]
    """Addresses of the numbers drawn."""
    parameters: int
    """How many numbers the figures depend on."""
    deterministic: Mapping[str, float]
    """Every measure at base values (what ``cost()`` gives), by the draws' column names."""

    @property
    def n(self) -> int:
        """The number of draws."""
        return len(self.draws)

    def measures(self) -> list[str]:
        """The summarised columns, in order."""
        return [c for c in self.draws.columns if c != "draw"]

    def summary(self) -> pd.DataFrame:
        """Per measure: deterministic value, mean, sd, 2.5th, 50th and 97.5th percentiles."""
        cols = self.measures()
        x = self.draws[cols].to_numpy(dtype=np.float64)
        stats = _summarise(x)
        out = pd.DataFrame(stats, columns=list(_STAT_KEYS))
        out.insert(0, "deterministic", [self.deterministic[c] for c in cols])
        out.insert(0, "measure", cols)
        return out

    def __repr__(self) -> str:
        from careprofiles.outputs.display import reprs

        return reprs.simulation_repr(self)

    def _repr_html_(self) -> str:
        from careprofiles.outputs.display import reprs

        return reprs.simulation_html(self)

    def to_dict(self) -> dict[str, Any]:
        """The summary as plain values, for JSON (draws themselves: ``draws`` as CSV)."""
        cols = self.measures()
        table = _summarise(self.draws[cols].to_numpy(dtype=np.float64))
        where = {c: i for i, c in enumerate(cols)}

        def stats(measure: str) -> dict[str, float]:
            row = table[where[measure]]
            out = {k: float(v) for k, v in zip(_STAT_KEYS, row, strict=True)}
            out["deterministic"] = self.deterministic[measure]
            return out

        return {
            "pathway": self.pathway.id,
            "name": self.pathway.name,
            "price_year": self.pathway.price_year,
            "scenario": _scenario_dict(self.pathway),
            "draws": self.n,
            "seed": self.seed,
            "uncertain_parameters": len(self.uncertain),
            "parameters": self.parameters,
            "per_patient": stats("per_patient"),
            "total": stats("total"),
            "cohort": stats("cohort"),
            "stages": [
                {"id": s, "per_patient": stats(f"{s}/per_patient"), "total": stats(f"{s}/total")}
                for s in self.stages
            ],
        }


def _summarise(x: FloatArray) -> FloatArray:
    """Columns of ``x`` → rows of mean, sd, 2.5th, 50th, 97.5th percentile.

    The mean and sd are computed about the first draw, so a column of identical values
    has exactly that value as its mean and 0 as its sd.
    """
    n = x.shape[0]
    shift = x[0]
    with np.errstate(over="ignore", invalid="ignore"):
        dev = x - shift
        mean = shift + dev.mean(axis=0)
        sd = dev.std(axis=0, ddof=1) if n > 1 else np.full(x.shape[1], np.nan)
        if n > 1 and not (np.isfinite(mean).all() and np.isfinite(sd).all()):
            # finite draws so large that their sum or squares are not: scaled first
            scale = np.abs(x).max(axis=0)
            scale[~(scale > 0) | ~np.isfinite(scale)] = 1.0
            scaled = x / scale
            dev = scaled - scaled[0]
            mean = np.where(np.isfinite(mean), mean, (scaled[0] + dev.mean(axis=0)) * scale)
            sd = np.where(np.isfinite(sd), sd, dev.std(axis=0, ddof=1) * scale)
    q = np.quantile(x, QUANTILES, axis=0)
    return np.column_stack([mean, sd, q[0], q[1], q[2]])


def _chunk_size(costs: BlockCosts, draws: int) -> int:
    """Draws made at a time: as many as fit the memory budget, up to ``_MAX_CHUNK``."""
    rows = len(costs.plan.varying) + len(costs.plan.extra)
    per_draw = 8 * (rows + 3 + 2 * len(costs.ids))
    return max(1, min(draws, _MAX_CHUNK, max(BLOCK, _MEMORY_BUDGET // per_draw)))


def _progress(total: int, enabled: bool | None, work: int) -> Any:
    """A tqdm bar over ``total`` draws, or None."""
    if enabled is None:
        enabled = work >= _PROGRESS_WORK and sys.stderr.isatty()
        if enabled:
            try:
                import tqdm  # noqa: F401
            except ImportError:  # the bar is a nicety: no bar without the extra
                return None
    if not enabled:
        return None
    try:
        from tqdm import tqdm as bar
    except ImportError:
        raise MissingDependencyError("tqdm", "progress", "A progress bar") from None
    return bar(total=total, unit="draw", unit_scale=True, file=sys.stderr, leave=False)


def simulate(
    pathway: Pathway,
    tariff: Tariff,
    draws: int,
    seed: int | np.random.Generator,
    *,
    index: PriceIndex | None = None,
    tariff_uncertainty: TariffUncertainty | None = None,
    chunk_size: int | None = None,
    progress: bool | None = None,
) -> SimulationResult:
    """Monte Carlo: ``draws`` independent draws of every uncertain number.

    Every distribution in the pathway (and, with ``tariff_uncertainty``, in the tariff)
    is drawn; plain numbers stay fixed. Draws are made ``chunk_size`` at a time
    (default: up to 4,096, fewer if their numbers would take over about 256 MB) and
    costed 256 at a time; the result does not depend on the chunk size. ``progress``: a
    progress bar on standard error (default: only for long runs when standard error is
    a terminal; needs the ``progress`` extra).

    Raises :class:`ProfileError` (or :class:`TariffError`) naming the parameter's
    address and ``file:line`` when a normal distribution draws a negative number, and
    :class:`ValidationError` (code ``"too-many-draws"``), before anything is drawn, when
    the table of draws would not fit in the memory available.
    """
    if isinstance(draws, bool) or not isinstance(draws, int | np.integer) or draws < 1:
        raise ValueError(f"draws {draws!r} must be a whole number of 1 or more, e.g. 10000")
    draws = int(draws)
    if chunk_size is not None and (not isinstance(chunk_size, int) or chunk_size < 1):
        raise ValueError(f"chunk_size {chunk_size!r} must be a whole number of 1 or more")
    model = apply_tariff_uncertainty(
        compile_model(pathway, tariff, index=index), tariff_uncertainty
    )
    sampler = _Sampler(model, seed)
    fixed = sampler.base
    aggregate = BlockCosts(model, sampler.uncertain, fixed)
    columns = aggregate.columns()
    base = np.empty((1, len(columns)), dtype=np.float64)
    uncertain = len(sampler.uncertain)
    base_rows = aggregate.plan.parameter_rows(fixed, 1)
    base_rows[0, :uncertain, 0] = fixed[sampler.uncertain]
    aggregate(base_rows, 1, base)
    check_sets(model, base, lambda k: fixed)
    size = chunk_size or _chunk_size(aggregate, draws)
    width = min(size, BLOCK)
    varying = len(aggregate.plan.varying) + len(aggregate.plan.extra)
    check_draws_fit(draws, len(columns) + 1, 8 * min(size, draws) * (varying + 3))
    out = np.empty((draws, len(columns)), dtype=np.float64)
    bar = _progress(draws, progress, draws * max(model.n_lines, 1))
    try:
        start = 0
        while start < draws:
            n = min(size, draws - start)
            rows = aggregate.rows(n, width)
            sampler.rows(n, out=rows[:, :uncertain, :])
            if not sampler.negatives:  # once a draw is invalid, only count the rest
                aggregate(rows, n, out[start : start + n])
                check_sets(model, out[start : start + n], _draw_values(rows, fixed, sampler))
            start += n
            if bar is not None:
                bar.update(n)
    finally:
        if bar is not None:
            bar.close()
    raise_value_problems(sampler.problems())
    frame = pd.DataFrame(out, columns=columns)
    frame.insert(0, "draw", np.arange(1, draws + 1))
    return SimulationResult(
        pathway=pathway,
        draws=frame,
        seed=None if isinstance(seed, np.random.Generator) else int(seed),
        stages=aggregate.ids,
        uncertain=tuple(model.parameters[i].address for i in sampler.uncertain),
        parameters=len(model.parameters) - 2,
        deterministic=dict(zip(columns, (float(v) for v in base[0]), strict=True)),
    )


def _scenario_dict(pathway: Pathway) -> dict[str, Any] | None:
    """The scenario that made ``pathway``, for JSON (None for a baseline)."""
    applied = scenario_of(pathway)
    return None if applied is None else applied.to_dict()
