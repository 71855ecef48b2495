"""The Tree class (see the package docstring for its conventions)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import cached_property
from itertools import islice
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from hierlab._tables import is_missing, text_labels
from hierlab.errors import (
    AmbiguousLabelError,
    CycleError,
    EmptyInputError,
    InputShapeError,
    InputTypeError,
    InvalidValueError,
    MultipleRootsError,
    UnknownNodeError,
    UnknownParentError,
    format_items,
)
from hierlab.tree._build import TreeBuilders
from hierlab.tree._inputs import check_sibling_labels, label_codes
from hierlab.tree._paths import (
    HASH_BASE,
    HASH_BASE_INV,
    NodeIds,
    PathLike,
    check_sep,
    escape_labels,
    join_path,
    paths_to_list_series,
    powers,
    prefix_hashes,
)
from hierlab.tree._structure import (
    BLOCK,
    DENSE_RMQ_NODES,
    MAX_PATH_LABELS,
    cycle_from,
    depths_or_cycles,
    describe,
    list_series,
    lowest_bit,
    preorder_order,
    too_large,
)

if TYPE_CHECKING:
    import networkx as nx


class Tree(TreeBuilders):
    """An immutable rooted tree whose nodes are the integers ``0 .. n-1`` in preorder.

    Build trees with the ``from_*`` class methods; the plain constructor takes a parent
    array and labels in any order and renumbers the nodes to preorder.

    Parameters
    ----------
    parent : array of int
        ``parent[v]`` is the parent of node ``v``; the root has ``-1``. Any order.
    label : sequence of str
        One label per node. Labels need not be unique; siblings' labels must be. Numbers
        are turned into text; null, NaN, empty and mixed-type labels are refused.

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
        values = label.to_list() if isinstance(label, pl.Series) else list(label)
        if len(values) != len(parent):
            raise InputShapeError(
                f"`label` has {len(values)} entries but `parent` has {len(parent)}; "
                "give one label per node."
            )
        labels = np.empty(len(values), dtype=object)
        labels[:] = values
        self._init_validated(parent.astype(np.int64), labels, range(len(parent)))

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
        labels[:] = text_labels(
            labels.tolist(), lambda pos: f"node(s) {format_items([keys[i] for i in pos])}"
        )
        depth, stuck = depths_or_cycles(parent)
        if stuck.any():
            cycle = cycle_from(int(np.flatnonzero(stuck)[0]), parent)
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
        pre, size = preorder_order(parent)
        new_parent = np.full(n, -1, dtype=np.int64)
        has_parent = parent >= 0
        new_parent[pre[has_parent]] = pre[parent[has_parent]]
        new_labels = np.empty(n, dtype=object)
        new_labels[pre] = labels
        new_depth = np.empty(n, dtype=np.int64)
        new_depth[pre] = depth
        new_size = np.empty(n, dtype=np.int64)
        new_size[pre] = size
        check_sibling_labels(new_parent, new_labels)
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
        arr = np.asarray(nodes) if not isinstance(nodes, pl.Series) else nodes.to_numpy()
        if not np.issubdtype(arr.dtype, np.integer) or arr.dtype == np.bool_:
            if arr.size == 0 and arr.dtype != object:
                return arr.astype(np.int64)
            raise InputTypeError(
                f"`{name}` must be integer node ids (got {describe(nodes)}); "
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
        r"""Map node ids or root-to-node paths to validated node ids.

        The one conversion every metric applies to its ``true``/``pred``/``nodes`` input.

        * Integers are node ids, checked against the tree; floats are accepted when they
          are whole numbers (ids read as floats), and NaN or null is refused naming the
          rows.
        * A ``str`` is one path, its labels joined by ``sep`` (backslash escapes, as in
          :meth:`from_paths`); a ``tuple`` or ``list`` of label strings is one path (the
          canonical form).
        * Many values: a list, numpy array, or polars/pandas Series of ids, or of paths.
          Ids and paths may not be mixed in one argument (the rows of each are named).
          A set is refused: it is a multi-label sample, not a node.

        Parameters
        ----------
        values : int, str, tuple, sequence, numpy array, or polars/pandas Series
            Node ids, or paths.
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
            The values are neither integer ids nor paths, or mix the two.
        MissingValueError
            An id is NaN or null (the rows are named).

        Examples
        --------
        >>> t = Tree.from_paths(["a/b", "a/c"])
        >>> t.node_ids(["a/c", "a/b"]).tolist(), t.node_ids([2, 1]).tolist()
        ([2, 1], [2, 1])
        >>> t.node_ids(("a", "c")).tolist(), t.node_ids([("a", "b"), ("a", "c")]).tolist()
        ([2], [1, 2])
        >>> import pandas as pd
        >>> t.node_ids(pd.Series([2.0, 1.0])).tolist()
        [2, 1]
        """
        return to_node_ids(self, values, sep, what)

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
        v = self._one_node(node, "node")
        return np.flatnonzero(self._parent[v + 1 : v + self._size[v]] == v) + v + 1

    def _one_node(self, node: Any, name: str) -> int:
        arr = self._nodes(node, name)
        if arr.ndim != 0:
            raise InputTypeError(f"`{name}` must be one node id, got {arr.size} of them.")
        return int(arr)

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
        v = self._one_node(node, "node")
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
            raise InputTypeError(f"`depth` must be an integer, got {describe(depth)}.")
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
        v = self._one_node(node, "node")
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
        v = self._one_node(node, "node")
        end = v + int(self._size[v])
        parent = self._parent[v:end] - v
        parent[0] = -1
        sub = Tree.__new__(Tree)  # a preorder range is already in preorder
        sub._set_arrays(
            parent,
            self._label[v:end].copy(),
            self._depth[v:end] - self._depth[v],
            self._size[v:end].copy(),
        )
        return sub

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
    def _range_min(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Linear-memory range-minimum structure over the preorder depths.

        Positions are cut into blocks of 32. ``mask[i]`` has bit ``j`` set when position
        ``32 * block + j`` is shallower than every position after it up to ``i`` (the
        stack of right-to-left minima), so the shallowest position in ``[l, i]`` inside
        a block is the lowest set bit at or above ``l``. A sparse table over the blocks'
        minima answers whole blocks. Memory: 8 bytes per node plus ``n / 32 * log n``.
        """
        n = self.n_nodes
        n_blocks = -(-n // BLOCK)
        depth = np.full(n_blocks * BLOCK, np.iinfo(np.int64).max, dtype=np.int64)
        depth[:n] = self._depth
        depth = depth.reshape(n_blocks, BLOCK)
        bits = np.left_shift(np.uint64(1), np.arange(BLOCK, dtype=np.uint64))
        mask = np.empty((n_blocks, BLOCK), dtype=np.uint64)
        for i in range(BLOCK):  # positions within a block, vectorised over blocks
            if i == 0:
                mask[:, 0] = bits[0]
                continue
            after = np.minimum.accumulate(depth[:, i:0:-1], axis=1)[:, ::-1]  # min of (j, i]
            below = depth[:, :i] < after
            mask[:, i] = (below.astype(np.uint64) * bits[:i]).sum(axis=1, dtype=np.uint64)
            mask[:, i] |= bits[i]
        mask = mask.ravel()[:n]
        ends = np.minimum(np.arange(1, n_blocks + 1) * BLOCK, n) - 1
        block_min = (ends // BLOCK) * BLOCK + lowest_bit(mask[ends])
        levels = max(1, int(n_blocks).bit_length())
        table = np.empty((levels, n_blocks), dtype=np.int64)  # flattened below
        table[0] = block_min
        d = self._depth
        for k in range(1, levels):  # log2(n / 32) levels
            half = 1 << (k - 1)
            prev = table[k - 1]
            left, right = prev[: n_blocks - half], prev[half:]
            table[k, : n_blocks - half] = np.where(d[left] <= d[right], left, right)
            table[k, n_blocks - half :] = prev[n_blocks - half :]
        log2 = np.zeros(n_blocks + 1, dtype=np.int64)  # floor(log2(length)) by lookup
        log2[2:] = np.frexp(np.arange(2, n_blocks + 1, dtype=np.float64))[1] - 1
        table = table.ravel()
        for arr in (mask, table, log2):
            arr.flags.writeable = False
        return mask, table, log2

    @cached_property
    def _sparse_table(self) -> np.ndarray:
        """Row k holds, for each start i, the shallowest node of preorder range [i, i + 2**k).

        Used up to ``DENSE_RMQ_NODES`` nodes (a few MB), where it answers in fewer steps
        than the blocked structure of :attr:`_range_min`.
        """
        n = self.n_nodes
        levels = max(1, int(n).bit_length())
        table = np.empty((levels, n), dtype=np.int32)
        table[0] = np.arange(n)
        depth = self._depth
        for k in range(1, levels):  # log2(n) levels
            half = 1 << (k - 1)
            prev = table[k - 1]
            left, right = prev[: n - half], prev[half:]
            table[k, : n - half] = np.where(depth[left] <= depth[right], left, right)
            table[k, n - half :] = prev[n - half :]
        table.flags.writeable = False
        return table

    def _shallowest(self, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """Return the shallowest position in each preorder range ``[lo, hi]`` (``lo <= hi``)."""
        d = self._depth
        if self.n_nodes <= DENSE_RMQ_NODES:
            table = self._sparse_table
            k = np.frexp((hi - lo + 1).astype(np.float64))[1] - 1  # floor(log2(length))
            a = table[k, lo]
            b = table[k, hi - (np.int64(1) << k) + 1]
            return np.where(d[a] <= d[b], a, b).astype(np.int64)
        mask, table, log2 = self._range_min
        n = self.n_nodes
        block_lo, block_hi = lo // BLOCK, hi // BLOCK
        same = block_lo == block_hi
        # the part of lo's block from lo on (up to hi when both lie in one block)
        end = np.where(same, hi, np.minimum((block_lo + 1) * BLOCK, n) - 1)
        keep = ~np.uint64(0) << (lo % BLOCK).astype(np.uint64)
        best = block_lo * BLOCK + lowest_bit(mask[end] & keep)
        # the part of hi's block up to hi
        head = block_hi * BLOCK + lowest_bit(mask[hi])
        best = np.where(~same & (d[head] < d[best]), head, best)
        # whole blocks in between, from the sparse table
        first, last = block_lo + 1, block_hi - 1
        between = np.flatnonzero(last >= first)
        if len(between):
            a, b = first[between], last[between]
            k = log2[b - a + 1]
            row = k * (len(log2) - 1)  # rows of the flattened table hold n_blocks each
            x = table[row + a]
            y = table[row + b - (np.int64(1) << k) + 1]
            mid = np.where(d[x] <= d[y], x, y)
            cur = best[between]
            best[between] = np.where(d[mid] < d[cur], mid, cur)
        return best

    def lca(self, u: NodeIds, v: NodeIds) -> np.ndarray:
        """Return the lowest common ancestor of node pairs, vectorised (numpy broadcasting).

        For ``u < v`` in preorder, the LCA is the parent of the shallowest node in the id
        range ``(u, v]``: a range-minimum query answered in O(1), by a sparse table for
        trees of up to 131,072 nodes and beyond that by in-block bit masks and a sparse
        table over blocks of 32, in memory linear in the tree. No recursion.

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
        shape = u.shape
        lo = np.minimum(u, v).ravel()
        hi = np.maximum(u, v).ravel()
        out = lo.copy()
        differ = np.flatnonzero(lo != hi)
        if len(differ):
            shallow = self._shallowest(lo[differ] + 1, hi[differ])
            out[differ] = self._parent[shallow]
        return out.reshape(shape)

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
    def _level_keys(self) -> tuple[np.ndarray, np.ndarray]:
        """Node ids sorted by (depth, id), and their sort keys ``depth * n + id``."""
        order = np.lexsort((np.arange(self.n_nodes), self._depth))
        keys = self._depth[order] * np.int64(self.n_nodes) + order
        return order, keys

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
        if not np.issubdtype(d.dtype, np.integer) or d.dtype == np.bool_:
            raise InputTypeError(f"`depth` must be integer depths, got {describe(depth)}.")
        d = d.astype(np.int64)
        v, d = np.broadcast_arrays(v, d)
        return self._ancestor_at(v, d)

    def _ancestor_at(self, v: np.ndarray, d: np.ndarray) -> np.ndarray:
        order, keys = self._level_keys
        pos = np.searchsorted(keys, d * np.int64(self.n_nodes) + v, side="right") - 1
        valid = (d >= 0) & (d <= self._depth[v])
        return np.where(valid, order[np.clip(pos, 0, None)], -1)

    def ancestor_pairs(
        self, nodes: NodeIds, *, include_self: bool = False
    ) -> tuple[np.ndarray, np.ndarray]:
        """Return every (node, ancestor) pair in long form: the ragged ancestor lists, flat.

        Row ``i`` of ``nodes`` contributes its ancestors from the root down (and itself
        last with ``include_self``); memory is linear in the number of pairs, unlike the
        padded matrix of :meth:`ancestors`.

        Parameters
        ----------
        nodes : int or array of int
            Node ids.
        include_self : bool, default False
            Whether each node is paired with itself.

        Returns
        -------
        index : numpy.ndarray
            Position in ``nodes`` of each pair (non-decreasing).
        ancestor : numpy.ndarray
            The ancestor's id, root first within each node.

        Raises
        ------
        OutputTooLargeError
            The pairs would exceed :data:`MAX_PATH_LABELS`.

        Examples
        --------
        >>> t = Tree.from_paths(["a/b/c", "a/e"])
        >>> index, ancestor = t.ancestor_pairs([2, 3])
        >>> index.tolist(), ancestor.tolist()
        ([0, 0, 1], [0, 1, 0])
        """
        if not isinstance(include_self, bool | np.bool_):
            raise InputTypeError(f"`include_self` must be True or False, got {include_self!r}.")
        v = np.atleast_1d(self._nodes(nodes, "nodes")).ravel()
        counts = self._depth[v] + int(include_self)
        total = int(counts.sum())
        if total > MAX_PATH_LABELS:
            raise too_large(
                total,
                f"The ancestor pairs of these {len(v):,} node(s)",
                "Ask for fewer nodes at a time, or use Tree.ancestor_at for one depth.",
            )
        return self._pairs(v, counts)

    def _pairs(self, v: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        starts = np.zeros(len(v), dtype=np.int64)
        np.cumsum(counts[:-1], out=starts[1:])
        index = np.repeat(np.arange(len(v), dtype=np.int64), counts)
        depth = np.arange(int(counts.sum()), dtype=np.int64) - starts[index]
        return index, self._ancestor_at(v[index], depth)

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
            array with one row per node and one column per depth (``-1`` past the node);
            :meth:`ancestor_pairs` gives the same without padding.

        Raises
        ------
        OutputTooLargeError
            The padded matrix would exceed :data:`MAX_PATH_LABELS` entries.

        Examples
        --------
        >>> t = Tree.from_paths(["a/b/c", "a/e"])
        >>> t.ancestors(2).tolist()
        [0, 1]
        >>> t.ancestors([2, 3], include_self=True).tolist()
        [[0, 1, 2], [0, 3, -1]]
        """
        if not isinstance(include_self, bool | np.bool_):
            raise InputTypeError(f"`include_self` must be True or False, got {include_self!r}.")
        v = self._nodes(nodes, "nodes")
        if v.ndim == 0:
            return self.ancestor_pairs(int(v), include_self=include_self)[1]
        v = v.ravel()
        width = int(self._depth[v].max()) + int(include_self) if v.size else 0
        if v.size * width > MAX_PATH_LABELS:
            raise too_large(
                v.size * width,
                f"The padded ancestor matrix of {v.size:,} node(s) x {width:,} depths",
                "Use Tree.ancestor_pairs (no padding) or ask for fewer nodes.",
            )
        index, anc = self.ancestor_pairs(v, include_self=include_self)
        out = np.full((v.size, width), -1, dtype=np.int64)
        starts = np.zeros(v.size, dtype=np.int64)
        counts = self._depth[v] + int(include_self)
        np.cumsum(counts[:-1], out=starts[1:])
        out[index, np.arange(len(index)) - starts[index]] = anc
        return out

    # ------------------------------------------------------------------ paths

    @cached_property
    def _label_code(self) -> tuple[np.ndarray, pl.DataFrame]:
        """A code per node (its label's rank among the distinct labels), and the vocabulary."""
        labels = pl.Series("label", self._label.tolist(), dtype=pl.String)
        codes = label_codes(labels)
        table = (
            pl.DataFrame({"label": labels, "code": codes}).unique("code", keep="first").sort("code")
        )
        return codes, table

    @cached_property
    def _hash_index(self) -> tuple[np.ndarray, np.ndarray] | None:
        """Every node's path hash, sorted, with the ids in that order (None on a collision)."""
        codes = self._label_code[0].astype(np.uint64) + np.uint64(1)
        n, depth = self.n_nodes, self._depth
        weight = codes * powers(HASH_BASE_INV, self.max_depth + 1)[depth]
        diff = np.zeros(n + 1, dtype=np.uint64)
        diff[:n] = weight
        np.subtract.at(diff, np.arange(n) + self._size, weight)  # Euler-interval path sums
        hashes = np.cumsum(diff[:n]) * powers(HASH_BASE, self.max_depth + 1)[depth]
        order = np.argsort(hashes, kind="stable")
        ordered = hashes[order]
        if len(ordered) > 1 and bool((ordered[1:] == ordered[:-1]).any()):
            return None  # two paths share a hash: find() walks level by level instead
        return ordered, order

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
        return self.paths(self._one_node(node, "node"))[0]

    def paths(self, nodes: NodeIds | None = None, *, sep: str | None = None) -> list[Any]:
        r"""Return the root-to-node paths of several nodes (all by default), as tuples or strings.

        Strings escape backslashes and separators inside labels with a backslash, so
        :meth:`find` and :meth:`from_paths` read them back exactly.

        Parameters
        ----------
        nodes : int or array of int, optional
            Node ids; default every node, in id order.
        sep : str, optional
            Join each path's labels with ``sep`` into a string; default tuples of labels.

        Returns
        -------
        list of tuple of str, or list of str

        Raises
        ------
        OutputTooLargeError
            The paths would hold more than :data:`MAX_PATH_LABELS` labels (every path of
            a very deep tree); ask for fewer nodes.

        Examples
        --------
        >>> Tree.from_paths(["a/b"]).paths(sep=" > ")
        ['a', 'a > b']
        >>> Tree.from_paths([("a", "b/c")]).paths(sep="/")
        ['a', 'a/b\\/c']
        """
        ids = np.arange(self.n_nodes) if nodes is None else np.atleast_1d(self._nodes(nodes))
        ids = ids.ravel()
        if sep is not None:
            sep = check_sep(sep)
        counts = self._depth[ids] + 1
        total = int(counts.sum())
        if total > MAX_PATH_LABELS:
            raise too_large(
                total,
                f"The paths of {len(ids):,} node(s)",
                "Ask for fewer nodes (Tree.paths(nodes)), or use parent links "
                "(Tree.parent, Tree.ancestor_at) instead of whole paths.",
            )
        _, anc = self._pairs(ids, counts)
        if sep is None:
            flat = iter(self._label[anc].tolist())
            return [tuple(islice(flat, c)) for c in counts.tolist()]
        labels = pl.Series("label", self._label.tolist(), dtype=pl.String)
        escaped = escape_labels(labels, sep).gather(anc)
        return list_series(escaped, counts).list.join(sep).to_list()

    def find(self, paths: PathLike | Sequence[PathLike] | pl.Series, *, sep: str = "/") -> Any:
        r"""Map root-to-node paths to node ids.

        A ``str`` or a ``tuple`` is one path and gives one id; a list, array or Series
        holds many paths and gives an array. A path may omit the root label (it is then
        read below the root). String paths are split on ``sep`` with backslash escapes
        (see :meth:`from_paths`); sequences of labels are taken as they are.

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
        series = paths_to_list_series([paths] if single else paths, sep, what="paths")
        ids = self._find_ids(series)
        missing = np.flatnonzero(ids < 0)
        if len(missing):
            shown = [
                join_path(p, sep=sep if isinstance(sep, str) else "/")
                for p in series.gather(missing[:5]).to_list()
            ]
            raise UnknownNodeError(
                f"{len(missing)} path(s) are not in the tree: {format_items(shown, 5)}"
                + (f" (and {len(missing) - 5} more)" if len(missing) > 5 else "")
                + f". Paths list labels from the root down (root {self._label[0]!r}), "
                f"separated by {sep!r} (a backslash escapes a separator inside a label); "
                "see Tree.paths() for the valid ones."
            )
        return int(ids[0]) if single else ids

    def _find_ids(self, series: pl.Series) -> np.ndarray:
        """Ids of list[str] paths (-1 where absent); a path may omit the root label."""
        if len(series) == 0:
            return np.empty(0, dtype=np.int64)
        lengths = series.list.len().to_numpy().astype(np.int64)
        table = self._label_code[1]
        codes = (
            pl.DataFrame({"label": series.explode()})
            .join(table, on="label", how="left", maintain_order="left")["code"]
            .fill_null(-1)
            .to_numpy()
            .astype(np.int64)
        )
        ids = self._lookup(codes, lengths)
        missing = np.flatnonzero(ids < 0)
        if len(missing):  # retry those paths as relative to the root
            starts = np.zeros(len(lengths), dtype=np.int64)
            np.cumsum(lengths[:-1], out=starts[1:])
            sub_len = lengths[missing]
            index = np.repeat(np.arange(len(missing)), sub_len)
            inner = np.arange(int(sub_len.sum())) - np.repeat(np.cumsum(sub_len) - sub_len, sub_len)
            sub_codes = codes[starts[missing][index] + inner]
            new_len = sub_len + 1
            new_codes = np.empty(int(new_len.sum()), dtype=np.int64)
            new_starts = np.cumsum(new_len) - new_len
            new_codes[new_starts] = self._label_code[0][0]
            keep = np.ones(len(new_codes), dtype=bool)
            keep[new_starts] = False
            new_codes[keep] = sub_codes
            ids[missing] = self._lookup(new_codes, new_len)
        return ids

    def _lookup(self, codes: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        """Ids of coded paths (codes < 0: a label not in the tree), or -1."""
        starts = np.zeros(len(lengths), dtype=np.int64)
        np.cumsum(lengths[:-1], out=starts[1:])
        index = self._hash_index
        if index is None:
            return self._walk(codes, lengths, starts)
        position = np.arange(len(codes), dtype=np.int64) - np.repeat(starts, lengths)
        valid = np.logical_and.reduceat(codes >= 0, starts) & (lengths - 1 <= self.max_depth)
        safe = np.where(codes >= 0, codes, 0)
        hashes = prefix_hashes(safe, starts, lengths, position)[starts + lengths - 1]
        ordered, order = index
        pos = np.minimum(np.searchsorted(ordered, hashes), len(ordered) - 1)
        ids = np.where(valid & (ordered[pos] == hashes), order[pos], -1)
        # verify label by label: a hash match is a candidate, not a proof
        found = ids >= 0
        found &= self._depth[np.maximum(ids, 0)] == lengths - 1
        row = np.repeat(np.arange(len(lengths)), lengths)
        check = found[row]
        anc = self._ancestor_at(np.maximum(ids, 0)[row[check]], position[check])
        wrong = np.zeros(len(lengths), dtype=bool)
        wrong[row[check][self._label_code[0][anc] != codes[check]]] = True
        return np.where(found & ~wrong, ids, -1)

    def _walk(self, codes: np.ndarray, lengths: np.ndarray, starts: np.ndarray) -> np.ndarray:
        """Exact lookup, one vectorised step per level (used when path hashes collide)."""
        label_code = self._label_code[0]
        width = np.int64(len(self._label_code[1]) + 1)
        kids = np.arange(1, self.n_nodes, dtype=np.int64)
        keys = self._parent[kids] * width + label_code[kids]
        order = np.argsort(keys)
        keys, kids = keys[order], kids[order]
        current = np.where(codes[starts] == label_code[0], 0, -1)
        for level in range(1, int(lengths.max())):  # levels, vectorised over paths
            active = np.flatnonzero((lengths > level) & (current >= 0))
            if len(active) == 0:
                break
            want = current[active] * width + codes[starts[active] + level]
            pos = np.minimum(np.searchsorted(keys, want), max(len(keys) - 1, 0))
            hit = (codes[starts[active] + level] >= 0) & (len(keys) > 0)
            hit &= keys[pos] == want if len(keys) else hit
            current[active] = np.where(hit, kids[pos] if len(kids) else -1, -1)
        return current

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
        if not single and (
            isinstance(labels, Mapping) or not isinstance(labels, Sequence | np.ndarray | pl.Series)
        ):
            raise InputTypeError(
                f"`labels` must be a label or a sequence of labels, got {describe(labels)}."
            )
        values = (
            [labels]
            if single
            else (labels.to_list() if isinstance(labels, pl.Series) else list(labels))
        )
        values = text_labels(values, lambda pos: f"position(s) {format_items(pos)}")
        query = pl.DataFrame({"label": values}, schema={"label": pl.String})
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
            where = self.paths(np.flatnonzero(self._label == lab), sep="/")
            raise AmbiguousLabelError(
                f"{len(ambiguous)} label(s) name more than one node: {format_items(ambiguous, 5)}. "
                f"For example {lab!r} is at {format_items(where, 4)}. "
                "Use Tree.find with root-to-node paths instead."
            )
        ids = joined["id"].to_numpy().astype(np.int64)
        return int(ids[0]) if single else ids

    # ------------------------------------------------------------------ exports

    def to_polars(self, *, path: bool = True) -> pl.DataFrame:
        """Return one row per node: id, parent, label, depth, path, size, n_leaves.

        ``parent`` is null for the root and ``path`` is the list of root-to-node labels.
        The path column holds ``sum(depth + 1)`` labels: linear in the nodes for a bushy
        tree, quadratic in the depth of a chain. ``path=False`` leaves it out (the parent
        links keep the structure), so the table takes memory linear in the tree.

        Parameters
        ----------
        path : bool, default True
            Whether to include the ``path`` column.

        Returns
        -------
        polars.DataFrame

        Raises
        ------
        OutputTooLargeError
            The path column would hold more than :data:`MAX_PATH_LABELS` labels (a very
            deep tree); pass ``path=False``.

        Examples
        --------
        >>> Tree.from_paths(["a/b"]).to_polars().columns
        ['id', 'parent', 'label', 'depth', 'path', 'size', 'n_leaves']
        >>> Tree.from_paths(["a/b"]).to_polars(path=False).columns
        ['id', 'parent', 'label', 'depth', 'size', 'n_leaves']
        """
        if not isinstance(path, bool | np.bool_):
            raise InputTypeError(f"`path` must be True or False, got {describe(path)}.")
        labels = pl.Series("label", self._label.tolist(), dtype=pl.String)
        columns: dict[str, Any] = {
            "id": np.arange(self.n_nodes, dtype=np.int64),
            "parent": pl.Series("parent", self._parent).replace(-1, None),
            "label": labels,
            "depth": self._depth,
        }
        if path:
            counts = self._depth + 1
            total = int(counts.sum())
            if total > MAX_PATH_LABELS:
                raise too_large(
                    total,
                    f"The path column of this tree ({self.n_nodes:,} nodes, max depth "
                    f"{self.max_depth:,})",
                    "Pass path=False for the node table without it (the parent links "
                    "keep the structure), or use Tree.paths(nodes) for the nodes you need.",
                )
            _, anc = self._pairs(np.arange(self.n_nodes), counts)
            columns["path"] = list_series(labels.gather(anc).alias("path"), counts)
        columns["size"] = self._size
        columns["n_leaves"] = self._n_leaves
        return pl.DataFrame(columns)

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

        Built in one pass over the nodes, without recursion, so any depth works (printing
        or comparing a very deep result is Python's own recursion, not hierlab's).

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


def to_node_ids(tree: Tree, values: Any, sep: Any, what: str) -> np.ndarray:
    """Node ids or paths -> validated node ids (see :meth:`Tree.node_ids`)."""
    if not isinstance(what, str):
        raise InputTypeError(f"`what` must be a string, got {describe(what)}.")
    if isinstance(values, pl.Series):
        dtype = values.dtype
        if dtype == pl.String or isinstance(dtype, pl.List):
            return find_paths(tree, paths_to_list_series(values, sep, what), sep, what)
        if dtype.is_numeric() or dtype == pl.Null:
            return ids_from_numbers(tree, values.cast(pl.Float64).to_numpy(), values, what)
        raise InputTypeError(f"`{what}` must be integer node ids or paths, got a {dtype} Series.")
    if type(values).__module__.split(".")[0] == "pandas" and hasattr(values, "to_numpy"):
        kind = getattr(getattr(values, "dtype", None), "kind", "O")
        if kind in "iuf":  # numpy or nullable numeric dtypes
            numbers = values.to_numpy(dtype=np.float64, na_value=np.nan)
            return ids_from_numbers(tree, numbers, numbers, what)
        values = values.tolist()
    if isinstance(values, str | tuple):
        return np.atleast_1d(find_paths(tree, paths_to_list_series([values], sep, what), sep, what))
    if isinstance(values, bool | np.bool_):
        raise InputTypeError(f"`{what}` must be node ids or paths, got the boolean {values!r}.")
    if isinstance(values, int | np.integer):
        return np.atleast_1d(tree._nodes(values, what))
    if isinstance(values, float | np.floating):
        return ids_from_numbers(tree, np.array([values], dtype=float), [values], what)
    if isinstance(values, np.ndarray):
        if values.ndim == 0:
            return to_node_ids(tree, values.item(), sep, what)
        if values.dtype.kind in "iu":
            return np.atleast_1d(tree._nodes(values.ravel(), what))
        if values.dtype.kind == "f":
            return ids_from_numbers(tree, values.ravel(), values.ravel(), what)
        if values.dtype.kind in "OUS":
            values = values.tolist()
        else:
            raise InputTypeError(
                f"`{what}` must be integer node ids or paths, got an array of dtype {values.dtype}."
            )
    if isinstance(values, set | frozenset):
        raise InputTypeError(
            f"`{what}` is a set: a set is a multi-label sample, not a list of nodes; give a "
            "list (one node id or path per sample)."
        )
    if isinstance(values, Mapping) or not isinstance(values, Iterable):
        raise InputTypeError(
            f"`{what}` must be integer node ids or root-to-node paths (str with {sep!r}, or "
            f"label sequences), got {describe(values)}."
        )
    items = list(values)
    if not items:
        return np.empty(0, dtype=np.int64)
    types = set(map(type, items))
    if types <= {str, tuple}:  # the common cases, without a look at every item
        return find_paths(tree, paths_to_list_series(items, sep, what), sep, what)
    if all(issubclass(t, int | np.integer) and not issubclass(t, bool | np.bool_) for t in types):
        return tree._nodes(np.asarray(items, dtype=np.int64), what)
    kinds = np.array([value_kind(x) for x in items], dtype=object)
    found = set(kinds.tolist())
    if "missing" in found:
        rows = np.flatnonzero(kinds == "missing")
        raise missing_ids(what, rows)
    if found <= {"id"}:
        return tree._nodes(np.asarray(items, dtype=np.int64), what)
    if found <= {"id", "float"}:
        numbers = np.asarray(items, dtype=np.float64)
        return ids_from_numbers(tree, numbers, items, what)
    if found <= {"path"}:
        return find_paths(tree, paths_to_list_series(items, sep, what), sep, what)
    wrong = [k for k in found if k not in ("id", "float", "path")]
    if wrong:
        rows = np.flatnonzero(np.isin(kinds, wrong))
        hint = (
            " A set is a multi-label sample; functions that take one node per sample need "
            "one id or path each."
            if "set" in wrong
            else ""
        )
        raise InputTypeError(
            f"`{what}` must hold node ids or paths; row(s) {format_items(rows.tolist())} hold "
            f"{format_items(sorted({type(items[i]).__name__ for i in rows}))}.{hint}"
        )
    ids = np.flatnonzero(np.isin(kinds, ["id", "float"]))
    paths = np.flatnonzero(kinds == "path")
    raise InputTypeError(
        f"`{what}` mixes node ids (row(s) {format_items(ids.tolist(), 4)}, e.g. {items[ids[0]]!r}) "
        f"and paths (row(s) {format_items(paths.tolist(), 4)}, e.g. {items[paths[0]]!r}). Give "
        "all as ids or all as paths: Tree.node_ids converts either."
    )


def value_kind(value: Any) -> str:
    if isinstance(value, bool | np.bool_):
        return "bool"
    if isinstance(value, int | np.integer):
        return "id"
    if isinstance(value, float | np.floating):
        return "missing" if value != value else "float"
    if isinstance(value, str | tuple | list | np.ndarray):
        return "path"
    if isinstance(value, set | frozenset):
        return "set"
    if is_missing(value):
        return "missing"
    return type(value).__name__


def missing_ids(what: str, rows: np.ndarray) -> Exception:
    from hierlab.errors import MissingValueError

    return MissingValueError(
        f"`{what}` is null or NaN in {len(rows)} row(s): {format_items(rows.tolist())}. Drop "
        "those rows or give a node id or path for each."
    )


def ids_from_numbers(tree: Tree, numbers: np.ndarray, original: Any, what: str) -> np.ndarray:
    """Float (or nullable) node ids -> int ids: NaN refused, whole numbers only."""
    numbers = np.asarray(numbers, dtype=np.float64).ravel()
    nan = np.isnan(numbers)
    if nan.any():
        raise missing_ids(what, np.flatnonzero(nan))
    fractional = np.flatnonzero(~np.isfinite(numbers) | (numbers != np.round(numbers)))
    if len(fractional):
        raise InvalidValueError(
            f"`{what}` must be whole-number node ids; row(s) {format_items(fractional.tolist())} "
            f"hold {format_items(numbers[fractional].tolist())}."
        )
    return tree._nodes(numbers.astype(np.int64), what)


def find_paths(tree: Tree, series: pl.Series, sep: str, what: str) -> np.ndarray:
    ids = tree._find_ids(series)
    missing = np.flatnonzero(ids < 0)
    if len(missing):
        shown = [join_path(p, sep=sep) for p in series.gather(missing[:5]).to_list()]
        raise UnknownNodeError(
            f"`{what}` holds {len(missing)} path(s) that are not in the tree, at row(s) "
            f"{format_items(missing.tolist(), 5)}: {format_items(shown, 5)}. Paths list labels "
            f"from the root down (root {tree.label[0]!r}), separated by {sep!r} (a backslash "
            "escapes a separator inside a label); see Tree.paths() for the valid ones."
        )
    return ids


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
