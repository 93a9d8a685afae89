"""The units of the file format: what a tariff row may be priced in, and staff hours.

Part of the format (``docs/format.md`` lists them), so they live with the format, in
profiles; the tariffs step reads its files with them.

Imports: nothing of careprofiles.
"""

from __future__ import annotations

__all__ = ["DEFAULT_HOURS_PER_WTE", "STAFF_UNITS", "UNITS"]

UNITS = ("hour", "contact", "day", "week", "item")
"""Units a tariff row may be priced in."""
STAFF_UNITS = ("hour", "contact")
"""Units that can price staff time."""
DEFAULT_HOURS_PER_WTE = 1650.0
"""Productive patient-related hours a year of one whole-time member of staff, by default."""
