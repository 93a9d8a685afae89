"""careprofiles: specify and cost end-of-life care from YAML care profiles and tariffs.

The public API is this one namespace::

    import careprofiles as cp

    pathway = cp.load_pathway()            # the bundled adult end-of-life pathway
    tariff = cp.load_tariff()              # the bundled 2024/25 tariff
    result = cp.cost(pathway, tariff)      # per patient, per stage, per role, population
    result.by_stage(); result.by_role()    # DataFrames for a notebook

Names are imported on first use, so ``import careprofiles`` is quick and has no side
effects; the implementation modules are private in spirit.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    # errors
    "ActivityError": "errors",
    "CareProfilesError": "errors",
    "MissingCodeError": "errors",
    "MissingDependencyError": "errors",
    "OutputError": "errors",
    "OutputExistsError": "errors",
    "Problem": "errors",
    "ProfileError": "errors",
    "ScenarioError": "errors",
    "StandardsError": "errors",
    "TariffError": "errors",
    "TemplateError": "errors",
    "ValidationError": "errors",
    # models and loading
    "Cohort": "models",
    "Contacts": "models",
    "Item": "models",
    "Outcome": "models",
    "Pathway": "models",
    "Service": "models",
    "Stage": "models",
    "StaffLine": "models",
    "Distribution": "distributions",
    "load_pathway": "load",
    "load_stage": "load",
    "json_schema": "schema",
    # tariffs and costing
    "PriceIndex": "tariff",
    "Tariff": "tariff",
    "TariffRow": "tariff",
    "load_price_index": "tariff",
    "load_tariff": "tariff",
    "CostModel": "costing",
    "CostResult": "costing",
    "compile_model": "costing",
    "cost": "costing",
    # scenarios and uncertainty
    "Comparison": "scenarios",
    "Scenario": "scenarios",
    "ScenarioSet": "scenarios",
    "apply_scenario": "scenarios",
    "compare": "scenarios",
    "load_scenarios": "scenarios",
    "SensitivityResult": "uncertainty",
    "SimulationResult": "uncertainty",
    "TariffUncertainty": "uncertainty",
    "load_tariff_uncertainty": "uncertainty",
    "sensitivity": "uncertainty",
    "simulate": "uncertainty",
    # specifications
    "SpecHeader": "render",
    "load_header": "render",
    "render_spec": "render",
    "spec_context": "render",
    "markdown_to_docx": "documents",
    "markdown_to_html": "documents",
    # charts (matplotlib is imported when a chart is drawn)
    "compare_plot": "plots",
    "cost_plot": "plots",
    "distribution_plot": "plots",
    "tornado_plot": "plots",
    # standards
    "Assessment": "standards",
    "Criterion": "standards",
    "CriterionAssessment": "standards",
    "Framework": "standards",
    "PracticeAssessments": "standards",
    "Standard": "standards",
    "StandardsResult": "standards",
    "assess_standards": "standards",
    "load_assessments": "standards",
    "load_framework": "standards",
    "render_standards": "standards_report",
    # activity, audit and benchmarking
    "AuditResult": "auditing",
    "BenchmarkResult": "auditing",
    "audit": "auditing",
    "benchmark_areas": "auditing",
    "read_populations": "auditing",
    "ActivityCodeError": "activity",
    "check_activity": "activity",
    "check_outcomes": "activity",
    "cost_activity": "activity",
    "read_activity": "activity",
    "read_outcomes": "activity",
    "funnel_plot": "audit_plots",  # matplotlib is imported when a plot is drawn
}

__all__ = [
    "ActivityCodeError",
    "ActivityError",
    "Assessment",
    "AuditResult",
    "BenchmarkResult",
    "CareProfilesError",
    "Cohort",
    "Comparison",
    "Contacts",
    "CostModel",
    "CostResult",
    "Criterion",
    "CriterionAssessment",
    "Distribution",
    "Framework",
    "Item",
    "MissingCodeError",
    "MissingDependencyError",
    "Outcome",
    "OutputError",
    "OutputExistsError",
    "Pathway",
    "PracticeAssessments",
    "PriceIndex",
    "Problem",
    "ProfileError",
    "Scenario",
    "ScenarioError",
    "ScenarioSet",
    "SensitivityResult",
    "Service",
    "SimulationResult",
    "SpecHeader",
    "StaffLine",
    "Stage",
    "Standard",
    "StandardsError",
    "StandardsResult",
    "Tariff",
    "TariffError",
    "TariffRow",
    "TariffUncertainty",
    "TemplateError",
    "ValidationError",
    "__version__",
    "apply_scenario",
    "assess_standards",
    "audit",
    "benchmark_areas",
    "check_activity",
    "check_outcomes",
    "compare",
    "compare_plot",
    "compile_model",
    "cost",
    "cost_activity",
    "cost_plot",
    "distribution_plot",
    "funnel_plot",
    "json_schema",
    "load_assessments",
    "load_framework",
    "load_header",
    "load_pathway",
    "load_price_index",
    "load_scenarios",
    "load_stage",
    "load_tariff",
    "load_tariff_uncertainty",
    "markdown_to_docx",
    "markdown_to_html",
    "read_activity",
    "read_outcomes",
    "read_populations",
    "render_spec",
    "render_standards",
    "sensitivity",
    "simulate",
    "spec_context",
    "tornado_plot",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'careprofiles' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"careprofiles.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs
    from careprofiles.activity import (
        ActivityCodeError,
        check_activity,
        check_outcomes,
        cost_activity,
        read_activity,
        read_outcomes,
    )
    from careprofiles.audit_plots import funnel_plot
    from careprofiles.auditing import (
        AuditResult,
        BenchmarkResult,
        audit,
        benchmark_areas,
        read_populations,
    )
    from careprofiles.costing import CostModel, CostResult, compile_model, cost
    from careprofiles.distributions import Distribution
    from careprofiles.documents import markdown_to_docx, markdown_to_html
    from careprofiles.errors import (
        ActivityError,
        CareProfilesError,
        MissingCodeError,
        MissingDependencyError,
        OutputError,
        OutputExistsError,
        Problem,
        ProfileError,
        ScenarioError,
        StandardsError,
        TariffError,
        TemplateError,
        ValidationError,
    )
    from careprofiles.load import load_pathway, load_stage
    from careprofiles.models import (
        Cohort,
        Contacts,
        Item,
        Outcome,
        Pathway,
        Service,
        StaffLine,
        Stage,
    )
    from careprofiles.plots import compare_plot, cost_plot, distribution_plot, tornado_plot
    from careprofiles.render import SpecHeader, load_header, render_spec, spec_context
    from careprofiles.scenarios import (
        Comparison,
        Scenario,
        ScenarioSet,
        apply_scenario,
        compare,
        load_scenarios,
    )
    from careprofiles.schema import json_schema
    from careprofiles.standards import (
        Assessment,
        Criterion,
        CriterionAssessment,
        Framework,
        PracticeAssessments,
        Standard,
        StandardsResult,
        assess_standards,
        load_assessments,
        load_framework,
    )
    from careprofiles.standards_report import render_standards
    from careprofiles.tariff import PriceIndex, Tariff, TariffRow, load_price_index, load_tariff
    from careprofiles.uncertainty import (
        SensitivityResult,
        SimulationResult,
        TariffUncertainty,
        load_tariff_uncertainty,
        sensitivity,
        simulate,
    )
