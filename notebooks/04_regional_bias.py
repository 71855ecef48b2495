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
# MiniLM experiment**, whose regional bias is measured, not planted: compared within
# population-rank strata, with simultaneous intervals for "best vs worst", a directed contrast
# named in advance (Europe vs Africa), the all-equal test, shrinkage for small countries and a
# world map of where each strategy fails. The closing cell lists what the numbers say.

# %% tags=["parameters"]
N_ITEMS: int = 600
N_MODELS: int = 12
N_BOOT: int = 2000
N_CITIES: int = 2000
MIN_GROUP: int = 20  # MiniLM regions with fewer cities per stratum are listed, not ranked
SEED: int = 0
FIG_DIR: str = "exports"  # beside the notebook (git-ignored); `make figures` passes figures/
EXPORT: bool = True

# %%
import warnings

import altair as alt
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
learned: list[str] = []  # the closing cell prints these, all computed below

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
planted = contrast(regions, weak["region"], other).filter(pl.col("model") == weak["model"])
print(
    planted.select(
        "model",
        "group_a",
        "group_b",
        "difference",
        "difference_ci_low",
        "difference_ci_high",
        "p_value",
    )
)
print(
    gaps.table.select(
        "model", "best_group", "worst_group", "gap", "gap_ci_low", "gap_ci_high", "p_value"
    )
)
c = planted.row(0, named=True)
learned.append(
    f"Demo: the planted weakness of {weak['model']} in {weak['region']} (delta {weak['delta']:+.2f} "
    f"logits) is recovered: {weak['region']} - {other} = {c['difference']:+.3f} "
    f"[{c['difference_ci_low']:+.3f}, {c['difference_ci_high']:+.3f}]."
)
g_weak = gaps.table.filter(pl.col("model") == weak["model"]).row(0, named=True)
n_real = gaps.table.filter(pl.col("gap_ci_low") > 0).height
learned.append(
    f"Demo: {n_real} of {gaps.table.height} models have a best-minus-worst region gap whose "
    f"simultaneous interval excludes 0; for {weak['model']} the worst region is "
    f"{g_weak['worst_group']} (gap {g_weak['gap']:.3f} [{g_weak['gap_ci_low']:.3f}, "
    f"{g_weak['gap_ci_high']:.3f}])."
)

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
irt_effects = irt_adjusted_effects(demo.results, "region").join(
    demo.truth.region_effects, left_on="group", right_on="region", how="left"
)
print(irt_effects)
truth = demo.truth.region_effects
reference_region = (set(truth["region"]) - set(irt_effects["group"])).pop()
reference_gamma = truth.filter(pl.col("region") == reference_region)["gamma"].item()
planted_diff = irt_effects["gamma"] - reference_gamma
covered_irt = (
    (irt_effects["ci_low"] <= planted_diff) & (planted_diff <= irt_effects["ci_high"])
).sum()
learned.append(
    f"Demo, net of ability (explanatory IRT, against {reference_region}): {covered_irt} of "
    f"{irt_effects.height} region effects' 95% intervals contain the planted difference."
)
learned.append(
    f"Demo: regions differ (chi2 = {het.statistic:.1f}, df = {het.df:g}, p = {het.p_value:.2g})."
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
ew_coverage = coverage(ew.country_items, "region", reference=reference, reference_value="countries")
print(ew_coverage)
covered = ew.country_items["iso2"].n_unique()
ratios = ew_coverage.sort("ratio")
learned.append(
    f"EarthWhere's {ew.country_items.height} country items cover {covered} of "
    f"{countries.height} M49 countries; relative to its share of countries, "
    f"{ratios['group'][-1]} has {ratios['ratio'][-1]:.2f}x its share of items and "
    f"{ratios['group'][0]} {ratios['ratio'][0]:.2f}x ({ratios['items'][0]} item(s))."
)
coverage_chart = plot.coverage_map(
    ew.country_items, title="EarthWhere (WhereCountry): items per country"
)
coverage_chart

# %% [markdown]
# ## Measured, not planted: MiniLM places real cities
# `minilm_geolocation` places GeoNames cities from their name alone with all-MiniLM-L6-v2:
# **flat** = the most similar country name (then admin1 within it), **top-down** = region, then
# sub-region, country, admin1. The outcome here is "country right". Famous cities are far
# easier, and most sampled cities are not famous, so regions are compared *within*
# population-rank strata: pooling all city sizes mixes a region's gap with its share of large
# cities.

# %%
experiment = minilm_geolocation(n_cities=N_CITIES, seed=SEED)
by_stratum = experiment.accuracy("rank_stratum").filter(pl.col("level") == "country")
print(by_stratum.select("model", "rank_stratum", "n", "accuracy"))
country_of = experiment.tree.ancestor_at(experiment.items["node"].to_numpy(), 3)
cities = experiment.items.with_columns(country_node=pl.Series(country_of))
country_right = (
    experiment.predictions.select("model", "item")
    .with_columns(
        correct=pl.Series(
            (
                experiment.tree.ancestor_at(experiment.predictions["pred"].to_numpy(), 3)
                == experiment.tree.ancestor_at(experiment.predictions["true"].to_numpy(), 3)
            ).astype(int)
        )
    )
    .join(cities.select("item", "region", "rank_stratum", "country_node"), on="item")
)
strata = list(experiment.items["rank_stratum"].dtype.categories)
print(
    "cities per stratum:",
    dict(
        cities.group_by("rank_stratum")
        .len()
        .select(pl.col("rank_stratum").cast(pl.String), "len")
        .iter_rows()
    ),
)
learned.append(
    "MiniLM flat, country right: "
    + ", ".join(
        f"{r['rank_stratum']} {r['accuracy']:.3f} (n={r['n']})"
        for r in by_stratum.filter(pl.col("model") == "MiniLM flat").iter_rows(named=True)
    )
    + ": famous cities are placed far better."
)

# %% [markdown]
# ### Accuracy by region within each stratum
# Wilson intervals per region; items are cities, one answer per strategy.

# %%
minilm_d = {
    s: disaggregate(
        country_right.filter(pl.col("rank_stratum") == s), "region", n_boot=N_BOOT, seed=SEED
    )
    for s in strata
}
minilm_table = pl.concat(
    [d.table.with_columns(stratum=pl.lit(s)) for s, d in minilm_d.items()]
).select("stratum", "model", "group", "n", "estimate", "ci_low", "ci_high")
print(minilm_table.filter(pl.col("model") == "MiniLM flat"))
middle = strata[1]  # ranks 300-1,000: enough cities and still known by name
minilm_chart = plot.forest_plot(
    minilm_d[middle],
    title=f"MiniLM: country right by region, cities of population rank {middle}",
)
minilm_chart

# %% [markdown]
# ### Is there a gap at all, and how big?
# Per stratum and strategy: best minus worst region with **simultaneous** intervals over all
# pairs of regions with at least `MIN_GROUP` cities (smaller regions are listed, not ranked),
# and the all-equal test (Pearson chi-square over the ranked regions). For right/wrong answers
# each pair's interval is Newcombe's at the simultaneous level, so regions of `MIN_GROUP` cities
# stay honest (wide, not wrong). A pair whose interval excludes 0 is a real gap; one containing 0 is
# no evidence of a gap - which is not evidence of equality.

# %%
gap_rows, minilm_disparity = [], {}
for s, d in minilm_d.items():
    sizes = d.table.filter(pl.col("n") >= MIN_GROUP).group_by("model").len()
    if sizes.height == 0 or sizes["len"].max() < 2:
        print(f"ranks {s}: fewer than two regions with {MIN_GROUP} cities - not ranked")
        learned.append(
            f"MiniLM, ranks {s}: too few cities per region to rank regions "
            f"(sizes {dict(d.table.unique('group').select('group', 'n').iter_rows())})."
        )
        continue
    g = disparity(d, min_size=MIN_GROUP)
    minilm_disparity[s] = g
    gap_rows.append(g.table.with_columns(stratum=pl.lit(s)))
    for r in g.table.iter_rows(named=True):
        pairs = g.pairs.filter(pl.col("model") == r["model"])
        real = pairs.filter(pl.col("significant"))
        small = g.small.filter(pl.col("model") == r["model"])["group"].to_list()
        said = "; ".join(
            f"{p['group_a']} - {p['group_b']} {p['difference']:+.3f} "
            f"[{p['ci_low']:+.3f}, {p['ci_high']:+.3f}]"
            for p in real.iter_rows(named=True)
        )
        verdict = (
            f"not ranked ({r['note']})"
            if r["gap"] is None
            else f"{real.height} of {pairs.height} region pairs differ ({said})"
            if real.height
            else f"no pair of regions differs (gap {r['gap']:.3f} [{r['gap_ci_low']:.3f}, "
            f"{r['gap_ci_high']:.3f}])"
        )
        learned.append(
            f"{r['model']}, ranks {s}: {verdict}; all-equal p = {r['p_value']:.2g}"
            + (f"; not ranked (< {MIN_GROUP} cities): {', '.join(small)}." if small else ".")
        )
minilm_gaps = pl.concat(gap_rows or [pl.DataFrame()], how="diagonal_relaxed")
shown = ["stratum", "model", "n_groups", "n_small", "best_group", "worst_group", "gap"]
shown += ["gap_ci_low", "gap_ci_high", "p_value"]
print(minilm_gaps.select(shown) if gap_rows else "no stratum ranked")

# %% [markdown]
# ### A comparison named in advance: Europe against Africa
# Chosen before looking at the data (the gap geolocation papers report), so it needs no
# multiplicity correction: Newcombe interval for the difference, MOVER-R for the ratio, score
# test p-value, in every stratum where both regions have cities. It is narrower than the same
# pair's simultaneous interval above (printed side by side): that is the price of choosing the
# pair after looking. Strata with very few cities in either region are flagged as fragile.

# %%
named = pl.concat(
    [
        contrast(d, "Europe", "Africa").with_columns(stratum=pl.lit(s))
        for s, d in minilm_d.items()
        if {"Europe", "Africa"} <= set(d.table["group"].to_list())
    ],
    how="diagonal_relaxed",
).select(
    "stratum",
    "model",
    "n_a",
    "n_b",
    "estimate_a",
    "estimate_b",
    "difference",
    "difference_ci_low",
    "difference_ci_high",
    "p_value",
)
print(named)
for r in named.iter_rows(named=True):
    g = minilm_disparity.get(r["stratum"])
    pair = (
        g.pairs.filter(
            (pl.col("model") == r["model"])
            & pl.col("group_a").is_in(["Europe", "Africa"])
            & pl.col("group_b").is_in(["Europe", "Africa"])
        )
        if g is not None
        else pl.DataFrame()
    )
    if pair.height:
        print(
            f"{r['stratum']:>12} {r['model']:<16} Europe - Africa interval width: named in advance "
            f"{r['difference_ci_high'] - r['difference_ci_low']:.3f}, simultaneous over all pairs "
            f"{pair['ci_high'][0] - pair['ci_low'][0]:.3f}"
        )
    real = r["difference_ci_low"] > 0 or r["difference_ci_high"] < 0
    few = min(r["n_a"], r["n_b"]) < MIN_GROUP
    learned.append(
        f"Europe - Africa, {r['model']}, ranks {r['stratum']}: {r['difference']:+.3f} "
        f"[{r['difference_ci_low']:+.3f}, {r['difference_ci_high']:+.3f}] "
        f"(n = {r['n_a']} / {r['n_b']}): "
        + ("a real gap" if real else "not distinguishable from 0")
        + (" (very few cities: fragile)." if few else ".")
    )

# %% [markdown]
# ### Net of the strategy: do regions differ?
# The all-equal test with both strategies at once (logistic regression with strategy fixed
# effects, item-clustered Wald test; a permutation test when a region has too few right or
# wrong answers), on the largest stratum.

# %%
largest = strata[-1]
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    het_minilm = heterogeneity_test(
        country_right.filter(pl.col("rank_stratum") == largest), "region", seed=SEED
    )
print(het_minilm.method)
for w in caught:
    print("note:", w.message)
print(
    f"ranks {largest}: chi2 = {het_minilm.statistic:.1f}, df = {het_minilm.df:g}, "
    f"p = {het_minilm.p_value:.2g}"
)
print(het_minilm.table)
learned.append(
    f"Test that all regions are equal, cities of rank {largest}, both strategies: "
    f"p = {het_minilm.p_value:.2g} - "
    + ("rejected: regions differ." if het_minilm.p_value < 0.05 else "not rejected.")
)

# %% [markdown]
# ### Countries: shrinkage, and a world map of where each strategy fails
# Many countries have a handful of cities; their raw accuracy is noise. Empirical-Bayes
# shrinkage pulls each country towards its sub-region (and that towards its region). The maps
# show the pooled **error rate** (1 - pooled country accuracy, all strata): dark = fails.

# %%
iso = cities.unique("country_node").select(pl.col("country_node").alias("node"), "iso2", "country")
pooled_countries = {}
for name in experiment.predictions["model"].unique(maintain_order=True):
    one = country_right.filter(pl.col("model") == name).rename({"country_node": "node"})
    shrunk = shrink_along_tree(experiment.tree, one, max_depth=3).filter(pl.col("depth") == 3)
    pooled_countries[name] = shrunk.join(iso, on="node").with_columns(error=1 - pl.col("pooled"))
lowest = min(t["error"].min() for t in pooled_countries.values())
maps = [
    plot.choropleth(
        t,
        "error",
        country="iso2",
        title=f"{name}: share of cities placed in the wrong country (pooled)",
        value_title="error rate",
        scheme="reds",
        domain=(lowest, 1.0),
    )
    for name, t in pooled_countries.items()
]
flat_pooled = pooled_countries["MiniLM flat"]
print(flat_pooled.sort("n").select("country", "n", "raw", "pooled", "parent_pooled").head(6))
print(flat_pooled.sort("pooled").select("country", "n", "raw", "pooled").tail(5))
spread_raw = flat_pooled["raw"].std()
spread_pooled = flat_pooled["pooled"].std()
for name, t in pooled_countries.items():
    t = t.sort("error")
    learned.append(
        f"Map, {name}: lowest pooled error {t['country'][0]} ({t['error'][0]:.3f}); "
        f"{t.filter(pl.col('error') > 0.95).height} of {t.height} countries above 0.95."
    )
learned.append(
    f"Shrinkage (flat): country accuracies spread {spread_raw:.3f} (sd) raw, {spread_pooled:.3f} "
    f"pooled; the best pooled country is {flat_pooled.sort('pooled')['country'][-1]} "
    f"({flat_pooled.sort('pooled')['pooled'][-1]:.3f})."
)
failure_map = alt.vconcat(*maps).resolve_scale(color="shared")
failure_map

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

# %% [markdown]
# ## What we learned
# Each line is computed from the results above.

# %%
for line in learned:
    print("-", line)

# %% [markdown]
# ## Export
# Only `make figures` writes into `figures/`; an interactive run writes to `exports/`.

# %%
if EXPORT:
    for chart, name in (
        (heatmap, "04_demo_heatmap"),
        (forest, "04_demo_forest"),
        (disparity_chart, "04_demo_disparity"),
        (coverage_chart, "04_earthwhere_coverage"),
        (minilm_chart, "04_minilm_regions"),
        (failure_map, "04_minilm_failure_map"),
    ):
        plot.save(chart, name, folder=FIG_DIR)
