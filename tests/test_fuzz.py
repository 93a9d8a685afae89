"""Fuzzing: the bundled files, mutated at random, through the commands that read them.

Each example copies the inputs a command needs into a fresh folder, mutates one of them
(``tests/fuzzing.py``: values, types, keys, structure, encoding) and runs the commands on
it in this process; every run must keep the contract of ``fuzzing.check_run``: exit 0
with finite figures, or exit 1 with ``file:line`` messages and nothing written; never a
traceback, a Python warning, a hang or a partial output file. A few examples run in a
fresh interpreter with a timeout, to prove that nothing hangs.

The CI profile (the default: 100 examples a test, 4 in a fresh interpreter) keeps the
whole module to about a minute on two cores; ``pytest -m fuzz`` selects these tests alone
and runs each with the long profile (2,000 examples, 100 in a fresh interpreter; about
twenty minutes; docs/testing.md). A failure found here becomes a regression test of
its own, with its minimal input, beside the tests of the code it concerns.
"""

from __future__ import annotations

import collections
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import REPO, long_fuzz_run
from fuzzing import (
    check_run,
    csv_mutant,
    run_cli,
    subprocess_argv,
    yaml_mutant,
)
from hypothesis import HealthCheck, Phase, given, note, settings, strategies as st

pytestmark = pytest.mark.fuzz

_HEALTH = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example]
settings.register_profile(
    "fuzz-ci",
    max_examples=25,
    deadline=None,
    suppress_health_check=_HEALTH,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    print_blob=True,
)
settings.register_profile(
    "fuzz",
    max_examples=2000,
    deadline=None,
    suppress_health_check=_HEALTH,
    print_blob=True,
)
"""``fuzz-ci`` bounds each test for CI; ``fuzz`` (``pytest -m fuzz``) is the long run.

The CI profile is derandomized (the same examples on every run, so that CI is
reproducible) and does not shrink: a failing example is reported as it was drawn (with
its blob to replay it), because shrinking an example that hangs reruns it, up to the time
limit each time, for as long as the shrinker has steps (a CI run sat for an hour and a
half that way). The long run explores at random and shrinks.

No deadline: a slow example on a shared machine is not a failure; a hang is (the time
limit of ``fuzzing.run_cli``)."""

EOL = REPO / "profiles" / "eol"
PATHWAY_FILES = (
    "pathway.yaml",
    "advancing-disease.yaml",
    "increasing-decline.yaml",
    "last-days.yaml",
    "after-death.yaml",
)
TARIFF = REPO / "profiles" / "tariffs" / "national-2024-25.csv"
SCENARIOS = {
    "as-is.yaml": EOL / "as-is.yaml",
    "service-models.yaml": REPO / "examples" / "scenarios" / "service-models.yaml",
}
STANDARDS = {
    "riverside-surgery.yaml": REPO / "examples" / "standards" / "riverside-surgery.yaml",
    "practices.csv": REPO / "examples" / "standards" / "practices.csv",
    "framework.yaml": REPO / "profiles" / "standards" / "framework.yaml",
}
AUDIT = REPO / "examples" / "audit"
ACTIVITY_ROWS = 1500
"""The activity records fuzzed: the first rows of the example (all of it is 23,000)."""

DRAWS = ["--draws", "5", "--seed", "1", "--no-progress"]
PYTHON_WARNING = re.compile(r"^\S+\.py:\d+: \w*Warning: ", re.MULTILINE)
"""How Python prints a warning on standard error (``file.py:12: RuntimeWarning: ...``)."""


def fuzz(
    request: pytest.FixtureRequest,
    test: Callable[..., None],
    ci: int | None = None,
    long: int | None = None,
) -> None:
    """Run the hypothesis ``test`` under this run's profile; ``ci`` and ``long``: the
    number of examples instead of the profile's, for a test slower than most."""
    name, examples = ("fuzz", long) if long_fuzz_run(request.config) else ("fuzz-ci", ci)
    chosen = settings(settings.get_profile(name))
    if examples is not None:
        chosen = settings(chosen, max_examples=examples)
    EXITS.clear()
    chosen(test)()
    # shown with -s (or -rP): a test whose mutants are nearly all refused tests little
    # beyond the checks
    counts = ", ".join(f"{c} exit {s}: {n}" for (c, s), n in sorted(EXITS.items(), key=str))
    print(f"\n{request.node.name}: {counts}")


# --------------------------------------------------------------------------- the commands


@dataclass(frozen=True)
class Command:
    """A command to run on the inputs: its arguments, the forms its output may take
    (``table``, ``json``, ...; one is drawn) and the extension each has in a file."""

    argv: tuple[str, ...]
    forms: tuple[str, ...] = ("json",)
    to_file: bool = True


EXITS: collections.Counter[tuple[str, object]] = collections.Counter()
"""How often each command exited with each status, in the test running (printed after)."""

EXTENSIONS = {"json": "json", "csv": "csv", "table": "txt", "md": "md", "html": "html"}


def run_commands(
    data: st.DataObject, work: Path, commands: Sequence[Command], inputs: Sequence[Path]
) -> None:
    """Run each command (a form drawn, and whether it writes ``-o`` or to the screen) and
    check what it did."""
    for n, command in enumerate(commands):
        form = data.draw(st.sampled_from(command.forms), label="form")
        argv = list(command.argv)
        output = None
        if command.to_file and data.draw(st.booleans(), label="to a file"):
            folder = work / f"out-{n}"
            folder.mkdir()
            output = folder / f"result.{EXTENSIONS[form]}"
            argv += ["-o", str(output)]
        if form != "table" and command.forms != ("table",):
            argv += ["--format", form]
        run = run_cli(argv)
        note(f"{' '.join(argv)} -> {run.status} in {run.seconds:.2f} s")
        EXITS[(command.argv[0], run.status)] += 1
        check_run(run, inputs, form=form, output=output)


def copies(work: Path, files: dict[str, Path]) -> dict[str, Path]:
    """Copies of ``files`` in ``work``, under their names."""
    out = {}
    for name, source in files.items():
        out[name] = work / name
        shutil.copyfile(source, out[name])
    return out


@pytest.fixture
def workspace(tmp_path: Path) -> Callable[[], Path]:
    """A new empty folder for each hypothesis example (removed at the end of the next
    one, so that a failing example's files are left to look at)."""
    made: list[Path] = []

    def new() -> Path:
        if made:
            shutil.rmtree(made.pop(), ignore_errors=True)
        made.append(Path(tempfile.mkdtemp(dir=tmp_path)))
        return made[-1]

    return new


def mutate(data: st.DataObject, path: Path) -> None:
    """Replace the file at ``path`` by a mutant of it."""
    text = path.read_text(encoding="utf-8")
    strategy = csv_mutant(text) if path.suffix == ".csv" else yaml_mutant(text)
    path.write_bytes(data.draw(strategy, label=f"mutated {path.name}").data)


# ------------------------------------------------------------------------------ the tests


def test_pathway_files(request: pytest.FixtureRequest, workspace: Callable[[], Path]) -> None:
    """pathway.yaml and the stage files, through validate, cost, simulate and spec."""

    @given(st.data())
    def test(data: st.DataObject) -> None:
        work = workspace()
        folder = work / "pathway"
        folder.mkdir()
        files = copies(folder, {name: EOL / name for name in PATHWAY_FILES})
        first = data.draw(st.sampled_from(PATHWAY_FILES), label="file")
        mutate(data, files[first])
        if data.draw(st.integers(0, 4), label="a second file") == 0:
            others = [name for name in PATHWAY_FILES if name != first]
            mutate(data, files[data.draw(st.sampled_from(others), label="second")])
        pathway = str(folder)
        commands = [
            Command(("validate", pathway), forms=("table",), to_file=False),
            Command(("cost", pathway), forms=("json", "csv", "table")),
            Command(("simulate", pathway, *DRAWS), forms=("json", "csv")),
            Command(("spec", pathway), forms=("md", "html")),
        ]
        run_commands(data, work, commands, list(files.values()))

    fuzz(request, test)


def test_tariff(request: pytest.FixtureRequest, workspace: Callable[[], Path]) -> None:
    """The bundled tariff, alone or layered over itself, through cost, simulate and spec."""

    @given(st.data())
    def test(data: st.DataObject) -> None:
        work = workspace()
        tariff = copies(work, {"tariff.csv": TARIFF})["tariff.csv"]
        mutate(data, tariff)
        layers = data.draw(
            st.sampled_from(
                [["--tariff", str(tariff)], ["--tariff", "bundled", "--tariff", str(tariff)]]
            ),
            label="layers",
        )
        commands = [
            Command(("cost", *layers), forms=("json", "csv", "table")),
            Command(("simulate", *layers, *DRAWS), forms=("json",)),
            Command(("spec", *layers), forms=("md", "html")),
        ]
        run_commands(data, work, commands, [tariff, TARIFF])

    fuzz(request, test)


def test_scenario_files(request: pytest.FixtureRequest, workspace: Callable[[], Path]) -> None:
    """The as-is model and the example service models, through compare, and cost,
    simulate and spec of one scenario."""

    @given(st.data())
    def test(data: st.DataObject) -> None:
        work = workspace()
        name = data.draw(st.sampled_from(sorted(SCENARIOS)), label="file")
        scenarios = copies(work, {name: SCENARIOS[name]})[name]
        original = scenarios.read_text(encoding="utf-8")
        ids = re.findall(r"^  - id: (\S+)$", original, flags=re.M)
        scenario = data.draw(st.sampled_from(ids), label="scenario")
        mutate(data, scenarios)
        chosen = ("--scenarios", str(scenarios), "--scenario", scenario)
        commands = [
            Command(("compare", "--scenarios", str(scenarios)), forms=("json", "csv")),
            Command(("cost", *chosen), forms=("json",)),
            Command(("simulate", *chosen, *DRAWS), forms=("json",)),
            Command(("spec", *chosen), forms=("md",)),
        ]
        run_commands(data, work, commands, [scenarios, *(EOL / f for f in PATHWAY_FILES)])

    fuzz(request, test)


def test_standards_files(request: pytest.FixtureRequest, workspace: Callable[[], Path]) -> None:
    """An assessment (YAML and CSV) and the framework, through standards."""

    @given(st.data())
    def test(data: st.DataObject) -> None:
        work = workspace()
        files = copies(work, STANDARDS)
        mutate(data, files[data.draw(st.sampled_from(sorted(files)), label="file")])
        assessment = files[
            data.draw(
                st.sampled_from(["riverside-surgery.yaml", "practices.csv"]), label="assessment"
            )
        ]
        commands = [
            Command(
                ("standards", str(assessment), "--framework", str(files["framework.yaml"])),
                forms=("json", "md", "table"),
            )
        ]
        run_commands(data, work, commands, list(files.values()))

    fuzz(request, test)


def activity_head(rows: int = ACTIVITY_ROWS) -> str:
    with (AUDIT / "activity.csv").open(encoding="utf-8") as handle:
        return "".join(line for _, line in zip(range(rows + 1), handle, strict=False))


def test_activity_files(request: pytest.FixtureRequest, workspace: Callable[[], Path]) -> None:
    """Activity and outcome records, through audit."""
    head = activity_head()

    @given(st.data())
    def test(data: st.DataObject) -> None:
        work = workspace()
        activity = work / "activity.csv"
        activity.write_text(head, encoding="utf-8")
        outcomes = copies(work, {"outcomes.csv": AUDIT / "outcomes.csv"})["outcomes.csv"]
        mutate(data, data.draw(st.sampled_from([activity, outcomes]), label="file"))
        commands = [
            Command(
                ("audit", "--activity", str(activity), "--outcomes", str(outcomes)),
                forms=("json", "csv", "table"),
            )
        ]
        run_commands(data, work, commands, [activity, outcomes])

    fuzz(request, test)


# ------------------------------------------------------------------------- no hang, really


def test_no_hang_in_a_fresh_interpreter(
    request: pytest.FixtureRequest, workspace: Callable[[], Path]
) -> None:
    """A few mutants run as a user runs them, in a new process with a timeout: the time
    limit in-process cannot stop a hang in C (a read that never returns)."""
    from careprofiles.errors import display_path

    @given(st.data())
    def test(data: st.DataObject) -> None:
        work = workspace()
        folder = work / "pathway"
        folder.mkdir()
        files = copies(folder, {name: EOL / name for name in PATHWAY_FILES})
        tariff = copies(work, {"tariff.csv": TARIFF})["tariff.csv"]
        target = data.draw(st.sampled_from([*files.values(), tariff]), label="file")
        mutate(data, target)
        argv = [
            *subprocess_argv(),
            "simulate",
            str(folder),
            "--tariff",
            str(tariff),
            *DRAWS,
            "--format",
            "json",
        ]
        try:
            done = subprocess.run(
                argv, capture_output=True, text=True, timeout=120, check=False, cwd=REPO
            )
        except subprocess.TimeoutExpired:
            pytest.fail(f"{' '.join(argv)} hung (over 120 s)")
        assert done.returncode in (0, 1), done.stderr
        assert "Traceback" not in done.stderr, done.stderr
        assert not PYTHON_WARNING.search(done.stderr), done.stderr
        if done.returncode == 1:
            names = {display_path(p) for p in [*files.values(), tariff]}
            for line in done.stderr.strip().splitlines():
                text = line.strip()
                assert (
                    text.endswith("problems:")
                    or text.startswith("and ")
                    or any(text.startswith(f"{name}:") for name in names)
                ), done.stderr

    fuzz(request, test, ci=4, long=100)  # a fresh interpreter: 0.7 s an example
