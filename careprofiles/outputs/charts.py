"""Charts for board papers: cost by stage and role, scenario comparisons, tornado, distribution.

Each function returns a matplotlib :class:`~matplotlib.figure.Figure` (made without
pyplot, so nothing global changes and no window opens); :func:`write_png` writes one
atomically. matplotlib is the optional ``plot`` extra, imported only when a chart is
drawn: without it these functions raise :class:`MissingDependencyError`. Pounds on labels
and axes are written by :mod:`careprofiles.outputs.text`.

Imports: outputs.files, outputs.text, outputs.names, outputs.display (a scenario's title),
costing.scenarios, and costing and profiles for types only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from careprofiles.costing.scenarios import scenario_of
from careprofiles.errors import MissingDependencyError
from careprofiles.outputs.display import scenario_title
from careprofiles.outputs.files import write_atomic
from careprofiles.outputs.names import names_for
from careprofiles.outputs.text import money_label, money_ticks

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from careprofiles.costing.compare import Comparison
    from careprofiles.costing.result import CostResult
    from careprofiles.costing.sensitivity import SensitivityResult
    from careprofiles.costing.simulate import SimulationResult
    from careprofiles.profiles.models import Pathway

__all__ = [
    "compare_plot",
    "cost_plot",
    "distribution_plot",
    "png_writer",
    "require_matplotlib",
    "tornado_plot",
    "write_png",
]

# Okabe-Ito: distinguishable with the common colour-vision deficiencies, and in greyscale
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
_GREY = "#555555"
_DPI = 150
_FOOTER = 0.035
"""The height of the strip at the bottom of a chart for its footer, a share of the figure."""


def require_matplotlib(what: str = "Charts (--plot)") -> type[Figure]:
    """matplotlib's :class:`~matplotlib.figure.Figure` class; raises
    :class:`MissingDependencyError` (``what`` needs matplotlib) if it is not installed.
    Call it before a long piece of work, to fail first."""
    try:
        from matplotlib.figure import Figure
    except ImportError:  # pragma: no cover - depends on the environment
        raise MissingDependencyError("matplotlib", "plot", what) from None
    return Figure


def _pounds(axis: Any, largest: float) -> None:
    """Pound ticks in one style for the whole axis, chosen from its ``largest`` value."""
    from matplotlib.ticker import FuncFormatter

    tick = money_ticks(largest)
    axis.set_major_formatter(FuncFormatter(lambda x, _pos: tick(x)))


def _new_figure(width: float, height: float, footer: float = _FOOTER) -> Figure:
    figure = require_matplotlib()(figsize=(width, height), dpi=_DPI, layout="constrained")
    from matplotlib.layout_engine import ConstrainedLayoutEngine

    engine = figure.get_layout_engine()
    if isinstance(engine, ConstrainedLayoutEngine):  # a strip at the bottom for the footer
        engine.set(rect=(0.0, footer, 1.0, 1.0 - footer))
    return figure


def _style(ax: Axes) -> None:
    ax.spines["top"].set_visible(False)
    ax.spines["right"].set_visible(False)
    ax.set_axisbelow(True)


def _named(pathway: Pathway) -> str:
    """The pathway's name, and the scenario's when the pathway is one."""
    scenario = scenario_title(scenario_of(pathway))
    return f"{pathway.name}, {scenario}" if scenario else pathway.name


def _footer(figure: Figure, text: str) -> None:
    figure.text(0.005, 0.002, text, fontsize=7, color=_GREY, ha="left", va="bottom")


def cost_plot(result: CostResult) -> Figure:
    """Cost per cohort patient by stage (left) and staff cost a year by role (right)."""
    figure = _new_figure(12, 5.5)
    left, right = figure.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.2]})
    stages = result.by_stage()
    labels = [str(n) for n in stages["name"]]
    x = np.arange(len(stages))
    bars = left.bar(x, stages["per_patient"], color=PALETTE[0], width=0.65)
    per_patient = [money_label(v) for v in stages["per_patient"]]
    left.bar_label(bars, labels=per_patient, fontsize=8, padding=2)
    left.set_xticks(x, _wrap(labels, 16), fontsize=8)
    left.set_ylabel("Cost per cohort patient")
    left.set_xlabel("Stage")
    left.set_title("Cost per patient by stage", fontsize=11, loc="left")
    _pounds(left.yaxis, float(stages["per_patient"].max()))
    left.grid(axis="y", alpha=0.3)
    _style(left)

    roles = result.by_role().sort_values("cost", ascending=True, kind="stable")
    y = np.arange(len(roles))
    hbars = right.barh(y, roles["cost"], color=PALETTE[1], height=0.65)
    right.bar_label(
        hbars,
        labels=[
            f"{money_label(c)}  ({w:,.1f} WTE)"
            for c, w in zip(roles["cost"], roles["wte"], strict=True)
        ],
        fontsize=7,
        padding=2,
    )
    names = names_for(result.pathway, result.tariff)
    right.set_yticks(y, _wrap([names.role(str(r)) for r in roles["role"]], 34), fontsize=8)
    right.set_xlabel("Staff cost a year")
    right.set_title("Staff cost a year by role", fontsize=11, loc="left")
    _pounds(right.xaxis, float(roles["cost"].max()) if len(roles) else 0.0)
    right.margins(x=0.25)
    right.grid(axis="x", alpha=0.3)
    _style(right)
    figure.suptitle(
        f"{_named(result.pathway)}: {money_label(result.per_patient)} per patient, "
        f"{money_label(result.total)} a year ({result.cohort:,.0f} patients, "
        f"{result.price_year} prices)",
        fontsize=12,
    )
    _footer(figure, f"careprofiles; tariffs: {', '.join(result.tariff.names)}")
    return figure


def compare_plot(comparison: Comparison, *, roles: int = 10) -> Figure:
    """Per-patient cost by stage and staff cost a year by role: baseline and each scenario.

    When the scenarios cost other cohorts (:attr:`Comparison.cohorts_differ`), the roles
    are per cohort patient too, so that like is compared with like, and the legend gives
    each cohort."""
    differ = comparison.cohorts_differ
    results = [("Baseline", comparison.baseline), *((s.name, r) for s, r in comparison.scenarios)]
    k = len(results)
    inches = 6.2 + 0.15 * -(-k // 2)  # tall, with room for each row of the legend
    figure = _new_figure(13, inches)
    left, right = figure.subplots(1, 2, gridspec_kw={"width_ratios": [1.1, 1]})
    width = 0.8 / k
    stage_frame = comparison.baseline.by_stage()
    stage_ids = list(stage_frame["stage"])
    x = np.arange(len(stage_ids))
    largest = 0.0
    for j, (label, r) in enumerate(results):
        values = r.by_stage().set_index("stage")["per_patient"].reindex(stage_ids).fillna(0.0)
        largest = max(largest, float(values.max()))
        left.bar(
            x + (j - (k - 1) / 2) * width,
            values.to_numpy(),
            width=width,
            color=PALETTE[j % len(PALETTE)],
            label=(
                f"{label}: {money_label(r.per_patient)} per patient, "
                + (f"{r.cohort:,.0f} patients, " if differ else "")
                + f"{money_label(r.total)} a year"
            ),
        )
    left.set_xticks(x, _wrap([str(n) for n in stage_frame["name"]], 16), fontsize=8)
    left.set_ylabel("Cost per cohort patient")
    left.set_xlabel("Stage")
    left.set_title("Cost per patient by stage", fontsize=11, loc="left")
    _pounds(left.yaxis, largest)
    left.grid(axis="y", alpha=0.3)
    handles = left.get_legend_handles_labels()
    _style(left)

    measure = "per_patient" if differ else "cost"
    role_costs = {label: r.by_role().set_index("role")[measure] for label, r in results}
    all_roles = {role for costs in role_costs.values() for role in costs.index}
    every = sorted(
        all_roles,
        key=lambda role: max(float(c.get(role, 0.0)) for c in role_costs.values()),
        reverse=True,
    )[:roles][::-1]
    y = np.arange(len(every))
    height = 0.8 / k
    largest = 0.0
    for j, (label, _r) in enumerate(results):
        costs = role_costs[label].reindex(every).fillna(0.0).to_numpy()
        largest = max(largest, float(costs.max()) if len(costs) else 0.0)
        right.barh(
            y - (j - (k - 1) / 2) * height,
            costs,
            height=height,
            color=PALETTE[j % len(PALETTE)],
        )
    names = names_for(comparison.baseline.pathway, comparison.baseline.tariff)
    right.set_yticks(y, _wrap([names.role(str(r)) for r in every], 34), fontsize=8)
    what = "Staff cost per cohort patient" if differ else "Staff cost a year"
    right.set_xlabel(what)
    shown = (
        f"the {len(every)} largest of {len(all_roles)} roles; all in the table"
        if len(every) < len(all_roles)
        else "by role"
    )
    right.set_title(f"{what} ({shown})", fontsize=11, loc="left")
    _pounds(right.xaxis, largest)
    right.grid(axis="x", alpha=0.3)
    _style(right)
    # one legend for both panels, below them (constrained layout makes room for an
    # "outside" legend), so that it hides no bars however many scenarios there are; its
    # gap from the bottom edge (in font sizes) is the footer's strip, so that it sits just
    # above the footer; long labels are broken before the figures, so that two columns fit
    bars, labels = handles
    legend_points = 8
    figure.legend(
        bars,
        [_break_before_figures(text, 95) for text in labels],
        loc="outside lower center",
        borderaxespad=_FOOTER * inches * 72 / legend_points,
        ncol=min(2, k),
        fontsize=legend_points,
        frameon=False,
    )
    b = comparison.baseline
    figure.suptitle(
        f"{b.pathway.name}: scenarios compared with the baseline ({b.price_year} prices)"
        + ("; the cohorts differ: compare per patient" if differ else ""),
        fontsize=12,
    )
    _footer(
        figure,
        f"careprofiles; scenarios: {comparison.file_name}; tariffs: {', '.join(b.tariff.names)}",
    )
    return figure


def tornado_plot(result: SensitivityResult, *, top: int = 15) -> Figure:
    """Tornado: cost per patient with each number alone at its low and high percentile."""
    rows = result.rows.head(top).iloc[::-1]
    n = len(rows)
    figure = _new_figure(11, max(3.0, 1.2 + 0.38 * n))
    ax = figure.subplots()
    y = np.arange(n)
    base = result.base
    low = rows["low"].to_numpy() - base
    high = rows["high"].to_numpy() - base
    lo_pct = f"{result.low_quantile * 100:g}th"
    hi_pct = f"{result.high_quantile * 100:g}th"
    ax.barh(y, low, left=base, color=PALETTE[4], height=0.6, label=f"at its {lo_pct} percentile")
    ax.barh(y, high, left=base, color=PALETTE[5], height=0.6, label=f"at its {hi_pct} percentile")
    ax.axvline(base, color="black", linewidth=1)
    names = names_for(result.pathway, result.tariff)
    ax.set_yticks(y, _wrap(names.addresses(map(str, rows["parameter"])), 64), fontsize=8)
    ax.set_xlabel("Pathway cost per patient")
    _pounds(ax.xaxis, float(max(rows["high"].max(), rows["low"].max(), base)) if n else base)
    ax.grid(axis="x", alpha=0.3)
    ax.legend(fontsize=8, frameon=False, loc="lower right")
    _style(ax)
    for yi, lo_v, hi_v in zip(y.tolist(), rows["low"], rows["high"], strict=True):
        least, most = float(min(lo_v, hi_v)), float(max(lo_v, hi_v))
        ax.text(least, yi, money_label(least) + " ", va="center", ha="right", fontsize=7)
        ax.text(most, yi, " " + money_label(most), va="center", ha="left", fontsize=7)
    ax.margins(x=0.18)
    shown = f"the {n} largest of {len(result.rows)}" if n < len(result.rows) else f"all {n}"
    ax.set_title(
        f"One-way sensitivity ({shown} uncertain numbers), base {money_label(base)} per patient",
        fontsize=10,
        loc="left",
    )
    figure.suptitle(f"{_named(result.pathway)}: what moves the cost per patient", fontsize=12)
    _footer(
        figure,
        f"careprofiles; each number alone at its {lo_pct} and {hi_pct} percentile, the rest "
        f"at base values; {result.pathway.price_year} prices",
    )
    return figure


def distribution_plot(result: SimulationResult, *, measure: str = "per_patient") -> Figure:
    """Histogram of a simulated measure with its mean, 95% interval and deterministic value."""
    values = result.draws[measure].to_numpy(dtype=np.float64)
    figure = _new_figure(10, 5.5)
    ax = figure.subplots()
    bins = int(min(80, max(10, np.sqrt(len(values)))))
    ax.hist(values, bins=bins, color=PALETTE[0], alpha=0.85, edgecolor="white", linewidth=0.4)
    q = np.quantile(values, [0.025, 0.5, 0.975])
    mean = float(values.mean())
    ax.axvline(mean, color=PALETTE[5], linewidth=1.5, label=f"mean {money_label(mean)}")
    ax.axvline(
        q[0],
        color=_GREY,
        linestyle="--",
        linewidth=1,
        label=f"95% interval {money_label(q[0])} to {money_label(q[2])}",
    )
    ax.axvline(q[2], color=_GREY, linestyle="--", linewidth=1)
    det = result.deterministic[measure]
    ax.axvline(
        det, color="black", linestyle=":", linewidth=1.5, label=f"base values {money_label(det)}"
    )
    what = (
        "Cost per patient"
        if measure == "per_patient"
        else ("Population cost a year" if measure == "total" else measure)
    )
    ax.set_xlabel(what)
    ax.set_ylabel("Draws")
    _pounds(ax.xaxis, float(values.max()))
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8, frameon=False)
    _style(ax)
    ax.set_title(
        f"{result.n:,} draws of {len(result.uncertain)} uncertain numbers",
        fontsize=10,
        loc="left",
    )
    figure.suptitle(f"{_named(result.pathway)}: {what.lower()}, Monte Carlo", fontsize=12)
    seed = "" if result.seed is None else f", seed {result.seed}"
    _footer(figure, f"careprofiles simulate{seed}; {result.pathway.price_year} prices")
    return figure


def _wrap(labels: Sequence[str], width: int) -> list[str]:
    import textwrap

    return ["\n".join(textwrap.wrap(label, width)) or label for label in labels]


def _break_before_figures(label: str, width: int) -> str:
    """``name: figures`` on one line if it fits in ``width`` characters, else the name
    (wrapped) on the lines above its figures, which stay together."""
    if len(label) <= width or ": " not in label:
        return label
    name, figures = label.rsplit(": ", 1)
    return f"{_wrap([name + ':'], width)[0]}\n{figures}"


def png_writer(figure: Figure) -> Callable[[Path], None]:
    """A function writing ``figure`` as PNG at the path it is given."""

    def write(path: Path) -> None:
        figure.savefig(path, format="png", dpi=_DPI)

    return write


def write_png(figure: Figure, path: str | Path, *, force: bool = False) -> Path:
    """Write ``figure`` to ``path`` as PNG, atomically; refuse to overwrite without ``force``."""
    return write_atomic(path, png_writer(figure), force=force)
