"""Results as data (``careprofiles.outputs.tables``): JSON text."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
from hypothesis import given, settings, strategies as st

from careprofiles.outputs.tables import to_json


def _json_normal(data: Any) -> Any:
    """What json.dumps then json.loads gives, with NaN and infinities as null."""
    if isinstance(data, float) and not math.isfinite(data):
        return None
    if isinstance(data, dict):
        return {
            json.loads(json.dumps({k: 0})).popitem()[0]: _json_normal(v) for k, v in data.items()
        }
    if isinstance(data, list | tuple):
        return [_json_normal(v) for v in data]
    return data


_SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8)
_KEYS = st.text(max_size=6) | st.integers() | st.booleans() | st.none()
_JSONISH = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(_KEYS, inner, max_size=4)
        | st.tuples(inner, inner)
    ),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None)
@given(_JSONISH)
def test_to_json_reads_back_as_json_dumps_would(data: Any) -> None:
    assert json.loads(to_json(data)) == _json_normal(data)


def test_to_json_writes_flat_records_one_a_line_and_the_rest_indented() -> None:
    data = {
        "name": "p",
        "figures": {"a": 1.5, "b": None},
        "lines": [{"code": "gp", "cost": 1.0}, {"code": "nurse", "cost": math.nan}],
        "nested": [{"x": [1, 2]}],
        "empty": [],
        "numbers": np.float64(2.5),
    }
    assert to_json(data).splitlines() == [
        "{",
        '  "name": "p",',
        '  "figures": {',
        '    "a": 1.5,',
        '    "b": null',
        "  },",
        '  "lines": [',
        '    {"code": "gp", "cost": 1.0},',
        '    {"code": "nurse", "cost": null}',
        "  ],",
        '  "nested": [',
        "    {",
        '      "x": [',
        "        1,",
        "        2",
        "      ]",
        "    }",
        "  ],",
        '  "empty": [],',
        '  "numbers": 2.5',
        "}",
    ]
