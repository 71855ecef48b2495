"""The embedded demo: shapes, determinism, the planted truth returned exactly and visible."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import polars as pl
import pytest
from scipy.stats import spearmanr

from hierlab.datasets import load_demo, load_world_map
from hierlab.datasets.demo import DEPTH_OFFSETS, REGION_EFFECTS, load_demo_places
from hierlab.errors import InputTypeError, InvalidValueError


@pytest.fixture(scope="module")
def demo():
    return load_demo()


def test_shapes_and_columns(demo) -> None:
    assert demo.results.shape[0] == demo.predictions.shape[0] == 12 * 600
    assert demo.items.height == 600 and demo.items["item"].n_unique() == 600
    assert demo.items["geonameid"].n_unique() == 600  # distinct real cities
    assert demo.results.columns[:3] == ["model", "item", "correct"]
    assert {"true", "pred", "pred_lat", "pred_lon", "error_km"} <= set(demo.predictions.columns)
    assert demo.tree.max_depth == 5 and demo.tree.n_leaves[0] == load_demo_places().height
    assert set(demo.items["region"]) == set(REGION_EFFECTS)  # every continent


def test_determinism() -> None:
    a, b, c = (load_demo(n_items=200, n_models=5, seed=s) for s in (3, 3, 4))
    assert a.results.equals(b.results) and a.predictions.equals(b.predictions)
    assert not a.predictions.equals(c.predictions)
    gen = load_demo(n_items=200, n_models=5, seed=np.random.default_rng(3))
    assert gen.predictions.equals(a.predictions)


def test_truth_is_returned_exactly(demo) -> None:
    truth = demo.truth
    assert np.array_equal(truth.abilities["theta"].to_numpy(), np.linspace(1.5, -1.5, 12))
    assert dict(truth.region_effects.iter_rows()) == REGION_EFFECTS
    assert truth.depth_offsets["alpha"].to_list() == list(DEPTH_OFFSETS)
    assert truth.depth_offsets["depth"].to_list() == [1, 2, 3, 4, 5]
    assert truth.item_difficulty["item"].equals(demo.items["item"])
    effects = truth.model_region_effects
    assert effects.height == 12 * 5
    planted = effects.filter(pl.col("delta") != 0)
    assert set(planted["delta"]) == {-1.2, 0.8}
    assert planted.filter(pl.col("delta") < 0)["model"].n_unique() == 6  # every other model


def test_predictions_are_valid_paths(demo) -> None:
    tree, p = demo.tree, demo.predictions
    true, pred = p["true"].to_numpy(), p["pred"].to_numpy()
    assert np.all(tree.depth[true] == 5)
    lca_depth = tree.depth[tree.lca(true, pred)]
    assert np.array_equal(lca_depth, p["correct_depth"].to_numpy())
    stopped = p["pred_depth"].to_numpy() < 5
    # a prediction that stops early stops on the true path (it does not guess)
    assert np.all(tree.is_ancestor(pred[stopped], true[stopped]))
    assert 0.02 < stopped.mean() < 0.3


def test_planted_structure_is_visible(demo) -> None:
    p, r = demo.predictions, demo.results
    # ability order: accuracy ranks follow theta
    acc = r.group_by("model", maintain_order=True).agg(pl.col("correct").mean())
    rho = spearmanr(acc["correct"], demo.truth.abilities["theta"]).statistic
    assert rho > 0.9
    # depth decay: survival falls at every level, and error grows as levels go wrong
    survival = [(p["correct_depth"] >= d).mean() for d in range(1, 6)]
    assert all(a > b for a, b in pairwise(survival))
    km = p.group_by("correct_depth").agg(pl.col("error_km").median()).sort("correct_depth")
    assert np.all(np.diff(km["error_km"].to_numpy()) < 0)
    # regional bias: planted weak regions lower a model's share right at country level
    right = p.join(demo.items.select("item", "region"), on="item").with_columns(
        ok=(pl.col("correct_depth") >= 3).cast(pl.Float64)
    )
    rates = right.group_by("model", "region").agg(pl.col("ok").mean())
    overall = right.group_by("model").agg(pl.col("ok").mean().alias("all"))
    gaps = rates.join(overall, on="model").with_columns(gap=pl.col("ok") - pl.col("all"))
    gaps = gaps.join(demo.truth.model_region_effects, on=["model", "region"])
    region_mean = (
        gaps.filter(pl.col("delta") == 0)
        .group_by("region")
        .agg(pl.col("gap").mean().alias("typical"))
    )
    weak = gaps.filter(pl.col("delta") < 0).join(region_mean, on="region")
    assert (weak["gap"] < weak["typical"]).mean() >= 5 / 6


def test_coverage_is_uneven(demo) -> None:
    counts = dict(demo.items.group_by("region").len().iter_rows())
    assert counts["Europe"] > 2 * counts["Africa"] / 1.2 and counts["Oceania"] < 25


def test_bad_parameters() -> None:
    with pytest.raises(InvalidValueError, match="n_models"):
        load_demo(n_models=1)
    with pytest.raises(InvalidValueError, match="n_items"):
        load_demo(n_items=10**6)
    with pytest.raises(InvalidValueError, match="stop_probability"):
        load_demo(stop_probability=1.5)
    with pytest.raises(InputTypeError, match="n_items"):
        load_demo(n_items="many")
    with pytest.raises(InputTypeError, match="seed"):
        load_demo(seed="zero")


def test_results_follow_the_protocol(demo) -> None:
    assert demo.to_polars() is demo.results
    summary = demo.summary()
    assert summary.title == demo.card.name
    assert dict(summary.facts)["models"] == 12
    accuracy = summary.tables["accuracy by model"]
    assert accuracy.columns == ["model", "n", "accuracy", "theta"]
    assert accuracy["n"].to_list() == [600] * 12
    truth = demo.truth.summary()
    assert truth.tables["planted model-region effects"]["delta"].is_in([-1.2, 0.8]).all()
    assert "<table" in demo._repr_html_()


def test_world_map_is_embedded() -> None:
    topo = load_world_map()
    ids = {g.get("id") for g in topo["objects"]["countries"]["geometries"]}
    assert {"250", "840", "004"} <= ids  # France, USA, Afghanistan: zero-padded numeric
