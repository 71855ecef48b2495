"""Coverage of hierarchical_scores' paired bootstrap intervals under a known population value.

Run ``python benchmarks/hierarchical_scores_coverage.py [--reps 1000]`` (at low priority:
``nice``). Two simulated models answer items placed on a balanced tree (4 regions > 16
countries > 64 cities): each is right at a depth with a fixed probability given the depths
above were right, and refuses 5% of items. The population value of every metric comes from
one very large sample. The script prints, for independent items and for items correlated
within clusters (30 clusters of 5 items that are easy or hard together), the share of
replications (150 items each) whose 95% interval contains the population value, with the
item bootstrap and with the cluster bootstrap. ``tests/test_hierarchical_scores.py`` runs
the same checks with fewer replications.
"""

from __future__ import annotations

import argparse
import functools
import time

import numpy as np
import polars as pl

from hierlab import Tree
from hierlab.hierarchical_scores import hierarchical_scores

BRANCHING, DEPTH = 4, 3  # 4 regions > 16 countries > 64 cities


def _tree() -> Tree:
    paths = [
        f"r{a}/c{a}{b}/t{a}{b}{c}"
        for a in range(BRANCHING)
        for b in range(BRANCHING)
        for c in range(BRANCHING)
    ]
    return Tree.from_paths(paths, root="World")


TREE = _tree()
LEAVES = np.sort(TREE.leaves())


def predict(
    rng: np.random.Generator, true: np.ndarray, right: np.ndarray, refuse: float
) -> np.ndarray:
    """Predicted leaves: right at depth d with probability right[:, d-1] given the depths above
    were right; the first wrong depth sends the answer to a random sibling branch there."""
    n = len(true)
    digits = np.stack(
        [(true // BRANCHING ** (DEPTH - 1 - d)) % BRANCHING for d in range(DEPTH)], axis=1
    )
    ok = np.cumprod(rng.random((n, DEPTH)) < right, axis=1).astype(bool)
    first_wrong = np.where(ok.all(axis=1), DEPTH, (~ok).argmax(axis=1))
    pred = digits.copy()
    rows = np.flatnonzero(first_wrong < DEPTH)
    d = first_wrong[rows]
    pred[rows, d] = (digits[rows, d] + rng.integers(1, BRANCHING, len(rows))) % BRANCHING
    below = np.arange(DEPTH)[None, :] > d[:, None]
    pred[rows] = np.where(below, rng.integers(0, BRANCHING, (len(rows), DEPTH)), pred[rows])
    index = (pred * BRANCHING ** np.arange(DEPTH - 1, -1, -1)).sum(axis=1)
    out = LEAVES[index].astype(float)
    out[rng.random(n) < refuse] = np.nan
    return out


MODELS = {"strong": (0.9, 0.8, 0.7), "weak": (0.8, 0.7, 0.5)}


def simulate(rng: np.random.Generator, n_items: int, n_clusters: int | None = None) -> pl.DataFrame:
    """Two models answer the same items; with clusters, a cluster makes all its items easy
    or hard for both models (items within a cluster are then dependent)."""
    index = rng.integers(0, len(LEAVES), n_items)
    true = LEAVES[index]
    if n_clusters is None:
        cluster, shift = np.arange(n_items), np.zeros(n_items)
    else:
        cluster = np.arange(n_items) % n_clusters
        shift = np.where(rng.random(n_clusters) < 0.5, 0.25, -0.25)[cluster]
    frames = []
    for name, right in MODELS.items():
        p = np.clip(np.array(right)[None, :] + shift[:, None], 0.02, 0.98)
        pred = predict(rng, index, p, refuse=0.05)
        frames.append(
            pl.DataFrame(
                {
                    "model": name,
                    "item": np.arange(n_items),
                    "cluster": cluster,
                    "true": true,
                    "pred": pl.Series(pred).fill_nan(None).cast(pl.Int64),
                }
            )
        )
    return pl.concat(frames)


@functools.cache
def population(clustered: bool) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Population values (one very large sample: Monte-Carlo error about 1e-3)."""
    big = simulate(np.random.default_rng(12345), 200_000, 20_000 if clustered else None)
    scores = hierarchical_scores(TREE, big, n_boot=100, seed=0)
    return scores.table, scores.difference("strong", "weak")


def coverage(clustered: bool, cluster: str | None, reps: int) -> dict[str, float]:
    """Share of seeded replications whose 95% interval contains the population value."""
    values, population_diff = population(clustered)
    truth = values.select("model", "metric", pl.col("estimate").alias("truth"))
    hits: dict[str, list[bool]] = {"hF": [], "hP": [], "severity": [], "exact": [], "diff": []}
    rng = np.random.default_rng(7)
    for rep in range(reps):
        data = simulate(rng, 150, 30 if clustered else None)
        scores = hierarchical_scores(TREE, data, cluster=cluster, n_boot=400, seed=rep)
        joined = scores.table.join(truth, on=["model", "metric"])
        inside = (pl.col("ci_low") <= pl.col("truth")) & (pl.col("truth") <= pl.col("ci_high"))
        for metric in ("hF", "hP", "severity", "exact"):
            hits[metric] += joined.filter(pl.col("metric") == metric).select(inside)[:, 0].to_list()
        d = scores.difference("strong", "weak").join(
            population_diff.select("metric", pl.col("estimate").alias("truth")), on="metric"
        )
        hits["diff"].append(bool(d.filter(pl.col("metric") == "hF").select(inside).item()))
    return {k: float(np.mean(v)) for k, v in hits.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=1000, help="replications per setting")
    args = parser.parse_args()
    se = np.sqrt(0.05 * 0.95 / args.reps)
    print(f"{args.reps} replications per setting; Monte-Carlo SE of a 95% rate {se:.3f}")
    for clustered, cluster, name in (
        (False, None, "independent items, item bootstrap"),
        (True, None, "clustered items, item bootstrap"),
        (True, "cluster", "clustered items, cluster bootstrap"),
    ):
        start = time.perf_counter()
        rates = coverage(clustered, cluster, args.reps)
        shown = ", ".join(f"{k} {v:.1%}" for k, v in rates.items())
        print(f"{name}: {shown} ({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
