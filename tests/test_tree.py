"""Unit tests of hierlab.tree on hand-built trees: constructors, queries, exports, errors."""

from __future__ import annotations

import json

import networkx as nx
import numpy as np
import pandas as pd
import polars as pl
import pytest
from scipy.cluster.hierarchy import linkage, to_tree

from hierlab import Tree
from hierlab.errors import (
    AmbiguousLabelError,
    CycleError,
    EmptyInputError,
    HierlabError,
    InputShapeError,
    InputTypeError,
    InvalidValueError,
    MultipleParentsError,
    MultipleRootsError,
    NullLabelError,
    UnknownNodeError,
    UnknownParentError,
)

GEO = [
    "Europe/France/Paris",
    "Europe/France/Lyon",
    "Europe/Spain/Madrid",
    "Americas/USA/Texas/Paris",
    "Americas/USA/Texas/Austin",
]


@pytest.fixture
def geo() -> Tree:
    return Tree.from_paths(GEO, root="World")


# --------------------------------------------------------------------------- constructors


def test_from_paths_counts_and_preorder(geo: Tree) -> None:
    assert geo.n_nodes == 1 + 2 + 3 + 1 + 5  # root, continents, countries, Texas, cities
    assert geo.root == 0 and geo.parent[0] == -1
    # preorder: every parent precedes its children, subtree ranges are contiguous
    assert np.all(geo.parent[1:] < np.arange(1, geo.n_nodes))
    for v in range(geo.n_nodes):
        inside = geo.is_ancestor(v, np.arange(geo.n_nodes))
        assert np.array_equal(np.flatnonzero(inside), np.arange(v, v + geo.size[v]))
    assert geo.max_depth == 4
    assert geo.leaves().size == 5 and geo.n_leaves[0] == 5


def test_paris_france_and_paris_texas_are_distinct(geo: Tree) -> None:
    fr = geo.find("World/Europe/France/Paris")
    tx = geo.find("World/Americas/USA/Texas/Paris")
    assert fr != tx
    assert geo.label[fr] == geo.label[tx] == "Paris"
    assert geo.distance(fr, tx) == 3 + 4  # up to World, down to Texas' Paris
    assert geo.label[geo.lca(fr, tx)] == "World"
    with pytest.raises(AmbiguousLabelError, match=r"Paris.*Europe/France/Paris"):
        geo.find_label("Paris")
    assert geo.find_label("Lyon") == geo.find("Europe/France/Lyon")


def test_same_path_twice_collapses_and_order_is_first_appearance() -> None:
    t = Tree.from_paths(["r/b", "r/a", "r/b", "r/a/x"])
    assert t.paths(sep="/") == ["r", "r/b", "r/a", "r/a/x"]


def test_from_paths_accepts_sequences_series_and_separators() -> None:
    as_lists = Tree.from_paths([["Europe", "France"], ["Europe", "Spain"]])
    as_strings = Tree.from_paths(["/Europe/France/", "Europe/Spain"])
    as_series = Tree.from_paths(pl.Series([["Europe", "France"], ["Europe", "Spain"]]))
    custom = Tree.from_paths(["Europe > France", "Europe > Spain"], sep=" > ")
    assert as_lists == as_strings == as_series == custom


def test_from_paths_errors() -> None:
    with pytest.raises(EmptyInputError):
        Tree.from_paths([])
    with pytest.raises(NullLabelError, match=r"row\(s\) 1"):
        Tree.from_paths(["a/b", "a//c"])
    with pytest.raises(NullLabelError, match="(?i)null"):
        Tree.from_paths([["a", None, "c"]])
    with pytest.raises(MultipleRootsError, match="'Europe', 'Asia'.*root=") as err:
        Tree.from_paths(["Europe/France", "Asia/Japan"])
    assert err.value.roots == ("Europe", "Asia")
    with pytest.raises(InputTypeError, match="wrap a single path"):
        Tree.from_paths("a/b")


def test_from_levels_with_early_end_and_skip() -> None:
    df = pl.DataFrame(
        {
            "region": ["Africa", "Africa", "Europe"],
            "sub": ["Sub-Saharan Africa", "Northern Africa", "Western Europe"],
            "inter": ["Eastern Africa", None, ""],
            "country": ["Kenya", "Egypt", "France"],
        }
    )
    with pytest.raises(NullLabelError, match=r"row\(s\) 1, 2.*on_null='skip'"):
        Tree.from_levels(df, root="World")
    t = Tree.from_levels(df, root="World", on_null="skip")
    assert t.find("Africa/Northern Africa/Egypt") > 0
    assert t.find("Africa/Sub-Saharan Africa/Eastern Africa/Kenya") > 0
    # a null at the end of a row just ends the path early; pandas input works too
    short = Tree.from_levels(pd.DataFrame({"a": ["x", "x"], "b": ["y", None]}))
    assert short.paths(sep="/") == ["x", "x/y"]
    with pytest.raises(InputShapeError, match="'nope'"):
        Tree.from_levels(df, levels=["region", "nope"])


def test_from_edges_table_pairs_and_labels() -> None:
    pairs = [("France", "Europe"), ("Paris", "France"), ("Spain", "Europe")]
    a = Tree.from_edges(pairs)
    b = Tree.from_edges(
        pl.DataFrame({"child": [p[0] for p in pairs], "parent": [p[1] for p in pairs]})
    )
    c = Tree.from_edges(
        pd.DataFrame({"c": [p[0] for p in pairs], "p": [p[1] for p in pairs]}),
        child="c",
        parent="p",
    )
    assert a == b == c
    assert a.paths(sep="/") == ["Europe", "Europe/France", "Europe/France/Paris", "Europe/Spain"]
    # integer keys with a separate label column: duplicate labels in different branches
    edges = pl.DataFrame(
        {"child": [1, 2, 3, 4, 5], "parent": [0, 0, 1, 2, None], "name": ["A", "B", "X", "X", "R"]}
    )
    edges = edges.with_columns(pl.col("parent").cast(pl.Int64))
    t = Tree.from_edges(
        pl.concat([edges, pl.DataFrame({"child": [0], "parent": [5], "name": ["root"]})]),
        label="name",
    )
    assert t.label[0] == "R" and sorted(t.label[t.leaves()].tolist()) == ["X", "X"]
    assert t.find("R/root/A/X") != t.find("R/root/B/X")


def test_from_edges_deduplicates_identical_edges() -> None:
    t = Tree.from_edges([("b", "a"), ("c", "a"), ("b", "a")])
    assert t.n_nodes == 3


def test_from_edges_cycle_names_the_nodes() -> None:
    with pytest.raises(
        CycleError, match="'b' -> 'c' -> 'd' -> 'b' \\(each node -> its parent\\)"
    ) as err:
        Tree.from_edges([("x", "r"), ("b", "c"), ("c", "d"), ("d", "b")])
    assert set(err.value.nodes) == {"b", "c", "d"}
    with pytest.raises(CycleError, match="'s' -> 's'"):
        Tree.from_edges([("a", "r"), ("s", "s")])


def test_from_edges_multiple_parents() -> None:
    edges = [("b", "a"), ("c", "a"), ("d", "b"), ("d", "c")]
    with pytest.raises(
        MultipleParentsError, match="'d' has parents 'b', 'c'.*on_multiple_parents='first'"
    ) as err:
        Tree.from_edges(edges)
    assert err.value.parents == {"d": ("b", "c")}
    t = Tree.from_edges(edges, on_multiple_parents="first")
    assert t.path(t.find_label("d")) == ("a", "b", "d")


def test_from_edges_multiple_roots_and_synthetic_root() -> None:
    edges = [("France", "Europe"), ("Japan", "Asia")]
    with pytest.raises(MultipleRootsError, match="2 roots: 'Europe', 'Asia'.*root="):
        Tree.from_edges(edges)
    t = Tree.from_edges(edges, root="World")
    assert t.label[0] == "World" and t.paths(sep="/")[1:] == [
        "World/Europe",
        "World/Europe/France",
        "World/Asia",
        "World/Asia/Japan",
    ]


def test_from_edges_unknown_parent_when_roots_are_declared() -> None:
    table = pl.DataFrame({"child": ["root", "a", "b"], "parent": [None, "root", "ghost"]})
    with pytest.raises(UnknownParentError, match="'ghost'.*null"):
        Tree.from_edges(table)


def test_from_edges_null_child_and_empty() -> None:
    with pytest.raises(NullLabelError, match=r"row\(s\) 1"):
        Tree.from_edges(pl.DataFrame({"child": ["a", None], "parent": ["r", "r"]}))
    with pytest.raises(EmptyInputError):
        Tree.from_edges([])
    with pytest.raises(InputShapeError, match="'kid'"):
        Tree.from_edges(pl.DataFrame({"child": ["a"], "parent": ["r"]}), child="kid")


def test_sibling_labels_must_differ() -> None:
    with pytest.raises(AmbiguousLabelError, match="'x' under 'r'"):
        Tree([-1, 0, 0], ["r", "x", "x"])


def test_parent_array_constructor_errors() -> None:
    with pytest.raises(UnknownParentError, match="2 -> 7"):
        Tree([-1, 0, 7], ["r", "a", "b"])
    with pytest.raises(NullLabelError):
        Tree([-1, 0], ["r", None])
    with pytest.raises(InputShapeError):
        Tree([-1, 0], ["r"])
    with pytest.raises(EmptyInputError):
        Tree([], [])
    with pytest.raises(CycleError, match="1 -> 2 -> 1"):
        Tree([-1, 2, 1], ["r", "a", "b"])


def test_all_errors_are_value_errors_and_hierlab_errors() -> None:
    for exc in (
        CycleError,
        MultipleRootsError,
        MultipleParentsError,
        NullLabelError,
        UnknownNodeError,
    ):
        assert issubclass(exc, ValueError) and issubclass(exc, HierlabError)


def test_from_nested_shapes_and_json() -> None:
    nested = {"animal": {"bird": ["owl", "wren"], "fish": None}}
    t = Tree.from_nested(nested)
    assert t.to_nested() == {"animal": {"bird": {"owl": {}, "wren": {}}, "fish": {}}}
    assert Tree.from_nested(json.dumps(nested)) == t
    d3 = {
        "name": "animal",
        "children": [{"name": "bird", "children": ["owl", "wren"]}, {"name": "fish"}],
    }
    assert Tree.from_nested(d3) == t
    with pytest.raises(MultipleRootsError):
        Tree.from_nested({"a": {}, "b": {}})
    assert Tree.from_nested({"a": {}, "b": {}}, root="r").paths(sep="/") == ["r", "r/a", "r/b"]
    with pytest.raises(InputTypeError, match="Under 'a'"):
        Tree.from_nested({"a": 3})
    with pytest.raises(EmptyInputError):
        Tree.from_nested({})


def test_from_networkx() -> None:
    g = nx.DiGraph([("animal", "bird"), ("animal", "fish"), ("bird", "owl")])
    t = Tree.from_networkx(g)
    assert t.paths(sep="/") == ["animal", "animal/bird", "animal/bird/owl", "animal/fish"]
    g.add_edge("fish", "owl")
    with pytest.raises(MultipleParentsError):
        Tree.from_networkx(g)
    with pytest.raises(InputTypeError, match="DiGraph"):
        Tree.from_networkx(nx.Graph([(1, 2)]))
    single = nx.DiGraph()
    single.add_node("only")
    assert Tree.from_networkx(single).n_nodes == 1


def test_from_linkage_matches_scipy_tree() -> None:
    rng = np.random.default_rng(0)
    points = rng.normal(size=(12, 3))
    Z = linkage(points, "average")
    labels = [f"p{i}" for i in range(12)]
    t = Tree.from_linkage(Z, labels)
    assert t.n_nodes == 23 and t.leaves().size == 12
    # every scipy cluster's leaf set equals the leaf set of our node of that name
    root = to_tree(Z)
    stack = [root]
    while stack:
        node = stack.pop()
        if node.is_leaf():
            continue
        ours = t.find_label(f"cluster {node.id}")
        assert sorted(t.label[t.leaves(ours)].tolist()) == sorted(
            labels[i] for i in node.pre_order()
        )
        stack.extend([node.left, node.right])
    with pytest.raises(InputShapeError, match="12 observations but 3 labels"):
        Tree.from_linkage(Z, labels[:3])
    with pytest.raises(InputShapeError, match="linkage matrix"):
        Tree.from_linkage(np.zeros((3, 3)), labels[:4])


# --------------------------------------------------------------------------- queries


def test_lca_distance_ancestors(geo: Tree) -> None:
    lyon = geo.find("Europe/France/Lyon")
    paris = geo.find("Europe/France/Paris")
    madrid = geo.find("Europe/Spain/Madrid")
    austin = geo.find("Americas/USA/Texas/Austin")
    assert geo.label[geo.lca(lyon, paris)] == "France"
    assert geo.label[geo.lca([lyon, lyon, lyon], [madrid, austin, lyon])].tolist() == [
        "Europe",
        "World",
        "Lyon",
    ]
    assert geo.distance([lyon, lyon], [paris, austin]).tolist() == [2, 7]
    assert geo.label[geo.ancestors(austin)].tolist() == ["World", "Americas", "USA", "Texas"]
    assert geo.ancestors(0).size == 0
    assert geo.is_ancestor(geo.find("Europe"), [lyon, austin]).tolist() == [True, False]
    assert bool(geo.is_ancestor(lyon, lyon)) and not bool(geo.is_ancestor(lyon, lyon, strict=True))
    # broadcasting: one node against many
    assert geo.lca(lyon, np.arange(geo.n_nodes)).shape == (geo.n_nodes,)


def test_ancestor_at_and_matrix(geo: Tree) -> None:
    austin = geo.find("Americas/USA/Texas/Austin")
    lyon = geo.find("Europe/France/Lyon")
    assert geo.label[geo.ancestor_at(austin, [0, 1, 2, 3, 4])].tolist() == [
        "World",
        "Americas",
        "USA",
        "Texas",
        "Austin",
    ]
    assert geo.ancestor_at(lyon, 4) == -1
    m = geo.ancestors([austin, lyon], include_self=True)
    assert m.shape == (2, 5) and m[1, 4] == -1 and m[1, 3] == lyon


def test_wu_palmer(geo: Tree) -> None:
    lyon, paris = geo.find(["Europe/France/Lyon", "Europe/France/Paris"])
    # depths counted from 1 at the root: lca France has 3, leaves 4 -> 2*3/8
    assert geo.wu_palmer(lyon, paris) == pytest.approx(0.75)
    assert geo.wu_palmer(lyon, lyon) == 1.0
    assert geo.wu_palmer(geo.find("Europe"), geo.find("Americas")) == pytest.approx(0.5)


def test_structure_queries(geo: Tree) -> None:
    europe = geo.find("Europe")
    assert geo.label[geo.children(europe)].tolist() == ["France", "Spain"]
    assert geo.label[geo.leaves(europe)].tolist() == ["Paris", "Lyon", "Madrid"]
    assert geo.label[geo.at_depth(1)].tolist() == ["Europe", "Americas"]
    assert geo.descendants(europe).size == geo.size[europe] - 1
    assert geo.descendants(europe, include_self=True)[0] == europe
    sub = geo.subtree(europe)
    assert sub.paths(sep="/")[:3] == ["Europe", "Europe/France", "Europe/France/Paris"]
    assert sub.n_nodes == geo.size[europe] and sub.depth[0] == 0
    assert geo.n_children[europe] == 2 and geo.is_leaf[geo.find("Europe/Spain/Madrid")]


def test_find_relative_missing_and_many(geo: Tree) -> None:
    assert geo.find("World/Europe") == geo.find("Europe") == geo.find(("Europe",))
    ids = geo.find(pl.Series(["Europe/France", "Americas/USA"]))
    assert geo.label[ids].tolist() == ["France", "USA"]
    with pytest.raises(UnknownNodeError, match="'Europe/Italy'.*root 'World'"):
        geo.find(["Europe/France", "Europe/Italy"])
    with pytest.raises(UnknownNodeError, match="'Rome'"):
        geo.find_label(["Rome"])


def test_invalid_node_ids(geo: Tree) -> None:
    with pytest.raises(UnknownNodeError, match="99"):
        geo.lca(0, 99)
    with pytest.raises(UnknownNodeError, match="-2"):
        geo.distance([-2], [0])
    with pytest.raises(InputTypeError, match="Tree.find"):
        geo.lca("Paris", 0)


def test_node_ids_from_ids_paths_and_series(geo: Tree) -> None:
    lyon = geo.find("Europe/France/Lyon")
    assert geo.node_ids("Europe/France/Lyon").tolist() == [lyon]
    assert geo.node_ids(("World", "Europe", "France", "Lyon")).tolist() == [lyon]
    assert geo.node_ids([lyon, 0]).tolist() == [lyon, 0]
    assert geo.node_ids(np.array([lyon])).tolist() == [lyon]
    assert geo.node_ids(pl.Series(["Europe/France/Lyon"])).tolist() == [lyon]
    assert geo.node_ids(pd.Series([lyon])).tolist() == [lyon]
    assert geo.node_ids([["Europe", "France", "Lyon"]]).tolist() == [lyon]
    assert geo.node_ids([]).size == 0
    with pytest.raises(UnknownNodeError, match="99"):
        geo.node_ids([99], what="pred")
    assert geo.node_ids(np.array([float(lyon)])).tolist() == [lyon]  # whole-number floats
    with pytest.raises(InvalidValueError, match=r"`pred` must be whole-number.*row\(s\) 0.*1.5"):
        geo.node_ids(np.array([1.5]), what="pred")
    with pytest.raises(InputTypeError, match="`true`"):
        geo.node_ids(object(), what="true")


def test_wrong_types_name_the_argument() -> None:
    with pytest.raises(InputTypeError, match="`parent`"):
        Tree(object(), ["a"])  # type: ignore[arg-type]
    with pytest.raises(InputTypeError, match="`label`"):
        Tree([-1], 3)  # type: ignore[arg-type]
    with pytest.raises(InputTypeError, match="`paths`"):
        Tree.from_paths(object())  # type: ignore[arg-type]
    with pytest.raises(InputTypeError, match="`edges`"):
        Tree.from_edges(object())
    with pytest.raises(InputTypeError, match="`table`"):
        Tree.from_levels(object())
    with pytest.raises(InputTypeError, match="`nested`"):
        Tree.from_nested(3)  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match="on_multiple_parents"):
        Tree.from_edges([("a", "b")], on_multiple_parents="last")  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match="JSON"):
        Tree.from_nested("{not json")


def test_arrays_are_read_only(geo: Tree) -> None:
    for arr in (geo.parent, geo.depth, geo.label, geo.size, geo.n_leaves):
        with pytest.raises(ValueError):
            arr[0] = arr[0]


def test_deep_chain_works_without_recursion() -> None:
    depth = 1500
    parent = np.arange(-1, depth)  # node i's parent is i - 1
    t = Tree(parent, [f"n{i}" for i in range(depth + 1)])
    assert t.max_depth == depth
    assert t.lca(depth, depth // 2) == depth // 2
    assert t.distance(0, depth) == depth
    assert Tree.from_paths([[f"n{i}" for i in range(depth + 1)]]) == t
    assert Tree.from_nested(t.to_nested()) == t
    assert Tree.from_networkx(t.to_networkx()) == t
    assert t.ancestors(depth).size == depth


# --------------------------------------------------------------------------- exports


def test_to_polars_columns(geo: Tree) -> None:
    df = geo.to_polars()
    assert df.columns == ["id", "parent", "label", "depth", "path", "size", "n_leaves"]
    assert df["parent"][0] is None and df["parent"].null_count() == 1
    row = df.filter(pl.col("label") == "Austin").row(0, named=True)
    assert row["path"] == ["World", "Americas", "USA", "Texas", "Austin"]
    assert row["depth"] == 4 and row["size"] == 1 and row["n_leaves"] == 1
    assert df["n_leaves"][0] == 5


def test_round_trips(geo: Tree) -> None:
    assert Tree.from_paths(geo.paths()) == geo
    assert Tree.from_paths(geo.paths(sep="|"), sep="|") == geo
    assert Tree.from_nested(geo.to_nested()) == geo
    assert Tree.from_networkx(geo.to_networkx()) == geo
    df = geo.to_polars()
    assert Tree.from_edges(df, child="id", parent="parent", label="label") == geo
    assert Tree.from_paths(df["path"]) == geo


def test_networkx_export_matches_structure(geo: Tree) -> None:
    g = geo.to_networkx()
    assert nx.is_arborescence(g)
    lca_nx = nx.lowest_common_ancestor(g, 3, 7)
    assert lca_nx == geo.lca(3, 7)


def test_repr_and_hash(geo: Tree) -> None:
    assert repr(geo) == "Tree(n_nodes=12, max_depth=4, n_leaves=5, root='World')"
    assert hash(geo) == hash(Tree.from_paths(GEO, root="World"))
    assert len({geo, Tree.from_paths(GEO, root="World")}) == 1
