"""Numbers that may be uncertain: a plain number or a distribution.

A field such as ``minutes`` takes ``45`` or ``{dist: triangular, low: 30, mode: 45,
high: 60}``. Deterministic costing uses the distribution's *base* value (the mode,
mean or midpoint, or an explicit ``value:``); Monte Carlo draws from it; one-way
sensitivity moves it to its 2.5th and 97.5th percentiles.

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
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, GetCoreSchemaHandler, WithJsonSchema
from pydantic_core import core_schema

__all__ = [
    "DISTRIBUTIONS",
    "NUMBER_BRANCH",
    "VALUE_BRANCH",
    "Beta",
    "Distribution",
    "Fixed",
    "Gamma",
    "LogNormal",
    "NonNegative",
    "Normal",
    "Pert",
    "Positive",
    "Share",
    "Triangular",
    "Uncertain",
    "Uniform",
    "base_value",
    "check_range",
    "parse_uncertain",
    "ppf",
    "scale_uncertain",
]

FloatArray = NDArray[np.float64]


def _stats() -> Any:
    """scipy.stats, imported when first needed (it takes about a second to import)."""
    from scipy import stats

    return stats


def _fmt(x: float) -> str:
    return f"{x:g}"


class Distribution(BaseModel):
    """A probability distribution for an uncertain number."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    dist: str
    """The distribution's name."""
    value: float | None = None
    """Overrides the base value used by deterministic costing."""

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
        return []

    def sample(self, rng: np.random.Generator, size: int) -> FloatArray:
        """``size`` independent draws."""
        return np.asarray(self.frozen_dist().ppf(rng.random(size)), dtype=np.float64)

    def ppf(self, q: FloatArray | float) -> FloatArray:
        """Quantile function."""
        return np.asarray(self.frozen_dist().ppf(q), dtype=np.float64)

    def describe(self) -> str:
        """A short text such as ``triangular(30, 45, 60)``."""
        inner = ", ".join(_fmt(getattr(self, p)) for p in self.params)
        text = f"{self.dist}({inner})"
        return text if self.value is None else f"{text}, value {_fmt(self.value)}"


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

    def sample(self, rng: np.random.Generator, size: int) -> FloatArray:
        return np.full(size, self.value, dtype=np.float64)

    def ppf(self, q: FloatArray | float) -> FloatArray:
        return np.full(np.shape(q), self.value, dtype=np.float64)

    def describe(self) -> str:
        return f"fixed({_fmt(self.value)})"


class Uniform(Distribution):
    """Uniform between ``low`` and ``high``."""

    dist: Literal["uniform"] = "uniform"
    low: float
    high: float
    params: ClassVar[tuple[str, ...]] = ("low", "high")

    @property
    def natural_base(self) -> float:
        return (self.low + self.high) / 2

    @property
    def support(self) -> tuple[float, float]:
        return (self.low, self.high)

    @property
    def is_degenerate(self) -> bool:
        return self.low == self.high

    def check(self) -> list[str]:
        if self.low > self.high:
            return [f"low {_fmt(self.low)} is above high {_fmt(self.high)}; swap them"]
        return []

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
                f"low {_fmt(self.low)} is above mode {_fmt(self.mode)}; need low <= mode <= high"
            )
        if self.mode > self.high:
            out.append(
                f"mode {_fmt(self.mode)} is above high {_fmt(self.high)}; need low <= mode <= high"
            )
        if not out and self.low == self.high:
            out.append(
                f"low and high are both {_fmt(self.low)}; "
                "for a certain value write the number itself"
            )
        return out


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
                f"sd {_fmt(self.sd)} must be above 0; for a certain value write the number itself"
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
            out.append(f"mean {_fmt(self.mean)} must be above 0 for a lognormal distribution")
        return out

    def _mu_sigma(self) -> tuple[float, float]:
        sigma2 = math.log1p((self.sd / self.mean) ** 2)
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
            out.append(f"mean {_fmt(self.mean)} must be above 0 for a gamma distribution")
        return out

    def frozen_dist(self) -> Any:
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
            out.append(f"mean {_fmt(self.mean)} must be between 0 and 1 (exclusive) for a beta")
        elif self.sd > 0 and self.sd**2 >= self.mean * (1 - self.mean):
            limit = math.sqrt(self.mean * (1 - self.mean))
            out.append(
                f"no beta distribution has mean {_fmt(self.mean)} and sd {_fmt(self.sd)}; "
                f"sd must be below {limit:.4g} for that mean"
            )
        return out

    def _ab(self) -> tuple[float, float]:
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

_EXAMPLE = "{dist: triangular, low: 30, mode: 45, high: 60}"


def _number(raw: Any, what: str = "") -> float:
    label = f"{what} " if what else ""
    if isinstance(raw, bool):
        raise ValueError(f"{label}{str(raw).lower()} is not a number; write a number such as 0.8")
    if isinstance(raw, int | float):
        try:
            x = float(raw)
        except OverflowError:
            raise ValueError(f"{label}the number is too large; write an ordinary number") from None
        if not math.isfinite(x):
            raise ValueError(f"{label}{raw} is not a finite number; write an ordinary number")
        return x
    if raw is None:
        raise ValueError(f"{label}has no value; write a number")
    if isinstance(raw, str):
        hint = "write it without quotes"
        try:
            float(raw)
            if "e" in raw.lower():
                hint = "YAML reads a number like 1e3 as text: write 1000 or 1.0e+3"
        except ValueError:
            hint = "write a number"
            percent = re.fullmatch(r"\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+))\s*%\s*", raw)
            if percent:
                number = percent.group(1)
                share = format((Decimal(number) / 100).normalize(), "f")
                hint = f"write a percentage as a number: {share} for {number}%"
        raise ValueError(f"{label}{raw!r} is text, not a number; {hint}")
    raise ValueError(f"{label}is a {type(raw).__name__}, not a number; write a number")


def _plain_distribution(cls: type[Distribution], raw: dict[str, Any]) -> Distribution | None:
    """The common case, quickly: exactly the keys ``cls`` takes (and perhaps ``value``),
    each a plain finite number, and parameters that pass its checks. ``None`` for
    anything else, which :func:`parse_uncertain` then reads with full messages."""
    params = cls.params
    if len(raw) - 1 not in (len(params), len(params) + 1):
        return None
    values: dict[str, float] = {}
    for key in params:
        x = raw.get(key)
        if type(x) is not float and (type(x) is not int or not -(2**53) <= x <= 2**53):
            return None
        values[key] = float(x)
    if len(raw) - 1 > len(params):
        x = raw.get("value")
        if type(x) is not float and (type(x) is not int or not -(2**53) <= x <= 2**53):
            return None
        values["value"] = float(x)
    if not all(math.isfinite(x) for x in values.values()):
        return None
    dist = cls(**values)  # type: ignore[arg-type,unused-ignore]
    if dist.check():
        return None
    if dist.value is not None and not isinstance(dist, Fixed):
        low, high = dist.support
        if not low <= dist.value <= high:
            return None
    return dist


def parse_uncertain(raw: Any) -> Uncertain:
    """Read a number or a distribution mapping; raise ``ValueError`` saying how to fix it."""
    if isinstance(raw, Distribution):
        return raw
    if not isinstance(raw, dict):
        if isinstance(raw, list):
            raise ValueError(f"is a list; write a number or a distribution such as {_EXAMPLE}")
        return _number(raw)
    name = raw.get("dist")
    if name is None:
        raise ValueError(
            f"a distribution needs 'dist:' naming one of {', '.join(DISTRIBUTIONS)}, "
            f"e.g. {_EXAMPLE}"
        )
    cls = DISTRIBUTIONS.get(name) if isinstance(name, str) else None
    if cls is None:
        raise ValueError(f"unknown distribution {name!r}; use one of {', '.join(DISTRIBUTIONS)}")
    dist = _plain_distribution(cls, raw)
    if dist is not None:
        return dist
    allowed = {"dist", "value", *cls.params}
    takes = ", ".join(cls.params) + ("" if "value" in cls.params else " (and optionally value)")
    problems = [
        f"unknown key {k!r} for a {name} distribution; it takes {takes}"
        for k in raw
        if k not in allowed
    ]
    missing = [p for p in cls.params if p not in raw]
    if missing:
        problems.append(f"a {name} distribution needs {takes}; missing: {', '.join(missing)}")
    values: dict[str, float] = {}
    for key in (*cls.params, "value"):
        if key in raw and key in allowed:
            try:
                values[key] = _number(raw[key], key)
            except ValueError as exc:
                problems.append(str(exc))
    if problems:
        raise ValueError("; ".join(problems))
    dist = cls(**values)  # type: ignore[arg-type,unused-ignore]
    problems = dist.check()
    if not problems and dist.value is not None and not isinstance(dist, Fixed):
        low, high = dist.support
        if not low <= dist.value <= high:
            problems.append(
                f"value {_fmt(dist.value)} lies outside the distribution's range "
                f"{_fmt(low)}..{_fmt(high)}; move it inside"
            )
    if problems:
        raise ValueError(f"{name}: " + "; ".join(problems))
    return dist


def base_value(x: Uncertain) -> float:
    """The number deterministic costing uses."""
    return x.base if isinstance(x, Distribution) else float(x)


def ppf(x: Uncertain, q: float) -> float:
    """The ``q`` quantile of ``x`` (a plain number is its own quantile)."""
    if isinstance(x, Distribution):
        return float(x.ppf(q))
    return float(x)


Kind = Literal["share", "nonnegative", "positive"]


def check_range(x: Uncertain, kind: Kind) -> Uncertain:
    """Check a number's base value and a distribution's range; raise ``ValueError``."""
    base = base_value(x)
    dist = x if isinstance(x, Distribution) else None

    def label() -> str:
        return f"base value {_fmt(base)}" if dist is not None else _fmt(base)

    if kind == "share":
        if base < 0:
            raise ValueError(f"{label()} is negative; a share is between 0 and 1")
        if base > 1:
            raise ValueError(f"{label()} is above 1; a share is between 0 and 1")
        if dist is not None:
            low, high = dist.support
            if low < 0 or high > 1:
                raise ValueError(
                    f"a {dist.describe()} distribution can give values outside 0..1; a share "
                    "needs beta, or pert, triangular or uniform with low >= 0 and high <= 1"
                )
        return x
    if kind == "positive" and base <= 0:
        raise ValueError(f"{label()} must be above 0")
    if base < 0:
        raise ValueError(f"{label()} is negative; it must be 0 or more")
    if dist is not None and not isinstance(dist, Normal) and dist.support[0] < 0:
        raise ValueError(
            f"a {dist.describe()} distribution can give negative values; keep low >= 0"
        )
    return x


def scale_uncertain(x: Uncertain, by: float) -> Uncertain:
    """Multiply a number, or every number of a distribution, by ``by``."""
    if not isinstance(x, Distribution):
        return float(x) * by
    data: dict[str, Any] = {"dist": x.dist}
    for key in (*x.params, "value"):
        v = getattr(x, key)
        if v is not None:
            data[key] = v * by
    if by < 0 and "low" in data:
        data["low"], data["high"] = data["high"], data["low"]
    if by < 0 and "sd" in data:
        data["sd"] = -data["sd"]
    return parse_uncertain(data)


def _json_schema(kind: Kind) -> dict[str, Any]:
    number: dict[str, Any] = {"type": "number"}
    if kind == "share":
        number.update(minimum=0, maximum=1)
    elif kind == "positive":
        number["exclusiveMinimum"] = 0
    else:
        number["minimum"] = 0
    variants: list[dict[str, Any]] = [number]
    for name, cls in DISTRIBUTIONS.items():
        props: dict[str, Any] = {"dist": {"const": name}}
        props.update({p: {"type": "number"} for p in cls.params})
        props.setdefault("value", {"type": "number"})
        variants.append(
            {
                "type": "object",
                "title": f"{name} distribution",
                "properties": props,
                "required": ["dist", *cls.params],
                "additionalProperties": False,
            }
        )
    return {"anyOf": variants}


def _validator(kind: Kind) -> Callable[[Any], Uncertain]:
    def validate(raw: Any) -> Uncertain:
        return check_range(parse_uncertain(raw), kind)

    return validate


NUMBER_BRANCH = "\x00number"
"""The tag of an uncertain field's fast branch (a plain number in range, checked by
pydantic-core). When a value fails both branches, this branch's error is dropped (see
:func:`careprofiles.profiles.validation.problems_from`): the other branch's says how to fix it."""
VALUE_BRANCH = "\x00value"
"""The tag of an uncertain field's full check (:func:`parse_uncertain` then
:func:`check_range`); removed from the location of its errors."""


class _UncertainSchema:
    """The core schema of an uncertain number of ``kind``.

    A plain number in range (the common case, tens of thousands in a large pathway) is
    checked by pydantic-core without calling Python; anything else (a distribution,
    text, a number out of range) goes to the full check, whose errors say how to fix it.
    """

    def __init__(self, kind: Kind) -> None:
        self.kind = kind

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> Any:
        bounds: dict[str, float] = {"ge": 0.0}
        if self.kind == "share":
            bounds["le"] = 1.0
        elif self.kind == "positive":
            bounds = {"gt": 0.0}
        number = core_schema.float_schema(strict=True, allow_inf_nan=False, **bounds)  # type: ignore[arg-type]
        full = core_schema.no_info_plain_validator_function(_validator(self.kind))
        return core_schema.union_schema(
            [(number, NUMBER_BRANCH), (full, VALUE_BRANCH)],
            mode="left_to_right",
            serialization=core_schema.plain_serializer_function_ser_schema(_serialise),
        )


def _serialise(x: Uncertain) -> Any:
    if isinstance(x, Distribution):
        return x.model_dump(exclude_none=True)
    return x


Share = Annotated[Uncertain, _UncertainSchema("share"), WithJsonSchema(_json_schema("share"))]
"""A share between 0 and 1, as a number or a distribution that stays within 0..1."""
NonNegative = Annotated[
    Uncertain, _UncertainSchema("nonnegative"), WithJsonSchema(_json_schema("nonnegative"))
]
"""A number >= 0, or a distribution (a normal may draw negatives: reported when drawn)."""
Positive = Annotated[
    Uncertain, _UncertainSchema("positive"), WithJsonSchema(_json_schema("positive"))
]
"""A number > 0, or a distribution whose base value is above 0."""
