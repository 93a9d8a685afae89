"""``careprofiles init`` and ``init_pathway``: a local pathway that costs as the one it
came from, a tariff of the codes it uses, sample scenarios that apply, a README; refused
folders, and nothing written on any error."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pandas as pd
import pytest

from careprofiles.cli import main
from careprofiles.costing.compare import compare
from careprofiles.costing.result import cost
from careprofiles.errors import MissingCodeError, OutputError
from careprofiles.outputs.starter import TARIFF_COLUMNS, init_pathway
from careprofiles.profiles.load import load_pathway
from careprofiles.resources import bundled_pathway, bundled_tariff
from careprofiles.tariffs.tables import load_tariff

DATA = Path(__file__).resolve().parents[1] / "data"
BUNDLED_FILES = [
    "pathway.yaml",
    "advancing-disease.yaml",
    "increasing-decline.yaml",
    "last-days.yaml",
    "after-death.yaml",
]


def _tree(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_the_folder_costs_exactly_as_the_bundled_pathway(tmp_path: Path) -> None:
    mine = tmp_path / "mine"
    written = init_pathway(mine)
    assert sorted(p.name for p in written) == sorted(
        [*BUNDLED_FILES, "tariff.csv", "scenarios.yaml", "README.md"]
    )
    assert _tree(mine) == sorted(p.name for p in written)
    for name in BUNDLED_FILES:  # copied byte for byte
        assert (mine / name).read_bytes() == (bundled_pathway() / name).read_bytes(), name
    local = cost(load_pathway(mine), load_tariff(mine / "tariff.csv"))
    bundled = cost(load_pathway(), load_tariff())
    assert local.per_patient == bundled.per_patient
    assert local.total == bundled.total
    assert local.cohort == bundled.cohort
    for table in ("by_stage", "by_role", "by_setting", "by_funder", "by_item"):
        pd.testing.assert_frame_equal(getattr(local, table)(), getattr(bundled, table)())
    assert list(local.tariff.names) == ["tariff.csv"]


def test_the_tariff_holds_the_codes_used_at_the_bundled_prices(tmp_path: Path) -> None:
    init_pathway(tmp_path / "mine")
    pathway = load_pathway()
    rows = _rows(tmp_path / "mine" / "tariff.csv")
    assert tuple(rows[0]) == TARIFF_COLUMNS
    assert {r["code"] for r in rows} == {*pathway.roles(), *pathway.item_codes()}
    national = {r["code"]: r for r in _rows(bundled_tariff())}
    for r in rows:
        n = national[r["code"]]
        for col in TARIFF_COLUMNS:
            if col != "source":
                assert float(r[col]) == float(n[col]) if col == "cost" else r[col] == n[col]
        assert r["source"].startswith("To fill in: your local source for this price; ")
        assert r["source"].endswith(n["source"])  # where the price came from, kept
    assert {r["code"]: r["cost"] for r in rows}["nel-long-stay-episode"] == "5416.7"


def test_editing_one_services_minutes_changes_the_cost_as_by_hand(tmp_path: Path) -> None:
    mine = tmp_path / "mine"
    init_pathway(mine)
    before = cost(load_pathway(mine), load_tariff(mine / "tariff.csv"))
    stage = mine / "after-death.yaml"
    text = stage.read_text(encoding="utf-8")
    old = "    contacts:\n      per_stage: 1\n      minutes: {value: 15, grade: estimate}\n"
    assert text.count(old) == 1  # the GP's call to the bereaved family
    stage.write_text(text.replace(old, old.replace("15", "25")), encoding="utf-8")
    after = cost(load_pathway(mine), load_tariff(mine / "tariff.csv"))
    # after-death: reach 1; gp-bereavement-contact: uptake 0.7, 1 contact, GP at £118 an
    # hour: 10 more minutes = 1 x 0.7 x 1 x 10/60 x 118 = £13.7666... a cohort patient;
    # cohort 250,000 x 9.5 / 1,000 x 0.75 = 1,781.25: £24,521.875 a year
    assert after.per_patient - before.per_patient == pytest.approx(82.6 / 6, abs=1e-9)
    assert after.total - before.total == pytest.approx(24_521.875, abs=1e-6)
    gp = after.by_role().set_index("role").loc["gp", "hours"]
    assert gp - before.by_role().set_index("role").loc["gp", "hours"] == pytest.approx(
        1781.25 * 0.7 * 10 / 60
    )


def test_the_sample_scenarios_and_the_readme(tmp_path: Path) -> None:
    mine = tmp_path / "mine"
    init_pathway(mine)
    result = compare(load_pathway(mine), load_tariff(mine / "tariff.csv"), mine / "scenarios.yaml")
    assert [s.id for s, _ in result.scenarios][:2] == [
        "hospice-at-home-expansion",
        "night-sitting-for-half",
    ]
    readme = (mine / "README.md").read_text(encoding="utf-8")
    assert "## What to edit first" in readme
    for command in (
        "careprofiles validate mine --tariff mine/tariff.csv",
        "careprofiles cost mine --tariff mine/tariff.csv",
        "careprofiles compare mine --tariff mine/tariff.csv --scenarios mine/scenarios.yaml",
    ):
        assert command in readme
    assert str(tmp_path) not in readme  # no machine path


def test_a_non_empty_folder_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("mine\n", encoding="utf-8")
    with pytest.raises(OutputError, match=r"the folder is not empty .* pass force=True"):
        init_pathway(mine)
    assert _tree(mine) == ["notes.txt"]


def test_force_writes_into_it_and_leaves_other_files(tmp_path: Path) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("mine\n", encoding="utf-8")
    (mine / "tariff.csv").write_text("old\n", encoding="utf-8")
    init_pathway(mine, force=True)
    assert (mine / "notes.txt").read_text(encoding="utf-8") == "mine\n"
    assert _rows(mine / "tariff.csv")[0]["code"] == "gp"


def test_a_failure_while_writing_leaves_nothing(tmp_path: Path) -> None:
    mine = tmp_path / "mine"
    (mine / "README.md").mkdir(parents=True)  # the last file cannot be written
    with pytest.raises(OutputError, match="is a folder"):
        init_pathway(mine, force=True)
    assert _tree(mine) == ["README.md"]


def test_a_pathway_that_does_not_cost_writes_nothing(tmp_path: Path) -> None:
    tariff = tmp_path / "small.csv"
    tariff.write_text("code,unit,cost,price_year\ngp,hour,100,2024/25\n", encoding="utf-8")
    with pytest.raises(MissingCodeError, match="district-nurse"):
        init_pathway(tmp_path / "mine", tariff=tariff)
    assert not (tmp_path / "mine").exists()


def test_a_missing_parent_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="does not exist; create it first"):
        init_pathway(tmp_path / "no" / "mine")
    assert not (tmp_path / "no").exists()


def test_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "mine").write_text("x", encoding="utf-8")
    with pytest.raises(OutputError, match="is not a folder"):
        init_pathway(tmp_path / "mine", force=True)


def test_from_another_pathway_with_stages_in_a_sub_folder(tmp_path: Path) -> None:
    source = tmp_path / "theirs"
    (source / "stages").mkdir(parents=True)
    for name in ("early.yaml", "late.yaml"):
        shutil.copy(DATA / "scenarios" / "base" / name, source / "stages" / name)
    text = (DATA / "scenarios" / "base" / "pathway.yaml").read_text(encoding="utf-8")
    text = text.replace(
        "  - early.yaml\n  - late.yaml", "  - stages/early.yaml\n  - stages/late.yaml"
    )
    (source / "pathway.yaml").write_text(text, encoding="utf-8")
    mine = tmp_path / "mine"
    init_pathway(mine, source, tariff=DATA / "scenarios" / "tariff.csv")
    assert _tree(mine) == sorted(
        [
            "README.md",
            "pathway.yaml",
            "scenarios.yaml",
            "stages",
            "stages/early.yaml",
            "stages/late.yaml",
            "tariff.csv",
        ]
    )
    theirs = cost(load_pathway(source), load_tariff(DATA / "scenarios" / "tariff.csv"))
    local = cost(load_pathway(mine), load_tariff(mine / "tariff.csv"))
    assert local.per_patient == theirs.per_patient
    assert {r["code"] for r in _rows(mine / "tariff.csv")} == {
        *theirs.pathway.roles(),
        *theirs.pathway.item_codes(),
    }
    # the bundled samples name services this pathway lacks: its own ids instead
    result = compare(local.pathway, local.tariff, mine / "scenarios.yaml")
    assert result.scenarios, "the sample holds scenarios"
    assert all(r.per_patient > local.per_patient for _, r in result.scenarios)
    assert "the pathway that comes with careprofiles" not in (mine / "README.md").read_text(
        encoding="utf-8"
    )


# ---------------------------------------------------------------- the command line


def test_cli_init_then_cost(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["init", "mypathway"]) == 0
    err = capsys.readouterr().err
    assert "wrote mypathway/tariff.csv" in err
    assert main(["cost", "mypathway", "--tariff", "mypathway/tariff.csv"]) == 0
    local = capsys.readouterr().out
    assert main(["cost"]) == 0
    bundled = capsys.readouterr().out
    assert local.splitlines()[-2:] == bundled.splitlines()[-2:]
    assert "Cost per patient: £" in local


def test_cli_refuses_a_non_empty_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("mypathway").mkdir()
    Path("mypathway/x.txt").write_text("x", encoding="utf-8")
    assert main(["init", "mypathway"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("mypathway: the folder is not empty (it holds 1: x.txt)")
    assert "use --force to write the starter files into it" in captured.err
    assert "force=True" not in captured.err
    assert "Traceback" not in captured.err
    assert _tree(Path("mypathway")) == ["x.txt"]
    assert main(["init", "mypathway", "--force"]) == 0
    assert "x.txt" in _tree(Path("mypathway"))
