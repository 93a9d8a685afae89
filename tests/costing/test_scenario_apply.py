"""Applying scenarios (``costing/scenario_apply.py``): against hand-edited copies,
provenance, every problem with its scenario line, the addresses, and properties."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import line_of
from hypothesis import HealthCheck, given, settings, strategies as st
from scenario_cases import (
    BASE_PATHWAY,
    BASE_TARIFF,
    CHANGES,
    DATA,
    as_yaml,
    assert_same_costs,
    scenario_file,
)

from careprofiles.costing.result import cost
from careprofiles.costing.scenario_apply import TARIFF_UNCERTAINTY_HINT, addresses, apply_scenario
from careprofiles.costing.scenarios import ScenarioSet, load_scenarios, scenario_of
from careprofiles.errors import ScenarioError
from careprofiles.profiles.distributions import Triangular
from careprofiles.profiles.load import load_pathway
from careprofiles.profiles.models import Pathway
from careprofiles.tariffs.tables import Tariff, load_tariff


@pytest.fixture(scope="module")
def base() -> tuple[Pathway, Tariff]:
    return load_pathway(DATA / "base"), load_tariff(DATA / "tariff.csv")


@pytest.fixture(scope="module")
def scenarios() -> ScenarioSet:
    return load_scenarios(CHANGES)


# --------------------------------------------------------------------------------------
# Held-out hand-edited copies.
# --------------------------------------------------------------------------------------


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
    assert_same_costs(cost(new_pathway, new_tariff), expected)
    # the baseline is untouched
    assert (
        cost(pathway, tariff).per_patient == cost(load_pathway(DATA / "base"), tariff).per_patient
    )


def test_scaling_and_setting_tariff_matches_hand_edited_tariff(
    base: tuple[Pathway, Tariff], scenarios: ScenarioSet
) -> None:
    pathway, tariff = base
    new_pathway, new_tariff = apply_scenario(pathway, tariff, scenarios, "scale-tariff")
    # the pathway is unchanged: a copy that names the scenario (issue 15), the baseline
    # itself never marked
    assert new_pathway.model_dump() == pathway.model_dump()
    assert new_pathway.stages is pathway.stages
    assert scenario_of(pathway) is None
    assert scenario_of(new_pathway) is not None
    expected = cost(pathway, load_tariff(DATA / "tariff-scaled.csv"))
    assert_same_costs(cost(new_pathway, new_tariff), expected)
    # the provenance says what the scenario did, and where
    nurse, meds = new_tariff["nurse"], new_tariff["meds"]
    assert nurse.cost == pytest.approx(66.0)
    assert nurse.original_cost == 60.0
    line = line_of(CHANGES, "scale: tariff/nurse")
    assert nurse.adjustments == (
        # adjustments go into documents: the scenario file by its name (issue 15)
        f"x1.1 by scenario scale-tariff (changes.yaml:{line})",
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
    # the baseline's contents, in a copy that names the scenario (issue 15)
    assert new_pathway.model_dump() == pathway.model_dump()
    assert new_pathway.stages is pathway.stages
    assert scenario_of(pathway) is None
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
    assert source == f"changes.yaml:{line}"  # by its name in the lines (issue 15)


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
# --------------------------------------------------------------------------------------


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
    ) as info:
        apply_scenario(base[0], base[1], load_scenarios(path), "a")
    # in Python's words (the command line names its option: test_costing_commands.py)
    assert f"({TARIFF_UNCERTAINTY_HINT})" in str(info.value)
    assert "--" not in str(info.value)


def test_addresses_lists_what_set_takes(base: tuple[Pathway, Tariff]) -> None:
    pathway, tariff = base
    found = addresses(pathway, tariff)
    assert "early/nursing/staff/hca/share" in found
    assert "late/medicines/items/pump/per_week" in found
    assert "tariff/doctor" in found
    assert "cohort/patients" in found


@pytest.mark.parametrize("which", ["base", "bundled"])
def test_every_address_of_the_walk_is_one_the_applier_finds(which: str, tmp_path: Path) -> None:
    """One address scheme: addresses() is profiles.parameters' walk (then the tariff's
    codes), every parameter of the compiled model is among them, and a scenario can
    scale every number the walk gives (by 1: the same figures)."""
    from careprofiles.costing.compiler import compile_model
    from careprofiles.profiles.parameters import parameters

    if which == "base":
        pathway, tariff = BASE_PATHWAY, BASE_TARIFF
    else:
        pathway, tariff = load_pathway(), load_tariff()
    walk = [(a, m, f) for a, m, f in parameters(pathway)]
    found = addresses(pathway, tariff)
    assert found[: len(walk)] == [a for a, _, _ in walk]
    assert all(a.startswith("tariff/") for a in found[len(walk) :])
    assert set(compile_model(pathway, tariff).addresses()[2:]) <= set(found)
    given = [a for a, m, f in walk if getattr(m, f) is not None]
    changes = "".join(f"      - scale: {a}\n        by: 1\n" for a in given)
    path = scenario_file(tmp_path, changes)
    new_pathway, new_tariff = apply_scenario(pathway, tariff, path, "s")
    assert cost(new_pathway, new_tariff).per_patient == cost(pathway, tariff).per_patient


# --------------------------------------------------------------------------------------
# Properties.
# --------------------------------------------------------------------------------------


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    code=st.sampled_from(["nurse", "hca", "doctor", "day-care", "meds", "pump"]),
    k=st.floats(min_value=0, max_value=20, allow_nan=False, allow_infinity=False),
)
def test_scaling_a_tariff_scales_its_lines_linearly(tmp_path: Path, code: str, k: float) -> None:
    path = scenario_file(tmp_path, f"      - scale: tariff/{code}\n        by: {as_yaml(k)}\n")
    before = cost(BASE_PATHWAY, BASE_TARIFF).lines
    after = cost(*apply_scenario(BASE_PATHWAY, BASE_TARIFF, path, "s")).lines
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
    path = scenario_file(tmp_path, f"      - scale: {target}\n        by: {as_yaml(k)}\n")
    before = cost(BASE_PATHWAY, BASE_TARIFF)
    after = cost(*apply_scenario(BASE_PATHWAY, BASE_TARIFF, path, "s"))
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
    path = scenario_file(
        tmp_path,
        f"      - set: early/nursing/uptake\n        to: {as_yaml(uptake)}\n"
        f"      - set: cohort/patients\n        to: {as_yaml(patients)}\n",
    )
    result = cost(*apply_scenario(BASE_PATHWAY, BASE_TARIFF, path, "s"))
    # by hand: the nursing lines at uptake u, everything else as before
    before = cost(BASE_PATHWAY, BASE_TARIFF)
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
    path = scenario_file(
        tmp_path, f"      - set: late/home-visits/staff/hca/share\n        to: {as_yaml(value)}\n"
    )
    with pytest.raises(
        ScenarioError,
        match=r"s\.yaml:6: scenario s: late/home-visits/staff/hca/share: .* is above 1",
    ):
        apply_scenario(BASE_PATHWAY, BASE_TARIFF, path, "s")
