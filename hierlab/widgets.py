"""Interactive explorers for JupyterLab: ipywidgets controls plus Altair JupyterCharts.

Every explorer is an ``ipywidgets.VBox`` with ``.controls`` (a dict of the control
widgets), ``.charts`` (the :class:`altair.JupyterChart` widgets) and ``.chart`` (the
current main Altair chart). Changing a control's ``.value`` — by hand or from code —
rebuilds the charts, so explorers work headless and tests can drive them. Selections
made by clicking a chart are observed from Python through JupyterChart and drive the
other views (e.g. clicking a region in the forest plot picks it in the heatmap view).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import polars as pl

from hierlab._tables import as_polars, require_columns
from hierlab.tree import Tree

__all__ = ["Explorer", "explore_bias", "explore_depth", "explore_irt", "explore_tree"]


def _jupyter_chart(chart: Any) -> Any:
    import altair as alt

    from hierlab.plot.theme import enable_theme

    enable_theme()
    return alt.JupyterChart(chart)


def Explorer(
    controls: dict[str, Any], build: Callable[[dict[str, Any]], list[Any]], title: str
) -> Any:
    """Assemble controls and charts into a VBox that rebuilds when a control changes."""
    import ipywidgets as w

    values = {name: c.value for name, c in controls.items()}
    built = build(values)
    charts = [_jupyter_chart(c) for c in built]
    box = w.VBox([w.HTML(f"<b>{title}</b>"), w.HBox(list(controls.values())), *charts])
    box.controls = controls
    box.charts = charts
    box.chart = built[0]

    def refresh(_change: Any = None) -> None:
        current = {name: c.value for name, c in controls.items()}
        new = build(current)
        for widget, chart in zip(charts, new, strict=True):
            widget.chart = chart
        box.chart = new[0]

    for control in controls.values():
        control.observe(refresh, names="value")
    box.refresh = refresh
    return box


def explore_tree(
    tree: Tree, values: Any = None, weight: Any = None, title: str = "Explore the tree"
) -> Any:
    """Icicle / sunburst / treemap of a Tree with a depth control.

    Examples
    --------
    >>> t = Tree.from_paths(["a/b/c", "a/d"], root="r")
    >>> ex = explore_tree(t)
    >>> ex.controls["kind"].value = "sunburst"
    >>> ex.chart.to_dict()["mark"]["type"]
    'arc'
    """
    import ipywidgets as w

    from hierlab.plot import icicle, sunburst, treemap

    controls = {
        "kind": w.Dropdown(
            options=["icicle", "sunburst", "treemap"], value="icicle", description="Chart"
        ),
        "depth": w.IntSlider(
            value=min(3, tree.max_depth), min=1, max=max(1, tree.max_depth), description="Depth"
        ),
    }

    def build(v: dict[str, Any]) -> list[Any]:
        if v["kind"] == "icicle":
            return [icicle(tree, values, weight, max_depth=v["depth"])]
        if v["kind"] == "sunburst":
            return [sunburst(tree, values, weight, max_depth=v["depth"])]
        return [treemap(tree, values, weight, depth=v["depth"])]

    return Explorer(controls, build, title)


def explore_irt(fit: Any, title: str = "Explore the IRT fit") -> Any:
    """Item curves, information, Wright map and item audit of a fitted IRT model.

    Examples
    --------
    >>> from hierlab.irt import fit_irt, simulate_responses
    >>> ex = explore_irt(fit_irt(simulate_responses(200, 12, seed=0).responses))
    >>> ex.controls["view"].value = "audit"
    >>> ex.chart.to_dict()["mark"]["type"]
    'point'
    """
    import ipywidgets as w

    from hierlab.plot import audit_plot, icc_plot, information_plot, wright_map

    order = fit.items.sort("b" if "b" in fit.items.columns else "b1")["item"].to_list()
    controls = {
        "view": w.Dropdown(
            options=["item curves", "information", "wright map", "audit"],
            value="item curves",
            description="View",
        ),
        "items": w.IntSlider(
            value=min(6, len(order)), min=1, max=min(20, len(order)), description="Items"
        ),
    }

    def build(v: dict[str, Any]) -> list[Any]:
        if v["view"] == "item curves":
            k = v["items"]
            picks = [order[int(i * (len(order) - 1) / max(k - 1, 1))] for i in range(k)]
            return [icc_plot(fit, items=picks)]
        if v["view"] == "information":
            return [information_plot(fit)]
        if v["view"] == "wright map":
            return [wright_map(fit)]
        return [audit_plot(fit)]

    return Explorer(controls, build, title)


def explore_bias(
    results: Any,
    groups: list[str],
    model: str = "model",
    metric: str = "correct",
    n_boot: int = 200,
    title: str = "Explore regional bias",
) -> Any:
    """Forest plot of one model's metric by group (pick the grouping column and model), and
    the model x group heatmap; clicking a group in the forest plot highlights it in the
    heatmap (the selection is read from the JupyterChart).

    Examples
    --------
    >>> from hierlab.datasets import load_demo
    >>> demo = load_demo(n_items=200, n_models=3, seed=0)
    >>> ex = explore_bias(demo.results, ["region", "sub_region"], n_boot=0)
    >>> ex.controls["group"].value = "sub_region"
    >>> ex.chart.title
    'Aurora: correct by sub_region'
    """
    import altair as alt
    import ipywidgets as w

    from hierlab.bias import disaggregate
    from hierlab.plot import forest_plot, group_heatmap

    frame = as_polars(results, "The results table")
    require_columns(frame, [model, *groups], "The results table")
    models = sorted(frame[model].cast(pl.String).unique().to_list())
    controls = {
        "group": w.Dropdown(options=groups, value=groups[0], description="Level"),
        "model": w.Dropdown(options=models, value=models[0], description="Model"),
    }
    cache: dict[str, Any] = {}
    picked: dict[str, Any] = {"group": None}

    def table_for(level: str) -> pl.DataFrame:
        if level not in cache:
            cache[level] = disaggregate(
                frame, level, metric=metric, model=model, n_boot=n_boot
            ).table
        return cache[level]

    def build(v: dict[str, Any]) -> list[Any]:
        t = table_for(v["group"])
        pick = alt.selection_point(name="pick", fields=["group"])
        forest = forest_plot(
            t, model=v["model"], title=f"{v['model']}: {metric} by {v['group']}"
        ).add_params(pick)
        heat = group_heatmap(t, title=f"{metric} by model and {v['group']}")
        if picked["group"] is not None:
            heat = heat.transform_filter(alt.datum.group == picked["group"])
        return [forest, heat]

    box = Explorer(controls, build, title)
    forest_widget = box.charts[0]

    def on_select(_change: Any) -> None:
        chosen = (
            forest_widget.selections.pick.value if hasattr(forest_widget.selections, "pick") else []
        )
        picked["group"] = chosen[0]["group"] if chosen else None
        current = {name: c.value for name, c in controls.items()}
        box.charts[1].chart = build(current)[1]  # only the heatmap: the forest keeps its selection

    # the browser reports selections through this synced trait; JupyterChart turns it into
    # ``selections`` first (its own observer was registered earlier), then this runs. The
    # public ``selections`` object itself is replaced whenever the chart changes, so it
    # cannot be observed across control changes.
    forest_widget.observe(on_select, names=["_vl_selections"])
    box.picked = picked
    return box


def explore_depth(
    predictions: Any, tree: Tree, level_labels: Any = None, title: str = "Explore depth degradation"
) -> Any:
    """Per-level accuracy, chance-normalised accuracy or survival for a choice of models.

    Examples
    --------
    >>> from hierlab.datasets import load_demo
    >>> demo = load_demo(n_items=200, n_models=3, seed=0)
    >>> ex = explore_depth(demo.predictions, demo.tree)
    >>> ex.controls["measure"].value = "survival"
    >>> len(ex.chart.to_dict()["hconcat"])
    2
    """
    import ipywidgets as w

    from hierlab.depth import accuracy_by_depth, survival
    from hierlab.plot import depth_curves, survival_plot

    frame = as_polars(predictions, "The predictions table")
    require_columns(frame, ["model"], "The predictions table")
    models = sorted(frame["model"].cast(pl.String).unique().to_list())
    acc = accuracy_by_depth(frame, tree)
    surv = survival(frame, tree)
    controls = {
        "measure": w.Dropdown(
            options=["accuracy", "chance-normalised", "survival"],
            value="accuracy",
            description="Measure",
        ),
        "models": w.SelectMultiple(options=models, value=tuple(models[:3]), description="Models"),
    }

    def build(v: dict[str, Any]) -> list[Any]:
        chosen = list(v["models"]) or models[:1]
        if v["measure"] == "survival":
            return [
                survival_plot(surv.filter(pl.col("model").is_in(chosen)), level_labels=level_labels)
            ]
        return [
            depth_curves(
                acc.filter(pl.col("model").is_in(chosen)),
                level_labels=level_labels,
                normalised=v["measure"] == "chance-normalised",
            )
        ]

    return Explorer(controls, build, title)
