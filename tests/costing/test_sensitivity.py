"""One-way sensitivity (``costing/sensitivity.py``): a hand calculation, the bundled
pathway, and every end against ``evaluate``."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from uncertainty_cases import (
    EXAMPLE_UNCERTAINTY,
    added_in_order,
    nurse_at,
    one_line,
    tri_ppf,
    uncertain_pathway,
    wide_tariff,
)

from careprofiles.costing.compiler import compile_model
from careprofiles.costing.result import cost
from careprofiles.costing.sensitivity import sensitivity
from careprofiles.costing.tariff_uncertainty import (
    load_tariff_uncertainty,
)
from careprofiles.profiles.models import Pathway
from careprofiles.tariffs.tables import Tariff


def test_sensitivity_matches_hand_calculation() -> None:
    pathway = one_line(
        {"dist": "triangular", "low": 30, "mode": 45, "high": 90},
        uptake={"dist": "pert", "low": 0.2, "mode": 0.5, "high": 0.6},
        per_stage=2,
        cohort={"patients": {"dist": "uniform", "low": 80, "high": 120}},
    )
    result = sensitivity(pathway, nurse_at(60))
    # cost per patient = uptake x 2 contacts x minutes / 60 x £60 = 2 x uptake x minutes
    assert result.base == 2 * 0.5 * 45
    assert result.base == cost(pathway, nurse_at(60)).per_patient
    rows = result.rows.set_index("parameter")
    m_lo, m_hi = tri_ppf(0.025, 30, 45, 90), tri_ppf(0.975, 30, 45, 90)
    alpha, beta = 1 + 4 * (0.5 - 0.2) / 0.4, 1 + 4 * (0.6 - 0.5) / 0.4
    u_lo, u_hi = (0.2 + 0.4 * np.asarray(stats.beta.ppf([0.025, 0.975], alpha, beta))).tolist()
    minutes = rows.loc["s/v/contacts/minutes"]
    assert minutes["low_value"] == pytest.approx(m_lo, rel=1e-9)
    assert minutes["high_value"] == pytest.approx(m_hi, rel=1e-9)
    assert minutes["low"] == pytest.approx(2 * 0.5 * m_lo, rel=1e-9)
    assert minutes["high"] == pytest.approx(2 * 0.5 * m_hi, rel=1e-9)
    uptake = rows.loc["s/v/uptake"]
    assert uptake["low"] == pytest.approx(2 * u_lo * 45, rel=1e-9)
    assert uptake["high"] == pytest.approx(2 * u_hi * 45, rel=1e-9)
    assert uptake["swing"] == pytest.approx(2 * 45 * (u_hi - u_lo), rel=1e-9)
    cohort = rows.loc["cohort/patients"]
    assert cohort["low"] == cohort["high"] == result.base  # the cohort moves totals only
    assert cohort["low_total"] == pytest.approx(result.base * (80 + 0.025 * 40), rel=1e-12)
    assert cohort["high_total"] == pytest.approx(result.base * (80 + 0.975 * 40), rel=1e-12)
    # largest swing first
    assert list(result.rows["parameter"]) == [
        "s/v/contacts/minutes",
        "s/v/uptake",
        "cohort/patients",
    ]
    swings = list(result.rows["swing"])
    assert swings == sorted(swings, reverse=True)
    data = result.to_dict()
    assert set(data) >= {"base", "rows"}
    for row in data["rows"]:
        assert set(row) >= {"parameter", "low_value", "high_value", "low", "high"}


def test_sensitivity_of_the_bundled_pathway(
    default_pathway: Pathway, default_tariff: Tariff
) -> None:
    result = sensitivity(default_pathway, default_tariff)
    assert result.base == cost(default_pathway, default_tariff).per_patient
    model = compile_model(default_pathway, default_tariff)
    assert len(result.rows) == sum(p.uncertain for p in model.parameters)
    # every cost rises with every number: the low end never costs more than the high end
    assert (result.rows["low_value"] <= result.rows["high_value"]).all()
    assert (result.rows["low"] <= result.rows["high"] + 1e-9).all()
    with_tariff = sensitivity(
        default_pathway,
        default_tariff,
        tariff_uncertainty=load_tariff_uncertainty(EXAMPLE_UNCERTAINTY),
    )
    assert len(with_tariff.rows) > len(result.rows)
    assert "tariff/gp" in set(with_tariff.rows["parameter"])


def test_nothing_uncertain_has_no_rows() -> None:
    result = sensitivity(one_line(), nurse_at())
    assert result.rows.empty
    assert result.base == 45.0


def test_sensitivity_ends_are_evaluate_of_their_sets() -> None:
    pathway, tariff = uncertain_pathway(), wide_tariff()
    result = sensitivity(pathway, tariff)
    model = compile_model(pathway, tariff)
    assert 2 * len(result.rows) + 1 > 256  # more than one block of sets
    where = {a: i for i, a in enumerate(model.addresses())}
    values = np.tile(model.base_values(), (2 * len(result.rows), 1))
    rows = result.rows
    ends = zip(rows["parameter"], rows["low_value"], rows["high_value"], strict=True)
    for j, (address, low, high) in enumerate(ends):
        values[2 * j, where[address]] = low
        values[2 * j + 1, where[address]] = high
    _, per_patient, cohort = added_in_order(model, values)
    assert result.rows["low"].tolist() == per_patient[0::2].tolist()
    assert result.rows["high"].tolist() == per_patient[1::2].tolist()
    assert result.rows["low_total"].tolist() == (per_patient * cohort)[0::2].tolist()
    assert result.rows["high_total"].tolist() == (per_patient * cohort)[1::2].tolist()
    assert result.base == cost(pathway, tariff).per_patient
