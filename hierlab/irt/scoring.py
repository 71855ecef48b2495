"""Ability estimates: MAP with standard errors and EAP with posterior standard deviations.

Both use the N(0, 1) ability prior, so they are finite for models that answer every item
right (or wrong). MAP: Newton's method on each model's log-posterior, vectorised over
models (analytic first and second derivatives). EAP: adaptive Gauss-Hermite quadrature
centred on the MAP and scaled by its standard error, so that the posterior is resolved
however long the test is (a fixed grid cannot resolve the posterior of a 10,000-item
test, whose SD is a few hundredths). Everything is summed in log space; nothing
multiplies thousands of probabilities.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from hierlab._tables import as_float_array, as_polars, require_columns
from hierlab.errors import InputShapeError, InputTypeError, InvalidValueError, format_items
from hierlab.irt.data import ResponseMatrix, response_values
from hierlab.irt.models import item_parameters

__all__ = ["estimate_abilities", "score"]

_GH_NODES, _GH_WEIGHTS = np.polynomial.hermite.hermgauss(21)
_CHUNK_CELLS = 4_000_000


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def _derivatives(
    params: dict[str, np.ndarray], values: np.ndarray, theta: np.ndarray, order: int = 2
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """Log-likelihood of each model at ``theta`` (N, G) and its first two derivatives.

    ``order=0``: the log-likelihood only (the others are None). ``values`` (N, J) holds
    categories with NaN for missing; the prior is not included.
    """
    obs = ~np.isnan(values)
    x = np.nan_to_num(values).astype(np.int64)
    a = params["a"]
    th = theta[:, :, None]  # (N, G, 1)
    if "thresholds" not in params:
        c, d = params["c"], params["d"]
        s = _sigmoid(th * a + d)  # (N, G, J)
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
        thr = params["thresholds"]  # (J, K-1)
        cum = _sigmoid(a[None, None, :, None] * (th[..., None] - thr[None, None]))  # (N,G,J,K-1)
        w = cum * (1 - cum)
        dcum = a[None, None, :, None] * w
        d2cum = a[None, None, :, None] ** 2 * w * (1 - 2 * cum)
        pad1 = np.ones((*cum.shape[:3], 1))
        pad0 = np.zeros((*cum.shape[:3], 1))
        idx = np.broadcast_to(x[:, None, :, None], (*cum.shape[:3], 1))

        def pick(inner: np.ndarray, top: np.ndarray) -> np.ndarray:
            """P(X = x) = P(X >= x) - P(X >= x + 1) (or a derivative), at each response."""
            upper = np.concatenate([top, inner], axis=3)
            lower = np.concatenate([inner, pad0], axis=3)
            return np.take_along_axis(upper - lower, idx, axis=3)[..., 0]

        pr = pick(cum, pad1)
        dpr = pick(dcum, pad0)
        d2pr = pick(d2cum, pad0)
    pr = np.clip(pr, 1e-300, None)
    mask = obs[:, None, :]
    ll = np.where(mask, np.log(pr), 0.0).sum(axis=2)
    if order == 0:
        return ll, None, None
    g = np.where(mask, dpr / pr, 0.0)
    d1 = g.sum(axis=2)
    d2 = np.where(mask, d2pr / pr, 0.0).sum(axis=2) - (g**2).sum(axis=2)
    return ll, d1, d2


def _chunked(
    params: dict[str, np.ndarray], values: np.ndarray, theta: np.ndarray, order: int = 2
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    n, g = theta.shape
    width = params["thresholds"].shape[1] + 1 if "thresholds" in params else 1
    rows = max(1, _CHUNK_CELLS // max(1, g * values.shape[1] * width))
    out = [np.empty((n, g)) for _ in range(3 if order else 1)]
    for s in range(0, n, rows):
        res = _derivatives(params, values[s : s + rows], theta[s : s + rows], order)
        for o, r in zip(out, res, strict=False):
            o[s : s + rows] = r
    return (out[0], out[1], out[2]) if order else (out[0], None, None)


def _map(
    params: dict[str, np.ndarray],
    values: np.ndarray,
    start: np.ndarray,
    max_iter: int = 50,
    tol: float = 1e-7,
) -> tuple[np.ndarray, np.ndarray]:
    """Newton's method on the log-posterior, only for models not yet converged."""
    theta = start.copy()
    info = np.ones_like(theta)
    todo = np.arange(len(theta))
    for _ in range(max_iter):
        _, d1, d2 = _chunked(params, values[todo], theta[todo, None])
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


def _eap(
    params: dict[str, np.ndarray], values: np.ndarray, mode: np.ndarray, se: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    scale = 1.5 * se
    nodes = mode[:, None] + np.sqrt(2.0) * scale[:, None] * _GH_NODES[None, :]
    ll, _, _ = _chunked(params, values, nodes, order=0)
    log_post = ll - 0.5 * nodes**2  # likelihood x N(0, 1) prior
    log_w = np.log(_GH_WEIGHTS)[None, :] + _GH_NODES[None, :] ** 2 + log_post
    log_w -= log_w.max(axis=1, keepdims=True)
    w = np.exp(log_w)
    w /= w.sum(axis=1, keepdims=True)
    mean = (w * nodes).sum(axis=1)
    sd = np.sqrt((w * (nodes - mean[:, None]) ** 2).sum(axis=1))
    return mean, sd


def estimate_abilities(responses: ResponseMatrix, items: Any, *, start: Any = None) -> pl.DataFrame:
    """Return the abilities of the models of a response matrix, given item parameters.

    The scoring step of :func:`~hierlab.irt.fit_irt` and :func:`score`, for item
    parameters from any source (a fit's ``items``, a published item bank).

    Parameters
    ----------
    responses : ResponseMatrix
        The responses; every item must be a row of ``items``.
    items : polars or pandas DataFrame
        One row per item: ``item`` and the parameters (``a``, ``b``, ``c`` or the GRM
        thresholds ``b1, b2, ...``), as in :attr:`IRTFit.items <hierlab.irt.IRTFit>`.
    start : array of float, optional
        Starting values of the MAP search, one per model (default 0).

    Returns
    -------
    polars.DataFrame
        One row per model: ``model, theta`` (EAP), ``theta_se`` (posterior SD),
        ``theta_map, theta_map_se, n`` (responses), ``mean`` (mean score).

    Raises
    ------
    InputTypeError
        ``responses`` is not a ResponseMatrix.
    InvalidValueError
        Items of ``responses`` missing from ``items`` (they are listed), or graded
        responses with binary parameters (and the reverse).

    Examples
    --------
    >>> items = pl.DataFrame({"item": ["q1", "q2"], "a": [1.0, 1.0], "b": [0.0, 0.0]})
    >>> m = ResponseMatrix(np.array([[1.0, 1.0], [0.0, 0.0]]), ("good", "bad"), ("q1", "q2"))
    >>> ab = estimate_abilities(m, items)
    >>> ab["model"].to_list(), bool(ab["theta"][0] > 0 > ab["theta"][1])
    (['good', 'bad'], True)
    """
    if not isinstance(responses, ResponseMatrix):
        raise InputTypeError(
            f"`responses` must be a ResponseMatrix, got {type(responses).__name__}; "
            "convert with as_response_matrix() or use score()."
        )
    table = as_polars(items, "The items table `items`")
    require_columns(table, ["item"], "The items table")
    names = table["item"].cast(pl.String).to_list()
    known = dict(zip(names, range(len(names)), strict=True))
    unknown = [i for i in responses.items if i not in known]
    if unknown:
        raise InvalidValueError(
            f"{len(unknown)} item(s) of the responses have no parameters in `items`: "
            f"{format_items(unknown)}."
        )
    rows = np.fromiter((known[i] for i in responses.items), dtype=np.int64)
    params = {k: v[rows] for k, v in item_parameters(table).items()}
    graded = "thresholds" in params
    if graded and params["thresholds"].shape[1] + 1 != responses.n_categories:
        raise InvalidValueError(
            f"The items have {params['thresholds'].shape[1] + 1} graded categories, the "
            f"responses {responses.n_categories} ({format_items(responses.categories)})."
        )
    if not graded and responses.n_categories != 2:
        raise InvalidValueError(
            "Binary item parameters score binary responses only; the responses have "
            f"{responses.n_categories} categories."
        )
    values = responses.values
    if start is None:
        start = np.zeros(values.shape[0])
    else:
        start = as_float_array(start, "`start`", ndim=1)
        if len(start) != values.shape[0]:
            raise InputShapeError(
                f"`start` needs one value per model ({values.shape[0]}), got {len(start)}."
            )
    theta_map, se = _map(params, values, start)
    theta_eap, sd = _eap(params, values, theta_map, se)
    n = responses.observed.sum(axis=1)
    return pl.DataFrame(
        {
            "model": list(responses.models),
            "theta": theta_eap,
            "theta_se": sd,
            "theta_map": theta_map,
            "theta_map_se": se,
            "n": n,
            "mean": np.nansum(responses.scores(), axis=1) / np.maximum(n, 1),
        },
        schema_overrides={"model": pl.String},
    )


def score(responses: Any, fit: Any) -> pl.DataFrame:
    """Score new models against the frozen item parameters of a fit.

    Parameters
    ----------
    responses : ResponseMatrix, polars/pandas DataFrame or 2-D array
        Models are rows; item columns must be items of ``fit`` (any subset, in any
        order); items a model did not answer are missing. One model is enough.
    fit : IRTFit
        The fitted model whose items score the responses.

    Returns
    -------
    polars.DataFrame
        ``model, theta, theta_se, theta_map, theta_map_se, n, mean`` (see
        :func:`estimate_abilities`).

    Raises
    ------
    InvalidValueError
        Item columns that the fit does not know (they are listed), or values that are
        not the fit's categories.

    Examples
    --------
    >>> from hierlab.irt import fit_irt, simulate_responses
    >>> sim = simulate_responses(300, 15, seed=1)
    >>> fitted = fit_irt(sim.responses)
    >>> new = sim.responses.to_polars().head(2)
    >>> score(new, fitted).select("model", "n").rows()
    [('0', 15), ('1', 15)]
    """
    from hierlab.irt.fit import as_irt_fit

    fit = as_irt_fit(fit)
    m = responses if isinstance(responses, ResponseMatrix) else _coded(responses, fit)
    known = set(fit.items["item"].to_list())
    unknown = [i for i in m.items if i not in known]
    if unknown:
        raise InvalidValueError(
            f"{len(unknown)} item column(s) are not items of the fitted model: "
            f"{format_items(unknown)}. Score only items the model was fitted on "
            f"(it has {len(known)}, e.g. {format_items(fit.items['item'].head(3).to_list())})."
        )
    return estimate_abilities(m, fit.items)


def _coded(responses: Any, fit: Any) -> ResponseMatrix:
    """Like as_response_matrix, but one model is enough and the categories are the fit's."""
    values, models, items = response_values(responses)
    observed = ~np.isnan(values)
    cats = np.asarray(fit.categories)
    bad = observed & ~np.isin(values, cats)
    if bad.any():
        cols = np.asarray(items, dtype=object)[bad.any(axis=0)].tolist()
        raise InvalidValueError(
            f"Item column(s) {format_items(cols)} hold values other than the fitted "
            f"categories {format_items(cats.tolist())} (or NaN for missing)."
        )
    coded = np.where(observed, np.searchsorted(cats, np.nan_to_num(values)), np.nan)
    return ResponseMatrix(
        values=coded,
        models=tuple(models),
        items=tuple(items),
        categories=tuple(float(c) for c in cats),
    )
