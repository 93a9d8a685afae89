"""Safe YAML reading that remembers where every value came from.

PyYAML composes the document into nodes (which carry line numbers); this module
builds plain dicts and lists from those nodes itself so that it can

* refuse duplicate keys (PyYAML silently keeps the last one),
* refuse alias bombs quickly (aliases are counted, expansion is bounded),
* refuse files that are too large, not UTF-8, empty, or indented with tabs (and, through
  :mod:`~careprofiles.profiles.inputs`, what is not a regular file),
* record the line of every key and list item (:class:`LineDict`, :class:`LineList`),
  so that validation errors can name ``file:line``.

Kept in preference to ruamel.yaml (compared in issue 14): its only mode that keeps lines
is pure Python, 37 times slower on a large pathway, and would still need passes of our own
for duplicate keys (it stops at the first), alias expansion (it has no limit) and plain
types; its YAML 1.1 also reads ``y``/``n`` as booleans, unlike PyYAML's.

Imports: careprofiles.errors, profiles.inputs (the bounded file reader); PyYAML (libyaml when
installed), numpy.
"""

from __future__ import annotations

import codecs
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from careprofiles.errors import Problem, ValidationError
from careprofiles.profiles.inputs import input_name, read_input_bytes

__all__ = ["MAX_ALIASES", "MAX_BYTES", "LineDict", "LineList", "line_of", "read_yaml"]

MAX_BYTES = 5 * 1024 * 1024
"""The largest YAML file read, in bytes; a larger one is refused."""
MAX_ALIASES = 100
"""The most alias uses (``*name``) a file may make."""
_MAX_NODES = 200_000
_MAX_NESTING = 1000

# libyaml (PyYAML's C extension) composes about twenty times faster than pure Python;
# both give the same nodes and marks. Its composer recurses in C, so nesting depth is
# bounded (by _nesting_bound) before it sees a file.
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_NEWLINE = ord("\n")
_PREFIX = np.zeros(256, dtype=np.bool_)
_PREFIX[[ord(" "), ord("-"), ord("?"), ord(":")]] = True
_OPEN = np.zeros(256, dtype=np.int8)
_OPEN[[ord("["), ord("{")]] = 1
_OPEN[[ord("]"), ord("}")]] = -1

_MERGE_TAG = "tag:yaml.org,2002:merge"
_TOO_DEEP = (
    "lists or mappings are nested too deeply to read; is it the right file? "
    "a care profile needs only a few levels"
)


class LineDict(dict[str, Any]):
    """A mapping read from YAML, with the line of the mapping and of each key."""

    __slots__ = ("key_lines", "line")
    line: int
    key_lines: dict[str, int]

    def __init__(self, line: int) -> None:
        # no super().__init__(): a new dict is already empty (one call fewer for each
        # of the tens of thousands of mappings in a large file)
        self.line = line
        self.key_lines = {}


class LineList(list[Any]):
    """A sequence read from YAML, with the line of the sequence and of each item."""

    __slots__ = ("item_lines", "line")
    line: int
    item_lines: list[int]

    def __init__(self, line: int) -> None:
        # no super().__init__(): a new list is already empty
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


_STR_TAG = "tag:yaml.org,2002:str"
_COLLECTION_TAGS = frozenset({"!", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"})
_PLAIN_CACHE_LIMIT = 50_000
_PLAIN: dict[str, tuple[str, Any]] = {}
"""Plain scalars already read: text → (tag, value). Resolving and constructing them is
pure (the same text always gives the same immutable value) but slow in Python."""
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_RESOLVER: Any = yaml.resolver.Resolver()


class _BadScalarError(Exception):
    """A plain value that YAML recognises but cannot build (an impossible date)."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


_CONSTRUCTOR: Any = yaml.constructor.SafeConstructor()


def _plain(text: str, event: Any) -> tuple[str, Any]:
    """The tag and value of a plain (unquoted) scalar such as ``0.8``, ``yes`` or ``home``."""
    found = _PLAIN.get(text)
    if found is not None:
        return found
    tag: str = _RESOLVER.resolve(yaml.ScalarNode, text, (True, False))
    if tag == _MERGE_TAG:
        value: Any = "<<"
    elif tag == _STR_TAG:
        value = text
    else:
        node = yaml.ScalarNode(tag, text, event.start_mark, event.end_mark)
        try:
            value = _CONSTRUCTOR.construct_object(node, deep=True)
        except (ValueError, OverflowError) as exc:  # 2023-13-01, or 5,000 digits
            if tag == _TIMESTAMP_TAG:
                message = f"a date is not a real date ({exc}); write dates as YYYY-MM-DD"
            else:
                message = f"cannot read {text[:40]!r} ({exc}); write an ordinary value"
            raise _BadScalarError(event.start_mark.line + 1, message) from None
        finally:
            _CONSTRUCTOR.constructed_objects.clear()
    if len(_PLAIN) > _PLAIN_CACHE_LIMIT:
        _PLAIN.clear()
    _PLAIN[text] = (tag, value)
    return tag, value


class _Frame:
    """A mapping or sequence being built from parser events."""

    __slots__ = ("anchor", "is_map", "key", "key_is_merge", "key_line", "merged", "start", "value")

    def __init__(self, value: LineDict | LineList, anchor: str | None, start: int) -> None:
        self.value = value
        self.is_map = isinstance(value, LineDict)
        self.anchor = anchor
        self.start = start
        self.key: Any = _NO_KEY
        self.key_line = 0
        self.key_is_merge = False
        self.merged: list[LineDict] = []


_NO_KEY = object()
_BAD_KEY = object()


class _Builder:
    """Builds LineDicts and LineLists from a YAML parser's events, without recursion.

    Aliases are references to the value built for their anchor (nothing is copied), but
    every alias adds the anchored value's full size to the count of values, so that an
    alias bomb is refused as soon as it would expand past ``_MAX_NODES``.
    """

    def __init__(self, name: str, error: type[ValidationError]) -> None:
        self.name = name
        self.error = error
        self.problems: list[Problem] = []
        self.nodes = 0
        self.aliases = 0
        self.anchors: dict[str, tuple[Any, int]] = {}
        self.stack: list[_Frame] = []
        self.root_line = 0

    def fail(self, line: int | None, message: str) -> ValidationError:
        return self.error([Problem(self.name, line, "", message)])

    def where(self, key: Any = None) -> str:
        """The key path of the value being added to the innermost open collection."""
        parts: list[Any] = [f.key if f.is_map else len(f.value) for f in self.stack[:-1]]
        if key is not None:
            parts.append(key)
        out = ""
        for part in parts:
            if isinstance(part, int):
                out += f"[{part}]"
            elif isinstance(part, str):
                out += f".{part}" if out else part
        return out

    def too_many(self, line: int) -> ValidationError:
        return self.fail(
            line,
            f"the file expands to more than {_MAX_NODES:,} values; "
            "split it up, or write repeated parts out instead of using aliases",
        )

    def build(self, parser: Any) -> Any:
        """The document's value (``None`` when the stream holds no value)."""
        root: Any = None
        documents = 0
        get_event = parser.get_event
        scalar, alias = yaml.ScalarEvent, yaml.AliasEvent
        mapping_start, sequence_start = yaml.MappingStartEvent, yaml.SequenceStartEvent
        mapping_end, sequence_end = yaml.MappingEndEvent, yaml.SequenceEndEvent
        document_start = yaml.DocumentStartEvent
        stack = self.stack
        anchors = self.anchors
        nodes = 0
        plain_get = _PLAIN.get
        no_key = _NO_KEY
        str_tag, merge_tag = _STR_TAG, _MERGE_TAG
        top: _Frame | None = None
        # the innermost open collection's state is kept in local variables (much faster
        # than the frame's attributes) and written back to its frame when another
        # collection opens inside it, or before the slow paths (_key, _value) run
        container: Any = None
        is_map = False
        key: Any = no_key
        key_line = 0
        key_is_merge = False
        while True:
            event = get_event()
            if event is None:
                break
            kind = type(event)
            if kind is scalar:
                line = 0  # found below only if needed: a mapping's value has no line
                text = event.value
                tag = event.tag
                is_merge = False
                if tag is None and event.implicit[0]:  # plain: resolve 1, 0.8, yes, ~
                    found = plain_get(text)
                    tag, value = found if found is not None else _plain(text, event)
                    is_merge = tag == merge_tag
                elif tag is None or tag == "!" or tag == str_tag:
                    value = text  # quoted, or a literal/folded block: text
                else:
                    value = self._tagged(event, tag, event.start_mark.line + 1)
                if event.anchor is not None:
                    anchors[event.anchor] = (value, 1)
                nodes += 1
                if nodes > _MAX_NODES:
                    raise self.too_many(event.start_mark.line + 1)
            elif kind is mapping_start or kind is sequence_start:
                line = event.start_mark.line + 1
                if event.tag is not None and event.tag not in _COLLECTION_TAGS:
                    raise self.fail(
                        line,
                        f"the tag {event.tag} is not allowed; remove it (a care profile "
                        "needs only plain YAML lists and mappings)",
                    )
                nodes += 1
                if nodes > _MAX_NODES:
                    raise self.too_many(line)
                if top is not None:
                    top.key, top.key_line, top.key_is_merge = key, key_line, key_is_merge
                is_map = kind is mapping_start
                container = LineDict(line) if is_map else LineList(line)
                top = _Frame(container, event.anchor, nodes)
                stack.append(top)
                key, key_line, key_is_merge = no_key, 0, False
                continue
            elif kind is mapping_end or kind is sequence_end:
                frame = stack.pop()
                value = frame.value
                line = value.line
                is_merge = False
                if frame.merged and isinstance(value, LineDict):
                    self._merge(value, frame.merged)
                if frame.anchor is not None:
                    anchors[frame.anchor] = (value, nodes - frame.start + 1)
                if stack:
                    top = stack[-1]
                    container, is_map = top.value, top.is_map
                    key, key_line, key_is_merge = top.key, top.key_line, top.key_is_merge
                else:
                    top = None
            elif kind is alias:
                line = event.start_mark.line + 1
                self.aliases += 1
                if self.aliases > MAX_ALIASES:
                    raise self.fail(
                        line,
                        f"more than {MAX_ALIASES} alias uses (*name); "
                        "write the values out instead of repeating anchors",
                    )
                found = anchors.get(event.anchor)
                if found is None:
                    raise self.fail(
                        line,
                        f"*{event.anchor} names no anchor (&{event.anchor}) defined above it; "
                        "check the spelling",
                    )
                value, size = found
                is_merge = False
                nodes += size
                if nodes > _MAX_NODES:
                    raise self.too_many(line)
            elif kind is document_start:
                documents += 1
                if documents > 1:
                    raise self.fail(
                        event.start_mark.line + 1,
                        "the file holds more than one YAML document ('---'); keep one",
                    )
                continue
            else:
                continue
            if top is None:
                root = value
                self.root_line = line or event.start_mark.line + 1
            elif not is_map:
                container.append(value)
                container.item_lines.append(line or event.start_mark.line + 1)
            elif key is no_key:
                line = line or event.start_mark.line + 1
                if type(value) is str and not is_merge:  # the common case, inline
                    key, key_line, key_is_merge = value, line, False
                else:
                    self._key(top, value, line, is_merge)
                    key, key_line, key_is_merge = top.key, top.key_line, top.key_is_merge
            elif type(key) is str and not key_is_merge and key not in container:
                container[key] = value  # the common case, inline
                container.key_lines[key] = key_line
                key = no_key
            else:
                top.key, top.key_line, top.key_is_merge = key, key_line, key_is_merge
                self._value(top, value)
                key = no_key
        self.nodes = nodes
        return root

    def _tagged(self, event: Any, tag: str, line: int) -> Any:
        """A scalar with an explicit tag (``!!int "3"``); unsafe tags are refused."""
        node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
        try:
            value = _CONSTRUCTOR.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, OverflowError) as exc:
            reason = " ".join(str(exc).split())
            raise self.fail(
                line, f"cannot read this value ({reason}); check its spelling"
            ) from None
        finally:
            _CONSTRUCTOR.constructed_objects.clear()
        return value

    def _key(self, frame: _Frame, value: Any, line: int, is_merge: bool) -> None:
        frame.key_line = line
        frame.key_is_merge = is_merge
        if is_merge:
            frame.key = "<<"
        elif isinstance(value, LineDict | LineList):
            self.problems.append(
                Problem(
                    self.name, line, self.where(), "a key must be plain text, not a list or map"
                )
            )
            frame.key = _BAD_KEY
        elif isinstance(value, str):
            frame.key = value
        else:
            frame.key = str(value).lower() if isinstance(value, bool) else str(value)

    def _value(self, frame: _Frame, value: Any) -> None:
        key = frame.key
        frame.key = _NO_KEY
        container: LineDict = frame.value  # type: ignore[assignment]
        if key is _BAD_KEY:
            return
        if frame.key_is_merge:
            for source in value if isinstance(value, list) else [value]:
                if isinstance(source, LineDict):
                    frame.merged.append(source)
                else:
                    self.problems.append(
                        Problem(
                            self.name,
                            frame.key_line,
                            self.where("<<"),
                            "a merge key (<<) needs a mapping, or a list of mappings",
                        )
                    )
            return
        if key in container:
            self.problems.append(
                Problem(
                    self.name,
                    frame.key_line,
                    self.where(key),
                    f"duplicate key {key!r} (first on line {container.key_lines[key]}); "
                    "remove one of them",
                    code="duplicate-key",
                )
            )
            return
        container[key] = value
        container.key_lines[key] = frame.key_line

    @staticmethod
    def _merge(out: LineDict, sources: list[LineDict]) -> None:
        for source in sources:
            for key, value in source.items():
                if key not in out:
                    out[key] = value
                    out.key_lines[key] = source.key_lines[key]


def _bad_character(exc: Any) -> str:
    """A YAML reader's error about a character YAML does not allow, worded."""
    char = exc.character
    code = f"#x{char:04x}" if isinstance(char, int) else repr(char)
    escape = f"\\x{char:02x}" if isinstance(char, int) and char < 0x100 else "\\uXXXX"
    return (
        f"not valid YAML: unacceptable character {code} ({exc.reason}); remove it, or "
        f'write it as an escape in a double-quoted value, e.g. "{escape}"'
    )


def _character_line(text: str, exc: Any) -> int:
    """The line of the character a YAML reader refused: its first use (the readers stop at
    the first; libyaml counts its position in bytes, PyYAML in characters)."""
    char = exc.character
    at = text.find(chr(char)) if isinstance(char, int) else -1
    return text.count("\n", 0, at if at >= 0 else exc.position) + 1


def _nesting(raw: bytes) -> tuple[int, int, int, int]:
    """How deeply flow and block collections nest, bounded, and where: ``(flow, its byte
    offset, block, its byte offset)`` (see :func:`_nesting_bound`)."""
    codes = np.frombuffer(raw, dtype=np.uint8)
    brackets = _OPEN.take(codes)
    at = np.flatnonzero(brackets)  # the running count changes only at brackets
    depth = np.cumsum(brackets[at], dtype=np.int64)
    deepest = int(depth.argmax()) if len(depth) else -1
    flow = max(0, int(depth[deepest])) if deepest >= 0 else 0
    flow_at = int(at[deepest]) if deepest >= 0 else 0
    skip = len(codecs.BOM_UTF8) if raw.startswith(codecs.BOM_UTF8) else 0  # not text
    codes = codes[skip:]
    # the prefix characters are ASCII, so a prefix is as long in bytes as in characters
    starts = np.flatnonzero(codes == _NEWLINE) + 1
    starts = np.concatenate([np.zeros(1, dtype=starts.dtype), starts])
    others = np.flatnonzero(~_PREFIX.take(codes))
    # the first character of each line's own that is not a prefix character (or the end)
    ends = np.append(others, len(codes))[np.searchsorted(others, starts)]
    widths = ends - starts
    widest = int(widths.argmax())
    return flow, flow_at, int(widths[widest]), int(starts[widest]) + skip


def _nesting_bound(raw: bytes) -> int:
    """An upper bound on how deeply the lists and mappings of a YAML file nest.

    ``raw`` is the file's bytes. Flow collections (``[``, ``{``) are bounded by the
    running count of open brackets (brackets inside quotes or comments only make the
    bound looser); block collections by the width of the indentation and of the
    ``- ``/``? ``/``: `` markers that open a line (the longest run of those characters at
    the start of a line). Vectorised, so that a pathological file is refused in
    milliseconds.
    """
    flow, _, block, _ = _nesting(raw)
    return flow + block


def _deepest_line(raw: bytes) -> int:
    """The line where the file nests deepest (by the larger part of its nesting bound)."""
    flow, flow_at, block, block_at = _nesting(raw)
    return raw.count(b"\n", 0, flow_at if flow >= block else block_at) + 1


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
    name = input_name(path)

    def fail(line: int | None, message: str) -> ValidationError:
        return error([Problem(name, line, "", message)])

    raw = read_input_bytes(
        path,
        what,
        MAX_BYTES,
        error=error,
        too_large="the file is {size:,} bytes, more than the {limit:,} allowed; "
        "is it the right file? split it up if it is",
    )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise fail(
            line, "the file is not UTF-8 text; save it as UTF-8 (in Excel: 'CSV UTF-8')"
        ) from None
    tab_lines = [
        Problem(name, i, "", "a tab is used for indentation; YAML needs spaces")
        for i, text_line in enumerate(text.splitlines() if "\t" in text else (), start=1)
        if "\t" in text_line[: len(text_line) - len(text_line.lstrip(" \t"))]
    ]
    if tab_lines:
        raise error(tab_lines)
    if _nesting_bound(raw) > _MAX_NESTING:
        raise fail(_deepest_line(raw), _TOO_DEEP)
    builder = _Builder(name, error)
    try:
        parser = _LOADER(text)  # the pure-Python reader checks the characters here
    except yaml.reader.ReaderError as exc:
        raise fail(_character_line(text, exc), _bad_character(exc)) from None
    try:
        data = builder.build(parser)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        at = None if mark is None else min(mark.line + 1, max(1, len(text.splitlines())))
        context = exc.context
        if context and exc.context_mark is not None and exc.context_mark is not mark:
            context = f"{context} on line {exc.context_mark.line + 1}"
        reason = " ".join(str(p) for p in (context, exc.problem) if p)
        raise fail(at, f"not valid YAML: {reason}; check indentation, colons and quotes") from None
    except yaml.reader.ReaderError as exc:  # a control character: the reader has no marks
        raise fail(_character_line(text, exc), _bad_character(exc)) from None
    except yaml.YAMLError as exc:
        raise fail(None, f"not valid YAML: {exc}") from None
    except _BadScalarError as exc:
        raise fail(exc.line, exc.message) from None
    except RecursionError:
        raise fail(None, _TOO_DEEP) from None
    finally:
        parser.dispose()
    if data is None:
        raise fail(None, f"the file is empty; a {what} is a YAML mapping of keys to values")
    if not isinstance(data, LineDict):
        kind = "a list" if isinstance(data, list) else f"a single value ({data!r:.40})"
        raise fail(
            builder.root_line or None,
            f"the file holds {kind}; a {what} is a mapping of keys to values",
        )
    return data, builder.problems
