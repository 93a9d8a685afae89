# %% [markdown]
# # Costing a pathway: a notebook to start from
#
# Run it as a script (`python examples/notebook_costing.py`) or open it as a notebook:
# VS Code and JupyterLab (with jupytext) read the `# %%` cells. It loads the bundled adult
# end-of-life pathway, costs it with the bundled 2024/25 tariff, looks at the figures by
# stage and by role, then layers a local tariff over the national one and shows what
# changes. Replace the bundled pathway with your own folder: `cp.load_pathway("my/folder")`.
#
# Jupyter notebooks (costing, a board paper, audit and benchmarking) are in
# examples/notebooks/ (docs/notebooks.md).

# %%
import tempfile
from pathlib import Path

import pandas as pd

import careprofiles as cp
from careprofiles.resources import bundled_tariff

pd.set_option("display.width", 120)
pd.set_option("display.max_columns", 12)

# %% [markdown]
# ## Load and check the pathway
# `load_pathway()` with no argument loads the bundled pathway; any problem in any file
# raises a `ProfileError` listing every problem with its `file:line`.

# %%
pathway = cp.load_pathway()
print(pathway.name, f"({pathway.price_year} prices)")
print(f"cohort: {pathway.cohort.size:,.0f} patients a year")
for stage in pathway.stages:
    print(f"  {stage.id}: {len(stage.services)} services, {len(stage.outcomes)} outcomes")

# %% [markdown]
# ## Cost it with the national tariff

# %%
national = cp.load_tariff()  # the bundled national-2024-25.csv
result = cp.cost(pathway, national)
print(f"cost per patient: £{result.per_patient:,.2f}")
print(f"population cost a year: £{result.total:,.0f}")

# %% [markdown]
# ## By stage, and by role (hours and whole-time equivalents)

# %%
stages = result.by_stage()
columns = ["stage", "duration_weeks", "patients", "per_patient_reached", "per_patient", "total"]
print(stages[columns].round(2).to_string(index=False))

# %%
roles = result.by_role().sort_values("cost", ascending=False)
print(roles[["role", "hours", "wte", "cost"]].round(1).to_string(index=False))

# %% [markdown]
# ## Where does a figure come from?
# Every figure is a sum of `result.lines`; each line names the YAML line and the tariff
# row it came from.

# %%
biggest = result.lines.sort_values("cost_population", ascending=False).head(3)
for line in biggest.itertuples():
    print(f"£{line.cost_population:,.0f} a year: {line.address}")
    print(f"    profile {line.source}; tariff {line.tariff_source}")

# %% [markdown]
# ## A local tariff layered over the national one
# Later files win, row by row. Here the local trust pays district nurses more and
# expects fewer patient-facing hours a year from each whole-time nurse, and buys home
# care at a 2023/24 contract price, uplifted with the bundled price index.

# %%
local_csv = (
    "code,unit,cost,price_year,hours_per_wte,source\n"
    "district-nurse,hour,61,2024/25,1400,Local: trust rate with qualifications\n"
    "homecare-worker,hour,27.50,2023/24,,Local: home care contract 2023/24\n"
)
with tempfile.TemporaryDirectory() as folder:
    local_file = Path(folder) / "local-tariff.csv"
    local_file.write_text(local_csv, encoding="utf-8")
    layered = cp.load_tariff(bundled_tariff(), local_file)  # national first, local wins
local = cp.cost(pathway, layered, index=cp.load_price_index())
print(f"national: £{result.per_patient:,.2f} per patient; local: £{local.per_patient:,.2f}")

# %%
compare = result.by_role()[["role", "wte", "cost"]].merge(
    local.by_role()[["role", "wte", "cost"]], on="role", suffixes=("", "_local")
)
compare["cost_change"] = compare["cost_local"] - compare["cost"]
print(compare[compare["cost_change"] != 0].round(1).to_string(index=False))

# %%
homecare = local.lines[local.lines["code"] == "homecare-worker"].iloc[0]
print("home care rate:", round(homecare["unit_cost"], 2), "|", homecare["adjustments"])

# %% [markdown]
# ## Market forces
# One factor for every cost in an area (hours and WTE do not change).

# %%
area = cp.cost(pathway, layered.with_market_forces(1.05), index=cp.load_price_index())
print(f"with market forces 1.05: £{area.per_patient:,.2f} per patient")
