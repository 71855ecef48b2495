"""Response matrices: models are rows, items are columns, missing is NaN.

Every IRT function in hierlab takes a :class:`ResponseMatrix` or anything
:func:`as_response_matrix` accepts: a polars DataFrame (an optional first text column
holds the model ids), a pandas DataFrame (the index holds them), a 2-D numpy array, or a
long results table through :func:`responses_from_long`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from hierlab._tables import as_polars, require_columns
from hierlab.errors import (
    DuplicateRowsError,
    EmptyInputError,
    HierlabWarning,
    InputShapeError,
    InputTypeError,
    InvalidValueError,
    format_items,
)

__all__ = ["ResponseMatrix", "as_response_matrix", "response_values", "responses_from_long"]

MISSING_CODES = (-1.0, -9.0, -99.0, 9.0, 99.0, 999.0)
MAX_CATEGORIES = 12


@dataclass(frozen=True, eq=False)
class ResponseMatrix:
    """A validated models x items matrix of responses.

    Build one with :func:`as_response_matrix` (from a wide table or an array) or
    :func:`responses_from_long` (from a long results table); both check the values.

    Attributes
    ----------
    values : numpy.ndarray
        Float array (models x items); NaN is missing. Binary data hold 0/1; graded data
        hold category indices 0..K-1.
    models : tuple of str
        The model ids, one per row.
    items : tuple of str
        The item ids, one per column.
    categories : tuple of float
        The original score of each category (``(0.0, 1.0)`` for binary data).

    Examples
    --------
    >>> m = ResponseMatrix(np.array([[1.0, 0.0], [0.0, np.nan]]), ("a", "b"), ("q1", "q2"))
    >>> m.n_models, m.n_items
    (2, 2)
    >>> m.to_polars().columns
    ['model', 'q1', 'q2']
    >>> m == ResponseMatrix(m.values.copy(), ("a", "b"), ("q1", "q2"))
    True
    """

    values: np.ndarray
    models: tuple[str, ...]
    items: tuple[str, ...]
    categories: tuple[float, ...] = (0.0, 1.0)

    __hash__ = None  # type: ignore[assignment]  # holds an array: compared by value, not hashed

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ResponseMatrix):
            return NotImplemented
        return (
            self.models == other.models
            and self.items == other.items
            and self.categories == other.categories
            and np.array_equal(self.values, other.values, equal_nan=True)
        )

    def __post_init__(self) -> None:
        if not isinstance(self.values, np.ndarray) or self.values.ndim != 2:
            raise InputTypeError(
                "`values` of a ResponseMatrix must be a 2-D numpy array (models x items); "
                "use as_response_matrix() to convert tables and lists."
            )
        if self.values.shape != (len(self.models), len(self.items)):
            raise InputShapeError(
                f"A ResponseMatrix of shape {self.values.shape} needs {self.values.shape[0]} "
                f"model ids and {self.values.shape[1]} item ids, got {len(self.models)} and "
                f"{len(self.items)}."
            )

    @property
    def shape(self) -> tuple[int, int]:
        """Return ``(n_models, n_items)``."""
        return self.values.shape  # type: ignore[return-value]

    @property
    def n_models(self) -> int:
        """Return the number of models (rows)."""
        return self.values.shape[0]

    @property
    def n_items(self) -> int:
        """Return the number of items (columns)."""
        return self.values.shape[1]

    @property
    def n_categories(self) -> int:
        """Return the number of response categories (2 for binary data)."""
        return len(self.categories)

    @property
    def observed(self) -> np.ndarray:
        """Return the boolean mask of observed cells."""
        return ~np.isnan(self.values)

    def scores(self) -> np.ndarray:
        """Return the responses in their original scores (NaN where missing).

        Returns
        -------
        numpy.ndarray
            Models x items; graded categories mapped back to their scores (0, 0.5, 1 ...).

        Examples
        --------
        >>> m = ResponseMatrix(np.array([[0.0, 2.0], [1.0, np.nan]]), ("a", "b"), ("q1", "q2"),
        ...                    categories=(0.0, 0.5, 1.0))
        >>> m.scores().tolist()
        [[0.0, 1.0], [0.5, nan]]
        """
        scores = np.asarray(self.categories)[np.nan_to_num(self.values).astype(np.int64)]
        return np.where(self.observed, scores, np.nan)

    def to_polars(self) -> pl.DataFrame:
        """Return the wide table: a ``model`` column, then one column per item.

        Returns
        -------
        polars.DataFrame
            One row per model; cells hold the original scores, null where missing.

        Examples
        --------
        >>> m = ResponseMatrix(np.array([[1.0, np.nan], [0.0, 1.0]]), ("a", "b"), ("q1", "q2"))
        >>> m.to_polars().row(0)
        ('a', 1.0, None)
        """
        frame = pl.DataFrame(self.scores(), schema=list(self.items), orient="row")
        return (
            frame.with_columns(pl.Series("model", self.models, dtype=pl.String))
            .select("model", *self.items)
            .fill_nan(None)
        )


def responses_from_long(
    table: Any,
    *,
    model: str = "model",
    item: str = "item",
    correct: str = "correct",
    binary: bool | None = None,
) -> ResponseMatrix:
    """Build a response matrix from a long results table (one row per model and item).

    Cells with no row stay missing (NaN), never 0.

    Parameters
    ----------
    table : polars or pandas DataFrame
        The long results table.
    model : str, default "model"
        The column holding the model ids (the rows of the matrix).
    item : str, default "item"
        The column holding the item ids (the columns of the matrix).
    correct : str, default "correct"
        The column holding the outcome: 0/1, or a few ordered scores for graded models.
    binary : bool, optional
        Passed to :func:`as_response_matrix`: True requires 0/1, False allows graded scores,
        None decides from the data.

    Returns
    -------
    ResponseMatrix

    Raises
    ------
    InputShapeError
        A named column is missing (the present columns are listed).
    DuplicateRowsError
        The same (model, item) pair appears on several rows (examples are listed).

    Examples
    --------
    >>> long = pl.DataFrame({"model": ["a", "a", "b", "c"], "item": ["q1", "q2", "q1", "q2"],
    ...                      "correct": [1, 0, 0, 1]})
    >>> m = responses_from_long(long, binary=True)
    >>> m.models, m.values.tolist()
    (('a', 'b', 'c'), [[1.0, 0.0], [0.0, nan], [nan, 1.0]])
    """
    table = as_polars(table, "The long results table `table`")
    require_columns(
        table,
        [model, item, correct],
        "The long results table",
        "Name them with model=, item=, correct=.",
    )
    if not (table[correct].dtype.is_numeric() or table[correct].dtype == pl.Boolean):
        raise InputTypeError(
            f"The outcome column {correct!r} must hold numbers (0/1 or scores), "
            f"got {table[correct].dtype}."
        )
    frame = table.select(
        pl.col(model).cast(pl.String).alias("model"),
        pl.col(item).cast(pl.String).alias("item"),
        pl.col(correct).cast(pl.Float64).alias("correct"),
    )
    duplicated = frame.filter(pl.struct("model", "item").is_duplicated())
    if duplicated.height:
        pairs = duplicated.select("model", "item").unique(maintain_order=True).rows()
        raise DuplicateRowsError(
            f"{len(pairs)} (model, item) pair(s) appear more than once, e.g. "
            f"{format_items(pairs, 3)}. Aggregate them first (one outcome per pair)."
        )
    wide = frame.pivot(on="item", index="model", values="correct", maintain_order=True)
    return as_response_matrix(wide, model="model", binary=binary)


def response_values(
    data: Any, *, model: str | None = None
) -> tuple[np.ndarray, list[str], list[str]]:
    """Return the numbers, model ids and item ids of wide responses, without validating them.

    The conversion behind :func:`as_response_matrix` (which then checks the values, codes
    graded scores as categories and drops empty rows and columns), for code that applies
    its own rules, such as scoring a single new model against a fit.

    Parameters
    ----------
    data : polars/pandas DataFrame or 2-D array
        Models are rows, items are columns. The model ids are the column named by
        ``model``, else a column named ``model``, ``id``, ``name``, ``respondent`` (and a
        few more, see ``ID_COLUMNS``), else a first column of text, else (pandas) a
        non-default index. Any other text column is an error that names it.
    model : str, optional
        The column holding the model ids.

    Returns
    -------
    values : numpy.ndarray
        Float array, models x items, NaN where missing.
    models : list of str
        Model ids (``"0", "1", ...`` when the input has none).
    items : list of str
        Item ids (``"item_0", ...`` for arrays).

    Raises
    ------
    InputTypeError
        ``data`` is not a table or an array of numbers, or item columns hold text (they
        and a few of their values are named).
    DuplicateRowsError
        Repeated item names or model ids (they are named).

    Examples
    --------
    >>> values, models, items = response_values(pl.DataFrame({"model": ["a"], "q1": [1]}))
    >>> values.tolist(), models, items
    ([[1.0]], ['a'], ['q1'])
    """
    if isinstance(data, pl.LazyFrame):
        data = data.collect()
    if type(data).__module__.split(".")[0] == "pandas" and hasattr(data, "columns"):
        names = [str(c) for c in data.columns]
        dup = sorted({c for c in names if names.count(c) > 1})
        if dup:
            raise DuplicateRowsError(
                f"The responses name {len(dup)} item column(s) more than once: "
                f"{format_items(dup)}. Give every item a unique name."
            )
        index_ids = not _is_default_index(data.index)
        try:
            frame = pl.from_pandas(data.reset_index(drop=True), include_index=False)
        except Exception:  # mixed text and numbers in one object column
            mixed = [
                str(c)
                for c in data.columns
                if data[c].dtype == object and data[c].map(lambda v: isinstance(v, str)).any()
            ]
            examples = [v for v in data[mixed[0]] if isinstance(v, str)][:3] if mixed else []
            raise InputTypeError(
                f"Responses must be numeric; column(s) {format_items(mixed)} hold text "
                f"(e.g. {format_items(examples)}). Convert answers to 0/1 (or scores), NaN "
                "for missing."
            ) from None
        frame.columns = names
        if index_ids and model is None:
            values, _, items = _polars_values(frame, None, allow_ids=False)
            return values, [str(i) for i in data.index], items
        return _polars_values(frame, model, allow_ids=True)
    if isinstance(data, pl.DataFrame):
        return _polars_values(data, model, allow_ids=True)
    try:
        values = np.asarray(data, dtype=np.float64)
    except (TypeError, ValueError):
        raw = (
            np.asarray(data, dtype=object) if isinstance(data, list | tuple | np.ndarray) else None
        )
        if raw is not None and raw.ndim == 2:
            bad = [
                j for j in range(raw.shape[1]) if any(isinstance(v, str | bytes) for v in raw[:, j])
            ]
            if bad:
                examples = [v for v in raw[:, bad[0]] if isinstance(v, str | bytes)][:3]
                raise InputTypeError(
                    f"Responses must be numeric; column(s) {format_items([f'item_{j}' for j in bad])} "
                    f"hold text (e.g. {format_items(examples)}). Convert them to 0/1 (or "
                    "scores), NaN for missing."
                ) from None
        raise InputTypeError(
            "`responses` must be a ResponseMatrix, a polars or pandas DataFrame (models as "
            f"rows, items as columns) or a 2-D array of numbers, got {type(data).__name__}. "
            "For a long results table use responses_from_long()."
        ) from None
    if values.ndim != 2:
        raise InputShapeError(f"Responses must be 2-D (models x items), got shape {values.shape}.")
    return (
        values,
        [str(i) for i in range(values.shape[0])],
        [f"item_{j}" for j in range(values.shape[1])],
    )


#: Column names taken as the model ids when no ``model=`` is given.
ID_COLUMNS = ("model", "models", "id", "model_id", "name", "respondent", "system")


def _is_default_index(index: Any) -> bool:
    """Whether a pandas index is the default 0..n-1 (so it holds no model ids)."""
    return type(index).__name__ == "RangeIndex" and index.start == 0 and index.step == 1


def _polars_values(
    data: pl.DataFrame, model: str | None, *, allow_ids: bool
) -> tuple[np.ndarray, list[str], list[str]]:
    """Numbers, model ids and item ids of a wide polars table (see :func:`response_values`)."""
    id_col = model
    if id_col is not None:
        require_columns(data, [id_col], "The responses", "Name the model column with model=.")
    elif allow_ids:
        named = [c for c in data.columns if c.lower() in ID_COLUMNS]
        text = [c for c in data.columns if data[c].dtype in (pl.String, pl.Categorical, pl.Enum)]
        if len(named) == 1:
            id_col = named[0]
        elif len(named) > 1:
            raise InputShapeError(
                f"Several columns could hold the model ids ({format_items(named)}); name the "
                "right one with model= and drop the others."
            )
        elif text and text[0] == data.columns[0]:
            id_col = text[0]
    item_cols = [c for c in data.columns if c != id_col]
    if not item_cols:
        raise EmptyInputError("The responses have no item columns.")
    text_cols = [
        c for c in item_cols if data[c].dtype in (pl.String, pl.Categorical, pl.Enum, pl.Object)
    ]
    if text_cols:
        examples = (
            data[text_cols[0]].cast(pl.String).drop_nulls().unique(maintain_order=True).head(3)
        )
        hint = (
            " It looks like the model ids: name it with model= (or put it first)."
            if id_col is None
            and len(text_cols) == 1
            and data[text_cols[0]].n_unique() == data.height
            else ""
        )
        raise InputTypeError(
            f"Responses must be numeric; column(s) {format_items(text_cols)} hold text "
            f"(e.g. {format_items(examples.to_list())}).{hint} Convert answers to 0/1 (or "
            "scores), with null or NaN for missing."
        )
    bad = [
        c
        for c in item_cols
        if not (data[c].dtype.is_numeric() or data[c].dtype in (pl.Boolean, pl.Null))
    ]
    if bad:
        raise InputTypeError(
            f"Item columns must be numeric; {format_items(bad)} are not "
            f"({format_items([str(data[c].dtype) for c in bad])})."
        )
    values = data.select(pl.col(item_cols).cast(pl.Float64)).to_numpy()
    if id_col is not None:
        ids = data[id_col].cast(pl.String).to_list()
        missing = [i for i, v in enumerate(ids) if v is None]
        if missing:
            raise InvalidValueError(
                f"The model id column {id_col!r} is null in row(s) {format_items(missing)}; "
                "every model needs an id."
            )
        dup = sorted({v for v in ids if ids.count(v) > 1}) if len(set(ids)) < len(ids) else []
        if dup:
            raise DuplicateRowsError(
                f"The model id column {id_col!r} names {len(dup)} model(s) more than once: "
                f"{format_items(dup)}. Aggregate their rows first (one row per model)."
            )
    else:
        ids = [str(i) for i in range(data.height)]
    return values.astype(np.float64), ids, [str(c) for c in item_cols]


def as_response_matrix(
    data: Any,
    *,
    model: str | None = None,
    binary: bool | None = None,
    drop_empty: bool = True,
) -> ResponseMatrix:
    """Validate responses and return a :class:`ResponseMatrix`.

    Parameters
    ----------
    data : ResponseMatrix, polars/pandas DataFrame or 2-D array
        Models are rows, items are columns. For polars, a first column of text (or the
        column named by ``model``) holds the model ids; for pandas, the index does.
    model : str, optional
        The polars column holding the model ids.
    binary : bool, optional
        True: values must be 0, 1 or missing. False: graded scores (a few ordered values
        such as 0, 0.5, 1 or 0..4). None: binary if the data only hold 0/1.
    drop_empty : bool, default True
        Drop models and items with no observation (with a warning naming them).

    Returns
    -------
    ResponseMatrix
        ``data`` itself when it already is one.

    Raises
    ------
    InputTypeError
        ``data`` is not a table or array of numbers.
    InvalidValueError
        Values outside {0, 1, NaN} for binary data (the columns are named), infinite
        values, or too many distinct scores for graded data.
    EmptyInputError
        Fewer than two models or no item with observations.

    Examples
    --------
    >>> m = as_response_matrix(np.array([[1, 0, np.nan], [0, 1, 1], [1, 1, 0]]))
    >>> m.items, m.values.shape
    (('item_0', 'item_1', 'item_2'), (3, 3))
    """
    if isinstance(data, ResponseMatrix):
        return data
    values, models, items = response_values(data, model=model)
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
        bad_cells = ~np.isin(values, (0.0, 1.0)) & observed
        cols = [items[j] for j in np.flatnonzero(bad_cells.any(axis=0))]
        bad_values = np.unique(values[bad_cells])
        hint = ""
        if np.isin(bad_values, MISSING_CODES).any():
            codes = bad_values[np.isin(bad_values, MISSING_CODES)]
            hint = (
                f" {format_items(codes.tolist())} look like missing-value codes: replace "
                "them with NaN (missing is never 0 or -1)."
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
        values, models, items = _drop_empty(values, models, items)
    if values.shape[0] < 2:
        raise EmptyInputError(
            f"IRT needs at least two models with responses; got {values.shape[0]} "
            f"({format_items(models)}). Use score() to score one model against fitted items."
        )
    _warn_suspicious(values, ~np.isnan(values), items, binary)
    return ResponseMatrix(
        values=values, models=tuple(models), items=tuple(items), categories=categories
    )


def _drop_empty(
    values: np.ndarray, models: list[str], items: list[str]
) -> tuple[np.ndarray, list[str], list[str]]:
    observed = ~np.isnan(values)
    empty_items = ~observed.any(axis=0)
    if empty_items.any():
        if empty_items.all():
            raise EmptyInputError("No item has a single observed response.")
        names = np.asarray(items, dtype=object)[empty_items].tolist()
        warnings.warn(
            f"Dropped {len(names)} item(s) with no responses: {format_items(names)}.",
            HierlabWarning,
            stacklevel=3,
        )
        values = values[:, ~empty_items]
        items = np.asarray(items, dtype=object)[~empty_items].tolist()
        observed = observed[:, ~empty_items]
    empty_rows = ~observed.any(axis=1)
    if empty_rows.any():
        names = np.asarray(models, dtype=object)[empty_rows].tolist()
        warnings.warn(
            f"Dropped {len(names)} model(s) with no responses: {format_items(names)}.",
            HierlabWarning,
            stacklevel=3,
        )
        values = values[~empty_rows]
        models = np.asarray(models, dtype=object)[~empty_rows].tolist()
    return values, models, items


def _warn_suspicious(
    values: np.ndarray, observed: np.ndarray, items: list[str], binary: bool
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        lo, hi = np.nanmin(values, axis=0), np.nanmax(values, axis=0)
    constant = lo == hi
    if constant.any():
        names = np.asarray(items, dtype=object)[constant].tolist()
        warnings.warn(
            f"{len(names)} item(s) have the same response from every model "
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
