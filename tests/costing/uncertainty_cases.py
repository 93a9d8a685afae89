"""Shared cases of the Monte Carlo, sensitivity and tariff-uncertainty tests: a
one-line pathway, closed forms, and a wide uncertain pathway."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from careprofiles.profiles.distributions import base_value
from careprofiles.profiles.models import Pathway
from careprofiles.profiles.numbers import parse_uncertain
from careprofiles.resources import bundled_pathway
from careprofiles.tariffs.tables import Tariff, TariffRow

REPO = Path(__file__).resolve().parents[2]
EXAMPLE_UNCERTAINTY = REPO / "examples" / "scenarios" / "tariff-uncertainty.csv"
STATS = ("mean", "sd", "p2.5", "p50", "p97.5")


def one_line(
    minutes: Any = 45,
    *,
    uptake: Any = 1,
    per_stage: Any = 1,
    cohort: dict[str, Any] | None = None,
    reach: Any = 1,
    duration: Any = 1,
) -> Pathway:
    """One stage, one service, one nurse line: cost per patient = reach x uptake x
    per_stage x minutes / 60 x the nurse's hourly cost. Built in memory."""
    return Pathway.model_validate(
        {
            "id": "one-line",
            "name": "One line",
            "price_year": "2024/25",
            "cohort": cohort or {"patients": 100},
            "stages": [
                {
                    "id": "s",
                    "duration_weeks": duration,
                    "reach": reach,
                    "services": [
                        {
                            "id": "v",
                            "setting": "home",
                            "uptake": uptake,
                            "contacts": {"per_stage": per_stage, "minutes": minutes},
                            "staff": [{"role": "nurse"}],
                        }
                    ],
                }
            ],
        }
    )


def nurse_at(rate: float = 60.0, price_year: str = "2024/25") -> Tariff:
    row = TariffRow(
        code="nurse",
        unit="hour",
        cost=rate,
        price_year=price_year,
        location="t.csv:2",
        original_cost=rate,
        original_price_year=price_year,
    )
    return Tariff({"nurse": row}, ("t.csv",))


def tri_ppf(q: float, a: float, c: float, b: float) -> float:
    """The triangular quantile function, in closed form."""
    if q < (c - a) / (b - a):
        return a + math.sqrt(q * (b - a) * (c - a))
    return b - math.sqrt((1 - q) * (b - a) * (b - c))


def tri_pdf(x: float, a: float, c: float, b: float) -> float:
    return 2 * (x - a) / ((b - a) * (c - a)) if x < c else 2 * (b - x) / ((b - a) * (b - c))


def deterministic_copy(folder: Path) -> Path:
    """A copy of the bundled pathway with every distribution replaced by its base value."""

    def fix(node: Any) -> Any:
        if isinstance(node, dict) and "dist" in node:
            return base_value(parse_uncertain(node))
        if isinstance(node, dict):
            return {k: fix(v) for k, v in node.items()}
        if isinstance(node, list):
            return [fix(v) for v in node]
        return node

    folder.mkdir(parents=True, exist_ok=True)
    for source in bundled_pathway().glob("*.yaml"):
        data = yaml.safe_load(source.read_text(encoding="utf-8"))
        (folder / source.name).write_text(yaml.safe_dump(fix(data)), encoding="utf-8")
    return folder


def uncertain_pathway() -> Pathway:
    """Two stages, one long (its reach is applied run by run), every kind of frequency,
    per-hour and per-contact roles, items; most numbers uncertain, some not."""

    def tri(mode: float) -> dict[str, Any]:
        return {"dist": "triangular", "low": 0.5 * mode, "mode": mode, "high": 1.5 * mode}

    def service(i: int) -> dict[str, Any]:
        kind = ("per_week", "per_day", "per_stage")[i % 3]
        out: dict[str, Any] = {
            "id": f"v{i}",
            "setting": "home",
            "uptake": {"dist": "pert", "low": 0.2, "mode": 0.5, "high": 0.9} if i % 4 else 0.7,
            "contacts": {
                kind: tri(1 + i % 4),
                "minutes": tri(15 + i % 40) if i % 3 else 30,
                "travel_minutes": i % 3 * 5,
            },
            "staff": [
                {"role": "nurse", "share": {"dist": "beta", "mean": 0.6, "sd": 0.1}}
                if i % 9 == 0
                else {"role": "nurse", "share": 0.5},
                {"role": "hca", "count": 1 + i % 2},
            ],
        }
        if i % 5 == 0:
            out["items"] = [
                {"code": "pack", "quantity": {"dist": "gamma", "mean": 2, "sd": 0.5}},
                {"code": "pump", "per_week": 1},
            ]
        return out

    return Pathway.model_validate(
        {
            "id": "wide",
            "name": "Wide",
            "price_year": "2024/25",
            "cohort": {
                "population": 200_000,
                "deaths_per_1000": {"dist": "normal", "mean": 9.5, "sd": 0.3},
                "eligible_share": 0.7,
            },
            "stages": [
                {
                    "id": "long",
                    "duration_weeks": tri(12),
                    "reach": {"dist": "uniform", "low": 0.5, "high": 0.7},
                    "services": [service(i) for i in range(70)],
                },
                {
                    "id": "short",
                    "duration_weeks": 2,
                    "reach": 0.9,
                    "services": [service(i) for i in range(5)],
                },
            ],
        }
    )


def wide_tariff() -> Tariff:
    rows = {
        code: TariffRow(code, unit, price, "2024/25", location=f"t.csv:{n + 2}")
        for n, (code, unit, price) in enumerate(
            [
                ("nurse", "hour", 61.3),
                ("hca", "contact", 31.7),
                ("pack", "item", 45.0),
                ("pump", "week", 20.5),
            ]
        )
    }
    return Tariff(rows, ("t.csv",))


def added_in_order(model: Any, values: np.ndarray) -> tuple[np.ndarray, ...]:
    """Per set: each stage's cost per patient, the pathway's, and the cohort, from
    ``evaluate`` and the spec's sums done one number after another (lines within a
    stage, then stages)."""
    figures = model.evaluate(values)
    stage_of = model.lines["stage"].to_numpy()
    stages = np.column_stack(
        [
            np.cumsum(figures.cost_per_patient[:, stage_of == s.id], axis=1)[:, -1]
            for s in model.pathway.stages
        ]
    )
    return stages, np.cumsum(stages, axis=1)[:, -1], figures.cohort
