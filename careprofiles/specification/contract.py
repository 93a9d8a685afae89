"""The parts of a specification a signed contract needs that are not costs or KPIs.

* :func:`budget_interval`: the budget with its uncertainty, the base value beside the
  Monte Carlo mean and 95% interval of a
  :class:`~careprofiles.costing.simulate.SimulationResult` (``spec --draws N``);
* :func:`contract_sections`: what the profiles state about service hours and response
  times (outcomes measured "within N hours", standards for care "24 hours a day"), the
  outcomes recorded in EPaCCS (by their ``source``), and
  the practice-accreditation requirement from a standards framework and its criteria's
  links to the pathway's outcomes (the bundled framework unless another is given).

Whatever the model does not know is left to the template, as ``[to be agreed: ...]``.

Imports: outputs.text, specification.wording, standards.framework; costing and profiles
for types only.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from careprofiles.outputs.text import format_money
from careprofiles.specification.wording import sentence_list

if TYPE_CHECKING:
    from careprofiles.costing.result import CostResult
    from careprofiles.costing.simulate import SimulationResult
    from careprofiles.profiles.models import Pathway
    from careprofiles.standards.models import Framework

__all__ = ["budget_interval", "contract_sections"]

_WITHIN = re.compile(
    r"\bwithin\s+(?:\d+(?:\.\d+)?|one|two|three|four|five|six|seven|24)\s+"
    r"(?:minutes?|hours?|days?|weeks?|months?)\b",
    re.IGNORECASE,
)
"""A response time as an outcome states it: "within 4 hours"."""
_HOURS = re.compile(r"24 hours|7 days a week|24/7|out[- ]of[- ]hours|day and night", re.IGNORECASE)
"""A standard about when the service is available."""


def budget_interval(result: CostResult, simulation: SimulationResult | None) -> dict[str, Any]:
    """The base budget beside the Monte Carlo mean and 95% interval; empty (false in
    ``{% if uncertainty %}``) without a simulation. Raises ``ValueError`` when the
    simulation's base figures are not those of ``result`` (another pathway or tariff)."""
    if simulation is None:
        return {}
    base = simulation.deterministic
    if not math.isclose(base["total"], result.total, rel_tol=1e-9, abs_tol=1e-6):
        raise ValueError(
            "the simulation was drawn for another pathway or tariff (its base total "
            f"{base['total']:,.2f} is not the cost result's {result.total:,.2f}); simulate "
            "the pathway and tariff that were costed"
        )
    rows = {str(r["measure"]): r for r in simulation.summary().to_dict(orient="records")}

    def figures(measure: str, pence: bool = False) -> dict[str, str]:
        row = rows[measure]
        return {
            key: format_money(float(row[column]), pence=pence)
            for key, column in (
                ("base", "deterministic"),
                ("mean", "mean"),
                ("low", "p2.5"),
                ("median", "p50"),
                ("high", "p97.5"),
            )
        }

    stage_names = {s.id: s.label for s in result.pathway.stages}
    return {
        "draws": f"{simulation.n:,}",
        "seed": "" if simulation.seed is None else str(simulation.seed),
        "uncertain": f"{len(simulation.uncertain):,}",
        "per_patient": figures("per_patient", pence=True),
        "total": figures("total"),
        "stages": [
            {"id": s, "name": stage_names.get(s, s), **figures(f"{s}/total")}
            for s in simulation.stages
        ],
    }


def contract_sections(
    pathway: Pathway,
    kpis: list[dict[str, Any]],
    framework: Framework | None,
    text: Callable[[str], str],
) -> dict[str, Any]:
    """Service hours, response times and the accreditation requirement (module docstring)."""
    response_times = []
    kpi_of = {k["id"]: k for k in kpis}
    for stage in pathway.stages:
        for outcome in stage.outcomes:
            said = f"{outcome.label} {outcome.measure or ''}"
            found = _WITHIN.search(said)
            if found is None:
                continue
            kpi = kpi_of[text(outcome.id)]
            response_times.append(
                {
                    "what": text(outcome.label),
                    "time": text(found.group(0)),
                    "stage": text(stage.label),
                    "kpi": kpi["number"],
                    "threshold": kpi["threshold"],
                }
            )
    hours: dict[str, list[str]] = {}
    for stage in pathway.stages:
        for standard in stage.standards:
            if _HOURS.search(standard):
                hours.setdefault(standard, []).append(stage.label)
    service_hours = [
        {"standard": text(name), "stages": text(sentence_list(labels))}
        for name, labels in hours.items()
    ]
    return {
        "epaccs": [k["name"] for k in kpis if "epaccs" in k["source"].lower()],
        "response_times": response_times,
        "service_hours": service_hours,
        "accreditation": _accreditation(framework, kpi_of, text),
    }


def _accreditation(
    framework: Framework | None, kpi_of: dict[str, dict[str, Any]], text: Callable[[str], str]
) -> dict[str, Any]:
    if framework is None:
        return {}
    standards = []
    for standard in framework.standards:
        linked = dict.fromkeys(
            text(o) for criterion in standard.criteria for o in criterion.outcomes
        )
        kpis = sorted((kpi_of[o] for o in linked if o in kpi_of), key=lambda k: k["number"])
        standards.append(
            {
                "id": text(standard.id),
                "name": text(standard.name),
                "criteria": len(standard.criteria),
                "required": sum(1 for c in standard.criteria if c.required),
                "kpis": "; ".join(f"KPI {k['number']} ({k['name']})" for k in kpis) or "-",
            }
        )
    return {
        "id": text(framework.id),
        "name": text(framework.name),
        "version": text(framework.version or ""),
        "standards": standards,
        "criteria": sum(s["criteria"] for s in standards),
        "required": sum(s["required"] for s in standards),
        "linked_kpis": len(
            {
                o
                for s in framework.standards
                for c in s.criteria
                for o in c.outcomes
                if text(o) in kpi_of
            }
        ),
    }
