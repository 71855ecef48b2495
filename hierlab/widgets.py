"""Interactive explorers for JupyterLab: ipywidgets controls plus Altair JupyterCharts.

Every explorer is an ``ipywidgets.VBox`` with ``.controls`` (a dict of the control
widgets), ``.charts`` (the :class:`altair.JupyterChart` widgets) and ``.chart`` (the
current main Altair chart). Changing a control's ``.value`` — by hand or from code —
rebuilds the charts, so explorers work headless and tests can drive them. Selections
made by clicking a chart are observed from Python through JupyterChart and drive the
other views (clicking a region in the forest plot highlights it and picks it in the
heatmap; clicking an item in the IRT audit shows its text and metadata).

The charts render offline: the Vega JavaScript comes from vl-convert in the kernel,
never from a CDN. Every explorer has an "Export view" button (and an ``.export()``
method) that saves the charts on show with the paper theme through
:func:`hierlab.plot.save`, to ``folder=`` or :func:`hierlab.plot.export_folder`.

Examples
--------
>>> from hierlab import Tree
>>> ex = explore_tree(Tree.from_paths(["a/b", "a/c"]))
>>> sorted(ex.controls)
['depth', 'kind']
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import polars as pl

from hierlab._tables import as_polars, require_columns
from hierlab.errors import EmptyInputError, HierlabError, InputTypeError, InvalidValueError
from hierlab.tree import Tree, as_tree

__all__ = ["explore_bias", "explore_depth", "explore_irt", "explore_tree"]

#: The size the "export this view" buttons write (see :func:`hierlab.plot.save`).
EXPORT_SIZE = "auto"


def _jupyter_chart(chart: Any) -> Any:
    """Wrap an Altair chart in an offline JupyterChart widget, with the paper theme."""
    import altair as alt

    from hierlab.plot.setup import offline_widgets, use_data_transformer
    from hierlab.plot.theme import enable_theme

    enable_theme()
    offline_widgets()
    with use_data_transformer():
        return alt.JupyterChart(chart)


def _show(widget: Any, chart: Any) -> None:
    """Show ``chart`` in the JupyterChart ``widget`` (display names applied)."""
    from hierlab.plot.setup import use_data_transformer

    with use_data_transformer():
        widget.chart = chart


def _check_title(title: object) -> str:
    """Return ``title``, or raise an InputTypeError: explorer titles are text."""
    if not isinstance(title, str):
        raise InputTypeError(f"`title` must be text, got {type(title).__name__}.")
    return title


def _check_folder(folder: object) -> Path | None:
    """Return ``folder`` as a Path (None: the set-up's export folder), or raise."""
    if folder is None:
        return None
    if not isinstance(folder, str | Path):
        raise InputTypeError(
            f"`folder` must be a folder path (text or pathlib.Path), got {type(folder).__name__}."
        )
    return Path(folder)


def _slug(*parts: Any) -> str:
    """Return a file-name-safe stem made of the parts (``"bias", "x y"`` -> ``bias_x-y``)."""
    text = "_".join(str(p) for p in parts if str(p))
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-_").lower() or "view"


def _shown(model: str) -> str:
    """Return the display name of a model (see ``set_display_names``), or its id."""
    from hierlab.plot.setup import display_names

    return display_names().get(model, model)


def _message_chart(text: str) -> Any:
    """Return a chart that only says ``text`` (when a control leaves nothing to draw)."""
    import altair as alt

    return (
        alt.Chart(pl.DataFrame({"message": [text]}))
        .mark_text(fontSize=12, align="left", color="#555555")
        .encode(text="message:N", tooltip=["message:N"])
        .properties(width=320, height=40)
    )


def _highlight(chart: Any, param: Any, field: str, *, mark: str = "point") -> Any:
    """Add the click selection ``param`` to ``chart`` and emphasise what it picks.

    In every layer that encodes ``field``, the picked marks keep full opacity and the
    others fade while something is picked; ``mark`` marks also get a dark outline. (A
    layer chart holds the selection in its first layer, where JupyterChart reads it.)
    """
    import altair as alt

    def emphasise(unit: Any) -> Any:
        spec = unit.to_dict(validate=False)
        encoding = spec.get("encoding", {})
        fields = {
            e.get("field")
            for channel in encoding.values()
            for e in (channel if isinstance(channel, list) else [channel])
            if isinstance(e, dict)
        }
        kind = spec.get("mark", {})
        kind = kind.get("type") if isinstance(kind, dict) else kind
        if field not in fields or "opacity" in encoding:
            return unit
        unit = unit.encode(opacity=alt.condition(param, alt.value(1.0), alt.value(0.25)))
        if kind == mark:
            unit = unit.encode(
                stroke=alt.condition(param, alt.value("#000000"), alt.value(None), empty=False),
                strokeWidth=alt.condition(param, alt.value(2), alt.value(0), empty=False),
            )
        return unit

    if isinstance(chart, alt.LayerChart):
        chart = chart.copy(deep=["layer"])
        chart.layer = [emphasise(layer) for layer in chart.layer]
        return chart.add_params(param)
    return emphasise(chart).add_params(param)


def _explorer(
    controls: dict[str, Any],
    build: Callable[[dict[str, Any]], list[tuple[str, Any]]],
    title: str,
    *,
    folder: Path | None,
) -> Any:
    """Assemble controls, charts and an "export this view" button into a VBox.

    ``build`` maps the controls' current values (by name) to the charts to show, each with
    the file name an export gives it; the first is the explorer's ``.chart``. Changing a
    control rebuilds the charts; the button (or ``.export()``) saves the charts on show
    with the paper theme to ``folder`` (default: :func:`hierlab.plot.export_folder`).
    """
    import ipywidgets as w

    values = {name: c.value for name, c in controls.items()}
    built = build(values)
    charts = [_jupyter_chart(c) for _, c in built]
    button = w.Button(
        description="Export view",
        icon="download",
        tooltip="Save the charts on show as SVG, PNG and PDF with the paper theme",
    )
    status = w.HTML("")
    box = w.VBox(
        [
            w.HTML(f"<b>{html.escape(title)}</b>"),
            w.HBox([*controls.values(), button]),
            status,
            *charts,
        ]
    )
    box.controls = controls
    box.charts = charts
    box.chart = built[0][1]
    box.names = [n for n, _ in built]
    box.export_button = button
    box.status = status

    def refresh(_change: Any = None) -> None:
        current = {name: c.value for name, c in controls.items()}
        new = build(current)
        for widget, (_, chart) in zip(charts, new, strict=True):
            _show(widget, chart)
        box.chart = new[0][1]
        box.names = [n for n, _ in new]

    def export(*, target: str | Path | None = None) -> list[Path]:
        from hierlab.plot import export_folder, save

        where = Path(target) if target is not None else folder or export_folder()
        written: list[Path] = []
        try:
            for name, widget in zip(box.names, charts, strict=True):
                written += save(widget.chart, name, folder=where, size=EXPORT_SIZE)
        except HierlabError as err:
            status.value = f"<span style='color:#b00020'>{html.escape(str(err))}</span>"
            raise
        shown = ", ".join(p.name for p in written)
        status.value = f"Saved {html.escape(shown)} in {html.escape(str(where))}"
        return written

    def on_click(_button: Any) -> None:
        try:
            export()
        except HierlabError:
            pass  # the message is on show in the status line

    for control in controls.values():
        control.observe(refresh, names="value")
    button.on_click(on_click)
    box.refresh = refresh
    box.export = export
    return box


def explore_tree(
    tree: Tree,
    *,
    values: Any = None,
    weight: Any = None,
    title: str = "Explore the tree",
    folder: str | Path | None = None,
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
    folder : str or pathlib.Path, optional
        Where "Export view" writes (default :func:`hierlab.plot.export_folder`).

    Returns
    -------
    ipywidgets.VBox
        With ``.controls`` (``kind``, ``depth``), ``.charts``, ``.chart``, ``.export()``
        and ``.export_button``.

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
    folder = _check_folder(folder)
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
    charts = {"icicle": icicle, "sunburst": sunburst, "treemap": treemap}

    def build(v: dict[str, Any]) -> list[tuple[str, Any]]:
        chart = charts[v["kind"]](tree, color=values, weight=weight, max_depth=v["depth"])
        return [(_slug("tree", v["kind"], f"depth{v['depth']}"), chart)]

    return _explorer(controls, build, title, folder=folder)


def _item_details(item: str, fit: Any, info: pl.DataFrame | None, audit: pl.DataFrame) -> str:
    """HTML for one item: its parameters, its audit flags and its text and metadata."""
    rows: list[tuple[str, Any]] = [("item", item)]
    params = fit.items.filter(pl.col("item") == item)
    if params.height:
        for column in params.columns:
            if column != "item":
                rows.append((column, params[column][0]))
    flags = audit.filter(pl.col("item") == item)
    reasons = flags["reasons"].to_list()[0] if flags.height and "reasons" in flags.columns else None
    rows.append(("flags", ", ".join(reasons) if reasons else "none"))
    if info is not None:
        found = info.filter(pl.col("item").cast(pl.String) == item)
        if found.height:
            for column in found.columns:
                if column != "item":
                    rows.append((column, found[column][0]))
    cells = []
    for key, value in rows:
        if isinstance(value, float):
            text = f"{value:.3g}"
        else:
            text = str(value)
        if len(text) > 1000:
            text = text[:1000] + " ..."
        cells.append(
            f"<tr><th style='text-align:left;padding-right:1em;vertical-align:top'>"
            f"{html.escape(key)}</th><td style='white-space:pre-wrap'>{html.escape(text)}</td></tr>"
        )
    return "<table>" + "".join(cells) + "</table>"


def explore_irt(
    fit: Any,
    *,
    items: Any = None,
    title: str = "Explore the IRT fit",
    folder: str | Path | None = None,
) -> Any:
    """Show item curves, information, the Wright map and the item audit of an IRT fit.

    In the audit view, click an item to see its parameters, its audit flags and (with
    ``items``) its text and metadata below the chart; the item is highlighted.

    Parameters
    ----------
    fit : hierlab.irt.IRTFit
        A fitted IRT model (:func:`hierlab.irt.fit_irt`).
    items : polars.DataFrame or pandas.DataFrame, optional
        One row per item: an ``item`` column and the item's text and metadata (for
        example ``question``, ``source``, ``topic``), shown when the item is clicked.
    title : str, default "Explore the IRT fit"
        The explorer's heading.
    folder : str or pathlib.Path, optional
        Where "Export view" writes (default :func:`hierlab.plot.export_folder`).

    Returns
    -------
    ipywidgets.VBox
        With ``.controls`` (``view``, ``items``: how many items' curves to draw, spread
        over the difficulty range), ``.charts``, ``.chart``, ``.details`` (the clicked
        item's HTML), ``.picked`` (``{"item": ...}``), ``.show_item(item)``,
        ``.export()`` and ``.export_button``.

    Examples
    --------
    >>> from hierlab.irt import fit_irt, simulate_responses
    >>> ex = explore_irt(fit_irt(simulate_responses(200, 12, seed=0).responses))
    >>> ex.controls["view"].value = "audit"
    >>> ex.chart.to_dict()["mark"]["type"]
    'point'
    >>> ex.show_item("item_3")
    >>> "item_3" in ex.details.value
    True
    """
    from hierlab.irt import IRTFit, audit_items

    if not isinstance(fit, IRTFit):
        raise InputTypeError(
            f"`fit` must be a fitted IRT model (the IRTFit that hierlab.irt.fit_irt returns), "
            f"got {type(fit).__name__}."
        )
    title = _check_title(title)
    folder = _check_folder(folder)
    info = None
    if items is not None:
        info = as_polars(items, "`items`")
        require_columns(
            info, ["item"], "`items`", hint="One row per item, with its text and metadata."
        )
    import altair as alt
    import ipywidgets as w

    from hierlab.plot import audit_item_plot, icc_plot, information_plot, wright_map

    order = fit.items.sort("b" if "b" in fit.items.columns else "b1")["item"].to_list()
    has_audit = "a" in fit.items.columns and "b" in fit.items.columns
    views = ["item curves", "information", "wright map"] + (["audit"] if has_audit else [])
    controls = {
        "view": w.Dropdown(options=views, value="item curves", description="View"),
        "items": w.IntSlider(
            value=min(6, len(order)), min=1, max=min(20, len(order)), description="Items"
        ),
    }
    audited = audit_items(fit) if has_audit else None
    audit = (
        audited.items
        if audited is not None
        else pl.DataFrame({"item": []}, schema={"item": pl.String})
    )
    pick = alt.selection_point(name="item_pick", fields=["item"], on="click")

    def build(v: dict[str, Any]) -> list[tuple[str, Any]]:
        if v["view"] == "item curves":
            k = v["items"]
            picks = [order[int(i * (len(order) - 1) / max(k - 1, 1))] for i in range(k)]
            return [(_slug("irt_item_curves", k), icc_plot(fit, items=picks))]
        if v["view"] == "information":
            return [("irt_information", information_plot(fit))]
        if v["view"] == "wright map":
            return [("irt_wright_map", wright_map(fit))]
        chart = _highlight(audit_item_plot(audited), pick, "item")
        return [("irt_audit", chart)]

    box = _explorer(controls, build, title, folder=folder)
    details = w.HTML("<i>Click an item in the audit view to see it here.</i>")
    box.children = (*box.children, details)
    box.details = details
    picked: dict[str, Any] = {"item": None}
    box.picked = picked
    chart_widget = box.charts[0]

    def show_item(item: Any) -> None:
        picked["item"] = None if item is None else str(item)
        if item is None:
            details.value = "<i>Click an item in the audit view to see it here.</i>"
            return
        details.value = _item_details(str(item), fit, info, audit)

    def on_select(_change: Any) -> None:
        selections = chart_widget.selections
        chosen = selections.item_pick.value if hasattr(selections, "item_pick") else []
        show_item(chosen[0].get("item") if chosen else None)

    chart_widget.observe(on_select, names=["_vl_selections"])
    box.show_item = show_item
    return box


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


def _check_count(value: object, name: str) -> int:
    """Return ``value`` if it is a non-negative int, else raise naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputTypeError(f"`{name}` must be a whole number, got {type(value).__name__}.")
    if value < 0:
        raise InvalidValueError(f"`{name}` must be 0 or more, got {value}.")
    return value


def explore_bias(
    results: Any,
    groups: Sequence[str],
    *,
    model: str = "model",
    correct: str = "correct",
    min_size: int = 1,
    n_boot: int = 200,
    title: str = "Explore regional bias",
    folder: str | Path | None = None,
) -> Any:
    """Show one model's accuracy by group (a forest plot) and the model x group heatmap.

    Pick the grouping column, the model and the smallest group size with the controls;
    clicking a group in the forest plot highlights it there and shows only that group in
    the heatmap (the selection is read from the JupyterChart; click the background to
    clear it).

    Parameters
    ----------
    results : polars.DataFrame or pandas.DataFrame
        The long results table: one row per (model, item), with the ``item`` and
        ``correct`` columns and the grouping columns.
    groups : sequence of str
        The grouping columns to choose from (for example ``["region", "sub_region"]``).
    model : str, default "model"
        The column naming the AI model.
    correct : str, default "correct"
        The outcome column (0/1 or a score in [0, 1]).
    min_size : int, default 1
        The initial smallest group shown, in items (the "Min items" control).
    n_boot : int, default 200
        Bootstrap resamples for the intervals (0 for Wilson intervals only, fastest).
    title : str, default "Explore regional bias"
        The explorer's heading.
    folder : str or pathlib.Path, optional
        Where "Export view" writes (default :func:`hierlab.plot.export_folder`).

    Returns
    -------
    ipywidgets.VBox
        With ``.controls`` (``group``, ``model``, ``min_size``), ``.charts`` (forest plot,
        heatmap), ``.chart`` (the forest plot), ``.picked`` (the group clicked last, or
        None), ``.export()`` and ``.export_button``.

    Examples
    --------
    >>> from hierlab.datasets import load_demo
    >>> demo = load_demo(n_items=200, n_models=3, seed=0)
    >>> ex = explore_bias(demo.results, ["region", "sub_region"], n_boot=0)
    >>> ex.controls["group"].value = "sub_region"
    >>> ex.chart.title
    'Aurora: correct by sub_region'
    >>> ex.controls["min_size"].value = 10
    >>> min(ex.chart.layer[0].data["n"]) >= 10
    True
    """
    frame = as_polars(results, "`results`")
    groups = _check_groups(groups)
    title = _check_title(title)
    folder = _check_folder(folder)
    min_size = _check_count(min_size, "min_size")
    require_columns(
        frame,
        [model, correct, "item", *groups],
        "`results`",
        hint="Name the columns with model=, correct= and groups=.",
    )
    if frame.height == 0:
        raise EmptyInputError(
            "`results` has no rows; explore_bias needs one row per (model, item)."
        )
    models = sorted(frame[model].drop_nulls().cast(pl.String).unique().to_list())
    if not models:
        raise EmptyInputError(f"The {model!r} column of `results` holds only nulls.")
    empty = [g for g in groups if frame[g].null_count() == frame.height]
    if empty:
        raise EmptyInputError(
            f"The grouping column(s) {', '.join(map(repr, empty))} hold only nulls; pick "
            "columns that group the items."
        )
    import altair as alt
    import ipywidgets as w

    from hierlab.bias import disaggregate
    from hierlab.plot import forest_plot, group_heatmap

    largest = int(frame.group_by(model, groups[0]).len()["len"].max() or 1)
    controls = {
        "group": w.Dropdown(options=groups, value=groups[0], description="Group"),
        "model": w.Dropdown(
            options=[(_shown(m), m) for m in models], value=models[0], description="Model"
        ),
        "min_size": w.BoundedIntText(
            value=min_size, min=0, max=max(largest * 10, min_size, 1), description="Min items"
        ),
    }
    cache: dict[str, Any] = {}
    picked: dict[str, Any] = {"group": None}

    def table_for(group: str) -> pl.DataFrame:
        if group not in cache:
            cache[group] = disaggregate(
                frame, group, correct=correct, model=model, n_boot=n_boot, min_size=1
            ).table
        return cache[group]

    def build(v: dict[str, Any]) -> list[tuple[str, Any]]:
        t = table_for(v["group"]).filter(pl.col("n") >= v["min_size"])
        stem = _slug("bias", v["group"], v["model"], f"min{v['min_size']}")
        mine = t.filter(pl.col("model") == v["model"])
        if mine.height == 0:
            note = _message_chart(
                f"No {v['group']} has {v['min_size']} or more items for {_shown(v['model'])}; "
                "lower Min items."
            )
            return [(stem, note), (stem + "_heatmap", _message_chart("Nothing to show."))]
        pick = alt.selection_point(name="pick", fields=["group"], on="click")
        forest = forest_plot(
            mine, model=v["model"], title=f"{_shown(v['model'])}: {correct} by {v['group']}"
        )
        forest = _highlight(forest, pick, "group")
        chosen = picked["group"]
        if chosen is not None and chosen in t["group"].to_list():
            heat = group_heatmap(
                t.filter(pl.col("group") == chosen),
                title=f"{correct} by model: {chosen}",
            )
        else:
            heat = group_heatmap(t, title=f"{correct} by model and {v['group']}")
        return [(stem, forest), (stem + "_heatmap", heat)]

    box = _explorer(controls, build, title, folder=folder)
    forest_widget = box.charts[0]

    def on_select(_change: Any) -> None:
        selections = forest_widget.selections
        chosen = selections.pick.value if hasattr(selections, "pick") else []
        picked["group"] = chosen[0].get("group") if chosen else None
        current = {name: c.value for name, c in controls.items()}
        # only the heatmap: the forest keeps its selection
        _show(box.charts[1], build(current)[1][1])

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
    folder: str | Path | None = None,
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
    folder : str or pathlib.Path, optional
        Where "Export view" writes (default :func:`hierlab.plot.export_folder`).

    Returns
    -------
    ipywidgets.VBox
        With ``.controls`` (``measure``, ``models``), ``.charts``, ``.chart``,
        ``.export()`` and ``.export_button``.

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
    folder = _check_folder(folder)
    require_columns(
        frame,
        ["model", "true", "pred"],
        "`predictions`",
        hint="A predictions table has one row per (model, item) with its true and pred nodes.",
    )
    if frame.height == 0:
        raise EmptyInputError(
            "`predictions` has no rows; explore_depth needs one row per (model, item)."
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

    models = sorted(frame["model"].drop_nulls().cast(pl.String).unique().to_list())
    acc = accuracy_by_depth(tree, frame)
    surv = survival(tree, frame)
    controls = {
        "measure": w.Dropdown(
            options=["accuracy", "chance-normalised", "survival"],
            value="accuracy",
            description="Measure",
        ),
        "models": w.SelectMultiple(
            options=[(_shown(m), m) for m in models],
            value=tuple(models[:3]),
            description="Models",
        ),
    }

    def build(v: dict[str, Any]) -> list[tuple[str, Any]]:
        chosen = list(v["models"]) or models[:1]
        stem = _slug("depth", v["measure"], *chosen[:4])
        if v["measure"] == "survival":
            chart = survival_plot(
                surv.filter(pl.col("model").is_in(chosen)), depth_labels=depth_labels
            )
        else:
            chart = depth_curves(
                acc.filter(pl.col("model").is_in(chosen)),
                depth_labels=depth_labels,
                normalised=v["measure"] == "chance-normalised",
            )
        return [(stem, chart)]

    return _explorer(controls, build, title, folder=folder)
