"""Figures and tables as text: money, numbers, percentages, Markdown escaping, tables.

The one place that turns pounds, counts and shares into text, escapes text for
Markdown, and lays out plain-text and Markdown tables. Every report (the cost summary,
audits, benchmarks, standards, charts' labels, commissioning specifications) formats
through these functions, so a figure reads the same wherever it is shown. Where two
reports write a figure differently, the difference is a parameter here, never a second
formatter.

Imports: the standard library only; nothing of careprofiles.
"""

from __future__ import annotations

import math
import re
import textwrap
from collections.abc import Callable, Sequence
from typing import Any

__all__ = [
    "MISSING",
    "TABLE_WIDTH",
    "format_money",
    "format_number",
    "format_percent",
    "is_missing",
    "markdown_escape",
    "markdown_table",
    "money_label",
    "money_ticks",
    "paged_table",
    "text_table",
]

MISSING = "-"
"""What a missing figure (None or NaN) shows as."""


def is_missing(x: Any) -> bool:
    """Whether ``x`` is a missing figure: None, or a float that is NaN or infinite."""
    return x is None or (isinstance(x, float) and not math.isfinite(x))


# ---------------------------------------------------------------- money


def format_money(x: Any, pence: bool = False, *, plus: bool = False) -> str:
    """Pounds for people: ``£1,234`` (or ``£1,234.56`` with ``pence``); negative as ``-£12``;
    a missing value (None or NaN) as ``-``. ``plus`` puts ``+`` before an amount above 0
    (a difference: ``+£12.50``)."""
    if x is None:
        return MISSING
    x = float(x)
    if math.isnan(x):
        return MISSING
    sign = "-" if x < 0 else ("+" if plus and x > 0 else "")
    return f"{sign}£{abs(x):,.2f}" if pence else f"{sign}£{abs(x):,.0f}"


def money_label(x: float) -> str:
    """Pounds for a chart's label: ``£3.81m``, ``£2.5bn``, ``£12,345``, ``£12.50``
    (pence only below £100); negatives ``-£5,000``."""
    a = abs(x)
    if a >= 1e6:
        sign = "-" if x < 0 else ""
        return f"{sign}£{a / 1e9:.3g}bn" if a >= 1e9 else f"{sign}£{a / 1e6:.3g}m"
    return format_money(x, pence=not (a >= 100 or a == 0))


def money_ticks(largest: float) -> Callable[[float], str]:
    """Pounds for the ticks of a chart's axis, in one style chosen from its ``largest``
    value: ``£500``, ``£20k``, ``£1.5m``."""
    big = abs(largest)
    if big >= 2e6:
        scale, suffix = 1e6, "m"
    elif big >= 2e4:
        scale, suffix = 1e3, "k"
    else:
        scale, suffix = 1.0, ""

    def tick(x: float) -> str:
        sign = "-" if x < 0 else ""
        v = abs(x) / scale
        if v == 0:
            return "£0"
        number = f"{v:,.0f}" if v == round(v) else f"{v:,.3g}"
        return f"{sign}£{number}{suffix}"

    return tick


# ---------------------------------------------------------------- numbers


def format_number(x: Any, places: int = 0, *, trim: bool = False) -> str:
    """A number with thousands separators and ``places`` decimals (``1,781.0``); a
    missing one (:func:`is_missing`) as ``-``.

    ``trim`` writes a count as people read it: a whole number without decimals
    (``1,781``), otherwise up to ``places`` decimals without trailing zeros (``2.5``,
    ``0.23``).
    """
    if is_missing(x):
        return MISSING
    x = float(x)
    if not trim:
        return f"{x:,.{places}f}"
    if abs(x - round(x)) < 1e-9:
        return f"{round(x):,}"
    text = f"{x:,.{places}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def format_percent(x: Any, places: int = 0, *, trim: bool = False) -> str:
    """A share (0..1) as a percentage with ``places`` decimals (``65%``, ``4.0%``); a
    missing one (:func:`is_missing`) as ``-``.

    ``trim`` drops the decimals of a percentage that rounds to a whole one (``65%``
    but ``12.5%``); without it every figure keeps its decimals, so that a column of them
    lines up and none looks rounded differently from its neighbours.
    """
    if is_missing(x):
        return MISSING
    p = float(x) * 100
    if trim and abs(p - round(p)) < 0.5 / 10**places:
        return f"{p:.0f}%"
    return f"{p:.{places}f}%"


# ---------------------------------------------------------------- Markdown


_MD_INLINE = re.compile(r"([\\`*\[\]<>|~]|(?<![^\W_])_|_(?![^\W_]))")
_MD_ENTITY = re.compile(r"&(?=#?[0-9A-Za-z]+;)")
_MD_CLOSING_HASHES = re.compile(r"#(?=[#\s]*$)")
_MD_LEADING = re.compile(r"^(?:([#>+=-])|(\d+)([.)]))")


def markdown_escape(text: str, *, keep_markup: bool = False) -> str:
    """``text`` as literal Markdown: one line, markup characters backslash-escaped.

    Whitespace (including line breaks) is collapsed to single spaces so that a value
    cannot break a table row or start a new block; ``* _ ` [ ] < > | ~ \\`` and a
    leading ``# > + = -`` or ``1.``, trailing ``#``, and a ``_`` at the edge of a word are
    escaped, so the text shows exactly as written in Markdown, HTML and Word.

    ``keep_markup`` escapes only what would break a table cell (line breaks and ``|``),
    so that Markdown in the text (emphasis, code) still shows as Markdown.
    """
    out = " ".join(str(text).split())
    if keep_markup:
        return out.replace("|", "\\|")
    out = _MD_INLINE.sub(r"\\\1", out)
    out = _MD_ENTITY.sub(r"\\&", out)
    out = _MD_CLOSING_HASHES.sub(r"\\#", out)  # would close an ATX heading
    return _MD_LEADING.sub(
        lambda m: f"\\{m.group(1)}" if m.group(1) else f"{m.group(2)}\\{m.group(3)}", out
    )


# ---------------------------------------------------------------- tables


TABLE_WIDTH = 100
"""The widest a terminal table may be: wider tables wrap their text columns, and each
command shows its key columns (the full table is its CSV or workbook)."""

_GAP = 2
_NARROWEST = 10
"""A wrapped column is never narrower than this."""
_HEADER_WORD = 12
"""A header's word up to this long is never broken."""


def text_table(
    rows: Sequence[Sequence[Any]],
    headers: Sequence[str],
    align: str | None = None,
    *,
    width: int | None = None,
    wrap: Sequence[int] = (),
) -> str:
    """A plain aligned table; ``align`` holds 'l' or 'r' per column (default: numbers right).

    With ``width``, a table wider than that wraps its ``wrap`` columns (by index; the
    widest first) onto continuation lines, so that it fits if it can: the headers at
    spaces (a word over 12 characters may break), text down to 10 characters (at spaces,
    else after '/', '-' or '_'); a right-aligned column of figures is never narrower than
    its widest figure."""
    if align is None:
        align = _alignment(rows, len(headers))
    cells = [[str(c) for c in headers]] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    if width is not None and wrap:
        # first only the headers wrap (every column down to its widest cell); then text
        # wraps down to 10 characters; a figure is never broken, nor a header's word of
        # up to 12 characters
        heads = [
            max(_header_floor(word) for word in cells[0][i].split() or [""])
            for i in range(len(align))
        ]
        body = [max([len(r[i]) for r in cells[1:]] or [0]) for i in range(len(align))]
        floors = [
            max(heads[i], body[i] if a == "r" else min(_NARROWEST, widths[i]))
            for i, a in enumerate(align)
        ]
        widths = _fit(widths, [max(h, b) for h, b in zip(heads, body, strict=True)], wrap, width)
        widths = _fit(widths, floors, wrap, width)
    out = []
    for n, row in enumerate(cells):
        parts = [_wrapped(c, w) if len(c) > w else [c] for c, w in zip(row, widths, strict=True)]
        for k in range(max(len(p) for p in parts)):
            out.append(
                (" " * _GAP)
                .join(
                    (p[k] if k < len(p) else "").rjust(w)
                    if a == "r"
                    else (p[k] if k < len(p) else "").ljust(w)
                    for p, w, a in zip(parts, widths, align, strict=True)
                )
                .rstrip()
            )
        if n == 0:
            out.append((" " * _GAP).join("-" * w for w in widths))
    return "\n".join(out)


def paged_table(
    rows: Sequence[Sequence[Any]],
    headers: Sequence[str],
    align: str,
    *,
    width: int = TABLE_WIDTH,
    keep: int = 1,
) -> str:
    """:func:`text_table`, split into tables of fewer columns when it is wider than
    ``width`` (its headers wrapped first): each repeats the first ``keep`` columns and
    takes as many of the others, in order, as fit."""
    whole = text_table(rows, headers, align, width=width, wrap=range(len(headers)))
    if max(len(line) for line in whole.splitlines()) <= width or len(headers) <= keep + 1:
        return whole
    pages: list[list[int]] = []
    current: list[int] = []
    for i in range(keep, len(headers)):
        trial = [*range(keep), *current, i]
        text = _columns_table(rows, headers, align, trial, width)
        if current and max(len(line) for line in text.splitlines()) > width:
            pages.append(current)
            current = [i]
        else:
            current.append(i)
    pages.append(current)
    return "\n\n".join(
        _columns_table(rows, headers, align, [*range(keep), *page], width) for page in pages
    )


def _columns_table(
    rows: Sequence[Sequence[Any]], headers: Sequence[str], align: str, pick: list[int], width: int
) -> str:
    return text_table(
        [[r[i] for i in pick] for r in rows],
        [headers[i] for i in pick],
        "".join(align[i] for i in pick),
        width=width,
        wrap=range(len(pick)),
    )


def _header_floor(word: str) -> int:
    """How narrow a header's word may be: an id breaks at its '-', '/' or '_' down to 10
    characters, any other word up to 12 characters long stays whole."""
    limit = _NARROWEST if any(ch in word for ch in "/-_") else _HEADER_WORD
    return min(len(word), limit)


def _fit(widths: list[int], floors: list[int], wrap: Sequence[int], width: int) -> list[int]:
    """Column widths that fit ``width``: the widest ``wrap`` column narrowed, one
    character at a time, until the table fits or every one is at its floor."""
    widths = list(widths)
    while sum(widths) + _GAP * (len(widths) - 1) > width:
        candidates = [i for i in wrap if widths[i] > floors[i]]
        if not candidates:
            break
        widest = max(candidates, key=lambda i: widths[i])
        widths[widest] -= 1
    return widths


def _wrapped(text: str, width: int) -> list[str]:
    """``text`` in lines of at most ``width`` characters: at spaces, else after '/', '-'
    or '_' (an address or id), else anywhere."""
    lines = textwrap.wrap(text, width, break_on_hyphens=False, break_long_words=False)
    out: list[str] = []
    for line in lines or [""]:
        while len(line) > width:
            # break after the last '/', '-' or '_' that fits (before one just past the end)
            mark = max(line.rfind(ch, 1, width + 1) for ch in "/-_")
            cut = (mark + 1 if mark < width else mark) if mark > 0 else width
            out.append(line[:cut])
            line = line[cut:]
        out.append(line)
    return out


def markdown_table(
    rows: Sequence[Sequence[Any]], headers: Sequence[str], align: str | None = None
) -> str:
    """A Markdown (GitHub pipe) table of ``rows``, every cell escaped with
    :func:`markdown_escape`; ``align`` as in :func:`text_table` ('r' columns get ``--:``,
    so figures line up in HTML and Word too)."""
    if align is None:
        align = _alignment(rows, len(headers))

    def line(cells: Sequence[Any]) -> str:
        return "| " + " | ".join(markdown_escape(str(c)) for c in cells) + " |"

    rule = "| " + " | ".join("--:" if a == "r" else "---" for a in align) + " |"
    return "\n".join([line(headers), rule, *(line(r) for r in rows)])


def _alignment(rows: Sequence[Sequence[Any]], columns: int) -> str:
    """'r' for a column whose every cell looks like a number (there must be rows), else 'l'."""
    return "".join(
        "r" if rows and all(_looks_numeric(str(r[i])) for r in rows) else "l"
        for i in range(columns)
    )


def _looks_numeric(s: str) -> bool:
    t = s.replace("£", "").replace(",", "").replace("%", "").replace("-", "").replace(".", "")
    return t.isdigit() or s in ("-", "")
