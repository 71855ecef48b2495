# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Building taxonomies: can a taxonomy be rebuilt from data, and how would we know?
#
# A benchmark's hierarchy is a `Tree`. This notebook asks whether such a hierarchy can be
# recovered from data alone, and how to tell a real recovery from a lucky one:
#
# 1. **Gold trees**: how trees are made, and the real taxonomy we try to rebuild (a SemEval
#    gold standard written by experts).
# 2. **Rebuilding it from embeddings** of its terms (all-MiniLM-L6-v2, offline, cached),
#    bottom-up and top-down, scored against the gold tree *and* against the same trees with
#    their leaves shuffled (what a tree of the same shape gets by chance).
# 3. **Expansion**: each term is removed and placed back under a parent, against a naive
#    baseline, with an interval.
# 4. **An empirical skill tree** of MathVista from how a panel of models answered, held
#    against the benchmark's declared taxonomy, again against chance.
#
# Every number quoted below is printed by the code next to it; the closing cell collects
# the findings from the computed results.

# %% tags=["parameters"]
SEMEVAL: str = "science"  # a SemEval-2016 gold taxonomy (e.g. "science", "science_eurovoc")
BRANCHING: int = 5  # children per cluster of the rebuilt trees
N_SHUFFLES: int = 100  # shuffled trees in each chance baseline
N_FOLDS: int = 10  # expansion: every term is held out once, in one of N_FOLDS folds
SEED: int = 0
FIG_DIR: str = "exports"  # beside the notebook (git-ignored); `make figures` passes figures/
EXPORT: bool = True

# %%
import numpy as np
import polars as pl

from hierlab import Tree, plot
from hierlab.compare import compare_trees
from hierlab.datasets import fetch_label_tree, fetch_mathvista, fetch_semeval_taxonomy
from hierlab.stats import paired_difference_interval, wilson_interval
from hierlab.taxonomy import (
    build_bottom_up,
    build_from_responses,
    build_top_down,
    embed_texts,
    evaluate_expansion,
    rank_positions,
)

plot.setup_notebook(globals(), folder=FIG_DIR)  # offline charts, paper theme, checks
pl.Config.set_tbl_rows(30)
pl.Config.set_tbl_width_chars(160)
pl.Config.set_float_precision(3)
learned: list[str] = []  # the closing cell's takeaways, each computed where it is shown

# %% [markdown]
# ## 1. Gold trees
# ### How trees are made
# The same small geography three ways: from paths, from a table with one column per level,
# and from child-parent edges. A node is identified by its path, not its label, so the
# two Parises (France's and Texas's) stay two nodes.

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
parises = np.flatnonzero(from_paths.label == "Paris")
print(f"{len(parises)} nodes labelled Paris:", from_paths.paths(parises, sep=" / "))
from_paths.to_polars().select("id", "label", "depth", "path")

# %% [markdown]
# ### The gold taxonomy
# The SemEval-2016 taxonomy-extraction gold standards were written by experts. In places
# they are not trees: a term can have two parents. A `Tree` keeps one parent per node (the
# first listed) and the loader reports every term whose other parents were dropped.

# %%
semeval = fetch_semeval_taxonomy(SEMEVAL)
gold = semeval.tree
leaf_depths = np.bincount(gold.depth[gold.leaves()], minlength=gold.max_depth + 1)
print(f"{semeval.card.name}: {gold}")
print(
    "leaves by depth:",
    {d: int(n) for d, n in enumerate(leaf_depths) if n},
    "| top branches:",
    len(gold.children(0)),
)
print(f"multi-parent terms: {semeval.multi_parent.height} (first parent kept)")
semeval.multi_parent

# %% [markdown]
# Two other real label trees ship with hierlab, for topic classification (one line each):

# %%
for name in ("nyt", "rcv1"):
    t = fetch_label_tree(name).tree
    print(
        f"{name}: {t.n_nodes} nodes, {int(t.n_leaves[0])} leaf topics, max depth {t.max_depth}, "
        f"{len(t.children(0))} top-level topics"
    )

# %% [markdown]
# The icicle below draws the gold taxonomy down to depth 2: each band is a depth, each node
# as wide as its number of leaf terms; labels are shortened to fit, and bands too narrow
# for a label keep their path in the tooltip.

# %%
icicle = plot.icicle(
    gold,
    max_depth=2,
    labels=True,
    width=900,
    title=f"SemEval {SEMEVAL}: the gold taxonomy to depth 2 (width = leaf terms)",
)
groups = gold.at_depth(2)
groups = groups[~gold.is_leaf[groups]]
largest = (
    pl.DataFrame(
        {
            "branch": gold.label[gold.parent[groups]],
            "group": gold.label[groups],
            "terms": gold.n_leaves[groups],
        }
    )
    .sort("terms", descending=True)
    .group_by("branch", maintain_order=True)
    .head(3)
    .sort("branch")
)
print(f"{len(groups)} groups at depth 2; the largest three per branch:")
print(largest)
icicle

# %% [markdown]
# ## 2. Rebuilding the taxonomy from embeddings
# Every leaf term is embedded, then clustered **bottom-up** (average-linkage agglomerative
# clustering, cut into `BRANCHING`-ary levels) and **top-down** (k-means splits from the
# root). The built trees' internal nodes are unnamed clusters, so each cluster is matched to
# the gold node whose leaves it overlaps most (`compare_trees(match="leaves")`, an optimal
# one-to-one assignment). Then:
#
# - **edge precision / recall / F1**: gold parent-child edges the built tree reproduces;
# - **Fowlkes-Mallows (FM) at depth d**: agreement of the two partitions of the terms at d;
# - **distance correlation**: correlation of leaf-to-leaf tree distances (a CPCC).
#
# None of these is 0 for an unrelated tree of the same shape, so each is set against a
# **chance baseline**: the same built tree with its leaf labels shuffled `N_SHUFFLES` times
# (mean and the central 95% of the shuffles; the rank p-value counts shuffles that score at
# least as well, so its floor is 1 / (`N_SHUFFLES` + 1)).

# %%
terms = gold.label[gold.leaves()].tolist()
emb = embed_texts(terms)
depth = gold.max_depth - 1
built = {
    "bottom-up": build_bottom_up(
        emb, terms, branching=BRANCHING, max_depth=depth, root=gold.label[0]
    ),
    "top-down": build_top_down(
        emb,
        terms,
        branching=BRANCHING,
        min_size=BRANCHING,
        max_depth=depth,
        seed=SEED,
        root=gold.label[0],
    ),
}
MEASURES = {
    "edge_precision": "edge precision",
    "edge_recall": "edge recall",
    "edge_f1": "edge F1",
    "distance_correlation": "distance correlation",
    "fowlkes_mallows_depth_1": "FM depth 1",
    "fowlkes_mallows_depth_2": "FM depth 2",
    "fowlkes_mallows_depth_3": "FM depth 3",
}


def shuffled(tree: Tree, rng: np.random.Generator) -> Tree:
    """The same tree with its leaf labels permuted: same shape, no relation to the terms."""
    labels = tree.label.copy()
    leaves = tree.leaves()
    labels[leaves] = labels[rng.permutation(leaves)]
    return Tree(tree.parent, labels)


def scores(comparison) -> dict[str, float]:
    out = {f"edge_{k}": v for k, v in comparison.edge.items()}
    out["distance_correlation"] = comparison.distance_correlation
    out |= {f"fowlkes_mallows_depth_{d}": v for d, v in comparison.fowlkes_mallows.iter_rows()}
    return out


def against_chance(reference: Tree, tree: Tree, method: str, seed: int) -> pl.DataFrame:
    """Observed scores, and their distribution over shuffled copies of `tree`."""
    rng = np.random.default_rng(seed)
    observed = scores(compare_trees(reference, tree, match="leaves", n_shuffles=0, seed=seed))
    runs = [
        scores(compare_trees(reference, shuffled(tree, rng), match="leaves", n_shuffles=0))
        for _ in range(N_SHUFFLES)
    ]
    rows = []
    for key, name in MEASURES.items():
        if key not in observed:
            continue
        chance = np.array([run.get(key, np.nan) for run in runs])
        rows.append(
            {
                "method": method,
                "measure": name,
                "observed": observed[key],
                "chance_mean": chance.mean(),
                "chance_low": np.quantile(chance, 0.025),
                "chance_high": np.quantile(chance, 0.975),
                "p_value": (1 + (chance >= observed[key]).sum()) / (N_SHUFFLES + 1),
            }
        )
    return pl.DataFrame(rows)


comparisons = {
    name: compare_trees(gold, tree, match="leaves", n_shuffles=0, seed=SEED)
    for name, tree in built.items()
}
table = pl.concat([against_chance(gold, tree, name, SEED) for name, tree in built.items()])
print(
    f"{len(terms)} terms; built trees:",
    {name: f"{tree.n_nodes} nodes, depth {tree.max_depth}" for name, tree in built.items()},
)
print(f"chance: {N_SHUFFLES} shuffles of each built tree's leaves")
table

# %%
status = (
    pl.concat(
        [
            c.edges.group_by("status").len().with_columns(method=pl.lit(name))
            for name, c in comparisons.items()
        ]
    )
    .pivot("status", index="method", values="len")
    .fill_null(0)
)
print("edges by status (shared: same parent in both; moved: a gold child under another parent)")
print(status)
above = table.filter(pl.col("observed") > pl.col("chance_high"))
for name in built:
    rows = table.filter(pl.col("method") == name)
    f1 = rows.filter(pl.col("measure") == "edge F1").row(0, named=True)
    n_above = above.filter(pl.col("method") == name).height
    print(
        f"{name}: edge F1 {f1['observed']:.3f} vs chance {f1['chance_mean']:.3f} "
        f"[{f1['chance_low']:.3f}, {f1['chance_high']:.3f}]; {n_above} of {rows.height} "
        "measures above the 95% chance range"
    )
best = (
    table.filter(pl.col("measure") == "edge F1")
    .sort("observed", descending=True)
    .row(0, named=True)
)
fm = table.filter((pl.col("method") == best["method"]) & pl.col("measure").str.starts_with("FM"))
fm_text = ", ".join(
    f"{m.removeprefix('FM ')} {o:.3f} (chance {c:.3f})"
    for m, o, c in fm.select("measure", "observed", "chance_mean").iter_rows()
)
print(f"{best['method']} FM by {fm_text}")
learned.append(
    f"Rebuilt from MiniLM embeddings of its {len(terms)} terms, the {SEMEVAL} taxonomy is "
    f"recovered {'above' if best['observed'] > best['chance_high'] else 'no better than'} "
    f"chance, far from the 1 of a perfect copy: the best edge F1 is {best['observed']:.3f} "
    f"({best['method']}) against {best['chance_mean']:.3f} "
    f"[{best['chance_low']:.3f}, {best['chance_high']:.3f}] for shuffled trees of the same "
    f"shape; {above.height} of {table.height} scores beat their 95% chance range."
)
fades = fm["observed"].is_sorted(descending=True)
learned.append(
    f"The agreement {'fades' if fades else 'does not fade steadily'} with depth: "
    f"{best['method']} Fowlkes-Mallows by {fm_text}"
    + (": the broad fields are recovered better than the fine grouping of terms." if fades else ".")
)

# %% [markdown]
# The chart shows each score (dot) beside its chance range (grey bar: the central 95% of the
# shuffled trees, tick at their mean). A dot to the right of its grey bar is a recovery that
# chance does not explain; its distance from 1 is what the embeddings miss.

# %%
import altair as alt

order = list(MEASURES.values())
base = alt.Chart(table).encode(
    y=alt.Y("measure:N", sort=order, title=None),
    yOffset=alt.YOffset("method:N"),
)
chance_bars = base.mark_rule(color="#BBBBBB", strokeWidth=5).encode(
    x=alt.X(
        "chance_low:Q", title="Score against the gold taxonomy", scale=alt.Scale(domain=[-0.05, 1])
    ),
    x2="chance_high:Q",
    tooltip=["method:N", "measure:N", alt.Tooltip("chance_mean:Q", format=".3f")],
)
chance_mean = base.mark_tick(color="#555555", thickness=1, size=8).encode(x="chance_mean:Q")
observed_dots = base.mark_point(filled=True, size=60).encode(
    x="observed:Q",
    color=alt.Color("method:N", title="Built", scale=alt.Scale(range=["#0072B2", "#D55E00"])),
    shape=alt.Shape("method:N", title="Built"),
    tooltip=["method:N", "measure:N", alt.Tooltip("observed:Q", format=".3f")],
)
rebuilt_chart = alt.layer(chance_bars, chance_mean, observed_dots).properties(
    width=420,
    height=260,
    title=alt.TitleParams(
        f"SemEval {SEMEVAL} rebuilt from term embeddings",
        subtitle=f"dots: built tree; grey: 95% range of {N_SHUFFLES} leaf-shuffled trees",
    ),
)
rebuilt_chart

# %% [markdown]
# ## 3. Expansion: placing terms back
# A practical use of the embeddings: given the taxonomy minus some terms, where does each
# missing term go? The leaves are split into `N_FOLDS` folds; each fold is removed and each
# of its terms gets every remaining node ranked as its parent by `rank_positions`
# (similarity to the node and to the node's children), so every term is placed once. Per
# fold, the hit rates agree with `evaluate_expansion` (asserted below). Two baselines that
# use no embedding: the **most frequent parent** (every term goes under the node with the
# most leaf children) and a **random parent** among the nodes that have children. Rates
# carry Wilson 95% intervals over the placed terms, and the embeddings are compared with
# the most frequent parent **on the same terms** (a paired, Agresti-Min interval of the
# difference), since two overlapping intervals are not a test.

# %%
node_emb = embed_texts(gold.label.tolist())
leaves = gold.leaves()
folds = np.array_split(np.random.default_rng(SEED).permutation(leaves), N_FOLDS)
per_term = []
for fold in folds:
    keep = np.setdiff1d(np.arange(gold.n_nodes), fold)
    rest = Tree.from_paths(gold.paths(keep))  # the taxonomy without this fold's terms
    rest_ids = gold.find(rest.paths())  # gold id of every node of `rest`
    ranking = rank_positions(rest, node_emb[rest_ids], node_emb[fold])
    true_parent = rest.find(gold.paths(gold.parent[fold]))
    rank = np.argmax(ranking == true_parent[:, None], axis=1) + 1
    inner = rest.n_children > 0
    frequent = rest_ids[np.bincount(rest.parent[rest.is_leaf], minlength=rest.n_nodes).argmax()]
    check = evaluate_expansion(gold, node_emb, fold, k=(1, 10))
    assert np.isclose(check["hit@1"], (rank == 1).mean()), "per-term ranks disagree"
    assert np.isclose(check["hit@10"], (rank <= 10).mean()), "per-term ranks disagree"
    per_term.append(
        pl.DataFrame(
            {
                "term": gold.label[fold],
                "rank": rank,
                "frequent_parent": gold.parent[fold] == frequent,
                "random_parent": np.full(len(fold), 1 / inner.sum()),  # chance of a hit
                "wu_palmer": gold.wu_palmer(rest_ids[ranking[:, 0]], gold.parent[fold]),
            }
        )
    )
placements = pl.concat(per_term)
placed = placements.height
rows = []
for name, k in [
    ("embeddings, hit@1", (placements["rank"] == 1).sum()),
    ("embeddings, hit@10", (placements["rank"] <= 10).sum()),
    ("most frequent parent, hit@1", placements["frequent_parent"].sum()),
    ("random parent, hit@1 (expected)", placements["random_parent"].sum()),
]:
    lo, hi = wilson_interval([round(float(k))], [placed])
    rows.append({"placement": name, "rate": k / placed, "ci_low": lo[0], "ci_high": hi[0]})
expansion = pl.DataFrame(rows)
print(
    f"{placed} terms placed back ({N_FOLDS} folds); mean Wu-Palmer similarity of the "
    f"chosen and true parents: {placements['wu_palmer'].mean():.3f}"
)
expansion

# %%
hit = (placements["rank"] == 1).to_numpy()
freq = placements["frequent_parent"].to_numpy()
only_emb, only_freq = int((hit & ~freq).sum()), int((freq & ~hit).sum())
d_lo, d_hi = paired_difference_interval([only_emb], [only_freq], [placed])
diff = (only_emb - only_freq) / placed
verdict = (
    "better than" if d_lo[0] > 0 else "worse than" if d_hi[0] < 0 else "not distinguishable from"
)
emb1, freq1 = expansion.row(0, named=True), expansion.row(2, named=True)
print(
    f"embeddings put {emb1['rate']:.1%} [{emb1['ci_low']:.1%}, {emb1['ci_high']:.1%}] of the "
    f"terms under their gold parent, the most frequent parent {freq1['rate']:.1%}: "
    f"difference {diff:+.1%} [{d_lo[0]:+.1%}, {d_hi[0]:+.1%}] on the same {placed} terms "
    f"({only_emb} placed right only by the embeddings, {only_freq} only by the baseline)"
)
learned.append(
    f"Placed back one fold at a time, {emb1['rate']:.1%} [{emb1['ci_low']:.1%}, "
    f"{emb1['ci_high']:.1%}] of the {placed} terms land under their gold parent and "
    f"{expansion['rate'][1]:.1%} have it in their top 10: {verdict} always choosing the "
    f"most frequent parent ({freq1['rate']:.1%}; paired difference {diff:+.1%} "
    f"[{d_lo[0]:+.1%}, {d_hi[0]:+.1%}]), and a random parent would be right "
    f"{expansion['rate'][3]:.1%} of the time."
)

# %% [markdown]
# ## 4. MathVista: an empirical skill tree against the declared taxonomy
# MathVista declares its own taxonomy: category > task > source dataset > item. Does it
# describe the skills that separate models? `build_from_responses` clusters items by how
# the models answered them (items answered right by the same models end up together);
# the declared tree is then the gold standard, scored as above with the same chance
# baseline (the empirical tree with its items shuffled). An item every model answers alike
# (all right, or all wrong) says nothing about which items go together, so it is left out
# of the empirical tree, and of the comparison.

# %%
mv = fetch_mathvista()
declared = Tree.from_levels(
    mv.items, levels=["category", "task", "source", "item"], root="MathVista"
)
empirical = build_from_responses(mv.matrix, branching=4, max_depth=3)
values = mv.matrix.drop("model").to_numpy().astype(float)
n_items = values.shape[1]
all_right = int((np.nanmin(values, axis=0) == 1).sum())
all_wrong = int((np.nanmax(values, axis=0) == 0).sum())
left_out = n_items - int(empirical.n_leaves[0])
assert left_out == all_right + all_wrong  # exactly the items answered alike are left out
print(f"{mv.matrix.height} models x {n_items} items; declared: {declared}")
print(
    "declared nodes per level:",
    {level: len(declared.at_depth(d)) for d, level in enumerate(["category", "task", "source"], 1)},
)
print(f"empirical: {empirical}")
print(
    f"{int(empirical.n_leaves[0])} of {n_items} items clustered; {left_out} left out because "
    f"every model answered them alike ({all_right} all right, {all_wrong} all wrong)"
)
mathvista = against_chance(declared, empirical, "responses vs declared", SEED)
mathvista

# %%
mv_above = mathvista.filter(pl.col("observed") > pl.col("chance_high"))["measure"].to_list()
mv_f1 = mathvista.filter(pl.col("measure") == "edge F1").row(0, named=True)
mv_fm1 = mathvista.filter(pl.col("measure") == "FM depth 1").row(0, named=True)
mv_dc = mathvista.filter(pl.col("measure") == "distance correlation")["observed"][0]
print(
    f"edge F1 {mv_f1['observed']:.3f} vs chance {mv_f1['chance_mean']:.3f} "
    f"[{mv_f1['chance_low']:.3f}, {mv_f1['chance_high']:.3f}]; FM at the category level "
    f"{mv_fm1['observed']:.3f} vs chance {mv_fm1['chance_mean']:.3f} "
    f"[{mv_fm1['chance_low']:.3f}, {mv_fm1['chance_high']:.3f}]"
)
learned.append(
    f"MathVista's empirical skill tree ({int(empirical.n_leaves[0])} items; {left_out} "
    f"answered alike by all {mv.matrix.height} models left out: {all_right} all right, "
    f"{all_wrong} all wrong) "
    f"against the declared category > task > source taxonomy: edge F1 "
    f"{mv_f1['observed']:.3f} against {mv_f1['chance_mean']:.3f} by chance, FM at the category "
    f"level {mv_fm1['observed']:.3f} against {mv_fm1['chance_mean']:.3f}, distance "
    f"correlation {mv_dc:.3f}; "
    f"{len(mv_above)} of {mathvista.height} scores beat the 95% chance range."
)

# %% [markdown]
# ## Explore
# The widget switches chart types and depth; setting a control from code updates it.

# %%
from hierlab.widgets import explore_tree

explorer = explore_tree(gold)
explorer.controls["kind"].value = "sunburst"
assert explorer.chart.to_dict()["mark"]["type"] == "arc"
explorer

# %% [markdown]
# ## What we learned
# Each line is computed from the results above.

# %%
for line in learned:
    print("-", line)

# %% [markdown]
# ## Export
# Only `make figures` writes into `figures/`; an interactive run writes to `exports/`.

# %%
if EXPORT:
    plot.save(icicle, "01_semeval_icicle", folder=FIG_DIR)
    plot.save(rebuilt_chart, "01_rebuilt_vs_chance", folder=FIG_DIR)
