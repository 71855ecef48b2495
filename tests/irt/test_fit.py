"""Estimation: recovery with known truth, agreement with girth, identification, convergence."""

from __future__ import annotations

import warnings

import girth
import numpy as np
import pytest

import hierlab.irt.covariance as covariance_module
import hierlab.irt.engine as engine_module
from hierlab.errors import ConvergenceWarning, InputTypeError, InvalidValueError
from hierlab.irt import Prior, fit_irt, response_probability, simulate_responses
from hierlab.irt.data import ResponseMatrix


def rmse(x, y) -> float:
    return float(np.sqrt(np.mean((np.asarray(x) - np.asarray(y)) ** 2)))


def matrix(values: np.ndarray) -> ResponseMatrix:
    n, j = values.shape
    return ResponseMatrix(values, tuple(map(str, range(n))), tuple(f"i{k}" for k in range(j)))


def simulate(n, j, *, mean_b=0.0, sd_theta=1.0, rasch=False, seed=0):
    rng = np.random.default_rng(seed)
    theta = rng.normal(0.0, sd_theta, n)
    a = np.ones(j) if rasch else np.exp(rng.normal(0.0, 0.3, j))
    b = rng.normal(mean_b, 1.0, j)
    values = (rng.random((n, j)) < response_probability(theta, a, b)).astype(float)
    return matrix(values), theta, a, b


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
    assert np.isfinite(fit.items["b2_se"].to_numpy()).all()


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


def test_1pl_and_rasch_against_girth() -> None:
    """girth's 1PL; the Rasch model (a = 1, latent SD free) is the same fit rescaled."""
    sim = simulate_responses(1000, 5, irt_model="rasch", seed=3)
    data = sim.responses.values.T.astype(int)
    onepl = girth.onepl_mml(data)
    a = float(onepl["Discrimination"])
    ours = fit_irt(sim.responses, "1pl", prior=None)
    assert ours.items["a"][0] == pytest.approx(a, abs=0.005)
    assert np.allclose(ours.items["b"], onepl["Difficulty"], atol=0.01)
    rasch = fit_irt(sim.responses, "rasch", prior=None)
    assert "a" not in rasch.items.columns
    assert rasch.latent_sd == pytest.approx(a, abs=0.005)
    assert np.allclose(rasch.items["b"], a * np.asarray(onepl["Difficulty"]), atol=0.01)
    assert rasch.loglik == pytest.approx(ours.loglik, abs=1e-6)
    ratio = rasch.abilities["theta"].to_numpy() / ours.abilities["theta"].to_numpy()
    assert np.allclose(ratio, rasch.latent_sd, rtol=1e-6)


def test_rasch_estimates_the_latent_sd() -> None:
    values, theta, _, b = simulate(2000, 15, sd_theta=2.0, rasch=True, seed=8)
    fit = fit_irt(values, "rasch", prior=None)
    assert fit.latent_sd == pytest.approx(2.0, abs=0.12)
    assert rmse(fit.items["b"], b) < 0.15
    eap, se = fit.abilities["theta"].to_numpy(), fit.abilities["theta_se"].to_numpy()
    assert np.mean(eap**2 + se**2) == pytest.approx(fit.latent_sd**2, rel=0.02)
    assert np.corrcoef(eap, theta)[0, 1] > 0.9


def test_girth_backend() -> None:
    sim = simulate_responses(400, 8, irt_model="2pl", seed=8)
    fit = fit_irt(sim.responses, "2pl", backend="girth")
    direct = girth.twopl_mml(sim.responses.values.T.astype(int))
    assert fit.backend == "girth" and fit.se_method == "none"
    assert np.allclose(fit.items["a"], direct["Discrimination"])
    assert np.isfinite(fit.abilities["theta"].to_numpy()).all()
    with pytest.raises(InvalidValueError, match="girth"):
        fit_irt(sim.responses, "3pl", backend="girth")
    with pytest.raises(InvalidValueError, match="no standard errors"):
        fit.vcov()


@pytest.mark.parametrize(
    ("n", "j", "mean_b", "seed"),
    [(20, 3000, 1.0, 1), (23, 1000, 1.5, 2)],
)
def test_the_item_count_does_not_set_the_scale(n, j, mean_b, seed) -> None:
    """Few models, many hard items: abilities and difficulties recovered on the truth's scale.

    The latent scale is fixed by the calibration sample (its abilities have mean 0 and SD
    1), so the truth is simulated with exactly that: standardised abilities. (Against a
    population N(0, 1) the error adds the sample's own mean and SD, SD about 1/sqrt(n),
    which the standard errors carry: see test_covariance.)
    """
    rng = np.random.default_rng(seed)
    theta = rng.normal(size=n)
    theta = (theta - theta.mean()) / theta.std()
    a = np.exp(rng.normal(0.0, 0.3, j))
    b = rng.normal(mean_b, 1.0, j)
    values = matrix((rng.random((n, j)) < response_probability(theta, a, b)).astype(float))
    fit = fit_irt(values, "2pl")
    est_theta = fit.abilities["theta"].to_numpy()
    est_b = fit.items["b"].to_numpy()
    assert abs(est_theta.mean() - theta.mean()) < 0.25
    assert abs(est_b.mean() - b.mean()) < 0.25
    assert rmse(est_theta, theta) < 0.1
    # the calibration sample's posterior moments are 0 and 1
    se = fit.abilities["theta_se"].to_numpy()
    assert abs(est_theta.mean()) < 0.01 and abs(np.mean(est_theta**2 + se**2) - 1) < 0.02


def test_a_fixed_prior_centre_would_have_moved_the_scale() -> None:
    """The old failure: priors centred on fixed values outweigh N(0, 1) for few models."""
    values, _, _, _ = simulate(20, 3000, mean_b=1.0, seed=1)
    fit = fit_irt(values, "2pl")
    params = fit.covariance.params
    kernel = fit.covariance.kernel
    grad = kernel.log_prior(params)[1]
    along = engine_module.shift_along_scale(kernel, params, grad)
    # the per-item priors pull hard along the latent location (all intercepts towards 0)
    # and the fit removes exactly that pull
    pull = np.einsum("jp,jp->", along, kernel.directions(params)[..., 0])
    assert abs(pull) > 20  # dozens of models' worth of information
    projected = engine_module.prior_terms(kernel, params)[1]
    assert abs(np.einsum("jp,jpk->k", projected, kernel.directions(params))).max() < 1e-8


def test_standardisation_keeps_the_ml_fixed_point(monkeypatch) -> None:
    """The parameter-expanded step only speeds EM up: same ML estimates without it."""
    sim = simulate_responses(200, 30, irt_model="2pl", seed=5)
    fast = fit_irt(sim.responses, "2pl", prior=None, tol=1e-8, max_iter=5000)
    monkeypatch.setattr(engine_module, "standardise", lambda kernel, params, est: (params, 0, 0))
    plain = fit_irt(sim.responses, "2pl", prior=None, tol=1e-9, max_iter=5000)
    assert np.allclose(fast.items["a"], plain.items["a"], atol=1e-5)
    assert np.allclose(fast.items["b"], plain.items["b"], atol=1e-5)
    assert fast.iterations < plain.iterations


def test_long_tests_do_not_stretch_the_scale() -> None:
    """10,000 items: abilities keep unit scale (no stretching from coarse quadrature)."""
    sim = simulate_responses(150, 10_000, irt_model="2pl", seed=6)
    fit = fit_irt(sim.responses, "2pl")
    theta = fit.abilities["theta"].to_numpy()
    slope = np.polyfit(sim.theta, theta, 1)[0]
    assert abs(slope - 1 / sim.theta.std()) < 0.05  # the sample's own SD sets the unit
    assert np.corrcoef(theta, sim.theta)[0, 1] > 0.995
    assert np.all(fit.abilities["theta_se"].to_numpy() < 0.1)  # long test: narrow posteriors
    assert fit.quadrature == "grid" and fit.covariance.method == "linearised"


def test_adaptive_quadrature_matches_a_fine_grid() -> None:
    """Few models, many items: adaptive nodes and a fine shared grid agree."""
    sim = simulate_responses(30, 1500, irt_model="2pl", seed=12)
    adaptive = fit_irt(sim.responses, "2pl")
    grid = fit_irt(sim.responses, "2pl", quadrature="grid", n_quadrature=481)
    assert adaptive.quadrature == "adaptive" and grid.quadrature == "grid"
    assert adaptive.loglik == pytest.approx(grid.loglik, abs=0.5)
    assert np.allclose(adaptive.items["b"], grid.items["b"], atol=0.02)
    assert np.allclose(adaptive.abilities["theta"], grid.abilities["theta"], atol=0.01)


def test_priors_keep_constant_items_finite_and_flag_them() -> None:
    sim = simulate_responses(30, 12, irt_model="2pl", seed=7)
    values = sim.responses.values.copy()
    values[:, 0] = 1.0  # everyone right
    values[:, 1] = 0.0  # everyone wrong
    with pytest.warns(UserWarning, match="same response from every model"):
        fit = fit_irt(values, "2pl")
    assert np.isfinite(fit.items["b"].to_numpy()).all()
    assert np.isfinite(fit.items["b_se"].to_numpy()).all()
    assert fit.items["b"][0] < -2 and fit.items["b"][1] > 2
    assert fit.items["flag"].to_list()[:3] == ["all correct", "all wrong", None]
    assert Prior().a_scale == 0.75 and fit.prior == Prior()


def test_maximum_likelihood_sets_constant_items_aside() -> None:
    sim = simulate_responses(200, 12, irt_model="2pl", seed=7)
    values = sim.responses.values.copy()
    values[:, 3] = 1.0
    with pytest.warns(UserWarning) as record:
        fit = fit_irt(values, "2pl", prior=None)
    messages = " ".join(str(w.message) for w in record)
    assert "set aside" in messages and "'item_3'" in messages
    assert fit.converged
    row = fit.items.row(3, named=True)
    assert np.isnan(row["b"]) and row["flag"] == "all correct"
    assert np.isfinite(np.delete(fit.items["b"].to_numpy(), 3)).all()
    assert fit.n_parameters == 22
    assert fit.vcov().height == 22  # only the estimated items


def test_maximum_likelihood_divergence_stops_early_with_a_message() -> None:
    """An item that separates the models perfectly has no finite ML estimate."""
    values, theta, _, _ = simulate(40, 30, seed=3)
    order = np.argsort(theta)
    values.values[order[:20], 0] = 0.0
    values.values[order[20:], 0] = 1.0  # right exactly for the 20 best models
    with pytest.warns(ConvergenceWarning, match="'i0'") as record:
        fit = fit_irt(values, "2pl", prior=None, max_iter=500)
    assert "prior" in str(record[0].message)
    assert fit.iterations < 200 and not fit.converged
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        prior_fit = fit_irt(values, "2pl")
    assert prior_fit.converged and prior_fit.items["a"][0] < 20


def test_3pl_maximum_likelihood_with_guessing_at_zero_has_finite_ses() -> None:
    sim = simulate_responses(1000, 10, irt_model="3pl", seed=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        fit = fit_irt(sim.responses, "3pl", prior=None)
    assert fit.items["c"].min() < 1e-3  # some guessing parameters run to their bound
    for column in ("a_se", "b_se", "c_se", "d_se"):
        assert np.isfinite(fit.items[column].to_numpy()).all(), column


def test_normal_discrimination_prior_reveals_a_reversed_key() -> None:
    sim = simulate_responses(300, 15, irt_model="2pl", seed=4)
    values = sim.responses.values.copy()
    values[:, 5] = 1.0 - values[:, 5]  # answer key reversed
    normal = fit_irt(values, "2pl", prior=Prior(discrimination="normal"))
    assert normal.items["a"][5] < -0.3
    assert normal.items["a"][5] + 1.96 * normal.items["a_se"][5] < 0
    lognormal = fit_irt(values, "2pl")
    assert 0 < lognormal.items["a"][5] < 0.3
    assert normal.prior.describe("2pl").startswith("a ~ N(centre, 1^2)")


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
    assert "2PL" in text and "models" in text and "AIC" in text and "centre" in text
    assert fit.summary().tables["abilities (EAP)"].height == 500
    rasch = fit_irt(sim.responses, "rasch")
    assert "latent SD" in dict(rasch.summary().facts)


def test_bad_model_names() -> None:
    sim = simulate_responses(50, 5, seed=1)
    with pytest.raises(InvalidValueError, match="Unknown irt_model"):
        fit_irt(sim.responses, "5pl")
    with pytest.raises(InputTypeError, match="prior"):
        fit_irt(sim.responses, prior="weak")
    with pytest.raises(InvalidValueError, match="backend"):
        fit_irt(sim.responses, backend="stan")


def test_memory_stays_bounded_by_chunks(monkeypatch) -> None:
    """Tiny chunks give the same fit: the chunking over items is exact."""
    sim = simulate_responses(25, 400, irt_model="2pl", missing=0.2, seed=13)
    whole = fit_irt(sim.responses, "2pl")
    monkeypatch.setattr(engine_module, "CHUNK_CELLS", 500)
    monkeypatch.setattr(covariance_module, "LOWRANK_MAX", 100)  # the linearised path too
    monkeypatch.setattr(covariance_module, "DENSE_MAX", 0)
    chunked = fit_irt(sim.responses, "2pl")
    assert np.allclose(whole.items["b"], chunked.items["b"], atol=1e-6)
    assert chunked.covariance.method == "linearised"
    ratio = chunked.items["b_se"].to_numpy() / whole.items["b_se"].to_numpy()
    assert np.abs(ratio - 1).max() < 0.05  # narrow posteriors: linearised ~ exact
