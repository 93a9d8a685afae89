"""The numbers of a pathway that costs depend on, and their addresses: one walk, one order.

An address names one number of a pathway as ids and a field name joined by ``/``, e.g.
``last-days/night-sitting/contacts/per_day`` (the forms are :data:`ADDRESS_FORMS`; a
second staff line of the same role in a service is ``ROLE#2``, see :func:`numbered`).
:func:`walk` walks a pathway once, in one fixed order, and yields every model that
holds numbers with its address and fields: the cohort, then stage by stage the stage,
then service by service the service, its contacts, its staff lines and its items;
:func:`parameters` gives the same numbers one by one, as ``(address, model, field)``.
The costing compiler (its parameters are the numbers given, in this order), the list of
addresses a scenario can set, and the scenario applier (the field names, the numbered
ids) all use this module, so the three cannot disagree.

Imports: profiles.models only; nothing above profiles.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from careprofiles.profiles.models import Pathway
from careprofiles.profiles.sources import SourcedModel

__all__ = [
    "ADDRESS_FORMS",
    "COHORT_FIELDS",
    "CONTACT_FIELDS",
    "FREQUENCIES",
    "ITEM_FIELDS",
    "SERVICE_FIELDS",
    "STAFF_FIELDS",
    "STAGE_FIELDS",
    "numbered",
    "parameters",
    "walk",
]

COHORT_FIELDS = ("patients", "population", "deaths_per_1000", "eligible_share")
"""The cohort's numbers: ``patients``, or the other three."""
STAGE_FIELDS = ("duration_weeks", "reach")
SERVICE_FIELDS = ("uptake",)
FREQUENCIES = ("per_week", "per_day", "per_stage")
"""The contacts' frequencies (a service gives exactly one)."""
CONTACT_FIELDS = (*FREQUENCIES, "minutes", "travel_minutes")
STAFF_FIELDS = ("count", "share")
ITEM_FIELDS = ("quantity", "per_week")
"""An item's numbers (an item gives exactly one)."""

ADDRESS_FORMS = (
    "STAGE/FIELD (duration_weeks, reach)",
    "STAGE/SERVICE/uptake",
    "STAGE/SERVICE/contacts/FIELD (per_week, per_day, per_stage, minutes, travel_minutes)",
    "STAGE/SERVICE/staff/ROLE/FIELD (count, share)",
    "STAGE/SERVICE/items/CODE/FIELD (quantity, per_week)",
    "cohort/FIELD (patients, population, deaths_per_1000, eligible_share)",
    "tariff/CODE (its cost)",
)
"""The addresses a scenario's ``set`` and ``scale`` take (``tariff/CODE`` is a tariff
row's cost: the tariff's, not the pathway's)."""


def numbered(ids: Iterable[str]) -> list[str]:
    """Ids as addresses name them: the second line with the same role is ``role#2``."""
    seen: dict[str, int] = {}
    out = []
    for ident in ids:
        n = seen[ident] = seen.get(ident, 0) + 1
        out.append(_nth(ident, n))
    return out


def _nth(ident: str, n: int) -> str:
    """How an address names the ``n``-th entry with this id in its list."""
    return ident if n == 1 else f"{ident}#{n}"


def walk(pathway: Pathway) -> Iterator[tuple[str, SourcedModel, tuple[str, ...]]]:
    """Every model that holds numbers, as ``(address, model, fields)``, in pathway order:
    the cohort, then each stage, each of its services, the service's contacts (if any),
    each staff line and each item (ids :func:`numbered`). The address of field ``f`` is
    ``address/f`` (:func:`parameters` gives them one by one)."""
    yield "cohort", pathway.cohort, COHORT_FIELDS
    for stage in pathway.stages:
        s = stage.id
        yield s, stage, STAGE_FIELDS
        for service in stage.services:
            v = f"{s}/{service.id}"
            yield v, service, SERVICE_FIELDS
            contacts = service.contacts
            if contacts is not None:
                yield f"{v}/contacts", contacts, CONTACT_FIELDS
            # numbered as numbered() does, counted here (half the walk's time otherwise)
            seen: dict[str, int] = {}
            for line in service.staff:
                role = line.role
                n = seen[role] = seen.get(role, 0) + 1
                yield f"{v}/staff/{_nth(role, n)}", line, STAFF_FIELDS
            seen = {}
            for item in service.items:
                code = item.code
                n = seen[code] = seen.get(code, 0) + 1
                yield f"{v}/items/{_nth(code, n)}", item, ITEM_FIELDS


def parameters(pathway: Pathway) -> Iterator[tuple[str, SourcedModel, str]]:
    """Every number a scenario can set, as ``(address, model, field)``, in pathway order
    (that of :func:`walk`, each model's fields in order).

    ``getattr(model, field)`` is the number (a float or a distribution), or ``None`` for
    one the pathway does not give (the cohort form not used, the frequencies other than
    the one given, an item's other quantity): those are yielded too, in their place,
    because a scenario can set them.
    """
    for address, model, fields in walk(pathway):
        for name in fields:
            yield f"{address}/{name}", model, name
