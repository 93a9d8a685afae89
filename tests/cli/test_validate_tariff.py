"""``validate --tariff``: the pathway checked against a tariff as ``cost`` checks it (issue
15: ``validate`` accepted a staff role priced per day that ``cost`` then refused)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import line_of, make_service, make_stage

from careprofiles.cli import main
from careprofiles.errors import display_path


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(argv)
    out, err = capsys.readouterr()
    return status, out, err


def test_without_a_tariff_validate_says_it_did_not_check_one(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, out, err = _run(["validate"], capsys)
    assert (status, err) == (0, "")
    assert out.splitlines()[-1].startswith("tariff    not checked; give --tariff FILE")


def test_the_bundled_pathway_against_the_bundled_tariff(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, out, err = _run(["validate", "--tariff", "bundled"], capsys)
    assert (status, err) == (0, "")
    assert out.splitlines()[-1].startswith(
        "tariff    bundled national tariff 2024/25: every code priced as cost prices it"
    )


@pytest.mark.parametrize(
    ("row", "fragment"),
    [
        ("nurse,day,300,2024/25", "role 'nurse' is priced per day"),
        ("nurse,item,300,2024/25", "role 'nurse' is priced per item"),
        ("other,hour,30,2024/25", "no tariff row for 'nurse'"),
    ],
)
def test_validate_refuses_what_cost_refuses(
    tmp_path: Path,
    write_pathway: Callable[..., Path],
    capsys: pytest.CaptureFixture[str],
    row: str,
    fragment: str,
) -> None:
    folder = write_pathway(tmp_path / "p")
    tariff = tmp_path / "local.csv"
    tariff.write_text(f"code,unit,cost,price_year\n{row}\n", encoding="utf-8")
    # without --tariff the files are valid: validate checks the format only
    assert _run(["validate", str(folder)], capsys)[0] == 0
    argv = [str(folder), "--tariff", str(tariff)]
    status, out, err = _run(["validate", *argv], capsys)
    cost_status, _, cost_err = _run(["cost", *argv], capsys)
    assert (status, out) == (1, "")
    assert (cost_status, cost_err) == (1, err)  # the same problems, word for word
    stage = folder / "stage-one.yaml"
    assert err.startswith(f"{display_path(stage)}:{line_of(stage, 'role: nurse')}: ")
    assert fragment in err
    assert "Traceback" not in err


def test_an_item_priced_per_hour_and_a_price_year_without_an_index(
    tmp_path: Path, write_pathway: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    service = make_service(items=[{"code": "pack", "quantity": 1}])
    folder = write_pathway(tmp_path / "p", stages=[make_stage(services=[service])])
    tariff = tmp_path / "local.csv"
    tariff.write_text(
        "code,unit,cost,price_year\nnurse,hour,60,2023/24\npack,hour,5,2024/25\n",
        encoding="utf-8",
    )
    status, _, err = _run(["validate", str(folder), "--tariff", str(tariff)], capsys)
    assert status == 1
    assert "price year 2023/24 differs from the pathway's 2024/25" in err
    assert "item 'pack' is priced per hour" in err
    tariff.write_text(
        "code,unit,cost,price_year\nnurse,hour,60,2023/24\npack,item,5,2024/25\n",
        encoding="utf-8",
    )
    argv = ["validate", str(folder), "--tariff", str(tariff), "--index", "bundled"]
    status, out, err = _run(argv, capsys)
    assert (status, err) == (0, "")
    assert "tariff    local.csv: every code priced as cost prices it (2 codes, 2 rows" in out
