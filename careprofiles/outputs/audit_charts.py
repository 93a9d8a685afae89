"""Funnel plots of areas: cost per patient, and each outcome's achievement.

A funnel plot shows each area's figure against the number of patients (or outcome
records) behind it, with 95% and 99.8% limits around the all-area figure that narrow as
the numbers grow: points outside the funnel differ by more than chance explains.
matplotlib (the ``plot`` extra) is imported only when a plot is drawn; figures are made
without pyplot, so nothing global changes and no window opens.

Imports: activity.audit (the funnel limits), outputs.charts, outputs.files, outputs.text.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from careprofiles.activity.benchmark import Z95, Z998, funnel_limits
from careprofiles.outputs.charts import require_matplotlib
from careprofiles.outputs.files import all_or_none, write_atomic
from careprofiles.outputs.text import format_money

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from careprofiles.activity.benchmark import BenchmarkResult

__all__ = [
    "FUNNEL_PER_PAGE",
    "FUNNEL_PLOT",
    "funnel_plot",
    "funnel_plot_paths",
    "funnel_plots",
    "write_funnel_plot",
]

FUNNEL_PLOT = "The funnel plot (--plot)"
"""What needs matplotlib, in the message when it is missing (:func:`require_matplotlib`)."""

_IN, _OUT95, _OUT998 = "#0072B2", "#E69F00", "#D55E00"  # Okabe-Ito
_LIMIT = "#555555"


def _panel(
    ax: Axes,
    title: str,
    n: np.ndarray[Any, Any],
    value: np.ndarray[Any, Any],
    labels: list[str],
    centre: float,
    binary: bool,
    sd: float,
    xlabel: str,
    ylabel: str,
    money: bool,
) -> None:
    ok = (n > 0) & ~np.isnan(value)
    top = max(float(n[ok].max()) if ok.any() else 1.0, 1.0) * 1.08
    grid = np.linspace(1.0, max(top, 1.0), 400)
    for z, style, name in ((Z95, "--", "95% limits"), (Z998, ":", "99.8% limits")):
        lo, hi = funnel_limits(centre, grid, z, binary, sd)
        ax.plot(grid, lo, style, color=_LIMIT, linewidth=1, label=name)
        ax.plot(grid, hi, style, color=_LIMIT, linewidth=1)
    ax.axhline(centre, color=_LIMIT, linewidth=1, label="all areas")
    lo95, hi95 = funnel_limits(centre, n, Z95, binary, sd)
    lo998, hi998 = funnel_limits(centre, n, Z998, binary, sd)
    out998 = ok & ((value < lo998) | (value > hi998))
    out95 = ok & ~out998 & ((value < lo95) | (value > hi95))
    inside = ok & ~out95 & ~out998
    for mask, colour, marker, name in (
        (inside, _IN, "o", "within 95%"),
        (out95, _OUT95, "s", "outside 95%"),
        (out998, _OUT998, "D", "outside 99.8%"),
    ):
        if mask.any():
            ax.scatter(
                n[mask], value[mask], color=colour, marker=marker, s=28, zorder=3, label=name
            )
    for i in np.flatnonzero(ok):  # one label per area
        ax.annotate(
            labels[i],
            (n[i], value[i]),
            textcoords="offset points",
            xytext=(4, 3),
            fontsize=7,
            color="#1d1d1d",
        )
    ax.set_title(title, fontsize=10)
    ax.set_xlabel(xlabel, fontsize=9)
    ax.set_ylabel(ylabel, fontsize=9)
    ax.set_xlim(0, top)
    if binary:
        ax.set_ylim(-0.02, 1.02)
        from matplotlib.ticker import PercentFormatter

        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    elif money:
        from matplotlib.ticker import FuncFormatter

        ax.yaxis.set_major_formatter(
            FuncFormatter(lambda x, _pos: format_money(x))
        )
        ax.set_ylim(bottom=0.0)
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))  # whole patients
    ax.tick_params(labelsize=8)
    ax.grid(True, color="#e0e0e0", linewidth=0.6)
    ax.legend(fontsize=7, loc="best", frameon=False)


FUNNEL_PER_PAGE = 6
"""Panels on a page of :func:`funnel_plots` (three rows of two: a page of 1,860 by 1,980
pixels at 150 dpi)."""


def _outcome_names(result: BenchmarkResult) -> dict[str, str]:
    """Each outcome's name as its profile gives it (its id where it has none)."""
    return {
        o.id: o.name or o.id for stage in result.pathway.stages for o in stage.outcomes
    }


def funnel_plots(result: BenchmarkResult, *, per_page: int = FUNNEL_PER_PAGE) -> list[Figure]:
    """Funnel plots of cost per patient and of each outcome by area, one panel each,
    ``per_page`` panels to a figure (cost per patient first): a page per figure."""
    if per_page < 1:
        raise ValueError(f"per_page must be at least 1, not {per_page}")
    figure_class = require_matplotlib(FUNNEL_PLOT)
    outcomes = result.outcomes
    ids = list(dict.fromkeys(outcomes["outcome"])) if len(outcomes) else []
    names = _outcome_names(result)
    areas = result.areas

    def cost_panel(ax: Axes) -> None:
        _panel(
            ax,
            "Cost per patient by area",
            areas["patients"].to_numpy(dtype=np.float64),
            areas["cost_per_patient"].to_numpy(dtype=np.float64),
            [str(a) for a in areas["area"]],
            float(result.overall["cost_per_patient"]),
            False,
            float(result.overall["cost_sd_per_patient"]),
            "patients",
            "cost per patient",
            True,
        )

    def outcome_panel(outcome_id: str) -> Callable[[Axes], None]:
        def draw(ax: Axes) -> None:
            part: pd.DataFrame = outcomes[outcomes["outcome"] == outcome_id]
            binary = bool(part["binary"].iloc[0])
            _panel(
                ax,
                names.get(str(outcome_id), str(outcome_id)),
                part["records"].to_numpy(dtype=np.float64),
                part["achievement"].to_numpy(dtype=np.float64),
                [str(a) for a in part["area"]],
                float(part["rate"].iloc[0]),
                binary,
                float(part["sd"].iloc[0]),
                "patients with a record",
                "achievement" if binary else "mean value",
                False,
            )

        return draw

    panels = [cost_panel, *(outcome_panel(str(i)) for i in ids)]
    pages = [panels[i : i + per_page] for i in range(0, len(panels), per_page)]
    title = f"{result.pathway.name}: areas compared ({result.price_year} prices)"
    figures = []
    for number, page in enumerate(pages, start=1):
        cols = 1 if len(panels) == 1 else 2
        rows = math.ceil(min(per_page, len(panels)) / cols)
        fig = figure_class(figsize=(6.2 * cols, 4.4 * rows), layout="constrained")
        axes = fig.subplots(rows, cols, squeeze=False).ravel()
        for ax, draw in zip(axes, page, strict=False):
            draw(ax)
        for ax in axes[len(page) :]:
            ax.set_visible(False)
        suffix = f" (page {number} of {len(pages)})" if len(pages) > 1 else ""
        fig.suptitle(title + suffix, fontsize=11)
        figures.append(fig)
    return figures


def funnel_plot(result: BenchmarkResult, *, page: int = 1) -> Figure:
    """One page of :func:`funnel_plots` (the first: cost per patient and the first
    outcomes)."""
    figures = funnel_plots(result)
    if not 1 <= page <= len(figures):
        raise ValueError(f"page {page}: the funnel plots have pages 1 to {len(figures)}")
    return figures[page - 1]


def funnel_plot_paths(path: str | Path, pages: int) -> list[Path]:
    """Where :func:`write_funnel_plot` writes each page: ``FILE.png``, then
    ``FILE-2.png``, ``FILE-3.png`` ..."""
    first = Path(path)
    return [first] + [first.with_name(f"{first.stem}-{n}{first.suffix}") for n in
                      range(2, pages + 1)]


def write_funnel_plot(
    result: BenchmarkResult, path: str | Path, *, force: bool = False
) -> list[Path]:
    """Write :func:`funnel_plots` as PNGs, a page a file (:func:`funnel_plot_paths`),
    all together or none (never over a file without ``force``)."""
    figures = funnel_plots(result)
    written = []
    with all_or_none():
        for fig, target_path in zip(figures, funnel_plot_paths(path, len(figures)), strict=True):

            def write(target: Path, fig: Figure = fig) -> None:
                fig.savefig(target, format="png", dpi=150)

            written.append(write_atomic(target_path, write, force=force))
    return written
