"""The shared formatters of careprofiles.outputs.tables: money, plain-text and Markdown tables."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from careprofiles.outputs.tables import _markdown_table, format_money, text_table, to_json


def test_format_money_whole_pounds_pence_negative_and_missing() -> None:
    assert format_money(1234.4) == "£1,234"
    assert format_money(1234.567, pence=True) == "£1,234.57"
    assert format_money(-12) == "-£12"
    assert format_money(np.float64(2.5), pence=True) == "£2.50"
    assert format_money(None) == "-"
    assert format_money(math.nan, pence=True) == "-"


def test_text_table_aligns_figures_right_by_default() -> None:
    table = text_table([["a", "£1,234", "x"], ["bbb", "-", "y"]], ["name", "cost", "note"])
    assert table.splitlines() == [
        "name    cost  note",
        "----  ------  ----",
        "a     £1,234  x",
        "bbb        -  y",
    ]


def test_text_table_takes_the_alignment_given() -> None:
    table = text_table([["1 (baseline)", 3], ["2", 15]], ["#", "met"], "lr")
    assert table == "#             met\n------------  ---\n1 (baseline)    3\n2              15"
    assert text_table([], ["only", "headers"]) == "only  headers\n----  -------"


def test_markdown_table_escapes_every_cell_and_aligns() -> None:
    rows = [["a|b", "£1,234", "*bold*"], ["c_", "-", "x"]]
    assert _markdown_table(rows, ["name", "cost", "note"]).splitlines() == [
        "| name | cost | note |",
        "| --- | --: | --- |",
        "| a\\|b | £1,234 | \\*bold\\* |",
        "| c\\_ | \\- | x |",
    ]
    assert _markdown_table(rows, ["a|", "b", "c"], "rll").splitlines()[:2] == [
        "| a\\| | b | c |",
        "| --: | --- | --- |",
    ]
    assert _markdown_table([], ["x", "y"]) == "| x | y |\n| --- | --- |"


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
