"""Figures too large to compute (``costing/overflow.py``; issue 16, found again by the fuzz
test): refused before anything is written, at the line of the number that made them so,
with the problem code ``overflow``; never an infinite figure, a ``null`` or a numpy
warning (warnings are errors in this suite).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from conftest import line_of, make_service, make_stage

from careprofiles.cli import main
from careprofiles.costing.overflow import OVERFLOW
from careprofiles.costing.result import cost
from careprofiles.costing.sensitivity import sensitivity
from careprofiles.costing.simulate import SimulationResult, simulate
from careprofiles.errors import CODES, ProfileError, TariffError
from careprofiles.profiles.load import load_pathway
from careprofiles.tariffs.tables import load_tariff


def files(
    tmp_path: Path,
    write_pathway: Callable[..., Path],
    write_tariff: Callable[..., Path],
    services: list[dict[str, Any]],
    rows: list[dict[str, Any]] | None = None,
    cohort: dict[str, Any] | None = None,
) -> tuple[Path, Path]:
    folder = write_pathway(
        tmp_path / "pathway", stages=[make_stage(services=services)], cohort=cohort
    )
    tariff = write_tariff(tmp_path, rows)
    return folder, tariff


def test_code_is_listed() -> None:
    assert OVERFLOW in CODES


def test_a_huge_per_stage_is_refused_at_its_line(
    tmp_path: Path, write_pathway: Callable[..., Path], write_tariff: Callable[..., Path]
) -> None:
    """``per_stage: 1.0e+308`` of an hour-long visit: the hours overflow."""
    service = make_service(contacts={"per_stage": 1.0e308, "minutes": 60})
    folder, tariff = files(tmp_path, write_pathway, write_tariff, [service])
    with pytest.raises(ProfileError) as info:
        cost(load_pathway(folder), load_tariff(tariff))
    (problem,) = info.value.problems
    assert problem.code == OVERFLOW
    assert problem.file is not None
    assert Path(problem.file).name == "stage-one.yaml"
    assert problem.line == line_of(folder / "stage-one.yaml", "per_stage:")
    assert problem.where == "stage-one/visits/contacts/per_stage"
    assert "tariff.csv:2" in problem.message  # the tariff row of the line


def test_a_huge_unit_cost_is_refused_at_its_tariff_row(
    tmp_path: Path, write_pathway: Callable[..., Path], write_tariff: Callable[..., Path]
) -> None:
    rows = [{"code": "nurse", "unit": "hour", "cost": 1e307}]
    service = make_service(contacts={"per_week": 30, "minutes": 60})
    folder, tariff = files(tmp_path, write_pathway, write_tariff, [service], rows)
    with pytest.raises(TariffError) as info:
        cost(load_pathway(folder), load_tariff(tariff))
    (problem,) = info.value.problems
    assert (problem.code, problem.line, problem.where) == (OVERFLOW, 2, "tariff/nurse")


def test_lines_each_finite_whose_sum_is_not(
    tmp_path: Path, write_pathway: Callable[..., Path], write_tariff: Callable[..., Path]
) -> None:
    """Two lines of 1e308 each: each figure is finite, their sum is not."""
    rows = [{"code": "nurse", "unit": "contact", "cost": 1e305}]
    services = [
        make_service(id=f"visits-{n}", contacts={"per_stage": 1000, "minutes": 1}) for n in range(2)
    ]
    folder, tariff = files(
        tmp_path, write_pathway, write_tariff, services, rows, cohort={"patients": 1}
    )
    with pytest.raises(TariffError) as info:
        cost(load_pathway(folder), load_tariff(tariff))
    assert [p.code for p in info.value.problems] == [OVERFLOW]


def test_a_tiny_hours_per_wte_is_refused_at_its_row(
    tmp_path: Path, write_pathway: Callable[..., Path], write_tariff: Callable[..., Path]
) -> None:
    rows = [{"code": "nurse", "unit": "hour", "cost": 60, "hours_per_wte": 1e-320}]
    folder, tariff = files(tmp_path, write_pathway, write_tariff, [make_service()], rows)
    with pytest.raises(TariffError) as info:
        cost(load_pathway(folder), load_tariff(tariff))
    (problem,) = info.value.problems
    assert (problem.code, problem.line, problem.where) == (OVERFLOW, 2, "hours_per_wte")


def test_simulate_and_sensitivity_refuse_draws_too_large(
    tmp_path: Path, write_pathway: Callable[..., Path], write_tariff: Callable[..., Path]
) -> None:
    """Ranges whose base values (their modes) make a finite cost but whose draws,
    and highs taken one at a time, overflow (a distribution's numbers are at most 1e150
    in size, so it takes two of them and a large price)."""
    per_stage = {"dist": "triangular", "low": 1, "mode": 2, "high": 1e150}
    service = make_service(contacts={"per_stage": per_stage, "minutes": dict(per_stage)})
    rows = [{"code": "nurse", "unit": "hour", "cost": 1e160}]
    folder, tariff = files(
        tmp_path, write_pathway, write_tariff, [service], rows, cohort={"patients": 1}
    )
    assert math.isfinite(cost(load_pathway(folder), load_tariff(tariff)).total)
    pathway, rates = load_pathway(folder), load_tariff(tariff)
    for run in (lambda: simulate(pathway, rates, 200, 1), lambda: sensitivity(pathway, rates)):
        # The price is the number furthest past its plausible size: named at its row.
        with pytest.raises(TariffError) as info:
            run()
        (problem,) = info.value.problems
        assert (problem.code, problem.line) == (OVERFLOW, 2)


def test_a_distribution_past_1e150_is_refused_at_load(
    tmp_path: Path, write_pathway: Callable[..., Path], write_tariff: Callable[..., Path]
) -> None:
    """The range this file's draws test once used (high 1.7e308) is refused when the
    pathway loads, at its line."""
    per_stage = {"dist": "triangular", "low": 1, "mode": 2, "high": 1.7e308}
    service = make_service(contacts={"per_stage": per_stage, "minutes": 60})
    folder, _ = files(tmp_path, write_pathway, write_tariff, [service])
    with pytest.raises(ProfileError) as info:
        load_pathway(folder)
    (problem,) = info.value.problems
    assert problem.line == line_of(folder / "stage-one.yaml", "per_stage:")


def test_the_summary_of_huge_finite_draws_is_finite() -> None:
    """Draws near 1e200 have a sum of squares past the largest float: the mean and sd
    are computed scaled, so they stay finite (and right)."""
    values = np.array([1.0, 2.0, 3.0, 4.0]) * 1e200
    draws = pd.DataFrame({"draw": [1, 2, 3, 4], "per_patient": values})
    result = SimulationResult(
        pathway=None,  # type: ignore[arg-type]  # not used by summary()
        draws=draws,
        seed=1,
        stages=(),
        uncertain=(),
        parameters=1,
        deterministic={"per_patient": 2.5e200},
    )
    row = result.summary().iloc[0]
    assert row["mean"] == pytest.approx(2.5e200)
    assert row["sd"] == pytest.approx(np.std(values / 1e200, ddof=1) * 1e200)
    assert all(math.isfinite(row[k]) for k in ("mean", "sd", "p2.5", "p50", "p97.5"))


def test_the_command_line_refuses_and_writes_nothing(
    tmp_path: Path,
    write_pathway: Callable[..., Path],
    write_tariff: Callable[..., Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The issue's case, end to end: exit 1, the line named, no file written."""
    service = make_service(contacts={"per_stage": 1.0e308, "minutes": 60})
    folder, tariff = files(tmp_path, write_pathway, write_tariff, [service])
    line = line_of(folder / "stage-one.yaml", "per_stage:")
    for command in (["cost"], ["spec"], ["simulate", "--draws", "10", "--seed", "1"]):
        target = tmp_path / f"out-{command[0]}.{'md' if command[0] == 'spec' else 'json'}"
        status = main([*command, str(folder), "--tariff", str(tariff), "-o", str(target)])
        err = capsys.readouterr().err
        assert status == 1
        assert f"stage-one.yaml:{line}: " in err
        assert not target.exists()
        assert sorted(p.name for p in tmp_path.iterdir()) == ["pathway", "tariff.csv"]
