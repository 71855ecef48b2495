"""Fitting item response models: :func:`fit_irt`.

Its result, :class:`~hierlab.irt.IRTFit`, is defined in :mod:`hierlab.irt.fitted`.

Estimation is by marginal maximum likelihood (or marginal posterior mode with the weak
priors of :class:`~hierlab.irt.Prior`) with EM; the engine is :mod:`hierlab.irt.engine`,
the standard errors :mod:`hierlab.irt.covariance`, the abilities
:mod:`hierlab.irt.scoring`.

The latent scale is fixed by the abilities, ``theta ~ N(0, 1)``: the calibration sample's
posterior means average 0 and its posterior second moments 1, whatever the number of
items. The item priors act only relative to that scale (they cannot shift every
difficulty or stretch every discrimination), so with 20 models and 3,000 items the
difficulties are set by the data, not by the prior's centre. Standard errors come from the
full information of all item parameters, including the covariance between items through
the shared latent distribution.
"""

from __future__ import annotations

import numbers
import time
import warnings
from typing import Any, Literal

import numpy as np
import polars as pl

from hierlab.errors import HierlabWarning, InputTypeError, InvalidValueError, format_items
from hierlab.irt import engine
from hierlab.irt.covariance import ItemCovariance, item_covariance
from hierlab.irt.data import ResponseMatrix, as_response_matrix
from hierlab.irt.fitted import IRTFit, as_irt_fit
from hierlab.irt.kernels import Prior, make_kernel
from hierlab.irt.models import GRADED_MODELS, IRT_MODELS
from hierlab.irt.scoring import estimate_abilities

__all__ = ["IRTFit", "as_irt_fit", "fit_irt"]

DEFAULT = "default"


# =========================================================================== fitting

BINARY_MODELS = ("rasch", "1pl", "2pl", "3pl", "4pl")
SE_METHODS = ("louis", "oakes", "crossprod", "sandwich")


def _count(value: Any, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InputTypeError(f"`{name}` must be an integer, got {type(value).__name__}.")
    if value < minimum:
        raise InvalidValueError(f"`{name}` must be at least {minimum}, got {value}.")
    return int(value)


def _check_options(
    irt_model: Any,
    prior: Any,
    n_quadrature: Any,
    quadrature: Any,
    se_method: Any,
    max_iter: Any,
    tol: Any,
    backend: Any,
) -> Prior | None:
    if not isinstance(irt_model, str) or irt_model not in IRT_MODELS:
        raise InvalidValueError(
            f"Unknown irt_model {irt_model!r}; choose one of {', '.join(IRT_MODELS)}."
        )
    if isinstance(prior, str):
        if prior != DEFAULT:
            raise InputTypeError(
                f"`prior` must be a hierlab.irt.Prior, None or 'default', got the text {prior!r}."
            )
        prior = Prior()
    if prior is not None and not isinstance(prior, Prior):
        raise InputTypeError(
            f"`prior` must be a hierlab.irt.Prior, None or 'default', got {type(prior).__name__}."
        )
    if n_quadrature is not None:
        _count(n_quadrature, "n_quadrature", 5)
    for name, value, allowed in (
        ("quadrature", quadrature, ("auto", "adaptive", "grid")),
        ("se_method", se_method, SE_METHODS),
        ("backend", backend, ("hierlab", "girth")),
    ):
        if not isinstance(value, str) or value not in allowed:
            raise InvalidValueError(
                f"{name} must be one of {', '.join(map(repr, allowed))}, got {value!r}."
            )
    _count(max_iter, "max_iter", 1)
    if isinstance(tol, bool) or not isinstance(tol, numbers.Real) or not 0 < tol < np.inf:
        raise InvalidValueError(f"`tol` must be a positive number, got {tol!r}.")
    return prior


def _extreme_items(m: ResponseMatrix) -> np.ndarray:
    """Label items whose observed responses all fall in one category (else "")."""
    values = m.values
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        lo, hi = np.nanmin(values, axis=0), np.nanmax(values, axis=0)
    top = m.n_categories - 1
    labels = np.full(m.n_items, "", dtype=object)
    same = lo == hi
    if m.n_categories == 2:
        labels[same & (lo == 1)] = "all correct"
        labels[same & (lo == 0)] = "all wrong"
    else:
        labels[same & (lo == top)] = "all top category"
        labels[same & (lo == 0)] = "all bottom category"
        labels[same & (lo > 0) & (lo < top)] = "one category"
    return labels


def fit_irt(
    responses: Any,
    irt_model: Literal["rasch", "1pl", "2pl", "3pl", "4pl", "grm", "gpcm", "pcm"] = "2pl",
    *,
    prior: Prior | str | None = DEFAULT,
    n_quadrature: int | None = None,
    quadrature: Literal["auto", "adaptive", "grid"] = "auto",
    se_method: Literal["louis", "oakes", "crossprod", "sandwich"] = "louis",
    max_iter: int = 500,
    tol: float = 1e-4,
    backend: Literal["hierlab", "girth"] = "hierlab",
) -> IRTFit:
    """Fit an item response model to models x items responses.

    **The latent scale** is fixed by the abilities: ``theta ~ N(0, 1)``, so that in the
    calibration sample the models' posterior means average 0 and their posterior second
    moments average 1 (the property of marginal maximum likelihood). The priors on the
    item parameters never move that scale: their pull along the two directions that shift
    every difficulty or stretch every discrimination is removed, so they only shrink items
    towards each other (intercepts towards the items' centre, discriminations towards
    their geometric mean). This matters for evaluations of AI models, which have few
    models and many items: a fixed N(0, 4^2) prior on every intercept, summed over 3,000
    items, outweighs the N(0, 1) assumption for 20 models and shifts every difficulty by
    the prior instead of the data. Differences between models, and item difficulties,
    are thus on the scale of the calibration sample (its mean is 0, its SD 1).

    **Standard errors** come from the full observed information of all item parameters
    (Louis' formula with every cross-item term; :class:`~hierlab.irt.ItemCovariance`),
    so they include the uncertainty of the common location and scale, known to about
    ``1 / sqrt(n_models)``; ``fit.vcov()`` returns the covariance matrix.

    **Rasch** is the model R's mirt calls Rasch: a = 1 and ``theta ~ N(0, sigma^2)`` with
    sigma estimated (``fit.latent_sd``); difficulties and abilities are on the logit
    scale. The 1PL is the same model with the abilities standardised (a common a =
    sigma).

    **4PL**: ``P = c + (u - c) logistic(a (theta - b))``; the upper asymptote ``u`` (column
    ``u``, intervals on the logit scale) lets strong models miss an item (a wrong key, an
    ambiguous question). Its default prior Beta(12, 1.5) (mode 0.957) keeps ``u`` below
    1 and lets the data move it: the ceiling, the slope and the difficulty of an item
    trade off, and a few dozen models cannot separate them without a prior. It was
    chosen by a seeded study against the simulation truth (``Prior`` gives the numbers):
    at 30 models x 1,000 items the mean item-curve error (max over theta in [-3, 3] of
    ``|P_hat - P_true|``) is 0.142 and the 95% intervals of u and b cover 0.985 and
    0.951; at 3,000 x 10, 0.059, 1.00 and 0.93. ``global_fit`` (M2) does not take 4PL
    fits; ``compare_fits`` does (by AIC and BIC: the prior excludes u = 1, so the
    likelihood-ratio test against the 3PL may be undefined).

    **GPCM and PCM** (partial credit): ``P(X = k) / P(X = k - 1) = exp(a (theta - s_k))``
    with step difficulties ``s_k`` (columns ``s1, s2, ...``; intercepts ``d_k = -a s_k``)
    that need not be ordered, unlike the GRM's thresholds. The PCM has one discrimination
    for all items (the model R's mirt fits as "Rasch" for polytomous items, with the
    latent SD read as the common ``a``). Its steps get the intercept prior, relative to
    the items' centre, and the GPCM's discriminations the discrimination prior, for the
    same reasons as the binary models' parameters.

    Parameters
    ----------
    responses : ResponseMatrix, polars/pandas DataFrame or 2-D array
        Models are rows, items are columns, missing is NaN (anything
        :func:`~hierlab.irt.as_response_matrix` accepts).
    irt_model : {"rasch", "1pl", "2pl", "3pl", "4pl", "grm", "gpcm", "pcm"}, default "2pl"
        Rasch (a = 1, latent SD estimated), 1PL (one common a), 2PL, 3PL (with
        guessing), 4PL (guessing and an upper asymptote ``u < 1``); for ordinal or
        partial-credit scores the graded response model, the generalized partial credit
        model or the partial credit model (common a).
    prior : Prior, None or "default", default "default"
        Weak priors on the item parameters (see :class:`~hierlab.irt.Prior`), relative
        to the latent scale; None for plain maximum likelihood. Items that every model
        answers right (or wrong) are estimated and flagged (column ``flag``) under
        priors; under ``prior=None`` they have no finite estimate and are set aside with
        a warning that names them (their parameters are NaN).
    n_quadrature : int, optional
        Shared-grid points over [-6, 6] (default: see ``quadrature``); at least 5.
    quadrature : {"auto", "adaptive", "grid"}, default "auto"
        "adaptive" integrates each model's posterior on Gauss-Hermite nodes centred on
        it (21 nodes; 11 when every model answered at least 300 items, 7 from 3,000
        items, where the posteriors are normal to high accuracy): exact for the
        narrow posteriors of long tests taken by few models. "grid" uses one shared grid
        (fast for many models). "auto" is adaptive for at most 100 models when models x
        items x nodes <= 1.5e7, else a grid of 61 points (<= 200 items), 241 points
        (> 2,000 items and <= 200 models) or 121 points.
    se_method : {"louis", "oakes", "crossprod", "sandwich"}, default "louis"
        "louis": the full observed information by Louis' formula (exact; dense, or by the
        Woodbury identity for many items; the default, as it works for every shape).
        "oakes": the same information by Oakes' identity (numerical derivatives of the
        EM gradient; an independent check, at most 3,000 parameters, as in PyPI's mirt).
        "crossprod": the outer product of the models' marginal scores (needs more
        models than parameters). "sandwich": the robust combination of the two.
    max_iter : int, default 500
        EM iterations at most (at least 1).
    tol : float, default 1e-4
        Convergence threshold on the largest change of any internal parameter (> 0).
    backend : {"hierlab", "girth"}, default "hierlab"
        "girth" calls girth's ``onepl_mml``/``twopl_mml`` for the item parameters (no
        standard errors, no priors) and scores abilities with hierlab.

    Returns
    -------
    IRTFit

    Raises
    ------
    InputTypeError
        ``responses`` is not a table or an array of numbers, ``prior`` is not a Prior,
        or an option has the wrong type.
    InvalidValueError
        An unknown ``irt_model``, ``quadrature``, ``se_method`` or ``backend``, graded
        responses for a binary model, or an option out of range.

    Examples
    --------
    >>> from hierlab.irt import simulate_responses
    >>> sim = simulate_responses(500, 20, irt_model="2pl", seed=0)
    >>> fit = fit_irt(sim.responses, "2pl")
    >>> fit.converged, fit.items.columns[:5]
    (True, ['item', 'a', 'b', 'a_se', 'b_se'])
    """
    prior = _check_options(
        irt_model, prior, n_quadrature, quadrature, se_method, max_iter, tol, backend
    )
    start_time = time.perf_counter()
    graded = irt_model in GRADED_MODELS
    m = as_response_matrix(responses, binary=None if graded else True)
    if not graded and m.n_categories != 2:
        raise InvalidValueError(
            f"irt_model={irt_model!r} needs binary responses, but these have "
            f"{m.n_categories} score categories; use irt_model='grm', 'gpcm' or 'pcm' for "
            "graded scores."
        )
    if graded and m.n_categories < 2:
        raise InvalidValueError(
            f"irt_model={irt_model!r} needs at least two score categories, got {m.n_categories}."
        )
    if backend == "girth":
        return _fit_girth(m, irt_model, n_quadrature, start_time)
    flags = _extreme_items(m)
    keep = np.ones(m.n_items, dtype=bool)
    if prior is None and (flags != "").any():
        keep = flags == ""
        names = np.asarray(m.items, dtype=object)[~keep].tolist()
        if not keep.any():
            raise InvalidValueError(
                "Every item has the same response from every model; maximum likelihood has "
                "nothing to estimate. Use the default prior."
            )
        warnings.warn(
            f"{len(names)} item(s) have the same response from every model and no finite "
            f"maximum-likelihood estimate; they are set aside (NaN parameters, column "
            f"'flag'): {format_items(names)}. Fit with the default prior to estimate them.",
            HierlabWarning,
            stacklevel=2,
        )
    values = m.values[:, keep]
    n_models, n_items = values.shape
    observed = ~np.isnan(values)
    per_model = observed.sum(axis=1)
    shortest = int(per_model.min())
    n_adaptive = (
        engine.ADAPTIVE_NODES_VERY_LONG
        if shortest >= engine.VERY_LONG_TEST
        else engine.ADAPTIVE_NODES_LONG
        if shortest >= engine.LONG_TEST
        else engine.ADAPTIVE_NODES
    )
    if n_quadrature is None:
        fine = n_items > 2000 and n_models <= engine.FINE_GRID_MAX_MODELS
        n_quadrature = 61 if n_items <= 200 else (241 if fine else 121)
    adaptive = quadrature == "adaptive" or (
        quadrature == "auto"
        and n_models <= engine.ADAPTIVE_MAX_MODELS
        and n_models * n_items * n_adaptive <= engine.ADAPTIVE_MAX_CELLS
    )
    kernel = make_kernel(irt_model, m.n_categories, prior)
    data = engine.make_data(values, m.n_categories)
    quad = engine.Quadrature(n_models, adaptive, n_quadrature, n_adaptive)
    n_obs = observed.sum(axis=0)
    if irt_model == "grm":
        cum = np.stack(
            [(values >= k).sum(axis=0) / n_obs for k in range(1, m.n_categories)], axis=1
        )
        params = kernel.start(cum)
    elif irt_model in ("gpcm", "pcm"):
        shares = np.stack([(values == k).sum(axis=0) / n_obs for k in range(m.n_categories)], 1)
        params = kernel.start(shares)
    else:
        params = kernel.start(np.nansum(values, axis=0) / n_obs)
    kept_names = tuple(np.asarray(m.items, dtype=object)[keep].tolist())
    # few models: every matrix product is thin, one BLAS thread is fastest
    with engine.blas_threads(1 if adaptive else None):
        out = engine.run_em(
            kernel, params, data, quad, max_iter=max_iter, tol=tol, item_names=kept_names
        )
        cov = item_covariance(
            kernel, out.params, data, out.est, kept_names, se_method=se_method, quad=quad
        )
        return _assemble(
            m,
            kernel,
            out.params,
            cov,
            out.est.loglik,
            keep=keep,
            flags=flags,
            prior=prior,
            n_quadrature=quad.n_nodes,
            quadrature="adaptive" if adaptive else "grid",
            converged=out.converged,
            iterations=out.iterations,
            max_change=out.max_change,
            start_time=start_time,
            backend="hierlab",
            se_method=se_method,
            theta_start=out.est.m1,
            irt_model=irt_model,
        )


def _n_free(irt_model: str, n_items: int, n_categories: int) -> int:
    per_item = {
        "rasch": 1,
        "1pl": 1,
        "2pl": 2,
        "3pl": 3,
        "4pl": 4,
        "grm": n_categories,
        "gpcm": n_categories,
        "pcm": n_categories - 1,
    }[irt_model]
    return per_item * n_items + (1 if irt_model in ("1pl", "rasch", "pcm") else 0)


def _assemble(
    m: ResponseMatrix,
    kernel: Any,
    params: np.ndarray,
    cov: ItemCovariance | None,
    loglik: float,
    *,
    keep: np.ndarray,
    flags: np.ndarray,
    prior: Prior | None,
    n_quadrature: int,
    quadrature: str,
    converged: bool,
    iterations: int,
    max_change: float,
    start_time: float,
    backend: str,
    se_method: str,
    irt_model: str,
    theta_start: np.ndarray | None = None,
) -> IRTFit:
    """Build the items table, score the abilities, then construct the fit once."""
    public = kernel.to_public(params)
    names, _ = kernel.jacobian(params)
    j_all = m.n_items
    rasch = irt_model == "rasch"
    sigma = float(public["a"][0]) if rasch else 1.0

    def full(values: np.ndarray) -> np.ndarray:
        out = np.full(j_all, np.nan)
        out[keep] = values
        return out

    if cov is not None:
        _, pub_cov = cov.public_blocks()
        ses = {n: full(np.sqrt(np.maximum(pub_cov[:, i, i], 0))) for i, n in enumerate(names)}
    else:
        ses = {n: np.full(j_all, np.nan) for n in names}
    if rasch:
        # a = 1 and theta ~ N(0, sigma^2): the Rasch difficulty is -d (the 1PL's a b)
        table_names = ["b", "d"]
        values = {"b": full(-public["d"]), "d": full(public["d"])}
        ses = {"b": ses["d"], "d": ses["d"]}
    else:
        table_names = [n for n in names if n != "d" and not (n.startswith("d") and n[1:].isdigit())]
        table_names += [n for n in names if n not in table_names]
        values = {n: full(public[n]) for n in names}
    observed = ~np.isnan(m.values)
    n_obs = observed.sum(axis=0)
    columns: dict[str, Any] = {"item": list(m.items)}
    main = [n for n in table_names if not n.startswith("d")]
    for name in main:
        columns[name] = values[name]
    for name in main:
        columns[f"{name}_se"] = ses[name]
    for name in table_names:
        if name.startswith("d"):
            columns[name] = values[name]
            columns[f"{name}_se"] = ses[name]
    with np.errstate(invalid="ignore", divide="ignore"):
        columns["n"] = n_obs
        columns["mean"] = np.nansum(m.scores(), axis=0) / n_obs
    columns["flag"] = [f or None for f in flags]
    items = pl.DataFrame(columns, schema_overrides={"flag": pl.String})
    start = None if theta_start is None else theta_start * sigma
    scored = items.filter(pl.Series(keep))
    sub = ResponseMatrix(m.values[:, keep], m.models, tuple(scored["item"]), m.categories)
    abilities = estimate_abilities(sub, scored, start=start, latent_sd=sigma)
    n_params = _n_free(irt_model, int(keep.sum()), m.n_categories)
    return IRTFit(
        irt_model=irt_model,
        items=items,
        abilities=abilities,
        loglik=loglik,
        n_parameters=n_params,
        aic=-2 * loglik + 2 * n_params,
        bic=-2 * loglik + np.log(m.n_models) * n_params,
        converged=converged,
        iterations=iterations,
        max_change=max_change,
        seconds=time.perf_counter() - start_time,
        prior=prior,
        categories=m.categories,
        n_quadrature=n_quadrature,
        quadrature=quadrature,
        backend=backend,
        se_method=se_method if cov is not None else "none",
        latent_sd=sigma,
        responses=m,
        covariance=cov,
    )


def _fit_girth(
    m: ResponseMatrix, irt_model: str, n_quadrature: int | None, start_time: float
) -> IRTFit:
    import girth

    if irt_model not in ("rasch", "1pl", "2pl"):
        raise InvalidValueError(
            f"backend='girth' supports 'rasch', '1pl' and '2pl', not {irt_model!r}."
        )
    data = np.where(~np.isnan(m.values), m.values, girth.INVALID_RESPONSE).T.astype(int)
    options = {"quadrature_n": n_quadrature or 41}
    if irt_model == "2pl":
        out = girth.twopl_mml(data, options=options)
    else:  # girth's 1PL; the Rasch model is the same fit read with sigma = a
        out = girth.onepl_mml(data, options=options)
    a = np.broadcast_to(np.asarray(out["Discrimination"], dtype=float), (m.n_items,)).copy()
    b = np.asarray(out["Difficulty"], dtype=float)
    kernel = make_kernel(irt_model, 2, None)
    params = np.column_stack([a, -a * b])
    quad = engine.Quadrature(m.n_models, False, 61, engine.ADAPTIVE_NODES)
    est = engine.estep(kernel, params, engine.make_data(m.values, 2), quad)
    return _assemble(
        m,
        kernel,
        params,
        None,
        est.loglik,
        keep=np.ones(m.n_items, dtype=bool),
        flags=np.full(m.n_items, "", dtype=object),
        prior=None,
        n_quadrature=options["quadrature_n"],
        quadrature="grid",
        converged=True,
        iterations=0,
        max_change=0.0,
        start_time=start_time,
        backend="girth",
        se_method="none",
        irt_model=irt_model,
    )
