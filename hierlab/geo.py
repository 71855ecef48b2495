"""Geography: great-circle distances and nearest-place lookup (reverse geocoding).

Coordinates are decimal degrees, latitude in [-90, 90] and longitude in [-180, 180].
Distances are haversine great-circle distances on a sphere of radius 6,371.0088 km (the
IUGG mean Earth radius).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from hierlab.errors import InvalidValueError, format_items

__all__ = [
    "EARTHWHERE_THRESHOLDS_KM",
    "EARTH_RADIUS_KM",
    "STANDARD_THRESHOLDS_KM",
    "NearestPlaces",
    "accuracy_at_k",
    "check_coordinates",
    "geodesic_km",
    "geoscore",
    "haversine_km",
    "normalize_country_names",
    "reverse_geocode",
]

EARTH_RADIUS_KM = 6371.0088
#: street, city, region, country, continent (the usual geolocation thresholds).
STANDARD_THRESHOLDS_KM = (1.0, 25.0, 200.0, 750.0, 2500.0)
#: EarthWhere's thresholds.
EARTHWHERE_THRESHOLDS_KM = (1.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0)


def check_coordinates(lat: np.ndarray, lon: np.ndarray, what: str = "coordinates") -> None:
    """Raise a clear error naming the rows whose coordinates are NaN or out of range.

    Examples
    --------
    >>> check_coordinates(np.array([0.0, 95.0]), np.array([0.0, 0.0]))
    Traceback (most recent call last):
    ...
    hierlab.errors.InvalidValueError: 1 row(s) of coordinates are NaN or out of range (latitude in [-90, 90], longitude in [-180, 180]): row 1 (95.0, 0.0).
    """
    bad = ~(np.isfinite(lat) & np.isfinite(lon) & (np.abs(lat) <= 90) & (np.abs(lon) <= 180))
    if bad.any():
        rows = np.flatnonzero(bad)
        shown = format_items([f"row {i} ({lat[i]}, {lon[i]})" for i in rows], 5).replace("'", "")
        raise InvalidValueError(
            f"{len(rows)} row(s) of {what} are NaN or out of range (latitude in [-90, 90], "
            f"longitude in [-180, 180]): {shown}."
        )


def haversine_km(
    lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray
) -> np.ndarray:
    """Great-circle distance in km between coordinate arrays (numpy broadcasting).

    Examples
    --------
    >>> round(float(haversine_km(48.8566, 2.3522, 51.5074, -0.1278)))  # Paris - London
    344
    """
    lat1, lon1, lat2, lon2 = (
        np.radians(np.asarray(x, dtype=float)) for x in (lat1, lon1, lat2, lon2)
    )
    a = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def geodesic_km(
    lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray
) -> np.ndarray:
    """Distance in km on the WGS84 ellipsoid (Karney's algorithm), via pyproj.

    The haversine distance on a sphere differs from it by about 0.2% at the median and
    by up to about 14 km at 2,500 km (0.5%, worst near the poles and along meridians);
    that is below every usual Acc@k threshold except street level. Needs ``pyproj``.

    Examples
    --------
    >>> round(float(geodesic_km(48.8566, 2.3522, 51.5074, -0.1278)))
    344
    """
    try:
        from pyproj import Geod
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError(
            "geodesic_km needs pyproj: pip install pyproj (or use haversine_km)."
        ) from err
    arrays = np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in (lat1, lon1, lat2, lon2)))
    check_coordinates(arrays[0].ravel(), arrays[1].ravel(), "first coordinates")
    check_coordinates(arrays[2].ravel(), arrays[3].ravel(), "second coordinates")
    _, _, metres = Geod(ellps="WGS84").inv(arrays[1], arrays[0], arrays[3], arrays[2])
    return np.asarray(metres) / 1000.0


def accuracy_at_k(
    distances_km: np.ndarray, thresholds_km: tuple[float, ...] = STANDARD_THRESHOLDS_KM
) -> dict[float, float]:
    """Share of predictions within k km of the truth, for each threshold (``distance <= k``).

    Examples
    --------
    >>> accuracy_at_k(np.array([0.5, 30.0, 900.0]), (1.0, 25.0, 1000.0))
    {1.0: 0.3333333333333333, 25.0: 0.3333333333333333, 1000.0: 1.0}
    """
    d = np.asarray(distances_km, dtype=float)
    if np.isnan(d).any():
        raise InvalidValueError(
            f"{int(np.isnan(d).sum())} distance(s) are NaN; drop or score them first."
        )
    return {float(k): float((d <= k).mean()) for k in thresholds_km}


def geoscore(distances_km: np.ndarray) -> np.ndarray:
    """GeoGuessr-style score ``5000 * exp(-d / 1492.7)`` (5,000 for a perfect guess).

    Examples
    --------
    >>> geoscore(np.array([0.0, 1492.7])).round(1).tolist()
    [5000.0, 1839.4]
    """
    return 5000.0 * np.exp(-np.asarray(distances_km, dtype=float) / 1492.7)


def reverse_geocode(lat: np.ndarray, lon: np.ndarray, places: Any = None) -> Any:
    """Map coordinates to the nearest place of a place table (vectorised KD-tree).

    Parameters
    ----------
    lat, lon : arrays of decimal degrees
    places : :class:`hierlab.datasets.Places` (default: ``load_places()``, GeoNames cities
        of >= 15,000 people in the world tree)

    Returns
    -------
    polars.DataFrame
        One row per coordinate: the nearest place's columns (``city``, ``admin1``,
        ``country``, ``iso2``, ``region``, ``node`` ...) and ``distance_km``. Its ``node``
        turns a coordinate prediction into a hierarchical prediction for
        :mod:`hierlab.coherence`.

    Examples
    --------
    >>> from hierlab.datasets.places import Places
    >>> import polars as pl
    >>> toy = Places(pl.DataFrame({"city": ["Paris", "Lyon"], "lat": [48.86, 45.76], "lon": [2.35, 4.84], "node": [3, 4]}), None, None)
    >>> reverse_geocode([45.7], [4.9], toy)["city"].to_list()
    ['Lyon']
    """
    if places is None:
        from hierlab.datasets.places import load_places

        places = load_places()
    table = places.table
    index = getattr(places, "_nearest", None)
    if index is None:
        index = NearestPlaces(table["lat"].to_numpy(), table["lon"].to_numpy())
        try:
            object.__setattr__(places, "_nearest", index)
        except (AttributeError, TypeError):  # pragma: no cover
            pass
    idx, km = index.query(lat, lon)
    return table[idx].with_columns(distance_km=pl.Series(km))


def normalize_country_names(names: Any) -> Any:
    """Free-text country names to ISO codes with aliases; see
    :func:`hierlab.datasets.normalize_countries` (unmatched names have null codes).

    Examples
    --------
    >>> normalize_country_names(["UAE"])["iso2"].to_list()
    ['AE']
    """
    from hierlab.datasets.countries import normalize_countries

    return normalize_countries(names)


def _unit_vectors(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    la, lo = np.radians(lat), np.radians(lon)
    return np.column_stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])


class NearestPlaces:
    """Nearest-place lookup over a fixed set of places: a KD-tree on 3-D unit vectors.

    Chord distance on the unit sphere is monotone in great-circle distance, so the
    Euclidean nearest neighbour of the unit vectors is the great-circle nearest place.

    Examples
    --------
    >>> places = NearestPlaces([48.8566, 51.5074], [2.3522, -0.1278])
    >>> idx, km = places.query([48.0, 51.0], [2.0, 0.0])
    >>> idx.tolist()
    [0, 1]
    """

    def __init__(self, lat: np.ndarray, lon: np.ndarray) -> None:
        from scipy.spatial import cKDTree

        self.lat = np.asarray(lat, dtype=float)
        self.lon = np.asarray(lon, dtype=float)
        check_coordinates(self.lat, self.lon, "place coordinates")
        self._tree = cKDTree(_unit_vectors(self.lat, self.lon))

    def query(
        self, lat: np.ndarray, lon: np.ndarray, workers: int = -1
    ) -> tuple[np.ndarray, np.ndarray]:
        """Index of the nearest place to each coordinate, and its distance in km."""
        lat = np.atleast_1d(np.asarray(lat, dtype=float))
        lon = np.atleast_1d(np.asarray(lon, dtype=float))
        check_coordinates(lat, lon, "query coordinates")
        _, idx = self._tree.query(_unit_vectors(lat, lon), workers=workers)
        return idx, haversine_km(lat, lon, self.lat[idx], self.lon[idx])
