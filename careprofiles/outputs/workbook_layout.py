"""How a worksheet looks and prints: number formats by column, headline figures, page set-up.

:func:`write_xlsx <careprofiles.outputs.tables.write_xlsx>` writes the cells; this module
dresses each sheet afterwards, so that a workbook prints as a person reads it:

- :func:`column_format` gives a column's number format from its name: money in whole
  pounds for population totals (``£#,##0``), in pounds and pence for unit and per-patient
  costs (``£#,##0.00``), counts of patients and rows as integers, hours to a tenth,
  shares as percentages. Only the look changes: every cell keeps its full value.
- :func:`cell_lines` says how many lines a text takes in a column of a given width.
- :func:`headline_format` formats the value of a ``measure, value`` sheet (a summary) by
  the measure it is.
- :func:`print_setup` lays a sheet out for A4: landscape, fitted to one page wide (as many
  tall as it takes), the header row repeated on every page and frozen on screen, and a
  footer with the sheet's name and the page number. A reference sheet
  (:class:`SheetLayout` ``reference``: a cost's lines and inputs, the tariff) prints its
  header row and a footer saying its rows are on screen.

Imports: openpyxl (inside :func:`print_setup`, when a workbook is written) and the
standard library; nothing of careprofiles.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "COUNT",
    "HOURS",
    "LINE_HEIGHT",
    "MARGINS_INCHES",
    "PENCE",
    "PERCENT",
    "POUNDS",
    "RATE",
    "TEXT_WIDTH",
    "SheetLayout",
    "cell_lines",
    "column_format",
    "display_width",
    "headline_format",
    "print_setup",
    "sheet_layout",
]

POUNDS = '"£"#,##0'
"""Money in whole pounds: population totals, budgets."""
PENCE = '"£"#,##0.00'
"""Money in pounds and pence: unit costs and costs per patient."""
COUNT = "#,##0"
"""A count: patients, rows, records (a cohort of 1,781.25 shows as 1,781)."""
HOURS = "#,##0.0"
"""Hours and whole-time equivalents, to a tenth."""
PERCENT = "0.0%"
"""A share, uptake, reach or achievement (0.65 shows as 65.0%)."""

RATE = "#,##0.00"
"""A rate per 1,000 population that is not money (patients per 1,000)."""

_COUNT = re.compile(
    r"^(patients|patients_receiving|patients_with_value|.*_patients|cohort|baseline_cohort|"
    r"population|rows|records|staff_rows_without_minutes|count|hours_per_wte|draws)$"
)
_HOURS = re.compile(r"(^|_)(hours|wte)($|_)")
_PENCE = re.compile(r"(^|_)(per_patient|unit_cost|original_cost)($|_)")
_POUNDS = re.compile(r"(^|_)(cost|total|budget)($|_)")
_PERCENT = re.compile(r"^(share|share_of_total|reach|uptake|.*_uptake|completeness|change)$")


def column_format(name: Any, pence: frozenset[str] = frozenset()) -> str | None:
    """The number format of a column called ``name`` (None: as the number is). Money
    columns in ``pence`` are in pounds and pence whatever their name (a tariff's ``cost``
    is a unit cost; a role's ``cost`` a population total). Hours come before money
    (``expected_hours_per_patient`` is hours), counts before hours (``hours_per_wte``)."""
    if not isinstance(name, str):
        return None
    if name in pence:
        return PENCE
    if _COUNT.match(name):
        return COUNT
    if _HOURS.search(name):
        return HOURS
    if _PERCENT.match(name):
        return PERCENT
    if _PENCE.search(name):
        return PENCE
    if _POUNDS.search(name):
        return POUNDS
    if name.endswith("per_1000"):
        return RATE
    return None


def headline_format(measure: Any) -> str | None:
    """The number format of a summary's figure for ``measure`` (``cost per patient``:
    pounds and pence; ``population cost a year``: whole pounds; ``cohort (patients a
    year)``: a count); None for a measure that is not money or a count."""
    if not isinstance(measure, str):
        return None
    text = measure.lower()
    if "per patient" in text:
        return PENCE
    if "cost" in text or "budget" in text or "£" in text:
        return POUNDS
    if re.search(r"\b(cohort|patients|population|draws|records)\b", text):
        return COUNT
    return None


@dataclass(frozen=True)
class SheetLayout:
    """How one sheet prints, beyond the defaults: ``pence`` names money columns in pounds
    and pence whatever their name; ``reference`` marks a sheet kept for looking things up
    on screen (a cost's lines and inputs, the tariff: too long or too wide to read on
    paper), which prints as its header row and a footer saying where its rows are; on
    the other sheets long text wraps within its column. ``print_rows`` prints only the
    first so many rows of a sheet sorted most important first (a cost's estimates, most
    costly first), with a footer that says so."""

    pence: frozenset[str] = field(default_factory=frozenset)
    reference: bool = False
    print_rows: int | None = None


TEXT_WIDTH = 40
"""The widest a text column is (characters); longer text wraps onto more lines."""
LINE_HEIGHT = 15.0
"""The height of one line of a row, in points (Excel's for its default 11-point font)."""


MARGINS_INCHES = {
    "left": 0.4,
    "right": 0.4,
    "top": 0.6,
    "bottom": 0.6,
    "header": 0.3,
    "footer": 0.3,
}
"""Page margins of every sheet, in inches (openpyxl's unit): the footer sits in the bottom
margin. tests/outputs/test_workbook_layout.py estimates pages from them."""


def print_setup(worksheet: Any, rows: int, columns: int, title: str, layout: SheetLayout) -> None:
    """Lay ``worksheet`` (openpyxl, ``rows`` rows of data under one header row, ``columns``
    columns) out for print: A4 landscape, fitted to one page wide, the header row repeated
    on every page and frozen on screen, a header naming ``title`` and a footer with the
    sheet and the page. A ``reference`` sheet prints its header row only."""
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.page import PageMargins

    ws = worksheet
    ws.freeze_panes = "A2"
    setup = ws.page_setup
    setup.orientation = "landscape"
    setup.paperSize = ws.PAPERSIZE_A4
    setup.fitToWidth = 1
    setup.fitToHeight = 0  # as many pages tall as it takes
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins = PageMargins(**MARGINS_INCHES)
    ws.print_options.gridLines = True
    ws.print_title_rows = "1:1"
    last = get_column_letter(max(columns, 1))
    printed = 0 if layout.reference else rows
    if layout.print_rows is not None:
        printed = min(printed, layout.print_rows)
    ws.print_area = f"A1:{last}{printed + 1}"
    if title:
        ws.oddHeader.left.text = _header_text(title)
    ws.oddFooter.left.text = _header_text(ws.title)
    if layout.reference:
        ws.oddFooter.center.text = _header_text(
            f"a reference sheet: its {rows:,} rows are on screen, not printed"
        )
    elif printed < rows:
        ws.oddFooter.center.text = _header_text(
            f"the first {printed:,} of {rows:,} rows printed: every row on screen"
        )
    ws.oddFooter.right.text = "page &P of &N"


def _header_text(text: str) -> str:
    """``text`` for a page header or footer: ``&`` starts a code there, so it is doubled."""
    return text.replace("&", "&&")


def sheet_layout(layouts: Mapping[str, SheetLayout] | None, name: str) -> SheetLayout:
    """The layout of sheet ``name`` (the default one when none is given)."""
    return (layouts or {}).get(name, SheetLayout())


def cell_lines(text: str, width: int) -> int:
    """How many lines ``text`` takes when wrapped at spaces in a column ``width``
    characters wide (a word longer than the column takes a line of its own)."""
    lines = 0
    for paragraph in text.split("\n"):
        length = 0
        lines += 1
        for word in paragraph.split():
            if length and length + 1 + len(word) > width:
                lines += 1
                length = len(word)
            else:
                length += (1 if length else 0) + len(word)
    return max(lines, 1)


def display_width(value: Any, fmt: str | None) -> int:
    """How many characters ``value`` shows as in number format ``fmt`` (about: the
    formats of this module), so that a column is as wide as its figures shown."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return len(str(value))
    if value != value:  # NaN: an empty cell
        return 0
    if fmt == PERCENT:
        return len(f"{value * 100:,.1f}%")
    if fmt in (POUNDS, COUNT):
        return len(f"{value:,.0f}") + (1 if fmt == POUNDS else 0)
    if fmt == PENCE:
        return len(f"{value:,.2f}") + 1
    if fmt == HOURS:
        return len(f"{value:,.1f}")
    if fmt == RATE:
        return len(f"{value:,.2f}")
    return len(f"{value:.10g}")
