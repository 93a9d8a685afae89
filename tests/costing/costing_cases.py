"""Shared cases of the costing tests: the hand-computed pathway, generated pathways
(hypothesis strategies), a wide pathway for the fast arithmetic, and small helpers."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import HealthCheck, settings, strategies as st

from careprofiles.profiles.models import Pathway
from careprofiles.tariffs.tables import Tariff, TariffRow

PENNY = 0.005


# --------------------------------------------------------------------------------------
# The hand-computed pathway
# --------------------------------------------------------------------------------------


EARLY = {
    "format": "careprofiles/1",
    "id": "early",
    "name": "Early stage",
    "duration_weeks": 4,
    "reach": 0.5,
    "services": [
        {
            "id": "visits",
            "setting": "home",
            "uptake": 0.8,
            "contacts": {"per_week": 2, "minutes": 45, "travel_minutes": 15},
            "staff": [{"role": "nurse"}, {"role": "hca", "count": 2, "share": 0.5}],
        },
        {
            "id": "kit",
            "setting": "home",
            "items": [{"code": "pack", "quantity": 1}, {"code": "pump", "per_week": 1}],
        },
    ],
}


LATE = {
    "format": "careprofiles/1",
    "id": "late",
    "name": "Late stage",
    "duration_weeks": 1,
    "reach": 0.9,
    "services": [
        {
            "id": "daily",
            "setting": "home",
            "contacts": {"per_day": 2, "minutes": 30},
            "staff": [{"role": "gp", "share": 0.25}, {"role": "nurse", "count": 2}],
        },
        {
            "id": "beds",
            "setting": "hospice",
            "uptake": 0.1,
            "items": [{"code": "bed", "quantity": 3}],
        },
    ],
}


TARIFF = [
    {"code": "nurse", "unit": "hour", "cost": 60, "hours_per_wte": 1500},
    {"code": "gp", "unit": "hour", "cost": 240},
    {"code": "hca", "unit": "contact", "cost": 30},
    {"code": "pack", "unit": "item", "cost": 45},
    {"code": "pump", "unit": "week", "cost": 20},
    {"code": "bed", "unit": "day", "cost": 500},
]


# early/visits: N = 2 x 4 = 8 contacts. nurse: 8 x (45+15)/60 = 8 h, £480.
#   hca (per contact): 8 x 2 x 0.5 = 8 priced contacts, £240; hours 8 x 1 x 2 x 0.5 = 8.
#   receiving £720; reached 0.8 x 720 = £576; per cohort patient 0.5 x 576 = £288.
# early/kit: pack 1 x 45 + pump 4 weeks x 20 = £125; per cohort patient £62.50.
# early: per patient reached £701; per cohort patient £350.50; total x100 = £35,050.
# late/daily: N = 2 x 7 x 1 = 14. gp: 14 x 0.5 h x 0.25 = 1.75 h, £420;
#   nurse: 14 x 0.5 x 2 = 14 h, £840. receiving £1,260; per cohort patient 0.9 x = £1,134.
# late/beds: 3 x 500 = £1,500; reached 0.1 x = £150; per cohort patient £135.
# late: per patient reached £1,410; per cohort patient £1,269; total £126,900.
# pathway: £1,619.50 per patient; £161,950 for 100 patients.
HAND = {
    "per_patient": 1619.50,
    "total": 161_950.00,
    "stages": {
        "early": {"per_patient_reached": 701.00, "per_patient": 350.50, "total": 35_050.00},
        "late": {"per_patient_reached": 1410.00, "per_patient": 1269.00, "total": 126_900.00},
    },
    # hours a year: nurse 8 x 0.8 x 0.5 x 100 + 14 x 1 x 0.9 x 100 = 320 + 1260
    "hours": {"nurse": 1580.0, "gp": 157.5, "hca": 320.0},
    "wte": {"nurse": 1580.0 / 1500, "gp": 157.5 / 1650, "hca": 320.0 / 1650},
    # cost a year: nurse 480 x 0.4 x 100 + 840 x 0.9 x 100; gp 420 x 0.9 x 100; hca 240 x 0.4 x 100
    "role_cost": {"nurse": 94_800.0, "gp": 37_800.0, "hca": 9_600.0},
    # units a year: pack 1 x 0.5 x 100; pump 4 x 0.5 x 100; bed 3 x 0.1 x 0.9 x 100
    "item_units": {"pack": 50.0, "pump": 200.0, "bed": 27.0},
    "item_cost": {"pack": 2_250.0, "pump": 4_000.0, "bed": 13_500.0},
    "setting": {"home": 1484.50, "hospice": 135.00},
}


def shown(path: Path) -> str:
    from careprofiles.errors import display_path

    return display_path(path)


# --------------------------------------------------------------------------------------
# Generated pathways
# --------------------------------------------------------------------------------------


ROLES = {"nurse": "hour", "gp": "hour", "hca": "contact"}
ITEMS = {"pack": "item", "bed": "day", "pump": "week"}


amount = st.floats(0, 50, allow_nan=False, allow_infinity=False)
share = st.floats(0, 1, allow_nan=False, allow_infinity=False)


@st.composite
def services(draw: st.DrawFn, ident: str) -> dict[str, Any]:
    service: dict[str, Any] = {
        "id": ident,
        "setting": draw(st.sampled_from(["home", "hospice", "clinic", "telephone"])),
        "uptake": draw(share),
    }
    has_contacts = draw(st.booleans())
    items = draw(
        st.lists(
            st.fixed_dictionaries(
                {"code": st.sampled_from(sorted(ITEMS))},
                optional={},
            ).flatmap(
                lambda d: st.one_of(
                    st.builds(lambda q: {**d, "quantity": q}, amount),
                    st.builds(lambda q: {**d, "per_week": q}, amount),
                )
            ),
            min_size=0 if has_contacts else 1,
            max_size=2,
        )
    )
    if has_contacts:
        kind = draw(st.sampled_from(["per_week", "per_day", "per_stage"]))
        service["contacts"] = {
            kind: draw(amount),
            "minutes": draw(st.floats(0, 120, allow_nan=False)),
            "travel_minutes": draw(st.floats(0, 60, allow_nan=False)),
        }
        service["staff"] = draw(
            st.lists(
                st.builds(
                    lambda r, c, h: {"role": r, "count": c, "share": h},
                    st.sampled_from(sorted(ROLES)),
                    st.floats(0, 3, allow_nan=False),
                    share,
                ),
                min_size=1,
                max_size=3,
            )
        )
    if items:
        service["items"] = items
    return service


@st.composite
def stages(draw: st.DrawFn, ident: str) -> dict[str, Any]:
    n = draw(st.integers(1, 3))
    return {
        "id": ident,
        "duration_weeks": draw(st.floats(0.1, 60, allow_nan=False)),
        "reach": draw(share),
        "services": [draw(services(f"svc-{i}")) for i in range(n)],
    }


@st.composite
def pathways(draw: st.DrawFn) -> dict[str, Any]:
    n = draw(st.integers(1, 3))
    if draw(st.booleans()):
        cohort: dict[str, Any] = {"patients": draw(st.floats(0, 5000, allow_nan=False))}
    else:
        cohort = {
            "population": draw(st.floats(0, 1e6, allow_nan=False)),
            "deaths_per_1000": draw(st.floats(0, 20, allow_nan=False)),
            "eligible_share": draw(share),
        }
    return {
        "id": "generated",
        "name": "Generated",
        "price_year": "2024/25",
        "cohort": cohort,
        "stages": [draw(stages(f"stage-{i}")) for i in range(n)],
    }


costs = st.fixed_dictionaries(
    {code: st.floats(0, 1000, allow_nan=False) for code in [*ROLES, *ITEMS]}
)


def tariff_of(prices: dict[str, float], hours_per_wte: float = 1650.0) -> Tariff:
    units = {**ROLES, **ITEMS}
    return Tariff(
        {
            code: TariffRow(code, units[code], price, "2024/25", hours_per_wte=hours_per_wte)
            for code, price in prices.items()
        }
    )


def pathway_of(data: dict[str, Any]) -> Pathway:
    return Pathway.model_validate(data)


def reference_per_patient(data: dict[str, Any], prices: dict[str, float]) -> float:
    """The costing rules of the spec, written out plainly (a test oracle)."""
    total = 0.0
    for stage in data["stages"]:
        weeks = stage["duration_weeks"]
        reached = 0.0
        for service in stage["services"]:
            receiving = 0.0
            contacts = service.get("contacts")
            if contacts:
                if "per_stage" in contacts:
                    n = contacts["per_stage"]
                elif "per_week" in contacts:
                    n = contacts["per_week"] * weeks
                else:
                    n = contacts["per_day"] * 7 * weeks
                for line in service["staff"]:
                    c, h = line["count"], line["share"]
                    if ROLES[line["role"]] == "hour":
                        hours = n * (contacts["minutes"] + contacts["travel_minutes"]) / 60 * c * h
                        receiving += hours * prices[line["role"]]
                    else:
                        receiving += n * c * h * prices[line["role"]]
            for item in service.get("items", []):
                q = item["quantity"] if "quantity" in item else item["per_week"] * weeks
                receiving += q * prices[item["code"]]
            reached += service["uptake"] * receiving
        total += stage["reach"] * reached
    return total


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6)


property_settings = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


# --------------------------------------------------------------------------------------
# A wide pathway, and exact comparisons
# --------------------------------------------------------------------------------------


def bits(a: np.ndarray) -> np.ndarray:
    """The float64 bit patterns (so that == compares to the last bit, sign of 0 too)."""
    return np.ascontiguousarray(a, dtype=np.float64).view(np.uint64)


def wide_pathway(long_services: int = 70) -> Pathway:
    """A long stage (enough lines for a stage's reach to be applied run by run) and a
    short one; every kind of frequency, per-hour and per-contact roles, items."""

    def service(i: int) -> dict[str, Any]:
        kind = ("per_week", "per_day", "per_stage")[i % 3]
        out: dict[str, Any] = {
            "id": f"v{i}",
            "setting": "home",
            "uptake": round(0.3 + 0.01 * (i % 50), 2),
            "contacts": {kind: 1 + i % 4, "minutes": 15 + i % 40, "travel_minutes": i % 3 * 5},
            "staff": [
                {"role": "nurse", "share": 0.5 + 0.01 * (i % 30)},
                {"role": "hca", "count": 1 + i % 2},
            ],
        }
        if i % 5 == 0:
            out["items"] = [{"code": "pack", "quantity": 2}, {"code": "pump", "per_week": 1}]
        return out

    def stage(ident: str, n: int, weeks: float, reach: float) -> dict[str, Any]:
        services = [service(i) for i in range(n)]
        return {"id": ident, "duration_weeks": weeks, "reach": reach, "services": services}

    return Pathway.model_validate(
        {
            "id": "wide",
            "name": "Wide",
            "price_year": "2024/25",
            "cohort": {"population": 200_000, "deaths_per_1000": 9.5, "eligible_share": 0.7},
            "stages": [stage("long", long_services, 12, 0.6), stage("short", 5, 1.5, 0.9)],
        }
    )


WIDE_PRICES = {"nurse": 61.3, "gp": 240.0, "hca": 31.7, "pack": 45.0, "bed": 500.0, "pump": 20.5}


def vary(model: Any, addresses: list[str], sets: int, seed: int) -> np.ndarray:
    """``sets`` parameter sets: the base values, with ``addresses`` moved at random."""
    rng = np.random.default_rng(seed)
    values = np.tile(model.base_values(), (sets, 1))
    where = [model.addresses().index(a) for a in addresses]
    values[:, where] *= rng.uniform(0.2, 3.0, (sets, len(where)))
    return values


def in_order(column: np.ndarray) -> float:
    """The plain sum, one number after another."""
    total = 0.0
    for i, x in enumerate(column.tolist()):
        total = x if i == 0 else total + x
    return total
