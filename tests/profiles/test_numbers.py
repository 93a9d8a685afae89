"""Numbers as the files write them: reading, range checks, scaling, and the fast path."""

from __future__ import annotations

import math
import re
from typing import Any

import pytest
from hypothesis import given, settings, strategies as st

from careprofiles.profiles.distributions import (
    DISTRIBUTIONS,
    Beta,
    Gamma,
    Normal,
    Pert,
    Triangular,
    Uniform,
)
from careprofiles.profiles.numbers import check_range, parse_uncertain, scale_uncertain


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


@pytest.mark.parametrize(
    ("share", "hint"),
    [
        (10, "; did you mean 0.10 (10%)?"),
        (75, "; did you mean 0.75 (75%)?"),
        (12.5, "; did you mean 0.125 (12.5%)?"),
        (100, "; did you mean 1.00 (100%)?"),
        (1.5, "; did you mean 0.015 (1.5%)?"),
        (101, ""),  # above 100: not a percentage either
        (2500, ""),
    ],
)
def test_a_share_that_looks_like_a_percentage_gets_a_hint(share: float, hint: str) -> None:
    """Issue 15: a share written as 10 is above 1 and looks like 10%."""
    with pytest.raises(ValueError, match="above 1") as info:
        check_range(float(share), "share")
    assert str(info.value) == f"{share:g} is above 1; a share is between 0 and 1{hint}"
    with pytest.raises(ValueError, match="above 1") as info:  # a distribution's base value alike
        check_range(Pert(low=share / 2, mode=share, high=share * 2), "share")
    assert str(info.value).endswith(f"is above 1; a share is between 0 and 1{hint}")


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


@settings(max_examples=300, deadline=None)
@given(data=st.data(), name=st.sampled_from(sorted(DISTRIBUTIONS)))
def test_the_fast_path_reads_plain_distributions_as_the_full_check_does(
    data: st.DataObject, name: str
) -> None:
    # plain numbers under exactly the keys a distribution takes are read without the
    # full check's bookkeeping; the result, or the refusal, must be the same
    from unittest import mock

    import careprofiles.profiles.numbers as numbers

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
    with mock.patch.object(numbers, "_plain_distribution", return_value=None):
        try:
            full: Any = parse_uncertain(raw)
        except ValueError as exc:
            full = str(exc)
    assert fast == full
    assert type(fast) is type(full)


def test_the_fast_path_is_taken_for_plain_distributions() -> None:
    from careprofiles.profiles.numbers import _plain_distribution

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
