"""Standards reports (careprofiles.outputs.standards): text, JSON, Markdown, HTML, Word, chart."""

from __future__ import annotations

import json
import re
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from standards_testing import EXAMPLES, MINI, ROOT

from careprofiles.errors import MissingDependencyError, OutputExistsError
from careprofiles.outputs.standards import (
    progression_chart,
    render_standards,
    write_progression_chart,
    write_standards_docx,
)
from careprofiles.standards.assessments import load_assessments
from careprofiles.standards.framework import load_framework
from careprofiles.standards.models import (
    STANDARD_STATUSES,
    Framework,
)
from careprofiles.standards.result import assess_standards


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run from the repository so that file names print relative to it."""
    monkeypatch.chdir(ROOT)


@pytest.fixture(scope="module")
def mini() -> Framework:
    return load_framework(MINI)


class _Html(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag not in ("meta", "img", "br", "link"):
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack[-1:] == [tag], f"</{tag}> closes <{self.stack[-1:]}>"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


@pytest.fixture(scope="module")
def examples_result() -> Any:
    return assess_standards(load_assessments(EXAMPLES))


def test_examples_are_at_three_stages(examples_result: Any) -> None:
    p = examples_result.practices.set_index("practice")
    assert bool(p.loc["riverside-surgery", "accredited"])
    assert not p.loc["millbrook-health-centre", "accredited"]
    assert p.loc["millbrook-health-centre", "assessments"] == 3
    assert p.loc["millbrook-health-centre", "gained"] > 0
    assert p.loc["castle-view-practice", "assessments"] == 1
    assert len(examples_result.warnings) == 1


def test_json_report(examples_result: Any) -> None:
    data = json.loads(render_standards(examples_result, "json"))
    assert {"framework", "practices", "summary", "warnings"} <= set(data)
    assert data["framework"]["id"] == "supportive-palliative-care-primary"
    for p in data["practices"]:
        assert {
            "practice",
            "accredited",
            "latest_date",
            "baseline",
            "latest",
            "standards",
            "gaps",
        } <= set(p)
        assert set(p["baseline"]) >= {"met", "of"}
        assert set(p["latest"]) >= {"met", "of"}
        for s in p["standards"]:
            assert {"id", "name", "status", "met", "of"} <= set(s)
            assert s["status"] in STANDARD_STATUSES
    standards = data["summary"].pop("standards")
    assert data["summary"] == {
        "practices": 3,
        "accredited": 1,
        "assessments": 6,
        "unevidenced_claims": 1,
    }
    assert len(standards) == 8
    for s in standards:
        assert s["met"] + s["partly_met"] + s["not_started"] == 3
    register = next(s for s in standards if s["id"] == "register")
    assert (register["met"], register["partly_met"], register["not_started"]) == (2, 1, 0)


def test_table_and_markdown_reports(examples_result: Any) -> None:
    table = render_standards(examples_result, "table")
    assert "Summary: 1 of 3 practices accredited" in table
    assert "== Riverside Surgery (riverside-surgery)" in table
    assert "1 (baseline)" in table
    md = render_standards(examples_result, "md")
    assert md.startswith("# Practice standards report\n")
    assert "## Summary across practices" in md
    assert "## Millbrook Health Centre (`millbrook-health-centre`)" in md
    assert "### Gaps at the latest assessment" in md
    for line in md.splitlines():
        if line.startswith("|"):
            assert line.endswith("|")


def test_text_report_tables_pinned(examples_result: Any) -> None:
    """The plain-text tables to the byte: counts right-aligned, the rest left."""
    lines = render_standards(examples_result, "table").splitlines()
    i = lines.index("Summary: 1 of 3 practices accredited at their latest assessment")
    # at most 100 columns (issue 15): a header and a long practice id wrap
    assert lines[i + 2 : i + 7] == [
        "practice            assessments  baseline    latest      criteria met   gained"
        "  required  accredited",
        "                                                                                met",
        "------------------  -----------  ----------  ----------  -------------  ------"
        "  --------  ----------",
        "millbrook-health-             3  2023-05-02  2024-05-14  3 -> 15 of 33     +12"
        "  13 of 19  no",
        "centre",
    ]
    i = lines.index("Progression")
    assert lines[i + 1 : i + 4] == [
        "#             date        criteria met  required met  standards met  accredited",
        "------------  ----------  ------------  ------------  -------------  ----------",
        "1 (baseline)  2023-05-02       3 of 33       3 of 19              0  no",
    ]
    i = lines.index("Standards across practices (at each practice's latest assessment)")
    assert lines[i + 3] == (
        "Identifying patients in the last 6-12 months of life    1           1            1"
    )


def test_html_report_is_standalone_and_accessible(examples_result: Any) -> None:
    html = render_standards(examples_result, "html")
    parser = _Html()
    parser.feed(html)
    parser.close()
    assert not parser.stack, f"unclosed {parser.stack}"
    tags = parser.tags
    assert ("html", {"lang": "en"}) in tags
    tables = [t for t, _ in tags if t == "table"]
    captions = [t for t, _ in tags if t == "caption"]
    assert len(tables) == len(captions) >= 4
    assert all(a.get("scope") in ("col", "row") for t, a in tags if t == "th")
    images = [a for t, a in tags if t == "img"]
    assert len(images) == 1
    assert images[0]["src"].startswith("data:image/svg+xml;base64,")
    assert "Riverside Surgery" in images[0]["alt"]
    assert not [a for t, a in tags if t in ("link", "script")]
    assert not re.search(r"""(src|href)=["']https?:""", html)
    text = "".join(parser.text)
    assert "Summary across practices" in text
    assert "Castle View Practice" in text


def test_html_escapes_text(mini: Framework, tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text(
        "format: careprofiles-standards/1\npractice: p1\nname: <script>alert(1)</script>\n"
        "assessments:\n  - date: 2024-01-01\n",
        encoding="utf-8",
    )
    r = assess_standards(load_assessments(path, framework=mini), mini)
    html = render_standards(r, "html", chart=False)
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert "needs matplotlib" in html


def test_docx_report(examples_result: Any, tmp_path: Path) -> None:
    import docx

    path = write_standards_docx(examples_result, tmp_path / "r.docx")
    with pytest.raises(OutputExistsError):
        write_standards_docx(examples_result, path)
    doc = docx.Document(str(path))
    headings = [
        (p.style.name, p.text) for p in doc.paragraphs if p.style.name.startswith("Heading")
    ]
    assert ("Heading 1", "Summary across practices") in headings
    assert ("Heading 1", "Riverside Surgery (riverside-surgery)") in headings
    assert ("Heading 2", "Progression") in headings
    assert all(t.style.name == "Table Grid" for t in doc.tables)
    assert [c.text for c in doc.tables[0].rows[0].cells][:2] == ["Practice", "Assessments"]
    assert len(doc.tables[0].rows) == 4
    assert [c.text for c in doc.tables[1].rows[0].cells] == [
        "Standard",
        "Met",
        "Partly met",
        "Not started",
    ]
    assert len(doc.inline_shapes) == 1


def test_docx_rows_are_the_text_reports_in_full(examples_result: Any, tmp_path: Path) -> None:
    import docx

    path = write_standards_docx(examples_result, tmp_path / "r.docx", chart=False)
    tables = docx.Document(str(path)).tables
    assert [c.text for c in tables[0].rows[1].cells] == [
        "Millbrook Health Centre (millbrook-health-centre)",
        "3",
        "2023-05-02",
        "2024-05-14",
        "3 \u2192 15 of 33",
        "+12",
        "13 of 19",
        "no",
    ]
    progression = next(t for t in tables if t.rows[0].cells[0].text == "Assessment")
    assert [c.text for c in progression.rows[1].cells] == [
        "1 (baseline)",
        "2023-05-02",
        "3 of 33",
        "3 of 19",
        "0",
        "no",
    ]


def test_progression_chart(examples_result: Any, tmp_path: Path) -> None:
    fig = progression_chart(examples_result)
    ax = fig.axes[0]
    assert [line.get_label() for line in ax.get_lines()][:3] == [
        "Millbrook Health Centre",
        "Castle View Practice",
        "Riverside Surgery",
    ]
    assert list(ax.get_lines()[2].get_ydata()) == [pytest.approx(600 / 19), 100.0]
    png = write_progression_chart(examples_result, tmp_path / "p.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = write_progression_chart(examples_result, tmp_path / "p.svg")
    assert b"<svg" in svg.read_bytes()
    with pytest.raises(OutputExistsError, match="exists already; pass force=True"):
        write_progression_chart(examples_result, png)
    write_progression_chart(examples_result, png, force=True)
    with pytest.raises(ValueError, match=r"\.png, \.svg or \.pdf"):
        write_progression_chart(examples_result, tmp_path / "p.gif")


def test_missing_optional_dependencies(
    examples_result: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    monkeypatch.setitem(sys.modules, "docx", None)
    with pytest.raises(MissingDependencyError, match=r"careprofiles\[plot\]"):
        write_progression_chart(examples_result, tmp_path / "p.png")
    with pytest.raises(MissingDependencyError, match=r"careprofiles\[docx\]"):
        write_standards_docx(examples_result, tmp_path / "r.docx")
    assert "needs matplotlib" in render_standards(examples_result, "html")


def test_docx_report_has_the_specification_page_and_styles(
    examples_result: Any, tmp_path: Path
) -> None:
    """Issue 15: the standards report is A4 with the specification's margins and Arial,
    and no table header breaks mid-word."""
    import docx
    from docx.shared import Mm

    from careprofiles.outputs.word_tables import CELL_PADDING_MM, HEADER_CHAR_MM

    path = write_standards_docx(examples_result, tmp_path / "r.docx", chart=False)
    doc = docx.Document(str(path))
    for section in doc.sections:
        # Word keeps page sizes in twentieths of a point: the same to 0.01 mm
        assert section.page_width.mm == pytest.approx(210, abs=0.01)
        assert section.page_height.mm == pytest.approx(297, abs=0.01)
        assert section.left_margin.mm == pytest.approx(20, abs=0.01)
        assert section.right_margin.mm == pytest.approx(20, abs=0.01)
    assert doc.styles["Normal"].font.name == "Arial"
    assert doc.styles["Heading 1"].font.name == "Arial"
    text_width = Mm(170)
    for t in doc.tables:
        header = t.rows[0].cells
        assert all(c.paragraphs[0].style.name == "Table Heading" for c in header)
        assert all(c.paragraphs[0].style.name == "Table Text" for c in t.rows[1].cells)
        widths = [c.width for c in header]
        assert sum(widths) <= text_width + Mm(0.01) * len(widths)  # twips rounding
        for cell, width in zip(header, widths, strict=True):
            word = max(len(w) for w in cell.text.split())
            assert width.mm >= word * HEADER_CHAR_MM + CELL_PADDING_MM - 0.01, cell.text


def test_header_fit_widths_by_hand() -> None:
    from careprofiles.outputs.word_tables import header_fit_widths

    # minimums: "Accredited" 10 chars -> 10*2 + 3.8 = 23.8; "Met" 3 -> 9.8
    # wants: 23.8 (header only is shorter as body text) and 9.8 -> fits 100 mm: scaled up
    widths = header_fit_widths(["Accredited", "Met"], [["no", "1"]], 100)
    assert widths == pytest.approx([100 * 23.8 / 33.6, 100 * 9.8 / 33.6])
    # too narrow for the minimums: they are kept whole
    assert header_fit_widths(["Accredited", "Met"], [["no", "1"]], 20) == pytest.approx([23.8, 9.8])
    # the room after the minimums goes by what each wants beyond them:
    # col 0 wants 45*1.75+3.8 = 82.55 (beyond 23.8: 58.75); col 1 wants 9.8 (0)
    widths = header_fit_widths(["Accredited", "Met"], [["x" * 60, "1"]], 50)
    assert widths == pytest.approx([40.2, 9.8])
