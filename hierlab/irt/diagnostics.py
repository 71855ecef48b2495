"""Diagnostics of a fitted IRT model: information, reliability, item fit, model comparison
and the item audit."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import polars as pl

from hierlab.errors import InvalidValueError, format_items
from hierlab.irt.fit import IRTFit
from hierlab.irt.models import (
    grm_category_probabilities,
    grm_information,
    item_information,
    response_probability,
)

__all__ = [
    "ModelComparison",
    "audit_items",
    "compare_models",
    "information_curves",
    "item_fit",
    "reliability",
]

THETA_GRID = np.linspace(-4.0, 4.0, 81)


def _public(fit: IRTFit) -> dict[str, np.ndarray]:
    items = fit.items
    a = items["a"].to_numpy() if "a" in items.columns else np.ones(items.height)
    out = {"a": a}
    if fit.model == "grm":
        out["thresholds"] = np.column_stack(
            [items[f"b{k}"].to_numpy() for k in range(1, len(fit.categories))]
        )
    else:
        out["b"] = items["b"].to_numpy()
        out["c"] = items["c"].to_numpy() if "c" in items.columns else np.zeros(items.height)
    return out


def _probabilities(fit: IRTFit, theta: np.ndarray) -> np.ndarray:
    """(n, J) P(correct) for binary models; (n, J, K) category probabilities for the GRM."""
    p = _public(fit)
    if fit.model == "grm":
        return grm_category_probabilities(theta, p["a"], p["thresholds"])
    return response_probability(theta, p["a"], p["b"], p["c"])


def _information(fit: IRTFit, theta: np.ndarray) -> np.ndarray:
    p = _public(fit)
    if fit.model == "grm":
        return grm_information(theta, p["a"], p["thresholds"])
    return item_information(theta, p["a"], p["b"], p["c"])


def information_curves(
    fit: IRTFit, theta: np.ndarray | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Item and test information over an ability grid.

    Returns
    -------
    items : polars.DataFrame
        Long form ``item, theta, information``.
    test : polars.DataFrame
        ``theta, information, se`` (``se = 1 / sqrt(information + 1)``, the posterior SD
        with the N(0, 1) prior) and ``expected_score`` (expected mean score over items).

    Examples
    --------
    >>> from hierlab.irt import fit_irt, simulate_responses
    >>> fit = fit_irt(simulate_responses(300, 10, seed=0).responses)
    >>> items, test = information_curves(fit, np.array([-1.0, 0.0, 1.0]))
    >>> items.shape, test.columns
    ((30, 3), ['theta', 'information', 'se', 'expected_score'])
    """
    grid = THETA_GRID if theta is None else np.asarray(theta, dtype=float)
    info = _information(fit, grid)
    probs = _probabilities(fit, grid)
    if fit.model == "grm":
        scores = np.asarray(fit.categories)
        expected = (probs * scores[None, None, :]).sum(axis=2).mean(axis=1)
    else:
        expected = probs.mean(axis=1)
    names = fit.items["item"].to_list()
    items = pl.DataFrame(
        {
            "item": np.tile(names, len(grid)),
            "theta": np.repeat(grid, len(names)),
            "information": info.ravel(),
        }
    )
    total = info.sum(axis=1)
    test = pl.DataFrame(
        {
            "theta": grid,
            "information": total,
            "se": 1.0 / np.sqrt(total + 1.0),
            "expected_score": expected,
        }
    )
    return items, test


def reliability(fit: IRTFit) -> dict[str, float]:
    """Marginal and empirical reliability.

    * ``marginal``: ``1 - E[1 / (I(theta) + 1)]`` over the N(0, 1) ability distribution
      (expected posterior variance from the test information, relative to the prior
      variance 1);
    * ``empirical``: ``var(EAP) / (var(EAP) + mean(posterior variance))`` over the
      fitted respondents.

    Examples
    --------
    >>> from hierlab.irt import fit_irt, simulate_responses
    >>> r = reliability(fit_irt(simulate_responses(500, 40, seed=1).responses))
    >>> 0.8 < r["marginal"] < 1 and 0.8 < r["empirical"] < 1
    True
    """
    z = np.linspace(-6, 6, 241)
    w = np.exp(-0.5 * z**2)
    w /= w.sum()
    info = _information(fit, z).sum(axis=1)
    marginal = 1.0 - float((w / (info + 1.0)).sum())
    eap = fit.abilities["theta"].to_numpy()
    post_var = fit.abilities["theta_sd"].to_numpy() ** 2
    empirical = float(eap.var() / (eap.var() + post_var.mean()))
    return {"marginal": marginal, "empirical": empirical}


def item_fit(fit: IRTFit) -> pl.DataFrame:
    """Infit and outfit mean squares of every item (Rasch-style residual statistics).

    With ``P`` and ``W`` the model's expected score and its variance at each respondent's
    EAP ability, ``outfit = mean(z^2)`` with ``z = (x - P) / sqrt(W)`` (sensitive to
    unexpected responses far from the item's difficulty) and ``infit = sum((x - P)^2) /
    sum(W)`` (information-weighted). Both are 1 when the model fits; values well above 1
    (e.g. > 1.5) flag noise or misfit, well below 1 flag overfit (too deterministic).

    Returns
    -------
    polars.DataFrame
        ``item, infit, outfit, n``.

    Examples
    --------
    >>> from hierlab.irt import fit_irt, simulate_responses
    >>> fit = fit_irt(simulate_responses(800, 10, seed=2).responses)
    >>> stats = item_fit(fit)
    >>> bool(stats["infit"].is_between(0.8, 1.2).all())
    True
    """
    m = _responses(fit)
    theta = fit.abilities["theta"].to_numpy()
    obs = m.observed
    if fit.model == "grm":
        probs = _probabilities(fit, theta)  # (n, J, K)
        k = np.arange(probs.shape[2])
        expected = (probs * k).sum(axis=2)
        variance = (probs * k**2).sum(axis=2) - expected**2
    else:
        expected = _probabilities(fit, theta)
        variance = expected * (1 - expected)
    x = np.nan_to_num(m.values)
    resid2 = np.where(obs, (x - expected) ** 2, 0.0)
    var = np.where(obs, np.maximum(variance, 1e-12), 0.0)
    n = obs.sum(axis=0)
    outfit = np.where(obs, resid2 / np.maximum(var, 1e-12), 0.0).sum(axis=0) / np.maximum(n, 1)
    infit = resid2.sum(axis=0) / np.maximum(var.sum(axis=0), 1e-12)
    return pl.DataFrame({"item": list(m.items), "infit": infit, "outfit": outfit, "n": n})


def _responses(fit: IRTFit):
    if fit.responses is None:
        raise InvalidValueError("This fit has no response matrix attached; refit with fit_irt.")
    return fit.responses


@dataclass(frozen=True)
class ModelComparison:
    """Fit statistics of several models and likelihood-ratio tests between nested pairs.

    Attributes
    ----------
    table : polars.DataFrame
        ``model, loglik, n_parameters, aic, bic``.
    tests : polars.DataFrame
        ``restricted, general, lr, df, p_value`` for each nested pair in order.
    """

    table: pl.DataFrame
    tests: pl.DataFrame

    def summary(self) -> str:
        return f"{self.table}\n\nLikelihood-ratio tests:\n{self.tests}"


_NESTING = {"rasch": 0, "1pl": 1, "2pl": 2, "3pl": 3}


def compare_models(*fits: IRTFit) -> ModelComparison:
    """Compare fits of the same responses: AIC, BIC and likelihood-ratio tests.

    Consecutive fits in the nesting order Rasch < 1PL < 2PL < 3PL are tested with the LR
    statistic ``2 (ll_general - ll_restricted)`` against chi-square with the difference in
    parameters. With priors the log-likelihoods are evaluated at posterior modes, so the
    tests are approximate (fit with ``prior=None`` for textbook LR tests). The 2PL-vs-3PL
    test puts guessing on its boundary (c = 0), where the chi-square reference is
    conservative.

    Examples
    --------
    >>> from hierlab.irt import fit_irt, simulate_responses
    >>> sim = simulate_responses(1000, 15, "2pl", seed=3)
    >>> cmp = compare_models(fit_irt(sim.responses, "1pl", prior=None), fit_irt(sim.responses, "2pl", prior=None))
    >>> float(cmp.tests["p_value"][0]) < 0.001
    True
    """
    from scipy.stats import chi2

    if len(fits) < 2:
        raise InvalidValueError("compare_models needs at least two fits.")
    shapes = {(f.n_respondents, f.n_items) for f in fits}
    if len(shapes) != 1:
        raise InvalidValueError(
            f"The fits are of different data (respondents x items: {format_items(shapes)})."
        )
    ordered = sorted(fits, key=lambda f: _NESTING.get(f.model, 9))
    table = pl.DataFrame(
        {
            "model": [f.model for f in ordered],
            "loglik": [f.loglik for f in ordered],
            "n_parameters": [f.n_parameters for f in ordered],
            "aic": [f.aic for f in ordered],
            "bic": [f.bic for f in ordered],
        }
    )
    rows = []
    for small, big in itertools.pairwise(ordered):
        if small.model in _NESTING and big.model in _NESTING:
            lr = max(0.0, 2 * (big.loglik - small.loglik))
            df = big.n_parameters - small.n_parameters
            rows.append((small.model, big.model, lr, df, float(chi2.sf(lr, df))))
    tests = pl.DataFrame(
        rows, schema=["restricted", "general", "lr", "df", "p_value"], orient="row"
    )
    return ModelComparison(table=table, tests=tests)


def audit_items(
    fit: IRTFit,
    baseline: str | list[str] | None = None,
    strong: int | list[str] = 3,
    min_discrimination: float = 0.3,
    max_abs_difficulty: float = 4.0,
    max_fit: float = 1.5,
) -> pl.DataFrame:
    """Flag items that look flawed, with reasons, sorted by severity.

    Reasons (each adds to the severity score):

    * ``negative discrimination`` (a < 0: stronger models fail more often; severity 3) or
      ``near-zero discrimination`` (a < ``min_discrimination``; 2): the item does not
      separate models, often a wrong answer key or an ambiguous question;
    * ``extreme difficulty`` (|b| > ``max_abs_difficulty``; 1): almost everyone right or
      wrong, so the item carries no information;
    * ``poor fit`` (infit or outfit > ``max_fit``; 1);
    * ``baseline right, strong wrong`` (the random-guess ``baseline`` respondents get it
      right while every one of the ``strong`` models misses it; 2): the answer key may be
      wrong, or the item is answerable by guessing but not by reasoning.

    Parameters
    ----------
    fit : IRTFit
    baseline : respondent id(s) of random or trivial baselines, optional
    strong : int or list of str
        The strong models: the top-``strong`` respondents by ability, or their ids.

    Returns
    -------
    polars.DataFrame
        ``item, severity, reasons`` (list of str), the item parameters and fit statistics,
        and ``strong_correct`` / ``baseline_correct`` shares; flagged items only, most
        severe first.

    Examples
    --------
    >>> from hierlab.irt import fit_irt, simulate_responses
    >>> sim = simulate_responses(400, 12, seed=5)
    >>> values = sim.responses.values.copy()
    >>> values[:, 0] = 1 - values[:, 0]  # a reversed answer key
    >>> audit = audit_items(fit_irt(values, prior=None))
    >>> audit["item"][0], audit["reasons"][0].to_list()
    ('item_0', ['negative discrimination'])
    """
    m = _responses(fit)
    stats = item_fit(fit)
    items = fit.items.join(stats.drop("n"), on="item")
    a = items["a"].to_numpy() if "a" in items.columns else np.ones(items.height)
    b = items["b"].to_numpy() if "b" in items.columns else items["b1"].to_numpy()
    respondents = list(m.respondents)
    ability = fit.abilities.sort("theta", descending=True)["respondent"].to_list()
    base_ids = [baseline] if isinstance(baseline, str) else list(baseline or [])
    unknown = [r for r in base_ids if r not in respondents]
    if unknown:
        raise InvalidValueError(
            f"Baseline respondent(s) {format_items(unknown)} are not in the fit."
        )
    strong_ids = (
        [r for r in ability if r not in base_ids][:strong]
        if isinstance(strong, int)
        else list(strong)
    )
    index = {r: i for i, r in enumerate(respondents)}
    values = m.values
    top = np.asarray(m.categories)[-1]
    right = np.where(
        m.observed, np.asarray(m.categories)[np.nan_to_num(values).astype(int)] == top, np.nan
    )
    strong_rate = (
        np.nanmean(right[[index[r] for r in strong_ids]], axis=0)
        if strong_ids
        else np.full(len(a), np.nan)
    )
    base_rate = (
        np.nanmean(right[[index[r] for r in base_ids]], axis=0)
        if base_ids
        else np.full(len(a), np.nan)
    )
    reasons: list[list[str]] = [[] for _ in range(len(a))]
    severity = np.zeros(len(a))

    def flag(mask: np.ndarray, reason: str, weight: float) -> None:
        for j in np.flatnonzero(mask):
            reasons[j].append(reason)
        severity[mask] += weight

    if fit.model != "rasch" and fit.model != "1pl":
        flag(a < 0, "negative discrimination", 3)
        flag((a >= 0) & (a < min_discrimination), "near-zero discrimination", 2)
    flag(np.abs(b) > max_abs_difficulty, "extreme difficulty", 1)
    misfit = (items["infit"].to_numpy() > max_fit) | (items["outfit"].to_numpy() > max_fit)
    flag(misfit, "poor fit", 1)
    if base_ids and strong_ids:
        with np.errstate(invalid="ignore"):
            flag((base_rate >= 0.5) & (strong_rate == 0), "baseline right, strong wrong", 2)
    out = items.with_columns(
        severity=pl.Series(severity),
        reasons=pl.Series(reasons, dtype=pl.List(pl.String)),
        strong_correct=pl.Series(strong_rate),
        baseline_correct=pl.Series(base_rate),
    )
    order = ["item", "severity", "reasons"] + [
        c for c in out.columns if c not in ("item", "severity", "reasons")
    ]
    return (
        out.filter(pl.col("severity") > 0)
        .select(order)
        .sort(["severity", "item"], descending=[True, False])
    )
