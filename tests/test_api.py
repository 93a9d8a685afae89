"""The public namespace: a sorted ``__all__`` that holds the foundation, and a quiet import."""

from __future__ import annotations

from pathlib import Path

from conftest import run_python

import careprofiles

FOUNDATION = {
    # errors
    "CareProfilesError",
    "ValidationError",
    "ProfileError",
    "TariffError",
    "MissingCodeError",
    "MissingDependencyError",
    "OutputError",
    "OutputExistsError",
    "Problem",
    "LayeringWarning",
    # the format
    "Pathway",
    "Stage",
    "Service",
    "Contacts",
    "StaffLine",
    "Item",
    "Outcome",
    "Cohort",
    "Distribution",
    "load_pathway",
    "load_stage",
    "json_schema",
    # tariffs and costing
    "Tariff",
    "TariffRow",
    "TariffLayer",
    "TariffOverride",
    "PriceIndex",
    "load_tariff",
    "load_price_index",
    "cost",
    "compile_model",
    "estimate_lines",
    "grade_counts",
    "CostResult",
    "CostModel",
    "AppliedScenario",
    "scenario_of",
    "__version__",
    # activity records, audit and benchmarking
    "ActivityError",
    "ActivityCodeError",
    "read_activity",
    "read_outcomes",
    "check_activity",
    "check_outcomes",
    "cost_activity",
    "audit",
    "benchmark_areas",
    "funnel_plot",
    "funnel_plots",
    # charts of costs, comparisons and uncertainty
    "cost_plot",
    "compare_plot",
    "distribution_plot",
    "tornado_plot",
}


def test_all_is_sorted_and_unique() -> None:
    assert careprofiles.__all__ == sorted(careprofiles.__all__)
    assert len(set(careprofiles.__all__)) == len(careprofiles.__all__)


def test_all_holds_the_foundation() -> None:
    assert set(careprofiles.__all__) >= FOUNDATION, sorted(FOUNDATION - set(careprofiles.__all__))


def _submodules() -> set[str]:
    return {p.stem for p in Path(careprofiles.__file__).parent.glob("*.py")}


def test_every_name_resolves_to_the_package() -> None:
    for name in careprofiles.__all__:
        if name in _submodules():
            continue  # see test_names_are_not_shadowed_by_modules
        value = getattr(careprofiles, name)
        if name == "__version__":
            assert isinstance(value, str)
            continue
        assert value.__module__.startswith("careprofiles."), name
    assert sorted(dir(careprofiles)) == sorted(careprofiles.__all__)


def test_names_are_not_shadowed_by_modules() -> None:
    shadowed = sorted(set(careprofiles.__all__) & _submodules())
    assert shadowed == []


def test_the_names_are_the_modules_own() -> None:
    from careprofiles import errors
    from careprofiles.costing import result as costing
    from careprofiles.profiles import load, models
    from careprofiles.tariffs import tables as tariff

    assert careprofiles.cost is costing.cost
    assert careprofiles.load_tariff is tariff.load_tariff
    assert careprofiles.load_pathway is load.load_pathway
    assert careprofiles.Pathway is models.Pathway
    assert careprofiles.ProfileError is errors.ProfileError

    from careprofiles.activity import checks, findings
    from careprofiles.outputs import audit_charts as audit_plots

    assert careprofiles.ActivityCodeError is findings.ActivityCodeError
    assert careprofiles.check_activity is checks.check_activity
    assert careprofiles.check_outcomes is checks.check_outcomes
    assert careprofiles.funnel_plot is audit_plots.funnel_plot

    import careprofiles.outputs.charts as plots

    for name in ("cost_plot", "compare_plot", "distribution_plot", "tornado_plot"):
        assert getattr(careprofiles, name) is getattr(plots, name)


def test_error_tree() -> None:
    from careprofiles import errors

    assert issubclass(errors.ProfileError, errors.ValidationError)
    assert issubclass(errors.ValidationError, ValueError)
    assert issubclass(errors.MissingCodeError, errors.TariffError)
    assert issubclass(errors.MissingCodeError, LookupError)
    assert issubclass(errors.OutputExistsError, FileExistsError)
    assert issubclass(errors.MissingDependencyError, ImportError)
    for name in errors.__all__:
        cls = getattr(errors, name)
        if isinstance(cls, type) and issubclass(cls, Exception):
            assert issubclass(cls, errors.CareProfilesError), name


def test_import_is_quiet_and_light(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "before = set(sys.modules)\n"
        "import careprofiles\n"
        "heavy = {'pandas', 'numpy', 'scipy', 'pydantic', 'yaml', 'matplotlib', 'jinja2'}\n"
        "print(sorted(heavy & set(sys.modules)))\n"
    )
    assert _run_python(code, tmp_path).strip() == "[]"
    assert list(tmp_path.iterdir()) == []  # nothing written


def _run_python(code: str, cwd: Path) -> str:
    """Run ``code`` in a fresh interpreter (warnings are errors); its standard output."""
    done = run_python("-W", "error", "-c", code, cwd=cwd)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    return done.stdout


def test_funnel_plot_imports_matplotlib_only_to_draw(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "import careprofiles as cp\n"
        "cp.funnel_plot, cp.check_activity, cp.check_outcomes, cp.ActivityCodeError\n"
        "print('matplotlib' in sys.modules)\n"
    )
    assert _run_python(code, tmp_path).strip() == "False"


def test_every_name_resolves_without_matplotlib(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "sys.modules['matplotlib'] = None  # as if the 'plot' extra were not installed\n"
        "import careprofiles as cp\n"
        "for name in cp.__all__:\n"
        "    getattr(cp, name)\n"
        "try:\n"
        "    cp.funnel_plot(None)\n"
        "except cp.MissingDependencyError as exc:\n"
        "    print(exc)\n"
    )
    out = _run_python(code, tmp_path)
    assert "needs the optional package 'matplotlib'" in out
    assert "pip install 'careprofiles[plot]'" in out


PUBLIC = [
    "ActivityCodeError",
    "ActivityError",
    "AppliedScenario",
    "Assessment",
    "AuditResult",
    "BenchmarkResult",
    "CareProfilesError",
    "Cohort",
    "Comparison",
    "Contacts",
    "ContractBudget",
    "CostModel",
    "CostResult",
    "Criterion",
    "CriterionAssessment",
    "Distribution",
    "Framework",
    "Item",
    "LayeringWarning",
    "MissingCodeError",
    "MissingDependencyError",
    "Names",
    "Outcome",
    "OutputError",
    "OutputExistsError",
    "Pathway",
    "PracticeAssessments",
    "PriceIndex",
    "Problem",
    "ProfileError",
    "Programme",
    "ProgrammeCost",
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
    "StandardsOutcomes",
    "StandardsResult",
    "Tariff",
    "TariffError",
    "TariffLayer",
    "TariffOverride",
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
    "check_spec",
    "compare",
    "compare_plot",
    "compile_model",
    "contract_budget",
    "contract_years",
    "cost",
    "cost_activity",
    "cost_plot",
    "cost_programme",
    "distribution_plot",
    "estimate_lines",
    "funnel_plot",
    "funnel_plots",
    "grade_counts",
    "init_pathway",
    "json_schema",
    "load_assessments",
    "load_framework",
    "load_header",
    "load_pathway",
    "load_price_index",
    "load_programme",
    "load_scenarios",
    "load_stage",
    "load_tariff",
    "load_tariff_uncertainty",
    "markdown_to_docx",
    "markdown_to_html",
    "names_for",
    "read_activity",
    "read_outcomes",
    "read_populations",
    "render_spec",
    "render_standards",
    "scenario_of",
    "sensitivity",
    "simulate",
    "spec_context",
    "standards_outcomes",
    "tornado_plot",
]
"""The exact public namespace (as httpx pins its own): a name added or removed is a
decision, made here and in careprofiles/__init__.pyi together."""


def test_all_is_exactly_the_public_names() -> None:
    assert careprofiles.__all__ == PUBLIC
