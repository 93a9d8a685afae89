"""Figures and tables as text (``careprofiles.outputs.text``): money, numbers, percentages,
Markdown escaping, plain-text and Markdown tables."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import parse_html
from hypothesis import example, given, settings, strategies as st

from careprofiles.outputs.documents import markdown_to_html_fragment
from careprofiles.outputs.text import (
    format_money,
    format_number,
    format_percent,
    is_missing,
    markdown_escape,
    markdown_table,
    money_label,
    money_ticks,
    text_table,
)

# ---------------------------------------------------------------- money


def test_format_money_whole_pounds_pence_negative_and_missing() -> None:
    assert format_money(1234.4) == "£1,234"
    assert format_money(1234.567, pence=True) == "£1,234.57"
    assert format_money(-12) == "-£12"
    assert format_money(np.float64(2.5), pence=True) == "£2.50"
    assert format_money(None) == "-"
    assert format_money(math.nan, pence=True) == "-"


def test_format_money_plus_marks_a_difference_above_zero() -> None:
    assert format_money(12.5, pence=True, plus=True) == "+£12.50"
    assert format_money(-3, pence=True, plus=True) == "-£3.00"
    assert format_money(0, pence=True, plus=True) == "£0.00"
    assert format_money(None, plus=True) == "-"
    assert format_money(math.nan, plus=True) == "-"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0, "£0"),
        (12.5, "£12.50"),
        (1234.4, "£1,234"),
        (-5000, "-£5,000"),
        (3_810_000, "£3.81m"),
        (2.5e9, "£2.5bn"),
    ],
)
def test_money_label(value: float, text: str) -> None:
    assert money_label(value) == text


def test_money_ticks_keep_one_style_for_the_axis() -> None:
    small, thousands, millions = money_ticks(1_500), money_ticks(50_000), money_ticks(3e6)
    assert [small(x) for x in (0, 250, 1_500, -500, 12.5)] == [
        "£0",
        "£250",
        "£1,500",
        "-£500",
        "£12.5",
    ]
    assert [thousands(x) for x in (0, 20_000, 25_500)] == ["£0", "£20k", "£25.5k"]
    assert [millions(x) for x in (1e6, 1.5e6, 2.25e6)] == ["£1m", "£1.5m", "£2.25m"]


# ---------------------------------------------------------------- numbers


def test_missing_figures() -> None:
    assert is_missing(None)
    assert is_missing(math.nan)
    assert is_missing(np.float64(math.inf))
    assert not is_missing(0.0)
    assert not is_missing("text")
    assert not is_missing(False)


def test_format_number_fixed_and_trimmed() -> None:
    assert format_number(1781.25) == "1,781"
    assert format_number(1781.25, 1) == "1,781.2"
    assert format_number(2, 2) == "2.00"
    assert format_number(None, 2) == "-"
    assert format_number(math.nan) == "-"
    assert format_number(1781.0, 2, trim=True) == "1,781"
    assert format_number(2.5, 2, trim=True) == "2.5"
    assert format_number(0.125, 3, trim=True) == "0.125"
    assert format_number(0.125, 2, trim=True) == "0.12"
    assert format_number(-0.001, 2, trim=True) == "0"
    assert format_number(math.inf, 2, trim=True) == "-"


def test_format_percent_fixed_and_trimmed() -> None:
    assert format_percent(0.65) == "65%"
    assert format_percent(0.04, 1) == "4.0%"
    assert format_percent(0.1234, 1) == "12.3%"
    assert format_percent(None) == "-"
    assert format_percent(math.nan, 1) == "-"
    assert format_percent(0.65, 1, trim=True) == "65%"
    assert format_percent(0.6504, 1, trim=True) == "65%"
    assert format_percent(0.125, 1, trim=True) == "12.5%"
    assert format_percent(0.1294, 1, trim=True) == "12.9%"


# ---------------------------------------------------------------- Markdown


def test_markdown_escape_keep_markup_escapes_only_what_breaks_a_cell() -> None:
    assert markdown_escape("a | *b*\n_c_", keep_markup=True) == "a \\| *b* _c_"
    assert markdown_escape("a | *b*\n_c_") == "a \\| \\*b\\* \\_c\\_"


_TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Co", "Cn", "Zl", "Zp")),
    max_size=40,
)


@settings(max_examples=300, deadline=None)
@given(_TEXT)
def test_escaped_text_shows_exactly_as_written_in_a_table_cell(text: str) -> None:
    fragment = markdown_to_html_fragment(f"| a | b |\n|---|---|\n| {markdown_escape(text)} | x |\n")
    table = parse_html(fragment).tables
    assert len(table) == 1
    assert len(table[0]) == 2
    assert table[0][1] == [" ".join(text.split()), "x"]


@settings(max_examples=300, deadline=None)
@given(_TEXT)
def test_escaped_text_is_one_plain_paragraph(text: str) -> None:
    fragment = markdown_to_html_fragment(f"Before {markdown_escape(text)} after\n")
    parsed = parse_html(fragment)
    assert [t for t, _ in parsed.tags] == ["p"]
    assert " ".join("".join(parsed.text).split()) == " ".join(f"Before {text} after".split())


_MARKUP = st.sampled_from(
    [
        "# ",
        "## ",
        "> ",
        "- ",
        "+ ",
        "* ",
        "1. ",
        "2) ",
        "---",
        "===",
        "***",
        "```",
        "~~~",
        "    ",
        "<div>",
        "<!-- ",
        "&amp;",
        "&#65;",
        "[a]: /u",
        "![i](x)",
        "|",
        "\\",
        "_",
        "__",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_MARKUP, _TEXT), max_size=6).map("".join))
@example("1. item")
@example("# heading")
@example("&amp; &#65; &copy;")
@example("---")
def test_escaped_text_starting_a_line_stays_plain_text(text: str) -> None:
    expected = " ".join(text.split())
    for before, tags in (("", ["p"]), ("- ", ["ul", "li"]), ("## ", ["h2"])):
        parsed = parse_html(markdown_to_html_fragment(f"{before}{markdown_escape(text)}\n"))
        got = " ".join("".join(parsed.text).split())
        if expected or before:
            assert [t for t, _ in parsed.tags] == tags, (before, text)
        assert got == expected


# ---------------------------------------------------------------- tables


def test_text_table_aligns_figures_right_by_default() -> None:
    table = text_table([["a", "£1,234", "x"], ["bbb", "-", "y"]], ["name", "cost", "note"])
    assert table.splitlines() == [
        "name    cost  note",
        "----  ------  ----",
        "a     £1,234  x",
        "bbb        -  y",
    ]


def test_text_table_takes_the_alignment_given() -> None:
    table = text_table([["1 (baseline)", 3], ["2", 15]], ["#", "met"], "lr")
    assert table == "#             met\n------------  ---\n1 (baseline)    3\n2              15"
    assert text_table([], ["only", "headers"]) == "only  headers\n----  -------"


def test_markdown_table_escapes_every_cell_and_aligns() -> None:
    rows = [["a|b", "£1,234", "*bold*"], ["c_", "-", "x"]]
    assert markdown_table(rows, ["name", "cost", "note"]).splitlines() == [
        "| name | cost | note |",
        "| --- | --: | --- |",
        "| a\\|b | £1,234 | \\*bold\\* |",
        "| c\\_ | \\- | x |",
    ]
    assert markdown_table(rows, ["a|", "b", "c"], "rll").splitlines()[:2] == [
        "| a\\| | b | c |",
        "| --: | --- | --- |",
    ]
    assert markdown_table([], ["x", "y"]) == "| x | y |\n| --- | --- |"
