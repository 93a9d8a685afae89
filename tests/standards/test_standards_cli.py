"""The ``careprofiles standards`` command."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
from standards_testing import DATA, EXAMPLES, MINI, ROOT, rel_name

from careprofiles.cli import main


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run from the repository so that file names print relative to it."""
    monkeypatch.chdir(ROOT)


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(["standards", *args])
    out, err = capsys.readouterr()
    return status, out, err


@pytest.mark.parametrize(
    "files",
    [
        ["bad-unknown-criterion.yaml"],
        ["bad-dates.yaml"],
        ["bad-impossible-date.yaml"],
        ["good.csv", "dup-practice.yaml"],
        ["bad.csv"],
        ["bad-assessment.yaml"],
    ],
)
def test_cli_errors_exit_1_without_traceback(
    capsys: pytest.CaptureFixture[str], files: list[str]
) -> None:
    status, out, err = _run(capsys, "--framework", str(MINI), *(str(DATA / f) for f in files))
    assert status == 1
    assert "Traceback" not in err
    assert not out
    assert re.search(r"tests/data/standards/[\w.-]+:\d+: ", err)


def test_cli_bad_framework(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = _run(
        capsys, "--framework", str(DATA / "bad-framework.yaml"), str(DATA / "good.yaml")
    )
    assert status == 1
    assert "bad-framework.yaml:2: id:" in err
    assert "Traceback" not in err


def test_cli_table_and_warnings(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = _run(
        capsys, "--framework", str(MINI), str(DATA / "good.yaml"), str(DATA / "good.csv")
    )
    assert status == 0
    assert "Summary: 2 of 3 practices accredited" in out
    assert (
        f"warning: {rel_name('good.yaml')}:9: p1 2024-01-10 a2: marked met without evidence" in err
    )


def test_cli_strict_refuses_unevidenced_claims(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = _run(capsys, "--strict", "--framework", str(MINI), str(DATA / "good.yaml"))
    assert status == 1
    assert not out
    assert f"{rel_name('good.yaml')}:9:" in err
    assert "Traceback" not in err


def test_cli_json_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = _run(capsys, str(EXAMPLES), "--format", "json")
    assert status == 0
    data = json.loads(out)
    assert [p["accredited"] for p in data["practices"]].count(True) == 1


@pytest.mark.parametrize("fmt", ["table", "json", "md", "html", "docx"])
def test_cli_writes_every_format_and_refuses_overwrite(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, fmt: str
) -> None:
    out_file = tmp_path / f"report.{'txt' if fmt == 'table' else fmt}"
    args = [str(EXAMPLES), "-o", str(out_file)]
    if fmt == "table":
        args += ["--format", "table"]
    status, _, err = _run(capsys, *args)
    assert status == 0, err
    assert out_file.stat().st_size > 0
    before = out_file.read_bytes()
    status, _, err = _run(capsys, *args)
    assert status == 1
    assert "exists already; use --force" in err
    assert "Traceback" not in err
    assert out_file.read_bytes() == before
    status, _, _ = _run(capsys, *args, "--force")
    assert status == 0


def test_cli_docx_needs_a_file(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = _run(capsys, str(EXAMPLES), "--format", "docx")
    assert status == 1
    assert "give one with -o FILE" in err


def test_cli_plot(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    chart = tmp_path / "progress.png"
    status, out, _ = _run(capsys, str(EXAMPLES), "--plot", str(chart))
    assert status == 0
    assert "Summary:" in out
    assert chart.read_bytes()[:4] == b"\x89PNG"
    status, _, err = _run(capsys, str(EXAMPLES), "--plot", str(chart))
    assert status == 1
    assert "use --force" in err
    status, _, err = _run(capsys, str(EXAMPLES), "--plot", str(tmp_path / "p.gif"))
    assert status == 1
    assert ".png, .svg or .pdf" in err
    assert not list(tmp_path.glob(".*.tmp"))


def test_examples_readme_commands_run(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """Every ``careprofiles standards`` command in examples/standards/README.md runs."""
    readme = (EXAMPLES / "README.md").read_text(encoding="utf-8")
    commands = re.findall(r"^careprofiles (standards .*)$", readme, flags=re.M)
    assert len(commands) >= 3
    for command in commands:
        argv = shlex.split(command)
        argv = [str(tmp_path / Path(a).name) if a.startswith("out/") else a for a in argv]
        assert main(argv) == 0, command
        capsys.readouterr()
