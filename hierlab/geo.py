"""Geography: great-circle distances and nearest-place lookup (reverse geocoding).

Coordinates are decimal degrees, latitude in [-90, 90] and longitude in [-180, 180].
Distances are haversine great-circle distances on a sphere of radius 6,371.0088 km (the
IUGG mean Earth radius).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from hierlab._tables import as_float_array, as_polars, require_columns
from hierlab.errors import (
    EmptyInputError,
    InputShapeError,
    InputTypeError,
    InvalidValueError,
    MissingDependencyError,
    format_items,
)

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
    "reverse_geocode",
]

EARTH_RADIUS_KM = 6371.0088
#: street, city, region, country, continent (the usual geolocation thresholds).
STANDARD_THRESHOLDS_KM = (1.0, 25.0, 200.0, 750.0, 2500.0)
#: EarthWhere's thresholds.
EARTHWHERE_THRESHOLDS_KM = (1.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0)


def check_coordinates(lat: Any, lon: Any, *, what: str = "coordinates") -> None:
    """Raise a clear error naming the rows whose coordinates are NaN or out of range.

    Parameters
    ----------
    lat : array-like of float
        Latitudes in decimal degrees.
    lon : array-like of float
        Longitudes in decimal degrees, same shape as ``lat``.
    what : str, default "coordinates"
        What the coordinates are, for the message.

    Returns
    -------
    None

    Examples
    --------
    >>> check_coordinates(np.array([0.0, 95.0]), np.array([0.0, 0.0]))
    Traceback (most recent call last):
    ...
    hierlab.errors.InvalidValueError: 1 row(s) of coordinates are NaN or out of range (latitude in [-90, 90], longitude in [-180, 180]): row 1 (95.0, 0.0).
    """
    lat = np.ravel(as_float_array(lat, "`lat`"))
    lon = np.ravel(as_float_array(lon, "`lon`"))
    if lat.shape != lon.shape:
        raise InputShapeError(
            f"`lat` has {lat.size} values but `lon` has {lon.size}; give one of each per point."
        )
    bad = ~(np.isfinite(lat) & np.isfinite(lon) & (np.abs(lat) <= 90) & (np.abs(lon) <= 180))
    if bad.any():
        rows = np.flatnonzero(bad)
        shown = format_items([f"row {i} ({lat[i]}, {lon[i]})" for i in rows], 5).replace("'", "")
        raise InvalidValueError(
            f"{len(rows)} row(s) of {what} are NaN or out of range (latitude in [-90, 90], "
            f"longitude in [-180, 180]): {shown}."
        )


def _coordinates(*values: Any, names: tuple[str, ...]) -> list[np.ndarray]:
    arrays = [as_float_array(v, f"`{n}`") for v, n in zip(values, names, strict=True)]
    try:
        return list(np.broadcast_arrays(*arrays))
    except ValueError:
        shapes = ", ".join(f"{n} {a.shape}" for n, a in zip(names, arrays, strict=True))
        raise InputShapeError(
            f"The coordinate arrays do not broadcast together: {shapes}."
        ) from None


def haversine_km(lat1: Any, lon1: Any, lat2: Any, lon2: Any) -> np.ndarray:
    """Compute great-circle distances in km between coordinate arrays (numpy broadcasting).

    Parameters
    ----------
    lat1 : array-like of float
        Latitudes of the first points, decimal degrees.
    lon1 : array-like of float
        Longitudes of the first points.
    lat2 : array-like of float
        Latitudes of the second points.
    lon2 : array-like of float
        Longitudes of the second points.

    Returns
    -------
    numpy.ndarray
        Distances in km, the broadcast shape of the inputs.

    Examples
    --------
    >>> round(float(haversine_km(48.8566, 2.3522, 51.5074, -0.1278)))  # Paris - London
    344
    """
    lat1, lon1, lat2, lon2 = (
        np.radians(x)
        for x in _coordinates(lat1, lon1, lat2, lon2, names=("lat1", "lon1", "lat2", "lon2"))
    )
    a = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def geodesic_km(lat1: Any, lon1: Any, lat2: Any, lon2: Any) -> np.ndarray:
    """Compute distances in km on the WGS84 ellipsoid (Karney's algorithm), via pyproj.

    The haversine distance on a sphere differs from it by about 0.2% at the median and
    by up to about 14 km at 2,500 km (0.5%, worst near the poles and along meridians);
    that is below every usual Acc@k threshold except street level. Needs ``pyproj``.

    Parameters
    ----------
    lat1 : array-like of float
        Latitudes of the first points, decimal degrees.
    lon1 : array-like of float
        Longitudes of the first points.
    lat2 : array-like of float
        Latitudes of the second points.
    lon2 : array-like of float
        Longitudes of the second points.

    Returns
    -------
    numpy.ndarray
        Distances in km, the broadcast shape of the inputs.

    Examples
    --------
    >>> round(float(geodesic_km(48.8566, 2.3522, 51.5074, -0.1278)))
    344
    """
    arrays = _coordinates(lat1, lon1, lat2, lon2, names=("lat1", "lon1", "lat2", "lon2"))
    try:
        from pyproj import Geod
    except ImportError:  # pragma: no cover - depends on the environment
        raise MissingDependencyError(
            "geodesic_km needs pyproj: pip install pyproj (or use haversine_km)."
        ) from None
    check_coordinates(arrays[0], arrays[1], what="first coordinates")
    check_coordinates(arrays[2], arrays[3], what="second coordinates")
    _, _, metres = Geod(ellps="WGS84").inv(arrays[1], arrays[0], arrays[3], arrays[2])
    return np.asarray(metres) / 1000.0


def _distances(distances_km: Any) -> np.ndarray:
    d = as_float_array(distances_km, "`distances_km`")
    if np.isnan(d).any():
        raise InvalidValueError(
            f"{int(np.isnan(d).sum())} distance(s) in `distances_km` are NaN; drop or score "
            "them first."
        )
    return d


def accuracy_at_k(
    distances_km: Any, *, thresholds_km: tuple[float, ...] = STANDARD_THRESHOLDS_KM
) -> dict[float, float]:
    """Compute the share of predictions within k km of the truth, per threshold.

    A prediction counts at threshold k when ``distance <= k``.

    Parameters
    ----------
    distances_km : array-like of float
        Distance of each prediction from the truth, in km.
    thresholds_km : tuple of float, default STANDARD_THRESHOLDS_KM
        The thresholds k (street, city, region, country, continent by default;
        :data:`EARTHWHERE_THRESHOLDS_KM` for EarthWhere's).

    Returns
    -------
    dict of float to float
        Threshold -> share, in the order of ``thresholds_km``.

    Examples
    --------
    >>> accuracy_at_k(np.array([0.5, 30.0, 900.0]), thresholds_km=(1.0, 25.0, 1000.0))
    {1.0: 0.3333333333333333, 25.0: 0.3333333333333333, 1000.0: 1.0}
    """
    d = _distances(distances_km)
    thresholds = as_float_array(thresholds_km, "`thresholds_km`", ndim=1)
    return {float(k): float((d <= k).mean()) for k in thresholds}


def geoscore(distances_km: Any) -> np.ndarray:
    """Compute the GeoGuessr-style score ``5000 * exp(-d / 1492.7)`` (5,000 for a perfect guess).

    Parameters
    ----------
    distances_km : array-like of float
        Distance of each prediction from the truth, in km.

    Returns
    -------
    numpy.ndarray
        Scores in (0, 5000].

    Examples
    --------
    >>> geoscore(np.array([0.0, 1492.7])).round(1).tolist()
    [5000.0, 1839.4]
    """
    return 5000.0 * np.exp(-_distances(distances_km) / 1492.7)


#: Nearest-place indexes of the last few place tables, keyed by the table's identity.
_INDEXES: dict[int, tuple[pl.DataFrame, NearestPlaces]] = {}
_MAX_INDEXES = 4


def _place_table(places: Any) -> pl.DataFrame:
    """Return the table of a places bundle (anything with a ``.table``) or the table itself."""
    table = getattr(places, "table", places)
    if not isinstance(table, pl.DataFrame) and type(table).__module__.split(".")[0] != "pandas":
        raise InputTypeError(
            "`places` must be a places bundle with a `.table` (hierlab.datasets.load_places()) "
            f"or a table with lat and lon columns, got {type(places).__name__}."
        )
    table = as_polars(table, "`places`")
    require_columns(table, ["lat", "lon"], "The places table", "Give each place's lat and lon.")
    return table


def _nearest_index(table: pl.DataFrame) -> NearestPlaces:
    cached = _INDEXES.get(id(table))
    if cached is not None and cached[0] is table:
        return cached[1]
    index = NearestPlaces(table["lat"].to_numpy(), table["lon"].to_numpy())
    if len(_INDEXES) >= _MAX_INDEXES:
        _INDEXES.pop(next(iter(_INDEXES)))
    _INDEXES[id(table)] = (table, index)
    return index


def reverse_geocode(lat: Any, lon: Any, *, places: Any) -> pl.DataFrame:
    """Map coordinates to the nearest place of a place table (vectorised KD-tree).

    The KD-tree of a place table is built once and reused for the same table.

    Parameters
    ----------
    lat : array-like of float
        Latitudes to look up, decimal degrees.
    lon : array-like of float
        Longitudes, same length as ``lat``.
    places : Places or polars/pandas DataFrame
        The places: :func:`hierlab.datasets.load_places` (GeoNames cities of >= 15,000
        people in the world tree), or any table with ``lat`` and ``lon`` columns.

    Returns
    -------
    polars.DataFrame
        One row per coordinate: the nearest place's columns (for ``load_places()``:
        ``city``, ``admin1``, ``country``, ``iso2``, ``region``, ``node`` ...) and
        ``distance_km``. Its ``node`` turns a coordinate prediction into a hierarchical
        prediction for :mod:`hierlab.coherence`.

    Examples
    --------
    >>> toy = pl.DataFrame({"city": ["Paris", "Lyon"], "lat": [48.86, 45.76], "lon": [2.35, 4.84]})
    >>> reverse_geocode([45.7], [4.9], places=toy)["city"].to_list()
    ['Lyon']
    """
    table = _place_table(places)
    idx, km = _nearest_index(table).query(lat, lon)
    return table[idx].with_columns(distance_km=pl.Series(km))


def _unit_vectors(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    la, lo = np.radians(lat), np.radians(lon)
    return np.column_stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])


class NearestPlaces:
    """Nearest-place lookup over a fixed set of places: a KD-tree on 3-D unit vectors.

    Chord distance on the unit sphere is monotone in great-circle distance, so the
    Euclidean nearest neighbour of the unit vectors is the great-circle nearest place.

    Parameters
    ----------
    lat : array-like of float
        Latitudes of the places, decimal degrees.
    lon : array-like of float
        Longitudes of the places, same length as ``lat``.

    Attributes
    ----------
    lat, lon : numpy.ndarray
        The places' coordinates.

    Examples
    --------
    >>> places = NearestPlaces([48.8566, 51.5074], [2.3522, -0.1278])
    >>> idx, km = places.query([48.0, 51.0], [2.0, 0.0])
    >>> idx.tolist()
    [0, 1]
    """

    def __init__(self, lat: Any, lon: Any) -> None:
        from scipy.spatial import cKDTree

        self.lat = np.ravel(as_float_array(lat, "`lat`"))
        self.lon = np.ravel(as_float_array(lon, "`lon`"))
        check_coordinates(self.lat, self.lon, what="place coordinates")
        if self.lat.size == 0:
            raise EmptyInputError("NearestPlaces needs at least one place.")
        self._tree = cKDTree(_unit_vectors(self.lat, self.lon))

    def query(self, lat: Any, lon: Any, *, workers: int = -1) -> tuple[np.ndarray, np.ndarray]:
        """Find the nearest place to each coordinate.

        Parameters
        ----------
        lat : array-like of float
            Latitudes to look up, decimal degrees.
        lon : array-like of float
            Longitudes, same length as ``lat``.
        workers : int, default -1
            Threads of the KD-tree query (-1: all cores).

        Returns
        -------
        tuple of numpy.ndarray
            ``(index, distance_km)``: the nearest place's position and its great-circle
            distance.
        """
        lat = np.atleast_1d(np.ravel(as_float_array(lat, "`lat`")))
        lon = np.atleast_1d(np.ravel(as_float_array(lon, "`lon`")))
        check_coordinates(lat, lon, what="query coordinates")
        _, idx = self._tree.query(_unit_vectors(lat, lon), workers=workers)
        return idx, haversine_km(lat, lon, self.lat[idx], self.lon[idx])
