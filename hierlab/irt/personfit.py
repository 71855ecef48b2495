"""Person fit: whether a model's pattern of right and wrong answers fits the IRT model.

``lz`` (Drasgow, Levine and Williams) standardises the log-likelihood of a model's
responses at its ability by its mean and variance under the IRT model. With the
ability estimated from the same responses ``lz`` is far from standard normal (too
narrow, so it rarely flags); Snijders' ``lz*`` corrects the mean and variance for the
estimation of ability (here the MAP estimate under the N(0, 1) prior) and is close to
standard normal on tests of moderate length. Low values mean the model's answers are
less consistent than its ability predicts: right on hard items and wrong on easy ones
(contamination, a broken answer parser, an agent that gave up half-way).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from hierlab.errors import InvalidValueError
from hierlab.irt._checks import (
    check_probability,
    expected_scores,
    fitted,
    is_binary,
    right_probabilities,
    theta_of,
)
from hierlab.irt.fit import IRTFit
from hierlab.results import Result, Summary
from hierlab.stats import adjust_pvalues, check_correction

__all__ = ["PersonFit", "person_fit"]


@dataclass(frozen=True, eq=False)
class PersonFit(Result):
    """Person fit of every model of a fit.

    Attributes
    ----------
    table : polars.DataFrame
        One row per model: ``model, theta`` (the MAP ability lz* corrects for),
        ``lz``, ``statistic`` (Snijders' lz*), ``p_value`` (lower tail), ``p_adjusted``,
        ``flagged`` (``p_adjusted < significance``), ``infit, outfit`` (mean squares)
        and ``n`` (responses).
    correction : str or None
        The multiple-testing correction over models.
    significance : float
        The threshold of ``flagged``.

    Examples
    --------
    >>> from hierlab.irt import fit_irt, simulate_responses
    >>> pf = person_fit(fit_irt(simulate_responses(200, 30, seed=0).responses))
    >>> pf.to_polars().columns[:4]
    ['model', 'theta', 'lz', 'statistic']
    """

    table: pl.DataFrame
    correction: str | None = "bh"
    significance: float = 0.05

    def summary(self) -> Summary:
        """Summarise person fit: the statistic, the flagged models.

        Returns
        -------
        Summary

        Examples
        --------
        >>> from hierlab.irt import fit_irt, simulate_responses
        >>> person_fit(fit_irt(simulate_responses(200, 30, seed=0).responses)).summary().title
        'Person fit (lz*, Snijders)'
        """
        flagged = self.table.filter("flagged").sort("statistic")
        return Summary(
            "Person fit (lz*, Snijders)",
            facts=[
                ("models", self.table.height),
                ("test", "lower tail of lz* (standard normal)"),
                ("correction", self.correction or "none"),
                ("significance", self.significance),
                ("flagged models", flagged.height),
            ],
            tables={
                "flagged models": flagged.select("model", "theta", "lz", "statistic", "p_adjusted")
            },
        )

    def to_polars(self) -> pl.DataFrame:
        """Return the person fit table, one row per model.

        Returns
        -------
        polars.DataFrame

        Examples
        --------
        >>> from hierlab.irt import fit_irt, simulate_responses
        >>> person_fit(fit_irt(simulate_responses(200, 30, seed=0).responses)).to_polars().height
        200
        """
        return self.table


def person_fit(
    fit: IRTFit, *, correction: str | None = "bh", significance: float = 0.05
) -> PersonFit:
    """Compute lz and Snijders' lz* person fit of every model of a binary fit.

    Parameters
    ----------
    fit : IRTFit
        A binary fit, with its responses attached.
    correction : {"bh", "holm", "bonferroni"} or None, default "bh"
        Multiple-testing correction over models.
    significance : float, default 0.05
        A model is ``flagged`` when its adjusted lower-tail p-value is below this.

    Returns
    -------
    PersonFit

    Raises
    ------
    InputTypeError
        ``fit`` is not an IRTFit.
    InvalidValueError
        A graded fit, or a fit without responses.

    Examples
    --------
    >>> from hierlab.irt import fit_irt, simulate_responses
    >>> sim = simulate_responses(300, 40, seed=1)
    >>> values = sim.responses.values.copy()
    >>> hard = np.argsort(sim.b)
    >>> values[0] = 0.0
    >>> values[0, hard[-12:]] = 1.0  # right on the 12 hardest items only
    >>> pf = person_fit(fit_irt(values))
    >>> pf.table.filter("flagged")["model"].to_list()
    ['0']
    """
    fit, m = fitted(fit)
    correction = check_correction(correction)
    significance = check_probability(significance, "significance")
    if not is_binary(fit):
        raise InvalidValueError(
            "person_fit computes lz and lz* for binary items; this fit is graded "
            f"({m.n_categories} categories)."
        )
    obs = m.observed
    x = np.nan_to_num(m.values)
    theta = (
        fit.abilities["theta_map"].to_numpy().astype(float)
        if "theta_map" in fit.abilities.columns
        else theta_of(fit)
    )
    h = 1e-5
    p = np.clip(_diagonal(fit, theta), 1e-12, 1 - 1e-12)
    dp = (_diagonal(fit, theta + h) - _diagonal(fit, theta - h)) / (2 * h)
    q = 1 - p
    w = np.log(p / q)
    mask = obs.astype(float)
    l0 = (mask * (x * np.log(p) + (1 - x) * np.log(q))).sum(axis=1)
    mean = (mask * (p * np.log(p) + q * np.log(q))).sum(axis=1)
    var = (mask * p * q * w**2).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        lz = (l0 - mean) / np.sqrt(var)
        r = dp / (p * q)
        c_n = (mask * dp * w).sum(axis=1) / (mask * dp * r).sum(axis=1)
        w_tilde = w - c_n[:, None] * r
        tau = np.sqrt((mask * w_tilde**2 * p * q).sum(axis=1))
        big_w = (mask * (x - p) * w).sum(axis=1)
        lz_star = (big_w + c_n * (-theta)) / tau
    from scipy.stats import norm

    p_value = norm.cdf(lz_star)
    p_adjusted = adjust_pvalues(np.where(np.isfinite(p_value), p_value, np.nan), correction)
    mean_s, var_s = expected_scores(fit, theta_of(fit))
    resid2 = np.where(obs, (x - mean_s) ** 2, 0.0)
    v = np.where(obs, np.maximum(var_s, 1e-12), 0.0)
    n = obs.sum(axis=1)
    outfit = (np.where(obs, resid2 / np.maximum(v, 1e-12), 0.0)).sum(axis=1) / np.maximum(n, 1)
    infit = resid2.sum(axis=1) / np.maximum(v.sum(axis=1), 1e-12)
    table = pl.DataFrame(
        {
            "model": list(m.models),
            "theta": theta,
            "lz": lz,
            "statistic": lz_star,
            "p_value": p_value,
            "p_adjusted": p_adjusted,
            "infit": infit,
            "outfit": outfit,
            "n": n,
        },
        schema_overrides={"model": pl.String},
    ).with_columns(pl.col("lz", "statistic", "p_value", "p_adjusted").fill_nan(None))
    table = table.with_columns(
        flagged=(pl.col("p_adjusted") < significance).fill_null(False)
    ).select(
        "model",
        "theta",
        "lz",
        "statistic",
        "p_value",
        "p_adjusted",
        "flagged",
        "infit",
        "outfit",
        "n",
    )
    return PersonFit(table=table, correction=correction, significance=significance)


def _diagonal(fit: IRTFit, theta: np.ndarray) -> np.ndarray:
    """P(right) of every item for each model at its own ability, shape (N, J)."""
    return right_probabilities(fit, theta)
