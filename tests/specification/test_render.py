"""Specifications (``careprofiles.specification.render``): the shipped template, the figures
in it, finding templates, the formats, the example templates and the command line."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import docx_text, parse_html

from careprofiles.cli import main
from careprofiles.costing.result import CostResult, cost
from careprofiles.errors import TemplateError
from careprofiles.outputs.text import format_money, markdown_escape
from careprofiles.profiles.load import load_pathway
from careprofiles.profiles.models import Pathway
from careprofiles.resources import source_location
from careprofiles.specification.render import (
    DEFAULT_TEMPLATE,
    find_template,
    list_templates,
    render_spec,
)
from careprofiles.tariffs.tables import load_tariff

docx = pytest.importorskip("docx")

HERE = Path(__file__).resolve().parents[1]
TEMPLATES = HERE / "data" / "templates"
EXAMPLES = HERE.parent / "examples" / "templates"

HEADINGS = [
    "1. Population needs",
    "1.1 National/local context and evidence base",
    "National context",
    "Local context",
    "2. Outcomes",
    "2.1 NHS Outcomes Framework domains",
    "2.2 Locally defined outcomes",
    "3. Scope",
    "3.1 Aims and objectives of service",
    "3.2 Service description and care pathway",
    "3.3 Population covered",
    "3.4 Any acceptance and exclusion criteria and thresholds",
    "3.5 Interdependence with other services or providers",
    "4. Applicable service standards",
    "4.1 Applicable national standards (for example NICE)",
    "4.3 Applicable local standards",
    "5. Applicable quality requirements and CQUIN goals",
    "5.1 Applicable quality requirements",
    "6. Location of provider premises",
    "Annex A: Costing",
    "A.1 Cost by stage",
    "A.3 Workforce",
    "A.6 Tariff: unit costs and their sources",
]


# ---------------------------------------------------------------- helpers


@pytest.fixture(scope="module")
def spec_md(default_pathway: Pathway, default_cost: CostResult) -> str:
    return render_spec(default_pathway, default_cost)


@pytest.fixture(scope="module")
def spec_html(default_pathway: Pathway, default_cost: CostResult) -> str:
    return render_spec(default_pathway, default_cost, format="html")


@pytest.fixture(scope="module")
def spec_docx(default_pathway: Pathway, default_cost: CostResult) -> bytes:
    return render_spec(default_pathway, default_cost, format="docx")


def small_pathway(
    tmp_path: Path,
    write_pathway: Callable[..., Path],
    write_tariff: Callable[..., Path],
    *,
    service: dict[str, Any] | None = None,
    cohort: dict[str, Any] | None = None,
) -> tuple[Pathway, CostResult]:
    """One stage, one service (default: a weekly one-hour nurse visit), 100 patients."""
    from conftest import make_service, make_stage

    stage = make_stage(services=[service or make_service()])
    folder = write_pathway(tmp_path / "pathway", stages=[stage], cohort=cohort)
    tariff = write_tariff(tmp_path)
    pathway = load_pathway(folder)
    return pathway, cost(pathway, load_tariff(tariff))


# ---------------------------------------------------------------- the shipped template


def test_markdown_has_every_heading_of_the_specification(spec_md: str) -> None:
    headings = [m.group(2) for m in re.finditer(r"^(#{1,4}) (.+)$", spec_md, re.MULTILINE)]
    for heading in HEADINGS:
        assert heading in headings, heading
    assert headings[0] == "Service specification: Adult end of life care"


def test_every_stage_and_service_of_the_bundled_pathway_is_in_every_format(
    default_pathway: Pathway, spec_md: str, spec_html: str, spec_docx: bytes
) -> None:
    page = html.unescape(" ".join(parse_html(spec_html).text))
    _, word = docx_text(spec_docx)
    for stage in default_pathway.stages:
        for text in (spec_md, page, word):
            assert f"Stage {default_pathway.stages.index(stage) + 1}: {stage.label}" in text
        for service in stage.services:
            assert service.label in page
            assert service.label in word


def test_figures_in_the_document_are_the_cost_results_figures(
    default_cost: CostResult, spec_md: str, spec_html: str, spec_docx: bytes
) -> None:
    per_patient = format_money(default_cost.per_patient, pence=True)
    total = format_money(default_cost.total)
    _, word = docx_text(spec_docx)
    page = " ".join(parse_html(spec_html).text)
    for text in (spec_md, page, word):
        assert f"{per_patient} per patient" in text
        assert f"{total} a year" in text
    # every stage's cost per cohort patient and a year, and every role's WTE, in the annex
    for row in default_cost.by_stage().to_dict(orient="records"):
        annex = [
            cells
            for x in spec_md.splitlines()
            if x.startswith("| **")
            and f". {row['name']}**" in x
            and len(cells := [c.strip() for c in x.strip().strip("|").split("|")]) == 8
        ]
        assert len(annex) == 1
        assert annex[0][5] == format_money(row["per_patient"])
        assert annex[0][6] == format_money(row["total"])
    for role in default_cost.by_role().to_dict(orient="records"):
        assert f"| {role['wte']:,.1f} | {format_money(role['cost'])} |" in spec_md


def test_header_table_comes_from_the_header_file(
    default_pathway: Pathway, default_cost: CostResult
) -> None:
    md = render_spec(default_pathway, default_cost, header=TEMPLATES / "header.yaml")
    assert "| **Commissioner lead** | Jo Bloggs, Head of Commissioning |" in md
    assert "| **Date of review** | 31 March 2026 |" in md  # a YAML date, written out
    assert md.startswith("# Service specification: Palliative and end of life care, Exampleshire")
    plain = render_spec(default_pathway, default_cost)
    assert "| **Commissioner lead** | [to be agreed: commissioner lead] |" in plain


def test_docx_has_real_headings_and_tables(spec_docx: bytes, default_pathway: Pathway) -> None:
    document, _ = docx_text(spec_docx)
    by_style: dict[str, list[str]] = {}
    for paragraph in document.paragraphs:
        by_style.setdefault(paragraph.style.name, []).append(paragraph.text)
    assert by_style["Heading 1"] == ["Service specification: Adult end of life care"]
    assert "1. Population needs" in by_style["Heading 2"]
    assert "Annex A: Costing" in by_style["Heading 2"]
    assert "3.2 Service description and care pathway" in by_style["Heading 3"]
    assert "3.2.1 Stage 1: Advancing disease" in by_style["Heading 4"]
    assert "Cost by stage" in by_style["Caption"]
    assert by_style["List Bullet"]
    headers = [[c.text for c in t.rows[0].cells] for t in document.tables]
    assert headers[0] == ["Item", "Details"]  # the header block is a table
    assert ["Service", "Setting", "Uptake", "Frequency and duration"] in headers
    assert ["Service", "Role", "Staff at each contact", "Share of contacts attended"] in headers
    assert ["Role", "Priced per", "Hours a year", "Hours per WTE", "WTE", "Cost a year"] in headers
    # services tables: one per stage, a row per service plus the header row
    services = [
        t
        for t in document.tables
        if [c.text for c in t.rows[0].cells][:2] == ["Service", "Setting"]
        and len(t.rows[0].cells) == 4
    ]
    assert [len(t.rows) - 1 for t in services] == [len(s.services) for s in default_pathway.stages]
    # header rows repeat on every page and are bold
    first = document.tables[0].rows[0]
    assert first._tr.xpath("./w:trPr/w:tblHeader")
    assert {cell.paragraphs[0].style.name for cell in first.cells} == {"Table Heading"}
    assert document.styles["Table Heading"].font.bold
    body = document.tables[0].rows[1].cells[1].paragraphs[0]
    assert body.style.name == "Table Text"
    assert document.core_properties.title == "Service specification: Adult end of life care"


def test_html_is_a_standalone_accessible_page(spec_html: str) -> None:
    page = parse_html(spec_html)
    tags = [t for t, _ in page.tags]
    assert spec_html.startswith("<!DOCTYPE html>")
    assert ("html", {"lang": "en"}) in page.tags
    assert "script" not in tags
    assert "link" not in tags
    assert "img" not in tags
    assert "iframe" not in tags
    assert not any(a.get("src") for _, a in page.tags)
    assert "style" in tags  # the CSS is embedded
    assert [h for h in page.headings if h[0] == "h1"] == [
        ("h1", "Service specification: Adult end of life care")
    ]
    for heading in HEADINGS:
        assert heading in [text for _, text in page.headings], heading
    assert len(page.tables) == len(page.captions) > 10  # every table has a caption
    column_heads = [a for t, a in page.tags if t == "th" and a.get("scope") == "col"]
    assert len(column_heads) >= 4 * len(page.tables)
    assert page.tables[0][0] == ["Item", "Details"]
    assert page.tables[0][1] == ["Service specification no.", "[to be agreed: number]"]
    assert ("th", {"style": "text-align:left", "scope": "row"}) in page.tags


def test_outcomes_are_listed_with_measure_target_direction_source_and_when(
    default_pathway: Pathway, spec_md: str
) -> None:
    for stage in default_pathway.stages:
        for outcome in stage.outcomes:
            row = next(
                x
                for x in spec_md.splitlines()
                if x.startswith(f"| {outcome.label} | {stage.label} |")
            )
            cells = [c.strip() for c in row.strip("|").split("|")]
            assert cells[2] == markdown_escape(outcome.measure or "")
            assert outcome.target is not None
            assert cells[3] == f"{outcome.target * 100:.0f}%"  # every bundled target is a share
            assert cells[4] == {"higher": "Higher", "lower": "Lower"}[outcome.direction or ""]
            assert cells[5] == markdown_escape(outcome.source or "")
            assert cells[6] == markdown_escape(outcome.recorded_at or "")


def test_national_standards_and_the_stages_standards_are_cited(
    default_pathway: Pathway, spec_md: str
) -> None:
    for code in ("QS13", "NG31", "NG142"):
        assert f"NICE quality standard {code}" in spec_md or f"NICE guideline {code}" in spec_md
    for stage in default_pathway.stages:
        for standard in stage.standards:
            assert f"| {markdown_escape(standard)} |" in spec_md


def _section(markdown: str, heading: str) -> str:
    """The text of a ``###`` section of the specification, up to the next heading of 2-3 #."""
    start = markdown.index(f"\n### {heading}\n")
    end = re.compile(r"^#{2,3} ", re.MULTILINE).search(markdown, start + 5)
    return markdown[start : end.start() if end else len(markdown)]


def test_national_guidance_is_cited_with_its_title_and_years(spec_md: str) -> None:
    # NICE's own pages: QS13 published 2011, updated March 2017 (last-days statement moved
    # to QS144) and September 2021; NG142 October 2019; NG31 December 2015; QS144 March
    # 2017; CG140 May 2012, updated August 2016
    national = _section(spec_md, "4.1 Applicable national standards (for example NICE)")
    for line in (
        "- NICE quality standard QS13, End of life care for adults (2011; updated 2017 and 2021)",
        "- NICE guideline NG142, End of life care for adults: service delivery (2019)",
        "- NICE guideline NG31, Care of dying adults in the last days of life (2015)",
        "- NICE quality standard QS144, Care of dying adults in the last days of life (2017)",
        "- NICE guideline CG140, Palliative care for adults: strong opioids for pain relief "
        "(2012; updated 2016)",
    ):
        assert line in national.splitlines(), line
    assert "a national framework for local action 2021–2026" in national
    assert "(Leadership Alliance for the Care of Dying People, 2014)" in national
    assert "NG140" not in spec_md  # NG140 is abortion care; the opioids guideline is CG140


def test_the_five_outcomes_framework_domains_have_their_names(spec_md: str) -> None:
    domains = _section(spec_md, "2.1 NHS Outcomes Framework domains")
    rows = [r for r in domains.splitlines() if re.match(r"\| \*\*\d\*\* \|", r)]
    names = [[c.strip() for c in r.strip("|").split("|")][1] for r in rows]
    assert names == [
        "Preventing people from dying prematurely",
        "Enhancing quality of life for people with long-term conditions",
        "Helping people to recover from episodes of ill health or following injury",
        "Ensuring that people have a positive experience of care",
        "Treating and caring for people in a safe environment and protecting them from "
        "avoidable harm",
    ]


def test_our_own_wording_is_marked_as_a_starting_point_in_every_format(
    spec_md: str, spec_html: str, spec_docx: bytes
) -> None:
    for heading in (
        "2.1 NHS Outcomes Framework domains",
        "3.1 Aims and objectives of service",
        "3.4 Any acceptance and exclusion criteria and thresholds",
        "3.5 Interdependence with other services or providers",
        "3.8 Safeguarding and the Mental Capacity Act",
    ):
        assert "\n> **Starting point:** " in _section(spec_md, heading), heading
    assert spec_md.count("> **Starting point:**") == 5
    assert spec_html.count("<blockquote>") == 5
    document, _ = docx_text(spec_docx)
    quotes = [p.text for p in document.paragraphs if p.style.name == "Quote"]
    assert len(quotes) == 5
    assert all(q.startswith("Starting point: ") for q in quotes)


def test_acceptance_lists_each_entry_criterion_and_names_exclusions_and_thresholds(
    default_pathway: Pathway, spec_md: str
) -> None:
    acceptance = _section(spec_md, "3.4 Any acceptance and exclusion criteria and thresholds")
    lines = acceptance.splitlines()
    for number, stage in enumerate(default_pathway.stages, start=1):
        assert f"**Stage {number}: {markdown_escape(stage.label)}**" in lines
        for criterion in stage.entry_criteria:
            assert f"- {markdown_escape(criterion)}" in lines, criterion
    for part in ("**Acceptance.**", "**Exclusions.**", "**Thresholds.**"):
        assert part in acceptance
    population = _section(spec_md, "3.3 Population covered")
    assert re.search(r"About [\d,]+ people a year enter the pathway", population)


def test_tariff_sources_of_every_row_used_are_in_the_annex(
    default_cost: CostResult, spec_md: str
) -> None:
    for code in set(default_cost.lines["code"]):
        row = default_cost.tariff[code]
        price = format_money(row.cost, pence=True)
        assert f"| {code} | {markdown_escape(row.description)} | {row.unit} | {price} |" in spec_md
        assert markdown_escape(row.source) in spec_md
        # the row's file:line with the file by its name (issue 15)
        assert f"| {source_location(row.location)} |" in spec_md
        assert source_location(row.location).startswith("national-2024-25.csv:")


# ---------------------------------------------------------------- hand-computed figures


def test_small_pathway_figures_by_hand(
    tmp_path: Path, write_pathway: Callable[..., Path], write_tariff: Callable[..., Path]
) -> None:
    # 100 patients; one one-hour nurse visit a week for 1 week; nurse £60 an hour:
    # £60 a patient, £6,000 a year, 100 hours a year = 100 / 1,650 = 0.06 WTE
    pathway, result = small_pathway(tmp_path, write_pathway, write_tariff)
    md = render_spec(pathway, result)
    assert "**£60.00 per patient**" in md
    assert "**£6,000 a year**" in md
    assert "| nurse | hour | 100 | 1,650 | 0.1 | £6,000 |" in md
    assert "| visits | Patient's home | 100% | 1 contact a week, 60 minutes |" in md
    assert "commissioned for **100 people a year**" in md


def test_cohort_arithmetic_by_hand(
    tmp_path: Path, write_pathway: Callable[..., Path], write_tariff: Callable[..., Path]
) -> None:
    # 40,000 people x 9.5 deaths per 1,000 = 380 deaths; x 75% = 285 patients
    pathway, result = small_pathway(
        tmp_path,
        write_pathway,
        write_tariff,
        cohort={"population": 40000, "deaths_per_1000": 9.5, "eligible_share": 0.75},
    )
    md = render_spec(pathway, result)
    assert "(40,000 \N{MULTIPLICATION SIGN} 9.5 / 1,000 \N{MULTIPLICATION SIGN} 75% = 285)" in md
    assert "| **= deaths a year** | 380 |" in md
    assert "| **= people entering the pathway a year** | 285 |" in md
    assert "**£17,100 a year**" in md  # 285 x £60


def test_services_with_items_say_what_and_how_many(
    tmp_path: Path, write_pathway: Callable[..., Path], write_tariff: Callable[..., Path]
) -> None:
    from conftest import make_service, make_stage

    stage = make_stage(
        duration_weeks=2,
        services=[
            make_service(contacts={"per_day": 2, "minutes": 45, "travel_minutes": 20}),
            {
                "id": "beds",
                "setting": "hospice",
                "uptake": 0.5,
                "items": [{"code": "bed-day", "per_week": 7}, {"code": "pack", "quantity": 1}],
            },
        ],
    )
    folder = write_pathway(tmp_path / "p", stages=[stage])
    tariff = write_tariff(
        tmp_path,
        [
            {"code": "nurse", "unit": "hour", "cost": 60},
            {
                "code": "bed-day",
                "unit": "day",
                "cost": 500,
                "description": "Hospice bed day, per day",
            },
            {
                "code": "pack",
                "unit": "item",
                "cost": 40,
                "description": "Medicines pack: four drugs",
            },
        ],
    )
    pathway = load_pathway(folder)
    md = render_spec(pathway, cost(pathway, load_tariff(tariff)))
    assert "| visits | Patient's home | 100% | 2 contacts a day, 45 minutes (+20 travel) |" in md
    said = "Hospice bed day: 7 days a week; Medicines pack: 1 item per patient"
    assert f"| beds | Hospice | 50% | {said} |" in md
    # beds: 14 days x £500 + £40 = £7,040 per patient receiving; x 50% = £3,520 per patient
    assert "| beds | Hospice | 50% | 50 | £7,040 | £3,520 | £352,000 |" in md


# ---------------------------------------------------------------- escaping


def test_free_text_cannot_break_tables_or_inject_markup(
    tmp_path: Path, write_pathway: Callable[..., Path], write_tariff: Callable[..., Path]
) -> None:
    from conftest import make_service

    name = "Visits | <script>alert(1)</script> *not bold* [x](javascript:alert(1))"
    pathway, result = small_pathway(
        tmp_path, write_pathway, write_tariff, service=make_service(name=name)
    )
    md = render_spec(pathway, result)
    row = next(x for x in md.splitlines() if "alert" in x and "Patient's home" in x)
    assert len(re.split(r"(?<!\\)\|", row.strip().strip("|"))) == 4  # still four cells
    page = render_spec(pathway, result, format="html")
    parsed = parse_html(page)
    assert "script" not in [t for t, _ in parsed.tags]
    assert "a" not in [t for t, _ in parsed.tags]
    assert "em" not in [t for t, _ in parsed.tags]
    services = next(t for t in parsed.tables if t[0][:2] == ["Service", "Setting"])
    assert services[1][0] == name
    _, word = docx_text(render_spec(pathway, result, format="docx"))
    assert name in word


def test_a_result_from_another_pathway_is_refused(
    tmp_path: Path,
    write_pathway: Callable[..., Path],
    write_tariff: Callable[..., Path],
    default_cost: CostResult,
) -> None:
    pathway, _ = small_pathway(tmp_path, write_pathway, write_tariff)
    with pytest.raises(ValueError, match="another pathway"):
        render_spec(pathway, default_cost)


# ---------------------------------------------------------------- templates and formats


def test_unknown_template_names_and_files(
    default_pathway: Pathway, default_cost: CostResult
) -> None:
    with pytest.raises(TemplateError, match="did you mean 'nhs-service-specification'"):
        render_spec(default_pathway, default_cost, template="nhs")
    with pytest.raises(TemplateError, match="no such file"):
        render_spec(default_pathway, default_cost, template=TEMPLATES / "nope.md.j2")
    assert DEFAULT_TEMPLATE in list_templates()


def test_templates_are_found_by_name_or_path(tmp_path: Path) -> None:
    shipped = find_template(None)
    assert shipped.path.name == f"{DEFAULT_TEMPLATE}.md.j2"
    assert not shipped.html
    assert find_template(DEFAULT_TEMPLATE) == shipped
    page = find_template(TEMPLATES / "minimal.html.j2")
    assert page.html
    assert page.path.is_absolute()
    with pytest.raises(TemplateError, match="is a folder"):
        find_template(tmp_path)


def test_html_template_is_autoescaped_and_gives_html_only(
    tmp_path: Path, write_pathway: Callable[..., Path], write_tariff: Callable[..., Path]
) -> None:
    from conftest import make_service

    pathway, result = small_pathway(
        tmp_path, write_pathway, write_tariff, service=make_service(name="<script>x</script> & co")
    )
    page = render_spec(pathway, result, template=TEMPLATES / "minimal.html.j2", format="html")
    assert "&lt;script&gt;x&lt;/script&gt; &amp; co" in page
    assert "<script>" not in page
    assert "£60.00" in page
    with pytest.raises(TemplateError, match="an HTML template gives HTML only"):
        render_spec(pathway, result, template=TEMPLATES / "minimal.html.j2", format="docx")


def test_unknown_format_is_refused(default_pathway: Pathway, default_cost: CostResult) -> None:
    with pytest.raises(ValueError, match="format 'pdf'"):
        render_spec(default_pathway, default_cost, format="pdf")


# ---------------------------------------------------------------- examples


@pytest.mark.parametrize("template", sorted(p.name for p in EXAMPLES.glob("*.j2")))
def test_example_templates_render(
    default_pathway: Pathway, default_cost: CostResult, template: str
) -> None:
    md = render_spec(
        default_pathway, default_cost, template=EXAMPLES / template, header=EXAMPLES / "header.yaml"
    )
    assert format_money(default_cost.per_patient, pence=True) in md
    assert "Increasing decline" in md
    _, word = docx_text(render_spec(default_pathway, default_cost, EXAMPLES / template, "docx"))
    assert format_money(default_cost.total) in word


def test_example_local_specification_overrides_blocks(
    default_pathway: Pathway, default_cost: CostResult
) -> None:
    md = render_spec(default_pathway, default_cost, template=EXAMPLES / "local-specification.md.j2")
    assert "Exampleshire's population is older" in md
    assert "No CQUIN goal applies in the first year" in md
    assert "To be agreed.\n\n## 6." not in md
    assert "## 1. Population needs" in md
    assert "## Annex A: Costing" in md


# ---------------------------------------------------------------- command line


def test_cli_writes_each_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for ext in ("md", "html", "docx"):
        out = tmp_path / f"spec.{ext}"
        assert main(["spec", "-o", str(out)]) == 0
        assert out.stat().st_size > 10_000
    assert (tmp_path / "spec.md").read_text(encoding="utf-8").startswith("# Service specification")
    assert (tmp_path / "spec.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    document, _ = docx_text((tmp_path / "spec.docx").read_bytes())
    assert document.paragraphs[0].style.name == "Heading 1"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["spec.docx", "spec.html", "spec.md"]


def test_cli_markdown_to_stdout_and_format_option(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["spec", "--commissioner-lead", "Dr Who", "--review-date", "1 May 2026"]) == 0
    out = capsys.readouterr().out
    assert "| **Commissioner lead** | Dr Who |" in out
    assert "| **Date of review** | 1 May 2026 |" in out
    target = tmp_path / "spec.txt"
    assert main(["spec", "--format", "html", "-o", str(target)]) == 0
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_cli_options_override_the_header_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["spec", "--header", str(TEMPLATES / "header.yaml"), "--provider-lead", "A N Other"])
        == 0
    )
    out = capsys.readouterr().out
    assert "| **Provider lead** | A N Other |" in out
    assert "| **Commissioner lead** | Jo Bloggs, Head of Commissioning |" in out


def test_cli_refuses_to_overwrite_without_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "spec.md"
    out.write_text("keep me\n", encoding="utf-8")
    assert main(["spec", "-o", str(out)]) == 1
    assert "exists already; use --force" in capsys.readouterr().err
    assert out.read_text(encoding="utf-8") == "keep me\n"
    assert main(["spec", "-o", str(out), "--force"]) == 0
    assert out.read_text(encoding="utf-8").startswith("# Service specification")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--template", str(TEMPLATES / "undefined-name.md.j2")],
            "undefined-name.md.j2:6: 'stagez' is undefined",
        ),
        (
            ["--template", str(TEMPLATES / "sandbox-escape.md.j2")],
            "sandbox-escape.md.j2:3: refused",
        ),
        (
            ["--template", str(TEMPLATES / "syntax-error.md.j2")],
            "syntax-error.md.j2:4: template syntax error",
        ),
        (
            ["--header", str(TEMPLATES / "header-bad.yaml")],
            "header-bad.yaml:2: comissioner_lead: unknown key",
        ),
        (["--template", str(TEMPLATES / "minimal.html.j2")], "an HTML template gives HTML only"),
        (["--provider", "  "], "provider: is empty"),
    ],
)
def test_cli_errors_exit_1_without_traceback_or_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    for ext in ("md", "docx"):
        out = tmp_path / f"spec.{ext}"
        assert main(["spec", *args, "-o", str(out)]) == 1
        err = capsys.readouterr().err
        assert message in err
        assert "Traceback" not in err
        assert list(tmp_path.iterdir()) == []  # no output, no temporary file left behind


def test_cli_binary_format_needs_a_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["spec", "--format", "docx"]) == 1
    assert "give one with -o FILE" in capsys.readouterr().err


def test_cli_lists_templates(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["spec", "--list-templates"]) == 0
    assert capsys.readouterr().out.split() == list_templates()


def test_cli_runs_the_example_custom_template(tmp_path: Path) -> None:
    out = tmp_path / "summary.docx"
    template = EXAMPLES / "board-summary.md.j2"
    assert (
        main(
            [
                "spec",
                "--template",
                str(template),
                "--header",
                str(EXAMPLES / "header.yaml"),
                "-o",
                str(out),
            ]
        )
        == 0
    )
    _, text = docx_text(out.read_bytes())
    assert "Palliative and end of life care, Exampleshire: summary for the board" in text


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_libreoffice_converts_the_word_file(tmp_path: Path, spec_docx: bytes) -> None:
    source = tmp_path / "spec.docx"
    source.write_bytes(spec_docx)
    done = subprocess.run(
        [
            "soffice",
            "--headless",
            f"-env:UserInstallation=file://{tmp_path / 'profile'}",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    pdf = tmp_path / "spec.pdf"
    assert done.returncode == 0, done.stderr
    assert pdf.is_file()
    assert pdf.read_bytes().startswith(b"%PDF")
    assert pdf.stat().st_size > 50_000


@pytest.mark.skipif(
    not (HERE.parent / "examples" / "scenarios" / "condition-variants.yaml").is_file(),
    reason="no example scenario file",
)
def test_cli_specifies_a_scenario_with_the_figures_cost_gives(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import json

    scenarios = HERE.parent / "examples" / "scenarios"
    args = [
        "--scenarios", str(scenarios / "condition-variants.yaml"), "--scenario", "heart-failure",
        "--tariff", str(HERE.parent / "profiles" / "tariffs" / "national-2024-25.csv"),
        "--tariff", str(scenarios / "variant-roles.csv"),
    ]  # fmt: skip
    assert main(["cost", *args, "--format", "json"]) == 0
    costed = json.loads(capsys.readouterr().out)
    assert main(["spec", *args]) == 0
    md = capsys.readouterr().out
    assert f"| **Cost per patient** | {format_money(costed['per_patient'], pence=True)} |" in md
    assert f"**{format_money(costed['total'])} a year**" in md
