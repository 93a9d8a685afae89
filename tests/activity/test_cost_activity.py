"""Costing activity records (careprofiles.activity.costing.cost_activity).

Figures are computed by hand from the spec's rules on tests/data/activity (see
activity_data.py for its tariff); property tests check linearity in tariff costs,
additivity over rows and partitions, and that string, categorical, Parquet and Dask
input agree.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from activity_data import (
    ACTIVITY,
    CNS,
    CODES,
    GP,
    HCA,
    MEDS,
    NIGHT,
    NURSE,
    activity_frames,
    by_key,
    make_tariff,
    prices_strategy,
)
from hypothesis import HealthCheck, given, settings, strategies as st

from careprofiles.activity.costing import cost_activity
from careprofiles.activity.records import read_activity
from careprofiles.profiles.models import Pathway
from careprofiles.tariffs.tables import Tariff

# ----------------------------------------------------------------- hand-computed costs


# (patient, stage) -> (hours, cost), from the rows of activity.csv
EXPECTED = {
    ("A", "decline"): (3 + 1 + 15 / 60, 3 * 60 / 60 * NURSE + 60 / 60 * HCA + 15 / 60 * GP),
    ("B", "decline"): (
        2 * 45 / 60 + 20 / 60 + 30 / 60,
        2 * 45 / 60 * NURSE + 20 / 60 * GP + 30 / 60 * GP,
    ),
    ("C", "decline"): (15 / 60, 15 / 60 * GP),
    ("D", "decline"): (15 / 60, 15 / 60 * GP),
    # meds (1 item) + night visit (3 contacts, an item with no minutes: 0 hours)
    # + cns-call (2 contacts priced per contact, 60 staff minutes: 1 hour)
    ("A", "last-days"): (60 / 60, 1 * MEDS + 3 * NIGHT + 2 * CNS),
    ("B", "last-days"): (0.0, 1 * MEDS),
}


def test_cost_activity_hand_computed(tariff: Tariff) -> None:
    result = cost_activity(ACTIVITY, tariff)
    assert list(result.columns) == ["patient_id", "stage", "hours", "cost"]
    assert len(result) == len(EXPECTED)
    got = {(r.patient_id, r.stage): (r.hours, r.cost) for r in result.itertuples()}
    assert got.keys() == EXPECTED.keys()
    for key, (hours, cost) in EXPECTED.items():
        assert got[key][0] == pytest.approx(hours), key
        assert got[key][1] == pytest.approx(cost), key


def test_cost_activity_orders_stages_by_pathway(tariff: Tariff, tiny: Pathway) -> None:
    frame = read_activity(ACTIVITY).iloc[::-1].reset_index(drop=True)
    # text ids: patients in order of first appearance (the reversed file starts with B),
    # stages in pathway order
    text = cost_activity(frame.astype({"patient_id": "str"}), tariff, pathway=tiny)
    assert list(zip(text["patient_id"], text["stage"], strict=True))[:3] == [
        ("B", "decline"),
        ("B", "last-days"),
        ("A", "decline"),
    ]
    # categorical ids: in category order
    categorical = cost_activity(frame, tariff, pathway=tiny)
    assert list(zip(categorical["patient_id"], categorical["stage"], strict=True))[:3] == [
        ("A", "decline"),
        ("A", "last-days"),
        ("B", "decline"),
    ]


def test_hours_per_hour_role_and_no_minutes_per_contact_role() -> None:
    tariff = make_tariff({"nurse": ("hour", 60.0), "visit": ("contact", 100.0)})
    frame = pd.DataFrame(
        {
            "patient_id": ["p", "p", "p"],
            "stage": ["s", "s", "s"],
            "code": ["nurse", "visit", "visit"],
            "minutes": [30.0, np.nan, 90.0],
            "quantity": [5.0, 2.0, np.nan],  # quantity does not price a per-hour role
        }
    )
    row = cost_activity(frame, tariff).iloc[0]
    assert row["cost"] == pytest.approx(30 / 60 * 60 + 2 * 100 + 1 * 100)
    assert row["hours"] == pytest.approx(30 / 60 + 0 + 90 / 60)


# ----------------------------------------------------------------- column types


def test_string_categorical_and_object_columns_agree(tariff: Tariff) -> None:
    base = read_activity(ACTIVITY)
    expected = by_key(cost_activity(base, tariff))
    text_cols = ["patient_id", "stage", "service", "code", "area"]
    as_object = base.astype({c: object for c in text_cols})
    as_str = base.astype({c: "str" for c in text_cols})
    as_arrow = base.astype({c: "string[pyarrow]" for c in text_cols})
    numbers_as_text = base.assign(
        minutes=base["minutes"].map(lambda x: "" if np.isnan(x) else f"{x:g}").astype("str")
    )
    for frame in (as_object, as_str, as_arrow, numbers_as_text):
        pd.testing.assert_frame_equal(by_key(cost_activity(frame, tariff)), expected)


def test_integer_patient_ids(tariff: Tariff) -> None:
    frame = pd.DataFrame(
        {
            "patient_id": [7, 7, 9],
            "stage": ["s", "s", "s"],
            "code": ["gp", "nurse", "gp"],
            "minutes": [30.0, 60.0, 15.0],
        }
    )
    result = cost_activity(frame, tariff)
    assert result["patient_id"].tolist() == [7, 9]
    assert result["cost"].tolist() == pytest.approx([0.5 * GP + NURSE, 0.25 * GP])


def test_many_categories_few_rows(tariff: Tariff) -> None:
    """Unused categories (as in a Dask partition) do not blow up the group space."""
    ids = pd.Categorical(["p3", "p3", "p99999"], categories=[f"p{i}" for i in range(100_000)])
    frame = pd.DataFrame(
        {
            "patient_id": ids,
            "stage": ["s", "t", "s"],
            "code": ["gp"] * 3,
            "minutes": [60.0, 30.0, 15.0],
        }
    )
    result = cost_activity(frame, tariff)
    assert list(zip(result["patient_id"], result["stage"], result["cost"], strict=True)) == [
        ("p3", "s", GP),
        ("p3", "t", GP / 2),
        ("p99999", "s", GP / 4),
    ]


# ----------------------------------------------------------------- properties


def _row_costs(frame: pd.DataFrame, prices: dict[str, float]) -> np.ndarray[Any, Any]:
    """The spec's rule written out with pandas, row by row in columns (for reference)."""
    unit = frame["code"].map(CODES)
    cost = frame["code"].map(prices).astype(float)
    quantity = frame["quantity"].fillna(1.0)
    return np.where(unit == "hour", frame["minutes"] / 60 * cost, quantity * cost)


@settings(max_examples=60, deadline=None)
@given(activity_frames(), prices_strategy, st.floats(0, 50, allow_nan=False))
def test_cost_is_linear_in_tariff_costs(
    frame: pd.DataFrame, prices: dict[str, float], k: float
) -> None:
    base = by_key(cost_activity(frame, make_tariff({c: (CODES[c], p) for c, p in prices.items()})))
    scaled = by_key(
        cost_activity(frame, make_tariff({c: (CODES[c], k * p) for c, p in prices.items()}))
    )
    np.testing.assert_allclose(scaled["cost"], k * base["cost"], rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(scaled["hours"], base["hours"])
    # and the sum of costs is the spec's rule summed over rows
    assert base["cost"].sum() == pytest.approx(_row_costs(frame, prices).sum(), rel=1e-12, abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(activity_frames(), activity_frames(), prices_strategy)
def test_cost_is_additive_over_rows(
    first: pd.DataFrame, second: pd.DataFrame, prices: dict[str, float]
) -> None:
    tariff = make_tariff({c: (CODES[c], p) for c, p in prices.items()})
    whole = by_key(cost_activity(pd.concat([first, second], ignore_index=True), tariff))
    parts = by_key(cost_activity(first, tariff)).add(
        by_key(cost_activity(second, tariff)), fill_value=0.0
    )
    pd.testing.assert_frame_equal(whole, parts, rtol=1e-12, atol=1e-9)


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(activity_frames(max_rows=60), prices_strategy, st.integers(1, 5))
def test_pandas_and_dask_agree(
    dask_client: Any, frame: pd.DataFrame, prices: dict[str, float], partitions: int
) -> None:
    dd = pytest.importorskip("dask.dataframe")
    tariff = make_tariff({c: (CODES[c], p) for c, p in prices.items()})
    expected = by_key(cost_activity(frame, tariff))
    lazy = dd.from_pandas(frame, npartitions=partitions)
    pd.testing.assert_frame_equal(
        by_key(cost_activity(lazy, tariff)), expected, rtol=1e-12, atol=1e-9
    )


# ----------------------------------------------------------------- Dask


def test_dask_parquet_dataset_matches_pandas(
    dask_client: Any, tariff: Tariff, tiny: Pathway, tmp_path: Path
) -> None:
    pytest.importorskip("pyarrow")
    frame = read_activity(ACTIVITY)
    folder = tmp_path / "dataset"
    folder.mkdir()
    for i, start in enumerate(range(0, len(frame), 4)):  # 4 files of up to 4 rows
        frame.iloc[start : start + 4].to_parquet(folder / f"part-{i}.parquet")
    lazy = read_activity(folder, engine="dask")
    assert lazy.npartitions == 4
    pd.testing.assert_frame_equal(
        by_key(cost_activity(lazy, tariff, pathway=tiny)), by_key(cost_activity(frame, tariff))
    )
    lazy_result = cost_activity(lazy, tariff, compute=False)
    assert hasattr(lazy_result, "compute")


def test_dask_partitions_fit_the_workers_memory(
    tariff: Tariff, tiny: Pathway, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With workers of limited memory a partition reads only the row groups that fit
    (records.ROW_BYTES_OF_WORKER_MEMORY a row), and the figures do not change."""
    pytest.importorskip("pyarrow")
    from careprofiles.activity import records

    frame = read_activity(ACTIVITY)
    path = tmp_path / "activity.parquet"
    frame.to_parquet(path, row_group_size=2)
    groups = -(-len(frame) // 2)
    expected = by_key(cost_activity(frame, tariff))

    monkeypatch.setattr(records, "worker_memory_limit", lambda: None)  # no client: Dask's way
    assert read_activity(path, engine="dask").npartitions == 1
    monkeypatch.setattr(
        records, "worker_memory_limit", lambda: 4 * records.ROW_BYTES_OF_WORKER_MEMORY
    )
    lazy = read_activity(path, engine="dask")  # 4 rows fit: two groups of 2 a partition
    assert lazy.npartitions == -(-groups // 2)
    pd.testing.assert_frame_equal(by_key(cost_activity(lazy, tariff, pathway=tiny)), expected)
    monkeypatch.setattr(records, "worker_memory_limit", lambda: 1)  # not even one row fits
    assert read_activity(path, engine="dask").npartitions == groups  # one group each, at least


@pytest.mark.parametrize("ids", ["int", "text", "long text", "text with a NUL"])
@pytest.mark.parametrize("partitions", [1, 3, 7])
def test_dask_dense_totals_match_pandas(
    dask_client: Any, tariff: Tariff, ids: str, partitions: int
) -> None:
    """The dense reduction (no shuffle) gives the in-memory figures to 1e-9, relative:
    integer ids (a binary search over sorted ids), text ids (fixed-width bytes) and ids
    too long for fixed-width bytes or holding a NUL (a hash set)."""
    dd = pytest.importorskip("dask.dataframe")
    rng = np.random.default_rng(partitions)
    n = 3_000
    number = rng.integers(0, 400, n) * 7 + 100_000
    patient: Any = {
        "int": number,
        "text": [f"P{i}" for i in number],
        "long text": [f"P{i}" + "x" * (i % 50) for i in number],
        "text with a NUL": [f"P{i}\x00" if i % 3 else f"P{i}" for i in number],
    }[ids]
    frame = pd.DataFrame(
        {
            "patient_id": patient,
            "stage": rng.choice(["decline", "last-days"], n),
            "code": rng.choice(["nurse", "gp"], n),
            "minutes": rng.integers(1, 120, n).astype(float),
        }
    )
    expected = cost_activity(frame, tariff)
    lazy = dd.from_pandas(frame, npartitions=partitions)
    from careprofiles.activity import dense

    if ids == "long text":
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(dense, "_FIXED_BYTES", 8)
            got = cost_activity(lazy, tariff)
    else:
        got = cost_activity(lazy, tariff)
    assert len(got) == len(expected)
    if ids == "int":
        assert got["patient_id"].dtype == np.int64
    pd.testing.assert_frame_equal(by_key(got), by_key(expected), rtol=1e-9, atol=0)


def test_dask_shuffles_when_dense_totals_do_not_fit(
    dask_client: Any, tariff: Tariff, tiny: Pathway, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With more patients than a worker can hold dense totals of, the totals are
    shuffled by patient instead: the same figures."""
    dd = pytest.importorskip("dask.dataframe")
    from careprofiles.activity import costing, dense

    frame = read_activity(ACTIVITY)
    shuffled: list[int] = []
    real = costing._shuffled_totals

    def spy(*args: Any) -> Any:
        shuffled.append(1)
        return real(*args)

    monkeypatch.setattr(costing, "_shuffled_totals", spy)
    monkeypatch.setattr(dense, "DENSE_SHARE_OF_WORKER_MEMORY", 1 << 62)
    lazy = dd.from_pandas(frame, npartitions=3)
    got = cost_activity(lazy, tariff, pathway=tiny)
    assert shuffled == [1]
    pd.testing.assert_frame_equal(by_key(got), by_key(cost_activity(frame, tariff)))
    lazy_result = cost_activity(lazy, tariff, compute=False)
    pd.testing.assert_frame_equal(by_key(lazy_result.compute()), by_key(got))


def test_dask_unchecked_missing_keys_are_kept_as_in_memory(
    dask_client: Any, tariff: Tariff
) -> None:
    """Unchecked rows without a patient or stage are totalled in their own group, as
    in memory."""
    dd = pytest.importorskip("dask.dataframe")
    frame = pd.DataFrame(
        {
            "patient_id": ["a", None, "a", "b", None],
            "stage": ["decline", "decline", None, "decline", None],
            "code": ["gp"] * 5,
            "minutes": [10.0, 20.0, 30.0, 40.0, 50.0],
        }
    )
    expected = cost_activity(frame, tariff, check=False)
    got = cost_activity(dd.from_pandas(frame, npartitions=2), tariff, check=False)
    pd.testing.assert_frame_equal(by_key(got), by_key(expected))
