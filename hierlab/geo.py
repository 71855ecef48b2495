"""Geography: great-circle distances and nearest-place lookup (reverse geocoding).

Coordinates are decimal degrees, latitude in [-90, 90] and longitude in [-180, 180].
Distances are haversine great-circle distances on a sphere of radius 6,371.0088 km (the
IUGG mean Earth radius).
"""

from __future__ import annotations

import numpy as np

from hierlab.errors import InvalidValueError, format_items

__all__ = ["EARTH_RADIUS_KM", "NearestPlaces", "check_coordinates", "haversine_km"]

EARTH_RADIUS_KM = 6371.0088


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
