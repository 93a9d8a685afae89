"""Uncertain numbers: base values as the spec's table says, draws, quantiles, checks."""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

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
    check_range,
    parse_uncertain,
    ppf,
    scale_uncertain,
)

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


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ({"dist": "triangular", "low": 5, "mode": 4, "high": 6}, "low 5 is above mode 4"),
        ({"dist": "pert", "low": 1, "mode": 7, "high": 6}, "mode 7 is above high 6"),
        ({"dist": "triangular", "low": 3, "mode": 3, "high": 3}, "low and high are both 3"),
        ({"dist": "uniform", "low": 6, "high": 2}, "low 6 is above high 2; swap them"),
        ({"dist": "normal", "mean": 1, "sd": 0}, "sd 0 must be above 0"),
        ({"dist": "gamma", "mean": -1, "sd": 1}, "mean -1 must be above 0"),
        ({"dist": "lognormal", "mean": 0, "sd": 1}, "mean 0 must be above 0"),
        ({"dist": "beta", "mean": 1.2, "sd": 0.1}, "between 0 and 1"),
        ({"dist": "beta", "mean": 0.5, "sd": 0.5}, "no beta distribution has mean 0.5 and sd 0.5"),
        ({"dist": "weibull", "k": 1}, "unknown distribution 'weibull'"),
        ({"low": 1, "high": 2}, "a distribution needs 'dist:'"),
        ({"dist": "uniform", "low": 1}, "missing: high"),
        ({"dist": "uniform", "low": 1, "high": 2, "mode": 1}, "unknown key 'mode'"),
        ({"dist": "uniform", "low": "one", "high": 2}, "'one' is text, not a number"),
        ({"dist": "uniform", "low": 1, "high": 2, "value": 3}, "value 3 lies outside"),
        ({"dist": "normal", "mean": True, "sd": 1}, "true is not a number"),
        ([1, 2], "is a list"),
        ("12", "'12' is text, not a number; write it without quotes"),
        ("1e3", "YAML reads a number like 1e3 as text"),
        ("70%", "'70%' is text, not a number; write a percentage as a number: 0.7 for 70%"),
        (" 12.5 % ", "write a percentage as a number: 0.125 for 12.5%"),
        ("0.5%", "write a percentage as a number: 0.005 for 0.5%"),
        ("150%", "write a percentage as a number: 1.5 for 150%"),
        (
            {"dist": "uniform", "low": "5%", "high": 0.1},
            "low '5%' is text, not a number; write a percentage as a number: 0.05 for 5%",
        ),
        ("%", "'%' is text, not a number; write a number"),
        (None, "has no value"),
        (math.nan, "not a finite number"),
    ],
)
def test_impossible_or_unreadable(raw: Any, fragment: str) -> None:
    with pytest.raises(ValueError, match=re.escape(fragment)):
        parse_uncertain(raw)


def test_check_range() -> None:
    assert check_range(0.5, "share") == 0.5
    with pytest.raises(ValueError, match="above 1"):
        check_range(1.01, "share")
    with pytest.raises(ValueError, match=r"can give values outside 0\.\.1"):
        check_range(Normal(mean=0.5, sd=0.1), "share")
    assert isinstance(check_range(Beta(mean=0.5, sd=0.1), "share"), Beta)
    assert isinstance(check_range(Pert(low=0, mode=0.5, high=1), "share"), Pert)
    with pytest.raises(ValueError, match="must be above 0"):
        check_range(0.0, "positive")
    with pytest.raises(ValueError, match="negative"):
        check_range(-1.0, "nonnegative")
    with pytest.raises(ValueError, match="can give negative values"):
        check_range(Uniform(low=-1, high=1, value=0.5), "nonnegative")
    # a normal may draw below 0: allowed here, reported when drawn (Monte Carlo)
    assert isinstance(check_range(Normal(mean=5, sd=3), "nonnegative"), Normal)


def test_scale() -> None:
    scaled = scale_uncertain(Triangular(low=30, mode=45, high=60, value=50), 2)
    assert isinstance(scaled, Triangular)
    assert (scaled.low, scaled.mode, scaled.high, scaled.value) == (60, 90, 120, 100)
    gamma = scale_uncertain(Gamma(mean=10, sd=2), 0.5)
    assert isinstance(gamma, Gamma)
    assert (gamma.mean, gamma.sd) == (5, 1)


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


@settings(max_examples=300, deadline=None)
@given(data=st.data(), name=st.sampled_from(sorted(DISTRIBUTIONS)))
def test_the_fast_path_reads_plain_distributions_as_the_full_check_does(
    data: st.DataObject, name: str
) -> None:
    # plain numbers under exactly the keys a distribution takes are read without the
    # full check's bookkeeping; the result, or the refusal, must be the same
    from unittest import mock

    import careprofiles.profiles.distributions as distributions

    cls = DISTRIBUTIONS[name]
    keys = list(cls.params)
    if "value" not in keys and data.draw(st.booleans()):
        keys.append("value")
    number = st.floats(-0.5, 1.5) | st.floats(-5, 120) | st.integers(-5, 120)
    raw = {"dist": name, **{k: data.draw(number, label=k) for k in keys}}
    try:
        fast: Any = parse_uncertain(raw)
    except ValueError as exc:
        fast = str(exc)
    with mock.patch.object(distributions, "_plain_distribution", return_value=None):
        try:
            full: Any = parse_uncertain(raw)
        except ValueError as exc:
            full = str(exc)
    assert fast == full
    assert type(fast) is type(full)


def test_the_fast_path_is_taken_for_plain_distributions() -> None:
    from careprofiles.profiles.distributions import _plain_distribution

    for raw in (
        {"dist": "beta", "mean": 0.6, "sd": 0.1},
        {"dist": "pert", "low": 20, "mode": 30, "high": 60},
        {"dist": "triangular", "low": 1, "mode": 2, "high": 4, "value": 3},
        {"dist": "fixed", "value": 3},
    ):
        dist = _plain_distribution(DISTRIBUTIONS[str(raw["dist"])], raw)
        assert dist is not None
        assert dist == parse_uncertain(raw)
    # anything unusual is left to the full check
    for raw in (
        {"dist": "beta", "mean": 0.6, "sd": "0.1"},
        {"dist": "beta", "mean": 0.6, "sd": 0.1, "extra": 1},
        {"dist": "beta", "mean": 0.6},
        {"dist": "beta", "mean": 1.5, "sd": 0.1},
        {"dist": "beta", "mean": True, "sd": 0.1},
        {"dist": "triangular", "low": 1, "mode": 2, "high": 4, "value": 9},
    ):
        assert _plain_distribution(DISTRIBUTIONS[str(raw["dist"])], raw) is None
