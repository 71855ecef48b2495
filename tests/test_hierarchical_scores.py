"""Hierarchical scores with paired bootstrap intervals: values against the point metrics,
coverage against a known population value, and bad input."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from benchmarks.hierarchical_scores_coverage import MODELS, TREE, coverage, simulate
from hierlab.coherence import hierarchical_prf, lca_prf, mistake_severity
from hierlab.errors import (
    DuplicateRowsError,
    InputShapeError,
    InvalidValueError,
    MissingValueError,
)
from hierlab.hierarchical_scores import METRICS, hierarchical_scores


def test_values_equal_the_point_metrics() -> None:
    data = simulate(np.random.default_rng(0), 500)
    table = hierarchical_scores(TREE, data, n_boot=100).table
    for name in MODELS:
        g = data.filter(pl.col("model") == name)
        answered = g.filter(pl.col("pred").is_not_null())
        t = g["true"].to_numpy()
        p = g["pred"].fill_null(TREE.root).to_numpy()
        got = dict(table.filter(pl.col("model") == name).select("metric", "estimate").rows())
        hprf, lprf = hierarchical_prf(TREE, t, p), lca_prf(TREE, t, p)
        sev = mistake_severity(TREE, answered["true"].to_numpy(), answered["pred"].to_numpy())
        assert got["hP"] == pytest.approx(hprf["precision"])
        assert got["hR"] == pytest.approx(hprf["recall"])
        assert got["hF"] == pytest.approx(hprf["f1"])
        assert got["lcaF"] == pytest.approx(lprf["f1"])
        assert got["exact"] == pytest.approx(float(np.mean(t == p)))
        wrong = sev.filter(~pl.col("correct"))
        assert got["severity"] == pytest.approx(wrong["lca_height"].mean())


def test_paired_difference_is_narrower_than_separate_intervals() -> None:
    scores = hierarchical_scores(TREE, simulate(np.random.default_rng(1), 400), seed=1)
    diff = scores.difference("strong", "weak").filter(pl.col("metric") == "hF").row(0, named=True)
    t = scores.table.filter(pl.col("metric") == "hF")
    separate = float((t["ci_high"] - t["ci_low"]).sum())
    assert diff["ci_high"] - diff["ci_low"] < separate
    assert diff["ci_low"] < diff["estimate"] < diff["ci_high"]
    again = hierarchical_scores(TREE, simulate(np.random.default_rng(1), 400), seed=1)
    assert again.table.equals(scores.table)  # the same seed gives the same numbers


def test_intervals_cover_the_population_value() -> None:
    # 200 replications of 2 models x 150 items: Monte-Carlo SE of a 95% rate about 1.1-1.5 points
    rates = coverage(clustered=False, cluster=None, reps=200)
    for metric, rate in rates.items():
        assert 0.91 <= rate <= 0.985, (metric, rate)


def test_cluster_bootstrap_covers_where_the_item_bootstrap_does_not() -> None:
    # 30 clusters of 5 items that are easy or hard together
    items = coverage(clustered=True, cluster=None, reps=120)
    clusters = coverage(clustered=True, cluster="cluster", reps=120)
    assert items["hF"] < 0.88  # items taken as independent: intervals too narrow
    assert clusters["hF"] >= 0.9 and clusters["exact"] >= 0.9
    assert clusters["hF"] > items["hF"] + 0.05


def test_bad_input_is_named() -> None:
    data = simulate(np.random.default_rng(2), 20)
    with pytest.raises(DuplicateRowsError, match="more than one row"):
        hierarchical_scores(TREE, pl.concat([data, data.head(1)]))
    with pytest.raises(InputShapeError, match="true"):
        hierarchical_scores(TREE, data.drop("true"))
    with pytest.raises(MissingValueError, match="no true node"):
        hierarchical_scores(TREE, data.with_columns(true=pl.lit(None, pl.Int64)))
    with pytest.raises(InvalidValueError, match="at least 100"):
        hierarchical_scores(TREE, data, n_boot=10)
    moved = data.with_columns(cluster=pl.when(pl.col("model") == "weak").then(-1).otherwise(0))
    with pytest.raises(InvalidValueError, match="more than one 'cluster' cluster"):
        hierarchical_scores(TREE, moved, cluster="cluster")
    scores = hierarchical_scores(TREE, data, n_boot=100)
    with pytest.raises(InvalidValueError, match="not among the scored models"):
        scores.difference("strong", "nobody")
    assert set(scores.table["metric"]) == set(METRICS)
    assert "paired bootstrap" in str(scores.summary())


def test_one_model_without_a_model_column() -> None:
    data = simulate(np.random.default_rng(3), 30).filter(pl.col("model") == "strong")
    alone = hierarchical_scores(TREE, data.drop("model"), model=None, n_boot=100, seed=0)
    named = hierarchical_scores(TREE, data, n_boot=100, seed=0)
    assert alone.table["estimate"].to_list() == named.table["estimate"].to_list()
    with pytest.raises(DuplicateRowsError, match="more than one row"):
        hierarchical_scores(TREE, pl.concat([data, data.head(1)]).drop("model"), model=None)
