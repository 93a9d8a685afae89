"""The cost summary's rows without pandas (``costing/summary.py``): every figure the same,
to the last bit, as the DataFrames of ``CostResult.by_stage()``, ``by_role()``,
``by_setting()`` and ``by_funder()``; the group sums added as pandas adds them."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from costing_cases import (
    WIDE_PRICES,
    costs,
    pathway_of,
    pathways,
    property_settings,
    tariff_of,
    wide_pathway,
)
from hypothesis import given

from careprofiles.costing import summary
from careprofiles.costing.result import CostResult, cost
from careprofiles.costing.scenario_apply import apply_scenario
from careprofiles.profiles.models import Pathway
from careprofiles.tariffs.tables import Tariff, load_tariff

REPO = Path(__file__).resolve().parents[2]

TABLES: dict[str, tuple[Callable[[CostResult], list[dict[str, Any]]], str]] = {
    "stage": (summary.stage_rows, "by_stage"),
    "role": (summary.role_rows, "by_role"),
    "setting": (summary.setting_rows, "by_setting"),
    "funder": (summary.funder_rows, "by_funder"),
}


def _same(a: Any, b: Any) -> bool:
    """Equal, floats to the last bit (the sign of 0 too; NaN equal to NaN)."""
    if isinstance(a, float | np.floating) or isinstance(b, float | np.floating):
        return bool(
            np.array(a, dtype=np.float64).view(np.uint64)
            == np.array(b, dtype=np.float64).view(np.uint64)
        )
    return bool(a == b)


def assert_rows_match(result: CostResult) -> None:
    for name, (rows_of, method) in TABLES.items():
        frame: pd.DataFrame = getattr(result, method)()
        rows = rows_of(result)
        assert len(rows) == len(frame), name
        for row, record in zip(rows, frame.to_dict(orient="records"), strict=True):
            assert list(row) == list(frame.columns), name
            for column, value in record.items():
                assert _same(row[column], value), (name, column, row[column], value)


def test_the_bundled_pathway(default_cost: CostResult) -> None:
    assert_rows_match(default_cost)


@pytest.mark.parametrize(
    ("scenarios", "scenario", "tariffs"),
    [
        ("profiles/eol/as-is.yaml", "as-is", ()),
        ("profiles/eol/as-is.yaml", "as-is-community", ()),
        ("examples/scenarios/service-models.yaml", "integrated-home-death", ()),
        ("examples/scenarios/service-models.yaml", "homecare-2025-26-price", ()),
        (
            "examples/scenarios/condition-variants.yaml",
            "heart-failure",
            ("examples/scenarios/variant-roles.csv",),
        ),
    ],
)
def test_scenarios_of_the_bundled_pathway(
    default_pathway: Pathway, default_tariff: Tariff, scenarios: str, scenario: str,
    tariffs: tuple[str, ...],
) -> None:
    tariff = (
        load_tariff("bundled", *(str(REPO / t) for t in tariffs)) if tariffs else default_tariff
    )
    pathway, tariff = apply_scenario(default_pathway, tariff, REPO / scenarios, scenario)
    assert_rows_match(cost(pathway, tariff))


def test_a_wide_pathway_and_a_stage_with_no_lines() -> None:
    assert_rows_match(cost(wide_pathway(), tariff_of(WIDE_PRICES)))
    # every line priced at 0: ties everywhere, and shares of a total of 0
    assert_rows_match(cost(wide_pathway(), tariff_of(dict.fromkeys(WIDE_PRICES, 0.0))))


@property_settings
@given(pathways(), costs)
def test_generated_pathways(data: dict[str, Any], prices: dict[str, float]) -> None:
    assert_rows_match(cost(pathway_of(data), tariff_of(prices)))


@pytest.mark.skipif(
    not summary.sums_as_pandas(),
    reason="pandas before 3.1 adds groups otherwise (the rows are read from the DataFrames)",
)
@pytest.mark.parametrize("together", [True, False], ids=["runs", "interleaved"])
def test_group_sums_are_pandas_sums(together: bool) -> None:
    """Each group's lines in one run (a stage's): pandas adds them with reduceat; else
    (or with a NaN) with Kahan's compensated sum. Both checked against pandas, with
    numbers for which the other way gives other bits."""
    rng = np.random.default_rng(17)
    n = 5_000
    keys = sorted(rng.choice(["a", "b", "c", "d", "e"], n).tolist(), key="cabed".index)
    if not together:
        rng.shuffle(keys)
    values = rng.standard_normal(n) * 10.0 ** rng.integers(-8, 12, n)
    other = rng.standard_normal(n)
    frame = pd.DataFrame({"k": pd.Series(keys, dtype="str"), "v": values, "w": other})
    names, codes = summary._groups(keys)
    for column in (values, other):
        column_name = "v" if column is values else "w"
        for expected in (
            frame.groupby("k", sort=False)[column_name].sum(),
            frame.groupby("k", sort=False)[["v", "w"]].sum()[column_name],
        ):
            assert names == list(expected.index)
            got = summary._sums(codes, len(names), column)
            assert all(_same(a, b) for a, b in zip(got, expected.tolist(), strict=True))
    with_nan = np.r_[values[:-1], math.nan]
    expected = frame.assign(v=with_nan).groupby("k", sort=False)["v"].sum()
    got = summary._sums(codes, len(names), with_nan)
    assert all(_same(a, b) for a, b in zip(got, expected.tolist(), strict=True))
    # the test bites: the other way (Kahan's for runs, a plain sum else) gives other bits
    ids = np.asarray(codes)
    groups = [values[ids == i].tolist() for i in range(len(names))]
    other_way = [_kahan(g) if together else _plain(g) for g in groups]
    got = summary._sums(codes, len(names), values)
    assert not all(_same(a, b) for a, b in zip(got, other_way, strict=True))


def _plain(values: list[float]) -> float:
    total = 0.0
    for v in values:
        total += v
    return total


def _kahan(values: list[float]) -> float:
    total = compensation = 0.0
    for v in values:
        y = v - compensation
        t = total + y
        compensation = t - total - y
        total = t
    return total


def test_descending_is_a_stable_sort_with_nans_last() -> None:
    values = [3.0, 1.0, math.nan, 3.0, 0.0, -0.0, 1.0, math.nan, 7.5]
    expected = (
        pd.Series(values).sort_values(ascending=False, kind="stable").index.tolist()
    )
    assert summary._descending(values) == expected


def test_an_older_pandas_reads_the_rows_from_the_dataframes(
    default_cost: CostResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pandas before 3.1 adds a group's figures otherwise: the rows come from the
    DataFrames then, so the printed table is still theirs to the bit."""
    monkeypatch.setattr(summary, "sums_as_pandas", lambda: False)
    assert_rows_match(default_cost)


def test_the_installed_pandas_is_summed_without_pandas() -> None:
    major, minor = (int(part) for part in pd.__version__.split(".")[:2])
    assert summary.sums_as_pandas() == ((major, minor) >= (3, 1))
