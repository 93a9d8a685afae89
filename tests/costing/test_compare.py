"""Comparing scenarios with the baseline (``costing/compare.py``)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from scenario_cases import (
    CHANGES,
    DATA,
    EXAMPLES,
    REPO,
)

from careprofiles.costing.compare import compare
from careprofiles.costing.result import cost
from careprofiles.costing.scenarios import ScenarioSet, load_scenarios
from careprofiles.errors import MissingCodeError, ScenarioError
from careprofiles.profiles.load import load_pathway
from careprofiles.profiles.models import Pathway
from careprofiles.tariffs.tables import Tariff, load_tariff


@pytest.fixture(scope="module")
def base() -> tuple[Pathway, Tariff]:
    return load_pathway(DATA / "base"), load_tariff(DATA / "tariff.csv")


@pytest.fixture(scope="module")
def scenarios() -> ScenarioSet:
    return load_scenarios(CHANGES)


def test_compare_figures(base: tuple[Pathway, Tariff], scenarios: ScenarioSet) -> None:
    pathway, tariff = base
    comparison = compare(pathway, tariff, scenarios, ids=["add", "cohort"])
    table = comparison.table()
    assert list(table["id"]) == ["baseline", "add", "cohort"]
    baseline = cost(pathway, tariff)
    added = cost(load_pathway(DATA / "add"), tariff)
    row = table.set_index("id").loc["add"]
    assert row["per_patient"] == pytest.approx(added.per_patient)
    assert row["delta_per_patient"] == pytest.approx(added.per_patient - baseline.per_patient)
    assert row["delta_total"] == pytest.approx(added.total - baseline.total)
    data = comparison.to_dict()
    assert set(data["baseline"]) >= {"per_patient", "total", "cohort"}
    for entry in data["scenarios"]:
        assert set(entry) >= {
            "id",
            "name",
            "per_patient",
            "total",
            "cohort",
            "delta_per_patient",
            "delta_total",
        }
    cohort = data["scenarios"][1]
    assert cohort["cohort"] == 500
    assert cohort["delta_per_patient"] == pytest.approx(0.0, abs=1e-9)
    stages = comparison.by_stage()
    assert set(stages["scenario"]) == {"baseline", "add", "cohort"}
    roles = comparison.by_role()
    hca = roles[(roles["scenario"] == "add") & (roles["role"] == "hca")]
    assert hca["delta_cost"].item() == pytest.approx(600 * 0.9 * 0.25 * 6 * 8 * 35)


def test_compare_collects_problems_of_every_scenario(
    tmp_path: Path, base: tuple[Pathway, Tariff]
) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(
        "format: careprofiles/1\nscenarios:\n"
        "  - id: a\n    name: A\n    changes:\n      - set: early/nope/uptake\n        to: 1\n"
        "  - id: b\n    name: B\n    changes:\n      - set: late/nope/uptake\n        to: 1\n",
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError) as info:
        compare(base[0], base[1], path)
    assert len(info.value.problems) == 2
    assert {p.line for p in info.value.problems} == {6, 11}


def test_bundled_examples_apply_to_the_bundled_pathway() -> None:
    pathway = load_pathway()
    national = load_tariff()
    comparison = compare(pathway, national, EXAMPLES / "service-models.yaml")
    assert len(comparison.scenarios) == len(load_scenarios(EXAMPLES / "service-models.yaml"))
    quarterly = dict((s.id, r) for s, r in comparison.scenarios)["quarterly-mdt"]
    assert quarterly.per_patient < comparison.baseline.per_patient
    variants = compare(
        pathway,
        load_tariff(
            REPO / "profiles" / "tariffs" / "national-2024-25.csv", EXAMPLES / "variant-roles.csv"
        ),
        EXAMPLES / "condition-variants.yaml",
    )
    ids = [s.id for s, _ in variants.scenarios]
    assert ids == ["heart-failure", "dementia"]
    for _s, r in variants.scenarios:
        assert r.pathway.cohort.patients is not None  # the variants set their own cohort
        assert math.isfinite(r.per_patient)
        assert r.per_patient > 0
    roles = set(variants.scenarios[0][1].by_role()["role"])
    assert "heart-failure-nurse" in roles


def test_added_service_with_unknown_code_names_the_scenario_line(
    tmp_path: Path, base: tuple[Pathway, Tariff]
) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(
        "format: careprofiles/1\nscenarios:\n  - id: a\n    name: A\n    changes:\n"
        "      - add: late\n        service:\n          id: x\n          setting: home\n"
        "          items:\n            - code: oxygen\n              quantity: 1\n",
        encoding="utf-8",
    )
    with pytest.raises(MissingCodeError) as info:
        compare(base[0], base[1], load_scenarios(path))
    assert "s.yaml:11" in str(info.value)
    assert "no tariff row for 'oxygen'" in str(info.value)
