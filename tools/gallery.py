"""Render the README's chart gallery from the embedded demo: ``python tools/gallery.py FOLDER``.

Deterministic (seeded demo, byte-stable export), offline, a few seconds. ``make figures``
runs it into ``figures/gallery``.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import polars as pl

DEPTH_LABELS = ["Region", "Sub-region", "Country", "Admin1", "City"]


def render(folder: str | Path, *, verbose: bool = False) -> list[Path]:
    """Write the gallery charts (SVG and PNG) into ``folder``; returns the files."""
    from hierlab import plot
    from hierlab.bias import disaggregate, disparity
    from hierlab.datasets import load_demo
    from hierlab.depth import accuracy_by_depth, survival
    from hierlab.errors import HierlabWarning
    from hierlab.irt import fit_irt, responses_from_long, topic_profiles

    demo = load_demo(seed=0)
    models = ["Aurora", "Fjord", "Lagoon"]
    preds = demo.predictions.filter(pl.col("model").is_in(models))
    items = np.bincount(demo.items["node"].to_numpy(), minlength=demo.tree.n_nodes)
    d = disaggregate(demo.results, "region", n_boot=500, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HierlabWarning)
        responses = responses_from_long(demo.results)
        fit = fit_irt(responses, "2pl")
        profiles = topic_profiles(
            responses, demo.items.select("item", pl.col("region").alias("topic")), min_items=20
        )
    charts = {
        "coverage_map": plot.coverage_map(demo.items, title="Demo benchmark: items per country"),
        "forest_plot": plot.forest_plot(
            d, model="Aurora", title="Aurora: accuracy by region (Wilson 95% CI)"
        ),
        "disparity": plot.disparity_plot(
            disparity(d), title="Best minus worst region (bootstrap 95% CI)"
        ),
        "depth_curves": plot.depth_curves(
            accuracy_by_depth(demo.tree, preds),
            depth_labels=DEPTH_LABELS,
            title="Accuracy falls with depth",
        ),
        "survival": plot.survival_plot(survival(demo.tree, preds), depth_labels=DEPTH_LABELS),
        "wright_map": plot.wright_map(fit, title="Models and item difficulties on one scale"),
        "profile_heatmap": plot.profile_heatmap(
            profiles, title="Topic abilities (outlined: spiky)"
        ),
        "treemap": plot.treemap(
            demo.tree, weight=items, max_depth=2, title="Demo items by sub-region"
        ),
    }
    written = []
    for name, chart in charts.items():
        written += plot.save(chart, name, formats=("svg", "png"), folder=folder)
        if verbose:
            print(f"    {name}", flush=True)
    return written


if __name__ == "__main__":
    import time

    start = time.perf_counter()
    out = render(sys.argv[1] if len(sys.argv) > 1 else "figures/gallery", verbose=True)
    print(f"{len(out)} gallery files written in {time.perf_counter() - start:.1f} s")
