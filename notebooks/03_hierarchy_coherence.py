# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Right, nearly right or far off? Scoring hierarchical predictions
#
# When a benchmark's answers are nodes of a hierarchy (region > country > admin1, or a topic
# taxonomy), "wrong" hides a range: the right country but the wrong province is nearly right,
# the wrong continent is far off. This notebook asks one question - **are hierarchical
# predictions right, nearly right or far off, and does node identity matter when we score
# them?** - and answers it with:
#
# * set-based hierarchical precision, recall and F1 (hP, hR, hF: the predicted and true
#   root-to-node paths compared as sets of nodes);
# * LCA-based F1 (lcaF: the paths counted only from their lowest common ancestor down, so
#   shared upper levels earn nothing);
# * mistake severity (how many levels above the truth a wrong answer leaves it).
#
# Every interval comes from `hierarchical_scores`: a seeded percentile bootstrap over items
# (or clusters of items) shared by all models, so differences between models are paired.
# Two sources: the embedded **demo**
# (simulated models with planted abilities, so claims can be checked against the truth) and
# the **real MiniLM predictions** of `hierlab.experiments.minilm_geolocation` (a sentence
# model placing real cities from their names alone, flat or top-down; notebook 05 shows its
# accuracy level by level, this one its hierarchical scores).

# %% tags=["parameters"]
N_ITEMS: int = 600  # demo items
N_MODELS: int = 12  # demo models (abilities evenly spaced from 1.5 down to -1.5)
N_CITIES: int = 2000  # cities placed by MiniLM
N_BOOT: int = 1000  # bootstrap resamples of the items
SEED: int = 0
FIG_DIR: str = "exports"  # beside the notebook (git-ignored); `make figures` passes figures/
EXPORT: bool = True

# %%
from itertools import pairwise

import altair as alt
import numpy as np
import polars as pl
from scipy.stats import spearmanr

from hierlab import Tree, plot
from hierlab.coherence import hierarchical_prf, lca_prf, mistake_severity
from hierlab.datasets import load_demo
from hierlab.experiments import minilm_geolocation
from hierlab.hierarchical_scores import hierarchical_scores

plot.setup_notebook(globals(), folder=FIG_DIR)  # offline charts, paper theme, checks
pl.Config.set_tbl_rows(30)
pl.Config.set_tbl_width_chars(160)
pl.Config.set_float_precision(3)
demo = load_demo(n_items=N_ITEMS, n_models=N_MODELS, seed=SEED)
experiment = minilm_geolocation(n_cities=N_CITIES, seed=SEED)
learned: list[str] = []  # the closing cell's takeaways, each computed where it is shown

# %% [markdown]
# ## 1. Node identity: the two Parises
# `Americas > USA > Texas > Paris` and `Europe > France > Paris` share only the root. Scoring
# by label sets - as libraries that identify a node by its name do - counts the two Parises
# as one node. hierlab identifies a node by its root-to-node path.

# %%
paris_tree = Tree.from_paths(["Europe/France/Paris", "Americas/USA/Texas/Paris"], root="World")
truth, guess = "Americas/USA/Texas/Paris", "Europe/France/Paris"
label_sets = [set(p.split("/")) for p in (truth, guess)]
by_label = 2 * len(label_sets[0] & label_sets[1]) / (len(label_sets[0]) + len(label_sets[1]))
by_node = hierarchical_prf(paris_tree, [truth], [guess])["f1"]
paris = mistake_severity(paris_tree, [truth], [guess]).row(0, named=True)
print(f"hF by label: {by_label:.3f}   hF by node (hierlab): {by_node:.3f}")
print(
    f"by node the answer is {paris['distance']} edges from the truth and leaves it "
    f"{paris['lca_height']} levels up (at the root): as far off as an answer can be"
)
learned.append(
    f"Matching labels scores the wrong Paris hF = {by_label:.3f}; matching nodes (paths) "
    f"scores it {by_node:.3f}."
)

# %% [markdown]
# ## 2. Every metric with a paired bootstrap
# Every metric here is a ratio of sums over items (hP = sum depth(LCA) / sum depth(pred),
# hR = sum depth(LCA) / sum depth(true); lcaF counts each path from the LCA down; severity
# is the mean LCA height over the wrong answers only). `hierarchical_scores` resamples the
# items with replacement - the same resamples for every model - and reports each metric's
# 95% percentile interval; `difference(a, b)` gives paired differences. The point values
# are checked against hierlab's metric functions.

# %%
demo_result = hierarchical_scores(demo.tree, demo.predictions, n_boot=N_BOOT, seed=SEED)
demo_scores = demo_result.to_polars()
for (model,), g in demo.predictions.group_by("model"):
    t, p = g["true"].to_numpy(), g["pred"].to_numpy()
    point = dict(demo_scores.filter(model=model).select("metric", "estimate").rows())
    assert np.isclose(point["hF"], hierarchical_prf(demo.tree, t, p)["f1"])
    assert np.isclose(point["lcaF"], lca_prf(demo.tree, t, p)["f1"])
demo_items = demo.predictions["item"].n_unique()
print(f"demo: {N_MODELS} models x {demo_items} items, {N_BOOT} paired bootstrap resamples")

# %% [markdown]
# ## 3. The demo: do the metrics rank the models by their planted ability?
# The demo plants an ability per model (`demo.truth.abilities`, the column `theta`). The
# table puts each model's planted ability next to its hF, lcaF, exact accuracy and mistake
# severity (mean levels above the truth, over wrong answers: lower is better).

# %%
wide = demo_scores.with_columns(
    pl.format(
        "{} [{}, {}]",
        pl.col("estimate").round(3),
        pl.col("ci_low").round(3),
        pl.col("ci_high").round(3),
    ).alias("value")
).pivot(on="metric", index="model", values="value")
abilities = demo.truth.abilities.sort("theta", descending=True)
demo_table = abilities.join(wide, on="model").select(
    "model", "theta", "hP", "hR", "hF", "lcaF", "exact", "severity"
)
demo_table

# %%
hf = demo_scores.filter(pl.col("metric") == "hF").join(abilities, on="model")
rho = spearmanr(hf["theta"], hf["estimate"]).statistic
print(f"rank correlation of hF with the planted abilities: {rho:.3f}")
planted = demo.truth.model_region_effects.filter(pl.col("delta") != 0)
shares = demo.items["region"].value_counts(normalize=True)


def region_effects(model: str) -> str:
    """A model's planted model-by-region effects, with each region's share of the items."""
    rows = planted.filter(model=model).join(shares, on="region").iter_rows(named=True)
    text = ", ".join(
        f"{r['region']} {r['delta']:+.1f} ({r['proportion']:.0%} of items)" for r in rows
    )
    return text or "none"


order = abilities["model"].to_list()
swaps = []
for better, worse in pairwise(order):
    point, low, high = (
        demo_result.difference(better, worse)
        .filter(metric="hF")
        .select("estimate", "ci_low", "ci_high")
        .row(0)
    )
    if point < 0:
        print(
            f"{better} (theta {abilities.filter(model=better)['theta'][0]:.2f}) scores hF "
            f"{-point:.3f} below {worse} (theta {abilities.filter(model=worse)['theta'][0]:.2f}); "
            f"paired 95% interval of the difference [{low:.3f}, {high:.3f}]"
            + (" - includes 0: within sampling noise" if low <= 0 <= high else " - excludes 0")
        )
        print(
            f"    planted region effects: {better}: {region_effects(better)}; "
            f"{worse}: {region_effects(worse)}"
        )
        away = demo.items.filter(
            ~pl.col("region").is_in(
                planted.filter(pl.col("model").is_in([better, worse]))["region"].to_list()
            )
        )["item"]
        elsewhere = {
            m: hierarchical_prf(demo.tree, g["true"].to_numpy(), g["pred"].to_numpy())["f1"]
            for m in (better, worse)
            for g in [demo.predictions.filter(model=m).filter(pl.col("item").is_in(away.to_list()))]
        }
        swaps.append((better, worse, low <= 0 <= high, elsewhere[better] > elsewhere[worse]))
        print(
            f"    on the {away.len()} items of the other regions: hF {better} "
            f"{elsewhere[better]:.3f}, {worse} {elsewhere[worse]:.3f}"
        )
noise = sum(s[2] for s in swaps)
print(
    f"{len(swaps)} of {len(order) - 1} neighbouring pairs are ranked against their abilities "
    f"({noise} within sampling noise, {len(swaps) - noise} beyond it)"
)
learned.append(
    f"On the demo, hF ranks {N_MODELS} models with rank correlation {rho:.3f} to their planted "
    f"abilities; {len(swaps)} of {len(order) - 1} neighbours swap places, "
    f"{len(swaps) - noise} of them beyond sampling noise; on the items outside the two models' "
    f"planted regions, {sum(s[3] for s in swaps)} of {len(swaps)} swapped pairs are back in "
    "ability order."
)

# %% [markdown]
# The planted ability `theta` is not the only thing the demo plants: every other model also
# has a weak region (a planted model-by-region effect of -1.2 logits) and some have a home
# region (+0.8), printed above for each swapped pair. A metric measures performance on *this*
# mix of items, so a model with a slightly lower ability but no weak region (or a strong one)
# can really score higher: when the paired interval of the difference excludes 0 the swap is
# not sampling noise but this planted regional effect (the check on the items of the other
# regions, printed above, shows whether the ability order returns there); when it includes 0
# the two models are not told apart by these items. The chart shows each model's hF with its interval, labelled
# with its planted ability; the dashed line is the mean hF of all models.

# %%
demo_chart = plot.forest_plot(
    hf.with_columns(
        group=pl.format("{} (theta {})", pl.col("model"), pl.col("theta").round(2)),
        n=pl.lit(demo_items),
    ).drop("model"),  # one colour: the labels name the models
    title=f"Demo: hierarchical F1 with 95% bootstrap intervals ({N_BOOT} resamples)",
    x_title="hF (set-based hierarchical F1)",
)
demo_chart

# %% [markdown]
# ## 4. Precision, recall and how far off the mistakes are
# The demo's models sometimes stop early (answer a country instead of its admin1): that keeps
# hierarchical precision up and takes recall down. Among wrong answers, the LCA height says
# whether the model was nearly right (1 level: the right parent) or far off.

# %%
best, worst = order[0], order[-1]


def severity_shares(tree: Tree, predictions: pl.DataFrame) -> pl.DataFrame:
    """Share of each model's wrong answers by how many levels above the truth they leave it."""
    frames = []
    for (model,), g in predictions.group_by("model", maintain_order=True):
        sev = mistake_severity(tree, g["true"].to_numpy(), g["pred"].to_numpy())
        frames.append(sev.filter(~pl.col("correct")).with_columns(model=pl.lit(model)))
    return (
        pl.concat(frames)
        .group_by("model", "lca_height")
        .len()
        .with_columns(share=pl.col("len") / pl.col("len").sum().over("model"))
        .pivot(on="lca_height", index="model", values="share", sort_columns=True)
        .fill_null(0.0)
    )


demo_severity = severity_shares(
    demo.tree, demo.predictions.filter(pl.col("model").is_in([best, worst]))
)
print("share of wrong answers by levels above the truth (1 = the right parent):")
print(demo_severity)
pr = demo_scores.filter(pl.col("model").is_in([best, worst]), pl.col("metric").is_in(["hP", "hR"]))
print(pr)
sev_best, sev_worst = (
    demo_scores.filter(model=m, metric="severity")["estimate"][0] for m in (best, worst)
)
learned.append(
    f"The demo's strongest model's mistakes leave the truth {sev_best:.2f} levels up on average, "
    f"the weakest's {sev_worst:.2f}."
)

# %% [markdown]
# ## 5. A real model: MiniLM, flat vs top-down
# MiniLM embeds each city's name and the names of World > region > sub-region > country >
# admin1. *Flat* picks the most similar admin1 among all of them; *top-down* picks a region,
# then a sub-region within it, and so on. Both always answer an admin1, so every predicted
# path has the same depth as the true one and hP = hR = hF here; lcaF and the severity of
# mistakes separate "wrong admin1 in the right country" from "wrong continent".
#
# Cities of one country are not independent items: they share the country's names, so a
# model that misreads a country misplaces many of its cities at once. The bootstrap therefore
# resamples countries (`cluster="country"`), which widens the intervals honestly; the item
# bootstrap's narrower interval is printed for comparison.

# %%
n_cities = experiment.items.height
mini_predictions = experiment.predictions.join(
    experiment.items.select("item", "country"), on="item"
)
mini_result = hierarchical_scores(
    experiment.tree, mini_predictions, cluster="country", n_boot=N_BOOT, seed=SEED + 1
)
mini_scores = mini_result.to_polars()
by_item = hierarchical_scores(experiment.tree, mini_predictions, n_boot=N_BOOT, seed=SEED + 1)
mini_table = (
    mini_scores.with_columns(
        pl.format(
            "{} [{}, {}]",
            pl.col("estimate").round(3),
            pl.col("ci_low").round(3),
            pl.col("ci_high").round(3),
        ).alias("value")
    )
    .pivot(on="metric", index="model", values="value")
    .select("model", "hP", "hR", "hF", "lcaF", "exact", "severity")
)
print(
    f"MiniLM on {n_cities} real cities in {mini_result.n_units} countries, {N_BOOT} paired "
    "bootstrap resamples of countries"
)
mini_table

# %%
mini_severity = severity_shares(experiment.tree, experiment.predictions)
print("share of wrong answers by levels above the truth")
print("(1 = right country, 2 = right sub-region, 3 = right region, 4 = wrong region):")
print(mini_severity)
gaps = {
    row["metric"]: (row["estimate"], row["ci_low"], row["ci_high"])
    for row in mini_result.difference("MiniLM flat", "MiniLM top-down")
    .filter(pl.col("metric").is_in(["hF", "lcaF", "exact", "severity"]))
    .iter_rows(named=True)
}
item_gap = (
    by_item.difference("MiniLM flat", "MiniLM top-down").filter(metric="hF").row(0, named=True)
)
for name, (point, low, high) in gaps.items():
    print(f"flat - top-down {name}: {point:+.3f}  paired 95% interval [{low:+.3f}, {high:+.3f}]")
print(
    f"(resampling cities as independent items would give hF [{item_gap['ci_low']:+.3f}, "
    f"{item_gap['ci_high']:+.3f}]: too narrow, since cities of one country fail together)"
)
far = {m: mini_severity.filter(model=m)["4"][0] for m in mini_severity["model"]}
learned.append(
    f"MiniLM flat - top-down on {n_cities} cities: hF {gaps['hF'][0]:+.3f} "
    f"[{gaps['hF'][1]:+.3f}, {gaps['hF'][2]:+.3f}], lcaF {gaps['lcaF'][0]:+.3f} "
    f"[{gaps['lcaF'][1]:+.3f}, {gaps['lcaF'][2]:+.3f}]; wrong-region mistakes: "
    + ", ".join(f"{m} {s:.1%}" for m, s in far.items())
    + "."
)

# %% [markdown]
# A top-down walk that takes a wrong turn can never come back; flat placement can land in the
# right country with the wrong admin1, or on a same-named admin1 anywhere in the world. Which
# effect wins is measured, not assumed: below, each paired interval of the difference says
# whether these cities tell the two strategies apart on that metric (for severity lower is
# better). The chart puts the scores on a 0-1 scale side by side with their intervals.

# %%
for name, (point, low, high) in gaps.items():
    better_is_lower = name == "severity"
    if low <= 0 <= high:
        verdict = "not told apart by these cities"
    elif (point > 0) != better_is_lower:
        verdict = "flat is better"
    else:
        verdict = "top-down is better"
    print(f"{name:>8}: {verdict}")
near = {m: mini_severity.filter(model=m)["1"][0] for m in mini_severity["model"]}
print(
    "wrong answers in the right country: "
    + ", ".join(f"{m} {s:.1%}" for m, s in near.items())
    + "; in the wrong region: "
    + ", ".join(f"{m} {s:.1%}" for m, s in far.items())
)

# %%
shown = mini_scores.filter(pl.col("metric").is_in(["hF", "lcaF", "exact"])).rename(
    {"model": "strategy"}
)
y = alt.Y("metric:N", title=None, sort=["hF", "lcaF", "exact"])
base = alt.Chart(shown)
colour = alt.Color("strategy:N", title="Placement")
mini_chart = alt.layer(
    base.mark_rule().encode(
        y=y,
        yOffset="strategy:N",
        x=alt.X(
            "ci_low:Q",
            title="Score (95% bootstrap interval over countries)",
            scale=alt.Scale(zero=False),
        ),
        x2="ci_high:Q",
        color=colour,
    ),
    base.mark_point(filled=True, size=50).encode(
        y=y,
        yOffset="strategy:N",
        x="estimate:Q",
        color=colour,
        tooltip=["strategy", "metric", "estimate", "ci_low", "ci_high"],
    ),
    title=f"MiniLM on {n_cities} cities: hierarchical scores, flat vs top-down",
).properties(width=plot.SINGLE_COLUMN, height=150)
mini_chart

# %% [markdown]
# ## What we learned

# %%
for line in learned:
    print("-", line)

# %%
if EXPORT:
    plot.save(demo_chart, "03_demo_hf", folder=FIG_DIR)
    plot.save(mini_chart, "03_minilm_flat_vs_topdown", folder=FIG_DIR)
