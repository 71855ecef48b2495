"""Small shared statistics used by the bias, depth, geo, leaderboard and IRT modules.

* intervals: Wilson for a proportion, Newcombe's hybrid score interval for a difference
  of two independent proportions, the MOVER-R interval for their ratio, and the
  Agresti-Min interval for a difference of paired proportions;
* multiple-testing corrections (Holm, Benjamini-Hochberg, Bonferroni);
* logistic regression: statsmodels' GLM with item-clustered standard errors, its
  coefficient table in the glossary's columns and a joint Wald test as a
  :class:`~hierlab.results.TestResult`; detection of (quasi-)complete separation by
  linear programming (Konis 2007) and Firth's penalised logistic regression
  (:func:`firth_logit`), which gives finite estimates where maximum likelihood diverges;
* the input rules every results table obeys (:func:`check_results`): one row per
  (model, item), outcomes in [0, 1], no missing values unless ``on_missing=`` says what
  to do with them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from hierlab._tables import as_float_array, as_polars, require_columns
from hierlab.errors import (
    ConvergenceWarning,
    DuplicateRowsError,
    EmptyInputError,
    InputShapeError,
    InputTypeError,
    InvalidValueError,
    MissingValueError,
    format_items,
)
from hierlab.results import Result, Summary, TestResult
from hierlab.tree import Tree, as_tree

__all__ = [
    "FirthFit",
    "adjust_pvalues",
    "check_results",
    "coefficient_table",
    "firth_logit",
    "fit_logit",
    "newcombe_interval",
    "paired_difference_interval",
    "ratio_interval",
    "wald_test",
    "wilson_interval",
]

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


# --------------------------------------------------------------------------- input rules

#: What to do with missing values where a function offers ``on_missing=``.
ON_MISSING = ("raise", "drop", "group")


def check_on_missing(on_missing: Any, allowed: Sequence[str] = ON_MISSING) -> str:
    """Return ``on_missing`` if it is one of ``allowed``, or raise naming the choices.

    Internal helper shared by hierlab's modules (not part of the public API).

    Examples
    --------
    >>> check_on_missing("drop")
    'drop'
    """
    if isinstance(on_missing, str) and on_missing in allowed:
        return on_missing
    raise InvalidValueError(
        f"`on_missing` must be one of {format_items(list(allowed))}, got {on_missing!r}."
    )


def _row_list(frame: pl.DataFrame, mask: pl.Series | np.ndarray, keys: Sequence[str]) -> str:
    """Name a few offending rows: 'row 3 (model 'a', item 'x')'."""
    rows = np.flatnonzero(np.asarray(mask, dtype=bool))
    shown = []
    for r in rows[:5].tolist():
        where = ", ".join(f"{k} {frame[k][r]!r}" for k in keys if k in frame.columns)
        shown.append(f"row {r}" + (f" ({where})" if where else ""))
    more = f" and {len(rows) - 5} more" if len(rows) > 5 else ""
    return "; ".join(shown) + more


def check_unique(frame: pl.DataFrame, keys: Sequence[str], what: str) -> None:
    """Raise :class:`~hierlab.errors.DuplicateRowsError` naming keys found on several rows.

    Internal helper shared by hierlab's modules (not part of the public API).

    Examples
    --------
    >>> check_unique(pl.DataFrame({"model": ["a", "b"], "item": ["x", "x"]}), ["model", "item"], "t")
    """
    keys = list(keys)
    if frame.select(pl.struct(keys).n_unique()).item() == frame.height:  # the quick check
        return
    dup = frame.group_by(keys).len().filter(pl.col("len") > 1)
    if not dup.height:
        return
    pairs = [
        f"{tuple(r[:-1]) if len(r) > 2 else repr(r[0])} ({r[-1]} rows)"
        for r in dup.sort(keys).head(5).iter_rows()
    ]
    more = f" and {dup.height - 5} more" if dup.height > 5 else ""
    label = "(" + ", ".join(keys) + ")" if len(keys) > 1 else keys[0]
    raise DuplicateRowsError(
        f"{what} has {dup.height} {label} pair(s) on more than one row: "
        f"{', '.join(pairs)}{more}. Keep one row per model and item (e.g. "
        f".unique({keys!r}, keep='first')) or aggregate them first."
    )


def _check_abstain(abstain: Any) -> tuple[str, ...]:
    if isinstance(abstain, str):
        return (abstain,)
    if not isinstance(abstain, tuple | list | set | frozenset) or not all(
        isinstance(a, str) for a in abstain
    ):
        raise InputTypeError(
            f"`abstain` must be a list of answer texts that mean 'no answer' (e.g. "
            f"['unknown']), got {abstain!r}."
        )
    return tuple(abstain)


def check_predictions(
    tree: Tree, predictions: Any, keys: list[str], abstain: Any = ()
) -> tuple[Tree, pl.DataFrame]:
    """Return the tree and a validated predictions table: node ids in ``true``/``pred``.

    Internal helper shared by hierlab's modules (not part of the public API): the
    predictions-table twin of :func:`check_results`. The table needs ``true`` and ``pred``
    (node ids or paths) and the ``keys`` columns; it must have rows, one per (first key,
    ``item``) where there is an ``item`` column, and a true node on every row. A null
    ``pred``, or one of the ``abstain`` texts, is a refusal: ``pred`` is then -1.

    Examples
    --------
    >>> t = Tree.from_paths(["A/B"], root="r")
    >>> p = pl.DataFrame({"model": ["m", "m"], "item": [1, 2], "true": ["A/B", "A/B"],
    ...                   "pred": ["A", None]})
    >>> check_predictions(t, p, ["model"])[1]["pred"].to_list()
    [1, -1]
    """
    tree = as_tree(tree)
    markers = _check_abstain(abstain)
    frame = as_polars(predictions, "`predictions`", columns=["true", "pred", *keys, "item"])
    require_columns(
        frame,
        ["true", "pred", *keys],
        "The predictions table",
        "It needs 'true' and 'pred' (node ids or paths) and the model (and group) columns; "
        "pass model=None when there is no model column.",
    )
    if frame.height == 0:
        raise EmptyInputError("The predictions table is empty.")
    if "item" in frame.columns:
        unique_keys = dict.fromkeys(k for k in (*keys[:1], "item") if k in frame.columns)
        check_unique(frame, list(unique_keys), "The predictions table")
    null_true = frame["true"].is_null()
    if null_true.any():
        rows = np.flatnonzero(null_true.to_numpy())
        raise MissingValueError(
            f"{len(rows)} prediction(s) have no true node (row(s) {format_items(rows[:8].tolist())}); "
            "every item needs its truth."
        )
    t = tree.node_ids(frame["true"], what="true")
    refused = frame["pred"].is_null()
    if markers and frame["pred"].dtype == pl.String:
        refused = refused | frame["pred"].is_in(list(markers))
    refused_np = refused.to_numpy()
    p = np.full(frame.height, -1, dtype=np.int64)
    if (~refused_np).any():
        p[~refused_np] = tree.node_ids(frame["pred"].filter(~refused), what="pred")
    return tree, frame.with_columns(true=pl.Series(t), pred=pl.Series(p))


def check_results(
    results: Any,
    *,
    correct: str = "correct",
    model: str | None = "model",
    item: str | None = "item",
    group: str | Sequence[str] | None = None,
    on_missing: str = "raise",
    what: str = "The results table",
) -> pl.DataFrame:
    """Apply the input rules of a results table and return it as polars.

    Every table of outcomes that enters hierlab passes through these rules, so that no
    bad row is counted silently:

    * the columns exist and the table has rows (:class:`~hierlab.errors.EmptyInputError`);
    * ``correct`` holds numbers (:class:`~hierlab.errors.InputTypeError`), none null or
      NaN (:class:`~hierlab.errors.MissingValueError`: score a missing answer 0 or drop
      the row yourself), all in [0, 1] (:class:`~hierlab.errors.InvalidValueError`);
    * one row per (model, item) (:class:`~hierlab.errors.DuplicateRowsError`);
    * the ``group`` columns have no nulls, unless ``on_missing`` says what to do with them.

    Every error names the offending rows (with their model and item) and the fix.

    Parameters
    ----------
    results : polars or pandas DataFrame
        Long results: one row per (model, item) with the outcome.
    correct : str, default "correct"
        The outcome column: 0/1, or a score in [0, 1].
    model : str or None, default "model"
        Column of the AI model (None when the table holds one model without the column).
    item : str or None, default "item"
        Column of the item (None when there is no item column; duplicates are then not
        checked).
    group : str or sequence of str, optional
        Grouping columns whose nulls are governed by ``on_missing``.
    on_missing : {"raise", "drop", "group"}, default "raise"
        Rows whose group is null: raise a :class:`~hierlab.errors.MissingValueError`
        naming them, drop them, or keep them as a group of their own called
        ``"(missing)"``.
    what : str, default "The results table"
        How error messages name the table.

    Returns
    -------
    polars.DataFrame
        The table (``correct`` as Float64; rows with a null group dropped or relabelled
        as asked).

    Examples
    --------
    >>> t = pl.DataFrame({"model": ["a", "a"], "item": ["x", "x"], "correct": [1, 0]})
    >>> check_results(t)
    Traceback (most recent call last):
    ...
    hierlab.errors.DuplicateRowsError: The results table has 1 (model, item) pair(s) on more than one row: ('a', 'x') (2 rows). Keep one row per model and item (e.g. .unique(['model', 'item'], keep='first')) or aggregate them first.
    """
    frame = as_polars(results, "`results`")
    for value, name in ((correct, "correct"), (what, "what")):
        if not isinstance(value, str):
            raise InputTypeError(f"`{name}` must be a string, got {value!r}.")
    for value, name in ((model, "model"), (item, "item")):
        if value is not None and not isinstance(value, str):
            raise InputTypeError(f"`{name}` must be a column name or None, got {value!r}.")
    groups = [group] if isinstance(group, str) else list(group or [])
    if not all(isinstance(g, str) for g in groups):
        raise InputTypeError(f"`group` must be a column name or a list of them, got {group!r}.")
    on_missing = check_on_missing(on_missing)
    keys = [k for k in (model, item) if k is not None]
    require_columns(frame, [*keys, correct, *groups], what)
    if frame.height == 0:
        raise EmptyInputError(f"{what} is empty: it has no rows.")
    y = frame[correct]
    if not (y.dtype.is_numeric() or y.dtype == pl.Boolean or y.dtype == pl.Null):
        raise InputTypeError(
            f"{what}'s {correct!r} column must hold numbers (0/1 or a score in [0, 1]), got "
            f"{y.dtype}."
        )
    y = y.cast(pl.Float64)
    missing = y.is_null() | y.is_nan().fill_null(False)
    if missing.any():
        raise MissingValueError(
            f"{what} has {int(missing.sum())} row(s) whose {correct!r} is null or NaN: "
            f"{_row_list(frame, missing, keys)}. Score a missing answer as wrong (0) or drop "
            "those rows before the analysis."
        )
    outside = (y < 0) | (y > 1)
    if outside.any():
        values = format_items(sorted(set(y.filter(outside).to_list())), 5)
        raise InvalidValueError(
            f"{what}'s {correct!r} must lie in [0, 1]; {int(outside.sum())} row(s) do not "
            f"(values {values}): {_row_list(frame, outside, keys)}."
        )
    frame = frame.with_columns(y.alias(correct))
    if item is not None:
        check_unique(frame, keys, what)
    for g in groups:
        null = frame[g].is_null()
        if frame[g].dtype.is_float():
            null = null | frame[g].is_nan().fill_null(False)
        if not null.any():
            continue
        if on_missing == "raise":
            raise MissingValueError(
                f"{what} has {int(null.sum())} row(s) whose {g!r} is null: "
                f"{_row_list(frame, null, keys)}. Fill them in, or pass on_missing='drop' "
                "to leave them out or on_missing='group' to keep them as a group '(missing)'."
            )
        if on_missing == "drop":
            frame = frame.filter(~null)
        else:
            frame = frame.with_columns(
                pl.when(null)
                .then(pl.lit("(missing)"))
                .otherwise(pl.col(g).cast(pl.String))
                .alias(g)
            )
    if frame.height == 0:
        raise EmptyInputError(f"{what} has no rows left after dropping rows with a null group.")
    return frame


# --------------------------------------------------------------------------- intervals


def z_value(confidence: float) -> float:
    """Return the two-sided normal quantile of a confidence level (1.96 for 0.95).

    Internal helper shared by hierlab's modules (not part of the public API).

    Examples
    --------
    >>> round(z_value(0.95), 3)
    1.96
    """
    from scipy.stats import norm

    return float(norm.ppf(0.5 + check_confidence(confidence) / 2))


def newcombe_interval(
    successes_a: Any, n_a: Any, successes_b: Any, n_b: Any, *, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Compute Newcombe's hybrid score interval for a difference of independent proportions.

    The interval for ``p_a - p_b`` combines the two Wilson intervals (Newcombe 1998,
    method 10): it stays inside [-1, 1], is defined when a proportion is 0 or 1, and
    covers close to its nominal level for small samples, unlike the Wald interval.

    Parameters
    ----------
    successes_a : array-like of float
        Successes of the first proportion.
    n_a : array-like of float
        Trials of the first proportion.
    successes_b : array-like of float
        Successes of the second proportion.
    n_b : array-like of float
        Trials of the second proportion.
    confidence : float, default 0.95
        Confidence level.

    Returns
    -------
    tuple of numpy.ndarray
        ``(ci_low, ci_high)`` of ``p_a - p_b`` (NaN where a sample is empty).

    Examples
    --------
    >>> lo, hi = newcombe_interval([56], [70], [48], [80])  # Newcombe (1998), example (a)
    >>> round(float(lo[0]), 4), round(float(hi[0]), 4)
    (0.0524, 0.3339)
    """
    k1, n1 = as_float_array(successes_a, "`successes_a`"), as_float_array(n_a, "`n_a`")
    k2, n2 = as_float_array(successes_b, "`successes_b`"), as_float_array(n_b, "`n_b`")
    l1, u1 = wilson_interval(k1, n1, confidence=confidence)
    l2, u2 = wilson_interval(k2, n2, confidence=confidence)
    with np.errstate(invalid="ignore", divide="ignore"):
        p1, p2 = k1 / n1, k2 / n2
        d = p1 - p2
        lo = d - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
        hi = d + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return lo, hi


def ratio_interval(
    successes_a: Any, n_a: Any, successes_b: Any, n_b: Any, *, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Compute the MOVER-R interval for a ratio of independent proportions ``p_a / p_b``.

    The method of variance estimates recovery (Donner and Zou 2012) built on Wilson
    intervals: defined when a count is 0 (the upper end is infinite when ``p_b`` may be
    0, because a ratio to a rate that can be 0 is unbounded).

    Parameters
    ----------
    successes_a : array-like of float
        Successes of the numerator proportion.
    n_a : array-like of float
        Trials of the numerator proportion.
    successes_b : array-like of float
        Successes of the denominator proportion.
    n_b : array-like of float
        Trials of the denominator proportion.
    confidence : float, default 0.95
        Confidence level.

    Returns
    -------
    tuple of numpy.ndarray
        ``(ci_low, ci_high)`` of ``p_a / p_b`` (``ci_high`` is inf when ``successes_b``
        is 0).

    Examples
    --------
    >>> lo, hi = ratio_interval([60], [100], [30], [100])
    >>> round(float(lo[0]), 2), round(float(hi[0]), 2)
    (1.44, 2.82)
    """
    k1, n1 = as_float_array(successes_a, "`successes_a`"), as_float_array(n_a, "`n_a`")
    k2, n2 = as_float_array(successes_b, "`successes_b`"), as_float_array(n_b, "`n_b`")
    l1, u1 = wilson_interval(k1, n1, confidence=confidence)
    l2, u2 = wilson_interval(k2, n2, confidence=confidence)
    with np.errstate(invalid="ignore", divide="ignore"):
        p1, p2 = k1 / n1, k2 / n2
        pp = p1 * p2
        lo = (pp - np.sqrt(np.maximum(pp**2 - l1 * u2 * (2 * p1 - l1) * (2 * p2 - u2), 0))) / (
            u2 * (2 * p2 - u2)
        )
        den = l2 * (2 * p2 - l2)
        hi = np.where(
            den > 0,
            (pp + np.sqrt(np.maximum(pp**2 - u1 * l2 * (2 * p1 - u1) * (2 * p2 - l2), 0)))
            / np.where(den > 0, den, 1.0),
            np.inf,
        )
        lo = np.where(k1 == 0, 0.0, np.maximum(lo, 0.0))
    bad = (n1 <= 0) | (n2 <= 0)
    return np.where(bad, np.nan, lo), np.where(bad, np.nan, hi)


def paired_difference_interval(
    only_a: Any, only_b: Any, n: Any, *, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Compute the Agresti-Min interval for a difference of paired proportions.

    For two models answering the same ``n`` items, ``only_a`` items are right for model a
    alone and ``only_b`` for model b alone; the interval is for ``p_a - p_b``, a Wald
    interval after adding 1/2 to each cell of the 2 x 2 table (Agresti and Min 2005),
    which covers close to its nominal level even with few discordant items.

    Parameters
    ----------
    only_a : array-like of float
        Items right for model a and wrong for model b.
    only_b : array-like of float
        Items right for model b and wrong for model a.
    n : array-like of float
        Items both models answered.
    confidence : float, default 0.95
        Confidence level.

    Returns
    -------
    tuple of numpy.ndarray
        ``(ci_low, ci_high)`` of ``p_a - p_b``, clipped to [-1, 1].

    Examples
    --------
    >>> lo, hi = paired_difference_interval([15], [5], [100])
    >>> round(float(lo[0]), 3), round(float(hi[0]), 3)
    (0.012, 0.184)
    """
    b = as_float_array(only_a, "`only_a`")
    c = as_float_array(only_b, "`only_b`")
    n = as_float_array(n, "`n`")
    z = z_value(confidence)
    with np.errstate(invalid="ignore", divide="ignore"):
        big = n + 2.0
        d = (b - c) / big
        var = ((b + 0.5) / big + (c + 0.5) / big - d**2) / big
        half = z * np.sqrt(np.maximum(var, 0.0))
        lo, hi = np.clip(d - half, -1, 1), np.clip(d + half, -1, 1)
    return np.where(n > 0, lo, np.nan), np.where(n > 0, hi, np.nan)


# --------------------------------------------------------------------------- separation


def aggregate_binomial(
    design: np.ndarray, y: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Collapse identical design rows into binomial cells: (rows, successes, trials).

    Internal helper shared by hierlab's modules (not part of the public API). ``y`` may
    be a score in [0, 1] (then "successes" are sums of scores).

    Examples
    --------
    >>> x, k, m = aggregate_binomial(np.array([[1.0, 0], [1, 0], [1, 1]]), np.array([1.0, 0, 1]))
    >>> k.tolist(), m.tolist()
    ([1.0, 1.0], [2.0, 1.0])
    """
    rows, inverse = np.unique(design, axis=0, return_inverse=True)
    inverse = np.ravel(inverse)
    k = np.bincount(inverse, weights=y, minlength=len(rows))
    m = np.bincount(inverse, minlength=len(rows)).astype(float)
    return rows, k, m


def separated_cells(design: np.ndarray, successes: np.ndarray, trials: np.ndarray) -> np.ndarray:
    """Find the cells behind (quasi-)complete separation by linear programming (Konis 2007).

    Maximum likelihood estimates are finite exactly when no direction ``b != 0`` has
    ``x_i b >= 0`` for every success, ``x_i b <= 0`` for every failure. The linear
    programme maximises the total margin in the box ``|b| <= 1``; the cells with a
    non-zero margin at the optimum are the separated ones (all their outcomes are equal
    and some coefficient runs off to infinity to fit them).

    Internal helper shared by hierlab's modules (not part of the public API).

    Parameters
    ----------
    design : numpy.ndarray
        Design rows of the cells, shape (cells, coefficients).
    successes : numpy.ndarray
        Successes per cell.
    trials : numpy.ndarray
        Trials per cell.

    Returns
    -------
    numpy.ndarray
        Boolean mask of the separated cells (all False when the estimates are finite).

    Examples
    --------
    >>> x = np.array([[1.0, 0.0], [1.0, 1.0]])
    >>> separated_cells(x, np.array([3.0, 5.0]), np.array([6.0, 5.0])).tolist()
    [False, True]
    """
    from scipy.optimize import linprog

    x = np.asarray(design, dtype=float)
    k, m = np.asarray(successes, dtype=float), np.asarray(trials, dtype=float)
    all_one = np.isclose(k, m) & (m > 0)
    all_zero = np.isclose(k, 0) & (m > 0)
    mixed = ~(all_one | all_zero) & (m > 0)
    sign = np.where(all_one, 1.0, -1.0)
    signed = x * sign[:, None]
    pure = all_one | all_zero
    if not pure.any():
        return np.zeros(len(x), dtype=bool)
    scale = max(1.0, float(np.abs(x).max()))
    res = linprog(
        c=-signed[pure].sum(axis=0) / scale,
        A_ub=-signed[pure] / scale,
        b_ub=np.zeros(int(pure.sum())),
        A_eq=x[mixed] / scale if mixed.any() else None,
        b_eq=np.zeros(int(mixed.sum())) if mixed.any() else None,
        bounds=[(-1.0, 1.0)] * x.shape[1],
        method="highs",
    )
    if res.status != 0 or -res.fun <= 1e-7:
        return np.zeros(len(x), dtype=bool)
    margin = signed @ res.x
    return pure & (margin > 1e-7 * scale)


# --------------------------------------------------------------------------- Firth


def _penalised(
    x: np.ndarray, k: np.ndarray, m: np.ndarray, beta: np.ndarray
) -> tuple[float, np.ndarray, np.ndarray]:
    """Penalised log-likelihood, fitted probabilities and Fisher information at ``beta``."""
    from scipy.special import expit, log_expit

    eta = x @ beta
    p = expit(eta)
    loglik = float(np.sum(k * log_expit(eta) + (m - k) * log_expit(-eta)))
    info = x.T @ ((m * p * (1 - p))[:, None] * x)
    sign, logdet = np.linalg.slogdet(info)
    return (loglik + 0.5 * logdet if sign > 0 else -np.inf), p, info


def firth_core(
    x: np.ndarray,
    k: np.ndarray,
    m: np.ndarray,
    *,
    free: np.ndarray | None = None,
    start: np.ndarray | None = None,
    max_iter: int = 200,
    tol: float = 1e-7,
) -> tuple[np.ndarray, float, np.ndarray, bool, int]:
    """Maximise Firth's penalised likelihood over the ``free`` coefficients (others held).

    Newton steps with the modified score ``X'(k - m p + h (1/2 - p))`` and the Fisher
    information of the free coefficients, at most 5 per step, halved until the
    penalised likelihood rises (as R's logistf). Binomial cells: ``k`` successes of
    ``m`` trials per design row.

    Internal helper shared by hierlab's modules (not part of the public API).

    Returns
    -------
    tuple
        ``(beta, penalised log-likelihood, information, converged, iterations)``.

    Examples
    --------
    >>> x = np.array([[1.0, 0.0], [1.0, 1.0]])
    >>> beta = firth_core(x, np.array([0.0, 3.0]), np.array([3.0, 3.0]))[0]
    >>> round(float(beta[1]), 4)  # log((3.5 * 3.5) / (0.5 * 0.5)): 1/2 added to each cell
    3.8918
    """
    p_all = x.shape[1]
    free = np.ones(p_all, dtype=bool) if free is None else np.asarray(free, dtype=bool)
    beta = np.zeros(p_all) if start is None else np.array(start, dtype=float)
    current, p, info = _penalised(x, k, m, beta)
    converged = False
    iterations = 0
    for iterations in range(1, max_iter + 1):  # Newton iterations (a few dozen at most)  # noqa: B007
        try:
            inv = np.linalg.inv(info)
        except np.linalg.LinAlgError:
            inv = np.linalg.pinv(info)
        w = m * p * (1 - p)
        h = w * np.einsum("ij,jk,ik->i", x, inv, x)
        score = x.T @ (k - m * p + h * (0.5 - p))
        sf = score[free]
        sub = info[np.ix_(free, free)]
        try:
            step = np.linalg.solve(sub, sf)
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(sub, sf, rcond=None)[0]
        biggest = float(np.abs(step).max()) if step.size else 0.0
        if biggest > 5:
            step *= 5 / biggest
        for _ in range(40):  # step halving
            trial = beta.copy()
            trial[free] += step
            value, p_new, info_new = _penalised(x, k, m, trial)
            if value >= current - 1e-12 * max(1.0, abs(current)):
                break
            step = step / 2
        beta, current, p, info = trial, value, p_new, info_new
        # Fisher scoring ignores the penalty's curvature and can circle the optimum at the
        # 1e-8 scale: converge on the step (logistf's xconv) or the score (gconv)
        if not step.size or float(np.abs(step).max()) < tol or float(np.abs(sf).max()) < tol:
            converged = True
            break
    return beta, current, info, converged, iterations


@dataclass(frozen=True, eq=False)
class FirthFit(Result):
    """A logistic regression fitted by Firth's penalised likelihood.

    Attributes
    ----------
    table : polars.DataFrame
        ``term, estimate, se, statistic, p_value, ci_low, ci_high``: estimates,
        standard errors from the penalised information, the penalised likelihood-ratio
        chi-square (1 df) of each coefficient with its p-value, and profile penalised
        likelihood intervals (as R's logistf) or Wald intervals.
    names : tuple of str
        The coefficients, in the order of ``params``.
    params : numpy.ndarray
        The estimates.
    cov : numpy.ndarray
        Their covariance (the inverse Fisher information at the estimates).
    loglik : float
        The penalised log-likelihood at the estimates.
    n : int
        Observations (rows before collapsing identical ones).
    confidence : float
        Confidence level of the intervals.
    interval : str
        ``"profile penalised likelihood"`` or ``"wald"``.
    converged : bool
        Whether Newton's method met its tolerance.
    design : numpy.ndarray
        The distinct design rows (binomial cells).
    successes : numpy.ndarray
        Successes per cell.
    trials : numpy.ndarray
        Trials per cell.

    Examples
    --------
    >>> data = pl.DataFrame({"x": [0, 0, 0, 1, 1, 1], "y": [0, 0, 0, 1, 1, 1]})
    >>> fit = firth_logit("y ~ x", data)
    >>> round(fit.table["estimate"][1], 4)
    3.8918
    """

    table: pl.DataFrame
    names: tuple[str, ...]
    params: np.ndarray
    cov: np.ndarray
    loglik: float
    n: int
    confidence: float
    interval: str
    converged: bool
    design: np.ndarray
    successes: np.ndarray
    trials: np.ndarray

    def summary(self) -> Summary:
        """Summarise the fit: the coefficient table.

        Returns
        -------
        Summary
        """
        return Summary(
            "Firth penalised logistic regression",
            facts=[
                ("observations", self.n),
                ("penalised log-likelihood", self.loglik),
                ("interval", self.interval),
                ("confidence", self.confidence),
                ("converged", self.converged),
            ],
            tables={"coefficients": self.table},
        )

    def to_polars(self) -> pl.DataFrame:
        """Return the coefficient table.

        Returns
        -------
        polars.DataFrame
        """
        return self.table

    def test(self, names: Sequence[str], *, null_hypothesis: str = "") -> TestResult:
        """Test that the named coefficients are all 0 (penalised likelihood ratio).

        The restricted fit keeps the full model's penalty (as R's logistf), and
        ``2 (l*_full - l*_restricted)`` is referred to chi-square with one degree of
        freedom per coefficient (Heinze and Schemper 2002).

        Parameters
        ----------
        names : sequence of str
            The coefficients set to 0 under the null hypothesis.
        null_hypothesis : str, optional
            The null hypothesis in words (default: the coefficients = 0).

        Returns
        -------
        TestResult

        Examples
        --------
        >>> data = pl.DataFrame({"x": [0, 0, 0, 1, 1, 1], "y": [0, 0, 0, 1, 1, 1]})
        >>> round(firth_logit("y ~ x", data).test(["x"]).statistic, 3)
        5.062
        """
        from scipy.stats import chi2

        if isinstance(names, str) or not isinstance(names, Sequence):
            raise InputTypeError(f"`names` must be a list of coefficient names, got {names!r}.")
        unknown = [n for n in names if n not in self.names]
        if unknown or not names:
            raise InvalidValueError(
                f"`names` must list coefficients of the fit ({format_items(self.names)}); "
                f"got {format_items(list(names)) or 'none'}."
            )
        statistic = _plr(self, [self.names.index(n) for n in names])
        df = float(len(names))
        return TestResult(
            method="Penalised likelihood-ratio chi-square (Firth logistic regression)",
            statistic=statistic,
            df=df,
            p_value=float(chi2.sf(statistic, df)),
            null_hypothesis=null_hypothesis or " and ".join(f"{n} = 0" for n in names),
            fitted=self,
        )


def _plr(fit: FirthFit, indices: Sequence[int], values: Sequence[float] | None = None) -> float:
    """``2 (l*_full - l*_restricted)`` with the given coefficients fixed (at 0 by default)."""
    free = np.ones(len(fit.params), dtype=bool)
    free[list(indices)] = False
    start = fit.params.copy()
    start[list(indices)] = 0.0 if values is None else np.asarray(values, dtype=float)
    restricted = firth_core(fit.design, fit.successes, fit.trials, free=free, start=start)[1]
    return float(max(2 * (fit.loglik - restricted), 0.0))


def _profile_bounds(fit: FirthFit, j: int, target: float) -> tuple[float, float]:
    """Profile penalised likelihood interval of coefficient ``j`` (bracket, then Brent)."""
    from scipy.optimize import brentq

    est = float(fit.params[j])
    se = float(np.sqrt(max(fit.cov[j, j], 1e-12)))

    def excess(value: float) -> float:
        return _plr(fit, [j], [value]) - target

    bounds = []
    for direction in (-1.0, 1.0):
        step = max(se, 0.1)
        inner, outer = est, est + direction * step
        found = False
        for _ in range(60):  # expand until the profile drops below the cut-off
            if excess(outer) > 0:
                found = True
                break
            inner, outer = outer, outer + direction * step
            step *= 1.6
        bounds.append(brentq(excess, inner, outer, xtol=1e-8) if found else direction * np.inf)
    return bounds[0], bounds[1]


def firth_logit(
    formula: str,
    data: Any,
    *,
    confidence: float = 0.95,
    interval: str = "profile",
) -> FirthFit:
    """Fit a logistic regression by Firth's penalised likelihood (finite under separation).

    Firth's penalty (half the log-determinant of the Fisher information, a Jeffreys
    prior) removes the first-order bias of maximum likelihood and gives finite
    estimates even when a group's outcomes are all 0 or all 1, where maximum likelihood
    runs off to infinity and its Wald tests report absurd p-values. Tests are penalised
    likelihood ratios and intervals profile the penalised likelihood, as R's logistf
    (Heinze and Schemper 2002). Observations are treated as independent.

    Parameters
    ----------
    formula : str
        A patsy formula, e.g. ``"y ~ C(group)"``; the outcome is 0/1 (or a score in
        [0, 1], treated as a fractional response).
    data : pandas or polars DataFrame
        The formula's columns.
    confidence : float, default 0.95
        Confidence level of the intervals.
    interval : {"profile", "wald"}, default "profile"
        Profile penalised likelihood intervals (exact to the chi-square approximation;
        one small optimisation per end) or Wald intervals from the penalised information.

    Returns
    -------
    FirthFit

    Examples
    --------
    >>> data = pl.DataFrame({"g": ["a"] * 4 + ["b"] * 4, "y": [1, 1, 1, 1, 0, 1, 0, 0]})
    >>> fit = firth_logit("y ~ C(g)", data)
    >>> bool(np.isfinite(fit.table["estimate"].to_numpy()).all())
    True
    """
    import pandas as pd
    import patsy
    from scipy.stats import chi2

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
    confidence = check_confidence(confidence)
    if interval not in ("profile", "wald"):
        raise InvalidValueError(f"`interval` must be 'profile' or 'wald', got {interval!r}.")
    y, x = patsy.dmatrices(formula, data, return_type="dataframe")
    values = y.iloc[:, 0].to_numpy(dtype=float)
    if values.size == 0:
        raise EmptyInputError("`data` has no complete rows for the formula.")
    if ((values < 0) | (values > 1)).any():
        raise InvalidValueError("The outcome must lie in [0, 1] for a logistic regression.")
    return fit_firth_cells(
        x.to_numpy(dtype=float),
        values,
        names=list(x.columns),
        confidence=confidence,
        interval=interval,
        chi2_cut=float(chi2.ppf(confidence, 1)),
    )


def fit_firth_cells(
    design: np.ndarray,
    y: np.ndarray,
    *,
    names: Sequence[str],
    confidence: float = 0.95,
    interval: str = "wald",
    chi2_cut: float | None = None,
    tests: bool = True,
    profile: Sequence[int] | None = None,
    trials: np.ndarray | None = None,
) -> FirthFit:
    """Fit Firth's logistic regression to a design matrix and outcomes (no formula).

    Internal helper shared by hierlab's modules (not part of the public API).

    Examples
    --------
    >>> fit = fit_firth_cells(np.array([[1.0, 0], [1, 1]]), np.array([0.0, 1.0]), names=["a", "b"])
    >>> fit.names
    ('a', 'b')
    """
    import warnings

    from scipy.stats import chi2, norm

    if trials is None:
        rows, k, m = aggregate_binomial(np.asarray(design, dtype=float), np.asarray(y, dtype=float))
    else:
        rows, k, m = (np.asarray(a, dtype=float) for a in (design, y, trials))
    if np.linalg.matrix_rank(rows) < rows.shape[1]:
        raise InvalidValueError(
            "The design is rank-deficient (some coefficients cannot be told apart); "
            "merge or drop the groups that have no data."
        )
    beta, loglik, info, converged, _ = firth_core(rows, k, m)
    if not converged:
        warnings.warn(
            "Firth's penalised likelihood did not converge; estimates may be inaccurate.",
            ConvergenceWarning,
            stacklevel=3,
        )
    cov = np.linalg.inv(info)
    se = np.sqrt(np.maximum(np.diag(cov), 0.0))
    blank = np.full(len(beta), np.nan)
    fit = FirthFit(
        table=pl.DataFrame(),
        names=tuple(str(n) for n in names),
        params=beta,
        cov=cov,
        loglik=loglik,
        n=int(m.sum()),
        confidence=confidence,
        interval="wald",
        converged=converged,
        design=rows,
        successes=k,
        trials=m,
    )
    which = range(len(beta)) if profile is None else list(profile)
    stat = blank.copy()
    if tests:
        for j in which:  # one restricted fit per coefficient
            stat[j] = _plr(fit, [j])
    pvals = chi2.sf(stat, 1)
    z = float(norm.ppf(0.5 + confidence / 2))
    lo, hi = beta - z * se, beta + z * se
    label = "wald"
    if interval == "profile":
        cut = chi2.ppf(confidence, 1) if chi2_cut is None else chi2_cut
        for j in which:  # two root searches per coefficient
            lo[j], hi[j] = _profile_bounds(fit, j, cut)
        label = "profile penalised likelihood"
    table = pl.DataFrame(
        {
            "term": list(fit.names),
            "estimate": beta,
            "se": se,
            "statistic": stat,
            "p_value": pvals,
            "ci_low": lo,
            "ci_high": hi,
        },
        schema={
            "term": pl.String,
            "estimate": pl.Float64,
            "se": pl.Float64,
            "statistic": pl.Float64,
            "p_value": pl.Float64,
            "ci_low": pl.Float64,
            "ci_high": pl.Float64,
        },
    )
    return FirthFit(
        table=table,
        names=fit.names,
        params=beta,
        cov=cov,
        loglik=loglik,
        n=int(m.sum()),
        confidence=confidence,
        interval=label,
        converged=converged,
        design=rows,
        successes=k,
        trials=m,
    )


# --------------------------------------------------------------------------- permutation

#: Up to this many groups the permutation test uses the full robust score quadratic form.
QUADRATIC_GROUPS = 20


def item_permutation_test(
    y: np.ndarray,
    item: np.ndarray,
    model: np.ndarray,
    group: np.ndarray,
    n_groups: int,
    *,
    n_perm: int = 1999,
    seed: int | np.random.Generator = 0,
) -> tuple[float, float, np.ndarray, np.ndarray]:
    """Cluster-robust score test of item-level groups, with an item-permutation p-value.

    The null model has one rate per model (its mean: the maximum likelihood fit of
    ``y ~ C(model)``), so it never separates. Each item's score contribution for the
    group effects, adjusted for the estimated model rates, gives a score vector ``U``
    and its cluster-robust covariance ``V`` (items are the clusters); ``U' V^- U`` is
    the robust score (Rao) statistic. Permuting the items' group labels (each item keeps
    all its answers) gives its exact null distribution under exchangeable items, with no
    large-sample approximation. Group ``g`` against the rest uses ``U_g^2 / V_gg``.

    With more than ``QUADRATIC_GROUPS`` groups the statistic is the sum of the per-group
    statistics (cheaper, and as valid under permutation).

    Internal helper shared by hierlab's modules (not part of the public API).

    Parameters
    ----------
    y : numpy.ndarray
        Outcomes in [0, 1], one per answer.
    item : numpy.ndarray
        Item codes 0..n_items-1 per answer.
    model : numpy.ndarray
        Model codes 0..n_models-1 per answer.
    group : numpy.ndarray
        Group code 0..n_groups-1 of each item (indexed by item code).
    n_groups : int
        Number of groups.
    n_perm : int, default 1999
        Permutations.
    seed : int or numpy.random.Generator, default 0
        Randomness of the permutations.

    Returns
    -------
    tuple
        ``(statistic, p_value, per_group_statistic, per_group_p_value)``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> item = np.repeat(np.arange(40), 3); model = np.tile(np.arange(3), 40)
    >>> y = (rng.random(120) < 0.6).astype(float)
    >>> stat, p, _, _ = item_permutation_test(y, item, model, np.arange(40) % 2, 2, n_perm=199)
    >>> 0 < p <= 1
    True
    """
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    n_items = int(item.max()) + 1
    n_models = int(model.max()) + 1
    sums = np.bincount(model, weights=y, minlength=n_models)
    counts = np.bincount(model, minlength=n_models).astype(float)
    resid = y - (sums / counts)[model]
    r = np.zeros((n_items, n_models))
    present = np.zeros((n_items, n_models))
    np.add.at(r, (item, model), resid)
    np.add.at(present, (item, model), 1.0)
    total = r.sum(axis=1)  # R_i
    cross = r.T @ r  # S (models x models)
    n_per_model = present.sum(axis=0)
    k = n_groups
    labels = np.concatenate([group[None, :], rng.permuted(np.tile(group, (n_perm, 1)), axis=1)])
    stats_all = np.empty(len(labels))
    stats_one = np.empty((len(labels), k))
    chunk = max(1, int(2e7 // max(1, k * n_items)))
    eye = np.eye(k)
    for start in range(0, len(labels), chunk):  # chunks of permutations, vectorised inside
        lab = labels[start : start + chunk]
        onehot = eye[lab].transpose(0, 2, 1)  # (c, k, items)
        u = onehot @ total  # (c, k)
        d = onehot @ (total**2)  # (c, k)
        b = (onehot @ present) / np.where(n_per_model > 0, n_per_model, 1.0)  # (c, k, m)
        q = onehot @ (total[:, None] * r)  # (c, k, m)
        diag = d - 2 * np.einsum("ckm,ckm->ck", q, b) + np.einsum("ckm,mn,ckn->ck", b, cross, b)
        with np.errstate(invalid="ignore", divide="ignore"):
            one = np.where(diag > 1e-12, u**2 / diag, 0.0)
        stats_one[start : start + len(lab)] = one
        if k > QUADRATIC_GROUPS:  # many groups: the sum of the per-group statistics
            stats_all[start : start + len(lab)] = one.sum(axis=1)
            continue
        v = (
            d[:, :, None] * eye[None]
            - q @ b.transpose(0, 2, 1)
            - b @ q.transpose(0, 2, 1)
            + b @ cross @ b.transpose(0, 2, 1)
        )
        sub_u, sub_v = u[:, 1:], v[:, 1:, 1:]
        if k == 2:
            stats_all[start : start + len(lab)] = one[:, 1]
        else:  # V is positive definite unless a group's residuals are all 0: a tiny ridge
            ridge = 1e-10 * np.maximum(np.einsum("cii->c", sub_v), 1e-12)
            sol = np.linalg.solve(
                sub_v + ridge[:, None, None] * eye[1:, 1:][None], sub_u[..., None]
            )
            stats_all[start : start + len(lab)] = np.einsum("ci,ci->c", sub_u, sol[..., 0])
    observed, null = stats_all[0], stats_all[1:]
    tol = 1e-9 * max(1.0, abs(observed))
    p = (1 + np.sum(null >= observed - tol)) / (n_perm + 1)
    one_obs, one_null = stats_one[0], stats_one[1:]
    p_one = (1 + np.sum(one_null >= one_obs[None, :] - 1e-9 * np.maximum(1, one_obs), axis=0)) / (
        n_perm + 1
    )
    return float(observed), float(p), one_obs, p_one
