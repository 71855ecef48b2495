# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Depth degradation: where does a real model lose the trail?
#
# The deeper the answer a question requires (region, then country, then province), the lower
# the accuracy. The question of this notebook: **for a real model, at which level is the
# trail lost, and does the way the model places answers (one flat choice or a walk down the
# tree) change how fast accuracy falls?** The headline measure is *conditional accuracy*:
# right at a level given right at the level above, so each step's loss is seen on its own
# instead of compounded. A short warm-up on the simulated demo first checks that the tools
# recover a planted decay; the rest is the live MiniLM experiment.

# %% tags=["parameters"]
N_ITEMS: int = 600
N_MODELS: int = 12
N_CITIES: int = 2000
SEED: int = 0
FIG_DIR: str = "exports"  # beside the notebook (git-ignored); `make figures` passes figures/
EXPORT: bool = True

# %%
import altair as alt
import numpy as np
import polars as pl

from hierlab import plot
from hierlab.datasets import load_demo, load_places
from hierlab.depth import (
    accuracy_by_depth,
    compare_slopes,
    deepest_correct,
    depth_regression,
    depth_table,
    survival,
)
from hierlab.experiments import minilm_geolocation
from hierlab.geo import geo_accuracy

plot.setup_notebook(globals(), folder=FIG_DIR)  # offline charts, paper theme, checks
learned: list[str] = []  # the closing cell's takeaways, each computed where it is shown


def with_ci(measure: str, low: str, high: str) -> pl.Expr:
    """One printable column: estimate [low, high]."""
    return pl.format(
        "{} [{}, {}]",
        *(pl.col(c).round(3) for c in (measure, low, high)),
    ).alias(measure)


# %% [markdown]
# ## 1. Warm-up: a planted decay is recovered
# The demo's simulated models answer down World > region > sub-region > country > admin1 >
# city, with a planted offset per level (lower = harder). If the tools are right,
# conditional accuracy falls where the offsets fall and the depth slopes are negative.

# %%
demo = load_demo(n_items=N_ITEMS, n_models=N_MODELS, seed=SEED)
levels = ["Region", "Sub-region", "Country", "Admin1", "City"]
models = demo.truth.abilities["model"].to_list()
chosen = [models[0], models[len(models) // 2], models[-1]]
preds = demo.predictions.filter(pl.col("model").is_in(chosen))
acc = accuracy_by_depth(demo.tree, preds)
planted = demo.truth.depth_offsets.join(
    accuracy_by_depth(demo.tree, demo.predictions)
    .group_by("depth")
    .agg(pl.col("conditional").mean().alias("mean_conditional")),
    on="depth",
).sort("depth")
print(planted)
rank_agreement = planted.select(pl.corr("alpha", "mean_conditional", method="spearman")).item()
demo_reg = depth_regression(depth_table(demo.tree, demo.predictions))
negative = int((demo_reg.slopes["ci_high"] < 0).sum())
print(
    f"rank correlation of planted offsets and conditional accuracy: {rank_agreement:.2f}; "
    f"{negative} of {demo_reg.slopes.height} models have a depth slope whose 95% interval "
    "is below 0"
)
learned.append(
    f"Warm-up: conditional accuracy follows the planted level offsets (rank correlation "
    f"{rank_agreement:.2f}), and {negative} of {demo_reg.slopes.height} simulated models have "
    "a clearly negative depth slope."
)

# %%
raw_chart = plot.depth_curves(acc, depth_labels=levels, title="Demo: path accuracy by level")
normalised_chart = plot.depth_curves(
    acc, depth_labels=levels, normalised=True, title="Demo: chance-normalised"
)
raw_chart | normalised_chart

# %% [markdown]
# Survival (every level down to l right) compounds the losses; the distribution of the
# deepest right level shows where answers stop being right.

# %%
survival_chart = plot.survival_plot(survival(demo.tree, preds), depth_labels=levels)
deepest_chart = plot.deepest_correct_cdf(
    deepest_correct(demo.tree, preds), title="Demo: deepest right level"
)
survival_chart | deepest_chart

# %% [markdown]
# ## 2. A real model: MiniLM placing cities from their names
# `minilm_geolocation` embeds each city's *name alone* with all-MiniLM-L6-v2 and places it
# in World > region > sub-region > country > admin1 by cosine similarity with the candidate
# names, in two ways: **flat** (nearest country name, then nearest admin1 within that
# country) and **top-down** (nearest region, then sub-region, country and admin1 among the
# children of each choice). It is a baseline of name semantics, not a geocoder. Cities carry
# their population rank among all GeoNames cities (strata: top 300, 300-1,000, beyond).

# %%
experiment = minilm_geolocation(n_cities=N_CITIES, seed=SEED)
tree, items = experiment.tree, experiment.items
mini_levels = ["Region", "Sub-region", "Country", "Admin1"]
strategies = ["MiniLM top-down", "MiniLM flat"]
mini = experiment.predictions.join(
    items.select("item", "region", "rank_stratum"), on="item", how="left"
)
print(f"{items.height:,} cities, {experiment.card.sizes['admin1_candidates']:,} admin1 candidates")
print(items["rank_stratum"].value_counts().sort("rank_stratum"))

# %% [markdown]
# ### Per level: label accuracy vs path accuracy
# *Path* accuracy asks for the right node (the right country *and* region above it);
# *label* accuracy, what geolocation papers report, accepts the right name whatever the path.
# A placement is always a full path here, so both coincide unless a name repeats across
# branches. Coverage is printed to check abstention: the experiment always answers.

# %%
mini_acc = accuracy_by_depth(tree, mini)
print(
    mini_acc.select(
        "model",
        "depth",
        "n",
        with_ci("accuracy", "ci_low", "ci_high"),
        with_ci("label_accuracy", "label_accuracy_ci_low", "label_accuracy_ci_high"),
        "coverage",
    )
)
assert (mini_acc["coverage"] == 1).all()  # no abstentions: selective accuracy adds nothing
gap = mini_acc.select((pl.col("label_accuracy") - pl.col("accuracy")).abs().max()).item()
print(f"largest gap between label and path accuracy: {gap:.4f}")
learned.append(
    f"Label and path accuracy differ by at most {gap:.4f} at any level"
    + (
        ": a right name reached by a wrong path is rare, so path accuracy is the measure."
        if gap < 0.01
        else ": some right names are reached by a wrong path; report both."
    )
)
path_chart = plot.depth_curves(
    mini_acc, depth_labels=mini_levels, title="MiniLM: path accuracy by level"
)
path_chart

# %% [markdown]
# ### The headline: conditional accuracy
# Right at each level among the cities placed right at the level above (`n_given`). The first
# point is plain region accuracy. Top-down makes a fresh choice at every level; flat makes one
# choice (the country) and inherits its region and sub-region, so its sub-region step only
# asks whether the country was right within the sub-region.

# %%
cond = mini_acc.sort("model", "depth").select(
    "model",
    "depth",
    # the cities right at the level above: the denominator of conditional accuracy
    pl.col("n_correct").shift(1).over("model").fill_null(pl.col("n")).alias("n_given"),
    with_ci("conditional", "conditional_ci_low", "conditional_ci_high"),
)
print(cond)
minilm_chart = plot.depth_curves(
    mini_acc,
    depth_labels=mini_levels,
    measure="conditional",
    title="MiniLM: right given the level above right",
)
for strategy in strategies:
    first = mini_acc.filter(pl.col("model") == strategy, pl.col("depth") == 1).row(0, named=True)
    below = mini_acc.filter(pl.col("model") == strategy, pl.col("depth") > 1)
    line = (
        f"{strategy}: region right for {first['accuracy']:.3f} "
        f"[{first['ci_low']:.3f}, {first['ci_high']:.3f}] of the cities; each later step "
        f"keeps {below['conditional'].min():.3f} to {below['conditional'].max():.3f} of "
        "those right above"
    )
    print(line)
    learned.append(line + ".")
# where do the two strategies differ most, one level at a time?
wide = (
    mini_acc.select("model", "depth", "conditional", "conditional_ci_low", "conditional_ci_high")
    .pivot(
        on="model",
        index="depth",
        values=["conditional", "conditional_ci_low", "conditional_ci_high"],
    )
    .with_columns(gap=pl.col("conditional_MiniLM flat") - pl.col("conditional_MiniLM top-down"))
)
step = wide.row(int(np.argmax(wide["gap"].abs().to_numpy())), named=True)
line = (
    f"The strategies differ most at {mini_levels[step['depth'] - 1].lower()}: conditional "
    f"accuracy flat {step['conditional_MiniLM flat']:.3f} "
    f"[{step['conditional_ci_low_MiniLM flat']:.3f}, {step['conditional_ci_high_MiniLM flat']:.3f}]"
    f" vs top-down {step['conditional_MiniLM top-down']:.3f} "
    f"[{step['conditional_ci_low_MiniLM top-down']:.3f}, "
    f"{step['conditional_ci_high_MiniLM top-down']:.3f}]"
)
print(line)
learned.append(line + ".")
minilm_chart

# %% [markdown]
# ## 3. Depth slopes: do the two strategies degrade at different rates?
# Logistic regression of path correctness on depth, one slope per strategy (change in
# log-odds per level), standard errors clustered by city. `compare_slopes` tests whether the
# two slopes differ.

# %%
minilm_reg = depth_regression(depth_table(tree, mini))
print(minilm_reg.slopes.select("model", "estimate", "ci_low", "ci_high", "odds_ratio"))
slope_test = compare_slopes(minilm_reg, "MiniLM top-down", "MiniLM flat")
print(slope_test.summary())
slopes = {r["model"]: r for r in minilm_reg.slopes.iter_rows(named=True)}
learned.append(
    "Depth slopes (log-odds per level): top-down "
    f"{slopes['MiniLM top-down']['estimate']:.2f} "
    f"[{slopes['MiniLM top-down']['ci_low']:.2f}, {slopes['MiniLM top-down']['ci_high']:.2f}], "
    f"flat {slopes['MiniLM flat']['estimate']:.2f} "
    f"[{slopes['MiniLM flat']['ci_low']:.2f}, {slopes['MiniLM flat']['ci_high']:.2f}]; "
    f"difference test p = {slope_test.p_value:.2g}."
)

# %% [markdown]
# ## 4. By population stratum and by region
# Pooled accuracy is dominated by the cities beyond the 1,000 most populous. Split by stratum
# and by region, each cell is the conditional accuracy with its interval and, in brackets, the
# number of cities right at the level above (its denominator): small groups get wide
# intervals, and a level nobody reached has no conditional accuracy.


# %%
def conditional_by(group: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Conditional accuracy per strategy, group and level: printable pivot, and the table."""
    table = accuracy_by_depth(tree, mini, group=group).sort("model", group, "depth")
    n_given = pl.col("n_correct").shift(1).over("model", group).fill_null(pl.col("n"))
    text = pl.format(
        "{} [{}, {}] (n={})",
        *(pl.col(c).round(3) for c in ("conditional", "conditional_ci_low", "conditional_ci_high")),
        n_given,
    )
    return table.select(
        "model",
        group,
        "depth",
        pl.when(n_given > 0).then(text).otherwise(pl.lit("none right above")).alias("conditional"),
    ).pivot(on="depth", index=["model", group], values="conditional").rename(
        {str(d): name for d, name in enumerate(mini_levels, start=1)}
    ), table


with pl.Config(tbl_rows=30, fmt_str_lengths=40, tbl_width_chars=200):
    by_stratum, stratum_table = conditional_by("rank_stratum")
    print(by_stratum)
    by_region, region_table = conditional_by("region")
    print(by_region)

country = stratum_table.filter(pl.col("depth") == 3, pl.col("model") == "MiniLM flat").sort(
    "rank_stratum"
)
first, last = country.row(0, named=True), country.row(-1, named=True)
learned.append(
    f"Flat, right country given right sub-region: {first['conditional']:.3f} "
    f"[{first['conditional_ci_low']:.3f}, {first['conditional_ci_high']:.3f}] for the "
    f"{first['rank_stratum']} cities vs {last['conditional']:.3f} "
    f"[{last['conditional_ci_low']:.3f}, {last['conditional_ci_high']:.3f}] {last['rank_stratum']}."
)

regions = (
    region_table.sort("model", "region", "depth")
    .with_columns(n_given=pl.col("n_correct").shift(1).over("model", "region"))
    .filter(pl.col("depth") == 3, pl.col("model") == "MiniLM flat", pl.col("n_given") >= 20)
    .sort("conditional")
)
if regions.height >= 2:
    low_r, high_r = regions.row(0, named=True), regions.row(-1, named=True)
    learned.append(
        f"By region (flat, right country given right sub-region, regions with >= 20 such cities): "
        f"{high_r['region']} {high_r['conditional']:.3f} [{high_r['conditional_ci_low']:.3f}, "
        f"{high_r['conditional_ci_high']:.3f}] vs {low_r['region']} {low_r['conditional']:.3f} "
        f"[{low_r['conditional_ci_low']:.3f}, {low_r['conditional_ci_high']:.3f}]."
    )

# %% [markdown]
# One depth slope per strategy and population stratum, then per strategy and region (regions
# with at least `MIN_CITIES` cities; groups where a level is never right get Firth's
# bias-reduced fit, with a warning). Steeper (more negative) means faster degradation.

# %%
MIN_CITIES = 20


def group_slopes(group: str) -> pl.DataFrame:
    """Depth slope per strategy within each value of an items column."""
    keep = items.group_by(group).len().filter(pl.col("len") >= MIN_CITIES)[group]
    table = depth_table(
        tree, mini.filter(pl.col(group).is_in(keep.implode())), group=group
    ).with_columns(pl.format("{} | {}", "model", pl.col(group).cast(pl.String)).alias("model"))
    parts = pl.col("model").str.split(" | ")
    return depth_regression(table).slopes.select(
        parts.list.get(0).alias("strategy"),
        parts.list.get(1).alias(group),
        "estimate",
        "ci_low",
        "ci_high",
    )


order = items["rank_stratum"].dtype.categories.to_list()
strat_slopes = group_slopes("rank_stratum").sort(
    "strategy", pl.col("rank_stratum").cast(pl.Enum(order))
)
region_slopes = group_slopes("region").sort("strategy", "region")
print(strat_slopes)
print(region_slopes)
for frame, group, what in (
    (strat_slopes, "rank_stratum", "stratum"),
    (region_slopes, "region", "region"),
):
    for strategy in strategies:
        rows = frame.filter(pl.col("strategy") == strategy).sort("estimate")
        steep, shallow = rows.row(0, named=True), rows.row(-1, named=True)
        apart = steep["ci_high"] < shallow["ci_low"]
        learned.append(
            ("" if apart else f"Intervals overlap, so no clear {what} effect: ")
            + f"{strategy} degrades fastest for {what} {steep[group]} "
            f"({steep['estimate']:.2f} [{steep['ci_low']:.2f}, {steep['ci_high']:.2f}] per level) "
            f"and slowest for {what} {shallow[group]} ({shallow['estimate']:.2f} "
            f"[{shallow['ci_low']:.2f}, {shallow['ci_high']:.2f}])."
        )


def slope_panel(frame: pl.DataFrame, group: str, title: str, sort: list[str]) -> alt.LayerChart:
    """Slopes with 95% intervals, one row per group, one colour per strategy."""
    base = alt.Chart(frame).encode(
        y=alt.Y(f"{group}:N", sort=sort, title=title),
        yOffset=alt.YOffset("strategy:N"),
        color=alt.Color("strategy:N", title="Placement"),
    )
    return (
        base.mark_rule().encode(
            x=alt.X(
                "ci_low:Q",
                title="Depth slope (log-odds per level, 95% CI)",
                scale=alt.Scale(zero=False),
            ),
            x2="ci_high:Q",
        )
        + base.mark_point(filled=True).encode(x="estimate:Q")
    ).properties(width=260, height=220)


slope_chart = (
    (
        slope_panel(strat_slopes, "rank_stratum", "Population-rank stratum", order)
        | slope_panel(region_slopes, "region", "Region", sorted(region_slopes["region"].unique()))
    )
    .resolve_scale(x="shared")
    .properties(title="MiniLM: depth slope by population stratum and by region")
)
slope_chart

# %% [markdown]
# ## 5. Distance: Acc@k and GeoScore from the placed province
# The experiment places a city in an admin1 area, not at a point. To score distance, each
# placed admin1 gets the coordinates of its most populous GeoNames city (its seat, in most
# countries); the truth is the city's own coordinates. So even a right admin1 is some
# kilometres off: Acc@1 km and Acc@25 km mostly measure the proxy, while Acc@200 km (region),
# 750 km (country) and 2,500 km (continent) and GeoScore (5000 exp(-d / 1492.7)) measure the
# model. Wilson intervals for Acc@k, a t interval over cities for the mean GeoScore.

# %%
level_cols = ["region", "sub_region", "country", "admin1"]
seats = (
    load_places()
    .table.drop_nulls("admin1")
    .sort(["population", "geonameid"], descending=[True, False])
    .unique(level_cols, keep="first", maintain_order=True)
)
seats = seats.with_columns(
    pred=pl.Series(tree.find(seats.select(pl.concat_list(level_cols)).to_series()))
).select("pred", pl.col("lat").alias("pred_lat"), pl.col("lon").alias("pred_lon"))
placed = mini.join(seats, on="pred", how="left").join(
    items.select("item", "lat", "lon"), on="item", how="left"
)
geo = geo_accuracy(placed)
with pl.Config(tbl_cols=-1, tbl_width_chars=220):
    print(
        geo.table.select(
            "model",
            "n",
            "n_missing",
            *(
                with_ci(f"acc_{k}km", f"acc_{k}km_ci_low", f"acc_{k}km_ci_high")
                for k in (25, 200, 750, 2500)
            ),
            with_ci("geoscore", "geoscore_ci_low", "geoscore_ci_high"),
            "median_km",
        )
    )
acc_k = geo.long.filter(pl.col("measure") != "geoscore")
geo_base = alt.Chart(acc_k).encode(
    x=alt.X("threshold_km:O", title="Within k km of the city", axis=alt.Axis(labelAngle=0)),
    xOffset=alt.XOffset("model:N"),
    color=alt.Color("model:N", title="Placement"),
)
geo_chart = (
    geo_base.mark_rule().encode(
        y=alt.Y("ci_low:Q", title="Acc@k (95% Wilson interval)"), y2="ci_high:Q"
    )
    + geo_base.mark_point(filled=True).encode(y="estimate:Q")
).properties(title="MiniLM: accuracy within k km", width=320)
scores = {r["model"]: r for r in geo.table.iter_rows(named=True)}
learned.append(
    "GeoScore (0-5000): "
    + ", ".join(
        f"{m.removeprefix('MiniLM ')} {scores[m]['geoscore']:.0f} "
        f"[{scores[m]['geoscore_ci_low']:.0f}, {scores[m]['geoscore_ci_high']:.0f}]"
        for m in strategies
    )
    + "; median error "
    + ", ".join(f"{m.removeprefix('MiniLM ')} {scores[m]['median_km']:,.0f} km" for m in strategies)
    + "."
)
geo_chart

# %% [markdown]
# ## Explore
# Choose models and the measure on the demo; setting a control from code updates the chart.

# %%
from hierlab.widgets import explore_depth

explorer = explore_depth(demo.tree, demo.predictions, depth_labels=levels)
explorer.controls["measure"].value = "survival"
assert "hconcat" in explorer.chart.to_dict()
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
    written = []
    for chart, name in (
        (raw_chart | normalised_chart, "05_demo_accuracy_by_level"),
        (survival_chart, "05_demo_survival"),
        (deepest_chart, "05_demo_deepest"),
        (minilm_chart, "05_minilm_accuracy_by_level"),
        (path_chart, "05_minilm_path_accuracy"),
        (slope_chart, "05_minilm_slopes_by_group"),
        (geo_chart, "05_minilm_acc_at_k"),
    ):
        written += plot.save(chart, name, folder=FIG_DIR)
    print([p.name for p in written])
