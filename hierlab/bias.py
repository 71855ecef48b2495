"""Regional (or any group) bias: disaggregation along a hierarchy, disparities, tests,
IRT-adjusted effects, small-group shrinkage and coverage.

Input is a long results table: one row per (model, item) with a per-item metric (``correct``
0/1, Acc@k, a path score, hF ...) and the item's group columns (region, country ...) or a
node of a Tree from which a level is taken. Uncertainty:

* proportions (0/1 metrics) get Wilson intervals;
* everything else, and every disparity summary, gets a **cluster bootstrap**: items (or
  larger clusters such as countries) are resampled with replacement within each group, so
  that the several models' answers to one item stay together;
* tests use logistic regressions with standard errors clustered by item (statsmodels).

Groups smaller than ``min_size`` items are marked (``small``), never silently dropped.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from hierlab._tables import as_polars, require_columns
from hierlab.errors import HierlabWarning, InputShapeError, InvalidValueError, format_items
from hierlab.stats import (
    adjust_pvalues,
    coefficient_table,
    fit_logit,
    wald_test,
    wilson_interval,
)
from hierlab.tree import Tree

__all__ = [
    "Disaggregation",
    "coverage",
    "disaggregate",
    "disparity",
    "group_vs_rest",
    "heterogeneity_test",
    "irt_adjusted_effects",
    "model_group_interaction",
    "shrink_along_tree",
]


def _frame(results: Any) -> pl.DataFrame:
    frame = as_polars(results, "The results table")
    if frame.height == 0:
        raise InputShapeError("The results table is empty.")
    return frame


def _need(frame: pl.DataFrame, cols: list[str], what: str = "The results table") -> None:
    require_columns(frame, cols, what)


def group_at_level(tree: Tree, nodes: Any, depth: int) -> list[str | None]:
    """Label path (joined by " / ") of each node's ancestor at ``depth`` (None if shallower).

    Examples
    --------
    >>> t = Tree.from_paths(["Europe/France/Paris", "Asia/Japan/Tokyo"], root="World")
    >>> group_at_level(t, t.find(["Europe/France/Paris", "Asia/Japan"]), 1)
    ['World / Europe', 'World / Asia']
    """
    anc = tree.ancestor_at(np.asarray(nodes, dtype=np.int64), depth)
    names = iter(tree.paths(anc[anc >= 0], sep=" / "))
    return [next(names) if v >= 0 else None for v in anc]


@dataclass(frozen=True)
class Disaggregation:
    """A metric by model and group, with intervals and bootstrap replicates.

    Attributes
    ----------
    table : polars.DataFrame
        ``model, group, n, estimate, ci_low, ci_high, interval, small``.
    replicates : numpy.ndarray
        Bootstrap estimates, shape (n_boot, n_groups, n_models) (NaN where a model has no
        result in a group); used by :func:`disparity`.
    groups, models : list of str
    """

    table: pl.DataFrame
    replicates: np.ndarray
    groups: list[str]
    models: list[str]


def _cluster_bootstrap(
    values: np.ndarray,
    present: np.ndarray,
    group: np.ndarray,
    n_groups: int,
    n_boot: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """(n_boot, n_groups, n_models) means, resampling clusters within each group.

    ``values``/``present`` are (n_units, n_models) sums and counts per resampling unit
    (a cluster within a group); resampling multiplies them by multinomial weights.
    """
    out = np.full((n_boot, n_groups, values.shape[1]), np.nan)
    order = np.argsort(group, kind="stable")
    bounds = np.searchsorted(group[order], np.arange(n_groups + 1))
    for g in range(n_groups):  # loop over groups; resampling is vectorised inside
        units = order[bounds[g] : bounds[g + 1]]
        c = len(units)
        if c == 0:
            continue
        draws = rng.integers(0, c, size=(n_boot, c)) + (np.arange(n_boot) * c)[:, None]
        weights = np.bincount(draws.ravel(), minlength=n_boot * c).reshape(n_boot, c).astype(float)
        sums = weights @ values[units]
        counts = weights @ present[units]
        with np.errstate(invalid="ignore", divide="ignore"):
            out[:, g, :] = np.where(counts > 0, sums / counts, np.nan)
    return out


def disaggregate(
    results: Any,
    group: str,
    metric: str = "correct",
    model: str = "model",
    item: str = "item",
    cluster: str | None = None,
    tree: Tree | None = None,
    depth: int | None = None,
    node: str = "node",
    min_size: int = 30,
    n_boot: int = 2000,
    level: float = 0.95,
    seed: int | np.random.Generator = 0,
) -> Disaggregation:
    """A per-item metric by model and group, with counts, intervals and bootstrap replicates.

    Parameters
    ----------
    results : long table with ``model``, ``item``, the metric, and ``group`` (or ``node``)
    group : the group column; with ``tree`` and ``depth``, the name given to the level
        taken from each item's ``node`` (e.g. ``group="region", depth=1``)
    metric : a 0/1 column (Wilson intervals) or any numeric per-item score (bootstrap)
    cluster : resample these clusters (e.g. "country") instead of items within groups
    min_size : groups with fewer items are marked ``small``
    n_boot : bootstrap resamples (0 to skip; disparity CIs need them)

    Examples
    --------
    >>> from hierlab.datasets import load_demo
    >>> demo = load_demo(n_items=300, n_models=3, seed=0)
    >>> d = disaggregate(demo.results, "region", n_boot=200)
    >>> d.table.columns
    ['model', 'group', 'n', 'estimate', 'ci_low', 'ci_high', 'interval', 'small']
    """
    frame = _frame(results)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    if tree is not None:
        if depth is None:
            raise InvalidValueError("With a tree, give the depth whose nodes are the groups.")
        _need(frame, [model, item, metric, node])
        frame = frame.with_columns(
            pl.Series(group, group_at_level(tree, frame[node].to_numpy(), depth))
        )
    _need(frame, [model, item, metric, group])
    frame = frame.filter(pl.col(group).is_not_null() & pl.col(metric).is_not_null())
    values = frame[metric].cast(pl.Float64)
    binary = bool(values.is_in([0.0, 1.0]).all())
    unit_col = cluster or item
    _need(frame, [unit_col])
    grouped = frame.select(
        pl.col(model).cast(pl.String).alias("m"),
        pl.col(group).cast(pl.String).alias("g"),
        pl.col(unit_col).cast(pl.String).alias("u"),
        pl.col(item).cast(pl.String).alias("i"),
        values.alias("y"),
    )
    models = sorted(grouped["m"].unique().to_list())
    groups = sorted(grouped["g"].unique().to_list())
    if len(groups) < 1:
        raise InputShapeError(f"No rows with a {group!r} value.")
    # point estimates, counts and Wilson/normal intervals
    agg = (
        grouped.group_by("m", "g")
        .agg(
            pl.len().alias("n"), pl.col("y").sum().alias("s"), pl.col("i").n_unique().alias("items")
        )
        .sort("m", "g")
    )
    # bootstrap: per (group, unit) sums and counts for every model
    units = grouped.group_by("g", "u", "m").agg(pl.col("y").sum().alias("s"), pl.len().alias("c"))
    unit_keys = units.select("g", "u").unique().sort("g", "u").with_row_index("k")
    units = units.join(unit_keys, on=["g", "u"])
    n_units = unit_keys.height
    m_index = {m: j for j, m in enumerate(models)}
    g_index = {g: j for j, g in enumerate(groups)}
    sums = np.zeros((n_units, len(models)))
    counts = np.zeros((n_units, len(models)))
    k = units["k"].to_numpy()
    mj = np.array([m_index[m] for m in units["m"].to_list()])
    sums[k, mj] = units["s"].to_numpy()
    counts[k, mj] = units["c"].to_numpy()
    unit_group = np.array([g_index[g] for g in unit_keys["g"].to_list()])
    reps = (
        _cluster_bootstrap(sums, counts, unit_group, len(groups), n_boot, rng)
        if n_boot > 0
        else np.full((0, len(groups), len(models)), np.nan)
    )
    est = agg["s"].to_numpy() / agg["n"].to_numpy()
    if binary:
        lo, hi = wilson_interval(agg["s"].to_numpy(), agg["n"].to_numpy(), level)
        interval = "wilson"
    else:
        if n_boot == 0:
            raise InvalidValueError("Non-binary metrics need bootstrap intervals: n_boot > 0.")
        gi = np.array([g_index[g] for g in agg["g"].to_list()])
        mi = np.array([m_index[m] for m in agg["m"].to_list()])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            lo = np.nanquantile(reps[:, gi, mi], (1 - level) / 2, axis=0)
            hi = np.nanquantile(reps[:, gi, mi], (1 + level) / 2, axis=0)
        interval = "cluster bootstrap"
    table = pl.DataFrame(
        {
            "model": agg["m"],
            "group": agg["g"],
            "n": agg["items"],
            "estimate": est,
            "ci_low": lo,
            "ci_high": hi,
            "interval": interval,
            "small": agg["items"] < min_size,
        }
    )
    return Disaggregation(table=table, replicates=reps, groups=groups, models=models)


def disparity(d: Disaggregation, level: float = 0.95, min_size: int = 0) -> pl.DataFrame:
    """Disparity summaries per model across groups, with bootstrap intervals.

    ``gap`` = best - worst group, ``ratio`` = best / worst, ``relative_gap`` = ratio - 1
    (the "X% higher" of papers), ``spread`` = SD across groups, ``worst_group`` and
    ``best_group``; each number has a percentile interval from the same bootstrap
    replicates (groups below ``min_size`` items are left out).

    Examples
    --------
    >>> from hierlab.datasets import load_demo
    >>> demo = load_demo(n_items=300, n_models=3, seed=0)
    >>> disparity(disaggregate(demo.results, "region", n_boot=200))["gap"].min() > 0
    True
    """
    if d.replicates.shape[0] == 0:
        raise InvalidValueError(
            "disparity needs bootstrap replicates: disaggregate with n_boot > 0."
        )
    table = d.table
    rows = []
    alpha = (1 - level) / 2
    for j, m in enumerate(d.models):
        sub = table.filter((pl.col("model") == m) & (pl.col("n") >= min_size))
        keep = [d.groups.index(g) for g in sub["group"].to_list()]
        if len(keep) < 2:
            continue
        point = sub["estimate"].to_numpy()
        reps = d.replicates[:, keep, j]
        stats_point = _disparity_stats(point[None, :])
        stats_reps = _disparity_stats(reps)
        row = {
            "model": m,
            "n_groups": len(keep),
            "worst_group": sub["group"][int(np.argmin(point))],
            "best_group": sub["group"][int(np.argmax(point))],
        }
        for name in ("gap", "ratio", "relative_gap", "spread"):
            row[name] = float(stats_point[name][0])
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                row[f"{name}_low"] = float(np.nanquantile(stats_reps[name], alpha))
                row[f"{name}_high"] = float(np.nanquantile(stats_reps[name], 1 - alpha))
        rows.append(row)
    return pl.DataFrame(rows)


def _disparity_stats(values: np.ndarray) -> dict[str, np.ndarray]:
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        hi, lo = np.nanmax(values, axis=1), np.nanmin(values, axis=1)
        ratio = np.where(lo > 0, hi / lo, np.inf)
        return {
            "gap": hi - lo,
            "ratio": ratio,
            "relative_gap": ratio - 1,
            "spread": np.nanstd(values, axis=1, ddof=1),
        }


def _design(frame: pl.DataFrame, metric: str, group: str, model: str | None, item: str):
    cols = [
        pl.col(metric).cast(pl.Float64).alias("y"),
        pl.col(group).cast(pl.String).alias("g"),
        pl.col(item).cast(pl.String).alias("i"),
    ]
    if model:
        cols.append(pl.col(model).cast(pl.String).alias("m"))
    return frame.select(cols).drop_nulls().to_pandas()


def heterogeneity_test(
    results: Any,
    group: str,
    metric: str = "correct",
    model: str | None = "model",
    item: str = "item",
    reference: str | None = None,
) -> dict[str, Any]:
    """Do groups differ? Logistic regression with group fixed effects (and model fixed
    effects), standard errors clustered by item; Wald test that all group effects are 0.

    Returns
    -------
    dict
        ``wald_chi2, df, p`` and ``effects`` (a table of each group's log-odds effect
        against the reference group, with SE and CI).

    Examples
    --------
    >>> from hierlab.datasets import load_demo
    >>> demo = load_demo(n_items=400, n_models=4, seed=0)
    >>> heterogeneity_test(demo.results, "region")["p"] < 0.05
    True
    """
    frame = _frame(results)
    _need(frame, [metric, group, item] + ([model] if model else []))
    data = _design(frame, metric, group, model, item)
    levels = sorted(data["g"].unique())
    if len(levels) < 2:
        raise InvalidValueError(
            f"Heterogeneity needs at least two groups; {group!r} has {format_items(levels)}."
        )
    ref = reference or levels[0]
    rhs = f"C(g, Treatment({ref!r}))" + (" + C(m)" if model else "")
    res = fit_logit(f"y ~ {rhs}", data, data["i"])
    names = [n for n in res.params.index if n.startswith("C(g")]
    test = wald_test(res, [{n: 1.0} for n in names])
    effects = coefficient_table(
        res,
        names,
        labels=[n.split("[T.")[1].rstrip("]") for n in names],
        term="group",
        estimate="effect",
    ).select("group", "effect", "se", "ci_low", "ci_high")
    return {
        "wald_chi2": test["chi2"],
        "df": len(names),
        "p": test["p"],
        "reference": ref,
        "effects": effects,
        "result": res,
    }


def group_vs_rest(
    results: Any,
    group: str,
    metric: str = "correct",
    model: str | None = "model",
    item: str = "item",
    correction: str = "holm",
) -> pl.DataFrame:
    """Each group against all others: log-odds difference (model fixed effects, SEs
    clustered by item), with p-values corrected over groups (Holm or BH).

    Returns
    -------
    polars.DataFrame
        ``group, effect, se, odds_ratio, p, p_adj``, sorted by ``p``.
    """
    from scipy.stats import norm

    frame = _frame(results)
    _need(frame, [metric, group, item] + ([model] if model else []))
    data = _design(frame, metric, group, model, item)
    rows = []
    for g in sorted(data["g"].unique()):  # one regression per group (few groups)
        data["is_g"] = (data["g"] == g).astype(float)
        res = fit_logit("y ~ is_g" + (" + C(m)" if model else ""), data, data["i"])
        b, se = float(res.params["is_g"]), float(res.bse["is_g"])
        rows.append((g, b, se, float(np.exp(b)), float(2 * norm.sf(abs(b / se)))))
    out = pl.DataFrame(rows, schema=["group", "effect", "se", "odds_ratio", "p"], orient="row")
    return out.with_columns(p_adj=pl.Series(adjust_pvalues(out["p"].to_numpy(), correction))).sort(
        "p"
    )


def model_group_interaction(
    results: Any,
    group: str,
    model_a: str,
    model_b: str,
    metric: str = "correct",
    model: str = "model",
    item: str = "item",
) -> dict[str, Any]:
    """Is one model's group gap different from another's? Wald test of the model x group
    interaction in a logistic regression of the two models (SEs clustered by item).

    Returns ``wald_chi2, df, p`` and the interaction ``effects`` (how much more model b's
    log-odds change between the reference group and each other group than model a's).
    """
    frame = _frame(results)
    _need(frame, [metric, group, item, model])
    pair = frame.filter(pl.col(model).cast(pl.String).is_in([model_a, model_b]))
    found = set(pair[model].cast(pl.String).unique().to_list())
    if found != {model_a, model_b}:
        raise InvalidValueError(
            f"Models {format_items(sorted({model_a, model_b} - found))} have no results."
        )
    data = _design(pair, metric, group, model, item)
    data["is_b"] = (data["m"] == model_b).astype(float)
    res = fit_logit("y ~ C(g) * is_b", data, data["i"])
    names = [n for n in res.params.index if ":is_b" in n]
    test = wald_test(res, [{n: 1.0} for n in names])
    effects = coefficient_table(res, names, estimate="effect").select("term", "effect", "se")
    return {
        "wald_chi2": test["chi2"],
        "df": len(names),
        "p": test["p"],
        "effects": effects,
    }


def irt_adjusted_effects(results: Any, group: str, **options: Any) -> pl.DataFrame:
    """Group effects on item easiness with model abilities controlled (explanatory IRT).

    A thin wrapper of :func:`hierlab.irt.explain_difficulty` with the group as the item
    covariate: a negative effect means items of that group are harder than the reference
    group's for the same models.
    """
    from hierlab.irt import explain_difficulty

    fit = explain_difficulty(results, [group], **options)
    return fit.coefficients.with_columns(group=pl.col("term").str.extract(r"\[T\.(.*)\]$")).select(
        "group", "estimate", "se", "ci_low", "ci_high", "p", "odds_ratio"
    )


def shrink_along_tree(
    results: Any,
    tree: Tree,
    node: str = "node",
    metric: str = "correct",
    max_depth: int | None = None,
) -> pl.DataFrame:
    """Empirical-Bayes beta-binomial partial pooling down a hierarchy.

    Starting from the overall rate at the root, each node's rate is pulled towards its
    parent's *pooled* rate: ``pooled = (k + m * parent_pooled) / (n + m)``, where ``k`` of
    ``n`` results in the node's subtree are right and the prior strength ``m`` of a level
    is estimated by the method of moments from how much that level's raw rates vary
    beyond binomial noise (``m = mu (1 - mu) / tau^2 - 1``, pooled over the level). A
    country with few items thus borrows strength from its sub-region, which borrows from
    its region. Use one model's results (or pool models deliberately).

    Returns
    -------
    polars.DataFrame
        ``node, path, depth, n, raw, pooled, parent_pooled, prior_strength``.

    Examples
    --------
    >>> from hierlab.datasets import load_demo
    >>> demo = load_demo(n_items=300, n_models=2, seed=0)
    >>> res = demo.results.filter(pl.col("model") == "Aurora").join(demo.items.select("item", "node"), on="item")
    >>> s = shrink_along_tree(res, demo.tree, max_depth=3)
    >>> bool((s["pooled"] - s["raw"]).abs().max() > 0)
    True
    """
    frame = _frame(results)
    _need(frame, [node, metric])
    nodes = frame[node].to_numpy().astype(np.int64)
    y = frame[metric].cast(pl.Float64).to_numpy()
    top = int(tree.max_depth if max_depth is None else max_depth)
    # subtree sums via preorder prefix sums
    sums = np.bincount(nodes, weights=y, minlength=tree.n_nodes)
    cnts = np.bincount(nodes, minlength=tree.n_nodes).astype(float)
    cs, cc = np.concatenate([[0], np.cumsum(sums)]), np.concatenate([[0], np.cumsum(cnts)])
    ids = np.arange(tree.n_nodes)
    k_all = cs[ids + tree.size] - cs[ids]
    n_all = cc[ids + tree.size] - cc[ids]
    pooled = np.full(tree.n_nodes, np.nan)
    strength = np.full(tree.n_nodes, np.nan)
    pooled[0] = k_all[0] / n_all[0]
    for d in range(1, top + 1):  # loop over levels
        level = np.flatnonzero((tree.depth == d) & (n_all > 0))
        if len(level) == 0:
            break
        raw = k_all[level] / n_all[level]
        mu = pooled[tree.parent[level]]
        n = n_all[level]
        # between-node variance beyond binomial noise, relative to the parents' rates
        excess = np.average((raw - mu) ** 2 - mu * (1 - mu) / n, weights=n)
        base = np.average(mu * (1 - mu), weights=n)
        m = base / excess - 1 if excess > 1e-12 else 1e6
        m = float(np.clip(m, 0.0, 1e6))
        pooled[level] = (k_all[level] + m * mu) / (n + m)
        strength[level] = m
    keep = np.flatnonzero((tree.depth >= 1) & (tree.depth <= top) & (n_all > 0))
    return pl.DataFrame(
        {
            "node": keep,
            "path": tree.paths(keep, sep=" / "),
            "depth": tree.depth[keep],
            "n": n_all[keep].astype(np.int64),
            "raw": k_all[keep] / n_all[keep],
            "pooled": pooled[keep],
            "parent_pooled": pooled[tree.parent[keep]],
            "prior_strength": strength[keep],
        }
    )


def coverage(
    items: Any, group: str, reference: Any = None, reference_value: str = "population"
) -> pl.DataFrame:
    """Items per group against a reference share (countries, population ...).

    Parameters
    ----------
    items : table with one row per item and the ``group`` column
    reference : table with ``group`` and ``reference_value`` columns (default: one per
        group, so the reference share is uniform over the groups present)

    Returns
    -------
    polars.DataFrame
        ``group, items, item_share, reference, reference_share, ratio`` (ratio > 1:
        over-represented), sorted by ratio.

    Examples
    --------
    >>> items = pl.DataFrame({"region": ["Europe"] * 3 + ["Africa"]})
    >>> ref = pl.DataFrame({"region": ["Europe", "Africa"], "population": [750, 1400]})
    >>> coverage(items, "region", ref)["ratio"].round(2).to_list()
    [0.38, 2.15]
    """
    frame = _frame(items)
    _need(frame, [group])
    counts = frame.group_by(group).len().rename({"len": "items"})
    if reference is None:
        ref = counts.select(group).with_columns(pl.lit(1.0).alias(reference_value))
    else:
        ref = as_polars(reference, "The reference table")
        _need(ref, [group, reference_value], "The reference table")
    joined = (
        ref.select(group, pl.col(reference_value).cast(pl.Float64).alias("reference"))
        .join(counts, on=group, how="full", coalesce=True)
        .fill_null(0)
    )
    unknown = joined.filter(pl.col("reference") == 0)[group].to_list()
    if unknown:
        warnings.warn(
            f"Group(s) {format_items(unknown)} have items but no reference value.",
            HierlabWarning,
            stacklevel=2,
        )
    return (
        joined.with_columns(
            item_share=pl.col("items") / pl.col("items").sum(),
            reference_share=pl.col("reference") / pl.col("reference").sum(),
        )
        .with_columns(ratio=pl.col("item_share") / pl.col("reference_share"))
        .rename({group: "group"})
        .select("group", "items", "item_share", "reference", "reference_share", "ratio")
        .sort("ratio")
    )
