"""Scenario files (``costing/scenarios.py``): every problem of a bad file, the format,
the bundled examples."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from conftest import line_of
from scenario_cases import (
    CHANGES,
    DATA,
    EXAMPLES,
)

from careprofiles.costing.scenario_apply import apply_scenario
from careprofiles.costing.scenarios import ScenarioSet, load_scenarios
from careprofiles.errors import ScenarioError
from careprofiles.profiles.load import load_pathway
from careprofiles.profiles.models import Pathway
from careprofiles.tariffs.tables import Tariff, load_tariff


@pytest.fixture(scope="module")
def base() -> tuple[Pathway, Tariff]:
    return load_pathway(DATA / "base"), load_tariff(DATA / "tariff.csv")


@pytest.fixture(scope="module")
def scenarios() -> ScenarioSet:
    return load_scenarios(CHANGES)


def test_bad_scenario_file_reports_every_problem() -> None:
    path = DATA / "bad-file.yaml"
    with pytest.raises(ScenarioError) as info:
        load_scenarios(path)
    text = str(info.value)
    name = "tests/data/scenarios/bad-file.yaml"
    assert (
        f"{name}:{line_of(path, 'base: tow')}: scenarios[0].base: no scenario 'tow' in this file"
        in text
    )
    assert (
        f"{name}:{line_of(path, 'too: 0.5')}: scenarios[0].changes[0].too: unknown key 'too'"
        in text
    )
    assert "to does not go with 'remove'; 'to' goes with 'set'" in text
    assert "give one of set, scale, add or remove per change (found set and scale)" in text
    assert f"{name}:{line_of(path, 'by: -1')}: scenarios[0].changes[2].by: -1 is negative" in text
    assert "a service needs contacts (with staff) or items or both" in text
    assert (
        f"{name}:{line_of(path, 'id: one', 2)}: scenarios[1].id: duplicate scenario id 'one'"
        in text
    )
    assert "the base chain loop-a -> loop-b -> loop-a is a cycle" in text
    assert "the base chain loop-b -> loop-a -> loop-b is a cycle" in text
    assert len(info.value.problems) == 9


def test_bad_format_and_unknown_scenario(
    tmp_path: Path, base: tuple[Pathway, Tariff], scenarios: ScenarioSet
) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("format: careprofiles/2\nscenarios: []\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match="format 'careprofiles/2' is not 'careprofiles/1'"):
        load_scenarios(path)
    with pytest.raises(ScenarioError, match="no scenario 'chian'; did you mean 'chain'"):
        apply_scenario(base[0], base[1], scenarios, "chian")
    with pytest.raises(ScenarioError, match="no such file"):
        load_scenarios(tmp_path / "missing.yaml")


def test_yaml_of_examples_is_documented() -> None:
    """Every example scenario file says how to run it."""
    for path in EXAMPLES.glob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        assert "careprofiles compare --scenarios" in text, path
        assert yaml.safe_load(text)["format"] == "careprofiles/1"


def test_a_duplicate_scenario_id_carries_its_code() -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenarios(DATA / "bad-file.yaml")
    duplicates = [p for p in info.value.problems if p.code == "duplicate-id"]
    assert len(duplicates) == 1
    assert "duplicate scenario id 'one'" in duplicates[0].message
