"""Commissioning specifications from Jinja templates, as Markdown, HTML or Word.

:func:`render_spec` turns a pathway and its :class:`~careprofiles.costing.result.CostResult`
into the service specification a commissioner puts in a contract (NHS Standard
Contract, Schedule 2 Part A). Every figure in the document is taken from the cost
result, already formatted, so the specification and the budget cannot disagree.

Templates are rendered in Jinja's sandbox with ``StrictUndefined``: a template sees
only the context built by :func:`spec_context` (plain dicts, lists and formatted
strings, documented in ``docs/templates.md``), cannot reach Python internals, and an
undefined name is an error, never an empty string. Problems are reported as
:class:`~careprofiles.errors.TemplateError` lines ``template-file:line: what is wrong``.

A Markdown template (``*.md.j2``) gives all three formats: Markdown directly, HTML and
Word through :mod:`careprofiles.outputs.documents`. Free text from the profiles is escaped for
Markdown in its context, so a ``|`` or ``*`` in a service's name shows as written. An
HTML template (``*.html.j2``) is autoescaped and gives HTML only.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import re
import time
import traceback
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast, overload

import jinja2
from jinja2 import nodes
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment
from jinja2.utils import missing
from pydantic import field_validator

from careprofiles.errors import Problem, TemplateError, ValidationError, display_path
from careprofiles.profiles.models import _Model
from careprofiles.profiles.reader import read_yaml
from careprofiles.profiles.validation import sort_problems, validate_model

if TYPE_CHECKING:
    import pandas as pd

    from careprofiles.costing.result import CostResult
    from careprofiles.profiles.models import Outcome, Pathway, Service, Stage

__all__ = [
    "CONTEXT_NAMES",
    "DEFAULT_TEMPLATE",
    "FORMATS",
    "TEMPLATE_MAX_CHARS",
    "TEMPLATE_TIMEOUT",
    "SpecHeader",
    "list_templates",
    "load_header",
    "markdown_escape",
    "render_spec",
    "render_template",
    "spec_context",
]

FORMATS = ("md", "html", "docx")
"""Formats :func:`render_spec` writes."""
TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
"""The shipped specification templates."""
DEFAULT_TEMPLATE = "nhs-service-specification"
"""The template used when none is named: NHS Standard Contract, Schedule 2 Part A."""
TO_BE_AGREED = "To be agreed"
"""What the header shows for a field that was not given."""
CONTEXT_NAMES = ("costing", "document", "outcomes", "pathway", "cohort", "settings", "spec",
                 "stages", "standards")
"""The names a specification template can use (see ``docs/templates.md``)."""
TEMPLATE_TIMEOUT = 30.0
"""Seconds a template may run before it is stopped (``timeout`` of :func:`render_spec`)."""
TEMPLATE_MAX_CHARS = 10_000_000
"""Characters a template may write before it is stopped (``max_chars`` of :func:`render_spec`)."""

Format = Literal["md", "html", "docx"]


# ---------------------------------------------------------------- header


class SpecHeader(_Model):
    """The header block of a specification (a ``--header`` YAML file; every key optional)."""

    number: str = TO_BE_AGREED
    """Service specification number."""
    service: str | None = None
    """The service's name (default: the pathway's name)."""
    commissioner: str = TO_BE_AGREED
    """The commissioning organisation."""
    commissioner_lead: str = TO_BE_AGREED
    """The commissioner's lead for the specification."""
    provider: str = TO_BE_AGREED
    """The providing organisation."""
    provider_lead: str = TO_BE_AGREED
    """The provider's lead for the specification."""
    period: str = TO_BE_AGREED
    """The period the specification covers, e.g. 1 April 2025 to 31 March 2028."""
    review_date: str = TO_BE_AGREED
    """When the specification is next reviewed."""
    premises: str = TO_BE_AGREED
    """The provider's premises (section 6), beside the settings care is given in."""

    @field_validator("*", mode="before")
    @classmethod
    def _as_text(cls, value: Any) -> Any:
        if isinstance(value, bool) or value is None:
            return value  # refused below as "not text"
        if isinstance(value, dt.date):
            return f"{value.day} {value:%B %Y}"
        if isinstance(value, int | float):
            return f"{value:g}"
        if isinstance(value, str) and not value.strip():
            raise ValueError("is empty; give the text, or leave the key out")
        return value


HEADER_KEYS = tuple(SpecHeader.model_fields)
"""The keys a header file may have."""


def load_header(path: str | Path) -> SpecHeader:
    """Read a specification header YAML file; unknown keys are refused with ``file:line``."""
    raw, problems = read_yaml(path, error=ValidationError, what="specification header file")
    name = display_path(path)
    header = validate_model(SpecHeader, raw, name, problems)
    if problems or header is None:
        raise ValidationError(sort_problems(problems))
    return header


def _header(value: SpecHeader | Mapping[str, Any] | str | Path | None) -> SpecHeader:
    if value is None:
        return SpecHeader()
    if isinstance(value, SpecHeader):
        return value
    if isinstance(value, str | Path):
        return load_header(value)
    problems: list[Problem] = []
    header = validate_model(SpecHeader, dict(value), "header", problems)
    if problems or header is None:
        raise ValidationError(problems)
    return header


# ---------------------------------------------------------------- formatting


_MD_INLINE = re.compile(r"([\\`*\[\]<>|~]|(?<![^\W_])_|_(?![^\W_]))")
_MD_ENTITY = re.compile(r"&(?=#?[0-9A-Za-z]+;)")
_MD_CLOSING_HASHES = re.compile(r"#(?=[#\s]*$)")
_MD_LEADING = re.compile(r"^(?:([#>+=-])|(\d+)([.)]))")


def markdown_escape(text: str) -> str:
    """``text`` as literal Markdown: one line, markup characters backslash-escaped.

    Whitespace (including line breaks) is collapsed to single spaces so that a value
    cannot break a table row or start a new block; ``* _ ` [ ] < > | ~ \\`` and a
    leading ``# > + = -`` or ``1.``, trailing ``#``, and a ``_`` at the edge of a word are
    escaped, so the text shows exactly as written in Markdown, HTML and Word.
    """
    out = " ".join(str(text).split())
    out = _MD_INLINE.sub(r"\\\1", out)
    out = _MD_ENTITY.sub(r"\\&", out)
    out = _MD_CLOSING_HASHES.sub(r"\\#", out)  # would close an ATX heading
    return _MD_LEADING.sub(
        lambda m: f"\\{m.group(1)}" if m.group(1) else f"{m.group(2)}\\{m.group(3)}", out
    )


def _same(text: str) -> str:
    return str(text)


def _num(x: float, places: int = 2) -> str:
    """A count as people read it: ``1,781``, ``2.5``, ``0.23``."""
    if not math.isfinite(x):
        return "-"
    if abs(x - round(x)) < 1e-9:
        return f"{round(x):,}"
    text = f"{x:,.{places}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _pct(x: float) -> str:
    """An input share as a percentage: ``65%``, ``12.5%``."""
    if not math.isfinite(x):
        return "-"
    p = x * 100
    return f"{p:.0f}%" if abs(p - round(p)) < 0.05 else f"{p:.1f}%"


def _share_of_total(x: float) -> str:
    """A share of a total, always to one decimal (``4.0%``, ``12.5%``), so that a column
    of them lines up and none looks rounded differently from its neighbours."""
    return f"{x * 100:.1f}%" if math.isfinite(x) else "-"


def _money(x: float, pence: bool = False) -> str:
    from careprofiles.outputs.tables import format_money

    return format_money(x, pence=pence)


def _plural(n: float, word: str) -> str:
    return f"{_num(n)} {word}" + ("" if abs(n - 1) < 1e-9 else "s")


def _per_week_words(w: float, what: str) -> str:
    """``0.231`` contacts a week → ``1 contact a month``; ``0.2`` → ``1 contact every 5 weeks``."""
    if w == 0:
        return f"no {what}s"
    if w >= 1:
        return f"{_plural(w, what)} a week"
    month = w * 52 / 12
    if round(month) >= 1 and abs(month - round(month)) <= 0.02 * month:
        return f"{_plural(round(month), what)} a month"
    every = 1 / w
    if abs(every - round(every)) <= 0.02 * every:
        return f"1 {what} every {round(every)} weeks"
    return f"{_plural(w, what)} a week (about 1 every {round(every)} weeks)"


def _frequency_words(kind: str, value: float, what: str = "contact") -> str:
    """Contacts in words: ``2 contacts a day``, ``1 contact in the stage``."""
    if kind == "per_day":
        return f"{_plural(value, what)} a day" if value >= 1 else _per_week_words(value * 7, what)
    if kind == "per_week":
        return _per_week_words(value, what)
    return f"{_plural(value, what)} in the stage"


def _short(description: str, code: str) -> str:
    """A role's or item's short name from its tariff description (up to ``, per …``)."""
    text = description.strip() or code
    text = re.split(r":|,\s*per\s", text, maxsplit=1)[0].strip()
    text = re.sub(r"\s*\([^()]*\)$", "", text).strip()
    return text or code


def _target(target: float | None, measure: str | None) -> str:
    """An outcome's target: a percentage for a ratio measure (``a / b``) between 0 and 1."""
    if target is None:
        return TO_BE_AGREED
    if measure and "/" in measure and 0 <= target <= 1:
        return _pct(target)
    return _num(target, 4)


def _sentence_list(words: list[str]) -> str:
    if not words:
        return ""
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + " and " + words[-1]


SETTING_NAMES = {
    "home": "Patient's home",
    "care-home": "Care home",
    "hospice": "Hospice",
    "hospital": "Hospital",
    "clinic": "Clinic or GP surgery",
    "telephone": "Telephone",
    "video": "Video consultation",
    "other": "Other (meetings, records, non-patient-facing)",
}
"""How each setting is named in a specification."""


# ---------------------------------------------------------------- context


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in row.items()} for row in frame.to_dict(orient="records")]


def spec_context(
    pathway: Pathway,
    result: CostResult,
    header: SpecHeader | Mapping[str, Any] | str | Path | None = None,
    *,
    markdown: bool = True,
    template: str = "",
) -> dict[str, Any]:
    """The context a specification template sees (documented in ``docs/templates.md``).

    Plain dicts, lists and strings only. Figures come from ``result`` and are already
    formatted (``£1,234``, ``65%``, ``1,781``); free text from the profiles, tariffs and
    header is escaped for Markdown when ``markdown`` is true (for ``.md.j2``
    templates) and left as written otherwise (HTML templates autoescape it).

    Raises ``ValueError`` when ``result`` was not costed from ``pathway``.
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
    build = _Context(
        result=result,
        text=markdown_escape if markdown else _same,
        params={p.address: p.base for p in result.model.parameters},
        stage_rows={r["stage"]: r for r in _records(result.by_stage())},
        service_rows={(r["stage"], r["service"]): r for r in _records(result.by_service())},
        line_rows=line_rows,
    )
    head = _header(header)
    stages = [build.stage(number, stage) for number, stage in enumerate(pathway.stages, 1)]
    outcomes = [outcome for stage in stages for outcome in stage["outcomes"]]
    text = build.text
    folder = pathway.folder
    return {
        "document": {
            "title": text(f"Service specification: {head.service or pathway.name}"),
            "generated": dt.date.today().isoformat(),
            "generator": f"careprofiles {__version__}",
            "template": text(template),
        },
        "spec": {
            key: text(value)
            for key, value in {**head.model_dump(), "service": head.service or pathway.name}.items()
        },
        "pathway": {
            "id": text(pathway.id),
            "name": text(pathway.name),
            "description": text(pathway.description or ""),
            "price_year": text(pathway.price_year),
            "stage_count": len(pathway.stages),
            "source": text(display_path(folder)) if folder is not None else "",
        },
        "cohort": build.cohort(),
        "stages": stages,
        "outcomes": outcomes,
        "standards": build.standards(pathway),
        "settings": build.settings(),
        "costing": build.costing(stages),
    }


@dataclass(frozen=True)
class _Context:
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
            "duration_weeks": _num(weeks),
            "duration": _plural(weeks, "week"),
            "reach": _pct(float(row["reach"])),
            "patients": f"{float(row['patients']):,.0f}",
            "services": services,
            "skill_mix": [
                {"service": service["name"], **person}
                for service in services
                for person in service["staff"]
            ],
            "outcomes": [self.outcome(stage, outcome) for outcome in stage.outcomes],
            "per_patient_reached": _money(float(row["per_patient_reached"])),
            "per_patient": _money(float(row["per_patient"])),
            "total": _money(float(row["total"])),
            "hours": f"{float(row['hours']):,.0f}",
            "share_of_total": _share_of_total(float(row["share_of_total"])),
        }

    def service(self, stage: Stage, service: Service) -> dict[str, Any]:
        text, params = self.text, self.params
        row = self.service_rows[(stage.id, service.id)]
        mine = self.line_rows.get((stage.id, service.id), [])
        staff = [
            {
                "role": text(str(r["code"])),
                "name": text(_short(str(r["description"]), str(r["code"]))),
                "description": text(str(r["description"])),
                "count": _num(float(r["count"]), 3),
                "share": _pct(float(r["share"])),
                "priced_per": str(r["unit"]),
                "hours_per_patient_receiving": _num(float(r["hours"])),
                "hours_a_year": f"{float(r['hours_population']):,.0f}",
                "per_patient": _money(float(r["cost_per_patient"])),
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
                said = f"{_plural(amount, unit)} per patient"
            elif unit == "week" and abs(amount - 1) < 1e-9:
                said = "every week of the stage"
            else:
                said = f"{_plural(amount, unit)} a week"
            resources.append(
                {
                    "code": text(str(r["code"])),
                    "name": text(_short(str(r["description"]), str(r["code"]))),
                    "description": text(str(r["description"])),
                    "unit": unit,
                    "amount": said,
                    "units_per_patient_receiving": _num(float(r["quantity"])),
                    "unit_cost": _money(float(r["unit_cost"]), pence=True),
                    "per_patient": _money(float(r["cost_per_patient"])),
                }
            )
        frequency = contacts = ""
        if service.contacts is not None:
            kind = service.contacts.frequency[0]
            base = f"{stage.id}/{service.id}/contacts"
            travel = params[f"{base}/travel_minutes"]
            frequency = (
                f"{_frequency_words(kind, params[f'{base}/{kind}'])}, "
                f"{_plural(params[f'{base}/minutes'], 'minute')}"
                + (f" (+{_num(travel)} travel)" if travel else "")
            )
            first = next((r for r in mine if r["kind"] == "staff"), None)
            contacts = _num(float(first["contacts"])) if first is not None else ""
        if resources:
            said = "; ".join(f"{r['name']}: {r['amount']}" for r in resources)
            frequency = f"{frequency}; {said}" if frequency else said
        return {
            "id": text(service.id),
            "name": text(service.label),
            "description": text(service.description or ""),
            "setting": SETTING_NAMES[service.setting],
            "setting_id": service.setting,
            "uptake": _pct(float(row["uptake"])),
            "patients": f"{float(row['patients']):,.0f}",
            "frequency": frequency,
            "contacts_per_patient_receiving": contacts,
            "staff": staff,
            "resources": resources,
            "hours_per_patient_receiving": _num(float(row["hours_per_patient_receiving"])),
            "per_patient_receiving": _money(float(row["cost_per_patient_receiving"])),
            "per_patient_reached": _money(float(row["cost_per_patient_reached"])),
            "per_patient": _money(float(row["per_patient"])),
            "total": _money(float(row["total"])),
            "share_of_total": _share_of_total(float(row["share_of_total"])),
        }

    def outcome(self, stage: Stage, outcome: Outcome) -> dict[str, Any]:
        text = self.text
        direction = {"higher": "Higher", "lower": "Lower"}.get(outcome.direction or "", "-")
        return {
            "id": text(outcome.id),
            "name": text(outcome.label),
            "measure": text(outcome.measure or TO_BE_AGREED),
            "target": _target(outcome.target, outcome.measure),
            "direction": direction,
            "source": text(outcome.source or TO_BE_AGREED),
            "recorded_at": text(outcome.recorded_at or TO_BE_AGREED),
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
                {"name": self.text(name), "stages": self.text(_sentence_list(labels))}
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
                "per_patient": _money(float(r["per_patient"])),
                "total": _money(float(r["total"])),
                "hours": f"{float(r['hours']):,.0f}",
                "share_of_total": _share_of_total(float(r["share_of_total"])),
            }
            for r in _records(self.result.by_setting())
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
        share = params["cohort/eligible_share"]
        return {
            "form": "population",
            "patients": f"{size:,.0f}",
            "population": f"{population:,.0f}",
            "deaths_per_1000": _num(deaths, 3),
            "deaths": f"{population * deaths / 1000:,.0f}",
            "eligible_share": _pct(share),
            "arithmetic": (
                f"{population:,.0f} \N{MULTIPLICATION SIGN} {_num(deaths, 3)} / 1,000 "
                f"\N{MULTIPLICATION SIGN} {_pct(share)} = {size:,.0f}"
            ),
        }

    def costing(self, stages: list[dict[str, Any]]) -> dict[str, Any]:
        result, text = self.result, self.text
        role_frame, item_frame = result.by_role(), result.by_item()
        roles = [
            {
                "role": text(str(r["role"])),
                "name": text(_short(str(r["description"]), str(r["role"]))),
                "description": text(str(r["description"])),
                "priced_per": str(r["unit"]),
                "hours": f"{float(r['hours']):,.0f}",
                "hours_per_wte": f"{float(r['hours_per_wte']):,.0f}",
                "wte": f"{float(r['wte']):,.1f}",
                "cost": _money(float(r["cost"])),
                "per_patient": _money(float(r["per_patient"])),
            }
            for r in _records(role_frame)
        ]
        resources = [
            {
                "code": text(str(r["code"])),
                "name": text(_short(str(r["description"]), str(r["code"]))),
                "description": text(str(r["description"])),
                "unit": str(r["unit"]),
                "units": f"{float(r['units']):,.0f}",
                "cost": _money(float(r["cost"])),
                "per_patient": _money(float(r["per_patient"])),
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
                    "cost": _money(row.cost, pence=True),
                    "price_year": text(row.price_year),
                    "written_cost": _money(written, pence=True),
                    "written_price_year": text(row.original_price_year or row.price_year),
                    "adjustments": text("; ".join(row.adjustments)),
                    "source": text(row.source or "Not stated"),
                    "location": text(row.location),
                }
            )
        stage_keys = ("number", "id", "name", "duration", "duration_weeks", "reach", "patients",
                      "per_patient_reached", "per_patient", "total", "hours", "share_of_total")
        return {
            "per_patient": _money(result.per_patient, pence=True),
            "per_patient_rounded": _money(result.per_patient),
            "total": _money(result.total),
            "total_pence": _money(result.total, pence=True),
            "cohort": f"{result.cohort:,.0f}",
            "price_year": text(result.price_year),
            "hours": f"{float(role_frame['hours'].sum()):,.0f}",
            "wte": f"{float(role_frame['wte'].sum()):,.1f}",
            "staff_cost": _money(float(role_frame["cost"].sum())),
            "resources_cost": _money(float(item_frame["cost"].sum())),
            "stages": [{k: s[k] for k in stage_keys} for s in stages],
            "services": [
                {"stage": s["name"], "stage_id": s["id"], **service}
                for s in stages
                for service in s["services"]
            ],
            "roles": roles,
            "resources": resources,
            "settings": self.settings(),
            "tariff_files": self.texts(result.tariff.files),
            "tariff_rows": tariff_rows,
        }


# ---------------------------------------------------------------- templates


@dataclass(frozen=True)
class _Template:
    path: Path
    html: bool


def list_templates() -> list[str]:
    """The names of the shipped specification templates."""
    return sorted(
        p.name.split(".")[0] for p in TEMPLATE_DIR.glob("*.j2") if not p.name.startswith("_")
    )


def _is_html(name: str) -> bool:
    lower = name.lower()
    return lower.endswith((".html", ".htm", ".html.j2", ".htm.j2"))


def _find(template: str | Path | None) -> _Template:
    if template is None:
        template = DEFAULT_TEMPLATE
    as_text = str(template)
    looks_like_path = (
        isinstance(template, Path)
        or "/" in as_text
        or "\\" in as_text
        or as_text.endswith((".j2", ".md", ".html", ".htm", ".jinja", ".txt"))
    )
    if not looks_like_path:
        for suffix in (".md.j2", ".html.j2"):
            shipped = TEMPLATE_DIR / f"{as_text}{suffix}"
            if shipped.is_file():
                return _Template(shipped, _is_html(shipped.name))
        names = list_templates()
        close = [n for n in names if n.startswith(as_text)] or difflib.get_close_matches(
            as_text, names, n=1
        )
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise TemplateError(
            [Problem(None, None, "--template", f"no shipped template {as_text!r}; {hint}"
                     f"shipped templates: {', '.join(list_templates())}; or give a "
                     "template file's path")]
        )
    path = Path(template)
    if not path.is_file():
        what = "is a folder" if path.is_dir() else "no such file"
        raise TemplateError(
            [Problem(display_path(path), None, "", f"{what}; give the path of a template file "
                     "(.md.j2 for Markdown, Word and HTML, or .html.j2 for HTML)")]
        )
    return _Template(path.resolve(), _is_html(path.name))


class _Undefined(jinja2.StrictUndefined):
    """StrictUndefined whose message says what the names or keys available are."""

    @property
    def _undefined_message(self) -> str:
        if self._undefined_hint:
            return self._undefined_hint
        name = self._undefined_name
        obj = self._undefined_obj
        if obj is missing:
            close = difflib.get_close_matches(str(name), CONTEXT_NAMES, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            return (
                f"{name!r} is undefined; {hint}a template can use "
                f"{', '.join(sorted(CONTEXT_NAMES))} (see docs/templates.md)"
            )
        if isinstance(obj, Mapping):
            keys = sorted(str(k) for k in obj)
            close = difflib.get_close_matches(str(name), keys, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            return f"there is no {name!r} here; {hint}the keys here are {', '.join(keys)}"
        if isinstance(obj, list | tuple):
            return f"there is no item {name!r} in a list of {len(obj)}"
        return f"{type(obj).__name__} value has no {name!r}"


class _LimitError(Exception):
    """A template ran too long or wrote too much (reported as a :class:`TemplateError`)."""


_LOOPS = "look for a loop that runs far more often than meant"


@dataclass(frozen=True)
class _Limits:
    """How long a template may run and how much it may write (``None``: no limit)."""

    timeout: float | None
    max_chars: int | None
    deadline: float
    """``time.monotonic()`` when the time is up."""

    @classmethod
    def start(cls, timeout: float | None, max_chars: int | None) -> _Limits:
        """The limits of a render starting now; refuses a limit that is not above 0."""
        if timeout is not None and not timeout > 0:  # NaN too
            raise ValueError(f"timeout must be a number of seconds above 0, or None; not {timeout}")
        if max_chars is not None and (isinstance(max_chars, bool) or not max_chars > 0):
            raise ValueError(f"max_chars must be a whole number above 0, or None; not {max_chars}")
        deadline = math.inf if timeout is None else time.monotonic() + timeout
        return cls(timeout, max_chars, deadline)

    def overdue(self) -> _LimitError | None:
        if time.monotonic() > self.deadline:
            return _LimitError(
                f"stopped after {self.timeout:g} seconds, the longest a template may run; "
                f"{_LOOPS}, or a macro that calls itself"
            )
        return None

    def check_time(self) -> None:
        if (error := self.overdue()) is not None:
            raise error

    def too_much(self, chars: int) -> _LimitError | None:
        if self.max_chars is not None and chars > self.max_chars:
            return _LimitError(
                f"stopped: the template wrote more than {self.max_chars:,} characters, the most "
                f"a template may write; {_LOOPS}"
            )
        return None


_LOOP_GUARD = "careprofiles loop guard"
"""The filter every ``{% for %}`` loop's sequence passes through (no template can name it)."""
_MAX_POWER_BITS = 100_000
"""The largest whole number (in bits) ``**`` may make in a template."""


@jinja2.pass_context  # never called at compile time (constant folding)
def _guard_loop(context: Context, iterable: Any) -> Iterator[Any]:
    """``iterable``, checking the time limit as each loop starts and every 256 items."""
    env = context.environment
    assert isinstance(env, _Sandbox)
    limits = env.limits
    limits.check_time()
    items = iter(iterable)  # an undefined sequence fails here, at the loop's line

    def guarded() -> Iterator[Any]:
        for n, item in enumerate(items, 1):
            if not n & 255:
                limits.check_time()
            yield item

    return guarded()


class _Sandbox(SandboxedEnvironment):
    """Jinja's sandbox with run-time limits: a time limit checked as loops go round and at
    every call (so a recursive macro is caught too), and ``*`` and ``**`` refused when they
    would make a value larger than a template could write. The limit on the length of the
    output is checked as it is written (:func:`_render`)."""

    intercepted_binops = frozenset({"*", "**"})

    def __init__(self, limits: _Limits, **options: Any) -> None:
        super().__init__(**options)
        self.limits = limits
        self.filters[_LOOP_GUARD] = _guard_loop

    def compile(
        self,
        source: str | nodes.Template,
        name: str | None = None,
        filename: str | None = None,
        raw: bool = False,
        defer_init: bool = False,
    ) -> Any:
        """Compile with every ``{% for %}`` loop's sequence passed through the loop guard."""
        tree = self.parse(source, name, filename) if isinstance(source, str) else source
        for loop in list(tree.find_all(nodes.For)):
            guard = nodes.Filter(loop.iter, _LOOP_GUARD, [], [], None, None, lineno=loop.lineno)
            loop.iter = guard.set_environment(self)
        if raw:
            return super().compile(tree, name, filename, True, defer_init)
        return super().compile(tree, name, filename, False, defer_init)

    def call(self, context: Context, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        self.limits.check_time()
        return super().call(context, obj, *args, **kwargs)

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "*":
            for times, value in ((left, right), (right, left)):
                if isinstance(times, int) and isinstance(value, str | list | tuple):
                    size = len(value) * times
                    if self.limits.too_much(size) is not None:
                        raise _LimitError(
                            f"refused: * would make a value {size:,} long, longer than the "
                            f"{self.limits.max_chars:,} characters a template may write; "
                            "check the numbers either side of *"
                        )
        elif (
            isinstance(left, int)
            and isinstance(right, int)
            and abs(left) > 1
            and right * math.log2(abs(left)) > _MAX_POWER_BITS
        ):
            raise _LimitError(
                f"refused: {left} ** {right} is too large a number for a template to make; "
                "check the numbers either side of **"
            )
        return super().call_binop(context, operator, left, right)


def _environment(template: _Template, limits: _Limits) -> _Sandbox:
    search = [str(template.path.parent)]
    if template.path.parent != TEMPLATE_DIR:
        search.append(str(TEMPLATE_DIR))
    return _Sandbox(
        limits,
        loader=jinja2.FileSystemLoader(search),
        undefined=_Undefined,
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html", "htm", "html.j2", "htm.j2"),
            disabled_extensions=(),
            default_for_string=False,
            default=False,
        ),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )


def _template_frame(exc: BaseException) -> tuple[str | None, int | None]:
    """The innermost template file and line in ``exc``'s traceback (Jinja rewrites them)."""
    found: tuple[str | None, int | None] = (None, None)
    for frame in traceback.extract_tb(exc.__traceback__):
        if not frame.filename.endswith(".py") and not frame.filename.startswith("<"):
            found = (frame.filename, frame.lineno)
    return found


def _problem(file: str | None, line: int | None, message: str) -> TemplateError:
    name = display_path(file) if file else None
    return TemplateError([Problem(name, line, "", message)])


def _render(compiled: jinja2.Template, context: dict[str, Any], limits: _Limits) -> str:
    """``compiled`` rendered, the output's length and the time checked as it is written."""
    parts: list[str] = []
    chars = 0
    chunks = cast(Generator[str, None, None], compiled.generate(context))
    for chunk in chunks:
        parts.append(chunk)
        chars += len(chunk)
        error = limits.too_much(chars) or limits.overdue()
        if error is not None:
            chunks.throw(error)  # raised where the template is, so its line is reported
            raise error  # pragma: no cover - a template cannot catch it
    return "".join(parts)


def render_template(
    template: str | Path | None,
    context: Mapping[str, Any],
    *,
    timeout: float | None = TEMPLATE_TIMEOUT,
    max_chars: int | None = TEMPLATE_MAX_CHARS,
) -> tuple[str, bool]:
    """Render a template with ``context`` in the sandbox; returns the text and whether it is HTML.

    Raises :class:`TemplateError` (``template-file:line: what is wrong``) for a syntax
    error, an undefined name, a missing included template, an unsafe attribute (Python
    internals) or any other error the template makes, and when the template runs for more
    than ``timeout`` seconds or writes more than ``max_chars`` characters (``None``: no
    limit). Raises ``ValueError`` for a limit that is not above 0.
    """
    found = _find(template)
    limits = _Limits.start(timeout, max_chars)
    env = _environment(found, limits)
    name = found.path.name
    try:
        compiled = env.get_template(name)
        text = _render(compiled, dict(context), limits)
    except jinja2.TemplateSyntaxError as exc:
        raise _problem(
            exc.filename or str(found.path), exc.lineno,
            f"template syntax error: {exc.message}; check the {{% %}} and {{{{ }}}} tags",
        ) from None
    except SecurityError as exc:
        file, line = _template_frame(exc)
        raise _problem(
            file or str(found.path), line,
            f"refused: {str(exc).rstrip('.')}; a template may use only the values of its context "
            "(see docs/templates.md), not Python internals",
        ) from None
    except jinja2.UndefinedError as exc:
        file, line = _template_frame(exc)
        raise _problem(file or str(found.path), line, str(exc)) from None
    except jinja2.TemplateNotFound as exc:
        file, line = _template_frame(exc)
        raise _problem(
            file or str(found.path), line,
            f"template {exc.name!r} not found; templates are looked for beside this one "
            "and among the shipped templates",
        ) from None
    except _LimitError as exc:
        file, line = _template_frame(exc)
        raise _problem(file or str(found.path), line, str(exc)) from None
    except (TemplateError, ValidationError):
        raise
    except Exception as exc:  # an error the template's own code makes
        file, line = _template_frame(exc)
        raise _problem(
            file or str(found.path), line, f"the template failed: {type(exc).__name__}: {exc}"
        ) from None
    if not found.html:
        text = re.sub(r"[ \t]+\n", "\n", text)
        text = re.sub(r"\n{3,}", "\n\n", text).strip("\n") + "\n"
    return text, found.html


@overload
def render_spec(
    pathway: Pathway,
    result: CostResult,
    template: str | Path | None = ...,
    format: Literal["md", "html"] = ...,
    header: SpecHeader | Mapping[str, Any] | str | Path | None = ...,
    *,
    timeout: float | None = ...,
    max_chars: int | None = ...,
) -> str: ...


@overload
def render_spec(
    pathway: Pathway,
    result: CostResult,
    template: str | Path | None,
    format: Literal["docx"],
    header: SpecHeader | Mapping[str, Any] | str | Path | None = ...,
    *,
    timeout: float | None = ...,
    max_chars: int | None = ...,
) -> bytes: ...


@overload
def render_spec(
    pathway: Pathway,
    result: CostResult,
    template: str | Path | None = ...,
    *,
    format: Literal["docx"],
    header: SpecHeader | Mapping[str, Any] | str | Path | None = ...,
    timeout: float | None = ...,
    max_chars: int | None = ...,
) -> bytes: ...


@overload
def render_spec(
    pathway: Pathway,
    result: CostResult,
    template: str | Path | None = ...,
    format: str = ...,
    header: SpecHeader | Mapping[str, Any] | str | Path | None = ...,
    *,
    timeout: float | None = ...,
    max_chars: int | None = ...,
) -> str | bytes: ...


def render_spec(
    pathway: Pathway,
    result: CostResult,
    template: str | Path | None = None,
    format: str = "md",
    header: SpecHeader | Mapping[str, Any] | str | Path | None = None,
    *,
    timeout: float | None = TEMPLATE_TIMEOUT,
    max_chars: int | None = TEMPLATE_MAX_CHARS,
) -> str | bytes:
    """The service specification for ``pathway``, costed in ``result``.

    ``template`` is a shipped template's name (default ``nhs-service-specification``)
    or a template file; ``format`` is ``md`` or ``html`` (text) or ``docx`` (the bytes
    of a Word file, which needs the ``docx`` extra). ``header`` is a
    :class:`SpecHeader`, a mapping of its keys, or a header YAML file.

    A template that runs for more than ``timeout`` seconds (default 30) or writes more
    than ``max_chars`` characters (default 10,000,000) is stopped with a
    :class:`TemplateError` at its line; ``None`` lifts a limit.
    """
    if format not in FORMATS:
        raise ValueError(f"format {format!r} is not one of {', '.join(FORMATS)}")
    found = _find(template)
    if found.html and format != "html":
        raise _problem(
            str(found.path), None,
            f"an HTML template gives HTML only, not {format}; use --format html, or a "
            "Markdown template (.md.j2), which gives md, html and docx",
        )
    head = _header(header)
    context = spec_context(
        pathway, result, head, markdown=not found.html, template=found.path.name
    )
    text, is_html = render_template(
        found.path, context, timeout=timeout, max_chars=max_chars
    )
    title = f"Service specification: {head.service or pathway.name}"
    if is_html or format == "md":
        return text
    from careprofiles.outputs.documents import markdown_to_docx, markdown_to_html

    if format == "html":
        return markdown_to_html(text, title=title)
    return markdown_to_docx(text, title=title)
