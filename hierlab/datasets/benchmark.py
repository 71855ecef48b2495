"""A container for real model-by-item benchmark results."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from hierlab.datasets.card import DatasetCard
from hierlab.tree import Tree

__all__ = ["BenchmarkResults", "long_to_wide"]


@dataclass(frozen=True)
class BenchmarkResults:
    """Results of several models on one benchmark, long and wide, with item metadata.

    Attributes
    ----------
    responses : polars.DataFrame
        Long form, one row per (model, item): ``model, item, correct`` (0/1; null where the
        source has no score).
    matrix : polars.DataFrame
        Wide form: a ``model`` column, then one column per item (respondents are rows,
        items are columns, missing cells null).
    items : polars.DataFrame
        One row per item with its metadata (``item`` first).
    models : polars.DataFrame
        One row per model with its metadata (``model`` first).
    tree : Tree or None
        The benchmark's declared item taxonomy, when it has one.
    card : DatasetCard
    """

    responses: pl.DataFrame
    matrix: pl.DataFrame
    items: pl.DataFrame
    models: pl.DataFrame
    tree: Tree | None
    card: DatasetCard

    def accuracy(self) -> pl.DataFrame:
        """Mean correctness per model over its scored items (``model, n, accuracy``)."""
        return self.responses.group_by("model", maintain_order=True).agg(
            pl.col("correct").count().alias("n"),
            pl.col("correct").mean().alias("accuracy"),
        )


def long_to_wide(responses: pl.DataFrame, items: list[str]) -> pl.DataFrame:
    """Pivot ``model, item, correct`` to one row per model and one column per item.

    Examples
    --------
    >>> long = pl.DataFrame({"model": ["a", "a", "b"], "item": ["1", "2", "1"],
    ...                      "correct": [1.0, 0.0, 1.0]})
    >>> long_to_wide(long, ["1", "2"]).rows()
    [('a', 1.0, 0.0), ('b', 1.0, None)]
    """
    wide = responses.pivot(on="item", index="model", values="correct", maintain_order=True)
    missing = [c for c in items if c not in wide.columns]
    wide = wide.with_columns(pl.lit(None, dtype=pl.Float64).alias(c) for c in missing)
    return wide.select("model", *items)
