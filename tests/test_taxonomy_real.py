"""Real taxonomies rebuilt from MiniLM embeddings (the embed extra), and MathVista's
empirical skill taxonomy against its declared one. Numbers are compared with chance."""

from __future__ import annotations

import numpy as np
import pytest

from hierlab import Tree
from hierlab.compare import fowlkes_mallows_by_level, tree_distance_correlation
from hierlab.taxonomy import (
    build_bottom_up,
    build_from_responses,
    build_top_down,
    embed_texts,
    evaluate_expansion,
)

pytestmark = [pytest.mark.mirror, pytest.mark.embed, pytest.mark.usefixtures("data_env")]


def shuffled_leaves(tree: Tree, seed: int) -> Tree:
    """The same shape with its leaf labels permuted: the chance reference."""
    labels = tree.label.copy()
    leaves = tree.leaves()
    labels[leaves] = labels[np.random.default_rng(seed).permutation(leaves)]
    return Tree(tree.parent, labels)


@pytest.mark.parametrize("name", ["science", "environment_eurovoc"])
def test_semeval_rebuilt_from_embeddings_beats_chance(name: str) -> None:
    from hierlab.datasets import fetch_semeval_taxonomy

    gold = fetch_semeval_taxonomy(name).tree
    terms = gold.label[gold.leaves()].tolist()
    emb = embed_texts(terms)
    assert emb.shape == (len(terms), 384) and np.allclose(np.linalg.norm(emb, axis=1), 1, atol=1e-5)
    depth = gold.max_depth - 1
    for built in (
        build_bottom_up(emb, terms, branching=5, max_depth=depth),
        build_top_down(emb, terms, branching=5, min_size=5, max_depth=depth, seed=0),
    ):
        fm = fowlkes_mallows_by_level(gold, built)["fowlkes_mallows"][0]
        chance = [
            fowlkes_mallows_by_level(gold, shuffled_leaves(built, s))["fowlkes_mallows"][0]
            for s in range(20)
        ]
        assert fm > np.mean(chance) + 3 * np.std(chance)  # well outside the shuffled-leaves spread
        assert tree_distance_correlation(gold, built) > 0.1


def test_leave_out_expansion_beats_chance() -> None:
    from hierlab.datasets import fetch_semeval_taxonomy

    gold = fetch_semeval_taxonomy("science").tree
    node_emb = embed_texts(gold.label.tolist())
    leaves = gold.leaves()
    held = leaves[np.random.default_rng(0).permutation(len(leaves))[: len(leaves) // 10]]
    out = evaluate_expansion(gold, node_emb, held)
    chance_hit10 = 10 / (gold.n_nodes - len(held))
    assert out["hit@10"] > 5 * chance_hit10
    assert out["scaled_mrr"] >= out["mrr"] > 0


def test_embedding_cache_is_reused(tmp_path) -> None:
    first = embed_texts(["apple pie", "quantum field theory"], cache_dir=tmp_path)
    store = tmp_path / "all-MiniLM-L6-v2.npz"
    assert store.exists()
    stamp = store.stat().st_mtime_ns
    again = embed_texts(["quantum field theory", "apple pie"], cache_dir=tmp_path)
    assert (
        np.allclose(again[::-1], first) and store.stat().st_mtime_ns == stamp
    )  # nothing re-embedded
    assert first[0] @ first[1] < 0.5


def test_mathvista_empirical_taxonomy_against_declared() -> None:
    from hierlab.datasets import fetch_mathvista

    mv = fetch_mathvista()
    declared = Tree.from_levels(
        mv.items, levels=["category", "task", "source", "item"], root="MathVista"
    )
    # constant items are left out by design, without a warning (warnings fail the suite)
    empirical = build_from_responses(mv.matrix, branching=4, max_depth=3)
    values = mv.matrix.drop("model").to_numpy().astype(float)
    varying = (np.nanmax(values, axis=0) > np.nanmin(values, axis=0)).sum()
    assert int(empirical.n_leaves[0]) == varying < values.shape[1]
    fm = fowlkes_mallows_by_level(declared, empirical)["fowlkes_mallows"]
    assert ((fm >= 0) & (fm <= 1)).all()
    chance = fowlkes_mallows_by_level(declared, shuffled_leaves(empirical, 0))["fowlkes_mallows"][0]
    assert (
        fm[0] >= chance - 0.05
    )  # reported in the notebooks; response patterns only partly follow categories
