"""Mutations of input files, and the contract a command keeps with any input, for the fuzz
tests (``tests/test_fuzz.py``).

``yaml_mutant(text)`` and ``csv_mutant(text)`` are hypothesis strategies of the bytes of a
mutated copy of a YAML or CSV file: its values (numbers made huge, negative, NaN or
infinite, strings made numbers, empty), types (scalar, list and mapping turned into each
other), keys (deleted, unknown, renamed, duplicated), structure (truncated, nested,
swapped, copied) and encoding (BOM, Latin-1, UTF-16, NUL, control characters, bytes that
are not UTF-8, line ends). ``run_cli(argv)`` runs the command line in this process, with
its output captured, every Python warning recorded and a time limit; ``check_run`` asserts
what every command promises whatever its input: exit 0 with finite figures, or exit 1 with
every line of standard error a ``file:line`` message (or a whole-file ``file: ...``
message naming a file that exists); never a traceback, a warning, a hang, or a partial
output file.
"""

from __future__ import annotations

import codecs
import contextlib
import copy
import csv
import difflib
import faulthandler
import io
import json
import math
import os
import re
import signal
import sys
import threading
import time
import traceback
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st

# ------------------------------------------------------------------------------ values

HUGE: list[Any] = [
    1e308,
    -1e308,
    1.7976931348623157e308,
    1e300,
    10**400,
    -(10**400),
    2**63,
    2**64,
    2**1000,
    1e15,
    10**12,
]
ODD_FLOATS: list[Any] = [math.nan, math.inf, -math.inf, -0.0, 5e-324, 1e-300, 0.1]
SMALL: list[Any] = [0, 1, -1, 0.5, 7, 100, 1.5, 0.0]
ODD_STRINGS: list[str] = [
    "",
    " ",
    "abc",
    "1e999",
    "NaN",
    "nan",
    "inf",
    "-inf",
    "Infinity",
    "-1",
    "1e308",
    "0x10",
    "1_000",
    "1,000",
    "£5",
    "5%",
    "true",
    "null",
    "~",
    "yes",
    "2024/25",
    "2023/24",
    "2024-25",
    "=1+2",
    "@SUM(1+1)",
    "+1",
    "-2+3",
    "\t",
    "\u00a0",
    "\u202e",
    "\u2028",
    "x" * 5000,
    "../../etc/passwd",
    "/dev/zero",
    "{{ 7*7 }}",
    "{% raw %}",
    "<script>",
    "a\nb",
    "a\rb",
    "\x00",
    "\x1b[31m",
    "\ufeff",
    "\ud7ff\ue000",
    "💀",
    "a" * 300,
    "triangular",
    "pert",
    "normal",
    "lognormal",
    "uniform",
    "hour",
    "week",
    "day",
    "item",
]
"""Strings a field might be given: numbers written as text, empty, control characters,
spreadsheet formulas, template syntax, very long, and words of the format itself."""

SCALARS: st.SearchStrategy[Any] = st.one_of(
    st.sampled_from(HUGE + ODD_FLOATS + SMALL),
    st.sampled_from(ODD_STRINGS),
    st.integers(),
    st.floats(),
    st.text(max_size=30),
    st.booleans(),
    st.none(),
    st.dates(),
)

ANY_VALUE: st.SearchStrategy[Any] = st.recursive(
    SCALARS,
    lambda kids: (
        st.lists(kids, max_size=3)
        | st.dictionaries(
            st.text(max_size=10) | st.sampled_from(["id", "dist", "low"]), kids, max_size=3
        )
    ),
    max_leaves=6,
)


def number_variants(x: float | int) -> list[Any]:
    """What a number might be turned into: negated, huge, tiny, text, not finite."""
    out: list[Any] = [-x, 0, 1e308, math.nan, math.inf, -math.inf, 10**400, str(x), True]
    with contextlib.suppress(OverflowError, ValueError):
        out += [x * 1e300, float(x) * 10, x * 1000, x + 1, x - 1, float(x), int(x), x / 3]
    with contextlib.suppress(OverflowError, ValueError):
        out.append(int(x) * 10**300)
    return out


def string_variants(s: str) -> list[Any]:
    """What a string might be turned into: a typo, another case, padded, long, empty."""
    return [
        s[:-1],
        s + "x",
        s.upper(),
        "",
        " " + s,
        s + " ",
        s * 50,
        s.replace("-", "_"),
        "\u00a0" + s,
        s + "\x00",
        s + "\x1b[31m",
        s + "\u0301",
        f"={s}",
        s[::-1],
    ]


def variants(node: Any, strings: Sequence[str]) -> st.SearchStrategy[Any]:
    """A strategy of values to put where ``node`` is (``strings``: those of the document,
    so that an id can become another id, a file name another file name)."""
    near: list[Any]
    if isinstance(node, bool):
        near = [not node, 0, 1, "yes", "true", None]
    elif isinstance(node, int | float):
        near = number_variants(node)
    elif isinstance(node, str):
        near = string_variants(node)
    elif isinstance(node, list):
        near = [[], node * 2, node[::-1], node[:1], node[0] if node else None, [node]]
    elif isinstance(node, dict):
        near = [{}, list(node.values()), list(node), {"x": node}, [node], [node, node]]
    else:
        near = [None, "", 0]
    choices = [st.sampled_from(near), SCALARS, ANY_VALUE]
    if strings:
        choices.append(st.sampled_from(list(strings)))
    return st.one_of(*choices)


# ------------------------------------------------------------------------- YAML trees

Path_ = tuple[Any, ...]


def paths_of(doc: Any, limit: int = 20_000) -> list[Path_]:
    """Every node's path in ``doc`` (keys and indexes from the root ``()``), root first."""
    out: list[Path_] = []
    stack: list[tuple[Path_, Any]] = [((), doc)]
    while stack and len(out) < limit:
        path, node = stack.pop(0)
        out.append(path)
        if isinstance(node, dict):
            stack.extend(((*path, k), v) for k, v in node.items())
        elif isinstance(node, list):
            stack.extend(((*path, i), v) for i, v in enumerate(node))
    return out


def get_at(doc: Any, path: Path_) -> Any:
    for key in path:
        doc = doc[key]
    return doc


def set_at(doc: Any, path: Path_, value: Any) -> Any:
    """``doc`` with the node at ``path`` replaced by ``value`` (the new root when ``()``)."""
    if not path:
        return value
    get_at(doc, path[:-1])[path[-1]] = value
    return doc


def strings_of(doc: Any) -> list[str]:
    found: set[str] = set()
    stack = [doc]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            found.add(node)
        elif isinstance(node, dict):
            stack.extend(node.values())
            found.update(k for k in node if isinstance(k, str))
        elif isinstance(node, list):
            stack.extend(node)
    return sorted(found)[:500]


TREE_OPS = (
    "value",
    "plausible",
    "plausible",
    "extreme",
    "extreme",
    "type",
    "delete-key",
    "add-key",
    "rename-key",
    "truncate-list",
    "nest",
    "swap",
    "copy",
    "duplicate-item",
    "delete-item",
    "move-key",
    "another-string",
)
"""The tree mutations; those that keep a file valid more often (``plausible``: a number
made another ordinary one; ``another-string``: a string made another of the file's) are
listed twice or more, so that more mutants reach the costing and the outputs."""
EXTREMES: list[Any] = [
    1e308,
    1.7976931348623157e308,
    1e300,
    1e200,
    1e155,
    1e100,
    1e30,
    10**400,
    2**1024,
    5e-324,
    1e-300,
    math.inf,
    math.nan,
]
"""Numbers at and past the ends of a float: their products and sums overflow (or, for
the smallest, divisions by them do)."""


@st.composite
def tree_mutation(draw: st.DrawFn, doc: Any) -> Any:
    """``doc`` (already a private copy) with one structural mutation."""
    paths = paths_of(doc)
    strings = strings_of(doc) or ["x"]
    op = draw(st.sampled_from(TREE_OPS))
    maps = [p for p in paths if isinstance(get_at(doc, p), dict)]
    lists = [p for p in paths if isinstance(get_at(doc, p), list)]
    keyed = [p for p in paths if p and isinstance(get_at(doc, p[:-1]), dict)]
    items = [p for p in paths if p and isinstance(get_at(doc, p[:-1]), list)]
    if op == "value" or op == "type":
        path = draw(st.sampled_from(paths))
        node = get_at(doc, path)
        if op == "type":
            retyped = [[node], {"value": node}, [], {}, str(node)[:50], None]
            if isinstance(node, list) and node:
                retyped += [node[0], dict(enumerate(node))]
            if isinstance(node, dict) and node:
                retyped += [list(node.values()), list(node), next(iter(node.values()))]
            return set_at(doc, path, draw(st.sampled_from(retyped)))
        return set_at(doc, path, draw(variants(node, strings)))
    numbers = [
        p
        for p in paths
        if isinstance(get_at(doc, p), int | float) and not isinstance(get_at(doc, p), bool)
    ]
    if op == "extreme" and numbers:
        path = draw(st.sampled_from(numbers))
        return set_at(doc, path, draw(st.sampled_from(EXTREMES)))
    if op == "plausible" and numbers:
        path = draw(st.sampled_from(numbers))
        x = get_at(doc, path)
        near: list[Any] = [0, 1, 0.5, 0.001, 0.999, 1e6, 1e12, 52, 7, 1e-9]
        with contextlib.suppress(OverflowError, ValueError):  # x is 2**1024, or not finite
            near += [2 * x, x / 2, x + 0.25, round(x)]
        return set_at(doc, path, draw(st.sampled_from(near)))
    if op == "another-string":
        texts = [p for p in paths if isinstance(get_at(doc, p), str)]
        if texts and strings:
            return set_at(doc, draw(st.sampled_from(texts)), draw(st.sampled_from(strings)))
    if op == "delete-key" and keyed:
        path = draw(st.sampled_from(keyed))
        del get_at(doc, path[:-1])[path[-1]]
    elif op == "add-key" and maps:
        path = draw(st.sampled_from(maps))
        key = draw(st.sampled_from(strings) | st.text(max_size=12) | SCALARS)
        with contextlib.suppress(TypeError):  # an unhashable key drawn
            get_at(doc, path)[key] = draw(ANY_VALUE)
    elif op == "rename-key" and keyed:
        path = draw(st.sampled_from(keyed))
        parent = get_at(doc, path[:-1])
        old = path[-1]
        new = draw(st.sampled_from(string_variants(str(old)) + strings) | SCALARS)
        with contextlib.suppress(TypeError):
            value = parent.pop(old)
            parent[new] = value
    elif op == "move-key" and keyed and maps:
        path = draw(st.sampled_from(keyed))
        target = draw(st.sampled_from(maps))
        if path[: len(target)] != target or len(path) != len(target) + 1:
            node = get_at(doc, path)
            if target[: len(path)] != path:  # not into itself
                get_at(doc, target)[path[-1]] = copy.deepcopy(node)
                del get_at(doc, path[:-1])[path[-1]]
    elif op == "truncate-list" and lists:
        path = draw(st.sampled_from(lists))
        node = get_at(doc, path)
        del node[draw(st.integers(0, max(len(node) - 1, 0))) :]
    elif op == "nest":
        path = draw(st.sampled_from(paths))
        node = get_at(doc, path)
        depth = draw(st.sampled_from([1, 2, 50]))
        for _ in range(depth):
            node = draw(st.sampled_from([[node], {"nested": node}]))
        return set_at(doc, path, node)
    elif op == "swap" and len(paths) > 2:
        a = draw(st.sampled_from(paths[1:]))
        b = draw(st.sampled_from(paths[1:]))
        if a[: len(b)] != b and b[: len(a)] != a:
            va, vb = get_at(doc, a), get_at(doc, b)
            set_at(doc, a, vb)
            set_at(doc, b, va)
    elif op == "copy" and len(paths) > 1:
        source = copy.deepcopy(get_at(doc, draw(st.sampled_from(paths[1:]))))
        if lists and draw(st.booleans()):
            get_at(doc, draw(st.sampled_from(lists))).append(source)
        else:
            return set_at(doc, draw(st.sampled_from(paths[1:])), source)
    elif op == "duplicate-item" and items:
        path = draw(st.sampled_from(items))
        get_at(doc, path[:-1]).insert(path[-1], copy.deepcopy(get_at(doc, path)))
    elif op == "delete-item" and items:
        path = draw(st.sampled_from(items))
        del get_at(doc, path[:-1])[path[-1]]
    return doc


class _Unreadable:
    """What :func:`_parsed` gives for text PyYAML cannot read (a mutant mutated again)."""


@lru_cache(maxsize=64)
def _parsed(text: str) -> Any:
    try:
        return yaml.safe_load(text)
    except (yaml.YAMLError, RecursionError, ValueError):
        return _Unreadable


def dump_yaml(doc: Any) -> str:
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=1_000_000)


# ------------------------------------------------------------------------- text and bytes

YAML_LINES = [
    "unknown_key: 1\n",
    "- 1\n",
    "? complex\n",
    "<<: *nope\n",
    "&a x: 1\n",
    "---\n",
    "...\n",
    "key: !!python/object/apply:os.system ['echo hi']\n",
    "key: !!binary aGVsbG8=\n",
    "key: !!set {a, b}\n",
    "key: !!float 1e999\n",
    "key: 0o17\n",
    "key: 1:20\n",
    "  - {a: [b, {c: d}]}\n",
    "format: careprofiles/2\n",
    "format: careprofiles/1\n",
    "id: x\n",
    "%YAML 1.1\n",
    "\t- tab\n",
    "key: [unclosed\n",
    "key: 'unclosed\n",
    "key: |\n",
    "  x: &b [1, 2]\n",
    "  y: *b\n",
    "{\n",
    "]\n",
    "# comment only\n",
    "stages: [pathway.yaml]\n",
    "stages: [../pathway/pathway.yaml]\n",
]
CSV_LINES = [
    ",,,,,\n",
    "\n",
    '"unclosed,cell\n',
    "a,b,c,d,e,f,g,h,i,j,k\n",
    "#comment\n",
    "code,description,unit,cost,price_year\n",
    'x,"multi\nline",hour,1,2024/25\n',
    "x;y;z\n",
    "\ufeffcode,unit\n",
    "=cmd|' /C calc'!A0,x,hour,1,2024/25\n",
]
FRAGMENTS = [
    ": ",
    "- ",
    "#",
    "&a ",
    "*a",
    "!!str ",
    "{",
    "}",
    "[",
    "]",
    "'",
    '"',
    "\\",
    ",",
    ";",
    "\t",
    " ",
    "\n",
    "\r",
    "\x00",
    "\x1b",
    "\x7f",
    "\x85",
    "\u2028",
    "\ufeff",
    "é",
    "£",
    "–",
    "9" * 400,
    "1e308",
    "-",
    "nan",
    "\u202e",
]
TEXT_OPS = (
    "delete-line",
    "duplicate-line",
    "swap-lines",
    "truncate",
    "insert-line",
    "indent",
    "dedent",
    "insert-text",
    "delete-text",
    "empty",
    "deep-nesting",
    "alias-bomb",
    "repeat",
)
ENCODINGS = (
    "utf-8",
    "bom",
    "latin-1",
    "cp1252",
    "utf-16",
    "utf-16-le",
    "nul",
    "control",
    "invalid",
    "crlf",
    "cr",
    "truncate-bytes",
    "utf-8-sig-twice",
)


@st.composite
def text_mutation(draw: st.DrawFn, text: str, extra_lines: Sequence[str]) -> str:
    """``text`` with one change to its lines or characters."""
    op = draw(st.sampled_from(TEXT_OPS))
    lines = text.splitlines(keepends=True) or [""]
    n = len(lines)
    at = draw(st.integers(0, n - 1))
    if op == "delete-line":
        del lines[at]
    elif op == "duplicate-line":
        lines.insert(at, lines[at])
    elif op == "swap-lines":
        other = draw(st.integers(0, n - 1))
        lines[at], lines[other] = lines[other], lines[at]
    elif op == "truncate":
        return text[: draw(st.integers(0, len(text)))]
    elif op == "insert-line":
        lines.insert(at, draw(st.sampled_from(list(extra_lines)) | st.text(max_size=40)))
    elif op == "indent":
        lines[at] = draw(st.sampled_from([" ", "  ", "\t", "    ", "\u00a0"])) + lines[at]
    elif op == "dedent":
        lines[at] = lines[at].lstrip(" ")
    elif op in ("insert-text", "delete-text"):
        pos = draw(st.integers(0, len(text)))
        if op == "delete-text":
            return text[:pos] + text[pos + draw(st.integers(1, 20)) :]
        return text[:pos] + draw(st.sampled_from(FRAGMENTS) | st.text(max_size=8)) + text[pos:]
    elif op == "empty":
        return draw(
            st.sampled_from(["", "\n", " ", "# nothing\n", "~\n", "[]\n", "{}\n", "x\n", "0\n"])
        )
    elif op == "deep-nesting":
        depth = draw(st.sampled_from([100, 999, 1001, 5000, 100_000]))
        lines.insert(at, "key: " + "[" * depth + "]" * depth + "\n")
    elif op == "alias-bomb":
        bomb = ["a: &a [x, x, x, x, x, x, x, x, x]\n"]
        bomb += [
            f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
            for p, c in zip("abcdefgh", "bcdefghi", strict=True)
        ]
        lines[at:at] = bomb
    elif op == "repeat":  # a large file (up to past the 5 MB limit of YAML): lines repeated
        times = draw(st.sampled_from([10, 200]))
        lines = lines * max(1, min(times, 6_000_000 // max(len(text), 1)))
    return "".join(lines)


@st.composite
def encoded(draw: st.DrawFn, text: str) -> bytes:
    """``text`` as bytes: mostly UTF-8, sometimes in another encoding or with bytes added."""
    how = draw(st.sampled_from(ENCODINGS))
    raw = text.encode("utf-8", errors="surrogatepass")
    pos = draw(st.integers(0, len(raw)))
    if how == "bom":
        return codecs.BOM_UTF8 + raw
    if how == "utf-8-sig-twice":
        return codecs.BOM_UTF8 * 2 + raw
    if how in ("latin-1", "cp1252"):
        return text.encode(how, errors="replace")
    if how == "utf-16":
        return text.encode("utf-16", errors="surrogatepass")
    if how == "utf-16-le":
        return text.encode("utf-16-le", errors="surrogatepass")
    if how == "nul":
        return raw[:pos] + b"\0" + raw[pos:]
    if how == "control":
        byte = draw(
            st.sampled_from(
                [
                    b"\x01",
                    b"\x07",
                    b"\x08",
                    b"\x0b",
                    b"\x0c",
                    b"\x1b",
                    b"\x7f",
                    "\x85".encode(),
                    "\u2028".encode(),
                    "\ufeff".encode(),
                    "\ufffe".encode(),
                ]
            )
        )
        return raw[:pos] + byte + raw[pos:]
    if how == "invalid":
        byte = draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x80", b"\xfe\xff"]))
        return raw[:pos] + byte + raw[pos:]
    if how == "crlf":
        return raw.replace(b"\n", b"\r\n")
    if how == "cr":
        return raw.replace(b"\n", b"\r")
    if how == "truncate-bytes":
        return raw[:pos]
    return raw


@dataclass(frozen=True)
class Mutant:
    """A mutated file's bytes; shown (in hypothesis's report of a failing example) as its
    difference from the original, not as the whole file."""

    original: str
    """The file as it was (written out again from its values, for a mutant of them)."""
    data: bytes

    def __repr__(self) -> str:
        head = f"{len(self.data):,} bytes, starting {self.data[:60]!r}"
        return f"Mutant({head}; diff:\n{self.diff()})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # hypothesis's printer
        printer.text(repr(self))

    def diff(self, limit: int = 40) -> str:
        text = self.data.decode("utf-8", errors="backslashreplace")
        lines = list(
            difflib.unified_diff(
                self.original.splitlines(),
                text.splitlines(),
                "original",
                "mutant",
                n=1,
                lineterm="",
            )
        )
        shown = [line if len(line) < 300 else f"{line[:300]}..." for line in lines[:limit]]
        if len(lines) > limit:
            shown.append(f"... and {len(lines) - limit} more lines of diff")
        return "\n".join(shown)


@st.composite
def yaml_mutant(draw: st.DrawFn, text: str) -> Mutant:
    """The bytes of a mutated copy of the YAML file ``text``: its tree changed (then
    written out again), its text changed (comments and layout kept), or both; encoded."""
    original = text
    mode = draw(st.sampled_from(MODES))
    parsed = _parsed(text)
    if parsed is _Unreadable:
        mode = mode.replace("tree+", "").replace("tree", "text")
    if "tree" in mode:
        with contextlib.suppress(yaml.YAMLError, RecursionError):  # shown: what changed
            original = dump_yaml(parsed)
        doc = copy.deepcopy(parsed)
        for _ in range(draw(st.integers(1, 3))):
            doc = draw(tree_mutation(doc))
        with contextlib.suppress(yaml.YAMLError, RecursionError):  # kept as it was
            text = dump_yaml(doc)
    if "text" in mode:
        for _ in range(draw(st.integers(1, 3))):
            text = draw(text_mutation(text, YAML_LINES))
    return Mutant(original, _bytes(draw, text, mode))


MODES = ("tree", "tree", "tree", "text", "tree+text", "encoding")
"""How a file is mutated: its parsed values (``tree``, ``table`` for CSV), its text,
both, or its encoding alone; a mutant of the tree or text is also re-encoded one time in
ten."""


def _bytes(draw: st.DrawFn, text: str, mode: str) -> bytes:
    if mode == "encoding" or draw(st.integers(0, 9)) == 0:
        return draw(encoded(text))
    return text.encode("utf-8", errors="surrogatepass")


# ----------------------------------------------------------------------------------- CSV


def cell_variants(cell: str) -> list[str]:
    return [
        cell[:-1],
        cell + "x",
        "",
        " " + cell + " ",
        cell.upper(),
        "-" + cell,
        cell + "0" * 400,
        "1e308",
        "1e309",
        "-1",
        "-0",
        "nan",
        "NaN",
        "inf",
        "-inf",
        "0",
        "1,5",
        "1.5.5",
        "£60",
        "60%",
        "0x3C",
        "1_000",
        "9" * 400,
        "=1+2",
        "@x",
        "+1",
        "\u00a0",
        "null",
        "None",
        "N/A",
        "true",
        "2024/25",
        "1999/00",
        "2024/26",
        "2024-25",
        "hour",
        "week",
        "day",
        "item",
        "HOUR",
        "1e-400",
        "4.9e-324",
        "\x00",
        "a\nb",
        '"',
        "'",
        "2023-02-30",
        "2023-13-01",
        "24/25",
        "10000-01-01",
        "P00001",
        "met",
        "not-met",
        "partly-met",
    ]


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


CSV_OPS = (
    "cell",
    "cell",
    "plausible",
    "plausible",
    "extreme",
    "extreme",
    "delete-column",
    "add-column",
    "rename-column",
    "duplicate-column",
    "swap-columns",
    "delete-row",
    "duplicate-row",
    "swap-rows",
    "truncate-rows",
    "add-row",
    "ragged",
    "header-only",
    "delimiter",
)


@lru_cache(maxsize=16)
def _rows(text: str) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(r) for r in csv.reader(io.StringIO(text)))


@st.composite
def csv_mutation(draw: st.DrawFn, rows: list[list[str]]) -> list[list[str]] | str:
    """``rows`` (a private copy) with one change to a cell, column or row; or, for a
    change of delimiter, the file's text."""
    op = draw(st.sampled_from(CSV_OPS))
    if not rows:
        rows = [[""]]
    r = draw(st.integers(0, len(rows) - 1))
    width = max(len(row) for row in rows) or 1
    c = draw(st.integers(0, width - 1))
    cells = sorted({cell for row in rows[:50] for cell in row})
    numeric = [
        (i, j) for i, row in enumerate(rows[:200]) for j, cell in enumerate(row) if _is_number(cell)
    ]
    if op in ("extreme", "plausible") and numeric:
        i, j = draw(st.sampled_from(numeric))
        if op == "extreme":
            rows[i][j] = draw(
                st.sampled_from(
                    [repr(float(x)) if isinstance(x, float) else str(x) for x in EXTREMES]
                    + ["1e309", "-1e308"]
                )
            )
        else:
            x = float(rows[i][j])  # a float: 2x and x / 2 may be infinite, never raise
            rows[i][j] = draw(
                st.sampled_from(
                    [
                        "0",
                        "1",
                        "0.5",
                        "0.001",
                        f"{2 * x:g}",
                        f"{x / 2:g}",
                        f"{x + 0.25:g}",
                        "1e6",
                        "1e12",
                    ]
                )
            )
    elif op == "cell":
        row = rows[r]
        while len(row) <= c:
            row.append("")
        row[c] = draw(
            st.sampled_from(cell_variants(row[c])) | st.sampled_from(cells) | st.text(max_size=20)
        )
    elif op == "delete-column":
        for row in rows:
            if c < len(row):
                del row[c]
    elif op == "add-column":
        name = draw(
            st.sampled_from(
                [
                    "extra",
                    "cost",
                    "code",
                    "",
                    "Cost",
                    "unit ",
                    "source",
                    "minutes",
                    "value",
                    "status",
                    "x" * 200,
                ]
            )
            | st.text()
        )
        value = draw(st.sampled_from(cell_variants("1")))
        rows[0].insert(c, name)
        for row in rows[1:]:
            row.insert(c, value)
    elif op == "rename-column":
        if c < len(rows[0]):
            rows[0][c] = draw(st.sampled_from(cell_variants(rows[0][c]) + rows[0]))
    elif op == "duplicate-column":
        for row in rows:
            if c < len(row):
                row.insert(c, row[c])
    elif op == "swap-columns":
        d = draw(st.integers(0, width - 1))
        for row in rows:
            if c < len(row) and d < len(row):
                row[c], row[d] = row[d], row[c]
    elif op == "delete-row":
        del rows[r]
    elif op == "duplicate-row":
        rows.insert(r, list(rows[r]))
    elif op == "swap-rows":
        s = draw(st.integers(0, len(rows) - 1))
        rows[r], rows[s] = rows[s], rows[r]
    elif op == "truncate-rows":
        del rows[r:]
    elif op == "add-row":
        rows.insert(
            r, draw(st.lists(st.sampled_from(cells) | st.text(max_size=10), max_size=width + 2))
        )
    elif op == "ragged":
        if draw(st.booleans()) and rows[r]:
            rows[r].pop()
        else:
            rows[r].append(draw(st.sampled_from(cells)))
    elif op == "header-only":
        del rows[1:]
    elif op == "delimiter":
        return write_csv(rows).replace(",", draw(st.sampled_from([";", "\t", "|", ", "])))
    return rows


def write_csv(rows: Sequence[Sequence[str]], quoting: int = csv.QUOTE_MINIMAL) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n", quoting=quoting).writerows(rows)
    return buf.getvalue()


@st.composite
def csv_mutant(draw: st.DrawFn, text: str) -> Mutant:
    """The bytes of a mutated copy of the CSV file ``text``: cells, columns and rows
    changed (then written out again), its text changed, or both; encoded."""
    original = text
    mode = draw(st.sampled_from([m.replace("tree", "table") for m in MODES]))
    if "table" in mode:
        original = write_csv(_rows(text))  # shown: what changed
        rows: list[list[str]] | str = [list(r) for r in _rows(text)]
        for _ in range(draw(st.integers(1, 3))):
            if isinstance(rows, str):
                break
            rows = draw(csv_mutation(rows))
        quoting = draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]))
        text = rows if isinstance(rows, str) else write_csv(rows, quoting)
    if "text" in mode:
        for _ in range(draw(st.integers(1, 3))):
            text = draw(text_mutation(text, CSV_LINES))
    return Mutant(original, _bytes(draw, text, mode))


# ------------------------------------------------------------------------ running a command

TIME_LIMIT = 60.0
"""Seconds a command may run in-process before the run counts as a hang."""

HARD_LIMIT_GRACE = 60.0
"""Seconds past :data:`TIME_LIMIT` before a command that never returned to Python ends the
test run (``faulthandler``), its stacks printed."""


class Hang(BaseException):
    """Raised in a command that ran past :data:`TIME_LIMIT` (a BaseException, so that no
    ``except Exception`` in the code under test takes it for an error of its own)."""


@dataclass
class Run:
    """What one command did: its exit status, output, and anything it should not have."""

    argv: list[str]
    status: object = None
    out: str = ""
    err: str = ""
    crash: str = ""
    """The traceback of an exception that escaped ``main``, if any."""
    warned: list[str] = field(default_factory=list)
    seconds: float = 0.0


@contextlib.contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():  # pragma: no cover
        yield
        return

    def stop(signum: int, frame: object) -> None:
        raise Hang(f"still running after {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    # A signal handler runs only between bytecodes: a command stuck inside one long C call
    # (numpy, the regex engine) never sees the alarm. The last resort prints every
    # thread's stack and ends the test run, so that CI fails at once, saying where,
    # instead of sitting until its own time limit; the example's files are left in the
    # test's tmp_path (``fuzz`` keeps the last example's folder).
    faulthandler.dump_traceback_later(seconds + HARD_LIMIT_GRACE, exit=True, file=sys.__stderr__)
    try:
        yield
    finally:
        faulthandler.cancel_dump_traceback_later()
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def run_cli(argv: list[str], limit: float = TIME_LIMIT) -> Run:
    """``careprofiles ARGV`` run in this process: output captured (standard output has a
    byte buffer, as a terminal's has), warnings recorded, a time limit enforced."""
    from careprofiles.cli import main

    run = Run(argv=list(argv))
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="surrogateescape")
    err = io.StringIO()
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            with (
                contextlib.redirect_stdout(out),
                contextlib.redirect_stderr(err),
                _time_limit(limit),
            ):
                run.status = main(argv)
        except SystemExit as exc:
            run.status = exc.code
        except Hang as exc:
            run.crash = f"hang: {exc}"
        except BaseException:
            run.crash = traceback.format_exc()
    run.seconds = time.perf_counter() - start
    run.warned = [f"{w.category.__name__}: {w.message} ({w.filename}:{w.lineno})" for w in caught]
    out.flush()
    buffer = out.buffer
    assert isinstance(buffer, io.BytesIO)
    run.out = buffer.getvalue().decode("utf-8", errors="replace")
    run.err = err.getvalue()
    return run


# ----------------------------------------------------------------------------- the contract

_HEADER = re.compile(r"[\d,]+ problems:")
_MORE = re.compile(r"and [\d,]+ more problems\b.*")
_MESSAGE = re.compile(r"(?:warning: )?(?P<path>[^\s:][^:]*?):(?:(?P<line>\d+):)? (?P<rest>\S.*)")
_NOT_FINITE_TEXT = re.compile(r"£\s*-?(?:inf|nan)|\b(?:inf|nan)\s*%|\binfinity\b", re.I)


def _refuse_constant(name: str) -> float:
    raise AssertionError(f"JSON output holds {name}, which is not a finite number")


FIGURES = frozenset(
    {
        "per_patient",
        "total",
        "cohort",
        "cost",
        "cost_per_patient",
        "cost_population",
        "cost_per_patient_receiving",
        "cost_per_patient_reached",
        "hours_population",
        "hours",
        "patients",
        "per_patient_reached",
        "mean",
        "sd",
        "p2.5",
        "p50",
        "p97.5",
        "deterministic",
        "delta_cost",
        "delta_per_patient",
        "delta_total",
        "unit_cost",
        "quantity",
        "contacts",
    }
)
"""Keys of the JSON outputs that always hold a figure: careprofiles writes a figure that
is not finite as ``null`` (as it writes a missing value), so ``null`` here is one."""


def finite_numbers(value: Any, where: str = "") -> None:
    """Assert every number in a parsed JSON value is finite, and no figure is null."""
    if isinstance(value, bool | str):
        return
    key = where.rpartition(".")[2].partition("[")[0]
    if value is None:
        assert key not in FIGURES, f"{where}: null, where a figure belongs"
    elif isinstance(value, int | float):
        assert math.isfinite(value), f"{where}: {value!r} is not finite"
    elif isinstance(value, dict):
        for k, item in value.items():
            finite_numbers(item, f"{where}.{k}")
    elif isinstance(value, list):
        for n, item in enumerate(value):
            finite_numbers(item, f"{where}[{n}]")


def check_json(text: str) -> None:
    finite_numbers(json.loads(text, parse_constant=_refuse_constant))


def check_text(text: str) -> None:
    """Tables, Markdown, HTML: no money or share shown as infinite or not a number."""
    found = _NOT_FINITE_TEXT.search(text)
    assert found is None, f"output shows a figure that is not finite: {found.group(0)!r}"


def check_csv(text: str) -> None:
    for row in csv.reader(io.StringIO(text)):
        for cell in row:
            assert cell.strip().lower() not in {"inf", "-inf", "nan", "infinity"}, row


CHECKS: dict[str, Callable[[str], None]] = {
    "json": check_json,
    "csv": check_csv,
    "table": check_text,
    "md": check_text,
    "html": check_text,
}


def line_count(path: Path) -> int:
    try:
        data = path.read_bytes()
    except OSError:
        return 0
    return data.count(b"\n") + data.count(b"\r") + 1


def check_message_lines(err: str, known: dict[str, int], *, success: bool) -> None:
    """Every line of standard error is a problem's ``file:line: ...`` (or whole-file
    ``file: ...``) naming a file that exists, at a line it has (``known``: display paths
    of the inputs and their line counts); on success only warnings and ``wrote FILE``."""
    lines = err.splitlines()
    if not success:
        assert lines, "exit 1 with nothing on standard error"
    for line in lines:
        text = line.strip()
        if success and text.startswith("wrote "):
            continue
        if _HEADER.fullmatch(text) or _MORE.fullmatch(text):
            continue
        match = _MESSAGE.fullmatch(text)
        assert match, f"not a file:line message: {line!r}"
        if success:
            assert text.startswith("warning: "), f"exit 0 with a message: {line!r}"
        path = match["path"]
        assert path in known or os.path.lexists(path), f"names no file: {line!r}"
        if match["line"] is not None and path in known:
            number = int(match["line"])
            assert 1 <= number <= known[path], f"line {number} of {known[path]}: {line!r}"


MANIFEST_COMMANDS = frozenset(
    {"cost", "compare", "simulate", "sensitivity", "spec", "standards", "audit", "benchmark"}
)
"""The commands whose outputs carry a reproducibility manifest."""
EMBEDDED = frozenset({".json", ".md", ".html", ".xlsx", ".docx"})
"""The outputs that carry their manifest inside; the others have FILE.manifest.json."""


def check_run(
    run: Run,
    inputs: Sequence[Path],
    *,
    form: str,
    output: Path | None = None,
    others: Sequence[Path] = (),
) -> None:
    """Assert ``run`` kept the contract: exit 0 with finite figures in ``form`` (on
    standard output, or complete in ``output``), or exit 1 with ``file:line`` messages and
    no output file; never a traceback, a Python warning, a hang or a partial file.
    ``others``: further files the command writes on success (a chart)."""
    from careprofiles.errors import display_path

    context = f"careprofiles {' '.join(run.argv)}\nstderr:\n{run.err[:3000]}"
    assert not run.crash, f"{context}\n{run.crash}"
    assert not run.warned, f"{context}\nPython warnings: {run.warned}"
    assert run.status in (0, 1), f"{context}\nexit status {run.status!r}"
    assert "Traceback" not in run.err, context
    known = {display_path(p): line_count(p) for p in inputs}
    try:
        check_message_lines(run.err, known, success=run.status == 0)
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{context}") from None
    if output is not None:
        left = sorted(p.name for p in output.parent.iterdir())
        if run.status == 0:
            expected = sorted({output.name, *(p.name for p in others)})
            # a file with no place for its manifest inside has FILE.manifest.json beside it
            if run.argv and run.argv[0] in MANIFEST_COMMANDS:
                beside = [p.name for p in (output, *others) if p.suffix not in EMBEDDED]
                expected = sorted([*expected, *(f"{name}.manifest.json" for name in beside)])
            assert left == expected, f"{context}\nthe output folder holds {left}"
            body = output.read_bytes()
        else:
            assert left == [], f"{context}\nexit 1 left files behind: {left}"
            return
    else:
        body = run.out.encode()
    if run.status == 0 and form in CHECKS:
        try:
            CHECKS[form](body.decode("utf-8"))
        except (AssertionError, ValueError) as exc:
            raise AssertionError(f"{context}\n{exc}") from None


def subprocess_argv() -> list[str]:
    """How to run the command line in a fresh interpreter."""
    return [sys.executable, "-m", "careprofiles"]
