"""Word tables built from rows of values (not Markdown), in the house style.

:func:`add_word_table` writes a caption and a "Table Grid" table whose header row repeats
across pages and is shaded, with cells in the *Table Text* / *Table Heading* styles that
:func:`~careprofiles.outputs.documents.setup_document` adds. :func:`header_fit_widths`
gives the column widths: every column at least as wide as the longest word of its header
(so a header never breaks mid-word), the room left shared by how long each column's text is.

Imports: outputs.documents (python-docx, the ``docx`` extra, inside the functions).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from careprofiles.outputs.documents import TABLE_HEADING, TABLE_TEXT

__all__ = ["CELL_PADDING_MM", "HEADER_CHAR_MM", "add_word_table", "header_fit_widths"]

HEADER_CHAR_MM = 2.0
"""Width (mm) allowed a character of 9-point bold Arial in a header: generous (its widest
capitals are about 2.2 mm, its average about 1.7 mm)."""
CELL_PADDING_MM = 3.8
"""Word's default left and right cell margins together (0.19 cm each)."""
_BODY_CHAR_MM = 1.75
_WANT_CHARS = 45


def header_fit_widths(
    headers: Sequence[str], rows: Sequence[Sequence[Any]], total_mm: float
) -> list[float]:
    """Column widths (mm) for a table of ``headers`` and ``rows`` across ``total_mm``.

    Each column gets at least its header's longest word (at :data:`HEADER_CHAR_MM` a
    character, plus :data:`CELL_PADDING_MM`); it wants its longest cell (body text at
    1.75 mm a character, up to 45 characters). The room left after the minimums is shared
    in proportion to what each column wants beyond its minimum. When the minimums alone
    are wider than ``total_mm`` they are kept (the table is wider than the text, never a
    header word split).
    """
    least = [
        max(len(w) for w in (str(h).split() or [""])) * HEADER_CHAR_MM + CELL_PADDING_MM
        for h in headers
    ]
    want = []
    for c, m in enumerate(least):
        longest = max([len(str(headers[c])), *(len(str(r[c])) for r in rows)])
        want.append(max(m, min(longest, _WANT_CHARS) * _BODY_CHAR_MM + CELL_PADDING_MM))
    if sum(want) <= total_mm:
        scale = total_mm / sum(want)
        return [w * scale for w in want]
    if sum(least) >= total_mm:
        return least
    extra = total_mm - sum(least)
    spare = sum(w - m for w, m in zip(want, least, strict=True))
    return [m + (w - m) / spare * extra for w, m in zip(want, least, strict=True)]


def add_word_table(
    doc: Any, caption: str, headers: Sequence[str], rows: Sequence[Sequence[Any]]
) -> Any:
    """Add ``caption`` and a table of ``headers`` and ``rows`` to ``doc``; returns the table.

    ``doc`` must have been set up by :func:`~careprofiles.outputs.documents.setup_document`
    (it has the cell styles). Columns are :func:`header_fit_widths` of the text width.
    """
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Mm

    section = doc.sections[-1]
    total_mm = (section.page_width - section.left_margin - section.right_margin) / 36000
    widths = [Mm(w) for w in header_fit_widths(headers, rows, total_mm)]
    doc.add_paragraph(caption, style="Caption").paragraph_format.keep_with_next = True
    table = doc.add_table(rows=1 + len(rows), cols=len(headers))
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.LEFT
    table.autofit = False
    for c, width in enumerate(widths):
        table.columns[c].width = width
    for r, docx_row in enumerate(table.rows):
        values = headers if r == 0 else rows[r - 1]
        props = docx_row._tr.get_or_add_trPr()
        props.append(OxmlElement("w:cantSplit"))  # schema order: cantSplit, then tblHeader
        if r == 0:
            repeat = OxmlElement("w:tblHeader")
            repeat.set(qn("w:val"), "true")
            props.append(repeat)
        for c, (cell, value) in enumerate(zip(docx_row.cells, values, strict=True)):
            cell.width = widths[c]
            paragraph = cell.paragraphs[0]
            paragraph.style = doc.styles[TABLE_HEADING if r == 0 else TABLE_TEXT]
            paragraph.add_run(str(value))
            if r == 0:
                shading = OxmlElement("w:shd")
                shading.set(qn("w:val"), "clear")
                shading.set(qn("w:color"), "auto")
                shading.set(qn("w:fill"), "E8EDEE")
                cell._tc.get_or_add_tcPr().append(shading)
    return table
