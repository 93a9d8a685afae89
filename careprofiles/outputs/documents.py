"""Markdown documents as standalone HTML pages and Word files.

One Markdown text (CommonMark with tables) gives every format: :func:`markdown_to_html`
makes a printable, accessible HTML page with no external assets, and
:func:`markdown_to_docx` walks the same token stream into a Word document with real
heading styles and real tables. Raw HTML in the Markdown is never passed through (it
shows as text), so values written into a document can never inject markup.

Two conventions beyond CommonMark, both understood by pandoc too:

* a paragraph ``Table: Some caption`` right before a table becomes the table's
  caption (``<caption>`` in HTML, a *Caption* paragraph above the table in Word);
* a table cell in the first column whose whole content is bold (``**Service**``) is a
  row header (``<th scope="row">``); header-row cells are ``<th scope="col">``.

A thematic break (``---``) is a page break in Word and when printing the HTML page.

Imports: errors only (markdown-it-py and python-docx, the ``docx`` extra, when used).
"""

from __future__ import annotations

import html
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from careprofiles.errors import MissingDependencyError

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token

__all__ = [
    "markdown_to_docx",
    "markdown_to_html",
    "markdown_to_html_fragment",
    "setup_document",
]

CAPTION_PREFIX = "Table: "
"""A paragraph starting with this, right before a table, is the table's caption."""


def _parser() -> MarkdownIt:
    try:
        from markdown_it import MarkdownIt
    except ImportError:  # pragma: no cover - depends on the environment
        raise MissingDependencyError(
            "markdown-it-py", "docx", "HTML and Word output"
        ) from None
    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
        "table"
    )


def _tokens(md: MarkdownIt, text: str) -> list[Token]:
    """Parse ``text`` and apply the caption and row-header conventions."""
    from markdown_it.token import Token

    tokens = md.parse(text)
    out: list[Token] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if (
            tok.type == "paragraph_open"
            and not tok.hidden
            and i + 3 < len(tokens)
            and tokens[i + 1].type == "inline"
            and tokens[i + 1].content.startswith(CAPTION_PREFIX)
            and tokens[i + 2].type == "paragraph_close"
            and tokens[i + 3].type == "table_open"
        ):
            caption_inline = md.parseInline(tokens[i + 1].content[len(CAPTION_PREFIX) :])[0]
            out.append(tokens[i + 3])
            out.append(Token("caption_open", "caption", 1, block=True))
            out.append(caption_inline)
            out.append(Token("caption_close", "caption", -1, block=True))
            i += 4
            continue
        out.append(tok)
        i += 1
    section = ""
    for j, tok in enumerate(out):
        if tok.type in ("thead_open", "tbody_open"):
            section = tok.type
        elif tok.type == "th_open":
            tok.attrSet("scope", "col")
        elif (
            tok.type == "td_open"
            and section == "tbody_open"
            and out[j - 1].type == "tr_open"
            and _all_bold(out[j + 1])
        ):
            tok.tag = "th"
            tok.attrSet("scope", "row")
            out[j + 2].tag = "th"
    return out


def _all_bold(inline: Token) -> bool:
    kids = [k for k in inline.children or [] if not (k.type == "text" and not k.content.strip())]
    return (
        len(kids) >= 3
        and kids[0].type == "strong_open"
        and kids[-1].type == "strong_close"
        and not any(k.type == "strong_open" for k in kids[1:-1])
    )


def markdown_to_html_fragment(markdown: str) -> str:
    """The HTML body for ``markdown`` (no page around it); raw HTML shows as text."""
    md = _parser()
    return str(md.renderer.render(_tokens(md, markdown), md.options, {}))


_CSS = """
:root { color-scheme: light; }
body { font-family: Arial, "Helvetica Neue", Helvetica, sans-serif; font-size: 11pt;
       line-height: 1.45; color: #1d1d1d; background: #fff; margin: 0; }
main { max-width: 60em; margin: 0 auto; padding: 1.5em 2em 3em; }
h1 { font-size: 1.8em; margin: 0.4em 0 0.6em; color: #003087; }
h2 { font-size: 1.35em; margin: 1.6em 0 0.5em; color: #003087;
     border-bottom: 2px solid #005eb8; padding-bottom: 0.15em; }
h3 { font-size: 1.15em; margin: 1.3em 0 0.4em; }
h4 { font-size: 1.05em; margin: 1.2em 0 0.3em; }
h1, h2, h3, h4, h5, h6 { break-after: avoid; page-break-after: avoid; }
p, li { orphans: 3; widows: 3; }
table { border-collapse: collapse; margin: 0.6em 0 1.2em; width: 100%; font-size: 0.92em; }
caption { caption-side: top; text-align: left; font-weight: bold; padding: 0.3em 0; }
th, td { border: 1px solid #aeb7bd; padding: 0.3em 0.5em; vertical-align: top; }
thead th { background: #e8edee; }
tbody th { font-weight: normal; text-align: left; }
thead { display: table-header-group; }
tr { break-inside: avoid; page-break-inside: avoid; }
code { font-family: Consolas, "Courier New", monospace; font-size: 0.95em; }
pre { background: #f4f4f4; padding: 0.6em; overflow-x: auto; }
blockquote { margin: 0.8em 0; padding: 0.2em 1em; border-left: 4px solid #005eb8;
             background: #f0f4f5; }
hr { border: 0; border-top: 1px solid #d8dde0; margin: 2em 0; }
a { color: #005eb8; }
@page { size: A4; margin: 18mm 16mm; }
@media print {
  body { font-size: 10pt; }
  main { max-width: none; padding: 0; }
  hr { border: 0; margin: 0; break-after: page; page-break-after: always; }
  a { color: inherit; }
}
""".strip()


def markdown_to_html(markdown: str, title: str | None = None, *, lang: str = "en") -> str:
    """A standalone, printable HTML page for ``markdown``.

    Embedded CSS and nothing else: no scripts, no external fonts, images or style
    sheets. ``title`` defaults to the text of the first heading.
    """
    md = _parser()
    tokens = _tokens(md, markdown)
    body = str(md.renderer.render(tokens, md.options, {}))
    if title is None:
        title = _first_heading(tokens) or "Document"
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{html.escape(lang)}">\n'
        "<head>\n"
        '<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="generator" content="careprofiles">\n'
        f"<title>{html.escape(title)}</title>\n"
        f"<style>\n{_CSS}\n</style>\n"
        "</head>\n"
        "<body>\n<main>\n"
        f"{body}"
        "</main>\n</body>\n</html>\n"
    )


def _first_heading(tokens: Sequence[Token]) -> str | None:
    for i, tok in enumerate(tokens):
        if tok.type == "heading_open" and i + 1 < len(tokens):
            return _plain(tokens[i + 1])
    return None


def _plain(inline: Token) -> str:
    parts = []
    for kid in inline.children or []:
        if kid.type in ("text", "code_inline"):
            parts.append(kid.content)
        elif kid.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif kid.type == "image":
            parts.append(_plain(kid))
    return "".join(parts)


# ---------------------------------------------------------------- Word


_A4 = (210.0, 297.0)  # millimetres
_MARGIN_MM = 20.0
_TABLE_PT = 9
TABLE_TEXT = "Table Text"
"""The Word paragraph style of table cells (9 point, 1 point before and after)."""
TABLE_HEADING = "Table Heading"
"""The Word paragraph style of table header cells (Table Text, bold)."""
_HEADER_FILL = "E8EDEE"


@dataclass
class _Cell:
    inline: Token | None
    align: str | None
    header: bool


@dataclass
class _Table:
    caption: Token | None = None
    rows: list[list[_Cell]] = field(default_factory=list)
    header_rows: int = 0


def markdown_to_docx(
    markdown: str, path: str | Path | None = None, *, title: str | None = None
) -> bytes:
    """A Word document for ``markdown``; returns its bytes, and writes ``path`` if given.

    Headings use Word's *Heading 1*… styles (so the navigation pane and a table of
    contents work), tables are real tables with a repeating, shaded header row, bullet
    lists use *List Bullet* styles. Needs python-docx (the ``docx`` extra).
    """
    try:
        import docx
    except ImportError:  # pragma: no cover - depends on the environment
        raise MissingDependencyError("python-docx", "docx", "Word (.docx) output") from None
    md = _parser()
    tokens = _tokens(md, markdown)
    document = docx.Document()
    setup_document(document)
    document.core_properties.title = title or _first_heading(tokens) or ""
    document.core_properties.author = "careprofiles"
    _Walker(document).walk(tokens)
    buffer = io.BytesIO()
    document.save(buffer)
    data = buffer.getvalue()
    if path is not None:
        Path(path).write_bytes(data)
    return data


def setup_document(document: Any) -> None:
    """Give a new python-docx document the house page and styles: A4, 20 mm margins,
    Arial (10.5 point body), and the *Table Text* and *Table Heading* cell styles."""
    from docx.enum.style import WD_STYLE_TYPE
    from docx.shared import Mm, Pt

    for section in document.sections:
        section.page_width, section.page_height = Mm(_A4[0]), Mm(_A4[1])
        section.left_margin = section.right_margin = Mm(_MARGIN_MM)
        section.top_margin = section.bottom_margin = Mm(_MARGIN_MM)
    normal = document.styles["Normal"]
    normal.font.name = "Arial"
    normal.font.size = Pt(10.5)
    for level in range(1, 5):
        document.styles[f"Heading {level}"].font.name = "Arial"
    cell = document.styles.add_style(TABLE_TEXT, WD_STYLE_TYPE.PARAGRAPH)
    cell.base_style = normal
    cell.font.size = Pt(_TABLE_PT)
    cell.paragraph_format.space_before = cell.paragraph_format.space_after = Pt(1)
    cell.paragraph_format.line_spacing = 1.0
    heading = document.styles.add_style(TABLE_HEADING, WD_STYLE_TYPE.PARAGRAPH)
    heading.base_style = cell
    heading.font.bold = True


class _Walker:
    """Walks a markdown-it token stream into a python-docx document."""

    def __init__(self, document: Any) -> None:
        self.doc = document
        self.style_ids: dict[str, str] = {}
        self.lists: list[list[Any]] = []  # [kind, next number, first paragraph pending]
        self.quote = 0

    def walk(self, tokens: list[Token]) -> None:
        i = 0
        while i < len(tokens):
            tok = tokens[i]
            kind = tok.type
            if kind == "heading_open":
                level = min(int(tok.tag[1:]), 9)
                self._inline(self._paragraph(f"Heading {level}"), tokens[i + 1])
                i += 3
                continue
            if kind == "paragraph_open":
                style, prefix = self._paragraph_style()
                self._inline(self._paragraph(style), tokens[i + 1], prefix=prefix)
                i += 3
                continue
            if kind in ("bullet_list_open", "ordered_list_open"):
                start = int(tok.attrGet("start") or 1)
                kind_name = "bullet" if kind == "bullet_list_open" else "ordered"
                self.lists.append([kind_name, start, False])
            elif kind in ("bullet_list_close", "ordered_list_close"):
                self.lists.pop()
            elif kind == "list_item_open":
                self.lists[-1][2] = True
            elif kind == "blockquote_open":
                self.quote += 1
            elif kind == "blockquote_close":
                self.quote -= 1
            elif kind in ("code_block", "fence"):
                self._code(tok.content)
            elif kind == "hr":
                self.doc.add_page_break()
            elif kind == "table_open":
                i = self._table(tokens, i)
                continue
            elif kind in ("html_block", "list_item_close"):
                if kind == "html_block":  # pragma: no cover - raw HTML is disabled
                    self.doc.add_paragraph(tok.content)
            else:  # pragma: no cover - every CommonMark block token is handled above
                raise ValueError(f"cannot write Markdown token {kind!r} to Word")
            i += 1

    def _paragraph(self, style: str | None) -> Any:
        """A new paragraph in ``style`` (set by id: python-docx's lookup by name is slow)."""
        paragraph = self.doc.add_paragraph()
        if style is not None:
            paragraph._p.style = self._style_id(style)
        return paragraph

    def _style_id(self, name: str) -> str:
        if name not in self.style_ids:
            self.style_ids[name] = str(self.doc.styles[name].style_id)
        return self.style_ids[name]

    def _paragraph_style(self) -> tuple[str | None, str]:
        """The style of the next paragraph, and the text to put before it (a list number).

        Numbered lists are written as text ("1. ") in the *List* style: Word's own
        numbering would run on from one list to the next.
        """
        if self.lists:
            kind, number, first = self.lists[-1]
            depth = min(len(self.lists), 3)
            suffix = "" if depth == 1 else f" {depth}"
            if not first:
                return f"List Continue{suffix}", ""
            self.lists[-1][2] = False
            if kind == "bullet":
                return f"List Bullet{suffix}", ""
            self.lists[-1][1] = number + 1
            return f"List{suffix}", f"{number}. "
        if self.quote:
            return "Quote", ""
        return None, ""

    def _inline(self, paragraph: Any, inline: Token, prefix: str = "") -> None:
        if prefix:
            paragraph.add_run(prefix)
        bold = italic = 0
        link: str | None = None
        for kid in inline.children or []:
            t = kid.type
            if t == "strong_open":
                bold += 1
            elif t == "strong_close":
                bold -= 1
            elif t == "em_open":
                italic += 1
            elif t == "em_close":
                italic -= 1
            elif t == "link_open":
                link = str(kid.attrGet("href") or "")
            elif t == "link_close":
                link = None
            elif t in ("text", "code_inline", "image"):
                text = kid.content if t != "image" else _plain(kid)
                if link is not None:
                    _hyperlink(paragraph, link, text, bold > 0, italic > 0)
                    continue
                run = paragraph.add_run(text)
                if bold:  # (setting None would add an empty w:rPr to every run)
                    run.bold = True
                if italic:
                    run.italic = True
                if t == "code_inline":
                    run.font.name = "Courier New"
            elif t == "softbreak":
                paragraph.add_run(" ")
            elif t == "hardbreak":
                paragraph.add_run().add_break()
            elif t == "html_inline":  # pragma: no cover - raw HTML is disabled
                paragraph.add_run(kid.content)
            else:  # pragma: no cover - every CommonMark inline token is handled above
                raise ValueError(f"cannot write Markdown token {t!r} to Word")

    def _code(self, content: str) -> None:
        from docx.shared import Pt

        paragraph = self._paragraph("No Spacing")
        lines = content.rstrip("\n").split("\n")
        for n, line in enumerate(lines):
            run = paragraph.add_run(line)
            run.font.name = "Courier New"
            run.font.size = Pt(9)
            if n < len(lines) - 1:
                run.add_break()

    def _text_width(self) -> int:
        section = self.doc.sections[-1]
        return int(section.page_width - section.left_margin - section.right_margin)

    def _table(self, tokens: list[Token], i: int) -> int:
        table = _Table()
        row: list[_Cell] | None = None
        in_head = False
        i += 1
        while tokens[i].type != "table_close":
            tok = tokens[i]
            if tok.type == "caption_open":
                table.caption = tokens[i + 1]
                i += 3
                continue
            if tok.type == "thead_open":
                in_head = True
            elif tok.type == "thead_close":
                in_head = False
            elif tok.type == "tr_open":
                row = []
            elif tok.type == "tr_close":
                assert row is not None
                table.rows.append(row)
                if in_head:
                    table.header_rows += 1
            elif tok.type in ("th_open", "td_open"):
                assert row is not None
                style = str(tok.attrGet("style") or "")
                m = re.search(r"text-align:(\w+)", style)
                row.append(_Cell(tokens[i + 1], m.group(1) if m else None, in_head))
                i += 3
                continue
            i += 1
        self._write_table(table)
        return i + 1

    def _write_table(self, table: _Table) -> None:
        from docx.enum.table import WD_TABLE_ALIGNMENT
        from docx.enum.text import WD_ALIGN_PARAGRAPH
        from docx.oxml import OxmlElement
        from docx.oxml.ns import qn

        if table.caption is not None:
            caption = self._paragraph("Caption")
            caption.paragraph_format.keep_with_next = True
            self._inline(caption, table.caption)
        columns = max((len(r) for r in table.rows), default=0)
        if not columns:  # pragma: no cover - markdown-it never gives an empty table
            return
        out = self.doc.add_table(rows=len(table.rows), cols=columns)
        out.style = self.doc.styles["Table Grid"]
        out.alignment = WD_TABLE_ALIGNMENT.LEFT
        out.autofit = False
        widths = _column_widths(table, columns, self._text_width())
        for c, width in enumerate(widths):
            out.columns[c].width = width
        aligns = {"left": WD_ALIGN_PARAGRAPH.LEFT, "right": WD_ALIGN_PARAGRAPH.RIGHT,
                  "center": WD_ALIGN_PARAGRAPH.CENTER}
        for r, cells in enumerate(table.rows):
            docx_row = out.rows[r]
            row_cells = docx_row.cells  # slow in python-docx: fetch once a row
            header = r < table.header_rows
            tr_pr = docx_row._tr.get_or_add_trPr()
            tr_pr.append(OxmlElement("w:cantSplit"))  # schema order: cantSplit, then tblHeader
            if header:
                repeat = OxmlElement("w:tblHeader")
                repeat.set(qn("w:val"), "true")
                tr_pr.append(repeat)
            for c in range(columns):
                cell = row_cells[c]
                cell.width = widths[c]
                paragraph = cell.paragraphs[0]
                paragraph._p.style = self._style_id(TABLE_HEADING if header else TABLE_TEXT)
                if c < len(cells) and cells[c].inline is not None:
                    inline = cells[c].inline
                    assert inline is not None
                    self._inline(paragraph, inline)
                    if cells[c].align in aligns:
                        paragraph.alignment = aligns[str(cells[c].align)]
                if header:
                    shading = OxmlElement("w:shd")
                    shading.set(qn("w:val"), "clear")
                    shading.set(qn("w:color"), "auto")
                    shading.set(qn("w:fill"), _HEADER_FILL)
                    cell._tc.get_or_add_tcPr().append(shading)
        self.doc.add_paragraph()  # space after the table, as in the HTML


def _column_widths(table: _Table, columns: int, total: int) -> list[int]:
    """Column widths (EMU) that give long text room and keep words and numbers whole.

    Each column gets at least its longest word (header or body; up to 18 characters) and
    wants its longest cell (up to 45 characters); when the wants do not fit, the room left after the
    minimums is shared in proportion to what each column wants beyond its minimum.
    """
    char = 1.75 * 36000  # EMU per character of 9-point Arial, with cell padding
    least: list[float] = []
    want: list[float] = []
    for c in range(columns):
        texts = [_plain(x) for r in table.rows if c < len(r) and (x := r[c].inline) is not None]
        words = [len(w) for t in texts for w in t.split()]
        least.append(min(max([3, *words]), 18) + 2.5)
        want.append(max(least[-1], min(max([0, *(len(t) for t in texts)]), 45) + 2.5))
    room = total / char
    if sum(want) <= room:
        sizes = want
    elif sum(least) >= room:
        sizes = least
    else:
        extra = room - sum(least)
        spare = sum(w - m for w, m in zip(want, least, strict=True))
        sizes = [m + (w - m) / spare * extra for w, m in zip(want, least, strict=True)]
    scale = total / sum(sizes)
    return [int(x * scale) for x in sizes]


def _hyperlink(paragraph: Any, url: str, text: str, bold: bool, italic: bool) -> None:
    """A real, clickable hyperlink run (python-docx has no API for one)."""
    from docx.opc.constants import RELATIONSHIP_TYPE
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    r_id = paragraph.part.relate_to(url, RELATIONSHIP_TYPE.HYPERLINK, is_external=True)
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), r_id)
    run = OxmlElement("w:r")
    props = OxmlElement("w:rPr")  # children in the schema's order: b, i, color, u
    if bold:
        props.append(OxmlElement("w:b"))
    if italic:
        props.append(OxmlElement("w:i"))
    color = OxmlElement("w:color")
    color.set(qn("w:val"), "005EB8")
    props.append(color)
    underline = OxmlElement("w:u")
    underline.set(qn("w:val"), "single")
    props.append(underline)
    run.append(props)
    text_el = OxmlElement("w:t")
    text_el.text = text
    text_el.set(qn("xml:space"), "preserve")
    run.append(text_el)
    link.append(run)
    paragraph._p.append(link)
