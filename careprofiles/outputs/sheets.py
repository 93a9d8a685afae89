"""Cells for spreadsheets: CSV text and workbook cells that show text and never run it.

The CSV files and workbooks careprofiles writes are opened in spreadsheets, and the text
in them comes from files anyone may write: names and descriptions in a profile or a
scenario file, a tariff's descriptions and sources, areas in activity records. A
spreadsheet takes a cell that begins with ``=`` (and, reading CSV, ``+``, ``-``, ``@``, a
tab or a carriage return) as a formula, so such text would run what its author wrote
when a commissioner opens the file ("CSV injection" or "formula injection", OWASP).
Every CSV and workbook writer goes through this module, so the rules hold everywhere:

- :func:`csv_text` writes a frame as CSV (:func:`csv_writer` the same, straight to a
  file). A **text** cell that begins with one of :data:`FORMULA_START` gets a single
  quote before it (OWASP's advice, what spreadsheet users know as "text, not a
  formula"); numbers are never touched, so -12.5 stays -12.5.
  Every float is rounded to :data:`SIGNIFICANT_DIGITS` significant digits, so binary
  noise (``1.0010000000000001``) is not written.
- :func:`workbook_frame` and :func:`string_cells` are the two halves of writing a frame
  to a worksheet: the first replaces the characters a workbook cannot hold, the second
  makes every text cell a string cell (openpyxl takes text that begins with ``=`` as a
  formula), so a name reads back exactly as written.

Imports: numpy, pandas and the standard library; nothing of careprofiles.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "FORMULA_START",
    "SIGNIFICANT_DIGITS",
    "csv_safe",
    "csv_text",
    "csv_writer",
    "round_figures",
    "string_cells",
    "workbook_frame",
]

FORMULA_START = "=+-@\t\r"
"""The characters that make a spreadsheet evaluate a CSV cell that begins with them
(OWASP, CSV injection): equals, plus, minus, at, tab and carriage return."""

SIGNIFICANT_DIGITS = 12
"""Significant digits of a float in CSV output: pounds to the penny up to £1,000 million
and every share, count and hour figure as meant, while the noise of binary arithmetic
(at the 16th or 17th digit: ``1.0010000000000001``) is dropped."""

_QUOTE_PATTERN = "'*[" + re.escape(FORMULA_START) + "]"
_QUOTE = re.compile(_QUOTE_PATTERN)
"""Text to quote: it begins with a formula character, or with single quotes and then one
(so that quoting can be undone: take one quote off a cell that matches)."""

_NOT_IN_WORKBOOK = "[\x00-\x08\x0b\x0c\x0e-\x1f]"
"""Control characters that an xlsx cell cannot hold (tab, line feed and carriage return
it can): openpyxl refuses them with an error."""

REPLACEMENT = "\ufffd"
"""What a character a workbook cannot hold is written as (the Unicode replacement
character, as text viewers show an unreadable one)."""


# ---------------------------------------------------------------- CSV


def csv_safe(text: str) -> str:
    """``text`` as a CSV cell a spreadsheet shows and never evaluates: a single quote
    before it when it begins with one of :data:`FORMULA_START` (or with quotes and then
    one of them), else unchanged."""
    return "'" + text if _QUOTE.match(text) else text


_POW10 = np.array([float(10**i) for i in range(23)])
"""10**0 .. 10**22, each held exactly (a float power of ten computed by pow() need not be)."""


def round_figures(values: Any, digits: int = SIGNIFICANT_DIGITS) -> np.ndarray[Any, Any]:
    """Floats rounded to ``digits`` significant digits (NaN and infinities unchanged,
    -0.0 written 0.0).

    Each value is rounded by a power of ten held exactly as a float, so the result is the
    float nearest the rounded decimal and prints as it: ``1.0010000000000001`` becomes
    ``1.001``, ``240.23999999999998`` ``240.24``. Vectorised; values too small or too large
    for an exact power of ten (below 1e-11, or 1e34 and above, at 12 digits) are kept as
    they are.
    """
    a = np.array(values, dtype=np.float64)
    out = a.copy()
    finite = np.isfinite(a) & (a != 0)
    if not finite.any():
        return out + 0.0
    magnitude = np.floor(np.log10(np.abs(a[finite])))
    places = digits - 1 - magnitude  # decimals to keep (negative: tens, hundreds, ...)
    v = a[finite]
    r = v.copy()
    up = (places >= 0) & (places <= 22)
    down = (places < 0) & (places >= -22)
    scale = _POW10[np.minimum(np.abs(places), 22).astype(np.intp)]
    r[up] = np.round(v[up] * scale[up]) / scale[up]
    r[down] = np.round(v[down] / scale[down]) * scale[down]
    out[finite] = r
    return out + 0.0  # + 0.0: no negative zero (-0.0 + 0.0 is 0.0)


def _text_mask(texts: pd.Series, test: str, pattern: str) -> np.ndarray[Any, Any]:
    """Which values of ``texts`` are text for which ``.str.<test>(pattern)`` holds
    (values that are not text: False)."""
    try:
        accessor = texts.str
    except AttributeError:  # no text in it at all (numbers, or nothing)
        return np.zeros(len(texts), dtype=bool)
    return np.asarray(getattr(accessor, test)(pattern, na=False), dtype=bool)


def _holds_text(dtype: Any) -> bool:
    """Whether values of ``dtype`` may be text (object or string; for a categorical,
    its categories')."""
    if isinstance(dtype, pd.CategoricalDtype):
        dtype = dtype.categories.dtype
    return bool(pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype))


def _edited(column: pd.Series, edit: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """``column`` with ``edit`` applied to its text (to a categorical's categories); the
    same object when it holds no text or ``edit`` changes nothing (returns its input)."""
    if not _holds_text(column.dtype):
        return column
    if isinstance(column.dtype, pd.CategoricalDtype):
        categories = pd.Series(column.cat.categories)
        edited = edit(categories)
        if edited is categories:
            return column
        return column.cat.rename_categories(edited.tolist())
    return edit(column)


def _set(texts: pd.Series, mask: np.ndarray[Any, Any], values: pd.Series) -> pd.Series:
    """A copy of ``texts`` with ``values`` at the positions where ``mask`` holds."""
    out = texts.copy()
    out.iloc[np.flatnonzero(mask)] = values.to_numpy()
    return out


def _quoted(texts: pd.Series) -> pd.Series:
    """``texts`` with :func:`csv_safe` applied to its text values (others unchanged);
    ``texts`` itself when none needs it."""
    mask = _text_mask(texts, "match", _QUOTE_PATTERN)
    if not mask.any():
        return texts
    return _set(texts, mask, "'" + texts[mask])


def _csv_column(column: pd.Series) -> pd.Series:
    """One column as :func:`csv_text` writes it: floats rounded, text made safe; the
    column itself when nothing changes."""
    if pd.api.types.is_float_dtype(column.dtype):
        rounded = round_figures(column.to_numpy(dtype=np.float64, na_value=np.nan))
        return pd.Series(rounded, index=column.index, name=column.name)
    return _edited(column, _quoted)


def csv_text(frame: pd.DataFrame) -> str:
    """``frame`` as CSV text (no index) for a spreadsheet: text cells that a spreadsheet
    would evaluate get a leading single quote (:func:`csv_safe`, the header too), and
    floats are rounded to :data:`SIGNIFICANT_DIGITS` significant digits
    (:func:`round_figures`). Numbers, negative ones too, are written as numbers. Lines
    end as pandas ends them, except that a frame whose text holds a carriage return is
    written with CR LF line ends, so that the carriage return is quoted inside its cell.
    The one CSV writer of every command (with :func:`csv_writer`)."""
    out, ending = _csv_frame(frame)
    return str(out.to_csv(index=False, lineterminator=ending))


def csv_writer(frame: pd.DataFrame) -> Callable[[Path], None]:
    """A function writing :func:`csv_text` of ``frame`` to the file it is given, as
    UTF-8, written as it is made (a large frame's text is never held whole)."""
    out, ending = _csv_frame(frame)

    def write(path: Path) -> None:
        out.to_csv(path, index=False, lineterminator=ending, encoding="utf-8")

    return write


def _csv_frame(frame: pd.DataFrame) -> tuple[pd.DataFrame, str | None]:
    """``frame`` as :func:`csv_text` writes it, and the line ending to write it with."""
    out = frame.copy()
    for i in range(frame.shape[1]):
        column = frame.iloc[:, i]
        written = _csv_column(column)
        if written is not column:
            out.isetitem(i, written.array)
    out.columns = pd.Index([csv_safe(c) if isinstance(c, str) else c for c in frame.columns])
    # Python's csv writer quotes a cell holding a carriage return only when the line
    # ending holds one: with CR LF (RFC 4180's) the CR stays inside its cell
    ending = "\r\n" if _holds_carriage_return(out) else None
    return out, ending


def _holds_carriage_return(frame: pd.DataFrame) -> bool:
    """Whether a text cell or column name of ``frame`` holds a carriage return."""
    if any(isinstance(c, str) and "\r" in c for c in frame.columns):
        return True
    for i in range(frame.shape[1]):
        column = frame.iloc[:, i]
        if not _holds_text(column.dtype):
            continue
        if isinstance(column.dtype, pd.CategoricalDtype):
            texts = pd.Series(column.cat.categories)
        else:
            texts = column
        if _text_mask(texts, "contains", "\r").any():
            return True
    return False


# ---------------------------------------------------------------- workbooks


def _replaced(texts: pd.Series) -> pd.Series:
    """``texts`` with the characters a workbook cannot hold replaced; ``texts`` itself
    when it has none."""
    mask = _text_mask(texts, "contains", _NOT_IN_WORKBOOK)
    if not mask.any():
        return texts
    return _set(texts, mask, texts[mask].str.replace(_NOT_IN_WORKBOOK, REPLACEMENT, regex=True))


def workbook_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with the control characters a workbook cannot hold (all but tab, line
    feed and carriage return) replaced by :data:`REPLACEMENT`, in text cells and the
    header; unchanged (the same object) when it has none."""
    changed = {}
    for i in range(frame.shape[1]):
        column = frame.iloc[:, i]
        fixed = _edited(column, _replaced)
        if fixed is not column:
            changed[i] = fixed
    header = pd.Index(
        [
            re.sub(_NOT_IN_WORKBOOK, REPLACEMENT, c) if isinstance(c, str) else c
            for c in frame.columns
        ]
    )
    if not changed and header.equals(frame.columns):
        return frame
    out = frame.copy()
    for i, column in changed.items():
        out.isetitem(i, column.array)
    out.columns = header
    return out


def string_cells(worksheet: Any, frame: pd.DataFrame, *, first_row: int = 1) -> None:
    """Make every text cell of ``frame``, written to ``worksheet`` (openpyxl) with its
    header at ``first_row`` and no index, a string cell: openpyxl takes text that begins
    with ``=`` for a formula (data type ``f``), which a spreadsheet would run; as a string
    (``s``) it shows exactly as written. Only those cells are visited (found with pandas,
    not cell by cell): openpyxl makes every other text a string already."""
    for j, name in enumerate(frame.columns, start=1):
        if isinstance(name, str) and name.startswith("="):
            worksheet.cell(row=first_row, column=j).data_type = "s"
    for j in range(frame.shape[1]):
        column = frame.iloc[:, j]
        if not _holds_text(column.dtype):
            continue
        mask = _text_mask(column.astype(object), "startswith", "=")
        for i in np.flatnonzero(mask):
            worksheet.cell(row=first_row + 1 + int(i), column=j + 1).data_type = "s"
