"""No formula injection, no float noise: the CSV files and workbooks careprofiles writes.

A hostile-names profile (stage, service, outcome and pathway names and descriptions,
tariff descriptions and sources, a scenario's name, activity areas, all written as
formulas) is written by every command that writes xlsx or CSV (``standards`` writes
neither): no workbook cell is a formula, every name reads back exactly, no CSV cell begins
with a character a spreadsheet evaluates unless it is a number, and negative amounts stay
numbers. The rules are in docs/cli.md ("CSV files and workbooks are safe to open").
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import make_stage
from hypothesis import given, settings, strategies as st

from careprofiles.cli import main
from careprofiles.outputs.sheets import (
    FORMULA_START,
    SIGNIFICANT_DIGITS,
    csv_safe,
    csv_text,
    round_figures,
    string_cells,
    workbook_frame,
)
from careprofiles.outputs.tables import write_xlsx

LINK = '=HYPERLINK("http://x","click")'
SUM = "=1+2"
AT = "@SUM(1+1)"
PLUS = "+1"
MINUS = "-1+2"
TAB = "\tTab name"
CR = "\rCR name"
HOSTILE = (LINK, SUM, AT, PLUS, MINUS, TAB, CR)

AREAS = ("=2+3", "@AREA(1)", "-2+3")
"""Hostile area names in the activity records (benchmark's rows)."""


@pytest.fixture(scope="module")
def hostile(
    tmp_path_factory: pytest.TempPathFactory,
    write_pathway: Callable[..., Path],
    write_tariff: Callable[..., Path],
) -> Path:
    """A folder holding ``pathway/`` (every name and description a formula),
    ``tariff.csv`` (descriptions and sources too), ``scenarios.yaml``, activity and
    outcome records and populations with formula areas."""
    folder = tmp_path_factory.mktemp("hostile")
    stage = make_stage(
        id="decline",
        name=CR,
        duration_weeks=4,
        services=[
            {
                "id": "visits",
                "name": SUM,
                "description": AT,
                "setting": "home",
                # 1.001 x 4 weeks = 4.004 contacts of an hour at £60: £240.24
                # (4.004 x 60 is 240.23999999999998 in binary floating point)
                "contacts": {"per_week": 1.001, "minutes": 60},
                "staff": [{"role": "nurse"}],
            },
            {
                "id": "meds",
                "name": PLUS,
                "description": MINUS,
                "setting": "home",
                "items": [
                    {
                        "code": "meds-pack",
                        "quantity": {"dist": "triangular", "low": 0.5, "mode": 1, "high": 2},
                    }
                ],
            },
            {
                "id": "calls",
                "name": TAB,
                "setting": "telephone",
                "contacts": {"per_stage": 1, "minutes": 30},
                "staff": [{"role": "nurse"}],
            },
        ],
        outcomes=[{"id": "plan", "name": TAB, "measure": CR, "target": 0.8, "direction": "higher"}],
    )
    write_pathway(
        folder / "pathway",
        stages=[stage],
        header={"name": MINUS, "description": LINK},
    )
    # a tariff's cells are read without their leading and trailing spaces: no tab or CR
    write_tariff(
        folder,
        [
            {"code": "nurse", "unit": "hour", "cost": 60, "description": LINK, "source": MINUS},
            {"code": "meds-pack", "unit": "item", "cost": 40, "description": AT, "source": LINK},
        ],
    )
    scenarios = {
        "format": "careprofiles/1",
        "scenarios": [
            {
                "id": "fewer",
                "name": LINK,
                "description": SUM,
                "changes": [{"scale": "decline/visits/uptake", "by": 0.5}],
            }
        ],
    }
    (folder / "scenarios.yaml").write_text(yaml.safe_dump(scenarios), encoding="utf-8")
    rows = [
        ["patient_id", "stage", "service", "code", "minutes", "quantity", "area", "date"],
        ["a", "decline", "visits", "nurse", "60", "", AREAS[0], "2024-04-01"],
        ["b", "decline", "visits", "nurse", "60", "", AREAS[1], "2024-04-01"],
        ["c", "decline", "meds", "meds-pack", "", "1", AREAS[2], "2024-04-01"],
    ]
    _write_csv(folder / "activity.csv", rows)
    outcomes = [["patient_id", "outcome", "value", "area"], ["a", "plan", "1", ""]]
    outcomes += [["b", "plan", "0", ""], ["c", "plan", "1", ""]]
    _write_csv(folder / "outcomes.csv", outcomes)
    populations = [["area", "population"]] + [[a, "1000"] for a in AREAS]
    _write_csv(folder / "populations.csv", populations)
    return folder


def _write_csv(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)


def _argv(folder: Path, command: str) -> list[str]:
    """The arguments of ``command`` on the hostile profile."""
    pathway, tariff = str(folder / "pathway"), str(folder / "tariff.csv")
    base = [command, pathway, "--tariff", tariff]
    if command == "compare":
        return [*base, "--scenarios", str(folder / "scenarios.yaml")]
    if command == "simulate":
        return [*base, "--draws", "20", "--seed", "1"]
    records = ["--activity", str(folder / "activity.csv")]
    records += ["--outcomes", str(folder / "outcomes.csv")]
    if command == "audit":
        return [*base, *records]
    if command == "benchmark":
        return [*base, *records, "--populations", str(folder / "populations.csv")]
    return base


def _write(folder: Path, command: str, ext: str, capsys: pytest.CaptureFixture[str]) -> Path:
    target = folder / f"{command}.{ext}"
    status = main([*_argv(folder, command), "-o", str(target), "--force"])
    _, err = capsys.readouterr()
    assert status == 0, err
    return target


# ---------------------------------------------------------------- workbooks

XLSX_TEXTS = {
    # the text each command's workbook must show, exactly as written
    "cost": {LINK, SUM, AT, PLUS, MINUS, TAB, CR},
    "compare": {LINK, CR},
    "audit": {CR, TAB, SUM, PLUS},
}


@pytest.mark.parametrize("command", sorted(XLSX_TEXTS))
def test_workbooks_hold_no_formula_and_every_name_as_written(
    hostile: Path, command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.load_workbook(_write(hostile, command, "xlsx", capsys))
    texts = set()
    for sheet in book:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate}: {cell.value!r}"
                if isinstance(cell.value, str):
                    assert cell.data_type == "s"
                    texts.add(cell.value)
    assert XLSX_TEXTS[command] <= texts
    # and none changed: every text that begins like a formula is a name as written
    assert {t for t in texts if t[:1] in tuple(FORMULA_START)} <= set(HOSTILE)


def test_a_workbook_reads_back_the_names_with_pandas(
    hostile: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("openpyxl")
    sheets = pd.read_excel(_write(hostile, "cost", "xlsx", capsys), sheet_name=None)
    lines = sheets["lines"]
    assert set(lines["service_name"]) == {SUM, PLUS, TAB}
    assert set(lines["stage_name"]) == {CR}
    assert set(sheets["tariff"]["description"]) == {LINK, AT}
    assert (lines["cost_per_patient"] > 0).all()  # numbers are numbers


def test_write_xlsx_makes_text_strings_and_numbers_numbers(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    frame = pd.DataFrame(
        {
            "=header": ["=A1*2", "plain", None],
            "mixed": [SUM, -12.5, 3],
            "kind": pd.Categorical([LINK, "x", LINK]),
            "amount": [-12.5, 0.0, 1.5],
        }
    )
    path = tmp_path / "w.xlsx"
    write_xlsx({"data": frame})(path)
    sheet = openpyxl.load_workbook(path)["data"]
    rows = [[(c.value, c.data_type) for c in row] for row in sheet.iter_rows()]
    assert rows[0][0] == ("=header", "s")
    assert rows[1][0] == ("=A1*2", "s")
    assert rows[1][1] == (SUM, "s")
    assert rows[2][1] == (-12.5, "n")
    assert rows[3][1] == (3, "n")
    assert [r[2] for r in rows[1:]] == [(LINK, "s"), ("x", "s"), (LINK, "s")]
    assert [r[3] for r in rows[1:]] == [(-12.5, "n"), (0, "n"), (1.5, "n")]


def test_characters_a_workbook_cannot_hold_are_replaced_not_a_traceback(
    tmp_path: Path,
) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    frame = pd.DataFrame(
        {"na\x01me": ["a\x01b", "tab\tcr\rlf\n"], "c": pd.Categorical(["\x1f=", "x"])}
    )
    fixed = workbook_frame(frame)
    assert list(fixed.columns) == ["na\ufffdme", "c"]
    assert list(frame.columns) == ["na\x01me", "c"]  # the frame given is not changed
    path = tmp_path / "w.xlsx"
    write_xlsx({"s": frame})(path)
    values = [[c.value for c in row] for row in openpyxl.load_workbook(path)["s"].iter_rows()]
    assert values == [["na\ufffdme", "c"], ["a\ufffdb", "\ufffd="], ["tab\tcr\rlf\n", "x"]]
    plain = pd.DataFrame({"a": ["x"], "b": [1.0]})
    assert workbook_frame(plain) is plain


def test_string_cells_turns_formulas_back_into_text() -> None:
    openpyxl = pytest.importorskip("openpyxl")
    frame = pd.DataFrame({"a": [1.0, SUM], "=b": [LINK, "x"]})
    sheet = openpyxl.Workbook().active
    sheet.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        sheet.append(list(row))
    assert sheet["B1"].data_type == "f"  # openpyxl's own reading of '=...'
    string_cells(sheet, frame)
    assert [[c.data_type for c in row] for row in sheet.iter_rows()] == [
        ["s", "s"],
        ["n", "s"],
        ["s", "s"],
    ]


# ---------------------------------------------------------------- CSV

CSV_TEXTS = {
    # the text each command's CSV must show (quoted, as a spreadsheet shows it as text)
    "cost": {LINK, SUM, AT, PLUS, MINUS, TAB, CR},
    "compare": {LINK},
    "simulate": set(),
    "sensitivity": set(),
    "audit": {TAB, SUM, PLUS},
    "benchmark": set(AREAS),
}


def _cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def _read(path: Path) -> str:
    """The text of ``path`` with its line ends as written (a CR in a cell kept)."""
    with path.open(encoding="utf-8", newline="") as f:
        return f.read()


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("command", sorted(CSV_TEXTS))
def test_csv_has_no_cell_a_spreadsheet_would_evaluate(
    hostile: Path, command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = _cells(_read(_write(hostile, command, "csv", capsys)))
    assert len(rows) > 1
    cells = [c for row in rows for c in row]
    for cell in cells:
        if cell[:1] in tuple(FORMULA_START):
            assert _is_number(cell), repr(cell)
    assert {"'" + t for t in CSV_TEXTS[command]} <= set(cells)


def test_negative_amounts_stay_numbers(hostile: Path, capsys: pytest.CaptureFixture[str]) -> None:
    compare = csv.DictReader(io.StringIO(_read(_write(hostile, "compare", "csv", capsys))))
    fewer = {r["id"]: r for r in compare}["fewer"]
    # half the visits: -£240.24 x 0.5 = -£120.12 a patient, x 100 patients = -£12,012
    assert fewer["delta_per_patient"] == "-120.12"
    assert fewer["delta_total"] == "-12012.0"
    assert fewer["name"] == "'" + LINK
    audit = csv.DictReader(io.StringIO(_read(_write(hostile, "audit", "csv", capsys))))
    differences = [float(r["cost_difference_per_patient"]) for r in audit]
    assert min(differences) < 0


def test_csv_figures_are_what_they_mean(hostile: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = _read(_write(hostile, "cost", "csv", capsys))
    visits = next(r for r in csv.DictReader(io.StringIO(text)) if r["service"] == "visits")
    # 1.001 a week x 4 weeks = 4.004 contacts, 4.004 hours x £60 = £240.24
    assert visits["contacts"] == "4.004"
    assert visits["hours"] == "4.004"
    assert visits["cost_per_patient"] == "240.24"
    assert visits["cost_population"] == "24024.0"
    assert "240.23999999999998" not in text
    assert 4.004 * 60 == 240.23999999999998  # the noise the CSV no longer shows


def test_csv_text_quotes_text_and_rounds_floats() -> None:
    noisy = 1.0010000000000001
    assert noisy != 1.001
    frame = pd.DataFrame(
        {
            "=name": [SUM, "plain", None, "'=already", -3.5],
            "amount": [-12.5, noisy, float("nan"), 0.1 + 0.2, -0.0],
            "count": [1, -2, 3, 4, 5],
            "flag": [True, False, True, False, True],
            "kind": pd.Categorical([AT, "x", AT, "x", "x"]),
        }
    )
    assert csv_text(frame) == (
        "'=name,amount,count,flag,kind\n"
        "'=1+2,-12.5,1,True,'@SUM(1+1)\n"
        "plain,1.001,-2,False,x\n"
        ",,3,True,'@SUM(1+1)\n"
        "''=already,0.3,4,False,x\n"
        "-3.5,0.0,5,True,x\n"
    )
    assert frame.loc[0, "=name"] == SUM  # the frame given is not changed
    assert frame.loc[1, "amount"] == noisy


@pytest.mark.parametrize(
    ("text", "safe"),
    [
        (LINK, "'" + LINK),
        (SUM, "'=1+2"),
        (AT, "'@SUM(1+1)"),
        (PLUS, "'+1"),
        (MINUS, "'-1+2"),
        (TAB, "'\tTab name"),
        (CR, "'\rCR name"),
        ("'=x", "''=x"),
        ("''+x", "'''+x"),
        ("'quoted", "'quoted"),
        (" =x", " =x"),
        ("a=b", "a=b"),
        ("", ""),
        ("\n=x", "\n=x"),
    ],
)
def test_csv_safe(text: str, safe: str) -> None:
    assert csv_safe(text) == safe


_UNQUOTE = re.compile("^'(?='*[" + re.escape(FORMULA_START) + "])")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=8) | st.none(), min_size=1, max_size=6))
def test_quoting_can_be_undone_and_leaves_nothing_to_evaluate(texts: list[str | None]) -> None:
    rows = _cells(csv_text(pd.DataFrame({"t": pd.Series(texts, dtype=object)})))
    assert rows[0] == ["t"]
    cells = [row[0] if row else "" for row in rows[1:]]
    assert len(cells) == len(texts)
    for cell, text in zip(cells, texts, strict=True):
        assert cell[:1] not in tuple(FORMULA_START)
        assert _UNQUOTE.sub("", cell, count=1) == (text or "")


def test_round_figures_by_hand() -> None:
    got = round_figures(
        [1.0010000000000001, 240.23999999999998, 0.1 + 0.2, -12.5, 123456789012345.0, 0.0]
    )
    assert got.tolist() == [1.001, 240.24, 0.3, -12.5, 123456789012000.0, 0.0]
    special = round_figures([float("nan"), float("inf"), -float("inf"), -0.0, 1e-300])
    assert math.isnan(special[0])
    assert special[1:3].tolist() == [float("inf"), -float("inf")]
    assert special[3] == 0
    assert math.copysign(1, special[3]) == 1  # no negative zero
    assert special[4] == 1e-300  # too small for an exact power of ten: as it is
    assert round_figures([]).shape == (0,)


@settings(max_examples=300, deadline=None)
@given(
    st.floats(min_value=1e-9, max_value=1e30, allow_nan=False)
    | st.floats(min_value=-1e30, max_value=-1e-9, allow_nan=False)
)
def test_round_figures_keeps_twelve_digits(x: float) -> None:
    [r] = round_figures(np.array([x])).tolist()
    assert abs(r - x) <= abs(x) * 10.0 ** (1 - SIGNIFICANT_DIGITS)
    assert float(f"{r:.{SIGNIFICANT_DIGITS}g}") == r  # writes as at most 12 digits
    assert float(f"{x:.{SIGNIFICANT_DIGITS}g}") == pytest.approx(r, rel=1e-15, abs=0)


def test_round_figures_is_vectorised_and_shaped_like_its_input() -> None:
    values = np.linspace(-1e6, 1e6, 100_001) / 3
    got = round_figures(values)
    assert got.shape == values.shape
    assert np.allclose(got, values, rtol=1e-11, atol=0)


def test_a_carriage_return_stays_inside_its_cell() -> None:
    # Python's csv writer quotes a CR only when the line ending holds one
    assert csv_text(pd.DataFrame({"a": ["x\ry", "z"], "b": [1, 2]})) == (
        'a,b\r\n"x\ry",1\r\nz,2\r\n'
    )
    assert _cells(csv_text(pd.DataFrame({"a": pd.Categorical([CR])}))) == [["a"], ["'" + CR]]
    assert csv_text(pd.DataFrame({"a\rb": [1]})) == '"a\rb"\r\n1\r\n'
    assert csv_text(pd.DataFrame({"a": ["x\ny"]})) == 'a\n"x\ny"\n'  # as before


@pytest.mark.parametrize(
    ("writer", "pattern"),
    [
        ("sheets.py", r"\.to_csv\(|csv\.writer|csv\.DictWriter"),
        ("tables.py", r"\.to_excel\(|ExcelWriter|openpyxl\.Workbook|Workbook\("),
    ],
)
def test_every_command_writes_through_the_one_writer(writer: str, pattern: str) -> None:
    """Only outputs/sheets.py writes CSV, only outputs/tables.py (write_xlsx) workbooks."""
    package = Path(__file__).resolve().parents[2] / "careprofiles"
    offenders = [
        str(p.relative_to(package))
        for p in package.rglob("*.py")
        if p.relative_to(package) != Path("outputs", writer)
        and re.search(pattern, p.read_text("utf-8"))
    ]
    assert offenders == []
