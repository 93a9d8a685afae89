"""Long frames are costed slice by slice in threads (``encoding.in_slices``): the checks'
reductions, the integer-id codes and the (patient, stage) totals made that way are those
of one pass over the whole frame. Small frames stand in for long ones by patching the
slice sizes.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pandas as pd
import pytest
from activity_data import CODES, activity_frames, make_tariff, prices_strategy
from hypothesis import given, settings, strategies as st

from careprofiles.activity import encoding
from careprofiles.activity.costing import cost_activity
from careprofiles.activity.encoding import (
    PARALLEL_ROWS,
    SLICE_ROWS,
    factor,
    in_slices,
    row_slices,
)
from careprofiles.errors import ActivityError


def _costed(frame: pd.DataFrame, prices: dict[str, float], slice_rows: int | None) -> Any:
    """cost_activity's result (or its error's message), slicing every ``slice_rows`` rows."""
    tariff = make_tariff({c: (CODES[c], p) for c, p in prices.items()})
    with pytest.MonkeyPatch.context() as patch:
        if slice_rows is not None:
            patch.setattr(encoding, "PARALLEL_ROWS", 1)
            patch.setattr(encoding, "SLICE_ROWS", slice_rows)
            patch.setattr(encoding, "threads", lambda: 2)
        try:
            return cost_activity(frame, tariff)
        except ActivityError as exc:
            return str(exc)


@st.composite
def frames(draw: st.DrawFn) -> pd.DataFrame:
    """Activity frames, clean or not: ids as text or integers; some minutes dropped or
    negative, some quantities negative, an unknown code (each check the reductions make)."""
    frame = draw(activity_frames(max_rows=60)).copy()
    n = len(frame)
    if draw(st.booleans()):
        frame["patient_id"] = frame["patient_id"].map(lambda p: 1_000 + 7 * (ord(p) - 97))
    flaw = draw(st.sampled_from(["none", "no-minutes", "negative", "item-minutes", "quantity"]))
    at = draw(st.integers(0, n - 1))
    if flaw == "no-minutes":
        frame.loc[at, "minutes"] = np.nan
    elif flaw == "negative":
        frame.loc[at, "minutes"] = -5.0
    elif flaw == "item-minutes":
        frame.loc[at, "code"] = "pack"
        frame.loc[at, "minutes"] = 30.0
    elif flaw == "quantity":
        frame.loc[at, "quantity"] = -1.0
    if draw(st.booleans()):
        frame = frame.drop(columns="quantity")
    return frame


@settings(max_examples=150, deadline=None)
@given(frames(), prices_strategy, st.integers(1, 9))
def test_sliced_costing_matches_one_pass(
    frame: pd.DataFrame, prices: dict[str, float], slice_rows: int
) -> None:
    """The same rows in the same order, the same problems; totals equal to rounding (a
    slice's sums are added to those before it, not row by row)."""
    expected = _costed(frame, prices, None)
    result = _costed(frame, prices, slice_rows)
    if isinstance(expected, str):
        assert result == expected
        return
    assert isinstance(result, pd.DataFrame)
    pd.testing.assert_frame_equal(result, expected, check_exact=False, rtol=1e-12, atol=1e-9)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 300), min_size=1, max_size=200), st.integers(1, 17))
def test_integer_codes_gathered_in_slices(values: list[int], slice_rows: int) -> None:
    array = np.array(values, dtype=np.int64) * 3 + 10
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(encoding, "PARALLEL_ROWS", 1)
        patch.setattr(encoding, "SLICE_ROWS", slice_rows)
        patch.setattr(encoding, "threads", lambda: 2)
        codes, uniques = factor(pd.Series(array))
    expected_codes, expected_uniques = pd.factorize(array)
    np.testing.assert_array_equal(codes, expected_codes)
    pd.testing.assert_index_equal(uniques, pd.Index(expected_uniques))


def test_slices_depend_on_the_rows_only() -> None:
    assert row_slices(PARALLEL_ROWS - 1) == [slice(0, PARALLEL_ROWS - 1)]
    n = 3 * SLICE_ROWS + 5
    parts = row_slices(max(n, PARALLEL_ROWS))
    assert parts[0] == slice(0, SLICE_ROWS)
    assert parts[-1].stop == max(n, PARALLEL_ROWS)
    assert all(a.stop == b.start for a, b in itertools.pairwise(parts))


def test_slice_results_come_in_slice_order() -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(encoding, "PARALLEL_ROWS", 1)
        patch.setattr(encoding, "SLICE_ROWS", 3)
        patch.setattr(encoding, "threads", lambda: 4)
        assert [p.start for p in in_slices(lambda at: at, 20)] == list(range(0, 20, 3))
