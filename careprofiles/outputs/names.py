"""Names for people where the files hold codes: stages, services, roles, items, outcomes,
settings, funders and parameter addresses.

Charts, terminal tables and documents show what a commissioner reads
(``Home care worker``, ``Increasing decline · District nursing · contacts per week``); the
CSV and JSON keep the codes a program matches on. :class:`Names` is the one place the two
meet: made once for a pathway and its tariff (:func:`names_for`), it answers for any code
and gives the code back when it knows no better, so a name is never blank.

Where the names come from:

- a stage, service or outcome: its ``name`` in the profile (its id when it has none);
- a tariff code (a staff role, an item): its tariff ``description`` up to ``:`` or
  ``, per ...``, less a closing bracket (:func:`short_description`, the specification's
  rule: ``District nurse, Agenda for Change Band 6, per working hour`` is ``District
  nurse, Agenda for Change Band 6``); when two codes would get one name, both keep their
  whole description;
- a funder: :func:`careprofiles.profiles.evidence.funder_name`; a setting:
  :data:`SETTING_NAMES` (the specification's);
- an address (:data:`careprofiles.profiles.parameters.ADDRESS_FORMS`): the names of its
  parts and its field in words, joined by `` · ``.

Imports: profiles (models, evidence) and tariffs (for types); nothing else of outputs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from careprofiles.profiles.evidence import funder_name

if TYPE_CHECKING:
    from careprofiles.profiles.models import Pathway
    from careprofiles.tariffs.tables import Tariff

__all__ = ["SEPARATOR", "SETTING_NAMES", "Names", "names_for", "short_description"]

SEPARATOR = " · "
"""Between the parts of an address's name."""

_FIELDS = {
    "duration_weeks": "duration in weeks",
    "reach": "share reaching the stage",
    "uptake": "uptake",
    "per_week": "contacts per week",
    "per_day": "contacts per day",
    "per_stage": "contacts in the stage",
    "minutes": "minutes per contact",
    "travel_minutes": "travel minutes per contact",
    "count": "staff per contact",
    "share": "share of contacts",
    "quantity": "quantity",
    "patients": "patients a year",
    "population": "population",
    "deaths_per_1000": "deaths per 1,000",
    "eligible_share": "share eligible",
}
"""Each field of an address in words."""

_ITEM_FIELDS = {"quantity": "quantity", "per_week": "per week"}

SETTING_NAMES = {
    "home": "Patient's home",
    "care-home": "Care home",
    "hospice": "Hospice",
    "hospital": "Hospital",
    "clinic": "Clinic or GP surgery",
    "telephone": "Telephone",
    "video": "Video consultation",
    "other": "Other (meetings, records, non-patient-facing)",
}
"""How each setting is named (in a specification, a table, a chart)."""


def short_description(description: str) -> str:
    """A tariff description up to ``:`` or ``, per ...``, less a closing bracket
    (``Social worker (adults), per working hour`` is ``Social worker``): what is priced,
    not what it is per; ``""`` for no description."""
    text = re.split(r":|,\s*per\s", description.strip(), maxsplit=1)[0].strip()
    return re.sub(r"\s*\([^()]*\)$", "", text).strip()


def _words(code: str) -> str:
    """A code as words: ``care-home`` is ``Care home``."""
    text = code.replace("-", " ").replace("_", " ").strip()
    return text[:1].upper() + text[1:]


@dataclass(frozen=True)
class Names:
    """Readable names of a pathway's codes; each method gives the code back when it has
    no name for it."""

    stages: Mapping[str, str] = field(default_factory=dict)
    services: Mapping[tuple[str, str], str] = field(default_factory=dict)
    """(stage id, service id): service ids are unique within a stage."""
    codes: Mapping[str, str] = field(default_factory=dict)
    """Tariff codes: staff roles and items."""
    outcomes: Mapping[str, str] = field(default_factory=dict)

    def stage(self, stage: str) -> str:
        """The stage's name."""
        return self.stages.get(stage, stage)

    def service(self, stage: str, service: str) -> str:
        """The name of service ``service`` of stage ``stage``."""
        return self.services.get((stage, service), service)

    def role(self, code: str) -> str:
        """A staff role's name (from its tariff row)."""
        return self.code(code)

    def code(self, code: str) -> str:
        """A tariff code's name (a role, an item)."""
        return self.codes.get(code, code)

    def outcome(self, outcome: str) -> str:
        """An outcome's name."""
        return self.outcomes.get(outcome, outcome)

    @staticmethod
    def funder(funder: str) -> str:
        """A funder's name (``nhs-icb``: ``NHS (ICB)``)."""
        return funder_name(funder)

    @staticmethod
    def setting(setting: str) -> str:
        """A setting's name (``clinic``: ``Clinic or GP surgery``; :data:`SETTING_NAMES`)."""
        return SETTING_NAMES.get(setting) or _words(setting)

    def address(self, address: str, within: tuple[str, str, str] | None = None) -> str:
        """An address's name: ``increasing-decline/district-nursing/contacts/per_week`` is
        ``Increasing decline · District nursing · contacts per week``. An address of no
        known form is given back as it is. ``within`` a cost line (its stage, service and
        code), the parts the line names already are left out
        (``.../items/nel-long-stay-episode/quantity`` within that item's line: ``quantity``)."""
        name = self._address(address, within)
        return name or address

    def _address(self, address: str, within: tuple[str, str, str] | None) -> str:
        """:meth:`address`, ``""`` for an address of no known form."""
        parts = address.split("/")
        if len(parts) == 2 and parts[0] == "tariff":
            if within is not None and parts[1] == within[2]:
                return "tariff unit cost"
            return SEPARATOR.join(["Tariff", self.code(parts[1]), "unit cost"])
        if len(parts) == 2 and parts[0] == "cohort" and parts[1] in _FIELDS:
            return SEPARATOR.join(["Cohort", _FIELDS[parts[1]]])
        if len(parts) == 2 and parts[1] in ("duration_weeks", "reach"):
            return SEPARATOR.join([self.stage(parts[0]), _FIELDS[parts[1]]])
        if len(parts) < 3:
            return ""
        stage, service, rest = parts[0], parts[1], parts[2:]
        head = [self.stage(stage), self.service(stage, service)]
        inside = within is not None and (stage, service) == within[:2]
        if inside:
            head = []
        if rest == ["uptake"]:
            return SEPARATOR.join([*head, "uptake"])
        if len(rest) == 2 and rest[0] == "contacts" and rest[1] in _FIELDS:
            return SEPARATOR.join([*head, _FIELDS[rest[1]]])
        if len(rest) == 3 and rest[0] in ("staff", "items"):
            code, nth = [*rest[1].split("#", 1), ""][:2]
            name = self.code(code) + (f" (line {nth})" if nth else "")
            fields = _FIELDS if rest[0] == "staff" else _ITEM_FIELDS
            if rest[2] in fields:
                if inside and within is not None and code == within[2] and not nth:
                    return fields[rest[2]]
                return SEPARATOR.join([*head, f"{name}: {fields[rest[2]]}"])
        return ""

    def addresses(self, addresses: Iterable[str]) -> list[str]:
        """:meth:`address` of each."""
        return [self.address(a) for a in addresses]

    def change(self, description: str) -> str:
        """A scenario's change (:meth:`~careprofiles.costing.scenarios.Change.describe`)
        with its address named: ``set last-days/gp-home-visit/uptake to 0.3`` is ``set
        Last days · GP home visit · uptake to 0.3``; ``add service x to last-days``
        names the stage. A change of no known form is given back as it is."""
        found = _CHANGE.fullmatch(description)
        if found is None:
            return description
        target = found["target"]
        parts = target.split("/")
        if len(parts) == 1:
            named = self.stage(target)
        elif len(parts) == 2 and parts[0] != "tariff" and parts[0] != "cohort":
            named = self._address(target, None) or SEPARATOR.join(
                [self.stage(parts[0]), self.service(parts[0], parts[1])]
            )
        else:
            named = self.address(target)
        return f"{found['verb']} {named}{found['rest']}"


_CHANGE = re.compile(
    r"(?P<verb>set|scale|remove|add (?:service|staff|item) \S+ to) (?P<target>\S+)(?P<rest>.*)"
)
"""A described change: its verb (with what it adds), its address, the rest."""


def _code_names(descriptions: Mapping[str, str]) -> dict[str, str]:
    """Each code's short description; codes whose short names would clash keep their
    whole description (and, if even those clash, add the code)."""
    short = {c: short_description(d) or c for c, d in descriptions.items()}
    counts: dict[str, int] = {}
    for name in short.values():
        counts[name] = counts.get(name, 0) + 1
    out = {c: (n if counts[n] == 1 else descriptions[c].strip() or c) for c, n in short.items()}
    seen: dict[str, int] = {}
    for name in out.values():
        seen[name] = seen.get(name, 0) + 1
    return {c: (n if seen[n] == 1 else f"{n} ({c})") for c, n in out.items()}


def names_for(pathway: Pathway, tariff: Tariff | Mapping[str, object] | None = None) -> Names:
    """The :class:`Names` of ``pathway``'s stages, services and outcomes and of
    ``tariff``'s codes (each row's ``description``)."""
    stages = {s.id: s.label for s in pathway.stages}
    services = {(st.id, sv.id): sv.label for st, sv in pathway.services()}
    outcomes = {o.id: o.label for s in pathway.stages for o in s.outcomes}
    descriptions: dict[str, str] = {}
    for code, row in (tariff or {}).items():
        text = getattr(row, "description", "")
        if isinstance(text, str) and text.strip():
            descriptions[code] = text
    return Names(stages, services, _code_names(descriptions), outcomes)
