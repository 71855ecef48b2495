"""Taxonomy comparison chart: which edges two trees share, and which are missing, extra or moved."""

from __future__ import annotations

from typing import Any

from hierlab.plot._common import limit, need, table
from hierlab.plot.theme import SINGLE_COLUMN

__all__ = ["edge_comparison_plot"]

STATUS_COLORS = {"shared": "#009E73", "missing": "#D55E00", "extra": "#0072B2", "moved": "#E69F00"}


def edge_comparison_plot(
    edges: Any,
    by: str = "depth",
    title: str = "Edges against the reference taxonomy",
    width: int = SINGLE_COLUMN,
) -> Any:
    """Stacked bars of edge status (shared, missing, extra, moved) per depth (or any column).

    ``edges`` has one row per edge with a ``status`` column and the ``by`` column, as a
    taxonomy comparison produces.

    Examples
    --------
    >>> import polars as pl
    >>> t = pl.DataFrame({"depth": [1, 1, 2], "status": ["shared", "missing", "moved"]})
    >>> edge_comparison_plot(t).to_dict()["mark"]["type"]
    'bar'
    """
    import altair as alt

    frame = table(edges)
    need(frame, ["status", by], "edge_comparison_plot")
    counts = limit(
        frame.group_by(by, "status").len().rename({"len": "edges"}).sort(by, "status"),
        "edge_comparison_plot",
    )
    return (
        alt.Chart(counts, title=title)
        .mark_bar()
        .encode(
            x=alt.X(f"{by}:O", title=by.capitalize(), axis=alt.Axis(labelAngle=0)),
            y=alt.Y("edges:Q", title="Edges"),
            color=alt.Color(
                "status:N",
                title="Status",
                scale=alt.Scale(domain=list(STATUS_COLORS), range=list(STATUS_COLORS.values())),
            ),
            tooltip=[f"{by}:O", "status:N", "edges:Q"],
        )
        .properties(width=width, height=180)
    )
