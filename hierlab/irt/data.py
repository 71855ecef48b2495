"""Response matrices: respondents (models) are rows, items are columns, missing is NaN.

Every IRT function in hierlab takes a :class:`ResponseMatrix` or anything
:func:`as_response_matrix` accepts: a polars DataFrame (an optional first text column
holds the respondent ids), a pandas DataFrame (the index holds them), a 2-D numpy array,
or a long table through :func:`responses_from_long`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from hierlab._tables import as_polars, require_columns
from hierlab.errors import (
    EmptyInputError,
    HierlabWarning,
    InputShapeError,
    InvalidValueError,
    format_items,
)

__all__ = ["ResponseMatrix", "as_response_matrix", "responses_from_long"]

MISSING_CODES = (-1.0, -9.0, -99.0, 9.0, 99.0, 999.0)
MAX_CATEGORIES = 12


@dataclass(frozen=True)
class ResponseMatrix:
    """A validated respondents x items matrix.

    Attributes
    ----------
    values : numpy.ndarray
        Float array (respondents x items); NaN is missing. Binary data hold 0/1; graded
        data hold category indices 0..K-1.
    respondents, items : tuple of str
    categories : tuple of float
        The original score of each category (``(0.0, 1.0)`` for binary data).
    """

    values: np.ndarray
    respondents: tuple[str, ...]
    items: tuple[str, ...]
    categories: tuple[float, ...] = (0.0, 1.0)

    @property
    def shape(self) -> tuple[int, int]:
        return self.values.shape  # type: ignore[return-value]

    @property
    def n_categories(self) -> int:
        return len(self.categories)

    @property
    def observed(self) -> np.ndarray:
        """Boolean mask of observed cells."""
        return ~np.isnan(self.values)

    def to_polars(self) -> pl.DataFrame:
        """Wide table: a ``respondent`` column, then one column per item (original scores)."""
        scores = np.asarray(self.categories)[np.nan_to_num(self.values).astype(int)]
        scores = np.where(self.observed, scores, np.nan)
        frame = pl.DataFrame(scores, schema=list(self.items), orient="row")
        return (
            frame.with_columns(pl.Series("respondent", self.respondents))
            .select("respondent", *self.items)
            .fill_nan(None)
        )


def responses_from_long(
    table: Any,
    respondent: str = "model",
    item: str = "item",
    score: str = "correct",
    binary: bool | None = None,
) -> ResponseMatrix:
    """Build a response matrix from a long table (one row per respondent and item).

    Cells with no row stay missing (NaN), never 0.

    Examples
    --------
    >>> long = pl.DataFrame({"model": ["a", "a", "b", "c"], "item": ["q1", "q2", "q1", "q2"],
    ...                      "correct": [1, 0, 0, 1]})
    >>> m = responses_from_long(long, binary=True)
    >>> m.values.tolist()
    [[1.0, 0.0], [0.0, nan], [nan, 1.0]]
    """
    table = as_polars(table, "The long table")
    require_columns(
        table,
        [respondent, item, score],
        "The long table",
        "Name them with respondent=, item=, score=.",
    )
    frame = table.select(
        pl.col(respondent).cast(pl.String).alias("r"),
        pl.col(item).cast(pl.String).alias("i"),
        pl.col(score).cast(pl.Float64).alias("s"),
    )
    dup = frame.filter(pl.struct("r", "i").is_duplicated())
    if dup.height:
        pairs = dup.select("r", "i").unique(maintain_order=True).rows()
        raise InvalidValueError(
            f"{len(pairs)} (respondent, item) pair(s) appear more than once, e.g. "
            f"{format_items(pairs, 3)}. Aggregate them first (one score per pair)."
        )
    wide = frame.pivot(on="i", index="r", values="s", maintain_order=True)
    return as_response_matrix(wide, respondent_column="r", binary=binary)


def as_response_matrix(
    data: Any,
    respondent_column: str | None = None,
    binary: bool | None = None,
    drop_empty: bool = True,
) -> ResponseMatrix:
    """Validate responses and return a :class:`ResponseMatrix`.

    Parameters
    ----------
    data : ResponseMatrix, polars/pandas DataFrame or 2-D array
        Respondents are rows, items are columns. For polars, a first column of text (or
        ``respondent_column``) holds the respondent ids.
    binary : bool, optional
        True: values must be 0, 1 or missing. False: graded scores (a few ordered values
        such as 0, 0.5, 1 or 0..4). None: binary if the data only hold 0/1.
    drop_empty : bool, default True
        Drop respondents and items with no observation (with a warning naming them).

    Raises
    ------
    InvalidValueError
        Values outside {0, 1, NaN} for binary data (the columns are named), infinite
        values, or too many distinct scores for graded data.
    EmptyInputError
        Fewer than two respondents or no item with observations.

    Examples
    --------
    >>> m = as_response_matrix(np.array([[1, 0, np.nan], [0, 1, 1], [1, 1, 0]]))
    >>> m.items, m.values.shape
    (('item_0', 'item_1', 'item_2'), (3, 3))
    """
    if isinstance(data, ResponseMatrix):
        return data
    values, respondents, items = _to_array(data, respondent_column)
    if values.ndim != 2:
        raise InputShapeError(
            f"Responses must be 2-D (respondents x items), got shape {values.shape}."
        )
    if values.size == 0:
        raise EmptyInputError("The response matrix is empty.")
    if np.isinf(values).any():
        cols = sorted({items[j] for j in np.flatnonzero(np.isinf(values).any(axis=0))})
        raise InvalidValueError(
            f"Infinite values in item column(s) {format_items(cols)}; use NaN for missing."
        )
    observed = ~np.isnan(values)
    distinct = np.unique(values[observed])
    is_binary = bool(np.isin(distinct, (0.0, 1.0)).all())
    if binary is None:
        binary = is_binary
    if binary and not is_binary:
        bad_cols = ~np.isin(values, (0.0, 1.0)) & observed
        cols = [items[j] for j in np.flatnonzero(bad_cols.any(axis=0))]
        bad_values = np.unique(values[bad_cols])
        hint = ""
        if np.isin(bad_values, MISSING_CODES).any():
            hint = (
                f" {format_items([float(v) for v in bad_values if v in MISSING_CODES])} look like "
                "missing-value codes: replace them with NaN (missing is never 0 or -1)."
            )
        raise InvalidValueError(
            f"Binary models need responses in {{0, 1, NaN}}, but {len(cols)} item column(s) "
            f"hold other values ({format_items(bad_values.tolist(), 5)}): "
            f"{format_items(cols)}.{hint} For partial credit use a graded model (binary=False)."
        )
    categories: tuple[float, ...] = (0.0, 1.0)
    if not binary:
        if len(distinct) > MAX_CATEGORIES:
            raise InvalidValueError(
                f"Graded responses need a few ordered scores, but the data hold {len(distinct)} "
                f"distinct values ({format_items(distinct.tolist(), 5)}); round or bin them."
            )
        categories = tuple(float(v) for v in distinct)
        values = np.where(observed, np.searchsorted(distinct, np.nan_to_num(values)), np.nan)
    if drop_empty:
        values, respondents, items = _drop_empty(values, respondents, items)
    if values.shape[0] < 2:
        raise EmptyInputError(
            f"IRT needs at least two respondents with responses; got {values.shape[0]} "
            f"({format_items(respondents)}). Use score() to score one model against fitted items."
        )
    observed = ~np.isnan(values)
    _warn_suspicious(values, observed, items, binary)
    return ResponseMatrix(
        values=values, respondents=tuple(respondents), items=tuple(items), categories=categories
    )


def _to_array(data: Any, respondent_column: str | None) -> tuple[np.ndarray, list[str], list[str]]:
    if isinstance(data, pl.DataFrame):
        id_col = respondent_column
        if id_col is None and data.width and data.dtypes[0] in (pl.String, pl.Categorical):
            id_col = data.columns[0]
        item_cols = [c for c in data.columns if c != id_col]
        bad = [
            c
            for c in item_cols
            if not (data[c].dtype.is_numeric() or data[c].dtype in (pl.Boolean, pl.Null))
        ]
        if bad:
            raise InvalidValueError(
                f"Item columns must be numeric; {format_items(bad)} are not. Put respondent "
                "ids in the first column (or name it with respondent_column=)."
            )
        values = data.select(pl.col(item_cols).cast(pl.Float64)).to_numpy()
        ids = (
            data[id_col].cast(pl.String).to_list()
            if id_col
            else [str(i) for i in range(data.height)]
        )
        return values.astype(np.float64), ids, [str(c) for c in item_cols]
    if type(data).__module__.split(".")[0] == "pandas":
        values = data.astype("float64").to_numpy()
        return values, [str(i) for i in data.index], [str(c) for c in data.columns]
    values = np.asarray(data, dtype=np.float64)
    if values.ndim == 2:
        return (
            values,
            [str(i) for i in range(values.shape[0])],
            [f"item_{j}" for j in range(values.shape[1])],
        )
    return values, [], []


def _drop_empty(values: np.ndarray, respondents: list[str], items: list[str]):
    observed = ~np.isnan(values)
    empty_items = ~observed.any(axis=0)
    if empty_items.any():
        names = [items[j] for j in np.flatnonzero(empty_items)]
        if empty_items.all():
            raise EmptyInputError("No item has a single observed response.")
        warnings.warn(
            f"Dropped {len(names)} item(s) with no responses: {format_items(names)}.",
            HierlabWarning,
            stacklevel=3,
        )
        keep = ~empty_items
        values, items = values[:, keep], [i for i, k in zip(items, keep, strict=True) if k]
        observed = observed[:, keep]
    empty_rows = ~observed.any(axis=1)
    if empty_rows.any():
        names = [respondents[i] for i in np.flatnonzero(empty_rows)]
        warnings.warn(
            f"Dropped {len(names)} respondent(s) with no responses: {format_items(names)}.",
            HierlabWarning,
            stacklevel=3,
        )
        keep = ~empty_rows
        values, respondents = values[keep], [r for r, k in zip(respondents, keep, strict=True) if k]
    return values, respondents, items


def _warn_suspicious(
    values: np.ndarray, observed: np.ndarray, items: list[str], binary: bool
) -> None:
    filled = np.where(observed, values, np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        lo, hi = np.nanmin(filled, axis=0), np.nanmax(filled, axis=0)
    constant = lo == hi
    if constant.any():
        names = [items[j] for j in np.flatnonzero(constant)]
        warnings.warn(
            f"{len(names)} item(s) have the same response from every respondent "
            f"({format_items(names, 5)}); they carry no information about ability and their "
            "difficulty rests on the prior.",
            HierlabWarning,
            stacklevel=3,
        )
    if binary and (~observed).any() and not (values[observed] == 0).any():
        warnings.warn(
            "The responses hold only 1s and missing cells, no 0s: were wrong answers coded "
            "as missing? Code them 0; missing should mean 'not administered'.",
            HierlabWarning,
            stacklevel=3,
        )
