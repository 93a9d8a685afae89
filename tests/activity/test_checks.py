"""Checking activity and outcome records: every bad row reported once, with its file:line
(CSV), row number (Parquet, Dask) or index (a frame); and the fast check on clean data
never hides a problem.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from activity_data import (
    ACTIVITY,
    BAD,
    CODES,
    DATA,
    make_tariff,
    problems_by_line,
)
from hypothesis import given, settings, strategies as st

from careprofiles.activity.checks import check_activity, check_outcomes, check_rows, is_clean
from careprofiles.activity.costing import cost_activity
from careprofiles.activity.encoding import Prices, Rows
from careprofiles.activity.findings import MAX_LISTED, ActivityCodeError
from careprofiles.activity.records import read_activity, read_outcomes
from careprofiles.activity.summaries import reduce_activity
from careprofiles.errors import ActivityError, MissingCodeError, display_path
from careprofiles.profiles.load import load_pathway
from careprofiles.profiles.models import Pathway
from careprofiles.tariffs.tables import Tariff, TariffRow, load_tariff

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


def test_bad_rows_all_reported_with_file_and_line(tariff: Tariff, tiny: Pathway) -> None:
    with pytest.raises(ActivityError) as info:
        cost_activity(BAD, tariff, pathway=tiny)
    exc = info.value
    assert all(str(p.file).endswith("data/activity/bad-activity.csv") for p in exc.problems)
    found = problems_by_line(exc)
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


def test_minutes_column_missing_for_hourly_roles(tariff: Tariff) -> None:
    frame = pd.DataFrame(
        {"patient_id": ["a", "b"], "stage": ["s", "s"], "code": ["nurse", "meds-pack"]}
    )
    with pytest.raises(ActivityError) as info:
        cost_activity(frame, tariff)
    # the column is missing: one problem for the frame (issue 15), not one a row
    assert [(p.file, p.line, p.where, p.code) for p in info.value.problems] == [
        (None, None, "header", "missing-column")
    ]
    assert "1 row is priced per hour (the first: 'nurse')" in info.value.problems[0].message


def test_a_missing_column_is_one_problem_however_many_rows_need_it(
    tariff: Tariff, tiny: Pathway, tmp_path: Path
) -> None:
    """No minutes column in a file of 3,000 hourly rows: one problem at the header (line 1),
    counting the rows, not 3,000 'is empty' problems; the same for a missing area when
    benchmarking, and the same over Dask partitions. Rows with other problems are still
    listed one by one."""
    n = 3_000
    frame = pd.DataFrame(
        {
            "patient_id": [f"p{i}" for i in range(n)],
            "stage": ["decline"] * n,
            "code": ["meds-pack", *["nurse"] * (n - 1)],
        }
    )
    frame.loc[5, "stage"] = "nowhere"
    path = tmp_path / "no-minutes.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(ActivityError) as info:
        check_activity(path, tariff, tiny, need_area=True)
    problems = info.value.problems
    assert [(p.file, p.line, p.where, p.code) for p in problems] == [
        (display_path(path), 1, "header", "missing-column"),
        (display_path(path), 1, "header", "missing-column"),
        (display_path(path), 7, "stage", ""),
    ]
    assert "missing column minutes, but 2,999 rows are priced per hour" in problems[0].message
    assert "(the first: 'nurse')" in problems[0].message
    assert "missing column area" in problems[1].message
    assert "(3,000 rows)" in problems[1].message
    dd = pytest.importorskip("dask.dataframe")
    parts = dd.from_pandas(frame, npartitions=4)
    with pytest.raises(ActivityError) as info:
        check_activity(parts, tariff, tiny)
    [column, stage] = info.value.problems
    assert (column.where, column.code, stage.where) == ("header", "missing-column", "row 6, stage")
    assert "2,999 rows are priced per hour" in column.message


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


def test_outcomes_bad_rows(tiny: Pathway) -> None:
    with pytest.raises(ActivityError) as info:
        check_outcomes(DATA / "bad-outcomes.csv", tiny)
    found = problems_by_line(info.value)
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
        reduce_activity(ACTIVITY, tariff, tiny, len, sum, price_year="2024/25")
    assert "'gp' is priced in 2015/16, not in the pathway's 2024/25" in str(info.value)


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


# ----------------------------------------------------------------- Dask


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


def _rows_read(summary: pd.DataFrame) -> int:
    """Activity rows in a summary table (reduce_activity's ``reduce``)."""
    return int(summary["rows"].sum())


def test_dask_csv_reports_the_same_lines_as_pandas(
    dask_client: Any, tariff: Tariff, tiny: Pathway
) -> None:
    with pytest.raises(ActivityError) as pandas_error:
        check_activity(BAD, tariff, tiny)
    with pytest.raises(ActivityError) as dask_error:
        check_activity(read_activity(BAD, engine="dask"), tariff, tiny)
    assert str(dask_error.value) == str(pandas_error.value)
    rows = reduce_activity(
        read_activity(ACTIVITY, engine="dask"), tariff, tiny, _rows_read, sum
    ).value
    assert rows == 15


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
@given(messy_frames(), st.booleans(), st.booleans(), st.booleans())
def test_fast_check_never_hides_a_problem(
    frame: pd.DataFrame, with_pathway: bool, need_area: bool, price_year: bool
) -> None:
    """Whole-column reductions may pass rows on only if the row-level checks find nothing."""
    pathway = load_pathway(DATA / "pathway") if with_pathway else None
    tariff = make_tariff({**{c: (u, 1.0) for c, u in CODES.items()}, "meds-pack": ("item", 4.0)})
    if price_year:  # gp priced in another year than the one asked for
        tariff = Tariff({**tariff.rows, "gp": TariffRow("gp", "hour", 1.0, "2015/16")})
    prices = Prices.of(tariff, pathway, "2024/25" if price_year else None)
    full = check_rows(Rows(frame, prices), pathway, need_area, quick=False)
    problems = full[full["check"] != "__len__"]
    if is_clean(Rows(frame, prices), pathway, need_area):
        assert problems.empty, problems
    if problems.empty:  # and clean data goes through, whichever way it was checked
        cost_activity(frame, tariff, pathway=pathway)


# ------------------------------------------------------ found by the fuzz test (issue 16)


@pytest.mark.parametrize(
    "row",
    [
        "A,decline,nurse,1e308,",  # the cost overflows: infinite
        "A,decline,nurse,1e200,",  # finite, but its square in the audit is not
        "A,decline,meds-pack,,1e300",
        "A,decline,nurse,6.1e7,",  # over a million hours
    ],
)
def test_a_record_too_large_is_refused_at_its_line(
    tariff: Tariff, tmp_path: Path, row: str
) -> None:
    """A record whose cost, hours or quantity is implausibly large (past the
    ``MAX_RECORD_*`` limits) is refused at its line: numpy warned of the overflow and
    the audit gave an infinite cost, or an infinite spread of costs."""
    path = tmp_path / "big.csv"
    path.write_text(
        f"patient_id,stage,code,minutes,quantity\nB,decline,nurse,60,\n{row}\n", encoding="utf-8"
    )
    with pytest.raises(ActivityError) as info:
        cost_activity(path, tariff)
    (problem,) = info.value.problems
    assert (problem.line, problem.where, problem.code) == (3, "code", "overflow")


def test_records_at_the_limits_are_costed(tariff: Tariff, tmp_path: Path) -> None:
    path = tmp_path / "edge.csv"
    path.write_text(
        "patient_id,stage,code,minutes,quantity\nA,decline,nurse,6e6,\n", encoding="utf-8"
    )
    costed = cost_activity(path, tariff)
    assert costed["cost"].tolist() == [6e6 / 60 * 60]


def test_services_are_checked_by_their_codes(tariff: Tariff, tiny: Pathway) -> None:
    """Clean records with services pass the fast check (the service of a row is looked up
    by its stage's and its service's codes); one service in the wrong stage does not."""
    frame = read_activity(ACTIVITY)
    prices = Prices.of(tariff, tiny)
    assert "service" in frame.columns
    assert is_clean(Rows(frame, prices), tiny, False)
    other = next(
        v.id
        for stage in tiny.stages
        for v in stage.services
        if v.id not in {s.id for s in tiny.stage(str(frame["stage"].iloc[0])).services}
    )
    wrong = frame.astype({"service": object})
    wrong.loc[0, "service"] = other
    assert not is_clean(Rows(wrong, prices), tiny, False)
    with pytest.raises(ActivityError, match="is not a service of stage"):
        check_activity(wrong, tariff, tiny)


@pytest.mark.parametrize("with_services", [True, False])
def test_a_code_of_another_price_year_is_never_passed_by_the_fast_check(
    tiny: Pathway, with_services: bool
) -> None:
    rows = dict(load_tariff(DATA / "tariff.csv").rows)
    rows["gp"] = TariffRow("gp", "hour", 200.0, "2015/16", location="t.csv:4")
    prices = Prices.of(Tariff(rows), tiny, "2024/25")
    frame = read_activity(ACTIVITY)
    if not with_services:
        frame = frame.drop(columns="service")
    assert (frame["code"] == "gp").any()
    assert not is_clean(Rows(frame, prices), tiny, False)
    found = check_rows(Rows(frame, prices), tiny, False)
    assert "code_year" in set(found["check"])
