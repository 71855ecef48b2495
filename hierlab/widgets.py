"""Interactive explorers for JupyterLab: ipywidgets controls plus Altair JupyterCharts.

Every explorer is an ``ipywidgets.VBox`` with ``.controls`` (a dict of the control
widgets), ``.charts`` (the :class:`altair.JupyterChart` widgets) and ``.chart`` (the
current main Altair chart). Changing a control's ``.value`` — by hand or from code —
rebuilds the charts, so explorers work headless and tests can drive them. Selections
made by clicking a chart are observed from Python through JupyterChart and drive the
other views (e.g. clicking a region in the forest plot picks it in the heatmap view).

Examples
--------
>>> from hierlab import Tree
>>> ex = explore_tree(Tree.from_paths(["a/b", "a/c"]))
>>> sorted(ex.controls)
['depth', 'kind']
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import polars as pl

from hierlab._tables import as_polars, require_columns
from hierlab.errors import InputTypeError, InvalidValueError
from hierlab.tree import Tree, as_tree

__all__ = ["explore_bias", "explore_depth", "explore_irt", "explore_tree"]


def _jupyter_chart(chart: Any) -> Any:
    """Wrap an Altair chart in a JupyterChart widget, with the paper theme."""
    import altair as alt

    from hierlab.plot.theme import enable_theme

    enable_theme()
    return alt.JupyterChart(chart)


def _check_title(title: object) -> str:
    """Return ``title``, or raise an InputTypeError: explorer titles are text."""
    if not isinstance(title, str):
        raise InputTypeError(f"`title` must be text, got {type(title).__name__}.")
    return title


def _explorer(
    controls: dict[str, Any], build: Callable[[dict[str, Any]], list[Any]], title: str
) -> Any:
    """Assemble controls and charts into a VBox that rebuilds its charts when a control changes.

    ``build`` maps the controls' current values (by name) to the list of Altair charts to
    show; the first is the explorer's ``.chart``.
    """
    import html

    import ipywidgets as w

    values = {name: c.value for name, c in controls.items()}
    built = build(values)
    charts = [_jupyter_chart(c) for c in built]
    box = w.VBox([w.HTML(f"<b>{html.escape(title)}</b>"), w.HBox(list(controls.values())), *charts])
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
    tree: Tree,
    *,
    values: Any = None,
    weight: Any = None,
    title: str = "Explore the tree",
) -> Any:
    """Show a Tree as an icicle, sunburst or treemap, with a depth control.

    Parameters
    ----------
    tree : Tree
        The tree to show.
    values : array-like or mapping, optional
        A value per node to colour the tiles by (passed as ``color=`` to
        :func:`hierlab.plot.icicle`, :func:`~hierlab.plot.sunburst` and
        :func:`~hierlab.plot.treemap`).
    weight : array-like, optional
        A weight per node that sizes the tiles (for example items per node); by default
        every leaf counts once.
    title : str, default "Explore the tree"
        The explorer's heading.

    Returns
    -------
    ipywidgets.VBox
        With ``.controls`` (``kind``, ``depth``), ``.charts`` and ``.chart``.

    Examples
    --------
    >>> t = Tree.from_paths(["a/b/c", "a/d"], root="r")
    >>> ex = explore_tree(t)
    >>> ex.controls["kind"].value = "sunburst"
    >>> ex.chart.to_dict()["mark"]["type"]
    'arc'
    """
    tree = as_tree(tree, "tree")
    title = _check_title(title)
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
            return [icicle(tree, color=values, weight=weight, max_depth=v["depth"])]
        if v["kind"] == "sunburst":
            return [sunburst(tree, color=values, weight=weight, max_depth=v["depth"])]
        return [treemap(tree, color=values, weight=weight, max_depth=v["depth"])]

    return _explorer(controls, build, title)


def explore_irt(fit: Any, *, title: str = "Explore the IRT fit") -> Any:
    """Show item curves, information, the Wright map and the item audit of an IRT fit.

    Parameters
    ----------
    fit : hierlab.irt.IRTFit
        A fitted IRT model (:func:`hierlab.irt.fit_irt`).
    title : str, default "Explore the IRT fit"
        The explorer's heading.

    Returns
    -------
    ipywidgets.VBox
        With ``.controls`` (``view``, ``items``: how many items' curves to draw, spread
        over the difficulty range), ``.charts`` and ``.chart``.

    Examples
    --------
    >>> from hierlab.irt import fit_irt, simulate_responses
    >>> ex = explore_irt(fit_irt(simulate_responses(200, 12, seed=0).responses))
    >>> ex.controls["view"].value = "audit"
    >>> ex.chart.to_dict()["mark"]["type"]
    'point'
    """
    from hierlab.irt import IRTFit

    if not isinstance(fit, IRTFit):
        raise InputTypeError(
            f"`fit` must be a fitted IRT model (the IRTFit that hierlab.irt.fit_irt returns), "
            f"got {type(fit).__name__}."
        )
    title = _check_title(title)
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

    return _explorer(controls, build, title)


def _check_groups(groups: object) -> list[str]:
    """Return ``groups`` as a list of column names, or raise naming what is wrong."""
    if isinstance(groups, str):
        return [groups]
    if not isinstance(groups, Sequence) or not all(isinstance(g, str) for g in groups):
        raise InputTypeError(
            "`groups` must be a list of column names of the results table (for example "
            f"['region', 'sub_region']), got {type(groups).__name__}."
        )
    if not groups:
        raise InvalidValueError("`groups` is empty; name at least one grouping column.")
    return list(groups)


def explore_bias(
    results: Any,
    groups: Sequence[str],
    *,
    model: str = "model",
    correct: str = "correct",
    n_boot: int = 200,
    title: str = "Explore regional bias",
) -> Any:
    """Show one model's accuracy by group (a forest plot) and the model x group heatmap.

    Pick the grouping column and the model with the controls; clicking a group in the
    forest plot highlights it in the heatmap (the selection is read from the JupyterChart).

    Parameters
    ----------
    results : polars.DataFrame or pandas.DataFrame
        The long results table: one row per (model, item), with the ``correct`` column and
        the grouping columns.
    groups : sequence of str
        The grouping columns to choose from (for example ``["region", "sub_region"]``).
    model : str, default "model"
        The column naming the AI model.
    correct : str, default "correct"
        The outcome column (0/1 or a score in [0, 1]).
    n_boot : int, default 200
        Bootstrap resamples for the intervals (0 for Wilson intervals only, fastest).
    title : str, default "Explore regional bias"
        The explorer's heading.

    Returns
    -------
    ipywidgets.VBox
        With ``.controls`` (``group``, ``model``), ``.charts`` (forest plot, heatmap),
        ``.chart`` (the forest plot) and ``.picked`` (the group clicked last, or None).

    Examples
    --------
    >>> from hierlab.datasets import load_demo
    >>> demo = load_demo(n_items=200, n_models=3, seed=0)
    >>> ex = explore_bias(demo.results, ["region", "sub_region"], n_boot=0)
    >>> ex.controls["group"].value = "sub_region"
    >>> ex.chart.title
    'Aurora: correct by sub_region'
    """
    frame = as_polars(results, "`results`")
    groups = _check_groups(groups)
    title = _check_title(title)
    require_columns(
        frame,
        [model, correct, *groups],
        "`results`",
        hint="Name the columns with model=, correct= and groups=.",
    )
    import altair as alt
    import ipywidgets as w

    from hierlab.bias import disaggregate
    from hierlab.plot import forest_plot, group_heatmap

    models = sorted(frame[model].cast(pl.String).unique().to_list())
    controls = {
        "group": w.Dropdown(options=groups, value=groups[0], description="Group"),
        "model": w.Dropdown(options=models, value=models[0], description="Model"),
    }
    cache: dict[str, Any] = {}
    picked: dict[str, Any] = {"group": None}

    def table_for(group: str) -> pl.DataFrame:
        if group not in cache:
            cache[group] = disaggregate(
                frame, group, correct=correct, model=model, n_boot=n_boot
            ).table
        return cache[group]

    def build(v: dict[str, Any]) -> list[Any]:
        t = table_for(v["group"])
        pick = alt.selection_point(name="pick", fields=["group"])
        forest = forest_plot(
            t, model=v["model"], title=f"{v['model']}: {correct} by {v['group']}"
        ).add_params(pick)
        heat = group_heatmap(t, title=f"{correct} by model and {v['group']}")
        if picked["group"] is not None:
            heat = heat.transform_filter(alt.datum.group == picked["group"])
        return [forest, heat]

    box = _explorer(controls, build, title)
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
    tree: Tree,
    predictions: Any,
    *,
    depth_labels: Any = None,
    title: str = "Explore depth degradation",
) -> Any:
    """Show accuracy by depth, chance-normalised accuracy or survival for a choice of models.

    Parameters
    ----------
    tree : Tree
        The tree whose node ids the predictions use.
    predictions : polars.DataFrame or pandas.DataFrame
        The predictions table ``model, item, true, pred`` (node ids or paths of ``tree``).
    depth_labels : sequence of str or mapping of int to str, optional
        Names of the depths for the charts' axis (a list for depths 1, 2, ... or a dict
        ``{1: "region", 2: "country"}``); by default the depths are numbered.
    title : str, default "Explore depth degradation"
        The explorer's heading.

    Returns
    -------
    ipywidgets.VBox
        With ``.controls`` (``measure``, ``models``), ``.charts`` and ``.chart``.

    Examples
    --------
    >>> from hierlab.datasets import load_demo
    >>> demo = load_demo(n_items=200, n_models=3, seed=0)
    >>> ex = explore_depth(demo.tree, demo.predictions)
    >>> ex.controls["measure"].value = "survival"
    >>> len(ex.chart.to_dict()["hconcat"])
    2
    """
    tree = as_tree(tree, "tree")
    frame = as_polars(predictions, "`predictions`")
    title = _check_title(title)
    require_columns(
        frame,
        ["model", "true", "pred"],
        "`predictions`",
        hint="A predictions table has one row per (model, item) with its true and pred nodes.",
    )
    if depth_labels is not None and (
        isinstance(depth_labels, str) or not isinstance(depth_labels, Sequence | Mapping)
    ):
        raise InputTypeError(
            "`depth_labels` must be a list of names for depths 1, 2, ... or a dict "
            f"{{depth: name}}, got {type(depth_labels).__name__}."
        )
    import ipywidgets as w

    from hierlab.depth import accuracy_by_depth, survival
    from hierlab.plot import depth_curves, survival_plot

    models = sorted(frame["model"].cast(pl.String).unique().to_list())
    acc = accuracy_by_depth(tree, frame)
    surv = survival(tree, frame)
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
                survival_plot(surv.filter(pl.col("model").is_in(chosen)), depth_labels=depth_labels)
            ]
        return [
            depth_curves(
                acc.filter(pl.col("model").is_in(chosen)),
                depth_labels=depth_labels,
                normalised=v["measure"] == "chance-normalised",
            )
        ]

    return _explorer(controls, build, title)
