"""Hierarchy-aware scoring of predictions.

Every metric works on node ids of a :class:`~hierlab.tree.Tree` (paths are mapped with
:meth:`Tree.find`), so a node's identity is its root-to-node path: two different "Paris"
nodes never match, which label-based libraries get wrong. Conventions:

* the root is excluded from label sets (it is always right), so depth 0 is the root and a
  node at depth d has d labels on its path;
* a single-label prediction is a node; its label set is the node and its ancestors below
  the root; a multi-label prediction is a set of nodes and their ancestors;
* a prediction that stops early (a shallower node) loses recall, not precision;
* a root-only prediction predicts nothing: it has recall 0 and no precision (it adds to
  neither side of micro precision, and is left out of per-sample precision).

Single-label metrics need no sets at all: with ``l = lca(true, pred)``,
``|T ∩ P| = depth(l)``, ``|T| = depth(true)``, ``|P| = depth(pred)``; per-class counts come
from preorder prefix sums. Everything is vectorised over predictions.
"""

from __future__ import annotations

from itertools import chain
from typing import Any, Literal

import numpy as np
import polars as pl

from hierlab.errors import InputShapeError, InvalidValueError
from hierlab.tree import Tree

__all__ = [
    "as_nodes",
    "constrained_f1",
    "cpcc",
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


def as_nodes(tree: Tree, values: Any, sep: str = "/") -> np.ndarray:
    """Node ids from ids or root-to-node paths (strings with ``sep`` or label sequences).

    Examples
    --------
    >>> t = Tree.from_paths(["a/b", "a/c"])
    >>> as_nodes(t, ["a/c", "a/b"]).tolist(), as_nodes(t, [2, 1]).tolist()
    ([2, 1], [2, 1])
    """
    if isinstance(values, pl.Series):
        values = (
            values
            if values.dtype in (pl.String,) or isinstance(values.dtype, pl.List)
            else values.to_numpy()
        )
    if isinstance(values, np.ndarray) and np.issubdtype(values.dtype, np.integer):
        return tree._nodes(values, "nodes").astype(np.int64)
    if (
        isinstance(values, list | tuple)
        and values
        and all(isinstance(v, int | np.integer) for v in values)
    ):
        return tree._nodes(np.asarray(values), "nodes").astype(np.int64)
    found = tree.find(values if not isinstance(values, tuple) else list(values), sep=sep)
    return np.atleast_1d(np.asarray(found, dtype=np.int64))


def _pair(tree: Tree, true: Any, pred: Any) -> tuple[np.ndarray, np.ndarray]:
    t, p = as_nodes(tree, true), as_nodes(tree, pred)
    if t.shape != p.shape:
        raise InputShapeError(
            f"true has {len(t)} predictions but pred has {len(p)}; give one each."
        )
    if len(t) == 0:
        raise InputShapeError("No predictions to score.")
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


def hierarchical_prf(
    tree: Tree, true: Any, pred: Any, average: Average = "micro"
) -> dict[str, float]:
    """Set-based hierarchical precision, recall and F1 (Kiritchenko et al.).

    Parameters
    ----------
    tree : Tree
    true, pred : node ids or paths (single-label), or sequences of node ids/paths per
        sample (multi-label: each sample's set of most specific labels)
    average : {"micro", "per_sample", "per_class"}
        ``micro`` sums intersections and set sizes over samples; ``per_sample`` averages
        each sample's scores (HiClass calls this "macro"); ``per_class`` computes
        precision and recall of every class (node) and averages them (the class-level
        macro average HiClass lacks); its F1 is the mean of per-class F1.

    Examples
    --------
    >>> t = Tree.from_paths(["A/B/D", "A/C/D"], root="r")
    >>> hierarchical_prf(t, ["A/B/D"], ["A/C/D"])["f1"]  # only A is shared: 1/3
    0.3333333333333333
    """
    multi = _is_multi(true) or _is_multi(pred)
    if multi:
        return _multi_prf(tree, true, pred, average)
    t, p = _pair(tree, true, pred)
    lca_depth = tree.depth[tree.lca(t, p)]
    if average == "per_class":
        n_true = _subtree_counts(tree, t)[1:]
        n_pred = _subtree_counts(tree, p)[1:]
        inter = _subtree_counts(tree, tree.lca(t, p))[1:]
        used = (n_true + n_pred) > 0
        return _per_class(inter[used], n_pred[used], n_true[used])
    if average not in ("micro", "per_sample"):
        raise InvalidValueError(
            f"average must be 'micro', 'per_sample' or 'per_class', got {average!r}."
        )
    return _prf(lca_depth, tree.depth[p], tree.depth[t], average)


def _per_class(inter: np.ndarray, n_pred: np.ndarray, n_true: np.ndarray) -> dict[str, float]:
    with np.errstate(invalid="ignore", divide="ignore"):
        prec = np.where(n_pred > 0, inter / n_pred, 0.0)
        rec = np.where(n_true > 0, inter / n_true, 0.0)
        f1 = np.where(prec + rec > 0, 2 * prec * rec / (prec + rec), 0.0)
    return {"precision": float(prec.mean()), "recall": float(rec.mean()), "f1": float(f1.mean())}


def _is_multi(values: Any) -> bool:
    """Multi-label input is a sequence of sets (or of lists/arrays of node ids).

    A list of lists of strings is read as single-label paths (one path per sample).
    """
    if isinstance(values, pl.Series):
        return isinstance(values.dtype, pl.List) and values.dtype.inner.is_integer()
    if isinstance(values, list | tuple) and len(values) > 0:
        first = values[0]
        if isinstance(first, set | frozenset):
            return True
        if (
            isinstance(first, list | np.ndarray)
            and len(first)
            and isinstance(first[0], int | np.integer)
        ):
            return True
    return False


def _explode_sets(tree: Tree, sets: Any) -> pl.DataFrame:
    """(sample, node) rows of the labels exactly as given."""
    groups = [list(g) for g in sets]
    sample = np.repeat(np.arange(len(groups)), [len(g) for g in groups])
    flat = list(chain.from_iterable(groups))
    node = as_nodes(tree, flat) if flat else np.empty(0, dtype=np.int64)
    return pl.DataFrame({"sample": sample.astype(np.int64), "node": node}).unique()


def _with_ancestors(tree: Tree, frame: pl.DataFrame) -> pl.DataFrame:
    """Add every ancestor below the root of each (sample, node) row."""
    node = frame["node"].to_numpy()
    if len(node) == 0:
        return frame
    anc = tree.ancestors(node, include_self=True)
    width = anc.shape[1]
    out = pl.DataFrame(
        {"sample": np.repeat(frame["sample"].to_numpy(), width), "node": anc.ravel()}
    )
    return out.filter(pl.col("node") > 0).unique()


def _label_sets(tree: Tree, sets: Any) -> pl.DataFrame:
    """(sample, node) rows for each sample's labels and all their ancestors below the root."""
    return _with_ancestors(tree, _explode_sets(tree, sets))


def _all_ancestors_in(tree: Tree, rows: pl.DataFrame, have: pl.DataFrame) -> pl.DataFrame:
    """Rows (sample, node) whose every ancestor below the root is in ``have`` for that sample."""
    if rows.height == 0:
        return rows
    anc = tree.ancestors(rows["node"].to_numpy(), include_self=False)
    width = anc.shape[1]
    long = pl.DataFrame(
        {
            "row": np.repeat(np.arange(rows.height), width),
            "sample": np.repeat(rows["sample"].to_numpy(), width),
            "anc": anc.ravel(),
        }
    ).filter(pl.col("anc") > 0)
    found = long.join(
        have.rename({"node": "anc"}).with_columns(hit=pl.lit(True)),
        on=["sample", "anc"],
        how="left",
    )
    missing = found.filter(pl.col("hit").is_null())["row"].unique()
    return rows.with_row_index("row").filter(~pl.col("row").is_in(missing.implode())).drop("row")


def _multi_prf(tree: Tree, true: Any, pred: Any, average: str) -> dict[str, float]:
    true_sets, pred_sets = list(true), list(pred)
    if len(true_sets) != len(pred_sets):
        raise InputShapeError(f"true has {len(true_sets)} samples but pred has {len(pred_sets)}.")
    t = _label_sets(tree, true_sets)
    p = _label_sets(tree, pred_sets)
    both = t.join(p, on=["sample", "node"], how="inner")
    n = len(true_sets)
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
    n_true = np.bincount(t["sample"].to_numpy(), minlength=n)
    n_pred = np.bincount(p["sample"].to_numpy(), minlength=n)
    inter = np.bincount(both["sample"].to_numpy(), minlength=n)
    return _prf(inter, n_pred, n_true, average)


def lca_prf(
    tree: Tree, true: Any, pred: Any, average: Literal["micro", "per_sample"] = "micro"
) -> dict[str, float]:
    """LCA-based hierarchical precision, recall and F1 (Kosmopoulos et al. 2015), single-label.

    Both label sets are augmented only with the ancestors up to their lowest common
    ancestor (LCA), not up to the root, so a mistake deep in the tree is not rewarded for
    all the shared upper levels. With ``l = lca(t, p)``: ``|T_aug| = d(t) - d(l) + 1``,
    ``|P_aug| = d(p) - d(l) + 1`` and ``|T_aug ∩ P_aug| = 1`` (the LCA) unless t = p; an LCA
    at the root counts nothing (the root is excluded).

    Examples
    --------
    >>> t = Tree.from_paths(["A/B/D", "A/C/E"], root="r")
    >>> lca_prf(t, ["A/B/D"], ["A/C/E"])["f1"]  # augmented sets {A, B, D} and {A, C, E}
    0.3333333333333333
    """
    if _is_multi(true) or _is_multi(pred):
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
    """Per-prediction error severity: tree distance, LCA depth and LCA height.

    The height of the LCA (``depth(true) - depth(lca)``: how many levels up from the
    truth the prediction leaves it) is Bertinetto et al.'s mistake severity when averaged
    over mistakes.

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


def _ranked(tree: Tree, ranked: Any) -> np.ndarray:
    arr = np.asarray(ranked)
    if arr.ndim != 2:
        raise InputShapeError("ranked predictions must be 2-D: one row per sample, best first.")
    if np.issubdtype(arr.dtype, np.integer):
        return tree._nodes(arr, "ranked").astype(np.int64)
    return as_nodes(tree, list(arr.ravel())).reshape(arr.shape)


def hierarchical_distance_at_k(tree: Tree, true: Any, ranked: Any, k: int) -> float:
    """Average hierarchical distance @k (Bertinetto et al. 2020): the mean LCA height
    between the truth and each of the top-k ranked predictions.

    Examples
    --------
    >>> t = Tree.from_paths(["A/B/D", "A/B/F", "A/C/E"], root="r")
    >>> ranked = np.array([t.find(["A/B/F", "A/C/E"])])
    >>> hierarchical_distance_at_k(t, ["A/B/D"], ranked, 2)  # heights 1 and 2
    1.5
    """
    t = as_nodes(tree, true)
    top = _ranked(tree, ranked)[:, :k]
    lca = tree.lca(t[:, None], top)
    return float((tree.depth[t][:, None] - tree.depth[lca]).mean())


def hierarchical_precision_at_k(tree: Tree, true: Any, ranked: Any, k: int) -> float:
    """Hierarchical precision @k (Bertinetto et al. 2020): the share of the top-k ranked
    leaves that are among the k leaves closest to the truth (by LCA height; ties at the
    k-th height are all counted as close).

    Examples
    --------
    >>> t = Tree.from_paths(["A/B/D", "A/B/F", "A/C/E"], root="r")
    >>> ranked = np.array([t.find(["A/B/F", "A/C/E"])])
    >>> hierarchical_precision_at_k(t, ["A/B/D"], ranked, 2)  # D and F are the 2 closest
    0.5
    """
    t = as_nodes(tree, true)
    top = _ranked(tree, ranked)[:, :k]
    height_k = np.full(len(t), -1)
    for h in range(int(tree.depth[t].max()) + 1):  # levels, not samples
        anc = tree.ancestor_at(t, np.maximum(tree.depth[t] - h, 0))
        enough = (tree.n_leaves[anc] >= k) & (height_k < 0)
        height_k[enough] = h
    height_k[height_k < 0] = int(tree.depth[t].max())
    lca = tree.lca(t[:, None], top)
    heights = tree.depth[t][:, None] - tree.depth[lca]
    return float((heights <= height_k[:, None]).mean())


def per_level_scores(tree: Tree, true: Any, pred: Any) -> pl.DataFrame:
    """Accuracy and macro-F1 at each depth, and full-path accuracy.

    At depth d, the truth is the true node's ancestor at d (samples whose truth is
    shallower are skipped) and the prediction is the predicted node's ancestor at d
    (missing when the prediction stopped above d: counted wrong).

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
    t, p = _pair(tree, true, pred)
    rows = []
    for d in range(1, int(tree.depth[t].max()) + 1):
        keep = tree.depth[t] >= d
        at_t = tree.ancestor_at(t[keep], d)
        at_p = tree.ancestor_at(p[keep], d)
        right = at_t == at_p
        frame = pl.DataFrame({"t": at_t, "p": at_p})
        classes = np.unique(at_t)
        tp = frame.filter(pl.col("t") == pl.col("p")).group_by("t").len()
        support = frame.group_by("t").len()
        predicted = frame.filter(pl.col("p") >= 0).group_by("p").len()
        tp_d = dict(tp.iter_rows())
        sup_d = dict(support.iter_rows())
        pred_d = dict(predicted.iter_rows())
        f1s = []
        for c in classes:
            tp_c = tp_d.get(c, 0)
            prec = tp_c / pred_d[c] if pred_d.get(c) else 0.0
            rec = tp_c / sup_d[c]
            f1s.append(2 * prec * rec / (prec + rec) if prec + rec else 0.0)
        rows.append((d, int(keep.sum()), float(right.mean()), float(np.mean(f1s))))
    rows.append((-1, len(t), float((t == p).mean()), float("nan")))
    return pl.DataFrame(rows, schema=["depth", "n", "accuracy", "macro_f1"], orient="row")


def path_score(tree: Tree, true: Any, pred: Any, exclude_depth: int | None = None) -> np.ndarray:
    """EarthWhere-style path score of each prediction: the number of consecutive right
    levels from the top divided by the length of the true path.

    ``exclude_depth`` leaves one level out of both counts (e.g. a level given away as a
    hint). The LCA depth is exactly the number of consecutive right levels.

    Examples
    --------
    >>> t = Tree.from_paths(["Asia/China/Fujian/Xiamen", "Asia/China/Guangdong/Zhuhai"], root="World")
    >>> path_score(t, ["Asia/China/Fujian/Xiamen"], ["Asia/China/Guangdong/Zhuhai"]).tolist()
    [0.5]
    """
    t, p = _pair(tree, true, pred)
    right = tree.depth[tree.lca(t, p)].astype(float)
    length = tree.depth[t].astype(float)
    if exclude_depth is not None:
        right -= (right >= exclude_depth).astype(float)
        length -= (length >= exclude_depth).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(length > 0, right / length, np.nan)


def _level_frame(tree: Tree, levels: Any) -> tuple[np.ndarray, list[str]]:
    """Per-level predicted labels (samples x levels) -> node ids per level (-1 if invalid)."""
    frame = levels if isinstance(levels, pl.DataFrame) else pl.DataFrame(levels)
    cols = frame.columns
    lookup = tree.to_polars().select("id", "parent", "label", "depth")
    ids = np.full((frame.height, len(cols)), -1, dtype=np.int64)
    for d, col in enumerate(cols, start=1):
        labels = frame[col].cast(pl.String)
        at_level = lookup.filter(pl.col("depth") == d)
        joined = pl.DataFrame({"label": labels}).join(
            at_level.group_by("label").agg(pl.col("id").first(), pl.len().alias("k")),
            on="label",
            how="left",
            maintain_order="left",
        )
        ids[:, d - 1] = joined["id"].fill_null(-1).to_numpy()
    return ids, cols


def inconsistency_rate(tree: Tree, level_predictions: Any) -> dict[str, Any]:
    """TICE: the share of samples whose per-level predictions form no valid path.

    ``level_predictions`` has one column per level (top first) of predicted labels, as a
    classifier that predicts each level independently produces. A sample is inconsistent
    when some level's label is not a child of the label predicted one level up (labels
    must be unique within a level for this check).

    Returns
    -------
    dict
        ``rate`` (share of inconsistent samples) and ``by_level`` (share inconsistent at
        each level transition).

    Examples
    --------
    >>> t = Tree.from_paths(["A/a1", "B/b1"], root="r")
    >>> inconsistency_rate(t, {"l1": ["A", "A"], "l2": ["a1", "b1"]})["rate"]
    0.5
    """
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
    """C-F1 (HierVerb's C-metric): a right label counts only if all its ancestors (below the
    root) are right too; micro and macro F1 over labels.

    Labels are taken as given (ancestors are not added), as a per-level classifier outputs
    them.

    Examples
    --------
    >>> t = Tree.from_paths(["A/a1", "B/b1"], root="r")
    >>> constrained_f1(t, [["A", "A/a1"]], [["B", "A/a1"]])["micro_f1"]  # a1 right, A wrong
    0.0
    """
    t = _explode_sets(tree, true_sets)
    p = _explode_sets(tree, pred_sets)
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
        "macro_f1": float(f1.mean()),
    }


def path_f1(tree: Tree, true_sets: Any, pred_sets: Any) -> dict[str, float]:
    """P-F1 (HierVerb's P-metric): the units are root-to-leaf paths; a path counts as
    predicted when all its labels are predicted, as true when all are true, and as right
    when both; micro and macro F1 over paths, plus sample accuracy (all labels exact).

    Examples
    --------
    >>> t = Tree.from_paths(["A/a1", "B/b1"], root="r")
    >>> path_f1(t, [["A", "A/a1"]], [["A", "A/a1", "B"]])["micro_f1"]  # B alone forms no path
    1.0
    """
    true_sets, pred_sets = list(true_sets), list(pred_sets)
    t = _explode_sets(tree, true_sets)
    p = _explode_sets(tree, pred_sets)

    def complete_paths(frame: pl.DataFrame) -> pl.DataFrame:
        # a root-to-leaf path is held when the leaf and all its ancestors are held
        leaves = frame.filter(pl.Series(tree.is_leaf[frame["node"].to_numpy()], dtype=pl.Boolean))
        return _all_ancestors_in(tree, leaves, frame)

    tp, pp = complete_paths(t), complete_paths(p)
    right = tp.join(pp, on=["sample", "node"], how="inner")
    scores = _label_f1(right, pp, tp)
    key = pl.col("node").sort().implode()
    exact = (
        t.group_by("sample")
        .agg(key.alias("t"))
        .join(p.group_by("sample").agg(key.alias("p")), on="sample", how="left")
    )
    scores["accuracy"] = float((exact["t"] == exact["p"]).sum() / max(len(true_sets), 1))
    return scores


def ladder_score(
    solved: Any,
    item: str = "item",
    level: str = "level",
    ok: str = "solved",
    order: list[Any] | None = None,
    penalty: float | None = None,
) -> pl.DataFrame:
    """Hierarchical-Prompting-style ladder score of each item.

    Conditions form an ordered ladder (easiest help first, e.g. prompting strategies from
    role prompting to full few-shot chains); an item's score is the 1-based rank of the
    first condition at which it is solved, and ``penalty`` (default: number of conditions
    + 1) when none solves it. Lower is better.

    Parameters
    ----------
    solved : table with one row per (item, condition) and a boolean ``ok`` column
    order : the conditions in ladder order (default: sorted values of ``level``)

    Examples
    --------
    >>> t = pl.DataFrame({"item": ["q1", "q1", "q2", "q2"], "level": [1, 2, 1, 2],
    ...                   "solved": [False, True, False, False]})
    >>> ladder_score(t)["score"].to_list()
    [2.0, 3.0]
    """
    frame = solved if isinstance(solved, pl.DataFrame) else pl.DataFrame(solved)
    levels = order if order is not None else sorted(frame[level].unique().to_list())
    rank = {v: i + 1 for i, v in enumerate(levels)}
    pen = float(len(levels) + 1) if penalty is None else float(penalty)
    ranked = frame.with_columns(pl.col(level).replace_strict(rank, default=None).alias("_rank"))
    first = ranked.filter(pl.col(ok)).group_by(item).agg(pl.col("_rank").min().alias("first"))
    items = frame.select(item).unique(maintain_order=True)
    return (
        items.join(first, on=item, how="left")
        .with_columns(score=pl.col("first").cast(pl.Float64).fill_null(pen))
        .select(item, "score")
    )


def taxonomy_coherence(tree: Tree, embeddings: np.ndarray) -> pl.DataFrame:
    """Embedding coherence of a taxonomy, per internal node.

    ``embeddings`` has one row per node (cosine similarity is used). For each internal
    node with at least two children: ``sibling_cohesion`` (mean similarity among its
    children), ``parent_child`` (mean similarity of the node to its children) and
    ``separation`` (cohesion minus the mean similarity of its children to the children of
    other parents at the same depth; positive means siblings are closer to each other).

    Examples
    --------
    >>> t = Tree.from_paths(["A/a1", "A/a2", "B/b1", "B/b2"], root="r")
    >>> e = np.eye(7)[[0, 1, 1, 1, 2, 2, 2]] + 0.01  # A's and B's subtrees share vectors
    >>> bool(taxonomy_coherence(t, e).filter(pl.col("label") == "A")["separation"][0] > 0.5)
    True
    """
    emb = np.asarray(embeddings, dtype=float)
    if emb.shape[0] != tree.n_nodes or emb.ndim != 2:
        raise InputShapeError(
            f"embeddings need one row per node ({tree.n_nodes}), got shape {emb.shape}."
        )
    if not np.isfinite(emb).all():
        raise InvalidValueError("embeddings contain NaN or infinite values.")
    unit = emb / np.maximum(np.linalg.norm(emb, axis=1, keepdims=True), 1e-12)
    rows = []
    parents = np.flatnonzero(tree.n_children >= 2)
    for v in parents:  # one row per internal node (a summary, not a hot path)
        kids = tree.children(int(v))
        sim = unit[kids] @ unit[kids].T
        k = len(kids)
        cohesion = (sim.sum() - k) / (k * (k - 1))
        parent_child = float((unit[kids] @ unit[v]).mean())
        others = np.setdiff1d(np.flatnonzero(tree.depth == tree.depth[v] + 1), kids)
        outside = float((unit[kids] @ unit[others].T).mean()) if len(others) else np.nan
        rows.append(
            (
                int(v),
                str(tree.label[v]),
                int(tree.depth[v]),
                k,
                float(cohesion),
                parent_child,
                float(cohesion - outside) if len(others) else np.nan,
            )
        )
    return pl.DataFrame(
        rows,
        schema=[
            "node",
            "label",
            "depth",
            "n_children",
            "sibling_cohesion",
            "parent_child",
            "separation",
        ],
        orient="row",
    )


def cpcc(tree: Tree, embeddings: np.ndarray, nodes: Any = None) -> float:
    """Cophenetic-style correlation: Pearson correlation between tree distance and cosine
    distance of the embeddings over all pairs of ``nodes`` (default: the leaves).

    Examples
    --------
    >>> t = Tree.from_paths(["A/a1", "A/a2", "B/b1", "B/b2"], root="r")
    >>> e = np.eye(7)[[0, 1, 1, 1, 2, 2, 2]] + np.random.default_rng(0).normal(0, 0.01, (7, 7))
    >>> round(cpcc(t, e), 2) > 0.9
    True
    """
    emb = np.asarray(embeddings, dtype=float)
    if emb.shape[0] != tree.n_nodes:
        raise InputShapeError(
            f"embeddings need one row per node ({tree.n_nodes}), got {emb.shape[0]}."
        )
    ids = tree.leaves() if nodes is None else as_nodes(tree, nodes)
    unit = emb[ids] / np.maximum(np.linalg.norm(emb[ids], axis=1, keepdims=True), 1e-12)
    i, j = np.triu_indices(len(ids), k=1)
    tree_d = tree.distance(ids[i], ids[j]).astype(float)
    emb_d = 1.0 - (unit[i] * unit[j]).sum(axis=1)
    return float(np.corrcoef(tree_d, emb_d)[0, 1])
