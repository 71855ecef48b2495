"""The EM engine behind :func:`~hierlab.irt.fit_irt`: quadrature, E-step, M-step, latent scale.

Estimation is marginal maximum likelihood (or, with priors, marginal posterior mode) by EM,
with the abilities integrated out under ``theta ~ N(0, 1)``.

* **Nodes.** One shared grid over [-6, 6] (many models), or adaptive Gauss-Hermite nodes
  per model, centred on its current posterior and scaled by its SD (few models and long
  tests, whose posteriors are far narrower than any affordable grid).
* **E-step.** Over item chunks (memory stays bounded). For the logistic models (Rasch,
  1PL, 2PL) the log-likelihood at a node is ``z sum_j x_j a_j + sum_j x_j d_j -
  sum_j softplus(a_j z + d_j)``: two matrix-vector products (accumulated in float64) and
  one softplus per item and node; with no missing cells the softplus sum depends on the
  node alone and is taken over blocks of items that stay in the processor cache. Other
  models use the kernel's log-probabilities.
* **M-step.** All items at once: one Newton step per EM cycle (closed-form 2 x 2 solves for
  the logistic models, whose expected complete-data information is computed exactly: the
  probabilities of a block of items at the nodes times the nodes' expected counts, a small
  matrix product; finite-difference Hessians of the analytic gradient with step halving
  otherwise).
* **Threads.** With few models every matrix product is thin; :func:`~hierlab.irt.fit_irt` then runs them
  on one BLAS thread (through threadpoolctl).
* **Latent scale.** After each M-step the abilities are re-standardised (parameter-expanded
  EM): with ``u`` and ``v`` the mean and variance of the models' posterior means and second
  moments, every item is re-expressed for ``theta' = (theta - u) / sqrt(v)``. The fixed point
  has posterior moments 0 and 1 in the calibration sample, the property of the marginal
  maximum likelihood under N(0, 1); EM's slow crawl along this ridge disappears.
* **Priors relative to the scale.** Each item prior's gradient loses its component along
  the two directions that move the latent location and scale (every intercept ``d_j``
  shifted by ``a_j u``; every ``log a_j`` shifted by ``s``). The priors then shrink items
  towards each other, never the scale: with 20 models and 3,000 items, N(0, 4^2) intercept
  priors would otherwise outweigh the N(0, 1) ability assumption and move every difficulty.
* **Acceleration.** SQUAREM (Varadhan and Roland, 2008) around the EM map.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

try:  # optional: without it the BLAS library keeps its own thread count
    from threadpoolctl import threadpool_limits
except ImportError:  # pragma: no cover
    threadpool_limits = None

from hierlab.errors import ConvergenceWarning, format_items

__all__: list[str] = []

GRID_LIMIT = 6.0
ADAPTIVE_NODES = 21
ADAPTIVE_NODES_LONG = 11
ADAPTIVE_NODES_VERY_LONG = 7
LONG_TEST = 300  # observed items per model from which 11 adaptive nodes suffice
VERY_LONG_TEST = 3000  # ... and 7 (the posteriors are then normal to high accuracy)
ADAPTIVE_MAX_MODELS = 100
FINE_GRID_MAX_MODELS = 200
ADAPTIVE_MAX_CELLS = 1.5e7  # models x items x nodes
CHUNK_CELLS = 2_000_000  # items x nodes per chunk of the E- and M-steps
BLOCK_CELLS = 32_768  # items x nodes per block of the logistic kernels (fits in cache)
EXP_SAFE = 700.0  # exp(x) is finite below this
MAX_STEP = 1.5
RUNAWAY = 12.0  # |internal parameter| past which a maximum-likelihood item is diverging


@dataclass
class Data:
    """Indicator matrices of the responses (internal)."""

    ind: list[np.ndarray]  # K arrays (N x J): 1 where the response is category k
    obs: np.ndarray  # (N x J): 1 where observed
    complete: bool
    n_obs: np.ndarray  # (J,) responses per item

    @property
    def shape(self) -> tuple[int, int]:
        return self.obs.shape


def make_data(values: np.ndarray, n_categories: int) -> Data:
    """Build the indicator matrices (float32 for large matrices: 0/1 are exact)."""
    observed = ~np.isnan(values)
    dtype = np.float64 if values.size <= 4_000_000 else np.float32
    ind = [(values == k).astype(dtype) for k in range(n_categories)]
    return Data(
        ind=ind,
        obs=observed.astype(dtype),
        complete=bool(observed.all()),
        n_obs=observed.sum(axis=0),
    )


def _tmatmul(matrix: np.ndarray, other: np.ndarray) -> np.ndarray:
    """``matrix.T @ other`` in the matrix's precision, returned as float64."""
    return (matrix.T @ other.astype(matrix.dtype)).astype(np.float64)


def _softplus(eta: np.ndarray) -> np.ndarray:
    """Return ``log(1 + exp(eta))``, overwriting ``eta``."""
    t = _exp_minus_abs(eta)
    np.log1p(t, out=t)
    np.maximum(eta, 0.0, out=eta)
    eta += t
    return eta


def _exp_minus_abs(eta: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``exp(-|eta|)`` (never overflows)."""
    t = np.abs(eta, out=out)
    np.negative(t, out=t)
    return np.exp(t, out=t)


def _sigmoid_from(eta: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Sigmoid of ``eta`` from ``t = exp(-|eta|)`` (``t`` is overwritten).

    ``1 / (1 + t)`` is the sigmoid of ``|eta|``; negative ``eta`` take its complement.
    """
    t += 1.0
    np.reciprocal(t, out=t)
    return np.where(eta >= 0, t, 1.0 - t)


def _softplus_sum(a: np.ndarray, d: np.ndarray, z: np.ndarray) -> np.ndarray:
    """``sum_j log(1 + exp(a_j z + d_j))`` for every node of ``z`` (any shape).

    Over small blocks of items that stay in the processor cache, with reused buffers.
    """
    flat = z.ravel()
    total = np.zeros(flat.size)
    size = max(1, BLOCK_CELLS // max(1, flat.size))
    buf = np.empty((min(size, len(a)), flat.size))
    tmp = np.empty_like(buf)
    for s in range(0, len(a), size):
        e = min(s + size, len(a))
        eta = np.multiply(a[s:e, None], flat[None, :], out=buf[: e - s])
        eta += d[s:e, None]
        if eta.max() < EXP_SAFE:
            t = np.exp(eta, out=tmp[: e - s])
            np.log1p(t, out=t)
        else:  # exp would overflow: the stable form
            t = _exp_minus_abs(eta, out=tmp[: e - s])
            np.log1p(t, out=t)
            np.maximum(eta, 0.0, out=eta)
            t += eta
        total += t.sum(axis=0)
    return total.reshape(z.shape)


def _rowdot(matrix: np.ndarray, vector: np.ndarray) -> np.ndarray:
    """``matrix @ vector`` accumulated in float64, without a threaded BLAS call."""
    if matrix.dtype == np.float64:
        return np.einsum("nj,j->n", matrix, vector, optimize=False)
    out = np.zeros(matrix.shape[0])
    for sl in chunks(matrix.shape[1], matrix.shape[0]):
        out += np.einsum("nj,j->n", matrix[:, sl].astype(np.float64), vector[sl], optimize=False)
    return out


def _coldot(matrix: np.ndarray, vector: np.ndarray) -> np.ndarray:
    """``matrix.T @ vector`` accumulated in float64, without a threaded BLAS call."""
    if matrix.dtype == np.float64:
        return np.einsum("nj,n->j", matrix, vector, optimize=False)
    out = np.empty(matrix.shape[1])
    for sl in chunks(matrix.shape[1], matrix.shape[0]):
        out[sl] = np.einsum("nj,n->j", matrix[:, sl].astype(np.float64), vector, optimize=False)
    return out


@contextmanager
def blas_threads(limit: int | None) -> Iterator[None]:
    """Run the enclosed matrix products on at most ``limit`` BLAS threads (None: no limit).

    The products of a fit with few models are thin (one side is models x nodes, a few
    hundred at most): a second BLAS thread gains little on them, and on a busy machine
    threads that wait for each other make them many times slower.
    """
    if limit is None or threadpool_limits is None:
        yield
        return
    with threadpool_limits(limits=limit, user_api="blas"):
        yield


def grid(n_nodes: int) -> tuple[np.ndarray, np.ndarray]:
    """Equally spaced nodes over [-6, 6] and their log N(0, 1) weights (summing to 1)."""
    z = np.linspace(-GRID_LIMIT, GRID_LIMIT, n_nodes)
    logw = -0.5 * z**2
    logw -= np.logaddexp.reduce(logw)
    return z, logw


@dataclass
class EStep:
    """Posterior weights over the nodes and what the M-step and standard errors need."""

    w: np.ndarray  # (N, Q) posterior weights of each model's nodes
    z: np.ndarray  # (Q,) shared nodes or (N, Q) each model's own
    loglik: float
    m1: np.ndarray  # (N,) posterior means
    m2: np.ndarray  # (N,) posterior second moments
    a: np.ndarray | None = None  # logistic models: the discriminations and intercepts at
    d: np.ndarray | None = None  # which the E-step was done (the M-step's probabilities)

    @property
    def shared(self) -> bool:
        return self.z.ndim == 1


class Quadrature:
    """The E-step's integration over ability: a shared grid, or adaptive nodes per model."""

    def __init__(self, n_models: int, adaptive: bool, n_grid: int, n_adaptive: int) -> None:
        self.adaptive = adaptive
        # adaptive nodes start from a coarse grid (it only has to locate the posteriors)
        self.z_grid, self.logw_grid = grid(min(n_grid, 41) if adaptive else n_grid)
        t, gw = np.polynomial.hermite.hermgauss(n_adaptive)
        self.t = t
        self.log_gw = np.log(gw) + t**2
        self.mu = np.zeros(n_models)
        self.sigma = np.ones(n_models)
        self.ready = False

    @property
    def n_nodes(self) -> int:
        return len(self.t) if self.adaptive else len(self.z_grid)

    def nodes(self) -> tuple[np.ndarray, np.ndarray]:
        """Return the nodes and their log prior-times-rule weights."""
        if not self.adaptive or not self.ready:
            return self.z_grid, self.logw_grid
        own = self.mu[:, None] + np.sqrt(2.0) * self.sigma[:, None] * self.t[None, :]
        logw = (
            np.log(np.sqrt(2.0) * self.sigma)[:, None]
            + self.log_gw[None, :]
            - 0.5 * own**2
            - 0.5 * np.log(2 * np.pi)
        )
        return own, logw

    def follow(self, u: float, s: float) -> None:
        """Move the adaptive nodes with the abilities re-expressed as (theta - u) exp(-s)."""
        self.mu = (self.mu - u) * np.exp(-s)
        self.sigma = self.sigma * np.exp(-s)

    def recentre(self, est: EStep) -> None:
        """Centre the adaptive nodes on the posteriors of the last E-step."""
        if not self.adaptive:
            return
        self.mu = est.m1.copy()
        self.sigma = np.clip(np.sqrt(np.maximum(est.m2 - est.m1**2, 0.0)), 1e-3, 2.0)
        self.ready = True


def chunks(n_items: int, width: int) -> list[slice]:
    size = max(1, int(CHUNK_CELLS // max(1, width)))
    return [slice(s, min(s + size, n_items)) for s in range(0, n_items, size)]


def estep(kernel: Any, params: np.ndarray, data: Data, quad: Quadrature) -> EStep:
    """Posterior weights of every model over its nodes, and the marginal log-likelihood."""
    z, logw = quad.nodes()
    n, j = data.shape
    shared = z.ndim == 1
    a = d = None
    if kernel.logistic:
        a = kernel.discrimination(params)
        d = params[:, 1]
        x1 = data.ind[1]
        lin = (z[None, :] if shared else z) * _rowdot(x1, a)[:, None] + _rowdot(x1, d)[:, None]
        if data.complete:
            # the same items at every node: one softplus sum per node
            total = _softplus_sum(a, d, z)
            total = total[None, :] if shared else total
        elif shared:
            sp = _softplus(a[:, None] * z[None, :] + d[:, None])
            total = (data.obs @ sp.astype(data.obs.dtype)).astype(np.float64)
        else:
            total = np.zeros(z.shape)
            for sl in chunks(j, z.size):
                sp = _softplus(a[sl, None, None] * z[None] + d[sl, None, None])
                total += np.einsum("cnq,nc->nq", sp, data.obs[:, sl], optimize=False)
        loglik = lin - total + logw
    else:
        loglik = np.broadcast_to(logw, (n, z.shape[-1])).copy()
        flat = z if shared else z.ravel()
        for sl in chunks(j, flat.size * kernel.n_categories):
            logp = kernel.logprob(params[sl], flat)  # (K, c, Q or N*Q)
            for x, lp in zip(data.ind, logp, strict=True):
                xc = x[:, sl]
                if shared:
                    loglik += (xc @ lp.astype(xc.dtype)).astype(np.float64)
                else:
                    lp3 = lp.reshape(lp.shape[0], n, -1)
                    loglik += np.einsum("cnq,nc->nq", lp3, xc, optimize=False)
    ll_n = np.logaddexp.reduce(loglik, axis=1)
    w = np.exp(loglik - ll_n[:, None])
    zz = z[None, :] if shared else z
    m1 = (w * zz).sum(axis=1)
    m2 = (w * zz**2).sum(axis=1)
    return EStep(w=w, z=z, loglik=float(ll_n.sum()), m1=m1, m2=m2, a=a, d=d)


def expected_counts(data: Data, est: EStep, sl: slice) -> tuple[np.ndarray, np.ndarray]:
    """Return the expected responses in each category at each node for the items ``sl``.

    Returns ``counts`` (K, c, Q') and the nodes ``z`` (Q',): the shared grid, or every
    model's own nodes one after another (Q' = N x Q).
    """
    if est.shared:
        counts = np.stack([_tmatmul(x[:, sl], est.w) for x in data.ind])
        return counts, est.z
    counts = np.stack([x[:, sl].T.astype(np.float64)[:, :, None] * est.w[None] for x in data.ind])
    return counts.reshape(counts.shape[0], counts.shape[1], -1), est.z.ravel()


# ----------------------------------------------------------------------------- priors


def prior_terms(kernel: Any, params: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return the item priors without their pull along the latent location and scale.

    Returns the per-item prior value (J,), the projected gradient (J, p) and the
    curvature diagonal (J, p). The projection removes the gradient's component along
    ``kernel.directions`` (the span of the location and scale moves), so the priors cannot
    move the scale that the abilities fix.
    """
    val, grad, curv = kernel.log_prior(params)
    if kernel.prior is None:
        return val, grad, curv
    return val, grad - shift_along_scale(kernel, params, grad), curv


def shift_along_scale(kernel: Any, params: np.ndarray, grad: np.ndarray) -> np.ndarray:
    """Return the part of ``grad`` (J, p) in the span of the location and scale moves."""
    e = kernel.directions(params)  # (J, p, 2)
    gram = np.einsum("jpa,jpb->ab", e, e)
    rhs = np.einsum("jpa,jp->a", e, grad)
    coef = np.linalg.lstsq(gram, rhs, rcond=1e-12)[0]
    return e @ coef


# ----------------------------------------------------------------------------- M-step


def _logistic_sums(data: Data, est: EStep) -> tuple[np.ndarray, ...]:
    """Return sums over nodes for every item: N P, N P z and the information terms.

    ``N`` is the expected number of responses at a node and ``P`` the probability of a
    right answer there (recomputed here from the E-step's parameters, block by block).
    Returns five arrays (J,): sum N P, sum N P z, sum N P Q, sum N P Q z, sum N P Q z^2
    (with ``Q = 1 - P``).
    """
    a, d = est.a, est.d
    j = len(a)
    zf = est.z.ravel()
    out = np.empty((5, j))
    if data.complete:
        nw = est.w.sum(axis=0) if est.shared else est.w.ravel()
        weights = np.column_stack([nw, nw * zf, nw * zf * zf])  # (Q', 3)
        size = max(1, BLOCK_CELLS // max(1, zf.size))
        buf = np.empty((min(size, j), zf.size))
        tmp = np.empty_like(buf)
        for s in range(0, j, size):
            e = min(s + size, j)
            # P = 1 / (1 + exp(-a z - d)); exp may overflow to inf, giving P = 0
            prob = np.multiply(-a[s:e, None], zf[None, :], out=buf[: e - s])
            prob -= d[s:e, None]
            with np.errstate(over="ignore"):
                np.exp(prob, out=prob)
            prob += 1.0
            np.reciprocal(prob, out=prob)
            out[:2, s:e] = _small_matmul(prob, weights[:, :2]).T
            prob *= np.subtract(1.0, prob, out=tmp[: e - s])
            out[2:, s:e] = _small_matmul(prob, weights).T
        return out[0], out[1], out[2], out[3], out[4]
    z = zf[None, :]
    width = est.w.size if not est.shared else est.w.shape[1] * 4
    for sl in chunks(j, width):
        eta = a[sl, None] * zf[None, :] + d[sl, None]
        prob = _sigmoid_from(eta, _exp_minus_abs(eta))
        if est.shared:
            nw = _tmatmul(data.obs[:, sl], est.w)  # (c, Q)
        else:
            obs_t = data.obs[:, sl].T.astype(np.float64)  # (c, N)
            nw = (obs_t[:, :, None] * est.w[None]).reshape(len(prob), -1)  # (c, N Q)
        np_ = nw * prob
        v = np_ * (1.0 - prob)
        out[0, sl] = np_.sum(axis=1)
        out[1, sl] = (np_ * z).sum(axis=1)
        out[2, sl] = v.sum(axis=1)
        out[3, sl] = (v * z).sum(axis=1)
        out[4, sl] = (v * z * z).sum(axis=1)
    return out[0], out[1], out[2], out[3], out[4]


def _small_matmul(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """``left @ right`` for a block of items times a few columns (too small to be threaded)."""
    return left @ right


def logistic_parts(kernel: Any, params: np.ndarray, data: Data, est: EStep):
    """Likelihood gradient (J, 2), complete-data information (J, 2, 2) in internal coordinates.

    Also returns the Fisher-scoring (expected) information of the first parameter (J,).
    """
    j = params.shape[0]
    s_p, s_pz, i_dd, i_ad, i_aa = _logistic_sums(data, est)
    x1 = data.ind[1]
    g_a = _coldot(x1, est.m1) - s_pz
    g_d = np.asarray(x1.sum(axis=0), dtype=np.float64) - s_p
    a = kernel.discrimination(params)
    grad = np.column_stack([g_a, g_d])
    info = np.empty((j, 2, 2))
    info[:, 0, 0] = i_aa
    info[:, 0, 1] = info[:, 1, 0] = i_ad
    info[:, 1, 1] = i_dd
    if kernel.log_a:
        # alpha = log a: d2/dalpha2 = a^2 d2/da2 + a d/da (exact observed complete-data info)
        grad[:, 0] = a * g_a
        info[:, 0, 0] = a**2 * i_aa - a * g_a
        info[:, 0, 1] = info[:, 1, 0] = a * i_ad
    return grad, info, a**2 * i_aa if kernel.log_a else i_aa


def _solve_2x2(info: np.ndarray, grad: np.ndarray) -> np.ndarray:
    det = info[:, 0, 0] * info[:, 1, 1] - info[:, 0, 1] ** 2
    step = np.empty_like(grad)
    step[:, 0] = (info[:, 1, 1] * grad[:, 0] - info[:, 0, 1] * grad[:, 1]) / det
    step[:, 1] = (info[:, 0, 0] * grad[:, 1] - info[:, 0, 1] * grad[:, 0]) / det
    return step


def _mstep_logistic(kernel: Any, params: np.ndarray, data: Data, est: EStep) -> np.ndarray:
    grad, info, fisher_aa = logistic_parts(kernel, params, data, est)
    _, prior_grad, prior_curv = prior_terms(kernel, params)
    grad = grad + prior_grad
    info = info - prior_curv[:, :, None] * np.eye(2)[None]
    if kernel.log_a:
        # where the exact matrix is not positive definite use Fisher scoring for log a
        det = info[:, 0, 0] * info[:, 1, 1] - info[:, 0, 1] ** 2
        bad = (info[:, 0, 0] <= 1e-10) | (det <= 1e-10)
        info[bad, 0, 0] = fisher_aa[bad] - prior_curv[bad, 0]
    info[:, 1, 1] = np.maximum(info[:, 1, 1], 1e-10)
    new = params.copy()
    if kernel.irt_model == "1pl":
        # one common discrimination (column 0 of every row): Schur complement of the
        # arrowhead system
        i_aa, i_ad, i_dd = info[:, 0, 0], info[:, 0, 1], info[:, 1, 1]
        schur = i_aa.sum() - (i_ad**2 / i_dd).sum()
        rhs = grad[:, 0].sum() - (i_ad * grad[:, 1] / i_dd).sum()
        d_alpha = rhs / schur if schur > 1e-10 else np.sign(rhs) * 0.1
        d_alpha = float(np.clip(d_alpha, -MAX_STEP, MAX_STEP))
        d_d = np.clip((grad[:, 1] - i_ad * d_alpha) / i_dd, -MAX_STEP, MAX_STEP)
        new[:, 0] += d_alpha
        new[:, 1] += d_d
        return new
    det = info[:, 0, 0] * info[:, 1, 1] - info[:, 0, 1] ** 2
    ok = det > 1e-12
    step = np.zeros_like(grad)
    step[ok] = _solve_2x2(info[ok], grad[ok])
    # items whose information is singular: a gradient step on the intercept alone
    step[~ok, 1] = grad[~ok, 1] / info[~ok, 1, 1]
    return params + np.clip(step, -MAX_STEP, MAX_STEP)


def objective(kernel, params, counts, z, shift) -> np.ndarray:
    """Return the expected complete-data log-posterior of each item (projected priors)."""
    val = (counts * kernel.logprob(params, z)).sum(axis=(0, 2))
    return val + kernel.log_prior(params)[0] - (shift * params).sum(axis=1)


def gradient(kernel, params, counts, z, shift) -> np.ndarray:
    """Gradient of :func:`objective` with respect to the internal parameters (J, p)."""
    s = kernel.score(params, z)  # (K, J, Q, p)
    return (counts[..., None] * s).sum(axis=(0, 2)) + kernel.log_prior(params)[1] - shift


def hessian(kernel, params, counts, z, shift, h: float = 1e-5) -> np.ndarray:
    """Central finite differences of the analytic gradient, batched over items (J, p, p)."""
    j, p = params.shape
    hess = np.empty((j, p, p))
    for i in range(p):
        step = np.zeros(p)
        step[i] = h
        hess[:, :, i] = (
            gradient(kernel, params + step, counts, z, shift)
            - gradient(kernel, params - step, counts, z, shift)
        ) / (2 * h)
    return 0.5 * (hess + hess.transpose(0, 2, 1))


def _negative_definite(hess: np.ndarray) -> np.ndarray:
    top = np.linalg.eigvalsh(hess)[:, -1]
    shift = np.where(top > -1e-6, top + 1e-3, 0.0)
    return hess - shift[:, None, None] * np.eye(hess.shape[1])[None]


def _mstep_generic(kernel: Any, params: np.ndarray, data: Data, est: EStep) -> np.ndarray:
    """Damped Newton steps with step halving per item, over chunks of items."""
    shift_all = np.zeros_like(params)
    if kernel.prior is not None:
        shift_all = shift_along_scale(kernel, params, kernel.log_prior(params)[1])
    new = params.copy()
    n_nodes = est.w.shape[1] * (1 if est.shared else est.w.shape[0])
    for sl in chunks(len(params), n_nodes * kernel.n_categories * kernel.n_params * 4):
        counts, z = expected_counts(data, est, sl)
        p0, shift = params[sl], shift_all[sl]
        grad = gradient(kernel, p0, counts, z, shift)
        fisher = -_negative_definite(hessian(kernel, p0, counts, z, shift))
        step = np.linalg.solve(fisher, grad[..., None])[..., 0]
        # shrink long steps along their direction (clipping each coordinate on its own
        # can turn an ascent direction into a descent one, and the item then stalls)
        longest = np.abs(step).max(axis=1, keepdims=True)
        step = step * np.minimum(1.0, MAX_STEP / np.maximum(longest, 1e-300))
        before = objective(kernel, p0, counts, z, shift)
        out = p0.copy()
        todo = np.ones(len(p0), dtype=bool)
        scale = 1.0
        for _ in range(12):
            trial = p0[todo] + scale * step[todo]
            after = objective(kernel, trial, counts[:, todo], z, shift[todo])
            ok = after >= before[todo] - 1e-10
            idx = np.flatnonzero(todo)
            out[idx[ok]] = trial[ok]
            todo[idx[ok]] = False
            if not todo.any():
                break
            scale *= 0.5
        new[sl] = out
    return new


def _mstep_shared(kernel: Any, params: np.ndarray, data: Data, est: EStep) -> np.ndarray:
    """Newton step for a common discrimination (column 0 of every row) and per-item rest.

    The joint Hessian is an arrowhead (the common parameter couples every item): the
    Schur complement gives the common step, then each item's own step; the whole step is
    halved until the summed objective does not decrease.
    """
    shift_all = np.zeros_like(params)
    if kernel.prior is not None:
        shift_all = shift_along_scale(kernel, params, kernel.log_prior(params)[1])
    j, p = params.shape
    grad = np.empty((j, p))
    fisher = np.empty((j, p, p))
    n_nodes = est.w.shape[1] * (1 if est.shared else est.w.shape[0])
    parts = []
    for sl in chunks(j, n_nodes * kernel.n_categories * p * 4):
        counts, z = expected_counts(data, est, sl)
        grad[sl] = gradient(kernel, params[sl], counts, z, shift_all[sl])
        fisher[sl] = -hessian(kernel, params[sl], counts, z, shift_all[sl])
        parts.append((sl, counts, z))
    h_dd = fisher[:, 1:, 1:] + 1e-8 * np.eye(p - 1)[None]
    h_ad = fisher[:, 0, 1:]
    sol_g = np.linalg.solve(h_dd, grad[:, 1:, None])[..., 0]
    sol_h = np.linalg.solve(h_dd, h_ad[..., None])[..., 0]
    schur = fisher[:, 0, 0].sum() - (h_ad * sol_h).sum()
    rhs = grad[:, 0].sum() - (h_ad * sol_g).sum()
    d_alpha = rhs / schur if schur > 1e-10 else np.sign(rhs) * 0.1
    d_alpha = float(np.clip(d_alpha, -MAX_STEP, MAX_STEP))
    step = np.empty_like(params)
    step[:, 0] = d_alpha
    step[:, 1:] = np.clip(sol_g - sol_h * d_alpha, -MAX_STEP, MAX_STEP)

    def total(trial: np.ndarray) -> float:
        return sum(
            float(objective(kernel, trial[sl], c, z, shift_all[sl]).sum()) for sl, c, z in parts
        )

    before = total(params)
    scale = 1.0
    for _ in range(12):
        trial = params + scale * step
        if total(trial) >= before - 1e-10:
            return trial
        scale *= 0.5
    return params


def mstep(kernel: Any, params: np.ndarray, data: Data, est: EStep) -> np.ndarray:
    """One M-step for all items."""
    if getattr(kernel, "shared", False):
        return _mstep_shared(kernel, params, data, est)
    if kernel.logistic:
        return _mstep_logistic(kernel, params, data, est)
    return _mstep_generic(kernel, params, data, est)


def standardise(kernel: Any, params: np.ndarray, est: EStep) -> tuple[np.ndarray, float, float]:
    """Re-express the items so that the posterior moments are 0 and 1 (parameter expansion).

    Returns the new parameters and the location ``u`` and log-scale ``s`` applied.
    """
    u = float(est.m1.mean())
    var = float(est.m2.mean()) - u**2
    s = float(np.clip(0.5 * np.log(max(var, 1e-6)), -0.5, 0.5))
    return kernel.transform(params, u, s), u, s


def centred_estep(kernel: Any, params: np.ndarray, data: Data, quad: Quadrature) -> EStep:
    """E-step; adaptive nodes that missed a posterior are re-centred and the step redone."""
    est = estep(kernel, params, data, quad)
    for _ in range(3):
        if not quad.adaptive:
            break
        off = np.abs(est.m1 - quad.mu) / quad.sigma
        spread = np.sqrt(np.maximum(est.m2 - est.m1**2, 0.0)) / quad.sigma
        if quad.ready and off.max() < 0.5 and np.abs(np.log(np.maximum(spread, 1e-12))).max() < 0.5:
            break
        quad.recentre(est)
        est = estep(kernel, params, data, quad)
    return est


def log_posterior(kernel: Any, params: np.ndarray, est: EStep) -> float:
    """Marginal log-likelihood plus the item priors' log density."""
    return est.loglik + float(kernel.log_prior(params)[0].sum())


@dataclass
class Outcome:
    """What :func:`run_em` returns."""

    params: np.ndarray
    est: EStep
    converged: bool
    iterations: int
    max_change: float
    runaway: np.ndarray  # (J,) bool: maximum-likelihood items diverging to infinity


def run_em(
    kernel: Any,
    params: np.ndarray,
    data: Data,
    quad: Quadrature,
    *,
    max_iter: int,
    tol: float,
    item_names: tuple[str, ...],
) -> Outcome:
    """EM with parameter expansion, accelerated by SQUAREM; warns when it stops early."""

    def em(p: np.ndarray) -> tuple[np.ndarray, float, EStep]:
        est = centred_estep(kernel, p, data, quad)
        quad.recentre(est)
        new, u, s = standardise(kernel, mstep(kernel, p, data, est), est)
        quad.follow(u, s)
        return new, log_posterior(kernel, p, est), est

    runaway = np.zeros(len(params), dtype=bool)
    converged, change, it = False, np.inf, 0
    while it < max_iter:
        p1, lp0, _ = em(params)
        delta = np.abs(p1 - params).max(axis=1)
        change = float(delta.max())
        it += 1
        if change < tol or it >= max_iter:
            params, converged = p1, change < tol
            break
        if kernel.prior is None and it >= 30:
            runaway = (np.abs(p1) > RUNAWAY).any(axis=1)
            moving = delta >= tol
            if runaway.any() and not (moving & ~runaway).any():
                params = p1
                break
        p2, _, _ = em(p1)
        it += 1
        if it >= max_iter:
            params = p2
            break
        r, v = p1 - params, p2 - 2 * p1 + params
        v_norm = float(np.sqrt((v**2).sum()))
        alpha = -float(np.sqrt((r**2).sum())) / v_norm if v_norm > 0 else -1.0
        alpha = min(alpha, -1.0)
        extrapolated = np.clip(params - 2 * alpha * r + alpha**2 * v, -25.0, 25.0)
        if kernel.irt_model in ("1pl", "pcm"):
            extrapolated[:, 0] = extrapolated[:, 0].mean()
        candidate, lp_ext, _ = em(extrapolated)
        it += 1
        params = candidate if np.isfinite(lp_ext) and lp_ext >= lp0 else p2
    if runaway.any():
        names = np.asarray(item_names, dtype=object)[runaway].tolist()
        warnings.warn(
            f"Maximum likelihood diverges for {len(names)} item(s) ({format_items(names)}): "
            "their responses separate the models perfectly, so a or |d| grows without "
            f"bound. EM stopped after {it} iterations; their estimates and standard "
            "errors are not meaningful. Fit with the default prior (prior='default') to "
            "keep them finite.",
            ConvergenceWarning,
            stacklevel=3,
        )
    elif not converged:
        warnings.warn(
            f"EM did not converge in {max_iter} iterations (last largest change {change:.2e} > "
            f"tol {tol:g}); raise max_iter, or check for items with extreme responses.",
            ConvergenceWarning,
            stacklevel=3,
        )
    est = centred_estep(kernel, params, data, quad)
    quad.recentre(est)
    est = estep(kernel, params, data, quad)
    return Outcome(params, est, converged, it, change, runaway)
