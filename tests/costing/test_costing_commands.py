"""The costing commands end to end (``careprofiles cost``, ``compare``, ``simulate``,
``sensitivity``): formats, files, plots, and errors with the command line's own hints."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import line_of
from scenario_cases import (
    BASE_ARGS,
    BASE_PATHWAY,
    BASE_TARIFF,
    CHANGES,
    DATA,
)
from uncertainty_cases import (
    EXAMPLE_UNCERTAINTY,
    STATS,
)

from careprofiles.cli import main
from careprofiles.costing.result import cost
from careprofiles.costing.scenarios import load_scenarios
from careprofiles.errors import CareProfilesError
from careprofiles.profiles.load import load_pathway
from careprofiles.tariffs.tables import load_tariff


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


# --------------------------------------------------------------------------------------
# compare and cost --scenario
# --------------------------------------------------------------------------------------


def test_cli_compare_json(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = _run(
        capsys, "compare", *BASE_ARGS, "--scenarios", str(CHANGES), "--format", "json"
    )
    assert status == 0, err
    data = json.loads(out)
    assert data["baseline"]["cohort"] == 600
    ids = [s["id"] for s in data["scenarios"]]
    assert ids == load_scenarios(CHANGES).ids()
    add = next(s for s in data["scenarios"] if s["id"] == "add")
    assert add["delta_per_patient"] == pytest.approx(0.9 * 0.25 * 6 * 8 * 35)


def test_cli_compare_table_csv_xlsx_and_plot(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    common = ["compare", *BASE_ARGS, "--scenarios", str(CHANGES)]
    status, out, err = _run(capsys, *common, "--scenario", "add", "--scenario", "remove")
    assert status == 0, err
    assert "Scenarios compared with the baseline" in out
    assert "night-sitting" in out
    assert "+£" in out
    status, out, _ = _run(capsys, *common, "--format", "csv", "--scenario", "add")
    assert out.splitlines()[0].startswith("id,name,cohort,per_patient,total,delta_per_patient")
    assert len(out.splitlines()) == 3
    book = tmp_path / "c.xlsx"
    plot = tmp_path / "c.png"
    status, _, err = _run(capsys, *common, "-o", str(book), "--plot", str(plot))
    assert status == 0, err
    import openpyxl

    assert openpyxl.load_workbook(book).sheetnames == [
        "summary",
        "stages",
        "roles",
        "funders",
        "settings",
        "changes",
        "About",  # the reproducibility manifest
    ]
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cli_compare_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = _run(capsys, "compare", *BASE_ARGS, "--scenarios", str(DATA / "broken.yaml"))
    assert status == 1
    assert out == ""
    assert "Traceback" not in err
    assert f"tests/data/scenarios/broken.yaml:{line_of(DATA / 'broken.yaml', 'eraly')}: " in err


def test_cli_cost_one_scenario(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    common = ["cost", *BASE_ARGS]
    status, out, err = _run(
        capsys, *common, "--scenarios", str(CHANGES), "--scenario", "chain", "--format", "json"
    )
    assert status == 0, err
    expected = cost(load_pathway(DATA / "chain"), load_tariff(DATA / "tariff.csv"))
    assert json.loads(out)["per_patient"] == pytest.approx(expected.per_patient, abs=0.005)
    status, _, err = _run(capsys, *common, "--scenario", "chain")
    assert status == 1
    assert "--scenario needs --scenarios" in err
    assert "Traceback" not in err
    status, _, err = _run(capsys, *common, "--scenarios", str(CHANGES))
    assert status == 1
    assert "give --scenario ID" in err
    status, _, err = _run(capsys, *common, "--scenarios", str(CHANGES), "--scenario", "chian")
    assert status == 1
    assert "did you mean 'chain'" in err
    assert "Traceback" not in err


def test_cli_cost_plot(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    plot = tmp_path / "cost.png"
    status, _, err = _run(capsys, "cost", *BASE_ARGS, "--plot", str(plot))
    assert status == 0, err
    assert plot.read_bytes()[:4] == b"\x89PNG"
    status, _, err = _run(capsys, "cost", "--plot", str(plot))
    assert status == 1
    assert "exists already" in err
    status, out, err = _run(capsys, "cost", "--plot", str(tmp_path / "cost.jpg"))
    assert status == 1
    assert "ending .png" in err
    assert out == ""


def test_cli_help_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for command in ("compare", "simulate", "sensitivity"):
        assert command in out


def test_apply_scenario_args_needs_a_file() -> None:
    import argparse

    args = argparse.Namespace(scenarios=None, scenario="x")
    from careprofiles.cli._common import apply_scenario_args

    with pytest.raises(CareProfilesError):
        apply_scenario_args(BASE_PATHWAY, BASE_TARIFF, args)


# --------------------------------------------------------------------------------------
# simulate and sensitivity
# --------------------------------------------------------------------------------------


def test_cli_simulate_json_and_reproducible_bytes(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the same command line, in two folders, at the same recorded time: the same bytes,
    # the manifest in the JSON too (docs/reproducibility.md)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    files = []
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        monkeypatch.chdir(tmp_path / name)
        for fmt in ("json", "csv"):
            status, _, err = _run(
                capsys, "simulate", "--draws", "2000", "--seed", "9", "-o", f"out.{fmt}"
            )
            assert status == 0, err
            files.append(tmp_path / name / f"out.{fmt}")
    assert files[0].read_bytes() == files[2].read_bytes()
    assert files[1].read_bytes() == files[3].read_bytes()
    data = json.loads(files[0].read_text(encoding="utf-8"))
    assert data["draws"] == 2000
    assert data["seed"] == 9
    assert set(data["per_patient"]) >= set(STATS)
    assert [s["id"] for s in data["stages"]] == [s.id for s in load_pathway().stages]
    lines = files[1].read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("draw,per_patient,total,cohort,advancing-disease/per_patient")
    assert len(lines) == 2001


def test_cli_simulate_table_plot_and_uncertainty(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    plot = tmp_path / "d.png"
    status, out, err = _run(
        capsys,
        "simulate",
        "--draws",
        "500",
        "--seed",
        "1",
        "--uncertainty",
        str(EXAMPLE_UNCERTAINTY),
        "--plot",
        str(plot),
    )
    assert status == 0, err
    assert "Monte Carlo: Adult end of life care" in out
    assert "500 draws, seed 1" in out
    assert "Cost per patient" in out
    assert "97.5%" in out
    assert plot.read_bytes()[:4] == b"\x89PNG"


def test_cli_simulate_bad_input(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "u.csv"
    bad.write_text("code,dist,low,mode,high\ngp,triangular,300,268,290\n", encoding="utf-8")
    status, out, err = _run(
        capsys, "simulate", "--draws", "10", "--seed", "1", "--uncertainty", str(bad)
    )
    assert status == 1
    assert out == ""
    assert "u.csv:2: dist: triangular: low 300 is above mode 268" in err
    assert "Traceback" not in err
    status, _, err = _run(
        capsys, "simulate", "--draws", "10", "--seed", "1", str(tmp_path / "nowhere")
    )
    assert status == 1
    assert "no such file" in err


def test_cli_sensitivity(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    status, out, err = _run(capsys, "sensitivity", "--format", "json")
    assert status == 0, err
    data = json.loads(out)
    assert data["base"] == cost(load_pathway(), load_tariff()).per_patient
    swings = [abs(r["high"] - r["low"]) for r in data["rows"]]
    assert swings == sorted(swings, reverse=True)
    assert set(data["rows"][0]) >= {"parameter", "low_value", "high_value", "low", "high"}
    plot = tmp_path / "t.png"
    status, out, err = _run(capsys, "sensitivity", "--top", "5", "--plot", str(plot))
    assert status == 0, err
    assert "the 5 largest of" in out
    # the largest swing first, by its name; a long name wraps in its column (100 columns,
    # issue 15)
    lines = out.splitlines()
    rule = next(k for k, line in enumerate(lines) if line.startswith("---"))
    width = len(lines[rule].split()[0])
    first = [lines[rule + 1][:width].strip()]
    for line in lines[rule + 2 :]:
        if "£" in line or not line.strip():
            break
        first.append(line[:width].strip())
    assert data["rows"][0]["parameter"] == "increasing-decline/duration_weeks"  # the code
    assert " ".join(first) == "Increasing decline · duration in weeks"  # the name
    assert plot.read_bytes()[:4] == b"\x89PNG"


def test_cli_sensitivity_bad_input(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    folder = tmp_path / "p"
    folder.mkdir()
    (folder / "pathway.yaml").write_text("format: careprofiles/1\nid: x\n", encoding="utf-8")
    status, out, err = _run(capsys, "sensitivity", str(folder))
    assert status == 1
    assert out == ""
    assert "pathway.yaml:1: name: required key 'name' is missing; add it" in err
    assert "Traceback" not in err


# --------------------------------------------------------------------------------------
# Errors: the command line's own hints
# --------------------------------------------------------------------------------------


def test_cli_errors_name_the_command_lines_options(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, write_tariff: Callable[..., Path]
) -> None:
    """The library's messages say how to do it in Python; the command line adds its
    own options, exactly as it always printed them."""
    local = write_tariff(tmp_path, "code,unit,cost,price_year\ngp,hour,250,2024/25\n")
    status, out, err = _run(capsys, "cost", "--tariff", str(local))
    assert status == 1
    assert out == ""
    assert (
        err.count(
            "to add rows to the bundled tariff, give it first: --tariff bundled --tariff FILE, "
            'or in Python load_tariff("bundled", FILE))'
        )
        == 1
    )
    path = tmp_path / "s.yaml"
    path.write_text(
        "format: careprofiles/1\nscenarios:\n  - id: a\n    name: A\n    changes:\n"
        "      - set: tariff/nurse\n        to: {dist: triangular, low: 50, mode: 60, high: 70}\n",
        encoding="utf-8",
    )
    status, out, err = _run(capsys, "cost", *BASE_ARGS, "--scenarios", str(path), "--scenario", "a")
    assert status == 1
    assert (
        "a tariff cost is a number; give its uncertainty in a tariff-uncertainty file "
        "(--uncertainty FILE) instead" in err
    )
