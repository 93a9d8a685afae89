"""Where the bundled profiles, tariffs and templates are, in a checkout or an installed wheel."""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "bundled_index",
    "bundled_pathway",
    "bundled_profiles",
    "bundled_tariff",
]

_HERE = Path(__file__).resolve().parent


def bundled_profiles() -> Path:
    """The folder of bundled pathways and tariffs (``profiles/`` in the repository)."""
    installed = _HERE / "_profiles"
    if installed.is_dir():
        return installed
    return _HERE.parent / "profiles"


def bundled_pathway() -> Path:
    """The default pathway's folder, ``profiles/eol``."""
    return bundled_profiles() / "eol"


def bundled_tariff() -> Path:
    """The default tariff, ``profiles/tariffs/national-2024-25.csv``."""
    return bundled_profiles() / "tariffs" / "national-2024-25.csv"


def bundled_index() -> Path:
    """The bundled price index, ``profiles/tariffs/price-index.csv``."""
    return bundled_profiles() / "tariffs" / "price-index.csv"
