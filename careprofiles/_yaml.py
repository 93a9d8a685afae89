"""Safe YAML reading that remembers where every value came from.

PyYAML composes the document into nodes (which carry line numbers); this module
builds plain dicts and lists from those nodes itself so that it can

* refuse duplicate keys (PyYAML silently keeps the last one),
* refuse alias bombs quickly (aliases are counted, expansion is bounded),
* refuse files that are too large, not UTF-8, empty, or indented with tabs,
* record the line of every key and list item (:class:`LineDict`, :class:`LineList`),
  so that validation errors can name ``file:line``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from careprofiles.errors import Problem, ValidationError, display_path

__all__ = ["MAX_ALIASES", "MAX_BYTES", "LineDict", "LineList", "line_of", "read_yaml"]

MAX_BYTES = 5 * 1024 * 1024
"""The largest YAML file read, in bytes; a larger one is refused."""
MAX_ALIASES = 100
"""The most alias uses (``*name``) a file may make."""
_MAX_NODES = 200_000

_MERGE_TAG = "tag:yaml.org,2002:merge"


class LineDict(dict[str, Any]):
    """A mapping read from YAML, with the line of the mapping and of each key."""

    line: int
    key_lines: dict[str, int]

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.key_lines = {}


class LineList(list[Any]):
    """A sequence read from YAML, with the line of the sequence and of each item."""

    line: int
    item_lines: list[int]

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.item_lines = []


def line_of(data: Any, loc: tuple[str | int, ...]) -> int | None:
    """The line of the value at ``loc`` within ``data``, or of its nearest parent."""
    line: int | None = getattr(data, "line", None)
    node = data
    for key in loc:
        if isinstance(node, LineDict) and isinstance(key, str) and key in node:
            line = node.key_lines.get(key, line)
            node = node[key]
        elif isinstance(node, LineList) and isinstance(key, int) and 0 <= key < len(node):
            line = node.item_lines[key]
            node = node[key]
        else:
            break
    return line


class _Builder:
    def __init__(self, name: str, error: type[ValidationError]) -> None:
        self.name = name
        self.error = error
        self.problems: list[Problem] = []
        self.nodes = 0
        self.aliases = 0
        self.seen: set[int] = set()
        self.constructor = yaml.constructor.SafeConstructor()

    def fail(self, line: int | None, message: str) -> ValidationError:
        return self.error([Problem(self.name, line, "", message)])

    def build(self, node: yaml.Node, where: str = "") -> Any:
        self.nodes += 1
        if id(node) in self.seen:
            self.aliases += 1
            if self.aliases > MAX_ALIASES:
                raise self.fail(
                    node.start_mark.line + 1,
                    f"more than {MAX_ALIASES} alias uses (*name); "
                    "write the values out instead of repeating anchors",
                )
        elif isinstance(node, yaml.MappingNode | yaml.SequenceNode):
            self.seen.add(id(node))
        if self.nodes > _MAX_NODES:
            raise self.fail(
                node.start_mark.line + 1,
                f"the file expands to more than {_MAX_NODES:,} values; "
                "split it up, or write repeated parts out instead of using aliases",
            )
        line = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, line, where)
        if isinstance(node, yaml.SequenceNode):
            out = LineList(line)
            for i, item in enumerate(node.value):
                out.append(self.build(item, f"{where}[{i}]"))
                out.item_lines.append(item.start_mark.line + 1)
            return out
        try:
            return self.constructor.construct_object(node, deep=True)
        except yaml.YAMLError as exc:
            raise self.fail(line, f"cannot read this value ({exc}); check its spelling") from None

    def _mapping(self, node: yaml.MappingNode, line: int, where: str) -> LineDict:
        out = LineDict(line)
        merged: list[LineDict] = []
        for key_node, value_node in node.value:
            key_line = key_node.start_mark.line + 1
            if key_node.tag == _MERGE_TAG:
                value = self.build(value_node, where)
                sources = value if isinstance(value, list) else [value]
                for source in sources:
                    if not isinstance(source, LineDict):
                        self.problems.append(
                            Problem(self.name, key_line, "<<", "a merge key needs a mapping")
                        )
                    else:
                        merged.append(source)
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                self.problems.append(
                    Problem(self.name, key_line, "", "a key must be plain text, not a list or map")
                )
                continue
            key = self.constructor.construct_object(key_node)
            if not isinstance(key, str):
                key = str(key_node.value)
            if key in out:
                self.problems.append(
                    Problem(
                        self.name,
                        key_line,
                        f"{where}.{key}" if where else key,
                        f"duplicate key {key!r} (first on line {out.key_lines[key]}); "
                        "remove one of them",
                    )
                )
                continue
            out[key] = self.build(value_node, f"{where}.{key}" if where else key)
            out.key_lines[key] = key_line
        for source in merged:
            for key, value in source.items():
                if key not in out:
                    out[key] = value
                    out.key_lines[key] = source.key_lines[key]
        return out


def read_yaml(
    path: str | Path,
    *,
    error: type[ValidationError] = ValidationError,
    what: str = "YAML file",
) -> tuple[LineDict, list[Problem]]:
    """Read one YAML mapping from ``path``.

    Returns the mapping and the non-fatal problems found (duplicate keys); raises
    ``error`` for a file that cannot be read as a YAML mapping at all.
    """
    path = Path(path)
    name = display_path(path)

    def fail(line: int | None, message: str) -> ValidationError:
        return error([Problem(name, line, "", message)])

    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise fail(None, f"no such file; check the path of this {what}") from None
    except OSError as exc:
        raise fail(None, f"cannot read the file ({exc.strerror})") from None
    if path.is_dir():
        raise fail(None, f"is a folder; give the path of a {what}")
    if size > MAX_BYTES:
        raise fail(
            None,
            f"the file is {size:,} bytes, more than the {MAX_BYTES:,} allowed; "
            "is it the right file? split it up if it is",
        )
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise fail(
            line, "the file is not UTF-8 text; save it as UTF-8 (in Excel: 'CSV UTF-8')"
        ) from None
    tab_lines = [
        Problem(name, i, "", "a tab is used for indentation; YAML needs spaces")
        for i, text_line in enumerate(text.splitlines(), start=1)
        if "\t" in text_line[: len(text_line) - len(text_line.lstrip(" \t"))]
    ]
    if tab_lines:
        raise error(tab_lines)
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = None if mark is None else mark.line + 1
        reason = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        raise fail(line, f"not valid YAML: {reason}; check indentation, colons and quotes") from None
    except yaml.YAMLError as exc:
        raise fail(None, f"not valid YAML: {exc}") from None
    if node is None:
        raise fail(None, f"the file is empty; a {what} is a YAML mapping of keys to values")
    builder = _Builder(name, error)
    data = builder.build(node)
    if not isinstance(data, LineDict):
        kind = "a list" if isinstance(data, list) else f"a single value ({data!r:.40})"
        raise fail(node.start_mark.line + 1, f"the file holds {kind}; a {what} is a mapping of keys to values")
    return data, builder.problems
