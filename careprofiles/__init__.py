"""careprofiles: specify and cost end-of-life care from YAML care profiles and tariffs."""

from careprofiles.errors import (
    ActivityError,
    CareProfilesError,
    MissingCodeError,
    MissingDependencyError,
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
    Stage,
    StaffLine,
)

__version__ = "0.1.0"

__all__ = [
    "ActivityError",
    "CareProfilesError",
    "Cohort",
    "Contacts",
    "Item",
    "MissingCodeError",
    "MissingDependencyError",
    "Outcome",
    "OutputExistsError",
    "Pathway",
    "Problem",
    "ProfileError",
    "ScenarioError",
    "Service",
    "Stage",
    "StaffLine",
    "StandardsError",
    "TariffError",
    "TemplateError",
    "ValidationError",
    "__version__",
    "load_pathway",
    "load_stage",
]
