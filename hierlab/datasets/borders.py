"""Country borders: world-atlas 2.0.2 ``countries-50m`` polygons and point-in-polygon lookup.

The 1:50 million Natural Earth borders (public domain, packaged by world-atlas, ISC) are
downloaded once through the pinned, sha256-checked fetcher, decoded from TopoJSON into
shapely polygons and indexed in an STRtree, so that thousands of points are placed in one
vectorised query. A point that falls in no polygon (a coastal point outside the 50m
coastline) takes the nearest country within ``max_km`` (default 25 km).

Compared with taking the country of the nearest GeoNames city, borders do not put a US
point near the Canadian border in Canada because the nearest large city is Canadian: see
``benchmarks/bench_io.py`` for the measured agreement.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import polars as pl

from hierlab._tables import as_float_array
from hierlab.datasets._download import WORLD_ATLAS, fetch_file
from hierlab.datasets.card import DatasetCard
from hierlab.datasets.countries import country_table
from hierlab.errors import InvalidValueError
from hierlab.geo import check_coordinates
from hierlab.results import Result, Summary

__all__ = ["CountryBorders", "load_country_borders"]

BORDERS_URL = f"{WORLD_ATLAS}/countries-50m.json"
#: Features world-atlas gives no ISO numeric id, with the country GeoNames places them in.
UNNUMBERED: dict[str, str] = {"Kosovo": "XK", "Somaliland": "SO", "N. Cyprus": "CY"}
#: One degree of latitude, in km (for the coastal snapping distance).
_KM_PER_DEGREE = 111.195


def _decode_arcs(topology: dict[str, Any]) -> list[np.ndarray]:
    """Absolute lon/lat coordinates of every (quantised, delta-encoded) arc."""
    scale = np.asarray(topology["transform"]["scale"], dtype=np.float64)
    translate = np.asarray(topology["transform"]["translate"], dtype=np.float64)
    return [
        np.cumsum(np.asarray(arc, dtype=np.float64), axis=0) * scale + translate
        for arc in topology["arcs"]
    ]


def _ring(indexes: list[int], arcs: list[np.ndarray]) -> np.ndarray:
    pieces = []
    for k, i in enumerate(indexes):
        arc = arcs[i] if i >= 0 else arcs[~i][::-1]
        pieces.append(arc if k == 0 else arc[1:])
    return np.concatenate(pieces)


def _geometry(geometry: dict[str, Any], arcs: list[np.ndarray]) -> Any:
    import shapely

    if geometry["type"] == "Polygon":
        polygons = [geometry["arcs"]]
    elif geometry["type"] == "MultiPolygon":
        polygons = geometry["arcs"]
    else:
        return None
    shapes = []
    for rings in polygons:
        coords = [_ring(r, arcs) for r in rings]
        shapes.append(shapely.Polygon(coords[0], coords[1:]))
    return shapely.make_valid(shapely.MultiPolygon(shapes))


@dataclass(frozen=True, eq=False)
class CountryBorders(Result):
    """Country polygons with an STRtree: place coordinates in countries.

    Attributes
    ----------
    table : polars.DataFrame
        One row per polygon feature: ``name`` (world-atlas), ``iso_numeric``, ``iso2``
        (null for a few disputed areas), ``area_deg2``.
    geometries : numpy.ndarray
        The shapely (Multi)Polygons, in the order of ``table``.
    card : DatasetCard
        Source, licence and caveats.

    Examples
    --------
    >>> borders = load_country_borders()
    >>> borders.locate([48.86, 40.71], [2.35, -74.01])["iso2"].to_list()
    ['FR', 'US']
    """

    table: pl.DataFrame
    geometries: np.ndarray
    card: DatasetCard
    _index: Any = field(default=None, repr=False)
    _owner: Any = field(default=None, repr=False)

    def locate(self, lat: Any, lon: Any, *, max_km: float = 25.0) -> pl.DataFrame:
        """Find the country of each point: inside its borders, else the nearest within ``max_km``.

        Parameters
        ----------
        lat : array-like of float
            Latitudes, decimal degrees.
        lon : array-like of float
            Longitudes, same length as ``lat``.
        max_km : float, default 25.0
            A point outside every polygon (at sea, or on a coast the 1:50m outline cuts)
            takes the nearest country within this distance; farther points get none.

        Returns
        -------
        polars.DataFrame
            One row per point: ``iso2``, ``iso_numeric``, ``name`` (null where no country
            is found) and ``method`` ("inside", "nearest" or null).
        """
        import shapely

        lat = np.atleast_1d(as_float_array(lat, "`lat`")).ravel()
        lon = np.atleast_1d(as_float_array(lon, "`lon`")).ravel()
        check_coordinates(lat, lon, what="coordinates to locate")
        if (
            isinstance(max_km, bool)
            or not isinstance(max_km, int | float)
            or not np.isfinite(max_km)
            or max_km < 0
        ):
            raise InvalidValueError(f"`max_km` must be a distance >= 0 in km, got {max_km!r}.")
        points = shapely.points(lon, lat)
        found = np.full(lat.size, -1, dtype=np.int64)
        method = np.full(lat.size, None, dtype=object)
        if lat.size:
            point_idx, piece_idx = self._index.query(points, predicate="intersects")
            geom_idx = self._owner[piece_idx]
            # a point on a shared border: keep the smallest country (enclaves win)
            area = self.table["area_deg2"].to_numpy()
            order = np.lexsort((area[geom_idx], point_idx))
            point_idx, geom_idx = point_idx[order], geom_idx[order]
            first = np.unique(point_idx, return_index=True)[1]
            found[point_idx[first]] = geom_idx[first]
            method[point_idx[first]] = "inside"
            missing = np.flatnonzero(found < 0)
            if missing.size and max_km > 0:
                near_pt, near_piece = self._index.query_nearest(
                    points[missing], max_distance=max_km / _KM_PER_DEGREE, all_matches=False
                )
                found[missing[near_pt]] = self._owner[near_piece]
                method[missing[near_pt]] = "nearest"
        rows = self.table.select("iso2", "iso_numeric", "name")
        hit = found >= 0
        out = rows[np.where(hit, found, 0)].with_columns(
            pl.Series("method", method.tolist(), dtype=pl.String)
        )
        return out.with_columns(
            [
                pl.when(pl.Series(hit)).then(pl.col(c)).otherwise(None).alias(c)
                for c in ("iso2", "iso_numeric", "name")
            ]
        )

    def summary(self) -> Summary:
        """Summarise the borders: the card's facts.

        Returns
        -------
        Summary
        """
        return self.card.summary()

    def to_polars(self) -> pl.DataFrame:
        """Return the table of polygons (without the geometries).

        Returns
        -------
        polars.DataFrame
        """
        return self.table


@lru_cache(maxsize=1)
def load_country_borders() -> CountryBorders:
    """Return the world's country borders (world-atlas 2.0.2 ``countries-50m``), indexed.

    Downloaded once through :func:`hierlab.datasets.fetch_file` (pinned URL and sha256;
    ``HIERLAB_DATA_MIRROR`` for offline mirrors), then cached; needs ``shapely``.

    Returns
    -------
    CountryBorders
        The polygons, their ISO codes and an STRtree; :meth:`CountryBorders.locate` places
        points.

    Examples
    --------
    >>> load_country_borders().table.height > 230
    True
    """
    import shapely

    topology = json.loads(fetch_file(BORDERS_URL).read_text(encoding="utf-8"))
    arcs = _decode_arcs(topology)
    features = topology["objects"]["countries"]["geometries"]
    names = [f.get("properties", {}).get("name") for f in features]
    numeric = [f.get("id") for f in features]
    geometries = [_geometry(f, arcs) for f in features]
    keep = [i for i, g in enumerate(geometries) if g is not None and not g.is_empty]
    codes = country_table().select("iso_numeric", "iso2")
    table = (
        pl.DataFrame(
            {
                "name": [names[i] for i in keep],
                "iso_numeric": [numeric[i] for i in keep],
                "area_deg2": [float(shapely.area(geometries[i])) for i in keep],
            },
            schema={"name": pl.String, "iso_numeric": pl.String, "area_deg2": pl.Float64},
        )
        .join(codes, on="iso_numeric", how="left", maintain_order="left")
        .with_columns(
            pl.coalesce("iso2", pl.col("name").replace_strict(UNNUMBERED, default=None)).alias(
                "iso2"
            )
        )
        .select("name", "iso_numeric", "iso2", "area_deg2")
    )
    geoms = np.array([geometries[i] for i in keep], dtype=object)
    card = DatasetCard(
        name="Country borders (world-atlas 2.0.2, countries-50m)",
        description=(
            "Natural Earth 1:50m admin-0 country polygons as packaged by world-atlas, for "
            "point-in-polygon reverse geocoding."
        ),
        source="npm world-atlas@2.0.2 countries-50m.json (jsDelivr), pinned by sha256",
        urls=(BORDERS_URL,),
        license="ISC (world-atlas); Natural Earth data, public domain",
        citation="Natural Earth (naturalearthdata.com); world-atlas by Mike Bostock.",
        sizes={"features": table.height, "with_iso2": int(table["iso2"].is_not_null().sum())},
        caveats=(
            "Borders follow Natural Earth's de facto lines; disputed areas follow its choices.",
            "Kosovo, Somaliland and Northern Cyprus have no ISO numeric id in world-atlas; "
            "they are given XK, SO and CY as in GeoNames.",
            "At 1:50m a point within a few hundred metres of a coast can fall outside "
            "every polygon; it then takes the nearest country within max_km.",
        ),
    )
    pieces, owner = _tiles(geoms)
    return CountryBorders(
        table=table, geometries=geoms, card=card, _index=shapely.STRtree(pieces), _owner=owner
    )


def _tiles(geometries: np.ndarray, step: float = 5.0, min_coords: int = 500) -> tuple:
    """Cut large polygons into ``step``-degree tiles: point queries then test small pieces.

    Russia or Canada have tens of thousands of vertices; cut into 5-degree tiles, a point
    is tested against a piece of a few hundred, about 8 times faster for the same answer.
    """
    import shapely

    pieces, owner = [], []
    for i, geometry in enumerate(geometries):
        if shapely.get_num_coordinates(geometry) < min_coords:
            pieces.append(geometry)
            owner.append(i)
            continue
        x0, y0, x1, y1 = shapely.bounds(geometry)
        for x in np.arange(np.floor(x0 / step) * step, x1, step):
            for y in np.arange(np.floor(y0 / step) * step, y1, step):
                piece = shapely.clip_by_rect(geometry, x, y, x + step, y + step)
                if not piece.is_empty:
                    pieces.append(piece)
                    owner.append(i)
    return np.array(pieces, dtype=object), np.array(owner, dtype=np.int64)
