"""Comparing two trees over the same labels: edges, ancestry, levels, distances.

Trees are matched **by label** (``match="label"``: each label names one node, as in term
taxonomies; duplicate labels are an error) or **by path** (``match="path"``: root-to-node
paths, for trees that share their upper structure). The root is left out of edges and
ancestor pairs.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from hierlab.errors import AmbiguousLabelError, InputShapeError, format_items
from hierlab.tree import Tree

__all__ = [
    "ancestor_prf",
    "compare_trees",
    "edge_prf",
    "edge_table",
    "fowlkes_mallows_by_level",
    "tree_distance_correlation",
    "tree_edit_distance",
]


def _names(tree: Tree, match: str) -> list[str]:
    if match == "path":
        return tree.paths(sep=" / ")
    labels = tree.label.tolist()
    dup = pl.Series(labels).value_counts().filter(pl.col("count") > 1)
    if dup.height:
        raise AmbiguousLabelError(
            f"match='label' needs unique labels; repeated: {format_items(dup[:, 0].to_list())}. "
            "Use match='path'."
        )
    return labels


def _edges(tree: Tree, match: str) -> set[tuple[str, str]]:
    names = _names(tree, match)
    return {
        (names[tree.parent[v]], names[v]) for v in range(1, tree.n_nodes) if tree.parent[v] != 0
    }


def _ancestor_pairs(tree: Tree, match: str) -> set[tuple[str, str]]:
    names = _names(tree, match)
    anc = tree.ancestors(np.arange(tree.n_nodes))
    return {(names[a], names[v]) for v in range(tree.n_nodes) for a in anc[v] if a > 0}


def _prf(pred: set, gold: set) -> dict[str, float]:
    both = len(pred & gold)
    p = both / len(pred) if pred else 0.0
    r = both / len(gold) if gold else 0.0
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0}


def edge_prf(pred: Tree, gold: Tree, match: str = "label") -> dict[str, float]:
    """Precision, recall and F1 of parent-child edges (edges from the root excluded).

    Examples
    --------
    >>> gold = Tree.from_paths(["food/fruit/apple", "food/fruit/pear"])
    >>> pred = Tree.from_paths(["food/fruit/apple", "food/pear"])
    >>> edge_prf(pred, gold)["recall"]
    0.5
    """
    return _prf(_edges(pred, match), _edges(gold, match))


def ancestor_prf(pred: Tree, gold: Tree, match: str = "label") -> dict[str, float]:
    """Precision, recall and F1 of ancestor-descendant pairs (the transitive closure),
    which credits a term placed under the right grandparent.

    Examples
    --------
    >>> gold = Tree.from_paths(["food/fruit/apple", "food/fruit/pear"])
    >>> pred = Tree.from_paths(["food/fruit/apple", "food/pear"])
    >>> ancestor_prf(pred, gold)["precision"]
    1.0
    """
    return _prf(_ancestor_pairs(pred, match), _ancestor_pairs(gold, match))


def _leaf_names(tree: Tree) -> dict[str, int]:
    leaves = tree.leaves()
    names = tree.label[leaves].tolist()
    dup = pl.Series(names).value_counts().filter(pl.col("count") > 1)
    if dup.height:
        raise AmbiguousLabelError(
            f"Leaf labels must be unique to pair the trees' leaves; repeated: "
            f"{format_items(dup[:, 0].to_list())}."
        )
    return dict(zip(names, leaves.tolist(), strict=True))


def _common_leaves(a: Tree, b: Tree, match: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Leaves of both trees, paired by leaf label (internal labels may repeat)."""
    del match  # leaves are always paired by their labels
    la_map, lb_map = _leaf_names(a), _leaf_names(b)
    common = [n for n in la_map if n in lb_map]
    na = common
    leaves = [la_map[n] for n in common]
    if len(leaves) < 2:
        raise InputShapeError("The trees share fewer than two leaves; nothing to compare.")
    la = np.asarray(leaves, dtype=np.int64)
    lb = np.asarray([lb_map[n] for n in na], dtype=np.int64)
    return la, lb, na


def _fm(x: np.ndarray, y: np.ndarray) -> float:
    table = pl.DataFrame({"x": x, "y": y}).group_by("x", "y").len()["len"].to_numpy().astype(float)
    rows = pl.DataFrame({"x": x}).group_by("x").len()["len"].to_numpy().astype(float)
    cols = pl.DataFrame({"y": y}).group_by("y").len()["len"].to_numpy().astype(float)
    tk = (table * (table - 1)).sum() / 2
    pk = (rows * (rows - 1)).sum() / 2
    qk = (cols * (cols - 1)).sum() / 2
    return float(tk / np.sqrt(pk * qk)) if pk > 0 and qk > 0 else 0.0


def fowlkes_mallows_by_level(pred: Tree, gold: Tree, match: str = "label") -> pl.DataFrame:
    """Fowlkes-Mallows index of the two trees' partitions of their common leaves at each depth.

    At depth d each leaf belongs to its ancestor at d (or itself, if shallower); FM is 1 when
    the two partitions agree.

    Examples
    --------
    >>> t = Tree.from_paths(["r/a/x", "r/a/y", "r/b/z"])
    >>> fowlkes_mallows_by_level(t, t)["fm"].to_list()  # depth 1 (depth 2 holds only leaves)
    [1.0]
    """
    la, lb, _ = _common_leaves(pred, gold, match)
    rows = []
    for d in range(1, max(pred.max_depth, gold.max_depth)):
        pa = pred.ancestor_at(la, np.minimum(d, pred.depth[la]))
        pb = gold.ancestor_at(lb, np.minimum(d, gold.depth[lb]))
        rows.append((d, _fm(pa, pb)))
    return pl.DataFrame(rows, schema=["depth", "fm"], orient="row")


def tree_distance_correlation(
    pred: Tree, gold: Tree, match: str = "label", max_pairs: int = 200_000, seed: int = 0
) -> float:
    """CPCC between two trees: Pearson correlation of the tree distance between pairs of
    common leaves in one tree and in the other (a random sample of pairs when many).

    Examples
    --------
    >>> t = Tree.from_paths(["r/a/x", "r/a/y", "r/b/z"])
    >>> tree_distance_correlation(t, t)
    1.0
    """
    la, lb, _ = _common_leaves(pred, gold, match)
    n = len(la)
    if n * (n - 1) // 2 <= max_pairs:
        i, j = np.triu_indices(n, k=1)
    else:
        rng = np.random.default_rng(seed)
        i, j = rng.integers(0, n, max_pairs), rng.integers(0, n, max_pairs)
        keep = i != j
        i, j = i[keep], j[keep]
    da = pred.distance(la[i], la[j]).astype(float)
    db = gold.distance(lb[i], lb[j]).astype(float)
    return float(np.round(np.corrcoef(da, db)[0, 1], 12))


def edge_table(pred: Tree, gold: Tree, match: str = "label") -> pl.DataFrame:
    """Every edge of either tree with its status: ``shared``, ``missing`` (gold only),
    ``extra`` (predicted only) or ``moved`` (the child is in both trees, under different
    parents: listed once, with both parents).

    Returns
    -------
    polars.DataFrame
        ``child, gold_parent, pred_parent, status, depth`` (depth of the child in gold, or in
        the prediction for extra edges).

    Examples
    --------
    >>> gold = Tree.from_paths(["food/fruit/apple", "food/fruit/pear"])
    >>> pred = Tree.from_paths(["food/fruit/apple", "food/pear"])
    >>> edge_table(pred, gold).select("child", "status").rows()
    [('fruit', 'shared'), ('apple', 'shared'), ('pear', 'moved')]
    """
    ng, npred = _names(gold, match), _names(pred, match)
    gp = {ng[v]: (ng[gold.parent[v]], int(gold.depth[v])) for v in range(1, gold.n_nodes)}
    pp = {npred[v]: (npred[pred.parent[v]], int(pred.depth[v])) for v in range(1, pred.n_nodes)}
    rows = []
    for child, (parent, depth) in gp.items():
        if child not in pp:
            rows.append((child, parent, None, "missing", depth))
        elif pp[child][0] == parent:
            rows.append((child, parent, parent, "shared", depth))
        else:
            rows.append((child, parent, pp[child][0], "moved", depth))
    for child, (parent, depth) in pp.items():
        if child not in gp:
            rows.append((child, None, parent, "extra", depth))
    return pl.DataFrame(
        rows,
        schema={
            "child": pl.String,
            "gold_parent": pl.String,
            "pred_parent": pl.String,
            "status": pl.String,
            "depth": pl.Int64,
        },
        orient="row",
    )


def tree_edit_distance(a: Tree, b: Tree) -> int:
    """Unit-cost tree edit distance (APTED; needs the optional ``apted`` package), for small
    trees (it is cubic in the number of nodes).

    Examples
    --------
    >>> tree_edit_distance(Tree.from_paths(["r/a", "r/b"]), Tree.from_paths(["r/a", "r/c"]))
    1
    """
    try:
        from apted import APTED
        from apted.helpers import Tree as AptedTree
    except ImportError as err:
        raise ImportError(
            "tree_edit_distance needs the optional 'apted' package: pip install apted"
        ) from err

    def bracket(tree: Tree) -> str:
        parts = []
        stack = [(0, False)]
        while stack:  # iterative preorder with closing brackets
            v, closing = stack.pop()
            if closing:
                parts.append("}")
                continue
            label = str(tree.label[v]).replace("{", "(").replace("}", ")")
            parts.append("{" + label)
            stack.append((v, True))
            stack.extend((int(c), False) for c in reversed(tree.children(v)))
        return "".join(parts)

    return int(
        APTED(
            AptedTree.from_text(bracket(a)), AptedTree.from_text(bracket(b))
        ).compute_edit_distance()
    )


def compare_trees(pred: Tree, gold: Tree, match: str = "label") -> dict[str, Any]:
    """All comparisons at once: edge and ancestor P/R/F1, CPCC, FM by level, edge table.

    Examples
    --------
    >>> t = Tree.from_paths(["r/a/x", "r/a/y", "r/b/z"])
    >>> compare_trees(t, t)["edge"]["f1"]
    1.0
    """
    return {
        "edge": edge_prf(pred, gold, match),
        "ancestor": ancestor_prf(pred, gold, match),
        "cpcc": tree_distance_correlation(pred, gold, match),
        "fowlkes_mallows": fowlkes_mallows_by_level(pred, gold, match),
        "edges": edge_table(pred, gold, match),
    }
