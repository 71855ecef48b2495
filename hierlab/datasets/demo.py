"""The embedded demo: a seeded simulation of a hierarchical geolocation benchmark.

Items are real GeoNames cities (a vendored table of 2,442 places, ``data/demo/places.csv``)
in the world tree World > region > sub-region > country > admin1 > city. Each simulated
model answers every item with a root-to-city path, produced level by level:

    P(level l right | levels above right) = sigmoid(theta_m - b_i + gamma_r + delta_mr + alpha_l)

with ``theta_m`` the model's ability, ``b_i`` the item's difficulty, ``gamma_r`` a
benchmark-wide effect of the item's region, ``delta_mr`` a planted model-by-region effect
(regional bias), and ``alpha_l`` a level offset that falls with depth (depth decay). At
the first wrong level the model either stops there (its prediction is the last right
node, with probability ``stop_probability``) or names a uniformly random sibling of the
right node and continues down a random branch to a city. Where the right node has no
sibling the level cannot be missed. Predicted coordinates are the predicted city's (or,
for a prediction that stops early, the largest city under it) plus a few km of noise,
so coordinate error grows when deeper levels are wrong.

Each item asks for one level (country, admin1 or city: ``target_level``); ``results`` scores
a model correct when its path is right down to that level. Everything planted is returned
in :class:`DemoTruth`, so notebooks and tests can show a method recovering it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from hierlab.datasets.card import DatasetCard
from hierlab.datasets.places import PLACE_LEVELS, embedded_data_dir
from hierlab.errors import InputTypeError, InvalidValueError
from hierlab.results import Result, Summary
from hierlab.tree import Tree

__all__ = ["Demo", "DemoTruth", "build_demo_places", "load_demo", "load_demo_places"]

#: Share of items per region, after EarthWhere's WhereCountry coverage (Europe 187,
#: Asia 130, Americas 100, Africa 82, Oceania 1 of 500), with Oceania raised to 2%.
REGION_COVERAGE = {"Europe": 0.36, "Asia": 0.26, "Americas": 0.20, "Africa": 0.16, "Oceania": 0.02}
#: Benchmark-wide region effects gamma_r (logits): Europe easiest, Africa hardest.
REGION_EFFECTS = {"Europe": 0.5, "Americas": 0.2, "Asia": 0.0, "Oceania": -0.2, "Africa": -0.6}
#: Offsets alpha_l of depths 1..5 (region, sub-region, country, admin1, city).
DEPTH_OFFSETS = (3.2, 2.4, 1.4, 0.3, -0.7)
#: Target levels an item may ask for, with their probabilities.
TARGET_LEVELS = {"country": (3, 0.4), "admin1": (4, 0.3), "city": (5, 0.3)}
MODEL_NAMES = (
    "Aurora", "Basalt", "Cirrus", "Dune", "Ember", "Fjord", "Glacier", "Harbor", "Isthmus",
    "Juniper", "Karst", "Lagoon", "Mesa", "Nimbus", "Oasis", "Prairie", "Quarry", "Ridge",
    "Savanna", "Tundra",
)  # fmt: skip


@dataclass(frozen=True, eq=False)
class DemoTruth(Result):
    """Everything the demo simulation planted.

    Attributes
    ----------
    abilities : polars.DataFrame
        ``model, theta``.
    item_difficulty : polars.DataFrame
        ``item, b``.
    region_effects : polars.DataFrame
        ``region, gamma`` (benchmark-wide; higher is easier).
    model_region_effects : polars.DataFrame
        ``model, region, delta`` for every pair (0 where nothing was planted).
    depth_offsets : polars.DataFrame
        ``depth, level, alpha``: the offset of each depth (1 = region ... 5 = city) and
        the name of its level.
    stop_probability : float
        Chance that a model stops at its first wrong level instead of guessing.

    Examples
    --------
    >>> truth = load_demo(n_items=50, n_models=2).truth
    >>> truth.abilities["theta"].to_list()
    [1.5, -1.5]
    >>> list(truth.summary().tables)
    ['abilities', 'region effects', 'planted model-region effects', 'depth offsets']
    """

    abilities: pl.DataFrame
    item_difficulty: pl.DataFrame
    region_effects: pl.DataFrame
    model_region_effects: pl.DataFrame
    depth_offsets: pl.DataFrame
    stop_probability: float

    def summary(self) -> Summary:
        """Summarise the planted truth: abilities, region effects, planted biases, offsets.

        Returns
        -------
        Summary
        """
        planted = self.model_region_effects.filter(pl.col("delta") != 0)
        return Summary(
            "Demo simulation: planted truth",
            facts=[
                ("models", self.abilities.height),
                ("items", self.item_difficulty.height),
                ("stop probability", self.stop_probability),
            ],
            tables={
                "abilities": self.abilities,
                "region effects": self.region_effects,
                "planted model-region effects": planted,
                "depth offsets": self.depth_offsets,
            },
        )


@dataclass(frozen=True, eq=False)
class Demo(Result):
    """The demo benchmark: results, hierarchical predictions, items, tree and truth.

    Attributes
    ----------
    results : polars.DataFrame
        Long form: ``model, item, correct`` (right down to the item's target level) and
        the item's ``region, sub_region, country, target_level, target_depth``.
    predictions : polars.DataFrame
        ``model, item, true, pred`` (node ids of ``tree``), ``pred_depth``,
        ``correct_depth`` (depth of the deepest right level: the LCA of true and pred),
        ``pred_lat, pred_lon, error_km``.
    items : polars.DataFrame
        One row per item: its city, admin1, country, ISO codes, sub-region, region,
        coordinates, population, ``node`` and target level.
    tree : Tree
        World > region > sub-region > country > admin1 > city over all demo places.
    truth : DemoTruth
        Everything the simulation planted.
    card : DatasetCard
        Source, licence, sizes and caveats.

    Examples
    --------
    >>> demo = load_demo(n_items=50, n_models=2)
    >>> demo.to_polars().columns[:3]
    ['model', 'item', 'correct']
    >>> demo.summary().tables["accuracy by model"]["model"].to_list()
    ['Aurora', 'Basalt']
    """

    results: pl.DataFrame
    predictions: pl.DataFrame
    items: pl.DataFrame
    tree: Tree
    truth: DemoTruth
    card: DatasetCard

    def summary(self) -> Summary:
        """Summarise the demo: the card's facts and each model's accuracy and true ability.

        Returns
        -------
        Summary
        """
        accuracy = (
            self.results.group_by("model", maintain_order=True)
            .agg(pl.len().alias("n"), pl.col("correct").mean().alias("accuracy"))
            .join(self.truth.abilities, on="model", how="left", maintain_order="left")
        )
        return self.card.summary(tables={"accuracy by model": accuracy})

    def to_polars(self) -> pl.DataFrame:
        """Return the long results table ``model, item, correct, ...``.

        Returns
        -------
        polars.DataFrame
        """
        return self.results


def build_demo_places() -> pl.DataFrame:
    """Rebuild the vendored demo place table from GeoNames and UN M49.

    Rule: among cities of >= 15,000 people with an admin1 name, keep every city of
    >= 500,000 people and the 3 largest of each country, then the 3 largest cities of
    every admin1 area already kept. (Needs the UN M49 download.)

    Returns
    -------
    polars.DataFrame
        The columns of :func:`load_demo_places`, sorted by ``geonameid``.

    Examples
    --------
    >>> build_demo_places().equals(load_demo_places())
    True
    """
    from hierlab.datasets.places import load_places

    table = load_places().table.drop_nulls("admin1").drop("node")
    by_pop = table.sort(["population", "geonameid"], descending=[True, False])
    top_country = by_pop.group_by("iso2", maintain_order=True).head(3).select(table.columns)
    chosen = pl.concat([top_country, table.filter(pl.col("population") >= 500_000)])
    areas = chosen.select("iso2", "admin1").unique()
    top_area = (
        by_pop.join(areas, on=["iso2", "admin1"], how="semi")
        .group_by("iso2", "admin1", maintain_order=True)
        .head(3)
        .select(table.columns)
    )
    return pl.concat([chosen, top_area]).unique("geonameid").sort("geonameid")


def load_demo_places() -> pl.DataFrame:
    """Return the vendored demo place table (``data/demo/places.csv``), offline.

    Returns
    -------
    polars.DataFrame
        One row per city: ``geonameid, city, admin1, country, iso2, iso_numeric,
        sub_region, region, lat, lon, population``.

    Examples
    --------
    >>> load_demo_places().height
    2442
    """
    return pl.read_csv(
        embedded_data_dir() / "demo" / "places.csv",
        schema_overrides={"iso_numeric": pl.String, "iso2": pl.String},
    )


def _children_index(tree: Tree) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Children grouped by parent: (child ids, first position per node, rank among siblings)."""
    kids = np.argsort(tree.parent[1:], kind="stable") + 1
    start = np.searchsorted(
        tree.parent[kids], np.arange(tree.n_nodes + 1)
    )  # v's children: start[v]:start[v+1]
    rank = np.zeros(tree.n_nodes, dtype=np.int64)
    rank[kids] = np.arange(len(kids)) - start[tree.parent[kids]]
    return kids, start, rank


def _check_int(value: object, name: str) -> int:
    """``value`` as an int, or an InputTypeError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise InputTypeError(f"`{name}` must be an integer, got {type(value).__name__}.")
    return int(value)


def load_demo(
    *,
    n_items: int = 600,
    n_models: int = 12,
    seed: int | np.random.Generator = 0,
    stop_probability: float = 0.25,
) -> Demo:
    """Simulate the demo benchmark (deterministic for a given seed).

    Parameters
    ----------
    n_items : int, default 600
        Number of items (distinct cities), at most the number of demo places (2,442).
    n_models : int, default 12
        Number of models, 2 to 20; abilities are evenly spaced from 1.5 down to -1.5.
    seed : int or numpy.random.Generator, default 0
        The randomness: the same seed gives the same benchmark.
    stop_probability : float, default 0.25
        Chance that a model stops at its first wrong level (predicting the last right
        node) instead of guessing a wrong sibling and continuing down.

    Returns
    -------
    Demo
        Results, predictions, items, the tree, the planted truth and the card.

    Examples
    --------
    >>> demo = load_demo(n_items=100, n_models=4, seed=1)
    >>> demo.results.shape[0], demo.truth.abilities.height
    (400, 4)
    """
    n_items = _check_int(n_items, "n_items")
    n_models = _check_int(n_models, "n_models")
    if not isinstance(seed, (int, np.integer, np.random.Generator)) or isinstance(seed, bool):
        raise InputTypeError(
            f"`seed` must be an integer or a numpy.random.Generator, got {type(seed).__name__}."
        )
    if not isinstance(stop_probability, (int, float, np.floating)):
        raise InputTypeError(
            f"`stop_probability` must be a number in [0, 1], got {type(stop_probability).__name__}."
        )
    places = load_demo_places()
    if not 2 <= n_models <= len(MODEL_NAMES):
        raise InvalidValueError(
            f"`n_models` must be between 2 and {len(MODEL_NAMES)} (the demo has "
            f"{len(MODEL_NAMES)} named models), got {n_models}."
        )
    if not 1 <= n_items <= places.height:
        raise InvalidValueError(
            f"`n_items` must be between 1 and {places.height} (one item per demo place), "
            f"got {n_items}."
        )
    if not 0 <= stop_probability <= 1:
        raise InvalidValueError(
            f"`stop_probability` must be a probability in [0, 1], got {stop_probability}."
        )
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    tree = Tree.from_levels(places, levels=list(PLACE_LEVELS), root="World")
    place_node = tree.find(places.select(pl.concat_list(list(PLACE_LEVELS))).to_series())

    # ---------------------------------------------------------------- items: uneven coverage
    region = places["region"].to_numpy()
    share = np.array([REGION_COVERAGE[r] for r in region])
    sizes = places.group_by("region").len()
    places_in_region = dict(zip(sizes["region"], sizes["len"], strict=True))
    # each region gets its coverage share; within it, larger cities are a little likelier
    weight = share / np.array([places_in_region[r] for r in region])
    weight *= np.log10(np.maximum(places["population"].to_numpy(), 15_000))
    chosen = np.sort(
        rng.choice(places.height, size=n_items, replace=False, p=weight / weight.sum())
    )
    target_names = np.array(list(TARGET_LEVELS))
    target = rng.choice(len(TARGET_LEVELS), size=n_items, p=[v[1] for v in TARGET_LEVELS.values()])
    target_depth = np.array([v[0] for v in TARGET_LEVELS.values()])[target]
    items = (
        places[chosen]
        .with_columns(
            item=pl.Series([f"demo-{i:04d}" for i in range(n_items)]),
            node=pl.Series(place_node[chosen]),
            target_level=pl.Series(target_names[target]),
            target_depth=pl.Series(target_depth),
        )
        .select("item", pl.exclude("item"))
    )
    log_pop = np.log10(np.maximum(items["population"].to_numpy(), 15_000))
    b = rng.normal(0.0, 0.8, n_items) - 0.4 * (log_pop - log_pop.mean())

    # ---------------------------------------------------------------- models and planted effects
    models = list(MODEL_NAMES[:n_models])
    theta = np.linspace(1.5, -1.5, n_models)
    regions = sorted(REGION_COVERAGE)
    gamma = np.array([REGION_EFFECTS[r] for r in regions])
    delta = np.zeros((n_models, len(regions)))
    big = [regions.index(r) for r in ("Africa", "Americas", "Asia", "Europe")]
    for m in range(0, n_models, 2):  # every other model has a planted weak region
        delta[m, big[rng.integers(len(big))]] = -1.2
    for m in range(1, n_models, 4):  # and some have a home-region advantage
        delta[m, big[rng.integers(len(big))]] = 0.8
    item_region = np.searchsorted(regions, items["region"].to_numpy())
    alpha = np.array(DEPTH_OFFSETS)

    # ---------------------------------------------------------------- simulate paths level by level
    kids, start, rank = _children_index(tree)
    true_node = items["node"].to_numpy()
    anc = tree.ancestors(true_node, include_self=True)  # (items, 6): depth 0..5
    mi = np.repeat(np.arange(n_models), n_items)  # model of each (model, item) pair
    ii = np.tile(np.arange(n_items), n_models)  # item of each pair
    base = theta[mi] - b[ii] + gamma[item_region[ii]] + delta[mi, item_region[ii]]
    pred = np.full(len(mi), -1, dtype=np.int64)
    alive = np.ones(len(mi), dtype=bool)  # right on every level so far
    guessed = np.zeros(len(mi), dtype=bool)  # named a wrong sibling: descend from it
    for depth in range(1, 6):
        right = anc[ii, depth]
        parent = anc[ii, depth - 1]
        n_sib = tree.n_children[parent]
        p_right = 1.0 / (1.0 + np.exp(-(base + alpha[depth - 1])))
        miss = alive & (rng.random(len(mi)) >= p_right) & (n_sib > 1)
        stop = miss & (rng.random(len(mi)) < stop_probability)
        pred[stop] = parent[stop]
        guess = miss & ~stop
        k = (rng.random(len(mi)) * (n_sib - 1)).astype(np.int64)
        k = k + (k >= rank[right])  # skip the right node among the siblings
        wrong = kids[np.minimum(start[parent] + k, len(kids) - 1)]
        pred[guess] = wrong[guess]
        guessed |= guess
        alive &= ~miss
    pred[alive] = anc[ii[alive], 5]
    for _ in range(5):  # descend from each wrong guess to a city along random branches
        todo = guessed & (tree.depth[pred] < 5) & (tree.n_children[pred] > 0)
        if not todo.any():
            break
        v = pred[todo]
        pick = (rng.random(len(v)) * tree.n_children[v]).astype(np.int64)
        pred[todo] = kids[start[v] + pick]

    # ---------------------------------------------------------------- coordinates
    # every node's coordinates are those of the largest city below it
    lat_of, lon_of = np.full(tree.n_nodes, np.nan), np.full(tree.n_nodes, np.nan)
    for depth in range(6):
        largest = (
            places.select("geonameid", "population", "lat", "lon")
            .with_columns(node=pl.Series(tree.ancestor_at(place_node, depth)))
            .sort(["population", "geonameid"], descending=[True, False])
            .unique("node", keep="first")
        )
        lat_of[largest["node"].to_numpy()] = largest["lat"].to_numpy()
        lon_of[largest["node"].to_numpy()] = largest["lon"].to_numpy()
    jitter_km = np.where(tree.depth[pred] == 5, 5.0, 25.0)
    pred_lat = np.clip(lat_of[pred] + rng.normal(0, 1, len(pred)) * jitter_km / 111.2, -90, 90)
    coslat = np.maximum(np.cos(np.radians(lat_of[pred])), 0.05)
    pred_lon = (
        lon_of[pred] + rng.normal(0, 1, len(pred)) * jitter_km / (111.2 * coslat) + 180
    ) % 360 - 180
    from hierlab.geo import haversine_km

    true_lat = items["lat"].to_numpy()[ii]
    true_lon = items["lon"].to_numpy()[ii]
    predictions = pl.DataFrame(
        {
            "model": np.array(models)[mi],
            "item": items["item"].to_numpy()[ii],
            "true": true_node[ii],
            "pred": pred,
            "pred_depth": tree.depth[pred],
            "correct_depth": tree.depth[tree.lca(true_node[ii], pred)],
            "pred_lat": pred_lat,
            "pred_lon": pred_lon,
            "error_km": haversine_km(true_lat, true_lon, pred_lat, pred_lon),
        }
    )
    correct = (predictions["correct_depth"].to_numpy() >= target_depth[ii]).astype(np.float64)
    results = pl.DataFrame(
        {"model": predictions["model"], "item": predictions["item"], "correct": correct}
    ).join(
        items.select("item", "region", "sub_region", "country", "target_level", "target_depth"),
        on="item",
        how="left",
        maintain_order="left",
    )
    truth = DemoTruth(
        abilities=pl.DataFrame({"model": models, "theta": theta}),
        item_difficulty=pl.DataFrame({"item": items["item"], "b": b}),
        region_effects=pl.DataFrame({"region": regions, "gamma": gamma}),
        model_region_effects=pl.DataFrame(
            {
                "model": np.repeat(models, len(regions)),
                "region": np.tile(regions, n_models),
                "delta": delta.ravel(),
            }
        ),
        depth_offsets=pl.DataFrame(
            {"depth": np.arange(1, 6), "level": list(PLACE_LEVELS), "alpha": alpha}
        ),
        stop_probability=stop_probability,
    )
    card = DatasetCard(
        name="hierlab demo: a simulated hierarchical geolocation benchmark",
        description=__doc__.strip().split("\n\n")[1].replace("\n", " "),
        source="simulated by hierlab.datasets.load_demo over real GeoNames places",
        license="places: GeoNames CC BY 4.0 and UN M49 table CC BY-SA 4.0 (data/demo/LICENSE.md)",
        citation="hierlab (simulation); GeoNames (geonames.org) for the places.",
        sizes={
            "models": n_models,
            "items": n_items,
            "places": places.height,
            "tree_nodes": tree.n_nodes,
        },
        columns={
            "correct": "1 if the model's path is right down to the item's target level",
            "true / pred": "node ids in the demo tree",
            "correct_depth": "depth of the deepest right level (0 = only the root)",
        },
        caveats=("Simulated: models, abilities and effects are invented; places are real.",),
    )
    return Demo(
        results=results, predictions=predictions, items=items, tree=tree, truth=truth, card=card
    )
