"""Every fetcher, through the HTTP mirror, asserting on content."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from hierlab.datasets import (
    fetch_chembench,
    fetch_earthwhere,
    fetch_label_tree,
    fetch_mathvista,
    fetch_semeval_taxonomy,
    fetch_un_m49,
    load_places,
)
from hierlab.datasets.demo import build_demo_places, load_demo_places
from hierlab.errors import InvalidValueError

pytestmark = [pytest.mark.mirror, pytest.mark.usefixtures("data_env")]

# Accuracy (%) on testmini published in the MathVista paper (Lu et al., ICLR 2024, Table 2).
MATHVISTA_PUBLISHED = {
    "random_guess": 17.9,
    "frequent_guess": 26.3,
    "chatgpt": 23.5,
    "claude2": 26.4,
    "gpt4": 26.1,
    "chatgpt_2shot_cot": 26.8,
    "claude2_2shot_cot": 24.4,
    "gpt4_2shot_cot": 29.2,
    "chatgpt_2shot_pot": 25.1,
    "gpt4_2shot_pot": 26.0,
    "idefics_9b": 19.8,
    "mplug_owl_7b": 22.2,
    "minigpt4_7b": 23.1,
    "llama_adapter_v2": 23.9,
    "llavar": 25.2,
    "instructblip_13b": 25.3,
    "llava_13b": 26.1,
    "bard": 34.8,
}


def test_mathvista() -> None:
    mv = fetch_mathvista()
    assert mv.matrix.shape == (23, 1 + 1000)
    assert mv.responses.height == 23 * 1000 and mv.items.height == 1000
    acc = dict(mv.accuracy().select("model", "accuracy").iter_rows())
    for model, published in MATHVISTA_PUBLISHED.items():
        assert abs(100 * acc[model] - published) <= 0.5, model
    baselines = set(mv.models.filter("is_baseline")["model"])
    assert baselines == {"random_guess", "frequent_guess"}
    # the declared taxonomy: MathVista > category > task > source
    tree = mv.tree
    assert tree.label[tree.children(0)].tolist() == ["math-targeted-vqa", "general-vqa"]
    n_triples = mv.items.select("category", "task", "source").unique().height
    assert tree.n_leaves[0] == n_triples and tree.max_depth == 3
    paths = [tree.path(v) for v in mv.items["node"].to_list()]
    assert all(
        p[1:] == r
        for p, r in zip(paths, mv.items.select("category", "task", "source").rows(), strict=True)
    )
    assert (
        mv.items["skills"].dtype == pl.List(pl.String) and mv.items["skills"].list.len().min() >= 1
    )
    # the wide matrix agrees with the long table
    gpt4 = mv.matrix.filter(pl.col("model") == "gpt4").drop("model").row(0)
    assert (
        np.nansum(np.array(gpt4, dtype=float)) == mv.responses.filter(model="gpt4")["correct"].sum()
    )
    assert fetch_mathvista(include_baselines=False).matrix.height == 21
    assert "CC BY-SA 4.0" in mv.card.license and "Lu, P." in mv.card.citation


def test_chembench() -> None:
    cb = fetch_chembench()
    assert cb.matrix.shape == (22, 1 + 2854)
    assert cb.responses["correct"].null_count() == 0
    assert set(cb.responses["correct"].unique()) == {0.0, 1.0}
    joined = cb.accuracy().join(cb.models, on="model")
    assert np.allclose(joined["accuracy"], joined["reported_score"], atol=1e-12)
    counts = dict(cb.items.group_by("difficulty").len().iter_rows())
    assert counts == {"easy": 859, "intermediate": 1973, "hard": 22}
    assert {"o1", "GPT-4o", "Claude-3.5 (Sonnet)", "Llama-3.1-405B-Instruct"} <= set(
        cb.models["model"]
    )


def test_earthwhere() -> None:
    ew = fetch_earthwhere()
    wc, ws = ew.country_items, ew.street_items
    assert wc.height == 500 and ws.height == 310
    assert wc["iso2"].null_count() == 0  # every WhereCountry nation is matched
    alias = dict(wc.select("nation", "iso2").unique().iter_rows())
    assert alias["U.K."] == "GB" and alias["UAE"] == "AE" and alias["US Virgin Islands"] == "VI"
    assert alias["Democratic Republic of Congo"] == "CD" and alias["Swaziland"] == "SZ"
    assert set(wc["region"].unique()) == {"Europe", "Asia", "Americas", "Africa", "Oceania"}
    # street answers: 143 coordinates, the rest text paths with the country first
    coords = ws.filter(pl.col("answer_type") == "latitude & longitude")
    assert coords.height == 143 and coords["lat"].null_count() == 0
    assert coords["iso2"].null_count() == 0 and set(coords["country_from"]) == {"borders"}
    text = ws.filter(pl.col("answer_type") != "latitude & longitude")
    assert text["path"].null_count() == 0
    first = text.filter(pl.col("country_from") == "answer")
    assert (first["path"].list.first().is_in(["China", "USA", "UK", "Taiwan"])).sum() > 100
    # unmatched report: the three addresses that name no country
    assert ew.unmatched.height == 3 and set(ew.unmatched["subset"]) == {"WhereStreet"}
    assert any("North Carolina" in t for t in ew.unmatched["text"])
    # clue weights: one per key clue, summing to about 1
    lens = ws.select(pl.col("key_clues").list.len(), pl.col("clue_weights").list.len())
    assert lens["key_clues"].equals(lens["clue_weights"])
    sums = ws["clue_weights"].list.sum().to_numpy()
    off = np.abs(sums - 1.0) > 0.02
    assert off.sum() == 9 and np.all(sums[off] < 1)  # as in the source; the card says so
    assert "9 item(s) have clue weights that do not sum to 1" in " ".join(ew.card.caveats)
    assert (ws["iso2"] == "CN").sum() > 150  # WhereStreet's coverage is dominated by China


@pytest.mark.parametrize(
    ("name", "nodes", "multi"),
    [
        ("environment_eurovoc", 261, 1),
        ("food", 1556, 32),
        ("science", 452, 13),
        ("science_eurovoc", 125, 0),
    ],
)
def test_semeval(name: str, nodes: int, multi: int) -> None:
    ds = fetch_semeval_taxonomy(name)
    assert ds.tree.n_nodes == nodes and ds.multi_parent.height == multi
    if multi:
        row = ds.multi_parent.row(0, named=True)
        assert row["kept"] == row["parents"][0]
    with pytest.raises(InvalidValueError, match="Unknown SemEval taxonomy"):
        fetch_semeval_taxonomy("physics")


def test_label_trees() -> None:
    nyt, rcv1 = fetch_label_tree("nyt"), fetch_label_tree("rcv1")
    assert (nyt.tree.n_nodes, nyt.tree.max_depth) == (167, 8)
    assert (rcv1.tree.n_nodes, rcv1.tree.max_depth) == (104, 4)
    assert rcv1.tree.label[rcv1.tree.children(0)].tolist() == ["CCAT", "ECAT", "GCAT", "MCAT"]


def test_un_m49() -> None:
    m49 = fetch_un_m49()
    assert m49.countries.height == 249
    official = m49.countries.filter(pl.col("region_source") == "M49")
    assert official["region"].n_unique() == 5
    assert set(m49.countries.filter(pl.col("region_source") == "hierlab")["iso2"]) == {"TW", "AQ"}
    assert m49.tree.n_leaves[0] == 249 and m49.tree.max_depth == 3
    assert m49.tree.find("Africa/Sub-Saharan Africa/Kenya") > 0
    deeper = fetch_un_m49(intermediate=True).tree
    assert deeper.find("Africa/Sub-Saharan Africa/Eastern Africa/Kenya") > 0


def test_places_world_tree() -> None:
    places = load_places()
    tree, table = places.tree, places.table
    assert tree.max_depth == 5 and table.height > 30_000
    paris = table.filter(pl.col("city") == "Paris").sort("population", descending=True)
    assert set(paris["iso2"]) >= {"FR", "US"}
    fr, tx = paris["node"][0], paris.filter(iso2="US")["node"][0]
    assert fr != tx and tree.label[tree.lca(fr, tx)] == "World"
    assert tree.path(fr)[-3:] == ("France", "Ile-de-France", "Paris")
    assert table["region"].null_count() == 0


def test_vendored_demo_places_rebuild_exactly() -> None:
    assert build_demo_places().equals(load_demo_places())


def test_bundles_follow_the_result_protocol() -> None:
    from hierlab.results import Result, Summary

    cb = fetch_chembench()
    m49 = fetch_un_m49()
    semeval = fetch_semeval_taxonomy("food")
    rcv1 = fetch_label_tree("rcv1")
    places = load_places()
    ew = fetch_earthwhere()
    for bundle in (cb, m49, semeval, rcv1, places, ew):
        assert isinstance(bundle, Result) and isinstance(bundle.summary(), Summary)
        assert bundle.summary().title == bundle.card.name
        assert "<table" in bundle._repr_html_()
    assert cb.to_polars() is cb.responses
    assert cb.summary().tables["accuracy by model"].equals(cb.accuracy())
    assert m49.to_polars() is m49.countries
    by_region = m49.summary().tables["countries by region"]
    assert by_region["countries"].sum() == m49.countries.height
    assert semeval.to_polars() is semeval.edges
    assert semeval.summary().tables["nodes with several parents"].height == 32
    assert "nodes with several parents" not in rcv1.summary().tables
    assert places.summary().tables["cities by region"]["cities"].sum() == places.table.height
    assert ew.summary().tables["unmatched"].height == 3
    assert "columns" in ew.summary().tables and len(ew.summary().notes) == 4


def test_fetchers_name_bad_arguments() -> None:
    from hierlab.errors import InputTypeError

    with pytest.raises(InvalidValueError, match="'nyt' or|label tree"):
        fetch_label_tree("dmoz")
    with pytest.raises(InputTypeError, match="`on_multiple_parents`"):
        fetch_semeval_taxonomy("food", on_multiple_parents=1)
    with pytest.raises(InputTypeError, match="`intermediate`"):
        fetch_un_m49("yes")
    with pytest.raises(InvalidValueError, match="`min_population`"):
        load_places(20_000)
