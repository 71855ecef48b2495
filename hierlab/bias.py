"""Regional (or any group) bias: disaggregation, disparities, tests, shrinkage, coverage.

Results are disaggregated along a hierarchy, summarised as disparities, tested with
logistic regressions, adjusted by IRT, pooled down the tree and compared with coverage.

Input is a long results table: one row per (model, item) with a per-item outcome
(``correct``: 0/1, or a score in [0, 1] such as Acc@k, a path score or hF) and the item's
group columns (region, country ...) or its node in a Tree, from which the group at any
depth is taken. Uncertainty:

* proportions (0/1 outcomes) get Wilson intervals;
* everything else, and every disparity summary, gets a **cluster bootstrap**: items (or
  larger clusters such as countries) are resampled with replacement within each group, so
  that the several models' answers to one item stay together;
* tests use logistic regressions with standard errors clustered by item (statsmodels) and
  return :class:`~hierlab.results.TestResult`.

Groups smaller than ``min_size`` items are marked (``small``), never silently dropped.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from hierlab._tables import as_polars, require_columns
from hierlab.errors import (
    EmptyInputError,
    HierlabWarning,
    InputTypeError,
    InvalidValueError,
    format_items,
)
from hierlab.results import Result, Summary, TestResult
from hierlab.stats import (
    adjust_pvalues,
    check_confidence,
    check_correction,
    coefficient_table,
    fit_logit,
    wald_test,
    wilson_interval,
)
from hierlab.tree import Tree, as_tree

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


def _frame(
    results: Any, what: str = "`results`", columns: list[str | None] | None = None
) -> pl.DataFrame:
    frame = as_polars(results, what, columns=columns)
    if frame.height == 0:
        raise EmptyInputError(f"{what} is empty: it has no rows.")
    return frame


def _column(name: Any, what: str) -> str:
    if not isinstance(name, str):
        raise InputTypeError(f"`{what}` must be a column name (a string), got {name!r}.")
    return name


def _paths_at_depth(tree: Tree, nodes: np.ndarray, depth: int) -> pl.Series:
    """Path (joined by " / ") of each node's ancestor at ``depth`` (null if shallower)."""
    anc = tree.ancestor_at(nodes, depth)
    found = anc >= 0
    paths = np.full(len(anc), None, dtype=object)
    paths[found] = tree.paths(anc[found], sep=" / ")
    return pl.Series(paths.tolist(), dtype=pl.String)


@dataclass(frozen=True, eq=False)
class Disaggregation(Result):
    """An outcome by model and group, with counts, intervals and bootstrap replicates.

    Attributes
    ----------
    table : polars.DataFrame
        ``model, group, n, estimate, ci_low, ci_high, interval, small`` (``n`` counts
        items; ``small`` marks groups below ``min_size`` items).
    replicates : numpy.ndarray
        Bootstrap estimates, shape (n_boot, n_groups, n_models) (NaN where a model has no
        result in a group); used by :func:`disparity`.
    groups : tuple of str
        The groups, in the order of the replicates' second axis.
    models : tuple of str
        The models, in the order of the replicates' third axis.
    group : str
        The grouping (the column, or the name given to a tree depth).
    correct : str
        The outcome column.
    confidence : float
        Confidence level of the intervals.
    min_size : int
        Groups with fewer items are marked ``small``.

    Examples
    --------
    >>> results = pl.DataFrame({"model": ["m"] * 4, "item": list("abcd"),
    ...                         "correct": [1, 0, 1, 1], "region": ["X", "X", "Y", "Y"]})
    >>> d = disaggregate(results, "region", n_boot=0, min_size=1)
    >>> d.to_polars()["estimate"].to_list()
    [0.5, 1.0]
    """

    table: pl.DataFrame
    replicates: np.ndarray
    groups: tuple[str, ...]
    models: tuple[str, ...]
    group: str
    correct: str
    confidence: float
    min_size: int

    def summary(self) -> Summary:
        """Summarise the disaggregation: sizes and the estimates table.

        Returns
        -------
        Summary
        """
        n_small = int(self.table["small"].sum())
        notes = (
            [f"{n_small} model x group cell(s) have fewer than {self.min_size} items (small)."]
            if n_small
            else []
        )
        return Summary(
            f"{self.correct} by model and {self.group}",
            facts=[
                ("models", len(self.models)),
                ("groups", len(self.groups)),
                ("interval", self.table["interval"][0]),
                ("confidence", self.confidence),
                ("bootstrap resamples", self.replicates.shape[0]),
            ],
            tables={"estimates": self.table},
            notes=notes,
        )

    def to_polars(self) -> pl.DataFrame:
        """Return the estimates table (one row per model and group).

        Returns
        -------
        polars.DataFrame
        """
        return self.table


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


def _codes(values: pl.Series, levels: list[str], name: str) -> pl.DataFrame:
    return pl.DataFrame({values.name: levels, name: np.arange(len(levels), dtype=np.int64)})


def disaggregate(
    results: Any,
    group: str,
    *,
    correct: str = "correct",
    model: str = "model",
    item: str = "item",
    cluster: str | None = None,
    tree: Tree | None = None,
    depth: int | None = None,
    node: str = "node",
    min_size: int = 30,
    n_boot: int = 2000,
    confidence: float = 0.95,
    seed: int | np.random.Generator = 0,
) -> Disaggregation:
    """Compute an outcome by model and group, with counts, intervals and bootstrap replicates.

    Parameters
    ----------
    results : polars or pandas DataFrame
        Long results: ``model, item``, the outcome, and the ``group`` column (or, with
        ``tree``, the ``node`` column).
    group : str
        The group column; with ``tree`` and ``depth``, the name given to the groups taken
        from each item's ancestor at that depth (e.g. ``group="region", depth=1``).
    correct : str, default "correct"
        The outcome column: 0/1 (Wilson intervals) or any score in [0, 1] (bootstrap).
    model : str, default "model"
        Column of the AI model.
    item : str, default "item"
        Column of the item.
    cluster : str, optional
        Resample these clusters (e.g. ``"country"``) within groups instead of items.
    tree : Tree, optional
        A tree whose nodes hold the items (groups are then the nodes at ``depth``).
    depth : int, optional
        With ``tree``: the depth whose nodes are the groups.
    node : str, default "node"
        With ``tree``: the column of each item's node (id or path).
    min_size : int, default 30
        Groups with fewer items are marked ``small``.
    n_boot : int, default 2000
        Bootstrap resamples (0 to skip; :func:`disparity` and non-binary outcomes need
        them).
    confidence : float, default 0.95
        Confidence level of the intervals.
    seed : int or numpy.random.Generator, default 0
        Randomness of the bootstrap; the same seed gives the same numbers.

    Returns
    -------
    Disaggregation

    Examples
    --------
    >>> from hierlab.datasets import load_demo
    >>> demo = load_demo(n_items=300, n_models=3, seed=0)
    >>> d = disaggregate(demo.results, "region", n_boot=200)
    >>> d.table.columns
    ['model', 'group', 'n', 'estimate', 'ci_low', 'ci_high', 'interval', 'small']
    """
    needed = [model, item, correct, cluster] + ([node] if tree is not None else [group])
    frame = _frame(results, columns=needed)  # a LazyFrame is collected with these alone
    for value, name in ((group, "group"), (correct, "correct"), (model, "model"), (item, "item")):
        _column(value, name)
    confidence = check_confidence(confidence)
    if isinstance(n_boot, bool) or not isinstance(n_boot, int | np.integer) or n_boot < 0:
        raise InvalidValueError(f"`n_boot` must be a non-negative integer, got {n_boot!r}.")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    if tree is not None:
        tree = as_tree(tree)
        if isinstance(depth, bool) or not isinstance(depth, int | np.integer):
            raise InvalidValueError(
                f"With a tree, give the depth whose nodes are the groups (depth=1, 2 ...), "
                f"got depth={depth!r}."
            )
        require_columns(frame, [model, item, correct, node], "The results table")
        nodes = tree.node_ids(frame[node], what=f"the {node!r} column")
        frame = frame.with_columns(_paths_at_depth(tree, nodes, int(depth)).alias(group))
    unit_col = cluster or item
    require_columns(frame, [model, item, correct, group, unit_col], "The results table")
    frame = frame.filter(pl.col(group).is_not_null() & pl.col(correct).is_not_null())
    if frame.height == 0:
        raise EmptyInputError(f"No rows have both a {group!r} and a {correct!r} value.")
    values = frame[correct].cast(pl.Float64)
    binary = bool(values.is_in([0.0, 1.0]).all())
    grouped = frame.select(
        pl.col(model).cast(pl.String).alias("m"),
        pl.col(group).cast(pl.String).alias("g"),
        pl.col(unit_col).cast(pl.String).alias("u"),
        pl.col(item).cast(pl.String).alias("i"),
        values.alias("y"),
    )
    models = sorted(grouped["m"].unique().to_list())
    groups = sorted(grouped["g"].unique().to_list())
    model_codes = _codes(grouped["m"], models, "mj")
    group_codes = _codes(grouped["g"], groups, "gj")
    agg = (
        grouped.group_by("m", "g")
        .agg(
            pl.len().alias("n"), pl.col("y").sum().alias("s"), pl.col("i").n_unique().alias("items")
        )
        .sort("m", "g")
        .join(model_codes, on="m", maintain_order="left")
        .join(group_codes, on="g", maintain_order="left")
    )
    # bootstrap: per (group, unit) sums and counts for every model
    units = grouped.group_by("g", "u", "m").agg(pl.col("y").sum().alias("s"), pl.len().alias("c"))
    unit_keys = (
        units.select("g", "u")
        .unique()
        .sort("g", "u")
        .with_row_index("k")
        .join(group_codes, on="g", maintain_order="left")
    )
    units = units.join(unit_keys.select("g", "u", "k"), on=["g", "u"]).join(model_codes, on="m")
    sums = np.zeros((unit_keys.height, len(models)))
    counts = np.zeros((unit_keys.height, len(models)))
    k, mj = units["k"].to_numpy(), units["mj"].to_numpy()
    sums[k, mj] = units["s"].to_numpy()
    counts[k, mj] = units["c"].to_numpy()
    reps = (
        _cluster_bootstrap(sums, counts, unit_keys["gj"].to_numpy(), len(groups), n_boot, rng)
        if n_boot > 0
        else np.full((0, len(groups), len(models)), np.nan)
    )
    est = agg["s"].to_numpy() / agg["n"].to_numpy()
    if binary:
        lo, hi = wilson_interval(agg["s"], agg["n"], confidence=confidence)
        interval = "wilson"
    else:
        if n_boot == 0:
            raise InvalidValueError(
                f"{correct!r} is not 0/1, so its intervals come from the bootstrap: "
                "give n_boot > 0."
            )
        gi, mi = agg["gj"].to_numpy(), agg["mj"].to_numpy()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            lo = np.nanquantile(reps[:, gi, mi], (1 - confidence) / 2, axis=0)
            hi = np.nanquantile(reps[:, gi, mi], (1 + confidence) / 2, axis=0)
        interval = "cluster bootstrap"
    table = pl.DataFrame(
        {
            "model": agg["m"],
            "group": agg["g"],
            "n": agg["items"].cast(pl.Int64),
            "estimate": est,
            "ci_low": lo,
            "ci_high": hi,
            "interval": interval,
            "small": agg["items"] < min_size,
        }
    )
    return Disaggregation(
        table=table,
        replicates=reps,
        groups=tuple(groups),
        models=tuple(models),
        group=group,
        correct=correct,
        confidence=confidence,
        min_size=int(min_size),
    )


def disparity(d: Disaggregation, *, confidence: float = 0.95, min_size: int = 0) -> pl.DataFrame:
    """Summarise each model's disparity across groups, with bootstrap intervals.

    ``gap`` = best - worst group, ``ratio`` = best / worst, ``relative_gap`` = ratio - 1
    (the "X% higher" of papers), ``spread`` = SD across groups, ``worst_group`` and
    ``best_group``; each number has a percentile interval from the same bootstrap
    replicates.

    Parameters
    ----------
    d : Disaggregation
        From :func:`disaggregate` with ``n_boot > 0``.
    confidence : float, default 0.95
        Confidence level of the percentile intervals.
    min_size : int, default 0
        Groups with fewer items are left out.

    Returns
    -------
    polars.DataFrame
        ``model, n_groups, worst_group, best_group``, and for each of ``gap, ratio,
        relative_gap, spread`` the value and its ``<name>_ci_low, <name>_ci_high``; one row
        per model with at least two groups.

    Examples
    --------
    >>> from hierlab.datasets import load_demo
    >>> demo = load_demo(n_items=300, n_models=3, seed=0)
    >>> disparity(disaggregate(demo.results, "region", n_boot=200))["gap"].min() > 0
    True
    """
    if not isinstance(d, Disaggregation):
        raise InputTypeError(
            f"`d` must be a Disaggregation (from disaggregate), got {type(d).__name__}."
        )
    confidence = check_confidence(confidence)
    if d.replicates.shape[0] == 0:
        raise InvalidValueError(
            "disparity needs bootstrap replicates: disaggregate with n_boot > 0."
        )
    measures = ("gap", "ratio", "relative_gap", "spread")
    tail = (1 - confidence) / 2
    group_index = {g: j for j, g in enumerate(d.groups)}
    rows = []
    for j, m in enumerate(d.models):  # a few models; the work is vectorised per model
        sub = d.table.filter((pl.col("model") == m) & (pl.col("n") >= min_size))
        keep = [group_index[g] for g in sub["group"].to_list()]
        if len(keep) < 2:
            continue
        point = sub["estimate"].to_numpy()
        stats_point = _disparity_stats(point[None, :])
        stats_reps = _disparity_stats(d.replicates[:, keep, j])
        row: dict[str, Any] = {
            "model": m,
            "n_groups": len(keep),
            "worst_group": sub["group"][int(np.argmin(point))],
            "best_group": sub["group"][int(np.argmax(point))],
        }
        for name in measures:
            row[name] = float(stats_point[name][0])
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                row[f"{name}_ci_low"] = float(np.nanquantile(stats_reps[name], tail))
                row[f"{name}_ci_high"] = float(np.nanquantile(stats_reps[name], 1 - tail))
        rows.append(row)
    schema: dict[str, Any] = {
        "model": pl.String,
        "n_groups": pl.Int64,
        "worst_group": pl.String,
        "best_group": pl.String,
    }
    for name in measures:
        schema.update(
            {name: pl.Float64, f"{name}_ci_low": pl.Float64, f"{name}_ci_high": pl.Float64}
        )
    return pl.DataFrame(rows, schema=schema, orient="row")


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


def _design(
    results: Any, correct: str, group: str, model: str | None, item: str
) -> tuple[Any, list[str]]:
    """Return the regression data (pandas: y, g, i and m) and the sorted groups."""
    frame = _frame(results)
    names = [correct, group, item] + ([model] if model else [])
    for value, what in zip(names, ["correct", "group", "item", "model"], strict=False):
        _column(value, what)
    require_columns(frame, names, "The results table")
    cols = [
        pl.col(correct).cast(pl.Float64).alias("y"),
        pl.col(group).cast(pl.String).alias("g"),
        pl.col(item).cast(pl.String).alias("i"),
    ]
    if model:
        cols.append(pl.col(model).cast(pl.String).alias("m"))
    data = frame.select(cols).drop_nulls()
    if data.height == 0:
        raise EmptyInputError(f"No rows have an outcome, a {group!r} and an item.")
    return data.to_pandas(), sorted(data["g"].unique().to_list())


def _separated(data: Any, group: str) -> tuple[str, ...]:
    """Warnings for groups whose outcomes are all 0 or all 1 (their log-odds are infinite)."""
    rates = data.groupby("g")["y"].mean()
    flat = [str(g) for g, r in rates.items() if r in (0.0, 1.0)]
    if not flat:
        return ()
    return (
        f"{len(flat)} {group} group(s) have all outcomes equal ({format_items(flat)}): their "
        "effects are not estimable (separation); merge or drop them.",
    )


def heterogeneity_test(
    results: Any,
    group: str,
    *,
    correct: str = "correct",
    model: str | None = "model",
    item: str = "item",
    reference_group: str | None = None,
) -> TestResult:
    """Test whether groups differ: group effects in a logistic regression, Wald test.

    The regression has group fixed effects (against ``reference_group``) and model fixed
    effects, with standard errors clustered by item; the Wald chi-square tests that every
    group effect is 0.

    Parameters
    ----------
    results : polars or pandas DataFrame
        Long results with ``model, item``, the outcome and the group column.
    group : str
        The group column.
    correct : str, default "correct"
        The outcome column (0/1, or a score in [0, 1] as a fractional response).
    model : str or None, default "model"
        Column of the AI model (None to leave out the model fixed effects).
    item : str, default "item"
        Column of the item (the cluster of the standard errors).
    reference_group : str, optional
        The group the others are compared with (default: the first in sorted order).

    Returns
    -------
    TestResult
        ``table``: ``group, estimate, se, statistic, p_value, ci_low, ci_high`` (each
        group's log-odds effect against the reference group); ``fitted``: the statsmodels
        fit.

    Examples
    --------
    >>> from hierlab.datasets import load_demo
    >>> demo = load_demo(n_items=400, n_models=4, seed=0)
    >>> heterogeneity_test(demo.results, "region").p_value < 0.05
    True
    """
    data, levels = _design(results, correct, group, model, item)
    if len(levels) < 2:
        raise InvalidValueError(
            f"Heterogeneity needs at least two groups; {group!r} has {format_items(levels)}."
        )
    ref = levels[0] if reference_group is None else str(reference_group)
    if ref not in levels:
        raise InvalidValueError(
            f"`reference_group` {ref!r} is not a value of {group!r}; it has {format_items(levels)}."
        )
    rhs = f"C(g, Treatment({ref!r}))" + (" + C(m)" if model else "")
    fitted = fit_logit(f"y ~ {rhs}", data, data["i"])
    names = [n for n in fitted.params.index if n.startswith("C(g")]
    test = wald_test(
        fitted,
        [{n: 1.0} for n in names],
        null_hypothesis=f"every {group} has the same log-odds of {correct} as {ref!r}"
        + (", given the model" if model else ""),
    )
    effects = coefficient_table(
        fitted, names, labels=[n.split("[T.")[1].rstrip("]") for n in names], term="group"
    )
    return TestResult(
        method="Wald chi-square test of group effects (logistic regression"
        + (" with model fixed effects" if model else "")
        + ", item-clustered SEs)",
        statistic=test.statistic,
        df=test.df,
        p_value=test.p_value,
        null_hypothesis=test.null_hypothesis,
        table=effects,
        warnings=_separated(data, group),
        fitted=fitted,
    )


def group_vs_rest(
    results: Any,
    group: str,
    *,
    correct: str = "correct",
    model: str | None = "model",
    item: str = "item",
    correction: str | None = "holm",
) -> pl.DataFrame:
    """Compare each group with all the others: log-odds difference, corrected p-values.

    One logistic regression per group (a group indicator plus model fixed effects, SEs
    clustered by item); the p-values are corrected over the groups.

    Parameters
    ----------
    results : polars or pandas DataFrame
        Long results with ``model, item``, the outcome and the group column.
    group : str
        The group column.
    correct : str, default "correct"
        The outcome column.
    model : str or None, default "model"
        Column of the AI model (None to leave out the model fixed effects).
    item : str, default "item"
        Column of the item (the cluster of the standard errors).
    correction : {"holm", "bh", "bonferroni"} or None, default "holm"
        Multiple-testing correction over the groups.

    Returns
    -------
    polars.DataFrame
        ``group, estimate, se, odds_ratio, statistic, p_value, p_adjusted, correction``
        (``estimate`` is the group's log-odds difference from the rest, ``statistic`` its
        Wald z), sorted by ``p_value``.

    Examples
    --------
    >>> from hierlab.datasets import load_demo
    >>> demo = load_demo(n_items=400, n_models=4, seed=0)
    >>> group_vs_rest(demo.results, "region").columns[-3:]
    ['p_value', 'p_adjusted', 'correction']
    """
    from scipy.stats import norm

    correction = check_correction(correction)
    data, levels = _design(results, correct, group, model, item)
    if len(levels) < 2:
        raise InvalidValueError(
            f"Comparing groups needs at least two; {group!r} has {format_items(levels)}."
        )
    rows = []
    for g in levels:  # one regression per group (few groups)
        data["is_g"] = (data["g"] == g).astype(float)
        fitted = fit_logit("y ~ is_g" + (" + C(m)" if model else ""), data, data["i"])
        b, se = float(fitted.params["is_g"]), float(fitted.bse["is_g"])
        z = b / se
        rows.append((g, b, se, float(np.exp(b)), z, float(2 * norm.sf(abs(z)))))
    out = pl.DataFrame(
        rows,
        schema=["group", "estimate", "se", "odds_ratio", "statistic", "p_value"],
        orient="row",
    )
    return out.with_columns(
        p_adjusted=pl.Series(adjust_pvalues(out["p_value"], correction)),
        correction=pl.lit(correction or "none"),
    ).sort("p_value")


def model_group_interaction(
    results: Any,
    group: str,
    model_a: str,
    model_b: str,
    *,
    correct: str = "correct",
    model: str = "model",
    item: str = "item",
) -> TestResult:
    """Test whether one model's group gaps differ from another's (model x group interaction).

    A logistic regression of the two models' results on group, model and their
    interaction (SEs clustered by item); the Wald chi-square tests that every
    interaction term is 0.

    Parameters
    ----------
    results : polars or pandas DataFrame
        Long results with ``model, item``, the outcome and the group column.
    group : str
        The group column.
    model_a : str
        The first model (the baseline of the interaction).
    model_b : str
        The second model.
    correct : str, default "correct"
        The outcome column.
    model : str, default "model"
        Column of the AI model.
    item : str, default "item"
        Column of the item (the cluster of the standard errors).

    Returns
    -------
    TestResult
        ``table``: ``group, estimate, se, statistic, p_value, ci_low, ci_high``, how much
        more model b's log-odds change than model a's between the reference group (the
        first in sorted order) and each other group.

    Examples
    --------
    >>> from hierlab.datasets import load_demo
    >>> demo = load_demo(n_items=400, n_models=4, seed=0)
    >>> a, b = demo.results["model"].unique(maintain_order=True)[:2]
    >>> model_group_interaction(demo.results, "region", a, b).df
    4.0
    """
    for value, what in ((model_a, "model_a"), (model_b, "model_b")):
        if not isinstance(value, str):
            raise InputTypeError(f"`{what}` must be a model name (a string), got {value!r}.")
    frame = _frame(results)
    require_columns(frame, [_column(model, "model")], "The results table")
    pair = frame.filter(pl.col(model).cast(pl.String).is_in([model_a, model_b]))
    found = set(pair[model].cast(pl.String).unique().to_list())
    if found != {model_a, model_b}:
        raise InvalidValueError(
            f"Model(s) {format_items(sorted({model_a, model_b} - found))} have no results in "
            f"the {model!r} column."
        )
    data, levels = _design(pair, correct, group, model, item)
    if len(levels) < 2:
        raise InvalidValueError(
            f"An interaction needs at least two groups; {group!r} has {format_items(levels)}."
        )
    data["is_b"] = (data["m"] == model_b).astype(float)
    fitted = fit_logit("y ~ C(g) * is_b", data, data["i"])
    names = [n for n in fitted.params.index if n.endswith(":is_b")]
    test = wald_test(
        fitted,
        [{n: 1.0} for n in names],
        null_hypothesis=f"{model_b}'s differences between {group} groups equal {model_a}'s",
    )
    effects = coefficient_table(
        fitted,
        names,
        labels=[n.split("[T.")[1].split("]")[0] for n in names],
        term="group",
    )
    return TestResult(
        method="Wald chi-square test of the model x group interaction "
        "(logistic regression, item-clustered SEs)",
        statistic=test.statistic,
        df=test.df,
        p_value=test.p_value,
        null_hypothesis=test.null_hypothesis,
        table=effects,
        warnings=_separated(data, group),
        fitted=fitted,
    )


def irt_adjusted_effects(
    results: Any,
    group: str,
    *,
    model: str = "model",
    item: str = "item",
    correct: str = "correct",
    confidence: float = 0.95,
) -> pl.DataFrame:
    """Estimate group effects on item easiness with model abilities controlled.

    A thin wrapper of :func:`hierlab.irt.explain_difficulty` (explanatory IRT) with the
    group as the item covariate: a negative effect means items of that group are harder
    than the reference group's (the first in sorted order) for the same models.

    Parameters
    ----------
    results : polars or pandas DataFrame
        Long results with ``model, item``, the outcome and the group column.
    group : str
        The group column.
    model : str, default "model"
        Column of the AI model.
    item : str, default "item"
        Column of the item.
    correct : str, default "correct"
        The outcome column.
    confidence : float, default 0.95
        Confidence level of the intervals.

    Returns
    -------
    polars.DataFrame
        ``group, estimate, se, statistic, p_value, ci_low, ci_high, odds_ratio``.

    Examples
    --------
    >>> from hierlab.datasets import load_demo
    >>> demo = load_demo(n_items=300, n_models=6, seed=2)
    >>> irt_adjusted_effects(demo.results, "region").columns[:3]
    ['group', 'estimate', 'se']
    """
    from hierlab.irt import explain_difficulty

    fit = explain_difficulty(
        results,
        [_column(group, "group")],
        model=model,
        item=item,
        correct=correct,
        confidence=confidence,
    )
    return fit.coefficients.with_columns(group=pl.col("term").str.extract(r"\[T\.(.*)\]$")).select(
        "group", "estimate", "se", "statistic", "p_value", "ci_low", "ci_high", "odds_ratio"
    )


def shrink_along_tree(
    tree: Tree,
    results: Any,
    *,
    node: str = "node",
    correct: str = "correct",
    max_depth: int | None = None,
) -> pl.DataFrame:
    """Pool rates down a hierarchy with empirical-Bayes beta-binomial shrinkage.

    Starting from the overall rate at the root, each node's rate is pulled towards its
    parent's *pooled* rate: ``pooled = (k + m * parent_pooled) / (n + m)``, where ``k`` of
    ``n`` results in the node's subtree are right and the prior strength ``m`` of a depth
    is estimated by the method of moments from how much that depth's raw rates vary
    beyond binomial noise (``m = mu (1 - mu) / tau^2 - 1``, pooled over the depth). A
    country with few items thus borrows strength from its sub-region, which borrows from
    its region. Use one model's results (or pool models deliberately).

    Parameters
    ----------
    tree : Tree
        The hierarchy the items sit in.
    results : polars or pandas DataFrame
        One row per result with the item's node and the outcome.
    node : str, default "node"
        Column of each result's node (id or path).
    correct : str, default "correct"
        The outcome column (0/1, or a score in [0, 1]).
    max_depth : int, optional
        The deepest depth to pool (default: the tree's).

    Returns
    -------
    polars.DataFrame
        ``node, path, depth, n, raw, pooled, parent_pooled, prior_strength``, one row per
        node below the root with results.

    Examples
    --------
    >>> from hierlab.datasets import load_demo
    >>> demo = load_demo(n_items=300, n_models=2, seed=0)
    >>> res = demo.results.filter(pl.col("model") == "Aurora").join(demo.items.select("item", "node"), on="item")
    >>> s = shrink_along_tree(demo.tree, res, max_depth=3)
    >>> bool((s["pooled"] - s["raw"]).abs().max() > 0)
    True
    """
    tree = as_tree(tree)
    frame = _frame(results)
    require_columns(frame, [_column(node, "node"), _column(correct, "correct")], "`results`")
    frame = frame.filter(pl.col(correct).is_not_null())
    nodes = tree.node_ids(frame[node], what=f"the {node!r} column")
    y = frame[correct].cast(pl.Float64).to_numpy()
    if len(y) == 0 or (y < 0).any() or (y > 1).any():
        raise InvalidValueError(
            f"{correct!r} must hold outcomes in [0, 1] (and at least one), got "
            f"{format_items(np.unique(y[(y < 0) | (y > 1)]).tolist()) or 'none'}."
        )
    if max_depth is not None and (
        isinstance(max_depth, bool) or not isinstance(max_depth, int | np.integer)
    ):
        raise InputTypeError(f"`max_depth` must be an integer depth, got {max_depth!r}.")
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
    for d in range(1, top + 1):  # loop over depths, vectorised over nodes
        at_d = np.flatnonzero((tree.depth == d) & (n_all > 0))
        if len(at_d) == 0:
            break
        raw = k_all[at_d] / n_all[at_d]
        mu = pooled[tree.parent[at_d]]
        n = n_all[at_d]
        # between-node variance beyond binomial noise, relative to the parents' rates
        excess = np.average((raw - mu) ** 2 - mu * (1 - mu) / n, weights=n)
        base = np.average(mu * (1 - mu), weights=n)
        m = base / excess - 1 if excess > 1e-12 else 1e6
        m = float(np.clip(m, 0.0, 1e6))
        pooled[at_d] = (k_all[at_d] + m * mu) / (n + m)
        strength[at_d] = m
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
        },
        schema_overrides={"path": pl.String},
    )


def coverage(
    items: Any,
    group: str,
    *,
    reference: Any = None,
    reference_value: str = "population",
) -> pl.DataFrame:
    """Compare the items per group with a reference share (countries, population ...).

    Parameters
    ----------
    items : polars or pandas DataFrame
        One row per item, with the ``group`` column.
    group : str
        The group column.
    reference : polars or pandas DataFrame, optional
        A table with the ``group`` and ``reference_value`` columns (default: one per
        group present, so the reference share is uniform over the groups).
    reference_value : str, default "population"
        The column of ``reference`` holding each group's size.

    Returns
    -------
    polars.DataFrame
        ``group, items, item_share, reference, reference_share, ratio`` (ratio > 1:
        over-represented), sorted by ratio.

    Examples
    --------
    >>> items = pl.DataFrame({"region": ["Europe"] * 3 + ["Africa"]})
    >>> ref = pl.DataFrame({"region": ["Europe", "Africa"], "population": [750, 1400]})
    >>> coverage(items, "region", reference=ref)["ratio"].round(2).to_list()
    [0.38, 2.15]
    """
    frame = _frame(items, "`items`")
    require_columns(frame, [_column(group, "group")], "The items table")
    counts = frame.group_by(group).len().rename({"len": "items"})
    if reference is None:
        ref = counts.select(group).with_columns(pl.lit(1.0).alias(reference_value))
    else:
        ref = as_polars(reference, "`reference`")
        require_columns(ref, [group, _column(reference_value, "reference_value")], "`reference`")
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
