"""The sandbox specification templates run in: errors at the template's line, run-time limits
on time, on text made and on the size of every value.

A template's errors (syntax, undefined names, Python internals, its own runtime errors)
name its file and line; a runaway template is stopped at its line. The limits are made
small here (a fraction of a second, a few thousand characters), so that every runaway
template fails quickly.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import math
import time
from pathlib import Path
from typing import Any

import pytest
from jinja2.sandbox import SandboxedEnvironment

import careprofiles.cli.spec
from careprofiles.cli import main
from careprofiles.costing.result import CostResult
from careprofiles.errors import CareProfilesError, Problem, TemplateError
from careprofiles.profiles.models import Pathway
from careprofiles.specification.render import render_spec, render_template
from careprofiles.specification.sandbox import (
    LIMIT_CODE,
    TEMPLATE_MAX_CHARS,
    TEMPLATE_TIMEOUT,
    run_template,
)

TEMPLATES = Path(__file__).resolve().parents[1] / "data" / "templates"

TIMEOUT = 1.0
"""Seconds: the time limit the tests set (long enough that a loaded machine still compiles
and starts a template within it: at 0.3 s a busy CI machine passed it on the first line)."""

LOOPS = "look for a loop that runs far more often than meant"
STOPPED = (
    f"stopped after {TIMEOUT:g} seconds, the longest a template may run; {LOOPS}, or a macro "
    "that calls itself"
)


def _write(tmp_path: Path, text: str, name: str = "runaway.md.j2") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _fails(path: Path, context: dict[str, Any] | None = None, **limits: Any) -> str:
    """The message of the TemplateError rendering ``path`` raises, which must come quickly."""
    start = time.monotonic()
    with pytest.raises(TemplateError) as caught:
        render_template(path, context or {}, **limits)
    assert time.monotonic() - start < TIMEOUT + 5
    return str(caught.value)


def _lines(*lines: str) -> str:
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("template", "where", "message"),
    [
        ("syntax-error.md.j2", "syntax-error.md.j2:4", "template syntax error: unexpected '}'"),
        (
            "undefined-name.md.j2",
            "undefined-name.md.j2:6",
            "'stagez' is undefined; did you mean 'stages'?",
        ),
        (
            "undefined-key.md.j2",
            "undefined-key.md.j2:3",
            "there is no 'nmae' here; did you mean 'name'?",
        ),
        (
            "sandbox-escape.md.j2",
            "sandbox-escape.md.j2:3",
            "refused: access to attribute '__class__'",
        ),
        ("sandbox-format.md.j2", "sandbox-format.md.j2:3", "refused: "),
        (
            "missing-include.md.j2",
            "missing-include.md.j2:3",
            "template 'no-such-part.md.j2' not found",
        ),
        ("runtime-error.md.j2", "runtime-error.md.j2:5", "ZeroDivisionError"),
        ("outer.md.j2", "_inner-broken.md.j2:3", "there is no 'no_such_figure' here"),
    ],
)
def test_template_errors_name_the_template_file_and_line(
    default_pathway: Pathway, default_cost: CostResult, template: str, where: str, message: str
) -> None:
    with pytest.raises(TemplateError) as caught:
        render_spec(default_pathway, default_cost, template=TEMPLATES / template)
    assert isinstance(caught.value, ValueError)
    assert isinstance(caught.value, CareProfilesError)
    (problem,) = caught.value.problems
    assert f"{problem.file}:{problem.line}".endswith(where)
    assert message in problem.message
    assert str(caught.value).endswith(problem.message)


def test_sandbox_refuses_python_internals_in_a_string_template(tmp_path: Path) -> None:
    template = tmp_path / "escape.md.j2"
    template.write_text("{{ cycler.__init__.__globals__ }}\n", encoding="utf-8")
    with pytest.raises(TemplateError, match=r"escape\.md\.j2:1: refused"):
        render_template(template, {})


def test_included_templates_are_looked_for_in_the_search_folders_in_order(
    tmp_path: Path,
) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    main = _write(first, "{% include 'part.md.j2' %}\n", "main.md.j2")
    _write(first, "first {{ x }}\n", "part.md.j2")
    _write(second, "second\n", "part.md.j2")
    assert run_template(main, [first, second], {"x": 1}) == "first 1\n"
    assert run_template(main, [second, first], {"x": 1}) == "second\n"
    needs = _write(first, "{% include 'elsewhere.md.j2' %}\n", "needs.md.j2")
    _write(second, "found\n", "elsewhere.md.j2")
    assert run_template(needs, [first, second], {}) == "found\n"
    with pytest.raises(TemplateError, match=r"needs\.md\.j2:1: template 'elsewhere\.md\.j2'"):
        run_template(needs, [first], {})


def test_html_templates_are_autoescaped(tmp_path: Path) -> None:
    context = {"x": "<b>&</b>"}
    page = _write(tmp_path, "{{ x }}\n", "page.html.j2")
    assert run_template(page, [tmp_path], context) == "&lt;b&gt;&amp;&lt;/b&gt;\n"
    text = _write(tmp_path, "{{ x }}\n", "text.md.j2")
    assert run_template(text, [tmp_path], context) == "<b>&</b>\n"


# ---------------------------------------------------------------- limits


NESTED_RANGES = _lines(
    "# A specification",
    "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
)
"""10^10 turns of an empty loop: hours."""

TEN = "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]"
NESTED_LISTS = _lines(
    "{% for a in " + TEN + " %}{% for b in " + TEN + " %}{% for c in " + TEN + " %}",
    "{% for d in " + TEN + " %}{% for e in " + TEN + " %}{% for f in " + TEN + " %}",
    "{% for g in " + TEN + " %}{% for h in " + TEN + " %}{% for i in " + TEN + " %}",
    "{% endfor %}{% endfor %}{% endfor %}{% endfor %}{% endfor %}{% endfor %}",
    "{% endfor %}{% endfor %}{% endfor %}",
)
"""10^9 turns over literal lists, no range() and no output."""

CONTEXT_LOOPS = _lines(
    "{% for a in stages %}{% for b in stages %}{% for c in stages %}{% for d in stages %}",
    "{% for e in stages %}{% for f in stages %}{% for g in stages %}{% for h in stages %}",
    "{{ a }}{% endfor %}{% endfor %}{% endfor %}{% endfor %}",
    "{% endfor %}{% endfor %}{% endfor %}{% endfor %}",
)
"""40^8 turns over a list from the context."""

RECURSION = _lines(
    "Intro",
    "{% macro halves(n) %}{% if n %}{{ halves(n - 1) }}{{ halves(n - 1) }}{% endif %}"
    "{% endmacro %}",
    "{{ halves(60) }}",
)
"""2^60 macro calls, no loop at all."""


@pytest.mark.parametrize(
    ("text", "line"),
    [(NESTED_RANGES, 2), (NESTED_LISTS, 3), (CONTEXT_LOOPS, 3), (RECURSION, 2)],
    ids=["ranges", "literal-lists", "context-lists", "recursive-macro"],
)
def test_a_template_that_runs_too_long_is_stopped_at_its_line(
    tmp_path: Path, text: str, line: int
) -> None:
    path = _write(tmp_path, text)
    context = {"stages": [str(n) for n in range(40)]}
    message = _fails(path, context, timeout=TIMEOUT, max_chars=None)
    assert message == f"{path}:{line}: {STOPPED}"


def test_a_template_that_writes_too_much_is_stopped_at_its_line(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        _lines(
            "# Title", "{% for i in range(100000) %}", "{{ i }}: {{ 'x' * 100 }}", "{% endfor %}"
        ),
    )
    message = _fails(path, max_chars=10_000, timeout=None)
    assert message == (
        f"{path}:3: stopped: the template wrote more than 10,000 characters, the most a "
        f"template may write; {LOOPS}"
    )
    text, _ = render_template(path, {}, max_chars=None, timeout=None)  # no limit
    assert len(text) > 10_000_000


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        (
            "'x' * 10 ** 12",
            "refused: * would make a value 1,000,000,000,000 long, longer than the "
            "1,000 characters a template may write; check the numbers either side of *",
        ),
        (
            "10 ** 12 * [0]",
            "refused: * would make a value 1,000,000,000,000 long, longer than the "
            "1,000 characters a template may write; check the numbers either side of *",
        ),
        (
            "10 ** 1000000",
            "refused: 10 ** 1000000 is too large a number for a template to make; check the "
            "numbers either side of **",
        ),
    ],
)
def test_a_value_too_large_to_make_is_refused_before_it_is_made(
    tmp_path: Path, expression: str, message: str
) -> None:
    # one operation in C, which no time limit could stop: it would fill the memory or
    # run for hours
    path = _write(tmp_path, _lines("Intro", "{{ " + expression + " }}"))
    assert _fails(path, max_chars=1_000, timeout=None) == f"{path}:2: {message}"


ORDINARY = _lines(
    "{% for s in stages %}{{ loop.index }}/{{ loop.length }} {{ s }}"
    "{% if loop.last %} (last){% endif %}{{ loop.cycle(',', ';') }}{% endfor %}",
    "{% for s in [] %}never{% else %}empty{% endfor %}",
    "{% for s in stages if s != 'b' %}{{ s }}{% endfor %}",
    "{% for k, v in {'x': 1, 'y': 2}.items() %}{{ k }}={{ v }}{% if not loop.last %}, "
    "{% endif %}{% endfor %}",
    "{% for node in tree recursive %}{{ node.n }}{% if node.kids %}({{ loop(node.kids) }})"
    "{% endif %}{% endfor %}",
    "{{ 2 ** 10 }} {{ 2 ** -2 }} {{ 1.5 ** 2 }} {{ 'ab' * 3 }} {{ 3 * [1] }} {{ 6 * 7 }}",
    "{% for c in 'xyz' %}{{ c }}{% endfor %} {{ range(5) | list | length }}",
    "{% set ns = namespace(total=0) %}{% for i in range(300) %}{% set ns.total = ns.total + i %}"
    "{% endfor %}{{ ns.total }}",
)


def test_the_limits_change_nothing_in_an_ordinary_template(tmp_path: Path) -> None:
    path = _write(tmp_path, ORDINARY)
    context = {
        "stages": ["a", "b", "c"],
        "tree": [{"n": 1, "kids": [{"n": 2, "kids": []}]}, {"n": 3, "kids": []}],
    }
    text, html = render_template(path, context, timeout=TIMEOUT, max_chars=10_000)
    plain = SandboxedEnvironment(
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True
    ).from_string(ORDINARY)
    assert text == plain.render(context)
    assert text == (
        "1/3 a,2/3 b;3/3 c (last),emptyacx=1, y=21(2)31024 0.25 2.25 ababab [1, 1, 1] 42\n"
        "xyz 5\n44850\n"
    )
    assert not html


def test_an_undefined_loop_sequence_is_still_reported_at_its_line(tmp_path: Path) -> None:
    path = _write(tmp_path, _lines("Intro", "{% for s in stagez %}{{ s }}{% endfor %}"))
    assert _fails(path).startswith(f"{path}:2: 'stagez' is undefined; did you mean 'stages'?")


def test_the_default_limits_are_documented_and_render_spec_passes_them_on(
    tmp_path: Path, default_pathway: Pathway, default_cost: CostResult
) -> None:
    assert TEMPLATE_TIMEOUT == 30
    assert TEMPLATE_MAX_CHARS == 10_000_000
    for function in (render_spec, render_template, run_template):
        parameters = inspect.signature(function).parameters
        assert parameters["timeout"].default == TEMPLATE_TIMEOUT
        assert parameters["max_chars"].default == TEMPLATE_MAX_CHARS
        assert parameters["timeout"].kind is inspect.Parameter.KEYWORD_ONLY
    docs = (Path(__file__).resolve().parents[2] / "docs" / "templates.md").read_text("utf-8")
    assert "30 seconds" in docs
    assert "10,000,000 characters" in docs
    path = _write(tmp_path, NESTED_RANGES)
    stopped = rf"runaway\.md\.j2:2: stopped after {TIMEOUT:g} seconds"
    with pytest.raises(TemplateError, match=stopped):
        render_spec(default_pathway, default_cost, path, timeout=TIMEOUT)
    with pytest.raises(TemplateError, match="wrote more than 1,000 characters"):
        render_spec(default_pathway, default_cost, format="docx", max_chars=1_000)
    spec = render_spec(default_pathway, default_cost, timeout=None, max_chars=None)
    assert spec == render_spec(default_pathway, default_cost)


@pytest.mark.parametrize(
    ("limits", "message"),
    [
        ({"timeout": 0}, "timeout must be a number of seconds above 0, or None; not 0"),
        ({"timeout": -1.5}, "timeout must be a number of seconds above 0, or None; not -1.5"),
        ({"timeout": math.nan}, "timeout must be a number of seconds above 0, or None; not nan"),
        ({"max_chars": 0}, "max_chars must be a whole number above 0, or None; not 0"),
        ({"max_chars": True}, "max_chars must be a whole number above 0, or None; not True"),
    ],
)
def test_a_limit_that_is_not_above_zero_is_refused(
    tmp_path: Path, limits: dict[str, Any], message: str
) -> None:
    path = _write(tmp_path, "Intro\n")
    with pytest.raises(ValueError, match=f"^{message}$"):
        render_template(path, {}, **limits)


WRITES_TOO_MUCH = _lines(
    "# {{ document.title }}",
    "{% for i in range(100000) %}",
    "{{ 'x' * 200 }}",
    "{% endfor %}",
)
"""20,000,000 characters: over the default limit of 10,000,000, in well under a second."""


@pytest.mark.parametrize("ext", ["md", "docx"])
def test_cli_stops_a_runaway_template_without_traceback_or_output(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    ext: str,
) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    big = _write(templates, WRITES_TOO_MUCH, "big.md.j2")
    slow = _write(templates, NESTED_RANGES, "slow.md.j2")
    out = tmp_path / "out"
    out.mkdir()
    target = out / f"spec.{ext}"
    assert main(["spec", "--template", str(big), "-o", str(target)]) == 1
    err = capsys.readouterr().err
    assert "big.md.j2:3: stopped: the template wrote more than 10,000,000 characters" in err
    assert "Traceback" not in err
    assert list(out.iterdir()) == []  # no output, no temporary file left behind
    # the command line has no option for the time limit: the default, made small here
    quick = functools.partial(render_spec, timeout=TIMEOUT)
    monkeypatch.setattr(careprofiles.cli.spec, "render_spec", quick)
    assert main(["spec", "--template", str(slow), "-o", str(target)]) == 1
    err = capsys.readouterr().err
    assert f"slow.md.j2:2: {STOPPED}" in err
    assert "Traceback" not in err
    assert list(out.iterdir()) == []


# ---------------------------------------------------------------- values too large to make


def _limit_problem(path: Path, **limits: Any) -> Problem:
    """The one problem the template at ``path`` is stopped with, which must come quickly."""
    start = time.monotonic()
    with pytest.raises(TemplateError) as caught:
        render_template(path, {}, **limits)
    assert time.monotonic() - start < 5
    (problem,) = caught.value.problems
    assert problem.code == LIMIT_CODE
    assert problem.file == str(path)
    return problem


ISSUE_BOMBS = {
    "power-then-squares": (
        _lines("{% set x = 7 ** 35000 %}", *["{% set x = x * x %}"] * 13, "{{ x % 10 }}"),
        2,
        "refused: * would make a number of about 59,157 digits, more than the 30,000 a "
        "template may make; check the numbers either side of *",
    ),
    "center": (
        _lines("Intro", "{{ 'a' | center(3000000000) }}"),
        2,
        "refused: the filter center would make a value 3,000,000,000 long, longer than the "
        "10,000,000 characters a template may write; check its width",
    ),
    "list-plus": (
        _lines(
            "{% set ns = namespace(items=[0] * 1000000) %}",
            "{% for i in range(100) %}",
            "{% set ns.items = ns.items + ns.items %}",
            "{% endfor %}",
        ),
        3,
        "refused: + would make a value 16,000,000 long, longer than the 10,000,000 characters "
        "a template may write; check what is added",
    ),
    "concat": (
        _lines(
            "{% set ns = namespace(text='x' * 1000000) %}",
            "{% for i in range(100) %}{% set ns.text = ns.text ~ ns.text %}{% endfor %}",
        ),
        2,
        "refused: ~ would make a value 16,000,000 long, longer than the 10,000,000 characters "
        "a template may write; check the values joined",
    ),
}
"""The template bombs of issue 16, each stopped at its line with the default limits."""


@pytest.mark.parametrize("bomb", ISSUE_BOMBS, ids=list(ISSUE_BOMBS))
def test_the_template_bombs_stop_within_their_limits(tmp_path: Path, bomb: str) -> None:
    text, line, message = ISSUE_BOMBS[bomb]
    problem = _limit_problem(_write(tmp_path, text))
    assert (problem.line, problem.message) == (line, message)


MAKERS = [
    # (making more than 1,000 characters, what is refused, the same making little)
    ("'ab' * 1000", "*", "'ab' * 10"),
    ("[[0] * 40] * 40", "*", "[[0] * 4] * 4"),  # 1,600 items: what a list holds counts
    ("10 ** 20000 * 10 ** 20000", "*", "10 ** 20 * 10 ** 20"),  # over 30,000 digits
    ("'x' * 600 + 'y' * 600", "+", "'x' + 'y'"),
    ("[0] * 600 + [1] * 600", "+", "[0] + [1]"),
    ("'x' * 600 ~ 'y' * 600", "~", "'x' ~ 'y'"),
    ("'%2000s' % 'x'", "%", "'%5s' % 'x'"),
    ("'%*d' % (2000, 1)", "%", "'%*d' % (5, 1)"),
    ("'%(a)s%(a)s%(a)s' % {'a': 'x' * 500}", "%", "'%(a)s%(a)s' % {'a': 'x'}"),
    ("'x' | center(2000)", "the filter center", "'x' | center(5)"),
    ("('a\\n' * 100) | indent(30)", "the filter indent", "'a\\nb' | indent(2)"),
    (
        "('ab ' * 100) | wordwrap(1, wrapstring='-' * 10)",
        "the filter wordwrap",
        "'ab cd' | wordwrap(2)",
    ),
    ("'%2000s' | format('x')", "the filter format", "'%5s' | format('x')"),
    ("'%*s' | format(2000, 'x')", "the filter format", "'%*s' | format(3, 'x')"),
    ("range(100) | join('x' * 20)", "the filter join", "range(3) | join(', ')"),
    (
        "range(100) | map('string') | join('x' * 20)",
        "the filter join",
        "range(3) | map('string') | join",
    ),
    ("('x' * 10) | replace('', 'y' * 200)", "the filter replace", "'xx' | replace('', '-')"),
    ("('x' * 100) | replace('x', 'y' * 20)", "the filter replace", "'xx' | replace('x', 'yy')"),
    ("[1] | batch(2000, 0) | list", "the filter batch", "[1, 2, 3] | batch(2, 0) | list"),
    ("[1] | slice(2000) | list", "the filter slice", "[1, 2, 3] | slice(2) | list"),
    ("1.5 | round(1000000, 'floor')", "the filter round", "1.55 | round(1, 'floor')"),
    ("('&' * 300) | forceescape", "the filter forceescape", "'&' | forceescape"),
    ("'x'.ljust(2000)", "ljust()", "'x'.ljust(3)"),
    ("'x'.rjust(2000)", "rjust()", "'x'.rjust(3)"),
    ("'x'.center(2000)", "center()", "'x'.center(3)"),
    ("'1'.zfill(2000)", "zfill()", "'1'.zfill(3)"),
    ("('\\t' * 10).expandtabs(200)", "expandtabs()", "'a\\tb'.expandtabs(4)"),
    ("'xx'.replace('', 'y' * 600)", "replace()", "'ab'.replace('', '-')"),
    ("('x' * 20).join(range(100) | map('string'))", "join()", "'-'.join(['a', 'b'])"),
    ("'{:>2000}'.format(1)", "format()", "'{:>3}'.format(1)"),
    ("'{:>{}}'.format(1, 2000)", "format()", "'{:>{}}'.format(1, 3)"),
    ("'{0}{0}{0}'.format('x' * 500)", "format()", "'{0}{0}'.format('x')"),
    ("'{a:.2000f}'.format_map({'a': 1.5})", "format_map()", "'{a:.2f}'.format_map({'a': 1.5})"),
    ("('a' * 100).translate({97: 'x' * 100})", "translate()", "'ab'.translate({97: 'xy'})"),
    ("{}.fromkeys(range(100), 'x' * 100)", "fromkeys()", "{}.fromkeys(range(3), 0)"),
    ("lipsum(100)", "lipsum()", "lipsum(1, False, 1, 2)"),
]
"""Ways of making a large value in one operation (a string, a list or a number)."""


@pytest.mark.parametrize(
    ("expression", "what"), [m[:2] for m in MAKERS], ids=[m[0] for m in MAKERS]
)
def test_every_way_of_making_a_large_value_is_refused_before_it_is_made(
    tmp_path: Path, expression: str, what: str
) -> None:
    path = _write(tmp_path, _lines("Intro", "{% set made = " + expression + " %}"))
    problem = _limit_problem(path, max_chars=1_000, timeout=None)
    assert problem.line == 2
    assert problem.message.startswith(f"refused: {what} would make a "), problem.message


@pytest.mark.parametrize("small", [m[2] for m in MAKERS])
def test_the_same_operations_on_small_values_give_what_jinja_gives(
    tmp_path: Path, small: str
) -> None:
    text = _lines("{% set made = " + small + " %}[{{ made }}]")
    path = _write(tmp_path, text)
    made, _ = render_template(path, {}, max_chars=1_000)
    if small.startswith("lipsum"):  # random words
        assert made.startswith("[")
        assert len(made) > 3
    else:
        assert made == SandboxedEnvironment(keep_trailing_newline=True).from_string(text).render()


def test_a_value_grown_in_place_is_refused_when_written(tmp_path: Path) -> None:
    # a list held a thousand times over, made longer afterwards: writing it out would
    # make text a thousand times longer than the list
    path = _write(
        tmp_path,
        _lines(
            "{% set inner = [0] * 10 %}",
            "{% set outer = [inner] * 50 %}",
            "{% for i in range(3) %}{% set _ = inner.extend(inner) %}{% endfor %}",
            "{{ outer }}",
        ),
    )
    problem = _limit_problem(path, max_chars=1_000, timeout=None)
    assert problem.line == 4
    grown = _write(tmp_path, _lines("{% set xs = [0] * 600 %}", "{% set _ = xs.extend(xs) %}"))
    problem = _limit_problem(grown, max_chars=1_000, timeout=None)
    assert (problem.line, problem.message.split(" would")[0]) == (2, "refused: extend()")


@pytest.mark.parametrize("block", ["macro", "set", "filter"])
def test_text_made_inside_macros_and_blocks_counts(tmp_path: Path, block: str) -> None:
    # nothing is written until the block ends: the text it makes is counted as it is made
    body = (
        "{% for i in range(100000) %}{% for j in range(100000) %}"
        + "y" * 100
        + "{% endfor %}{% endfor %}"
    )
    text = {
        "macro": "{% macro m() %}" + body + "{% endmacro %}\n{% set _ = m() %}",
        "set": "{% set made %}" + body + "{% endset %}",
        "filter": "{% filter upper %}" + body + "{% endfilter %}",
    }[block]
    problem = _limit_problem(_write(tmp_path, text + "\n"), max_chars=10_000, timeout=None)
    assert problem.line == 1
    assert problem.message.startswith("stopped: the template wrote more than 10,000 characters")


def test_the_time_limit_stops_a_long_single_operation(tmp_path: Path) -> None:
    # pprint of 10,000,000 numbers runs for seconds in Python, checking no limit itself;
    # the watchdog stops it a second after the time limit, at its line
    path = _write(tmp_path, _lines("{% set xs = [[0] * 1000] * 10000 %}", "{{ xs | pprint }}"))
    start = time.monotonic()
    problem = _limit_problem(path, max_chars=None, timeout=TIMEOUT)
    assert time.monotonic() - start < TIMEOUT + 3
    assert (problem.line, problem.message) == (2, STOPPED)


def test_the_watchdog_never_strikes_after_the_render(tmp_path: Path) -> None:
    # renders that end just before their time is up: nothing may be raised later
    path = _write(tmp_path, _lines("{% for i in range(3000) %}{{ i }}{% endfor %}"))
    for _ in range(30):
        with contextlib.suppress(TemplateError):
            render_template(path, {}, timeout=0.002)
        deadline = time.monotonic() + 0.01
        while time.monotonic() < deadline:  # Python code the exception could land in
            sum(range(100))


def test_cli_refuses_a_template_bomb_at_its_line_without_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bomb = _write(tmp_path, ISSUE_BOMBS["center"][0], "bomb.md.j2")
    target = tmp_path / "out" / "spec.md"
    target.parent.mkdir()
    assert main(["spec", "--template", str(bomb), "-o", str(target)]) == 1
    err = capsys.readouterr().err
    assert "bomb.md.j2:2: refused: the filter center would make a value 3,000,000,000 long" in err
    assert "Traceback" not in err
    assert list(target.parent.iterdir()) == []


def test_an_error_in_a_shipped_template_names_it_never_by_its_path(tmp_path: Path) -> None:
    from careprofiles.specification.loader import TEMPLATE_DIR
    from careprofiles.specification.sandbox import template_problem

    shipped = TEMPLATE_DIR / "nhs-service-specification.md.j2"
    error = template_problem(shipped, 12, "something is wrong")
    assert str(error).startswith("bundled template nhs-service-specification.md.j2:12: ")
    assert str(TEMPLATE_DIR) not in str(error)
    own = tmp_path / "mine.md.j2"
    own.write_text("x", encoding="utf-8")
    assert "mine.md.j2:3" in str(template_problem(own, 3, "wrong"))
