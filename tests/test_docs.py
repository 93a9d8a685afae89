"""The docs: format.md is regenerated from the models; costing.md's example is recomputed."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import SupportsFloat, cast

import pytest
import yaml

from careprofiles.costing.result import CostResult, cost
from careprofiles.outputs.standards import render_standards
from careprofiles.profiles.load import load_pathway
from careprofiles.profiles.models import Contacts, Item, Outcome, Service, StaffLine, Stage
from careprofiles.profiles.reference import DOC, format_reference, main
from careprofiles.standards.assessments import load_assessments
from careprofiles.standards.framework import load_framework
from careprofiles.standards.result import assess_standards
from careprofiles.tariffs.tables import load_price_index, load_tariff

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_format_md_is_up_to_date() -> None:
    assert DOC == DOCS / "format.md"
    assert DOC.read_text(encoding="utf-8") == format_reference(), (
        "docs/format.md is stale: run python -m careprofiles.profiles.reference"
    )


def test_check_mode(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    page = tmp_path / "format.md"
    assert main(["--output", str(page)]) == 0
    assert main(["--check", "--output", str(page)]) == 0
    page.write_text(page.read_text(encoding="utf-8") + "edited\n", encoding="utf-8")
    assert main(["--check", "--output", str(page)]) == 1
    assert "out of date" in capsys.readouterr().out


@pytest.mark.parametrize("model", [Stage, Service, Contacts, StaffLine, Item, Outcome])
def test_every_key_is_documented(model: type[Stage]) -> None:
    text = format_reference()
    for name, field in model.model_fields.items():
        assert f"| `{name}` |" in text, name
        assert field.description, f"{model.__name__}.{name} needs a docstring"


def _block(text: str, after: str) -> str:
    """The body of the first fenced block after the line ``after``."""
    rest = text.split(f"\n{after}\n", 1)[1]
    return rest.split("```", 2)[1].split("\n", 1)[1]


def test_format_md_samples_cost_together(tmp_path: Path) -> None:
    """The page's sample stage, in its sample pathway.yaml, costs with its sample tariff."""
    text = (DOCS / "format.md").read_text(encoding="utf-8")
    stage = _block(text, "A small but complete stage file:")
    pathway = _block(text, "## pathway.yaml")
    tariff = _block(text, "## Tariff CSV")
    stage_id = yaml.safe_load(stage)["id"]
    pathway = re.sub(r"(?m)^stages: .*$", f"stages: [{stage_id}.yaml]", pathway)
    (tmp_path / f"{stage_id}.yaml").write_text(stage, encoding="utf-8")
    (tmp_path / "pathway.yaml").write_text(pathway, encoding="utf-8")
    (tmp_path / "tariff.csv").write_text(tariff, encoding="utf-8")
    loaded = load_pathway(tmp_path)
    result = cost(loaded, load_tariff(tmp_path / "tariff.csv"))
    staff = {line.role for service in loaded.stages[0].services for line in service.staff}
    assert staff == {"district-nurse", "healthcare-assistant"}
    assert set(result.by_role()["role"]) == staff
    assert result.per_patient > 0


# --------------------------------------------------------------------------------------
# costing.md: the worked example
# --------------------------------------------------------------------------------------

COSTING = DOCS / "costing.md"
FILE_BLOCK = re.compile(r"<!-- file: (?P<name>[\w.\-]+) -->\n```\w*\n(?P<body>.*?)```", re.S)


def _worked_example(folder: Path) -> CostResult:
    text = COSTING.read_text(encoding="utf-8")
    files = {m["name"]: m["body"] for m in FILE_BLOCK.finditer(text)}
    assert set(files) == {"pathway.yaml", "last-days.yaml", "after-death.yaml", "tariff.csv"}
    folder.mkdir()
    for name, body in files.items():
        (folder / name).write_text(body, encoding="utf-8")
    return cost(load_pathway(folder), load_tariff(folder / "tariff.csv"))


def _figures() -> dict[str, str]:
    text = COSTING.read_text(encoding="utf-8")
    table = text.split("<!-- figures -->", 1)[1].strip().split("\n\n", 1)[0]
    rows = [line.strip("|").split("|") for line in table.splitlines()[2:]]
    return {label.strip(): value.strip() for label, value in rows}


def _num(value: object) -> float:
    return float(cast(SupportsFloat, value))


def _line(result: CostResult, address: str, column: str) -> float:
    lines = result.lines.set_index("address")
    return _num(lines.loc[address, column])


def _service(result: CostResult, stage: str, service: str, column: str) -> float:
    table = result.by_service().set_index(["stage", "service"])
    return _num(table.loc[(stage, service), column])


def _stage(result: CostResult, stage: str, column: str) -> float:
    return _num(result.by_stage().set_index("stage").loc[stage, column])


def _role(result: CostResult, role: str, column: str) -> float:
    return _num(result.by_role().set_index("role").loc[role, column])


DN = "last-days/district-nursing/staff/"
COMPUTE: dict[str, Callable[[CostResult], float]] = {
    "last-days district-nursing contacts per patient receiving": lambda r: _line(
        r, DN + "district-nurse", "contacts"
    ),
    "last-days district-nursing district-nurse hours per patient receiving": lambda r: _line(
        r, DN + "district-nurse", "hours"
    ),
    "last-days district-nursing healthcare-assistant hours per patient receiving": (
        lambda r: _line(r, DN + "healthcare-assistant", "hours")
    ),
    "last-days district-nursing cost per patient receiving": lambda r: _service(
        r, "last-days", "district-nursing", "cost_per_patient_receiving"
    ),
    "last-days district-nursing cost per patient reaching the stage": lambda r: _service(
        r, "last-days", "district-nursing", "cost_per_patient_reached"
    ),
    "last-days anticipatory-medicines cost per patient reaching the stage": lambda r: _service(
        r, "last-days", "anticipatory-medicines", "cost_per_patient_reached"
    ),
    "last-days cost per patient reaching the stage": lambda r: _stage(
        r, "last-days", "per_patient_reached"
    ),
    "last-days cost per cohort patient": lambda r: _stage(r, "last-days", "per_patient"),
    "last-days cost a year": lambda r: _stage(r, "last-days", "total"),
    "after-death cost per patient receiving bereavement-support": lambda r: _service(
        r, "after-death", "bereavement-support", "cost_per_patient_receiving"
    ),
    "after-death cost per cohort patient": lambda r: _stage(r, "after-death", "per_patient"),
    "after-death cost a year": lambda r: _stage(r, "after-death", "total"),
    "pathway cost per patient": lambda r: r.per_patient,
    "pathway cost a year": lambda r: r.total,
    "district-nurse hours a year": lambda r: _role(r, "district-nurse", "hours"),
    "district-nurse WTE": lambda r: _role(r, "district-nurse", "wte"),
    "healthcare-assistant hours a year": lambda r: _role(r, "healthcare-assistant", "hours"),
    "healthcare-assistant WTE": lambda r: _role(r, "healthcare-assistant", "wte"),
    "counsellor hours a year": lambda r: _role(r, "counsellor", "hours"),
    "counsellor WTE": lambda r: _role(r, "counsellor", "wte"),
    "staff cost a year": lambda r: float(r.by_role()["cost"].sum()),
    "items cost a year": lambda r: float(r.by_item()["cost"].sum()),
    "counsellor at £65 in 2023/24, uplifted to 2024/25": lambda r: (
        65 * load_price_index().factor("2023/24", "2024/25")
    ),
    "pathway cost per patient with market forces 1.05": lambda r: (
        cost(r.pathway, r.tariff.with_market_forces(1.05)).per_patient
    ),
}


def _shown(value: float, like: str) -> str:
    """``value`` formatted as the page shows ``like``: pounds and pence, or n decimals."""
    money = like.startswith("£")
    decimals = len(like.split(".")[1]) if "." in like else 0
    text = f"{value:,.{decimals}f}"
    return f"£{text}" if money else text


def test_worked_example_figures(tmp_path: Path) -> None:
    result = _worked_example(tmp_path / "worked-example")
    figures = _figures()
    assert set(figures) == set(COMPUTE), "every figure on the page is checked"
    for label, shown in figures.items():
        assert _shown(COMPUTE[label](result), shown) == shown, label


def test_worked_example_prose_agrees(tmp_path: Path) -> None:
    result = _worked_example(tmp_path / "worked-example")
    text = COSTING.read_text(encoding="utf-8")
    assert f"**£{result.per_patient:,.2f} per patient**" in text
    assert f"**£{result.total:,.0f} a year**" in text


# --------------------------------------------------------------------------------------
# standards.md: what the JSON report and to_dict() hold
# --------------------------------------------------------------------------------------


def test_standards_md_says_what_to_dict_and_the_json_hold() -> None:
    text = (DOCS / "standards.md").read_text(encoding="utf-8")
    framework = load_framework()
    practices = load_assessments(DOCS.parent / "examples" / "standards", framework=framework)
    result = assess_standards(practices, framework)
    report = json.loads(render_standards(result, "json"))
    assert list(report) == ["framework", "summary", "practices", "warnings"]
    assert "`practices` and\n`warnings`" in text
    # the report names the files by their names, the warnings printed keep their paths
    assert report["warnings"] == [
        str(replace(p, file=Path(p.file).name)) if p.file else str(p) for p in result.warnings
    ]
    assert report["warnings"], "the examples show a warning"
    assert list(result.to_dict()) == ["framework", "summary", "practices"]
    assert "result.to_dict()     # framework, summary, practices: the JSON report but for" in text
    assert "`result.to_dict()` holds the rest (`framework`, `summary`, `practices`)" in text


# --------------------------------------------------------------------------------------
# The docs as a whole
# --------------------------------------------------------------------------------------

LINK = re.compile(r"\]\((?!https?://|#|mailto:)([^)#\s]+)(?:#[^)]*)?\)")


def test_index_links_every_page() -> None:
    index = (DOCS / "index.md").read_text(encoding="utf-8")
    linked = set(LINK.findall(index))
    pages = {p.name for p in DOCS.glob("*.md")} - {"index.md"}
    assert pages <= linked, f"add to docs/index.md: {sorted(pages - linked)}"


@pytest.mark.parametrize("page", sorted(p.name for p in DOCS.glob("*.md")))
def test_relative_links_resolve(page: str) -> None:
    text = (DOCS / page).read_text(encoding="utf-8")
    for target in LINK.findall(text):
        assert (DOCS / target).resolve().exists(), f"{page}: broken link to {target}"
