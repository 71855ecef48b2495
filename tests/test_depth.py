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


def test_label_accuracy_counts_the_right_label_on_a_wrong_path() -> None:
    """Truth Europe/France/Paris, prediction Americas/France/Paris (a different 'France'):
    path accuracy is 0 at every depth, label accuracy 1 at depths 2 and 3."""
    tree = Tree.from_paths(
        ["Europe/France/Paris", "Europe/Spain/Madrid", "Americas/France/Paris"], root="World"
    )
    preds = pl.DataFrame(
        {
            "model": ["m", "m"],
            "item": ["i1", "i2"],
            "true": ["Europe/France/Paris", "Europe/Spain/Madrid"],
            "pred": ["Americas/France/Paris", "Europe/Spain/Madrid"],
        }
    )
    acc = accuracy_by_depth(tree, preds)
    assert acc["accuracy"].to_list() == [0.5, 0.5, 0.5]
    assert acc["label_accuracy"].to_list() == [0.5, 1.0, 1.0]
    assert acc["conditional"].to_list() == [0.5, 1.0, 1.0]
    assert (acc["label_accuracy_ci_low"] <= acc["label_accuracy"]).all()


def test_abstention_is_its_own_outcome(small) -> None:
    tree, preds = small
    preds = preds.with_columns(
        pred=pl.Series(["A/a1/x", None, "unknown", "B"], dtype=pl.String),
        true=pl.Series(["A/a1/x", "A/a1/x", "A/a2/z", "B/b1/w"]),
    )
    table = depth_table(tree, preds, abstain=["unknown"])
    assert table.filter(pl.col("item") == "i4")["answered"].to_list() == [1, 0, 0]
    assert table.filter(pl.col("item") == "i2")["answered"].to_list() == [0, 0, 0]
    acc = accuracy_by_depth(tree, preds, abstain=["unknown"])
    # depth 1: 4 items, 2 answered (i1, i4), both right; depth 3: 1 answered of 4
    assert acc["coverage"].to_list() == [0.5, 0.25, 0.25]
    assert acc["selective_accuracy"].to_list() == [1.0, 1.0, 1.0]
    assert acc["accuracy"].to_list() == [0.5, 0.25, 0.25]
    assert acc["n_answered"].to_list() == [2, 1, 1]
    with pytest.raises(ValueError, match="'unknown'"):
        depth_table(tree, preds)  # without abstain=, 'unknown' is not a node


def test_conditional_accuracy_intervals_cover_by_simulation() -> None:
    """Known per-step accuracies 0.9, 0.7, 0.5: Wilson intervals of conditional accuracy
    cover them (pooled over depths and 80 simulated benchmarks)."""
    tree = Tree.from_paths([f"{a}/{b}/{c}" for a in "AB" for b in "xy" for c in "pq"], root="r")
    leaves = tree.leaves()
    rng = np.random.default_rng(6)
    steps = np.array([0.9, 0.7, 0.5])
    flip = {"A": "B", "B": "A", "x": "y", "y": "x", "p": "q", "q": "p"}
    # alt[leaf, k]: the leaf's path with depth k + 1 swapped for its sibling (8 x 3 lookups)
    alt = np.zeros((tree.n_nodes, 3), dtype=np.int64)
    for leaf in leaves:
        for k in range(3):
            path = list(tree.path(int(leaf)))
            path[k + 1] = flip[path[k + 1]]
            alt[leaf, k] = tree.find(tuple(path))
    hits = []
    for _ in range(80):
        true = rng.choice(leaves, 150)
        ok = np.logical_and.accumulate(rng.random((150, 3)) < steps, axis=1)
        first_wrong = np.where(ok.all(axis=1), 3, np.argmin(ok, axis=1))
        pred = np.where(first_wrong < 3, alt[true, np.minimum(first_wrong, 2)], true)
        acc = accuracy_by_depth(tree, pl.DataFrame({"model": "m", "true": true, "pred": pred}))
        lo, hi = acc["conditional_ci_low"].to_numpy(), acc["conditional_ci_high"].to_numpy()
        hits.extend((lo <= steps) & (steps <= hi))
    assert 0.92 <= np.mean(hits) <= 0.985  # 240 intervals at 95%
