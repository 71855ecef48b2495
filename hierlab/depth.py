"""Depth degradation: how accuracy falls as the required answer gets more specific.

Input is a predictions table ``model, item, true, pred`` (node ids or paths of a Tree);
every function takes the tree first. Each analysis returns one tidy polars table, ready
for :mod:`hierlab.plot`:

* :func:`depth_table` — one row per prediction and depth of its true path, with
  ``correct`` (the prediction's ancestor at that depth is right: path accuracy),
  ``label_correct`` (its label is right whatever the path above: the predicted country
  is right even in the wrong region), ``answered`` (the answer reaches this depth) and
  ``conditional`` (right given every depth above was right); the input of the
  regressions;
* :func:`accuracy_by_depth` — per depth: path accuracy, label accuracy, conditional
  accuracy (the headline of depth degradation), coverage and selective accuracy, each
  with Wilson intervals, and chance-normalised accuracy;
* :func:`survival` — survival ``S_d`` (every depth down to d right) and conditional
  accuracy ``c_d = S_d / S_(d-1)``;
* :func:`deepest_correct` — distribution of the deepest right depth;
* :func:`error_lca_depths` — depths at which wrong predictions leave the true path;
* :func:`depth_regression` — logistic regression of correctness on depth (per model, with
  item-clustered standard errors; Firth's penalised likelihood under separation) and
  :func:`compare_slopes` for two models.

**Abstention** is its own outcome: a refusal (a null ``pred``, or a value listed in
``abstain=`` such as ``"unknown"``) abstains at every depth, and an answer that stops at a
coarser depth (``Europe`` when the truth is a city) abstains below it. Abstentions count
as not right in path and label accuracy, are left out of selective accuracy, and show in
``coverage`` (the share of answers that reach the depth).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from hierlab._tables import as_polars, require_columns
from hierlab.errors import (
    EmptyInputError,
    InputTypeError,
    InvalidValueError,
    MissingValueError,
    SeparationWarning,
    format_items,
)
from hierlab.results import Result, Summary, TestResult
from hierlab.stats import (
    aggregate_binomial,
    check_confidence,
    check_predictions,
    check_results,
    check_unique,
    coefficient_table,
    fit_firth_cells,
    fit_logit,
    separated_cells,
    wald_test,
    wilson_interval,
)
from hierlab.tree import Tree

__all__ = [
    "DepthRegression",
    "accuracy_by_depth",
    "compare_slopes",
    "deepest_correct",
    "depth_regression",
    "depth_table",
    "error_lca_depths",
    "survival",
]


def _keys(model: str | None, group: str | list[str] | None) -> list[str]:
    """Return the grouping columns: the model column, then any extra ``group`` columns."""
    extra = [] if group is None else [group] if isinstance(group, str) else list(group)
    if model is not None and not isinstance(model, str):
        raise InputTypeError(f"`model` must be a column name or None, got {model!r}.")
    if not all(isinstance(g, str) for g in extra):
        raise InputTypeError(f"`group` must be a column name or a list of them, got {group!r}.")
    return ([model] if model is not None else []) + [g for g in extra if g != model]


def depth_table(
    tree: Tree,
    predictions: Any,
    *,
    model: str | None = "model",
    group: str | list[str] | None = None,
    abstain: Any = (),
) -> pl.DataFrame:
    """Expand predictions to one row per prediction and depth 1..depth(true) of its truth.

    Parameters
    ----------
    tree : Tree
        The hierarchy the predictions live in.
    predictions : polars or pandas DataFrame
        ``model, item, true, pred`` (``true``/``pred`` are node ids or paths).
    model : str or None, default "model"
        Column of the AI model (None when the table holds one model and no such column).
    group : str or list of str, optional
        Extra grouping columns to carry along (e.g. ``"region"``).
    abstain : sequence of str, optional
        ``pred`` values that mean "no answer" (e.g. ``["unknown"]``); a null ``pred`` is
        always a refusal.

    Returns
    -------
    polars.DataFrame
        The model, group and ``item`` columns (when present), ``depth``, ``correct`` (1/0:
        the path down to this depth is right), ``label_correct`` (1/0: the label at this
        depth is right, whatever the path above), ``answered`` (1/0: the answer reaches
        this depth), ``conditional`` (1/0, or null when a depth above was already wrong),
        ``chance``
        (probability that a uniform random walk down the tree is right at this depth given
        the depth above: 1 / number of siblings) and ``path_chance`` (that it is right at
        every depth down to this one).

    Examples
    --------
    >>> t = Tree.from_paths(["A/a1", "A/a2", "B/b1"], root="r")
    >>> preds = pl.DataFrame({"model": ["m", "m"], "true": ["A/a1", "B/b1"], "pred": ["A/a2", "B/b1"]})
    >>> depth_table(t, preds)["correct"].to_list()
    [1, 0, 1, 1]
    """
    keys = _keys(model, group)
    tree, frame = check_predictions(tree, predictions, keys, abstain)
    t = frame["true"].to_numpy()
    p = frame["pred"].to_numpy()
    max_d = int(tree.depth[t].max())
    if max_d < 1:
        raise InvalidValueError(
            "Every true node is the root: there is no depth to score; give the items' nodes."
        )
    depths = np.arange(1, max_d + 1)
    at_t = tree.ancestor_at(t[:, None], depths[None, :])
    refused = p < 0
    at_p = np.where(
        refused[:, None], -1, tree.ancestor_at(np.maximum(p, 0)[:, None], depths[None, :])
    )
    valid = at_t >= 0
    right = (at_t == at_p) & valid
    answered = at_p >= 0
    labels = tree.label
    label_right = answered & valid & (labels[np.maximum(at_t, 0)] == labels[np.maximum(at_p, 0)])
    above = np.logical_and.accumulate(np.where(valid, right, True), axis=1)
    prior_ok = np.concatenate([np.ones((len(t), 1), dtype=bool), above[:, :-1]], axis=1)
    parents = tree.parent[np.maximum(at_t, 0)]
    chance = np.where(valid, 1.0 / np.maximum(tree.n_children[np.maximum(parents, 0)], 1), 1.0)
    path_chance = np.cumprod(chance, axis=1)  # a random walk right down to this depth
    rows, cols = np.nonzero(valid)
    extra = [c for c in (*keys, "item") if c in frame.columns]
    out = pl.DataFrame(
        {
            "depth": depths[cols],
            "correct": right[rows, cols].astype(np.int8),
            "label_correct": label_right[rows, cols].astype(np.int8),
            "answered": answered[rows, cols].astype(np.int8),
            "conditional": pl.Series(
                np.where(prior_ok[rows, cols], right[rows, cols], -1).astype(np.int8)
            ).replace(-1, None),
            "chance": chance[rows, cols],
            "path_chance": path_chance[rows, cols],
        }
    )
    if not extra:
        return out
    return pl.concat([frame.select(extra)[rows], out], how="horizontal")


def accuracy_by_depth(
    tree: Tree,
    predictions: Any,
    *,
    model: str | None = "model",
    group: str | list[str] | None = None,
    abstain: Any = (),
    confidence: float = 0.95,
) -> pl.DataFrame:
    """Compute path, label and conditional accuracy, coverage and selective accuracy per depth.

    Among the predictions whose true path reaches depth d:

    * ``accuracy`` (path accuracy): the prediction's ancestor at d is the true node;
    * ``label_accuracy``: its label is the true label, whatever the path above (the
      predicted country is right even if the region is not), what geolocation and
      hierarchical-classification papers report per level;
    * ``conditional``: right at d among those right at d - 1, the headline of depth
      degradation (how much is lost at each step, not compounded);
    * ``coverage``: the share of answers that reach d (the rest abstained: refused, or
      stopped at a coarser depth), and ``selective_accuracy``: path accuracy among them.

    Each comes with a Wilson interval (``<measure>_ci_low, <measure>_ci_high``; plain
    ``ci_low, ci_high`` for ``accuracy``). ``chance`` is the path accuracy of a uniform
    random walk down the tree and ``normalised = (accuracy - chance) / (1 - chance)``.

    Parameters
    ----------
    tree : Tree
        The hierarchy the predictions live in.
    predictions : polars or pandas DataFrame
        ``model, item, true, pred`` (``true``/``pred`` are node ids or paths; a null
        ``pred`` is a refusal).
    model : str or None, default "model"
        Column of the AI model (None for one model without such a column).
    group : str or list of str, optional
        Extra grouping columns (accuracy per model and group).
    abstain : sequence of str, optional
        ``pred`` values that mean "no answer" (e.g. ``["unknown"]``).
    confidence : float, default 0.95
        Confidence level of the Wilson intervals.

    Returns
    -------
    polars.DataFrame
        ``model, [group], depth, n, n_correct, accuracy, ci_low, ci_high, chance,
        normalised, label_accuracy, conditional, n_answered, coverage,
        selective_accuracy`` and the ``*_ci_low, *_ci_high`` of the last four measures
        (``n`` predictions whose truth reaches the depth, ``n_correct`` of them right
        there).

    Examples
    --------
    >>> t = Tree.from_paths(["A/a1", "A/a2", "B/b1"], root="r")
    >>> preds = pl.DataFrame({"model": ["m"] * 3, "true": ["A/a1", "A/a2", "B/b1"],
    ...                       "pred": ["A/a1", "A/a1", "A/a1"]})
    >>> accuracy_by_depth(t, preds)["accuracy"].round(3).to_list()
    [0.667, 0.333]
    """
    confidence = check_confidence(confidence)
    keys = _keys(model, group)
    table = depth_table(tree, predictions, model=model, group=group, abstain=abstain)
    agg = (
        table.group_by([*keys, "depth"], maintain_order=True)
        .agg(
            pl.len().alias("n"),
            pl.col("correct").sum().cast(pl.Int64).alias("n_correct"),
            pl.col("path_chance").mean().alias("chance"),
            pl.col("label_correct").sum().cast(pl.Int64).alias("n_label"),
            pl.col("answered").sum().cast(pl.Int64).alias("n_answered"),
            (pl.col("conditional") == 1).sum().cast(pl.Int64).alias("n_conditional"),
            pl.col("conditional").is_not_null().sum().cast(pl.Int64).alias("at_risk"),
        )
        .sort([*keys, "depth"])
    )
    acc = agg["n_correct"] / agg["n"]
    columns: dict[str, Any] = {}

    def measure(name: str, k: pl.Series, n: pl.Series) -> None:
        lo, hi = wilson_interval(k, n, confidence=confidence)
        with np.errstate(invalid="ignore", divide="ignore"):
            columns[name] = pl.Series(
                np.where(n > 0, k.to_numpy() / np.maximum(n.to_numpy(), 1), np.nan)
            )
        columns[f"{name}_ci_low"] = pl.Series(lo)
        columns[f"{name}_ci_high"] = pl.Series(hi)

    lo, hi = wilson_interval(agg["n_correct"], agg["n"], confidence=confidence)
    measure("label_accuracy", agg["n_label"], agg["n"])
    measure("conditional", agg["n_conditional"], agg["at_risk"])
    measure("coverage", agg["n_answered"], agg["n"])
    measure("selective_accuracy", agg["n_correct"], agg["n_answered"])
    return agg.with_columns(
        accuracy=acc,
        ci_low=pl.Series(lo),
        ci_high=pl.Series(hi),
        normalised=(acc - agg["chance"]) / (1 - agg["chance"]),
        **columns,
    ).select(
        [*keys, "depth", "n", "n_correct", "accuracy", "ci_low", "ci_high", "chance", "normalised"]
        + [c for m in ("label_accuracy", "conditional") for c in (m, f"{m}_ci_low", f"{m}_ci_high")]
        + ["n_answered"]
        + [
            c
            for m in ("coverage", "selective_accuracy")
            for c in (m, f"{m}_ci_low", f"{m}_ci_high")
        ]
    )


def survival(
    tree: Tree,
    predictions: Any,
    *,
    model: str | None = "model",
    group: str | list[str] | None = None,
    confidence: float = 0.95,
) -> pl.DataFrame:
    """Compute survival ``S_d`` (all depths down to d right) and conditional accuracy ``c_d``.

    ``S_d`` counts predictions whose deepest right depth is at least d, among predictions
    whose true path reaches d; ``c_d = S_d / S_(d-1)`` is the accuracy at depth d given
    that every depth above was right. Both come with Wilson intervals.

    Parameters
    ----------
    tree : Tree
        The hierarchy the predictions live in.
    predictions : polars or pandas DataFrame
        ``model, item, true, pred`` (``true``/``pred`` are node ids or paths).
    model : str or None, default "model"
        Column of the AI model (None for one model without such a column).
    group : str or list of str, optional
        Extra grouping columns.
    confidence : float, default 0.95
        Confidence level of the Wilson intervals.

    Returns
    -------
    polars.DataFrame
        ``model, [group], depth, n, survived, at_risk, survival, survival_ci_low,
        survival_ci_high, conditional, conditional_ci_low, conditional_ci_high``.

    Examples
    --------
    >>> t = Tree.from_paths(["A/a1", "A/a2", "B/b1"], root="r")
    >>> preds = pl.DataFrame({"model": ["m"] * 3, "true": ["A/a1", "A/a2", "B/b1"],
    ...                       "pred": ["A/a1", "A/a1", "A/a1"]})
    >>> survival(t, preds)["conditional"].to_list()
    [0.6666666666666666, 0.5]
    """
    confidence = check_confidence(confidence)
    keys = _keys(model, group)
    table = depth_table(tree, predictions, model=model, group=group)
    agg = (
        table.group_by([*keys, "depth"], maintain_order=True)
        .agg(
            pl.len().alias("n"),
            (pl.col("conditional") == 1).sum().cast(pl.Int64).alias("survived"),
            pl.col("conditional").is_not_null().sum().cast(pl.Int64).alias("at_risk"),
        )
        .sort([*keys, "depth"])
    )
    s_lo, s_hi = wilson_interval(agg["survived"], agg["n"], confidence=confidence)
    c_lo, c_hi = wilson_interval(agg["survived"], agg["at_risk"], confidence=confidence)
    return agg.with_columns(
        survival=agg["survived"] / agg["n"],
        survival_ci_low=pl.Series(s_lo),
        survival_ci_high=pl.Series(s_hi),
        conditional=agg["survived"] / agg["at_risk"],
        conditional_ci_low=pl.Series(c_lo),
        conditional_ci_high=pl.Series(c_hi),
    )


def deepest_correct(
    tree: Tree,
    predictions: Any,
    *,
    model: str | None = "model",
    group: str | list[str] | None = None,
) -> pl.DataFrame:
    """Compute the distribution of the deepest right depth (the LCA depth of truth and prediction).

    Parameters
    ----------
    tree : Tree
        The hierarchy the predictions live in.
    predictions : polars or pandas DataFrame
        ``model, item, true, pred`` (``true``/``pred`` are node ids or paths).
    model : str or None, default "model"
        Column of the AI model (None for one model without such a column).
    group : str or list of str, optional
        Extra grouping columns.

    Returns
    -------
    polars.DataFrame
        ``model, [group], depth`` (0 = not even the top depth right), ``count``, ``share``
        and ``cdf`` (the cumulative share up to and including this depth).

    Examples
    --------
    >>> t = Tree.from_paths(["A/a1", "A/a2", "B/b1"], root="r")
    >>> preds = pl.DataFrame({"model": ["m"] * 3, "true": ["A/a1", "A/a1", "B/b1"], "pred": ["A/a1", "A/a2", "A/a1"]})
    >>> deepest_correct(t, preds)["count"].to_list()
    [1, 1, 1]
    """
    keys = _keys(model, group)
    tree, frame = check_predictions(tree, predictions, keys)
    deep = tree.depth[tree.lca(frame["true"].to_numpy(), frame["pred"].to_numpy())]
    counts = (
        frame.select(keys)
        .with_columns(depth=pl.Series(deep))
        .group_by([*keys, "depth"])
        .len()
        .rename({"len": "count"})
        .sort([*keys, "depth"])
    )
    share = pl.col("count") / pl.col("count").sum()
    if keys:
        return counts.with_columns(share=share.over(keys)).with_columns(
            cdf=pl.col("share").cum_sum().over(keys)
        )
    return counts.with_columns(share=share).with_columns(cdf=pl.col("share").cum_sum())


def error_lca_depths(
    tree: Tree,
    predictions: Any,
    *,
    model: str | None = "model",
    group: str | list[str] | None = None,
) -> pl.DataFrame:
    """Count wrong predictions by LCA depth: where errors leave the true path.

    Parameters
    ----------
    tree : Tree
        The hierarchy the predictions live in.
    predictions : polars or pandas DataFrame
        ``model, item, true, pred`` (``true``/``pred`` are node ids or paths).
    model : str or None, default "model"
        Column of the AI model (None for one model without such a column).
    group : str or list of str, optional
        Extra grouping columns.

    Returns
    -------
    polars.DataFrame
        ``model, [group], lca_depth, count, share`` (share of the wrong predictions).

    Examples
    --------
    >>> t = Tree.from_paths(["A/a1", "A/a2", "B/b1"], root="r")
    >>> preds = pl.DataFrame({"model": ["m"] * 2, "true": ["A/a1", "B/b1"], "pred": ["A/a2", "A/a1"]})
    >>> error_lca_depths(t, preds).select("lca_depth", "count").rows()
    [(0, 1), (1, 1)]
    """
    keys = _keys(model, group)
    tree, frame = check_predictions(tree, predictions, keys)
    t, p = frame["true"].to_numpy(), frame["pred"].to_numpy()
    wrong = t != p
    lca_depth = tree.depth[tree.lca(t, p)]
    errors = (
        frame.select(keys).with_columns(lca_depth=pl.Series(lca_depth)).filter(pl.Series(wrong))
    )
    counts = (
        errors.group_by([*keys, "lca_depth"])
        .len()
        .rename({"len": "count"})
        .sort([*keys, "lca_depth"])
    )
    share = pl.col("count") / pl.col("count").sum()
    return counts.with_columns(share=share.over(keys) if keys else share)


@dataclass(frozen=True, eq=False)
class DepthRegression(Result):
    """Logistic regression of correctness on depth, one slope per model.

    Attributes
    ----------
    slopes : polars.DataFrame
        ``model, estimate, se, statistic, p_value, ci_low, ci_high, odds_ratio``: each
        model's change in the log-odds of being right per depth (``odds_ratio`` is its
        exponential, ``statistic`` the Wald z).
    equal_slopes : TestResult or None
        Wald test that all models share one slope (None for a single model).
    confidence : float
        Confidence level of the slopes' intervals.
    n : int
        Number of (prediction, depth) rows fitted.
    fitted : Any
        The statsmodels results object (or the Firth fit under separation).
    method : str
        How the slopes were estimated.
    warnings : tuple of str
        Separation or sparse depths met (the slopes then come from Firth's penalised
        likelihood).
    covariance : polars.DataFrame or None
        Covariance of the slopes (``model`` plus one column per model), used by
        :func:`compare_slopes`.

    Examples
    --------
    >>> from hierlab.datasets import load_demo
    >>> demo = load_demo(n_items=200, n_models=3, seed=1)
    >>> reg = depth_regression(depth_table(demo.tree, demo.predictions))
    >>> reg.to_polars().columns[:3]
    ['model', 'estimate', 'se']
    """

    slopes: pl.DataFrame
    equal_slopes: TestResult | None
    confidence: float
    n: int
    fitted: Any = field(default=None, repr=False)
    method: str = "logistic regression, item-clustered SEs"
    warnings: tuple[str, ...] = ()
    covariance: pl.DataFrame | None = field(default=None, repr=False)

    def summary(self) -> Summary:
        """Summarise the regression: the slopes table and the equal-slopes test.

        Returns
        -------
        Summary
        """
        facts: list[tuple[str, Any]] = [
            ("models", self.slopes.height),
            ("rows (prediction x depth)", self.n),
            ("confidence", self.confidence),
        ]
        if self.equal_slopes is not None:
            facts += [
                ("equal slopes: statistic", self.equal_slopes.statistic),
                ("equal slopes: df", self.equal_slopes.df),
                ("equal slopes: p-value", self.equal_slopes.p_value),
            ]
        return Summary(
            f"Depth regression: logit P(correct) = a_model + b_model * depth ({self.method})",
            facts=facts,
            tables={"slopes per depth": self.slopes},
            notes=self.warnings,
        )

    def to_polars(self) -> pl.DataFrame:
        """Return the slopes table.

        Returns
        -------
        polars.DataFrame
        """
        return self.slopes


def _slope_name(model: str) -> str:
    return f"C(m)[{model}]:d"


def depth_regression(
    table: Any,
    *,
    model: str = "model",
    depth: str = "depth",
    correct: str = "correct",
    cluster: str | None = "item",
    confidence: float = 0.95,
) -> DepthRegression:
    """Fit ``logit P(correct) = a_model + b_model * depth`` with item-clustered SEs.

    When a model's outcomes are perfectly separated by depth (all right down to some
    depth and all wrong below, so the maximum likelihood slope is infinite) or a model
    has fewer than 5 right or 5 wrong answers, a
    :class:`~hierlab.errors.SeparationWarning` is raised and the slopes come from Firth's
    penalised likelihood (finite; standard errors from the penalised information, which
    treat a prediction's depths as independent).

    Parameters
    ----------
    table : polars or pandas DataFrame
        Long table, e.g. :func:`depth_table`, or results with a depth column.
    model : str, default "model"
        Column of the AI model.
    depth : str, default "depth"
        Column of the depth.
    correct : str, default "correct"
        Column of the outcome (0/1).
    cluster : str or None, default "item"
        Column of the resampling unit for clustered SEs (None for model-based SEs).
    confidence : float, default 0.95
        Confidence level of the slopes' intervals.

    Returns
    -------
    DepthRegression

    Examples
    --------
    >>> from hierlab.datasets import load_demo
    >>> demo = load_demo(n_items=200, n_models=3, seed=1)
    >>> reg = depth_regression(depth_table(demo.tree, demo.predictions))
    >>> bool((reg.slopes["estimate"] < 0).all())
    True
    """
    from scipy.stats import chi2

    confidence = check_confidence(confidence)
    frame = as_polars(table, "`table`")
    for value, name in ((model, "model"), (depth, "depth"), (correct, "correct")):
        if not isinstance(value, str):
            raise InputTypeError(f"`{name}` must be a column name, got {value!r}.")
    if cluster is not None and not isinstance(cluster, str):
        raise InputTypeError(f"`cluster` must be a column name or None, got {cluster!r}.")
    require_columns(
        frame,
        [model, depth, correct] + ([cluster] if cluster else []),
        "The depth table",
        "Build it with depth_table(tree, predictions), or name the columns with "
        "model=, depth=, correct= and cluster=.",
    )
    if frame.height == 0:
        raise EmptyInputError("The depth table is empty.")
    frame = check_results(
        frame, correct=correct, model=model, item=None, group=[depth], what="The depth table"
    )
    if cluster and depth in frame.columns:
        check_unique(frame, [model, cluster, depth], "The depth table")
    columns = [
        pl.col(model).cast(pl.String).alias("m"),
        pl.col(depth).cast(pl.Float64).alias("d"),
        pl.col(correct).cast(pl.Float64).alias("y"),
    ]
    if cluster:
        columns.append(pl.col(cluster).cast(pl.String).alias("g"))
    data = frame.select(columns)
    if cluster and data["g"].null_count():
        raise MissingValueError(
            f"{data['g'].null_count()} row(s) have no {cluster!r}: clustered SEs need it."
        )
    models = sorted(data["m"].unique().to_list())
    flat = data.group_by("m").agg(pl.col("d").n_unique().alias("k")).filter(pl.col("k") < 2)
    if flat.height:
        raise InvalidValueError(
            f"A depth regression needs at least two depths per model; "
            f"{format_items(flat['m'].to_list())} have one. Give predictions whose truth "
            "spans several depths."
        )
    names = [_slope_name(m) for m in models] if len(models) > 1 else ["d"]
    # separation and sparse models, on (model, depth) cells
    mcode = np.searchsorted(models, data["m"].to_numpy())
    dval = data["d"].to_numpy()
    design = np.zeros((data.height, 2 * len(models)))
    design[np.arange(data.height), mcode] = 1.0
    design[np.arange(data.height), len(models) + mcode] = dval
    rows, k, n = aggregate_binomial(design, data["y"].to_numpy())
    mask = separated_cells(rows, k, n)
    problems = []
    if mask.any():
        hit = sorted({models[int(np.argmax(r[: len(models)]))] for r in rows[mask]})
        problems.append(
            f"separation: the outcomes of {format_items(hit)} are perfectly ordered by depth "
            "(the maximum likelihood slope is infinite)"
        )
    y = data["y"].to_numpy()
    right = np.bincount(mcode, weights=y, minlength=len(models))
    total = np.bincount(mcode, minlength=len(models))
    sparse = [m for m, r, t in zip(models, right, total, strict=True) if min(r, t - r) < 5]
    if sparse:
        problems.append(
            f"sparse: {format_items(sparse)} have fewer than 5 right or 5 wrong answers"
        )
    if problems:
        message = "; ".join(problems) + (
            ". The slopes come from Firth's penalised likelihood (finite; model-based SEs)."
        )
        warnings.warn(message, SeparationWarning, stacklevel=2)
        labels = [f"C(m)[{m}]" for m in models] + names
        fit = fit_firth_cells(
            design,
            y,
            names=labels,
            confidence=confidence,
            interval="profile",
            profile=list(range(len(models), 2 * len(models))),
        )
        idx = list(range(len(models), 2 * len(models)))
        params = fit.params[idx]
        cov = fit.cov[np.ix_(idx, idx)]
        slopes = (
            fit.table.slice(len(models), len(models))
            .with_columns(model=pl.Series(models), odds_ratio=pl.col("estimate").exp())
            .select(
                "model", "estimate", "se", "statistic", "p_value", "ci_low", "ci_high", "odds_ratio"
            )
        )
        equal = None
        if len(models) > 1:
            contrast = np.zeros((len(models) - 1, len(models)))
            contrast[:, 0] = -1.0
            contrast[np.arange(len(models) - 1), np.arange(1, len(models))] = 1.0
            est = contrast @ params
            vc = contrast @ cov @ contrast.T
            stat = float(est @ np.linalg.solve(vc, est))
            equal = TestResult(
                method="Wald chi-square (Firth penalised logistic regression)",
                statistic=stat,
                df=float(len(models) - 1),
                p_value=float(chi2.sf(stat, len(models) - 1)),
                null_hypothesis="every model's accuracy falls with depth at the same rate",
                warnings=(message,),
            )
        return DepthRegression(
            slopes=slopes,
            equal_slopes=equal,
            confidence=confidence,
            n=data.height,
            fitted=fit,
            method="Firth penalised logistic regression, model-based SEs",
            warnings=(message,),
            covariance=_cov_table(models, cov),
        )
    pandas = data.to_pandas()
    formula = "y ~ 0 + C(m) + C(m):d" if len(models) > 1 else "y ~ d"
    result = fit_logit(formula, pandas, pandas["g"] if cluster else None)
    slopes = coefficient_table(result, names, confidence, labels=models, term="model").with_columns(
        odds_ratio=pl.col("estimate").exp()
    )
    equal = (
        wald_test(
            result,
            [{name: 1.0, names[0]: -1.0} for name in names[1:]],
            null_hypothesis="every model's accuracy falls with depth at the same rate",
        )
        if len(models) > 1
        else None
    )
    cov = np.asarray(result.cov_params().loc[names, names], dtype=float)
    return DepthRegression(
        slopes=slopes,
        equal_slopes=equal,
        confidence=confidence,
        n=data.height,
        fitted=result,
        method="logistic regression, item-clustered SEs" if cluster else "logistic regression",
        covariance=_cov_table(models, cov),
    )


def _cov_table(models: list[str], cov: np.ndarray) -> pl.DataFrame:
    return pl.DataFrame({"model": models, **{m: cov[:, j] for j, m in enumerate(models)}})


def compare_slopes(regression: DepthRegression, model_a: str, model_b: str) -> TestResult:
    """Test whether two models' accuracy falls with depth at different rates (Wald z).

    Parameters
    ----------
    regression : DepthRegression
        A fit of :func:`depth_regression` with both models.
    model_a : str
        First model.
    model_b : str
        Second model.

    Returns
    -------
    TestResult
        ``statistic`` is the Wald z of ``slope a - slope b`` (``df`` None); ``table`` has
        ``model_a, model_b, difference, se, ci_low, ci_high``.

    Examples
    --------
    >>> from hierlab.datasets import load_demo
    >>> demo = load_demo(n_items=200, n_models=3, seed=1)
    >>> reg = depth_regression(depth_table(demo.tree, demo.predictions))
    >>> a, b = reg.slopes["model"][:2]
    >>> 0 <= compare_slopes(reg, a, b).p_value <= 1
    True
    """
    from scipy.stats import norm

    if not isinstance(regression, DepthRegression):
        raise InputTypeError(
            f"`regression` must be a DepthRegression (from depth_regression), got "
            f"{type(regression).__name__}."
        )
    fitted = regression.slopes["model"].to_list()
    unknown = [m for m in (model_a, model_b) if m not in fitted]
    if unknown:
        raise InvalidValueError(
            f"Unknown model(s) {format_items(unknown)}; the regression fitted "
            f"{format_items(fitted)}."
        )
    if len(fitted) < 2 or model_a == model_b:
        raise InvalidValueError("compare_slopes needs two different fitted models.")
    ia, ib = fitted.index(model_a), fitted.index(model_b)
    est = regression.slopes["estimate"].to_numpy()
    cov = regression.covariance.drop("model").to_numpy()
    diff = float(est[ia] - est[ib])
    se = float(np.sqrt(cov[ia, ia] + cov[ib, ib] - 2 * cov[ia, ib]))
    z = diff / se
    half = float(norm.ppf(0.5 + regression.confidence / 2)) * se
    return TestResult(
        method=f"Wald z test of the slope difference ({regression.method})",
        statistic=z,
        df=None,
        p_value=float(2 * norm.sf(abs(z))),
        null_hypothesis=f"{model_a} and {model_b} lose accuracy with depth at the same rate",
        table=pl.DataFrame(
            {
                "model_a": [model_a],
                "model_b": [model_b],
                "difference": [diff],
                "se": [se],
                "ci_low": [diff - half],
                "ci_high": [diff + half],
            }
        ),
        warnings=regression.warnings,
        fitted=regression.fitted,
    )
