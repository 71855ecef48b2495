"""Array algorithms behind the Tree: depths and cycles, preorder, range-minimum blocks."""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from hierlab.errors import (
    OutputTooLargeError,
    format_items,
)

#: The most labels one path output may hold (every node's path, the ``path`` column of
#: :meth:`Tree.to_polars`, an ancestor matrix): about 0.5 GB of labels. Larger outputs
#: raise :class:`~hierlab.errors.OutputTooLargeError`.
MAX_PATH_LABELS = 2**25


def where_rows(pos: list[int]) -> str:
    return f"row(s) {format_items(pos)}"


def depths_or_cycles(parent: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
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


def cycle_from(start: int, parent: np.ndarray) -> list[int]:
    """Walk parent links from ``start`` (which cannot reach a root) until a node repeats."""
    seen: dict[int, int] = {}
    path: list[int] = []
    v = start
    while v not in seen:  # error path only; bounded by the number of nodes
        seen[v] = len(path)
        path.append(v)
        v = int(parent[v])
    return path[seen[v] :]


def list_suffix_sums(succ: np.ndarray, weight: np.ndarray) -> np.ndarray:
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


def preorder_order(parent: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
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
    after = list_suffix_sums(succ, weight)
    return n - after[:n], after[:n] - after[n:]


def list_series(values: pl.Series, counts: np.ndarray) -> pl.Series:
    """Cut ``values`` into a list Series whose row i holds the next ``counts[i]`` values."""
    import pyarrow as pa

    offsets = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    array = pa.LargeListArray.from_arrays(pa.array(offsets, pa.int64()), values.to_arrow())
    return pl.Series(values.name, pl.from_arrow(array)).cast(pl.List(values.dtype))


BLOCK = 32  # positions per block of the range-minimum structure


DENSE_RMQ_NODES = 2**17  # up to here a dense sparse table (at most 9 MB) answers LCAs


def lowest_bit(mask: np.ndarray) -> np.ndarray:
    """Return the index of the lowest set bit of each (non-zero) uint64."""
    return np.bitwise_count(mask ^ (mask - np.uint64(1))).astype(np.int64) - 1


def too_large(count: int, what: str, fix: str) -> OutputTooLargeError:
    return OutputTooLargeError(
        f"{what} would hold {count:,} labels, more than hierlab builds at once "
        f"(MAX_PATH_LABELS = {MAX_PATH_LABELS:,}): paths are quadratic in the depth of a "
        f"deep tree. {fix}"
    )


def describe(value: Any) -> str:
    """Describe a wrong argument for an error message: its type (and short value)."""
    if isinstance(value, str | int | float | bool) or value is None:
        return f"{type(value).__name__} {value!r}"
    return type(value).__name__
