"""The path key: any label text round-trips through string paths, tuples and the tree.

Property tests (hypothesis) over arbitrary label text, including the separator, the
escape character, unicode, whitespace and separator look-alikes; the hash-based lookup
and build are checked against their exact level-by-level fallbacks; the trees hierlab
ships find their own paths.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hierlab import Tree
from hierlab.errors import InputTypeError, InvalidValueError, NullLabelError, UnknownNodeError
from hierlab.tree import join_path, split_path

# labels from a small alphabet rich in trouble: separators, backslashes, spaces, unicode
TRICKY = st.text(
    alphabet=st.sampled_from(["a", "b", "/", "\\", " ", ">", ":", "é", "\u00a0", "\x1f", "Z"]),
    min_size=1,
    max_size=6,
)
SEPARATORS = st.sampled_from(["/", " / ", " > ", "::", ">", "a", "ab", "aba", " "])


@st.composite
def labelled_trees(draw: st.DrawFn, max_nodes: int = 25) -> Tree:
    """A random tree whose labels are tricky text (distinct among siblings)."""
    n = draw(st.integers(1, max_nodes))
    parent = [-1] + [draw(st.integers(0, i - 1)) for i in range(1, n)]
    labels: list[str] = []
    used: dict[int, set[str]] = {}
    for v in range(n):
        siblings = used.setdefault(parent[v], set())
        label = draw(TRICKY.filter(lambda x, s=siblings: x not in s))
        siblings.add(label)
        labels.append(label)
    return Tree(np.array(parent), labels)


@settings(max_examples=150, deadline=None)
@given(st.lists(TRICKY, min_size=1, max_size=5), SEPARATORS)
def test_join_and_split_are_inverse(labels: list[str], sep: str) -> None:
    assert split_path(join_path(labels, sep=sep), sep=sep) == tuple(labels)


@settings(max_examples=60, deadline=None)
@given(labelled_trees(), SEPARATORS)
def test_every_tree_round_trips_through_string_and_tuple_paths(tree: Tree, sep: str) -> None:
    ids = np.arange(tree.n_nodes)
    strings = tree.paths(sep=sep)
    assert np.array_equal(tree.find(strings, sep=sep), ids)
    assert np.array_equal(tree.find(tree.paths()), ids)
    assert Tree.from_paths(strings, sep=sep) == tree
    assert Tree.from_paths(tree.paths()) == tree
    assert Tree.from_paths(tree.to_polars()["path"]) == tree
    assert [split_path(s, sep=sep) for s in strings] == tree.paths()


@settings(max_examples=80, deadline=None)
@given(labelled_trees(max_nodes=40))
def test_hash_lookup_and_build_equal_the_exact_level_walk(tree: Tree) -> None:
    paths = tree.paths()
    fast = tree.find(paths)
    exact = Tree.from_paths(paths)
    exact.__dict__["_hash_index"] = None  # force the level-by-level lookup
    assert np.array_equal(exact.find(paths), fast)
    # queries that are not in the tree are not found either way
    absent = [(*p, "not a label") for p in paths[:3]] + [("nope",)]
    for t in (tree, exact):
        with pytest.raises(UnknownNodeError):
            t.find(absent)
    # building by hash equals building level by level
    from hierlab.tree._paths import paths_to_list_series  # the shared parser of both builds

    parsed = paths_to_list_series(paths, "/")
    lengths = parsed.list.len().to_numpy()
    flat = parsed.explode()
    vocab = flat.unique(maintain_order=True)
    codes = np.array([vocab.to_list().index(x) for x in flat.to_list()])
    by_level = Tree._from_coded_paths_by_level(
        codes, lengths, vocab.to_numpy().astype(object), None
    )
    assert by_level == tree


def test_hash_collisions_fall_back_to_the_exact_walk(monkeypatch: pytest.MonkeyPatch) -> None:
    """With a degenerate hash (every path collides) the results are still exact."""
    from hierlab.tree import _core, _paths

    for module in (_core, _paths):  # both the build (paths) and the lookup (core) hash
        monkeypatch.setattr(module, "HASH_BASE", np.uint64(0))
        monkeypatch.setattr(module, "HASH_BASE_INV", np.uint64(0))
    paths = [("a", "b"), ("a", "c"), ("a", "b", "d"), ("a", "c", "d")]
    tree = Tree.from_paths(paths)
    assert tree.paths() == [("a",), ("a", "b"), ("a", "b", "d"), ("a", "c"), ("a", "c", "d")]
    assert tree.find(paths).tolist() == [1, 3, 2, 4]
    with pytest.raises(UnknownNodeError, match="a/d"):
        tree.find(["a/d"])


def test_a_label_holding_the_separator_never_collides_with_a_deeper_path() -> None:
    tree = Tree.from_paths([("a", "b/c"), ("a", "b", "c")])
    assert tree.n_nodes == 4
    assert tree.find("a/b\\/c") == 1 and tree.find("a/b/c") == 3
    assert tree.find(("a", "b/c")) == 1 and tree.find(("a", "b", "c")) == 3
    assert tree.paths(sep="/") == ["a", "a/b\\/c", "a/b", "a/b/c"]
    # the internal key separator of 0.1 is an ordinary character now
    odd = Tree.from_paths([("a", "b\x1fc"), ("a", "b"), ("a", "b", "c")])
    assert odd.find([("a", "b\x1fc")]).tolist() == [1]


def test_escapes_and_their_errors() -> None:
    assert split_path("a\\\\b/c") == ("a\\b", "c")
    assert split_path("/a/b/") == ("a", "b")  # one leading and trailing separator dropped
    assert split_path("\\/a") == ("/a",)
    assert join_path(["x >", "y"], sep=" > ") == "x\\ > > y"  # overlap with the separator
    assert split_path("x\\ > > y", sep=" > ") == ("x >", "y")
    with pytest.raises(InvalidValueError, match=r"row\(s\) 0.*C:\\\\temp"):
        Tree.from_paths(["C:\\temp/x"])
    with pytest.raises(InvalidValueError, match="backslash"):
        Tree.from_paths(["a/b"], sep="\\")
    with pytest.raises(NullLabelError, match=r"row\(s\) 1"):
        Tree.from_paths(["a/b", "a//c"])


def test_paths_of_the_trees_hierlab_ships_find_their_nodes() -> None:
    from hierlab.datasets import load_demo

    tree = load_demo().tree
    assert any("/" in label for label in tree.label)  # 'Zanzibar Urban/West'
    ids = np.arange(tree.n_nodes)
    assert np.array_equal(tree.find(tree.paths(sep="/")), ids)
    assert Tree.from_paths(tree.paths(sep="/")) == tree


@pytest.mark.mirror
@pytest.mark.usefixtures("data_env")
def test_the_nyt_label_tree_rebuilds_from_its_paths() -> None:
    from hierlab.datasets import fetch_label_tree

    nyt = fetch_label_tree("nyt").tree
    assert nyt.n_nodes == 167 and all("/" in label for label in nyt.label[1:])
    assert Tree.from_paths(nyt.paths(sep="/")).n_nodes == 167
    assert Tree.from_paths(nyt.paths(sep="/")) == nyt
    assert np.array_equal(nyt.find(nyt.paths(sep="/")), np.arange(167))


def test_numbers_are_labels_but_types_do_not_mix() -> None:
    assert Tree.from_paths([[2020, 1], [2020, 2]]).paths(sep="/") == ["2020", "2020/1", "2020/2"]
    assert Tree([-1, 0], [0, 1]).label.tolist() == ["0", "1"]
    with pytest.raises(InputTypeError, match=r"integer 1 at node\(s\) 1.*text 'r' at node\(s\) 0"):
        Tree([-1, 0], ["r", 1])
    years = Tree.from_paths([[2020, 1]])
    assert years.find(("2020", "1")) == 1 and years.find((2020, 1)) == 1
