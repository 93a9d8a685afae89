"""Options shared by the commands that cost a pathway: ``cost``, ``compare``,
``simulate`` and ``sensitivity``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from careprofiles.cli._common import Subparsers, add_output, add_tariff, pathway_command
from careprofiles.errors import CareProfilesError
from careprofiles.outputs.files import check_writable

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from careprofiles.costing.tariff_uncertainty import TariffUncertainty

__all__ = [
    "add_output_and_plot",
    "add_plot",
    "add_scenario",
    "add_uncertainty",
    "analysis_command",
    "check_plot",
    "uncertainty_from_args",
    "write_plot",
]


def analysis_command(
    sub: Subparsers,
    common: argparse.ArgumentParser,
    name: str,
    *,
    help: str,
    description: str,
    uncertainty: bool = False,
    scenario: bool = True,
) -> argparse.ArgumentParser:
    """A command costing a pathway: PATHWAY, the tariff options, then (as asked)
    --uncertainty and --scenarios/--scenario. Its own options follow, then
    :func:`add_output_and_plot`."""
    p = pathway_command(sub, common, name, help=help, description=description)
    add_tariff(p)
    if uncertainty:
        add_uncertainty(p)
    if scenario:
        add_scenario(p)
    return p


def whole_number(minimum: int, what: str) -> type[int]:
    """An argparse type: a whole number of at least ``minimum`` (``1,000`` and ``1_000``
    read as 1000); ``what`` names the option in the message."""

    def parse(text: str) -> int:
        try:
            value = int(text.replace("_", "").replace(",", ""))
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{what} must be {minimum} or more (got {value})")
        return value

    return parse  # type: ignore[return-value]


def add_output_and_plot(p: argparse.ArgumentParser, formats: tuple[str, ...], what: str) -> None:
    """--format (one of ``formats``), -o/--output, --force, then --plot drawing ``what``."""
    add_output(p, formats)
    add_plot(p, what)


def add_plot(p: argparse.ArgumentParser, what: str) -> None:
    """--plot FILE.png."""
    p.add_argument(
        "--plot",
        metavar="FILE.png",
        help=f"also draw {what} in a PNG file (needs the 'plot' extra: matplotlib)",
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
    from careprofiles.outputs.charts import require_matplotlib

    require_matplotlib()


def write_plot(args: argparse.Namespace, figure: Figure) -> None:
    """Write the chart to --plot atomically (the command line says so when the command
    has succeeded)."""
    from careprofiles.outputs.charts import write_png

    write_png(figure, args.plot, force=getattr(args, "force", False))


def uncertainty_from_args(args: argparse.Namespace) -> TariffUncertainty | None:
    """The --uncertainty file, loaded (None without one)."""
    path: Any = getattr(args, "uncertainty", None)
    if not path:
        return None
    from careprofiles.costing.tariff_uncertainty import load_tariff_uncertainty

    return load_tariff_uncertainty(path)
