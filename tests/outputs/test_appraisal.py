"""Word options appraisals (issue 15): ``compare -o FILE.docx`` and ``simulate -o
FILE.docx``, read back with python-docx."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from careprofiles.cli import main
from careprofiles.costing.compare import compare
from careprofiles.costing.result import cost
from careprofiles.costing.scenarios import load_scenarios
from careprofiles.outputs.appraisal import NO_CHART, comparison_docx_writer
from careprofiles.outputs.text import format_money
from careprofiles.profiles.models import Pathway
from careprofiles.tariffs.tables import Tariff

docx = pytest.importorskip("docx")

SCENARIOS = Path(__file__).resolve().parents[2] / "examples" / "scenarios"


def _table(doc: Any, caption: str) -> list[list[str]]:
    """The rows of the table under the caption ``caption``."""
    body = doc.element.body
    captions = [p for p in doc.paragraphs if p.style.name == "Caption" and p.text == caption]
    assert captions, caption
    element = captions[0]._p.getnext()
    while element is not None and element.tag != docx.oxml.ns.qn("w:tbl"):
        element = element.getnext()
    assert element is not None
    assert element.getparent() is body
    table = docx.table.Table(element, doc)
    return [[c.text for c in row.cells] for row in table.rows]


@pytest.fixture(scope="module")
def appraisal(tmp_path_factory: pytest.TempPathFactory) -> Any:
    out = tmp_path_factory.mktemp("compare") / "options.docx"
    args = ["compare", "--scenarios", str(SCENARIOS / "service-models.yaml"), "-o", str(out)]
    assert main(args) == 0
    return docx.Document(str(out))


def test_compare_docx_sets_the_options_side_by_side(
    appraisal: Any, default_pathway: Pathway, default_tariff: Tariff
) -> None:
    comparison = compare(default_pathway, default_tariff, SCENARIOS / "service-models.yaml")
    section = appraisal.sections[0]
    assert round(section.page_width.mm) == 210
    assert round(section.page_height.mm) == 297
    assert appraisal.paragraphs[0].text == "Options appraisal: Adult end of life care"
    rows = _table(appraisal, "Cost per patient and a year, each option against the baseline")
    assert rows[0] == [
        "Option",
        "Patients a year",
        "Per patient",
        "Change per patient",
        "Change",
        "A year",
        "Change a year",
    ]
    assert len(rows) == 1 + 1 + len(comparison.scenarios)
    base = comparison.baseline
    assert rows[1][:3] == ["Baseline", "1,781", "£17,932.08"]
    assert rows[1][5] == format_money(base.total) == "£31,941,526"
    quarterly = next(r for s, r in comparison.scenarios if s.id == "quarterly-mdt")
    name = load_scenarios(SCENARIOS / "service-models.yaml").get("quarterly-mdt").name
    row = next(r for r in rows if r[0] == name)
    assert row[2] == format_money(quarterly.per_patient, pence=True) == "£17,781.08"
    delta = quarterly.per_patient - base.per_patient
    assert row[3] == format_money(delta, pence=True, plus=True)
    assert row[6] == format_money(quarterly.total - base.total, plus=True)


def test_compare_docx_by_funder_and_stage_by_name(appraisal: Any) -> None:
    funders = _table(appraisal, "Cost per cohort patient by funder (change from the baseline)")
    assert funders[0][:2] == ["Option", "NHS (ICB)"]
    assert funders[1][:2] == ["Baseline", "£14,875"]
    assert funders[2][1].endswith(")")  # the change in brackets
    stages = _table(appraisal, "Cost per cohort patient by stage (change from the baseline)")
    assert "Care in the last days of life" in stages[0]
    assert all("-" not in h or h == "Option" for h in stages[0][1:])  # names, not ids
    options = _table(appraisal, "The options and what each changes")
    assert options[1][:2] == ["Baseline", "the pathway as it is"]


def test_compare_docx_embeds_the_chart(appraisal: Any) -> None:
    pytest.importorskip("matplotlib")
    assert len(appraisal.inline_shapes) == 1
    assert NO_CHART not in [p.text for p in appraisal.paragraphs]


def test_compare_docx_says_when_cohorts_differ(tmp_path: Path) -> None:
    out = tmp_path / "variants.docx"
    args = [
        "compare",
        "--scenarios",
        str(SCENARIOS / "condition-variants.yaml"),
        "--tariff",
        "bundled",
        "--tariff",
        str(SCENARIOS / "variant-roles.csv"),
        "-o",
        str(out),
    ]
    assert main(args) == 0
    doc = docx.Document(str(out))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "cost other cohorts than the baseline's" in text
    rows = _table(doc, "Cost per patient and a year, each option against the baseline")
    assert rows[2][1] == "150"  # the heart failure cohort stands beside the baseline's
    # no yearly funder table at other cohorts: per patient only
    assert "Cost a year by funder (change from the baseline)" not in text


def test_compare_docx_without_a_chart(
    default_pathway: Pathway, default_tariff: Tariff, tmp_path: Path
) -> None:
    comparison = compare(default_pathway, default_tariff, SCENARIOS / "service-models.yaml")
    out = tmp_path / "c.docx"
    comparison_docx_writer(comparison, chart=False)(out)
    assert len(docx.Document(str(out)).inline_shapes) == 0


def test_simulate_docx_gives_the_interval_and_funders(
    tmp_path: Path, default_pathway: Pathway, default_tariff: Tariff
) -> None:
    out = tmp_path / "sim.docx"
    json_out = tmp_path / "sim.json"
    common = ["simulate", "--draws", "500", "--seed", "7"]
    assert main([*common, "-o", str(out)]) == 0
    assert main([*common, "-o", str(json_out)]) == 0
    import json

    data = json.loads(json_out.read_text("utf-8"))
    doc = docx.Document(str(out))
    rows = _table(doc, "Cost with its 95% interval (2.5th to 97.5th percentile of the draws)")
    assert rows[0] == ["Measure", "Base values", "Mean", "2.5%", "Median", "97.5%"]
    per = data["per_patient"]
    assert rows[1] == [
        "Cost per patient",
        format_money(per["deterministic"]),
        format_money(per["mean"]),
        format_money(per["p2.5"]),
        format_money(per["p50"]),
        format_money(per["p97.5"]),
    ]
    text = "\n".join(p.text for p in doc.paragraphs)
    assert f"95% interval {format_money(per['p2.5'])} to {format_money(per['p97.5'])}" in text
    stages = _table(doc, "Cost per cohort patient by stage, with its 95% interval")
    assert [r[0] for r in stages[1:]] == [s.label for s in default_pathway.stages]
    funders = _table(doc, "Cost by funder at base values")
    at_base = cost(default_pathway, default_tariff)
    assert funders[1][:2] == [
        "NHS (ICB)",
        format_money(at_base.by_funder()["per_patient"][0], pence=True),
    ]
    assert "/work" not in text
    assert "/tmp" not in text


def test_compare_docx_with_each_options_interval(
    tmp_path: Path, default_pathway: Pathway, default_tariff: Tariff
) -> None:
    from careprofiles.costing.simulate import simulate

    out = tmp_path / "intervals.docx"
    file = SCENARIOS / "service-models.yaml"
    args = ["compare", "--scenarios", str(file), "--scenario", "quarterly-mdt"]
    assert main([*args, "--draws", "300", "--seed", "5", "-o", str(out)]) == 0
    doc = docx.Document(str(out))
    rows = _table(doc, "Cost per patient with its 95% interval")
    assert rows[0] == ["Option", "Base values", "Mean", "2.5%", "97.5%"]
    # the baseline's interval is simulate's, with the same draws and seed
    base = simulate(default_pathway, default_tariff, 300, 5).summary().set_index("measure")
    assert rows[1] == [
        "Baseline",
        *(
            format_money(base.loc["per_patient", k])
            for k in ("deterministic", "mean", "p2.5", "p97.5")
        ),
    ]
    assert rows[2][0] == load_scenarios(file).get("quarterly-mdt").name
    assert rows[2][1] == "£17,781"
    assert "(seed 5, the same for every option)" in "\n".join(p.text for p in doc.paragraphs)


def test_compare_draws_only_for_the_word_appraisal(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    args = ["compare", "--scenarios", str(SCENARIOS / "service-models.yaml")]
    assert main([*args, "--draws", "10", "--seed", "1"]) == 1
    assert "--draws adds the options' intervals to -o FILE.docx" in capsys.readouterr().err
    out = tmp_path / "x.docx"
    assert main([*args, "--draws", "10", "-o", str(out)]) == 1
    assert "--draws and --seed go together" in capsys.readouterr().err
    assert not out.exists()
