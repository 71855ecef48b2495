"""Full-information standard errors, vcov, ability intervals and plausible values.

Coverage is checked by seeded simulation with a known truth. Each coverage test states its
Monte Carlo error: replications are independent, but intervals within one replication
share the common location and scale, so the error is the spread of the per-replication
shares over sqrt(replications). The full-size runs (100 replications of 30 x 2,000 and
1,000 x 30) are ``benchmarks/irt_coverage.py``.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

import hierlab.irt.covariance as covariance_module
from hierlab.errors import HierlabWarning
from hierlab.irt import Prior, fit_irt, response_probability, simulate_responses
from hierlab.irt.data import ResponseMatrix


def matrix(values: np.ndarray) -> ResponseMatrix:
    n, j = values.shape
    return ResponseMatrix(values, tuple(map(str, range(n))), tuple(f"i{k}" for k in range(j)))


def simulate(n: int, j: int, seed: int):
    rng = np.random.default_rng(seed)
    theta = rng.normal(size=n)
    a = np.exp(rng.normal(0.0, 0.3, j))
    b = rng.normal(0.0, 1.0, j)
    values = (rng.random((n, j)) < response_probability(theta, a, b)).astype(float)
    return matrix(values), theta, a, b


def covered(fit, name: str, truth: np.ndarray) -> float:
    ci = fit.item_intervals()
    part = ci.filter(ci["parameter"] == name)
    lo, hi = part["ci_low"].to_numpy(), part["ci_high"].to_numpy()
    return float(np.mean((lo <= truth) & (truth <= hi)))


@pytest.mark.parametrize(
    ("irt_model", "prior"),
    [("2pl", None), ("2pl", "default"), ("1pl", "default"), ("rasch", None), ("grm", "default")],
)
def test_louis_equals_oakes(irt_model: str, prior) -> None:
    """Two independent routes to the observed information agree."""
    kind = "grm" if irt_model == "grm" else "2pl"
    sim = simulate_responses(400, 6, irt_model=kind, n_categories=3, seed=4)
    louis = fit_irt(sim.responses, irt_model, prior=prior)
    oakes = fit_irt(sim.responses, irt_model, prior=prior, se_method="oakes")
    for column in [c for c in louis.items.columns if c.endswith("_se")]:
        assert np.allclose(louis.items[column], oakes.items[column], rtol=2e-3), column


@pytest.mark.parametrize("irt_model", ["2pl", "1pl", "rasch", "3pl"])
def test_woodbury_equals_the_dense_inverse(monkeypatch, irt_model: str) -> None:
    """Few models, many items: the low-rank inverse is exact."""
    rng = np.random.default_rng(1)
    kind = "3pl" if irt_model == "3pl" else "2pl"
    sim = simulate_responses(25, 600, irt_model=kind, missing=0.15, seed=2)
    fast = fit_irt(sim.responses, irt_model)
    monkeypatch.setattr(covariance_module, "LOWRANK_MAX", 0)
    dense = fit_irt(sim.responses, irt_model)
    assert (fast.covariance.method, dense.covariance.method) == ("woodbury", "dense")
    for column in [c for c in fast.items.columns if c.endswith("_se")]:
        assert np.allclose(fast.items[column], dense.items[column], rtol=1e-6), column
    pick = list(rng.choice(fast.items["item"].to_list(), 3, replace=False))
    assert np.allclose(
        fast.vcov(pick).drop("parameter").to_numpy(),
        dense.vcov(pick).drop("parameter").to_numpy(),
        atol=1e-10,
    )


def test_vcov_is_a_covariance_matrix_that_matches_the_ses() -> None:
    values, *_ = simulate(40, 200, seed=3)
    fit = fit_irt(values, "2pl")
    items = ["i0", "i1", "i2"]
    table = fit.vcov(items)
    cov = table.drop("parameter").to_numpy()
    assert table["parameter"].to_list()[:2] == ["i0:a", "i0:b"]
    assert np.allclose(cov, cov.T) and np.linalg.eigvalsh(cov).min() > 0
    se = fit.items.filter(fit.items["item"].is_in(items))
    assert np.allclose(np.sqrt(np.diag(cov))[1::2], se["b_se"].to_numpy())
    # 40 models: the common location makes every pair of difficulties correlated
    corr = cov[1, 3] / np.sqrt(cov[1, 1] * cov[3, 3])
    assert corr > 0.1
    intercepts = fit.vcov(items, scale="intercept")
    assert intercepts["parameter"].to_list()[1] == "i0:d"
    assert np.allclose(np.sqrt(intercepts["i0:d"][1]), se["d_se"][0])


def test_cross_product_and_sandwich_agree_with_louis_on_a_correct_model() -> None:
    sim = simulate_responses(3000, 5, irt_model="2pl", seed=6)
    ses = {
        method: fit_irt(sim.responses, "2pl", prior=None, se_method=method).items["b_se"]
        for method in ("louis", "crossprod", "sandwich")
    }
    for method in ("crossprod", "sandwich"):
        ratio = ses[method].to_numpy() / ses["louis"].to_numpy()
        assert np.abs(ratio - 1).max() < 0.1, method


def test_item_interval_coverage_many_models() -> None:
    """1,000 models x 30 items, 25 replications: a and b intervals cover ~95%.

    Per-replication shares have SD about 0.04, so the Monte Carlo SE is about 0.008; the
    band 0.92-0.975 is -3.5 to +3 SE around 0.95 (benchmarks: 0.948 and 0.952 over 100).
    """
    shares = {"a": [], "b": []}
    for seed in range(25):
        values, _, a, b = simulate(1000, 30, seed=100 + seed)
        fit = fit_irt(values, "2pl")
        shares["a"].append(covered(fit, "a", a))
        shares["b"].append(covered(fit, "b", b))
    for name, vals in shares.items():
        assert 0.92 <= np.mean(vals) <= 0.975, (name, np.mean(vals))


def test_item_interval_coverage_few_models() -> None:
    """30 models x 2,000 items, 8 replications: a and b intervals cover ~95%.

    16,000 intervals per parameter; per-replication shares have SD about 0.02-0.03, so
    the Monte Carlo SE is about 0.01 (benchmarks, 100 replications: see README). Per-item
    Louis blocks (no cross-item covariance) covered the difficulties far less. Fieller's
    difficulty intervals are unbounded for the few items whose discrimination could be 0
    (about 8% here), so they cover somewhat more than 95%.
    """
    shares = {"a": [], "b": []}
    for seed in range(8):
        values, _, a, b = simulate(30, 2000, seed=200 + seed)
        fit = fit_irt(values, "2pl")
        shares["a"].append(covered(fit, "a", a))
        shares["b"].append(covered(fit, "b", b))
    assert 0.92 <= np.mean(shares["a"]) <= 0.98, np.mean(shares["a"])
    assert 0.93 <= np.mean(shares["b"]) <= 0.995, np.mean(shares["b"])


def test_ability_intervals_never_collapse_when_the_item_covariance_is_not_positive_definite() -> (
    None
):
    """20 models x 3,000 items, seed 3: the item covariance's quadratic form is negative
    for every ability (it was clamped to 0, leaving the posterior SD of about 0.03); the
    intervals now carry the sample's location and scale error, with a warning."""
    values, theta, _, _ = simulate(20, 3000, seed=3)
    fit = fit_irt(values, "2pl")
    with pytest.warns(HierlabWarning, match="not positive definite"):
        ci = fit.ability_intervals()
    floor = np.sqrt((1 + (ci["theta"].to_numpy() / fit.latent_sd) ** 2 / 2) / 20) * fit.latent_sd
    assert np.all(ci["item_se"].to_numpy() >= floor - 1e-12)
    inside = (ci["theta_ci_low"].to_numpy() <= theta) & (theta <= ci["theta_ci_high"].to_numpy())
    assert inside.mean() >= 0.9  # was 0.10 with the clamped variance
    # plausible values carry the same error: their spread matches the intervals' SEs
    with pytest.warns(HierlabWarning, match="not positive definite"):
        pv = fit.plausible_values(400, seed=0)
    spread = (
        pv.group_by("model")
        .agg(pl.col("theta").std())
        .join(ci.select("model", "theta_se"), on="model")
    )
    ratio = (spread["theta"] / spread["theta_se"]).to_numpy()
    assert np.all((ratio > 0.8) & (ratio < 1.25)), ratio


def test_ability_interval_coverage_with_item_uncertainty() -> None:
    """30 models, 40 replications: intervals with item uncertainty cover the truth.

    The truth is on the population scale (abilities N(0, 1)); the fit's scale is the
    sample's, so the intervals must carry the error of the sample's mean and SD. Shares
    within a replication move together (SD about 0.15 per replication), so with 40
    replications the Monte Carlo SE is about 0.024: the band 0.90-0.99 is the target
    widened by that error (30 x 2,000, 100 replications: see README). Without item
    uncertainty coverage collapses.
    """
    with_items, without = [], []
    for seed in range(40):
        values, theta, _, _ = simulate(30, 250, seed=300 + seed)
        fit = fit_irt(values, "2pl")
        ci = fit.ability_intervals()
        with_items.append(
            np.mean(
                (ci["theta_ci_low"].to_numpy() <= theta) & (theta <= ci["theta_ci_high"].to_numpy())
            )
        )
        bare = fit.ability_intervals(item_uncertainty=False)
        without.append(
            np.mean(
                (bare["theta_ci_low"].to_numpy() <= theta)
                & (theta <= bare["theta_ci_high"].to_numpy())
            )
        )
    assert 0.90 <= np.mean(with_items) <= 0.99, np.mean(with_items)
    assert np.mean(without) < 0.8


def test_plausible_values_match_the_posterior_and_the_intervals() -> None:
    values, *_ = simulate(30, 150, seed=9)
    fit = fit_irt(values, "2pl")
    bare = fit.plausible_values(400, item_uncertainty=False, seed=1)
    stats = bare.group_by("model", maintain_order=True).agg(
        mean=pl.col("theta").mean(), sd=pl.col("theta").std()
    )
    assert np.allclose(stats["mean"], fit.abilities["theta"], atol=0.05)
    assert np.allclose(stats["sd"], fit.abilities["theta_se"], rtol=0.15)
    full = fit.plausible_values(400, seed=1)
    sd = full.group_by("model", maintain_order=True).agg(sd=pl.col("theta").std())["sd"]
    total = fit.ability_intervals()["theta_se"]
    assert np.allclose(sd, total, rtol=0.15)
    # draws share the items' error: the models' mean moves from draw to draw
    draw_means = full.group_by("draw").agg(m=pl.col("theta").mean())["m"].to_numpy()
    assert draw_means.std() > 0.05
    again = fit.plausible_values(400, seed=1)
    assert again.equals(full)


def test_normal_prior_fits_have_full_information_ses() -> None:
    values, *_ = simulate(30, 1000, seed=11)
    fit = fit_irt(values, "2pl", prior=Prior(discrimination="normal"))
    assert fit.covariance.method == "woodbury"
    assert np.isfinite(fit.items["a_se"].to_numpy()).all()
    assert (
        fit.item_intervals().filter(fit.item_intervals()["parameter"] == "a")["interval"][0]
        == "wald"
    )


def test_difficulty_intervals_are_fieller_intervals_that_cover_with_few_models() -> None:
    """b = -d / a: with 20 models a Wald interval for the ratio under-covers; Fieller's
    interval covers, and is unbounded where the discrimination could be 0."""
    wald, fieller, unbounded = [], [], []
    for seed in range(4):
        rng = np.random.default_rng(seed)
        theta = rng.normal(size=20)
        a, b = np.exp(rng.normal(0.0, 0.3, 3000)), rng.normal(1.0, 1.0, 3000)
        values = (rng.random((20, 3000)) < response_probability(theta, a, b)).astype(float)
        fit = fit_irt(matrix(values), "2pl")
        truth = (b - theta.mean()) / theta.std()  # the fitted models' scale
        part = fit.item_intervals().filter(pl.col("parameter") == "b")
        assert set(part["interval"]) == {"fieller"}
        est, se = part["estimate"].to_numpy(), part["se"].to_numpy()
        lo, hi = part["ci_low"].to_numpy(), part["ci_high"].to_numpy()
        assert np.all((lo <= est) & (est <= hi))  # the estimate is always inside
        wald.append(np.mean(np.abs(est - truth) <= 1.959964 * se))
        fieller.append(np.mean((lo <= truth) & (truth <= hi)))
        unbounded.append(np.mean(np.isinf(hi)))
    # 12,000 items in 4 fits (items within a fit share the scale, so the fits' shares vary:
    # Wald 0.86 over 100 fits in benchmarks/irt_coverage.py, seed-dependent)
    assert np.mean(fieller) >= 0.95 and np.mean(fieller) > np.mean(wald) + 0.02
    assert 0.2 < np.mean(unbounded) < 0.9


def test_fieller_and_wald_difficulty_intervals_agree_with_many_models() -> None:
    values, _theta, _a, b = simulate(3000, 8, seed=2)
    part = fit_irt(values, "2pl").item_intervals().filter(pl.col("parameter") == "b")
    se = part["se"].to_numpy()
    lo, hi = part["ci_low"].to_numpy(), part["ci_high"].to_numpy()
    assert np.isfinite(hi).all()
    width = 2 * 1.959964 * se
    assert np.allclose(hi - lo, width, rtol=0.1)  # asymptotically the same interval
    assert np.mean((lo <= b) & (b <= hi)) >= 0.75  # 8 items: a loose sanity bound
