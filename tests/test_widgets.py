"""Explorers: controls redraw their charts, clicks pick groups and items, "Export view"
saves the view with the paper theme, models show under their display names, and the
charts load their JavaScript from the kernel (offline), never from a CDN."""

from __future__ import annotations

import json
import re
import warnings

import altair as alt
import polars as pl
import pytest

from hierlab import plot
from hierlab.datasets import load_demo
from hierlab.errors import HierlabWarning, InvalidValueError
from hierlab.irt import fit_irt, responses_from_long
from hierlab.widgets import explore_bias, explore_depth, explore_irt, explore_tree


@pytest.fixture(scope="module")
def demo():
    return load_demo(n_items=240, n_models=5, seed=1)


@pytest.fixture(scope="module")
def fit(demo):
    with warnings.catch_warnings():  # the demo has items every model gets right
        warnings.simplefilter("ignore", HierlabWarning)
        return fit_irt(responses_from_long(demo.results), "2pl")


def marks(spec: dict) -> list[str]:
    out = []
    if "mark" in spec:
        m = spec["mark"]
        out.append(m["type"] if isinstance(m, dict) else m)
    for key in ("layer", "hconcat", "vconcat"):
        for sub in spec.get(key, []):
            out += marks(sub)
    return out


def rows(widget) -> list[dict]:
    """The data rows a JupyterChart sends to the browser."""
    return [r for ds in widget.spec.get("datasets", {}).values() for r in ds]


def click(widget, name: str, **fields) -> None:
    """What the browser sends when a mark is clicked: the Vega selection, through the trait."""
    widget._vl_selections = {
        name: {"value": {"vlPoint": {"or": [fields]}}, "store": []},
    }


def test_controls_redraw_the_charts(demo, fit) -> None:
    tree_ex = explore_tree(demo.tree)
    before = tree_ex.chart.to_dict()
    tree_ex.controls["kind"].value = "treemap"
    assert tree_ex.chart.to_dict() != before and "rect" in marks(tree_ex.chart.to_dict())
    assert tree_ex.charts[0].chart is tree_ex.chart  # the JupyterChart shows the new chart

    irt_ex = explore_irt(fit)
    irt_ex.controls["items"].value = 3
    assert len({r["item"] for r in rows(irt_ex.charts[0])}) == 3

    depth_ex = explore_depth(demo.tree, demo.predictions)
    depth_ex.controls["models"].value = ("Aurora",)
    assert {r["model"] for r in rows(depth_ex.charts[0])} == {"Aurora"}

    bias_ex = explore_bias(demo.results, ["region", "sub_region"], n_boot=0)
    bias_ex.controls["model"].value = "Cirrus"
    assert bias_ex.chart.title == "Cirrus: correct by region"


def test_the_charts_are_offline() -> None:
    ex = explore_tree(load_demo(n_items=60, n_models=2, seed=0).tree)
    esm = ex.charts[0]._esm
    assert not re.search(r"https?://", esm.split("\n", 1)[0])  # no import from a CDN
    assert "cdn.jsdelivr" not in esm and "esm.sh" not in esm and len(esm) > 100_000


def test_a_click_in_the_forest_highlights_and_filters(demo) -> None:
    ex = explore_bias(demo.results, ["region", "sub_region"], n_boot=0)
    forest = ex.charts[0].chart.to_dict()
    conditions = json.dumps([layer.get("encoding", {}) for layer in forest["layer"]])
    assert '"param": "pick"' in conditions and '"opacity"' in conditions  # highlighted on click
    assert ex.charts[0]._selection_types == {"pick": "point"}  # the browser's click is heard
    assert len({r["group"] for r in rows(ex.charts[1])}) == 5
    click(ex.charts[0], "pick", group="Asia")
    assert ex.picked["group"] == "Asia"
    assert {r["group"] for r in rows(ex.charts[1])} == {"Asia"}  # the heatmap shows Asia only
    ex.charts[0]._vl_selections = {"pick": {"value": None, "store": []}}  # background click
    assert ex.picked["group"] is None and len({r["group"] for r in rows(ex.charts[1])}) == 5


def test_min_group_size_hides_small_groups(demo) -> None:
    ex = explore_bias(demo.results, ["sub_region"], n_boot=0, min_size=10)
    shown = [r for r in rows(ex.charts[1])]
    assert shown and min(r["n"] for r in shown) >= 10
    all_groups = explore_bias(demo.results, ["sub_region"], n_boot=0)
    assert len({r["group"] for r in rows(all_groups.charts[1])}) > len({r["group"] for r in shown})
    ex.controls["min_size"].value = 10_000  # nothing left: a message, not an error
    assert "lower Min items" in json.dumps(ex.chart.to_dict())


def test_an_audit_click_shows_the_item(demo, fit) -> None:
    items = demo.items.with_columns(question=pl.lit("Where is <this> city?"))
    ex = explore_irt(fit, items=items)
    ex.controls["view"].value = "audit"
    assert ex.charts[0]._selection_types == {"item_pick": "point"}
    item = fit.items["item"][3]
    click(ex.charts[0], "item_pick", item=item)
    assert ex.picked["item"] == item
    assert item in ex.details.value and "Where is &lt;this&gt; city?" in ex.details.value
    assert "flags" in ex.details.value  # flagged or "none"
    spec = json.dumps(ex.charts[0].chart.to_dict()["encoding"])
    assert '"param": "item_pick"' in spec and '"strokeWidth"' in spec  # the pick is outlined


def test_export_button_saves_the_view_with_the_paper_theme(demo, tmp_path) -> None:
    ex = explore_bias(demo.results, ["region"], n_boot=0, folder=tmp_path)
    ex.export_button.click()  # what a click in the browser does
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == sorted(
        f"bias_region_aurora_min1{suffix}.{fmt}"
        for suffix in ("", "_heatmap")
        for fmt in ("svg", "png", "pdf")
    )
    svg = (tmp_path / "bias_region_aurora_min1.svg").read_text()
    assert 'font-family="Hierlab Sans' in svg and re.search(r'width="3(16|17)', svg)
    assert "Saved" in ex.status.value
    # an export that cannot be written shows why, and the explorer keeps working
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    broken = explore_tree(demo.tree, folder=blocker / "sub")
    with pytest.raises(InvalidValueError, match="cannot create the folder"):
        broken.export()
    broken.export_button.click()  # in the browser: the reason is on show, nothing raises
    assert "cannot create the folder" in broken.status.value
    broken.controls["kind"].value = "sunburst"
    assert "arc" in marks(broken.chart.to_dict())


def test_explorers_export_to_the_notebook_folder_and_show_display_names(demo, tmp_path) -> None:
    plot.setup_notebook(folder=tmp_path, display_names={"Aurora": "Aurora (v2)"})
    try:
        ex = explore_depth(demo.tree, demo.predictions)
        assert ("Aurora (v2)", "Aurora") in ex.controls["models"].options
        assert "Aurora (v2)" in {r["model"] for r in rows(ex.charts[0])}
        written = ex.export()
        assert written and all(p.parent == tmp_path for p in written)
        bias = explore_bias(demo.results, ["region"], n_boot=0)
        assert bias.chart.title.startswith("Aurora (v2):")
    finally:
        plot.set_display_names(None)
        plot.setup_notebook(folder="exports")
        alt.renderers.enable("default")
