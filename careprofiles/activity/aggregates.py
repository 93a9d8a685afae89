"""Additive totals of activity, from which every audit and benchmark figure comes.

Holds :class:`Aggregates` and :func:`aggregate`: the activity records checked and
totalled (:func:`~careprofiles.activity.summaries.reduce_activity`) into totals by stage,
by service and by area, the patients in two areas, and the cost-per-patient moments,
each made from tables that hold every row of their patients and added up across Dask
partitions, so that no patient-level table need ever be held whole. Also the helpers
the audit's and the benchmark's result tables share (:func:`per`, :func:`json_records`,
:func:`json_flags`).

Imports: activity.summaries, activity.findings, tariffs, profiles.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from careprofiles.activity.findings import MAX_LISTED
from careprofiles.activity.records import Frame
from careprofiles.activity.summaries import Reduced, reduce_activity
from careprofiles.profiles.models import Pathway
from careprofiles.tariffs.tables import PriceIndex, Tariff

__all__ = ["Aggregates", "aggregate", "json_flags", "json_records", "per"]

# --------------------------------------------------------------------------- result tables


def json_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
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


def json_flags(values: Any, defined: Any) -> np.ndarray[Any, np.dtype[np.object_]]:
    """Python booleans (JSON true/false) in an object column, None where not defined."""
    flags = [
        bool(v) if d else None for v, d in zip(np.asarray(values), np.asarray(defined), strict=True)
    ]
    return np.array(flags, dtype=object)


def per(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
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


# --------------------------------------------------------------------------- aggregates


@dataclass(frozen=True)
class Aggregates:
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


def _reduce(table: pd.DataFrame, outcome_patients: frozenset[str]) -> Aggregates:
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
    return Aggregates(
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


def _combine(parts: list[Aggregates]) -> Aggregates:
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
    return Aggregates(
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


def aggregate(
    pathway: Pathway,
    tariff: Tariff,
    activity: Frame | str | Path,
    index: PriceIndex | None,
    outcome_patients: frozenset[str],
    need_area: bool,
) -> Reduced[Aggregates]:
    """Check the activity and total it into :class:`Aggregates` (in the pathway's price
    year: rows in another year uplifted with ``index`` where it can, else an error);
    ``outcome_patients`` are the patients whose stages and areas the outcomes need."""
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
