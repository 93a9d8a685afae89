"""Markdown to standalone HTML and Word (``careprofiles.outputs.documents``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import docx_text, parse_html

from careprofiles.outputs.documents import markdown_to_docx, markdown_to_html

pytest.importorskip("docx")


def test_markdown_to_html_and_docx_on_their_own(tmp_path: Path) -> None:
    md = (
        "# Title\n\nSome *em* and **bold** and `code` and a [link](https://example.org).\n\n"
        "Table: Costs\n\n| Item | £ |\n|:--|--:|\n| **Beds** | 1,000 |\n\n"
        "1. first\n2. second\n\n- a\n  - nested\n\n> quoted\n\n---\n\n```\nline 1\nline 2\n```\n"
        "\n<b>raw</b>\n"
    )
    page = parse_html(markdown_to_html(md))
    assert page.captions == ["Costs"]
    assert "b" not in [t for t, _ in page.tags]  # raw HTML stays text
    assert "<b>raw</b>" in "".join(page.text)
    out = tmp_path / "x.docx"
    data = markdown_to_docx(md, out)
    assert out.read_bytes() == data
    document, text = docx_text(data)
    styles = [(p.style.name, p.text) for p in document.paragraphs]
    assert ("Heading 1", "Title") in styles
    assert ("Caption", "Costs") in styles
    assert ("List", "1. first") in styles
    assert ("List", "2. second") in styles
    assert ("List Bullet", "a") in styles
    assert ("List Bullet 2", "nested") in styles
    assert ("Quote", "quoted") in styles
    assert "line 1\nline 2" in text
    assert "<b>raw</b>" in text
    assert [c.text for c in document.tables[0].rows[1].cells] == ["Beds", "1,000"]
    assert document.element.xpath("//w:hyperlink")
    assert document.element.xpath('//w:br[@w:type="page"]')
