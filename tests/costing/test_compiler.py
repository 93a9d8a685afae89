"""Compiling a pathway and tariff (``costing/compiler.py``): parameters, their addresses
and locations, and the errors for codes the tariff lacks or cannot price."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import line_of
from costing_cases import (
    EARLY,
    HAND,
    LATE,
    PENNY,
    TARIFF,
    shown,
)

from careprofiles.costing.compiler import LAYERING_HINT, compile_model
from careprofiles.costing.result import cost
from careprofiles.errors import MissingCodeError, TariffError
from careprofiles.profiles.load import load_pathway
from careprofiles.profiles.parameters import parameters
from careprofiles.tariffs.tables import load_tariff


@pytest.fixture
def hand_files(
    tmp_path: Path, write_pathway: Callable[..., Path], write_tariff: Callable[..., Path]
) -> tuple[Path, Path]:
    folder = write_pathway(tmp_path / "pw", stages=[EARLY, LATE], cohort={"patients": 100})
    return folder, write_tariff(tmp_path, TARIFF, name="national.csv")


# --------------------------------------------------------------------------------------
# Parameters: addressed, located, in the order of profiles.parameters
# --------------------------------------------------------------------------------------


def test_parameters_are_addressed_and_located(hand_files: tuple[Path, Path]) -> None:
    folder, national = hand_files
    model = compile_model(load_pathway(folder), load_tariff(national))
    by_address = {p.address: p for p in model.parameters}
    for address in (
        "cohort/patients",
        "early/duration_weeks",
        "early/reach",
        "early/visits/uptake",
        "early/visits/contacts/per_week",
        "early/visits/contacts/minutes",
        "early/visits/contacts/travel_minutes",
        "early/visits/staff/hca/count",
        "early/visits/staff/hca/share",
        "early/kit/items/pump/per_week",
        "early/kit/items/pack/quantity",
        "late/daily/contacts/per_day",
        "tariff/nurse",
        "tariff/bed",
    ):
        assert address in by_address, address
    assert by_address["late/daily/contacts/per_day"].base == 2
    assert by_address["tariff/gp"].base == 240
    late = folder / "late.yaml"
    assert by_address["late/duration_weeks"].location.startswith(shown(late) + ":")
    assert by_address["tariff/gp"].location == f"{shown(national)}:3"


def test_each_parameter_is_located_at_the_line_of_its_own_number(
    bundled_pathway_dir: Path,
) -> None:
    # sensitivity and simulate report parameters by location: it must lead to the number
    model = compile_model(load_pathway(), load_tariff())
    located = {p.address: p.location for p in model.parameters}

    def at(file: str, text: str, nth: int = 1) -> str:
        path = bundled_pathway_dir / file
        return f"{shown(path)}:{line_of(path, text, nth)}"

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
    assert (
        pathway.stages[0].location_of("duration_weeks")
        == located[f"{pathway.stages[0].id}/duration_weeks"]
    )


@pytest.mark.parametrize("which", ["bundled", "hand"])
def test_the_parameters_are_the_numbers_given_in_the_order_of_the_walk(
    which: str, hand_files: tuple[Path, Path]
) -> None:
    """One address scheme: the compiler's parameters are profiles.parameters' numbers
    (those given), in its order, with each tariff cost just before the first line it
    prices."""
    folder, national = hand_files
    pathway = load_pathway() if which == "bundled" else load_pathway(folder)
    model = compile_model(pathway, load_tariff() if which == "bundled" else load_tariff(national))
    given = [(a, m, f) for a, m, f in parameters(pathway) if getattr(m, f) is not None]
    compiled = model.addresses()
    assert compiled[:2] == ["1", "0"]
    assert [a for a in compiled[2:] if not a.startswith("tariff/")] == [a for a, _, _ in given]
    by_address = {p.address: p for p in model.parameters}
    for address, model_, name in given:
        assert by_address[address].value == getattr(model_, name)
        assert by_address[address].location == model_.location_of(name)
    lines = model.lines
    codes = list(dict.fromkeys(lines["code"]))
    assert [a for a in compiled if a.startswith("tariff/")] == [f"tariff/{c}" for c in codes]
    for code in codes:
        first_line = lines.loc[lines["code"] == code, "address"].iloc[0]
        after = compiled[compiled.index(f"tariff/{code}") + 1]
        assert after.startswith(first_line + "/"), (code, after)


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
    assert f"{shown(early)}:{line_of(early, 'role: hca')}:" in text
    assert f"{shown(late)}:{line_of(late, 'code: bed')}:" in text
    assert "'hca'" in text
    assert "'bed'" in text
    assert len(info.value.problems) == 2


def test_missing_code_is_reported_at_every_line_that_uses_it(
    tmp_path: Path, write_pathway: Callable[..., Path], write_tariff: Callable[..., Path]
) -> None:
    services = [
        {
            "id": name,
            "setting": "home",
            "contacts": {"per_week": 1, "minutes": 5},
            "staff": [{"role": "nurse"}, {"role": "porter"}],
        }
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
        "services": [
            {
                "id": "v",
                "setting": "home",
                "contacts": {"per_week": 1, "minutes": 5},
                "staff": [{"role": "nurses"}],
            }
        ],
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
    assert f"{shown(late)}:{line_of(late, 'role: gp')}:" in text
    assert f"'gp' is priced per {unit}" in text
    assert f"{shown(tariff_file)}:3" in text


def test_item_priced_per_hour(
    hand_files: tuple[Path, Path], write_tariff: Callable[..., Path], tmp_path: Path
) -> None:
    folder, _ = hand_files
    rows = [dict(r, unit="hour") if r["code"] == "pack" else r for r in TARIFF]
    with pytest.raises(TariffError) as info:
        cost(load_pathway(folder), load_tariff(write_tariff(tmp_path, rows)))
    early = folder / "early.yaml"
    assert f"{shown(early)}:{line_of(early, 'code: pack')}:" in str(info.value)
    assert "item 'pack' is priced per hour" in str(info.value)


def test_item_priced_per_contact_is_allowed(
    hand_files: tuple[Path, Path], write_tariff: Callable[..., Path], tmp_path: Path
) -> None:
    folder, _ = hand_files
    rows = [dict(r, unit="contact") if r["code"] == "pack" else r for r in TARIFF]
    result = cost(load_pathway(folder), load_tariff(write_tariff(tmp_path, rows)))
    assert result.per_patient == pytest.approx(HAND["per_patient"], abs=PENNY)


def test_a_local_tariff_alone_gets_a_hint_about_layering(
    tmp_path: Path, write_tariff: Callable[..., Path]
) -> None:
    local = write_tariff(tmp_path, "code,unit,cost,price_year\ngp,hour,250,2024/25\n")
    with pytest.raises(MissingCodeError) as info:
        cost(load_pathway(), load_tariff(local))
    hinted = [p for p in info.value.problems if LAYERING_HINT in p.message]
    assert len(hinted) == 1  # once, not on every missing code
    assert hinted[0].code == "no-tariff-row"
    # the library names no command-line options (the command line adds its own:
    # test_costing_commands.py)
    assert not any("--" in p.message for p in info.value.problems)
    # layered over the bundled tariff, the same file costs
    from careprofiles.resources import bundled_tariff

    layered = cost(load_pathway(), load_tariff(bundled_tariff(), local))
    assert layered.tariff["gp"].cost == 250
