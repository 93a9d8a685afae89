"""The numbers of a pathway and their addresses (``profiles/parameters.py``): one walk,
in one order, that the compiler, ``addresses()`` and the scenario applier share."""

from __future__ import annotations

from careprofiles.profiles.load import load_pathway
from careprofiles.profiles.models import Cohort, Contacts, Item, Pathway, Service, StaffLine, Stage
from careprofiles.profiles.parameters import (
    COHORT_FIELDS,
    CONTACT_FIELDS,
    ITEM_FIELDS,
    STAFF_FIELDS,
    STAGE_FIELDS,
    numbered,
    parameters,
)


def _pathway() -> Pathway:
    return Pathway.model_validate(
        {
            "id": "p",
            "name": "P",
            "price_year": "2024/25",
            "cohort": {"patients": 10},
            "stages": [
                {
                    "id": "s",
                    "duration_weeks": 2,
                    "services": [
                        {
                            "id": "v",
                            "setting": "home",
                            "contacts": {"per_week": 1, "minutes": 30},
                            "staff": [{"role": "nurse"}, {"role": "nurse", "share": 0.5}],
                            "items": [{"code": "pack", "quantity": 1}],
                        },
                        {"id": "w", "setting": "home", "items": [{"code": "pump", "per_week": 1}]},
                    ],
                }
            ],
        }
    )


def test_the_walk_in_order_with_the_numbers_not_given() -> None:
    walk = list(parameters(_pathway()))
    assert [a for a, _, _ in walk] == [
        *(f"cohort/{f}" for f in COHORT_FIELDS),
        *(f"s/{f}" for f in STAGE_FIELDS),
        "s/v/uptake",
        *(f"s/v/contacts/{f}" for f in CONTACT_FIELDS),
        *(f"s/v/staff/nurse/{f}" for f in STAFF_FIELDS),
        *(f"s/v/staff/nurse#2/{f}" for f in STAFF_FIELDS),
        *(f"s/v/items/pack/{f}" for f in ITEM_FIELDS),
        "s/w/uptake",
        *(f"s/w/items/pump/{f}" for f in ITEM_FIELDS),
    ]
    kinds = [type(m) for _, m, _ in walk]
    assert kinds[:4] == [Cohort] * 4
    assert kinds[4:6] == [Stage] * 2
    assert kinds[6] is Service
    assert kinds[7:12] == [Contacts] * 5
    assert kinds[12:16] == [StaffLine] * 4
    assert kinds[16:18] == [Item] * 2
    given = {a: getattr(m, f) for a, m, f in walk}
    assert given["cohort/patients"] == 10
    assert given["cohort/population"] is None  # the form not used is yielded too
    assert given["s/v/contacts/per_day"] is None
    assert given["s/v/staff/nurse#2/share"] == 0.5
    assert given["s/w/items/pump/quantity"] is None
    assert given["s/w/items/pump/per_week"] == 1


def test_every_address_is_unique_on_the_bundled_pathway() -> None:
    addresses = [a for a, _, _ in parameters(load_pathway())]
    assert len(addresses) == len(set(addresses)) > 100


def test_numbered_ids() -> None:
    assert numbered(["a", "b", "a", "a"]) == ["a", "b", "a#2", "a#3"]
    assert numbered([]) == []
