"""Model comparisons: paired tests on the same items and a leaderboard with ties.

Two models answering the same items are compared **paired**, item by item, never as two
independent samples (which overstates the uncertainty of a difference when items vary in
difficulty, and understates it when they do not):

* 0/1 outcomes: McNemar's test on the items one model gets right and the other wrong
  (mid-p by default, as recommended by Fagerland, Lydersen and Laake 2013; exact or
  chi-square on request) and the Agresti-Min interval for the difference in accuracy;
* scores in [0, 1]: a sign-flip permutation test of the mean per-item difference and a
  paired bootstrap (items resampled) percentile interval;
* p-values are corrected across all pairs (Holm by default, or Benjamini-Hochberg).

:func:`leaderboard` ranks models with intervals and groups them into **tiers**: the
leader and every model whose corrected paired test against it is not significant are
statistically tied (tier 1); the best remaining model starts tier 2, and so on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from hierlab.errors import InputTypeError, InvalidValueError, format_items
from hierlab.results import Result, Summary
from hierlab.stats import (
    adjust_pvalues,
    check_confidence,
    check_correction,
    check_results,
    paired_difference_interval,
    wilson_interval,
)

__all__ = ["Leaderboard", "ModelComparison", "compare_models", "leaderboard"]

#: Paired tests :func:`compare_models` knows.
TESTS = ("auto", "mcnemar", "mcnemar-exact", "mcnemar-chi2", "bootstrap")


@dataclass(frozen=True, eq=False)
class ModelComparison(Result):
    """Paired comparisons of models on the items they share.

    Attributes
    ----------
    table : polars.DataFrame
        One row per pair: ``model_a, model_b, n`` (shared items), ``estimate_a,
        estimate_b, difference`` (a - b) with ``ci_low, ci_high``, ``only_a, only_b``
        (items right for one model alone; 0/1 outcomes), ``statistic, p_value,
        p_adjusted`` and ``method``.
    correction : str
        The multiple-testing correction across pairs (``"none"`` for None).
    confidence : float
        Confidence level of the intervals.

    Examples
    --------
    >>> results = pl.DataFrame({"model": ["a"] * 4 + ["b"] * 4, "item": list("wxyz") * 2,
    ...                         "correct": [1, 1, 1, 0, 1, 0, 0, 0]})
    >>> compare_models(results).table["only_a"].to_list()
    [2]
    """

    table: pl.DataFrame
    correction: str
    confidence: float

    def summary(self) -> Summary:
        """Summarise the pairwise comparisons.

        Returns
        -------
        Summary
        """
        return Summary(
            "Paired model comparisons on shared items",
            facts=[
                ("pairs", self.table.height),
                ("test", self.table["method"][0] if self.table.height else "-"),
                ("correction", self.correction),
                ("confidence", self.confidence),
            ],
            tables={"pairs": self.table.drop("method")},
        )

    def to_polars(self) -> pl.DataFrame:
        """Return the pairs table.

        Returns
        -------
        polars.DataFrame
        """
        return self.table


def _wide(
    results: Any, correct: str, model: str, item: str, models: Any
) -> tuple[np.ndarray, list[str], bool]:
    frame = check_results(results, correct=correct, model=model, item=item)
    frame = frame.with_columns(pl.col(model).cast(pl.String), pl.col(item).cast(pl.String))
    found = sorted(frame[model].unique().to_list())
    if models is not None:
        if isinstance(models, str) or not all(isinstance(m, str) for m in models):
            raise InputTypeError(f"`models` must be a list of model names, got {models!r}.")
        unknown = [m for m in models if m not in found]
        if unknown:
            raise InvalidValueError(
                f"Model(s) {format_items(unknown)} have no results; the table has "
                f"{format_items(found)}."
            )
        found = list(dict.fromkeys(models))
    if len(found) < 2:
        raise InvalidValueError(
            f"Comparing models needs at least two; the table has {format_items(found)}."
        )
    wide = frame.filter(pl.col(model).is_in(found)).pivot(
        on=model, index=item, values=correct, aggregate_function=None
    )
    matrix = wide.select(found).to_numpy().astype(float)  # items x models, NaN = not answered
    binary = bool(np.isin(matrix[~np.isnan(matrix)], [0.0, 1.0]).all())
    return matrix, found, binary


def _mcnemar(b: np.ndarray, c: np.ndarray, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """McNemar statistic ((b - c)^2 / (b + c)) and p-value (mid-p, exact or chi-square)."""
    from scipy.stats import binom, chi2

    total = b + c
    with np.errstate(invalid="ignore", divide="ignore"):
        statistic = np.where(total > 0, (b - c) ** 2 / np.maximum(total, 1), 0.0)
    low = np.minimum(b, c)
    if kind == "mcnemar-chi2":
        p = chi2.sf(statistic, 1)
    elif kind == "mcnemar-exact":
        p = 2 * binom.cdf(low, total, 0.5)
    else:  # mid-p
        p = 2 * (binom.cdf(low, total, 0.5) - 0.5 * binom.pmf(low, total, 0.5))
    return statistic, np.where(total > 0, np.minimum(p, 1.0), 1.0)


def compare_models(
    results: Any,
    *,
    correct: str = "correct",
    model: str = "model",
    item: str = "item",
    models: list[str] | None = None,
    test: str = "auto",
    correction: str | None = "holm",
    confidence: float = 0.95,
    n_boot: int = 2000,
    seed: int | np.random.Generator = 0,
) -> ModelComparison:
    """Compare every pair of models on the items both answered, with corrected p-values.

    Parameters
    ----------
    results : polars or pandas DataFrame
        Long results: one row per (model, item) with the outcome.
    correct : str, default "correct"
        The outcome column: 0/1 (McNemar) or a score in [0, 1] (paired bootstrap).
    model : str, default "model"
        Column of the AI model.
    item : str, default "item"
        Column of the item.
    models : list of str, optional
        The models to compare (default: all).
    test : {"auto", "mcnemar", "mcnemar-exact", "mcnemar-chi2", "bootstrap"}, default "auto"
        ``"auto"``: McNemar mid-p for 0/1 outcomes, the paired bootstrap otherwise.
    correction : {"holm", "bh", "bonferroni"} or None, default "holm"
        Multiple-testing correction across the pairs.
    confidence : float, default 0.95
        Confidence level of the intervals.
    n_boot : int, default 2000
        Bootstrap resamples and sign flips (scores only).
    seed : int or numpy.random.Generator, default 0
        Randomness of the bootstrap; the same seed gives the same numbers.

    Returns
    -------
    ModelComparison

    Examples
    --------
    >>> from hierlab.datasets import load_demo
    >>> demo = load_demo(n_items=300, n_models=3, seed=0)
    >>> cmp = compare_models(demo.results)
    >>> cmp.table.columns[:3]
    ['model_a', 'model_b', 'n']
    """
    confidence = check_confidence(confidence)
    correction = check_correction(correction)
    if test not in TESTS:
        raise InvalidValueError(f"`test` must be one of {format_items(TESTS)}, got {test!r}.")
    if isinstance(n_boot, bool) or not isinstance(n_boot, int | np.integer) or n_boot < 100:
        raise InvalidValueError(f"`n_boot` must be an integer >= 100, got {n_boot!r}.")
    matrix, names, binary = _wide(results, correct, model, item, models)
    if test == "auto":
        test = "mcnemar" if binary else "bootstrap"
    if test.startswith("mcnemar") and not binary:
        raise InvalidValueError(
            f"McNemar's test needs 0/1 outcomes; {correct!r} holds scores: use test='bootstrap'."
        )
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    ia, ib = np.triu_indices(len(names), k=1)
    # pair sums over shared items as (models x models) products: no items x pairs arrays
    present = (~np.isnan(matrix)).astype(float)
    values = np.nan_to_num(matrix)
    n = (present.T @ present)[ia, ib]
    if (n == 0).any():
        bad = [(names[a], names[b]) for a, b, k in zip(ia, ib, n, strict=True) if k == 0]
        raise InvalidValueError(
            f"{len(bad)} pair(s) of models share no items, e.g. {bad[0]}; compare models on a "
            "common item set."
        )
    sum_shared = values.T @ present  # [a, b]: sum of a's outcomes on items b answered
    est_a, est_b = sum_shared[ia, ib] / n, sum_shared[ib, ia] / n
    diff = est_a - est_b
    only_a = only_b = None
    if test.startswith("mcnemar"):
        both_right = (values.T @ values)[ia, ib]
        only_a = sum_shared[ia, ib] - both_right
        only_b = sum_shared[ib, ia] - both_right
        statistic, p = _mcnemar(only_a, only_b, test)
        lo, hi = paired_difference_interval(only_a, only_b, n, confidence=confidence)
        method = {
            "mcnemar": "McNemar mid-p; Agresti-Min interval",
            "mcnemar-exact": "McNemar exact; Agresti-Min interval",
            "mcnemar-chi2": "McNemar chi-square; Agresti-Min interval",
        }[test]
    else:
        both = (present[:, ia] * present[:, ib]).astype(bool)  # items x pairs
        d = np.where(both, values[:, ia] - values[:, ib], 0.0)  # 0 where not shared
        n_items = len(d)
        draws = rng.integers(0, n_items, size=(n_boot, n_items))
        weights = np.zeros((n_boot, n_items))
        np.add.at(weights, (np.repeat(np.arange(n_boot), n_items), draws.ravel()), 1.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            boot = (weights @ d) / (weights @ both.astype(float))
        tail = (1 - confidence) / 2
        lo, hi = np.nanquantile(boot, tail, axis=0), np.nanquantile(boot, 1 - tail, axis=0)
        flips = rng.choice([-1.0, 1.0], size=(n_boot, n_items))
        null = (flips @ d) / n
        statistic = diff
        p = (1 + (np.abs(null) >= np.abs(diff)[None, :] - 1e-12).sum(axis=0)) / (n_boot + 1)
        method = "sign-flip permutation test; paired bootstrap interval"
    table = pl.DataFrame(
        {
            "model_a": [names[a] for a in ia],
            "model_b": [names[b] for b in ib],
            "n": n.astype(np.int64),
            "estimate_a": est_a,
            "estimate_b": est_b,
            "difference": diff,
            "ci_low": lo,
            "ci_high": hi,
            "only_a": None if only_a is None else only_a.astype(np.int64),
            "only_b": None if only_b is None else only_b.astype(np.int64),
            "statistic": np.asarray(statistic, dtype=float),
            "p_value": np.asarray(p, dtype=float),
        },
        schema_overrides={"only_a": pl.Int64, "only_b": pl.Int64},
    ).with_columns(
        p_adjusted=pl.Series(adjust_pvalues(np.asarray(p, dtype=float), correction)),
        method=pl.lit(method),
    )
    return ModelComparison(table=table, correction=correction or "none", confidence=confidence)


@dataclass(frozen=True, eq=False)
class Leaderboard(Result):
    """Models ranked by accuracy, with intervals and statistically tied tiers.

    Attributes
    ----------
    table : polars.DataFrame
        One row per model, best first: ``rank, model, n, estimate, ci_low, ci_high,
        tier`` (1 = statistically tied with the leader), ``tied_with_leader`` and
        ``p_adjusted`` (of the paired test against the leader; null for the leader).
    comparison : ModelComparison
        Every paired comparison behind the tiers.
    significance : float
        Corrected p-values below it separate tiers.
    interval : str
        How the per-model intervals were computed.

    Examples
    --------
    >>> from hierlab.datasets import load_demo
    >>> board = leaderboard(load_demo(n_items=300, n_models=4, seed=0).results)
    >>> int(board.table["tier"][0])
    1
    """

    table: pl.DataFrame
    comparison: ModelComparison
    significance: float
    interval: str

    def summary(self) -> Summary:
        """Summarise the leaderboard.

        Returns
        -------
        Summary
        """
        tied = self.table.filter(pl.col("tied_with_leader"))["model"].to_list()
        return Summary(
            "Leaderboard (paired tests on shared items; tiers of statistically tied models)",
            facts=[
                ("models", self.table.height),
                ("per-model interval", self.interval),
                ("pairwise test", self.comparison.table["method"][0]),
                ("correction", self.comparison.correction),
                ("significance", self.significance),
                ("tied with the leader", ", ".join(tied)),
            ],
            tables={"ranking": self.table},
        )

    def to_polars(self) -> pl.DataFrame:
        """Return the ranking table.

        Returns
        -------
        polars.DataFrame
        """
        return self.table


def leaderboard(
    results: Any,
    *,
    correct: str = "correct",
    model: str = "model",
    item: str = "item",
    test: str = "auto",
    correction: str | None = "holm",
    significance: float = 0.05,
    confidence: float = 0.95,
    n_boot: int = 2000,
    seed: int | np.random.Generator = 0,
) -> Leaderboard:
    """Rank models with intervals and group them into statistically tied tiers.

    Each model's mean outcome gets a Wilson interval (0/1) or a bootstrap interval over
    items (scores). Tiers come from the corrected paired tests of
    :func:`compare_models`: tier 1 holds the leader and every model not significantly
    worse than it; the best model left starts tier 2, and so on.

    Parameters
    ----------
    results : polars or pandas DataFrame
        Long results: one row per (model, item) with the outcome.
    correct : str, default "correct"
        The outcome column.
    model : str, default "model"
        Column of the AI model.
    item : str, default "item"
        Column of the item.
    test : {"auto", "mcnemar", "mcnemar-exact", "mcnemar-chi2", "bootstrap"}, default "auto"
        The paired test (see :func:`compare_models`).
    correction : {"holm", "bh", "bonferroni"} or None, default "holm"
        Multiple-testing correction across all pairs.
    significance : float, default 0.05
        Corrected p-values below it separate tiers.
    confidence : float, default 0.95
        Confidence level of the intervals.
    n_boot : int, default 2000
        Bootstrap resamples (scores only).
    seed : int or numpy.random.Generator, default 0
        Randomness of the bootstrap.

    Returns
    -------
    Leaderboard

    Examples
    --------
    >>> from hierlab.datasets import load_demo
    >>> board = leaderboard(load_demo(n_items=300, n_models=4, seed=0).results)
    >>> board.table.columns[:4]
    ['rank', 'model', 'n', 'estimate']
    """
    if isinstance(significance, bool) or not isinstance(significance, int | float):
        raise InputTypeError(f"`significance` must be a number in (0, 1), got {significance!r}.")
    if not 0 < significance < 1:
        raise InvalidValueError(f"`significance` must be in (0, 1), got {significance!r}.")
    comparison = compare_models(
        results,
        correct=correct,
        model=model,
        item=item,
        test=test,
        correction=correction,
        confidence=confidence,
        n_boot=n_boot,
        seed=seed,
    )
    matrix, names, binary = _wide(results, correct, model, item, None)
    answered = ~np.isnan(matrix)
    n = answered.sum(axis=0).astype(float)
    total = np.nansum(matrix, axis=0)
    est = total / n
    if binary:
        lo, hi = wilson_interval(total, n, confidence=confidence)
        interval = "wilson"
    else:
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        items = len(matrix)
        draws = rng.integers(0, items, size=(n_boot, items))
        weights = np.zeros((n_boot, items))
        np.add.at(weights, (np.repeat(np.arange(n_boot), items), draws.ravel()), 1.0)
        boot = (weights @ np.nan_to_num(matrix)) / (weights @ answered.astype(float))
        tail = (1 - confidence) / 2
        lo, hi = np.nanquantile(boot, tail, axis=0), np.nanquantile(boot, 1 - tail, axis=0)
        interval = "bootstrap over items"
    order = np.argsort(-est, kind="stable")
    pairs = comparison.table
    padj: dict[frozenset[str], float] = {
        frozenset((a, b)): p
        for a, b, p in zip(pairs["model_a"], pairs["model_b"], pairs["p_adjusted"], strict=True)
    }
    tier = np.zeros(len(names), dtype=np.int64)
    current = 0
    remaining = [names[j] for j in order]
    while remaining:  # a few tiers
        current += 1
        head = remaining[0]
        members = [m for m in remaining if m == head or padj[frozenset((head, m))] >= significance]
        for m in members:
            tier[names.index(m)] = current
        remaining = [m for m in remaining if m not in members]
    leader = names[order[0]]
    vs_leader = [None if m == leader else padj[frozenset((leader, m))] for m in names]
    table = (
        pl.DataFrame(
            {
                "model": names,
                "n": n.astype(np.int64),
                "estimate": est,
                "ci_low": lo,
                "ci_high": hi,
                "tier": tier,
                "p_adjusted": pl.Series(vs_leader, dtype=pl.Float64),
            }
        )
        .with_columns(tied_with_leader=pl.col("tier") == 1)
        .sort("estimate", descending=True, maintain_order=True)
        .with_row_index("rank", offset=1)
        .with_columns(pl.col("rank").cast(pl.Int64))
        .select(
            "rank",
            "model",
            "n",
            "estimate",
            "ci_low",
            "ci_high",
            "tier",
            "tied_with_leader",
            "p_adjusted",
        )
    )
    return Leaderboard(
        table=table, comparison=comparison, significance=float(significance), interval=interval
    )
