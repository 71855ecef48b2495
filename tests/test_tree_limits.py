"""Deep and wide trees: build, query, find and export in linear memory.

The same code as ``benchmarks/bench_tree_limits.py`` (which runs 1,000,000 levels and
1,000,000 children) at 100,000, with peak numpy memory measured by tracemalloc: a
quadratic step (an n x depth matrix) would need ~10^10 cells here and fail loudly.
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import polars as pl
import pytest

from hierlab import Tree
from hierlab.errors import CycleError, OutputTooLargeError

N = 100_000


@pytest.fixture(scope="module")
def chain() -> Tree:
    return Tree(np.arange(-1, N - 1), [f"n{i}" for i in range(N)])


@pytest.fixture(scope="module")
def star() -> Tree:
    return Tree(
        np.r_[-1, np.zeros(N - 1, dtype=np.int64)], ["root"] + [f"c{i}" for i in range(1, N)]
    )


def peak_bytes(fn) -> tuple[int, object]:
    tracemalloc.start()
    try:
        out = fn()
        return tracemalloc.get_traced_memory()[1], out
    finally:
        tracemalloc.stop()


def test_a_deep_chain_builds_every_way(chain: Tree) -> None:
    labels = chain.label.tolist()
    assert chain.max_depth == N - 1 and chain.n_leaves[0] == 1
    assert Tree.from_paths([labels]) == chain
    edges = pl.DataFrame({"child": labels[1:], "parent": labels[:-1]})
    assert Tree.from_edges(edges) == chain
    assert Tree.from_nested(chain.to_nested()) == chain  # no recursion either way


def test_deep_chain_queries_and_find_in_linear_memory(chain: Tree) -> None:
    rng = np.random.default_rng(0)
    u, v = rng.integers(0, N, 20_000), rng.integers(0, N, 20_000)
    peak, lca = peak_bytes(lambda: chain.lca(u, v))
    assert np.array_equal(lca, np.minimum(u, v))  # on a chain the LCA is the shallower node
    assert peak < 300 * N
    assert np.array_equal(chain.distance(u, v), np.abs(u - v))
    assert chain.is_ancestor(u, v).tolist() == (u <= v).tolist()
    assert chain.ancestors(N - 1).tolist() == list(range(N - 1))
    leaf_path = tuple(chain.label.tolist())
    peak, found = peak_bytes(lambda: chain.find([leaf_path]))
    assert found.tolist() == [N - 1] and peak < 300 * N
    text = chain.paths([N - 1], sep="/")
    assert chain.find(text).tolist() == [N - 1]
    assert chain.path(N - 1) == leaf_path


def test_deep_chain_exports_in_linear_memory(chain: Tree) -> None:
    peak, table = peak_bytes(lambda: chain.to_polars(path=False))
    assert table.shape == (N, 6) and table["parent"][1] == 0
    assert peak < 300 * N
    with pytest.raises(OutputTooLargeError, match=r"5,000,050,000 labels.*path=False"):
        chain.to_polars()  # the path column alone would hold n (n + 1) / 2 labels
    with pytest.raises(OutputTooLargeError, match="fewer nodes"):
        chain.paths()
    with pytest.raises(OutputTooLargeError, match="ancestor_pairs"):
        chain.ancestors(np.arange(N))
    nested = chain.to_nested()
    depth, node = 0, nested["n0"]
    while node:
        (node,) = node.values()
        depth += 1
    assert depth == N - 1


def test_a_wide_star_builds_queries_finds_and_exports(star: Tree) -> None:
    labels = star.label.tolist()
    assert Tree.from_paths([("root", x) for x in labels[1:]]) == star
    assert star.n_children[0] == N - 1 and star.max_depth == 1
    rng = np.random.default_rng(1)
    u, v = rng.integers(1, N, 20_000), rng.integers(1, N, 20_000)
    assert np.array_equal(star.lca(u, v), np.where(u == v, u, 0))
    ids = star.find([f"root/c{i}" for i in (5, 99_999)])
    assert star.label[ids].tolist() == ["c5", "c99999"]
    table = star.to_polars()
    assert table["path"].list.len().sum() == 2 * N - 1
    assert len(star.to_nested()["root"]) == N - 1


def test_a_nested_dict_that_contains_itself_is_a_cycle_not_a_hang() -> None:
    nested: dict = {"a": {"b": {}}}
    nested["a"]["b"]["c"] = nested  # a -> b -> c -> back to the top
    with pytest.raises(CycleError, match="'a' -> 'b' -> 'c'") as info:
        Tree.from_nested(nested)
    assert info.value.nodes == ("a", "b", "c")
    shared = {"leaf": {}}
    assert Tree.from_nested({"r": {"x": shared, "y": shared}}).n_nodes == 5  # sharing is fine
