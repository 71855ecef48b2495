"""Diagnostics of a fitted IRT model.

Information, reliability, item fit, the comparison of IRT fits and the item audit.
"""

from __future__ import annotations

import itertools
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from hierlab._tables import as_float_array
from hierlab.errors import InputShapeError, InputTypeError, InvalidValueError, format_items
from hierlab.irt.data import ResponseMatrix
from hierlab.irt.fit import IRTFit, as_irt_fit
from hierlab.results import Result, Summary

__all__ = [
    "FitComparison",
    "InformationCurves",
    "audit_items",
    "compare_fits",
    "information_curves",
    "item_fit",
    "reliability",
]

THETA_GRID = np.linspace(-4.0, 4.0, 81)

#: The reasons :func:`audit_items` gives, most severe first, with their weights.
AUDIT_REASONS = {
    "negative discrimination": 3,
    "near-zero discrimination": 2,
    "baseline right, strong wrong": 2,
    "extreme difficulty": 1,
    "poor fit": 1,
}


def _expected(fit: IRTFit, theta: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the expected score and its variance (n, J), categories scored by ``scores``."""
    probs = fit.category_probabilities(theta)  # (n, J, K)
    mean = probs @ scores
    variance = probs @ scores**2 - mean**2
    return mean, variance


@dataclass(frozen=True, eq=False)
class InformationCurves(Result):
    """Item and test information of a fit over an ability grid.

    Attributes
    ----------
    items : polars.DataFrame
        Long form: ``item, theta, information``.
    test : polars.DataFrame
        ``theta, information`` (the test information), ``theta_se`` (``1 /
        sqrt(information + 1)``, the posterior SD of ability with the N(0, 1) prior) and
        ``expected_score`` (expected mean score over the items).

    Examples
    --------
    >>> from hierlab.irt import fit_irt, simulate_responses
    >>> fit = fit_irt(simulate_responses(300, 10, seed=0).responses)
    >>> information_curves(fit, [0.0]).to_polars().columns
    ['theta', 'information', 'theta_se', 'expected_score']
    """

    items: pl.DataFrame
    test: pl.DataFrame

    def summary(self) -> Summary:
        """Summarise where the test measures best.

        Returns
        -------
        Summary
            The peak of the test information, the ability range where the ability SE
            stays under 0.3, and the test table.

        Examples
        --------
        >>> from hierlab.irt import fit_irt, simulate_responses
        >>> fit = fit_irt(simulate_responses(300, 10, seed=0).responses)
        >>> information_curves(fit).summary().title
        'Test information'
        """
        peak = self.test.row(int(self.test["information"].arg_max()), named=True)
        precise = self.test.filter(pl.col("theta_se") < 0.3)["theta"]
        facts: list[tuple[str, Any]] = [
            ("items", self.items["item"].n_unique()),
            ("peak information", peak["information"]),
            ("at theta", peak["theta"]),
            (
                "theta_se < 0.3 for theta in",
                f"[{precise.min():.2f}, {precise.max():.2f}]" if precise.len() else "nowhere",
            ),
        ]
        return Summary("Test information", facts=facts, tables={"test": self.test})

    def to_polars(self) -> pl.DataFrame:
        """Return the test information table.

        Returns
        -------
        polars.DataFrame
            ``theta, information, theta_se, expected_score``.

        Examples
        --------
        >>> from hierlab.irt import fit_irt, simulate_responses
        >>> fit = fit_irt(simulate_responses(300, 10, seed=0).responses)
        >>> information_curves(fit, [-1.0, 1.0]).to_polars().height
        2
        """
        return self.test


def information_curves(fit: IRTFit, theta: Any = None) -> InformationCurves:
    """Compute item and test information over an ability grid.

    Parameters
    ----------
    fit : IRTFit
        The fitted model.
    theta : array of float, optional
        The abilities to evaluate at (default: 81 points from -4 to 4).

    Returns
    -------
    InformationCurves

    Examples
    --------
    >>> from hierlab.irt import fit_irt, simulate_responses
    >>> fit = fit_irt(simulate_responses(300, 10, seed=0).responses)
    >>> curves = information_curves(fit, np.array([-1.0, 0.0, 1.0]))
    >>> curves.items.shape, curves.test.columns
    ((30, 3), ['theta', 'information', 'theta_se', 'expected_score'])
    """
    fit = as_irt_fit(fit)
    grid = THETA_GRID if theta is None else as_float_array(theta, "`theta`", ndim=1)
    info = fit.item_information(grid)
    expected, _ = _expected(fit, grid, np.asarray(fit.categories))
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
            "theta_se": 1.0 / np.sqrt(total + 1.0),
            "expected_score": expected.mean(axis=1),
        }
    )
    return InformationCurves(items=items, test=test)


def reliability(fit: IRTFit) -> dict[str, float]:
    """Compute the marginal and the empirical reliability of a fit.

    * ``marginal``: ``1 - E[1 / (I(theta) + 1)]`` over the N(0, 1) ability distribution
      (expected posterior variance from the test information, relative to the prior
      variance 1);
    * ``empirical``: ``var(EAP) / (var(EAP) + mean(posterior variance))`` over the
      fitted models.

    Parameters
    ----------
    fit : IRTFit
        The fitted model.

    Returns
    -------
    dict of str to float
        ``{"marginal": ..., "empirical": ...}``.

    Examples
    --------
    >>> from hierlab.irt import fit_irt, simulate_responses
    >>> r = reliability(fit_irt(simulate_responses(500, 40, seed=1).responses))
    >>> 0.8 < r["marginal"] < 1 and 0.8 < r["empirical"] < 1
    True
    """
    fit = as_irt_fit(fit)
    z = np.linspace(-6, 6, 241)
    w = np.exp(-0.5 * z**2)
    w /= w.sum()
    info = fit.item_information(z).sum(axis=1)
    marginal = 1.0 - float((w / (info + 1.0)).sum())
    eap = fit.abilities["theta"].to_numpy()
    post_var = fit.abilities["theta_se"].to_numpy() ** 2
    empirical = float(eap.var() / (eap.var() + post_var.mean()))
    return {"marginal": marginal, "empirical": empirical}


def _responses(fit: IRTFit) -> ResponseMatrix:
    if fit.responses is None:
        raise InvalidValueError(
            "This fit has no response matrix attached; refit it with fit_irt()."
        )
    return fit.responses


def item_fit(fit: IRTFit) -> pl.DataFrame:
    """Compute the infit and outfit mean squares of every item (residual statistics).

    With ``P`` and ``W`` the model's expected score and its variance at each model's EAP
    ability, ``outfit = mean(z^2)`` with ``z = (x - P) / sqrt(W)`` (sensitive to
    unexpected responses far from the item's difficulty) and ``infit = sum((x - P)^2) /
    sum(W)`` (information-weighted). Both are 1 when the model fits; values well above 1
    (e.g. > 1.5) flag noise or misfit, well below 1 flag overfit (too deterministic).
    Graded responses are scored by their category index.

    Parameters
    ----------
    fit : IRTFit
        The fitted model (with its responses attached, as :func:`fit_irt` returns it).

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
    fit = as_irt_fit(fit)
    m = _responses(fit)
    theta = fit.abilities["theta"].to_numpy()
    obs = m.observed
    expected, variance = _expected(fit, theta, np.arange(m.n_categories, dtype=float))
    x = np.nan_to_num(m.values)
    resid2 = np.where(obs, (x - expected) ** 2, 0.0)
    var = np.where(obs, np.maximum(variance, 1e-12), 0.0)
    n = obs.sum(axis=0)
    outfit = np.where(obs, resid2 / np.maximum(var, 1e-12), 0.0).sum(axis=0) / np.maximum(n, 1)
    infit = resid2.sum(axis=0) / np.maximum(var.sum(axis=0), 1e-12)
    return pl.DataFrame({"item": list(m.items), "infit": infit, "outfit": outfit, "n": n})


@dataclass(frozen=True, eq=False)
class FitComparison(Result):
    """Fit statistics of several IRT fits and likelihood-ratio tests between nested pairs.

    Attributes
    ----------
    table : polars.DataFrame
        ``irt_model, loglik, n_parameters, aic, bic``, in nesting order.
    tests : polars.DataFrame
        ``restricted, general, statistic, df, p_value``: the likelihood-ratio chi-square
        test of each consecutive nested pair.
    approximate : bool
        True when a fit used priors: its log-likelihood is then evaluated at the posterior
        mode and the tests are approximate.

    Examples
    --------
    >>> from hierlab.irt import fit_irt, simulate_responses
    >>> sim = simulate_responses(300, 10, seed=3)
    >>> cmp = compare_fits(fit_irt(sim.responses, "1pl"), fit_irt(sim.responses, "2pl"))
    >>> cmp.to_polars()["irt_model"].to_list()
    ['1pl', '2pl']
    """

    table: pl.DataFrame
    tests: pl.DataFrame
    approximate: bool = False

    def summary(self) -> Summary:
        """Summarise the comparison: the best fit by AIC and BIC, both tables.

        Returns
        -------
        Summary

        Examples
        --------
        >>> from hierlab.irt import fit_irt, simulate_responses
        >>> sim = simulate_responses(300, 10, seed=3)
        >>> cmp = compare_fits(fit_irt(sim.responses, "1pl"), fit_irt(sim.responses, "2pl"))
        >>> cmp.summary().title
        'IRT fit comparison'
        """
        best_aic = self.table.sort("aic")["irt_model"][0]
        best_bic = self.table.sort("bic")["irt_model"][0]
        notes = []
        if self.approximate:
            notes.append(
                "fits with priors: log-likelihoods are at posterior modes, so the "
                "likelihood-ratio tests are approximate (fit with prior=None for exact ones)"
            )
        return Summary(
            "IRT fit comparison",
            facts=[("fits", self.table.height), ("lowest AIC", best_aic), ("lowest BIC", best_bic)],
            tables={"fit statistics": self.table, "likelihood-ratio tests": self.tests},
            notes=notes,
        )

    def to_polars(self) -> pl.DataFrame:
        """Return the fit statistics table.

        Returns
        -------
        polars.DataFrame
            ``irt_model, loglik, n_parameters, aic, bic``.

        Examples
        --------
        >>> from hierlab.irt import fit_irt, simulate_responses
        >>> sim = simulate_responses(300, 10, seed=3)
        >>> compare_fits(fit_irt(sim.responses, "1pl"), fit_irt(sim.responses, "2pl")).to_polars().height
        2
        """
        return self.table


_NESTING = {"rasch": 0, "1pl": 1, "2pl": 2, "3pl": 3}


def compare_fits(*fits: IRTFit) -> FitComparison:
    """Compare IRT fits of the same responses: AIC, BIC and likelihood-ratio tests.

    Consecutive fits in the nesting order Rasch < 1PL < 2PL < 3PL are tested with the LR
    statistic ``2 (ll_general - ll_restricted)`` against chi-square with the difference in
    parameters as degrees of freedom. With priors the log-likelihoods are evaluated at
    posterior modes, so the tests are approximate (fit with ``prior=None`` for textbook LR
    tests). The 2PL-vs-3PL test puts guessing on its boundary (c = 0), where the
    chi-square reference is conservative. (To compare AI models, look at the fit's
    ``abilities``.)

    Parameters
    ----------
    *fits : IRTFit
        Two or more fits of the same responses (same models and items).

    Returns
    -------
    FitComparison

    Raises
    ------
    InputShapeError
        The fits are of different models or items.

    Examples
    --------
    >>> from hierlab.irt import fit_irt, simulate_responses
    >>> sim = simulate_responses(1000, 15, irt_model="2pl", seed=3)
    >>> cmp = compare_fits(fit_irt(sim.responses, "1pl", prior=None), fit_irt(sim.responses, "2pl", prior=None))
    >>> float(cmp.tests["p_value"][0]) < 0.001
    True
    """
    from scipy.stats import chi2

    for i, fit in enumerate(fits):
        as_irt_fit(fit, f"fits[{i}]")
    if len(fits) < 2:
        raise InvalidValueError(f"compare_fits needs at least two fits, got {len(fits)}.")
    first = fits[0]
    for fit in fits[1:]:
        if not (
            fit.items["item"].equals(first.items["item"])
            and fit.abilities["model"].equals(first.abilities["model"])
        ):
            raise InputShapeError(
                "The fits are of different responses (models x items: "
                f"{format_items({(f.n_models, f.n_items) for f in fits})}); fit every IRT "
                "model to the same responses."
            )
    ordered = sorted(fits, key=lambda f: _NESTING.get(f.irt_model, 9))
    table = pl.DataFrame(
        {
            "irt_model": [f.irt_model for f in ordered],
            "loglik": [f.loglik for f in ordered],
            "n_parameters": [f.n_parameters for f in ordered],
            "aic": [f.aic for f in ordered],
            "bic": [f.bic for f in ordered],
        }
    )
    rows = []
    for small, big in itertools.pairwise(ordered):
        if small.irt_model in _NESTING and big.irt_model in _NESTING:
            statistic = max(0.0, 2 * (big.loglik - small.loglik))
            df = big.n_parameters - small.n_parameters
            rows.append(
                (small.irt_model, big.irt_model, statistic, df, float(chi2.sf(statistic, df)))
            )
    tests = pl.DataFrame(
        rows,
        schema={
            "restricted": pl.String,
            "general": pl.String,
            "statistic": pl.Float64,
            "df": pl.Int64,
            "p_value": pl.Float64,
        },
        orient="row",
    )
    return FitComparison(
        table=table, tests=tests, approximate=any(f.prior is not None for f in fits)
    )


def audit_items(
    fit: IRTFit,
    *,
    baseline: str | list[str] | None = None,
    strong: int | list[str] = 3,
    min_discrimination: float = 0.3,
    max_abs_difficulty: float = 4.0,
    max_fit: float = 1.5,
) -> pl.DataFrame:
    """Flag items that look flawed, with reasons, sorted by severity.

    Reasons (each adds its weight to the severity score):

    * ``negative discrimination`` (a < 0: stronger models fail more often; 3) or
      ``near-zero discrimination`` (a < ``min_discrimination``; 2): the item does not
      separate models, often a wrong answer key or an ambiguous question (not for the
      Rasch and 1PL models, whose discrimination is shared);
    * ``extreme difficulty`` (|b| > ``max_abs_difficulty``; 1): almost every model right
      or wrong, so the item carries no information;
    * ``poor fit`` (infit or outfit > ``max_fit``; 1);
    * ``baseline right, strong wrong`` (the random-guess ``baseline`` models get it
      right while every one of the ``strong`` models misses it; 2): the answer key may be
      wrong, or the item is answerable by guessing but not by reasoning.

    Parameters
    ----------
    fit : IRTFit
        The fitted model (with its responses attached).
    baseline : str or list of str, optional
        Model ids of random or trivial baselines.
    strong : int or list of str, default 3
        The strong models: the top-``strong`` models by ability (baselines excluded), or
        their ids.
    min_discrimination : float, default 0.3
        Discriminations below this are near zero.
    max_abs_difficulty : float, default 4.0
        Difficulties beyond this (in absolute value) are extreme.
    max_fit : float, default 1.5
        Infit or outfit mean squares above this are poor fit.

    Returns
    -------
    polars.DataFrame
        ``item, severity, reasons`` (list of str), the item parameters and fit statistics,
        and ``strong_correct`` / ``baseline_correct`` shares; flagged items only, most
        severe first.

    Raises
    ------
    InvalidValueError
        Baseline or strong model ids that are not in the fit (they are listed).

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
    fit = as_irt_fit(fit)
    m = _responses(fit)
    items = fit.items.join(item_fit(fit).drop("n"), on="item", maintain_order="left")
    a = items["a"].to_numpy() if "a" in items.columns else np.ones(items.height)
    b = items["b"].to_numpy() if "b" in items.columns else items["b1"].to_numpy()
    base_ids = _model_ids(baseline, "baseline", m.models)
    if isinstance(strong, int) and not isinstance(strong, bool):
        ranked = fit.abilities.sort("theta", descending=True)["model"]
        strong_ids = ranked.filter(~ranked.is_in(base_ids)).head(strong).to_list()
    else:
        strong_ids = _model_ids(strong, "strong", m.models)
    row = {name: i for i, name in enumerate(m.models)}
    right = np.where(m.observed, m.values == m.n_categories - 1, np.nan)  # the top category

    def share(ids: list[str]) -> np.ndarray:
        if not ids:
            return np.full(len(a), np.nan)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # items no such model answered
            return np.nanmean(right[[row[r] for r in ids]], axis=0)

    strong_rate, base_rate = share(strong_ids), share(base_ids)
    shared_a = fit.irt_model in ("rasch", "1pl")
    misfit = (items["infit"].to_numpy() > max_fit) | (items["outfit"].to_numpy() > max_fit)
    with np.errstate(invalid="ignore"):
        flags = {
            "negative discrimination": (not shared_a) & (a < 0),
            "near-zero discrimination": (not shared_a) & (a >= 0) & (a < min_discrimination),
            "extreme difficulty": np.abs(b) > max_abs_difficulty,
            "poor fit": misfit,
            "baseline right, strong wrong": (base_rate >= 0.5) & (strong_rate == 0),
        }
    severity = sum(AUDIT_REASONS[reason] * mask for reason, mask in flags.items())
    reasons = pl.concat_list(
        [pl.when(pl.Series(mask)).then(pl.lit(reason)) for reason, mask in flags.items()]
    ).list.drop_nulls()
    out = items.with_columns(
        severity=pl.Series(np.asarray(severity, dtype=float)),
        reasons=reasons,
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


def _model_ids(value: Any, name: str, models: tuple[str, ...]) -> list[str]:
    if value is None:
        return []
    ids = [value] if isinstance(value, str) else value
    if not isinstance(ids, (list, tuple)) or not all(isinstance(i, str) for i in ids):
        raise InputTypeError(
            f"`{name}` must be a model id or a list of model ids, got {type(value).__name__}."
        )
    unknown = sorted(set(ids) - set(models))
    if unknown:
        raise InvalidValueError(
            f"`{name}` names model(s) that are not in the fit: {format_items(unknown)}; "
            f"its models are {format_items(models)}."
        )
    return list(ids)
