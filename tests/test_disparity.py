"""Directed contrasts, honest disparities and the separation fallbacks of the bias tests."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from scipy.special import expit

from hierlab.bias import (
    contrast,
    disaggregate,
    disparity,
    group_vs_rest,
    heterogeneity_test,
    irt_adjusted_effects,
)
from hierlab.depth import depth_regression
from hierlab.errors import SeparationWarning
from hierlab.stats import newcombe_interval, ratio_interval


def two_regions(rng, sizes=(233, 30), rates=(0.7, 0.7), models=("m",)):
    frames = []
    group = np.repeat(["big", "small"], sizes)
    p = np.repeat(rates, sizes)
    for m in models:
        frames.append(
            pl.DataFrame(
                {
                    "model": m,
                    "item": [f"i{k}" for k in range(len(p))],
                    "correct": (rng.random(len(p)) < p).astype(float),
                    "region": group,
                }
            )
        )
    return pl.concat(frames)


def test_best_minus_worst_can_say_no_gap() -> None:
    """Equal regions: the simultaneous interval contains 0; the old percentile one never did."""
    rng = np.random.default_rng(11)
    contains, percentile_contains = [], []
    for r in range(40):
        d = disaggregate(two_regions(rng), "region", n_boot=400, seed=r)
        row = disparity(d).table.row(0, named=True)
        contains.append(row["gap_ci_low"] <= 0 <= row["gap_ci_high"])
        reps = d.replicates[:, :, 0]
        naive = reps.max(axis=1) - reps.min(axis=1)  # best minus worst in each replicate
        percentile_contains.append(np.quantile(naive, 0.025) <= 0)
    assert np.mean(contains) >= 0.85  # 40 benchmarks; 2,000 in benchmarks/validate_intervals
    assert np.mean(percentile_contains) == 0.0


def test_relative_gap_is_finite_or_explained() -> None:
    rng = np.random.default_rng(1)
    table = two_regions(rng, sizes=(60, 40), rates=(0.6, 0.3))
    row = disparity(disaggregate(table, "region", n_boot=300)).table.row(0, named=True)
    assert row["relative_gap"] == pytest.approx(row["best"] / row["worst"] - 1)
    assert np.isfinite(row["relative_gap_ci_high"]) and row["note"] is None
    zero = table.with_columns(
        correct=pl.when(pl.col("region") == "small").then(0.0).otherwise(pl.col("correct"))
    )
    row = disparity(disaggregate(zero, "region", n_boot=300)).table.row(0, named=True)
    assert row["ratio"] is None and "unbounded" in row["note"] and row["gap"] > 0


def test_contrast_uses_newcombe_and_mover_for_proportions() -> None:
    rng = np.random.default_rng(2)
    table = two_regions(rng, sizes=(100, 40), rates=(0.6, 0.45), models=("a", "b"))
    d = disaggregate(table, "region", n_boot=0)
    out = contrast(d, "big", "small")
    assert out["model"].to_list() == ["a", "b"]
    row = out.row(0, named=True)
    ka, kb = round(row["estimate_a"] * 100), round(row["estimate_b"] * 40)
    lo, hi = newcombe_interval([ka], [100], [kb], [40])
    rlo, rhi = ratio_interval([ka], [100], [kb], [40])
    assert (row["difference_ci_low"], row["difference_ci_high"]) == pytest.approx((lo[0], hi[0]))
    assert (row["ratio_ci_low"], row["ratio_ci_high"]) == pytest.approx((rlo[0], rhi[0]))
    assert row["relative_gap_ci_low"] == pytest.approx(rlo[0] - 1)
    assert 0 <= row["p_value"] <= 1 and row["interval"].startswith("newcombe")
    flipped = contrast(d, "small", "big").row(0, named=True)
    assert flipped["difference"] == pytest.approx(-row["difference"])


def test_contrast_bootstraps_scores_and_flags_small_groups() -> None:
    rng = np.random.default_rng(3)
    y = np.r_[rng.beta(3, 2, 80), rng.beta(2, 2, 12)]
    table = pl.DataFrame(
        {"model": "m", "item": np.arange(92), "correct": y, "region": ["a"] * 80 + ["b"] * 12}
    )
    row = contrast(disaggregate(table, "region", n_boot=300), "a", "b").row(0, named=True)
    assert row["interval"].startswith("cluster bootstrap")
    assert row["difference_ci_low"] < row["difference"] < row["difference_ci_high"]
    assert "'b' has 12 items" in row["note"]


def separated(rng, n_models: int = 3) -> pl.DataFrame:
    """Three regions; every answer to region C's 12 items is right."""
    n_items = 72
    group = np.repeat(["A", "B", "C"], [30, 30, 12])
    ease = rng.normal(0, 1, n_items)
    frames = []
    for j in range(n_models):
        y = (rng.random(n_items) < expit(ease + 0.3 * j)).astype(float)
        y[group == "C"] = 1.0
        frames.append(
            pl.DataFrame({"model": f"m{j}", "item": np.arange(n_items), "correct": y, "g": group})
        )
    return pl.concat(frames)


def test_separation_no_longer_gives_absurd_p_values() -> None:
    """A region whose items are all right gave p = 2e-110; now a warning, a finite
    penalised estimate and an exact permutation p-value."""
    data = separated(np.random.default_rng(5))
    with pytest.warns(SeparationWarning, match=r"C \(all right"):
        het = heterogeneity_test(data, "g", n_perm=499)
    assert het.p_value >= 1 / 500 and "permutation" in het.method and het.warnings
    c = het.table.filter(pl.col("group") == "C").row(0, named=True)
    assert np.isfinite(c["estimate"]) and c["estimate"] > 0 and np.isfinite(c["ci_high"])
    with pytest.warns(SeparationWarning):
        effects = irt_adjusted_effects(data, "g", n_perm=199)
    assert np.isfinite(effects["estimate"].to_numpy()).all()
    assert (effects["p_value"] >= 1 / 200).all()
    with pytest.warns(SeparationWarning):
        vs_rest = group_vs_rest(data, "g", n_perm=199)
    assert np.isfinite(vs_rest["estimate"].to_numpy()).all()
    assert vs_rest["p_value"].min() >= 1 / 200


def test_permutation_fallback_keeps_its_size_with_a_sparse_group() -> None:
    rng = np.random.default_rng(9)
    rejections = []
    for r in range(40):
        n = 100
        ease = rng.normal(1.0, 1, n)
        group = np.array(["G1"] * 48 + ["G2"] * 48 + ["tiny"] * 4)
        frames = [
            pl.DataFrame(
                {
                    "model": m,
                    "item": np.arange(n),
                    "correct": (rng.random(n) < expit(ease + 0.3 * j)).astype(float),
                    "g": group,
                }
            )
            for j, m in enumerate("ab")
        ]
        with pytest.warns(SeparationWarning):
            rejections.append(
                heterogeneity_test(pl.concat(frames), "g", n_perm=99, seed=r).p_value < 0.05
            )
    assert np.mean(rejections) <= 0.175  # 40 tests at 5%: 99.9% band


def test_depth_regression_falls_back_to_firth_under_separation() -> None:
    rng = np.random.default_rng(4)
    items = 40
    depth = np.tile([1, 2, 3], items)
    y = (depth <= 2).astype(float)  # right down to depth 2, wrong below: separation
    y[:6] = rng.integers(0, 2, 6)
    table = pl.DataFrame(
        {"model": "m", "item": np.repeat(np.arange(items), 3), "depth": depth, "correct": y}
    )
    with pytest.warns(SeparationWarning, match="perfectly ordered|sparse"):
        reg = depth_regression(table)
    slope = reg.slopes.row(0, named=True)
    assert np.isfinite(slope["estimate"]) and slope["estimate"] < 0 and reg.warnings
    assert "Firth" in reg.method and np.isfinite(slope["ci_low"])
