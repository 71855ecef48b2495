"""Full-information covariance of the item parameters of an IRT fit.

The observed information of the marginal log-likelihood (Louis, 1982) is

    I = sum_n E[-H_n | x_n] - sum_n Cov(s_n | x_n),

with ``s_n`` and ``H_n`` the complete-data score and Hessian of model n. The first term is
block-diagonal (one block per item); the second couples every pair of items through each
model's posterior over its ability. On quadrature nodes ``Cov(s_n | x_n) = U_n U_n'`` with
columns ``sqrt(w_nq) (s_n(z_q) - E[s_n | x_n])``, so ``I = D - U U'``: a block-diagonal
matrix minus a low-rank one. hierlab inverts it

* densely when there are at most 3,000 item parameters (a 1,000 x 5 test);
* by the Woodbury identity when there are more but few models (the evaluation shape:
  20 models x 2,000 items gives U of width 20 x 21 nodes), exactly;
* with scores linearised around each model's posterior mean (width N, the posterior
  variance from the Laplace approximation) when both are large (1,000 x 20,000).

Per-item blocks of Louis' information (what hierlab reported before, and what several
libraries report) miss the covariance between items through the shared latent
distribution; the dominant part is the common location and scale of all items, known
only to about ``1 / sqrt(N)`` from N models. Intervals for difficulties and abilities
that ignore it under-cover on few-model data.

Priors add their curvature, except along the latent location and scale (the estimator
removes the priors' pull there, see :mod:`hierlab.irt.engine`), so those two directions
are informed by the likelihood alone.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
from scipy.linalg import lapack

from hierlab.errors import InputTypeError, InvalidValueError, format_items
from hierlab.irt import engine

__all__ = ["ItemCovariance"]

DENSE_MAX = 3000  # internal parameters for a dense inverse
LOWRANK_MAX = 3000  # width of U for an exact Woodbury inverse
STORE_MAX = 4e7  # elements of the stored low-rank factor
SE_METHODS = ("louis", "oakes", "crossprod", "sandwich")
SHARED_MODELS = ("1pl", "pcm")  # one discrimination common to all items


def _is_shared(kernel: Any) -> bool:
    return kernel.irt_model in SHARED_MODELS


class ItemCovariance:
    """The covariance matrix of a fit's item parameters, stored in structured form.

    ``cov = blockdiag(D^-1) + V K^-1 V'`` (internal parameters, one block per item), or a
    dense matrix for small fits. :meth:`matrix` returns the covariance of the public
    parameters of any set of items; :meth:`IRTFit.vcov <hierlab.irt.IRTFit.vcov>` is the
    user-facing entry point.

    Parameters
    ----------
    kernel : object
        The fit's model kernel (internal).
    params : numpy.ndarray
        Internal item parameters, shape (J, p).
    items : tuple of str
        Item names.
    method : str
        How the information was inverted: "dense", "woodbury", "linearised" or "blocks".
    dense : numpy.ndarray, optional
        The dense covariance of the flat internal parameter vector.
    dinv : numpy.ndarray, optional
        Inverses of the diagonal blocks, shape (n_blocks, b, b).
    factor : numpy.ndarray, optional
        ``V``, shape (n_parameters, r).
    kinv : numpy.ndarray, optional
        ``K^-1``, shape (r, r).

    Examples
    --------
    >>> from hierlab.irt import fit_irt, simulate_responses
    >>> fit = fit_irt(simulate_responses(200, 6, seed=0).responses)
    >>> fit.covariance.method, fit.vcov(["item_0"]).shape
    ('dense', (2, 3))
    """

    def __init__(
        self,
        kernel: Any,
        params: np.ndarray,
        items: tuple[str, ...],
        method: str,
        *,
        dense: np.ndarray | None = None,
        dinv: np.ndarray | None = None,
        factor: np.ndarray | None = None,
        kinv: np.ndarray | None = None,
    ) -> None:
        if not hasattr(kernel, "jacobian") or not isinstance(params, np.ndarray):
            raise InputTypeError(
                "ItemCovariance is built by fit_irt (from a model kernel and an array of "
                f"parameters), got {type(kernel).__name__} and {type(params).__name__}."
            )
        self.kernel = kernel
        self.params = params
        self.items = tuple(items)
        self.method = method
        self.dense = dense
        self.dinv = dinv
        self.factor = factor
        self.kinv = kinv
        self.shared = _is_shared(kernel)

    def _rows(self, idx: np.ndarray) -> np.ndarray:
        """Flat internal indices of each item's parameters, in kernel row order (m, p)."""
        j, p = self.params.shape
        if self.shared:  # flat layout [d_1 .. d_J (p - 1 each), alpha, p - 2 unused]
            b = p - 1
            own = idx[:, None] * b + np.arange(b)[None, :]
            return np.column_stack([np.full(len(idx), j * b), own])
        return idx[:, None] * p + np.arange(p)[None, :]

    def internal(self, idx: np.ndarray) -> np.ndarray:
        """Return the covariance of the internal parameters of some items.

        Parameters
        ----------
        idx : numpy.ndarray of int
            Item positions.

        Returns
        -------
        numpy.ndarray
            Shape (m p, m p), each item's parameters in kernel row order.
        """
        rows = self._rows(idx).ravel()
        if self.dense is not None:
            return self.dense[np.ix_(rows, rows)]
        b = self.dinv.shape[1]
        block = rows // b
        within = rows % b
        out = np.where(
            block[:, None] == block[None, :],
            self.dinv[block[:, None], within[:, None], within[None, :]],
            0.0,
        )
        if self.factor is not None:
            f = self.factor[rows].astype(np.float64)
            out = out + f @ self.kinv @ f.T
        return out

    def blocks(self) -> np.ndarray:
        """Return each item's internal covariance block.

        Returns
        -------
        numpy.ndarray
            Shape (J, p, p).
        """
        j, p = self.params.shape
        width = 1 if self.factor is None else self.factor.shape[1]
        step = max(1, int(4e6 // (p * width)))
        if self.dense is None and not self.shared and self.dinv.shape[1] == p:
            return self._item_blocks(step)
        out = np.empty((j, p, p))
        for s in range(0, j, step):
            idx = np.arange(s, min(j, s + step))
            rows = self._rows(idx)
            if self.dense is not None:
                out[idx] = self.dense[rows[:, :, None], rows[:, None, :]]
                continue
            b = self.dinv.shape[1]
            block, within = rows // b, rows % b
            same = block[:, :, None] == block[:, None, :]
            out[idx] = np.where(
                same, self.dinv[block[:, :, None], within[:, :, None], within[:, None, :]], 0.0
            )
            if self.factor is not None:
                f = np.asarray(self.factor[rows.ravel()], dtype=np.float64)  # (m p, r)
                g = (f @ self.kinv).reshape(len(idx), p, -1)
                out[idx] += np.einsum("mar,mbr->mab", g, f.reshape(len(idx), p, -1))
        return out

    def _item_blocks(self, step: int) -> np.ndarray:
        """:meth:`blocks` when each item's parameters are one diagonal block (rows j p ...)."""
        j, p = self.params.shape
        out = self.dinv.copy()
        if self.factor is None:
            return out
        for s in range(0, j, step):
            e = min(j, s + step)
            f = np.asarray(self.factor[s * p : e * p], dtype=np.float64)  # (m p, r)
            g = (f @ self.kinv).reshape(e - s, p, -1)
            f = f.reshape(e - s, p, -1)
            for a in range(p):
                for b in range(p):
                    out[s:e, a, b] += np.einsum("mr,mr->m", g[:, a], f[:, b])
        return out

    def public_blocks(self) -> tuple[list[str], np.ndarray]:
        """Return the public parameter names and each item's public covariance block.

        Returns
        -------
        tuple of (list of str, numpy.ndarray)
            The names (``a, b, d``, ...) and the blocks, shape (J, n, n).
        """
        names, jac = self.kernel.jacobian(self.params)
        cov = self.blocks()
        return names, np.einsum("jap,jpq,jbq->jab", jac, cov, jac)

    def matrix(self, items: Any = None, *, scale: str = "difficulty") -> pl.DataFrame:
        """Return the covariance of the public parameters of ``items`` as a labelled table.

        Parameters
        ----------
        items : sequence of str, optional
            Item names (default: every item; refused above 3,000 parameters).
        scale : {"difficulty", "intercept"}, default "difficulty"
            Difficulties ``b`` (``b1, b2, ...``) or intercepts ``d`` (``d1, ...``) with the
            discriminations (and the guessing parameters of the 3PL).

        Returns
        -------
        polars.DataFrame
            Column ``parameter`` (``"item:a"``, ``"item:b"`` ...) and one column per
            parameter.

        Examples
        --------
        >>> from hierlab.irt import fit_irt, simulate_responses
        >>> fit = fit_irt(simulate_responses(200, 6, seed=0).responses)
        >>> fit.covariance.matrix(["item_0", "item_1"])["parameter"].to_list()
        ['item_0:a', 'item_0:b', 'item_1:a', 'item_1:b']
        """
        if scale not in ("difficulty", "intercept"):
            raise InvalidValueError(f"scale must be 'difficulty' or 'intercept', got {scale!r}.")
        known = {name: i for i, name in enumerate(self.items)}
        if items is None:
            idx = np.arange(len(self.items))
        else:
            if isinstance(items, str):
                items = [items]
            items = [str(i) for i in items]
            unknown = [i for i in items if i not in known]
            if unknown:
                raise InvalidValueError(
                    f"{len(unknown)} item(s) are not items of the fit: {format_items(unknown)}."
                )
            idx = np.array([known[i] for i in items], dtype=np.int64)
        names, jac = self.kernel.jacobian(self.params[idx])
        keep = [
            i
            for i, n in enumerate(names)
            if not (n.startswith("d") if scale == "difficulty" else n[:1] in ("b", "s"))
        ]
        n_pub = len(keep)
        if len(idx) * n_pub > DENSE_MAX * 2:
            raise InvalidValueError(
                f"The covariance of {len(idx)} items ({len(idx) * n_pub:,} parameters) is too "
                "large to return as a table; pass the items you need, e.g. "
                f"fit.vcov({list(self.items[:2])!r})."
            )
        cov = self.internal(idx)
        p = self.params.shape[1]
        big = np.zeros((len(idx) * n_pub, len(idx) * p))
        for m in range(len(idx)):
            big[m * n_pub : (m + 1) * n_pub, m * p : (m + 1) * p] = jac[m][keep]
        pub = big @ cov @ big.T
        labels = [f"{self.items[i]}:{names[k]}" for i in idx for k in keep]
        table = pl.DataFrame({"parameter": labels})
        return table.hstack(pl.DataFrame(pub, schema=labels, orient="row"))

    def draw_flat(self, n_draws: int, rng: np.random.Generator) -> np.ndarray:
        """Return draws from N(0, cov) in the flat internal layout.

        Parameters
        ----------
        n_draws : int
            Number of draws.
        rng : numpy.random.Generator
            Randomness.

        Returns
        -------
        numpy.ndarray
            Shape (n_draws, P).
        """
        if self.dense is not None:
            vals, vecs = np.linalg.eigh(self.dense)
            root = vecs * np.sqrt(np.maximum(np.nan_to_num(vals), 0.0))
            return rng.standard_normal((n_draws, len(vals))) @ root.T
        vals, vecs = np.linalg.eigh(self.dinv)
        root = vecs * np.sqrt(np.maximum(vals, 0.0))[:, None, :]
        e = rng.standard_normal((n_draws, *self.dinv.shape[:2]))
        flat = np.einsum("bij,nbj->nbi", root, e).reshape(n_draws, -1)
        if self.factor is not None:
            kv, kq = np.linalg.eigh(self.kinv)
            kroot = kq * np.sqrt(np.maximum(kv, 0.0))
            flat += (rng.standard_normal((n_draws, len(kv))) @ kroot.T) @ self.factor.T
        return flat

    def draw(self, n_draws: int, rng: np.random.Generator) -> np.ndarray:
        """Return draws of the internal item parameters from N(params, cov).

        Parameters
        ----------
        n_draws : int
            Number of draws.
        rng : numpy.random.Generator
            Randomness.

        Returns
        -------
        numpy.ndarray
            Shape (n_draws, J, p).
        """
        return self.unflatten(self.draw_flat(n_draws, rng))

    def unflatten(self, flat: np.ndarray) -> np.ndarray:
        """Return the parameter rows of the estimates plus flat internal perturbations.

        Parameters
        ----------
        flat : numpy.ndarray
            Perturbations, shape (n, P).

        Returns
        -------
        numpy.ndarray
            Shape (n, J, p).
        """
        j, p = self.params.shape
        if self.shared:
            b = p - 1
            out = np.empty((len(flat), j, p))
            out[:, :, 0] = flat[:, [j * b]]
            out[:, :, 1:] = flat[:, : j * b].reshape(len(flat), j, b)
            return self.params[None] + out
        return self.params[None] + flat.reshape(len(flat), j, p)

    def flatten_gradient(self, grad: np.ndarray) -> np.ndarray:
        """Return gradients per parameter row in the flat internal layout.

        Parameters
        ----------
        grad : numpy.ndarray
            Shape (..., J, p); a common discrimination (1PL, PCM) sums over the rows.

        Returns
        -------
        numpy.ndarray
            Shape (..., P).
        """
        j, p = self.params.shape
        if self.shared:
            lead = grad.shape[:-2]
            return np.concatenate(
                [
                    grad[..., 1:].reshape(*lead, j * (p - 1)),
                    grad[..., 0].sum(axis=-1, keepdims=True),
                    np.zeros((*lead, p - 2)),
                ],
                -1,
            )
        return grad.reshape(*grad.shape[:-2], j * p)

    def quadratic(self, g: np.ndarray) -> np.ndarray:
        """Return the variance ``g' cov g`` of linear combinations of the parameters.

        Parameters
        ----------
        g : numpy.ndarray
            Shape (n, P), flat internal layout.

        Returns
        -------
        numpy.ndarray
            Shape (n,).
        """
        if self.dense is not None:
            return np.einsum("np,pq,nq->n", g, self.dense, g)
        b = self.dinv.shape[1]
        gb = g.reshape(len(g), -1, b)
        out = np.einsum("nbi,bij,nbj->n", gb, self.dinv, gb)
        if self.factor is not None:
            f = g @ self.factor
            out = out + np.einsum("nr,rs,ns->n", f, self.kinv, f)
        return out


# ============================================================================ building


def _flat_layout(kernel: Any, params: np.ndarray, blocks: np.ndarray):
    """Flat diagonal blocks and arrowhead correction for a common discrimination (1PL, PCM).

    Other models keep the blocks as they are. With a common discrimination the flat layout
    is every item's own parameters (``b = p - 1`` each), then one block holding the common
    parameter (padded with ``b - 1`` unused coordinates of unit information).

    Returns (dblocks (nb, b, b), extra F (P, m) or None, extra C (m, m) or None).
    """
    j, p = params.shape
    if not _is_shared(kernel):
        return blocks, None, None
    b = p - 1
    dblocks = np.empty((j + 1, b, b))
    dblocks[:j] = blocks[:, 1:, 1:]
    dblocks[j] = np.eye(b)
    dblocks[j, 0, 0] = blocks[:, 0, 0].sum()
    f = np.zeros(((j + 1) * b, 2))
    f[j * b, 0] = 1.0
    f[: j * b, 1] = blocks[:, 1:, 0].ravel()
    # I = Delta + e h' + h e' = Delta - F C F' with C = -[[0, 1], [1, 0]]
    return dblocks, f, -np.array([[0.0, 1.0], [1.0, 0.0]])


def _flat_directions(kernel: Any, params: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Location/scale directions (P, 2) and prior curvature diagonal (P,) in flat layout."""
    e = kernel.directions(params)  # (J, p, 2)
    curv = -kernel.log_prior(params)[2]  # (J, p), >= 0
    j, p = params.shape
    if _is_shared(kernel):
        b = p - 1
        ef = np.zeros(((j + 1) * b, 2))
        ef[: j * b, 0] = e[:, 1:, 0].ravel()
        ef[j * b, 1] = e[0, 0, 1]
        lam = np.concatenate([curv[:, 1:].ravel(), [curv[:, 0].sum()], np.zeros(b - 1)])
        return ef, lam
    return e.reshape(j * p, 2), curv.reshape(j * p)


def _prior_correction(kernel: Any, params: np.ndarray):
    """``P' L P - L`` as ``F K F'`` (L: prior curvature, P: projection off the scale moves)."""
    if kernel.prior is None:
        return None, None
    e, lam = _flat_directions(kernel, params)
    keep = np.linalg.norm(e, axis=0) > 0
    e = e[:, keep]
    g = e @ np.linalg.pinv(e.T @ e)
    le = lam[:, None] * e
    m = e.shape[1]
    f = np.hstack([le, g])
    k = np.block([[np.zeros((m, m)), -np.eye(m)], [-np.eye(m), e.T @ le]])
    # I gains + F K F' = - F (-K) F'
    return f, -k


def _complete_information(kernel: Any, params: np.ndarray, data: engine.Data, est: engine.EStep):
    """Per-item complete-data information incl. the per-item prior curvature (J, p, p)."""
    if kernel.logistic:
        _, info, _ = engine.logistic_parts(kernel, params, data, est)
        curv = kernel.log_prior(params)[2]
        return info - curv[:, :, None] * np.eye(2)[None]
    j, p = params.shape
    out = np.empty((j, p, p))
    width = est.w.shape[1] * (1 if est.shared else est.w.shape[0])
    zero = np.zeros_like(params)
    for sl in engine.chunks(j, width * kernel.n_categories * p * 4):
        counts, z = engine.expected_counts(data, est, sl)
        out[sl] = -engine.hessian(kernel, params[sl], counts, z, zero[sl])
    return out


def selected_scores(kernel, params, data, z_nodes, sl) -> np.ndarray:
    """Score of each model's observed response at its nodes for items ``sl``: (c, N, Q, p).

    ``z_nodes`` is (N, Q) (each model's nodes) or (Q,) shared. Missing responses get 0.
    """
    n = data.obs.shape[0]
    shared = z_nodes.ndim == 1
    flat = z_nodes if shared else z_nodes.ravel()
    s = kernel.score(params[sl], flat)  # (K, c, Q', p)
    k, c = s.shape[:2]
    if shared:
        q = len(flat)
        out = np.zeros((c, n, q, s.shape[-1]))
        for kk in range(k):
            out += data.ind[kk][:, sl].T.astype(np.float64)[:, :, None, None] * s[kk][:, None]
        return out
    s = s.reshape(k, c, n, -1, s.shape[-1])
    out = np.zeros(s.shape[1:])
    for kk in range(k):
        out += data.ind[kk][:, sl].T.astype(np.float64)[:, :, None, None] * s[kk]
    return out


def _u_chunk(kernel, params, data, z_nodes, w, sl) -> np.ndarray:
    """Columns ``sqrt(w_nq) (s_n(z_q) - E[s_n])`` for items ``sl``: (c, p, N*Q)."""
    s = selected_scores(kernel, params, data, z_nodes, sl)  # (c, N, Q, p)
    w = np.where(w > 1e-13, w, 0.0)  # no subnormal numbers downstream (they are slow)
    mean = np.einsum("nq,cnqp->cnp", w, s)
    u = np.sqrt(w)[None, :, :, None] * (s - mean[:, :, None, :])
    c, n, q, p = u.shape
    return u.transpose(0, 3, 1, 2).reshape(c, p, n * q)


def _to_flat_u(kernel, u_rows: np.ndarray) -> np.ndarray:
    """(J, p, r) per-row columns to the flat layout (P, r)."""
    j, p, r = u_rows.shape
    if _is_shared(kernel):
        return np.vstack(
            [
                u_rows[:, 1:, :].reshape(j * (p - 1), r),
                u_rows[:, 0, :].sum(axis=0, keepdims=True),
                np.zeros((p - 2, r)),
            ]
        )
    return u_rows.reshape(j * p, r)


def own_nodes(est: engine.EStep, tol: float = 1e-10) -> tuple[np.ndarray, np.ndarray]:
    """Return each model's nodes and weights (N, k), dropping shared-grid nodes it misses.

    On a shared grid every model keeps the ``k`` nodes of largest posterior weight, with
    ``k`` the largest number of nodes above ``tol`` times a model's top weight.
    """
    if not est.shared:
        return est.z, est.w
    keep = (est.w > tol * est.w.max(axis=1, keepdims=True)).sum(axis=1).max()
    order = np.argsort(-est.w, axis=1)[:, :keep]
    w = np.take_along_axis(est.w, order, axis=1)
    return est.z[order], w / w.sum(axis=1, keepdims=True)


def _resolves_posteriors(est: engine.EStep, w: np.ndarray) -> bool:
    """Whether a shared grid is fine enough for the posteriors (else they sit on 1-2 nodes)."""
    if not est.shared:
        return True
    spacing = float(est.z[1] - est.z[0])
    sd = np.sqrt(np.maximum(est.m2 - est.m1**2, 0.0))
    return bool(np.median(sd) > 2.0 * spacing)


def _laplace_nodes(kernel, params, data, est) -> tuple[np.ndarray, np.ndarray]:
    """Two nodes per model at ``m +- sqrt(v)`` with v the Laplace posterior variance."""
    m = est.m1
    h = 1e-4
    info = np.zeros(len(m))
    j = params.shape[0]
    for sl in engine.chunks(j, len(m) * 3 * kernel.n_categories):
        lp = kernel.logprob(params[sl], np.concatenate([m - h, m + h]))  # (K, c, 2N)
        dl = (lp[:, :, len(m) :] - lp[:, :, : len(m)]) / (2 * h)  # (K, c, N)
        prob = np.exp(0.5 * (lp[:, :, len(m) :] + lp[:, :, : len(m)]))
        item_info = (prob * dl**2).sum(axis=0)  # (c, N)
        info += (data.obs[:, sl].T.astype(np.float64) * item_info).sum(axis=0)
    v = 1.0 / (1.0 + info)
    sd = np.sqrt(v)
    return np.column_stack([m + sd, m - sd]), np.full((len(m), 2), 0.5)


def _woodbury(dblocks, factor, fe, ce) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Inverse of ``D - F C F'`` with ``F = [U, Fe]``, ``C = blockdiag(I, Ce^-1)``.

    ``factor`` holds ``U`` in its first columns and room for ``Fe``'s columns after them.
    Returns ``(D^-1 blocks, V = D^-1 F, K^-1)`` with ``K = C^-1 - F' D^-1 F``; ``factor``
    is overwritten by ``V`` chunk by chunk (it is the largest array) and returned.
    """
    dinv = _inverse_blocks(dblocks)
    nb, b, _ = dblocks.shape
    m = fe.shape[1]
    r = factor.shape[1] - m
    fu = factor[:, :r]
    uu = np.zeros((r, r))
    ue = np.zeros((r, m))
    step = max(1, int(2e6 // max(1, b * r)))
    for s in range(0, nb, step):
        rows = slice(s * b, min(nb, s + step) * b)
        uc = np.asarray(fu[rows], dtype=np.float64)  # a view when stored in float64
        vc = np.einsum("bij,bjr->bir", dinv[s : s + step], uc.reshape(-1, b, r)).reshape(uc.shape)
        uu += uc.T @ vc
        ue += vc.T @ fe[rows]
        fu[rows] = vc
    ve = np.einsum("bij,bjr->bir", dinv, fe.reshape(nb, b, m)).reshape(fe.shape)
    ee = fe.T @ ve
    k = np.block([[np.eye(r) - uu, -ue], [-ue.T, ce - ee]])
    kinv = np.linalg.inv(0.5 * (k + k.T))
    factor[:, r:] = ve
    return dinv, factor, kinv


def _inverse_blocks(blocks: np.ndarray) -> np.ndarray:
    out = np.full_like(blocks, np.nan)
    vals = np.linalg.eigvalsh(blocks)
    ok = vals[:, 0] > 1e-12 * np.maximum(vals[:, -1], 1e-300)
    out[ok] = np.linalg.inv(blocks[ok])
    # singular blocks (an item with no information): a large but finite variance
    if (~ok).any():
        fix = blocks[~ok] + np.eye(blocks.shape[1])[None] * 1e-8
        out[~ok] = np.linalg.pinv(fix)
    return out


def _dense_information(kernel, params, data, z_nodes, w, dblocks, extra) -> np.ndarray:
    """Return the full information matrix I = D - U U' (+ corrections) of a small fit."""
    nb, b, _ = dblocks.shape
    size = nb * b
    info = np.zeros((size, size))
    for i in range(nb):
        info[i * b : (i + 1) * b, i * b : (i + 1) * b] = dblocks[i]
    j = params.shape[0]
    n = data.obs.shape[0]
    q = w.shape[1]
    step = max(1, int(4e6 // max(1, j * q * params.shape[1] * kernel.n_categories)))
    for s in range(0, n, step):
        rows = slice(s, min(n, s + step))
        sub = engine.Data(
            ind=[x[rows] for x in data.ind],
            obs=data.obs[rows],
            complete=data.complete,
            n_obs=data.n_obs,
        )
        u = _u_chunk(kernel, params, sub, z_nodes[rows], w[rows], slice(0, j))
        uf = _to_flat_u(kernel, u)
        info -= uf @ uf.T
    for f, c in extra:
        info -= f @ c @ f.T
    return 0.5 * (info + info.T)


def _crossproduct(kernel, params, data, z_nodes, w) -> np.ndarray:
    """Sum over models of the outer product of the marginal scores (flat layout)."""
    j = params.shape[0]
    n = data.obs.shape[0]
    q = w.shape[1]
    step = max(1, int(4e6 // max(1, j * q * params.shape[1] * kernel.n_categories)))
    total = None
    for s in range(0, n, step):
        rows = slice(s, min(n, s + step))
        sub = engine.Data([x[rows] for x in data.ind], data.obs[rows], data.complete, data.n_obs)
        sc = selected_scores(kernel, params, sub, z_nodes[rows], slice(0, j))  # (J, n, Q, p)
        mean = np.einsum("nq,jnqp->jpn", w[rows], sc)  # (J, p, n)
        flat = _to_flat_u(kernel, mean)  # (P, n)
        part = flat @ flat.T
        total = part if total is None else total + part
    return total


def item_covariance(
    kernel: Any,
    params: np.ndarray,
    data: engine.Data,
    est: engine.EStep,
    items: tuple[str, ...],
    *,
    se_method: str = "louis",
    quad: engine.Quadrature | None = None,
) -> ItemCovariance:
    """Invert the full information of the item parameters (see the module docstring)."""
    j, p = params.shape
    blocks = _complete_information(kernel, params, data, est)
    dblocks, f_arrow, c_arrow = _flat_layout(kernel, params, blocks)
    extra = []
    if f_arrow is not None:
        extra.append((f_arrow, c_arrow))
    f_prior, c_prior = _prior_correction(kernel, params)
    if f_prior is not None:
        extra.append((f_prior, c_prior))
    size = dblocks.shape[0] * dblocks.shape[1]
    z_nodes, w = own_nodes(est)
    resolved = _resolves_posteriors(est, w)
    dense = size <= DENSE_MAX and (w.size > min(LOWRANK_MAX, size // 2) or not resolved)
    if se_method != "louis" or dense:
        if size > DENSE_MAX:
            raise InvalidValueError(
                f"se_method={se_method!r} needs the dense information matrix, at most "
                f"{DENSE_MAX:,} item parameters; this fit has {size:,}. Use se_method='louis'."
            )
        if se_method == "oakes":
            info = oakes_information(kernel, params, data, quad, extra)
        else:
            info = _dense_information(kernel, params, data, z_nodes, w, dblocks, extra)
        if se_method in ("crossprod", "sandwich"):
            xpd = _crossproduct(kernel, params, data, z_nodes, w)
            if se_method == "crossprod":
                if data.obs.shape[0] <= size:
                    raise InvalidValueError(
                        f"se_method='crossprod' needs more models ({data.obs.shape[0]}) than "
                        f"item parameters ({size}); use 'louis' or 'sandwich'."
                    )
                cov = _safe_inverse(xpd + _prior_info(kernel, params, dblocks, extra))
            else:
                inv = _safe_inverse(info)
                cov = inv @ xpd @ inv
        else:
            cov = _safe_inverse(info)
        return ItemCovariance(kernel, params, items, "dense", dense=0.5 * (cov + cov.T))
    # large: Woodbury with exact node columns (few models) or linearised scores
    n = data.obs.shape[0]
    if resolved and w.size <= LOWRANK_MAX:
        method = "woodbury"
    else:
        z_nodes, w = _laplace_nodes(kernel, params, data, est)
        method = "linearised"
    width = n if method == "linearised" else w.size
    if size * width > STORE_MAX:
        dinv = _inverse_blocks(dblocks)
        return ItemCovariance(kernel, params, items, "blocks", dinv=dinv)
    store = np.float64 if size * width <= 1e7 else np.float32
    fe = np.hstack([f for f, _ in extra]) if extra else np.zeros((size, 0))
    # U's columns, then room for fe's (the Woodbury factor is [D^-1 U, D^-1 fe])
    factor = np.empty((size, width + fe.shape[1]), dtype=store)
    fu = factor[:, :width]
    alpha_row = np.zeros(width)
    for sl in engine.chunks(j, z_nodes.size * p * kernel.n_categories * 2):
        u = _u_chunk(kernel, params, data, z_nodes, w, sl)  # (c, p, N*Q)
        if method == "linearised":
            u = u[:, :, 0::2] * np.sqrt(2.0)
        if _is_shared(kernel):
            fu[sl.start * (p - 1) : sl.stop * (p - 1)] = u[:, 1:, :].reshape(-1, width)
            alpha_row += u[:, 0, :].sum(axis=0)
        else:
            fu[sl.start * p : sl.stop * p] = u.reshape(-1, width)
    if _is_shared(kernel):
        fu[j * (p - 1)] = alpha_row
        fu[j * (p - 1) + 1 :] = 0.0
    ce = _block_diag([np.linalg.inv(c) for _, c in extra]) if extra else np.zeros((0, 0))
    dinv, factor, kinv = _woodbury(dblocks, factor, fe, ce)
    return ItemCovariance(kernel, params, items, method, dinv=dinv, factor=factor, kinv=kinv)


def _block_diag(mats: list[np.ndarray]) -> np.ndarray:
    size = sum(m.shape[0] for m in mats)
    out = np.zeros((size, size))
    at = 0
    for m in mats:
        k = m.shape[0]
        out[at : at + k, at : at + k] = m
        at += k
    return out


def _safe_inverse(info: np.ndarray) -> np.ndarray:
    info = 0.5 * (info + info.T)
    info[np.abs(info) < 1e-150] = 0.0  # subnormal numbers slow LAPACK down a hundredfold
    root, failed = lapack.dpotrf(info, lower=1)
    if failed == 0:
        inv, failed = lapack.dpotri(root, lower=1)
        if failed == 0:
            inv = np.tril(inv)
            return inv + np.tril(inv, -1).T
    vals, vecs = np.linalg.eigh(info)
    floor = 1e-10 * max(float(vals[-1]), 1e-300)
    vals = np.where(vals > floor, vals, np.nan)
    return (vecs / vals) @ vecs.T


def _prior_info(kernel, params, dblocks, extra) -> np.ndarray:
    """Return the priors' (projected) information in the flat layout (cross-product method)."""
    if kernel.prior is None:
        size = dblocks.shape[0] * dblocks.shape[1]
        return np.zeros((size, size))
    _, lam = _flat_directions(kernel, params)
    info = np.diag(lam)
    f, c = _prior_correction(kernel, params)
    return info - f @ c @ f.T


def oakes_information(kernel, params, data, quad, extra) -> np.ndarray:
    """Observed information by Oakes' identity, numerically (independent of Louis' formula).

    ``I = -d/dtheta [ grad_theta' Q(theta' | theta) ]`` at ``theta' = theta``, the Jacobian of
    the gradient of the expected complete-data log-likelihood with respect to both
    arguments, by central differences of the analytic gradient (2 P E-steps).
    """
    j, p = params.shape
    shared = _is_shared(kernel)
    b = p - 1
    size = (j + 1) * b if shared else j * p
    zero = np.zeros_like(params)

    def grad_at(current: np.ndarray, target: np.ndarray) -> np.ndarray:
        est = engine.estep(kernel, current, data, quad)
        counts, z = engine.expected_counts(data, est, slice(0, j))
        g = engine.gradient(kernel, target, counts, z, zero)
        g = g - kernel.log_prior(target)[1]  # the likelihood part only
        return _flat_grad(kernel, g)

    def perturb(base: np.ndarray, k: int, h: float) -> np.ndarray:
        out = base.copy()
        if shared:
            if k == j * b:
                out[:, 0] += h
            elif k < j * b:
                out[k // b, 1 + k % b] += h
        else:
            out[k // p, k % p] += h
        return out

    h = 1e-4
    jac = np.zeros((size, size))
    for k in range(size):
        if shared and k > j * b:  # padding of the common parameter's block
            jac[k, k] = -1.0
            continue
        up, down = perturb(params, k, h), perturb(params, k, -h)
        jac[:, k] = (grad_at(up, up) - grad_at(down, down)) / (2 * h)
    info = -0.5 * (jac + jac.T)
    if kernel.prior is None:
        return info
    # the priors' curvature (exact per item), projected off the scale moves
    h = 1e-5
    blocks = np.empty((j, p, p))
    for k in range(p):
        step = np.zeros(p)
        step[k] = h
        blocks[:, :, k] = -(
            kernel.log_prior(params + step)[1] - kernel.log_prior(params - step)[1]
        ) / (2 * h)
    if shared:
        for k in range(j):
            own = blocks[k, 1:, 1:]
            info[k * b : (k + 1) * b, k * b : (k + 1) * b] += 0.5 * (own + own.T)
    else:
        for k in range(j):
            info[k * p : (k + 1) * p, k * p : (k + 1) * p] += 0.5 * (blocks[k] + blocks[k].T)
    f, c = extra[-1]
    return info - f @ c @ f.T


def _flat_grad(kernel, g: np.ndarray) -> np.ndarray:
    if _is_shared(kernel):
        return np.concatenate([g[:, 1:].ravel(), [g[:, 0].sum()], np.zeros(g.shape[1] - 2)])
    return g.ravel()
