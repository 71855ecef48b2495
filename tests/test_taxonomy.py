"""Building, labelling, expanding and comparing taxonomies."""

from __future__ import annotations

import warnings

import numpy as np
import polars as pl
import pytest

from hierlab import Tree
from hierlab.compare import (
    TreeComparison,
    ancestor_prf,
    compare_trees,
    edge_prf,
    edge_table,
    fowlkes_mallows_by_level,
    tree_distance_correlation,
    tree_edit_distance,
)
from hierlab.errors import AmbiguousLabelError, HierlabWarning, InputTypeError, InvalidValueError
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
        fm = fowlkes_mallows_by_level(gold, built)
        assert fm["fowlkes_mallows"][0] > 0.9  # the 4 top groups
        assert tree_distance_correlation(gold, built) > 0.8
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
    assert fowlkes_mallows_by_level(declared, empirical)["fowlkes_mallows"][0] > 0.8


def test_compare_by_hand() -> None:
    gold = Tree.from_paths(["food/fruit/apple", "food/fruit/pear", "food/veg/leek"])
    pred = Tree.from_paths(["food/fruit/apple", "food/veg/pear", "food/veg/leek", "food/veg/kale"])
    # edges below the root: gold {fruit-apple, fruit-pear, veg-leek}; pred {fruit-apple, veg-pear, veg-leek, veg-kale}
    assert edge_prf(gold, pred) == pytest.approx({"precision": 2 / 4, "recall": 2 / 3, "f1": 4 / 7})
    anc = ancestor_prf(gold, pred)
    assert anc["recall"] == pytest.approx(2 / 3)
    table = edge_table(gold, pred)
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
    assert table.filter(pl.col("child") == "pear").row(0, named=True) == {
        "child": "pear",
        "reference_parent": "fruit",
        "candidate_parent": "veg",
        "status": "moved",
        "depth": 2,
    }
    full = compare_trees(gold, pred)
    assert isinstance(full, TreeComparison) and full.edge == edge_prf(gold, pred)
    assert full.to_polars().equals(table) and "edge F1" in str(full.summary())
    assert full.distance_correlation == tree_distance_correlation(gold, pred)
    by_path = edge_prf(gold, pred, match="path")
    assert by_path["recall"] == pytest.approx(2 / 3)  # the same edges, named by path
    with pytest.raises(AmbiguousLabelError, match="candidate tree repeats 'x'"):
        edge_prf(gold, Tree.from_paths(["r/a/x", "r/b/x"]))
    with pytest.raises(InvalidValueError, match="match"):
        edge_prf(gold, pred, match="id")
    with pytest.raises(InputTypeError, match="`candidate`"):
        compare_trees(gold, object())  # type: ignore[arg-type]


def naive_labels(tree: Tree, emb: np.ndarray, texts: list[str], top: int) -> list[tuple]:
    """Node by node, with Counters: the reference for the vectorised label_nodes."""
    import math
    import re
    from collections import Counter

    leaves = tree.leaves()
    x = emb / np.linalg.norm(emb, axis=1, keepdims=True)
    words = [Counter(re.findall(r"[a-z][a-z\-]+", t.lower())) for t in texts]
    position = {int(v): i for i, v in enumerate(leaves)}
    rows = []
    for v in np.flatnonzero(~tree.is_leaf):
        members = [position[int(leaf)] for leaf in tree.leaves(v)]
        centre = x[members].mean(axis=0)
        medoid = texts[members[int(np.argmax(x[members] @ centre))]]
        counts = sum((words[m] for m in members), Counter())
        siblings = tree.children(int(tree.parent[v])) if v > 0 else [v]
        background = Counter()
        for s in siblings:
            for m in (position[int(leaf)] for leaf in tree.leaves(int(s))):
                background.update(words[m])
        avg = sum(background.values()) / len(siblings)
        score = {w: c * math.log(1 + avg / background[w]) for w, c in counts.items()}
        best = sorted(score, key=lambda w: (-score[w], w))[:top]
        rows.append((int(v), int(tree.n_leaves[v]), medoid, best))
    return rows


def test_label_nodes_matches_a_node_by_node_computation() -> None:
    rng = np.random.default_rng(7)
    vocab = ["red", "green", "blue", "apple", "pear", "leek", "soup", "pie", "tart"]
    paths = [f"r/{a}/{b}/t{k}" for k, (a, b) in enumerate(rng.integers(0, 3, (30, 2)))]
    tree = Tree.from_paths(paths)
    texts = [" ".join(rng.choice(vocab, 3)) for _ in tree.leaves()]
    emb = rng.normal(size=(len(texts), 5))
    ours = label_nodes(tree, emb, texts=texts, top=2)
    expected = naive_labels(tree, emb, texts, 2)
    assert ours.select("node", "size", "medoid", "terms").rows() == expected
