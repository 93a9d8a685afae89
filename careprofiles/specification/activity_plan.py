"""The specification's activity plan and price (NHS Standard Contract Schedules 2B and 3 style).

:func:`activity_plan` gives, for each service of the pathway, the activity expected in a
year and its price, from the cost lines of a
:class:`~careprofiles.costing.result.CostResult`:

* patients: the patients receiving the service a year (cohort × stage reach × uptake);
* contacts: contacts per patient receiving it × those patients (services with staff);
* hours: staff hours a year, travel included (``hours_population`` summed; ``-`` for a
  service with no staff, as for contacts);
* price: the cost a year (``cost_population`` summed), and per patient receiving it;

and the same price split by funder (a line's funder is its service's, else its tariff
row's, else unassigned, as :meth:`~careprofiles.costing.result.CostResult.by_funder`),
with each funder's services, hours and price. The prices add up to the budget.

Imports: outputs.text, specification.wording; costing for types only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from careprofiles.outputs.text import format_money, format_percent
from careprofiles.specification.wording import SETTING_NAMES

if TYPE_CHECKING:
    from careprofiles.costing.result import CostResult

__all__ = ["activity_plan"]


def _whole(x: float) -> str:
    return f"{x:,.0f}"


def activity_plan(result: CostResult, text: Callable[[str], str]) -> dict[str, Any]:
    """The activity plan and price of ``result`` (see the module docstring).

    ``services``: one row a service, in pathway order; ``funders``: one entry a funder
    (the costliest first) with its ``services``; ``total``: contacts, hours and price.
    """
    lines = result.lines
    names = {str(r["funder"]): str(r["name"]) for _, r in result.by_funder().iterrows()}
    services: list[dict[str, Any]] = []
    by_funder: dict[str, list[dict[str, Any]]] = {f: [] for f in names}
    contacts_total = 0.0
    for (stage, service), group in lines.groupby(["stage", "service"], sort=False):
        first = group.iloc[0]
        patients = float(group["patients"].max())
        staff = group[group["kind"] == "staff"]
        contacts = float(staff["contacts"].iloc[0]) * patients if len(staff) else None
        contacts_total += contacts or 0.0
        price = float(group["cost_population"].sum())
        paying = list(dict.fromkeys(str(f) for f in group["funder"]))
        row = {
            "stage": text(str(first["stage_name"])),
            "stage_id": text(str(stage)),
            "service": text(str(first["service_name"])),
            "service_id": text(str(service)),
            "setting": SETTING_NAMES[str(first["setting"])],
            "funders": text("; ".join(names[f] for f in paying)),
            "patients": _whole(patients),
            "contacts": _whole(contacts) if contacts is not None else "-",
            "hours": _whole(float(staff["hours_population"].sum())) if len(staff) else "-",
            "price": format_money(price),
            "per_patient": format_money(price / patients) if patients > 0 else "-",
        }
        services.append(row)
        for funder in paying:
            part = group[group["funder"] == funder]
            by_funder[funder].append(
                {
                    "stage": row["stage"],
                    "service": row["service"],
                    "patients": row["patients"],
                    "hours": _whole(float(part["hours_population"].sum())),
                    "price": format_money(float(part["cost_population"].sum())),
                }
            )
    funders = []
    for _, r in result.by_funder().iterrows():
        funder = str(r["funder"])
        funders.append(
            {
                "id": text(funder),
                "name": text(names[funder]),
                "services": by_funder[funder],
                "hours": _whole(float(r["hours"])),
                "price": format_money(float(r["total"])),
                "share_of_total": format_percent(float(r["share_of_total"]), 1),
            }
        )
    return {
        "services": services,
        "funders": funders,
        "total": {
            "contacts": _whole(contacts_total),
            "hours": _whole(float(lines["hours_population"].sum())),
            "price": format_money(result.total),
        },
    }
