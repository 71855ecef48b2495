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


# --------------------------------------------------------------------------- new intervals


def test_newcombe_matches_statsmodels_and_the_published_example() -> None:
    from statsmodels.stats.proportion import confint_proportions_2indep

    from hierlab.stats import newcombe_interval

    rng = np.random.default_rng(0)
    ka, kb = rng.integers(0, 41, 30), rng.integers(0, 26, 30)
    lo, hi = newcombe_interval(ka, np.full(30, 40), kb, np.full(30, 25))
    for j in range(30):
        ref = confint_proportions_2indep(ka[j], 40, kb[j], 25, method="newcomb", compare="diff")
        assert lo[j] == pytest.approx(ref[0], abs=1e-9) and hi[j] == pytest.approx(ref[1], abs=1e-9)
    # Newcombe (1998), table II, example (a): 56/70 - 48/80 -> 0.0524 to 0.3339
    lo, hi = newcombe_interval([56], [70], [48], [80])
    assert (round(lo[0], 4), round(hi[0], 4)) == (0.0524, 0.3339)


def test_ratio_interval_is_finite_or_says_unbounded() -> None:
    from hierlab.stats import ratio_interval

    lo, hi = ratio_interval([30, 0, 10], [60, 60, 60], [20, 20, 0], [60, 60, 60])
    assert lo[0] < 1.5 < hi[0] and np.isfinite(hi[0])
    assert lo[1] == 0.0 and np.isfinite(hi[1])  # numerator 0: the ratio can be 0
    assert np.isinf(hi[2])  # denominator may be 0: unbounded above, said as inf


def test_paired_interval_and_mcnemar_match_references() -> None:
    from statsmodels.stats.contingency_tables import mcnemar

    from hierlab.leaderboard import _mcnemar
    from hierlab.stats import paired_difference_interval

    b, c = np.array([15.0, 3.0, 0.0]), np.array([5.0, 9.0, 0.0])
    for kind, exact in (("mcnemar-exact", True), ("mcnemar-chi2", False)):
        _, p = _mcnemar(b, c, kind)
        for j in range(2):
            ref = mcnemar([[10, b[j]], [c[j], 10]], exact=exact, correction=False)
            assert p[j] == pytest.approx(ref.pvalue)
    _, mid = _mcnemar(b, c, "mcnemar")
    _, ex = _mcnemar(b, c, "mcnemar-exact")
    assert (mid[:2] < ex[:2]).all() and mid[2] == 1.0  # mid-p is less conservative
    # Agresti-Min: Wald on the table with 1/2 added to every cell, by hand
    lo, hi = paired_difference_interval([15], [5], [100])
    d = (15 - 5) / 102
    se = np.sqrt(((15.5 + 5.5) / 102 - d**2) / 102)
    assert lo[0] == pytest.approx(d - 1.959964 * se, abs=1e-6)
    assert hi[0] == pytest.approx(d + 1.959964 * se, abs=1e-6)


# --------------------------------------------------------------------------- Firth


def test_firth_equals_haldane_in_a_saturated_two_by_two() -> None:
    """Firth's estimates in a saturated 2 x 2 table = adding 1/2 to every cell."""
    import polars as pl

    from hierlab.stats import firth_logit

    for a, b, c, d in ((7, 0, 2, 5), (10, 3, 4, 9), (0, 6, 6, 0)):
        x = [0] * (a + b) + [1] * (c + d)
        y = [1] * a + [0] * b + [1] * c + [0] * d
        fit = firth_logit("y ~ x", pl.DataFrame({"x": x, "y": y}), interval="wald")
        slope = np.log((c + 0.5) / (d + 0.5)) - np.log((a + 0.5) / (b + 0.5))
        assert fit.table["estimate"][1] == pytest.approx(slope, abs=1e-6)
        assert fit.table["estimate"][0] == pytest.approx(np.log((a + 0.5) / (b + 0.5)), abs=1e-6)


def test_firth_matches_firthmodels_under_separation() -> None:
    """Estimates, penalised LR p-values and profile intervals agree with firthmodels (which
    is validated against R's logistf); SEs are the inverse penalised information."""
    import polars as pl
    from firthmodels import FirthLogisticRegression
    from scipy.special import expit

    from hierlab.stats import firth_logit

    rng = np.random.default_rng(0)
    n = 60
    x1 = rng.normal(size=n)
    g = rng.integers(0, 3, n)
    y = (rng.random(n) < expit(x1)).astype(float)
    y[g == 2] = 1.0  # group 2 all right: quasi-complete separation
    X = np.column_stack([x1, g == 1, g == 2]).astype(float)
    ref = FirthLogisticRegression().fit(X, y)
    ref.lrt()
    ref_ci = ref.conf_int(method="pl")
    ours = firth_logit(
        "y ~ x1 + g1 + g2", pl.DataFrame({"x1": x1, "g1": X[:, 1], "g2": X[:, 2], "y": y})
    ).table
    order = [1, 2, 3, 0]  # firthmodels puts the intercept last
    # firthmodels stops at a score of ~1e-5, hierlab at ~1e-8: agreement to 2e-4
    assert ours["estimate"].to_numpy()[order] == pytest.approx(
        np.r_[ref.coef_, ref.intercept_], abs=2e-4
    )
    assert ours["p_value"].to_numpy()[order] == pytest.approx(ref.lrt_pvalues_, rel=1e-3)
    assert ours["ci_low"].to_numpy()[order] == pytest.approx(ref_ci[:, 0], abs=2e-3)
    assert ours["ci_high"].to_numpy()[order] == pytest.approx(ref_ci[:, 1], abs=2e-3)
    full = np.column_stack([np.ones(n), X])
    beta = ours["estimate"].to_numpy()
    p = expit(full @ beta)
    info = full.T @ (full * (p * (1 - p))[:, None])
    assert ours["se"].to_numpy() == pytest.approx(np.sqrt(np.diag(np.linalg.inv(info))))


def test_separation_detection_agrees_with_firthmodels() -> None:
    from firthmodels import detect_separation

    from hierlab.stats import aggregate_binomial, separated_cells

    rng = np.random.default_rng(3)
    for case in range(6):
        g = rng.integers(0, 4, 80)
        y = (rng.random(80) < 0.5).astype(float)
        if case % 2:
            y[g == case % 4] = float(case % 3 == 0)  # one group all right or all wrong
        X = np.column_stack([g == k for k in range(1, 4)]).astype(float)
        design = np.column_stack([np.ones(80), X])
        rows, k, m = aggregate_binomial(design, y)
        ours = bool(separated_cells(rows, k, m).any())
        assert ours == bool(detect_separation(X, y).separation), case


def test_permutation_test_is_exact_under_the_null() -> None:
    """Item-level groups, shared item difficulty, several models: ~5% rejections."""
    from scipy.special import expit

    from hierlab.stats import item_permutation_test

    rng = np.random.default_rng(7)
    rejections = []
    for _ in range(60):
        n_items, n_models = 50, 3
        difficulty = rng.normal(0, 1.5, n_items)
        group = np.repeat(np.arange(3), [30, 15, 5])
        item = np.repeat(np.arange(n_items), n_models)
        model = np.tile(np.arange(n_models), n_items)
        y = (rng.random(len(item)) < expit(difficulty[item] + 0.4 * model)).astype(float)
        _, p, _, _ = item_permutation_test(y, item, model, group, 3, n_perm=199, seed=rng)
        rejections.append(p < 0.05)
    assert np.mean(rejections) <= 0.15  # 60 tests at 5%: 99.9% band


def test_check_results_names_every_problem() -> None:
    import polars as pl

    from hierlab.errors import DuplicateRowsError, MissingValueError
    from hierlab.stats import check_results

    t = pl.DataFrame({"model": ["a", "a", "b"], "item": ["x", "y", "x"], "correct": [1, 0, 1]})
    assert check_results(t)["correct"].dtype == pl.Float64
    with pytest.raises(DuplicateRowsError, match=r"\('a', 'x'\) \(2 rows\)"):
        check_results(pl.concat([t, t.head(1)]))
    with pytest.raises(MissingValueError, match=r"row 1 \(model 'a', item 'y'\)"):
        check_results(t.with_columns(correct=pl.Series([1.0, float("nan"), 0.0])))
    with pytest.raises(InvalidValueError, match=r"values 1.5"):
        check_results(t.with_columns(correct=pl.Series([1.0, 1.5, 0.0])))
