"""The specification's key performance indicators: one for each outcome the profiles record.

:func:`kpi_rows` turns each outcome of the pathway's stages into a KPI (NHS Standard
Contract Schedules 4 and 6 style): its threshold (the outcome's ``target`` and
``direction``), its measure split into numerator and denominator (the outcome's
``measure``, written ``numerator / denominator``), where and when it is recorded, and the
fields the profiles do not hold (how often it is reported, the consequence of a breach)
as ``[to be agreed: ...]`` markers. Given an audit
(:class:`~careprofiles.activity.audit.AuditResult` with outcome records), each KPI has its
baseline: the audited achievement (the mean of the recorded values: the share of yes for a
yes/no outcome), the completeness and whether the target is met, as ``careprofiles audit``
measures them.

Imports: outputs.text, specification.wording; profiles and activity for types only.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from careprofiles.outputs.text import format_percent
from careprofiles.specification.wording import count, share, to_be_agreed

if TYPE_CHECKING:
    from careprofiles.activity.audit import AuditResult
    from careprofiles.profiles.models import Outcome, Pathway

__all__ = ["kpi_rows"]


def _ratio(outcome: Outcome, row: dict[str, Any] | None) -> bool:
    """Whether the outcome's figures are shares: a ``a / b`` measure, or yes/no records in
    the audit ``row``, with a target (if any) in 0..1."""
    measure = outcome.measure or ""
    binary = row is not None and row.get("binary") is True
    return ("/" in measure or binary) and (outcome.target is None or 0 <= outcome.target <= 1)


def _target(outcome: Outcome, ratio: bool) -> str:
    assert outcome.target is not None
    return share(outcome.target) if ratio else count(outcome.target, 4)


def _threshold(outcome: Outcome, number: int, ratio: bool) -> str:
    if outcome.target is None:
        return to_be_agreed(f"KPI {number} target")
    target = _target(outcome, ratio)
    if outcome.direction == "higher":
        return f"at least {target}"
    if outcome.direction == "lower":
        return f"at most {target}"
    return f"{target} ({to_be_agreed(f'KPI {number}: is higher or lower better')})"


def _parts(measure: str | None, number: int) -> tuple[str, str]:
    """The numerator and denominator of ``measure`` (``a / b``), markers where missing."""
    if not measure or not measure.strip():
        return to_be_agreed(f"KPI {number} numerator"), to_be_agreed(f"KPI {number} denominator")
    top, slash, bottom = measure.partition(" / ")
    if not slash:
        top, slash, bottom = measure.partition("/")
    top, bottom = top.strip(), bottom.strip()
    return (
        top or to_be_agreed(f"KPI {number} numerator"),
        bottom if slash and bottom else to_be_agreed(f"KPI {number} denominator"),
    )


def _baseline(row: dict[str, Any] | None, ratio: bool) -> dict[str, str]:
    """The audited figures of one outcome (empty strings when not audited)."""
    if row is None:
        return {"baseline": "", "completeness": "", "meets_target": "", "records": ""}
    achievement = float(row["achievement"])
    if math.isnan(achievement):
        said = "no records"
    elif ratio:
        said = format_percent(achievement, 1)
    else:
        said = count(achievement, 4)
    completeness = float(row["completeness"])
    meets = row["meets_target"]
    return {
        "baseline": said,
        "completeness": "" if math.isnan(completeness) else format_percent(completeness, 1),
        "meets_target": {True: "Yes", False: "No"}.get(meets, "-") if meets is not None else "-",
        "records": f"{int(row['records']):,}",
    }


def kpi_rows(
    pathway: Pathway, text: Callable[[str], str], audit: AuditResult | None = None
) -> list[dict[str, Any]]:
    """One KPI a pathway outcome, in stage order (see the module docstring).

    ``text`` escapes free text for the template; markers are written as they are. With
    ``audit`` (an audit of this pathway with outcome records), each KPI has its baseline.
    """
    audited: dict[str, dict[str, Any]] = {}
    if audit is not None and audit.outcome_records is not None:
        audited = {
            str(r["id"]): {str(k): v for k, v in r.items()}
            for r in audit.outcomes.to_dict(orient="records")
        }

    def said(value: str) -> str:
        return value if value.startswith("[to be agreed: ") else text(value)

    rows: list[dict[str, Any]] = []
    for stage in pathway.stages:
        for outcome in stage.outcomes:
            number = len(rows) + 1
            numerator, denominator = _parts(outcome.measure, number)
            row = audited.get(outcome.id)
            ratio = _ratio(outcome, row)
            rows.append(
                {
                    "number": number,
                    "id": text(outcome.id),
                    "name": text(outcome.label),
                    "stage": text(stage.label),
                    "stage_id": text(stage.id),
                    "measure": (
                        text(outcome.measure)
                        if outcome.measure
                        else to_be_agreed(f"KPI {number} measure")
                    ),
                    "numerator": said(numerator),
                    "denominator": said(denominator),
                    "target": (
                        _target(outcome, ratio)
                        if outcome.target is not None
                        else to_be_agreed(f"KPI {number} target")
                    ),
                    "threshold": _threshold(outcome, number, ratio),
                    "direction": outcome.direction or "",
                    "source": (
                        text(outcome.source)
                        if outcome.source
                        else to_be_agreed(f"KPI {number} data source")
                    ),
                    "recorded_at": (
                        text(outcome.recorded_at)
                        if outcome.recorded_at
                        else to_be_agreed(f"KPI {number} when recorded")
                    ),
                    "frequency": to_be_agreed(f"KPI {number} reporting frequency"),
                    "consequence": to_be_agreed(f"KPI {number} consequence of breach"),
                    **_baseline(row, ratio),
                }
            )
    return rows
