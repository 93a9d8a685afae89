"""Tariff CSVs and price indices: layering, adjustments, and every kind of bad file."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from pathlib import Path

import pytest

from careprofiles.errors import CareProfilesError, Problem, TariffError, display_path
from careprofiles.profiles.units import DEFAULT_HOURS_PER_WTE
from careprofiles.tariffs.tables import (
    PriceIndex,
    Tariff,
    TariffRow,
    load_price_index,
    load_tariff,
)

HEADER = "code,description,unit,cost,price_year,source\n"


def _tariff(tmp_path: Path, text: str, name: str = "t.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _problems(path: Path | list[Path]) -> list[tuple[str, int | None, str, str]]:
    paths = path if isinstance(path, list) else [path]
    with pytest.raises(TariffError) as info:
        load_tariff(*paths)
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, CareProfilesError)
    return [(p.file or "", p.line, p.where, p.message) for p in info.value.problems]


def _errors(path: Path) -> tuple[Problem, ...]:
    with pytest.raises(TariffError) as info:
        load_tariff(path)
    return info.value.problems


def test_repeated_codes_and_years_are_duplicate_ids(tmp_path: Path) -> None:
    codes = _tariff(
        tmp_path, "code,unit,cost,price_year\nnurse,hour,1,2024/25\nnurse,hour,2,2024/25\n"
    )
    [problem] = _errors(codes)
    assert (problem.line, problem.where, problem.code) == (3, "code", "duplicate-id")
    years = _tariff(tmp_path, "price_year,index\n2024/25,1\n2024/25,2\n", "index.csv")
    with pytest.raises(TariffError) as info:
        load_price_index(years)
    assert [(p.line, p.code) for p in info.value.problems] == [(3, "duplicate-id")]
    with pytest.raises(TariffError) as info:
        load_price_index(_tariff(tmp_path, "year,index\n2024/25,1\n", "wrong.csv"))
    assert [p.code for p in info.value.problems] == ["missing-column", ""]


def test_bundled_tariff(default_tariff: Tariff) -> None:
    assert len(default_tariff) >= 15
    nurse = default_tariff["district-nurse"]
    assert nurse.unit == "hour"
    assert nurse.cost == nurse.original_cost == 58
    assert nurse.price_year == "2024/25"
    assert nurse.hours_per_wte == 1545
    assert nurse.location.endswith("national-2024-25.csv:3")
    # a blank hours_per_wte is the default; the GP's is derived from PSSRU 2024
    assert default_tariff["palliative-consultant"].hours_per_wte == DEFAULT_HOURS_PER_WTE
    assert default_tariff["gp"].hours_per_wte == 2060
    assert nurse.adjustments == ()
    frame = default_tariff.to_frame()
    assert frame.loc["district-nurse", "cost"] == 58
    assert set(frame.columns) >= {"unit", "cost", "price_year", "source", "location"}


def test_rows_keep_their_text(tmp_path: Path) -> None:
    path = _tariff(
        tmp_path,
        HEADER + 'nurse,"Nurse, band 6",hour,58.5,2024/25,"PSSRU 2024, table 8"\n',
    )
    row = load_tariff(path)["nurse"]
    assert row.description == "Nurse, band 6"
    assert row.source == "PSSRU 2024, table 8"
    assert row.cost == 58.5
    assert row.location == f"{display_path(path)}:2"


def test_later_files_win(tmp_path: Path) -> None:
    national = _tariff(
        tmp_path, HEADER + "nurse,,hour,58,2024/25,\ngp,,hour,268,2024/25,\n", "national.csv"
    )
    local = _tariff(tmp_path, "code,unit,cost,price_year\nnurse,hour,61,2024/25\n", "local.csv")
    tariff = load_tariff(national, local)
    assert tariff["nurse"].cost == 61
    assert tariff["nurse"].location == f"{display_path(local)}:2"
    assert tariff["gp"].cost == 268
    assert tariff.files == (display_path(national), display_path(local))
    assert load_tariff(local, national)["nurse"].cost == 58


def test_blank_lines_and_bom_and_multiline_values(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    text = HEADER + '\nnurse,"a\nlong description",hour,58,2024/25,\n\ngp,,hour,-1,2024/25,\n'
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    # the bad row starts on line 6: header 1, blank 2, a two-line row 3-4, blank 5
    assert [p[1] for p in _problems(path)] == [6]


def test_every_problem_in_every_file_at_once(tmp_path: Path) -> None:
    a = _tariff(
        tmp_path,
        HEADER
        + "nurse,,hours,58,2024/25,\n"  # 2: unit
        + "gp,,hour,£268,2024/25,\n"  # 3: cost with a pound sign
        + "hca,,hour,-3,2024/25,\n"  # 4: negative
        + "pack,,item,,2024/25,\n"  # 5: empty cost
        + "bed,,day,nan,2024/25,\n"  # 6: not finite
        + "nurse,,hour,58,2024/25,\n"  # 7: duplicate code
        + "day,,day,1,2024-25,\n"  # 8: price year
        + "Bad Code,,day,1,2024/25,\n"  # 9: code
        + "pump,,week,1,2024/25\n",  # 10: too few fields
        "a.csv",
    )
    b = _tariff(
        tmp_path, "code,unit,cost,price_year,hours_per_wte\nnurse,hour,1,2024/25,0\n", "b.csv"
    )
    got = _problems([a, b])
    shown_a, shown_b = display_path(a), display_path(b)
    expected = [
        (shown_a, 2, "unit", "'hours' is not a unit; use one of hour, contact, day, week, item"),
        (shown_a, 3, "cost", "write it without '£' or thousands separators"),
        (shown_a, 4, "cost", "-3 is negative"),
        (shown_a, 5, "cost", "is empty; give a number"),
        (shown_a, 6, "cost", "'nan' is not a finite number"),
        (shown_a, 7, "code", "'nurse' is also on line 2; codes are unique within a file"),
        (shown_a, 8, "price_year", "'2024-25' is not a financial year"),
        (shown_a, 9, "code", "'Bad Code' is not a valid code"),
        (shown_a, 10, "", "5 fields, but the header has 6"),
        (shown_b, 2, "hours_per_wte", "0 must be above 0"),
    ]
    assert len(got) == len(expected), got
    for (file, line, where, message), (efile, eline, ewhere, fragment) in zip(
        sorted(got, key=lambda p: (p[0], p[1] or 0)), expected, strict=True
    ):
        assert (file, line, where) == (efile, eline, ewhere), message
        assert fragment in message
    assert "did you mean 'hour'?" in next(m for f, line, _, m in got if line == 2 and f == shown_a)


def test_header_problems(tmp_path: Path) -> None:
    missing = _tariff(tmp_path, "code,unit,price\nnurse,hour,58\n", "missing.csv")
    got = _problems(missing)
    assert any(
        line == 1 and "missing column cost, price_year" in message for _, line, _, message in got
    )
    assert any("unknown column 'price'; did you mean 'price_year'?" in m for *_, m in got)
    repeated = _tariff(
        tmp_path, "code,unit,cost,cost,price_year\nnurse,hour,1,2,2024/25\n", "repeated.csv"
    )
    assert any("column 'cost' appears twice" in m for *_, m in _problems(repeated))
    # what kind of problem each is, for programs: a missing column stops the rows being read
    assert [p.code for p in _errors(missing)] == ["missing-column", ""]
    assert [p.code for p in _errors(repeated)] == ["duplicate-id"]
    unknown = _tariff(
        tmp_path, "code,unit,cost,price_year,colour\nnurse,hour,1,2024/25,red\n", "u.csv"
    )
    [(_, line, where, message)] = _problems(unknown)
    assert (line, where) == (1, "header")
    assert "unknown column 'colour'" in message


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"", "the file is empty"),
        (b"code,unit,cost,price_year\nnurse,hour,5,2024/25,\xa3\n", "not UTF-8"),
    ],
)
def test_unreadable_files(tmp_path: Path, content: bytes, fragment: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    assert fragment in _problems(path)[0][3]


def test_missing_file_and_folder(tmp_path: Path) -> None:
    assert "no such file" in _problems(tmp_path / "none.csv")[0][3]
    assert "is a folder" in _problems(tmp_path)[0][3]


def test_market_forces_column(tmp_path: Path) -> None:
    path = _tariff(
        tmp_path,
        "code,unit,cost,price_year,market_forces\nnurse,hour,50,2024/25,1.1\ngp,hour,200,2024/25,\n",
    )
    tariff = load_tariff(path)
    assert tariff["nurse"].cost == pytest.approx(55)
    assert tariff["nurse"].original_cost == 50
    # adjustments go into documents: the file by its name (issue 15)
    assert tariff["nurse"].adjustments == ("market forces x1.1 (t.csv:2)",)
    assert tariff["nurse"].location == f"{display_path(path)}:2"  # messages keep the path
    assert tariff["gp"].cost == 200
    bad = _tariff(
        tmp_path, "code,unit,cost,price_year,market_forces\nx,hour,1,2024/25,0\n", "b.csv"
    )
    assert "must be above 0" in _problems(bad)[0][3]


def test_with_market_forces_records_the_adjustment(default_tariff: Tariff) -> None:
    adjusted = default_tariff.with_market_forces(1.05)
    for code, row in adjusted.items():
        assert row.cost == pytest.approx(default_tariff[code].cost * 1.05)
        assert row.adjustments[-1] == "market forces x1.05"
    assert default_tariff["gp"].adjustments == ()  # the original is unchanged


def test_in_price_year(tmp_path: Path) -> None:
    path = _tariff(
        tmp_path, HEADER + "old,,hour,100,2022/23,\nnew,,hour,100,2024/25,\n", "years.csv"
    )
    tariff = load_tariff(path)
    with pytest.raises(TariffError) as info:
        tariff.in_price_year("2024/25")
    [problem] = info.value.problems
    assert (problem.line, problem.where) == (2, "old")
    assert "price year 2022/23 differs from the pathway's 2024/25" in problem.message
    index = PriceIndex({"2022/23": 80.0, "2024/25": 100.0}, "index.csv")
    uplifted = tariff.in_price_year("2024/25", index)
    assert uplifted["old"].cost == pytest.approx(125)
    assert uplifted["old"].price_year == "2024/25"
    assert uplifted["old"].original_price_year == "2022/23"
    assert uplifted["old"].adjustments == ("uplifted 2022/23 to 2024/25 x1.25 (index.csv)",)
    assert uplifted["new"] is tariff["new"]
    assert index.factor("2022/23", "2024/25") == pytest.approx(1.25)
    # only the codes asked about are checked
    assert tariff.in_price_year("2024/25", codes=["new"])["old"].cost == 100


def test_bundled_price_index(bundled_index_file: Path) -> None:
    index = load_price_index()
    assert index.values["2024/25"] == 100
    assert index.factor("2015/16", "2024/25") == pytest.approx(100 / 77.524)
    assert all(index.sources[year] for year in index.values)
    years = sorted(index.values)
    assert all(index.values[a] < index.values[b] for a, b in itertools.pairwise(years))
    assert load_price_index(bundled_index_file).values == index.values


def test_bad_price_index(tmp_path: Path) -> None:
    path = tmp_path / "index.csv"
    path.write_text(
        "price_year,index\n2023/24,96\n2023/24,97\n2024/26,100\n2024/25,0\n2025/26,x\n",
        encoding="utf-8",
    )
    with pytest.raises(TariffError) as info:
        load_price_index(path)
    got = [(p.line, p.where) for p in info.value.problems]
    assert got == [(3, "price_year"), (4, "price_year"), (5, "index"), (6, "index")]
    empty = tmp_path / "empty.csv"
    empty.write_text("price_year,index\n", encoding="utf-8")
    with pytest.raises(TariffError, match="the index has no rows"):
        load_price_index(empty)
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("year,value\n2024/25,100\n", encoding="utf-8")
    with pytest.raises(TariffError, match="missing column price_year, index"):
        load_price_index(wrong)


def test_tariff_is_a_read_only_mapping(default_tariff: Tariff) -> None:
    assert "gp" in default_tariff
    assert "nobody" not in default_tariff
    assert default_tariff.suggest("district-nurses") == "; did you mean 'district-nurse'?"
    assert default_tariff.suggest("zzzz") == ""
    row = TariffRow("gp", "hour", 1.0, "2024/25")
    replaced = default_tariff.replace_rows({"gp": row})
    assert replaced["gp"] is row
    assert default_tariff["gp"].cost == 118
    assert math.isnan(row.original_cost)


def test_rows_are_frozen(default_tariff: Tariff) -> None:
    import dataclasses

    with pytest.raises(dataclasses.FrozenInstanceError):
        default_tariff["gp"].cost = 0  # type: ignore[misc]


def test_write_tariff_fixture_round_trip(tmp_path: Path, write_tariff: Callable[..., Path]) -> None:
    path = write_tariff(tmp_path, [{"code": "nurse", "unit": "hour", "cost": 60}])
    assert load_tariff(path)["nurse"].cost == 60


def test_a_tariff_of_many_bad_rows_lists_fifty_problems_and_counts_the_rest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 16: 1.4 million bad rows printed 2.8 million problems. Every problem stays in
    ``problems`` (for programs); the text lists MAX_LISTED and counts the rest."""
    from careprofiles.cli import main
    from careprofiles.errors import MAX_LISTED

    rows = "".join(f"c{n},x,day,-{n},2024/25,\n" for n in range(1, 1001))  # 1,000 bad costs
    path = _tariff(tmp_path, HEADER + rows)
    with pytest.raises(TariffError) as info:
        load_tariff(path)
    problems = info.value.problems
    assert len(problems) == 1000
    assert [p.line for p in problems] == list(range(2, 1002))
    lines = str(info.value).splitlines()
    assert lines[0] == "1,000 problems:"
    assert lines[1 : MAX_LISTED + 1] == [f"  {p}" for p in problems[:MAX_LISTED]]
    assert len(lines) == MAX_LISTED + 2
    assert lines[-1].startswith(f"  and {1000 - MAX_LISTED:,} more problems, not listed; ")
    assert main(["cost", "--tariff", str(path)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == lines
