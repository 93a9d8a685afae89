"""No machine paths in documents (issue 15): every output names its inputs by file name
(a pathway's YAML files relative to the pathway folder), the bundled files by what they
are, never by a path such as ``/tmp/...`` or ``site-packages/...``; error messages keep
their paths.

The commands run from a working folder that holds none of the inputs (so that every
input's path, as messages give it, is absolute), and every output is searched: text
files as written, workbooks and Word documents member by member, charts by their texts.
"""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest
from conftest import REPO, line_of

from careprofiles.cli import main
from careprofiles.costing.compare import compare
from careprofiles.costing.result import cost
from careprofiles.costing.scenarios import load_scenarios
from careprofiles.errors import display_path
from careprofiles.profiles.load import load_pathway
from careprofiles.resources import (
    bundled_index,
    bundled_pathway,
    bundled_tariff,
    document_name,
    source_location,
    source_name,
)
from careprofiles.tariffs.tables import load_tariff

EXAMPLES = REPO / "examples"


def _inputs(root: Path) -> dict[str, Path]:
    """A copy of the bundled pathway (one stage in a sub-folder), a local tariff in another
    price year, a scenario file, the audit and standards examples, all under ``root``."""
    pathway = root / "my-pathway"
    shutil.copytree(bundled_pathway(), pathway)
    (pathway / "stages").mkdir()
    (pathway / "last-days.yaml").rename(pathway / "stages" / "last-days.yaml")
    text = (pathway / "pathway.yaml").read_text(encoding="utf-8")
    (pathway / "pathway.yaml").write_text(
        text.replace("  - last-days.yaml", "  - stages/last-days.yaml"), encoding="utf-8"
    )
    local = root / "tariffs" / "local.csv"
    local.parent.mkdir()
    local.write_text(
        "code,unit,cost,price_year,market_forces\ngp,hour,110,2023/24,1.05\n", encoding="utf-8"
    )
    shutil.copytree(EXAMPLES / "scenarios", root / "scenarios")
    shutil.copytree(EXAMPLES / "audit", root / "audit")
    shutil.copytree(EXAMPLES / "standards", root / "standards")
    return {"pathway": pathway, "local": local, "root": root}


def _text(path: Path) -> str:
    """The text of an output: a workbook's or Word document's every member, else the file."""
    if path.suffix in (".xlsx", ".docx"):
        with zipfile.ZipFile(path) as z:
            return "\n".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
    return path.read_text(encoding="utf-8")


def _machine_paths(text: str, *roots: Path) -> list[str]:
    found = [str(r) for r in roots if str(r) in text]
    found += [m for m in ("site-packages", "/tmp/", str(Path.home())) if m in text]
    return found


@pytest.mark.slow
def test_no_output_names_an_input_by_a_machine_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("openpyxl")
    pytest.importorskip("docx")
    given = _inputs(tmp_path / "inputs")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    pathway, local, root = str(given["pathway"]), str(given["local"]), given["root"]
    tariffs = ["--tariff", "bundled", "--tariff", local, "--index", "bundled"]
    scenarios = ["--scenarios", str(root / "scenarios" / "service-models.yaml")]
    activity = ["--activity", str(root / "audit" / "activity.csv")]
    activity += ["--outcomes", str(root / "audit" / "outcomes.csv")]
    populations = ["--populations", str(root / "audit" / "populations.csv")]
    commands = [
        *(["cost", pathway, *tariffs, "-o", f"cost.{f}"] for f in ("csv", "json", "xlsx", "txt")),
        *(["spec", pathway, *tariffs, "-o", f"spec.{f}"] for f in ("md", "html", "docx")),
        *(["compare", pathway, *scenarios, "-o", f"compare.{f}"] for f in ("json", "xlsx", "txt")),
        ["cost", pathway, *scenarios, "--scenario", "hospice-at-home-expansion", "-o", "s.csv"],
        ["cost", pathway, *scenarios, "--scenario", "homecare-2025-26-price", "-o", "t.csv"],
        ["sensitivity", pathway, "-o", "sensitivity.json"],
        ["simulate", pathway, "--draws", "20", "--seed", "1", "-o", "simulate.txt"],
        *(["standards", str(root / "standards"), "-o", f"std.{f}"] for f in ("json", "md", "docx")),
        *(["audit", pathway, *activity, "-o", f"audit.{f}"] for f in ("json", "md", "xlsx")),
        *(
            ["benchmark", pathway, *activity, *populations, "-o", f"bench.{f}"]
            for f in ("json", "md")
        ),
    ]
    for argv in commands:
        assert main(argv) == 0, argv
    err = capsys.readouterr().err
    # messages keep the paths: the standards warning names the assessment file as given
    assert display_path(root / "standards" / "practices.csv") in err
    written = sorted(work.iterdir())
    outputs = [p for p in written if not p.name.endswith(".manifest.json")]
    assert len(outputs) == len(commands)
    sidecars = {p.name for p in written} - {p.name for p in outputs}
    assert sidecars == {f"{p.name}.manifest.json" for p in outputs if p.suffix in (".csv", ".txt")}
    for output in written:  # the manifests too: paths relative to the working folder
        text = _text(output)
        assert not _machine_paths(text, tmp_path, REPO), (output.name, _machine_paths(text))

    lines = json.loads((work / "cost.json").read_text(encoding="utf-8"))
    assert lines["tariffs"] == ["bundled national tariff 2024/25", "local.csv"]
    sources = {line["source"].rpartition(":")[0] for line in lines["lines"]}
    assert sources == {
        "advancing-disease.yaml",
        "increasing-decline.yaml",
        "stages/last-days.yaml",
        "after-death.yaml",
    }
    tariff_sources = {line["tariff_source"].rpartition(":")[0] for line in lines["lines"]}
    assert tariff_sources == {"national-2024-25.csv", "local.csv"}
    gp = next(line for line in lines["lines"] if line["code"] == "gp")
    assert gp["adjustments"] == (
        "market forces x1.05 (local.csv:2); uplifted 2023/24 to 2024/25 x1.0402 (price-index.csv)"
    )
    spec = (work / "spec.md").read_text(encoding="utf-8")
    assert "the same code: bundled national tariff 2024/25; local.csv." in spec
    assert "| local.csv:2 |" in spec
    assert "pathway\neol-adult (folder my-pathway)," in spec
    # a line a scenario changed comes from the scenario file; a price it set says so
    models = root / "scenarios" / "service-models.yaml"
    quantity = line_of(models, "set: last-days/ambulance/items/ambulance-see-and-convey/")
    assert f",service-models.yaml:{quantity}," in (work / "s.csv").read_text(encoding="utf-8")
    price = line_of(models, "set: tariff/homecare-worker")
    assert f"(service-models.yaml:{price})" in (work / "t.csv").read_text(encoding="utf-8")
    audit = json.loads((work / "audit.json").read_text(encoding="utf-8"))
    assert (audit["activity"], audit["outcome_records"]) == ("activity.csv", "outcomes.csv")
    bench = json.loads((work / "bench.json").read_text(encoding="utf-8"))
    assert bench["populations"] == "populations.csv"
    standards = json.loads((work / "std.json").read_text(encoding="utf-8"))
    assert standards["warnings"][0].startswith("practices.csv:35: ")


def test_the_bundled_files_are_named_by_what_they_are(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["spec", "-o", "spec.md"]) == 0
    spec = (tmp_path / "spec.md").read_text(encoding="utf-8")
    assert "the same code: bundled national tariff 2024/25. The rows used:" in spec
    assert "from\nthe bundled pathway eol-adult,\n" in spec
    assert "| national-2024-25.csv:2 |" in spec  # the row, by the bundled file's name
    assert not _machine_paths(spec, tmp_path, REPO)
    assert main(["cost"]) == 0
    assert "Tariffs: bundled national tariff 2024/25\n" in capsys.readouterr().out


def test_charts_name_the_inputs_by_file_name(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    from careprofiles.outputs.charts import compare_plot, cost_plot

    local = tmp_path / "far" / "away" / "local.csv"
    local.parent.mkdir(parents=True)
    local.write_text("code,unit,cost,price_year\ngp,hour,120,2024/25\n", encoding="utf-8")
    tariff = load_tariff("bundled", local)
    pathway = load_pathway()
    scenarios = load_scenarios(EXAMPLES / "scenarios" / "service-models.yaml")
    figures = {
        "cost": cost_plot(cost(pathway, tariff)),
        "compare": compare_plot(compare(pathway, tariff, scenarios)),
    }
    for name, figure in figures.items():
        texts = "\n".join(t.get_text() for t in figure.findobj(lambda a: hasattr(a, "get_text")))
        assert "tariffs: bundled national tariff 2024/25, local.csv" in texts, name
        assert not _machine_paths(texts, tmp_path, REPO), name
    assert "scenarios: service-models.yaml;" in "\n".join(
        t.get_text() for t in figures["compare"].texts
    )


def test_how_files_are_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Hand cases of the naming rules (``careprofiles.resources``)."""
    folder = tmp_path / "pathway"
    (folder / "stages").mkdir(parents=True)
    inside, deeper = folder / "a.yaml", folder / "stages" / "b.yaml"
    outside = tmp_path / "elsewhere" / "local.csv"
    assert source_name(inside, folder) == "a.yaml"
    assert source_name(deeper, folder) == "stages/b.yaml"
    assert source_name(outside, folder) == "local.csv"
    assert source_name(outside) == "local.csv"
    assert source_name("") == ""
    # a relative path is taken against the working folder, as the loaders give them
    monkeypatch.chdir(tmp_path)
    assert source_name("pathway/stages/b.yaml", folder) == "stages/b.yaml"
    assert source_location("pathway/stages/b.yaml:12", folder) == "stages/b.yaml:12"
    assert source_location(f"{outside}:3") == "local.csv:3"
    assert source_location(str(outside)) == "local.csv"  # no line
    assert source_location("") == ""
    # the bundled files, in documents by what they are, in file:line by their names
    assert document_name(bundled_tariff()) == "bundled national tariff 2024/25"
    assert document_name(bundled_index()) == "bundled price index (NHS Cost Inflation Index)"
    assert document_name(bundled_pathway()) == "bundled pathway eol-adult"
    assert load_pathway().id == "eol-adult"  # the name says the bundled pathway's id
    assert source_name(bundled_tariff()) == "national-2024-25.csv"
    assert document_name(outside) == "local.csv"
    assert document_name(folder) == "pathway"
