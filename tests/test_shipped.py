"""Every shipped pathway loads and costs with the shipped tariff; every figure is sourced."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from careprofiles.costing.compiler import compile_model
from careprofiles.costing.result import cost
from careprofiles.profiles.load import load_pathway
from careprofiles.profiles.models import Pathway
from careprofiles.resources import bundled_index, bundled_profiles, bundled_tariff
from careprofiles.tariffs.tables import STAFF_UNITS, Tariff, load_price_index, load_tariff

PROFILES = bundled_profiles()
PATHWAYS = sorted(p.parent for p in PROFILES.rglob("pathway.yaml"))
YEAR = re.compile(r"\b(19|20)\d\d\b")


def test_there_is_a_shipped_pathway() -> None:
    assert PROFILES / "eol" in PATHWAYS


@pytest.fixture(scope="module")
def shipped_tariff() -> Tariff:
    return load_tariff()


@pytest.mark.parametrize("folder", PATHWAYS, ids=[p.name for p in PATHWAYS])
def test_shipped_pathway_loads_and_costs(folder: Path, shipped_tariff: Tariff) -> None:
    pathway = load_pathway(folder)
    used = set(pathway.roles()) | set(pathway.item_codes())
    assert used <= set(shipped_tariff), sorted(used - set(shipped_tariff))
    for role in pathway.roles():
        assert shipped_tariff[role].unit in STAFF_UNITS, role
    for code in pathway.item_codes():
        assert shipped_tariff[code].unit != "hour", code
    result = cost(pathway, shipped_tariff)
    assert result.per_patient > 0
    assert result.total == pytest.approx(result.per_patient * result.cohort)
    stages = result.by_stage()
    assert (stages["per_patient"] > 0).all()
    assert stages["per_patient"].sum() == pytest.approx(result.per_patient, rel=1e-12)
    roles = result.by_role()
    assert (roles["wte"] > 0).all()
    assert (result.lines["tariff_source"] != "").all()
    assert (result.lines["source"] != "").all()


@pytest.mark.parametrize("folder", PATHWAYS, ids=[p.name for p in PATHWAYS])
def test_shipped_files_carry_their_sources(folder: Path) -> None:
    for path in sorted(folder.glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        assert text.lstrip().startswith("#"), f"{path.name} should open with a comment"
        assert "estimate" in text.lower(), f"{path.name} should say which figures are estimates"
    readme = folder / "README.md"
    assert readme.is_file()
    assert "estimate" in readme.read_text(encoding="utf-8").lower()


def test_default_pathway_is_real_enough() -> None:
    pathway = load_pathway()
    assert [s.id for s in pathway.stages] == [
        "advancing-disease",
        "increasing-decline",
        "last-days",
        "after-death",
    ]
    assert len(pathway.roles()) >= 8
    assert pathway.cohort.population == 250_000
    assert pathway.cohort.size == pytest.approx(250_000 * 9.5 / 1000 * 0.75)
    settings = {service.setting for _, service in pathway.services()}
    assert {"home", "hospice", "telephone"} <= settings
    assert all(stage.outcomes for stage in pathway.stages)
    assert all(stage.standards for stage in pathway.stages)
    # genuinely uncertain numbers are given as distributions
    model = compile_model(pathway, load_tariff())
    assert any(p.uncertain for p in model.parameters)


GSF_PROGNOSIS = {"A": "years", "B": "months", "C": "weeks", "D": "days"}
"""The Gold Standards Framework's needs stages and the prognosis each stands for."""
GSF_STAGE = re.compile(r"\b([A-D]) \((years|months|weeks|days)\b")


@pytest.mark.parametrize("folder", PATHWAYS, ids=[p.name for p in PATHWAYS])
def test_gsf_needs_stages_match_their_prognosis(folder: Path) -> None:
    for path in sorted(folder.glob("*.yaml")):
        # join comment lines, so that "stage C\n# (weeks)" reads as one phrase
        text = " ".join(re.sub(r"\n\s*#", " ", path.read_text(encoding="utf-8")).split())
        for letter, prognosis in GSF_STAGE.findall(text):
            assert prognosis == GSF_PROGNOSIS[letter], f"{path.name}: GSF {letter} is {prognosis}"


def test_default_pathway_moves_between_stages_at_the_right_gsf_stage() -> None:
    stages = {stage.id: stage for stage in load_pathway().stages}

    def gsf(criteria: tuple[str, ...]) -> list[str]:
        return [c.split("GSF needs stage ")[1][0] for c in criteria if "GSF needs stage " in c]

    assert gsf(stages["advancing-disease"].exit_criteria) == ["B"]
    assert gsf(stages["increasing-decline"].entry_criteria) == ["B"]
    assert gsf(stages["increasing-decline"].exit_criteria) == ["D"]
    assert gsf(stages["last-days"].entry_criteria) == ["D"]


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_every_tariff_row_has_a_source_and_estimates_say_so() -> None:
    for path in sorted((PROFILES / "tariffs").glob("*.csv")):
        if path == bundled_index():
            continue
        for number, row in enumerate(_rows(path), start=2):
            source = row.get("source", "").strip()
            assert source, f"{path.name}:{number} has no source"
            if not source.lower().startswith("estimate"):
                # a found figure cites its publication, with a year
                assert YEAR.search(source), f"{path.name}:{number}: cite the source's year"


def test_shipped_tariff_matches_the_pathway(shipped_tariff: Tariff) -> None:
    pathway: Pathway = load_pathway()
    assert {r.price_year for r in shipped_tariff.values()} == {pathway.price_year}
    used = set(pathway.roles()) | set(pathway.item_codes())
    assert set(shipped_tariff) == used, "the bundled tariff holds exactly the codes it needs"
    assert bundled_tariff().is_file()


def test_price_index_rows_have_sources() -> None:
    index = load_price_index()
    for year, source in index.sources.items():
        assert source, year
    for row in _rows(bundled_index()):
        if not row["source"].lower().startswith("estimate"):
            assert "NHS Cost Inflation Index" in row["source"]
