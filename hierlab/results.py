"""The one protocol every hierlab result follows.

Every function that returns more than a single table returns a **result**: a frozen
dataclass (never changed after it is built; compared by identity, ``eq=False``) that holds
polars tables and numbers, and that has

* ``.summary()``: a :class:`Summary`, which prints as aligned text and renders as a table
  in Jupyter (``_repr_html_``), like a statsmodels summary;
* ``.to_polars()``: the result's main table, where a table is its natural form;
* an HTML representation, so a result left at the end of a notebook cell shows its summary.

Statistical tests return a :class:`TestResult`: the statistic, its degrees of freedom, the
p-value, the method, the null hypothesis, warnings raised while computing it, and the
fitted model (a statsmodels result, for experts) kept as an attribute.

Examples
--------
>>> from hierlab.results import TestResult
>>> test = TestResult(method="Wald chi-square", statistic=3.2, df=1.0, p_value=0.0736,
...                   null_hypothesis="all groups have the same accuracy")
>>> print(test.summary())
Wald chi-square
---------------
null hypothesis  all groups have the same accuracy
statistic        3.2
df               1
p-value          0.0736
>>> test.to_polars().columns
['method', 'statistic', 'df', 'p_value']
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from hierlab.errors import InputTypeError, format_items

__all__ = ["Result", "Summary", "TestResult"]


def _format_value(value: Any) -> str:
    """Format a number for a summary: 4 significant digits, thousands separators for counts.

    Parameters
    ----------
    value : Any
        A number, a string or anything printable.

    Returns
    -------
    str
        The formatted value; ``"-"`` for None and NaN.

    Examples
    --------
    >>> _format_value(1234), _format_value(0.000123456), _format_value(float("nan"))
    ('1,234', '0.0001235', '-')
    """
    if value is None:
        return "-"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        if value.is_integer() and abs(value) < 1e15:
            return f"{int(value):,}"
        return f"{value:.4g}"
    return str(value)


class Summary:
    """A result's summary: prints as aligned text, renders as HTML tables in Jupyter.

    Parameters
    ----------
    title : str
        One line naming the result (the method, the model).
    facts : sequence of (str, Any), optional
        Named single values, shown as a two-column table.
    tables : mapping of str to polars.DataFrame, optional
        Named tables, shown after the facts.
    notes : sequence of str, optional
        Warnings and remarks, shown last.

    Examples
    --------
    >>> import polars as pl
    >>> s = Summary("Accuracy", facts=[("models", 2)], tables={"by model": pl.DataFrame({"model": ["a"], "accuracy": [0.5]})})
    >>> print(str(s).splitlines()[0])
    Accuracy
    >>> "<table" in s._repr_html_()
    True
    """

    def __init__(
        self,
        title: str,
        *,
        facts: Sequence[tuple[str, Any]] = (),
        tables: Mapping[str, pl.DataFrame] | None = None,
        notes: Sequence[str] = (),
    ) -> None:
        if not isinstance(title, str):
            raise InputTypeError(f"`title` must be text, got {type(title).__name__}.")
        if isinstance(facts, str | bytes) or not isinstance(facts, Iterable):
            raise InputTypeError(
                f"`facts` must be a list of (name, value) pairs, got {type(facts).__name__}."
            )
        facts = list(facts)
        bad = [i for i, f in enumerate(facts) if not (isinstance(f, tuple | list) and len(f) == 2)]
        if bad:
            raise InputTypeError(
                f"`facts` must hold (name, value) pairs; entries {format_items(bad)} are not."
            )
        if tables is not None and not isinstance(tables, Mapping):
            raise InputTypeError(
                f"`tables` must map names to polars DataFrames, got {type(tables).__name__}."
            )
        tables = dict(tables or {})
        wrong = [k for k, t in tables.items() if not isinstance(t, pl.DataFrame)]
        if wrong:
            raise InputTypeError(
                f"`tables` must hold polars DataFrames; {format_items(wrong)} are not."
            )
        if isinstance(notes, str | bytes) or not isinstance(notes, Iterable):
            raise InputTypeError(
                f"`notes` must be a list of texts (wrap one note in a list), got "
                f"{type(notes).__name__}."
            )
        self.title = title
        self.facts = [(str(k), v) for k, v in facts]
        self.tables = {str(k): t for k, t in tables.items()}
        self.notes = [str(n) for n in notes]

    def __str__(self) -> str:
        lines = [self.title, "-" * len(self.title)]
        width = max((len(k) for k, _ in self.facts), default=0)
        lines += [f"{k:<{width}}  {_format_value(v)}" for k, v in self.facts]
        with pl.Config(tbl_rows=30, tbl_cols=12, tbl_hide_dataframe_shape=True, fmt_str_lengths=40):
            for name, table in self.tables.items():
                lines += ["", f"{name}:", str(table)]
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        parts = [f"<div><strong>{html.escape(self.title)}</strong>"]
        if self.facts:
            rows = "".join(
                f"<tr><th style='text-align:left'>{html.escape(k)}</th>"
                f"<td style='text-align:right'>{html.escape(_format_value(v))}</td></tr>"
                for k, v in self.facts
            )
            parts.append(f"<table>{rows}</table>")
        for name, table in self.tables.items():
            parts.append(f"<p><em>{html.escape(name)}</em></p>{table._repr_html_()}")
        parts += [f"<p>note: {html.escape(n)}</p>" for n in self.notes]
        parts.append("</div>")
        return "".join(parts)


class Result:
    """Base class of hierlab's results: frozen, compared by identity, with a summary.

    Subclasses are ``@dataclass(frozen=True, eq=False)`` records that implement
    :meth:`summary` and, where a table is the natural form, :meth:`to_polars`.

    Examples
    --------
    >>> from dataclasses import dataclass
    >>> @dataclass(frozen=True, eq=False)
    ... class Count(Result):
    ...     n: int
    ...     def summary(self) -> Summary:
    ...         return Summary("Count", facts=[("n", self.n)])
    >>> print(Count(3).summary())
    Count
    -----
    n  3
    """

    def summary(self) -> Summary:
        """Summarise the result (text when printed, an HTML table in Jupyter).

        Returns
        -------
        Summary
        """
        raise NotImplementedError(f"{type(self).__name__} has no summary")

    def to_polars(self) -> pl.DataFrame:
        """Return the result's main table.

        Returns
        -------
        polars.DataFrame
        """
        raise NotImplementedError(f"{type(self).__name__} has no single main table")

    def _repr_html_(self) -> str:
        return self.summary()._repr_html_()


@dataclass(frozen=True, eq=False)
class TestResult(Result):
    """A statistical test: statistic, degrees of freedom, p-value, method and what it tests.

    Attributes
    ----------
    method : str
        The test, in words ("Wald chi-square, item-clustered", "McNemar exact").
    statistic : float
        The test statistic.
    df : float or None
        Its degrees of freedom (None where the reference distribution has none).
    p_value : float
        The p-value.
    null_hypothesis : str
        What the test assumes, in words.
    table : polars.DataFrame or None
        Details: coefficients, per-group contributions or per-pair results.
    warnings : tuple of str
        Problems met while computing the test (separation, sparse cells, small groups).
    fitted : Any
        The fitted model behind the test (a statsmodels result), for experts; not shown.

    Examples
    --------
    >>> t = TestResult(method="z test", statistic=1.96, df=None, p_value=0.05)
    >>> float(t.to_polars()["p_value"][0])
    0.05
    """

    __test__ = False  # not a pytest test class

    method: str
    statistic: float
    df: float | None
    p_value: float
    null_hypothesis: str = ""
    table: pl.DataFrame | None = None
    warnings: tuple[str, ...] = ()
    fitted: Any = field(default=None, repr=False)

    def summary(self) -> Summary:
        """Summarise the test as a :class:`Summary`.

        Returns
        -------
        Summary
        """
        facts: list[tuple[str, Any]] = []
        if self.null_hypothesis:
            facts.append(("null hypothesis", self.null_hypothesis))
        facts += [("statistic", self.statistic), ("df", self.df), ("p-value", self.p_value)]
        tables = {"details": self.table} if self.table is not None else {}
        return Summary(self.method, facts=facts, tables=tables, notes=self.warnings)

    def to_polars(self) -> pl.DataFrame:
        """Return the test as one row: ``method, statistic, df, p_value``.

        Returns
        -------
        polars.DataFrame
        """
        return pl.DataFrame(
            {
                "method": [self.method],
                "statistic": [float(self.statistic)],
                "df": [None if self.df is None else float(self.df)],
                "p_value": [float(self.p_value)],
            },
            schema={
                "method": pl.String,
                "statistic": pl.Float64,
                "df": pl.Float64,
                "p_value": pl.Float64,
            },
        )
