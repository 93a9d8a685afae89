"""Jinja's sandbox for specification templates, with limits on time, text and values.

:func:`run_template` renders a template file in a :class:`SandboxedEnvironment` with
``StrictUndefined``: a template sees only its context, cannot reach Python internals,
and an undefined name is an error (its message says what names or keys there are),
never an empty string. A template that runs longer than its time limit (checked as
loops go round, at every call, filter and output, and by a watchdog thread that stops a
long stretch of Python code), makes more text than its character limit, or would make
too large a value (a number of more than 30,000 digits, a string or list longer than the
character limit: checked before each operation, see
:mod:`~careprofiles.specification.guards`) is stopped. Every problem is a
:class:`~careprofiles.errors.TemplateError` naming the template file and line; a stop at
a limit has the code :data:`LIMIT_CODE`.

Imports: errors, specification.context (the names a template can use),
specification.guards and specification.limits (the limits), specification.loader
(template files, read through the bounded input reader; how outputs name them),
specification.markers (fields still to complete, recorded only when asked).
"""

from __future__ import annotations

import difflib
import traceback
from collections.abc import Generator, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, cast

import jinja2
from jinja2 import nodes
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment
from jinja2.utils import missing
from jinja2.visitor import NodeTransformer

from careprofiles.errors import Problem, TemplateError, ValidationError
from careprofiles.specification.context import CONTEXT_NAMES
from careprofiles.specification.guards import ValueGuard
from careprofiles.specification.limits import (
    Limits,
    TemplateLimitError,
    TemplateOverdueError,
    Watchdog,
)
from careprofiles.specification.loader import TemplateLoader, template_name
from careprofiles.specification.markers import (
    MARK_TEXT,
    MARK_VALUE,
    MarkerLog,
    mark_output,
    mark_text,
    mark_value,
)

__all__ = [
    "LIMIT_CODE",
    "TEMPLATE_MAX_CHARS",
    "TEMPLATE_TIMEOUT",
    "run_template",
    "template_problem",
]

TEMPLATE_TIMEOUT = 30.0
"""Seconds a template may run before it is stopped (``timeout`` of
:func:`~careprofiles.specification.render.render_spec`)."""
TEMPLATE_MAX_CHARS = 10_000_000
"""Characters a template may write before it is stopped (``max_chars`` of
:func:`~careprofiles.specification.render.render_spec`)."""


class _Undefined(jinja2.StrictUndefined):
    """StrictUndefined whose message says what the names or keys available are."""

    @property
    def _undefined_message(self) -> str:
        if self._undefined_hint:
            return self._undefined_hint
        name = self._undefined_name
        obj = self._undefined_obj
        if obj is missing:
            close = difflib.get_close_matches(str(name), CONTEXT_NAMES, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            return (
                f"{name!r} is undefined; {hint}a template can use "
                f"{', '.join(sorted(CONTEXT_NAMES))} (see docs/templates.md)"
            )
        if isinstance(obj, Mapping):
            keys = sorted(str(k) for k in obj)
            close = difflib.get_close_matches(str(name), keys, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            return f"there is no {name!r} here; {hint}the keys here are {', '.join(keys)}"
        if isinstance(obj, list | tuple):
            return f"there is no item {name!r} in a list of {len(obj)}"
        return f"{type(obj).__name__} value has no {name!r}"


_LOOP_GUARD = "careprofiles loop guard"
"""The filter every ``{% for %}`` loop's sequence passes through (no template can name it)."""
_CONCAT = "careprofiles concat guard"
"""The filter every ``~`` becomes: the parts are measured before they are joined."""
_OUTPUT = "careprofiles output guard"
"""The filter every ``{{ }}`` value, and each run of plain text, passes through."""


@jinja2.pass_context  # never called at compile time (constant folding)
def _guard_loop(context: Context, iterable: Any) -> Iterator[Any]:
    """``iterable``, checking the time limit as each loop starts and every 256 items."""
    env = context.environment
    assert isinstance(env, _Sandbox)
    limits = env.limits
    limits.check_time()
    items = iter(iterable)  # an undefined sequence fails here, at the loop's line

    def guarded() -> Iterator[Any]:
        for n, item in enumerate(items, 1):
            if not n & 255:
                limits.check_time()
            yield item

    return guarded()


def _filter(node: nodes.Expr, name: str, *args: nodes.Expr, lineno: int) -> nodes.Filter:
    return nodes.Filter(node, name, list(args), [], None, None, lineno=lineno)


class _Guards(NodeTransformer):
    """Passes every loop's sequence, ``~`` and ``{{ }}`` value through the guards (and,
    when ``file`` is given, every output through the marker log: see
    :mod:`~careprofiles.specification.markers`)."""

    def __init__(self, file: str | None = None) -> None:
        self.file = file

    def visit_For(self, node: nodes.For) -> nodes.Node:  # noqa: N802 (Jinja's names)
        self.generic_visit(node)
        node.iter = _filter(cast(nodes.Expr, node.iter), _LOOP_GUARD, lineno=node.lineno)
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:  # noqa: N802 (Jinja's names)
        self.generic_visit(node)
        parts = nodes.Tuple(node.nodes, "load", lineno=node.lineno)
        return _filter(parts, _CONCAT, lineno=node.lineno)

    def visit_Output(self, node: nodes.Output) -> nodes.Node:  # noqa: N802 (Jinja's names)
        self.generic_visit(node)
        children: list[nodes.Expr] = []
        static = 0
        pieces = node.nodes if self.file is None else mark_output(node.nodes, self.file)
        for child in pieces:
            if isinstance(child, nodes.TemplateData):
                static += len(child.data)
                children.append(child)
            elif isinstance(child, nodes.Const):
                static += len(str(child.value))
                children.append(child)
            else:
                children.append(_filter(child, _OUTPUT, lineno=child.lineno))
        if static:  # plain text counts too: a loop of it inside a macro makes text
            line = node.nodes[-1].lineno if node.nodes else node.lineno
            children.append(_filter(nodes.Const(""), _OUTPUT, nodes.Const(static), lineno=line))
        node.nodes = children
        return node


class _Sandbox(SandboxedEnvironment):
    """Jinja's sandbox with run-time limits: a time limit checked as loops go round, at
    every call and filter and at every output (so a recursive macro is caught too), the
    size of every value a template makes checked before it is made (see
    :mod:`~careprofiles.specification.guards`), and the text it makes counted."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def __init__(self, limits: Limits, markers: MarkerLog | None = None, **options: Any) -> None:
        super().__init__(**options)
        self.limits = limits
        self.markers = markers
        self.guard = guard = ValueGuard(limits)
        self.filters = {name: guard.guard_filter(name, f) for name, f in self.filters.items()}
        self.filters[_LOOP_GUARD] = _guard_loop
        self.filters[_CONCAT] = guard.concat
        self.filters[_OUTPUT] = guard.output
        if markers is not None:
            self.filters[MARK_VALUE] = mark_value
            self.filters[MARK_TEXT] = mark_text

    def compile(
        self,
        source: str | nodes.Template,
        name: str | None = None,
        filename: str | None = None,
        raw: bool = False,
        defer_init: bool = False,
    ) -> Any:
        """Compile with every loop's sequence, ``~`` and output passed through the guards."""
        tree = self.parse(source, name, filename) if isinstance(source, str) else source
        file = None
        if self.markers is not None:
            file = template_name(filename) if filename else (name or "<template>")
        tree = _Guards(file).visit(tree)
        tree.set_environment(self)
        if raw:
            return super().compile(tree, name, filename, True, defer_init)
        return super().compile(tree, name, filename, False, defer_init)

    def call(self, context: Context, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        self.limits.check_time()
        args = self.guard.before_call(obj, args, kwargs)
        return self.guard.after_call(obj, super().call(context, obj, *args, **kwargs))

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        self.guard.binop(operator, left, right)
        result = super().call_binop(context, operator, left, right)
        return self.guard.result(result, operator)


def _environment(
    search: Sequence[Path], limits: Limits, markers: MarkerLog | None = None
) -> _Sandbox:
    return _Sandbox(
        limits,
        markers,
        loader=TemplateLoader([str(folder) for folder in search]),
        undefined=_Undefined,
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html", "htm", "html.j2", "htm.j2"),
            disabled_extensions=(),
            default_for_string=False,
            default=False,
        ),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )


def _template_frame(exc: BaseException) -> tuple[str | None, int | None]:
    """The innermost template file and line in ``exc``'s traceback (Jinja rewrites them)."""
    found: tuple[str | None, int | None] = (None, None)
    for frame in traceback.extract_tb(exc.__traceback__):
        if not frame.filename.endswith(".py") and not frame.filename.startswith("<"):
            found = (frame.filename, frame.lineno)
    return found


LIMIT_CODE = "template-limit"
"""The :attr:`~careprofiles.errors.Problem.code` of a template stopped by its limits: it
ran too long, wrote too much, or would have made too large a value."""


def template_problem(
    file: str | Path | None, line: int | None, message: str, code: str = ""
) -> TemplateError:
    """The error ``file:line: message`` about a template (a shipped one named as
    :func:`~careprofiles.specification.loader.template_name` names it, never by its path)."""
    name = template_name(str(file)) if file else None
    return TemplateError([Problem(name, line, "", message, code)])


def _render(compiled: jinja2.Template, context: dict[str, Any], limits: Limits) -> str:
    """``compiled`` rendered, the output's length and the time checked as it is written."""
    parts: list[str] = []
    chars = 0
    chunks = cast(Generator[str, None, None], compiled.generate(context))
    for chunk in chunks:
        parts.append(chunk)
        chars += len(chunk)
        error = limits.too_much(chars) or limits.overdue()
        if error is not None:
            chunks.throw(error)  # raised where the template is, so its line is reported
            raise error  # pragma: no cover - a template cannot catch it
    return "".join(parts)


def run_template(
    path: Path,
    search: Sequence[Path],
    context: Mapping[str, Any],
    *,
    timeout: float | None = TEMPLATE_TIMEOUT,
    max_chars: int | None = TEMPLATE_MAX_CHARS,
    markers: MarkerLog | None = None,
) -> str:
    """The template file ``path`` rendered with ``context`` in the sandbox.

    Templates it includes or extends are looked for in the ``search`` folders, in
    order; HTML templates (``.html.j2``, ``.htm.j2``) are autoescaped. Raises
    :class:`TemplateError` (``template-file:line: what is wrong``) for a syntax error, an
    undefined name, a missing included template, an unsafe attribute (Python internals)
    or any other error the template makes, and when the template runs for more than
    ``timeout`` seconds or writes more than ``max_chars`` characters (``None``: no
    limit). Raises ``ValueError`` for a limit that is not above 0. With ``markers``, each
    ``[to be agreed: ...]`` marker written is recorded there with its template file and line.
    """
    limits = Limits.start(timeout, max_chars)
    env = _environment(search, limits, markers)
    try:
        with Watchdog(limits):
            compiled = env.get_template(path.name)
            values = dict(context)
            env.guard.lasting(values)
            return _render(compiled, values, limits)
    except jinja2.TemplateSyntaxError as exc:
        raise template_problem(
            exc.filename or str(path),
            exc.lineno,
            f"template syntax error: {exc.message}; check the {{% %}} and {{{{ }}}} tags",
        ) from None
    except SecurityError as exc:
        file, line = _template_frame(exc)
        raise template_problem(
            file or str(path),
            line,
            f"refused: {str(exc).rstrip('.')}; a template may use only the values of its context "
            "(see docs/templates.md), not Python internals",
        ) from None
    except jinja2.UndefinedError as exc:
        file, line = _template_frame(exc)
        raise template_problem(file or str(path), line, str(exc)) from None
    except jinja2.TemplateNotFound as exc:
        file, line = _template_frame(exc)
        raise template_problem(
            file or str(path),
            line,
            f"template {exc.name!r} not found; templates are looked for beside this one "
            "and among the shipped templates",
        ) from None
    except TemplateLimitError as exc:
        file, line = _template_frame(exc)
        message = limits.overdue_message() if isinstance(exc, TemplateOverdueError) else str(exc)
        raise template_problem(file or str(path), line, message, LIMIT_CODE) from None
    except (TemplateError, ValidationError):
        raise
    except Exception as exc:  # an error the template's own code makes
        file, line = _template_frame(exc)
        raise template_problem(
            file or str(path), line, f"the template failed: {type(exc).__name__}: {exc}"
        ) from None
