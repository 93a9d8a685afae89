"""Jinja's sandbox for specification templates, with limits on time and output.

:func:`run_template` renders a template file in a :class:`SandboxedEnvironment` with
``StrictUndefined``: a template sees only its context, cannot reach Python internals,
and an undefined name is an error (its message says what names or keys there are),
never an empty string. A template that runs longer than its time limit (checked as
loops go round and at every call, so a macro that calls itself is caught too), writes
more than its character limit, or makes a huge value with ``*`` or ``**`` is stopped.
Every problem is a :class:`~careprofiles.errors.TemplateError` naming the template file
and line.

Imports: errors, specification.context (the names a template can use), specification.loader
(template files, read through the bounded input reader).
"""

from __future__ import annotations

import difflib
import math
import time
import traceback
from collections.abc import Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import jinja2
from jinja2 import nodes
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment
from jinja2.utils import missing

from careprofiles.errors import Problem, TemplateError, ValidationError, display_path
from careprofiles.specification.context import CONTEXT_NAMES
from careprofiles.specification.loader import TemplateLoader

__all__ = ["TEMPLATE_MAX_CHARS", "TEMPLATE_TIMEOUT", "run_template", "template_problem"]

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


class _LimitError(Exception):
    """A template ran too long or wrote too much (reported as a :class:`TemplateError`)."""


_LOOPS = "look for a loop that runs far more often than meant"


@dataclass(frozen=True)
class _Limits:
    """How long a template may run and how much it may write (``None``: no limit)."""

    timeout: float | None
    max_chars: int | None
    deadline: float
    """``time.monotonic()`` when the time is up."""

    @classmethod
    def start(cls, timeout: float | None, max_chars: int | None) -> _Limits:
        """The limits of a render starting now; refuses a limit that is not above 0."""
        if timeout is not None and not timeout > 0:  # NaN too
            raise ValueError(f"timeout must be a number of seconds above 0, or None; not {timeout}")
        if max_chars is not None and (isinstance(max_chars, bool) or not max_chars > 0):
            raise ValueError(f"max_chars must be a whole number above 0, or None; not {max_chars}")
        deadline = math.inf if timeout is None else time.monotonic() + timeout
        return cls(timeout, max_chars, deadline)

    def overdue(self) -> _LimitError | None:
        if time.monotonic() > self.deadline:
            return _LimitError(
                f"stopped after {self.timeout:g} seconds, the longest a template may run; "
                f"{_LOOPS}, or a macro that calls itself"
            )
        return None

    def check_time(self) -> None:
        if (error := self.overdue()) is not None:
            raise error

    def too_much(self, chars: int) -> _LimitError | None:
        if self.max_chars is not None and chars > self.max_chars:
            return _LimitError(
                f"stopped: the template wrote more than {self.max_chars:,} characters, the most "
                f"a template may write; {_LOOPS}"
            )
        return None


_LOOP_GUARD = "careprofiles loop guard"
"""The filter every ``{% for %}`` loop's sequence passes through (no template can name it)."""
_MAX_POWER_BITS = 100_000
"""The largest whole number (in bits) ``**`` may make in a template."""


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


class _Sandbox(SandboxedEnvironment):
    """Jinja's sandbox with run-time limits: a time limit checked as loops go round and at
    every call (so a recursive macro is caught too), and ``*`` and ``**`` refused when they
    would make a value larger than a template could write. The limit on the length of the
    output is checked as it is written (:func:`_render`)."""

    intercepted_binops = frozenset({"*", "**"})

    def __init__(self, limits: _Limits, **options: Any) -> None:
        super().__init__(**options)
        self.limits = limits
        self.filters[_LOOP_GUARD] = _guard_loop

    def compile(
        self,
        source: str | nodes.Template,
        name: str | None = None,
        filename: str | None = None,
        raw: bool = False,
        defer_init: bool = False,
    ) -> Any:
        """Compile with every ``{% for %}`` loop's sequence passed through the loop guard."""
        tree = self.parse(source, name, filename) if isinstance(source, str) else source
        for loop in list(tree.find_all(nodes.For)):
            guard = nodes.Filter(loop.iter, _LOOP_GUARD, [], [], None, None, lineno=loop.lineno)
            loop.iter = guard.set_environment(self)
        if raw:
            return super().compile(tree, name, filename, True, defer_init)
        return super().compile(tree, name, filename, False, defer_init)

    def call(self, context: Context, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        self.limits.check_time()
        return super().call(context, obj, *args, **kwargs)

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "*":
            for times, value in ((left, right), (right, left)):
                if isinstance(times, int) and isinstance(value, str | list | tuple):
                    size = len(value) * times
                    if self.limits.too_much(size) is not None:
                        raise _LimitError(
                            f"refused: * would make a value {size:,} long, longer than the "
                            f"{self.limits.max_chars:,} characters a template may write; "
                            "check the numbers either side of *"
                        )
        elif (
            isinstance(left, int)
            and isinstance(right, int)
            and abs(left) > 1
            and right * math.log2(abs(left)) > _MAX_POWER_BITS
        ):
            raise _LimitError(
                f"refused: {left} ** {right} is too large a number for a template to make; "
                "check the numbers either side of **"
            )
        return super().call_binop(context, operator, left, right)


def _environment(search: Sequence[Path], limits: _Limits) -> _Sandbox:
    return _Sandbox(
        limits,
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


def template_problem(file: str | Path | None, line: int | None, message: str) -> TemplateError:
    """The error ``file:line: message`` about a template."""
    name = display_path(file) if file else None
    return TemplateError([Problem(name, line, "", message)])


def _render(compiled: jinja2.Template, context: dict[str, Any], limits: _Limits) -> str:
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
) -> str:
    """The template file ``path`` rendered with ``context`` in the sandbox.

    Templates it includes or extends are looked for in the ``search`` folders, in
    order; HTML templates (``.html.j2``, ``.htm.j2``) are autoescaped. Raises
    :class:`TemplateError` (``template-file:line: what is wrong``) for a syntax error, an
    undefined name, a missing included template, an unsafe attribute (Python internals)
    or any other error the template makes, and when the template runs for more than
    ``timeout`` seconds or writes more than ``max_chars`` characters (``None``: no
    limit). Raises ``ValueError`` for a limit that is not above 0.
    """
    limits = _Limits.start(timeout, max_chars)
    env = _environment(search, limits)
    try:
        compiled = env.get_template(path.name)
        return _render(compiled, dict(context), limits)
    except jinja2.TemplateSyntaxError as exc:
        raise template_problem(
            exc.filename or str(path), exc.lineno,
            f"template syntax error: {exc.message}; check the {{% %}} and {{{{ }}}} tags",
        ) from None
    except SecurityError as exc:
        file, line = _template_frame(exc)
        raise template_problem(
            file or str(path), line,
            f"refused: {str(exc).rstrip('.')}; a template may use only the values of its context "
            "(see docs/templates.md), not Python internals",
        ) from None
    except jinja2.UndefinedError as exc:
        file, line = _template_frame(exc)
        raise template_problem(file or str(path), line, str(exc)) from None
    except jinja2.TemplateNotFound as exc:
        file, line = _template_frame(exc)
        raise template_problem(
            file or str(path), line,
            f"template {exc.name!r} not found; templates are looked for beside this one "
            "and among the shipped templates",
        ) from None
    except _LimitError as exc:
        file, line = _template_frame(exc)
        raise template_problem(file or str(path), line, str(exc)) from None
    except (TemplateError, ValidationError):
        raise
    except Exception as exc:  # an error the template's own code makes
        file, line = _template_frame(exc)
        raise template_problem(
            file or str(path), line, f"the template failed: {type(exc).__name__}: {exc}"
        ) from None
