"""The fast arithmetic of Monte Carlo and sensitivity (``costing/_plan.py``): every
line's cost per cohort patient is ``CostModel.evaluate``'s, to the last bit."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from costing_cases import (
    WIDE_PRICES,
    bits,
    costs,
    pathway_of,
    pathways,
    property_settings,
    tariff_of,
    vary,
    wide_pathway,
)
from hypothesis import given, strategies as st

from careprofiles.costing._plan import line_costs, plan_for
from careprofiles.costing.compiler import compile_model

WIDE_VARYING = {
    "nothing": [],
    "the long stage's reach": ["long/reach"],
    "two shares": ["long/v3/staff/nurse/share", "short/v1/staff/nurse/share"],
    "a count and a share on different lines": [
        "long/v7/staff/hca/count",
        "long/v8/staff/nurse/share",
    ],
    "every uptake": [f"long/v{i}/uptake" for i in range(70)] + ["short/v0/uptake"],
    "a few minutes": ["long/v4/contacts/minutes", "short/v2/contacts/minutes"],
    "travel": ["long/v5/contacts/travel_minutes"],
    "durations": ["long/duration_weeks", "short/duration_weeks"],
    "a frequency and an item": ["long/v8/contacts/per_stage", "long/v10/items/pack/quantity"],
    "the nurse's cost": ["tariff/nurse"],
    "the cohort": ["cohort/deaths_per_1000", "cohort/eligible_share"],
}


@pytest.mark.parametrize("case", sorted(WIDE_VARYING))
@pytest.mark.parametrize("sets", [1, 2, 37])
def test_line_costs_are_evaluate_to_the_last_bit(case: str, sets: int) -> None:
    model = compile_model(wide_pathway(), tariff_of(WIDE_PRICES))
    addresses = WIDE_VARYING[case]
    values = vary(model, addresses, sets, seed=len(case) * sets)
    expected = model.evaluate(values)
    got = line_costs(model, values)
    assert got.shape == (len(model.lines), sets)
    assert np.array_equal(bits(got), bits(expected.cost_per_patient.T))
    # the plan for exactly these parameters, asked directly
    plan = plan_for(model, [model.addresses().index(a) for a in addresses])
    direct = plan.line_costs(values[:, plan.varying].T, values[0])
    assert np.array_equal(bits(np.broadcast_to(direct, got.shape)), bits(got))
    cohort = plan.cohort(np.vstack([values[:, plan.varying].T]), values[0])
    assert np.array_equal(bits(np.broadcast_to(cohort, (sets,))), bits(expected.cohort))


def test_line_plans_use_each_way_of_applying_a_factor() -> None:
    """The cases above cover every branch of the fast arithmetic (not a vacuous test)."""
    model = compile_model(wide_pathway(), tariff_of(WIDE_PRICES))
    modes = set()
    for addresses in WIDE_VARYING.values():
        plan = plan_for(model, [model.addresses().index(a) for a in addresses])
        modes |= {f.mode for f in plan.factors}
    assert modes == {"fixed", "runs", "some", "all"}
    minutes = WIDE_VARYING["a few minutes"]
    everything = plan_for(model, [model.addresses().index(a) for a in minutes])
    assert everything.groups_vary
    assert len(everything.extra) > 0  # the services whose minutes do not vary


@property_settings
@given(
    pathways(),
    costs,
    st.integers(1, 5),
    st.sampled_from([0.0, 0.1, 0.5, 1.0]),
    st.integers(0, 2**32 - 1),
)
def test_line_costs_are_evaluate_to_the_last_bit_property(
    data: dict[str, Any], prices: dict[str, float], sets: int, moved: float, seed: int
) -> None:
    model = compile_model(pathway_of(data), tariff_of(prices))
    rng = np.random.default_rng(seed)
    chosen = [a for a in model.addresses()[2:] if rng.random() < moved]
    values = vary(model, chosen, sets, seed)
    expected = model.evaluate(values).cost_per_patient.T
    assert np.array_equal(bits(line_costs(model, values)), bits(expected))
    plan = plan_for(model, [model.addresses().index(a) for a in chosen])
    direct = plan.line_costs(values[:, plan.varying].T, values[0])
    assert np.array_equal(bits(np.broadcast_to(direct, expected.shape)), bits(expected))
