"""The context a specification template sees: plain dicts, lists and formatted strings.

:func:`spec_context` builds it from a pathway and its cost result (documented in
``docs/templates.md``; :data:`CONTEXT_NAMES` are its top-level names). Every figure is
taken from the :class:`~careprofiles.costing.result.CostResult`, already formatted
(``£1,234``, ``65%``, ``1,781``), so the specification and the budget cannot disagree;
free text from the profiles, tariffs and header is escaped for Markdown (for ``.md.j2``
templates) or left as written (HTML templates autoescape it).

The contract's parts come from their own modules: the KPIs
(:mod:`~careprofiles.specification.kpis`), the activity plan and price
(:mod:`~careprofiles.specification.activity_plan`), the budget's interval and the
contract sections (:mod:`~careprofiles.specification.contract`). A field the model cannot
fill is the marker ``[to be agreed: WHAT]``, never escaped, so ``spec --check`` finds it.

Imports: resources, costing.result (the by-stage columns), outputs.text, outputs.manifest,
outputs.names (inside ``estimates``), standards.framework (the bundled framework), the
specification's header, wording, budget, kpis, activity_plan and contract; profiles,
costing and activity for types only.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from careprofiles.costing.result import STAGE_COLUMNS
from careprofiles.outputs.manifest import manifest_time
from careprofiles.outputs.text import format_money, format_percent, markdown_escape
from careprofiles.resources import document_name, source_location
from careprofiles.specification.activity_plan import activity_plan
from careprofiles.specification.budget import budget_context
from careprofiles.specification.contract import budget_interval, contract_sections
from careprofiles.specification.header import SpecHeader, as_header
from careprofiles.specification.kpis import kpi_rows
from careprofiles.specification.wording import (
    SETTING_NAMES,
    TO_BE_AGREED,
    count,
    frequency_words,
    plural,
    sentence_list,
    share,
    short_name,
    target_text,
    to_be_agreed,
)

if TYPE_CHECKING:
    import pandas as pd

    from careprofiles.activity.audit import AuditResult
    from careprofiles.costing.result import CostResult
    from careprofiles.costing.scenarios import AppliedScenario
    from careprofiles.costing.simulate import SimulationResult
    from careprofiles.profiles.models import Outcome, Pathway, Service, Stage
    from careprofiles.standards.models import Framework

__all__ = ["CONTEXT_NAMES", "spec_context"]

CONTEXT_NAMES = (
    "activity_plan",
    "budget",
    "costing",
    "contract",
    "document",
    "kpis",
    "outcomes",
    "pathway",
    "cohort",
    "scenario",
    "settings",
    "spec",
    "stages",
    "standards",
    "uncertainty",
)
"""The names a specification template can use (see ``docs/templates.md``)."""


def _same(text: str) -> str:
    return str(text)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in row.items()} for row in frame.to_dict(orient="records")]


def spec_context(
    pathway: Pathway,
    result: CostResult,
    header: SpecHeader | Mapping[str, Any] | str | Path | None = None,
    *,
    markdown: bool = True,
    template: str = "",
    simulation: SimulationResult | None = None,
    audit: AuditResult | None = None,
    framework: Framework | str | Path | None = None,
) -> dict[str, Any]:
    """The context a specification template sees (documented in ``docs/templates.md``).

    Plain dicts, lists and strings only. Figures come from ``result`` and are already
    formatted (``£1,234``, ``65%``, ``1,781``); free text from the profiles, tariffs and
    header is escaped for Markdown when ``markdown`` is true (for ``.md.j2``
    templates) and left as written otherwise (HTML templates autoescape it).

    ``simulation`` (Monte Carlo draws of the same pathway and tariff) gives the budget's
    interval (``uncertainty``); ``audit`` (an audit of the pathway with outcome records)
    gives each KPI its baseline; ``framework`` (a standards framework or its file;
    default: the bundled one) gives the practice-accreditation requirement.

    Raises ``ValueError`` when ``result`` was not costed from ``pathway``, or
    ``simulation`` not drawn from it.
    """
    if result.pathway.model_dump() != pathway.model_dump():
        raise ValueError(
            "the cost result was computed from another pathway; cost this pathway "
            "(careprofiles.costing.result.cost) and pass that result, so that the specification "
            "and the budget agree"
        )
    from careprofiles import __version__

    line_rows: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for line in _records(result.lines):
        line_rows.setdefault((line["stage"], line["service"]), []).append(line)
    build = _Builder(
        result=result,
        text=markdown_escape if markdown else _same,
        params={p.address: p.base for p in result.model.parameters},
        stage_rows={r["stage"]: r for r in _records(result.by_stage())},
        service_rows={(r["stage"], r["service"]): r for r in _records(result.by_service())},
        line_rows=line_rows,
    )
    head = as_header(header)
    stages = [build.stage(number, stage) for number, stage in enumerate(pathway.stages, 1)]
    outcomes = [outcome for stage in stages for outcome in stage["outcomes"]]
    text = build.text
    folder = pathway.folder
    kpis = kpi_rows(pathway, text, audit)
    if framework is None or isinstance(framework, str | Path):
        from careprofiles.standards.framework import load_framework

        framework = load_framework(framework)
    spec_fields = {**head.model_dump(), "service": head.service or pathway.name}
    return {
        "document": {
            "title": text(f"Service specification: {head.service or pathway.name}"),
            "generated": manifest_time().date().isoformat(),  # SOURCE_DATE_EPOCH, if set
            "generator": f"careprofiles {__version__}",
            "template": text(template),
        },
        "spec": {
            key: to_be_agreed(key.replace("_", " ")) if value == TO_BE_AGREED else text(value)
            for key, value in spec_fields.items()
        },
        "pathway": {
            "id": text(pathway.id),
            "name": text(pathway.name),
            "description": text(pathway.description or ""),
            "price_year": text(pathway.price_year),
            "stage_count": len(pathway.stages),
            "source": text(document_name(folder)) if folder is not None else "",
        },
        "scenario": _scenario(result.scenario, text, result),
        "cohort": build.cohort(),
        "stages": stages,
        "outcomes": outcomes,
        "standards": build.standards(pathway),
        "settings": build.settings(),
        "costing": build.costing(stages),
        "kpis": kpis,
        "activity_plan": activity_plan(result, text),
        "uncertainty": budget_interval(result, simulation),
        "contract": contract_sections(pathway, kpis, framework, text),
        "budget": budget_context(result, head.period, text),
    }


def _scenario(
    applied: AppliedScenario | None, text: Callable[[str], str], result: CostResult
) -> dict[str, Any]:
    """The scenario (or condition variant) costed, for the template, each change with
    its address named; empty (false in ``{% if scenario %}``) for a baseline."""
    if applied is None:
        return {}
    from careprofiles.outputs.names import names_for

    names = names_for(result.pathway, result.tariff)
    return {
        "id": text(applied.id),
        "name": text(applied.name),
        "description": text(applied.description or ""),
        "file": text(applied.file),
        "bases": [text(b) for b in applied.bases],
        "changes": [text(names.change(c)) for c in applied.changes],
    }


@dataclass(frozen=True)
class _Builder:
    """Builds the parts of :func:`spec_context` from one cost result."""

    result: CostResult
    text: Callable[[str], str]
    params: Mapping[str, float]
    """Every parameter's base value, by address."""
    stage_rows: Mapping[str, dict[str, Any]]
    """``CostResult.by_stage()`` rows by stage id."""
    service_rows: Mapping[tuple[str, str], dict[str, Any]]
    """``CostResult.by_service()`` rows by (stage id, service id)."""
    line_rows: Mapping[tuple[str, str], list[dict[str, Any]]]
    """``CostResult.lines`` rows by (stage id, service id)."""

    def texts(self, values: Iterable[str]) -> list[str]:
        return [self.text(v) for v in values]

    def stage(self, number: int, stage: Stage) -> dict[str, Any]:
        text = self.text
        row = self.stage_rows[stage.id]
        services = [self.service(stage, service) for service in stage.services]
        weeks = float(row["duration_weeks"])
        return {
            "number": number,
            "id": text(stage.id),
            "name": text(stage.label),
            "summary": text(stage.summary or ""),
            "aims": self.texts(stage.aims),
            "entry_criteria": self.texts(stage.entry_criteria),
            "exit_criteria": self.texts(stage.exit_criteria),
            "standards": self.texts(stage.standards),
            "duration_weeks": count(weeks),
            "duration": plural(weeks, "week"),
            "reach": share(float(row["reach"])),
            "patients": f"{float(row['patients']):,.0f}",
            "services": services,
            "skill_mix": [
                {"service": service["name"], **person}
                for service in services
                for person in service["staff"]
            ],
            "outcomes": [self.outcome(stage, outcome) for outcome in stage.outcomes],
            "per_patient_reached": format_money(float(row["per_patient_reached"])),
            "per_patient": format_money(float(row["per_patient"])),
            "total": format_money(float(row["total"])),
            "hours": f"{float(row['hours']):,.0f}",
            "share_of_total": format_percent(float(row["share_of_total"]), 1),
        }

    def service(self, stage: Stage, service: Service) -> dict[str, Any]:
        text, params = self.text, self.params
        row = self.service_rows[(stage.id, service.id)]
        mine = self.line_rows.get((stage.id, service.id), [])
        staff = [
            {
                "role": text(str(r["code"])),
                "name": text(short_name(str(r["description"]), str(r["code"]))),
                "description": text(str(r["description"])),
                "count": count(float(r["count"]), 3),
                "share": share(float(r["share"])),
                "priced_per": str(r["unit"]),
                "hours_per_patient_receiving": count(float(r["hours"])),
                "hours_a_year": f"{float(r['hours_population']):,.0f}",
                "per_patient": format_money(float(r["cost_per_patient"])),
            }
            for r in mine
            if r["kind"] == "staff"
        ]
        resources = []
        for r in mine:
            if r["kind"] != "item":
                continue
            amount = params[f"{r['address']}/{r['frequency']}"]
            unit = str(r["unit"])
            if r["frequency"] == "quantity":
                said = f"{plural(amount, unit)} per patient"
            elif unit == "week" and abs(amount - 1) < 1e-9:
                said = "every week of the stage"
            else:
                said = f"{plural(amount, unit)} a week"
            resources.append(
                {
                    "code": text(str(r["code"])),
                    "name": text(short_name(str(r["description"]), str(r["code"]))),
                    "description": text(str(r["description"])),
                    "unit": unit,
                    "amount": said,
                    "units_per_patient_receiving": count(float(r["quantity"])),
                    "unit_cost": format_money(float(r["unit_cost"]), pence=True),
                    "per_patient": format_money(float(r["cost_per_patient"])),
                }
            )
        frequency = contacts = ""
        if service.contacts is not None:
            kind = service.contacts.frequency[0]
            base = f"{stage.id}/{service.id}/contacts"
            travel = params[f"{base}/travel_minutes"]
            frequency = (
                f"{frequency_words(kind, params[f'{base}/{kind}'])}, "
                f"{plural(params[f'{base}/minutes'], 'minute')}"
                + (f" (+{count(travel)} travel)" if travel else "")
            )
            first = next((r for r in mine if r["kind"] == "staff"), None)
            contacts = count(float(first["contacts"])) if first is not None else ""
        if resources:
            said = "; ".join(f"{r['name']}: {r['amount']}" for r in resources)
            frequency = f"{frequency}; {said}" if frequency else said
        return {
            "id": text(service.id),
            "name": text(service.label),
            "description": text(service.description or ""),
            "setting": SETTING_NAMES[service.setting],
            "setting_id": service.setting,
            "uptake": share(float(row["uptake"])),
            "patients": f"{float(row['patients']):,.0f}",
            "frequency": frequency,
            "contacts_per_patient_receiving": contacts,
            "staff": staff,
            "resources": resources,
            "hours_per_patient_receiving": count(float(row["hours_per_patient_receiving"])),
            "per_patient_receiving": format_money(float(row["cost_per_patient_receiving"])),
            "per_patient_reached": format_money(float(row["cost_per_patient_reached"])),
            "per_patient": format_money(float(row["per_patient"])),
            "total": format_money(float(row["total"])),
            "share_of_total": format_percent(float(row["share_of_total"]), 1),
        }

    def outcome(self, stage: Stage, outcome: Outcome) -> dict[str, Any]:
        text = self.text
        direction = {"higher": "Higher", "lower": "Lower"}.get(outcome.direction or "", "-")
        label = outcome.id
        return {
            "id": text(outcome.id),
            "name": text(outcome.label),
            "measure": (
                text(outcome.measure) if outcome.measure else to_be_agreed(f"measure of {label}")
            ),
            "target": (
                target_text(outcome.target, outcome.measure)
                if outcome.target is not None
                else to_be_agreed(f"target of {label}")
            ),
            "direction": direction,
            "source": (
                text(outcome.source) if outcome.source else to_be_agreed(f"source of {label}")
            ),
            "recorded_at": (
                text(outcome.recorded_at)
                if outcome.recorded_at
                else to_be_agreed(f"when {label} is recorded")
            ),
            "stage": text(stage.label),
            "stage_id": text(stage.id),
        }

    def standards(self, pathway: Pathway) -> dict[str, Any]:
        """Standards the stages name, each once, with the stages that name it."""
        named: dict[str, list[str]] = {}
        for stage in pathway.stages:
            for standard in stage.standards:
                named.setdefault(standard, []).append(stage.label)
        return {
            "stages": [
                {"name": self.text(name), "stages": self.text(sentence_list(labels))}
                for name, labels in named.items()
            ]
        }

    def settings(self) -> list[dict[str, Any]]:
        lines = self.result.lines
        counts = lines.drop_duplicates(["stage", "service"])["setting"].value_counts()
        return [
            {
                "id": str(r["setting"]),
                "name": SETTING_NAMES[str(r["setting"])],
                "services": int(counts[str(r["setting"])]),
                "per_patient": format_money(float(r["per_patient"])),
                "total": format_money(float(r["total"])),
                "hours": f"{float(r['hours']):,.0f}",
                "share_of_total": format_percent(float(r["share_of_total"]), 1),
            }
            for r in _records(self.result.by_setting())
        ]

    def funders(self) -> list[dict[str, Any]]:
        """Who pays: each funder's share of the budget (a line's funder is its
        service's, else its tariff row's, else unassigned)."""
        text = self.text
        return [
            {
                "id": text(str(r["funder"])),
                "name": text(str(r["name"])),
                "per_patient": format_money(float(r["per_patient"])),
                "total": format_money(float(r["total"])),
                "share_of_total": format_percent(float(r["share_of_total"]), 1),
            }
            for r in _records(self.result.by_funder())
        ]

    def estimates(self, top: int = 10) -> list[dict[str, Any]]:
        """The cost lines resting on estimates that carry most of the budget (the
        ``top`` costliest), so the commissioner sees which figures to replace with local
        data first (``cost --explain`` lists them all)."""
        from careprofiles.costing.evidence import estimate_lines
        from careprofiles.outputs.names import names_for

        text = self.text
        names = names_for(self.result.pathway, self.result.tariff)
        return [
            {
                "stage": text(str(r["stage"])),
                "service": text(str(r["service"])),
                "code": text(str(r["code"])),
                "inputs": text(str(r["estimated_inputs"])),
                "stage_name": text(names.stage(str(r["stage"]))),
                "service_name": text(names.service(str(r["stage"]), str(r["service"]))),
                "name": text(names.code(str(r["code"]))),
                "inputs_named": text(
                    "; ".join(
                        names.address(
                            a, within=(str(r["stage"]), str(r["service"]), str(r["code"]))
                        )
                        for a in str(r["estimated_inputs"]).split("; ")
                    )
                ),
                "per_patient": format_money(float(r["per_patient"])),
                "share_of_total": format_percent(float(r["share_of_total"]), 1),
            }
            for r in _records(estimate_lines(self.result, top=top))
        ]

    def cohort(self) -> dict[str, Any]:
        size, params = self.result.cohort, self.params
        if "cohort/patients" in params:
            return {
                "form": "patients",
                "patients": f"{size:,.0f}",
                "arithmetic": f"{size:,.0f} patients a year",
            }
        population = params["cohort/population"]
        deaths = params["cohort/deaths_per_1000"]
        eligible = params["cohort/eligible_share"]
        return {
            "form": "population",
            "patients": f"{size:,.0f}",
            "population": f"{population:,.0f}",
            "deaths_per_1000": count(deaths, 3),
            "deaths": f"{population * deaths / 1000:,.0f}",
            "eligible_share": share(eligible),
            "arithmetic": (
                f"{population:,.0f} \N{MULTIPLICATION SIGN} {count(deaths, 3)} / 1,000 "
                f"\N{MULTIPLICATION SIGN} {share(eligible)} = {size:,.0f}"
            ),
        }

    def costing(self, stages: list[dict[str, Any]]) -> dict[str, Any]:
        result, text = self.result, self.text
        role_frame, item_frame = result.by_role(), result.by_item()
        roles = [
            {
                "role": text(str(r["role"])),
                "name": text(short_name(str(r["description"]), str(r["role"]))),
                "description": text(str(r["description"])),
                "priced_per": str(r["unit"]),
                "hours": f"{float(r['hours']):,.0f}",
                "hours_per_wte": f"{float(r['hours_per_wte']):,.0f}",
                "wte": f"{float(r['wte']):,.1f}",
                "cost": format_money(float(r["cost"])),
                "per_patient": format_money(float(r["per_patient"])),
            }
            for r in _records(role_frame)
        ]
        resources = [
            {
                "code": text(str(r["code"])),
                "name": text(short_name(str(r["description"]), str(r["code"]))),
                "description": text(str(r["description"])),
                "unit": str(r["unit"]),
                "units": f"{float(r['units']):,.0f}",
                "cost": format_money(float(r["cost"])),
                "per_patient": format_money(float(r["per_patient"])),
            }
            for r in _records(item_frame)
        ]
        tariff_rows = []
        for code in dict.fromkeys(str(c) for c in result.lines["code"]):
            row = result.tariff[code]
            written = row.original_cost if math.isfinite(row.original_cost) else row.cost
            tariff_rows.append(
                {
                    "code": text(code),
                    "description": text(row.description or code),
                    "unit": row.unit,
                    "cost": format_money(row.cost, pence=True),
                    "price_year": text(row.price_year),
                    "written_cost": format_money(written, pence=True),
                    "written_price_year": text(row.original_price_year or row.price_year),
                    "adjustments": text("; ".join(row.adjustments)),
                    "source": text(row.source or "Not stated"),
                    "location": text(source_location(row.location)),
                }
            )
        # each stage's number, id, name and duration, then the figures of by_stage()
        figures = [c for c in STAGE_COLUMNS if c not in ("stage", "name")]
        stage_keys = ("number", "id", "name", "duration", *figures)
        return {
            "per_patient": format_money(result.per_patient, pence=True),
            "per_patient_rounded": format_money(result.per_patient),
            "total": format_money(result.total),
            "total_pence": format_money(result.total, pence=True),
            "cohort": f"{result.cohort:,.0f}",
            "price_year": text(result.price_year),
            "hours": f"{float(role_frame['hours'].sum()):,.0f}",
            "wte": f"{float(role_frame['wte'].sum()):,.1f}",
            "staff_cost": format_money(float(role_frame["cost"].sum())),
            "resources_cost": format_money(float(item_frame["cost"].sum())),
            "stages": [{k: s[k] for k in stage_keys} for s in stages],
            "services": [
                {"stage": s["name"], "stage_id": s["id"], **service}
                for s in stages
                for service in s["services"]
            ],
            "roles": roles,
            "resources": resources,
            "settings": self.settings(),
            "funders": self.funders(),
            "estimates": self.estimates(),
            "tariff_files": self.texts(result.tariff.names),
            "tariff_rows": tariff_rows,
        }
