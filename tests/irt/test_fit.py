"""Estimation: recovery with known truth, agreement with girth, SE coverage, convergence."""

from __future__ import annotations

import girth
import numpy as np
import pytest

import hierlab.irt.fit as fit_module
from hierlab.errors import InputTypeError, InvalidValueError
from hierlab.irt import Prior, fit_irt, response_probability, simulate_responses
from hierlab.irt.data import ResponseMatrix
from hierlab.irt.fit import _estep, _grid, _indicators
from hierlab.irt.kernels import make_kernel


def rmse(x, y) -> float:
    return float(np.sqrt(np.mean((np.asarray(x) - np.asarray(y)) ** 2)))


@pytest.mark.parametrize(
    ("irt_model", "b_corr", "a_rmse"),
    [("rasch", 0.99, None), ("1pl", 0.99, 0.1), ("2pl", 0.98, 0.15), ("3pl", 0.95, 0.3)],
)
def test_binary_recovery(irt_model: str, b_corr: float, a_rmse: float | None) -> None:
    sim = simulate_responses(1500, 25, irt_model=irt_model, seed=11)
    fit = fit_irt(sim.responses, irt_model)
    assert fit.converged
    assert np.corrcoef(fit.items["b"], sim.b)[0, 1] > b_corr
    if a_rmse is not None:
        assert rmse(fit.items["a"], sim.a) < a_rmse
    if irt_model == "3pl":
        assert rmse(fit.items["c"], sim.c) < 0.1
    assert np.corrcoef(fit.abilities["theta"], sim.theta)[0, 1] > 0.85


def test_recovery_with_30_percent_missing() -> None:
    sim = simulate_responses(1200, 40, irt_model="2pl", missing=0.3, seed=2)
    fit = fit_irt(sim.responses, "2pl")
    assert np.corrcoef(fit.items["b"], sim.b)[0, 1] > 0.97
    assert rmse(fit.items["a"], sim.a) < 0.2
    assert fit.items["n"].min() > 700  # missing cells are not counted as responses


def test_graded_recovery() -> None:
    sim = simulate_responses(1500, 20, irt_model="grm", n_categories=4, seed=4)
    fit = fit_irt(sim.responses, "grm")
    est = np.column_stack([fit.items[f"b{k}"] for k in (1, 2, 3)])
    assert fit.converged and rmse(est, sim.b) < 0.2 and rmse(fit.items["a"], sim.a) < 0.15
    assert np.all(np.diff(est, axis=1) > 0)  # thresholds stay ordered


def test_partial_credit_scores_become_categories() -> None:
    sim = simulate_responses(600, 10, irt_model="grm", n_categories=3, seed=5)
    halves = sim.responses.values / 2  # scores 0, 0.5, 1
    fit = fit_irt(halves, "grm")
    assert fit.categories == (0.0, 0.5, 1.0)
    assert np.corrcoef(fit.abilities["theta"], sim.theta)[0, 1] > 0.8


@pytest.mark.parametrize(("n", "j"), [(1000, 5), (300, 20)])
def test_2pl_agrees_with_girth(n: int, j: int) -> None:
    sim = simulate_responses(n, j, irt_model="2pl", seed=3)
    data = sim.responses.values.T.astype(int)
    theirs = girth.twopl_mml(data)
    ours = fit_irt(sim.responses, "2pl", prior=None)
    assert np.allclose(ours.items["a"], theirs["Discrimination"], atol=0.02)
    assert np.allclose(ours.items["b"], theirs["Difficulty"], atol=0.03)
    eap = girth.ability_eap(data, theirs["Difficulty"], theirs["Discrimination"])
    assert np.allclose(ours.abilities["theta"], eap, atol=0.02)


@pytest.mark.parametrize(("n", "j"), [(1000, 5), (300, 20)])
def test_1pl_and_rasch_against_girth(n: int, j: int) -> None:
    sim = simulate_responses(n, j, irt_model="rasch", seed=3)
    data = sim.responses.values.T.astype(int)
    onepl = girth.onepl_mml(data)
    ours = fit_irt(sim.responses, "1pl", prior=None)
    assert ours.items["a"][0] == pytest.approx(float(onepl["Discrimination"]), abs=0.005)
    assert np.allclose(ours.items["b"], onepl["Difficulty"], atol=0.01)
    # Rasch: girth's rasch_mml stops short of the MML optimum; ours has the higher likelihood
    rasch = girth.rasch_mml(data)
    mine = fit_irt(sim.responses, "rasch", prior=None)
    assert np.allclose(mine.items["b"], rasch["Difficulty"], atol=0.1)
    kernel = make_kernel("rasch", 2, None)
    z, logw = _grid(201)
    ind = _indicators(sim.responses)
    ll_girth = _estep(ind, kernel.logprob(-np.asarray(rasch["Difficulty"])[:, None], z), logw)[2]
    ll_ours = _estep(ind, kernel.logprob(-mine.items["b"].to_numpy()[:, None], z), logw)[2]
    assert ll_ours >= ll_girth - 1e-6


def test_girth_backend() -> None:
    sim = simulate_responses(400, 8, irt_model="2pl", seed=8)
    fit = fit_irt(sim.responses, "2pl", backend="girth")
    direct = girth.twopl_mml(sim.responses.values.T.astype(int))
    assert fit.backend == "girth"
    assert np.allclose(fit.items["a"], direct["Discrimination"])
    assert np.isfinite(fit.abilities["theta"].to_numpy()).all()
    with pytest.raises(InvalidValueError, match="girth"):
        fit_irt(sim.responses, "3pl", backend="girth")


def test_standard_error_coverage() -> None:
    """Items fixed, 60 replications of 500 models: 95% intervals cover ~95%."""
    rng = np.random.default_rng(123)
    base = simulate_responses(10, 10, irt_model="2pl", seed=1)
    hits = {"a": [], "b": []}
    for _ in range(60):
        theta = rng.normal(size=500)
        values = (rng.random((500, 10)) < response_probability(theta, base.a, base.b)).astype(float)
        m = ResponseMatrix(values, tuple(map(str, range(500))), tuple(f"i{j}" for j in range(10)))
        fit = fit_irt(m, "2pl", prior=None)
        for p, truth in (("a", base.a), ("b", base.b)):
            hits[p].append(
                np.abs(fit.items[p].to_numpy() - truth) <= 1.96 * fit.items[f"{p}_se"].to_numpy()
            )
    for p, h in hits.items():
        assert 0.91 <= np.mean(h) <= 0.98, (p, np.mean(h))


def test_px_step_keeps_the_fixed_point(monkeypatch) -> None:
    """The parameter-expanded ridge step only speeds EM up: same estimates without it."""
    sim = simulate_responses(200, 30, irt_model="2pl", seed=5)
    fast = fit_irt(sim.responses, "2pl", tol=1e-8, max_iter=5000)
    monkeypatch.setattr(fit_module, "_ridge_step", lambda kernel, params, w, z: params)
    plain = fit_irt(sim.responses, "2pl", tol=1e-9, max_iter=5000)
    assert np.allclose(fast.items["a"], plain.items["a"], atol=1e-6)
    assert np.allclose(fast.items["b"], plain.items["b"], atol=1e-6)
    assert fast.iterations < plain.iterations


def test_long_tests_do_not_stretch_the_scale() -> None:
    """10,000 items: abilities keep unit scale (no stretching from coarse quadrature)."""
    sim = simulate_responses(150, 10_000, irt_model="2pl", seed=6)
    fit = fit_irt(sim.responses, "2pl")
    theta = fit.abilities["theta"].to_numpy()
    slope = np.polyfit(sim.theta, theta, 1)[0]
    assert 0.9 < slope < 1.1
    assert np.corrcoef(theta, sim.theta)[0, 1] > 0.995
    assert np.all(fit.abilities["theta_se"].to_numpy() < 0.1)  # long test: narrow posteriors
    assert (fit.quadrature, fit.n_quadrature) == ("grid", 241)  # fine grid for few models


def test_adaptive_quadrature_matches_a_fine_grid() -> None:
    """Few models, many items: adaptive nodes and a fine shared grid agree."""
    sim = simulate_responses(30, 1500, irt_model="2pl", seed=12)
    adaptive = fit_irt(sim.responses, "2pl")
    grid = fit_irt(sim.responses, "2pl", quadrature="grid", n_quadrature=481)
    assert adaptive.quadrature == "adaptive" and grid.quadrature == "grid"
    assert adaptive.loglik == pytest.approx(grid.loglik, abs=0.5)
    assert np.allclose(adaptive.items["b"], grid.items["b"], atol=0.02)
    assert np.allclose(adaptive.abilities["theta"], grid.abilities["theta"], atol=0.01)


def test_priors_keep_constant_items_finite() -> None:
    sim = simulate_responses(30, 12, irt_model="2pl", seed=7)
    values = sim.responses.values.copy()
    values[:, 0] = 1.0  # everyone right
    values[:, 1] = 0.0  # everyone wrong
    with pytest.warns(UserWarning, match="same response from every model"):
        fit = fit_irt(values, "2pl")
    assert (
        np.isfinite(fit.items["b"].to_numpy()).all()
        and np.isfinite(fit.items["b_se"].to_numpy()).all()
    )
    assert fit.items["b"][0] < -2 and fit.items["b"][1] > 2
    assert Prior().log_a_sd == 0.75 and fit.prior == Prior()


def test_nonconvergence_warns() -> None:
    sim = simulate_responses(300, 10, irt_model="2pl", seed=9)
    with pytest.warns(UserWarning, match="did not converge"):
        fit = fit_irt(sim.responses, "2pl", max_iter=2)
    assert not fit.converged and fit.iterations == 2


def test_information_criteria_and_summary() -> None:
    sim = simulate_responses(500, 15, irt_model="2pl", seed=10)
    fit = fit_irt(sim.responses, "2pl")
    assert fit.n_parameters == 30
    assert fit.aic == pytest.approx(-2 * fit.loglik + 60)
    assert fit.bic == pytest.approx(-2 * fit.loglik + np.log(500) * 30)
    text = str(fit.summary())
    assert "2PL" in text and "models" in text and "AIC" in text
    assert fit.summary().tables["abilities (EAP)"].height == 500


def test_bad_model_names() -> None:
    sim = simulate_responses(50, 5, seed=1)
    with pytest.raises(InvalidValueError, match="Unknown irt_model"):
        fit_irt(sim.responses, "4pl")
    with pytest.raises(InputTypeError, match="prior"):
        fit_irt(sim.responses, prior="weak")
    with pytest.raises(InvalidValueError, match="backend"):
        fit_irt(sim.responses, backend="stan")
