# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Your own results
#
# Point the parameters cell at your evaluation results and run the whole notebook: it reads
# them, says which rows have no verdict and what it does with them, places free-text answers
# in your hierarchy, ranks the models with intervals and tied tiers, looks for a gap between
# groups of items, measures how accuracy falls with depth, and - when there are enough
# models and items - fits an IRT model. Every sentence below that states a result is
# printed by the code next to it.
#
# `RESULTS` is an Inspect AI log folder or file (`FORMAT = "inspect"`, needs
# `pip install "hierlab[io]"`), an lm-evaluation-harness `--log_samples` output folder
# (`"lm_eval"`), or a CSV / TSV / Parquet / JSON Lines table (`"table"`, with `COLUMNS`
# mapping hierlab's roles to your column names, e.g. `"model=system,item=qid,correct=ok"`).
# Left empty, the notebook makes a **demo log**: the real Inspect AI, run offline with its
# mock model, answers a geolocation-style task for several simulated models with known
# abilities, so the results can be checked against the truth.

# %% tags=["parameters"]
RESULTS: str = ""  # a log folder/file or a table; empty: make the demo Inspect log
FORMAT: str = "inspect"  # "inspect", "lm_eval" or "table"
COLUMNS: str = ""  # tables only: role to column pairs, see the text above
ANSWER: str = "answer"  # the free-text answer column ("" to skip parsing and depth)
TRUTH: str = "path"  # the true root-to-node path of each item, "/"-joined
TREE: str = "demo"  # "demo", "places" (GeoNames, downloaded) or "paths" (from TRUTH)
LEVELS: str = "Region,Sub-region,Country,Admin1,City"  # names of depths 1, 2 ... (or empty)
TARGET_DEPTH: str = "target_depth"  # depth the verdict is about, per item (or empty)
FAILED: str = "drop"  # rows without a verdict (the sample failed): "drop" or "wrong"
GROUP: str = "region"  # item column to look for gaps across ("" to skip)
CONTRAST: str = "Africa,Europe"  # a directed comparison chosen in advance: "A,B"
MIN_GROUP: int = 30  # groups with fewer items are listed, never ranked
IRT_MIN_MODELS: int = 5  # fit IRT only with at least this many models ...
IRT_MIN_ITEMS: int = 50  # ... and items answered by every model
N_ITEMS: int = 200  # demo log only: items
N_MODELS: int = 6  # demo log only: models
DEMO_LOGS: str = ""  # demo log only: its folder (empty: the temporary folder)
N_BOOT: int = 500  # bootstrap resamples (the simultaneous gap intervals need 50 or more)
SEED: int = 0
FIG_DIR: str = "exports"  # beside the notebook (git-ignored); `make figures` passes figures/
EXPORT: bool = True

# %%
import json
import shutil
import tempfile
from pathlib import Path

import numpy as np
import polars as pl

from hierlab import Tree, plot
from hierlab.bias import contrast, disaggregate, disparity
from hierlab.datasets import load_demo
from hierlab.depth import accuracy_by_depth
from hierlab.errors import InvalidValueError
from hierlab.irt import fit_irt, responses_from_long
from hierlab.leaderboard import leaderboard

plot.setup_notebook(globals(), folder=FIG_DIR)  # offline charts, paper theme, checks
pl.Config.set_tbl_rows(40)
pl.Config.set_tbl_width_chars(160)
pl.Config.set_float_precision(3)
learned: list[str] = []  # the closing cell's takeaways, each computed where it is shown

# %% [markdown]
# ## The demo log (skipped when `RESULTS` is set)
# The demo benchmark (`hierlab.datasets.load_demo`) has items at real cities and simulated
# models whose answers stop at, or go wrong at, some level of World > region > sub-region >
# country > admin1 > city. Here each answer is written as a person or an API would: plain
# text ("city, admin1, country"), JSON fields, a refusal, or an API failure. Inspect's own
# `includes()` scorer gives the verdict: the answer contains the name at the item's target
# level. The log is made once per set of parameters and kept in the temporary folder.

# %%
demo = None
if not RESULTS:
    demo = load_demo(n_items=N_ITEMS, n_models=N_MODELS, seed=SEED)


def make_demo_log(folder: Path) -> None:
    """Run Inspect AI offline: one mock model per simulated model, answering from the demo."""
    from inspect_ai import Task
    from inspect_ai import eval as inspect_eval
    from inspect_ai.dataset import Sample
    from inspect_ai.model import ModelOutput, ModelUsage, get_model
    from inspect_ai.scorer import includes

    paths = demo.tree.to_polars()["path"].to_list()  # labels from the root, per node
    rng = np.random.default_rng(SEED)
    styles = rng.choice(
        ["text", "json", "refusal", "failure"],
        p=[0.72, 0.24, 0.03, 0.01],
        size=demo.predictions.height,
    )

    def written(node: int, style: str) -> str | None:
        labels = paths[node][1:]
        if style == "refusal":
            return "I'm sorry, I can't tell where this photo was taken."
        if style == "failure" or not labels:
            return None
        if len(labels) < 3:  # stopped at a region or sub-region
            return labels[-1]
        if style == "json":
            return json.dumps(
                dict(zip(["country", "state", "city"], labels[2:], strict=False)),
                ensure_ascii=False,
            )
        return ", ".join(labels[:1:-1])  # city, admin1, country (as deep as the model went)

    answers = {
        (m, i): written(p, s)
        for (m, i, p), s in zip(
            demo.predictions.select("model", "item", "pred").iter_rows(), styles, strict=True
        )
    }
    samples = [
        Sample(
            id=row["item"],
            input=f"Where was photo {row['item']} taken? Answer: city, admin1, country.",
            target=paths[row["node"]][row["target_depth"]],
            metadata={
                "region": row["region"],
                "sub_region": row["sub_region"],
                "country": row["country"],
                "target_level": row["target_level"],
                "target_depth": row["target_depth"],
                "path": "/".join(paths[row["node"]][1:]),
            },
        )
        for row in demo.items.iter_rows(named=True)
    ]
    item_of = {s.input: s.id for s in samples}

    def responder(name: str):
        def respond(messages, tools, tool_choice, config):
            text = answers[(name, item_of[messages[-1].text])]
            if text is None:
                raise RuntimeError("Error code: 529 - the API is overloaded")
            out = ModelOutput.from_content(model=f"mockllm/{name}", content=text)
            out.usage = ModelUsage(input_tokens=20, output_tokens=8, total_tokens=28)
            return out

        return respond

    inspect_eval(
        Task(dataset=samples, scorer=includes(), name="geo_photos"),
        model=[
            get_model(f"mockllm/{m}", custom_outputs=responder(m))
            for m in demo.truth.abilities["model"]
        ],
        log_dir=str(folder),
        display="none",
        fail_on_error=False,  # a failed sample keeps its row, with the error
        retry_on_error=0,
        max_tasks=N_MODELS,
        max_samples=N_ITEMS,
        log_realtime=False,
        score_display=False,
    )


if demo is not None:
    FORMAT = "inspect"
    cache = (
        Path(DEMO_LOGS or tempfile.gettempdir())
        / f"hierlab-demo-log-{N_ITEMS}x{N_MODELS}-seed{SEED}"
    )
    if not cache.is_dir():
        scratch = Path(tempfile.mkdtemp(prefix="hierlab-demo-log-"))
        make_demo_log(scratch)
        cache.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(scratch), str(cache))  # complete logs only
    RESULTS = str(cache)
print(f"reading {FORMAT} results from {RESULTS}")

# %% [markdown]
# ## 1. Read the results
# Every reader returns one long table: `model, item, correct`, the raw `answer` and the
# items' metadata. The model's name comes from the log, never from the file name.

# %%
from hierlab.io import read_inspect_logs, read_lm_eval_samples, read_results_table

if FORMAT == "inspect":
    results = read_inspect_logs(RESULTS).table
elif FORMAT == "lm_eval":
    results = read_lm_eval_samples(RESULTS).table
elif FORMAT == "table":
    mapping = dict(pair.split("=", 1) for pair in COLUMNS.split(",") if pair.strip())
    results = read_results_table(
        RESULTS, columns={k.strip(): v.strip() for k, v in mapping.items()}
    )
else:
    raise InvalidValueError(f'FORMAT must be "inspect", "lm_eval" or "table", got {FORMAT!r}')
models = sorted(results["model"].unique())
print(f"{results.height:,} rows: {len(models)} models x {results['item'].n_unique():,} items")
results.head()

# %% [markdown]
# ## 2. Rows without a verdict
# A sample that failed (an API error, a time-out) has no verdict: `correct` is null. hierlab's
# analyses refuse such rows by name rather than guess, so the notebook makes the choice
# explicit: `FAILED = "drop"` leaves them out (each model is then scored on the items it
# answered), `"wrong"` counts them as wrong answers (a model is charged for its failures).

# %%
failed = results.filter(pl.col("correct").is_null())
by_model = failed.group_by("model").len().sort("model")
print(
    f"{failed.height} of {results.height:,} rows have no verdict ({failed.height / results.height:.1%})"
)
if failed.height:
    print(by_model)
    if "error" in failed.columns:
        print("first error:", failed["error"].drop_nulls().head(1).to_list())
if FAILED == "drop":
    scored = results.filter(pl.col("correct").is_not_null())
elif FAILED == "wrong":
    scored = results.with_columns(pl.col("correct").fill_null(0.0))
else:
    raise InvalidValueError(f'FAILED must be "drop" or "wrong", got {FAILED!r}')
print(f'choice: FAILED = "{FAILED}" -> {scored.height:,} rows analysed')
learned.append(
    f'{failed.height} of {results.height:,} rows had no verdict; they were handled as FAILED = "{FAILED}".'
)

# %% [markdown]
# ## 3. Free-text answers placed in the tree
# `parse_answers` turns each answer into a node of the tree: names folded for case and
# accents, JSON fields, refusals and errors as abstentions (their own outcome, not wrong
# answers), a missing middle level filled from the tree. Every answer it could not place is
# listed with its count.

# %%
tree = None
if ANSWER and ANSWER in results.columns and TRUTH in results.columns:
    from hierlab.io import parse_answers

    if TREE == "demo":
        tree = demo.tree if demo is not None else load_demo().tree
    elif TREE == "places":
        from hierlab.datasets import load_places

        places = load_places()
        tree = places.tree
    elif TREE == "paths":
        tree = Tree.from_paths(results[TRUTH].unique().to_list(), root="World")
    else:
        raise InvalidValueError(f'TREE must be "demo", "places" or "paths", got {TREE!r}')
    parsed = parse_answers(tree, results[ANSWER], places=places if TREE == "places" else None)
    print(parsed.summary())
    unplaced = parsed.report()
    learned.append(
        f"{parsed.placement_rate():.1%} of the answers that did not abstain were placed in the "
        f"tree; {unplaced['n'].sum()} could not be placed ({unplaced.height} distinct)."
    )
else:
    print(f"no {ANSWER!r} or {TRUTH!r} column: answers are not parsed, depth is skipped")

# %% [markdown]
# ## 4. Leaderboard with intervals and tied tiers
# Accuracy with a Wilson interval per model; models are compared pairwise on the items both
# answered (McNemar, Holm-corrected), and tier 1 holds the leader and every model not
# significantly worse. Overlapping intervals are not a test; the paired comparison is.

# %%
board = leaderboard(scored, seed=SEED)
print(board.table.select("rank", "model", "n", "estimate", "ci_low", "ci_high", "tier"))
tier1 = board.table.filter(pl.col("tier") == 1)["model"].to_list()
leader = board.table.row(0, named=True)
learned.append(
    f"{leader['model']} leads with {leader['estimate']:.3f} [{leader['ci_low']:.3f}, "
    f"{leader['ci_high']:.3f}]; tier 1 (tied with it) holds {len(tier1)} model(s): {', '.join(tier1)}; "
    f"{board.table['tier'].max()} tier(s) in all."
)
board_chart = plot.leaderboard_plot(board)
board_chart

# %% [markdown]
# ## 5. Is there a gap between groups?
# Accuracy by `GROUP`, then the best-minus-worst gap per model with intervals that are
# simultaneous over every pair of groups with at least `MIN_GROUP` items: they stay valid
# after picking the best and the worst, so they can contain 0 ("no evidence of a gap").

# %%
gaps = None
if GROUP and GROUP in scored.columns:
    groups = disaggregate(scored, GROUP, min_size=MIN_GROUP, n_boot=N_BOOT, seed=SEED)
    gaps = disparity(groups, min_size=MIN_GROUP)
    cols = ["model", "best_group", "worst_group", "gap", "gap_ci_low", "gap_ci_high", "p_value"]
    print(gaps.table.select([c for c in cols if c in gaps.table.columns]))
    if gaps.small.height:
        print("listed, not ranked (fewer than MIN_GROUP items):", gaps.small)
    real = gaps.table.filter(pl.col("gap_ci_low") > 0)
    learned.append(
        f"Across {GROUP}, {real.height} of {gaps.table.height} models show a best-vs-worst gap "
        f"whose simultaneous interval excludes 0."
    )
else:
    print(f"no {GROUP!r} column: the gap analysis is skipped")

# %% [markdown]
# A comparison named **before** looking at the data (`CONTRAST = "A,B"`) needs no
# correction for selection, so its interval is narrower (the widths are printed below):
# difference A - B per model (Newcombe) and ratio A / B (MOVER-R), with the p-value of "no
# difference"; `CONTRAST = ""` skips it.

# %%
if gaps is not None and "," in CONTRAST:
    a, b = (s.strip() for s in CONTRAST.split(",", 1))
    present = set(groups.table["group"].unique())
    if {a, b} <= present:
        directed = contrast(groups, a, b)
        print(
            directed.select(
                "model",
                "n_a",
                "n_b",
                "difference",
                "difference_ci_low",
                "difference_ci_high",
                "ratio",
                "p_value",
            )
        )
        below = directed.filter(pl.col("difference_ci_high") < 0)["model"].to_list()
        pair = gaps.pairs.filter(pl.col("group_a").is_in([a, b]) & pl.col("group_b").is_in([a, b]))
        if pair.height:
            width = (directed["difference_ci_high"] - directed["difference_ci_low"]).median()
            simultaneous = (pair["ci_high"] - pair["ci_low"]).median()
            print(
                f"median width of the {a} - {b} interval: {width:.3f} named in advance, "
                f"{simultaneous:.3f} simultaneous over all pairs"
            )
        learned.append(
            f"{a} vs {b}: {len(below)} of {directed.height} models are worse on {a} with an "
            f"interval excluding 0 ({', '.join(below) or 'none'})."
        )
    else:
        print(f"{CONTRAST!r}: groups missing from {GROUP!r} ({sorted({a, b} - present)}); skipped")

# %%
if demo is not None and gaps is not None and GROUP == "region":
    print("planted regional effects of the demo (logits; the truth the gaps should follow):")
    print(demo.truth.region_effects.sort("gamma"))
    print("planted weaknesses and strengths of single models (logits):")
    print(demo.truth.model_region_effects.filter(pl.col("delta") != 0).sort("model"))

# %% [markdown]
# ## 6. Accuracy by depth
# From the placed answers: path accuracy (right node at depth d), label accuracy (right name
# at d whatever the path above), conditional accuracy (right at d given right at d - 1: what
# is lost at each step) and coverage (answers that reach d; abstentions and answers that
# stop early do not), each with a Wilson interval. Abstentions are kept as null predictions.

# %%
depth = None
if tree is not None:
    truth_nodes = tree.find(
        results[TRUTH].str.split("/").list.eval(pl.lit("World").append(pl.element()))
    )
    predictions = pl.DataFrame(
        {
            "model": results["model"],
            "item": results["item"],
            "true": truth_nodes,
            "pred": parsed.table["node"],
        }
    )
    depth = accuracy_by_depth(tree, predictions).sort("model", "depth")
    print(
        depth.select(
            "model",
            "depth",
            "accuracy",
            "ci_low",
            "ci_high",
            "label_accuracy",
            "conditional",
            "conditional_ci_low",
            "conditional_ci_high",
            "coverage",
        )
    )
    steepest = (
        depth.filter(pl.col("depth") > 1)
        .group_by("depth")
        .agg(pl.col("conditional").mean())
        .sort("conditional")
        .row(0, named=True)
    )
    learned.append(
        f"The largest loss is at depth {steepest['depth']}: on average across models only "
        f"{steepest['conditional']:.1%} of the answers right at depth {steepest['depth'] - 1} are "
        f"also right at depth {steepest['depth']}."
    )
    depth_chart = plot.depth_curves(
        depth,
        measure="conditional",
        title="Right at each level, given right at the level above",
        depth_labels=[s.strip() for s in LEVELS.split(",")] if LEVELS else None,
        width=420,  # room for the level names
    )
    depth_chart
else:
    print("no placed answers: depth analysis skipped")

# %% [markdown]
# ### Does the scorer agree with the tree?
# The verdict in the log comes from the task's scorer (in the demo, Inspect's `includes()`:
# the answer contains the target name). The placed answer gives a second verdict: is its
# ancestor at the item's target depth (`TARGET_DEPTH`) the true one? Where the two disagree,
# one of them is wrong about the answer; the table shows which way and examples.

# %%
if depth is not None and TARGET_DEPTH and TARGET_DEPTH in results.columns:
    both = predictions.with_columns(
        target=results[TARGET_DEPTH], scorer=results["correct"], answer=results[ANSWER]
    ).filter(pl.col("pred").is_not_null() & pl.col("scorer").is_not_null())
    levels = both["target"].to_numpy()
    tree_right = tree.ancestor_at(both["pred"].to_numpy(), levels) == tree.ancestor_at(
        both["true"].to_numpy(), levels
    )
    both = both.with_columns(tree=pl.Series(tree_right.astype(float)))
    agree = (both["tree"] == both["scorer"]).mean()
    print(f"scorer and tree agree on {agree:.1%} of {both.height:,} placed answers with a verdict")
    print(
        both.group_by("target", "scorer", "tree")
        .agg(pl.len().alias("n"), pl.col("answer").first().alias("example"))
        .filter(pl.col("scorer") != pl.col("tree"))
        .sort("target", "scorer")
    )
    missed = both.filter((pl.col("tree") == 1) & (pl.col("scorer") == 0))
    credited = both.filter((pl.col("tree") == 0) & (pl.col("scorer") == 1))
    example = f' (e.g. "{credited["answer"][0]}")' if credited.height else ""
    learned.append(
        f"The scorer and the placed answers agree on {agree:.1%} of verdicts; the scorer "
        f"credits {credited.height} answers the tree finds wrong at the target level{example} "
        f"and misses {missed.height} the tree finds right."
    )

# %% [markdown]
# ## 7. IRT: abilities once item difficulty is accounted for
# With enough models and items, a 2PL model puts models and items on one scale; each
# ability gets a 95% interval (estimate +- 1.96 standard errors). It is fitted on the items
# every model answered, leaving out those answered alike by all models.

# %%
complete = scored.filter(pl.len().over("item") == scored["model"].n_unique())
# an item every model got right (or wrong) says nothing about ability: leave it out, openly
alike = complete.group_by("item").agg(pl.col("correct").n_unique() == 1).filter("correct")
print(
    f"{alike.height} of {complete['item'].n_unique()} complete items are answered alike by every model: left out"
)
complete = complete.join(alike.select("item"), on="item", how="anti")
n_models, n_items = complete["model"].n_unique(), complete["item"].n_unique()
binary = complete["correct"].is_in([0.0, 1.0]).all()
if n_models < IRT_MIN_MODELS or n_items < IRT_MIN_ITEMS or not binary:
    reason = (
        f"{n_models} models (need {IRT_MIN_MODELS})"
        if n_models < IRT_MIN_MODELS
        else f"{n_items} complete items (need {IRT_MIN_ITEMS})"
        if n_items < IRT_MIN_ITEMS
        else "scores that are not 0/1"
    )
    print(f"IRT skipped: {reason}.")
    learned.append(f"IRT was not fitted: {reason}.")
else:
    fit = fit_irt(responses_from_long(complete), "2pl")
    abilities = (
        fit.abilities.with_columns(
            ci_low=pl.col("theta") - 1.96 * pl.col("theta_se"),
            ci_high=pl.col("theta") + 1.96 * pl.col("theta_se"),
        )
        .sort("theta", descending=True)
        .with_row_index("irt_rank", offset=1)
        .join(board.table.select("model", "rank"), on="model")
    )
    print(f"2PL on {n_models} models x {n_items} items")
    print(abilities.select("irt_rank", "rank", "model", "theta", "theta_se", "ci_low", "ci_high"))
    moved = abilities.filter(pl.col("irt_rank") != pl.col("rank")).height
    learned.append(
        f"A 2PL fit on {n_items} items ranks {n_models - moved} of {n_models} models as the "
        f"accuracy leaderboard does; the top ability is {abilities['theta'][0]:.2f} "
        f"[{abilities['ci_low'][0]:.2f}, {abilities['ci_high'][0]:.2f}]."
    )
    if demo is not None:
        planted = demo.truth.abilities.rename({"theta": "planted"})
        truth = abilities.with_columns(pl.col("model").str.replace("^mockllm/", "")).join(
            planted, on="model"
        )
        r = truth.select(pl.corr("theta", "planted", method="spearman")).item()
        print(f"rank correlation with the planted abilities: {r:.3f}")
        learned.append(
            f"Against the demo's planted abilities, the IRT ranking has Spearman {r:.2f}."
        )

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
    written = plot.save(board_chart, "06_leaderboard", folder=FIG_DIR)
    if depth is not None:
        written += plot.save(depth_chart, "06_depth_conditional", folder=FIG_DIR, size="double")
    print([p.name for p in written])
