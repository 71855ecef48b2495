"""Shared statistics against statsmodels."""

from __future__ import annotations

import numpy as np
import pytest
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint

from hierlab.stats import adjust_pvalues, wilson_interval


@pytest.mark.parametrize(
    ("ours", "theirs"), [("holm", "holm"), ("bh", "fdr_bh"), ("bonferroni", "bonferroni")]
)
def test_adjust_pvalues_matches_statsmodels(ours: str, theirs: str) -> None:
    p = np.random.default_rng(0).uniform(0, 0.2, 40)
    assert np.allclose(adjust_pvalues(p, ours), multipletests(p, method=theirs)[1])
    with_nan = np.array([0.01, np.nan, 0.04])
    out = adjust_pvalues(with_nan, ours)
    assert np.isnan(out[1]) and np.allclose(
        out[[0, 2]], multipletests(with_nan[[0, 2]], method=theirs)[1]
    )


def test_wilson_matches_statsmodels() -> None:
    k, n = np.array([0, 3, 10, 7]), np.array([10, 10, 10, 50])
    lo, hi = wilson_interval(k, n)
    ref_lo, ref_hi = proportion_confint(k, n, method="wilson")
    assert np.allclose(lo, ref_lo) and np.allclose(hi, ref_hi)
    assert np.isnan(wilson_interval(np.array([0]), np.array([0]))[0][0])
