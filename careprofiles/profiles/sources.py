"""Where each model was read from, and the frozen base model that can say so.

Every model of the format (and of the scenario, standards and specification files)
derives from :class:`SourcedModel`: frozen, strict about keys, and able to say where it
was written (``location``, ``location_of(field)``) for error messages and for the
``source`` of each cost line. The ``file``, ``line`` and the lines of the keys are kept in
a side table owned by this module, keyed by the model's identity and dropped when the
model is: a validated model is never written to after the fact. Copies, pickles and
equality carry the source, as they would a pydantic private attribute (pydantic
initialises declared private attributes model by model, copying each default: a third of
the time taken to validate a large pathway, so sources are not declared to pydantic).

The loaders record sources after validation, for a whole tree at once
(:func:`remember_sources`; a validator on every model cost a quarter of validation).

The fields' docstrings (the JSON Schema's descriptions) come from ``field_docs.json``
(:mod:`careprofiles.profiles._field_docs`), not from reading the models' source.

Imports: careprofiles.profiles.reader (LineDict), profiles._field_docs; pydantic.
"""

from __future__ import annotations

import weakref
from types import UnionType
from typing import TYPE_CHECKING, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict

from careprofiles.profiles._field_docs import docstrings
from careprofiles.profiles.reader import LineDict

__all__ = ["SourcedModel", "remember_sources", "set_source", "source_of"]


class _Source(weakref.ref):  # type: ignore[type-arg]
    """Where a model was read from, held with a weak reference to the model (one object
    a model: the collector's full passes over a large pathway cost as before)."""

    __slots__ = ("file", "key", "keys", "line")
    key: int
    """The model's key in the table (its identity)."""
    file: str | None
    line: int | None
    keys: dict[str, int] | None
    """The line of each key written."""


class _NoSource:
    """What a model built in memory has."""

    file = line = keys = None


def _forget(source: _Source) -> None:
    """Drop a model's source when the model is freed."""
    if _SOURCES.get(source.key) is source:
        del _SOURCES[source.key]


_SOURCES: dict[int, _Source] = {}
"""``id(model)`` → where the model was read from."""
_NONE = _NoSource()


def set_source(
    model: SourcedModel, file: str | None, line: int | None, keys: dict[str, int] | None = None
) -> None:
    """Record that ``model`` was read from ``file`` at ``line`` (``keys``: the line of
    each key written, for :meth:`SourcedModel.location_of`)."""
    key = id(model)
    source = _SOURCES.get(key)
    if source is None:
        source = _SOURCES[key] = _Source(model, _forget)
        source.key = key
    source.file, source.line, source.keys = file, line, keys


def source_of(model: SourcedModel) -> tuple[str | None, int | None]:
    """The file and line ``model`` was read from (``(None, None)`` when built in memory)."""
    source = _SOURCES.get(id(model), _NONE)
    return source.file, source.line


def _copy_source(model: SourcedModel, copy: SourcedModel) -> None:
    source = _SOURCES.get(id(model))
    if source is not None:
        set_source(copy, source.file, source.line, source.keys)


class SourcedModel(BaseModel):
    """A frozen model that rejects unknown keys and remembers where it was read from."""

    # no use_attribute_docstrings: it reads every model's source when the model is made;
    # the field docstrings come from profiles/field_docs.json (_field_docs), given to the
    # fields before their schema is built (deferred to the model's first use for that)
    model_config = ConfigDict(extra="forbid", frozen=True, strict=False, defer_build=True)

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        """Give each field without a description its docstring, as pydantic's
        ``use_attribute_docstrings`` would (the fields it inherits have theirs)."""
        super().__pydantic_init_subclass__(**kwargs)
        docs = docstrings(cls)
        for name, info in cls.model_fields.items():
            if info.description is None and name in docs:
                info.description = docs[name]

    @property
    def _file(self) -> str | None:
        """The file this was read from (None when built in memory)."""
        return _SOURCES.get(id(self), _NONE).file

    @_file.setter
    def _file(self, value: str | None) -> None:
        # the lines of the keys belong to the source they were read from
        set_source(self, value, self._line)

    @property
    def _line(self) -> int | None:
        """The line this was read from (None when unknown)."""
        return _SOURCES.get(id(self), _NONE).line

    @_line.setter
    def _line(self, value: int | None) -> None:
        set_source(self, self._file, value)

    if not TYPE_CHECKING:

        def __setattr__(self, name: str, value: Any) -> None:
            # pydantic refuses property setters on frozen models; the source is not a
            # field, and setting it leaves the model as it is (it goes to the side table)
            if name == "_file":
                set_source(self, value, self._line)
            elif name == "_line":
                set_source(self, self._file, value)
            else:
                super().__setattr__(name, value)

    @property
    def location(self) -> str:
        """Where this was written, as ``file:line`` (empty when built in memory)."""
        # costing a large pathway asks for tens of thousands of locations: one look-up
        source = _SOURCES.get(id(self), _NONE)
        file, line = source.file, source.line
        if file is None:
            return ""
        return file if line is None else f"{file}:{line}"

    def location_of(self, field: str) -> str:
        """Where ``field`` was written, as ``file:line`` of its key; the model's own
        :attr:`location` when the key was not written (a default) or is not known."""
        source = _SOURCES.get(id(self), _NONE)
        file, keys = source.file, source.keys
        line = keys.get(field) if keys else None
        if line is None or file is None:
            return self.location
        return f"{file}:{line}"

    def with_source(self, file: str | None, line: int | None) -> Any:
        """A copy that remembers another ``file:line`` (for scenario changes)."""
        copy = self.model_copy()
        set_source(copy, file, line)
        return copy

    # the source goes with the model: into copies and pickles, and into equality

    def __eq__(self, other: object) -> bool:
        same = super().__eq__(other)
        if same is not True:
            return same
        mine, theirs = _SOURCES.get(id(self), _NONE), _SOURCES.get(id(other), _NONE)
        return (mine.file, mine.line, mine.keys) == (theirs.file, theirs.line, theirs.keys)

    def __copy__(self) -> Any:
        copy = super().__copy__()
        _copy_source(self, copy)
        return copy

    def __deepcopy__(self, memo: dict[int, Any] | None = None) -> Any:
        copy = super().__deepcopy__(memo)
        _copy_source(self, copy)
        return copy

    def __getstate__(self) -> dict[Any, Any]:
        state = super().__getstate__()
        source = _SOURCES.get(id(self))
        if source is not None:
            state["careprofiles_source"] = (source.file, source.line, source.keys)
        return state

    def __setstate__(self, state: dict[Any, Any]) -> None:
        super().__setstate__(state)
        source = state.get("careprofiles_source")
        if source is not None:
            set_source(self, *source)


_Shape = Literal["one", "sequence", "mapping"]
_NESTED: dict[type[BaseModel], tuple[tuple[str, str, _Shape], ...]] = {}


def _shape(annotation: Any) -> _Shape | None:
    """How a field holds models: one (or None), a tuple or list of them, a mapping to them."""
    if isinstance(annotation, type) and issubclass(annotation, SourcedModel):
        return "one"
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Union or origin is UnionType:
        shapes = {_shape(a) for a in args if a is not type(None)}
        return shapes.pop() if len(shapes) == 1 else None
    if origin in (tuple, list) and any(_shape(a) == "one" for a in args if a is not Ellipsis):
        return "sequence"
    if origin is dict and len(args) == 2 and _shape(args[1]) == "one":
        return "mapping"
    return None


def _nested_fields(cls: type[BaseModel]) -> tuple[tuple[str, str, _Shape], ...]:
    """``(field, key in the input, shape)`` of each of ``cls``'s fields that hold models."""
    found = _NESTED.get(cls)
    if found is None:
        found = tuple(
            (name, info.alias or name, shape)
            for name, info in cls.__pydantic_fields__.items()
            if (shape := _shape(info.annotation)) is not None
        )
        _NESTED[cls] = found
    return found


def remember_sources(model: SourcedModel, raw: Any, file: str | None) -> None:
    """Record ``file`` and the line each model of ``model``'s tree was read from.

    ``raw`` is what ``model`` was validated from: :class:`LineDict` values from a YAML
    file carry their lines, and the lines of their keys (kept for
    :meth:`SourcedModel.location_of`). A model whose input was already a model (a
    validated stage passed into a pathway) keeps its own source. A model whose input was
    not a mapping (a shorthand such as ``met`` for a claim) gets the file and no line.
    """
    sources, forget, new = _SOURCES, _forget, _Source
    todo: list[tuple[SourcedModel, Any]] = [(model, raw)]
    while todo:
        current, data = todo.pop()
        if type(data) is LineDict:
            line, keys = data.line, data.key_lines
        else:
            line, keys = None, None
        key = id(current)
        source = sources.get(key)
        if source is None:
            source = sources[key] = new(current, forget)
            source.key = key
        source.file, source.line, source.keys = file, line, keys
        fields = _nested_fields(type(current))
        if not fields:
            continue
        values = current.__dict__
        given = data if isinstance(data, dict) else {}
        for name, key_name, shape in fields:
            value = values[name]
            if value is None:
                continue
            sub = given.get(key_name)
            if shape == "one":
                if isinstance(value, SourcedModel) and value is not sub:
                    todo.append((value, sub))
            elif shape == "sequence":
                subs = sub if isinstance(sub, list) and len(sub) == len(value) else None
                for i, item in enumerate(value):
                    item_raw = None if subs is None else subs[i]
                    if isinstance(item, SourcedModel) and item is not item_raw:
                        todo.append((item, item_raw))
            else:
                subs_by_key = sub if isinstance(sub, dict) else {}
                for k, item in value.items():
                    item_raw = subs_by_key.get(k)
                    if isinstance(item, SourcedModel) and item is not item_raw:
                        todo.append((item, item_raw))
