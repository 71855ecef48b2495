"""Differential item functioning (DIF) between two groups of models.

Two methods, each vectorised over all items:

* **Mantel-Haenszel**: models are stratified on the matching variable (ability
  quantiles); for each item and stratum a 2 x 2 table of group (reference, focal) by
  response (right, wrong) is counted with one matrix product; the MH common odds ratio,
  the continuity-corrected MH chi-square (1 df) and ETS's delta (``-2.35 ln OR``) follow.
  An odds ratio above 1 means the item favours the reference group.
* **Logistic regression** (Swaminathan & Rogers): per item, ``logit P(right) = b0 + b1
  theta`` (M0), ``+ b2 group`` (M1), ``+ b3 group x theta`` (M2); likelihood-ratio
  chi-square tests (1 df) of M1 vs M0 (uniform DIF) and M2 vs M1 (non-uniform DIF),
  fitted for all items at once by batched Newton steps.

p-values are corrected over items by Benjamini-Hochberg (default) or Holm.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import polars as pl

from hierlab._tables import as_float_array
from hierlab.errors import InputShapeError, InputTypeError, InvalidValueError, format_items
from hierlab.irt.data import as_response_matrix
from hierlab.irt.fit import IRTFit
from hierlab.stats import adjust_pvalues, check_correction

__all__ = ["dif"]


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
    missing = [r for r in models if r not in mapping]
    if missing:
        raise InvalidValueError(f"No group given for model(s) {format_items(missing)}.")
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


def _mantel_haenszel(
    right: np.ndarray, focal: np.ndarray, stratum: np.ndarray
) -> dict[str, np.ndarray]:
    """MH odds ratio, chi-square (continuity corrected, 1 df) and p-value of every item.

    ``right`` (N x J) holds 1/0/NaN; ``focal`` (N,) 1 for the focal group; ``stratum`` (N,)
    integer strata. Strata where either group is empty for an item add nothing.
    """
    from scipy.stats import chi2

    obs = ~np.isnan(right)
    x = np.nan_to_num(right)
    strata = np.unique(stratum)
    s_ind = (stratum[None, :] == strata[:, None]).astype(float)  # (S, N)
    ref_ind = s_ind * (1 - focal)[None, :]
    foc_ind = s_ind * focal[None, :]
    a = ref_ind @ (x * obs)  # reference right (S, J)
    n_ref = ref_ind @ obs
    c = foc_ind @ (x * obs)  # focal right
    n_foc = foc_ind @ obs
    b = n_ref - a  # reference wrong
    d = n_foc - c  # focal wrong
    t = n_ref + n_foc
    valid = (n_ref > 0) & (n_foc > 0) & (t > 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        num = np.where(valid, a * d / t, 0).sum(axis=0)
        den = np.where(valid, b * c / t, 0).sum(axis=0)
        odds = num / den
        m1 = a + c  # right, both groups
        m0 = b + d
        expected = np.where(valid, n_ref * m1 / t, 0).sum(axis=0)
        variance = np.where(valid, n_ref * n_foc * m1 * m0 / (t**2 * (t - 1)), 0).sum(axis=0)
        stat = (np.abs(np.where(valid, a, 0).sum(axis=0) - expected) - 0.5) ** 2 / variance
    stat = np.where(variance > 0, stat, np.nan)
    return {"odds_ratio": odds, "statistic": stat, "p_value": chi2.sf(stat, 1)}


def _batched_logit(
    design: np.ndarray, y: np.ndarray, mask: np.ndarray, ridge: float = 1e-6, iters: int = 50
) -> tuple[np.ndarray, np.ndarray]:
    """Logistic regression of every column of y on one design matrix; returns log-likelihoods.

    A tiny ridge keeps separated items (common with few models) finite; it moves the
    log-likelihood by far less than the LR tests can resolve.
    """
    p = design.shape[1]
    j = y.shape[1]
    beta = np.zeros((j, p))
    eye = np.eye(p)[None]
    for _ in range(iters):
        eta = design @ beta.T  # (N, J)
        mu = 0.5 * (1 + np.tanh(0.5 * eta))
        grad = ((y - mu) * mask).T @ design - ridge * beta  # (J, p)
        w = mu * (1 - mu) * mask
        hess = np.einsum("nj,na,nb->jab", w, design, design) + ridge * eye
        step = np.linalg.solve(hess, grad[..., None])[..., 0]
        beta += np.clip(step, -5, 5)
        if np.max(np.abs(step)) < 1e-8:
            break
    eta = design @ beta.T
    ll = (mask * (y * eta - np.logaddexp(0.0, eta))).sum(axis=0)
    return beta, ll


def _logistic_regression(
    right: np.ndarray, focal: np.ndarray, theta: np.ndarray
) -> dict[str, np.ndarray]:
    """Uniform and non-uniform logistic-regression DIF of every item (LR chi-square, 1 df)."""
    from scipy.stats import chi2

    mask = (~np.isnan(right)).astype(float)
    y = np.nan_to_num(right)
    ones = np.ones_like(theta)
    _, ll0 = _batched_logit(np.column_stack([ones, theta]), y, mask)
    beta1, ll1 = _batched_logit(np.column_stack([ones, theta, focal]), y, mask)
    _, ll2 = _batched_logit(np.column_stack([ones, theta, focal, focal * theta]), y, mask)
    uniform = np.maximum(2 * (ll1 - ll0), 0)
    nonuniform = np.maximum(2 * (ll2 - ll1), 0)
    return {
        "group_effect": beta1[:, 2],
        "uniform_statistic": uniform,
        "uniform_p_value": chi2.sf(uniform, 1),
        "nonuniform_statistic": nonuniform,
        "nonuniform_p_value": chi2.sf(nonuniform, 1),
    }


def _matching(theta: Any, models: tuple[str, ...], right: np.ndarray) -> np.ndarray:
    """Return the matching variable: one value per model, in the responses' order."""
    if theta is None:
        return np.nanmean(right, axis=1)
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
    return match


def dif(
    responses: Any,
    groups: Any,
    *,
    reference: str | None = None,
    theta: Any = None,
    n_strata: int = 4,
    correction: str | None = "bh",
    significance: float = 0.05,
) -> pl.DataFrame:
    """Test every item for Mantel-Haenszel and logistic-regression DIF between two groups.

    Parameters
    ----------
    responses : ResponseMatrix, polars/pandas DataFrame or 2-D array
        Binary responses, models x items.
    groups : mapping or polars.DataFrame
        Model id -> group label (exactly two labels), or a two-column table of model ids
        and group labels.
    reference : str, optional
        The reference group (default: the first label in sorted order); the other is the
        focal group.
    theta : IRTFit, mapping, or array of float, optional
        The abilities to match on: a fit (its EAP abilities), a model -> theta mapping,
        or an array in the responses' model order. Default: each model's proportion right.
    n_strata : int, default 4
        Ability quantile strata for Mantel-Haenszel.
    correction : {"bh", "holm", "bonferroni"} or None, default "bh"
        Multiple-testing correction over items.
    significance : float, default 0.05
        An item is ``flagged`` when any of its three adjusted p-values is below it.

    Returns
    -------
    polars.DataFrame
        One row per item: ``item, mh_odds_ratio, mh_statistic`` (MH chi-square, 1 df),
        ``mh_p_value, mh_p_adjusted, ets_delta, ets_class`` (A negligible, B moderate, C
        large), ``group_effect`` (focal minus reference, logit), ``uniform_statistic,
        uniform_p_value, uniform_p_adjusted, nonuniform_statistic, nonuniform_p_value,
        nonuniform_p_adjusted`` (LR chi-square, 1 df), ``flagged``, ``reference``,
        ``focal`` and ``correction``; sorted by ``mh_p_value``.

    Raises
    ------
    InvalidValueError
        Models without a group, other than two groups, or an unknown reference group.

    Examples
    --------
    >>> from hierlab.irt import simulate_responses
    >>> sim = simulate_responses(1000, 10, seed=0)
    >>> values = sim.responses.values.copy()
    >>> values[500:, 0] = (np.random.default_rng(1).random(500) < 0.15)  # item_0 harder for B
    >>> groups = {str(i): ("A" if i < 500 else "B") for i in range(1000)}
    >>> out = dif(values, groups)
    >>> out["item"][0], bool(out["flagged"][0])
    ('item_0', True)
    """
    m = as_response_matrix(responses, binary=True)
    focal, ref, focal_name = _groups(m.models, groups, reference)
    correction = check_correction(correction)
    if isinstance(n_strata, bool) or not isinstance(n_strata, int) or n_strata < 1:
        raise InvalidValueError(f"`n_strata` must be a positive integer, got {n_strata!r}.")
    if isinstance(significance, bool) or not isinstance(significance, int | float):
        raise InputTypeError(f"`significance` must be a number such as 0.05, got {significance!r}.")
    if not 0 < significance < 1:
        raise InvalidValueError(f"`significance` must be in (0, 1), got {significance!r}.")
    right = m.values
    match = _matching(theta, m.models, right)
    edges = np.quantile(match, np.linspace(0, 1, n_strata + 1)[1:-1])
    stratum = np.searchsorted(edges, match, side="right")
    mh = _mantel_haenszel(right, focal, stratum)
    standard = (match - match.mean()) / (match.std() or 1.0)
    lr = _logistic_regression(right, focal, standard)
    with np.errstate(divide="ignore", invalid="ignore"):
        delta = -2.35 * np.log(mh["odds_ratio"])
    grade = np.where(np.abs(delta) >= 1.5, "C", np.where(np.abs(delta) >= 1.0, "B", "A"))
    out = pl.DataFrame(
        {
            "item": list(m.items),
            "mh_odds_ratio": mh["odds_ratio"],
            "mh_statistic": mh["statistic"],
            "mh_p_value": mh["p_value"],
            "mh_p_adjusted": adjust_pvalues(mh["p_value"], correction),
            "ets_delta": delta,
            "ets_class": pl.Series(grade, dtype=pl.String),
            "group_effect": lr["group_effect"],
            "uniform_statistic": lr["uniform_statistic"],
            "uniform_p_value": lr["uniform_p_value"],
            "uniform_p_adjusted": adjust_pvalues(lr["uniform_p_value"], correction),
            "nonuniform_statistic": lr["nonuniform_statistic"],
            "nonuniform_p_value": lr["nonuniform_p_value"],
            "nonuniform_p_adjusted": adjust_pvalues(lr["nonuniform_p_value"], correction),
        },
        strict=False,
    ).with_columns(
        pl.when(pl.col("ets_delta").is_finite()).then(pl.col("ets_class")).alias("ets_class")
    )
    flagged = (
        (pl.col("mh_p_adjusted") < significance)
        | (pl.col("uniform_p_adjusted") < significance)
        | (pl.col("nonuniform_p_adjusted") < significance)
    )
    return out.with_columns(
        flagged=flagged.fill_null(False),
        reference=pl.lit(ref),
        focal=pl.lit(focal_name),
        correction=pl.lit(correction, dtype=pl.String),
    ).sort("mh_p_value", nulls_last=True)
