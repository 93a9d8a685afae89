"""Evidence as data (issue 13): ``grade``/``source`` on numbers, counted by grade, and
the cost lines resting on estimates ranked by cost."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path

import pytest
from costing_cases import EARLY, LATE, PENNY, TARIFF

from careprofiles.costing.evidence import estimate_lines, grade_counts
from careprofiles.costing.result import CostResult, cost
from careprofiles.profiles.distributions import Fixed, Pert, grade_of
from careprofiles.profiles.load import load_pathway
from careprofiles.profiles.numbers import parse_uncertain
from careprofiles.tariffs.tables import load_tariff


def test_number_with_evidence_is_a_fixed_number() -> None:
    x = parse_uncertain({"value": 0.7, "grade": "estimate", "source": "local audit"})
    assert isinstance(x, Fixed)
    assert (x.base, x.grade, x.source) == (0.7, "estimate", "local audit")
    d = parse_uncertain({"dist": "pert", "low": 0, "mode": 1, "high": 2, "grade": "local-data"})
    assert isinstance(d, Pert)
    assert grade_of(d) == "local-data"
    assert grade_of(3.0) == ""


@pytest.mark.parametrize(
    "raw",
    [
        {"value": 1, "grade": "guess"},
        {"value": 1, "sauce": "x"},
        {"dist": "fixed", "value": 1, "other": 2},
        {"value": 1, "source": 5},
        {"grade": "estimate"},
    ],
)
def test_bad_evidence_refused(raw: dict[str, object]) -> None:
    import pydantic

    from careprofiles.profiles.models import Contacts

    with pytest.raises(pydantic.ValidationError):
        Contacts.model_validate({"per_week": 1, "minutes": raw})


@pytest.fixture
def graded(
    tmp_path: Path, write_pathway: Callable[..., Path], write_tariff: Callable[..., Path]
) -> CostResult:
    early = copy.deepcopy(EARLY)
    early["services"][0]["uptake"] = {"value": 0.8, "grade": "estimate"}  # visits
    late = copy.deepcopy(LATE)
    late["services"][0]["contacts"]["minutes"] = {
        "dist": "triangular",
        "low": 20,
        "mode": 30,
        "high": 40,
        "grade": "expert-consensus",
    }
    folder = write_pathway(tmp_path / "pw", stages=[early, late], cohort={"patients": 100})
    rows = [dict(r) for r in TARIFF]
    rows[5]["grade"] = "estimate"  # bed
    return cost(load_pathway(folder), load_tariff(write_tariff(tmp_path, rows)))


def test_graded_numbers_cost_as_before(graded: CostResult) -> None:
    assert graded.per_patient == pytest.approx(1619.50, abs=PENNY)


def test_grade_counts(graded: CostResult) -> None:
    counts = grade_counts(graded.pathway, graded.tariff).set_index("grade")
    assert counts.loc["estimate", "numbers"] == 1
    assert counts.loc["expert-consensus", "numbers"] == 1
    assert counts.loc["estimate", "tariff_rows"] == 1
    assert counts.loc["no grade", "tariff_rows"] == 5
    assert counts["numbers"].sum() == sum(
        1
        for _a, m, fs in __import__("careprofiles.profiles.parameters").profiles.parameters.walk(
            graded.pathway
        )
        for f in fs
        if getattr(m, f) is not None
    )


def test_estimate_lines_hand(graded: CostResult) -> None:
    # early/visits (uptake estimate): nurse £192, hca £96 per cohort patient;
    # late/beds (tariff row estimate): £135. Ranked by cost.
    lines = estimate_lines(graded)
    assert list(zip(lines["service"], lines["code"], strict=True)) == [
        ("visits", "nurse"),
        ("beds", "bed"),
        ("visits", "hca"),
    ]
    assert list(lines["per_patient"]) == pytest.approx([192.0, 135.0, 96.0], abs=PENNY)
    assert lines.loc[0, "estimated_inputs"] == "early/visits/uptake"
    assert lines.loc[1, "estimated_inputs"] == "tariff/bed"
    assert lines["share_of_total"].sum() == pytest.approx(423.0 / 1619.50)
    assert len(estimate_lines(graded, top=1)) == 1


def test_bundled_estimates_graded(default_cost: CostResult) -> None:
    counts = grade_counts(default_cost.pathway, default_cost.tariff).set_index("grade")
    assert counts.loc["estimate", "numbers"] >= 150
    assert counts.loc["no grade", "tariff_rows"] == 0
    assert default_cost.per_patient == pytest.approx(17_932.084665833332, abs=1e-6)
    lines = estimate_lines(default_cost)
    assert lines["per_patient"].is_monotonic_decreasing
