"""Ability estimates: EAP, MAP, maximum likelihood and Warm's weighted likelihood (WLE).

EAP and MAP use the N(0, sigma^2) ability prior (sigma = 1 except for the Rasch model), so
they are finite for models that answer every item right (or wrong); ML and WLE use no
prior (ML is infinite for such models, reported as +-inf; WLE stays finite). MAP: Newton's method on each model's log-posterior, vectorised over
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
from hierlab.irt.fitted import as_irt_fit
from hierlab.irt.models import item_parameters

__all__ = ["estimate_abilities", "score"]

ESTIMATORS = ("eap", "map", "ml", "wle")

_GH = {n: np.polynomial.hermite.hermgauss(n) for n in (7, 11, 21)}
_CHUNK_CELLS = 1_000_000


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
    if "steps" in params:
        probs = _gpcm_probs(a, params["steps"], theta)  # (N, G, J, K)
        kk = np.arange(probs.shape[3])
        mean = (probs * kk).sum(axis=3)
        var = (probs * kk**2).sum(axis=3) - mean**2
        pr = np.take_along_axis(probs, x[:, None, :, None], axis=3)[..., 0]
        if order == 0:
            pr = np.clip(pr, 1e-300, None)
            return np.where(obs[:, None, :], np.log(pr), 0.0).sum(axis=2), None, None
        g = a * (x[:, None, :] - mean)  # d log P_x / d theta
        dpr = pr * g
        d2pr = pr * (g**2 - a**2 * var)
    elif "thresholds" not in params:
        c, d, u = params["c"], params["d"], params.get("u", 1.0)
        s = _sigmoid(th * a + d)  # (N, G, J)
        p = c + (u - c) * s
        one = (x == 1)[:, None, :]
        if order == 0:
            pr = np.clip(np.where(one, p, 1 - p), 1e-300, None)
            return np.where(obs[:, None, :], np.log(pr), 0.0).sum(axis=2), None, None
        dp = a * (u - c) * s * (1 - s)
        d2p = a**2 * (u - c) * s * (1 - s) * (1 - 2 * s)
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


def _gpcm_probs(a: np.ndarray, steps: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """GPCM category probabilities at abilities ``theta`` (N, G): shape (N, G, J, K)."""
    inc = a[None, None, :, None] * (theta[:, :, None, None] - steps[None, None])
    zero = np.zeros((*inc.shape[:3], 1))
    eta = np.concatenate([zero, np.cumsum(inc, axis=3)], axis=3)
    eta -= eta.max(axis=3, keepdims=True)
    p = np.exp(eta)
    return p / p.sum(axis=3, keepdims=True)


def _width(params: dict[str, np.ndarray]) -> int:
    """Categories per item (1 for binary items, whose arrays hold one probability)."""
    for key in ("thresholds", "steps"):
        if key in params:
            return params[key].shape[1] + 1
    return 1


def _chunked(
    params: dict[str, np.ndarray], values: np.ndarray, theta: np.ndarray, order: int = 2
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    n, g = theta.shape
    rows = max(1, _CHUNK_CELLS // max(1, g * values.shape[1] * _width(params)))
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
    # 21 nodes; 11 or 7 for long tests, whose posteriors are normal to high accuracy
    shortest = int((~np.isnan(values)).sum(axis=1).min()) if len(values) else 0
    gh_nodes, gh_weights = _GH[21 if shortest < 300 else 11 if shortest < 3000 else 7]
    scale = 1.5 * se
    nodes = mode[:, None] + np.sqrt(2.0) * scale[:, None] * gh_nodes[None, :]
    ll, _, _ = _chunked(params, values, nodes, order=0)
    log_post = ll - 0.5 * nodes**2  # likelihood x N(0, 1) prior
    log_w = np.log(gh_weights)[None, :] + gh_nodes[None, :] ** 2 + log_post
    log_w -= log_w.max(axis=1, keepdims=True)
    w = np.exp(log_w)
    w /= w.sum(axis=1, keepdims=True)
    mean = (w * nodes).sum(axis=1)
    sd = np.sqrt((w * (nodes - mean[:, None]) ** 2).sum(axis=1))
    return mean, sd


def estimate_abilities(
    responses: ResponseMatrix,
    items: Any,
    *,
    start: Any = None,
    latent_sd: float = 1.0,
    estimators: Any = ("eap", "map"),
) -> pl.DataFrame:
    """Return the abilities of the models of a response matrix, given item parameters.

    The scoring step of :func:`~hierlab.irt.fit_irt` and :func:`score`, for item
    parameters from any source (a fit's ``items``, a published item bank).

    Parameters
    ----------
    responses : ResponseMatrix
        The responses; every item must be a row of ``items``.
    items : polars or pandas DataFrame
        One row per item: ``item`` and the parameters (``a``, ``b``, ``c``; the GRM
        thresholds ``b1, b2, ...``; the GPCM/PCM steps ``s1, s2, ...``), as in
        :attr:`IRTFit.items <hierlab.irt.IRTFit>`.
    start : array of float, optional
        Starting values of the MAP search, one per model (default 0).
    latent_sd : float, default 1.0
        SD of the N(0, latent_sd^2) ability prior of EAP and MAP (a Rasch fit's
        ``latent_sd``).
    estimators : sequence of {"eap", "map", "ml", "wle"}, default ("eap", "map")
        EAP and MAP are always computed; "ml" adds the maximum-likelihood estimate
        (``theta_ml``, ``theta_ml_se``; +-inf for all-right or all-wrong patterns) and
        "wle" Warm's weighted likelihood estimate (``theta_wle``, ``theta_wle_se``;
        finite, with less bias than ML on short tests).

    Returns
    -------
    polars.DataFrame
        One row per model: ``model, theta`` (EAP), ``theta_se`` (posterior SD),
        ``theta_map, theta_map_se, n`` (responses), ``mean`` (mean score), and the ML and
        WLE columns when asked for.

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
    graded = "thresholds" in params or "steps" in params
    if graded and _width(params) != responses.n_categories:
        raise InvalidValueError(
            f"The items have {_width(params)} graded categories, the "
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
    wanted = _estimators(estimators)
    sigma = _positive(latent_sd, "latent_sd")
    std = _standardised(params, sigma)
    theta_map, se = _map(std, values, start / sigma)
    theta_eap, sd = _eap(std, values, theta_map, se)
    n = responses.observed.sum(axis=1)
    columns = {
        "model": list(responses.models),
        "theta": theta_eap * sigma,
        "theta_se": sd * sigma,
        "theta_map": theta_map * sigma,
        "theta_map_se": se * sigma,
        "n": n,
        "mean": np.nansum(responses.scores(), axis=1) / np.maximum(n, 1),
    }
    for name in ("ml", "wle"):
        if name in wanted:
            est, est_se = _likelihood_estimate(params, values, weighted=name == "wle")
            columns[f"theta_{name}"] = est
            columns[f"theta_{name}_se"] = est_se
    return pl.DataFrame(columns, schema_overrides={"model": pl.String})


def _estimators(estimators: Any) -> tuple[str, ...]:
    if isinstance(estimators, str):
        estimators = (estimators,)
    try:
        wanted = tuple(estimators)
    except TypeError:
        raise InputTypeError(
            f"`estimators` must be a list of names from {ESTIMATORS}, got "
            f"{type(estimators).__name__}."
        ) from None
    unknown = [e for e in wanted if e not in ESTIMATORS]
    if unknown:
        raise InvalidValueError(
            f"Unknown ability estimator(s) {format_items(unknown)}; choose from "
            f"{format_items(ESTIMATORS)}."
        )
    return wanted


def _positive(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.floating | np.integer):
        raise InputTypeError(f"`{name}` must be a number, got {type(value).__name__}.")
    if not 0 < float(value) < np.inf:
        raise InvalidValueError(f"`{name}` must be positive and finite, got {value!r}.")
    return float(value)


def _standardised(params: dict[str, np.ndarray], sigma: float) -> dict[str, np.ndarray]:
    """Item parameters for abilities divided by sigma (so that their prior is N(0, 1))."""
    if sigma == 1.0:
        return params
    out = dict(params)
    out["a"] = params["a"] * sigma
    if "thresholds" in params:
        out["thresholds"] = params["thresholds"] / sigma
    elif "steps" in params:
        out["steps"] = params["steps"] / sigma
    else:
        out["b"] = params["b"] / sigma
    return out


def _information(params: dict[str, np.ndarray], obs: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """Test information of each model (observed items) at abilities ``theta`` (N, G)."""
    n, g = theta.shape
    out = np.empty((n, g))
    rows = max(1, _CHUNK_CELLS // max(1, g * obs.shape[1]))
    a = params["a"]
    for s in range(0, n, rows):
        th = theta[s : s + rows]
        if "steps" in params:
            probs = _gpcm_probs(a, params["steps"], th)
            kk = np.arange(probs.shape[3])
            mean = (probs * kk).sum(axis=3)
            info = a**2 * ((probs * kk**2).sum(axis=3) - mean**2)
        elif "thresholds" in params:
            thr = params["thresholds"]
            cum = _sigmoid(a[None, None, :, None] * (th[..., None, None] - thr[None, None]))
            w = a[None, None, :, None] * cum * (1 - cum)
            pad = np.zeros((*cum.shape[:3], 1))
            upper = np.concatenate([np.ones_like(pad), cum], axis=3)
            lower = np.concatenate([cum, pad], axis=3)
            probs = np.clip(upper - lower, 1e-300, None)
            deriv = np.concatenate([pad, w], axis=3) - np.concatenate([w, pad], axis=3)
            info = (deriv**2 / probs).sum(axis=3)
        else:
            c, d, u = params["c"], params["d"], params.get("u", 1.0)
            sg = _sigmoid(th[..., None] * a + d)
            p = np.clip(c + (u - c) * sg, 1e-300, None)
            q = np.clip((1 - u) + (u - c) * (1 - sg), 1e-300, None)
            info = (a * (u - c) * sg * (1 - sg)) ** 2 / (p * q)
        out[s : s + rows] = (info * obs[s : s + rows, None, :]).sum(axis=2)
    return out


def _likelihood_estimate(
    params: dict[str, np.ndarray], values: np.ndarray, *, weighted: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Maximum likelihood (or Warm's weighted likelihood) ability and its SE, per model.

    A grid search over [-8, 8] followed by Newton steps on finite differences; ML estimates
    that run to the edge (all right or all wrong) are reported as +-inf.
    """
    obs = ~np.isnan(values)

    def objective(theta: np.ndarray) -> np.ndarray:
        ll, _, _ = _chunked(params, values, theta, order=0)
        if weighted:
            ll = ll + 0.5 * np.log(np.maximum(_information(params, obs, theta), 1e-300))
        return ll

    grid = np.linspace(-8.0, 8.0, 81)
    n = values.shape[0]
    f = objective(np.broadcast_to(grid, (n, len(grid))).copy())
    best = np.argmax(f, axis=1)
    theta = grid[best]
    edge = (best == 0) | (best == len(grid) - 1)
    h = 1e-3
    for _ in range(30):
        pts = np.column_stack([theta - h, theta, theta + h])
        fv = objective(pts)
        d1 = (fv[:, 2] - fv[:, 0]) / (2 * h)
        d2 = (fv[:, 2] - 2 * fv[:, 1] + fv[:, 0]) / h**2
        step = np.where(d2 < -1e-8, -d1 / np.where(d2 < -1e-8, d2, -1.0), 0.1 * np.sign(d1))
        step = np.clip(step, -0.2, 0.2)
        theta = np.clip(theta + step, -8.0, 8.0)
        if np.all(np.abs(step) < 1e-7):
            break
    info = _information(params, obs, theta[:, None])[:, 0]
    with np.errstate(divide="ignore"):
        se = 1.0 / np.sqrt(info)
    if not weighted:
        theta = np.where(edge, np.copysign(np.inf, grid[best]), theta)
        se = np.where(edge, np.inf, se)
    return theta, se


def score(
    responses: Any,
    fit: Any = None,
    *,
    items: Any = None,
    latent_sd: float | None = None,
    estimators: Any = ("eap", "map"),
) -> pl.DataFrame:
    """Score models against frozen item parameters: a fit's, or a published calibration.

    Parameters
    ----------
    responses : ResponseMatrix, polars/pandas DataFrame or 2-D array
        Models are rows; item columns must be items of ``fit`` (or rows of ``items``),
        any subset, in any order; items a model did not answer are missing. One model is
        enough.
    fit : IRTFit, optional
        The fitted model whose items score the responses.
    items : polars or pandas DataFrame, optional
        Instead of ``fit``: fixed external item parameters, one row per item with
        ``item`` and ``a``, ``b`` (and ``c``, ``u``) for binary items, or ``a, b1, b2, ...``
        for graded-response items scored 0..K-1, or ``a, s1, s2, ...`` (step
        difficulties) for GPCM/PCM items (``a`` defaults to 1).
    latent_sd : float, optional
        SD of the ability prior of EAP and MAP (default: the fit's ``latent_sd``, or 1).
    estimators : sequence of {"eap", "map", "ml", "wle"}, default ("eap", "map")
        Also "ml" (maximum likelihood) and "wle" (Warm's weighted likelihood); see
        :func:`estimate_abilities`.

    Returns
    -------
    polars.DataFrame
        ``model, theta, theta_se, theta_map, theta_map_se, n, mean`` (see
        :func:`estimate_abilities`), plus the ML and WLE columns when asked for.

    Raises
    ------
    InvalidValueError
        Neither or both of ``fit`` and ``items``; item columns that the fit (or the
        items table) does not know (they are listed), or values that are not the fit's
        categories.

    Examples
    --------
    >>> from hierlab.irt import fit_irt, simulate_responses
    >>> sim = simulate_responses(300, 15, seed=1)
    >>> fitted = fit_irt(sim.responses)
    >>> new = sim.responses.to_polars().head(2)
    >>> score(new, fitted).select("model", "n").rows()
    [('0', 15), ('1', 15)]
    >>> bank = pl.DataFrame({"item": ["q1", "q2", "q3"], "a": [1.0, 1.5, 0.8], "b": [-1.0, 0.0, 1.0]})
    >>> out = score(pl.DataFrame({"model": ["m"], "q1": [1], "q2": [1], "q3": [0]}), items=bank, estimators=("eap", "wle"))
    >>> out.columns[-2:]
    ['theta_wle', 'theta_wle_se']
    """
    if (fit is None) == (items is None):
        raise InvalidValueError(
            "Give exactly one of `fit` (an IRTFit) and `items` (a table of item parameters)."
        )
    if fit is not None:
        fit = as_irt_fit(fit)
        table = _usable(fit.items)
        categories = tuple(fit.categories)
        sigma = fit.latent_sd if latent_sd is None else latent_sd
        source = "the fitted model"
    else:
        table = as_polars(items, "The items table `items`")
        require_columns(table, ["item"], "The items table")
        _check_item_names(table)
        params = item_parameters(table)
        width = max(_width(params), 2)
        categories = tuple(float(k) for k in range(width))
        sigma = 1.0 if latent_sd is None else latent_sd
        source = "`items`"
    m = responses if isinstance(responses, ResponseMatrix) else _coded(responses, categories)
    known = set(table["item"].cast(pl.String).to_list())
    unknown = [i for i in m.items if i not in known]
    if unknown:
        raise InvalidValueError(
            f"{len(unknown)} item column(s) are not items of {source}: "
            f"{format_items(unknown)}. Score only items it has parameters for "
            f"(it has {len(known)}, e.g. {format_items(table['item'].head(3).to_list())})."
        )
    return estimate_abilities(m, table, latent_sd=sigma, estimators=estimators)


def _usable(items: pl.DataFrame) -> pl.DataFrame:
    """Drop items set aside by a maximum-likelihood fit (NaN parameters)."""
    col = "b" if "b" in items.columns else "b1" if "b1" in items.columns else "s1"
    return items.filter(pl.col(col).is_not_nan())


def _check_item_names(table: pl.DataFrame) -> None:
    names = table["item"].cast(pl.String)
    dup = names.filter(names.is_duplicated()).unique(maintain_order=True).to_list()
    if dup:
        raise InvalidValueError(
            f"The items table names {len(dup)} item(s) more than once: {format_items(dup)}."
        )
    params = [
        c
        for c in table.columns
        if c in ("a", "b", "c", "u") or (c[:1] in ("b", "s") and c[1:].isdigit())
    ]
    bad = [c for c in params if not table[c].dtype.is_numeric()]
    if bad:
        raise InputTypeError(f"Item parameter column(s) {format_items(bad)} must be numeric.")
    nonfinite = [c for c in params if not np.isfinite(table[c].cast(pl.Float64).to_numpy()).all()]
    if nonfinite:
        raise InvalidValueError(
            f"Item parameter column(s) {format_items(nonfinite)} hold missing or infinite "
            "values; every item needs finite parameters."
        )


def _coded(responses: Any, categories: tuple[float, ...]) -> ResponseMatrix:
    """Like as_response_matrix, but one model is enough and the categories are given."""
    values, models, items = response_values(responses)
    observed = ~np.isnan(values)
    cats = np.asarray(categories)
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
