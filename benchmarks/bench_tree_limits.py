"""Resource limits: deep trees (a chain of n levels) and wide trees (n children of one node).

Run with ``python benchmarks/bench_tree_limits.py [--sizes 250000 500000 1000000]``.
Every operation runs in its own subprocess, which builds its input (and the tree, for
queries and exports) before measuring. The operation then runs twice, each time on a
newly built tree (so lazily built structures such as the LCA table and the path index
count in the operation that first needs them): once timed, with the growth of the peak
resident set (``ru_maxrss``: numpy, polars and Python allocations alike, but blind to
memory freed and reused), and once under tracemalloc for the exact peak of Python and
numpy allocations (polars' own buffers are not traced). Each worker first runs the same
operation on a 64-node tree, so imports are not counted. Linear memory shows as a
bounded number of bytes per node across the sizes; a quadratic step would grow with n
(a chain of 1,000,000 levels has 5 x 10^11 path labels). The query rows use n random
node pairs, built before measuring.

Operations: build (parent array, one path of n labels / n paths of two, edge table),
query (LCA and distance, is_ancestor, the deepest node's ancestors), find (the deepest
path as a tuple and as a string), export (to_polars without the quadratic path column,
the deepest node's path, to_nested, and back with from_nested).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
import tracemalloc

import numpy as np
import polars as pl

OPERATIONS = [
    "build: Tree(parent, label)",
    "build: from_paths",
    "build: from_edges",
    "query: lca + distance (n pairs)",
    "query: is_ancestor (n pairs)",
    "query: ancestors of the deepest",
    "find: deepest path (tuple)",
    "find: deepest path (string)",
    "export: to_polars(path=False)",
    "export: paths of the deepest",
    "export: to_nested",
    "export: from_nested(to_nested)",
]


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker(shape: str, n: int, operation: str, *, warm: bool = True) -> dict[str, float]:
    from hierlab import Tree

    if warm:  # import what the operation uses (pyarrow, scipy, ...) before measuring it
        worker(shape, 64, operation, warm=False)

    labels = [f"n{i}" for i in range(n)]
    if shape == "deep":
        parent = np.arange(-1, n - 1)
    else:
        parent = np.r_[-1, np.zeros(n - 1, dtype=np.int64)]
    deepest = n - 1
    prepared: dict[str, object] = {}
    if operation == "build: from_paths":
        prepared["paths"] = [labels] if shape == "deep" else [("n0", x) for x in labels[1:]]
    elif operation == "build: from_edges":
        prepared["edges"] = pl.DataFrame(
            {"child": labels[1:], "parent": [labels[p] for p in parent[1:]]}
        )
    tree = None
    if not operation.startswith("build"):
        tree = Tree(parent, labels)
        rng = np.random.default_rng(0)
        prepared["u"], prepared["v"] = rng.integers(0, n, n), rng.integers(0, n, n)
        if operation.startswith("find"):
            path = tuple(tree.label[tree.ancestors(deepest, include_self=True)].tolist())
            prepared["tuple"] = path
            prepared["text"] = "/".join(path)
        if operation == "export: from_nested(to_nested)":
            prepared["nested"] = tree.to_nested()

    def operate(tree: Tree | None) -> int:
        if operation == "build: Tree(parent, label)":
            return Tree(parent, labels).n_nodes
        if operation == "build: from_paths":
            return Tree.from_paths(prepared["paths"]).n_nodes
        if operation == "build: from_edges":
            return Tree.from_edges(prepared["edges"]).n_nodes
        if operation == "query: lca + distance (n pairs)":
            return int(tree.distance(prepared["u"], prepared["v"]).sum())
        if operation == "query: is_ancestor (n pairs)":
            return int(tree.is_ancestor(prepared["u"], prepared["v"]).sum())
        if operation == "query: ancestors of the deepest":
            return len(tree.ancestors(deepest))
        if operation == "find: deepest path (tuple)":
            found = int(tree.find(prepared["tuple"]))
            assert found == deepest
            return found
        if operation == "find: deepest path (string)":
            found = int(tree.find(prepared["text"]))
            assert found == deepest
            return found
        if operation == "export: to_polars(path=False)":
            return tree.to_polars(path=False).height
        if operation == "export: paths of the deepest":
            return len(tree.paths([deepest], sep="/")[0])
        if operation == "export: to_nested":
            return len(tree.to_nested())
        if operation == "export: from_nested(to_nested)":
            rebuilt = Tree.from_nested(prepared["nested"]).n_nodes
            assert rebuilt == n
            return rebuilt
        raise SystemExit(f"unknown operation {operation!r}")

    before = peak_mb()
    start = time.perf_counter()
    out = operate(tree)
    seconds = time.perf_counter() - start
    rss_mb = max(peak_mb() - before, 0.0)
    # a second run, traced (exact peak of Python and numpy allocations), on a fresh tree so
    # that the lazily built structures (LCA table, path index) are counted again
    fresh = None if tree is None else Tree(parent, labels)
    tracemalloc.start()
    operate(fresh)
    traced_mb = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return {"seconds": seconds, "rss_mb": rss_mb, "traced_mb": traced_mb, "out": float(out)}


def run(shape: str, n: int, operation: str) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, __file__, "--worker", shape, str(n), operation],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        return {"error": done.stderr[-300:]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[250_000, 500_000, 1_000_000])
    parser.add_argument("--worker", nargs=3, metavar=("SHAPE", "N", "OPERATION"))
    args = parser.parse_args()
    if args.worker:
        shape, n, operation = args.worker
        print(json.dumps(worker(shape, int(n), operation)))
        return
    import platform

    print(f"python {platform.python_version()}, numpy {np.__version__}, polars {pl.__version__}")
    for shape, title in (("deep", "chain of n levels"), ("wide", "n - 1 children of one root")):
        print(
            f"\n{shape} tree ({title}): time in s, peak memory in MB (traced Python and numpy"
            " allocations / growth of the resident set), bytes per node from the larger"
        )
        print(f"{'operation':<34}" + "".join(f"{f'n={n:,}':>32}" for n in args.sizes))
        for operation in OPERATIONS:
            cells = []
            for n in args.sizes:
                res = run(shape, n, operation)
                if "error" in res:
                    cells.append(f"{'failed':>32}")
                    print(res["error"], file=sys.stderr)
                    continue
                per_node = max(res["traced_mb"], res["rss_mb"]) * 2**20 / n
                cells.append(
                    f"{res['seconds']:>8.2f}s {res['traced_mb']:>6.0f}/{res['rss_mb']:<5.0f}MB"
                    f" {per_node:>5.0f}B/n"
                )
            print(f"{operation:<34}" + "".join(cells), flush=True)


if __name__ == "__main__":
    main()
