"""Benchmark areas against each other: :func:`benchmark_areas`, :class:`BenchmarkResult`.

:func:`benchmark_areas` compares areas: patients, cost, cost per patient and per 1,000
population, and each outcome's achievement by area with funnel-plot limits around the
all-area rate (95% and 99.8%: ``p +/- z sqrt(p(1-p)/n)`` for yes/no outcomes, clipped to
0..1; ``mean +/- z sd/sqrt(n)`` for other numbers, with z = 1.96 and 3.09:
:func:`funnel_limits`). Also :func:`read_populations` (the ``area,population`` file).

It accepts pandas or Dask activity (see :mod:`careprofiles.activity.records`).

Imports: activity.aggregates, activity.checks, activity.findings, tariffs, profiles, resources;
the one upward call, :meth:`BenchmarkResult.summary`, imports careprofiles.outputs
inside the method.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

from careprofiles.activity.aggregates import Aggregates, aggregate, json_flags, json_records, per
from careprofiles.activity.checks import Outcomes, check_outcomes
from careprofiles.activity.findings import MAX_LISTED
from careprofiles.activity.records import Frame
from careprofiles.activity.summaries import Reduced
from careprofiles.errors import ActivityError, Problem, more_problems
from careprofiles.profiles.csvfiles import parse_number, read_csv_rows
from careprofiles.profiles.models import Pathway
from careprofiles.resources import document_name
from careprofiles.tariffs.tables import PriceIndex, Tariff

__all__ = [
    "Z95",
    "Z998",
    "BenchmarkResult",
    "benchmark_areas",
    "funnel_limits",
    "read_populations",
]

Z95 = 1.96
"""z for 95% funnel-plot limits."""
Z998 = 3.09
"""z for 99.8% funnel-plot limits."""


def read_populations(path: str | Path) -> pd.DataFrame:
    """Read a populations CSV (``area,population``): one row per area, population > 0."""
    name, rows, problems = read_csv_rows(
        path,
        required=("area", "population"),
        optional=(),
        error=ActivityError,
        what="populations file",
    )
    seen: dict[str, int] = {}
    areas: list[str] = []
    values: list[float] = []
    lines: list[int] = []
    for line, row in rows:  # a population per area: a small file
        area = row["area"]
        if not area:
            problems.append(Problem(name, line, "area", "is empty; give the area's name"))
            continue
        if area in seen:
            problems.append(
                Problem(
                    name,
                    line,
                    "area",
                    f"{area!r} is also on line {seen[area]}; give each area once",
                )
            )
            continue
        seen[area] = line
        value = parse_number(row["population"])
        if isinstance(value, str):
            problems.append(Problem(name, line, "population", value))
            continue
        if value <= 0:
            problems.append(
                Problem(
                    name,
                    line,
                    "population",
                    f"{row['population']} must be above 0 (the resident population of the area)",
                )
            )
            continue
        areas.append(area)
        values.append(value)
        lines.append(line)
    if not rows and not problems:
        problems.append(Problem(name, None, "", "the file has no areas; add area,population rows"))
    if problems:
        raise ActivityError(problems)
    frame = pd.DataFrame({"area": areas, "population": values, "line": lines})
    frame.attrs["careprofiles_file"] = name
    return frame


def _populations(populations: pd.DataFrame | Mapping[str, float] | str | Path) -> pd.DataFrame:
    if isinstance(populations, str | Path):
        return read_populations(populations)
    if isinstance(populations, Mapping):
        frame = pd.DataFrame({"area": list(populations), "population": list(populations.values())})
    elif isinstance(populations, pd.DataFrame):
        missing = [c for c in ("area", "population") if c not in populations.columns]
        if missing:
            raise ActivityError(
                [
                    Problem(
                        None,
                        None,
                        "",
                        f"populations: missing column {', '.join(missing)}; give area and "
                        "population",
                        code="missing-column",
                    )
                ]
            )
        frame = populations[["area", "population"]].copy()
    else:
        raise ActivityError("populations must be a CSV path, a DataFrame or a mapping")
    frame["area"] = frame["area"].astype(str)
    population = pd.to_numeric(frame["population"], errors="coerce")
    bad = ~(population > 0) | frame["area"].duplicated()
    if bad.any():
        raise ActivityError(
            [
                Problem(
                    None,
                    None,
                    f"populations, area {a!r}",
                    "population must be a number above 0, once per area",
                )
                for a in frame.loc[bad, "area"].head(MAX_LISTED)
            ]
        )
    frame["population"] = population.astype(np.float64)
    frame["line"] = 0
    return frame


def funnel_limits(
    rate: float,
    n: np.ndarray[Any, Any] | pd.Series | float,
    z: float,
    binary: bool,
    sd: float = math.nan,
) -> tuple[np.ndarray[Any, np.dtype[np.float64]], np.ndarray[Any, np.dtype[np.float64]]]:
    """Funnel-plot limits around ``rate`` for ``n`` values.

    Binary (yes/no) outcomes: ``rate +/- z sqrt(rate (1 - rate) / n)``, clipped to 0..1.
    Other numbers: ``rate +/- z sd / sqrt(n)``. NaN where ``n`` is 0.
    """
    count = np.asarray(n, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        half = z * np.sqrt(rate * (1.0 - rate) / count) if binary else z * sd / np.sqrt(count)
    half = np.where(count > 0, half, np.nan)
    lower, upper = rate - half, rate + half
    if binary:
        lower, upper = np.clip(lower, 0.0, 1.0), np.clip(upper, 0.0, 1.0)
    return np.asarray(lower, dtype=np.float64), np.asarray(upper, dtype=np.float64)


@dataclass(frozen=True)
class BenchmarkResult:
    """Areas compared: activity, cost and outcomes, with funnel-plot limits."""

    pathway: Pathway
    areas: pd.DataFrame = field(repr=False)
    """One row per area of the populations file: patients, population, cost, cost per
    patient and per 1,000 population, hours, and funnel-plot limits on cost per patient."""
    outcomes: pd.DataFrame = field(repr=False)
    """One row per (outcome with records, area): records, achievement, the all-area rate,
    95% and 99.8% limits, and whether the area is outside them."""
    overall: dict[str, float] = field(repr=False)
    """All areas together: patients, population, cost, cost per patient, per 1,000."""
    activity: str | None = None
    """The activity file (or Parquet dataset folder) by its name, as documents name inputs
    (never a machine path; None for an in-memory frame)."""
    populations: str | None = None
    """The populations file by its name (None when given in memory)."""
    outcome_records: str | None = None
    """The outcome file by its name, if any."""

    @property
    def price_year(self) -> str:
        """The financial year of every cost."""
        return self.pathway.price_year

    def __repr__(self) -> str:
        from careprofiles.outputs.display import reprs

        return reprs.benchmark_repr(self)

    def _repr_html_(self) -> str:
        from careprofiles.outputs.display import reprs

        return reprs.benchmark_html(self)

    def to_dict(self) -> dict[str, Any]:
        """Every figure as plain Python values (numbers unrounded), for JSON."""
        return {
            "pathway": self.pathway.id,
            "price_year": self.price_year,
            "activity": self.activity,
            "populations": self.populations,
            "outcome_records": self.outcome_records,
            "z_95": Z95,
            "z_998": Z998,
            "overall": {
                k: (None if isinstance(v, float) and math.isnan(v) else v)
                for k, v in self.overall.items()
            },
            "areas": json_records(self.areas),
            "outcomes": json_records(self.outcomes),
        }

    def summary(self) -> str:
        """A plain-text report (what ``careprofiles benchmark`` prints)."""
        from careprofiles.outputs.display import benchmark_summary

        return benchmark_summary(self)


def benchmark_areas(
    pathway: Pathway,
    tariff: Tariff,
    activity: Frame | str | Path,
    populations: pd.DataFrame | Mapping[str, float] | str | Path,
    outcomes: pd.DataFrame | str | Path | Outcomes | None = None,
    *,
    index: PriceIndex | None = None,
) -> BenchmarkResult:
    """Compare areas: cost per patient and per 1,000 population, and outcomes by area.

    Every activity row needs an ``area``; a patient belongs to one area; every area must
    be in ``populations`` (``area,population``). An outcome record's area is its own
    ``area`` or, when empty, its patient's area in the activity. Raises
    :class:`ActivityError` naming the rows at fault.
    """
    pops = _populations(populations)
    pop_file = pops.attrs.get("careprofiles_file")
    checked = check_outcomes(outcomes, pathway) if outcomes is not None else None
    wanted = frozenset(checked.table["patient_id"]) if checked is not None else frozenset()
    reduced = aggregate(pathway, tariff, activity, index, wanted, need_area=True)
    agg = reduced.value
    _check_one_area(reduced)
    _check_known_areas(reduced, pops, pop_file)

    areas = (
        pops[["area", "population"]]
        .set_index("area")
        .join(agg.areas[["patients", "cost", "hours"]])
    )
    areas["patients"] = areas["patients"].fillna(0).astype(np.int64)
    areas[["cost", "hours"]] = areas[["cost", "hours"]].fillna(0.0)
    areas["cost_per_patient"] = per(areas["cost"], areas["patients"])
    areas["cost_per_1000"] = areas["cost"] / areas["population"] * 1000.0
    areas["patients_per_1000"] = areas["patients"] / areas["population"] * 1000.0
    n, mean, m2 = agg.cost_stats
    sd = math.sqrt(m2 / (n - 1)) if n > 1 else math.nan
    centre = mean if n else math.nan
    for z, tag in ((Z95, "95"), (Z998, "998")):
        lo, hi = funnel_limits(centre, areas["patients"].to_numpy(), z, False, sd)
        areas[f"cost_lower_{tag}"] = lo
        areas[f"cost_upper_{tag}"] = hi
        value = areas["cost_per_patient"].to_numpy()
        areas[f"cost_outside_{tag}"] = json_flags(
            (value < lo) | (value > hi), ~np.isnan(value) & ~np.isnan(lo)
        )
    areas = areas.reset_index()
    total_pop = float(pops["population"].sum())
    total_cost = float(areas["cost"].sum())
    overall = {
        "patients": agg.patients,
        "population": total_pop,
        "cost": total_cost,
        "cost_per_patient": total_cost / agg.patients if agg.patients else math.nan,
        "cost_per_1000": total_cost / total_pop * 1000.0,
        "cost_sd_per_patient": sd,
    }
    patient_area = (
        agg.patient_area.drop_duplicates("patient_id").set_index("patient_id")["area"]
        if len(agg.patient_area)
        else pd.Series(dtype=object)
    )
    outcome_table = (
        _outcomes_by_area(pathway, checked, patient_area, pops, pop_file)
        if checked is not None
        else _empty_outcomes()
    )
    return BenchmarkResult(
        pathway=pathway,
        areas=areas[
            [
                "area",
                "patients",
                "population",
                "cost",
                "cost_per_patient",
                "cost_per_1000",
                "patients_per_1000",
                "hours",
                "cost_lower_95",
                "cost_upper_95",
                "cost_lower_998",
                "cost_upper_998",
                "cost_outside_95",
                "cost_outside_998",
            ]
        ],
        outcomes=outcome_table,
        overall=overall,
        activity=document_name(reduced.source.file) if reduced.source.file else None,
        populations=document_name(pop_file) if pop_file else None,
        outcome_records=(
            document_name(checked.source.file)
            if checked is not None and checked.source.file
            else None
        ),
    )


def _check_one_area(reduced: Reduced[Aggregates]) -> None:
    """An error naming the rows where a patient's activity names a second area."""
    agg = reduced.value
    if not agg.conflict_count:
        return
    conflicts = agg.conflicts.sort_values("first_row", kind="stable").head(MAX_LISTED)
    problems = []
    for row in conflicts.itertuples(index=False):  # listed rows only
        file, line, prefix = reduced.place(int(cast(Any, row.first_row)))
        _, other_line, other_prefix = reduced.place(int(cast(Any, row.other_row)))
        there = f"line {other_line}" if other_line is not None else other_prefix
        problems.append(
            Problem(
                file,
                line,
                f"{prefix}, area" if prefix else "area",
                f"patient {row.patient_id!r} is in area {row.area!r} here but in "
                f"{row.other_area!r} on {there}; a patient belongs to one area: correct "
                "the area",
            )
        )
    if agg.conflict_count > len(problems):
        problems.append(
            Problem(
                reduced.source.file,
                None,
                "",
                f"and {agg.conflict_count - len(problems):,} more patients in two areas",
            )
        )
    raise ActivityError(problems)


def _check_known_areas(
    reduced: Reduced[Aggregates], pops: pd.DataFrame, pop_file: str | None
) -> None:
    first = reduced.value.areas["first_row"]
    unknown = first[~first.index.isin(pops["area"])].sort_values()
    if unknown.empty:
        return
    where = pop_file or "the populations"
    problems = []
    for area, row in unknown.head(MAX_LISTED).items():  # one problem per unknown area
        file, line, prefix = reduced.place(int(row))
        problems.append(
            Problem(
                file,
                line,
                f"{prefix}, area" if prefix else "area",
                f"{area!r} is not in {where}; add a row '{area},POPULATION' there, or "
                "correct the area",
            )
        )
    raise ActivityError(problems)


def _empty_outcomes() -> pd.DataFrame:
    return pd.DataFrame(columns=_OUTCOME_COLUMNS)


_OUTCOME_COLUMNS = [
    "outcome",
    "stage",
    "area",
    "records",
    "achievement",
    "rate",
    "binary",
    "sd",
    "lower_95",
    "upper_95",
    "lower_998",
    "upper_998",
    "outside_95",
    "outside_998",
    "position",
]


def _outcomes_by_area(
    pathway: Pathway,
    checked: Outcomes,
    patient_area: pd.Series,
    pops: pd.DataFrame,
    pop_file: str | None,
) -> pd.DataFrame:
    records = checked.table
    own = records["area"].to_numpy(dtype=object)
    theirs = (
        patient_area.reindex(records["patient_id"].to_numpy()).to_numpy(dtype=object)
        if len(patient_area)
        else np.full(len(records), None, dtype=object)
    )
    theirs_known = pd.notna(theirs)
    has_own = own != ""
    conflict = has_own & theirs_known & (own != np.where(theirs_known, theirs, ""))
    nowhere = ~has_own & ~theirs_known
    area = np.where(has_own, own, theirs)
    unknown = ~nowhere & ~pd.Series(area).isin(pops["area"]).to_numpy()
    problems: list[Problem] = []
    for mask, text in (
        (
            conflict,
            "area {own!r} differs from the area of the patient's activity, {theirs!r}; "
            "a patient belongs to one area",
        ),
        (nowhere, "has no area, and patient {pid!r} has no activity with an area; give the area"),
        (unknown, "area {area!r} is not in {pops}; add a row for it there, or correct the area"),
    ):
        for i in np.flatnonzero(mask)[:MAX_LISTED]:  # listed rows only
            file, line, prefix = checked.place(int(cast(Any, records["row"].iat[i])))
            problems.append(
                Problem(
                    file,
                    line,
                    f"{prefix}, area" if prefix else "area",
                    text.format(
                        own=own[i],
                        theirs=theirs[i],
                        pid=records["patient_id"].iat[i],
                        area=area[i],
                        pops=pop_file or "the populations",
                    ),
                )
            )
    if problems:
        problems.sort(key=lambda p: (p.line or 0, p.where))
        total = int(np.count_nonzero(conflict) + np.count_nonzero(nowhere))
        total += int(np.count_nonzero(unknown))
        listed = problems[:MAX_LISTED]
        if total > len(listed):  # counted, as the activity checks count theirs
            listed.append(
                Problem(
                    checked.source.file,
                    None,
                    "",
                    more_problems(total - len(listed), "outcome records"),
                )
            )
        raise ActivityError(listed)
    frame = records.assign(area=area)
    stage_of = {o.id: s.id for s in pathway.stages for o in s.outcomes}
    ids = [o.id for s in pathway.stages for o in s.outcomes if o.id in set(frame["outcome"])]
    pieces = []
    for outcome_id in ids:  # a loop over outcomes, not records
        values = frame[frame["outcome"] == outcome_id]
        rate = float(values["value"].mean())
        binary = bool(values["value"].isin([0.0, 1.0]).all())
        sd = float(values["value"].std(ddof=1)) if len(values) > 1 else math.nan
        stats = values.groupby("area", sort=False)["value"].agg(["count", "mean"])
        stats = stats.reindex(pops["area"].to_numpy())
        n = stats["count"].fillna(0).to_numpy(dtype=np.float64)
        achievement = stats["mean"].to_numpy(dtype=np.float64)
        piece = pd.DataFrame(
            {
                "outcome": outcome_id,
                "stage": stage_of[outcome_id],
                "area": pops["area"].to_numpy(),
                "records": n.astype(np.int64),
                "achievement": achievement,
                "rate": rate,
                "binary": binary,
                "sd": math.nan if binary else sd,
            }
        )
        for z, tag in ((Z95, "95"), (Z998, "998")):
            lo, hi = funnel_limits(rate, n, z, binary, sd)
            piece[f"lower_{tag}"] = lo
            piece[f"upper_{tag}"] = hi
            defined = ~np.isnan(achievement) & ~np.isnan(lo)
            piece[f"outside_{tag}"] = json_flags((achievement < lo) | (achievement > hi), defined)
        above = achievement > piece["upper_95"].to_numpy()
        below = achievement < piece["lower_95"].to_numpy()
        undefined = np.isnan(achievement) | np.isnan(piece["lower_95"].to_numpy())
        piece["position"] = np.array(
            [
                None if u else "above" if a else "below" if b else "within"
                for u, a, b in zip(undefined, above, below, strict=True)
            ],
            dtype=object,
        )
        pieces.append(piece)
    if not pieces:
        return _empty_outcomes()
    return pd.concat(pieces, ignore_index=True)[_OUTCOME_COLUMNS]
