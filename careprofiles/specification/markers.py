"""Fields still to complete: the ``[to be agreed: WHAT]`` markers a rendering makes, and where.

A specification marks every field the model cannot fill with one marker,
``[to be agreed: WHAT]`` (:func:`~careprofiles.specification.wording.to_be_agreed`): in a
template's own text, or in a value of its context (a header field not given, an outcome
with no measure). :class:`MarkerLog` records each marker a rendering writes with the
template file and line that wrote it: the line of the text, or of the ``{{ }}`` that
wrote the value. The sandbox (:mod:`~careprofiles.specification.sandbox`) passes each
output through :meth:`MarkerLog.value` and adds a :meth:`MarkerLog.text` call after each
piece of plain text holding a marker (:func:`mark_output`), only when a log is given, so
a plain rendering is not slowed. The filters take the context, so Jinja never runs them
while compiling (it folds filters of constants): a marker is recorded when it is written.
Only what is written is recorded: a block a child template replaces, or an ``{% if %}``
not taken, leaves no marker.

Imports: specification.wording; Jinja's nodes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.runtime import Context

from careprofiles.specification.wording import MARKER

__all__ = [
    "MARK_TEXT",
    "MARK_VALUE",
    "Marker",
    "MarkerLog",
    "mark_output",
    "mark_text",
    "mark_value",
]

MARK_VALUE = "_careprofiles_mark_value"
"""The filter that records the markers of an output value."""
MARK_TEXT = "_careprofiles_mark_text"
"""The filter that records a marker of plain template text."""
_UNESCAPE = re.compile(r"\\(.)")
"""A Markdown escape (``\\[``), undone before markers are looked for."""


@dataclass(frozen=True)
class Marker:
    """A field still to complete, where the template wrote it."""

    file: str
    """The template file: a shipped one as ``bundled template NAME``, never by the path
    it is installed at; any other as error messages name it."""
    line: int
    """The template's line (1-based)."""
    what: str
    """What is to be agreed (the text after ``to be agreed:``)."""
    count: int = 1
    """How many times the rendering wrote it there (a line in a loop writes it often)."""

    def __str__(self) -> str:
        times = f" ({self.count} times)" if self.count > 1 else ""
        return f"{self.file}:{self.line}: [to be agreed: {self.what}]{times}"


class MarkerLog:
    """The markers a rendering wrote, by template file and line."""

    def __init__(self) -> None:
        self._seen: dict[tuple[str, int, str], int] = {}

    def _add(self, file: str, line: int, what: str) -> None:
        key = (file, line, what)
        self._seen[key] = self._seen.get(key, 0) + 1

    def value(self, value: Any, file: str, line: int) -> Any:
        """``value`` as it is, its markers recorded at ``file:line`` (a Jinja filter)."""
        if isinstance(value, str) and "to be agreed: " in value:
            # text from the profiles is escaped for Markdown (\[to be agreed: ...\]); a marker
            # written there is still one
            for found in MARKER.finditer(_UNESCAPE.sub(r"\1", value)):
                self._add(file, line, found.group(1))
        return value

    def text(self, value: str, file: str, line: int, what: str) -> str:
        """``value`` (the empty string), after recording one marker of plain text."""
        self._add(file, line, what)
        return value

    def markers(self) -> list[Marker]:
        """Every marker written, by file and line."""
        return [
            Marker(file, line, what, n)
            for (file, line, what), n in sorted(self._seen.items(), key=lambda kv: kv[0])
        ]


@jinja2.pass_context  # never called at compile time (constant folding)
def mark_value(context: Context, value: Any, file: str, line: int) -> Any:
    """The :data:`MARK_VALUE` filter: ``value``, its markers recorded in the log."""
    log = getattr(context.environment, "markers", None)
    return log.value(value, file, line) if isinstance(log, MarkerLog) else value


@jinja2.pass_context  # never called at compile time: the text is recorded when written
def mark_text(context: Context, value: str, file: str, line: int, what: str) -> str:
    """The :data:`MARK_TEXT` filter: records a marker of plain text as it is written."""
    log = getattr(context.environment, "markers", None)
    return log.text(value, file, line, what) if isinstance(log, MarkerLog) else value


def _static_marks(text: str, line: int, file: str) -> list[nodes.Expr]:
    """A :data:`MARK_TEXT` call for each marker in plain ``text`` that starts at ``line``."""
    calls: list[nodes.Expr] = []
    for found in MARKER.finditer(text):
        at = line + text.count("\n", 0, found.start())
        args: list[nodes.Expr] = [nodes.Const(file), nodes.Const(at), nodes.Const(found.group(1))]
        calls.append(nodes.Filter(nodes.Const(""), MARK_TEXT, args, [], None, None, lineno=at))
    return calls


def mark_output(children: list[nodes.Expr], file: str) -> list[nodes.Expr]:
    """An ``{{ }}`` output's pieces, each value passed through :data:`MARK_VALUE` and
    each piece of plain text holding a marker followed by its :data:`MARK_TEXT` calls."""
    out: list[nodes.Expr] = []
    for child in children:
        if isinstance(child, nodes.TemplateData):
            out.append(child)
            out.extend(_static_marks(child.data, child.lineno, file))
        elif isinstance(child, nodes.Const):
            out.append(child)
            out.extend(_static_marks(str(child.value), child.lineno, file))
        else:
            args: list[nodes.Expr] = [nodes.Const(file), nodes.Const(child.lineno)]
            out.append(nodes.Filter(child, MARK_VALUE, args, [], None, None, lineno=child.lineno))
    return out
