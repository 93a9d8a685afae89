"""A scenario names itself everywhere (issue 15): the pathway a scenario makes carries
the scenario (``scenario_of``, ``CostResult.scenario``), and the table, JSON, workbook,
specification, charts, Monte Carlo and sensitivity outputs of it name it and its changes."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest
from scenario_cases import BASE_ARGS, CHANGES, DATA, EXAMPLES

from careprofiles.cli import main
from careprofiles.costing.result import cost
from careprofiles.costing.scenario_apply import apply_scenario
from careprofiles.costing.scenarios import AppliedScenario, load_scenarios, scenario_of
from careprofiles.outputs.names import Names, names_for
from careprofiles.profiles.load import load_pathway
from careprofiles.tariffs.tables import load_tariff

SCALE_CONTACTS = (
    "scale early/nursing/contacts/per_week by 1.5",
    "scale late/home-visits/contacts/per_day by 2",
    "scale early/review/contacts/minutes by 1.5",
)
CHAIN = (
    *SCALE_CONTACTS,
    "set early/nursing/uptake to 0.7",
    "add staff nurse to early/review",
    "remove late/medicines/items/pump",
)


def _names() -> Names:
    """The names the screen gives the test pathway's stages, services and codes."""
    return names_for(load_pathway(BASE_ARGS[0]), load_tariff(BASE_ARGS[2]))


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_the_pathway_of_a_scenario_names_it_and_every_change_in_order() -> None:
    pathway, tariff = load_pathway(DATA / "base"), load_tariff(DATA / "tariff.csv")
    new, _ = apply_scenario(pathway, tariff, CHANGES, "chain")
    applied = scenario_of(new)
    assert applied == AppliedScenario(
        id="chain",
        name="Scale contacts, then more",
        description=None,
        file=load_scenarios(CHANGES).file,
        bases=("scale-contacts",),
        changes=CHAIN,  # the base's changes first, as applied
    )
    assert scenario_of(pathway) is None  # the baseline is never marked
    result = cost(new, tariff)
    assert result.scenario == applied
    assert result.to_dict()["scenario"]["changes"] == list(CHAIN)
    assert cost(pathway, tariff).to_dict()["scenario"] is None
    assert scenario_of(pickle.loads(pickle.dumps(new))) == applied


def test_a_scenario_of_tariff_changes_only_marks_a_copy_of_the_baseline() -> None:
    pathway, tariff = load_pathway(DATA / "base"), load_tariff(DATA / "tariff.csv")
    new, new_tariff = apply_scenario(pathway, tariff, CHANGES, "scale-tariff")
    assert new is not pathway
    assert scenario_of(pathway) is None
    applied = scenario_of(new)
    assert applied is not None
    assert applied.changes == ("scale tariff/nurse by 1.1", "set tariff/meds to 55")
    # the figures are the tariff's: nurse 60 x 1.1
    assert new_tariff["nurse"].cost == pytest.approx(66.0)
    empty, _ = apply_scenario(pathway, tariff, CHANGES, "nothing")
    assert scenario_of(empty) is not None
    assert scenario_of(empty).changes == ()


def test_cost_table_json_and_workbook_name_the_scenario(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    args = (*BASE_ARGS, "--scenarios", str(CHANGES), "--scenario", "chain")
    status, out, _ = _run(capsys, "cost", *args)
    assert status == 0
    assert "Scenario chain: Scale contacts, then more" in out
    assert "applied after scale-contacts" in " ".join(out.split())
    on_screen = " ".join(out.split())
    for change in CHAIN:  # on screen by name, in JSON and the workbook as written
        assert f"- {_names().change(change)}" in on_screen
    assert "Cost per patient (scenario chain):" in out
    status, out, _ = _run(capsys, "cost", *args, "--format", "json")
    data = json.loads(out)
    assert data["scenario"]["id"] == "chain"
    assert data["scenario"]["bases"] == ["scale-contacts"]
    assert data["scenario"]["changes"] == list(CHAIN)
    openpyxl = pytest.importorskip("openpyxl")
    book = tmp_path / "cost.xlsx"
    assert _run(capsys, "cost", *args, "-o", str(book))[0] == 0
    wb = openpyxl.load_workbook(book)
    summary = {r[0]: r[1] for r in wb["summary"].iter_rows(min_row=2, values_only=True)}
    assert summary["scenario"] == "chain"
    assert summary["scenario name"] == "Scale contacts, then more"
    assert summary["applied after"] == "scale-contacts"
    rows = list(wb["scenario"].iter_rows(min_row=2, values_only=True))
    assert rows == [(i, c) for i, c in enumerate(CHAIN, start=1)]


def test_a_baseline_says_nothing_of_scenarios(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = _run(capsys, "cost", *BASE_ARGS)
    assert status == 0
    assert "Scenario " not in out.replace("Scenario test pathway", "")
    assert "(scenario " not in out
    assert "Changes from the baseline" not in out


def test_simulate_and_sensitivity_name_the_scenario(capsys: pytest.CaptureFixture[str]) -> None:
    args = (*BASE_ARGS, "--scenarios", str(CHANGES), "--scenario", "set")
    status, out, _ = _run(capsys, "simulate", *args, "--draws", "20", "--seed", "1")
    assert status == 0
    assert "Scenario set: Set numbers" in out
    status, out, _ = _run(
        capsys, "simulate", *args, "--draws", "20", "--seed", "1", "--format", "json"
    )
    assert json.loads(out)["scenario"]["id"] == "set"
    status, out, _ = _run(capsys, "sensitivity", *args)
    assert status == 0
    assert "Scenario set: Set numbers" in out
    assert f"- {_names().change('set early/duration_weeks to 12')}" in " ".join(out.split())
    assert "early/duration_weeks" not in out
    status, out, _ = _run(capsys, "sensitivity", *args, "--format", "json")
    assert json.loads(out)["scenario"]["name"] == "Set numbers"


def test_the_specification_of_a_scenario_names_it(capsys: pytest.CaptureFixture[str]) -> None:
    args = ("--scenarios", str(EXAMPLES / "service-models.yaml"), "--scenario", "quarterly-mdt")
    status, out, _ = _run(capsys, "spec", *args)
    assert status == 0
    assert "| **Scenario costed** | quarterly-mdt: MDT review every three months" in out
    assert "costed for the scenario **quarterly-mdt**" in out
    mdt = "Advancing disease · Palliative care register and primary care MDT review"
    assert f"- set {mdt} · contacts per week to 0.077" in out  # the address by name
    status, out, _ = _run(capsys, "spec")
    assert "Scenario costed" not in out
    assert "costed for the scenario" not in out


def test_the_cost_chart_title_names_the_scenario() -> None:
    pytest.importorskip("matplotlib")
    from careprofiles.costing.sensitivity import sensitivity
    from careprofiles.outputs.charts import cost_plot, tornado_plot

    pathway, tariff = load_pathway(DATA / "base"), load_tariff(DATA / "tariff.csv")
    new, new_tariff = apply_scenario(pathway, tariff, CHANGES, "set")
    title = cost_plot(cost(new, new_tariff))._suptitle
    assert title is not None
    assert "scenario set (Set numbers)" in title.get_text()
    tornado = tornado_plot(sensitivity(new, new_tariff))._suptitle
    assert tornado is not None
    assert "scenario set" in tornado.get_text()
    baseline = cost_plot(cost(pathway, tariff))._suptitle
    assert baseline is not None
    assert "scenario" not in baseline.get_text()
