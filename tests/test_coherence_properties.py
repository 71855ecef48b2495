"""Metrics against naive pure-Python references on random trees and random tables.

Every metric equals a set-by-set computation written without numpy, does not depend on
the order of the samples (rows), reads ids, string paths and tuple paths alike, and
treats repeats as documented (a multi-label sample is a set; a ladder table refuses a
repeated (item, step) pair).
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hierlab import Tree
from hierlab.coherence import (
    constrained_f1,
    hierarchical_prf,
    ladder_score,
    lca_prf,
    mistake_severity,
    path_f1,
    path_score,
    per_level_scores,
)
from hierlab.errors import DuplicateRowsError


@st.composite
def trees(draw: st.DrawFn, max_nodes: int = 30) -> Tree:
    n = draw(st.integers(2, max_nodes))
    parent = [-1] + [draw(st.integers(0, i - 1)) for i in range(1, n)]
    rank: dict[int, int] = {}
    labels = ["r"]
    for v in range(1, n):
        k = rank.get(parent[v], 0)
        rank[parent[v]] = k + 1
        labels.append("abcdefghij"[k % 10] + str(k // 10))
    return Tree(np.array(parent), labels)


@st.composite
def predictions(draw: st.DrawFn) -> tuple[Tree, list[int], list[int]]:
    tree = draw(trees())
    size = draw(st.integers(1, 25))
    nodes = st.integers(0, tree.n_nodes - 1)
    true = draw(st.lists(nodes, min_size=size, max_size=size))
    pred = draw(st.lists(nodes, min_size=size, max_size=size))
    return tree, true, pred


def up(tree: Tree, v: int) -> list[int]:
    """v and its ancestors below the root, walking parent links."""
    out = []
    while v > 0:
        out.append(v)
        v = int(tree.parent[v])
    return out


def naive_prf(samples: list[tuple[set, set]], average: str) -> dict[str, float]:
    if average == "micro":
        inter = sum(len(t & p) for t, p in samples)
        n_p, n_t = sum(len(p) for _, p in samples), sum(len(t) for t, _ in samples)
        p = inter / n_p if n_p else math.nan
        r = inter / n_t if n_t else math.nan
        f = 2 * p * r / (p + r) if (p + r) > 0 else 0.0
        return {"precision": p, "recall": r, "f1": f}
    if average == "per_sample":
        ps, rs, fs = [], [], []
        for t, p in samples:
            pi = len(t & p) / len(p) if p else math.nan
            ri = len(t & p) / len(t) if t else math.nan
            fi = 2 * pi * ri / (pi + ri) if (pi + ri) > 0 else 0.0
            if math.isnan(pi) and t:
                fi = 0.0
            ps.append(pi), rs.append(ri), fs.append(fi)

        def mean(xs: list[float]) -> float:
            xs = [x for x in xs if not math.isnan(x)]
            return sum(xs) / len(xs) if xs else math.nan

        return {"precision": mean(ps), "recall": mean(rs), "f1": mean(fs)}
    classes = set().union(*(t | p for t, p in samples))
    ps, rs, fs = [], [], []
    for c in classes:
        hit = sum(c in t and c in p for t, p in samples)
        n_p = sum(c in p for _, p in samples)
        n_t = sum(c in t for t, _ in samples)
        pc = hit / n_p if n_p else 0.0
        rc = hit / n_t if n_t else 0.0
        ps.append(pc), rs.append(rc), fs.append(2 * pc * rc / (pc + rc) if pc + rc else 0.0)
    k = len(classes)
    return {"precision": sum(ps) / k, "recall": sum(rs) / k, "f1": sum(fs) / k}


def same(a: dict, b: dict) -> bool:
    return all((math.isnan(a[k]) and math.isnan(b[k])) or a[k] == pytest.approx(b[k]) for k in a)


@settings(max_examples=80, deadline=None)
@given(predictions(), st.randoms(use_true_random=False))
def test_single_label_metrics_equal_the_naive_sets_and_ignore_row_order(data, rnd) -> None:
    tree, true, pred = data
    samples = [(set(up(tree, t)), set(up(tree, p))) for t, p in zip(true, pred, strict=True)]
    order = list(range(len(true)))
    rnd.shuffle(order)
    for average in ("micro", "per_sample", "per_class"):
        if average == "per_class" and not any(t | p for t, p in samples):
            continue
        ours = hierarchical_prf(tree, true, pred, average=average)
        assert same(ours, naive_prf(samples, average))
        shuffled = hierarchical_prf(
            tree, [true[i] for i in order], [pred[i] for i in order], average=average
        )
        assert same(ours, shuffled)
    # ids, string paths and tuple paths give the same numbers
    as_text = hierarchical_prf(tree, tree.paths(true, sep="/"), tree.paths(pred, sep="/"))
    as_tuples = hierarchical_prf(tree, tree.paths(true), tree.paths(pred))
    assert same(as_text, hierarchical_prf(tree, true, pred)) and same(as_tuples, as_text)
    # LCA-augmented sets (Kosmopoulos): each side up to, and including, the LCA below the root
    lca_samples = []
    for t, p in zip(true, pred, strict=True):
        common = set(up(tree, t)) & set(up(tree, p))
        stop = max(common, key=lambda v: tree.depth[v]) if common else None
        t_aug = {v for v in up(tree, t) if stop is None or tree.depth[v] >= tree.depth[stop]}
        p_aug = {v for v in up(tree, p) if stop is None or tree.depth[v] >= tree.depth[stop]}
        lca_samples.append((t_aug, p_aug))
    for average in ("micro", "per_sample"):
        assert same(lca_prf(tree, true, pred, average=average), naive_prf(lca_samples, average))
    # row-wise metrics follow the rows
    sev = mistake_severity(tree, [true[i] for i in order], [pred[i] for i in order])
    assert sev.equals(mistake_severity(tree, true, pred)[order])
    score = path_score(tree, true, pred)
    for i, (t, p) in enumerate(zip(true, pred, strict=True)):
        common = set(up(tree, t)) & set(up(tree, p))
        expected = len(common) / len(up(tree, t)) if up(tree, t) else math.nan
        assert (math.isnan(expected) and math.isnan(score[i])) or score[i] == pytest.approx(
            expected
        )
    levels = per_level_scores(tree, true, pred)
    shuffled_levels = per_level_scores(tree, [true[i] for i in order], [pred[i] for i in order])
    assert levels.equals(shuffled_levels)


@st.composite
def label_sets(draw: st.DrawFn) -> tuple[Tree, list[list[int]], list[list[int]]]:
    tree = draw(trees())
    size = draw(st.integers(1, 12))
    nodes = st.integers(1, tree.n_nodes - 1)
    sets = st.lists(nodes, min_size=0, max_size=4)
    true = draw(st.lists(sets, min_size=size, max_size=size))
    pred = draw(st.lists(sets, min_size=size, max_size=size))
    return tree, true, pred


def naive_label_f1(right: list[set], pred: list[set], true: list[set]) -> dict[str, float]:
    r, p, t = sum(map(len, right)), sum(map(len, pred)), sum(map(len, true))
    mp, mr = (r / p if p else 0.0), (r / t if t else 0.0)
    classes = set().union(*pred, *true)
    f1s = []
    for c in classes:
        hit = sum(c in s for s in right)
        pc = hit / sum(c in s for s in pred) if any(c in s for s in pred) else 0.0
        rc = hit / sum(c in s for s in true) if any(c in s for s in true) else 0.0
        f1s.append(2 * pc * rc / (pc + rc) if pc + rc else 0.0)
    return {
        "micro_precision": mp,
        "micro_recall": mr,
        "micro_f1": 2 * mp * mr / (mp + mr) if mp + mr else 0.0,
        "macro_f1": sum(f1s) / len(f1s) if f1s else 0.0,
    }


@settings(max_examples=80, deadline=None)
@given(label_sets(), st.randoms(use_true_random=False))
def test_set_metrics_equal_the_naive_sets_and_ignore_order_and_repeats(data, rnd) -> None:
    tree, true, pred = data
    ts, ps = [set(x) for x in true], [set(x) for x in pred]
    # constrained F1: a right label counts only when all its ancestors are right too
    right = []
    for t, p in zip(ts, ps, strict=True):
        both = t & p
        right.append({v for v in both if set(up(tree, v)[1:]) <= both})
    ours = constrained_f1(tree, true, pred)
    assert same(ours, naive_label_f1(right, ps, ts))
    # the order of samples, the order inside a sample and repeats do not matter
    order = list(range(len(true)))
    rnd.shuffle(order)
    shuffled = constrained_f1(
        tree, [sorted(true[i], reverse=True) * 2 for i in order], [pred[i] for i in order]
    )
    assert same(ours, shuffled)
    # path F1: complete root-to-leaf paths
    leaves = set(tree.leaves().tolist())

    def complete(s: set) -> set:
        return {v for v in s if v in leaves and set(up(tree, v)) <= s}

    tp, pp = [complete(s) for s in ts], [complete(s) for s in ps]
    right_paths = [a & b for a, b in zip(tp, pp, strict=True)]
    pf = path_f1(tree, true, pred)
    expected = naive_label_f1(right_paths, pp, tp)
    assert same({k: pf[k] for k in expected}, expected)
    assert pf["accuracy"] == pytest.approx(
        sum(t == p for t, p in zip(ts, ps, strict=True)) / len(ts)
    )
    # multi-label hierarchical P/R/F1 on sets with their ancestors
    if any(ts) or any(ps):
        samples = [
            ({a for v in t for a in up(tree, v)}, {a for v in p for a in up(tree, v)})
            for t, p in zip(ts, ps, strict=True)
        ]
        for average in ("micro", "per_sample"):
            got = hierarchical_prf(
                tree, [set(x) for x in true], [set(x) for x in pred], average=average
            )
            assert same(got, naive_prf(samples, average))


@st.composite
def ladders(draw: st.DrawFn) -> pl.DataFrame:
    n_items = draw(st.integers(1, 8))
    steps = draw(st.lists(st.integers(0, 9), min_size=1, max_size=4, unique=True))
    rows = [
        (f"q{i}", s, draw(st.booleans()))
        for i in range(n_items)
        for s in steps
        if draw(st.booleans()) or s == steps[0]
    ]
    return pl.DataFrame(rows, schema=["item", "step", "correct"], orient="row")


@settings(max_examples=80, deadline=None)
@given(ladders(), st.randoms(use_true_random=False))
def test_ladder_score_equals_the_naive_first_success_and_ignores_row_order(table, rnd) -> None:
    steps = sorted(set(table["step"].to_list()))
    expected = {}
    for item, step, correct in table.rows():
        rank = steps.index(step) + 1
        best = expected.get(item, len(steps) + 1)
        expected[item] = min(best, rank) if correct else best
    ours = ladder_score(table)
    assert dict(ours.rows()) == pytest.approx(expected)
    order = list(range(table.height))
    rnd.shuffle(order)
    assert dict(ladder_score(table[order]).rows()) == dict(ours.rows())
    with pytest.raises(DuplicateRowsError, match=r"\('q0',"):
        ladder_score(pl.concat([table, table.head(1)]))
