"""Is the draft complete? :func:`check_spec` lists the fields still ``[to be agreed: ...]``.

It renders the specification as :func:`~careprofiles.specification.render.render_spec`
does (the same template, format and inputs, so a template error is reported the same
way) and returns every marker written, as a :class:`~careprofiles.specification.markers.Marker`
with the template file and line that wrote it: the line of the template's text, or of the
``{{ }}`` whose value held it (a header field not given, an outcome with no measure). A
draft with none left is ready to sign; ``careprofiles spec --check`` exits 1 while any
remain.

Imports: specification.markers and specification.render; profiles, costing, activity and
standards for types only.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from careprofiles.specification.markers import Marker, MarkerLog
from careprofiles.specification.render import render_spec
from careprofiles.specification.sandbox import TEMPLATE_MAX_CHARS, TEMPLATE_TIMEOUT

if TYPE_CHECKING:
    from careprofiles.activity.audit import AuditResult
    from careprofiles.costing.result import CostResult
    from careprofiles.costing.simulate import SimulationResult
    from careprofiles.profiles.models import Pathway
    from careprofiles.specification.header import SpecHeader
    from careprofiles.standards.models import Framework

__all__ = ["Marker", "check_spec", "markers_report"]


def check_spec(
    pathway: Pathway,
    result: CostResult,
    template: str | Path | None = None,
    format: str = "md",
    header: SpecHeader | Mapping[str, Any] | str | Path | None = None,
    *,
    timeout: float | None = TEMPLATE_TIMEOUT,
    max_chars: int | None = TEMPLATE_MAX_CHARS,
    simulation: SimulationResult | None = None,
    audit: AuditResult | None = None,
    framework: Framework | str | Path | None = None,
) -> list[Marker]:
    """The fields still to be agreed in the specification, by template file and line.

    The arguments are those of :func:`~careprofiles.specification.render.render_spec`;
    an empty list means the draft has no ``[to be agreed: ...]`` left.
    """
    log = MarkerLog()
    render_spec(
        pathway,
        result,
        template,
        format,
        header,
        timeout=timeout,
        max_chars=max_chars,
        simulation=simulation,
        audit=audit,
        framework=framework,
        markers=log,
    )
    return log.markers()


def markers_report(markers: list[Marker]) -> str:
    """The markers one a line (``file:line: [to be agreed: WHAT]``) and a count."""
    if not markers:
        return "no fields to be agreed: the specification is complete\n"
    fields = sum(m.count for m in markers)
    lines = [str(m) for m in markers]
    noun = "field" if fields == 1 else "fields"
    places = "place" if len(markers) == 1 else "places"
    lines.append(f"{fields:,} {noun} to be agreed, at {len(markers):,} template {places}")
    return "\n".join(lines) + "\n"
