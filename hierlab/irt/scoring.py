"""Ability estimates: MAP with standard errors and EAP with posterior SDs.

Both use the N(0, 1) ability prior, so they are finite for respondents who answer every
item right (or wrong). MAP: Newton's method on each respondent's log-posterior,
vectorised over respondents (analytic first and second derivatives). EAP: adaptive
Gauss-Hermite quadrature centred on the MAP and scaled by its standard error, so that the
posterior is resolved however long the test is (a fixed grid cannot resolve the posterior
of a 10,000-item test, whose SD is a few hundredths). Everything is summed in log space;
nothing multiplies thousands of probabilities.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from hierlab.errors import InvalidValueError, format_items
from hierlab.irt.data import ResponseMatrix
from hierlab.irt.kernels import make_kernel

__all__ = ["score", "score_matrix"]

_GH_NODES, _GH_WEIGHTS = np.polynomial.hermite.hermgauss(21)
_CHUNK_CELLS = 4_000_000


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def _derivatives(kernel, params: np.ndarray, values: np.ndarray, theta: np.ndarray, order: int = 2):
    """Log-likelihood of each respondent at ``theta`` (N, G) and its first two derivatives
    (``order=0``: the log-likelihood only, the others are None).

    ``values`` (N, J) holds categories with NaN for missing; the prior is not included.
    """
    obs = ~np.isnan(values)
    x = np.nan_to_num(values).astype(np.int64)
    public = kernel.to_public(params)
    a = public["a"] if "a" in public else np.ones(len(params))
    th = theta[:, :, None]  # (N, G, 1)
    if kernel.model != "grm":
        c = public.get("c", np.zeros(len(params)))
        d = public["d"]
        eta = th * a + d  # (N, G, J)
        s = _sigmoid(eta)
        p = c + (1 - c) * s
        one = (x == 1)[:, None, :]
        if order == 0:
            pr = np.clip(np.where(one, p, 1 - p), 1e-300, None)
            return np.where(obs[:, None, :], np.log(pr), 0.0).sum(axis=2), None, None
        dp = a * (1 - c) * s * (1 - s)
        d2p = a**2 * (1 - c) * s * (1 - s) * (1 - 2 * s)
        pr = np.where(one, p, 1 - p)
        dpr = np.where(one, dp, -dp)
        d2pr = np.where(one, d2p, -d2p)
    else:
        thr = np.column_stack([public[f"b{k}"] for k in range(1, kernel.n_categories)])  # (J, K-1)
        cum = _sigmoid(a[None, None, :, None] * (th[..., None] - thr[None, None]))  # (N, G, J, K-1)
        w = cum * (1 - cum)
        dcum = a[None, None, :, None] * w
        d2cum = a[None, None, :, None] ** 2 * w * (1 - 2 * cum)
        pad1 = np.ones((*cum.shape[:3], 1))
        pad0 = np.zeros((*cum.shape[:3], 1))
        upper = np.concatenate([pad1, cum], axis=3)
        lower = np.concatenate([cum, pad0], axis=3)
        dup = np.concatenate([pad0, dcum], axis=3)
        dlo = np.concatenate([dcum, pad0], axis=3)
        d2up = np.concatenate([pad0, d2cum], axis=3)
        d2lo = np.concatenate([d2cum, pad0], axis=3)
        idx = np.broadcast_to(x[:, None, :, None], (*cum.shape[:3], 1))
        pr = np.take_along_axis(upper - lower, idx, axis=3)[..., 0]
        dpr = np.take_along_axis(dup - dlo, idx, axis=3)[..., 0]
        d2pr = np.take_along_axis(d2up - d2lo, idx, axis=3)[..., 0]
    pr = np.clip(pr, 1e-300, None)
    mask = obs[:, None, :]
    ll = np.where(mask, np.log(pr), 0.0).sum(axis=2)
    if order == 0:
        return ll, None, None
    g = np.where(mask, dpr / pr, 0.0)
    d1 = g.sum(axis=2)
    d2 = np.where(mask, d2pr / pr, 0.0).sum(axis=2) - (g**2).sum(axis=2)
    return ll, d1, d2


def _chunked(kernel, params, values, theta, order: int = 2):
    n, g = theta.shape
    rows = max(
        1,
        _CHUNK_CELLS
        // max(1, g * values.shape[1] * (kernel.n_categories if kernel.model == "grm" else 1)),
    )
    out = [np.empty((n, g)) for _ in range(3 if order else 1)]
    for s in range(0, n, rows):
        res = _derivatives(kernel, params, values[s : s + rows], theta[s : s + rows], order)
        for o, r in zip(out, res, strict=False):
            o[s : s + rows] = r
    return out if order else (out[0], None, None)


def _map(kernel, params, values, start: np.ndarray, max_iter: int = 50, tol: float = 1e-7):
    """Newton's method on the log-posterior, only for respondents not yet converged."""
    theta = start.copy()
    info = np.ones_like(theta)
    todo = np.arange(len(theta))
    for _ in range(max_iter):
        _, d1, d2 = _chunked(kernel, params, values[todo], theta[todo, None])
        grad = d1[:, 0] - theta[todo]
        hess = d2[:, 0] - 1.0
        info[todo] = np.maximum(-hess, 1e-12)
        hess = np.where(hess < -1e-6, hess, -1.0)
        step = np.clip(-grad / hess, -1.0, 1.0)
        theta[todo] += step
        todo = todo[np.abs(step) >= tol]
        if len(todo) == 0:
            break
    return theta, 1.0 / np.sqrt(info)


def _eap(kernel, params, values, mode: np.ndarray, se: np.ndarray):
    scale = 1.5 * se
    nodes = mode[:, None] + np.sqrt(2.0) * scale[:, None] * _GH_NODES[None, :]
    ll, _, _ = _chunked(kernel, params, values, nodes, order=0)
    log_post = ll - 0.5 * nodes**2  # likelihood x N(0, 1) prior
    log_w = np.log(_GH_WEIGHTS)[None, :] + _GH_NODES[None, :] ** 2 + log_post
    log_w -= log_w.max(axis=1, keepdims=True)
    w = np.exp(log_w)
    w /= w.sum(axis=1, keepdims=True)
    mean = (w * nodes).sum(axis=1)
    sd = np.sqrt((w * (nodes - mean[:, None]) ** 2).sum(axis=1))
    return mean, sd


def _abilities(m: ResponseMatrix, fit: Any, start: np.ndarray | None = None) -> pl.DataFrame:
    kernel = make_kernel(fit.model, len(fit.categories), fit.prior)
    values = m.values
    obs = m.observed
    start = np.zeros(values.shape[0]) if start is None else start
    theta_map, se = _map(kernel, fit.params, values, start)
    theta_eap, sd = _eap(kernel, fit.params, values, theta_map, se)
    scores = np.asarray(fit.categories)[np.nan_to_num(values).astype(int)]
    n = obs.sum(axis=1)
    return pl.DataFrame(
        {
            "respondent": list(m.respondents),
            "theta": theta_eap,
            "theta_sd": sd,
            "theta_map": theta_map,
            "theta_map_se": se,
            "n": n,
            "mean": np.where(obs, scores, 0).sum(axis=1) / np.maximum(n, 1),
        }
    )


def score_matrix(m: ResponseMatrix, fit: Any, start: np.ndarray | None = None) -> pl.DataFrame:
    """Abilities of the respondents of a response matrix whose items are the fit's items
    (``start``: initial values for MAP, e.g. the EM grid's posterior means)."""
    return _abilities(m, fit, start)


def score(responses: Any, fit: Any) -> pl.DataFrame:
    """Score new respondents against frozen item parameters.

    Parameters
    ----------
    responses : anything :func:`~hierlab.irt.as_response_matrix` accepts
        Item columns must be items of ``fit`` (any subset, in any order); missing items
        are simply unanswered.
    fit : IRTFit

    Returns
    -------
    polars.DataFrame
        ``respondent, theta, theta_sd, theta_map, theta_map_se, n, mean``.

    Raises
    ------
    InvalidValueError
        Item columns that the fit does not know (they are listed).

    Examples
    --------
    >>> from hierlab.irt import fit_irt, simulate_responses
    >>> sim = simulate_responses(300, 15, seed=1)
    >>> fitted = fit_irt(sim.responses)
    >>> new = sim.responses.to_polars().head(2)
    >>> score(new, fitted).select("respondent", "n").rows()
    [('0', 15), ('1', 15)]
    """
    if isinstance(responses, ResponseMatrix):
        m = responses
    else:
        m = _as_scoring_matrix(responses, fit)
    known = {item: j for j, item in enumerate(fit.items["item"].to_list())}
    unknown = [i for i in m.items if i not in known]
    if unknown:
        raise InvalidValueError(
            f"{len(unknown)} item column(s) are not items of the fitted model: "
            f"{format_items(unknown)}. Score only items the model was fitted on "
            f"(it has {len(known)}, e.g. {format_items(list(known)[:3])})."
        )
    values = np.full((m.shape[0], len(known)), np.nan)
    values[:, [known[i] for i in m.items]] = m.values
    full = ResponseMatrix(
        values=values, respondents=m.respondents, items=tuple(known), categories=m.categories
    )
    if fit.model != "grm" and m.n_categories != 2:
        raise InvalidValueError("Binary models score binary responses only.")
    return _abilities(full, fit)


def _as_scoring_matrix(responses: Any, fit: Any) -> ResponseMatrix:
    """Like as_response_matrix, but one respondent is fine and categories follow the fit."""
    from hierlab.irt.data import _to_array

    values, respondents, items = _to_array(responses, None)
    if values.ndim != 2:
        raise InvalidValueError(
            f"Responses must be 2-D (respondents x items), got shape {values.shape}."
        )
    observed = ~np.isnan(values)
    cats = np.asarray(fit.categories)
    bad = observed & ~np.isin(values, cats)
    if bad.any():
        cols = [items[j] for j in np.flatnonzero(bad.any(axis=0))]
        raise InvalidValueError(
            f"Item column(s) {format_items(cols)} hold values other than the fitted "
            f"categories {format_items(cats.tolist())} (or NaN for missing)."
        )
    coded = np.where(observed, np.searchsorted(cats, np.nan_to_num(values)), np.nan)
    return ResponseMatrix(
        values=coded,
        respondents=tuple(respondents),
        items=tuple(items),
        categories=tuple(float(c) for c in cats),
    )
