"""Bias charts: forest plot of group estimates, disparity plot, model x group heatmap."""

from __future__ import annotations

from typing import Any

import polars as pl

from hierlab.errors import EmptyInputError, InvalidValueError
from hierlab.plot._common import limit, need, table
from hierlab.plot.theme import DOUBLE_COLUMN, SINGLE_COLUMN

__all__ = ["disparity_plot", "forest_plot", "group_heatmap"]


def forest_plot(
    result: Any,
    *,
    model: str | None = None,
    title: str = "Accuracy by region",
    x_title: str = "Accuracy",
    width: int = SINGLE_COLUMN,
) -> Any:
    """Draw point estimates with intervals per group, with the overall mean as a line.

    Parameters
    ----------
    result : Disaggregation or polars.DataFrame
        A :class:`hierlab.bias.Disaggregation` or its table (``model, group, n,
        estimate, ci_low, ci_high``).
    model : str, optional
        One model to show (default: all models, coloured).
    title : str, default "Accuracy by region"
        Chart title.
    x_title : str, default "Accuracy"
        Title of the estimate axis.
    width : int, default SINGLE_COLUMN
        Chart width in pixels.

    Returns
    -------
    altair.LayerChart

    Examples
    --------
    >>> t = pl.DataFrame({"model": ["m", "m"], "group": ["A", "B"], "n": [10, 20],
    ...                   "estimate": [0.5, 0.7], "ci_low": [0.2, 0.5], "ci_high": [0.8, 0.85]})
    >>> [layer["mark"]["type"] for layer in forest_plot(t).to_dict()["layer"]]
    ['rule', 'point', 'rule']
    """
    import altair as alt

    frame = table(result, "table")
    need(frame, ["group", "estimate", "ci_low", "ci_high"], "forest_plot")
    if frame.height == 0:
        raise EmptyInputError("forest_plot: the table has no rows to draw.")
    if model is not None:
        need(frame, ["model"], "forest_plot")
        frame = frame.filter(pl.col("model") == model)
        if frame.height == 0:
            raise InvalidValueError(f"forest_plot: no rows for model {model!r}.")
    frame = limit(frame, "forest_plot")
    overall = (
        (frame["estimate"] * frame["n"]).sum() / frame["n"].sum()
        if "n" in frame.columns
        else frame["estimate"].mean()
    )
    order = (
        frame.group_by("group").agg(pl.col("estimate").mean()).sort("estimate")["group"].to_list()
    )
    color = (
        alt.Color("model:N", title="Model")
        if "model" in frame.columns and frame["model"].n_unique() > 1
        else alt.value("#0072B2")
    )
    y = alt.Y("group:N", sort=order, title=None)
    tips = [
        c for c in ("model", "group", "n", "estimate", "ci_low", "ci_high") if c in frame.columns
    ]
    offset = (
        alt.YOffset("model:N")
        if "model" in frame.columns and frame["model"].n_unique() > 1
        else alt.YOffset()
    )
    base = alt.Chart(frame)
    bars = base.mark_rule().encode(
        y=y,
        yOffset=offset,
        x=alt.X("ci_low:Q", title=x_title, scale=alt.Scale(zero=False)),
        x2="ci_high:Q",
        color=color,
        tooltip=tips,
    )
    dots = base.mark_point(filled=True, size=40).encode(
        y=y, yOffset=offset, x="estimate:Q", color=color, tooltip=tips
    )
    line = (
        alt.Chart(pl.DataFrame({"overall": [overall]}))
        .mark_rule(strokeDash=[4, 3], color="#555555")
        .encode(x="overall:Q")
    )
    return alt.layer(bars, dots, line, title=title).properties(
        width=width, height=max(120, 22 * len(order))
    )


def disparity_plot(
    disparity: Any,
    *,
    measure: str = "gap",
    title: str = "Disparity across regions",
    width: int = SINGLE_COLUMN,
) -> Any:
    """Draw one disparity measure per model with its interval.

    Parameters
    ----------
    disparity : Disparity or polars.DataFrame
        A :class:`hierlab.bias.Disparity` (or its table), or the table of
        :func:`hierlab.bias.contrast` (with ``measure="difference"``).
    measure : {"gap", "ratio", "relative_gap", "difference"}, default "gap"
        The measure to show (with its ``<measure>_ci_low, <measure>_ci_high``); the
        intervals of ``gap`` are simultaneous (valid after picking best and worst).
    title : str, default "Disparity across regions"
        Chart title.
    width : int, default SINGLE_COLUMN
        Chart width in pixels.

    Returns
    -------
    altair.LayerChart

    Examples
    --------
    >>> t = pl.DataFrame({"model": ["m1", "m2"], "gap": [0.2, 0.1], "gap_ci_low": [0.1, 0.0], "gap_ci_high": [0.3, 0.2]})
    >>> disparity_plot(t).to_dict()["layer"][1]["mark"]["type"]
    'point'
    """
    import altair as alt

    names = {
        "gap": "Best - worst group",
        "ratio": "Best / worst group",
        "relative_gap": "Relative gap",
        "difference": "Difference between the groups",
    }
    if measure not in names:
        raise InvalidValueError(
            f"`measure` must be 'gap', 'ratio', 'relative_gap' or 'difference', got {measure!r}."
        )
    low, high = f"{measure}_ci_low", f"{measure}_ci_high"
    frame = limit(table(disparity, "table"), "disparity_plot")
    need(frame, ["model", measure, low, high], "disparity_plot")
    frame = frame.filter(pl.col(measure).is_not_null())
    if frame.height == 0:
        raise EmptyInputError(f"disparity_plot: no model has a {measure!r} to draw.")
    y = alt.Y("model:N", sort=alt.EncodingSortField(measure, order="descending"), title=None)
    tips = ["model", measure, low, high] + [
        c
        for c in ("worst_group", "best_group", "group_a", "group_b", "p_value")
        if c in frame.columns
    ]
    base = alt.Chart(frame)
    null_line = (
        alt.Chart(pl.DataFrame({"x": [1.0 if measure == "ratio" else 0.0]}))
        .mark_rule(strokeDash=[4, 3], color="#555555")
        .encode(x="x:Q")
    )
    return alt.layer(
        base.mark_rule().encode(
            y=y,
            x=alt.X(f"{low}:Q", title=names[measure]),
            x2=f"{high}:Q",
            tooltip=tips,
        ),
        base.mark_point(filled=True, size=40).encode(y=y, x=f"{measure}:Q", tooltip=tips),
        null_line,
        title=title,
    ).properties(width=width, height=max(120, 18 * frame.height))


def group_heatmap(
    result: Any,
    *,
    value: str = "estimate",
    title: str = "Accuracy by model and region",
    value_title: str = "Accuracy",
    width: int = DOUBLE_COLUMN,
) -> Any:
    """Draw a model x group heatmap of a disaggregated outcome, with each cell's value printed.

    Parameters
    ----------
    result : Disaggregation or polars.DataFrame
        A :class:`hierlab.bias.Disaggregation` or any table with ``model, group`` and
        the ``value`` column.
    value : str, default "estimate"
        The column to colour by.
    title : str, default "Accuracy by model and region"
        Chart title.
    value_title : str, default "Accuracy"
        Legend title.
    width : int, default DOUBLE_COLUMN
        Largest chart width in pixels (narrower for few groups).

    Returns
    -------
    altair.LayerChart

    Examples
    --------
    >>> t = pl.DataFrame({"model": ["m", "m"], "group": ["A", "B"], "estimate": [0.5, 0.7], "n": [3, 4]})
    >>> group_heatmap(t).to_dict()["layer"][0]["mark"]["type"]
    'rect'
    """
    import altair as alt

    frame = limit(table(result, "table"), "group_heatmap")
    need(frame, ["model", "group", value], "group_heatmap")
    if frame.height == 0:
        raise EmptyInputError("group_heatmap: the table has no rows to draw.")
    tips = [c for c in ("model", "group", value, "n", "ci_low", "ci_high") if c in frame.columns]
    base = alt.Chart(frame).encode(x=alt.X("group:N", title=None), y=alt.Y("model:N", title=None))
    rect = base.mark_rect().encode(
        color=alt.Color(f"{value}:Q", title=value_title, scale=alt.Scale(scheme="viridis")),
        tooltip=tips,
    )
    text = base.mark_text(fontSize=8).encode(
        text=alt.Text(f"{value}:Q", format=".2f"),
        color=alt.condition(f"datum['{value}'] > 0.5", alt.value("black"), alt.value("white")),
    )
    n_groups = frame["group"].n_unique()
    return alt.layer(rect, text, title=title).properties(
        width=min(width, 60 * n_groups), height=16 * frame["model"].n_unique()
    )
