"""Tariff layers: the files a tariff was layered from, the rows each later layer replaced,
and the warning when the bundled national tariff replaces an earlier layer's own rows.

``load_tariff(local, "bundled")`` is valid, but it lets the national price of every code
both files price override the local one: almost always a mistake for
``load_tariff("bundled", local)``. :func:`layering_message` words the
:class:`LayeringWarning` raised then (careprofiles' own warning category, a
``UserWarning``, so that programs can filter it or make it an error): the layers in
order, and the codes whose local price was replaced.

Imports: careprofiles.resources (how documents name the files); nothing above tariffs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from careprofiles.resources import bundled_tariff, document_name, source_name

__all__ = ["LayeringWarning", "TariffLayer", "TariffOverride", "layering_message", "new_layer"]

LISTED = 20
"""The most replaced codes a warning names (``Tariff.overrides`` holds them all)."""


class LayeringWarning(UserWarning):
    """Tariff layers in an order that is valid but probably a mistake: a later layer (the
    bundled national tariff) replaces rows of an earlier layer (a tariff of the user's
    own) with national prices. The message lists the layers in order and the codes."""


@dataclass(frozen=True, slots=True)
class TariffLayer:
    """One file a tariff was layered from, first to last."""

    file: str
    """The file as messages name it (relative to the working folder when inside it)."""
    name: str
    """The file as documents name it: ``local.csv``, ``bundled national tariff 2024/25``."""
    source_name: str
    """The file as the ``file:line`` columns of outputs name it (its file name)."""
    bundled: bool
    """True for the bundled national tariff."""
    codes: tuple[str, ...]
    """The codes its rows price, in the file's order."""


@dataclass(frozen=True, slots=True)
class TariffOverride:
    """A code priced by two layers: the later layer's row replaced the earlier one's."""

    code: str
    layer: int
    """The position in ``Tariff.layers`` of the layer whose row is used (0 is the first)."""
    replaced: int
    """The position of the earlier layer whose row it replaced."""
    location: str
    """``file:line`` of the row used."""
    replaced_location: str
    """``file:line`` of the row replaced."""
    cost: float
    """The cost used, as written."""
    replaced_cost: float
    """The cost replaced, as written."""
    national: bool
    """True when the bundled national tariff replaced a row of a tariff of the user's own:
    what :class:`LayeringWarning` warns of."""


def new_layer(path: str | os.PathLike[str], file: str, codes: tuple[str, ...]) -> TariffLayer:
    """The layer read from ``path`` (named ``file`` in messages), pricing ``codes``."""
    try:
        bundled = os.path.realpath(path) == os.path.realpath(bundled_tariff())
    except (OSError, ValueError):  # pragma: no cover - a path read a moment ago
        bundled = False
    return TariffLayer(file, document_name(path), source_name(path), bundled, codes)


def _label(layer: TariffLayer) -> str:
    return "the bundled tariff" if layer.bundled else layer.file


def layering_message(layers: tuple[TariffLayer, ...], overrides: tuple[TariffOverride, ...]) -> str:
    """The warning for the ``national`` ones of ``overrides``: the codes whose own price
    the bundled national tariff replaced, and the layers in order ('' when there are none)."""
    national = [o for o in overrides if o.national]
    if not national:
        return ""
    named = ", ".join(f"{o.code} ({o.replaced_location})" for o in national[:LISTED])
    if len(national) > LISTED:
        named += f" and {len(national) - LISTED:,} more"
    order = ", ".join(
        f"{i}. {_label(layer)} ({len(layer.codes):,} rows)" for i, layer in enumerate(layers, 1)
    )
    codes = "code" if len(national) == 1 else "codes"
    return (
        f"the bundled national tariff, layered after a tariff of your own, replaces its "
        f"price for {len(national):,} {codes}: {named}; the layers, first to last (a later "
        f"layer's row replaces an earlier one's): {order}; to keep your own prices, give "
        "the bundled tariff first and your files after it"
    )
