"""Taxonomy comparison chart: which edges two trees share, and which are missing, extra or moved."""

from __future__ import annotations

from typing import Any

from hierlab.plot._common import limit, need, table
from hierlab.plot.theme import SINGLE_COLUMN

__all__ = ["edge_comparison_plot"]

STATUS_COLORS = {"shared": "#009E73", "missing": "#D55E00", "extra": "#0072B2", "moved": "#E69F00"}


def edge_comparison_plot(
    edges: Any,
    *,
    group: str = "depth",
    title: str = "Edges against the reference taxonomy",
    width: int = SINGLE_COLUMN,
) -> Any:
    """Draw stacked bars of edge status (shared, missing, extra, moved) per depth (or group).

    Parameters
    ----------
    edges : TreeComparison or polars.DataFrame
        A :class:`hierlab.compare.TreeComparison`, or a table with one row per edge, a
        ``status`` column and the ``group`` column (:func:`hierlab.compare.edge_table`).
    group : str, default "depth"
        The column the bars are grouped by.
    title : str, default "Edges against the reference taxonomy"
        Chart title.
    width : int, default SINGLE_COLUMN
        Chart width in pixels.

    Returns
    -------
    altair.Chart

    Examples
    --------
    >>> import polars as pl
    >>> t = pl.DataFrame({"depth": [1, 1, 2], "status": ["shared", "missing", "moved"]})
    >>> edge_comparison_plot(t).to_dict()["mark"]["type"]
    'bar'
    """
    import altair as alt

    frame = table(edges, "edges")
    need(frame, ["status", group], "edge_comparison_plot")
    counts = limit(
        frame.group_by(group, "status").len().rename({"len": "edges"}).sort(group, "status"),
        "edge_comparison_plot",
    )
    return (
        alt.Chart(counts, title=title)
        .mark_bar()
        .encode(
            x=alt.X(f"{group}:O", title=group.capitalize(), axis=alt.Axis(labelAngle=0)),
            y=alt.Y("edges:Q", title="Edges"),
            color=alt.Color(
                "status:N",
                title="Status",
                scale=alt.Scale(domain=list(STATUS_COLORS), range=list(STATUS_COLORS.values())),
            ),
            tooltip=[f"{group}:O", "status:N", "edges:Q"],
        )
        .properties(width=width, height=180)
    )
