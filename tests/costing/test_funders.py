"""Who pays (issue 13): a line's funder is its service's ``funder``, else its tariff
row's, else ``unassigned``; the split by funder adds up to the total, overall and in
every stage; hand-computed split of the hand pathway; compare's change by funder."""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from costing_cases import (
    EARLY,
    ITEMS,
    LATE,
    PENNY,
    ROLES,
    TARIFF,
    close,
    costs,
    pathway_of,
    pathways,
    property_settings,
)
from hypothesis import given, strategies as st

from careprofiles.costing.compare import Comparison
from careprofiles.costing.result import cost
from careprofiles.profiles.evidence import FUNDERS, UNASSIGNED, funder_name
from careprofiles.profiles.load import load_pathway
from careprofiles.tariffs.tables import Tariff, TariffRow, load_tariff

FUNDED = [
    {**TARIFF[0], "funder": "nhs-icb"},  # nurse
    {**TARIFF[1], "funder": "nhs-icb"},  # gp
    {**TARIFF[2], "funder": "local-authority"},  # hca
    {**TARIFF[3], "funder": "nhs-icb"},  # pack
    TARIFF[4],  # pump: no funder
    {**TARIFF[5], "funder": "hospice-charity"},  # bed
]


def test_hand_split(
    tmp_path: Path, write_pathway: Callable[..., Path], write_tariff: Callable[..., Path]
) -> None:
    late = copy.deepcopy(LATE)
    late["services"][0]["funder"] = "nhs-chc"  # daily: the service pays, not its rows
    folder = write_pathway(tmp_path / "pw", stages=[EARLY, late], cohort={"patients": 100})
    result = cost(load_pathway(folder), load_tariff(write_tariff(tmp_path, FUNDED)))
    # early/visits: nurse £480, hca £240 a patient receiving; x 0.8 uptake x 0.5 reach:
    #   nhs-icb 192, local-authority 96. early/kit: pack £45 (nhs-icb) x 0.5 = 22.50;
    #   pump 4 x £20 (unassigned) x 0.5 = 40. late/daily (nhs-chc): £1,260 x 0.9 = 1,134.
    #   late/beds: £1,500 x 0.1 x 0.9 = 135 (hospice-charity).
    want = {
        "nhs-chc": 1134.0,
        "nhs-icb": 214.50,
        "hospice-charity": 135.0,
        "local-authority": 96.0,
        UNASSIGNED: 40.0,
    }
    got = result.by_funder().set_index("funder")
    assert list(got.index) == list(want)  # largest first
    for funder, per_patient in want.items():
        assert got.loc[funder, "per_patient"] == pytest.approx(per_patient, abs=PENNY)
        assert got.loc[funder, "total"] == pytest.approx(per_patient * 100, abs=PENNY)
        assert got.loc[funder, "name"] == funder_name(funder)
    assert result.per_patient == pytest.approx(1619.50, abs=PENNY)  # unchanged
    assert got["share_of_total"].sum() == pytest.approx(1.0)
    data = result.to_dict()
    assert {f["funder"] for f in data["funders"]} == set(want)
    assert set(result.lines["funder"]) == set(want)


def test_known_funders_named() -> None:
    assert funder_name("nhs-icb") == "NHS (ICB)"
    assert funder_name("my-ccg-pilot") == "my-ccg-pilot"  # the analyst's own id
    assert set(FUNDERS) == {
        "nhs-icb",
        "nhs-chc",
        "local-authority",
        "hospice-charity",
        "self-funded",
    }


def test_bad_funder_in_tariff(tmp_path: Path, write_tariff: Callable[..., Path]) -> None:
    from careprofiles.errors import TariffError

    path = write_tariff(tmp_path, [{**TARIFF[0], "funder": "NHS ICB"}])
    with pytest.raises(TariffError) as info:
        load_tariff(path)
    (problem,) = info.value.problems
    assert (problem.line, problem.where) == (2, "funder")


def test_bad_service_funder_is_a_validation_problem(
    tmp_path: Path, write_pathway: Callable[..., Path]
) -> None:
    from careprofiles.errors import ValidationError

    late = copy.deepcopy(LATE)
    late["services"][0]["funder"] = "Not An Id"
    folder = write_pathway(tmp_path / "pw", stages=[late], cohort={"patients": 1})
    with pytest.raises(ValidationError):
        load_pathway(folder)


def _funded_tariff(prices: dict[str, float], funders: dict[str, str]) -> Tariff:
    units = {**ROLES, **ITEMS}
    return Tariff(
        {
            code: TariffRow(code, units[code], price, "2024/25", funder=funders.get(code, ""))
            for code, price in prices.items()
        }
    )


funder_ids = st.sampled_from(["", "nhs-icb", "nhs-chc", "local-authority", "self-funded"])


@property_settings
@given(
    pathways(),
    costs,
    st.fixed_dictionaries({code: funder_ids for code in [*ROLES, *ITEMS]}),
    st.data(),
)
def test_funder_split_sums_to_total(
    data: dict[str, Any], prices: dict[str, float], funders: dict[str, str], more: Any
) -> None:
    data = copy.deepcopy(data)
    for stage in data["stages"]:
        for service in stage["services"]:
            chosen = more.draw(funder_ids)
            if chosen:
                service["funder"] = chosen
    result = cost(pathway_of(data), _funded_tariff(prices, funders))
    split = result.by_funder()
    assert close(float(split["per_patient"].sum()), result.per_patient)
    assert close(float(split["total"].sum()), result.total)
    assert not result.lines["funder"].isna().any()
    assert (result.lines["funder"] != "").all()
    # and within every stage
    stages = result.by_stage().set_index("stage")["per_patient"]
    by = result.lines.groupby(["stage", "funder"])["cost_per_patient"].sum()
    for stage, per_patient in stages.items():
        inside = float(by[stage].sum()) if stage in by.index.get_level_values(0) else 0.0
        assert math.isclose(inside, per_patient, rel_tol=1e-9, abs_tol=1e-6)


def test_compare_by_funder_and_setting(default_cost: Any) -> None:
    from careprofiles.costing.compare import compare
    from careprofiles.resources import bundled_pathway

    pathway, tariff = default_cost.pathway, default_cost.tariff
    comparison: Comparison = compare(pathway, tariff, bundled_pathway() / "as-is.yaml")
    table = comparison.table().set_index("id")
    for key in ("funder", "setting"):
        frame = comparison.by_funder() if key == "funder" else comparison.by_setting()
        for sid, part in frame.groupby("scenario"):
            assert part["per_patient"].sum() == pytest.approx(table.loc[sid, "per_patient"])
            assert part["delta_per_patient"].sum() == pytest.approx(
                table.loc[sid, "delta_per_patient"], abs=1e-6
            )
    data = comparison.to_dict()
    assert data["scenarios"][0]["funders"]
    assert {s["setting"] for s in data["scenarios"][0]["settings"]} >= {"hospital", "home"}
