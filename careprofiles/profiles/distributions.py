"""Probability distributions for uncertain numbers, and what a number is worth.

An uncertain number (:data:`Uncertain`) is a plain number or a :class:`Distribution`.
Deterministic costing uses the distribution's *base* value (the mode, mean or midpoint, or
an explicit ``value:``, :func:`base_value`); Monte Carlo draws from it (``sample``); one-way
sensitivity moves it to its 2.5th and 97.5th percentiles (:func:`ppf`). Reading one from
a file, and checking its range, is :mod:`careprofiles.profiles.numbers`.

Parameterisation (each documented in ``docs/format.md``):

========== =================== =========================================================
dist       keys                meaning
========== =================== =========================================================
fixed      value               always ``value``
uniform    low, high           uniform on [low, high]; base is the midpoint
triangular low, mode, high     triangular; base is the mode
pert       low, mode, high     Beta-PERT (lambda 4) on [low, high]; base is the mode
normal     mean, sd            normal; base is the mean (negative draws are reported)
lognormal  mean, sd            lognormal whose *value* has this mean and sd
gamma      mean, sd            gamma with this mean and sd
beta       mean, sd            beta on [0, 1] with this mean and sd (for shares)
========== =================== =========================================================

A distribution (and a number written ``{value: 0.7, grade: estimate, source: "..."}``,
a ``fixed`` one) may carry its evidence: ``grade`` and ``source``, which change no figure.

Imports: profiles.evidence only (numpy, pydantic; scipy.stats when first needed).
"""

from __future__ import annotations

import math
from typing import Any, ClassVar, Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict

from careprofiles.profiles.evidence import Grade

__all__ = [
    "DISTRIBUTIONS",
    "Beta",
    "Distribution",
    "Fixed",
    "Gamma",
    "LogNormal",
    "Normal",
    "Pert",
    "Triangular",
    "Uncertain",
    "Uniform",
    "base_value",
    "format_number",
    "grade_of",
    "ppf",
]

FloatArray = NDArray[np.float64]

MAX_SIZE = 1e150
"""The largest size of a distribution's numbers (``low``, ``mode``, ``high``, ``mean``,
``sd``), and one over the smallest other than 0: far beyond anything a profile counts,
and near enough to 1 that every draw, and the arithmetic of drawing it, stays a finite
number (and the square of an sd is not 0)."""
SPREAD = (1e-6, 1e6)
"""The smallest and largest ``sd / mean`` of a lognormal or gamma, and of a beta's sd
against its largest possible sd: outside them the distribution cannot be drawn from (or
its percentiles found) in 64-bit floating point."""


def _stats() -> Any:
    """scipy.stats, imported when first needed (it takes about a second to import)."""
    from scipy import stats

    return stats


def format_number(x: float) -> str:
    """A number as messages write it: ``45``, ``0.75``, ``1e+06``."""
    return f"{x:g}"


class Distribution(BaseModel):
    """A probability distribution for an uncertain number."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    dist: str
    """The distribution's name."""
    value: float | None = None
    """Overrides the base value used by deterministic costing."""
    grade: Grade | None = None
    """The grade of the number's evidence (published-national, local-data,
    expert-consensus, estimate); it changes no figure."""
    source: str | None = None
    """Where the number comes from (a citation); it changes no figure."""

    params: ClassVar[tuple[str, ...]] = ()

    @property
    def natural_base(self) -> float:
        """The base value the distribution implies (mode, mean or midpoint)."""
        raise NotImplementedError

    @property
    def base(self) -> float:
        """The value deterministic costing uses: ``value`` if given, else the natural base."""
        return self.natural_base if self.value is None else self.value

    @property
    def support(self) -> tuple[float, float]:
        """The smallest and largest values a draw can take."""
        raise NotImplementedError

    @property
    def is_degenerate(self) -> bool:
        """True when every draw is the same number."""
        return False

    def frozen_dist(self) -> Any:
        """The scipy.stats frozen distribution (not for ``fixed``)."""
        raise NotImplementedError

    def check(self) -> list[str]:
        """Problems with the parameters, each ``what is wrong; how to fix``."""
        return self._too_large()

    def _too_large(self) -> list[str]:
        """Parameters too large, or too near 0 without being 0, to draw from (their size
        between ``1 / MAX_SIZE`` and :data:`MAX_SIZE`)."""
        out = []
        for name in self.params:
            size = abs(getattr(self, name))
            if not size <= MAX_SIZE:
                out.append(
                    f"{name} {format_number(getattr(self, name))} is too large for a "
                    f"distribution (at most {MAX_SIZE:.0e} either side of 0); check the number"
                )
            elif 0 < size < 1 / MAX_SIZE:
                out.append(
                    f"{name} {format_number(getattr(self, name))} is too near 0 for a "
                    f"distribution (write 0, or a number at least {1 / MAX_SIZE:.0e} "
                    "either side of it); check the number"
                )
        return out

    def sample(self, rng: np.random.Generator, size: int) -> FloatArray:
        """``size`` independent draws."""
        return np.asarray(self.frozen_dist().ppf(rng.random(size)), dtype=np.float64)

    def ppf(self, q: FloatArray | float) -> FloatArray:
        """Quantile function."""
        return np.asarray(self.frozen_dist().ppf(q), dtype=np.float64)

    def describe(self) -> str:
        """A short text such as ``triangular(30, 45, 60)``."""
        inner = ", ".join(format_number(getattr(self, p)) for p in self.params)
        text = f"{self.dist}({inner})"
        return text if self.value is None else f"{text}, value {format_number(self.value)}"


class Fixed(Distribution):
    """A number known exactly."""

    dist: Literal["fixed"] = "fixed"
    value: float
    params: ClassVar[tuple[str, ...]] = ("value",)

    @property
    def natural_base(self) -> float:
        return self.value

    @property
    def support(self) -> tuple[float, float]:
        return (self.value, self.value)

    @property
    def is_degenerate(self) -> bool:
        return True

    def check(self) -> list[str]:
        return []  # a plain number, of any size (costing refuses figures too large)

    def sample(self, rng: np.random.Generator, size: int) -> FloatArray:
        return np.full(size, self.value, dtype=np.float64)

    def ppf(self, q: FloatArray | float) -> FloatArray:
        return np.full(np.shape(q), self.value, dtype=np.float64)

    def describe(self) -> str:
        return f"fixed({format_number(self.value)})"


class Uniform(Distribution):
    """Uniform between ``low`` and ``high``."""

    dist: Literal["uniform"] = "uniform"
    low: float
    high: float
    params: ClassVar[tuple[str, ...]] = ("low", "high")

    @property
    def natural_base(self) -> float:
        return self.low / 2 + self.high / 2  # not (low + high) / 2, which can overflow

    @property
    def support(self) -> tuple[float, float]:
        return (self.low, self.high)

    @property
    def is_degenerate(self) -> bool:
        return self.low == self.high

    def ppf(self, q: FloatArray | float) -> FloatArray:
        if self.is_degenerate:  # scipy's uniform of width 0 has no percentiles
            return np.full(np.shape(q), self.low, dtype=np.float64)
        return super().ppf(q)

    def check(self) -> list[str]:
        if self.low > self.high:
            return [
                f"low {format_number(self.low)} is above high {format_number(self.high)}; swap them"
            ]
        return self._too_large()

    def frozen_dist(self) -> Any:
        return _stats().uniform(loc=self.low, scale=self.high - self.low)

    def sample(self, rng: np.random.Generator, size: int) -> FloatArray:
        if self.is_degenerate:
            return np.full(size, self.low, dtype=np.float64)
        return rng.uniform(self.low, self.high, size)


class _ThreePoint(Distribution):
    low: float
    mode: float
    high: float
    params: ClassVar[tuple[str, ...]] = ("low", "mode", "high")

    @property
    def natural_base(self) -> float:
        return self.mode

    @property
    def support(self) -> tuple[float, float]:
        return (self.low, self.high)

    def check(self) -> list[str]:
        out = []
        if self.low > self.mode:
            out.append(
                f"low {format_number(self.low)} is above mode {format_number(self.mode)}; "
                "need low <= mode <= high"
            )
        if self.mode > self.high:
            out.append(
                f"mode {format_number(self.mode)} is above high {format_number(self.high)}; "
                "need low <= mode <= high"
            )
        if not out and self.low == self.high:
            out.append(
                f"low and high are both {format_number(self.low)}; "
                "for a certain value write the number itself"
            )
        return out or self._too_large()


class Triangular(_ThreePoint):
    """Triangular with ``low``, ``mode`` and ``high``."""

    dist: Literal["triangular"] = "triangular"

    def frozen_dist(self) -> Any:
        width = self.high - self.low
        return _stats().triang(c=(self.mode - self.low) / width, loc=self.low, scale=width)

    def sample(self, rng: np.random.Generator, size: int) -> FloatArray:
        return rng.triangular(self.low, self.mode, self.high, size)


class Pert(_ThreePoint):
    """Beta-PERT (lambda = 4) with ``low``, ``mode`` and ``high``."""

    dist: Literal["pert"] = "pert"

    def _ab(self) -> tuple[float, float]:
        width = self.high - self.low
        return (
            1 + 4 * (self.mode - self.low) / width,
            1 + 4 * (self.high - self.mode) / width,
        )

    def frozen_dist(self) -> Any:
        a, b = self._ab()
        return _stats().beta(a, b, loc=self.low, scale=self.high - self.low)

    def sample(self, rng: np.random.Generator, size: int) -> FloatArray:
        a, b = self._ab()
        return self.low + (self.high - self.low) * rng.beta(a, b, size)


class _MeanSd(Distribution):
    mean: float
    sd: float
    params: ClassVar[tuple[str, ...]] = ("mean", "sd")

    @property
    def natural_base(self) -> float:
        return self.mean

    def check(self) -> list[str]:
        if self.sd <= 0:
            return [
                f"sd {format_number(self.sd)} must be above 0; "
                "for a certain value write the number itself"
            ]
        return self._too_large()

    def _spread(self, sd_limit: float, what: str) -> list[str]:
        """The sd against ``sd_limit`` (``what`` it is), within :data:`SPREAD`."""
        low, high = SPREAD
        ratio = self.sd / sd_limit
        if ratio < low:
            return [
                f"sd {format_number(self.sd)} is less than a millionth of {what}; for a "
                "certain value write the number itself, or give a wider sd"
            ]
        if not ratio <= high:
            return [
                f"sd {format_number(self.sd)} is more than a million times {what}; no "
                f"{self.dist} distribution that wide can be drawn from: check the numbers"
            ]
        return []


class Normal(_MeanSd):
    """Normal with ``mean`` and ``sd`` (draws below 0 are reported, never clipped)."""

    dist: Literal["normal"] = "normal"

    @property
    def support(self) -> tuple[float, float]:
        return (-math.inf, math.inf)

    def frozen_dist(self) -> Any:
        return _stats().norm(loc=self.mean, scale=self.sd)

    def sample(self, rng: np.random.Generator, size: int) -> FloatArray:
        return rng.normal(self.mean, self.sd, size)


class LogNormal(_MeanSd):
    """Lognormal whose value (not its log) has ``mean`` and ``sd``."""

    dist: Literal["lognormal"] = "lognormal"

    @property
    def support(self) -> tuple[float, float]:
        return (0.0, math.inf)

    def check(self) -> list[str]:
        out = super().check()
        if self.mean <= 0:
            out.append(
                f"mean {format_number(self.mean)} must be above 0 for a lognormal distribution"
            )
        return out or self._spread(self.mean, "the mean")

    def _mu_sigma(self) -> tuple[float, float]:
        sigma2 = math.log1p((self.sd / self.mean) ** 2)  # sd / mean within SPREAD: finite
        return math.log(self.mean) - sigma2 / 2, math.sqrt(sigma2)

    def frozen_dist(self) -> Any:
        mu, sigma = self._mu_sigma()
        return _stats().lognorm(s=sigma, scale=math.exp(mu))

    def sample(self, rng: np.random.Generator, size: int) -> FloatArray:
        mu, sigma = self._mu_sigma()
        return rng.lognormal(mu, sigma, size)


class Gamma(_MeanSd):
    """Gamma with ``mean`` and ``sd``."""

    dist: Literal["gamma"] = "gamma"

    @property
    def support(self) -> tuple[float, float]:
        return (0.0, math.inf)

    def check(self) -> list[str]:
        out = super().check()
        if self.mean <= 0:
            out.append(f"mean {format_number(self.mean)} must be above 0 for a gamma distribution")
        return out or self._spread(self.mean, "the mean")

    def frozen_dist(self) -> Any:  # mean, sd and sd / mean as check() allows: finite
        shape = (self.mean / self.sd) ** 2
        return _stats().gamma(a=shape, scale=self.sd**2 / self.mean)

    def sample(self, rng: np.random.Generator, size: int) -> FloatArray:
        return rng.gamma((self.mean / self.sd) ** 2, self.sd**2 / self.mean, size)


class Beta(_MeanSd):
    """Beta on 0..1 with ``mean`` and ``sd``: for shares."""

    dist: Literal["beta"] = "beta"

    @property
    def support(self) -> tuple[float, float]:
        return (0.0, 1.0)

    def check(self) -> list[str]:
        out = super().check()
        if not 0 < self.mean < 1:
            out.append(
                f"mean {format_number(self.mean)} must be between 0 and 1 (exclusive) for a beta"
            )
        elif self.sd > 0 and self.sd * self.sd >= self.mean * (1 - self.mean):
            limit = math.sqrt(self.mean * (1 - self.mean))
            out.append(
                f"no beta distribution has mean {format_number(self.mean)} "
                f"and sd {format_number(self.sd)}; "
                f"sd must be below {limit:.4g} for that mean"
            )
        elif not out:
            out = self._spread(math.sqrt(self.mean * (1 - self.mean)), "its largest possible sd")
            a, b = self._ab() if not out else (1.0, 1.0)
            if not (a >= SPREAD[0] and b >= SPREAD[0]):
                out.append(
                    f"no beta distribution with mean {format_number(self.mean)} and sd "
                    f"{format_number(self.sd)} can be drawn from (its shape parameters "
                    f"would be {a:.3g} and {b:.3g}, nearer 0 than 0.000001): give a mean "
                    "further from 0 and 1, or an sd nearer its largest possible"
                )
        return out

    def _ab(self) -> tuple[float, float]:  # sd within SPREAD of its largest: sd**2 > 0
        common = self.mean * (1 - self.mean) / self.sd**2 - 1
        return self.mean * common, (1 - self.mean) * common

    def frozen_dist(self) -> Any:
        a, b = self._ab()
        return _stats().beta(a, b)

    def sample(self, rng: np.random.Generator, size: int) -> FloatArray:
        a, b = self._ab()
        return rng.beta(a, b, size)


DISTRIBUTIONS: dict[str, type[Distribution]] = {
    "fixed": Fixed,
    "uniform": Uniform,
    "triangular": Triangular,
    "pert": Pert,
    "normal": Normal,
    "lognormal": LogNormal,
    "gamma": Gamma,
    "beta": Beta,
}
"""Every distribution by its ``dist:`` name."""

Uncertain = float | Distribution
"""A plain number or a distribution."""


def grade_of(x: Uncertain) -> str:
    """The grade a number carries ('' for a plain number or one with no grade)."""
    return (x.grade or "") if isinstance(x, Distribution) else ""


def base_value(x: Uncertain) -> float:
    """The number deterministic costing uses."""
    return x.base if isinstance(x, Distribution) else float(x)


def ppf(x: Uncertain, q: float) -> float:
    """The ``q`` quantile of ``x`` (a plain number is its own quantile)."""
    if isinstance(x, Distribution):
        return float(x.ppf(q))
    return float(x)
