"""The Tree's constructors: paths, level tables, edges, nested dicts, graphs, linkages.

Every constructor validates its input and names the rows or nodes at fault.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, Self

import numpy as np
import polars as pl

from hierlab._tables import as_float_array, as_polars, require_columns, text_labels
from hierlab.errors import (
    CycleError,
    EmptyInputError,
    InputShapeError,
    InputTypeError,
    InvalidValueError,
    MultipleParentsError,
    MultipleRootsError,
    NullLabelError,
    UnknownParentError,
    format_items,
)
from hierlab.tree._inputs import (
    as_label_text,
    edges_frame,
    is_d3_node,
    nested_children,
)
from hierlab.tree._paths import (
    PathLike,
    paths_to_list_series,
    prefix_hashes,
)
from hierlab.tree._structure import (
    describe,
    where_rows,
)

if TYPE_CHECKING:
    import networkx as nx


class TreeBuilders:
    """The constructors of :class:`~hierlab.tree.Tree` (its class methods ``from_*``)."""

    __slots__ = ()  # the Tree declares its own slots

    @classmethod
    def from_paths(
        cls,
        paths: Iterable[PathLike] | pl.Series,
        *,
        sep: str = "/",
        root: str | None = None,
    ) -> Self:
        r"""Build a tree from root-to-node paths.

        Every prefix of a path becomes a node; the same path given twice is one node, and
        equal labels under different parents stay different nodes.

        Parameters
        ----------
        paths : iterable of str or of sequences of str, or a polars Series
            Each path lists labels from the top down: ``("Europe", "France", "Paris")``
            (the canonical form: any text is a label) or ``"Europe/France/Paris"``. In a
            string path a backslash escapes the next character (a backslash or a
            separator character), so ``"Top\/Features"`` is one label; one leading or
            trailing separator is ignored.
        sep : str, default "/"
            Separator used to split string paths (it may not contain a backslash).
        root : str, optional
            Label of a synthetic root added above the first level. Required when the
            paths start with more than one label.

        Returns
        -------
        Tree

        Raises
        ------
        NullLabelError
            A path is empty or has a null, NaN or empty label (the rows are named).
        InputTypeError
            A path is neither a string nor a sequence, or the labels mix types (the rows
            are named).
        MultipleRootsError
            The paths start with several labels and ``root`` was not given.

        Examples
        --------
        >>> from hierlab.tree import Tree
        >>> t = Tree.from_paths([["a", "b"], ["a", "c"], ["a", "b"]])
        >>> t.paths()
        [('a',), ('a', 'b'), ('a', 'c')]
        >>> Tree.from_paths(["Europe > France", "Asia > Japan"], sep=" > ", root="World").n_nodes
        5
        >>> Tree.from_paths([("Top", "Features/Books")]).paths(sep="/")
        ['Top', 'Top/Features\\/Books']
        """
        if root is not None:
            root = text_labels([root], lambda pos: "`root`", "root label")[0]
        series = paths_to_list_series(paths, sep)
        if len(series) == 0:
            raise EmptyInputError("`paths` is empty: give at least one path.")
        lengths = series.list.len().to_numpy().astype(np.int64)
        labels_flat = series.explode()
        uniques = labels_flat.unique(maintain_order=True)
        codes = (
            pl.DataFrame({"label": labels_flat})
            .join(
                pl.DataFrame({"label": uniques, "code": np.arange(len(uniques), dtype=np.int64)}),
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
    ) -> Self:
        """Paths given as integer label codes, concatenated, plus one length per path.

        Each distinct prefix is a node. Prefixes are told apart by a polynomial hash of
        their codes, and the result is verified exactly: every occurrence of a node must
        have the same label and the same parent node (by induction on the depth, equal
        hashes then mean equal prefixes). On a hash collision it falls back to walking
        the paths level by level.
        """
        starts = np.zeros(len(lengths), dtype=np.int64)
        np.cumsum(lengths[:-1], out=starts[1:])
        position = np.arange(len(codes), dtype=np.int64) - np.repeat(starts, lengths)
        hashes = prefix_hashes(codes, starts, lengths, position)
        _, first, inverse = np.unique(hashes, return_index=True, return_inverse=True)
        by_first = np.argsort(first, kind="stable")  # nodes in order of first appearance
        rank = np.empty(len(first), dtype=np.int64)
        rank[by_first] = np.arange(len(first))
        node = rank[inverse.ravel()]
        parent_of = np.where(position > 0, np.roll(node, 1), -1)
        head = first[by_first]  # first occurrence of each node
        node_code, node_parent = codes[head], parent_of[head]
        if not (
            np.array_equal(node_code[node], codes) and np.array_equal(node_parent[node], parent_of)
        ):
            return cls._from_coded_paths_by_level(codes, lengths, vocab, root)
        return cls._finish_paths(node_parent, vocab[node_code], position[head], root)

    @classmethod
    def _from_coded_paths_by_level(
        cls, codes: np.ndarray, lengths: np.ndarray, vocab: np.ndarray, root: str | None
    ) -> Self:
        """Build like :meth:`_from_coded_paths`, exactly, with one vectorised step per level."""
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
        return cls._finish_paths(
            np.concatenate(parents),
            vocab[np.concatenate(label_codes)],
            np.concatenate(depths),
            root,
        )

    @classmethod
    def _finish_paths(
        cls, parent: np.ndarray, labels: np.ndarray, depth: np.ndarray, root: str | None
    ) -> Self:
        """Add the synthetic root (or check there is one top label) and build."""
        tops = np.flatnonzero(parent < 0)
        if root is not None:
            parent = np.concatenate([[-1], np.where(parent < 0, 0, parent + 1)])
            labels = np.concatenate([np.array([root], dtype=object), labels])
            depth = np.concatenate([[0], depth + 1])
        elif len(tops) > 1:
            names = labels[tops].tolist()
            raise MultipleRootsError(
                f"The paths start with {len(tops)} different labels: {format_items(names)}. "
                "Pass root='<label>' to add a synthetic root above them.",
                roots=names,
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
    ) -> Self:
        """Build a tree from a table with one column per level (top level first).

        Each row is a root-to-node path. A null, NaN or empty string ends a row's path
        early, so rows of different lengths mix freely; a null followed by a value is an
        error unless ``on_null="skip"``, which drops interior nulls (the node then hangs
        below the nearest non-null level, as countries without an intermediate region do
        in the UN M49 table). Numbers become text; a float column whose values are all
        whole numbers (integer codes read as floats because of missing values) gives
        integer labels (``3``, not ``3.0``).

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
        >>> from hierlab.tree import Tree
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
        cols = frame.select([as_label_text(frame[c]).alias(c) for c in levels])
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
    ) -> Self:
        """Build a tree from (child, parent) edges.

        Node keys (the values in the child and parent columns) identify nodes and must be
        unique per node; they become the labels unless a ``label`` column is given. A row
        whose parent is null declares a root; when any such row exists, a parent that
        never appears as a node is an error (otherwise roots are inferred). Identical
        duplicate edges are dropped silently. Keys of different types (the integer ``1``
        and the text ``"1"``) are refused rather than merged, and so are NaN keys.

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
        >>> from hierlab.tree import Tree
        >>> t = Tree.from_edges([("France", "Europe"), ("Paris", "France"), ("Spain", "Europe")])
        >>> t.paths(sep="/")
        ['Europe', 'Europe/France', 'Europe/France/Paris', 'Europe/Spain']
        """
        if on_multiple_parents not in ("error", "first"):
            raise InvalidValueError(
                f"`on_multiple_parents` must be 'error' or 'first', got {on_multiple_parents!r}."
            )
        if root is not None:
            root = text_labels([root], lambda pos: "`root`", "root label")[0]
        frame = edges_frame(edges, child, parent, label)
        if frame.height == 0:
            raise EmptyInputError("The edge list is empty: give at least one (child, parent).")
        null_child = frame["child"].is_null()
        if null_child.any():
            rows = np.flatnonzero(null_child.to_numpy())
            raise NullLabelError(
                f"{len(rows)} edge(s) have a null child, at row(s) {format_items(rows.tolist())}."
            )
        if "label" in frame.columns:
            text_labels(frame["label"].to_list(), where_rows, "label")
        frame = frame.unique(maintain_order=True)
        if "label" in frame.columns:
            relabelled = frame.group_by("child", maintain_order=True).agg(
                pl.col("label").unique(maintain_order=True)
            )
            relabelled = relabelled.filter(pl.col("label").list.len() > 1)
            if relabelled.height:
                first = relabelled.row(0)
                raise InvalidValueError(
                    f"{relabelled.height} node(s) are given different labels in different "
                    f"rows, e.g. {first[0]!r} is labelled {format_items(first[1], 4)}. Give "
                    "each node one label."
                )
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
        labels = np.empty(n, dtype=object)
        labels[:] = [str(k) for k in key_list]
        if "label" in coded.columns:
            text = text_labels(coded["label"].to_list(), where_rows, "label")
            labels[c] = np.asarray(text, dtype=object)
        if root is not None:  # the synthetic root is appended last; preorder fixes ids
            par = np.append(np.where(par < 0, n, par), -1)
            labels = np.append(labels, np.array([root], dtype=object))
            key_list = [*key_list, root]
        tree = cls.__new__(cls)
        tree._init_validated(par, labels, key_list)
        return tree

    @classmethod
    def from_nested(cls, nested: Mapping[str, Any] | str, *, root: str | None = None) -> Self:
        """Build a tree from a nested dict (or its JSON text).

        Two shapes are accepted, and may be mixed:

        * dict of dicts: ``{"Europe": {"France": {"Paris": {}}}}``; a leaf's value is
          ``{}`` or ``None``, and a list of strings is a list of leaves;
        * d3-style nodes: ``{"name": "Europe", "children": [{"name": "France"}]}``.

        The walk uses an explicit stack (any depth works) and tracks the containers on
        the current branch, so a structure that contains itself raises a
        :class:`~hierlab.errors.CycleError` naming the keys on the loop instead of
        running forever. Keys must be non-null and of one type (numbers become text).

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
        >>> from hierlab.tree import Tree
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
        if root is not None:
            root = text_labels([root], lambda pos: "`root`", "root label")[0]
        top = [nested] if is_d3_node(nested) else nested
        tops = nested_children(top, "the top level")
        if not tops:
            raise EmptyInputError("The nested structure is empty: it has no nodes.")
        parent: list[int] = []
        labels: list[Any] = []
        depth: list[int] = []
        if root is not None:
            parent.append(-1)
            labels.append(root)
            depth.append(0)
        base = 0 if root is not None else -1
        # the containers on the branch being walked: id -> position on `branch`
        on_branch: dict[int, int] = {id(top): 0}
        branch: list[Any] = ["(top level)"]
        _EXIT = object()
        first_depth = 1 if root is not None else 0
        stack: list[Any] = [(lab, sub, i, base, first_depth) for lab, sub, i in reversed(tops)]
        while stack:  # explicit stack: no recursion, so deep nesting is fine
            item = stack.pop()
            if item[0] is _EXIT:
                del on_branch[item[1]]
                branch.pop()
                continue
            label, sub, ident, par, d = item
            node = len(parent)
            parent.append(par)
            labels.append(label)
            depth.append(d)
            if ident is None:
                continue
            if ident in on_branch:
                loop = [*branch[on_branch[ident] + 1 :], label]
                raise CycleError(
                    f"The nested structure contains itself: following the keys "
                    f"{' -> '.join(repr(x) for x in loop)} leads back to the container of "
                    f"{branch[on_branch[ident]]!r}, so it never ends. Break the loop (copy the "
                    "inner dict instead of referencing an outer one).",
                    nodes=loop,
                )
            kids = nested_children(sub, repr(label))
            on_branch[ident] = len(branch)
            branch.append(label)
            stack.append((_EXIT, ident))
            stack.extend((lab, s, i, node, d + 1) for lab, s, i in reversed(kids))
        raw = labels
        labels = text_labels(
            raw,
            lambda pos: (
                "node(s) "
                + format_items(
                    f"{raw[i]!r} under {raw[parent[i]]!r}" if parent[i] >= 0 else repr(raw[i])
                    for i in pos
                )
            ),
            "key",
        )
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
    ) -> Self:
        """Build a tree from a networkx DiGraph whose edges point from parent to child.

        Parameters
        ----------
        graph : networkx.DiGraph
            An arborescence (``networkx.is_arborescence``); node keys must be unique.
        label : str or None, default "label"
            Node attribute holding the label; nodes without it use ``str(node)``. Labels
            must be non-null and of one type.
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
        >>> from hierlab.tree import Tree
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
        raw = [
            graph.nodes[v][label] if label is not None and label in graph.nodes[v] else str(v)
            for v in nodes
        ]
        labels = text_labels(
            raw, lambda pos: f"graph node(s) {format_items([nodes[i] for i in pos])}"
        )
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
    ) -> Self:
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
        >>> from hierlab.tree import Tree
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
        if not isinstance(internal_label, str):
            raise InputTypeError(
                f"`internal_label` must be a format string, got {describe(internal_label)}."
            )
        if Z.ndim != 2 or Z.shape[1] != 4 or not is_valid_linkage(Z):
            raise InputShapeError(
                f"`linkage` must be a valid scipy linkage matrix of shape (n - 1, 4), got "
                f"shape {Z.shape}; build it with scipy.cluster.hierarchy.linkage."
            )
        n = Z.shape[0] + 1
        leaf_labels = labels.to_list() if isinstance(labels, pl.Series) else list(labels)
        if len(leaf_labels) != n:
            raise InputShapeError(
                f"The linkage matrix joins {n} observations but {len(leaf_labels)} labels "
                "were given; give one label per observation."
            )
        leaf_labels = text_labels(leaf_labels, lambda pos: f"observation(s) {format_items(pos)}")
        parent = np.full(2 * n - 1, -1, dtype=np.int64)
        merged = Z[:, :2].astype(np.int64)
        parent[merged[:, 0]] = np.arange(n, 2 * n - 1)
        parent[merged[:, 1]] = np.arange(n, 2 * n - 1)
        try:
            inner = [internal_label.format(id=i) for i in range(n, 2 * n - 1)]
        except (KeyError, IndexError, ValueError) as err:
            raise InvalidValueError(
                f"`internal_label` must be a format string using only {{id}}, got "
                f"{internal_label!r} ({err})."
            ) from None
        names = leaf_labels + inner
        tree = cls.__new__(cls)
        tree._init_validated(parent, np.asarray(names, dtype=object), names)
        return tree
