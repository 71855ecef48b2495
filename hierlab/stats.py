"""Small shared statistics used by the bias, depth and IRT modules.

Wilson intervals for proportions, multiple-testing corrections, and a thin layer over
statsmodels' logistic regression: a fit with item-clustered standard errors, its
coefficient table in the glossary's columns, and a joint Wald test as a
:class:`~hierlab.results.TestResult`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import polars as pl

from hierlab._tables import as_float_array
from hierlab.errors import InputShapeError, InputTypeError, InvalidValueError, format_items
from hierlab.results import TestResult

__all__ = ["adjust_pvalues", "coefficient_table", "fit_logit", "wald_test", "wilson_interval"]

#: Multiple-testing corrections :func:`adjust_pvalues` knows.
CORRECTIONS = ("holm", "bh", "bonferroni")


def check_confidence(confidence: Any) -> float:
    """Return ``confidence`` as a float in (0, 1), or raise naming the argument.

    Internal helper shared by hierlab's modules (not part of the public API).

    Examples
    --------
    >>> check_confidence(0.9)
    0.9
    """
    if isinstance(confidence, bool) or not isinstance(confidence, int | float | np.floating):
        raise InputTypeError(
            f"`confidence` must be a number in (0, 1) such as 0.95, got {type(confidence).__name__}."
        )
    if not 0 < confidence < 1:
        raise InvalidValueError(f"`confidence` must be in (0, 1) such as 0.95, got {confidence!r}.")
    return float(confidence)


def check_correction(correction: Any) -> str | None:
    """Return ``correction`` if it is a known multiple-testing correction (or None).

    Internal helper shared by hierlab's modules (not part of the public API).

    Examples
    --------
    >>> check_correction("bh")
    'bh'
    """
    if correction is None or (isinstance(correction, str) and correction in CORRECTIONS):
        return correction
    raise InvalidValueError(
        f"`correction` must be 'holm', 'bh' (Benjamini-Hochberg), 'bonferroni' or None, "
        f"got {correction!r}."
    )


def pearson(x: np.ndarray, y: np.ndarray) -> float:
    """Return the Pearson correlation of two arrays; NaN (no warning) if either is constant.

    Internal helper shared by hierlab's modules (not part of the public API).

    Examples
    --------
    >>> pearson(np.array([1.0, 2.0, 3.0]), np.array([2.0, 4.0, 7.0])) > 0.9
    True
    """
    x = np.asarray(x, dtype=float) - np.mean(x) if len(x) else np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float) - np.mean(y) if len(y) else np.asarray(y, dtype=float)
    scale = np.sqrt((x * x).sum() * (y * y).sum())
    return float((x * y).sum() / scale) if scale > 0 else float("nan")


def adjust_pvalues(pvalues: Any, correction: str | None = "holm") -> np.ndarray:
    """Adjust p-values for multiple testing (NaNs are left out and stay NaN).

    Parameters
    ----------
    pvalues : array-like of float
        Raw p-values in [0, 1] (a list, numpy array or Series); NaN marks a test that
        was not run.
    correction : {"holm", "bh", "bonferroni"} or None, default "holm"
        Holm's step-down family-wise correction, Benjamini-Hochberg's false discovery
        rate, Bonferroni, or None for no correction (the p-values are returned as they
        are).

    Returns
    -------
    numpy.ndarray
        The adjusted p-values, in the input's order and shape.

    Examples
    --------
    >>> adjust_pvalues([0.01, 0.04, 0.03]).round(3).tolist()
    [0.03, 0.06, 0.06]
    >>> adjust_pvalues([0.01, 0.04, 0.03], "bh").round(3).tolist()
    [0.03, 0.04, 0.04]
    """
    p = as_float_array(pvalues, "`pvalues`")
    correction = check_correction(correction)
    outside = np.flatnonzero(((p < 0) | (p > 1)).ravel())
    if len(outside):
        raise InvalidValueError(
            f"`pvalues` must lie in [0, 1]; {len(outside)} do not, at position(s) "
            f"{format_items(outside.tolist())}."
        )
    if correction is None:
        return p.copy()
    flat = p.ravel()
    out = np.full(flat.shape, np.nan)
    ok = ~np.isnan(flat)
    q = flat[ok]
    m = len(q)
    if m == 0:
        return out.reshape(p.shape)
    order = np.argsort(q)
    ranked = q[order]
    if correction == "holm":
        adj = np.maximum.accumulate((m - np.arange(m)) * ranked)
    elif correction == "bh":
        adj = np.minimum.accumulate(m / np.arange(m, 0, -1) * ranked[::-1])[::-1]
    else:
        adj = m * ranked
    res = np.empty(m)
    res[order] = np.minimum(adj, 1.0)
    out[ok] = res
    return out.reshape(p.shape)


def wilson_interval(
    successes: Any, n: Any, *, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Compute Wilson score intervals for binomial proportions (vectorised; NaN where n = 0).

    Parameters
    ----------
    successes : array-like of float
        Number of successes (right answers) of each proportion.
    n : array-like of float
        Number of trials of each proportion (broadcast against ``successes``).
    confidence : float, default 0.95
        Confidence level of the intervals.

    Returns
    -------
    tuple of numpy.ndarray
        ``(ci_low, ci_high)``.

    Examples
    --------
    >>> lo, hi = wilson_interval([8], [10])
    >>> round(float(lo[0]), 3), round(float(hi[0]), 3)
    (0.49, 0.943)
    """
    from scipy.stats import norm

    k = as_float_array(successes, "`successes`")
    n = as_float_array(n, "`n`")
    confidence = check_confidence(confidence)
    z = norm.ppf(0.5 + confidence / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        denom = 1 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
    return np.where(n > 0, centre - half, np.nan), np.where(n > 0, centre + half, np.nan)


def fit_logit(formula: str, data: Any, cluster: Any = None) -> Any:
    """Fit a logistic regression (binomial GLM) from a formula, SEs clustered by ``cluster``.

    Parameters
    ----------
    formula : str
        A patsy formula, e.g. ``"y ~ C(group) + C(model)"``.
    data : pandas or polars DataFrame
        The formula's columns.
    cluster : array-like, optional
        One cluster label per row (e.g. the item), or None for model-based SEs.

    Returns
    -------
    statsmodels.genmod.generalized_linear_model.GLMResultsWrapper
        The fitted model.

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

    if not isinstance(formula, str) or "~" not in formula:
        raise InputTypeError(
            f"`formula` must be a patsy formula string such as 'y ~ x', got {formula!r}."
        )
    if isinstance(data, pl.DataFrame):
        data = data.to_pandas()
    if not isinstance(data, pd.DataFrame):
        raise InputTypeError(
            f"`data` must be a pandas or polars DataFrame, got {type(data).__name__}."
        )
    glm = smf.glm(formula, data=data, family=sm.families.Binomial())
    if cluster is None:
        return glm.fit()
    groups = pd.Series(np.asarray(cluster)).astype("category").cat.codes.to_numpy()
    if len(groups) != len(data):
        raise InputShapeError(
            f"`cluster` has {len(groups)} labels but `data` has {len(data)} rows; give one "
            "cluster label per row."
        )
    return glm.fit(cov_type="cluster", cov_kwds={"groups": groups})


def _check_fit(result: Any) -> None:
    if not all(hasattr(result, a) for a in ("params", "bse", "cov_params", "conf_int")):
        raise InputTypeError(
            f"`result` must be a fitted statsmodels model (e.g. from fit_logit), got "
            f"{type(result).__name__}."
        )


def _check_terms(result: Any, names: Any, what: str = "`names`") -> list[str]:
    if isinstance(names, str) or not isinstance(names, Sequence | np.ndarray | pl.Series):
        raise InputTypeError(
            f"{what} must be a list of coefficient names, got {type(names).__name__}."
        )
    names = [str(n) for n in names]
    unknown = [n for n in names if n not in result.params.index]
    if unknown:
        raise InvalidValueError(
            f"{what} holds {len(unknown)} name(s) that are not coefficients of the fit: "
            f"{format_items(unknown)}; the fit has {format_items(list(result.params.index))}."
        )
    return names


def coefficient_table(
    result: Any,
    names: Sequence[str],
    confidence: float = 0.95,
    *,
    labels: Sequence[str] | None = None,
    term: str = "term",
    estimate: str = "estimate",
) -> pl.DataFrame:
    """Tabulate the named coefficients of a statsmodels fit.

    Parameters
    ----------
    result : statsmodels results
        A fitted model, e.g. from :func:`fit_logit`.
    names : sequence of str
        The coefficients to report, by their names in ``result.params``.
    confidence : float, default 0.95
        Confidence level of ``ci_low, ci_high``.
    labels : sequence of str, optional
        Replacements for the coefficient names in the ``term`` column.
    term : str, default "term"
        Name of the column holding the coefficient names (or ``labels``).
    estimate : str, default "estimate"
        Name of the column holding the point estimates.

    Returns
    -------
    polars.DataFrame
        ``term, estimate, se, statistic, p_value, ci_low, ci_high`` (``statistic`` is the
        Wald z of the coefficient).

    Examples
    --------
    >>> import pandas as pd
    >>> data = pd.DataFrame({"y": [0, 1, 0, 1, 1, 0, 1, 1], "x": [0, 0, 1, 1, 2, 2, 3, 3]})
    >>> coefficient_table(fit_logit("y ~ x", data), ["x"]).columns
    ['term', 'estimate', 'se', 'statistic', 'p_value', 'ci_low', 'ci_high']
    """
    _check_fit(result)
    names = _check_terms(result, names)
    confidence = check_confidence(confidence)
    shown = names if labels is None else [str(x) for x in labels]
    if len(shown) != len(names):
        raise InputShapeError(
            f"`labels` has {len(shown)} entries but `names` has {len(names)}; give one each."
        )
    ci = result.conf_int(alpha=1 - confidence)
    return pl.DataFrame(
        {
            term: shown,
            estimate: np.asarray(result.params[names], dtype=float),
            "se": np.asarray(result.bse[names], dtype=float),
            "statistic": np.asarray(result.tvalues[names], dtype=float),
            "p_value": np.asarray(result.pvalues[names], dtype=float),
            "ci_low": np.asarray(ci.loc[names, 0], dtype=float),
            "ci_high": np.asarray(ci.loc[names, 1], dtype=float),
        },
        schema={
            term: pl.String,
            estimate: pl.Float64,
            "se": pl.Float64,
            "statistic": pl.Float64,
            "p_value": pl.Float64,
            "ci_low": pl.Float64,
            "ci_high": pl.Float64,
        },
    )


def _contrast_name(weights: Mapping[str, float]) -> str:
    parts = []
    for name, weight in weights.items():
        sign = "-" if weight < 0 else "+"
        size = abs(float(weight))
        coef = name if size == 1 else f"{size:g}*{name}"
        parts.append(f"{sign} {coef}")
    text = " ".join(parts)
    return text[2:] if text.startswith("+ ") else "-" + text[2:]


def wald_test(
    result: Any,
    contrasts: Sequence[Mapping[str, float]],
    *,
    null_hypothesis: str = "",
) -> TestResult:
    """Test jointly, with the fit's covariance, that every contrast of coefficients is 0.

    Each contrast maps coefficient names to weights: ``{"b": 1.0}`` tests b = 0 and
    ``{"b": 1.0, "a": -1.0}`` tests b = a. The statistic is the Wald chi-square with one
    degree of freedom per contrast.

    Parameters
    ----------
    result : statsmodels results
        A fitted model, e.g. from :func:`fit_logit` (its covariance, clustered or not, is
        used).
    contrasts : sequence of mapping of str to float
        The linear combinations of coefficients that are 0 under the null hypothesis.
    null_hypothesis : str, optional
        The null hypothesis in words (default: the contrasts written out).

    Returns
    -------
    TestResult
        ``statistic`` (Wald chi-square), ``df``, ``p_value``; ``table`` has one row per
        contrast (``contrast, estimate, se``) and ``fitted`` is ``result``.

    Examples
    --------
    >>> import pandas as pd
    >>> data = pd.DataFrame({"y": [0, 1, 0, 1, 1, 0, 1, 1], "x": [0, 0, 1, 1, 2, 2, 3, 3]})
    >>> wald_test(fit_logit("y ~ x", data), [{"x": 1.0}]).df
    1.0
    """
    from scipy.stats import chi2

    _check_fit(result)
    if isinstance(contrasts, Mapping | str) or not isinstance(contrasts, Sequence):
        raise InputTypeError(
            "`contrasts` must be a list of {coefficient name: weight} mappings, got "
            f"{type(contrasts).__name__}."
        )
    if not contrasts or not all(isinstance(c, Mapping) and c for c in contrasts):
        raise InvalidValueError(
            "`contrasts` must hold at least one non-empty {coefficient name: weight} mapping."
        )
    index = list(result.params.index)
    used = _check_terms(result, sorted({n for c in contrasts for n in c}), "`contrasts`")
    position = {name: index.index(name) for name in used}
    matrix = np.zeros((len(contrasts), len(index)))
    for row, weights in enumerate(contrasts):  # a few contrasts, not a hot path
        for name, weight in weights.items():
            matrix[row, position[str(name)]] = float(weight)
    params = np.asarray(result.params, dtype=float)
    cov = np.asarray(result.cov_params(), dtype=float)
    estimate = matrix @ params
    se = np.sqrt(np.einsum("ij,jk,ik->i", matrix, cov, matrix))
    statistic = float(np.squeeze(result.wald_test(matrix, scalar=True).statistic))
    df = float(len(contrasts))
    names = [_contrast_name(c) for c in contrasts]
    cov_type = getattr(result, "cov_type", "nonrobust")
    method = "Wald chi-square" + (
        ", cluster-robust covariance" if cov_type == "cluster" else f", {cov_type} covariance"
    )
    return TestResult(
        method=method,
        statistic=statistic,
        df=df,
        p_value=float(chi2.sf(statistic, df)),
        null_hypothesis=null_hypothesis or " and ".join(f"{n} = 0" for n in names),
        table=pl.DataFrame({"contrast": names, "estimate": estimate, "se": se}),
        fitted=result,
    )
