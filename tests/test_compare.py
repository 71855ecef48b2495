"""Tree comparison: naive edge and ancestor sets, the leaf-overlap matching against a dense
assignment, and the shuffled-leaf chance baseline on trees with known relations."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linear_sum_assignment

from hierlab import Tree
from hierlab.compare import (
    ancestor_prf,
    compare_trees,
    edge_prf,
    edge_table,
    match_internal_nodes,
    tree_edit_distance,
)
from hierlab.errors import InvalidValueError


@st.composite
def leaf_trees(draw: st.DrawFn, leaves: int = 12) -> Tree:
    """A random tree over the leaves t0..t{leaves-1}, internal nodes named by position."""
    n_internal = draw(st.integers(1, 8))
    parent = [-1] + [draw(st.integers(0, i - 1)) for i in range(1, n_internal)]
    hosts = [draw(st.integers(0, n_internal - 1)) for _ in range(leaves)]
    paths = []
    for k, h in enumerate(hosts):
        chain = []
        while h >= 0:
            chain.append(f"i{h}")
            h = parent[h]
        paths.append((*chain[::-1], f"t{k}"))
    return Tree.from_paths(paths)


def naive_pairs(tree: Tree, closure: bool) -> set[tuple[str, str]]:
    out = set()
    for v in range(1, tree.n_nodes):
        chain = []
        p = int(tree.parent[v])
        while p > 0:
            chain.append(p)
            p = int(tree.parent[p])
        for a in chain if closure else chain[:1]:
            out.add((tree.label[a], tree.label[v]))
    return out


def naive_prf(reference: set, candidate: set) -> dict[str, float]:
    both = len(reference & candidate)
    p = both / len(candidate) if candidate else 0.0
    r = both / len(reference) if reference else 0.0
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0}


@settings(max_examples=40, deadline=None)
@given(leaf_trees(), leaf_trees())
def test_label_scores_and_matching_equal_naive_and_dense_references(a: Tree, b: Tree) -> None:
    for closure, fn in ((False, edge_prf), (True, ancestor_prf)):
        assert fn(a, b) == pytest.approx(
            naive_prf(naive_pairs(a, closure), naive_pairs(b, closure))
        )
    # the sparse one-to-one matching reaches the dense optimum of total Jaccard
    leaves_a = {
        a.label[v]: set(a.label[a.leaves(v)]) for v in range(1, a.n_nodes) if not a.is_leaf[v]
    }
    leaves_b = {
        b.label[v]: set(b.label[b.leaves(v)]) for v in range(1, b.n_nodes) if not b.is_leaf[v]
    }
    rows, cols = list(leaves_b), list(leaves_a)
    jac = np.array(
        [
            [len(leaves_b[r] & leaves_a[c]) / len(leaves_b[r] | leaves_a[c]) for c in cols]
            for r in rows
        ]
    ).reshape(len(rows), len(cols))
    if jac.size:
        i, j = linear_sum_assignment(jac, maximize=True)
        best = jac[i, j].sum()
    else:
        best = 0.0
    matched = match_internal_nodes(a, b)
    assert matched["jaccard"].sum() == pytest.approx(best)
    assert matched["candidate"].is_unique().all() and matched["reference"].is_unique().all()
    # a relabelled copy (clusters instead of names) is recovered exactly by leaf overlap
    names = b.label.copy()
    inner = np.flatnonzero(~b.is_leaf)[1:]
    names[inner] = [f"cluster {k}" for k in range(len(inner))]
    built = Tree(b.parent, names)
    full = compare_trees(b, built, match="leaves", n_shuffles=0)
    if b.max_depth > 1:  # (a star has no edge below the root to score)
        assert full.edge["f1"] == pytest.approx(1.0) and full.ancestor["f1"] == pytest.approx(1.0)
    assert set(full.edges["status"]) <= {"shared"}


def test_leaf_matching_against_chance_on_known_truth() -> None:
    rng = np.random.default_rng(3)
    groups = {f"g{g}": [f"t{g}_{k}" for k in range(6)] for g in range(8)}
    reference = Tree.from_paths([f"r/{g}/{t}" for g, ts in groups.items() for t in ts])
    # the candidate recovers the groups with a few leaves misplaced, clusters unnamed
    leaves = [t for ts in groups.values() for t in ts]
    home = np.repeat(np.arange(8), 6)
    moved = rng.choice(len(leaves), 6, replace=False)
    home[moved] = (home[moved] + 1) % 8
    candidate = Tree.from_paths(
        [f"root/cluster {h}/{t}" for h, t in zip(home, leaves, strict=True)]
    )
    result = compare_trees(reference, candidate, match="leaves", n_shuffles=20, seed=0)
    chance = dict(zip(result.chance["measure"], result.chance.iter_rows(named=True), strict=True))
    edge = chance["edge_f1"]
    assert edge["observed"] == pytest.approx(42 / 48)  # 42 of 48 leaf edges kept
    assert edge["observed"] > edge["chance_mean"] + 5 * edge["chance_sd"]
    assert result.matching.height == 8 and "against chance" in str(result.summary())
    # label matching cannot see the clusters: recall 0, and the summary says what to do
    by_label = compare_trees(reference, candidate, n_shuffles=0)
    assert by_label.edge["recall"] == 0.0 and "match='leaves'" in str(by_label.summary())
    # a candidate unrelated to the reference (its leaves shuffled) scores like chance
    labels = candidate.label.copy()
    leaf_ids = candidate.leaves()
    labels[leaf_ids] = labels[rng.permutation(leaf_ids)]
    unrelated = Tree(candidate.parent, labels)
    null = compare_trees(reference, unrelated, match="leaves", n_shuffles=20, seed=1)
    row = null.chance.row(0, named=True)  # edge precision
    assert abs(row["observed"] - row["chance_mean"]) < 4 * row["chance_sd"] + 1e-9
    # the same seed gives the same baseline
    first, again = (
        compare_trees(reference, candidate, match="leaves", n_shuffles=3, seed=7) for _ in "ab"
    )
    assert again.chance.equals(first.chance)


def test_path_matching_ignores_the_root_label_and_edit_distance_is_exact() -> None:
    a = Tree.from_paths(["food/fruit/apple", "food/fruit/pear"])
    b = Tree.from_paths(["eat/fruit/apple", "eat/fruit/pear"])
    assert edge_prf(a, b, match="path")["f1"] == 1.0
    assert edge_table(a, b, match="path")["status"].to_list() == ["shared"] * 3
    # labels with brackets cannot corrupt the APTED notation (0.1 turned '{' into '(')
    x = Tree.from_paths(["r/a{b}", "r/c"])
    y = Tree.from_paths(["r/a(b)", "r/c"])
    assert tree_edit_distance(x, y) == 1 and tree_edit_distance(x, x) == 0
    with pytest.raises(InvalidValueError, match="max_nodes=2"):
        tree_edit_distance(x, y, max_nodes=2)
