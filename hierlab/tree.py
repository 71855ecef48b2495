r"""The Tree: an immutable rooted tree with vectorised queries.

Nodes are the integers ``0 .. n-1`` in **depth-first preorder** (children in the order they
first appear in the input), so the root is always node ``0`` and the subtree of ``v`` is the
contiguous id range ``v .. v + size[v] - 1``. That single convention gives:

* ``is_ancestor`` as an interval test (the Euler-tour interval of a node is its preorder
  range);
* ``descendants`` as an ``arange``;
* ``lca`` as a range-minimum query over the preorder depths: O(1) per query, vectorised
  over arrays of queries, in linear memory and with no recursion anywhere.

**Paths.** A node's identity is its **root-to-node path** of labels, never its bare label:
``Paris`` under France and ``Paris`` under Texas are two nodes. The canonical form of a
path is a sequence (tuple) of labels, and a label may hold any text, the separator
included. Paths may also be written as strings joined by ``sep`` (default ``"/"``) with
one escape rule: **a backslash makes the next character literal** (it must be a
backslash or a character of the separator), so ``"Top\/Features"`` is the single label
``Top/Features`` and ``"a\\b"`` is ``a\b``. :meth:`Tree.paths` writes strings with the
same escapes, so ``Tree.from_paths(t.paths(sep="/"))`` and ``t.find(t.paths(sep="/"))``
give back every tree and node; :func:`join_path` and :func:`split_path` convert one path.
Internally paths are integer-coded label sequences (a hash per node, verified label by
label), so no label content can collide with another path.

**Scale.** Building, querying, finding and exporting take time O(n log n) and memory
linear in the tree and the output: no n x depth matrix is materialised and nothing loops
over depths or recurses, so a chain of 1,000,000 levels works. Outputs that are
inherently quadratic (the paths of every node of a very deep tree) are refused above
:data:`MAX_PATH_LABELS` labels with an :class:`~hierlab.errors.OutputTooLargeError` that
names the size and a cheaper alternative.

**Labels** are text. Numbers are accepted and turned into text, but one input may not mix
types (the integer ``1`` and the text ``"1"`` would become one label), and null, NaN and
empty labels are refused; errors name the rows or nodes.

Examples
--------
>>> from hierlab import Tree
>>> t = Tree.from_paths(["Europe/France/Paris", "Americas/USA/Texas/Paris"], root="World")
>>> t
Tree(n_nodes=8, max_depth=4, n_leaves=2, root='World')
>>> a, b = t.find(["World/Europe/France/Paris", "World/Americas/USA/Texas/Paris"])
>>> int(t.distance(a, b)), t.label[t.lca(a, b)]
(7, 'World')
>>> u = Tree.from_paths([("Top", "Features/Books")])  # a label holding the separator
>>> u.paths(sep="/")
['Top', 'Top/Features\\/Books']
>>> u.find("Top/Features\\/Books")
1
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import cached_property
from itertools import chain, islice
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import polars as pl

from hierlab._tables import as_float_array, as_polars, is_missing, require_columns, text_labels
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
    OutputTooLargeError,
    UnknownNodeError,
    UnknownParentError,
    format_items,
)

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["MAX_PATH_LABELS", "Tree", "as_tree", "join_path", "split_path"]

#: The most labels one path output may hold (every node's path, the ``path`` column of
#: :meth:`Tree.to_polars`, an ancestor matrix): about 0.5 GB of labels. Larger outputs
#: raise :class:`~hierlab.errors.OutputTooLargeError`.
MAX_PATH_LABELS = 2**25

ESCAPE = "\\"

PathLike = str | Sequence[str]
NodeIds = int | Sequence[int] | np.ndarray

# polynomial hashing of label-code sequences, modulo 2**64 (numpy's uint64 arithmetic
# wraps); every hash match is verified label by label, so collisions cost speed, never
# correctness
_HASH_BASE = np.uint64(0x9E3779B97F4A7C15)


def _inverse_mod_2_64(odd: np.uint64) -> np.uint64:
    """Return the inverse of an odd number modulo 2**64 (Newton's iteration)."""
    x = np.array([1], dtype=np.uint64)
    b = np.array([odd], dtype=np.uint64)
    for _ in range(7):
        x = x * (np.uint64(2) - b * x)
    return x[0]


_HASH_BASE_INV = _inverse_mod_2_64(_HASH_BASE)


def _powers(base: np.uint64, count: int) -> np.ndarray:
    """Return ``base ** 0 .. base ** (count - 1)`` modulo 2**64."""
    out = np.full(max(count, 1), base, dtype=np.uint64)
    out[0] = 1
    return np.cumprod(out)


# =========================================================================== path strings


def _check_sep(sep: Any) -> str:
    if not isinstance(sep, str) or not sep:
        raise InvalidValueError(
            f"`sep` must be a non-empty string to split or join string paths, got {_describe(sep)}."
        )
    if ESCAPE in sep:
        raise InvalidValueError(
            f"`sep` must not contain a backslash, hierlab's escape character; got {sep!r}."
        )
    return sep


def _free_chars(strings: pl.Series, count: int) -> list[str]:
    """``count`` private-use characters that occur in none of ``strings`` (placeholders)."""
    out: list[str] = []
    for code in range(0xE000, 0xF900):
        ch = chr(code)
        if not strings.str.contains(ch, literal=True).any():
            out.append(ch)
            if len(out) == count:
                return out
    raise InvalidValueError(  # needs 6,400 distinct private-use characters in the input
        "The paths use every private-use Unicode character; hierlab cannot parse their escapes."
    )


def _split_strings(strings: pl.Series, sep: str) -> pl.Series:
    """Split string paths into label lists: escapes resolved, one outer ``sep`` dropped."""
    if not strings.str.contains(ESCAPE, literal=True).fill_null(False).any():
        out = strings.str.strip_prefix(sep).str.strip_suffix(sep).str.split(sep)
        return out.cast(pl.List(pl.String))
    escaped_chars = sorted(set(sep))
    holders = _free_chars(strings, len(escaped_chars) + 1)
    text = strings.str.replace_all(ESCAPE * 2, holders[0], literal=True)
    for ch, holder in zip(escaped_chars, holders[1:], strict=True):
        text = text.str.replace_all(ESCAPE + ch, holder, literal=True)
    lone = text.str.contains(ESCAPE, literal=True).fill_null(False)
    if lone.any():
        rows = np.flatnonzero(lone.to_numpy())
        shown = strings.gather(rows[:3]).to_list()
        raise InvalidValueError(
            f"{len(rows)} string path(s) hold a backslash that escapes nothing, at row(s) "
            f"{format_items(rows.tolist())} (e.g. {format_items(shown, 3)}). In a string path "
            f"a backslash escapes a backslash or the separator {sep!r}: write a literal "
            "backslash as two backslashes, or give the path as a tuple of labels."
        )
    parts = text.str.strip_prefix(sep).str.strip_suffix(sep).str.split(sep)
    element = pl.element()
    for ch, holder in zip(escaped_chars, holders[1:], strict=True):
        element = element.str.replace_all(holder, ch, literal=True)
    element = element.str.replace_all(holders[0], ESCAPE, literal=True)
    return parts.list.eval(element).cast(pl.List(pl.String))


def _escape_one(label: str, sep: str) -> str:
    """Escape one label: backslashes, and every character where a separator match could start."""
    out = []
    for k, ch in enumerate(label):
        if ch == ESCAPE:
            out.append(ESCAPE * 2)
        elif label.startswith(sep, k) or sep.startswith(label[k:]):
            out.append(ESCAPE + ch)
        else:
            out.append(ch)
    return "".join(out)


def _escape_labels(labels: pl.Series, sep: str) -> pl.Series:
    """Escape labels so that joining them with ``sep`` can be split back unambiguously."""
    out = labels.str.replace_all(ESCAPE, ESCAPE * 2, literal=True)
    if len(sep) == 1:
        return out.str.replace_all(sep, ESCAPE + sep, literal=True)
    # a multi-character separator can also start inside a label and end in the separator
    risky = labels.str.contains(sep, literal=True)
    for j in range(1, len(sep)):
        risky = risky | labels.str.ends_with(sep[:j])
    if risky.any():
        rows = np.flatnonzero(risky.to_numpy())
        fixed = [_escape_one(x, sep) for x in labels.gather(rows).to_list()]  # the few risky
        out = out.scatter(rows, fixed)
    return out


def join_path(labels: Sequence[str], *, sep: str = "/") -> str:
    r"""Write a path (a sequence of labels, root first) as one string, escaping as needed.

    A backslash is written before every backslash and every separator that occurs inside
    a label, so :func:`split_path` (and every hierlab function that reads string paths)
    gives the labels back exactly.

    Parameters
    ----------
    labels : sequence of str
        The path's labels, root first.
    sep : str, default "/"
        The separator (it may not contain a backslash).

    Returns
    -------
    str

    Examples
    --------
    >>> join_path(["Top", "Features/Books", "C:\\temp"])
    'Top/Features\\/Books/C:\\\\temp'
    >>> split_path(join_path(["Top", "Features/Books"]))
    ('Top', 'Features/Books')
    """
    sep = _check_sep(sep)
    if isinstance(labels, str) or not isinstance(labels, Sequence | np.ndarray | pl.Series):
        raise InputTypeError(
            f"`labels` must be a sequence of label strings (one path), got {_describe(labels)}."
        )
    items = list(labels)
    if not items:
        raise NullLabelError("`labels` is empty: a path has at least one label.")
    text = text_labels(items, lambda pos: f"position(s) {format_items(pos)}")
    return sep.join(_escape_labels(pl.Series(text, dtype=pl.String), sep).to_list())


def split_path(path: str, *, sep: str = "/") -> tuple[str, ...]:
    r"""Split a string path into its labels, resolving backslash escapes.

    ``\`` followed by a backslash or a separator character stands for that character;
    one leading or trailing separator is ignored.

    Parameters
    ----------
    path : str
        The path, labels joined by ``sep``.
    sep : str, default "/"
        The separator (it may not contain a backslash).

    Returns
    -------
    tuple of str
        The labels, root first.

    Examples
    --------
    >>> split_path("Top/Features\\/Books")
    ('Top', 'Features/Books')
    >>> split_path("Europe > France", sep=" > ")
    ('Europe', 'France')
    """
    if not isinstance(path, str):
        raise InputTypeError(f"`path` must be a string, got {_describe(path)}.")
    series = _paths_to_list_series([path], sep)
    return tuple(series[0].to_list())


# =========================================================================== labels


def _where_rows(pos: list[int]) -> str:
    return f"row(s) {format_items(pos)}"


# =========================================================================== structure


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


def _list_suffix_sums(succ: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """For a linked list (``succ``, -1 ends it), the sum of ``weight`` from each element on.

    List ranking by pointer jumping: O(N log N) time, O(N) memory, vectorised.
    """
    total = weight.astype(np.int64)
    nxt = succ.copy()
    while True:
        active = np.flatnonzero(nxt >= 0)
        if len(active) == 0:
            return total
        ahead = nxt[active]
        add, jump = total[ahead], nxt[ahead]  # read before writing: synchronous rounds
        total[active] += add
        nxt[active] = jump


def _preorder(parent: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Preorder numbering and subtree sizes of a validated single-root tree in any order.

    Siblings keep the order of their current ids. The Euler tour (enter and exit of every
    node) is a linked list built from first-child and next-sibling links; ranking it by
    pointer jumping gives each node's preorder id and subtree size without a loop over
    depths or nodes. Returns ``(pre, size)`` indexed by the current ids.
    """
    n = len(parent)
    ids = np.arange(n, dtype=np.int64)
    non_root = np.flatnonzero(parent >= 0)
    kids = non_root[np.argsort(parent[non_root], kind="stable")]
    group = parent[kids]
    starts = np.ones(len(kids), dtype=bool)
    starts[1:] = group[1:] != group[:-1]
    first_child = np.full(n, -1, dtype=np.int64)
    first_child[group[starts]] = kids[starts]
    next_sibling = np.full(n, -1, dtype=np.int64)
    follows = np.flatnonzero(~starts)
    next_sibling[kids[follows - 1]] = kids[follows]
    succ = np.empty(2 * n, dtype=np.int64)  # enter(v) = v, exit(v) = n + v
    succ[:n] = np.where(first_child >= 0, first_child, ids + n)
    succ[n:] = np.where(next_sibling >= 0, next_sibling, np.where(parent >= 0, parent + n, -1))
    weight = np.zeros(2 * n, dtype=np.int64)
    weight[:n] = 1  # count the enters
    after = _list_suffix_sums(succ, weight)
    return n - after[:n], after[:n] - after[n:]


def _list_series(values: pl.Series, counts: np.ndarray) -> pl.Series:
    """Cut ``values`` into a list Series whose row i holds the next ``counts[i]`` values."""
    import pyarrow as pa

    offsets = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    array = pa.LargeListArray.from_arrays(pa.array(offsets, pa.int64()), values.to_arrow())
    return pl.Series(values.name, pl.from_arrow(array)).cast(pl.List(values.dtype))


_BLOCK = 32  # positions per block of the range-minimum structure
_DENSE_RMQ_NODES = 2**17  # up to here a dense sparse table (at most 9 MB) answers LCAs


def _lowest_bit(mask: np.ndarray) -> np.ndarray:
    """Return the index of the lowest set bit of each (non-zero) uint64."""
    return np.bitwise_count(mask ^ (mask - np.uint64(1))).astype(np.int64) - 1


def _too_large(count: int, what: str, fix: str) -> OutputTooLargeError:
    return OutputTooLargeError(
        f"{what} would hold {count:,} labels, more than hierlab builds at once "
        f"(MAX_PATH_LABELS = {MAX_PATH_LABELS:,}): paths are quadratic in the depth of a "
        f"deep tree. {fix}"
    )


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
        pre, size = _preorder(parent)
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
        series = _paths_to_list_series(paths, sep)
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
    ) -> Tree:
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
        hashes = _prefix_hashes(codes, starts, lengths, position)
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
    ) -> Tree:
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
    ) -> Tree:
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
    ) -> Tree:
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
        cols = frame.select([_as_label_text(frame[c]).alias(c) for c in levels])
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
        frame = _edges_frame(edges, child, parent, label)
        if frame.height == 0:
            raise EmptyInputError("The edge list is empty: give at least one (child, parent).")
        null_child = frame["child"].is_null()
        if null_child.any():
            rows = np.flatnonzero(null_child.to_numpy())
            raise NullLabelError(
                f"{len(rows)} edge(s) have a null child, at row(s) {format_items(rows.tolist())}."
            )
        if "label" in frame.columns:
            text_labels(frame["label"].to_list(), _where_rows, "label")
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
            text = text_labels(coded["label"].to_list(), _where_rows, "label")
            labels[c] = np.asarray(text, dtype=object)
        if root is not None:  # the synthetic root is appended last; preorder fixes ids
            par = np.append(np.where(par < 0, n, par), -1)
            labels = np.append(labels, np.array([root], dtype=object))
            key_list = [*key_list, root]
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
        top = [nested] if _is_d3_node(nested) else nested
        tops = _nested_children(top, "the top level")
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
            kids = _nested_children(sub, repr(label))
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
    ) -> Tree:
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
        if not isinstance(internal_label, str):
            raise InputTypeError(
                f"`internal_label` must be a format string, got {_describe(internal_label)}."
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
        return _to_node_ids(self, values, sep, what)

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
        n_blocks = -(-n // _BLOCK)
        depth = np.full(n_blocks * _BLOCK, np.iinfo(np.int64).max, dtype=np.int64)
        depth[:n] = self._depth
        depth = depth.reshape(n_blocks, _BLOCK)
        bits = np.left_shift(np.uint64(1), np.arange(_BLOCK, dtype=np.uint64))
        mask = np.empty((n_blocks, _BLOCK), dtype=np.uint64)
        for i in range(_BLOCK):  # positions within a block, vectorised over blocks
            if i == 0:
                mask[:, 0] = bits[0]
                continue
            after = np.minimum.accumulate(depth[:, i:0:-1], axis=1)[:, ::-1]  # min of (j, i]
            below = depth[:, :i] < after
            mask[:, i] = (below.astype(np.uint64) * bits[:i]).sum(axis=1, dtype=np.uint64)
            mask[:, i] |= bits[i]
        mask = mask.ravel()[:n]
        ends = np.minimum(np.arange(1, n_blocks + 1) * _BLOCK, n) - 1
        block_min = (ends // _BLOCK) * _BLOCK + _lowest_bit(mask[ends])
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

        Used up to ``_DENSE_RMQ_NODES`` nodes (a few MB), where it answers in fewer steps
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
        if self.n_nodes <= _DENSE_RMQ_NODES:
            table = self._sparse_table
            k = np.frexp((hi - lo + 1).astype(np.float64))[1] - 1  # floor(log2(length))
            a = table[k, lo]
            b = table[k, hi - (np.int64(1) << k) + 1]
            return np.where(d[a] <= d[b], a, b).astype(np.int64)
        mask, table, log2 = self._range_min
        n = self.n_nodes
        block_lo, block_hi = lo // _BLOCK, hi // _BLOCK
        same = block_lo == block_hi
        # the part of lo's block from lo on (up to hi when both lie in one block)
        end = np.where(same, hi, np.minimum((block_lo + 1) * _BLOCK, n) - 1)
        keep = ~np.uint64(0) << (lo % _BLOCK).astype(np.uint64)
        best = block_lo * _BLOCK + _lowest_bit(mask[end] & keep)
        # the part of hi's block up to hi
        head = block_hi * _BLOCK + _lowest_bit(mask[hi])
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
            raise InputTypeError(f"`depth` must be integer depths, got {_describe(depth)}.")
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
            raise _too_large(
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
            raise _too_large(
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
        codes = _codes(labels)
        table = (
            pl.DataFrame({"label": labels, "code": codes}).unique("code", keep="first").sort("code")
        )
        return codes, table

    @cached_property
    def _hash_index(self) -> tuple[np.ndarray, np.ndarray] | None:
        """Every node's path hash, sorted, with the ids in that order (None on a collision)."""
        codes = self._label_code[0].astype(np.uint64) + np.uint64(1)
        n, depth = self.n_nodes, self._depth
        weight = codes * _powers(_HASH_BASE_INV, self.max_depth + 1)[depth]
        diff = np.zeros(n + 1, dtype=np.uint64)
        diff[:n] = weight
        np.subtract.at(diff, np.arange(n) + self._size, weight)  # Euler-interval path sums
        hashes = np.cumsum(diff[:n]) * _powers(_HASH_BASE, self.max_depth + 1)[depth]
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
            sep = _check_sep(sep)
        counts = self._depth[ids] + 1
        total = int(counts.sum())
        if total > MAX_PATH_LABELS:
            raise _too_large(
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
        escaped = _escape_labels(labels, sep).gather(anc)
        return _list_series(escaped, counts).list.join(sep).to_list()

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
        series = _paths_to_list_series([paths] if single else paths, sep, what="paths")
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
        hashes = _prefix_hashes(safe, starts, lengths, position)[starts + lengths - 1]
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
                f"`labels` must be a label or a sequence of labels, got {_describe(labels)}."
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
            raise InputTypeError(f"`path` must be True or False, got {_describe(path)}.")
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
                raise _too_large(
                    total,
                    f"The path column of this tree ({self.n_nodes:,} nodes, max depth "
                    f"{self.max_depth:,})",
                    "Pass path=False for the node table without it (the parent links "
                    "keep the structure), or use Tree.paths(nodes) for the nodes you need.",
                )
            _, anc = self._pairs(np.arange(self.n_nodes), counts)
            columns["path"] = _list_series(labels.gather(anc).alias("path"), counts)
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


# =========================================================================== input helpers


def _prefix_hashes(
    codes: np.ndarray, starts: np.ndarray, lengths: np.ndarray, position: np.ndarray
) -> np.ndarray:
    """Hash every prefix of every coded path: ``sum_k (c_k + 1) B^(j - k)``, flat.

    Computed as ``B^j * cumsum((c_k + 1) B^-k)`` within each path, modulo 2**64.
    """
    longest = int(lengths.max()) if len(lengths) else 1
    weight = (codes.astype(np.uint64) + np.uint64(1)) * _powers(_HASH_BASE_INV, longest)[position]
    running = np.cumsum(weight)
    before = running[starts] - weight[starts]
    return (running - np.repeat(before, lengths)) * _powers(_HASH_BASE, longest)[position]


_SEQUENCE_TYPES = (list, tuple, np.ndarray)


def _paths_to_list_series(paths: Any, sep: Any, what: str = "paths") -> pl.Series:
    """Normalise paths (strings with ``sep``, sequences, or a Series) to a list[str] Series.

    Null or empty paths, and null, NaN or empty labels, are refused naming the rows;
    labels must be text (numbers become text, but one input may not mix types).
    """
    sep = _check_sep(sep)
    if isinstance(paths, pl.Series):
        dtype = paths.dtype
        if dtype == pl.String:
            series = _strings_to_paths(paths, sep, what)
        elif isinstance(dtype, pl.List) and dtype.inner == pl.String:
            series = paths
        elif isinstance(dtype, pl.List) or dtype == pl.Null:
            series = _items_to_paths(paths.to_list(), sep, what)
        else:
            raise InputTypeError(
                f"`{what}` must hold paths (strings or lists of labels), got a {dtype} Series."
            )
    else:
        if isinstance(paths, str | bytes):
            raise InputTypeError(
                f"`{what}` must be a collection of paths; wrap a single path in a list."
            )
        if type(paths).__module__.split(".")[0] == "pandas" and hasattr(paths, "tolist"):
            paths = paths.tolist()
        if isinstance(paths, np.ndarray):
            paths = paths.tolist()
        if isinstance(paths, Mapping | set | frozenset) or not isinstance(paths, Iterable):
            raise InputTypeError(
                f"`{what}` must be a list, array or Series of paths, got {_describe(paths)}."
            )
        series = _items_to_paths(list(paths), sep, what)
    return _validated_paths(series.alias("path"), what)


def _strings_to_paths(strings: pl.Series, sep: str, what: str) -> pl.Series:
    if strings.null_count():
        rows = np.flatnonzero(strings.is_null().to_numpy())
        raise NullLabelError(
            f"{len(rows)} of the {what} are null, at row(s) {format_items(rows.tolist())}."
        )
    return _split_strings(strings, sep)


def _items_to_paths(items: list[Any], sep: str, what: str) -> pl.Series:
    """Python paths (strings, sequences of labels) -> list[str] Series."""
    types = set(map(type, items))
    if types <= {str}:
        return _strings_to_paths(pl.Series("path", items, dtype=pl.String), sep, what)
    is_str = np.fromiter((isinstance(p, str) for p in items), dtype=bool, count=len(items))
    is_seq = np.fromiter(
        (isinstance(p, _SEQUENCE_TYPES) or isinstance(p, pl.Series) for p in items),
        dtype=bool,
        count=len(items),
    )
    other = np.flatnonzero(~(is_str | is_seq))
    if len(other):
        missing = [i for i in other.tolist() if is_missing(items[i])]
        if missing:
            raise NullLabelError(
                f"{len(missing)} of the {what} are null or NaN, at row(s) "
                f"{format_items(missing)}. Drop them first."
            )
        sets = [i for i in other.tolist() if isinstance(items[i], set | frozenset)]
        hint = (
            " A set has no order, so it is not a path (it is a multi-label sample)." if sets else ""
        )
        raise InputTypeError(
            f"Each of the {what} must be a string or a sequence of labels; row(s) "
            f"{format_items(other.tolist())} hold {format_items(sorted({type(items[i]).__name__ for i in other}))}.{hint}"
        )
    seq_rows = np.flatnonzero(is_seq)
    seqs = [items[i] for i in seq_rows.tolist()]
    if not types <= {tuple, list}:
        seqs = [s.to_list() if isinstance(s, pl.Series | np.ndarray) else s for s in seqs]
    lengths = np.fromiter(map(len, seqs), dtype=np.int64, count=len(seqs))
    flat = list(chain.from_iterable(seqs))  # C-speed flattening; labels checked as one column
    try:
        labels: pl.Series | None = pl.Series("path", flat, dtype=pl.String, strict=True)
    except (TypeError, ValueError, pl.exceptions.PolarsError):
        labels = None  # not all text: check and convert them one by one
    if labels is None or labels.null_count():
        row_of = np.repeat(seq_rows, lengths)
        labels = pl.Series(
            "path",
            text_labels(
                flat,
                lambda pos: f"path row(s) {format_items(sorted(set(row_of[pos].tolist())))}",
            ),
            dtype=pl.String,
        )
    seq_series = _list_series(labels, lengths)
    if not is_str.any():
        return seq_series
    str_rows = np.flatnonzero(is_str)
    strings = pl.Series("path", [items[i] for i in str_rows.tolist()], dtype=pl.String)
    both = pl.concat([_split_strings(strings, sep), seq_series])
    inverse = np.empty(len(items), dtype=np.int64)
    inverse[np.concatenate([str_rows, seq_rows])] = np.arange(len(items))
    return both.gather(inverse)


def _validated_paths(series: pl.Series, what: str) -> pl.Series:
    """Refuse null paths, empty paths and null or empty labels, naming the rows."""
    if series.null_count():
        rows = np.flatnonzero(series.is_null().to_numpy())
        raise NullLabelError(
            f"{len(rows)} of the {what} are null, at row(s) {format_items(rows.tolist())}."
        )
    lengths = series.list.len().to_numpy()
    empty = np.flatnonzero(lengths == 0)
    if len(empty):
        raise NullLabelError(
            f"{len(empty)} of the {what} are empty, at row(s) {format_items(empty.tolist())}. "
            "Remove them or give at least one label per path."
        )
    flat = series.explode()
    bad = (flat.is_null() | (flat == "")).fill_null(True).to_numpy()
    if bad.any():
        row_of = np.repeat(np.arange(len(series)), lengths)
        rows = np.unique(row_of[bad])
        raise NullLabelError(
            f"Null or empty labels in {len(rows)} of the {what}, at row(s) "
            f"{format_items(rows.tolist())}. Every label on a path must be a non-empty "
            "string (check for doubled separators)."
        )
    return series


def _to_node_ids(tree: Tree, values: Any, sep: Any, what: str) -> np.ndarray:
    """Node ids or paths -> validated node ids (see :meth:`Tree.node_ids`)."""
    if not isinstance(what, str):
        raise InputTypeError(f"`what` must be a string, got {_describe(what)}.")
    if isinstance(values, pl.Series):
        dtype = values.dtype
        if dtype == pl.String or isinstance(dtype, pl.List):
            return _find_paths(tree, _paths_to_list_series(values, sep, what), sep, what)
        if dtype.is_numeric() or dtype == pl.Null:
            return _ids_from_numbers(tree, values.cast(pl.Float64).to_numpy(), values, what)
        raise InputTypeError(f"`{what}` must be integer node ids or paths, got a {dtype} Series.")
    if type(values).__module__.split(".")[0] == "pandas" and hasattr(values, "to_numpy"):
        kind = getattr(getattr(values, "dtype", None), "kind", "O")
        if kind in "iuf":  # numpy or nullable numeric dtypes
            numbers = values.to_numpy(dtype=np.float64, na_value=np.nan)
            return _ids_from_numbers(tree, numbers, numbers, what)
        values = values.tolist()
    if isinstance(values, str | tuple):
        return np.atleast_1d(
            _find_paths(tree, _paths_to_list_series([values], sep, what), sep, what)
        )
    if isinstance(values, bool | np.bool_):
        raise InputTypeError(f"`{what}` must be node ids or paths, got the boolean {values!r}.")
    if isinstance(values, int | np.integer):
        return np.atleast_1d(tree._nodes(values, what))
    if isinstance(values, float | np.floating):
        return _ids_from_numbers(tree, np.array([values], dtype=float), [values], what)
    if isinstance(values, np.ndarray):
        if values.ndim == 0:
            return _to_node_ids(tree, values.item(), sep, what)
        if values.dtype.kind in "iu":
            return np.atleast_1d(tree._nodes(values.ravel(), what))
        if values.dtype.kind == "f":
            return _ids_from_numbers(tree, values.ravel(), values.ravel(), what)
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
            f"label sequences), got {_describe(values)}."
        )
    items = list(values)
    if not items:
        return np.empty(0, dtype=np.int64)
    types = set(map(type, items))
    if types <= {str, tuple}:  # the common cases, without a look at every item
        return _find_paths(tree, _paths_to_list_series(items, sep, what), sep, what)
    if all(issubclass(t, int | np.integer) and not issubclass(t, bool | np.bool_) for t in types):
        return tree._nodes(np.asarray(items, dtype=np.int64), what)
    kinds = np.array([_value_kind(x) for x in items], dtype=object)
    found = set(kinds.tolist())
    if "missing" in found:
        rows = np.flatnonzero(kinds == "missing")
        raise _missing_ids(what, rows)
    if found <= {"id"}:
        return tree._nodes(np.asarray(items, dtype=np.int64), what)
    if found <= {"id", "float"}:
        numbers = np.asarray(items, dtype=np.float64)
        return _ids_from_numbers(tree, numbers, items, what)
    if found <= {"path"}:
        return _find_paths(tree, _paths_to_list_series(items, sep, what), sep, what)
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


def _value_kind(value: Any) -> str:
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


def _missing_ids(what: str, rows: np.ndarray) -> Exception:
    from hierlab.errors import MissingValueError

    return MissingValueError(
        f"`{what}` is null or NaN in {len(rows)} row(s): {format_items(rows.tolist())}. Drop "
        "those rows or give a node id or path for each."
    )


def _ids_from_numbers(tree: Tree, numbers: np.ndarray, original: Any, what: str) -> np.ndarray:
    """Float (or nullable) node ids -> int ids: NaN refused, whole numbers only."""
    numbers = np.asarray(numbers, dtype=np.float64).ravel()
    nan = np.isnan(numbers)
    if nan.any():
        raise _missing_ids(what, np.flatnonzero(nan))
    fractional = np.flatnonzero(~np.isfinite(numbers) | (numbers != np.round(numbers)))
    if len(fractional):
        raise InvalidValueError(
            f"`{what}` must be whole-number node ids; row(s) {format_items(fractional.tolist())} "
            f"hold {format_items(numbers[fractional].tolist())}."
        )
    return tree._nodes(numbers.astype(np.int64), what)


def _find_paths(tree: Tree, series: pl.Series, sep: str, what: str) -> np.ndarray:
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


def _as_label_text(column: pl.Series) -> pl.Series:
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


def _key_column(column: pl.Series, what: str) -> pl.Series:
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


def _edges_frame(edges: Any, child: str, parent: str, label: str | None) -> pl.DataFrame:
    """Normalise an edge table or pairs to columns child, parent (and label)."""
    if isinstance(edges, pl.DataFrame | pl.LazyFrame | Mapping) or (
        type(edges).__module__.split(".")[0] == "pandas"
    ):
        frame = as_polars(edges, "The edge table")
        for name, value in (("child", child), ("parent", parent), ("label", label)):
            if value is not None and not isinstance(value, str):
                raise InputTypeError(f"`{name}` must be a column name, got {_describe(value)}.")
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
        _key_column(frame["child"], "child"), _key_column(frame["parent"], "parent")
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


def _is_d3_node(obj: Any) -> bool:
    return isinstance(obj, Mapping) and isinstance(obj.get("name"), str)


def _nested_children(obj: Any, where: str) -> list[tuple[Any, Any, int | None]]:
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
            if _is_d3_node(item):
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


def _describe(value: Any) -> str:
    """Describe a wrong argument for an error message: its type (and short value)."""
    if isinstance(value, str | int | float | bool) or value is None:
        return f"{type(value).__name__} {value!r}"
    return type(value).__name__


def _codes(labels: pl.Series) -> np.ndarray:
    """Dense integer codes of labels (equal labels, equal codes), int64 from 0."""
    return labels.rank("dense").to_numpy().astype(np.int64) - 1


def _check_sibling_labels(parent: np.ndarray, labels: np.ndarray) -> None:
    """Two children of one parent with the same label would share a path: an error."""
    if len(parent) < 3:  # no two siblings
        return
    codes = _codes(pl.Series("label", labels.tolist(), dtype=pl.String))
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
