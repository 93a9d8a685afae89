"""Audit delivery against the care profiles, and benchmark areas against each other.

:func:`audit` holds activity records (what was delivered) against the pathway's care
profiles (what should have been), stage by stage and service by service, and outcome
records against the outcomes' targets:

* patients in a stage: those with any activity row naming it;
* actual uptake of a service: the share of them with a row for the service, against the
  profile's ``uptake``;
* actual contacts, hours and cost per patient in the stage, against the profile's
  expected ``uptake x N`` contacts, ``sum(hours x uptake)`` hours and the cost per patient
  reaching the stage (``cost_per_patient_reached`` of :func:`careprofiles.cost`);
* rows not tied to a service count in their stage's totals (``unassigned_*``);
* an outcome's achievement is the mean of its values; its completeness is the share of
  the patients in its stage who have a value.

:func:`benchmark_areas` compares areas: patients, cost, cost per patient and per 1,000
population, and each outcome's achievement by area with funnel-plot limits around the
all-area rate (95% and 99.8%: ``p +/- z sqrt(p(1-p)/n)`` for yes/no outcomes, clipped to
0..1; ``mean +/- z sd/sqrt(n)`` for other numbers, with z = 1.96 and 3.09).

Both accept pandas or Dask activity (see :mod:`careprofiles.activity.records`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

from careprofiles.activity.records import (
    MAX_LISTED,
    Frame,
    Outcomes,
    Reduced,
    check_outcomes,
    reduce_activity,
)
from careprofiles.costing.result import CostResult, cost
from careprofiles.errors import ActivityError, Problem
from careprofiles.profiles.models import Pathway
from careprofiles.tariffs.tables import PriceIndex, Tariff, _parse_number, read_csv_rows

__all__ = [
    "Z95",
    "Z998",
    "AuditResult",
    "BenchmarkResult",
    "audit",
    "benchmark_areas",
    "funnel_limits",
    "read_populations",
]

Z95 = 1.96
"""z for 95% funnel-plot limits."""
Z998 = 3.09
"""z for 99.8% funnel-plot limits."""


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts of plain Python values (NaN becomes None)."""
    out = []
    for row in frame.to_dict(orient="records"):
        clean: dict[str, Any] = {}
        for k, v in row.items():
            if isinstance(v, np.generic):
                v = v.item()
            if isinstance(v, float) and math.isnan(v):
                v = None
            clean[str(k)] = v
        out.append(clean)
    return out


def _flags(values: Any, defined: Any) -> np.ndarray[Any, np.dtype[np.object_]]:
    """Python booleans (JSON true/false) in an object column, None where not defined."""
    flags = [
        bool(v) if d else None for v, d in zip(np.asarray(values), np.asarray(defined), strict=True)
    ]
    return np.array(flags, dtype=object)


def _per(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    """numerator / denominator, NaN where the denominator is 0."""
    den = denominator.astype(np.float64)
    return numerator.astype(np.float64).div(den.where(den > 0))


def _activity_tariff(tariff: Tariff, price_year: str, index: PriceIndex | None) -> Tariff:
    """Rows in other price years uplifted where ``index`` can; the rest are checked on use."""
    if index is None or price_year not in index.values:
        return tariff
    convertible = [
        c for c, r in tariff.items() if r.price_year != price_year and r.price_year in index.values
    ]
    return tariff.in_price_year(price_year, index, convertible)


# --------------------------------------------------------------------------- audit


@dataclass(frozen=True)
class AuditResult:
    """Delivery held against the profiles: per stage, per service and per outcome."""

    pathway: Pathway
    expected: CostResult = field(repr=False)
    """The pathway costed with the same tariff: the expected figures."""
    stages: pd.DataFrame = field(repr=False)
    """One row per stage: id, name, patients, expected and actual cost and hours per
    patient in the stage, the difference, the cost of rows not tied to a service."""
    services: pd.DataFrame = field(repr=False)
    """One row per service of the pathway, those departing most from the profile first
    (by the absolute difference in cost per patient in the stage)."""
    outcomes: pd.DataFrame = field(repr=False)
    """One row per outcome of the pathway: target, achievement, completeness."""
    patients: int
    """Distinct patients in the activity records."""
    rows: int
    """Activity rows read."""
    activity: str | None = None
    """The activity file (None for an in-memory frame)."""
    outcome_records: str | None = None
    """The outcome file, if any."""

    @property
    def price_year(self) -> str:
        """The financial year of every cost."""
        return self.pathway.price_year

    def departures(self, n: int = 10) -> pd.DataFrame:
        """The ``n`` services whose cost per patient departs most from the profile."""
        return self.services.dropna(subset=["cost_difference_per_patient"]).head(n)

    def to_dict(self) -> dict[str, Any]:
        """Every figure as plain Python values (numbers unrounded), for JSON."""
        return {
            "pathway": self.pathway.id,
            "name": self.pathway.name,
            "price_year": self.price_year,
            "activity": self.activity,
            "outcome_records": self.outcome_records,
            "rows": self.rows,
            "patients": self.patients,
            "stages": _records(self.stages),
            "services": _records(self.services),
            "outcomes": _records(self.outcomes),
        }

    def summary(self) -> str:
        """A plain-text report (what ``careprofiles audit`` prints)."""
        from careprofiles.outputs.audit import audit_table

        return audit_table(self)


def _expected_services(expected: CostResult) -> pd.DataFrame:
    lines = expected.lines
    staff = lines["kind"] == "staff"
    frame = lines.assign(
        hours_reached=lines["hours"] * lines["uptake"],
        staff_contacts=np.where(staff, lines["count"] * lines["share"], 0.0),
        n_contacts=lines["contacts"].where(staff),
        n_staff=staff.astype(np.int64),
    )
    g = frame.groupby(["stage", "service"], sort=False)
    out = g.agg(
        expected_uptake=("uptake", "first"),
        expected_cost_per_patient=("cost_per_patient_reached", "sum"),
        expected_hours_per_patient=("hours_reached", "sum"),
        contacts=("n_contacts", "first"),
        staff_per_contact=("staff_contacts", "sum"),
        staff_lines=("n_staff", "sum"),
    ).reset_index()
    has_staff = out["staff_lines"] > 0
    out["expected_contacts_per_patient"] = (out["expected_uptake"] * out["contacts"]).where(
        has_staff
    )
    out["staff_per_contact"] = out["staff_per_contact"].where(
        has_staff & (out["staff_per_contact"] > 0)
    )
    return out.drop(columns=["contacts", "staff_lines"])


# --------------------------------------------------------------------------- aggregates


@dataclass(frozen=True)
class _Aggregates:
    """Additive totals of activity, from which every audit and benchmark figure comes.

    Made from a summary table that holds every row of its patients (all of them with
    pandas; one shuffled partition's share with Dask) and added up with :func:`_combine`,
    so that no patient-level table need ever be held whole.
    """

    stages: pd.DataFrame
    """By stage: patients, rows, cost, hours, unassigned_cost, unassigned_hours."""
    services: pd.DataFrame
    """By (stage, service): patients_receiving, cost, hours, contacts, no_minutes."""
    areas: pd.DataFrame
    """By area: patients, cost, hours, first_row (encoded, the area's first row)."""
    conflicts: pd.DataFrame
    """Patients in two areas (at most MAX_LISTED): patient_id, area, first_row,
    other_area, other_row."""
    conflict_count: int
    members: pd.DataFrame
    """(patient_id as text, stage) for the patients with outcome records."""
    patient_area: pd.DataFrame
    """(patient_id as text, area) for the patients with outcome records."""
    patients: int
    cost_stats: tuple[int, float, float]
    """Cost per patient over all patients: count, mean, sum of squared deviations."""


_STAGE_COLS = ["patients", "rows", "cost", "hours", "unassigned_cost", "unassigned_hours"]
_SERVICE_COLS = ["patients_receiving", "cost", "hours", "contacts", "no_minutes"]
_AREA_COLS = ["patients", "cost", "hours", "first_row"]


def _reduce(table: pd.DataFrame, outcome_patients: frozenset[str]) -> _Aggregates:
    """The aggregates of a summary table holding every row of its patients."""
    by_stage = table.groupby("stage", sort=False)
    stages = by_stage.agg(
        patients=("patient_id", "nunique"),
        rows=("rows", "sum"),
        cost=("cost", "sum"),
        hours=("hours", "sum"),
    )
    unassigned = table[table["service"] == ""].groupby("stage", sort=False)[["cost", "hours"]].sum()
    stages["unassigned_cost"] = unassigned["cost"].reindex(stages.index).fillna(0.0)
    stages["unassigned_hours"] = unassigned["hours"].reindex(stages.index).fillna(0.0)
    services = (
        table[table["service"] != ""]
        .groupby(["stage", "service"], sort=False)
        .agg(
            patients_receiving=("patient_id", "nunique"),
            cost=("cost", "sum"),
            hours=("hours", "sum"),
            contacts=("contacts", "sum"),
            no_minutes=("no_minutes", "sum"),
        )
    )
    pairs = (
        table.groupby(["patient_id", "area"], sort=False)["first_row"]
        .min()
        .reset_index()
        .sort_values("first_row", kind="stable")
    )
    later = pairs.duplicated("patient_id", keep="first").to_numpy()
    first = pairs[~later]
    conflicts = (
        pairs[later]
        .head(MAX_LISTED)
        .merge(
            first.rename(columns={"area": "other_area", "first_row": "other_row"}),
            on="patient_id",
        )
    )
    per_patient = table.groupby("patient_id", sort=False)["cost"].sum()
    area_of = first.set_index("patient_id")["area"]
    patient_areas = area_of.reindex(per_patient.index)
    areas = pd.DataFrame({"cost": per_patient.to_numpy(), "area": patient_areas.to_numpy()})
    areas = areas.groupby("area", sort=False).agg(patients=("cost", "size"), cost=("cost", "sum"))
    area_rows = table.groupby("area", sort=False).agg(
        hours=("hours", "sum"), first_row=("first_row", "min")
    )
    areas = areas.join(area_rows, how="outer")
    values = per_patient.to_numpy(dtype=np.float64)
    mean = float(values.mean()) if len(values) else 0.0
    m2 = float(((values - mean) ** 2).sum()) if len(values) else 0.0
    text_ids = table["patient_id"].astype(str)
    wanted = text_ids.isin(outcome_patients).to_numpy()
    members = pd.DataFrame(
        {
            "patient_id": text_ids[wanted].to_numpy(dtype=object),
            "stage": table["stage"][wanted].to_numpy(dtype=object),
        }
    ).drop_duplicates()
    first_text = first["patient_id"].astype(str)
    chosen = first_text.isin(outcome_patients).to_numpy()
    patient_area = pd.DataFrame(
        {
            "patient_id": first_text[chosen].to_numpy(dtype=object),
            "area": first["area"][chosen].to_numpy(dtype=object),
        }
    )
    return _Aggregates(
        stages=stages[_STAGE_COLS],
        services=services[_SERVICE_COLS],
        areas=areas[_AREA_COLS],
        conflicts=conflicts,
        conflict_count=int(later.sum()),
        members=members,
        patient_area=patient_area,
        patients=len(per_patient),
        cost_stats=(len(values), mean, m2),
    )


def _combine(parts: list[_Aggregates]) -> _Aggregates:
    """Add up aggregates of disjoint sets of patients."""
    if len(parts) == 1:
        return parts[0]
    n, mean, m2 = 0, 0.0, 0.0
    for pn, pmean, pm2 in (p.cost_stats for p in parts):  # a loop over partitions
        if not pn:
            continue
        total = n + pn
        delta = pmean - mean
        mean += delta * pn / total
        m2 += pm2 + delta * delta * n * pn / total
        n = total

    def stacked(frames: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
        frames = [f for f in frames if len(f)]
        return pd.concat(frames) if frames else pd.DataFrame(columns=columns)

    areas = stacked([p.areas for p in parts], _AREA_COLS)
    area_sums = (
        areas.groupby(level=0, sort=False).agg(
            {"patients": "sum", "cost": "sum", "hours": "sum", "first_row": "min"}
        )
        if len(areas)
        else areas
    )
    stages = stacked([p.stages for p in parts], _STAGE_COLS)
    services = stacked([p.services for p in parts], _SERVICE_COLS)
    return _Aggregates(
        stages=stages.groupby(level=0, sort=False).sum() if len(stages) else stages,
        services=(services.groupby(level=[0, 1], sort=False).sum() if len(services) else services),
        areas=area_sums,
        conflicts=stacked([p.conflicts for p in parts], []).reset_index(drop=True),
        conflict_count=sum(p.conflict_count for p in parts),
        members=stacked([p.members for p in parts], ["patient_id", "stage"]),
        patient_area=stacked([p.patient_area for p in parts], ["patient_id", "area"]),
        patients=sum(p.patients for p in parts),
        cost_stats=(n, mean, m2),
    )


def _aggregate(
    pathway: Pathway,
    tariff: Tariff,
    activity: Frame | str | Path,
    index: PriceIndex | None,
    outcome_patients: frozenset[str],
    need_area: bool,
) -> Reduced[_Aggregates]:
    year_tariff = _activity_tariff(tariff, pathway.price_year, index)
    return reduce_activity(
        activity,
        year_tariff,
        pathway,
        partial(_reduce, outcome_patients=outcome_patients),
        _combine,
        need_area=need_area,
        price_year=pathway.price_year,
    )


# --------------------------------------------------------------------------- audit


def audit(
    pathway: Pathway,
    tariff: Tariff,
    activity: Frame | str | Path,
    outcomes: pd.DataFrame | str | Path | Outcomes | None = None,
    *,
    index: PriceIndex | None = None,
) -> AuditResult:
    """Hold activity (and outcome) records against ``pathway``'s care profiles.

    ``activity`` is a CSV or Parquet path, a pandas DataFrame or a Dask DataFrame (then
    reduced partition by partition: memory stays bounded); ``outcomes`` a path or a
    DataFrame. Expected figures come from ``cost(pathway, tariff, index=index)``; actual
    costs use the same tariff (rows in another price year uplifted with ``index``; an
    activity row priced in another year without one is an error). Raises
    :class:`ActivityError` naming every bad row.
    """
    expected = cost(pathway, tariff, index=index)
    checked = check_outcomes(outcomes, pathway) if outcomes is not None else None
    wanted = frozenset(checked.table["patient_id"]) if checked is not None else frozenset()
    reduced = _aggregate(pathway, tariff, activity, index, wanted, need_area=False)
    agg = reduced.value
    stages, services = _audit_tables(pathway, expected, agg)
    outcome_table = _outcome_table(pathway, agg, checked)
    return AuditResult(
        pathway=pathway,
        expected=expected,
        stages=stages,
        services=services,
        outcomes=outcome_table,
        patients=agg.patients,
        rows=int(agg.stages["rows"].sum()),
        activity=reduced.source.file,
        outcome_records=checked.source.file if checked is not None else None,
    )


def _audit_tables(
    pathway: Pathway, expected: CostResult, agg: _Aggregates
) -> tuple[pd.DataFrame, pd.DataFrame]:
    stage_ids = [s.id for s in pathway.stages]
    in_stage = agg.stages.reindex(stage_ids)
    by_stage = expected.by_stage().set_index("stage")
    exp_hours = (
        expected.lines.assign(h=expected.lines["hours"] * expected.lines["uptake"])
        .groupby("stage", sort=False)["h"]
        .sum()
        .reindex(stage_ids)
        .fillna(0.0)
    )
    patients = in_stage["patients"].fillna(0).astype(np.int64)
    actual_cost = in_stage["cost"].fillna(0.0)
    stages = pd.DataFrame(
        {
            "id": stage_ids,
            "name": [s.label for s in pathway.stages],
            "patients": patients.to_numpy(),
            "rows": in_stage["rows"].fillna(0).astype(np.int64).to_numpy(),
            "expected_cost_per_patient": by_stage["per_patient_reached"]
            .reindex(stage_ids)
            .to_numpy(),
            "actual_cost_per_patient": _per(actual_cost, patients).to_numpy(),
            "expected_hours_per_patient": exp_hours.to_numpy(),
            "actual_hours_per_patient": _per(in_stage["hours"].fillna(0.0), patients).to_numpy(),
            "unassigned_cost_per_patient": _per(
                in_stage["unassigned_cost"].fillna(0.0), patients
            ).to_numpy(),
            "actual_cost": actual_cost.to_numpy(),
        }
    )
    stages["cost_difference_per_patient"] = (
        stages["actual_cost_per_patient"] - stages["expected_cost_per_patient"]
    )

    exp = _expected_services(expected).set_index(["stage", "service"])
    keys = pd.MultiIndex.from_tuples(
        [(s.id, v.id) for s, v in pathway.services()], names=["stage", "service"]
    )
    exp = exp.reindex(keys)
    act = agg.services.reindex(keys)
    stage_patients = patients.reindex(keys.get_level_values("stage")).to_numpy()
    stage_n = pd.Series(stage_patients, index=keys)
    services = pd.DataFrame(
        {
            "stage": keys.get_level_values("stage"),
            "service": keys.get_level_values("service"),
            "name": [v.label for _, v in pathway.services()],
            "setting": [v.setting for _, v in pathway.services()],
            "patients": stage_patients,
            "patients_receiving": act["patients_receiving"].fillna(0).astype(np.int64).to_numpy(),
            "expected_uptake": exp["expected_uptake"].to_numpy(),
            "actual_uptake": _per(act["patients_receiving"].fillna(0), stage_n).to_numpy(),
            "expected_contacts_per_patient": exp["expected_contacts_per_patient"].to_numpy(),
            "actual_contacts_per_patient": _per(
                act["contacts"].fillna(0.0) / exp["staff_per_contact"], stage_n
            ).to_numpy(),
            "expected_hours_per_patient": exp["expected_hours_per_patient"].to_numpy(),
            "actual_hours_per_patient": _per(act["hours"].fillna(0.0), stage_n).to_numpy(),
            "expected_cost_per_patient": exp["expected_cost_per_patient"].to_numpy(),
            "actual_cost_per_patient": _per(act["cost"].fillna(0.0), stage_n).to_numpy(),
            "staff_rows_without_minutes": act["no_minutes"].fillna(0).astype(np.int64).to_numpy(),
        }
    )
    services["cost_difference_per_patient"] = (
        services["actual_cost_per_patient"] - services["expected_cost_per_patient"]
    )
    order = services["cost_difference_per_patient"].abs().fillna(-1.0)
    services = services.loc[order.sort_values(ascending=False, kind="stable").index]
    return stages, services.reset_index(drop=True)


def _outcome_table(pathway: Pathway, agg: _Aggregates, checked: Outcomes | None) -> pd.DataFrame:
    rows = [(o, s) for s in pathway.stages for o in s.outcomes]
    ids = [o.id for o, _ in rows]
    stage_of = pd.Series([s.id for _, s in rows], index=ids, dtype=object)
    patients = agg.stages["patients"] if len(agg.stages) else pd.Series(dtype=np.int64)
    in_stage_n = patients.reindex(stage_of.to_numpy()).fillna(0).astype(np.int64).to_numpy()
    out = pd.DataFrame(
        {
            "id": ids,
            "name": [o.label for o, _ in rows],
            "stage": stage_of.to_numpy(),
            "target": [o.target for o, _ in rows],
            "direction": [o.direction for o, _ in rows],
            "patients": in_stage_n,
        },
    )
    if checked is None or not ids:
        out["records"] = 0
        out["patients_with_value"] = 0
        out["achievement"] = np.nan
        out["completeness"] = np.nan
        out["meets_target"] = None
        out["binary"] = None
        return out
    records = checked.table
    stats = records.groupby("outcome", sort=False)["value"].agg(["count", "mean"]).reindex(ids)
    valued = (
        records[["patient_id", "outcome"]]
        .drop_duplicates()
        .assign(stage=lambda d: d["outcome"].map(stage_of))
    )
    matched = valued.merge(agg.members, on=["patient_id", "stage"], how="inner")
    with_value = matched.groupby("outcome", sort=False)["patient_id"].nunique().reindex(ids)
    binary = (
        records.assign(yes_no=records["value"].isin([0.0, 1.0]))
        .groupby("outcome", sort=False)["yes_no"]
        .all()
        .reindex(ids)
    )
    out["records"] = stats["count"].fillna(0).astype(np.int64).to_numpy()
    out["patients_with_value"] = with_value.fillna(0).astype(np.int64).to_numpy()
    out["achievement"] = stats["mean"].to_numpy()
    out["completeness"] = _per(out["patients_with_value"], out["patients"])
    target = out["target"].astype(np.float64)
    lower = out["direction"] == "lower"
    meets = np.where(lower, out["achievement"] <= target, out["achievement"] >= target)
    known = target.notna() & out["achievement"].notna()
    out["meets_target"] = _flags(meets, known.to_numpy())
    out["binary"] = binary.astype(object).where(binary.notna(), None).to_numpy()
    return out


# --------------------------------------------------------------------------- benchmarking


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
        value = _parse_number(row["population"])
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
                f"populations: missing column {', '.join(missing)}; give area and population"
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
    populations: str | None = None
    outcome_records: str | None = None

    @property
    def price_year(self) -> str:
        """The financial year of every cost."""
        return self.pathway.price_year

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
            "areas": _records(self.areas),
            "outcomes": _records(self.outcomes),
        }

    def summary(self) -> str:
        """A plain-text report (what ``careprofiles benchmark`` prints)."""
        from careprofiles.outputs.audit import benchmark_table

        return benchmark_table(self)


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
    reduced = _aggregate(pathway, tariff, activity, index, wanted, need_area=True)
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
    areas["cost_per_patient"] = _per(areas["cost"], areas["patients"])
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
        areas[f"cost_outside_{tag}"] = _flags(
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
        activity=reduced.source.file,
        populations=pop_file,
        outcome_records=checked.source.file if checked is not None else None,
    )


def _check_one_area(reduced: Reduced[_Aggregates]) -> None:
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
    reduced: Reduced[_Aggregates], pops: pd.DataFrame, pop_file: str | None
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
        raise ActivityError(problems[:MAX_LISTED])
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
            piece[f"outside_{tag}"] = _flags((achievement < lo) | (achievement > hi), defined)
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
