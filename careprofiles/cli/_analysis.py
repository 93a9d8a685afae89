"""Options shared by ``compare``, ``simulate``, ``sensitivity`` (and ``cost --plot``)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from careprofiles._output import check_writable
from careprofiles.errors import CareProfilesError, display_path
from careprofiles.load import load_pathway
from careprofiles.models import Pathway
from careprofiles.tariff import PriceIndex, Tariff, load_price_index, load_tariff

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from careprofiles.uncertainty import TariffUncertainty

__all__ = [
    "add_plot",
    "add_scenario",
    "add_uncertainty",
    "check_plot",
    "inputs_from_args",
    "uncertainty_from_args",
    "write_plot",
]


def add_plot(p: argparse.ArgumentParser, what: str) -> None:
    """--plot FILE.png."""
    p.add_argument(
        "--plot",
        metavar="FILE.png",
        help=f"also draw {what} as a PNG chart (needs the 'plot' extra: matplotlib)",
    )


def add_scenario(p: argparse.ArgumentParser) -> None:
    """--scenarios FILE --scenario ID: run on one scenario instead of the baseline."""
    p.add_argument("--scenarios", metavar="FILE", help="a scenario file")
    p.add_argument("--scenario", metavar="ID", help="use this scenario of --scenarios")


def add_uncertainty(p: argparse.ArgumentParser) -> None:
    """--uncertainty FILE: distributions of tariff costs."""
    p.add_argument(
        "--uncertainty",
        metavar="FILE",
        help="a tariff-uncertainty CSV (code,dist,low,mode,high,mean,sd,...) giving "
        "distributions of unit costs; see docs/uncertainty.md",
    )


def check_plot(args: argparse.Namespace) -> None:
    """Before any work: a .png name, a writable place, matplotlib installed."""
    plot = getattr(args, "plot", None)
    if not plot:
        return
    if Path(plot).suffix.lower() != ".png":
        raise CareProfilesError(f"{plot}: --plot writes a PNG image; give a file name ending .png")
    output = getattr(args, "output", None)
    if output and Path(output).resolve() == Path(plot).resolve():
        raise CareProfilesError(f"{plot}: --plot and -o name the same file; give two names")
    check_writable(plot, getattr(args, "force", False))
    from careprofiles.plots import require_matplotlib

    require_matplotlib()


def write_plot(args: argparse.Namespace, figure: Figure) -> None:
    """Write the chart to --plot atomically and say so on standard error."""
    from careprofiles.plots import write_png

    path = write_png(figure, args.plot, force=getattr(args, "force", False))
    print(f"wrote {display_path(path)}", file=sys.stderr)


def inputs_from_args(args: argparse.Namespace) -> tuple[Pathway, Tariff, PriceIndex | None]:
    """The pathway, tariff and price index the options name, with --scenario applied."""
    pathway = load_pathway(args.pathway)
    tariff = load_tariff(*(args.tariff or []))
    if args.market_forces is not None:
        tariff = tariff.with_market_forces(args.market_forces)
    index = load_price_index(args.index) if args.index else None
    if getattr(args, "scenarios", None) or getattr(args, "scenario", None):
        from careprofiles.scenarios import apply_scenario_args

        pathway, tariff = apply_scenario_args(pathway, tariff, args)
    return pathway, tariff, index


def uncertainty_from_args(args: argparse.Namespace) -> TariffUncertainty | None:
    """The --uncertainty file, loaded (None without one)."""
    path: Any = getattr(args, "uncertainty", None)
    if not path:
        return None
    from careprofiles.uncertainty import load_tariff_uncertainty

    return load_tariff_uncertainty(path)
