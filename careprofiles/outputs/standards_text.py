"""The plain-text standards report, and the rows of the tables it shares with the Word report.

:func:`standards_text` renders :func:`~careprofiles.outputs.standards.report_data`'s data
as the ``table`` format, at most :data:`~careprofiles.outputs.text.TABLE_WIDTH` wide;
the ``*_rows`` functions give the rows both it and the Word report show (their headers
differ). Split from :mod:`.standards`, which renders every other format.

Imports: outputs.text, outputs.standards_programme.
"""

from __future__ import annotations

import textwrap
from typing import Any

from careprofiles.outputs.standards_programme import (
    practice_note,
    programme_sections,
    sections_text,
)
from careprofiles.outputs.text import TABLE_WIDTH, text_table

__all__ = [
    "count_noun",
    "practice_rows",
    "progression_rows",
    "standard_rows",
    "standards_text",
    "summary_rows",
]


def count_noun(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


# The rows of the tables both the text and the Word report show (their headers differ).


def practice_rows(data: dict[str, Any], *, word: bool) -> list[list[Any]]:
    """A row a practice: its baseline and latest assessment. Word names the practice in
    full and draws a real arrow."""
    arrow = "\u2192" if word else "->"
    return [
        [
            f"{p['name']} ({p['practice']})" if word else p["practice"],
            p["assessments"],
            p["baseline_date"],
            p["latest_date"],
            f"{p['baseline']['met']} {arrow} {p['latest']['met']} of {p['latest']['of']}",
            f"{p['gained']:+d}",
            f"{p['latest']['required_met']} of {p['latest']['required_of']}",
            "yes" if p["accredited"] else "no",
        ]
        for p in data["practices"]
    ]


def summary_rows(summary: dict[str, Any]) -> list[list[Any]]:
    """A row a standard: how many practices met it, partly met it, or have not started."""
    return [[x["name"], x["met"], x["partly_met"], x["not_started"]] for x in summary["standards"]]


def standard_rows(practice: dict[str, Any]) -> list[list[Any]]:
    """A row a standard: its status at the practice's latest assessment."""
    return [[s["name"], s["status"], f"{s['met']} of {s['of']}"] for s in practice["standards"]]


def progression_rows(practice: dict[str, Any]) -> list[list[Any]]:
    """A row an assessment of the practice, the first marked as the baseline."""
    return [
        [
            str(g["assessment"]) + (" (baseline)" if g["assessment"] == 1 else ""),
            g["date"],
            f"{g['met']} of {g['of']}",
            f"{g['required_met']} of {g['required_of']}",
            str(g["standards_met"]),
            "yes" if g["accredited"] else "no",
        ]
        for g in practice["progression"]
    ]


def standards_text(data: dict[str, Any]) -> str:
    fw = data["framework"]
    s = data["summary"]
    out = [
        f"Standards framework: {fw['name']} ({fw['id']}"
        + (f", version {fw['version']}" if fw["version"] else "")
        + ")",
        f"{len(fw['standards'])} standards, {fw['criteria']} criteria, "
        f"{fw['required']} required for accreditation",
        "",
        f"Summary: {s['accredited']} of {s['practices']} practices accredited "
        "at their latest assessment",
        "",
    ]
    out.append(
        text_table(
            practice_rows(data, word=False),
            [
                "practice",
                "assessments",
                "baseline",
                "latest",
                "criteria met",
                "gained",
                "required met",
                "accredited",
            ],
            "lrlllrll",
            width=TABLE_WIDTH,
            wrap=range(8),
        )
    )
    out += ["", "Standards across practices (at each practice's latest assessment)"]
    out.append(
        text_table(
            summary_rows(s),
            ["standard", "met", "partly met", "not started"],
            "lrrr",
            width=TABLE_WIDTH,
            wrap=range(4),
        )
    )
    out += sections_text(programme_sections(data))
    for p in data["practices"]:
        out += ["", "", f"== {p['name']} ({p['practice']})"]
        verdict = (
            "ACCREDITED: every required criterion met with evidence"
            if p["accredited"]
            else f"not accredited: {p['latest']['required_of'] - p['latest']['required_met']} "
            "required criteria still to meet"
        )
        out.append(
            f"latest assessment {p['latest_date']} ({count_noun(p['assessments'], 'assessment')}, "
            f"baseline {p['baseline_date']}); {verdict}"
        )
        if note := practice_note(p):
            out.append(note)
        out += ["", "Standards at the latest assessment"]
        out.append(
            text_table(
                standard_rows(p),
                ["standard", "status", "met"],
                "llr",
                width=TABLE_WIDTH,
                wrap=range(3),
            )
        )
        out += ["", "Progression"]
        out.append(
            text_table(
                progression_rows(p),
                ["#", "date", "criteria met", "required met", "standards met", "accredited"],
                "llrrrl",
                width=TABLE_WIDTH,
                wrap=range(6),
            )
        )
        out += ["", f"Gaps at the latest assessment ({len(p['gaps'])})"]
        if not p["gaps"]:
            out.append("none: every criterion is met with evidence")
        for g in p["gaps"]:
            tag = "required" if g["required"] else "optional"
            out.append(f"- {g['criterion']} ({tag}, {g['standard']}): {g['reason']}")
            out.append(f"    needs: {g['evidence_needed']}")
    if data["warnings"]:
        out += ["", "Claimed met without evidence (counted as partly met)"]
        out += [f"- {w}" for w in data["warnings"]]
    out += ["", "Every figure, unrounded: --format json; as a document: --format md, html or docx."]
    return "\n".join(_fitted(out)) + "\n"


def _fitted(parts: list[str]) -> list[str]:
    """The report's lines at most :data:`TABLE_WIDTH` wide: each long line of text
    wrapped (a list item's continuation indented); tables are fitted when built."""
    out: list[str] = []
    for part in parts:
        if "\n" in part or len(part) <= TABLE_WIDTH:
            out.append(part)
            continue
        indent = " " * (len(part) - len(part.lstrip()) + 2)
        out.extend(
            textwrap.wrap(part, TABLE_WIDTH, subsequent_indent=indent, break_on_hyphens=False)
        )
    return out
