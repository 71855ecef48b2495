"""Lazy results tables: the analyses collect only the columns they need."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from hierlab import Tree
from hierlab.bias import disaggregate
from hierlab.depth import accuracy_by_depth
from hierlab.io import scan_results


def _explodes(series: pl.Series) -> pl.Series:
    raise AssertionError("a column the analysis does not need was computed")


def test_disaggregate_and_depth_collect_only_what_they_need(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    n = 20_000
    frame = pl.DataFrame(
        {
            "system": rng.choice(["m1", "m2", "m3"], n),
            "qid": [f"q{i % 5000}" for i in range(n)],
            "ok": rng.integers(0, 2, n),
            "region": rng.choice(["Africa", "Asia", "Europe"], n),
            "answer": ["a long free-text answer " * 4] * n,
        }
    ).unique(subset=["system", "qid"])
    path = tmp_path / "results.parquet"
    frame.write_parquet(path)
    lazy = scan_results(path, columns={"model": "system", "item": "qid", "correct": "ok"})
    trap = lazy.with_columns(pl.col("answer").map_batches(_explodes, return_dtype=pl.String))
    eager = lazy.collect()
    a = disaggregate(trap, "region", n_boot=0).table
    b = disaggregate(eager, "region", n_boot=0).table
    assert a.equals(b)

    tree = Tree.from_paths(["A/a1", "A/a2", "B/b1", "B/b2"], root="r")
    leaves = tree.leaves()
    predictions = pl.DataFrame(
        {
            "model": rng.choice(["m1", "m2"], 1000),
            "item": [f"q{i}" for i in range(1000)],
            "true": rng.choice(leaves, 1000),
            "pred": rng.choice(leaves, 1000),
            "answer": ["text"] * 1000,
        }
    )
    trapped = predictions.lazy().with_columns(
        pl.col("answer").map_batches(_explodes, return_dtype=pl.String)
    )
    assert accuracy_by_depth(tree, trapped).equals(accuracy_by_depth(tree, predictions))
