# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Regional bias
#
# Geolocation benchmarks report that models score much better in some parts of the world than
# others. This notebook measures such gaps honestly: with intervals (Wilson for accuracies, a
# cluster bootstrap for everything else), with tests that account for items being shared by
# all models, net of item difficulty (explanatory IRT), and with partial pooling for small
# regions. It starts on the **demo**, whose regional weaknesses are planted and known, then
# turns to **EarthWhere**'s item coverage (uneven coverage is itself a bias) and to the **live
# MiniLM experiment**, whose regional bias is measured, not planted.

# %% tags=["parameters"]
N_ITEMS: int = 600
N_MODELS: int = 12
N_BOOT: int = 2000
N_CITIES: int = 2000
SEED: int = 0
FIG_DIR: str = "exports"  # beside the notebook (git-ignored); `make figures` passes figures/
EXPORT: bool = True

# %%
import polars as pl

from hierlab import plot
from hierlab.bias import (
    contrast,
    coverage,
    disaggregate,
    disparity,
    group_vs_rest,
    heterogeneity_test,
    irt_adjusted_effects,
    shrink_along_tree,
)
from hierlab.datasets import fetch_earthwhere, fetch_un_m49, load_demo
from hierlab.experiments import minilm_geolocation

plot.setup_notebook(globals(), folder=FIG_DIR)  # offline charts, paper theme, checks
demo = load_demo(n_items=N_ITEMS, n_models=N_MODELS, seed=SEED)

# %% [markdown]
# ## Planted bias, recovered with intervals
# Accuracy by region for every model; the truth table lists what was planted.

# %%
regions = disaggregate(demo.results, "region", n_boot=N_BOOT, seed=SEED)
print(demo.truth.model_region_effects.filter(pl.col("delta") != 0))
heatmap = plot.group_heatmap(regions, title="Demo: accuracy by model and region")
heatmap

# %%
weak = demo.truth.model_region_effects.filter(pl.col("delta") < 0).row(0, named=True)
forest = plot.forest_plot(
    regions, model=weak["model"], title=f"{weak['model']}: planted weakness in {weak['region']}"
)
forest

# %% [markdown]
# ## How big is the gap?
# Best minus worst region and best over worst, with simultaneous (max-T) bootstrap intervals
# over every pair of regions with at least 30 items (items resampled within regions, keeping
# each item's answers from all models together): valid although the best and worst were
# picked from the data, so an interval containing 0 means "no evidence of a gap". Smaller
# regions are listed, not ranked. A comparison named in advance (the planted weak region
# against Europe) is a directed contrast, with Newcombe and MOVER-R intervals.

# %%
gaps = disparity(regions)
disparity_chart = plot.disparity_plot(gaps, title="Best minus worst region (simultaneous 95% CI)")
other = "Europe" if weak["region"] != "Europe" else "Americas"
print(contrast(regions, weak["region"], other).filter(pl.col("model") == weak["model"]))
gaps.table.select("model", "gap", "gap_ci_low", "gap_ci_high", "relative_gap", "worst_group")

# %% [markdown]
# ## Tests
# Do regions differ at all (Wald test, item-clustered errors)? Which region differs from the
# rest (Holm-corrected)? And net of the models' abilities, how much harder are each region's
# items (explanatory IRT: the benchmark-wide effects planted as Europe > Americas > Asia >
# Oceania > Africa)?

# %%
het = heterogeneity_test(demo.results, "region")
print(f"heterogeneity: chi2 = {het.statistic:.1f}, df = {het.df:g}, p = {het.p_value:.2g}")
print(group_vs_rest(demo.results, "region"))
irt_adjusted_effects(demo.results, "region").join(
    demo.truth.region_effects, left_on="group", right_on="region", how="left"
)

# %% [markdown]
# ## Small regions: partial pooling
# A country with three items cannot be scored on its own. Empirical-Bayes shrinkage pulls each
# country towards its sub-region, and each sub-region towards its region.

# %%
one_model = demo.results.filter(pl.col("model") == weak["model"]).join(
    demo.items.select("item", "node"), on="item"
)
pooled = shrink_along_tree(demo.tree, one_model, max_depth=3)
pooled.filter(pl.col("depth") == 3).sort("n").select(
    "path", "n", "raw", "pooled", "parent_pooled"
).head(8)

# %% [markdown]
# ## Coverage: EarthWhere's items against the world's countries
# Items per region relative to the region's share of the world's countries (M49).

# %%
ew = fetch_earthwhere()
countries = fetch_un_m49().countries.filter(pl.col("region_source") == "M49")
reference = countries.group_by("region").len().rename({"len": "countries"})
print(coverage(ew.country_items, "region", reference=reference, reference_value="countries"))
coverage_chart = plot.coverage_map(
    ew.country_items, title="EarthWhere (WhereCountry): items per country"
)
coverage_chart

# %% [markdown]
# ## Measured, not planted: the MiniLM experiment
# Country-level accuracy by region of MiniLM's placements of real cities from their names.

# %%
experiment = minilm_geolocation(n_cities=N_CITIES, seed=SEED)
country_right = experiment.predictions.with_columns(
    correct=(
        experiment.tree.ancestor_at(experiment.predictions["pred"].to_numpy(), 3)
        == experiment.tree.ancestor_at(experiment.predictions["true"].to_numpy(), 3)
    ).astype(int)
).join(experiment.items.select("item", "region"), on="item")
minilm_regions = disaggregate(country_right, "region", n_boot=N_BOOT, seed=SEED)
minilm_chart = plot.forest_plot(
    minilm_regions, title="MiniLM: country right, by region of the city"
)
minilm_chart

# %% [markdown]
# ## Explore
# Pick the grouping level and the model; clicking a region in the forest plot picks it in the
# heatmap. Setting a control from code updates the charts.

# %%
from hierlab.widgets import explore_bias

explorer = explore_bias(demo.results, ["region", "sub_region"], n_boot=0)
explorer.controls["group"].value = "sub_region"
assert explorer.chart.title.endswith("by sub_region")
explorer

# %%
if EXPORT:
    for chart, name in (
        (heatmap, "04_demo_heatmap"),
        (forest, "04_demo_forest"),
        (disparity_chart, "04_demo_disparity"),
        (coverage_chart, "04_earthwhere_coverage"),
        (minilm_chart, "04_minilm_regions"),
    ):
        plot.save(chart, name, folder=FIG_DIR)
