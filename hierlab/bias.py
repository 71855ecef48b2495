"""Regional (or any group) bias: disaggregation, disparities, contrasts, tests, shrinkage.

Results are disaggregated along a hierarchy, summarised as disparities and directed
contrasts, tested with logistic regressions, adjusted by IRT, pooled down the tree and
compared with coverage.

Input is a long results table: one row per (model, item) with a per-item outcome
(``correct``: 0/1, or a score in [0, 1] such as Acc@k, a path score or hF) and the item's
group columns (region, country ...) or its node in a Tree, from which the group at any
depth is taken. Every table passes :func:`hierlab.stats.check_results`: a duplicated
(model, item), an outcome outside [0, 1], a NaN or a null group is a named error (nulls
in the group may instead be dropped or kept as a group, by ``on_missing=``), never a
silent count. Uncertainty:

* proportions (0/1 outcomes) get Wilson intervals; a directed contrast of two groups gets
  Newcombe's interval for the difference and the MOVER-R interval for the ratio;
* everything else gets a **cluster bootstrap**: items (or larger clusters such as
  countries) are resampled with replacement within each group, so that the several
  models' answers to one item stay together;
* best-versus-worst disparities use **simultaneous** (max-T) intervals over every pair of
  ranked groups, so they stay valid after the best and worst were picked, and can
  include 0 (no gap);
* tests use logistic regressions with standard errors clustered by item (statsmodels) and
  return :class:`~hierlab.results.TestResult`; where a group's outcomes are all 0 or all
  1 (separation) or a group is sparse, a
  :class:`~hierlab.errors.SeparationWarning` is raised and the test falls back to an
  item-permutation test with Firth-penalised estimates.

Groups smaller than ``min_size`` items are marked (``small``) and never ranked, never
silently dropped.
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
    MissingValueError,
    SeparationWarning,
    format_items,
)
from hierlab.results import Result, Summary, TestResult
from hierlab.stats import (
    adjust_pvalues,
    check_confidence,
    check_correction,
    check_on_missing,
    check_results,
    coefficient_table,
    fit_firth_cells,
    fit_logit,
    item_permutation_test,
    newcombe_interval,
    ratio_interval,
    separated_cells,
    wald_test,
    wilson_interval,
    z_value,
)
from hierlab.tree import Tree, as_tree

__all__ = [
    "Disaggregation",
    "Disparity",
    "contrast",
    "coverage",
    "disaggregate",
    "disparity",
    "group_vs_rest",
    "heterogeneity_test",
    "irt_adjusted_effects",
    "model_group_interaction",
    "shrink_along_tree",
]

#: Fewest successes (and failures) a group needs before its regression test is trusted.
SPARSE_COUNT = 5
#: Up to this many groups, Firth fallbacks give profile intervals (Wald beyond).
PROFILE_GROUPS = 12


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


def _check_int(value: Any, what: str, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise InvalidValueError(f"`{what}` must be an integer >= {minimum}, got {value!r}.")
    return int(value)


def _rng(seed: Any) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise InputTypeError(f"`seed` must be an int or a numpy Generator, got {seed!r}.")
    return np.random.default_rng(int(seed))


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
    binary : bool
        Whether the outcome is 0/1 (then counts give score intervals).
    cluster : str or None
        The resampling unit of the bootstrap when it is larger than an item (None: items).
    n_units : tuple of int
        Resampling units (items or clusters) of each group, in the order of ``groups``.

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
    binary: bool = True
    cluster: str | None = None
    n_units: tuple[int, ...] = ()

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


def _expanded_tail(confidence: float, clusters: Any) -> np.ndarray:
    """Tail probability of the expanded percentile interval (Hesterberg 2015).

    Percentile intervals from few clusters are too narrow (the bootstrap variance is
    ``(G - 1) / G`` of the variance and ignores the t distribution); taking the
    percentiles at ``Phi(-sqrt(G / (G - 1)) t_{G-1}(1 - alpha / 2))`` instead of
    ``alpha / 2`` corrects both.
    """
    from scipy.stats import norm, t

    g = np.maximum(np.asarray(clusters, dtype=float), 2.0)
    return norm.cdf(-np.sqrt(g / (g - 1)) * t.ppf(0.5 + confidence / 2, g - 1))


def _column_quantiles(x: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Quantile ``q[c]`` of each column ``x[:, c]``, ignoring NaN (as ``np.nanquantile``)."""
    ordered = np.sort(x, axis=0)  # NaN sort last
    valid = np.sum(~np.isnan(x), axis=0)
    h = np.maximum(valid - 1, 0) * q
    below = np.floor(h).astype(np.int64)
    above = np.minimum(below + 1, np.maximum(valid - 1, 0))
    cols = np.arange(x.shape[1])
    low, high = ordered[below, cols], ordered[above, cols]
    out = low + (h - below) * (high - low)
    return np.where(valid > 0, out, np.nan)


def _codes(values: pl.Series, levels: list[str], name: str) -> pl.DataFrame:
    return pl.DataFrame({values.name: levels, name: np.arange(len(levels), dtype=np.int64)})


def _tree_groups(
    frame: pl.DataFrame,
    tree: Tree,
    depth: Any,
    node: str,
    group: str,
    on_missing: str,
    keys: list[str],
) -> pl.DataFrame:
    """Add the ``group`` column: each row's ancestor at ``depth`` (nulls by ``on_missing``)."""
    if isinstance(depth, bool) or not isinstance(depth, int | np.integer) or depth < 1:
        raise InvalidValueError(
            f"With a tree, give the depth whose nodes are the groups (depth=1, 2 ...), "
            f"got depth={depth!r}."
        )
    null = frame[node].is_null()
    if null.any():
        rows = format_items(np.flatnonzero(null.to_numpy())[:8].tolist())
        if on_missing == "raise":
            raise MissingValueError(
                f"{int(null.sum())} row(s) have no {node!r} (rows {rows}); fill them in, or "
                "pass on_missing='drop' to leave them out or on_missing='group' to keep them "
                "as a group '(missing)'."
            )
    safe = frame.filter(~null) if null.any() else frame
    nodes = tree.node_ids(safe[node], what=f"the {node!r} column")
    groups = _paths_at_depth(tree, nodes, int(depth))
    if null.any():
        full = np.full(frame.height, None, dtype=object)
        full[~null.to_numpy()] = groups.to_numpy()
        groups = pl.Series(full.tolist(), dtype=pl.String)
    shallow = groups.is_null() & ~null
    if shallow.any() and on_missing == "raise":
        raise MissingValueError(
            f"{int(shallow.sum())} row(s) sit above depth {int(depth)} (their node has no "
            f"ancestor there), e.g. rows {format_items(np.flatnonzero(shallow.to_numpy())[:8].tolist())}; "
            "pass on_missing='drop' to leave them out or on_missing='group' to keep them as "
            "a group '(missing)'."
        )
    return frame.with_columns(groups.alias(group))


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
    on_missing: str = "raise",
    n_boot: int = 2000,
    confidence: float = 0.95,
    seed: int | np.random.Generator = 0,
) -> Disaggregation:
    """Compute an outcome by model and group, with counts, intervals and bootstrap replicates.

    Parameters
    ----------
    results : polars or pandas DataFrame
        Long results: ``model, item``, the outcome, and the ``group`` column (or, with
        ``tree``, the ``node`` column). One row per (model, item).
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
        Groups with fewer items are marked ``small`` (and :func:`disparity` does not rank
        them).
    on_missing : {"raise", "drop", "group"}, default "raise"
        Rows without a group (a null group, or a node above ``depth``): raise an error
        naming them, drop them, or keep them as a group ``"(missing)"``.
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
    if cluster is not None:
        _column(cluster, "cluster")
    confidence = check_confidence(confidence)
    n_boot = _check_int(n_boot, "n_boot")
    min_size = _check_int(min_size, "min_size")
    on_missing = check_on_missing(on_missing)
    rng = _rng(seed)
    if tree is not None:
        tree = as_tree(tree)
        require_columns(frame, [model, item, correct, _column(node, "node")], "The results table")
        frame = _tree_groups(frame, tree, depth, node, group, on_missing, [model, item])
    unit_col = cluster or item
    frame = check_results(
        frame,
        correct=correct,
        model=model,
        item=item,
        group=[group] + ([cluster] if cluster and cluster != item else []),
        on_missing=on_missing,
    )
    values = frame[correct]
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
    n_units = np.bincount(unit_keys["gj"].to_numpy(), minlength=len(groups))
    reps = (
        _cluster_bootstrap(sums, counts, unit_keys["gj"].to_numpy(), len(groups), n_boot, rng)
        if n_boot > 0
        else np.full((0, len(groups), len(models)), np.nan)
    )
    est = agg["s"].to_numpy() / agg["n"].to_numpy()
    if binary and unit_col == item:
        lo, hi = wilson_interval(agg["s"], agg["n"], confidence=confidence)
        interval = "wilson"
    else:
        if n_boot == 0:
            raise InvalidValueError(
                f"{correct!r} is not 0/1 (or clusters larger than items were given), so its "
                "intervals come from the bootstrap: give n_boot > 0."
            )
        gi, mi = agg["gj"].to_numpy(), agg["mj"].to_numpy()
        tails = _expanded_tail(confidence, np.asarray(n_units)[gi])
        cells = reps[:, gi, mi]
        lo, hi = _column_quantiles(cells, tails), _column_quantiles(cells, 1 - tails)
        interval = "cluster bootstrap (expanded percentile)"
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
        min_size=min_size,
        binary=binary,
        cluster=None if unit_col == item else unit_col,
        n_units=tuple(int(u) for u in n_units),
    )


@dataclass(frozen=True, eq=False)
class Disparity(Result):
    """Best-versus-worst disparities per model, valid after picking the best and worst.

    Each model's ranked groups (at least ``min_size`` items) are compared pair by pair
    with **simultaneous** intervals: the bootstrap distribution of the largest
    studentised deviation over every pair (max-T) gives one critical value for all
    pairs, so the interval of the pair that happens to be best minus worst keeps its
    coverage although that pair was chosen by looking at the data. With equal groups
    it contains 0 about ``confidence`` of the time (a best-minus-worst percentile
    interval never does). The max-T statistic also tests that all ranked groups are
    equal.

    Attributes
    ----------
    table : polars.DataFrame
        One row per model: ``model, n_groups`` (ranked), ``n_small`` (not ranked),
        ``best_group, worst_group, best, worst``, ``gap`` (best - worst) with
        ``gap_ci_low, gap_ci_high``, ``ratio`` (best / worst) and ``relative_gap``
        (ratio - 1, "X% higher") with their ``*_ci_low, *_ci_high``, ``statistic`` and
        ``p_value`` of the test that all ranked groups are equal (Pearson chi-square for
        0/1 outcomes, the largest studentised pairwise difference otherwise) and
        ``note`` (why a value is missing or unbounded).
    pairs : polars.DataFrame
        Every pair of ranked groups: ``model, group_a, group_b, difference, ci_low,
        ci_high, significant`` (simultaneous intervals; ``significant`` when 0 is
        outside).
    small : polars.DataFrame
        The groups left out of the ranking: ``model, group, n, estimate``.
    confidence : float
        Confidence level of the simultaneous intervals.
    min_size : int
        Fewest items of a ranked group.
    n_boot : int
        Bootstrap resamples behind the intervals.

    Examples
    --------
    >>> from hierlab.datasets import load_demo
    >>> demo = load_demo(n_items=300, n_models=3, seed=0)
    >>> disp = disparity(disaggregate(demo.results, "region", n_boot=200))
    >>> disp.table.columns[:4]
    ['model', 'n_groups', 'n_small', 'best_group']
    """

    table: pl.DataFrame
    pairs: pl.DataFrame
    small: pl.DataFrame
    confidence: float
    min_size: int
    n_boot: int

    def summary(self) -> Summary:
        """Summarise the disparities: the per-model table and the groups not ranked.

        Returns
        -------
        Summary
        """
        notes = []
        if self.small.height:
            notes.append(
                f"{self.small['group'].n_unique()} group(s) have fewer than {self.min_size} "
                "items for some model and are not ranked (see .small)."
            )
        return Summary(
            "Disparity: best minus worst group (simultaneous max-T bootstrap intervals)",
            facts=[
                ("models", self.table.height),
                ("confidence", self.confidence),
                ("smallest ranked group (items)", self.min_size),
                ("bootstrap resamples", self.n_boot),
            ],
            tables={
                "by model": self.table.select(
                    "model",
                    "best_group",
                    "worst_group",
                    "gap",
                    "gap_ci_low",
                    "gap_ci_high",
                    "relative_gap",
                    "p_value",
                )
            },
            notes=notes,
        )

    def to_polars(self) -> pl.DataFrame:
        """Return the per-model table.

        Returns
        -------
        polars.DataFrame
        """
        return self.table


def _variance_floor(var: np.ndarray, est: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Bootstrap variances; a group whose replicates never vary gets a binomial floor.

    A group all right (or all wrong) gets the variance of ``(k + 1) / (n + 2)``, not 0.
    """
    tilde = (est * n + 1) / (n + 2)
    return np.where(var > 0, var, tilde * (1 - tilde) / (n + 2))


def _homogeneity(k: np.ndarray, n: np.ndarray) -> tuple[float, float]:
    """Pearson chi-square test that independent proportions ``k / n`` are all equal."""
    from scipy.stats import chi2

    pooled = k.sum() / n.sum()
    if pooled in (0.0, 1.0):
        return 0.0, 1.0
    statistic = float(np.sum((k - n * pooled) ** 2 / (n * pooled * (1 - pooled))))
    return statistic, float(chi2.sf(statistic, len(k) - 1))


def _t_over_z(confidence: float, units: float) -> float:
    """Ratio of the t quantile (``units - 1`` df) to the normal quantile."""
    from scipy.stats import norm, t

    q = 0.5 + confidence / 2
    return float(t.ppf(q, max(units - 1, 1)) / norm.ppf(q))


def _max_t(reps: np.ndarray, est: np.ndarray, var: np.ndarray) -> tuple[np.ndarray, float]:
    """(B,) bootstrap max over pairs of |(d*_ab - d_ab)| / s_ab and the observed max |d|/s."""
    k = len(est)
    null = np.zeros(reps.shape[0])
    observed = 0.0
    centred = reps - est[None, :]
    for a in range(k - 1):  # loop over groups; pairs with a are vectorised
        s = np.sqrt(var[a] + var[a + 1 :])
        dev = np.abs(centred[:, [a]] - centred[:, a + 1 :]) / s[None, :]
        null = np.maximum(null, dev.max(axis=1))
        observed = max(observed, float(np.max(np.abs(est[a] - est[a + 1 :]) / s)))
    return null, observed


def disparity(d: Disaggregation, *, confidence: float = 0.95, min_size: int = 30) -> Disparity:
    """Summarise each model's best-versus-worst disparity with simultaneous intervals.

    Among the groups with at least ``min_size`` items (smaller groups are listed in
    ``.small`` and not ranked), ``gap`` = best - worst, ``ratio`` = best / worst and
    ``relative_gap`` = ratio - 1 (the "X% higher" of papers). Their intervals are
    simultaneous over every pair of ranked groups: the bootstrap distribution of the
    largest studentised pairwise deviation (max-T, from the cluster bootstrap of
    :func:`disaggregate`) sets one critical value for all pairs, so the intervals remain
    valid after the best and worst were chosen and can contain 0 (or 1): "no gap" is a
    possible answer. For 0/1 outcomes with items as the unit, each pair's interval is
    Newcombe's (difference) or MOVER-R (ratio) at the confidence level that critical
    value implies, which keeps small groups near 0 or 1 honest; otherwise it is the
    studentised bootstrap interval with small-sample corrections (variances times
    G / (G - 1) and the critical value times t_{G-1} / z, G the smallest group's
    clusters). ``p_value`` tests that all ranked groups are equal (Pearson chi-square
    for 0/1 outcomes, the max-T bootstrap otherwise).
    Use :func:`contrast` for two groups named in advance (narrower intervals).

    Parameters
    ----------
    d : Disaggregation
        From :func:`disaggregate` with ``n_boot > 0``.
    confidence : float, default 0.95
        Simultaneous confidence level.
    min_size : int, default 30
        Fewest items of a ranked group.

    Returns
    -------
    Disparity

    Examples
    --------
    >>> from hierlab.datasets import load_demo
    >>> demo = load_demo(n_items=300, n_models=3, seed=0)
    >>> disp = disparity(disaggregate(demo.results, "region", n_boot=200))
    >>> bool((disp.table["gap_ci_low"] <= disp.table["gap"]).all())
    True
    """
    from scipy.stats import norm

    if not isinstance(d, Disaggregation):
        raise InputTypeError(
            f"`d` must be a Disaggregation (from disaggregate), got {type(d).__name__}."
        )
    confidence = check_confidence(confidence)
    min_size = _check_int(min_size, "min_size")
    n_boot = d.replicates.shape[0]
    if n_boot < 50:
        raise InvalidValueError(
            f"disparity needs bootstrap replicates (it has {n_boot}): disaggregate with "
            "n_boot >= 50 (2000 for publication)."
        )
    group_index = {g: j for j, g in enumerate(d.groups)}
    rows, pair_rows, small_rows = [], [], []
    for j, m in enumerate(d.models):  # a few models; the work is vectorised per model
        sub = d.table.filter(pl.col("model") == m)
        ranked = sub.filter(pl.col("n") >= min_size)
        for r in sub.filter(pl.col("n") < min_size).iter_rows(named=True):
            small_rows.append((m, r["group"], r["n"], r["estimate"]))
        row: dict[str, Any] = {
            "model": m,
            "n_groups": ranked.height,
            "n_small": sub.height - ranked.height,
        }
        if ranked.height < 2:
            row["note"] = (
                f"{ranked.height} group(s) have at least {min_size} items: a disparity needs "
                "two (lower min_size, or merge groups)."
            )
            rows.append(row)
            continue
        idx = [group_index[g] for g in ranked["group"].to_list()]
        names = ranked["group"].to_list()
        est = ranked["estimate"].to_numpy()
        n = ranked["n"].to_numpy().astype(float)
        reps = d.replicates[:, idx, j]
        units = np.asarray(d.n_units, dtype=float)[idx] if d.n_units else n
        units = np.maximum(units, 2.0)
        raw_var = _variance_floor(np.var(reps, axis=0, ddof=1), est, n)
        best, worst = int(np.argmax(est)), int(np.argmin(est))
        gap = float(est[best] - est[worst])
        counts = d.binary and d.cluster is None
        if counts:
            # 0/1 outcomes, items independent: score-type intervals (Newcombe for the
            # difference, MOVER-R for the ratio) at the level that the max-T critical
            # value implies, so small groups near 0 or 1 keep their coverage
            raw = float(np.quantile(_max_t(reps, est, raw_var)[0], confidence))
            level = float(2 * norm.cdf(raw) - 1)
            k = np.round(est * n)
            lo, hi = newcombe_interval(
                k[[best]], n[[best]], k[[worst]], n[[worst]], confidence=level
            )
            gap_lo, gap_hi = float(lo[0]), float(hi[0])
            chi2_stat, chi2_p = _homogeneity(k, n)
            statistic, p_value = chi2_stat, chi2_p
        else:
            # small-sample corrections: bootstrap variances x G / (G - 1), and the critical
            # value widened by t_{G-1} / z for the smallest group (as the expanded percentile)
            var = raw_var * units / (units - 1)
            null, observed = _max_t(reps, est, var)
            crit = float(np.quantile(null, confidence)) * _t_over_z(confidence, units.min())
            s_bw = float(np.sqrt(var[best] + var[worst]))
            gap_lo, gap_hi = gap - crit * s_bw, gap + crit * s_bw
            statistic = observed
            p_value = float((1 + np.sum(null >= observed - 1e-12)) / (n_boot + 1))
        row.update(
            best_group=names[best],
            worst_group=names[worst],
            best=float(est[best]),
            worst=float(est[worst]),
            gap=gap,
            gap_ci_low=gap_lo,
            gap_ci_high=gap_hi,
            statistic=statistic,
            p_value=p_value,
        )
        if est[worst] > 0:
            ratio = float(est[best] / est[worst])
            if counts:
                rlo, rhi = ratio_interval(
                    k[[best]], n[[best]], k[[worst]], n[[worst]], confidence=level
                )
                ratio_lo, ratio_hi = float(rlo[0]), float(rhi[0])
            else:
                floor = 0.5 / n
                log_est = np.log(np.maximum(est, floor))
                log_reps = np.log(np.maximum(reps, floor[None, :]))
                log_var = np.var(log_reps, axis=0, ddof=1)
                log_var = np.where(log_var > 0, log_var, _variance_floor(log_var, est, n) / est**2)
                log_var = log_var * units / (units - 1)
                log_null, _ = _max_t(log_reps, log_est, log_var)
                log_crit = float(np.quantile(log_null, confidence)) * _t_over_z(
                    confidence, units.min()
                )
                log_gap = log_est[best] - log_est[worst]
                half = log_crit * float(np.sqrt(log_var[best] + log_var[worst]))
                ratio_lo, ratio_hi = float(np.exp(log_gap - half)), float(np.exp(log_gap + half))
            row.update(
                ratio=ratio,
                ratio_ci_low=ratio_lo,
                ratio_ci_high=ratio_hi,
                relative_gap=ratio - 1,
                relative_gap_ci_low=ratio_lo - 1,
                relative_gap_ci_high=ratio_hi - 1,
            )
        else:
            row["note"] = (
                f"the worst group ({names[worst]!r}) has no right answers: the ratio and the "
                "relative gap are unbounded; report the gap."
            )
        rows.append(row)
        ia, ib = np.triu_indices(len(est), k=1)
        diffs = est[ia] - est[ib]
        if counts:
            plo, phi = newcombe_interval(k[ia], n[ia], k[ib], n[ib], confidence=level)
        else:
            half = crit * np.sqrt(var[ia] + var[ib])
            plo, phi = diffs - half, diffs + half
        for a, b, diff, lo_ab, hi_ab in zip(ia, ib, diffs, plo, phi, strict=True):
            pair_rows.append(
                (
                    m,
                    names[a],
                    names[b],
                    float(diff),
                    float(lo_ab),
                    float(hi_ab),
                    bool(lo_ab > 0 or hi_ab < 0),
                )
            )
    schema: dict[str, Any] = {
        "model": pl.String,
        "n_groups": pl.Int64,
        "n_small": pl.Int64,
        "best_group": pl.String,
        "worst_group": pl.String,
        "best": pl.Float64,
        "worst": pl.Float64,
    }
    for name in ("gap", "ratio", "relative_gap"):
        schema.update(
            {name: pl.Float64, f"{name}_ci_low": pl.Float64, f"{name}_ci_high": pl.Float64}
        )
    schema.update({"statistic": pl.Float64, "p_value": pl.Float64, "note": pl.String})
    table = pl.DataFrame([{k: r.get(k) for k in schema} for r in rows], schema=schema)
    if table["gap"].is_null().all():
        raise InvalidValueError(
            f"No model has two groups with at least {min_size} items, so no disparity can be "
            f"computed; the largest group has {int(d.table['n'].max())} items. Lower "
            "`min_size` (the intervals will be wide) or merge groups."
        )
    pairs = pl.DataFrame(
        pair_rows,
        schema={
            "model": pl.String,
            "group_a": pl.String,
            "group_b": pl.String,
            "difference": pl.Float64,
            "ci_low": pl.Float64,
            "ci_high": pl.Float64,
            "significant": pl.Boolean,
        },
        orient="row",
    )
    small = pl.DataFrame(
        small_rows,
        schema={"model": pl.String, "group": pl.String, "n": pl.Int64, "estimate": pl.Float64},
        orient="row",
    )
    return Disparity(
        table=table,
        pairs=pairs,
        small=small,
        confidence=confidence,
        min_size=min_size,
        n_boot=n_boot,
    )


def contrast(
    d: Disaggregation,
    group_a: str,
    group_b: str,
    *,
    confidence: float = 0.95,
) -> pl.DataFrame:
    """Compare two named groups, per model: difference, ratio and "X% higher", with intervals.

    For a directed comparison chosen before looking at the data ("is Africa worse than
    Europe?"). For 0/1 outcomes with items as the unit, the difference gets Newcombe's
    hybrid score interval, the ratio the MOVER-R interval and the p-value the score
    (pooled two-proportion) test; for scores, or clusters larger than items, all three
    come from the cluster bootstrap of :func:`disaggregate`.

    Parameters
    ----------
    d : Disaggregation
        From :func:`disaggregate`.
    group_a : str
        The first group (the numerator of the ratio).
    group_b : str
        The second group (the comparison).
    confidence : float, default 0.95
        Confidence level of the intervals.

    Returns
    -------
    polars.DataFrame
        One row per model: ``model, group_a, group_b, n_a, n_b, estimate_a, estimate_b,
        difference`` (a - b), ``ratio`` (a / b), ``relative_gap`` (ratio - 1), each with
        ``*_ci_low, *_ci_high``, ``p_value`` (no difference), ``interval`` and ``note``
        (small groups, an unbounded ratio).

    Examples
    --------
    >>> from hierlab.datasets import load_demo
    >>> demo = load_demo(n_items=300, n_models=3, seed=0)
    >>> c = contrast(disaggregate(demo.results, "region", n_boot=0), "Europe", "Africa")
    >>> c.columns[:4]
    ['model', 'group_a', 'group_b', 'n_a']
    """
    from scipy.stats import norm

    if not isinstance(d, Disaggregation):
        raise InputTypeError(
            f"`d` must be a Disaggregation (from disaggregate), got {type(d).__name__}."
        )
    for value, what in ((group_a, "group_a"), (group_b, "group_b")):
        if not isinstance(value, str):
            raise InputTypeError(f"`{what}` must be a group name (a string), got {value!r}.")
        if value not in d.groups:
            raise InvalidValueError(
                f"`{what}` {value!r} is not a group of {d.group!r}; the groups are "
                f"{format_items(d.groups)}."
            )
    if group_a == group_b:
        raise InvalidValueError(f"`group_a` and `group_b` are both {group_a!r}; name two groups.")
    confidence = check_confidence(confidence)
    exact = d.binary and d.cluster is None
    if not exact and d.replicates.shape[0] < 50:
        raise InvalidValueError(
            "This outcome's contrasts come from the bootstrap: disaggregate with n_boot >= 50."
        )
    wide = d.table.filter(pl.col("group").is_in([group_a, group_b]))
    ga, gb = d.groups.index(group_a), d.groups.index(group_b)
    rows = []
    for j, m in enumerate(d.models):  # a few models
        sub = {r["group"]: r for r in wide.filter(pl.col("model") == m).iter_rows(named=True)}
        row: dict[str, Any] = {"model": m, "group_a": group_a, "group_b": group_b}
        if group_a not in sub or group_b not in sub:
            row["note"] = f"{m!r} has no results in {group_a if group_a not in sub else group_b!r}."
            rows.append(row)
            continue
        a, b = sub[group_a], sub[group_b]
        na, nb, pa, pb = a["n"], b["n"], a["estimate"], b["estimate"]
        row.update(n_a=na, n_b=nb, estimate_a=pa, estimate_b=pb, difference=pa - pb)
        notes = [
            f"{g!r} has {r['n']} items (< {d.min_size})"
            for g, r in ((group_a, a), (group_b, b))
            if r["n"] < d.min_size
        ]
        ratio = pa / pb if pb > 0 else None
        if exact:
            ka, kb = round(pa * na), round(pb * nb)
            lo, hi = newcombe_interval([ka], [na], [kb], [nb], confidence=confidence)
            rlo, rhi = ratio_interval([ka], [na], [kb], [nb], confidence=confidence)
            pooled = (ka + kb) / (na + nb)
            se = np.sqrt(pooled * (1 - pooled) * (1 / na + 1 / nb))
            p_value = float(2 * norm.sf(abs(pa - pb) / se)) if se > 0 else 1.0
            row.update(
                difference_ci_low=float(lo[0]),
                difference_ci_high=float(hi[0]),
                ratio_ci_low=float(rlo[0]),
                ratio_ci_high=float(rhi[0]),
                p_value=p_value,
                interval="newcombe / mover-r / score test",
            )
        else:
            ra, rb = d.replicates[:, ga, j], d.replicates[:, gb, j]
            diff = ra - rb
            with np.errstate(divide="ignore", invalid="ignore"):
                rr = np.where(rb > 0, ra / rb, np.inf)
            units = min(d.n_units[ga], d.n_units[gb]) if d.n_units else min(na, nb)
            tail = float(_expanded_tail(confidence, units))
            row.update(
                difference_ci_low=float(np.quantile(diff, tail)),
                difference_ci_high=float(np.quantile(diff, 1 - tail)),
                ratio_ci_low=float(np.quantile(rr, tail)),
                ratio_ci_high=float(np.quantile(rr, 1 - tail)),
                p_value=float(min(1.0, 2 * min(np.mean(diff <= 0), np.mean(diff >= 0)))),
                interval="cluster bootstrap (expanded percentile)",
            )
        if ratio is None:
            notes.append(f"{group_b!r} has no right answers: the ratio is unbounded")
            row.update(ratio_ci_low=None, ratio_ci_high=None)
        else:
            row.update(ratio=ratio, relative_gap=ratio - 1)
            if row["ratio_ci_high"] is not None and np.isinf(row["ratio_ci_high"]):
                notes.append("the ratio's upper end is unbounded (group_b may be at 0)")
            row.update(
                relative_gap_ci_low=row["ratio_ci_low"] - 1,
                relative_gap_ci_high=row["ratio_ci_high"] - 1,
            )
        row["note"] = "; ".join(notes) or None
        rows.append(row)
    schema: dict[str, Any] = {
        "model": pl.String,
        "group_a": pl.String,
        "group_b": pl.String,
        "n_a": pl.Int64,
        "n_b": pl.Int64,
        "estimate_a": pl.Float64,
        "estimate_b": pl.Float64,
    }
    for name in ("difference", "ratio", "relative_gap"):
        schema.update(
            {name: pl.Float64, f"{name}_ci_low": pl.Float64, f"{name}_ci_high": pl.Float64}
        )
    schema.update({"p_value": pl.Float64, "interval": pl.String, "note": pl.String})
    return pl.DataFrame([{k: r.get(k) for k in schema} for r in rows], schema=schema)


def _design(
    results: Any,
    correct: str,
    group: str,
    model: str | None,
    item: str,
    on_missing: str = "raise",
) -> tuple[Any, list[str]]:
    """Return the regression data (pandas: y, g, i and m) and the sorted groups."""
    frame = _frame(results)
    for value, what in ((correct, "correct"), (group, "group"), (item, "item")):
        _column(value, what)
    if model is not None:
        _column(model, "model")
    frame = check_results(
        frame, correct=correct, model=model, item=item, group=group, on_missing=on_missing
    )
    cols = [
        pl.col(correct).cast(pl.Float64).alias("y"),
        pl.col(group).cast(pl.String).alias("g"),
        pl.col(item).cast(pl.String).alias("i"),
        (pl.col(model).cast(pl.String) if model else pl.lit("all")).alias("m"),
    ]
    data = frame.select(cols)
    return data.to_pandas(), sorted(data["g"].unique().to_list())


def _codes_of(values: Any, levels: list[str] | None = None) -> tuple[np.ndarray, list[str]]:
    import pandas as pd

    cat = pd.Categorical(values, categories=levels) if levels is not None else None
    if cat is None:
        cat = pd.Categorical(values)
    return np.asarray(cat.codes, dtype=np.int64), [str(c) for c in cat.categories]


def _cells(data: Any, levels: list[str], ref: str, interaction: bool = False) -> tuple:
    """Binomial cells (group x model): design rows, successes, trials, group and model names."""
    cells = data.groupby(["g", "m"], sort=True)["y"].agg(["sum", "count"]).reset_index()
    others = [g for g in levels if g != ref]
    models = sorted(data["m"].unique().tolist())
    columns = [np.ones(len(cells))]
    columns += [(cells["g"] == g).to_numpy(float) for g in others]
    columns += [(cells["m"] == m).to_numpy(float) for m in models[1:]]
    if interaction:
        columns += [
            ((cells["g"] == g) & (cells["m"] == m)).to_numpy(float)
            for g in others
            for m in models[1:]
        ]
    x = np.column_stack(columns)
    return x, cells["sum"].to_numpy(float), cells["count"].to_numpy(float), cells


def _problems(data: Any, levels: list[str], ref: str, interaction: bool = False) -> list[str]:
    """Describe separation and sparse groups (empty when the regression can be trusted)."""
    x, k, n, cells = _cells(data, levels, ref, interaction)
    out = []
    mask = separated_cells(x, k, n)
    if mask.any():
        hit = cells[mask]
        where = sorted(
            {
                f"{g} ({'all right' if kk == nn else 'all wrong'} for {m})"
                for g, m, kk, nn in zip(hit["g"], hit["m"], hit["sum"], hit["count"], strict=True)
            }
        )
        out.append(
            f"separation: the outcomes of {len(hit)} group x model cell(s) are all equal and "
            f"their log-odds run off to infinity ({format_items(where, 6)})"
        )
    by_group = data.groupby("g")["y"].agg(["sum", "count"])
    unit = "cell" if interaction else "group"
    if interaction:
        by_group = data.groupby(["g", "m"])["y"].agg(["sum", "count"])
    sparse = [
        str(g if not isinstance(g, tuple) else f"{g[0]} x {g[1]}")
        for g, row in by_group.iterrows()
        if min(row["sum"], row["count"] - row["sum"]) < SPARSE_COUNT
    ]
    if sparse:
        out.append(
            f"sparse {unit}s: {len(sparse)} have fewer than {SPARSE_COUNT} right or {SPARSE_COUNT} "
            f"wrong answers ({format_items(sparse, 6)})"
        )
    return out


def _warn_fallback(problems: list[str], what: str) -> tuple[str, ...]:
    message = (
        "; ".join(problems) + f". The item-clustered Wald test is not trustworthy here, so {what}."
    )
    warnings.warn(message, SeparationWarning, stacklevel=3)
    return (message,)


def _item_arrays(data: Any, levels: list[str]) -> tuple[np.ndarray, ...] | None:
    """Codes for the permutation test, or None when a group is not an item attribute."""
    item, _ = _codes_of(data["i"])
    model, _ = _codes_of(data["m"])
    group, _ = _codes_of(data["g"], levels)
    per_item = np.full(item.max() + 1, -1)
    per_item[item] = group
    if not np.array_equal(per_item[item], group):
        return None
    return data["y"].to_numpy(float), item, model, per_item


def _fallback_effects(
    data: Any,
    levels: list[str],
    ref: str,
    confidence: float,
    n_perm: int,
    seed: Any,
    quick: bool = False,
) -> pl.DataFrame:
    """Firth estimates of each group's effect against ``ref``, with profile intervals.

    P-values come from item permutations (``n_perm`` > 0) or penalised likelihood ratios.
    """
    others = [g for g in levels if g != ref]
    x, k, n, _ = _cells(data, levels, ref)
    names = ["Intercept", *others] + [f"model {i}" for i in range(x.shape[1] - 1 - len(others))]
    permute = n_perm > 0 and _item_arrays(data, levels) is not None
    fit = fit_firth_cells(
        x,
        k,
        trials=n,
        names=names,
        confidence=confidence,
        # profile intervals cost a few constrained fits per group: for many groups, Wald
        interval="profile" if len(others) <= PROFILE_GROUPS and not quick else "wald",
        tests=not permute and not quick,
        profile=list(range(1, 1 + len(others))),
    )
    table = fit.table.slice(1, len(others)).rename({"term": "group"})
    if permute:
        rng = _rng(seed)
        pvals = []
        for g in others:  # one permutation test per group against the reference
            y, it, mm, per_item = _item_arrays(data[data["g"].isin([g, ref])], [ref, g])
            pvals.append(item_permutation_test(y, it, mm, per_item, 2, n_perm=n_perm, seed=rng)[1])
        table = table.with_columns(p_value=pl.Series(pvals, dtype=pl.Float64))
    return table.with_columns(statistic=pl.col("estimate") / pl.col("se"))


def heterogeneity_test(
    results: Any,
    group: str,
    *,
    correct: str = "correct",
    model: str | None = "model",
    item: str = "item",
    reference_group: str | None = None,
    on_missing: str = "raise",
    n_perm: int = 1999,
    seed: int | np.random.Generator = 0,
) -> TestResult:
    """Test whether groups differ: group effects in a logistic regression, Wald test.

    The regression has group fixed effects (against ``reference_group``) and model fixed
    effects, with standard errors clustered by item; the Wald chi-square tests that every
    group effect is 0. When a group's outcomes are all 0 or all 1 (separation: maximum
    likelihood runs off to infinity and the clustered standard error collapses, giving
    absurdly small p-values) or a group has fewer than 5 right or 5 wrong answers, a
    :class:`~hierlab.errors.SeparationWarning` is raised and the test becomes an
    item-permutation test (the items' group labels are shuffled, each item keeping all
    its answers) of the cluster-robust score statistic, with group effects from Firth's
    penalised logistic regression: finite, and exact under exchangeable items.

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
    on_missing : {"raise", "drop", "group"}, default "raise"
        Rows whose group is null: raise, drop them, or keep them as a group.
    n_perm : int, default 1999
        Permutations of the fallback test.
    seed : int or numpy.random.Generator, default 0
        Randomness of the permutations.

    Returns
    -------
    TestResult
        ``table``: ``group, estimate, se, statistic, p_value, ci_low, ci_high`` (each
        group's log-odds effect against the reference group); ``fitted``: the statsmodels
        fit (or the Firth fit's table under the fallback); ``warnings`` name any
        separation or sparse group.

    Examples
    --------
    >>> from hierlab.datasets import load_demo
    >>> demo = load_demo(n_items=400, n_models=4, seed=0)
    >>> heterogeneity_test(demo.results, "region").p_value < 0.05
    True
    """
    n_perm = _check_int(n_perm, "n_perm", 99)
    data, levels = _design(results, correct, group, model, item, on_missing)
    if len(levels) < 2:
        raise InvalidValueError(
            f"Heterogeneity needs at least two groups; {group!r} has {format_items(levels)}."
        )
    ref = levels[0] if reference_group is None else str(reference_group)
    if ref not in levels:
        raise InvalidValueError(
            f"`reference_group` {ref!r} is not a value of {group!r}; it has {format_items(levels)}."
        )
    null_hypothesis = f"every {group} has the same log-odds of {correct} as {ref!r}" + (
        ", given the model" if model else ""
    )
    problems = _problems(data, levels, ref)
    if problems:
        arrays = _item_arrays(data, [ref, *[g for g in levels if g != ref]])
        if arrays is None:
            raise InvalidValueError(
                f"{group!r} changes within an item, so the regression cannot be trusted "
                f"({'; '.join(problems)}) and items cannot be permuted between groups; merge "
                "the sparse groups."
            )
        notes = _warn_fallback(
            problems,
            "the p-value comes from an item-permutation test and the effects from "
            "Firth's penalised likelihood",
        )
        y, it, mm, per_item = arrays
        statistic, p_value, _, _ = item_permutation_test(
            y, it, mm, per_item, len(levels), n_perm=n_perm, seed=seed
        )
        effects = _fallback_effects(data, levels, ref, 0.95, n_perm, seed)
        return TestResult(
            method=f"Item-permutation test of group effects ({n_perm} permutations of the "
            "items' groups; cluster-robust score statistic); effects from Firth's penalised "
            "logistic regression" + (" with model fixed effects" if model else ""),
            statistic=statistic,
            df=float(len(levels) - 1),
            p_value=p_value,
            null_hypothesis=null_hypothesis,
            table=effects.select(
                "group", "estimate", "se", "statistic", "p_value", "ci_low", "ci_high"
            ),
            warnings=notes,
            fitted=None,
        )
    rhs = f"C(g, Treatment({ref!r}))" + (" + C(m)" if model else "")
    fitted = fit_logit(f"y ~ {rhs}", data, data["i"])
    names = [n for n in fitted.params.index if n.startswith("C(g")]
    test = wald_test(fitted, [{n: 1.0} for n in names], null_hypothesis=null_hypothesis)
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
    on_missing: str = "raise",
    n_perm: int = 1999,
    seed: int | np.random.Generator = 0,
) -> pl.DataFrame:
    """Compare each group with all the others: log-odds difference, corrected p-values.

    One logistic regression per group (a group indicator plus model fixed effects, SEs
    clustered by item); the p-values are corrected over the groups. Under separation or
    sparse groups (see :func:`heterogeneity_test`) a
    :class:`~hierlab.errors.SeparationWarning` is raised, the estimates come from Firth's
    penalised likelihood and the p-values from an item-permutation test.

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
    on_missing : {"raise", "drop", "group"}, default "raise"
        Rows whose group is null: raise, drop them, or keep them as a group.
    n_perm : int, default 1999
        Permutations of the fallback test.
    seed : int or numpy.random.Generator, default 0
        Randomness of the permutations.

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
    n_perm = _check_int(n_perm, "n_perm", 99)
    data, levels = _design(results, correct, group, model, item, on_missing)
    if len(levels) < 2:
        raise InvalidValueError(
            f"Comparing groups needs at least two; {group!r} has {format_items(levels)}."
        )
    problems = _problems(data, levels, levels[0])
    rows = []
    if problems:
        arrays = _item_arrays(data, levels)
        if arrays is None:
            raise InvalidValueError(
                f"{group!r} changes within an item and {'; '.join(problems)}; merge the "
                "sparse groups."
            )
        _warn_fallback(
            problems,
            "the p-values come from an item-permutation test and the estimates from "
            "Firth's penalised likelihood",
        )
        y, it, mm, per_item = arrays
        _, _, _, p_one = item_permutation_test(
            y, it, mm, per_item, len(levels), n_perm=n_perm, seed=seed
        )
        for j, g in enumerate(levels):  # one penalised fit per group (few groups)
            data["is_g"] = np.where(data["g"] == g, "in", "out")
            fit = _fallback_effects(
                data.assign(g=data["is_g"]), ["in", "out"], "out", 0.95, 0, 0, quick=True
            )
            b, se = float(fit["estimate"][0]), float(fit["se"][0])
            rows.append((g, b, se, float(np.exp(b)), b / se, float(p_one[j])))
    else:
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


def _discordant_interaction(
    data: Any,
    levels: list[str],
    model_a: str,
    model_b: str,
    n_perm: int,
    seed: Any,
    confidence: float,
) -> tuple[float, float, pl.DataFrame]:
    """Test item-matched interaction: does P(b right | a and b disagree) vary by group."""
    wide = data.pivot_table(index=["i", "g"], columns="m", values="y").dropna().reset_index()
    disc = wide[wide[model_a] != wide[model_b]]
    if disc.empty:
        raise InvalidValueError(
            f"{model_a!r} and {model_b!r} agree on every shared item: there is no "
            "interaction to estimate."
        )
    wins = (disc[model_b] > disc[model_a]).to_numpy()
    gcode, _ = _codes_of(disc["g"], levels)
    k = len(levels)
    win_n = np.bincount(gcode, weights=wins, minlength=k)
    all_n = np.bincount(gcode, minlength=k).astype(float)

    def chi2_stat(w: np.ndarray, t: np.ndarray) -> np.ndarray:
        keep = t > 0
        pooled = w.sum(axis=-1, keepdims=True) / t.sum()
        with np.errstate(invalid="ignore", divide="ignore"):
            e = pooled * t
            v = e * (1 - pooled)
            terms = np.where(keep & (v > 0), (w - e) ** 2 / np.where(v > 0, v, 1), 0.0)
        return terms.sum(axis=-1)

    observed = float(chi2_stat(win_n, all_n))
    rng = _rng(seed)
    perms = np.array([rng.permutation(gcode) for _ in range(n_perm)])
    null_wins = np.stack([np.bincount(p, weights=wins, minlength=k) for p in perms])
    null = chi2_stat(null_wins, all_n)
    p_value = float((1 + np.sum(null >= observed - 1e-9)) / (n_perm + 1))
    log_or = np.log((win_n + 0.5) / (all_n - win_n + 0.5))
    var = 1 / (win_n + 0.5) + 1 / (all_n - win_n + 0.5)
    z = z_value(confidence)
    est = log_or[1:] - log_or[0]
    se = np.sqrt(var[1:] + var[0])
    from scipy.stats import norm

    table = pl.DataFrame(
        {
            "group": levels[1:],
            "estimate": est,
            "se": se,
            "statistic": est / se,
            "p_value": 2 * norm.sf(np.abs(est / se)),
            "ci_low": est - z * se,
            "ci_high": est + z * se,
        }
    )
    return observed, p_value, table


def model_group_interaction(
    results: Any,
    group: str,
    model_a: str,
    model_b: str,
    *,
    correct: str = "correct",
    model: str = "model",
    item: str = "item",
    on_missing: str = "raise",
    n_perm: int = 1999,
    seed: int | np.random.Generator = 0,
) -> TestResult:
    """Test whether one model's group gaps differ from another's (model x group interaction).

    A logistic regression of the two models' results on group, model and their
    interaction (SEs clustered by item); the Wald chi-square tests that every
    interaction term is 0. Under separation or sparse group x model cells a
    :class:`~hierlab.errors.SeparationWarning` is raised and, for 0/1 outcomes, the test
    becomes item-matched: among the items the two models disagree on, whether the share
    model b gets right varies by group (a 2 x groups table, its chi-square referred to
    the permutation distribution of the items' groups; the effects are log odds ratios
    with 1/2 added to each count).

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
    on_missing : {"raise", "drop", "group"}, default "raise"
        Rows whose group is null: raise, drop them, or keep them as a group.
    n_perm : int, default 1999
        Permutations of the fallback test.
    seed : int or numpy.random.Generator, default 0
        Randomness of the permutations.

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
    >>> big = demo.results.filter(pl.col("region") != "Oceania")  # Oceania has few items
    >>> model_group_interaction(big, "region", a, b).df
    3.0
    """
    for value, what in ((model_a, "model_a"), (model_b, "model_b")):
        if not isinstance(value, str):
            raise InputTypeError(f"`{what}` must be a model name (a string), got {value!r}.")
    n_perm = _check_int(n_perm, "n_perm", 99)
    frame = _frame(results)
    require_columns(frame, [_column(model, "model")], "The results table")
    pair = frame.filter(pl.col(model).cast(pl.String).is_in([model_a, model_b]))
    found = set(pair[model].cast(pl.String).unique().to_list())
    if found != {model_a, model_b}:
        raise InvalidValueError(
            f"Model(s) {format_items(sorted({model_a, model_b} - found))} have no results in "
            f"the {model!r} column."
        )
    data, levels = _design(pair, correct, group, model, item, on_missing)
    if len(levels) < 2:
        raise InvalidValueError(
            f"An interaction needs at least two groups; {group!r} has {format_items(levels)}."
        )
    null_hypothesis = f"{model_b}'s differences between {group} groups equal {model_a}'s"
    problems = _problems(data, levels, levels[0], interaction=True)
    if problems and bool(np.isin(data["y"].to_numpy(), [0.0, 1.0]).all()):
        notes = _warn_fallback(
            problems,
            "the test is item-matched (items the two models disagree on) with a "
            "permutation p-value",
        )
        statistic, p_value, table = _discordant_interaction(
            data, levels, model_a, model_b, n_perm, seed, 0.95
        )
        return TestResult(
            method="Item-matched permutation test of the model x group interaction "
            f"(chi-square of disagreements by group, {n_perm} permutations)",
            statistic=statistic,
            df=float(len(levels) - 1),
            p_value=p_value,
            null_hypothesis=null_hypothesis,
            table=table,
            warnings=notes,
        )
    notes = (
        _warn_fallback(problems, "read its p-value with caution (scores cannot be item-matched)")
        if problems
        else ()
    )
    data["is_b"] = (data["m"] == model_b).astype(float)
    fitted = fit_logit("y ~ C(g) * is_b", data, data["i"])
    names = [n for n in fitted.params.index if n.endswith(":is_b")]
    test = wald_test(fitted, [{n: 1.0} for n in names], null_hypothesis=null_hypothesis)
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
        warnings=notes,
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
    on_missing: str = "raise",
    n_perm: int = 1999,
    seed: int | np.random.Generator = 0,
) -> pl.DataFrame:
    """Estimate group effects on item easiness with model abilities controlled.

    A thin wrapper of :func:`hierlab.irt.explain_difficulty` (explanatory IRT) with the
    group as the item covariate: a negative effect means items of that group are harder
    than the reference group's (the first in sorted order) for the same models. Under
    separation or sparse groups a :class:`~hierlab.errors.SeparationWarning` is raised
    and the same model is fitted by Firth's penalised likelihood (profile intervals),
    with item-permutation p-values.

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
    on_missing : {"raise", "drop", "group"}, default "raise"
        Rows whose group is null: raise, drop them, or keep them as a group.
    n_perm : int, default 1999
        Permutations of the fallback test.
    seed : int or numpy.random.Generator, default 0
        Randomness of the permutations.

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

    confidence = check_confidence(confidence)
    n_perm = _check_int(n_perm, "n_perm", 99)
    data, levels = _design(results, correct, _column(group, "group"), model, item, on_missing)
    if len(levels) < 2:
        raise InvalidValueError(
            f"Group effects need at least two groups; {group!r} has {format_items(levels)}."
        )
    problems = _problems(data, levels, levels[0])
    if problems and _item_arrays(data, levels) is not None:
        _warn_fallback(
            problems,
            "the effects come from Firth's penalised likelihood and the p-values "
            "from an item-permutation test",
        )
        table = _fallback_effects(data, levels, levels[0], confidence, n_perm, seed)
        return table.select(
            "group", "estimate", "se", "statistic", "p_value", "ci_low", "ci_high"
        ).with_columns(odds_ratio=pl.col("estimate").exp())
    frame = _frame(results)
    if on_missing != "raise":
        frame = check_results(
            frame, correct=correct, model=model, item=item, group=group, on_missing=on_missing
        )
    fit = explain_difficulty(
        frame,
        [group],
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
        One row per result with the item's node and the outcome (with ``model`` and
        ``item`` columns, one row per pair; a null node or outcome is an error naming the
        rows, a node not in the tree an :class:`~hierlab.errors.UnknownNodeError`).
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
    keyed = "model" in frame.columns and "item" in frame.columns
    frame = check_results(
        frame,
        correct=correct,
        model="model" if keyed else None,
        item="item" if keyed else None,
        group=node,
        what="The results table",
    )
    nodes = tree.node_ids(frame[node], what=f"the {node!r} column")
    y = frame[correct].to_numpy()
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
