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


def as_polars(table: Any, what: str = "The table") -> pl.DataFrame:
    """Convert polars (eager or lazy), pandas, a dict of columns or a list of row dicts to polars.

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
        try:
            return pl.from_pandas(table)
        except Exception as err:  # pyarrow refuses a column: name it instead of its frames
            raise _pandas_error(table, what, err) from None
    if isinstance(table, Sequence) and table and all(isinstance(r, Mapping) for r in table):
        return pl.DataFrame(list(table))
    raise InputTypeError(
        f"{what} must be a polars or pandas DataFrame (or a dict of columns), "
        f"got {type(table).__name__}."
    )


def _pandas_error(table: Any, what: str, err: Exception) -> InputTypeError:
    """Name the pandas columns that cannot become one typed column (mixed types)."""
    problems = []
    for name in getattr(table, "columns", []):
        column = table[name]
        if getattr(column, "ndim", 1) != 1:
            continue
        try:
            pl.from_pandas(column)
        except Exception:
            values = column.dropna().tolist()
            kinds: dict[str, tuple[int, Any]] = {}
            for row, value in zip(column.dropna().index.tolist(), values, strict=True):
                kinds.setdefault(type(value).__name__, (row, value))
            shown = "; ".join(f"{k} {v!r} at row {r!r}" for k, (r, v) in list(kinds.items())[:4])
            problems.append(f"{name!r} ({shown})")
    if not problems:
        return InputTypeError(f"{what} could not be converted to a polars table: {err}")
    return InputTypeError(
        f"{what} has column(s) mixing value types: {'; '.join(problems)}. Give each column "
        "one type (for example .astype(str) for labels, or numbers only for outcomes)."
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
