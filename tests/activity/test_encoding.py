"""Encoding records: long Arrow-backed text columns factorized in slices (threads) give
exactly what one ``pd.factorize`` pass gives: codes, values, order, and so the costs.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest
from activity_data import (
    ACTIVITY,
    CODES,
    TEXT_DTYPES,
    activity_frames,
    costed,
    make_tariff,
    prices_strategy,
    text_series,
)
from hypothesis import given, settings, strategies as st

from careprofiles.activity.encoding import (
    PARALLEL_ROWS,
    arrow_text,
    factor,
    factor_ints,
    factor_text,
    text_slices,
)
from careprofiles.activity.records import read_activity
from careprofiles.tariffs.tables import Tariff


@pytest.mark.parametrize("dtype", TEXT_DTYPES)
def test_text_factorized_in_slices_as_pandas_does(dtype: str) -> None:
    # repeats across slices, new values in later slices, missing and blank values
    values = ["p2", "p1", None, "p2", "", "p3", "p1", "p4", None, " ", "p3", "p5", "p2", "p4"]
    for pieces in (1, 3):
        column = text_series(values, dtype, pieces)
        expected_codes, expected_uniques = pd.factorize(column, use_na_sentinel=True)
        data = arrow_text(column)
        assert data is not None
        for slices in range(1, len(values) + 2):
            codes, uniques = factor_text(column, data, slices)
            assert codes.dtype == np.int32
            np.testing.assert_array_equal(codes, expected_codes)
            pd.testing.assert_index_equal(uniques, pd.Index(expected_uniques), exact=True)


def test_only_arrow_text_is_factorized_in_slices() -> None:
    assert text_slices(PARALLEL_ROWS - 1) == 1
    assert text_slices(PARALLEL_ROWS) == (os.cpu_count() or 1)
    assert arrow_text(pd.Series(["a", "b"], dtype=object)) is None
    assert arrow_text(pd.Series(["a", "b"], dtype="category")) is None
    assert arrow_text(pd.Series([1, 2])) is None
    pytest.importorskip("pyarrow")
    assert arrow_text(pd.Series(["a", "b"], dtype="string[pyarrow]")) is not None
    assert arrow_text(pd.Series([1, 2], dtype="int64[pyarrow]")) is None


@pytest.mark.parametrize("dtype", TEXT_DTYPES)
def test_text_ids_in_slices_cost_as_before(tariff: Tariff, dtype: str) -> None:
    base = read_activity(ACTIVITY)
    frame = base.assign(
        patient_id=text_series(base["patient_id"].astype(object).tolist(), dtype, pieces=2)
    )
    expected = costed(frame, tariff, 1)  # one slice: pd.factorize, as before
    assert isinstance(expected, pd.DataFrame)
    for slices in (2, 3, 7):
        pd.testing.assert_frame_equal(costed(frame, tariff, slices), expected, check_exact=True)


@st.composite
def text_id_frames(draw: st.DrawFn) -> pd.DataFrame:
    """Activity frames with Arrow text columns; ids drawn from a few, so they repeat."""
    frame = draw(activity_frames(max_rows=60))
    pool = draw(st.lists(st.text(max_size=4), min_size=1, max_size=8, unique=True))
    ids = draw(
        st.lists(
            st.one_of(st.sampled_from(pool), st.none())
            if draw(st.booleans())
            else st.sampled_from(pool),
            min_size=len(frame),
            max_size=len(frame),
        )
    )
    dtype = draw(st.sampled_from(TEXT_DTYPES))
    pieces = draw(st.integers(1, 3))
    out = frame.assign(patient_id=text_series(ids, dtype, pieces))
    if draw(st.booleans()):  # the other text columns too
        for column in ("stage", "code"):
            out[column] = text_series(frame[column].tolist(), dtype, pieces)
    return out


@settings(max_examples=80, deadline=None)
@given(text_id_frames(), prices_strategy, st.integers(2, 6))
def test_text_ids_in_slices_match_one_pass(
    frame: pd.DataFrame, prices: dict[str, float], slices: int
) -> None:
    """Factorized in slices (threads), the result is the same frame: values, order, dtypes."""
    tariff = make_tariff({c: (CODES[c], p) for c, p in prices.items()})
    expected = costed(frame, tariff, 1)
    result = costed(frame, tariff, slices)
    if isinstance(expected, str):
        assert result == expected  # the same problems (blank or missing ids), the same rows
    else:
        pd.testing.assert_frame_equal(result, expected, check_exact=True)


_INT_KINDS = st.sampled_from(
    [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32]
)


@given(
    kind=_INT_KINDS,
    values=st.lists(st.integers(-(2**40), 2**40), max_size=300),
    spread=st.integers(1, 10**9),
)
@settings(max_examples=200, deadline=None)
def test_integer_ids_are_coded_as_factorize_codes_them(
    kind: type[np.integer], values: list[int], spread: int
) -> None:
    """Integer ids in a compact range are coded by offset, not hashed: the codes and the
    values they index are exactly pd.factorize's (first appearance, same dtype); a wide
    range falls back to pd.factorize."""
    info = np.iinfo(kind)
    array = (
        np.array(
            [info.min + (v * spread) % (int(info.max) - int(info.min) + 1) for v in values],
            dtype=kind,
        )
        if values
        else np.array([], dtype=kind)
    )
    codes, uniques = factor(pd.Series(array))
    expected_codes, expected_uniques = pd.factorize(array)
    np.testing.assert_array_equal(codes, expected_codes)
    pd.testing.assert_index_equal(uniques, pd.Index(expected_uniques))


def test_a_compact_integer_range_takes_the_offset_path() -> None:
    ids = np.array([70, 7, 70, 14, 7, 700], dtype=np.int64)
    ranged = factor_ints(ids)
    assert ranged is not None
    codes, uniques = ranged
    assert codes.tolist() == [0, 1, 0, 2, 1, 3]
    assert uniques.tolist() == [70, 7, 14, 700]
    assert factor_ints(np.array([0, 10**12], dtype=np.int64)) is None  # too wide: hashed
