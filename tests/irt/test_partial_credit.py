"""The generalized partial credit model (GPCM) and the partial credit model (PCM).

References: PyPI ``mirt`` 1.2.0 (its GPCM, with Oakes standard errors, on the same data;
its GPCM with every discrimination fixed at hierlab's common PCM value), closed forms (a
two-category GPCM is the 2PL, a two-category PCM the 1PL; EAP and MAP by brute-force
quadrature) and seeded parameter recovery from ``simulate_responses``.
"""

from __future__ import annotations

import numpy as np
import pytest

from hierlab.errors import InvalidValueError
from hierlab.irt import covariance as covariance_module
from hierlab.irt import (
    fit_irt,
    global_fit,
    gpcm_category_probabilities,
    gpcm_information,
    item_fit,
    person_fit,
    score,
    simulate_responses,
)
from hierlab.irt._checks import n_item_parameters


def _steps(fit):
    return fit.items.select([c for c in fit.items.columns if c[:1] == "s" and c[1:].isdigit()])


@pytest.fixture(scope="module")
def gpcm_data():
    return simulate_responses(2000, 20, irt_model="gpcm", n_categories=4, seed=11)


@pytest.fixture(scope="module")
def pcm_data():
    return simulate_responses(2000, 20, irt_model="pcm", n_categories=4, seed=12)


def _on_sample_scale(sim, a, s):
    """The truth re-expressed on the calibration sample's scale (its abilities' mean and SD)."""
    m, sd = sim.theta.mean(), sim.theta.std()
    return a * sd, (s - m) / sd


def test_gpcm_recovers_its_parameters(gpcm_data):
    fit = fit_irt(gpcm_data.responses, "gpcm")
    assert fit.converged
    a, s = _on_sample_scale(gpcm_data, gpcm_data.a, gpcm_data.b)
    err_a = fit.items["a"].to_numpy() - a
    err_s = _steps(fit).to_numpy() - s
    # 2,000 models x 20 items, 4 categories (seed 11): measured RMSE a 0.051, steps 0.065
    assert np.sqrt(np.mean(err_a**2)) < 0.08
    assert np.sqrt(np.mean(err_s**2)) < 0.10
    # the errors are of the size the standard errors say (|z| mostly below 3)
    se = fit.items.select("s1_se", "s2_se", "s3_se").to_numpy()
    z = err_s / se
    assert np.mean(np.abs(z) < 1.96) > 0.85
    theta = fit.abilities["theta"].to_numpy()
    assert np.corrcoef(theta, gpcm_data.theta)[0, 1] > 0.95
    assert fit.items.columns[:5] == ["item", "a", "s1", "s2", "s3"]
    assert {"a_se", "s1_se", "d1", "d1_se", "d3_se", "flag"} <= set(fit.items.columns)


def test_pcm_recovers_its_parameters_and_shares_one_discrimination(pcm_data):
    fit = fit_irt(pcm_data.responses, "pcm")
    assert fit.converged
    a = fit.items["a"].to_numpy()
    assert np.ptp(a) == 0 and np.ptp(fit.items["a_se"].to_numpy()) == 0
    a_true, s_true = _on_sample_scale(pcm_data, pcm_data.a, pcm_data.b)
    assert abs(a[0] - a_true[0]) < 3 * fit.items["a_se"][0] + 0.02
    err_s = _steps(fit).to_numpy() - s_true
    assert np.sqrt(np.mean(err_s**2)) < 0.10
    assert fit.n_parameters == 20 * 3 + 1
    assert n_item_parameters(fit) == 3


def test_gpcm_matches_pypi_mirt_estimates_and_standard_errors():
    mirt = pytest.importorskip("mirt", reason="PyPI mirt is a dev dependency")
    sim = simulate_responses(1000, 8, irt_model="gpcm", n_categories=3, seed=3)
    values = sim.responses.values
    ref = mirt.fit_mirt(values.astype(int), model="GPCM", n_quadpts=61, se_method="oakes", tol=1e-6)
    ours = fit_irt(values, "gpcm", prior=None, tol=1e-6)
    ref_a = np.asarray(ref.model.discrimination).ravel()
    ref_s = np.asarray(ref.model._parameters["steps"])
    assert np.abs(ours.items["a"].to_numpy() - ref_a).max() < 1e-3
    assert np.abs(_steps(ours).to_numpy() - ref_s).max() < 1e-3
    assert abs(ours.loglik - ref.log_likelihood) < 1e-3
    a_ratio = ours.items["a_se"].to_numpy() / np.asarray(ref.standard_errors["discrimination"])
    s_ratio = ours.items.select("s1_se", "s2_se").to_numpy() / np.asarray(
        ref.standard_errors["steps"]
    )
    # measured: both within 1e-4 of 1
    assert np.abs(a_ratio - 1).max() < 1e-3, a_ratio
    assert np.abs(s_ratio - 1).max() < 1e-3, s_ratio


def test_pcm_matches_mirt_with_the_common_discrimination_fixed():
    """mirt 1.2.0's PCM fixes a = 1 and the latent SD at 1; fixing its GPCM's a at
    hierlab's common estimate must reproduce hierlab's steps and log-likelihood."""
    mirt = pytest.importorskip("mirt", reason="PyPI mirt is a dev dependency")
    sim = simulate_responses(1000, 8, irt_model="pcm", n_categories=3, seed=4)
    values = sim.responses.values
    ours = fit_irt(values, "pcm", prior=None, tol=1e-6)
    common = float(ours.items["a"][0])
    ref = mirt.fit_mirt(
        values.astype(int),
        model="GPCM",
        n_quadpts=61,
        tol=1e-7,
        fixed={"discrimination": np.full(8, True)},
        start_values={"discrimination": np.full(8, common)},
        compute_standard_errors=False,
    )
    assert np.abs(_steps(ours).to_numpy() - np.asarray(ref.model._parameters["steps"])).max() < 1e-3
    assert abs(ours.loglik - ref.log_likelihood) < 1e-3
    # mirt's own PCM (a = 1) cannot be more likely than the PCM with a free common a
    fixed = mirt.fit_mirt(values.astype(int), model="PCM", n_quadpts=61, tol=1e-6)
    assert ours.loglik >= fixed.log_likelihood - 1e-3


def test_two_categories_reduce_to_the_2pl_and_1pl():
    sim = simulate_responses(800, 6, irt_model="2pl", seed=5)
    for partial, binary in (("gpcm", "2pl"), ("pcm", "1pl")):
        ours = fit_irt(sim.responses, partial, prior=None, tol=1e-6)
        ref = fit_irt(sim.responses, binary, prior=None, tol=1e-6)
        assert np.allclose(ours.items["a"], ref.items["a"], atol=1e-3)
        assert np.allclose(ours.items["s1"], ref.items["b"], atol=1e-3)
        assert np.allclose(ours.items["s1_se"], ref.items["b_se"], rtol=1e-3)
        assert np.allclose(ours.items["a_se"], ref.items["a_se"], rtol=1e-3)
        assert abs(ours.loglik - ref.loglik) < 1e-3
        assert n_item_parameters(ours) == n_item_parameters(ref)


def test_gpcm_is_at_least_as_likely_as_pcm():
    sim = simulate_responses(1000, 10, irt_model="gpcm", n_categories=3, seed=10)
    g = fit_irt(sim.responses, "gpcm", prior=None)
    p = fit_irt(sim.responses, "pcm", prior=None)
    assert g.loglik >= p.loglik
    # discriminations differ in truth (lognormal SD 0.3): the LR test sees it
    assert 2 * (g.loglik - p.loglik) > 27.9  # chi-square with 9 df: 99.9% point
    # and on PCM data the LR statistic is of chi-square size
    sim = simulate_responses(1000, 10, irt_model="pcm", n_categories=3, seed=10)
    g = fit_irt(sim.responses, "gpcm", prior=None)
    p = fit_irt(sim.responses, "pcm", prior=None)
    assert 0 <= 2 * (g.loglik - p.loglik) < 27.9


@pytest.mark.parametrize("irt_model", ["gpcm", "pcm"])
def test_louis_oakes_and_woodbury_standard_errors_agree(irt_model, monkeypatch):
    sim = simulate_responses(400, 6, irt_model=irt_model, n_categories=4, seed=6)
    louis = fit_irt(sim.responses, irt_model)
    oakes = fit_irt(sim.responses, irt_model, se_method="oakes")
    cols = ["a_se", "s1_se", "s2_se", "s3_se", "d2_se"]
    for c in cols:
        assert np.allclose(louis.items[c], oakes.items[c], rtol=1e-4), c
    # few models: the exact low-rank (Woodbury) inverse, against the dense one
    few = simulate_responses(60, 6, irt_model=irt_model, n_categories=4, seed=6)
    dense = fit_irt(few.responses, irt_model, quadrature="adaptive")
    monkeypatch.setattr(covariance_module, "DENSE_MAX", 5)
    low_rank = fit_irt(few.responses, irt_model, quadrature="adaptive")
    assert (dense.covariance.method, low_rank.covariance.method) == ("dense", "woodbury")
    for c in cols:
        assert np.allclose(low_rank.items[c], dense.items[c], rtol=1e-6), c
    vcov = louis.vcov(["item_0", "item_1"])
    assert vcov.columns[1:5] == ["item_0:a", "item_0:s1", "item_0:s2", "item_0:s3"]
    var = vcov.filter(vcov["parameter"] == "item_0:s2")["item_0:s2"][0]
    assert np.isclose(np.sqrt(var), louis.items["s2_se"][0], rtol=1e-8)


def test_scoring_matches_brute_force_quadrature():
    sim = simulate_responses(300, 12, irt_model="gpcm", n_categories=3, seed=7)
    fit = fit_irt(sim.responses, "gpcm")
    out = score(sim.responses, fit, estimators=("eap", "map", "ml", "wle"))
    a = fit.items["a"].to_numpy()
    s = _steps(fit).to_numpy()
    grid = np.linspace(-7, 7, 4001)
    logp = np.log(gpcm_category_probabilities(grid, a, s))  # (G, J, K)
    x = sim.responses.values.astype(int)
    ll = logp[:, np.arange(12)[None, :], x].sum(axis=2).T  # (N, G)
    post = ll - 0.5 * grid**2
    w = np.exp(post - post.max(axis=1, keepdims=True))
    w /= w.sum(axis=1, keepdims=True)
    eap = w @ grid
    assert np.abs(out["theta"].to_numpy() - eap).max() < 1e-3
    assert np.abs(out["theta_map"].to_numpy() - grid[post.argmax(axis=1)]).max() < 5e-3
    finite = np.isfinite(out["theta_ml"].to_numpy())
    ml = grid[ll.argmax(axis=1)]
    assert np.abs(out["theta_ml"].to_numpy()[finite] - ml[finite]).max() < 5e-3
    assert np.isfinite(out["theta_wle"].to_numpy()).all()
    # ML SE is 1 / sqrt(test information) at the estimate
    th = out["theta_ml"].to_numpy()[finite][:5]
    info = gpcm_information(th, a, s).sum(axis=1)
    assert np.allclose(out["theta_ml_se"].to_numpy()[finite][:5], 1 / np.sqrt(info), rtol=1e-6)
    # a published bank scores the same way as the fit
    bank = score(sim.responses, items=fit.items)
    assert np.allclose(bank["theta"], out["theta"])


def test_diagnostics_work_or_refuse_by_name():
    sim = simulate_responses(300, 8, irt_model="gpcm", n_categories=3, seed=8)
    fit = fit_irt(sim.responses, "gpcm")
    assert item_fit(fit).to_polars().height == 8
    with pytest.raises(InvalidValueError, match="M2 for binary"):
        global_fit(fit)
    with pytest.raises(InvalidValueError, match="binary items"):
        person_fit(fit)
    assert n_item_parameters(fit) == 3


def test_simulated_partial_credit_tables_score():
    sim = simulate_responses(50, 4, irt_model="pcm", n_categories=3, seed=9)
    table = sim.to_polars()
    assert table.columns == ["item", "a", "s1", "s2"]
    assert np.ptp(sim.a) == 0
    out = score(sim.responses, items=table)
    assert out.height == 50
