"""Deterministic costing (``costing/result.py``): hand-computed cases to the penny,
tariff layering and price years, the tables, provenance of lines, and properties.

The hand-computed figures in the comments were worked out on paper from the costing
rules of the format spec; the engine must reproduce them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from conftest import line_of
from costing_cases import (
    EARLY,
    HAND,
    LATE,
    PENNY,
    TARIFF,
    WIDE_PRICES,
    bits,
    close,
    costs,
    in_order,
    pathway_of,
    pathways,
    property_settings,
    reference_per_patient,
    shown,
    tariff_of,
    wide_pathway,
)
from hypothesis import given, strategies as st

from careprofiles.costing.result import CostResult, cost
from careprofiles.errors import TariffError
from careprofiles.profiles.load import load_pathway
from careprofiles.tariffs.tables import Tariff, TariffRow, load_price_index, load_tariff


@pytest.fixture
def hand_files(
    tmp_path: Path, write_pathway: Callable[..., Path], write_tariff: Callable[..., Path]
) -> tuple[Path, Path]:
    folder = write_pathway(tmp_path / "pw", stages=[EARLY, LATE], cohort={"patients": 100})
    return folder, write_tariff(tmp_path, TARIFF, name="national.csv")


@pytest.fixture
def hand(hand_files: tuple[Path, Path]) -> CostResult:
    folder, tariff = hand_files
    return cost(load_pathway(folder), load_tariff(tariff))


def test_hand_per_patient_and_total(hand: CostResult) -> None:
    assert hand.per_patient == pytest.approx(HAND["per_patient"], abs=PENNY)
    assert hand.total == pytest.approx(HAND["total"], abs=PENNY)
    assert hand.cohort == 100


def test_hand_stages(hand: CostResult) -> None:
    stages = hand.by_stage().set_index("stage")
    assert list(stages.index) == ["early", "late"]
    for stage, expected in HAND["stages"].items():  # type: ignore[attr-defined]
        for column, value in expected.items():
            assert stages.loc[stage, column] == pytest.approx(value, abs=PENNY), (stage, column)
    assert stages.loc["early", "patients"] == pytest.approx(50)
    assert stages.loc["late", "patients"] == pytest.approx(90)


def test_hand_roles_hours_and_wte(hand: CostResult) -> None:
    roles = hand.by_role().set_index("role")
    assert set(roles.index) == {"nurse", "gp", "hca"}
    for role in roles.index:
        assert roles.loc[role, "hours"] == pytest.approx(HAND["hours"][role], abs=1e-9)  # type: ignore[index]
        assert roles.loc[role, "wte"] == pytest.approx(HAND["wte"][role], abs=1e-12)  # type: ignore[index]
        assert roles.loc[role, "cost"] == pytest.approx(HAND["role_cost"][role], abs=PENNY)  # type: ignore[index]
    assert roles.loc["nurse", "hours_per_wte"] == 1500
    assert roles.loc["gp", "hours_per_wte"] == 1650  # the default


def test_hand_items_and_settings(hand: CostResult) -> None:
    items = hand.by_item().set_index("code")
    for code, units in HAND["item_units"].items():  # type: ignore[attr-defined]
        assert items.loc[code, "units"] == pytest.approx(units)
        assert items.loc[code, "cost"] == pytest.approx(HAND["item_cost"][code], abs=PENNY)  # type: ignore[index]
    settings_ = hand.by_setting().set_index("setting")
    for setting, per_patient in HAND["setting"].items():  # type: ignore[attr-defined]
        assert settings_.loc[setting, "per_patient"] == pytest.approx(per_patient, abs=PENNY)
    # ordered by cost, largest first
    assert list(settings_.index) == ["home", "hospice"]


def test_hand_lines(hand: CostResult) -> None:
    lines = hand.lines.set_index("address")
    visit_nurse = lines.loc["early/visits/staff/nurse"]
    assert visit_nurse["contacts"] == 8
    assert visit_nurse["hours"] == pytest.approx(8)
    assert visit_nurse["cost_per_patient_receiving"] == pytest.approx(480)
    assert visit_nurse["cost_per_patient_reached"] == pytest.approx(384)
    assert visit_nurse["cost_per_patient"] == pytest.approx(192)
    assert visit_nurse["cost_population"] == pytest.approx(19_200)
    assert visit_nurse["patients"] == pytest.approx(40)
    hca = lines.loc["early/visits/staff/hca"]
    assert hca["unit"] == "contact"
    assert hca["quantity"] == pytest.approx(8)  # contacts x count x share
    assert hca["hours"] == pytest.approx(8)
    assert hca["cost_per_patient_receiving"] == pytest.approx(240)
    pump = lines.loc["early/kit/items/pump"]
    assert pump["kind"] == "item"
    assert pump["quantity"] == pytest.approx(4)
    assert pump["hours"] == 0
    assert pd.isna(pump["minutes"])
    daily_gp = lines.loc["late/daily/staff/gp"]
    assert daily_gp["contacts"] == pytest.approx(14)
    assert daily_gp["frequency"] == "per_day"
    assert daily_gp["hours"] == pytest.approx(1.75)


def test_hand_to_dict(hand: CostResult) -> None:
    d = hand.to_dict()
    assert d["per_patient"] == pytest.approx(HAND["per_patient"], abs=PENNY)
    assert d["total"] == pytest.approx(HAND["total"], abs=PENNY)
    assert [s["id"] for s in d["stages"]] == ["early", "late"]
    assert d["stages"][1]["per_patient_reached"] == pytest.approx(1410)
    roles = {r["role"]: r for r in d["roles"]}
    assert roles["nurse"]["wte"] == pytest.approx(1580 / 1500)
    assert len(d["lines"]) == 7


# --------------------------------------------------------------------------------------
# Tariff layering, price years, market forces
# --------------------------------------------------------------------------------------


NURSE_HOURS_PER_COHORT_PATIENT = 15.8  # 1580 h / 100 patients
GP_HOURS_PER_COHORT_PATIENT = 1.575  # 157.5 h / 100 patients


def test_local_tariff_overrides_national_row(
    hand_files: tuple[Path, Path], write_tariff: Callable[..., Path]
) -> None:
    folder, national = hand_files
    local = write_tariff(
        national.parent,
        [{"code": "nurse", "unit": "hour", "cost": 65, "hours_per_wte": 1600}],
        name="local.csv",
    )
    result = cost(load_pathway(folder), load_tariff(national, local))
    # 1,619.50 + 15.8 nurse hours per cohort patient x £5 = 1,698.50
    assert result.per_patient == pytest.approx(1698.50, abs=PENNY)
    assert result.total == pytest.approx(169_850.00, abs=PENNY)
    roles = result.by_role().set_index("role")
    assert roles.loc["nurse", "wte"] == pytest.approx(1580 / 1600)
    nurse_lines = result.lines[result.lines["code"] == "nurse"]
    # the lines name files by their names, never a machine path (issue 15)
    assert set(nurse_lines["tariff_source"]) == {"local.csv:2"}
    # the later file wins whatever the order of rows; the earlier order loses
    swapped = cost(load_pathway(folder), load_tariff(local, national))
    assert swapped.per_patient == pytest.approx(HAND["per_patient"], abs=PENNY)


def test_price_index_uplift(
    hand_files: tuple[Path, Path], write_tariff: Callable[..., Path], tmp_path: Path
) -> None:
    folder, _ = hand_files
    rows = [dict(r) for r in TARIFF]
    rows[1] = {"code": "gp", "unit": "hour", "cost": 216, "price_year": "2023/24"}
    tariff = load_tariff(write_tariff(tmp_path, rows, name="mixed.csv"))
    index_file = tmp_path / "index.csv"
    index_file.write_text("price_year,index\n2023/24,96\n2024/25,100\n", encoding="utf-8")
    pathway = load_pathway(folder)
    with pytest.raises(TariffError) as info:
        cost(pathway, tariff)
    text = str(info.value)
    assert "mixed.csv:3" in text
    assert "gp" in text
    assert "2023/24" in text
    result = cost(pathway, tariff, index=load_price_index(index_file))
    # gp uplifted 216 x 100/96 = £225: 1,619.50 + 1.575 h x (225 - 240) = 1,595.875
    assert result.per_patient == pytest.approx(1595.875, abs=PENNY)
    gp = result.lines[result.lines["code"] == "gp"].iloc[0]
    assert gp["unit_cost"] == pytest.approx(225)
    assert gp["price_year"] == "2024/25"
    assert "uplifted 2023/24 to 2024/25" in gp["adjustments"]
    nurse = result.lines[result.lines["code"] == "nurse"].iloc[0]
    assert nurse["adjustments"] == ""


def test_price_index_missing_year(
    hand_files: tuple[Path, Path], write_tariff: Callable[..., Path], tmp_path: Path
) -> None:
    folder, _ = hand_files
    rows = [dict(r, price_year="2019/20") if r["code"] == "gp" else r for r in TARIFF]
    national = write_tariff(tmp_path, rows, name="old.csv")
    index_file = tmp_path / "index.csv"
    index_file.write_text("price_year,index\n2023/24,96\n2024/25,100\n", encoding="utf-8")
    with pytest.raises(TariffError, match=r"has no year 2019/20"):
        cost(load_pathway(folder), load_tariff(national), index=load_price_index(index_file))


def test_market_forces_factor(hand_files: tuple[Path, Path]) -> None:
    folder, national = hand_files
    result = cost(load_pathway(folder), load_tariff(national).with_market_forces(1.1))
    assert result.per_patient == pytest.approx(1619.50 * 1.1, abs=PENNY)
    assert (result.lines["adjustments"] == "market forces x1.1").all()
    roles = result.by_role().set_index("role")
    assert roles.loc["nurse", "hours"] == pytest.approx(1580)  # hours do not change


def test_market_forces_column(
    hand_files: tuple[Path, Path], write_tariff: Callable[..., Path], tmp_path: Path
) -> None:
    folder, _ = hand_files
    rows = [dict(r, market_forces=1.2 if r["code"] == "bed" else "") for r in TARIFF]
    result = cost(load_pathway(folder), load_tariff(write_tariff(tmp_path, rows, name="m.csv")))
    # only the bed day moves: 1,619.50 + 135 x 0.2 = 1,646.50
    assert result.per_patient == pytest.approx(1646.50, abs=PENNY)
    bed = result.lines[result.lines["code"] == "bed"].iloc[0]
    assert bed["unit_cost"] == pytest.approx(600)
    assert "market forces x1.2" in bed["adjustments"]


def test_market_forces_must_be_positive(default_tariff: Tariff) -> None:
    for bad in (0.0, -1.0, math.nan, math.inf):
        with pytest.raises(TariffError):
            default_tariff.with_market_forces(bad)


def test_population_cohort(
    tmp_path: Path, write_pathway: Callable[..., Path], hand_files: tuple[Path, Path]
) -> None:
    _, national = hand_files
    folder = write_pathway(
        tmp_path / "pop",
        stages=[EARLY, LATE],
        cohort={"population": 200_000, "deaths_per_1000": 10, "eligible_share": 0.75},
    )
    result = cost(load_pathway(folder), load_tariff(national))
    assert result.cohort == pytest.approx(1500)  # 200,000 x 10 / 1,000 x 0.75
    assert result.total == pytest.approx(1619.50 * 1500, abs=PENNY)
    roles = result.by_role().set_index("role")
    assert roles.loc["nurse", "hours"] == pytest.approx(15.8 * 1500)


def test_per_stage_contacts_ignore_duration(
    tmp_path: Path, write_pathway: Callable[..., Path], write_tariff: Callable[..., Path]
) -> None:
    stage = {
        "id": "long",
        "duration_weeks": 10,
        "services": [
            {
                "id": "review",
                "setting": "clinic",
                "contacts": {"per_stage": 3, "minutes": 20},
                "staff": [{"role": "nurse"}],
            }
        ],
    }
    folder = write_pathway(tmp_path / "p", stages=[stage], cohort={"patients": 10})
    result = cost(load_pathway(folder), load_tariff(write_tariff(tmp_path, TARIFF)))
    # 3 contacts x 20 min = 1 h x £60
    assert result.per_patient == pytest.approx(60.0, abs=PENNY)
    assert result.lines.iloc[0]["duration_weeks"] == 10


def test_duplicate_roles_in_one_service(
    tmp_path: Path, write_pathway: Callable[..., Path], write_tariff: Callable[..., Path]
) -> None:
    stage = {
        "id": "s",
        "duration_weeks": 2,
        "services": [
            {
                "id": "joint",
                "setting": "home",
                "contacts": {"per_week": 1, "minutes": 60},
                "staff": [{"role": "nurse"}, {"role": "nurse", "share": 0.5}],
            }
        ],
    }
    folder = write_pathway(tmp_path / "p", stages=[stage], cohort={"patients": 10})
    result = cost(load_pathway(folder), load_tariff(write_tariff(tmp_path, TARIFF)))
    # 2 contacts: 2 h + 1 h of nurse time at £60 = £180 a patient
    assert result.per_patient == pytest.approx(180.0, abs=PENNY)
    assert list(result.lines["address"]) == ["s/joint/staff/nurse", "s/joint/staff/nurse#2"]
    roles = result.by_role()
    assert len(roles) == 1
    assert roles.iloc[0]["hours"] == pytest.approx(30.0)  # 3 h x 10 patients


def test_zero_uptake_and_reach(
    tmp_path: Path, write_pathway: Callable[..., Path], write_tariff: Callable[..., Path]
) -> None:
    stage = {
        "id": "s",
        "duration_weeks": 1,
        "reach": 0,
        "services": [
            {
                "id": "v",
                "setting": "home",
                "contacts": {"per_week": 1, "minutes": 60},
                "staff": [{"role": "nurse"}],
            }
        ],
    }
    folder = write_pathway(tmp_path / "p", stages=[stage], cohort={"patients": 10})
    result = cost(load_pathway(folder), load_tariff(write_tariff(tmp_path, TARIFF)))
    assert result.per_patient == 0
    assert result.by_stage().iloc[0]["per_patient_reached"] == pytest.approx(60)
    assert result.by_role().iloc[0]["wte"] == 0


def test_distributions_cost_at_base_values(
    tmp_path: Path, write_pathway: Callable[..., Path], write_tariff: Callable[..., Path]
) -> None:
    stage = {
        "id": "s",
        "duration_weeks": {"dist": "triangular", "low": 1, "mode": 2, "high": 5},
        "reach": {"dist": "beta", "mean": 0.5, "sd": 0.1},
        "services": [
            {
                "id": "v",
                "setting": "home",
                "uptake": {"dist": "uniform", "low": 0.2, "high": 0.6, "value": 0.5},
                "contacts": {
                    "per_week": {"dist": "pert", "low": 1, "mode": 3, "high": 4},
                    "minutes": {"dist": "gamma", "mean": 30, "sd": 5},
                },
                "staff": [{"role": "nurse"}],
            }
        ],
    }
    folder = write_pathway(tmp_path / "p", stages=[stage], cohort={"patients": 10})
    result = cost(load_pathway(folder), load_tariff(write_tariff(tmp_path, TARIFF)))
    # base values: 2 weeks x 3 a week x 0.5 h x £60 = £180; x uptake 0.5 x reach 0.5 = £45
    assert result.per_patient == pytest.approx(45.0, abs=PENNY)


def test_in_memory_tariff_rows_cost_like_loaded_ones(
    hand_files: tuple[Path, Path],
) -> None:
    folder, national = hand_files
    loaded = load_tariff(national)
    built = Tariff({c: TariffRow(c, r.unit, r.cost, r.price_year) for c, r in loaded.items()})
    assert cost(load_pathway(folder), built).per_patient == pytest.approx(1619.50, abs=PENNY)


# --------------------------------------------------------------------------------------
# Provenance, sums, the API
# --------------------------------------------------------------------------------------


def test_lines_name_yaml_and_tariff_lines(hand: CostResult, hand_files: tuple[Path, Path]) -> None:
    folder, national = hand_files
    lines = hand.lines.set_index("address")
    early = folder / "early.yaml"
    # file:line with the YAML file relative to the pathway folder and the tariff by its
    # file name: never a machine path (issue 15); the models keep the paths for messages
    assert lines.loc["early/visits/staff/hca", "source"] == (
        f"early.yaml:{line_of(early, 'role: hca')}"
    )
    assert lines.loc["early/kit/items/pump", "source"] == (
        f"early.yaml:{line_of(early, 'code: pump')}"
    )
    assert lines.loc["early/visits/staff/hca", "tariff_source"] == f"{national.name}:4"
    assert lines.loc["late/beds/items/bed", "tariff_source"] == f"{national.name}:7"
    assert hand.tariff["hca"].location == f"{shown(national)}:4"
    columns = set(hand.lines.columns)
    for needed in (
        "stage",
        "service",
        "setting",
        "kind",
        "code",
        "unit",
        "contacts",
        "hours",
        "quantity",
        "unit_cost",
        "uptake",
        "reach",
        "cost_per_patient_receiving",
        "cost_per_patient_reached",
        "cost_per_patient",
        "cost_population",
        "source",
        "tariff_source",
        "adjustments",
    ):
        assert needed in columns, needed


def test_cost_result_adds_lines_then_stages_in_order() -> None:
    result = cost(wide_pathway(), tariff_of(WIDE_PRICES))
    lines = result.lines
    stages = result.by_stage()
    for stage, per_patient, total in zip(
        stages["stage"], stages["per_patient"], stages["total"], strict=True
    ):
        mine = lines.loc[lines["stage"] == stage, "cost_per_patient"].to_numpy()
        assert float(per_patient) == in_order(mine)
        assert float(total) == float(per_patient) * result.cohort
    assert result.per_patient == in_order(stages["per_patient"].to_numpy())
    assert result.total == result.per_patient * result.cohort
    assert np.array_equal(
        bits(lines["cost_per_patient"].to_numpy()),
        bits(result.model.evaluate(result.model.base_values()).cost_per_patient[0]),
    )


def test_cost_takes_paths_and_refuses_other_things(
    bundled_pathway_dir: Path, bundled_tariff_file: Path
) -> None:
    by_path = cost(bundled_pathway_dir, bundled_tariff_file)
    loaded = cost(load_pathway(), load_tariff())
    assert by_path.per_patient == loaded.per_patient
    assert cost(str(bundled_pathway_dir), str(bundled_tariff_file)).total == loaded.total
    with pytest.raises(TypeError, match=r"load one with careprofiles\.load_tariff"):
        cost(loaded.pathway, 3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"load one with careprofiles\.load_pathway"):
        cost({"id": "p"}, loaded.tariff)  # type: ignore[arg-type]


def test_reprs_are_short() -> None:
    result = cost(load_pathway(), load_tariff())
    text = repr(result)
    assert len(text) < 200
    assert text.startswith("<CostResult 'eol-adult' (2024/25 prices): 4 stages,")
    assert f"{result.per_patient:,.2f} a patient" in text
    assert len(repr(result.pathway)) < 200
    assert "last-days" in repr(result.pathway)


# --------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------


@property_settings
@given(pathways(), costs)
def test_matches_reference_rules(data: dict[str, Any], prices: dict[str, float]) -> None:
    result = cost(pathway_of(data), tariff_of(prices))
    assert close(result.per_patient, reference_per_patient(data, prices))


@property_settings
@given(pathways(), costs, st.floats(0, 10, allow_nan=False))
def test_linear_in_tariff_costs(data: dict[str, Any], prices: dict[str, float], k: float) -> None:
    pathway = pathway_of(data)
    base = cost(pathway, tariff_of(prices))
    scaled = cost(pathway, tariff_of({c: p * k for c, p in prices.items()}))
    assert close(scaled.per_patient, k * base.per_patient)
    assert close(scaled.total, k * base.total)
    for a, b in zip(scaled.by_stage()["total"], base.by_stage()["total"], strict=True):
        assert close(a, k * b)


@property_settings
@given(pathways(), costs, costs)
def test_additive_in_tariff_costs(
    data: dict[str, Any], p1: dict[str, float], p2: dict[str, float]
) -> None:
    pathway = pathway_of(data)
    both = cost(pathway, tariff_of({c: p1[c] + p2[c] for c in p1})).per_patient
    apart = cost(pathway, tariff_of(p1)).per_patient + cost(pathway, tariff_of(p2)).per_patient
    assert close(both, apart)


@property_settings
@given(pathways(), costs, st.floats(0, 10, allow_nan=False))
def test_staff_cost_linear_in_contact_counts(
    data: dict[str, Any], prices: dict[str, float], k: float
) -> None:
    scaled = _scale_contacts(data, k)
    base = cost(pathway_of(data), tariff_of(prices))
    after = cost(pathway_of(scaled), tariff_of(prices))
    staff_base = base.lines.loc[base.lines["kind"] == "staff", "cost_per_patient"].sum()
    staff_after = after.lines.loc[after.lines["kind"] == "staff", "cost_per_patient"].sum()
    items_base = base.lines.loc[base.lines["kind"] == "item", "cost_per_patient"].sum()
    items_after = after.lines.loc[after.lines["kind"] == "item", "cost_per_patient"].sum()
    assert close(staff_after, k * staff_base)
    assert close(items_after, items_base)
    assert close(after.lines["hours"].sum(), k * base.lines["hours"].sum())


def _scale_contacts(data: dict[str, Any], k: float) -> dict[str, Any]:
    import copy

    out = copy.deepcopy(data)
    for stage in out["stages"]:
        for service in stage["services"]:
            contacts = service.get("contacts")
            if contacts:
                for key in ("per_week", "per_day", "per_stage"):
                    if key in contacts:
                        contacts[key] *= k
    return out


@property_settings
@given(pathways(), costs)
def test_additive_over_stages_and_services(data: dict[str, Any], prices: dict[str, float]) -> None:
    tariff = tariff_of(prices)
    whole = cost(pathway_of(data), tariff)
    by_stage = 0.0
    for stage in data["stages"]:
        alone = cost(pathway_of({**data, "stages": [stage]}), tariff).per_patient
        by_service = sum(
            cost(pathway_of({**data, "stages": [{**stage, "services": [one]}]}), tariff).per_patient
            for one in stage["services"]
        )
        assert close(alone, by_service)
        by_stage += alone
    assert close(whole.per_patient, by_stage)


@property_settings
@given(pathways(), costs, st.floats(100, 2000, allow_nan=False))
def test_totals_reconcile_with_lines(
    data: dict[str, Any], prices: dict[str, float], hours_per_wte: float
) -> None:
    result = cost(pathway_of(data), tariff_of(prices, hours_per_wte))
    lines = result.lines
    assert (lines["cost_per_patient"] >= 0).all()
    assert (lines["cost_population"] >= 0).all()
    assert (lines["hours"] >= 0).all()
    assert result.per_patient >= 0
    assert result.total >= 0
    assert close(result.per_patient, lines["cost_per_patient"].sum())
    assert close(result.total, lines["cost_population"].sum())
    assert close(result.total, result.per_patient * result.cohort)
    stages = result.by_stage()
    assert close(stages["per_patient"].sum(), result.per_patient)
    assert close(stages["total"].sum(), result.total)
    assert close(result.by_service()["total"].sum(), result.total)
    assert close(result.by_setting()["total"].sum(), result.total)
    assert close(result.by_setting()["per_patient"].sum(), result.per_patient)
    roles, items = result.by_role(), result.by_item()
    assert close(roles["cost"].sum() + items["cost"].sum(), result.total)
    assert close(roles["hours"].sum(), lines["hours_population"].sum())
    for wte, hours in zip(roles["wte"].to_numpy(), roles["hours"].to_numpy(), strict=True):
        assert close(float(wte), float(hours) / hours_per_wte)
    assert np.allclose(
        stages["per_patient"].to_numpy(),
        stages["reach"].to_numpy() * stages["per_patient_reached"].to_numpy(),
        rtol=1e-12,
    )
    d = result.to_dict()
    assert close(sum(s["total"] for s in d["stages"]), d["total"])
