"""Shared statistics against statsmodels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint

from hierlab.errors import InputTypeError, InvalidValueError
from hierlab.results import TestResult
from hierlab.stats import adjust_pvalues, coefficient_table, fit_logit, wald_test, wilson_interval


@pytest.mark.parametrize(
    ("ours", "theirs"), [("holm", "holm"), ("bh", "fdr_bh"), ("bonferroni", "bonferroni")]
)
def test_adjust_pvalues_matches_statsmodels(ours: str, theirs: str) -> None:
    p = np.random.default_rng(0).uniform(0, 0.2, 40)
    assert np.allclose(adjust_pvalues(p, correction=ours), multipletests(p, method=theirs)[1])
    with_nan = np.array([0.01, np.nan, 0.04])
    out = adjust_pvalues(with_nan, correction=ours)
    assert np.isnan(out[1]) and np.allclose(
        out[[0, 2]], multipletests(with_nan[[0, 2]], method=theirs)[1]
    )


def test_adjust_pvalues_bad_input() -> None:
    assert adjust_pvalues([0.2, 0.01], correction=None).tolist() == [0.2, 0.01]
    with pytest.raises(InvalidValueError, match="'sidak'"):
        adjust_pvalues([0.1], correction="sidak")
    with pytest.raises(InvalidValueError, match=r"position\(s\) 1"):
        adjust_pvalues([0.1, 1.5])
    with pytest.raises(InputTypeError, match="pvalues"):
        adjust_pvalues(["a"])


def test_wilson_matches_statsmodels() -> None:
    k, n = np.array([0, 3, 10, 7]), np.array([10, 10, 10, 50])
    lo, hi = wilson_interval(k, n)
    ref_lo, ref_hi = proportion_confint(k, n, method="wilson")
    assert np.allclose(lo, ref_lo) and np.allclose(hi, ref_hi)
    lo90, _ = wilson_interval(k, n, confidence=0.9)
    assert np.allclose(lo90, proportion_confint(k, n, alpha=0.1, method="wilson")[0])
    assert np.isnan(wilson_interval(np.array([0]), np.array([0]))[0][0])
    with pytest.raises(InvalidValueError, match="confidence"):
        wilson_interval(k, n, confidence=95)


def test_coefficient_table_and_wald_test() -> None:
    rng = np.random.default_rng(0)
    data = pd.DataFrame({"x": rng.normal(size=200), "z": rng.normal(size=200)})
    data["y"] = (rng.random(200) < 1 / (1 + np.exp(-data["x"]))).astype(float)
    data["item"] = np.repeat(np.arange(50), 4)
    fit = fit_logit("y ~ x + z", data, data["item"])
    table = coefficient_table(fit, ["x", "z"], confidence=0.9)
    assert table.columns == ["term", "estimate", "se", "statistic", "p_value", "ci_low", "ci_high"]
    assert table["p_value"].to_list() == pytest.approx(fit.pvalues[["x", "z"]].tolist())
    test = wald_test(fit, [{"x": 1.0}, {"z": 1.0}])
    assert isinstance(test, TestResult) and test.df == 2.0 and test.fitted is fit
    assert test.table["contrast"].to_list() == ["x", "z"]
    single = wald_test(fit, [{"x": 1.0, "z": -1.0}])
    assert single.table["contrast"].to_list() == ["x - z"]
    diff = fit.params["x"] - fit.params["z"]
    assert single.table["estimate"][0] == pytest.approx(diff)
    assert single.statistic == pytest.approx((diff / single.table["se"][0]) ** 2)
    with pytest.raises(InvalidValueError, match="'w'"):
        wald_test(fit, [{"w": 1.0}])
    with pytest.raises(InputTypeError, match="formula"):
        fit_logit(3, data)  # type: ignore[arg-type]
