"""The Tree: an immutable rooted tree with vectorised queries.

Nodes are the integers ``0 .. n-1`` in **depth-first preorder** (children in the order they
first appear in the input), so the root is always node ``0`` and the subtree of ``v`` is the
contiguous id range ``v .. v + size[v] - 1``. That single convention gives:

* ``is_ancestor`` as an interval test (the Euler-tour interval of a node is its preorder
  range);
* ``lca`` as a range-minimum query over preorder depths, answered by a sparse table in
  O(1) per query, vectorised over arrays of queries, with no recursion anywhere;
* ``descendants`` as an ``arange``.

A node's identity is its **root-to-node path** of labels, never its bare label: ``Paris``
under France and ``Paris`` under Texas are two nodes, :meth:`Tree.find` maps paths to ids,
and :meth:`Tree.node_ids` takes ids or paths alike (the conversion every metric uses). Constructors accept paths, edge tables, level tables, nested dicts, networkx graphs
and scipy linkage matrices; all of them validate the input and raise errors from
:mod:`hierlab.errors` that name the offending nodes.

Examples
--------
>>> from hierlab import Tree
>>> t = Tree.from_paths(["Europe/France/Paris", "Americas/USA/Texas/Paris"], root="World")
>>> t
Tree(n_nodes=8, max_depth=4, n_leaves=2, root='World')
>>> a, b = t.find(["World/Europe/France/Paris", "World/Americas/USA/Texas/Paris"])
>>> int(t.distance(a, b)), t.label[t.lca(a, b)]
(7, 'World')
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import polars as pl

from hierlab._tables import as_float_array, as_polars, require_columns
from hierlab.errors import (
    AmbiguousLabelError,
    CycleError,
    EmptyInputError,
    InputShapeError,
    InputTypeError,
    InvalidValueError,
    MultipleParentsError,
    MultipleRootsError,
    NullLabelError,
    UnknownNodeError,
    UnknownParentError,
    format_items,
)

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["Tree", "as_tree"]

_KEY_SEP = "\x1f"  # unit separator: joins labels into one path key for hashing/joins

PathLike = str | Sequence[str]
NodeIds = int | Sequence[int] | np.ndarray


# =========================================================================== helpers


def _exclusive_group_cumsum(values: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Exclusive cumulative sum of ``values`` within runs of equal ``groups`` (sorted)."""
    cs = np.cumsum(values) - values
    if len(values) == 0:
        return cs
    start = np.empty(len(groups), dtype=bool)
    start[0] = True
    np.not_equal(groups[1:], groups[:-1], out=start[1:])
    first = np.maximum.accumulate(np.where(start, np.arange(len(groups)), 0))
    return cs - cs[first]


def _depths_or_cycles(parent: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Depth of every node by pointer jumping, and a mask of nodes that never reach a root.

    O(n log n), no recursion, no loop over nodes. A node that still has an ancestor pointer
    after ``ceil(log2 n) + 1`` doublings lies on a cycle or below one.
    """
    n = len(parent)
    jump = parent.copy()
    dist = (parent >= 0).astype(np.int64)
    rounds = max(1, int(np.ceil(np.log2(max(n, 2))))) + 1
    for _ in range(rounds):
        active = np.flatnonzero(jump >= 0)
        if len(active) == 0:
            break
        nxt = jump[active]
        dist[active] += dist[nxt]
        jump[active] = jump[nxt]
    return dist, jump >= 0


def _cycle_from(start: int, parent: np.ndarray) -> list[int]:
    """Walk parent links from ``start`` (which cannot reach a root) until a node repeats."""
    seen: dict[int, int] = {}
    path: list[int] = []
    v = start
    while v not in seen:  # error path only; bounded by the number of nodes
        seen[v] = len(path)
        path.append(v)
        v = int(parent[v])
    return path[seen[v] :]


def _canonicalise(
    parent: np.ndarray, depth: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Preorder numbering of a validated single-root forest given in any order.

    Siblings keep the order of their current ids. Loops run over depth levels (vectorised
    over all nodes of a level), never over nodes. Returns ``(pre, size, order)`` where
    ``pre[v]`` is the new id of old node ``v`` and ``size`` is indexed by old id.
    """
    n = len(parent)
    order = np.argsort(depth, kind="stable")
    max_depth = int(depth[order[-1]]) if n else 0
    bounds = np.searchsorted(depth[order], np.arange(max_depth + 2))
    size = np.ones(n, dtype=np.int64)
    for d in range(max_depth, 0, -1):
        nodes = order[bounds[d] : bounds[d + 1]]
        np.add.at(size, parent[nodes], size[nodes])
    non_root = np.flatnonzero(parent >= 0)
    by_parent = non_root[np.argsort(parent[non_root], kind="stable")]
    offset = np.zeros(n, dtype=np.int64)
    offset[by_parent] = _exclusive_group_cumsum(size[by_parent], parent[by_parent])
    pre = np.zeros(n, dtype=np.int64)
    for d in range(1, max_depth + 1):
        nodes = order[bounds[d] : bounds[d + 1]]
        pre[nodes] = pre[parent[nodes]] + 1 + offset[nodes]
    return pre, size, order


def _null_or_empty(series: pl.Series) -> pl.Series:
    if series.dtype == pl.String:
        return series.is_null() | (series == "")
    return series.is_null()


# =========================================================================== the Tree


class Tree:
    """An immutable rooted tree whose nodes are the integers ``0 .. n-1`` in preorder.

    Build trees with the ``from_*`` class methods; the plain constructor takes a parent
    array and labels in any order and renumbers the nodes to preorder.

    Parameters
    ----------
    parent : array of int
        ``parent[v]`` is the parent of node ``v``; the root has ``-1``. Any order.
    label : sequence of str
        One label per node. Labels need not be unique; siblings' labels must be.

    Attributes
    ----------
    parent, depth, label, size, n_leaves : numpy.ndarray
        Read-only arrays indexed by node id (root depth is 0; ``size`` counts the node
        itself and all its descendants; ``n_leaves`` counts leaves in the subtree).

    Examples
    --------
    >>> t = Tree([-1, 0, 0, 1], ["root", "a", "b", "a1"])
    >>> t.to_polars().select("id", "label", "depth", "size").rows()
    [(0, 'root', 0, 4), (1, 'a', 1, 2), (2, 'a1', 2, 1), (3, 'b', 1, 1)]
    """

    __slots__ = ("__dict__", "_depth", "_label", "_n_leaves", "_parent", "_size")

    def __init__(self, parent: Sequence[int] | np.ndarray, label: Sequence[Any]) -> None:
        parent = np.asarray(parent)
        if parent.ndim != 1:
            got = f"a {parent.ndim}-D array" if parent.ndim else type(parent.item()).__name__
            raise InputTypeError(
                f"`parent` must be a 1-D sequence of integer node ids (-1 for the root), got {got}."
            )
        if len(parent) == 0:
            raise EmptyInputError("A tree needs at least one node: `parent` is empty.")
        if not np.issubdtype(parent.dtype, np.integer):
            raise InputTypeError(
                f"`parent` must hold integer node ids (-1 for the root), got dtype {parent.dtype}."
            )
        if isinstance(label, str) or not isinstance(label, Sequence | np.ndarray | pl.Series):
            raise InputTypeError(
                f"`label` must be a sequence with one label per node, got {type(label).__name__}."
            )
        labels = np.asarray(list(label), dtype=object)
        if labels.shape != parent.shape:
            raise InputShapeError(
                f"`label` has {labels.size} entries but `parent` has {len(parent)}; "
                "give one label per node."
            )
        keys = list(range(len(parent)))
        self._init_validated(parent.astype(np.int64), labels, keys)

    # ------------------------------------------------------------------ construction

    def _init_validated(self, parent: np.ndarray, labels: np.ndarray, keys: Sequence[Any]) -> None:
        """Validate a parent array (``keys`` name nodes in messages) and store it."""
        n = len(parent)
        bad = np.flatnonzero((parent < -1) | (parent >= n))
        if len(bad):
            raise UnknownParentError(
                f"{len(bad)} node(s) point to a parent that is not a node: "
                + format_items(f"{keys[i]!r} -> {int(parent[i])}" for i in bad)
                + f". Parents must be node ids in 0..{n - 1}, or -1 for the root."
            )
        _check_labels(labels, keys)
        depth, stuck = _depths_or_cycles(parent)
        if stuck.any():
            cycle = _cycle_from(int(np.flatnonzero(stuck)[0]), parent)
            names = [keys[i] for i in cycle]
            raise CycleError(
                f"The parent links contain a cycle through {len(names)} node(s): "
                + " -> ".join(repr(x) for x in [*names, names[0]])
                + " (each node -> its parent). A tree must not loop back on itself: "
                "remove or correct one of these parent links.",
                nodes=names,
            )
        roots = np.flatnonzero(parent < 0)
        if len(roots) != 1:  # zero roots is impossible without a cycle
            root_names = [keys[i] for i in roots]
            raise MultipleRootsError(
                f"The input has {len(roots)} roots: {format_items(root_names)}. "
                "Pass root='<label>' to add a synthetic root above them, "
                "or add the missing parent links.",
                roots=root_names,
            )
        self._store(parent, labels, depth)

    def _store(self, parent: np.ndarray, labels: np.ndarray, depth: np.ndarray) -> None:
        """Renumber a validated single-root tree to preorder and store its arrays."""
        n = len(parent)
        pre, size, _ = _canonicalise(parent, depth)
        new_parent = np.full(n, -1, dtype=np.int64)
        has_parent = parent >= 0
        new_parent[pre[has_parent]] = pre[parent[has_parent]]
        new_labels = np.empty(n, dtype=object)
        new_labels[pre] = labels
        new_depth = np.empty(n, dtype=np.int64)
        new_depth[pre] = depth
        new_size = np.empty(n, dtype=np.int64)
        new_size[pre] = size
        _check_sibling_labels(new_parent, new_labels)
        self._set_arrays(new_parent, new_labels, new_depth, new_size)

    def _set_arrays(
        self, parent: np.ndarray, label: np.ndarray, depth: np.ndarray, size: np.ndarray
    ) -> None:
        is_leaf = np.ones(len(parent), dtype=bool)
        is_leaf[parent[parent >= 0]] = False
        leaf_cum = np.concatenate([[0], np.cumsum(is_leaf)])
        ids = np.arange(len(parent))
        n_leaves = leaf_cum[ids + size] - leaf_cum[ids]
        for arr in (parent, label, depth, size, n_leaves):
            arr.flags.writeable = False
        self._parent, self._label, self._depth = parent, label, depth
        self._size, self._n_leaves = size, n_leaves

    @classmethod
    def _from_valid(cls, parent: np.ndarray, labels: np.ndarray, depth: np.ndarray) -> Tree:
        """Build from arrays known to form one acyclic tree (any node order)."""
        tree = cls.__new__(cls)
        tree._store(parent.astype(np.int64), np.asarray(labels, dtype=object), depth)
        return tree

    @classmethod
    def from_paths(
        cls,
        paths: Iterable[PathLike] | pl.Series,
        *,
        sep: str = "/",
        root: str | None = None,
    ) -> Tree:
        """Build a tree from root-to-node paths.

        Every prefix of a path becomes a node; the same path given twice is one node, and
        equal labels under different parents stay different nodes.

        Parameters
        ----------
        paths : iterable of str or of sequences of str, or a polars Series
            Each path lists labels from the top down: ``"Europe/France/Paris"`` or
            ``["Europe", "France", "Paris"]``. One leading or trailing separator is
            ignored.
        sep : str, default "/"
            Separator used to split string paths.
        root : str, optional
            Label of a synthetic root added above the first level. Required when the
            paths start with more than one label.

        Returns
        -------
        Tree

        Raises
        ------
        NullLabelError
            A path is empty or has a null or empty label (the rows are named).
        MultipleRootsError
            The paths start with several labels and ``root`` was not given.

        Examples
        --------
        >>> t = Tree.from_paths([["a", "b"], ["a", "c"], ["a", "b"]])
        >>> t.paths()
        [('a',), ('a', 'b'), ('a', 'c')]
        >>> Tree.from_paths(["Europe > France", "Asia > Japan"], sep=" > ", root="World").n_nodes
        5
        """
        series = _paths_to_list_series(paths, sep)
        if len(series) == 0:
            raise EmptyInputError("`paths` is empty: give at least one path.")
        frame = pl.DataFrame({"row": np.arange(len(series)), "path": series})
        lengths = frame["path"].list.len().to_numpy()
        empty_rows = np.flatnonzero(lengths == 0)
        if len(empty_rows):
            raise NullLabelError(
                f"{len(empty_rows)} path(s) are empty, at row(s) {format_items(empty_rows.tolist())}. "
                "Remove them or give at least one label per path."
            )
        flat = frame.explode("path")
        bad = _null_or_empty(flat["path"])
        if bad.any():
            rows = np.unique(flat["row"].filter(bad).to_numpy())
            raise NullLabelError(
                f"Null or empty labels in {len(rows)} path(s), at row(s) "
                f"{format_items(rows.tolist())}. Every label on a path must be a "
                "non-empty string (check for doubled separators)."
            )
        labels_flat = flat["path"].cast(pl.String)
        uniques = labels_flat.unique(maintain_order=True)
        codes = (
            pl.DataFrame({"label": labels_flat})
            .join(
                pl.DataFrame({"label": uniques, "code": np.arange(len(uniques))}),
                on="label",
                how="left",
                maintain_order="left",
            )["code"]
            .to_numpy()
        )
        return cls._from_coded_paths(codes, lengths, uniques.to_numpy().astype(object), root)

    @classmethod
    def _from_coded_paths(
        cls, codes: np.ndarray, lengths: np.ndarray, vocab: np.ndarray, root: str | None
    ) -> Tree:
        """Paths given as integer label codes, concatenated, plus one length per path."""
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
        n_vocab = np.int64(len(vocab) + 1)
        parents: list[np.ndarray] = []
        label_codes: list[np.ndarray] = []
        depths: list[np.ndarray] = []
        node_at_level = np.full(len(lengths), -1, dtype=np.int64)
        n_nodes = 0
        for level in range(int(lengths.max())):  # loop over levels, vectorised over paths
            active = np.flatnonzero(lengths > level)
            lab = codes[starts[active] + level]
            par = node_at_level[active]
            key = (par + 1) * n_vocab + lab
            uniq, first, inverse = np.unique(key, return_index=True, return_inverse=True)
            by_first = np.argsort(first, kind="stable")  # keep first-appearance order
            rank = np.empty(len(uniq), dtype=np.int64)
            rank[by_first] = np.arange(len(uniq))
            node_at_level[active] = n_nodes + rank[inverse.ravel()]
            parents.append(par[first[by_first]])
            label_codes.append(lab[first[by_first]])
            depths.append(np.full(len(uniq), level, dtype=np.int64))
            n_nodes += len(uniq)
        parent = np.concatenate(parents)
        labels = vocab[np.concatenate(label_codes)]
        depth = np.concatenate(depths)
        n_top = len(parents[0])
        if root is not None:
            parent = np.concatenate([[-1], np.where(parent < 0, 0, parent + 1)])
            labels = np.concatenate([np.array([str(root)], dtype=object), labels])
            depth = np.concatenate([[0], depth + 1])
        elif n_top > 1:
            tops = labels[:n_top].tolist()
            raise MultipleRootsError(
                f"The paths start with {n_top} different labels: {format_items(tops)}. "
                "Pass root='<label>' to add a synthetic root above them.",
                roots=tops,
            )
        return cls._from_valid(parent, labels, depth)

    @classmethod
    def from_levels(
        cls,
        table: Any,
        *,
        levels: Sequence[str] | None = None,
        root: str | None = None,
        on_null: Literal["end", "skip"] = "end",
    ) -> Tree:
        """Build a tree from a table with one column per level (top level first).

        Each row is a root-to-node path. A null (or empty string) ends a row's path early,
        so rows of different lengths mix freely; a null followed by a value is an error
        unless ``on_null="skip"``, which drops interior nulls (the node then hangs below
        the nearest non-null level, as countries without an intermediate region do in the
        UN M49 table).

        Parameters
        ----------
        table : polars or pandas DataFrame, or dict of columns
            One row per root-to-node path, one column per depth.
        levels : sequence of str, optional
            Column names from the top level down; default all columns in order.
        root : str, optional
            Label of a synthetic root above the first level (needed when the first
            column holds more than one value).
        on_null : {"end", "skip"}, default "end"
            What a null followed by a value means: an error (``"end"``: a null may only
            end a path) or a skipped level (``"skip"``).

        Returns
        -------
        Tree

        Raises
        ------
        NullLabelError
            A row has a null level followed by a value (with ``on_null="end"``) or no
            value at all (the rows are named).

        Examples
        --------
        >>> import polars as pl
        >>> df = pl.DataFrame({"region": ["Europe", "Europe", "Asia"],
        ...                    "country": ["France", "Spain", None]})
        >>> Tree.from_levels(df, root="World").paths()[1:3]
        [('World', 'Europe'), ('World', 'Europe', 'France')]
        """
        frame = as_polars(table, "`table` (the level table)")
        if isinstance(levels, str):
            raise InputTypeError(
                f"`levels` must be a list of column names, got the single string {levels!r}."
            )
        levels = list(frame.columns if levels is None else levels)
        require_columns(frame, levels, "The level table")
        if not levels or frame.height == 0:
            raise EmptyInputError("The level table has no rows or no level columns.")
        if on_null not in ("end", "skip"):
            raise InvalidValueError(f"`on_null` must be 'end' or 'skip', got {on_null!r}.")
        cols = frame.select(
            [
                pl.when(pl.col(c).cast(pl.String) == "")
                .then(None)
                .otherwise(pl.col(c).cast(pl.String))
                .alias(c)
                for c in levels
            ]
        )
        null = np.column_stack([cols[c].is_null().to_numpy() for c in levels])
        if on_null == "end":
            value_after = np.fliplr(np.logical_or.accumulate(np.fliplr(~null), axis=1))
            interior = (null[:, :-1] & value_after[:, 1:]).any(axis=1)
            if interior.any():
                rows = np.flatnonzero(interior)
                raise NullLabelError(
                    f"{len(rows)} row(s) have a null level followed by a value, at row(s) "
                    f"{format_items(rows.tolist())}. Fill the gap, or pass on_null='skip' "
                    "to attach such nodes to the nearest non-null level above."
                )
        all_null = null.all(axis=1)
        if all_null.any():
            rows = np.flatnonzero(all_null)
            raise NullLabelError(
                f"{len(rows)} row(s) have no value at any level, at row(s) "
                f"{format_items(rows.tolist())}. Drop them first."
            )
        paths = cols.select(pl.concat_list(levels).list.drop_nulls().alias("path"))["path"]
        return cls.from_paths(paths, root=root)

    @classmethod
    def from_edges(
        cls,
        edges: Any,
        *,
        child: str = "child",
        parent: str = "parent",
        label: str | None = None,
        root: str | None = None,
        on_multiple_parents: Literal["error", "first"] = "error",
    ) -> Tree:
        """Build a tree from (child, parent) edges.

        Node keys (the values in the child and parent columns) identify nodes and must be
        unique per node; they become the labels unless a ``label`` column is given. A row
        whose parent is null declares a root; when any such row exists, a parent that
        never appears as a node is an error (otherwise roots are inferred). Identical
        duplicate edges are dropped silently.

        Parameters
        ----------
        edges : polars/pandas DataFrame, dict of columns, or iterable of (child, parent)
            One row (or pair) per edge.
        child : str, default "child"
            Column holding the child keys (ignored for pairs).
        parent : str, default "parent"
            Column holding the parent keys, null for a declared root (ignored for pairs).
        label : str, optional
            Column with display labels (default: the child key).
        root : str, optional
            Label of a synthetic root above all parentless nodes (needed when there are
            several).
        on_multiple_parents : {"error", "first"}, default "error"
            A node with several different parents makes the input a DAG: raise an error
            naming the nodes and their parents, or keep the first parent listed.

        Returns
        -------
        Tree

        Examples
        --------
        >>> t = Tree.from_edges([("France", "Europe"), ("Paris", "France"), ("Spain", "Europe")])
        >>> t.paths(sep="/")
        ['Europe', 'Europe/France', 'Europe/France/Paris', 'Europe/Spain']
        """
        if on_multiple_parents not in ("error", "first"):
            raise InvalidValueError(
                f"`on_multiple_parents` must be 'error' or 'first', got {on_multiple_parents!r}."
            )
        frame = _edges_frame(edges, child, parent, label)
        if frame.height == 0:
            raise EmptyInputError("The edge list is empty: give at least one (child, parent).")
        null_child = frame["child"].is_null()
        if null_child.any():
            rows = np.flatnonzero(null_child.to_numpy())
            raise NullLabelError(
                f"{len(rows)} edge(s) have a null child, at row(s) {format_items(rows.tolist())}."
            )
        frame = frame.unique(maintain_order=True)
        keys = pl.concat([frame["child"], frame["parent"].drop_nulls()]).unique(maintain_order=True)
        lookup = pl.DataFrame({"key": keys, "code": np.arange(len(keys), dtype=np.int64)})
        coded = (
            frame.join(lookup, left_on="child", right_on="key", how="left", maintain_order="left")
            .rename({"code": "c"})
            .join(lookup, left_on="parent", right_on="key", how="left", maintain_order="left")
            .rename({"code": "p"})
        )
        c = coded["c"].to_numpy()
        p = coded["p"].fill_null(-1).to_numpy()
        # several different parents for one child: a DAG
        n_par = coded.group_by("c").agg(pl.col("p").n_unique().alias("k"))
        dag = n_par.filter(pl.col("k") > 1)["c"].to_numpy()
        if len(dag) and on_multiple_parents == "error":
            key_list = keys.to_list()
            multi = (
                coded.filter(pl.col("c").is_in(dag.tolist()))
                .group_by("c", maintain_order=True)
                .agg(pl.col("parent"))
            )
            parents_of = {key_list[r[0]]: tuple(r[1]) for r in multi.iter_rows()}
            shown = "; ".join(
                f"{k!r} has parents {format_items(v, 4)}" for k, v in list(parents_of.items())[:5]
            )
            more = f" (and {len(parents_of) - 5} more nodes)" if len(parents_of) > 5 else ""
            raise MultipleParentsError(
                f"{len(parents_of)} node(s) have more than one parent, so the input is a DAG, "
                f"not a tree: {shown}{more}. Pass on_multiple_parents='first' to keep the "
                "first parent listed, or fix the edges.",
                parents=parents_of,
            )
        n = len(keys)
        par = np.full(n, -1, dtype=np.int64)
        first_row = np.unique(c, return_index=True)[1]  # first edge listed for each child
        par[c[first_row]] = p[first_row]
        is_child = np.zeros(n, dtype=bool)
        is_child[c] = True
        key_list = keys.to_list()
        if (p < 0).any():  # roots are declared: a parent must also appear as a node
            undeclared = np.flatnonzero(~is_child)
            if len(undeclared):
                names = [key_list[i] for i in undeclared]
                raise UnknownParentError(
                    f"{len(names)} parent(s) never appear as a node: {format_items(names)}. "
                    "The table declares its roots with null parents, so add a row "
                    "(name, null) for each of these, or correct the parent names."
                )
        labels_col = coded["label"] if "label" in coded.columns else coded["child"]
        labels = np.empty(n, dtype=object)
        labels[:] = [str(k) for k in key_list]
        labels[c] = np.asarray(labels_col.cast(pl.String).to_list(), dtype=object)
        if root is not None:  # the synthetic root is appended last; preorder fixes ids
            par = np.append(np.where(par < 0, n, par), -1)
            labels = np.append(labels, np.array([str(root)], dtype=object))
            key_list = [*key_list, str(root)]
        tree = cls.__new__(cls)
        tree._init_validated(par, labels, key_list)
        return tree

    @classmethod
    def from_nested(cls, nested: Mapping[str, Any] | str, *, root: str | None = None) -> Tree:
        """Build a tree from a nested dict (or its JSON text).

        Two shapes are accepted, and may be mixed:

        * dict of dicts: ``{"Europe": {"France": {"Paris": {}}}}``; a leaf's value is
          ``{}`` or ``None``, and a list of strings is a list of leaves;
        * d3-style nodes: ``{"name": "Europe", "children": [{"name": "France"}]}``.

        Parameters
        ----------
        nested : mapping or str
            The structure, or JSON text holding it.
        root : str, optional
            Label of a synthetic root above the top-level keys (needed when there are
            several).

        Returns
        -------
        Tree

        Examples
        --------
        >>> t = Tree.from_nested({"animal": {"bird": ["owl", "wren"], "fish": {}}})
        >>> t.to_nested()
        {'animal': {'bird': {'owl': {}, 'wren': {}}, 'fish': {}}}
        """
        if isinstance(nested, str):
            import json

            try:
                nested = json.loads(nested)
            except json.JSONDecodeError as err:
                raise InvalidValueError(
                    f"`nested` is a string but not valid JSON ({err}); pass a dict, or JSON text."
                ) from None
        if not isinstance(nested, Mapping | list | tuple):
            raise InputTypeError(
                f"`nested` must be a dict of dicts (or JSON text of one), got "
                f"{type(nested).__name__}."
            )
        tops = _nested_children([nested] if _is_d3_node(nested) else nested, "the top level")
        if not tops:
            raise EmptyInputError("The nested structure is empty: it has no nodes.")
        parent: list[int] = []
        labels: list[Any] = []
        depth: list[int] = []
        if root is not None:
            parent.append(-1)
            labels.append(str(root))
            depth.append(0)
        base = 0 if root is not None else -1
        stack = [(label, sub, base, 1 if root is not None else 0) for label, sub in reversed(tops)]
        while stack:  # explicit stack: no recursion, so deep nesting is fine
            label, sub, par, d = stack.pop()
            node = len(parent)
            parent.append(par)
            labels.append(label)
            depth.append(d)
            kids = _nested_children(sub, repr(label))
            stack.extend((lab, s, node, d + 1) for lab, s in reversed(kids))
        keys = [f"{labels[i]!r} (node {i})" for i in range(len(labels))]
        tree = cls.__new__(cls)
        tree._init_validated(
            np.asarray(parent, dtype=np.int64), np.asarray(labels, dtype=object), keys
        )
        return tree

    @classmethod
    def from_networkx(
        cls,
        graph: nx.DiGraph,
        *,
        label: str | None = "label",
        root: str | None = None,
        on_multiple_parents: Literal["error", "first"] = "error",
    ) -> Tree:
        """Build a tree from a networkx DiGraph whose edges point from parent to child.

        Parameters
        ----------
        graph : networkx.DiGraph
            An arborescence (``networkx.is_arborescence``); node keys must be unique.
        label : str or None, default "label"
            Node attribute holding the label; nodes without it use ``str(node)``.
        root : str, optional
            Label of a synthetic root above all parentless nodes, as in
            :meth:`from_edges`.
        on_multiple_parents : {"error", "first"}, default "error"
            What to do with a node that has several parents, as in :meth:`from_edges`.

        Returns
        -------
        Tree

        Examples
        --------
        >>> import networkx as nx
        >>> g = nx.DiGraph([("animal", "bird"), ("animal", "fish")])
        >>> Tree.from_networkx(g).paths(sep="/")
        ['animal', 'animal/bird', 'animal/fish']
        """
        import networkx as nx

        if not isinstance(graph, nx.DiGraph):
            raise InputTypeError(
                f"from_networkx needs a networkx.DiGraph with parent -> child edges, got "
                f"{type(graph).__name__}; for an undirected tree use "
                "networkx.bfs_tree(graph, root) first."
            )
        if graph.number_of_nodes() == 0:
            raise EmptyInputError("The graph has no nodes.")
        nodes = list(graph.nodes)
        index = {v: i for i, v in enumerate(nodes)}
        edges = list(graph.edges)
        child_idx = np.fromiter((index[v] for _, v in edges), dtype=np.int64, count=len(edges))
        parent_idx = np.fromiter((index[u] for u, _ in edges), dtype=np.int64, count=len(edges))
        children_with_parent = np.zeros(len(nodes), dtype=bool)
        children_with_parent[child_idx] = True
        lone = np.flatnonzero(~children_with_parent)
        child_col = np.concatenate([lone, child_idx])
        parent_col = np.concatenate([np.full(len(lone), -1), parent_idx])
        labels = [
            str(graph.nodes[v][label]) if label is not None and label in graph.nodes[v] else str(v)
            for v in nodes
        ]
        frame = pl.DataFrame(
            {
                "child": child_col,
                "parent": pl.Series(parent_col).replace(-1, None),
                "label": [labels[i] for i in child_col],
            }
        )
        # order rows so that children keep the graph's node order
        frame = frame.with_row_index("row").sort(["child", "row"]).drop("row")
        try:
            return cls.from_edges(
                frame, label="label", root=root, on_multiple_parents=on_multiple_parents
            )
        except (MultipleParentsError, CycleError, MultipleRootsError) as err:
            raise type(err)(str(err).replace("node(s)", "graph node index(es)")) from None

    @classmethod
    def from_linkage(
        cls,
        linkage: np.ndarray,
        labels: Sequence[str],
        *,
        internal_label: str = "cluster {id}",
    ) -> Tree:
        """Build the binary tree of a scipy hierarchical-clustering linkage matrix.

        Parameters
        ----------
        linkage : ndarray of shape (n - 1, 4)
            Output of :func:`scipy.cluster.hierarchy.linkage`.
        labels : sequence of str
            One label per original observation (the leaves), in observation order.
        internal_label : str, default "cluster {id}"
            Format for internal nodes; ``{id}`` is scipy's cluster id (``n + row``).

        Returns
        -------
        Tree
            Leaves are the observations; internal node depths follow the merge order.

        Examples
        --------
        >>> import numpy as np
        >>> from scipy.cluster.hierarchy import linkage
        >>> Z = linkage(np.array([[0.0], [0.1], [5.0]]), "average")
        >>> Tree.from_linkage(Z, ["a", "b", "c"]).to_nested()
        {'cluster 4': {'c': {}, 'cluster 3': {'a': {}, 'b': {}}}}
        """
        from scipy.cluster.hierarchy import is_valid_linkage

        Z = as_float_array(linkage, "`linkage`")
        if isinstance(labels, str) or not isinstance(labels, Sequence | np.ndarray | pl.Series):
            raise InputTypeError(
                f"`labels` must be a sequence of leaf labels, got {type(labels).__name__}."
            )
        if Z.ndim != 2 or Z.shape[1] != 4 or not is_valid_linkage(Z):
            raise InputShapeError(
                f"`linkage` must be a valid scipy linkage matrix of shape (n - 1, 4), got "
                f"shape {Z.shape}; build it with scipy.cluster.hierarchy.linkage."
            )
        n = Z.shape[0] + 1
        labels = list(labels)
        if len(labels) != n:
            raise InputShapeError(
                f"The linkage matrix joins {n} observations but {len(labels)} labels were "
                "given; give one label per observation."
            )
        parent = np.full(2 * n - 1, -1, dtype=np.int64)
        merged = Z[:, :2].astype(np.int64)
        parent[merged[:, 0]] = np.arange(n, 2 * n - 1)
        parent[merged[:, 1]] = np.arange(n, 2 * n - 1)
        names = [str(x) for x in labels] + [
            internal_label.format(id=i) for i in range(n, 2 * n - 1)
        ]
        tree = cls.__new__(cls)
        tree._init_validated(parent, np.asarray(names, dtype=object), names)
        return tree

    # ------------------------------------------------------------------ basic attributes

    @property
    def parent(self) -> np.ndarray:
        """Parent of each node (``-1`` for the root), read-only."""
        return self._parent

    @property
    def depth(self) -> np.ndarray:
        """Depth of each node (root = 0), read-only."""
        return self._depth

    @property
    def label(self) -> np.ndarray:
        """Label of each node (object array of str), read-only."""
        return self._label

    @property
    def size(self) -> np.ndarray:
        """Number of nodes in each node's subtree, itself included."""
        return self._size

    @property
    def n_leaves(self) -> np.ndarray:
        """Number of leaves in each node's subtree (1 for a leaf)."""
        return self._n_leaves

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return len(self._parent)

    @property
    def root(self) -> int:
        """Id of the root: always 0 (preorder)."""
        return 0

    @property
    def max_depth(self) -> int:
        """Largest node depth (0 for a single-node tree)."""
        return int(self._depth.max())

    @cached_property
    def n_children(self) -> np.ndarray:
        """Number of children of each node."""
        counts = np.bincount(self._parent[1:], minlength=self.n_nodes)
        counts.flags.writeable = False
        return counts

    @cached_property
    def is_leaf(self) -> np.ndarray:
        """Boolean mask of leaves."""
        mask = self.n_children == 0
        mask.flags.writeable = False
        return mask

    def __len__(self) -> int:
        return self.n_nodes

    def __repr__(self) -> str:
        return (
            f"Tree(n_nodes={self.n_nodes}, max_depth={self.max_depth}, "
            f"n_leaves={int(self._n_leaves[0])}, root={self._label[0]!r})"
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Tree):
            return NotImplemented
        return (
            self.n_nodes == other.n_nodes
            and bool(np.array_equal(self._parent, other._parent))
            and bool(np.array_equal(self._label, other._label))
        )

    def __hash__(self) -> int:
        return hash((self._parent.tobytes(), tuple(self._label.tolist())))

    # ------------------------------------------------------------------ node ids

    def _nodes(self, nodes: NodeIds, name: str = "nodes") -> np.ndarray:
        """Validate node ids; returns an int64 array (0-d for a scalar)."""
        arr = np.asarray(nodes)
        if not np.issubdtype(arr.dtype, np.integer) or arr.dtype == np.bool_:
            if arr.size == 0 and arr.dtype != object:
                return arr.astype(np.int64)
            raise InputTypeError(
                f"`{name}` must be integer node ids (got {_describe(nodes)}); "
                "map paths to ids with Tree.find or Tree.node_ids first."
            )
        arr = arr.astype(np.int64, copy=False)
        if arr.size and (arr.min() < 0 or arr.max() >= self.n_nodes):
            bad = np.unique(arr[(arr < 0) | (arr >= self.n_nodes)])
            raise UnknownNodeError(
                f"`{name}` holds id(s) outside 0..{self.n_nodes - 1}: {format_items(bad.tolist())}."
            )
        return arr

    def node_ids(self, values: Any, *, sep: str = "/", what: str = "nodes") -> np.ndarray:
        """Map node ids or root-to-node paths to validated node ids.

        Integers are checked against the tree; strings (split on ``sep``), tuples or lists
        of labels are root-to-node paths, looked up with :meth:`find`. This is the one
        conversion every metric applies to its ``true``/``pred``/``nodes`` input.

        Parameters
        ----------
        values : int, str, sequence, numpy array, or polars/pandas Series
            Node ids, or paths (one path as a str or tuple; many as a list, array or
            Series of str, or of label lists).
        sep : str, default "/"
            Separator of string paths.
        what : str, default "nodes"
            The argument's name, for error messages.

        Returns
        -------
        numpy.ndarray
            1-D int64 array of node ids (length 1 for a single id or path).

        Raises
        ------
        UnknownNodeError
            An id is out of range or a path is not in the tree (a few are named).
        InputTypeError
            The values are neither integer ids nor paths.

        Examples
        --------
        >>> t = Tree.from_paths(["a/b", "a/c"])
        >>> t.node_ids(["a/c", "a/b"]).tolist(), t.node_ids([2, 1]).tolist()
        ([2, 1], [2, 1])
        >>> t.node_ids(("a", "c")).tolist()
        [2]
        """
        if isinstance(values, pl.Series):
            if values.dtype == pl.String or isinstance(values.dtype, pl.List):
                return np.atleast_1d(np.asarray(self.find(values, sep=sep), dtype=np.int64))
            if values.dtype.is_integer() and not values.null_count():
                return np.atleast_1d(self._nodes(values.to_numpy(), what))
            raise InputTypeError(
                f"`{what}` must be integer node ids or paths, got a {values.dtype} Series"
                + (f" with {values.null_count()} null(s)" if values.null_count() else "")
                + "."
            )
        if type(values).__module__.split(".")[0] == "pandas" and hasattr(values, "to_numpy"):
            values = values.to_numpy()
        if isinstance(values, str | tuple):
            return np.atleast_1d(np.asarray(self.find(values, sep=sep), dtype=np.int64))
        if isinstance(values, int | np.integer) and not isinstance(values, bool):
            return np.atleast_1d(self._nodes(values, what))
        if isinstance(values, np.ndarray):
            if np.issubdtype(values.dtype, np.integer):
                return np.atleast_1d(self._nodes(values, what))
            if values.dtype.kind in "OUS" and values.ndim == 1:
                values = values.tolist()
            else:
                raise InputTypeError(
                    f"`{what}` must be integer node ids or paths, got an array of dtype "
                    f"{values.dtype}."
                )
        if isinstance(values, list):
            if not values:
                return np.empty(0, dtype=np.int64)
            if all(isinstance(v, int | np.integer) and not isinstance(v, bool) for v in values):
                return self._nodes(np.asarray(values, dtype=np.int64), what)
            if all(isinstance(v, str | list | tuple) for v in values):
                return np.asarray(self.find(values, sep=sep), dtype=np.int64)
        raise InputTypeError(
            f"`{what}` must be integer node ids or root-to-node paths (str with {sep!r}, or "
            f"label sequences), got {_describe(values)}."
        )

    def children(self, node: int) -> np.ndarray:
        """Return the children of one node, in order.

        Parameters
        ----------
        node : int
            A node id.

        Returns
        -------
        numpy.ndarray
            The children's ids.

        Examples
        --------
        >>> t = Tree.from_paths(["a/b", "a/c"])
        >>> t.label[t.children(0)].tolist()
        ['b', 'c']
        """
        v = int(self._nodes(node, "node"))
        return np.flatnonzero(self._parent[v + 1 : v + self._size[v]] == v) + v + 1

    def leaves(self, node: int | None = None) -> np.ndarray:
        """Return the ids of the leaves, of the whole tree or below ``node``.

        Parameters
        ----------
        node : int, optional
            A node id; default the root (all leaves).

        Returns
        -------
        numpy.ndarray
            Leaf ids in preorder.

        Examples
        --------
        >>> Tree.from_paths(["a/b/c", "a/d"]).leaves().tolist()
        [2, 3]
        """
        if node is None:
            return np.flatnonzero(self.is_leaf)
        v = int(self._nodes(node, "node"))
        return v + np.flatnonzero(self.is_leaf[v : v + self._size[v]])

    def at_depth(self, depth: int) -> np.ndarray:
        """Return the ids of all nodes at ``depth`` (root = 0), in preorder.

        Parameters
        ----------
        depth : int
            Distance from the root.

        Returns
        -------
        numpy.ndarray
            Node ids (empty past the deepest depth).

        Examples
        --------
        >>> Tree.from_paths(["a/b/c", "a/d"]).at_depth(1).tolist()
        [1, 3]
        """
        if isinstance(depth, bool) or not isinstance(depth, int | np.integer):
            raise InputTypeError(f"`depth` must be an integer, got {_describe(depth)}.")
        return np.flatnonzero(self._depth == depth)

    def descendants(self, node: int, *, include_self: bool = False) -> np.ndarray:
        """Return the ids of all descendants of one node (a contiguous preorder range).

        Parameters
        ----------
        node : int
            A node id.
        include_self : bool, default False
            Whether ``node`` itself is included.

        Returns
        -------
        numpy.ndarray
            Node ids in preorder.

        Examples
        --------
        >>> Tree.from_paths(["a/b/c", "a/d"]).descendants(1).tolist()
        [2]
        """
        v = int(self._nodes(node, "node"))
        return np.arange(v if include_self else v + 1, v + self._size[v])

    def subtree(self, node: int) -> Tree:
        """Return the subtree rooted at ``node`` as a new Tree (ids renumbered from 0).

        Parameters
        ----------
        node : int
            The new root's id.

        Returns
        -------
        Tree

        Examples
        --------
        >>> Tree.from_paths(["a/b/c", "a/d"]).subtree(1).paths(sep="/")
        ['b', 'b/c']
        """
        v = int(self._nodes(node, "node"))
        end = v + int(self._size[v])
        parent = self._parent[v:end] - v
        parent[0] = -1
        return Tree._from_valid(parent, self._label[v:end], self._depth[v:end] - self._depth[v])

    # ------------------------------------------------------------------ vectorised queries

    def is_ancestor(self, ancestor: NodeIds, node: NodeIds, *, strict: bool = False) -> np.ndarray:
        """Test whether ``ancestor`` is an ancestor of ``node``, broadcasting like numpy.

        Parameters
        ----------
        ancestor : int or array of int
            Candidate ancestors.
        node : int or array of int
            Nodes (broadcast against ``ancestor``).
        strict : bool, default False
            Whether a node is *not* its own ancestor.

        Returns
        -------
        numpy.ndarray
            Booleans, the broadcast shape of the inputs.

        Examples
        --------
        >>> t = Tree.from_paths(["a/b/c", "a/d"])
        >>> t.is_ancestor([0, 1, 3], 2).tolist()
        [True, True, False]
        """
        a = self._nodes(ancestor, "ancestor")
        v = self._nodes(node, "node")
        out = (a <= v) & (v < a + self._size[a])
        if strict:
            out &= a != v
        return out

    @cached_property
    def _sparse_table(self) -> np.ndarray:
        """Row k holds, for each start i, the min-depth node of preorder range [i, i + 2**k)."""
        n = self.n_nodes
        levels = max(1, int(n).bit_length())
        dtype = np.int32 if n < 2**31 else np.int64
        table = np.empty((levels, n), dtype=dtype)
        table[0] = np.arange(n)
        depth = self._depth
        for k in range(1, levels):
            half = 1 << (k - 1)
            prev = table[k - 1]
            left, right = prev[: n - half], prev[half:]
            table[k, : n - half] = np.where(depth[left] <= depth[right], left, right)
            table[k, n - half :] = prev[n - half :]
        table.flags.writeable = False
        return table

    def lca(self, u: NodeIds, v: NodeIds) -> np.ndarray:
        """Return the lowest common ancestor of node pairs, vectorised (numpy broadcasting).

        For ``u < v`` in preorder, the LCA is the parent of the shallowest node in the id
        range ``(u, v]``, found by a sparse-table range-minimum query in O(1).

        Parameters
        ----------
        u : int or array of int
            First nodes of the pairs.
        v : int or array of int
            Second nodes (broadcast against ``u``).

        Returns
        -------
        numpy.ndarray
            LCA ids, the broadcast shape of the inputs.

        Examples
        --------
        >>> t = Tree.from_paths(["a/b/c", "a/b/d", "a/e"])
        >>> t.label[t.lca([2, 2], [3, 4])].tolist()
        ['b', 'a']
        """
        u = self._nodes(u, "u")
        v = self._nodes(v, "v")
        u, v = np.broadcast_arrays(u, v)
        lo = np.minimum(u, v)
        hi = np.maximum(u, v)
        same = lo == hi
        left = np.where(same, lo, lo + 1)
        length = hi - left + 1
        k = np.frexp(length.astype(np.float64))[1] - 1  # floor(log2(length)), exact
        table = self._sparse_table
        a = table[k, left]
        b = table[k, hi - (np.int64(1) << k) + 1]
        shallow = np.where(self._depth[a] <= self._depth[b], a, b)
        return np.where(same, lo, self._parent[shallow])

    def distance(self, u: NodeIds, v: NodeIds) -> np.ndarray:
        """Return the number of edges on the path between ``u`` and ``v`` (vectorised).

        Parameters
        ----------
        u : int or array of int
            First nodes of the pairs.
        v : int or array of int
            Second nodes (broadcast against ``u``).

        Returns
        -------
        numpy.ndarray
            Distances, the broadcast shape of the inputs.

        Examples
        --------
        >>> t = Tree.from_paths(["a/b/c", "a/e"])
        >>> t.distance(2, 3).item()
        3
        """
        w = self.lca(u, v)
        u = self._nodes(u, "u")
        v = self._nodes(v, "v")
        return self._depth[u] + self._depth[v] - 2 * self._depth[w]

    def wu_palmer(self, u: NodeIds, v: NodeIds) -> np.ndarray:
        """Return the Wu-Palmer similarity ``2 * (d(lca) + 1) / ((d(u) + 1) + (d(v) + 1))``.

        Depths count the root as 1 (as WordNet/NLTK do), so two distinct children of the
        root score ``2 / 4 = 0.5`` and every node scores 1 with itself.

        Parameters
        ----------
        u : int or array of int
            First nodes of the pairs.
        v : int or array of int
            Second nodes (broadcast against ``u``).

        Returns
        -------
        numpy.ndarray
            Similarities in (0, 1], the broadcast shape of the inputs.

        Examples
        --------
        >>> t = Tree.from_paths(["a/b/c", "a/b/d"])
        >>> round(float(t.wu_palmer(2, 3)), 4)
        0.6667
        """
        w = self.lca(u, v)
        u = self._nodes(u, "u")
        v = self._nodes(v, "v")
        d = self._depth
        return 2.0 * (d[w] + 1) / ((d[u] + 1) + (d[v] + 1))

    @cached_property
    def _level_index(self) -> np.ndarray:
        """Node ids sorted by (depth, id): the key for level-ancestor queries."""
        order = np.lexsort((np.arange(self.n_nodes), self._depth))
        return order

    def ancestor_at(self, nodes: NodeIds, depth: int | np.ndarray) -> np.ndarray:
        """Return the ancestor of each node at the given depth (``-1`` if the node is shallower).

        Among the nodes at depth ``d`` the ancestor of ``v`` is the one with the largest
        preorder id ``<= v``: a binary search, vectorised over all queries.

        Parameters
        ----------
        nodes : int or array of int
            Node ids.
        depth : int or array of int
            Depths of the wanted ancestors (broadcast against ``nodes``); a node is its
            own ancestor at its own depth.

        Returns
        -------
        numpy.ndarray
            Ancestor ids, the broadcast shape of the inputs.

        Examples
        --------
        >>> t = Tree.from_paths(["a/b/c", "a/e/f"])
        >>> t.label[t.ancestor_at([2, 4], 1)].tolist()
        ['b', 'e']
        """
        v = self._nodes(nodes, "nodes")
        d = np.asarray(depth)
        if not np.issubdtype(d.dtype, np.integer):
            raise InputTypeError(f"`depth` must be integer depths, got {_describe(depth)}.")
        d = d.astype(np.int64)
        v, d = np.broadcast_arrays(v, d)
        n = np.int64(self.n_nodes)
        order = self._level_index
        keys = self._depth[order] * n + order
        pos = np.searchsorted(keys, d * n + v, side="right") - 1
        valid = (d >= 0) & (d <= self._depth[v])
        return np.where(valid, order[np.clip(pos, 0, None)], -1)

    def ancestors(self, nodes: NodeIds, *, include_self: bool = False) -> np.ndarray:
        """Return root-first ancestors of a node, or a padded matrix of them for many nodes.

        Parameters
        ----------
        nodes : int or array of int
            One node id, or an array of them.
        include_self : bool, default False
            Whether each node ends its own row.

        Returns
        -------
        numpy.ndarray
            For one node, a 1-D array from the root down. For an array of nodes, a 2-D
            array with one row per node and one column per depth (``-1`` past the node).

        Examples
        --------
        >>> t = Tree.from_paths(["a/b/c", "a/e"])
        >>> t.ancestors(2).tolist()
        [0, 1]
        >>> t.ancestors([2, 3], include_self=True).tolist()
        [[0, 1, 2], [0, 3, -1]]
        """
        v = self._nodes(nodes, "nodes")
        scalar = v.ndim == 0
        v = np.atleast_1d(v)
        width = int(self._depth[v].max()) + (1 if include_self else 0) if v.size else 0
        out = self.ancestor_at(v[:, None], np.arange(width)[None, :])
        if not include_self:
            out = np.where(np.arange(width)[None, :] < self._depth[v][:, None], out, -1)
        return out[0, : int(self._depth[v[0]]) + include_self] if scalar else out

    # ------------------------------------------------------------------ paths

    @cached_property
    def _path_keys(self) -> pl.Series:
        """Every node's root-to-node labels joined by ``_KEY_SEP``, built depth by depth."""
        labels = pl.Series("key", self._label.tolist(), dtype=pl.String)
        order = self._level_index  # by depth, then id
        bounds = np.searchsorted(self._depth[order], np.arange(self.max_depth + 2))
        position = np.empty(self.n_nodes, dtype=np.int64)  # a node's rank within its depth
        position[order] = np.arange(self.n_nodes) - bounds[self._depth[order]]
        by_depth = [labels.gather(order[bounds[0] : bounds[1]])]
        for d in range(1, self.max_depth + 1):  # loop over depths, vectorised over nodes
            nodes = order[bounds[d] : bounds[d + 1]]
            above = by_depth[-1].gather(position[self._parent[nodes]])
            by_depth.append(above + _KEY_SEP + labels.gather(nodes))
        inverse = np.empty(self.n_nodes, dtype=np.int64)
        inverse[order] = np.arange(self.n_nodes)
        return pl.concat(by_depth).gather(inverse)

    @cached_property
    def _paths(self) -> list[tuple[str, ...]]:
        return [tuple(p) for p in self._path_keys.str.split(_KEY_SEP).to_list()]

    @cached_property
    def _path_lookup(self) -> pl.DataFrame:
        return pl.DataFrame({"key": self._path_keys, "id": np.arange(self.n_nodes, dtype=np.int64)})

    def path(self, node: int) -> tuple[str, ...]:
        """Return the root-to-node labels of one node.

        Parameters
        ----------
        node : int
            A node id.

        Returns
        -------
        tuple of str
            Labels from the root down to ``node``.

        Examples
        --------
        >>> Tree.from_paths(["a/b/c"]).path(2)
        ('a', 'b', 'c')
        """
        return self._paths[int(self._nodes(node, "node"))]

    def paths(self, nodes: NodeIds | None = None, *, sep: str | None = None) -> list[Any]:
        """Return the root-to-node paths of several nodes (all by default), as tuples or strings.

        Parameters
        ----------
        nodes : int or array of int, optional
            Node ids; default every node, in id order.
        sep : str, optional
            Join each path's labels with ``sep`` into a string; default tuples of labels.

        Returns
        -------
        list of tuple of str, or list of str

        Examples
        --------
        >>> Tree.from_paths(["a/b"]).paths(sep=" > ")
        ['a', 'a > b']
        """
        ids = None if nodes is None else np.atleast_1d(self._nodes(nodes))
        if sep is None:
            paths = self._paths
            return list(paths) if ids is None else [paths[i] for i in ids.tolist()]
        if not isinstance(sep, str):
            raise InputTypeError(f"`sep` must be a string, got {_describe(sep)}.")
        keys = self._path_keys if ids is None else self._path_keys.gather(ids)
        return keys.str.replace_all(_KEY_SEP, sep, literal=True).to_list()

    def find(self, paths: PathLike | Sequence[PathLike] | pl.Series, *, sep: str = "/") -> Any:
        """Map root-to-node paths to node ids.

        A ``str`` or a ``tuple`` is one path and gives one id; a list, array or Series
        holds many paths and gives an array. A path may omit the root label (it is then
        read below the root).

        Parameters
        ----------
        paths : str, tuple of str, or sequence or Series of paths
            Paths as strings joined by ``sep`` or as sequences of labels, root first.
        sep : str, default "/"
            Separator of string paths.

        Returns
        -------
        int or numpy.ndarray
            One id for one path, an int64 array for many.

        Raises
        ------
        UnknownNodeError
            Naming a few of the paths that are not in the tree.

        Examples
        --------
        >>> t = Tree.from_paths(["Europe/France/Paris", "Americas/USA/Texas/Paris"], root="World")
        >>> t.find("Europe/France/Paris"), t.find(("World", "Americas", "USA", "Texas", "Paris"))
        (3, 7)
        >>> t.find(["Europe/France", "World/Americas"]).tolist()
        [2, 4]
        """
        single = isinstance(paths, str | tuple)
        series = _paths_to_list_series([paths] if single else paths, sep)
        keys = series.list.join(_KEY_SEP)
        ids = self._lookup_keys(keys)
        missing = np.flatnonzero(ids < 0)
        if len(missing):  # retry those paths as relative to the root
            root_prefix = str(self._label[0]) + _KEY_SEP
            retry = self._lookup_keys(root_prefix + keys.gather(missing))
            ids[missing] = retry
            still = missing[retry < 0]
            if len(still):
                shown = [s.replace(_KEY_SEP, sep) for s in keys.gather(still).to_list()]
                raise UnknownNodeError(
                    f"{len(still)} path(s) are not in the tree: {format_items(shown, 5)}. "
                    f"Paths list labels from the root down (root {self._label[0]!r}), "
                    f"separated by {sep!r}; see Tree.paths() for the valid ones."
                )
        return int(ids[0]) if single else ids

    def _lookup_keys(self, keys: pl.Series) -> np.ndarray:
        joined = pl.DataFrame({"key": keys}).join(
            self._path_lookup, on="key", how="left", maintain_order="left"
        )
        return joined["id"].fill_null(-1).to_numpy().astype(np.int64)

    def find_label(self, labels: str | Sequence[str]) -> Any:
        """Map bare labels to ids, for labels that name exactly one node.

        Parameters
        ----------
        labels : str or sequence of str
            One label (gives one id) or several (give an array).

        Returns
        -------
        int or numpy.ndarray

        Raises
        ------
        AmbiguousLabelError
            A label names several nodes; the message lists their paths (use
            :meth:`find` with paths instead).
        UnknownNodeError
            A label is not in the tree.

        Examples
        --------
        >>> t = Tree.from_paths(["a/b", "a/c"])
        >>> t.find_label("c"), t.find_label(["b", "a"]).tolist()
        (2, [1, 0])
        """
        single = isinstance(labels, str)
        if not single and not isinstance(labels, Sequence | np.ndarray | pl.Series):
            raise InputTypeError(
                f"`labels` must be a label or a sequence of labels, got {_describe(labels)}."
            )
        query = pl.DataFrame({"label": [labels] if single else list(labels)}).with_columns(
            pl.col("label").cast(pl.String)
        )
        table = pl.DataFrame({"label": self._label.tolist(), "id": np.arange(self.n_nodes)})
        counts = table.group_by("label").agg(pl.len().alias("n"), pl.col("id").first())
        joined = query.join(counts, on="label", how="left", maintain_order="left")
        unknown = joined.filter(pl.col("n").is_null())["label"].unique(maintain_order=True)
        if len(unknown):
            raise UnknownNodeError(
                f"{len(unknown)} label(s) are not in the tree: {format_items(unknown.to_list(), 5)}."
            )
        ambiguous = joined.filter(pl.col("n") > 1)["label"].unique(maintain_order=True).to_list()
        if ambiguous:
            lab = ambiguous[0]
            where = self.paths(np.flatnonzero(self._label == lab), sep=" / ")
            raise AmbiguousLabelError(
                f"{len(ambiguous)} label(s) name more than one node: {format_items(ambiguous, 5)}. "
                f"For example {lab!r} is at {format_items(where, 4)}. "
                "Use Tree.find with root-to-node paths instead."
            )
        ids = joined["id"].to_numpy().astype(np.int64)
        return int(ids[0]) if single else ids

    # ------------------------------------------------------------------ exports

    def to_polars(self) -> pl.DataFrame:
        """Return one row per node: id, parent, label, depth, path, size, n_leaves.

        ``parent`` is null for the root and ``path`` is the list of root-to-node labels.

        Returns
        -------
        polars.DataFrame

        Examples
        --------
        >>> Tree.from_paths(["a/b"]).to_polars().columns
        ['id', 'parent', 'label', 'depth', 'path', 'size', 'n_leaves']
        """
        return pl.DataFrame(
            {
                "id": np.arange(self.n_nodes, dtype=np.int64),
                "parent": pl.Series("parent", self._parent).replace(-1, None),
                "label": pl.Series("label", self._label.tolist(), dtype=pl.String),
                "depth": self._depth,
                "path": self._path_keys.str.split(_KEY_SEP).alias("path"),
                "size": self._size,
                "n_leaves": self._n_leaves,
            }
        )

    def to_networkx(self) -> nx.DiGraph:
        """Return a networkx DiGraph with parent -> child edges.

        Nodes are the ids, with ``label`` and ``depth`` attributes.

        Returns
        -------
        networkx.DiGraph

        Examples
        --------
        >>> g = Tree.from_paths(["a/b", "a/c"]).to_networkx()
        >>> sorted(g.edges), g.nodes[1]["label"]
        ([(0, 1), (0, 2)], 'b')
        """
        import networkx as nx

        graph = nx.DiGraph()
        graph.add_nodes_from(
            (i, {"label": lab, "depth": d})
            for i, (lab, d) in enumerate(
                zip(self._label.tolist(), self._depth.tolist(), strict=True)
            )
        )
        graph.add_edges_from(zip(self._parent[1:].tolist(), range(1, self.n_nodes), strict=True))
        return graph

    def to_nested(self) -> dict[str, Any]:
        """Return a dict of dicts ``{root: {child: {...}}}``; leaves map to ``{}``.

        Returns
        -------
        dict

        Examples
        --------
        >>> Tree.from_paths(["a/b", "a/c/d"]).to_nested()
        {'a': {'b': {}, 'c': {'d': {}}}}
        """
        dicts: list[dict[str, Any]] = [{} for _ in range(self.n_nodes)]
        labels, parent = self._label.tolist(), self._parent.tolist()
        for v in range(1, self.n_nodes):  # preorder keeps children in order
            dicts[parent[v]][labels[v]] = dicts[v]
        return {labels[0]: dicts[0]}


# =========================================================================== input helpers


def _paths_to_list_series(paths: Any, sep: str) -> pl.Series:
    """Normalise paths (strings with ``sep``, sequences, or a Series) to a list[str] Series."""
    if isinstance(paths, pl.Series):
        series = paths
    else:
        if isinstance(paths, str):
            raise InputTypeError(
                "`paths` must be a collection of paths; wrap a single path in a list."
            )
        if not isinstance(paths, Iterable) or isinstance(paths, Mapping):
            raise InputTypeError(
                f"`paths` must be a list, array or Series of paths, got {_describe(paths)}."
            )
        items = list(paths)
        if items and all(isinstance(p, str) or p is None for p in items):
            series = pl.Series("path", items, dtype=pl.String)
        else:
            try:
                series = pl.Series(
                    "path",
                    [None if p is None else [x if x is None else str(x) for x in p] for p in items],
                    dtype=pl.List(pl.String),
                )
            except TypeError:
                bad = [i for i, p in enumerate(items) if not isinstance(p, str | Sequence | None)]
                raise InputTypeError(
                    "Each path must be a string or a sequence of labels; row(s) "
                    f"{format_items(bad)} are not."
                ) from None
    if series.dtype == pl.String:
        if not isinstance(sep, str) or not sep:
            raise InvalidValueError(
                f"`sep` must be a non-empty string to split string paths, got {sep!r}."
            )
        series = series.str.strip_prefix(sep).str.strip_suffix(sep).str.split(sep, inclusive=False)
        series = series.list.eval(pl.element())  # keep dtype list[str]
    elif not isinstance(series.dtype, pl.List):
        raise InputTypeError(
            f"Paths must be strings or lists of strings, got a {series.dtype} Series."
        )
    elif series.dtype.inner != pl.String:
        series = series.cast(pl.List(pl.String))
    if series.null_count():
        rows = np.flatnonzero(series.is_null().to_numpy())
        raise NullLabelError(
            f"{len(rows)} path(s) are null, at row(s) {format_items(rows.tolist())}."
        )
    return series.alias("path")


def _edges_frame(edges: Any, child: str, parent: str, label: str | None) -> pl.DataFrame:
    """Normalise an edge table or pairs to columns child, parent (and label)."""
    if isinstance(edges, pl.DataFrame | pl.LazyFrame | Mapping) or (
        type(edges).__module__.split(".")[0] == "pandas"
    ):
        frame = as_polars(edges, "The edge table")
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
                f"(child, parent) pairs, got {_describe(edges)}."
            )
        pairs = [
            tuple(e) if isinstance(e, Sequence) and not isinstance(e, str) else (e,) for e in edges
        ]
        bad = [i for i, e in enumerate(pairs) if len(e) != 2]
        if bad:
            raise InputShapeError(
                f"Edges must be (child, parent) pairs; row(s) {format_items(bad)} are not."
            )
        frame = pl.DataFrame(
            {"child": [e[0] for e in pairs], "parent": [e[1] for e in pairs]},
            strict=False,
        )
    if frame["child"].dtype != frame["parent"].dtype:
        if frame["parent"].dtype == pl.Null:
            frame = frame.with_columns(pl.col("parent").cast(frame["child"].dtype))
        else:
            raise InputTypeError(
                f"Child keys ({frame['child'].dtype}) and parent keys ({frame['parent'].dtype}) "
                "must have the same type; cast one column to match the other."
            )
    return frame


def _is_d3_node(obj: Any) -> bool:
    return isinstance(obj, Mapping) and isinstance(obj.get("name"), str)


def _nested_children(obj: Any, where: str) -> list[tuple[str, Any]]:
    """Return the (label, substructure) children of one nested-dict node.

    A dict maps child labels to their substructures; a list holds leaf labels, d3-style
    ``{"name": ..., "children": [...]}`` nodes, or dicts; ``None`` is a leaf.
    """
    if obj is None:
        return []
    if isinstance(obj, Mapping):
        return [(str(k), v) for k, v in obj.items()]
    if isinstance(obj, list | tuple):
        out: list[tuple[str, Any]] = []
        for item in obj:
            if isinstance(item, str):
                out.append((item, None))
            elif _is_d3_node(item):
                out.append((item["name"], list(item.get("children") or [])))
            elif isinstance(item, Mapping):
                out.extend((str(k), v) for k, v in item.items())
            else:
                raise InputTypeError(
                    f"Under {where}: list items must be labels or dicts, got {type(item).__name__}."
                )
        return out
    raise InputTypeError(
        f"Under {where}: expected a dict, a list or None, got {type(obj).__name__} ({obj!r})."
    )


def _describe(value: Any) -> str:
    """Describe a wrong argument for an error message: its type (and short value)."""
    if isinstance(value, str | int | float | bool) or value is None:
        return f"{type(value).__name__} {value!r}"
    return type(value).__name__


def _check_labels(labels: np.ndarray, keys: Sequence[Any]) -> None:
    """Null or empty labels are errors; other non-str labels become str (in place)."""
    bad = [i for i, x in enumerate(labels.tolist()) if x is None or x == "" or x != x]
    if bad:
        raise NullLabelError(
            f"{len(bad)} node(s) have a null or empty label: "
            f"{format_items([keys[i] for i in bad])}. Give every node a non-empty label."
        )
    labels[:] = [x if isinstance(x, str) else str(x) for x in labels.tolist()]


def _check_sibling_labels(parent: np.ndarray, labels: np.ndarray) -> None:
    """Two children of one parent with the same label would share a path: an error."""
    frame = pl.DataFrame({"parent": parent, "label": labels.tolist()})
    dup = frame.filter(pl.struct("parent", "label").is_duplicated())
    if dup.height:
        first = dup.row(0, named=True)
        parent_label = labels[first["parent"]] if first["parent"] >= 0 else None
        raise AmbiguousLabelError(
            f"Sibling nodes share a label, so their paths would be identical: "
            f"{dup['label'].n_unique()} label(s) repeated under one parent, e.g. "
            f"{first['label']!r} under {parent_label!r}. Give siblings distinct labels "
            "(a node's identity is its root-to-node path)."
        )


def as_tree(value: Any, what: str = "tree") -> Tree:
    """Check that ``value`` is a :class:`Tree`.

    Anything else raises an :class:`~hierlab.errors.InputTypeError` naming ``what`` and the
    constructors.

    Parameters
    ----------
    value : Any
        The argument a function received as its tree.
    what : str, default "tree"
        The argument's name, for the message.

    Returns
    -------
    Tree
        ``value`` itself.

    Examples
    --------
    >>> t = Tree.from_paths(["a/b"])
    >>> as_tree(t) is t
    True
    """
    if isinstance(value, Tree):
        return value
    raise InputTypeError(
        f"`{what}` must be a hierlab Tree, got {type(value).__name__}; build one with "
        "Tree.from_paths, Tree.from_edges, Tree.from_levels or Tree.from_nested."
    )
