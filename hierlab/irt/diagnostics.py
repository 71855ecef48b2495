"""Diagnostics of a fitted IRT model: information, reliability and the comparison of fits.

Item fit is in :mod:`hierlab.irt.itemfit`, the item audit in :mod:`hierlab.irt.audit`,
local dependence in :mod:`hierlab.irt.localdep`, person fit in
:mod:`hierlab.irt.personfit` and the global fit of the whole model in
:mod:`hierlab.irt.globalfit`.
"""

from __future__ import annotations

import itertools
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from hierlab._tables import as_float_array
from hierlab.errors import HierlabWarning, InputShapeError, InvalidValueError, format_items
from hierlab.irt.fit import IRTFit, as_irt_fit
from hierlab.results import Result, Summary

__all__ = [
    "FitComparison",
    "InformationCurves",
    "compare_fits",
    "information_curves",
    "reliability",
]

THETA_GRID = np.linspace(-4.0, 4.0, 81)


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


@dataclass(frozen=True, eq=False)
class FitComparison(Result):
    """Fit statistics of several IRT fits and likelihood-ratio tests between nested pairs.

    Attributes
    ----------
    table : polars.DataFrame
        ``irt_model, loglik, n_parameters, aic, bic, converged``, in nesting order.
    tests : polars.DataFrame
        ``restricted, general, statistic, df, p_value, note``: the likelihood-ratio
        chi-square test of each consecutive nested pair (NaN, with a note, when either fit
        did not converge or the general model's priors exclude the restricted one).
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


_NESTING = {"rasch": 0, "1pl": 1, "2pl": 2, "3pl": 3, "4pl": 4}


def compare_fits(*fits: IRTFit) -> FitComparison:
    """Compare IRT fits of the same responses: AIC, BIC and likelihood-ratio tests.

    Consecutive fits in the nesting order Rasch < 1PL < 2PL < 3PL < 4PL are tested with the LR
    statistic ``2 (ll_general - ll_restricted)`` against chi-square with the difference in
    parameters as degrees of freedom. With priors the log-likelihoods are evaluated at
    posterior modes, so the tests are approximate (fit with ``prior=None`` for textbook LR
    tests). A fit that did not converge gets no test (NaN, with a note and a warning).
    The 2PL-vs-3PL test puts guessing on its boundary (c = 0), and the 3PL-vs-4PL
    test the upper asymptote on its boundary (u = 1), where the chi-square reference is
    conservative. When the general model's priors exclude the
    restricted model (it then fits worse), the test is not defined: its statistic and
    p-value are NaN, ``note`` says why, and a HierlabWarning names the fix. (To compare
    AI models, look at the fit's ``abilities``.)

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
            "converged": [f.converged for f in ordered],
        }
    )
    rows = []
    for small, big in itertools.pairwise(ordered):
        if small.irt_model in _NESTING and big.irt_model in _NESTING:
            statistic = 2 * (big.loglik - small.loglik)
            df = big.n_parameters - small.n_parameters
            note = None
            unconverged = [f.irt_model for f in (small, big) if not f.converged]
            if unconverged:
                # a log-likelihood short of its optimum makes the statistic meaningless
                note = (
                    f"the {' and '.join(unconverged)} fit did not converge, so its "
                    "log-likelihood is not at the optimum and there is no likelihood-ratio test"
                )
                warnings.warn(
                    f"compare_fits: {note}. Refit with more iterations (max_iter=), a looser "
                    "tol=, or a prior that identifies the model with this many models "
                    "(AIC and BIC of an unconverged fit are not reliable either).",
                    HierlabWarning,
                    stacklevel=2,
                )
                statistic, p_value = float("nan"), float("nan")
            elif statistic < -1e-6 * max(1.0, abs(small.loglik)):
                # the general model cannot reach the restricted one: its priors (e.g. a
                # guessing prior with no density at c = 0) break the nesting
                note = (
                    f"the {big.irt_model} fits worse than the {small.irt_model} it should "
                    f"contain (log-likelihood {big.loglik:.1f} < {small.loglik:.1f}): its "
                    "priors exclude the smaller model, so there is no likelihood-ratio test"
                )
                warnings.warn(
                    f"compare_fits: {note}. Refit with priors that contain the smaller model "
                    "(for the 3PL a guessing prior with density at c = 0, e.g. "
                    "Prior(guess_alpha=1, guess_beta=17)) or prior=None; the 4PL's prior on "
                    "u has no density at u = 1, so compare it with the 3PL by AIC or BIC.",
                    HierlabWarning,
                    stacklevel=2,
                )
                statistic, p_value = float("nan"), float("nan")
            else:
                statistic = max(0.0, statistic)  # rounding of an optimum at the boundary
                p_value = float(chi2.sf(statistic, df))
            rows.append((small.irt_model, big.irt_model, statistic, df, p_value, note))
    tests = pl.DataFrame(
        rows,
        schema={
            "restricted": pl.String,
            "general": pl.String,
            "statistic": pl.Float64,
            "df": pl.Int64,
            "p_value": pl.Float64,
            "note": pl.String,
        },
        orient="row",
    )
    return FitComparison(
        table=table, tests=tests, approximate=any(f.prior is not None for f in fits)
    )
