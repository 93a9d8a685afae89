"""The public API of careprofiles: this stub is its one list.

Every name imported here is a public name: ``careprofiles/__init__.py`` reads this file
(with ``lazy_loader.attach_stub``) to build ``__all__`` and to import each name on first
use, and type checkers read it as the package's interface. To add a public name, import it
here (relative imports only) and add it to ``tests/test_api.py``'s pinned list.
"""

__version__: str

from .activity.audit import (
    AuditResult as AuditResult,
)
from .activity.audit import (
    BenchmarkResult as BenchmarkResult,
)
from .activity.audit import (
    audit as audit,
)
from .activity.audit import (
    benchmark_areas as benchmark_areas,
)
from .activity.audit import (
    read_populations as read_populations,
)
from .activity.records import (
    ActivityCodeError as ActivityCodeError,
)
from .activity.records import (
    check_activity as check_activity,
)
from .activity.records import (
    check_outcomes as check_outcomes,
)
from .activity.records import (
    cost_activity as cost_activity,
)
from .activity.records import (
    read_activity as read_activity,
)
from .activity.records import (
    read_outcomes as read_outcomes,
)
from .costing.compare import (
    Comparison as Comparison,
)
from .costing.compare import (
    compare as compare,
)
from .costing.compiler import (
    compile_model as compile_model,
)
from .costing.model import (
    CostModel as CostModel,
)
from .costing.result import (
    CostResult as CostResult,
)
from .costing.result import (
    cost as cost,
)
from .costing.scenario_apply import (
    apply_scenario as apply_scenario,
)
from .costing.scenarios import (
    Scenario as Scenario,
)
from .costing.scenarios import (
    ScenarioSet as ScenarioSet,
)
from .costing.scenarios import (
    load_scenarios as load_scenarios,
)
from .costing.sensitivity import (
    SensitivityResult as SensitivityResult,
)
from .costing.sensitivity import (
    sensitivity as sensitivity,
)
from .costing.simulate import (
    SimulationResult as SimulationResult,
)
from .costing.simulate import (
    simulate as simulate,
)
from .costing.tariff_uncertainty import (
    TariffUncertainty as TariffUncertainty,
)
from .costing.tariff_uncertainty import (
    load_tariff_uncertainty as load_tariff_uncertainty,
)
from .errors import (
    ActivityError as ActivityError,
)
from .errors import (
    CareProfilesError as CareProfilesError,
)
from .errors import (
    MissingCodeError as MissingCodeError,
)
from .errors import (
    MissingDependencyError as MissingDependencyError,
)
from .errors import (
    OutputError as OutputError,
)
from .errors import (
    OutputExistsError as OutputExistsError,
)
from .errors import (
    Problem as Problem,
)
from .errors import (
    ProfileError as ProfileError,
)
from .errors import (
    ScenarioError as ScenarioError,
)
from .errors import (
    StandardsError as StandardsError,
)
from .errors import (
    TariffError as TariffError,
)
from .errors import (
    TemplateError as TemplateError,
)
from .errors import (
    ValidationError as ValidationError,
)
from .outputs.audit_charts import (
    funnel_plot as funnel_plot,
)
from .outputs.charts import (
    compare_plot as compare_plot,
)
from .outputs.charts import (
    cost_plot as cost_plot,
)
from .outputs.charts import (
    distribution_plot as distribution_plot,
)
from .outputs.charts import (
    tornado_plot as tornado_plot,
)
from .outputs.documents import (
    markdown_to_docx as markdown_to_docx,
)
from .outputs.documents import (
    markdown_to_html as markdown_to_html,
)
from .outputs.standards import (
    render_standards as render_standards,
)
from .profiles.distributions import (
    Distribution as Distribution,
)
from .profiles.load import (
    load_pathway as load_pathway,
)
from .profiles.load import (
    load_stage as load_stage,
)
from .profiles.models import (
    Cohort as Cohort,
)
from .profiles.models import (
    Contacts as Contacts,
)
from .profiles.models import (
    Item as Item,
)
from .profiles.models import (
    Outcome as Outcome,
)
from .profiles.models import (
    Pathway as Pathway,
)
from .profiles.models import (
    Service as Service,
)
from .profiles.models import (
    StaffLine as StaffLine,
)
from .profiles.models import (
    Stage as Stage,
)
from .profiles.schema import (
    json_schema as json_schema,
)
from .specification.render import (
    SpecHeader as SpecHeader,
)
from .specification.render import (
    load_header as load_header,
)
from .specification.render import (
    render_spec as render_spec,
)
from .specification.render import (
    spec_context as spec_context,
)
from .standards.framework import (
    Assessment as Assessment,
)
from .standards.framework import (
    Criterion as Criterion,
)
from .standards.framework import (
    CriterionAssessment as CriterionAssessment,
)
from .standards.framework import (
    Framework as Framework,
)
from .standards.framework import (
    PracticeAssessments as PracticeAssessments,
)
from .standards.framework import (
    Standard as Standard,
)
from .standards.framework import (
    StandardsResult as StandardsResult,
)
from .standards.framework import (
    assess_standards as assess_standards,
)
from .standards.framework import (
    load_assessments as load_assessments,
)
from .standards.framework import (
    load_framework as load_framework,
)
from .tariffs.tables import (
    PriceIndex as PriceIndex,
)
from .tariffs.tables import (
    Tariff as Tariff,
)
from .tariffs.tables import (
    TariffRow as TariffRow,
)
from .tariffs.tables import (
    load_price_index as load_price_index,
)
from .tariffs.tables import (
    load_tariff as load_tariff,
)
