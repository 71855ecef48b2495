"""Inputs the Tree accepts: node ids or paths, edge tables and nested dictionaries."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import polars as pl

from hierlab._tables import as_polars, is_missing, require_columns, text_labels
from hierlab.errors import (
    AmbiguousLabelError,
    InputShapeError,
    InputTypeError,
    NullLabelError,
    format_items,
)
from hierlab.tree._structure import describe


def as_label_text(column: pl.Series) -> pl.Series:
    """Turn a level column into text labels: NaN and "" become null, whole floats integers."""
    dtype = column.dtype
    if isinstance(dtype, pl.List | pl.Array | pl.Struct) or dtype == pl.Object:
        raise InputTypeError(
            f"The level column {column.name!r} holds {dtype} values; each level must hold one "
            "label (text or a number) per row."
        )
    if dtype.is_float():
        column = column.fill_nan(None)
        values = column.drop_nulls()
        if len(values) and bool((values == values.round(0)).all()) and values.abs().max() < 2**53:
            column = column.cast(pl.Int64)
    text = column.cast(pl.String)
    return pl.DataFrame({"x": text}).select(
        pl.when(pl.col("x") == "").then(None).otherwise(pl.col("x")).alias(column.name)
    )[column.name]


def key_column(column: pl.Series, what: str) -> pl.Series:
    """Edge keys: NaN refused (naming rows); whole-number floats become integers."""
    if column.dtype.is_float():
        nan = column.is_nan().fill_null(False)
        if nan.any():
            rows = np.flatnonzero(nan.to_numpy())
            raise NullLabelError(
                f"{len(rows)} {what} key(s) are NaN, at row(s) {format_items(rows.tolist())}. "
                "Keys name nodes: use null (None) for a root's parent, and a key for every child."
            )
        values = column.drop_nulls()
        if len(values) and bool((values == values.round(0)).all()) and values.abs().max() < 2**53:
            return column.cast(pl.Int64)
    return column


def edges_frame(edges: Any, child: str, parent: str, label: str | None) -> pl.DataFrame:
    """Normalise an edge table or pairs to columns child, parent (and label)."""
    if isinstance(edges, pl.DataFrame | pl.LazyFrame | Mapping) or (
        type(edges).__module__.split(".")[0] == "pandas"
    ):
        frame = as_polars(edges, "The edge table")
        for name, value in (("child", child), ("parent", parent), ("label", label)):
            if value is not None and not isinstance(value, str):
                raise InputTypeError(f"`{name}` must be a column name, got {describe(value)}.")
        require_columns(
            frame,
            [child, parent] + ([label] if label else []),
            "The edge table",
            "Name them with child=, parent= (and label=).",
        )
        cols = [pl.col(child).alias("child"), pl.col(parent).alias("parent")]
        if label:
            cols.append(pl.col(label).alias("label"))
        frame = frame.select(cols)
    else:
        if label:
            raise InputTypeError("label= needs an edge table with a label column, not pairs.")
        if isinstance(edges, str) or not isinstance(edges, Iterable):
            raise InputTypeError(
                "`edges` must be a table with child and parent columns or a list of "
                f"(child, parent) pairs, got {describe(edges)}."
            )
        pairs = [
            tuple(e) if isinstance(e, Sequence) and not isinstance(e, str) else (e,) for e in edges
        ]
        bad = [i for i, e in enumerate(pairs) if len(e) != 2]
        if bad:
            raise InputShapeError(
                f"Edges must be (child, parent) pairs; row(s) {format_items(bad)} are not."
            )
        children = [e[0] for e in pairs]
        parents = [e[1] for e in pairs]
        nan_rows = [
            i
            for i, (c, p) in enumerate(pairs)
            if (c is not None and is_missing(c)) or (p is not None and is_missing(p))
        ]
        if nan_rows:
            raise NullLabelError(
                f"{len(nan_rows)} edge(s) have a NaN or NA key, at row(s) "
                f"{format_items(nan_rows)}. Keys name nodes: use None for a root's parent."
            )
        keys = children + [p for p in parents if p is not None]
        owner = list(range(len(children))) + [i for i, p in enumerate(parents) if p is not None]
        text_labels(
            [k for k in keys if k is not None],
            lambda pos: f"edge row(s) {format_items(sorted({owner[i] for i in pos}))}",
            "node key",
        )
        frame = pl.DataFrame({"child": children, "parent": parents}, strict=False)
    frame = frame.with_columns(
        key_column(frame["child"], "child"), key_column(frame["parent"], "parent")
    )
    if frame["child"].dtype != frame["parent"].dtype:
        if frame["parent"].dtype == pl.Null:
            frame = frame.with_columns(pl.col("parent").cast(frame["child"].dtype))
        else:
            raise InputTypeError(
                f"Child keys ({frame['child'].dtype}) and parent keys ({frame['parent'].dtype}) "
                "must have the same type (the integer 1 and the text '1' would otherwise "
                "name different nodes); cast one column to match the other."
            )
    if (
        isinstance(frame["child"].dtype, pl.List | pl.Array | pl.Struct)
        or frame["child"].dtype == pl.Object
    ):
        raise InputTypeError(
            f"Node keys must be text or numbers, got {frame['child'].dtype} columns."
        )
    return frame


def is_d3_node(obj: Any) -> bool:
    return isinstance(obj, Mapping) and isinstance(obj.get("name"), str)


def nested_children(obj: Any, where: str) -> list[tuple[Any, Any, int | None]]:
    """Return the (label, substructure, container id) children of one nested-dict node.

    A dict maps child labels to their substructures; a list holds leaf labels, d3-style
    ``{"name": ..., "children": [...]}`` nodes, or dicts; ``None`` is a leaf. The
    container id identifies the object a child's own children come from (for cycles).
    """
    if obj is None:
        return []
    if isinstance(obj, Mapping):
        return [(k, v, None if v is None else id(v)) for k, v in obj.items()]
    if isinstance(obj, list | tuple):
        out: list[tuple[Any, Any, int | None]] = []
        for item in obj:
            if is_d3_node(item):
                kids = item.get("children")
                if kids is not None and not isinstance(kids, list | tuple):
                    raise InputTypeError(
                        f"Under {where}: the 'children' of {item['name']!r} must be a list, got "
                        f"{type(kids).__name__}."
                    )
                out.append((item["name"], list(kids or []), id(item)))
            elif isinstance(item, Mapping):
                out.extend((k, v, None if v is None else id(v)) for k, v in item.items())
            elif isinstance(item, list | tuple | set | frozenset):
                raise InputTypeError(
                    f"Under {where}: list items must be labels or dicts, got {type(item).__name__}."
                )
            else:  # a leaf label (checked with all the others)
                out.append((item, None, None))
        return out
    raise InputTypeError(
        f"Under {where}: expected a dict, a list or None, got {type(obj).__name__} ({obj!r})."
    )


def label_codes(labels: pl.Series) -> np.ndarray:
    """Dense integer codes of labels (equal labels, equal codes), int64 from 0."""
    return labels.rank("dense").to_numpy().astype(np.int64) - 1


def check_sibling_labels(parent: np.ndarray, labels: np.ndarray) -> None:
    """Two children of one parent with the same label would share a path: an error."""
    if len(parent) < 3:  # no two siblings
        return
    codes = label_codes(pl.Series("label", labels.tolist(), dtype=pl.String))
    key = (parent + 1) * np.int64(int(codes.max()) + 1) + codes
    order = np.argsort(key, kind="stable")
    repeated = np.flatnonzero(key[order][1:] == key[order][:-1])
    if len(repeated):
        first = int(order[repeated[0] + 1])
        n_labels = len(np.unique(codes[order[repeated + 1]]))
        parent_label = labels[parent[first]] if parent[first] >= 0 else None
        raise AmbiguousLabelError(
            f"Sibling nodes share a label, so their paths would be identical: "
            f"{n_labels} label(s) repeated under one parent, e.g. "
            f"{labels[first]!r} under {parent_label!r}. Give siblings distinct labels "
            "(a node's identity is its root-to-node path)."
        )
