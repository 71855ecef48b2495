"""The reversed-key evidence of binary items: exact conditional tests and a two-group model.

Given the models' abilities, the statistic of item j is ``T_j = sum_m w_m x_mj`` with
``w_m`` the models' centred abilities. Under a logistic item with discrimination ``a``,
and given the number ``k_j`` of models that answered it right, the responses have the
distribution ``P(x | k) ~ exp(a T(x))`` whatever the item's difficulty (Rasch-type
conditional inference), so ``P(T = t | k, a) = N_k(t) e^{a t} / Z_k(a)`` where
``N_k(t)`` counts the ways k of the answering models can sum to t. ``N_k`` depends
only on which models answered, so one table serves every item they all answered; with
more than :data:`EXACT_MAX_MODELS` answering models a conditional normal approximation
(the mean and variance of T given k) replaces the table.

A *working* item has a discrimination drawn from the fit's positive discriminations
(``G+``); a *reversed* item has the mirror image ``-a``. A two-group empirical-Bayes
model (the reversed share estimated by EM over items) gives each item's local false
discovery rate: the posterior probability that it is a working item.
"""

from __future__ import annotations

import numpy as np
from scipy.special import logsumexp

#: Largest number of answering models handled by the exact conditional tables.
EXACT_MAX_MODELS = 100
#: Bins of T in one exact table.
MAX_BINS = 4000
#: Budget of (models x counts) cells for the normal-approximation tables; items beyond it
#: (rare patterns of many answering models) are approximated one by one.
NORMAL_BUDGET = 3_000_000


def discrimination_sample(a: np.ndarray, size: int = 20) -> np.ndarray:
    """Return ``size`` quantiles of the positive discriminations (the working items' G+).

    Examples
    --------
    >>> discrimination_sample(np.array([0.5, 1.0, 2.0, -1.0]), 3).round(2).tolist()
    [0.67, 1.0, 1.67]
    """
    positive = a[np.isfinite(a) & (a > 0)]
    if len(positive) == 0:
        return np.ones(1)
    if np.ptp(positive) == 0:
        return positive[:1].copy()
    return np.quantile(positive, (np.arange(size) + 0.5) / size)


class _ExactGroup:
    """Items answered by the same models: the count table N_k(t) and its normalisers."""

    def __init__(self, w: np.ndarray, a: np.ndarray) -> None:
        n = len(w)
        self.n = n
        span = float(np.abs(w).sum())
        self.delta = max(span / MAX_BINS, 1e-9)
        k = np.rint(w / self.delta).astype(np.int64)
        self.k = k
        self.lo = int(k[k < 0].sum())
        size = int(k[k > 0].sum()) - self.lo + 1
        table = np.zeros((n + 1, size))
        table[0, -self.lo] = 1.0
        for shift in k:  # adding one model at a time: sequential by nature
            moved = np.zeros_like(table)
            if shift >= 0:
                moved[1:, shift:] = table[:-1, : size - shift]
            else:
                moved[1:, : size + shift] = table[:-1, -shift:]
            table += moved
        with np.errstate(divide="ignore"):
            self.log_n = np.log(table)
        self.t = (np.arange(size) + self.lo) * self.delta
        self.a = a
        both = np.concatenate([a, -a])
        self.log_z = np.stack(
            [logsumexp(self.log_n + g * self.t[None, :], axis=1) for g in both], axis=1
        )

    def stats(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Count right and bin of T of response columns x (n, c)."""
        return x.sum(axis=0).astype(np.int64), (self.k @ x).astype(np.int64) - self.lo

    def log_f(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Log f(T | k) under each working and each reversed discrimination, and k."""
        k, s = self.stats(x)
        g = len(self.a)
        t = self.t[s]
        base = self.log_n[k, s]
        plus = base[:, None] + self.a[None, :] * t[:, None] - self.log_z[k, :g]
        minus = base[:, None] - self.a[None, :] * t[:, None] - self.log_z[k, g:]
        return plus, minus, k

    def lower_tail(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """P(T <= t | k) for a working item (mean over G+), and k."""
        k, s = self.stats(x)
        tails = np.empty((len(k), len(self.a)))
        for i, a in enumerate(self.a):  # one CDF table per discrimination, all counts at once
            with np.errstate(invalid="ignore"):
                cdf = np.cumsum(
                    np.exp(self.log_n + a * self.t[None, :] - self.log_z[:, i : i + 1]), axis=1
                )
            tails[:, i] = cdf[k, s]
        return tails.mean(axis=1), k


def _normal_moments(
    w: np.ndarray,
    obs: np.ndarray,
    counts: np.ndarray,
    a: np.ndarray,
    floor: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Mean and SD of T given k (conditional normal approximation).

    ``w`` (N,), ``obs`` (N, c) the answered mask of c problems, ``counts`` (c,) the
    number right of each, ``a`` (G,) discriminations, ``floor`` (c,) chance levels
    (``P = floor + (1 - floor) sigmoid(a w + d)``; 0: logistic). Returns (c, G) arrays.
    """
    c, g = len(counts), len(a)
    floor = np.zeros(c) if floor is None else floor
    chunk = max(1, int(4e6 // max(1, len(w) * g)))
    if c > chunk:
        parts = [
            _normal_moments(
                w, obs[:, i : i + chunk], counts[i : i + chunk], a, floor[i : i + chunk]
            )
            for i in range(0, c, chunk)
        ]
        return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
    n_obs = obs.sum(axis=0)
    share = np.clip((counts / np.maximum(n_obs, 1) - floor) / (1 - floor), 1e-3, 1 - 1e-3)
    d = np.repeat(np.log(share / (1 - share))[:, None], g, axis=1)
    eta_w = w[:, None, None] * a[None, None, :]  # (N, 1, G)
    mask = obs[..., None]
    low = floor[None, :, None]
    for _ in range(25):  # intercepts matching each count, vectorised Newton
        s = 1.0 / (1.0 + np.exp(-(eta_w + d[None])))
        p = mask * (low + (1 - low) * s)
        slope = (mask * (1 - low) * s * (1 - s)).sum(axis=0) + 1e-9
        step = (p.sum(axis=0) - counts[:, None]) / slope
        d -= np.clip(step, -5, 5)
        if np.abs(step).max() < 1e-8:
            break
    p = mask * (low + (1 - low) / (1.0 + np.exp(-(eta_w + d[None]))))
    v = p * (1 - p)
    wv = w[:, None, None] * v
    mean = (w[:, None, None] * p).sum(axis=0)
    var = (w[:, None, None] * wv).sum(axis=0) - wv.sum(axis=0) ** 2 / np.maximum(
        v.sum(axis=0), 1e-12
    )
    return mean, np.sqrt(np.maximum(var, 1e-12))


class _NormalGroup:
    """Items answered by the same models with one chance level: moments of T per count k."""

    def __init__(self, w: np.ndarray, a: np.ndarray, floor: float = 0.0) -> None:
        n = len(w)
        self.w = w
        self.a = a
        ks = np.arange(n + 1, dtype=float)
        obs = np.ones((n, n + 1), dtype=bool)
        both = np.concatenate([a, -a])
        self.mean, self.sd = _normal_moments(w, obs, ks, both, np.full(n + 1, floor))

    def log_f(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        k = x.sum(axis=0).astype(np.int64)
        t = self.w @ x
        g = len(self.a)
        z = (t[:, None] - self.mean[k]) / self.sd[k]
        dens = -0.5 * z**2 - np.log(self.sd[k])
        return dens[:, :g], dens[:, g:], k

    def lower_tail(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        from scipy.stats import norm

        k = x.sum(axis=0).astype(np.int64)
        t = self.w @ x
        g = len(self.a)
        z = (t[:, None] - self.mean[k, :g]) / self.sd[k, :g]
        return norm.cdf(z).mean(axis=1), k


class ReversalModel:
    """Conditional log-densities of every item's T under working and reversed keys.

    Parameters
    ----------
    theta : numpy.ndarray
        The models' abilities (N,).
    observed : numpy.ndarray
        The answered mask (N, J).
    a_sample : numpy.ndarray
        Discriminations of working items (G+).
    chance : numpy.ndarray, optional
        Each item's chance level (J,); items with a chance level above 0 are modelled
        with that guessing floor through the normal approximation.
    """

    def __init__(
        self,
        theta: np.ndarray,
        observed: np.ndarray,
        a_sample: np.ndarray,
        chance: np.ndarray | None = None,
    ) -> None:
        self.w = theta - theta[observed.any(axis=1)].mean()
        self.observed = observed
        self.a = a_sample
        self.chance = np.zeros(observed.shape[1]) if chance is None else chance
        key = np.column_stack([observed.T.astype(float), self.chance])
        patterns, inverse, counts = np.unique(key, axis=0, return_inverse=True, return_counts=True)
        inverse = inverse.ravel()
        order = np.argsort(-counts, kind="stable")
        self.groups: list[tuple[np.ndarray, np.ndarray, _ExactGroup | _NormalGroup]] = []
        loose = []
        budget = NORMAL_BUDGET
        for p in order:
            items = np.flatnonzero(inverse == p)
            rows = np.flatnonzero(patterns[p, :-1] > 0)
            floor = float(patterns[p, -1])
            n = len(rows)
            if n < 3:
                continue
            if floor == 0 and n <= EXACT_MAX_MODELS:
                self.groups.append((items, rows, _ExactGroup(self.w[rows], a_sample)))
            elif n * (n + 1) <= budget:
                budget -= n * (n + 1)
                self.groups.append((items, rows, _NormalGroup(self.w[rows], a_sample, floor)))
            else:
                loose.append(items)
        self.loose = (
            np.sort(np.concatenate(loose)).astype(np.int64) if loose else np.zeros(0, np.int64)
        )

    def _loose(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        obs = self.observed[:, self.loose]
        sub = x[:, self.loose] * obs
        k = sub.sum(axis=0)
        both = np.concatenate([self.a, -self.a])
        mean, sd = _normal_moments(self.w, obs, k, both, self.chance[self.loose])
        t = self.w @ sub
        return (t[:, None] - mean) / sd, sd, k, obs.sum(axis=0)

    def log_densities(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return log f+(T_j) and log f-(T_j) for responses (N, J).

        Items answered by fewer than 3 models, or answered right by all or none of them,
        get NaN.
        """
        j = values.shape[1]
        g = len(self.a)
        plus = np.full(j, np.nan)
        minus = np.full(j, np.nan)
        x = np.nan_to_num(values)
        for items, rows, group in self.groups:
            lp, lm, k = group.log_f(x[np.ix_(rows, items)])
            ok = (k > 0) & (k < len(rows))
            plus[items] = np.where(ok, logsumexp(lp, axis=1) - np.log(g), np.nan)
            minus[items] = np.where(ok, logsumexp(lm, axis=1) - np.log(g), np.nan)
        if len(self.loose):
            z, sd, k, n = self._loose(x)
            dens = -0.5 * z**2 - np.log(sd)
            ok = (k > 0) & (k < n) & (n >= 3)
            plus[self.loose] = np.where(ok, logsumexp(dens[:, :g], axis=1) - np.log(g), np.nan)
            minus[self.loose] = np.where(ok, logsumexp(dens[:, g:], axis=1) - np.log(g), np.nan)
        return plus, minus

    def p_values(self, values: np.ndarray) -> np.ndarray:
        """Return P(T <= T_j | k_j) for a working item (averaged over G+), per item."""
        from scipy.stats import norm

        out = np.full(values.shape[1], np.nan)
        x = np.nan_to_num(values)
        for items, rows, group in self.groups:
            tail, k = group.lower_tail(x[np.ix_(rows, items)])
            out[items] = np.where((k > 0) & (k < len(rows)), tail, np.nan)
        if len(self.loose):
            z, _, k, n = self._loose(x)
            tail = norm.cdf(z[:, : len(self.a)]).mean(axis=1)
            out[self.loose] = np.where((k > 0) & (k < n) & (n >= 3), tail, np.nan)
        return np.clip(out, 0.0, 1.0)


def local_fdr(log_plus: np.ndarray, log_minus: np.ndarray) -> tuple[np.ndarray, float]:
    """Return every item's local false discovery rate and the estimated reversed share.

    The share of reversed items maximises the two-group likelihood (EM). Items with
    NaN evidence get NaN.

    Examples
    --------
    >>> lfdr, share = local_fdr(np.array([0.0, 0.0, -9.0]), np.array([-9.0, -9.0, 0.0]))
    >>> lfdr.round(3).tolist(), round(share, 2)
    ([1.0, 1.0, 0.0], 0.33)
    """
    ok = np.isfinite(log_plus) & np.isfinite(log_minus)
    llr = np.where(ok, log_minus - log_plus, -np.inf)
    share = 0.01
    post = np.zeros_like(llr)
    for _ in range(500):
        odds = np.log(share) - np.log1p(-share) + llr
        post = np.where(ok, 1.0 / (1.0 + np.exp(-np.clip(odds, -700, 700))), 0.0)
        new = float(np.clip(post[ok].mean() if ok.any() else 0.0, 1e-6, 0.5))
        if abs(new - share) < 1e-10:
            share = new
            break
        share = new
    odds = np.log(share) - np.log1p(-share) + llr
    post = np.where(ok, 1.0 / (1.0 + np.exp(-np.clip(odds, -700, 700))), 0.0)
    return np.where(ok, 1.0 - post, np.nan), share


def q_values(lfdr: np.ndarray) -> np.ndarray:
    """Return q-values: the mean local fdr of all items at least as extreme as each item.

    Flagging items with q <= q0 keeps the expected share of working items among the
    flagged (the Bayesian false discovery rate) at most q0.

    Examples
    --------
    >>> q_values(np.array([0.02, 0.5, 0.04, np.nan])).round(3).tolist()
    [0.02, 0.187, 0.03, nan]
    """
    out = np.full(lfdr.shape, np.nan)
    ok = np.flatnonzero(np.isfinite(lfdr))
    if len(ok) == 0:
        return out
    order = ok[np.argsort(lfdr[ok], kind="stable")]
    out[order] = np.cumsum(lfdr[order]) / np.arange(1, len(order) + 1)
    return out
