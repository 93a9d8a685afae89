"""What the tests of practice standards share: where their data are, and small helpers.

Imported by name (``from standards_testing import ...``) by the test modules beside it;
not a ``conftest.py``, because other tests import the root ``conftest`` by name.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from careprofiles.standards.assessments import load_assessments
from careprofiles.standards.models import Framework
from careprofiles.standards.result import StandardsResult, assess_standards

ROOT = Path(__file__).resolve().parents[2]
"""The repository's root folder."""

DATA = ROOT / "tests" / "data" / "standards"
"""The test frameworks and assessment files."""

EXAMPLES = ROOT / "examples" / "standards"
"""The example assessments (three practices at different stages)."""

MINI = DATA / "framework.yaml"
"""A small framework: two standards, three criteria, two of them required."""


def rel_name(name: str) -> str:
    """A test data file's name as problems print it (from the repository's root)."""
    return f"tests/data/standards/{name}"


def assessed(fw: Framework, *names: str) -> StandardsResult:
    """The test data files ``names``, loaded and assessed against ``fw``."""
    return assess_standards(load_assessments(*(DATA / n for n in names), framework=fw), fw)


def one_row(frame: pd.DataFrame, **where: Any) -> dict[str, Any]:
    """The one row of ``frame`` whose columns have the values given."""
    mask = pd.Series(True, index=frame.index)
    for key, value in where.items():
        mask &= frame[key] == value
    rows = frame[mask]
    assert len(rows) == 1, f"{len(rows)} rows match {where}"
    return {str(k): v for k, v in rows.iloc[0].items()}
