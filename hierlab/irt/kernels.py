"""Model kernels for the EM engine: category log-probabilities, score vectors and priors.

Each kernel works in an unconstrained internal parametrisation, one row of parameters per
item (``params`` has shape (J, p)), and evaluates on abilities ``z`` (Q,):

* ``logprob(params, z)`` -> (K, J, Q): log P(category k | theta = z_q) for item j;
* ``score(params, z)`` -> (K, J, Q, p): d log P_k / d params;
* ``log_prior(params)`` -> value (J,), gradient (J, p), curvature (J, p) of the item priors;
* ``transform(params, u, s)``: the same model with abilities re-expressed as
  ``theta' = (theta - u) exp(-s)`` (the latent location and scale); ``directions(params)``
  its derivative at (0, 0), shape (J, p, 2);
* ``to_public(params)`` -> dict of public arrays (a, b, c or thresholds) and
  ``jacobian(params)`` -> (J, p_public, p) for delta-method standard errors.

Internal parameters: ``alpha = log a`` under the lognormal discrimination prior (else ``a``
itself), the intercept ``d = -a b``, ``gamma = logit c``; for the GRM the first intercept and
the logs of the gaps between successive intercepts (so thresholds stay ordered). The 1PL
(and the Rasch model, which hierlab fits as a 1PL with the common discrimination read as the
latent SD) stores its common discrimination in every row. The GPCM: ``alpha`` and the step
intercepts ``d_v = -a s_v`` (unconstrained: the steps of a partial-credit item need not be
ordered); the PCM stores its common discrimination in every row, as the 1PL.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

from hierlab.errors import InputTypeError, InvalidValueError

__all__ = ["Prior"]

#: The two shapes of the discrimination prior.
DISCRIMINATION_PRIORS = ("lognormal", "normal")


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def _log_sigmoid(x: np.ndarray) -> np.ndarray:
    return -np.logaddexp(0.0, -x)


@dataclass(frozen=True)
class Prior:
    """Weak priors on the item parameters that regularise items relative to each other.

    The latent scale is fixed by the abilities (mean 0 and SD 1 in the calibration sample),
    never by these priors: :func:`~hierlab.irt.fit_irt` removes each prior's pull along the
    two directions that move the latent location and scale (shifting every difficulty, or
    stretching every discrimination). What is left shrinks each item towards the other
    items: the intercepts towards their common centre, the discriminations towards their
    common (geometric) mean. With thousands of items and a few dozen models, a prior
    centred on fixed values would otherwise outweigh the N(0, 1) ability assumption and
    move the whole scale (every difficulty shifted by the prior, not by the data).

    Parameters
    ----------
    discrimination : {"lognormal", "normal"}, default "lognormal"
        "lognormal": ``log a ~ N(centre, a_sd^2)``, discriminations stay positive (the
        default: a wrongly keyed item then shows a near 0 and a poor fit). "normal":
        ``a ~ N(centre, a_sd^2)`` allows negative discriminations, so a reversed answer
        key shows up as ``a < 0``; use it when auditing items for miskeyed answers.
    a_sd : float, optional
        Prior SD of ``log a`` (lognormal; default 0.75, a factor of about 2 either way)
        or of ``a`` (normal; default 1.0).
    intercept_sd : float, default 4.0
        Prior SD of each intercept ``d = -a b`` around the items' centre: keeps items that
        every model gets right (or wrong) finite without pulling the others.
    guess_alpha, guess_beta : float, default 5.0, 17.0
        Beta prior on the 3PL guessing parameter ``c`` (mode 0.2, BILOG-MG's default
        for multiple-choice items). Its density is 0 at ``c = 0``, so such a 3PL does not
        contain the 2PL: for a likelihood-ratio test against the 2PL use
        ``guess_alpha=1`` (mode 0), which :func:`~hierlab.irt.compare_fits` suggests when
        the 3PL fits worse.
    upper_alpha, upper_beta : float, default 12.0, 1.5
        Beta prior on the 4PL upper asymptote ``u``, the chance that the strongest models
        answer an item right (mode 0.957, mean 0.889). Ceiling, slope and difficulty of
        an item trade off, and without a prior a few dozen models cannot separate them
        (maximum likelihood runs to degenerate items). The default was chosen by a
        seeded study (``benchmarks/irt_4pl_prior.py``; 30% of the items with u = 1, the
        others u ~ Uniform(0.8, 1); 6 seeds per shape), as the prior with the smallest
        item-curve error (max over theta in [-3, 3] of ``|P_hat - P_true|``) whose 95%
        intervals keep their coverage: at 30 models x 1,000 items mean/worst curve error
        0.142/0.488, RMSE of u 0.070, coverage of u 0.985 and of b 0.951; at 3,000 x 10
        0.059/0.110, RMSE 0.077, coverage 1.00 and 0.93. Beta(20, 1.5) is no better on
        curves (0.141/0.491; 0.061/0.117) and its b intervals cover 0.85 at 3,000 x 10;
        Beta(5, 1.5) has a mean curve error of 0.175 at 30 x 1,000 and its u intervals
        cover 0.89. The density is 0 at u = 1, so this 4PL does not contain the 3PL
        (compare the two by AIC or BIC); with ``upper_beta <= 1`` an item whose ceiling
        is 1 has no finite estimate.

    Examples
    --------
    >>> Prior().a_scale, Prior(discrimination="normal").a_scale
    (0.75, 1.0)
    """

    discrimination: str = "lognormal"
    a_sd: float | None = None
    intercept_sd: float = 4.0
    guess_alpha: float = 5.0
    guess_beta: float = 17.0
    upper_alpha: float = 12.0
    upper_beta: float = 1.5

    def __post_init__(self) -> None:
        if self.discrimination not in DISCRIMINATION_PRIORS:
            raise InvalidValueError(
                f"Prior: discrimination must be 'lognormal' or 'normal', got "
                f"{self.discrimination!r}."
            )
        names = ("a_sd", "intercept_sd", "guess_alpha", "guess_beta", "upper_alpha", "upper_beta")
        wrong = [
            n
            for n in names
            if getattr(self, n) is not None
            and (
                isinstance(getattr(self, n), bool) or not isinstance(getattr(self, n), numbers.Real)
            )
        ]
        if wrong:
            raise InputTypeError(
                f"Prior: {', '.join(wrong)} must be numbers, got "
                f"{', '.join(type(getattr(self, n)).__name__ for n in wrong)}."
            )
        bad = [
            n
            for n in names
            if getattr(self, n) is not None and not (0 < float(getattr(self, n)) < np.inf)
        ]
        if bad:
            raise InvalidValueError(
                f"Prior: {', '.join(bad)} must be positive and finite, got "
                f"{', '.join(repr(getattr(self, n)) for n in bad)}."
            )

    @property
    def a_scale(self) -> float:
        """Return the SD of the discrimination prior (``a_sd`` or its default).

        Returns
        -------
        float
            0.75 (lognormal) or 1.0 (normal) unless ``a_sd`` is set.

        Examples
        --------
        >>> Prior(a_sd=0.5).a_scale
        0.5
        """
        if self.a_sd is not None:
            return float(self.a_sd)
        return 0.75 if self.discrimination == "lognormal" else 1.0

    def describe(self, irt_model: str) -> str:
        """Return the priors used by an IRT model, as one line of text.

        Parameters
        ----------
        irt_model : str
            The IRT model (the 1PL and Rasch model have no discrimination prior).

        Returns
        -------
        str
            For example ``"log a ~ N(centre, 0.75^2); d ~ N(centre, 4^2)"``.

        Examples
        --------
        >>> Prior().describe("rasch")
        'd ~ N(centre, 4^2)'
        """
        parts = []
        if irt_model not in ("rasch", "1pl", "pcm"):
            lhs = "log a" if self.discrimination == "lognormal" else "a"
            parts.append(f"{lhs} ~ N(centre, {self.a_scale:g}^2)")
        parts.append(f"d ~ N(centre, {self.intercept_sd:g}^2)")
        if irt_model in ("3pl", "4pl"):
            parts.append(f"c ~ Beta({self.guess_alpha:g}, {self.guess_beta:g})")
        if irt_model == "4pl":
            parts.append(f"u ~ Beta({self.upper_alpha:g}, {self.upper_beta:g})")
        return "; ".join(parts)


def _discrimination_prior(
    prior: Prior, param: np.ndarray, log_a: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Value, gradient and curvature of the per-item discrimination prior.

    Centred at ``log a = 0`` (lognormal) or ``a = 1`` (normal); the engine removes the pull
    along the latent scale, which turns the centre into the items' own common mean.
    """
    sd = prior.a_scale
    centred = param if log_a else param - 1.0
    return -0.5 * (centred / sd) ** 2, -centred / sd**2, np.full_like(param, -1.0 / sd**2)


class BinaryKernel:
    """1PL to 4PL: ``P = c + (u - c) sigmoid(a z + d)`` (the 1PL has a common a; u = 1 but 4PL)."""

    n_categories = 2

    def __init__(self, irt_model: str, prior: Prior | None) -> None:
        self.irt_model = irt_model
        self.prior = prior
        self.log_a = prior is not None and prior.discrimination == "lognormal"
        self.logistic = irt_model in ("1pl", "2pl")
        self.names = {"3pl": ["a", "d", "c"], "4pl": ["a", "d", "c", "u"]}.get(
            irt_model, ["a", "d"]
        )

    @property
    def n_params(self) -> int:
        """Return the number of internal parameters per item."""
        return len(self.names)

    def discrimination(self, params: np.ndarray) -> np.ndarray:
        """Return the discriminations ``a`` (J,)."""
        return np.exp(params[:, 0]) if self.log_a else params[:, 0]

    def _unpack(self, params: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        a = self.discrimination(params)
        d = params[:, 1]
        c = _sigmoid(params[:, 2]) if self.n_params > 2 else np.zeros(len(params))
        return a, d, c

    def _upper(self, params: np.ndarray) -> np.ndarray:
        return _sigmoid(params[:, 3]) if self.n_params > 3 else np.ones(len(params))

    def start(self, p_correct: np.ndarray) -> np.ndarray:
        """Return starting parameters (J, p) from each item's share of right answers."""
        p = np.clip(p_correct, 0.02, 0.98)
        d = np.log(p / (1 - p)) * 1.4
        cols = [np.zeros_like(d) if self.log_a else np.ones_like(d), d]
        if self.n_params > 2:
            cols.append(np.full_like(d, np.log(0.2 / 0.8)))
        if self.n_params > 3:
            cols.append(np.full_like(d, np.log(0.97 / 0.03)))
        return np.column_stack(cols)

    def logprob(self, params: np.ndarray, z: np.ndarray) -> np.ndarray:
        """Return log P(category k | theta = z_q) for every item, shape (K, J, Q)."""
        a, d, c = self._unpack(params)
        eta = a[:, None] * z[None, :] + d[:, None]
        if self.irt_model == "4pl":
            u = self._upper(params)[:, None]
            log1 = np.log(c[:, None] + (u - c[:, None]) * _sigmoid(eta))
            log0 = np.log((1 - u) + (u - c[:, None]) * _sigmoid(-eta))
            return np.stack([log0, log1])
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
        if self.irt_model == "4pl":
            return self._score4(params, a, c, s, z)
        if self.irt_model == "3pl":
            p1 = c[:, None] + (1 - c[:, None]) * s
            deta1 = (1 - c[:, None]) * s * (1 - s) / p1
        else:
            p1 = s
            deta1 = 1 - s
        deta0 = -s
        out = np.empty((2, *eta.shape, self.n_params))
        for k, deta in ((0, deta0), (1, deta1)):
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

    def _score4(
        self, params: np.ndarray, a: np.ndarray, c: np.ndarray, s: np.ndarray, z: np.ndarray
    ) -> np.ndarray:
        """Scores of the 4PL, ``P1 = c + (u - c) s``, shape (K, J, Q, p)."""
        u = self._upper(params)[:, None]
        cc = c[:, None]
        p1 = cc + (u - cc) * s
        p0 = (1 - u) + (u - cc) * (1 - s)
        dp = (u - cc) * s * (1 - s)  # d P1 / d eta
        out = np.empty((2, *s.shape, self.n_params))
        for k, sign, pk in ((0, -1.0, p0), (1, 1.0, p1)):
            deta = sign * dp / pk
            da = deta * z[None, :]
            out[k, ..., 0] = da * a[:, None] if self.log_a else da
            out[k, ..., 1] = deta
            out[k, ..., 2] = sign * (1 - s) / pk * (c * (1 - c))[:, None]
            out[k, ..., 3] = sign * s / pk * (u * (1 - u))
        return out

    def log_prior(self, params: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return the value (J,), gradient (J, p) and Hessian diagonal (J, p) of the log prior.

        Per item and before the engine removes the pull along the latent location and scale.
        The 1PL has no discrimination prior: its common discrimination is the latent scale.
        """
        val = np.zeros(len(params))
        grad = np.zeros_like(params)
        hess = np.zeros_like(params)
        pr = self.prior
        if pr is None:
            return val, grad, hess
        d = params[:, 1]
        val += -0.5 * (d / pr.intercept_sd) ** 2
        grad[:, 1] = -d / pr.intercept_sd**2
        hess[:, 1] = -1 / pr.intercept_sd**2
        if self.irt_model != "1pl":
            value, grad[:, 0], hess[:, 0] = _discrimination_prior(pr, params[:, 0], self.log_a)
            val += value
        if self.irt_model == "4pl":
            u = _sigmoid(params[:, 3])
            al, be = pr.upper_alpha, pr.upper_beta
            val += (al - 1) * np.log(u) + (be - 1) * np.log1p(-u)
            grad[:, 3] = (al - 1) * (1 - u) - (be - 1) * u
            hess[:, 3] = -(al + be - 2) * u * (1 - u)
        if self.irt_model in ("3pl", "4pl"):
            c = _sigmoid(params[:, 2])
            al, be = pr.guess_alpha, pr.guess_beta
            val += (al - 1) * np.log(c) + (be - 1) * np.log1p(-c)
            grad[:, 2] = (al - 1) * (1 - c) - (be - 1) * c
            hess[:, 2] = -(al + be - 2) * c * (1 - c)
        return val, grad, hess

    def directions(self, params: np.ndarray) -> np.ndarray:
        """Return d params / d(u, s) of :meth:`transform` at (0, 0), shape (J, p, 2)."""
        a = self.discrimination(params)
        out = np.zeros((*params.shape, 2))
        out[:, 1, 0] = a
        out[:, 0, 1] = 1.0 if self.log_a else a
        return out

    def transform(self, params: np.ndarray, u: float, s: float) -> np.ndarray:
        """Re-express the items for abilities ``theta' = (theta - u) exp(-s)``."""
        a = self.discrimination(params)
        new = params.copy()
        new[:, 1] = params[:, 1] + a * u
        new[:, 0] = params[:, 0] + s if self.log_a else params[:, 0] * np.exp(s)
        return new

    def to_public(self, params: np.ndarray) -> dict[str, np.ndarray]:
        """Return the public parameters ``a, b, d`` (and ``c``) of every item."""
        a, d, c = self._unpack(params)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = {"a": a, "b": -d / a, "d": d}
        if self.n_params > 2:
            out["c"] = c
        if self.n_params > 3:
            out["u"] = self._upper(params)
        return out

    def jacobian(self, params: np.ndarray) -> tuple[list[str], np.ndarray]:
        """Return the public names and d(public a, b, d[, c]) / d(internal), (J, n_public, p)."""
        a, d, c = self._unpack(params)
        n = len(params)
        da = a if self.log_a else np.ones(n)  # d a / d param0
        names = ["a", "b", "d", *self.names[2:]]
        jac = np.zeros((n, len(names), self.n_params))
        jac[:, 0, 0] = da
        with np.errstate(divide="ignore", invalid="ignore"):
            jac[:, 1, 0] = d / a**2 * da  # b = -d / a
            jac[:, 1, 1] = -1.0 / a
        jac[:, 2, 1] = 1.0
        if self.n_params > 2:
            jac[:, 3, 2] = c * (1 - c)
        if self.n_params > 3:
            u = self._upper(params)
            jac[:, 4, 3] = u * (1 - u)
        return names, jac


class GradedKernel:
    """Graded response model with K ordered categories."""

    logistic = False

    def __init__(self, n_categories: int, prior: Prior | None) -> None:
        self.n_categories = n_categories
        self.prior = prior
        self.log_a = prior is not None and prior.discrimination == "lognormal"
        self.irt_model = "grm"
        self.names = ["a"] + [f"d{k}" for k in range(1, n_categories)]

    @property
    def n_params(self) -> int:
        """Return the number of internal parameters per item."""
        return self.n_categories

    def discrimination(self, params: np.ndarray) -> np.ndarray:
        """Return the discriminations ``a`` (J,)."""
        return np.exp(params[:, 0]) if self.log_a else params[:, 0]

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
        a = self.discrimination(params)
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
        val, grad[:, 0], hess[:, 0] = _discrimination_prior(pr, params[:, 0], self.log_a)
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

    def directions(self, params: np.ndarray) -> np.ndarray:
        """Return d params / d(u, s) of :meth:`transform` at (0, 0), shape (J, p, 2)."""
        a = self.discrimination(params)
        out = np.zeros((*params.shape, 2))
        out[:, 1, 0] = a
        out[:, 0, 1] = 1.0 if self.log_a else a
        return out

    def transform(self, params: np.ndarray, u: float, s: float) -> np.ndarray:
        """Re-express the items for abilities ``theta' = (theta - u) exp(-s)``."""
        a = self.discrimination(params)
        new = params.copy()
        new[:, 1] = params[:, 1] + a * u
        new[:, 0] = params[:, 0] + s if self.log_a else params[:, 0] * np.exp(s)
        return new

    def to_public(self, params: np.ndarray) -> dict[str, np.ndarray]:
        """Return the public parameters ``a, b1, ..., b{K-1}`` of every item."""
        a = self.discrimination(params)
        d = self._intercepts(params)
        out = {"a": a}
        for m in range(d.shape[1]):
            out[f"b{m + 1}"] = -d[:, m] / a
        for m in range(d.shape[1]):
            out[f"d{m + 1}"] = d[:, m]
        return out

    def jacobian(self, params: np.ndarray) -> tuple[list[str], np.ndarray]:
        """Return the public names and d(public a, b_k, d_k) / d(internal), (J, 2K-1, K)."""
        a = self.discrimination(params)
        d = self._intercepts(params)
        n, km1 = d.shape
        names = ["a"] + [f"b{m + 1}" for m in range(km1)] + [f"d{m + 1}" for m in range(km1)]
        jac = np.zeros((n, len(names), self.n_params))
        da = a if self.log_a else np.ones(n)
        jac[:, 0, 0] = da
        gaps = np.exp(params[:, 2:])
        for m in range(km1):
            jac[:, 1 + m, 0] = d[:, m] / a**2 * da  # b_m = -d_m / a
            jac[:, 1 + m, 1] = -1.0 / a  # d d_m / d delta = 1
            jac[:, 1 + km1 + m, 1] = 1.0
            for i in range(2, m + 2):  # d d_m / d e_i = -exp(e_i) for i <= m+1
                jac[:, 1 + m, i] = gaps[:, i - 2] / a
                jac[:, 1 + km1 + m, i] = -gaps[:, i - 2]
        return names, jac


class PartialCreditKernel:
    """GPCM (and PCM, with a common discrimination): ``log P_k = k a z + sum_{v<=k} d_v - norm``.

    The step intercepts ``d_v = -a s_v`` each get the intercept prior (relative to the
    items' centre, as for every model), the GPCM's discriminations the discrimination prior;
    the PCM's common discrimination is the latent scale and has no prior (as the 1PL's).
    """

    logistic = False

    def __init__(self, irt_model: str, n_categories: int, prior: Prior | None) -> None:
        self.irt_model = irt_model
        self.n_categories = n_categories
        self.prior = prior
        self.log_a = prior is not None and prior.discrimination == "lognormal"
        self.names = ["a"] + [f"d{k}" for k in range(1, n_categories)]

    @property
    def shared(self) -> bool:
        """Return True when the discrimination is common to all items (the PCM)."""
        return self.irt_model == "pcm"

    @property
    def n_params(self) -> int:
        """Return the number of internal parameters per item."""
        return self.n_categories

    def discrimination(self, params: np.ndarray) -> np.ndarray:
        """Return the discriminations ``a`` (J,)."""
        return np.exp(params[:, 0]) if self.log_a else params[:, 0]

    def start(self, shares: np.ndarray) -> np.ndarray:
        """Return starting parameters (J, K) from ``shares`` (J, K), each category's share."""
        p = np.clip(shares, 0.01, None)
        d = np.clip(np.log(p[:, 1:] / p[:, :-1]), -4.0, 4.0)
        a0 = np.zeros(len(d)) if self.log_a else np.ones(len(d))
        return np.column_stack([a0, d])

    def _probs(self, params: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        a = self.discrimination(params)
        k = np.arange(self.n_categories)
        cum = np.concatenate([np.zeros((len(params), 1)), np.cumsum(params[:, 1:], axis=1)], 1)
        eta = k[None, :, None] * a[:, None, None] * z[None, None, :] + cum[:, :, None]
        logp = eta - np.logaddexp.reduce(eta, axis=1, keepdims=True)  # (J, K, Q)
        return a, logp

    def logprob(self, params: np.ndarray, z: np.ndarray) -> np.ndarray:
        """Return log P(category k | theta = z_q) for every item, shape (K, J, Q)."""
        return self._probs(params, z)[1].transpose(1, 0, 2)

    def score(self, params: np.ndarray, z: np.ndarray) -> np.ndarray:
        """Return d log P_k / d params, shape (K, J, Q, p)."""
        a, logp = self._probs(params, z)
        probs = np.exp(logp)  # (J, K, Q)
        kk = np.arange(self.n_categories)
        mean = np.einsum("jkq,k->jq", probs, kk)
        j, k, q = probs.shape
        out = np.empty((k, j, q, self.n_params))
        da = z[None, None, :] * (kk[None, :, None] - mean[:, None, :])  # (J, K, Q)
        out[..., 0] = (da * (a[:, None, None] if self.log_a else 1.0)).transpose(1, 0, 2)
        # d log P_k / d d_v = 1[k >= v] - P(X >= v)
        upper = np.cumsum(probs[:, ::-1], axis=1)[:, ::-1]  # P(X >= v), v = 0..K-1
        for v in range(1, k):
            ind = (kk >= v).astype(float)
            out[..., v] = ind[:, None, None] - upper[:, v, :][None]
        return out

    def log_prior(self, params: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return the value (J,), gradient (J, p) and Hessian diagonal (J, p) of the log prior."""
        val = np.zeros(len(params))
        grad = np.zeros_like(params)
        hess = np.zeros_like(params)
        pr = self.prior
        if pr is None:
            return val, grad, hess
        d = params[:, 1:]
        val += -0.5 * ((d / pr.intercept_sd) ** 2).sum(axis=1)
        grad[:, 1:] = -d / pr.intercept_sd**2
        hess[:, 1:] = -1.0 / pr.intercept_sd**2
        if not self.shared:
            value, grad[:, 0], hess[:, 0] = _discrimination_prior(pr, params[:, 0], self.log_a)
            val += value
        return val, grad, hess

    def directions(self, params: np.ndarray) -> np.ndarray:
        """Return d params / d(u, s) of :meth:`transform` at (0, 0), shape (J, p, 2)."""
        a = self.discrimination(params)
        out = np.zeros((*params.shape, 2))
        out[:, 1:, 0] = a[:, None]
        out[:, 0, 1] = 1.0 if self.log_a else a
        return out

    def transform(self, params: np.ndarray, u: float, s: float) -> np.ndarray:
        """Re-express the items for abilities ``theta' = (theta - u) exp(-s)``."""
        a = self.discrimination(params)
        new = params.copy()
        new[:, 1:] = params[:, 1:] + a[:, None] * u
        new[:, 0] = params[:, 0] + s if self.log_a else params[:, 0] * np.exp(s)
        return new

    def to_public(self, params: np.ndarray) -> dict[str, np.ndarray]:
        """Return the public parameters ``a, s1, ..., d1, ...`` of every item."""
        a = self.discrimination(params)
        out = {"a": a}
        for m in range(1, self.n_categories):
            out[f"s{m}"] = -params[:, m] / a
        for m in range(1, self.n_categories):
            out[f"d{m}"] = params[:, m]
        return out

    def jacobian(self, params: np.ndarray) -> tuple[list[str], np.ndarray]:
        """Return the public names and d(public a, s_k, d_k) / d(internal), (J, 2K-1, K)."""
        a = self.discrimination(params)
        n, km1 = len(params), self.n_categories - 1
        names = ["a"] + [f"s{m + 1}" for m in range(km1)] + [f"d{m + 1}" for m in range(km1)]
        jac = np.zeros((n, len(names), self.n_params))
        da = a if self.log_a else np.ones(n)
        jac[:, 0, 0] = da
        for m in range(km1):
            jac[:, 1 + m, 0] = params[:, 1 + m] / a**2 * da  # s_m = -d_m / a
            jac[:, 1 + m, 1 + m] = -1.0 / a
            jac[:, 1 + km1 + m, 1 + m] = 1.0
        return names, jac


def make_kernel(
    irt_model: str, n_categories: int, prior: Prior | None
) -> BinaryKernel | GradedKernel | PartialCreditKernel:
    """Return the kernel of an IRT model (internal machinery of the EM engine).

    The Rasch model is fitted as a 1PL (its common discrimination is the latent SD).
    """
    if irt_model == "grm":
        return GradedKernel(n_categories, prior)
    if irt_model in ("gpcm", "pcm"):
        return PartialCreditKernel(irt_model, n_categories, prior)
    return BinaryKernel("1pl" if irt_model == "rasch" else irt_model, prior)
