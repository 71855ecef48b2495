"""Hostile inputs for trees, tree comparison and taxonomy building: each one a named error.

Every case asserts the hierlab error class and that the message names the offending rows,
nodes, labels or columns (see ``cases.py`` for the table format).
"""

from __future__ import annotations

import json

import networkx as nx
import numpy as np
import pandas as pd
import polars as pl

from hierlab import Tree
from hierlab.compare import (
    compare_trees,
    edge_prf,
    fowlkes_mallows_by_level,
    tree_distance_correlation,
    tree_edit_distance,
)
from hierlab.errors import (
    AmbiguousLabelError,
    CycleError,
    EmptyInputError,
    InputShapeError,
    InputTypeError,
    InvalidValueError,
    MissingValueError,
    MultipleParentsError,
    MultipleRootsError,
    NullLabelError,
    OutputTooLargeError,
    UnknownNodeError,
    UnknownParentError,
)
from hierlab.taxonomy import (
    build_bottom_up,
    build_top_down,
    evaluate_expansion,
    label_nodes,
    rank_positions,
)
from hierlab.tree import join_path, split_path
from tests.bad_inputs.cases import Hostile, check, hostile

NAN = float("nan")
T = Tree.from_paths(["A/B/D", "A/C/E", "F/G", "F/Paris", "A/B/Paris"], root="r")
CHAIN = Tree(np.arange(-1, 8191), [f"n{i}" for i in range(8192)])  # 33,558,528 path labels


def self_referencing() -> dict:
    nested: dict = {"a": {"b": {}}}
    nested["a"]["b"]["c"] = nested
    return nested


def d3_cycle() -> dict:
    node: dict = {"name": "top", "children": []}
    node["children"].append({"name": "mid", "children": [node]})
    return node


def graph_with_nan_label() -> nx.DiGraph:
    g = nx.DiGraph([("r", "x"), ("r", "y")])
    g.nodes["y"]["label"] = NAN
    return g


TREE_CASES = [
    # ---- labels: null, NaN, NA, empty, mixed types
    Hostile(
        "paths nan label",
        lambda: Tree.from_paths([["a", "b"], ["a", NAN]]),
        NullLabelError,
        ("row(s) 1",),
    ),
    Hostile(
        "paths pandas NA label",
        lambda: Tree.from_paths([("a", pd.NA)]),
        NullLabelError,
        ("row(s) 0",),
    ),
    Hostile(
        "paths None label",
        lambda: Tree.from_paths([("a", "b"), ("a", None)]),
        NullLabelError,
        ("row(s) 1",),
    ),
    Hostile(
        "paths 1 and '1'",
        lambda: Tree.from_paths([["a", 1], ["a", "1"]]),
        InputTypeError,
        ("integer 1", "text", "'1'", "row(s) 0"),
    ),
    Hostile(
        "paths int and float",
        lambda: Tree.from_paths([[1, 2], [1, 2.5]]),
        InputTypeError,
        ("float 2.5",),
    ),
    Hostile(
        "paths object label",
        lambda: Tree.from_paths([("a", {"x": 1})]),
        InputTypeError,
        ("dict", "row(s) 0"),
    ),
    Hostile(
        "paths empty string", lambda: Tree.from_paths(["a/b", ""]), NullLabelError, ("row(s) 1",)
    ),
    Hostile(
        "paths doubled separator",
        lambda: Tree.from_paths(["a/b", "a//c"]),
        NullLabelError,
        ("row(s) 1", "doubled"),
    ),
    Hostile(
        "paths empty tuple", lambda: Tree.from_paths([("a",), ()]), NullLabelError, ("row(s) 1",)
    ),
    Hostile(
        "paths None path", lambda: Tree.from_paths(["a/b", None]), NullLabelError, ("row(s) 1",)
    ),
    Hostile("paths nan path", lambda: Tree.from_paths(["a/b", NAN]), NullLabelError, ("row(s) 1",)),
    Hostile(
        "paths lone backslash",
        lambda: Tree.from_paths(["a/b", "C:\\temp/x"]),
        InvalidValueError,
        ("row(s) 1", "C:\\\\temp"),
    ),
    Hostile(
        "paths set",
        lambda: Tree.from_paths([("a", "b"), {"a", "c"}]),
        InputTypeError,
        ("row(s) 1", "set"),
    ),
    Hostile(
        "paths int path", lambda: Tree.from_paths(["a/b", 7]), InputTypeError, ("row(s) 1", "int")
    ),
    Hostile("paths bare string", lambda: Tree.from_paths("a/b"), InputTypeError, ("wrap",)),
    Hostile("paths dict", lambda: Tree.from_paths({"a": "b"}), InputTypeError, ("`paths`", "dict")),
    Hostile(
        "paths backslash sep",
        lambda: Tree.from_paths(["a\\b"], sep="\\"),
        InvalidValueError,
        ("'\\\\'",),
    ),
    Hostile(
        "paths empty sep", lambda: Tree.from_paths(["a/b"], sep=""), InvalidValueError, ("`sep`",)
    ),
    Hostile(
        "paths two tops",
        lambda: Tree.from_paths(["Europe/France", "Asia/Japan"]),
        MultipleRootsError,
        ("'Europe'", "'Asia'", "root="),
    ),
    Hostile(
        "paths nan root", lambda: Tree.from_paths(["a/b"], root=NAN), NullLabelError, ("`root`",)
    ),
    Hostile("paths empty list", lambda: Tree.from_paths([]), EmptyInputError, ("`paths`",)),
    Hostile(
        "paths float series",
        lambda: Tree.from_paths(pl.Series([1.0, 2.0])),
        InputTypeError,
        ("Float64",),
    ),
    # ---- the parent-array constructor
    Hostile("tree NA label", lambda: Tree([-1, 0], ["r", pd.NA]), NullLabelError, ("node(s) 1",)),
    Hostile(
        "tree mixed labels",
        lambda: Tree([-1, 0, 0], ["r", 1, "1"]),
        InputTypeError,
        ("integer 1 at node(s) 1",),
    ),
    Hostile("tree cycle", lambda: Tree([-1, 2, 1], ["r", "a", "b"]), CycleError, ("1 -> 2 -> 1",)),
    Hostile(
        "tree parent out of range",
        lambda: Tree([-1, 5], ["r", "a"]),
        UnknownParentError,
        ("1 -> 5",),
    ),
    Hostile("tree two roots", lambda: Tree([-1, -1], ["r", "s"]), MultipleRootsError, ("0, 1",)),
    Hostile(
        "tree label count", lambda: Tree([-1, 0], ["r"]), InputShapeError, ("1 entries", "has 2")
    ),
    Hostile(
        "tree float parents", lambda: Tree([-1.0, 0.0], ["r", "a"]), InputTypeError, ("float64",)
    ),
    Hostile(
        "tree sibling twins",
        lambda: Tree([-1, 0, 0], ["r", "a", "a"]),
        AmbiguousLabelError,
        ("'a' under 'r'",),
    ),
    Hostile("tree empty", lambda: Tree([], []), EmptyInputError, ("`parent`",)),
    # ---- edges
    Hostile(
        "edges 1 and '1'",
        lambda: Tree.from_edges([(1, "r"), ("1", "r")]),
        InputTypeError,
        ("integer 1", "edge row(s) 0"),
    ),
    Hostile(
        "edges nan child",
        lambda: Tree.from_edges([("a", "r"), (NAN, "r")]),
        NullLabelError,
        ("row(s) 1",),
    ),
    Hostile(
        "edges nan parent column",
        lambda: Tree.from_edges(
            pl.DataFrame({"child": [1.0, 2.0, 3.0], "parent": [None, 1.0, NAN]})
        ),
        NullLabelError,
        ("parent", "row(s) 2"),
    ),
    Hostile(
        "edges dag",
        lambda: Tree.from_edges([("x", "a"), ("x", "b"), ("a", "r"), ("b", "r")]),
        MultipleParentsError,
        ("'x' has parents 'a', 'b'",),
    ),
    Hostile(
        "edges undeclared parent",
        lambda: Tree.from_edges(pl.DataFrame({"child": ["r", "a"], "parent": [None, "ghost"]})),
        UnknownParentError,
        ("'ghost'",),
    ),
    Hostile(
        "edges cycle", lambda: Tree.from_edges([("a", "b"), ("b", "a")]), CycleError, ("'a'", "'b'")
    ),
    Hostile(
        "edges two labels for a node",
        lambda: Tree.from_edges(
            pl.DataFrame({"child": ["a", "a"], "parent": ["r", "r"], "name": ["x", "y"]}),
            label="name",
        ),
        InvalidValueError,
        ("'a' is labelled 'x', 'y'",),
    ),
    Hostile(
        "edges nan label",
        lambda: Tree.from_edges(
            pl.DataFrame({"child": ["a", "b"], "parent": ["r", "r"], "name": [1.5, NAN]}),
            label="name",
        ),
        NullLabelError,
        ("row(s) 1",),
    ),
    Hostile(
        "edges missing column",
        lambda: Tree.from_edges(pl.DataFrame({"kid": ["a"], "parent": ["r"]})),
        InputShapeError,
        ("'child'", "'kid'"),
    ),
    Hostile(
        "edges int and text keys",
        lambda: Tree.from_edges(pl.DataFrame({"child": [1, 2], "parent": ["0", "0"]})),
        InputTypeError,
        ("Int64", "String"),
    ),
    Hostile(
        "edges triples", lambda: Tree.from_edges([("a", "b", "c")]), InputShapeError, ("row(s) 0",)
    ),
    Hostile(
        "edges on_multiple_parents",
        lambda: Tree.from_edges([("a", "r")], on_multiple_parents="last"),
        InvalidValueError,
        ("'last'",),
    ),
    # ---- level tables
    Hostile(
        "levels pandas mixed column",
        lambda: Tree.from_levels(pd.DataFrame({"a": ["x", "x"], "b": [1, "1"]})),
        InputTypeError,
        ("'b'", "int 1 at row 0", "str '1' at row 1"),
    ),
    Hostile(
        "levels interior null",
        lambda: Tree.from_levels(pl.DataFrame({"a": ["x", None], "b": ["y", "z"]})),
        NullLabelError,
        ("row(s) 1", "on_null='skip'"),
    ),
    Hostile(
        "levels all null row",
        lambda: Tree.from_levels(pl.DataFrame({"a": ["x", None], "b": ["y", None]})),
        NullLabelError,
        ("row(s) 1",),
    ),
    Hostile(
        "levels nan interior",
        lambda: Tree.from_levels(pl.DataFrame({"a": [1.0, NAN], "b": ["y", "z"]})),
        NullLabelError,
        ("row(s) 1",),
    ),
    Hostile(
        "levels list column",
        lambda: Tree.from_levels(pl.DataFrame({"a": ["x"], "b": [["y", "z"]]})),
        InputTypeError,
        ("'b'",),
    ),
    Hostile(
        "levels as string",
        lambda: Tree.from_levels({"a": ["x"]}, levels="a"),
        InputTypeError,
        ("'a'",),
    ),
    Hostile(
        "levels unknown column",
        lambda: Tree.from_levels({"a": ["x"]}, levels=["a", "b"]),
        InputShapeError,
        ("'b'",),
    ),
    Hostile(
        "levels on_null",
        lambda: Tree.from_levels({"a": ["x"]}, on_null="drop"),
        InvalidValueError,
        ("'drop'",),
    ),
    # ---- nested dicts
    Hostile(
        "nested contains itself",
        lambda: Tree.from_nested(self_referencing()),
        CycleError,
        ("'a' -> 'b' -> 'c'",),
    ),
    Hostile(
        "nested d3 cycle", lambda: Tree.from_nested(d3_cycle()), CycleError, ("'mid' -> 'top'",)
    ),
    Hostile(
        "nested None key",
        lambda: Tree.from_nested({"r": {None: {}}}),
        NullLabelError,
        ("None under 'r'",),
    ),
    Hostile(
        "nested nan key",
        lambda: Tree.from_nested({"r": {NAN: {}, "x": {}}}),
        NullLabelError,
        ("nan under 'r'",),
    ),
    Hostile(
        "nested mixed keys",
        lambda: Tree.from_nested({"r": {1: {}, "1": {}}}),
        InputTypeError,
        ("integer 1", "'1'"),
    ),
    Hostile("nested bad json", lambda: Tree.from_nested('{"a": '), InvalidValueError, ("JSON",)),
    Hostile(
        "nested number value",
        lambda: Tree.from_nested({"a": 5}),
        InputTypeError,
        ("Under 'a'", "int"),
    ),
    Hostile(
        "nested json empty", lambda: Tree.from_nested(json.dumps({})), EmptyInputError, ("empty",)
    ),
    Hostile(
        "networkx nan label",
        lambda: Tree.from_networkx(graph_with_nan_label()),
        NullLabelError,
        ("graph node(s) 'y'",),
    ),
    Hostile(
        "networkx undirected",
        lambda: Tree.from_networkx(nx.Graph([(1, 2)])),
        InputTypeError,
        ("bfs_tree",),
    ),
    # ---- linkage
    Hostile(
        "linkage shape",
        lambda: Tree.from_linkage(np.zeros((2, 3)), ["a", "b", "c"]),
        InputShapeError,
        ("(2, 3)",),
    ),
    Hostile(
        "linkage label count",
        lambda: Tree.from_linkage(np.array([[0.0, 1.0, 1.0, 2.0]]), ["a"]),
        InputShapeError,
        ("2 observations", "1 labels"),
    ),
    Hostile(
        "linkage label format",
        lambda: Tree.from_linkage(
            np.array([[0.0, 1.0, 1.0, 2.0]]), ["a", "b"], internal_label="c{x}"
        ),
        InvalidValueError,
        ("'c{x}'",),
    ),
    Hostile(
        "linkage nan label",
        lambda: Tree.from_linkage(np.array([[0.0, 1.0, 1.0, 2.0]]), ["a", NAN]),
        NullLabelError,
        ("observation(s) 1",),
    ),
    # ---- finding nodes
    Hostile("find unknown path", lambda: T.find(["A/B/D", "A/X"]), UnknownNodeError, ("'A/X'",)),
    Hostile(
        "find label with separator",
        lambda: T.find(("A", "B/D")),
        UnknownNodeError,
        ("'A/B\\\\/D'",),
    ),
    Hostile("find mixed label types", lambda: T.find([("A", 1)]), InputTypeError, ("integer 1",)),
    Hostile(
        "node ids mixed",
        lambda: T.node_ids([1, "A/B"], what="pred"),
        InputTypeError,
        ("`pred`", "row(s) 0", "row(s) 1"),
    ),
    Hostile(
        "node ids mixed pandas",
        lambda: T.node_ids(pd.Series([2, "A/C", 3]), what="true"),
        InputTypeError,
        ("`true`", "row(s) 1"),
    ),
    Hostile(
        "node ids nan",
        lambda: T.node_ids(np.array([1.0, NAN]), what="true"),
        MissingValueError,
        ("`true`", "1 row(s): 1"),
    ),
    Hostile(
        "node ids None", lambda: T.node_ids(["A/B", None]), MissingValueError, ("1 row(s): 1",)
    ),
    Hostile(
        "node ids pandas NA",
        lambda: T.node_ids(pd.Series([1, None], dtype="Int64")),
        MissingValueError,
        ("row(s): 1",),
    ),
    Hostile(
        "node ids fraction", lambda: T.node_ids([1.0, 2.5]), InvalidValueError, ("row(s) 1", "2.5")
    ),
    Hostile("node ids set", lambda: T.node_ids({1, 2}), InputTypeError, ("set",)),
    Hostile(
        "node ids out of range",
        lambda: T.node_ids([1, 99], what="pred"),
        UnknownNodeError,
        ("`pred`", "99"),
    ),
    Hostile("node ids bool", lambda: T.node_ids(True), InputTypeError, ("boolean",)),
    Hostile(
        "node ids nested sets",
        lambda: T.node_ids([{1}, {2}]),
        InputTypeError,
        ("row(s) 0, 1", "multi-label"),
    ),
    Hostile(
        "find label ambiguous",
        lambda: T.find_label("Paris"),
        AmbiguousLabelError,
        ("'r/A/B/Paris'", "'r/F/Paris'"),
    ),
    Hostile(
        "find label unknown", lambda: T.find_label(["B", "Nope"]), UnknownNodeError, ("'Nope'",)
    ),
    # ---- queries and exports
    Hostile("lca path", lambda: T.lca("A/B", 0), InputTypeError, ("Tree.find",)),
    Hostile("ancestor_at float depth", lambda: T.ancestor_at(1, 1.5), InputTypeError, ("`depth`",)),
    Hostile("at_depth text", lambda: T.at_depth("1"), InputTypeError, ("'1'",)),
    Hostile("children of many", lambda: T.children([1, 2]), InputTypeError, ("one node id",)),
    Hostile("to_polars path flag", lambda: T.to_polars(path="yes"), InputTypeError, ("`path`",)),
    Hostile(
        "deep to_polars",
        lambda: CHAIN.to_polars(),
        OutputTooLargeError,
        ("33,558,528 labels", "path=False"),
    ),
    Hostile(
        "deep paths",
        lambda: CHAIN.paths(sep="/"),
        OutputTooLargeError,
        ("33,558,528", "fewer nodes"),
    ),
    Hostile(
        "deep ancestors",
        lambda: CHAIN.ancestors(np.arange(8192)),
        OutputTooLargeError,
        ("ancestor_pairs",),
    ),
    Hostile("join nan label", lambda: join_path(["a", NAN]), NullLabelError, ("position(s) 1",)),
    Hostile("split not text", lambda: split_path(["a", "b"]), InputTypeError, ("`path`",)),
]

A = Tree.from_paths(["food/fruit/apple", "food/fruit/pear", "food/veg/leek"])
B = Tree.from_paths(["r/c1/apple", "r/c1/pear", "r/c2/leek"])
TWINS = Tree.from_paths(["r/a/x", "r/b/x"])
OTHER = Tree.from_paths(["q/u", "q/v"])

COMPARE_CASES = [
    Hostile(
        "compare match", lambda: edge_prf(A, B, match="id"), InvalidValueError, ("'id'", "'leaves'")
    ),
    Hostile(
        "compare label twins",
        lambda: edge_prf(A, TWINS),
        AmbiguousLabelError,
        ("candidate tree repeats 'x'",),
    ),
    Hostile(
        "compare leaf twins",
        lambda: compare_trees(A, TWINS, match="leaves"),
        AmbiguousLabelError,
        ("repeats 'x'",),
    ),
    Hostile(
        "compare no common leaves",
        lambda: fowlkes_mallows_by_level(A, OTHER),
        InputShapeError,
        ("share 0 leaf",),
    ),
    Hostile(
        "compare shuffles",
        lambda: compare_trees(A, B, n_shuffles=-1),
        InvalidValueError,
        ("`n_shuffles`", "-1"),
    ),
    Hostile(
        "compare seed", lambda: compare_trees(A, B, seed="x"), InputTypeError, ("`seed`", "'x'")
    ),
    Hostile(
        "distance max_pairs",
        lambda: tree_distance_correlation(A, B, max_pairs=0),
        InvalidValueError,
        ("`max_pairs`",),
    ),
    Hostile(
        "edit distance size",
        lambda: tree_edit_distance(A, CHAIN),
        InvalidValueError,
        ("8,192 nodes", "max_nodes"),
    ),
    Hostile(
        "compare not a tree",
        lambda: compare_trees(A, {"a": 1}),
        InputTypeError,
        ("`candidate`", "dict"),
    ),
]

X = np.array([[1, 0], [1, 0.1], [0, 1], [0.1, 1]], dtype=float)
NODE_EMB = np.vstack([[1.0, 1.0], X[:2].mean(axis=0), X[:2], X[2:].mean(axis=0), X[2:]])
SMALL = Tree.from_paths(["x/a", "x/b", "y/c", "y/d"], root="r")

TAXONOMY_CASES = [
    Hostile(
        "terms nan",
        lambda: build_bottom_up(X, ["a", "b", NAN, "d"]),
        NullLabelError,
        ("position(s) 2",),
    ),
    Hostile(
        "terms 1 and '1'",
        lambda: build_bottom_up(X, [1, "1", "b", "c"]),
        InputTypeError,
        ("integer 1", "position(s) 0"),
    ),
    Hostile(
        "terms repeated",
        lambda: build_top_down(X, ["a", "b", "a", "c"]),
        InvalidValueError,
        ("'a'",),
    ),
    Hostile(
        "embedding nan row",
        lambda: build_bottom_up(np.vstack([X[:3], [NAN, 1]]), list("abcd")),
        InvalidValueError,
        ("'d'",),
    ),
    Hostile(
        "embedding zero row",
        lambda: build_bottom_up(np.vstack([X[:3], [0, 0]]), list("abcd")),
        InvalidValueError,
        ("'d'",),
    ),
    Hostile(
        "terms count",
        lambda: build_bottom_up(X, list("abc")),
        InputShapeError,
        ("4 embedding rows", "3 labels"),
    ),
    Hostile(
        "branching one",
        lambda: build_bottom_up(X, list("abcd"), branching=1),
        InvalidValueError,
        ("`branching`",),
    ),
    Hostile(
        "unknown linkage",
        lambda: build_bottom_up(X, list("abcd"), method="ward2"),
        InvalidValueError,
        ("'ward2'",),
    ),
    Hostile(
        "min_size zero",
        lambda: build_top_down(X, list("abcd"), min_size=0),
        InvalidValueError,
        ("`min_size`",),
    ),
    Hostile(
        "label_nodes nan",
        lambda: label_nodes(SMALL, np.vstack([X[:3], [NAN, 0]])),
        InvalidValueError,
        ("'d'",),
    ),
    Hostile(
        "label_nodes rows",
        lambda: label_nodes(SMALL, X[:3]),
        InputShapeError,
        ("one row per leaf (4",),
    ),
    Hostile(
        "query nan",
        lambda: rank_positions(SMALL, NODE_EMB, [[NAN, 1.0]]),
        InvalidValueError,
        ("`query`", "0"),
    ),
    Hostile(
        "weights nan",
        lambda: rank_positions(SMALL, NODE_EMB, [[1.0, 1.0]], weights=(NAN, 1)),
        InputShapeError,
        ("`weights`",),
    ),
    Hostile(
        "node embeddings nan",
        lambda: rank_positions(SMALL, np.vstack([NODE_EMB[:6], [NAN, 0]]), [[1.0, 1.0]]),
        InvalidValueError,
        ("'r/y/d'",),
    ),
    Hostile(
        "held out inner node",
        lambda: evaluate_expansion(SMALL, NODE_EMB, ["x"]),
        InvalidValueError,
        ("'r/x'",),
    ),
    Hostile(
        "held out unknown",
        lambda: evaluate_expansion(SMALL, NODE_EMB, ["x/zz"]),
        UnknownNodeError,
        ("'x/zz'", "`held_out`"),
    ),
]


@hostile(TREE_CASES)
def test_tree_hostile_inputs(case: Hostile) -> None:
    check(case)


@hostile(COMPARE_CASES)
def test_compare_hostile_inputs(case: Hostile) -> None:
    check(case)


@hostile(TAXONOMY_CASES)
def test_taxonomy_hostile_inputs(case: Hostile) -> None:
    check(case)
