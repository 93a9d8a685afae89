"""The header block of a specification: who commissions and provides it, and when.

:class:`SpecHeader` holds the header's fields (every one optional, ``To be agreed``
when not given); :func:`load_header` reads a ``--header`` YAML file, refusing unknown
keys with ``file:line``; :func:`as_header` takes any of the forms
:func:`~careprofiles.specification.render.render_spec` accepts.

Imports: errors, profiles (the YAML reader and model validation), specification.wording.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import field_validator

from careprofiles.errors import Problem, ValidationError, display_path
from careprofiles.profiles.reader import read_yaml
from careprofiles.profiles.sources import SourcedModel
from careprofiles.profiles.validation import sort_problems, validate_model
from careprofiles.specification.wording import TO_BE_AGREED

__all__ = ["HEADER_KEYS", "SpecHeader", "as_header", "load_header"]


class SpecHeader(SourcedModel):
    """The header block of a specification (a ``--header`` YAML file; every key optional)."""

    number: str = TO_BE_AGREED
    """Service specification number."""
    service: str | None = None
    """The service's name (default: the pathway's name)."""
    commissioner: str = TO_BE_AGREED
    """The commissioning organisation."""
    commissioner_lead: str = TO_BE_AGREED
    """The commissioner's lead for the specification."""
    provider: str = TO_BE_AGREED
    """The providing organisation."""
    provider_lead: str = TO_BE_AGREED
    """The provider's lead for the specification."""
    period: str = TO_BE_AGREED
    """The period the specification covers, e.g. 1 April 2025 to 31 March 2028."""
    review_date: str = TO_BE_AGREED
    """When the specification is next reviewed."""
    premises: str = TO_BE_AGREED
    """The provider's premises (section 6), beside the settings care is given in."""

    @field_validator("*", mode="before")
    @classmethod
    def _as_text(cls, value: Any) -> Any:
        if isinstance(value, bool) or value is None:
            return value  # refused below as "not text"
        if isinstance(value, dt.date):
            return f"{value.day} {value:%B %Y}"
        if isinstance(value, int | float):
            return f"{value:g}"
        if isinstance(value, str) and not value.strip():
            raise ValueError("is empty; give the text, or leave the key out")
        return value


HEADER_KEYS = tuple(SpecHeader.model_fields)
"""The keys a header file may have."""


def load_header(path: str | Path) -> SpecHeader:
    """Read a specification header YAML file; unknown keys are refused with ``file:line``."""
    raw, problems = read_yaml(path, error=ValidationError, what="specification header file")
    name = display_path(path)
    header = validate_model(SpecHeader, raw, name, problems)
    if problems or header is None:
        raise ValidationError(sort_problems(problems))
    return header


def as_header(value: SpecHeader | Mapping[str, Any] | str | Path | None) -> SpecHeader:
    """``value`` as a header: a :class:`SpecHeader` as it is, a mapping of its keys
    (checked), a header file's path (read with :func:`load_header`), or ``None`` (every
    field to be agreed)."""
    if value is None:
        return SpecHeader()
    if isinstance(value, SpecHeader):
        return value
    if isinstance(value, str | Path):
        return load_header(value)
    problems: list[Problem] = []
    header = validate_model(SpecHeader, dict(value), "header", problems)
    if problems or header is None:
        raise ValidationError(problems)
    return header
