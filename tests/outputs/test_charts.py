"""Charts: titled, labelled, pounds on the money axis, written atomically as PNG."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from careprofiles.costing.compare import compare
from careprofiles.costing.result import CostResult
from careprofiles.costing.sensitivity import sensitivity
from careprofiles.costing.simulate import simulate
from careprofiles.errors import MissingDependencyError, OutputExistsError
from careprofiles.outputs.charts import (
    compare_plot,
    cost_plot,
    distribution_plot,
    require_matplotlib,
    tornado_plot,
    write_png,
)
from careprofiles.outputs.names import names_for
from careprofiles.outputs.text import money_label
from careprofiles.profiles.models import Pathway
from careprofiles.tariffs.tables import Tariff

SERVICE_MODELS = (
    Path(__file__).resolve().parents[2] / "examples" / "scenarios" / "service-models.yaml"
)
PNG = b"\x89PNG\r\n\x1a\n"


def _height(patch: object) -> float:
    from matplotlib.patches import Rectangle

    assert isinstance(patch, Rectangle)
    return float(patch.get_height())


def _tick_labels(axis: object) -> list[str]:
    formatter = axis.get_major_formatter()  # type: ignore[attr-defined]
    locs = axis.get_majorticklocs()  # type: ignore[attr-defined]
    return [formatter(x, i) for i, x in enumerate(locs)]


def test_cost_plot(default_cost: CostResult, tmp_path: Path) -> None:
    figure = cost_plot(default_cost)
    stage_axes, role_axes = figure.axes
    assert default_cost.pathway.name in figure.get_suptitle()
    assert "2024/25 prices" in figure.get_suptitle()
    assert stage_axes.get_ylabel() == "Cost per cohort patient"
    assert stage_axes.get_xlabel() == "Stage"
    assert role_axes.get_xlabel() == "Staff cost a year"
    assert stage_axes.get_title(loc="left")
    assert role_axes.get_title(loc="left")
    labels = _tick_labels(stage_axes.yaxis)
    assert all(t.startswith(("£", "-£")) for t in labels)
    assert "£2,000" in labels  # one style on the axis: whole pounds below £20k
    assert all(t.startswith("£") for t in _tick_labels(role_axes.xaxis))
    assert any(t.endswith("m") for t in _tick_labels(role_axes.xaxis))  # millions a year
    # one bar per stage and per role, the bars' heights being the figures
    heights = [_height(bar) for bar in stage_axes.patches]
    assert heights == pytest.approx(list(default_cost.by_stage()["per_patient"]))
    assert len(role_axes.patches) == len(default_cost.by_role())
    path = write_png(figure, tmp_path / "cost.png")
    assert path.read_bytes()[:8] == PNG


def test_compare_plot(default_pathway: Pathway, default_tariff: Tariff) -> None:
    comparison = compare(
        default_pathway,
        default_tariff,
        SERVICE_MODELS,
        ids=["night-sitting-for-half", "quarterly-mdt"],
    )
    figure = compare_plot(comparison)
    left, right = figure.axes
    assert "scenarios compared with the baseline" in figure.get_suptitle()
    assert left.get_ylabel() == "Cost per cohort patient"
    assert right.get_xlabel() == "Staff cost a year"
    (box,) = figure.legends  # one legend for both panels, below them
    legend = [t.get_text() for t in box.get_texts()]
    assert legend[0].startswith("Baseline: £17,932 per patient")
    assert any(t.startswith("Night sitting for half") for t in legend)
    stages = len(default_pathway.stages)
    assert len(left.patches) == 3 * stages
    assert all(t.startswith("£") for t in _tick_labels(left.yaxis))


def test_compare_plot_says_when_it_shows_only_the_largest_roles(
    default_pathway: Pathway, default_tariff: Tariff
) -> None:
    """The title counted the scenarios, not the roles: with 3 of 13 roles shown it said
    "by role"; it now says how many of how many."""
    comparison = compare(default_pathway, default_tariff, SERVICE_MODELS, ids=["quarterly-mdt"])
    results = [comparison.baseline] + [r for _s, r in comparison.scenarios]
    roles = len({role for r in results for role in r.by_role()["role"]})
    assert roles > 3
    _left, right = compare_plot(comparison, roles=3).axes
    assert f"(the 3 largest of {roles} roles; all in the table)" in right.get_title(loc="left")
    _left, right = compare_plot(comparison, roles=roles).axes
    assert "(by role)" in right.get_title(loc="left")


def test_compare_plot_legend_hides_nothing(
    default_pathway: Pathway, default_tariff: Tariff
) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    comparison = compare(default_pathway, default_tariff, SERVICE_MODELS)  # seven entries
    figure = compare_plot(comparison)
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    renderer = canvas.get_renderer()
    legends = [*figure.legends, *(ax.get_legend() for ax in figure.axes)]
    (legend,) = (legend for legend in legends if legend is not None)
    texts = [t.get_text() for t in legend.get_texts()]
    assert len(texts) == len(comparison.scenarios) + 1
    assert all(len(line) <= 95 for text in texts for line in text.splitlines())  # two columns
    box = legend.get_window_extent(renderer)
    # inside the figure, clear of both panels (with their ticks, labels and titles) and of
    # the footer
    page = figure.bbox
    assert page.x0 <= box.x0
    assert box.x1 <= page.x1
    assert page.y0 <= box.y0
    assert box.y1 <= page.y1
    for ax in figure.axes:
        assert not box.overlaps(ax.get_window_extent(renderer)), ax.get_title(loc="left")
        assert not box.overlaps(ax.get_tightbbox(renderer)), ax.get_title(loc="left")
    for text in figure.texts:
        assert not box.overlaps(text.get_window_extent(renderer)), text.get_text()


def test_tornado_plot(default_pathway: Pathway, default_tariff: Tariff) -> None:
    result = sensitivity(default_pathway, default_tariff)
    figure = tornado_plot(result, top=8)
    (ax,) = figure.axes
    assert ax.get_xlabel() == "Pathway cost per patient"
    labels = [t.get_text() for t in ax.get_yticklabels()]
    # largest swing at the top (the last tick), each number by its name (issue 15)
    names = names_for(default_pathway, default_tariff)
    wanted = [names.address(a) for a in result.rows["parameter"].head(8)]
    assert [t.replace("\n", " ") for t in labels[::-1]] == wanted
    assert labels[-1] == "Increasing decline · duration in weeks"
    assert "the 8 largest of" in ax.get_title(loc="left")
    assert all(t.startswith("£") for t in _tick_labels(ax.xaxis))
    assert len(ax.patches) == 16  # a low and a high bar each


def test_distribution_plot(
    default_pathway: Pathway, default_tariff: Tariff, tmp_path: Path
) -> None:
    result = simulate(default_pathway, default_tariff, 2000, 4)
    figure = distribution_plot(result)
    (ax,) = figure.axes
    assert ax.get_xlabel() == "Cost per patient"
    assert ax.get_ylabel() == "Draws"
    assert "2,000 draws" in ax.get_title(loc="left")
    box = ax.get_legend()
    assert box is not None
    legend = [t.get_text() for t in box.get_texts()]
    assert legend[0].startswith("mean £")
    assert legend[1].startswith("95% interval £")
    assert legend[2] == f"base values {money_label(result.deterministic['per_patient'])}"
    assert sum(_height(bar) for bar in ax.patches) == 2000  # every draw counted once
    total = distribution_plot(result, measure="total")
    assert total.axes[0].get_xlabel() == "Population cost a year"
    write_png(figure, tmp_path / "d.png")
    with pytest.raises(OutputExistsError, match="exists already; pass force=True"):
        write_png(figure, tmp_path / "d.png")
    write_png(figure, tmp_path / "d.png", force=True)
    assert (tmp_path / "d.png").read_bytes()[:8] == PNG
    assert [p.name for p in tmp_path.iterdir()] == ["d.png"]  # no temporary files left


def test_missing_matplotlib(monkeypatch: pytest.MonkeyPatch, default_cost: CostResult) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(MissingDependencyError, match=r"pip install 'careprofiles\[plot\]'"):
        require_matplotlib()
    with pytest.raises(MissingDependencyError):
        cost_plot(default_cost)
