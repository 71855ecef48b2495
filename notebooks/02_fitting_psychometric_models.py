# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Fitting psychometric models to benchmark results
#
# Item response theory (IRT) asks how able each model is once we know how hard each question
# is, and how well each question separates strong from weak models. This notebook fits Rasch,
# 1PL, 2PL and 3PL models to two real benchmarks — **MathVista** (23 systems x 1,000 visual math
# questions, with a random-guess and a frequent-guess baseline) and **ChemBench** (22 LLMs x
# 2,854 chemistry questions) — compares the models, sets abilities with standard errors beside
# raw accuracy, audits the items, looks at information and the Wright map, profiles abilities by
# topic, checks the estimates against girth, and picks small informative item subsets.

# %% tags=["parameters"]
GIRTH_ITEMS: int = 100
SUBSET_K: int = 100
SUBSET_SPLITS: int = 3
IRT_MODELS: str = "1pl,2pl,3pl"
SEED: int = 0
FIG_DIR: str = "exports"  # beside the notebook (git-ignored); `make figures` passes figures/
EXPORT: bool = True

# %%
import time
import warnings

import numpy as np
import polars as pl
from scipy.stats import spearmanr

from hierlab import plot
from hierlab.datasets import fetch_chembench, fetch_mathvista
from hierlab.errors import HierlabWarning
from hierlab.irt import (
    audit_items,
    compare_fits,
    evaluate_subsets,
    fit_irt,
    reliability,
    topic_profiles,
)

plot.setup_notebook(globals(), folder=FIG_DIR)  # offline charts, paper theme, checks
warnings.simplefilter(
    "ignore", HierlabWarning
)  # both benchmarks have items every model gets right or wrong
mv, cb = fetch_mathvista(), fetch_chembench()
plot.set_display_names(dict(mv.models.select("model", "name").iter_rows()))  # "Claude-2"
print(mv.card.name, mv.matrix.shape, "|", cb.card.name, cb.matrix.shape)

# %% [markdown]
# ## Which model fits? 1PL vs 2PL vs 3PL
# Information criteria and likelihood-ratio tests (with the weak default priors the
# log-likelihoods are at posterior modes, so the tests are approximate).

# %%
fits = {m: fit_irt(mv.matrix, m) for m in IRT_MODELS.split(",")}
comparison = compare_fits(*fits.values())
print(comparison.summary())

# %% [markdown]
# ## Ability with uncertainty vs raw accuracy
# Accuracy counts every question alike; ability weighs questions by how well they separate
# models. Where the two rankings disagree, the model got different kinds of questions right.

# %%
fit = fits["2pl"]
ab = fit.abilities.join(mv.models.select("model", "name", "is_baseline"), on="model")
ab = ab.with_columns(
    rank_theta=pl.col("theta").rank("ordinal", descending=True),
    rank_accuracy=pl.col("mean").rank("ordinal", descending=True),
)
print(
    "Spearman(ability, accuracy):",
    round(spearmanr(ab["theta"], ab["mean"]).statistic, 3),
    "| reliability:",
    {k: round(v, 3) for k, v in reliability(fit).items()},
)
ab.sort("theta", descending=True).select(
    "name", "theta", "theta_se", "mean", "rank_theta", "rank_accuracy"
)

# %% [markdown]
# ## The item audit: which questions look flawed, and why
# Negative or near-zero discrimination (strong models fail more often), extreme difficulty,
# poor fit, and questions the random-guess baseline gets right while every top model misses.

# %%
audit = audit_items(fit, baseline="random_guess", strong=3)
print(audit.headline())
print(audit.rules.select("rule", "kind", "flagged", "expected", "chance_low", "chance_high"))
audit.flagged.join(mv.items.select("item", "question", "answer"), on="item").select(
    "item", "reasons", "question", "answer"
).head(5)

# %%
audit_chart = plot.audit_plot(audit, title="MathVista: item flags against chance")
audit_chart

# %% [markdown]
# ## Information and the Wright map
# Where on the ability scale does MathVista measure precisely? And where do the models sit
# among the questions?

# %%
info_chart = plot.information_plot(fit, title="MathVista 2PL: test information")
wright = plot.wright_map(fit, title="MathVista: models and questions on one scale")
info_chart | wright

# %% [markdown]
# ## ChemBench: the same questions asked of 22 LLMs

# %%
cb_fits = {m: fit_irt(cb.matrix, m) for m in ("1pl", "2pl")}
print(compare_fits(*cb_fits.values()).summary())
cb_ab = cb_fits["2pl"].abilities.sort("theta", descending=True)
cb_ab.select("model", "theta", "theta_se", "mean").head(8)

# %% [markdown]
# ## Ability profiles by topic: spiky models
# One 2PL per MathVista category; a model is *spiky* on a topic when its ability there differs
# significantly (Holm-corrected) from its ability on all other questions.

# %%
profiles = topic_profiles(mv.matrix, mv.items, group="task", min_items=50)
print(
    profiles.profiles.filter("spiky").select("model", "topic", "theta", "rest_theta", "p_adjusted")
)
profile_chart = plot.profile_heatmap(profiles, title="MathVista: ability by task (outlined: spiky)")
profile_chart

# %% [markdown]
# ## hierlab against girth
# girth fits items one at a time; on a subset of questions both libraries fit the same 2PL by
# maximum likelihood, and we time both here.

# %%
import girth

subset = mv.matrix.select("model", *mv.matrix.columns[1 : 1 + GIRTH_ITEMS])
values = subset.drop("model").to_numpy()
keep = np.nanstd(values, axis=0) > 0  # girth cannot fit constant items
values = values[:, keep]
start = time.perf_counter()
tagged = np.where(np.isnan(values), girth.INVALID_RESPONSE, values)  # girth's marker for missing
theirs = girth.twopl_mml(tagged.T.astype(int))
girth_s = time.perf_counter() - start
start = time.perf_counter()
ours = fit_irt(values, "2pl", prior=None)
ours_s = time.perf_counter() - start
print(
    f"{values.shape[1]} items: girth {girth_s:.2f} s, hierlab {ours_s:.2f} s ({girth_s / ours_s:.0f}x); "
    f"median |a difference| {np.median(np.abs(ours.items['a'].to_numpy() - theirs['Discrimination'])):.3f}, "
    f"median |b difference| {np.median(np.abs(ours.items['b'].to_numpy() - theirs['Difficulty'])):.3f}"
)

# %% [markdown]
# ## Informative subsets
# Evaluate a new model on a few hundred questions and predict its full-benchmark accuracy:
# cross-validated over held-out ChemBench models.

# %%
subsets = evaluate_subsets(cb.matrix, k=SUBSET_K, n_splits=SUBSET_SPLITS, seed=SEED)
subsets

# %% [markdown]
# ## Explore
# Switch views of the fitted model; setting a control from code updates the chart.

# %%
from hierlab.widgets import explore_irt

explorer = explore_irt(fit)
explorer.controls["view"].value = "wright map"
assert "hconcat" in explorer.chart.to_dict()
explorer

# %%
if EXPORT:
    plot.save(audit_chart, "02_mathvista_audit", folder=FIG_DIR)
    plot.save(wright, "02_mathvista_wright_map", folder=FIG_DIR)
    plot.save(profile_chart, "02_mathvista_profiles", folder=FIG_DIR)
    plot.save(info_chart, "02_mathvista_information", folder=FIG_DIR)
