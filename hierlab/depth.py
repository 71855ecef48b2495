"""Depth degradation: how accuracy falls as the required answer gets more specific.

Input is a predictions table ``model, item, true, pred`` (node ids or paths of a Tree).
Each analysis returns one tidy polars table, ready for :mod:`hierlab.plot`:

* :func:`level_table` — one row per prediction and level of its true path, with
  ``correct`` (the prediction's ancestor at that level is right) and ``conditional``
  (right given every level above was right); the input of the regressions;
* :func:`accuracy_by_depth` — per-level accuracy with Wilson intervals and
  chance-normalised accuracy;
* :func:`survival` — survival ``S_l`` (every level down to l right) and conditional
  accuracy ``c_l = S_l / S_(l-1)``;
* :func:`deepest_correct` — distribution of the deepest right level;
* :func:`error_lca_depths` — depths at which wrong predictions leave the true path;
* :func:`depth_regression` — logistic regression of correctness on depth (per model, with
  item-clustered standard errors) and :func:`compare_slopes` for two models.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from hierlab._tables import as_polars, require_columns
from hierlab.coherence import as_nodes
from hierlab.errors import InputShapeError, InvalidValueError, format_items
from hierlab.stats import coefficient_table, fit_logit, wald_test, wilson_interval
from hierlab.tree import Tree

__all__ = [
    "DepthRegression",
    "accuracy_by_depth",
    "compare_slopes",
    "deepest_correct",
    "depth_regression",
    "error_lca_depths",
    "level_table",
    "survival",
]


def _predictions(
    predictions: Any, tree: Tree, by: str | list[str] | None
) -> tuple[pl.DataFrame, list[str]]:
    frame = as_polars(predictions, "The predictions table")
    keys = [] if by is None else ([by] if isinstance(by, str) else list(by))
    require_columns(
        frame,
        ["true", "pred", *keys],
        "The predictions table",
        "It needs 'true' and 'pred' (node ids or paths) and the grouping columns.",
    )
    if frame.height == 0:
        raise InputShapeError("The predictions table is empty.")
    t = as_nodes(tree, frame["true"])
    p = as_nodes(tree, frame["pred"])
    return frame.with_columns(true=pl.Series(t), pred=pl.Series(p)), keys


def level_table(predictions: Any, tree: Tree, by: str | list[str] | None = "model") -> pl.DataFrame:
    """One row per prediction and level 1..depth(true) of its true path.

    Returns
    -------
    polars.DataFrame
        The grouping and ``item`` columns (when present), ``depth``, ``correct`` (1/0),
        ``conditional`` (1/0, or null when a level above was already wrong), ``chance``
        (probability that a uniform random walk down the tree is right at this level given
        the level above: 1 / number of siblings) and ``path_chance`` (that it is right at
        every level down to this one).

    Examples
    --------
    >>> t = Tree.from_paths(["A/a1", "A/a2", "B/b1"], root="r")
    >>> preds = pl.DataFrame({"model": ["m", "m"], "true": ["A/a1", "B/b1"], "pred": ["A/a2", "B/b1"]})
    >>> level_table(preds, t)["correct"].to_list()
    [1, 0, 1, 1]
    """
    frame, keys = _predictions(predictions, tree, by)
    t = frame["true"].to_numpy()
    p = frame["pred"].to_numpy()
    max_d = int(tree.depth[t].max())
    depths = np.arange(1, max_d + 1)
    at_t = tree.ancestor_at(t[:, None], depths[None, :])
    at_p = tree.ancestor_at(p[:, None], depths[None, :])
    valid = at_t >= 0
    right = (at_t == at_p) & valid
    above = np.logical_and.accumulate(np.where(valid, right, True), axis=1)
    prior_ok = np.concatenate([np.ones((len(t), 1), dtype=bool), above[:, :-1]], axis=1)
    parents = tree.parent[np.maximum(at_t, 0)]
    chance = np.where(valid, 1.0 / np.maximum(tree.n_children[np.maximum(parents, 0)], 1), 1.0)
    path_chance = np.cumprod(chance, axis=1)  # a random walk right down to this level
    rows, cols = np.nonzero(valid)
    extra = [c for c in (*keys, "item") if c in frame.columns]
    base = frame.select(extra)[rows] if extra else pl.DataFrame()
    out = pl.DataFrame(
        {
            "depth": depths[cols],
            "correct": right[rows, cols].astype(np.int8),
            "conditional": pl.Series(
                np.where(prior_ok[rows, cols], right[rows, cols], -1).astype(np.int8)
            ).replace(-1, None),
            "chance": chance[rows, cols],
            "path_chance": path_chance[rows, cols],
        }
    )
    return pl.concat([base, out], how="horizontal") if extra else out


def accuracy_by_depth(
    predictions: Any, tree: Tree, by: str | list[str] | None = "model", level: float = 0.95
) -> pl.DataFrame:
    """Accuracy at each depth with Wilson intervals and chance-normalised accuracy.

    Accuracy at depth d is the share of predictions whose ancestor at d is right (among
    predictions whose true path reaches d). ``chance`` is the accuracy of a uniform random
    walk down the tree (the product of 1 / siblings along the true path, averaged), and
    ``normalised = (accuracy - chance) / (1 - chance)`` (0 = chance, 1 = perfect).

    Examples
    --------
    >>> from hierlab.datasets import load_demo
    >>> demo = load_demo(n_items=200, n_models=3, seed=1)
    >>> acc = accuracy_by_depth(demo.predictions, demo.tree)
    >>> acc.columns
    ['model', 'depth', 'n', 'correct', 'accuracy', 'ci_low', 'ci_high', 'chance', 'normalised']
    """
    table = level_table(predictions, tree, by)
    keys = [c for c in ([by] if isinstance(by, str) else list(by or [])) if c in table.columns]
    agg = (
        table.group_by([*keys, "depth"], maintain_order=True)
        .agg(
            pl.len().alias("n"),
            pl.col("correct").sum().alias("correct"),
            pl.col("path_chance").mean().alias("chance"),
        )
        .sort([*keys, "depth"])
    )
    lo, hi = wilson_interval(agg["correct"].to_numpy(), agg["n"].to_numpy(), level)
    acc = agg["correct"] / agg["n"]
    return agg.with_columns(
        accuracy=acc,
        ci_low=pl.Series(lo),
        ci_high=pl.Series(hi),
        normalised=(acc - agg["chance"]) / (1 - agg["chance"]),
    ).select(
        [*keys, "depth", "n", "correct", "accuracy", "ci_low", "ci_high", "chance", "normalised"]
    )


def survival(
    predictions: Any, tree: Tree, by: str | list[str] | None = "model", level: float = 0.95
) -> pl.DataFrame:
    """Survival ``S_l`` (all levels down to l right) and conditional accuracy ``c_l``.

    ``S_l`` counts predictions whose deepest right level is at least l, among predictions
    whose true path reaches l; ``c_l = S_l / S_(l-1)`` is the accuracy at level l given
    that every level above was right. Both come with Wilson intervals.

    Examples
    --------
    >>> from hierlab.datasets import load_demo
    >>> demo = load_demo(n_items=200, n_models=3, seed=1)
    >>> s = survival(demo.predictions, demo.tree)
    >>> bool((s.group_by("model").agg(pl.col("survival").diff().max())["survival"] <= 0).all())
    True
    """
    table = level_table(predictions, tree, by)
    keys = [c for c in ([by] if isinstance(by, str) else list(by or [])) if c in table.columns]
    agg = (
        table.group_by([*keys, "depth"], maintain_order=True)
        .agg(
            pl.len().alias("n"),
            (pl.col("conditional") == 1).sum().alias("survived"),
            pl.col("conditional").is_not_null().sum().alias("at_risk"),
        )
        .sort([*keys, "depth"])
    )
    s_lo, s_hi = wilson_interval(agg["survived"].to_numpy(), agg["n"].to_numpy(), level)
    c_lo, c_hi = wilson_interval(agg["survived"].to_numpy(), agg["at_risk"].to_numpy(), level)
    return agg.with_columns(
        survival=agg["survived"] / agg["n"],
        survival_low=pl.Series(s_lo),
        survival_high=pl.Series(s_hi),
        conditional=agg["survived"] / agg["at_risk"],
        conditional_low=pl.Series(c_lo),
        conditional_high=pl.Series(c_hi),
    )


def deepest_correct(
    predictions: Any, tree: Tree, by: str | list[str] | None = "model"
) -> pl.DataFrame:
    """Distribution of the deepest right level (the LCA depth of truth and prediction).

    Returns
    -------
    polars.DataFrame
        ``depth`` (0 = not even the top level right), ``count``, ``share`` and ``cdf``
        (the cumulative share up to and including this depth), per group.

    Examples
    --------
    >>> t = Tree.from_paths(["A/a1", "A/a2", "B/b1"], root="r")
    >>> preds = pl.DataFrame({"model": ["m"] * 3, "true": ["A/a1", "A/a1", "B/b1"], "pred": ["A/a1", "A/a2", "A/a1"]})
    >>> deepest_correct(preds, t)["count"].to_list()
    [1, 1, 1]
    """
    frame, keys = _predictions(predictions, tree, by)
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
    predictions: Any, tree: Tree, by: str | list[str] | None = "model"
) -> pl.DataFrame:
    """Histogram of the LCA depth of wrong predictions: where errors leave the true path.

    Examples
    --------
    >>> t = Tree.from_paths(["A/a1", "A/a2", "B/b1"], root="r")
    >>> preds = pl.DataFrame({"model": ["m"] * 2, "true": ["A/a1", "B/b1"], "pred": ["A/a2", "A/a1"]})
    >>> error_lca_depths(preds, t).select("lca_depth", "count").rows()
    [(0, 1), (1, 1)]
    """
    frame, keys = _predictions(predictions, tree, by)
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


@dataclass(frozen=True)
class DepthRegression:
    """Logistic regression of correctness on depth.

    Attributes
    ----------
    slopes : polars.DataFrame
        ``model, slope, se, z, p, ci_low, ci_high, odds_ratio`` (per-level change in
        log-odds of being right; odds_ratio = exp(slope)).
    interaction_test : dict
        Wald test that all models share one slope: ``chi2, df, p``.
    result : the statsmodels results object
    """

    slopes: pl.DataFrame
    interaction_test: dict[str, float]
    result: Any


def depth_regression(
    table: Any,
    model: str = "model",
    depth: str = "depth",
    correct: str = "correct",
    cluster: str = "item",
    level: float = 0.95,
) -> DepthRegression:
    """Fit ``logit P(correct) = a_model + b_model * depth`` with item-clustered SEs.

    Parameters
    ----------
    table : long table (e.g. :func:`level_table`, or results with a depth column)
    model, depth, correct, cluster : column names (``cluster=None`` for plain SEs)

    Examples
    --------
    >>> from hierlab.datasets import load_demo
    >>> demo = load_demo(n_items=200, n_models=3, seed=1)
    >>> reg = depth_regression(level_table(demo.predictions, demo.tree))
    >>> bool((reg.slopes["slope"] < 0).all())
    True
    """
    frame = as_polars(table)
    require_columns(frame, [model, depth, correct] + ([cluster] if cluster else []), "The table")
    models = sorted(frame[model].cast(pl.String).unique().to_list())
    if len(models) < 1:
        raise InvalidValueError("No models to fit.")
    data = (
        frame.select(
            pl.col(model).cast(pl.String).alias("m"),
            pl.col(depth).cast(pl.Float64).alias("d"),
            pl.col(correct).cast(pl.Float64).alias("y"),
            *([pl.col(cluster).cast(pl.String).alias("g")] if cluster else []),
        )
        .drop_nulls()
        .to_pandas()
    )
    formula = "y ~ 0 + C(m) + C(m):d" if len(models) > 1 else "y ~ d"
    result = fit_logit(formula, data, data["g"] if cluster else None)
    names = [f"C(m)[{m}]:d" for m in models] if len(models) > 1 else ["d"]
    slopes = coefficient_table(
        result, names, level, labels=models, term="model", estimate="slope"
    ).with_columns(odds_ratio=pl.col("slope").exp())
    if len(models) > 1:
        test = wald_test(result, [{name: 1.0, names[0]: -1.0} for name in names[1:]])
    else:
        test = {"chi2": float("nan"), "df": 0.0, "p": float("nan")}
    return DepthRegression(slopes=slopes, interaction_test=test, result=result)


def compare_slopes(regression: DepthRegression, model_a: str, model_b: str) -> dict[str, float]:
    """Wald test of whether two models degrade with depth at different rates.

    Returns ``difference`` (slope a - slope b), ``se``, ``z`` and ``p``.
    """
    from scipy.stats import norm

    res = regression.result
    names = {m: f"C(m)[{m}]:d" for m in regression.slopes["model"].to_list()}
    unknown = [m for m in (model_a, model_b) if m not in names]
    if unknown:
        raise InvalidValueError(
            f"Unknown model(s) {format_items(unknown)}; fitted: {format_items(list(names))}."
        )
    cov = res.cov_params()
    a, b = names[model_a], names[model_b]
    diff = float(res.params[a] - res.params[b])
    se = float(np.sqrt(cov.loc[a, a] + cov.loc[b, b] - 2 * cov.loc[a, b]))
    z = diff / se
    return {"difference": diff, "se": se, "z": z, "p": float(2 * norm.sf(abs(z)))}
