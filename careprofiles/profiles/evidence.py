"""The format's words for who pays, how strong a figure's evidence is, and what a staff
rate is per: funders, evidence grades and unit-cost bases.

Part of the format (``docs/format.md`` and ``docs/costing.md`` list them), so they live
with the format, in profiles; tariffs and costing use them.

Imports: nothing of careprofiles.
"""

from __future__ import annotations

from typing import Literal, get_args

__all__ = ["BASES", "FUNDERS", "GRADES", "QUALIFICATIONS", "UNASSIGNED", "Grade", "funder_name"]

FUNDERS: dict[str, str] = {
    "nhs-icb": "NHS (ICB)",
    "nhs-chc": "NHS continuing healthcare",
    "local-authority": "Local authority social care",
    "hospice-charity": "Hospice (charitable)",
    "self-funded": "Self-funded",
}
"""The known funders (id: display name). Any other id an analyst defines is accepted
and shown as written."""

UNASSIGNED = "unassigned"
"""The funder of a line whose service and tariff row name none."""

Grade = Literal["published-national", "local-data", "expert-consensus", "estimate"]
"""A grade of evidence."""
GRADES: tuple[str, ...] = get_args(Grade)
"""Grades of evidence a tariff row or a profile's number may carry, strongest first."""

BASES = ("working-hour", "contact-hour", "price")
"""What a staff row's cost is per: an hour of the role's working time, an hour of
patient contact, or a purchased service's price per hour delivered."""

QUALIFICATIONS = ("excluded", "included")
"""Whether a staff rate includes the cost of the role's qualifications."""


def funder_name(funder: str) -> str:
    """The display name of a funder id (the id itself when it is not a known one)."""
    if funder == UNASSIGNED:
        return "Unassigned (no funder named)"
    return FUNDERS.get(funder, funder)
