"""Shared cases of the scenario tests: the files in tests/data/scenarios, the baseline,
and helpers."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from careprofiles.costing.result import CostResult
from careprofiles.profiles.load import load_pathway
from careprofiles.tariffs.tables import load_tariff

DATA = Path(__file__).resolve().parents[1] / "data" / "scenarios"
CHANGES = DATA / "changes.yaml"
REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples" / "scenarios"
BASE_ARGS = (str(DATA / "base"), "--tariff", str(DATA / "tariff.csv"))
"""The command-line arguments naming the baseline pathway and its tariff."""


def assert_same_costs(got: CostResult, expected: CostResult) -> None:
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


BASE_PATHWAY = load_pathway(DATA / "base")
BASE_TARIFF = load_tariff(DATA / "tariff.csv")


def as_yaml(x: float) -> str:
    """A float as YAML reads it back exactly (YAML 1.1 reads '5e-324' as text)."""
    return yaml.safe_dump(x).split("\n")[0]


def scenario_file(folder: Path, changes: str) -> Path:
    path = folder / "s.yaml"
    path.write_text(
        "format: careprofiles/1\nscenarios:\n  - id: s\n    name: S\n    changes:\n" + changes,
        encoding="utf-8",
    )
    return path
