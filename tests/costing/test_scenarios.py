"""Scenarios: loading, applying (against hand-edited copies), errors, compare, CLI."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import yaml
from conftest import line_of
from hypothesis import HealthCheck, given, settings, strategies as st

from careprofiles.cli import main
from careprofiles.costing.engine import CostResult, cost
from careprofiles.costing.scenarios import (
    ScenarioSet,
    addresses,
    apply_scenario,
    compare,
    load_scenarios,
)
from careprofiles.errors import CareProfilesError, MissingCodeError, ScenarioError
from careprofiles.profiles.distributions import Triangular
from careprofiles.profiles.load import load_pathway
from careprofiles.profiles.models import Pathway
from careprofiles.tariffs.tables import Tariff, load_tariff

DATA = Path(__file__).resolve().parents[1] / "data" / "scenarios"
CHANGES = DATA / "changes.yaml"
REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples" / "scenarios"
BASE_ARGS = (str(DATA / "base"), "--tariff", str(DATA / "tariff.csv"))
"""The command-line arguments naming the baseline pathway and its tariff."""


@pytest.fixture(scope="module")
def base() -> tuple[Pathway, Tariff]:
    return load_pathway(DATA / "base"), load_tariff(DATA / "tariff.csv")


@pytest.fixture(scope="module")
def scenarios() -> ScenarioSet:
    return load_scenarios(CHANGES)


def _assert_same_costs(got: CostResult, expected: CostResult) -> None:
    """Equal to the penny: per patient, a year, cohort, every stage and every role."""
    assert got.per_patient == pytest.approx(expected.per_patient, abs=0.005)
    assert got.total == pytest.approx(expected.total, abs=0.005)
    assert got.cohort == pytest.approx(expected.cohort, abs=1e-9)
    a, b = got.by_stage(), expected.by_stage()
    assert list(a["stage"]) == list(b["stage"])
    for col in ("per_patient", "total", "hours"):
        for x, y in zip(a[col], b[col], strict=True):
            assert x == pytest.approx(y, abs=0.005)
    ra = got.by_role().set_index("role")["cost"].sort_index()
    rb = expected.by_role().set_index("role")["cost"].sort_index()
    assert list(ra.index) == list(rb.index)
    for x, y in zip(ra, rb, strict=True):
        assert x == pytest.approx(y, abs=0.005)
    assert len(got.lines) == len(expected.lines)
    assert list(got.lines["address"]) == list(expected.lines["address"])


# --------------------------------------------------------------------------------------
# Held-out hand-edited copies.


@pytest.mark.parametrize(
    "scenario_id",
    ["remove", "add", "set", "scale-contacts", "cohort", "cohort-share", "chain"],
)
def test_scenario_matches_hand_edited_pathway(
    base: tuple[Pathway, Tariff], scenarios: ScenarioSet, scenario_id: str
) -> None:
    pathway, tariff = base
    new_pathway, new_tariff = apply_scenario(pathway, tariff, scenarios, scenario_id)
    expected = cost(load_pathway(DATA / scenario_id), tariff)
    _assert_same_costs(cost(new_pathway, new_tariff), expected)
    # the baseline is untouched
    assert (
        cost(pathway, tariff).per_patient == cost(load_pathway(DATA / "base"), tariff).per_patient
    )


def test_scaling_and_setting_tariff_matches_hand_edited_tariff(
    base: tuple[Pathway, Tariff], scenarios: ScenarioSet
) -> None:
    pathway, tariff = base
    new_pathway, new_tariff = apply_scenario(pathway, tariff, scenarios, "scale-tariff")
    assert new_pathway is pathway
    expected = cost(pathway, load_tariff(DATA / "tariff-scaled.csv"))
    _assert_same_costs(cost(new_pathway, new_tariff), expected)
    # the provenance says what the scenario did, and where
    nurse, meds = new_tariff["nurse"], new_tariff["meds"]
    assert nurse.cost == pytest.approx(66.0)
    assert nurse.original_cost == 60.0
    line = line_of(CHANGES, "scale: tariff/nurse")
    assert nurse.adjustments == (
        f"x1.1 by scenario scale-tariff (tests/data/scenarios/changes.yaml:{line})",
    )
    assert meds.cost == 55.0
    assert meds.adjustments[-1].startswith("set to 55 by scenario scale-tariff")
    assert tariff["nurse"].cost == 60.0  # the baseline tariff is untouched


def test_hand_calculation_of_one_scenario(
    base: tuple[Pathway, Tariff], scenarios: ScenarioSet
) -> None:
    """The 'add' scenario's extra cost, by hand: 600 patients x 0.9 x 0.25 x 3 a week x
    2 weeks x 8 hours x £35."""
    pathway, tariff = base
    before = cost(pathway, tariff)
    after = cost(*apply_scenario(pathway, tariff, scenarios, "add"))
    extra_per_patient = 0.9 * 0.25 * (3 * 2) * (480 / 60) * 35
    assert after.per_patient - before.per_patient == pytest.approx(extra_per_patient)
    assert before.cohort == 600
    assert after.total - before.total == pytest.approx(600 * extra_per_patient)


def test_no_changes_is_the_baseline(base: tuple[Pathway, Tariff], scenarios: ScenarioSet) -> None:
    pathway, tariff = base
    new_pathway, new_tariff = apply_scenario(pathway, tariff, scenarios, "nothing")
    assert new_pathway is pathway
    assert new_tariff is tariff


def test_locations_trace_to_the_scenario(
    base: tuple[Pathway, Tariff], scenarios: ScenarioSet
) -> None:
    pathway, tariff = base
    new, _ = apply_scenario(pathway, tariff, scenarios, "add")
    added = new.stage("late").service("night-sitting")
    assert (
        added.location
        == f"tests/data/scenarios/changes.yaml:{line_of(CHANGES, 'id: night-sitting')}"
    )
    assert added.staff[0].location.startswith("tests/data/scenarios/changes.yaml:")
    # untouched parts keep their own file and line
    assert (
        new.stage("early").service("nursing").location
        == pathway.stage("early").service("nursing").location
    )
    assert new.stage("late").location == pathway.stage("late").location
    assert new.folder == pathway.folder
    changed, _ = apply_scenario(pathway, tariff, scenarios, "set")
    nursing = changed.stage("early").service("nursing")
    assert (
        nursing.location
        == f"tests/data/scenarios/changes.yaml:{line_of(CHANGES, 'set: early/nursing/uptake')}"
    )
    lines = cost(changed, tariff).lines
    source = lines.loc[lines["address"] == "late/home-visits/staff/hca", "source"].item()
    line = line_of(CHANGES, "set: late/home-visits/staff/hca/share")
    assert source == f"tests/data/scenarios/changes.yaml:{line}"


def test_scale_scales_every_number_of_a_distribution(
    base: tuple[Pathway, Tariff], scenarios: ScenarioSet
) -> None:
    pathway, tariff = base
    new, _ = apply_scenario(pathway, tariff, scenarios, "scale-contacts")
    contacts = new.stage("early").service("review").contacts
    assert contacts is not None
    assert contacts.minutes == Triangular(low=22.5, mode=30, high=45)


def test_scenarios_do_not_stack_unless_based(
    base: tuple[Pathway, Tariff], scenarios: ScenarioSet
) -> None:
    pathway, tariff = base
    after_set, _ = apply_scenario(pathway, tariff, scenarios, "set")
    after_scale, _ = apply_scenario(pathway, tariff, scenarios, "scale-contacts")
    # scale-contacts starts again from the baseline: its duration is the baseline's
    assert after_set.stage("early").duration_weeks == 12
    assert after_scale.stage("early").duration_weeks == 10
    assert scenarios.chain("chain")[0].id == "scale-contacts"


def test_scenario_file_path_is_accepted(base: tuple[Pathway, Tariff]) -> None:
    pathway, tariff = base
    p1, _ = apply_scenario(pathway, tariff, CHANGES, "remove")
    assert [s.id for s in p1.stage("early").services] == ["nursing", "review"]


# --------------------------------------------------------------------------------------
# Errors: every problem, each with the scenario file and line.


def test_changes_that_name_nothing_or_break_the_format(base: tuple[Pathway, Tariff]) -> None:
    pathway, tariff = base
    broken = DATA / "broken.yaml"
    with pytest.raises(ScenarioError) as info:
        apply_scenario(pathway, tariff, load_scenarios(broken), "bad-addresses")
    problems = info.value.problems
    text = str(info.value)
    name = "tests/data/scenarios/broken.yaml"

    def at(fragment: str, occurrence: int = 1) -> str:
        return f"{name}:{line_of(broken, fragment, occurrence)}: scenario bad-addresses"

    expected = [
        (at("eraly/nursing"), "no stage 'eraly'; did you mean 'early'?"),
        (at("early/nursin/"), "has no service 'nursin'; did you mean 'nursing'?"),
        (at("contacts/per_day"), "there is no per_day to scale (it gives per_week)"),
        (
            at("hca/shares"),
            "'shares' is not a number of a staff line a scenario can change; did you mean 'share'?",
        ),
        (at("scale: early/nursing/uptake"), "1.5 is above 1; a share is between 0 and 1"),
        (at("tariff/nures"), "no tariff row 'nures'; did you mean 'nurse'?"),
        (at("cohort/population"), "missing: deaths_per_1000, eligible_share"),
        (at("items/pump"), "a service needs contacts (with staff) or items or both"),
        (at("add: early"), "already has a service 'review'"),
    ]
    for head, message in expected:
        assert any(str(p).startswith(head) and message in str(p) for p in problems), (
            head,
            message,
            text,
        )
    assert len(problems) == len(expected)
    # sorted by line
    lines = [p.line or 0 for p in problems]
    assert lines == sorted(lines)


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


def test_set_tariff_to_a_distribution_is_refused(
    tmp_path: Path, base: tuple[Pathway, Tariff]
) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(
        "format: careprofiles/1\nscenarios:\n  - id: a\n    name: A\n    changes:\n"
        "      - set: tariff/nurse\n        to: {dist: triangular, low: 50, mode: 60, high: 70}\n",
        encoding="utf-8",
    )
    with pytest.raises(
        ScenarioError, match=r"s\.yaml:6: scenario a: tariff/nurse: a tariff cost is a number"
    ):
        apply_scenario(base[0], base[1], load_scenarios(path), "a")


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


def test_addresses_lists_what_set_takes(base: tuple[Pathway, Tariff]) -> None:
    pathway, tariff = base
    found = addresses(pathway, tariff)
    assert "early/nursing/staff/hca/share" in found
    assert "late/medicines/items/pump/per_week" in found
    assert "tariff/doctor" in found
    assert "cohort/patients" in found


# --------------------------------------------------------------------------------------
# Properties.

_BASE_PATHWAY = load_pathway(DATA / "base")
_BASE_TARIFF = load_tariff(DATA / "tariff.csv")


def _y(x: float) -> str:
    """A float as YAML reads it back exactly (YAML 1.1 reads '5e-324' as text)."""
    return yaml.safe_dump(x).split("\n")[0]


def _scenario_file(folder: Path, changes: str) -> Path:
    path = folder / "s.yaml"
    path.write_text(
        "format: careprofiles/1\nscenarios:\n  - id: s\n    name: S\n    changes:\n" + changes,
        encoding="utf-8",
    )
    return path


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    code=st.sampled_from(["nurse", "hca", "doctor", "day-care", "meds", "pump"]),
    k=st.floats(min_value=0, max_value=20, allow_nan=False, allow_infinity=False),
)
def test_scaling_a_tariff_scales_its_lines_linearly(tmp_path: Path, code: str, k: float) -> None:
    path = _scenario_file(tmp_path, f"      - scale: tariff/{code}\n        by: {_y(k)}\n")
    before = cost(_BASE_PATHWAY, _BASE_TARIFF).lines
    after = cost(*apply_scenario(_BASE_PATHWAY, _BASE_TARIFF, path, "s")).lines
    mine = (before["code"] == code).to_numpy()
    assert after["cost_per_patient"][mine].to_numpy() == pytest.approx(
        k * before["cost_per_patient"][mine].to_numpy(), rel=1e-12, abs=1e-12
    )
    assert (
        after["cost_per_patient"][~mine].to_numpy() == before["cost_per_patient"][~mine].to_numpy()
    ).all()


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    target=st.sampled_from(
        [
            "early/nursing/contacts/per_week",
            "late/home-visits/contacts/per_day",
            "early/review/contacts/per_stage",
        ]
    ),
    k=st.floats(min_value=0, max_value=50, allow_nan=False, allow_infinity=False),
)
def test_scaling_contacts_scales_the_services_staff_lines(
    tmp_path: Path, target: str, k: float
) -> None:
    path = _scenario_file(tmp_path, f"      - scale: {target}\n        by: {_y(k)}\n")
    before = cost(_BASE_PATHWAY, _BASE_TARIFF)
    after = cost(*apply_scenario(_BASE_PATHWAY, _BASE_TARIFF, path, "s"))
    service = "/".join(target.split("/")[:2])
    prefix = (before.lines["address"].str.startswith(service + "/staff/")).to_numpy()
    assert after.lines["cost_per_patient"][prefix].to_numpy() == pytest.approx(
        k * before.lines["cost_per_patient"][prefix].to_numpy(), rel=1e-12, abs=1e-12
    )
    assert after.per_patient - before.per_patient == pytest.approx(
        (k - 1) * before.lines["cost_per_patient"][prefix].sum(), rel=1e-9, abs=1e-9
    )


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    uptake=st.floats(min_value=0, max_value=1, allow_nan=False),
    patients=st.floats(min_value=0, max_value=1e6, allow_nan=False),
)
def test_set_uptake_and_cohort_match_direct_edit(
    tmp_path: Path, uptake: float, patients: float
) -> None:
    path = _scenario_file(
        tmp_path,
        f"      - set: early/nursing/uptake\n        to: {_y(uptake)}\n"
        f"      - set: cohort/patients\n        to: {_y(patients)}\n",
    )
    result = cost(*apply_scenario(_BASE_PATHWAY, _BASE_TARIFF, path, "s"))
    # by hand: the nursing lines at uptake u, everything else as before
    before = cost(_BASE_PATHWAY, _BASE_TARIFF)
    nursing = (before.lines["service"] == "nursing").to_numpy()
    expected = (
        before.lines["cost_per_patient"][~nursing].sum()
        + before.lines["cost_per_patient"][nursing].sum() / 0.5 * uptake
    )
    assert result.per_patient == pytest.approx(expected, rel=1e-12, abs=1e-9)
    assert result.cohort == patients
    assert result.total == pytest.approx(expected * patients, rel=1e-12, abs=1e-6)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(value=st.floats(min_value=1.0001, max_value=100, allow_nan=False))
def test_a_share_above_one_is_always_refused(tmp_path: Path, value: float) -> None:
    path = _scenario_file(
        tmp_path, f"      - set: late/home-visits/staff/hca/share\n        to: {_y(value)}\n"
    )
    with pytest.raises(
        ScenarioError,
        match=r"s\.yaml:6: scenario s: late/home-visits/staff/hca/share: .* is above 1",
    ):
        apply_scenario(_BASE_PATHWAY, _BASE_TARIFF, path, "s")


# --------------------------------------------------------------------------------------
# compare.


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


# --------------------------------------------------------------------------------------
# Command line.


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_cli_compare_json(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = _run(
        capsys, "compare", *BASE_ARGS, "--scenarios", str(CHANGES), "--format", "json"
    )
    assert status == 0, err
    data = json.loads(out)
    assert data["baseline"]["cohort"] == 600
    ids = [s["id"] for s in data["scenarios"]]
    assert ids == load_scenarios(CHANGES).ids()
    add = next(s for s in data["scenarios"] if s["id"] == "add")
    assert add["delta_per_patient"] == pytest.approx(0.9 * 0.25 * 6 * 8 * 35)


def test_cli_compare_table_csv_xlsx_and_plot(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    common = ["compare", *BASE_ARGS, "--scenarios", str(CHANGES)]
    status, out, err = _run(capsys, *common, "--scenario", "add", "--scenario", "remove")
    assert status == 0, err
    assert "Scenarios compared with the baseline" in out
    assert "night-sitting" in out
    assert "+£" in out
    status, out, _ = _run(capsys, *common, "--format", "csv", "--scenario", "add")
    assert out.splitlines()[0].startswith("id,name,cohort,per_patient,total,delta_per_patient")
    assert len(out.splitlines()) == 3
    book = tmp_path / "c.xlsx"
    plot = tmp_path / "c.png"
    status, _, err = _run(capsys, *common, "-o", str(book), "--plot", str(plot))
    assert status == 0, err
    import openpyxl

    assert openpyxl.load_workbook(book).sheetnames == ["summary", "stages", "roles", "changes"]
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cli_compare_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = _run(capsys, "compare", *BASE_ARGS, "--scenarios", str(DATA / "broken.yaml"))
    assert status == 1
    assert out == ""
    assert "Traceback" not in err
    assert f"tests/data/scenarios/broken.yaml:{line_of(DATA / 'broken.yaml', 'eraly')}: " in err


def test_cli_cost_one_scenario(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    common = ["cost", *BASE_ARGS]
    status, out, err = _run(
        capsys, *common, "--scenarios", str(CHANGES), "--scenario", "chain", "--format", "json"
    )
    assert status == 0, err
    expected = cost(load_pathway(DATA / "chain"), load_tariff(DATA / "tariff.csv"))
    assert json.loads(out)["per_patient"] == pytest.approx(expected.per_patient, abs=0.005)
    status, _, err = _run(capsys, *common, "--scenario", "chain")
    assert status == 1
    assert "--scenario needs --scenarios" in err
    assert "Traceback" not in err
    status, _, err = _run(capsys, *common, "--scenarios", str(CHANGES))
    assert status == 1
    assert "give --scenario ID" in err
    status, _, err = _run(capsys, *common, "--scenarios", str(CHANGES), "--scenario", "chian")
    assert status == 1
    assert "did you mean 'chain'" in err
    assert "Traceback" not in err


def test_cli_cost_plot(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    plot = tmp_path / "cost.png"
    status, _, err = _run(capsys, "cost", *BASE_ARGS, "--plot", str(plot))
    assert status == 0, err
    assert plot.read_bytes()[:4] == b"\x89PNG"
    status, _, err = _run(capsys, "cost", "--plot", str(plot))
    assert status == 1
    assert "exists already" in err
    status, out, err = _run(capsys, "cost", "--plot", str(tmp_path / "cost.jpg"))
    assert status == 1
    assert "ending .png" in err
    assert out == ""


def test_cli_help_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for command in ("compare", "simulate", "sensitivity"):
        assert command in out


def test_apply_scenario_args_needs_a_file() -> None:
    import argparse

    args = argparse.Namespace(scenarios=None, scenario="x")
    from careprofiles.costing.scenarios import apply_scenario_args

    with pytest.raises(CareProfilesError):
        apply_scenario_args(_BASE_PATHWAY, _BASE_TARIFF, args)


def test_yaml_of_examples_is_documented() -> None:
    """Every example scenario file says how to run it."""
    for path in EXAMPLES.glob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        assert "careprofiles compare --scenarios" in text, path
        assert yaml.safe_load(text)["format"] == "careprofiles/1"
