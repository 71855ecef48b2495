"""Property tests of the Tree on random trees against naive parent-walk references."""

from __future__ import annotations

import numpy as np
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from hierlab import Tree


@st.composite
def random_trees(draw: st.DrawFn, max_nodes: int = 60) -> tuple[Tree, np.ndarray, list[str]]:
    """A random recursive tree given to the constructor in a shuffled node order.

    Siblings get labels 'a', 'b', ... so labels repeat across branches (as 'Paris' does)
    while staying unique among siblings. Returns the tree and the input parent array and
    labels (in input order).
    """
    n = draw(st.integers(1, max_nodes))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    shape = draw(st.sampled_from(["recursive", "chain", "star", "deep"]))
    if shape == "chain":
        parent = np.arange(-1, n - 1)
    elif shape == "star":
        parent = np.r_[-1, np.zeros(n - 1, dtype=int)]
    elif shape == "deep":  # mostly chains with occasional branching
        parent = np.r_[-1, [max(0, i - 1 - int(rng.integers(0, 3))) for i in range(1, n)]]
    else:
        parent = np.r_[-1, [int(rng.integers(0, i)) for i in range(1, n)]]
    parent = np.asarray(parent, dtype=np.int64)
    rank = np.zeros(n, dtype=int)
    seen: dict[int, int] = {}
    for i in range(1, n):
        rank[i] = seen.get(int(parent[i]), 0)
        seen[int(parent[i])] = rank[i] + 1
    labels = ["root"] + [chr(ord("a") + int(r) % 26) + ("" if r < 26 else str(r)) for r in rank[1:]]
    perm = rng.permutation(n)  # shuffle node ids: input need not be in any order
    inverse = np.empty(n, dtype=int)
    inverse[perm] = np.arange(n)
    shuffled_parent = np.where(parent[perm] < 0, -1, inverse[np.maximum(parent[perm], 0)])
    shuffled_labels = [labels[i] for i in perm]
    return Tree(shuffled_parent, shuffled_labels), shuffled_parent, shuffled_labels


def naive_ancestors(tree: Tree, v: int) -> list[int]:
    out = []
    while v >= 0:
        out.append(v)
        v = int(tree.parent[v])
    return out[::-1]  # root first, v last


def naive_lca(tree: Tree, u: int, v: int) -> int:
    au, av = naive_ancestors(tree, u), naive_ancestors(tree, v)
    common = 0
    for x, y in zip(au, av, strict=False):
        if x != y:
            break
        common = x
    return common


@settings(max_examples=150, deadline=None)
@given(random_trees(), st.data())
def test_lca_and_distance_match_naive(tree_and_input: tuple, data: st.DataObject) -> None:
    tree = tree_and_input[0]
    n = tree.n_nodes
    u = np.array(data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=40)))
    v = np.array(data.draw(st.lists(st.integers(0, n - 1), min_size=len(u), max_size=len(u))))
    expected = np.array([naive_lca(tree, a, b) for a, b in zip(u, v, strict=True)])
    got = tree.lca(u, v)
    assert np.array_equal(got, expected)
    assert np.array_equal(tree.lca(v, u), expected)  # symmetric
    assert np.array_equal(
        tree.distance(u, v), tree.depth[u] + tree.depth[v] - 2 * tree.depth[expected]
    )
    wup = tree.wu_palmer(u, v)
    assert np.all((wup > 0) & (wup <= 1)) and np.all(wup[u == v] == 1)


@settings(max_examples=100, deadline=None)
@given(random_trees())
def test_ancestor_queries_agree(tree_and_input: tuple) -> None:
    tree = tree_and_input[0]
    n = tree.n_nodes
    matrix = tree.ancestors(np.arange(n), include_self=True)
    for v in range(n):
        anc = naive_ancestors(tree, v)
        assert tree.ancestors(v).tolist() == anc[:-1]
        assert matrix[v, : len(anc)].tolist() == anc and np.all(matrix[v, len(anc) :] == -1)
        mask = tree.is_ancestor(np.arange(n), v)
        assert set(np.flatnonzero(mask).tolist()) == set(anc)
        assert tree.depth[v] == len(anc) - 1
        assert tree.size[v] == int(tree.is_ancestor(v, np.arange(n)).sum())
        assert tree.n_leaves[v] == int((tree.is_leaf & tree.is_ancestor(v, np.arange(n))).sum())


@settings(max_examples=100, deadline=None)
@given(random_trees())
def test_round_trips_are_lossless(tree_and_input: tuple) -> None:
    tree, parent, labels = tree_and_input
    assert Tree.from_paths(tree.paths()) == tree
    assert Tree.from_nested(tree.to_nested()) == tree
    assert Tree.from_networkx(tree.to_networkx()) == tree
    df = tree.to_polars()
    assert Tree.from_edges(df, child="id", parent="parent", label="label") == tree
    assert Tree.from_paths(df["path"]) == tree
    # the same tree, rebuilt from the shuffled input as an edge table, is identical
    edges = pl.DataFrame(
        {"child": np.arange(len(parent)), "parent": parent, "label": labels}
    ).with_columns(pl.col("parent").replace(-1, None))
    rebuilt = Tree.from_edges(edges, label="label")
    assert rebuilt.paths() == tree.paths()
    # every node's path finds the node again
    assert np.array_equal(tree.find(tree.paths(sep="/")), np.arange(tree.n_nodes))


@settings(max_examples=60, deadline=None)
@given(random_trees(max_nodes=40))
def test_subtrees_keep_structure(tree_and_input: tuple) -> None:
    tree = tree_and_input[0]
    for v in range(0, tree.n_nodes, max(1, tree.n_nodes // 5)):
        sub = tree.subtree(v)
        assert sub.n_nodes == tree.size[v]
        assert [p for p in sub.paths()] == [
            p[tree.depth[v] :] for p in tree.paths(tree.descendants(v, include_self=True))
        ]


@settings(max_examples=60, deadline=None)
@given(random_trees(max_nodes=400), st.data())
def test_blocked_range_minimum_lca_matches_naive(
    tree_and_input: tuple, data: st.DataObject
) -> None:
    """The linear-memory LCA used above 131,072 nodes, forced on small trees of many blocks."""
    from hierlab.tree import _core as tree_module

    tree = tree_and_input[0]
    n = tree.n_nodes
    u = np.array(data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=60)))
    v = np.array(data.draw(st.lists(st.integers(0, n - 1), min_size=len(u), max_size=len(u))))
    expected = np.array([naive_lca(tree, a, b) for a, b in zip(u, v, strict=True)])
    dense = tree_module.DENSE_RMQ_NODES
    tree_module.DENSE_RMQ_NODES = 0
    try:
        blocked = Tree(tree.parent, tree.label)  # fresh caches
        assert np.array_equal(blocked.lca(u, v), expected)
        assert np.array_equal(blocked.lca(v, u), expected)
    finally:
        tree_module.DENSE_RMQ_NODES = dense
