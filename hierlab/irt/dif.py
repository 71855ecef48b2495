"""Differential item functioning (DIF) between two groups of respondents.

Two methods, each vectorised over all items:

* **Mantel-Haenszel**: respondents are stratified on the matching variable (ability
  quantiles); for each item and stratum a 2 x 2 table of group (reference, focal) by
  response (right, wrong) is counted with one matrix product; the MH common odds ratio,
  the continuity-corrected MH chi-square and ETS's delta (``-2.35 ln OR``) follow. An odds
  ratio above 1 means the item favours the reference group.
* **Logistic regression** (Swaminathan & Rogers): per item, ``logit P(right) = b0 + b1
  theta`` (M0), ``+ b2 group`` (M1), ``+ b3 group x theta`` (M2); likelihood-ratio tests
  M1 vs M0 (uniform DIF) and M2 vs M1 (non-uniform DIF), fitted for all items at once by
  batched Newton steps.

p-values are corrected over items by Benjamini-Hochberg (default) or Holm.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from hierlab.errors import InvalidValueError, format_items
from hierlab.irt.data import as_response_matrix
from hierlab.stats import adjust_pvalues

__all__ = ["dif", "logistic_dif", "mantel_haenszel_dif"]


def _groups(
    respondents: tuple[str, ...], groups: Any, reference: str | None
) -> tuple[np.ndarray, str, str]:
    mapping = dict(groups) if not isinstance(groups, pl.DataFrame) else dict(groups.iter_rows())
    missing = [r for r in respondents if r not in mapping]
    if missing:
        raise InvalidValueError(f"No group given for respondent(s) {format_items(missing)}.")
    labels = np.array([str(mapping[r]) for r in respondents])
    levels = sorted(set(labels))
    if len(levels) != 2:
        raise InvalidValueError(
            f"DIF compares exactly two groups; got {len(levels)}: {format_items(levels)}."
        )
    ref = reference if reference is not None else levels[0]
    if ref not in levels:
        raise InvalidValueError(f"Reference group {ref!r} is not one of {format_items(levels)}.")
    focal = levels[1] if ref == levels[0] else levels[0]
    return (labels == focal).astype(float), ref, focal


def mantel_haenszel_dif(
    right: np.ndarray, focal: np.ndarray, stratum: np.ndarray
) -> dict[str, np.ndarray]:
    """MH odds ratio, chi-square (continuity corrected) and p-value for every item.

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
    return {"odds_ratio": odds, "chi2": stat, "p": chi2.sf(stat, 1)}


def _batched_logit(
    design: np.ndarray, y: np.ndarray, mask: np.ndarray, ridge: float = 1e-6, iters: int = 50
):
    """Logistic regression of every column of y on one design matrix; returns log-likelihoods.

    A tiny ridge keeps separated items (common with few respondents) finite; it moves
    the log-likelihood by far less than the LR tests can resolve.
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


def logistic_dif(right: np.ndarray, focal: np.ndarray, theta: np.ndarray) -> dict[str, np.ndarray]:
    """Uniform and non-uniform logistic-regression DIF for every item (LR tests)."""
    from scipy.stats import chi2

    mask = (~np.isnan(right)).astype(float)
    y = np.nan_to_num(right)
    ones = np.ones_like(theta)
    _, ll0 = _batched_logit(np.column_stack([ones, theta]), y, mask)
    beta1, ll1 = _batched_logit(np.column_stack([ones, theta, focal]), y, mask)
    _, ll2 = _batched_logit(np.column_stack([ones, theta, focal, focal * theta]), y, mask)
    lr_u = np.maximum(2 * (ll1 - ll0), 0)
    lr_n = np.maximum(2 * (ll2 - ll1), 0)
    return {
        "group_effect": beta1[:, 2],
        "lr_uniform": lr_u,
        "p_uniform": chi2.sf(lr_u, 1),
        "lr_nonuniform": lr_n,
        "p_nonuniform": chi2.sf(lr_n, 1),
    }


def dif(
    responses: Any,
    groups: Any,
    reference: str | None = None,
    theta: Any = None,
    n_strata: int = 4,
    correction: str = "bh",
    alpha: float = 0.05,
) -> pl.DataFrame:
    """Mantel-Haenszel and logistic-regression DIF of every item between two groups.

    Parameters
    ----------
    responses : respondents x items, binary
    groups : mapping respondent -> group label (exactly two labels), or a two-column table
    reference : the reference group (default: the first label in sorted order)
    theta : abilities to match on (an IRTFit, a respondent -> theta mapping, or an array in
        respondent order); default: each respondent's proportion right
    n_strata : ability quantile strata for Mantel-Haenszel
    correction : "bh" or "holm", over items

    Returns
    -------
    polars.DataFrame
        ``item, mh_odds_ratio, mh_chi2, mh_p, mh_p_adj, ets_delta, ets_class`` (A
        negligible, B moderate, C large), ``group_effect`` (focal minus reference, logit),
        ``lr_uniform, p_uniform, p_uniform_adj, lr_nonuniform, p_nonuniform,
        p_nonuniform_adj, flagged``, sorted by ``mh_p``.

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
    focal, ref, foc_name = _groups(m.respondents, groups, reference)
    right = m.values
    if theta is None:
        match = np.nanmean(right, axis=1)
    elif hasattr(theta, "abilities"):
        lookup = dict(theta.abilities.select("respondent", "theta").iter_rows())
        match = np.array([lookup[r] for r in m.respondents])
    elif isinstance(theta, dict):
        match = np.array([theta[r] for r in m.respondents], dtype=float)
    else:
        match = np.asarray(theta, dtype=float)
    if len(match) != len(m.respondents):
        raise InvalidValueError("theta must have one value per respondent.")
    edges = np.quantile(match, np.linspace(0, 1, n_strata + 1)[1:-1])
    stratum = np.searchsorted(edges, match, side="right")
    mh = mantel_haenszel_dif(right, focal, stratum)
    standard = (match - match.mean()) / (match.std() or 1.0)
    lr = logistic_dif(right, focal, standard)
    with np.errstate(divide="ignore", invalid="ignore"):
        delta = -2.35 * np.log(mh["odds_ratio"])
    mh_adj = adjust_pvalues(mh["p"], correction)
    grade = np.where(np.abs(delta) >= 1.5, "C", np.where(np.abs(delta) >= 1.0, "B", "A"))
    ets = pl.Series(
        [g if np.isfinite(x) else None for g, x in zip(grade, delta, strict=True)], dtype=pl.String
    )
    out = pl.DataFrame(
        {
            "item": list(m.items),
            "mh_odds_ratio": mh["odds_ratio"],
            "mh_chi2": mh["chi2"],
            "mh_p": mh["p"],
            "mh_p_adj": mh_adj,
            "ets_delta": delta,
            "ets_class": ets,
            "group_effect": lr["group_effect"],
            "lr_uniform": lr["lr_uniform"],
            "p_uniform": lr["p_uniform"],
            "p_uniform_adj": adjust_pvalues(lr["p_uniform"], correction),
            "lr_nonuniform": lr["lr_nonuniform"],
            "p_nonuniform": lr["p_nonuniform"],
            "p_nonuniform_adj": adjust_pvalues(lr["p_nonuniform"], correction),
        },
        strict=False,
    )
    flagged = (
        (pl.col("mh_p_adj") < alpha)
        | (pl.col("p_uniform_adj") < alpha)
        | (pl.col("p_nonuniform_adj") < alpha)
    )
    return out.with_columns(
        flagged=flagged.fill_null(False), reference=pl.lit(ref), focal=pl.lit(foc_name)
    ).sort("mh_p", nulls_last=True)
