"""Is the draft complete? :func:`check_spec` lists the fields still ``[to be agreed: ...]``.

It renders the specification as :func:`~careprofiles.specification.render.render_spec`
does (the same template, format and inputs, so a template error is reported the same
way) and returns every marker written, as a :class:`~careprofiles.specification.markers.Marker`
with the template file and line that wrote it: the line of the template's text, or of the
``{{ }}`` whose value held it (a header field not given, an outcome with no measure). A
draft with none left is ready to sign; ``careprofiles spec --check`` exits 1 while any
remain.

Its arguments are those of a :class:`~careprofiles.specification.render.SpecInputs`,
taken from it (not written again), so that it renders from what ``render_spec`` does.

Imports: specification.markers and specification.render.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from careprofiles.specification.markers import Marker, MarkerLog
from careprofiles.specification.render import SpecInputs

__all__ = ["Marker", "check_spec", "markers_report"]


_P = ParamSpec("_P")
_T = TypeVar("_T")


def _called_as(
    build: Callable[_P, SpecInputs],
) -> Callable[[Callable[[SpecInputs], _T]], Callable[_P, _T]]:
    """A function of a :class:`SpecInputs` made a function of the arguments that
    ``build`` takes (its signature theirs), so that it cannot drift from them."""

    def decorate(function: Callable[[SpecInputs], _T]) -> Callable[_P, _T]:
        @functools.wraps(function)
        def called(*args: _P.args, **kwargs: _P.kwargs) -> _T:
            return function(build(*args, **kwargs))

        returns = inspect.signature(function).return_annotation
        called.__signature__ = inspect.signature(build).replace(  # type: ignore[attr-defined]
            return_annotation=returns
        )
        return called

    return decorate


@_called_as(SpecInputs)
def check_spec(inputs: SpecInputs) -> list[Marker]:
    """The fields still to be agreed in the specification, by template file and line.

    The arguments are those of :func:`~careprofiles.specification.render.render_spec`
    (but ``markers``), those of a :class:`~careprofiles.specification.render.SpecInputs`;
    an empty list means the draft has no ``[to be agreed: ...]`` left.
    """
    log = MarkerLog()
    inputs.render(log)
    return log.markers()


def markers_report(markers: list[Marker]) -> str:
    """The markers one a line (``file:line: [to be agreed: WHAT]``) and a count."""
    if not markers:
        return "no fields to be agreed: the specification is complete\n"
    fields = sum(m.count for m in markers)
    lines = [str(m) for m in markers]
    noun = "field" if fields == 1 else "fields"
    places = "place" if len(markers) == 1 else "places"
    lines.append(f"{fields:,} {noun} to be agreed, at {len(markers):,} template {places}")
    return "\n".join(lines) + "\n"
