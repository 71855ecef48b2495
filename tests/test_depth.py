"""Depth degradation: hand-computed tables, the demo's planted decay, statsmodels agreement."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf

from hierlab import Tree
from hierlab.datasets import load_demo
from hierlab.depth import (
    accuracy_by_depth,
    compare_slopes,
    deepest_correct,
    depth_regression,
    depth_table,
    error_lca_depths,
    survival,
)
from hierlab.errors import InputTypeError
from hierlab.results import TestResult


@pytest.fixture
def small():
    tree = Tree.from_paths(["A/a1/x", "A/a1/y", "A/a2/z", "B/b1/w"], root="r")
    preds = pl.DataFrame(
        {
            "model": ["m"] * 4,
            "item": ["i1", "i2", "i3", "i4"],
            "true": ["A/a1/x", "A/a1/x", "A/a2/z", "B/b1/w"],
            "pred": ["A/a1/x", "A/a1/y", "A/a1/x", "A/a1"],
        }
    )
    return tree, preds


def test_depth_table_by_hand(small) -> None:
    tree, preds = small
    table = depth_table(tree, preds)
    assert table.height == 12
    assert table["correct"].to_list() == [1, 1, 1, 1, 1, 0, 1, 0, 0, 0, 0, 0]
    cond = table["conditional"].to_list()
    assert cond == [1, 1, 1, 1, 1, 0, 1, 0, None, 0, None, None]
    # chance at level 1 is 1/2 (A or B); at level 2 under A it is 1/2; under B 1
    assert table["chance"].to_list()[:3] == [0.5, 0.5, 0.5]
    assert table.filter(pl.col("item") == "i4")["chance"].to_list() == [0.5, 1.0, 1.0]


def test_survival_conditional_and_deepest(small) -> None:
    tree, preds = small
    s = survival(tree, preds)
    assert s["survival"].to_list() == [0.75, 0.5, 0.25]
    assert s["conditional"].to_list() == pytest.approx([0.75, 2 / 3, 0.5])
    d = deepest_correct(tree, preds)
    assert dict(zip(d["depth"], d["count"], strict=True)) == {0: 1, 1: 1, 2: 1, 3: 1}
    assert d["cdf"].to_list()[-1] == pytest.approx(1.0)
    e = error_lca_depths(tree, preds)
    assert dict(zip(e["lca_depth"], e["count"], strict=True)) == {0: 1, 1: 1, 2: 1}


def test_accuracy_by_depth_chance_normalised(small) -> None:
    tree, preds = small
    acc = accuracy_by_depth(tree, preds)
    assert acc["accuracy"].to_list() == [0.75, 0.5, 0.25]
    # random-walk chance at depth 1 is 1/2 for every item
    assert acc["chance"][0] == pytest.approx(0.5)
    assert acc["normalised"][0] == pytest.approx((0.75 - 0.5) / 0.5)
    assert (acc["ci_low"] <= acc["accuracy"]).all() and (acc["accuracy"] <= acc["ci_high"]).all()


def test_random_walk_predictions_are_at_chance() -> None:
    tree = Tree.from_paths([f"{a}/{b}/{c}" for a in "AB" for b in "xyz" for c in "pq"], root="r")
    rng = np.random.default_rng(0)
    n = 20000
    true = rng.choice(tree.leaves(), n)
    pred = rng.choice(tree.leaves(), n)  # uniform over leaves = uniform random walk here
    acc = accuracy_by_depth(tree, pl.DataFrame({"model": ["rand"] * n, "true": true, "pred": pred}))
    assert np.allclose(acc["normalised"].to_numpy(), 0.0, atol=0.03)


def test_demo_depth_decay() -> None:
    demo = load_demo(n_items=400, n_models=4, seed=5)
    acc = accuracy_by_depth(demo.tree, demo.predictions)
    for _, g in acc.group_by("model"):
        assert np.all(np.diff(g.sort("depth")["accuracy"].to_numpy()) < 0)
    s = survival(demo.tree, demo.predictions)
    first = s.filter(pl.col("depth") == 1)["conditional"].mean()
    last = s.filter(pl.col("depth") == 5)["conditional"].mean()
    assert first > last  # the planted level offsets fall with depth


def test_depth_regression_matches_statsmodels() -> None:
    demo = load_demo(n_items=300, n_models=3, seed=4)
    table = depth_table(demo.tree, demo.predictions)
    reg = depth_regression(table)
    data = table.to_pandas()
    direct = smf.glm(
        "correct ~ 0 + C(model) + C(model):depth", data=data, family=sm.families.Binomial()
    ).fit(cov_type="cluster", cov_kwds={"groups": data["item"].astype("category").cat.codes})
    for row in reg.slopes.iter_rows(named=True):
        name = f"C(model)[{row['model']}]:depth"
        assert row["estimate"] == pytest.approx(direct.params[name], rel=1e-8)
        assert row["se"] == pytest.approx(direct.bse[name], rel=1e-6)
    assert (reg.slopes["estimate"] < 0).all()
    # compare_slopes equals the interaction term of a two-model fit with model A as reference
    a, b = reg.slopes["model"][0], reg.slopes["model"][2]
    two = data[data["model"].isin([a, b])].copy()
    two["is_b"] = (two["model"] == b).astype(float)
    inter = smf.glm("correct ~ is_b * depth", data=two, family=sm.families.Binomial()).fit(
        cov_type="cluster", cov_kwds={"groups": two["item"].astype("category").cat.codes}
    )
    sub = depth_regression(pl.from_pandas(two.drop(columns="is_b")))
    cmp = compare_slopes(sub, b, a)
    assert isinstance(cmp, TestResult) and cmp.df is None
    row = cmp.table.row(0, named=True)
    assert row["difference"] == pytest.approx(inter.params["is_b:depth"], rel=1e-6)
    assert row["se"] == pytest.approx(inter.bse["is_b:depth"], rel=1e-4)
    assert cmp.statistic == pytest.approx(row["difference"] / row["se"])
    assert isinstance(reg.equal_slopes, TestResult) and reg.equal_slopes.df == 2
    assert 0 <= reg.equal_slopes.p_value <= 1
    assert reg.to_polars() is reg.slopes and "slopes per depth" in str(reg.summary())
    single = depth_regression(table.filter(pl.col("model") == a))
    assert single.equal_slopes is None and single.slopes["model"].to_list() == [a]


def test_bad_input(small) -> None:
    tree, preds = small
    with pytest.raises(ValueError, match="'pred'"):
        depth_table(tree, preds.drop("pred"))
    with pytest.raises(ValueError, match="empty"):
        survival(tree, preds.head(0))
    with pytest.raises(ValueError, match="not in the tree"):
        accuracy_by_depth(tree, preds.with_columns(pred=pl.lit("Z/q")))
    with pytest.raises(InputTypeError, match="`tree`"):
        accuracy_by_depth(preds, tree)  # the tree comes first
    with pytest.raises(InputTypeError, match="`regression`"):
        compare_slopes(object(), "m", "m")  # type: ignore[arg-type]


def test_extra_grouping_and_no_model_column(small) -> None:
    tree, preds = small
    grouped = accuracy_by_depth(
        tree, preds.with_columns(region=pl.Series(["x", "x", "y", "y"])), group="region"
    )
    assert grouped.columns[:3] == ["model", "region", "depth"]
    assert grouped.filter(pl.col("region") == "x")["accuracy"].to_list() == [1.0, 1.0, 0.5]
    alone = accuracy_by_depth(tree, preds.drop("model"), model=None)
    assert alone["accuracy"].to_list() == [0.75, 0.5, 0.25]
    wide = survival(tree, preds, confidence=0.5)
    assert (wide["survival_ci_high"] - wide["survival_ci_low"] < 0.5).all()
