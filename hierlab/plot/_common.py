"""Shared helpers of the chart functions (internal)."""

from __future__ import annotations

from typing import Any

import polars as pl

from hierlab._tables import as_polars, require_columns
from hierlab.errors import InputShapeError

MAX_ROWS = 5000  # Altair's default row limit


def table(obj: Any, attribute: str | None = None) -> pl.DataFrame:
    """Return a polars table from a result object (its ``attribute``), polars or pandas."""
    if attribute and hasattr(obj, attribute):
        obj = getattr(obj, attribute)
    return as_polars(obj, "A chart's input (a table or a hierlab result)")


def need(frame: pl.DataFrame, columns: list[str], what: str) -> None:
    """Raise, naming the columns that ``what`` (a chart function) needs and the table lacks."""
    require_columns(frame, columns, f"The table given to {what}")


def limit(frame: pl.DataFrame, what: str) -> pl.DataFrame:
    """Refuse tables over Altair's row limit with advice to aggregate first."""
    if frame.height > MAX_ROWS:
        raise InputShapeError(
            f"{what}: {frame.height:,} rows is over Altair's {MAX_ROWS:,}-row limit; aggregate first "
            "(e.g. group by model and level) or pass a subset."
        )
    return frame
