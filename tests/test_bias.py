"""Regional bias: fairlearn agreement, interval coverage and test size by simulation,
planted demo effects, statsmodels agreement, shrinkage, coverage and bad input."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from fairlearn.metrics import MetricFrame

from hierlab.bias import (
    coverage,
    disaggregate,
    disparity,
    group_vs_rest,
    heterogeneity_test,
    irt_adjusted_effects,
    model_group_interaction,
    shrink_along_tree,
)
from hierlab.datasets import load_demo
from hierlab.errors import InputShapeError, InputTypeError, InvalidValueError, SeparationWarning
from hierlab.results import TestResult
from hierlab.stats import wilson_interval


@pytest.fixture(scope="module")
def demo():
    return load_demo(n_items=600, n_models=12, seed=0)


def test_point_estimates_equal_fairlearn(demo) -> None:
    res = demo.results.filter(pl.col("model") == "Aurora").to_pandas()
    mf = MetricFrame(
        metrics=lambda y_true, y_pred: float(np.mean(y_true == y_pred)),
        y_true=res["correct"].to_numpy(),
        y_pred=np.ones(len(res)),
        sensitive_features=res["region"],
    )
    ours = disaggregate(demo.results.filter(pl.col("model") == "Aurora"), "region", n_boot=0).table
    for row in ours.iter_rows(named=True):
        assert row["estimate"] == pytest.approx(mf.by_group[row["group"]])


def test_wilson_for_proportions_and_small_groups_marked(demo) -> None:
    d = disaggregate(demo.results, "country", n_boot=0, min_size=5).table
    row = d.row(0, named=True)
    k = row["estimate"] * row["n"]
    lo, hi = wilson_interval(np.array([round(k)]), np.array([row["n"]]))
    assert row["ci_low"] == pytest.approx(lo[0]) and row["ci_high"] == pytest.approx(hi[0])
    assert d["small"].any() and (~d["small"]).any()  # small countries are kept and marked
    assert d.filter(pl.col("small"))["n"].max() < 5


def test_wilson_coverage_by_simulation() -> None:
    """Items with varying difficulty; the per-model group accuracy's 95% interval covers
    the population accuracy about 95% of the time."""
    rng = np.random.default_rng(1)
    hits = []
    for _ in range(300):
        p_items = rng.beta(2, 3, 60)  # population accuracy 0.4
        y = (rng.random(60) < p_items).astype(float)
        lo, hi = wilson_interval(np.array([y.sum()]), np.array([60]))
        hits.append(lo[0] <= 0.4 <= hi[0])
    assert 0.92 <= np.mean(hits) <= 0.98


def test_cluster_bootstrap_coverage_for_a_continuous_metric() -> None:
    rng = np.random.default_rng(2)
    hits = []
    for rep in range(80):
        n = 80
        score = rng.beta(2, 2, n)  # a path score in [0, 1], mean 0.5
        table = pl.DataFrame(
            {
                "model": ["m"] * n,
                "item": [f"i{k}" for k in range(n)],
                "score": score,
                "region": ["R"] * n,
            }
        )
        row = disaggregate(table, "region", correct="score", n_boot=400, seed=rep).table.row(
            0, named=True
        )
        hits.append(row["ci_low"] <= 0.5 <= row["ci_high"])
    assert row["interval"].startswith("cluster bootstrap")
    assert 0.88 <= np.mean(hits) <= 0.99


def test_bootstrap_interval_is_the_expanded_percentile_of_its_replicates() -> None:
    """Every cell's interval: replicate percentiles at Phi(-sqrt(G/(G-1)) t_{G-1}), by hand."""
    from scipy.stats import norm, t

    rng = np.random.default_rng(3)
    sizes = {"a": 12, "b": 40, "c": 7}
    table = pl.DataFrame(
        {
            "model": ["m1"] * 59 + ["m2"] * 59,
            "item": [f"i{k}" for k in range(59)] * 2,
            "score": rng.beta(2, 3, 118),
            "region": [g for g, n in sizes.items() for _ in range(n)] * 2,
        }
    )
    d = disaggregate(table, "region", correct="score", n_boot=300, seed=1, confidence=0.9)
    for row in d.table.iter_rows(named=True):
        g = sizes[row["group"]]
        tail = norm.cdf(-np.sqrt(g / (g - 1)) * t.ppf(0.95, g - 1))
        cell = d.replicates[:, d.groups.index(row["group"]), d.models.index(row["model"])]
        assert np.quantile(cell, tail) == pytest.approx(row["ci_low"])
        assert np.quantile(cell, 1 - tail) == pytest.approx(row["ci_high"])


def test_heterogeneity_test_has_the_right_size() -> None:
    """No planted group effect, but item difficulties shared across models: ~5% rejections."""
    rng = np.random.default_rng(3)
    rejections = []
    for _ in range(80):
        n_items, models = 160, ["a", "b", "c"]
        item_effect = rng.normal(0, 1, n_items)
        group = rng.choice(["G1", "G2", "G3", "G4"], n_items)
        rows = []
        for j, m in enumerate(models):
            p = 1 / (1 + np.exp(-(item_effect + 0.3 * j)))
            y = (rng.random(n_items) < p).astype(float)
            rows.append(
                pl.DataFrame(
                    {
                        "model": m,
                        "item": [f"i{k}" for k in range(n_items)],
                        "correct": y,
                        "g": group,
                    }
                )
            )
        out = heterogeneity_test(pl.concat(rows), "g")
        rejections.append(out.p_value < 0.05)
    assert 0.0 <= np.mean(rejections) <= 0.12


def test_planted_regional_effects_are_recovered(demo) -> None:
    het = heterogeneity_test(demo.results, "region")
    assert isinstance(het, TestResult) and het.p_value < 1e-6 and het.df == 4
    adjusted = dict(
        irt_adjusted_effects(demo.results, "region").select("group", "estimate").iter_rows()
    )
    # planted gamma: Europe 0.5 > Americas 0.2 > Asia 0.0 > Africa -0.6 (the reference)
    assert adjusted["Europe"] > adjusted["Americas"] > 0 and adjusted["Asia"] > 0
    vs_rest = group_vs_rest(demo.results, "region")
    africa = vs_rest.filter(pl.col("group") == "Africa").row(0, named=True)
    assert africa["estimate"] < 0 and africa["p_adjusted"] < 0.01
    assert vs_rest["p_value"].is_sorted() and (vs_rest["p_adjusted"] >= vs_rest["p_value"]).all()
    # a model with a planted weak region shows a different gap than one without
    planted = demo.truth.model_region_effects.filter(pl.col("delta") == -1.2).row(0, named=True)
    clean = demo.truth.model_region_effects.group_by("model").agg(
        (pl.col("delta") == 0).all().alias("ok")
    )
    other = clean.filter("ok")["model"].sort()[0]
    big = demo.results.filter(pl.col("region") != "Oceania")  # Oceania: too few items
    inter = model_group_interaction(big, "region", other, planted["model"])
    assert inter.df == 3 and 0 <= inter.p_value <= 1 and not inter.warnings
    assert inter.table["group"].to_list() == ["Americas", "Asia", "Europe"]
    assert inter.p_value < 0.05  # the planted weak region shows up as an interaction
    # with Oceania's sparse cells the test becomes item-matched and still finds Asia
    with pytest.warns(SeparationWarning, match="Oceania"):
        matched = model_group_interaction(demo.results, "region", other, planted["model"])
    assert matched.df == 4 and matched.p_value < 0.05 and "Item-matched" in matched.method
    asia = matched.table.filter(pl.col("group") == "Asia").row(0, named=True)
    assert asia["estimate"] < 0 and asia["ci_high"] < 0


def test_heterogeneity_matches_a_direct_statsmodels_fit(demo) -> None:
    het = heterogeneity_test(demo.results, "region", reference_group="Africa")
    data = demo.results.to_pandas()
    direct = smf.glm(
        "correct ~ C(region, Treatment('Africa')) + C(model)",
        data=data,
        family=sm.families.Binomial(),
    ).fit(cov_type="cluster", cov_kwds={"groups": data["item"].astype("category").cat.codes})
    for row in het.table.iter_rows(named=True):
        name = f"C(region, Treatment('Africa'))[T.{row['group']}]"
        assert row["estimate"] == pytest.approx(direct.params[name], rel=1e-8)
        assert row["se"] == pytest.approx(direct.bse[name], rel=1e-6)
        assert row["p_value"] == pytest.approx(direct.pvalues[name], rel=1e-6)
    names = [n for n in direct.params.index if n.startswith("C(region")]
    wald = direct.wald_test(
        np.eye(len(direct.params))[[direct.params.index.get_loc(n) for n in names]], scalar=True
    )
    assert het.statistic == pytest.approx(float(np.squeeze(wald.statistic)), rel=1e-6)
    assert het.fitted is not None and "null hypothesis" in str(het.summary())


def test_disparity_summaries(demo) -> None:
    d = disaggregate(demo.results, "region", n_boot=300)
    disp = disparity(d)
    assert disp.table.height == 12 and disp.to_polars() is disp.table
    row = disp.table.row(0, named=True)
    assert row["gap_ci_low"] <= row["gap"] <= row["gap_ci_high"]
    assert row["ratio"] == pytest.approx(row["relative_gap"] + 1)
    # Oceania has fewer than 30 items: reported as small, never ranked
    assert set(disp.small["group"]) == {"Oceania"} and (disp.table["n_groups"] == 4).all()
    assert "Oceania" not in set(disp.table["best_group"]) | set(disp.table["worst_group"])
    assert disp.pairs.height == 12 * 6 and "not ranked" in str(disp.summary())
    # the pair table holds the same simultaneous interval as the best-worst row
    pair = disp.pairs.filter(
        (pl.col("model") == row["model"])
        & (pl.col("group_a").is_in([row["best_group"], row["worst_group"]]))
        & (pl.col("group_b").is_in([row["best_group"], row["worst_group"]]))
    ).row(0, named=True)
    assert abs(pair["difference"]) == pytest.approx(row["gap"])
    assert pair["ci_high"] - pair["ci_low"] == pytest.approx(row["gap_ci_high"] - row["gap_ci_low"])
    # a model with no results in one region still gets a disparity over the others
    partial = demo.results.filter(~((pl.col("model") == "Aurora") & (pl.col("region") == "Asia")))
    disp2 = disparity(disaggregate(partial, "region", n_boot=100))
    assert disp2.table.filter(pl.col("model") == "Aurora")["n_groups"][0] == 3


def test_tree_levels_as_groups(demo) -> None:
    res = demo.results.join(demo.items.select("item", "node"), on="item")
    d = disaggregate(res, "sub_region_level", tree=demo.tree, depth=2, n_boot=0)
    assert all(g.startswith("World / ") and g.count(" / ") == 2 for g in d.groups)
    assert d.group == "sub_region_level" and "sub_region_level" in str(d.summary())
    by_path = res.with_columns(node=pl.Series(demo.tree.paths(res["node"].to_numpy(), sep="/")))
    same = disaggregate(by_path, "sub_region_level", tree=demo.tree, depth=2, n_boot=0)
    assert same.to_polars().equals(d.to_polars())  # nodes given as paths work too


def test_shrinkage_pulls_small_groups_harder(demo) -> None:
    res = demo.results.filter(pl.col("model") == "Dune").join(
        demo.items.select("item", "node"), on="item"
    )
    s = shrink_along_tree(demo.tree, res, max_depth=3)
    countries = s.filter(pl.col("depth") == 3)
    lo = np.minimum(countries["raw"], countries["parent_pooled"])
    hi = np.maximum(countries["raw"], countries["parent_pooled"])
    assert ((countries["pooled"] >= lo - 1e-12) & (countries["pooled"] <= hi + 1e-12)).all()
    pull = (countries["pooled"] - countries["raw"]).abs() / (
        countries["parent_pooled"] - countries["raw"]
    ).abs()
    small = pull.filter(countries["n"] <= 2).mean()
    large = pull.filter(countries["n"] >= 10).mean()
    assert small > large


def test_coverage_and_bad_input(demo) -> None:
    cov = coverage(demo.items, "region")
    assert cov["items"].sum() == 600 and cov["ratio"].max() > 1.5
    with pytest.warns(UserWarning, match="no reference value"):
        coverage(
            demo.items,
            "region",
            reference=pl.DataFrame({"region": ["Europe"], "population": [1.0]}),
        )
    with pytest.raises(InvalidValueError, match="at least two groups"):
        heterogeneity_test(demo.results.with_columns(region=pl.lit("one")), "region")
    with pytest.raises(InputShapeError, match="'continent'"):
        disaggregate(demo.results, "continent")
    with pytest.raises(InvalidValueError, match="no results"):
        model_group_interaction(demo.results, "region", "Aurora", "Nobody")
    with pytest.raises(InvalidValueError, match="'Atlantis'"):
        heterogeneity_test(demo.results, "region", reference_group="Atlantis")
    with pytest.raises(InputTypeError, match="`d`"):
        disparity(demo.results)  # type: ignore[arg-type]
    with pytest.raises(InputTypeError, match="`tree`"):
        shrink_along_tree(demo.results, demo.tree)  # type: ignore[arg-type]


@pytest.mark.mirror
@pytest.mark.usefixtures("data_env")
def test_earthwhere_coverage_against_countries() -> None:
    from hierlab.datasets import fetch_earthwhere, fetch_un_m49

    wc = fetch_earthwhere().country_items
    countries = fetch_un_m49().countries.filter(pl.col("region_source") == "M49")
    ref = countries.group_by("region").len().rename({"len": "countries"})
    cov = coverage(wc, "region", reference=ref, reference_value="countries")
    ratios = dict(cov.select("group", "ratio").iter_rows())
    assert ratios["Oceania"] < 0.1 and ratios["Europe"] > 1.3  # 1 of 500 items in Oceania
