"""A cost model's parameters: every number its figures depend on, kept as columns.

:class:`Parameter` is one number, addressed as scenarios address it (the addresses are
``careprofiles.profiles.parameters``'); :class:`Parameters` is the read-only sequence
of them a compiled model holds (columns, each :class:`Parameter` built when asked for);
:class:`ParameterBuilder` is what the compiler collects them with. Parameters 0 and 1
are always the constants 1 and 0 (:data:`ONE`, :data:`ZERO`): a line that has no such
number (an item's minutes, its count) points at them. Also: where a parameter was
written as ``(file, line)`` (:func:`file_and_line`) and the error for drawn or moved
values that break their number's range (:func:`raise_value_problems`).

Private to costing. Imports: errors, profiles; nothing else of careprofiles.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import overload

import numpy as np
from numpy.typing import NDArray

from careprofiles.errors import Problem, ProfileError, TariffError
from careprofiles.profiles.distributions import Distribution, Uncertain, base_value
from careprofiles.profiles.sources import SourcedModel

__all__ = [
    "ONE",
    "ZERO",
    "Parameter",
    "ParameterBuilder",
    "Parameters",
    "file_and_line",
    "raise_value_problems",
]

ONE, ZERO = 0, 1
"""The indices of the constant parameters 1 and 0."""


@dataclass(frozen=True)
class Parameter:
    """A number the figures depend on, addressed as scenarios address it."""

    address: str
    """e.g. ``last-days/district-nursing/contacts/per_day`` or ``tariff/district-nurse``."""
    value: Uncertain
    """The number or distribution, as written."""
    location: str = ""
    """``file:line`` where it was written."""
    factor: float = 1.0
    """A multiplier applied to every value (price-index uplift and market forces)."""

    @property
    def base(self) -> float:
        """The value deterministic costing uses."""
        return base_value(self.value) * self.factor

    @property
    def uncertain(self) -> bool:
        """True for a distribution that is not a single point."""
        return isinstance(self.value, Distribution) and not self.value.is_degenerate


class Parameters(Sequence[Parameter]):
    """A cost model's parameters, in order: a read-only sequence of :class:`Parameter`.

    A large pathway has tens of thousands of parameters and costing reads only their
    base values, so they are kept as columns and each :class:`Parameter` is built when
    it is asked for (building them all made compiling 5,000 services 0.21 s instead of
    0.11 s). Indexing, slicing, iteration and ``len`` behave as for a tuple.

    Where each was written is a ``(model, field)`` pair of columns, looked up
    (``model.location_of(field)``) when the parameter is built; a parameter with no
    model (a tariff cost, the constants) has its ``file:line`` text as its field.
    """

    __slots__ = ("_addresses", "_factors", "_fields", "_models", "_values")

    def __init__(
        self,
        addresses: Sequence[str],
        values: Sequence[Uncertain],
        models: Sequence[SourcedModel | None],
        fields: Sequence[str],
        factors: Sequence[float],
    ) -> None:
        if not len(addresses) == len(values) == len(models) == len(fields) == len(factors):
            raise ValueError("addresses, values, models, fields and factors differ in length")
        self._addresses = tuple(addresses)
        self._values = tuple(values)
        self._models = tuple(models)
        self._fields = tuple(fields)
        self._factors = tuple(factors)

    def __len__(self) -> int:
        return len(self._addresses)

    @overload
    def __getitem__(self, index: int) -> Parameter: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[Parameter, ...]: ...

    def __getitem__(self, index: int | slice) -> Parameter | tuple[Parameter, ...]:
        if isinstance(index, slice):
            return tuple(
                map(
                    Parameter,
                    self._addresses[index],
                    self._values[index],
                    map(_where, self._models[index], self._fields[index]),
                    self._factors[index],
                )
            )
        return Parameter(
            self._addresses[index],
            self._values[index],
            _where(self._models[index], self._fields[index]),
            self._factors[index],
        )

    def __iter__(self) -> Iterator[Parameter]:
        return map(
            Parameter,
            self._addresses,
            self._values,
            map(_where, self._models, self._fields),
            self._factors,
        )

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence):
            return tuple(self) == tuple(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<Parameters: {len(self)}>"

    @property
    def addresses(self) -> tuple[str, ...]:
        """Every parameter's address, in order."""
        return self._addresses


def _where(model: SourcedModel | None, field: str) -> str:
    """``file:line`` of a parameter: its model's line for the field, or the text itself."""
    return field if model is None else model.location_of(field)


class ParameterBuilder:
    """Collects the parameters of a cost model as columns, the constants 1 and 0 first;
    factors other than 1 (tariff uplifts) are kept aside by index."""

    def __init__(self) -> None:
        self.addresses: list[str] = ["1", "0"]
        self.values: list[Uncertain] = [1.0, 0.0]
        # two columns, not a (model, field) pair a parameter: 47,000 fewer objects for
        # the cyclic collector while compiling 5,000 services (0.134-0.137 s against
        # 0.144-0.153 s with pairs, the collector running)
        self.models: list[SourcedModel | None] = [None, None]
        self.fields: list[str] = ["", ""]
        self.factors: dict[int, float] = {}

    def add(
        self,
        address: str,
        value: Uncertain,
        model: SourcedModel | None,
        field: str,
        factor: float = 1.0,
    ) -> int:
        """Add a parameter (the compiler gives each address once); its index. ``model``
        and ``field``: where it was written (see :class:`Parameters`)."""
        addresses = self.addresses
        addresses.append(address)
        self.values.append(value)
        self.models.append(model)
        self.fields.append(field)
        index = len(addresses) - 1
        if factor != 1.0:
            self.factors[index] = factor
        return index

    def bases(self) -> NDArray[np.float64]:
        """Every parameter's base value (times its factor)."""
        out = np.fromiter(
            # plain numbers without a call: 8 ms of a 110 ms compile of 5,000 services
            (v if type(v) is float else base_value(v) for v in self.values),
            dtype=np.float64,
            count=len(self.values),
        )
        for index, factor in self.factors.items():
            out[index] *= factor
        return out

    def parameters(self) -> Parameters:
        """The parameters collected, in order."""
        if len(set(self.addresses)) != len(self.addresses):  # a bug, not a user's error
            raise AssertionError("a parameter address was compiled twice")
        factors = [1.0] * len(self.addresses)
        for index, factor in self.factors.items():
            factors[index] = factor
        return Parameters(self.addresses, self.values, self.models, self.fields, factors)


def file_and_line(location: str) -> tuple[str | None, int | None]:
    """``(file, line)`` of a parameter's ``file:line`` location (``None`` when unknown)."""
    if not location:
        return None, None
    file, _, line = location.rpartition(":")
    return (file, int(line)) if line.isdigit() else (location, None)


def raise_value_problems(problems: list[Problem]) -> None:
    """Raise ``problems`` with values of parameters (a negative draw, a negative end of
    a range), if any: a :class:`TariffError` when all are in tariff CSVs, else a
    :class:`ProfileError`."""
    if not problems:
        return
    tariff_only = all(p.file and p.file.endswith(".csv") for p in problems)
    raise (TariffError if tariff_only else ProfileError)(problems)
