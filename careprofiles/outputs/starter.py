"""A local pathway to start from (``careprofiles init``, :func:`init_pathway`).

Writes into a new or empty folder: a pathway's ``pathway.yaml`` and stage files as they
are (the bundled pathway's by default), ``tariff.csv`` with a row for each code the
pathway uses at the prices of the tariff given (the bundled one by default), each row's
``source`` marked to fill in, a sample ``scenarios.yaml`` and a ``README.md`` saying what
to edit first and the three commands to run next. Until something is edited, the folder
costs exactly as the pathway it came from does with that tariff.

Every input is read and checked (the pathway loaded, the tariff checked against it as
``cost`` would) before anything is written; the files are written all or none
(:func:`~careprofiles.outputs.files.all_or_none`), and a folder this call created is
removed again when writing fails.

Imports: errors, resources; profiles (inputs, reader, load), tariffs, costing (compiler,
scenarios, scenario_apply); outputs.files and outputs.sheets; pandas.
"""

from __future__ import annotations

import contextlib
import os
import shlex
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from careprofiles.costing.compiler import compile_model
from careprofiles.costing.scenario_apply import apply_scenario
from careprofiles.costing.scenarios import load_scenarios
from careprofiles.errors import CareProfilesError, OutputError, display_path
from careprofiles.outputs.files import all_or_none, write_atomic
from careprofiles.outputs.sheets import csv_text
from careprofiles.profiles.inputs import read_input_bytes
from careprofiles.profiles.load import load_pathway, pathway_file
from careprofiles.profiles.models import Pathway
from careprofiles.profiles.reader import MAX_BYTES, read_yaml
from careprofiles.profiles.units import DEFAULT_HOURS_PER_WTE
from careprofiles.resources import bundled_pathway, bundled_scenarios, source_location
from careprofiles.tariffs.tables import Tariff, TariffRow, load_tariff

__all__ = ["FORCE_HINT", "TARIFF_COLUMNS", "init_pathway"]

FORCE_HINT = "pass force=True to write the starter files into it"
"""How the library's message says to write into a folder that is not empty (the command
line says ``--force`` instead)."""

TARIFF_COLUMNS = (
    "code",
    "description",
    "unit",
    "cost",
    "price_year",
    "source",
    "hours_per_wte",
    "funder",
    "basis",
    "qualifications",
    "grade",
)
"""The columns of the tariff written, those of the bundled tariff."""

TARIFF_FILE = "tariff.csv"
SCENARIOS_FILE = "scenarios.yaml"
README_FILE = "README.md"
TO_FILL_IN = "To fill in: your local source for this price; until then "
"""How each row's ``source`` begins: the row still holds the price it was copied from."""


def _number(x: float) -> str:
    """A number as a CSV cell that reads back as exactly the same float."""
    if x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return repr(x)


def _tariff_csv(pathway: Pathway, tariff: Tariff) -> tuple[str, int]:
    """The tariff's rows for the codes ``pathway`` uses (in the tariff's order), as CSV
    text (through :func:`~careprofiles.outputs.sheets.csv_text`, every cell text, so
    that each number reads back as exactly the same float), and how many rows it has."""
    used = set(pathway.roles()) | set(pathway.item_codes())
    rows: list[TariffRow] = [r for code, r in tariff.items() if code in used]
    records = []
    for r in rows:
        was = source_location(r.location) if r.location else "the tariff given"
        source = TO_FILL_IN + f"the price of {was}" + (f": {r.source}" if r.source else "")
        hours = "" if r.hours_per_wte == DEFAULT_HOURS_PER_WTE else _number(r.hours_per_wte)
        records.append(
            [
                r.code,
                r.description,
                r.unit,
                _number(r.cost),
                r.price_year,
                source,
                hours,
                r.funder,
                r.basis,
                r.qualifications,
                r.grade,
            ]
        )
    frame = pd.DataFrame(records, columns=list(TARIFF_COLUMNS), dtype=object)
    return csv_text(frame), len(rows)


def _bundled_sample(pathway: Pathway, tariff: Tariff) -> str | None:
    """The bundled sample scenarios (``examples/scenarios/service-models.yaml``) under a
    header of their own, when every one of them applies to ``pathway``; else None."""
    sample = bundled_scenarios()
    if not sample.is_file():  # pragma: no cover - a wheel built without it
        return None
    try:
        scenarios = load_scenarios(sample)
        for sid in scenarios.ids():
            apply_scenario(pathway, tariff, scenarios, sid)
    except CareProfilesError:
        return None
    text = read_input_bytes(sample, "scenario file", MAX_BYTES).decode("utf-8")
    lines = text.splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith("format:"))
    head = (
        "# Sample scenarios: service models to compare with this pathway (the baseline).\n"
        "# Copied by careprofiles init from the examples that come with careprofiles\n"
        "# (examples/scenarios/service-models.yaml); edit them, or write your own.\n"
        "#\n"
        "# Each scenario is applied to the baseline on its own; 'base:' builds on another.\n"
        '# Figures marked "estimate:" are illustrative assumptions, not evidence: replace\n'
        "# them with local plans before using the results.\n"
    )
    return head + "".join(lines[start:])


def _generated_sample(pathway: Pathway, tariff: Tariff) -> str:
    """Two sample scenarios addressed to ``pathway``'s own ids: longer contacts for its
    first service with contacts, and a dearer first tariff code."""
    parts = [
        "# Sample scenarios to compare with this pathway (the baseline), written by\n"
        "# careprofiles init with this pathway's ids; edit them, or write your own.\n"
        "# Each scenario is applied to the baseline on its own; 'base:' builds on another.\n"
        "# The format: docs/scenarios.md.\n"
        "format: careprofiles/1\n"
        "scenarios:\n"
    ]
    with_contacts = next((sv for sv in pathway.services() if sv[1].contacts is not None), None)
    if with_contacts is not None:
        stage, service = with_contacts
        parts.append(
            "  - id: longer-contacts\n"
            f"    name: Contacts a quarter longer for {stage.id}/{service.id}\n"
            "    changes:\n"
            f"      - scale: {stage.id}/{service.id}/contacts/minutes\n"
            "        by: 1.25\n"
        )
    code = next(iter(c for c in tariff if c in {*pathway.roles(), *pathway.item_codes()}))
    parts.append(
        "  - id: dearer-" + code + "\n"
        f"    name: {code} a tenth dearer\n"
        "    changes:\n"
        f"      - scale: tariff/{code}\n"
        "        by: 1.1\n"
    )
    return "".join(parts)


_BUNDLED_NOTE = """
The comments in the files name files beside the bundled pathway (its README.md, with the
assumptions and sources of its figures, and as-is.yaml, today's pattern of care): they
are in `profiles/eol/` of careprofiles.
"""


def _readme(
    folder: Path, pathway: Pathway, source: str, tariff: Tariff, rows: int, bundled: bool
) -> str:
    """The folder's README: what is in it, what to edit first, the commands to run."""
    note = _BUNDLED_NOTE if bundled else ""
    d = shlex.quote(folder.name or str(folder))
    t = shlex.quote(f"{folder.name or folder}/{TARIFF_FILE}")
    s = shlex.quote(f"{folder.name or folder}/{SCENARIOS_FILE}")
    stages = ", ".join(f"`{st.id}`" for st in pathway.stages)
    return f"""# {pathway.name}: a local pathway to start from

Written by `careprofiles init` from {source}, with the prices of
{", ".join(tariff.names)}. Until you change something, it costs exactly as that pathway
does with that tariff.

| file | what it holds |
| --- | --- |
| `pathway.yaml` | its id and name, price year ({pathway.price_year}), cohort, stages in order |
| stage files | one care profile a stage ({stages}): services, contacts, staff, items |
| `{TARIFF_FILE}` | a unit cost for each of the {rows} codes the pathway uses, at those prices |
| `{SCENARIOS_FILE}` | sample scenarios (service models) to compare with the baseline |

## What to edit first

1. **`pathway.yaml`**: your pathway's `id` and `name`, then the **cohort**: your
   population, deaths per 1,000 and eligible share (or `patients:` a year).
2. **`{TARIFF_FILE}`**: your local prices in `cost`, and in `source` where each comes from
   (every row says "To fill in" until you do); set `grade` to the evidence behind a price
   you change. Keep the columns and the `price_year`.
3. **The stage files**: the services you commission, and their uptake, contacts, minutes
   and staff; the figures marked "estimate:" first.
4. **`{SCENARIOS_FILE}`**: the changes to the service you want to compare.

## The three commands to run next

From the folder that holds `{folder.name or folder}`:

```sh
careprofiles validate {d} --tariff {t}
careprofiles cost {d} --tariff {t}
careprofiles compare {d} --tariff {t} --scenarios {s}
```

`validate` lists every problem with its file and line; `cost` gives the cost per
patient, by stage, role, setting and funder, and the workforce; `compare` costs each
scenario beside the baseline.
{note}"""


def _folder_refusal(folder: Path, force: bool) -> OutputError | None:
    """Why the starter files may not be written into ``folder``, if they may not."""
    if os.path.lexists(folder) and not folder.is_dir():
        return OutputError(folder, "is not a folder; give the name of a new or empty folder")
    if folder.is_dir():
        try:
            names = sorted(os.listdir(folder))
        except OSError as exc:
            return OutputError(folder, f"cannot be read ({exc.strerror or exc})", exc.errno)
        if names and not force:
            shown = ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")
            return OutputError(
                folder,
                f"the folder is not empty (it holds {len(names):,}: {shown}); give a new or "
                f"empty folder, or {FORCE_HINT} (files of the same names are replaced, "
                "others left as they are)",
            )
        return None
    if not folder.parent.is_dir():
        return OutputError(
            folder,
            f"the folder {display_path(folder.parent)} does not exist; create it first, or "
            "give a folder inside an existing one",
        )
    return None


def _stage_files(pathway_yaml: Path) -> list[str]:
    """The stage files ``pathway_yaml`` lists, as written in it (relative to it)."""
    raw, _ = read_yaml(pathway_yaml, what="pathway file")
    return [str(entry) for entry in raw["stages"]]


def _make_folders(folders: Sequence[Path]) -> list[Path]:
    """Create each of ``folders`` that is missing (parents first); those created."""
    made: list[Path] = []
    for f in folders:
        if f.is_dir():
            continue
        try:
            f.mkdir()
        except OSError as exc:
            for m in reversed(made):
                with contextlib.suppress(OSError):
                    m.rmdir()
            raise OutputError(
                f, f"cannot create the folder ({exc.strerror or exc})", exc.errno
            ) from exc
        made.append(f)
    return made


def init_pathway(
    folder: str | Path,
    pathway: str | Path | None = None,
    *,
    tariff: str | Path | Sequence[str | Path] | None = None,
    force: bool = False,
) -> tuple[Path, ...]:
    """Write a local pathway to start from into ``folder``; the files written.

    ``pathway`` is the pathway to copy (a folder or its ``pathway.yaml``; default: the
    bundled adult end-of-life pathway) and ``tariff`` the tariff file, or files layered,
    whose prices the local ``tariff.csv`` takes (default: the bundled tariff; ``"bundled"``
    names it). ``folder`` is created if it does not exist (its parent must); an existing
    folder must be empty unless ``force`` (then files of the same names are replaced and
    others left). Raises :class:`~careprofiles.errors.OutputError` for a folder it may not
    write into, and the loaders' errors (every problem at once) for a pathway or tariff
    that does not cost; nothing is written then.
    """
    target = Path(folder)
    refused = _folder_refusal(target, force)
    if refused is not None:
        raise refused
    source_yaml = pathway_file(pathway)
    model = load_pathway(pathway)
    layers = [tariff] if isinstance(tariff, str | Path) else list(tariff or [])
    prices = load_tariff(*layers)
    compile_model(model, prices)  # every code priced, in the right unit and price year
    stage_names = _stage_files(source_yaml)
    files: dict[str, str | bytes] = {"pathway.yaml": _copy(source_yaml)}
    for name in stage_names:
        files[Path(name).as_posix()] = _copy(source_yaml.parent / name)
    tariff_text, rows = _tariff_csv(model, prices)
    bundled = os.path.realpath(source_yaml) == os.path.realpath(pathway_file(bundled_pathway()))
    where = "the pathway that comes with careprofiles" if bundled else display_path(source_yaml)
    extra = {
        TARIFF_FILE: tariff_text,
        SCENARIOS_FILE: _bundled_sample(model, prices) or _generated_sample(model, prices),
        README_FILE: _readme(target, model, where, prices, rows, bundled),
    }
    clash = sorted(set(extra) & set(files))
    if clash:
        raise OutputError(
            target / clash[0],
            f"the pathway has a stage file of this name, which init writes itself; rename "
            f"the stage file (and its line in {source_yaml.name})",
        )
    files.update(extra)
    folders = [target, *sorted({p for n in files for p in (target / n).parents if p != target})]
    folders = [f for f in folders if f == target or target in f.parents]
    made = _make_folders(folders)
    try:
        with all_or_none():
            written = [write_atomic(target / n, text, force=force) for n, text in files.items()]
    except BaseException:
        for m in reversed(made):
            with contextlib.suppress(OSError):
                m.rmdir()
        raise
    return tuple(written)


def _copy(path: Path) -> bytes:
    """The bytes of an input file, read as every input is (bounded, regular files only)."""
    return read_input_bytes(path, "YAML file", MAX_BYTES)
