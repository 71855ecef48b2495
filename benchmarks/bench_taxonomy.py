"""Taxonomy building speed: bottom-up and top-down on 5,000 x 384 embeddings.

Run with ``make bench`` or ``python benchmarks/bench_taxonomy.py``. Each method runs in its
own process so peak memory (max RSS) is its own. Target: each <= 10 s.

Beyond ~50,000 terms, scipy's linkage needs the O(n^2) condensed distance matrix (n = 50,000
is 10 GB of float64): cluster first (e.g. top-down to a few thousand groups, or k-means into
~n/20 centroids), build the bottom-up tree over the centroids, and hang the terms below their
centroid; the top-down builder itself is linear in n per level.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time

import numpy as np


def data(n: int = 5000, d: int = 384, seed: int = 0) -> tuple[np.ndarray, list[str]]:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(50, d))
    x = centres[rng.integers(0, 50, n)] + rng.normal(0, 0.6, (n, d))
    return x, [f"term {i}" for i in range(n)]


def one(method: str) -> dict:
    from hierlab.taxonomy import build_bottom_up, build_top_down

    x, names = data()
    start = time.perf_counter()
    tree = (
        build_bottom_up(x, names, branching=5)
        if method == "bottom-up"
        else build_top_down(x, names, branching=5, min_size=5, max_depth=6)
    )
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "nodes": tree.n_nodes,
        "depth": tree.max_depth,
    }


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--one":
        print(json.dumps(one(sys.argv[2])))
        return
    for method in ("bottom-up", "top-down"):
        out = subprocess.run(
            [sys.executable, __file__, "--one", method], capture_output=True, text=True, check=True
        )
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(
            f"{method:<10} 5,000 x 384: {r['seconds']:6.2f} s, peak {r['peak_mb']:.0f} MB, "
            f"{r['nodes']:,} nodes, depth {r['depth']}"
        )


if __name__ == "__main__":
    main()
