"""Reports of practice standards: text table, JSON, Markdown, HTML, Word, progression chart.

Every renderer takes a :class:`~careprofiles.standards.result.StandardsResult` and shows the
same things: a summary across practices (with the progression from each baseline), then
one section a practice (status of each standard at the latest assessment, progression,
and the gaps left). Markdown and HTML come from the Jinja templates in
``templates/standards/``; Word output is built with python-docx (the ``docx`` extra) and
the chart with matplotlib (the ``plot`` extra), both imported only when used.

The programme sections (groups, re-accreditation, the costed facilitation programme,
standards against outcomes) are built in :mod:`.standards_programme` and shown only when
their inputs are given.

Imports: resources, standards.result, standards.programme, outputs.charts (matplotlib, when
drawn), outputs.documents, outputs.files, outputs.text, outputs.word_tables,
outputs.standards_outcomes, outputs.standards_programme.
"""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import jinja2

from careprofiles.errors import MissingDependencyError
from careprofiles.outputs.charts import require_matplotlib
from careprofiles.outputs.documents import setup_document
from careprofiles.outputs.files import write_atomic
from careprofiles.outputs.standards_outcomes import StandardsOutcomes
from careprofiles.outputs.standards_programme import (
    add_sections_docx,
    groups_chart,
    groups_chart_alt,
    practice_note,
    programme_sections,
    sections_markdown,
)
from careprofiles.outputs.standards_text import (
    count_noun,
    practice_rows,
    progression_rows,
    standard_rows,
    standards_text,
    summary_rows,
)
from careprofiles.outputs.text import markdown_escape
from careprofiles.outputs.word_tables import add_word_table
from careprofiles.resources import source_name
from careprofiles.standards.programme import ProgrammeCost
from careprofiles.standards.result import StandardsResult

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "STANDARDS_FORMATS",
    "progression_chart",
    "render_standards",
    "standards_docx_writer",
    "write_groups_chart",
    "write_progression_chart",
    "write_standards_docx",
]

STANDARDS_FORMATS = ("table", "json", "md", "html", "docx")
"""The formats a standards report is written in (``docx`` only to a file)."""

TextFormat = Literal["table", "json", "md", "html"]

_TEMPLATES = Path(__file__).resolve().parent / "templates" / "standards"

_STATUS_WORDS = {
    "met": "met",
    "partly-met": "partly met",
    "not-met": "not met",
    "not-assessed": "not assessed",
}


def report_data(
    result: StandardsResult,
    *,
    programme: ProgrammeCost | None = None,
    outcomes: StandardsOutcomes | None = None,
) -> dict[str, Any]:
    """What every report shows: :meth:`StandardsResult.to_dict`, the costed ``programme``
    and the ``outcomes`` compared (each when given), and the warnings."""
    data = result.to_dict()
    if programme is not None:
        data["programme"] = programme.to_dict()
    if outcomes is not None:
        data["outcomes"] = outcomes.to_dict()
    # the files by their names, as documents name inputs (the command line's warnings on
    # standard error keep the paths)
    data["warnings"] = [
        str(replace(p, file=source_name(p.file)) if p.file else p) for p in result.warnings
    ]
    return data


def render_standards(
    result: StandardsResult,
    fmt: TextFormat = "table",
    *,
    chart: bool = True,
    programme: ProgrammeCost | None = None,
    outcomes: StandardsOutcomes | None = None,
) -> str:
    """The report as text: ``table``, ``json``, ``md`` or ``html``.

    ``chart`` puts the progression chart (and, with groups, the chart by group) into HTML
    (inline SVG images) when matplotlib is installed; without it the report says how to
    get one. ``programme`` (:func:`~careprofiles.standards.programme.cost_programme`) and
    ``outcomes`` (:func:`~careprofiles.outputs.standards_outcomes.standards_outcomes`) add
    their sections.
    """
    data = report_data(result, programme=programme, outcomes=outcomes)
    if fmt == "json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if fmt == "table":
        return standards_text(data)
    sections = programme_sections(data)
    if fmt == "md":
        return (
            _environment(html=False)
            .get_template("report.md.j2")
            .render(sections_md=sections_markdown(sections), **data)
        )
    if fmt == "html":
        uri = _svg_uri(lambda: _chart_bytes(result, "svg")) if chart else None
        groups_uri = None
        if chart and sections and "groups" in data["summary"]:
            groups_uri = _svg_uri(lambda: _figure_bytes(groups_chart(data), "svg"))
        return (
            _environment(html=True)
            .get_template("report.html.j2")
            .render(
                chart=uri,
                chart_alt=_chart_alt(data),
                sections=sections,
                groups_chart=groups_uri,
                groups_chart_alt=groups_chart_alt(data) if groups_uri else "",
                **data,
            )
        )
    raise ValueError(f"unknown format {fmt!r}; use one of table, json, md, html")


def _svg_uri(draw: Callable[[], bytes]) -> str | None:
    """A chart as a data: URI, or None when matplotlib is missing."""
    try:
        image = draw()
    except MissingDependencyError:
        return None
    return "data:image/svg+xml;base64," + base64.b64encode(image).decode("ascii")


# --------------------------------------------------------------------------- templates


def _md(value: Any) -> str:
    """Text safe in a Markdown table cell (its own Markdown kept)."""
    return markdown_escape(str(value), keep_markup=True)


def _status(value: str) -> str:
    return _STATUS_WORDS.get(value, value)


def _environment(html: bool) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(_TEMPLATES),
        autoescape=html,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["md"] = _md
    env.filters["status"] = _status
    env.filters["signed"] = lambda n: f"{n:+d}"
    env.filters["practice_note"] = practice_note
    return env


# --------------------------------------------------------------------------- chart


def _chart_alt(data: dict[str, Any]) -> str:
    parts = []
    for p in data["practices"]:
        steps = ", ".join(
            f"{g['date']}: {g['required_met']} of {g['required_of']}" for g in p["progression"]
        )
        parts.append(f"{p['name']} ({steps})")
    return "Required criteria met with evidence at each assessment. " + "; ".join(parts) + "."


def progression_chart(result: StandardsResult) -> Figure:
    """The progression chart: required criteria met with evidence (%) at each assessment.

    One line a practice, from its baseline; the accreditation line is at 100%. Needs
    matplotlib (the ``plot`` extra); uses no global pyplot state.
    """
    figure_class = require_matplotlib("A progression chart")
    prog = result.progression
    fig = figure_class(figsize=(8, 4.5), layout="constrained")
    ax = fig.add_subplot()
    markers = "osD^vP*Xh"
    for i, (_, rows) in enumerate(prog.groupby("practice", sort=False)):
        share = 100 * rows["required_met"] / rows["required_of"]
        ax.plot(
            rows["date"],
            share,
            marker=markers[i % len(markers)],
            label=str(rows["name"].iloc[0]),
        )
    ax.axhline(100, linestyle="--", linewidth=1, color="0.3")
    ax.annotate(
        "accredited: every required criterion met",
        xy=(0.01, 100),
        xycoords=("axes fraction", "data"),
        xytext=(0, -12),
        textcoords="offset points",
        fontsize=8,
        color="0.3",
    )
    ax.set_ylim(0, 105)
    ax.set_ylabel("required criteria met with evidence (%)")
    ax.set_xlabel("assessment date")
    ax.set_title("Progression from baseline")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8, frameon=False)
    fig.autofmt_xdate()
    return fig


_CHART_FORMATS = ("png", "svg", "pdf")


def _save_chart(fig: Figure, target: Path | io.BytesIO, kind: str) -> None:
    import matplotlib

    with matplotlib.rc_context({"svg.hashsalt": "careprofiles"}):
        metadata: dict[str, Any] = {"Date": None} if kind == "svg" else {}
        fig.savefig(target, format=kind, dpi=150, metadata=metadata)


def _chart_bytes(result: StandardsResult, kind: str) -> bytes:
    return _figure_bytes(progression_chart(result), kind)


def _figure_bytes(fig: Figure, kind: str) -> bytes:
    buf = io.BytesIO()
    _save_chart(fig, buf, kind)
    return buf.getvalue()


def write_progression_chart(
    result: StandardsResult, path: str | Path, *, force: bool = False
) -> Path:
    """Write :func:`progression_chart` to ``path`` (.png, .svg or .pdf), atomically.

    Refuses to overwrite an existing file without ``force``.
    """
    p = Path(path)
    kind = p.suffix.lower().lstrip(".")
    if kind not in _CHART_FORMATS:
        raise ValueError(
            f"{p}: a chart is written as .png, .svg or .pdf, not {kind or 'nothing'!r}"
        )
    fig = progression_chart(result)

    def write(target: Path) -> None:
        _save_chart(fig, target, kind)

    return write_atomic(p, write, force=force)


def write_groups_chart(result: StandardsResult, path: str | Path, *, force: bool = False) -> Path:
    """Write :func:`~.standards_programme.groups_chart` (practices by group and
    accreditation at the assessment date) to ``path`` (.png, .svg or .pdf), atomically."""
    p = Path(path)
    kind = p.suffix.lower().lstrip(".")
    if kind not in _CHART_FORMATS:
        raise ValueError(
            f"{p}: a chart is written as .png, .svg or .pdf, not {kind or 'nothing'!r}"
        )
    as_at = None if result.as_at is None or not result.renewal else result.as_at.isoformat()
    fig = groups_chart({"summary": {"groups": result.groups_records(), "as_at": as_at}})

    def write(target: Path) -> None:
        _save_chart(fig, target, kind)

    return write_atomic(p, write, force=force)


# --------------------------------------------------------------------------- Word


def write_standards_docx(
    result: StandardsResult,
    path: str | Path,
    *,
    force: bool = False,
    chart: bool = True,
    programme: ProgrammeCost | None = None,
    outcomes: StandardsOutcomes | None = None,
) -> Path:
    """Write the report as a Word document, atomically (never over a file without ``force``).

    Needs python-docx (the ``docx`` extra). The page and styles are the specification's
    (A4, 20 mm margins, Arial); headings use Word's Heading styles and tables the "Table
    Grid" style, with shaded header rows that repeat across pages and never break a word.
    ``chart`` adds the progression chart (and, with groups, the chart by group) when
    matplotlib is installed; ``programme`` and ``outcomes`` add their sections.
    """
    writer = standards_docx_writer(result, chart=chart, programme=programme, outcomes=outcomes)
    return write_atomic(path, writer, force=force)


def standards_docx_writer(
    result: StandardsResult,
    *,
    chart: bool = True,
    programme: ProgrammeCost | None = None,
    outcomes: StandardsOutcomes | None = None,
) -> Callable[[Path], None]:
    """A function writing the Word report at the path it is given (checks python-docx now)."""
    try:
        import docx  # noqa: F401
    except ImportError:
        raise MissingDependencyError("python-docx", "docx", "Word output") from None

    data = report_data(result, programme=programme, outcomes=outcomes)

    def write(path: Path) -> None:
        _save_docx(result, data, path, chart)

    return write


def _save_docx(result: StandardsResult, data: dict[str, Any], path: Path, chart: bool) -> None:
    try:
        import docx
        from docx.enum.text import WD_ALIGN_PARAGRAPH
        from docx.shared import Mm
    except ImportError:
        raise MissingDependencyError("python-docx", "docx", "Word output") from None

    fw = data["framework"]
    doc = docx.Document()
    setup_document(doc)  # A4, the house margins and Arial, as the specification
    doc.core_properties.title = "Practice standards report"
    doc.core_properties.author = "careprofiles"

    def table(caption: str, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        add_word_table(doc, caption, headers, rows)
        doc.add_paragraph()  # space after the table, as in the specification

    doc.add_heading("Practice standards report", level=0)
    version = f", version {fw['version']}" if fw["version"] else ""
    doc.add_paragraph(
        f"Framework: {fw['name']} ({fw['id']}{version}): {len(fw['standards'])} standards, "
        f"{fw['criteria']} criteria, {fw['required']} required for accreditation."
    )
    if fw["source"]:
        doc.add_paragraph(" ".join(fw["source"].split()))

    s = data["summary"]
    doc.add_heading("Summary across practices", level=1)
    doc.add_paragraph(
        f"{s['accredited']} of {s['practices']} practices accredited at their latest "
        "assessment. A practice is accredited when every required criterion is met, with "
        "evidence, at its latest assessment; the first assessment is its baseline."
    )
    table(
        "Practices: baseline and latest assessment",
        [
            "Practice",
            "Assessments",
            "Baseline",
            "Latest",
            "Criteria met",
            "Gained",
            "Required met",
            "Accredited",
        ],
        practice_rows(data, word=True),
    )
    table(
        "Standards across practices, at each practice's latest assessment",
        ["Standard", "Met", "Partly met", "Not started"],
        summary_rows(s),
    )
    if chart:
        try:
            png = _chart_bytes(result, "png")
        except MissingDependencyError:
            doc.add_paragraph(
                "A progression chart needs matplotlib: pip install 'careprofiles[plot]'."
            )
        else:
            doc.add_picture(io.BytesIO(png), width=Mm(160))
            doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
            doc.add_paragraph(_chart_alt(data), style="Caption")

    sections = programme_sections(data)
    add_sections_docx(doc, sections, table)
    if chart and sections and "groups" in data["summary"]:
        try:
            png = _figure_bytes(groups_chart(data), "png")
        except MissingDependencyError:
            pass  # said once above, for the progression chart
        else:
            doc.add_picture(io.BytesIO(png), width=Mm(160))
            doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
            doc.add_paragraph(groups_chart_alt(data), style="Caption")

    for p in data["practices"]:
        doc.add_heading(f"{p['name']} ({p['practice']})", level=1)
        verdict = (
            "Accredited: every required criterion is met with evidence."
            if p["accredited"]
            else "Not accredited: "
            f"{p['latest']['required_of'] - p['latest']['required_met']} required criteria "
            "still to meet with evidence."
        )
        doc.add_paragraph(
            f"Latest assessment {p['latest_date']} "
            f"({count_noun(p['assessments'], 'assessment')}; baseline "
            f"{p['baseline_date']}). {verdict}"
        )
        if note := practice_note(p):
            doc.add_paragraph(note)
        doc.add_heading("Standards at the latest assessment", level=2)
        table(
            f"Standards, {p['name']}, {p['latest_date']}",
            ["Standard", "Status", "Criteria met"],
            standard_rows(p),
        )
        doc.add_heading("Progression", level=2)
        table(
            f"Progression, {p['name']}",
            ["Assessment", "Date", "Criteria met", "Required met", "Standards met", "Accredited"],
            progression_rows(p),
        )
        doc.add_heading("Gaps at the latest assessment", level=2)
        if not p["gaps"]:
            doc.add_paragraph("None: every criterion is met with evidence.")
        else:
            table(
                f"Gaps, {p['name']}, {p['latest_date']}",
                ["Criterion", "Standard", "Required", "Why", "Evidence needed"],
                [
                    [
                        f"{g['criterion']}: {' '.join(g['text'].split())}",
                        g["standard"],
                        "yes" if g["required"] else "no",
                        g["reason"],
                        g["evidence_needed"],
                    ]
                    for g in p["gaps"]
                ],
            )
    if data["warnings"]:
        doc.add_heading("Claimed met without evidence", level=1)
        doc.add_paragraph(
            "These criteria were marked met without evidence; they count as partly met "
            "until the evidence is given."
        )
        for w in data["warnings"]:
            doc.add_paragraph(w, style="List Bullet")
    doc.save(str(path))
