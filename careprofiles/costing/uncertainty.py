"""Uncertainty: Monte Carlo simulation, one-way sensitivity, and tariff-cost uncertainty.

Both analyses compile the pathway once (:func:`~careprofiles.costing.engine.compile_model`)
and then cost parameter sets (one a draw for Monte Carlo, one per end of each uncertain
number for sensitivity) with the arithmetic and the sums that deterministic costing
uses too (:class:`~careprofiles.costing.engine.LinePlan`, :meth:`CostModel.stage_sums
<careprofiles.costing.engine.CostModel.stage_sums>`), gathering per set only the numbers that
are uncertain. So a pathway with nothing uncertain simulates to exactly the
deterministic figures, and the base row of a sensitivity run is exactly ``cost()``.

Monte Carlo draws every uncertain number independently. The generator made from
``seed`` is split (``Generator.spawn``) into one stream per uncertain number, in the
pathway's order, so the draws do not depend on the chunk size and the same seed gives
the same figures to the last bit. Draws are made a chunk at a time (at most 4,096 draws
and about 256 MB) and costed in blocks of 256 draws, so memory stays bounded whatever
the number of draws and the working arrays stay in the processor's cache.

Tariff costs are numbers in the tariff CSV; their uncertainty comes from a separate
file (:func:`load_tariff_uncertainty`, format in ``docs/uncertainty.md``)::

    code,dist,low,mode,high,mean,sd,value,price_year,source
    gp,triangular,196,268,290,,,,2024/25,PSSRU 2024 ...
    hospice-bed-day,pert,450,500,550,,,,2024/25,Estimate ...
"""

from __future__ import annotations

import difflib
import math
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from careprofiles.costing.engine import CostModel, Parameter, _Workspace, compile_model
from careprofiles.errors import (
    MissingDependencyError,
    Problem,
    ProfileError,
    TariffError,
)
from careprofiles.profiles.csvfiles import is_id, parse_number, price_year_problem, read_csv_rows
from careprofiles.profiles.distributions import DISTRIBUTIONS, Distribution, Normal, base_value
from careprofiles.profiles.models import Pathway
from careprofiles.profiles.numbers import check_range, parse_uncertain
from careprofiles.tariffs.tables import PriceIndex, Tariff

__all__ = [
    "QUANTILES",
    "SensitivityResult",
    "SimulationResult",
    "TariffUncertainty",
    "apply_tariff_uncertainty",
    "load_tariff_uncertainty",
    "sample_parameters",
    "sensitivity",
    "simulate",
]

FloatArray = NDArray[np.float64]

QUANTILES = (0.025, 0.5, 0.975)
"""The quantiles every summary reports: a 95% interval and the median."""
_STAT_KEYS = ("mean", "sd", "p2.5", "p50", "p97.5")

_MEMORY_BUDGET = 256 * 1024 * 1024
"""Bytes of working arrays a chunk of draws may use (the chunk size follows from it)."""
_MAX_CHUNK = 4096
"""Draws made at a time at most (more gains nothing: each stream's call is long enough)."""
_BLOCK = 256
"""Draws costed at a time: small enough for the lines-by-draws arrays to stay in cache."""
_PROGRESS_WORK = 50_000_000
"""Draws x lines above which a progress bar is shown on a terminal."""

# --------------------------------------------------------------------------------------
# Tariff uncertainty files.

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
    if any(p.where == "header" and "missing column" in p.message for p in problems):
        raise TariffError(problems)
    for line, row in rows:

        def bad(col: str, message: str, line: int = line) -> None:
            problems.append(Problem(name, line, col, message))

        code = row["code"]
        if not is_id(code):
            bad("code", f"{code!r} is not a valid code; use lower-case letters, digits and '-'")
            continue
        if code in first_line:
            bad(
                "code",
                f"{code!r} is also on line {first_line[code]}; give one distribution per code",
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


# --------------------------------------------------------------------------------------
# Drawing parameter sets.


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
            file, line = _split(p.location)
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


def _split(location: str) -> tuple[str | None, int | None]:
    if not location:
        return None, None
    file, _, line = location.rpartition(":")
    return (file, int(line)) if line.isdigit() else (location, None)


def _raise_for(problems: list[Problem]) -> None:
    if not problems:
        return
    tariff_only = all(p.file and p.file.endswith(".csv") for p in problems)
    raise (TariffError if tariff_only else ProfileError)(problems)


def sample_parameters(model: CostModel, draws: int, seed: int | np.random.Generator) -> FloatArray:
    """``draws`` parameter sets for ``model``, shape ``(draws, parameters)``.

    The same draws :func:`simulate` makes with this seed (whatever its chunk size).
    Raises :class:`ProfileError` (or :class:`TariffError`) when a normal distribution
    draws below 0.
    """
    sampler = _Sampler(model, seed)
    values = sampler.next(draws)
    _raise_for(sampler.problems())
    return values


# --------------------------------------------------------------------------------------
# Monte Carlo.


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
    dev = x - shift
    mean = shift + dev.mean(axis=0)
    sd = dev.std(axis=0, ddof=1) if n > 1 else np.full(x.shape[1], np.nan)
    q = np.quantile(x, QUANTILES, axis=0)
    return np.column_stack([mean, sd, q[0], q[1], q[2]])


class _Aggregator:
    """Per-draw figures, summed as ``CostResult`` sums them (so bit-identical).

    Draws are costed in blocks of ``_BLOCK``, so that the working arrays (lines by
    draws) stay in the processor's cache; the draws of a chunk are written straight
    into their blocks' parameter rows (:meth:`LinePlan.parameter_rows
    <careprofiles.costing.engine.LinePlan.parameter_rows>`).
    """

    def __init__(self, model: CostModel, varying: list[int], fixed: FloatArray) -> None:
        self.model = model
        self.plan = model.plan(varying)
        self.fixed = fixed
        self.ids = tuple(s.id for s in model.pathway.stages)
        self._work: dict[int, _Workspace] = {}
        self._rows: FloatArray | None = None

    def chunk_size(self, draws: int) -> int:
        """Draws made at a time: as many as fit the memory budget, up to ``_MAX_CHUNK``."""
        rows = len(self.plan.varying) + len(self.plan.extra)
        per_draw = 8 * (rows + 3 + 2 * len(self.ids))
        return max(1, min(draws, _MAX_CHUNK, max(_BLOCK, _MEMORY_BUDGET // per_draw)))

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

        Columns: per_patient, total, cohort, then per stage per_patient and total.
        """
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
        cols = ["per_patient", "total", "cohort"]
        for s in self.ids:
            cols.extend([f"{s}/per_patient", f"{s}/total"])
        return cols


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
    address and ``file:line`` when a normal distribution draws a negative number.
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
    aggregate = _Aggregator(model, sampler.uncertain, fixed)
    columns = aggregate.columns()
    base = np.empty((1, len(columns)), dtype=np.float64)
    uncertain = len(sampler.uncertain)
    base_rows = aggregate.plan.parameter_rows(fixed, 1)
    base_rows[0, :uncertain, 0] = fixed[sampler.uncertain]
    aggregate(base_rows, 1, base)
    size = chunk_size or aggregate.chunk_size(draws)
    width = min(size, _BLOCK)
    out = np.empty((draws, len(columns)), dtype=np.float64)
    bar = _progress(draws, progress, draws * max(len(model.lines), 1))
    try:
        start = 0
        while start < draws:
            n = min(size, draws - start)
            rows = aggregate.rows(n, width)
            sampler.rows(n, out=rows[:, :uncertain, :])
            if not sampler.negatives:  # once a draw is invalid, only count the rest
                aggregate(rows, n, out[start : start + n])
            start += n
            if bar is not None:
                bar.update(n)
    finally:
        if bar is not None:
            bar.close()
    _raise_for(sampler.problems())
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


# --------------------------------------------------------------------------------------
# One-way sensitivity.


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
    ``swing`` (high - low, absolute), ``low_total``, ``high_total`` (a year)."""
    low_quantile: float = QUANTILES[0]
    high_quantile: float = QUANTILES[-1]

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
            file, line = _split(p.location)
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
    _raise_for(problems)
    # costed like Monte Carlo draws: in blocks, with the sums cost() uses
    aggregate = _Aggregator(model, uncertain, base)
    sets = values.shape[0]
    width = min(sets, _BLOCK)
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
    per_patient, totals = figures[:, 0], figures[:, 1]
    rows = pd.DataFrame(
        {
            "parameter": [model.parameters[i].address for i in uncertain],
            "location": [model.parameters[i].location for i in uncertain],
            "distribution": [_describe(model.parameters[i]) for i in uncertain],
            "base_value": base[uncertain] if k else np.empty(0),
            "low_value": ends[:, 0],
            "high_value": ends[:, 1],
            "low": per_patient[1::2],
            "high": per_patient[2::2],
            "low_total": totals[1::2],
            "high_total": totals[2::2],
        }
    )
    rows.insert(8, "swing", (rows["high"] - rows["low"]).abs())
    rows = rows.sort_values("swing", ascending=False, kind="stable").reset_index(drop=True)
    return SensitivityResult(pathway, float(per_patient[0]), float(totals[0]), rows, low, high)


def _describe(p: Parameter) -> str:
    assert isinstance(p.value, Distribution)
    text = p.value.describe()
    return text if p.factor == 1.0 else f"{text} x{p.factor:.6g}"
