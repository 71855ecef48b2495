"""Leaderboard chart: each model's estimate with its interval, coloured by tier."""

from __future__ import annotations

from typing import Any

import polars as pl

from hierlab.errors import EmptyInputError
from hierlab.plot._common import limit, need, table
from hierlab.plot.theme import SINGLE_COLUMN

__all__ = ["leaderboard_plot"]


def leaderboard_plot(
    board: Any,
    *,
    title: str = "Leaderboard (tier 1: tied with the leader)",
    x_title: str = "Accuracy",
    width: int = SINGLE_COLUMN,
) -> Any:
    """Draw models best first with intervals; colour marks statistically tied tiers.

    Parameters
    ----------
    board : Leaderboard or polars.DataFrame
        A :class:`hierlab.leaderboard.Leaderboard` or its table (``model, estimate,
        ci_low, ci_high, tier``).
    title : str, default "Leaderboard (tier 1: tied with the leader)"
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
    >>> t = pl.DataFrame({"model": ["a", "b"], "estimate": [0.8, 0.7], "ci_low": [0.7, 0.6],
    ...                   "ci_high": [0.9, 0.8], "tier": [1, 1]})
    >>> [layer["mark"]["type"] for layer in leaderboard_plot(t).to_dict()["layer"]]
    ['rule', 'point']
    """
    import altair as alt

    frame = limit(table(board, "table"), "leaderboard_plot")
    need(frame, ["model", "estimate", "ci_low", "ci_high", "tier"], "leaderboard_plot")
    if frame.height == 0:
        raise EmptyInputError("leaderboard_plot: the table has no rows to draw.")
    frame = frame.sort("estimate", descending=True).with_columns(
        pl.format("tier {}", pl.col("tier")).alias("tier_label")
    )
    order = frame["model"].to_list()
    y = alt.Y("model:N", sort=order, title=None)
    color = alt.Color("tier_label:N", title="Tier")
    tips = [
        c
        for c in ("rank", "model", "n", "estimate", "ci_low", "ci_high", "tier", "p_adjusted")
        if c in frame.columns
    ]
    base = alt.Chart(frame)
    return alt.layer(
        base.mark_rule().encode(
            y=y,
            x=alt.X("ci_low:Q", title=x_title, scale=alt.Scale(zero=False)),
            x2="ci_high:Q",
            color=color,
            tooltip=tips,
        ),
        base.mark_point(filled=True, size=50).encode(
            y=y, x="estimate:Q", color=color, tooltip=tips
        ),
        title=title,
    ).properties(width=width, height=max(100, 18 * frame.height))
