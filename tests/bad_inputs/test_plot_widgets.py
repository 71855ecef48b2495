"""Hostile inputs to exports, notebook set-up, maps and explorers: each gets hierlab's own
error, whose message names the problem and the fix (never a traceback from deep inside
Altair, vl-convert, polars or ipywidgets), and nothing is written where it should not be."""

from __future__ import annotations

import warnings
from pathlib import Path

import altair as alt
import polars as pl
import pytest

from hierlab import Tree, plot
from hierlab.datasets import load_demo
from hierlab.errors import (
    EmptyInputError,
    FontWarning,
    HierlabError,
    HierlabWarning,
    InputShapeError,
    InputTypeError,
    InvalidValueError,
)
from hierlab.irt import fit_irt, responses_from_long
from hierlab.widgets import explore_bias, explore_depth, explore_irt, explore_tree

DEMO = load_demo(n_items=120, n_models=3, seed=0)
CHART = alt.Chart(pl.DataFrame({"x": [1, 2], "y": [3, 4]})).mark_line().encode(x="x", y="y")
BIG = alt.Chart(pl.DataFrame({"x": range(6000)})).mark_tick().encode(x="x:Q")
NO_FONT = CHART.configure(font="No Such Font 123")
REMOTE = alt.Chart(alt.UrlData("https://example.org/data.csv")).mark_point().encode(x="x:Q")
CROWDED = CHART.properties(title="a very long title " * 8)


def _fit():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HierlabWarning)
        return fit_irt(responses_from_long(DEMO.results), "2pl")


def _save(chart=CHART, name="figure", **kwargs):
    return lambda tmp: plot.save(chart, name, folder=kwargs.pop("folder", tmp), **kwargs)


CASES = [
    # (id, call taking the temporary folder, error class, words the message must contain)
    ("name climbs out", _save(name="../../outside"), InvalidValueError, "without folders"),
    ("name has a folder", _save(name="sub/figure"), InvalidValueError, "folder="),
    ("name is a windows path", _save(name="..\\figure"), InvalidValueError, "without folders"),
    ("name is empty", _save(name=" "), InvalidValueError, "plain file name"),
    ("name is a dot file", _save(name=".hidden"), InvalidValueError, "leading dot"),
    ("name is a number", _save(name=5), InputTypeError, "`name`"),
    ("unknown format", _save(formats=("gif",)), InvalidValueError, "'gif'"),
    ("no format", _save(formats=()), InvalidValueError, "svg"),
    ("formats not a list", _save(formats=5), InputTypeError, "`formats`"),
    ("size unknown", _save(size="triple"), InvalidValueError, "'single'"),
    ("size too small", _save(size=0.2), InvalidValueError, "between 1 and 20"),
    ("size is a bool", _save(size=True), InputTypeError, "`size`"),
    ("dpi is text", _save(dpi="300"), InputTypeError, "`dpi`"),
    ("dpi too low", _save(dpi=5), InvalidValueError, "`dpi`"),
    ("folder is a number", _save(folder=5), InputTypeError, "`folder`"),
    ("folder is a file", lambda tmp: _blocked(tmp), InvalidValueError, "cannot create"),
    ("chart is a set", _save(chart={1, 2}), InputTypeError, "`chart`"),
    ("6,000 rows", _save(chart=BIG, name="big"), InputShapeError, "save('big'): The chart's"),
    ("no font available", _save(chart=NO_FONT), InvalidValueError, "No Such Font 123"),
    ("remote data", _save(chart=REMOTE), InvalidValueError, "remote data"),
    ("too crowded", _save(chart=CROWDED, size="single"), InvalidValueError, "3.3 in"),
    ("display names not a dict", lambda _: plot.set_display_names("a"), InputTypeError, "map"),
    ("display name a number", lambda _: plot.set_display_names({"a": 1}), InputTypeError, "'a'"),
    (
        "two models one name",
        lambda _: plot.set_display_names({"a": "X", "b": "X"}),
        InvalidValueError,
        "'X'",
    ),
    ("empty display name", lambda _: plot.set_display_names({"a": " "}), InvalidValueError, "'a'"),
    (
        "parameter '600' for an int",
        lambda _: plot.check_parameters({"N_ITEMS": "600", "__annotations__": {"N_ITEMS": int}}),
        InputTypeError,
        "N_ITEMS is '600' (str); it must be int: write N_ITEMS = 600",
    ),
    (
        "parameter True for an int",
        lambda _: plot.check_parameters({"SEED": True, "__annotations__": {"SEED": int}}),
        InputTypeError,
        "SEED",
    ),
    (
        "parameter 'yes' for a bool",
        lambda _: plot.check_parameters({"EXPORT": "yes", "__annotations__": {"EXPORT": bool}}),
        InputTypeError,
        "EXPORT is 'yes'",
    ),
    ("parameters not a mapping", lambda _: plot.check_parameters([1]), InputTypeError, "globals"),
    ("renderer unknown", lambda _: plot.setup_notebook(renderer="png"), InvalidValueError, "'svg'"),
    ("set-up folder a number", lambda _: plot.setup_notebook(folder=5), InputTypeError, "`folder`"),
    (
        "font folder missing",
        lambda tmp: plot.register_fonts(tmp / "nope"),
        InvalidValueError,
        "does not exist",
    ),
    ("font folder empty", lambda tmp: plot.register_fonts(tmp), InvalidValueError, ".ttf"),
    ("font family empty", lambda _: plot.font_available(" "), InvalidValueError, "`family`"),
    (
        "map country column unknown",
        lambda _: plot.coverage_map(pl.DataFrame({"country": ["France"]}), country="country"),
        InvalidValueError,
        "normalize_countries",
    ),
    (
        "map without its value column",
        lambda _: plot.choropleth(pl.DataFrame({"iso2": ["FR"]}), "acc", country="iso2"),
        InputShapeError,
        "acc",
    ),
    ("map value not a name", lambda _: plot.choropleth(DEMO.items, 5), InputTypeError, "`value`"),
    (
        "bias explorer on an empty table",
        lambda _: explore_bias(DEMO.results.head(0), ["region"]),
        EmptyInputError,
        "no rows",
    ),
    (
        "bias explorer on an all-null group",
        lambda _: explore_bias(DEMO.results.with_columns(region=pl.lit(None)), ["region"]),
        EmptyInputError,
        "'region'",
    ),
    (
        "bias explorer without groups",
        lambda _: explore_bias(DEMO.results, []),
        InvalidValueError,
        "`groups`",
    ),
    (
        "bias explorer on a missing column",
        lambda _: explore_bias(DEMO.results, ["continent"]),
        InputShapeError,
        "continent",
    ),
    (
        "negative min size",
        lambda _: explore_bias(DEMO.results, ["region"], min_size=-1),
        InvalidValueError,
        "`min_size`",
    ),
    (
        "min size as text",
        lambda _: explore_bias(DEMO.results, ["region"], min_size="5"),
        InputTypeError,
        "`min_size`",
    ),
    (
        "explorer folder a number",
        lambda _: explore_tree(DEMO.tree, folder=3),
        InputTypeError,
        "`folder`",
    ),
    (
        "explorer title a number",
        lambda _: explore_tree(DEMO.tree, title=5),
        InputTypeError,
        "`title`",
    ),
    ("irt explorer on a table", lambda _: explore_irt(DEMO.results), InputTypeError, "IRTFit"),
    (
        "item table without an item column",
        lambda _: explore_irt(_fit(), items=pl.DataFrame({"question": ["?"]})),
        InputShapeError,
        "item",
    ),
    (
        "depth explorer on no predictions",
        lambda _: explore_depth(DEMO.tree, DEMO.predictions.head(0)),
        EmptyInputError,
        "no rows",
    ),
    (
        "depth explorer on a tree of other nodes",
        lambda _: explore_depth(Tree.from_paths(["a/b"]), DEMO.predictions),
        HierlabError,
        "",
    ),
]


def _blocked(tmp: Path):
    (tmp / "a-file").write_text("")
    return plot.save(CHART, "figure", folder=tmp / "a-file" / "sub")


@pytest.mark.parametrize(("case", "call", "error", "words"), CASES, ids=[c[0] for c in CASES])
def test_hostile_input_gets_a_named_error(case, call, error, words, tmp_path) -> None:
    target = tmp_path / "out"
    target.mkdir()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FontWarning)
        with pytest.raises(error) as caught:
            call(target)
    assert isinstance(caught.value, HierlabError)
    assert words in str(caught.value), str(caught.value)
    stray = [p for p in tmp_path.rglob("*") if p.is_file() and p.name != "a-file"]
    assert not stray, f"{case}: files written: {stray}"


def test_there_are_at_least_25_cases() -> None:
    assert len(CASES) >= 25
