"""Generate ``docs/format.md``, the format reference, from the models.

The tables of keys come from the models' JSON Schema (whose descriptions are the
attribute docstrings in :mod:`careprofiles.profiles.models`, as ``profiles/field_docs.json``
holds them: after editing one, run ``python -m careprofiles.profiles._field_docs`` first);
the distributions, limits and units come from the code that enforces them; the prose
sections live here. A test (``tests/test_docs.py``) regenerates the page and compares,
so it cannot drift::

    python -m careprofiles.profiles.reference            # rewrite docs/format.md
    python -m careprofiles.profiles.reference --check    # exit 1 if docs/format.md is stale

Imports: profiles.csvfiles, distributions, models, reader, units (never tariffs: the units
are the format's).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

from careprofiles.profiles.csvfiles import ID_PATTERN
from careprofiles.profiles.distributions import DISTRIBUTIONS
from careprofiles.profiles.evidence import BASES, FUNDERS, GRADES, QUALIFICATIONS
from careprofiles.profiles.models import FORMAT, PathwayFile, Stage
from careprofiles.profiles.reader import MAX_ALIASES, MAX_BYTES
from careprofiles.profiles.units import DEFAULT_HOURS_PER_WTE, STAFF_UNITS, UNITS

__all__ = ["format_reference", "main"]

DOC = Path(__file__).resolve().parents[2] / "docs" / "format.md"

# (schema definition, heading, anchor) in the order the page shows them
_SECTIONS = (
    ("PathwayFile", "pathway.yaml", "pathwayyaml"),
    ("Cohort", "cohort", "cohort"),
    ("Stage", "A stage's care profile", "a-stages-care-profile"),
    ("Service", "services", "services"),
    ("Contacts", "contacts", "contacts"),
    ("StaffLine", "staff", "staff"),
    ("Item", "items", "items"),
    ("Outcome", "outcomes", "outcomes"),
)
_ANCHORS = {name: anchor for name, _, anchor in _SECTIONS}
_UNCERTAIN = "numbers-that-may-be-uncertain"

_BASE_VALUE = {
    "fixed": "`value`",
    "uniform": "midpoint, (`low` + `high`) / 2",
    "triangular": "`mode`",
    "pert": "`mode`",
    "normal": "`mean`",
    "lognormal": "`mean`",
    "gamma": "`mean`",
    "beta": "`mean`",
}
_MEANING = {
    "fixed": "always `value`: a number known exactly",
    "uniform": "any value between `low` and `high` equally likely",
    "triangular": "between `low` and `high`, most likely `mode`",
    "pert": "Beta-PERT (lambda 4) between `low` and `high`, most likely `mode`; "
    "smoother tails than a triangle",
    "normal": "bell curve; draws below 0 are reported, never clipped",
    "lognormal": "skewed to the right; `mean` and `sd` are of the value itself, not of its log",
    "gamma": "skewed to the right, never below 0",
    "beta": "between 0 and 1, for shares; `sd` must be below sqrt(mean x (1 - mean))",
}


def _definitions() -> dict[str, dict[str, Any]]:
    stage = Stage.model_json_schema()
    pathway = PathwayFile.model_json_schema()
    defs: dict[str, dict[str, Any]] = {**stage.pop("$defs", {}), **pathway.pop("$defs", {})}
    defs["Stage"] = stage
    defs["PathwayFile"] = pathway
    return defs


def _rst_to_md(text: str) -> str:
    """Docstrings use reST literals (````x````); Markdown wants single backticks."""
    return re.sub(r"``(.+?)``", r"`\1`", " ".join(text.split()))


def _is_distribution_choice(prop: dict[str, Any]) -> bool:
    variants = prop.get("anyOf", [])
    return any(str(v.get("title", "")).endswith("distribution") for v in variants)


def _range(number: dict[str, Any]) -> str:
    if "maximum" in number:
        return f"{number.get('minimum', 0):g} to {number['maximum']:g}"
    if "exclusiveMinimum" in number:
        return f"above {number['exclusiveMinimum']:g}"
    if "minimum" in number:
        return f"{number['minimum']:g} or more"
    return ""


def _type(prop: dict[str, Any]) -> str:
    """A short description of what a key takes, with links to other sections."""
    if _is_distribution_choice(prop):
        number = prop["anyOf"][0]
        return f"number ({_range(number)}) or [distribution](#{_UNCERTAIN})"
    variants = [v for v in prop.get("anyOf", []) if v.get("type") != "null"]
    if len(variants) == 1:
        return _type({**variants[0], **{k: v for k, v in prop.items() if k != "anyOf"}})
    if "$ref" in prop:
        name = str(prop["$ref"]).rsplit("/", 1)[-1]
        return f"mapping ([{_heading(name)}](#{_ANCHORS[name]}))"
    if "const" in prop:
        return f"`{prop['const']}`"
    if "enum" in prop:
        return "one of " + ", ".join(f"`{v}`" for v in prop["enum"])
    kind = prop.get("type")
    if kind == "array":
        item = prop.get("items", {})
        if "$ref" in item:
            name = str(item["$ref"]).rsplit("/", 1)[-1]
            inner = f"[{_heading(name)}](#{_ANCHORS[name]})"
        else:
            inner = _type(item)
        least = prop.get("minItems")
        return f"list of {inner}" + (f", at least {least}" if least else "")
    if kind == "string" and prop.get("pattern") == ID_PATTERN:
        return "id (lower-case letters, digits and `-`)"
    if kind == "string" and "examples" in prop and prop.get("pattern"):
        return f'text such as `"{prop["examples"][0]}"`'
    if kind == "string":
        return "text"
    if kind == "number":
        return "number"
    return str(kind or "any")


def _heading(name: str) -> str:
    for defn, heading, _ in _SECTIONS:
        if defn == name:
            return heading
    return name


def _default(name: str, prop: dict[str, Any], required: list[str]) -> str:
    if name in required:
        return "**required**"
    default = prop.get("default")
    if default is None or default == []:
        return "optional"
    if isinstance(default, float) and default.is_integer():
        default = int(default)
    return f"optional, default `{default}`"


def _table(defn: dict[str, Any]) -> str:
    required = list(defn.get("required", []))
    rows = ["| key | takes | | meaning |", "| --- | --- | --- | --- |"]
    for name, prop in defn["properties"].items():
        meaning = _rst_to_md(str(prop.get("description", "")))
        rows.append(f"| `{name}` | {_type(prop)} | {_default(name, prop, required)} | {meaning} |")
    return "\n".join(rows)


def _distributions_table() -> str:
    rows = ["| `dist:` | keys | base value | shape |", "| --- | --- | --- | --- |"]
    for name, cls in DISTRIBUTIONS.items():
        keys = ", ".join(f"`{p}`" for p in cls.params)
        rows.append(f"| `{name}` | {keys} | {_BASE_VALUE[name]} | {_MEANING[name]} |")
    return "\n".join(rows)


def _uncertain_keys(defs: dict[str, dict[str, Any]]) -> str:
    found = []
    for defn_name, _heading_text, _ in _SECTIONS:
        for key, prop in defs[defn_name]["properties"].items():
            if _is_distribution_choice(prop):
                found.append(f"`{key}`" if defn_name != "Cohort" else f"`cohort.{key}`")
    return ", ".join(dict.fromkeys(found))


def format_reference() -> str:
    """The text of ``docs/format.md``."""
    defs = _definitions()
    parts = [_INTRO.format(format=FORMAT)]
    for name, heading, _anchor in _SECTIONS:
        parts.append(f"## {heading}" if name in ("PathwayFile", "Stage") else f"### {heading}")
        parts.append(_rst_to_md(str(defs[name].get("description", ""))))
        if name in _NOTES:
            parts.append(_NOTES[name])
        parts.append(_table(defs[name]))
    parts.append(
        _UNCERTAIN_TEXT.format(
            keys=_uncertain_keys(defs),
            table=_distributions_table(),
            grades=", ".join(f"`{g}`" for g in GRADES),
        )
    )
    parts.append(
        _VALIDATION.format(
            max_bytes=MAX_BYTES, max_mb=MAX_BYTES // (1024 * 1024), max_aliases=MAX_ALIASES
        )
    )
    parts.append(
        _TARIFF.format(
            units=", ".join(f"`{u}`" for u in UNITS),
            staff_units=" or ".join(f"`{u}`" for u in STAFF_UNITS),
            hours=f"{DEFAULT_HOURS_PER_WTE:,.0f}",
            funders=", ".join(f"`{f}` ({n})" for f, n in FUNDERS.items()),
            bases=", ".join(f"`{b}`" for b in BASES),
            qualifications=", ".join(f"`{q}`" for q in QUALIFICATIONS),
            grades=", ".join(f"`{g}`" for g in GRADES),
        )
    )
    parts.append(_EDITOR)
    return "\n\n".join(p.strip("\n") for p in parts) + "\n"


_INTRO = """\
# The care profile format (`{format}`)

<!-- Generated by `python -m careprofiles.profiles.reference` from
careprofiles/profiles/models.py and the code that enforces the rules; do not edit by hand
(tests/test_docs.py checks it). -->

A **pathway** is a folder: `pathway.yaml` names its stages in order, its cohort and the
price year of its costs, and each stage has a **care profile**, a YAML file of its own, that
says which services a patient gets in that stage, in which setting, how often, from which
staff, with which items, and which outcomes are recorded. Unit costs come from **tariff**
CSV files, kept apart from the profiles so that one pathway can be costed with national or
local prices. The costing rules are in [costing.md](costing.md).

```
profiles/eol/
  pathway.yaml            # stages in order, cohort, price year
  advancing-disease.yaml  # one care profile per stage
  increasing-decline.yaml
  last-days.yaml
  after-death.yaml
profiles/tariffs/
  national-2024-25.csv    # unit costs
  price-index.csv         # for costs written in other years
```

Every file starts with `format: {format}` (optional in a stage file). Keys not listed
below are errors: a misspelt `uptak:` is reported, never ignored. Check a pathway with
`careprofiles validate PATHWAY`; see [cli.md](cli.md).

A small but complete stage file:

```yaml
format: {format}
id: last-days
name: Care in the last days of life
duration_weeks: {{dist: triangular, low: 0.5, mode: 1, high: 2}}
reach: 0.9
services:
  - id: district-nursing
    name: District nursing visits at home
    setting: home
    uptake: 0.8
    contacts:
      per_day: 2
      minutes: 45
      travel_minutes: 20
    staff:
      - role: district-nurse
      - role: healthcare-assistant
        share: 0.5
  - id: anticipatory-medicines
    setting: home
    items:
      - code: anticipatory-medicines
        quantity: 1
outcomes:
  - id: died-in-preferred-place
    measure: Deaths in the preferred place / deaths with a recorded preference
    target: 0.7
    direction: higher
```
"""

_NOTES = {
    "PathwayFile": """\
```yaml
format: careprofiles/1
id: eol-adult
name: Adult end of life care
price_year: "2024/25"          # in quotes
cohort:
  population: 250000
  deaths_per_1000: 9.5
  eligible_share: 0.75
stages: [advancing-disease.yaml, increasing-decline.yaml, last-days.yaml, after-death.yaml]
```

Stage files are given relative to `pathway.yaml` and must stay inside its folder (a
sub-folder is fine); each is listed once.""",
    "Cohort": """\
Cohort size = `patients`, or `population` x `deaths_per_1000` / 1000 x `eligible_share`.
Give one form or the other, completely: both forms, or two of the three keys, is an error.""",
    "Service": """\
A service needs `contacts` with `staff`, or `items`, or both. Service ids are unique
within their stage.""",
    "Contacts": """\
Give exactly one of `per_week`, `per_day` and `per_stage`. Contacts per patient
receiving the service: `per_stage`; or `per_week` x `duration_weeks`; or `per_day` x 7 x
`duration_weeks`.""",
    "StaffLine": """\
The same role may appear twice in one service (say a nurse at every visit and a second
nurse at half of them); each line is costed on its own.""",
    "Item": """\
Give exactly one of `quantity` and `per_week`.""",
    "Outcome": """\
Outcome ids are unique within the whole pathway, not only within their stage.""",
}

_UNCERTAIN_TEXT = """\
## Numbers that may be uncertain

These keys take a plain number or a distribution: {keys}. A tariff's cost may be given
a distribution in an uncertainty file (see the uncertainty docs).

```yaml
minutes: {{dist: triangular, low: 30, mode: 45, high: 60}}
uptake:  {{dist: beta, mean: 0.8, sd: 0.05}}
reach:   {{dist: pert, low: 0.8, mode: 0.9, high: 0.95, value: 0.92}}
```

{table}

How they are used:

- **Deterministic costing** (`careprofiles cost`) uses each number's *base value*: the
  column above, or `value:` when one is given beside the distribution's keys (it must lie
  within the distribution's range).
- **Monte Carlo** draws from the distributions; **one-way sensitivity** moves each one to
  its 2.5th and 97.5th percentiles, everything else at base values.
- **Bounds are checked on the base value and on the whole range.** A share (`reach`,
  `uptake`, `share`, `eligible_share`) must be between 0 and 1, and so must every value its
  distribution can take: use `beta`, or `pert`, `triangular` or `uniform` with `low` >= 0
  and `high` <= 1. A share above 1 and at most 100 is probably a percentage, and says so
  (`uptake: 10` gives `10 is above 1; a share is between 0 and 1; did you mean 0.10
  (10%)?`). Other numbers must be 0 or more (`duration_weeks` above 0), and so
  must the range of their distribution, except `normal`, whose negative draws are
  reported when they happen.
- **Impossible parameters are errors**: `low` above `mode` or `mode` above `high`,
  `low` equal to `high` for a three-point distribution (write the number itself), `sd` of 0
  or less, a `lognormal` or `gamma` mean of 0 or less, a `beta` mean outside 0..1 or an `sd`
  that no beta distribution with that mean has, an unknown `dist`, a missing or extra key.
  So are numbers that cannot be drawn from in 64-bit floating point: a distribution's
  number above 1e150 in size, or nearer 0 than 1e-150 (other than 0 itself); a
  `lognormal` or `gamma` whose `sd` is under a millionth, or over a million times, its
  mean; a `beta` whose `sd` is under a millionth of its largest possible, or whose shape
  parameters would be under 0.000001 (a mean within about 1e-6 of 0 or 1).

### Evidence: `grade` and `source`

Any number can say how good its evidence is. A distribution takes `grade` and `source`
beside its keys; a plain number is written as a mapping with `value` (and no `dist`):

```yaml
uptake:  {{value: 0.7, grade: estimate, source: "local audit 2024"}}
minutes: {{dist: triangular, low: 30, mode: 45, high: 60, grade: expert-consensus}}
```

`grade` is one of {grades}; `source` is text (a citation). Neither changes a figure:
`{{value: 0.7, grade: estimate}}` costs as `0.7` (it is a `fixed` number). `careprofiles
validate` counts the numbers of each grade, `careprofiles cost --explain` lists the cost
lines resting on estimates, most costly first, and the `cost` workbook has them in its
`estimates` sheet (the `inputs` sheet gives every number's grade). Tariff rows take a
`grade` column (below).
"""

_VALIDATION = """\
## Validation

`careprofiles validate` (and every command that reads a pathway) checks everything below
and reports **every problem in every file at once**, each as
`path:line: key.path: what is wrong; how to fix`, for example

```
profiles/eol/last-days.yaml:14: services[0].uptake: 1.5 is above 1; a share is between 0 and 1
```

with exit status 1 and no traceback (`--debug` shows one).

- **Keys**: unknown keys (with the nearest allowed key suggested), missing required keys
  (reported at the mapping that lacks them), and a key given twice in one mapping (plain
  YAML readers silently keep the last one; careprofiles refuses).
- **Ids**: lower-case letters, digits and `-` (`last-days`, not `Last Days`); service ids
  unique within a stage, stage ids and outcome ids unique within the pathway, each
  repeat reported where it is written.
- **Values**: numbers must be numbers (`yes`, `"12"` or `1e3`, which YAML reads as text,
  are refused with a hint), finite (`.nan` and `.inf` are refused), and in range;
  `setting` and `direction` must be one of their words; `price_year` a financial year
  such as `"2024/25"`.
- **Combinations**: contacts without staff, staff without contacts, a service with
  neither contacts nor items, two frequencies, an item with both `quantity` and
  `per_week`, both cohort forms or an incomplete one.
- **Files**: a stage file outside the pathway's folder, missing, listed twice, or not a
  regular file (a folder, FIFO, device, symbolic link loop or link to nothing, or a name
  holding a NUL byte); a file that is empty, not a mapping, not UTF-8, holding a control
  character, indented with tabs, larger than {max_mb} MB ({max_bytes:,} bytes, counted
  as it is read), nested absurdly deeply, holding more than one YAML document, using
  unsafe tags (`!!python/...`), or using more than {max_aliases} aliases
  (`*name`) or aliases that would expand it to more than 200,000 values (an "alias bomb"
  is refused at once, without being expanded).
- **Costing** (`careprofiles cost`, and `careprofiles validate --tariff FILE` without
  costing): a code that no tariff row has (named with the YAML `file:line` where it is
  used, and the nearest code suggested), a role priced in a unit that cannot price staff
  time, an item priced per hour, and a tariff row whose price year differs from the
  pathway's when no price index is given.
"""

_TARIFF = """\
## Tariff CSV

```
code,description,unit,cost,price_year,source,hours_per_wte
district-nurse,District nurse (Band 6),hour,58,2024/25,PSSRU Unit Costs 2024,1545
healthcare-assistant,Healthcare assistant (Band 3),hour,34,2024/25,Estimate: from PSSRU 2024,1545
anticipatory-medicines,Anticipatory medicines pack,item,45,2024/25,Estimate: local formulary,
hospice-bed-day,Hospice inpatient bed day,day,500,2024/25,Estimate: local contract,
```

| column | | meaning |
| --- | --- | --- |
| `code` | **required** | the code a profile names: a staff `role` or an item `code` |
| `unit` | **required** | one of {units}; a staff role must be priced per {staff_units} |
| `cost` | **required** | pounds per unit, 0 or more, digits only (no `£` or thousands separators) |
| `price_year` | **required** | the financial year of `cost`, such as `2024/25` |
| `description` | optional | what one unit is |
| `source` | optional | where the figure comes from; begin estimates with `Estimate:` |
| `hours_per_wte` | optional | patient-related hours a year of one whole-time post ({hours}) |
| `market_forces` | optional | a multiplier for this row's cost in this area (default 1) |
| `funder` | optional | who pays by default: {funders}, or an id you define |
| `basis` | optional | what a staff rate is per: {bases} |
| `qualifications` | optional | a staff rate with qualification costs: {qualifications} |
| `grade` | optional | the grade of the figure's evidence: {grades} |

A service's `funder:` overrides its rows' `funder`; a line with neither is `unassigned`.
A layered file's staff rows must be of the `basis` of the rows below it
([costing.md](costing.md#one-unit-cost-basis)).

The header is line 1 of the file; problems name the line of the row. Codes are unique
within a file. Several files may be layered (`--tariff national.csv --tariff local.csv`):
a later file's row replaces an earlier file's row with the same code. A price index
(`price_year,index[,source]`) uplifts rows written in other years; see
[costing.md](costing.md).
"""

_EDITOR = """\
## Editor support

`careprofiles schema` prints a JSON Schema of both file formats, generated from the same
models as this page, so an editor can check files as you type, complete keys and show
these descriptions on hover.

```
careprofiles schema > careprofiles.profiles.schema.json            # pathway.yaml or a stage file
careprofiles schema stage > careprofiles.stage.schema.json
careprofiles schema pathway > careprofiles.pathway.schema.json
```

**VS Code** (the *YAML* extension by Red Hat, which runs yaml-language-server): associate
the combined schema with your profiles in `.vscode/settings.json` (the path is relative to
the workspace folder); it accepts either kind of file:

```json
{
  "yaml.schemas": {
    "./careprofiles.profiles.schema.json": "profiles/**/*.yaml"
  }
}
```

**Any editor using yaml-language-server** (VS Code, Neovim, Helix or Emacs, for example)
also reads a comment on the first line of a file, naming a schema for that file alone;
the path is relative to the file:

```yaml
# yaml-language-server: $schema=../../careprofiles.stage.schema.json
format: careprofiles/1
id: last-days
```

The schema checks keys, types and ranges; rules that span keys (exactly one frequency,
distributions' parameters, unique ids, stage files) are checked by
`careprofiles validate`, which remains the authority. Editors read YAML 1.2 and
careprofiles reads YAML 1.1 (as PyYAML does), where an unquoted `yes`, `no`, `on` or `off`
is true or false: quote such words where you mean the words.
"""


def main(argv: list[str] | None = None) -> int:
    """Write docs/format.md (or, with --check, report whether it is up to date)."""
    parser = argparse.ArgumentParser(description="Generate docs/format.md from the models.")
    parser.add_argument("--check", action="store_true", help="exit 1 if the page is stale")
    parser.add_argument("--output", type=Path, default=DOC, help="where to write the page")
    args = parser.parse_args(argv)
    text = format_reference()
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
        if current != text:
            print(f"{args.output} is out of date: run python -m careprofiles.profiles.reference")
            return 1
        return 0
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
