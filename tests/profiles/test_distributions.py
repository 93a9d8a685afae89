"""Distributions: base values as the spec's table says, draws, quantiles, parameters."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from scipy import stats

from careprofiles.errors import ProfileError
from careprofiles.profiles.distributions import (
    DISTRIBUTIONS,
    Beta,
    Distribution,
    Fixed,
    Gamma,
    LogNormal,
    Normal,
    Pert,
    Triangular,
    Uniform,
    base_value,
    ppf,
)
from careprofiles.profiles.load import load_stage
from careprofiles.profiles.numbers import parse_uncertain, scale_uncertain

# the table of the format spec: dist, parameters, base value
SPEC_TABLE: list[tuple[dict[str, Any], float]] = [
    ({"dist": "fixed", "value": 3}, 3),
    ({"dist": "uniform", "low": 2, "high": 6}, 4),
    ({"dist": "triangular", "low": 30, "mode": 45, "high": 60}, 45),
    ({"dist": "pert", "low": 1, "mode": 2, "high": 9}, 2),
    ({"dist": "normal", "mean": 10, "sd": 2}, 10),
    ({"dist": "lognormal", "mean": 10, "sd": 2}, 10),
    ({"dist": "gamma", "mean": 10, "sd": 2}, 10),
    ({"dist": "beta", "mean": 0.8, "sd": 0.05}, 0.8),
]


@pytest.mark.parametrize(("raw", "base"), SPEC_TABLE, ids=[r["dist"] for r, _ in SPEC_TABLE])
def test_base_values_follow_the_spec(raw: dict[str, Any], base: float) -> None:
    dist = parse_uncertain(raw)
    assert isinstance(dist, DISTRIBUTIONS[raw["dist"]])
    assert base_value(dist) == base


@pytest.mark.parametrize(
    ("raw", "base"), SPEC_TABLE[1:], ids=[r["dist"] for r, _ in SPEC_TABLE[1:]]
)
def test_value_overrides_the_base(raw: dict[str, Any], base: float) -> None:
    dist = parse_uncertain({**raw, "value": base * 0.99})
    assert base_value(dist) == pytest.approx(base * 0.99)
    assert isinstance(dist, Distribution)
    assert "value" in dist.describe()


def test_plain_numbers() -> None:
    assert parse_uncertain(3) == 3.0
    assert isinstance(parse_uncertain(3), float)
    assert base_value(2.5) == 2.5
    assert ppf(2.5, 0.975) == 2.5
    assert scale_uncertain(2.0, 1.5) == 3.0


N = 200_000


@pytest.mark.parametrize(
    ("dist", "mean", "sd"),
    [
        (Uniform(low=2, high=6), 4, 4 / math.sqrt(12)),
        (
            Triangular(low=30, mode=45, high=60),
            45,
            math.sqrt((30**2 + 45**2 + 60**2 - 30 * 45 - 30 * 60 - 45 * 60) / 18),
        ),
        (Pert(low=1, mode=2, high=9), (1 + 4 * 2 + 9) / 6, None),
        (Normal(mean=10, sd=2), 10, 2),
        (LogNormal(mean=10, sd=2), 10, 2),
        (Gamma(mean=10, sd=2), 10, 2),
        (Beta(mean=0.8, sd=0.05), 0.8, 0.05),
    ],
)
def test_draws_have_the_stated_moments(dist: Distribution, mean: float, sd: float | None) -> None:
    draws = dist.sample(np.random.default_rng(20240401), N)
    assert draws.shape == (N,)
    assert draws.dtype == np.float64
    # five standard errors: fails by chance about once in three million runs
    spread = sd if sd is not None else float(np.std(draws))
    assert abs(float(np.mean(draws)) - mean) < 5 * spread / math.sqrt(N)
    if sd is not None:
        assert float(np.std(draws)) == pytest.approx(sd, rel=0.02)
    low, high = dist.support
    assert draws.min() >= low
    assert draws.max() <= high


def test_same_seed_same_draws() -> None:
    for raw, _ in SPEC_TABLE:
        dist = parse_uncertain(raw)
        assert isinstance(dist, Distribution)
        a = dist.sample(np.random.default_rng(7), 100)
        b = dist.sample(np.random.default_rng(7), 100)
        assert np.array_equal(a, b)


def test_fixed_and_degenerate() -> None:
    fixed = Fixed(value=4)
    assert fixed.is_degenerate
    assert np.all(fixed.sample(np.random.default_rng(0), 5) == 4)
    assert np.all(fixed.ppf(np.array([0.1, 0.9])) == 4)
    flat = Uniform(low=3, high=3)
    assert flat.is_degenerate
    assert np.all(flat.sample(np.random.default_rng(0), 5) == 3)


def test_quantiles() -> None:
    uniform = Uniform(low=2, high=6)
    assert float(uniform.ppf(0.25)) == pytest.approx(3)
    tri = Triangular(low=0, mode=0, high=1)
    # F(x) = 1 - (1 - x)^2 for mode 0 on 0..1
    assert float(tri.ppf(0.75)) == pytest.approx(0.5)
    normal = Normal(mean=10, sd=2)
    assert ppf(normal, 0.975) == pytest.approx(10 + 2 * 1.959964, rel=1e-6)
    lognormal = LogNormal(mean=10, sd=2)
    sigma2 = math.log1p((2 / 10) ** 2)
    median = math.exp(math.log(10) - sigma2 / 2)
    assert float(lognormal.ppf(0.5)) == pytest.approx(median)
    beta = Beta(mean=0.8, sd=0.05)
    a = 0.8 * (0.8 * 0.2 / 0.05**2 - 1)
    b = 0.2 * (0.8 * 0.2 / 0.05**2 - 1)
    assert float(beta.ppf(0.3)) == pytest.approx(stats.beta(a, b).ppf(0.3))
    pert = Pert(low=1, mode=2, high=9)  # alpha 1 + 4 x 1/8, beta 1 + 4 x 7/8
    assert float(pert.ppf(0.5)) == pytest.approx(1 + 8 * stats.beta(1.5, 4.5).ppf(0.5))


def test_describe() -> None:
    assert Triangular(low=30, mode=45, high=60).describe() == "triangular(30, 45, 60)"
    assert Fixed(value=2).describe() == "fixed(2)"
    assert Beta(mean=0.8, sd=0.05, value=0.75).describe() == "beta(0.8, 0.05), value 0.75"


@settings(max_examples=100, deadline=None)
@given(
    st.floats(0, 100),
    st.floats(0, 100),
    st.floats(0.001, 100),
    st.lists(st.floats(1e-6, 1 - 1e-6), min_size=2, max_size=10),
)
def test_three_point_quantiles_are_monotone_and_bounded(
    low: float, a: float, b: float, qs: list[float]
) -> None:
    for cls in (Triangular, Pert):
        dist = cls(low=low, mode=low + a, high=low + a + b)
        q = np.sort(np.asarray(qs))
        x = dist.ppf(q)
        assert np.all(np.diff(x) >= -1e-9 * (1 + abs(x[:-1])))
        assert np.all(x >= low - 1e-9)
        assert np.all(x <= low + a + b + 1e-9)


@settings(max_examples=100, deadline=None)
@given(st.floats(0.01, 0.99), st.floats(0.01, 0.99))
def test_every_valid_beta_stays_in_zero_one(mean: float, fraction: float) -> None:
    sd = fraction * math.sqrt(mean * (1 - mean))
    dist = parse_uncertain({"dist": "beta", "mean": mean, "sd": sd})
    assert isinstance(dist, Beta)
    draws = dist.sample(np.random.default_rng(1), 1000)
    assert np.all((draws >= 0) & (draws <= 1))
    a, b = dist._ab()
    assert a / (a + b) == pytest.approx(mean)


# ------------------------------------------------------ found by the fuzz test (issue 16)

EXTREME = [
    1e308,
    1.7e308,
    1e300,
    1e155,
    1e151,
    1e20,
    1.0,
    0.5,
    1e-20,
    1e-151,
    1e-155,
    1e-300,
    5e-324,
    0.0,
    -1.0,
    -1e308,
]


@settings(max_examples=400, deadline=None)
@given(
    st.sampled_from(sorted(d for d in DISTRIBUTIONS if d != "fixed")),
    st.lists(
        st.sampled_from(EXTREME) | st.floats(allow_nan=False, allow_infinity=False),
        min_size=3,
        max_size=3,
    ),
)
def test_a_distribution_that_passes_its_checks_draws_finite_numbers(
    name: str, numbers: list[float]
) -> None:
    """A beta of sd 1e155 raised OverflowError in its check (``sd**2``), a gamma or
    lognormal of mean 5e-324 in its draws, a uniform from -1e308 to 1.7e308 in numpy;
    others warned and drew infinities or NaN. Now each is refused by its check, or its
    draws, percentiles and base value are finite numbers, without a warning."""
    cls = DISTRIBUTIONS[name]
    dist = cls(**dict(zip(cls.params, numbers, strict=False)))
    if dist.check():
        return
    assert math.isfinite(dist.base)
    assert np.isfinite(dist.sample(np.random.default_rng(1), 50)).all()
    assert np.isfinite(dist.ppf(np.array([0.025, 0.5, 0.975]))).all()


def test_the_beta_that_overflowed_is_refused_at_its_line(tmp_path: Path) -> None:
    """The fuzz test's case: ``uptake: {dist: beta, mean: 0.8, sd: 1e155}`` gave an
    OverflowError traceback from ``validate``."""
    path = tmp_path / "stage.yaml"
    path.write_text(
        "format: careprofiles/1\nid: s\nduration_weeks: 1\nservices:\n  - id: v\n"
        "    setting: home\n    uptake: {dist: beta, mean: 0.8, sd: 1.0e+155}\n"
        "    contacts: {per_week: 1, minutes: 60}\n    staff: [{role: nurse}]\n",
        encoding="utf-8",
    )
    with pytest.raises(ProfileError) as info:
        load_stage(path)
    (problem,) = info.value.problems
    assert (problem.line, problem.where) == (7, "services[0].uptake")
