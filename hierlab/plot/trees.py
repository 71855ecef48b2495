"""Tree charts: icicle, sunburst, treemap and dendrogram, coloured by any per-node value."""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from hierlab._tables import as_float_array, require_columns
from hierlab.errors import InputShapeError, InputTypeError, InvalidValueError
from hierlab.plot._common import limit
from hierlab.plot.theme import DOUBLE_COLUMN
from hierlab.tree import Tree, as_tree

__all__ = ["dendrogram", "icicle", "squarify", "sunburst", "tree_layout", "treemap"]


def _weights(tree: Tree, weight: Any) -> np.ndarray:
    if weight is None:
        return np.asarray(tree.is_leaf, dtype=float)
    w = as_float_array(weight, "`weight`", ndim=1)
    if len(w) != tree.n_nodes:
        raise InputShapeError(
            f"`weight` needs one value per node ({tree.n_nodes}, indexed by node id), got {len(w)}."
        )
    if (w < 0).any() or not np.isfinite(w).all():
        raise InvalidValueError("`weight` must be finite and non-negative.")
    return w


def _max_depth(tree: Tree, max_depth: Any) -> int:
    if max_depth is None:
        return tree.max_depth
    if isinstance(max_depth, bool) or not isinstance(max_depth, int | np.integer):
        raise InputTypeError(f"`max_depth` must be an integer depth, got {max_depth!r}.")
    if max_depth < 1:
        raise InvalidValueError(f"`max_depth` must be at least 1, got {max_depth}.")
    return int(max_depth)


def tree_layout(
    tree: Tree, *, weight: np.ndarray | None = None, max_depth: int | None = None
) -> pl.DataFrame:
    """Lay a tree out as a partition: each node spans [x0, x1) in proportion to its weight.

    A node's weight is the sum of ``weight`` over its subtree, so the nodes at one depth
    tile [0, 1).

    Parameters
    ----------
    tree : Tree
        The tree to lay out.
    weight : array of float, optional
        One weight per node, indexed by node id (default: 1 per leaf).
    max_depth : int, optional
        The deepest depth to keep (default: all).

    Returns
    -------
    polars.DataFrame
        ``id, label, path, depth, x0, x1, weight``, one row per node.

    Examples
    --------
    >>> t = Tree.from_paths(["a/b", "a/c"])
    >>> tree_layout(t).select("label", "x0", "x1").rows()
    [('a', 0.0, 1.0), ('b', 0.0, 0.5), ('c', 0.5, 1.0)]
    """
    tree = as_tree(tree)
    w = _weights(tree, weight)
    cum = np.concatenate([[0.0], np.cumsum(w)])
    ids = np.arange(tree.n_nodes)
    total = cum[ids + tree.size] - cum[ids]  # subtree weight (preorder ranges)
    if total[0] <= 0:
        raise InvalidValueError("`weight` is zero over the whole tree: nothing to lay out.")
    # in preorder, the weight before a node's range positions it within its ancestors
    x0 = cum[ids] / total[0]
    x1 = x0 + total / total[0]
    keep = tree.depth <= _max_depth(tree, max_depth)
    return pl.DataFrame(
        {
            "id": ids[keep],
            "label": pl.Series(tree.label[keep].tolist(), dtype=pl.String),
            "path": pl.Series(tree.paths(ids[keep], sep=" / "), dtype=pl.String),
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
        require_columns(
            color, [key], "The `color` table", "Give an id or path column and one value column."
        )
        names = [c for c in color.columns if c not in ("id", "path")]
        if len(names) != 1:
            raise InputShapeError(
                f"The `color` table needs exactly one value column besides {key!r}, got {names}."
            )
        return layout.join(color.select(key, names[0]), on=key, how="left"), names[0]
    values = as_float_array(color, "`color`", ndim=1)
    if len(values) != tree.n_nodes:
        raise InputShapeError(
            f"`color` needs one value per node ({tree.n_nodes}, indexed by node id), got "
            f"{len(values)}; or pass a table with id (or path) and value columns."
        )
    return layout.with_columns(value=pl.Series(values[layout["id"].to_numpy()])), "value"


def _fill(value: str | None, color_title: str) -> Any:
    """Colour by the per-node value when there is one, else by depth."""
    import altair as alt

    if value:
        return alt.Color(f"{value}:Q", title=color_title, scale=alt.Scale(scheme="viridis"))
    return alt.Color("depth:O", title="Depth", scale=alt.Scale(scheme="blues"))


def icicle(
    tree: Tree,
    *,
    color: Any = None,
    weight: np.ndarray | None = None,
    max_depth: int | None = None,
    title: str = "Taxonomy",
    color_title: str = "Value",
    width: int = DOUBLE_COLUMN,
    labels: bool = False,
) -> Any:
    """Draw an icicle chart: one band per depth, each node as wide as its subtree's weight.

    Parameters
    ----------
    tree : Tree
        The tree to draw.
    color : array of float or polars.DataFrame, optional
        Per-node values to colour by: an array indexed by node id, or a table with an
        ``id`` (or ``path``) column and one value column (default: colour by depth).
    weight : array of float, optional
        Per-node weights (e.g. items per node), indexed by node id; default 1 per leaf.
    max_depth : int, optional
        The deepest depth drawn (default: all).
    title : str, default "Taxonomy"
        Chart title.
    color_title : str, default "Value"
        Legend title of ``color``.
    width : int, default DOUBLE_COLUMN
        Chart width in pixels.
    labels : bool, default False
        Write each node's label in its band, shortened with "…" to the band's width;
        bands too narrow for four characters stay unlabelled (their path is in the
        tooltip).

    Returns
    -------
    altair.Chart or altair.LayerChart
        A layer of the bands and their labels when ``labels=True``.

    Examples
    --------
    >>> t = Tree.from_paths(["a/b", "a/c"])
    >>> icicle(t).to_dict()["mark"]["type"]
    'rect'
    >>> [layer["mark"]["type"] for layer in icicle(t, labels=True).to_dict()["layer"]]
    ['rect', 'text']
    """
    import altair as alt

    tree = as_tree(tree)
    layout, value = _values(tree, tree_layout(tree, weight=weight, max_depth=max_depth), color)
    layout = limit(layout.with_columns(y0=pl.col("depth"), y1=pl.col("depth") + 1), "icicle")
    if labels:
        layout = _band_labels(layout, value, width)
    fill = _fill(value, color_title)
    bands = (
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
    if not labels:
        return bands
    text = (
        alt.Chart(layout)
        .transform_filter(alt.datum.shown != "")
        .mark_text(align="left", baseline="middle", dx=3, fontSize=9)
        .encode(
            x="x0:Q",
            y=alt.Y("mid:Q", scale=alt.Scale(reverse=True)),
            text="shown:N",
            color=alt.Color("ink:N", scale=None),
            tooltip=["path:N"],
        )
    )
    return alt.layer(bands, text)


#: Approximate width of one character of the 9-pixel label font, in pixels.
_CHAR_PX = 6.0


def _band_labels(layout: pl.DataFrame, value: str | None, width: int) -> pl.DataFrame:
    """Add ``shown`` (the label cut to its band's width), ``mid`` and ``ink`` columns."""
    room = ((pl.col("x1") - pl.col("x0")) * width - 6) / _CHAR_PX
    fits = room.floor().cast(pl.Int64).clip(0, None)
    label = pl.col("label")
    shown = (
        pl.when(fits < 4)
        .then(pl.lit(""))
        .when(label.str.len_chars() <= fits)
        .then(label)
        .otherwise(label.str.slice(0, fits - 1) + pl.lit("…"))
    )
    if value:  # viridis: dark at the low end, light at the high end
        low, high = layout[value].min(), layout[value].max()
        span = (high - low) if high is not None and low is not None and high > low else 1.0
        dark = ((pl.col(value) - (low or 0.0)) / span < 0.5).fill_null(False)
    else:  # blues by depth: light near the root, dark at depth
        dark = pl.col("depth") > int(layout["depth"].max()) / 2
    return layout.with_columns(
        shown=shown,
        mid=pl.col("depth") + 0.5,
        ink=pl.when(dark).then(pl.lit("white")).otherwise(pl.lit("black")),
    )


def sunburst(
    tree: Tree,
    *,
    color: Any = None,
    weight: np.ndarray | None = None,
    max_depth: int | None = None,
    title: str = "Taxonomy",
    color_title: str = "Value",
    size: int = 320,
) -> Any:
    """Draw a sunburst: the icicle layout in polar coordinates (root at the centre).

    Parameters
    ----------
    tree : Tree
        The tree to draw.
    color : array of float or polars.DataFrame, optional
        Per-node values to colour by, as in :func:`icicle` (default: colour by depth).
    weight : array of float, optional
        Per-node weights, indexed by node id; default 1 per leaf.
    max_depth : int, optional
        The deepest depth drawn (default: all).
    title : str, default "Taxonomy"
        Chart title.
    color_title : str, default "Value"
        Legend title of ``color``.
    size : int, default 320
        Width and height in pixels.

    Returns
    -------
    altair.Chart

    Examples
    --------
    >>> t = Tree.from_paths(["a/b", "a/c"])
    >>> sunburst(t).to_dict()["mark"]["type"]
    'arc'
    """
    import altair as alt

    tree = as_tree(tree)
    if tree.n_nodes < 2:
        raise InvalidValueError("A sunburst needs at least one node below the root.")
    layout, value = _values(tree, tree_layout(tree, weight=weight, max_depth=max_depth), color)
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
    """Return the worst aspect ratio of a row of rectangles along a side of length ``short``."""
    s = scaled[idx].sum()
    return max(max(short**2 * scaled[k] / s**2, s**2 / (short**2 * scaled[k])) for k in idx)


def squarify(values: Any, x: float, y: float, width: float, height: float) -> np.ndarray:
    """Lay out a squarified treemap (Bruls, Huizing & van Wijk 2000) of positive values.

    Parameters
    ----------
    values : array of float
        Positive sizes, in decreasing order (the algorithm's assumption).
    x : float
        Left edge of the rectangle to fill.
    y : float
        Top edge of the rectangle.
    width : float
        Width of the rectangle.
    height : float
        Height of the rectangle.

    Returns
    -------
    numpy.ndarray
        Rectangles ``(x0, y0, x1, y1)``, one row per value, with areas proportional to the
        values.

    Examples
    --------
    >>> squarify(np.array([2.0, 1.0, 1.0]), 0, 0, 2, 2).round(2).tolist()
    [[0.0, 0.0, 1.0, 2.0], [1.0, 0.0, 2.0, 1.0], [1.0, 1.0, 2.0, 2.0]]
    """
    vals = as_float_array(values, "`values`", ndim=1)
    x, y, width, height = (
        float(v) for v in as_float_array([x, y, width, height], "`x, y, width, height`", ndim=1)
    )
    if (vals < 0).any() or not np.isfinite(vals).all():
        raise InvalidValueError("`values` must be finite and non-negative.")
    if width < 0 or height < 0:
        raise InvalidValueError(f"`width` and `height` must be >= 0, got {width} and {height}.")
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


def _treemap_boxes(
    tree: Tree, weight: np.ndarray, depth: int, width: int, height: int
) -> np.ndarray:
    """Rectangles of every node down to ``depth`` (NaN for nodes not laid out)."""
    boxes = np.full((tree.n_nodes, 4), np.nan)
    boxes[0] = (0.0, 0.0, float(width), float(height))
    for d in range(1, depth + 1):  # depths; each parent lays out its children
        kids = tree.at_depth(d)
        kids = kids[(weight[kids] > 0) & ~np.isnan(boxes[tree.parent[kids], 0])]
        for parent in np.unique(tree.parent[kids]):  # parents with children to place
            mine = kids[tree.parent[kids] == parent]
            mine = mine[np.argsort(-weight[mine], kind="stable")]
            x0, y0, x1, y1 = boxes[parent]
            boxes[mine] = squarify(weight[mine], x0, y0, x1 - x0, y1 - y0)
    return boxes


def treemap(
    tree: Tree,
    *,
    color: Any = None,
    weight: np.ndarray | None = None,
    max_depth: int | None = None,
    title: str = "Taxonomy",
    color_title: str = "Value",
    width: int = DOUBLE_COLUMN,
    height: int = 300,
) -> Any:
    """Draw a treemap of the nodes at ``max_depth`` nested in their ancestors (squarified).

    Leaves shallower than ``max_depth`` are drawn at their own depth, so the rectangles
    always tile the whole area.

    Parameters
    ----------
    tree : Tree
        The tree to draw.
    color : array of float or polars.DataFrame, optional
        Per-node values to colour by, as in :func:`icicle` (default: colour by top branch).
    weight : array of float, optional
        Per-node weights (e.g. items per node), indexed by node id; default 1 per leaf.
    max_depth : int, optional
        The depth whose nodes are drawn (default: the deepest, i.e. every leaf).
    title : str, default "Taxonomy"
        Chart title.
    color_title : str, default "Value"
        Legend title of ``color``.
    width : int, default DOUBLE_COLUMN
        Chart width in pixels.
    height : int, default 300
        Chart height in pixels.

    Returns
    -------
    altair.LayerChart

    Examples
    --------
    >>> t = Tree.from_paths(["a/b", "a/c", "d/e"], root="r")
    >>> treemap(t, max_depth=2).to_dict()["layer"][0]["mark"]["type"]
    'rect'
    """
    import altair as alt

    tree = as_tree(tree)
    depth = _max_depth(tree, max_depth)
    layout = tree_layout(tree, weight=weight)
    boxes = _treemap_boxes(tree, layout["weight"].to_numpy(), depth, width, height)
    drawn = ~np.isnan(boxes[:, 0]) & ((tree.depth == depth) | (tree.is_leaf & (tree.depth < depth)))
    shown = np.flatnonzero(drawn)
    branch = tree.ancestor_at(shown, np.minimum(tree.depth[shown], 1))
    frame = pl.DataFrame(
        {
            "id": shown,
            "x0": boxes[shown, 0],
            "y0": boxes[shown, 1],
            "x1": boxes[shown, 2],
            "y1": boxes[shown, 3],
            "top": pl.Series(tree.label[branch].tolist(), dtype=pl.String),
        }
    ).join(layout.select("id", "label", "path", "weight"), on="id", maintain_order="left")
    frame, value = _values(tree, frame, color)
    frame = limit(frame, "treemap")
    fill = (
        alt.Color(f"{value}:Q", title=color_title, scale=alt.Scale(scheme="viridis"))
        if value
        else alt.Color("top:N", title="Branch", legend=None)
    )
    base = alt.Chart(frame, title=title)
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


def _tree_segments(tree: Tree) -> tuple[np.ndarray, list[str]]:
    """Elbow segments of a tree drawn with leaves in preorder and depth upwards."""
    leaves = tree.leaves()
    x = np.full(tree.n_nodes, np.nan)
    x[leaves] = np.arange(len(leaves), dtype=float)
    for d in range(tree.max_depth - 1, -1, -1):  # depths, deepest first: children first
        kids = tree.at_depth(d + 1)
        sums = np.bincount(tree.parent[kids], weights=x[kids], minlength=tree.n_nodes)
        inner = tree.at_depth(d)
        inner = inner[~tree.is_leaf[inner]]
        x[inner] = sums[inner] / tree.n_children[inner]
    y = (tree.max_depth - tree.depth).astype(float)
    v = np.arange(1, tree.n_nodes)
    p = tree.parent[v]
    up = np.column_stack([x[v], y[v], x[v], y[p]])
    across = np.column_stack([x[v], y[p], x[p], y[p]])
    segs = np.stack([up, across], axis=1).reshape(-1, 4)
    return segs, tree.label[leaves].tolist()


def dendrogram(
    source: Any,
    *,
    labels: list[str] | None = None,
    title: str = "Dendrogram",
    width: int = DOUBLE_COLUMN,
    height: int = 260,
) -> Any:
    """Draw a dendrogram of a scipy linkage matrix or of a Tree, as elbow segments.

    Merge heights are on the y axis for a linkage matrix, levels above the leaves for a
    Tree; leaves are labelled along the bottom.

    Parameters
    ----------
    source : Tree or array of shape (n - 1, 4)
        A Tree, or a scipy linkage matrix (:func:`scipy.cluster.hierarchy.linkage`).
    labels : list of str, optional
        Leaf labels of a linkage matrix, in observation order (a Tree uses its labels).
    title : str, default "Dendrogram"
        Chart title.
    width : int, default DOUBLE_COLUMN
        Chart width in pixels.
    height : int, default 260
        Chart height in pixels.

    Returns
    -------
    altair.LayerChart

    Examples
    --------
    >>> from scipy.cluster.hierarchy import linkage
    >>> chart = dendrogram(linkage(np.array([[0.0], [1.0], [5.0]])), labels=["a", "b", "c"])
    >>> chart.to_dict()["layer"][0]["mark"]["type"]
    'rule'
    """
    import altair as alt

    if isinstance(source, Tree):
        segs, names = _tree_segments(source)
        y_title = "Levels above the leaves"
    else:
        from scipy.cluster.hierarchy import dendrogram as scipy_dendrogram
        from scipy.cluster.hierarchy import is_valid_linkage

        z = as_float_array(source, "`source`")
        if z.ndim != 2 or z.shape[1] != 4 or not is_valid_linkage(z):
            raise InputShapeError(
                "`source` must be a Tree or a scipy linkage matrix of shape (n - 1, 4), got "
                f"shape {z.shape}; build one with scipy.cluster.hierarchy.linkage."
            )
        if labels is not None and len(labels) != z.shape[0] + 1:
            raise InputShapeError(
                f"The linkage matrix joins {z.shape[0] + 1} observations but {len(labels)} "
                "labels were given; give one label per observation."
            )
        info = scipy_dendrogram(z, no_plot=True, labels=labels)
        xs = (np.asarray(info["icoord"]) - 5) / 10
        ys = np.asarray(info["dcoord"])
        segs = np.stack(
            [np.column_stack([xs[:, k], ys[:, k], xs[:, k + 1], ys[:, k + 1]]) for k in range(3)],
            axis=1,
        ).reshape(-1, 4)
        names = [str(n) for n in info["ivl"]]
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
