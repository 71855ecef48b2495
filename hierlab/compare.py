"""Comparing two trees over the same labels: edges, ancestry, depths, distances.

Every function takes the gold-standard tree first (``reference``) and the tree being
evaluated second (``candidate``): precision is the share of the candidate's edges (or
ancestor pairs) that the reference has, recall the share of the reference's that the
candidate has. The root is left out of edges and ancestor pairs, and the two roots always
correspond.

Nodes are put in correspondence in one of three ways (``match=``):

* ``"label"``: each label names one node, as in term taxonomies (duplicate labels are an
  error);
* ``"path"``: root-to-node paths below the root, for trees that share their upper
  structure;
* ``"leaves"``: for **built** trees whose internal nodes carry arbitrary names (clusters
  from embeddings, where label matching gives a recall of 0 by construction). Leaves are
  paired by label; each internal node of the candidate is matched to at most one internal
  node of the reference, the one-to-one assignment that maximises the total Jaccard
  overlap of their leaf sets (a sparse linear assignment, scipy's
  ``min_weight_full_bipartite_matching``). Edges and ancestor pairs are then scored under
  that matching.

Because a matching finds some overlap even between unrelated trees, :func:`compare_trees`
also reports a **chance baseline**: the same candidate with its leaf labels shuffled
(seeded), scored the same way. Leaf-based comparisons (Fowlkes-Mallows, distance
correlation) always pair the two trees' leaves by label.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import polars as pl

from hierlab.errors import (
    AmbiguousLabelError,
    InputShapeError,
    InputTypeError,
    InvalidValueError,
    MissingDependencyError,
    OutputTooLargeError,
    format_items,
)
from hierlab.results import Result, Summary
from hierlab.stats import pearson
from hierlab.tree import MAX_PATH_LABELS, Tree, as_tree

__all__ = [
    "TreeComparison",
    "ancestor_prf",
    "compare_trees",
    "edge_prf",
    "edge_table",
    "fowlkes_mallows_by_level",
    "match_internal_nodes",
    "tree_distance_correlation",
    "tree_edit_distance",
]

Match = Literal["label", "path", "leaves"]
_MATCHES = ("label", "path", "leaves")


def _trees(reference: Any, candidate: Any) -> tuple[Tree, Tree]:
    return as_tree(reference, "reference"), as_tree(candidate, "candidate")


def _check_match(match: Any) -> str:
    if match not in _MATCHES:
        raise InvalidValueError(f"`match` must be {format_items(_MATCHES)}, got {match!r}.")
    return match


def _labels(tree: Tree, what: str) -> pl.Series:
    labels = pl.Series("name", tree.label.tolist(), dtype=pl.String)
    repeated = labels.filter(labels.is_duplicated()).unique(maintain_order=True)
    if len(repeated):
        raise AmbiguousLabelError(
            f"match='label' needs unique labels, but the {what} tree repeats "
            f"{format_items(repeated.to_list())}. Use match='path' or match='leaves' (or "
            "relabel the nodes)."
        )
    return labels


def _below_root_paths(tree: Tree) -> pl.Series:
    """Each node's escaped path below the root ("/"); the root gets its label."""
    full = pl.Series("name", tree.paths(sep="/"), dtype=pl.String)
    root = pl.Series([tree.paths(0, sep="/")[0]], dtype=pl.String)
    below = full.str.slice(root.str.len_chars()[0] + 1)
    return below.scatter(0, tree.label[0])


def _joint_keys(
    reference: pl.Series, candidate: pl.Series
) -> tuple[np.ndarray, np.ndarray, pl.Series]:
    """Integer keys of names shared across the two trees; the roots (and only they) get 0."""
    vocab = pl.concat([reference.slice(1), candidate.slice(1)]).unique(maintain_order=True)
    table = pl.DataFrame({"name": vocab, "key": np.arange(1, len(vocab) + 1, dtype=np.int64)})

    def code(series: pl.Series) -> np.ndarray:
        below = (
            pl.DataFrame({"name": series.slice(1)})
            .join(table, on="name", how="left", maintain_order="left")["key"]
            .to_numpy()
        )
        return np.concatenate([[0], below]).astype(np.int64)

    return code(reference), code(candidate), pl.concat([reference.slice(0, 1), vocab])


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


# --------------------------------------------------------------------------- matching


def _overlaps(reference: Tree, candidate: Tree) -> pl.DataFrame:
    """Shared common leaves of every (candidate internal, reference internal) pair, and sizes.

    Roots are left out (they always correspond). Columns ``candidate, reference, shared,
    n_candidate, n_reference, jaccard``.
    """
    lr, lc = _common_leaves(reference, candidate)
    work = int(((reference.depth[lr] - 1).clip(0) * (candidate.depth[lc] - 1).clip(0)).sum())
    if work > MAX_PATH_LABELS:
        raise OutputTooLargeError(
            f"Matching these trees by leaf overlap would pair {work:,} (leaf, ancestor, "
            f"ancestor) combinations, more than hierlab builds at once ({MAX_PATH_LABELS:,}); "
            "the trees are too deep. Compare them with match='label' or match='path', or cut "
            "them to fewer levels."
        )
    ir, ar = reference.ancestor_pairs(lr)
    ic, ac = candidate.ancestor_pairs(lc)
    ref = pl.DataFrame({"leaf": ir, "reference": ar}).filter(pl.col("reference") > 0)
    cand = pl.DataFrame({"leaf": ic, "candidate": ac}).filter(pl.col("candidate") > 0)
    n_ref = ref.group_by("reference").len().rename({"len": "n_reference"})
    n_cand = cand.group_by("candidate").len().rename({"len": "n_candidate"})
    return (
        cand.join(ref, on="leaf")
        .group_by("candidate", "reference")
        .len()
        .rename({"len": "shared"})
        .join(n_cand, on="candidate")
        .join(n_ref, on="reference")
        .with_columns(
            jaccard=pl.col("shared")
            / (pl.col("n_candidate") + pl.col("n_reference") - pl.col("shared"))
        )
        .sort("candidate", "reference")
    )


def _assign(overlaps: pl.DataFrame) -> pl.DataFrame:
    """Find the one-to-one matching of maximal total Jaccard (rows: candidate nodes)."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import min_weight_full_bipartite_matching

    schema = {"candidate": pl.Int64, "reference": pl.Int64, "jaccard": pl.Float64}
    if overlaps.height == 0:
        return pl.DataFrame(schema=schema)
    rows, row_ids = np.unique(overlaps["candidate"].to_numpy(), return_inverse=True)
    cols, col_ids = np.unique(overlaps["reference"].to_numpy(), return_inverse=True)
    weight = overlaps["jaccard"].to_numpy()
    # one private dummy column per row, so every row can stay unmatched at ~no cost
    tiny = float(weight.min()) * 1e-6 / len(rows)
    matrix = csr_matrix(
        (
            np.concatenate([weight, np.full(len(rows), tiny)]),
            (
                np.concatenate([row_ids.ravel(), np.arange(len(rows))]),
                np.concatenate([col_ids.ravel(), len(cols) + np.arange(len(rows))]),
            ),
        ),
        shape=(len(rows), len(cols) + len(rows)),
    )
    r, c = min_weight_full_bipartite_matching(matrix, maximize=True)
    real = c < len(cols)
    matched = pl.DataFrame(
        {"candidate": rows[r[real]], "reference": cols[c[real]]},
        schema={"candidate": pl.Int64, "reference": pl.Int64},
    )
    return (
        matched.join(
            overlaps.select("candidate", "reference", "jaccard"), on=["candidate", "reference"]
        )
        .sort("candidate")
        .select(list(schema))
    )


def match_internal_nodes(reference: Tree, candidate: Tree) -> pl.DataFrame:
    """Match the candidate's internal nodes to the reference's by leaf-set overlap.

    Leaves are paired by label; each internal node (below the root) is represented by
    the set of common leaves below it, and the one-to-one assignment between candidate
    and reference internal nodes that maximises the total Jaccard index is returned
    (pairs without any shared leaf are never matched). This is how ``match="leaves"``
    identifies a built tree's unlabelled clusters with the reference's nodes.

    Parameters
    ----------
    reference : Tree
        The gold-standard tree.
    candidate : Tree
        The tree being evaluated.

    Returns
    -------
    polars.DataFrame
        ``candidate, reference, jaccard, candidate_label, reference_label``: one row per
        matched pair (node ids of each tree), by candidate id.

    Examples
    --------
    >>> reference = Tree.from_paths(["food/fruit/apple", "food/fruit/pear", "food/veg/leek"])
    >>> candidate = Tree.from_paths(["r/c1/apple", "r/c1/pear", "r/c2/leek"])
    >>> match_internal_nodes(reference, candidate).select("candidate_label", "reference_label", "jaccard").rows()
    [('c1', 'fruit', 1.0), ('c2', 'veg', 1.0)]
    """
    reference, candidate = _trees(reference, candidate)
    matched = _assign(_overlaps(reference, candidate))
    return matched.with_columns(
        candidate_label=pl.Series(
            candidate.label[matched["candidate"].to_numpy()].tolist(), dtype=pl.String
        ),
        reference_label=pl.Series(
            reference.label[matched["reference"].to_numpy()].tolist(), dtype=pl.String
        ),
    )


def _leaf_keys(
    reference: Tree, candidate: Tree, matched: pl.DataFrame
) -> tuple[np.ndarray, np.ndarray, pl.Series]:
    """Keys under a leaf-overlap matching: reference node ids; unmatched candidates after them."""
    n_ref = reference.n_nodes
    ref_keys = np.arange(n_ref, dtype=np.int64)
    cand_keys = n_ref + np.arange(candidate.n_nodes, dtype=np.int64)
    cand_keys[0] = 0
    cand_keys[matched["candidate"].to_numpy()] = matched["reference"].to_numpy()
    lr, lc = _common_leaves(reference, candidate)
    cand_keys[lc] = lr
    names = pl.concat(
        [
            _below_root_paths(reference),
            ("(unmatched) " + _below_root_paths(candidate)).alias("name"),
        ]
    )
    return ref_keys, cand_keys, names


def _keys(
    reference: Tree, candidate: Tree, match: str
) -> tuple[np.ndarray, np.ndarray, pl.Series, pl.DataFrame | None]:
    """Key every node of each tree (equal keys: corresponding nodes) and name the keys.

    Also returns the matching used for ``match="leaves"`` (None otherwise).
    """
    match = _check_match(match)
    if match == "label":
        ref, cand, names = _joint_keys(
            _labels(reference, "reference"), _labels(candidate, "candidate")
        )
        return ref, cand, names, None
    if match == "path":
        ref, cand, names = _joint_keys(_below_root_paths(reference), _below_root_paths(candidate))
        return ref, cand, names, None
    matched = match_internal_nodes(reference, candidate)
    ref, cand, names = _leaf_keys(reference, candidate, matched)
    return ref, cand, names, matched


def _edge_keys(tree: Tree, keys: np.ndarray) -> np.ndarray:
    """(parent key, child key) of every edge below the root's children, as unique int pairs."""
    v = np.flatnonzero(tree.parent > 0)
    return np.unique(np.stack([keys[tree.parent[v]], keys[v]], axis=1), axis=0)


def _ancestor_keys(tree: Tree, keys: np.ndarray) -> np.ndarray:
    """(ancestor key, node key) of every ancestor-descendant pair below the root."""
    index, anc = tree.ancestor_pairs(np.arange(tree.n_nodes))
    keep = anc > 0
    return np.unique(np.stack([keys[anc[keep]], keys[index[keep]]], axis=1), axis=0)


def _prf(reference: np.ndarray, candidate: np.ndarray) -> dict[str, float]:
    width = int(max(reference.max(initial=0), candidate.max(initial=0))) + 1
    both = np.isin(
        candidate[:, 0] * width + candidate[:, 1], reference[:, 0] * width + reference[:, 1]
    ).sum()
    p = float(both / len(candidate)) if len(candidate) else 0.0
    r = float(both / len(reference)) if len(reference) else 0.0
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0}


def edge_prf(reference: Tree, candidate: Tree, *, match: Match = "label") -> dict[str, float]:
    """Score the candidate's parent-child edges against the reference's (root edges excluded).

    Parameters
    ----------
    reference : Tree
        The gold-standard tree.
    candidate : Tree
        The tree being evaluated.
    match : {"label", "path", "leaves"}, default "label"
        Identify nodes by label (unique labels needed), by path below the root, or by
        leaf-set overlap (:func:`match_internal_nodes`, for built trees).

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
    ref, cand, _, _ = _keys(reference, candidate, match)
    return _prf(_edge_keys(reference, ref), _edge_keys(candidate, cand))


def ancestor_prf(reference: Tree, candidate: Tree, *, match: Match = "label") -> dict[str, float]:
    """Score the candidate's ancestor-descendant pairs (the transitive closure).

    Unlike :func:`edge_prf`, this credits a term placed under the right grandparent.

    Parameters
    ----------
    reference : Tree
        The gold-standard tree.
    candidate : Tree
        The tree being evaluated.
    match : {"label", "path", "leaves"}, default "label"
        Identify nodes by label (unique labels needed), by path below the root, or by
        leaf-set overlap (:func:`match_internal_nodes`, for built trees).

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
    ref, cand, _, _ = _keys(reference, candidate, match)
    return _prf(_ancestor_keys(reference, ref), _ancestor_keys(candidate, cand))


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


def _check_seed(seed: Any) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise InputTypeError(
            f"`seed` must be a non-negative int or a numpy.random.Generator, got {seed!r}."
        )
    return np.random.default_rng(int(seed))


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
    if isinstance(max_pairs, bool) or not isinstance(max_pairs, int | np.integer) or max_pairs < 1:
        raise InvalidValueError(f"`max_pairs` must be a positive integer, got {max_pairs!r}.")
    rng = _check_seed(seed)
    lr, lc = _common_leaves(reference, candidate)
    n = len(lr)
    if n * (n - 1) // 2 <= max_pairs:
        i, j = np.triu_indices(n, k=1)
    else:
        i, j = rng.integers(0, n, max_pairs), rng.integers(0, n, max_pairs)
        keep = i != j
        i, j = i[keep], j[keep]
    dr = reference.distance(lr[i], lr[j]).astype(float)
    dc = candidate.distance(lc[i], lc[j]).astype(float)
    return float(np.round(pearson(dr, dc), 12))


def _edge_table(
    reference: Tree, candidate: Tree, ref: np.ndarray, cand: np.ndarray, names: pl.Series
) -> pl.DataFrame:
    def parents(tree: Tree, keys: np.ndarray, side: str) -> pl.DataFrame:
        v = np.arange(1, tree.n_nodes)
        return pl.DataFrame(
            {
                "child": keys[v],
                f"{side}_parent": keys[tree.parent[v]],
                f"{side}_depth": tree.depth[v],
            }
        )

    refs = parents(reference, ref, "reference")
    cands = parents(candidate, cand, "candidate")
    known = refs.join(cands, on="child", how="left", maintain_order="left")
    extra = cands.join(refs, on="child", how="anti", maintain_order="left")
    status = (
        pl.when(pl.col("candidate_parent").is_null())
        .then(pl.lit("missing"))
        .when(pl.col("candidate_parent") == pl.col("reference_parent"))
        .then(pl.lit("shared"))
        .otherwise(pl.lit("moved"))
    )
    columns = ["child", "reference_parent", "candidate_parent", "status", "depth"]
    keyed = pl.concat(
        [
            known.with_columns(status=status, depth=pl.col("reference_depth")).select(columns),
            extra.with_columns(
                reference_parent=pl.lit(None, dtype=pl.Int64),
                status=pl.lit("extra"),
                depth=pl.col("candidate_depth"),
            ).select(columns),
        ]
    )
    name = names.to_frame("name").with_row_index("key").with_columns(pl.col("key").cast(pl.Int64))
    out = keyed.with_row_index("_row")
    for column in ("child", "reference_parent", "candidate_parent"):
        out = out.join(
            name.rename({"key": column, "name": f"_{column}"}), on=column, how="left"
        ).with_columns(pl.col(f"_{column}").alias(column))
    return out.sort("_row").select(
        pl.col("child").cast(pl.String),
        pl.col("reference_parent").cast(pl.String),
        pl.col("candidate_parent").cast(pl.String),
        "status",
        pl.col("depth").cast(pl.Int64),
    )


def edge_table(reference: Tree, candidate: Tree, *, match: Match = "label") -> pl.DataFrame:
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
    match : {"label", "path", "leaves"}, default "label"
        Identify nodes by label (unique labels needed), by path below the root, or by
        leaf-set overlap (:func:`match_internal_nodes`: matched nodes take the
        reference's path, unmatched candidate nodes are shown as ``"(unmatched) ..."``).

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
    ref, cand, names, _ = _keys(reference, candidate, match)
    return _edge_table(reference, candidate, ref, cand, names)


def tree_edit_distance(reference: Tree, candidate: Tree, *, max_nodes: int = 2_000) -> int:
    """Compute the unit-cost tree edit distance (APTED) between two small trees.

    Needs the optional ``apted`` package. The algorithm is cubic in the number of nodes,
    so trees larger than ``max_nodes`` are refused rather than left running for hours.

    Parameters
    ----------
    reference : Tree
        The gold-standard tree.
    candidate : Tree
        The tree being evaluated.
    max_nodes : int, default 2_000
        The largest tree (in nodes) to compare.

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
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, int | np.integer) or max_nodes < 1:
        raise InvalidValueError(f"`max_nodes` must be a positive integer, got {max_nodes!r}.")
    big = max(reference.n_nodes, candidate.n_nodes)
    if big > max_nodes:
        raise InvalidValueError(
            f"tree_edit_distance is cubic in the tree size: the trees have "
            f"{reference.n_nodes:,} and {candidate.n_nodes:,} nodes, more than max_nodes="
            f"{max_nodes:,}. Compare large trees with compare_trees, or raise max_nodes."
        )
    try:
        from apted import APTED
        from apted.helpers import Tree as AptedTree
    except ImportError:
        raise MissingDependencyError(
            "tree_edit_distance needs the optional 'apted' package: pip install apted"
        ) from None
    # labels as integer codes: no label text can break the bracket notation
    ref_keys, cand_keys, _ = _joint_keys(
        pl.Series(reference.label.tolist(), dtype=pl.String),
        pl.Series(candidate.label.tolist(), dtype=pl.String),
    )
    ref_keys[0] = -1
    cand_keys[0] = -1 if reference.label[0] == candidate.label[0] else -2

    def bracket(tree: Tree, keys: np.ndarray) -> str:
        parts = []
        stack = [(0, False)]
        while stack:  # iterative preorder with closing brackets
            v, closing = stack.pop()
            if closing:
                parts.append("}")
                continue
            parts.append("{" + str(int(keys[v])))
            stack.append((v, True))
            stack.extend((int(c), False) for c in reversed(tree.children(v)))
        return "".join(parts)

    return int(
        APTED(
            AptedTree.from_text(bracket(reference, ref_keys)),
            AptedTree.from_text(bracket(candidate, cand_keys)),
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
        How nodes were identified (``"label"``, ``"path"`` or ``"leaves"``).
    chance : polars.DataFrame or None
        The chance baseline: ``measure, observed, chance_mean, chance_sd, chance_max``
        over ``n_shuffles`` copies of the candidate with shuffled leaf labels (None when
        ``n_shuffles=0``).
    matching : polars.DataFrame or None
        For ``match="leaves"``, the matched internal nodes
        (:func:`match_internal_nodes`); otherwise None.
    n_shuffles : int
        How many shuffled candidates make up the chance baseline.

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
    chance: pl.DataFrame | None = None
    matching: pl.DataFrame | None = None
    n_shuffles: int = 0

    def summary(self) -> Summary:
        """Summarise the comparison: scores, the chance baseline, edge statuses and depths.

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
        facts: list[tuple[str, Any]] = [
            ("nodes matched by", self.match),
            ("edge F1", self.edge["f1"]),
            ("ancestor F1", self.ancestor["f1"]),
            ("distance correlation", self.distance_correlation),
        ]
        tables = {"precision and recall": scores}
        notes = []
        if self.chance is not None:
            facts.append(("chance baseline", f"{self.n_shuffles} shuffles of the leaf labels"))
            tables["against chance (shuffled leaves)"] = self.chance
        if self.matching is not None:
            facts.append(("internal nodes matched", self.matching.height))
            facts.append(
                ("mean Jaccard of matches", float(self.matching["jaccard"].mean() or float("nan")))
            )
        if self.match == "label" and self.edge["recall"] == 0 and self.edges.height:
            notes.append(
                "no edge of the reference is found by label: if the candidate's internal "
                "nodes are unnamed clusters, compare with match='leaves'"
            )
        tables["Fowlkes-Mallows by depth"] = self.fowlkes_mallows
        tables["edges by status"] = status
        return Summary(
            "Tree comparison (candidate against reference)", facts=facts, tables=tables, notes=notes
        )

    def to_polars(self) -> pl.DataFrame:
        """Return the edge table: every edge of either tree with its status.

        Returns
        -------
        polars.DataFrame
            ``child, reference_parent, candidate_parent, status, depth``.
        """
        return self.edges


def _shuffled(tree: Tree, rng: np.random.Generator) -> Tree:
    """Copy a tree with its leaf labels permuted (the same shape)."""
    leaves = tree.leaves()
    for _ in range(20):  # a leaf label may land beside an internal node of the same label
        labels = tree.label.copy()
        labels[leaves] = labels[rng.permutation(leaves)]
        try:
            return Tree(tree.parent, labels)
        except AmbiguousLabelError:
            continue
    raise AmbiguousLabelError(
        "The chance baseline shuffles the candidate's leaf labels, but some leaf labels equal "
        "internal node labels, so shuffled leaves keep landing beside a sibling of the same "
        "label. Rename the internal nodes, or pass n_shuffles=0."
    )


def _scores(reference: Tree, candidate: Tree, match: str, seed: Any) -> dict[str, float]:
    ref, cand, _, _ = _keys(reference, candidate, match)
    edge = _prf(_edge_keys(reference, ref), _edge_keys(candidate, cand))
    anc = _prf(_ancestor_keys(reference, ref), _ancestor_keys(candidate, cand))
    fm = fowlkes_mallows_by_level(reference, candidate)
    out = {f"edge_{k}": v for k, v in edge.items()}
    out |= {f"ancestor_{k}": v for k, v in anc.items()}
    out["distance_correlation"] = tree_distance_correlation(reference, candidate, seed=seed)
    out |= {f"fowlkes_mallows_depth_{d}": v for d, v in fm.iter_rows()}
    return out


def _spread(values: np.ndarray) -> dict[str, np.ndarray]:
    """Mean, SD and maximum of each column over its defined (non-NaN) values."""
    defined = ~np.isnan(values)
    count = defined.sum(axis=0)
    filled = np.where(defined, values, 0.0)
    mean = np.divide(
        filled.sum(axis=0), count, out=np.full(values.shape[1], np.nan), where=count > 0
    )
    square = np.where(defined, (values - mean) ** 2, 0.0).sum(axis=0)
    sd = np.sqrt(
        np.divide(square, count - 1, out=np.full(values.shape[1], np.nan), where=count > 1)
    )
    top = np.where(count > 0, np.where(defined, values, -np.inf).max(axis=0), np.nan)
    return {"chance_mean": mean, "chance_sd": sd, "chance_max": top}


def compare_trees(
    reference: Tree,
    candidate: Tree,
    *,
    match: Match = "label",
    n_shuffles: int = 20,
    seed: int | np.random.Generator = 0,
) -> TreeComparison:
    """Run every comparison at once, with a chance baseline from shuffled leaves.

    Edge and ancestor precision, recall and F1 (nodes identified by ``match``), the
    leaf-distance correlation, Fowlkes-Mallows by depth and the edge table; then the same
    scores for ``n_shuffles`` copies of the candidate whose leaf labels are permuted at
    random (its shape kept), so every number can be read against what an unrelated tree
    of the same shape would get.

    Parameters
    ----------
    reference : Tree
        The gold-standard tree.
    candidate : Tree
        The tree being evaluated.
    match : {"label", "path", "leaves"}, default "label"
        Identify nodes by label (unique labels needed), by path below the root, or by
        leaf-set overlap (:func:`match_internal_nodes`; use it for trees built from
        embeddings or responses, whose internal nodes are unnamed clusters).
    n_shuffles : int, default 20
        Shuffled candidates in the chance baseline (0 skips it).
    seed : int or numpy.random.Generator, default 0
        Randomness of the shuffles and of the distance-correlation pair sample.

    Returns
    -------
    TreeComparison

    Examples
    --------
    >>> t = Tree.from_paths(["r/a/x", "r/a/y", "r/b/z"])
    >>> compare_trees(t, t).edge["f1"]
    1.0
    >>> built = Tree.from_paths(["root/cluster 1/x", "root/cluster 1/y", "root/cluster 2/z"])
    >>> compare_trees(t, built, match="leaves").edge["f1"], compare_trees(t, built).edge["f1"]
    (1.0, 0.0)
    """
    reference, candidate = _trees(reference, candidate)
    match = _check_match(match)
    if (
        isinstance(n_shuffles, bool)
        or not isinstance(n_shuffles, int | np.integer)
        or n_shuffles < 0
    ):
        raise InvalidValueError(f"`n_shuffles` must be a non-negative integer, got {n_shuffles!r}.")
    rng = _check_seed(seed)
    ref, cand, names, matching = _keys(reference, candidate, match)
    edge = _prf(_edge_keys(reference, ref), _edge_keys(candidate, cand))
    anc = _prf(_ancestor_keys(reference, ref), _ancestor_keys(candidate, cand))
    corr_seed = int(rng.integers(2**31))
    correlation = tree_distance_correlation(reference, candidate, seed=corr_seed)
    fowlkes = fowlkes_mallows_by_level(reference, candidate)
    chance = None
    if n_shuffles:
        observed = {f"edge_{k}": v for k, v in edge.items()}
        observed |= {f"ancestor_{k}": v for k, v in anc.items()}
        observed["distance_correlation"] = correlation
        observed |= {f"fowlkes_mallows_depth_{d}": v for d, v in fowlkes.iter_rows()}
        runs = [
            _scores(reference, _shuffled(candidate, rng), match, corr_seed)
            for _ in range(int(n_shuffles))
        ]
        measures = list(observed)
        values = np.array([[run.get(m, np.nan) for m in measures] for run in runs], dtype=float)
        chance = pl.DataFrame(
            {"measure": measures, "observed": [observed[m] for m in measures]}
        ).with_columns(**_spread(values))
    return TreeComparison(
        edge=edge,
        ancestor=anc,
        distance_correlation=correlation,
        fowlkes_mallows=fowlkes,
        edges=_edge_table(reference, candidate, ref, cand, names),
        match=match,
        chance=chance,
        matching=matching,
        n_shuffles=int(n_shuffles),
    )
