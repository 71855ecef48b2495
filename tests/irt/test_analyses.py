"""DIF basics, explanatory IRT and informative subsets."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
import statsmodels.api as sm

from hierlab.datasets import load_demo
from hierlab.errors import InvalidValueError
from hierlab.irt import (
    dif,
    evaluate_subsets,
    explain_difficulty,
    fit_irt,
    response_probability,
    select_items,
    simulate_responses,
)


def _dif_data(seed: int = 3):
    rng = np.random.default_rng(seed)
    n, j = 1200, 12
    theta = rng.normal(size=n)
    a, b = np.exp(rng.normal(0, 0.2, j)), rng.normal(size=j)
    focal = np.arange(n) >= n // 2
    shift = np.zeros((n, j))
    shift[focal, 0] = 1.0  # item 0 harder for the focal group (uniform DIF)
    p = response_probability(theta, a, b)
    p = 1 / (1 + np.exp(-(np.log(p / (1 - p)) - a * shift)))
    values = (rng.random((n, j)) < p).astype(float)
    groups = {str(i): ("focal" if focal[i] else "ref") for i in range(n)}
    return values, groups, theta, focal


def test_dif_finds_the_planted_item() -> None:
    values, groups, _, _ = _dif_data()
    out = dif(values, groups, reference="ref").table
    assert out["item"][0] == "item_0" and out["flagged"][0]
    assert out.filter(pl.col("item") == "item_0")["mh_odds_ratio"][0] > 1.5  # favours reference
    assert out["flagged"].sum() <= 2


def test_dif_needs_two_groups() -> None:
    values, groups, _, _ = _dif_data()
    with pytest.raises(InvalidValueError, match="exactly two groups"):
        dif(values, {k: "one" for k in groups})
    with pytest.raises(InvalidValueError, match="No group given"):
        dif(values, {"0": "a", "1": "b"})


def test_explanatory_irt_recovers_demo_effects_and_matches_statsmodels() -> None:
    demo = load_demo(n_items=600, n_models=12, seed=0)
    fit = explain_difficulty(demo.results, ["region", "target_depth"])
    coef = dict(fit.coefficients.select("term", "estimate").iter_rows())
    # planted region effects (vs Africa, the reference): Europe easiest, then Americas, Asia
    assert coef["C(region)[T.Europe]"] > coef["C(region)[T.Americas]"] > 0
    assert coef["C(region)[T.Asia]"] > 0
    assert coef["target_depth"] < -0.5  # deeper targets are harder (depth decay)
    # the same model fitted directly with statsmodels gives the same numbers
    import statsmodels.formula.api as smf

    data = demo.results.to_pandas()
    direct = smf.glm(
        "correct ~ C(model) + C(region) + target_depth", data=data, family=sm.families.Binomial()
    ).fit(cov_type="cluster", cov_kwds={"groups": data["item"].astype("category").cat.codes})
    assert coef["target_depth"] == pytest.approx(direct.params["target_depth"], rel=1e-6)
    se = dict(fit.coefficients.select("term", "se").iter_rows())
    assert se["target_depth"] == pytest.approx(direct.bse["target_depth"], rel=1e-6)
    assert fit.abilities.height == 12


def test_subsets_predict_full_accuracy_better_than_naive() -> None:
    sim = simulate_responses(200, 400, irt_model="2pl", seed=4)
    fit = fit_irt(sim.responses)
    info_items = select_items(fit, 30, "information")
    assert len(set(info_items)) == 30
    table = evaluate_subsets(sim.responses, k=30, n_splits=2, seed=1)
    row = dict(zip(table["method"], table.iter_rows(named=True), strict=True))
    assert row["information"]["mae_theta"] < row["random"]["mae_theta"]
    assert all(r["mae_accuracy"] < 0.08 for r in row.values())
    assert row["stratified"]["mae_accuracy"] <= row["stratified"]["mae_accuracy_naive"] + 0.01
    with pytest.raises(InvalidValueError, match="k must be"):
        select_items(fit, 0)
