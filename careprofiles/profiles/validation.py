"""Validate raw YAML into models, turning pydantic's errors into ``file:line: key.path:
what; how to fix`` problems, and record where each model was read from.

Imports: careprofiles.errors; profiles.numbers, reader, sources; pydantic.
"""

from __future__ import annotations

import difflib
from typing import Any, TypeVar

import pydantic
from pydantic import BaseModel

from careprofiles.errors import CODES, Problem
from careprofiles.profiles.numbers import NUMBER_BRANCH, VALUE_BRANCH
from careprofiles.profiles.reader import LineList, line_of
from careprofiles.profiles.sources import SourcedModel, remember_sources

__all__ = ["duplicate_ids", "format_loc", "problems_from", "sort_problems", "validate_model"]

M = TypeVar("M", bound=BaseModel)


def duplicate_ids(
    entries: object,
    key: str,
    file: str,
    noun: str = "",
    *,
    seen: dict[str, str] | None = None,
    fix: str = "",
) -> list[Problem]:
    """Repeated ``id``s in the list ``entries`` (read under ``key``, the prefix of each
    ``where``: ``services``, ``standards[0].criteria``), each at the line of its second
    use: ``duplicate [noun ]id 'x' (also key[0]); give each [noun ]an id of its own``
    (``fix``, when given, in place of the part after the semicolon). ``seen`` (id → where
    it was first used), shared by several calls, makes ids unique across several lists.
    Anything that is not a list of mappings is left to the model's checks."""
    if not isinstance(entries, LineList):
        return []
    what = f"{noun} " if noun else ""
    fix = fix or f"give each {what}an id of its own"
    first: dict[str, str] = {} if seen is None else seen
    out = []
    for i, entry in enumerate(entries):
        ident = entry.get("id") if isinstance(entry, dict) else None
        if not isinstance(ident, str):
            continue
        if ident in first:
            out.append(
                Problem(
                    file,
                    line_of(entries, (i, "id")),
                    f"{key}[{i}].id",
                    f"duplicate {what}id {ident!r} (also {first[ident]}); {fix}",
                    code="duplicate-id",
                )
            )
        else:
            first[ident] = f"{key}[{i}]"
    return out


def format_loc(loc: tuple[str | int, ...]) -> str:
    """``('services', 0, 'uptake')`` → ``services[0].uptake``.

    A key that is not a plain name (it holds a space, a line break or another character
    that does not print, a dot, a bracket or a quote) is shown quoted in brackets,
    ``criteria['a\\nb']``, so that a message stays one line and says which key it means."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif not _plain_key(str(part)):
            out += f"[{str(part)!r}]"
        else:
            out += f".{part}" if out else str(part)
    return out


_NOT_PLAIN = frozenset(".[]'\"")


def _plain_key(key: str) -> bool:
    return bool(key) and key.isprintable() and not any(c.isspace() or c in _NOT_PLAIN for c in key)


def _model_at(cls: type[BaseModel], loc: tuple[str | int, ...]) -> type[BaseModel] | None:
    """The model class that validates the mapping at ``loc``."""
    current: type[BaseModel] | None = cls
    for part in loc:
        if current is None:
            return None
        if isinstance(part, int):
            continue
        field = current.model_fields.get(part)
        if field is None:
            return None
        current = _first_model(field.annotation)
    return current


def _first_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _first_model(arg)
        if found is not None:
            return found
    return None


def _message(err: Any, cls: type[BaseModel]) -> str:
    kind = err["type"]
    loc = tuple(err["loc"])
    key = loc[-1] if loc else ""
    got = err.get("input")
    if kind == "missing":
        return f"required key {key!r} is missing; add it"
    if kind == "extra_forbidden":
        model = _model_at(cls, loc[:-1])
        allowed = sorted(model.model_fields) if model is not None else []
        hint = ""
        close = difflib.get_close_matches(str(key), allowed, n=1)
        if close:
            hint = f"; did you mean {close[0]!r}?"
        elif allowed:
            hint = f"; allowed keys are {', '.join(allowed)}"
        return f"unknown key {key!r}{hint}"
    if kind == "literal_error":
        expected = err.get("ctx", {}).get("expected", "")
        return f"{got!r} is not allowed; use one of {expected}"
    if kind in ("string_type", "str_type"):
        if got is None:
            return "has no value; write text after the colon"
        return f"{got!r} is not text; write text (in quotes if it looks like a number)"
    if kind in ("tuple_type", "list_type"):
        return f"should be a list (one '- ' line per entry), not {_kind(got)}"
    if kind == "too_short":
        return "is empty; give at least one entry"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"should be a mapping of keys to values, not {_kind(got)}"
    if kind == "string_pattern_mismatch":
        return f"{got!r} is not valid; use lower-case letters, digits and '-'"
    msg = str(err["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            msg = msg[len(prefix) :]
    return msg


def _kind(value: Any) -> str:
    """What a YAML value is, in words: 'a mapping', 'a list', 'text', 'a number'."""
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, str):
        return f"text ({value!r:.40})"
    if isinstance(value, bool):
        return f"{str(value).lower()}"
    if isinstance(value, int | float):
        return f"a number ({value!r})"
    if value is None:
        return "empty"
    return type(value).__name__


def problems_from(
    exc: pydantic.ValidationError, raw: Any, file: str, cls: type[BaseModel]
) -> list[Problem]:
    """One problem per pydantic error, with the line of the value in ``raw``."""
    problems = []
    errors = []
    for err in exc.errors(include_url=False):
        # an uncertain number is checked in two branches (numbers._UncertainSchema):
        # the fast one's error adds nothing; the full check's says how to fix it
        if NUMBER_BRANCH in err["loc"]:
            continue
        if VALUE_BRANCH in err["loc"]:
            err = {**err, "loc": tuple(p for p in err["loc"] if p != VALUE_BRANCH)}
        errors.append(err)
    for err in errors:
        loc = tuple(err["loc"])
        if err["type"] == "too_short" and any(
            len(other["loc"]) > len(loc) and tuple(other["loc"][: len(loc)]) == loc
            for other in errors
        ):
            continue  # the items are wrong, not missing
        code = err["type"] if err["type"] in CODES else ""  # a PydanticCustomError's
        problems.append(Problem(file, line_of(raw, loc), format_loc(loc), _message(err, cls), code))
    return problems


def sort_problems(problems: list[Problem]) -> list[Problem]:
    """Problems by file (in first-seen order), then by line."""
    order = {f: i for i, f in reversed(list(enumerate(p.file for p in problems)))}
    # the first problem's file stays first; within a file, by line
    return sorted(problems, key=lambda p: (order[p.file], p.line or 0))


def validate_model(
    cls: type[M], raw: Any, file: str, problems: list[Problem], **context: Any
) -> M | None:
    """Validate ``raw`` as ``cls``; on failure append the problems and return ``None``."""
    try:
        model = cls.model_validate(raw, context={"file": file, **context})
    except pydantic.ValidationError as exc:
        problems.extend(problems_from(exc, raw, file, cls))
        return None
    if isinstance(model, SourcedModel):
        remember_sources(model, raw, file)
    return model
