"""Audit delivery against the care profiles: :func:`audit` and :class:`AuditResult`.

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

It accepts pandas or Dask activity (see :mod:`careprofiles.activity.records`).

Imports: activity.aggregates, activity.checks, costing, tariffs, profiles, resources; the one
upward call, :meth:`AuditResult.summary`, imports careprofiles.outputs inside the method.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from careprofiles.activity.aggregates import Aggregates, aggregate, json_flags, json_records, per
from careprofiles.activity.checks import Outcomes, check_outcomes
from careprofiles.activity.records import Frame
from careprofiles.costing.result import CostResult, cost
from careprofiles.profiles.models import Pathway
from careprofiles.resources import document_name
from careprofiles.tariffs.tables import PriceIndex, Tariff

__all__ = ["AuditResult", "audit"]


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
    """The activity file (or Parquet dataset folder) by its name, as documents name inputs
    (never a machine path; None for an in-memory frame)."""
    outcome_records: str | None = None
    """The outcome file by its name, if any."""

    @property
    def price_year(self) -> str:
        """The financial year of every cost."""
        return self.pathway.price_year

    def __repr__(self) -> str:
        from careprofiles.outputs.display import reprs

        return reprs.audit_repr(self)

    def _repr_html_(self) -> str:
        from careprofiles.outputs.display import reprs

        return reprs.audit_html(self)

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
            "stages": json_records(self.stages),
            "services": json_records(self.services),
            "outcomes": json_records(self.outcomes),
        }

    def summary(self) -> str:
        """A plain-text report (what ``careprofiles audit`` prints)."""
        from careprofiles.outputs.display import audit_summary

        return audit_summary(self)


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
    reduced = aggregate(pathway, tariff, activity, index, wanted, need_area=False)
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
        activity=document_name(reduced.source.file) if reduced.source.file else None,
        outcome_records=(
            document_name(checked.source.file)
            if checked is not None and checked.source.file
            else None
        ),
    )


def _audit_tables(
    pathway: Pathway, expected: CostResult, agg: Aggregates
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
            "actual_cost_per_patient": per(actual_cost, patients).to_numpy(),
            "expected_hours_per_patient": exp_hours.to_numpy(),
            "actual_hours_per_patient": per(in_stage["hours"].fillna(0.0), patients).to_numpy(),
            "unassigned_cost_per_patient": per(
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
            "actual_uptake": per(act["patients_receiving"].fillna(0), stage_n).to_numpy(),
            "expected_contacts_per_patient": exp["expected_contacts_per_patient"].to_numpy(),
            "actual_contacts_per_patient": per(
                act["contacts"].fillna(0.0) / exp["staff_per_contact"], stage_n
            ).to_numpy(),
            "expected_hours_per_patient": exp["expected_hours_per_patient"].to_numpy(),
            "actual_hours_per_patient": per(act["hours"].fillna(0.0), stage_n).to_numpy(),
            "expected_cost_per_patient": exp["expected_cost_per_patient"].to_numpy(),
            "actual_cost_per_patient": per(act["cost"].fillna(0.0), stage_n).to_numpy(),
            "staff_rows_without_minutes": act["no_minutes"].fillna(0).astype(np.int64).to_numpy(),
        }
    )
    services["cost_difference_per_patient"] = (
        services["actual_cost_per_patient"] - services["expected_cost_per_patient"]
    )
    order = services["cost_difference_per_patient"].abs().fillna(-1.0)
    services = services.loc[order.sort_values(ascending=False, kind="stable").index]
    return stages, services.reset_index(drop=True)


def _outcome_table(pathway: Pathway, agg: Aggregates, checked: Outcomes | None) -> pd.DataFrame:
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
    out["completeness"] = per(out["patients_with_value"], out["patients"])
    target = out["target"].astype(np.float64)
    lower = out["direction"] == "lower"
    meets = np.where(lower, out["achievement"] <= target, out["achievement"] >= target)
    known = target.notna() & out["achievement"].notna()
    out["meets_target"] = json_flags(meets, known.to_numpy())
    out["binary"] = binary.astype(object).where(binary.notna(), None).to_numpy()
    return out
