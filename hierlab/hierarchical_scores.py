"""Hierarchical scores of several models with paired bootstrap intervals.

The metrics of :mod:`hierlab.coherence` return point values. A reviewer also asks how
sure they are, and whether one model's lead over another is more than the luck of the
items drawn. :func:`hierarchical_scores` answers both for single-label predictions: every
metric here is a ratio of sums over items, so it is computed from per-item parts and
resampled by multinomial item (or cluster) weights shared by all models — a *paired*
bootstrap, so differences between models have their own intervals
(:meth:`HierarchicalScores.difference`).

The metrics, each a ratio of sums over a model's items:

* ``exact`` — share of predictions equal to the true node;
* ``hP``, ``hR``, ``hF`` — set-based hierarchical precision, recall and F1 (the micro
  averages of :func:`~hierlab.coherence.hierarchical_prf`);
* ``lcaF`` — LCA-based F1 (:func:`~hierlab.coherence.lca_prf`);
* ``severity`` — mean height of the lowest common ancestor above the truth over the wrong
  answers (Bertinetto et al.'s mistake severity; refusals are not mistakes of a height).

A refusal (a null ``pred``) predicts nothing: it scores as a prediction of the root, which
lowers recall and exact accuracy and leaves precision unchanged.

Intervals are bootstrap percentiles. Their coverage is checked by simulation with a known
population value in ``tests/test_hierarchical_scores.py`` (items independent, and items
correlated within clusters, where only the cluster bootstrap covers).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from hierlab.errors import (
    InputTypeError,
    InvalidValueError,
    MissingValueError,
    format_items,
)
from hierlab.results import Result, Summary
from hierlab.stats import check_confidence, check_predictions, check_unique
from hierlab.tree import Tree, as_tree

__all__ = ["METRICS", "HierarchicalScores", "hierarchical_scores"]

#: The metrics computed, in the order of the results' tables.
METRICS = ("exact", "hP", "hR", "hF", "lcaF", "severity")

# per-item parts; every metric is a ratio of two of their sums
_PARTS = ("n", "exact", "h_inter", "h_pred", "h_true", "l_inter", "l_sum", "wrong", "height")
_BOOT_CHUNK = 256  # bootstrap rows computed at a time (bounds memory on many items)


@dataclass(frozen=True, eq=False)
class HierarchicalScores(Result):
    """Hierarchical scores per model, with paired bootstrap intervals.

    Attributes
    ----------
    table : polars.DataFrame
        ``model, metric, estimate, ci_low, ci_high, n`` (one row per model and
        metric of :data:`METRICS`; ``n`` counts the model's items).
    replicates : numpy.ndarray
        Bootstrap values, shape (n_boot, n_metrics, n_models) (NaN where a resample leaves
        a ratio undefined, e.g. a severity without mistakes).
    models : tuple of str
        The models, in the order of the replicates' last axis.
    metrics : tuple of str
        The metrics, in the order of the replicates' second axis.
    confidence : float
        Confidence level of the intervals.
    cluster : str or None
        The resampling unit when it is larger than an item (None: items).
    n_units : int
        Resampling units (items or clusters).

    Examples
    --------
    >>> t = Tree.from_paths(["A/B", "A/C", "D/E"], root="r")
    >>> p = pl.DataFrame({"model": ["m"] * 3, "item": [1, 2, 3],
    ...                   "true": ["A/B", "A/C", "D/E"], "pred": ["A/B", "A/B", "D/E"]})
    >>> s = hierarchical_scores(t, p, n_boot=200)
    >>> s.to_polars().filter(pl.col("metric") == "hF")["estimate"].round(3).to_list()
    [0.833]
    """

    table: pl.DataFrame
    replicates: np.ndarray
    models: tuple[str, ...]
    metrics: tuple[str, ...]
    confidence: float
    cluster: str | None
    n_units: int

    def difference(self, model_a: str, model_b: str) -> pl.DataFrame:
        """Paired differences ``model_a - model_b`` of every metric, with intervals.

        Both models are resampled on the same items (or clusters), so the interval of a
        difference is narrower than the two separate intervals suggest when the models
        succeed and fail on the same items.

        Parameters
        ----------
        model_a : str
            The first model.
        model_b : str
            The model subtracted from it.

        Returns
        -------
        polars.DataFrame
            ``metric, estimate, ci_low, ci_high, excludes_zero``.

        Raises
        ------
        InvalidValueError
            A model that is not in the scores.

        Examples
        --------
        >>> t = Tree.from_paths(["A/B", "A/C", "D/E"], root="r")
        >>> p = pl.DataFrame({"model": ["m", "m", "k", "k"], "item": [1, 2, 1, 2],
        ...                   "true": ["A/B", "D/E"] * 2, "pred": ["A/B", "D/E", "A/C", "D/E"]})
        >>> d = hierarchical_scores(t, p, n_boot=200).difference("m", "k")
        >>> d.filter(pl.col("metric") == "exact")["estimate"].to_list()
        [0.5]
        """
        for value, name in ((model_a, "model_a"), (model_b, "model_b")):
            if not isinstance(value, str):
                raise InputTypeError(f"`{name}` must be a model name, got {value!r}.")
            if value not in self.models:
                raise InvalidValueError(
                    f"`{name}` is {value!r}, which is not among the scored models "
                    f"({format_items(self.models)})."
                )
        a, b = self.models.index(model_a), self.models.index(model_b)
        est = self.table.filter(pl.col("model") == model_a)["estimate"].to_numpy()
        est = est - self.table.filter(pl.col("model") == model_b)["estimate"].to_numpy()
        draws = self.replicates[:, :, a] - self.replicates[:, :, b]
        low, high = _percentiles(draws, self.confidence)
        return pl.DataFrame(
            {
                "metric": list(self.metrics),
                "estimate": est,
                "ci_low": low,
                "ci_high": high,
                "excludes_zero": (low > 0) | (high < 0),
            }
        )

    def summary(self) -> Summary:
        """Summarise the scores as a :class:`~hierlab.results.Summary`.

        Returns
        -------
        Summary
        """
        wide = self.table.select(
            "model",
            "metric",
            pl.format(
                "{} [{}, {}]",
                pl.col("estimate").round(3),
                pl.col("ci_low").round(3),
                pl.col("ci_high").round(3),
            ).alias("value"),
        ).pivot(on="metric", index="model", values="value")
        unit = f"clusters ('{self.cluster}')" if self.cluster else "items"
        return Summary(
            f"Hierarchical scores with {self.confidence:.0%} paired bootstrap intervals",
            facts=[
                ("models", len(self.models)),
                (f"resampled {unit}", self.n_units),
                ("bootstrap resamples", self.replicates.shape[0]),
            ],
            tables={"estimate [interval]": wide},
        )

    def to_polars(self) -> pl.DataFrame:
        """Return the table ``model, metric, estimate, ci_low, ci_high, n``.

        Returns
        -------
        polars.DataFrame
        """
        return self.table


def _percentiles(draws: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """Percentile bounds over the first axis, NaN where no replicate is defined."""
    tail = (1 - confidence) / 2
    out = np.full((2, *draws.shape[1:]), np.nan)
    defined = ~np.isnan(draws).all(axis=0)
    if defined.any():
        out[:, defined] = np.nanpercentile(
            draws[:, defined], [100 * tail, 100 * (1 - tail)], axis=0
        )
    return out[0], out[1]


def _ratios(sums: np.ndarray) -> np.ndarray:
    """Metrics from part sums: (..., n_parts, n_models) -> (..., n_metrics, n_models)."""
    s = {name: sums[..., k, :] for k, name in enumerate(_PARTS)}
    with np.errstate(invalid="ignore", divide="ignore"):
        values = [
            s["exact"] / s["n"],
            s["h_inter"] / s["h_pred"],
            s["h_inter"] / s["h_true"],
            2 * s["h_inter"] / (s["h_pred"] + s["h_true"]),
            2 * s["l_inter"] / s["l_sum"],
            s["height"] / s["wrong"],
        ]
    return np.stack(values, axis=-2)


def _item_parts(tree: Tree, true: np.ndarray, pred: np.ndarray, refused: np.ndarray) -> np.ndarray:
    """Per-prediction parts of every metric, shape (n_predictions, n_parts)."""
    pred = np.where(refused, tree.root, pred)  # a refusal predicts nothing
    lca = tree.lca(true, pred)
    d_lca, d_true, d_pred = tree.depth[lca], tree.depth[true], tree.depth[pred]
    exact = true == pred
    counted = (lca != tree.root).astype(np.int64)  # the LCA itself, unless it is the root
    l_true = d_true - d_lca + counted
    l_pred = d_pred - d_lca + counted
    wrong = ~exact & ~refused
    return np.column_stack(
        [
            np.ones(len(true)),
            exact,
            d_lca,
            d_pred,
            d_true,
            np.where(exact, l_true, counted),
            l_true + l_pred,
            wrong,
            np.where(wrong, d_true - d_lca, 0),
        ]
    ).astype(np.float64)


def _check_n_boot(n_boot: Any) -> int:
    if isinstance(n_boot, bool) or not isinstance(n_boot, int | np.integer):
        raise InputTypeError(f"`n_boot` must be an integer, got {n_boot!r}.")
    if n_boot < 100:
        raise InvalidValueError(
            f"`n_boot` is {n_boot}; percentile intervals need at least 100 resamples "
            "(2,000 is the default)."
        )
    return int(n_boot)


def _units(frame: pl.DataFrame, item: str, cluster: str | None) -> tuple[np.ndarray, int]:
    """Index of each row's resampling unit (its item, or its item's cluster)."""
    if cluster is None:
        codes = frame[item].cast(pl.String).rank("dense").to_numpy()
        return codes.astype(np.int64) - 1, int(codes.max())
    if frame[cluster].null_count():
        rows = np.flatnonzero(frame[cluster].is_null().to_numpy())
        raise MissingValueError(
            f"{len(rows)} row(s) have no cluster (row(s) {format_items(rows[:8].tolist())}); "
            f"fill the '{cluster}' column or resample items (cluster=None)."
        )
    per_item = frame.group_by(item).agg(pl.col(cluster).n_unique().alias("k"))
    split = per_item.filter(pl.col("k") > 1)[item].to_list()
    if split:
        raise InvalidValueError(
            f"{len(split)} item(s) belong to more than one '{cluster}' cluster "
            f"({format_items(split[:5])}); every item needs one cluster."
        )
    codes = frame[cluster].cast(pl.String).rank("dense").to_numpy()
    return codes.astype(np.int64) - 1, int(codes.max())


def hierarchical_scores(
    tree: Tree,
    predictions: Any,
    *,
    model: str | None = "model",
    item: str = "item",
    cluster: str | None = None,
    n_boot: int = 2000,
    confidence: float = 0.95,
    seed: int | np.random.Generator = 0,
) -> HierarchicalScores:
    """Score every model's hierarchical predictions, with paired bootstrap intervals.

    Parameters
    ----------
    tree : Tree
        The hierarchy.
    predictions : polars or pandas DataFrame
        One row per (model, item): ``true`` and ``pred`` as node ids or paths (a null
        ``pred`` is a refusal), the ``model`` and ``item`` columns, and ``cluster`` if
        given.
    model : str or None, default "model"
        Column of the AI model (None: the table holds one model).
    item : str, default "item"
        Column of the item; the bootstrap resamples items, the same ones for every model.
    cluster : str, optional
        Resample these clusters (e.g. ``"country"`` for cities) instead of items, when
        items within a cluster are not independent. Every item needs one cluster.
    n_boot : int, default 2000
        Bootstrap resamples (at least 100).
    confidence : float, default 0.95
        Confidence level of the intervals.
    seed : int or numpy.random.Generator, default 0
        Randomness of the bootstrap; the same seed gives the same numbers.

    Returns
    -------
    HierarchicalScores
        ``.table`` with every metric of :data:`METRICS` per model, and
        ``.difference(model_a, model_b)`` for paired comparisons.

    Raises
    ------
    InputTypeError
        ``tree`` is not a Tree, or an option has the wrong type.
    EmptyInputError
        No predictions.
    MissingValueError
        A row without its true node, or without a cluster.
    DuplicateRowsError
        A (model, item) pair on more than one row.
    InvalidValueError
        An unknown node, an item in two clusters, ``n_boot`` below 100.

    Examples
    --------
    >>> t = Tree.from_paths(["A/B", "A/C", "D/E"], root="r")
    >>> p = pl.DataFrame({"model": ["m"] * 3, "item": [1, 2, 3],
    ...                   "true": ["A/B", "A/C", "D/E"], "pred": ["A/B", "A/B", None]})
    >>> s = hierarchical_scores(t, p, n_boot=200)
    >>> s.to_polars().filter(pl.col("metric").is_in(["hP", "hR"]))["estimate"].round(3).to_list()
    [0.75, 0.5]
    """
    tree = as_tree(tree)
    if model is not None and not isinstance(model, str):
        raise InputTypeError(f"`model` must be a column name or None, got {model!r}.")
    if not isinstance(item, str):
        raise InputTypeError(f"`item` must be a column name, got {item!r}.")
    if cluster is not None and not isinstance(cluster, str):
        raise InputTypeError(f"`cluster` must be a column name or None, got {cluster!r}.")
    n_boot = _check_n_boot(n_boot)
    confidence = check_confidence(confidence)
    if not isinstance(seed, int | np.integer | np.random.Generator) or isinstance(seed, bool):
        raise InputTypeError(f"`seed` must be an integer or a numpy Generator, got {seed!r}.")
    keys = [k for k in (model, item, cluster) if k is not None]
    tree, frame = check_predictions(tree, predictions, keys)
    if model is None:
        model = "model"
        frame = frame.with_columns(pl.lit("model").alias(model))
    check_unique(frame, [model, item], "The predictions table")
    true = frame["true"].to_numpy()
    pred = frame["pred"].to_numpy()
    refused = pred < 0
    parts = _item_parts(tree, true, pred, refused)
    units, n_units = _units(frame, item, cluster)
    model_names = frame[model].cast(pl.String)
    models = tuple(model_names.unique(maintain_order=True).to_list())
    model_index = model_names.replace_strict(models, list(range(len(models)))).to_numpy()
    # parts summed per (unit, model): (n_units, n_parts, n_models)
    by_unit = np.zeros((n_units, len(_PARTS), len(models)))
    np.add.at(by_unit, (units, slice(None), model_index), parts)
    point = _ratios(by_unit.sum(axis=0))  # (n_metrics, n_models)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(int(seed))
    flat = by_unit.reshape(n_units, -1)
    replicates = np.empty((n_boot, len(METRICS), len(models)))
    for start in range(0, n_boot, _BOOT_CHUNK):
        rows = min(_BOOT_CHUNK, n_boot - start)
        weights = rng.multinomial(n_units, np.full(n_units, 1 / n_units), size=rows)
        sums = (weights @ flat).reshape(rows, len(_PARTS), len(models))
        replicates[start : start + rows] = _ratios(sums)
    low, high = _percentiles(replicates, confidence)
    n_items = by_unit[:, 0, :].sum(axis=0).astype(np.int64)
    table = pl.DataFrame(
        {
            "model": np.repeat(models, len(METRICS)).tolist(),
            "metric": list(METRICS) * len(models),
            "estimate": point.T.ravel(),
            "ci_low": low.T.ravel(),
            "ci_high": high.T.ravel(),
            "n": np.repeat(n_items, len(METRICS)),
        }
    )
    return HierarchicalScores(
        table=table,
        replicates=replicates,
        models=models,
        metrics=METRICS,
        confidence=confidence,
        cluster=cluster,
        n_units=n_units,
    )
