"""Small shared statistics used by the bias, depth and IRT modules."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import polars as pl

from hierlab.errors import InvalidValueError

__all__ = ["adjust_pvalues", "coefficient_table", "fit_logit", "wald_test", "wilson_interval"]


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


def fit_logit(formula: str, data: Any, cluster: Any = None) -> Any:
    """Logistic regression (binomial GLM) from a formula, SEs clustered by ``cluster``.

    Parameters
    ----------
    formula : patsy formula, e.g. ``"y ~ C(group) + C(model)"``
    data : pandas DataFrame with the formula's columns
    cluster : one cluster label per row (e.g. the item), or None for model-based SEs

    Returns
    -------
    statsmodels ``GLMResults``

    Examples
    --------
    >>> import pandas as pd
    >>> data = pd.DataFrame({"y": [0, 1, 0, 1, 1, 0, 1, 1], "x": [0, 0, 1, 1, 2, 2, 3, 3],
    ...                      "item": list("aabbccdd")})
    >>> fit_logit("y ~ x", data, cluster=data["item"]).cov_type
    'cluster'
    """
    import pandas as pd
    import statsmodels.api as sm
    import statsmodels.formula.api as smf

    glm = smf.glm(formula, data=data, family=sm.families.Binomial())
    if cluster is None:
        return glm.fit()
    groups = pd.Series(np.asarray(cluster)).astype("category").cat.codes.to_numpy()
    return glm.fit(cov_type="cluster", cov_kwds={"groups": groups})


def coefficient_table(
    result: Any,
    names: Sequence[str],
    level: float = 0.95,
    labels: Sequence[str] | None = None,
    term: str = "term",
    estimate: str = "estimate",
) -> pl.DataFrame:
    """The named coefficients of a statsmodels fit: ``term, estimate, se, z, p, ci_low, ci_high``.

    ``labels`` replaces the coefficient names in the ``term`` column; ``term`` and
    ``estimate`` rename those two columns.

    Examples
    --------
    >>> import pandas as pd
    >>> data = pd.DataFrame({"y": [0, 1, 0, 1, 1, 0, 1, 1], "x": [0, 0, 1, 1, 2, 2, 3, 3]})
    >>> coefficient_table(fit_logit("y ~ x", data), ["x"]).columns
    ['term', 'estimate', 'se', 'z', 'p', 'ci_low', 'ci_high']
    """
    names = list(names)
    ci = result.conf_int(alpha=1 - level)
    return pl.DataFrame(
        {
            term: list(names if labels is None else labels),
            estimate: result.params[names].to_numpy(),
            "se": result.bse[names].to_numpy(),
            "z": result.tvalues[names].to_numpy(),
            "p": result.pvalues[names].to_numpy(),
            "ci_low": ci.loc[names, 0].to_numpy(),
            "ci_high": ci.loc[names, 1].to_numpy(),
        }
    )


def wald_test(result: Any, contrasts: Sequence[Mapping[str, float]]) -> dict[str, float]:
    """Joint Wald chi-square test (with the fit's covariance) that every contrast is 0.

    Each contrast maps coefficient names to weights: ``{"b": 1.0}`` tests b = 0 and
    ``{"b": 1.0, "a": -1.0}`` tests b = a.

    Returns
    -------
    dict
        ``chi2, df, p``.

    Examples
    --------
    >>> import pandas as pd
    >>> data = pd.DataFrame({"y": [0, 1, 0, 1, 1, 0, 1, 1], "x": [0, 0, 1, 1, 2, 2, 3, 3]})
    >>> wald_test(fit_logit("y ~ x", data), [{"x": 1.0}])["df"]
    1.0
    """
    from scipy.stats import chi2

    index = list(result.params.index)
    matrix = np.zeros((len(contrasts), len(index)))
    for row, weights in enumerate(contrasts):
        for name, weight in weights.items():
            matrix[row, index.index(name)] = weight
    stat = float(np.squeeze(result.wald_test(matrix, scalar=True).statistic))
    return {"chi2": stat, "df": float(len(contrasts)), "p": float(chi2.sf(stat, len(contrasts)))}
