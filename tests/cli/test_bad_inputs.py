"""Every input refuses what is not a file: a FIFO, a folder, a symbolic link loop or link
to nothing, /dev/zero (directly or by a link), a name holding a NUL byte (issue 16).

Through the Python API (each loader raises its own ValidationError subclass, with the
code ``not-a-file``, never an OSError, ValueError or RuntimeError) and through the command
line (exit status 1, one line naming the path, no traceback), each within a deadline so
that a hang fails the test rather than hanging the suite: the command line cases run in
one subprocess per input (``timeout``), the API cases in a thread (``within_deadline``).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import ACTIVITY_DATA, REPO, run_python
from hostile_paths import WORDS, hostile_paths, within_deadline

import careprofiles as cp
from careprofiles.profiles.inputs import NOT_A_FILE
from careprofiles.specification.render import find_template, render_template

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="FIFOs and /dev are POSIX")

STANDARDS = REPO / "tests" / "data" / "standards"

# ------------------------------------------------------------------------------ the API

LOADERS: dict[str, tuple[Callable[[Path], Any], type[cp.ValidationError], str]] = {
    "pathway": (cp.load_pathway, cp.ProfileError, ".yaml"),
    "stage": (cp.load_stage, cp.ProfileError, ".yaml"),
    "tariff": (cp.load_tariff, cp.TariffError, ".csv"),
    "index": (cp.load_price_index, cp.TariffError, ".csv"),
    "uncertainty": (cp.load_tariff_uncertainty, cp.TariffError, ".csv"),
    "scenarios": (cp.load_scenarios, cp.ScenarioError, ".yaml"),
    "header": (cp.load_header, cp.ValidationError, ".yaml"),
    "template": (find_template, cp.TemplateError, ".md.j2"),
    "framework": (cp.load_framework, cp.StandardsError, ".yaml"),
    "assessment-yaml": (cp.load_assessments, cp.StandardsError, ".yaml"),
    "assessment-csv": (cp.load_assessments, cp.StandardsError, ".csv"),
    "activity": (cp.read_activity, cp.ActivityError, ".csv"),
    "outcomes": (cp.read_outcomes, cp.ActivityError, ".csv"),
    "populations": (cp.read_populations, cp.ActivityError, ".csv"),
}

SKIP = {
    ("pathway", "folder"),  # a pathway folder is what a pathway is: tested below
    ("activity", "folder"),  # a Parquet dataset: tested below
    ("outcomes", "folder"),
    ("assessment-yaml", "folder"),  # a folder of assessments: tested below
    ("assessment-csv", "folder"),
    ("assessment-yaml", "device"),  # /dev/zero has no extension: "cannot tell the kind"
    ("assessment-csv", "device"),
}


@pytest.mark.parametrize(
    ("loader", "kind"),
    [(loader, kind) for loader in LOADERS for kind in WORDS if (loader, kind) not in SKIP],
)
def test_every_loader_refuses_what_is_not_a_file(tmp_path: Path, loader: str, kind: str) -> None:
    load, error, suffix = LOADERS[loader]
    path = hostile_paths(tmp_path, suffix)[kind]
    with pytest.raises(error) as info:
        within_deadline(lambda: load(path))
    (problem,) = info.value.problems
    assert problem.code == NOT_A_FILE
    assert WORDS[kind] in problem.message
    assert problem.file is not None
    assert "\0" not in problem.file


def test_a_pathway_folder_without_its_file_keeps_its_words(tmp_path: Path) -> None:
    folder = hostile_paths(tmp_path)["folder"]
    with pytest.raises(cp.ProfileError, match=r"pathway\.yaml: no such file"):
        within_deadline(lambda: cp.load_pathway(folder))


def test_a_pathway_folder_whose_file_is_a_fifo(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pathway.yaml")
    with pytest.raises(cp.ProfileError) as info:
        within_deadline(lambda: cp.load_pathway(tmp_path))
    assert info.value.problems[0].code == NOT_A_FILE


@pytest.mark.parametrize("reader", [cp.read_activity, cp.read_outcomes])
def test_a_parquet_dataset_folder_holding_a_fifo_is_refused(
    tmp_path: Path, reader: Callable[[Path], Any]
) -> None:
    (tmp_path / "dataset" / "year=2024").mkdir(parents=True)
    os.mkfifo(tmp_path / "dataset" / "year=2024" / "part-0.parquet")
    os.mkfifo(tmp_path / "dataset" / "_ignored")  # pyarrow would not read it either
    with pytest.raises(cp.ActivityError) as info:
        within_deadline(lambda: reader(tmp_path / "dataset"))
    (problem,) = info.value.problems
    assert problem.code == NOT_A_FILE
    assert problem.file is not None
    assert problem.file.endswith("part-0.parquet")


def test_a_folder_of_assessments_holding_a_fifo_is_refused_not_skipped(tmp_path: Path) -> None:
    framework = cp.load_framework(STANDARDS / "framework.yaml")
    (tmp_path / "good.yaml").write_bytes((STANDARDS / "good.yaml").read_bytes())
    assert len(cp.load_assessments(tmp_path, framework=framework)) == 1
    os.mkfifo(tmp_path / "other.yaml")
    with pytest.raises(cp.StandardsError) as info:
        within_deadline(lambda: cp.load_assessments(tmp_path, framework=framework))
    assert [p.code for p in info.value.problems] == [NOT_A_FILE]
    assert str(info.value.problems[0].file).endswith("other.yaml")


def test_a_template_including_a_fifo_is_refused(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "part.md.j2")
    (tmp_path / "main.md.j2").write_text("Intro\n{% include 'part.md.j2' %}\n", "utf-8")
    with pytest.raises(cp.TemplateError) as info:
        within_deadline(lambda: render_template(tmp_path / "main.md.j2", {}))
    assert info.value.problems[0].code == NOT_A_FILE


# ------------------------------------------------------------------- the command line

A = ACTIVITY_DATA
AUDIT = ["audit", str(A / "pathway"), "--tariff", str(A / "tariff.csv")]
COMMANDS: dict[str, tuple[list[str], str]] = {
    "pathway": (["validate", "{}"], ".yaml"),
    "--tariff": (["cost", "--tariff", "{}"], ".csv"),
    "--index": (["cost", "--index", "{}"], ".csv"),
    "--scenarios": (["compare", "--scenarios", "{}"], ".yaml"),
    "--uncertainty": (["simulate", "--draws", "5", "--seed", "1", "--uncertainty", "{}"], ".csv"),
    "--header": (["spec", "--header", "{}"], ".yaml"),
    "--template": (["spec", "--template", "{}"], ".md.j2"),
    "--activity": ([*AUDIT, "--activity", "{}"], ".csv"),
    "--outcomes": ([*AUDIT, "--activity", str(A / "activity.csv"), "--outcomes", "{}"], ".csv"),
    "--populations": (
        [
            "benchmark",
            str(A / "pathway"),
            "--tariff",
            str(A / "tariff.csv"),
            "--activity",
            str(A / "activity.csv"),
            "--populations",
            "{}",
        ],
        ".csv",
    ),
    "--framework": (["standards", str(STANDARDS / "good.yaml"), "--framework", "{}"], ".yaml"),
    "assessment": (["standards", "{}"], ".yaml"),
}
EXPECTED = {
    ("pathway", "folder"): "no such file",  # a folder is a pathway without its pathway.yaml
    ("--activity", "folder"): "missing column",  # an empty Parquet dataset
    ("--outcomes", "folder"): "missing column",
    ("assessment", "folder"): "holds no .yaml or .csv assessment files",
    ("assessment", "device"): "cannot tell the kind of file",
}

DRIVER = """
import contextlib, io, json, sys, time, traceback
from careprofiles.cli import main
out = []
for argv in json.loads(sys.argv[1]):
    err = io.StringIO()
    start = time.perf_counter()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            status = main(argv)
        except BaseException:
            status = "traceback"
            err.write(traceback.format_exc())
    out.append([status, err.getvalue(), time.perf_counter() - start])
print(json.dumps(out))
"""
"""Runs the command line once for each argv given, in one fresh interpreter (starting one
for each of the 72 cases would take minutes on a busy machine); a hang fails its
``timeout``."""

Outcome = tuple[Path, int | str, str, float]
"""The path given, the exit status (or ``"traceback"``), standard error, seconds."""


@pytest.fixture(scope="module")
def refused(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Outcome]:
    """Every (option, kind of path) case run through the command line, at once."""
    root = tmp_path_factory.mktemp("hostile")
    keys: list[tuple[str, str]] = []
    given: list[Path] = []
    cases: list[list[str]] = []
    for n, (option, (template, suffix)) in enumerate(sorted(COMMANDS.items())):
        for kind, path in hostile_paths(root / str(n), suffix).items():
            if kind == "nul":  # no command line can hold a NUL byte: the API tests have it
                continue
            keys.append((option, kind))
            given.append(path)
            cases.append([str(path) if part == "{}" else part for part in template])
    done = run_python("-c", DRIVER, json.dumps(cases), cwd=root, timeout=180)
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)
    return {
        key: (path, status, err, seconds)
        for key, path, (status, err, seconds) in zip(keys, given, results, strict=True)
    }


@pytest.mark.parametrize(
    ("option", "kind"), [(o, k) for o in sorted(COMMANDS) for k in WORDS if k != "nul"]
)
def test_the_command_line_refuses_what_is_not_a_file(
    refused: dict[tuple[str, str], Outcome], option: str, kind: str
) -> None:
    path, status, err, seconds = refused[option, kind]
    assert status == 1, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert EXPECTED.get((option, kind), WORDS[kind]) in lines[0], err
    assert path.name in lines[0]
    assert seconds < 5  # milliseconds once loaded; generous for a busy machine


def test_a_bad_stage_file_of_each_kind_is_named_at_its_line(tmp_path: Path) -> None:
    paths = hostile_paths(tmp_path, ".yaml")
    names = [p.name for k, p in paths.items() if k != "device"]
    stages = "".join(f"  - {json.dumps(name)}\n" for name in names)  # \0 written as "\u0000"
    (tmp_path / "pathway.yaml").write_text(
        "format: careprofiles/1\nid: p\nname: P\nprice_year: 2024/25\ncohort:\n"
        f"  patients: 10\nstages:\n{stages}",
        encoding="utf-8",
    )
    done = run_python("-m", "careprofiles", "validate", str(tmp_path), cwd=tmp_path, timeout=10)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert lines[0] == f"{len(names)} problems:"
    expected = {**WORDS, "device-link": "is outside the pathway folder", "nul": "a NUL byte"}
    for n, (kind, line) in enumerate(
        zip([k for k in paths if k != "device"], lines[1:], strict=True)
    ):
        assert line.strip().startswith(f"pathway.yaml:{8 + n}: stages[{n}]: "), line
        assert expected[kind] in line, line
    with pytest.raises(cp.ProfileError) as info:
        within_deadline(lambda: cp.load_pathway(tmp_path))
    codes = [p.code for p in info.value.problems]
    kinds = [k for k in paths if k != "device"]
    assert codes == ["" if k == "device-link" else NOT_A_FILE for k in kinds]  # outside: no code


@pytest.mark.parametrize("target", ["/dev/zero", "fifo"])
def test_activity_from_dev_zero_or_a_fifo_exits_1_at_once(tmp_path: Path, target: str) -> None:
    """The two cases the issue names, through the real ``python -m careprofiles``."""
    if target == "fifo":
        os.mkfifo(tmp_path / "fifo")
    done = run_python("-m", "careprofiles", *AUDIT, "--activity", target, cwd=tmp_path, timeout=10)
    assert done.returncode == 1
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1
    assert WORDS["fifo" if target == "fifo" else "device"] in done.stderr
