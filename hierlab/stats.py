"""Small shared statistics used by the bias, depth and IRT modules."""

from __future__ import annotations

import numpy as np

from hierlab.errors import InvalidValueError

__all__ = ["adjust_pvalues", "wilson_interval"]


def adjust_pvalues(pvalues: np.ndarray, method: str = "holm") -> np.ndarray:
    """Adjust p-values for multiple testing (NaNs are left out and stay NaN).

    Parameters
    ----------
    pvalues : array of float
    method : {"holm", "bh", "bonferroni"}
        Holm's step-down family-wise correction, Benjamini-Hochberg's false discovery
        rate, or Bonferroni.

    Examples
    --------
    >>> adjust_pvalues(np.array([0.01, 0.04, 0.03]), "holm").round(3).tolist()
    [0.03, 0.06, 0.06]
    >>> adjust_pvalues(np.array([0.01, 0.04, 0.03]), "bh").round(3).tolist()
    [0.03, 0.04, 0.04]
    """
    p = np.asarray(pvalues, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    q = p[ok]
    m = len(q)
    if m == 0:
        return out
    order = np.argsort(q)
    ranked = q[order]
    if method == "holm":
        adj = np.maximum.accumulate((m - np.arange(m)) * ranked)
    elif method == "bh":
        adj = np.minimum.accumulate(m / np.arange(m, 0, -1) * ranked[::-1])[::-1]
    elif method == "bonferroni":
        adj = m * ranked
    else:
        raise InvalidValueError(f"Unknown adjustment {method!r}; use 'holm', 'bh' or 'bonferroni'.")
    res = np.empty(m)
    res[order] = np.minimum(adj, 1.0)
    out[ok] = res
    return out


def wilson_interval(
    successes: np.ndarray, n: np.ndarray, level: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for binomial proportions (vectorised; NaN where n = 0).

    Examples
    --------
    >>> lo, hi = wilson_interval(np.array([8]), np.array([10]))
    >>> round(float(lo[0]), 3), round(float(hi[0]), 3)
    (0.49, 0.943)
    """
    from scipy.stats import norm

    k = np.asarray(successes, dtype=float)
    n = np.asarray(n, dtype=float)
    z = norm.ppf(0.5 + level / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        denom = 1 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
    return np.where(n > 0, centre - half, np.nan), np.where(n > 0, centre + half, np.nan)
