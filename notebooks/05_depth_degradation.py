# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Depth degradation
#
# The deeper the answer a question requires (region, then country, then city), the lower the
# accuracy. This notebook measures how fast it falls: accuracy per level with intervals,
# chance-normalised accuracy (deeper levels have more candidates), survival (every level down to
# l right) and conditional accuracy (level l right given all above right), the deepest right
# level, and logistic regressions of correctness on depth with a test of whether two models
# degrade at different rates. The **demo** has a planted decay; the **MiniLM experiment**
# (a real model placing real cities from their names) has a measured one.

# %% tags=["parameters"]
N_ITEMS: int = 600
N_MODELS: int = 12
N_CITIES: int = 2000
SEED: int = 0
FIG_DIR: str = "exports"  # beside the notebook (git-ignored); `make figures` passes figures/
EXPORT: bool = True

# %%
import polars as pl

from hierlab import plot
from hierlab.datasets import load_demo
from hierlab.depth import (
    accuracy_by_depth,
    compare_slopes,
    deepest_correct,
    depth_regression,
    depth_table,
    survival,
)
from hierlab.experiments import minilm_geolocation

plot.setup_notebook(globals(), folder=FIG_DIR)  # offline charts, paper theme, checks
demo = load_demo(n_items=N_ITEMS, n_models=N_MODELS, seed=SEED)
levels = ["Region", "Sub-region", "Country", "Admin1", "City"]
models = demo.truth.abilities["model"].to_list()
chosen = [models[0], models[len(models) // 2], models[-1]]
preds = demo.predictions.filter(pl.col("model").is_in(chosen))

# %% [markdown]
# ## Accuracy per level, raw and chance-normalised
# Chance is a uniform random walk down the tree; normalised accuracy is 0 at chance and 1 when
# perfect, so levels with many candidates are not flattered.

# %%
acc = accuracy_by_depth(demo.tree, preds)
raw_chart = plot.depth_curves(acc, depth_labels=levels, title="Demo: accuracy by level")
normalised_chart = plot.depth_curves(
    acc, depth_labels=levels, normalised=True, title="Chance-normalised"
)
raw_chart | normalised_chart

# %% [markdown]
# ## Survival and conditional accuracy
# Survival compounds the losses; conditional accuracy shows where they happen. The planted level
# offsets fall with depth, so conditional accuracy falls too.

# %%
surv = survival(demo.tree, preds)
survival_chart = plot.survival_plot(surv, depth_labels=levels)
print(acc.select("model", "depth", "conditional", "conditional_ci_low", "conditional_ci_high"))
survival_chart

# %%
deepest_chart = plot.deepest_correct_cdf(
    deepest_correct(demo.tree, preds), title="Deepest right level"
)
deepest_chart

# %% [markdown]
# ## Regression slopes
# Logistic regression of correctness on depth per model, standard errors clustered by item:
# the slope is the change in log-odds per level. The Wald test asks whether all models share
# one slope; `compare_slopes` compares two.

# %%
reg = depth_regression(depth_table(demo.tree, preds))
print(f"equal slopes: chi2 = {reg.equal_slopes.statistic:.1f}, p = {reg.equal_slopes.p_value:.2g}")
print(compare_slopes(reg, chosen[0], chosen[-1]).summary())
reg.summary()

# %% [markdown]
# ## A real model: MiniLM placing cities
# The same analyses on the live experiment (four levels: region to admin1).

# %%
experiment = minilm_geolocation(n_cities=N_CITIES, seed=SEED)
minilm_acc = accuracy_by_depth(experiment.tree, experiment.predictions)
minilm_chart = plot.depth_curves(
    minilm_acc, depth_labels=levels[:4], title="MiniLM: accuracy by level"
)
minilm_reg = depth_regression(depth_table(experiment.tree, experiment.predictions))
print(minilm_reg.slopes.select("model", "estimate", "ci_low", "ci_high", "odds_ratio"))
print(compare_slopes(minilm_reg, "MiniLM top-down", "MiniLM flat").summary())
minilm_chart

# %% [markdown]
# ## Explore
# Choose models and the measure; setting a control from code updates the chart.

# %%
from hierlab.widgets import explore_depth

explorer = explore_depth(demo.tree, demo.predictions, depth_labels=levels)
explorer.controls["measure"].value = "survival"
assert "hconcat" in explorer.chart.to_dict()
explorer

# %%
if EXPORT:
    for chart, name in (
        (raw_chart | normalised_chart, "05_demo_accuracy_by_level"),
        (survival_chart, "05_demo_survival"),
        (deepest_chart, "05_demo_deepest"),
        (minilm_chart, "05_minilm_accuracy_by_level"),
    ):
        plot.save(chart, name, folder=FIG_DIR)
