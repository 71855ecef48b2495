"""Input shared by the public entry points.

One table conversion, one column check and one numeric-array conversion, each raising
hierlab's own errors with the argument named.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import polars as pl

from hierlab.errors import InputShapeError, InputTypeError, NullLabelError, format_items


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


def _label_kind(kind: type) -> str:
    if issubclass(kind, str):
        return "text"
    if issubclass(kind, bool | np.bool_):
        return "boolean"
    if issubclass(kind, int | np.integer):
        return "integer"
    if issubclass(kind, float | np.floating):
        return "float"
    if kind.__name__ in ("NoneType", "NAType", "NaTType"):
        return "missing"
    return "other"


def is_missing(value: Any) -> bool:
    """Tell whether a value is missing: None, NaN, or pandas NA/NaT.

    Examples
    --------
    >>> is_missing(float("nan")), is_missing("a")
    (True, False)
    """
    if value is None:
        return True
    if isinstance(value, float | np.floating):
        return bool(value != value)
    return _label_kind(type(value)) == "missing"


def text_labels(
    values: list[Any], where: Callable[[list[int]], str], what: str = "label"
) -> list[str]:
    """Check labels (none null, NaN or empty; one type) and return them as text.

    ``where(positions)`` says where offending entries sit (rows, nodes) in messages.
    Numbers become text, but one input may not mix types: the integer 1 and the text
    "1" would become the same label.

    Examples
    --------
    >>> text_labels([1, 2], lambda pos: f"rows {pos}")
    ['1', '2']
    """
    types = set(map(type, values))
    kinds = {t: _label_kind(t) for t in types}
    suspicious = {t for t, k in kinds.items() if k in ("missing", "float")}
    if suspicious or (str in types and "" in values):
        bad = [
            i
            for i, x in enumerate(values)
            if (type(x) in suspicious and is_missing(x)) or (type(x) is str and x == "")
        ]
        if bad:
            raise NullLabelError(
                f"{len(bad)} {what}(s) are null, NaN or empty, at {where(bad)}. Every "
                f"{what} must be a non-empty text (or a number): drop or fill these first."
            )
    other = [t for t, k in kinds.items() if k == "other"]
    if other:
        pos = [i for i, x in enumerate(values) if type(x) in other]
        raise InputTypeError(
            f"{what.capitalize()}s must be text or numbers; {len(pos)} are "
            f"{format_items(sorted({type(values[i]).__name__ for i in pos}))} (e.g. "
            f"{values[pos[0]]!r}) at {where(pos)}. Convert them to text first."
        )
    used = {k for k in kinds.values() if k != "missing"}
    if len(used) > 1:
        examples = []
        for kind in sorted(used):
            pos = [i for i, x in enumerate(values) if kinds[type(x)] == kind][:3]
            examples.append(f"{kind} {format_items([values[i] for i in pos])} at {where(pos)}")
        raise InputTypeError(
            f"The {what}s mix types ({'; '.join(examples)}), so the integer 1 and the text "
            f"'1' would become the same {what}. Convert them to one type first, for "
            "example all to text with str()."
        )
    if used == {"text"}:
        return values
    return [str(x) for x in values]
