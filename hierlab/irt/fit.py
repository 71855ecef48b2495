"""Marginal maximum likelihood (or posterior mode) estimation of item parameters by EM.

The latent ability is N(0, 1), integrated on an equally spaced grid over [-6, 6].

* **E-step**, over all items at once and in log space: with indicator matrices ``X_k``
  (models x items, 1 where the response is category k), the log-likelihood of every
  model at every grid point is ``sum_k X_k @ log P_k.T`` (one BLAS matrix product per
  category); posterior weights follow by a log-sum-exp, and the expected counts
  ``r_k = X_k.T @ W`` by one more product each.
* **M-step**, for all items together: a Newton step on each item's expected complete-data
  log-posterior, batched over items (analytic gradients, finite-difference Hessians of the
  analytic gradients, step halving per item).
* **Standard errors**: Louis' observed information for each item's parameters (the
  complete-data information minus the posterior variance of the complete-data score,
  summed over models), inverted per item and carried to (a, b, c) by the delta
  method. Cross-item covariances are not computed.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import polars as pl

from hierlab._tables import as_float_array
from hierlab.errors import HierlabWarning, InputTypeError, InvalidValueError
from hierlab.irt.data import ResponseMatrix, as_response_matrix
from hierlab.irt.kernels import Prior, make_kernel
from hierlab.irt.models import (
    IRT_MODELS,
    grm_category_probabilities,
    grm_information,
    item_parameters,
    response_probability,
)
from hierlab.irt.models import item_information as binary_item_information
from hierlab.irt.scoring import estimate_abilities
from hierlab.results import Result, Summary

__all__ = ["IRTFit", "as_irt_fit", "fit_irt"]

DEFAULT = "default"


@dataclass(frozen=True, eq=False)
class IRTFit(Result):
    """A fitted item response model: item parameters with standard errors, and abilities.

    Attributes
    ----------
    irt_model : str
        "rasch", "1pl", "2pl", "3pl" or "grm".
    items : polars.DataFrame
        One row per item: ``item``, the parameters (``a``, ``b``, ``c`` or GRM thresholds
        ``b1, b2, ...``), their standard errors (``a_se`` ...), the intercept ``d``
        (``-a b`` for binary models), ``n`` (responses) and ``mean`` (mean score).
    abilities : polars.DataFrame
        One row per model: ``model, theta`` (EAP), ``theta_se`` (posterior SD),
        ``theta_map, theta_map_se, n, mean``.
    loglik : float
        Marginal log-likelihood at the estimates (priors excluded).
    n_parameters : int
        Free item parameters.
    aic, bic : float
        Akaike's and the Bayesian information criteria.
    converged : bool
        Whether EM met its tolerance within ``max_iter`` iterations.
    iterations : int
        EM iterations run.
    max_change : float
        Largest internal parameter change in the last EM iteration.
    seconds : float
        Wall-clock time of the fit, abilities included.
    prior : Prior or None
        The priors on the item parameters (None: maximum likelihood).
    categories : tuple of float
        The score of each response category (``(0.0, 1.0)`` for binary models).
    n_quadrature : int
        Quadrature nodes per model in the E-step.
    quadrature : str
        "adaptive" (nodes centred on each model's posterior) or "grid" (one shared grid).
    backend : str
        "hierlab" or "girth".
    responses : ResponseMatrix or None
        The validated responses the model was fitted to (used by the diagnostics).

    Examples
    --------
    >>> from hierlab.irt import fit_irt, simulate_responses
    >>> fit = fit_irt(simulate_responses(200, 10, seed=0).responses, "2pl")
    >>> fit.irt_model, fit.n_models, fit.n_items
    ('2pl', 200, 10)
    >>> fit.to_polars().columns[:3]
    ['item', 'a', 'b']
    """

    irt_model: str
    items: pl.DataFrame
    abilities: pl.DataFrame
    loglik: float
    n_parameters: int
    aic: float
    bic: float
    converged: bool
    iterations: int
    max_change: float
    seconds: float
    prior: Prior | None
    categories: tuple[float, ...]
    n_quadrature: int
    quadrature: str = "grid"
    backend: str = "hierlab"
    responses: ResponseMatrix | None = field(default=None, repr=False)

    @property
    def n_models(self) -> int:
        """Return the number of models (rows of the responses)."""
        return self.abilities.height

    @property
    def n_items(self) -> int:
        """Return the number of items."""
        return self.items.height

    def category_probabilities(self, theta: Any) -> np.ndarray:
        """Return the probability of every response category of every item at each ability.

        Parameters
        ----------
        theta : array of float, shape (n,)
            Abilities.

        Returns
        -------
        numpy.ndarray
            Shape (n, n_items, K), abilities first as in a response matrix; K = 2 for
            binary models (``[..., 1]`` is P(correct)).

        Examples
        --------
        >>> from hierlab.irt import fit_irt, simulate_responses
        >>> fit = fit_irt(simulate_responses(200, 10, seed=0).responses)
        >>> p = fit.category_probabilities([-1.0, 0.0, 1.0])
        >>> p.shape, bool(np.allclose(p.sum(axis=2), 1.0))
        ((3, 10, 2), True)
        """
        theta = as_float_array(theta, "`theta`", ndim=1)
        params = item_parameters(self.items)
        if "thresholds" in params:
            return grm_category_probabilities(theta, params["a"], params["thresholds"])
        right = response_probability(theta, params["a"], params["b"], params["c"])
        return np.stack([1.0 - right, right], axis=2)

    def item_information(self, theta: Any) -> np.ndarray:
        """Return the Fisher information of every item at each ability.

        Parameters
        ----------
        theta : array of float, shape (n,)
            Abilities.

        Returns
        -------
        numpy.ndarray
            Shape (n, n_items); sum over axis 1 for the test information.

        Examples
        --------
        >>> from hierlab.irt import fit_irt, simulate_responses
        >>> fit = fit_irt(simulate_responses(200, 10, seed=0).responses)
        >>> fit.item_information([0.0]).shape
        (1, 10)
        """
        theta = as_float_array(theta, "`theta`", ndim=1)
        params = item_parameters(self.items)
        if "thresholds" in params:
            return grm_information(theta, params["a"], params["thresholds"])
        return binary_item_information(theta, params["a"], params["b"], params["c"])

    def summary(self) -> Summary:
        """Summarise the fit: estimation, sizes, fit statistics, priors and the estimates.

        Returns
        -------
        Summary
            Facts (model, estimation, sizes, log-likelihood, AIC, BIC, convergence,
            priors), a description of the item parameters and the abilities table.

        Examples
        --------
        >>> from hierlab.irt import fit_irt, simulate_responses
        >>> fit = fit_irt(simulate_responses(200, 10, seed=0).responses)
        >>> fit.summary().title
        '2PL by marginal posterior mode (EM, hierlab)'
        """
        estimation = "posterior mode" if self.prior is not None else "maximum likelihood"
        facts: list[tuple[str, Any]] = [
            ("IRT model", self.irt_model.upper()),
            ("estimation", f"marginal {estimation}, EM ({self.backend})"),
            ("models", self.n_models),
            ("items", self.n_items),
            ("quadrature", f"{self.quadrature}, {self.n_quadrature} nodes"),
            ("log-likelihood", f"{self.loglik:,.2f}"),
            ("parameters", self.n_parameters),
            ("AIC", f"{self.aic:,.1f}"),
            ("BIC", f"{self.bic:,.1f}"),
            ("converged", self.converged),
            ("iterations", self.iterations),
            ("last largest change", self.max_change),
            ("seconds", round(self.seconds, 2)),
        ]
        if self.prior is not None:
            p = self.prior
            text = f"intercept ~ N(0, {p.intercept_sd}^2)"
            if self.irt_model != "rasch":
                text = f"log a ~ N({p.log_a_mean}, {p.log_a_sd}^2), " + text
            if self.irt_model == "3pl":
                text += f", c ~ Beta({p.guess_alpha}, {p.guess_beta})"
            facts.append(("priors", text))
        parameters = [c for c in self.items.columns if c not in ("item", "d", "n", "mean")]
        described = (
            self.items.select(parameters)
            .describe()
            .filter(pl.col("statistic").is_in(["mean", "std", "min", "max"]))
        )
        abilities = self.abilities.sort("theta", descending=True).select(
            "model", "theta", "theta_se", "n", "mean"
        )
        notes = []
        if not self.converged:
            notes.append(
                f"EM stopped after {self.iterations} iterations before converging; raise max_iter."
            )
        return Summary(
            f"{self.irt_model.upper()} by marginal {estimation} (EM, {self.backend})",
            facts=facts,
            tables={"item parameters": described, "abilities (EAP)": abilities},
            notes=notes,
        )

    def to_polars(self) -> pl.DataFrame:
        """Return the item parameters, one row per item (the abilities are in ``abilities``).

        Returns
        -------
        polars.DataFrame
            The ``items`` table.

        Examples
        --------
        >>> from hierlab.irt import fit_irt, simulate_responses
        >>> fit = fit_irt(simulate_responses(200, 10, seed=0).responses, "rasch")
        >>> fit.to_polars().columns[:3]
        ['item', 'b', 'b_se']
        """
        return self.items

    def __repr__(self) -> str:
        return (
            f"IRTFit(irt_model={self.irt_model!r}, models={self.n_models}, "
            f"items={self.n_items}, loglik={self.loglik:.2f}, converged={self.converged})"
        )


def as_irt_fit(value: Any, what: str = "fit") -> IRTFit:
    """Check that ``value`` is an :class:`IRTFit`.

    Anything else raises an :class:`~hierlab.errors.InputTypeError` naming ``what`` and
    :func:`fit_irt`.

    Parameters
    ----------
    value : Any
        The argument a function received as its fit.
    what : str, default "fit"
        The argument's name, for the message.

    Returns
    -------
    IRTFit
        ``value`` itself.

    Examples
    --------
    >>> from hierlab.irt import fit_irt, simulate_responses
    >>> fit = fit_irt(simulate_responses(100, 5, seed=0).responses)
    >>> as_irt_fit(fit) is fit
    True
    """
    if isinstance(value, IRTFit):
        return value
    raise InputTypeError(
        f"`{what}` must be an IRTFit (the result of hierlab.irt.fit_irt), "
        f"got {type(value).__name__}."
    )


# =========================================================================== engine


def _grid(n_quad: int) -> tuple[np.ndarray, np.ndarray]:
    z = np.linspace(-6.0, 6.0, n_quad)
    logw = -0.5 * z**2
    logw -= np.logaddexp.reduce(logw)
    return z, logw


def _indicators(m: ResponseMatrix) -> list[np.ndarray]:
    v = m.values
    return [(v == k).astype(np.float64) for k in range(m.n_categories)]


def _estep(ind: list[np.ndarray], logp: np.ndarray, logw: np.ndarray):
    """Posterior weights W (N x Q), expected counts r (K x J x Q) and marginal loglik."""
    loglik_nq = sum(x @ lp for x, lp in zip(ind, logp, strict=True)) + logw[None, :]
    ll_n = np.logaddexp.reduce(loglik_nq, axis=1)
    w = np.exp(loglik_nq - ll_n[:, None])
    counts = np.stack([x.T @ w for x in ind])
    return w, counts, float(ll_n.sum())


ADAPTIVE_NODES = 21
ADAPTIVE_MAX_MODELS = 50
FINE_GRID_MAX_MODELS = 200
ADAPTIVE_MAX_CELLS = 2e6


class _Quadrature:
    """The E-step's integration over ability: a shared grid, or adaptive Gauss-Hermite nodes.

    Adaptive quadrature gives each model ``ADAPTIVE_NODES`` nodes centred on its
    current posterior mean and scaled by its SD. With few models and many items the
    posteriors are far narrower than any affordable shared grid, and a grid then makes the
    EM map jitter as posterior mass hops between nodes; adaptive nodes resolve each
    posterior exactly. The nodes of all models are concatenated into one node set with
    block-structured weights, so the M-step and standard errors run unchanged.
    """

    def __init__(self, ind: list[np.ndarray], adaptive: bool, n_grid: int) -> None:
        self.ind = ind
        self.adaptive = adaptive
        self.z_grid, self.logw_grid = _grid(n_grid)
        n = ind[0].shape[0]
        t, gw = np.polynomial.hermite.hermgauss(ADAPTIVE_NODES)
        self.t = t
        self.log_gw = np.log(gw) + t**2
        self.mu = np.zeros(n)
        self.sigma = np.ones(n)
        self.ready = False

    @property
    def n_nodes(self) -> int:
        return ADAPTIVE_NODES if self.adaptive else len(self.z_grid)

    def estep(self, kernel, params: np.ndarray):
        """(weights N x nodes, counts K x J x nodes, marginal loglik, node abilities)."""
        if not self.adaptive or not self.ready:
            w, counts, ll = _estep(self.ind, kernel.logprob(params, self.z_grid), self.logw_grid)
            if not self.adaptive:
                return w, counts, ll, self.z_grid
            self._centre(w, np.broadcast_to(self.z_grid, w.shape))
            self.ready = True
        n, qa = len(self.mu), ADAPTIVE_NODES
        own = self.mu[:, None] + np.sqrt(2.0) * self.sigma[:, None] * self.t[None, :]  # (N, QA)
        z = own.ravel()
        logp = kernel.logprob(params, z)  # (K, J, N*QA)
        j = logp.shape[1]
        loglik = np.zeros((n, qa))
        for x, lp in zip(self.ind, logp, strict=True):
            loglik += (x[:, :, None] * lp.reshape(j, n, qa).transpose(1, 0, 2)).sum(axis=1)
        logw = (
            np.log(np.sqrt(2.0) * self.sigma)[:, None]
            + self.log_gw[None, :]
            - 0.5 * own**2
            - 0.5 * np.log(2 * np.pi)
        )
        total = loglik + logw
        ll_n = np.logaddexp.reduce(total, axis=1)
        w_own = np.exp(total - ll_n[:, None])
        self._centre(w_own, own)
        w = np.zeros((n, n * qa))
        w[np.repeat(np.arange(n), qa), np.arange(n * qa)] = w_own.ravel()
        counts = np.stack([(x.T[:, :, None] * w_own[None]).reshape(j, n * qa) for x in self.ind])
        return w, counts, float(ll_n.sum()), z

    def _centre(self, w: np.ndarray, nodes: np.ndarray) -> None:
        mean = (w * nodes).sum(axis=1)
        sd = np.sqrt(np.maximum((w * (nodes - mean[:, None]) ** 2).sum(axis=1), 0.0))
        self.mu = mean
        self.sigma = np.clip(sd, 1e-3, 2.0)


def _objective(kernel, params: np.ndarray, counts: np.ndarray, z: np.ndarray) -> np.ndarray:
    val = (counts * kernel.logprob(params, z)).sum(axis=(0, 2))
    return val + kernel.log_prior(params)[0]


def _gradient(kernel, params: np.ndarray, counts: np.ndarray, z: np.ndarray) -> np.ndarray:
    s = kernel.score(params, z)  # (K, J, Q, p)
    return (counts[..., None] * s).sum(axis=(0, 2)) + kernel.log_prior(params)[1]


def _fisher_direction(kernel, params: np.ndarray, counts: np.ndarray, z: np.ndarray):
    """Gradient and the Fisher-scoring matrix (the expected complete-data information).

    ``F_j = sum_q N_jq sum_k P_kjq S_kjq S_kjq'`` with ``N_jq`` the expected number of
    responses at node q; it is positive definite, so ``F^-1 g`` is an ascent direction.
    """
    s = kernel.score(params, z)  # (K, J, Q, p)
    probs = np.exp(kernel.logprob(params, z))  # (K, J, Q)
    n_q = counts.sum(axis=0)  # (J, Q)
    _, prior_grad, prior_curv = kernel.log_prior(params)
    lik_grad = (counts[..., None] * s).sum(axis=(0, 2))
    weighted = (probs * n_q[None])[..., None] * s  # (K, J, Q, p)
    p = params.shape[1]
    fisher = np.empty((len(params), p, p))
    for a in range(p):
        for b in range(a, p):
            fisher[:, a, b] = fisher[:, b, a] = (weighted[..., a] * s[..., b]).sum(axis=(0, 2))
    fisher -= prior_curv[:, :, None] * np.eye(p)[None]
    if kernel.log_a:
        # with alpha = log a, d2/dalpha2 = a^2 d2/da2 + a d/da: the second term is the
        # likelihood gradient in alpha. Fisher scoring alone omits it and oscillates for
        # weakly discriminating items; with it the matrix is the exact (negative) Hessian
        # of the logistic models. Use the exact matrix where it is positive definite.
        exact = fisher.copy()
        exact[:, 0, 0] -= lik_grad[:, 0]
        definite = np.linalg.eigvalsh(exact)[:, 0] > 1e-8
        fisher[definite] = exact[definite]
    return lik_grad + prior_grad, fisher


def _hessian(
    kernel, params: np.ndarray, counts: np.ndarray, z: np.ndarray, h: float = 1e-5
) -> np.ndarray:
    """Central finite differences of the analytic gradient, batched over items (J, p, p)."""
    j, p = params.shape
    hess = np.empty((j, p, p))
    for i in range(p):
        step = np.zeros(p)
        step[i] = h
        hess[:, :, i] = (
            _gradient(kernel, params + step, counts, z)
            - _gradient(kernel, params - step, counts, z)
        ) / (2 * h)
    return 0.5 * (hess + hess.transpose(0, 2, 1))


def _negative_definite(hess: np.ndarray) -> np.ndarray:
    """Shift each item's Hessian so that it is negative definite (an ascent direction)."""
    top = np.linalg.eigvalsh(hess)[:, -1]
    shift = np.where(top > -1e-6, top + 1e-3, 0.0)
    return hess - shift[:, None, None] * np.eye(hess.shape[1])[None]


def _newton_items(kernel, params, counts, z, max_step: float = 2.0):
    """One damped Newton step per item; returns new parameters.

    For the logistic models (Rasch, 1PL, 2PL) the corrected Fisher matrix is the exact
    Hessian; the 3PL and GRM are not logistic in their parameters, and Fisher scoring
    crawls on their flat ridges, so they use central differences of the analytic gradient.
    """
    if kernel.irt_model in ("3pl", "grm"):
        grad = _gradient(kernel, params, counts, z)
        fisher = -_negative_definite(_hessian(kernel, params, counts, z))
    else:
        grad, fisher = _fisher_direction(kernel, params, counts, z)
        fisher += 1e-8 * np.eye(params.shape[1])[None]
    step = np.linalg.solve(fisher, grad[..., None])[..., 0]
    step = np.clip(step, -max_step, max_step)
    before = _objective(kernel, params, counts, z)
    new = params.copy()
    todo = np.ones(len(params), dtype=bool)
    scale = 1.0
    for _ in range(12):
        trial = params[todo] + scale * step[todo]
        after = _objective(kernel, trial, counts[:, todo], z)
        ok = after >= before[todo] - 1e-10
        idx = np.flatnonzero(todo)
        new[idx[ok]] = trial[ok]
        todo[idx[ok]] = False
        if not todo.any():
            break
        scale *= 0.5
    return new


def _newton_1pl(kernel, params, counts, z, max_step: float = 2.0):
    """Fisher-scoring step with one shared discrimination (column 0) and item intercepts."""
    grad, fisher = _fisher_direction(kernel, params, counts, z)
    hess = -fisher
    haa, had, hdd = hess[:, 0, 0], hess[:, 0, 1], np.minimum(hess[:, 1, 1], -1e-8)
    schur = haa.sum() - (had**2 / hdd).sum()
    rhs = -grad[:, 0].sum() + (had * grad[:, 1] / hdd).sum()
    d_alpha = rhs / schur if schur < -1e-8 else np.sign(rhs) * 0.1
    d_alpha = float(np.clip(d_alpha, -max_step, max_step))
    d_d = np.clip((-grad[:, 1] - had * d_alpha) / hdd, -max_step, max_step)

    def total(p):
        return _objective(kernel, p, counts, z).sum()

    before = total(params)
    scale = 1.0
    for _ in range(12):
        trial = params.copy()
        trial[:, 0] += scale * d_alpha
        trial[:, 1] += scale * d_d
        if total(trial) >= before - 1e-10:
            return trial
        scale *= 0.5
    return params


def _ridge_step(kernel, params: np.ndarray, w: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Parameter-expanded step along the latent location and scale (PX-EM with priors).

    Items and abilities trade off along two directions: shifting every ability by u
    (``d -> d + a u``) and scaling them by exp(s) (``a -> a exp(s)``). The log-posterior's
    gradient along them follows from the E-step alone: ``sum_n E[theta | x_n]`` and
    ``sum_n (E[theta^2 | x_n] - 1)`` (Fisher's identity), plus the priors' derivatives.
    Dividing by the complete-data curvatures (N and 2N, plus the priors') gives an EM-like
    step in the expanded parameters; both gradients vanish at the posterior mode, so the
    fixed point is unchanged while EM's slow crawl along this ridge is removed.
    """
    n = w.shape[0]
    m1 = w @ z
    m2 = w @ z**2
    new = params.copy()
    irt_model = kernel.irt_model
    a = kernel.to_public(params).get("a", np.ones(len(params)))
    di = 0 if irt_model == "rasch" else 1  # the (first) intercept column
    # the kernel's log prior (its gradient and curvature per internal parameter) gives the
    # priors' part: shifting abilities by u moves every intercept column ``di`` by a * u,
    # scaling them moves column 0 (log a) by s
    _, prior_grad, prior_curv = kernel.log_prior(params)
    # location: all intercepts move by a * u
    g_u = float(m1.sum() + (prior_grad[:, di] * a).sum())
    c_u = float(n - (prior_curv[:, di] * a**2).sum())
    new[:, di] = params[:, di] + a * (g_u / c_u)
    if irt_model == "rasch":
        return new
    # scale: a -> a exp(s)
    g_s = float((m2 - 1.0).sum() + prior_grad[:, 0].sum())
    c_s = float(2.0 * n - prior_curv[:, 0].sum())
    step = float(np.clip(g_s / c_s, -0.5, 0.5))
    if kernel.log_a:
        new[:, 0] = params[:, 0] + step
    else:
        new[:, 0] = params[:, 0] * np.exp(step)
    return new


def _louis_covariance(kernel, params, counts, w, ind, z) -> np.ndarray:
    """Per-item covariance of the internal parameters from Louis' observed information."""
    s = kernel.score(params, z)  # (K, J, Q, p)
    j, p = params.shape
    complete = -_hessian(kernel, params, counts, z)  # E[-H_c | x] incl. the prior
    second = np.empty((j, p, p))  # sum_n E[s s' | x_n]
    first = np.zeros((j, p, p))  # sum_n E[s | x_n] E[s | x_n]'
    for a in range(p):
        for b in range(a, p):
            second[:, a, b] = second[:, b, a] = (counts * s[..., a] * s[..., b]).sum(axis=(0, 2))
    n = w.shape[0]
    chunk = max(1, int(2e7 // max(1, n * p)))
    for start in range(0, j, chunk):
        sl = slice(start, start + chunk)
        width = s[:, sl].shape[1]
        mean = np.zeros((n, width, p))
        for k, x in enumerate(ind):
            sk = s[k, sl].transpose(1, 0, 2).reshape(len(z), width * p)  # (Q, J*p)
            mean += x[:, sl, None] * (w @ sk).reshape(n, width, p)
        for a in range(p):
            for b in range(a, p):
                first[sl, a, b] = first[sl, b, a] = (mean[..., a] * mean[..., b]).sum(axis=0)
    info = complete - second + first
    info = 0.5 * (info + info.transpose(0, 2, 1))
    if kernel.irt_model == "1pl":
        return _arrowhead_covariance(info)
    cov = np.full_like(info, np.nan)
    ok = np.linalg.eigvalsh(info)[:, 0] > 1e-10
    cov[ok] = np.linalg.inv(info[ok])
    return cov


def _arrowhead_covariance(info: np.ndarray) -> np.ndarray:
    """1PL: invert the joint information of the shared discrimination and all intercepts.

    The joint matrix is an arrowhead (one shared row/column, diagonal otherwise), whose
    inverse has a closed form; returns per-item 2 x 2 blocks (shared, intercept_j).
    """
    j = len(info)
    i_aa = info[:, 0, 0].sum()  # the kernel spreads the shared prior over the items
    i_ad = info[:, 0, 1]
    i_dd = np.maximum(info[:, 1, 1], 1e-12)
    schur = i_aa - (i_ad**2 / i_dd).sum()
    cov = np.full((j, 2, 2), np.nan)
    if schur > 1e-12:
        cov[:, 0, 0] = 1.0 / schur
        cov[:, 0, 1] = cov[:, 1, 0] = -i_ad / (i_dd * schur)
        cov[:, 1, 1] = 1.0 / i_dd + i_ad**2 / (i_dd**2 * schur)
    return cov


def fit_irt(
    responses: Any,
    irt_model: Literal["rasch", "1pl", "2pl", "3pl", "grm"] = "2pl",
    *,
    prior: Prior | str | None = DEFAULT,
    n_quadrature: int | None = None,
    quadrature: Literal["auto", "adaptive", "grid"] = "auto",
    max_iter: int = 500,
    tol: float = 1e-4,
    backend: Literal["hierlab", "girth"] = "hierlab",
) -> IRTFit:
    """Fit an item response model to models x items responses.

    Parameters
    ----------
    responses : ResponseMatrix, polars/pandas DataFrame or 2-D array
        Models are rows, items are columns, missing is NaN (anything
        :func:`~hierlab.irt.as_response_matrix` accepts).
    irt_model : {"rasch", "1pl", "2pl", "3pl", "grm"}, default "2pl"
        Rasch (a = 1), 1PL (one common a), 2PL, 3PL (with guessing) or the graded
        response model for ordinal or partial-credit scores.
    prior : Prior, None or "default", default "default"
        Weak priors on the item parameters (see :class:`~hierlab.irt.Prior`); None for
        plain maximum likelihood (items everyone gets right then diverge).
    n_quadrature : int, optional
        Shared-grid points over [-6, 6] (default: see ``quadrature``).
    quadrature : {"auto", "adaptive", "grid"}, default "auto"
        "adaptive" integrates each model's posterior on 21 Gauss-Hermite nodes centred on
        it (exact for the narrow posteriors of long tests taken by few models); "grid"
        uses one shared grid (fast for many models); "auto" is adaptive for at most 50
        models when models x items x 21 <= 2e6 (e.g. 23 models x 1,000 items: there the
        grid's discretisation does not average out), else a grid of 61 points (<= 200
        items), 241 points (> 2,000 items and <= 200 models, whose narrow posteriors need
        fine spacing) or 121 points.
    max_iter : int, default 500
        EM iterations at most.
    tol : float, default 1e-4
        Convergence threshold on the largest change of any internal parameter.
    backend : {"hierlab", "girth"}, default "hierlab"
        "girth" calls girth's ``rasch_mml``/``onepl_mml``/``twopl_mml`` for the item
        parameters (no standard errors, no priors) and scores abilities with hierlab.

    Returns
    -------
    IRTFit

    Raises
    ------
    InputTypeError
        ``responses`` is not a table or an array of numbers, or ``prior`` is not a Prior.
    InvalidValueError
        An unknown ``irt_model``, ``quadrature`` or ``backend``, or graded responses for a
        binary model.

    Examples
    --------
    >>> from hierlab.irt import simulate_responses
    >>> sim = simulate_responses(500, 20, irt_model="2pl", seed=0)
    >>> fit = fit_irt(sim.responses, "2pl")
    >>> fit.converged, fit.items.columns[:5]
    (True, ['item', 'a', 'b', 'a_se', 'b_se'])
    """
    if irt_model not in IRT_MODELS:
        raise InvalidValueError(
            f"Unknown irt_model {irt_model!r}; choose one of {', '.join(IRT_MODELS)}."
        )
    if isinstance(prior, str) and prior == DEFAULT:
        prior = Prior()
    if prior is not None and not isinstance(prior, Prior):
        raise InputTypeError(
            f"`prior` must be a hierlab.irt.Prior, None or 'default', got {type(prior).__name__}."
        )
    if quadrature not in ("auto", "adaptive", "grid"):
        raise InvalidValueError(
            f"quadrature must be 'auto', 'adaptive' or 'grid', got {quadrature!r}."
        )
    if backend not in ("hierlab", "girth"):
        raise InvalidValueError(f"backend must be 'hierlab' or 'girth', got {backend!r}.")
    start_time = time.perf_counter()
    m = as_response_matrix(responses, binary=None if irt_model == "grm" else True)
    if irt_model != "grm" and m.n_categories != 2:
        raise InvalidValueError(
            f"irt_model={irt_model!r} needs binary responses, but these have "
            f"{m.n_categories} score categories; use irt_model='grm' for graded scores."
        )
    if irt_model == "grm" and m.n_categories < 2:
        raise InvalidValueError("The graded response model needs at least two score categories.")
    if backend == "girth":
        return _fit_girth(m, irt_model, n_quadrature, start_time)
    n_items = m.n_items
    n_models = m.n_models
    if n_quadrature is None:
        fine = n_items > 2000 and n_models <= FINE_GRID_MAX_MODELS
        n_quadrature = 61 if n_items <= 200 else (241 if fine else 121)
    adaptive = quadrature == "adaptive" or (
        quadrature == "auto"
        and n_models <= ADAPTIVE_MAX_MODELS
        and n_models * n_items * ADAPTIVE_NODES <= ADAPTIVE_MAX_CELLS
    )
    kernel = make_kernel(irt_model, m.n_categories, prior)
    ind = _indicators(m)
    quad = _Quadrature(ind, adaptive, n_quadrature)
    n_obs = m.observed.sum(axis=0)
    if irt_model == "grm":
        cum = np.stack(
            [(m.values >= k).sum(axis=0) / n_obs for k in range(1, m.n_categories)], axis=1
        )
        params = kernel.start(cum)
    else:
        params = kernel.start(np.nansum(m.values, axis=0) / n_obs)
    step = _newton_1pl if irt_model == "1pl" else _newton_items

    def em(p: np.ndarray) -> tuple[np.ndarray, float]:
        """One EM cycle from p (M-step, then the ridge step); returns the log-posterior at p."""
        w, counts, ll, z = quad.estep(kernel, p)
        return _ridge_step(kernel, step(kernel, p, counts, z), w, z), ll + float(
            kernel.log_prior(p)[0].sum()
        )

    converged, change, it = False, np.inf, 0
    while it < max_iter:  # SQUAREM (Varadhan & Roland 2008) around the EM map
        p1, lp0 = em(params)
        change = float(np.max(np.abs(p1 - params)))
        it += 1
        if change < tol or it >= max_iter:
            params, converged = p1, change < tol
            break
        p2, _ = em(p1)
        it += 1
        if it >= max_iter:
            params = p2
            break
        r, v = p1 - params, p2 - 2 * p1 + params
        v_norm = float(np.sqrt((v**2).sum()))
        alpha = -float(np.sqrt((r**2).sum())) / v_norm if v_norm > 0 else -1.0
        alpha = min(alpha, -1.0)
        extrapolated = np.clip(params - 2 * alpha * r + alpha**2 * v, -25.0, 25.0)
        candidate, lp_ext = em(extrapolated)  # also counts as an iteration
        it += 1
        params = candidate if np.isfinite(lp_ext) and lp_ext >= lp0 else p2
    if not converged:
        warnings.warn(
            f"EM did not converge in {max_iter} iterations (last largest change {change:.2e} > "
            f"tol {tol:g}); raise max_iter, or check for items with extreme responses.",
            HierlabWarning,
            stacklevel=2,
        )
    w, counts, loglik, z = quad.estep(kernel, params)
    cov = _louis_covariance(kernel, params, counts, w, ind, z)
    return _assemble(
        m,
        kernel,
        params,
        cov,
        loglik,
        prior=prior,
        n_quadrature=quad.n_nodes,
        quadrature="adaptive" if adaptive else "grid",
        converged=converged,
        iterations=it,
        max_change=change,
        start_time=start_time,
        backend="hierlab",
        theta_start=w @ z,
    )


def _n_free(irt_model: str, n_items: int, n_categories: int) -> int:
    per_item = {"rasch": 1, "1pl": 1, "2pl": 2, "3pl": 3, "grm": n_categories}[irt_model]
    return per_item * n_items + (1 if irt_model == "1pl" else 0)


def _assemble(
    m: ResponseMatrix,
    kernel: Any,
    params: np.ndarray,
    cov: np.ndarray | None,
    loglik: float,
    *,
    prior: Prior | None,
    n_quadrature: int,
    quadrature: str,
    converged: bool,
    iterations: int,
    max_change: float,
    start_time: float,
    backend: str,
    theta_start: np.ndarray | None = None,
) -> IRTFit:
    """Build the items table, score the abilities, then construct the fit once."""
    public = kernel.to_public(params)
    names, jac = kernel.jacobian(params)
    n_obs = m.observed.sum(axis=0)
    columns: dict[str, Any] = {"item": list(m.items)}
    for name in names:
        columns[name] = public[name]
    if cov is not None:
        pub_cov = np.einsum("jap,jpq,jbq->jab", jac, cov, jac)
        for i, name in enumerate(names):
            columns[f"{name}_se"] = np.sqrt(np.maximum(pub_cov[:, i, i], 0))
    else:
        for name in names:
            columns[f"{name}_se"] = np.full(m.n_items, np.nan)
    columns["d"] = public.get("d", np.full(m.n_items, np.nan))
    with np.errstate(invalid="ignore"):
        columns["n"] = n_obs
        columns["mean"] = np.nansum(m.scores(), axis=0) / n_obs
    items = pl.DataFrame(columns)
    abilities = estimate_abilities(m, items, start=theta_start)
    n_params = _n_free(kernel.irt_model, m.n_items, m.n_categories)
    return IRTFit(
        irt_model=kernel.irt_model,
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
        responses=m,
    )


def _fit_girth(
    m: ResponseMatrix, irt_model: str, n_quadrature: int | None, start_time: float
) -> IRTFit:
    import girth

    if irt_model not in ("rasch", "1pl", "2pl"):
        raise InvalidValueError(
            f"backend='girth' supports 'rasch', '1pl' and '2pl', not {irt_model!r}."
        )
    data = np.where(m.observed, m.values, girth.INVALID_RESPONSE).T.astype(int)  # items x models
    options = {"quadrature_n": n_quadrature or 41}
    if irt_model == "rasch":
        out = girth.rasch_mml(data, options=options)
    elif irt_model == "1pl":
        out = girth.onepl_mml(data, options=options)
    else:
        out = girth.twopl_mml(data, options=options)
    a = np.broadcast_to(np.asarray(out["Discrimination"], dtype=float), (m.n_items,)).copy()
    b = np.asarray(out["Difficulty"], dtype=float)
    kernel = make_kernel(irt_model, 2, None)
    params = np.column_stack([-a * b]) if irt_model == "rasch" else np.column_stack([a, -a * b])
    z, logw = _grid(61)
    _, _, loglik = _estep(_indicators(m), kernel.logprob(params, z), logw)
    return _assemble(
        m,
        kernel,
        params,
        None,
        loglik,
        prior=None,
        n_quadrature=options["quadrature_n"],
        quadrature="grid",
        converged=True,
        iterations=0,
        max_change=0.0,
        start_time=start_time,
        backend="girth",
    )
