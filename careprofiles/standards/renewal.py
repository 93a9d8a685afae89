"""Standards as a programme: re-accreditation (when accreditation lapses) and practice groups.

* **Re-accreditation.** A framework may say how long accreditation lasts
  (``accreditation_valid_months``). A practice accredited at its latest assessment on
  date *D* stays accredited until *D* plus that many months (the day of the month kept,
  or the month's last day when the month is shorter: 2023-08-31 + 6 months is
  2024-02-29); on that day its accreditation **lapses**. At the assessment date
  (``as_at``) a practice is ``accredited``, ``accreditation lapsed`` (accredited at its
  latest assessment, but that is too long ago) or ``not accredited``.
* **Groups.** Practices may belong to a group (a primary care network, a locality, a
  practice-based commissioning group); :func:`group_summary` counts each group's
  practices by status, and the whole area's.

Pure functions of the one-row-a-practice table of :func:`~.status.practice_summary`.

Imports: nothing of careprofiles.
"""

from __future__ import annotations

import calendar
from datetime import date

import numpy as np
import pandas as pd

__all__ = [
    "ACCREDITATION_STATUSES",
    "NO_GROUP",
    "WHOLE_AREA",
    "accreditation_status",
    "add_months",
    "group_summary",
    "today",
]

ACCREDITATION_STATUSES = ("accredited", "accreditation lapsed", "not accredited")
"""A practice's accreditation at the assessment date, best first."""

WHOLE_AREA = "Whole area"
"""The label of the row of :func:`group_summary` that counts every practice."""

NO_GROUP = "(no group)"
"""The label of the practices that name no group, when others do."""


def today() -> date:
    """The default assessment date: today (a function, so that tests can fix it)."""
    return date.today()


def add_months(day: date, months: int) -> date:
    """``day`` plus ``months`` calendar months; the last day of the month when it is shorter."""
    total = day.month - 1 + months
    year, month = day.year + total // 12, total % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def accreditation_status(
    practices: pd.DataFrame, valid_months: int | None, as_at: date
) -> pd.DataFrame:
    """``practices`` with ``accredited_until``, ``lapsed``, ``lapsed_on``,
    ``currently_accredited`` and ``status`` (one of :data:`ACCREDITATION_STATUSES`).

    Without ``valid_months`` accreditation does not lapse: ``accredited_until`` and
    ``lapsed_on`` are empty (NaT) and the status is the latest assessment's.
    """
    out = practices.copy()
    accredited = out["accredited"].to_numpy(dtype=bool)
    if valid_months is None:
        until = pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns]")
        lapsed = np.zeros(len(out), dtype=bool)
    else:
        latest = pd.to_datetime(out["latest_date"])
        until = pd.Series(
            pd.to_datetime(
                [add_months(d.date(), valid_months) for d in latest]  # a loop a practice
            ),
            index=out.index,
        ).where(accredited)
        lapsed = accredited & (until <= pd.Timestamp(as_at)).to_numpy(dtype=bool)
    out["accredited_until"] = until
    out["lapsed"] = lapsed
    out["lapsed_on"] = until.where(lapsed)
    out["currently_accredited"] = accredited & ~lapsed
    out["status"] = np.select(
        [out["currently_accredited"], out["lapsed"]],
        list(ACCREDITATION_STATUSES[:2]),
        default=ACCREDITATION_STATUSES[2],
    )
    return out


def group_summary(practices: pd.DataFrame) -> pd.DataFrame:
    """One row a group (in first-seen order), then the whole area: practices, how many are
    ``accredited``, ``lapsed`` and ``not_accredited`` at the assessment date, and
    ``share_accredited`` (accredited / practices).

    ``practices`` is :func:`accreditation_status`'s table with a ``group`` column ("" for
    no group, shown as :data:`NO_GROUP`).
    """
    label = practices["group"].where(practices["group"] != "", NO_GROUP)
    counts = pd.DataFrame(
        {
            "group": label,
            "practices": 1,
            "accredited": practices["status"] == ACCREDITATION_STATUSES[0],
            "lapsed": practices["status"] == ACCREDITATION_STATUSES[1],
            "not_accredited": practices["status"] == ACCREDITATION_STATUSES[2],
            "assessments": practices["assessments"],
        }
    )
    by_group = counts.groupby("group", sort=False).sum(numeric_only=True).reset_index()
    whole = counts.drop(columns="group").sum().to_frame().T
    whole.insert(0, "group", WHOLE_AREA)
    table = pd.concat([by_group, whole], ignore_index=True)
    number = ["practices", "accredited", "lapsed", "not_accredited", "assessments"]
    table[number] = table[number].astype(np.int64)
    table["share_accredited"] = table["accredited"] / table["practices"]
    return table
