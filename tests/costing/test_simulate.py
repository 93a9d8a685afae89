"""Monte Carlo (``costing/simulate.py``): closed forms, exactness, reproducibility,
negative draws, properties, the progress bar, and every draw against ``evaluate``."""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import line_of
from hypothesis import HealthCheck, given, settings, strategies as st
from uncertainty_cases import (
    STATS,
    added_in_order,
    deterministic_copy,
    nurse_at,
    one_line,
    tri_pdf,
    tri_ppf,
    uncertain_pathway,
    wide_tariff,
)

from careprofiles.costing.compiler import compile_model
from careprofiles.costing.result import cost
from careprofiles.costing.sensitivity import sensitivity
from careprofiles.costing.simulate import sample_parameters, simulate
from careprofiles.costing.tariff_uncertainty import (
    load_tariff_uncertainty,
)
from careprofiles.errors import MissingDependencyError, ProfileError
from careprofiles.outputs.tables import to_json
from careprofiles.profiles.load import load_pathway
from careprofiles.profiles.models import Pathway
from careprofiles.tariffs.tables import Tariff, load_tariff

# --------------------------------------------------------------------------------------
# Closed forms.
# --------------------------------------------------------------------------------------


def test_single_triangular_input_matches_closed_form() -> None:
    a, c, b = 30.0, 45.0, 90.0
    n = 200_000
    result = simulate(
        one_line({"dist": "triangular", "low": a, "mode": c, "high": b}), nurse_at(60), n, 11
    )
    mean = (a + b + c) / 3
    sd = math.sqrt((a * a + b * b + c * c - a * b - a * c - b * c) / 18)
    summary = result.to_dict()["per_patient"]
    # cost per patient = minutes / 60 x £60 = minutes
    assert summary["mean"] == pytest.approx(mean, abs=5 * sd / math.sqrt(n))
    assert summary["sd"] == pytest.approx(sd, abs=5 * sd / math.sqrt(2 * n))
    for key, q in (("p2.5", 0.025), ("p50", 0.5), ("p97.5", 0.975)):
        x = tri_ppf(q, a, c, b)
        standard_error = math.sqrt(q * (1 - q) / n) / tri_pdf(x, a, c, b)
        assert summary[key] == pytest.approx(x, abs=5 * standard_error), key
    assert summary["deterministic"] == c
    total = result.to_dict()["total"]
    assert total["mean"] == pytest.approx(100 * summary["mean"], rel=1e-12)


def test_tariff_uncertainty_closed_form(tmp_path: Path) -> None:
    csv = tmp_path / "u.csv"
    csv.write_text("code,dist,low,mode,high\nnurse,triangular,40,60,110\n", encoding="utf-8")
    n = 100_000
    result = simulate(
        one_line(60), nurse_at(60), n, 3, tariff_uncertainty=load_tariff_uncertainty(csv)
    )
    # cost per patient = 1 hour x the nurse's cost
    sd = math.sqrt((40**2 + 60**2 + 110**2 - 40 * 60 - 40 * 110 - 60 * 110) / 18)
    assert result.to_dict()["per_patient"]["mean"] == pytest.approx(70, abs=5 * sd / math.sqrt(n))
    assert result.uncertain == ("tariff/nurse",)


# --------------------------------------------------------------------------------------
# Exactness and reproducibility.
# --------------------------------------------------------------------------------------


def test_zero_variance_gives_the_deterministic_figures_exactly(tmp_path: Path) -> None:
    pathway = load_pathway(deterministic_copy(tmp_path / "eol"))
    tariff = load_tariff()
    deterministic = cost(pathway, tariff)
    result = simulate(pathway, tariff, 333, 5, chunk_size=50)
    assert result.uncertain == ()
    data = result.to_dict()
    expected = {
        "per_patient": deterministic.per_patient,
        "total": deterministic.total,
        "cohort": deterministic.cohort,
    }
    for measure, value in expected.items():
        for key in ("mean", "p2.5", "p50", "p97.5", "deterministic"):
            assert data[measure][key] == value, (measure, key)
        assert data[measure]["sd"] == 0.0
    stages = deterministic.by_stage().set_index("stage")
    for stage in data["stages"]:
        for measure in ("per_patient", "total"):
            value = stages.loc[stage["id"], measure]
            for key in ("mean", "p2.5", "p50", "p97.5", "deterministic"):
                assert stage[measure][key] == value, (stage["id"], measure, key)
            assert stage[measure]["sd"] == 0.0


def test_fixed_distributions_are_zero_variance() -> None:
    pathway = one_line(
        {"dist": "fixed", "value": 50}, uptake={"dist": "uniform", "low": 0.5, "high": 0.5}
    )
    result = simulate(pathway, nurse_at(61.3), 100, 1)
    expected = cost(pathway, nurse_at(61.3)).per_patient
    assert result.uncertain == ()
    assert (result.draws["per_patient"] == expected).all()


def test_deterministic_column_is_cost_with_uncertainty(
    default_pathway: Pathway, default_tariff: Tariff
) -> None:
    result = simulate(default_pathway, default_tariff, 200, 1)
    deterministic = cost(default_pathway, default_tariff)
    assert result.deterministic["per_patient"] == deterministic.per_patient
    assert result.deterministic["total"] == deterministic.total
    for row in deterministic.by_stage().itertuples():
        assert result.deterministic[f"{row.stage}/per_patient"] == row.per_patient
        assert result.deterministic[f"{row.stage}/total"] == row.total
    assert len(result.uncertain) == sum(
        p.uncertain for p in compile_model(default_pathway, default_tariff).parameters
    )


def test_same_seed_same_bytes_and_chunking_does_not_matter(
    default_pathway: Pathway, default_tariff: Tariff
) -> None:
    a = simulate(default_pathway, default_tariff, 3000, 42)
    b = simulate(default_pathway, default_tariff, 3000, 42, chunk_size=217)
    c = simulate(default_pathway, default_tariff, 3000, 43)
    assert a.draws.to_csv(index=False) == b.draws.to_csv(index=False)
    assert to_json(a.to_dict()) == to_json(b.to_dict())
    assert not a.draws["per_patient"].equals(c.draws["per_patient"])
    generator = simulate(default_pathway, default_tariff, 3000, np.random.default_rng(42))
    assert generator.draws.equals(a.draws)
    assert generator.seed is None
    assert a.seed == 42


def test_draw_columns_and_summary(default_pathway: Pathway, default_tariff: Tariff) -> None:
    result = simulate(default_pathway, default_tariff, 1000, 2)
    stages = [s.id for s in default_pathway.stages]
    assert list(result.draws.columns) == [
        "draw",
        "per_patient",
        "total",
        "cohort",
        *(f"{s}/{m}" for s in stages for m in ("per_patient", "total")),
    ]
    assert list(result.draws["draw"]) == list(range(1, 1001))
    # stages add up to the pathway, in every draw
    parts = sum(result.draws[f"{s}/per_patient"] for s in stages)
    assert np.allclose(parts, result.draws["per_patient"], rtol=1e-12)
    assert np.allclose(
        result.draws["total"], result.draws["per_patient"] * result.draws["cohort"], rtol=1e-15
    )
    summary = result.summary()
    assert list(summary.columns) == ["measure", "deterministic", *STATS]
    row = summary.set_index("measure").loc["per_patient"]
    x = result.draws["per_patient"].to_numpy()
    assert row["mean"] == pytest.approx(x.mean(), rel=1e-12)
    assert row["sd"] == pytest.approx(x.std(ddof=1), rel=1e-9)
    assert row["p50"] == pytest.approx(np.median(x), rel=1e-12)
    data = result.to_dict()
    assert set(data) >= {"draws", "seed", "per_patient", "total", "stages"}
    assert data["draws"] == 1000
    assert data["seed"] == 2
    for key in ("per_patient", "total"):
        assert set(data[key]) >= set(STATS)
    assert [s["id"] for s in data["stages"]] == stages
    for s in data["stages"]:
        assert set(s["per_patient"]) >= set(STATS)
        assert set(s["total"]) >= set(STATS)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="draws 0 must be a whole number of 1 or more"):
        simulate(one_line(), nurse_at(), 0, 1)
    with pytest.raises(ValueError, match="seed -1"):
        simulate(one_line(), nurse_at(), 10, -1)
    with pytest.raises(ValueError, match="chunk_size"):
        simulate(one_line(), nurse_at(), 10, 1, chunk_size=0)
    with pytest.raises(ValueError, match="need 0 < low < high < 1"):
        sensitivity(one_line(), nurse_at(), low=0.9, high=0.1)


# --------------------------------------------------------------------------------------
# Negative draws are reported, not clipped.
# --------------------------------------------------------------------------------------


def test_negative_normal_draw_names_the_parameter_and_line(
    tmp_path: Path, write_pathway: Any, write_tariff: Any
) -> None:
    stage = {
        "format": "careprofiles/1",
        "id": "s",
        "duration_weeks": 1,
        "services": [
            {
                "id": "v",
                "setting": "home",
                "contacts": {"per_stage": 1, "minutes": {"dist": "normal", "mean": 10, "sd": 10}},
                "staff": [{"role": "nurse"}],
            }
        ],
    }
    folder = write_pathway(tmp_path / "p", stages=[stage])
    tariff = load_tariff(write_tariff(tmp_path))
    pathway = load_pathway(folder)
    with pytest.raises(ProfileError) as info:
        simulate(pathway, tariff, 1000, 1, chunk_size=100)
    text = str(info.value)
    # the line of the number itself (the minutes: key), not of the contacts mapping
    contacts = pathway.stages[0].services[0].contacts
    assert contacts is not None
    file = contacts.location.rpartition(":")[0]
    line = line_of(folder / "s.yaml", "minutes:")
    assert line != int(contacts.location.rpartition(":")[2])
    assert text.startswith(
        f"{file}:{line}: s/v/contacts/minutes: normal(10, 10) drew values below 0 in "
    )
    assert "of 1,000 draws" in text
    assert "use a gamma or lognormal" in text
    count = int(text.split(" in ")[1].split(" of ")[0].replace(",", ""))
    assert 100 < count < 250  # about 16% of 1,000
    with pytest.raises(ProfileError, match=r"the 2\.5% point of normal"):
        sensitivity(pathway, tariff)


def test_normal_well_above_zero_is_fine() -> None:
    result = simulate(one_line({"dist": "normal", "mean": 100, "sd": 1}), nurse_at(), 2000, 1)
    assert result.uncertain == ("s/v/contacts/minutes",)
    assert result.to_dict()["per_patient"]["mean"] == pytest.approx(100, abs=0.2)


# --------------------------------------------------------------------------------------
# Properties.
# --------------------------------------------------------------------------------------


def _plain(x: float) -> float:
    """A distribution's numbers are 0 or at least 1e-150 in size (a mode of 1.4e-309 is
    refused at its line: tests/profiles/test_distributions.py)."""
    return x if x >= 1e-150 else 0.0


def _range(t: tuple[float, float, float]) -> tuple[float, float, float]:
    low, share, width = _plain(t[0]), _plain(t[1]), t[2]
    return (low, max(low, _plain(low + share * width)), low + width)


bounds = st.tuples(
    st.floats(0, 100, allow_nan=False),
    st.floats(0, 1, allow_nan=False),
    st.floats(0.01, 100, allow_nan=False),
).map(_range)
shares = st.tuples(st.floats(0, 0.9), st.floats(0, 1), st.floats(0.01, 0.1)).map(_range)
prop = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@prop
@given(
    minutes=bounds,
    uptake=shares,
    kind=st.sampled_from(["triangular", "pert"]),
    seed=st.integers(0, 2**32),
)
def test_draws_stay_within_their_support(
    minutes: tuple[float, float, float], uptake: tuple[float, float, float], kind: str, seed: int
) -> None:
    a, c, b = minutes
    ua, uc, ub = uptake
    pathway = one_line(
        {"dist": kind, "low": a, "mode": c, "high": b},
        uptake={"dist": kind, "low": ua, "mode": uc, "high": ub},
    )
    model = compile_model(pathway, nurse_at(60))
    values = sample_parameters(model, 500, seed)
    where = {p.address: i for i, p in enumerate(model.parameters)}
    m = values[:, where["s/v/contacts/minutes"]]
    u = values[:, where["s/v/uptake"]]
    assert (m >= a).all()
    assert (m <= b).all()
    assert (u >= ua).all()
    assert (u <= ub).all()
    result = simulate(pathway, nurse_at(60), 500, seed)
    per_patient = result.draws["per_patient"].to_numpy()
    assert (per_patient >= 0).all()
    assert (per_patient <= ub * b * (1 + 1e-12)).all()


@prop
@given(seed=st.integers(0, 2**32), chunk=st.integers(1, 400), draws=st.integers(1, 400))
def test_chunk_size_never_changes_the_draws(seed: int, chunk: int, draws: int) -> None:
    pathway = one_line(
        {"dist": "gamma", "mean": 40, "sd": 8},
        uptake={"dist": "beta", "mean": 0.5, "sd": 0.1},
        per_stage={"dist": "uniform", "low": 1, "high": 3},
    )
    one = simulate(pathway, nurse_at(), draws, seed)
    other = simulate(pathway, nurse_at(), draws, seed, chunk_size=chunk)
    assert one.draws.equals(other.draws)


@prop
@given(
    minutes=st.floats(0, 600, allow_nan=False),
    uptake=st.floats(0, 1, allow_nan=False),
    contacts=st.floats(0, 50, allow_nan=False),
    rate=st.floats(0, 500, allow_nan=False),
    patients=st.floats(0, 1e5, allow_nan=False),
)
def test_zero_variance_property(
    minutes: float, uptake: float, contacts: float, rate: float, patients: float
) -> None:
    pathway = one_line(minutes, uptake=uptake, per_stage=contacts, cohort={"patients": patients})
    deterministic = cost(pathway, nurse_at(rate))
    data = simulate(pathway, nurse_at(rate), 7, 0).to_dict()
    for key in ("mean", "p2.5", "p50", "p97.5"):
        assert data["per_patient"][key] == deterministic.per_patient
        assert data["total"][key] == deterministic.total
    assert sensitivity(pathway, nurse_at(rate)).base == deterministic.per_patient


# --------------------------------------------------------------------------------------
# Progress bar.
# --------------------------------------------------------------------------------------


def test_progress_bar_on_request(capsys: pytest.CaptureFixture[str]) -> None:
    quiet = simulate(
        one_line({"dist": "triangular", "low": 1, "mode": 2, "high": 3}), nurse_at(), 500, 1
    )
    shown = simulate(
        one_line({"dist": "triangular", "low": 1, "mode": 2, "high": 3}),
        nurse_at(),
        500,
        1,
        progress=True,
        chunk_size=100,
    )
    assert quiet.draws.equals(shown.draws)
    assert "draw" in capsys.readouterr().err


def test_progress_bar_needs_tqdm(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "tqdm", None)
    with pytest.raises(MissingDependencyError, match=r"pip install 'careprofiles\[progress\]'"):
        simulate(one_line(), nurse_at(), 10, 1, progress=True)
    # automatic mode never fails for want of a progress bar
    assert simulate(one_line(), nurse_at(), 10, 1).n == 10


# --------------------------------------------------------------------------------------
# The fast path: every draw is what the straightforward arithmetic gives.
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("chunk", [None, 1, 97, 256, 300, 1000])
def test_every_draw_is_evaluate_of_its_parameters(chunk: int | None) -> None:
    pathway, tariff = uncertain_pathway(), wide_tariff()
    draws, seed = 700, 8
    result = simulate(pathway, tariff, draws, seed, chunk_size=chunk)
    model = compile_model(pathway, tariff)
    stages, per_patient, cohort = added_in_order(model, sample_parameters(model, draws, seed))
    assert len(result.uncertain) > 100
    assert result.draws["per_patient"].to_numpy().tolist() == per_patient.tolist()
    assert result.draws["total"].to_numpy().tolist() == (per_patient * cohort).tolist()
    assert result.draws["cohort"].to_numpy().tolist() == cohort.tolist()
    for k, stage in enumerate(pathway.stages):
        mine = result.draws[f"{stage.id}/per_patient"].to_numpy()
        assert mine.tolist() == stages[:, k].tolist()
        total = result.draws[f"{stage.id}/total"].to_numpy()
        assert total.tolist() == (stages[:, k] * cohort).tolist()
    deterministic = cost(pathway, tariff)
    assert result.deterministic["per_patient"] == deterministic.per_patient
    assert result.deterministic["total"] == deterministic.total
