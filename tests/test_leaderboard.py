"""Paired model comparisons and the leaderboard's tiers."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from scipy.special import expit

from hierlab.leaderboard import compare_models, leaderboard


def shared_items(rng, ability: dict[str, float], n: int = 200, score: bool = False):
    ease = rng.normal(0, 1.5, n)
    frames = []
    for m, a in ability.items():
        p = expit(ease + a)
        y = rng.beta(p * 5 + 0.1, (1 - p) * 5 + 0.1) if score else (rng.random(n) < p) * 1.0
        frames.append(pl.DataFrame({"model": m, "item": np.arange(n), "correct": y}))
    return pl.concat(frames)


def test_mcnemar_counts_and_statsmodels_agreement() -> None:
    from statsmodels.stats.contingency_tables import mcnemar

    rng = np.random.default_rng(0)
    data = shared_items(rng, {"a": 0.5, "b": 0.0})
    out = compare_models(data, test="mcnemar-exact").table.row(0, named=True)
    wide = data.pivot(on="model", index="item", values="correct")
    only_a = int(((wide["a"] == 1) & (wide["b"] == 0)).sum())
    only_b = int(((wide["a"] == 0) & (wide["b"] == 1)).sum())
    assert (out["only_a"], out["only_b"], out["n"]) == (only_a, only_b, 200)
    ref = mcnemar([[0, only_a], [only_b, 0]], exact=True)
    assert out["p_value"] == pytest.approx(ref.pvalue)
    assert out["difference"] == pytest.approx((only_a - only_b) / 200)


def test_paired_test_has_its_size_and_power() -> None:
    """Two equally able models on shared items reject ~5%; a 0.6-logit gap is found."""
    rng = np.random.default_rng(1)
    same = [
        compare_models(shared_items(rng, {"a": 0.0, "b": 0.0})).table["p_value"][0] < 0.05
        for _ in range(60)
    ]
    assert np.mean(same) <= 0.15  # mid-p: 60 tests at 5%, 99.9% band
    gap = [
        compare_models(shared_items(rng, {"a": 0.6, "b": 0.0})).table["p_value"][0] < 0.05
        for _ in range(20)
    ]
    assert np.mean(gap) >= 0.7


def test_scores_use_the_paired_bootstrap_and_sign_flips() -> None:
    rng = np.random.default_rng(2)
    data = shared_items(rng, {"a": 0.8, "b": 0.0}, score=True)
    row = compare_models(data, n_boot=500).table.row(0, named=True)
    assert "bootstrap" in row["method"] and row["only_a"] is None
    assert row["ci_low"] < row["difference"] < row["ci_high"] and row["p_value"] < 0.05


def test_only_shared_items_are_compared() -> None:
    rng = np.random.default_rng(3)
    data = shared_items(rng, {"a": 0.3, "b": 0.0, "c": -0.3})
    data = data.filter(~((pl.col("model") == "c") & (pl.col("item") < 50)))
    table = compare_models(data).table
    assert table.filter(pl.col("model_b") == "c")["n"].to_list() == [150, 150]
    assert table.filter((pl.col("model_a") == "a") & (pl.col("model_b") == "b"))["n"][0] == 200
    assert (table["p_adjusted"] >= table["p_value"]).all()


def test_leaderboard_tiers() -> None:
    rng = np.random.default_rng(4)
    data = shared_items(rng, {"top": 1.5, "twin": 1.45, "mid": 0.3, "low": -1.0}, n=400)
    board = leaderboard(data)
    t = board.table
    assert t["model"].to_list()[:2] in (["top", "twin"], ["twin", "top"])
    assert t["rank"].to_list() == [1, 2, 3, 4]
    tiers = dict(zip(t["model"], t["tier"], strict=True))
    assert tiers["top"] == tiers["twin"] == 1 and tiers["mid"] == 2 and tiers["low"] == 3
    assert t.filter(pl.col("rank") == 1)["p_adjusted"][0] is None
    assert (t["ci_low"] <= t["estimate"]).all() and "tied with the leader" in str(board.summary())
    assert board.to_polars() is t and board.interval == "wilson"
