# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # hierlab in five minutes
#
# This notebook runs the whole workflow once on the **embedded demo**: a simulated
# geolocation benchmark whose items are real cities (World > region > sub-region > country >
# admin1 > city), answered by a dozen simulated models with known abilities, planted regional
# weaknesses and a planted decay of accuracy with depth. Because the truth is known, every
# number below can be checked against it. No network is needed.

# %% tags=["parameters"]
SEED: int = 0
N_ITEMS: int = 600
N_MODELS: int = 12
FIG_DIR: str = "exports"  # beside the notebook (git-ignored); `make figures` passes figures/
EXPORT: bool = True

# %%
import warnings

import polars as pl

from hierlab import plot
from hierlab.bias import disaggregate
from hierlab.datasets import load_demo
from hierlab.depth import accuracy_by_depth
from hierlab.errors import HierlabWarning
from hierlab.irt import fit_irt, responses_from_long

plot.setup_notebook(globals(), folder=FIG_DIR)  # offline charts, paper theme, checks
# the demo's easiest and hardest items are answered alike by every model, as planted
warnings.filterwarnings("ignore", "[0-9]+ item.* same response from every", HierlabWarning)
demo = load_demo(n_items=N_ITEMS, n_models=N_MODELS, seed=SEED)
demo.results.head()

# %% [markdown]
# ## The tree
# Every item sits at a node of a `Tree`. Node identity is the root-to-node path, so the
# many cities that share a name stay distinct.

# %%
print(demo.tree)
demo.tree.to_polars().filter(pl.col("depth") == 1).select("label", "size", "n_leaves")

# %% [markdown]
# ## One IRT fit
# A 2PL model puts models and items on one scale. The planted abilities decrease from the
# first model to the last; the estimates should follow them.

# %%
fit = fit_irt(responses_from_long(demo.results), "2pl")
recovered = fit.abilities.join(demo.truth.abilities, on="model")
print(
    f"correlation of estimated and planted ability: {recovered.select(pl.corr('theta', 'theta_right')).item():.3f}"
)
recovered.select("model", "theta", "theta_se", "theta_right").head(4)

# %% [markdown]
# ## One bias map
# Accuracy by region with Wilson intervals, for the best model.

# %%
regions = disaggregate(demo.results, "region", n_boot=0)
forest = plot.forest_plot(regions, model=recovered["model"][0], title="Accuracy by region")
forest

# %% [markdown]
# ## One depth curve
# Accuracy at each level of the hierarchy, for three models.

# %%
levels = ["Region", "Sub-region", "Country", "Admin1", "City"]
chosen = demo.truth.abilities["model"].to_list()[::4]
curves = plot.depth_curves(
    accuracy_by_depth(demo.tree, demo.predictions.filter(pl.col("model").is_in(chosen))),
    depth_labels=levels,
)
curves

# %% [markdown]
# ## One exported figure
# `plot.save` writes SVG, PNG (300 dpi) and PDF offline through vl-convert, with the paper
# theme, sized for a journal column.

# %%
if EXPORT:
    written = plot.save(curves, "00_depth_curves", folder=FIG_DIR)
    written += plot.save(forest, "00_forest_region", folder=FIG_DIR)
    print([p.name for p in written])
