"""Coordinates to places: the country by its borders, then the nearest city in that country.

Taking the country of the nearest GeoNames city is wrong near borders (a point in Maine
whose nearest city of >= 15,000 people is in New Brunswick is put in Canada). Here the
country comes from the world-atlas 50m polygons (:func:`hierlab.datasets.load_country_borders`),
and only the sub-country levels (admin1, city) come from the nearest city *within that
country*; ``method="nearest"`` keeps the nearest-city method for comparison.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from hierlab._tables import as_float_array
from hierlab.datasets.borders import load_country_borders
from hierlab.errors import InputTypeError, InvalidValueError, format_items
from hierlab.geo import NearestPlaces, check_coordinates

__all__ = ["reverse_geocode"]

#: Per places table: iso2 -> (row indexes, NearestPlaces); keyed by id(table).
_INDEXES: dict[int, tuple[pl.DataFrame, dict[str, tuple[np.ndarray, NearestPlaces]]]] = {}


def _country_indexes(table: pl.DataFrame) -> dict[str, tuple[np.ndarray, NearestPlaces]]:
    held = _INDEXES.get(id(table))
    if held is not None and held[0] is table:
        return held[1]
    iso2 = table["iso2"].to_numpy().astype(str)
    lat, lon = table["lat"].to_numpy(), table["lon"].to_numpy()
    order = np.argsort(iso2, kind="stable")
    codes, starts = np.unique(iso2[order], return_index=True)
    bounds = [*starts.tolist(), len(order)]
    indexes = {}
    for k, code in enumerate(codes.tolist()):
        rows = order[bounds[k] : bounds[k + 1]]
        indexes[code] = (rows, NearestPlaces(lat[rows], lon[rows]))
    if len(_INDEXES) >= 4:
        _INDEXES.pop(next(iter(_INDEXES)))
    _INDEXES[id(table)] = (table, indexes)
    return indexes


def reverse_geocode(
    lat: Any, lon: Any, *, places: Any, method: str = "borders", max_km: float = 25.0
) -> pl.DataFrame:
    """Place coordinates: country by borders, admin1 and city by the nearest city in it.

    Parameters
    ----------
    lat : array-like of float
        Latitudes, decimal degrees.
    lon : array-like of float
        Longitudes, same length as ``lat``.
    places : Places
        :func:`hierlab.datasets.load_places` (or a bundle whose ``.table`` has ``lat, lon,
        iso2`` and place columns such as ``city, admin1, node``).
    method : {"borders", "nearest"}, default "borders"
        ``"borders"``: the country whose polygon holds the point (or the nearest within
        ``max_km``), then the nearest place in that country; ``"nearest"``: the nearest
        place anywhere, and its country (the classic method, wrong near borders).
    max_km : float, default 25.0
        With ``"borders"``: a point outside every polygon takes the nearest country within
        this distance; a point farther from land gets no place.

    Returns
    -------
    polars.DataFrame
        One row per point: ``lat, lon``, ``iso2`` (the country found), ``country_by``
        ("inside", "nearest" border, "nearest place" or null), then the chosen place's
        columns (``city``, ``admin1``, ``node`` ...; null where the country has no place)
        and ``distance_km`` to it.

    Examples
    --------
    >>> from hierlab.datasets import load_places
    >>> places = load_places()
    >>> out = reverse_geocode([45.07, 48.86], [-67.28, 2.35], places=places)  # Calais (Maine), Paris
    >>> out.select("iso2", "country_by", "city").rows()
    [('US', 'inside', 'Bangor'), ('FR', 'inside', 'Paris 04 Hôtel-de-Ville')]
    >>> reverse_geocode([45.07], [-67.28], places=places, method="nearest")["iso2"].item()
    'CA'
    """
    table = getattr(places, "table", None)
    if not isinstance(table, pl.DataFrame):
        raise InputTypeError(
            "`places` must be a places bundle with a `.table` (hierlab.datasets.load_places()), "
            f"got {type(places).__name__}."
        )
    missing = [c for c in ("lat", "lon", "iso2") if c not in table.columns]
    if missing:
        raise InvalidValueError(
            f"The places table has no column(s) {format_items(missing)}; it needs lat, lon "
            "and iso2 (use hierlab.datasets.load_places())."
        )
    if method not in ("borders", "nearest"):
        raise InvalidValueError(f"`method` must be 'borders' or 'nearest', got {method!r}.")
    lat = np.atleast_1d(as_float_array(lat, "`lat`")).ravel()
    lon = np.atleast_1d(as_float_array(lon, "`lon`")).ravel()
    check_coordinates(lat, lon, what="coordinates to reverse geocode")
    row = np.full(lat.size, -1, dtype=np.int64)
    distance = np.full(lat.size, np.nan)
    if method == "nearest":
        index, km = NearestPlaces(table["lat"].to_numpy(), table["lon"].to_numpy()).query(lat, lon)
        row[:], distance[:] = index, km
        iso2 = table["iso2"].to_numpy().astype(object)[index]
        country_by = np.full(lat.size, "nearest place", dtype=object)
    else:
        located = load_country_borders().locate(lat, lon, max_km=max_km)
        iso2 = located["iso2"].to_numpy().astype(object)
        country_by = located["method"].to_numpy().astype(object)
        indexes = _country_indexes(table)
        codes = np.array([c if c is not None else "" for c in iso2], dtype=object)
        for code in np.unique(codes[codes != ""]).tolist():  # one query per country found
            if code not in indexes:
                continue
            at = np.flatnonzero(codes == code)
            rows, index = indexes[code]
            found, km = index.query(lat[at], lon[at])
            row[at], distance[at] = rows[found], km
    hit = row >= 0
    place_columns = [c for c in table.columns if c not in ("lat", "lon", "iso2")]
    chosen = table[np.where(hit, row, 0)].select(place_columns)
    chosen = chosen.with_columns(
        [pl.when(pl.Series(hit)).then(pl.col(c)).otherwise(None).alias(c) for c in place_columns]
    )
    return pl.concat(
        [
            pl.DataFrame(
                {
                    "lat": lat,
                    "lon": lon,
                    "iso2": pl.Series(iso2.tolist(), dtype=pl.String),
                    "country_by": pl.Series(country_by.tolist(), dtype=pl.String),
                }
            ),
            chosen,
            pl.DataFrame({"distance_km": np.where(hit, distance, np.nan)}).with_columns(
                pl.col("distance_km").fill_nan(None)
            ),
        ],
        how="horizontal",
    )
