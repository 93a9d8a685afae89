"""The compiled model (``costing/model.py``, ``costing/_parameters.py``): its parameters,
the reference arithmetic ``evaluate``, and the in-order sums every figure shares."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from costing_cases import (
    EARLY,
    LATE,
    TARIFF,
    WIDE_PRICES,
    bits,
    in_order,
    tariff_of,
    wide_pathway,
)

from careprofiles.costing._parameters import Parameter, Parameters
from careprofiles.costing.compiler import compile_model
from careprofiles.profiles.load import load_pathway
from careprofiles.tariffs.tables import load_tariff


@pytest.fixture
def hand_files(
    tmp_path: Path, write_pathway: Callable[..., Path], write_tariff: Callable[..., Path]
) -> tuple[Path, Path]:
    folder = write_pathway(tmp_path / "pw", stages=[EARLY, LATE], cohort={"patients": 100})
    return folder, write_tariff(tmp_path, TARIFF, name="national.csv")


def test_parameters_behave_as_a_read_only_tuple(hand_files: tuple[Path, Path]) -> None:
    folder, national = hand_files
    model = compile_model(load_pathway(folder), load_tariff(national))
    params = model.parameters
    assert isinstance(params, Parameters)
    as_tuple = tuple(params)
    assert len(params) == len(as_tuple) > 2
    assert all(isinstance(p, Parameter) for p in as_tuple)
    assert params[0] == Parameter("1", 1.0)
    assert params[1] == Parameter("0", 0.0)
    assert params[-1] == as_tuple[-1]
    assert params[2:5] == as_tuple[2:5]
    assert params == as_tuple
    assert model.addresses() == [p.address for p in as_tuple]
    assert len(set(model.addresses())) == len(params)  # each address once
    np.testing.assert_array_equal(model.base_values(), [p.base for p in as_tuple])
    with pytest.raises(IndexError):
        params[len(params)]
    with pytest.raises(TypeError):
        hash(params)
    with pytest.raises(ValueError, match="differ in length"):
        Parameters(["a"], [1.0], [None], [], [1.0])


def test_evaluate_is_vectorised_over_parameter_sets(hand_files: tuple[Path, Path]) -> None:
    folder, national = hand_files
    model = compile_model(load_pathway(folder), load_tariff(national))
    base = model.base_values()
    doubled = base.copy()
    doubled[model.addresses().index("tariff/nurse")] *= 2
    ev = model.evaluate(np.vstack([base, doubled]))
    per_patient = ev.cost_per_patient.sum(axis=1)
    assert per_patient[0] == pytest.approx(1619.50)
    assert per_patient[1] == pytest.approx(1619.50 + 15.8 * 60)
    assert ev.cohort.tolist() == [100, 100]


# --------------------------------------------------------------------------------------
# The sums every figure shares
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("sets", [1, 2, 3, 8, 301])
def test_stage_sums_add_each_sets_lines_in_order(sets: int) -> None:
    model = compile_model(wide_pathway(), tariff_of(WIDE_PRICES))
    rng = np.random.default_rng(sets)
    lines = len(model.lines)
    # magnitudes from 1e-12 to 1e12: any other order of addition gives other bits
    matrix = rng.standard_normal((lines, sets)) * 10.0 ** rng.integers(-12, 12, (lines, sets))
    sums = model.stage_sums(matrix)
    stage_of = model.lines["stage"].to_numpy()
    ids = [s.id for s in model.pathway.stages]
    assert sums.shape == (len(ids), sets)
    for k, stage in enumerate(ids):
        mine = matrix[stage_of == stage]
        assert len(mine) > 8  # long enough for a pairwise sum to differ
        for j in range(sets):
            assert sums[k, j] == in_order(mine[:, j]), (stage, j)
    pathway = model.pathway_sums(sums)
    for j in range(sets):
        assert pathway[j] == in_order(sums[:, j])
        # and a set's sums do not depend on the others summed with it
        alone = model.stage_sums(matrix[:, j : j + 1])
        assert np.array_equal(bits(alone[:, 0]), bits(sums[:, j]))


def test_a_stage_without_lines_sums_to_zero() -> None:
    model = compile_model(wide_pathway(), tariff_of(WIDE_PRICES))
    sums = model.stage_sums(np.ones((len(model.lines), 4)))
    first_short = int(np.flatnonzero(model.lines["stage"].to_numpy() == "short")[0])
    assert model.stage_bounds().tolist() == [0, first_short, len(model.lines)]
    assert sums[:, 0].tolist() == [first_short, len(model.lines) - first_short]
    assert model.pathway_sums(np.zeros((0, 3))).tolist() == [0.0, 0.0, 0.0]
