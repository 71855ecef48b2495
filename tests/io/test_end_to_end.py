"""Your own results, end to end: an Inspect log -> parsed answers -> bias and depth analyses.

This is the workflow of the "your own results" notebook: read the logs of several models,
place their free-text and JSON answers in the benchmark's tree, then disaggregate the
scorer's verdicts by region and measure accuracy by depth of the placed answers.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from hierlab import Tree
from hierlab.bias import disaggregate
from hierlab.depth import accuracy_by_depth
from hierlab.errors import MissingValueError
from hierlab.io import parse_answers, read_inspect_logs
from tests.io.conftest import ITEMS

TREE = Tree.from_paths(
    [m["path"] for _, _, m in ITEMS.values()]
    + [
        "Asia/South-eastern Asia/Singapore/Singapore",
        "Oceania/Australia and New Zealand/Australia/Sydney",
        "Americas/Northern America/Canada/Vancouver",
    ],
    root="World",
)


def test_an_inspect_log_end_to_end(inspect_logs: Path) -> None:
    results = read_inspect_logs(inspect_logs).table
    # 1. the scorer's verdicts by region, with intervals. A sample that failed (API error)
    # has no verdict: the analyses refuse it until the user decides, here to drop it
    with pytest.raises(MissingValueError, match="mockllm/gamma"):
        disaggregate(results, "region", n_boot=0, min_size=1)
    scored = results.filter(pl.col("correct").is_not_null())
    assert results.height - scored.height == 1
    by_region = disaggregate(scored, "region", n_boot=0, min_size=1).table
    assert set(by_region["group"]) == {"Americas", "Asia", "Europe", "Oceania"}
    alpha = by_region.filter(model="mockllm/alpha").sort("group")
    # the string-matching scorer misses "Seattle, WA, USA" (target "United States") ...
    assert alpha["estimate"].to_list() == [0.5, 1.0, 1.0, 1.0]

    # 2. answers placed in the tree; abstentions scored as the root (no level right)
    parsed = parse_answers(TREE, results["answer"])
    predictions = results.select("model", "item", pl.col("path").alias("true")).with_columns(
        pred=parsed.table["node"].fill_null(TREE.root)
    )
    by_depth = accuracy_by_depth(TREE, predictions).sort("model", "depth")
    country = dict(by_depth.filter(pl.col("depth") == 3).select("model", "accuracy").iter_rows())
    # ... which the parsed answer places in the United States
    assert country == {"mockllm/alpha": 1.0, "mockllm/beta": 2 / 6, "mockllm/gamma": 2 / 6}
    region = dict(by_depth.filter(pl.col("depth") == 1).select("model", "accuracy").iter_rows())
    # beta: Paris, Tokyo, "Canada/USA" (Northern America), Singapore (right region) and
    # Sydney (right region); the refusal gets nothing
    assert region["mockllm/beta"] == 5 / 6
    counts = parsed.counts()
    abstained = counts.filter(outcome="abstained")["n"].sum()
    assert abstained == 5  # beta's refusal; gamma's unknown, API error, not visible, N/A
