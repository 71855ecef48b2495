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
    error_lca_depths,
    level_table,
    survival,
)


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


def test_level_table_by_hand(small) -> None:
    tree, preds = small
    table = level_table(preds, tree)
    assert table.height == 12
    assert table["correct"].to_list() == [1, 1, 1, 1, 1, 0, 1, 0, 0, 0, 0, 0]
    cond = table["conditional"].to_list()
    assert cond == [1, 1, 1, 1, 1, 0, 1, 0, None, 0, None, None]
    # chance at level 1 is 1/2 (A or B); at level 2 under A it is 1/2; under B 1
    assert table["chance"].to_list()[:3] == [0.5, 0.5, 0.5]
    assert table.filter(pl.col("item") == "i4")["chance"].to_list() == [0.5, 1.0, 1.0]


def test_survival_conditional_and_deepest(small) -> None:
    tree, preds = small
    s = survival(preds, tree)
    assert s["survival"].to_list() == [0.75, 0.5, 0.25]
    assert s["conditional"].to_list() == pytest.approx([0.75, 2 / 3, 0.5])
    d = deepest_correct(preds, tree)
    assert dict(zip(d["depth"], d["count"], strict=True)) == {0: 1, 1: 1, 2: 1, 3: 1}
    assert d["cdf"].to_list()[-1] == pytest.approx(1.0)
    e = error_lca_depths(preds, tree)
    assert dict(zip(e["lca_depth"], e["count"], strict=True)) == {0: 1, 1: 1, 2: 1}


def test_accuracy_by_depth_chance_normalised(small) -> None:
    tree, preds = small
    acc = accuracy_by_depth(preds, tree)
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
    acc = accuracy_by_depth(pl.DataFrame({"model": ["rand"] * n, "true": true, "pred": pred}), tree)
    assert np.allclose(acc["normalised"].to_numpy(), 0.0, atol=0.03)


def test_demo_depth_decay() -> None:
    demo = load_demo(n_items=400, n_models=4, seed=5)
    acc = accuracy_by_depth(demo.predictions, demo.tree)
    for _, g in acc.group_by("model"):
        assert np.all(np.diff(g.sort("depth")["accuracy"].to_numpy()) < 0)
    s = survival(demo.predictions, demo.tree)
    first = s.filter(pl.col("depth") == 1)["conditional"].mean()
    last = s.filter(pl.col("depth") == 5)["conditional"].mean()
    assert first > last  # the planted level offsets fall with depth


def test_depth_regression_matches_statsmodels() -> None:
    demo = load_demo(n_items=300, n_models=3, seed=4)
    table = level_table(demo.predictions, demo.tree)
    reg = depth_regression(table)
    data = table.to_pandas()
    direct = smf.glm(
        "correct ~ 0 + C(model) + C(model):depth", data=data, family=sm.families.Binomial()
    ).fit(cov_type="cluster", cov_kwds={"groups": data["item"].astype("category").cat.codes})
    for row in reg.slopes.iter_rows(named=True):
        name = f"C(model)[{row['model']}]:depth"
        assert row["slope"] == pytest.approx(direct.params[name], rel=1e-8)
        assert row["se"] == pytest.approx(direct.bse[name], rel=1e-6)
    assert (reg.slopes["slope"] < 0).all()
    # compare_slopes equals the interaction term of a two-model fit with model A as reference
    a, b = reg.slopes["model"][0], reg.slopes["model"][2]
    two = data[data["model"].isin([a, b])].copy()
    two["is_b"] = (two["model"] == b).astype(float)
    inter = smf.glm("correct ~ is_b * depth", data=two, family=sm.families.Binomial()).fit(
        cov_type="cluster", cov_kwds={"groups": two["item"].astype("category").cat.codes}
    )
    sub = depth_regression(pl.from_pandas(two.drop(columns="is_b")))
    cmp = compare_slopes(sub, b, a)
    assert cmp["difference"] == pytest.approx(inter.params["is_b:depth"], rel=1e-6)
    assert cmp["se"] == pytest.approx(inter.bse["is_b:depth"], rel=1e-4)
    assert 0 <= reg.interaction_test["p"] <= 1


def test_bad_input(small) -> None:
    tree, preds = small
    with pytest.raises(ValueError, match="'pred'"):
        level_table(preds.drop("pred"), tree)
    with pytest.raises(ValueError, match="empty"):
        survival(preds.head(0), tree)
    with pytest.raises(ValueError, match="not in the tree"):
        accuracy_by_depth(preds.with_columns(pred=pl.lit("Z/q")), tree)
