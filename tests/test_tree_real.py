"""Real public trees, loaded through the dataset fetchers (over the HTTP mirror), have the
node, edge and depth counts that an independent reading of the files gives."""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

import networkx as nx
import pytest

from hierlab import Tree
from hierlab.datasets import _download, fetch_label_tree, fetch_semeval_taxonomy, fetch_un_m49
from hierlab.datasets.taxonomies import SEMEVAL_TAXONOMIES
from hierlab.errors import MultipleParentsError

TAXI = _download.TAXI.removeprefix("https://") + "/eval/taxi_eval_archive/gold_standard"
HIAGM = _download.HIAGM.removeprefix("https://") + "/data"
M49 = _download.M49.removeprefix("https://") + "/all/all.csv"


def read_taxo(path: Path) -> list[tuple[str, str]]:
    """(child, parent) rows of a SemEval .taxo file, read with the csv module."""
    with path.open(encoding="utf-8", newline="") as fh:
        return [(row[1], row[2]) for row in csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)]


pytestmark = [pytest.mark.mirror, pytest.mark.usefixtures("data_env")]


@pytest.mark.parametrize("name", SEMEVAL_TAXONOMIES)
def test_semeval_taxonomies(mirror: Path, name: str) -> None:
    edges = read_taxo(mirror / TAXI / f"{name}.taxo")
    unique = list(dict.fromkeys(edges))
    terms = {c for c, _ in unique} | {p for _, p in unique}
    parents_of: dict[str, set[str]] = defaultdict(set)
    for child, parent in unique:
        parents_of[child].add(parent)
    multi = {c for c, ps in parents_of.items() if len(ps) > 1}
    graph = nx.DiGraph([(p, c) for c, p in unique])
    root = next(v for v in graph if graph.in_degree(v) == 0)

    if multi:  # a DAG: the error names exactly the multi-parent terms
        with pytest.raises(MultipleParentsError) as err:
            fetch_semeval_taxonomy(name, on_multiple_parents="error")
        assert set(err.value.parents) == multi
    dataset = fetch_semeval_taxonomy(name)
    tree = dataset.tree
    assert set(dataset.multi_parent["node"]) == multi
    assert tree.n_nodes == len(terms)
    assert tree.label[0] == root
    # every kept edge is in the file, and each multi-parent term kept its first parent
    kept = {(tree.label[v], tree.label[tree.parent[v]]) for v in range(1, tree.n_nodes)}
    assert kept <= set(unique) and len(kept) == len(terms) - 1
    first_parent = {}
    for child, parent in edges:
        first_parent.setdefault(child, parent)
    for child in multi:
        v = tree.find_label(child)
        assert tree.label[tree.parent[v]] == first_parent[child]
    # depth: shortest-path depth in the DAG <= tree depth <= longest-path depth
    shortest = nx.single_source_shortest_path_length(graph, root)
    longest = nx.dag_longest_path_length(graph)
    assert max(shortest.values()) <= tree.max_depth <= longest


@pytest.mark.parametrize(("name", "n_labels", "max_depth"), [("nyt", 166, 8), ("rcv1", 103, 4)])
def test_hiagm_label_trees(mirror: Path, name: str, n_labels: int, max_depth: int) -> None:
    pairs = []
    for line in (mirror / HIAGM / f"{name}.taxonomy").read_text(encoding="utf-8").splitlines():
        parent, *children = line.split("\t")
        pairs.extend((child, parent) for child in children if child)
    tree = fetch_label_tree(name).tree
    assert tree == Tree.from_edges(pairs)
    assert tree.label[0] == "Root"
    assert tree.n_nodes == n_labels + 1 and len(pairs) == n_labels
    assert tree.max_depth == max_depth
    if name == "nyt":  # labels are themselves paths below 'Top'
        v = tree.find_label("Top/News/World/Europe")
        assert tree.path(v) == ("Root", "Top/News", "Top/News/World", "Top/News/World/Europe")


def test_un_m49_as_levels(mirror: Path) -> None:
    with (mirror / M49).open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 249
    levels = ["region", "sub-region", "intermediate-region", "name"]
    table = {c: [r[c] for r in rows] for c in levels}
    tree = Tree.from_levels(table, levels=levels, root="World", on_null="skip")
    assert tree.n_leaves[0] == 249  # every country is a leaf
    regions = {r["region"] for r in rows if r["region"]}
    assert len(regions) == 5
    top = set(tree.label[tree.children(0)])
    assert regions <= top  # plus countries with no region (Antarctica, Taiwan)
    fetched = fetch_un_m49(intermediate=True).tree  # the fetcher fills the two missing regions
    assert fetched.n_leaves[0] == 249
    assert set(fetched.label[fetched.children(0)]) == regions | {"Antarctica"}
    kenya = tree.find("Africa/Sub-Saharan Africa/Eastern Africa/Kenya")
    assert tree.depth[kenya] == 4
    egypt = tree.find("Africa/Northern Africa/Egypt")
    assert tree.label[tree.lca(kenya, egypt)] == "Africa"
    sub_regions = {(r["region"], r["sub-region"]) for r in rows if r["sub-region"]}
    assert sum(len(tree.children(tree.find(reg))) for reg in regions) == len(sub_regions)
