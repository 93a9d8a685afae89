"""The one CSV reader: lines, header checks, problem codes, and the shared rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from careprofiles.errors import TariffError
from careprofiles.profiles.csvfiles import (
    ID_PATTERN,
    MAX_CSV_BYTES,
    CsvDialect,
    is_id,
    is_price_year,
    parse_number,
    price_year_problem,
    read_csv,
    read_csv_rows,
)
from careprofiles.profiles.models import Stage


def _write(tmp_path: Path, text: str, name: str = "f.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_rows_keep_the_line_they_start_on(tmp_path: Path) -> None:
    path = _write(tmp_path, 'a,b\n\n1," two\nlines"\n\n3,4\n5\n')
    table = read_csv(path, required=("a", "b"))
    assert table.readable
    assert table.has_columns
    assert (table.header, table.header_line) == (("a", "b"), 1)
    assert table.lines == [3, 6]
    assert table.records() == [(3, {"a": "1", "b": "two\nlines"}), (6, {"a": "3", "b": "4"})]
    [ragged] = table.row_problems
    assert (ragged.line, ragged.message) == (
        7,
        "1 fields, but the header has 2; quote any value that holds a comma",
    )


def test_header_problems_and_their_codes(tmp_path: Path) -> None:
    path = _write(tmp_path, "b,zz,b,c\n1,2,3,4\n")
    table = read_csv(path, required=("a", "b"), optional=("c",))
    got = [(p.line, p.where, p.message, p.code) for p in table.header_problems]
    assert got == [
        (1, "header", "missing column a; the header needs a, b", "missing-column"),
        (1, "header", "unknown column 'zz'; columns are a, b, c", ""),
        (1, "header", "column 'b' appears twice; keep one", "duplicate-id"),
    ]
    assert not table.has_columns
    _, rows, problems = read_csv_rows(path, required=("a", "b"), optional=("c",))
    assert (rows, problems) == ([], table.problems)  # no rows without their columns


def test_a_dialect_words_and_orders_its_own_problems(tmp_path: Path) -> None:
    dialect = CsvDialect(
        header_where="",
        missing="missing column{s} {missing}; the header needs {header}",
        lower_header=True,
        blank_lines_before_header=True,
        grouped=True,
    )
    path = _write(tmp_path, "\n\nB,zz,b,B\n1,2,3,4\n")
    table = read_csv(path, required=("a", "b", "c"), dialect=dialect)
    assert table.header_line == 3
    got = [(p.line, p.where, p.message) for p in table.header_problems]
    assert got == [
        (3, "", "column 'b' appears twice; keep one"),
        (3, "", "unknown column 'zz'; columns are a, b, c"),
        (3, "", "missing columns a, c; the header needs a,b,c"),
    ]


@pytest.mark.parametrize(
    ("content", "line", "message"),
    [
        (b"", None, "the file is empty; a test file starts with a header line"),
        (b"a\n\xa3\n", 2, "the file is not UTF-8 text; save it as UTF-8 (in Excel: 'CSV UTF-8')"),
        (
            b"a" * 200_000 + b"\n",
            1,
            "cannot read the header (field larger than field limit (131072))",
        ),
    ],
)
def test_unreadable_files(tmp_path: Path, content: bytes, line: int | None, message: str) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(content)
    table = read_csv(path, required=("a",), what="test file")
    assert not table.readable
    assert [(p.line, p.message) for p in table.problems] == [(line, message)]
    with pytest.raises(TariffError, match=r"f\.csv"):
        read_csv_rows(path, required=("a",), optional=())


def test_a_bad_line_keeps_the_rows_above_unless_the_dialect_stops(tmp_path: Path) -> None:
    path = _write(tmp_path, "a\n1\n" + "2" * 200_000 + "\n3\n")
    table = read_csv(path, required=("a",))
    assert table.readable
    assert table.rows == [["1"]]
    assert [(p.line, p.message) for p in table.row_problems] == [
        (3, "cannot read the line (field larger than field limit (131072))")
    ]
    stops = read_csv(path, required=("a",), dialect=CsvDialect(stop_at_bad_line=True))
    assert not stops.readable
    assert stops.rows == []
    strict = _write(tmp_path, 'a\n"1"2\n', "strict.csv")
    assert read_csv(strict, required=("a",)).rows == [["12"]]
    quotes = read_csv(strict, required=("a",), dialect=CsvDialect(strict_quotes=True))
    assert [p.message for p in quotes.row_problems] == [
        "cannot read the line (',' expected after '\"')"
    ]


def test_missing_folder_and_large_files(tmp_path: Path) -> None:
    what = "test file"
    assert read_csv(tmp_path / "no.csv", required=(), what=what).problems[0].message == (
        "no such file; check the path of this test file"
    )
    assert read_csv(tmp_path, required=(), what="assessment CSV").problems[0].message == (
        "is a folder; give the path of an assessment CSV"
    )
    big = tmp_path / "big.csv"
    with big.open("wb") as f:
        f.truncate(MAX_CSV_BYTES + 1)
    [problem] = read_csv(big, required=()).problems
    assert (
        problem.message == f"the file is {MAX_CSV_BYTES + 1:,} bytes; more than 52,428,800 allowed"
    )


def test_ids_years_and_numbers() -> None:
    assert all(is_id(t) for t in ("district-nurse", "a1"))
    assert not any(is_id(t) for t in ("", "A", "a--b", "-a", "a-", "a b", "a_b"))
    # the YAML files' ids are the same pattern
    schema = Stage.model_json_schema()
    assert schema["properties"]["id"]["pattern"] == ID_PATTERN
    assert all(is_price_year(t) for t in ("2024/25", "1999/00"))
    assert not any(is_price_year(t) for t in ("2024/26", "2024-25", "24/25", "2024/25 "))
    assert price_year_problem("2024/25") is None
    assert price_year_problem("2024/26") == "'2024/26' is not a financial year; write it as 2024/25"
    assert parse_number("12.5") == 12.5
    assert parse_number("") == "is empty; give a number"
    assert parse_number("£1,000") == (
        "'£1,000' is not a number; write it without '£' or thousands separators, e.g. 1234.50"
    )
    assert parse_number("inf") == "'inf' is not a finite number"
