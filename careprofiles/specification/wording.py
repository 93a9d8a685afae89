"""How a specification says things in words: counts, shares, frequencies, names.

The specification's conventions for writing its figures (a count as ``1,781`` or
``2.5``, an input share as ``65%`` or ``12.5%``), contacts as words (``1 contact a
month``), a role's short name from its tariff description, and the names of the care
settings. Figures are formatted by :mod:`careprofiles.outputs.text`.

Imports: outputs.text and outputs.names (the names, one rule for every output).
"""

from __future__ import annotations

import re

from careprofiles.outputs.names import SETTING_NAMES, short_description
from careprofiles.outputs.text import format_number, format_percent

__all__ = [
    "MARKER",
    "SETTING_NAMES",
    "TO_BE_AGREED",
    "count",
    "frequency_words",
    "plural",
    "sentence_list",
    "share",
    "short_name",
    "target_text",
    "to_be_agreed",
]

TO_BE_AGREED = "To be agreed"
"""What a header field holds when it was not given (shown as :func:`to_be_agreed`)."""

MARKER = re.compile(r"\[to be agreed: ([^\]\n]+)\]")
"""A field still to complete, as the specification writes it: ``[to be agreed: WHAT]``
(``careprofiles spec --check`` lists them)."""


def count(x: float, places: int = 2) -> str:
    """A count as people read it: ``1,781``, ``2.5``, ``0.23``."""
    return format_number(x, places, trim=True)


def share(x: float) -> str:
    """An input share as a percentage: ``65%``, ``12.5%``."""
    return format_percent(x, 1, trim=True)


def plural(n: float, word: str) -> str:
    """``n`` and ``word``, with an ``s`` unless ``n`` is 1: ``1 week``, ``2.5 weeks``."""
    return f"{count(n)} {word}" + ("" if abs(n - 1) < 1e-9 else "s")


def _per_week_words(w: float, what: str) -> str:
    """``0.231`` contacts a week → ``1 contact a month``; ``0.2`` → ``1 contact every 5 weeks``."""
    if w == 0:
        return f"no {what}s"
    if w >= 1:
        return f"{plural(w, what)} a week"
    month = w * 52 / 12
    if round(month) >= 1 and abs(month - round(month)) <= 0.02 * month:
        return f"{plural(round(month), what)} a month"
    every = 1 / w
    if abs(every - round(every)) <= 0.02 * every:
        return f"1 {what} every {round(every)} weeks"
    return f"{plural(w, what)} a week (about 1 every {round(every)} weeks)"


def frequency_words(kind: str, value: float, what: str = "contact") -> str:
    """Contacts in words: ``2 contacts a day``, ``1 contact in the stage``."""
    if kind == "per_day":
        return f"{plural(value, what)} a day" if value >= 1 else _per_week_words(value * 7, what)
    if kind == "per_week":
        return _per_week_words(value, what)
    return f"{plural(value, what)} in the stage"


def short_name(description: str, code: str) -> str:
    """A role's or item's short name from its tariff description (up to ``, per …``):
    :func:`careprofiles.outputs.names.short_description`, the code when it has none."""
    return short_description(description) or code


def to_be_agreed(what: str) -> str:
    """The one marker of a field to complete: ``[to be agreed: WHAT]``."""
    said = " ".join(what.replace("[", "(").replace("]", ")").split())
    return f"[to be agreed: {said or 'this field'}]"


def target_text(target: float | None, measure: str | None) -> str:
    """An outcome's target: a percentage for a ratio measure (``a / b``) between 0 and 1."""
    if target is None:
        return TO_BE_AGREED
    if measure and "/" in measure and 0 <= target <= 1:
        return share(target)
    return count(target, 4)


def sentence_list(words: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    if not words:
        return ""
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + " and " + words[-1]
