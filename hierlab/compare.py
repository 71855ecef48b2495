"""Comparing two trees over the same labels: edges, ancestry, depths, distances.

Every function takes the gold-standard tree first (``reference``) and the tree being
evaluated second (``candidate``): precision is the share of the candidate's edges (or
ancestor pairs) that the reference has, recall the share of the reference's that the
candidate has.

Nodes are matched **by label** (``match="label"``: each label names one node, as in term
taxonomies; duplicate labels are an error) or **by path** (``match="path"``: root-to-node
paths, for trees that share their upper structure). The root is left out of edges and
ancestor pairs. Leaf-based comparisons (Fowlkes-Mallows, distance correlation) always
pair the two trees' leaves by label, since built trees name their internal nodes
arbitrarily.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from hierlab.errors import (
    AmbiguousLabelError,
    InputShapeError,
    InvalidValueError,
    MissingDependencyError,
    format_items,
)
from hierlab.results import Result, Summary
from hierlab.stats import pearson
from hierlab.tree import Tree, as_tree

__all__ = [
    "TreeComparison",
    "ancestor_prf",
    "compare_trees",
    "edge_prf",
    "edge_table",
    "fowlkes_mallows_by_level",
    "tree_distance_correlation",
    "tree_edit_distance",
]


def _trees(reference: Any, candidate: Any) -> tuple[Tree, Tree]:
    return as_tree(reference, "reference"), as_tree(candidate, "candidate")


def _names(tree: Tree, match: str, what: str) -> pl.Series:
    """One name per node (its label or its path), checked to identify the node."""
    if match == "path":
        return pl.Series("name", tree.paths(sep=" / "), dtype=pl.String)
    if match != "label":
        raise InvalidValueError(f"`match` must be 'label' or 'path', got {match!r}.")
    labels = pl.Series("name", tree.label.tolist(), dtype=pl.String)
    repeated = labels.filter(labels.is_duplicated()).unique(maintain_order=True)
    if len(repeated):
        raise AmbiguousLabelError(
            f"match='label' needs unique labels, but the {what} tree repeats "
            f"{format_items(repeated.to_list())}. Use match='path' (or relabel the nodes)."
        )
    return labels


def _edge_frame(tree: Tree, match: str, what: str) -> pl.DataFrame:
    """``parent, child`` names of every edge below the root's children."""
    names = _names(tree, match, what)
    v = np.flatnonzero(tree.parent > 0)
    return pl.DataFrame({"parent": names.gather(tree.parent[v]), "child": names.gather(v)}).unique()


def _ancestor_frame(tree: Tree, match: str, what: str) -> pl.DataFrame:
    """``ancestor, node`` names of every ancestor-descendant pair below the root."""
    names = _names(tree, match, what)
    anc = tree.ancestors(np.arange(tree.n_nodes))
    node = np.repeat(np.arange(tree.n_nodes), anc.shape[1])
    keep = anc.ravel() > 0
    return pl.DataFrame(
        {"ancestor": names.gather(anc.ravel()[keep]), "node": names.gather(node[keep])}
    ).unique()


def _prf(reference: pl.DataFrame, candidate: pl.DataFrame) -> dict[str, float]:
    both = candidate.join(reference, on=candidate.columns, how="semi").height
    p = both / candidate.height if candidate.height else 0.0
    r = both / reference.height if reference.height else 0.0
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0}


def edge_prf(reference: Tree, candidate: Tree, *, match: str = "label") -> dict[str, float]:
    """Score the candidate's parent-child edges against the reference's (root edges excluded).

    Parameters
    ----------
    reference : Tree
        The gold-standard tree.
    candidate : Tree
        The tree being evaluated.
    match : {"label", "path"}, default "label"
        Identify nodes by label (unique labels needed) or by root-to-node path.

    Returns
    -------
    dict
        ``precision, recall, f1``.

    Examples
    --------
    >>> reference = Tree.from_paths(["food/fruit/apple", "food/fruit/pear"])
    >>> candidate = Tree.from_paths(["food/fruit/apple", "food/pear"])
    >>> edge_prf(reference, candidate)["recall"]
    0.5
    """
    reference, candidate = _trees(reference, candidate)
    return _prf(
        _edge_frame(reference, match, "reference"), _edge_frame(candidate, match, "candidate")
    )


def ancestor_prf(reference: Tree, candidate: Tree, *, match: str = "label") -> dict[str, float]:
    """Score the candidate's ancestor-descendant pairs (the transitive closure).

    Unlike :func:`edge_prf`, this credits a term placed under the right grandparent.

    Parameters
    ----------
    reference : Tree
        The gold-standard tree.
    candidate : Tree
        The tree being evaluated.
    match : {"label", "path"}, default "label"
        Identify nodes by label (unique labels needed) or by root-to-node path.

    Returns
    -------
    dict
        ``precision, recall, f1``.

    Examples
    --------
    >>> reference = Tree.from_paths(["food/fruit/apple", "food/fruit/pear"])
    >>> candidate = Tree.from_paths(["food/fruit/apple", "food/pear"])
    >>> ancestor_prf(reference, candidate)["precision"]
    1.0
    """
    reference, candidate = _trees(reference, candidate)
    return _prf(
        _ancestor_frame(reference, match, "reference"),
        _ancestor_frame(candidate, match, "candidate"),
    )


def _leaf_frame(tree: Tree, what: str) -> pl.DataFrame:
    leaves = tree.leaves()
    frame = pl.DataFrame(
        {"name": pl.Series(tree.label[leaves].tolist(), dtype=pl.String), "id": leaves}
    )
    repeated = frame.filter(pl.col("name").is_duplicated())["name"].unique(maintain_order=True)
    if len(repeated):
        raise AmbiguousLabelError(
            f"Leaf labels must be unique to pair the trees' leaves, but the {what} tree "
            f"repeats {format_items(repeated.to_list())}."
        )
    return frame


def _common_leaves(reference: Tree, candidate: Tree) -> tuple[np.ndarray, np.ndarray]:
    """Ids of the leaves both trees have, paired by leaf label (in the reference's order)."""
    pairs = _leaf_frame(reference, "reference").join(
        _leaf_frame(candidate, "candidate"), on="name", how="inner", maintain_order="left"
    )
    if pairs.height < 2:
        raise InputShapeError(
            f"The trees share {pairs.height} leaf label(s); at least two are needed to compare "
            "them. Check that both trees hold the same terms as leaves."
        )
    return pairs["id"].to_numpy(), pairs["id_right"].to_numpy()


def _fowlkes_mallows(x: np.ndarray, y: np.ndarray) -> float:
    frame = pl.DataFrame({"x": x, "y": y})
    table = frame.group_by("x", "y").len()["len"].to_numpy().astype(float)
    rows = frame.group_by("x").len()["len"].to_numpy().astype(float)
    cols = frame.group_by("y").len()["len"].to_numpy().astype(float)
    tk = (table * (table - 1)).sum() / 2
    pk = (rows * (rows - 1)).sum() / 2
    qk = (cols * (cols - 1)).sum() / 2
    return float(tk / np.sqrt(pk * qk)) if pk > 0 and qk > 0 else 0.0


def fowlkes_mallows_by_level(reference: Tree, candidate: Tree) -> pl.DataFrame:
    """Compare the two trees' partitions of their common leaves at each depth.

    At depth d each leaf belongs to its ancestor at d (or itself, if shallower); the
    Fowlkes-Mallows index of the two partitions is 1 when they agree. Leaves are paired by
    label.

    Parameters
    ----------
    reference : Tree
        The gold-standard tree.
    candidate : Tree
        The tree being evaluated.

    Returns
    -------
    polars.DataFrame
        ``depth, fowlkes_mallows``, one row per depth from 1 to the deeper tree's
        ``max_depth - 1``.

    Examples
    --------
    >>> t = Tree.from_paths(["r/a/x", "r/a/y", "r/b/z"])
    >>> fowlkes_mallows_by_level(t, t)["fowlkes_mallows"].to_list()  # depth 2 holds only leaves
    [1.0]
    """
    reference, candidate = _trees(reference, candidate)
    lr, lc = _common_leaves(reference, candidate)
    rows = []
    for d in range(1, max(reference.max_depth, candidate.max_depth)):  # depths
        pr = reference.ancestor_at(lr, np.minimum(d, reference.depth[lr]))
        pc = candidate.ancestor_at(lc, np.minimum(d, candidate.depth[lc]))
        rows.append((d, _fowlkes_mallows(pr, pc)))
    return pl.DataFrame(
        rows, schema={"depth": pl.Int64, "fowlkes_mallows": pl.Float64}, orient="row"
    )


def tree_distance_correlation(
    reference: Tree,
    candidate: Tree,
    *,
    max_pairs: int = 200_000,
    seed: int | np.random.Generator = 0,
) -> float:
    """Correlate the distances between common leaves in the two trees (a CPCC).

    The Pearson correlation of the tree distance (edges on the path) between pairs of
    common leaves in one tree and in the other; leaves are paired by label, and a random
    sample of pairs is used when there are many.

    Parameters
    ----------
    reference : Tree
        The gold-standard tree.
    candidate : Tree
        The tree being evaluated.
    max_pairs : int, default 200_000
        Use every pair of common leaves up to this many pairs, a random sample beyond.
    seed : int or numpy.random.Generator, default 0
        Randomness of the pair sample.

    Returns
    -------
    float
        The correlation, in [-1, 1]; NaN when the distances do not vary in one of the
        trees (e.g. only two common leaves).

    Examples
    --------
    >>> t = Tree.from_paths(["r/a/x", "r/a/y", "r/b/z"])
    >>> tree_distance_correlation(t, t)
    1.0
    """
    reference, candidate = _trees(reference, candidate)
    lr, lc = _common_leaves(reference, candidate)
    n = len(lr)
    if n * (n - 1) // 2 <= max_pairs:
        i, j = np.triu_indices(n, k=1)
    else:
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        i, j = rng.integers(0, n, max_pairs), rng.integers(0, n, max_pairs)
        keep = i != j
        i, j = i[keep], j[keep]
    dr = reference.distance(lr[i], lr[j]).astype(float)
    dc = candidate.distance(lc[i], lc[j]).astype(float)
    return float(np.round(pearson(dr, dc), 12))


def edge_table(reference: Tree, candidate: Tree, *, match: str = "label") -> pl.DataFrame:
    """List every edge of either tree with its status.

    ``shared`` (same parent in both), ``missing`` (the child is only in the reference),
    ``extra`` (only in the candidate) or ``moved`` (the child is in both trees, under
    different parents: listed once, with both parents).

    Parameters
    ----------
    reference : Tree
        The gold-standard tree.
    candidate : Tree
        The tree being evaluated.
    match : {"label", "path"}, default "label"
        Identify nodes by label (unique labels needed) or by root-to-node path.

    Returns
    -------
    polars.DataFrame
        ``child, reference_parent, candidate_parent, status, depth`` (depth of the child
        in the reference, or in the candidate for extra edges), reference edges first in
        preorder.

    Examples
    --------
    >>> reference = Tree.from_paths(["food/fruit/apple", "food/fruit/pear"])
    >>> candidate = Tree.from_paths(["food/fruit/apple", "food/pear"])
    >>> edge_table(reference, candidate).select("child", "status").rows()
    [('fruit', 'shared'), ('apple', 'shared'), ('pear', 'moved')]
    """
    reference, candidate = _trees(reference, candidate)

    def parents(tree: Tree, what: str, side: str) -> pl.DataFrame:
        names = _names(tree, match, what)
        v = np.arange(1, tree.n_nodes)
        return pl.DataFrame(
            {
                "child": names.gather(v),
                f"{side}_parent": names.gather(tree.parent[v]),
                f"{side}_depth": tree.depth[v],
            }
        )

    ref = parents(reference, "reference", "reference")
    cand = parents(candidate, "candidate", "candidate")
    known = ref.join(cand, on="child", how="left", maintain_order="left")
    extra = cand.join(ref, on="child", how="anti", maintain_order="left")
    status = (
        pl.when(pl.col("candidate_parent").is_null())
        .then(pl.lit("missing"))
        .when(pl.col("candidate_parent") == pl.col("reference_parent"))
        .then(pl.lit("shared"))
        .otherwise(pl.lit("moved"))
    )
    columns = ["child", "reference_parent", "candidate_parent", "status", "depth"]
    return pl.concat(
        [
            known.with_columns(status=status, depth=pl.col("reference_depth")).select(columns),
            extra.with_columns(
                reference_parent=pl.lit(None, dtype=pl.String),
                status=pl.lit("extra"),
                depth=pl.col("candidate_depth"),
            ).select(columns),
        ]
    ).with_columns(pl.col("depth").cast(pl.Int64))


def tree_edit_distance(reference: Tree, candidate: Tree) -> int:
    """Compute the unit-cost tree edit distance (APTED) between two small trees.

    Needs the optional ``apted`` package; the algorithm is cubic in the number of nodes,
    so keep the trees to a few hundred nodes.

    Parameters
    ----------
    reference : Tree
        The gold-standard tree.
    candidate : Tree
        The tree being evaluated.

    Returns
    -------
    int
        The number of node insertions, deletions and relabellings that turn one tree
        into the other.

    Examples
    --------
    >>> tree_edit_distance(Tree.from_paths(["r/a", "r/b"]), Tree.from_paths(["r/a", "r/c"]))
    1
    """
    reference, candidate = _trees(reference, candidate)
    try:
        from apted import APTED
        from apted.helpers import Tree as AptedTree
    except ImportError:
        raise MissingDependencyError(
            "tree_edit_distance needs the optional 'apted' package: pip install apted"
        ) from None

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
            AptedTree.from_text(bracket(reference)), AptedTree.from_text(bracket(candidate))
        ).compute_edit_distance()
    )


@dataclass(frozen=True, eq=False)
class TreeComparison(Result):
    """Every comparison of a candidate tree with a reference tree (from :func:`compare_trees`).

    Attributes
    ----------
    edge : dict
        Edge ``precision, recall, f1`` (:func:`edge_prf`).
    ancestor : dict
        Ancestor-pair ``precision, recall, f1`` (:func:`ancestor_prf`).
    distance_correlation : float
        Correlation of leaf-to-leaf tree distances (:func:`tree_distance_correlation`).
    fowlkes_mallows : polars.DataFrame
        ``depth, fowlkes_mallows`` (:func:`fowlkes_mallows_by_level`).
    edges : polars.DataFrame
        Every edge with its status (:func:`edge_table`); :meth:`to_polars` returns it.
    match : str
        How nodes were identified (``"label"`` or ``"path"``).

    Examples
    --------
    >>> t = Tree.from_paths(["r/a/x", "r/a/y", "r/b/z"])
    >>> c = compare_trees(t, t)
    >>> c.edge["f1"], c.distance_correlation
    (1.0, 1.0)
    """

    edge: dict[str, float]
    ancestor: dict[str, float]
    distance_correlation: float
    fowlkes_mallows: pl.DataFrame
    edges: pl.DataFrame
    match: str = "label"

    def summary(self) -> Summary:
        """Summarise the comparison: scores as facts, edge statuses and depths as tables.

        Returns
        -------
        Summary
        """
        scores = pl.DataFrame(
            {
                "measure": ["edges", "ancestor pairs"],
                "precision": [self.edge["precision"], self.ancestor["precision"]],
                "recall": [self.edge["recall"], self.ancestor["recall"]],
                "f1": [self.edge["f1"], self.ancestor["f1"]],
            }
        )
        status = self.edges.group_by("status").len().rename({"len": "edges"}).sort("status")
        return Summary(
            "Tree comparison (candidate against reference)",
            facts=[
                ("nodes matched by", self.match),
                ("edge F1", self.edge["f1"]),
                ("ancestor F1", self.ancestor["f1"]),
                ("distance correlation", self.distance_correlation),
            ],
            tables={
                "precision and recall": scores,
                "Fowlkes-Mallows by depth": self.fowlkes_mallows,
                "edges by status": status,
            },
        )

    def to_polars(self) -> pl.DataFrame:
        """Return the edge table: every edge of either tree with its status.

        Returns
        -------
        polars.DataFrame
            ``child, reference_parent, candidate_parent, status, depth``.
        """
        return self.edges


def compare_trees(reference: Tree, candidate: Tree, *, match: str = "label") -> TreeComparison:
    """Run every comparison at once: edge and ancestor P/R/F1, distance correlation, FM, edges.

    Parameters
    ----------
    reference : Tree
        The gold-standard tree.
    candidate : Tree
        The tree being evaluated.
    match : {"label", "path"}, default "label"
        Identify nodes by label (unique labels needed) or by root-to-node path, for the
        edge and ancestor comparisons.

    Returns
    -------
    TreeComparison

    Examples
    --------
    >>> t = Tree.from_paths(["r/a/x", "r/a/y", "r/b/z"])
    >>> compare_trees(t, t).edge["f1"]
    1.0
    """
    reference, candidate = _trees(reference, candidate)
    return TreeComparison(
        edge=edge_prf(reference, candidate, match=match),
        ancestor=ancestor_prf(reference, candidate, match=match),
        distance_correlation=tree_distance_correlation(reference, candidate),
        fowlkes_mallows=fowlkes_mallows_by_level(reference, candidate),
        edges=edge_table(reference, candidate, match=match),
        match=match,
    )
