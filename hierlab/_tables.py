"""Input shared by the public entry points.

One table conversion, one column check and one numeric-array conversion, each raising
hierlab's own errors with the argument named.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import polars as pl

from hierlab.errors import InputShapeError, InputTypeError, format_items


def as_polars(
    table: Any, what: str = "The table", *, columns: Sequence[str | None] | None = None
) -> pl.DataFrame:
    """Convert polars (eager or lazy), pandas, a dict of columns or a list of row dicts to polars.

    A polars LazyFrame (``pl.scan_parquet(...)``, :func:`hierlab.io.scan_results`) is
    collected with only ``columns`` (those it has; None entries are skipped), so a
    10-million-row table on disk costs the memory of the columns an analysis needs, not of
    the whole table. Missing columns are left for :func:`require_columns` to report.

    Examples
    --------
    >>> as_polars({"a": [1, 2]}).shape
    (2, 1)
    >>> as_polars(pl.LazyFrame({"a": [1], "b": [2], "c": [3]}), columns=["c", "a", None]).columns
    ['c', 'a']
    """
    if isinstance(table, pl.DataFrame):
        return table
    if isinstance(table, pl.LazyFrame):
        try:
            if columns is not None:
                present = set(table.collect_schema().names())
                wanted = [c for c in dict.fromkeys(columns) if isinstance(c, str) and c in present]
                table = table.select(wanted)
            return table.collect()
        except (pl.exceptions.PolarsError, OSError) as err:
            raise InputShapeError(
                f"{what} (a polars LazyFrame) could not be collected: {type(err).__name__}: "
                f"{str(err)[:300]}"
            ) from None
    if isinstance(table, Mapping):
        return pl.DataFrame(dict(table))
    if type(table).__module__.split(".")[0] == "pandas":
        return pl.from_pandas(table)
    if isinstance(table, Sequence) and table and all(isinstance(r, Mapping) for r in table):
        return pl.DataFrame(list(table))
    raise InputTypeError(
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


def as_float_array(values: Any, what: str, ndim: int | None = None) -> np.ndarray:
    """Convert numbers (lists, arrays, Series) to a float numpy array.

    Anything else (text, objects) raises an InputTypeError naming ``what``; the wrong
    ``ndim`` raises an InputShapeError.

    Examples
    --------
    >>> as_float_array([1, 2], "distances").dtype
    dtype('float64')
    """
    if type(values).__module__.split(".")[0] in ("polars", "pandas") and hasattr(
        values, "to_numpy"
    ):
        values = values.to_numpy()
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputTypeError(
            f"{what} must be numbers (a list, numpy array or Series of floats), "
            f"got {type(values).__name__}."
        ) from None
    if ndim is not None and array.ndim != ndim:
        raise InputShapeError(f"{what} must be {ndim}-dimensional, got shape {array.shape}.")
    return array
