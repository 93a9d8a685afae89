"""Tariff layers: the layers and the rows each replaced are recorded; the bundled national
tariff layered after a tariff of one's own warns (LayeringWarning, in Python and as a
``warning:`` line on the command line); ``"bundled"`` names the bundled files in Python
as on the command line; a tariff with a header and no rows is refused (issue 15)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest

import careprofiles
from careprofiles.cli import main
from careprofiles.errors import TariffError, display_path
from careprofiles.resources import bundled_index, bundled_tariff
from careprofiles.tariffs.layers import LayeringWarning
from careprofiles.tariffs.tables import load_price_index, load_tariff

BUNDLED_GP = 118.0
"""The bundled tariff's GP hour (profiles/tariffs/national-2024-25.csv line 2)."""


def _local(folder: Path, name: str = "local.csv") -> Path:
    """A local tariff: its own GP and district nurse prices, and a code of its own."""
    path = folder / name
    path.write_text(
        "code,unit,cost,price_year\n"
        "gp,hour,130,2024/25\n"
        "district-nurse,hour,61,2024/25\n"
        "local-only,item,5,2024/25\n",
        encoding="utf-8",
    )
    return path


def test_local_rows_over_the_bundled_tariff_are_recorded_without_a_warning(
    tmp_path: Path,
) -> None:
    local = _local(tmp_path)
    tariff = load_tariff("bundled", local)  # the test fails on any warning (filterwarnings)
    assert tariff["gp"].cost == 130
    assert [(layer.bundled, layer.name) for layer in tariff.layers] == [
        (True, "bundled national tariff 2024/25"),
        (False, "local.csv"),
    ]
    assert tariff.names == ("bundled national tariff 2024/25", "local.csv")
    assert tariff.layers[1].codes == ("gp", "district-nurse", "local-only")
    assert tariff.layers[0].source_name == "national-2024-25.csv"
    assert tariff.files == (display_path(bundled_tariff()), display_path(local))
    assert [(o.code, o.layer, o.replaced, o.national) for o in tariff.overrides] == [
        ("gp", 1, 0, False),
        ("district-nurse", 1, 0, False),
    ]
    gp = tariff.overrides[0]
    assert (gp.cost, gp.replaced_cost) == (130, BUNDLED_GP)
    assert gp.location == f"{display_path(local)}:2"
    assert gp.replaced_location.endswith("national-2024-25.csv:2")
    assert tariff.national_overrides == ()


def test_the_bundled_tariff_after_a_local_one_warns(tmp_path: Path) -> None:
    local = _local(tmp_path)
    with pytest.warns(LayeringWarning) as caught:
        tariff = load_tariff(local, "bundled")
    [warning] = caught
    text = str(warning.message)
    assert f"gp ({display_path(local)}:2), district-nurse ({display_path(local)}:3)" in text
    assert f"1. {display_path(local)} (3 rows), 2. the bundled tariff (" in text
    assert "give the bundled tariff first" in text
    assert "--tariff" not in text  # the library names no command-line options
    assert warning.filename == __file__  # pointed at the caller's line
    # the layering is still done as asked: the national price wins
    assert tariff["gp"].cost == BUNDLED_GP
    assert tariff["local-only"].cost == 5
    assert [(o.code, o.national) for o in tariff.national_overrides] == [
        ("gp", True),
        ("district-nurse", True),
    ]
    assert issubclass(careprofiles.LayeringWarning, UserWarning)
    assert careprofiles.LayeringWarning is LayeringWarning


def test_programs_can_filter_or_refuse_the_warning(tmp_path: Path) -> None:
    local = _local(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LayeringWarning)
        assert load_tariff(local, "bundled")["gp"].cost == BUNDLED_GP
    with warnings.catch_warnings():
        warnings.simplefilter("error", LayeringWarning)
        with pytest.raises(LayeringWarning):
            load_tariff(local, bundled_tariff())  # the bundled file by its path too


def test_only_national_prices_over_own_rows_warn(tmp_path: Path) -> None:
    """Two local files layered, or the bundled tariff given twice, replace rows as asked:
    recorded, no warning."""
    first, second = _local(tmp_path, "first.csv"), _local(tmp_path, "second.csv")
    tariff = load_tariff("bundled", first, second)
    assert [(o.code, o.layer, o.replaced) for o in tariff.overrides] == [
        ("gp", 1, 0),
        ("district-nurse", 1, 0),
        ("gp", 2, 1),
        ("district-nurse", 2, 1),
        ("local-only", 2, 1),
    ]
    assert not tariff.national_overrides
    twice = load_tariff("bundled", "bundled")
    assert len(twice.overrides) == len(twice)
    assert not twice.national_overrides
    # adjustments keep the record of the layers
    adjusted = tariff.with_market_forces(1.1)
    assert (adjusted.layers, adjusted.overrides) == (tariff.layers, tariff.overrides)


def test_the_command_line_prints_the_warning_and_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    _local(tmp_path)
    argv = ["cost", "--tariff", "local.csv", "--tariff", "bundled", "--format", "json"]
    assert main(argv) == 0  # a warning, not an error (and never a traceback)
    out, err = capsys.readouterr()
    [line] = err.splitlines()
    assert line.startswith("warning: the bundled national tariff, layered after a tariff")
    assert "gp (local.csv:2), district-nurse (local.csv:3)" in line
    assert "1. local.csv (3 rows), 2. the bundled tariff" in line
    assert line.endswith("(on the command line: --tariff bundled --tariff local.csv)")
    assert json.loads(out)["tariffs"] == ["local.csv", "bundled national tariff 2024/25"]
    # the order that keeps the local prices: no warning
    assert main(["cost", "--tariff", "bundled", "--tariff", "local.csv", "--format", "json"]) == 0
    assert capsys.readouterr().err == ""


def test_bundled_names_the_bundled_files_in_python(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert load_tariff("bundled") == load_tariff() == load_tariff(bundled_tariff())
    assert load_price_index("bundled").values == load_price_index().values
    assert load_price_index("bundled").values == load_price_index(bundled_index()).values
    # a file named 'bundled' in the working folder is read instead, as on the command line
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bundled").write_text("code,unit,cost,price_year\nx,item,1,2024/25\n", "utf-8")
    assert list(load_tariff("bundled")) == ["x"]
    # a Path is always a path
    with pytest.raises(TariffError):
        load_tariff(Path("bundled"), Path("nowhere.csv"))


@pytest.mark.parametrize(
    "text",
    [
        "code,unit,cost,price_year\n",
        "code,unit,cost,price_year\n\n\n",
        "code,description,unit,cost,price_year,source\n",
    ],
)
def test_a_tariff_with_a_header_and_no_rows_is_refused(tmp_path: Path, text: str) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text(text, encoding="utf-8")
    with pytest.raises(TariffError) as info:
        load_tariff("bundled", empty)
    [problem] = info.value.problems
    assert (problem.file, problem.line, problem.code) == (display_path(empty), None, "no-rows")
    assert "has a header and no rows" in problem.message


def test_an_empty_tariff_is_reported_with_the_other_files_problems(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("code,unit,cost,price_year\n", encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text("code,unit,cost,price_year\nnurse,hour,-1,2024/25\n", encoding="utf-8")
    with pytest.raises(TariffError) as info:
        load_tariff(empty, bad)
    assert [(Path(p.file or "").name, p.line, p.code) for p in info.value.problems] == [
        ("empty.csv", None, "no-rows"),
        ("bad.csv", 2, ""),
    ]
