"""The limits of one template render: how long it may run and how much text it may make.

:class:`Limits` holds them, and is checked between a template's operations (as loops go
round, at every call, filter and output). :class:`Watchdog` enforces the time limit from
outside the rendering thread too: just after the deadline, another thread raises
:class:`TemplateOverdueError` in the rendering thread at its next Python instruction, so that
a long stretch of Python code that checks nothing (a filter given a large value, say) is
stopped as well. A single operation in C cannot be interrupted by anything but ending
the process; :mod:`~careprofiles.specification.guards` keeps each such operation short
by refusing, before it runs, one that would make a large value.

Imports: nothing of careprofiles.
"""

from __future__ import annotations

import ctypes
import math
import platform
import threading
import time
from dataclasses import dataclass
from types import TracebackType

__all__ = ["Limits", "TemplateLimitError", "TemplateOverdueError", "Watchdog"]

_LOOPS = "look for a loop that runs far more often than meant"


class TemplateLimitError(Exception):
    """A template ran too long, made too much text, or would make too large a value."""


class TemplateOverdueError(TemplateLimitError):
    """Raised by the :class:`Watchdog` in the rendering thread when the time is up (it
    carries no message: :meth:`Limits.overdue_message` is the message)."""


@dataclass
class Limits:
    """How long a template may run and how much text it may make (``None``: no limit)."""

    timeout: float | None
    max_chars: int | None
    deadline: float
    """``time.monotonic()`` when the time is up."""
    made: int = 0
    """Characters of text made so far (written, or made in blocks and macros)."""
    stopped: bool = False
    """Whether a check has raised the time limit in the rendering thread (the watchdog
    then leaves it be)."""

    @classmethod
    def start(cls, timeout: float | None, max_chars: int | None) -> Limits:
        """The limits of a render starting now; refuses a limit that is not above 0."""
        if timeout is not None and not timeout > 0:  # NaN too
            raise ValueError(f"timeout must be a number of seconds above 0, or None; not {timeout}")
        if max_chars is not None and (isinstance(max_chars, bool) or not max_chars > 0):
            raise ValueError(f"max_chars must be a whole number above 0, or None; not {max_chars}")
        deadline = math.inf if timeout is None else time.monotonic() + timeout
        return cls(timeout, max_chars, deadline)

    def overdue_message(self) -> str:
        return (
            f"stopped after {self.timeout:g} seconds, the longest a template may run; "
            f"{_LOOPS}, or a macro that calls itself"
        )

    def overdue(self) -> TemplateLimitError | None:
        if time.monotonic() > self.deadline:
            self.stopped = True
            return TemplateLimitError(self.overdue_message())
        return None

    def check_time(self) -> None:
        if (error := self.overdue()) is not None:
            raise error

    def too_much(self, chars: int) -> TemplateLimitError | None:
        if self.max_chars is not None and chars > self.max_chars:
            return TemplateLimitError(
                f"stopped: the template wrote more than {self.max_chars:,} characters, the most "
                f"a template may write; {_LOOPS}"
            )
        return None


_GRACE = 2.0
"""Seconds after the deadline at which the watchdog strikes (the checks in the rendering
thread, which name the line a user expects, go first even on a busy machine)."""
_SET_ASYNC_EXC = (
    ctypes.pythonapi.PyThreadState_SetAsyncExc
    if platform.python_implementation() == "CPython" and hasattr(ctypes, "pythonapi")
    else None
)


class Watchdog:
    """While inside, a thread that raises :class:`TemplateOverdueError` in this thread when
    ``limits`` are overdue (nothing happens without a time limit, or on a Python that
    cannot raise in another thread: the checks between operations still hold)."""

    def __init__(self, limits: Limits) -> None:
        self._limits = limits
        self._target = threading.get_ident()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._done = False
        self._fired = False

    def __enter__(self) -> Watchdog:
        if self._limits.timeout is not None and _SET_ASYNC_EXC is not None:
            threading.Thread(
                target=self._watch, name="careprofiles template watchdog", daemon=True
            ).start()
        return self

    def _watch(self) -> None:
        # a second after the deadline: the checks in the rendering thread go first (they
        # stop the template where it is, at the line a user expects), and their error is
        # not overtaken by this one; this one is for a thread that checks nothing
        limits = self._limits
        if self._stop.wait(max(0.0, limits.deadline + _GRACE - time.monotonic())):
            return
        with self._lock:
            if not self._done and not limits.stopped:
                self._fired = True
                _raise_in(self._target, TemplateOverdueError)

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        with self._lock:
            self._done = True
            if self._fired:  # raised, but perhaps not yet delivered: take it back
                _raise_in(self._target, None)


def _raise_in(thread: int, exc: type[BaseException] | None) -> None:
    assert _SET_ASYNC_EXC is not None
    _SET_ASYNC_EXC(ctypes.c_ulong(thread), ctypes.py_object(exc) if exc is not None else None)
