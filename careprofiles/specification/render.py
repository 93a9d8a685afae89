"""Commissioning specifications from Jinja templates, as Markdown, HTML or Word.

:func:`render_spec` turns a pathway and its :class:`~careprofiles.costing.result.CostResult`
into the service specification a commissioner puts in a contract (NHS Standard
Contract, Schedule 2 Part A). Every figure in the document is taken from the cost
result, already formatted, so the specification and the budget cannot disagree.

The steps, one module each: :mod:`~careprofiles.specification.header` (the header
block), :mod:`~careprofiles.specification.context` (what a template sees, built with
:mod:`~careprofiles.specification.wording`), :mod:`~careprofiles.specification.sandbox`
(rendering in Jinja's sandbox, with limits); this module finds the template and
chooses the output format. Problems are reported as
:class:`~careprofiles.errors.TemplateError` lines ``template-file:line: what is wrong``.

A Markdown template (``*.md.j2``) gives all three formats: Markdown directly, HTML and
Word through :mod:`careprofiles.outputs.documents`. Free text from the profiles is escaped for
Markdown in its context, so a ``|`` or ``*`` in a service's name shows as written. An
HTML template (``*.html.j2``) is autoescaped and gives HTML only.

Imports: errors, outputs.documents, and the specification's other modules; profiles.inputs
(is a template path a file?), and profiles and costing for types only.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import KW_ONLY, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, overload

from careprofiles.errors import Problem, TemplateError
from careprofiles.profiles.inputs import input_name, refusal
from careprofiles.specification.context import spec_context
from careprofiles.specification.header import SpecHeader, as_header
from careprofiles.specification.loader import TEMPLATE_DIR
from careprofiles.specification.sandbox import (
    TEMPLATE_MAX_CHARS,
    TEMPLATE_TIMEOUT,
    run_template,
    template_problem,
)

if TYPE_CHECKING:
    from careprofiles.activity.audit import AuditResult
    from careprofiles.costing.result import CostResult
    from careprofiles.costing.simulate import SimulationResult
    from careprofiles.profiles.models import Pathway
    from careprofiles.specification.markers import MarkerLog
    from careprofiles.standards.models import Framework

__all__ = [
    "DEFAULT_TEMPLATE",
    "FORMATS",
    "TEMPLATE_DIR",
    "SpecInputs",
    "TemplateFile",
    "find_template",
    "list_templates",
    "render_spec",
    "render_template",
]

FORMATS = ("md", "html", "docx")
"""Formats :func:`render_spec` writes."""
DEFAULT_TEMPLATE = "nhs-service-specification"
"""The template used when none is named: NHS Standard Contract, Schedule 2 Part A."""


# ---------------------------------------------------------------- templates


@dataclass(frozen=True)
class TemplateFile:
    """A template found by :func:`find_template`."""

    path: Path
    """The template file (resolved)."""
    html: bool
    """Whether it is an HTML template (``.html.j2``), which gives HTML only."""


def list_templates() -> list[str]:
    """The names of the shipped specification templates."""
    return sorted(
        p.name.split(".")[0] for p in TEMPLATE_DIR.glob("*.j2") if not p.name.startswith("_")
    )


def _is_html(name: str) -> bool:
    lower = name.lower()
    return lower.endswith((".html", ".htm", ".html.j2", ".htm.j2"))


def find_template(template: str | Path | None) -> TemplateFile:
    """The template ``template`` names: a shipped template's name (``None``: the default)
    or a template file's path. Raises :class:`TemplateError` naming the shipped templates
    (and the closest name) for an unknown name, and for a path that is not a file."""
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
                return TemplateFile(shipped, _is_html(shipped.name))
        names = list_templates()
        close = [n for n in names if n.startswith(as_text)] or difflib.get_close_matches(
            as_text, names, n=1
        )
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise TemplateError(
            [
                Problem(
                    None,
                    None,
                    "--template",
                    f"no shipped template {as_text!r}; {hint}"
                    f"shipped templates: {', '.join(list_templates())}; or give a "
                    "template file's path",
                )
            ]
        )
    path = Path(template)
    refused = refusal(path)
    if refused is not None:
        what = "no such file" if refused.kind == "missing" else refused.text
        raise TemplateError(
            [
                Problem(
                    input_name(path),
                    None,
                    "",
                    f"{what}; give the path of a template file "
                    "(.md.j2 for Markdown, Word and HTML, or .html.j2 for HTML)",
                    refused.code,
                )
            ]
        )
    return TemplateFile(path.resolve(), _is_html(path.name))


# ---------------------------------------------------------------- rendering


def render_template(
    template: str | Path | None,
    context: Mapping[str, Any],
    *,
    timeout: float | None = TEMPLATE_TIMEOUT,
    max_chars: int | None = TEMPLATE_MAX_CHARS,
    markers: MarkerLog | None = None,
) -> tuple[str, bool]:
    """Render a template with ``context`` in the sandbox; returns the text and whether it is HTML.

    ``template`` is as for :func:`find_template`; templates it includes or extends are
    looked for beside it, then among the shipped templates. Raises :class:`TemplateError`
    (``template-file:line: what is wrong``) for a syntax error, an undefined name, a
    missing included template, an unsafe attribute (Python internals) or any other error
    the template makes, and when the template runs for more than ``timeout`` seconds or
    writes more than ``max_chars`` characters (``None``: no limit). Raises ``ValueError``
    for a limit that is not above 0. Markdown is tidied: no trailing spaces, no more
    than one blank line in a row, one line break at the end. With ``markers``, each
    ``[to be agreed: ...]`` written is recorded there with its template file and line.
    """
    found = find_template(template)
    search = [found.path.parent]
    if found.path.parent != TEMPLATE_DIR:
        search.append(TEMPLATE_DIR)
    text = run_template(
        found.path, search, context, timeout=timeout, max_chars=max_chars, markers=markers
    )
    if not found.html:
        text = re.sub(r"[ \t]+\n", "\n", text)
        text = re.sub(r"\n{3,}", "\n\n", text).strip("\n") + "\n"
    return text, found.html


@dataclass(frozen=True)
class SpecInputs:
    """What a specification is rendered from: the arguments of :func:`render_spec` (but
    ``markers``), in one record, so that
    :func:`~careprofiles.specification.check.check_spec` renders from the same ones
    (a test checks that the two functions and this record take the same arguments)."""

    pathway: Pathway
    result: CostResult
    template: str | Path | None = None
    format: str = "md"
    header: SpecHeader | Mapping[str, Any] | str | Path | None = None
    _: KW_ONLY
    timeout: float | None = TEMPLATE_TIMEOUT
    max_chars: int | None = TEMPLATE_MAX_CHARS
    simulation: SimulationResult | None = None
    audit: AuditResult | None = None
    framework: Framework | str | Path | None = None

    def render(self, markers: MarkerLog | None = None) -> str | bytes:
        """The specification, as :func:`render_spec` gives it; with ``markers``, every
        ``[to be agreed: ...]`` written is recorded there."""
        if self.format not in FORMATS:
            raise ValueError(f"format {self.format!r} is not one of {', '.join(FORMATS)}")
        found = find_template(self.template)
        if found.html and self.format != "html":
            raise template_problem(
                str(found.path),
                None,
                f"an HTML template gives HTML only, not {self.format}; use --format html, "
                "or a Markdown template (.md.j2), which gives md, html and docx",
            )
        head = as_header(self.header)
        context = spec_context(
            self.pathway,
            self.result,
            head,
            markdown=not found.html,
            template=found.path.name,
            simulation=self.simulation,
            audit=self.audit,
            framework=self.framework,
        )
        text, is_html = render_template(
            found.path, context, timeout=self.timeout, max_chars=self.max_chars, markers=markers
        )
        title = f"Service specification: {head.service or self.pathway.name}"
        if is_html or self.format == "md":
            return text
        from careprofiles.outputs.documents import markdown_to_docx, markdown_to_html

        if self.format == "html":
            return markdown_to_html(text, title=title)
        return markdown_to_docx(text, title=title)


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
    simulation: SimulationResult | None = ...,
    audit: AuditResult | None = ...,
    framework: Framework | str | Path | None = ...,
    markers: MarkerLog | None = ...,
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
    simulation: SimulationResult | None = ...,
    audit: AuditResult | None = ...,
    framework: Framework | str | Path | None = ...,
    markers: MarkerLog | None = ...,
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
    simulation: SimulationResult | None = ...,
    audit: AuditResult | None = ...,
    framework: Framework | str | Path | None = ...,
    markers: MarkerLog | None = ...,
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
    simulation: SimulationResult | None = ...,
    audit: AuditResult | None = ...,
    framework: Framework | str | Path | None = ...,
    markers: MarkerLog | None = ...,
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
    simulation: SimulationResult | None = None,
    audit: AuditResult | None = None,
    framework: Framework | str | Path | None = None,
    markers: MarkerLog | None = None,
) -> str | bytes:
    """The service specification for ``pathway``, costed in ``result``.

    ``template`` is a shipped template's name (default ``nhs-service-specification``)
    or a template file; ``format`` is ``md`` or ``html`` (text) or ``docx`` (the bytes
    of a Word file, which needs the ``docx`` extra). ``header`` is a
    :class:`SpecHeader`, a mapping of its keys, or a header YAML file.

    A template that runs for more than ``timeout`` seconds (default 30) or writes more
    than ``max_chars`` characters (default 10,000,000) is stopped with a
    :class:`TemplateError` at its line; ``None`` lifts a limit.

    ``simulation``, ``audit`` and ``framework`` are as for
    :func:`~careprofiles.specification.context.spec_context` (the budget's interval, the
    KPIs' baselines, the accreditation requirement). With ``markers``, every
    ``[to be agreed: ...]`` written is recorded there with its template file and line
    (what :func:`~careprofiles.specification.check.check_spec` lists).
    """
    inputs = SpecInputs(
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
    )
    return inputs.render(markers)
