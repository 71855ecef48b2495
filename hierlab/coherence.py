"""Hierarchy-aware scoring of predictions.

Every metric works on node ids of a :class:`~hierlab.tree.Tree` (paths are mapped with
:meth:`Tree.node_ids`), so a node's identity is its root-to-node path: two different
"Paris" nodes never match, which label-based libraries get wrong. ``true`` and ``pred``
are the data themselves here (arrays of node ids or paths), truth before prediction.
Conventions:

* the root is excluded from label sets (it is always right), so depth 0 is the root and a
  node at depth d has d labels on its path;
* a single-label prediction is a node; its label set is the node and its ancestors below
  the root; a multi-label prediction is a set of nodes and their ancestors;
* a prediction that stops early (a shallower node) loses recall, not precision;
* a root-only prediction predicts nothing: it has recall 0 and no precision (it adds to
  neither side of micro precision, and is left out of per-sample precision).

Input forms (the same everywhere):

* one node per sample: node ids (integers, or whole-number floats), or paths (``"A/B"``
  strings with backslash escapes, or ``("A", "B")`` tuples, the canonical form); numpy
  arrays, lists and polars or pandas Series all work; ids and paths may not be mixed;
* several nodes per sample (multi-label): one **set** (or frozenset) per sample, or a
  list or array of integer node ids per sample. A list of label strings is ambiguous (a
  path, or a set of labels?) and is refused naming the argument: write the path as a
  tuple or a string, or the set as a set;
* NaN and null are refused naming the rows.

Single-label metrics need no sets at all: with ``l = lca(true, pred)``,
``|T ∩ P| = depth(l)``, ``|T| = depth(true)``, ``|P| = depth(pred)``; per-class counts come
from preorder prefix sums. Everything is vectorised over predictions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from itertools import chain
from typing import Any, Literal

import numpy as np
import polars as pl

from hierlab._tables import as_float_array, as_polars, require_columns
from hierlab.errors import (
    AmbiguousLabelError,
    DuplicateRowsError,
    EmptyInputError,
    HierlabError,
    InputShapeError,
    InputTypeError,
    InvalidValueError,
    MissingValueError,
    format_items,
)
from hierlab.stats import pearson
from hierlab.tree import Tree, as_tree

__all__ = [
    "constrained_f1",
    "embedding_distance_correlation",
    "hierarchical_distance_at_k",
    "hierarchical_precision_at_k",
    "hierarchical_prf",
    "inconsistency_rate",
    "ladder_score",
    "lca_prf",
    "mistake_severity",
    "path_f1",
    "path_score",
    "per_level_scores",
    "taxonomy_coherence",
]

Average = Literal["micro", "per_sample", "per_class"]


def _pair(tree: Tree, true: Any, pred: Any) -> tuple[np.ndarray, np.ndarray]:
    t = tree.node_ids(true, what="true")
    p = tree.node_ids(pred, what="pred")
    if t.shape != p.shape:
        raise InputShapeError(
            f"`true` has {len(t)} predictions but `pred` has {len(p)}; give one each."
        )
    if len(t) == 0:
        raise EmptyInputError("No predictions to score: `true` and `pred` are empty.")
    return t, p


def _prf(
    inter: np.ndarray, n_pred: np.ndarray, n_true: np.ndarray, average: str
) -> dict[str, float]:
    with np.errstate(invalid="ignore", divide="ignore"):
        if average == "micro":
            p = inter.sum() / n_pred.sum() if n_pred.sum() else np.nan
            r = inter.sum() / n_true.sum() if n_true.sum() else np.nan
            f = 2 * p * r / (p + r) if (p + r) > 0 else 0.0
            return {"precision": float(p), "recall": float(r), "f1": float(f)}
        prec = np.where(n_pred > 0, inter / n_pred, np.nan)
        rec = np.where(n_true > 0, inter / n_true, np.nan)
        f1 = np.where((prec + rec) > 0, 2 * prec * rec / (prec + rec), 0.0)
        f1 = np.where(np.isnan(prec) & (n_true > 0), 0.0, f1)
    return {"precision": _nanmean(prec), "recall": _nanmean(rec), "f1": _nanmean(f1)}


def _nanmean(values: np.ndarray) -> float:
    """Mean over the defined values; NaN (not a warning) when none is defined."""
    defined = values[~np.isnan(values)]
    return float(defined.mean()) if len(defined) else float("nan")


def _subtree_counts(tree: Tree, nodes: np.ndarray) -> np.ndarray:
    """For every node c, how many of ``nodes`` lie in the subtree of c (preorder prefix sums)."""
    counts = np.bincount(nodes, minlength=tree.n_nodes)
    cum = np.concatenate([[0], np.cumsum(counts)])
    ids = np.arange(tree.n_nodes)
    return cum[ids + tree.size] - cum[ids]


def _check_average(average: Any, allowed: tuple[str, ...]) -> str:
    if average not in allowed:
        raise InvalidValueError(f"`average` must be {format_items(allowed)}, got {average!r}.")
    return average


def hierarchical_prf(
    tree: Tree, true: Any, pred: Any, *, average: Average = "micro"
) -> dict[str, float]:
    """Compute set-based hierarchical precision, recall and F1 (Kiritchenko et al.).

    Parameters
    ----------
    tree : Tree
        The hierarchy.
    true : array-like
        True node ids or paths (single-label: ``"A/B"`` strings or ``("A", "B")``
        tuples), or one set of node ids or paths per sample (multi-label: each sample's
        most specific labels). A list of label strings is refused as ambiguous.
    pred : array-like
        Predicted nodes, in the same form as ``true``.
    average : {"micro", "per_sample", "per_class"}, default "micro"
        ``micro`` sums intersections and set sizes over samples; ``per_sample`` averages
        each sample's scores (HiClass calls this "macro"); ``per_class`` computes
        precision and recall of every class (node) and averages them (the class-level
        macro average HiClass lacks); its F1 is the mean of per-class F1.

    Returns
    -------
    dict
        ``precision, recall, f1``.

    Examples
    --------
    >>> t = Tree.from_paths(["A/B/D", "A/C/D"], root="r")
    >>> hierarchical_prf(t, ["A/B/D"], ["A/C/D"])["f1"]  # only A is shared: 1/3
    0.3333333333333333
    """
    tree = as_tree(tree)
    _check_average(average, ("micro", "per_sample", "per_class"))
    if _is_multi(true, "true") or _is_multi(pred, "pred"):
        return _multi_prf(tree, true, pred, average)
    t, p = _pair(tree, true, pred)
    lca = tree.lca(t, p)
    if average == "per_class":
        n_true = _subtree_counts(tree, t)[1:]
        n_pred = _subtree_counts(tree, p)[1:]
        inter = _subtree_counts(tree, lca)[1:]
        used = (n_true + n_pred) > 0
        return _per_class(inter[used], n_pred[used], n_true[used])
    return _prf(tree.depth[lca], tree.depth[p], tree.depth[t], average)


def _per_class(inter: np.ndarray, n_pred: np.ndarray, n_true: np.ndarray) -> dict[str, float]:
    with np.errstate(invalid="ignore", divide="ignore"):
        prec = np.where(n_pred > 0, inter / n_pred, 0.0)
        rec = np.where(n_true > 0, inter / n_true, 0.0)
        f1 = np.where(prec + rec > 0, 2 * prec * rec / (prec + rec), 0.0)
    return {"precision": float(prec.mean()), "recall": float(rec.mean()), "f1": float(f1.mean())}


def _is_multi(values: Any, what: str) -> bool:
    """Whether ``values`` holds one collection of nodes per sample (multi-label).

    Sets are multi-label; so are lists or arrays of integer ids, and a polars list-of-int
    Series. Tuples (and ``list[str]`` polars Series) are paths. A list of label strings
    could be either, and is refused.
    """
    if isinstance(values, pl.Series):
        return isinstance(values.dtype, pl.List) and values.dtype.inner.is_integer()
    if type(values).__module__.split(".")[0] == "pandas" and hasattr(values, "tolist"):
        values = values.tolist()
    if isinstance(values, np.ndarray) and values.dtype == object:
        values = values.tolist()
    if not isinstance(values, list | tuple) or not values:
        return False
    containers = [
        i for i, x in enumerate(values) if isinstance(x, set | frozenset | list | np.ndarray)
    ]
    if not containers:
        return False
    for i in containers:
        sample = values[i]
        if isinstance(sample, set | frozenset):
            continue
        items = sample.tolist() if isinstance(sample, np.ndarray) else sample
        if any(isinstance(x, str) for x in items):
            raise InputTypeError(
                f"`{what}` holds lists of labels (sample {i}: {sample!r}), which could be one "
                "path or a set of labels. Write a path as a tuple ('A', 'B') or a string "
                "'A/B', and a multi-label sample as a set ({'A', 'B'})."
            )
    return True


def _sets(values: Any, what: str) -> list[list[Any]]:
    """Each sample's labels as a list; anything that is not a sequence of collections fails."""
    if isinstance(values, pl.Series):
        values = values.to_list()
    if type(values).__module__.split(".")[0] == "pandas" and hasattr(values, "tolist"):
        values = values.tolist()
    if isinstance(values, str | Mapping | set | frozenset) or not isinstance(values, Iterable):
        raise InputTypeError(
            f"`{what}` must be a sequence with one collection of node ids or paths per "
            f"sample, got {type(values).__name__}."
        )
    groups = list(values)
    bad = [
        i
        for i, g in enumerate(groups)
        if isinstance(g, str | Mapping | tuple) or not isinstance(g, Iterable)
    ]
    if bad:
        tuples = [i for i in bad if isinstance(groups[i], tuple)]
        hint = (
            f" Sample(s) {format_items(tuples)} are tuples, which hierlab reads as one path: "
            "wrap each sample's labels in a set or list."
            if tuples
            else ""
        )
        raise InputTypeError(
            f"`{what}` must hold one collection (set or list) of labels per sample; "
            f"sample(s) {format_items(bad)} are not collections.{hint}"
        )
    return [list(g.tolist() if isinstance(g, np.ndarray) else g) for g in groups]


def _explode_sets(tree: Tree, sets: Any, what: str) -> pl.DataFrame:
    """(sample, node) rows of the labels exactly as given (repeats within a sample count once)."""
    groups = _sets(sets, what)
    sample = np.repeat(np.arange(len(groups)), [len(g) for g in groups])
    flat = list(chain.from_iterable(groups))
    try:
        node = tree.node_ids(flat, what=what) if flat else np.empty(0, dtype=np.int64)
    except HierlabError as err:  # say which samples, not which flattened labels
        bad = []
        for i, group in enumerate(groups):  # error path only
            try:
                tree.node_ids(group, what=what)
            except HierlabError:
                bad.append(i)
        raise type(err)(
            f"`{what}`: sample(s) {format_items(bad or ['?'])} hold labels that are not "
            f"valid node ids or paths. First problem: {err}"
        ) from None
    return pl.DataFrame({"sample": sample.astype(np.int64), "node": node}).unique()


def _with_ancestors(tree: Tree, frame: pl.DataFrame) -> pl.DataFrame:
    """Add every ancestor below the root of each (sample, node) row."""
    node = frame["node"].to_numpy()
    if len(node) == 0:
        return frame
    index, anc = tree.ancestor_pairs(node, include_self=True)
    out = pl.DataFrame({"sample": frame["sample"].to_numpy()[index], "node": anc})
    return out.filter(pl.col("node") > 0).unique()


def _all_ancestors_in(tree: Tree, rows: pl.DataFrame, have: pl.DataFrame) -> pl.DataFrame:
    """Rows (sample, node) whose every ancestor below the root is in ``have`` for that sample."""
    if rows.height == 0:
        return rows
    index, anc = tree.ancestor_pairs(rows["node"].to_numpy())
    long = pl.DataFrame(
        {"row": index, "sample": rows["sample"].to_numpy()[index], "anc": anc}
    ).filter(pl.col("anc") > 0)
    found = long.join(
        have.rename({"node": "anc"}).with_columns(hit=pl.lit(True)),
        on=["sample", "anc"],
        how="left",
    )
    missing = found.filter(pl.col("hit").is_null())["row"].unique()
    return rows.with_row_index("row").filter(~pl.col("row").is_in(missing.implode())).drop("row")


def _multi_prf(tree: Tree, true: Any, pred: Any, average: str) -> dict[str, float]:
    t = _with_ancestors(tree, _explode_sets(tree, true, "true"))
    p = _with_ancestors(tree, _explode_sets(tree, pred, "pred"))
    n_true_samples, n_pred_samples = len(_sets(true, "true")), len(_sets(pred, "pred"))
    if n_true_samples != n_pred_samples:
        raise InputShapeError(
            f"`true` has {n_true_samples} samples but `pred` has {n_pred_samples}; give one each."
        )
    both = t.join(p, on=["sample", "node"], how="inner")
    if average == "per_class":
        nt = t.group_by("node").len().rename({"len": "t"})
        np_ = p.group_by("node").len().rename({"len": "p"})
        nb = both.group_by("node").len().rename({"len": "b"})
        counts = (
            nt.join(np_, on="node", how="full", coalesce=True)
            .join(nb, on="node", how="left")
            .fill_null(0)
        )
        return _per_class(counts["b"].to_numpy(), counts["p"].to_numpy(), counts["t"].to_numpy())
    n = n_true_samples
    n_true = np.bincount(t["sample"].to_numpy(), minlength=n)
    n_pred = np.bincount(p["sample"].to_numpy(), minlength=n)
    inter = np.bincount(both["sample"].to_numpy(), minlength=n)
    return _prf(inter, n_pred, n_true, average)


def lca_prf(
    tree: Tree, true: Any, pred: Any, *, average: Literal["micro", "per_sample"] = "micro"
) -> dict[str, float]:
    """Compute LCA-based hierarchical precision, recall and F1 (Kosmopoulos et al. 2015).

    Single-label only. Both label sets are augmented only with the ancestors up to their
    lowest common ancestor (LCA), not up to the root, so a mistake deep in the tree is not
    rewarded for all the shared upper levels. With ``l = lca(t, p)``:
    ``|T_aug| = d(t) - d(l) + 1``, ``|P_aug| = d(p) - d(l) + 1`` and
    ``|T_aug ∩ P_aug| = 1`` (the LCA) unless t = p; an LCA at the root counts nothing
    (the root is excluded).

    Parameters
    ----------
    tree : Tree
        The hierarchy.
    true : array-like
        True node ids or paths, one per prediction.
    pred : array-like
        Predicted node ids or paths.
    average : {"micro", "per_sample"}, default "micro"
        Sum counts over predictions, or average each prediction's scores.

    Returns
    -------
    dict
        ``precision, recall, f1``.

    Examples
    --------
    >>> t = Tree.from_paths(["A/B/D", "A/C/E"], root="r")
    >>> lca_prf(t, ["A/B/D"], ["A/C/E"])["f1"]  # augmented sets {A, B, D} and {A, C, E}
    0.3333333333333333
    """
    tree = as_tree(tree)
    _check_average(average, ("micro", "per_sample"))
    if _is_multi(true, "true") or _is_multi(pred, "pred"):
        raise InvalidValueError(
            "lca_prf scores single-label predictions; use hierarchical_prf for sets."
        )
    t, p = _pair(tree, true, pred)
    lca = tree.lca(t, p)
    dl = tree.depth[lca]
    at_root = lca == 0
    n_true = tree.depth[t] - dl + np.where(at_root, 0, 1)
    n_pred = tree.depth[p] - dl + np.where(at_root, 0, 1)
    inter = np.where(t == p, n_true, np.where(at_root, 0, 1))
    return _prf(inter, n_pred, n_true, average)


def mistake_severity(tree: Tree, true: Any, pred: Any) -> pl.DataFrame:
    """Compute each prediction's error severity: tree distance, LCA depth and LCA height.

    The height of the LCA (``depth(true) - depth(lca)``: how many levels up from the
    truth the prediction leaves it) is Bertinetto et al.'s mistake severity when averaged
    over mistakes.

    Parameters
    ----------
    tree : Tree
        The hierarchy.
    true : array-like
        True node ids or paths, one per prediction.
    pred : array-like
        Predicted node ids or paths.

    Returns
    -------
    polars.DataFrame
        ``true, pred, correct, distance, lca_depth, lca_height, wu_palmer``.

    Examples
    --------
    >>> t = Tree.from_paths(["A/B/D", "A/C/E"], root="r")
    >>> mistake_severity(t, ["A/B/D"], ["A/C/E"])["lca_height"].to_list()
    [2]
    """
    tree = as_tree(tree)
    t, p = _pair(tree, true, pred)
    lca = tree.lca(t, p)
    return pl.DataFrame(
        {
            "true": t,
            "pred": p,
            "correct": t == p,
            "distance": tree.depth[t] + tree.depth[p] - 2 * tree.depth[lca],
            "lca_depth": tree.depth[lca],
            "lca_height": tree.depth[t] - tree.depth[lca],
            "wu_palmer": tree.wu_palmer(t, p),
        }
    )


def _ranked(tree: Tree, true: Any, ranked: Any, k: Any) -> tuple[np.ndarray, np.ndarray]:
    t = tree.node_ids(true, what="true")
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        raise InvalidValueError(f"`k` must be a positive integer, got {k!r}.")
    if isinstance(ranked, pl.DataFrame) or type(ranked).__module__.split(".")[0] == "pandas":
        ranked = ranked.to_numpy()
    if isinstance(ranked, np.ndarray) and ranked.dtype.kind in "iuf" and ranked.ndim == 2:
        rows, width = ranked.shape[0], ranked.shape[1]
        flat: Any = ranked.ravel()
    else:
        if isinstance(ranked, str | Mapping) or not isinstance(ranked, Iterable):
            raise InputShapeError(
                "`ranked` must be a 2-D array of node ids or paths: one row per sample, best "
                f"first; got {type(ranked).__name__}."
            )
        rows_list = ranked.tolist() if isinstance(ranked, np.ndarray) else list(ranked)
        bad = [
            i
            for i, r in enumerate(rows_list)
            if isinstance(r, str) or not isinstance(r, list | tuple | np.ndarray)
        ]
        if bad:
            raise InputShapeError(
                "`ranked` must hold one row (a list of node ids or paths, best first) per "
                f"sample; row(s) {format_items(bad)} are not rows."
            )
        widths = {len(r) for r in rows_list}
        if len(widths) > 1:
            raise InputShapeError(
                f"`ranked` rows must all have the same length; got lengths {sorted(widths)}."
            )
        rows, width = len(rows_list), (widths.pop() if widths else 0)
        flat = [x for r in rows_list for x in (r.tolist() if isinstance(r, np.ndarray) else r)]
    if rows != len(t):
        raise InputShapeError(
            f"`ranked` has {rows} rows but `true` has {len(t)} samples; give one each."
        )
    if int(k) > width:
        raise InvalidValueError(
            f"`k` is {k} but `ranked` holds only {width} prediction(s) per sample; use k <= "
            f"{width} or rank more predictions."
        )
    if len(t) == 0:
        raise EmptyInputError("No samples to score: `true` and `ranked` are empty.")
    ids = tree.node_ids(flat, what="ranked").reshape(rows, width)
    return t, ids[:, : int(k)]


def hierarchical_distance_at_k(tree: Tree, true: Any, ranked: Any, k: int) -> float:
    """Compute the average hierarchical distance @k (Bertinetto et al. 2020).

    The mean LCA height between the truth and each of the top-k ranked predictions.

    Parameters
    ----------
    tree : Tree
        The hierarchy.
    true : array-like
        True node ids or paths, one per sample.
    ranked : 2-D array-like
        Ranked predictions, one row per sample, best first (node ids or paths).
    k : int
        How many of the top predictions count.

    Returns
    -------
    float

    Examples
    --------
    >>> t = Tree.from_paths(["A/B/D", "A/B/F", "A/C/E"], root="r")
    >>> ranked = np.array([t.find(["A/B/F", "A/C/E"])])
    >>> hierarchical_distance_at_k(t, ["A/B/D"], ranked, 2)  # heights 1 and 2
    1.5
    """
    tree = as_tree(tree)
    t, top = _ranked(tree, true, ranked, k)
    lca = tree.lca(t[:, None], top)
    return float((tree.depth[t][:, None] - tree.depth[lca]).mean())


def hierarchical_precision_at_k(tree: Tree, true: Any, ranked: Any, k: int) -> float:
    """Compute hierarchical precision @k (Bertinetto et al. 2020).

    The share of the top-k ranked leaves that are among the k leaves closest to the truth
    (by LCA height; ties at the k-th height are all counted as close).

    Parameters
    ----------
    tree : Tree
        The hierarchy.
    true : array-like
        True node ids or paths, one per sample.
    ranked : 2-D array-like
        Ranked predictions, one row per sample, best first (node ids or paths).
    k : int
        How many of the top predictions count.

    Returns
    -------
    float

    Examples
    --------
    >>> t = Tree.from_paths(["A/B/D", "A/B/F", "A/C/E"], root="r")
    >>> ranked = np.array([t.find(["A/B/F", "A/C/E"])])
    >>> hierarchical_precision_at_k(t, ["A/B/D"], ranked, 2)  # D and F are the 2 closest
    0.5
    """
    tree = as_tree(tree)
    t, top = _ranked(tree, true, ranked, k)
    height_k = np.full(len(t), -1)
    for h in range(int(tree.depth[t].max()) + 1):  # heights, not samples
        anc = tree.ancestor_at(t, np.maximum(tree.depth[t] - h, 0))
        enough = (tree.n_leaves[anc] >= k) & (height_k < 0)
        height_k[enough] = h
    height_k[height_k < 0] = int(tree.depth[t].max())
    lca = tree.lca(t[:, None], top)
    heights = tree.depth[t][:, None] - tree.depth[lca]
    return float((heights <= height_k[:, None]).mean())


def per_level_scores(tree: Tree, true: Any, pred: Any) -> pl.DataFrame:
    """Compute accuracy and macro-F1 at each depth, and full-path accuracy.

    At depth d, the truth is the true node's ancestor at d (samples whose truth is
    shallower are skipped) and the prediction is the predicted node's ancestor at d
    (missing when the prediction stopped above d: counted wrong).

    Parameters
    ----------
    tree : Tree
        The hierarchy.
    true : array-like
        True node ids or paths, one per prediction.
    pred : array-like
        Predicted node ids or paths.

    Returns
    -------
    polars.DataFrame
        ``depth, n, accuracy, macro_f1``, plus a last row ``depth = -1`` for the full-path
        accuracy (prediction equals truth exactly).

    Examples
    --------
    >>> t = Tree.from_paths(["A/B", "A/C"], root="r")
    >>> per_level_scores(t, ["A/B", "A/C"], ["A/B", "A/B"])["accuracy"].to_list()
    [1.0, 0.5, 0.5]
    """
    tree = as_tree(tree)
    t, p = _pair(tree, true, pred)
    n = tree.n_nodes
    rows = []
    for d in range(1, int(tree.depth[t].max()) + 1):  # depths, vectorised over samples
        keep = tree.depth[t] >= d
        at_t = tree.ancestor_at(t[keep], d)
        at_p = tree.ancestor_at(p[keep], d)
        right = at_t == at_p
        support = np.bincount(at_t, minlength=n)
        hits = np.bincount(at_t[right], minlength=n)
        predicted = np.bincount(at_p[at_p >= 0], minlength=n)
        classes = support > 0
        with np.errstate(invalid="ignore", divide="ignore"):
            prec = np.where(predicted > 0, hits / np.maximum(predicted, 1), 0.0)
            rec = hits / np.maximum(support, 1)
            f1 = np.where(prec + rec > 0, 2 * prec * rec / (prec + rec), 0.0)
        rows.append((d, int(keep.sum()), float(right.mean()), float(f1[classes].mean())))
    rows.append((-1, len(t), float((t == p).mean()), float("nan")))
    return pl.DataFrame(rows, schema=["depth", "n", "accuracy", "macro_f1"], orient="row")


def path_score(tree: Tree, true: Any, pred: Any, *, exclude_depth: int | None = None) -> np.ndarray:
    """Compute the EarthWhere-style path score of each prediction.

    The number of consecutive right levels from the top divided by the length of the true
    path. The LCA depth is exactly the number of consecutive right levels.

    Parameters
    ----------
    tree : Tree
        The hierarchy.
    true : array-like
        True node ids or paths, one per prediction.
    pred : array-like
        Predicted node ids or paths.
    exclude_depth : int, optional
        A depth left out of both counts (e.g. a level given away as a hint).

    Returns
    -------
    numpy.ndarray
        Scores in [0, 1] (NaN where the truth is the root).

    Examples
    --------
    >>> t = Tree.from_paths(["Asia/China/Fujian/Xiamen", "Asia/China/Guangdong/Zhuhai"], root="World")
    >>> path_score(t, ["Asia/China/Fujian/Xiamen"], ["Asia/China/Guangdong/Zhuhai"]).tolist()
    [0.5]
    """
    tree = as_tree(tree)
    t, p = _pair(tree, true, pred)
    right = tree.depth[tree.lca(t, p)].astype(float)
    length = tree.depth[t].astype(float)
    if exclude_depth is not None:
        if isinstance(exclude_depth, bool) or not isinstance(exclude_depth, int | np.integer):
            raise InputTypeError(
                f"`exclude_depth` must be an integer depth, got {exclude_depth!r}."
            )
        right -= (right >= exclude_depth).astype(float)
        length -= (length >= exclude_depth).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(length > 0, right / length, np.nan)


def _level_frame(tree: Tree, levels: Any) -> tuple[np.ndarray, list[str]]:
    """Per-level predicted labels (samples x levels) -> node ids per level (-1 if invalid)."""
    frame = as_polars(levels, "`level_predictions`")
    cols = frame.columns
    if not cols:
        raise InputShapeError("`level_predictions` has no columns: give one column per level.")
    if frame.height == 0:
        raise EmptyInputError("`level_predictions` has no rows: give one row per sample.")
    if len(cols) > tree.max_depth:
        raise InputShapeError(
            f"`level_predictions` has {len(cols)} columns but the tree has only "
            f"{tree.max_depth} level(s) below the root; columns "
            f"{format_items(cols[tree.max_depth :])} have no level."
        )
    lookup = tree.to_polars(path=False).select("id", "label", "depth")
    ids = np.full((frame.height, len(cols)), -1, dtype=np.int64)
    for d, col in enumerate(cols, start=1):  # columns (levels), vectorised over samples
        at_level = (
            lookup.filter(pl.col("depth") == d)
            .group_by("label")
            .agg(pl.col("id").first(), pl.len().alias("n"))
        )
        predicted = frame[col]
        if isinstance(predicted.dtype, pl.List | pl.Array | pl.Struct):
            raise InputTypeError(
                f"Column {col!r} of `level_predictions` holds {predicted.dtype} values; give "
                "one predicted label per sample and level."
            )
        joined = pl.DataFrame({"label": predicted.cast(pl.String)}).join(
            at_level, on="label", how="left", maintain_order="left"
        )
        repeated = joined.filter(pl.col("n") > 1)["label"].unique(maintain_order=True)
        if len(repeated):
            raise AmbiguousLabelError(
                f"Column {col!r} predicts label(s) {format_items(repeated.to_list(), 5)} that "
                f"name several nodes at depth {d}, so a per-level prediction cannot say which; "
                "inconsistency_rate needs labels that are unique within a level."
            )
        ids[:, d - 1] = joined["id"].fill_null(-1).to_numpy()
    return ids, cols


def inconsistency_rate(tree: Tree, level_predictions: Any) -> dict[str, Any]:
    """Compute TICE: the share of samples whose per-level predictions form no valid path.

    A classifier that predicts each level independently gives one label per level; a
    sample is inconsistent when some level's label is not a child of the label predicted
    one level up (labels must be unique within a level for this check).

    Parameters
    ----------
    tree : Tree
        The hierarchy.
    level_predictions : polars or pandas DataFrame, or dict of columns
        One column per level (top first) of predicted labels, one row per sample.

    Returns
    -------
    dict
        ``rate`` (share of inconsistent samples) and ``by_level`` (share inconsistent at
        each level transition, keyed ``"upper column -> lower column"``).

    Examples
    --------
    >>> t = Tree.from_paths(["A/a1", "B/b1"], root="r")
    >>> inconsistency_rate(t, {"l1": ["A", "A"], "l2": ["a1", "b1"]})["rate"]
    0.5
    """
    tree = as_tree(tree)
    ids, cols = _level_frame(tree, level_predictions)
    bad = np.zeros(ids.shape[0], dtype=bool)
    by_level = {}
    for d in range(1, ids.shape[1]):
        upper, lower = ids[:, d - 1], ids[:, d]
        wrong = (lower < 0) | (upper < 0) | (tree.parent[np.maximum(lower, 0)] != upper)
        by_level[f"{cols[d - 1]} -> {cols[d]}"] = float(wrong.mean())
        bad |= wrong
    return {"rate": float(bad.mean()), "by_level": by_level}


def constrained_f1(tree: Tree, true_sets: Any, pred_sets: Any) -> dict[str, float]:
    """Compute C-F1 (HierVerb's C-metric): micro and macro F1 over consistent labels.

    A right label counts only if all its ancestors (below the root) are right too. Labels
    are taken as given (ancestors are not added), as a per-level classifier outputs them.

    Parameters
    ----------
    tree : Tree
        The hierarchy.
    true_sets : sequence of collections
        Each sample's true labels (node ids or paths).
    pred_sets : sequence of collections
        Each sample's predicted labels.

    Returns
    -------
    dict
        ``micro_precision, micro_recall, micro_f1, macro_f1``.

    Examples
    --------
    >>> t = Tree.from_paths(["A/a1", "B/b1"], root="r")
    >>> constrained_f1(t, [["A", "A/a1"]], [["B", "A/a1"]])["micro_f1"]  # a1 right, A wrong
    0.0
    """
    tree = as_tree(tree)
    t = _explode_sets(tree, true_sets, "true_sets")
    p = _explode_sets(tree, pred_sets, "pred_sets")
    right = t.join(p, on=["sample", "node"], how="inner")
    right = _all_ancestors_in(tree, right, right)
    return _label_f1(right, p, t)


def _label_f1(right: pl.DataFrame, pred: pl.DataFrame, true: pl.DataFrame) -> dict[str, float]:
    r = right.height
    micro_p = r / pred.height if pred.height else 0.0
    micro_r = r / true.height if true.height else 0.0
    micro = 2 * micro_p * micro_r / (micro_p + micro_r) if micro_p + micro_r else 0.0
    per = (
        true.group_by("node")
        .len()
        .rename({"len": "t"})
        .join(
            pred.group_by("node").len().rename({"len": "p"}), on="node", how="full", coalesce=True
        )
        .join(right.group_by("node").len().rename({"len": "r"}), on="node", how="left")
        .fill_null(0)
    )
    prec = np.where(per["p"] > 0, per["r"] / np.maximum(per["p"], 1), 0.0)
    rec = np.where(per["t"] > 0, per["r"] / np.maximum(per["t"], 1), 0.0)
    f1 = np.where(prec + rec > 0, 2 * prec * rec / np.maximum(prec + rec, 1e-300), 0.0)
    return {
        "micro_precision": micro_p,
        "micro_recall": micro_r,
        "micro_f1": micro,
        "macro_f1": float(f1.mean()) if len(f1) else 0.0,
    }


def path_f1(tree: Tree, true_sets: Any, pred_sets: Any) -> dict[str, float]:
    """Compute P-F1 (HierVerb's P-metric): micro and macro F1 over root-to-leaf paths.

    A path counts as predicted when all its labels are predicted, as true when all are
    true, and as right when both; the sample accuracy (all labels exact) is added.

    Parameters
    ----------
    tree : Tree
        The hierarchy.
    true_sets : sequence of collections
        Each sample's true labels (node ids or paths).
    pred_sets : sequence of collections
        Each sample's predicted labels.

    Returns
    -------
    dict
        ``micro_precision, micro_recall, micro_f1, macro_f1, accuracy``.

    Examples
    --------
    >>> t = Tree.from_paths(["A/a1", "B/b1"], root="r")
    >>> path_f1(t, [["A", "A/a1"]], [["A", "A/a1", "B"]])["micro_f1"]  # B alone forms no path
    1.0
    """
    tree = as_tree(tree)
    t = _explode_sets(tree, true_sets, "true_sets")
    p = _explode_sets(tree, pred_sets, "pred_sets")
    n_samples = len(_sets(true_sets, "true_sets"))

    def complete_paths(frame: pl.DataFrame) -> pl.DataFrame:
        # a root-to-leaf path is held when the leaf and all its ancestors are held
        leaves = frame.filter(pl.Series(tree.is_leaf[frame["node"].to_numpy()], dtype=pl.Boolean))
        return _all_ancestors_in(tree, leaves, frame)

    tp, pp = complete_paths(t), complete_paths(p)
    right = tp.join(pp, on=["sample", "node"], how="inner")
    scores = _label_f1(right, pp, tp)
    # a sample is exact when its label sets are equal (two empty sets included)
    only_one = pl.concat(
        [t.join(p, on=["sample", "node"], how="anti"), p.join(t, on=["sample", "node"], how="anti")]
    )
    wrong = only_one["sample"].n_unique()
    scores["accuracy"] = float((n_samples - wrong) / max(n_samples, 1))
    return scores


def ladder_score(
    table: Any,
    *,
    item: str = "item",
    step: str = "step",
    correct: str = "correct",
    order: list[Any] | None = None,
    penalty: float | None = None,
) -> pl.DataFrame:
    """Compute the Hierarchical-Prompting-style ladder score of each item.

    The steps form an ordered ladder (easiest help first, e.g. prompting strategies from
    role prompting to full few-shot chains); an item's score is the 1-based rank of the
    first step at which it is answered correctly, and ``penalty`` when no step does. Lower
    is better.

    Parameters
    ----------
    table : polars or pandas DataFrame
        One row per (item, step) with the outcome; a repeated (item, step) pair is
        refused (:class:`~hierlab.errors.DuplicateRowsError`).
    item : str, default "item"
        Column of item ids.
    step : str, default "step"
        Column of ladder steps.
    correct : str, default "correct"
        Column of outcomes (boolean or 0/1).
    order : list, optional
        The steps in ladder order (default: the sorted values of ``step``).
    penalty : float, optional
        Score of an item no step solves (default: number of steps + 1).

    Returns
    -------
    polars.DataFrame
        ``item`` (named as the ``item`` column) and ``score``, in order of first appearance.

    Examples
    --------
    >>> t = pl.DataFrame({"item": ["q1", "q1", "q2", "q2"], "step": [1, 2, 1, 2],
    ...                   "correct": [False, True, False, False]})
    >>> ladder_score(t)["score"].to_list()
    [2.0, 3.0]
    """
    frame = as_polars(table, "`table` (the ladder table)")
    for name, value in (("item", item), ("step", step), ("correct", correct)):
        if not isinstance(value, str):
            raise InputTypeError(f"`{name}` must be a column name, got {type(value).__name__}.")
    require_columns(frame, [item, step, correct], "The ladder table")
    if frame.height == 0:
        raise EmptyInputError("The ladder table has no rows.")
    for name in (item, step, correct):
        nulls = frame[name].is_null()
        if frame[name].dtype.is_float():
            nulls = nulls | frame[name].is_nan()
        if nulls.any():
            rows = np.flatnonzero(nulls.to_numpy())
            raise MissingValueError(
                f"Column {name!r} of the ladder table is null or NaN in {len(rows)} row(s): "
                f"{format_items(rows.tolist())}. Drop or fill those rows."
            )
    outcome = frame[correct]
    if outcome.dtype != pl.Boolean:
        if not outcome.dtype.is_numeric():
            raise InputTypeError(
                f"Column {correct!r} must hold True/False or 0/1, got {outcome.dtype} values "
                f"(e.g. {outcome[0]!r})."
            )
        off = ~((outcome == 0) | (outcome == 1))
        if off.any():
            rows = np.flatnonzero(off.to_numpy())
            raise InvalidValueError(
                f"Column {correct!r} must be 0 or 1 (a step is solved or not); row(s) "
                f"{format_items(rows.tolist())} hold {format_items(outcome.gather(rows[:5]).to_list())}."
            )
    dup = frame.select(item, step).is_duplicated()
    if dup.any():
        pairs = frame.filter(dup).select(item, step).unique(maintain_order=True).rows()
        raise DuplicateRowsError(
            f"{len(pairs)} ({item}, {step}) pair(s) occur more than once, e.g. "
            f"{format_items(pairs, 4)}. Give each item one outcome per step."
        )
    if order is not None:
        if isinstance(order, str) or not isinstance(order, Iterable):
            raise InputTypeError(f"`order` must be a list of steps, got {type(order).__name__}.")
        order = list(order)
        repeated = [x for i, x in enumerate(order) if x in order[:i]]
        if repeated:
            raise InvalidValueError(f"`order` lists step(s) {format_items(repeated)} twice.")
    steps = order if order is not None else sorted(frame[step].unique().to_list())
    unknown = sorted(set(frame[step].to_list()) - set(steps), key=str)
    if unknown:
        raise InvalidValueError(
            f"The ladder table has step(s) {format_items(unknown)} that `order` does not list."
        )
    rank = {v: i + 1 for i, v in enumerate(steps)}
    if penalty is not None and (
        isinstance(penalty, bool) or not isinstance(penalty, int | float | np.number)
    ):
        raise InputTypeError(f"`penalty` must be a number, got {type(penalty).__name__}.")
    pen = float(len(steps) + 1) if penalty is None else float(penalty)
    if not np.isfinite(pen):
        raise InvalidValueError(f"`penalty` must be a finite number, got {penalty!r}.")
    ranked = frame.with_columns(
        pl.col(step).replace_strict(rank, default=None).alias("_rank"),
        pl.col(correct).cast(pl.Boolean).alias("_correct"),
    )
    first = (
        ranked.filter(pl.col("_correct")).group_by(item).agg(pl.col("_rank").min().alias("first"))
    )
    items = frame.select(item).unique(maintain_order=True)
    return (
        items.join(first, on=item, how="left")
        .with_columns(score=pl.col("first").cast(pl.Float64).fill_null(pen))
        .select(item, "score")
    )


def _node_embeddings(tree: Tree, embeddings: Any) -> np.ndarray:
    emb = as_float_array(embeddings, "`embeddings`", ndim=2)
    if emb.shape[0] != tree.n_nodes:
        raise InputShapeError(
            f"`embeddings` need one row per node ({tree.n_nodes}), got shape {emb.shape}."
        )
    bad = np.flatnonzero(~np.isfinite(emb).all(axis=1))
    if len(bad):
        raise InvalidValueError(
            f"`embeddings` rows {format_items(bad.tolist())} contain NaN or infinite values."
        )
    return emb / np.maximum(np.linalg.norm(emb, axis=1, keepdims=True), 1e-12)


def taxonomy_coherence(tree: Tree, embeddings: Any) -> pl.DataFrame:
    """Measure the embedding coherence of a taxonomy, per internal node.

    For each internal node with at least two children (cosine similarity throughout):
    ``sibling_cohesion`` (mean similarity among its children), ``parent_child`` (mean
    similarity of the node to its children) and ``separation`` (cohesion minus the mean
    similarity of its children to the children of other parents at the same depth;
    positive means siblings are closer to each other).

    Parameters
    ----------
    tree : Tree
        The taxonomy.
    embeddings : 2-D array-like
        One row per node, in node-id order.

    Returns
    -------
    polars.DataFrame
        ``node, label, depth, n_children, sibling_cohesion, parent_child, separation``.

    Examples
    --------
    >>> t = Tree.from_paths(["A/a1", "A/a2", "B/b1", "B/b2"], root="r")
    >>> e = np.eye(7)[[0, 1, 1, 1, 2, 2, 2]] + 0.01  # A's and B's subtrees share vectors
    >>> bool(taxonomy_coherence(t, e).filter(pl.col("label") == "A")["separation"][0] > 0.5)
    True
    """
    tree = as_tree(tree)
    unit = _node_embeddings(tree, embeddings)
    # sums of the children's unit vectors per parent, and of all nodes per depth:
    # the mean pairwise similarity among k children is (|sum|^2 - k) / (k (k - 1))
    child_sum = np.zeros_like(unit)
    np.add.at(child_sum, tree.parent[1:], unit[1:])
    depth_sum = np.zeros((tree.max_depth + 2, unit.shape[1]))
    np.add.at(depth_sum, tree.depth, unit)
    depth_count = np.bincount(tree.depth, minlength=tree.max_depth + 2)
    v = np.flatnonzero(tree.n_children >= 2)
    k = tree.n_children[v].astype(float)
    s = child_sum[v]
    cohesion = ((s * s).sum(axis=1) - k) / (k * (k - 1))
    parent_child = (s * unit[v]).sum(axis=1) / k
    below = tree.depth[v] + 1
    others = depth_count[below] - k
    with np.errstate(invalid="ignore", divide="ignore"):
        outside = (s * (depth_sum[below] - s)).sum(axis=1) / (k * others)
    separation = np.where(others > 0, cohesion - outside, np.nan)
    return pl.DataFrame(
        {
            "node": v.astype(np.int64),
            "label": pl.Series(tree.label[v].tolist(), dtype=pl.String),
            "depth": tree.depth[v],
            "n_children": tree.n_children[v].astype(np.int64),
            "sibling_cohesion": cohesion,
            "parent_child": parent_child,
            "separation": separation,
        }
    )


def embedding_distance_correlation(tree: Tree, embeddings: Any, *, nodes: Any = None) -> float:
    """Correlate tree distance with embedding distance (a cophenetic-style correlation).

    The Pearson correlation, over all pairs of ``nodes``, between their distance in the
    tree (edges on the path) and the cosine distance of their embeddings.

    Parameters
    ----------
    tree : Tree
        The taxonomy.
    embeddings : 2-D array-like
        One row per node, in node-id order.
    nodes : array-like, optional
        Node ids or paths to pair up (default: the leaves).

    Returns
    -------
    float
        The correlation, in [-1, 1]; NaN when either distance does not vary.

    Examples
    --------
    >>> t = Tree.from_paths(["A/a1", "A/a2", "B/b1", "B/b2"], root="r")
    >>> e = np.eye(7)[[0, 1, 1, 1, 2, 2, 2]] + np.random.default_rng(0).normal(0, 0.01, (7, 7))
    >>> round(embedding_distance_correlation(t, e), 2) > 0.9
    True
    """
    tree = as_tree(tree)
    unit = _node_embeddings(tree, embeddings)
    ids = tree.leaves() if nodes is None else np.unique(tree.node_ids(nodes, what="nodes"))
    if len(ids) < 2:
        raise InputShapeError(
            f"A correlation needs at least 2 nodes; got {len(ids)} distinct node(s)."
        )
    i, j = np.triu_indices(len(ids), k=1)
    tree_d = tree.distance(ids[i], ids[j]).astype(float)
    emb_d = 1.0 - (unit[ids[i]] * unit[ids[j]]).sum(axis=1)
    return pearson(tree_d, emb_d)
