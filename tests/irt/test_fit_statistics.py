"""Item fit (S-X2), local dependence (Q3), person fit (lz*) and global fit (M2, RMSEA).

Each statistic's size under a correctly specified model and its power against planted
misfit, on seeded simulations (the full-size runs are in benchmarks/bench_irt_diagnostics.py).
"""

from __future__ import annotations

import warnings

import numpy as np
import polars as pl
import pytest

from hierlab.errors import HierlabWarning
from hierlab.irt import (
    fit_irt,
    global_fit,
    item_fit,
    local_dependence,
    person_fit,
    response_probability,
)


def _responses(seed: int, n: int = 500, j: int = 15) -> np.ndarray:
    rng = np.random.default_rng(seed)
    theta, a, b = rng.normal(size=n), np.exp(rng.normal(0, 0.3, j)), rng.normal(size=j)
    return (rng.random((n, j)) < response_probability(theta, a, b)).astype(float)


def _fit(values: np.ndarray):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HierlabWarning)
        return fit_irt(values, "2pl")


@pytest.fixture(scope="module")
def null_fits():
    return [_fit(_responses(seed)) for seed in range(4)]


def test_statistics_hold_their_size_under_the_model(null_fits) -> None:
    sx2 = np.concatenate([item_fit(f).table["p_value"].to_numpy() for f in null_fits])
    lz = np.concatenate([person_fit(f).table["p_value"].to_numpy() for f in null_fits])
    assert 0.005 <= np.mean(sx2 < 0.05) <= 0.10  # 60 items here; 3.3% over 8 seeds
    assert 0.03 <= np.mean(lz < 0.05) <= 0.07  # 2,000 models here; 5.0% over 8 seeds
    m2 = [global_fit(f) for f in null_fits]
    assert sum(g.test.p_value < 0.05 for g in m2) <= 2
    assert all(g.rmsea < 0.05 and g.rmsea_ci_low <= g.rmsea <= g.rmsea_ci_high for g in m2)
    assert all(g.test.df == 15 * 16 / 2 - 30 for g in m2)  # pairs and items minus parameters
    flagged = [local_dependence(f, n_boot=20, seed=0).pairs["flagged"].sum() for f in null_fits]
    assert sum(flagged) <= 2  # FDR control over 105 pairs per fit


@pytest.fixture(scope="module")
def planted():
    """Two copied item pairs, one non-monotone item and ten random responders."""
    rng = np.random.default_rng(0)
    n, j = 500, 20
    theta, a, b = rng.normal(size=n), np.exp(rng.normal(0, 0.3, j)), rng.normal(size=j)
    values = (rng.random((n, j)) < response_probability(theta, a, b)).astype(float)
    for source, target in ((0, 1), (2, 3)):
        copy = rng.random(n) < 0.4
        values[copy, target] = values[copy, source]
    values[:, 5] = rng.random(n) < 1 / (1 + np.exp(-(1.5 - 2 * theta**2)))
    values[:10] = rng.random((10, j)) < 0.5
    return _fit(values)


def test_q3_finds_planted_local_dependence(planted) -> None:
    ld = local_dependence(planted, n_boot=20, seed=0)
    pairs = {(r["item_1"], r["item_2"]) for r in ld.pairs.filter("flagged").iter_rows(named=True)}
    assert {("item_0", "item_1"), ("item_2", "item_3")} <= pairs
    top = ld.pairs.sort("q3_adjusted", descending=True).head(2)
    assert (top["q3_adjusted"] > ld.cutoff).all() and (top["ld_p_value"] < 1e-6).all()
    assert ld.over_cutoff >= 2 and ld.expected_over_cutoff < 1
    assert "expected" in ld.distribution.columns


def test_sx2_finds_a_non_monotone_item(planted) -> None:
    table = item_fit(planted).table
    assert table.filter("flagged")["item"].to_list() == ["item_5"]
    row = table.filter(pl.col("item") == "item_5").row(0, named=True)
    assert row["df"] > 5 and row["p_adjusted"] < 1e-4


def test_lz_star_finds_random_responders(planted) -> None:
    table = person_fit(planted).table
    flagged = set(table.filter("flagged")["model"])
    random_models = {str(i) for i in range(10)}
    assert len(flagged & random_models) >= 5
    assert len(flagged - random_models) <= 3
    assert global_fit(planted).test.p_value < 1e-6  # the whole model misfits too
