"""Comparing scenarios with the baseline: :func:`compare` costs the baseline and each
scenario of a file, and the :class:`Comparison` holds them with the differences.

Each scenario's change is shown by stage, role, funder (who pays) and setting.

Imports: errors, resources, profiles, tariffs, costing.result, costing.scenarios,
costing.scenario_apply; nothing above costing.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from careprofiles.costing.result import CostResult, cost
from careprofiles.costing.scenario_apply import apply_scenario
from careprofiles.costing.scenarios import Scenario, ScenarioSet, load_scenarios
from careprofiles.errors import Problem, ScenarioError, ValidationError
from careprofiles.profiles.evidence import funder_name
from careprofiles.profiles.models import Pathway
from careprofiles.profiles.validation import sort_problems
from careprofiles.resources import document_name
from careprofiles.tariffs.tables import PriceIndex, Tariff

__all__ = ["Comparison", "compare"]


@dataclass(frozen=True)
class Comparison:
    """The baseline and each scenario costed, with the differences."""

    baseline: CostResult
    scenarios: tuple[tuple[Scenario, CostResult], ...]
    file: str = ""
    """The scenario file, as messages name it (relative to the working folder)."""

    @property
    def file_name(self) -> str:
        """The scenario file as documents name it: its file name, never a machine path."""
        return document_name(self.file) if self.file else ""

    @property
    def cohorts_differ(self) -> bool:
        """Whether a scenario costs another cohort than the baseline's (a condition
        variant's own patients): then compare the cost per patient, not the totals."""
        b = self.baseline.cohort
        return any(not math.isclose(r.cohort, b, rel_tol=1e-9) for _, r in self.scenarios)

    def table(self) -> pd.DataFrame:
        """One row for the baseline and one per scenario: costs and changes.

        ``delta_total`` is the change in the population cost a year, each at its own
        cohort; ``delta_total_same_cohort`` the change per patient times the scenario's
        cohort (its patients, with the baseline's care against the scenario's): the like
        for like figure when :attr:`cohorts_differ`. ``baseline_cohort`` stands beside
        ``cohort``."""
        b = self.baseline
        rows: list[dict[str, Any]] = [
            {
                "id": "baseline",
                "name": "Baseline",
                "cohort": b.cohort,
                "per_patient": b.per_patient,
                "total": b.total,
            }
        ]
        for s, r in self.scenarios:
            rows.append(
                {
                    "id": s.id,
                    "name": s.name,
                    "cohort": r.cohort,
                    "per_patient": r.per_patient,
                    "total": r.total,
                }
            )
        out = pd.DataFrame(rows, columns=["id", "name", "cohort", "per_patient", "total"])
        out["delta_per_patient"] = out["per_patient"] - b.per_patient
        out["delta_total"] = out["total"] - b.total
        out["change"] = out["delta_per_patient"] / b.per_patient if b.per_patient else math.nan
        out["baseline_cohort"] = b.cohort
        out["delta_total_same_cohort"] = out["delta_per_patient"] * out["cohort"]
        return out

    def __repr__(self) -> str:
        from careprofiles.outputs.display import reprs

        return reprs.comparison_repr(self)

    def _repr_html_(self) -> str:
        from careprofiles.outputs.display import reprs

        return reprs.comparison_html(self)

    def _results(self) -> list[tuple[str, CostResult]]:
        return [("baseline", self.baseline), *((s.id, r) for s, r in self.scenarios)]

    def by_stage(self) -> pd.DataFrame:
        """Long table: scenario, stage, cost per cohort patient and a year, and the changes."""
        base = self.baseline.by_stage().set_index("stage")
        frames = []
        for sid, r in self._results():
            st = r.by_stage()[["stage", "name", "patients", "per_patient", "total"]].copy()
            st.insert(0, "scenario", sid)
            st["delta_per_patient"] = st["per_patient"] - st["stage"].map(base["per_patient"])
            st["delta_total"] = st["total"] - st["stage"].map(base["total"])
            frames.append(st)
        return pd.concat(frames, ignore_index=True)

    def by_role(self) -> pd.DataFrame:
        """Long table: scenario, role, hours and WTE a year, cost a year, and the change in
        cost; then the cost per cohort patient and its change."""
        base = self.baseline.by_role().set_index("role")
        frames = []
        for sid, r in self._results():
            ro = r.by_role()[["role", "hours", "wte", "cost"]].copy()
            ro.insert(0, "scenario", sid)
            ro["delta_cost"] = ro["cost"] - ro["role"].map(base["cost"]).fillna(0.0)
            ro["delta_wte"] = ro["wte"] - ro["role"].map(base["wte"]).fillna(0.0)
            # per cohort patient: like for like when the cohorts differ
            ro["per_patient"] = r.by_role()["per_patient"].to_numpy()
            ro["delta_per_patient"] = ro["per_patient"] - ro["role"].map(
                base["per_patient"]
            ).fillna(0.0)
            frames.append(ro)
        return pd.concat(frames, ignore_index=True)

    def by_funder(self) -> pd.DataFrame:
        """Long table: scenario, funder (and its name), cost per cohort patient and a year,
        and each funder's change from the baseline (0 where a result has none of its)."""
        out = self._by_column("funder")
        out.insert(2, "name", [funder_name(f) for f in out["funder"]])
        return out

    def by_setting(self) -> pd.DataFrame:
        """Long table: scenario, setting (hospital, home, hospice...), cost per cohort
        patient and a year, and the change from the baseline in each setting."""
        return self._by_column("setting")

    def _by_column(self, key: str) -> pd.DataFrame:
        """Every result's lines summed by ``key``, over the keys of all of them (in
        order of first appearance, the baseline's first)."""
        sums = [
            (sid, r.lines.groupby(key, sort=False)["cost_per_patient"].sum())
            for sid, r in self._results()
        ]
        keys = list(dict.fromkeys(k for _sid, g in sums for k in g.index))
        base = sums[0][1].reindex(keys, fill_value=0.0)
        cohorts = {sid: r.cohort for sid, r in self._results()}
        frames = []
        for sid, g in sums:
            per = g.reindex(keys, fill_value=0.0)
            frames.append(
                pd.DataFrame(
                    {
                        "scenario": sid,
                        key: keys,
                        "per_patient": per.to_numpy(),
                        "total": per.to_numpy() * cohorts[sid],
                        "delta_per_patient": (per - base).to_numpy(),
                        "delta_total": per.to_numpy() * cohorts[sid]
                        - base.to_numpy() * self.baseline.cohort,
                    }
                )
            )
        return pd.concat(frames, ignore_index=True)

    def to_dict(self) -> dict[str, Any]:
        """Every figure as plain values (unrounded), for JSON."""
        b = self.baseline
        stages = self.by_stage()
        roles = self.by_role()
        funders = self.by_funder()
        settings = self.by_setting()

        def part(sid: str, frame: pd.DataFrame, cols: list[str]) -> list[dict[str, Any]]:
            sub = frame[frame["scenario"] == sid][cols]
            return [
                {str(k): (v.item() if hasattr(v, "item") else v) for k, v in row.items()}
                for row in sub.to_dict(orient="records")
            ]

        stage_cols = ["stage", "per_patient", "total", "delta_per_patient", "delta_total"]
        role_cols = [
            "role",
            "hours",
            "wte",
            "cost",
            "delta_cost",
            "delta_wte",
            "per_patient",
            "delta_per_patient",
        ]
        funder_cols = ["funder", "name", "per_patient", "total", "delta_per_patient", "delta_total"]
        setting_cols = ["setting", "per_patient", "total", "delta_per_patient", "delta_total"]
        return {
            "pathway": b.pathway.id,
            "price_year": b.price_year,
            "scenario_file": self.file_name,
            "cohorts_differ": self.cohorts_differ,
            "baseline": {
                "per_patient": b.per_patient,
                "total": b.total,
                "cohort": b.cohort,
                "stages": part("baseline", stages, stage_cols[:3]),
                "roles": part("baseline", roles, [*role_cols[:4], "per_patient"]),
                "funders": part("baseline", funders, funder_cols[:4]),
                "settings": part("baseline", settings, setting_cols[:3]),
            },
            "scenarios": [
                {
                    "id": s.id,
                    "name": s.name,
                    "description": s.description,
                    "base": s.base,
                    "changes": [c.describe() for c in s.changes],
                    "per_patient": r.per_patient,
                    "total": r.total,
                    "cohort": r.cohort,
                    "delta_per_patient": r.per_patient - b.per_patient,
                    "delta_total": r.total - b.total,
                    "delta_total_same_cohort": (r.per_patient - b.per_patient) * r.cohort,
                    "stages": part(s.id, stages, stage_cols),
                    "roles": part(s.id, roles, role_cols),
                    "funders": part(s.id, funders, funder_cols),
                    "settings": part(s.id, settings, setting_cols),
                }
                for s, r in self.scenarios
            ],
        }


def compare(
    pathway: Pathway,
    tariff: Tariff,
    scenarios: ScenarioSet | str | Path,
    *,
    index: PriceIndex | None = None,
    ids: Iterable[str] | None = None,
) -> Comparison:
    """Cost the baseline and each scenario (``ids``: some of them, in that order).

    Every scenario's problems (addresses naming nothing, results that break the format,
    codes no tariff prices) are collected and raised once: as a :class:`ScenarioError`,
    or as the one kind of error they all are (:class:`MissingCodeError` for a code no
    tariff prices).
    """
    if not isinstance(scenarios, ScenarioSet):
        scenarios = load_scenarios(scenarios)
    baseline = cost(pathway, tariff, index=index)
    chosen = [scenarios.get(i) for i in ids] if ids is not None else list(scenarios)
    problems: list[Problem] = []
    kinds: set[type[ValidationError]] = set()
    results: list[tuple[Scenario, CostResult]] = []
    for s in chosen:
        try:
            p, t = apply_scenario(pathway, tariff, scenarios, s.id)
            results.append((s, cost(p, t, index=index)))
        except ValidationError as exc:
            kinds.add(type(exc))
            problems.extend(q for q in exc.problems if q not in problems)
    if problems:
        # one kind of error (e.g. MissingCodeError for an added service): keep its type
        kind = kinds.pop() if len(kinds) == 1 else ScenarioError
        raise kind(sort_problems(problems))
    return Comparison(baseline, tuple(results), scenarios.file)
