"""Reading activity and outcome records: CSV types, blank lines, headers, encodings,
Parquet, engines.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from activity_data import ACTIVITY, DATA

from careprofiles.activity.checks import check_activity, check_outcomes
from careprofiles.activity.costing import cost_activity
from careprofiles.activity.records import read_activity
from careprofiles.errors import ActivityError, MissingDependencyError
from careprofiles.profiles.models import Pathway
from careprofiles.tariffs.tables import Tariff, load_tariff


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


def test_header_problems(tariff: Tariff, tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_text("patient_id,stage,minuts,cost\np,s,1,2\n", encoding="utf-8")
    with pytest.raises(ActivityError) as info:
        read_activity(path)
    text = str(info.value)
    assert "h.csv:1: header: missing column code" in text
    assert "unknown column 'minuts'; did you mean 'minutes'?" in text
    assert "unknown column 'cost'" in text


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


def test_parquet_needs_pyarrow(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = tmp_path / "a.parquet"
    path.write_bytes(b"PAR1")
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    with pytest.raises(MissingDependencyError, match=r"careprofiles\[parquet\]"):
        read_activity(path)


def test_unknown_engine_and_input() -> None:
    with pytest.raises(ActivityError, match="engine 'spark' is not known"):
        read_activity(ACTIVITY, engine="spark")  # type: ignore[arg-type]
    with pytest.raises(ActivityError, match="not list"):
        cost_activity([1, 2], load_tariff(DATA / "tariff.csv"))
    with pytest.raises(ActivityError, match="no such file"):
        read_activity(DATA / "missing.csv")


def test_a_missing_column_has_its_code(tariff: Tariff, tiny: Pathway, tmp_path: Path) -> None:
    """Programs tell a missing column by ``Problem.code``, not by the message's wording."""
    path = tmp_path / "h.csv"
    path.write_text("patient_id,stage,minuts,minuts\np,s,1,2\n", encoding="utf-8")
    with pytest.raises(ActivityError) as info:
        read_activity(path)
    # missing code; 'minuts' unknown, and repeated: only the first has the code
    assert [p.code for p in info.value.problems] == ["missing-column", "", "", ""]
    frame = pd.DataFrame({"patient_id": ["p"], "code": ["gp"]})
    with pytest.raises(ActivityError) as info:
        check_activity(frame, tariff)
    assert [(p.where, p.code) for p in info.value.problems] == [("header", "missing-column")]
    outcomes = pd.DataFrame({"patient_id": ["p"], "outcome": ["plan-recorded"]})
    with pytest.raises(ActivityError) as info:
        check_outcomes(outcomes, tiny)
    assert [p.code for p in info.value.problems] == ["missing-column"]


# ------------------------------------------------------ found by the fuzz test (issue 16)


def test_a_header_with_a_carriage_return_is_read_or_refused(tmp_path: Path) -> None:
    """Lines ended by a carriage return alone are read (the header was given to the csv
    module as one line holding them, and a _csv.Error traceback came out); a header line
    the csv module cannot read (a name longer than its field limit) is a problem at line 1."""
    path = tmp_path / "cr.csv"
    path.write_bytes(b"patient_id,stage,code,minutes\rp,s,gp,1\rq,s,gp,2\r")
    assert read_activity(path)["minutes"].tolist() == [1.0, 2.0]
    path.write_bytes(b"patient_id,stage,code," + b"m" * 200_000 + b"\np,s,gp,1\n")
    with pytest.raises(ActivityError) as info:
        read_activity(path)
    (problem,) = info.value.problems
    assert (problem.file, problem.line) == (str(path), 1)


def test_a_ragged_row_is_one_line_of_message(tmp_path: Path) -> None:
    """pandas' error ends in a line break: the problem is still one line."""
    path = tmp_path / "ragged.csv"
    path.write_text("patient_id,stage,code,minutes\np,s,gp,1\np,s,gp,1,9\n", encoding="utf-8")
    with pytest.raises(ActivityError) as info:
        read_activity(path)
    (problem,) = info.value.problems
    assert problem.line == 3
    assert "\n" not in str(problem)
    assert str(info.value).count("\n") == 0
