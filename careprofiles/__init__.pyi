"""The public API of careprofiles: this stub is its one list.

Every name imported here is a public name: ``careprofiles/__init__.py`` reads this file
(with ``lazy_loader.attach_stub``) to build ``__all__`` and to import each name on first
use, and type checkers read it as the package's interface. To add a public name, import it
here (relative imports only) and add it to ``tests/test_api.py``'s pinned list.
"""

__version__: str

from .activity.audit import (
    AuditResult as AuditResult,
    audit as audit,
)
from .activity.benchmark import (
    BenchmarkResult as BenchmarkResult,
    benchmark_areas as benchmark_areas,
    read_populations as read_populations,
)
from .activity.checks import (
    check_activity as check_activity,
    check_outcomes as check_outcomes,
)
from .activity.costing import (
    cost_activity as cost_activity,
)
from .activity.findings import (
    ActivityCodeError as ActivityCodeError,
)
from .activity.records import (
    read_activity as read_activity,
    read_outcomes as read_outcomes,
)
from .costing.budget import (
    ContractBudget as ContractBudget,
    contract_budget as contract_budget,
    contract_years as contract_years,
)
from .costing.compare import (
    Comparison as Comparison,
    compare as compare,
)
from .costing.compiler import (
    compile_model as compile_model,
)
from .costing.evidence import (
    estimate_lines as estimate_lines,
    grade_counts as grade_counts,
)
from .costing.model import (
    CostModel as CostModel,
)
from .costing.result import (
    CostResult as CostResult,
    cost as cost,
)
from .costing.scenario_apply import (
    apply_scenario as apply_scenario,
)
from .costing.scenarios import (
    AppliedScenario as AppliedScenario,
    Scenario as Scenario,
    ScenarioSet as ScenarioSet,
    load_scenarios as load_scenarios,
    scenario_of as scenario_of,
)
from .costing.sensitivity import (
    SensitivityResult as SensitivityResult,
    sensitivity as sensitivity,
)
from .costing.simulate import (
    SimulationResult as SimulationResult,
    simulate as simulate,
)
from .costing.tariff_uncertainty import (
    TariffUncertainty as TariffUncertainty,
    load_tariff_uncertainty as load_tariff_uncertainty,
)
from .errors import (
    ActivityError as ActivityError,
    CareProfilesError as CareProfilesError,
    MissingCodeError as MissingCodeError,
    MissingDependencyError as MissingDependencyError,
    OutputError as OutputError,
    OutputExistsError as OutputExistsError,
    Problem as Problem,
    ProfileError as ProfileError,
    ScenarioError as ScenarioError,
    StandardsError as StandardsError,
    TariffError as TariffError,
    TemplateError as TemplateError,
    ValidationError as ValidationError,
)
from .outputs.audit_charts import (
    funnel_plot as funnel_plot,
    funnel_plots as funnel_plots,
)
from .outputs.charts import (
    compare_plot as compare_plot,
    cost_plot as cost_plot,
    distribution_plot as distribution_plot,
    tornado_plot as tornado_plot,
)
from .outputs.documents import (
    markdown_to_docx as markdown_to_docx,
    markdown_to_html as markdown_to_html,
)
from .outputs.names import (
    Names as Names,
    names_for as names_for,
)
from .outputs.standards import (
    render_standards as render_standards,
)
from .outputs.standards_outcomes import (
    StandardsOutcomes as StandardsOutcomes,
    standards_outcomes as standards_outcomes,
)
from .outputs.starter import (
    init_pathway as init_pathway,
)
from .profiles.distributions import (
    Distribution as Distribution,
)
from .profiles.load import (
    load_pathway as load_pathway,
    load_stage as load_stage,
)
from .profiles.models import (
    Cohort as Cohort,
    Contacts as Contacts,
    Item as Item,
    Outcome as Outcome,
    Pathway as Pathway,
    Service as Service,
    StaffLine as StaffLine,
    Stage as Stage,
)
from .profiles.schema import (
    json_schema as json_schema,
)
from .specification.check import (
    check_spec as check_spec,
)
from .specification.context import (
    spec_context as spec_context,
)
from .specification.header import (
    SpecHeader as SpecHeader,
    load_header as load_header,
)
from .specification.render import (
    render_spec as render_spec,
)
from .standards.assessments import (
    load_assessments as load_assessments,
)
from .standards.framework import (
    load_framework as load_framework,
)
from .standards.models import (
    Assessment as Assessment,
    Criterion as Criterion,
    CriterionAssessment as CriterionAssessment,
    Framework as Framework,
    PracticeAssessments as PracticeAssessments,
    Standard as Standard,
)
from .standards.programme import (
    Programme as Programme,
    ProgrammeCost as ProgrammeCost,
    cost_programme as cost_programme,
    load_programme as load_programme,
)
from .standards.result import (
    StandardsResult as StandardsResult,
    assess_standards as assess_standards,
)
from .tariffs.layers import (
    LayeringWarning as LayeringWarning,
    TariffLayer as TariffLayer,
    TariffOverride as TariffOverride,
)
from .tariffs.tables import (
    PriceIndex as PriceIndex,
    Tariff as Tariff,
    TariffRow as TariffRow,
    load_price_index as load_price_index,
    load_tariff as load_tariff,
)
