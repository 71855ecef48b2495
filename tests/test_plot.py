"""Charts render through vl-convert with the expected marks and encodings; exports are
offline, byte-stable, sized for a journal column with text of at least 7 pt, and drawn
with the vendored font whatever fonts the machine has."""

from __future__ import annotations

import json
import warnings

import altair as alt
import numpy as np
import polars as pl
import pytest
import vl_convert as vlc
from scipy.cluster.hierarchy import linkage

from hierlab import Tree, plot
from hierlab.bias import disaggregate, disparity
from hierlab.datasets import load_demo
from hierlab.depth import accuracy_by_depth, deepest_correct, survival
from hierlab.errors import HierlabWarning, InputShapeError, InputTypeError, InvalidValueError
from hierlab.irt import dif, fit_irt, responses_from_long, topic_profiles
from hierlab.plot.save import chart_spec


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
    if "spec" in spec:
        out += marks(spec["spec"])
    return out


def rows(spec: dict) -> int:
    biggest = 0
    for ds in spec.get("datasets", {}).values():
        biggest = max(biggest, len(ds))
    return biggest


def render(chart) -> str:
    svg = vlc.vegalite_to_svg(json.dumps(chart_spec(chart)), allowed_base_urls=[])
    assert svg.startswith("<svg") and "<text" in svg  # text was drawn (a font was found)
    return svg


def chart_cases(demo, fit):
    tree = demo.tree
    weight = np.bincount(demo.items["node"].to_numpy(), minlength=tree.n_nodes)
    d = disaggregate(demo.results, "region", n_boot=100)
    preds = demo.predictions.filter(pl.col("model").is_in(["Aurora", "Cirrus"]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HierlabWarning)
        tp = topic_profiles(
            responses_from_long(demo.results), demo.items, group="region", min_items=10
        )
    groups = {m: ("A" if i < 3 else "B") for i, m in enumerate(fit.abilities["model"].to_list())}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HierlabWarning)
        values = responses_from_long(demo.results)
    return {
        "icicle": (plot.icicle(tree, weight=weight, max_depth=2), {"rect"}),
        "sunburst": (plot.sunburst(tree, weight=weight, max_depth=2), {"arc"}),
        "treemap": (plot.treemap(tree, weight=weight, max_depth=2), {"rect", "text"}),
        "dendrogram_linkage": (
            plot.dendrogram(
                linkage(np.random.default_rng(0).normal(size=(8, 3))), labels=list("abcdefgh")
            ),
            {"rule", "text"},
        ),
        "dendrogram_tree": (
            plot.dendrogram(Tree.from_paths(["a/b/c", "a/b/d", "a/e"])),
            {"rule", "text"},
        ),
        "choropleth": (
            plot.choropleth(
                pl.DataFrame({"iso2": ["FR", "CN"], "acc": [0.8, 0.6]}), "acc", country="iso2"
            ),
            {"geoshape"},
        ),
        "coverage": (plot.coverage_map(demo.items), {"geoshape"}),
        "forest": (plot.forest_plot(d, model="Aurora"), {"rule", "point"}),
        "disparity": (plot.disparity_plot(disparity(d)), {"rule", "point"}),
        "heatmap": (plot.group_heatmap(d), {"rect", "text"}),
        "depth": (plot.depth_curves(accuracy_by_depth(tree, preds)), {"area", "line"}),
        "survival": (plot.survival_plot(survival(tree, preds)), {"area", "line"}),
        "deepest": (plot.deepest_correct_cdf(deepest_correct(tree, preds)), {"line"}),
        "icc": (plot.icc_plot(fit), {"line"}),
        "information": (plot.information_plot(fit), {"line"}),
        "wright": (plot.wright_map(fit), {"point", "text", "bar"}),
        "profile_heatmap": (plot.profile_heatmap(tp), {"rect"}),
        "profile_dots": (plot.profile_dots(tp, models=["Aurora"]), {"rule", "point"}),
        "audit": (plot.audit_plot(fit), {"point"}),
        "dif": (plot.dif_plot(dif(values, groups)), {"rule", "point"}),
        "edges": (
            plot.edge_comparison_plot(
                pl.DataFrame({"depth": [1, 2, 2], "status": ["shared", "missing", "moved"]})
            ),
            {"bar"},
        ),
    }


def test_every_chart_renders_with_expected_marks(demo, fit) -> None:
    for name, (chart, expected) in chart_cases(demo, fit).items():
        spec = chart.to_dict()
        assert expected <= set(marks(spec)), name
        assert rows(spec) <= 5000, name
        render(chart)


def test_tooltips_and_titles(demo, fit) -> None:
    for name, (chart, _) in chart_cases(demo, fit).items():
        text = json.dumps(chart.to_dict())
        assert '"tooltip"' in text, name
        assert '"title"' in text, name


def test_choropleth_uses_zero_padded_ids_and_inline_map() -> None:
    spec = plot.choropleth(
        pl.DataFrame({"iso_numeric": ["4", "250"], "v": [1.0, 2.0]}), "v"
    ).to_dict()
    text = json.dumps(spec)
    assert '"004"' in text and '"url"' not in text and "topojson" in text


def test_maps_name_bad_country_columns() -> None:
    with pytest.raises(InvalidValueError, match="normalize_countries"):
        plot.coverage_map(pl.DataFrame({"country": ["France"]}), country="country")
    with pytest.raises(InputShapeError, match="iso_numeric"):
        plot.choropleth(pl.DataFrame({"v": [1.0]}), "v")
    with pytest.raises(InputTypeError, match="`values`"):
        plot.choropleth([1, 2], "v")
    spec = plot.coverage_map(pl.DataFrame({"iso2": ["FR", "CN", "FR", None]})).to_dict()
    lookup = spec["datasets"][spec["layer"][1]["transform"][0]["from"]["data"]["name"]]
    assert [(r["id"], r["n"]) for r in lookup] == [("156", 1), ("250", 2)]  # sorted, no nulls


def test_treemap_layout_tiles_the_rectangle() -> None:
    boxes = plot.squarify(np.array([6.0, 6.0, 4.0, 3.0, 2.0, 2.0, 1.0]), 0, 0, 6, 4)
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    assert np.allclose(areas, np.array([6, 6, 4, 3, 2, 2, 1]) * 24 / 24)
    assert (
        boxes[:, [0, 1]].min() >= 0
        and boxes[:, 2].max() <= 6 + 1e-9
        and boxes[:, 3].max() <= 4 + 1e-9
    )
    layout = plot.tree_layout(Tree.from_paths(["a/b", "a/c/d", "a/c/e"]))
    c = layout.filter(pl.col("label") == "c").row(0, named=True)
    assert (c["x0"], c["x1"]) == (pytest.approx(1 / 3), 1.0)  # c holds 2 of the 3 leaves


def test_save_is_offline_and_byte_stable(tmp_path) -> None:
    chart = (
        alt.Chart(pl.DataFrame({"x": [1, 2, 3], "y": [2.0, np.nan, 1.0]}))
        .mark_line()
        .encode(x="x", y="y")
    )
    first = plot.save(chart, "a", formats=("svg", "png", "pdf"), folder=tmp_path)
    second = plot.save(chart, "b", formats=("svg", "png"), folder=tmp_path)
    assert [p.suffix for p in first] == [".svg", ".png", ".pdf"]
    assert (
        first[0].read_bytes() == second[0].read_bytes()
        and first[1].read_bytes() == second[1].read_bytes()
    )
    remote = alt.Chart(alt.UrlData("https://example.org/data.csv")).mark_point().encode(x="x:Q")
    with pytest.raises(InvalidValueError, match="remote data"):
        plot.save(remote, "r", formats=("svg",), folder=tmp_path)
    with pytest.raises(InvalidValueError, match="Unknown format"):
        plot.save(chart, "c", formats=("gif",), folder=tmp_path)
    with pytest.raises(InvalidValueError, match="folder="):
        plot.save(chart, "figures/d", folder=tmp_path)
    with pytest.raises(InvalidValueError, match="without folders"):
        plot.save(chart, "../../outside", folder=tmp_path / "sub")
    assert not (tmp_path.parent / "outside.svg").exists()
    with pytest.raises(InputTypeError, match="`chart`"):
        plot.save({1, 2}, "e", folder=tmp_path)


def test_theme_fonts_end_with_a_generic_family() -> None:
    config = plot.paper_config()["config"]
    for key in ("font",):
        assert config[key].split(",")[-1].strip() == "sans-serif"
    plot.enable_theme()
    assert alt.theme.active == "hierlab_paper"


def test_row_limit_is_refused() -> None:
    big = pl.DataFrame(
        {
            "model": ["m"] * 6000,
            "group": [str(i) for i in range(6000)],
            "estimate": [0.5] * 6000,
            "ci_low": [0.4] * 6000,
            "ci_high": [0.6] * 6000,
        }
    )
    with pytest.raises(InputShapeError, match="aggregate first"):
        plot.forest_plot(big)


def test_edge_comparison_bars_come_in_a_fixed_order() -> None:
    # the chart's rows decide the order of the exported marks, so a re-export is byte-stable
    rng = np.random.default_rng(0)
    status = np.array(["shared", "missing", "extra", "moved"])
    edges = pl.DataFrame({"depth": rng.integers(1, 6, 2000), "status": rng.choice(status, 2000)})
    keys = plot.edge_comparison_plot(edges).data.select("depth", "status").rows()
    assert keys == sorted(keys) and len(keys) == 20


def test_tree_charts_take_keyword_options_and_tile_the_area() -> None:
    tree = Tree.from_paths(["a/b/c", "a/b/d", "a/e", "f/g/h"], root="r")
    # the shallow leaf a/e is drawn at its own depth, so the rectangles tile the area
    data = plot.treemap(tree, max_depth=3, width=300, height=200).to_dict()
    frame = pl.DataFrame(next(iter(data["datasets"].values())))
    assert sorted(frame["path"].to_list()) == sorted(tree.paths(tree.leaves(), sep=" / "))
    area = ((frame["x1"] - frame["x0"]) * (frame["y1"] - frame["y0"])).sum()
    assert area == pytest.approx(300 * 200)
    assert plot.treemap(tree, max_depth=1).to_dict()["layer"][0]["mark"]["type"] == "rect"
    with pytest.raises(InputShapeError, match="one value per node"):
        plot.icicle(tree, color=[1.0, 2.0])
    with pytest.raises(InputTypeError, match="`tree`"):
        plot.icicle(object())  # type: ignore[arg-type]
    rules = plot.dendrogram(tree).layer[0].data
    assert rules.height == 2 * (tree.n_nodes - 1)  # an up and an across segment per edge
    leaves = plot.dendrogram(tree).layer[1].data
    assert leaves["label"].to_list() == ["c", "d", "e", "h"]  # side by side in preorder
    # b sits above the middle of its leaves c and d (x = 0 and 1)
    assert rules.filter((pl.col("y0") == 0) & (pl.col("x0") == 0.0))["y1"].to_list() == [1.0]
    assert 0.5 in rules["x1"].to_list()


def test_depth_labels_and_edge_comparisons_from_results() -> None:
    acc = pl.DataFrame(
        {
            "model": ["m", "m"],
            "depth": [1, 2],
            "accuracy": [0.9, 0.6],
            "ci_low": [0.8, 0.5],
            "ci_high": [0.95, 0.7],
            "n": [50, 50],
        }
    )
    text = json.dumps(plot.depth_curves(acc, depth_labels={1: "region", 2: "it's"}).to_dict())
    assert "region" in text and "it\\\\'s" in text
    with pytest.raises(InputTypeError, match="depth_labels"):
        plot.depth_curves(acc, depth_labels="region")
    from hierlab.compare import compare_trees

    reference = Tree.from_paths(["food/fruit/apple", "food/fruit/pear"])
    candidate = Tree.from_paths(["food/fruit/apple", "food/pear"])
    chart = plot.edge_comparison_plot(compare_trees(reference, candidate))
    assert set(chart.data["status"].to_list()) == {"shared", "moved"}
    with pytest.raises(InvalidValueError, match="measure"):
        plot.disparity_plot(pl.DataFrame({"model": ["m"]}), measure="range")


# --------------------------------------------------------------------------- paper exports


def _svg_width(path) -> float:
    import re

    return float(re.search(r'<svg[^>]*? width="([\d.]+)"', path.read_text()).group(1))


def _font_sizes(svg: str) -> list[float]:
    import re

    return [float(v) for v in re.findall(r'font-size="([\d.]+)px"', svg)]


def _png_info(path) -> tuple[int, int, float]:
    """Width, height and pixels per inch (from the pHYs chunk) of a PNG."""
    import struct

    data = path.read_bytes()
    width, height = struct.unpack(">II", data[16:24])
    at = data.find(b"pHYs")
    per_metre = struct.unpack(">I", data[at + 4 : at + 8])[0]
    return width, height, per_metre * 0.0254


def _pdf_width(path) -> float:
    import re

    box = re.search(rb"/MediaBox \[([^\]]*)\]", path.read_bytes()).group(1).split()
    return float(box[2]) - float(box[0])


def test_save_fits_journal_columns_with_text_of_at_least_7_pt(demo, fit, tmp_path) -> None:
    cases = chart_cases(demo, fit)
    # a unit chart, a layered chart with a 8 px mark font, a concatenated chart and a map
    for name in ("audit", "heatmap", "wright", "choropleth"):
        chart = cases[name][0]
        for size, inches in (("single", 3.3), ("double", 7.0)):
            svg, png, pdf = plot.save(chart, f"{name}_{size}", folder=tmp_path, size=size)
            assert abs(_svg_width(svg) - inches * 96) <= 1.0, (name, size, _svg_width(svg))
            assert abs(_pdf_width(pdf) - inches * 72) <= 0.75, (name, size)
            width, _, ppi = _png_info(png)
            assert abs(width - inches * 300) <= 4 and round(ppi) == 300, (name, size, width, ppi)
            sizes = _font_sizes(svg.read_text())
            # every text at print size: px at 96 per inch -> pt at 72 per inch
            assert sizes and min(sizes) * 72 / 96 >= 7.0 - 1e-6, (name, size, min(sizes))
            assert 'font-family="Hierlab Sans' in svg.read_text()
    # auto picks the column nearer to the chart's own width; None keeps it
    auto = plot.save(cases["choropleth"][0], "map_auto", formats=("svg",), folder=tmp_path)
    assert abs(_svg_width(auto[0]) - 672) <= 1.0
    natural = plot.save(
        cases["audit"][0], "audit_natural", formats=("svg",), folder=tmp_path, size=None
    )
    assert _svg_width(natural[0]) not in (317.0, 672.0)


def test_a_chart_too_crowded_for_a_column_is_refused(tmp_path) -> None:
    chart = (
        alt.Chart(pl.DataFrame({"x": [1, 2], "y": [1, 2]}), title="x" * 120)
        .mark_point()
        .encode(x="x:Q", y="y:Q")
    )
    with pytest.raises(InvalidValueError, match=r"cannot be made 3\.3 in"):
        plot.save(chart, "crowded", folder=tmp_path, size="single")
    assert not list(tmp_path.iterdir())
    # "auto" takes the double column when the text does not fit one
    wide = chart.properties(
        title="A long title that takes far more room than one column of a journal"
    )
    assert abs(_svg_width(plot.save(wide, "wide", formats=("svg",), folder=tmp_path)[0]) - 672) <= 1


def test_missing_fonts_warn_or_raise(tmp_path) -> None:
    from hierlab.errors import FontWarning

    base = alt.Chart(pl.DataFrame({"x": ["a", "b"], "y": [1, 2]})).mark_bar().encode(x="x", y="y")
    with pytest.raises(InvalidValueError, match="no text"):
        plot.save(base.configure(font="No Such Font 123"), "none", folder=tmp_path)
    with pytest.warns(FontWarning, match="No Such Font 123"):
        plot.save(base.configure(font="No Such Font 123, sans-serif"), "fallback", folder=tmp_path)
    assert plot.font_available("Hierlab Sans") and not plot.font_available("No Such Font 123")


def test_display_names_reach_every_chart_and_export(demo, fit, tmp_path) -> None:
    d = disaggregate(demo.results, "region", n_boot=0)
    try:
        plot.set_display_names({"Aurora": "Aurora-2 (display)", "Cirrus": "Cirrus XL"})
        heat = plot.save(plot.group_heatmap(d), "heat", formats=("svg",), folder=tmp_path)[0]
        wright = plot.save(plot.wright_map(fit), "wright", formats=("svg",), folder=tmp_path)[0]
        for svg in (heat, wright):  # axis labels and text marks
            text = svg.read_text()
            assert "Aurora-2 (display)" in text and ">Aurora<" not in text
        assert d.table["model"].to_list().count("Aurora") > 0  # the data keep their ids
    finally:
        plot.set_display_names(None)
    assert (
        ">Aurora<"
        in plot.save(plot.group_heatmap(d), "h2", formats=("svg",), folder=tmp_path)[0].read_text()
    )


def test_charts_over_the_row_limit_name_the_export(tmp_path) -> None:
    big = alt.Chart(pl.DataFrame({"x": range(6000)})).mark_tick().encode(x="x:Q")
    with pytest.raises(InputShapeError, match=r"save\('big'\).*6,000 rows.*aggregate first"):
        plot.save(big, "big", folder=tmp_path)


def test_setup_notebook_renders_offline(tmp_path) -> None:
    plot.setup_notebook(
        {"N": 3, "__annotations__": {"N": int}}, folder=tmp_path, display_names={"m": "M"}
    )
    try:
        assert alt.renderers.active == "jupyter" and alt.renderers.options.get("offline")
        assert alt.theme.active == "hierlab_paper" and alt.data_transformers.active == "hierlab"
        esm = alt.JupyterChart._esm
        assert "cdn.jsdelivr" not in esm and "esm.sh" not in esm and "vega" in esm
        assert plot.export_folder() == tmp_path and plot.display_names() == {"m": "M"}
        with pytest.raises(InputTypeError, match=r"N is '3' \(str\); it must be int"):
            plot.setup_notebook({"N": "3", "__annotations__": {"N": int}})
    finally:
        plot.set_display_names(None)
        plot.setup_notebook(folder="exports")


FONT_PROBE = """
OLD_FONT = "Liberation Sans, DejaVu Sans, Helvetica, Arial, sans-serif"
import json, sys
from pathlib import Path
import altair as alt, polars as pl, vl_convert as vlc
from hierlab import plot
from hierlab.plot.theme import FONT
chart = (
    alt.Chart(pl.DataFrame({"model": ["a", "b"], "y": [0.2, 0.7]}), title="Accuracy by model")
    .mark_bar().encode(x="model:N", y="y:Q")
)
plot.save(chart, "probe", folder=sys.argv[1], formats=("svg", "png"))
# what 0.1 exported: the same theme with "Liberation Sans" first in every font list
spec = json.loads(json.dumps(plot.chart_spec(chart)).replace(FONT, OLD_FONT))
(Path(sys.argv[1]) / "old.png").write_bytes(vlc.vegalite_to_png(json.dumps(spec)))
"""


def test_exports_do_not_depend_on_the_machines_fonts(tmp_path) -> None:
    """A different "Liberation Sans" in the user's font folder (as on a machine with Debian's
    fonts-liberation) changes what the font list of 0.1 drew, and leaves hierlab's exports
    byte-identical: they are drawn in the vendored Hierlab Sans."""
    import os
    import subprocess
    import sys

    ttlib = pytest.importorskip("fontTools.ttLib")
    font = ttlib.TTFont(str(plot.register_fonts()[0] + "/HierlabSans-Regular.ttf"))
    for record in font["name"].names:
        if record.nameID in (1, 4, 16):
            record.string = "Liberation Sans"
        elif record.nameID == 6:
            record.string = "LiberationSans"
    for glyph, (advance, lsb) in list(font["hmtx"].metrics.items()):
        font["hmtx"].metrics[glyph] = (int(advance * 1.3), lsb)  # other text widths
    home = tmp_path / "home"
    (home / ".fonts").mkdir(parents=True)
    font.save(str(home / ".fonts" / "OtherLiberationSans.ttf"))
    here, there = tmp_path / "here", tmp_path / "there"
    env = {**os.environ, "HOME": str(home), "XDG_DATA_HOME": str(home / "share")}
    done = subprocess.run(
        [sys.executable, "-c", FONT_PROBE, str(there)], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    monkey = pytest.MonkeyPatch()
    monkey.setattr(sys, "argv", ["probe", str(here)])
    try:
        exec(FONT_PROBE, {})  # the same export in this process, with the machine's own fonts
    finally:
        monkey.undo()
    for name in ("probe.png", "probe.svg"):
        assert (here / name).read_bytes() == (there / name).read_bytes(), name
    assert (here / "old.png").read_bytes() != (there / "old.png").read_bytes()  # visible to it


def test_wright_map_labels_never_overlap_and_constant_items_are_counted() -> None:
    rng = np.random.default_rng(3)
    # 15 models bunched within 0.3 logits: naive labels would sit on top of each other
    theta = rng.normal(0, 0.1, size=15)
    b = rng.normal(0, 1, size=80)
    p = 1 / (1 + np.exp(-(theta[:, None] - b[None, :])))
    values = (rng.random(p.shape) < p).astype(float)
    values[:, :5] = 0.0  # five items nobody solves
    frame = pl.DataFrame(values, schema=[f"q{j}" for j in range(80)], orient="row")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HierlabWarning)
        fit = fit_irt(frame, "2pl")
    spec = plot.wright_map(fit, label_top=10).to_dict()
    left, right = spec["hconcat"]
    names = next(layer for layer in left["layer"] if layer["mark"]["type"] == "text")
    ys = np.sort([row["label_y"] for row in spec["datasets"][names["data"]["name"]]])
    lo, hi = left["layer"][0]["encoding"]["y"]["scale"]["domain"]
    gap = (hi - lo) * 11 / 300  # one 8-pt line on the 300-px axis
    assert len(ys) == 10 and np.diff(ys).min() >= gap - 1e-9
    title = right["title"]["text"] if isinstance(right["title"], dict) else right["title"]
    constant = int((values.min(axis=0) == values.max(axis=0)).sum())
    assert constant >= 5 and f"({constant} all right or wrong: omitted)" in title
    bars = spec["datasets"][right["data"]["name"]]
    assert len(bars) == 80 - constant  # the constant items are not in the histogram


def test_icicle_labels_fit_their_bands() -> None:
    tree = Tree.from_paths(
        ["mathematics/algebra", "mathematics/geometry", "x/y"] + [f"z/{i}" for i in range(60)],
        root="r",
    )
    chart = plot.icicle(tree, labels=True, width=400)
    bands, text = chart.layer
    assert text.mark.type == "text" and bands.mark.type == "rect"
    frame = chart.data.filter(pl.col("shown") != "")  # the layers share one table
    shown = dict(zip(frame["path"], frame["shown"], strict=True))
    assert shown["r"] == "r" and shown["r / z"] == "z"
    # "mathematics" spans 2/63 of 400 px (12.7 px): too narrow for 4 characters, unlabelled
    assert "r / mathematics" not in shown
    # every shown label fits its band (about 6 px per character, 6 px of padding)
    room = (frame["x1"] - frame["x0"]) * 400 - 6
    assert (frame["shown"].str.len_chars() * 6 <= room).all()
    # a label longer than its band is cut with an ellipsis rather than overflowing
    wide = plot.icicle(Tree.from_paths(["a" * 200, "b"], root="r"), labels=True, width=400)
    cut = wide.data.filter(pl.col("depth") == 1)["shown"].to_list()
    assert cut[0].endswith("…") and len(cut[0]) < 200 and cut[1] == "b"
    assert plot.icicle(tree).to_dict()["mark"]["type"] == "rect"  # no labels by default
