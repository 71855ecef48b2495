"""Depth-degradation charts: accuracy by depth, survival, the deepest right depth.

Per-depth accuracy comes with confidence bands, survival with conditional accuracy, and
the deepest right depth as a cumulative distribution; depths can be named with
``depth_labels`` (``{1: "region", 2: "country"}``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from hierlab.errors import EmptyInputError, InputTypeError, InvalidValueError, format_items
from hierlab.plot._common import limit, need, table
from hierlab.plot.theme import SINGLE_COLUMN

__all__ = ["deepest_correct_cdf", "depth_curves", "survival_plot"]


def _bands(
    frame: Any, y: str, low: str, high: str, title: str, y_title: str, width: int, depth_labels: Any
) -> Any:
    import altair as alt

    x = alt.X("depth:O", title="Depth", axis=_depth_axis(depth_labels))
    color = (
        alt.Color("model:N", title="Model") if "model" in frame.columns else alt.value("#0072B2")
    )
    base = alt.Chart(frame)
    tips = [c for c in ("model", "depth", y, low, high, "n") if c in frame.columns]
    band = base.mark_area(opacity=0.15).encode(
        x=x,
        y=alt.Y(f"{low}:Q", title=y_title, scale=alt.Scale(domain=[0, 1])),
        y2=f"{high}:Q",
        color=color,
    )
    line = base.mark_line(point=True).encode(x=x, y=f"{y}:Q", color=color, tooltip=tips)
    return alt.layer(band, line, title=title).properties(width=width, height=180)


def _depth_axis(depth_labels: Any) -> Any:
    """Return the depth axis: numbers flat, or names slanted so neighbours never touch."""
    import altair as alt

    if depth_labels is None:
        return alt.Axis(labelAngle=0)
    return alt.Axis(
        labelAngle=-30,
        labelAlign="right",
        labelBaseline="middle",
        labelExpr=_label_expr(depth_labels),
    )


def _label_expr(labels: Any) -> str:
    if isinstance(labels, Mapping):
        mapping = dict(labels)
    elif isinstance(labels, Sequence) and not isinstance(labels, str):
        mapping = {i + 1: v for i, v in enumerate(labels)}
    else:
        raise InputTypeError(
            "`depth_labels` must be a list of names for depths 1, 2, ... or a dict "
            f"{{depth: name}}, got {type(labels).__name__}."
        )
    if not mapping:
        return "datum.value"
    quoted = {int(k): str(v).replace("\\", "\\\\").replace("'", "\\'") for k, v in mapping.items()}
    cases = " : ".join(f"datum.value == {k} ? '{v}'" for k, v in quoted.items())
    return f"{cases} : datum.value"


#: Measures of :func:`hierlab.depth.accuracy_by_depth` that :func:`depth_curves` draws.
DEPTH_MEASURES = {
    "accuracy": ("ci_low", "ci_high", "Path accuracy"),
    "label_accuracy": ("label_accuracy_ci_low", "label_accuracy_ci_high", "Label accuracy"),
    "conditional": (
        "conditional_ci_low",
        "conditional_ci_high",
        "Right given the depth above right",
    ),
    "coverage": ("coverage_ci_low", "coverage_ci_high", "Share answering at this depth"),
    "selective_accuracy": (
        "selective_accuracy_ci_low",
        "selective_accuracy_ci_high",
        "Accuracy of the answers given",
    ),
}


def depth_curves(
    accuracy: Any,
    *,
    title: str = "Accuracy by depth",
    depth_labels: Any = None,
    normalised: bool = False,
    measure: str = "accuracy",
    width: int = SINGLE_COLUMN,
) -> Any:
    """Draw a depth measure (accuracy by default) per model, with interval bands.

    Parameters
    ----------
    accuracy : polars.DataFrame
        The table of :func:`hierlab.depth.accuracy_by_depth` (``model, depth, accuracy,
        ci_low, ci_high``, and ``normalised``).
    title : str, default "Accuracy by depth"
        Chart title.
    depth_labels : list of str or dict of int to str, optional
        Names of the depths: a list for depths 1, 2, ... or a dict depth -> name.
    normalised : bool, default False
        Draw chance-normalised accuracy (without bands) instead of accuracy.
    measure : {"accuracy", "label_accuracy", "conditional", "coverage", "selective_accuracy"}, default "accuracy"
        The measure to draw with its Wilson band (``conditional``: right given the depth
        above right, the headline of depth degradation).
    width : int, default SINGLE_COLUMN
        Chart width in pixels.

    Returns
    -------
    altair.LayerChart

    Examples
    --------
    >>> import polars as pl
    >>> t = pl.DataFrame({"model": ["m", "m"], "depth": [1, 2], "accuracy": [0.9, 0.6],
    ...                   "ci_low": [0.8, 0.5], "ci_high": [0.95, 0.7], "n": [50, 50]})
    >>> [layer["mark"]["type"] for layer in depth_curves(t).to_dict()["layer"]]
    ['area', 'line']
    """
    frame = limit(table(accuracy), "depth_curves")
    if normalised:
        need(frame, ["depth", "normalised"], "depth_curves")
        return _bands(
            frame.with_columns(lo=frame["normalised"], hi=frame["normalised"]),
            "normalised",
            "lo",
            "hi",
            title,
            "Chance-normalised accuracy",
            width,
            depth_labels,
        )
    if measure not in DEPTH_MEASURES:
        raise InvalidValueError(
            f"`measure` must be one of {format_items(list(DEPTH_MEASURES))}, got {measure!r}."
        )
    low, high, y_title = DEPTH_MEASURES[measure]
    need(frame, ["depth", measure, low, high], "depth_curves")
    if frame.height == 0:
        raise EmptyInputError("depth_curves: the table has no rows to draw.")
    return _bands(frame, measure, low, high, title, y_title, width, depth_labels)


def survival_plot(
    survival: Any,
    *,
    title: str = "Survival and conditional accuracy",
    depth_labels: Any = None,
    width: int = SINGLE_COLUMN,
) -> Any:
    """Draw two panels: survival S_d (every depth down to d right) and conditional accuracy c_d.

    Parameters
    ----------
    survival : polars.DataFrame
        The table of :func:`hierlab.depth.survival`.
    title : str, default "Survival and conditional accuracy"
        Title above both panels.
    depth_labels : list of str or dict of int to str, optional
        Names of the depths: a list for depths 1, 2, ... or a dict depth -> name.
    width : int, default SINGLE_COLUMN
        Width of each panel in pixels.

    Returns
    -------
    altair.HConcatChart

    Examples
    --------
    >>> import polars as pl
    >>> t = pl.DataFrame({"model": ["m"] * 2, "depth": [1, 2], "survival": [0.9, 0.5],
    ...                   "survival_ci_low": [0.8, 0.4], "survival_ci_high": [0.95, 0.6],
    ...                   "conditional": [0.9, 0.55], "conditional_ci_low": [0.8, 0.45],
    ...                   "conditional_ci_high": [0.95, 0.65], "n": [40, 40]})
    >>> len(survival_plot(t).to_dict()["hconcat"])
    2
    """
    import altair as alt

    frame = limit(table(survival), "survival_plot")
    need(
        frame,
        [
            "depth",
            "survival",
            "survival_ci_low",
            "survival_ci_high",
            "conditional",
            "conditional_ci_low",
            "conditional_ci_high",
        ],
        "survival_plot",
    )
    left = _bands(
        frame,
        "survival",
        "survival_ci_low",
        "survival_ci_high",
        "Survival S(depth)",
        "Share right at every depth",
        width,
        depth_labels,
    )
    right = _bands(
        frame,
        "conditional",
        "conditional_ci_low",
        "conditional_ci_high",
        "Conditional accuracy c(depth)",
        "Right given every depth above right",
        width,
        depth_labels,
    )
    return alt.hconcat(left, right, title=title)


def deepest_correct_cdf(
    deepest: Any,
    *,
    title: str = "Deepest right depth",
    depth_labels: Any = None,
    width: int = SINGLE_COLUMN,
) -> Any:
    """Draw the cumulative distribution of the deepest right depth per model (step lines).

    Parameters
    ----------
    deepest : polars.DataFrame
        The table of :func:`hierlab.depth.deepest_correct` (``model, depth, cdf``).
    title : str, default "Deepest right depth"
        Chart title.
    depth_labels : list of str or dict of int to str, optional
        Names of the depths: a list for depths 1, 2, ... or a dict depth -> name.
    width : int, default SINGLE_COLUMN
        Chart width in pixels.

    Returns
    -------
    altair.Chart

    Examples
    --------
    >>> import polars as pl
    >>> t = pl.DataFrame({"model": ["m"] * 3, "depth": [0, 1, 2], "count": [1, 1, 2], "share": [0.25, 0.25, 0.5], "cdf": [0.25, 0.5, 1.0]})
    >>> deepest_correct_cdf(t).to_dict()["mark"]["type"]
    'line'
    """
    import altair as alt

    frame = limit(table(deepest), "deepest_correct_cdf")
    need(frame, ["depth", "cdf"], "deepest_correct_cdf")
    color = (
        alt.Color("model:N", title="Model") if "model" in frame.columns else alt.value("#0072B2")
    )
    axis = _depth_axis(depth_labels)
    return (
        alt.Chart(frame, title=title)
        .mark_line(interpolate="step-after", point=True)
        .encode(
            x=alt.X("depth:O", title="Deepest right depth (0 = none)", axis=axis),
            y=alt.Y(
                "cdf:Q", title="Cumulative share of predictions", scale=alt.Scale(domain=[0, 1])
            ),
            color=color,
            tooltip=[c for c in ("model", "depth", "count", "share", "cdf") if c in frame.columns],
        )
        .properties(width=width, height=180)
    )
