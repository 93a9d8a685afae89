"""Draws that would not fit in memory are refused before anything is drawn (costing._memory).

``--draws 10**9`` used to end in numpy's ``_ArrayMemoryError`` tracebacks, and ``10**8``
started an 8 GB run unasked; now a number of draws whose tables would not fit in the
memory available is refused with the figure and how many would fit.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest
from conftest import run_python

import careprofiles.costing._memory as memory
from careprofiles.cli import main
from careprofiles.costing.compiler import compile_model
from careprofiles.costing.simulate import TOO_MANY_DRAWS, sample_parameters, simulate
from careprofiles.errors import ValidationError
from careprofiles.profiles.models import Pathway
from careprofiles.tariffs.tables import Tariff

GB = 1 << 30


@pytest.fixture
def sixteen_gb(monkeypatch: pytest.MonkeyPatch) -> None:
    """A machine with 16 GB available, whatever this one has."""
    monkeypatch.setattr(memory, "available_memory", lambda: 16 * GB)


def test_draws_that_fit_pass_and_draws_that_do_not_are_refused(sixteen_gb: None) -> None:
    per_draw = 8 * 10 * memory.TABLE_COPIES  # 10 figures a draw
    fit = (16 * GB) // per_draw
    memory.check_draws_fit(fit, 10, 0)
    with pytest.raises(ValidationError) as caught:
        memory.check_draws_fit(fit + 1, 10, 0)
    (problem,) = caught.value.problems
    assert (problem.code, problem.where) == (TOO_MANY_DRAWS, "draws")
    assert problem.message.startswith(f"{fit + 1:,} draws would need about 16.0 GB of memory")
    assert f"more than the 16.0 GB available; make fewer draws: about {fit:,} at most" in str(
        caught.value
    )
    with pytest.raises(ValidationError, match=f"about {fit - 1_000_000 // per_draw:,} at most"):
        memory.check_draws_fit(fit, 10, 1_000_000)  # working arrays count too


def test_nothing_is_refused_when_the_memory_cannot_be_told(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(memory, "available_memory", lambda: None)
    memory.check_draws_fit(10**15, 10, 0)


def test_the_memory_available_is_a_plausible_figure() -> None:
    available = memory.available_memory()
    if sys.platform.startswith("linux"):
        assert available is not None
    if available is not None:
        assert 0 < available < 1 << 50


def test_simulate_refuses_a_billion_draws_before_drawing(
    sixteen_gb: None, default_pathway: Pathway, default_tariff: Tariff
) -> None:
    start = time.monotonic()
    with pytest.raises(ValidationError) as caught:
        simulate(default_pathway, default_tariff, 10**9, 1)
    assert time.monotonic() - start < 30  # refused, not drawn
    (problem,) = caught.value.problems
    assert problem.code == TOO_MANY_DRAWS
    assert problem.message.startswith("1,000,000,000 draws would need about ")
    model = compile_model(default_pathway, default_tariff)
    with pytest.raises(ValidationError) as caught:
        sample_parameters(model, 10**9, 1)
    assert caught.value.problems[0].code == TOO_MANY_DRAWS
    assert simulate(default_pathway, default_tariff, 100, 1).n == 100  # a run that fits


def test_cli_refuses_a_billion_draws_with_exit_1_and_no_traceback(
    sixteen_gb: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["simulate", "--draws", "1000000000", "--seed", "1"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("--draws 1,000,000,000: 1,000,000,000 draws would need about ")
    assert "make fewer draws: about " in err
    assert "Traceback" not in err


def test_process_refuses_a_billion_draws(tmp_path: Path) -> None:
    available = memory.available_memory()
    if available is not None and available > 500 * GB:  # pragma: no cover - a big machine
        pytest.skip("this machine could hold a billion draws")
    done = run_python(
        "-m", "careprofiles", "simulate", "--draws", "1000000000", "--seed", "1", cwd=tmp_path
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert "MemoryError" not in done.stderr
    assert done.stderr.startswith("--draws 1,000,000,000: ")
    assert list(tmp_path.iterdir()) == []


def test_a_memory_error_nothing_foresaw_is_a_message(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import careprofiles.cli.cost

    def exhausted(*args: object, **kwargs: object) -> None:
        raise MemoryError

    monkeypatch.setattr(careprofiles.cli.cost, "cost", exhausted)
    assert main(["cost"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("out of memory: ")
    assert "Traceback" not in err
