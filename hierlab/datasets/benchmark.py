"""A container for real model-by-item benchmark results."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from hierlab._tables import as_polars, require_columns
from hierlab.datasets.card import DatasetCard
from hierlab.errors import DuplicateRowsError, InputTypeError, format_items
from hierlab.results import Result, Summary
from hierlab.tree import Tree

__all__ = ["BenchmarkResults", "long_to_wide"]


@dataclass(frozen=True, eq=False)
class BenchmarkResults(Result):
    """Results of several models on one benchmark, long and wide, with item metadata.

    Attributes
    ----------
    responses : polars.DataFrame
        Long form, one row per (model, item): ``model, item, correct`` (0/1; null where the
        source has no score).
    matrix : polars.DataFrame
        Wide form: a ``model`` column, then one column per item (models are rows, items
        are columns, missing cells null).
    items : polars.DataFrame
        One row per item with its metadata (``item`` first).
    models : polars.DataFrame
        One row per model with its metadata (``model`` first).
    tree : Tree or None
        The benchmark's declared item taxonomy, when it has one.
    card : DatasetCard
        Source, licence, citation, sizes and caveats.

    Examples
    --------
    >>> from hierlab.datasets import fetch_chembench
    >>> cb = fetch_chembench()
    >>> cb.to_polars().columns
    ['model', 'item', 'correct']
    >>> cb.summary().tables["accuracy by model"].height
    22
    """

    responses: pl.DataFrame
    matrix: pl.DataFrame
    items: pl.DataFrame
    models: pl.DataFrame
    tree: Tree | None
    card: DatasetCard

    def accuracy(self) -> pl.DataFrame:
        """Return the mean correctness per model over its scored items.

        Returns
        -------
        polars.DataFrame
            ``model, n, accuracy`` (``n``: the model's scored items), in the order of
            ``responses``.
        """
        return self.responses.group_by("model", maintain_order=True).agg(
            pl.col("correct").count().alias("n"),
            pl.col("correct").mean().alias("accuracy"),
        )

    def summary(self) -> Summary:
        """Summarise the benchmark: the card's facts and the accuracy of every model.

        Returns
        -------
        Summary
        """
        return self.card.summary(tables={"accuracy by model": self.accuracy()})

    def to_polars(self) -> pl.DataFrame:
        """Return the long results table ``model, item, correct``.

        Returns
        -------
        polars.DataFrame
        """
        return self.responses


def long_to_wide(responses: Any, items: Sequence[str]) -> pl.DataFrame:
    """Pivot ``model, item, correct`` to one row per model and one column per item.

    Parameters
    ----------
    responses : polars.DataFrame or pandas.DataFrame
        Long results with columns ``model, item, correct`` (at most one row per pair).
    items : sequence of str
        The item ids, in the column order wanted; items without any response become
        all-null columns.

    Returns
    -------
    polars.DataFrame
        A ``model`` column, then one column per item of ``items``.

    Examples
    --------
    >>> long = pl.DataFrame({"model": ["a", "a", "b"], "item": ["1", "2", "1"],
    ...                      "correct": [1.0, 0.0, 1.0]})
    >>> long_to_wide(long, ["1", "2"]).rows()
    [('a', 1.0, 0.0), ('b', 1.0, None)]
    """
    frame = as_polars(responses, "`responses`")
    require_columns(frame, ["model", "item", "correct"], "`responses`")
    if isinstance(items, str) or not isinstance(items, Sequence):
        raise InputTypeError(
            f"`items` must be a list of item ids (the wide table's columns), got "
            f"{type(items).__name__}."
        )
    duplicated = frame.filter(frame.select("model", "item").is_duplicated())
    if duplicated.height:
        pairs = duplicated.select("model", "item").unique(maintain_order=True).rows()
        raise DuplicateRowsError(
            f"`responses` holds {duplicated.height} rows for {len(pairs)} (model, item) "
            f"pair(s) that occur more than once: {format_items(pairs)}. Keep one row per pair "
            "(for example aggregate repeated runs with group_by('model', 'item'))."
        )
    columns = [str(i) for i in items]
    wide = frame.pivot(on="item", index="model", values="correct", maintain_order=True)
    missing = [c for c in columns if c not in wide.columns]
    wide = wide.with_columns(pl.lit(None, dtype=pl.Float64).alias(c) for c in missing)
    return wide.select("model", *columns)
