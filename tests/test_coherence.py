"""Hierarchy-aware metrics: HiClass agreement, hand-computed cases, properties, real paths."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hiclass import metrics as hiclass_metrics
from hypothesis import given, settings
from hypothesis import strategies as st

from hierlab import Tree
from hierlab.coherence import (
    constrained_f1,
    embedding_distance_correlation,
    hierarchical_distance_at_k,
    hierarchical_precision_at_k,
    hierarchical_prf,
    inconsistency_rate,
    ladder_score,
    lca_prf,
    mistake_severity,
    path_f1,
    path_score,
    per_level_scores,
    taxonomy_coherence,
)
from hierlab.datasets import load_demo
from hierlab.errors import InputShapeError, InputTypeError, InvalidValueError


def balanced_tree(branching: int = 3, depth: int = 3, unique: bool = True) -> Tree:
    paths = [[]]
    for _ in range(depth):
        paths = [[*p, i] for p in paths for i in range(branching)]
    if unique:  # every label names its own path ("0.2.1")
        labels = [[".".join(map(str, p[: k + 1])) for k in range(depth)] for p in paths]
    else:
        labels = [[str(x) for x in p] for p in paths]
    return Tree.from_paths(labels, root="root")


def level_array(tree: Tree, nodes: np.ndarray) -> np.ndarray:
    """HiClass input: one row per sample, one column per level, '' past the node."""
    width = tree.max_depth
    out = np.full((len(nodes), width), "", dtype=object)
    for i, v in enumerate(nodes):
        path = tree.path(int(v))[1:]
        out[i, : len(path)] = path
    return out


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_same_numbers_as_hiclass_when_labels_are_unique(seed: int) -> None:
    tree = balanced_tree(3, 4)
    rng = np.random.default_rng(seed)
    leaves = tree.leaves()
    true = rng.choice(leaves, 400)
    pred = rng.choice(leaves, 400)
    near = rng.random(400) < 0.5  # half the predictions share a long prefix with the truth
    pred[near] = tree.ancestor_at(true[near], 2) + 0  # stop at depth 2 (shallower)
    yt, yp = level_array(tree, true), level_array(tree, pred)
    for ours_avg, theirs_avg in (("micro", "micro"), ("per_sample", "macro")):
        ours = hierarchical_prf(tree, true, pred, average=ours_avg)
        assert ours["precision"] == pytest.approx(
            hiclass_metrics.precision(yt, yp, average=theirs_avg)
        )
        assert ours["recall"] == pytest.approx(hiclass_metrics.recall(yt, yp, average=theirs_avg))
    micro = hierarchical_prf(tree, true, pred)
    assert micro["f1"] == pytest.approx(hiclass_metrics.f1(yt, yp, average="micro"))


def test_duplicate_labels_hiclass_is_wrong_hierlab_is_right() -> None:
    """[A, B, D] vs [A, C, D]: the two D's are different nodes; only A is shared."""
    tree = Tree.from_paths(["A/B/D", "A/C/D"], root="root")
    yt = np.array([["A", "B", "D"]])
    yp = np.array([["A", "C", "D"]])
    assert hiclass_metrics.f1(yt, yp) == pytest.approx(2 / 3)  # counts the D's as a match
    ours = hierarchical_prf(tree, ["A/B/D"], ["A/C/D"])
    assert ours["f1"] == pytest.approx(1 / 3)
    assert ours["precision"] == pytest.approx(1 / 3) and ours["recall"] == pytest.approx(1 / 3)


def test_hand_computed_set_metrics() -> None:
    tree = Tree.from_paths(["A/B/D", "A/B/E", "A/C/F", "G/H"], root="r")
    true = ["A/B/D", "A/C/F", "G/H"]
    pred = ["A/B/E", "A/C", "G/H"]  # sibling mistake, early stop, exact
    # intersections 2, 2, 2; |P| 3, 2, 2; |T| 3, 3, 2
    micro = hierarchical_prf(tree, true, pred)
    assert micro["precision"] == pytest.approx(6 / 7) and micro["recall"] == pytest.approx(6 / 8)
    per_sample = hierarchical_prf(tree, true, pred, average="per_sample")
    assert per_sample["precision"] == pytest.approx((2 / 3 + 1 + 1) / 3)
    assert per_sample["recall"] == pytest.approx((2 / 3 + 2 / 3 + 1) / 3)
    per_class = hierarchical_prf(tree, true, pred, average="per_class")
    # classes A, B, D, E, C, F, G, H: precision 1,1,0,0,1,0(no pred->0),1,1 ; recall 1,1,0,0(E not true -> 0),1,0,1,1
    assert per_class["precision"] == pytest.approx(5 / 8)
    assert per_class["recall"] == pytest.approx(5 / 8)


def test_multi_label_sets() -> None:
    tree = Tree.from_paths(["A/B", "A/C", "D/E"], root="r")
    b, c, e = tree.find(["A/B", "A/C", "D/E"])
    true = [{int(b), int(e)}]  # labels A, B, D, E
    pred = [{int(c)}]  # labels A, C
    out = hierarchical_prf(tree, true, pred)
    assert out["precision"] == pytest.approx(1 / 2) and out["recall"] == pytest.approx(1 / 4)


def test_root_only_prediction_has_no_precision_and_zero_recall() -> None:
    tree = Tree.from_paths(["A/B", "C/D"], root="r")
    d = int(tree.find("C/D"))
    out = hierarchical_prf(tree, tree.find(["A/B", "C/D"]), np.array([0, d]), average="per_sample")
    assert out["precision"] == 1.0  # the root-only prediction is left out of precision
    assert out["recall"] == pytest.approx(0.5) and out["f1"] == pytest.approx(0.5)
    micro = hierarchical_prf(tree, tree.find(["A/B", "C/D"]), np.array([0, d]))
    assert micro["precision"] == 1.0 and micro["recall"] == pytest.approx(0.5)


def test_lca_metrics_by_hand() -> None:
    tree = Tree.from_paths(["A/B/D", "A/C/E", "F/G"], root="r")
    out = lca_prf(tree, ["A/B/D", "A/B/D", "A/B/D"], ["A/C/E", "A/B", "F/G"], average="per_sample")
    # 1: sets {A,B,D} vs {A,C,E}: 1/3, 1/3; 2: pred is an ancestor: T_aug {B, D}, P_aug {B}: P 1, R 1/2
    # 3: LCA at the root: nothing shared: 0, 0
    assert out["precision"] == pytest.approx((1 / 3 + 1 + 0) / 3)
    assert out["recall"] == pytest.approx((1 / 3 + 1 / 2 + 0) / 3)
    assert lca_prf(tree, ["A/B/D"], ["A/B/D"])["f1"] == 1.0
    with pytest.raises(ValueError, match="single-label"):
        lca_prf(tree, [{1}], [{2}])


def test_severity_distance_and_ranked_metrics() -> None:
    tree = Tree.from_paths(["A/B/D", "A/B/F", "A/C/E", "G/H/I"], root="r")
    sev = mistake_severity(tree, ["A/B/D", "A/B/D"], ["A/B/F", "G/H/I"])
    assert sev["distance"].to_list() == [2, 6] and sev["lca_height"].to_list() == [1, 3]
    ranked = np.array([tree.find(["G/H/I", "A/B/F", "A/C/E"])])
    assert hierarchical_distance_at_k(tree, ["A/B/D"], ranked, 3) == pytest.approx((3 + 1 + 2) / 3)
    # the 3 leaves closest to D (D itself, F at height 1, E at height 2): F and E are close, I is not
    assert hierarchical_precision_at_k(tree, ["A/B/D"], ranked, 3) == pytest.approx(2 / 3)


def test_per_level_and_path_scores() -> None:
    tree = Tree.from_paths(["A/B/D", "A/B/E", "A/C/F"], root="r")
    out = per_level_scores(tree, ["A/B/D", "A/C/F"], ["A/B/E", "A/B/D"])
    assert out["accuracy"].to_list() == [1.0, 0.5, 0.0, 0.0]  # depths 1, 2, 3, full path
    assert path_score(tree, ["A/B/D", "A/C/F"], ["A/B/E", "A/B/D"]).tolist() == [2 / 3, 1 / 3]
    # leaving out level 1 (a hint): 1/2 and 0/2
    assert path_score(tree, ["A/B/D", "A/C/F"], ["A/B/E", "A/B/D"], exclude_depth=1).tolist() == [
        0.5,
        0.0,
    ]


def test_inconsistency_constrained_and_path_f1() -> None:
    tree = Tree.from_paths(["A/a1", "A/a2", "B/b1"], root="r")
    levels = pl.DataFrame({"l1": ["A", "A", "B"], "l2": ["a1", "b1", "b1"]})
    assert inconsistency_rate(tree, levels)["rate"] == pytest.approx(1 / 3)
    a, a1, b, b1 = (int(x) for x in tree.find(["A", "A/a1", "B", "B/b1"]))
    true = [{a, a1}, {b, b1}]
    pred = [{b, a1}, {b, b1}]  # sample 1: a1 right but its parent A wrong
    c = constrained_f1(tree, true, pred)
    assert c["micro_precision"] == pytest.approx(2 / 4)  # only B and b1 of sample 2 count
    p = path_f1(tree, true, pred)
    assert p["micro_precision"] == pytest.approx(1.0) and p["micro_recall"] == pytest.approx(0.5)
    assert p["accuracy"] == pytest.approx(0.5)


def test_ladder_score() -> None:
    t = pl.DataFrame(
        {
            "item": ["a", "a", "a", "b", "b", "b"],
            "step": ["role", "zero-shot", "few-shot"] * 2,
            "correct": [0, 0, 1, 0, 0, 0],
        }
    )
    out = ladder_score(t, order=["role", "zero-shot", "few-shot"])
    assert dict(out.iter_rows()) == {"a": 3.0, "b": 4.0}
    renamed = t.rename({"step": "prompt", "correct": "solved"})
    assert ladder_score(renamed, step="prompt", correct="solved").equals(
        ladder_score(t)  # sorted step order: few-shot, role, zero-shot
    )
    with pytest.raises(InvalidValueError, match="'few-shot'"):
        ladder_score(t, order=["role", "zero-shot"])


def test_taxonomy_coherence_and_distance_correlation() -> None:
    tree = Tree.from_paths(["A/a1", "A/a2", "B/b1", "B/b2"], root="r")
    rng = np.random.default_rng(0)
    centres = {"A": rng.normal(size=16), "B": rng.normal(size=16)}
    emb = np.zeros((tree.n_nodes, 16))
    for v in range(tree.n_nodes):
        top = tree.path(v)[1] if tree.depth[v] else None
        emb[v] = (centres[top] if top else 0) + rng.normal(0, 0.1, 16)
    emb[0] = rng.normal(size=16)
    coh = taxonomy_coherence(tree, emb)
    assert coh.filter(pl.col("label") == "A")["separation"][0] > 0.5
    assert embedding_distance_correlation(tree, emb) > 0.8
    noise = rng.normal(size=(tree.n_nodes, 16))
    assert abs(embedding_distance_correlation(tree, noise)) < 0.8
    assert embedding_distance_correlation(tree, emb, nodes=tree.leaves()) == pytest.approx(
        embedding_distance_correlation(tree, emb)
    )
    with pytest.raises(InputShapeError, match="one row per node"):
        taxonomy_coherence(tree, emb[:3])


def test_taxonomy_coherence_matches_a_direct_computation() -> None:
    tree = Tree.from_paths(["A/a1", "A/a2", "A/a3", "B/b1", "B/b2", "C/c1"], root="r")
    emb = np.random.default_rng(5).normal(size=(tree.n_nodes, 8))
    unit = emb / np.linalg.norm(emb, axis=1, keepdims=True)
    coh = taxonomy_coherence(tree, emb)
    assert coh["label"].to_list() == ["r", "A", "B"]  # C has a single child
    for row in coh.iter_rows(named=True):
        kids = tree.children(row["node"])
        sim = unit[kids] @ unit[kids].T
        k = len(kids)
        assert row["sibling_cohesion"] == pytest.approx((sim.sum() - k) / (k * (k - 1)))
        assert row["parent_child"] == pytest.approx((unit[kids] @ unit[row["node"]]).mean())
        others = np.setdiff1d(tree.at_depth(row["depth"] + 1), kids)
        if len(others) == 0:  # the root's children have no cousins
            assert np.isnan(row["separation"])
            continue
        outside = (unit[kids] @ unit[others].T).mean()
        assert row["separation"] == pytest.approx(row["sibling_cohesion"] - outside)


def test_wrong_input_names_the_argument() -> None:
    tree = Tree.from_paths(["A/B", "A/C"], root="r")
    with pytest.raises(InputTypeError, match="`tree`"):
        hierarchical_prf(object(), ["A/B"], ["A/C"])  # type: ignore[arg-type]
    with pytest.raises(InputTypeError, match="`pred`"):
        hierarchical_prf(tree, ["A/B"], object())
    with pytest.raises(InputShapeError, match="`true` has 2 predictions but `pred` has 1"):
        lca_prf(tree, ["A/B", "A/C"], ["A/C"])
    with pytest.raises(InvalidValueError, match="average"):
        hierarchical_prf(tree, ["A/B"], ["A/C"], average="macro")  # type: ignore[arg-type]
    with pytest.raises(InputTypeError, match="`true_sets`"):
        constrained_f1(tree, object(), [["A"]])
    with pytest.raises(InvalidValueError, match="`k`"):
        hierarchical_distance_at_k(tree, ["A/B"], np.array([[1]]), 0)


@st.composite
def predictions(draw: st.DrawFn):
    tree = balanced_tree(
        draw(st.integers(2, 4)), draw(st.integers(1, 4)), unique=draw(st.booleans())
    )
    n = draw(st.integers(1, 30))
    seed = draw(st.integers(0, 10**6))
    rng = np.random.default_rng(seed)
    true = rng.choice(tree.leaves(), n)
    pred = rng.integers(0, tree.n_nodes, n)
    return tree, true, pred


@settings(max_examples=80, deadline=None)
@given(predictions())
def test_metric_properties(case) -> None:
    tree, true, pred = case
    for average in ("micro", "per_sample", "per_class"):
        out = hierarchical_prf(tree, true, pred, average=average)
        assert all(0 <= v <= 1 or np.isnan(v) for v in out.values())
        perfect = hierarchical_prf(tree, true, true, average=average)
        assert perfect["f1"] == pytest.approx(1.0)
    # swapping truth and prediction swaps precision and recall (micro)
    a = hierarchical_prf(tree, true, pred)
    b = hierarchical_prf(tree, pred, true)
    if not np.isnan(a["precision"]) and not np.isnan(b["recall"]):
        assert a["precision"] == pytest.approx(b["recall"]) and a["f1"] == pytest.approx(b["f1"])
    lca = lca_prf(tree, true, pred)
    assert all(0 <= v <= 1 or np.isnan(v) for v in lca.values())
    scores = path_score(tree, true, pred)
    assert np.all((scores >= 0) & (scores <= 1))


def test_demo_predictions_rank_models_by_ability() -> None:
    demo = load_demo(n_items=300, n_models=6, seed=3)
    p = demo.predictions
    f1 = [
        hierarchical_prf(demo.tree, g["true"].to_numpy(), g["pred"].to_numpy())["f1"]
        for _, g in p.group_by("model", maintain_order=True)
    ]
    assert f1 == sorted(f1, reverse=True)  # abilities are planted in decreasing order


@pytest.mark.mirror
@pytest.mark.usefixtures("data_env")
def test_earthwhere_answer_paths() -> None:
    from hierlab.datasets import fetch_earthwhere

    ws = fetch_earthwhere().street_items.filter(pl.col("path").is_not_null())
    tree = Tree.from_paths(ws["path"], root="World")
    true = tree.find(ws["path"])
    # a geolocator that always stops one level early keeps precision and loses recall
    early = np.where(tree.depth[true] > 1, tree.parent[true], true)
    out = hierarchical_prf(tree, true, early)
    assert out["precision"] == 1.0 and 0.5 < out["recall"] < 1.0
    assert per_level_scores(tree, true, true)["accuracy"].min() == 1.0
