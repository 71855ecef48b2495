"""Shared helpers of the chart functions."""

from __future__ import annotations

from typing import Any

import polars as pl

from hierlab.errors import InputShapeError, format_items

MAX_ROWS = 5000  # Altair's default row limit


def table(obj: Any, attribute: str | None = None) -> pl.DataFrame:
    """A polars table from a result object (its ``attribute``), polars or pandas."""
    if attribute and hasattr(obj, attribute):
        obj = getattr(obj, attribute)
    if isinstance(obj, pl.DataFrame):
        return obj
    if hasattr(obj, "to_pandas") or type(obj).__module__.split(".")[0] == "pandas":
        return pl.from_pandas(obj)
    raise TypeError(f"Expected a table or a hierlab result, got {type(obj).__name__}.")


def need(frame: pl.DataFrame, columns: list[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputShapeError(
            f"{what} needs column(s) {format_items(missing)}; the table has {format_items(frame.columns)}."
        )


def limit(frame: pl.DataFrame, what: str) -> pl.DataFrame:
    """Refuse tables over Altair's row limit with advice to aggregate first."""
    if frame.height > MAX_ROWS:
        raise InputShapeError(
            f"{what}: {frame.height:,} rows is over Altair's {MAX_ROWS:,}-row limit; aggregate first "
            "(e.g. group by model and level) or pass a subset."
        )
    return frame
