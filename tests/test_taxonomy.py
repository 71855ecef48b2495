"""Building, labelling, expanding and comparing taxonomies."""

from __future__ import annotations

import warnings

import numpy as np
import polars as pl
import pytest

from hierlab import Tree
from hierlab.compare import (
    ancestor_prf,
    compare_trees,
    edge_prf,
    edge_table,
    fowlkes_mallows_by_level,
    tree_distance_correlation,
    tree_edit_distance,
)
from hierlab.errors import HierlabWarning
from hierlab.taxonomy import (
    build_bottom_up,
    build_from_responses,
    build_top_down,
    evaluate_expansion,
    label_nodes,
    rank_positions,
)


def planted(seed: int = 0, spread=(1.0, 0.35, 0.1)):
    """4 x 4 x 6 terms: embeddings drawn around a planted 3-level hierarchy."""
    rng = np.random.default_rng(seed)
    dim = 32
    vectors, paths = [], []
    for a in range(4):
        ca = rng.normal(0, spread[0], dim)
        for b in range(4):
            cb = ca + rng.normal(0, spread[1], dim)
            for c in range(6):
                vectors.append(cb + rng.normal(0, spread[2], dim))
                paths.append(f"g/A{a}/B{a}{b}/t{a}{b}{c}")
    return np.array(vectors), [p.split("/")[-1] for p in paths], Tree.from_paths(paths)


def test_bottom_up_and_top_down_recover_a_planted_hierarchy() -> None:
    x, names, gold = planted()
    bottom = build_bottom_up(x, names, branching=4, max_depth=2)
    top = build_top_down(x, names, branching=4, min_size=6, max_depth=2, seed=0)
    for built in (bottom, top):
        fm = fowlkes_mallows_by_level(built, gold)
        assert fm["fm"][0] > 0.9  # the 4 top groups
        assert tree_distance_correlation(built, gold) > 0.8
    assert bottom.n_leaves[0] == top.n_leaves[0] == 96
    # no internal node has a single child
    assert (bottom.n_children[~bottom.is_leaf] >= 2).all() and (
        top.n_children[~top.is_leaf] >= 2
    ).all()


def test_top_down_is_deterministic_given_a_seed() -> None:
    x, names, _ = planted(1, spread=(0.5, 0.5, 0.5))
    a = build_top_down(x, names, seed=3)
    b = build_top_down(x, names, seed=3)
    assert a == b


def test_bad_input() -> None:
    x, names, _ = planted()
    with pytest.raises(ValueError, match="Duplicate terms"):
        build_bottom_up(x[:2], ["a", "a"])
    with pytest.raises(ValueError, match="NaN or inf"):
        build_bottom_up(np.array([[1.0, np.nan], [1.0, 0.0]]), ["a", "b"])
    with pytest.raises(ValueError, match="96 embedding rows but 3 labels"):
        build_top_down(x, ["a", "b", "c"])
    with pytest.raises(ValueError, match="at least two"):
        build_bottom_up(x[:1], ["a"])
    with pytest.raises(ValueError, match="branching"):
        build_bottom_up(x, names, branching=1)
    with pytest.raises(ValueError, match="all zeros"):
        build_top_down(np.zeros((2, 3)), ["a", "b"])


def test_labels_medoid_and_ctfidf() -> None:
    tree = Tree.from_paths(
        [
            "food/fruit pie/apple pie",
            "food/fruit pie/cherry pie",
            "food/soup/tomato soup",
            "food/soup/leek soup",
        ]
    )
    emb = np.array([[1, 0.1], [1, 0], [0, 1], [0.1, 1]], dtype=float)
    labels = label_nodes(tree, emb)
    soup = labels.filter(pl.col("path") == "food / soup").row(0, named=True)
    assert soup["terms"][0] == "soup" and soup["medoid"] in ("tomato soup", "leek soup")


def test_expansion_ranks_true_parents_first() -> None:
    x, names, gold = planted(2)
    # node embeddings: leaves their own vector, internal nodes the mean of their leaves
    leaf_vec = {n: v for n, v in zip(names, x, strict=True)}
    node_emb = np.zeros((gold.n_nodes, x.shape[1]))
    for v in range(gold.n_nodes):
        node_emb[v] = np.mean([leaf_vec[gold.label[leaf]] for leaf in gold.leaves(v)], axis=0)
    held = gold.leaves()[::10]
    out = evaluate_expansion(gold, node_emb, held)
    assert out["hit@1"] > 0.5 and out["mrr"] > 0.6 and out["wu_palmer"] > 0.8
    assert out["scaled_mrr"] >= out["mrr"]  # ranks are divided by 10 before inverting
    ranks = rank_positions(gold, node_emb, node_emb[held])
    assert ranks.shape == (len(held), gold.n_nodes)
    with pytest.raises(ValueError, match="Only leaves"):
        evaluate_expansion(gold, node_emb, [1])


def test_empirical_taxonomy_from_responses_finds_planted_skills() -> None:
    rng = np.random.default_rng(4)
    n_models, per_skill = 60, 15
    skill = rng.normal(size=(n_models, 3))
    diff = rng.normal(size=3 * per_skill)
    which = np.repeat(np.arange(3), per_skill)
    p = 1 / (1 + np.exp(-(2.5 * skill[:, which] - diff)))
    values = (rng.random(p.shape) < p).astype(float)
    items = [f"s{k}_{i}" for k, i in zip(which, range(len(which)), strict=True)]
    frame = pl.DataFrame(values, schema=items, orient="row")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HierlabWarning)
        empirical = build_from_responses(frame, branching=3, max_depth=1)
    declared = Tree.from_paths([f"skills/s{k}/{it}" for k, it in zip(which, items, strict=True)])
    assert fowlkes_mallows_by_level(empirical, declared)["fm"][0] > 0.8


def test_compare_by_hand() -> None:
    gold = Tree.from_paths(["food/fruit/apple", "food/fruit/pear", "food/veg/leek"])
    pred = Tree.from_paths(["food/fruit/apple", "food/veg/pear", "food/veg/leek", "food/veg/kale"])
    # edges below the root: gold {fruit-apple, fruit-pear, veg-leek}; pred {fruit-apple, veg-pear, veg-leek, veg-kale}
    assert edge_prf(pred, gold) == pytest.approx({"precision": 2 / 4, "recall": 2 / 3, "f1": 4 / 7})
    anc = ancestor_prf(pred, gold)
    assert anc["recall"] == pytest.approx(2 / 3)
    table = edge_table(pred, gold)
    status = dict(zip(table["child"], table["status"], strict=True))
    assert status == {
        "fruit": "shared",
        "apple": "shared",
        "pear": "moved",
        "veg": "shared",
        "leek": "shared",
        "kale": "extra",
    }
    assert tree_edit_distance(Tree.from_paths(["r/a", "r/b"]), Tree.from_paths(["r/a", "r/c"])) == 1
    full = compare_trees(pred, gold)
    assert set(full) == {"edge", "ancestor", "cpcc", "fowlkes_mallows", "edges"}
    with pytest.raises(ValueError, match="unique labels"):
        edge_prf(Tree.from_paths(["r/a/x", "r/b/x"]), gold)
