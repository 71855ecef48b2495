"""Model kernels for the EM engine: category log-probabilities and score vectors.

Each kernel works in an unconstrained internal parametrisation, one row of parameters per
item (``params`` has shape (J, p)), and evaluates on the quadrature grid ``z`` (Q,):

* ``logprob(params, z)`` -> (K, J, Q): log P(category k | theta = z_q) for item j;
* ``score(params, z)`` -> (K, J, Q, p): d log P_k / d params;
* ``to_public(params)`` -> dict of public arrays (a, b, c or thresholds) and
  ``jacobian(params)`` -> (J, p_public, p) for delta-method standard errors.

Internal parameters: ``alpha = log a`` when a prior is used (else ``a`` itself), the
intercept ``d = -a b``, ``gamma = logit c``; for the GRM the first intercept and the logs of
the gaps between successive intercepts (so thresholds stay ordered).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hierlab.errors import InvalidValueError

__all__ = ["Prior"]


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def _log_sigmoid(x: np.ndarray) -> np.ndarray:
    return -np.logaddexp(0.0, -x)


@dataclass(frozen=True)
class Prior:
    """Weak priors that keep few-model fits stable (all on the item parameters).

    Attributes
    ----------
    log_a_mean, log_a_sd : float
        Normal prior on ``log a`` (a lognormal discrimination with its mode at
        ``exp(log_a_mean)``).
    intercept_sd : float
        Normal(0, sd) prior on each intercept ``d = -a b`` (keeps items that everyone
        gets right or wrong finite).
    guess_alpha, guess_beta : float
        Beta prior on the 3PL guessing parameter (mode 0.2 by default).

    Examples
    --------
    >>> Prior().log_a_sd
    0.75
    """

    log_a_mean: float = 0.0
    log_a_sd: float = 0.75
    intercept_sd: float = 4.0
    guess_alpha: float = 5.0
    guess_beta: float = 17.0

    def __post_init__(self) -> None:
        bad = [
            name
            for name in ("log_a_sd", "intercept_sd", "guess_alpha", "guess_beta")
            if not float(getattr(self, name)) > 0
        ]
        if bad:
            raise InvalidValueError(
                f"Prior: {', '.join(bad)} must be positive, got "
                f"{', '.join(repr(getattr(self, n)) for n in bad)}."
            )


def _log_a_prior(
    prior: Prior, log_a: np.ndarray, share: float = 1.0
) -> tuple[np.ndarray, np.ndarray, float]:
    """Value, gradient and curvature of the normal prior on ``log a``, times ``share``."""
    centred = log_a - prior.log_a_mean
    return (
        -0.5 * share * (centred / prior.log_a_sd) ** 2,
        -share * centred / prior.log_a_sd**2,
        -share / prior.log_a_sd**2,
    )


class BinaryKernel:
    """Rasch, 1PL, 2PL and 3PL: ``P = c + (1 - c) sigmoid(a z + d)``."""

    n_categories = 2

    def __init__(self, irt_model: str, prior: Prior | None) -> None:
        self.irt_model = irt_model
        self.prior = prior
        self.log_a = prior is not None and irt_model != "rasch"
        self.names = {"rasch": ["d"], "1pl": ["a", "d"], "2pl": ["a", "d"], "3pl": ["a", "d", "c"]}[
            irt_model
        ]

    @property
    def n_params(self) -> int:
        """Return the number of internal parameters per item."""
        return len(self.names)

    def _unpack(self, params: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if self.irt_model == "rasch":
            a = np.ones(len(params))
            d = params[:, 0]
        else:
            a = np.exp(params[:, 0]) if self.log_a else params[:, 0]
            d = params[:, 1]
        c = _sigmoid(params[:, 2]) if self.irt_model == "3pl" else np.zeros(len(params))
        return a, d, c

    def start(self, p_correct: np.ndarray) -> np.ndarray:
        """Return starting parameters (J, p) from each item's share of right answers."""
        p = np.clip(p_correct, 0.02, 0.98)
        d = np.log(p / (1 - p)) * 1.4
        cols = (
            [d]
            if self.irt_model == "rasch"
            else [np.zeros_like(d) if self.log_a else np.ones_like(d), d]
        )
        if self.irt_model == "3pl":
            cols.append(np.full_like(d, np.log(0.2 / 0.8)))
        return np.column_stack(cols)

    def logprob(self, params: np.ndarray, z: np.ndarray) -> np.ndarray:
        """Return log P(category k | theta = z_q) for every item, shape (K, J, Q)."""
        a, d, c = self._unpack(params)
        eta = a[:, None] * z[None, :] + d[:, None]
        if self.irt_model != "3pl":
            return np.stack([_log_sigmoid(-eta), _log_sigmoid(eta)])
        log1 = np.log(c[:, None] + (1 - c[:, None]) * _sigmoid(eta))
        log0 = np.log1p(-c)[:, None] + _log_sigmoid(-eta)
        return np.stack([log0, log1])

    def score(self, params: np.ndarray, z: np.ndarray) -> np.ndarray:
        """Return d log P_k / d params, shape (K, J, Q, p)."""
        a, d, c = self._unpack(params)
        eta = a[:, None] * z[None, :] + d[:, None]
        s = _sigmoid(eta)
        if self.irt_model == "3pl":
            p1 = c[:, None] + (1 - c[:, None]) * s
            deta1 = (1 - c[:, None]) * s * (1 - s) / p1
        else:
            p1 = s
            deta1 = 1 - s
        deta0 = -s
        out = np.empty((2, *eta.shape, self.n_params))
        for k, deta in ((0, deta0), (1, deta1)):
            if self.irt_model == "rasch":
                out[k, ..., 0] = deta
                continue
            da = deta * z[None, :]
            out[k, ..., 0] = da * a[:, None] if self.log_a else da
            out[k, ..., 1] = deta
        if self.irt_model == "3pl":
            dc1 = (1 - s) / p1
            dc0 = -1.0 / (1 - c[:, None]) * np.ones_like(s)
            jac = (c * (1 - c))[:, None]
            out[0, ..., 2] = dc0 * jac
            out[1, ..., 2] = dc1 * jac
        return out

    def log_prior(self, params: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return the value (J,), gradient (J, p) and Hessian diagonal (J, p) of the log prior."""
        val = np.zeros(len(params))
        grad = np.zeros_like(params)
        hess = np.zeros_like(params)
        pr = self.prior
        if pr is None:
            return val, grad, hess
        di = 0 if self.irt_model == "rasch" else 1
        d = params[:, di]
        val += -0.5 * (d / pr.intercept_sd) ** 2
        grad[:, di] = -d / pr.intercept_sd**2
        hess[:, di] = -1 / pr.intercept_sd**2
        if self.irt_model != "rasch":
            # the 1PL's discrimination is one parameter stored in every item's row: spread its
            # prior over the rows so that sums over items count it once
            share = 1.0 / len(params) if self.irt_model == "1pl" else 1.0
            value, grad[:, 0], hess[:, 0] = _log_a_prior(pr, params[:, 0], share)
            val += value
        if self.irt_model == "3pl":
            c = _sigmoid(params[:, 2])
            al, be = pr.guess_alpha, pr.guess_beta
            val += (al - 1) * np.log(c) + (be - 1) * np.log1p(-c)
            grad[:, 2] = (al - 1) * (1 - c) - (be - 1) * c
            hess[:, 2] = -(al + be - 2) * c * (1 - c)
        return val, grad, hess

    def to_public(self, params: np.ndarray) -> dict[str, np.ndarray]:
        """Return the public parameters ``a, b, d`` (and ``c``) of every item."""
        a, d, c = self._unpack(params)
        out = {"a": a, "b": -d / a, "d": d}
        if self.irt_model == "3pl":
            out["c"] = c
        return out

    def jacobian(self, params: np.ndarray) -> tuple[list[str], np.ndarray]:
        """Return the public names and d(public a, b[, c]) / d(internal), shape (J, n_public, p)."""
        a, d, c = self._unpack(params)
        n = len(params)
        if self.irt_model == "rasch":
            jac = np.zeros((n, 1, 1))
            jac[:, 0, 0] = -1.0  # b = -d
            return ["b"], jac
        da = a if self.log_a else np.ones(n)  # d a / d param0
        names = ["a", "b"] + (["c"] if self.irt_model == "3pl" else [])
        jac = np.zeros((n, len(names), self.n_params))
        jac[:, 0, 0] = da
        jac[:, 1, 0] = d / a**2 * da  # b = -d / a
        jac[:, 1, 1] = -1.0 / a
        if self.irt_model == "3pl":
            jac[:, 2, 2] = c * (1 - c)
        return names, jac


class GradedKernel:
    """Graded response model with K ordered categories."""

    def __init__(self, n_categories: int, prior: Prior | None) -> None:
        self.n_categories = n_categories
        self.prior = prior
        self.log_a = prior is not None
        self.irt_model = "grm"
        self.names = ["a"] + [f"d{k}" for k in range(1, n_categories)]

    @property
    def n_params(self) -> int:
        """Return the number of internal parameters per item."""
        return self.n_categories

    def _intercepts(self, params: np.ndarray) -> np.ndarray:
        """d_1 > d_2 > ... (J, K-1)."""
        gaps = np.exp(params[:, 2:])
        return params[:, [1]] - np.concatenate(
            [np.zeros((len(params), 1)), np.cumsum(gaps, axis=1)], axis=1
        )

    def start(self, cumulative: np.ndarray) -> np.ndarray:
        """Return starting parameters (J, K) from ``cumulative`` (J, K-1), the shares >= k."""
        p = np.clip(cumulative, 0.02, 0.98)
        d = np.log(p / (1 - p)) * 1.4
        d = np.minimum.accumulate(d, axis=1) - np.arange(d.shape[1]) * 1e-2
        gaps = np.maximum(-np.diff(d, axis=1), 0.05)
        a0 = np.zeros(len(d)) if self.log_a else np.ones(len(d))
        return np.column_stack([a0, d[:, 0], np.log(gaps)])

    def _parts(self, params: np.ndarray, z: np.ndarray):
        a = np.exp(params[:, 0]) if self.log_a else params[:, 0]
        d = self._intercepts(params)  # (J, K-1)
        eta = a[:, None, None] * z[None, None, :] + d[:, :, None]  # (J, K-1, Q)
        cum = _sigmoid(eta)
        j, q = len(params), len(z)
        upper = np.concatenate([np.ones((j, 1, q)), cum], axis=1)
        lower = np.concatenate([cum, np.zeros((j, 1, q))], axis=1)
        probs = np.clip(upper - lower, 1e-300, None)  # (J, K, Q)
        return a, cum, probs

    def logprob(self, params: np.ndarray, z: np.ndarray) -> np.ndarray:
        """Return log P(category k | theta = z_q) for every item, shape (K, J, Q)."""
        _, _, probs = self._parts(params, z)
        return np.log(probs).transpose(1, 0, 2)

    def score(self, params: np.ndarray, z: np.ndarray) -> np.ndarray:
        """Return d log P_k / d params, shape (K, J, Q, p)."""
        a, cum, probs = self._parts(params, z)
        j, k, q = probs.shape
        w = cum * (1 - cum)  # (J, K-1, Q)
        w_up = np.concatenate([np.zeros((j, 1, q)), w], axis=1)  # W_k for category k
        w_lo = np.concatenate([w, np.zeros((j, 1, q))], axis=1)  # W_{k+1}
        out = np.zeros((k, j, q, self.n_params))
        da = z[None, None, :] * (w_up - w_lo) / probs  # (J, K, Q)
        out[..., 0] = (da * (a[:, None, None] if self.log_a else 1.0)).transpose(1, 0, 2)
        # d log P_k / d d_m for m = 1..K-1
        dd = np.zeros((j, k, q, k - 1))
        for m in range(1, k):
            dd[:, m, :, m - 1] += w[:, m - 1, :] / probs[:, m, :]
            dd[:, m - 1, :, m - 1] -= w[:, m - 1, :] / probs[:, m - 1, :]
        # d_m = delta - sum_{i=2..m} exp(e_i): chain rule to (delta, e_2..e_{K-1})
        out[..., 1] = dd.sum(axis=3).transpose(1, 0, 2)
        gaps = np.exp(params[:, 2:])  # (J, K-2)
        tail = np.cumsum(dd[..., ::-1], axis=3)[..., ::-1]  # sum over m >= i
        for i in range(2, k):
            out[..., i] = (-gaps[:, None, None, i - 2] * tail[..., i - 1]).transpose(1, 0, 2)
        return out

    def log_prior(self, params: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return the value (J,), gradient (J, p) and Hessian diagonal (J, p) of the log prior."""
        val = np.zeros(len(params))
        grad = np.zeros_like(params)
        hess = np.zeros_like(params)
        pr = self.prior
        if pr is None:
            return val, grad, hess
        val, grad[:, 0], hess[:, 0] = _log_a_prior(pr, params[:, 0])
        # normal prior on every intercept d_m, pulled back to (delta, e_i)
        d = self._intercepts(params)
        val += -0.5 * ((d / pr.intercept_sd) ** 2).sum(axis=1)
        gd = -d / pr.intercept_sd**2  # (J, K-1)
        grad[:, 1] = gd.sum(axis=1)
        gaps = np.exp(params[:, 2:])
        tail = np.cumsum(gd[:, ::-1], axis=1)[:, ::-1]
        grad[:, 2:] = -gaps * tail[:, 1:]
        hess[:, 1] = -(self.n_categories - 1) / pr.intercept_sd**2
        hess[:, 2:] = -(gaps**2) * np.arange(self.n_categories - 2, 0, -1) / pr.intercept_sd**2
        return val, grad, hess

    def to_public(self, params: np.ndarray) -> dict[str, np.ndarray]:
        """Return the public parameters ``a, b1, ..., b{K-1}`` of every item."""
        a = np.exp(params[:, 0]) if self.log_a else params[:, 0]
        d = self._intercepts(params)
        out = {"a": a}
        for m in range(d.shape[1]):
            out[f"b{m + 1}"] = -d[:, m] / a
        return out

    def jacobian(self, params: np.ndarray) -> tuple[list[str], np.ndarray]:
        """Return the public names and d(public a, b_k) / d(internal), shape (J, K, K)."""
        a = np.exp(params[:, 0]) if self.log_a else params[:, 0]
        d = self._intercepts(params)
        n, km1 = d.shape
        names = ["a"] + [f"b{m + 1}" for m in range(km1)]
        jac = np.zeros((n, 1 + km1, self.n_params))
        da = a if self.log_a else np.ones(n)
        jac[:, 0, 0] = da
        gaps = np.exp(params[:, 2:])
        for m in range(km1):
            jac[:, 1 + m, 0] = d[:, m] / a**2 * da  # b_m = -d_m / a
            jac[:, 1 + m, 1] = -1.0 / a  # d d_m / d delta = 1
            for i in range(2, m + 2):  # d d_m / d e_i = -exp(e_i) for i <= m+1
                jac[:, 1 + m, i] = gaps[:, i - 2] / a
        return names, jac


def make_kernel(
    irt_model: str, n_categories: int, prior: Prior | None
) -> BinaryKernel | GradedKernel:
    """Return the kernel of an IRT model (internal machinery of the EM engine)."""
    if irt_model == "grm":
        return GradedKernel(n_categories, prior)
    return BinaryKernel(irt_model, prior)
