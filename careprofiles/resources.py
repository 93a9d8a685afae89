"""Where the bundled profiles, tariffs and templates are, in a checkout or an installed
wheel, and how documents name input files (:func:`document_name`, :func:`source_name`):
by what they are, never by a machine path.

Imports: nothing of careprofiles.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

__all__ = [
    "BUNDLED",
    "bundled_index",
    "bundled_name",
    "bundled_pathway",
    "bundled_profiles",
    "bundled_scenarios",
    "bundled_tariff",
    "document_name",
    "or_bundled",
    "source_location",
    "source_locations",
    "source_name",
]

_HERE = Path(__file__).resolve().parent

BUNDLED = "bundled"
"""The name that stands for a bundled file: ``load_tariff("bundled")``,
``--tariff bundled`` (unless a file of that name is in the working folder: a file given
always wins)."""


def bundled_profiles() -> Path:
    """The folder of bundled pathways and tariffs (``profiles/`` in the repository)."""
    installed = _HERE / "_profiles"
    if installed.is_dir():
        return installed
    return _HERE.parent / "profiles"


def bundled_pathway() -> Path:
    """The default pathway's folder, ``profiles/eol``."""
    return bundled_profiles() / "eol"


def bundled_tariff() -> Path:
    """The default tariff, ``profiles/tariffs/national-2024-25.csv``."""
    return bundled_profiles() / "tariffs" / "national-2024-25.csv"


def bundled_index() -> Path:
    """The bundled price index, ``profiles/tariffs/price-index.csv``."""
    return bundled_profiles() / "tariffs" / "price-index.csv"


def bundled_scenarios() -> Path:
    """The sample scenario file ``careprofiles init`` starts from,
    ``examples/scenarios/service-models.yaml`` in the repository (in a wheel, beside the
    bundled profiles)."""
    installed = _HERE / "_examples" / "service-models.yaml"
    if installed.is_file():
        return installed
    return _HERE.parent / "examples" / "scenarios" / "service-models.yaml"


def or_bundled(path: str | Path, bundled: Path) -> str | Path:
    """``bundled`` when ``path`` is the text :data:`BUNDLED` and no file or folder of that
    name exists in the working folder; else ``path`` as given."""
    if isinstance(path, str) and path == BUNDLED and not os.path.lexists(path):
        return bundled
    return path


def _bundled_names() -> dict[str, str]:
    """The real path of each bundled file (and of the bundled pathway's folder) → what
    documents call it."""
    return {
        os.path.realpath(bundled_tariff()): "bundled national tariff 2024/25",
        os.path.realpath(bundled_index()): "bundled price index (NHS Cost Inflation Index)",
        os.path.realpath(bundled_pathway()): "bundled pathway eol-adult",
        os.path.realpath(bundled_pathway() / "pathway.yaml"): "bundled pathway eol-adult",
    }


def _full(path: str | os.PathLike[str]) -> Path:
    """``path`` made absolute against the working folder, symbolic links left as named."""
    p = Path(path)
    return p if p.is_absolute() else Path.cwd() / p


def bundled_name(path: str | os.PathLike[str]) -> str | None:
    """What documents call a bundled file or folder (``"bundled national tariff
    2024/25"``, ``"bundled price index (NHS Cost Inflation Index)"``, ``"bundled pathway
    eol-adult"``); ``None`` for any other path."""
    try:
        real = os.path.realpath(_full(path))
    except (OSError, ValueError):
        return None
    return _bundled_names().get(real)


def _relative(path: str | os.PathLike[str], folder: str | os.PathLike[str] | None) -> str | None:
    """``path`` relative to ``folder`` (as a POSIX path) when it is inside it, else None."""
    if folder is None:
        return None
    try:
        full = _full(path)
        full = full.parent.resolve() / full.name
        return full.relative_to(_full(folder).resolve()).as_posix()
    except (OSError, ValueError, RuntimeError):  # RuntimeError: a symbolic link loop
        return None


def source_name(path: str | os.PathLike[str], folder: str | os.PathLike[str] | None = None) -> str:
    """A file as the ``file:line`` columns of outputs name it: machine-usable, never a
    machine path. Its path relative to ``folder`` (a pathway's folder, for its stage
    files) when inside it; else its file name (a bundled file too:
    ``national-2024-25.csv``, in :func:`bundled_profiles`' ``tariffs`` folder).

    A relative ``path`` is taken against the working folder, as the loaders name files."""
    if not os.fspath(path):
        return ""
    return _relative(path, folder) or Path(path).name or os.fspath(path)


def document_name(
    path: str | os.PathLike[str], folder: str | os.PathLike[str] | None = None
) -> str:
    """A file (or a pathway's folder) as documents name it: a bundled one by what it is
    (:func:`bundled_name`), any other as :func:`source_name` does; never a machine path."""
    if not os.fspath(path):
        return ""
    return bundled_name(path) or source_name(path, folder)


def source_location(location: str, folder: str | os.PathLike[str] | None = None) -> str:
    """A ``file:line`` (or a bare file) with the file named by :func:`source_name`."""
    if not location:
        return location
    file, sep, line = location.rpartition(":")
    if sep and line.isdigit():
        return f"{source_name(file, folder)}:{line}"
    return source_name(location, folder)


def source_locations(
    locations: Sequence[str], folder: str | os.PathLike[str] | None = None
) -> list[str]:
    """:func:`source_location` of each of ``locations``, each file named once."""
    names: dict[str, str] = {}
    out: list[str] = []
    for location in locations:  # the distinct files are few: each is looked at once
        file, sep, line = location.rpartition(":")
        if not (sep and line.isdigit()):
            file, sep, line = location, "", ""
        name = names.get(file)
        if name is None:
            name = names[file] = source_name(file, folder)
        out.append(f"{name}{sep}{line}")
    return out
