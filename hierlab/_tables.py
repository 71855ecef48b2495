"""Table input shared by the public entry points: one conversion, one column check."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

from hierlab.errors import InputShapeError, format_items


def as_polars(table: Any, what: str = "The table") -> pl.DataFrame:
    """A polars DataFrame from polars (eager or lazy), pandas, a dict of columns or a list of row dicts.

    Examples
    --------
    >>> as_polars({"a": [1, 2]}).shape
    (2, 1)
    """
    if isinstance(table, pl.DataFrame):
        return table
    if isinstance(table, pl.LazyFrame):
        return table.collect()
    if isinstance(table, Mapping):
        return pl.DataFrame(dict(table))
    if type(table).__module__.split(".")[0] == "pandas":
        return pl.from_pandas(table)
    if isinstance(table, Sequence) and table and all(isinstance(r, Mapping) for r in table):
        return pl.DataFrame(list(table))
    raise TypeError(
        f"{what} must be a polars or pandas DataFrame (or a dict of columns), "
        f"got {type(table).__name__}."
    )


def require_columns(frame: pl.DataFrame, columns: Sequence[str], what: str, hint: str = "") -> None:
    """Raise :class:`InputShapeError` naming the missing columns, the present ones and ``hint``.

    Examples
    --------
    >>> require_columns(pl.DataFrame({"a": [1]}), ["a"], "The results table")
    """
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputShapeError(
            f"{what} has no column(s) {format_items(missing)}; its columns are "
            f"{format_items(frame.columns)}." + (f" {hint}" if hint else "")
        )
