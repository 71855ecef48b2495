"""Great-circle distances and nearest-place lookup."""

from __future__ import annotations

import numpy as np
import pytest

from hierlab.errors import InvalidValueError
from hierlab.geo import EARTH_RADIUS_KM, NearestPlaces, check_coordinates, haversine_km


def test_haversine_known_distances() -> None:
    # Paris-London ~344 km, New York-Los Angeles ~3,936 km (great-circle, mean radius)
    d = haversine_km(
        [48.8566, 40.7128], [2.3522, -74.0060], [51.5074, 34.0522], [-0.1278, -118.2437]
    )
    assert d == pytest.approx([343.5, 3935.7], abs=1.5)
    assert haversine_km(0, 0, 0, 180) == pytest.approx(np.pi * EARTH_RADIUS_KM)
    assert haversine_km(10, 20, 10, 20) == 0


def test_nearest_places_matches_brute_force() -> None:
    rng = np.random.default_rng(0)
    plat, plon = rng.uniform(-80, 80, 500), rng.uniform(-180, 180, 500)
    qlat, qlon = rng.uniform(-80, 80, 200), rng.uniform(-180, 180, 200)
    idx, km = NearestPlaces(plat, plon).query(qlat, qlon)
    brute = haversine_km(qlat[:, None], qlon[:, None], plat[None, :], plon[None, :])
    assert np.array_equal(idx, brute.argmin(axis=1))
    assert np.allclose(km, brute.min(axis=1))


def test_bad_coordinates_are_named() -> None:
    with pytest.raises(InvalidValueError, match=r"row 2 \(nan, 0.0\)"):
        check_coordinates(np.array([0.0, 10.0, np.nan]), np.array([0.0, 0.0, 0.0]))
    with pytest.raises(InvalidValueError, match="query coordinates"):
        NearestPlaces([0.0], [0.0]).query([0.0], [200.0])
