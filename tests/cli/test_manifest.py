"""The reproducibility manifest of every output, and ``careprofiles verify`` (issue 12).

A manifest names every input (pathway, stage files, tariffs in layer order, index,
scenarios, ...) with its SHA-256, computed here by hashlib from the files themselves;
``verify`` passes when nothing changed and fails, naming the tariff, when one tariff row
did; with ``SOURCE_DATE_EPOCH`` set two runs give the same bytes.
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import json
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO

from careprofiles import __version__
from careprofiles.cli import main
from careprofiles.outputs.manifest_formats import figures, read_manifest
from careprofiles.resources import bundled_pathway, bundled_tariff

XLSX = pytest.mark.skipif(importlib.util.find_spec("openpyxl") is None, reason="needs openpyxl")
DOCX = pytest.mark.skipif(importlib.util.find_spec("docx") is None, reason="needs python-docx")
PLOT = pytest.mark.skipif(importlib.util.find_spec("matplotlib") is None, reason="needs matplotlib")

EPOCH = "1700000000"  # 2023-11-14T22:13:20Z
INDEX_NAME = "bundled price index (NHS Cost Inflation Index)"
STAGES = ["advancing-disease.yaml", "increasing-decline.yaml", "last-days.yaml", "after-death.yaml"]


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder holding a copy of the bundled pathway (``path/``), a copy of the
    bundled tariff (``local.csv``) and the example scenario file; the time is fixed."""
    shutil.copytree(bundled_pathway(), tmp_path / "path")
    shutil.copy(bundled_tariff(), tmp_path / "local.csv")
    shutil.copy(REPO / "examples" / "scenarios" / "service-models.yaml", tmp_path / "s.yaml")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    return tmp_path


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(argv)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_a_manifest_names_every_input_with_its_hash(
    work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["cost", "path", "--tariff", "bundled", "--tariff", "local.csv", "--index", "bundled"]
    argv += ["--scenarios", "s.yaml", "--scenario", "hospice-at-home-expansion", "-o", "c.json"]
    status, _, err = _run(argv, capsys)
    assert status == 0, err
    data = json.loads((work / "c.json").read_text(encoding="utf-8"))
    manifest = data["manifest"]
    assert list(data)[-1] == "manifest"  # the figures come first, as before
    index = bundled_tariff().parent / "price-index.csv"
    expected = [
        ("pathway", "pathway.yaml", "path/pathway.yaml", work / "path" / "pathway.yaml"),
        *(("stage", s, f"path/{s}", work / "path" / s) for s in STAGES),
        (
            "tariff",
            "bundled national tariff 2024/25",
            "bundled:tariffs/national-2024-25.csv",
            bundled_tariff(),
        ),
        ("tariff", "local.csv", "local.csv", work / "local.csv"),
        ("index", INDEX_NAME, "bundled:tariffs/price-index.csv", index),
        ("scenarios", "s.yaml", "s.yaml", work / "s.yaml"),
    ]
    assert [(f["role"], f["name"], f["path"]) for f in manifest["inputs"]] == [
        e[:3] for e in expected
    ]
    assert [f["sha256"] for f in manifest["inputs"]] == [_sha(e[3]) for e in expected]
    assert manifest["command"] == ["careprofiles", *argv]
    assert manifest["careprofiles"] == __version__
    assert manifest["price_year"] == "2024/25"
    assert (manifest["seed"], manifest["draws"]) == (None, None)
    assert manifest["time"] == "2023-11-14T22:13:20Z"
    assert {"python", "numpy", "pandas"} <= set(manifest)
    assert str(work) not in json.dumps(manifest)  # paths relative to the working folder


def test_simulate_records_its_seed_and_draws_and_the_uncertainty_file(
    work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copy(REPO / "examples" / "scenarios" / "tariff-uncertainty.csv", work / "u.csv")
    argv = ["simulate", "path", "--draws", "50", "--seed", "7", "--uncertainty", "u.csv"]
    status, _, err = _run([*argv, "-o", "sim.csv"], capsys)
    assert status == 0, err
    assert err == "wrote sim.csv\nwrote sim.csv.manifest.json\n"
    manifest = json.loads((work / "sim.csv.manifest.json").read_text(encoding="utf-8"))
    assert (manifest["seed"], manifest["draws"]) == (7, 50)
    assert manifest["output"] == "sim.csv"
    assert manifest["inputs"][-1] == {
        "role": "uncertainty",
        "name": "u.csv",
        "path": "u.csv",
        "sha256": _sha(work / "u.csv"),
    }


def _cost_outputs() -> list[tuple[str, bool]]:
    """The files ``cost`` writes, and whether each carries its manifest inside."""
    kinds = [("c.json", True), ("c.csv", False), ("c.txt", False)]
    if importlib.util.find_spec("openpyxl") is not None:
        kinds.append(("c.xlsx", True))
    return kinds


def test_every_output_kind_of_cost_has_its_manifest(
    work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inputs = None
    for name, inside in _cost_outputs():
        status, _, err = _run(["cost", "path", "--tariff", "local.csv", "-o", name], capsys)
        assert status == 0, err
        assert (work / f"{name}.manifest.json").exists() is not inside, name
        manifest = read_manifest(work / name)
        assert manifest is not None, name
        assert manifest["command"][-1] == name
        inputs = inputs or manifest["inputs"]
        assert manifest["inputs"] == inputs
    assert inputs is not None
    assert [f["name"] for f in inputs] == ["pathway.yaml", *STAGES, "local.csv"]


@PLOT
def test_a_chart_has_its_manifest_beside_it(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = _run(["cost", "path", "-o", "c.json", "--plot", "c.png"], capsys)
    assert status == 0, err
    beside = json.loads((work / "c.png.manifest.json").read_text(encoding="utf-8"))
    inside = json.loads((work / "c.json").read_text(encoding="utf-8"))["manifest"]
    assert beside == {"output": "c.png", **inside}


@XLSX
def test_the_workbook_has_an_about_sheet(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from openpyxl import load_workbook

    assert _run(["cost", "path", "-o", "c.xlsx"], capsys)[0] == 0
    book = load_workbook(work / "c.xlsx")
    try:
        assert book.sheetnames[-1] == "About"
        rows = [row for row in book["About"].iter_rows(values_only=True)]
    finally:
        book.close()
    assert rows[0][0] == "About this document"
    inputs = {row[1]: row[2] for row in rows if row and row[0] in ("pathway", "stage", "tariff")}
    assert inputs["last-days.yaml"] == _sha(work / "path" / "last-days.yaml")
    assert inputs["bundled national tariff 2024/25"] == _sha(bundled_tariff())


@DOCX
def test_the_word_specification_has_an_about_section_and_core_properties(
    work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import docx

    assert _run(["spec", "path", "-o", "s.docx"], capsys)[0] == 0
    document = docx.Document(str(work / "s.docx"))
    texts = [p.text for p in document.paragraphs]
    about = texts.index("About this document")
    assert document.paragraphs[about].style.name == "Heading 1"
    assert "command: careprofiles spec path -o s.docx" in texts[about:]
    cells = [c.text for row in document.tables[-1].rows for c in row.cells]
    assert _sha(work / "path" / "pathway.yaml") in cells
    assert "pathway.yaml" in cells
    props = document.core_properties
    assert "careprofiles verify" in props.comments
    assert props.modified.isoformat().startswith("2023-11-14T22:13:20")
    assert str(work) not in "\n".join(texts + cells)


def test_markdown_and_html_close_with_an_about_section(
    work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("s.md", "s.html"):
        assert _run(["spec", "path", "-o", name], capsys)[0] == 0
        text = (work / name).read_text(encoding="utf-8")
        assert "About this document" in text
        assert text.index("About this document") > text.index("Unit costs used")
        assert _sha(work / "path" / "after-death.yaml") in text
        manifest = read_manifest(work / name)
        assert manifest is not None
        assert manifest["command"][-1] == name
    assert (work / "s.html").read_text(encoding="utf-8").rstrip().endswith("</html>")


# ---------------------------------------------------------------- verify


def _verify(name: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    status, out, err = _run(["verify", name], capsys)
    assert err == "" or status == 1, err
    return status, out + err


def _kinds() -> list[tuple[str, list[str]]]:
    kinds = [(n, ["cost", "path", "--tariff", "local.csv"]) for n, _ in _cost_outputs()]
    kinds += [("s.md", ["spec", "path", "--tariff", "local.csv"])]
    kinds += [("s.html", ["spec", "path", "--tariff", "local.csv"])]
    if importlib.util.find_spec("docx") is not None:
        kinds += [("s.docx", ["spec", "path", "--tariff", "local.csv"])]
    local = ["path", "--tariff", "local.csv"]
    kinds += [("cmp.json", ["compare", *local, "--scenarios", "s.yaml"])]
    kinds += [("sim.txt", ["simulate", *local, "--draws", "30", "--seed", "2"])]
    return kinds


def test_verify_passes_when_nothing_changed_and_names_the_changed_tariff(
    work: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    kinds = _kinds()
    for name, argv in kinds:
        status, _, err = _run([*argv, "-o", name], capsys)
        assert status == 0, err
    monkeypatch.delenv("SOURCE_DATE_EPOCH")  # verify compares the figures, not the time
    for name, _ in kinds:
        status, out = _verify(name, capsys)
        assert status == 0, out
        assert f"{name}: figures identical to a fresh run" in out
        count = {"s": 7, "cmp": 7}.get(name.partition(".")[0], 6)  # + template; + scenarios
        assert f"{name}: {count} inputs unchanged" in out
    # one row of the local tariff changes: the GP's hour from £118 to £119
    local = work / "local.csv"
    lines = local.read_text(encoding="utf-8").splitlines(keepends=True)
    assert lines[1].startswith("gp,")
    assert ",hour,118,2024/25," in lines[1]
    lines[1] = lines[1].replace(",hour,118,", ",hour,119,")
    local.write_text("".join(lines), encoding="utf-8")
    for name, _ in kinds:
        status, out = _verify(name, capsys)
        assert status == 1, out
        assert f"{name}: input changed: tariff local.csv (local.csv)" in out
        assert f"{name}: figures differ from a fresh run" in out


def test_verify_fails_on_an_edited_output_and_on_a_missing_input(
    work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(["cost", "path", "-o", "c.csv"], capsys)[0] == 0
    text = (work / "c.csv").read_text(encoding="utf-8")
    assert ",gp," in text
    (work / "c.csv").write_text(text.replace(",gp,", ",GP,", 1), encoding="utf-8")
    status, out = _verify("c.csv", capsys)
    assert status == 1
    assert "c.csv: 6 inputs unchanged" in out
    assert "c.csv: figures differ from a fresh run" in out
    (work / "path" / "last-days.yaml").unlink()
    status, out = _verify("c.csv", capsys)
    assert status == 1
    assert "c.csv: input missing: stage last-days.yaml (path/last-days.yaml)" in out
    assert "c.csv: the recorded command failed when run again:" in out


def test_verify_refuses_a_file_without_a_manifest(
    work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out = _verify("local.csv", capsys)
    assert status == 1
    assert out.startswith("local.csv: the file has no manifest (inside it, or ")
    assert "Traceback" not in out
    status, out = _verify("nothing.json", capsys)
    assert status == 1
    assert out == "nothing.json: no such file; give an output file careprofiles wrote\n"


def test_a_bad_source_date_epoch_is_an_error_with_no_output(
    work: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    status, _, err = _run(["cost", "path", "-o", "c.json"], capsys)
    assert status == 1
    assert err.startswith("SOURCE_DATE_EPOCH: 'yesterday' is not a time in seconds since 1970;")
    assert not (work / "c.json").exists()


# ---------------------------------------------------------------- the same bytes


def _zip_dates(data: bytes) -> set[tuple[int, ...]]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {info.date_time for info in z.infolist()}


def test_two_runs_with_source_date_epoch_give_the_same_bytes(
    work: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    kinds = [(n, ["cost", "../path"]) for n, _ in _cost_outputs()]
    kinds += [(n, ["spec", "../path"]) for n in ("s.md", "s.html")]
    if importlib.util.find_spec("docx") is not None:
        kinds.append(("s.docx", ["spec", "../path"]))
    first: dict[str, bytes] = {}
    for folder in ("one", "two"):  # the same command line, in two folders
        (work / folder).mkdir()
        monkeypatch.chdir(work / folder)
        for name, argv in kinds:
            assert _run([*argv, "-o", name], capsys)[0] == 0
            for path in (p for p in (Path(name), Path(f"{name}.manifest.json")) if p.exists()):
                if folder == "one":
                    first[path.name] = path.read_bytes()
                else:
                    assert path.read_bytes() == first[path.name], path.name
    assert len(first) == len(kinds) + 2  # and the CSV's and the table's manifests
    for name in ("c.xlsx", "s.docx"):
        if name in first:  # every member dated SOURCE_DATE_EPOCH (in UTC)
            assert _zip_dates(first[name]) == {(2023, 11, 14, 22, 13, 20)}, name
    assert b"2023-11-14" in first["s.md"]  # the specification's date too


def test_figures_leave_the_manifest_out(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(["cost", "path", "-o", "c.json"], capsys)[0] == 0
    data: Any = figures(work / "c.json")
    assert "manifest" not in data
    assert "lines" in data


def _other_commands() -> list[tuple[str, list[str], str]]:
    """(output, command, the input file then changed) for the commands beyond cost."""
    ex = "ex"
    activity = ["--activity", f"{ex}/audit/activity.csv", "--outcomes", f"{ex}/audit/outcomes.csv"]
    out = [
        ("sens.json", ["sensitivity", "path", "--tariff", "local.csv"], "local.csv"),
        ("std.json", ["standards", f"{ex}/standards"], f"{ex}/standards/practices.csv"),
        (
            "std.md",
            ["standards", f"{ex}/standards/riverside-surgery.yaml"],
            f"{ex}/standards/riverside-surgery.yaml",
        ),
        ("aud.json", ["audit", "path", *activity], f"{ex}/audit/outcomes.csv"),
        (
            "ben.html",
            ["benchmark", "path", *activity, "--populations", f"{ex}/audit/populations.csv"],
            f"{ex}/audit/populations.csv",
        ),
    ]
    if importlib.util.find_spec("openpyxl") is not None:
        out.append(("aud.xlsx", ["audit", "path", *activity], f"{ex}/audit/activity.csv"))
        out.append(("cmp.xlsx", ["compare", "path", "--scenarios", "s.yaml"], "s.yaml"))
    if importlib.util.find_spec("docx") is not None:
        out.append(("std.docx", ["standards", f"{ex}/standards"], f"{ex}/standards/practices.csv"))
    return out


def _edit_last_figure(path: Path) -> None:
    """Change the last number of the file's last line that has one (5 -> 6, ...)."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    for i in range(len(lines) - 1, -1, -1):
        digits = [j for j, c in enumerate(lines[i]) if c.isdigit()]
        if digits and not lines[i].startswith("#"):
            j = digits[-1]
            lines[i] = lines[i][:j] + str((int(lines[i][j]) + 1) % 10) + lines[i][j + 1 :]
            path.write_text("".join(lines), encoding="utf-8")
            return
    raise AssertionError(f"no figure in {path}")


def test_verify_every_other_command_and_a_changed_input(
    work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(REPO / "examples", work / "ex")
    kinds = _other_commands()
    for name, argv, _ in kinds:
        status, _, err = _run([*argv, "-o", name], capsys)
        assert status == 0, (name, err)
        manifest = read_manifest(work / name)
        assert manifest is not None, name
        assert manifest["command"] == ["careprofiles", *argv, "-o", name]
    for name, _, _ in kinds:
        status, out = _verify(name, capsys)
        assert status == 0, out
        assert f"{name}: figures identical to a fresh run" in out
    for name, _, changed in kinds:
        before = (work / changed).read_bytes()
        _edit_last_figure(work / changed)
        status, out = _verify(name, capsys)
        assert status == 1, out
        assert f"({changed}): SHA-256 was" in out, out
        (work / changed).write_bytes(before)
        assert _verify(name, capsys)[0] == 0


def test_verify_runs_no_command_that_writes_elsewhere(
    work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(["cost", "path", "-o", "c.json"], capsys)[0] == 0
    data = json.loads((work / "c.json").read_text(encoding="utf-8"))
    for command in (
        ["careprofiles", "cost", "path", "--outp", "elsewhere.json"],  # an abbreviation
        ["careprofiles", "schema", "-o", "c.json"],
        ["careprofiles", "cost", "--no-such-option"],
    ):
        data["manifest"]["command"] = command
        (work / "c.json").write_text(json.dumps(data), encoding="utf-8")
        status, out = _verify("c.json", capsys)
        assert status == 1
        assert "c.json: the manifest's command is not one careprofiles verify runs again" in out
    assert not (work / "elsewhere.json").exists()


def test_a_template_s_includes_are_inputs_too(
    work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (work / "t").mkdir()
    (work / "t" / "main.md.j2").write_text('# Spec\n\n{% include "part.md.j2" %}\n', "utf-8")
    (work / "t" / "part.md.j2").write_text("Pathway {{ pathway.name }}.\n", "utf-8")
    status, _, err = _run(["spec", "path", "--template", "t/main.md.j2", "-o", "s.md"], capsys)
    assert status == 0, err
    assert "Pathway Adult end of life care." in (work / "s.md").read_text(encoding="utf-8")
    manifest = read_manifest(work / "s.md")
    assert manifest is not None
    templates = [f["path"] for f in manifest["inputs"] if f["role"] == "template"]
    assert templates[:2] == ["t/main.md.j2", "t/part.md.j2"]
    assert _verify("s.md", capsys)[0] == 0
    (work / "t" / "part.md.j2").write_text("Pathway {{ pathway.id }}.\n", "utf-8")
    status, out = _verify("s.md", capsys)
    assert status == 1
    assert "s.md: input changed: template part.md.j2 (t/part.md.j2)" in out
    assert "s.md: figures differ from a fresh run" in out
