"""The shared formatters of careprofiles.report: money, plain-text and Markdown tables."""

from __future__ import annotations

import math

import numpy as np

from careprofiles.report import _markdown_table, format_money, text_table


def test_format_money_whole_pounds_pence_negative_and_missing() -> None:
    assert format_money(1234.4) == "£1,234"
    assert format_money(1234.567, pence=True) == "£1,234.57"
    assert format_money(-12) == "-£12"
    assert format_money(np.float64(2.5), pence=True) == "£2.50"
    assert format_money(None) == "-"
    assert format_money(math.nan, pence=True) == "-"


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
    assert _markdown_table(rows, ["name", "cost", "note"]).splitlines() == [
        "| name | cost | note |",
        "| --- | --: | --- |",
        "| a\\|b | £1,234 | \\*bold\\* |",
        "| c\\_ | \\- | x |",
    ]
    assert _markdown_table(rows, ["a|", "b", "c"], "rll").splitlines()[:2] == [
        "| a\\| | b | c |",
        "| --: | --- | --- |",
    ]
    assert _markdown_table([], ["x", "y"]) == "| x | y |\n| --- | --- |"
