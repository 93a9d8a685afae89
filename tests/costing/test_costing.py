"""The costing engine: hand-computed cases to the penny, provenance, errors, and properties.

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
from hypothesis import HealthCheck, given, settings, strategies as st

from careprofiles.costing.engine import CostResult, Parameter, Parameters, compile_model, cost
from careprofiles.errors import MissingCodeError, TariffError
from careprofiles.profiles.load import load_pathway
from careprofiles.profiles.models import Pathway
from careprofiles.tariffs.tables import Tariff, TariffRow, load_price_index, load_tariff

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
        national.parent, [{"code": "nurse", "unit": "hour", "cost": 65, "hours_per_wte": 1600}],
        name="local.csv",
    )
    result = cost(load_pathway(folder), load_tariff(national, local))
    # 1,619.50 + 15.8 nurse hours per cohort patient x £5 = 1,698.50
    assert result.per_patient == pytest.approx(1698.50, abs=PENNY)
    assert result.total == pytest.approx(169_850.00, abs=PENNY)
    roles = result.by_role().set_index("role")
    assert roles.loc["nurse", "wte"] == pytest.approx(1580 / 1600)
    nurse_lines = result.lines[result.lines["code"] == "nurse"]
    assert set(nurse_lines["tariff_source"]) == {f"{_shown(local)}:2"}
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
                "contacts": {"per_week": {"dist": "pert", "low": 1, "mode": 3, "high": 4},
                             "minutes": {"dist": "gamma", "mean": 30, "sd": 5}},
                "staff": [{"role": "nurse"}],
            }
        ],
    }
    folder = write_pathway(tmp_path / "p", stages=[stage], cohort={"patients": 10})
    result = cost(load_pathway(folder), load_tariff(write_tariff(tmp_path, TARIFF)))
    # base values: 2 weeks x 3 a week x 0.5 h x £60 = £180; x uptake 0.5 x reach 0.5 = £45
    assert result.per_patient == pytest.approx(45.0, abs=PENNY)


# --------------------------------------------------------------------------------------
# Provenance
# --------------------------------------------------------------------------------------


def _shown(path: Path) -> str:
    from careprofiles.errors import display_path

    return display_path(path)


def test_lines_name_yaml_and_tariff_lines(hand: CostResult, hand_files: tuple[Path, Path]) -> None:
    folder, national = hand_files
    lines = hand.lines.set_index("address")
    early = folder / "early.yaml"
    assert lines.loc["early/visits/staff/hca", "source"] == (
        f"{_shown(early)}:{line_of(early, 'role: hca')}"
    )
    assert lines.loc["early/kit/items/pump", "source"] == (
        f"{_shown(early)}:{line_of(early, 'code: pump')}"
    )
    assert lines.loc["early/visits/staff/hca", "tariff_source"] == f"{_shown(national)}:4"
    assert lines.loc["late/beds/items/bed", "tariff_source"] == f"{_shown(national)}:7"
    columns = set(hand.lines.columns)
    for needed in (
        "stage", "service", "setting", "kind", "code", "unit", "contacts", "hours", "quantity",
        "unit_cost", "uptake", "reach", "cost_per_patient_receiving", "cost_per_patient_reached",
        "cost_per_patient", "cost_population", "source", "tariff_source", "adjustments",
    ):
        assert needed in columns, needed


def test_parameters_are_addressed_and_located(hand_files: tuple[Path, Path]) -> None:
    folder, national = hand_files
    model = compile_model(load_pathway(folder), load_tariff(national))
    by_address = {p.address: p for p in model.parameters}
    for address in (
        "cohort/patients", "early/duration_weeks", "early/reach", "early/visits/uptake",
        "early/visits/contacts/per_week", "early/visits/contacts/minutes",
        "early/visits/contacts/travel_minutes", "early/visits/staff/hca/count",
        "early/visits/staff/hca/share", "early/kit/items/pump/per_week",
        "early/kit/items/pack/quantity", "late/daily/contacts/per_day", "tariff/nurse",
        "tariff/bed",
    ):
        assert address in by_address, address
    assert by_address["late/daily/contacts/per_day"].base == 2
    assert by_address["tariff/gp"].base == 240
    late = folder / "late.yaml"
    assert by_address["late/duration_weeks"].location.startswith(_shown(late) + ":")
    assert by_address["tariff/gp"].location == f"{_shown(national)}:3"


def test_each_parameter_is_located_at_the_line_of_its_own_number(
    bundled_pathway_dir: Path,
) -> None:
    # sensitivity and simulate report parameters by location: it must lead to the number
    model = compile_model(load_pathway(), load_tariff())
    located = {p.address: p.location for p in model.parameters}

    def at(file: str, text: str, nth: int = 1) -> str:
        path = bundled_pathway_dir / file
        return f"{_shown(path)}:{line_of(path, text, nth)}"

    assert located["last-days/duration_weeks"] == at("last-days.yaml", "duration_weeks:")
    assert located["last-days/reach"] == at("last-days.yaml", "reach: {dist")
    assert located["cohort/deaths_per_1000"] == at("pathway.yaml", "deaths_per_1000:")
    assert located["cohort/eligible_share"] == at("pathway.yaml", "eligible_share:")
    # a number left to its default is located at the mapping that would hold it
    pathway = load_pathway()
    for stage in pathway.stages:
        for v in stage.services:
            if v.contacts is not None and "travel_minutes" not in v.contacts.model_fields_set:
                address = f"{stage.id}/{v.id}/contacts/travel_minutes"
                assert located[address] == v.contacts.location
    # a model moved to another source forgets the old key lines
    moved = pathway.stages[0].with_source("scenario.yaml", 3)
    assert moved.location_of("duration_weeks") == "scenario.yaml:3"
    assert pathway.stages[0].location_of("duration_weeks") == located[
        f"{pathway.stages[0].id}/duration_weeks"
    ]


def test_parameters_behave_as_a_read_only_tuple(hand_files: tuple[Path, Path]) -> None:
    folder, national = hand_files
    model = compile_model(load_pathway(folder), load_tariff(national))
    params = model.parameters
    assert isinstance(params, Parameters)
    as_tuple = tuple(params)
    assert len(params) == len(as_tuple) > 2
    assert all(isinstance(p, Parameter) for p in as_tuple)
    assert params[0] == Parameter("1", 1.0)
    assert params[1] == Parameter("0", 0.0)
    assert params[-1] == as_tuple[-1]
    assert params[2:5] == as_tuple[2:5]
    assert params == as_tuple
    assert model.addresses() == [p.address for p in as_tuple]
    assert len(set(model.addresses())) == len(params)  # each address once
    np.testing.assert_array_equal(model.base_values(), [p.base for p in as_tuple])
    with pytest.raises(IndexError):
        params[len(params)]
    with pytest.raises(TypeError):
        hash(params)
    with pytest.raises(ValueError, match="differ in length"):
        Parameters(["a"], [1.0], [], [1.0])


def test_evaluate_is_vectorised_over_parameter_sets(hand_files: tuple[Path, Path]) -> None:
    folder, national = hand_files
    model = compile_model(load_pathway(folder), load_tariff(national))
    base = model.base_values()
    doubled = base.copy()
    doubled[model.addresses().index("tariff/nurse")] *= 2
    ev = model.evaluate(np.vstack([base, doubled]))
    per_patient = ev.cost_per_patient.sum(axis=1)
    assert per_patient[0] == pytest.approx(1619.50)
    assert per_patient[1] == pytest.approx(1619.50 + 15.8 * 60)
    assert ev.cohort.tolist() == [100, 100]


def test_in_memory_tariff_rows_cost_like_loaded_ones(
    hand_files: tuple[Path, Path],
) -> None:
    folder, national = hand_files
    loaded = load_tariff(national)
    built = Tariff({c: TariffRow(c, r.unit, r.cost, r.price_year) for c, r in loaded.items()})
    assert cost(load_pathway(folder), built).per_patient == pytest.approx(1619.50, abs=PENNY)


# --------------------------------------------------------------------------------------
# Errors: codes the tariff lacks or cannot price
# --------------------------------------------------------------------------------------


def test_missing_code_names_yaml_line_and_code(
    hand_files: tuple[Path, Path], write_tariff: Callable[..., Path], tmp_path: Path
) -> None:
    folder, _ = hand_files
    rows = [r for r in TARIFF if r["code"] not in ("hca", "bed")]
    tariff = load_tariff(write_tariff(tmp_path, rows, name="short.csv"))
    with pytest.raises(MissingCodeError) as info:
        cost(load_pathway(folder), tariff)
    assert isinstance(info.value, LookupError)
    assert isinstance(info.value, TariffError)
    early, late = folder / "early.yaml", folder / "late.yaml"
    text = str(info.value)
    assert f"{_shown(early)}:{line_of(early, 'role: hca')}:" in text
    assert f"{_shown(late)}:{line_of(late, 'code: bed')}:" in text
    assert "'hca'" in text
    assert "'bed'" in text
    assert len(info.value.problems) == 2


def test_missing_code_is_reported_at_every_line_that_uses_it(
    tmp_path: Path, write_pathway: Callable[..., Path], write_tariff: Callable[..., Path]
) -> None:
    services = [
        {"id": name, "setting": "home", "contacts": {"per_week": 1, "minutes": 5},
         "staff": [{"role": "nurse"}, {"role": "porter"}]}
        for name in ("a", "b")
    ]
    stage = {"id": "s", "duration_weeks": 1, "services": services}
    folder = write_pathway(tmp_path / "p", stages=[stage])
    with pytest.raises(MissingCodeError) as info:
        cost(load_pathway(folder), load_tariff(write_tariff(tmp_path, TARIFF)))
    wheres = [p.where for p in info.value.problems]
    assert wheres == ["s: services[0].staff[1].role", "s: services[1].staff[1].role"]
    assert len({p.line for p in info.value.problems}) == 2


def test_missing_code_suggests_near_miss(
    tmp_path: Path, write_pathway: Callable[..., Path], write_tariff: Callable[..., Path]
) -> None:
    stage = {
        "id": "s",
        "duration_weeks": 1,
        "services": [{"id": "v", "setting": "home", "contacts": {"per_week": 1, "minutes": 5},
                      "staff": [{"role": "nurses"}]}],
    }
    folder = write_pathway(tmp_path / "p", stages=[stage])
    with pytest.raises(MissingCodeError, match="did you mean 'nurse'"):
        cost(load_pathway(folder), load_tariff(write_tariff(tmp_path, TARIFF)))


@pytest.mark.parametrize("unit", ["day", "week", "item"])
def test_role_priced_in_non_staff_unit(
    unit: str, hand_files: tuple[Path, Path], write_tariff: Callable[..., Path], tmp_path: Path
) -> None:
    folder, _ = hand_files
    rows = [dict(r, unit=unit) if r["code"] == "gp" else r for r in TARIFF]
    tariff_file = write_tariff(tmp_path, rows, name="bad-unit.csv")
    with pytest.raises(TariffError) as info:
        cost(load_pathway(folder), load_tariff(tariff_file))
    assert not isinstance(info.value, MissingCodeError)
    late = folder / "late.yaml"
    text = str(info.value)
    assert f"{_shown(late)}:{line_of(late, 'role: gp')}:" in text
    assert f"'gp' is priced per {unit}" in text
    assert f"{_shown(tariff_file)}:3" in text


def test_item_priced_per_hour(
    hand_files: tuple[Path, Path], write_tariff: Callable[..., Path], tmp_path: Path
) -> None:
    folder, _ = hand_files
    rows = [dict(r, unit="hour") if r["code"] == "pack" else r for r in TARIFF]
    with pytest.raises(TariffError) as info:
        cost(load_pathway(folder), load_tariff(write_tariff(tmp_path, rows)))
    early = folder / "early.yaml"
    assert f"{_shown(early)}:{line_of(early, 'code: pack')}:" in str(info.value)
    assert "item 'pack' is priced per hour" in str(info.value)


def test_item_priced_per_contact_is_allowed(
    hand_files: tuple[Path, Path], write_tariff: Callable[..., Path], tmp_path: Path
) -> None:
    folder, _ = hand_files
    rows = [dict(r, unit="contact") if r["code"] == "pack" else r for r in TARIFF]
    result = cost(load_pathway(folder), load_tariff(write_tariff(tmp_path, rows)))
    assert result.per_patient == pytest.approx(HAND["per_patient"], abs=PENNY)


# --------------------------------------------------------------------------------------
# Properties
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


def _tariff(prices: dict[str, float], hours_per_wte: float = 1650.0) -> Tariff:
    units = {**ROLES, **ITEMS}
    return Tariff(
        {
            code: TariffRow(code, units[code], price, "2024/25", hours_per_wte=hours_per_wte)
            for code, price in prices.items()
        }
    )


def _pathway(data: dict[str, Any]) -> Pathway:
    return Pathway.model_validate(data)


def _reference_per_patient(data: dict[str, Any], prices: dict[str, float]) -> float:
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


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6)


property_settings = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@property_settings
@given(pathways(), costs)
def test_matches_reference_rules(data: dict[str, Any], prices: dict[str, float]) -> None:
    result = cost(_pathway(data), _tariff(prices))
    assert _close(result.per_patient, _reference_per_patient(data, prices))


@property_settings
@given(pathways(), costs, st.floats(0, 10, allow_nan=False))
def test_linear_in_tariff_costs(
    data: dict[str, Any], prices: dict[str, float], k: float
) -> None:
    pathway = _pathway(data)
    base = cost(pathway, _tariff(prices))
    scaled = cost(pathway, _tariff({c: p * k for c, p in prices.items()}))
    assert _close(scaled.per_patient, k * base.per_patient)
    assert _close(scaled.total, k * base.total)
    for a, b in zip(scaled.by_stage()["total"], base.by_stage()["total"], strict=True):
        assert _close(a, k * b)


@property_settings
@given(pathways(), costs, costs)
def test_additive_in_tariff_costs(
    data: dict[str, Any], p1: dict[str, float], p2: dict[str, float]
) -> None:
    pathway = _pathway(data)
    both = cost(pathway, _tariff({c: p1[c] + p2[c] for c in p1})).per_patient
    apart = cost(pathway, _tariff(p1)).per_patient + cost(pathway, _tariff(p2)).per_patient
    assert _close(both, apart)


@property_settings
@given(pathways(), costs, st.floats(0, 10, allow_nan=False))
def test_staff_cost_linear_in_contact_counts(
    data: dict[str, Any], prices: dict[str, float], k: float
) -> None:
    scaled = _scale_contacts(data, k)
    base = cost(_pathway(data), _tariff(prices))
    after = cost(_pathway(scaled), _tariff(prices))
    staff_base = base.lines.loc[base.lines["kind"] == "staff", "cost_per_patient"].sum()
    staff_after = after.lines.loc[after.lines["kind"] == "staff", "cost_per_patient"].sum()
    items_base = base.lines.loc[base.lines["kind"] == "item", "cost_per_patient"].sum()
    items_after = after.lines.loc[after.lines["kind"] == "item", "cost_per_patient"].sum()
    assert _close(staff_after, k * staff_base)
    assert _close(items_after, items_base)
    assert _close(after.lines["hours"].sum(), k * base.lines["hours"].sum())


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
    tariff = _tariff(prices)
    whole = cost(_pathway(data), tariff)
    by_stage = 0.0
    for stage in data["stages"]:
        alone = cost(_pathway({**data, "stages": [stage]}), tariff).per_patient
        by_service = sum(
            cost(_pathway({**data, "stages": [{**stage, "services": [one]}]}), tariff).per_patient
            for one in stage["services"]
        )
        assert _close(alone, by_service)
        by_stage += alone
    assert _close(whole.per_patient, by_stage)


@property_settings
@given(pathways(), costs, st.floats(100, 2000, allow_nan=False))
def test_totals_reconcile_with_lines(
    data: dict[str, Any], prices: dict[str, float], hours_per_wte: float
) -> None:
    result = cost(_pathway(data), _tariff(prices, hours_per_wte))
    lines = result.lines
    assert (lines["cost_per_patient"] >= 0).all()
    assert (lines["cost_population"] >= 0).all()
    assert (lines["hours"] >= 0).all()
    assert result.per_patient >= 0
    assert result.total >= 0
    assert _close(result.per_patient, lines["cost_per_patient"].sum())
    assert _close(result.total, lines["cost_population"].sum())
    assert _close(result.total, result.per_patient * result.cohort)
    stages = result.by_stage()
    assert _close(stages["per_patient"].sum(), result.per_patient)
    assert _close(stages["total"].sum(), result.total)
    assert _close(result.by_service()["total"].sum(), result.total)
    assert _close(result.by_setting()["total"].sum(), result.total)
    assert _close(result.by_setting()["per_patient"].sum(), result.per_patient)
    roles, items = result.by_role(), result.by_item()
    assert _close(roles["cost"].sum() + items["cost"].sum(), result.total)
    assert _close(roles["hours"].sum(), lines["hours_population"].sum())
    for wte, hours in zip(roles["wte"].to_numpy(), roles["hours"].to_numpy(), strict=True):
        assert _close(float(wte), float(hours) / hours_per_wte)
    assert np.allclose(
        stages["per_patient"].to_numpy(),
        stages["reach"].to_numpy() * stages["per_patient_reached"].to_numpy(),
        rtol=1e-12,
    )
    d = result.to_dict()
    assert _close(sum(s["total"] for s in d["stages"]), d["total"])


# --------------------------------------------------------------------------------------
# The fast arithmetic (LinePlan) and the sums every figure shares
# --------------------------------------------------------------------------------------


def _bits(a: np.ndarray) -> np.ndarray:
    """The float64 bit patterns (so that == compares to the last bit, sign of 0 too)."""
    return np.ascontiguousarray(a, dtype=np.float64).view(np.uint64)


def _wide_pathway(long_services: int = 70) -> Pathway:
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


def _vary(model: Any, addresses: list[str], sets: int, seed: int) -> np.ndarray:
    """``sets`` parameter sets: the base values, with ``addresses`` moved at random."""
    rng = np.random.default_rng(seed)
    values = np.tile(model.base_values(), (sets, 1))
    where = [model.addresses().index(a) for a in addresses]
    values[:, where] *= rng.uniform(0.2, 3.0, (sets, len(where)))
    return values


WIDE_VARYING = {
    "nothing": [],
    "the long stage's reach": ["long/reach"],
    "two shares": ["long/v3/staff/nurse/share", "short/v1/staff/nurse/share"],
    "a count and a share on different lines": [
        "long/v7/staff/hca/count",
        "long/v8/staff/nurse/share",
    ],
    "every uptake": [f"long/v{i}/uptake" for i in range(70)] + ["short/v0/uptake"],
    "a few minutes": ["long/v4/contacts/minutes", "short/v2/contacts/minutes"],
    "travel": ["long/v5/contacts/travel_minutes"],
    "durations": ["long/duration_weeks", "short/duration_weeks"],
    "a frequency and an item": ["long/v8/contacts/per_stage", "long/v10/items/pack/quantity"],
    "the nurse's cost": ["tariff/nurse"],
    "the cohort": ["cohort/deaths_per_1000", "cohort/eligible_share"],
}


@pytest.mark.parametrize("case", sorted(WIDE_VARYING))
@pytest.mark.parametrize("sets", [1, 2, 37])
def test_line_costs_are_evaluate_to_the_last_bit(case: str, sets: int) -> None:
    model = compile_model(_wide_pathway(), _tariff(WIDE_PRICES))
    addresses = WIDE_VARYING[case]
    values = _vary(model, addresses, sets, seed=len(case) * sets)
    expected = model.evaluate(values)
    got = model.line_costs(values)
    assert got.shape == (len(model.lines), sets)
    assert np.array_equal(_bits(got), _bits(expected.cost_per_patient.T))
    # the plan for exactly these parameters, asked directly
    plan = model.plan([model.addresses().index(a) for a in addresses])
    direct = plan.line_costs(values[:, plan.varying].T, values[0])
    assert np.array_equal(_bits(np.broadcast_to(direct, got.shape)), _bits(got))
    cohort = plan.cohort(np.vstack([values[:, plan.varying].T]), values[0])
    assert np.array_equal(_bits(np.broadcast_to(cohort, (sets,))), _bits(expected.cohort))


def test_line_plans_use_each_way_of_applying_a_factor() -> None:
    """The cases above cover every branch of the fast arithmetic (not a vacuous test)."""
    model = compile_model(_wide_pathway(), _tariff(WIDE_PRICES))
    modes = set()
    for addresses in WIDE_VARYING.values():
        plan = model.plan([model.addresses().index(a) for a in addresses])
        modes |= {f.mode for f in plan.factors}
    assert modes == {"fixed", "runs", "some", "all"}
    everything = model.plan([model.addresses().index(a) for a in WIDE_VARYING["a few minutes"]])
    assert everything.groups_vary
    assert len(everything.extra) > 0  # the services whose minutes do not vary


@property_settings
@given(
    pathways(),
    costs,
    st.integers(1, 5),
    st.sampled_from([0.0, 0.1, 0.5, 1.0]),
    st.integers(0, 2**32 - 1),
)
def test_line_costs_are_evaluate_to_the_last_bit_property(
    data: dict[str, Any], prices: dict[str, float], sets: int, moved: float, seed: int
) -> None:
    model = compile_model(_pathway(data), _tariff(prices))
    rng = np.random.default_rng(seed)
    chosen = [a for a in model.addresses()[2:] if rng.random() < moved]
    values = _vary(model, chosen, sets, seed)
    expected = model.evaluate(values).cost_per_patient.T
    assert np.array_equal(_bits(model.line_costs(values)), _bits(expected))
    plan = model.plan([model.addresses().index(a) for a in chosen])
    direct = plan.line_costs(values[:, plan.varying].T, values[0])
    assert np.array_equal(_bits(np.broadcast_to(direct, expected.shape)), _bits(expected))


def _in_order(column: np.ndarray) -> float:
    """The plain sum, one number after another."""
    total = 0.0
    for i, x in enumerate(column.tolist()):
        total = x if i == 0 else total + x
    return total


@pytest.mark.parametrize("sets", [1, 2, 3, 8, 301])
def test_stage_sums_add_each_sets_lines_in_order(sets: int) -> None:
    model = compile_model(_wide_pathway(), _tariff(WIDE_PRICES))
    rng = np.random.default_rng(sets)
    lines = len(model.lines)
    # magnitudes from 1e-12 to 1e12: any other order of addition gives other bits
    matrix = rng.standard_normal((lines, sets)) * 10.0 ** rng.integers(-12, 12, (lines, sets))
    sums = model.stage_sums(matrix)
    stage_of = model.lines["stage"].to_numpy()
    ids = [s.id for s in model.pathway.stages]
    assert sums.shape == (len(ids), sets)
    for k, stage in enumerate(ids):
        mine = matrix[stage_of == stage]
        assert len(mine) > 8  # long enough for a pairwise sum to differ
        for j in range(sets):
            assert sums[k, j] == _in_order(mine[:, j]), (stage, j)
    pathway = model.pathway_sums(sums)
    for j in range(sets):
        assert pathway[j] == _in_order(sums[:, j])
        # and a set's sums do not depend on the others summed with it
        alone = model.stage_sums(matrix[:, j : j + 1])
        assert np.array_equal(_bits(alone[:, 0]), _bits(sums[:, j]))


def test_a_stage_without_lines_sums_to_zero() -> None:
    model = compile_model(_wide_pathway(), _tariff(WIDE_PRICES))
    sums = model.stage_sums(np.ones((len(model.lines), 4)))
    first_short = int(np.flatnonzero(model.lines["stage"].to_numpy() == "short")[0])
    assert model.stage_bounds().tolist() == [0, first_short, len(model.lines)]
    assert sums[:, 0].tolist() == [first_short, len(model.lines) - first_short]
    assert model.pathway_sums(np.zeros((0, 3))).tolist() == [0.0, 0.0, 0.0]


def test_cost_result_adds_lines_then_stages_in_order() -> None:
    result = cost(_wide_pathway(), _tariff(WIDE_PRICES))
    lines = result.lines
    stages = result.by_stage()
    for stage, per_patient, total in zip(
        stages["stage"], stages["per_patient"], stages["total"], strict=True
    ):
        mine = lines.loc[lines["stage"] == stage, "cost_per_patient"].to_numpy()
        assert float(per_patient) == _in_order(mine)
        assert float(total) == float(per_patient) * result.cohort
    assert result.per_patient == _in_order(stages["per_patient"].to_numpy())
    assert result.total == result.per_patient * result.cohort
    assert np.array_equal(
        _bits(lines["cost_per_patient"].to_numpy()),
        _bits(result.model.evaluate(result.model.base_values()).cost_per_patient[0]),
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


def test_a_local_tariff_alone_gets_a_hint_about_layering(
    tmp_path: Path, write_tariff: Callable[..., Path]
) -> None:
    local = write_tariff(tmp_path, "code,unit,cost,price_year\ngp,hour,250,2024/25\n")
    with pytest.raises(MissingCodeError) as info:
        cost(load_pathway(), load_tariff(local))
    hinted = [p for p in info.value.problems if "--tariff bundled --tariff FILE" in p.message]
    assert len(hinted) == 1  # once, not on every missing code
    # layered over the bundled tariff, the same file costs
    from careprofiles.resources import bundled_tariff

    layered = cost(load_pathway(), load_tariff(bundled_tariff(), local))
    assert layered.tariff["gp"].cost == 250
