"""Every object an analyst meets has a short ``__repr__`` (a line, not a dump) and a
``_repr_html_`` with its headline table (``careprofiles.outputs.reprs``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import parse_html

import careprofiles as cp
from careprofiles.outputs.reprs import HTML_ROWS

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
AUDIT = EXAMPLES / "audit"


@pytest.fixture(scope="module")
def objects() -> dict[str, Any]:
    p = cp.load_pathway()
    t = cp.load_tariff()
    return {
        "Pathway": p,
        "Tariff": t,
        "CostResult": cp.cost(p, t),
        "Comparison": cp.compare(p, t, EXAMPLES / "scenarios" / "service-models.yaml"),
        "SimulationResult": cp.simulate(p, t, draws=200, seed=7),
        "SensitivityResult": cp.sensitivity(p, t),
        "AuditResult": cp.audit(p, t, AUDIT / "activity.csv", AUDIT / "outcomes.csv"),
        "BenchmarkResult": cp.benchmark_areas(
            p, t, AUDIT / "activity.csv", AUDIT / "populations.csv", AUDIT / "outcomes.csv"
        ),
        "StandardsResult": cp.assess_standards(
            cp.load_assessments(EXAMPLES / "standards" / "practices.csv")
        ),
    }


KINDS = [
    "Pathway",
    "Tariff",
    "CostResult",
    "Comparison",
    "SimulationResult",
    "SensitivityResult",
    "AuditResult",
    "BenchmarkResult",
    "StandardsResult",
]


@pytest.mark.parametrize("kind", KINDS)
def test_the_repr_is_short(objects: dict[str, Any], kind: str) -> None:
    text = repr(objects[kind])
    assert text.startswith(f"<{kind} "), text
    assert text.endswith(">"), text
    assert len(text.splitlines()) <= 10
    assert len(text) <= 400, text
    for dump in ("DataFrame", "dtype", "Series", "TariffRow(", "Stage("):
        assert dump not in text


@pytest.mark.parametrize("kind", KINDS)
def test_the_html_is_a_headline_table(objects: dict[str, Any], kind: str) -> None:
    page = objects[kind]._repr_html_()
    assert "<table" in page
    parsed = parse_html(page)
    assert parsed.tables
    assert parsed.headings
    if kind != "CostResult":  # the cost result has its own tables (test_display.py)
        for table in parsed.tables:
            assert len(table) <= HTML_ROWS + 1  # a header and the first rows, not a dump


def test_the_figures_shown(objects: dict[str, Any]) -> None:
    c = objects["Comparison"]
    assert repr(c).startswith(
        "<Comparison 'eol-adult' (2024/25 prices): baseline £17,932 a patient; 6 scenarios"
    )
    table = parse_html(c._repr_html_()).tables[0]
    assert table[0][:4] == ["scenario", "name", "cohort", "per patient"]
    assert table[1][:4] == ["baseline", "Baseline", "1,781", "£17,932"]
    assert [row[0] for row in table[2:]] == [s.id for s, _ in c.scenarios]

    t = objects["Tariff"]
    assert repr(t) == "<Tariff 26 rows (2024/25 prices) from bundled national tariff 2024/25>"
    page = t._repr_html_()
    assert "... and 14 more rows." in page  # 26 rows, 12 shown
    assert parse_html(page).tables[0][1][:4] == ["gp", "hour", "£118.00", "2024/25"]

    p = parse_html(objects["Pathway"]._repr_html_()).tables[0]
    assert [row[0] for row in p[1:]] == [
        "advancing-disease",
        "increasing-decline",
        "last-days",
        "after-death",
    ]
    assert p[4][2:4] == ["52", "100%"]  # after death: 52 weeks, reached by everyone

    s = objects["SensitivityResult"]
    top = s.rows.iloc[0]
    assert str(top["parameter"]) in repr(s)
    assert parse_html(s._repr_html_()).tables[0][1][0] == top["parameter"]

    sim = objects["SimulationResult"]
    assert "200 draws, seed 7" in repr(sim)
    measures = [row[0] for row in parse_html(sim._repr_html_()).tables[0][1:]]
    assert measures[:2] == ["per_patient", "total"]
    assert "cohort" not in measures

    b = parse_html(objects["BenchmarkResult"]._repr_html_()).tables[0]
    assert len(b) == 1 + 5  # five areas
    assert "<StandardsResult 'supportive-palliative-care-primary': 2 practices" in repr(
        objects["StandardsResult"]
    )
    assert "23,355 activity rows, 110 patients" in repr(objects["AuditResult"])


def test_names_are_escaped(objects: dict[str, Any]) -> None:
    pathway = objects["Pathway"].model_copy(update={"name": "<b>Ours</b> & theirs"})
    page = pathway._repr_html_()
    assert "<b>Ours" not in page
    assert "&lt;b&gt;Ours&lt;/b&gt; &amp; theirs" in page


def test_a_long_pathway_keeps_its_repr_short(objects: dict[str, Any]) -> None:
    pathway = objects["Pathway"]
    long = pathway.model_copy(update={"name": "x" * 500, "stages": pathway.stages * 50})
    text = repr(long)
    assert len(text) <= 400, text
    assert text.endswith(", ... (200 stages)>")
    assert "advancing-disease, increasing-decline, last-days, after-death" in text
