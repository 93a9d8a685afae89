"""The programme sections of the standards report: groups, re-accreditation, the costed
facilitation programme, and standards against outcomes; and the chart by group.

:func:`programme_sections` turns the report's data (``StandardsResult.to_dict`` with the
optional ``programme`` and ``outcomes``) into sections, each a heading, paragraphs and
tables of text cells, built once so that the text, Markdown, HTML and Word reports show
the same figures (:mod:`careprofiles.outputs.standards` renders them). A section appears
only when its input does: practices with groups, a framework saying how long
accreditation lasts, ``--programme`` or ``--outcomes``; a report without them is as it
was. :func:`groups_chart` draws the practices of each group, and of the whole area, by
their accreditation at the assessment date.

Imports: standards.renewal, outputs.charts (matplotlib, when drawn), outputs.text.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from careprofiles.outputs.charts import require_matplotlib
from careprofiles.outputs.text import (
    TABLE_WIDTH,
    format_money,
    format_number,
    format_percent,
    markdown_escape,
    markdown_table,
    text_table,
)
from careprofiles.standards.renewal import ACCREDITATION_STATUSES

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "add_sections_docx",
    "groups_chart",
    "groups_chart_alt",
    "practice_note",
    "programme_sections",
    "sections_markdown",
    "sections_text",
]


def _table(caption: str, headers: list[str], align: str, rows: list[list[Any]]) -> dict[str, Any]:
    return {"caption": caption, "headers": headers, "align": align, "rows": rows}


def _limits(row: dict[str, Any], tag: str) -> str:
    lo, hi = row[f"lower_{tag}"], row[f"upper_{tag}"]
    if lo is None or hi is None:
        return "-"
    return f"{format_percent(lo, 1)} to {format_percent(hi, 1)}"


def _status_text(p: dict[str, Any]) -> str:
    if p.get("lapsed_on"):
        return f"accreditation lapsed on {p['lapsed_on']}"
    if "status" in p:
        return str(p["status"])
    return "accredited" if p["accredited"] else "not accredited"


def practice_note(p: dict[str, Any]) -> str:
    """A practice's group and accreditation at the assessment date, as a sentence ("" when
    neither is in use)."""
    parts = []
    if p.get("group"):
        parts.append(f"Group: {p['group']}.")
    if p.get("lapsed_on"):
        parts.append(
            f"Accreditation lapsed on {p['lapsed_on']}: reassess the practice, with current "
            "evidence, to renew it."
        )
    elif p.get("accredited_until"):
        parts.append(f"Accredited until {p['accredited_until']}.")
    return " ".join(parts)


def _groups_section(data: dict[str, Any]) -> dict[str, Any]:
    s = data["summary"]
    fw = data["framework"]
    paragraphs = []
    months = fw.get("accreditation_valid_months")
    if months is not None:
        paragraphs.append(
            f"As at {s['as_at']}. Accreditation lasts {months} months from the assessment "
            "that granted it; a practice whose latest assessment is older than that has "
            f"lapsed. {s['currently_accredited']} of {s['practices']} practices are "
            f"accredited; {s['lapsed']} accreditation{'s have' if s['lapsed'] != 1 else ' has'}"
            " lapsed."
        )
    group_rows = [
        [
            g["group"],
            g["practices"],
            g["accredited"],
            g["lapsed"],
            g["not_accredited"],
            format_percent(g["share_accredited"], 0),
        ]
        for g in s["groups"]
    ]
    practice_rows = [
        [
            f"{p['name']} ({p['practice']})",
            p.get("group") or "-",
            p["latest_date"],
            p.get("accredited_until") or "-",
            _status_text(p),
        ]
        for p in data["practices"]
    ]
    return {
        "heading": "Practice groups and accreditation",
        "paragraphs": paragraphs,
        "tables": [
            _table(
                "Practices by group, and the whole area",
                ["Group", "Practices", "Accredited", "Lapsed", "Not accredited", "Accredited %"],
                "lrrrrr",
                group_rows,
            ),
            _table(
                "Accreditation of each practice",
                ["Practice", "Group", "Latest assessment", "Accredited until", "Status"],
                "lllll",
                practice_rows,
            ),
        ],
    }


_PER_WORDS = {
    "area": "the area",
    "group": "each group",
    "practice": "each practice",
    "not-accredited": "each practice not accredited",
}


def _programme_section(programme: dict[str, Any]) -> dict[str, Any]:
    u = programme["units"]
    activity_rows = [
        [
            a["name"],
            f"{format_number(a['sessions_each'], 2, trim=True)} for {_PER_WORDS[a['per']]}"
            f" ({a['units']})",
            format_number(a["sessions"], 2, trim=True),
            format_number(a["hours"], 2, trim=True),
            format_number(a["staff_hours"], 2, trim=True),
            format_money(a["cost"]),
        ]
        for a in programme["activities"]
    ]
    activity_rows.append(
        [
            "Total",
            "",
            "",
            "",
            format_number(programme["staff_hours"], 2, trim=True),
            format_money(programme["total"]),
        ]
    )
    staff_rows = [
        [
            a["name"],
            s["role"],
            format_number(s["count"], 2, trim=True),
            format_number(s["staff_hours"], 2, trim=True),
            f"{format_money(s['unit_cost'], pence=True)} an {s['unit']}"
            if s["unit"] == "hour"
            else f"{format_money(s['unit_cost'], pence=True)} a {s['unit']}",
            format_money(s["cost"]),
            s["tariff"],
        ]
        for a in programme["activities"]
        for s in a["staff"]
    ]
    return {
        "heading": f"Facilitation programme: {programme['name']}",
        "paragraphs": [
            f"Workshops and one-to-one practice sessions, priced with the tariff at "
            f"{programme['price_year']} prices: {format_money(programme['total'])} for "
            f"{format_number(programme['staff_hours'], 2, trim=True)} staff hours. Counted "
            f"for {u['group']} group{'s' if u['group'] != 1 else ''}, {u['practice']} "
            f"practice{'s' if u['practice'] != 1 else ''}, {u['not-accredited']} of them "
            "not accredited at the assessment date."
        ],
        "tables": [
            _table(
                "Activities: sessions, staff hours and cost",
                [
                    "Activity",
                    "Sessions",
                    "Total sessions",
                    "Hours a session",
                    "Staff hours",
                    "Cost",
                ],
                "llrrrr",
                activity_rows,
            ),
            _table(
                "Staff at each activity, priced from the tariff",
                [
                    "Activity",
                    "Role",
                    "At each session",
                    "Staff hours",
                    "Unit cost",
                    "Cost",
                    "Tariff row",
                ],
                "llrrrrl",
                staff_rows,
            ),
        ],
    }


def _outcomes_section(outcomes: dict[str, Any]) -> dict[str, Any]:
    paragraphs = [
        "The audited outcomes of the patients of practices accredited at the assessment "
        "date, against those of practices not accredited (lapsed accreditation included), "
        "for each outcome the standards' criteria link to. Each side, and each practice, is "
        "held against funnel limits around the rate of all the practices' patients (95% "
        "and 99.8%)" + (f"; records from {outcomes['records']}." if outcomes["records"] else ".")
    ]
    tables = []
    for o in outcomes["outcomes"]:
        diff = o["difference"]
        rate = "-" if o["rate"] is None else format_percent(o["rate"], 1)
        paragraphs_o = (
            f"{o['name']} ({o['outcome']}; criteria {', '.join(o['criteria'])}): all "
            f"practices {rate}; accredited minus not accredited "
            + ("-" if diff is None else f"{diff * 100:+.1f} percentage points")
            + "."
        )
        rows = [
            [
                s["side"],
                s["practices"],
                s["records"],
                format_percent(s["achievement"], 1) if s["achievement"] is not None else "-",
                _limits(s, "95"),
                _limits(s, "998"),
                s["position"] or "-",
            ]
            for s in o["sides"]
        ]
        rows += [
            [
                f"  {p['practice']} ({p['status']})",
                "",
                p["records"],
                format_percent(p["achievement"], 1) if p["achievement"] is not None else "-",
                _limits(p, "95"),
                _limits(p, "998"),
                p["position"] or "-",
            ]
            for p in o["practices"]
        ]
        table = _table(
            paragraphs_o,
            [
                "Practices",
                "Number",
                "Records",
                "Achievement",
                "95% limits",
                "99.8% limits",
                "Position",
            ],
            "lrrrlll",
            rows,
        )
        tables.append(table)
    if outcomes["unlinked"]:
        listed = ", ".join(f"{u['outcome']} ({u['records']} records)" for u in outcomes["unlinked"])
        paragraphs.append(f"Not compared (no criterion links to them): {listed}.")
    return {"heading": "Standards and outcomes", "paragraphs": paragraphs, "tables": tables}


def programme_sections(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The report's programme sections, in order (none for a report without them)."""
    out = []
    if "groups" in data["summary"]:
        out.append(_groups_section(data))
    if data.get("programme") is not None:
        out.append(_programme_section(data["programme"]))
    if data.get("outcomes") is not None:
        out.append(_outcomes_section(data["outcomes"]))
    return out


def sections_text(sections: list[dict[str, Any]]) -> list[str]:
    """The sections as lines of the plain-text report (tables fitted to its width)."""
    out: list[str] = []
    for section in sections:
        out += ["", section["heading"]]
        for paragraph in section["paragraphs"]:
            out += [paragraph]
        for t in section["tables"]:
            out += ["", t["caption"]]
            columns = len(t["headers"])
            out.append(
                text_table(
                    t["rows"], t["headers"], t["align"], width=TABLE_WIDTH, wrap=range(columns)
                )
            )
    return out


def sections_markdown(sections: list[dict[str, Any]]) -> str:
    """The sections in Markdown (level-2 headings, captions in bold before the tables)."""
    parts: list[str] = []
    for section in sections:
        parts.append(f"## {markdown_escape(section['heading'])}")
        parts += [markdown_escape(p) for p in section["paragraphs"]]
        for t in section["tables"]:
            parts.append(f"**{markdown_escape(t['caption'])}**")
            parts.append(markdown_table(t["rows"], t["headers"], t["align"]))
    return "\n\n".join(parts) + "\n" if parts else ""


def add_sections_docx(
    doc: Any,
    sections: list[dict[str, Any]],
    table: Callable[[str, Sequence[str], Sequence[Sequence[Any]]], None],
) -> None:
    """Add the sections to a Word document (Heading 1, paragraphs, captioned tables)."""
    for section in sections:
        doc.add_heading(section["heading"], level=1)
        for paragraph in section["paragraphs"]:
            doc.add_paragraph(paragraph)
        for t in section["tables"]:
            table(t["caption"], t["headers"], t["rows"])


# --------------------------------------------------------------------------- chart


def groups_chart_alt(data: dict[str, Any]) -> str:
    """The chart's text alternative: each group's counts."""
    parts = [
        f"{g['group']}: {g['accredited']} accredited, {g['lapsed']} lapsed, "
        f"{g['not_accredited']} not accredited"
        for g in data["summary"]["groups"]
    ]
    return "Practices by accreditation at the assessment date. " + "; ".join(parts) + "."


def groups_chart(data: dict[str, Any]) -> Figure:
    """Practices of each group, and of the whole area, by accreditation at the assessment
    date (stacked bars). Needs matplotlib (the ``plot`` extra)."""
    figure_class = require_matplotlib("A chart by group")
    groups = data["summary"]["groups"]
    fig = figure_class(figsize=(8, 1.2 + 0.5 * len(groups)), layout="constrained")
    ax = fig.add_subplot()
    labels = [g["group"] for g in groups][::-1]
    left = [0.0] * len(groups)
    colours = {"accredited": "#2b7a3d", "lapsed": "#e0a030", "not_accredited": "#9a9a9a"}
    for key, word in zip(colours, ACCREDITATION_STATUSES, strict=True):
        values = [float(g[key]) for g in groups][::-1]
        ax.barh(labels, values, left=left, color=colours[key], label=word)
        left = [a + b for a, b in zip(left, values, strict=True)]
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("practices")
    as_at = data["summary"].get("as_at")
    ax.set_title("Accreditation by group" + (f", as at {as_at}" if as_at else ""))
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8, frameon=False)
    ax.grid(True, axis="x", alpha=0.3)
    return fig
