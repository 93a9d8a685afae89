"""The numbers of a pathway that costs depend on, and their addresses: one walk, one order.

An address names one number of a pathway as ids and a field name joined by ``/``, e.g.
``last-days/night-sitting/contacts/per_day`` (the forms are :data:`ADDRESS_FORMS`; a
second staff line of the same role in a service is ``ROLE#2``, see :func:`numbered`).
:func:`parameters` walks a pathway and yields every number a scenario can set, as
``(address, model, field)``, in one fixed order: the cohort's, then stage by stage the
stage's, then service by service the service's, its contacts', its staff lines' and its
items'. The costing compiler (its parameters are the numbers given, in this order), the
list of addresses a scenario can set, and the scenario applier (the field names, the
numbered ids) all use this module, so the three cannot disagree.

Imports: profiles.models only; nothing above profiles.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from careprofiles.profiles.models import Pathway, _Model

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
        out.append(ident if n == 1 else f"{ident}#{n}")
    return out


def parameters(pathway: Pathway) -> Iterator[tuple[str, _Model, str]]:
    """Every number a scenario can set, as ``(address, model, field)``, in pathway order.

    ``getattr(model, field)`` is the number (a float or a distribution), or ``None`` for
    one the pathway does not give (the cohort form not used, the frequencies other than
    the one given, an item's other quantity): those are yielded too, in their place,
    because a scenario can set them. Per service: ``uptake``, its contacts'
    :data:`CONTACT_FIELDS` (if it has contacts), each staff line's :data:`STAFF_FIELDS`,
    each item's :data:`ITEM_FIELDS`.
    """
    cohort = pathway.cohort
    for name in COHORT_FIELDS:
        yield f"cohort/{name}", cohort, name
    for stage in pathway.stages:
        s = stage.id
        yield f"{s}/duration_weeks", stage, "duration_weeks"
        yield f"{s}/reach", stage, "reach"
        for service in stage.services:
            v = f"{s}/{service.id}"
            yield f"{v}/uptake", service, "uptake"
            contacts = service.contacts
            if contacts is not None:
                for name in CONTACT_FIELDS:
                    yield f"{v}/contacts/{name}", contacts, name
            staff = service.staff
            for line, role in zip(staff, numbered([x.role for x in staff]), strict=True):
                yield f"{v}/staff/{role}/count", line, "count"
                yield f"{v}/staff/{role}/share", line, "share"
            items = service.items
            for item, code in zip(items, numbered([x.code for x in items]), strict=True):
                yield f"{v}/items/{code}/quantity", item, "quantity"
                yield f"{v}/items/{code}/per_week", item, "per_week"
