"""Condition variants compare like with like (issue 15): per patient by default, the
cohorts side by side, and a plain note (and ``cohorts_differ``) when they differ."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from scenario_cases import BASE_ARGS, CHANGES, DATA

from careprofiles.cli import main
from careprofiles.cli.compare import comparison_table
from careprofiles.costing.compare import compare
from careprofiles.costing.result import cost
from careprofiles.profiles.load import load_pathway
from careprofiles.tariffs.tables import load_tariff

# the 'add' scenario by hand (tests/costing/test_scenario_apply.py): 0.9 reach x 0.25
# uptake x 3 a week x 2 weeks x 8 hours x £35 = £378 more per patient
EXTRA = 0.9 * 0.25 * (3 * 2) * (480 / 60) * 35
VARIANT = """\
format: careprofiles/1
scenarios:
  - id: variant
    name: A condition variant
    changes:
      - set: cohort/patients
        to: 150
      - add: late
        service:
          id: night-sitting
          setting: home
          uptake: 0.25
          contacts: {per_week: 3, minutes: 480}
          staff:
            - role: hca
"""


@pytest.fixture
def variant_file(tmp_path: Path) -> Path:
    path = tmp_path / "variant.yaml"
    path.write_text(VARIANT, encoding="utf-8")
    return path


def test_a_variant_with_its_own_cohort_is_compared_per_patient(variant_file: Path) -> None:
    pathway, tariff = load_pathway(DATA / "base"), load_tariff(DATA / "tariff.csv")
    baseline = cost(pathway, tariff)
    assert baseline.cohort == 600  # 100,000 x 10 / 1,000 x 0.6
    comparison = compare(pathway, tariff, variant_file)
    assert comparison.cohorts_differ
    row = comparison.table().set_index("id").loc["variant"]
    assert row["cohort"] == 150
    assert row["baseline_cohort"] == 600
    assert pytest.approx(378.0) == EXTRA
    assert row["delta_per_patient"] == pytest.approx(378.0)
    # like for like: the variant's 150 patients, £378 more each
    assert row["delta_total_same_cohort"] == pytest.approx(150 * 378.0)
    # the totals at two cohorts (kept, but not the headline): 150 x (p + 378) - 600 x p
    p = baseline.per_patient
    assert row["delta_total"] == pytest.approx(150 * (p + 378.0) - 600 * p)
    assert row["delta_total"] < 0 < row["delta_total_same_cohort"]
    data = comparison.to_dict()
    assert data["cohorts_differ"] is True
    entry = data["scenarios"][0]
    assert entry["delta_total_same_cohort"] == pytest.approx(150 * 378.0)
    hca = next(r for r in entry["roles"] if r["role"] == "hca")
    base_hca = next(r for r in data["baseline"]["roles"] if r["role"] == "hca")
    # per cohort patient, the night sitting's hca hours: £378 more
    assert hca["delta_per_patient"] == pytest.approx(378.0)
    assert hca["per_patient"] - base_hca["per_patient"] == pytest.approx(378.0)


def test_the_table_says_plainly_when_cohorts_differ(variant_file: Path) -> None:
    pathway, tariff = load_pathway(DATA / "base"), load_tariff(DATA / "tariff.csv")
    text = comparison_table(compare(pathway, tariff, variant_file))
    flat = " ".join(text.split())
    assert "Cohorts differ: variant 150 patients a year against the baseline's 600" in flat
    assert "compare the cost per patient" in flat
    lines = text.splitlines()
    row = next(line for line in lines if line.startswith("variant "))
    # cohort, per patient change and the same-patients change a year, side by side
    assert " 150 " in row
    assert "+£378 " in row
    assert row.rstrip().endswith(f"+£{150 * 378:,.0f}")


def test_same_cohorts_say_nothing_of_cohorts(capsys: pytest.CaptureFixture[str]) -> None:
    pathway, tariff = load_pathway(DATA / "base"), load_tariff(DATA / "tariff.csv")
    comparison = compare(pathway, tariff, CHANGES, ids=["add"])
    assert not comparison.cohorts_differ
    row = comparison.table().set_index("id").loc["add"]
    assert row["delta_total"] == pytest.approx(600 * 378.0)
    assert row["delta_total_same_cohort"] == pytest.approx(row["delta_total"])
    assert "Cohorts differ" not in comparison_table(comparison)
    assert main(["compare", *BASE_ARGS, "--scenarios", str(CHANGES), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    # the 'cohort' scenario sets 500 patients: the file as a whole has differing cohorts
    assert data["cohorts_differ"] is True
