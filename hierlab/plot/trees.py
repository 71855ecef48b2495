"""Tree charts: icicle, sunburst, treemap and dendrogram, coloured by any per-node value."""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from hierlab.plot._common import limit
from hierlab.plot.theme import DOUBLE_COLUMN
from hierlab.tree import Tree

__all__ = ["dendrogram", "icicle", "squarify", "sunburst", "tree_layout", "treemap"]


def tree_layout(
    tree: Tree, weight: np.ndarray | None = None, max_depth: int | None = None
) -> pl.DataFrame:
    """Partition layout: each node spans [x0, x1) in proportion to its subtree weight.

    ``weight`` is per node (default: 1 per leaf); a node's span is the sum over its
    subtree. Returns ``id, label, path, depth, x0, x1, weight``.

    Examples
    --------
    >>> t = Tree.from_paths(["a/b", "a/c"])
    >>> tree_layout(t).select("label", "x0", "x1").rows()
    [('a', 0.0, 1.0), ('b', 0.0, 0.5), ('c', 0.5, 1.0)]
    """
    w = np.asarray(tree.is_leaf, dtype=float) if weight is None else np.asarray(weight, dtype=float)
    cum = np.concatenate([[0.0], np.cumsum(w)])
    ids = np.arange(tree.n_nodes)
    total = cum[ids + tree.size] - cum[ids]  # subtree weight (preorder ranges)
    # in preorder, the weight before a node's range positions it within its ancestors
    x0 = cum[ids] / total[0]
    x1 = x0 + total / total[0]
    keep = tree.depth <= (tree.max_depth if max_depth is None else max_depth)
    return pl.DataFrame(
        {
            "id": ids[keep],
            "label": tree.label[keep].tolist(),
            "path": tree.paths(ids[keep], sep=" / "),
            "depth": tree.depth[keep],
            "x0": x0[keep],
            "x1": x1[keep],
            "weight": total[keep],
        }
    )


def _values(tree: Tree, layout: pl.DataFrame, color: Any) -> tuple[pl.DataFrame, str | None]:
    if color is None:
        return layout, None
    if isinstance(color, pl.DataFrame):  # (id, value) or (path, value) table
        key = "id" if "id" in color.columns else "path"
        name = next(c for c in color.columns if c not in ("id", "path"))
        return layout.join(color.select(key, name), on=key, how="left"), name
    values = np.asarray(color, dtype=float)
    return layout.with_columns(value=pl.Series(values[layout["id"].to_numpy()])), "value"


def _fill(value: str | None, color_title: str) -> Any:
    """Colour by the per-node value when there is one, else by depth."""
    import altair as alt

    if value:
        return alt.Color(f"{value}:Q", title=color_title, scale=alt.Scale(scheme="viridis"))
    return alt.Color("depth:O", title="Depth", scale=alt.Scale(scheme="blues"))


def icicle(
    tree: Tree,
    color: Any = None,
    weight: np.ndarray | None = None,
    max_depth: int | None = None,
    title: str = "Taxonomy",
    color_title: str = "Value",
    width: int = DOUBLE_COLUMN,
) -> Any:
    """Icicle chart: one band per depth, each node as wide as its subtree.

    Parameters
    ----------
    color : per-node values (array indexed by node id) or a table ``id|path, value``
    weight : per-node weights (e.g. items per node); default one per leaf

    Examples
    --------
    >>> t = Tree.from_paths(["a/b", "a/c"])
    >>> icicle(t).to_dict()["mark"]["type"]
    'rect'
    """
    import altair as alt

    layout, value = _values(tree, tree_layout(tree, weight, max_depth), color)
    layout = limit(layout.with_columns(y0=pl.col("depth"), y1=pl.col("depth") + 1), "icicle")
    fill = _fill(value, color_title)
    return (
        alt.Chart(layout, title=title)
        .mark_rect(stroke="white", strokeWidth=0.5)
        .encode(
            x=alt.X("x0:Q", axis=None, scale=alt.Scale(domain=[0, 1])),
            x2="x1:Q",
            y=alt.Y(
                "y0:Q", axis=alt.Axis(title="Depth", tickMinStep=1), scale=alt.Scale(reverse=True)
            ),
            y2="y1:Q",
            color=fill,
            tooltip=["path:N", "depth:Q", alt.Tooltip("weight:Q", title="weight")]
            + ([alt.Tooltip(f"{value}:Q", format=".3f")] if value else []),
        )
        .properties(width=width, height=40 * (int(layout["depth"].max()) + 1))
    )


def sunburst(
    tree: Tree,
    color: Any = None,
    weight: np.ndarray | None = None,
    max_depth: int | None = None,
    title: str = "Taxonomy",
    color_title: str = "Value",
    size: int = 320,
) -> Any:
    """Sunburst: the icicle layout in polar coordinates (root at the centre).

    Examples
    --------
    >>> t = Tree.from_paths(["a/b", "a/c"])
    >>> sunburst(t).to_dict()["mark"]["type"]
    'arc'
    """
    import altair as alt

    layout, value = _values(tree, tree_layout(tree, weight, max_depth), color)
    layout = limit(layout.filter(pl.col("depth") > 0), "sunburst")
    ring = size / 2 / (int(layout["depth"].max()) + 1)
    layout = layout.with_columns(
        theta0=pl.col("x0") * 2 * np.pi,
        theta1=pl.col("x1") * 2 * np.pi,
        r0=pl.col("depth") * ring,
        r1=(pl.col("depth") + 1) * ring,
    )
    fill = _fill(value, color_title)
    return (
        alt.Chart(layout, title=title)
        .mark_arc(stroke="white", strokeWidth=0.5)
        .encode(
            theta=alt.Theta("theta0:Q", scale=None),
            theta2="theta1:Q",
            radius=alt.Radius("r0:Q", scale=None),
            radius2="r1:Q",
            color=fill,
            tooltip=["path:N", "depth:Q", "weight:Q"]
            + ([alt.Tooltip(f"{value}:Q", format=".3f")] if value else []),
        )
        .properties(width=size, height=size)
    )


def _worst(scaled: np.ndarray, idx: list[int], short: float) -> float:
    """The worst aspect ratio of a row of rectangles laid along a side of length ``short``."""
    s = scaled[idx].sum()
    return max(max(short**2 * scaled[k] / s**2, s**2 / (short**2 * scaled[k])) for k in idx)


def squarify(values: np.ndarray, x: float, y: float, width: float, height: float) -> np.ndarray:
    """Squarified treemap layout (Bruls, Huizing & van Wijk 2000) of positive values in
    decreasing order; returns rectangles (x0, y0, x1, y1), one row per value.

    Examples
    --------
    >>> squarify(np.array([2.0, 1.0, 1.0]), 0, 0, 2, 2).round(2).tolist()
    [[0.0, 0.0, 1.0, 2.0], [1.0, 0.0, 2.0, 1.0], [1.0, 1.0, 2.0, 2.0]]
    """
    vals = np.asarray(values, dtype=float)
    out = np.zeros((len(vals), 4))
    if len(vals) == 0 or vals.sum() <= 0:
        return out
    scaled = vals * (width * height) / vals.sum()
    i = 0
    while i < len(scaled):  # rows of rectangles, not elements of a hot path
        short = min(width, height)
        row = [i]
        while row[-1] + 1 < len(scaled) and _worst(scaled, [*row, row[-1] + 1], short) <= _worst(
            scaled, row, short
        ):
            row.append(row[-1] + 1)
        s = scaled[row].sum()
        thick = s / short
        pos = 0.0
        for k in row:
            length = scaled[k] / thick
            if width >= height:  # lay the row along the left side
                out[k] = (x, y + pos, x + thick, y + pos + length)
            else:
                out[k] = (x + pos, y, x + pos + length, y + thick)
            pos += length
        if width >= height:
            x, width = x + thick, width - thick
        else:
            y, height = y + thick, height - thick
        i = row[-1] + 1
    return out


def treemap(
    tree: Tree,
    color: Any = None,
    weight: np.ndarray | None = None,
    depth: int = 1,
    title: str = "Taxonomy",
    color_title: str = "Value",
    width: int = DOUBLE_COLUMN,
    height: int = 300,
) -> Any:
    """Treemap of the nodes at ``depth`` nested in their ancestors (squarified layout).

    Examples
    --------
    >>> t = Tree.from_paths(["a/b", "a/c", "d/e"], root="r")
    >>> treemap(t, depth=2).to_dict()["layer"][0]["mark"]["type"]
    'rect'
    """
    import altair as alt

    layout = tree_layout(tree, weight)
    w = dict(zip(layout["id"].to_list(), layout["weight"].to_list(), strict=True))
    rects = {0: (0.0, 0.0, float(width), float(height))}
    for d in range(1, depth + 1):  # levels; each parent lays out its children
        for parent in [v for v in rects if tree.depth[v] == d - 1]:
            kids = [int(k) for k in tree.children(parent) if w[int(k)] > 0]
            kids.sort(key=lambda k: -w[k])
            x0, y0, x1, y1 = rects[parent]
            boxes = squarify(np.array([w[k] for k in kids]), x0, y0, x1 - x0, y1 - y0)
            for k, box in zip(kids, boxes, strict=True):
                rects[k] = tuple(box)
    shown = [v for v in rects if tree.depth[v] == depth]
    frame = pl.DataFrame(
        {
            "id": shown,
            "x0": [rects[v][0] for v in shown],
            "y0": [rects[v][1] for v in shown],
            "x1": [rects[v][2] for v in shown],
            "y1": [rects[v][3] for v in shown],
        }
    )
    frame = frame.join(layout.select("id", "label", "path", "weight"), on="id")
    frame, value = _values(tree, frame, color)
    frame = limit(frame, "treemap")
    top = frame.with_columns(
        top=pl.Series(
            [tree.path(int(v))[1] if tree.depth[v] >= 1 else tree.label[v] for v in frame["id"]]
        )
    )
    fill = (
        alt.Color(f"{value}:Q", title=color_title, scale=alt.Scale(scheme="viridis"))
        if value
        else alt.Color("top:N", title="Branch", legend=None)
    )
    base = alt.Chart(top, title=title)
    rect = base.mark_rect(stroke="white", strokeWidth=1).encode(
        x=alt.X("x0:Q", axis=None, scale=alt.Scale(domain=[0, width])),
        x2="x1:Q",
        y=alt.Y("y0:Q", axis=None, scale=alt.Scale(domain=[0, height], reverse=True)),
        y2="y1:Q",
        color=fill,
        tooltip=["path:N", "weight:Q"]
        + ([alt.Tooltip(f"{value}:Q", format=".3f")] if value else []),
    )
    text = (
        base.transform_filter((alt.datum.x1 - alt.datum.x0) > 40)
        .mark_text(align="left", baseline="top", dx=3, dy=3, fontSize=9, color="white")
        .encode(x="x0:Q", y="y0:Q", text="label:N")
    )
    return alt.layer(rect, text).properties(width=width, height=height)


def dendrogram(
    source: Any,
    labels: list[str] | None = None,
    title: str = "Dendrogram",
    width: int = DOUBLE_COLUMN,
    height: int = 260,
) -> Any:
    """Dendrogram of a scipy linkage matrix (merge heights on the y axis) or of a Tree
    (depth on the y axis), drawn as elbow segments with leaf labels.

    Examples
    --------
    >>> from scipy.cluster.hierarchy import linkage
    >>> chart = dendrogram(linkage(np.array([[0.0], [1.0], [5.0]])), ["a", "b", "c"])
    >>> chart.to_dict()["layer"][0]["mark"]["type"]
    'rule'
    """
    import altair as alt

    if isinstance(source, Tree):
        tree = source
        leaves = tree.leaves()
        x = np.full(tree.n_nodes, np.nan)
        x[leaves] = np.arange(len(leaves))
        for v in np.argsort(-tree.depth, kind="stable"):  # deepest first; children before parents
            if not tree.is_leaf[v]:
                x[v] = x[tree.children(int(v))].mean()
        y = (tree.max_depth - tree.depth).astype(float)
        segs = []
        for v in range(1, tree.n_nodes):
            p = tree.parent[v]
            segs += [(x[v], y[v], x[v], y[p]), (x[v], y[p], x[p], y[p])]
        names = [str(tree.label[v]) for v in leaves]
        y_title = "Levels above the leaves"
    else:
        from scipy.cluster.hierarchy import dendrogram as scipy_dendrogram

        info = scipy_dendrogram(np.asarray(source), no_plot=True, labels=labels)
        segs = []
        for xs, ys in zip(info["icoord"], info["dcoord"], strict=True):
            xs = (np.asarray(xs) - 5) / 10
            segs += [
                (xs[0], ys[0], xs[1], ys[1]),
                (xs[1], ys[1], xs[2], ys[2]),
                (xs[2], ys[2], xs[3], ys[3]),
            ]
        names = list(info["ivl"])
        y_title = "Merge height"
    seg = limit(pl.DataFrame(segs, schema=["x0", "y0", "x1", "y1"], orient="row"), "dendrogram")
    leaf = pl.DataFrame({"x": np.arange(len(names), dtype=float), "label": names})
    lines = (
        alt.Chart(seg)
        .mark_rule(strokeWidth=1)
        .encode(x=alt.X("x0:Q", axis=None), x2="x1:Q", y=alt.Y("y0:Q", title=y_title), y2="y1:Q")
    )
    text = (
        alt.Chart(leaf)
        .mark_text(angle=270, align="right", dx=-4, fontSize=9)
        .encode(x="x:Q", y=alt.datum(0), text="label:N", tooltip=["label:N"])
    )
    return alt.layer(lines, text, title=title).properties(width=width, height=height)
