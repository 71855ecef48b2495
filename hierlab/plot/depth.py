"""Depth-degradation charts: per-level accuracy with CI bands, survival and conditional
accuracy, and the distribution of the deepest right level."""

from __future__ import annotations

from typing import Any

from hierlab.plot._common import limit, need, table
from hierlab.plot.theme import SINGLE_COLUMN

__all__ = ["deepest_correct_cdf", "depth_curves", "survival_plot"]


def _bands(
    frame: Any, y: str, low: str, high: str, title: str, y_title: str, width: int, level_labels: Any
) -> Any:
    import altair as alt

    x = alt.X("depth:O", title="Level", axis=_level_axis(level_labels))
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


def _level_axis(level_labels: Any) -> Any:
    """A horizontal-label axis for depths, naming them when ``level_labels`` are given."""
    import altair as alt

    if level_labels is None:
        return alt.Axis(labelAngle=0)
    return alt.Axis(labelAngle=0, labelExpr=_label_expr(level_labels))


def _label_expr(labels: Any) -> str:
    mapping = (
        dict(labels) if not isinstance(labels, list) else {i + 1: v for i, v in enumerate(labels)}
    )
    cases = " : ".join(f"datum.value == {k} ? '{v}'" for k, v in mapping.items())
    return f"{cases} : datum.value"


def depth_curves(
    accuracy: Any,
    title: str = "Accuracy by level",
    level_labels: Any = None,
    normalised: bool = False,
    width: int = SINGLE_COLUMN,
) -> Any:
    """Per-level accuracy (or chance-normalised accuracy) per model with Wilson bands.

    Parameters
    ----------
    accuracy : the table of :func:`hierlab.depth.accuracy_by_depth`
    level_labels : names of the levels (list for depths 1, 2, ... or dict depth -> name)

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
            level_labels,
        )
    need(frame, ["depth", "accuracy", "ci_low", "ci_high"], "depth_curves")
    return _bands(frame, "accuracy", "ci_low", "ci_high", title, "Accuracy", width, level_labels)


def survival_plot(
    survival: Any,
    title: str = "Survival and conditional accuracy",
    level_labels: Any = None,
    width: int = SINGLE_COLUMN,
) -> Any:
    """Two panels: survival S_l (all levels down to l right) and conditional accuracy c_l.

    Examples
    --------
    >>> import polars as pl
    >>> t = pl.DataFrame({"model": ["m"] * 2, "depth": [1, 2], "survival": [0.9, 0.5], "survival_low": [0.8, 0.4],
    ...                   "survival_high": [0.95, 0.6], "conditional": [0.9, 0.55], "conditional_low": [0.8, 0.45],
    ...                   "conditional_high": [0.95, 0.65], "n": [40, 40]})
    >>> len(survival_plot(t).to_dict()["hconcat"])
    2
    """
    import altair as alt

    frame = limit(table(survival), "survival_plot")
    need(frame, ["depth", "survival", "conditional"], "survival_plot")
    left = _bands(
        frame,
        "survival",
        "survival_low",
        "survival_high",
        "Survival S(level)",
        "Share right at every level",
        width,
        level_labels,
    )
    right = _bands(
        frame,
        "conditional",
        "conditional_low",
        "conditional_high",
        "Conditional accuracy c(level)",
        "Right given all levels above right",
        width,
        level_labels,
    )
    return alt.hconcat(left, right, title=title)


def deepest_correct_cdf(
    deepest: Any,
    title: str = "Deepest right level",
    level_labels: Any = None,
    width: int = SINGLE_COLUMN,
) -> Any:
    """Cumulative distribution of the deepest right level per model (step lines).

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
    axis = _level_axis(level_labels)
    return (
        alt.Chart(frame, title=title)
        .mark_line(interpolate="step-after", point=True)
        .encode(
            x=alt.X("depth:O", title="Deepest right level (0 = none)", axis=axis),
            y=alt.Y(
                "cdf:Q", title="Cumulative share of predictions", scale=alt.Scale(domain=[0, 1])
            ),
            color=color,
            tooltip=[c for c in ("model", "depth", "count", "share", "cdf") if c in frame.columns],
        )
        .properties(width=width, height=180)
    )
