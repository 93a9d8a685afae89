"""Workbooks print-ready (issue 15): money as money, counts as integers, headline figures
formatted, A4 landscape fitted to width with the header repeated and frozen, and the
bundled cost workbook printing in fewer than 15 pages."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from careprofiles.cli import main
from careprofiles.costing.result import CostResult
from careprofiles.outputs.tables import write_xlsx
from careprofiles.outputs.workbook_layout import (
    COUNT,
    HOURS,
    MARGINS_INCHES,
    PENCE,
    PERCENT,
    POUNDS,
    cell_lines,
    column_format,
    headline_format,
)

openpyxl = pytest.importorskip("openpyxl")

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

# ------------------------------------------------------------------ the page estimate
#
# LibreOffice is not available to count pages, so they are estimated from the page
# set-up the workbook carries, the way a spreadsheet lays a sheet out with "fit to 1
# page wide, as many tall as needed":
#
# - The printable area of A4 landscape (297 x 210 mm = 841.9 x 595.3 pt) is the page less
#   the sheet's own margins (read from the workbook, in inches: 72 pt each).
# - A column of width w (Excel's unit: characters of the default font's digit, 7 px at
#   Calibri 11) is 7w + 5 pixels, 0.75 pt a pixel.
# - Fit to width scales the whole sheet by s = min(1, printable width / the columns'
#   width) (never below Excel's floor of 10%).
# - A row is its set height, or 15 pt; scaled by s. The header row prints on every page
#   (print titles), so each page holds header + as many whole rows as fit below it.
# - Only the print area prints (a reference sheet: its header row); a sheet takes at
#   least one page.

A4_LANDSCAPE = (841.9, 595.3)


def _points(width_characters: float) -> float:
    return (7 * width_characters + 5) * 0.75


def estimate_pages(ws: Any) -> tuple[int, float]:
    """The pages sheet ``ws`` prints on, and the scale it prints at."""
    from openpyxl.utils import get_column_letter, range_boundaries

    m = ws.page_margins
    width = A4_LANDSCAPE[0] - 72 * (m.left + m.right)
    height = A4_LANDSCAPE[1] - 72 * (m.top + m.bottom)
    area = ws.print_area
    if isinstance(area, list | tuple):
        area = area[0]
    first_col, _first_row, last_col, last_row = range_boundaries(area.split("!")[-1])
    columns = sum(
        _points(ws.column_dimensions[get_column_letter(c)].width or 8.43)
        for c in range(first_col, last_col + 1)
    )
    scale = max(0.1, min(1.0, width / columns))

    def row_height(r: int) -> float:
        return (ws.row_dimensions[r].height or 15.0) * scale

    header = row_height(1)
    pages, used = 1, header
    for r in range(2, last_row + 1):
        h = row_height(r)
        if used + h > height:
            pages, used = pages + 1, header
        used += h
    return pages, scale


def _book(tmp_path: Path, *argv: str) -> Any:
    out = tmp_path / "book.xlsx"
    assert main([*argv, "-o", str(out)]) == 0
    return openpyxl.load_workbook(out)


def _formats(ws: Any) -> dict[str, set[str]]:
    """Each column's number formats, over its numeric cells."""
    header = [c.value for c in ws[1]]
    out: dict[str, set[str]] = {}
    for row in ws.iter_rows(min_row=2):
        for name, cell in zip(header, row, strict=True):
            if isinstance(cell.value, int | float) and not isinstance(cell.value, bool):
                out.setdefault(name, set()).add(cell.number_format)
    return out


# ------------------------------------------------------------------ the rules


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("per_patient", PENCE),
        ("cost_per_patient_receiving", PENCE),
        ("expected_cost_per_patient", PENCE),
        ("unit_cost", PENCE),
        ("delta_per_patient", PENCE),
        ("total", POUNDS),
        ("cost_population", POUNDS),
        ("delta_total_same_cohort", POUNDS),
        ("cost", POUNDS),
        ("actual_cost", POUNDS),
        ("patients", COUNT),
        ("cohort", COUNT),
        ("baseline_cohort", COUNT),
        ("records", COUNT),
        ("hours_per_wte", COUNT),
        ("hours", HOURS),
        ("expected_hours_per_patient", HOURS),
        ("wte", HOURS),
        ("share_of_total", PERCENT),
        ("reach", PERCENT),
        ("actual_uptake", PERCENT),
        ("minutes", None),
        ("contacts", None),
        (3, None),
    ],
)
def test_column_formats_follow_the_columns_meaning(name: Any, fmt: str | None) -> None:
    assert column_format(name) == fmt


def test_a_column_named_in_pence_is_in_pence() -> None:
    assert column_format("cost", frozenset({"cost"})) == PENCE


def test_headline_figures_by_measure() -> None:
    assert headline_format("cost per patient") == PENCE
    assert headline_format("population cost a year") == POUNDS
    assert headline_format("cohort (patients a year)") == COUNT
    assert headline_format("price year") is None


def test_cell_lines_wraps_at_spaces() -> None:
    assert cell_lines("abc def", 7) == 1
    assert cell_lines("abc defg", 7) == 2
    assert cell_lines("a " * 10, 3) == 5  # "a a" a line
    assert cell_lines("x" * 50, 10) == 1  # one long word: one line (it overflows)
    assert cell_lines("a\nb", 40) == 2


# ------------------------------------------------------------------ the cost workbook


@pytest.fixture(scope="module")
def cost_book(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return _book(tmp_path_factory.mktemp("cost"), "cost")


def test_cost_workbook_money_counts_and_shares(cost_book: Any) -> None:
    stages = _formats(cost_book["stages"])
    assert stages["per_patient"] == {PENCE}
    assert stages["total"] == {POUNDS}
    assert stages["patients"] == {COUNT}
    assert stages["share_of_total"] == {PERCENT}
    assert stages["reach"] == {PERCENT}
    roles = _formats(cost_book["roles"])
    assert roles["cost"] == {POUNDS}  # a role's cost is its population cost a year
    assert roles["per_patient"] == {PENCE}
    assert roles["hours"] == {HOURS}
    assert roles["hours_per_wte"] == {COUNT}
    tariff = _formats(cost_book["tariff"])
    assert tariff["cost"] == {PENCE}  # a tariff's cost is a unit cost
    lines = _formats(cost_book["lines"])
    assert lines["unit_cost"] == {PENCE}
    assert lines["cost_population"] == {POUNDS}
    assert lines["patients"] == {COUNT}


def test_cost_workbook_headline_figures(cost_book: Any, default_cost: CostResult) -> None:
    rows = {r[0].value: r[1] for r in cost_book["summary"].iter_rows(min_row=2)}
    assert rows["cost per patient"].number_format == PENCE
    assert rows["population cost a year"].number_format == POUNDS
    assert rows["cohort (patients a year)"].number_format == COUNT
    # the figures themselves are as before, unrounded
    assert rows["cost per patient"].value == pytest.approx(default_cost.per_patient, rel=1e-15)
    assert rows["cohort (patients a year)"].value == 1781.25


def test_every_sheet_is_set_up_for_print(cost_book: Any) -> None:
    for ws in cost_book.worksheets:
        setup = ws.page_setup
        assert setup.orientation == "landscape", ws.title
        assert int(setup.paperSize) == int(ws.PAPERSIZE_A4) == 9
        assert ws.sheet_properties.pageSetUpPr.fitToPage is True
        assert (int(setup.fitToWidth), int(setup.fitToHeight)) == (1, 0)
        assert ws.print_title_rows == "$1:$1"
        assert ws.freeze_panes == "A2"
        assert "&P of &N" in ws.oddFooter.right.text
        assert "Adult end of life care" in ws.oddHeader.left.text
        assert ws.page_margins.left == MARGINS_INCHES["left"]


def test_reference_sheets_print_their_header_only(cost_book: Any) -> None:
    for name in ("lines", "inputs", "tariff"):
        ws = cost_book[name]
        assert ws.print_area.endswith("$1"), ws.print_area
        assert "reference sheet" in ws.oddFooter.center.text
        assert ws.max_row > 20  # every row is still in the sheet
    assert cost_book["services"].print_area.endswith(f"${cost_book['services'].max_row}")


def test_long_text_wraps_and_its_row_is_as_tall_as_its_lines(cost_book: Any) -> None:
    ws = cost_book["roles"]
    header = [c.value for c in ws[1]]
    col = header.index("description") + 1
    gp = ws.cell(row=2, column=col)
    assert gp.alignment.wrap_text is True
    assert ws.column_dimensions["B"].width == 42
    assert ws.row_dimensions[2].height == 15 * cell_lines(gp.value, 40)


def test_cost_workbook_prints_in_fewer_than_15_pages(cost_book: Any) -> None:
    pages = {ws.title: estimate_pages(ws) for ws in cost_book.worksheets}
    total = sum(p for p, _ in pages.values())
    assert total < 15, pages
    # and readably: no sheet that prints rows is shrunk below half size
    for name, (_p, scale) in pages.items():
        if name not in ("lines", "inputs", "tariff"):
            assert scale >= 0.5, (name, scale)


def test_the_estimate_counts_pages(tmp_path: Path) -> None:
    """The estimate itself, on a sheet whose pages are known: 100 rows of one narrow
    column at 100%: (595.3 - 72 * 1.2) pt = 508.9 pt a page, 15 pt a row, so a page
    holds the header and 32 rows (33 * 15 = 495): 100 rows take 4 pages."""
    import pandas as pd

    path = tmp_path / "n.xlsx"
    write_xlsx({"n": pd.DataFrame({"n": range(100)})})(path)
    pages, scale = estimate_pages(openpyxl.load_workbook(path)["n"])
    assert (pages, scale) == (4, 1.0)


# ------------------------------------------------------------------ audit and benchmark


def test_audit_workbook_formats_and_print(tmp_path: Path) -> None:
    book = _book(
        tmp_path,
        "audit",
        "--activity",
        str(EXAMPLES / "audit" / "activity.csv"),
        "--outcomes",
        str(EXAMPLES / "audit" / "outcomes.csv"),
    )
    stages = _formats(book["stages"])
    assert stages["patients"] == {COUNT}
    assert stages["rows"] == {COUNT}
    assert stages["actual_cost_per_patient"] == {PENCE}
    assert stages["actual_cost"] == {POUNDS}
    assert stages["actual_hours_per_patient"] == {HOURS}
    assert _formats(book["outcomes"])["completeness"] == {PERCENT}
    for ws in book.worksheets:
        assert ws.page_setup.orientation == "landscape"
        assert ws.print_title_rows == "$1:$1"
        assert ws.freeze_panes == "A2"


def test_benchmark_writes_a_workbook(tmp_path: Path) -> None:
    book = _book(
        tmp_path,
        "benchmark",
        "--activity",
        str(EXAMPLES / "audit" / "activity.csv"),
        "--outcomes",
        str(EXAMPLES / "audit" / "outcomes.csv"),
        "--populations",
        str(EXAMPLES / "audit" / "populations.csv"),
    )
    assert book.sheetnames == ["summary", "areas", "outcomes", "About"]  # About: the manifest
    areas = _formats(book["areas"])
    assert areas["cost_per_patient"] == {PENCE}
    assert areas["cost_lower_95"] == {PENCE}  # a limit on the cost per patient
    assert areas["cost"] == {POUNDS}
    assert areas["population"] == {COUNT}
    rows = {r[0].value: r[1] for r in book["summary"].iter_rows(min_row=2)}
    assert rows["patients"].value == 110
    assert rows["cost per patient"].number_format == PENCE
    for ws in book.worksheets:
        assert ws.page_setup.orientation == "landscape"
        pages, _ = estimate_pages(ws)
        assert pages >= 1
    assert math.isclose(rows["cost per patient"].value, 18119.878092424242)
