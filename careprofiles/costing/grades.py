"""Evidence grades counted: how many of a pathway's numbers and of a tariff's rows carry
each grade (``published-national`` ... ``estimate``) and how many carry none.

Kept apart from ``costing.evidence`` (which builds DataFrames of the estimated lines) so
that ``careprofiles validate``, which prints these counts, imports no pandas.

Imports: profiles, tariffs; the standard library only.
"""

from __future__ import annotations

from collections import Counter

from careprofiles.profiles.distributions import grade_of
from careprofiles.profiles.evidence import GRADES
from careprofiles.profiles.models import Pathway
from careprofiles.profiles.parameters import walk
from careprofiles.tariffs.tables import Tariff

__all__ = ["NO_GRADE", "grade_tally"]

NO_GRADE = "no grade"


def grade_tally(pathway: Pathway, tariff: Tariff | None = None) -> list[tuple[str, int, int]]:
    """``(grade, numbers, tariff rows)`` for each grade in the format's order, then
    ``no grade``."""
    numbers: Counter[str] = Counter()
    for _address, model, fields in walk(pathway):
        given = model.__dict__
        numbers.update(grade_of(given[f]) or NO_GRADE for f in fields if given[f] is not None)
    rows: Counter[str] = Counter(
        (r.grade or NO_GRADE) for r in (tariff.values() if tariff is not None else ())
    )
    return [(g, numbers.get(g, 0), rows.get(g, 0)) for g in (*GRADES, NO_GRADE)]
