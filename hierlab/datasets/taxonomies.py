"""Real taxonomies: the SemEval-2016 Task 13 gold standards and HTC label trees."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import polars as pl

from hierlab.datasets._download import HIAGM, TAXI, fetch_file
from hierlab.datasets.card import DatasetCard
from hierlab.errors import InputTypeError, InvalidValueError, format_items
from hierlab.results import Result, Summary
from hierlab.tree import Tree

__all__ = ["SEMEVAL_TAXONOMIES", "TreeDataset", "fetch_label_tree", "fetch_semeval_taxonomy"]

SEMEVAL_TAXONOMIES = (
    "environment_eurovoc",
    "food",
    "food_wordnet",
    "science",
    "science_eurovoc",
    "science_wordnet",
)


@dataclass(frozen=True, eq=False)
class TreeDataset(Result):
    """A real taxonomy: its Tree, the raw edges, and the nodes that had several parents.

    Attributes
    ----------
    tree : Tree
        The taxonomy (one parent per node).
    edges : polars.DataFrame
        ``child, parent`` as listed in the source file (duplicates removed).
    multi_parent : polars.DataFrame
        ``node, parents, kept``: nodes listed with several parents (a DAG in the source)
        and the parent kept in the tree.
    card : DatasetCard
        Source, licence, sizes and caveats.

    Examples
    --------
    >>> ds = fetch_label_tree("rcv1")
    >>> ds.to_polars().columns
    ['child', 'parent']
    >>> dict(ds.summary().facts)["max_depth"]
    4
    """

    tree: Tree
    edges: pl.DataFrame
    multi_parent: pl.DataFrame
    card: DatasetCard

    def summary(self) -> Summary:
        """Summarise the taxonomy: the card's facts and the nodes that had several parents.

        Returns
        -------
        Summary
        """
        tables = (
            {"nodes with several parents": self.multi_parent} if self.multi_parent.height else {}
        )
        return self.card.summary(tables=tables)

    def to_polars(self) -> pl.DataFrame:
        """Return the edge table ``child, parent`` as listed in the source.

        Returns
        -------
        polars.DataFrame
        """
        return self.edges


def _multi_parent_report(edges: pl.DataFrame, tree: Tree) -> pl.DataFrame:
    """Nodes listed with several parents, and the parent the tree kept."""
    multi = (
        edges.group_by("child", maintain_order=True)
        .agg(pl.col("parent").alias("parents"))
        .filter(pl.col("parents").list.len() > 1)
    )
    kept = (
        tree.label[tree.parent[tree.find_label(multi["child"].to_list())]] if multi.height else []
    )
    return multi.rename({"child": "node"}).with_columns(kept=pl.Series(list(kept), dtype=pl.String))


def _check_choice(value: object, name: str, choices: tuple[str, ...], what: str) -> None:
    """Raise an InputTypeError or InvalidValueError unless ``value`` is one of ``choices``."""
    if not isinstance(value, str):
        raise InputTypeError(
            f"`{name}` must be the name of {what} (one of {format_items(choices)}), got "
            f"{type(value).__name__}."
        )
    if value not in choices:
        raise InvalidValueError(
            f"Unknown {what} {value!r} for `{name}`; choose one of {format_items(choices)}."
        )


def fetch_semeval_taxonomy(
    name: str = "food", *, on_multiple_parents: Literal["first", "error"] = "first"
) -> TreeDataset:
    """Return one of the six SemEval-2016 Task 13 (TExEval-2) English gold taxonomies.

    The files list ``id, child, parent`` edges; a few terms have two parents (the
    taxonomies are DAGs). By default the first listed parent is kept and the others are
    reported in ``multi_parent``.

    Parameters
    ----------
    name : {"environment_eurovoc", "food", "food_wordnet", "science", "science_eurovoc", "science_wordnet"}, default "food"
        The domain (environment, food, science) and the variant (manual, EuroVoc, WordNet).
    on_multiple_parents : {"first", "error"}, default "first"
        Keep the first listed parent of a term with several, or raise
        :class:`~hierlab.errors.MultipleParentsError` naming them.

    Returns
    -------
    TreeDataset
        The tree, the edges, the multi-parent report and the card.

    Examples
    --------
    >>> ds = fetch_semeval_taxonomy("science_eurovoc")
    >>> ds.tree.n_nodes
    125
    """
    _check_choice(name, "name", SEMEVAL_TAXONOMIES, "SemEval taxonomy")
    _check_choice(on_multiple_parents, "on_multiple_parents", ("first", "error"), "choice")
    url = f"{TAXI}/eval/taxi_eval_archive/gold_standard/{name}.taxo"
    raw = pl.read_csv(
        fetch_file(url),
        separator="\t",
        has_header=False,
        new_columns=["id", "child", "parent"],
        quote_char=None,
        schema_overrides={"child": pl.String, "parent": pl.String},
    )
    edges = raw.select("child", "parent").unique(maintain_order=True)
    tree = Tree.from_edges(edges, on_multiple_parents=on_multiple_parents)
    multi = _multi_parent_report(edges, tree)
    domain = name.split("_")[0]
    variant = {"eurovoc": "EuroVoc", "wordnet": "WordNet"}.get(name.split("_")[-1], "manual")
    card = DatasetCard(
        name=f"SemEval-2016 Task 13 gold taxonomy: {name}",
        description=(
            f"The {variant} gold-standard taxonomy of the {domain} domain from SemEval-2016 "
            "Task 13 (TExEval-2, taxonomy extraction evaluation), as distributed with the "
            "TAXI system's evaluation archive."
        ),
        source="uhh-lt/taxi @ 0abc016 (eval/taxi_eval_archive/gold_standard)",
        urls=(url,),
        license=(
            "Apache-2.0 (repository); the gold standards derive from EuroVoc (EU, reuse "
            "authorised with attribution) and WordNet 3.0 (WordNet licence)"
        ),
        citation=(
            "Bordea, G., Lefever, E., Buitelaar, P. (2016). SemEval-2016 Task 13: Taxonomy "
            "Extraction Evaluation (TExEval-2). Proceedings of SemEval-2016, 1081-1091."
        ),
        sizes={
            "edges": edges.height,
            "nodes": tree.n_nodes,
            "multi_parent_nodes": multi.height,
            "max_depth": tree.max_depth,
        },
        columns={"child": "the narrower term", "parent": "the broader term (hypernym)"},
        caveats=(f"{multi.height} term(s) have several parents; the tree keeps the first listed.",)
        if multi.height
        else (),
    )
    return TreeDataset(tree=tree, edges=edges, multi_parent=multi, card=card)


def fetch_label_tree(name: Literal["nyt", "rcv1"] = "rcv1") -> TreeDataset:
    """Return a hierarchical text classification label tree (New York Times or RCV1-v2).

    Each line of the source lists a parent then its children; the root is ``Root``.

    Parameters
    ----------
    name : {"nyt", "rcv1"}, default "rcv1"
        The New York Times Annotated Corpus or RCV1-v2 (Reuters Corpus Volume I) labels.

    Returns
    -------
    TreeDataset
        The tree, the edges (``multi_parent`` is empty: these are trees) and the card.

    Examples
    --------
    >>> fetch_label_tree("rcv1").tree.n_nodes
    104
    """
    _check_choice(name, "name", ("nyt", "rcv1"), "label tree")
    url = f"{HIAGM}/data/{name}.taxonomy"
    lines = fetch_file(url).read_text(encoding="utf-8").splitlines()
    rows = [line.split("\t") for line in lines if line.strip()]
    edges = pl.DataFrame(
        {
            "child": [c for r in rows for c in r[1:] if c],
            "parent": [r[0] for r in rows for c in r[1:] if c],
        }
    ).unique(maintain_order=True)
    tree = Tree.from_edges(edges)
    full = {"nyt": "New York Times Annotated Corpus", "rcv1": "RCV1-v2 (Reuters Corpus Volume I)"}
    card = DatasetCard(
        name=f"HTC label tree: {name}",
        description=(
            f"The label hierarchy of the {full[name]} topic classification benchmark as used "
            "by HiAGM; the root is the synthetic node 'Root'."
            + (" NYT labels are themselves paths ('Top/News/World')." if name == "nyt" else "")
        ),
        source="Alibaba-NLP/HiAGM @ d215dc7 (data/)",
        urls=(url,),
        license="MIT (repository); label names from the respective corpora",
        citation=(
            "Zhou, J., Ma, C., Long, D., Xu, G., Ding, N., Zhang, H., Xie, P., Liu, G. (2020). "
            "Hierarchy-Aware Global Model for Hierarchical Text Classification. ACL 2020."
        ),
        sizes={
            "labels": tree.n_nodes - 1,
            "max_depth": tree.max_depth,
            "leaves": int(tree.n_leaves[0]),
        },
        columns={"child": "a label", "parent": "its parent label"},
    )
    empty = pl.DataFrame(
        schema={"node": pl.String, "parents": pl.List(pl.String), "kept": pl.String}
    )
    return TreeDataset(tree=tree, edges=edges, multi_parent=empty, card=card)
