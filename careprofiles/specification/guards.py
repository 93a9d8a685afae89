"""Limits on the size of every value a specification template makes.

:class:`ValueGuard` keeps every value a template makes within the render's
:class:`~careprofiles.specification.limits.Limits`: numbers by their digits (at most
:data:`MAX_NUMBER_DIGITS`), strings by their length, and lists and dicts by their length
counting what they hold (at most the character limit). Each operation that could make a
large value is checked **before** it runs, from an estimate of its result: the
operators ``*``, ``**``, ``+``, ``%`` and ``~``; the filters whose result a number sizes
(``center``, ``indent``, ``wordwrap``, ``format``, ``join``, ``replace``, ``batch``,
``slice``, ``sum``, ``round``); the methods of strings, lists and dicts (``center``,
``ljust``, ``zfill``, ``replace``, ``join``, ``format``, ``translate``, ``extend``,
``fromkeys``, ...) and ``lipsum``. Every result is checked after, and the text each
``{{ }}`` and each run of plain text makes is counted (in macros and ``{% set %}`` and
``{% filter %}`` blocks too). So no single operation can run long in C or fill the
memory, and the time limit holds.

Every refusal is a :class:`~careprofiles.specification.limits.TemplateLimitError`,
raised where the template is, so that :mod:`~careprofiles.specification.sandbox` reports
it at the template's file and line.

Imports: specification.limits.
"""

from __future__ import annotations

import builtins
import functools
import inspect
import math
import re
import string
from collections.abc import Callable, Iterator, Mapping, Sized
from typing import Any

from jinja2.runtime import markup_join, str_join
from jinja2.utils import pass_context, pass_eval_context
from markupsafe import Markup

from careprofiles.specification.limits import Limits, TemplateLimitError

__all__ = ["MAX_NUMBER_DIGITS", "ValueGuard"]

MAX_NUMBER_DIGITS = 30_000
"""The most decimal digits a whole number a template makes may have."""
_MAX_BITS = int(MAX_NUMBER_DIGITS / math.log10(2))

_CONTAINERS = (list, tuple, dict, set, frozenset)
_FLAT = frozenset({bool, float, complex, type(None)})
_ADDABLE = (str, bytes, list | tuple)
_CACHE_FROM = 1_000
"""Lasting values at least this large have their size remembered (until something
changes)."""
_LASTING = 1_000_000
"""The most lists and dicts of a context whose sizes are remembered."""


def _digits(n: int) -> int:
    """About how many decimal digits ``n`` has (never fewer)."""
    return int(n.bit_length() * 0.30103) + 1


def _number(n: object) -> str:
    """``n`` as a message shows it (a number too long to print by its digits)."""
    if isinstance(n, int) and n.bit_length() > 64:
        return f"a number of about {_digits(n):,} digits"
    return repr(n)


class ValueGuard:
    """The size checks of one render (see the module's docstring)."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.max_size = limits.max_chars
        self._sizes: dict[int, tuple[object, int]] = {}
        self._lasting: set[int] = set()

    def lasting(self, values: object) -> None:
        """Values that live as long as the render (its context): the sizes of these, and
        of the lists and dicts in them, are remembered (a template's own values are not:
        remembering them would keep them alive)."""
        stack, seen = [values], self._lasting
        while stack and len(seen) < _LASTING:
            value = stack.pop()
            if isinstance(value, _CONTAINERS) and id(value) not in seen:
                seen.add(id(value))
                stack.extend(value.values() if isinstance(value, dict) else value)

    # ------------------------------------------------------------ sizes

    def size(self, value: object) -> int:
        """The size of ``value``: a string's or bytes' length, a number's digits, a
        container's items each counted at least once and by what it holds (shared items
        as often as they appear, as when written). A size above the limit is not
        counted to its end."""
        if isinstance(value, str | bytes):
            return len(value)
        if type(value) is int:
            return _digits(value)
        if not isinstance(value, _CONTAINERS) or self.max_size is None:
            return 1
        cached = self._sizes.get(id(value))
        if cached is not None and cached[0] is value:
            return cached[1]
        size = self._walk(value, self.max_size)
        if size >= _CACHE_FROM and id(value) in self._lasting:
            self._sizes[id(value)] = (value, size)
        return size

    def changed(self) -> None:
        """Something may have changed a list or dict: forget the sizes remembered."""
        self._sizes.clear()

    def _walk(self, root: object, budget: int) -> int:
        """The size of the container ``root``, each container in it sized once (one that
        appears twice is counted twice, as it would be written; one inside itself counts
        1 where it recurs, as ``[...]`` is written). Stops once past ``budget``."""
        known: dict[int, int] = {}
        inside: set[int] = set()
        frames: list[tuple[int, Iterator[Any], int]] = []  # id, items left, total at start
        total = 0

        def enter(value: Any) -> int | None:
            """The size of ``value`` if known now; None when its frame was pushed."""
            key = id(value)
            if key in known:
                return known[key]
            if key in inside:
                return 1
            cached = self._sizes.get(key)
            if cached is not None and cached[0] is value:
                return cached[1]
            items = _items(value)
            flat = _flat_size(items)
            if flat is not None:
                known[key] = flat
                return flat
            frames.append((key, iter(items), total))
            inside.add(key)
            return None

        size = enter(root)
        if size is not None:
            return size
        while frames and total <= budget:
            key, items, start = frames[-1]
            for item in items:
                if isinstance(item, _CONTAINERS):
                    size = enter(item)
                    if size is None:
                        break  # its items first
                    total += max(1, size)
                else:
                    total += max(1, self.size(item))
                if total > budget:
                    break
            else:
                frames.pop()
                inside.discard(key)
                known[key] = total - start
                if frames and total == start:  # an empty list in a list counts 1
                    total += 1
        return total

    # ------------------------------------------------------------ refusals

    def refuse(self, what: str, size: int, hint: str) -> None:
        """Refuse an operation that would make a value ``size`` long."""
        if self.max_size is not None and size > self.max_size:
            raise TemplateLimitError(
                f"refused: {what} would make a value {size:,} long, longer than the "
                f"{self.max_size:,} characters a template may write; {hint}"
            )

    def refuse_digits(self, what: str, digits: float, hint: str) -> None:
        """Refuse an operation that would make a number of ``digits`` digits."""
        if digits > MAX_NUMBER_DIGITS:
            raise TemplateLimitError(
                f"refused: {what} would make a number of about {digits:,.0f} digits, more than "
                f"the {MAX_NUMBER_DIGITS:,} a template may make; {hint}"
            )

    def result(self, value: Any, what: str) -> Any:
        """``value``, made by ``what``, if it is within the limits."""
        if type(value) is int:  # a number has its own limit
            if value.bit_length() > _MAX_BITS:
                self.refuse_digits(what, _digits(value), "check the numbers it was given")
            return value
        self.refuse(what, self.size(value), "check the values it was given")
        return value

    # ------------------------------------------------------------ operators

    def binop(self, operator: str, left: Any, right: Any) -> None:
        """Refuse ``left operator right`` before it runs, if its result would be too large."""
        hint = f"check the numbers either side of {operator}"
        if operator == "*":
            if _whole(left) and _whole(right):
                digits = (left.bit_length() + right.bit_length()) * 0.30103
                self.refuse_digits("*", digits, hint)
            for times, value in ((left, right), (right, left)):
                if _whole(times) and isinstance(value, str | bytes | list | tuple):
                    self.refuse("*", self.size(value) * max(times, 0), hint)
        elif operator == "**":
            if (
                _whole(left)
                and _whole(right)
                and abs(left) > 1
                and right * math.log2(abs(left)) > _MAX_BITS
            ):
                raise TemplateLimitError(
                    f"refused: {_number(left)} ** {_number(right)} is too large a number for a "
                    f"template to make; {hint}"
                )
        elif operator == "+":
            if any(isinstance(left, kind) and isinstance(right, kind) for kind in _ADDABLE):
                self.refuse("+", self.size(left) + self.size(right), "check what is added")
        elif operator == "%" and isinstance(left, str):
            self.refuse("%", _printf_size(self, left, right), "check the format's widths")

    # ------------------------------------------------------------ ~ and output

    @pass_eval_context
    def concat(self, eval_ctx: Any, parts: tuple[Any, ...]) -> str:
        """``~``: the parts joined as text, refused first if that would be too long."""
        self.refuse("~", sum(self.size(part) for part in parts), "check the values joined")
        joined: str = (markup_join if eval_ctx.autoescape else str_join)(parts)
        return self.result(joined, "~")  # type: ignore[no-any-return]

    @pass_context
    def output(self, context: Any, value: Any, static: int = 0) -> Any:
        """A ``{{ }}`` value about to be written, with ``static`` characters of plain text
        written beside it: counted against the limit on text made, and the time checked."""
        limits = self.limits
        limits.check_time()
        limits.made += static + (0 if isinstance(value, str) and not value else self.size(value))
        if (error := limits.too_much(limits.made)) is not None:
            raise error
        return value

    # ------------------------------------------------------------ calls and filters

    def before_call(
        self, obj: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> tuple[Any, ...]:
        """Refuse a call whose result would be too large (the arguments, with an iterator
        that a method would read whole made a tuple first)."""
        for value in (*args, *kwargs.values()):
            self.refuse("a call", self.size(value), "check the values passed")
        inner = getattr(obj, "__wrapped__", obj)  # the sandbox wraps str.format
        name = getattr(inner, "__name__", "")
        receiver = getattr(inner, "__self__", None)
        if name in _READS_WHOLE and args and not isinstance(args[0], Sized):
            args = (tuple(args[0]), *args[1:])
        estimate = _METHODS.get(name) if isinstance(receiver, _RECEIVERS) else None
        if name == "generate_lorem_ipsum":
            estimate = _lipsum_size
        if estimate is not None:
            try:
                size = estimate(self, receiver, *args, **kwargs)
            except (TypeError, ValueError, LookupError):  # the call itself will say what
                size = 0
            self.refuse(
                f"{name.replace('generate_lorem_ipsum', 'lipsum')}()",
                size,
                "check the numbers and values passed",
            )
        return args

    def after_call(self, obj: Any, result: Any) -> Any:
        """``result`` of calling ``obj``, if it (and what the call changed) is within limits."""
        receiver = getattr(obj, "__self__", None)
        name = getattr(obj, "__name__", None)
        what = f"{name}()" if isinstance(name, str) else "the call"
        if isinstance(receiver, list | dict | set):
            self.changed()
            self.result(receiver, what)
        return self.result(result, what)

    def guard_filter(self, name: str, func: Callable[..., Any]) -> Callable[..., Any]:
        """``func``, the filter ``name``, with its arguments and result checked."""
        passes = hasattr(func, "jinja_pass_arg")  # context, eval_ctx or environment first
        estimate = _FILTERS.get(name)
        signature = inspect.signature(func) if estimate is not None else None
        # Jinja's async variants take an eval_ctx that their signature does not name
        first = next(iter(signature.parameters), "") if signature is not None else ""
        unnamed = passes and first not in ("context", "eval_ctx", "environment", "env")
        limits = self.limits

        @functools.wraps(func)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            limits.check_time()
            values = args[1:] if passes else args
            for value in (*values, *kwargs.values()):
                self.refuse(f"the filter {name}", self.size(value), "check the values passed")
            if name in ("join", "sum") and values and not isinstance(values[0], Sized):
                at = 1 if passes else 0
                args = (*args[:at], tuple(args[at]), *args[at + 1 :])
            if estimate is not None and signature is not None:
                try:
                    bound = signature.bind(*(args[1:] if unnamed else args), **kwargs)
                except TypeError:  # the filter itself will say what is wrong
                    pass
                else:
                    bound.apply_defaults()
                    estimate(self, bound.arguments)
            return self.result(func(*args, **kwargs), f"the filter {name}")

        return guarded


# ---------------------------------------------------------------- estimates


def _whole(value: object) -> bool:
    return type(value) is int


def _items(value: Any) -> list[Any] | tuple[Any, ...] | set[Any] | frozenset[Any]:
    """What a container holds: a dict's keys and values, or a list's items."""
    if isinstance(value, dict):
        return [*value.keys(), *value.values()]
    return value  # type: ignore[no-any-return]


def _flat_size(items: list[Any] | tuple[Any, ...] | set[Any] | frozenset[Any]) -> int | None:
    """The size of a container of plain strings, or of plain numbers, worked out at C speed
    (None for anything else)."""
    kinds = set(map(type, items))
    if kinds <= {str, Markup}:
        empty = items.count("") if isinstance(items, list | tuple) else int("" in items)
        return sum(map(len, items)) + empty
    if kinds <= _FLAT:
        return len(items)
    if kinds <= {int, bool}:
        return int(sum(map(int.bit_length, items)) * 0.30103) + len(items)
    return None


def _text_size(guard: ValueGuard, value: Any) -> int:
    return len(value) if isinstance(value, str) else guard.size(value)


def _count(value: object, default: int = 0) -> int:
    """A whole-number argument, as a count (0 for anything else)."""
    return value if _whole(value) else default  # type: ignore[return-value]


_WIDTH_NUMBERS = re.compile(r"[0-9]+")
_PRINTF = re.compile(
    r"%(?:\((?P<key>[^)]*)\))?[#0 +\-]*(?P<width>\*|[0-9]+)?(?:\.(?P<precision>\*|[0-9]+))?"
    r"[hlL]?(?P<kind>.)",
    re.DOTALL,
)
_HUGE = 1 << 62


def _number_text(text: str) -> int:
    return int(text) if len(text) < 16 else _HUGE


def _printf_size(guard: ValueGuard, fmt: str, values: Any) -> int:
    """About how long ``fmt % values`` would be: the format, each field's width and
    precision, and each value written."""
    mapping = values if isinstance(values, Mapping) else None
    given = list(values) if isinstance(values, tuple) else [values]
    total, at = len(fmt), 0
    for field in _PRINTF.finditer(fmt):
        if field["kind"] == "%":
            continue
        for part in (field["width"], field["precision"]):
            if part == "*":
                total += abs(_count(given[at] if at < len(given) else 0))
                at += 1
            elif part:
                total += _number_text(part)
        if field["key"] is not None and mapping is not None:
            value = mapping.get(field["key"])
        else:
            value, at = (given[at] if at < len(given) else None), at + 1
        total += guard.size(value) * (4 if field["kind"] in "ra" else 1)
    return total


def _format_size(guard: ValueGuard, fmt: str, *args: Any, **kwargs: Any) -> int:
    """About how long ``fmt.format(*args, **kwargs)`` would be."""
    total, auto = len(fmt), 0
    for _, field, spec, conversion in string.Formatter().parse(fmt):
        if field is None:
            continue
        root = re.match(r"[^.\[]*", field)
        name = root.group() if root else ""
        if name == "":
            value, auto = (args[auto] if auto < len(args) else None), auto + 1
        elif name.isdigit():
            value = args[int(name)] if int(name) < len(args) else None
        else:
            value = kwargs.get(name)
        total += guard.size(value) * (4 if conversion in ("r", "a") else 1)
        for _, inner, _, _ in string.Formatter().parse(spec or ""):
            if inner is not None:  # a width given as a field: {:{width}}
                given = kwargs.get(inner) if inner and not inner.isdigit() else None
                if inner == "" and auto < len(args):
                    given, auto = args[auto], auto + 1
                elif inner.isdigit() and int(inner) < len(args):
                    given = args[int(inner)]
                total += abs(_count(given))
        total += sum(_number_text(n) for n in _WIDTH_NUMBERS.findall(spec or ""))
    return total


def _replace_size(guard: ValueGuard, s: Any, old: Any, new: Any, count: Any = -1) -> int:
    if not isinstance(s, str) or not isinstance(old, str) or not isinstance(new, str):
        return _text_size(guard, s)
    found = len(s) + 1 if old == "" else s.count(old)
    if _whole(count) and count >= 0:
        found = min(found, count)
    return len(s) + found * max(0, len(new) - len(old))


def _join_size(guard: ValueGuard, sep: Any, items: Any) -> int:
    if not isinstance(items, Sized):
        return 0
    return guard.size(items) + _text_size(guard, sep) * len(items)


def _padded_size(guard: ValueGuard, s: Any, width: Any = 0, *rest: Any) -> int:
    return max(_text_size(guard, s), _count(width))


def _tabs_size(guard: ValueGuard, s: Any, tabsize: Any = 8) -> int:
    tabs = s.count("\t") if isinstance(s, str) else s.count(b"\t") if isinstance(s, bytes) else 0
    return _text_size(guard, s) + tabs * max(0, _count(tabsize, 8))


def _translate_size(guard: ValueGuard, s: Any, table: Any, *rest: Any) -> int:
    longest = 1
    if isinstance(table, Mapping):
        longest = max((guard.size(v) for v in table.values()), default=1)
    return _text_size(guard, s) * max(1, longest)


def _extend_size(guard: ValueGuard, receiver: Any, *args: Any, **kwargs: Any) -> int:
    added = sum(guard.size(a) for a in (*args, *kwargs.values()))
    return guard.size(receiver) + added


def _fromkeys_size(guard: ValueGuard, receiver: Any, keys: Any, value: Any = None) -> int:
    n = len(keys) if isinstance(keys, Sized) else 0
    return guard.size(keys) + n * max(1, guard.size(value))


def _lipsum_size(
    guard: ValueGuard, receiver: Any, n: Any = 5, html: Any = True, min: Any = 20, max: Any = 100
) -> int:
    return _count(n, 5) * builtins.max(_count(max, 100), _count(min, 20)) * 12


_Estimate = Callable[..., int]
_RECEIVERS = (str, bytes, list, dict, type)
_READS_WHOLE = frozenset({"join", "extend", "fromkeys"})
_METHODS: dict[str, _Estimate] = {
    "center": _padded_size,
    "ljust": _padded_size,
    "rjust": _padded_size,
    "zfill": _padded_size,
    "expandtabs": _tabs_size,
    "replace": _replace_size,
    "join": _join_size,
    "format": _format_size,
    "format_map": lambda guard, fmt, mapping=None: _format_size(
        guard, fmt, **(mapping if isinstance(mapping, Mapping) else {})
    ),
    "translate": _translate_size,
    "extend": _extend_size,
    "append": _extend_size,
    "insert": _extend_size,
    "update": _extend_size,
    "setdefault": _extend_size,
    "fromkeys": _fromkeys_size,
}
"""Methods whose result (or whose list or dict, after) can be much larger than what they
are given: an estimate of that size from the receiver and the arguments."""


def _filter_center(guard: ValueGuard, a: dict[str, Any]) -> None:
    guard.refuse(
        "the filter center", _padded_size(guard, a["value"], a["width"]), "check its width"
    )


def _filter_indent(guard: ValueGuard, a: dict[str, Any]) -> None:
    s, width = a["s"], a["width"]
    lines = s.count("\n") + 1 if isinstance(s, str) else 1
    each = len(width) if isinstance(width, str) else _count(width)
    guard.refuse("the filter indent", _text_size(guard, s) + lines * each, "check its width")


def _filter_wordwrap(guard: ValueGuard, a: dict[str, Any]) -> None:
    s, width, wrap = a["s"], _count(a["width"], 79), a["wrapstring"]
    size = _text_size(guard, s)
    if isinstance(s, str):
        lines = size // max(1, width) + s.count(" ") + s.count("\n") + 1
    else:
        lines = size + 1
    each = len(wrap) if isinstance(wrap, str) else 1
    guard.refuse("the filter wordwrap", size + lines * each, "check its width and wrapstring")


def _filter_format(guard: ValueGuard, a: dict[str, Any]) -> None:
    value = a["value"]
    if isinstance(value, str):
        values = a["kwargs"] or a["args"]
        guard.refuse("the filter format", _printf_size(guard, value, values), "check its widths")


def _filter_join(guard: ValueGuard, a: dict[str, Any]) -> None:
    guard.refuse("the filter join", _join_size(guard, a["d"], a["value"]), "check what is joined")


def _filter_replace(guard: ValueGuard, a: dict[str, Any]) -> None:
    count = a["count"] if a["count"] is not None else -1
    size = _replace_size(guard, a["s"], a["old"], a["new"], count)
    guard.refuse("the filter replace", size, "check what replaces what")


def _filter_batch(guard: ValueGuard, a: dict[str, Any]) -> None:
    fill = a["fill_with"]
    padding = 0 if fill is None else _count(a["linecount"]) * max(1, guard.size(fill))
    guard.refuse("the filter batch", guard.size(a["value"]) + padding, "check its line count")


def _filter_slice(guard: ValueGuard, a: dict[str, Any]) -> None:
    slices, fill = _count(a["slices"]), a["fill_with"]
    padding = 0 if fill is None else slices * max(1, guard.size(fill))
    size = guard.size(a["value"]) + slices + padding
    guard.refuse("the filter slice", size, "check its number of slices")


def _filter_sum(guard: ValueGuard, a: dict[str, Any]) -> None:
    iterable, start = a["iterable"], a["start"]
    if isinstance(start, list | tuple) and isinstance(iterable, Sized) and guard.max_size:
        # lists are added one at a time: each addition copies all the items so far
        copies = len(iterable) * guard.size(iterable) // 2 + guard.size(start)
        if copies > 10 * guard.max_size:
            raise TemplateLimitError(
                f"refused: the filter sum would copy about {copies:,} items to add these lists "
                "one at a time, more than a template may; add fewer lists, or shorter ones"
            )


def _filter_round(guard: ValueGuard, a: dict[str, Any]) -> None:
    precision = _count(a["precision"])
    guard.refuse_digits("the filter round", abs(precision), "check its precision")


_FILTERS: dict[str, Callable[[ValueGuard, dict[str, Any]], None]] = {
    "center": _filter_center,
    "indent": _filter_indent,
    "wordwrap": _filter_wordwrap,
    "format": _filter_format,
    "join": _filter_join,
    "replace": _filter_replace,
    "batch": _filter_batch,
    "slice": _filter_slice,
    "sum": _filter_sum,
    "round": _filter_round,
}
"""Filters whose result a number sizes: a check, before the filter runs, of that size."""
