# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Building taxonomies
#
# A benchmark's hierarchy is a `Tree`. This notebook builds trees from the usual sources
# (paths, level tables, edge lists), loads real taxonomies (the SemEval-2016 gold standards,
# the NYT and RCV1 topic trees), rebuilds a real taxonomy from sentence embeddings of its terms
# bottom-up and top-down and scores both against the gold standard, places held-out terms back
# (taxonomy expansion), and derives an empirical skill taxonomy of MathVista from how 23 models
# answered its questions, to hold against the benchmark's declared taxonomy.
#
# Embeddings use the offline all-MiniLM-L6-v2 sentence model (the `embed` extra) and are cached.

# %% tags=["parameters"]
SEMEVAL: str = "science"
SEED: int = 0
FIG_DIR: str = "exports"  # beside the notebook (git-ignored); `make figures` passes figures/
EXPORT: bool = True

# %%
import numpy as np
import polars as pl

from hierlab import Tree, plot
from hierlab.compare import compare_trees, fowlkes_mallows_by_level, tree_distance_correlation
from hierlab.datasets import fetch_label_tree, fetch_mathvista, fetch_semeval_taxonomy
from hierlab.taxonomy import (
    build_bottom_up,
    build_from_responses,
    build_top_down,
    embed_texts,
    evaluate_expansion,
)

plot.setup_notebook(globals(), folder=FIG_DIR)  # offline charts, paper theme, checks

# %% [markdown]
# ## Trees from paths, levels and edges
# The same small geography three ways; the two Parises stay two nodes.

# %%
from_paths = Tree.from_paths(["Europe/France/Paris", "Americas/USA/Texas/Paris"], root="World")
from_levels = Tree.from_levels(
    pl.DataFrame(
        {"region": ["Europe", "Americas"], "country": ["France", "USA"], "state": [None, "Texas"]}
    ),
    root="World",
)
from_edges = Tree.from_edges([("France", "Europe"), ("Spain", "Europe")])
print(from_paths, from_levels, from_edges, sep="\n")
from_paths.to_polars().select("id", "label", "depth", "path")

# %% [markdown]
# ## Real taxonomies
# The SemEval gold standards are DAGs in places: a few terms have two parents. The loader keeps
# the first and reports the others.

# %%
semeval = fetch_semeval_taxonomy(SEMEVAL)
gold = semeval.tree
print(semeval.card.name, "|", gold)
print("multi-parent terms:", semeval.multi_parent.height)
for name in ("nyt", "rcv1"):
    print(name, fetch_label_tree(name).tree)

# %%
icicle = plot.icicle(
    gold, max_depth=3, title=f"SemEval {SEMEVAL}: gold taxonomy (terms per branch)"
)
icicle

# %% [markdown]
# ## Rebuilding the taxonomy from embeddings
# Embed every leaf term, build a tree bottom-up (agglomerative clustering) and top-down
# (recursive k-means), and compare each with the gold standard: Fowlkes-Mallows (FM) agreement
# of the partitions at each depth, and the correlation of tree distances between leaves (a CPCC).
# A chance reference keeps the numbers honest: the same built tree with its leaves shuffled.

# %%
terms = gold.label[gold.leaves()].tolist()
emb = embed_texts(terms)
depth = gold.max_depth - 1
built = {
    "bottom-up": build_bottom_up(emb, terms, branching=5, max_depth=depth, root=gold.label[0]),
    "top-down": build_top_down(
        emb, terms, branching=5, min_size=5, max_depth=depth, seed=SEED, root=gold.label[0]
    ),
}


def shuffled(tree: Tree, seed: int) -> Tree:
    labels = tree.label.copy()
    leaves = tree.leaves()
    labels[leaves] = labels[np.random.default_rng(seed).permutation(leaves)]
    return Tree(tree.parent, labels)


rows = []
for name, tree in built.items():
    fm = fowlkes_mallows_by_level(gold, tree)["fowlkes_mallows"][0]
    chance = np.mean(
        [fowlkes_mallows_by_level(gold, shuffled(tree, s))["fowlkes_mallows"][0] for s in range(10)]
    )
    rows.append(
        (
            name,
            tree.n_nodes,
            round(fm, 3),
            round(chance, 3),
            round(tree_distance_correlation(gold, tree), 3),
        )
    )
scores = pl.DataFrame(
    rows,
    schema=["method", "nodes", "fm_depth_1", "fm_depth_1_chance", "distance_correlation"],
    orient="row",
)
scores

# %% [markdown]
# Both builders agree with the experts far better than chance, and far from perfectly: the
# embedding of a term's name carries only part of what the experts used.

# %% [markdown]
# Which gold edges did the bottom-up tree recover? Its internal clusters have no names, so
# matching them to gold nodes by label would score 0 whatever the tree's quality. Instead
# each cluster is matched to the gold node whose leaves it overlaps most (an optimal
# one-to-one assignment), and every score is set against the same tree with its leaf
# labels shuffled.

# %%
comparison = compare_trees(gold, built["bottom-up"], match="leaves", n_shuffles=10, seed=SEED)
print(comparison.chance)
edge_chart = plot.edge_comparison_plot(
    comparison.edges.filter(pl.col("status") != "extra"),
    title="Gold edges recovered bottom-up (clusters matched by leaves)",
)
edge_chart

# %% [markdown]
# ## Expansion: placing held-out terms back
# Hide 10% of the leaves and rank every remaining node as their parent by embedding fit.

# %%
node_emb = embed_texts(gold.label.tolist())
leaves = gold.leaves()
held = leaves[np.random.default_rng(SEED).permutation(len(leaves))[: max(1, len(leaves) // 10)]]
expansion = evaluate_expansion(gold, node_emb, held)
{k: round(v, 3) for k, v in expansion.items()}

# %% [markdown]
# ## MathVista: empirical skills against the declared taxonomy
# Items answered alike by the same models cluster together. If the declared taxonomy
# (category > task > source) reflected the skills that separate models, the two would agree.

# %%
mv = fetch_mathvista()
declared = Tree.from_levels(
    mv.items, levels=["category", "task", "source", "item"], root="MathVista"
)
empirical = build_from_responses(mv.matrix, branching=4, max_depth=3)
n_items = mv.matrix.width - 1
print(
    f"{int(empirical.n_leaves[0])} of {n_items} items clustered; the other "
    f"{n_items - int(empirical.n_leaves[0])} got the same response from every model"
)
agreement = fowlkes_mallows_by_level(declared, empirical)
print("distance correlation:", round(tree_distance_correlation(declared, empirical), 3))
agreement

# %% [markdown]
# ## Explore
# The widget switches chart types and depth; setting a control from code updates it.

# %%
from hierlab.widgets import explore_tree

explorer = explore_tree(gold)
explorer.controls["kind"].value = "sunburst"
assert explorer.chart.to_dict()["mark"]["type"] == "arc"
explorer

# %%
if EXPORT:
    plot.save(icicle, "01_semeval_icicle", folder=FIG_DIR)
    plot.save(edge_chart, "01_edges_recovered", folder=FIG_DIR)
