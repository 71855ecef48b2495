"""Differential item functioning (DIF) between two groups of models.

Does an item favour one group of models (open vs closed weights, one provider vs the
rest) among models of the same overall level? Vectorised over all items:

* **Matching** is on the summed score (the studied item included, as Holland and Thayer
  recommend). With missing answers a model's score is its mean over the matching items
  it answered times their number, rounded. **Small-sample rule**: adjacent scores are
  pooled, from the lowest upwards, until every stratum holds at least ``min_per_group``
  models of each group (a stratum without both groups carries no information); a last
  short stratum joins the one before it. With 23 models and one score per stratum no
  stratum would hold both groups, so pooling is what makes the test possible at all.
* **Purification** (iterative): items flagged in one round leave the matching score of
  the next (each studied item stays in its own), until the flagged set repeats or
  ``max_iter`` rounds pass.
* **Mantel-Haenszel** (binary items): the common odds ratio (above 1 favours the
  reference group), its Robins-Breslow-Greenland interval, the continuity-corrected
  chi-square (1 df; R's ``mantelhaen.test``), ETS's delta ``-2.35 ln(alpha_MH)`` and
  the ETS classes: A (|delta| < 1 or not significant at 0.05), C (|delta| >= 1.5 and
  |delta| significantly above 1), B otherwise.
* **Logistic regression** (binary items; Swaminathan and Rogers, Zumbo):
  ``logit P(right) = b0 + b1 score`` (M0), ``+ b2 group`` (M1), ``+ b3 group x score``
  (M2); likelihood-ratio tests of uniform (M1 vs M0), non-uniform (M2 vs M1) and any
  DIF (M2 vs M0, 2 df), with the Nagelkerke R-squared difference M2 - M0 as effect size
  classified by Zumbo and Thomas (A < 0.13 <= B < 0.26 <= C) and by Jodoin and Gierl
  (A < 0.035 <= B < 0.07 <= C), both only when the 2-df test is significant.
* **Mantel's test** (graded items): the focal group's summed item score against its
  expectation within strata (1 df), with the standardised mean difference (SMD) and the
  ETS classes for polytomous items (AA, BB, CC).

p-values are corrected over items (Benjamini-Hochberg by default, or Holm).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from hierlab._tables import as_float_array
from hierlab.errors import InputShapeError, InputTypeError, InvalidValueError, format_items
from hierlab.irt._checks import check_count, check_probability
from hierlab.irt.data import as_response_matrix
from hierlab.irt.fit import IRTFit
from hierlab.results import Result, Summary
from hierlab.stats import adjust_pvalues, check_correction

__all__ = ["DIFResult", "dif"]


@dataclass(frozen=True, eq=False)
class DIFResult(Result):
    """DIF of every item between a reference and a focal group of models.

    Attributes
    ----------
    table : polars.DataFrame
        One row per item. Binary items: ``item, n_strata, mh_odds_ratio,
        mh_odds_ratio_ci_low, mh_odds_ratio_ci_high, mh_statistic, mh_p_value,
        mh_p_adjusted, ets_delta, ets_delta_se, ets_class``, the logistic regression
        ``uniform_*``, ``nonuniform_*`` and ``lr_*`` (2 df) ``statistic, p_value,
        p_adjusted``, ``group_effect`` (focal minus reference, logit), ``delta_r2``
        (Nagelkerke), ``zumbo_thomas_class, jodoin_gierl_class``; the interval, delta
        and ETS class are null when the odds ratio is 0 or infinite (one group always
        right within every stratum). Graded items:
        ``mantel_statistic, mantel_p_value, mantel_p_adjusted, smd, smd_effect``
        (SMD over the item's SD) and ``ets_class`` (AA, BB, CC). Both: ``flagged``
        (the main test's adjusted p-value below ``significance``) and ``purified``
        (left out of the final matching score).
    purification : polars.DataFrame
        ``iteration, n_flagged, flagged_items``: the flagged set of each round.
    reference, focal : str
        The two groups.
    n_reference, n_focal : int
        Models in each group.
    method : str
        "Mantel-Haenszel" (binary) or "Mantel" (graded).
    converged : bool
        Whether purification reached a flagged set that repeats.
    correction : str or None
        The multiple-testing correction over items.
    significance : float
        The threshold of ``flagged``.
    min_per_group : int
        The small-sample rule's minimum of each group per stratum.

    Examples
    --------
    >>> from hierlab.irt import simulate_responses
    >>> sim = simulate_responses(400, 10, seed=0)
    >>> groups = {m: ("A" if int(m) % 2 else "B") for m in sim.responses.models}
    >>> dif(sim.responses, groups).to_polars().columns[:3]
    ['item', 'n_strata', 'mh_odds_ratio']
    """

    table: pl.DataFrame
    purification: pl.DataFrame
    reference: str
    focal: str
    n_reference: int
    n_focal: int
    method: str
    converged: bool
    correction: str | None = "bh"
    significance: float = 0.05
    min_per_group: int = 1

    def summary(self) -> Summary:
        """Summarise the DIF analysis: groups, method, purification and flagged items.

        Returns
        -------
        Summary

        Examples
        --------
        >>> from hierlab.irt import simulate_responses
        >>> sim = simulate_responses(400, 10, seed=0)
        >>> groups = {m: ("A" if int(m) % 2 else "B") for m in sim.responses.models}
        >>> dif(sim.responses, groups).summary().title
        'DIF: A (reference) vs B (focal), Mantel-Haenszel'
        """
        flagged = self.table.filter("flagged")
        show = [
            c
            for c in (
                "item",
                "mh_odds_ratio",
                "mh_p_adjusted",
                "ets_delta",
                "ets_class",
                "mantel_p_adjusted",
                "smd",
                "delta_r2",
                "zumbo_thomas_class",
            )
            if c in self.table.columns
        ]
        classes = (
            self.table.group_by("ets_class").len().sort("ets_class")
            if "ets_class" in self.table.columns
            else pl.DataFrame()
        )
        return Summary(
            f"DIF: {self.reference} (reference) vs {self.focal} (focal), {self.method}",
            facts=[
                ("items", self.table.height),
                ("models", f"{self.n_reference} reference, {self.n_focal} focal"),
                (
                    "matching",
                    "summed score, purified" if self.purification.height > 1 else "summed score",
                ),
                ("strata", f"adjacent scores pooled to >= {self.min_per_group} of each group"),
                ("purification rounds", self.purification.height),
                ("purification converged", self.converged),
                ("correction", self.correction or "none"),
                ("significance", self.significance),
                ("flagged items", flagged.height),
            ],
            tables={"flagged items": flagged.select(show), "ETS classes": classes},
        )

    def to_polars(self) -> pl.DataFrame:
        """Return the per-item table.

        Returns
        -------
        polars.DataFrame

        Examples
        --------
        >>> from hierlab.irt import simulate_responses
        >>> sim = simulate_responses(400, 10, seed=0)
        >>> groups = {m: ("A" if int(m) % 2 else "B") for m in sim.responses.models}
        >>> dif(sim.responses, groups).to_polars().height
        10
        """
        return self.table


def _groups(
    models: tuple[str, ...], groups: Any, reference: str | None
) -> tuple[np.ndarray, str, str]:
    if isinstance(groups, pl.DataFrame):
        if groups.width != 2:
            raise InputShapeError(
                f"`groups` as a table needs two columns (model ids, then group labels), got "
                f"{groups.width}: {format_items(groups.columns)}."
            )
        mapping = dict(groups.select(pl.all().cast(pl.String)).iter_rows())
    elif isinstance(groups, Mapping):
        mapping = {str(k): v for k, v in groups.items()}
    else:
        raise InputTypeError(
            "`groups` must be a mapping model -> group label or a two-column polars table "
            f"(model ids, group labels), got {type(groups).__name__}."
        )
    missing = [r for r in models if r not in mapping or mapping[r] is None]
    if missing:
        raise InvalidValueError(
            f"No group given for model(s) {format_items(missing)}; give every model of the "
            "responses a group."
        )
    unknown = sorted(set(mapping) - set(models))
    if unknown:
        raise InvalidValueError(
            f"`groups` names model(s) that are not in the responses: {format_items(unknown)}."
        )
    labels = np.array([str(mapping[r]) for r in models])
    levels = sorted(set(labels.tolist()))
    if len(levels) != 2:
        raise InvalidValueError(
            f"DIF compares exactly two groups; got {len(levels)}: {format_items(levels)}."
        )
    ref = levels[0] if reference is None else str(reference)
    if ref not in levels:
        raise InvalidValueError(f"Reference group {ref!r} is not one of {format_items(levels)}.")
    focal = levels[1] if ref == levels[0] else levels[0]
    return (labels == focal).astype(float), ref, focal


def pool_strata(
    levels: np.ndarray, focal: np.ndarray, observed: np.ndarray, min_per_group: int
) -> np.ndarray:
    """Pool adjacent score levels into strata holding ``min_per_group`` of each group.

    ``levels`` (N, J) are integer matching scores (per item), ``focal`` (N,) 1 for the
    focal group, ``observed`` (N, J) the answered mask. Walking the levels upwards, a
    stratum closes once it holds at least ``min_per_group`` reference and focal models
    that answered the item; a last short stratum joins the one before it. Returns the
    stratum of every (model, item), vectorised over items (the loop runs over levels).

    Examples
    --------
    >>> lv = np.array([[0], [1], [2], [3], [4]])
    >>> foc = np.array([0.0, 1.0, 0.0, 0.0, 1.0])
    >>> pool_strata(lv, foc, np.ones((5, 1), bool), 1)[:, 0].tolist()
    [0, 0, 1, 1, 1]
    """
    n, j = levels.shape
    top = int(levels.max()) + 1 if levels.size else 1
    cols = np.broadcast_to(np.arange(j), (n, j))
    ref_count = np.zeros((top, j))
    foc_count = np.zeros((top, j))
    np.add.at(
        ref_count, (levels[observed], cols[observed]), (1 - focal)[:, None].repeat(j, 1)[observed]
    )
    np.add.at(foc_count, (levels[observed], cols[observed]), focal[:, None].repeat(j, 1)[observed])
    stratum_of = np.zeros((top, j), dtype=np.int64)
    current = np.zeros(j, dtype=np.int64)
    run_ref = np.zeros(j)
    run_foc = np.zeros(j)
    open_from = np.zeros(j, dtype=np.int64)
    if min_per_group <= 0:
        stratum_of[:] = np.arange(top)[:, None]
        return stratum_of[levels, cols]
    for level in range(top):
        stratum_of[level] = current
        run_ref += ref_count[level]
        run_foc += foc_count[level]
        close = (run_ref >= min_per_group) & (run_foc >= min_per_group)
        current = current + close
        run_ref = np.where(close, 0.0, run_ref)
        run_foc = np.where(close, 0.0, run_foc)
        open_from = np.where(close, level + 1, open_from)
    # levels of a last, short stratum join the stratum before it (if there is one)
    short = (current > 0)[None, :] & (np.arange(top)[:, None] >= open_from[None, :])
    stratum_of = np.where(short, (current - 1)[None, :], stratum_of)
    return stratum_of[levels, cols]


def _tables(
    y: np.ndarray, observed: np.ndarray, focal: np.ndarray, stratum: np.ndarray, power: int = 1
) -> dict[str, np.ndarray]:
    """Per (item, stratum) counts and sums of y**0..power for each group, shape (J, S)."""
    n, j = y.shape
    s = int(stratum.max()) + 1 if stratum.size else 1
    index = (np.arange(j)[None, :] * s + stratum)[observed]
    out = {}
    for name, weight in (("ref", 1 - focal), ("foc", focal)):
        w = np.broadcast_to(weight[:, None], (n, j))[observed]
        for k in range(power + 1):
            vals = w * (y[observed] ** k)
            out[f"{name}{k}"] = np.bincount(index, weights=vals, minlength=j * s).reshape(j, s)
    return out


def mantel_haenszel(
    right: np.ndarray, focal: np.ndarray, stratum: np.ndarray, *, correct: bool = True
) -> dict[str, np.ndarray]:
    """MH common odds ratio, its RBG interval terms, chi-square and p-value of every item.

    ``right`` (N, J) holds 1/0/NaN; ``focal`` (N,) 1 for the focal group; ``stratum``
    (N, J) integer strata per item. Strata without both groups add nothing. The
    statistic matches R's ``mantelhaen.test(x, correct=correct)`` on the same tables.

    Examples
    --------
    >>> x = np.array([[1.0], [0.0], [1.0], [0.0], [1.0], [1.0]])
    >>> out = mantel_haenszel(x, np.array([0, 0, 0, 1, 1, 1.0]), np.zeros((6, 1), int))
    >>> round(float(out["odds_ratio"][0]), 3)
    1.0
    """
    from scipy.stats import chi2

    obs = ~np.isnan(right)
    t = _tables(np.nan_to_num(right), obs, focal, stratum)
    a, n_ref = t["ref1"], t["ref0"]  # reference right, reference total
    c, n_foc = t["foc1"], t["foc0"]
    b, d = n_ref - a, n_foc - c
    tot = n_ref + n_foc
    valid = (n_ref > 0) & (n_foc > 0) & (tot > 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.where(valid, a * d / tot, 0.0)
        s = np.where(valid, b * c / tot, 0.0)
        big_r, big_s = r.sum(axis=1), s.sum(axis=1)
        odds = big_r / big_s
        p_ = np.where(valid, (a + d) / tot, 0.0)
        q_ = np.where(valid, (b + c) / tot, 0.0)
        var_log = (
            (p_ * r).sum(axis=1) / (2 * big_r**2)
            + (p_ * s + q_ * r).sum(axis=1) / (2 * big_r * big_s)
            + (q_ * s).sum(axis=1) / (2 * big_s**2)
        )
        m1, m0 = a + c, b + d
        expected = np.where(valid, n_ref * m1 / tot, 0.0).sum(axis=1)
        variance = np.where(valid, n_ref * n_foc * m1 * m0 / (tot**2 * (tot - 1)), 0.0).sum(axis=1)
        diff = np.abs(np.where(valid, a, 0.0).sum(axis=1) - expected)
        if correct:
            diff = np.maximum(diff - 0.5, 0.0)
        stat = np.where(variance > 0, diff**2 / variance, np.nan)
    return {
        "odds_ratio": odds,
        "se_log": np.sqrt(var_log),
        "statistic": stat,
        "p_value": chi2.sf(stat, 1),
        "n_strata": valid.sum(axis=1),
    }


def mantel_ordinal(
    score: np.ndarray, focal: np.ndarray, stratum: np.ndarray
) -> dict[str, np.ndarray]:
    """Mantel's (1963) test of graded items (1 df) and the standardised mean difference.

    ``score`` (N, J) holds item scores (NaN missing). The statistic compares the focal
    group's summed score with its expectation within strata; SMD is the focal-weighted
    mean, over strata, of the focal minus reference mean score.

    Examples
    --------
    >>> y = np.array([[0.0], [1.0], [2.0], [0.0], [1.0], [2.0]])
    >>> out = mantel_ordinal(y, np.array([0, 0, 0, 1, 1, 1.0]), np.zeros((6, 1), int))
    >>> float(out["statistic"][0]), float(out["smd"][0])
    (0.0, 0.0)
    """
    from scipy.stats import chi2

    obs = ~np.isnan(score)
    t = _tables(np.nan_to_num(score), obs, focal, stratum, power=2)
    n_r, n_f = t["ref0"], t["foc0"]
    tot = n_r + n_f
    valid = (n_r > 0) & (n_f > 0) & (tot > 1)
    s1 = t["ref1"] + t["foc1"]
    s2 = t["ref2"] + t["foc2"]
    with np.errstate(invalid="ignore", divide="ignore"):
        expected = np.where(valid, n_f * s1 / tot, 0.0).sum(axis=1)
        variance = np.where(valid, n_r * n_f * (tot * s2 - s1**2) / (tot**2 * (tot - 1)), 0.0).sum(
            axis=1
        )
        observed_sum = np.where(valid, t["foc1"], 0.0).sum(axis=1)
        stat = np.where(variance > 0, (observed_sum - expected) ** 2 / variance, np.nan)
        weight = np.where(valid, n_f, 0.0)
        mean_f = t["foc1"] / n_f
        mean_r = t["ref1"] / n_r
        smd = np.where(valid, weight * (mean_f - mean_r), 0.0).sum(axis=1) / weight.sum(axis=1)
    return {
        "statistic": stat,
        "p_value": chi2.sf(stat, 1),
        "smd": smd,
        "n_strata": valid.sum(axis=1),
    }


def _batched_logit(
    design: np.ndarray, y: np.ndarray, mask: np.ndarray, ridge: float = 1e-6, iters: int = 60
) -> tuple[np.ndarray, np.ndarray]:
    """Logistic regressions of every column of y, each on its own design (N, J, p).

    Returns the coefficients (J, p) and log-likelihoods (J,). A tiny ridge keeps
    separated items (common with few models) finite.
    """
    _, j, p = design.shape
    beta = np.zeros((j, p))
    eye = np.eye(p)[None]
    for _ in range(iters):
        eta = np.einsum("njp,jp->nj", design, beta)
        mu = 0.5 * (1 + np.tanh(0.5 * eta))
        grad = np.einsum("nj,njp->jp", (y - mu) * mask, design) - ridge * beta
        w = mu * (1 - mu) * mask
        hess = np.einsum("nj,nja,njb->jab", w, design, design) + ridge * eye
        step = np.linalg.solve(hess, grad[..., None])[..., 0]
        beta += np.clip(step, -5, 5)
        if np.max(np.abs(step)) < 1e-8:
            break
    eta = np.einsum("njp,jp->nj", design, beta)
    ll = (mask * (y * eta - np.logaddexp(0.0, eta))).sum(axis=0)
    return beta, ll


def logistic_dif(right: np.ndarray, focal: np.ndarray, score: np.ndarray) -> dict[str, np.ndarray]:
    """Uniform, non-uniform and 2-df logistic-regression DIF with Nagelkerke R-squared.

    ``score`` (N, J) is each item's matching variable (standardised inside).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> th = rng.normal(size=400)
    >>> y = (rng.random((400, 1)) < 1 / (1 + np.exp(-th[:, None]))).astype(float)
    >>> out = logistic_dif(y, (np.arange(400) % 2).astype(float), th[:, None])
    >>> bool(out["lr_p_value"][0] > 0.01)
    True
    """
    from scipy.stats import chi2

    mask = (~np.isnan(right)).astype(float)
    y = np.nan_to_num(right)
    n, j = y.shape
    mean = (score * mask).sum(axis=0) / np.maximum(mask.sum(axis=0), 1)
    sd = np.sqrt((((score - mean) ** 2) * mask).sum(axis=0) / np.maximum(mask.sum(axis=0), 1))
    z = (score - mean) / np.where(sd > 0, sd, 1.0)
    ones = np.ones((n, j))
    g = np.broadcast_to(focal[:, None], (n, j))
    _, ll_null = _batched_logit(ones[..., None], y, mask)
    _, ll0 = _batched_logit(np.stack([ones, z], axis=2), y, mask)
    beta1, ll1 = _batched_logit(np.stack([ones, z, g], axis=2), y, mask)
    _, ll2 = _batched_logit(np.stack([ones, z, g, g * z], axis=2), y, mask)
    uniform = np.maximum(2 * (ll1 - ll0), 0)
    nonuniform = np.maximum(2 * (ll2 - ll1), 0)
    both = np.maximum(2 * (ll2 - ll0), 0)
    count = np.maximum(mask.sum(axis=0), 1)

    def nagelkerke(ll: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore", invalid="ignore"):
            cox_snell = 1 - np.exp(2 * (ll_null - ll) / count)
            top = 1 - np.exp(2 * ll_null / count)
        return np.where(top > 0, cox_snell / np.where(top > 0, top, 1.0), np.nan)

    return {
        "group_effect": beta1[:, 2],
        "uniform_statistic": uniform,
        "uniform_p_value": chi2.sf(uniform, 1),
        "nonuniform_statistic": nonuniform,
        "nonuniform_p_value": chi2.sf(nonuniform, 1),
        "lr_statistic": both,
        "lr_p_value": chi2.sf(both, 2),
        "delta_r2": nagelkerke(ll2) - nagelkerke(ll0),
    }


def _matching_theta(theta: Any, models: tuple[str, ...]) -> np.ndarray:
    if isinstance(theta, IRTFit):
        theta = dict(theta.abilities.select("model", "theta").iter_rows())
    if isinstance(theta, Mapping):
        missing = [r for r in models if r not in theta]
        if missing:
            raise InvalidValueError(f"`theta` has no ability for model(s) {format_items(missing)}.")
        return as_float_array([theta[r] for r in models], "`theta` values", ndim=1)
    match = as_float_array(theta, "`theta`", ndim=1)
    if len(match) != len(models):
        raise InputShapeError(
            f"`theta` must have one value per model ({len(models)}), got {len(match)}."
        )
    if not np.isfinite(match).all():
        raise InvalidValueError("`theta` holds NaN or infinite values; give every model a value.")
    return match


def _summed_scores(score: np.ndarray, observed: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """Each model's matching score on the kept items and, per item, with the item itself."""
    x = np.where(observed, score, 0.0)
    n_keep = max(int(keep.sum()), 1)
    answered = (observed & keep[None, :]).sum(axis=1)
    base = (x * keep[None, :]).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        scaled = np.where(answered > 0, base / np.maximum(answered, 1) * n_keep, 0.0)
    # items outside the matching set get their own answer added (the studied item is
    # always part of its own matching score)
    return scaled[:, None] + np.where(keep[None, :], 0.0, x)


def dif(
    responses: Any,
    groups: Any,
    *,
    reference: str | None = None,
    theta: Any = None,
    n_strata: int = 10,
    purify: bool = True,
    max_iter: int = 10,
    min_per_group: int = 1,
    correction: str | None = "bh",
    significance: float = 0.05,
) -> DIFResult:
    """Test every item for DIF between two groups of models (see the module documentation).

    Parameters
    ----------
    responses : ResponseMatrix, polars/pandas DataFrame or 2-D array
        Models x items; binary (Mantel-Haenszel and logistic regression) or graded
        (Mantel's test).
    groups : mapping or polars.DataFrame
        Model id -> group label (exactly two labels), or a two-column table of model ids
        and group labels.
    reference : str, optional
        The reference group (default: the first label in sorted order); the other is the
        focal group.
    theta : IRTFit, mapping, or array of float, optional
        Match on these abilities instead of the summed score: a fit (its EAP abilities),
        a model -> theta mapping, or an array in the responses' model order; strata are
        then ``n_strata`` quantile groups, and there is no purification.
    n_strata : int, default 10
        Quantile strata of ``theta`` (unused when matching on the summed score).
    purify : bool, default True
        Iteratively drop flagged items from the matching score.
    max_iter : int, default 10
        Purification rounds at most.
    min_per_group : int, default 1
        The small-sample rule: adjacent scores are pooled until every stratum holds at
        least this many models of each group (0: one stratum per score, as difR does).
    correction : {"bh", "holm", "bonferroni"} or None, default "bh"
        Multiple-testing correction over items.
    significance : float, default 0.05
        An item is ``flagged`` when the adjusted p-value of its main test (MH or Mantel)
        is below this; also the level of the ETS and R-squared classifications.

    Returns
    -------
    DIFResult

    Raises
    ------
    InputTypeError
        ``groups`` is not a mapping or a table.
    InvalidValueError
        Models without a group, unknown models, other than two groups, or an unknown
        reference group.

    Examples
    --------
    >>> from hierlab.irt import simulate_responses
    >>> sim = simulate_responses(1000, 10, seed=0)
    >>> values = sim.responses.values.copy()
    >>> values[500:, 0] = (np.random.default_rng(1).random(500) < 0.15)  # item_0 harder for B
    >>> groups = {str(i): ("A" if i < 500 else "B") for i in range(1000)}
    >>> out = dif(values, groups).table
    >>> out.filter("flagged")["item"].to_list(), out["ets_class"][0]
    (['item_0'], 'C')
    """
    m = as_response_matrix(responses)
    focal, ref, focal_name = _groups(m.models, groups, reference)
    correction = check_correction(correction)
    significance = check_probability(significance, "significance")
    n_strata = check_count(n_strata, "n_strata", 1)
    max_iter = check_count(max_iter, "max_iter", 1)
    min_per_group = check_count(min_per_group, "min_per_group", 0)
    if not isinstance(purify, bool):
        raise InputTypeError(f"`purify` must be True or False, got {type(purify).__name__}.")
    binary = m.n_categories == 2
    obs = m.observed
    score = m.scores() if not binary else m.values
    score_filled = np.where(obs, score, 0.0)
    j = m.n_items

    def strata_for(keep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if theta is not None:
            match = _matching_theta(theta, m.models)
            edges = np.quantile(match, np.linspace(0, 1, n_strata + 1)[1:-1])
            level = np.searchsorted(edges, match, side="right")
            levels = np.broadcast_to(level[:, None], (m.n_models, j)).astype(np.int64)
            return pool_strata(levels, focal, obs, min_per_group), np.broadcast_to(
                match[:, None], (m.n_models, j)
            )
        total = _summed_scores(score_filled, obs, keep)
        unit = 1.0 if binary else float(np.min(np.diff(m.categories)))
        levels = np.rint(total / unit).astype(np.int64)
        levels -= levels.min()
        return pool_strata(levels, focal, obs, min_per_group), total

    def main_test(keep: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
        stratum, total = strata_for(keep)
        res = (
            mantel_haenszel(m.values, focal, stratum)
            if binary
            else mantel_ordinal(score, focal, stratum)
        )
        adjusted = adjust_pvalues(
            np.where(np.isfinite(res["p_value"]), res["p_value"], np.nan), correction
        )
        return res, adjusted, total

    keep = np.ones(j, dtype=bool)
    rounds = []
    seen: list[frozenset[int]] = []
    converged = True
    res, adjusted, total = main_test(keep)
    flagged = np.nan_to_num(adjusted < significance).astype(bool)
    rounds.append((0, int(flagged.sum()), [m.items[i] for i in np.flatnonzero(flagged)]))
    if purify and theta is None:
        converged = False
        seen.append(frozenset(np.flatnonzero(flagged).tolist()))
        for iteration in range(1, max_iter + 1):
            if not flagged.any() or flagged.all():
                converged = True
                break
            keep = ~flagged
            res, adjusted, total = main_test(keep)
            flagged = np.nan_to_num(adjusted < significance).astype(bool)
            rounds.append(
                (iteration, int(flagged.sum()), [m.items[i] for i in np.flatnonzero(flagged)])
            )
            current = frozenset(np.flatnonzero(flagged).tolist())
            if current in seen:
                converged = True
                break
            seen.append(current)
    from scipy.stats import norm

    columns: dict[str, Any] = {"item": list(m.items), "n_strata": res["n_strata"]}
    if binary:
        z = norm.ppf(0.975)
        with np.errstate(invalid="ignore", divide="ignore"):  # an odds ratio of 0 or inf
            log_or = np.log(res["odds_ratio"])
            delta = -2.35 * log_or
            delta_se = 2.35 * res["se_log"]
            significant = res["p_value"] < 0.05
            above_one = (np.abs(delta) - 1) / delta_se > norm.ppf(0.95)
            ci_low = np.exp(log_or - z * res["se_log"])
            ci_high = np.exp(log_or + z * res["se_log"])
        ets = np.where(
            ~np.isfinite(delta),
            None,
            np.where(
                (np.abs(delta) < 1) | ~significant,
                "A",
                np.where((np.abs(delta) >= 1.5) & above_one, "C", "B"),
            ),
        )
        lr = logistic_dif(m.values, focal, total)
        lr_adjusted = adjust_pvalues(lr["lr_p_value"], correction)

        def grade(r2: np.ndarray, low: float, high: float) -> np.ndarray:
            return np.where(
                ~(lr_adjusted < significance) | ~np.isfinite(r2),
                "A",
                np.where(r2 >= high, "C", np.where(r2 >= low, "B", "A")),
            )

        columns |= {
            "mh_odds_ratio": res["odds_ratio"],
            "mh_odds_ratio_ci_low": ci_low,
            "mh_odds_ratio_ci_high": ci_high,
            "mh_statistic": res["statistic"],
            "mh_p_value": res["p_value"],
            "mh_p_adjusted": adjusted,
            "ets_delta": delta,
            "ets_delta_se": delta_se,
            "ets_class": pl.Series(ets.tolist(), dtype=pl.String),
            "group_effect": lr["group_effect"],
            "uniform_statistic": lr["uniform_statistic"],
            "uniform_p_value": lr["uniform_p_value"],
            "uniform_p_adjusted": adjust_pvalues(lr["uniform_p_value"], correction),
            "nonuniform_statistic": lr["nonuniform_statistic"],
            "nonuniform_p_value": lr["nonuniform_p_value"],
            "nonuniform_p_adjusted": adjust_pvalues(lr["nonuniform_p_value"], correction),
            "lr_statistic": lr["lr_statistic"],
            "lr_p_value": lr["lr_p_value"],
            "lr_p_adjusted": lr_adjusted,
            "delta_r2": lr["delta_r2"],
            "zumbo_thomas_class": grade(lr["delta_r2"], 0.13, 0.26),
            "jodoin_gierl_class": grade(lr["delta_r2"], 0.035, 0.07),
        }
        method = "Mantel-Haenszel"
    else:
        sd = np.nanstd(score, axis=0)
        effect = res["smd"] / np.where(sd > 0, sd, np.nan)
        significant = res["p_value"] < 0.05
        ets = np.where(
            ~np.isfinite(effect),
            None,
            np.where(
                ~significant | (np.abs(effect) <= 0.17),
                "AA",
                np.where(np.abs(effect) > 0.25, "CC", "BB"),
            ),
        )
        columns |= {
            "mantel_statistic": res["statistic"],
            "mantel_p_value": res["p_value"],
            "mantel_p_adjusted": adjusted,
            "smd": res["smd"],
            "smd_effect": effect,
            "ets_class": pl.Series(ets.tolist(), dtype=pl.String),
        }
        method = "Mantel"
    main = "mh_p_adjusted" if binary else "mantel_p_adjusted"
    table = (
        pl.DataFrame(columns, strict=False)
        .with_columns(pl.selectors.float().fill_nan(None))
        .with_columns(
            flagged=(pl.col(main) < significance).fill_null(False),
            purified=pl.Series(~keep),
        )
    )
    purification = pl.DataFrame(
        rounds,
        schema={"iteration": pl.Int64, "n_flagged": pl.Int64, "flagged_items": pl.List(pl.String)},
        orient="row",
    )
    return DIFResult(
        table=table,
        purification=purification,
        reference=ref,
        focal=focal_name,
        n_reference=int((focal == 0).sum()),
        n_focal=int((focal == 1).sum()),
        method=method,
        converged=converged,
        correction=correction,
        significance=significance,
        min_per_group=min_per_group,
    )
