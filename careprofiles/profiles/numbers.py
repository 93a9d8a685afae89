"""Numbers as the files write them: plain or a distribution, read, checked and scaled.

A field such as ``minutes`` takes ``45`` or ``{dist: triangular, low: 30, mode: 45,
high: 60}``. :func:`parse_uncertain` reads either (saying how to fix anything else),
:func:`check_range` checks it for its kind of field, :func:`scale_uncertain` scales it (for
scenarios). :data:`Share`, :data:`NonNegative` and :data:`Positive` are the field types of
the models: a plain number in range is checked by pydantic-core without calling Python.

A mapping may carry the number's evidence, ``grade`` and ``source``, beside a
distribution's keys, or with ``value`` alone: ``{value: 0.7, grade: estimate}`` is a
fixed number (:class:`~careprofiles.profiles.distributions.Fixed`) with its evidence.

Imports: careprofiles.profiles.distributions, profiles.evidence; pydantic.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import GetCoreSchemaHandler, WithJsonSchema
from pydantic_core import core_schema

from careprofiles.profiles.distributions import (
    DISTRIBUTIONS,
    Distribution,
    Fixed,
    Normal,
    Uncertain,
    base_value,
    format_number,
)
from careprofiles.profiles.evidence import GRADES

__all__ = [
    "NUMBER_BRANCH",
    "VALUE_BRANCH",
    "Kind",
    "NonNegative",
    "Positive",
    "Share",
    "as_number",
    "check_range",
    "parse_uncertain",
    "scale_uncertain",
]

_EXAMPLE = "{dist: triangular, low: 30, mode: 45, high: 60}"


def as_number(raw: Any, what: str = "") -> float:
    """A YAML value as a finite number; raise ``ValueError`` saying how to fix it
    (``what`` names the key, for a distribution's numbers)."""
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
    if len(raw) - 1 not in (len(params), len(params) + 1) or "grade" in raw or "source" in raw:
        return None
    values: dict[str, float] = {}
    for key in params:
        x = raw.get(key)
        if type(x) is not float and (type(x) is not int or not -(2**53) <= x <= 2**53):
            return None
        values[key] = float(x)
    if len(raw) - 1 > len(params):
        if "value" not in raw or "value" in params:  # {dist: fixed, value, other key}
            return None
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
        return as_number(raw)
    name = raw.get("dist")
    if name is None and "value" in raw:
        # {value: 0.7, grade: estimate, source: "..."}: a fixed number with its evidence
        name, raw = "fixed", {"dist": "fixed", **raw}
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
    allowed = {"dist", "value", "grade", "source", *cls.params}
    takes = ", ".join(cls.params) + ("" if "value" in cls.params else " (and optionally value)")
    problems = [
        f"unknown key {k!r} for a {name} distribution; it takes {takes}, and the number's "
        "evidence: grade and source"
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
                values[key] = as_number(raw[key], key)
            except ValueError as exc:
                problems.append(str(exc))
    evidence: dict[str, str] = {}
    grade = raw.get("grade")
    if grade is not None:
        if grade not in GRADES:
            problems.append(f"grade {grade!r} is not a grade; use one of {', '.join(GRADES)}")
        else:
            evidence["grade"] = grade
    source = raw.get("source")
    if source is not None:
        if not isinstance(source, str) or not source.strip():
            problems.append("source must be text, such as \"PSSRU Unit Costs 2024\"")
        else:
            evidence["source"] = source
    if problems:
        raise ValueError("; ".join(problems))
    dist = cls(**values, **evidence)  # type: ignore[arg-type,unused-ignore]
    problems = dist.check()
    if not problems and dist.value is not None and not isinstance(dist, Fixed):
        low, high = dist.support
        if not low <= dist.value <= high:
            problems.append(
                f"value {format_number(dist.value)} lies outside the distribution's range "
                f"{format_number(low)}..{format_number(high)}; move it inside"
            )
    if problems:
        raise ValueError(f"{name}: " + "; ".join(problems))
    return dist


Kind = Literal["share", "nonnegative", "positive"]


def _percent_hint(base: float) -> str:
    """'; did you mean 0.10 (10%)?' for a share written as a percentage (above 1, at most
    100), else ''."""
    if not 1 < base <= 100:
        return ""
    share = Decimal(format_number(base)) / 100
    text = (
        f"{share:.2f}"
        if share == share.quantize(Decimal("0.01"))
        else format(share.normalize(), "f")
    )
    return f"; did you mean {text} ({format_number(base)}%)?"


def check_range(x: Uncertain, kind: Kind) -> Uncertain:
    """Check a number's base value and a distribution's range; raise ``ValueError``."""
    base = base_value(x)
    dist = x if isinstance(x, Distribution) else None

    def label() -> str:
        return f"base value {format_number(base)}" if dist is not None else format_number(base)

    if kind == "share":
        if base < 0:
            raise ValueError(f"{label()} is negative; a share is between 0 and 1")
        if base > 1:
            raise ValueError(
                f"{label()} is above 1; a share is between 0 and 1{_percent_hint(base)}"
            )
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
    for key in ("grade", "source"):
        if getattr(x, key) is not None:
            data[key] = getattr(x, key)
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
        props.update(_EVIDENCE)
        variants.append(
            {
                "type": "object",
                "title": f"{name} distribution",
                "properties": props,
                "required": ["dist", *cls.params],
                "additionalProperties": False,
            }
        )
    variants.append(
        {
            "type": "object",
            "title": "number with its evidence",
            "properties": {"value": number, **_EVIDENCE},
            "required": ["value"],
            "additionalProperties": False,
        }
    )
    return {"anyOf": variants}


_EVIDENCE: dict[str, Any] = {
    "grade": {"enum": list(GRADES)},
    "source": {"type": "string"},
}


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
