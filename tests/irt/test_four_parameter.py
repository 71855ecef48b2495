"""The four-parameter logistic model (4PL): an upper asymptote ``u <= 1``.

References: the simulation truth (``simulate_responses``), closed forms (with the upper
asymptote pinned at 1 by its prior the 4PL is the 3PL; EAP and ML abilities by
brute-force quadrature) and Oakes' identity for the standard errors. PyPI ``mirt``
1.2.0's 4PL is plain maximum likelihood, which on such data runs to degenerate items
(a = 5, u = 0.59 on the first item of a 2,000 x 20 simulation), so it is not a reference.
The recovery thresholds come from ``benchmarks/irt_4pl_prior.py`` (see the comments).
"""

from __future__ import annotations

import warnings

import numpy as np
import polars as pl
import pytest

from hierlab.errors import InputTypeError, InvalidValueError
from hierlab.irt import (
    Prior,
    audit_items,
    compare_fits,
    fit_irt,
    global_fit,
    item_fit,
    person_fit,
    response_probability,
    score,
    simulate_responses,
)

GRID = np.linspace(-3.0, 3.0, 121)
# benchmarks/irt_4pl_prior.py, 3,000 x 10 under the default prior, 6 seeds: RMSE of u
# 0.032-0.101 (mean 0.077), worst item-curve error 0.056-0.155 (mean 0.110); the
# thresholds leave room for the seed-to-seed spread
RMSE_U_3000x10 = 0.14
CURVE_WORST_3000x10 = 0.22


@pytest.fixture(scope="module")
def sim():
    return simulate_responses(3000, 10, irt_model="4pl", seed=22)


@pytest.fixture(scope="module")
def fit4(sim):
    return fit_irt(sim.responses, "4pl")


def test_4pl_recovers_its_parameters(sim, fit4):
    fit = fit4
    assert fit.converged
    assert fit.items.columns[:5] == ["item", "a", "b", "c", "u"]
    assert {"u_se", "c_se", "d", "d_se"} <= set(fit.items.columns)
    assert fit.n_parameters == 40
    m, sd = sim.theta.mean(), sim.theta.std()
    it = fit.items
    u_hat = it["u"].to_numpy()
    assert ((u_hat > it["c"].to_numpy()) & (u_hat < 1)).all()
    assert np.sqrt(np.mean((u_hat - sim.u) ** 2)) < RMSE_U_3000x10
    p_true = response_probability(GRID, sim.a * sd, (sim.b - m) / sd, sim.c, u=sim.u)
    p_hat = response_probability(GRID, it["a"], it["b"], it["c"], u=it["u"])
    assert np.abs(p_hat - p_true).max() < CURVE_WORST_3000x10
    # ten items with guessing and ceilings measure ability coarsely: compare the abilities
    # with those scored under the true items (the best these responses allow)
    true_items = sim.to_polars().with_columns(a=pl.col("a") * sd, b=(pl.col("b") - m) / sd)
    best = score(sim.responses, items=true_items)["theta"]
    r_fit = np.corrcoef(fit.abilities["theta"], sim.theta)[0, 1]
    assert r_fit > np.corrcoef(best, sim.theta)[0, 1] - 0.01


def test_an_upper_asymptote_pinned_at_one_is_the_3pl():
    data = simulate_responses(1000, 8, irt_model="3pl", seed=23)
    pinned = fit_irt(data.responses, "4pl", prior=Prior(upper_alpha=1e5, upper_beta=1.0001))
    three = fit_irt(data.responses, "3pl")
    assert (pinned.items["u"].to_numpy() > 0.999).all()
    for c in ("a", "b", "c"):
        assert np.allclose(pinned.items[c], three.items[c], atol=0.01), c
    assert abs(pinned.loglik - three.loglik) < 0.05
    tests = compare_fits(three, pinned).tests
    assert tests["general"].to_list() == ["4pl"] and tests["df"].to_list() == [8]
    assert float(tests["p_value"][0]) > 0.5


def test_4pl_louis_and_oakes_standard_errors_agree():
    data = simulate_responses(500, 6, irt_model="4pl", seed=24)
    louis = fit_irt(data.responses, "4pl")
    oakes = fit_irt(data.responses, "4pl", se_method="oakes")
    for c in ("a_se", "b_se", "c_se", "u_se", "d_se"):
        assert np.allclose(louis.items[c], oakes.items[c], rtol=1e-3), c
    iv = louis.item_intervals()
    u_rows = iv.filter(iv["parameter"] == "u")
    assert (u_rows["interval"] == "logit").all()
    assert ((u_rows["ci_low"] < u_rows["estimate"]) & (u_rows["ci_high"] < 1)).all()


def test_4pl_scoring_matches_brute_force_quadrature(sim, fit4):
    sub = sim.responses.to_polars().head(40)
    out = score(sub, fit4, estimators=("eap", "map", "ml", "wle"))
    it = fit4.items
    grid = np.linspace(-7, 7, 4001)
    p = response_probability(grid, it["a"], it["b"], it["c"], u=it["u"])  # (G, J)
    x = sim.responses.values[:40]
    ll = x @ np.log(p).T + (1 - x) @ np.log1p(-p).T  # (N, G)
    post = ll - 0.5 * grid**2
    w = np.exp(post - post.max(axis=1, keepdims=True))
    w /= w.sum(axis=1, keepdims=True)
    # the 4PL's posteriors have flat tails (lower and upper asymptotes): the scoring
    # quadrature is within 3e-3 of a 4,001-point grid, under 1% of the posterior SD
    assert np.abs(out["theta"].to_numpy() - w @ grid).max() < 3e-3
    ml = out["theta_ml"].to_numpy()
    finite = np.isfinite(ml) & (np.abs(ml) < 6)
    assert np.abs(ml[finite] - grid[ll.argmax(axis=1)][finite]).max() < 5e-3
    assert np.isfinite(out["theta_wle"].to_numpy()).all()
    # the same items as an external table score the same
    again = score(sub, items=it.select("item", "a", "b", "c", "u"))
    assert np.allclose(again["theta"], out["theta"], atol=1e-6)


def test_4pl_diagnostics_work_or_refuse_by_name():
    data = simulate_responses(300, 8, irt_model="4pl", seed=25)
    fit = fit_irt(data.responses, "4pl")
    assert item_fit(fit).to_polars().height == 8
    assert person_fit(fit).to_polars().height == 300
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert audit_items(fit).to_polars().height == 8
    with pytest.raises(InvalidValueError, match="'4pl'"):
        global_fit(fit)
    assert data.to_polars().columns == ["item", "a", "b", "c", "u"]
    assert fit.prior.describe("4pl").endswith(
        f"u ~ Beta({fit.prior.upper_alpha:g}, {fit.prior.upper_beta:g})"
    )


def test_4pl_bad_input_is_named():
    with pytest.raises(InvalidValueError, match="upper_alpha"):
        Prior(upper_alpha=0.0)
    with pytest.raises(InputTypeError, match="upper_beta"):
        Prior(upper_beta="1.5")
    items = pl.DataFrame(
        {"item": ["q1", "q2", "q3"], "a": [1.0] * 3, "b": [0.0] * 3, "c": [0.2] * 3}
    )
    responses = pl.DataFrame({"q1": [1.0, 0.0], "q2": [1.0, 1.0], "q3": [0.0, 1.0]})
    for u in ([0.9, 1.2, 0.9], [0.9, 0.1, 0.9]):
        with pytest.raises(InvalidValueError, match="'q2'"):
            score(responses, items=items.with_columns(u=pl.Series(u)))
