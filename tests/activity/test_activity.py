"""Activity records: reading, checking (file:line for every bad row) and costing.

Figures are computed by hand from the spec's rules on tests/data/activity (tariff: nurse
£60/h, hca £30/h, gp £240/h, meds-pack £40/item, night-visit £200/contact, cns-call
£50/contact); property tests check linearity in tariff costs, additivity over rows and
partitions, and that string, categorical, Parquet and Dask input agree.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from careprofiles.activity.records import (
    MAX_LISTED,
    ActivityCodeError,
    check_activity,
    cost_activity,
    read_activity,
    read_outcomes,
    summarise_activity,
)
from careprofiles.errors import ActivityError, MissingCodeError, MissingDependencyError
from careprofiles.profiles.load import load_pathway
from careprofiles.profiles.models import Pathway
from careprofiles.tariffs.tables import Tariff, TariffRow, load_tariff

DATA = Path(__file__).resolve().parents[1] / "data" / "activity"
ACTIVITY = DATA / "activity.csv"
BAD = DATA / "bad-activity.csv"

NURSE, HCA, GP, MEDS, NIGHT, CNS = 60.0, 30.0, 240.0, 40.0, 200.0, 50.0


# tiny, tariff and dask_client: the fixtures of tests/conftest.py


def _by_key(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.assign(patient_id=frame["patient_id"].astype(str), stage=frame["stage"].astype(str))
    return out.set_index(["patient_id", "stage"]).sort_index()[["hours", "cost"]]


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
    tariff = _tariff({"nurse": ("hour", 60.0), "visit": ("contact", 100.0)})
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


def test_read_csv_types_and_blank_lines() -> None:
    frame = read_activity(ACTIVITY)
    assert len(frame) == 15  # 16 data lines, one of them blank
    assert isinstance(frame["stage"].dtype, pd.CategoricalDtype)
    assert frame["minutes"].dtype == np.float64
    # patient ids stay text: "007" is not 7
    text = "patient_id,stage,code,minutes\n007,decline,gp,10\n"
    path = DATA.parent.parent / "_tmp_ids.csv"
    try:
        path.write_text(text, encoding="utf-8")
        assert read_activity(path)["patient_id"].astype(str).tolist() == ["007"]
    finally:
        path.unlink()


# ----------------------------------------------------------------- bad rows

BAD_LINES = {
    2: ("stage", "'declin' is not a stage of pathway 'tiny'; did you mean 'decline'?"),
    3: ("patient_id", "is empty"),
    4: ("service", "'nurse-vists' is not a service of stage 'decline'"),
    5: ("code", "'nures' is not in the tariff"),
    6: ("minutes", "is empty; 'gp' is priced per hour"),
    7: ("minutes", "-45 is negative"),
    # line 8 is blank; line 9 is the next row
    9: ("minutes", "'4five' is not a number"),
    10: ("minutes", "10 minutes given for 'meds-pack' (an item priced per item)"),
    11: ("quantity", "-1 is negative"),
    12: ("quantity", "'one' is not a number"),
    13: ("date", "'2024-02-30' is not an ISO date"),
    14: ("stage", "is empty"),
    15: ("code", "is empty"),
}


def _problems(exc: ActivityError) -> dict[int | None, tuple[str, str]]:
    return {p.line: (p.where, p.message) for p in exc.problems}


def test_bad_rows_all_reported_with_file_and_line(tariff: Tariff, tiny: Pathway) -> None:
    with pytest.raises(ActivityError) as info:
        cost_activity(BAD, tariff, pathway=tiny)
    exc = info.value
    assert all(str(p.file).endswith("data/activity/bad-activity.csv") for p in exc.problems)
    found = _problems(exc)
    assert set(found) == set(BAD_LINES)  # every bad row, each once; line 16 (no area) is fine
    for line, (where, start) in BAD_LINES.items():
        assert found[line][0] == where, line
        assert found[line][1].startswith(start), (line, found[line][1])
    text = str(exc)
    assert "bad-activity.csv:9: minutes: '4five' is not a number" in text
    # an unknown code makes it a MissingCodeError (and a LookupError) as well
    assert isinstance(exc, ActivityCodeError)
    assert isinstance(exc, MissingCodeError)
    assert isinstance(exc, LookupError)
    assert isinstance(exc, ValueError)


def test_area_needed_only_for_benchmarking(tariff: Tariff, tiny: Pathway, tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text(
        "patient_id,stage,code,minutes,area\np1,decline,gp,10,north\np2,decline,gp,10,\n",
        encoding="utf-8",
    )
    check_activity(path, tariff, tiny)
    with pytest.raises(ActivityError) as info:
        check_activity(path, tariff, tiny, need_area=True)
    assert [(p.line, p.where) for p in info.value.problems] == [(3, "area")]


def test_many_bad_rows_are_capped_and_counted(tariff: Tariff, tmp_path: Path) -> None:
    n = 180
    path = tmp_path / "many.csv"
    path.write_text(
        "patient_id,stage,code,minutes\n" + "".join(f"p{i},s,nurse,-{i + 1}\n" for i in range(n)),
        encoding="utf-8",
    )
    with pytest.raises(ActivityError) as info:
        cost_activity(path, tariff)
    problems = info.value.problems
    assert len(problems) == MAX_LISTED + 1
    assert [p.line for p in problems[:MAX_LISTED]] == list(range(2, 2 + MAX_LISTED))
    assert f"{n - MAX_LISTED:,} more problems" in problems[-1].message


def test_header_problems(tariff: Tariff, tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_text("patient_id,stage,minuts,cost\np,s,1,2\n", encoding="utf-8")
    with pytest.raises(ActivityError) as info:
        read_activity(path)
    text = str(info.value)
    assert "h.csv:1: header: missing column code" in text
    assert "unknown column 'minuts'; did you mean 'minutes'?" in text
    assert "unknown column 'cost'" in text


def test_minutes_column_missing_for_hourly_roles(tariff: Tariff) -> None:
    frame = pd.DataFrame(
        {"patient_id": ["a", "b"], "stage": ["s", "s"], "code": ["nurse", "meds-pack"]}
    )
    with pytest.raises(ActivityError) as info:
        cost_activity(frame, tariff)
    # an in-memory frame names rows by their index
    assert [(p.file, p.line, p.where) for p in info.value.problems] == [
        (None, None, "index 0, minutes")
    ]


def test_non_utf8_ragged_and_multiline(tariff: Tariff, tmp_path: Path) -> None:
    latin = tmp_path / "latin.csv"
    latin.write_bytes(b"patient_id,stage,code,minutes\np,s,gp,1\np\xe9,s,gp,1\n")
    with pytest.raises(ActivityError, match=r"latin.csv:3: the file is not UTF-8"):
        read_activity(latin)
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("patient_id,stage,code,minutes\np,s,gp,1\np,s,gp,1,9\n", encoding="utf-8")
    with pytest.raises(ActivityError, match=r"ragged.csv:3: cannot read the CSV"):
        read_activity(ragged)
    multi = tmp_path / "multi.csv"
    multi.write_text('patient_id,stage,code,minutes\n"p\n1",s,gp,1\np2,s,gp,-1\n', encoding="utf-8")
    with pytest.raises(ActivityError) as info:
        cost_activity(multi, tariff)
    assert [p.line for p in info.value.problems] == [4]  # the quoted line break counts


def test_parquet_rows_are_numbered(tariff: Tariff, tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    frame = pd.DataFrame(
        {
            "patient_id": ["a", "b", "c"],
            "stage": ["s", "s", "s"],
            "code": ["gp", "gp", "nope"],
            "minutes": [1.0, -2.0, 3.0],
        }
    )
    path = tmp_path / "a.parquet"
    frame.to_parquet(path)
    with pytest.raises(ActivityError) as info:
        cost_activity(path, tariff)
    assert [(p.file, p.line, p.where) for p in info.value.problems] == [
        (str(path), None, "row 2, minutes"),
        (str(path), None, "row 3, code"),
    ]


def test_parquet_needs_pyarrow(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = tmp_path / "a.parquet"
    path.write_bytes(b"PAR1")
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    with pytest.raises(MissingDependencyError, match=r"careprofiles\[parquet\]"):
        read_activity(path)


def test_outcomes_bad_rows(tiny: Pathway) -> None:
    from careprofiles.activity.records import check_outcomes

    with pytest.raises(ActivityError) as info:
        check_outcomes(DATA / "bad-outcomes.csv", tiny)
    found = _problems(info.value)
    assert set(found) == {2, 3, 4, 5}
    assert found[2] == (
        "value",
        "'yes' is not a number; give 1 or 0 for a yes/no outcome, or a number",
    )
    assert found[3][0] == "patient_id"
    assert found[4][1].startswith(
        "'plan-recordd' is not an outcome of pathway 'tiny'; did you mean 'plan-recorded'?"
    )
    assert found[5][0] == "value"
    assert read_outcomes(DATA / "outcomes.csv")["value"].dtype == np.float64


def test_other_price_year_is_refused_when_used(tiny: Pathway) -> None:
    rows = dict(load_tariff(DATA / "tariff.csv").rows)
    rows["gp"] = TariffRow("gp", "hour", 200.0, "2015/16", location="t.csv:4")
    tariff = Tariff(rows)
    with pytest.raises(ActivityError) as info:
        summarise_activity(ACTIVITY, tariff, tiny, price_year="2024/25")
    assert "'gp' is priced in 2015/16, not in the pathway's 2024/25" in str(info.value)


# ----------------------------------------------------------------- column types


def test_string_categorical_and_object_columns_agree(tariff: Tariff) -> None:
    base = read_activity(ACTIVITY)
    expected = _by_key(cost_activity(base, tariff))
    text_cols = ["patient_id", "stage", "service", "code", "area"]
    as_object = base.astype({c: object for c in text_cols})
    as_str = base.astype({c: "str" for c in text_cols})
    as_arrow = base.astype({c: "string[pyarrow]" for c in text_cols})
    numbers_as_text = base.assign(
        minutes=base["minutes"].map(lambda x: "" if np.isnan(x) else f"{x:g}").astype("str")
    )
    for frame in (as_object, as_str, as_arrow, numbers_as_text):
        pd.testing.assert_frame_equal(_by_key(cost_activity(frame, tariff)), expected)


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

CODES = {"nurse": "hour", "gp": "hour", "visit": "contact", "pack": "item", "bed": "day"}


def _tariff(prices: dict[str, tuple[str, float]]) -> Tariff:
    return Tariff({c: TariffRow(c, u, cost, "2024/25") for c, (u, cost) in prices.items()})


@st.composite
def activity_frames(draw: st.DrawFn, max_rows: int = 40) -> pd.DataFrame:
    n = draw(st.integers(1, max_rows))
    codes = draw(st.lists(st.sampled_from(sorted(CODES)), min_size=n, max_size=n))
    minutes = draw(st.lists(st.integers(0, 600), min_size=n, max_size=n))
    quantity = draw(st.lists(st.one_of(st.none(), st.integers(0, 9)), min_size=n, max_size=n))
    return pd.DataFrame(
        {
            "patient_id": draw(st.lists(st.sampled_from("abcdefg"), min_size=n, max_size=n)),
            "stage": draw(st.lists(st.sampled_from(["s1", "s2", "s3"]), min_size=n, max_size=n)),
            "code": codes,
            # staff rows have minutes; item rows have none
            "minutes": [
                float(m) if CODES[c] in ("hour", "contact") else np.nan
                for m, c in zip(minutes, codes, strict=True)
            ],
            "quantity": [np.nan if q is None else float(q) for q in quantity],
        }
    )


prices_strategy = st.fixed_dictionaries(
    {c: st.floats(0, 1000, allow_nan=False, allow_infinity=False) for c in CODES}
)


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
    base = _by_key(cost_activity(frame, _tariff({c: (CODES[c], p) for c, p in prices.items()})))
    scaled = _by_key(
        cost_activity(frame, _tariff({c: (CODES[c], k * p) for c, p in prices.items()}))
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
    tariff = _tariff({c: (CODES[c], p) for c, p in prices.items()})
    whole = _by_key(cost_activity(pd.concat([first, second], ignore_index=True), tariff))
    parts = _by_key(cost_activity(first, tariff)).add(
        _by_key(cost_activity(second, tariff)), fill_value=0.0
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
    tariff = _tariff({c: (CODES[c], p) for c, p in prices.items()})
    expected = _by_key(cost_activity(frame, tariff))
    lazy = dd.from_pandas(frame, npartitions=partitions)
    pd.testing.assert_frame_equal(
        _by_key(cost_activity(lazy, tariff)), expected, rtol=1e-12, atol=1e-9
    )


# ----------------------------------------------------------------- long text columns

TEXT_DTYPES = ["str", "string[pyarrow]", "string-arrow", "large-string-arrow"]


def _text_series(values: list[str | None], dtype: str, pieces: int = 1) -> pd.Series:
    """Arrow-backed text, its Arrow data in ``pieces`` chunks (as from pd.concat or Parquet)."""
    pa = pytest.importorskip("pyarrow")
    kind = {"string-arrow": pa.string(), "large-string-arrow": pa.large_string()}
    as_dtype: Any = pd.ArrowDtype(kind[dtype]) if dtype in kind else dtype
    step = -(-len(values) // pieces)
    parts = [pd.Series(values[i : i + step], dtype=as_dtype) for i in range(0, len(values), step)]
    return pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]


def _sliced(slices: int) -> Any:
    """``_text_slices`` that always slices (small frames stand in for long ones)."""
    return lambda rows: slices


@pytest.mark.parametrize("dtype", TEXT_DTYPES)
def test_text_factorized_in_slices_as_pandas_does(dtype: str) -> None:
    from careprofiles.activity.records import _arrow_text, _factor_text

    # repeats across slices, new values in later slices, missing and blank values
    values = ["p2", "p1", None, "p2", "", "p3", "p1", "p4", None, " ", "p3", "p5", "p2", "p4"]
    for pieces in (1, 3):
        column = _text_series(values, dtype, pieces)
        expected_codes, expected_uniques = pd.factorize(column, use_na_sentinel=True)
        data = _arrow_text(column)
        assert data is not None
        for slices in range(1, len(values) + 2):
            codes, uniques = _factor_text(column, data, slices)
            assert codes.dtype == np.int32
            np.testing.assert_array_equal(codes, expected_codes)
            pd.testing.assert_index_equal(uniques, pd.Index(expected_uniques), exact=True)


def test_only_arrow_text_is_factorized_in_slices() -> None:
    from careprofiles.activity.records import _PARALLEL_ROWS, _arrow_text, _text_slices

    assert _text_slices(_PARALLEL_ROWS - 1) == 1
    assert _text_slices(_PARALLEL_ROWS) == (os.cpu_count() or 1)
    assert _arrow_text(pd.Series(["a", "b"], dtype=object)) is None
    assert _arrow_text(pd.Series(["a", "b"], dtype="category")) is None
    assert _arrow_text(pd.Series([1, 2])) is None
    pytest.importorskip("pyarrow")
    assert _arrow_text(pd.Series(["a", "b"], dtype="string[pyarrow]")) is not None
    assert _arrow_text(pd.Series([1, 2], dtype="int64[pyarrow]")) is None


def _costed(frame: pd.DataFrame, tariff: Tariff, slices: int) -> Any:
    """cost_activity's result, or the message of the error it raises."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("careprofiles.activity.records._text_slices", _sliced(slices))
        try:
            return cost_activity(frame, tariff)
        except ActivityError as exc:
            return str(exc)


@pytest.mark.parametrize("dtype", TEXT_DTYPES)
def test_text_ids_in_slices_cost_as_before(tariff: Tariff, dtype: str) -> None:
    base = read_activity(ACTIVITY)
    frame = base.assign(
        patient_id=_text_series(base["patient_id"].astype(object).tolist(), dtype, pieces=2)
    )
    expected = _costed(frame, tariff, 1)  # one slice: pd.factorize, as before
    assert isinstance(expected, pd.DataFrame)
    for slices in (2, 3, 7):
        pd.testing.assert_frame_equal(_costed(frame, tariff, slices), expected, check_exact=True)


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
    out = frame.assign(patient_id=_text_series(ids, dtype, pieces))
    if draw(st.booleans()):  # the other text columns too
        for column in ("stage", "code"):
            out[column] = _text_series(frame[column].tolist(), dtype, pieces)
    return out


@settings(max_examples=80, deadline=None)
@given(text_id_frames(), prices_strategy, st.integers(2, 6))
def test_text_ids_in_slices_match_one_pass(
    frame: pd.DataFrame, prices: dict[str, float], slices: int
) -> None:
    """Factorized in slices (threads), the result is the same frame: values, order, dtypes."""
    tariff = _tariff({c: (CODES[c], p) for c, p in prices.items()})
    expected = _costed(frame, tariff, 1)
    result = _costed(frame, tariff, slices)
    if isinstance(expected, str):
        assert result == expected  # the same problems (blank or missing ids), the same rows
    else:
        pd.testing.assert_frame_equal(result, expected, check_exact=True)


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
        _by_key(cost_activity(lazy, tariff, pathway=tiny)), _by_key(cost_activity(frame, tariff))
    )
    lazy_result = cost_activity(lazy, tariff, compute=False)
    assert hasattr(lazy_result, "compute")


def test_dask_reports_dataset_row_numbers(dask_client: Any, tariff: Tariff, tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    folder = tmp_path / "dataset"
    folder.mkdir()
    for i in range(3):
        bad = [-1.0 if (i, j) in ((1, 2), (2, 0)) else 10.0 for j in range(4)]
        pd.DataFrame(
            {"patient_id": [f"p{j}" for j in range(4)], "stage": "s", "code": "gp", "minutes": bad}
        ).to_parquet(folder / f"part-{i}.parquet")
    lazy = read_activity(folder, engine="dask")
    with pytest.raises(ActivityError) as info:
        cost_activity(lazy, tariff)
    # rows count from 1 across the dataset: file 1 row 3 is row 7, file 2 row 1 is row 9
    assert [p.where for p in info.value.problems] == ["row 7, minutes", "row 9, minutes"]


def test_dask_csv_reports_the_same_lines_as_pandas(
    dask_client: Any, tariff: Tariff, tiny: Pathway
) -> None:
    with pytest.raises(ActivityError) as pandas_error:
        check_activity(BAD, tariff, tiny)
    with pytest.raises(ActivityError) as dask_error:
        check_activity(read_activity(BAD, engine="dask"), tariff, tiny)
    assert str(dask_error.value) == str(pandas_error.value)
    summary = summarise_activity(read_activity(ACTIVITY, engine="dask"), tariff, tiny)
    assert summary.rows == 15


def test_unknown_engine_and_input() -> None:
    with pytest.raises(ActivityError, match="engine 'spark' is not known"):
        read_activity(ACTIVITY, engine="spark")  # type: ignore[arg-type]
    with pytest.raises(ActivityError, match="not list"):
        cost_activity([1, 2], load_tariff(DATA / "tariff.csv"))
    with pytest.raises(ActivityError, match="no such file"):
        read_activity(DATA / "missing.csv")


# ----------------------------------------------------------------- the fast check


@st.composite
def messy_frames(draw: st.DrawFn) -> pd.DataFrame:
    """Frames that may break any check: unknown or missing codes and stages, missing,
    negative, infinite or text numbers, minutes on items, bad dates, missing areas."""
    n = draw(st.integers(1, 25))

    def column(values: st.SearchStrategy[Any]) -> list[Any]:
        return draw(st.lists(values, min_size=n, max_size=n))

    number = st.one_of(
        st.none(), st.integers(-5, 300).map(float), st.just(np.inf), st.just(-np.inf)
    )
    frame = pd.DataFrame(
        {
            "patient_id": column(st.sampled_from(["a", "b", "c", None, ""])),
            "stage": column(st.sampled_from(["decline", "last-days", "nowhere", None])),
            "code": column(st.sampled_from([*sorted(CODES), "nurse", "gp", "ghost", None])),
            "minutes": column(number),
            "quantity": column(number),
        }
    )
    if draw(st.booleans()):
        frame["service"] = column(st.sampled_from(["nurse-visits", "meds", "gp-review", None]))
    if draw(st.booleans()):
        frame["date"] = column(st.sampled_from(["2024-05-01", "2024-02-30", "soon", None]))
    if draw(st.booleans()):
        frame["area"] = column(st.sampled_from(["north", None]))
    if draw(st.booleans()):
        frame["minutes"] = frame["minutes"].map(lambda x: "ten" if x == 7.0 else x)
    return frame


@settings(max_examples=150, deadline=None)
@given(messy_frames(), st.booleans(), st.booleans())
def test_fast_check_never_hides_a_problem(
    frame: pd.DataFrame, with_pathway: bool, need_area: bool
) -> None:
    """Whole-column reductions may pass rows on only if the row-level checks find nothing."""
    from careprofiles.activity.records import _clean, _findings, _Prices, _Rows

    pathway = load_pathway(DATA / "pathway") if with_pathway else None
    tariff = _tariff({**{c: (u, 1.0) for c, u in CODES.items()}, "meds-pack": ("item", 4.0)})
    prices = _Prices.of(tariff, pathway)
    full = _findings(_Rows(frame, prices), pathway, need_area, quick=False)
    problems = full[full["check"] != "__len__"]
    if _clean(_Rows(frame, prices), pathway, need_area):
        assert problems.empty, problems
    if problems.empty:  # and clean data goes through, whichever way it was checked
        cost_activity(frame, tariff, pathway=pathway)


def test_dates_are_iso_with_an_optional_time(tariff: Tariff) -> None:
    dates = [
        "2024-05-01",
        "2024-05-01T10:30",
        "2024-05-01 10:30:15",
        "01/05/2024",
        "2024-02-30",
        "2024-05-01T25",
    ]
    frame = pd.DataFrame(
        {"patient_id": "p", "stage": "s", "code": "gp", "minutes": 10.0, "date": dates}
    )
    with pytest.raises(ActivityError) as info:
        cost_activity(frame, tariff)
    assert [p.where for p in info.value.problems] == [
        "index 3, date",
        "index 4, date",
        "index 5, date",
    ]
