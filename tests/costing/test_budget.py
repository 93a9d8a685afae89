"""The contract-period budget (issue 15): the header's years give a year-by-year budget
with the price index applied, in ``cost --period``, the cost workbook and the spec."""

from __future__ import annotations

from pathlib import Path

import pytest

from careprofiles.cli import main
from careprofiles.costing.budget import contract_budget, contract_years
from careprofiles.costing.result import CostResult
from careprofiles.errors import CareProfilesError
from careprofiles.tariffs.tables import PriceIndex, load_price_index

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
THREE = ("2025/26", "2026/27", "2027/28")


@pytest.mark.parametrize(
    "period",
    [
        "1 April 2025 to 31 March 2028",
        "2025-04-01 to 2028-03-31",
        "2025/26 to 2027/28",
        "2025-2028",
        "2025\u20132028",
        "April 2025 - March 2028",
    ],
)
def test_contract_years(period: str) -> None:
    assert contract_years(period) == THREE


def test_contract_years_edges() -> None:
    assert contract_years("To be agreed") == ()
    assert contract_years("1 January 2025 to 31 December 2025") == ("2024/25", "2025/26")
    with pytest.raises(ValueError, match="one date"):
        contract_years("from 1 April 2025")
    with pytest.raises(ValueError, match="ends before it begins"):
        contract_years("2028/29 to 2025/26")
    with pytest.raises(ValueError, match="not a financial year"):
        contract_years("2025/27 to 2027/28")
    with pytest.raises(ValueError, match="at most 25"):
        contract_years("2000-2099")


def test_the_budget_applies_the_index_and_projects_past_it(default_cost: CostResult) -> None:
    # bundled index: 2024/25 = 100, 2025/26 = 103.5 (its last year): the last change is
    # x1.035, so 2026/27 is 1.035^2 and 2027/28 1.035^3 of the 2024/25 cost
    budget = contract_budget(default_cost, "1 April 2025 to 31 March 2028", load_price_index())
    assert list(budget.rows["year"]) == list(THREE)
    assert list(budget.rows["factor"]) == pytest.approx([1.035, 1.035**2, 1.035**3])
    assert budget.rows["total"][0] == pytest.approx(default_cost.total * 1.035)
    assert budget.rows["per_patient"][2] == pytest.approx(default_cost.per_patient * 1.035**3)
    assert budget.total == pytest.approx(default_cost.total * (1.035 + 1.035**2 + 1.035**3))
    assert budget.rows["basis"][0] == "price index"
    assert budget.projected == ("2026/27", "2027/28")
    assert "1.035 a year" in budget.rows["basis"][1]


def test_the_budget_within_the_index(default_cost: CostResult) -> None:
    index = PriceIndex({"2024/25": 100.0, "2025/26": 110.0, "2026/27": 121.0})
    budget = contract_budget(default_cost, "2024/25 to 2026/27", index)
    assert list(budget.rows["factor"]) == pytest.approx([1.0, 1.1, 1.21])
    assert budget.projected == ()


def test_the_budget_refuses_what_it_cannot_price(default_cost: CostResult) -> None:
    with pytest.raises(CareProfilesError, match="has no 2024/25"):
        contract_budget(default_cost, "2025-2028", PriceIndex({"2025/26": 1.0}))
    with pytest.raises(CareProfilesError, match="names no year"):
        contract_budget(default_cost, "To be agreed", load_price_index())
    index = PriceIndex({"2024/25": 100.0, "2025/26": 103.5})
    with pytest.raises(CareProfilesError, match="has no 2019/20"):
        contract_budget(default_cost, "2019/20 to 2020/21", index)


def test_cost_period_on_screen_and_in_json(
    capsys: pytest.CaptureFixture[str], default_cost: CostResult
) -> None:
    assert main(["cost", "--period", "1 April 2025 to 31 March 2028"]) == 0
    out = capsys.readouterr().out
    assert "Budget over the contract period (1 April 2025 to 31 March 2028)" in out
    total = default_cost.total * (1.035 + 1.035**2 + 1.035**3)
    assert f"£{total:,.0f}" in out
    assert "2026/27        1.0712" in out
    import json

    assert main(["cost", "--period", "2025-2028", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["budget"]["total"] == pytest.approx(total)
    assert data["per_patient"] == default_cost.per_patient  # the figures as before


def test_cost_period_bad_input(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "cost.xlsx"
    assert main(["cost", "--period", "2025", "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert "--period 2025: gives one date; give the start and the end" in err
    assert "Traceback" not in err
    assert not out.exists()
    assert main(["cost", "--period", "2025-2028", "--format", "csv"]) == 1
    assert "not in csv" in capsys.readouterr().err  # never silently left out


def test_cost_workbook_budget_sheet(tmp_path: Path, default_cost: CostResult) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    out = tmp_path / "cost.xlsx"
    assert main(["cost", "--period", "2025/26 to 2027/28", "-o", str(out)]) == 0
    book = openpyxl.load_workbook(out)
    assert book.sheetnames[:2] == ["summary", "budget"]
    ws = book["budget"]
    assert [c.value for c in ws[1]] == ["year", "factor", "basis", "cohort", "per_patient", "total"]
    assert [ws.cell(r, 1).value for r in range(2, 6)] == [*THREE, "Total"]
    assert ws.cell(5, 6).value == pytest.approx(default_cost.total * (1.035 + 1.035**2 + 1.035**3))
    assert ws.cell(2, 6).number_format == '"£"#,##0'
    assert ws.cell(2, 5).number_format == '"£"#,##0.00'
    assert ws.page_setup.orientation == "landscape"
    # without --period: no budget sheet (the workbook as before)
    plain = tmp_path / "plain.xlsx"
    assert main(["cost", "-o", str(plain)]) == 0
    assert "budget" not in openpyxl.load_workbook(plain).sheetnames


def test_the_specification_budget_from_the_header(tmp_path: Path) -> None:
    out = tmp_path / "spec.md"
    header = EXAMPLES / "templates" / "header.yaml"  # period: 1 April 2025 to 31 March 2028
    assert main(["spec", "--header", str(header), "-o", str(out)]) == 0
    text = out.read_text("utf-8")
    assert "Table: Budget for each year of the contract period" in text
    assert "| 2025/26 | 1.0350 |" in text
    assert "| 2026/27 (projected) | 1.0712 |" in text
    assert "2026/27, 2027/28 are past the price index" in text
    plain = tmp_path / "plain.md"
    assert main(["spec", "-o", str(plain)]) == 0
    assert "needs the contract period's start and end in the header" in plain.read_text("utf-8")
