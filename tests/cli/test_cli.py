"""The command line for the foundation: validate, schema and cost.

Most cases run ``careprofiles.cli.main`` in this process (fast); a few run the real
``python -m careprofiles`` in a subprocess, from another folder, to check exit statuses,
tracebacks and that the bundled files are found from anywhere.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import run_python

from careprofiles.cli import main
from careprofiles.errors import CareProfilesError

BROKEN = Path(__file__).resolve().parents[1] / "data" / "broken"


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run the command line in this process: (status, stdout, stderr)."""
    status = main(argv)
    out, err = capsys.readouterr()
    return status, out, err


def run_process(argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``python -m careprofiles`` in a subprocess, from ``cwd``."""
    return run_python("-m", "careprofiles", *argv, cwd=cwd)


def assert_refused(status: int, out: str, err: str, *fragments: str) -> None:
    assert status == 1
    assert "Traceback" not in err
    assert out == ""
    for fragment in fragments:
        assert fragment in err, err


# --------------------------------------------------------------------------------------
# validate
# --------------------------------------------------------------------------------------


def test_validate_bundled_summary(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(["validate"], capsys)
    assert status == 0
    assert err == ""
    assert "valid (careprofiles/1)" in out
    for label in ("stages    4:", "services  ", "roles     ", "outcomes  "):
        assert label in out
    assert "cohort 1,781 patients a year" in out


def test_validate_a_folder_or_its_file(
    tmp_path: Path, write_pathway: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    folder = write_pathway(tmp_path)
    for target in (folder, folder / "pathway.yaml"):
        status, out, _ = run(["validate", str(target)], capsys)
        assert status == 0
        assert "stages    1: stage-one" in out
        assert "roles     1: nurse" in out


@pytest.mark.parametrize(
    "target",
    sorted(str(p.relative_to(BROKEN)) for p in (BROKEN / "pathways").iterdir() if p.is_dir()),
)
def test_validate_refuses_broken_pathways(
    target: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(BROKEN)
    status, out, err = run(["validate", target], capsys)
    assert_refused(status, out, err, f"{target}/")
    # every line of the message names a file and a line (or the whole file)
    for line in err.strip().splitlines():
        if not line.endswith("problems:"):
            assert line.strip().startswith("pathways/"), line


@pytest.mark.parametrize("stage_file", sorted(p.name for p in (BROKEN / "stages").glob("*.yaml")))
def test_validate_refuses_every_broken_stage_file(
    stage_file: str,
    tmp_path: Path,
    write_pathway: Callable[..., Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder = write_pathway(tmp_path / "p")
    (folder / "stage-one.yaml").write_bytes((BROKEN / "stages" / stage_file).read_bytes())
    status, out, err = run(["validate", str(folder)], capsys)
    assert_refused(status, out, err, "stage-one.yaml")


def test_validate_refuses_a_missing_pathway(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = run(["validate", str(tmp_path / "nowhere")], capsys)
    assert_refused(status, out, err, "no such file")


def test_debug_shows_the_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(CareProfilesError, match="no such file"):
        main(["validate", "--debug", str(tmp_path / "nowhere")])


# --------------------------------------------------------------------------------------
# schema
# --------------------------------------------------------------------------------------


def test_schema_is_json_schema(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(["schema"], capsys)
    assert status == 0
    schema = json.loads(out)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert len(schema["anyOf"]) == 2
    for which, required in (("stage", "duration_weeks"), ("pathway", "cohort")):
        status, out, _ = run(["schema", which], capsys)
        assert status == 0
        assert required in json.loads(out)["required"]


def test_schema_accepts_the_bundled_files_and_rejects_a_typo(
    capsys: pytest.CaptureFixture[str], bundled_pathway_dir: Path
) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    import yaml

    run(["schema", "stage"], capsys)
    _, out, _ = run(["schema", "stage"], capsys)
    stage_schema = json.loads(out)
    _, out, _ = run(["schema", "pathway"], capsys)
    pathway_schema = json.loads(out)
    pathway = yaml.safe_load((bundled_pathway_dir / "pathway.yaml").read_text(encoding="utf-8"))
    jsonschema.validate(pathway, pathway_schema)
    for name in pathway["stages"]:
        stage = yaml.safe_load((bundled_pathway_dir / name).read_text(encoding="utf-8"))
        jsonschema.validate(stage, stage_schema)
    stage["services"][0]["uptak"] = 0.5
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(stage, stage_schema)


def test_schema_to_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "careprofiles.profiles.schema.json"
    status, out, err = run(["schema", "-o", str(target)], capsys)
    assert status == 0
    assert out == ""
    assert "wrote" in err
    assert json.loads(target.read_text(encoding="utf-8"))["anyOf"]


# --------------------------------------------------------------------------------------
# cost
# --------------------------------------------------------------------------------------


def test_cost_table_of_the_bundled_pathway(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(["cost"], capsys)
    assert status == 0
    assert err == ""
    for heading in ("Stages", "Staff (hours a year and whole-time equivalents)", "Settings"):
        assert heading in out
    assert "Cost per patient: £" in out
    assert "Population cost a year: £" in out
    assert "WTE" in out


def test_cost_json_has_the_keys_tools_need(
    capsys: pytest.CaptureFixture[str], default_cost: Any
) -> None:
    status, out, _ = run(["cost", "--format", "json"], capsys)
    assert status == 0
    data = json.loads(out)
    for key in (
        "pathway",
        "price_year",
        "cohort",
        "per_patient",
        "total",
        "stages",
        "roles",
        "lines",
    ):
        assert key in data
    for stage in data["stages"]:
        assert {"id", "name", "per_patient", "per_patient_reached", "total"} <= set(stage)
    for role in data["roles"]:
        assert {"role", "hours", "wte", "cost"} <= set(role)
    # numbers unrounded: exactly the library's figures
    assert data["per_patient"] == default_cost.per_patient
    assert data["total"] == default_cost.total
    assert data["cohort"] == default_cost.cohort
    assert len(data["lines"]) == len(default_cost.lines)
    assert sum(line["cost_per_patient"] for line in data["lines"]) == pytest.approx(
        data["per_patient"], rel=1e-12
    )


def test_cost_csv_is_the_lines(capsys: pytest.CaptureFixture[str], default_cost: Any) -> None:
    status, out, _ = run(["cost", "--format", "csv"], capsys)
    assert status == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == len(default_cost.lines)
    assert list(rows[0]) == list(default_cost.lines.columns)
    assert sum(float(r["cost_per_patient"]) for r in rows) == pytest.approx(
        default_cost.per_patient, rel=1e-9
    )


def test_cost_xlsx_workbook(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    target = tmp_path / "cost.xlsx"
    status, out, err = run(["cost", "-o", str(target)], capsys)
    assert status == 0
    assert out == ""
    assert "wrote" in err
    book = openpyxl.load_workbook(target, read_only=True)
    assert {"summary", "stages", "roles", "lines", "inputs"} <= set(book.sheetnames)
    stages = list(book["stages"].iter_rows(values_only=True))
    assert stages[0][0] == "stage"
    assert len(stages) == 5  # header and four stages
    lines = list(book["lines"].iter_rows(values_only=True))
    header = list(lines[0])
    total = sum(row[header.index("cost_per_patient")] for row in lines[1:])
    summary = dict(book["summary"].iter_rows(values_only=True))
    assert summary["cost per patient"] == pytest.approx(total, rel=1e-9)
    assert not list(tmp_path.glob(".*.tmp"))


def test_cost_layered_tariffs_index_and_market_forces(
    tmp_path: Path,
    write_pathway: Callable[..., Path],
    write_tariff: Callable[..., Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder = write_pathway(tmp_path / "p")  # one one-hour nurse visit a week, 100 patients
    national = write_tariff(tmp_path, [{"code": "nurse", "unit": "hour", "cost": 60}], "n.csv")
    local = write_tariff(
        tmp_path, [{"code": "nurse", "unit": "hour", "cost": 48, "price_year": "2023/24"}], "l.csv"
    )
    index = tmp_path / "index.csv"
    index.write_text("price_year,index\n2023/24,96\n2024/25,100\n", encoding="utf-8")
    base = ["cost", str(folder), "--format", "json", "--tariff", str(national)]
    status, out, _ = run(base, capsys)
    assert json.loads(out)["per_patient"] == pytest.approx(60)
    status, out, err = run([*base, "--tariff", str(local)], capsys)
    assert_refused(status, out, err, "l.csv:2", "nurse", "2023/24")
    status, out, _ = run([*base, "--tariff", str(local), "--index", str(index)], capsys)
    assert status == 0
    assert json.loads(out)["per_patient"] == pytest.approx(50)  # 48 x 100/96
    status, out, _ = run([*base, "--market-forces", "1.1"], capsys)
    assert json.loads(out)["per_patient"] == pytest.approx(66)


@pytest.mark.parametrize(
    ("rows", "fragments"),
    [
        (
            [{"code": "gp", "unit": "hour", "cost": 1}],
            ["no tariff row for 'nurse'", "stage-one.yaml:"],
        ),
        ([{"code": "nurse", "unit": "day", "cost": 1}], ["role 'nurse' is priced per day"]),
        ([{"code": "nurse", "unit": "hours", "cost": 1}], ["t.csv:2", "'hours' is not a unit"]),
        ([{"code": "nurse", "unit": "hour", "cost": "-1"}], ["t.csv:2", "negative"]),
        ([{"code": "nurse", "unit": "hour", "cost": "x"}], ["t.csv:2", "'x' is not a number"]),
    ],
)
def test_cost_refuses_bad_tariffs(
    rows: list[dict[str, Any]],
    fragments: list[str],
    tmp_path: Path,
    write_pathway: Callable[..., Path],
    write_tariff: Callable[..., Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder = write_pathway(tmp_path / "p")
    tariff = write_tariff(tmp_path, rows, "t.csv")
    target = tmp_path / "out.json"
    status, out, err = run(
        ["cost", str(folder), "--tariff", str(tariff), "-o", str(target)], capsys
    )
    assert_refused(status, out, err, *fragments)
    assert not target.exists()  # no partial output
    assert not list(tmp_path.glob(".*.tmp"))


def test_cost_refuses_other_bad_options(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(["cost", "--format", "xlsx"], capsys)
    assert_refused(status, out, err, "-o FILE")
    status, out, err = run(["cost", "-o", str(tmp_path / "cost.pdf")], capsys)
    assert_refused(status, out, err, "cannot tell the format from the extension 'pdf'")
    status, out, err = run(["cost", "-o", str(tmp_path / "missing" / "cost.json")], capsys)
    assert_refused(status, out, err, "does not exist; create it first")
    status, out, err = run(["cost", "--market-forces", "0"], capsys)
    assert_refused(status, out, err, "market forces factor 0 must be a number above 0")
    status, out, err = run(["cost", "--index", str(tmp_path / "none.csv")], capsys)
    assert_refused(status, out, err, "none.csv", "no such file")
    status, out, err = run(["cost", "--tariff", str(tmp_path / "none.csv")], capsys)
    assert_refused(status, out, err, "no such file")


def test_cost_never_overwrites_without_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "cost.json"
    target.write_text("keep me", encoding="utf-8")
    status, out, err = run(["cost", "-o", str(target)], capsys)
    assert_refused(status, out, err, "exists already; use --force")
    assert target.read_text(encoding="utf-8") == "keep me"
    status, _, _ = run(["cost", "-o", str(target), "--force"], capsys)
    assert status == 0
    assert json.loads(target.read_text(encoding="utf-8"))["pathway"] == "eol-adult"


def test_failure_while_writing_leaves_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import careprofiles.cli.cost as cost_command

    def broken_workbook(result: Any) -> Callable[[Path], None]:
        def write(path: Path) -> None:
            path.write_bytes(b"half a workbook")
            raise CareProfilesError("the disk is full")

        return write

    monkeypatch.setattr(cost_command, "cost_workbook", broken_workbook)
    target = tmp_path / "cost.xlsx"
    status, out, err = run(["cost", "-o", str(target)], capsys)
    assert_refused(status, out, err, "the disk is full")
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------------------
# The real command, in a subprocess, from another folder
# --------------------------------------------------------------------------------------


def test_process_validate_and_cost_from_anywhere(tmp_path: Path) -> None:
    done = run_process(["validate"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert "valid" in done.stdout
    done = run_process(["cost", "--format", "json"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["pathway"] == "eol-adult"


def test_process_bad_input_exits_1_without_traceback(tmp_path: Path) -> None:
    done = run_process(["validate", str(BROKEN / "pathways" / "many-problems")], tmp_path)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "5 problems:" in done.stderr
    assert done.stdout == ""


def test_process_debug_shows_a_traceback(tmp_path: Path) -> None:
    done = run_process(["validate", "--debug", str(tmp_path / "nowhere")], tmp_path)
    assert done.returncode != 0
    assert "Traceback" in done.stderr
    assert "ProfileError" in done.stderr


# --------------------------------------------------------------------------------------
# Output that cannot be written, and errors no check foresaw
# --------------------------------------------------------------------------------------


def test_cost_to_a_path_under_a_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "afile").touch()
    status, out, err = run(["cost", "-o", "afile/x.csv"], capsys)
    assert_refused(status, out, err)
    assert err == "afile/x.csv: afile is not a folder; give a path in an existing folder\n"
    assert [p.name for p in tmp_path.iterdir()] == ["afile"]


def test_cost_to_a_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "adir").mkdir()
    for force in ([], ["--force"]):
        status, out, err = run(["cost", "-o", "adir", "--format", "csv", *force], capsys)
        assert_refused(status, out, err)
        assert err == "adir: is a folder; give a file name\n"
    assert list((tmp_path / "adir").iterdir()) == []


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc")
def test_process_cost_to_a_folder_that_takes_no_files(tmp_path: Path) -> None:
    done = run_process(["cost", "-o", "/proc/x.csv"], tmp_path)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("/proc/x.csv: cannot create a file in /proc")
    assert done.stdout == ""


def test_an_os_error_while_writing_is_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    import careprofiles.cli.cost as cost_command

    def full_disk(result: Any) -> Callable[[Path], None]:
        def write(path: Path) -> None:
            path.write_bytes(b"half a workbook")
            raise OSError(errno.ENOSPC, "No space left on device", str(path))

        return write

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(cost_command, "cost_workbook", full_disk)
    status, out, err = run(["cost", "-o", "cost.xlsx"], capsys)
    assert_refused(status, out, err)
    assert err == "cost.xlsx: no space left on the device; free some space or write elsewhere\n"
    assert list(tmp_path.iterdir()) == []


def test_any_other_os_error_is_a_message_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    import careprofiles.cli.cost as cost_command

    def unreadable(args: Any) -> Any:
        raise OSError(errno.EIO, "Input/output error", str(tmp_path / "somewhere.csv"))

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(cost_command, "cost_from_args", unreadable)
    status, out, err = run(["cost"], capsys)
    assert_refused(status, out, err)
    assert err == (
        "somewhere.csv: Input/output error; check the file and try again "
        "(--debug shows where it happened)\n"
    )
    with pytest.raises(OSError, match="Input/output error"):
        main(["--debug", "cost"])


def test_the_command_line_says_use_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The library says ``force=True``; the command line says ``--force``, also when the
    file appears while the command works (after its check)."""
    import careprofiles.cli.cost as cost_command

    monkeypatch.chdir(tmp_path)
    real = cost_command.cost_from_args

    def meanwhile(args: Any) -> Any:
        (tmp_path / "cost.json").write_text("theirs", encoding="utf-8")
        return real(args)

    monkeypatch.setattr(cost_command, "cost_from_args", meanwhile)
    status, out, err = run(["cost", "-o", "cost.json"], capsys)
    assert_refused(status, out, err)
    assert err == "cost.json: the file exists already; use --force to overwrite it\n"
    assert (tmp_path / "cost.json").read_text(encoding="utf-8") == "theirs"


# --------------------------------------------------------------------------------------
# --debug, help texts, argument errors
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["before", "after"])
def test_debug_before_or_after_the_command(
    where: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    nowhere = str(tmp_path / "nowhere")
    argv = (
        ["--debug", "validate", nowhere] if where == "before" else ["validate", nowhere, "--debug"]
    )
    with pytest.raises(CareProfilesError, match="no such file"):
        main(argv)


def test_process_debug_before_the_command_shows_a_traceback(tmp_path: Path) -> None:
    done = run_process(["--debug", "validate", str(tmp_path / "nowhere")], tmp_path)
    assert done.returncode != 0
    assert "Traceback" in done.stderr


def _helps() -> list[tuple[str, str]]:
    from careprofiles.cli import COMMANDS, build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    helps = [("careprofiles", parser.format_help())]
    helps.extend((name, sub.choices[name].format_help()) for name in COMMANDS)
    return helps


def test_help_texts_have_no_doubled_percent_signs() -> None:
    for name, text in _helps():
        assert "%%" not in text, name
    simulate = dict(_helps())["simulate"]
    assert "95% interval" in " ".join(simulate.split())


def test_help_texts_say_things_once() -> None:
    for name, text in _helps():
        words = " ".join(text.split())
        assert "chart as a PNG chart" not in words, name
    sensitivity = " ".join(dict(_helps())["sensitivity"].split())
    assert "also draw a tornado chart in a PNG file" in sensitivity


def test_schema_names_its_argument(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["schema", "bogus"])
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert "argument SCHEMA: invalid choice: 'bogus'" in err
    assert "which" not in err


# --------------------------------------------------------------------------------------
# Formats from the -o extension: .txt is the table
# --------------------------------------------------------------------------------------

_REQUIRED = {
    "cost": [],
    "compare": ["--scenarios", "s.yaml"],
    "simulate": ["--draws", "1", "--seed", "0"],
    "sensitivity": [],
    "standards": ["a.yaml"],
    "audit": ["--activity", "a.csv"],
    "benchmark": ["--activity", "a.csv", "--populations", "p.csv"],
}


@pytest.mark.parametrize("command", sorted(_REQUIRED))
def test_txt_is_the_table_format(command: str, tmp_path: Path) -> None:
    from careprofiles.cli import build_parser
    from careprofiles.cli._common import output_format

    for name in ("cost.txt", "COST.TXT"):
        args = build_parser().parse_args([command, *_REQUIRED[command], "-o", str(tmp_path / name)])
        assert "table" in args.formats
        assert output_format(args) == "table"


def test_cost_to_a_txt_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, table, _ = run(["cost"], capsys)
    status, out, err = run(["cost", "-o", str(tmp_path / "cost.txt")], capsys)
    assert status == 0, err
    assert out == ""
    assert (tmp_path / "cost.txt").read_text(encoding="utf-8") == table


def test_txt_is_refused_where_there_is_no_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = run(["schema", "-o", str(tmp_path / "schema.txt")], capsys)
    assert_refused(status, out, err, "cannot tell the format from the extension 'txt'")


# --------------------------------------------------------------------------------------
# spec: the format follows an HTML template
# --------------------------------------------------------------------------------------


def test_spec_html_template_to_the_screen(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    template = tmp_path / "t.html.j2"
    template.write_text("<h1>{{ pathway.name }}</h1>\n", encoding="utf-8")
    status, out, err = run(["spec", "--template", str(template)], capsys)
    assert status == 0, err
    assert out == "<h1>Adult end of life care</h1>\n"
    # a format given is still obeyed, and still refused when an HTML template cannot give it
    status, out, err = run(["spec", "--template", str(template), "--format", "md"], capsys)
    assert_refused(status, out, err, "an HTML template gives HTML only, not md")


def test_spec_markdown_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(["spec"], capsys)
    assert status == 0
    assert out.startswith("# Service specification")


# --------------------------------------------------------------------------------------
# --tariff bundled, --index bundled
# --------------------------------------------------------------------------------------


def test_tariff_bundled_layers_local_rows_over_the_bundled_tariff(
    tmp_path: Path,
    write_tariff: Callable[..., Path],
    capsys: pytest.CaptureFixture[str],
    default_pathway: Any,
    bundled_tariff_file: Path,
) -> None:
    from careprofiles.costing.result import cost
    from careprofiles.tariffs.tables import load_tariff

    local = write_tariff(tmp_path, [{"code": "gp", "unit": "hour", "cost": 300}], "local.csv")
    _, plain, _ = run(["cost", "--format", "json"], capsys)
    status, bundled, err = run(["cost", "--format", "json", "--tariff", "bundled"], capsys)
    assert status == 0, err
    assert json.loads(bundled)["per_patient"] == json.loads(plain)["per_patient"]
    status, out, err = run(
        ["cost", "--format", "json", "--tariff", "bundled", "--tariff", str(local)], capsys
    )
    assert status == 0, err
    expected = cost(default_pathway, load_tariff(bundled_tariff_file, local))
    assert json.loads(out)["per_patient"] == expected.per_patient
    assert expected.per_patient > json.loads(plain)["per_patient"]  # gp dearer


def test_index_bundled(
    tmp_path: Path,
    write_pathway: Callable[..., Path],
    write_tariff: Callable[..., Path],
    capsys: pytest.CaptureFixture[str],
    bundled_index_file: Path,
) -> None:
    from careprofiles.tariffs.tables import load_price_index

    folder = write_pathway(tmp_path / "p")
    old = write_tariff(
        tmp_path, [{"code": "nurse", "unit": "hour", "cost": 48, "price_year": "2023/24"}]
    )
    base = ["cost", str(folder), "--format", "json", "--tariff", str(old)]
    status, out, err = run([*base, "--index", "bundled"], capsys)
    assert status == 0, err
    _, same, _ = run([*base, "--index", str(bundled_index_file)], capsys)
    assert json.loads(out)["per_patient"] == json.loads(same)["per_patient"]
    assert json.loads(out)["per_patient"] == pytest.approx(
        48 * load_price_index(bundled_index_file).factor("2023/24", "2024/25")
    )


def test_a_file_named_bundled_wins(
    tmp_path: Path,
    write_tariff: Callable[..., Path],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    write_tariff(tmp_path, [{"code": "gp", "unit": "hour", "cost": 1}], "bundled")
    status, out, err = run(["cost", "--tariff", "bundled"], capsys)
    assert_refused(status, out, err, "no tariff row for")  # only gp: this file, not ours


# --------------------------------------------------------------------------------------
# docs/cli.md shows what the commands print
# --------------------------------------------------------------------------------------


def test_docs_validate_output_is_real(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = Path(__file__).resolve().parents[2]
    docs = (repo / "docs" / "cli.md").read_text(encoding="utf-8")
    shown = docs.split("prints a short summary:\n\n```\n", 1)[1].split("```", 1)[0]
    monkeypatch.chdir(repo)
    status, out, _ = run(["validate"], capsys)
    assert status == 0
    assert shown == out


def test_the_command_help_is_each_modules_own() -> None:
    """build_parser registers the unnamed sub-commands by name and COMMAND_HELP alone:
    those lines must be the ones each module registers, so --help reads the same."""
    import argparse
    import importlib

    from careprofiles.cli import COMMAND_HELP, COMMANDS, _common_options

    for name in COMMANDS:
        parser = argparse.ArgumentParser()
        sub = parser.add_subparsers()
        module = importlib.import_module(f"careprofiles.cli.{name}")
        module.register(sub, _common_options(default=argparse.SUPPRESS))
        assert sub._choices_actions[0].help == COMMAND_HELP[name], name


def test_the_top_level_help_is_the_same_lazily() -> None:
    from careprofiles.cli import build_parser

    assert build_parser(["--help"]).format_help() == build_parser(None).format_help()
    assert build_parser(["cost"]).format_help() == build_parser(None).format_help()


def _imported_by(argvs: list[list[str]], packages: tuple[str, ...]) -> str:
    """Run ``main`` on each of ``argvs`` in a fresh interpreter; which of ``packages``
    it imported (``[...]``), after each run's exit status."""
    code = (
        "import sys, contextlib, io\n"
        "from careprofiles.cli import main\n"
        "statuses = []\n"
        f"for argv in {argvs!r}:\n"
        "    with contextlib.redirect_stdout(io.StringIO()):\n"
        "        try: statuses.append(main(argv))\n"
        "        except SystemExit as exc: statuses.append(exc.code)\n"
        f"print(*statuses, sorted(m for m in sys.modules if m.split('.')[0] in {packages!r}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    return out.stdout.strip()


def test_version_and_help_import_no_pipeline_step() -> None:
    heavy = ("pandas", "numpy", "pydantic", "jinja2", "yaml", "scipy")
    assert _imported_by([["--version"], ["--help"]], heavy) == "0 0 []"


def test_validate_imports_no_pandas() -> None:
    """``validate`` prints the evidence counts without pandas (issue 17: start-up); it
    imported pandas through the grade counts' DataFrame and the tariff's to_frame."""
    assert _imported_by([["validate"]], ("pandas", "scipy")) == "0 []"


def test_cost_imports_no_pandas() -> None:
    """``cost`` prints its table without pandas (issue 17: start-up): the result's
    DataFrames are built only when asked for, the table from ``costing.summary``'s rows."""
    assert _imported_by([["cost"]], ("pandas", "pyarrow", "scipy")) == "0 []"
